//! The read side of tickets: the filtered, keyset-paginated list and one ticket with its history.

use super::{Ticket, TicketEventRow, TicketMetricsRow};
use crate::models::enums::{DbTicketPriority, DbTicketStatus, TicketChannel};
use crate::models::fixed_sql::{fixed_sql, key_then_limit, literal_page};
use crate::schema::{
    customers, organizations, rules_version, teams, ticket_events, ticket_metrics, tickets, users,
    work_orders,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int8, Timestamptz};

/// Which tickets a caller may see; applied inside the query, never after loading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Visibility {
    /// Admins, managers and agents see every ticket.
    #[default]
    All,
    /// A technician sees only tickets with a work order assigned to them (`work_orders.
    /// technician_id`, whatever the work order's status).
    Technician(i64),
}

impl Visibility {
    /// Whether every ticket is visible (admins, managers, agents). A technician sees only
    /// tickets with a work order assigned to them.
    pub fn sees_every_ticket(self) -> bool {
        matches!(self, Visibility::All)
    }
}

/// Sort order of `GET /tickets`: a key, then `id` in the same direction.
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
    /// Next SLA breach first: by `sla_due_at` (the earliest due instant of the ticket's running
    /// clocks), tickets without one last; then oldest id first.
    SlaDue,
    /// Most urgent first (urgent, high, normal, low), then oldest first.
    Priority,
}

/// Where a page of tickets continues: the sort key of the last row shown (its `id` goes with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `created_at` or `updated_at`.
    At(DateTime<Utc>),
    /// `sla_due_at` (`None`: the tickets without a running clock, sorted last).
    Due(Option<DateTime<Utc>>),
    /// Priority rank (0 urgent … 3 low) and `created_at`.
    Priority(i16, DateTime<Utc>),
}

/// `sort=sla_due`'s key: the next SLA due instant, tickets without a running clock last (the
/// expression of `tickets_unsolved_sla_due_idx`, migration unsolved_queue_indexes).
const SLA_DUE: &str = "coalesce(tickets.sla_due_at, 'infinity'::timestamptz)";
/// `status=unsolved`: the predicate of the partial sort indexes, word for word.
const UNSOLVED: &str = "tickets.status IN ('new', 'open', 'pending', 'on_hold')";

/// Whether `statuses` is exactly the unsolved group (any order, repeats allowed).
fn is_unsolved(statuses: &[DbTicketStatus]) -> bool {
    use DbTicketStatus::{Closed, New, OnHold, Open, Pending, Solved};
    let has = |s| statuses.contains(&s);
    has(New) && has(Open) && has(Pending) && has(OnHold) && !has(Solved) && !has(Closed)
}

/// The rank `sort=priority` orders by (the expression of `tickets_unsolved_priority_rank_idx`).
const PRIORITY_RANK: &str = "(CASE tickets.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 \
                             WHEN 'normal' THEN 2 ELSE 3 END)";

impl TicketSort {
    /// Parses `created_at`, `-created_at`, `updated_at`, `-updated_at`, `sla_due`, `priority`.
    pub fn parse(s: &str) -> Option<TicketSort> {
        match s {
            "-created_at" => Some(TicketSort::CreatedDesc),
            "created_at" => Some(TicketSort::CreatedAsc),
            "-updated_at" => Some(TicketSort::UpdatedDesc),
            "updated_at" => Some(TicketSort::UpdatedAsc),
            "sla_due" => Some(TicketSort::SlaDue),
            "priority" => Some(TicketSort::Priority),
            _ => None,
        }
    }

    /// The sort key of a row.
    pub fn key(self, t: &TicketListRow) -> SortKey {
        match self {
            TicketSort::CreatedDesc | TicketSort::CreatedAsc => SortKey::At(t.ticket.created_at),
            TicketSort::UpdatedDesc | TicketSort::UpdatedAsc => SortKey::At(t.ticket.updated_at),
            TicketSort::SlaDue => SortKey::Due(t.sla_due_at),
            TicketSort::Priority => SortKey::Priority(
                match t.ticket.priority {
                    DbTicketPriority::Urgent => 0,
                    DbTicketPriority::High => 1,
                    DbTicketPriority::Normal => 2,
                    DbTicketPriority::Low => 3,
                },
                t.ticket.created_at,
            ),
        }
    }
}

/// One row of the list: the ticket and what a queue screen shows beside it, read by the same
/// statement (left joins on primary keys).
#[derive(Debug, Clone, Queryable)]
pub struct TicketListRow {
    /// The ticket.
    pub ticket: Ticket,
    /// Its requester's name.
    pub requester_name: Option<String>,
    /// Its organization's name.
    pub organization_name: Option<String>,
    /// Its assignee's name.
    pub assignee_name: Option<String>,
    /// Its team's name.
    pub team_name: Option<String>,
    /// The earliest due instant of its running SLA clocks (`tickets.sla_due_at`).
    pub sla_due_at: Option<DateTime<Utc>>,
    /// Its category's display name (`ticket_categories.name` of its key).
    pub category_name: Option<String>,
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
    /// Only unassigned tickets.
    pub unassigned: bool,
    /// Only on-hold tickets with one of these pause reasons; empty: all.
    pub hold_reasons: Vec<String>,
    /// Only this team's tickets.
    pub team_id: Option<i64>,
    /// Only this requester's tickets.
    pub requester_id: Option<i64>,
    /// Only this organization's tickets.
    pub organization_id: Option<i64>,
    /// Only this site's tickets.
    pub site_id: Option<i64>,
    /// Only tickets about this asset.
    pub asset_id: Option<i64>,
    /// Only this category.
    pub category: Option<String>,
    /// Only tickets whose custom field `key` holds this value (each pair must hold; values
    /// typed by the field's definition: see `routes::tickets::list`).
    pub custom_fields: Vec<(String, serde_json::Value)>,
    /// Only the tickets of this outside data set (`tickets.source`); `None`: the company's own
    /// tickets only (imported sources never mix in unless asked for).
    pub source: Option<String>,
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
    /// Only these ticket numbers (any of them); empty: all.
    pub numbers: Vec<i64>,
    /// Full-text search (web search syntax) over subject, description and comments.
    pub q: Option<String>,
    /// A search for a ticket number (`q=6118`, `q=#6118`): the ticket with this number, and with
    /// `.1` also the tickets whose text matches `q` (a bare number is also a word).
    pub q_number: Option<(i64, bool)>,
    /// SLA risk at instant `.1`.
    pub sla: Option<(SlaRisk, DateTime<Utc>)>,
    /// Order.
    pub sort: TicketSort,
    /// Continue after this `(sort key, id)`.
    pub after: Option<(SortKey, i64)>,
    /// Page size.
    pub limit: i64,
    /// Row-level access of the caller.
    pub visible_to: Visibility,
}

/// The tickets of a list with the names its rows show (left joins on primary keys: the
/// requester, organization, assignee and team).
macro_rules! joined {
    () => {
        tickets::table
            .left_join(customers::table.on(tickets::requester_id.eq(customers::id.nullable())))
            .left_join(
                organizations::table.on(tickets::organization_id.eq(organizations::id.nullable())),
            )
            .left_join(users::table.on(tickets::assignee_id.eq(users::id.nullable())))
            .left_join(teams::table.on(tickets::team_id.eq(teams::id.nullable())))
    };
}

/// Applies `filter`'s conditions (not its cursor) to a boxed query over [`joined!`].
macro_rules! filtered {
    ($query:expr, $filter:expr) => {{
        let filter: &TicketFilter = $filter;
        let mut query = $query;
        if let Visibility::Technician(technician) = filter.visible_to {
            query = query.filter(tickets::id.eq_any(assigned_tickets(technician)));
        }
        if is_unsolved(&filter.statuses) {
            // The queue's condition as the literal of the partial sort indexes (migration
            // unsolved_queue_indexes): a cached generic plan can prove it uses them.
            query = query.filter(fixed_sql::<Bool>(UNSOLVED));
        } else if !filter.statuses.is_empty() {
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
        if filter.unassigned {
            query = query.filter(tickets::assignee_id.is_null());
        }
        if !filter.hold_reasons.is_empty() {
            query = query.filter(tickets::hold_reason.eq_any(filter.hold_reasons.clone()));
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
        if let Some(v) = filter.asset_id {
            query = query.filter(tickets::asset_id.eq(v));
        }
        if let Some(v) = &filter.category {
            query = query.filter(tickets::category.eq(v.clone()));
        }
        // `IS NULL` / `=` rather than `IS NOT DISTINCT FROM $n`: the planner reads the latter's
        // selectivity as unknown and sorted every ticket for a page (250 ms at 40,000 tickets);
        // with these it walks the sort's index and stops after the page.
        query = match &filter.source {
            None => query.filter(tickets::source.is_null()),
            Some(label) => query.filter(tickets::source.eq(label.clone())),
        };
        if let Some(v) = &filter.tag {
            query = query.filter(tickets::tags.contains(vec![v.clone()]));
        }
        // Containment, which the GIN index `tickets_custom_fields_idx` answers.
        for (key, value) in &filter.custom_fields {
            let mut wanted = serde_json::Map::new();
            wanted.insert(key.clone(), value.clone());
            query = query.filter(
                diesel::dsl::sql::<Bool>("tickets.custom_fields @> ")
                    .bind::<diesel::sql_types::Jsonb, _>(serde_json::Value::Object(wanted)),
            );
        }
        if let Some(v) = filter.sourcing {
            // `teams` is joined already: the subquery names its own.
            query = query.filter(
                diesel::dsl::sql::<Bool>(
                    "tickets.team_id IN (SELECT s.id FROM teams s WHERE s.sourcing = ",
                )
                .bind::<crate::schema::sql_types::TeamSourcing, _>(v)
                .sql(")"),
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
        if !filter.numbers.is_empty() {
            query = query.filter(tickets::number.eq_any(filter.numbers.clone()));
        }
        match (&filter.q, filter.q_number) {
            // `tickets_number_key` and the GIN index on `search_vector`, OR-ed by a bitmap scan.
            (Some(q), Some((number, true))) => {
                query = query.filter(
                    diesel::dsl::sql::<Bool>("(tickets.number = ")
                        .bind::<Int8, _>(number)
                        .sql(" OR tickets.search_vector @@ websearch_to_tsquery('english', ")
                        .bind::<diesel::sql_types::Text, _>(q.clone())
                        .sql("))"),
                );
            }
            (_, Some((number, _))) => query = query.filter(tickets::number.eq(number)),
            (Some(q), None) => {
                query = query.filter(
                    diesel::dsl::sql::<Bool>(
                        "tickets.search_vector @@ websearch_to_tsquery('english', ",
                    )
                    .bind::<diesel::sql_types::Text, _>(q.clone())
                    .sql(")"),
                );
            }
            (None, None) => {}
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
        query
    }};
}

/// One page of tickets matching `filter` (with the names and SLA due instant a queue shows),
/// plus whether more follow.
///
/// # Errors
/// Database errors.
pub fn list(
    conn: &mut PgConnection,
    filter: &TicketFilter,
) -> QueryResult<(Vec<TicketListRow>, bool)> {
    let mut query = filtered!(
        joined!()
            .select((
                Ticket::as_select(),
                customers::name.nullable(),
                organizations::name.nullable(),
                users::name.nullable(),
                teams::name.nullable(),
                tickets::sla_due_at,
                // The catalogue's unique key: one row at most.
                fixed_sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(
                    "(SELECT c.name FROM ticket_categories c WHERE c.key = tickets.category)",
                ),
            ))
            .into_boxed(),
        filter
    );
    let due = SLA_DUE;
    if let Some((key, id)) = filter.after {
        query = match (filter.sort, key) {
            (TicketSort::SlaDue, SortKey::Due(Some(at))) => query.filter(
                diesel::dsl::sql::<Bool>(&format!("({due}, tickets.id) > ("))
                    .bind::<Timestamptz, _>(at)
                    .sql(", ")
                    .bind::<Int8, _>(id)
                    .sql(")"),
            ),
            (TicketSort::SlaDue, SortKey::Due(None)) => query.filter(
                diesel::dsl::sql::<Bool>(&format!(
                    "({due}, tickets.id) > ('infinity'::timestamptz, "
                ))
                .bind::<Int8, _>(id)
                .sql(")"),
            ),
            (TicketSort::Priority, SortKey::Priority(rank, at)) => query.filter(
                diesel::dsl::sql::<Bool>(&format!(
                    "({PRIORITY_RANK}, tickets.created_at, tickets.id) > ("
                ))
                .bind::<diesel::sql_types::SmallInt, _>(rank)
                .sql(", ")
                .bind::<Timestamptz, _>(at)
                .sql(", ")
                .bind::<Int8, _>(id)
                .sql(")"),
            ),
            (sort, SortKey::At(at)) => {
                let (column, op) = match sort {
                    TicketSort::CreatedDesc => ("tickets.created_at", "<"),
                    TicketSort::CreatedAsc => ("tickets.created_at", ">"),
                    TicketSort::UpdatedDesc => ("tickets.updated_at", "<"),
                    _ => ("tickets.updated_at", ">"),
                };
                query.filter(
                    diesel::dsl::sql::<Bool>(&format!("({column}, tickets.id) {op} ("))
                        .bind::<Timestamptz, _>(at)
                        .sql(", ")
                        .bind::<Int8, _>(id)
                        .sql(")"),
                )
            }
            // A cursor of another sort: the caller refuses it before.
            _ => query.filter(diesel::dsl::sql::<Bool>("FALSE")),
        };
    }
    // The page size (one more row, to know whether more follow) written into the statement:
    // see `KeyThenLimit` for why it is not bound.
    let page = literal_page(filter.limit) + 1;
    let asc = key_then_limit("tickets.id ASC", page);
    let desc = key_then_limit("tickets.id DESC", page);
    query = match filter.sort {
        TicketSort::CreatedDesc => query.order((tickets::created_at.desc(), desc)),
        TicketSort::CreatedAsc => query.order((tickets::created_at.asc(), asc)),
        TicketSort::UpdatedDesc => query.order((tickets::updated_at.desc(), desc)),
        TicketSort::UpdatedAsc => query.order((tickets::updated_at.asc(), asc)),
        TicketSort::SlaDue => query.order((fixed_sql::<Timestamptz>(SLA_DUE).asc(), asc)),
        TicketSort::Priority => query.order((
            fixed_sql::<diesel::sql_types::Integer>(PRIORITY_RANK).asc(),
            tickets::created_at.asc(),
            asc,
        )),
    };
    let mut rows: Vec<TicketListRow> = query.load(conn)?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(usize::try_from(filter.limit).unwrap_or(0));
    Ok((rows, more))
}

/// How many tickets match `filter` (its cursor and page size ignored): `GET /tickets?total=true`.
///
/// # Errors
/// Database errors.
pub fn count(conn: &mut PgConnection, filter: &TicketFilter) -> QueryResult<i64> {
    filtered!(tickets::table.count().into_boxed(), filter).get_result(conn)
}

/// A ticket with everything `GET /tickets/{id}` shows.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    /// The row.
    pub ticket: Ticket,
    /// Its event log, oldest first.
    pub events: Vec<TicketEventRow>,
    /// Its metric projection.
    pub metrics: Option<TicketMetricsRow>,
    /// The `rules_version` of the same snapshot (to pick the SLA policies and calendars its
    /// live clocks are computed with).
    pub rules_version: i64,
}

/// Whether ticket `id` exists and `visible_to` may see it.
///
/// # Errors
/// `NotFound` when it does not or may not; database errors.
pub fn check_visible(conn: &mut PgConnection, id: i64, visible_to: Visibility) -> QueryResult<()> {
    if let Visibility::Technician(technician) = visible_to {
        return work_orders::table
            .filter(work_orders::ticket_id.eq(id))
            .filter(work_orders::technician_id.eq(technician))
            .select(work_orders::ticket_id)
            .first::<i64>(conn)
            .map(|_| ());
    }
    tickets::table
        .find(id)
        .select(tickets::id)
        .first::<i64>(conn)
        .map(|_| ())
}

/// The id of the ticket with human number `number`, if `visible_to` may see it.
///
/// # Errors
/// `NotFound` when no ticket has this number or the caller may not see it; database errors.
pub fn id_by_number(
    conn: &mut PgConnection,
    number: i64,
    visible_to: Visibility,
) -> QueryResult<i64> {
    let id = tickets::table
        .filter(tickets::number.eq(number))
        .select(tickets::id)
        .first::<i64>(conn)?;
    if !visible_to.sees_every_ticket() {
        check_visible(conn, id, visible_to)?;
    }
    Ok(id)
}

/// The ids of the tickets behind the work orders assigned to `technician` (a subquery).
pub fn assigned_tickets(
    technician: i64,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<work_orders::table, diesel::dsl::Eq<work_orders::technician_id, i64>>,
    work_orders::ticket_id,
> {
    work_orders::table
        .filter(work_orders::technician_id.eq(technician))
        .select(work_orders::ticket_id)
}

/// A ticket with its metric projection and the rules version (one statement), then its event
/// log (a second one).
///
/// # Errors
/// `NotFound` when no ticket has this id or `visible_to` may not see it; database errors.
pub fn get_with_history(
    conn: &mut PgConnection,
    id: i64,
    visible_to: Visibility,
) -> QueryResult<TicketDetail> {
    // A technician sees the ticket of a work order assigned to them, and of its work orders'
    // events only those of their own (another technician's schedule stays private).
    let own_work_orders: Option<Vec<i64>> = match visible_to {
        Visibility::Technician(technician) => {
            let own: Vec<i64> = work_orders::table
                .filter(work_orders::ticket_id.eq(id))
                .filter(work_orders::technician_id.eq(technician))
                .select(work_orders::id)
                .load(conn)?;
            if own.is_empty() {
                return Err(diesel::result::Error::NotFound);
            }
            Some(own)
        }
        Visibility::All => None,
    };
    // No literal SQL: the statement is prepared once per connection and reused.
    let (ticket, metrics, rules_version): (Ticket, Option<TicketMetricsRow>, Option<i64>) =
        tickets::table
            .left_join(ticket_metrics::table)
            .filter(tickets::id.eq(id))
            .select((
                Ticket::as_select(),
                Option::<TicketMetricsRow>::as_select(),
                rules_version::table
                    .select(rules_version::version)
                    .single_value(),
            ))
            .first(conn)?;
    let rules_version = rules_version.unwrap_or_default();
    let events = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .order(ticket_events::seq.asc())
        .select(TicketEventRow::as_select())
        .load(conn)?;
    let events = match own_work_orders {
        Some(own) => events
            .into_iter()
            .filter(|e| {
                e.kind != "work_order"
                    || e.data["work_order_id"]
                        .as_i64()
                        .is_some_and(|w| own.contains(&w))
            })
            .collect(),
        None => events,
    };
    Ok(TicketDetail {
        ticket,
        events,
        metrics,
        rules_version,
    })
}
