//! Tests of `domain::inference`, one file per statistic. Expected values come from
//! scripts/inference_reference.py, run with Python 3.11.7, NumPy 2.4.6, pandas 2.3.3, SciPy
//! 1.17.1, statsmodels 0.15.0 and lifelines 0.30.3 (each literal names its function), or are
//! worked out by hand where the comment says so. Where the algorithm is the same the tolerance
//! is 1e-9 relative (1e-12 absolute near 0).

use super::*;

mod bootstrap;
mod difference_in_differences;
mod holm;
mod kaplan_meier;
mod mann_whitney;
mod two_proportions;
mod verdicts;
mod wilson;

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
