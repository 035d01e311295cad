//! `outbox`: the emails to send, written in the transaction of the change that causes them and
//! sent by the outbox worker ([`crate::workers::outbox`]).
//!
//! A row is `pending` until sent (`sent`), given up on after the configured attempts (`dead`, a
//! dead letter an admin may re-queue), or `cancelled` (a survey invitation whose ticket was
//! reopened or whose survey was answered). Claiming moves `next_attempt_at` forward by a lease
//! and counts the attempt, in one statement over rows locked `FOR UPDATE SKIP LOCKED`: workers of
//! several service copies never claim one row together, and a worker that dies after claiming
//! leaves the row to be claimed again once the lease is over (at least once, never lost).

use crate::models::fixed_sql::{key_then_limit, literal_page};
use crate::schema::outbox;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Statuses of a row.
pub mod status {
    /// Waiting for its next attempt.
    pub const PENDING: &str = "pending";
    /// Delivered to the transport.
    pub const SENT: &str = "sent";
    /// Given up after the configured attempts (a dead letter).
    pub const DEAD: &str = "dead";
    /// Not to be sent any more.
    pub const CANCELLED: &str = "cancelled";
}

/// An `outbox` row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = outbox, check_for_backend(diesel::pg::Pg))]
pub struct OutboxRow {
    /// Id (part of the message's `Message-ID`).
    pub id: i64,
    /// The notice (`ticket_received`, `agent_reply`, …).
    pub kind: String,
    /// Unique per (event, recipient).
    pub dedupe_key: String,
    /// The ticket it is about.
    pub ticket_id: Option<i64>,
    /// The customer it goes to.
    pub customer_id: Option<i64>,
    /// The address it goes to.
    pub recipient: String,
    /// The [`crate::notify::notice::Notice`] as JSON.
    pub data: serde_json::Value,
    /// `pending`, `sent`, `dead` or `cancelled`.
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
    pub sent_at: Option<DateTime<Utc>>,
    /// Moved to the dead letters (UTC).
    pub dead_at: Option<DateTime<Utc>>,
}

/// A message to queue.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutbox {
    /// The notice kind.
    pub kind: &'static str,
    /// Unique per (event, recipient).
    pub dedupe_key: String,
    /// The ticket.
    pub ticket_id: Option<i64>,
    /// The customer.
    pub customer_id: Option<i64>,
    /// The address.
    pub recipient: String,
    /// The notice.
    pub data: serde_json::Value,
    /// First attempt (now, or a survey invitation's due instant).
    pub next_attempt_at: DateTime<Utc>,
    /// Now.
    pub created_at: DateTime<Utc>,
}

/// Queues `rows` (one statement); a row whose dedupe key is already queued is skipped. Returns
/// how many were queued.
///
/// # Errors
/// Database errors.
pub fn enqueue_tx(conn: &mut PgConnection, rows: &[NewOutbox]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(outbox::table)
        .values(rows)
        .on_conflict(outbox::dedupe_key)
        .do_nothing()
        .execute(conn)
}

/// Claims up to `limit` rows due at `now` (oldest due first): each is counted as an attempt and
/// hidden from other workers until `now + lease`, in a transaction of its own (two statements:
/// the due rows locked `FOR UPDATE SKIP LOCKED`, then their update).
///
/// # Errors
/// Database errors.
pub fn claim(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    conn.transaction(|conn| {
        let due: Vec<i64> = outbox::table
            .filter(outbox::status.eq(status::PENDING))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::next_attempt_at.asc())
            .limit(limit)
            .select(outbox::id)
            .for_update()
            .skip_locked()
            .load(conn)?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&due)))
            .set((
                outbox::next_attempt_at.eq(now + lease),
                outbox::attempts.eq(outbox::attempts + 1),
            ))
            .returning(OutboxRow::as_returning())
            .get_results(conn)
    })
}

/// Marks rows `(id, recipient)` sent at `now`, recording the address each went to (a customer
/// may have corrected it while the row waited). One statement.
///
/// # Errors
/// Database errors.
pub fn mark_sent_to(
    conn: &mut PgConnection,
    sent: &[(i64, String)],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    if sent.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = sent.iter().map(|(id, _)| *id).collect();
    let recipients: Vec<&str> = sent.iter().map(|(_, r)| r.as_str()).collect();
    diesel::sql_query(
        "UPDATE outbox SET status = 'sent', sent_at = $3, recipient = s.recipient \
         FROM unnest($1::bigint[], $2::text[]) AS s(id, recipient) \
         WHERE outbox.id = s.id AND outbox.status = 'pending'",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(recipients)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .execute(conn)
}

/// Records a failed attempt of row `id`: retried at `retry_at`, or a dead letter at `now` when
/// `dead`.
///
/// # Errors
/// Database errors.
pub fn mark_failed(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
    dead: bool,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let error: String = error.chars().take(2_000).collect();
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::status.eq(status::PENDING));
    if dead {
        diesel::update(target)
            .set((
                outbox::status.eq(status::DEAD),
                outbox::dead_at.eq(now),
                outbox::last_error.eq(error),
            ))
            .execute(conn)
    } else {
        diesel::update(target)
            .set((
                outbox::next_attempt_at.eq(retry_at),
                outbox::last_error.eq(error),
            ))
            .execute(conn)
    }
}

/// Cancels rows `ids` that are still pending (not to be sent: e.g. a message that cannot be
/// rendered), keeping `reason` as the last error.
///
/// # Errors
/// Database errors.
pub fn cancel(conn: &mut PgConnection, ids: &[i64], reason: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq(status::PENDING)),
    )
    .set((
        outbox::status.eq(status::CANCELLED),
        outbox::last_error.eq(reason),
    ))
    .execute(conn)
}

/// Cancels every pending message to customer `customer_id` (they unsubscribed). Returns how
/// many.
///
/// # Errors
/// Database errors.
pub fn cancel_for_customer_tx(conn: &mut PgConnection, customer_id: i64) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::customer_id.eq(customer_id))
            .filter(outbox::status.eq(status::PENDING)),
    )
    .set((
        outbox::status.eq(status::CANCELLED),
        outbox::last_error.eq("the customer opted out of email"),
    ))
    .execute(conn)
}

/// Cancels a ticket's pending survey invitations (the ticket was reopened, or answered).
///
/// # Errors
/// Database errors.
pub fn cancel_survey_invitations_tx(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::ticket_id.eq(ticket_id))
            .filter(outbox::kind.eq("survey_invitation"))
            .filter(outbox::status.eq(status::PENDING)),
    )
    .set(outbox::status.eq(status::CANCELLED))
    .execute(conn)
}

/// Dead letters, newest first, after cursor `before` (a row id), at most `limit`.
///
/// # Errors
/// Database errors.
pub fn dead_letters(
    conn: &mut PgConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut query = outbox::table
        .filter(outbox::status.eq(status::DEAD))
        // The page size written into the statement: see `KeyThenLimit` for why it is not bound.
        .order(key_then_limit("outbox.id DESC", literal_page(limit)))
        .select(OutboxRow::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(outbox::id.lt(before));
    }
    query.load(conn)
}

/// Re-queues dead letter `id` for an attempt at `now` with a fresh count of attempts; `None`
/// when there is no such dead letter.
///
/// # Errors
/// Database errors.
pub fn requeue(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Option<OutboxRow>> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq(status::DEAD)),
    )
    .set((
        outbox::status.eq(status::PENDING),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::dead_at.eq(None::<DateTime<Utc>>),
    ))
    .returning(OutboxRow::as_returning())
    .get_result(conn)
    .optional()
}

/// One row.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<OutboxRow> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
}
