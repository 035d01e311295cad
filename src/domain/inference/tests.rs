//! Tests of `domain::inference`. Expected values come from scripts/inference_reference.py, run
//! with Python 3.11.7, NumPy 2.4.6, pandas 2.3.3, SciPy 1.17.1, statsmodels 0.15.0 and lifelines
//! 0.30.3 (each literal names its function), or are worked out by hand where the comment says so.
//! Where the algorithm is the same the tolerance is 1e-9 relative (1e-12 absolute near 0).

use super::*;

/// `actual` within 1e-9 relative of `expected` (1e-12 absolute for values near 0).
#[track_caller]
fn assert_close(actual: f64, expected: f64, what: &str) {
    let difference = (actual - expected).abs();
    let scale = expected.abs().max(actual.abs());
    assert!(
        difference <= 1e-9 * scale || difference <= 1e-12,
        "{what}: got {actual:?}, expected {expected:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// Wilson
// ------------------------------------------------------------------------------------------------

#[test]
fn the_critical_value_is_scipys_normal_quantile() {
    // SciPy 1.17.1 norm.ppf(0.975); norm.ppf(0.95) for 90 %
    assert_close(
        normal_critical_value(0.95).unwrap(),
        1.959963984540054,
        "z 95 %",
    );
    assert_close(
        normal_critical_value(0.90).unwrap(),
        1.6448536269514722,
        "z 90 %",
    );
    for bad in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        assert_eq!(normal_critical_value(bad), None, "{bad}");
    }
}

#[test]
fn wilson_intervals_match_statsmodels_on_small_zero_and_all_success_rates() {
    // statsmodels 0.15.0 proportion_confint(k, n, alpha=1 - confidence, method='wilson')
    let cases = [
        (7, 10, 0.95, 0.7, 0.39677814746114537, 0.8922087325936989),
        (0, 8, 0.95, 0.0, 0.0, 0.32440756488388023),
        (5, 5, 0.95, 1.0, 0.5655175352168251, 1.0),
        (
            1,
            3,
            0.95,
            1.0 / 3.0,
            0.06149194472039621,
            0.7923403991979522,
        ),
        (45, 60, 0.95, 0.75, 0.6276792992295218, 0.8422347746994333),
        (7, 10, 0.90, 0.7, 0.44169979586983493, 0.873123416096802),
    ];
    for (k, n, confidence, rate, low, high) in cases {
        let w = wilson(k, n, confidence).unwrap();
        let what = format!("wilson({k}, {n}, {confidence})");
        assert_eq!((w.successes, w.trials, w.confidence), (k, n, confidence));
        assert_close(w.rate, rate, &what);
        assert_close(w.low, low, &what);
        assert_close(w.high, high, &what);
    }
    // The bounds at 0 % and 100 % are exactly 0 and 1 (clipped, as statsmodels).
    assert_eq!(wilson(0, 8, CONFIDENCE_95).unwrap().low, 0.0);
    assert_eq!(wilson(5, 5, CONFIDENCE_95).unwrap().high, 1.0);
}

#[test]
fn a_rate_without_trials_or_with_more_successes_than_trials_has_no_interval() {
    assert_eq!(wilson(0, 0, CONFIDENCE_95), None);
    assert_eq!(wilson(4, 3, CONFIDENCE_95), None);
    assert_eq!(wilson(1, 3, 1.0), None);
    assert_eq!(wilson(1, 3, 0.0), None);
}

// ------------------------------------------------------------------------------------------------
// Bootstrap of the median
// ------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------
// Kaplan–Meier
// ------------------------------------------------------------------------------------------------

/// `(time, at_risk, events, censored, S, low, high)` of lifelines' tables (the t = 0 row left
/// out: Frontline's curve lists observed times only).
type Row = (i64, u64, u64, u64, f64, f64, f64);

#[track_caller]
fn assert_curve(km: &KaplanMeier, rows: &[Row], what: &str) {
    assert_eq!(km.curve.len(), rows.len(), "{what}: steps");
    for (step, &(time, at_risk, events, censored, s, low, high)) in km.curve.iter().zip(rows) {
        let what = format!("{what} t={time}");
        assert_eq!(
            (step.time, step.at_risk, step.events, step.censored),
            (time, at_risk, events, censored),
            "{what}"
        );
        assert_close(step.survival, s, &format!("{what} S"));
        assert_close(step.low, low, &format!("{what} low"));
        assert_close(step.high, high, &format!("{what} high"));
    }
}

fn observations(durations: &[i64], events: &[u8]) -> Vec<TimeToEvent> {
    durations
        .iter()
        .zip(events)
        .map(|(&d, &e)| TimeToEvent {
            duration: d,
            event: e == 1,
        })
        .collect()
}

#[test]
fn kaplan_meier_with_an_event_and_a_censoring_at_the_same_time_matches_lifelines() {
    // lifelines 0.30.3 KaplanMeierFitter().fit([5, 5, 6, 7, 8, 8], [1, 0, 1, 1, 1, 0]): the
    // ticket censored at 5 still counts at risk at 5 (S(5) = 5/6).
    let km = kaplan_meier(
        &observations(&[5, 5, 6, 7, 8, 8], &[1, 0, 1, 1, 1, 0]),
        0.95,
    )
    .unwrap();
    assert_curve(
        &km,
        &[
            (
                5,
                6,
                1,
                1,
                0.8333333333333333,
                0.27312284992835606,
                0.9747124266908934,
            ),
            (6, 4, 1, 0, 0.625, 0.14185338993165503, 0.8930506044985778),
            (
                7,
                3,
                1,
                0,
                0.41666666666666663,
                0.05599186485205289,
                0.7665222195505801,
            ),
            (
                8,
                2,
                1,
                1,
                0.20833333333333334,
                0.008737474148689858,
                0.5950618490375702,
            ),
        ],
        "ties",
    );
    // median_survival_time_ = 7.0; median_survival_times(confidence_interval_) = (5.0, inf)
    assert_eq!(
        (km.median, km.median_low, km.median_high),
        (Some(7), Some(5), None)
    );
    // The naive median of the solved tickets: 5, 6, 7, 8 → 6.5 (NumPy median).
    assert_eq!(km.naive_median_of_events, Some(6.5));
    assert_eq!((km.n, km.events, km.censored), (6, 4, 2));
}

#[test]
fn a_curve_reaching_exactly_one_half_has_that_time_as_its_median() {
    // lifelines 0.30.3 on [1, 2, 3, 4], all events: S(2) = 0.5 → median 2.0, interval (1.0, 4.0).
    // (R's survfit would give 2.5, the midpoint to the next event.)
    let km = kaplan_meier(&observations(&[1, 2, 3, 4], &[1, 1, 1, 1]), 0.95).unwrap();
    assert_curve(
        &km,
        &[
            (
                1,
                4,
                1,
                0,
                0.7500000000000001,
                0.12794691759514565,
                0.9605486422850785,
            ),
            (2, 3, 1, 0, 0.5, 0.05784708299514455, 0.844861281190374),
            (3, 2, 1, 0, 0.25, 0.008947824416603157, 0.6653253427888655),
            (4, 1, 1, 0, 0.0, 0.0, 0.0),
        ],
        "four",
    );
    assert_eq!(
        (km.median, km.median_low, km.median_high),
        (Some(2), Some(1), Some(4))
    );
    assert_eq!(km.naive_median_of_events, Some(2.5));
}

#[test]
fn one_half_reached_through_rounding_still_gives_that_time_unlike_lifelines() {
    // [2, 4, 6, 8, 10, 12], all events: S(6) = 5/6 · 4/5 · 3/4 = 1/2 exactly, so by lifelines'
    // own rule (first t with S(t) ≤ ½) the median is 6. lifelines 0.30.3 reports 8.0, because it
    // computes S as exp(Σ log((n − d)/n)) = 0.5000000000000001 there; Frontline reads the curve
    // with SURVIVAL_HALF_TOLERANCE and says 6. Curve and interval: lifelines 0.30.3 (its
    // median_survival_times(confidence_interval_) = (2.0, 12.0)).
    let km = kaplan_meier(
        &observations(&[2, 4, 6, 8, 10, 12], &[1, 1, 1, 1, 1, 1]),
        0.95,
    )
    .unwrap();
    assert_curve(
        &km,
        &[
            (
                2,
                6,
                1,
                0,
                0.8333333333333333,
                0.27312284992835606,
                0.9747124266908934,
            ),
            (
                4,
                5,
                1,
                0,
                0.6666666666666666,
                0.19461663680623478,
                0.9044341643225163,
            ),
            (
                6,
                4,
                1,
                0,
                0.5000000000000001,
                0.11094826035143791,
                0.8037092368500569,
            ),
            (
                8,
                3,
                1,
                0,
                0.33333333333333337,
                0.04608224341204507,
                0.675564357969301,
            ),
            (
                10,
                2,
                1,
                0,
                0.16666666666666669,
                0.007723104040172138,
                0.5168017818449097,
            ),
            (12, 1, 1, 0, 0.0, 0.0, 0.0),
        ],
        "six",
    );
    assert_eq!(
        (km.median, km.median_low, km.median_high),
        (Some(6), Some(2), Some(12))
    );
    assert_eq!(km.naive_median_of_events, Some(7.0));
}

#[test]
fn an_all_censored_sample_has_no_median() {
    // lifelines 0.30.3 on [3, 4, 5], no events: S = 1 and the interval [1, 1] everywhere;
    // median inf, interval (inf, inf).
    let km = kaplan_meier(&observations(&[3, 4, 5], &[0, 0, 0]), 0.95).unwrap();
    assert_curve(
        &km,
        &[
            (3, 3, 0, 1, 1.0, 1.0, 1.0),
            (4, 2, 0, 1, 1.0, 1.0, 1.0),
            (5, 1, 0, 1, 1.0, 1.0, 1.0),
        ],
        "all censored",
    );
    assert_eq!(
        (km.median, km.median_low, km.median_high),
        (None, None, None)
    );
    assert_eq!(km.naive_median_of_events, None);
    assert_eq!((km.events, km.censored), (0, 3));
}

#[test]
fn kaplan_meier_with_tied_events_and_scattered_censoring_matches_lifelines() {
    // lifelines 0.30.3 on [2, 3, 3, 5, 8, 8, 9, 12, 14, 15, 20, 21],
    // events [1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0]: median 12.0, interval (3.0, inf).
    let km = kaplan_meier(
        &observations(
            &[2, 3, 3, 5, 8, 8, 9, 12, 14, 15, 20, 21],
            &[1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0],
        ),
        0.95,
    )
    .unwrap();
    assert_curve(
        &km,
        &[
            (
                2,
                12,
                1,
                0,
                0.9166666666666667,
                0.5389771805707405,
                0.9878255654004581,
            ),
            (
                3,
                11,
                2,
                0,
                0.7500000000000001,
                0.4084159131515948,
                0.9117204061256984,
            ),
            (
                5,
                9,
                0,
                1,
                0.7500000000000001,
                0.4084159131515948,
                0.9117204061256984,
            ),
            (
                8,
                8,
                2,
                0,
                0.5625000000000001,
                0.2436809826051868,
                0.7909917589103997,
            ),
            (
                9,
                6,
                0,
                1,
                0.5625000000000001,
                0.2436809826051868,
                0.7909917589103997,
            ),
            (
                12,
                5,
                1,
                0,
                0.4500000000000001,
                0.15488663432298716,
                0.7104383252607427,
            ),
            (
                14,
                4,
                0,
                1,
                0.4500000000000001,
                0.15488663432298716,
                0.7104383252607427,
            ),
            (
                15,
                3,
                1,
                0,
                0.30000000000000004,
                0.056361869953569475,
                0.604095633458854,
            ),
            (
                20,
                2,
                0,
                1,
                0.30000000000000004,
                0.056361869953569475,
                0.604095633458854,
            ),
            (
                21,
                1,
                0,
                1,
                0.30000000000000004,
                0.056361869953569475,
                0.604095633458854,
            ),
        ],
        "twelve",
    );
    assert_eq!(
        (km.median, km.median_low, km.median_high),
        (Some(12), Some(3), None)
    );
    // NumPy median of the events 2, 3, 3, 8, 8, 12, 15 = 8.0
    assert_eq!(km.naive_median_of_events, Some(8.0));
}

#[test]
fn open_tickets_censored_at_the_period_end_raise_the_median_above_the_naive_one() {
    // Minutes to resolution; four tickets still open at the period's end (censored at 90, 150,
    // 150, 200). lifelines 0.30.3: median 120.0, interval (30.0, inf); the naive median of the
    // solved tickets (30, 45, 45, 60, 120) is 45.
    let km = kaplan_meier(
        &observations(
            &[30, 45, 45, 60, 90, 120, 150, 150, 200],
            &[1, 1, 1, 1, 0, 1, 0, 0, 0],
        ),
        0.95,
    )
    .unwrap();
    assert_curve(
        &km,
        &[
            (
                30,
                9,
                1,
                0,
                0.8888888888888886,
                0.4329650902258062,
                0.9835640285255789,
            ),
            (
                45,
                8,
                2,
                0,
                0.6666666666666665,
                0.2816822422216508,
                0.8783067576313743,
            ),
            (
                60,
                6,
                1,
                0,
                0.5555555555555554,
                0.20424177563882337,
                0.804525015879248,
            ),
            (
                90,
                5,
                0,
                1,
                0.5555555555555554,
                0.20424177563882337,
                0.804525015879248,
            ),
            (
                120,
                4,
                1,
                0,
                0.41666666666666663,
                0.10895306889472493,
                0.7076977659098976,
            ),
            (
                150,
                3,
                0,
                2,
                0.41666666666666663,
                0.10895306889472493,
                0.7076977659098976,
            ),
            (
                200,
                1,
                0,
                1,
                0.41666666666666663,
                0.10895306889472493,
                0.7076977659098976,
            ),
        ],
        "open tickets",
    );
    assert_eq!(
        (km.median, km.median_low, km.median_high),
        (Some(120), Some(30), None)
    );
    assert_eq!(km.naive_median_of_events, Some(45.0));
}

#[test]
fn kaplan_meier_of_nothing_or_of_a_negative_duration_is_none() {
    assert_eq!(kaplan_meier(&[], 0.95), None);
    assert_eq!(kaplan_meier(&[TimeToEvent::event(-1)], 0.95), None);
    assert_eq!(kaplan_meier(&[TimeToEvent::censored(5)], 1.5), None);
    // An event at 0 drops the curve at 0 (by hand: S(0) = 1/2, median 0).
    let km = kaplan_meier(&[TimeToEvent::event(0), TimeToEvent::censored(9)], 0.95).unwrap();
    assert_eq!(km.curve.first().map(|s| s.survival), Some(0.5));
    assert_eq!(km.median, Some(0));
}

// ------------------------------------------------------------------------------------------------
// Mann–Whitney U
// ------------------------------------------------------------------------------------------------

#[track_caller]
fn assert_mwu(
    a: &[i64],
    b: &[i64],
    u_a: f64,
    method: MannWhitneyMethod,
    p: f64,
    rank_biserial: f64,
    what: &str,
) {
    let r = mann_whitney(a, b).unwrap();
    assert_eq!((r.n_a, r.n_b), (a.len(), b.len()), "{what}");
    assert_eq!(r.u_a, u_a, "{what}: U of A");
    assert_eq!(
        r.u_a + r.u_b,
        (a.len() * b.len()) as f64,
        "{what}: U_a + U_b"
    );
    assert_eq!(r.method, method, "{what}: method");
    assert_close(r.p_value, p, &format!("{what}: p"));
    assert_close(r.rank_biserial, rank_biserial, &format!("{what}: r"));
}

#[test]
fn small_samples_without_ties_use_scipys_exact_p_value() {
    use MannWhitneyMethod::Exact;
    // SciPy 1.17.1 mannwhitneyu(a, b, alternative='two-sided', method='auto') → 'exact' here
    // (no ties, a cohort of at most 8); rank-biserial = 2·U/(n_a·n_b) − 1.
    assert_mwu(
        &[19, 22, 16, 29, 24],
        &[20, 11, 17, 12],
        17.0,
        Exact,
        0.1111111111111111,
        0.7,
        "SciPy's documentation example",
    );
    // One-sided: all of A below all of B. By hand: 2 · 1/C(7, 3) = 2/35.
    assert_mwu(
        &[1, 2, 3],
        &[4, 5, 6, 7],
        0.0,
        Exact,
        0.05714285714285714,
        -1.0,
        "all of A below B",
    );
    assert_mwu(&[5], &[7], 0.0, Exact, 1.0, -1.0, "one each");
    // A small cohort against a larger one: SciPy is still exact.
    let twenty: Vec<i64> = (1..=20).map(|i| i * 10).collect();
    assert_mwu(
        &[14, 57, 73],
        &twenty,
        13.0,
        Exact,
        0.13890457368718237,
        -0.5666666666666667,
        "3 against 20",
    );
    let forty: Vec<i64> = (1..=40).map(|i| i * 2).collect();
    assert_mwu(
        &[3, 11, 19, 27, 35, 43, 51, 99],
        &forty,
        131.0,
        Exact,
        0.4377535560622165,
        -0.18125000000000002,
        "8 against 40",
    );
}

#[test]
fn ties_or_two_large_cohorts_use_the_corrected_normal_approximation() {
    use MannWhitneyMethod::Asymptotic;
    // SciPy 1.17.1 mannwhitneyu(a, b, alternative='two-sided', use_continuity=True,
    // method='asymptotic'), which method='auto' also picks for these.
    assert_mwu(
        &[3, 5, 5, 8, 13],
        &[5, 8, 8, 21, 34, 34],
        6.0,
        Asymptotic,
        0.1130499788563229,
        -0.6,
        "small, tied",
    );
    assert_mwu(
        &[4, 4, 4],
        &[4, 4, 4],
        4.5,
        Asymptotic,
        1.0,
        0.0,
        "equal, all one value",
    );
    assert_mwu(
        &[1, 2, 3],
        &[1, 2, 3],
        4.5,
        Asymptotic,
        1.0,
        0.0,
        "equal samples",
    );
    assert_mwu(
        &[12, 15, 18, 22, 25, 31, 34, 40, 47, 52],
        &[20, 24, 29, 33, 38, 41, 45, 49, 55, 60, 66, 71],
        30.0,
        Asymptotic,
        0.05175423288653064,
        -0.5,
        "10 against 12",
    );
}

#[test]
fn the_asymptotic_formula_matches_scipy_where_scipy_would_be_exact() {
    // SciPy 1.17.1 mannwhitneyu(..., method='asymptotic') on the exact fixtures, through the
    // same private formula the tied cases use (tie term 0).
    assert_close(
        asymptotic_two_sided_p(17.0, 5, 4, 0.0),
        0.11134688653314041,
        "documentation example",
    );
    assert_close(
        asymptotic_two_sided_p(12.0, 3, 4, 0.0),
        0.05182992721790968,
        "all of A below B",
    );
    assert_close(
        asymptotic_two_sided_p(47.0, 3, 20, 0.0),
        0.13200633581836765,
        "3 against 20",
    );
    assert_close(
        asymptotic_two_sided_p(189.0, 8, 40, 0.0),
        0.4304459580460551,
        "8 against 40",
    );
}

#[test]
fn the_exact_distribution_counts_match_binomial_coefficients_by_hand() {
    // C(7, 3) = 35 arrangements; U ≥ 12 only for {5, 6, 7} ranks → P = 1/35, two-sided 2/35.
    assert_close(exact_two_sided_p(12, 3, 4).unwrap(), 2.0 / 35.0, "3, 4");
    // U ≥ 6 of 6 for sizes 2 and 3: P(U ≤ 0) = 1/C(5, 2) = 1/10 → 0.2.
    assert_close(exact_two_sided_p(6, 2, 3).unwrap(), 0.2, "2, 3");
    // At the centre the two-sided p-value is capped at 1.
    assert_eq!(exact_two_sided_p(6, 3, 4), Some(1.0));
    assert_eq!(binomial(48, 8), Some(377_348_994));
    // A cohort of 8 against 300,000: C(300008, 8) does not fit; the exact method steps aside.
    assert_eq!(exact_two_sided_p(1_200_000, 8, 300_000), None);
}

#[test]
fn mann_whitney_of_an_empty_cohort_is_none() {
    assert_eq!(mann_whitney(&[], &[1, 2]), None);
    assert_eq!(mann_whitney(&[1, 2], &[]), None);
}

// ------------------------------------------------------------------------------------------------
// Two proportions
// ------------------------------------------------------------------------------------------------

#[test]
fn two_proportions_match_statsmodels_including_zero_and_all_success_rates() {
    // statsmodels 0.15.0: proportions_ztest([ka, kb], [na, nb]);
    // confint_proportions_2indep(ka, na, kb, nb, method='newcomb', compare='diff', alpha=0.05);
    // proportion_effectsize(ka/na, kb/nb).
    let cases = [
        (
            (45, 60, 30, 55),
            0.20454545454545459,
            2.3005681116549535,
            0.02141605522326669,
            (0.03015790572255153, 0.36412769877879547),
            0.4325639975608835,
        ),
        (
            (0, 20, 5, 25),
            -0.2,
            -2.121320343559643,
            0.033894853524689246,
            (-0.3913095036954034, -0.004117448685351827),
            -0.9272952180016122,
        ),
        (
            (20, 20, 18, 25),
            0.28,
            2.5751852258368566,
            0.010018641854584447,
            (0.06839994547321593, 0.47576605190361576),
            1.1151976533990733,
        ),
        (
            (3, 8, 6, 7),
            -0.4821428571428571,
            -1.901597073139162,
            0.057223850877677764,
            (-0.747564625352618, 0.006759791473318233),
            -1.0482832086266136,
        ),
    ];
    for ((ka, na, kb, nb), difference, z, p, (low, high), h) in cases {
        let what = format!("{ka}/{na} vs {kb}/{nb}");
        let t = two_proportions(ka, na, kb, nb, 0.95).unwrap();
        assert_close(t.difference, difference, &what);
        assert_close(t.z.unwrap(), z, &format!("{what}: z"));
        assert_close(t.p_value, p, &format!("{what}: p"));
        assert_close(t.difference_low, low, &format!("{what}: low"));
        assert_close(t.difference_high, high, &format!("{what}: high"));
        assert_close(t.cohens_h, h, &format!("{what}: h"));
        assert_eq!((t.a.successes, t.a.trials), (ka, na));
    }
}

#[test]
fn two_cohorts_without_variation_have_no_z_and_a_p_value_of_one() {
    // 0/10 against 0/12: statsmodels 0.15.0 proportions_ztest returns z = nan, p = nan; we say no
    // z and p = 1. Newcombe's interval (statsmodels): (-0.24249400665524096, 0.27753279986288926).
    let t = two_proportions(0, 10, 0, 12, 0.95).unwrap();
    assert_eq!(
        (t.z, t.p_value, t.difference, t.cohens_h),
        (None, 1.0, 0.0, 0.0)
    );
    assert_close(t.difference_low, -0.24249400665524096, "low");
    assert_close(t.difference_high, 0.27753279986288926, "high");
    let all = two_proportions(7, 7, 9, 9, 0.95).unwrap();
    assert_eq!((all.z, all.p_value), (None, 1.0));
}

#[test]
fn two_proportions_without_trials_are_none() {
    assert_eq!(two_proportions(0, 0, 1, 2, 0.95), None);
    assert_eq!(two_proportions(1, 2, 3, 2, 0.95), None);
}

// ------------------------------------------------------------------------------------------------
// Holm
// ------------------------------------------------------------------------------------------------

#[test]
fn holm_matches_statsmodels_in_the_input_order() {
    // statsmodels 0.15.0 multipletests(p, alpha=0.05, method='holm')
    let cases: [(&[f64], &[f64], &[bool]); 5] = [
        (
            &[0.01, 0.04, 0.03, 0.005],
            &[0.03, 0.06, 0.06, 0.02],
            &[true, false, false, true],
        ),
        (
            &[0.02, 0.02, 0.5],
            &[0.06, 0.06, 0.5],
            &[false, false, false],
        ),
        (&[0.4, 0.6, 0.9], &[1.0, 1.0, 1.0], &[false, false, false]),
        (&[0.03], &[0.03], &[true]),
        (
            &[0.012, 0.001, 0.2, 0.04, 0.013],
            &[0.048, 0.005, 0.2, 0.08, 0.048],
            &[true, true, false, false, true],
        ),
    ];
    for (p, adjusted, reject) in cases {
        let h = holm(p, 0.05).unwrap();
        for (i, (&got, &want)) in h.adjusted.iter().zip(adjusted).enumerate() {
            assert_close(got, want, &format!("{p:?}[{i}]"));
        }
        assert_eq!(h.reject, reject, "{p:?}");
        assert_eq!(h.alpha, 0.05);
    }
}

#[test]
fn holm_refuses_empty_or_invalid_p_values() {
    assert_eq!(holm(&[], 0.05), None);
    assert_eq!(holm(&[0.1, f64::NAN], 0.05), None);
    assert_eq!(holm(&[0.1, 1.5], 0.05), None);
    assert_eq!(holm(&[0.1], 0.0), None);
}

// ------------------------------------------------------------------------------------------------
// Difference in differences
// ------------------------------------------------------------------------------------------------

/// The reference script's fixture: (staff, trained, before, after), minutes per ticket.
fn did_fixture() -> Vec<DidObservation<&'static str>> {
    let staff: [(&str, bool, &[f64], &[f64]); 6] = [
        ("t1", true, &[30.0, 34.0, 41.0], &[22.0, 25.0]),
        ("t2", true, &[50.0, 46.0], &[38.0, 35.0, 40.0]),
        ("t3", true, &[28.0, 31.0, 33.0, 29.0], &[27.0, 24.0]),
        ("u1", false, &[45.0, 40.0], &[43.0, 44.0, 39.0]),
        ("u2", false, &[35.0, 37.0, 36.0], &[36.0, 33.0]),
        ("u3", false, &[52.0, 48.0], &[50.0, 51.0]),
    ];
    let mut observations = Vec::new();
    for (name, trained, before, after) in staff {
        for (is_after, values) in [(false, before), (true, after)] {
            for &value in values {
                observations.push(DidObservation {
                    staff: name,
                    trained,
                    after: is_after,
                    value,
                });
            }
        }
    }
    observations
}

#[test]
fn the_difference_in_differences_is_the_ols_interaction_coefficient() {
    // statsmodels 0.15.0 smf.ols('y ~ trained * after').fit().params['trained:after']
    // = -6.063492063492047; the four means by hand: 322/9, 211/7, 293/7, 296/7.
    let did = difference_in_differences(&did_fixture(), 2_000, 20240601, 0.95).unwrap();
    assert_close(did.estimate, -6.063492063492047, "estimate");
    assert_eq!(did.trained_before.n, 9);
    assert_close(did.trained_before.mean, 322.0 / 9.0, "trained before");
    assert_eq!(did.trained_after.n, 7);
    assert_close(did.trained_after.mean, 211.0 / 7.0, "trained after");
    assert_eq!(did.untrained_before.n, 7);
    assert_close(did.untrained_before.mean, 293.0 / 7.0, "untrained before");
    assert_eq!(did.untrained_after.n, 7);
    assert_close(did.untrained_after.mean, 296.0 / 7.0, "untrained after");
    assert_eq!((did.trained_staff, did.untrained_staff), (3, 3));
}

#[test]
fn the_cluster_bootstrap_interval_is_reproducible_and_pinned() {
    // The reference script's independent re-implementation of the documented cluster bootstrap
    // (same stream, draws and percentile rule): seed 20240601, 2,000 resamples →
    // (-11.595386904761895, -2.442857142857136), all used; seed 99, 500 resamples →
    // (-11.262499999999996, -2.320982142857143).
    let observations = did_fixture();
    let did = difference_in_differences(&observations, 2_000, 20240601, 0.95).unwrap();
    assert_close(did.low.unwrap(), -11.595386904761895, "low");
    assert_close(did.high.unwrap(), -2.442857142857136, "high");
    assert_eq!(
        (did.resamples, did.resamples_used, did.seed),
        (2_000, 2_000, 20240601)
    );
    let again = difference_in_differences(&observations, 2_000, 20240601, 0.95).unwrap();
    assert_eq!(did, again);
    let other = difference_in_differences(&observations, 500, 99, 0.95).unwrap();
    assert_close(other.low.unwrap(), -11.262499999999996, "low, seed 99");
    assert_close(other.high.unwrap(), -2.320982142857143, "high, seed 99");
    // The staff are drawn in their sorted order, whatever the order of the observations.
    let mut reversed = observations.clone();
    reversed.reverse();
    let from_reversed = difference_in_differences(&reversed, 500, 99, 0.95).unwrap();
    assert_close(from_reversed.low.unwrap(), -11.262499999999996, "reversed");
}

#[test]
fn identical_staff_give_an_interval_collapsed_on_the_estimate() {
    // By hand: every trained member has before [10, 20], after [10] → change −5; every untrained
    // member before [10], after [20, 30] → change +15; any resample gives −20.
    let mut observations = Vec::new();
    for staff in 0..4_u32 {
        for value in [10.0, 20.0] {
            observations.push(DidObservation {
                staff,
                trained: true,
                after: false,
                value,
            });
        }
        observations.push(DidObservation {
            staff,
            trained: true,
            after: true,
            value: 10.0,
        });
    }
    for staff in 10..13_u32 {
        observations.push(DidObservation {
            staff,
            trained: false,
            after: false,
            value: 10.0,
        });
        for value in [20.0, 30.0] {
            observations.push(DidObservation {
                staff,
                trained: false,
                after: true,
                value,
            });
        }
    }
    let did = difference_in_differences(&observations, 300, 5, 0.95).unwrap();
    assert_eq!(
        (did.estimate, did.low, did.high),
        (-20.0, Some(-20.0), Some(-20.0))
    );
}

#[test]
fn a_rate_difference_in_differences_is_the_change_of_the_rates() {
    // FCR as 1/0 per ticket. By hand: trained 1/4 → 3/4 (+0.5), untrained 2/4 → 2/4 (0): +0.5.
    let cells: [(&str, bool, bool, [f64; 2]); 8] = [
        ("a", true, false, [0.0, 1.0]),
        ("a", true, true, [1.0, 1.0]),
        ("b", true, false, [0.0, 0.0]),
        ("b", true, true, [1.0, 0.0]),
        ("c", false, false, [1.0, 0.0]),
        ("c", false, true, [0.0, 1.0]),
        ("d", false, false, [1.0, 0.0]),
        ("d", false, true, [1.0, 0.0]),
    ];
    let observations: Vec<_> = cells
        .iter()
        .flat_map(|&(staff, trained, after, values)| {
            values.map(|value| DidObservation {
                staff,
                trained,
                after,
                value,
            })
        })
        .collect();
    let did = difference_in_differences(&observations, 100, 1, 0.95).unwrap();
    assert_eq!(did.estimate, 0.5);
    assert_eq!(
        (did.trained_before.mean, did.trained_after.mean),
        (0.25, 0.75)
    );
}

#[test]
fn a_difference_in_differences_with_an_empty_cell_or_mixed_staff_is_none() {
    let mut observations = did_fixture();
    assert!(difference_in_differences(&observations, 0, 1, 0.95).is_none());
    assert!(difference_in_differences(&observations, 10, 1, 0.0).is_none());
    let mut with_nan = observations.clone();
    with_nan.push(DidObservation {
        staff: "t1",
        trained: true,
        after: true,
        value: f64::NAN,
    });
    assert!(difference_in_differences(&with_nan, 10, 1, 0.95).is_none());
    let mut mixed = observations.clone();
    mixed.push(DidObservation {
        staff: "t1",
        trained: false,
        after: true,
        value: 30.0,
    });
    assert!(difference_in_differences(&mixed, 10, 1, 0.95).is_none());
    observations.retain(|o| o.trained || !o.after);
    assert!(difference_in_differences(&observations, 10, 1, 0.95).is_none());
}

#[test]
fn resamples_with_an_empty_cell_are_left_out_and_counted() {
    // Staff "x" has only a before value, "y" only an after value: a resample drawing "x" twice
    // has no trained "after" cell. By hand: the estimate is (20 − 10) − (5 − 5) = 10, and every
    // usable resample draws x and y once each, so the interval is [10, 10].
    let observations = [
        DidObservation {
            staff: "x",
            trained: true,
            after: false,
            value: 10.0,
        },
        DidObservation {
            staff: "y",
            trained: true,
            after: true,
            value: 20.0,
        },
        DidObservation {
            staff: "z",
            trained: false,
            after: false,
            value: 5.0,
        },
        DidObservation {
            staff: "z",
            trained: false,
            after: true,
            value: 5.0,
        },
    ];
    let did = difference_in_differences(&observations, 400, 11, 0.95).unwrap();
    assert_eq!(did.estimate, 10.0);
    assert_eq!((did.low, did.high), (Some(10.0), Some(10.0)));
    // Each resample is usable with probability 1/2 (x then y, or y then x).
    assert!(
        (140..=260).contains(&did.resamples_used),
        "{}",
        did.resamples_used
    );
}

// ------------------------------------------------------------------------------------------------
// Flags and verdicts
// ------------------------------------------------------------------------------------------------

#[test]
fn cautions_use_the_thresholds_of_the_specification() {
    assert_eq!(MIN_OBSERVATIONS_PER_COHORT, 30);
    assert_eq!(MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS, 400);
    assert_eq!(
        Caution::too_few(29),
        Some(Caution::TooFewToConclude {
            observations: 29,
            minimum: 30
        })
    );
    assert_eq!(Caution::too_few(30), None);
    assert_eq!(
        Caution::csat_wide(399).map(|c| c.label()),
        Some("wider than ±5 points")
    );
    assert_eq!(Caution::csat_wide(400), None);
    // At 400 ratings and 50 %, the Wilson interval is within ±5 points (by hand ±4.9).
    let w = wilson(200, 400, CONFIDENCE_95).unwrap();
    assert!(w.high - w.rate < 0.05 && w.rate - w.low < 0.05);
    assert_eq!(
        serde_json::to_value(Caution::too_few(3)).unwrap(),
        serde_json::json!({"flag": "too_few_to_conclude", "observations": 3, "minimum": 30})
    );
}

#[test]
fn verdicts_follow_the_direction_the_significance_and_the_sizes() {
    use Better::{Higher, Lower};
    use Verdict::*;
    let cases = [
        ("A faster, significant", 40, 50, -0.3, Lower, 0.01, ABetter),
        ("A slower, significant", 40, 50, 0.3, Lower, 0.01, BBetter),
        (
            "A higher CSAT, significant",
            40,
            50,
            0.1,
            Higher,
            0.049,
            ABetter,
        ),
        (
            "A lower CSAT, significant",
            40,
            50,
            -0.1,
            Higher,
            0.05,
            BBetter,
        ),
        (
            "not significant",
            40,
            50,
            -0.3,
            Lower,
            0.051,
            NoDetectableDifference,
        ),
        (
            "no effect",
            40,
            50,
            0.0,
            Lower,
            0.001,
            NoDetectableDifference,
        ),
        (
            "NaN p",
            40,
            50,
            0.2,
            Lower,
            f64::NAN,
            NoDetectableDifference,
        ),
        (
            "A too small",
            29,
            500,
            -0.9,
            Lower,
            0.0001,
            TooFewToConclude,
        ),
        (
            "B too small",
            500,
            12,
            0.9,
            Higher,
            0.0001,
            TooFewToConclude,
        ),
    ];
    for (what, n_a, n_b, effect, better, p, expected) in cases {
        assert_eq!(
            verdict(n_a, n_b, effect, better, p, 0.05),
            expected,
            "{what}"
        );
    }
    assert_eq!(NoDetectableDifference.label(), "no detectable difference");
    assert_eq!(
        serde_json::to_value(ABetter).unwrap(),
        serde_json::json!("a_better")
    );
}
