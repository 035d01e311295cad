//! The bootstrap interval of the median: the generator, the resampled medians, the interval.

use super::*;

#[test]
fn the_generator_is_the_chacha8_stream_of_the_reference_script() {
    // An independent ChaCha8 + rand_core seed_from_u64 (PCG32), written from the specifications
    // in scripts/inference_reference.py, gives these first words for seed 20240601.
    let mut rng = ChaCha8Rng::seed_from_u64(20240601);
    assert_eq!(rng.next_u64(), 0x4e0d_ba2d_18c0_4383);
    assert_eq!(rng.next_u64(), 0xd699_8c1b_86e3_2b81);
    assert_eq!(rng.next_u64(), 0x0117_b5b2_3d42_984a);
}

#[test]
fn uniform_indices_stay_in_range_and_cover_it() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut seen = [0_usize; 7];
    for _ in 0..7_000 {
        let i = uniform_index(&mut rng, 7);
        seen[i] += 1;
    }
    // Each of the 7 values is expected 1,000 times; 4 standard deviations is ±113.
    assert!(seen.iter().all(|&c| (887..=1_113).contains(&c)), "{seen:?}");
    assert_eq!(uniform_index(&mut rng, 1), 0);
    assert_eq!(uniform_index(&mut rng, 0), 0);
}

#[test]
fn the_bootstrap_interval_agrees_with_scipy_where_the_exact_quantiles_are_far_from_a_jump() {
    // The median of a bootstrap resample takes few values, so the percentile interval is one of
    // them. The reference script enumerates every resample (multinomial weights) to get the exact
    // bootstrap distribution of the median, and runs scipy.stats.bootstrap(np.median,
    // method='percentile', n_resamples=10_000) with 20 seeds (SciPy 1.17.1):
    // - [12, 15, 21, 30, 42, 60, 95]: P(median < 15) = 0.01015, P(median ≤ 15) = 0.10827, and
    //   symmetrically 60 at the top: the 2.5 % and 97.5 % quantiles are 15 and 60, 9.5 standard
    //   errors of an empirical quantile at B = 10,000 away from the next atom. SciPy: (15.0, 60.0)
    //   for all 20 seeds.
    // - [1, 4, 4, 6, 9, 9, 9, 14] (ties, even n: medians are midpoints): quantiles 4 and 9,
    //   9.5 and 9.0 standard errors from a jump. SciPy: (4.0, 9.0) for all 20 seeds.
    // Any correct percentile bootstrap with 10,000 resamples returns these values except with
    // a probability below 1e-15, so the tolerance is zero.
    let seven = bootstrap_median(&[12, 15, 21, 30, 42, 60, 95], 10_000, 20240601, 0.95).unwrap();
    assert_eq!((seven.median, seven.low, seven.high), (30.0, 15.0, 60.0));
    let tied = bootstrap_median(&[1, 4, 4, 6, 9, 9, 9, 14], 10_000, 20240601, 0.95).unwrap();
    assert_eq!((tied.median, tied.low, tied.high), (7.5, 4.0, 9.0));
    assert_eq!((tied.n, tied.resamples, tied.seed), (8, 10_000, 20240601));
}

#[test]
fn the_same_seed_gives_the_same_interval_and_the_pinned_values() {
    // Pinned by the reference script's independent re-implementation of the documented rule
    // (ChaCha8 stream, open uniforms, resample medians as order statistics with SciPy 1.17.1's
    // Beta quantile scipy.special.betaincinv), 200 resamples:
    // seed 20240601 → (25.5, 185.0); seed 7 → (25.5, 180.0).
    let values = [720, 12, 400, 15, 21, 240, 30, 42, 180, 60, 95, 130];
    let values_in_script_order = [12, 15, 21, 30, 42, 60, 95, 130, 180, 240, 400, 720];
    let first = bootstrap_median(&values_in_script_order, 200, 20240601, 0.95).unwrap();
    let again = bootstrap_median(&values_in_script_order, 200, 20240601, 0.95).unwrap();
    assert_eq!(first, again);
    assert_eq!(first.low.to_bits(), again.low.to_bits());
    assert_close(first.low, 25.5, "low, seed 20240601");
    assert_close(first.high, 185.0, "high, seed 20240601");
    let other = bootstrap_median(&values_in_script_order, 200, 7, 0.95).unwrap();
    assert_close(other.low, 25.5, "low, seed 7");
    assert_close(other.high, 180.0, "high, seed 7");
    // The median is percentile_cont(0.5): (60 + 95)/2 by hand. The values are sorted before the
    // draws, so their order does not matter.
    let shuffled = bootstrap_median(&values, 200, 20240601, 0.95).unwrap();
    assert_eq!(shuffled, first);
    assert_eq!(first.median, 77.5);
}

#[test]
fn statrs_beta_quantile_draws_what_scipy_draws_at_a_hundred_thousand_values() {
    // 1..=100,000, 300 resamples, seed 11: the reference script (SciPy 1.17.1's betaincinv in
    // place of statrs' inv_beta_reg) gives (49699.4, 50306.7625); a difference in the quantile's
    // last digits would move an index only across a cell boundary, one chance in ~10⁹ per draw.
    let values: Vec<i64> = (1..=100_000).collect();
    let b = bootstrap_median(&values, 300, 11, 0.95).unwrap();
    assert_eq!(b.median, 50_000.5);
    assert_close(b.low, 49699.4, "low");
    assert_close(b.high, 50306.7625, "high");
}

#[test]
fn resample_medians_follow_the_exact_bootstrap_distribution() {
    // [12, 15, 21, 30, 42, 60, 95]: the reference script's exact bootstrap distribution (every
    // resample composition weighted by its multinomial probability) gives P(median ≤ 15) =
    // 0.10827 and P(median ≤ 30) = 0.65310. 100,000 order-statistic draws: the standard error of
    // a frequency near 0.108 is 0.00098, near 0.653 it is 0.0015; 5 of them is the tolerance.
    let sorted = [12, 15, 21, 30, 42, 60, 95];
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let (mut at_most_15, mut at_most_30) = (0_u32, 0_u32);
    for _ in 0..100_000 {
        let m = super::resample_median(&sorted, &mut rng).unwrap();
        at_most_15 += u32::from(m <= 15.0);
        at_most_30 += u32::from(m <= 30.0);
    }
    let (f15, f30) = (f64::from(at_most_15) / 1e5, f64::from(at_most_30) / 1e5);
    assert!((f15 - 0.10827).abs() < 5.0 * 0.00098, "{f15}");
    assert!((f30 - 0.65310).abs() < 5.0 * 0.0015, "{f30}");
}

#[test]
fn a_bootstrap_without_values_or_resamples_is_none() {
    assert_eq!(bootstrap_median(&[], 1_000, 1, 0.95), None);
    assert_eq!(bootstrap_median(&[1, 2, 3], 0, 1, 0.95), None);
    assert_eq!(bootstrap_median(&[1, 2, 3], 10, 1, 1.0), None);
    // One value: every resample is that value.
    let one = bootstrap_median(&[42], 50, 3, 0.95).unwrap();
    assert_eq!((one.median, one.low, one.high), (42.0, 42.0, 42.0));
}
