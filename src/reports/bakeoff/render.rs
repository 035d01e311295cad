//! The bake-off report's other formats, written from its JSON document alone: Markdown, one
//! self-contained HTML page (templates/reports/bake_off.html: inline style and SVG charts drawn
//! by plotters, no script, no external asset, printable in black and white), and the CSV of
//! every figure.

use super::BakeOffDocument;
use super::compute::{CohortFigure, MetricResult};
use askama::Template;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Why a format could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The JSON is not a bake-off document.
    #[error("not a bake-off document: {0}")]
    Json(#[from] serde_json::Error),
    /// The template failed.
    #[error(transparent)]
    Template(#[from] askama::Error),
    /// A chart failed.
    #[error("chart: {0}")]
    Chart(String),
    /// The CSV writer failed.
    #[error(transparent)]
    Csv(#[from] csv::Error),
}

/// A value in the unit a reader uses: durations in minutes (under two hours) or hours, rates in
/// percent.
pub fn value(unit: &str, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "—".to_string();
    };
    match unit {
        "ratio" => format!("{:.1} %", v * 100.0),
        _ if v.abs() < 7200.0 => format!("{:.1} min", v / 60.0),
        _ => format!("{:.2} h", v / 3600.0),
    }
}

/// A difference in the unit a reader uses (rates in percentage points).
pub fn difference(unit: &str, v: Option<f64>) -> String {
    match (unit, v) {
        ("ratio", Some(v)) => format!("{:+.1} pts", v * 100.0),
        (_, Some(v)) if v.abs() < 7200.0 => format!("{:+.1} min", v / 60.0),
        (_, Some(v)) => format!("{:+.2} h", v / 3600.0),
        _ => "—".to_string(),
    }
}

/// A p-value: four decimals, or `< 0.0001`.
pub fn p(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 0.0001 => "< 0.0001".to_string(),
        Some(v) => format!("{v:.4}"),
        None => "—".to_string(),
    }
}

fn interval(unit: &str, f: &CohortFigure) -> String {
    f.interval.map_or_else(
        || "—".to_string(),
        |i| {
            format!(
                "{} – {}",
                value(unit, Some(i.low)),
                value(unit, Some(i.high))
            )
        },
    )
}

fn effect(r: &MetricResult) -> String {
    r.effect_size.as_ref().map_or_else(
        || "—".to_string(),
        |e| format!("{} {:+.3}", e.name.replace('_', "-"), e.value),
    )
}

/// One row of the page's and the Markdown's tables.
struct Row {
    id: String,
    label: String,
    definition: String,
    a: String,
    a_n: usize,
    a_interval: String,
    b: String,
    b_n: usize,
    b_interval: String,
    difference: String,
    effect: String,
    p: String,
    p_adjusted: String,
    verdict: String,
    flags: String,
    chart: String,
}

fn label(r: &MetricResult) -> String {
    let name = match r.metric.id() {
        "first_reply_time" => "First reply time (median, business time)",
        "full_resolution_time" => "Full resolution time (median, business time)",
        "reopen_rate" => "Reopen rate",
        "first_contact_resolution" => "First-contact resolution",
        "sla_attainment" => "SLA attainment (tickets)",
        "csat" => "CSAT (4 or 5 of 5)",
        "csat_response_rate" => "Survey response rate",
        "first_time_fix" => "First-time fix",
        "arrival_window_met" => "Arrival within the window",
        "wrench_time" => "Time on site (median)",
        other => other,
    };
    name.to_string()
}

fn row(r: &MetricResult, chart: String) -> Row {
    Row {
        id: r.id.clone(),
        label: label(r),
        definition: r.definition.clone(),
        a: value(&r.unit, r.a.value),
        a_n: r.a.n,
        a_interval: interval(&r.unit, &r.a),
        b: value(&r.unit, r.b.value),
        b_n: r.b.n,
        b_interval: interval(&r.unit, &r.b),
        difference: difference(&r.unit, r.difference),
        effect: effect(r),
        p: p(r.p_value),
        p_adjusted: p(r.p_adjusted),
        verdict: r.verdict_label.clone(),
        flags: r.flags.join("; "),
        chart,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 150;

/// One metric's chart: each cohort's value (A a filled disc, B an open circle) with its 95 %
/// interval as a bar, on one axis from 0 — black on white, nothing told by colour.
fn chart(r: &MetricResult, labels: (&str, &str)) -> Result<String, RenderError> {
    let err = |e: &dyn std::fmt::Debug| RenderError::Chart(format!("{e:?}"));
    let scale = |v: f64| match r.unit.as_str() {
        "ratio" => v * 100.0,
        _ => v / 3600.0,
    };
    let figs = [(&r.a, 2.0_f64), (&r.b, 1.0_f64)];
    let top = match r.unit.as_str() {
        "ratio" => 100.0,
        _ => {
            let max = figs
                .iter()
                .filter_map(|(f, _)| f.interval.map(|i| i.high).or(f.value))
                .fold(0.0_f64, f64::max);
            if max <= 0.0 { 1.0 } else { scale(max) * 1.1 }
        }
    };
    let x_desc = if r.unit == "ratio" {
        "Percent"
    } else {
        "Hours"
    };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut c = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(150)
            .build_cartesian_2d(0.0_f64..top, 0.4_f64..2.6_f64)
            .map_err(|e| err(&e))?;
        let y_label = |y: &f64| {
            if (y - 2.0).abs() < 1e-9 {
                format!("A: {}", labels.0)
            } else if (y - 1.0).abs() < 1e-9 {
                format!("B: {}", labels.1)
            } else {
                String::new()
            }
        };
        c.configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .bold_line_style(RGBColor(200, 200, 200).stroke_width(1))
            .axis_style(BLACK.stroke_width(1))
            .x_labels(6)
            .y_labels(3)
            .y_label_formatter(&y_label)
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    format!("{x:.1}")
                }
            })
            .label_style(("sans-serif", 13).into_font().color(&BLACK))
            .axis_desc_style(("sans-serif", 13).into_font().color(&BLACK))
            .x_desc(x_desc)
            .draw()
            .map_err(|e| err(&e))?;
        for (f, y) in figs {
            if let Some(i) = f.interval {
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(scale(i.low), y), (scale(i.high), y)],
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| err(&e))?;
            }
            if let Some(v) = f.value {
                let style = if y > 1.5 {
                    BLACK.filled()
                } else {
                    BLACK.stroke_width(2)
                };
                c.draw_series(std::iter::once(Circle::new((scale(v), y), 6, style)))
                    .map_err(|e| err(&e))?;
            } else {
                c.draw_series(std::iter::once(Text::new(
                    "no observations",
                    (top / 2.0, y),
                    ("sans-serif", 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(|e| err(&e))?;
            }
        }
        root.present().map_err(|e| err(&e))?;
    }
    let body = buf
        .find('>')
        .map(|i| buf[i + 1..].to_string())
        .unwrap_or_default();
    let id = format!(
        "chart-{}",
        r.id.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    let desc = format!(
        "{}: A {} (95 % interval {}), B {} (95 % interval {}).",
        label(r),
        value(&r.unit, r.a.value),
        interval(&r.unit, &r.a),
        value(&r.unit, r.b.value),
        interval(&r.unit, &r.b)
    );
    Ok(format!(
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" \
         aria-labelledby=\"{id}-title\" aria-describedby=\"{id}-desc\">\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>{body}",
        escape(&label(r)),
        escape(&desc),
    ))
}

struct StratumTable {
    heading: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "reports/bake_off.html")]
struct Page<'a> {
    doc: &'a BakeOffDocument,
    a: &'a str,
    b: &'a str,
    rows: Vec<Row>,
    strata: Vec<StratumTable>,
    period: String,
}

fn labels(doc: &BakeOffDocument) -> (&str, &str) {
    let get = |k: &'static str| -> &str {
        doc.cohorts
            .iter()
            .find(|c| c.key == k)
            .map_or(k, |c| c.label.as_str())
    };
    (get("a"), get("b"))
}

fn period(doc: &BakeOffDocument) -> String {
    let p = &doc.protocol.protocol;
    format!(
        "{} to {} (exclusive), {}",
        p.period.from, p.period.to, p.time_zone
    )
}

/// The HTML page of `doc`.
///
/// # Errors
/// A template or chart failure.
pub fn html(doc: &BakeOffDocument) -> Result<String, RenderError> {
    let (a, b) = labels(doc);
    let rows = doc
        .results
        .iter()
        .map(|r| Ok(row(r, chart(r, (a, b))?)))
        .collect::<Result<Vec<_>, RenderError>>()?;
    let strata = doc
        .strata
        .iter()
        .map(|s| StratumTable {
            heading: format!("{} = {}", s.dimension, s.value),
            rows: s.results.iter().map(|r| row(r, String::new())).collect(),
        })
        .collect();
    Ok(Page {
        doc,
        a,
        b,
        rows,
        strata,
        period: period(doc),
    }
    .render()?)
}

/// The HTML page of a document's JSON.
///
/// # Errors
/// Not a bake-off document; a template or chart failure.
pub fn html_from_json(json: &str) -> Result<String, RenderError> {
    html(&serde_json::from_str(json)?)
}

fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn md_table(out: &mut String, rows: &[Row], a: &str, b: &str) {
    out.push_str(&format!(
        "| Metric | A: {} (n) | 95 % interval | B: {} (n) | 95 % interval | A − B | Effect | p | p (Holm) | Verdict |\n",
        md(a),
        md(b)
    ));
    out.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} `{}` | {} ({}) | {} | {} ({}) | {} | {} | {} | {} | {} | **{}**{} |\n",
            md(&r.label),
            r.id,
            r.a,
            r.a_n,
            r.a_interval,
            r.b,
            r.b_n,
            r.b_interval,
            r.difference,
            r.effect,
            r.p,
            r.p_adjusted,
            r.verdict,
            if r.flags.is_empty() {
                String::new()
            } else {
                format!(" — {}", md(&r.flags))
            }
        ));
    }
    out.push('\n');
}

/// The Markdown of `doc`.
pub fn markdown(doc: &BakeOffDocument) -> String {
    let (a, b) = labels(doc);
    let mut out = format!("# {}\n\n", md(&doc.title));
    out.push_str(&format!("- Period: {}\n", period(doc)));
    for c in &doc.cohorts {
        out.push_str(&format!(
            "- Cohort {}: **{}** — {}\n",
            c.key.to_uppercase(),
            md(&c.label),
            md(&c.filters)
        ));
    }
    out.push_str(&format!(
        "- Protocol {} registered {}, SHA-256 `{}`\n- Figures as of {}; business time on {}\n\n",
        doc.protocol.id,
        doc.protocol.registered_at.to_rfc3339(),
        doc.protocol.sha256,
        doc.parameters.as_of.to_rfc3339(),
        md(&doc.calendar.description)
    ));
    out.push_str("## Results\n\n");
    let rows: Vec<Row> = doc.results.iter().map(|r| row(r, String::new())).collect();
    md_table(&mut out, &rows, a, b);
    if !doc.strata.is_empty() {
        out.push_str("## By stratum\n\n");
        for s in &doc.strata {
            out.push_str(&format!("### {} = {}\n\n", s.dimension, md(&s.value)));
            let rows: Vec<Row> = s.results.iter().map(|r| row(r, String::new())).collect();
            md_table(&mut out, &rows, a, b);
        }
    }
    out.push_str("## Methodology\n\n");
    for m in &doc.methodology {
        out.push_str(&format!("- {}\n", md(m)));
    }
    out.push_str(&format!(
        "\n## Integrity manifest\n\n- {} over the parameters and {} observation lines (`{}`)\n- SHA-256 `{}`\n- Observations SHA-256 `{}`\n",
        doc.manifest.algorithm,
        doc.manifest.observations,
        doc.manifest.canonical_form,
        doc.manifest.sha256,
        doc.manifest.inputs_sha256
    ));
    out
}

/// The CSV of every figure: one row per metric (overall, then per stratum), values in their
/// stored units (seconds, ratios 0–1).
///
/// # Errors
/// A CSV writer failure.
pub fn csv(doc: &BakeOffDocument) -> Result<Vec<u8>, RenderError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "figure_id",
        "metric",
        "definition",
        "unit",
        "stratum",
        "a_n",
        "a_value",
        "a_low",
        "a_high",
        "b_n",
        "b_value",
        "b_low",
        "b_high",
        "difference",
        "effect_size",
        "effect_value",
        "statistic",
        "p_value",
        "p_adjusted",
        "verdict",
        "flags",
    ])?;
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut write = |r: &MetricResult, stratum: &str| -> Result<(), csv::Error> {
        w.write_record([
            r.id.clone(),
            r.metric.id().to_string(),
            r.definition.clone(),
            r.unit.clone(),
            stratum.to_string(),
            r.a.n.to_string(),
            num(r.a.value),
            num(r.a.interval.map(|i| i.low)),
            num(r.a.interval.map(|i| i.high)),
            r.b.n.to_string(),
            num(r.b.value),
            num(r.b.interval.map(|i| i.low)),
            num(r.b.interval.map(|i| i.high)),
            num(r.difference),
            r.effect_size
                .as_ref()
                .map(|e| e.name.clone())
                .unwrap_or_default(),
            num(r.effect_size.as_ref().map(|e| e.value)),
            num(r.statistic),
            num(r.p_value),
            num(r.p_adjusted),
            r.verdict_label.clone(),
            r.flags.join("; "),
        ])
    };
    for r in &doc.results {
        write(r, "")?;
    }
    for s in &doc.strata {
        for r in &s.results {
            write(r, &format!("{}={}", s.dimension, s.value))?;
        }
    }
    Ok(w.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?)
}
