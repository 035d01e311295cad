//! The CSV of every figure of a report: one row per figure id, in document order (headline,
//! monthly, splits), read from the report's JSON (the stored bytes or a fresh document).
//!
//! Columns: `id, label, definition, unit, value, n, successes, low, high, interval_method,
//! comparison_value, comparison_n, change_absolute, change_relative, flags` (flag labels joined
//! by `; `); an absent value is an empty cell; numbers are written as in the JSON.

use super::verify::figures;
use serde_json::Value;

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flag_label(flag: &Value) -> &'static str {
    match flag["flag"].as_str() {
        Some("too_few_to_conclude") => "too few to conclude",
        Some("csat_wider_than_five_points") => "wider than ±5 points",
        _ => "flag",
    }
}

/// The CSV bytes of the report `doc` (its JSON).
///
/// # Errors
/// Writing to memory does not fail in practice; the `csv` crate's error is passed on.
pub fn figures_csv(doc: &Value) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "label",
        "definition",
        "unit",
        "value",
        "n",
        "successes",
        "low",
        "high",
        "interval_method",
        "comparison_value",
        "comparison_n",
        "change_absolute",
        "change_relative",
        "flags",
    ])?;
    for (id, f) in figures(doc) {
        let flags: Vec<&str> = f["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(flag_label)
            .collect();
        w.write_record([
            id,
            cell(&f["label"]),
            cell(&f["definition"]),
            cell(&f["unit"]),
            cell(&f["value"]),
            cell(&f["n"]),
            cell(&f["successes"]),
            cell(&f["interval"]["low"]),
            cell(&f["interval"]["high"]),
            cell(&f["interval"]["method"]),
            cell(&f["comparison"]["value"]),
            cell(&f["comparison"]["n"]),
            cell(&f["change"]["absolute"]),
            cell(&f["change"]["relative"]),
            flags.join("; "),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
