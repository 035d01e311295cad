//! Closes tickets that have stayed `solved` for the configured delay (docs/METRICS.md §2: default 4
//! days, as Zendesk). Each close goes through the ticket aggregate and is recorded as a
//! `status_changed` event by no staff member (the system), at the instant the close fell due, in
//! the same transaction as the row update.

use crate::db::PgPool;
use crate::domain::ticket::{ClosePolicy, Command};
use crate::models::enums::DbTicketStatus;
use crate::models::ticket::{self as model, Ticket, TicketChangeset, state_of};
use crate::schema::tickets;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// Closes, in one transaction, up to `batch` tickets solved at or before `now − delay`, skipping
/// rows another worker holds. Returns the ids closed.
///
/// # Errors
/// Database errors (the transaction is rolled back).
pub fn close_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    delay: Duration,
    batch: i64,
) -> QueryResult<Vec<i64>> {
    conn.transaction(|conn| {
        let due: Vec<Ticket> = tickets::table
            .filter(tickets::status.eq(DbTicketStatus::Solved))
            .filter(tickets::solved_at.le(now - delay))
            .order(tickets::solved_at.asc())
            .limit(batch)
            .for_update()
            .skip_locked()
            .select(Ticket::as_select())
            .load(conn)?;
        let mut closed = Vec::with_capacity(due.len());
        for ticket in due {
            let mut state = state_of(&ticket);
            // Recorded when the close fell due (solve + delay), not when this pass happened to
            // run, so a late worker (or imported history) closes at the right instant; never
            // before the ticket's latest event.
            let due = ticket.solved_at.map_or(now, |solved| solved + delay);
            let at = due.max(ticket.updated_at).min(now);
            // A solved ticket always closes; an error here would be a bug, so skip the row.
            let Ok(events) = state.apply(&Command::Close(ClosePolicy::RequireSolved), at, None)
            else {
                tracing::error!(
                    ticket.id = ticket.id,
                    "auto-close refused by the state machine"
                );
                continue;
            };
            model::save_tx(
                conn,
                &ticket,
                &state,
                &TicketChangeset::default(),
                &events,
                &[],
            )?;
            closed.push(ticket.id);
        }
        Ok(closed)
    })
}

/// Runs [`close_due`] every `interval` until the process stops.
pub async fn run(pool: PgPool, delay: Duration, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let pool = pool.clone();
        let result = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            close_due(&mut conn, Utc::now(), delay, 500).map_err(|e| e.to_string())
        })
        .await;
        match result {
            Ok(Ok(closed)) if !closed.is_empty() => {
                tracing::info!(target: "audit", count = closed.len(), "auto-closed solved tickets");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "auto-close failed; will retry"),
            Err(e) => tracing::error!(error = %e, "auto-close task panicked"),
        }
    }
}
