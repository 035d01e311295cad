//! The difference in differences of the training-effect comparison (moved from
//! `inference.rs`; [`DidSums`] added so a caller need not hold the observations).

use super::{
    BTreeMap, ChaCha8Rng, SeedableRng, Serialize, percentile_bounds, percentile_cont_f64, sort_f64,
    uniform_index,
};

/// One observation of the training-effect comparison: a value of the metric (a ticket's duration
/// in seconds, or 1/0 for a rate such as FCR) credited to a staff member, before or after the
/// trained staff's completion date, over the same calendar weeks for both groups.
#[derive(Debug, Clone, PartialEq)]
pub struct DidObservation<K> {
    /// The staff member the value is credited to (the bootstrap's cluster).
    pub staff: K,
    /// Whether the staff member completed the training (the same for all their observations).
    pub trained: bool,
    /// Whether the value falls after the completion date (untrained staff: after the same cut).
    pub after: bool,
    /// The value (seconds for a duration, 0 or 1 for a rate); finite.
    pub value: f64,
}

/// One cell of the 2×2 table: a group in a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DidCell {
    /// Number of observations (tickets).
    pub n: usize,
    /// Their mean value.
    pub mean: f64,
}

/// The difference in differences of the training-effect section.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DifferenceInDifferences {
    /// `(mean after − mean before) of trained − (mean after − mean before) of untrained`, in the
    /// metric's unit: negative when the trained staff's values fell more (or rose less).
    pub estimate: f64,
    /// Lower bound of the cluster-bootstrap percentile interval; `None` when no resample could
    /// be used.
    pub low: Option<f64>,
    /// Upper bound of the cluster-bootstrap percentile interval; `None` when no resample could
    /// be used.
    pub high: Option<f64>,
    /// Trained staff, before.
    pub trained_before: DidCell,
    /// Trained staff, after.
    pub trained_after: DidCell,
    /// Untrained staff, before.
    pub untrained_before: DidCell,
    /// Untrained staff, after.
    pub untrained_after: DidCell,
    /// Number of trained staff members.
    pub trained_staff: usize,
    /// Number of untrained staff members.
    pub untrained_staff: usize,
    /// The interval's confidence level.
    pub confidence: f64,
    /// Bootstrap resamples drawn.
    pub resamples: usize,
    /// Resamples used: a resample with an empty cell (its drawn staff had no value before, or
    /// none after) has no estimate and is left out.
    pub resamples_used: usize,
    /// The generator's seed (the report prints it).
    pub seed: u64,
}

/// Sums and counts before and after, of a staff member or of a group of them.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    before_sum: f64,
    before_n: usize,
    after_sum: f64,
    after_n: usize,
}

impl Sums {
    /// Adds a staff member's sums (in the order members are given: the rounding depends on it).
    fn add(&mut self, staff: &Sums) {
        self.before_sum += staff.before_sum;
        self.before_n += staff.before_n;
        self.after_sum += staff.after_sum;
        self.after_n += staff.after_n;
    }

    /// Mean after − mean before; `None` when a period is empty.
    fn change(&self) -> Option<f64> {
        (self.before_n > 0 && self.after_n > 0)
            .then(|| self.after_sum / self.after_n as f64 - self.before_sum / self.before_n as f64)
    }
}

/// The training effect as a difference in differences (shared METRICS.md's evidence reports):
/// the mean change of the trained staff's values minus the mean change of the untrained staff's
/// over the same calendar weeks, each group's means pooled over its observations (tickets). This
/// is the interaction coefficient of the OLS regression `value ~ trained * after` (statsmodels),
/// the usual 2×2 estimator.
///
/// The interval is a percentile **cluster bootstrap over staff members**, stratified by group, so
/// that a staff member's tickets move together (they are not independent): with
/// `ChaCha8Rng::seed_from_u64(seed)`, each resample draws as many trained staff members as there
/// are, with replacement, with [`uniform_index`] over the trained staff sorted by `K`, then as many
/// untrained ones likewise; it pools the drawn members' observations (a member drawn twice counts
/// twice) and computes the estimate. Resamples with an empty cell are left out
/// (`resamples_used`). The bounds are the `(1 − confidence)/2` and `1 − (1 − confidence)/2`
/// quantiles of the estimates by `percentile_cont`, as for [`super::bootstrap_median`].
///
/// `None` when a cell of the 2×2 table is empty, a value is not finite (or the sums overflow), a
/// staff member appears in both groups, `resamples` is 0 or `confidence` is outside (0, 1).
pub fn difference_in_differences<K: Ord>(
    observations: &[DidObservation<K>],
    resamples: usize,
    seed: u64,
    confidence: f64,
) -> Option<DifferenceInDifferences> {
    let mut sums = DidSums::new();
    for o in observations {
        sums.push(&o.staff, o.trained, o.after, o.value);
    }
    sums.estimate(resamples, seed, confidence)
}

/// The per-staff sums [`difference_in_differences`] reduces its observations to, gathered one
/// value at a time: the estimate needs no list of observations (a year's stacked cohorts are a
/// million of them). Pushing the observations in their order gives exactly the function's
/// result (each staff member's sums are added in the same order).
#[derive(Debug, Clone)]
pub struct DidSums<K> {
    staff: BTreeMap<K, (bool, Sums)>,
    /// A value was not finite, or a staff member was pushed in both groups.
    invalid: bool,
}

impl<K: Ord> Default for DidSums<K> {
    fn default() -> Self {
        DidSums::new()
    }
}

impl<K: Ord> DidSums<K> {
    /// No observations yet.
    pub fn new() -> DidSums<K> {
        DidSums {
            staff: BTreeMap::new(),
            invalid: false,
        }
    }

    /// Adds one observation ([`DidObservation`]'s fields).
    pub fn push(&mut self, staff: K, trained: bool, after: bool, value: f64) {
        if !value.is_finite() {
            self.invalid = true;
            return;
        }
        let entry = self
            .staff
            .entry(staff)
            .or_insert((trained, Sums::default()));
        if entry.0 != trained {
            self.invalid = true;
            return;
        }
        if after {
            entry.1.after_sum += value;
            entry.1.after_n += 1;
        } else {
            entry.1.before_sum += value;
            entry.1.before_n += 1;
        }
    }

    /// Observations per cell: trained before, trained after, untrained before, untrained after.
    pub fn cells(&self) -> [usize; 4] {
        let mut n = [0; 4];
        for (trained, s) in self.staff.values() {
            let row = usize::from(!trained) * 2;
            n[row] += s.before_n;
            n[row + 1] += s.after_n;
        }
        n
    }

    /// The estimate and its interval ([`difference_in_differences`]); `None` in its cases.
    pub fn estimate(
        &self,
        resamples: usize,
        seed: u64,
        confidence: f64,
    ) -> Option<DifferenceInDifferences> {
        let (lower, upper) = percentile_bounds(confidence)?;
        if resamples == 0 || self.invalid {
            return None;
        }
        let staff = &self.staff;
        let trained: Vec<Sums> = staff
            .values()
            .filter(|(t, _)| *t)
            .map(|&(_, s)| s)
            .collect();
        let untrained: Vec<Sums> = staff
            .values()
            .filter(|(t, _)| !*t)
            .map(|&(_, s)| s)
            .collect();

        let group = |members: &[Sums]| {
            let mut sums = Sums::default();
            members.iter().for_each(|s| sums.add(s));
            sums
        };
        let trained_sums = group(&trained);
        let untrained_sums = group(&untrained);
        let estimate = trained_sums.change()? - untrained_sums.change()?;
        if !estimate.is_finite() {
            return None;
        }
        let cell = |sum: f64, n: usize| DidCell {
            n,
            mean: sum / n as f64,
        };

        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut estimates = Vec::with_capacity(resamples);
        for _ in 0..resamples {
            let mut t = Sums::default();
            for _ in 0..trained.len() {
                t.add(trained.get(uniform_index(&mut rng, trained.len()))?);
            }
            let mut u = Sums::default();
            for _ in 0..untrained.len() {
                u.add(untrained.get(uniform_index(&mut rng, untrained.len()))?);
            }
            if let (Some(ct), Some(cu)) = (t.change(), u.change()) {
                let estimate = ct - cu;
                if estimate.is_finite() {
                    estimates.push(estimate);
                }
            }
        }
        sort_f64(&mut estimates);

        Some(DifferenceInDifferences {
            estimate,
            low: percentile_cont_f64(&estimates, lower),
            high: percentile_cont_f64(&estimates, upper),
            trained_before: cell(trained_sums.before_sum, trained_sums.before_n),
            trained_after: cell(trained_sums.after_sum, trained_sums.after_n),
            untrained_before: cell(untrained_sums.before_sum, untrained_sums.before_n),
            untrained_after: cell(untrained_sums.after_sum, untrained_sums.after_n),
            trained_staff: trained.len(),
            untrained_staff: untrained.len(),
            confidence,
            resamples,
            resamples_used: estimates.len(),
            seed,
        })
    }
}
