//! The document as the renderers read it: an owned mirror of [`EvidenceDocument`] read back
//! from its JSON, so that a stored report (its bytes) and a fresh document render the same way.
//! Fields the renderers do not show are not mirrored; unknown fields are ignored.
//!
//! [`EvidenceDocument`]: crate::reports::EvidenceDocument

use crate::reports::params::EvidenceParams;
use serde::Deserialize;

/// The report.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Doc {
    pub parameters: EvidenceParams,
    pub scope: Scope,
    pub headline: Vec<Fig>,
    pub monthly: Vec<Series>,
    pub splits: Vec<Split>,
    pub testimonials: Vec<Testimonial>,
    #[serde(default)]
    pub training: Option<Training>,
    #[serde(default)]
    pub narrative: Narrative,
    pub methodology: Methodology,
    pub manifest: Manifest,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Scope {
    pub kind: String,
    pub id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Interval {
    pub method: String,
    pub confidence: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub resamples: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Comparison {
    pub value: Option<f64>,
    pub n: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Change {
    pub absolute: f64,
    pub relative: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Flag {
    pub flag: String,
}

/// One figure.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Fig {
    pub id: String,
    pub label: String,
    pub definition: String,
    pub unit: String,
    pub value: Option<f64>,
    pub n: u64,
    #[serde(default)]
    pub interval: Option<Interval>,
    #[serde(default)]
    pub comparison: Option<Comparison>,
    #[serde(default)]
    pub change: Option<Change>,
    #[serde(default)]
    pub flags: Vec<Flag>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Series {
    pub metric: String,
    pub label: String,
    pub definition: String,
    pub unit: String,
    pub points: Vec<Fig>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SplitGroup {
    pub value: String,
    pub figures: Vec<Fig>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Split {
    pub dimension: String,
    pub groups: Vec<SplitGroup>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Testimonial {
    pub quote: String,
    pub rating: i16,
    pub month: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Definition {
    pub id: String,
    pub source: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RaisedFlag {
    pub figure: String,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SampleSizes {
    pub tickets: u64,
    pub ratings: u64,
    pub work_orders: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Statistics {
    pub confidence: f64,
    pub bootstrap_seed: u64,
    pub bootstrap_resamples: u64,
    pub ftf_days: i64,
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Methodology {
    pub definitions: Vec<Definition>,
    pub calendars: String,
    pub filters: Vec<String>,
    pub exclusions: Vec<String>,
    pub sample_sizes: SampleSizes,
    pub statistics: Statistics,
    pub flags: Vec<RaisedFlag>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Manifest {
    pub algorithm: String,
    pub canonical_form: String,
    pub parameters_sha256: String,
    pub inputs_sha256: String,
    pub sha256: String,
    pub tickets: u64,
    pub ratings: u64,
    pub work_orders: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Claim {
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EssayParagraph {
    pub part: String,
    pub sentences: Vec<Claim>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Narrative {
    #[serde(default)]
    pub achievements: Vec<Claim>,
    #[serde(default)]
    pub essay: Vec<EssayParagraph>,
    #[serde(default)]
    pub essay_words: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TrainingCourse {
    pub course_id: i64,
    pub course: String,
    pub trained_staff: u64,
    pub untrained_staff: u64,
    pub figures: Vec<Fig>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Training {
    pub weeks: u32,
    pub courses: Vec<TrainingCourse>,
}
