//! Kaplan–Meier survival with right-censoring (moved unchanged from `inference.rs`).

use super::{SURVIVAL_HALF_TOLERANCE, Serialize, normal_critical_value, percentile_cont};

// ------------------------------------------------------------------------------------------------
// 3. Kaplan–Meier
// ------------------------------------------------------------------------------------------------

/// One observation of a time to an event: a ticket solved after `duration` seconds, or still open
/// at the period's end, `duration` seconds after it started (right-censored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeToEvent {
    /// Seconds from the start to the event, or to the censoring instant (≥ 0).
    pub duration: i64,
    /// `true`: the event happened (solved); `false`: censored (still open at the period's end).
    pub event: bool,
}

impl TimeToEvent {
    /// An observed event after `duration` seconds.
    pub fn event(duration: i64) -> TimeToEvent {
        TimeToEvent {
            duration,
            event: true,
        }
    }

    /// An observation censored after `duration` seconds.
    pub fn censored(duration: i64) -> TimeToEvent {
        TimeToEvent {
            duration,
            event: false,
        }
    }
}

/// The Kaplan–Meier curve at one observed time (an event or a censoring time).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SurvivalStep {
    /// The time, seconds.
    pub time: i64,
    /// Observations still at risk just before `time` (those censored at `time` included).
    pub at_risk: u64,
    /// Events at `time`.
    pub events: u64,
    /// Observations censored at `time`.
    pub censored: u64,
    /// S(t): the estimated share still without the event just after `time`, in [0, 1].
    pub survival: f64,
    /// Lower bound of the pointwise log(−log) interval of S(t), in [0, 1].
    pub low: f64,
    /// Upper bound of the pointwise log(−log) interval of S(t), in [0, 1].
    pub high: f64,
}

/// The Kaplan–Meier estimate of a time to an event with right-censoring.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KaplanMeier {
    /// Number of observations.
    pub n: usize,
    /// Observed events.
    pub events: usize,
    /// Censored observations.
    pub censored: usize,
    /// The curve at every distinct observed time, ascending.
    pub curve: Vec<SurvivalStep>,
    /// The Kaplan–Meier median, seconds: the first time with S(t) ≤ ½; `None` when the curve
    /// never gets there (too many censored, or all).
    pub median: Option<i64>,
    /// Lower bound of the median's interval, seconds: the first time the interval's lower curve
    /// is ≤ ½; `None` when it never is.
    pub median_low: Option<i64>,
    /// Upper bound of the median's interval, seconds: the first time the interval's upper curve
    /// is ≤ ½; `None` when it never is (the interval is unbounded above).
    pub median_high: Option<i64>,
    /// The naive median of the observed events only (`percentile_cont(0.5)` of the solved
    /// tickets' durations, censored ones left out), seconds; biased low when tickets are still
    /// open, shown beside the Kaplan–Meier median and labelled as such. `None` without events.
    pub naive_median_of_events: Option<f64>,
    /// The intervals' confidence level.
    pub confidence: f64,
}

/// The Kaplan–Meier survival curve of `observations`, its median and the median's interval,
/// as lifelines' `KaplanMeierFitter` reports them (shared specification: "time to resolution over
/// a period that still has open tickets: Kaplan–Meier median, open tickets censored").
///
/// - At a time `t` with `d` events, `c` censorings and `n` at risk just before `t`,
///   S(t) = S(t⁻)·(n − d)/n: observations censored at `t` still count at risk at `t` (lifelines'
///   convention for an event and a censoring at the same time).
/// - Pointwise interval: Greenwood's variance `V(t) = Σ d/(n(n − d))` (a step with `n = d`
///   adds 0, as lifelines) on the log(−log) scale ("exponential Greenwood"):
///   `exp(−exp(ln(−ln S) ∓ z·√V / ln S))`. Where S(t) = 1 (before the first event) the interval is
///   [1, 1] and where S(t) = 0 it is [0, 0], as lifelines reports them.
/// - Median (lifelines' `median_survival_time_`): the first time with S(t) ≤ ½, so a curve that
///   reaches exactly ½ at `t` has median `t` (R's `survfit` would take the midpoint to the next
///   event time). Its interval (lifelines' `median_survival_times(kmf.confidence_interval_)`):
///   the first times the lower and the upper curves are ≤ ½. "≤ ½" allows
///   [`SURVIVAL_HALF_TOLERANCE`] for rounding: lifelines computes S as `exp(Σ ln((n − d)/n))` and
///   on a curve that reaches exactly ½ its rounding can leave S one bit above ½ and move its
///   median to the next event time; Frontline takes the exact value.
///
/// `None` when `observations` is empty, a duration is negative or `confidence` is outside (0, 1).
pub fn kaplan_meier(observations: &[TimeToEvent], confidence: f64) -> Option<KaplanMeier> {
    let z = normal_critical_value(confidence)?;
    let sorted = sorted_durations(observations)?;
    let mut curve: Vec<SurvivalStep> = Vec::new();
    walk(&sorted, z, |step| {
        curve.push(step);
        true
    });
    let first_at_or_below_half = |value: fn(&SurvivalStep) -> f64| {
        curve
            .iter()
            .find(|step| at_or_below_half(value(step)))
            .map(|step| step.time)
    };
    let median = first_at_or_below_half(|s| s.survival);
    let median_low = first_at_or_below_half(|s| s.low);
    let median_high = first_at_or_below_half(|s| s.high);

    let solved: Vec<i64> = sorted
        .iter()
        .filter(|o| o.event)
        .map(|o| o.duration)
        .collect();
    let events = solved.len();
    Some(KaplanMeier {
        n: sorted.len(),
        events,
        censored: sorted.len() - events,
        curve,
        median,
        median_low,
        median_high,
        naive_median_of_events: percentile_cont(&solved, 0.5),
        confidence,
    })
}

/// The Kaplan–Meier median and its interval, seconds: exactly [`kaplan_meier`]'s `median`,
/// `median_low` and `median_high`, without its curve (one step per distinct time: 56 bytes each,
/// tens of megabytes over a year of a million tickets). The curve is walked once and left as
/// soon as the upper curve reaches ½ (the lower curve and S reach it no later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MedianSurvival {
    /// Number of observations.
    pub n: usize,
    /// The first time with S(t) ≤ ½ (`None`: never).
    pub median: Option<i64>,
    /// The first time the interval's lower curve is ≤ ½ (`None`: never).
    pub median_low: Option<i64>,
    /// The first time the interval's upper curve is ≤ ½ (`None`: never, unbounded above).
    pub median_high: Option<i64>,
}

/// [`kaplan_meier`]'s median and its interval ([`MedianSurvival`]); `None` in the same cases.
pub fn kaplan_meier_median(
    observations: &[TimeToEvent],
    confidence: f64,
) -> Option<MedianSurvival> {
    let z = normal_critical_value(confidence)?;
    let sorted = sorted_durations(observations)?;
    let mut m = MedianSurvival {
        n: sorted.len(),
        median: None,
        median_low: None,
        median_high: None,
    };
    walk(&sorted, z, |step| {
        for (slot, value) in [
            (&mut m.median, step.survival),
            (&mut m.median_low, step.low),
            (&mut m.median_high, step.high),
        ] {
            if slot.is_none() && at_or_below_half(value) {
                *slot = Some(step.time);
            }
        }
        m.median_high.is_none() || m.median.is_none() || m.median_low.is_none()
    });
    Some(m)
}

/// Whether a survival value counts as at or below ½ ([`SURVIVAL_HALF_TOLERANCE`]).
fn at_or_below_half(value: f64) -> bool {
    value <= 0.5 + SURVIVAL_HALF_TOLERANCE
}

/// A copy of `observations` ascending by duration; `None` when empty or a duration is negative.
fn sorted_durations(observations: &[TimeToEvent]) -> Option<Vec<TimeToEvent>> {
    if observations.is_empty() || observations.iter().any(|o| o.duration < 0) {
        return None;
    }
    let mut sorted = observations.to_vec();
    sorted.sort_unstable_by_key(|o| o.duration);
    Some(sorted)
}

/// Calls `visit` with the curve's step at each distinct time of `sorted` (ascending by
/// duration), in order, until it returns `false` (the estimator of [`kaplan_meier`]).
fn walk(sorted: &[TimeToEvent], z: f64, mut visit: impl FnMut(SurvivalStep) -> bool) {
    let mut at_risk = sorted.len() as u64;
    let mut survival = 1.0_f64;
    let mut variance = 0.0_f64;
    let mut any_event = false;
    let mut reached_zero = false;
    let mut rest = sorted;
    while let Some(first) = rest.first() {
        let time = first.duration;
        let same = rest.iter().take_while(|o| o.duration == time).count();
        let (here, after) = rest.split_at(same);
        rest = after;
        let events = here.iter().filter(|o| o.event).count() as u64;
        let censored = same as u64 - events;
        if events > 0 {
            any_event = true;
            let (n, d) = (at_risk as f64, events as f64);
            survival *= (n - d) / n;
            if events < at_risk {
                variance += d / (n * (n - d));
            } else {
                reached_zero = true;
                survival = 0.0;
            }
        }
        let (low, high) = if !any_event {
            (1.0, 1.0)
        } else if reached_zero {
            (0.0, 0.0)
        } else {
            log_log_bounds(survival, variance, z)
        };
        let more = visit(SurvivalStep {
            time,
            at_risk,
            events,
            censored,
            survival,
            low,
            high,
        });
        if !more {
            return;
        }
        at_risk -= same as u64;
    }
}

/// The log(−log) bounds of S in (0, 1) with Greenwood variance `variance` and critical value `z`.
/// Kept inside [0, 1] and free of NaN.
fn log_log_bounds(survival: f64, variance: f64, z: f64) -> (f64, f64) {
    let v = survival.ln();
    if !(v < 0.0 && v.is_finite()) {
        return (survival, survival);
    }
    let spread = z * variance.sqrt() / v;
    let bound = |sign: f64| {
        let b = (-((-v).ln() + sign * spread).exp()).exp();
        if b.is_finite() {
            b.clamp(0.0, 1.0)
        } else {
            survival
        }
    };
    (bound(-1.0), bound(1.0))
}
