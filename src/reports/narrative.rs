//! The written part of the evidence report: an achievements list and a draft essay (problem →
//! action → result), written by [`write()`] from the document's own figures only, and [`check`],
//! which `report verify` and the tests run on every document (docs/REPORTS.md, "Narrative").
//!
//! Rules [`write()`] keeps and [`check`] checks:
//!
//! - **Numbers are figures.** Every number in a sentence is the formatted value of a figure the
//!   sentence cites (its value, `n`, numerator, interval bounds, comparison value or `n`, change),
//!   formatted by the one function of its unit: [`format_duration`] (seconds),
//!   [`format_percent`] (ratios), [`format_count`] (counts); a negative value is stated by its
//!   magnitude with words ("faster", "from … to …"). No dates or years are written: the text says
//!   "the eligibility period" and "the comparison period", whose dates the report's parameters
//!   carry.
//! - **Nothing flagged is claimed.** A figure flagged "too few to conclude" is never cited; a
//!   before/after claim also needs a comparison value with at least 30 observations.
//! - **Direction.** "Fell", "rose", "faster" are written only in the direction the values went, and
//!   only improvements are claimed as such (lower first reply, resolution and reopen figures;
//!   higher rates otherwise); a figure that did not improve is stated as its current value.
//! - **Significance** is never claimed from a point estimate: a headline change is said to have
//!   non-overlapping confidence intervals only when the eligibility interval lies entirely on the
//!   better side of the comparison interval; a training effect's interval only when it lies
//!   entirely below zero.
//! - **No names**: the scope is "our contact center", "the team", "the agent", "the technician"
//!   (never its name); a course is "a training course" (never its name); a testimonial is quoted
//!   only when it holds no digit, no `@` and no anonymisation mark (`[name]` …).
//! - **Lengths**: at most [`MAX_ACHIEVEMENTS`] bullets of at most [`MAX_ACHIEVEMENT_WORDS`] words
//!   together; the essay within the parameters' `word_limit` (words are whitespace-separated
//!   tokens): sentences are taken in priority order while they fit, so a small limit gives a short
//!   but valid essay.

use super::document::{
    Claim, EssayParagraph, EvidenceDocument, Figure, Narrative, TrainingCourse, Unit,
};
use super::params::{AwardCategory, ScopeKind};
use crate::domain::inference::{Caution, MIN_OBSERVATIONS_PER_COHORT};
use std::collections::BTreeMap;

/// Most bullets of the achievements list.
pub const MAX_ACHIEVEMENTS: usize = 10;
/// Most words of the achievements list, all bullets together.
pub const MAX_ACHIEVEMENT_WORDS: usize = 150;
/// Most words of a quoted testimonial.
const MAX_QUOTE_WORDS: usize = 40;

// ---------------------------------------------------------------- formatting

/// A duration in words of its magnitude, `|seconds|` rounded: `45 s` under a minute, `12 min`
/// under an hour, `2 h 05 min` under a day, `3 d 4 h` from a day on (to the nearest unit shown).
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.abs().round() as u64;
    if s < 60 {
        return format!("{s} s");
    }
    let minutes = (s + 30) / 60;
    if minutes < 60 {
        return format!("{minutes} min");
    }
    if minutes < 24 * 60 {
        return format!("{} h {:02} min", minutes / 60, minutes % 60);
    }
    let hours = (s + 1800) / 3600;
    format!("{} d {} h", hours / 24, hours % 24)
}

/// A ratio as a percentage of its magnitude, to one decimal, without a trailing `.0`:
/// `0.125` → `12.5%`, `0.4` → `40%`.
pub fn format_percent(ratio: f64) -> String {
    let tenths = (ratio.abs() * 1000.0).round() as u64;
    if tenths.is_multiple_of(10) {
        format!("{}%", tenths / 10)
    } else {
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

/// A count of its magnitude, rounded, with thousands separated by commas: `1234` → `1,234`.
pub fn format_count(count: f64) -> String {
    let digits = (count.abs().round() as u64).to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `x` formatted by the function of `unit`.
pub fn format_value(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Seconds => format_duration(x),
        Unit::Ratio => format_percent(x),
        Unit::Count => format_count(x),
    }
}

/// Every string a sentence citing `f` may state: its value, interval bounds and change
/// (absolute in its unit, relative as a percentage) formatted by its unit's function, and its
/// `n`, numerator and comparison `n` as counts.
pub fn stated_forms(f: &Figure) -> Vec<String> {
    let mut forms = vec![format_count(f.n as f64)];
    let mut value = |x: Option<f64>| {
        if let Some(x) = x.filter(|x| x.is_finite()) {
            forms.push(format_value(f.unit, x));
        }
    };
    value(f.value);
    if let Some(i) = &f.interval {
        value(i.low);
        value(i.high);
    }
    if let Some(c) = &f.comparison {
        value(c.value);
    }
    if let Some(ch) = &f.change {
        value(Some(ch.absolute));
    }
    if let Some(c) = &f.comparison {
        forms.push(format_count(c.n as f64));
    }
    if let Some(k) = f.successes {
        forms.push(format_count(k as f64));
    }
    if let Some(r) = f.change.as_ref().and_then(|c| c.relative) {
        forms.push(format_percent(r));
    }
    forms
}

/// Words of `text`: its whitespace-separated tokens.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

fn too_few(f: &Figure) -> bool {
    f.flags
        .iter()
        .any(|c| matches!(c, Caution::TooFewToConclude { .. }))
}

/// A figure that may be stated: a value and no "too few to conclude".
fn usable(f: &Figure) -> Option<f64> {
    f.value.filter(|v| v.is_finite() && !too_few(f))
}

// ---------------------------------------------------------------- writing

#[derive(Clone, Copy, PartialEq, Eq)]
enum Better {
    Lower,
    Higher,
}

/// A headline figure the narrative can state: key, words, better direction, what `n` counts.
struct Metric {
    key: &'static str,
    name: &'static str,
    better: Better,
    noun: &'static str,
}

const METRICS: [Metric; 8] = [
    Metric {
        key: "first_reply_median",
        name: "median first reply time",
        better: Better::Lower,
        noun: "tickets",
    },
    Metric {
        key: "resolution_median_km",
        name: "median time to full resolution",
        better: Better::Lower,
        noun: "tickets",
    },
    Metric {
        key: "sla_attainment",
        name: "SLA attainment",
        better: Better::Higher,
        noun: "tickets",
    },
    Metric {
        key: "reopen_rate",
        name: "reopen rate",
        better: Better::Lower,
        noun: "solved tickets",
    },
    Metric {
        key: "one_touch_rate",
        name: "one-touch resolution rate",
        better: Better::Higher,
        noun: "solved tickets",
    },
    Metric {
        key: "fcr_rate",
        name: "first-contact resolution rate",
        better: Better::Higher,
        noun: "solved tickets",
    },
    Metric {
        key: "csat",
        name: "customer satisfaction (CSAT)",
        better: Better::Higher,
        noun: "ratings",
    },
    Metric {
        key: "first_time_fix",
        name: "first-time fix rate",
        better: Better::Higher,
        noun: "first visits",
    },
];

/// What the category puts first: headline keys and `training`, most important first.
fn priorities(category: AwardCategory) -> [&'static str; 9] {
    match category {
        AwardCategory::ContactCenterOfTheYear => [
            "first_reply_median",
            "resolution_median_km",
            "sla_attainment",
            "csat",
            "fcr_rate",
            "reopen_rate",
            "one_touch_rate",
            "first_time_fix",
            "training",
        ],
        AwardCategory::CustomerServiceTeam => [
            "csat",
            "first_reply_median",
            "fcr_rate",
            "sla_attainment",
            "resolution_median_km",
            "reopen_rate",
            "one_touch_rate",
            "first_time_fix",
            "training",
        ],
        AwardCategory::FrontLineProfessional => [
            "csat",
            "first_reply_median",
            "one_touch_rate",
            "fcr_rate",
            "reopen_rate",
            "resolution_median_km",
            "sla_attainment",
            "first_time_fix",
            "training",
        ],
        AwardCategory::FieldServiceTeam => [
            "first_time_fix",
            "csat",
            "sla_attainment",
            "resolution_median_km",
            "first_reply_median",
            "reopen_rate",
            "fcr_rate",
            "one_touch_rate",
            "training",
        ],
        AwardCategory::TrainingInnovation => [
            "training",
            "first_reply_median",
            "reopen_rate",
            "csat",
            "fcr_rate",
            "sla_attainment",
            "resolution_median_km",
            "one_touch_rate",
            "first_time_fix",
        ],
    }
}

fn award(category: AwardCategory) -> &'static str {
    match category {
        AwardCategory::ContactCenterOfTheYear => "Contact Center of the Year",
        AwardCategory::CustomerServiceTeam => "Customer Service Department or Team of the Year",
        AwardCategory::FrontLineProfessional => "Front-Line Professional of the Year",
        AwardCategory::FieldServiceTeam => "Field Service Team of the Year",
        AwardCategory::TrainingInnovation => "Training or Innovation in Customer Service",
    }
}

/// Whose work, without a name.
fn subject(scope: ScopeKind) -> &'static str {
    match scope {
        ScopeKind::Company => "our contact center",
        ScopeKind::Team => "the team",
        ScopeKind::Agent => "the agent",
        ScopeKind::Technician => "the technician",
        ScopeKind::Organization => "the staff serving this customer organization",
        ScopeKind::Site => "the staff serving this site",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

const PROBLEM: usize = 0;
const ACTION: usize = 1;
const RESULT: usize = 2;
const PARTS: [&str; 3] = ["problem", "action", "result"];

/// A sentence the essay may take: its paragraph, its priority (lower first), its place in the
/// paragraph.
struct Candidate {
    part: usize,
    priority: u32,
    order: u32,
    claim: Claim,
}

fn claim(text: String, figures: &[&Figure]) -> Claim {
    Claim {
        text,
        figures: figures.iter().map(|f| f.id.clone()).collect(),
    }
}

/// The before/after of an improved headline figure: (before, after, significant).
fn improvement(f: &Figure, better: Better) -> Option<(f64, f64, bool)> {
    let after = usable(f)?;
    let c = f.comparison.as_ref()?;
    let before = c.value.filter(|v| v.is_finite())?;
    if (c.n as usize) < MIN_OBSERVATIONS_PER_COHORT
        || format_value(f.unit, before) == format_value(f.unit, after)
    {
        return None;
    }
    let improved = match better {
        Better::Lower => after < before,
        Better::Higher => after > before,
    };
    if !improved {
        return None;
    }
    let bounds = |i: Option<&super::document::Interval>| i.and_then(|i| Some((i.low?, i.high?)));
    let significant = match (bounds(f.interval.as_ref()), bounds(c.interval.as_ref())) {
        (Some((lo, hi)), Some((clo, chi))) => match better {
            Better::Lower => hi < clo,
            Better::Higher => lo > chi,
        },
        _ => false,
    };
    Some((before, after, significant))
}

struct Writer<'a> {
    doc: &'a EvidenceDocument,
    essay: Vec<Candidate>,
    achievements: Vec<(u32, Claim)>,
}

impl<'a> Writer<'a> {
    fn headline(&self, key: &str) -> Option<&'a Figure> {
        let id = format!("headline.{key}");
        self.doc.headline.iter().find(|f| f.id == id)
    }

    fn sentence(&mut self, part: usize, priority: u32, order: u32, claim: Claim) {
        self.essay.push(Candidate {
            part,
            priority,
            order,
            claim,
        });
    }

    fn metric(&mut self, m: &Metric, rank: u32) {
        let Some(f) = self.headline(m.key) else {
            return;
        };
        let Some(after) = usable(f) else {
            return;
        };
        let base = 20 + 4 * rank;
        let n = format_count(f.n as f64);
        let now = format_value(f.unit, after);
        match improvement(f, m.better) {
            Some((before, _, significant)) => {
                let then = format_value(f.unit, before);
                let cn = f.comparison.as_ref().map_or(0, |c| c.n);
                let verb = if m.better == Better::Lower {
                    "fell"
                } else {
                    "rose"
                };
                let faster = match (f.unit, f.change.as_ref().and_then(|c| c.relative)) {
                    (Unit::Seconds, Some(r)) if r < 0.0 => {
                        format!(", {} faster", format_percent(r))
                    }
                    _ => String::new(),
                };
                let sig = if significant {
                    ", and the two periods' confidence intervals do not overlap"
                } else {
                    ""
                };
                self.sentence(
                    PROBLEM,
                    base + 1,
                    1 + rank,
                    claim(
                        format!(
                            "In the comparison period, the {} was {then} (n = {} {}).",
                            m.name,
                            format_count(cn as f64),
                            m.noun
                        ),
                        &[f],
                    ),
                );
                self.sentence(
                    RESULT,
                    base,
                    10 + rank,
                    claim(
                        format!(
                            "The {} {verb} from {then} to {now}{faster} (n = {n} {}){sig}.",
                            m.name, m.noun
                        ),
                        &[f],
                    ),
                );
                self.achievements.push((
                    base,
                    claim(
                        format!(
                            "{} {verb} from {then} to {now} (n = {n} {}).",
                            capitalised(m.name),
                            m.noun
                        ),
                        &[f],
                    ),
                ));
            }
            None => {
                let compared = f.comparison.as_ref().is_some_and(|c| {
                    c.value.is_some() && c.n as usize >= MIN_OBSERVATIONS_PER_COHORT
                });
                self.sentence(
                    RESULT,
                    base + 60,
                    10 + rank,
                    claim(
                        format!(
                            "In the eligibility period, the {} was {now} (n = {n} {}).",
                            m.name, m.noun
                        ),
                        &[f],
                    ),
                );
                // A figure that did not improve is no achievement; one without a comparison is
                // stated as it is.
                if !compared {
                    self.achievements.push((
                        base + 60,
                        claim(
                            format!("{}: {now} (n = {n} {}).", capitalised(m.name), m.noun),
                            &[f],
                        ),
                    ));
                }
            }
        }
    }

    fn course(&mut self, course: &'a TrainingCourse, rank: u32, index: u32) {
        let base = 20 + 4 * rank + 40 * index;
        let fig = |metric: &str, cell: &str| {
            let id = format!("training.{}.{metric}.{cell}", course.course_id);
            course.figures.iter().find(|f| f.id == id)
        };
        let cells = |metric: &str| -> Option<[(&'a Figure, String); 4]> {
            let get = |cell: &str| {
                let f = fig(metric, cell)?;
                Some((f, format_value(f.unit, usable(f)?)))
            };
            Some([
                get("trained_before")?,
                get("trained_after")?,
                get("untrained_before")?,
                get("untrained_after")?,
            ])
        };
        // First reply time: a negative estimate is faster after training.
        if let (Some(did), Some(c)) = (fig("first_reply_time", "did"), cells("first_reply_time"))
            && let Some(estimate) = usable(did).filter(|e| *e < 0.0)
            && format_duration(estimate) != format_duration(0.0)
        {
            let gain = format_duration(estimate);
            let n = format_count(did.n as f64);
            let below = did
                .interval
                .as_ref()
                .and_then(|i| i.high)
                .is_some_and(|h| h < 0.0);
            let sig = if below {
                "; the confidence interval of this effect lies entirely below zero"
            } else {
                ""
            };
            let [(tb, tbv), (ta, tav), (ub, ubv), (ua, uav)] = c;
            self.sentence(
                PROBLEM,
                base + 1,
                1 + rank,
                claim(
                    format!(
                        "Before their training course, the mean first reply time of the staff who took it was {tbv} (n = {} tickets).",
                        format_count(tb.n as f64)
                    ),
                    &[tb],
                ),
            );
            self.sentence(
                RESULT,
                base,
                10 + rank,
                claim(
                    format!(
                        "Against colleagues without the course over the same calendar weeks, trained staff's first replies became {gain} faster (n = {n} observations){sig}."
                    ),
                    &[did],
                ),
            );
            self.sentence(
                RESULT,
                base + 2,
                10 + rank,
                claim(
                    format!(
                        "After the course their mean first reply time was {tav}, while untrained colleagues' went from {ubv} to {uav} over the same weeks."
                    ),
                    &[ta, ub, ua],
                ),
            );
            self.achievements.push((
                base,
                claim(
                    format!(
                        "After training, first replies became {gain} faster than untrained colleagues' over the same weeks (n = {n} observations)."
                    ),
                    &[did],
                ),
            ));
        }
        // Reopen rate: a negative estimate is fewer reopens after training.
        if let (Some(did), Some(c)) = (fig("reopen_rate", "did"), cells("reopen_rate"))
            && usable(did).is_some_and(|e| e < 0.0)
        {
            let below = did
                .interval
                .as_ref()
                .and_then(|i| i.high)
                .is_some_and(|h| h < 0.0);
            let sig = if below {
                "; the confidence interval of the difference lies entirely below zero"
            } else {
                ""
            };
            let [(tb, tbv), (ta, tav), (ub, ubv), (ua, uav)] = c;
            self.sentence(
                RESULT,
                base + 3,
                10 + rank,
                claim(
                    format!(
                        "The reopen rate of trained staff went from {tbv} to {tav}, while untrained colleagues' went from {ubv} to {uav}{sig}."
                    ),
                    &[tb, ta, ub, ua, did],
                ),
            );
            self.achievements.push((
                base + 1,
                claim(
                    format!(
                        "Reopen rate of trained staff went from {tbv} to {tav} after training, against {ubv} to {uav} for untrained colleagues."
                    ),
                    &[tb, ta, ub, ua],
                ),
            ));
        }
    }

    fn testimonial(&mut self) {
        let quote = self.doc.testimonials.iter().find(|t| {
            t.rating >= 4
                && word_count(&t.quote) <= MAX_QUOTE_WORDS
                && !t.quote.is_empty()
                && !t
                    .quote
                    .chars()
                    .any(|c| c.is_ascii_digit() || matches!(c, '@' | '[' | ']' | '“' | '”'))
        });
        if let Some(t) = quote {
            self.sentence(
                RESULT,
                18,
                1000,
                claim(format!("One customer wrote: “{}”", t.quote.trim()), &[]),
            );
        }
    }
}

/// The narrative of `doc` (its `narrative` is ignored): a pure function of the figures, the
/// testimonials, the scope's kind and the parameters' category and word limit (module
/// documentation).
pub fn write(doc: &EvidenceDocument) -> Narrative {
    let params = &doc.parameters;
    let mut w = Writer {
        doc,
        essay: Vec::new(),
        achievements: Vec::new(),
    };
    let order = priorities(params.category);
    let training: Vec<&TrainingCourse> = doc.training.iter().flat_map(|t| &t.courses).collect();
    let training_led = params.category == AwardCategory::TrainingInnovation && !training.is_empty();

    // Problem: the frame.
    let frame = if training_led {
        format!(
            "This nomination for {} shows what changed after staff completed training, against colleagues who had not taken it over the same weeks, using only the figures of the attached evidence report.",
            award(params.category)
        )
    } else {
        format!(
            "This nomination for {} compares the work of {} in the eligibility period with the comparison period, using only the figures of the attached evidence report.",
            award(params.category),
            subject(params.scope)
        )
    };
    w.sentence(PROBLEM, 22, 0, claim(frame, &[]));

    // Action: what was measured, and the training.
    if !training.is_empty() {
        w.sentence(
            ACTION,
            if training_led { 24 } else { 60 },
            0,
            claim(
                "Staff completed a training course during the eligibility period, and the report compares their work in the weeks before and after it with that of colleagues who had not taken it, over the same calendar weeks.".to_string(),
                &[],
            ),
        );
    }
    if let Some(f) = w.headline("tickets_created")
        && let Some(v) = f.value
    {
        let text = match f.comparison.as_ref().and_then(|c| c.value) {
            Some(c) => format!(
                "In the eligibility period, {} tickets were created, against {} in the comparison period.",
                format_count(v),
                format_count(c)
            ),
            None => format!(
                "In the eligibility period, {} tickets were created.",
                format_count(v)
            ),
        };
        w.sentence(ACTION, 23, 1, claim(text, &[f]));
        w.achievements.push((
            90,
            claim(
                format!(
                    "{} tickets received in the eligibility period.",
                    format_count(v)
                ),
                &[f],
            ),
        ));
    }
    w.sentence(
        ACTION,
        70,
        2,
        claim(
            "Every figure is measured with the definitions in the report's methodology and can be recomputed from its manifest.".to_string(),
            &[],
        ),
    );

    // Results, in the category's order.
    for (rank, key) in order.iter().enumerate() {
        let rank = rank as u32;
        if *key == "training" {
            for (i, course) in training.iter().enumerate() {
                w.course(course, rank, i as u32);
            }
        } else if let Some(m) = METRICS.iter().find(|m| m.key == *key) {
            w.metric(m, rank);
        }
    }
    w.testimonial();

    // The essay: by priority while it fits, then in paragraph order.
    let limit = params.word_limit as usize;
    let mut candidates = w.essay;
    candidates.sort_by_key(|c| c.priority);
    let mut words = 0;
    let mut taken: Vec<Candidate> = Vec::new();
    for c in candidates {
        let n = word_count(&c.claim.text);
        if words + n <= limit {
            words += n;
            taken.push(c);
        }
    }
    taken.sort_by_key(|c| (c.part, c.order, c.priority));
    let mut paragraphs: BTreeMap<usize, Vec<Claim>> = BTreeMap::new();
    for c in taken {
        paragraphs.entry(c.part).or_default().push(c.claim);
    }
    let essay = paragraphs
        .into_iter()
        .map(|(part, sentences)| EssayParagraph {
            part: PARTS[part],
            sentences,
        })
        .collect();

    // Achievements: by priority while they fit.
    let mut bullets = w.achievements;
    bullets.sort_by_key(|(p, _)| *p);
    let mut achievements = Vec::new();
    let mut bullet_words = 0;
    for (_, c) in bullets {
        let n = word_count(&c.text);
        if achievements.len() < MAX_ACHIEVEMENTS && bullet_words + n <= MAX_ACHIEVEMENT_WORDS {
            bullet_words += n;
            achievements.push(c);
        }
    }
    Narrative {
        achievements,
        essay,
        essay_words: words as u32,
    }
}

mod check;
pub use check::check;

#[cfg(test)]
mod tests;
