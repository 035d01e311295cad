//! Cautions and verdicts.

use super::*;

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
