//! `sla_events`: records SLA breaches and warnings as ticket events (docs/METRICS.md "SLA":
//! a breach is recorded at the due instant).
//!
//! Each pass looks for running clocks whose due (or warning) instant has passed, and for breaches
//! already visible in a ticket's log, and appends one event per (ticket, target, instant) with that
//! instant as its time — also when the pass runs late or after a restart. A unique index on
//! `ticket_events` makes the record exactly-once, however many service copies run the pass;
//! tickets are claimed with `FOR UPDATE SKIP LOCKED` so copies share the work.

use crate::domain::sla::{breach_due, event_data, warning_due};
use crate::schema::{ticket_sla_clocks as c, tickets};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Text, Timestamptz};

/// What a pass recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// `(ticket id, target, due instant)` of each breach event written.
    pub breaches: Vec<(i64, String, DateTime<Utc>)>,
    /// `(ticket id, target, warning instant)` of each warning event written.
    pub warnings: Vec<(i64, String, DateTime<Utc>)>,
}

type Row = (
    i64,
    String,
    i64,
    bool,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// Appends an SLA event unless the same (ticket, kind, target, instant) is already recorded.
/// Returns whether it was written.
fn record_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    kind: &str,
    target: &str,
    at: DateTime<Utc>,
    policy_id: i64,
) -> QueryResult<bool> {
    let seq = crate::models::ticket::next_seq(conn, ticket_id)?;
    let data = event_data(kind, target, at, policy_id);
    let written = diesel::sql_query(
        "INSERT INTO ticket_events (ticket_id, seq, kind, occurred_at, data)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ticket_id, kind, (data->>'target'), (data->>'at'))
             WHERE kind IN ('sla_breached', 'sla_warning') DO NOTHING",
    )
    .bind::<BigInt, _>(ticket_id)
    .bind::<diesel::sql_types::Integer, _>(seq)
    .bind::<Text, _>(kind)
    .bind::<Timestamptz, _>(at)
    .bind::<Jsonb, _>(data)
    .execute(conn)?;
    Ok(written == 1)
}

/// How long one transaction of a pass goes on locking tickets: it commits (and releases them)
/// once it has held its first ticket this long, so a write waits at most about this plus one
/// ticket's events for a pass.
pub const HOLD: std::time::Duration = std::time::Duration::from_millis(20);

/// The clocks with a warning or a breach to record at `now` (see [`record_due`]).
macro_rules! due_at {
    ($now:expr) => {
        c::running
            .eq(true)
            .and(c::warning_recorded.eq(false))
            .and(c::warning_at.le($now))
            .or(c::breach_recorded.eq(false).and(
                c::breached_at
                    .is_not_null()
                    .or(c::running.eq(true).and(c::due_at.le($now))),
            ))
    };
}

/// One pass at instant `now` over at most `batch` clocks: records due breaches and warnings.
///
/// The due clocks are read first without a lock. Their tickets are then taken one at a time, in
/// that order, each locked (`FOR UPDATE SKIP LOCKED`: a ticket a writer holds is left to the
/// next pass) before its due clocks are read again and recorded; a transaction commits once it
/// has held its tickets for [`HOLD`]. So the pass takes a ticket's locks in the order every
/// writer of its clocks does (the ticket, then its clocks), never waits for a ticket, and holds
/// none for long. It commits without waiting for the disk: events lost in a crash are recorded
/// again by the next pass, at the same instants.
///
/// # Errors
/// Database errors (the transactions already committed stay: each event is recorded once
/// anyway).
pub fn record_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> QueryResult<Recorded> {
    let mut due: Vec<i64> = c::table
        .filter(due_at!(now))
        .order((c::ticket_id, c::kind))
        .limit(batch)
        .select(c::ticket_id)
        .load(conn)?;
    due.dedup();
    let mut recorded = Recorded::default();
    if due.is_empty() {
        return Ok(recorded);
    }
    // Who wants `sla.breached` (docs/WEBHOOKS.md): read once per pass that has work.
    let subscriptions = crate::models::webhook::Subscriptions::load(conn)?;
    let mut next = 0;
    while next < due.len() {
        conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL synchronous_commit = off").execute(conn)?;
            let started = std::time::Instant::now();
            while let Some(ticket_id) = due.get(next).copied() {
                if started.elapsed() >= HOLD {
                    break;
                }
                next += 1;
                record_ticket_tx(conn, ticket_id, now, &subscriptions, &mut recorded)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(recorded)
}

/// Locks ticket `ticket_id` unless someone else holds it, and records its due events; each
/// breach recorded queues its `sla.breached` webhook deliveries in the same transaction.
fn record_ticket_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    now: DateTime<Utc>,
    subscriptions: &crate::models::webhook::Subscriptions,
    recorded: &mut Recorded,
) -> QueryResult<()> {
    // Lock the ticket so an event's `seq` does not race a write of the ticket; a ticket a
    // writer (an API write, the auto-close worker, the re-projection) holds is left to the next
    // pass. Never waiting here matters: the pass must not hold other tickets while it waits.
    let free: Option<crate::models::ticket::Ticket> = tickets::table
        .find(ticket_id)
        .select(crate::models::ticket::Ticket::as_select())
        .for_update()
        .skip_locked()
        .first(conn)
        .optional()?;
    let Some(ticket) = free else {
        return Ok(());
    };
    // Only writers holding the ticket change its clocks: these rows are stable now.
    let rows: Vec<Row> = c::table
        .filter(c::ticket_id.eq(ticket_id))
        .filter(due_at!(now))
        .order(c::kind)
        .select((
            c::ticket_id,
            c::kind,
            c::policy_id,
            c::running,
            c::due_at,
            c::warning_at,
            c::breached_at,
        ))
        .load(conn)?;
    for (ticket_id, kind, policy_id, running, due_at, warning_at, breached_at) in rows {
        let this = || c::table.find((ticket_id, kind.clone()));
        if let Some(at) = warning_due(running, warning_at, now) {
            if record_tx(conn, ticket_id, "sla_warning", &kind, at, policy_id)? {
                recorded.warnings.push((ticket_id, kind.clone(), at));
            }
            diesel::update(this())
                .set(c::warning_recorded.eq(true))
                .execute(conn)?;
        }
        if let Some(at) = breach_due(running, due_at, breached_at, now) {
            if record_tx(conn, ticket_id, "sla_breached", &kind, at, policy_id)? {
                recorded.breaches.push((ticket_id, kind.clone(), at));
                super::webhooks::enqueue_breach_tx(
                    conn,
                    subscriptions,
                    &ticket,
                    &kind,
                    at,
                    policy_id,
                    now,
                )?;
            }
            diesel::update(this())
                .set(c::breach_recorded.eq(true))
                .execute(conn)?;
        }
    }
    Ok(())
}
