//! `import`: stores whole ticket histories read from outside (the event-log importer) with their
//! projections, skipping those already present.

use super::projection;
use super::rules::RulesCache;
use crate::models::ticket::{self as model, TicketHistory};
use crate::schema::tickets;
use diesel::prelude::*;

/// Stores `histories` (multi-row inserts) and their SLA clocks when any policy is active;
/// returns the external ids stored (a history whose external id exists is skipped, so a
/// concurrent import cannot duplicate it). Their metric projections come with them (computed
/// by the importer on the import team's calendar).
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub fn store_histories_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    histories: &[TicketHistory],
) -> QueryResult<Vec<String>> {
    let rules = rules.for_write_tx(conn)?;
    let stored = model::insert_histories_tx(conn, histories)?;
    if !rules.policies.is_empty() {
        let ids: Vec<i64> = tickets::table
            .filter(tickets::external_id.eq_any(&stored))
            .select(tickets::id)
            .load(conn)?;
        for id in ids {
            let ticket = tickets::table
                .find(id)
                .select(model::Ticket::as_select())
                .first(conn)?;
            let log = model::load_log(conn, id)?;
            let clocks = projection::clock_rows(&rules, &ticket, &log);
            crate::models::sla::store_clocks_tx(conn, id, &clocks, false)?;
        }
    }
    Ok(stored)
}

/// Stores one whole ticket — row in `state`, its log (`events`; `bodies`, one per
/// `comment_added` event) and projections — as [`super::create::create_tx`] would have
/// (the seed's domain writer). Returns the row.
///
/// # Errors
/// 422 naming the field of a foreign key that does not hold; database errors.
pub fn store_ticket_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    fields: &model::TicketFields,
    state: &crate::domain::ticket::TicketState,
    created_by: Option<i64>,
    events: &[crate::domain::ticket::TicketEvent],
    bodies: &[String],
) -> Result<model::Ticket, crate::error::ApiError> {
    let rules = rules.for_write_tx(conn)?;
    let created_by = created_by.map(crate::domain::ids::UserId::new);
    super::create::insert_tx(conn, &rules, fields, state, created_by, events, bodies)
        .map(|(ticket, _)| ticket)
}
