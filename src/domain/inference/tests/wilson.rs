//! Wilson score intervals of a rate, and the normal quantile they use.

use super::*;

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
