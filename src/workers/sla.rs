//! Records SLA breaches and warnings as ticket events (docs/METRICS.md §6 "Events": an
//! `sla_breached` event at the due instant).
//!
//! Each pass looks for running clocks whose due (or warning) instant has passed, and for breaches
//! already visible in a ticket's log, and appends one event per (ticket, target, instant) with that
//! instant as its time — also when the pass runs late or after a restart. A unique index on
//! `ticket_events` makes the record exactly-once, however many service copies run the worker;
//! rows are claimed with `FOR UPDATE SKIP LOCKED` so copies share the work.

use crate::db::PgPool;
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

/// The `ticket_events.data` of an SLA event (`kind` = `sla_breached` or `sla_warning`) as the
/// worker records it.
pub fn event_data(
    kind: &str,
    target: &str,
    at: DateTime<Utc>,
    policy_id: i64,
) -> serde_json::Value {
    serde_json::json!({
        "kind": kind, "target": target, "at": at.to_rfc3339(), "policy_id": policy_id
    })
}

/// The instant of a clock's warning when it is due at `now`: a running clock past `warning_at`.
fn warning_instant(
    running: bool,
    warning_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    warning_at.filter(|w| running && *w <= now)
}

/// The instant of a clock's breach when it is due at `now`: the recorded breach, or the due
/// instant of a running clock past it.
fn breach_instant(
    running: bool,
    due_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    breached_at.or(due_at.filter(|d| running && *d <= now))
}

/// One SLA event a pass records: `(event kind, target, instant, policy id)`.
pub type DueEvent = (&'static str, &'static str, DateTime<Utc>, i64);

/// What one pass at `now` records for one ticket's freshly stored clocks, in the order the pass
/// appends them (clocks by target name; per clock the warning, then the breach), marking the
/// rows' `*_recorded` flags as the pass does. Used by the bulk loader so that its event logs are
/// those a pass would have written.
pub fn due_events(rows: &mut [crate::models::sla::ClockRow], now: DateTime<Utc>) -> Vec<DueEvent> {
    rows.sort_by_key(|r| r.kind);
    let mut events = Vec::new();
    for r in rows.iter_mut() {
        if let Some(at) =
            warning_instant(r.running, r.warning_at, now).filter(|_| !r.warning_recorded)
        {
            events.push(("sla_warning", r.kind, at, r.policy_id));
            r.warning_recorded = true;
        }
        let breach = breach_instant(r.running, r.due_at, r.breached_at, now);
        if let Some(at) = breach.filter(|_| !r.breach_recorded) {
            events.push(("sla_breached", r.kind, at, r.policy_id));
            r.breach_recorded = true;
        }
    }
    events
}

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

/// One pass at instant `now` over at most `batch` clocks: records due breaches and warnings.
///
/// # Errors
/// Database errors (the pass's transaction is rolled back).
pub fn record_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> QueryResult<Recorded> {
    conn.transaction(|conn| {
        let rows: Vec<Row> = c::table
            .filter(
                c::running
                    .eq(true)
                    .and(c::warning_recorded.eq(false))
                    .and(c::warning_at.le(now))
                    .or(c::breach_recorded.eq(false).and(
                        c::breached_at
                            .is_not_null()
                            .or(c::running.eq(true).and(c::due_at.le(now))),
                    )),
            )
            .order((c::ticket_id, c::kind))
            .limit(batch)
            .for_update()
            .skip_locked()
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
        let mut recorded = Recorded::default();
        for (ticket_id, kind, policy_id, running, due_at, warning_at, breached_at) in rows {
            // Lock the ticket so an event's `seq` does not race a write of the ticket; a ticket a
            // writer holds is left to the next pass. Never waiting here matters: the writer
            // (an API write, the auto-close worker) replaces this ticket's clock rows, which this
            // pass holds, so waiting for it would deadlock.
            let free: Option<i64> = tickets::table
                .find(ticket_id)
                .select(tickets::id)
                .for_update()
                .skip_locked()
                .first(conn)
                .optional()?;
            if free.is_none() {
                continue;
            }
            let this = || c::table.find((ticket_id, kind.clone()));
            if let Some(at) = warning_instant(running, warning_at, now) {
                if record_tx(conn, ticket_id, "sla_warning", &kind, at, policy_id)? {
                    recorded.warnings.push((ticket_id, kind.clone(), at));
                }
                diesel::update(this())
                    .set(c::warning_recorded.eq(true))
                    .execute(conn)?;
            }
            if let Some(at) = breach_instant(running, due_at, breached_at, now) {
                if record_tx(conn, ticket_id, "sla_breached", &kind, at, policy_id)? {
                    recorded.breaches.push((ticket_id, kind.clone(), at));
                }
                diesel::update(this())
                    .set(c::breach_recorded.eq(true))
                    .execute(conn)?;
            }
        }
        Ok(recorded)
    })
}

/// Runs [`record_due`] every `interval` until the process stops.
pub async fn run(pool: PgPool, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let pool = pool.clone();
        let result = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            record_due(&mut conn, Utc::now(), 1000).map_err(|e| e.to_string())
        })
        .await;
        match result {
            Ok(Ok(r)) if !r.breaches.is_empty() || !r.warnings.is_empty() => tracing::info!(
                target: "audit",
                breaches = r.breaches.len(),
                warnings = r.warnings.len(),
                "SLA events recorded"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "SLA pass failed; will retry"),
            Err(e) => tracing::error!(error = %e, "SLA task panicked"),
        }
    }
}
