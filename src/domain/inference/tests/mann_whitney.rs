//! The Mann–Whitney U test: exact and asymptotic p-values, against SciPy.

use super::*;

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
