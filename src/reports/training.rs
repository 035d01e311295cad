//! The evidence report's training-effect section (docs/REPORTS.md, "Training section";
//! docs/METRICS.md §11): for the staff of the scope who completed a course within the
//! eligibility period, per course, the difference in differences of their first reply time
//! (`frt.v1`, business seconds) and reopen rate (`reopen_rate.v1`) in the [`DEFAULT_WEEKS`] weeks
//! before and after their completion against untrained staff of the same role(s) over the same
//! calendar weeks, with the report's bootstrap seed.
//!
//! Whose completions count: the company's, all staff's; a team's, its members' (`users.team_id`
//! now); an agent's or a technician's, that person's. Organizations and sites have no staff: their
//! reports have no training section. The untrained group is company-wide, as the effect
//! endpoint's: every staff member of a role some completer in the section has who never completed
//! the course (a completion outside the scope or the eligibility period takes the person out of
//! the untrained group too).
//!
//! [`load`] reads the inputs (one query per kind: completions, staff, first replies, reopens);
//! [`retain_relevant`] keeps the rows that count (the manifest hashes exactly those);
//! [`section`] computes the section from them (pure).

use super::document::{Figure, Interval, TrainingCourse, TrainingSection, Unit, round};
use super::params::{EvidenceParams, ScopeKind};
use crate::domain::inference::Caution;
use crate::domain::training::{self as effect, Cohort, DEFAULT_WEEKS, Fact};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use std::collections::{BTreeMap, BTreeSet};

/// One completion of a course (every completion of a course that has one in the section, so that
/// staff trained elsewhere are not compared as untrained).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionInput {
    /// `training_courses.id`.
    pub course_id: i64,
    /// The course's name.
    pub course: String,
    /// The staff member (`users.id`).
    pub user_id: i64,
    /// The completion date (a date of the report's time zone).
    pub completed_on: NaiveDate,
}

/// A staff member the section reads: their role (staff are compared within a role) and whether
/// they are of the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffInput {
    /// `users.id`.
    pub id: i64,
    /// `admin`, `manager`, `agent` or `technician`.
    pub role: String,
    /// Of the scope (the team's member, the agent or technician themself; everyone for the
    /// company).
    pub in_scope: bool,
}

/// One per-ticket value credited to a staff member (docs/METRICS.md §11): a first reply in
/// business seconds, or a solve's reopen unit (1 reopened, 0 not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactInput {
    /// `users.id` of who wrote the first reply or recorded the latest solve.
    pub staff: i64,
    /// The instant placing it (`first_reply_at` or the latest solve), seconds since the epoch.
    pub at: i64,
    /// Business seconds, or 1/0.
    pub value: i64,
}

/// The section's inputs.
#[derive(Debug, Clone, Default)]
pub struct TrainingInputs {
    /// By course id, then staff id.
    pub completions: Vec<CompletionInput>,
    /// By id.
    pub staff: Vec<StaffInput>,
    /// First replies (`frt.v1`, business seconds), by instant, staff, value.
    pub first_replies: Vec<FactInput>,
    /// Reopen units (`reopen_rate.v1`), by instant, staff, value.
    pub reopens: Vec<FactInput>,
}

/// The cohorts of one course in the section.
struct CourseCohorts {
    course_id: i64,
    course: String,
    cohorts: Vec<Cohort>,
}

/// The courses with completions by staff of the scope within the eligibility period, by course
/// id, with their cohorts ([`effect::cohorts`], [`DEFAULT_WEEKS`] weeks in the report's zone).
/// Empty for organization and site scopes.
fn courses(params: &EvidenceParams, inputs: &TrainingInputs) -> Vec<CourseCohorts> {
    if matches!(params.scope, ScopeKind::Organization | ScopeKind::Site) {
        return Vec::new();
    }
    let in_scope: BTreeSet<i64> = inputs
        .staff
        .iter()
        .filter(|s| s.in_scope)
        .map(|s| s.id)
        .collect();
    let mut by_course: BTreeMap<i64, (String, Vec<(i64, NaiveDate)>)> = BTreeMap::new();
    for c in &inputs.completions {
        if in_scope.contains(&c.user_id)
            && c.completed_on >= params.eligibility.from
            && c.completed_on < params.eligibility.to
        {
            by_course
                .entry(c.course_id)
                .or_insert_with(|| (c.course.clone(), Vec::new()))
                .1
                .push((c.user_id, c.completed_on));
        }
    }
    by_course
        .into_iter()
        .filter_map(|(course_id, (course, pairs))| {
            Some(CourseCohorts {
                course_id,
                course,
                cohorts: effect::cohorts(&pairs, DEFAULT_WEEKS, params.zone())?,
            })
        })
        .collect()
}

/// The windows of every cohort of the section, merged: `[start, end)` seconds, ascending, disjoint.
fn windows(courses: &[CourseCohorts]) -> Vec<(i64, i64)> {
    let mut all: Vec<(i64, i64)> = courses
        .iter()
        .flat_map(|c| &c.cohorts)
        .flat_map(|c| [c.before, c.after])
        .map(|(a, b)| (a.timestamp(), b.timestamp()))
        .collect();
    all.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (a, b) in all {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

fn inside(windows: &[(i64, i64)], t: i64) -> bool {
    let i = windows.partition_point(|w| w.1 <= t);
    windows.get(i).is_some_and(|w| w.0 <= t)
}

/// Keeps the rows that count in the section: the completions of its courses, the facts inside a
/// cohort's window and at or before `as_of`, and the staff named by either (module documentation).
pub fn retain_relevant(inputs: &mut TrainingInputs, params: &EvidenceParams) {
    let courses = courses(params, inputs);
    let ids: BTreeSet<i64> = courses.iter().map(|c| c.course_id).collect();
    inputs.completions.retain(|c| ids.contains(&c.course_id));
    inputs.completions.sort_by_key(|c| (c.course_id, c.user_id));
    let windows = windows(&courses);
    let as_of = params.as_of.timestamp();
    for facts in [&mut inputs.first_replies, &mut inputs.reopens] {
        facts.retain(|f| f.at <= as_of && inside(&windows, f.at));
        facts.sort_by_key(|f| (f.at, f.staff, f.value));
    }
    let named: BTreeSet<i64> = inputs
        .completions
        .iter()
        .map(|c| c.user_id)
        .chain(inputs.first_replies.iter().map(|f| f.staff))
        .chain(inputs.reopens.iter().map(|f| f.staff))
        .collect();
    inputs.staff.retain(|s| named.contains(&s.id));
    inputs.staff.sort_by_key(|s| s.id);
}

/// The section reads the facts where they are (no copy as [`Fact`]s: a year's are more than a
/// million). An instant outside chrono's range is before every window, so it counts in none.
impl effect::StaffValue for FactInput {
    fn staff(&self) -> i64 {
        self.staff
    }
    fn at(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(self.at, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
    fn value(&self) -> f64 {
        self.value as f64
    }
}

/// The metrics of the section: id segment, label, definition, unit, decimals.
const METRICS: [(&str, &str, &str, Unit, i32); 2] = [
    (
        "first_reply_time",
        "first reply time (business seconds)",
        "frt.v1",
        Unit::Seconds,
        3,
    ),
    (
        "reopen_rate",
        "reopen rate",
        "reopen_rate.v1",
        Unit::Ratio,
        6,
    ),
];

/// The cells of the 2×2 table: id segment and label.
pub const CELLS: [(&str, &str); 4] = [
    ("trained_before", "trained staff, weeks before"),
    ("trained_after", "trained staff, weeks after"),
    ("untrained_before", "untrained staff, same weeks before"),
    ("untrained_after", "untrained staff, same weeks after"),
];

/// The training-effect section of `inputs` (already reduced by [`retain_relevant`]); `None` when
/// no staff of the scope completed a course within the eligibility period (and always for
/// organization and site scopes).
pub fn section(params: &EvidenceParams, inputs: &TrainingInputs) -> Option<TrainingSection> {
    let courses = courses(params, inputs);
    if courses.is_empty() {
        return None;
    }
    let role: BTreeMap<i64, &str> = inputs
        .staff
        .iter()
        .map(|s| (s.id, s.role.as_str()))
        .collect();
    let courses = courses
        .into_iter()
        .map(|course| {
            let in_section: BTreeSet<i64> = course
                .cohorts
                .iter()
                .flat_map(|c| c.staff.iter().copied())
                .collect();
            let roles: BTreeSet<&str> = in_section
                .iter()
                .filter_map(|id| role.get(id).copied())
                .collect();
            // Completers outside the section (another team, another period) are neither group.
            let trained_elsewhere: BTreeSet<i64> = inputs
                .completions
                .iter()
                .filter(|c| c.course_id == course.course_id && !in_section.contains(&c.user_id))
                .map(|c| c.user_id)
                .collect();
            let comparable: BTreeSet<i64> = inputs
                .staff
                .iter()
                .filter(|s| roles.contains(s.role.as_str()) && !trained_elsewhere.contains(&s.id))
                .map(|s| s.id)
                .collect();
            let mut untrained_staff = 0;
            let mut figures = Vec::new();
            for ((metric, label, definition, unit, decimals), facts) in
                METRICS.iter().zip([&inputs.first_replies, &inputs.reopens])
            {
                let (e, counts) = effect::effect_and_cells(
                    definition,
                    "",
                    &course.cohorts,
                    facts,
                    &comparable,
                    params.bootstrap_seed,
                );
                let prefix = format!("training.{}.{metric}", course.course_id);
                let cells: [(usize, Option<f64>); 4] = match &e.difference_in_differences {
                    Some(d) => [
                        &d.trained_before,
                        &d.trained_after,
                        &d.untrained_before,
                        &d.untrained_after,
                    ]
                    .map(|c| (c.n, Some(c.mean))),
                    None => counts.map(|n| (n, None)),
                };
                let total: usize = cells.iter().map(|c| c.0).sum();
                let fewest = cells.iter().map(|c| c.0).min().unwrap_or(0);
                if let Some(d) = &e.difference_in_differences {
                    untrained_staff = untrained_staff.max(d.untrained_staff as u64);
                }
                let d = e.difference_in_differences.as_ref();
                figures.push(Figure {
                    id: format!("{prefix}.did"),
                    label: format!(
                        "Training effect on {label}: difference in differences, trained minus untrained (negative: better after training)"
                    ),
                    definition,
                    unit: *unit,
                    value: d.map(|d| round(d.estimate, *decimals)),
                    n: total as u64,
                    successes: None,
                    interval: d.map(|d| Interval {
                        method: "cluster_bootstrap_percentile",
                        confidence: d.confidence,
                        low: d.low.map(|x| round(x, *decimals)),
                        high: d.high.map(|x| round(x, *decimals)),
                        seed: Some(d.seed),
                        resamples: Some(d.resamples),
                    }),
                    comparison: None,
                    change: None,
                    flags: Caution::too_few(fewest).into_iter().collect(),
                    note: None,
                });
                for ((cell, cell_label), (n, mean)) in CELLS.iter().zip(cells) {
                    figures.push(Figure {
                        id: format!("{prefix}.{cell}"),
                        label: format!("Mean {label}, {cell_label}"),
                        definition,
                        unit: *unit,
                        value: mean.map(|m| round(m, *decimals)),
                        n: n as u64,
                        successes: None,
                        interval: None,
                        comparison: None,
                        change: None,
                        flags: Caution::too_few(n).into_iter().collect(),
                        note: None,
                    });
                }
            }
            TrainingCourse {
                course_id: course.course_id,
                course: course.course,
                trained_staff: in_section.len() as u64,
                untrained_staff,
                figures,
            }
        })
        .collect();
    Some(TrainingSection {
        weeks: DEFAULT_WEEKS,
        courses,
    })
}

/// The section's method, in the methodology's words.
pub const METHOD: &str = "training effect: difference in differences of the per-ticket means (trained minus untrained, after minus before; docs/METRICS.md §10, §11), cohorts stacked by completion date, 95% cluster-bootstrap percentile interval over staff members with the report's bootstrap_seed";

#[derive(QueryableByName)]
struct CompletionRow {
    #[diesel(sql_type = BigInt)]
    course_id: i64,
    #[diesel(sql_type = Text)]
    course: String,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = diesel::sql_types::Date)]
    completed_on: NaiveDate,
}

#[derive(QueryableByName)]
struct StaffRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    in_scope: bool,
}

/// Reads the section's inputs in the caller's transaction: every completion (one query), every
/// staff member's role and scope membership (one query), then the first replies and reopen units
/// in the span of the section's windows up to `as_of`, through the effect endpoint's loader
/// ([`crate::models::training::effect_facts`], one query per kind) or, with `store` (a
/// metrics-store read at the caller's snapshot), from the store's attribution
/// ([`crate::metrics::store::Reader::training_facts`], the same facts in the same order). Nothing
/// for organization and site scopes.
///
/// # Errors
/// Database errors.
pub fn load(
    conn: &mut PgConnection,
    params: &EvidenceParams,
    calendar: Option<&crate::domain::calendar::BusinessCalendar>,
    store: Option<&crate::metrics::store::Reader<'_>>,
) -> QueryResult<TrainingInputs> {
    let in_scope = match params.scope {
        ScopeKind::Organization | ScopeKind::Site => return Ok(TrainingInputs::default()),
        ScopeKind::Company => "TRUE",
        ScopeKind::Team => "u.team_id IS NOT DISTINCT FROM $1",
        ScopeKind::Agent | ScopeKind::Technician => "u.id = $1",
    };
    let completions = diesel::sql_query(
        "SELECT c.course_id, co.name AS course, c.user_id, c.completed_on
           FROM training_completions c JOIN training_courses co ON co.id = c.course_id
          ORDER BY c.course_id, c.user_id",
    )
    .load::<CompletionRow>(conn)?
    .into_iter()
    .map(|r| CompletionInput {
        course_id: r.course_id,
        course: r.course,
        user_id: r.user_id,
        completed_on: r.completed_on,
    })
    .collect();
    let staff = diesel::sql_query(format!(
        "SELECT u.id, u.role::text AS role, ({in_scope}) AS in_scope FROM users u ORDER BY u.id"
    ))
    .bind::<BigInt, _>(params.scope_id.unwrap_or(0))
    .load::<StaffRow>(conn)?
    .into_iter()
    .map(|r| StaffInput {
        id: r.id,
        role: r.role,
        in_scope: r.in_scope,
    })
    .collect();
    let mut inputs = TrainingInputs {
        completions,
        staff,
        ..TrainingInputs::default()
    };
    let cohorts: Vec<Cohort> = courses(params, &inputs)
        .into_iter()
        .flat_map(|c| c.cohorts)
        .collect();
    let until = Some(params.as_of);
    let (first_replies, reopens) = match store {
        Some(reader) => reader.training_facts(&cohorts, until, calendar),
        None => crate::models::training::effect_facts(conn, &cohorts, true, until, calendar)?,
    };
    let as_input = |f: Fact| FactInput {
        staff: f.staff,
        at: f.at.timestamp(),
        // Whole seconds or 1/0: exact in an f64.
        value: f.value as i64,
    };
    inputs.first_replies = first_replies.into_iter().map(as_input).collect();
    inputs.reopens = reopens.into_iter().map(as_input).collect();
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::params::EvidenceRequest;

    const DAY: i64 = 86_400;
    /// 2026-01-20T00:00:00Z: staff 1 completes the course that day.
    const COMPLETED: i64 = 1_768_867_200;

    fn params(scope: &str) -> EvidenceParams {
        let mut body = serde_json::json!({
            "scope": scope, "from": "2026-01-01", "to": "2026-03-01", "comparison": "previous",
            "category": "training_innovation", "word_limit": 400,
            "as_of": "2026-03-10T00:00:00Z"});
        if scope != "company" {
            body["scope_id"] = serde_json::json!(1);
        }
        let r: EvidenceRequest = serde_json::from_value(body).unwrap();
        r.parse(Utc::now()).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn completion(user_id: i64, on: &str) -> CompletionInput {
        CompletionInput {
            course_id: 3,
            course: "Listening".into(),
            user_id,
            completed_on: date(on),
        }
    }

    fn staff(id: i64, role: &str, in_scope: bool) -> StaffInput {
        StaffInput {
            id,
            role: role.into(),
            in_scope,
        }
    }

    fn fact(staff: i64, days: i64, value: i64) -> FactInput {
        FactInput {
            staff,
            at: COMPLETED + days * DAY + 3600,
            value,
        }
    }

    /// Staff 1 (agent) completes on 2026-01-20; staff 5 (agent) completed in 2025, so is in
    /// neither group; staff 9 (agent) is untrained; staff 7 (technician) is not comparable.
    fn inputs() -> TrainingInputs {
        TrainingInputs {
            completions: vec![completion(1, "2026-01-20"), completion(5, "2025-06-01")],
            staff: vec![
                staff(1, "agent", true),
                staff(5, "agent", true),
                staff(7, "technician", true),
                staff(9, "agent", false),
                staff(11, "agent", false),
            ],
            first_replies: vec![
                fact(1, -3, 100),
                fact(1, -2, 200),
                fact(1, 0, 999), // the completion day: neither window
                fact(1, 2, 50),
                fact(5, -2, 10),
                fact(5, 2, 10_000),
                fact(7, -2, 10),
                fact(7, 2, 10_000),
                fact(9, -1, 80),
                fact(9, 3, 90),
                fact(11, 40, 5), // outside every window: not kept
            ],
            reopens: vec![
                fact(1, -3, 0),
                fact(1, -2, 1),
                fact(1, 2, 0),
                fact(9, -1, 0),
                fact(9, 3, 1),
            ],
        }
    }

    fn value(c: &TrainingCourse, id: &str) -> (Option<f64>, u64, usize) {
        let f = c.figures.iter().find(|f| f.id == id).unwrap();
        (f.value, f.n, f.flags.len())
    }

    #[test]
    fn the_section_is_the_difference_in_differences_of_the_scope_s_completers() {
        let p = params("company");
        let mut i = inputs();
        retain_relevant(&mut i, &p);
        assert_eq!(i.first_replies.len(), 9, "the fact 40 days on is dropped");
        assert_eq!(
            i.staff.iter().map(|s| s.id).collect::<Vec<_>>(),
            [1, 5, 7, 9]
        );
        let s = section(&p, &i).unwrap();
        assert_eq!(s.weeks, DEFAULT_WEEKS);
        let c = &s.courses[0];
        assert_eq!(
            (
                c.course_id,
                c.course.as_str(),
                c.trained_staff,
                c.untrained_staff
            ),
            (3, "Listening", 1, 1)
        );
        // Trained (50 − 150) − untrained (90 − 80) = −110; every cell too few.
        assert_eq!(
            value(c, "training.3.first_reply_time.did"),
            (Some(-110.0), 5, 1)
        );
        assert_eq!(
            value(c, "training.3.first_reply_time.trained_before"),
            (Some(150.0), 2, 1)
        );
        assert_eq!(
            value(c, "training.3.first_reply_time.untrained_after"),
            (Some(90.0), 1, 1)
        );
        // Reopens: (0 − 0.5) − (1 − 0) = −1.5.
        assert_eq!(value(c, "training.3.reopen_rate.did"), (Some(-1.5), 5, 1));
        let did = c
            .figures
            .iter()
            .find(|f| f.id == "training.3.first_reply_time.did")
            .unwrap();
        let iv = did.interval.as_ref().unwrap();
        assert_eq!(
            (iv.method, iv.seed, iv.resamples),
            (
                "cluster_bootstrap_percentile",
                Some(p.bootstrap_seed),
                Some(2000)
            )
        );
        assert_eq!(c.figures.len(), 10);
    }

    #[test]
    fn no_completion_of_the_scope_in_the_period_or_an_organization_scope_gives_no_section() {
        // The team scope (id 1): staff 1 is not a member now.
        let p = params("team");
        let mut i = inputs();
        i.staff[0].in_scope = false;
        i.staff[1].in_scope = false;
        retain_relevant(&mut i, &p);
        assert_eq!(section(&p, &i), None);
        assert!(i.completions.is_empty() && i.first_replies.is_empty() && i.staff.is_empty());
        let p = params("organization");
        assert_eq!(section(&p, &inputs()), None);
    }

    #[test]
    fn the_manifest_holds_the_training_lines() {
        let p = params("company");
        let mut i = crate::reports::inputs::Inputs {
            training: inputs(),
            ..Default::default()
        };
        retain_relevant(&mut i.training, &p);
        let lines = crate::reports::manifest::canonical_inputs(&i);
        assert!(lines.starts_with("c\t3\t1\t2026-01-20\t\"Listening\"\nc\t3\t5\t2025-06-01\t\"Listening\"\ns\t1\tagent\t1\n"), "{lines}");
        assert!(lines.contains(&format!("f\t1\t{}\t100\n", COMPLETED - 3 * DAY + 3600)));
        assert!(lines.contains(&format!("o\t9\t{}\t1\n", COMPLETED + 3 * DAY + 3600)));
        let before = crate::reports::manifest::manifest(&p, &i);
        i.training.first_replies[0].value = 101;
        let after = crate::reports::manifest::manifest(&p, &i);
        assert_ne!(before.inputs_sha256, after.inputs_sha256);
        assert_eq!(before.canonical_form, "frontline.evidence.inputs.v4");
    }
}
