//! The training-effect comparison (docs/METRICS.md §11): for one course, the figures of the staff
//! who completed it in the weeks before and after their completion date, against the staff who
//! never completed it over the same calendar weeks, as a difference in differences
//! ([`crate::domain::inference::difference_in_differences`], §10).
//!
//! Pure: the caller loads the completions and the per-ticket [`Fact`]s (first reply times credited
//! to the replier, reopen units credited to the solver) and passes them here.
//!
//! - **Windows.** A completion date `d` (a date of the reporting time zone) gives a *before*
//!   window, the `N` whole weeks up to the start of `d`, `[start(d − 7N), start(d))`, and an
//!   *after* window, the `N` weeks from the end of `d`, `[start(d + 1), start(d + 1 + 7N))`. The
//!   completion day itself is in neither: the staff member spent part of it in the course.
//! - **Cohorts.** The staff who completed the course on the same date form one cohort, with one
//!   pair of windows; the comparison group of a cohort is every staff member with a fact in its
//!   windows who never completed the course (a completion of another course does not matter).
//!   Only staff of a role some completer has are compared (agents with agents: a technician who
//!   solves field tickets is no comparison for a contact-center course).
//!   The cohorts are stacked: an untrained staff member's ticket counts once for every cohort
//!   whose window holds it, so that the untrained group covers the same calendar weeks, with the
//!   same weights, as the trained one.
//! - **Balance.** In each cohort, a staff member (trained or not) counts only when they have at
//!   least one value in the before window and one in the after window: someone who joined, left
//!   or changed work in between would otherwise change a group's mean by who is in it rather
//!   than by how they work. Trained staff left out are listed; untrained ones counted.

use super::buckets::start_of;
use super::inference::{CONFIDENCE_95, Caution, DidObservation, DidSums, DifferenceInDifferences};
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Resamples of the cluster bootstrap behind every interval of the report.
pub const RESAMPLES: usize = 2_000;

/// Most weeks before and after a completion the report compares.
pub const MAX_WEEKS: u32 = 26;

/// Weeks compared before and after a completion when none are named (the effect endpoint's
/// default, and the evidence report's training section's).
pub const DEFAULT_WEEKS: u32 = 4;

/// One per-ticket value credited to a staff member at the instant that places it in a window
/// (first reply: `first_reply_at`; reopen: the latest solve).
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// The staff member credited (`users.id`).
    pub staff: i64,
    /// The instant (UTC).
    pub at: DateTime<Utc>,
    /// Seconds of a duration, or 1/0 for a rate's unit; finite.
    pub value: f64,
}

/// The staff who completed the course on one date, with their windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    /// The completion date (reporting time zone).
    pub completed_on: NaiveDate,
    /// The staff who completed it that day, ascending.
    pub staff: Vec<i64>,
    /// `[start, end)` of the `N` weeks before the completion date.
    pub before: (DateTime<Utc>, DateTime<Utc>),
    /// `[start, end)` of the `N` weeks after the completion date.
    pub after: (DateTime<Utc>, DateTime<Utc>),
}

/// Groups `(staff, completion date)` pairs into [`Cohort`]s by date, ascending, with their
/// `weeks`-week windows in `zone`. `None` when `weeks` is 0 or a window does not exist (a date
/// at the edge of the calendar).
pub fn cohorts(completions: &[(i64, NaiveDate)], weeks: u32, zone: Tz) -> Option<Vec<Cohort>> {
    if weeks == 0 {
        return None;
    }
    let days = u64::from(weeks) * 7;
    let mut by_date: BTreeMap<NaiveDate, BTreeSet<i64>> = BTreeMap::new();
    for &(staff, date) in completions {
        by_date.entry(date).or_default().insert(staff);
    }
    let start = |date: NaiveDate| start_of(zone, date.and_hms_opt(0, 0, 0)?);
    by_date
        .into_iter()
        .map(|(date, staff)| {
            let next = date.checked_add_days(Days::new(1))?;
            Some(Cohort {
                completed_on: date,
                staff: staff.into_iter().collect(),
                before: (
                    start(date.checked_sub_days(Days::new(days))?)?,
                    start(date)?,
                ),
                after: (
                    start(next)?,
                    start(next.checked_add_days(Days::new(days))?)?,
                ),
            })
        })
        .collect()
}

/// The span `[earliest before start, latest after end)` of `cohorts`, the facts to load.
pub fn span(cohorts: &[Cohort]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let from = cohorts.iter().map(|c| c.before.0).min()?;
    let to = cohorts.iter().map(|c| c.after.1).max()?;
    Some((from, to))
}

/// The observations of the stacked cohorts and who was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Stacked {
    /// One observation per fact and cohort it counts in.
    pub observations: Vec<DidObservation<i64>>,
    /// Trained staff left out of their cohort (no value before, or none after), ascending.
    pub trained_left_out: Vec<i64>,
    /// Untrained staff with a value in some window who count in no cohort.
    pub untrained_left_out: usize,
}

/// A per-ticket value as [`stack`] reads it: [`Fact`], or a caller's own compact row (the
/// evidence report's, whole seconds), read without a copy.
pub trait StaffValue {
    /// The staff member credited (`users.id`).
    fn staff(&self) -> i64;
    /// The instant (UTC) that places the value in a window.
    fn at(&self) -> DateTime<Utc>;
    /// Seconds of a duration, or 1/0 for a rate's unit; finite.
    fn value(&self) -> f64;
}

impl StaffValue for Fact {
    fn staff(&self) -> i64 {
        self.staff
    }
    fn at(&self) -> DateTime<Utc> {
        self.at
    }
    fn value(&self) -> f64 {
        self.value
    }
}

/// Stacks `facts` into the observations of `cohorts` (module documentation): in each cohort, the
/// cohort's staff as trained and every staff member of `comparable` who completed the course in
/// no cohort as untrained, each kept only with a value in both windows. Facts of other staff are
/// ignored.
pub fn stack<F: StaffValue>(
    cohorts: &[Cohort],
    facts: &[F],
    comparable: &BTreeSet<i64>,
) -> Stacked {
    let mut observations = Vec::new();
    let (trained_left_out, untrained_left_out) = stack_each(
        cohorts,
        facts,
        comparable,
        |staff, trained, after, value| {
            observations.push(DidObservation {
                staff,
                trained,
                after,
                value,
            });
        },
    );
    Stacked {
        observations,
        trained_left_out,
        untrained_left_out,
    }
}

/// [`stack`]'s observations given one at a time to `observe(staff, trained, after, value)`, in
/// [`Stacked::observations`]' order, without a list of them; returns the trained staff left out
/// (ascending) and the number of untrained staff left out.
fn stack_each<F: StaffValue>(
    cohorts: &[Cohort],
    facts: &[F],
    comparable: &BTreeSet<i64>,
    mut observe: impl FnMut(i64, bool, bool, f64),
) -> (Vec<i64>, usize) {
    let completers: BTreeSet<i64> = cohorts
        .iter()
        .flat_map(|c| c.staff.iter().copied())
        .collect();
    // By (instant, staff), stable: the order of the facts given breaks ties.
    let by_instant = |f: &&F| (f.at(), f.staff());
    let mut sorted: Vec<&F> = facts.iter().collect();
    if !sorted.is_sorted_by_key(by_instant) {
        sorted.sort_by_key(by_instant);
    }
    let within = |(from, to): (DateTime<Utc>, DateTime<Utc>)| {
        let lo = sorted.partition_point(|f| f.at() < from);
        let hi = sorted.partition_point(|f| f.at() < to);
        sorted.get(lo..hi).unwrap_or(&[])
    };
    let mut trained_left_out = BTreeSet::new();
    let mut untrained_seen = BTreeSet::new();
    let mut untrained_counted = BTreeSet::new();
    for cohort in cohorts {
        let members: BTreeSet<i64> = cohort.staff.iter().copied().collect();
        // staff → (before values, after values), for the staff this cohort can count.
        let mut values: BTreeMap<i64, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for (period, after) in [(cohort.before, false), (cohort.after, true)] {
            for fact in within(period) {
                let staff = fact.staff();
                let trained = members.contains(&staff);
                if !trained && (completers.contains(&staff) || !comparable.contains(&staff)) {
                    continue; // trained in another cohort, or not comparable: neither group
                }
                if !trained {
                    untrained_seen.insert(staff);
                }
                let entry = values.entry(staff).or_default();
                if after {
                    entry.1.push(fact.value());
                } else {
                    entry.0.push(fact.value());
                }
            }
        }
        for &member in &members {
            if !values
                .get(&member)
                .is_some_and(|(b, a)| !b.is_empty() && !a.is_empty())
            {
                trained_left_out.insert(member);
            }
        }
        for (staff, (before, after)) in values {
            if before.is_empty() || after.is_empty() {
                continue;
            }
            let trained = members.contains(&staff);
            if !trained {
                untrained_counted.insert(staff);
            }
            for (list, is_after) in [(before, false), (after, true)] {
                for value in list {
                    observe(staff, trained, is_after, value);
                }
            }
        }
    }
    (
        trained_left_out.into_iter().collect(),
        untrained_seen.difference(&untrained_counted).count(),
    )
}

/// A small-sample flag on one cell of the 2×2 table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CellFlag {
    /// `trained_before`, `trained_after`, `untrained_before` or `untrained_after`.
    pub cell: String,
    /// The flag (`too_few_to_conclude` below 30 observations).
    pub caution: Caution,
}

/// The training effect on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricEffect {
    /// The METRICS.md id of the per-ticket value (`frt.v1`, `reopen_rate.v1`).
    pub metric: String,
    /// `seconds` (a duration: negative estimate = faster after training) or `fraction` (a rate's
    /// units 1/0: negative = fewer reopens after training).
    pub unit: String,
    /// The estimate, its 95 % interval, the four cells (observations and means), the staff
    /// counts, the resamples and the seed; `null` when a cell is empty (nobody to compare).
    pub difference_in_differences: Option<DifferenceInDifferences>,
    /// "Too few to conclude" for each cell with fewer than 30 observations (empty cells included).
    pub flags: Vec<CellFlag>,
    /// Trained staff left out: no value in the weeks before their completion, or none after.
    pub trained_staff_left_out: Vec<i64>,
    /// Untrained staff with values in the weeks compared who count in no cohort (no value before,
    /// or none after).
    pub untrained_staff_left_out: usize,
}

/// The training effect on one metric: [`stack`] (untrained staff taken from `comparable`), then
/// the difference in differences with [`RESAMPLES`] cluster-bootstrap resamples from `seed`, and
/// the cells' flags.
pub fn effect<F: StaffValue>(
    metric: &str,
    unit: &str,
    cohorts: &[Cohort],
    facts: &[F],
    comparable: &BTreeSet<i64>,
    seed: u64,
) -> MetricEffect {
    effect_and_cells(metric, unit, cohorts, facts, comparable, seed).0
}

/// [`effect`] and the observations in each cell of its 2×2 table (trained before, trained
/// after, untrained before, untrained after), known even when the estimate is not (an empty
/// cell). The stacked observations are summed as they are made, never listed.
pub fn effect_and_cells<F: StaffValue>(
    metric: &str,
    unit: &str,
    cohorts: &[Cohort],
    facts: &[F],
    comparable: &BTreeSet<i64>,
    seed: u64,
) -> (MetricEffect, [usize; 4]) {
    let mut sums = DidSums::new();
    let (trained_left_out, untrained_left_out) = stack_each(
        cohorts,
        facts,
        comparable,
        |staff, trained, after, value| sums.push(staff, trained, after, value),
    );
    let counts = sums.cells();
    let flags = [
        "trained_before",
        "trained_after",
        "untrained_before",
        "untrained_after",
    ]
    .iter()
    .zip(counts)
    .filter_map(|(cell, n)| {
        Caution::too_few(n).map(|caution| CellFlag {
            cell: (*cell).to_string(),
            caution,
        })
    })
    .collect();
    let effect = MetricEffect {
        metric: metric.to_string(),
        unit: unit.to_string(),
        difference_in_differences: sums.estimate(RESAMPLES, seed, CONFIDENCE_95),
        flags,
        trained_staff_left_out: trained_left_out,
        untrained_staff_left_out: untrained_left_out,
    };
    (effect, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
    }

    fn fact(staff: i64, at: DateTime<Utc>, value: f64) -> Fact {
        Fact { staff, at, value }
    }

    #[test]
    fn windows_are_whole_local_weeks_around_the_completion_day() {
        let c = cohorts(
            &[(7, date(2026, 3, 11)), (5, date(2026, 3, 11))],
            2,
            Tz::UTC,
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].staff, vec![5, 7]);
        assert_eq!(c[0].before, (at(2, 25, 0), at(3, 11, 0)));
        assert_eq!(c[0].after, (at(3, 12, 0), at(3, 26, 0)));
        // Chicago: midnight is 06:00 UTC in winter and 05:00 UTC after the DST change (Mar 8).
        let c = cohorts(&[(1, date(2026, 3, 11))], 1, chrono_tz::America::Chicago).unwrap();
        assert_eq!(c[0].before, (at(3, 4, 6), at(3, 11, 5)));
        assert_eq!(c[0].after, (at(3, 12, 5), at(3, 19, 5)));
        assert_eq!(cohorts(&[(1, date(2026, 3, 11))], 0, Tz::UTC), None);
        assert_eq!(span(&[]), None);
    }

    #[test]
    fn stacks_cohorts_and_leaves_out_staff_without_both_periods() {
        // Cohort A: staff 1 on Mar 11; cohort B: staff 2 on Mar 18; one week each.
        let c = cohorts(
            &[(1, date(2026, 3, 11)), (2, date(2026, 3, 18))],
            1,
            Tz::UTC,
        )
        .unwrap();
        assert_eq!(span(&c), Some((at(3, 4, 0), at(3, 26, 0))));
        let facts = vec![
            fact(1, at(3, 5, 9), 100.0),  // A before
            fact(1, at(3, 11, 9), 999.0), // the completion day: in neither window
            fact(1, at(3, 13, 9), 40.0),  // A after (and B before: staff 1 is trained, skipped)
            fact(2, at(3, 13, 9), 70.0),  // B before; in A staff 2 is trained elsewhere: skipped
            fact(2, at(3, 20, 9), 50.0),  // B after
            fact(9, at(3, 6, 9), 80.0),   // untrained: A before
            fact(9, at(3, 14, 9), 90.0),  // A after and B before
            fact(9, at(3, 21, 9), 60.0),  // B after
            fact(8, at(3, 6, 9), 10.0),   // untrained, before only: left out everywhere
        ];
        let comparable: BTreeSet<i64> = [1, 2, 8, 9].into();
        let s = stack(&c, &facts, &comparable);
        assert_eq!(s.trained_left_out, Vec::<i64>::new());
        assert_eq!(s.untrained_left_out, 1);
        let seen: Vec<(i64, bool, bool, f64)> = s
            .observations
            .iter()
            .map(|o| (o.staff, o.trained, o.after, o.value))
            .collect();
        assert_eq!(
            seen,
            vec![
                (1, true, false, 100.0),
                (1, true, true, 40.0),
                (9, false, false, 80.0),
                (9, false, true, 90.0),
                (2, true, false, 70.0),
                (2, true, true, 50.0),
                (9, false, false, 90.0),
                (9, false, true, 60.0),
            ]
        );
        // Trained: before (100 + 70)/2 = 85, after (40 + 50)/2 = 45, change −40.
        // Untrained: before (80 + 90)/2 = 85, after (90 + 60)/2 = 75, change −10. DiD −30.
        let e = effect("frt.v1", "seconds", &c, &facts, &comparable, 1);
        let did = e.difference_in_differences.unwrap();
        // Staff 9 not comparable (another role): no untrained group, no estimate.
        let only_8: BTreeSet<i64> = [8].into();
        assert_eq!(stack(&c, &facts, &only_8).untrained_left_out, 1);
        assert_eq!(
            effect("frt.v1", "seconds", &c, &facts, &only_8, 1).difference_in_differences,
            None
        );
        assert_eq!(did.estimate, -30.0);
        assert_eq!((did.trained_staff, did.untrained_staff), (2, 1));
        assert_eq!(did.trained_before.mean, 85.0);
        assert_eq!(did.untrained_after.mean, 75.0);
        assert_eq!(e.flags.len(), 4);
        assert_eq!(e.flags[0].cell, "trained_before");
        assert_eq!(
            e.flags[0].caution,
            Caution::TooFewToConclude {
                observations: 2,
                minimum: 30
            }
        );
    }

    #[test]
    fn a_trained_member_without_values_after_is_listed_and_an_empty_group_gives_no_estimate() {
        let c = cohorts(&[(1, date(2026, 3, 11))], 1, Tz::UTC).unwrap();
        let facts = vec![fact(1, at(3, 5, 9), 100.0), fact(9, at(3, 6, 9), 80.0)];
        let e = effect("frt.v1", "seconds", &c, &facts, &[9].into(), 1);
        assert_eq!(e.trained_staff_left_out, vec![1]);
        assert_eq!(e.untrained_staff_left_out, 1);
        assert_eq!(e.difference_in_differences, None);
        assert_eq!(e.flags.len(), 4);
    }

    #[test]
    fn the_summed_effect_equals_the_difference_in_differences_of_the_listed_observations() {
        // effect sums the stacked observations as they are made; the estimate, interval and
        // cells are bit for bit those of difference_in_differences over stack's list, with
        // fractional values (whose sums depend on the order) and facts given out of order.
        use crate::domain::inference::difference_in_differences;
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let c = cohorts(
            &[
                (1, date(2026, 3, 11)),
                (2, date(2026, 3, 11)),
                (3, date(2026, 3, 25)),
            ],
            2,
            Tz::UTC,
        )
        .unwrap();
        let facts: Vec<Fact> = (0..3_000)
            .map(|_| {
                let day = rng.random_range(0..60);
                let staff = rng.random_range(1..12);
                let at = at(2, 20, 0) + chrono::Duration::hours(day * 24 + rng.random_range(0..24));
                fact(staff, at, rng.random::<f64>() * 1_000.0)
            })
            .collect();
        let comparable: BTreeSet<i64> = (1..11).collect();
        let (e, cells) = effect_and_cells("frt.v1", "seconds", &c, &facts, &comparable, 5);
        let listed = stack(&c, &facts, &comparable);
        let expected = difference_in_differences(&listed.observations, RESAMPLES, 5, CONFIDENCE_95);
        assert!(expected.is_some());
        assert_eq!(e.difference_in_differences, expected);
        assert_eq!(e.trained_staff_left_out, listed.trained_left_out);
        assert_eq!(e.untrained_staff_left_out, listed.untrained_left_out);
        let mut counted = [0; 4];
        for o in &listed.observations {
            counted[usize::from(!o.trained) * 2 + usize::from(o.after)] += 1;
        }
        assert_eq!(cells, counted);
        assert!(cells.iter().all(|&n| n > 0), "{cells:?}");
    }
}
