//! The two-proportion z-test, against statsmodels.

use super::*;

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
