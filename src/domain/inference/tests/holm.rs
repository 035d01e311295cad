//! Holm's correction of several p-values, against statsmodels.

use super::*;

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
