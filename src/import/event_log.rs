//! `frontline import event-log FILE --mapping MAPPING.toml`: one CSV row per ticket event.
//!
//! The mapping ([`Mapping`]) names the columns and says what each activity means as a list of
//! [`Action`]s. Rules:
//! - the events of one ticket are ordered by timestamp; equal timestamps keep file order;
//! - the first event of a ticket creates it at that instant, by that row's staff member (a staff
//!   member creating a ticket makes it agent-created); the row's other actions apply at once, and
//!   when they include `agent_reply` the creation carries a public agent comment (`frt.v1` then stops
//!   at the second public agent comment);
//! - a row whose actions the state machine refuses (e.g. anything after `close`) is a *warning*:
//!   reported with its line number, not applied; a row that cannot be read (bad timestamp, unknown
//!   activity, no ticket id) is *skipped* with its line number; the rest is imported;
//! - `solve` on a ticket without assignee first assigns the row's staff member (history as it
//!   happened: that person solved it);
//! - idempotent: a ticket whose id (stored as `tickets.external_id`) is already present is left as
//!   it is, so importing a file twice changes nothing;
//! - everything is written in one transaction; with `strict`, the first skipped or refused row
//!   aborts the import and nothing is written.

use crate::domain::metrics::project;
use crate::domain::ticket::{
    AuthorKind, ClosePolicy, Command, CommandError, Creation, StaffId, TicketEvent, TicketPriority,
    TicketState, TicketStatus,
};
use crate::domain::timeline::BusinessTime;
use crate::models::{staff, ticket as ticket_model};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// What one activity does to a ticket. Several actions may be listed for one activity; they apply
/// in the listed order, all or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The ticket is created (only meaningful as a ticket's first event).
    Create,
    /// The row's staff member becomes the assignee (a `new` ticket becomes `open`).
    Assign,
    /// A public agent comment from the row's staff member (counts for `frt.v1` and `replies.v1`).
    AgentReply,
    /// An internal (private) agent comment.
    InternalNote,
    /// A public comment from the requester (reopens a pending, on-hold or solved ticket).
    RequesterReply,
    /// Status `open`.
    Open,
    /// Status `pending` (waiting on the requester).
    Pending,
    /// Status `on_hold` (waiting on a third party).
    OnHold,
    /// Status `solved`.
    Solve,
    /// Closed, from whatever status the ticket has (imported history).
    Close,
    /// A priority assessment; the value comes from the priority column when the mapping names one.
    Priority,
    /// An activity recorded as a note, with no effect.
    Note,
}

/// Column names of the CSV.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// Ticket id in the source (becomes `tickets.external_id`).
    pub ticket_id: String,
    /// Activity name.
    pub activity: String,
    /// Timestamp with a UTC offset (RFC 3339, or `YYYY-MM-DD HH:MM:SS[.f]±HH:MM`).
    pub timestamp: String,
    /// Staff member (external id); empty cells mean "nobody".
    pub staff: String,
    /// Optional priority value column (`low`, `normal`, `high`, `urgent`).
    #[serde(default)]
    pub priority: Option<String>,
}

/// What to do with an activity the mapping does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherActivities {
    /// Skip the row and report it (default).
    #[default]
    Reject,
    /// Record it as a note.
    Note,
}

/// Ticket attributes the source does not carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketDefaults {
    /// Subject; `{ticket_id}` is replaced by the source id.
    pub subject: String,
    /// Team of the imported staff and tickets (created as an in-house contact-center team).
    pub team: String,
}

/// A mapping file (TOML).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Column names.
    pub columns: Columns,
    /// Ticket defaults.
    pub ticket: TicketDefaults,
    /// Activity name → actions.
    pub activities: BTreeMap<String, Vec<Action>>,
    /// Activities not listed: `reject` (default) or `note`.
    #[serde(default)]
    pub other_activities: OtherActivities,
}

impl Mapping {
    /// Reads and checks a mapping file.
    ///
    /// # Errors
    /// The file cannot be read, is not valid TOML for a mapping, or maps an activity to nothing.
    pub fn load(path: &Path) -> anyhow::Result<Mapping> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read mapping {}: {e}", path.display()))?;
        Mapping::parse(&text).map_err(|e| anyhow::anyhow!("mapping {}: {e}", path.display()))
    }

    /// Parses and checks a mapping.
    ///
    /// # Errors
    /// Invalid TOML, unknown keys or actions, or an activity mapped to no action.
    pub fn parse(text: &str) -> anyhow::Result<Mapping> {
        let mapping: Mapping = toml::from_str(text)?;
        if let Some((name, _)) = mapping.activities.iter().find(|(_, a)| a.is_empty()) {
            anyhow::bail!("activity `{name}` is mapped to no action");
        }
        if mapping.ticket.team.trim().is_empty() {
            anyhow::bail!("[ticket] team must not be blank");
        }
        let subject = mapping.ticket.subject.replace("{ticket_id}", "");
        if subject.contains('{') || subject.contains('}') {
            anyhow::bail!("[ticket] subject may use only the placeholder {{ticket_id}}");
        }
        if mapping.ticket.subject.trim().is_empty() {
            anyhow::bail!("[ticket] subject must not be blank");
        }
        let c = &mapping.columns;
        let mut names = vec![&c.ticket_id, &c.activity, &c.timestamp, &c.staff];
        names.extend(c.priority.as_ref());
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = names.into_iter().find(|n| !seen.insert(n.as_str())) {
            anyhow::bail!("[columns] maps column `{dup}` twice");
        }
        Ok(mapping)
    }

    fn actions_of(&self, activity: &str) -> Option<Vec<Action>> {
        match (self.activities.get(activity), self.other_activities) {
            (Some(actions), _) => Some(actions.clone()),
            (None, OtherActivities::Note) => Some(vec![Action::Note]),
            (None, OtherActivities::Reject) => None,
        }
    }
}

/// Options of one import run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Abort on the first skipped or refused row, writing nothing.
    pub strict: bool,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
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

/// Longest ticket id or staff member accepted, in characters.
pub const MAX_ID_CHARS: usize = 200;

/// A readable data row.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    at: DateTime<Utc>,
    activity: String,
    actions: Vec<Action>,
    staff: Option<String>,
    priority: Option<TicketPriority>,
}

/// Parses a timestamp that carries a UTC offset.
fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let in_range = |t: DateTime<chrono::FixedOffset>| {
        crate::domain::instant::check(t.with_timezone(&Utc))
            .map_err(|m| format!("timestamp `{s}` {m}"))
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return in_range(t);
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return in_range(t);
        }
    }
    if NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").is_ok() {
        return Err(format!("timestamp `{s}` has no UTC offset"));
    }
    Err(format!("bad timestamp `{s}`"))
}

/// Reads the CSV into rows grouped by ticket (tickets in order of first appearance, rows sorted by
/// timestamp, equal timestamps in file order), reporting unreadable rows.
fn read_rows(
    reader: impl std::io::Read,
    mapping: &Mapping,
    summary: &mut ImportSummary,
) -> Result<Vec<(String, Vec<Row>)>, ImportError> {
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
    let c_ticket = column(&mapping.columns.ticket_id)?;
    let c_activity = column(&mapping.columns.activity)?;
    let c_time = column(&mapping.columns.timestamp)?;
    let c_staff = column(&mapping.columns.staff)?;
    let c_priority = mapping
        .columns
        .priority
        .as_deref()
        .map(column)
        .transpose()?;

    let mut order: Vec<String> = Vec::new();
    let mut by_ticket: HashMap<String, Vec<Row>> = HashMap::new();
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
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let skip = |reason: String| RowIssue {
            line,
            kind: IssueKind::Skipped,
            reason,
        };
        let ticket_id = field(c_ticket);
        if ticket_id.is_empty() {
            summary.issues.push(skip("no ticket id".into()));
            continue;
        }
        if ticket_id.chars().count() > MAX_ID_CHARS || field(c_staff).chars().count() > MAX_ID_CHARS
        {
            summary.issues.push(skip(format!(
                "ticket id or staff member longer than {MAX_ID_CHARS} characters"
            )));
            continue;
        }
        let at = match parse_timestamp(field(c_time)) {
            Ok(at) => at,
            Err(reason) => {
                summary
                    .issues
                    .push(skip(format!("ticket {ticket_id}: {reason}")));
                continue;
            }
        };
        let activity = field(c_activity).to_string();
        let Some(actions) = mapping.actions_of(&activity) else {
            summary.issues.push(skip(format!(
                "ticket {ticket_id}: unknown activity `{activity}`"
            )));
            continue;
        };
        let priority = match c_priority.map(field).filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => match TicketPriority::parse(&p.to_lowercase()) {
                Some(p) => Some(p),
                None => {
                    summary
                        .issues
                        .push(skip(format!("ticket {ticket_id}: unknown priority `{p}`")));
                    continue;
                }
            },
        };
        let staff = Some(field(c_staff).to_string()).filter(|s| !s.is_empty());
        let rows = by_ticket.entry(ticket_id.to_string()).or_insert_with(|| {
            order.push(ticket_id.to_string());
            Vec::new()
        });
        rows.push(Row {
            line,
            at,
            activity,
            actions,
            staff,
            priority,
        });
    }
    Ok(order
        .into_iter()
        .map(|id| {
            let mut rows = by_ticket.remove(&id).unwrap_or_default();
            rows.sort_by_key(|r| r.at); // stable: equal timestamps keep file order
            (id, rows)
        })
        .collect())
}

/// Builds a ticket's history by running its rows through the ticket aggregate.
/// Returns the history (if any row could create the ticket) and the refused rows.
fn build_history(
    ticket_id: &str,
    rows: &[Row],
    staff: &HashMap<String, StaffId>,
    mapping: &Mapping,
    team_id: i64,
    calendar: &dyn BusinessTime,
) -> (Option<ticket_model::TicketHistory>, Vec<RowIssue>, u64) {
    let mut issues = Vec::new();
    let Some((first, rest)) = rows.split_first() else {
        return (None, issues, 0);
    };
    let actor_of = |row: &Row| row.staff.as_ref().and_then(|s| staff.get(s)).copied();
    let creator = actor_of(first);
    let with_reply = first.actions.contains(&Action::AgentReply) && creator.is_some();
    let (mut state, created) = TicketState::create(&Creation {
        at: first.at,
        created_by: creator,
        with_public_agent_comment: with_reply,
    });
    let mut events = vec![created];
    let mut bodies = Vec::new();
    let mut applied = 0;

    for (i, row) in std::iter::once(first).chain(rest).enumerate() {
        let actions: Vec<Action> = if i == 0 {
            row.actions
                .iter()
                .copied()
                .filter(|a| *a != Action::Create)
                .collect()
        } else {
            row.actions.clone()
        };
        let mut trial = state.clone();
        match apply_row(&mut trial, row, &actions, actor_of(row)) {
            Ok((mut new_events, mut new_bodies)) => {
                state = trial;
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
    let metrics = project(&events, calendar).unwrap_or_default();
    let history = ticket_model::TicketHistory {
        external_id: ticket_id.to_string(),
        subject: mapping.ticket.subject.replace("{ticket_id}", ticket_id),
        team_id: Some(team_id),
        created_by: creator,
        state,
        events,
        comment_bodies: bodies,
        metrics,
    };
    (Some(history), issues, applied)
}

/// Applies all actions of one row to `state`; on error `state` may be partly changed (the caller
/// applies to a copy).
fn apply_row(
    state: &mut TicketState,
    row: &Row,
    actions: &[Action],
    actor: Option<StaffId>,
) -> Result<(Vec<TicketEvent>, Vec<String>), String> {
    let mut events = Vec::new();
    let mut bodies = Vec::new();
    let need_actor = |what: &str| actor.ok_or_else(|| format!("{what} needs a staff member"));
    for action in actions {
        let commands: Vec<Command> = match action {
            Action::Create => return Err("the ticket already exists".into()),
            Action::Assign => vec![Command::Assign {
                assignee: need_actor("assign")?,
            }],
            Action::AgentReply => {
                need_actor("an agent reply")?;
                bodies.push(format!("Imported activity: {}", row.activity));
                vec![Command::Comment {
                    author: AuthorKind::Agent,
                    public: true,
                }]
            }
            Action::InternalNote => {
                need_actor("an internal note")?;
                bodies.push(format!("Imported activity: {}", row.activity));
                vec![Command::Comment {
                    author: AuthorKind::Agent,
                    public: false,
                }]
            }
            Action::RequesterReply => {
                // The aggregate reopens a pending, on-hold or solved ticket (docs/METRICS.md §2).
                bodies.push(format!("Imported activity: {}", row.activity));
                vec![Command::Comment {
                    author: AuthorKind::Customer,
                    public: true,
                }]
            }
            Action::Open => vec![Command::SetStatus(TicketStatus::Open)],
            Action::Pending => vec![Command::SetStatus(TicketStatus::Pending)],
            Action::OnHold => vec![Command::SetStatus(TicketStatus::OnHold)],
            Action::Solve => {
                let mut cmds = Vec::new();
                if state.assignee.is_none() && state.status != TicketStatus::Closed {
                    cmds.push(Command::Assign {
                        assignee: need_actor("solving an unassigned ticket")?,
                    });
                }
                cmds.push(Command::SetStatus(TicketStatus::Solved));
                cmds
            }
            Action::Close => vec![Command::Close(ClosePolicy::FromAnyStatus)],
            Action::Priority => vec![Command::SetPriority(row.priority)],
            Action::Note => vec![Command::Note {
                activity: row.activity.clone(),
            }],
        };
        for command in commands {
            let mut new = state
                .apply(&command, row.at, actor)
                .map_err(|e: CommandError| e.to_string())?;
            events.append(&mut new);
        }
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
    let tickets = read_rows(reader, mapping, &mut summary)?;
    if options.strict
        && let Some(issue) = summary.issues.first()
    {
        return Err(ImportError::Strict(issue.clone()));
    }
    let progress = if options.progress {
        let bar = ProgressBar::new(tickets.len() as u64);
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
        let team_id = staff::ensure_contact_center_team(conn, &mapping.ticket.team)?;
        let staff_names: Vec<&str> = tickets
            .iter()
            .flat_map(|(_, rows)| rows.iter().filter_map(|r| r.staff.as_deref()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let staff = staff::ensure_staff(conn, &staff_names, team_id)?;
        // The import team's calendar timeline (24/7 until one is assigned to it; a calendar
        // assigned later applies from then on, docs/METRICS.md §3).
        let calendar = crate::tickets::Rules::current(conn)?.team_timeline(Some(team_id));
        let ids: Vec<&str> = tickets.iter().map(|(id, _)| id.as_str()).collect();
        let present: HashSet<String> = ticket_model::existing_external_ids(conn, &ids)?
            .into_iter()
            .collect();

        let mut histories = Vec::new();
        for (ticket_id, rows) in &tickets {
            progress.inc(1);
            if present.contains(ticket_id) {
                summary.tickets_already_present += 1;
                summary.rows_already_present += rows.len() as u64;
                continue;
            }
            let (history, mut issues, applied) =
                build_history(ticket_id, rows, &staff, mapping, team_id, &calendar);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_an_offset_parse_in_both_spellings() {
        let expected = "2010-01-13T08:40:25Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(parse_timestamp("2010-01-13 08:40:25+00:00"), Ok(expected));
        assert_eq!(parse_timestamp("2010-01-13T10:40:25+02:00"), Ok(expected));
        assert_eq!(parse_timestamp("2010-01-13T08:40:25Z"), Ok(expected));
    }

    #[test]
    fn timestamps_without_an_offset_or_garbage_are_refused_with_a_reason() {
        assert_eq!(
            parse_timestamp("2010-01-13 08:40:25"),
            Err("timestamp `2010-01-13 08:40:25` has no UTC offset".into())
        );
        assert_eq!(
            parse_timestamp("yesterday"),
            Err("bad timestamp `yesterday`".into())
        );
        assert!(parse_timestamp("2010-02-30 08:40:25+00:00").is_err());
        assert_eq!(
            parse_timestamp("0000-01-01 00:00:00+00:00"),
            Err("timestamp `0000-01-01 00:00:00+00:00` must be between 1900-01-01 and 9999-12-31 (UTC)".into())
        );
    }

    #[test]
    fn a_mapping_with_an_unknown_action_or_an_empty_list_is_refused() {
        let base = r#"
            [columns]
            ticket_id = "case"
            activity = "activity"
            timestamp = "time"
            staff = "who"
            [ticket]
            subject = "Case {ticket_id}"
            team = "Help desk"
        "#;
        assert!(Mapping::parse(&format!("{base}\n[activities]\n\"A\" = [\"solve\"]")).is_ok());
        let unknown = Mapping::parse(&format!("{base}\n[activities]\n\"A\" = [\"explode\"]"));
        assert!(unknown.is_err());
        let empty = Mapping::parse(&format!("{base}\n[activities]\n\"A\" = []"));
        assert_eq!(
            empty.unwrap_err().to_string(),
            "activity `A` is mapped to no action"
        );
        let typo = base.replace("Case {ticket_id}", "Case {tickt_id}");
        assert_eq!(
            Mapping::parse(&format!("{typo}\n[activities]\n\"A\" = [\"solve\"]"))
                .unwrap_err()
                .to_string(),
            "[ticket] subject may use only the placeholder {ticket_id}"
        );
        let twice = base.replace("activity = \"activity\"", "activity = \"case\"");
        assert_eq!(
            Mapping::parse(&format!("{twice}\n[activities]\n\"A\" = [\"solve\"]"))
                .unwrap_err()
                .to_string(),
            "[columns] maps column `case` twice"
        );
    }

    #[test]
    fn the_bundled_mapping_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/helpdesk/mapping.toml");
        let mapping = Mapping::load(&path).unwrap();
        assert_eq!(
            mapping.actions_of("Take in charge ticket"),
            Some(vec![Action::Assign, Action::AgentReply, Action::Open])
        );
        assert_eq!(mapping.actions_of("VERIFIED"), Some(vec![Action::Note]));
        assert_eq!(
            mapping.actions_of("Never heard of it"),
            Some(vec![Action::Note])
        );
    }
}
