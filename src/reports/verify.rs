//! `frontline report verify FILE`: recompute a stored report from the database with the
//! parameters it carries and say, figure by figure, whether it still matches; then whether the
//! narrative is the one written from the recomputed figures and passes
//! [`super::narrative::check`].

use super::document::EvidenceDocument;
use super::params::EvidenceParams;
use serde_json::Value;

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Whether the manifest's hash is the same.
    pub manifest_matches: bool,
    /// One line per figure: `ok <id>` or `CHANGED <id>: was …, now …`, in the file's order,
    /// then figures only the recomputation has.
    pub lines: Vec<String>,
    /// Figures that differ (or appear or disappear); `narrative` when the written part differs
    /// from the one written now from the recomputed figures.
    pub changed: Vec<String>,
    /// What [`super::narrative::check`] finds wrong with the recomputed report's narrative
    /// (printed `CHECK …`).
    pub narrative_errors: Vec<String>,
}

impl Verification {
    /// True when the manifest, every figure and the narrative match, and the narrative passes
    /// its check.
    pub fn passed(&self) -> bool {
        self.manifest_matches && self.changed.is_empty() && self.narrative_errors.is_empty()
    }
}

/// Why a file cannot be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not JSON, or not an evidence report.
    #[error("not an evidence report: {0}")]
    NotAReport(String),
}

/// Reads the parameters of a report file.
///
/// # Errors
/// [`VerifyError::NotAReport`] when the file is not JSON or has no readable `parameters`.
pub fn parameters_of(text: &str) -> Result<(Value, EvidenceParams), VerifyError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| VerifyError::NotAReport(e.to_string()))?;
    if value.get("format").and_then(Value::as_str) != Some(super::document::FORMAT) {
        return Err(VerifyError::NotAReport(format!(
            "its format is not {}",
            super::document::FORMAT
        )));
    }
    let params = serde_json::from_value(value["parameters"].clone())
        .map_err(|e| VerifyError::NotAReport(format!("parameters: {e}")))?;
    Ok((value, params))
}

/// Every figure of a document as JSON, by id, in document order (headline, monthly, splits,
/// training).
pub fn figures(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut push = |f: &Value| {
        if let Some(id) = f.get("id").and_then(Value::as_str) {
            out.push((id.to_string(), f.clone()));
        }
    };
    for f in doc["headline"].as_array().into_iter().flatten() {
        push(f);
    }
    for s in doc["monthly"].as_array().into_iter().flatten() {
        for f in s["points"].as_array().into_iter().flatten() {
            push(f);
        }
    }
    for s in doc["splits"].as_array().into_iter().flatten() {
        for g in s["groups"].as_array().into_iter().flatten() {
            for f in g["figures"].as_array().into_iter().flatten() {
                push(f);
            }
        }
    }
    for c in doc["training"]["courses"].as_array().into_iter().flatten() {
        for f in c["figures"].as_array().into_iter().flatten() {
            push(f);
        }
    }
    out
}

/// What is compared of a figure: its value, sample size, numerator, interval and comparison.
fn key(f: &Value) -> Value {
    serde_json::json!({
        "value": f.get("value").cloned().unwrap_or(Value::Null),
        "n": f.get("n").cloned().unwrap_or(Value::Null),
        "successes": f.get("successes").cloned().unwrap_or(Value::Null),
        "interval": f.get("interval").cloned().unwrap_or(Value::Null),
        "comparison": f.get("comparison").cloned().unwrap_or(Value::Null),
    })
}

fn short(f: &Value) -> String {
    let mut s = format!("{} (n={})", f["value"], f["n"]);
    if let Some(c) = f.get("comparison").filter(|c| !c.is_null()) {
        s.push_str(&format!("; comparison {} (n={})", c["value"], c["n"]));
    }
    if let Some(i) = f.get("interval").filter(|i| !i.is_null()) {
        s.push_str(&format!("; interval [{}, {}]", i["low"], i["high"]));
    }
    s
}

/// Compares the stored document `old` with the recomputed `new`: the manifest's hash first, then
/// each figure.
pub fn compare(old: &Value, new: &EvidenceDocument) -> Verification {
    // Through its JSON, as the stored document was read: serde_json's float parsing is not always
    // the exact inverse of its printing, so both sides' numbers must be parsed alike.
    let new_value = new
        .to_json()
        .ok()
        .and_then(|json| serde_json::from_str::<Value>(&json).ok())
        .unwrap_or_else(|| serde_json::to_value(new).unwrap_or(Value::Null));
    let manifest_matches = old["manifest"]["sha256"] == new_value["manifest"]["sha256"];
    let mut lines = vec![if manifest_matches {
        format!("ok manifest {}", new.manifest.sha256)
    } else {
        format!(
            "CHANGED manifest: was {}, now {}",
            old["manifest"]["sha256"], new.manifest.sha256
        )
    }];
    let mut changed = Vec::new();
    let fresh = figures(&new_value);
    let stored = figures(old);
    for (id, f) in &stored {
        match fresh.iter().find(|(i, _)| i == id) {
            Some((_, g)) if key(f) == key(g) => lines.push(format!("ok {id}")),
            Some((_, g)) => {
                lines.push(format!("CHANGED {id}: was {}, now {}", short(f), short(g)));
                changed.push(id.clone());
            }
            None => {
                lines.push(format!("CHANGED {id}: was {}, now absent", short(f)));
                changed.push(id.clone());
            }
        }
    }
    for (id, g) in &fresh {
        if !stored.iter().any(|(i, _)| i == id) {
            lines.push(format!("CHANGED {id}: was absent, now {}", short(g)));
            changed.push(id.clone());
        }
    }
    if old["narrative"] == new_value["narrative"] {
        lines.push("ok narrative".to_string());
    } else {
        lines.push(
            "CHANGED narrative: the achievements or the essay differ from those written from the recomputed figures"
                .to_string(),
        );
        changed.push("narrative".to_string());
    }
    let narrative_errors = super::narrative::check(new).err().unwrap_or_default();
    lines.extend(
        narrative_errors
            .iter()
            .map(|e| format!("CHECK narrative: {e}")),
    );
    Verification {
        manifest_matches,
        lines,
        changed,
        narrative_errors,
    }
}
