//! The integrity manifest: SHA-256 over the report's parameters and its canonical inputs
//! (docs/REPORTS.md, "Manifest", defines the form `frontline.evidence.inputs.v1`).
//!
//! One line per row, fields separated by a tab, `-` for a null, `1`/`0` for booleans, instants
//! as whole seconds since the epoch, each line ending in `\n`; ticket lines (`t`) by ticket id,
//! then rating lines (`r`) by survey id, then work-order lines (`w`) by work order id:
//!
//! ```text
//! t id created first_reply_at frt_business latest_solved_at full_resolution reopens one_touch fcr sourcing sla
//! r survey_id ticket_id answered_at score sourcing quote
//! w id ticket_id finished_at status first_visit fixed employment_type
//! ```
//!
//! `sla` is the ticket's outcomes as `instant:1` (achieved) or `instant:0` (breached), joined by
//! `,` (`-` without any); `quote` is the anonymised quote as a JSON string (`-` without a
//! consented comment).

use super::document::Manifest;
use super::inputs::Inputs;
use super::params::EvidenceParams;
use sha2::{Digest, Sha256};
use std::fmt::Write;

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// Calls `emit` with each canonical input line of `inputs` (already reduced to the rows that
/// count, quotes anonymised), `\n` included, in order; one line buffer is reused, so hashing a million tickets does
/// not hold their lines in memory.
pub fn write_canonical_inputs(inputs: &Inputs, mut emit: impl FnMut(&str)) {
    let mut line = String::with_capacity(256);
    let mut tickets: Vec<_> = inputs.tickets.iter().collect();
    tickets.sort_by_key(|t| t.id);
    for t in tickets {
        line.clear();
        let _ = write!(
            line,
            "t\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
            t.id,
            t.created,
            opt(t.first_reply_at),
            opt(t.first_reply_business),
            opt(t.latest_solved_at),
            opt(t.full_resolution),
            t.reopens,
            opt(t.one_touch.map(flag)),
            opt(t.fcr.map(flag)),
            opt(t.sourcing),
        );
        if t.sla.is_empty() {
            line.push('-');
        }
        for (i, (at, achieved)) in t.sla.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(line, "{sep}{at}:{}", flag(*achieved));
        }
        line.push('\n');
        emit(&line);
    }
    let mut ratings: Vec<_> = inputs.ratings.iter().collect();
    ratings.sort_by_key(|r| r.survey_id);
    for r in ratings {
        let quote = r
            .quotable
            .as_ref()
            .and_then(|q| serde_json::to_string(q).ok())
            .unwrap_or_else(|| "-".to_string());
        line.clear();
        let _ = writeln!(
            line,
            "r\t{}\t{}\t{}\t{}\t{}\t{}",
            r.survey_id,
            r.ticket_id,
            r.answered_at,
            r.score,
            opt(r.sourcing.as_deref()),
            quote
        );
        emit(&line);
    }
    let mut work_orders: Vec<_> = inputs.work_orders.iter().collect();
    work_orders.sort_by_key(|w| w.id);
    for w in work_orders {
        line.clear();
        let _ = writeln!(
            line,
            "w\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            w.id,
            w.ticket_id,
            w.finished_at,
            w.status,
            flag(w.first_visit),
            flag(w.fixed),
            opt(w.employment_type.as_deref())
        );
        emit(&line);
    }
}

/// The canonical input lines of `inputs` as one string (for tests and for a judge's tooling).
pub fn canonical_inputs(inputs: &Inputs) -> String {
    let mut out = String::new();
    write_canonical_inputs(inputs, |l| out.push_str(l));
    out
}

fn hex(digest: &[u8]) -> String {
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The parameters' canonical JSON (compact, fields in declaration order).
pub fn canonical_parameters(params: &EvidenceParams) -> String {
    serde_json::to_string(params).unwrap_or_default()
}

/// The manifest of `params` over `inputs`.
pub fn manifest(params: &EvidenceParams, inputs: &Inputs) -> Manifest {
    let parameters = canonical_parameters(params);
    let mut all = Sha256::new();
    all.update(parameters.as_bytes());
    all.update(b"\n");
    let mut lines = Sha256::new();
    write_canonical_inputs(inputs, |l| {
        all.update(l.as_bytes());
        lines.update(l.as_bytes());
    });
    Manifest {
        algorithm: "SHA-256",
        canonical_form: "frontline.evidence.inputs.v1",
        parameters_sha256: sha256_hex(parameters.as_bytes()),
        inputs_sha256: hex(&lines.finalize()),
        sha256: hex(&all.finalize()),
        tickets: inputs.tickets.len() as u64,
        ratings: inputs.ratings.len() as u64,
        work_orders: inputs.work_orders.len() as u64,
    }
}
