//! The metrics engine's reports ([`crate::metrics::store`]) as the dashboard's table cells.
//!
//! A cell's `data-figure` is the path of its value in the metrics API's JSON (with a prefix
//! saying which period or group: `current.first_reply_time.median`,
//! `team.3.sla_attainment.value`) and its `data-value` the very JSON number the API answers
//! (`3600.0`, `0.75`, `12`; empty for `null`): each group is turned into the API's own response
//! shape ([`crate::routes::metrics::Figures`], [`crate::routes::metrics::FieldBlock`]) and read
//! back from it, so the page and the API cannot disagree.

use crate::metrics::types::GroupReport;
use crate::reports::render::format;
use crate::reports::render::model::{Change, Fig, Series};
use crate::routes::metrics::{FieldBlock, Figures};
use serde_json::Value;

/// One figure as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// `data-figure`: a prefix and the figure's path in the API's JSON.
    pub figure: String,
    /// `data-value`: the API's JSON number; empty for `null`.
    pub data: String,
    /// What a person reads: `1 h 23 min`, `87.5 %`, `1,234`, or `no observations`.
    pub text: String,
}

/// What a figure is: its path in the API's JSON, its label, its docs/METRICS.md id and unit.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    /// Path in the API's JSON (`first_reply_time.median`).
    pub path: &'static str,
    /// Label.
    pub label: &'static str,
    /// docs/METRICS.md id (`frt.v1`).
    pub definition: &'static str,
    /// `count`, `seconds` (durations) or `ratio`.
    pub unit: &'static str,
}

const fn m(
    path: &'static str,
    label: &'static str,
    definition: &'static str,
    unit: &'static str,
) -> Measure {
    Measure {
        path,
        label,
        definition,
        unit,
    }
}

/// The key figures of the last 30 days (compared with the 30 before).
pub const KEY_FIGURES: &[Measure] = &[
    m(
        "tickets_created",
        "Tickets created",
        "volume, by creation",
        "count",
    ),
    m(
        "tickets_solved",
        "Tickets solved",
        "volume, by the latest solve",
        "count",
    ),
    m(
        "first_reply_time.median",
        "First reply time, median",
        "frt.v1",
        "seconds",
    ),
    m(
        "full_resolution_time.median",
        "Full resolution time, median",
        "full_resolution.v1",
        "seconds",
    ),
    m(
        "sla_attainment.value",
        "SLA attainment",
        "sla_attainment",
        "ratio",
    ),
    m(
        "reopen_rate.value",
        "Reopen rate",
        "reopen_rate.v1",
        "ratio",
    ),
    m(
        "fcr_rate.value",
        "First-contact resolution",
        "fcr.v1",
        "ratio",
    ),
    m("csat.value", "CSAT (ratings of 4 or 5)", "csat.v1", "ratio"),
    m(
        "field.first_time_fix.value",
        "First-time fix",
        "first_time_fix.v1",
        "ratio",
    ),
];

/// The satisfaction figures of the last 30 days.
pub const SATISFACTION: &[Measure] = &[
    m("csat.value", "CSAT (ratings of 4 or 5)", "csat.v1", "ratio"),
    m("csat.mean_score", "Mean rating (1–5)", "csat.v1", "score"),
    m("csat.denominator", "Ratings", "csat.v1", "count"),
    m(
        "csat_response_rate.value",
        "Survey response rate",
        "csat_response_rate.v1",
        "ratio",
    ),
    m("nps.score", "NPS (−100 to 100)", "nps.v1", "score"),
];

/// The columns of the breakdowns by team and by sourcing.
pub const GROUP_COLUMNS: &[Measure] = &[
    m("tickets_created", "Created", "volume", "count"),
    m("tickets_solved", "Solved", "volume", "count"),
    m(
        "first_reply_time.median",
        "First reply, median",
        "frt.v1",
        "seconds",
    ),
    m(
        "full_resolution_time.median",
        "Resolution, median",
        "full_resolution.v1",
        "seconds",
    ),
    m(
        "sla_attainment.value",
        "SLA attainment",
        "sla_attainment",
        "ratio",
    ),
    m("csat.value", "CSAT", "csat.v1", "ratio"),
];

/// The columns of the field figures by technician employment type.
pub const FIELD_COLUMNS: &[Measure] = &[
    m(
        "field.work_orders_completed",
        "Work orders ended",
        "field volume",
        "count",
    ),
    m(
        "field.first_time_fix.value",
        "First-time fix",
        "first_time_fix.v1",
        "ratio",
    ),
    m(
        "field.arrival_window_met.value",
        "Arrival window met",
        "arrival_window_met.v1",
        "ratio",
    ),
    m(
        "field.travel_time.median",
        "Travel, median",
        "travel_time.v1",
        "seconds",
    ),
    m(
        "field.wrench_time.median",
        "Wrench time, median",
        "wrench_time.v1",
        "seconds",
    ),
];

/// A group report in the metrics API's JSON shape (`Figures` with its `field` block).
pub fn api_json(report: &GroupReport) -> Value {
    let mut report = report.clone();
    let field = report.field.take().map(FieldBlock::from);
    let mut json = serde_json::to_value(Figures::from(report)).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut json {
        map.insert(
            "field".into(),
            serde_json::to_value(field).unwrap_or(Value::Null),
        );
    }
    json
}

/// The value at a dotted `path` of `json` (`null` when absent).
pub fn at<'a>(json: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .try_fold(json, |v, key| v.get(key))
        .unwrap_or(&Value::Null)
}

/// A value in its unit for people.
fn text(unit: &str, v: Option<f64>) -> String {
    match (unit, v) {
        ("score", Some(x)) => format!("{x:.1}"),
        ("score", None) => format::value("count", None),
        _ => format::value(unit, v),
    }
}

/// The cell of `measure` in `json`, its `data-figure` `{prefix}.{path}`.
pub fn cell(prefix: &str, measure: &Measure, json: &Value) -> Cell {
    let v = at(json, measure.path);
    Cell {
        figure: format!("{prefix}.{}", measure.path),
        data: match v {
            Value::Null => String::new(),
            other => other.to_string(),
        },
        text: text(measure.unit, v.as_f64()),
    }
}

/// A count cell (`data-figure` `figure`).
pub fn count_cell(figure: &str, n: i64) -> Cell {
    Cell {
        figure: figure.to_string(),
        data: n.to_string(),
        text: format::thousands(n.unsigned_abs()),
    }
}

/// One row of a table comparing two periods.
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Label.
    pub label: &'static str,
    /// docs/METRICS.md id.
    pub definition: &'static str,
    /// The last 30 days (`current.…`).
    pub current: Cell,
    /// The 30 days before (`previous.…`).
    pub previous: Cell,
    /// The change, `+50 min (+500.0 %)`, `−2.5 pp`; `–` when either is missing.
    pub change: String,
}

/// The rows of `measures`, the current period against the previous.
pub fn key_rows(measures: &[Measure], current: &Value, previous: &Value) -> Vec<KeyRow> {
    measures
        .iter()
        .map(|measure| {
            let (c, p) = (
                at(current, measure.path).as_f64(),
                at(previous, measure.path).as_f64(),
            );
            let change = match (c, p) {
                (Some(c), Some(p)) if measure.unit == "score" => {
                    let d = c - p;
                    if d > 0.0 {
                        format!("+{d:.1}")
                    } else if d < 0.0 {
                        format!("\u{2212}{:.1}", d.abs())
                    } else {
                        "0.0".into()
                    }
                }
                (Some(c), Some(p)) => format::change(
                    measure.unit,
                    &Change {
                        absolute: c - p,
                        relative: (p != 0.0).then(|| (c - p) / p.abs()),
                    },
                ),
                _ => "–".into(),
            };
            KeyRow {
                label: measure.label,
                definition: measure.definition,
                current: cell("current", measure, current),
                previous: cell("previous", measure, previous),
                change,
            }
        })
        .collect()
}

/// One group of a breakdown.
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// The group's label (team name, `In house`, `Contractor`, `None`).
    pub label: String,
    /// One cell per column, `data-figure` `{dimension}.{key}.{path}` (`none` for no key).
    pub cells: Vec<Cell>,
}

/// The rows of a breakdown by `dimension` with `columns`.
pub fn group_rows(dimension: &str, groups: &[GroupReport], columns: &[Measure]) -> Vec<GroupRow> {
    groups
        .iter()
        .map(|g| {
            let json = api_json(g);
            let key = g.key.clone().unwrap_or_else(|| "none".into());
            // A name (a team's) as it is; a value that is its own label (`in_house`) in words.
            let label = match (&g.label, &g.key) {
                (Some(l), Some(k)) if l != k => l.clone(),
                (_, Some(k)) => format::words(k),
                (Some(l), None) => l.clone(),
                (None, None) => "None".into(),
            };
            GroupRow {
                label,
                cells: columns
                    .iter()
                    .map(|c| cell(&format!("{dimension}.{key}"), c, &json))
                    .collect(),
            }
        })
        .collect()
}

/// A daily series of `measure` over `buckets` (key `YYYY-MM-DDT00:00:00`, report) for the
/// report renderer's chart code; each point labelled `MM-DD`.
pub(crate) fn daily_series(measure: &Measure, buckets: &[(String, GroupReport)]) -> Series {
    let points = buckets
        .iter()
        .map(|(key, report)| {
            let day = key.get(5..10).unwrap_or(key);
            Fig {
                id: format!("trend.{}.{day}", measure.path),
                label: measure.label.to_string(),
                definition: measure.definition.to_string(),
                unit: measure.unit.to_string(),
                value: at(&api_json(report), measure.path).as_f64(),
                n: 0,
                interval: None,
                comparison: None,
                change: None,
                flags: Vec::new(),
                note: None,
            }
        })
        .collect();
    Series {
        metric: measure.path.replace('.', "-"),
        label: measure.label.to_string(),
        definition: measure.definition.to_string(),
        unit: measure.unit.to_string(),
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cell_carries_the_api_json_number_and_a_readable_text() {
        let json = json!({"first_reply_time": {"median": 3600.0}, "reopen_rate": {"value": null},
            "tickets_created": 1234, "sla_attainment": {"value": 0.875}});
        let frt = cell("current", &KEY_FIGURES[2], &json);
        assert_eq!(frt.figure, "current.first_reply_time.median");
        assert_eq!((frt.data.as_str(), frt.text.as_str()), ("3600.0", "1 h"));
        let created = cell("current", &KEY_FIGURES[0], &json);
        assert_eq!(
            (created.data.as_str(), created.text.as_str()),
            ("1234", "1,234")
        );
        let reopen = cell("current", &KEY_FIGURES[5], &json);
        assert_eq!(
            (reopen.data.as_str(), reopen.text.as_str()),
            ("", "no observations")
        );
        let rows = key_rows(
            &KEY_FIGURES[4..5],
            &json,
            &json!({"sla_attainment": {"value": 0.75}}),
        );
        assert_eq!(rows[0].change, "+12.5 pp (+16.7 %)");
        assert_eq!(rows[0].previous.data, "0.75");
    }
}
