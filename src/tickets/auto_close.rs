//! `auto_close`: closes tickets that have stayed `solved` for the configured delay (docs/
//! METRICS.md: default 4 days, as Zendesk). Each close goes through the ticket aggregate and is
//! recorded as a `status_changed` event by no staff member (the system), at the instant the close
//! fell due, in the same transaction as the row update.

use super::rules::RulesCache;
use crate::domain::ids::TicketId;
use crate::domain::ticket::{ClosePolicy, Command};
use crate::error::ApiError;
use crate::models::enums::DbTicketStatus;
use crate::models::ticket::{Ticket, TicketChangeset, state_of};
use crate::schema::tickets;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// Closes, in one transaction, up to `batch` tickets solved at or before `now − delay`, skipping
/// rows another writer holds. Returns the ids closed.
///
/// # Errors
/// Database errors, as [`ApiError`] (the transaction is rolled back).
pub fn close_due(
    conn: &mut PgConnection,
    rules: &RulesCache,
    now: DateTime<Utc>,
    delay: Duration,
    batch: i64,
) -> Result<Vec<TicketId>, ApiError> {
    conn.transaction(|conn| {
        let rules = rules.for_write_tx(conn)?;
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
            super::save_tx(
                conn,
                &rules,
                &ticket,
                &state,
                &TicketChangeset::default(),
                events,
                &[],
            )?;
            closed.push(TicketId::new(ticket.id));
        }
        Ok(closed)
    })
}
