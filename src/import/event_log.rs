//! `frontline import event-log FILE --mapping MAPPING.toml`: one CSV row per ticket event.
//!
//! The mapping ([`Mapping`], docs/IMPORT.md) names the columns, says how timestamps are written
//! and what each activity means as a list of [`Action`]s. Rules:
//! - the events of one ticket are ordered by timestamp; equal timestamps keep file order;
//! - a ticket is created at its `created_at` cell (the earliest non-empty one) when the mapping
//!   has that column, otherwise at its earliest event. Rows earlier than the creation instant
//!   are refused; the first row at or after it (the *first row*) says who created the ticket (a
//!   staff member creating a ticket makes it agent-created). When the first row is at the
//!   creation instant it is the creating row: its other actions apply at once, and when they
//!   include `agent_reply` the creation carries a public agent comment (`frt.v1` then stops at
//!   the second public agent comment);
//! - before a row's actions, its columns apply: a `team` cell naming another team moves the
//!   ticket (a `team_id` field change; the first row's team is the ticket's team from its
//!   creation, the `[ticket]` team when that cell is empty), an `assignee` cell naming someone
//!   else assigns them, a `priority` cell with another priority changes it (on rows whose
//!   actions include `priority`, that action records the cell instead); empty cells change
//!   nothing. The ticket's channel is its earliest non-empty `channel` cell;
//! - staff (staff and assignee cells) are matched by account email, then by the source id an
//!   earlier import stored; the others are created as agents who cannot log in, in the team of
//!   the first row (file order) assigning them within a team, else the `[ticket]` team, with
//!   the `[staff]` employment type. Teams are matched by name; missing ones are created as
//!   `[teams]` says (in-house unless the mapping names a vendor);
//! - a row whose actions the state machine refuses (e.g. anything after `close`) is a *warning*:
//!   reported with its line number, not applied; a row that cannot be read (bad timestamp,
//!   unknown activity or value, no ticket id) is *skipped* with its line number; the rest is
//!   imported;
//! - `solve` on a ticket without assignee first assigns the row's staff member (history as it
//!   happened: that person solved it);
//! - idempotent: a ticket whose id (stored as `tickets.external_id`) is already present is left as
//!   it is, so importing a file twice changes nothing;
//! - everything is written in one transaction; with `strict`, the first skipped or refused row
//!   aborts the import and nothing is written.

pub use super::mapping::{
    Action, Columns, ImportedStaff, ImportedTeams, MAX_ID_CHARS, Mapping, OtherActivities,
    TicketDefaults, TimeReader, Timestamps, Values,
};
use crate::domain::metrics::project;
use crate::domain::ticket::{
    AuthorKind, ClosePolicy, Command, CommandError, Creation, StaffId, TicketEvent, TicketPriority,
    TicketState, TicketStatus,
};
use crate::models::enums::TicketChannel;
use crate::models::{staff, ticket as ticket_model};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// Options of one import run.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Abort on the first skipped or refused row, writing nothing.
    pub strict: bool,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
    /// The label of an outside data set (a rival's export, a vendor's log), kept on every
    /// imported ticket (`tickets.source`); `None` imports the company's own history. Lowercase
    /// letters, digits, `_`, `.` and `-`, starting with a letter or digit, at most 63
    /// characters ([`valid_source_label`]).
    pub source: Option<String>,
}

/// A request's `source` filter: `None` (the company's own tickets) or a valid label.
///
/// # Errors
/// 422 naming `source` when the label is not one ([`valid_source_label`]).
pub fn source_filter(label: Option<&str>) -> Result<Option<String>, crate::error::ApiError> {
    match label {
        Some(label) if !valid_source_label(label) => Err(crate::error::ApiError::invalid_field(
            "source",
            "must be 1 to 63 lowercase letters, digits, `_`, `.` or `-`, starting with a letter or a digit",
        )),
        label => Ok(label.map(str::to_string)),
    }
}

/// Whether `label` may name an outside data set: 1–63 characters of lowercase letters, digits,
/// `_`, `.` and `-`, the first a letter or a digit (the database's `tickets_source_label`).
pub fn valid_source_label(label: &str) -> bool {
    let mut chars = label.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && label.len() <= 63
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
}

/// Severity of a reported row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// The row could not be read; it was skipped.
    Skipped,
    /// The row was read but the state machine refused it; it was not applied.
    Warning,
}

/// One reported row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// Skipped or warning.
    pub kind: IssueKind,
    /// Why.
    pub reason: String,
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            IssueKind::Skipped => "skipped",
            IssueKind::Warning => "warning",
        };
        write!(f, "line {}: {kind}: {}", self.line, self.reason)
    }
}

/// Outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Data rows read (the header excluded).
    pub rows_read: u64,
    /// Rows applied to newly imported tickets.
    pub rows_imported: u64,
    /// Rows that could not be read.
    pub rows_skipped: u64,
    /// Rows the state machine refused (not applied).
    pub warnings: u64,
    /// Tickets created.
    pub tickets_imported: u64,
    /// Tickets left alone because their id was already present.
    pub tickets_already_present: u64,
    /// Rows belonging to tickets already present.
    pub rows_already_present: u64,
    /// Every skipped or refused row, in line order.
    pub issues: Vec<RowIssue>,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imported {} rows into {} tickets; skipped {} rows; {} warnings; \
             {} tickets ({} rows) already present; {} rows read",
            self.rows_imported,
            self.tickets_imported,
            self.rows_skipped,
            self.warnings,
            self.tickets_already_present,
            self.rows_already_present,
            self.rows_read
        )
    }
}

/// Why an import stopped without writing anything.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read as CSV or lacks a mapped column.
    #[error("{0}")]
    File(String),
    /// `strict` and a row was skipped or refused.
    #[error("strict import aborted, nothing written: {0}")]
    Strict(RowIssue),
    /// The database failed; the transaction was rolled back.
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
}

/// A readable data row (optional cells already read; `None` is an empty cell).
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    at: DateTime<Utc>,
    activity: String,
    actions: Vec<Action>,
    staff: Option<String>,
    priority: Option<TicketPriority>,
    created_at: Option<DateTime<Utc>>,
    assignee: Option<String>,
    team: Option<String>,
    channel: Option<TicketChannel>,
}

/// The readable rows of a file.
#[derive(Debug, Default)]
struct ReadLog {
    /// Rows grouped by ticket (tickets in order of first appearance, rows sorted by timestamp,
    /// equal timestamps in file order).
    tickets: Vec<(String, Vec<Row>)>,
    /// Staff references (staff and assignee cells) in order of first appearance.
    staff: Vec<String>,
    /// Reference → team of the first row (file order) that assigns them within a team.
    staff_team: HashMap<String, String>,
}

/// Indices of the mapped columns in the header.
struct ColumnIndex {
    ticket: usize,
    activity: usize,
    time: usize,
    staff: usize,
    priority: Option<usize>,
    created_at: Option<usize>,
    assignee: Option<usize>,
    team: Option<usize>,
    channel: Option<usize>,
}

/// Reads one record into a row, or says why it is skipped.
fn read_row(
    record: &csv::StringRecord,
    line: u64,
    c: &ColumnIndex,
    mapping: &Mapping,
    time: &TimeReader,
) -> Result<(String, Row), String> {
    let field = |i: usize| record.get(i).unwrap_or("").trim();
    let optional = |i: Option<usize>| i.and_then(|i| mapping.optional(field(i)));
    let ticket_id = field(c.ticket);
    if ticket_id.is_empty() {
        return Err("no ticket id".into());
    }
    let staff = optional(Some(c.staff));
    let assignee = optional(c.assignee);
    let team = optional(c.team);
    if ticket_id.chars().count() > MAX_ID_CHARS
        || [staff, assignee, team]
            .into_iter()
            .flatten()
            .any(|s| s.chars().count() > MAX_ID_CHARS)
    {
        return Err(format!(
            "ticket id, staff member, assignee or team longer than {MAX_ID_CHARS} characters"
        ));
    }
    if team.is_some_and(|t| t.chars().any(char::is_control)) {
        return Err(format!("ticket {ticket_id}: a team name must be one line"));
    }
    let in_ticket = |reason: String| format!("ticket {ticket_id}: {reason}");
    let at = time.read(field(c.time)).map_err(in_ticket)?;
    let created_at = optional(c.created_at)
        .map(|s| time.read(s).map_err(|e| in_ticket(format!("creation {e}"))))
        .transpose()?;
    let activity = field(c.activity).to_string();
    let actions = mapping
        .actions_of(&activity)
        .ok_or_else(|| in_ticket(format!("unknown activity `{activity}`")))?;
    let priority = optional(c.priority)
        .map(|p| mapping.priority_of(p).map_err(in_ticket))
        .transpose()?;
    let channel = optional(c.channel)
        .map(|p| mapping.channel_of(p).map_err(in_ticket))
        .transpose()?;
    Ok((
        ticket_id.to_string(),
        Row {
            line,
            at,
            activity,
            actions,
            staff: staff.map(str::to_string),
            priority,
            created_at,
            assignee: assignee.map(str::to_string),
            team: team.map(str::to_string),
            channel,
        },
    ))
}

/// Reads the CSV into rows grouped by ticket, reporting unreadable rows.
fn read_rows(
    reader: impl std::io::Read,
    mapping: &Mapping,
    summary: &mut ImportSummary,
) -> Result<ReadLog, ImportError> {
    let time = mapping
        .time_reader()
        .map_err(|e| ImportError::File(e.to_string()))?;
    // The csv crate numbers the lines of a CRLF file one too low (its records after the header
    // start at "line 1"): a file whose first line ends in CRLF gets its lines one higher.
    let mut reader = std::io::BufReader::new(reader);
    let crlf_shift = {
        let start = std::io::BufRead::fill_buf(&mut reader)
            .map_err(|e| ImportError::File(format!("cannot read the file: {e}")))?;
        let first_line_end = start.iter().position(|b| *b == b'\n');
        u64::from(first_line_end.is_some_and(|i| i > 0 && start[i - 1] == b'\r'))
    };
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| ImportError::File(format!("cannot read the header: {e}")))?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::File("the file is empty: no header row".into()));
    }
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ImportError::File(format!("the file has no column `{name}`")))
    };
    let optional_column = |name: &Option<String>| name.as_deref().map(column).transpose();
    let columns = &mapping.columns;
    let c = ColumnIndex {
        ticket: column(&columns.ticket_id)?,
        activity: column(&columns.activity)?,
        time: column(&columns.timestamp)?,
        staff: column(&columns.staff)?,
        priority: optional_column(&columns.priority)?,
        created_at: optional_column(&columns.created_at)?,
        assignee: optional_column(&columns.assignee)?,
        team: optional_column(&columns.team)?,
        channel: optional_column(&columns.channel)?,
    };

    let mut log = ReadLog::default();
    let mut order: Vec<String> = Vec::new();
    let mut by_ticket: HashMap<String, Vec<Row>> = HashMap::new();
    let mut staff_seen: HashSet<String> = HashSet::new();
    for record in csv.records() {
        summary.rows_read += 1;
        // Line of the record: the header is line 1 (quoted fields with newlines are rare here).
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(summary.rows_read + 1, |p| p.line() + crlf_shift);
                summary.issues.push(RowIssue {
                    line,
                    kind: IssueKind::Skipped,
                    reason: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = record
            .position()
            .map_or(summary.rows_read + 1, |p| p.line() + crlf_shift);
        let (ticket_id, row) = match read_row(&record, line, &c, mapping, &time) {
            Ok(read) => read,
            Err(reason) => {
                summary.issues.push(RowIssue {
                    line,
                    kind: IssueKind::Skipped,
                    reason,
                });
                continue;
            }
        };
        for person in [&row.staff, &row.assignee].into_iter().flatten() {
            if staff_seen.insert(person.clone()) {
                log.staff.push(person.clone());
            }
        }
        if let (Some(assignee), Some(team)) = (&row.assignee, &row.team) {
            log.staff_team
                .entry(assignee.clone())
                .or_insert_with(|| team.clone());
        }
        by_ticket
            .entry(ticket_id.clone())
            .or_insert_with(|| {
                order.push(ticket_id);
                Vec::new()
            })
            .push(row);
    }
    log.tickets = order
        .into_iter()
        .map(|id| {
            let mut rows = by_ticket.remove(&id).unwrap_or_default();
            rows.sort_by_key(|r| r.at); // stable: equal timestamps keep file order
            (id, rows)
        })
        .collect();
    Ok(log)
}

/// Staff and teams of an import, resolved to ids, and the teams' calendar timelines.
struct Directory {
    /// Staff reference → `users.id`.
    staff: HashMap<String, StaffId>,
    /// Team name → `teams.id`.
    teams: HashMap<String, i64>,
    /// The `[ticket]` team, when some ticket or staff member needed it.
    default_team: Option<i64>,
    /// The teams' calendar timelines (docs/METRICS.md §3), read after the teams were made.
    rules: crate::tickets::Rules,
}

impl Directory {
    fn staff_of(&self, reference: Option<&String>) -> Option<StaffId> {
        reference.and_then(|s| self.staff.get(s)).copied()
    }

    fn team_of(&self, name: Option<&String>) -> Option<i64> {
        name.and_then(|t| self.teams.get(t)).copied()
    }
}

/// Finds or creates the teams and staff that the rows of new tickets (and the staff of all rows)
/// name, creating the `[ticket]` team only when something needs it.
fn resolve_directory(
    conn: &mut PgConnection,
    mapping: &Mapping,
    log: &ReadLog,
    present: &HashSet<String>,
) -> Result<Directory, ImportError> {
    let vendor = mapping.team_vendor();
    let sourcing = mapping.teams.sourcing;
    let new_tickets = || log.tickets.iter().filter(|(id, _)| !present.contains(id));
    let team_names: BTreeSet<&str> = new_tickets()
        .flat_map(|(_, rows)| rows.iter().filter_map(|r| r.team.as_deref()))
        .collect();
    let team_names: Vec<&str> = team_names.into_iter().collect();
    let mut teams = staff::ensure_teams(conn, &team_names, sourcing, vendor)?;

    let refs: Vec<&str> = log.staff.iter().map(String::as_str).collect();
    let mut staff = staff::find_staff(conn, &refs)?;
    let missing: Vec<(&str, Option<i64>)> = refs
        .iter()
        .filter(|r| !staff.contains_key(**r))
        .map(|r| {
            let team = log
                .staff_team
                .get(*r)
                .and_then(|t| teams.get(t.as_str()))
                .copied();
            (*r, team)
        })
        .collect();
    let needs_default = missing.iter().any(|(_, team)| team.is_none())
        || new_tickets()
            .any(|(_, rows)| creation(rows).is_some_and(|(_, i)| rows[i].team.is_none()));
    let default_team = if needs_default {
        let name = mapping.ticket.team.trim();
        let found = staff::ensure_teams(conn, &[name], sourcing, vendor)?;
        let id = found.get(name).copied();
        teams.extend(found);
        id
    } else {
        None
    };
    let new: Vec<(&str, i64)> = missing
        .iter()
        .filter_map(|(r, team)| team.or(default_team).map(|t| (*r, t)))
        .collect();
    staff.extend(staff::create_imported_staff(
        conn,
        &new,
        mapping.staff.employment_type,
    )?);
    let rules = crate::tickets::Rules::current(conn)?;
    Ok(Directory {
        staff,
        teams,
        default_team,
        rules,
    })
}

/// A ticket's creation instant (its earliest `created_at` cell, else its earliest row) and the
/// index of its *first row*, the earliest at or after that instant (rows before it are refused):
/// that row says who created the ticket and in which team.
fn creation(rows: &[Row]) -> Option<(DateTime<Utc>, usize)> {
    let earliest = rows.first()?;
    let created_at = rows
        .iter()
        .find_map(|r| r.created_at)
        .unwrap_or(earliest.at);
    let first = rows.iter().position(|r| r.at >= created_at).unwrap_or(0);
    Some((created_at, first))
}

/// Builds a ticket's history by running its rows through the ticket aggregate.
/// Returns the history (if any row could create the ticket), the refused rows and how many rows
/// were applied.
fn build_history(
    ticket_id: &str,
    rows: &[Row],
    dir: &Directory,
    mapping: &Mapping,
    source: Option<&str>,
) -> (Option<ticket_model::TicketHistory>, Vec<RowIssue>, u64) {
    let mut issues = Vec::new();
    let Some((created_at, first_index)) = creation(rows) else {
        return (None, issues, 0);
    };
    let first = &rows[first_index];
    let creating_row = first.at == created_at;
    let creator = dir.staff_of(first.staff.as_ref());
    let with_reply =
        creating_row && first.actions.contains(&Action::AgentReply) && creator.is_some();
    let (mut state, created) = TicketState::create(&Creation {
        at: created_at,
        created_by: creator,
        with_public_agent_comment: with_reply,
    });
    let mut team = dir.team_of(first.team.as_ref()).or(dir.default_team);
    let mut events = vec![created];
    let mut bodies = Vec::new();
    let mut applied = 0;

    for (i, row) in rows.iter().enumerate() {
        // The first row's `create` is the creation itself; anywhere else it is refused.
        let actions: Vec<Action> = row
            .actions
            .iter()
            .copied()
            .filter(|a| i != first_index || *a != Action::Create)
            .collect();
        let outcome = if row.at < created_at {
            Err(format!(
                "it is earlier than the ticket's creation at {}",
                created_at.to_rfc3339()
            ))
        } else {
            let mut trial = (state.clone(), team);
            apply_row(&mut trial, row, &actions, dir).map(|done| (trial, done))
        };
        match outcome {
            Ok(((new_state, new_team), (mut new_events, mut new_bodies))) => {
                state = new_state;
                team = new_team;
                events.append(&mut new_events);
                bodies.append(&mut new_bodies);
                applied += 1;
            }
            Err(reason) => issues.push(RowIssue {
                line: row.line,
                kind: IssueKind::Warning,
                reason: format!(
                    "ticket {ticket_id}: `{}` not applied: {reason}",
                    row.activity
                ),
            }),
        }
    }
    // Measured as the API measures it: each segment on the calendar of the team the ticket
    // belonged to then (its `team_id` changes in `events`), as that team's was at the time.
    let calendar = dir.rules.timeline(team, &events);
    let metrics = project(&events, &calendar).unwrap_or_default();
    let history = ticket_model::TicketHistory {
        external_id: ticket_id.to_string(),
        source: source.map(str::to_string),
        subject: mapping.ticket.subject.replace("{ticket_id}", ticket_id),
        channel: rows.iter().find_map(|r| r.channel),
        team_id: team,
        created_by: creator,
        state,
        events,
        comment_bodies: bodies,
        metrics,
    };
    (Some(history), issues, applied)
}

/// Applies one row — its team, assignee and priority cells, then its actions — to
/// `(state, team)`; on error they may be partly changed (the caller applies to a copy).
fn apply_row(
    (state, team): &mut (TicketState, Option<i64>),
    row: &Row,
    actions: &[Action],
    dir: &Directory,
) -> Result<(Vec<TicketEvent>, Vec<String>), String> {
    let actor = dir.staff_of(row.staff.as_ref());
    let assignee = dir.staff_of(row.assignee.as_ref());
    let mut commands: Vec<Command> = Vec::new();
    let mut bodies = Vec::new();
    if let Some(to) = dir.team_of(row.team.as_ref())
        && *team != Some(to)
    {
        commands.push(Command::ChangeField {
            field: "team_id".into(),
            from: serde_json::json!(*team),
            to: serde_json::json!(to),
        });
        *team = Some(to);
    }
    if let Some(to) = assignee
        && state.assignee != Some(to)
    {
        commands.push(Command::Assign { assignee: to });
    }
    if let Some(to) = row.priority
        && to != state.priority
        && !actions.contains(&Action::Priority)
    {
        commands.push(Command::SetPriority(Some(to)));
    }
    let need_actor = |what: &str| actor.ok_or_else(|| format!("{what} needs a staff member"));
    let mut events = Vec::new();
    let mut run = |state: &mut TicketState, commands: &mut Vec<Command>| {
        for command in commands.drain(..) {
            let mut new = state
                .apply(&command, row.at, actor)
                .map_err(|e: CommandError| e.to_string())?;
            events.append(&mut new);
        }
        Ok::<(), String>(())
    };
    run(state, &mut commands)?;
    for action in actions {
        match action {
            Action::Create => return Err("the ticket already exists".into()),
            Action::Assign => commands.push(Command::Assign {
                assignee: assignee.map_or_else(|| need_actor("assign"), Ok)?,
            }),
            Action::AgentReply => {
                need_actor("an agent reply")?;
                bodies.push(format!("Imported activity: {}", row.activity));
                commands.push(Command::Comment {
                    author: AuthorKind::Agent,
                    public: true,
                });
            }
            Action::InternalNote => {
                need_actor("an internal note")?;
                bodies.push(format!("Imported activity: {}", row.activity));
                commands.push(Command::Comment {
                    author: AuthorKind::Agent,
                    public: false,
                });
            }
            Action::RequesterReply => {
                // The aggregate reopens a pending, on-hold or solved ticket (docs/METRICS.md §2).
                bodies.push(format!("Imported activity: {}", row.activity));
                commands.push(Command::Comment {
                    author: AuthorKind::Customer,
                    public: true,
                });
            }
            Action::Open => commands.push(Command::SetStatus(TicketStatus::Open)),
            Action::Pending => commands.push(Command::SetStatus(TicketStatus::Pending)),
            Action::OnHold => commands.push(Command::SetStatus(TicketStatus::OnHold)),
            Action::Solve => {
                if state.assignee.is_none() && state.status != TicketStatus::Closed {
                    commands.push(Command::Assign {
                        assignee: need_actor("solving an unassigned ticket")?,
                    });
                }
                commands.push(Command::SetStatus(TicketStatus::Solved));
            }
            Action::Close => commands.push(Command::Close(ClosePolicy::FromAnyStatus)),
            Action::Priority => commands.push(Command::SetPriority(row.priority)),
            Action::Note => commands.push(Command::Note {
                activity: row.activity.clone(),
            }),
        }
        // Each action sees the state the previous ones left (`solve` checks the assignee).
        run(state, &mut commands)?;
    }
    Ok((events, bodies))
}

/// Imports an event log from `path` (see the module documentation for the rules).
///
/// # Errors
/// [`ImportError`]; nothing is written when an error is returned.
pub fn import_file(
    conn: &mut PgConnection,
    path: &Path,
    mapping: &Mapping,
    options: ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let file = std::fs::File::open(path)
        .map_err(|e| ImportError::File(format!("cannot open {}: {e}", path.display())))?;
    import_reader(conn, std::io::BufReader::new(file), mapping, options)
}

/// Imports an event log read from `reader`; see [`import_file`].
///
/// # Errors
/// [`ImportError`]; nothing is written when an error is returned.
pub fn import_reader(
    conn: &mut PgConnection,
    reader: impl std::io::Read,
    mapping: &Mapping,
    options: ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let log = read_rows(reader, mapping, &mut summary)?;
    if options.strict
        && let Some(issue) = summary.issues.first()
    {
        return Err(ImportError::Strict(issue.clone()));
    }
    let progress = if options.progress {
        let bar = ProgressBar::new(log.tickets.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} tickets {elapsed_precise}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    let result = conn.transaction::<_, ImportError, _>(|conn| {
        let ids: Vec<&str> = log.tickets.iter().map(|(id, _)| id.as_str()).collect();
        let present: HashSet<String> =
            ticket_model::existing_external_ids(conn, options.source.as_deref(), &ids)?
                .into_iter()
                .collect();
        let dir = resolve_directory(conn, mapping, &log, &present)?;

        let mut histories = Vec::new();
        for (ticket_id, rows) in &log.tickets {
            progress.inc(1);
            if present.contains(ticket_id) {
                summary.tickets_already_present += 1;
                summary.rows_already_present += rows.len() as u64;
                continue;
            }
            let (history, mut issues, applied) =
                build_history(ticket_id, rows, &dir, mapping, options.source.as_deref());
            if options.strict
                && let Some(issue) = issues.first()
            {
                return Err(ImportError::Strict(issue.clone()));
            }
            summary.rows_imported += applied;
            summary.issues.append(&mut issues);
            histories.extend(history);
        }
        // Rows, logs, projections and SLA clocks (when any policy is active).
        let rules =
            crate::tickets::RulesCache::with_notices(crate::tickets::notify::NoticeSettings {
                enabled: false,
                ..Default::default()
            });
        let stored = crate::tickets::import::store_histories_tx(conn, &rules, &histories)?;
        summary.tickets_imported = stored.len() as u64;
        Ok(())
    });
    progress.finish_and_clear();
    result?;
    summary.issues.sort_by_key(|i| i.line);
    summary.rows_skipped = summary
        .issues
        .iter()
        .filter(|i| i.kind == IssueKind::Skipped)
        .count() as u64;
    summary.warnings = summary
        .issues
        .iter()
        .filter(|i| i.kind == IssueKind::Warning)
        .count() as u64;
    Ok(summary)
}
