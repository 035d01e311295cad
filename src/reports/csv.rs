//! The CSV of every figure of a report: one row per figure id, in document order.
//!
//! Columns: `id, label, definition, unit, value, n, successes, low, high, interval_method,
//! comparison_value, comparison_n, change_absolute, change_relative, flags` (flags joined by
//! `; `); an absent value is an empty cell.

use super::document::{EvidenceDocument, Unit};

fn cell(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The CSV bytes of `doc`.
///
/// # Errors
/// Writing to memory does not fail in practice; the `csv` crate's error is passed on.
pub fn figures_csv(doc: &EvidenceDocument) -> Result<Vec<u8>, csv::Error> {
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
    for f in doc.figures() {
        let unit = match f.unit {
            Unit::Count => "count",
            Unit::Seconds => "seconds",
            Unit::Ratio => "ratio",
        };
        let flags: Vec<&str> = f.flags.iter().map(|c| c.label()).collect();
        w.write_record([
            f.id.clone(),
            f.label.clone(),
            f.definition.to_string(),
            unit.to_string(),
            cell(f.value),
            f.n.to_string(),
            f.successes.map(|s| s.to_string()).unwrap_or_default(),
            cell(f.interval.as_ref().and_then(|i| i.low)),
            cell(f.interval.as_ref().and_then(|i| i.high)),
            f.interval
                .as_ref()
                .map(|i| i.method.to_string())
                .unwrap_or_default(),
            cell(f.comparison.as_ref().and_then(|c| c.value)),
            f.comparison
                .as_ref()
                .map(|c| c.n.to_string())
                .unwrap_or_default(),
            cell(f.change.as_ref().map(|c| c.absolute)),
            cell(f.change.as_ref().and_then(|c| c.relative)),
            flags.join("; "),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
