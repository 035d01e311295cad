//! `append_history_tx`: appends already-played events to a stored ticket (the seed's domain
//! writer, for what happens to a ticket after its work orders: the solve, reopens, the close).
//! Like [`super::import::store_ticket_tx`], the events come from the ticket state machine;
//! here they extend the stored log instead of starting it.

use super::rules::RulesCache;
use crate::domain::ticket::{TicketEvent, TicketState};
use crate::error::ApiError;
use crate::models::ticket::{self as model, Ticket, TicketChangeset, Visibility};
use diesel::prelude::*;

/// Appends `events` (and `bodies`, one per `comment_added` event) to ticket `ticket_id`'s log,
/// stores its new `state` (version + 1) and refreshes its projections. Returns the row.
///
/// # Errors
/// 404 for an unknown ticket; 409 when `events` start before the stored log's last event;
/// database errors.
pub fn append_history_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    ticket_id: i64,
    state: &TicketState,
    events: &[TicketEvent],
    bodies: &[String],
) -> Result<Ticket, ApiError> {
    let rules = rules.for_write_tx(conn)?;
    let ticket =
        model::lock_tx(conn, ticket_id, Visibility::All).map_err(ApiError::not_found("ticket"))?;
    if let Some(first) = events.first()
        && first.occurred_at < ticket.updated_at
    {
        return Err(ApiError::conflict_on(
            "out_of_order",
            "occurred_at",
            "the events start before the ticket's latest change",
        ));
    }
    let log = model::load_log(conn, ticket_id)?;
    super::save_with_log_tx(
        conn,
        &rules,
        &ticket,
        state,
        &TicketChangeset::default(),
        log,
        events.to_vec(),
        bodies,
    )
    .map(|(saved, _)| saved)
}
