//! Ticket rows, their event log, comments and metric projection.
//!
//! This file holds the rows and the single-ticket writes, each a statement or two inside the
//! caller's transaction; [`mod@list`] is the read side (the filtered list, one ticket with its
//! history), [`history`] stores imported histories and [`bulk`] is the `COPY` loader of the seed.
//! Nothing here coordinates a change: the use cases in [`crate::tickets`] do.

pub mod bulk;
pub mod history;
pub mod list;

pub use bulk::{
    BulkTicket, DeferredConstraints, comment_text, copy_tickets_tx, defer_constraints_tx,
    restore_constraints_tx, search_vectors,
};
pub use history::{TicketHistory, existing_external_ids, insert_histories_tx};
pub use list::{
    SlaRisk, SortKey, TicketDetail, TicketFilter, TicketListRow, TicketSort, Visibility,
    check_visible, count, get_with_history, id_by_number, list,
};

use crate::domain::metrics::TicketMetrics;
use crate::domain::ticket::{AuthorKind, EventKind, TicketEvent, TicketState};
use crate::models::enums::{
    DbAuthorKind, DbTicketPriority, DbTicketStatus, EmploymentType, TeamSourcing, TicketChannel,
};
use crate::schema::{comments, ticket_events, ticket_metrics, tickets};
use crate::tickets::attribution::Attribution;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `tickets` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets, check_for_backend(diesel::pg::Pg))]
pub struct Ticket {
    /// Primary key.
    pub id: i64,
    /// Human ticket number.
    pub number: i64,
    /// Id in an imported source.
    pub external_id: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Status.
    pub status: DbTicketStatus,
    /// Priority.
    pub priority: DbTicketPriority,
    /// Channel (`None`: unknown).
    pub channel: Option<TicketChannel>,
    /// Category.
    pub category: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Requester (`customers.id`).
    pub requester_id: Option<i64>,
    /// Organization.
    pub organization_id: Option<i64>,
    /// Team.
    pub team_id: Option<i64>,
    /// Assignee (`users.id`).
    pub assignee_id: Option<i64>,
    /// Staff member who created it.
    pub created_by_id: Option<i64>,
    /// Optimistic-concurrency version (ETag).
    pub version: i32,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Latest change.
    pub updated_at: DateTime<Utc>,
    /// Latest solve.
    pub solved_at: Option<DateTime<Utc>>,
    /// Close.
    pub closed_at: Option<DateTime<Utc>>,
    /// Site (a place a technician may visit).
    pub site_id: Option<i64>,
    /// The asset the ticket is about (`assets.id`).
    pub asset_id: Option<i64>,
    /// Why it is on hold (`on_hold.v1` pause reason); `None` unless on hold (see
    /// [`hold_reason_after`]).
    pub hold_reason: Option<String>,
    /// The ticket this one was merged into (a duplicate: closed, in no metric aggregate).
    pub merged_into_id: Option<i64>,
    /// Custom field values, `{"key": value}` (a field without a value is absent; definitions in
    /// `ticket_fields`, [`crate::models::custom_field`]).
    pub custom_fields: serde_json::Value,
}

/// The pause reason of a ticket in `status` after `events` were appended to its log, when it
/// had `before`: the reason of the latest move to (or within) `on_hold` among them, else
/// `before`; `None` unless the ticket is on hold.
pub fn hold_reason_after(
    status: crate::domain::ticket::TicketStatus,
    before: Option<&str>,
    events: &[TicketEvent],
) -> Option<String> {
    if status != crate::domain::ticket::TicketStatus::OnHold {
        return None;
    }
    events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::StatusChanged {
                to: crate::domain::ticket::TicketStatus::OnHold,
                reason,
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .unwrap_or_else(|| before.map(str::to_string))
}

#[derive(Insertable)]
#[diesel(table_name = tickets)]
struct NewTicket<'a> {
    external_id: Option<&'a str>,
    source: Option<&'a str>,
    subject: &'a str,
    description: &'a str,
    status: DbTicketStatus,
    priority: DbTicketPriority,
    channel: Option<crate::models::enums::TicketChannel>,
    team_id: Option<i64>,
    assignee_id: Option<i64>,
    created_by_id: Option<i64>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

/// A `ticket_events` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_events, check_for_backend(diesel::pg::Pg))]
pub struct TicketEventRow {
    /// Order within the ticket, from 1.
    pub seq: i32,
    /// Kind (`created`, `assigned`, `comment_added`, `status_changed`, `priority_changed`, `note`).
    pub kind: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Staff member who caused it.
    pub actor_user_id: Option<i64>,
    /// Status before (status changes only).
    pub from_status: Option<DbTicketStatus>,
    /// Status after (status changes only).
    pub to_status: Option<DbTicketStatus>,
    /// The whole event as JSON (`{"kind": ..., ...}`).
    pub data: serde_json::Value,
    /// When the server stored it (differs from `occurred_at` for imported history, SLA events
    /// recorded late and a technician's transitions sent from an offline device).
    pub recorded_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = ticket_events, treat_none_as_default_value = false)]
struct NewTicketEvent<'a> {
    ticket_id: i64,
    seq: i32,
    kind: &'a str,
    occurred_at: DateTime<Utc>,
    actor_user_id: Option<i64>,
    from_status: Option<DbTicketStatus>,
    to_status: Option<DbTicketStatus>,
    data: serde_json::Value,
}

impl<'a> NewTicketEvent<'a> {
    fn from_domain(ticket_id: i64, seq: i32, event: &'a TicketEvent) -> Self {
        let (from_status, to_status) = match event.kind {
            EventKind::StatusChanged { from, to, .. } => (Some(from.into()), Some(to.into())),
            _ => (None, None),
        };
        NewTicketEvent {
            ticket_id,
            seq,
            kind: event.kind.name(),
            occurred_at: event.occurred_at,
            actor_user_id: event.actor,
            from_status,
            to_status,
            data: serde_json::to_value(&event.kind).unwrap_or_default(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = comments, treat_none_as_default_value = false)]
struct NewComment<'a> {
    ticket_id: i64,
    author_kind: DbAuthorKind,
    author_user_id: Option<i64>,
    public: bool,
    body: &'a str,
    created_at: DateTime<Utc>,
}

/// A `ticket_metrics` row (see [`TicketMetrics`] for each field's definition).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = ticket_metrics,
    check_for_backend(diesel::pg::Pg),
    treat_none_as_default_value = false,
    // An upsert must clear a figure that became null (a reopened ticket's resolution times).
    treat_none_as_null = true
)]
pub struct TicketMetricsRow {
    /// The ticket.
    pub ticket_id: i64,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Created by staff.
    pub agent_created: bool,
    /// Instant of the first reply (`frt.v1` stop).
    pub first_reply_at: Option<DateTime<Utc>>,
    /// `frt.v1`, calendar seconds.
    pub first_reply_seconds: Option<i64>,
    /// First solve (or close without solve).
    pub first_resolved_at: Option<DateTime<Utc>>,
    /// `first_resolution.v1`, calendar seconds.
    pub first_resolution_seconds: Option<i64>,
    /// Latest solve.
    pub latest_solved_at: Option<DateTime<Utc>>,
    /// `full_resolution.v1`, calendar seconds.
    pub full_resolution_seconds: Option<i64>,
    /// `requester_wait.v1`, calendar seconds.
    pub requester_wait_seconds: Option<i64>,
    /// `agent_wait.v1`, calendar seconds.
    pub agent_wait_seconds: Option<i64>,
    /// `on_hold.v1`, calendar seconds.
    pub on_hold_seconds: Option<i64>,
    /// Time in `solved` before a reopen, calendar seconds.
    pub solved_before_reopen_seconds: Option<i64>,
    /// `replies.v1`.
    pub replies: i32,
    /// `reopens.v1`.
    pub reopens: i32,
    /// Close instant.
    pub closed_at: Option<DateTime<Utc>>,
    /// `frt.v1`, business seconds.
    pub first_reply_business_seconds: Option<i64>,
    /// `first_resolution.v1`, business seconds.
    pub first_resolution_business_seconds: Option<i64>,
    /// `full_resolution.v1`, business seconds.
    pub full_resolution_business_seconds: Option<i64>,
    /// `requester_wait.v1`, business seconds.
    pub requester_wait_business_seconds: Option<i64>,
    /// `agent_wait.v1`, business seconds.
    pub agent_wait_business_seconds: Option<i64>,
    /// `on_hold.v1`, business seconds.
    pub on_hold_business_seconds: Option<i64>,
    /// Time in `solved` before a reopen, business seconds.
    pub solved_before_reopen_business_seconds: Option<i64>,
    /// Public requester comments after creation.
    pub requester_comments: i32,
    /// `one_touch.v1`.
    pub one_touch: Option<bool>,
    /// `one_touch_strict.v1`.
    pub one_touch_strict: Option<bool>,
    /// Per-ticket part of `fcr.v1`.
    pub fcr_candidate: Option<bool>,
    /// `on_hold.v1` by pause reason, calendar seconds.
    pub on_hold_by_reason: serde_json::Value,
    /// Attribution (src/tickets/attribution.rs): the team at creation.
    pub created_team_id: Option<i64>,
    /// Its sourcing then.
    pub created_sourcing: Option<TeamSourcing>,
    /// The agent who wrote the first reply.
    pub first_reply_agent_id: Option<i64>,
    /// That agent's team at the reply.
    pub first_reply_team_id: Option<i64>,
    /// Its sourcing then.
    pub first_reply_sourcing: Option<TeamSourcing>,
    /// The agent's employment type then.
    pub first_reply_agent_employment: Option<EmploymentType>,
    /// The assignee at the latest solve.
    pub solved_assignee_id: Option<i64>,
    /// The team at the latest solve.
    pub solved_team_id: Option<i64>,
    /// Its sourcing then.
    pub solved_sourcing: Option<TeamSourcing>,
    /// The assignee's employment type then.
    pub solved_assignee_employment: Option<EmploymentType>,
}

impl TicketMetricsRow {
    /// The row for `ticket_id` holding projection `m`, credited as `a` says.
    pub fn new(ticket_id: i64, m: &TicketMetrics, a: &Attribution) -> TicketMetricsRow {
        TicketMetricsRow {
            ticket_id,
            created_at: m.created_at,
            agent_created: m.agent_created,
            first_reply_at: m.first_reply_at,
            first_reply_seconds: m.first_reply_seconds,
            first_resolved_at: m.first_resolved_at,
            first_resolution_seconds: m.first_resolution_seconds,
            latest_solved_at: m.latest_solved_at,
            full_resolution_seconds: m.full_resolution_seconds,
            requester_wait_seconds: m.requester_wait_seconds,
            agent_wait_seconds: m.agent_wait_seconds,
            on_hold_seconds: m.on_hold_seconds,
            solved_before_reopen_seconds: m.solved_before_reopen_seconds,
            replies: m.replies,
            reopens: m.reopens,
            closed_at: m.closed_at,
            first_reply_business_seconds: m.first_reply_business_seconds,
            first_resolution_business_seconds: m.first_resolution_business_seconds,
            full_resolution_business_seconds: m.full_resolution_business_seconds,
            requester_wait_business_seconds: m.requester_wait_business_seconds,
            agent_wait_business_seconds: m.agent_wait_business_seconds,
            on_hold_business_seconds: m.on_hold_business_seconds,
            solved_before_reopen_business_seconds: m.solved_before_reopen_business_seconds,
            requester_comments: m.requester_comments,
            one_touch: m.one_touch,
            one_touch_strict: m.one_touch_strict,
            fcr_candidate: m.fcr_candidate,
            on_hold_by_reason: serde_json::to_value(&m.on_hold_by_reason).unwrap_or_default(),
            created_team_id: a.created_team_id,
            created_sourcing: a.created_sourcing,
            first_reply_agent_id: a.first_reply_agent_id,
            first_reply_team_id: a.first_reply_team_id,
            first_reply_sourcing: a.first_reply_sourcing,
            first_reply_agent_employment: a.first_reply_agent_employment,
            solved_assignee_id: a.solved_assignee_id,
            solved_team_id: a.solved_team_id,
            solved_sourcing: a.solved_sourcing,
            solved_assignee_employment: a.solved_assignee_employment,
        }
    }
}

/// Descriptive fields of a new ticket (the state machine owns status, priority and assignee).
#[derive(Debug, Clone, Default)]
pub struct TicketFields {
    /// Subject (validated by the caller).
    pub subject: String,
    /// Description.
    pub description: String,
    /// Channel.
    pub channel: Option<TicketChannel>,
    /// Category.
    pub category: Option<String>,
    /// Tags (normalised by the caller).
    pub tags: Vec<String>,
    /// Requester.
    pub requester_id: Option<i64>,
    /// Organization.
    pub organization_id: Option<i64>,
    /// Site.
    pub site_id: Option<i64>,
    /// Team.
    pub team_id: Option<i64>,
    /// The asset the ticket is about (checked against the organization and site by the caller).
    pub asset_id: Option<i64>,
    /// Custom field values by key (validated by the caller; empty: none).
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Insertable)]
#[diesel(table_name = tickets)]
struct NewApiTicket<'a> {
    subject: &'a str,
    description: &'a str,
    status: DbTicketStatus,
    priority: DbTicketPriority,
    channel: Option<TicketChannel>,
    category: Option<&'a str>,
    tags: &'a [String],
    requester_id: Option<i64>,
    organization_id: Option<i64>,
    site_id: Option<i64>,
    team_id: Option<i64>,
    asset_id: Option<i64>,
    assignee_id: Option<i64>,
    created_by_id: Option<i64>,
    custom_fields: serde_json::Value,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

/// Changes to a ticket row; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = tickets)]
pub struct TicketChangeset {
    /// Subject.
    pub subject: Option<String>,
    /// Category (`Some(None)` clears).
    pub category: Option<Option<String>>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Requester.
    pub requester_id: Option<Option<i64>>,
    /// Organization.
    pub organization_id: Option<Option<i64>>,
    /// Site.
    pub site_id: Option<Option<i64>>,
    /// Team.
    pub team_id: Option<Option<i64>>,
    /// Asset.
    pub asset_id: Option<Option<i64>>,
    /// Pause reason (set by the use-case layer from the state and events it saves).
    pub hold_reason: Option<Option<String>>,
    /// The ticket this one was merged into (set once, by [`crate::tickets::merge`]).
    pub merged_into_id: Option<Option<i64>>,
    /// Custom field values (the whole object).
    pub custom_fields: Option<serde_json::Value>,
}

/// A `comments` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = comments, check_for_backend(diesel::pg::Pg))]
pub struct CommentRow {
    /// Id.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// Who wrote it.
    pub author_kind: DbAuthorKind,
    /// Staff author (agent comments).
    pub author_user_id: Option<i64>,
    /// Visible to the requester.
    pub public: bool,
    /// Text.
    pub body: String,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
}

/// Builds the domain state of a stored ticket.
pub fn state_of(t: &Ticket) -> TicketState {
    TicketState {
        status: t.status.into(),
        priority: t.priority.into(),
        assignee: t.assignee_id,
        created_at: t.created_at,
        updated_at: t.updated_at,
        solved_at: t.solved_at,
        closed_at: t.closed_at,
    }
}

/// The event and comment rows of `events` numbered from `first_seq`; `bodies` holds one body per
/// `comment_added` event, in order.
fn event_rows<'a>(
    ticket_id: i64,
    first_seq: i32,
    events: &'a [TicketEvent],
    bodies: &'a [String],
) -> (Vec<NewTicketEvent<'a>>, Vec<NewComment<'a>>) {
    let mut rows = Vec::with_capacity(events.len());
    let mut comments = Vec::new();
    let mut bodies = bodies.iter();
    for (i, event) in events.iter().enumerate() {
        let seq = first_seq.saturating_add(i32::try_from(i).unwrap_or(i32::MAX));
        rows.push(NewTicketEvent::from_domain(ticket_id, seq, event));
        if let EventKind::CommentAdded { author, public } = event.kind {
            comments.push(NewComment {
                ticket_id,
                author_kind: author.into(),
                author_user_id: if author == AuthorKind::Agent {
                    event.actor
                } else {
                    None
                },
                public,
                body: bodies.next().map(String::as_str).unwrap_or(""),
                created_at: event.occurred_at,
            });
        }
    }
    (rows, comments)
}

/// Inserts a new ticket row (version 1) in `state`; returns it. The caller appends its events
/// ([`append_events_tx`]) and stores its projection.
///
/// # Errors
/// Constraint violations (unknown requester, organization, site, team, assignee); database errors.
pub fn insert_ticket_tx(
    conn: &mut PgConnection,
    fields: &TicketFields,
    state: &TicketState,
    created_by: Option<i64>,
) -> QueryResult<Ticket> {
    diesel::insert_into(tickets::table)
        .values(NewApiTicket {
            subject: &fields.subject,
            description: &fields.description,
            status: state.status.into(),
            priority: state.priority.into(),
            channel: fields.channel,
            category: fields.category.as_deref(),
            tags: &fields.tags,
            requester_id: fields.requester_id,
            organization_id: fields.organization_id,
            site_id: fields.site_id,
            team_id: fields.team_id,
            asset_id: fields.asset_id,
            assignee_id: state.assignee,
            created_by_id: created_by,
            custom_fields: serde_json::Value::Object(fields.custom_fields.clone()),
            version: 1,
            created_at: state.created_at,
            updated_at: state.updated_at,
            solved_at: state.solved_at,
            closed_at: state.closed_at,
        })
        .returning(Ticket::as_returning())
        .get_result(conn)
}

/// Locks a ticket row for update, if the caller may see it.
///
/// # Errors
/// `NotFound` when it does not exist or is not visible; database errors.
pub fn lock_tx(conn: &mut PgConnection, id: i64, visible_to: Visibility) -> QueryResult<Ticket> {
    if let Visibility::Technician(_) = visible_to {
        list::check_visible(conn, id, visible_to)?;
    }
    tickets::table
        .find(id)
        .select(Ticket::as_select())
        .for_update()
        .first(conn)
}

/// Appends events numbered from `first_seq` (and the comments they announce: one body of
/// `bodies` per `comment_added` event, in order). Returns the comment rows written, in order.
///
/// # Errors
/// Database errors (a `seq` already taken is a unique violation).
pub fn append_events_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    first_seq: i32,
    events: &[TicketEvent],
    bodies: &[String],
) -> QueryResult<Vec<CommentRow>> {
    let (rows, comments) = event_rows(ticket_id, first_seq, events, bodies);
    diesel::insert_into(ticket_events::table)
        .values(&rows)
        .execute(conn)?;
    if comments.is_empty() {
        return Ok(Vec::new());
    }
    diesel::insert_into(comments::table)
        .values(&comments)
        .returning(CommentRow::as_returning())
        .get_results(conn)
}

/// The next free `seq` of a ticket's log.
///
/// # Errors
/// Database errors.
pub fn next_seq(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<i32> {
    let max: Option<i32> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .select(diesel::dsl::max(ticket_events::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// A ticket's event log as domain events, oldest first (`seq` 1, 2, …: the next free `seq` is
/// its length plus one).
///
/// # Errors
/// Database errors; an event whose data does not parse is a deserialization error.
pub fn load_log(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Vec<TicketEvent>> {
    let rows: Vec<TicketEventRow> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .order(ticket_events::seq.asc())
        .select(TicketEventRow::as_select())
        .load(conn)?;
    rows.into_iter().map(domain_event).collect()
}

/// The domain event of a stored row.
///
/// # Errors
/// A deserialization error when its data does not parse.
pub fn domain_event(r: TicketEventRow) -> QueryResult<TicketEvent> {
    let kind = serde_json::from_value(r.data)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    Ok(TicketEvent {
        occurred_at: r.occurred_at,
        actor: r.actor_user_id,
        kind,
    })
}

/// Stores a ticket's new state and field changes, bumping `version` by one; returns the row.
/// Call with the row locked ([`lock_tx`]).
///
/// # Errors
/// Constraint violations; database errors.
pub fn update_tx(
    conn: &mut PgConnection,
    ticket: &Ticket,
    state: &TicketState,
    changes: &TicketChangeset,
) -> QueryResult<Ticket> {
    let status: DbTicketStatus = state.status.into();
    let priority: DbTicketPriority = state.priority.into();
    diesel::update(tickets::table.find(ticket.id))
        .set((
            changes,
            tickets::status.eq(status),
            tickets::priority.eq(priority),
            tickets::assignee_id.eq(state.assignee),
            tickets::updated_at.eq(state.updated_at),
            tickets::solved_at.eq(state.solved_at),
            tickets::closed_at.eq(state.closed_at),
            tickets::version.eq(ticket.version + 1),
        ))
        .returning(Ticket::as_returning())
        .get_result(conn)
}

/// Stores a ticket's metric projection (insert, or replace the existing row), stamped with the
/// `rules_version` of the rules it and the ticket's SLA clocks were computed with (the background
/// re-projection, [`crate::tickets::reproject`], looks for open tickets stamped older than a
/// rules change).
///
/// # Errors
/// Database errors.
pub fn upsert_metrics_tx(
    conn: &mut PgConnection,
    row: &TicketMetricsRow,
    rules_version: i64,
) -> QueryResult<()> {
    diesel::insert_into(ticket_metrics::table)
        .values((row, ticket_metrics::rules_version.eq(rules_version)))
        .on_conflict(ticket_metrics::ticket_id)
        .do_update()
        .set((
            row,
            ticket_metrics::updated_at.eq(diesel::dsl::now),
            ticket_metrics::rules_version.eq(rules_version),
        ))
        .execute(conn)
        .map(|_| ())
}
