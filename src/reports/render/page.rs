//! What both renderings show, worked out once from the document: every text already formatted
//! for people ([`super::format`]), in the order the sections are printed. The HTML template and
//! the Markdown writer only lay it out.

use super::charts;
use super::format::{self, json_number, thousands};
use super::model::{Doc, Fig};

/// A figure's value: its id, its JSON number (empty for `null`) and its text.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub figure: String,
    pub data: String,
    pub text: String,
}

/// One figure as a table row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// What the figure is (for splits: the group, e.g. `In house`).
    pub group: String,
    pub label: String,
    pub note: Option<String>,
    pub definition: String,
    pub cell: Cell,
    pub n: String,
    /// The interval with its method, in one text (Markdown).
    pub interval: String,
    /// The interval's bounds only (`30 min – 2 h`), and its method (the HTML's second line).
    pub interval_range: String,
    pub interval_method: String,
    pub comparison: String,
    pub change: String,
    pub flags: String,
}

/// One monthly series: its chart and its values.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    pub metric: String,
    pub label: String,
    pub definition: String,
    /// `Durations in hours.`, `Rates in percent.` or `Counts.`
    pub axis: &'static str,
    /// The inline `<svg>` (HTML only; empty for Markdown).
    pub svg: String,
    /// One row per month (`group` is the month).
    pub rows: Vec<Row>,
}

/// A table of figures (a split, or a training course).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub heading: String,
    pub caption: String,
    pub facts: Vec<(String, String)>,
    pub rows: Vec<Row>,
}

/// The training-effect section.
#[derive(Debug, Clone)]
pub(crate) struct Training {
    pub intro: String,
    pub courses: Vec<Table>,
}

/// A paragraph of the essay.
#[derive(Debug, Clone)]
pub(crate) struct Paragraph {
    pub part: String,
    pub text: String,
}

/// A testimonial.
#[derive(Debug, Clone)]
pub(crate) struct Quote {
    pub quote: String,
    pub rating: String,
    pub month: String,
}

/// A definition of the methodology.
#[derive(Debug, Clone)]
pub(crate) struct DefinitionRow {
    pub id: String,
    pub source: String,
    pub text: String,
}

/// Everything printed, in order.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub title: String,
    pub facts: Vec<(String, String)>,
    pub headline: Vec<Row>,
    pub charts: Vec<Chart>,
    pub splits: Vec<Table>,
    /// `None`: no staff of the scope completed a course in the period.
    pub training: Option<Training>,
    pub achievements: Vec<String>,
    pub essay: Vec<Paragraph>,
    pub essay_words: String,
    pub testimonials: Vec<Quote>,
    pub definitions: Vec<DefinitionRow>,
    pub calendars: String,
    pub filters: Vec<String>,
    pub exclusions: Vec<String>,
    pub sample_sizes: Vec<(String, String)>,
    pub statistics: Vec<(String, String)>,
    pub methods: Vec<String>,
    pub flags: Vec<(String, String)>,
    pub manifest: Vec<(String, String)>,
}

const NONE: &str = "—";

fn row(group: &str, f: &Fig) -> Row {
    let unit = f.unit.as_str();
    Row {
        group: group.to_string(),
        label: f.label.clone(),
        note: f.note.clone(),
        definition: f.definition.clone(),
        cell: Cell {
            figure: f.id.clone(),
            data: json_number(f.value),
            text: format::value(unit, f.value),
        },
        n: thousands(f.n),
        interval: f
            .interval
            .as_ref()
            .map_or_else(|| NONE.to_string(), |i| format::interval(unit, i)),
        interval_range: f
            .interval
            .as_ref()
            .map_or_else(|| NONE.to_string(), |i| format::interval_range(unit, i)),
        interval_method: f
            .interval
            .as_ref()
            .map(format::interval_method)
            .unwrap_or_default(),
        comparison: f.comparison.as_ref().map_or_else(
            || NONE.to_string(),
            |c| format!("{} (n = {})", format::value(unit, c.value), thousands(c.n)),
        ),
        change: f
            .change
            .as_ref()
            .map_or_else(|| NONE.to_string(), |c| format::change(unit, c)),
        flags: if f.flags.is_empty() {
            NONE.to_string()
        } else {
            f.flags
                .iter()
                .map(|x| format::flag(&x.flag))
                .collect::<Vec<_>>()
                .join("; ")
        },
    }
}

fn scope_text(doc: &Doc) -> String {
    match doc.scope.id {
        Some(id) => format!(
            "{} {} (id {id})",
            format::words(&doc.scope.kind),
            doc.scope.name
        ),
        None => "The whole company".to_string(),
    }
}

/// The page of `doc`; with `svg`, each series' chart is drawn.
///
/// # Errors
/// A chart plotters could not draw.
pub(crate) fn page(doc: &Doc, svg: bool) -> Result<Page, charts::ChartError> {
    let p = &doc.parameters;
    let facts = vec![
        ("Scope".to_string(), scope_text(doc)),
        (
            "Award category".to_string(),
            format::words(&json_text(&p.category)),
        ),
        (
            "Eligibility period".to_string(),
            format::period(p.eligibility.from, p.eligibility.to),
        ),
        (
            "Comparison period".to_string(),
            format!(
                "{} ({})",
                format::period(p.comparison.from, p.comparison.to),
                match json_text(&p.comparison_kind).as_str() {
                    "previous" => "the same number of days just before",
                    "year_earlier" => "the same dates a year earlier",
                    _ => "dates chosen",
                }
            ),
        ),
        ("Time zone".to_string(), p.time_zone.clone()),
        (
            "Figures as of".to_string(),
            p.as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
    ];
    let mut charts_out = Vec::new();
    for s in &doc.monthly {
        charts_out.push(Chart {
            metric: s.metric.clone(),
            label: s.label.clone(),
            definition: s.definition.clone(),
            axis: match s.unit.as_str() {
                "seconds" => "Durations in hours.",
                "ratio" => "Rates in percent.",
                _ => "Counts.",
            },
            svg: if svg { charts::svg(s)? } else { String::new() },
            rows: s
                .points
                .iter()
                .map(|f| row(charts::month_of(&f.id), f))
                .collect(),
        });
    }
    let splits = doc
        .splits
        .iter()
        .map(|s| Table {
            heading: format!("By {}", format::words(&s.dimension).to_lowercase()),
            caption: format!("{} split, eligibility period", format::words(&s.dimension)),
            facts: Vec::new(),
            rows: s
                .groups
                .iter()
                .flat_map(|g| g.figures.iter().map(|f| row(&format::words(&g.value), f)))
                .collect(),
        })
        .collect();
    let training = doc.training.as_ref().map(|t| Training {
        intro: format!(
            "Staff who completed a course against untrained staff over the same calendar weeks: \
             {} weeks before and after each completion.",
            t.weeks
        ),
        courses: t
            .courses
            .iter()
            .map(|c| Table {
                heading: c.course.clone(),
                caption: format!("Training effect of {}", c.course),
                facts: vec![
                    ("Course id".to_string(), c.course_id.to_string()),
                    ("Trained staff".to_string(), thousands(c.trained_staff)),
                    ("Untrained staff".to_string(), thousands(c.untrained_staff)),
                ],
                rows: c.figures.iter().map(|f| row("", f)).collect(),
            })
            .collect(),
    });
    let essay: Vec<Paragraph> = doc
        .narrative
        .essay
        .iter()
        .map(|e| Paragraph {
            part: format::words(&e.part),
            text: e
                .sentences
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    let m = &doc.methodology;
    let st = &m.statistics;
    let mf = &doc.manifest;
    Ok(Page {
        title: format!("Evidence report: {}", doc.scope.name),
        facts,
        headline: doc.headline.iter().map(|f| row("", f)).collect(),
        charts: charts_out,
        splits,
        training,
        achievements: doc
            .narrative
            .achievements
            .iter()
            .map(|c| c.text.clone())
            .collect(),
        essay_words: format!(
            "{} words (limit {}).",
            thousands(u64::from(doc.narrative.essay_words)),
            thousands(u64::from(p.word_limit))
        ),
        essay,
        testimonials: doc
            .testimonials
            .iter()
            .map(|t| Quote {
                quote: t.quote.clone(),
                rating: format!("{} of 5", t.rating),
                month: t.month.clone(),
            })
            .collect(),
        definitions: m
            .definitions
            .iter()
            .map(|d| DefinitionRow {
                id: d.id.clone(),
                source: d.source.clone(),
                text: d.text.clone(),
            })
            .collect(),
        calendars: m.calendars.clone(),
        filters: m.filters.clone(),
        exclusions: m.exclusions.clone(),
        sample_sizes: vec![
            ("Tickets".to_string(), thousands(m.sample_sizes.tickets)),
            ("Ratings".to_string(), thousands(m.sample_sizes.ratings)),
            (
                "Work orders".to_string(),
                thousands(m.sample_sizes.work_orders),
            ),
        ],
        statistics: vec![
            (
                "Confidence".to_string(),
                format!("{} %", (st.confidence * 100.0).round()),
            ),
            ("Bootstrap seed".to_string(), st.bootstrap_seed.to_string()),
            (
                "Bootstrap resamples".to_string(),
                thousands(st.bootstrap_resamples),
            ),
            (
                "First-time fix window".to_string(),
                format!("{} days", st.ftf_days),
            ),
        ],
        methods: st.methods.clone(),
        flags: m
            .flags
            .iter()
            .map(|f| (f.figure.clone(), f.label.clone()))
            .collect(),
        manifest: vec![
            ("Algorithm".to_string(), mf.algorithm.clone()),
            ("Canonical form".to_string(), mf.canonical_form.clone()),
            (
                "Parameters SHA-256".to_string(),
                mf.parameters_sha256.clone(),
            ),
            ("Inputs SHA-256".to_string(), mf.inputs_sha256.clone()),
            ("Report SHA-256".to_string(), mf.sha256.clone()),
            (
                "Canonical lines".to_string(),
                format!(
                    "tickets {}, ratings {}, work orders {}",
                    thousands(mf.tickets),
                    thousands(mf.ratings),
                    thousands(mf.work_orders)
                ),
            ),
        ],
    })
}

/// A unit enum's snake_case JSON name (`customer_service_team`).
fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
