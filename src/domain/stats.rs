//! Aggregates over a set of durations (docs/METRICS.md §7 "Statistics").
//!
//! The SQL read side computes the same figures with `percentile_cont`; this module is the reference
//! used by tests and by in-memory callers.

use serde::Serialize;

/// count, mean, median, p90, min and max of a set of durations in seconds.
/// Empty sets give `count = 0` and `None` for every statistic.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DurationStats {
    /// Number of values.
    pub count: i64,
    /// Arithmetic mean, seconds.
    pub mean: Option<f64>,
    /// Median (`percentile_cont(0.5)`), seconds.
    pub median: Option<f64>,
    /// 90th percentile (`percentile_cont(0.9)`, linear interpolation), seconds.
    pub p90: Option<f64>,
    /// Smallest value, seconds.
    pub min: Option<i64>,
    /// Largest value, seconds.
    pub max: Option<i64>,
}

impl DurationStats {
    /// Computes the statistics of `values` (any order).
    pub fn of(values: &[i64]) -> DurationStats {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let count = sorted.len() as i64;
        if sorted.is_empty() {
            return DurationStats {
                count,
                mean: None,
                median: None,
                p90: None,
                min: None,
                max: None,
            };
        }
        let sum: i128 = sorted.iter().map(|&v| i128::from(v)).sum();
        DurationStats {
            count,
            mean: Some(sum as f64 / sorted.len() as f64),
            median: percentile_cont(&sorted, 0.5),
            p90: percentile_cont(&sorted, 0.9),
            min: sorted.first().copied(),
            max: sorted.last().copied(),
        }
    }
}

impl DurationStats {
    /// [`DurationStats::of`] without sorting: each percentile is an O(n) selection
    /// (`select_nth_unstable`), with the same arithmetic as [`percentile_cont`], so the results
    /// are bit-identical. Reorders `values`.
    pub fn of_unordered(values: &mut [i64]) -> DurationStats {
        let n = values.len();
        let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
            return DurationStats::of(&[]);
        };
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        DurationStats {
            count: n as i64,
            mean: Some(sum as f64 / n as f64),
            median: percentile_select(values, 0.5),
            p90: percentile_select(values, 0.9),
            min: Some(min),
            max: Some(max),
        }
    }
}

/// [`percentile_cont`] of unordered values by selection: the value of rank `floor(f·(n−1))` is
/// selected, and the next rank's is the smallest value after it. Reorders `values`; O(n).
/// Bit-identical to [`percentile_cont`] of the sorted values; `None` for an empty slice.
pub fn percentile_select(values: &mut [i64], fraction: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let rank = fraction * (n - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (_, a, above) = values.select_nth_unstable(lo);
    let a = *a as f64;
    let b = if hi == lo {
        a
    } else {
        *above.iter().min()? as f64
    };
    Some(a + (b - a) * (rank - lo as f64))
}

/// PostgreSQL's `percentile_cont(fraction)` over sorted values: linear interpolation between the
/// values at ranks `floor(f·(n−1))` and `ceil(f·(n−1))`. `None` for an empty slice.
pub fn percentile_cont(sorted: &[i64], fraction: f64) -> Option<f64> {
    interpolate(sorted.len(), fraction, |i| sorted.get(i).map(|&v| v as f64))
}

/// [`percentile_cont`] of sorted floating-point values (the same rule and arithmetic; NumPy's
/// `percentile(method='linear')`, up to NumPy's rounding of the last bit). `None` for an empty
/// slice.
pub fn percentile_cont_f64(sorted: &[f64], fraction: f64) -> Option<f64> {
    interpolate(sorted.len(), fraction, |i| sorted.get(i).copied())
}

/// The interpolation of [`percentile_cont`] over `n` sorted values read by rank with `at`.
fn interpolate(n: usize, fraction: f64, at: impl Fn(usize) -> Option<f64>) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let rank = fraction * (n - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (a, b) = (at(lo)?, at(hi)?);
    Some(a + (b - a) * (rank - lo as f64))
}

/// A rate: numerator / denominator, with `value = None` when the denominator is 0.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rate {
    /// Tickets that meet the condition.
    pub numerator: i64,
    /// Tickets considered.
    pub denominator: i64,
    /// numerator / denominator in [0, 1]; `null` when the denominator is 0.
    pub value: Option<f64>,
}

impl Rate {
    /// Builds a rate from its two counts.
    pub fn new(numerator: i64, denominator: i64) -> Rate {
        Rate {
            numerator,
            denominator,
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_ten_values_match_percentile_cont_by_hand() {
        // sorted: 10 20 30 40 50 60 70 80 90 1000
        // median: rank 4.5 → (50+60)/2 = 55; p90: rank 8.1 → 90 + 0.1·(1000−90) = 181
        let s = DurationStats::of(&[1000, 90, 80, 70, 60, 50, 40, 30, 20, 10]);
        assert_eq!(s.count, 10);
        assert_eq!(s.mean, Some(145.0));
        assert_eq!(s.median, Some(55.0));
        assert!((s.p90.unwrap_or_default() - 181.0).abs() < 1e-9);
        assert_eq!(s.min, Some(10));
        assert_eq!(s.max, Some(1000));
    }

    #[test]
    fn an_empty_set_has_count_zero_and_no_statistics() {
        let s = DurationStats::of(&[]);
        assert_eq!(s.count, 0);
        assert_eq!(
            (s.mean, s.median, s.p90, s.min, s.max),
            (None, None, None, None, None)
        );
    }

    #[test]
    fn a_single_value_is_its_own_median_and_p90() {
        let s = DurationStats::of(&[7]);
        assert_eq!((s.median, s.p90), (Some(7.0), Some(7.0)));
    }

    #[test]
    fn selection_gives_the_same_bits_as_sorting() {
        // A deterministic scramble with duplicates, for every length up to 60.
        for n in 0..60usize {
            let mut values: Vec<i64> = (0..n)
                .map(|i| ((i * 7919 + 13) % 97) as i64 * 37 - 400)
                .collect();
            let sorted = DurationStats::of(&values);
            let selected = DurationStats::of_unordered(&mut values);
            assert_eq!(sorted, selected, "n = {n}");
            assert_eq!(
                sorted.p90.map(f64::to_bits),
                selected.p90.map(f64::to_bits),
                "n = {n}"
            );
        }
        let mut ten = vec![1000, 90, 80, 70, 60, 50, 40, 30, 20, 10];
        let s = DurationStats::of_unordered(&mut ten);
        assert_eq!((s.median, s.min, s.max), (Some(55.0), Some(10), Some(1000)));
        assert!((s.p90.unwrap_or_default() - 181.0).abs() < 1e-9);
    }

    #[test]
    fn the_floating_point_percentile_interpolates_like_the_integer_one() {
        // sorted: 1.5 2.5 4 10; rank of 0.25: 0.75 → 1.5 + 0.75·1 = 2.25; of 0.9: 2.7 → 4 + 0.7·6 = 8.2
        let values = [1.5, 2.5, 4.0, 10.0];
        assert_eq!(percentile_cont_f64(&values, 0.25), Some(2.25));
        assert!((percentile_cont_f64(&values, 0.9).unwrap_or_default() - 8.2).abs() < 1e-12);
        assert_eq!(percentile_cont_f64(&[], 0.5), None);
        let ints = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000];
        let floats = ints.map(|v| v as f64);
        for f in [0.0, 0.025, 0.5, 0.9, 0.975, 1.0] {
            assert_eq!(
                percentile_cont(&ints, f),
                percentile_cont_f64(&floats, f),
                "{f}"
            );
        }
    }

    #[test]
    fn a_rate_with_no_denominator_has_no_value() {
        assert_eq!(Rate::new(0, 0).value, None);
        assert_eq!(Rate::new(1, 4).value, Some(0.25));
    }
}
