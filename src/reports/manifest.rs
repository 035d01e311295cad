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

/// Appends a tab and `v` (`-` for none) to `line`.
fn tab_int(line: &mut String, v: Option<i64>) {
    line.push('\t');
    match v {
        Some(v) => line.push_str(itoa::Buffer::new().format(v)),
        None => line.push('-'),
    }
}

/// Appends a tab and `1`/`0` (`-` for none) to `line`.
fn tab_flag(line: &mut String, v: Option<bool>) {
    line.push('\t');
    line.push_str(v.map_or("-", flag));
}

/// The two SHA-256 digests of a manifest, over one stream of canonical lines: the lines alone
/// (`inputs_sha256`) and the parameters' line followed by them (`sha256`). Lines are gathered
/// into 64 KiB before each digest reads them: millions of one-line updates cost more than the
/// hashing.
pub struct LineDigests {
    all: Sha256,
    lines: Sha256,
    buffer: Vec<u8>,
}

impl LineDigests {
    const BUFFER: usize = 1 << 16;

    /// Starts both digests, `sha256`'s with `parameters` and a newline.
    pub fn new(parameters: &str) -> LineDigests {
        let mut all = Sha256::new();
        all.update(parameters.as_bytes());
        all.update(b"\n");
        LineDigests {
            all,
            lines: Sha256::new(),
            buffer: Vec::with_capacity(Self::BUFFER + 512),
        }
    }

    /// Adds a canonical line (its `\n` included).
    pub fn push(&mut self, line: &str) {
        self.buffer.extend_from_slice(line.as_bytes());
        if self.buffer.len() >= Self::BUFFER {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.all.update(&self.buffer);
        self.lines.update(&self.buffer);
        self.buffer.clear();
    }

    /// `(inputs_sha256, sha256)` in lowercase hex.
    pub fn finish(mut self) -> (String, String) {
        self.flush();
        (hex(&self.lines.finalize()), hex(&self.all.finalize()))
    }
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// `items` in the order of `key`: as given when already so (the store's and the SQL's lists
/// are: no copy of a million references to sort), else sorted references.
fn in_order<'a, T, K: Ord>(
    items: &'a [T],
    key: impl Fn(&T) -> K,
) -> Box<dyn Iterator<Item = &'a T> + 'a> {
    if items.is_sorted_by_key(&key) {
        Box::new(items.iter())
    } else {
        let mut sorted: Vec<&T> = items.iter().collect();
        sorted.sort_by_key(|t| key(t));
        Box::new(sorted.into_iter())
    }
}

/// Calls `emit` with each canonical input line of `inputs` (already reduced to the rows that
/// count, quotes anonymised), `\n` included, in order; one line buffer is reused, so hashing a million tickets does
/// not hold their lines in memory.
pub fn write_canonical_inputs(inputs: &Inputs, mut emit: impl FnMut(&str)) {
    let mut line = String::with_capacity(256);
    for t in in_order(&inputs.tickets, |t| t.id()) {
        // Written field by field, without a string per optional value: a million lines.
        line.clear();
        line.push('t');
        tab_int(&mut line, Some(t.id()));
        tab_int(&mut line, Some(t.created()));
        tab_int(&mut line, t.first_reply_at());
        tab_int(&mut line, t.first_reply_business());
        tab_int(&mut line, t.latest_solved_at());
        tab_int(&mut line, t.full_resolution());
        tab_int(&mut line, Some(i64::from(t.reopens())));
        tab_flag(&mut line, t.one_touch());
        tab_flag(&mut line, t.fcr());
        line.push('\t');
        let roles = line.len();
        for role in Role::ALL.iter().filter(|r| t.holds(**r)) {
            line.push(role.letter());
        }
        if line.len() == roles {
            line.push('-');
        }
        for role in [Role::Created, Role::FirstReply, Role::Solved] {
            line.push('\t');
            line.push_str(t.sourcing(role).unwrap_or("-"));
        }
        line.push('\t');
        if t.sla().is_empty() {
            line.push('-');
        }
        for (i, (at, achieved, sourcing)) in t.sla().iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(itoa::Buffer::new().format(at));
            line.push(':');
            line.push_str(flag(achieved));
            line.push(':');
            line.push_str(sourcing.map_or("-", super::inputs::Sourcing::as_str));
        }
        line.push('\n');
        emit(&line);
    }
    for r in in_order(&inputs.ratings, |r| r.survey_id) {
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
            opt(r.sourcing.map(super::inputs::Sourcing::as_str)),
            quote
        );
        emit(&line);
    }
    for w in in_order(&inputs.work_orders, |w| w.id) {
        line.clear();
        let _ = writeln!(
            line,
            "w\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            w.id,
            w.ticket_id,
            w.finished_at,
            w.status.as_str(),
            flag(w.first_visit),
            flag(w.fixed),
            opt(w.employment_type.map(|t| t.as_str()))
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
        for f in in_order(facts, |f| (f.at, f.staff, f.value)) {
            line.clear();
            line.push_str(kind);
            tab_int(&mut line, Some(f.staff));
            tab_int(&mut line, Some(f.at));
            tab_int(&mut line, Some(f.value));
            line.push('\n');
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
    let mut digests = LineDigests::new(&parameters);
    write_canonical_inputs(inputs, |l| digests.push(l));
    let (inputs_sha256, sha256) = digests.finish();
    Manifest {
        algorithm: "SHA-256",
        canonical_form: CANONICAL_FORM,
        parameters_sha256: sha256_hex(parameters.as_bytes()),
        inputs_sha256,
        sha256,
        tickets: inputs.tickets.len() as u64,
        ratings: inputs.ratings.len() as u64,
        work_orders: inputs.work_orders.len() as u64,
        completions: inputs.training.completions.len() as u64,
        staff: inputs.training.staff.len() as u64,
        facts: (inputs.training.first_replies.len() + inputs.training.reopens.len()) as u64,
    }
}
