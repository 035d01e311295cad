//! Mann–Whitney U and its p-values (moved unchanged from `inference.rs`).

use super::{MANN_WHITNEY_EXACT_MAX_COEFFICIENTS, Serialize, normal_sf};

// ------------------------------------------------------------------------------------------------
// 4. Mann–Whitney U
// ------------------------------------------------------------------------------------------------

/// How a Mann–Whitney p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MannWhitneyMethod {
    /// The exact null distribution of U (no ties, a cohort of at most 8).
    Exact,
    /// The tie-corrected normal approximation with continuity correction.
    Asymptotic,
}

/// A two-sided Mann–Whitney U test of cohort A against cohort B.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MannWhitney {
    /// Size of cohort A.
    pub n_a: usize,
    /// Size of cohort B.
    pub n_b: usize,
    /// U of cohort A, as SciPy reports it: the pairs (a, b) with a > b, plus half the pairs with
    /// a = b. `u_a + u_b = n_a · n_b`.
    pub u_a: f64,
    /// U of cohort B.
    pub u_b: f64,
    /// The two-sided p-value, in [0, 1].
    pub p_value: f64,
    /// How `p_value` was computed.
    pub method: MannWhitneyMethod,
    /// Whether any two values (in either cohort) are equal.
    pub ties: bool,
    /// The rank-biserial correlation `(u_a − u_b)/(n_a·n_b) = 2·u_a/(n_a·n_b) − 1`, in [−1, 1]:
    /// **positive when A's values tend to be larger** (for durations: A slower), −1 when every
    /// value of A is below every value of B, 0 for no tendency.
    pub rank_biserial: f64,
}

/// The two-sided Mann–Whitney U test of durations (seconds) in cohorts `a` and `b` (shared
/// specification: "two cohorts: Mann–Whitney U (durations)"), as
/// `scipy.stats.mannwhitneyu(a, b, alternative='two-sided', use_continuity=True, method='auto')`:
///
/// - ranks: average ranks for ties; `u_a = R_a − n_a(n_a+1)/2`, computed in exact integers;
/// - method (SciPy's `auto`): **exact** when there are no ties and at least one cohort has at most
///   8 values; otherwise **asymptotic**: with `U = max(u_a, u_b)`, `μ = n_a·n_b/2`,
///   `σ = √(n_a·n_b/12 · ((n+1) − Σ(t³ − t)/(n(n−1))))` over the tie groups `t`,
///   `z = (U − μ − ½)/σ` and `p = 2·(1 − Φ(z))`; all values equal (σ = 0) gives p = 1, as SciPy;
/// - exact: `p = 2·P(U ≥ max(u_a, u_b))` under the null, counted exactly from the Gaussian
///   binomial coefficient [n_a+n_b choose min(n_a, n_b)] in 128-bit integers (SciPy counts the same
///   distribution with Löffler's recurrence). When those counts would not fit in 128 bits, or need
///   more than [`MANN_WHITNEY_EXACT_MAX_COEFFICIENTS`] coefficients (in practice only when the
///   other cohort has more than about 200,000 values), the asymptotic p-value is used and
///   `method` says so;
/// - p-values are capped at 1.
///
/// `None` when either cohort is empty.
pub fn mann_whitney(a: &[i64], b: &[i64]) -> Option<MannWhitney> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (n_a, n_b) = (a.len(), b.len());
    let mut pooled: Vec<(i64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_unstable_by_key(|&(v, _)| v);

    // Twice the rank sum of A: a tie group at 0-based positions k..k+t has average rank
    // (2k + t + 1)/2. Σ(t³ − t) is the tie term of the variance.
    let mut twice_rank_sum_a: u128 = 0;
    let mut tie_term: u128 = 0;
    let mut position = 0_usize;
    let mut rest = pooled.as_slice();
    while let Some(&(value, _)) = rest.first() {
        let t = rest.iter().take_while(|&&(v, _)| v == value).count();
        let (group, after) = rest.split_at(t);
        rest = after;
        let in_a = group.iter().filter(|&&(_, is_a)| is_a).count() as u128;
        let (k, t128) = (position as u128, t as u128);
        twice_rank_sum_a += in_a * (2 * k + t128 + 1);
        tie_term += t128 * t128 * t128 - t128;
        position += t;
    }
    let (na, nb) = (n_a as u128, n_b as u128);
    let twice_u_a = twice_rank_sum_a - na * (na + 1);
    let twice_u_b = 2 * na * nb - twice_u_a;
    let u_a = twice_u_a as f64 / 2.0;
    let u_b = twice_u_b as f64 / 2.0;
    let ties = tie_term > 0;
    let product = (n_a as f64) * (n_b as f64);

    let exact = if !ties && (n_a <= 8 || n_b <= 8) {
        let u_max = (twice_u_a.max(twice_u_b) / 2) as u64;
        exact_two_sided_p(u_max, n_a.min(n_b), n_a.max(n_b))
    } else {
        None
    };
    let (p_value, method) = match exact {
        Some(p) => (p, MannWhitneyMethod::Exact),
        None => (
            asymptotic_two_sided_p(u_a.max(u_b), n_a, n_b, tie_term as f64),
            MannWhitneyMethod::Asymptotic,
        ),
    };
    Some(MannWhitney {
        n_a,
        n_b,
        u_a,
        u_b,
        p_value,
        method,
        ties,
        rank_biserial: (u_a - u_b) / product,
    })
}

/// SciPy's `_get_mwu_z` and `2·ndtr(−z)`, capped at 1.
pub(super) fn asymptotic_two_sided_p(u: f64, n1: usize, n2: usize, tie_term: f64) -> f64 {
    let (n1, n2) = (n1 as f64, n2 as f64);
    let mu = n1 * n2 / 2.0;
    let n = n1 + n2;
    let s = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    let numerator = u - mu - 0.5;
    let p = if s > 0.0 {
        2.0 * normal_sf(numerator / s)
    } else if numerator < 0.0 {
        2.0
    } else {
        0.0
    };
    if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// `2·P(U ≥ u_max)` for sizes `m ≤ n` without ties, from the null distribution's counts: the
/// coefficients of the Gaussian binomial [n+m choose m]_q, built as
/// `Π_{i=1..m} (1 − q^{n+i})/(1 − q^i)`, one factor at a time (each partial product is
/// [n+i choose i]_q, with non-negative integer coefficients, so the recurrence
/// `R[j] = R[j−i] + P[j] − P[j−n−i]` stays exact), truncated at degree `k = m·n − u_max`; by
/// symmetry `P(U ≥ u_max) = P(U ≤ k)`. `None` when the counts would overflow or more than
/// [`MANN_WHITNEY_EXACT_MAX_COEFFICIENTS`] are needed.
pub(super) fn exact_two_sided_p(u_max: u64, m: usize, n: usize) -> Option<f64> {
    let total = binomial(m + n, m)?;
    if total > u128::MAX / 2 {
        return None;
    }
    let k = usize::try_from((m as u64).checked_mul(n as u64)?.checked_sub(u_max)?).ok()?;
    if k >= MANN_WHITNEY_EXACT_MAX_COEFFICIENTS {
        return None;
    }
    let mut counts = vec![0_u128; k + 1];
    *counts.first_mut()? = 1;
    for i in 1..=m {
        let mut next = vec![0_u128; k + 1];
        for j in 0..=k {
            let carried = if j >= i { *next.get(j - i)? } else { 0 };
            let mut value = carried.checked_add(*counts.get(j)?)?;
            if j >= n + i {
                value = value.checked_sub(*counts.get(j - n - i)?)?;
            }
            *next.get_mut(j)? = value;
        }
        counts = next;
    }
    let at_most_k = counts
        .iter()
        .try_fold(0_u128, |sum, &c| sum.checked_add(c))?;
    let p = 2.0 * (at_most_k as f64 / total as f64);
    Some(p.min(1.0))
}

/// C(n, k) in 128-bit integers; `None` on overflow.
pub(super) fn binomial(n: usize, k: usize) -> Option<u128> {
    let k = k.min(n.checked_sub(k)?);
    let mut result: u128 = 1;
    for i in 1..=k as u128 {
        // result · (n − k + i) / i stays an integer at every step.
        result = result.checked_mul((n - k) as u128 + i)? / i;
    }
    Some(result)
}
