//! Webhooks: the endpoints admins subscribe (`webhook_endpoints`), the deliveries queued for them
//! in the transaction of the change that causes the event (`webhook_deliveries`) and every
//! attempt to deliver one (`webhook_attempts`). The webhook worker ([`crate::workers::webhooks`])
//! claims due deliveries the way the email outbox does ([`crate::models::outbox::claim`]): rows
//! locked `FOR UPDATE SKIP LOCKED`, counted as an attempt and hidden for a lease in one
//! transaction, so service copies never claim one together and a worker that dies after
//! claiming leaves the row to be claimed again once the lease is over (at least once, never lost).
//! docs/WEBHOOKS.md describes the whole mechanism.

use crate::models::fixed_sql::{key_then_limit, literal_page};
use crate::schema::{rules_version, webhook_attempts, webhook_deliveries, webhook_endpoints};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

/// The event types an endpoint may subscribe to, in the order the docs list them.
pub const EVENT_TYPES: &[&str] = &[
    TICKET_CREATED,
    TICKET_UPDATED,
    TICKET_SOLVED,
    SLA_BREACHED,
    WORK_ORDER_CHANGED,
];
/// A ticket was created (also a follow-up, or one created from an email).
pub const TICKET_CREATED: &str = "ticket.created";
/// A stored ticket changed: fields, assignment, priority, status, a comment.
pub const TICKET_UPDATED: &str = "ticket.updated";
/// A ticket was solved (sent besides its `ticket.updated`).
pub const TICKET_SOLVED: &str = "ticket.solved";
/// An SLA target of a ticket fell due before it was fulfilled.
pub const SLA_BREACHED: &str = "sla.breached";
/// A work order was created, changed status or was edited.
pub const WORK_ORDER_CHANGED: &str = "work_order.changed";

/// Statuses of a delivery.
pub mod status {
    /// Waiting for its next attempt.
    pub const PENDING: &str = "pending";
    /// The endpoint answered 2xx.
    pub const DELIVERED: &str = "delivered";
    /// Given up after the configured attempts.
    pub const FAILED: &str = "failed";
}

/// A `webhook_endpoints` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints, check_for_backend(diesel::pg::Pg))]
pub struct EndpointRow {
    /// Id.
    pub id: i64,
    /// Where deliveries are POSTed (`http` or `https`).
    pub url: String,
    /// The admin's note (may be empty).
    pub description: String,
    /// Event types subscribed (of [`EVENT_TYPES`]).
    pub events: Vec<String>,
    /// The signing key (never shown after creation or rotation).
    pub secret: String,
    /// Receives deliveries.
    pub active: bool,
    /// Failed attempts since the last delivered one.
    pub consecutive_failures: i32,
    /// When it was disabled (UTC), by the worker or an admin.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Last delivery answered 2xx (UTC).
    pub last_success_at: Option<DateTime<Utc>>,
    /// Last failed attempt (UTC).
    pub last_failure_at: Option<DateTime<Utc>>,
    /// The admin who made it.
    pub created_by_id: Option<i64>,
    /// Made (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// An endpoint to make.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint<'a> {
    /// URL.
    pub url: &'a str,
    /// Note.
    pub description: &'a str,
    /// Event types.
    pub events: &'a [String],
    /// Signing key.
    pub secret: &'a str,
    /// The admin.
    pub created_by_id: Option<i64>,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// Now.
    pub updated_at: DateTime<Utc>,
}

/// Changes of an endpoint (`None`: unchanged).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    /// URL.
    pub url: Option<String>,
    /// Note.
    pub description: Option<String>,
    /// Event types.
    pub events: Option<Vec<String>>,
    /// Active flag.
    pub active: Option<bool>,
    /// Failures in a row (reset on re-enabling).
    pub consecutive_failures: Option<i32>,
    /// Disabled at (`Some(None)` clears).
    pub disabled_at: Option<Option<DateTime<Utc>>>,
    /// Why (`Some(None)` clears).
    pub disabled_reason: Option<Option<String>>,
    /// Now.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The active subscriptions at one `rules_version.webhooks_version` (what a ticket write queues
/// deliveries for; kept in memory with the rules, [`crate::tickets::Rules`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    /// The version they were read at (0: none read).
    pub version: i64,
    /// `(endpoint id, event types)` of each active endpoint.
    pub endpoints: Vec<(i64, Vec<String>)>,
}

impl Subscriptions {
    /// The endpoints subscribed to `event_type`.
    pub fn for_type<'a>(&'a self, event_type: &'a str) -> impl Iterator<Item = i64> + 'a {
        self.endpoints
            .iter()
            .filter(move |(_, events)| events.iter().any(|e| e == event_type))
            .map(|(id, _)| *id)
    }

    /// Whether any endpoint is subscribed to anything.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// Reads the version, then the active endpoints (two statements: endpoints newer than the
    /// version read are harmless, the next write reads a newer version and reloads).
    ///
    /// # Errors
    /// Database errors.
    pub fn load(conn: &mut PgConnection) -> QueryResult<Subscriptions> {
        let version = webhooks_version(conn)?;
        let endpoints = webhook_endpoints::table
            .filter(webhook_endpoints::active.eq(true))
            .order(webhook_endpoints::id)
            .select((webhook_endpoints::id, webhook_endpoints::events))
            .load(conn)?;
        Ok(Subscriptions { version, endpoints })
    }
}

/// The version of the subscriptions in force (bumped by every change of an endpoint's events or
/// active flag, and by making or deleting one).
///
/// # Errors
/// Database errors.
pub fn webhooks_version(conn: &mut PgConnection) -> QueryResult<i64> {
    rules_version::table
        .select(rules_version::webhooks_version)
        .first(conn)
}

/// Makes an endpoint; returns it.
///
/// # Errors
/// Database errors.
pub fn create(conn: &mut PgConnection, new: &NewEndpoint<'_>) -> QueryResult<EndpointRow> {
    diesel::insert_into(webhook_endpoints::table)
        .values(new)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
}

/// One endpoint.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<EndpointRow> {
    webhook_endpoints::table
        .find(id)
        .select(EndpointRow::as_select())
        .first(conn)
}

/// One endpoint, locked for update.
///
/// # Errors
/// `NotFound`; database errors.
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<EndpointRow> {
    webhook_endpoints::table
        .find(id)
        .select(EndpointRow::as_select())
        .for_update()
        .first(conn)
}

/// Endpoints by id order, after cursor `after` (an id), at most `limit`.
///
/// # Errors
/// Database errors.
pub fn list(
    conn: &mut PgConnection,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table
        // The page size written into the statement: see `KeyThenLimit` for why it is not bound.
        .order(key_then_limit(
            "webhook_endpoints.id ASC",
            literal_page(limit),
        ))
        .select(EndpointRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(webhook_endpoints::id.gt(after));
    }
    query.load(conn)
}

/// Applies `changes` to endpoint `id`; returns it.
///
/// # Errors
/// `NotFound`; database errors.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    changes: &EndpointChanges,
) -> QueryResult<EndpointRow> {
    diesel::update(webhook_endpoints::table.find(id))
        .set(changes)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
}

/// Replaces endpoint `id`'s signing key; returns it.
///
/// # Errors
/// `NotFound`; database errors.
pub fn set_secret(
    conn: &mut PgConnection,
    id: i64,
    secret: &str,
    now: DateTime<Utc>,
) -> QueryResult<EndpointRow> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::secret.eq(secret),
            webhook_endpoints::updated_at.eq(now),
        ))
        .returning(EndpointRow::as_returning())
        .get_result(conn)
}

/// Deletes endpoint `id` with its deliveries and attempts; whether it existed.
///
/// # Errors
/// Database errors.
pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(webhook_endpoints::table.find(id)).execute(conn)? == 1)
}

/// A `webhook_deliveries` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::pg::Pg))]
pub struct DeliveryRow {
    /// Id.
    pub id: i64,
    /// The endpoint.
    pub endpoint_id: i64,
    /// The event (the same for every endpoint it went to).
    pub event_id: uuid::Uuid,
    /// Its type (of [`EVENT_TYPES`]).
    pub event_type: String,
    /// The ticket it is about.
    pub ticket_id: Option<i64>,
    /// The JSON body.
    pub payload: serde_json::Value,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts so far (claims).
    pub attempts: i32,
    /// When it may be claimed (UTC).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Queued (UTC).
    pub created_at: DateTime<Utc>,
    /// Delivered (UTC).
    pub delivered_at: Option<DateTime<Utc>>,
    /// Given up (UTC).
    pub failed_at: Option<DateTime<Utc>>,
}

/// A delivery to queue.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    /// The endpoint.
    pub endpoint_id: i64,
    /// The event.
    pub event_id: uuid::Uuid,
    /// Its type.
    pub event_type: &'static str,
    /// The ticket.
    pub ticket_id: Option<i64>,
    /// The JSON body.
    pub payload: serde_json::Value,
    /// Now.
    pub next_attempt_at: DateTime<Utc>,
    /// Now.
    pub created_at: DateTime<Utc>,
}

/// Queues `rows` (one statement; none when empty); a row whose (endpoint, event) is queued
/// already is skipped. Returns how many were queued.
///
/// # Errors
/// Database errors.
pub fn enqueue_tx(conn: &mut PgConnection, rows: &[NewDelivery]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(webhook_deliveries::table)
        .values(rows)
        .on_conflict((
            webhook_deliveries::endpoint_id,
            webhook_deliveries::event_id,
        ))
        .do_nothing()
        .execute(conn)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Claims up to `limit` deliveries due at `now` for active endpoints (oldest due first): each
/// is counted as an attempt and hidden from other workers until `now + lease`, in a transaction
/// of its own (the due rows locked `FOR UPDATE OF` the delivery `SKIP LOCKED`, then their
/// update). A disabled endpoint's pending deliveries wait: re-enabling it sends them.
///
/// # Errors
/// Database errors.
pub fn claim(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    conn.transaction(|conn| {
        let due: Vec<i64> = diesel::sql_query(
            "SELECT d.id FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.active \
             ORDER BY d.next_attempt_at, d.id LIMIT $2 \
             FOR UPDATE OF d SKIP LOCKED",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(limit)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows =
            diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&due)))
                .set((
                    webhook_deliveries::next_attempt_at.eq(now + lease),
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                ))
                .returning(DeliveryRow::as_returning())
                .get_results(conn)?;
        // Per endpoint in the order they were queued.
        rows.sort_by_key(|r: &DeliveryRow| (r.endpoint_id, r.id));
        Ok(rows)
    })
}

/// The endpoints `ids`.
///
/// # Errors
/// Database errors.
pub fn endpoints(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq_any(ids))
        .select(EndpointRow::as_select())
        .load(conn)
}

/// A `webhook_attempts` row to write.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct NewAttempt {
    /// The delivery.
    pub delivery_id: i64,
    /// Its endpoint.
    pub endpoint_id: i64,
    /// 1 for the first.
    pub attempt: i32,
    /// When the request started (UTC).
    pub attempted_at: DateTime<Utc>,
    /// The answer's HTTP status (`None`: no answer).
    pub status_code: Option<i32>,
    /// Answered 2xx.
    pub succeeded: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// How long the request took, milliseconds.
    pub duration_ms: i32,
    /// The next attempt (`None`: delivered, given up, or the endpoint was disabled).
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// What became of an attempt, for [`record_attempt_tx`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Delivered.
    Delivered,
    /// To be retried at the instant.
    Retry(DateTime<Utc>),
    /// Given up (the delivery's attempts are spent).
    GiveUp,
}

/// Records one attempt of a claimed delivery and its outcome on the delivery and the endpoint, in
/// one transaction: a success resets the endpoint's failures in a row; a failure counts one, and
/// the endpoint is disabled (with the instant and `disable_reason`) once they reach
/// `disable_after`. Returns whether this attempt disabled the endpoint.
///
/// # Errors
/// Database errors.
pub fn record_attempt_tx(
    conn: &mut PgConnection,
    attempt: &NewAttempt,
    after: After,
    disable_after: i32,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let error: Option<String> = attempt
            .error
            .as_ref()
            .map(|e| e.chars().take(2_000).collect());
        let target = webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(attempt.delivery_id))
            .filter(webhook_deliveries::status.eq(status::PENDING));
        let ep = webhook_endpoints::table.find(attempt.endpoint_id);
        let mut disabled = false;
        match after {
            After::Delivered => {
                diesel::update(target)
                    .set((
                        webhook_deliveries::status.eq(status::DELIVERED),
                        webhook_deliveries::delivered_at.eq(now),
                    ))
                    .execute(conn)?;
                diesel::update(ep)
                    .set((
                        webhook_endpoints::consecutive_failures.eq(0),
                        webhook_endpoints::last_success_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            After::Retry(_) | After::GiveUp => {
                match after {
                    After::Retry(at) => diesel::update(target)
                        .set((
                            webhook_deliveries::next_attempt_at.eq(at),
                            webhook_deliveries::last_error.eq(&error),
                        ))
                        .execute(conn)?,
                    _ => diesel::update(target)
                        .set((
                            webhook_deliveries::status.eq(status::FAILED),
                            webhook_deliveries::failed_at.eq(now),
                            webhook_deliveries::last_error.eq(&error),
                        ))
                        .execute(conn)?,
                };
                let (failures, active): (i32, bool) = diesel::update(ep)
                    .set((
                        webhook_endpoints::consecutive_failures
                            .eq(webhook_endpoints::consecutive_failures + 1),
                        webhook_endpoints::last_failure_at.eq(now),
                    ))
                    .returning((
                        webhook_endpoints::consecutive_failures,
                        webhook_endpoints::active,
                    ))
                    .get_result(conn)?;
                if active && failures >= disable_after {
                    let reason = format!(
                        "{failures} failed attempts in a row; the last: {}",
                        error.as_deref().unwrap_or("no answer")
                    );
                    diesel::update(ep)
                        .set((
                            webhook_endpoints::active.eq(false),
                            webhook_endpoints::disabled_at.eq(now),
                            webhook_endpoints::disabled_reason.eq(reason),
                            webhook_endpoints::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    disabled = true;
                }
            }
        }
        let mut row = attempt.clone();
        row.error = error;
        if disabled {
            row.next_retry_at = None;
        }
        diesel::insert_into(webhook_attempts::table)
            .values(&row)
            .execute(conn)?;
        Ok(disabled)
    })
}

/// Hands claimed deliveries `ids` back unattempted (their endpoint failed earlier in the pass):
/// the claim's attempt is not counted and they are due at `at` (the failed one's retry).
///
/// # Errors
/// Database errors.
pub fn release(conn: &mut PgConnection, ids: &[i64], at: DateTime<Utc>) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq_any(ids))
            .filter(webhook_deliveries::status.eq(status::PENDING)),
    )
    .set((
        webhook_deliveries::next_attempt_at.eq(at),
        webhook_deliveries::attempts.eq(webhook_deliveries::attempts - 1),
    ))
    .execute(conn)
}

/// Makes endpoint `endpoint_id`'s pending deliveries due at `now` at the latest (it was just
/// re-enabled: what waited for it goes at the next pass). Returns how many.
///
/// # Errors
/// Database errors.
pub fn due_now_tx(
    conn: &mut PgConnection,
    endpoint_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
            .filter(webhook_deliveries::status.eq(status::PENDING))
            .filter(webhook_deliveries::next_attempt_at.gt(now)),
    )
    .set(webhook_deliveries::next_attempt_at.eq(now))
    .execute(conn)
}

/// An attempt as the deliveries list shows it: the attempt with its delivery's event and state.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct AttemptListRow {
    /// The attempt's id (the list's cursor).
    pub id: i64,
    /// The delivery.
    pub delivery_id: i64,
    /// 1 for the first.
    pub attempt: i32,
    /// When (UTC).
    pub attempted_at: DateTime<Utc>,
    /// HTTP status of the answer.
    pub status_code: Option<i32>,
    /// Answered 2xx.
    pub succeeded: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// Milliseconds.
    pub duration_ms: i32,
    /// The next attempt scheduled after this one.
    pub next_retry_at: Option<DateTime<Utc>>,
    /// The event.
    pub event_id: uuid::Uuid,
    /// Its type.
    pub event_type: String,
    /// The ticket.
    pub ticket_id: Option<i64>,
    /// The delivery's status now.
    pub delivery_status: String,
}

/// Endpoint `endpoint_id`'s attempts, newest first, before cursor `before` (an attempt id), at
/// most `limit`.
///
/// # Errors
/// Database errors.
pub fn attempts(
    conn: &mut PgConnection,
    endpoint_id: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AttemptListRow>> {
    let mut query = webhook_attempts::table
        .inner_join(webhook_deliveries::table)
        .filter(webhook_attempts::endpoint_id.eq(endpoint_id))
        .order(key_then_limit(
            "webhook_attempts.id DESC",
            literal_page(limit),
        ))
        .select((
            webhook_attempts::id,
            webhook_attempts::delivery_id,
            webhook_attempts::attempt,
            webhook_attempts::attempted_at,
            webhook_attempts::status_code,
            webhook_attempts::succeeded,
            webhook_attempts::error,
            webhook_attempts::duration_ms,
            webhook_attempts::next_retry_at,
            webhook_deliveries::event_id,
            webhook_deliveries::event_type,
            webhook_deliveries::ticket_id,
            webhook_deliveries::status,
        ))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_attempts::id.lt(before));
    }
    query.load(conn)
}
