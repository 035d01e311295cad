//! Kaplan–Meier curves and their median, against lifelines.

use super::*;

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

#[test]
fn the_median_alone_equals_the_curves_median() {
    // kaplan_meier_median walks the same curve without keeping it: on samples with ties, heavy
    // censoring, all events and all censored, its three times equal kaplan_meier's.
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut checked = 0;
    for round in 0..400 {
        let n = 1 + round % 60;
        let spread = [3, 50, 10_000][round % 3];
        let censor_share = [0.0, 0.3, 0.7, 1.0][round % 4];
        let sample: Vec<TimeToEvent> = (0..n)
            .map(|_| TimeToEvent {
                duration: rng.random_range(0..spread),
                event: rng.random::<f64>() >= censor_share,
            })
            .collect();
        for confidence in [0.8, 0.95] {
            let full = kaplan_meier(&sample, confidence).unwrap();
            let alone = kaplan_meier_median(&sample, confidence).unwrap();
            assert_eq!(
                (alone.n, alone.median, alone.median_low, alone.median_high),
                (full.n, full.median, full.median_low, full.median_high),
                "round {round}"
            );
            checked += usize::from(full.median_high.is_some());
        }
    }
    // Most samples reach ½ on the upper curve too: the early stop is exercised.
    assert!(checked > 200, "{checked}");
    assert_eq!(kaplan_meier_median(&[], 0.95), None);
    assert_eq!(kaplan_meier_median(&[TimeToEvent::event(-1)], 0.95), None);
    assert_eq!(kaplan_meier_median(&[TimeToEvent::censored(5)], 1.5), None);
}
