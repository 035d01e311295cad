//! The monthly charts: one SVG line chart per monthly series, drawn with plotters' SVG backend
//! (no C dependency: labels are SVG `<text>` elements, no font is read or rasterised).
//!
//! Readable printed in black and white: black strokes and filled markers on white, light grey
//! grid lines only; nothing is told by colour. A month without a value (`null`) is a gap: the
//! line stops before it and starts again after it, and the month has no marker. Months are on
//! x, the value on y in the unit a reader uses (durations in hours, ratios in percent, counts).
//!
//! Deterministic: plotters maps every coordinate to whole pixels and writes them as integers,
//! and the text sizes are fixed, so the same series gives the same bytes.

use super::format::{chart_value, value};
use super::model::Series;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Chart size in SVG user units (the page scales it to its width).
const WIDTH: u32 = 720;
const HEIGHT: u32 = 300;
/// At most this many month labels on the x axis (every k-th month beyond).
const MAX_X_LABELS: usize = 12;

/// Why a chart could not be drawn (plotters' error, as text).
#[derive(Debug, thiserror::Error)]
#[error("chart: {0}")]
pub struct ChartError(String);

fn err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError(format!("{e:?}"))
}

/// The x axis: month `i` at `i`, half a month of space at each end, a tick every `step`
/// months.
struct MonthAxis {
    n: usize,
    step: usize,
}

impl Ranged for MonthAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value + 0.5) / self.n as f64;
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.n).step_by(self.step).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.n as f64 - 0.5
    }
}

/// A y tick: whole numbers without decimals, others with one.
fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The months of a series (`YYYY-MM`, the figure id's last part).
pub(crate) fn month_of(id: &str) -> &str {
    id.rsplit('.').next().unwrap_or(id)
}

/// One sentence a screen reader says for the chart: each month's value.
pub(crate) fn description(series: &Series) -> String {
    let months: Vec<String> = series
        .points
        .iter()
        .map(|p| format!("{} {}", month_of(&p.id), value(&series.unit, p.value)))
        .collect();
    format!("{}: {}.", title(series), months.join("; "))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart's title: the series' label, its durations said in hours on the axis, so
/// `(business seconds)` reads `(business time)`.
pub(crate) fn title(series: &Series) -> String {
    series
        .label
        .replace("(business seconds)", "(business time)")
        .replace("(calendar seconds)", "(calendar time)")
}

/// The runs of consecutive months with a value: `(month index, y)` per point.
pub(crate) fn runs(series: &Series) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, p) in series.points.iter().enumerate() {
        match p.value {
            Some(v) => current.push((i as f64, chart_value(&series.unit, v))),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The chart of `series` as an inline `<svg>` element: `role="img"`, a `<title>` and a
/// `<desc>` (each month's value), ids prefixed `chart-<metric>`.
///
/// # Errors
/// [`ChartError`] when plotters fails to lay the chart out (not expected: the ranges are
/// finite and non-empty).
pub(crate) fn svg(series: &Series) -> Result<String, ChartError> {
    svg_over(series, "Month")
}

/// [`svg`] with another x-axis title: the points are then any periods (the dashboard's days,
/// labelled by their id's last part as the months are).
///
/// # Errors
/// As [`svg`].
pub(crate) fn svg_over(series: &Series, x_desc: &str) -> Result<String, ChartError> {
    let months: Vec<&str> = series.points.iter().map(|p| month_of(&p.id)).collect();
    let n = months.len().max(1);
    let runs = runs(series);
    let max = runs
        .iter()
        .flatten()
        .map(|&(_, y)| y)
        .fold(0.0_f64, f64::max);
    let top = match series.unit.as_str() {
        "ratio" => 100.0,
        _ if max <= 0.0 => 1.0,
        _ => max * 1.15,
    };
    let step = n.div_ceil(MAX_X_LABELS);
    let x_label = |x: &f64| {
        let i = x.round();
        if i >= 0.0 && (i as usize) < months.len() && (x - i).abs() < 1e-9 {
            months[i as usize].to_string()
        } else {
            String::new()
        }
    };
    let y_desc = match series.unit.as_str() {
        "seconds" => "Hours",
        "ratio" => "Percent",
        _ => "Count",
    };

    // Counts: whole-number ticks only.
    let y_labels = match series.unit.as_str() {
        "count" if top < 6.0 => top.floor() as usize + 1,
        _ => 6,
    };

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title(series), ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(MonthAxis { n, step }, 0.0_f64..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .bold_line_style(RGBColor(200, 200, 200).stroke_width(1))
            .axis_style(BLACK.stroke_width(1))
            .y_labels(y_labels)
            .x_label_formatter(&x_label)
            .y_label_formatter(&|y| tick(*y))
            .label_style(("sans-serif", 13).into_font().color(&BLACK))
            .axis_desc_style(("sans-serif", 14).into_font().color(&BLACK))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(err)?;
        for run in runs.iter().filter(|r| r.len() > 1) {
            chart
                .draw_series(LineSeries::new(run.iter().copied(), BLACK.stroke_width(2)))
                .map_err(err)?;
        }
        chart
            .draw_series(
                runs.iter()
                    .flatten()
                    .map(|&p| Circle::new(p, 4, BLACK.filled())),
            )
            .map_err(err)?;
        if runs.is_empty() {
            chart
                .draw_series(std::iter::once(Text::new(
                    "No observations in this period",
                    ((n as f64 - 1.0) / 2.0, top / 2.0),
                    ("sans-serif", 15)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }

    // The opening tag: no namespace URL (the HTML parser puts <svg> in the SVG namespace), an
    // accessible name and description.
    let body = buf
        .find('>')
        .map(|i| buf[i + 1..].to_string())
        .unwrap_or_default();
    let id = format!(
        "chart-{}",
        series
            .metric
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    Ok(format!(
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" \
         aria-labelledby=\"{id}-title\" aria-describedby=\"{id}-desc\">\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>{body}",
        escape(&title(series)),
        escape(&description(series)),
    ))
}
