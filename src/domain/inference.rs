//! The statistics of the evidence and bake-off reports: intervals, two-cohort tests, the
//! multiple-comparison correction, the training-effect estimate, and the small-sample flags
//! (docs/METRICS.md §10, "Statistics of the evidence and bake-off reports"; the shared
//! specification's "Statistics in evidence and bake-off reports").
//!
//! Every function here is pure and panic-free. Empty or invalid inputs (no observations, a count
//! above its total, a confidence level outside (0, 1), a negative duration, a non-finite value)
//! give `None`; no public result holds a NaN or an infinity, and each result's fields say what they
//! mean where a statistic is undefined. Durations are seconds (`i64`), as everywhere in Frontline;
//! rates are fractions in [0, 1]; `confidence` is a level such as [`CONFIDENCE_95`].
//!
//! Each method follows one reference implementation, named in its documentation, and the tests
//! pin its figures to that tool's output on small, tied, one-sided, equal, zero-success,
//! all-success and censored fixtures (scripts/inference_reference.py prints them):
//!
//! | statistic | function | reference |
//! |---|---|---|
//! | Wilson score interval of a rate | [`wilson`] | statsmodels `proportion_confint(method='wilson')` |
//! | median with a bootstrap percentile interval | [`bootstrap_median`] | `scipy.stats.bootstrap(method='percentile')` |
//! | Kaplan–Meier curve, median and its interval | [`kaplan_meier`] | lifelines `KaplanMeierFitter` |
//! | Mann–Whitney U, rank-biserial correlation | [`mann_whitney`] | `scipy.stats.mannwhitneyu(method='auto')` |
//! | two-proportion z-test, difference, Cohen's h | [`two_proportions`] | statsmodels `proportions_ztest`, `confint_proportions_2indep(method='newcomb')`, `proportion_effectsize` |
//! | Holm's step-down correction | [`holm`] | statsmodels `multipletests(method='holm')` |
//! | difference in differences | [`difference_in_differences`] | statsmodels OLS `y ~ trained * after` (the point estimate) |
//!
//! The normal distribution (CDF, survival function, quantile) is statrs'. statrs also has a
//! Mann–Whitney test, which is not used: it compares every pair of values to check that they are
//! comparable (O(n²)), and its exact p-value enumerates every subset of ranks (C(n₁+n₂, k)), which
//! does not finish for a cohort of 5 against one of a thousand, where SciPy's `auto` is exact.
//!
//! Random resampling uses `rand_chacha::ChaCha8Rng::seed_from_u64(seed)`: rand_core's PCG32 seed
//! expansion and the ChaCha8 stream are both value-stable (changing either is a value-breaking
//! release of those crates), and a test pins the stream's first words to an independent
//! implementation in the reference script. Indices are drawn with [`uniform_index`], our own rule
//! on the stream's 64-bit words rather than `rand`'s sampling code, so a seed gives the same
//! interval on every platform and whatever `rand` does.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::stats::{percentile_cont, percentile_cont_f64};

/// The confidence level of every interval the reports print (95 %).
pub const CONFIDENCE_95: f64 = 0.95;

/// A cohort with fewer observations than this is flagged "too few to conclude" (the shared
/// specification's threshold).
pub const MIN_OBSERVATIONS_PER_COHORT: usize = 30;

/// A CSAT figure from fewer ratings than this is flagged as wider than ±5 points: the 95 % interval
/// of a rate near 50 % from `n` ratings is about ±1.96·√(0.25 / n), which is 4.9 points at 400.
pub const MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS: usize = 400;

/// A survival probability within this of ½ counts as ½ when the Kaplan–Meier median and its
/// interval are read off the curves (the curve is a product of fractions whose floating-point
/// rounding can put an exact ½ one bit above it).
pub const SURVIVAL_HALF_TOLERANCE: f64 = 1e-12;

/// Above this many coefficients (two buffers of 16 MiB) the exact Mann–Whitney distribution is not
/// built and the normal approximation is used instead (see [`mann_whitney`]).
pub const MANN_WHITNEY_EXACT_MAX_COEFFICIENTS: usize = 1 << 20;

// ------------------------------------------------------------------------------------------------
// Shared pieces
// ------------------------------------------------------------------------------------------------

/// The two-sided normal critical value of a confidence level, `Φ⁻¹(1 − (1 − confidence)/2)`
/// (1.959963984540054 for 95 %); `None` outside (0, 1).
pub fn normal_critical_value(confidence: f64) -> Option<f64> {
    if !is_level(confidence) {
        return None;
    }
    Some(Normal::standard().inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
}

/// Whether `level` is a confidence level or a significance level: strictly between 0 and 1.
fn is_level(level: f64) -> bool {
    level > 0.0 && level < 1.0
}

/// The standard normal survival function `1 − Φ(z)`, accurate in the tail.
fn normal_sf(z: f64) -> f64 {
    Normal::standard().sf(z)
}

/// The fractions of the bootstrap distribution that bound a two-sided percentile interval:
/// `α = (1 − confidence)/2` and `1 − α`, computed as SciPy computes them.
fn percentile_bounds(confidence: f64) -> Option<(f64, f64)> {
    if !is_level(confidence) {
        return None;
    }
    let alpha = (1.0 - confidence) / 2.0;
    Some((alpha, 1.0 - alpha))
}

/// An index drawn uniformly from `0..n` with Lemire's method on the generator's 64-bit words:
/// `m = next_u64() · n` as a 128-bit product; while the low 64 bits of `m` are below
/// `2⁶⁴ mod n`, draw again; the index is the high 64 bits of `m`. Unbiased; it is the rule the
/// reference script re-implements, and it does not depend on `rand`'s own sampling code. `n = 0`
/// gives 0 (callers never draw from an empty set).
pub fn uniform_index(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let n = n as u64;
    if n == 0 {
        return 0;
    }
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    let mut low = m as u64;
    if low < n {
        let threshold = n.wrapping_neg() % n;
        while low < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
            low = m as u64;
        }
    }
    (m >> 64) as usize
}

/// Sorts floating-point values ascending (IEEE total order; inputs here are finite).
fn sort_f64(values: &mut [f64]) {
    values.sort_unstable_by(f64::total_cmp);
}

// ------------------------------------------------------------------------------------------------
// 1. Wilson score interval
// ------------------------------------------------------------------------------------------------

/// A rate with its Wilson score interval.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Proportion {
    /// Observations that meet the condition.
    pub successes: u64,
    /// Observations considered (> 0).
    pub trials: u64,
    /// `successes / trials`, in [0, 1].
    pub rate: f64,
    /// Lower bound of the interval, in [0, 1].
    pub low: f64,
    /// Upper bound of the interval, in [0, 1].
    pub high: f64,
    /// The interval's confidence level.
    pub confidence: f64,
}

/// The Wilson score interval of `successes` out of `trials` (shared specification: proportions
/// such as CSAT %, SLA attainment, FCR and first-time fix), without continuity correction, exactly
/// as statsmodels' `proportion_confint(method='wilson')`: with `q = s/n` and `z` the critical
/// value, centre `(q + z²/2n) / (1 + z²/n)`, half-width `z·√(q(1−q)/n + z²/4n²) / (1 + z²/n)`,
/// bounds clipped to [0, 1]; the lower bound at 0 % is exactly 0 and the upper bound at 100 %
/// exactly 1 (their algebraic values, which rounding would miss by a bit).
///
/// `None` when `trials` is 0, `successes > trials` or `confidence` is outside (0, 1).
pub fn wilson(successes: u64, trials: u64, confidence: f64) -> Option<Proportion> {
    if trials == 0 || successes > trials {
        return None;
    }
    let z = normal_critical_value(confidence)?;
    let n = trials as f64;
    let q = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (q + z2 / (2.0 * n)) / denominator;
    let half = z * (q * (1.0 - q) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    // At 0 % the lower bound is exactly 0 and at 100 % the upper bound exactly 1 (centre ∓ half
    // simplifies to them); rounding would leave them a bit off.
    let low = if successes == 0 { 0.0 } else { centre - half };
    let high = if successes == trials {
        1.0
    } else {
        centre + half
    };
    Some(Proportion {
        successes,
        trials,
        rate: q,
        low: low.clamp(0.0, 1.0),
        high: high.clamp(0.0, 1.0),
        confidence,
    })
}

// ------------------------------------------------------------------------------------------------
// 2. Median with a bootstrap percentile interval
// ------------------------------------------------------------------------------------------------

/// A median with its bootstrap percentile interval and what it takes to reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BootstrapMedian {
    /// Number of values.
    pub n: usize,
    /// The sample's median (`percentile_cont(0.5)`), seconds.
    pub median: f64,
    /// Lower bound of the interval, seconds.
    pub low: f64,
    /// Upper bound of the interval, seconds.
    pub high: f64,
    /// The interval's confidence level.
    pub confidence: f64,
    /// Number of bootstrap resamples.
    pub resamples: usize,
    /// The generator's seed (the report prints it).
    pub seed: u64,
}

/// The median of `values` (seconds) with a percentile bootstrap interval (shared specification:
/// "95 % bootstrap interval with a fixed, printed seed").
///
/// - Median: docs/METRICS.md §7's `median`, PostgreSQL's `percentile_cont(0.5)` (the mean of the
///   two middle values when `n` is even), for the sample and for every resample.
/// - Resampling: a resample's median is drawn directly as an order statistic, which has exactly
///   the distribution of the median of `n` values drawn with replacement. With the values sorted
///   (`x₀ ≤ … ≤ xₙ₋₁`) and `k = ⌈n/2⌉`, the `k`-th smallest of `n` uniform draws from (0, 1) is
///   `U = I⁻¹(k, n − k + 1; v)` (the Beta quantile) for a uniform `v`, and the `k`-th smallest of
///   `n` uniform indices is `⌊n·U⌋`; for even `n` the next one is `U' = U + (1 − U)·(1 − (1 − w)^(1/(n − k)))`
///   (the least of the `n − k` draws above `U`) for a second uniform `w`, and the resample's
///   median is `percentile_cont` of `x[⌊n·U⌋]` and `x[⌊n·U'⌋]`. The uniforms are
///   `((next_u64() >> 11) + ½) · 2⁻⁵³` from `ChaCha8Rng::seed_from_u64(seed)` (never 0 or 1),
///   one (odd `n`) or two (even `n`) per resample; the Beta quantile is statrs'
///   `inv_beta_reg`. Cost: `resamples` quantiles, whatever `n` (the naive resampling drew
///   `resamples · n` indices: a billion at a million tickets).
/// - Interval: the `α = (1 − confidence)/2` and `1 − α` quantiles of the `resamples` bootstrap
///   medians by the same linear interpolation (`percentile_cont`, NumPy's `linear`), as
///   `scipy.stats.bootstrap(method='percentile')` takes them.
///
/// The same values (in any order), `resamples`, `seed` and `confidence` give the same interval,
/// bit for bit, with the same floating-point library (the Beta quantile uses `ln` and `exp`).
/// `None` when `values` is empty, `resamples` is 0 or `confidence` is outside (0, 1). Cost: one
/// sort of `values` and `resamples` Beta quantiles.
pub fn bootstrap_median(
    values: &[i64],
    resamples: usize,
    seed: u64,
    confidence: f64,
) -> Option<BootstrapMedian> {
    let (lower, upper) = percentile_bounds(confidence)?;
    if values.is_empty() || resamples == 0 {
        return None;
    }
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let median = percentile_cont(&sorted, 0.5)?;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut medians = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        medians.push(resample_median(&sorted, &mut rng)?);
    }
    sort_f64(&mut medians);
    Some(BootstrapMedian {
        n,
        median,
        low: percentile_cont_f64(&medians, lower)?,
        high: percentile_cont_f64(&medians, upper)?,
        confidence,
        resamples,
        seed,
    })
}

/// A uniform draw from the open interval (0, 1): the top 53 bits of the next word, centred in
/// their cell, so neither 0 nor 1 is ever returned.
fn open_unit(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1_u64 << 53) as f64)
}

/// The median of one bootstrap resample of `sorted` (non-empty, ascending), drawn as an order
/// statistic ([`bootstrap_median`] gives the rule).
fn resample_median(sorted: &[i64], rng: &mut ChaCha8Rng) -> Option<f64> {
    let n = sorted.len();
    let k = n.div_ceil(2);
    let index = |u: f64| ((u * n as f64).floor() as usize).min(n - 1);
    let u = statrs::function::beta::inv_beta_reg(k as f64, (n - k + 1) as f64, open_unit(rng));
    let low = *sorted.get(index(u))? as f64;
    if n % 2 == 1 {
        return Some(low);
    }
    let above = (n - k) as f64;
    // 1 − (1 − w)^(1/above), written so it keeps its precision when it is tiny.
    let step = -((-open_unit(rng)).ln_1p() / above).exp_m1();
    let high = *sorted.get(index(u + (1.0 - u) * step))? as f64;
    Some(low + (high - low) * 0.5)
}

mod did;
mod rank;
mod survival;
pub use did::*;
pub use rank::*;
#[cfg(test)]
use rank::{asymptotic_two_sided_p, binomial, exact_two_sided_p};
pub use survival::*;

// ------------------------------------------------------------------------------------------------
// 5. Two proportions
// ------------------------------------------------------------------------------------------------

/// Two cohorts' rates compared: the z-test, the difference with its interval, Cohen's h.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TwoProportions {
    /// Cohort A's rate with its Wilson interval.
    pub a: Proportion,
    /// Cohort B's rate with its Wilson interval.
    pub b: Proportion,
    /// `rate_a − rate_b`, in [−1, 1].
    pub difference: f64,
    /// Lower bound of Newcombe's hybrid score interval of the difference.
    pub difference_low: f64,
    /// Upper bound of Newcombe's hybrid score interval of the difference.
    pub difference_high: f64,
    /// The pooled z statistic; `None` when neither cohort varies (both rates 0, or both 1), where
    /// it is 0/0.
    pub z: Option<f64>,
    /// The two-sided p-value, in [0, 1]; 1 when `z` is `None` (no evidence of a difference:
    /// Fisher's exact test gives 1 there; statsmodels returns NaN).
    pub p_value: f64,
    /// Cohen's h, `2·asin(√rate_a) − 2·asin(√rate_b)`, in [−π, π]: positive when A's rate is
    /// higher (0.2 small, 0.5 medium, 0.8 large).
    pub cohens_h: f64,
}

/// The comparison of `successes_a` out of `trials_a` with `successes_b` out of `trials_b`
/// (shared specification: "two cohorts: … two-proportion z-test (rates), with effect size and
/// p-value"):
///
/// - z-test with the pooled standard error, two-sided, as statsmodels'
///   `proportions_ztest([s_a, s_b], [n_a, n_b])`: `p̂ = (s_a + s_b)/(n_a + n_b)`,
///   `z = (rate_a − rate_b)/√(p̂(1 − p̂)(1/n_a + 1/n_b))`, `p = 2·(1 − Φ(|z|))`;
/// - the difference's interval: Newcombe's hybrid score interval from the two Wilson intervals
///   (`l`, `u`), as `confint_proportions_2indep(method='newcomb', compare='diff')`:
///   `d − √((rate_a − l_a)² + (u_b − rate_b)²)` to `d + √((u_a − rate_a)² + (rate_b − l_b)²)`;
///   chosen over the Wald interval because it stays sensible at 0 % and 100 %;
/// - Cohen's h, as `proportion_effectsize(rate_a, rate_b)`.
///
/// `None` when a cohort has no trials, successes exceed trials, or `confidence` is outside (0, 1).
pub fn two_proportions(
    successes_a: u64,
    trials_a: u64,
    successes_b: u64,
    trials_b: u64,
    confidence: f64,
) -> Option<TwoProportions> {
    let a = wilson(successes_a, trials_a, confidence)?;
    let b = wilson(successes_b, trials_b, confidence)?;
    let difference = a.rate - b.rate;

    let pooled = (successes_a + successes_b) as f64 / (trials_a + trials_b) as f64;
    let variance = pooled * (1.0 - pooled) * (1.0 / trials_a as f64 + 1.0 / trials_b as f64);
    let standard_error = variance.sqrt();
    let z = (standard_error > 0.0).then(|| difference / standard_error);
    let p_value = z.map_or(1.0, |z| (2.0 * normal_sf(z.abs())).clamp(0.0, 1.0));

    let difference_low = difference - ((a.rate - a.low).powi(2) + (b.high - b.rate).powi(2)).sqrt();
    let difference_high =
        difference + ((b.rate - b.low).powi(2) + (a.high - a.rate).powi(2)).sqrt();
    let cohens_h = 2.0 * a.rate.sqrt().asin() - 2.0 * b.rate.sqrt().asin();
    Some(TwoProportions {
        a,
        b,
        difference,
        difference_low,
        difference_high,
        z,
        p_value,
        cohens_h,
    })
}

// ------------------------------------------------------------------------------------------------
// 6. Holm
// ------------------------------------------------------------------------------------------------

/// P-values adjusted by Holm's step-down method, in the input order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Holm {
    /// The adjusted p-values, in [0, 1], in the order of the input.
    pub adjusted: Vec<f64>,
    /// Whether each hypothesis is rejected at `alpha`, in the order of the input.
    pub reject: Vec<bool>,
    /// The family-wise error rate used.
    pub alpha: f64,
}

/// Holm's step-down correction of `p_values` (shared specification: "several metrics compared at
/// once: Holm's correction; the report prints raw and adjusted p-values"), as statsmodels'
/// `multipletests(p_values, alpha, method='holm')`: with the `m` p-values sorted ascending
/// `p₍₁₎ ≤ … ≤ p₍ₘ₎`, the adjusted value of `p₍ᵢ₎` is `min(1, max_{j ≤ i} (m − j + 1)·p₍ⱼ₎)`;
/// hypotheses are rejected from the smallest p-value on while `p₍ᵢ₎ ≤ alpha/(m − i + 1)`, and none
/// after the first that fails (the same as "adjusted ≤ alpha" up to rounding).
///
/// `None` when `p_values` is empty, one is not in [0, 1] (or NaN), or `alpha` is outside (0, 1).
pub fn holm(p_values: &[f64], alpha: f64) -> Option<Holm> {
    if p_values.is_empty() || !is_level(alpha) || p_values.iter().any(|p| !(0.0..=1.0).contains(p))
    {
        return None;
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));

    let mut adjusted = vec![0.0; m];
    let mut reject = vec![false; m];
    let mut running_max = 0.0_f64;
    let mut still_rejecting = true;
    for (rank, &index) in order.iter().enumerate() {
        let p = p_values[index];
        let multiplier = (m - rank) as f64;
        running_max = running_max.max(p * multiplier);
        adjusted[index] = running_max.min(1.0);
        still_rejecting = still_rejecting && p <= alpha / multiplier;
        reject[index] = still_rejecting;
    }
    Some(Holm {
        adjusted,
        reject,
        alpha,
    })
}

// ------------------------------------------------------------------------------------------------
// 8. Flags and verdicts
// ------------------------------------------------------------------------------------------------

/// A caution the reports print beside a figure (shared specification: small-sample flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Caution {
    /// A cohort has fewer than [`MIN_OBSERVATIONS_PER_COHORT`] observations.
    TooFewToConclude {
        /// The cohort's observations.
        observations: usize,
        /// The threshold, [`MIN_OBSERVATIONS_PER_COHORT`].
        minimum: usize,
    },
    /// A CSAT figure from fewer than [`MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS`] ratings: its
    /// interval can be wider than ±5 points.
    CsatWiderThanFivePoints {
        /// The ratings behind the figure.
        ratings: usize,
        /// The threshold, [`MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS`].
        minimum: usize,
    },
}

impl Caution {
    /// "Too few to conclude" when `observations` is below [`MIN_OBSERVATIONS_PER_COHORT`].
    pub fn too_few(observations: usize) -> Option<Caution> {
        (observations < MIN_OBSERVATIONS_PER_COHORT).then_some(Caution::TooFewToConclude {
            observations,
            minimum: MIN_OBSERVATIONS_PER_COHORT,
        })
    }

    /// "Wider than ±5 points" when a CSAT figure rests on fewer than
    /// [`MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS`] ratings.
    pub fn csat_wide(ratings: usize) -> Option<Caution> {
        (ratings < MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS).then_some(
            Caution::CsatWiderThanFivePoints {
                ratings,
                minimum: MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS,
            },
        )
    }

    /// The words a report prints.
    pub fn label(&self) -> &'static str {
        match self {
            Caution::TooFewToConclude { .. } => "too few to conclude",
            Caution::CsatWiderThanFivePoints { .. } => "wider than ±5 points",
        }
    }
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Lower is better: durations (first reply, resolution, waits).
    Lower,
    /// Higher is better: CSAT, FCR, SLA attainment, first-time fix.
    Higher,
}

/// The bake-off's plain verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Cohort A is better, and the difference is significant after correction.
    ABetter,
    /// Cohort B is better, and the difference is significant after correction.
    BBetter,
    /// Both cohorts are large enough, and the difference is not significant after correction.
    NoDetectableDifference,
    /// A cohort has fewer than [`MIN_OBSERVATIONS_PER_COHORT`] observations.
    TooFewToConclude,
}

impl Verdict {
    /// The words a report prints.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::ABetter => "A better",
            Verdict::BBetter => "B better",
            Verdict::NoDetectableDifference => "no detectable difference",
            Verdict::TooFewToConclude => "too few to conclude",
        }
    }
}

/// The verdict on one metric of two cohorts of `n_a` and `n_b` observations:
///
/// 1. "too few to conclude" when either cohort has fewer than [`MIN_OBSERVATIONS_PER_COHORT`];
/// 2. otherwise "no detectable difference" unless `adjusted_p ≤ alpha` (the Holm-adjusted p-value
///    of [`holm`]) and the effect has a sign;
/// 3. otherwise the better cohort, from `a_minus_b` — any signed effect that is positive when A's
///    values are higher: the difference of rates, the rank-biserial correlation, the difference of
///    medians — and `better`: A is better when its values are lower for [`Better::Lower`], higher
///    for [`Better::Higher`].
///
/// A NaN `adjusted_p` or `a_minus_b` gives "no detectable difference".
pub fn verdict(
    n_a: usize,
    n_b: usize,
    a_minus_b: f64,
    better: Better,
    adjusted_p: f64,
    alpha: f64,
) -> Verdict {
    if n_a < MIN_OBSERVATIONS_PER_COHORT || n_b < MIN_OBSERVATIONS_PER_COHORT {
        return Verdict::TooFewToConclude;
    }
    if adjusted_p.is_nan() || adjusted_p > alpha || a_minus_b == 0.0 || a_minus_b.is_nan() {
        return Verdict::NoDetectableDifference;
    }
    let a_higher = a_minus_b > 0.0;
    match (better, a_higher) {
        (Better::Higher, true) | (Better::Lower, false) => Verdict::ABetter,
        (Better::Higher, false) | (Better::Lower, true) => Verdict::BBetter,
    }
}

#[cfg(test)]
mod tests;
