//! A bake-off's figures from its observations: per metric, both cohorts' figures with 95 %
//! intervals, the difference, the effect size, the p-value, Holm's correction across the metrics
//! and the plain verdict; the same per stratum. Every statistic is `domain::inference`'s.

use super::inputs::{Observation, Observations};
use super::protocol::{BakeOffMetric, Protocol};
use crate::domain::inference::{
    self, Better, CONFIDENCE_95, Verdict, bootstrap_median, holm, mann_whitney, two_proportions,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// One cohort's figure of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CohortFigure {
    /// Observations (tickets, ratings, surveys or work orders).
    pub n: usize,
    /// The median (durations, seconds) or the rate (0–1); `null` without observations.
    pub value: Option<f64>,
    /// Observations with the outcome (rates only).
    pub successes: Option<u64>,
    /// The 95 % interval: bootstrap percentile of the median (the protocol's seed and
    /// resamples), or Wilson's for a rate.
    pub interval: Option<Interval>,
}

/// The effect size of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EffectSize {
    /// `rank_biserial` (durations; positive when A's values tend to be larger) or `cohens_h`
    /// (rates; positive when A's rate is higher).
    pub name: String,
    /// Its value.
    pub value: f64,
}

/// One metric compared (overall or within a stratum).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MetricResult {
    /// Figure id: the metric's id, then `[dimension=value]` within a stratum.
    pub id: String,
    /// The metric.
    pub metric: BakeOffMetric,
    /// Its docs/METRICS.md definition.
    pub definition: String,
    /// `business_seconds`, `seconds` or `ratio`.
    pub unit: String,
    /// Which way it improves.
    pub better: Better,
    /// `mann_whitney_u` or `two_proportion_z`.
    pub test: String,
    /// Cohort A.
    pub a: CohortFigure,
    /// Cohort B.
    pub b: CohortFigure,
    /// A − B: the difference of medians (seconds) or of rates; `null` when a cohort is empty.
    pub difference: Option<f64>,
    /// The 95 % interval of the difference of rates (Newcombe's hybrid score); `null` for
    /// durations (the medians' intervals are given per cohort).
    pub difference_interval: Option<Interval>,
    /// The effect size.
    pub effect_size: Option<EffectSize>,
    /// U of cohort A (Mann–Whitney) or the pooled z (two proportions).
    pub statistic: Option<f64>,
    /// The raw two-sided p-value.
    pub p_value: Option<f64>,
    /// Holm's adjusted p-value across the metrics of the same family (overall, or one stratum).
    pub p_adjusted: Option<f64>,
    /// The plain verdict.
    pub verdict: Verdict,
    /// The verdict's words.
    pub verdict_label: String,
    /// Observations in both cohorts (their filters overlap): they are counted in each.
    pub overlap: usize,
    /// Cautions: "too few to conclude" (a cohort below the protocol's minimum sample), "wider
    /// than ±5 points" (CSAT from fewer than 400 ratings), "cohorts overlap".
    pub flags: Vec<String>,
}

/// The results of one stratum (one value of one dimension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StratumResults {
    /// `priority`, `category`, `channel` or `site`.
    pub dimension: String,
    /// The value (`(none)` when absent).
    pub value: String,
    /// Per metric.
    pub results: Vec<MetricResult>,
}

fn unit_of(metric: BakeOffMetric) -> &'static str {
    match metric {
        BakeOffMetric::FirstReplyTime | BakeOffMetric::FullResolutionTime => "business_seconds",
        BakeOffMetric::WrenchTime => "seconds",
        _ => "ratio",
    }
}

/// The comparison of one metric over `rows` (that metric's observations), before Holm's
/// correction (`p_adjusted` is filled by [`family`]).
fn compare<'o>(
    protocol: &Protocol,
    metric: BakeOffMetric,
    id: String,
    rows: impl Iterator<Item = &'o Observation> + Clone,
) -> MetricResult {
    // Durations keep their values (medians, ranks); rates only their counts.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut na, mut nb, mut sa, mut sb, mut overlap) = (0_usize, 0_usize, 0_u64, 0_u64, 0_usize);
    let duration = metric.is_duration();
    for o in rows {
        if o.a {
            na += 1;
            sa += u64::from(o.value != 0);
            if duration {
                a.push(i64::from(o.value));
            }
        }
        if o.b {
            nb += 1;
            sb += u64::from(o.value != 0);
            if duration {
                b.push(i64::from(o.value));
            }
        }
        overlap += usize::from(o.a && o.b);
    }
    let mut result = MetricResult {
        id,
        metric,
        definition: metric.definition().to_string(),
        unit: unit_of(metric).to_string(),
        better: metric.better(),
        test: if metric.is_duration() {
            "mann_whitney_u"
        } else {
            "two_proportion_z"
        }
        .to_string(),
        a: CohortFigure {
            n: na,
            value: None,
            successes: None,
            interval: None,
        },
        b: CohortFigure {
            n: nb,
            value: None,
            successes: None,
            interval: None,
        },
        difference: None,
        difference_interval: None,
        effect_size: None,
        statistic: None,
        p_value: None,
        p_adjusted: None,
        verdict: Verdict::TooFewToConclude,
        verdict_label: String::new(),
        overlap,
        flags: Vec::new(),
    };
    let (seed, resamples) = (protocol.bootstrap_seed, protocol.bootstrap_resamples);
    if metric.is_duration() {
        let median = |v: &[i64]| {
            bootstrap_median(v, resamples, seed, CONFIDENCE_95).map(|m| {
                (
                    m.median,
                    Interval {
                        low: m.low,
                        high: m.high,
                    },
                )
            })
        };
        if let Some((value, interval)) = median(&a) {
            result.a.value = Some(value);
            result.a.interval = Some(interval);
        }
        if let Some((value, interval)) = median(&b) {
            result.b.value = Some(value);
            result.b.interval = Some(interval);
        }
        if let (Some(va), Some(vb)) = (result.a.value, result.b.value) {
            result.difference = Some(va - vb);
        }
        if let Some(mw) = mann_whitney(&a, &b) {
            result.effect_size = Some(EffectSize {
                name: "rank_biserial".to_string(),
                value: mw.rank_biserial,
            });
            result.statistic = Some(mw.u_a);
            result.p_value = Some(mw.p_value);
        }
    } else {
        for (fig, s, n) in [(&mut result.a, sa, na), (&mut result.b, sb, nb)] {
            if let Some(p) = inference::wilson(s, n as u64, CONFIDENCE_95) {
                fig.value = Some(p.rate);
                fig.successes = Some(s);
                fig.interval = Some(Interval {
                    low: p.low,
                    high: p.high,
                });
            }
        }
        if let Some(t) = two_proportions(sa, na as u64, sb, nb as u64, CONFIDENCE_95) {
            result.difference = Some(t.difference);
            result.difference_interval = Some(Interval {
                low: t.difference_low,
                high: t.difference_high,
            });
            result.effect_size = Some(EffectSize {
                name: "cohens_h".to_string(),
                value: t.cohens_h,
            });
            result.statistic = t.z;
            result.p_value = Some(t.p_value);
        }
    }
    if result.a.n < protocol.min_sample || result.b.n < protocol.min_sample {
        result.flags.push(format!(
            "too few to conclude (fewer than {} per cohort)",
            protocol.min_sample
        ));
    }
    if metric == BakeOffMetric::Csat {
        let fewest = result.a.n.min(result.b.n);
        if let Some(c) = inference::Caution::csat_wide(fewest) {
            result.flags.push(format!(
                "{} (fewer than {} ratings)",
                c.label(),
                inference::MIN_CSAT_RATINGS_WITHIN_FIVE_POINTS
            ));
        }
    }
    if overlap > 0 {
        result.flags.push(format!(
            "cohorts overlap: {overlap} observations are in both"
        ));
    }
    result
}

/// Holm's correction across `results` (one family) and each one's verdict.
fn family(protocol: &Protocol, results: &mut [MetricResult]) {
    let tested: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].p_value.is_some())
        .collect();
    let ps: Vec<f64> = tested.iter().filter_map(|&i| results[i].p_value).collect();
    if let Some(h) = holm(&ps, protocol.alpha) {
        for (k, &i) in tested.iter().enumerate() {
            results[i].p_adjusted = h.adjusted.get(k).copied();
        }
    }
    for r in results.iter_mut() {
        r.verdict = match (r.p_adjusted, r.effect_size.as_ref()) {
            _ if r.a.n < protocol.min_sample || r.b.n < protocol.min_sample => {
                Verdict::TooFewToConclude
            }
            (Some(p), Some(effect)) => {
                // The signed effect, positive when A's values are higher.
                let a_minus_b = if r.test == "mann_whitney_u" {
                    effect.value
                } else {
                    r.difference.unwrap_or(f64::NAN)
                };
                inference::verdict(r.a.n, r.b.n, a_minus_b, r.better, p, protocol.alpha)
            }
            _ => Verdict::TooFewToConclude,
        };
        r.verdict_label = r.verdict.label().to_string();
    }
}

/// The overall results (one per metric of the protocol, in its order) and the per-stratum
/// results (by dimension, then value in ascending order).
pub fn results(
    protocol: &Protocol,
    observations: &Observations,
) -> (Vec<MetricResult>, Vec<StratumResults>) {
    let rows = &observations.rows;
    // The rows are ordered by metric: each metric's are one run.
    let of = |metric: BakeOffMetric| -> &[Observation] {
        let low = rows.partition_point(|o| o.metric < metric);
        let high = rows.partition_point(|o| o.metric <= metric);
        &rows[low..high]
    };
    let mut overall: Vec<MetricResult> = protocol
        .metrics
        .iter()
        .map(|&m| compare(protocol, m, m.id().to_string(), of(m).iter()))
        .collect();
    family(protocol, &mut overall);

    let mut strata = Vec::new();
    for (k, dimension) in protocol.strata.iter().enumerate() {
        // Per value met (its index in `strata_values`), its observations, still by metric.
        let values = observations
            .strata_values
            .get(k)
            .map_or(&[][..], Vec::as_slice);
        // Positions in `rows` (4 bytes each, not a reference's 8: a year at a million tickets
        // has six million observations; four billion would not fit in memory anyway).
        let mut groups: Vec<Vec<u32>> = vec![Vec::new(); values.len()];
        for (i, o) in rows.iter().enumerate() {
            if let (Some(group), Ok(i)) = (groups.get_mut(o.strata[k] as usize), u32::try_from(i)) {
                group.push(i);
            }
        }
        let at = |i: u32| &rows[i as usize];
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&x, &y| values[x].cmp(&values[y]));
        for i in order {
            let group = &groups[i];
            if group.is_empty() {
                continue;
            }
            let value = values[i].as_str();
            let mut results: Vec<MetricResult> = protocol
                .metrics
                .iter()
                .map(|&m| {
                    let low = group.partition_point(|&i| at(i).metric < m);
                    let high = group.partition_point(|&i| at(i).metric <= m);
                    let id = format!("{}[{}={}]", m.id(), dimension.as_str(), value);
                    compare(protocol, m, id, group[low..high].iter().map(|&i| at(i)))
                })
                .collect();
            family(protocol, &mut results);
            strata.push(StratumResults {
                dimension: dimension.as_str().to_string(),
                value: value.to_string(),
                results,
            });
        }
    }
    (overall, strata)
}
