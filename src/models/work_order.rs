//! Work-order and time-off rows and their single-row writes, each a statement inside the caller's
//! transaction. The use cases in [`crate::tickets::work_order`] coordinate a change (the ticket,
//! its log and projections); nothing here does.

use crate::domain::ticket::TicketPriority;
use crate::domain::work_order::WorkOrderStatus;
use crate::models::enums::DbTicketPriority;
use crate::models::fixed_sql::{key_then_limit, literal_page};
use crate::schema::{time_off, work_orders};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `work_orders` row. Instants are UTC; the `*_at` of transitions are device instants.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(
    table_name = work_orders,
    check_for_backend(diesel::pg::Pg),
    treat_none_as_default_value = false
)]
pub struct WorkOrder {
    /// Primary key.
    pub id: i64,
    /// The ticket it serves.
    pub ticket_id: i64,
    /// The site's organization.
    pub organization_id: i64,
    /// Where the visit is.
    pub site_id: i64,
    /// The equipment to look at.
    pub asset_id: Option<i64>,
    /// Status ([`WorkOrderStatus`] name).
    pub status: String,
    /// Priority.
    pub priority: DbTicketPriority,
    /// The problem, in a line.
    pub summary: String,
    /// A skill the technician must have.
    pub required_skill: Option<String>,
    /// The facility requires an escort.
    pub escort_required: bool,
    /// The clearance the facility requires (free text, e.g. "state DOC badge").
    pub security_clearance: Option<String>,
    /// Other access notes (gate, unit, contact on arrival).
    pub access_notes: Option<String>,
    /// Dispatched technician.
    pub technician_id: Option<i64>,
    /// Promised arrival window, start (UTC).
    pub window_start: Option<DateTime<Utc>>,
    /// Promised arrival window, end (UTC; after the start).
    pub window_end: Option<DateTime<Utc>>,
    /// The work order whose `cannot_complete` visit asked for this one.
    pub follow_up_of: Option<i64>,
    /// Staff member who created it.
    pub created_by_id: Option<i64>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Latest dispatch (device instant).
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Set off to the site (device instant).
    pub en_route_at: Option<DateTime<Utc>>,
    /// Arrived (device instant).
    pub on_site_at: Option<DateTime<Utc>>,
    /// Completed, could not complete, or cancelled (device instant).
    pub finished_at: Option<DateTime<Utc>>,
    /// Instant of the latest transition (creation at first).
    pub last_transition_at: DateTime<Utc>,
    /// Completion: resolution code.
    pub resolution_code: Option<String>,
    /// Completion or cannot-complete notes.
    pub completion_notes: Option<String>,
    /// Parts used: `[{"part_number", "description", "quantity"}]`.
    pub parts: serde_json::Value,
    /// Completion: the problem is fixed.
    pub problem_fixed: Option<bool>,
    /// Why the visit could not complete.
    pub cannot_complete_reason: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Latest write (server clock).
    pub updated_at: DateTime<Utc>,
}

impl WorkOrder {
    /// The status as a domain value (an unknown stored name cannot happen: a CHECK constraint
    /// holds the list; it reads as `cancelled`).
    pub fn status(&self) -> WorkOrderStatus {
        WorkOrderStatus::parse(&self.status).unwrap_or(WorkOrderStatus::Cancelled)
    }

    /// The priority as a domain value.
    pub fn priority(&self) -> TicketPriority {
        self.priority.into()
    }
}

/// A new `work_orders` row (status `scheduled`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = work_orders)]
pub struct NewWorkOrder {
    /// The ticket.
    pub ticket_id: i64,
    /// The site's organization.
    pub organization_id: i64,
    /// The site.
    pub site_id: i64,
    /// The asset.
    pub asset_id: Option<i64>,
    /// Priority.
    pub priority: DbTicketPriority,
    /// Problem summary.
    pub summary: String,
    /// Required skill.
    pub required_skill: Option<String>,
    /// Escort required.
    pub escort_required: bool,
    /// Security clearance.
    pub security_clearance: Option<String>,
    /// Access notes.
    pub access_notes: Option<String>,
    /// The work order this one follows up.
    pub follow_up_of: Option<i64>,
    /// Creator.
    pub created_by_id: Option<i64>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// = `created_at`.
    pub last_transition_at: DateTime<Utc>,
    /// = `created_at`.
    pub updated_at: DateTime<Utc>,
}

/// Changes of a work order's row; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = work_orders)]
pub struct WorkOrderChangeset {
    /// New status.
    pub status: Option<String>,
    /// Technician.
    pub technician_id: Option<Option<i64>>,
    /// Window start.
    pub window_start: Option<Option<DateTime<Utc>>>,
    /// Window end.
    pub window_end: Option<Option<DateTime<Utc>>>,
    /// Dispatch instant.
    pub dispatched_at: Option<Option<DateTime<Utc>>>,
    /// En-route instant.
    pub en_route_at: Option<Option<DateTime<Utc>>>,
    /// On-site instant.
    pub on_site_at: Option<Option<DateTime<Utc>>>,
    /// End instant.
    pub finished_at: Option<Option<DateTime<Utc>>>,
    /// Latest transition instant.
    pub last_transition_at: Option<DateTime<Utc>>,
    /// Resolution code.
    pub resolution_code: Option<Option<String>>,
    /// Notes.
    pub completion_notes: Option<Option<String>>,
    /// Parts.
    pub parts: Option<serde_json::Value>,
    /// Fixed.
    pub problem_fixed: Option<Option<bool>>,
    /// Cannot-complete reason.
    pub cannot_complete_reason: Option<Option<String>>,
    /// Cancel reason.
    pub cancel_reason: Option<Option<String>>,
    /// Problem summary.
    pub summary: Option<String>,
    /// Priority.
    pub priority: Option<DbTicketPriority>,
    /// Required skill.
    pub required_skill: Option<Option<String>>,
    /// Escort required.
    pub escort_required: Option<bool>,
    /// Security clearance.
    pub security_clearance: Option<Option<String>>,
    /// Access notes.
    pub access_notes: Option<Option<String>>,
    /// Asset.
    pub asset_id: Option<Option<i64>>,
}

/// Inserts a work order.
///
/// # Errors
/// Database errors (foreign keys: `work_orders_site_fkey`, `work_orders_asset_id_fkey`, …).
pub fn insert_tx(conn: &mut PgConnection, new: &NewWorkOrder) -> QueryResult<WorkOrder> {
    diesel::insert_into(work_orders::table)
        .values(new)
        .returning(WorkOrder::as_returning())
        .get_result(conn)
}

/// Locks a work order's row (`FOR UPDATE`); `technician` restricts it to that technician's work
/// orders (another's is "not found").
///
/// # Errors
/// `NotFound`; database errors.
pub fn lock_tx(
    conn: &mut PgConnection,
    id: i64,
    technician: Option<i64>,
) -> QueryResult<WorkOrder> {
    let row: WorkOrder = work_orders::table
        .filter(work_orders::id.eq(id))
        .select(WorkOrder::as_select())
        .for_update()
        .first(conn)?;
    match technician {
        Some(t) if row.technician_id != Some(t) => Err(diesel::result::Error::NotFound),
        _ => Ok(row),
    }
}

/// Writes `changes` to work order `id` (version + 1, `updated_at` = `now`).
///
/// # Errors
/// Database errors (the exclusion constraint `work_orders_technician_window_excl` when a
/// dispatch overlaps another open work order of the technician).
pub fn update_tx(
    conn: &mut PgConnection,
    id: i64,
    changes: &WorkOrderChangeset,
    now: DateTime<Utc>,
) -> QueryResult<WorkOrder> {
    diesel::update(work_orders::table.find(id))
        .set((
            changes,
            work_orders::version.eq(work_orders::version + 1),
            work_orders::updated_at.eq(now),
        ))
        .returning(WorkOrder::as_returning())
        .get_result(conn)
}

/// One work order (no lock); `technician` restricts as in [`lock_tx`].
///
/// # Errors
/// `NotFound`; database errors.
pub fn get(conn: &mut PgConnection, id: i64, technician: Option<i64>) -> QueryResult<WorkOrder> {
    let mut query = work_orders::table
        .filter(work_orders::id.eq(id))
        .select(WorkOrder::as_select())
        .into_boxed();
    if let Some(t) = technician {
        query = query.filter(work_orders::technician_id.eq(t));
    }
    query.first(conn)
}

/// The work orders of a ticket, oldest first.
///
/// # Errors
/// Database errors.
pub fn of_ticket(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Vec<WorkOrder>> {
    work_orders::table
        .filter(work_orders::ticket_id.eq(ticket_id))
        .order(work_orders::id.asc())
        .select(WorkOrder::as_select())
        .load(conn)
}

/// The open work orders of a technician whose arrival window overlaps `[start, end)` (the
/// dispatch rule), excluding work order `except`.
///
/// # Errors
/// Database errors.
pub fn overlapping_tx(
    conn: &mut PgConnection,
    technician: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: i64,
) -> QueryResult<Vec<WorkOrder>> {
    let open: Vec<&str> = [
        WorkOrderStatus::Dispatched,
        WorkOrderStatus::EnRoute,
        WorkOrderStatus::OnSite,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    work_orders::table
        .filter(work_orders::technician_id.eq(technician))
        .filter(work_orders::status.eq_any(open))
        .filter(work_orders::id.ne(except))
        .filter(work_orders::window_start.lt(end))
        .filter(work_orders::window_end.gt(start))
        .order(work_orders::window_start.asc())
        .select(WorkOrder::as_select())
        .load(conn)
}

/// A `time_off` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = time_off, check_for_backend(diesel::pg::Pg))]
pub struct TimeOff {
    /// Primary key.
    pub id: i64,
    /// The staff member.
    pub user_id: i64,
    /// Start (UTC, inclusive).
    pub starts_at: DateTime<Utc>,
    /// End (UTC, exclusive).
    pub ends_at: DateTime<Utc>,
    /// Why (free text).
    pub reason: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The time off of `user` overlapping `[start, end)`, earliest first.
///
/// # Errors
/// Database errors.
pub fn time_off_overlapping(
    conn: &mut PgConnection,
    user: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<Vec<TimeOff>> {
    time_off::table
        .filter(time_off::user_id.eq(user))
        .filter(time_off::starts_at.lt(end))
        .filter(time_off::ends_at.gt(start))
        .order(time_off::starts_at.asc())
        .select(TimeOff::as_select())
        .load(conn)
}

/// Takes the transaction-scoped lock of a technician's schedule: a dispatch and a time-off
/// record for the same technician take turns, so neither misses the other.
///
/// # Errors
/// Database errors.
pub fn lock_schedule_tx(conn: &mut PgConnection, technician: i64) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(8387, $1::int4)")
        .bind::<diesel::sql_types::Int4, _>(
            i32::try_from(technician % i64::from(i32::MAX)).unwrap_or(0),
        )
        .execute(conn)
        .map(|_| ())
}

/// A work order with what a technician or dispatcher reads beside it: the site, the asset, the
/// ticket and the requester's contact (one statement).
#[derive(Debug, Clone, Queryable)]
pub struct WorkOrderView {
    /// The row.
    pub work_order: WorkOrder,
    /// Site: name, IANA time zone, address.
    pub site: (String, String, Option<String>),
    /// Asset: kind, tag, model.
    pub asset: Option<(String, String, Option<String>)>,
    /// Ticket: number, subject.
    pub ticket: (i64, String),
    /// Requester: name, email, phone.
    pub requester: Option<(String, Option<String>, Option<String>)>,
}

/// Which work orders a list shows.
#[derive(Debug, Clone, Default)]
pub struct WorkOrderFilter {
    /// One work order.
    pub id: Option<i64>,
    /// Of this ticket.
    pub ticket_id: Option<i64>,
    /// Of this technician (also the visibility rule of a technician).
    pub technician_id: Option<i64>,
    /// At this site.
    pub site_id: Option<i64>,
    /// For this asset.
    pub asset_id: Option<i64>,
    /// In these statuses (empty: all).
    pub statuses: Vec<String>,
    /// Arrival window ending at or after this instant.
    pub window_ends_after: Option<DateTime<Utc>>,
    /// Arrival window starting on this local day of the site's time zone.
    pub local_day: Option<chrono::NaiveDate>,
    /// Order by arrival window (a technician's day) rather than by id.
    pub by_window: bool,
    /// Keyset of the id order: ids after this one.
    pub after_id: Option<i64>,
    /// Page size.
    pub limit: i64,
}

diesel::define_sql_function! {
    /// PostgreSQL's `timezone(zone, timestamptz)`: the local wall-clock time in `zone`.
    fn timezone(zone: diesel::sql_types::Text, at: diesel::sql_types::Timestamptz) -> diesel::sql_types::Timestamp;
}

/// Work orders matching `filter` with their site, asset, ticket and requester, ordered by id
/// or (`by_window`) by arrival window (work orders without one last), then id.
///
/// # Errors
/// Database errors.
pub fn list_views(
    conn: &mut PgConnection,
    filter: &WorkOrderFilter,
) -> QueryResult<Vec<WorkOrderView>> {
    use crate::schema::{assets, customers, sites, tickets};
    let mut query = work_orders::table
        .inner_join(sites::table.on(sites::id.eq(work_orders::site_id)))
        .left_join(assets::table.on(assets::id.nullable().eq(work_orders::asset_id)))
        .inner_join(tickets::table.on(tickets::id.eq(work_orders::ticket_id)))
        .left_join(customers::table.on(customers::id.nullable().eq(tickets::requester_id)))
        .select((
            WorkOrder::as_select(),
            (sites::name, sites::time_zone, sites::address),
            (assets::kind, assets::asset_tag, assets::model).nullable(),
            (tickets::number, tickets::subject),
            (customers::name, customers::email, customers::phone).nullable(),
        ))
        .into_boxed();
    if let Some(id) = filter.id {
        query = query.filter(work_orders::id.eq(id));
    }
    if let Some(t) = filter.ticket_id {
        query = query.filter(work_orders::ticket_id.eq(t));
    }
    if let Some(t) = filter.technician_id {
        query = query.filter(work_orders::technician_id.eq(t));
    }
    if let Some(s) = filter.site_id {
        query = query.filter(work_orders::site_id.eq(s));
    }
    if let Some(a) = filter.asset_id {
        query = query.filter(work_orders::asset_id.eq(a));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(work_orders::status.eq_any(filter.statuses.clone()));
    }
    if let Some(t) = filter.window_ends_after {
        query = query.filter(work_orders::window_end.ge(t));
    }
    if let Some(day) = filter.local_day {
        let start = day.and_time(chrono::NaiveTime::MIN);
        let end = start + chrono::Duration::days(1);
        // Every zone's offset lies within UTC−12…UTC+14: a UTC range that covers the local day
        // anywhere lets the (technician_id, window_start) index narrow the rows first.
        query = query
            .filter(work_orders::window_start.ge((start - chrono::Duration::hours(15)).and_utc()))
            .filter(work_orders::window_start.lt((end + chrono::Duration::hours(13)).and_utc()));
        query = query
            .filter(
                timezone(
                    sites::time_zone,
                    work_orders::window_start.assume_not_null(),
                )
                .ge(start),
            )
            .filter(
                timezone(
                    sites::time_zone,
                    work_orders::window_start.assume_not_null(),
                )
                .lt(end),
            );
    }
    if let Some(after) = filter.after_id {
        query = query.filter(work_orders::id.gt(after));
    }
    // The page size written into the statement: see `KeyThenLimit` for why it is not bound.
    let id_then_limit = key_then_limit("work_orders.id ASC", literal_page(filter.limit));
    query = if filter.by_window {
        query.order((work_orders::window_start.asc().nulls_last(), id_then_limit))
    } else {
        query.order(id_then_limit)
    };
    query.load(conn)
}

/// A new `time_off` row (`starts_at` < `ends_at`: `time_off_range_check`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = time_off)]
pub struct NewTimeOff {
    /// The staff member.
    pub user_id: i64,
    /// Start (UTC, inclusive).
    pub starts_at: DateTime<Utc>,
    /// End (UTC, exclusive).
    pub ends_at: DateTime<Utc>,
    /// Why (free text).
    pub reason: Option<String>,
}

/// Records time off, inside the caller's transaction, after taking the staff member's schedule
/// lock ([`lock_schedule_tx`]) so that a concurrent dispatch sees it or is seen by it.
///
/// # Errors
/// `time_off_user_id_fkey` (no such user), `time_off_range_check`; database errors.
pub fn insert_time_off_tx(conn: &mut PgConnection, new: &NewTimeOff) -> QueryResult<TimeOff> {
    lock_schedule_tx(conn, new.user_id)?;
    diesel::insert_into(time_off::table)
        .values(new)
        .returning(TimeOff::as_returning())
        .get_result(conn)
}

/// The time off of `user` overlapping `[from, to)` (either bound may be open), earliest first,
/// at most `limit` rows.
///
/// # Errors
/// Database errors.
pub fn list_time_off(
    conn: &mut PgConnection,
    user: i64,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: i64,
) -> QueryResult<Vec<TimeOff>> {
    let mut query = time_off::table
        .filter(time_off::user_id.eq(user))
        .order((time_off::starts_at.asc(), time_off::id.asc()))
        .limit(limit)
        .select(TimeOff::as_select())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(time_off::ends_at.gt(from));
    }
    if let Some(to) = to {
        query = query.filter(time_off::starts_at.lt(to));
    }
    query.load(conn)
}

/// Deletes time off `id` of `user`; returns whether a row was deleted.
///
/// # Errors
/// Database errors.
pub fn delete_time_off_tx(conn: &mut PgConnection, user: i64, id: i64) -> QueryResult<bool> {
    diesel::delete(
        time_off::table
            .filter(time_off::id.eq(id))
            .filter(time_off::user_id.eq(user)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// A visit as a customer notice tells it (site name and zone, arrival window) and the
/// technician's first name (empty without a technician); `None` for an unknown work order. One
/// statement.
///
/// # Errors
/// Database errors.
pub fn visit_facts(
    conn: &mut PgConnection,
    id: i64,
) -> QueryResult<Option<(crate::notify::notice::Visit, String)>> {
    use crate::schema::{sites, users};
    type Row = (
        i64,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        String,
        String,
        Option<String>,
    );
    let row: Option<Row> = work_orders::table
        .inner_join(sites::table.on(sites::id.eq(work_orders::site_id)))
        .left_join(users::table.on(users::id.nullable().eq(work_orders::technician_id)))
        .filter(work_orders::id.eq(id))
        .select((
            work_orders::id,
            work_orders::window_start,
            work_orders::window_end,
            sites::name,
            sites::time_zone,
            users::name.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, start, end, site, zone, technician)| {
        let first = technician
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            // A name that is an address is not shown to the customer.
            .filter(|n| !n.contains('@'))
            .unwrap_or_default()
            .to_string();
        (
            crate::notify::notice::Visit {
                work_order_id: id,
                site_name: site,
                time_zone: zone,
                window_start: start,
                window_end: end,
            },
            first,
        )
    }))
}
