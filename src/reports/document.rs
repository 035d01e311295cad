//! The evidence report's JSON document: every type here serializes its fields in declaration
//! order, holds no map, and rounds its floating-point values ([`round`]) before they are stored,
//! so that the same inputs and parameters give the same bytes (serde_json writes the shortest
//! decimal that reads back as the same `f64`). docs/REPORTS.md describes each section.

use super::params::{EvidenceParams, ScopeKind};
use crate::domain::inference::Caution;
use serde::Serialize;
use utoipa::ToSchema;

/// The `format` of the document.
pub const FORMAT: &str = "frontline.evidence.v1";

/// `x` rounded to `decimals` places (half away from zero); how every float of the document is
/// fixed: rates and ratios to 6 places, seconds to 3.
pub fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    let r = (x * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

/// What a figure's value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A number of tickets (or work orders).
    Count,
    /// Seconds.
    Seconds,
    /// A fraction in [0, 1].
    Ratio,
}

/// A figure's 95 % interval and how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Interval {
    /// `wilson`, `bootstrap_percentile` or `kaplan_meier_loglog`.
    pub method: &'static str,
    /// The confidence level (0.95).
    pub confidence: f64,
    /// Lower bound (`null`: not reached, for a Kaplan–Meier median).
    pub low: Option<f64>,
    /// Upper bound (`null`: not reached, for a Kaplan–Meier median).
    pub high: Option<f64>,
    /// The bootstrap's seed (bootstrap only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The bootstrap's resamples (bootstrap only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resamples: Option<usize>,
}

/// The same figure over the comparison period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Comparison {
    /// The value (`null` without observations).
    pub value: Option<f64>,
    /// Its sample size.
    pub n: u64,
    /// Its interval.
    pub interval: Option<Interval>,
}

/// Eligibility minus comparison.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Change {
    /// `value − comparison.value`, in the figure's unit.
    pub absolute: f64,
    /// `absolute / comparison.value` (`null` when the comparison value is 0).
    pub relative: Option<f64>,
}

/// One figure: the unit of every section, of the CSV and of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figure {
    /// Stable id, e.g. `headline.first_reply_median` (docs/REPORTS.md lists them).
    pub id: String,
    /// What a reader sees.
    pub label: String,
    /// The docs/METRICS.md id of its definition (`frt.v1`, `csat.v1`, …).
    pub definition: &'static str,
    /// The value's unit.
    pub unit: Unit,
    /// The value (`null` without observations: never 0, never NaN).
    pub value: Option<f64>,
    /// The sample size: tickets, ratings or work orders behind the value.
    pub n: u64,
    /// For a rate: the numerator (`value = successes / n`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successes: Option<u64>,
    /// The 95 % interval (`null` for counts and where not computed).
    pub interval: Option<Interval>,
    /// Over the comparison period (headline figures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The change (headline figures with both values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// Cautions: too few observations, CSAT wider than ±5 points.
    pub flags: Vec<Caution>,
    /// A label the reader must see beside the value (the naive median's), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// One monthly series (the data of one chart).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Series {
    /// `volume`, `first_reply_median`, `resolution_median`, `sla_attainment`, `csat`,
    /// `first_time_fix`.
    pub metric: &'static str,
    /// Chart title.
    pub label: &'static str,
    /// The docs/METRICS.md id.
    pub definition: &'static str,
    /// The points' unit.
    pub unit: Unit,
    /// One figure per month (`monthly.<metric>.<YYYY-MM>`), in order.
    pub points: Vec<Figure>,
}

/// The figures of one group of a split.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SplitGroup {
    /// `in_house` / `outsourced`, or `employee` / `contractor`.
    pub value: String,
    /// Figures `splits.<dimension>.<value>.<figure>`.
    pub figures: Vec<Figure>,
}

/// A split of the eligibility period's figures by one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Split {
    /// `sourcing` or `technician_employment_type`.
    pub dimension: &'static str,
    /// One group per value, in the order of the list above.
    pub groups: Vec<SplitGroup>,
}

/// A consented, anonymised survey comment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Testimonial {
    /// The quote, anonymised (src/reports/anonymise.rs).
    pub quote: String,
    /// The rating, 1–5.
    pub rating: i16,
    /// The month it was given, `YYYY-MM` in the report's zone.
    pub month: String,
}

/// One definition the report used.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Definition {
    /// The docs/METRICS.md id.
    pub id: &'static str,
    /// Where docs/METRICS.md defines it.
    pub source: &'static str,
    /// How the report applies it (membership instant, unit of analysis).
    pub text: &'static str,
}

/// A flag raised on a figure, listed once more in the methodology.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RaisedFlag {
    /// The figure.
    pub figure: String,
    /// The words a report prints.
    pub label: &'static str,
}

/// How the figures were made.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Methodology {
    /// Every definition used.
    pub definitions: Vec<Definition>,
    /// Which business calendar measured which duration.
    pub calendars: String,
    /// Whose tickets, ratings and work orders count.
    pub filters: Vec<String>,
    /// What was left out, and why.
    pub exclusions: Vec<&'static str>,
    /// Rows read: tickets, ratings, work orders.
    pub sample_sizes: SampleSizes,
    /// The statistics (docs/METRICS.md §10).
    pub statistics: Statistics,
    /// Every flag raised, by figure id.
    pub flags: Vec<RaisedFlag>,
}

/// Rows behind the report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SampleSizes {
    /// Tickets that count in at least one figure of either period.
    pub tickets: u64,
    /// Ratings (one per ticket) in either period.
    pub ratings: u64,
    /// Finished work orders in either period.
    pub work_orders: u64,
}

/// The statistical settings.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Statistics {
    /// Confidence of every interval.
    pub confidence: f64,
    /// Bootstrap seed.
    pub bootstrap_seed: u64,
    /// Bootstrap resamples.
    pub bootstrap_resamples: usize,
    /// First-time fix's N, days.
    pub ftf_days: i64,
    /// The methods, in words.
    pub methods: Vec<&'static str>,
}

/// The integrity manifest (docs/REPORTS.md, "Manifest").
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Manifest {
    /// `SHA-256`.
    pub algorithm: &'static str,
    /// The canonical form's name, `frontline.evidence.inputs.v4`.
    pub canonical_form: &'static str,
    /// SHA-256 (hex) of the parameters' JSON.
    pub parameters_sha256: String,
    /// SHA-256 (hex) of the canonical input lines.
    pub inputs_sha256: String,
    /// SHA-256 (hex) of the parameters' JSON, a newline, and the canonical input lines.
    pub sha256: String,
    /// Ticket lines.
    pub tickets: u64,
    /// Rating lines.
    pub ratings: u64,
    /// Work-order lines.
    pub work_orders: u64,
    /// Completion lines (`c`) of the training section.
    pub completions: u64,
    /// Staff lines (`s`) of the training section.
    pub staff: u64,
    /// First-reply (`f`) and reopen (`o`) lines of the training section.
    pub facts: u64,
}

/// The scope with its name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Scope {
    /// Kind.
    pub kind: ScopeKind,
    /// Id (`null` for the company).
    pub id: Option<i64>,
    /// Name when generated.
    pub name: String,
}

/// One bullet or sentence of the written part, with the figures whose values it states.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Claim {
    /// The words (every number in them is the rounded value of a cited figure).
    pub text: String,
    /// The ids of the figures it cites, in the order the text states them.
    pub figures: Vec<String>,
}

/// One paragraph of the draft essay.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EssayParagraph {
    /// `problem`, `action` or `result`.
    pub part: &'static str,
    /// Its sentences.
    pub sentences: Vec<Claim>,
}

/// The written part (src/reports/narrative.rs): an achievements list and a draft essay, written
/// only from the report's own figures; a figure flagged "too few to conclude" is never claimed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, Default)]
pub struct Narrative {
    /// At most 10 bullets, at most 150 words together.
    pub achievements: Vec<Claim>,
    /// Problem → action → result, within the parameters' `word_limit`.
    pub essay: Vec<EssayParagraph>,
    /// The essay's words (whitespace-separated tokens).
    pub essay_words: u32,
}

/// The training effect of one course (docs/METRICS.md §11), for staff of the scope who
/// completed it, against untrained staff over the same calendar weeks.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrainingCourse {
    /// The course's id.
    pub course_id: i64,
    /// The course's name.
    pub course: String,
    /// Staff of the scope who completed it within the eligibility period.
    pub trained_staff: u64,
    /// Untrained staff compared with them.
    pub untrained_staff: u64,
    /// Figures `training.<course_id>.<metric>.<…>`: the difference in differences (value, 95 %
    /// cluster-bootstrap interval, n = observations) and the four cells' means.
    pub figures: Vec<Figure>,
}

/// The training-effect section.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrainingSection {
    /// Weeks compared before and after each completion.
    pub weeks: u32,
    /// One entry per course with completions in scope, by course id.
    pub courses: Vec<TrainingCourse>,
}

/// The evidence report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EvidenceDocument {
    /// [`FORMAT`].
    pub format: &'static str,
    /// The parameters (what `verify` re-reads).
    pub parameters: EvidenceParams,
    /// Whose work.
    pub scope: Scope,
    /// Headline figures, eligibility against comparison.
    pub headline: Vec<Figure>,
    /// Monthly series of the eligibility period.
    pub monthly: Vec<Series>,
    /// Splits by sourcing and by technician employment type (only those with both values).
    pub splits: Vec<Split>,
    /// Consented, anonymised comments of the eligibility period, by survey.
    pub testimonials: Vec<Testimonial>,
    /// The training effect (`null` when no staff of the scope completed a course in the
    /// eligibility period).
    pub training: Option<TrainingSection>,
    /// Achievements and the draft essay, from the figures above.
    pub narrative: Narrative,
    /// Definitions, calendars, filters, exclusions, sample sizes, flags.
    pub methodology: Methodology,
    /// The integrity manifest.
    pub manifest: Manifest,
}

impl EvidenceDocument {
    /// Every figure, in document order: headline, monthly, splits, training.
    pub fn figures(&self) -> Vec<&Figure> {
        let mut out: Vec<&Figure> = self.headline.iter().collect();
        out.extend(self.monthly.iter().flat_map(|s| &s.points));
        out.extend(
            self.splits
                .iter()
                .flat_map(|s| &s.groups)
                .flat_map(|g| &g.figures),
        );
        out.extend(
            self.training
                .iter()
                .flat_map(|t| &t.courses)
                .flat_map(|c| &c.figures),
        );
        out
    }

    /// The document's bytes: pretty-printed JSON and a final newline.
    ///
    /// # Errors
    /// Never in practice (the types serialize without maps or non-finite floats).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}
