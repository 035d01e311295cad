//! The integrity manifest: SHA-256 over the report's parameters and its canonical inputs
//! (docs/REPORTS.md, "Manifest", defines the form [`CANONICAL_FORM`]).
//!
//! One line per row, fields separated by a tab, `-` for a null, `1`/`0` for booleans, instants
//! as whole seconds since the epoch, each line ending in `\n`; ticket lines (`t`) by ticket id,
//! then rating lines (`r`) by survey id, then work-order lines (`w`) by work order id, then the
//! training section's lines (v2): completions (`c`) by course then staff, staff (`s`) by id, first
//! replies (`f`) and reopen units (`o`) by instant, staff, value:
//!
//! ```text
//! t id created first_reply_at frt_business latest_solved_at full_resolution reopens one_touch fcr roles created_sourcing first_reply_sourcing solved_sourcing sla
//! r survey_id ticket_id answered_at score sourcing quote
//! w id ticket_id finished_at status first_visit fixed employment_type
//! c course_id user_id completed_on course
//! s user_id role in_scope
//! f staff at frt_business
//! o staff at reopened
//! ```
//!
//! `roles` is the letters of the ticket's figures credited to the scope (`c` creation, `f` first
//! reply, `s` latest solve, `a` SLA outcomes: `cfsa` for a scope of whole tickets; v3); the three
//! sourcings are those credited to each of the first three (v3; v2 had one, the current team's).
//! `sla` is the ticket's outcomes credited to the scope as `instant:1:sourcing` (achieved) or
//! `instant:0:sourcing` (breached), the sourcing being that of the team credited at the instant
//! (`-` for none; v4, which dropped v3's one `sla_sourcing` of the current team), joined by `,`
//! (`-` without any); `quote` is the anonymised quote as a JSON string (`-` without a
//! consented comment); `completed_on` is `YYYY-MM-DD`; `course` the course's name as a JSON string.

use super::document::Manifest;
use super::inputs::{Inputs, Role};
use super::params::EvidenceParams;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// The name of the canonical form (bumped to v2 when the training section's lines were added,
/// to v3 when ticket lines got the roles credited to the scope and a sourcing per role, to v4
/// when each SLA outcome got its own credit and sourcing, at its instant).
pub const CANONICAL_FORM: &str = "frontline.evidence.inputs.v4";

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
            "t\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
            t.id,
            t.created,
            opt(t.first_reply_at),
            opt(t.first_reply_business),
            opt(t.latest_solved_at),
            opt(t.full_resolution),
            t.reopens,
            opt(t.one_touch.map(flag)),
            opt(t.fcr.map(flag)),
        );
        let roles: String = Role::ALL
            .iter()
            .filter(|r| t.holds(**r))
            .map(|r| r.letter())
            .collect();
        line.push_str(if roles.is_empty() { "-" } else { &roles });
        for role in [Role::Created, Role::FirstReply, Role::Solved] {
            let _ = write!(line, "\t{}", opt(t.sourcing(role)));
        }
        line.push('\t');
        if t.sla.is_empty() {
            line.push('-');
        }
        for (i, (at, achieved, sourcing)) in t.sla.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let sourcing = opt(sourcing.map(super::inputs::Sourcing::as_str));
            let _ = write!(line, "{sep}{at}:{}:{sourcing}", flag(achieved));
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
    let training = &inputs.training;
    let mut completions: Vec<_> = training.completions.iter().collect();
    completions.sort_by_key(|c| (c.course_id, c.user_id));
    for c in completions {
        line.clear();
        let course = serde_json::to_string(&c.course).unwrap_or_else(|_| "-".to_string());
        let _ = writeln!(
            line,
            "c\t{}\t{}\t{}\t{course}",
            c.course_id,
            c.user_id,
            c.completed_on.format("%Y-%m-%d")
        );
        emit(&line);
    }
    let mut staff: Vec<_> = training.staff.iter().collect();
    staff.sort_by_key(|s| s.id);
    for s in staff {
        line.clear();
        let _ = writeln!(line, "s\t{}\t{}\t{}", s.id, s.role, flag(s.in_scope));
        emit(&line);
    }
    for (kind, facts) in [("f", &training.first_replies), ("o", &training.reopens)] {
        let mut facts: Vec<_> = facts.iter().collect();
        facts.sort_by_key(|f| (f.at, f.staff, f.value));
        for f in facts {
            line.clear();
            let _ = writeln!(line, "{kind}\t{}\t{}\t{}", f.staff, f.at, f.value);
            emit(&line);
        }
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
        canonical_form: CANONICAL_FORM,
        parameters_sha256: sha256_hex(parameters.as_bytes()),
        inputs_sha256: hex(&lines.finalize()),
        sha256: hex(&all.finalize()),
        tickets: inputs.tickets.len() as u64,
        ratings: inputs.ratings.len() as u64,
        work_orders: inputs.work_orders.len() as u64,
        completions: inputs.training.completions.len() as u64,
        staff: inputs.training.staff.len() as u64,
        facts: (inputs.training.first_replies.len() + inputs.training.reopens.len()) as u64,
    }
}
