//! Ticket rows, their event log and metric projection: writes (inside the caller's transaction)
//! and the list/get read side.

use crate::domain::metrics::TicketMetrics;
use crate::domain::ticket::{EventKind, TicketEvent, TicketState};
use crate::models::enums::{DbAuthorKind, DbTicketPriority, DbTicketStatus, TicketChannel};
use crate::schema::{comments, ticket_events, ticket_metrics, tickets};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int8, Timestamptz};
use std::collections::HashMap;

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
}

#[derive(Insertable)]
#[diesel(table_name = tickets)]
struct NewTicket<'a> {
    external_id: Option<&'a str>,
    subject: &'a str,
    description: &'a str,
    status: DbTicketStatus,
    priority: DbTicketPriority,
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
    treat_none_as_default_value = false
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
}

impl TicketMetricsRow {
    /// The row for `ticket_id` holding projection `m`.
    pub fn new(ticket_id: i64, m: &TicketMetrics) -> TicketMetricsRow {
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
        }
    }
}

/// A whole ticket history ready to store: its final state, its event log (the `created` event
/// first), the body of each comment event in log order, and its metric projection.
#[derive(Debug, Clone)]
pub struct TicketHistory {
    /// Id in the source (unique).
    pub external_id: String,
    /// Subject line.
    pub subject: String,
    /// Team owning the ticket.
    pub team_id: Option<i64>,
    /// Staff member who created it.
    pub created_by: Option<i64>,
    /// State after the last event.
    pub state: TicketState,
    /// The event log.
    pub events: Vec<TicketEvent>,
    /// One body per `comment_added` event, in log order.
    pub comment_bodies: Vec<String>,
    /// Projection of `events`.
    pub metrics: TicketMetrics,
}

/// External ids among `candidates` that already name a ticket.
///
/// # Errors
/// Database errors.
pub fn existing_external_ids(
    conn: &mut PgConnection,
    candidates: &[&str],
) -> QueryResult<Vec<String>> {
    let mut found = Vec::new();
    for chunk in candidates.chunks(10_000) {
        let rows: Vec<Option<String>> = tickets::table
            .filter(tickets::external_id.eq_any(chunk))
            .select(tickets::external_id)
            .load(conn)?;
        found.extend(rows.into_iter().flatten());
    }
    Ok(found)
}

/// Stores ticket histories with multi-row inserts, inside the caller's transaction. A history
/// whose external id already exists is skipped (so a concurrent import cannot duplicate it).
/// Returns the external ids stored.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub fn insert_histories_tx(
    conn: &mut PgConnection,
    histories: &[TicketHistory],
) -> QueryResult<Vec<String>> {
    // Each chunk stays well below PostgreSQL's 65,535 bind parameters per statement.
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(histories.len());
    for chunk in histories.chunks(2_000) {
        let rows: Vec<NewTicket> = chunk
            .iter()
            .map(|h| NewTicket {
                external_id: Some(&h.external_id),
                subject: &h.subject,
                description: "",
                status: h.state.status.into(),
                priority: h.state.priority.into(),
                team_id: h.team_id,
                assignee_id: h.state.assignee,
                created_by_id: h.created_by,
                version: i32::try_from(h.events.len()).unwrap_or(i32::MAX),
                created_at: h.state.created_at,
                updated_at: h.state.updated_at,
                solved_at: h.state.solved_at,
                closed_at: h.state.closed_at,
            })
            .collect();
        let inserted: Vec<(i64, Option<String>)> = diesel::insert_into(tickets::table)
            .values(&rows)
            .on_conflict(tickets::external_id)
            .do_nothing()
            .returning((tickets::id, tickets::external_id))
            .get_results(conn)?;
        ids.extend(
            inserted
                .into_iter()
                .filter_map(|(id, ext)| ext.map(|e| (e, id))),
        );
    }

    let stored: Vec<(i64, &TicketHistory)> = histories
        .iter()
        .filter_map(|h| ids.get(&h.external_id).map(|id| (*id, h)))
        .collect();

    let mut events = Vec::new();
    let mut new_comments = Vec::new();
    for (ticket_id, h) in &stored {
        let mut bodies = h.comment_bodies.iter();
        for (i, event) in h.events.iter().enumerate() {
            let seq = i32::try_from(i + 1).unwrap_or(i32::MAX);
            events.push(NewTicketEvent::from_domain(*ticket_id, seq, event));
            if let EventKind::CommentAdded { author, public } = event.kind {
                new_comments.push(NewComment {
                    ticket_id: *ticket_id,
                    author_kind: author.into(),
                    author_user_id: event.actor,
                    public,
                    body: bodies.next().map(String::as_str).unwrap_or(""),
                    created_at: event.occurred_at,
                });
            }
        }
    }
    for chunk in events.chunks(5_000) {
        diesel::insert_into(ticket_events::table)
            .values(chunk)
            .execute(conn)?;
    }
    for chunk in new_comments.chunks(5_000) {
        diesel::insert_into(comments::table)
            .values(chunk)
            .execute(conn)?;
    }
    let metrics: Vec<TicketMetricsRow> = stored
        .iter()
        .map(|(id, h)| TicketMetricsRow::new(*id, &h.metrics))
        .collect();
    for chunk in metrics.chunks(2_000) {
        diesel::insert_into(ticket_metrics::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(stored.iter().map(|(_, h)| h.external_id.clone()).collect())
}

/// Which tickets a caller may see; applied inside the query, never after loading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Visibility {
    /// Admins, managers and agents see every ticket.
    #[default]
    All,
    /// A technician sees only tickets with a work order assigned to them. Work orders do not
    /// exist yet, so this matches no ticket.
    Technician(i64),
}

impl Visibility {
    /// The visibility of an authenticated staff member.
    pub fn of(user: &crate::auth::extract::AuthUser) -> Visibility {
        match user.role {
            crate::models::enums::UserRole::Technician => Visibility::Technician(user.id),
            _ => Visibility::All,
        }
    }
}

/// Sort order of `GET /tickets`: a timestamp column, then `id` in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// Newest first (the default).
    #[default]
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// Most recently changed first.
    UpdatedDesc,
    /// Least recently changed first.
    UpdatedAsc,
}

impl TicketSort {
    /// Parses `created_at`, `-created_at`, `updated_at`, `-updated_at`.
    pub fn parse(s: &str) -> Option<TicketSort> {
        match s {
            "-created_at" => Some(TicketSort::CreatedDesc),
            "created_at" => Some(TicketSort::CreatedAsc),
            "-updated_at" => Some(TicketSort::UpdatedDesc),
            "updated_at" => Some(TicketSort::UpdatedAsc),
            _ => None,
        }
    }

    /// The sort key of a row.
    pub fn key(self, t: &Ticket) -> DateTime<Utc> {
        match self {
            TicketSort::CreatedDesc | TicketSort::CreatedAsc => t.created_at,
            TicketSort::UpdatedDesc | TicketSort::UpdatedAsc => t.updated_at,
        }
    }
}

/// SLA filters of the ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaRisk {
    /// A target breached (recorded in the log, or a running clock past its due instant).
    Breached,
    /// A running clock not yet due, but past its warning instant or due within the hour.
    AtRisk,
}

/// Filters and page of `GET /tickets`; keyset-paginated on `(sort column, id)`.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Only these statuses (any of them); empty: all.
    pub statuses: Vec<DbTicketStatus>,
    /// Only these priorities; empty: all.
    pub priorities: Vec<DbTicketPriority>,
    /// Only these channels; empty: all.
    pub channels: Vec<TicketChannel>,
    /// Only tickets assigned to this staff member.
    pub assignee_id: Option<i64>,
    /// Only this team's tickets.
    pub team_id: Option<i64>,
    /// Only this requester's tickets.
    pub requester_id: Option<i64>,
    /// Only this organization's tickets.
    pub organization_id: Option<i64>,
    /// Only this site's tickets.
    pub site_id: Option<i64>,
    /// Only this category.
    pub category: Option<String>,
    /// Only tickets carrying this tag.
    pub tag: Option<String>,
    /// Only tickets of teams with this sourcing.
    pub sourcing: Option<crate::models::enums::TeamSourcing>,
    /// Created at or after (inclusive).
    pub created_from: Option<DateTime<Utc>>,
    /// Created before (exclusive).
    pub created_to: Option<DateTime<Utc>>,
    /// Updated at or after (inclusive).
    pub updated_from: Option<DateTime<Utc>>,
    /// Updated before (exclusive).
    pub updated_to: Option<DateTime<Utc>>,
    /// Latest solve at or after (inclusive).
    pub solved_from: Option<DateTime<Utc>>,
    /// Latest solve before (exclusive).
    pub solved_to: Option<DateTime<Utc>>,
    /// Full-text search (web search syntax) over subject, description and comments.
    pub q: Option<String>,
    /// SLA risk at instant `.1`.
    pub sla: Option<(SlaRisk, DateTime<Utc>)>,
    /// Order.
    pub sort: TicketSort,
    /// Continue after this `(sort key, id)`.
    pub after: Option<(DateTime<Utc>, i64)>,
    /// Page size.
    pub limit: i64,
    /// Row-level access of the caller.
    pub visible_to: Visibility,
}

/// One page of tickets matching `filter`, plus whether more follow.
///
/// # Errors
/// Database errors.
pub fn list(conn: &mut PgConnection, filter: &TicketFilter) -> QueryResult<(Vec<Ticket>, bool)> {
    use crate::schema::teams;
    let mut query = tickets::table.select(Ticket::as_select()).into_boxed();
    if let Visibility::Technician(_) = filter.visible_to {
        query = query.filter(diesel::dsl::sql::<Bool>("FALSE"));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(tickets::status.eq_any(filter.statuses.clone()));
    }
    if !filter.priorities.is_empty() {
        query = query.filter(tickets::priority.eq_any(filter.priorities.clone()));
    }
    if !filter.channels.is_empty() {
        query = query.filter(tickets::channel.eq_any(filter.channels.clone()));
    }
    if let Some(v) = filter.assignee_id {
        query = query.filter(tickets::assignee_id.eq(v));
    }
    if let Some(v) = filter.team_id {
        query = query.filter(tickets::team_id.eq(v));
    }
    if let Some(v) = filter.requester_id {
        query = query.filter(tickets::requester_id.eq(v));
    }
    if let Some(v) = filter.organization_id {
        query = query.filter(tickets::organization_id.eq(v));
    }
    if let Some(v) = filter.site_id {
        query = query.filter(tickets::site_id.eq(v));
    }
    if let Some(v) = &filter.category {
        query = query.filter(tickets::category.eq(v.clone()));
    }
    if let Some(v) = &filter.tag {
        query = query.filter(tickets::tags.contains(vec![v.clone()]));
    }
    if let Some(v) = filter.sourcing {
        query = query.filter(
            tickets::team_id.eq_any(
                teams::table
                    .filter(teams::sourcing.eq(v))
                    .select(teams::id.nullable()),
            ),
        );
    }
    if let Some(v) = filter.created_from {
        query = query.filter(tickets::created_at.ge(v));
    }
    if let Some(v) = filter.created_to {
        query = query.filter(tickets::created_at.lt(v));
    }
    if let Some(v) = filter.updated_from {
        query = query.filter(tickets::updated_at.ge(v));
    }
    if let Some(v) = filter.updated_to {
        query = query.filter(tickets::updated_at.lt(v));
    }
    if let Some(v) = filter.solved_from {
        query = query.filter(tickets::solved_at.ge(v));
    }
    if let Some(v) = filter.solved_to {
        query = query.filter(tickets::solved_at.lt(v));
    }
    if let Some(q) = &filter.q {
        query = query.filter(
            diesel::dsl::sql::<Bool>("tickets.search_vector @@ websearch_to_tsquery('english', ")
                .bind::<diesel::sql_types::Text, _>(q.clone())
                .sql(")"),
        );
    }
    match filter.sla {
        Some((SlaRisk::Breached, now)) => {
            query = query.filter(
                diesel::dsl::sql::<Bool>(
                    "EXISTS (SELECT 1 FROM ticket_sla_clocks c WHERE c.ticket_id = tickets.id \
                     AND (c.breached_at IS NOT NULL OR (c.running AND c.due_at <= ",
                )
                .bind::<Timestamptz, _>(now)
                .sql(")))"),
            );
        }
        Some((SlaRisk::AtRisk, now)) => {
            query = query.filter(
                diesel::dsl::sql::<Bool>(
                    "EXISTS (SELECT 1 FROM ticket_sla_clocks c WHERE c.ticket_id = tickets.id \
                     AND c.running AND c.breached_at IS NULL AND c.due_at > ",
                )
                .bind::<Timestamptz, _>(now)
                .sql(" AND (c.due_at <= ")
                .bind::<Timestamptz, _>(now + chrono::Duration::hours(1))
                .sql(" OR c.warning_at <= ")
                .bind::<Timestamptz, _>(now)
                .sql("))"),
            );
        }
        None => {}
    }
    let (column, descending) = match filter.sort {
        TicketSort::CreatedDesc => ("tickets.created_at", true),
        TicketSort::CreatedAsc => ("tickets.created_at", false),
        TicketSort::UpdatedDesc => ("tickets.updated_at", true),
        TicketSort::UpdatedAsc => ("tickets.updated_at", false),
    };
    if let Some((key, id)) = filter.after {
        let op = if descending { "<" } else { ">" };
        query = query.filter(
            diesel::dsl::sql::<Bool>(&format!("({column}, tickets.id) {op} ("))
                .bind::<Timestamptz, _>(key)
                .sql(", ")
                .bind::<Int8, _>(id)
                .sql(")"),
        );
    }
    query = match filter.sort {
        TicketSort::CreatedDesc => query.order((tickets::created_at.desc(), tickets::id.desc())),
        TicketSort::CreatedAsc => query.order((tickets::created_at.asc(), tickets::id.asc())),
        TicketSort::UpdatedDesc => query.order((tickets::updated_at.desc(), tickets::id.desc())),
        TicketSort::UpdatedAsc => query.order((tickets::updated_at.asc(), tickets::id.asc())),
    };
    let mut rows: Vec<Ticket> = query.limit(filter.limit + 1).load(conn)?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(usize::try_from(filter.limit).unwrap_or(0));
    Ok((rows, more))
}

/// A ticket with its event log (oldest first) and metric projection.
///
/// # Errors
/// `NotFound` when no ticket has this id or `visible_to` may not see it; database errors.
pub fn get_with_history(
    conn: &mut PgConnection,
    id: i64,
    visible_to: Visibility,
) -> QueryResult<(Ticket, Vec<TicketEventRow>, Option<TicketMetricsRow>)> {
    let mut query = tickets::table
        .find(id)
        .select(Ticket::as_select())
        .into_boxed();
    if let Visibility::Technician(_) = visible_to {
        query = query.filter(diesel::dsl::sql::<Bool>("FALSE"));
    }
    let ticket = query.first(conn)?;
    let events = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .order(ticket_events::seq.asc())
        .select(TicketEventRow::as_select())
        .load(conn)?;
    let metrics = ticket_metrics::table
        .find(id)
        .select(TicketMetricsRow::as_select())
        .first(conn)
        .optional()?;
    Ok((ticket, events, metrics))
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
    assignee_id: Option<i64>,
    created_by_id: Option<i64>,
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
                author_user_id: if author == crate::domain::ticket::AuthorKind::Agent {
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

/// Inserts a ticket made through the API with its first events, comments and metrics; returns
/// the row. `bodies` holds one body per `comment_added` event, in order.
///
/// # Errors
/// Constraint violations (unknown requester, organization, site, team, assignee); database errors.
pub fn insert_ticket_tx(
    conn: &mut PgConnection,
    fields: &TicketFields,
    state: &TicketState,
    created_by: Option<i64>,
    events: &[TicketEvent],
    bodies: &[String],
) -> QueryResult<Ticket> {
    let ticket: Ticket = diesel::insert_into(tickets::table)
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
            assignee_id: state.assignee,
            created_by_id: created_by,
            version: 1,
            created_at: state.created_at,
            updated_at: state.updated_at,
            solved_at: state.solved_at,
            closed_at: state.closed_at,
        })
        .returning(Ticket::as_returning())
        .get_result(conn)?;
    append_events_tx(conn, ticket.id, 1, events, bodies)?;
    refresh_metrics_tx(conn, ticket.id)?;
    Ok(ticket)
}

/// Locks a ticket row for update, if the caller may see it.
///
/// # Errors
/// `NotFound` when it does not exist or is not visible; database errors.
pub fn lock_tx(conn: &mut PgConnection, id: i64, visible_to: Visibility) -> QueryResult<Ticket> {
    let visible = !matches!(visible_to, Visibility::Technician(_));
    tickets::table
        .find(id)
        .filter(diesel::dsl::sql::<Bool>(if visible {
            "TRUE"
        } else {
            "FALSE"
        }))
        .select(Ticket::as_select())
        .for_update()
        .first(conn)
}

/// Appends events (and the comments they announce) after the ticket's latest event. Returns the
/// next free `seq`.
///
/// # Errors
/// Database errors.
pub fn append_events_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    first_seq: i32,
    events: &[TicketEvent],
    bodies: &[String],
) -> QueryResult<i32> {
    let (rows, comments) = event_rows(ticket_id, first_seq, events, bodies);
    diesel::insert_into(ticket_events::table)
        .values(&rows)
        .execute(conn)?;
    if !comments.is_empty() {
        diesel::insert_into(comments::table)
            .values(&comments)
            .execute(conn)?;
    }
    Ok(first_seq.saturating_add(i32::try_from(rows.len()).unwrap_or(i32::MAX)))
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

/// A ticket's event log as domain events, oldest first.
///
/// # Errors
/// Database errors; an event whose data does not parse is a deserialization error.
pub fn load_log(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Vec<TicketEvent>> {
    let rows: Vec<TicketEventRow> = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .order(ticket_events::seq.asc())
        .select(TicketEventRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let kind = serde_json::from_value(r.data)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
            Ok(TicketEvent {
                occurred_at: r.occurred_at,
                actor: r.actor_user_id,
                kind,
            })
        })
        .collect()
}

/// Recomputes a ticket's metric projection and SLA clocks from its event log and stores them.
///
/// # Errors
/// Database errors.
pub fn refresh_metrics_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
) -> QueryResult<TicketMetricsRow> {
    // The row, calendar and log are loaded once for both projections.
    let ticket: Ticket = tickets::table
        .find(ticket_id)
        .select(Ticket::as_select())
        .first(conn)?;
    let calendar = crate::models::calendar::calendar_of_team(conn, ticket.team_id)?;
    let log = load_log(conn, ticket_id)?;
    let policies = crate::models::sla::active_policies(conn)?;
    let loaded =
        (!policies.is_empty()).then_some((&ticket, log.as_slice(), &calendar, policies.as_slice()));
    crate::models::sla::store_clocks_tx(conn, ticket_id, loaded)?;
    let metrics = crate::domain::metrics::project(&log, &calendar).unwrap_or_default();
    let row = TicketMetricsRow::new(ticket_id, &metrics);
    diesel::insert_into(ticket_metrics::table)
        .values(&row)
        .on_conflict(ticket_metrics::ticket_id)
        .do_update()
        .set((&row, ticket_metrics::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(row)
}

/// Stores a ticket's new state and field changes, appends its events and refreshes its metrics,
/// bumping `version` by one. Call with the row locked ([`lock_tx`]).
///
/// # Errors
/// Constraint violations; database errors.
pub fn save_tx(
    conn: &mut PgConnection,
    ticket: &Ticket,
    state: &TicketState,
    changes: &TicketChangeset,
    events: &[TicketEvent],
    bodies: &[String],
) -> QueryResult<Ticket> {
    let seq = next_seq(conn, ticket.id)?;
    append_events_tx(conn, ticket.id, seq, events, bodies)?;
    let status: DbTicketStatus = state.status.into();
    let priority: DbTicketPriority = state.priority.into();
    let updated: Ticket = diesel::update(tickets::table.find(ticket.id))
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
        .get_result(conn)?;
    refresh_metrics_tx(conn, ticket.id)?;
    Ok(updated)
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::schema::sql_types::{TicketChannel, TicketPriority, TicketStatus};

    /// Session-local staging table of the bulk loader (created by [`copy_tickets_tx`]).
    seed_ticket_staging (id) {
        id -> Int8,
        number -> Int8,
        subject -> Text,
        description -> Text,
        status -> TicketStatus,
        priority -> TicketPriority,
        channel -> Nullable<TicketChannel>,
        category -> Nullable<Text>,
        tags -> Array<Text>,
        requester_id -> Nullable<Int8>,
        organization_id -> Nullable<Int8>,
        site_id -> Nullable<Int8>,
        team_id -> Nullable<Int8>,
        assignee_id -> Nullable<Int8>,
        created_by_id -> Nullable<Int8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        solved_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        comment_text -> Text,
        search_vector_text -> Nullable<Text>,
    }
}

#[derive(Insertable)]
#[diesel(table_name = seed_ticket_staging, treat_none_as_default_value = false)]
struct StagedTicket<'a> {
    id: i64,
    number: i64,
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
    assignee_id: Option<i64>,
    created_by_id: Option<i64>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    comment_text: String,
    search_vector_text: Option<&'a str>,
}

/// One ticket for the bulk loader, with everything a ticket write would have stored.
#[derive(Debug, Clone)]
pub struct BulkTicket<'a> {
    /// The row (its `id` and `number` reserved from their sequences by the caller).
    pub ticket: &'a Ticket,
    /// The event log, oldest first, SLA events included.
    pub events: &'a [TicketEvent],
    /// One body per `comment_added` event, in log order.
    pub bodies: &'a [String],
    /// The metric projection of the log.
    pub metrics: &'a TicketMetricsRow,
    /// The SLA clock rows, `*_recorded` flags set for the SLA events below.
    pub clocks: &'a [crate::models::sla::ClockRow],
    /// SLA events appended after `events`, as the SLA worker records them.
    pub sla_events: &'a [crate::workers::sla::DueEvent],
    /// The full-text vector (text form) when already computed by [`search_vectors`]; `None`:
    /// computed while copying.
    pub search_vector: Option<&'a str>,
}

/// The comment text a ticket's full-text vector indexes: each body's first 4,000 characters,
/// in log order, joined by spaces (as the ticket trigger's `string_agg`).
pub fn comment_text(bodies: &[String]) -> String {
    bodies
        .iter()
        .map(|body| body.chars().take(4000).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Full-text vectors (text form) of `(subject, description, comment text)` triples by the ticket
/// trigger's formula, in order. A pure computation: the bulk loader runs it on a second
/// connection, in parallel with the copying one.
///
/// # Errors
/// Database errors.
pub fn search_vectors(
    conn: &mut PgConnection,
    subjects: &[&str],
    descriptions: &[&str],
    comments: &[String],
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Text};
    #[derive(QueryableByName)]
    struct Vector {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let rows: Vec<Vector> = diesel::sql_query(
        "SELECT (setweight(to_tsvector('english', left(s, 4000)), 'A') ||
                 setweight(to_tsvector('english', left(d, 4000)), 'B') ||
                 setweight(to_tsvector('english', c), 'C'))::text AS v
           FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(s, d, c, n)
          ORDER BY n",
    )
    .bind::<Array<Text>, _>(subjects)
    .bind::<Array<Text>, _>(descriptions)
    .bind::<Array<Text>, _>(comments)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.v).collect())
}

/// Stores tickets with PostgreSQL `COPY … FROM STDIN (FORMAT binary)`, inside the caller's
/// transaction: rows, event logs, comments, metric projections and SLA clocks, exactly as the
/// ticket writes of the API would have stored them.
///
/// The rows go through a session-local staging table so that each ticket's full-text vector is
/// computed once, by the formula of the ticket trigger (subject, description, comment bodies),
/// instead of once per comment; the two search triggers are off while this runs.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub fn copy_tickets_tx(conn: &mut PgConnection, batch: &[BulkTicket]) -> QueryResult<()> {
    let started = std::time::Instant::now();
    diesel::sql_query(
        "CREATE TEMP TABLE IF NOT EXISTS seed_ticket_staging (
            id BIGINT, number BIGINT, subject TEXT, description TEXT, status ticket_status,
            priority ticket_priority, channel ticket_channel, category TEXT, tags TEXT[],
            requester_id BIGINT, organization_id BIGINT, site_id BIGINT, team_id BIGINT,
            assignee_id BIGINT, created_by_id BIGINT, version INT, created_at TIMESTAMPTZ,
            updated_at TIMESTAMPTZ, solved_at TIMESTAMPTZ, closed_at TIMESTAMPTZ, comment_text TEXT,
            search_vector_text TEXT
         ) ON COMMIT DROP",
    )
    .execute(conn)?;
    diesel::sql_query("TRUNCATE seed_ticket_staging").execute(conn)?;
    let rows: Vec<StagedTicket> = batch
        .iter()
        .map(|b| {
            let t = b.ticket;
            let comment_text = comment_text(b.bodies);
            StagedTicket {
                id: t.id,
                number: t.number,
                subject: &t.subject,
                description: &t.description,
                status: t.status,
                priority: t.priority,
                channel: t.channel,
                category: t.category.as_deref(),
                tags: &t.tags,
                requester_id: t.requester_id,
                organization_id: t.organization_id,
                site_id: t.site_id,
                team_id: t.team_id,
                assignee_id: t.assignee_id,
                created_by_id: t.created_by_id,
                version: t.version,
                created_at: t.created_at,
                updated_at: t.updated_at,
                solved_at: t.solved_at,
                closed_at: t.closed_at,
                comment_text,
                search_vector_text: b.search_vector,
            }
        })
        .collect();
    diesel::copy_from(seed_ticket_staging::table)
        .from_insertable(&rows)
        .execute(conn)?;
    for sql in [
        "ALTER TABLE tickets DISABLE TRIGGER tickets_search_vector_on_write",
        "ALTER TABLE comments DISABLE TRIGGER comments_search_vector_on_insert",
        // The ticket trigger's formula (migration bounded_search), comments joined in log order.
        "INSERT INTO tickets (id, number, subject, description, status, priority, channel, category,
                              tags, requester_id, organization_id, site_id, team_id, assignee_id,
                              created_by_id, version, created_at, updated_at, solved_at, closed_at,
                              search_vector)
         OVERRIDING SYSTEM VALUE
         SELECT id, number, subject, description, status, priority, channel, category, tags,
                requester_id, organization_id, site_id, team_id, assignee_id, created_by_id,
                version, created_at, updated_at, solved_at, closed_at,
                coalesce(search_vector_text::tsvector,
                         setweight(to_tsvector('english', left(subject, 4000)), 'A') ||
                         setweight(to_tsvector('english', left(description, 4000)), 'B') ||
                         setweight(to_tsvector('english', comment_text), 'C'))
           FROM seed_ticket_staging",
    ] {
        diesel::sql_query(sql).execute(conn)?;
    }
    let t_tickets = started.elapsed().as_secs_f64();
    let mut events = Vec::new();
    let mut comments = Vec::new();
    for b in batch {
        let (e, c) = event_rows(b.ticket.id, 1, b.events, b.bodies);
        let mut seq = i32::try_from(e.len()).unwrap_or(i32::MAX);
        events.extend(e);
        comments.extend(c);
        for (kind, target, at, policy_id) in b.sla_events {
            seq = seq.saturating_add(1);
            events.push(NewTicketEvent {
                ticket_id: b.ticket.id,
                seq,
                kind,
                occurred_at: *at,
                actor_user_id: None,
                from_status: None,
                to_status: None,
                data: crate::workers::sla::event_data(kind, target, *at, *policy_id),
            });
        }
    }
    diesel::copy_from(ticket_events::table)
        .from_insertable(&events)
        .execute(conn)?;
    let t_events = started.elapsed().as_secs_f64();
    diesel::copy_from(comments::table)
        .from_insertable(&comments)
        .execute(conn)?;
    for sql in [
        "ALTER TABLE tickets ENABLE TRIGGER tickets_search_vector_on_write",
        "ALTER TABLE comments ENABLE TRIGGER comments_search_vector_on_insert",
    ] {
        diesel::sql_query(sql).execute(conn)?;
    }
    let t_comments = started.elapsed().as_secs_f64();
    let metrics: Vec<&TicketMetricsRow> = batch.iter().map(|b| b.metrics).collect();
    diesel::copy_from(ticket_metrics::table)
        .from_insertable(metrics)
        .execute(conn)?;
    let clocks: Vec<&crate::models::sla::ClockRow> =
        batch.iter().flat_map(|b| b.clocks.iter()).collect();
    if !clocks.is_empty() {
        diesel::copy_from(crate::schema::ticket_sla_clocks::table)
            .from_insertable(clocks)
            .execute(conn)?;
    }
    tracing::debug!(
        t_tickets,
        t_events,
        t_comments,
        t_projections = started.elapsed().as_secs_f64(),
        "COPY phases (cumulative seconds)"
    );
    Ok(())
}

/// Indexes, keys and foreign keys of the tables the bulk loader fills, taken out for a large
/// load and put back (rebuilt and re-validated) after it, inside the same transaction.
#[derive(Debug, Default)]
pub struct DeferredConstraints {
    /// `(table, constraint, definition)` of the dropped primary-key and unique constraints.
    keys: Vec<(String, String, String)>,
    /// `CREATE INDEX` statements of the dropped indexes.
    indexes: Vec<String>,
    /// `(table, constraint, definition)` of the dropped foreign keys.
    foreign_keys: Vec<(String, String, String)>,
}

const BULK_TABLES: &str =
    "('tickets', 'ticket_events', 'comments', 'ticket_metrics', 'ticket_sla_clocks')";

#[derive(QueryableByName)]
struct Constraint {
    #[diesel(sql_type = diesel::sql_types::Text)]
    tab: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    def: String,
}

/// Drops, from the bulk-loaded tables: their foreign keys, their primary-key and unique
/// constraints that no other table's foreign key relies on, and every other index;
/// [`restore_constraints_tx`] puts them back. Each copied row then costs a heap write instead of
/// a dozen index insertions and key look-ups.
///
/// # Errors
/// Database errors.
pub fn defer_constraints_tx(conn: &mut PgConnection) -> QueryResult<DeferredConstraints> {
    let in_bulk = |alias: &str| {
        format!(
            "{alias}.relnamespace = current_schema()::regnamespace AND {alias}.relname IN {BULK_TABLES}"
        )
    };
    let foreign_keys: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT k.conrelid::regclass::text AS tab, k.conname::text AS name,
                pg_get_constraintdef(k.oid) AS def
           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
          WHERE k.contype = 'f' AND {}
          ORDER BY 1, 2",
        in_bulk("c")
    ))
    .load(conn)?;
    let keys: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT k.conrelid::regclass::text AS tab, k.conname::text AS name,
                pg_get_constraintdef(k.oid) AS def
           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
          WHERE k.contype IN ('p', 'u') AND {}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint f JOIN pg_class fc ON fc.oid = f.conrelid
                             WHERE f.contype = 'f' AND f.conindid = k.conindid
                               AND NOT ({}))
          ORDER BY 1, 2",
        in_bulk("c"),
        in_bulk("fc")
    ))
    .load(conn)?;
    let indexes: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT c.relname::text AS tab, i.indexrelid::regclass::text AS name,
                pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          WHERE {}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                             WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid)
          ORDER BY 1, 2",
        in_bulk("c")
    ))
    .load(conn)?;
    for k in foreign_keys.iter().chain(&keys) {
        diesel::sql_query(format!(
            "ALTER TABLE {} DROP CONSTRAINT \"{}\"",
            k.tab, k.name
        ))
        .execute(conn)?;
    }
    for i in &indexes {
        diesel::sql_query(format!("DROP INDEX {}", i.name)).execute(conn)?;
    }
    let triple = |v: Vec<Constraint>| v.into_iter().map(|k| (k.tab, k.name, k.def)).collect();
    Ok(DeferredConstraints {
        keys: triple(keys),
        indexes: indexes.into_iter().map(|i| i.def).collect(),
        foreign_keys: triple(foreign_keys),
    })
}

/// Recreates what [`defer_constraints_tx`] dropped: keys, then indexes, then foreign keys (a
/// unique key or a foreign key that the loaded rows violate fails here, rolling the load back).
///
/// # Errors
/// Database errors, constraint violations.
pub fn restore_constraints_tx(
    conn: &mut PgConnection,
    deferred: DeferredConstraints,
) -> QueryResult<()> {
    // Index builds sort in memory up to this much (the setting ends with the transaction).
    diesel::sql_query("SET LOCAL maintenance_work_mem = '1GB'").execute(conn)?;
    let statements = deferred
        .keys
        .iter()
        .map(|(table, name, def)| format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"))
        .chain(deferred.indexes.iter().cloned())
        .chain(deferred.foreign_keys.iter().map(|(table, name, def)| {
            format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}")
        }));
    for sql in statements {
        let started = std::time::Instant::now();
        diesel::sql_query(sql.as_str()).execute(conn)?;
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), %sql, "restored");
    }
    Ok(())
}
