//! Differences in differences (durations and rates) and their cluster bootstrap.

use super::*;

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
