//! Imported histories: whole ticket histories (final state, event log, comments, projection)
//! stored with multi-row inserts by the event-log importer.

use super::{NewComment, NewTicket, NewTicketEvent, TicketMetricsRow};
use crate::domain::metrics::TicketMetrics;
use crate::domain::ticket::{EventKind, TicketEvent, TicketState};
use crate::schema::{comments, ticket_events, ticket_metrics, tickets};
use diesel::prelude::*;
use std::collections::HashMap;

/// A whole ticket history ready to store: its final state, its event log (the `created` event
/// first), the body of each comment event in log order, and its metric projection.
#[derive(Debug, Clone)]
pub struct TicketHistory {
    /// Id in the source (unique within `source`).
    pub external_id: String,
    /// The outside data set's label (`tickets.source`); `None` for the company's own history.
    pub source: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Channel it came in by, when the source says.
    pub channel: Option<crate::models::enums::TicketChannel>,
    /// Team owning the ticket.
    pub team_id: Option<i64>,
    /// Staff member who created it.
    pub created_by: Option<i64>,
    /// State after the last event.
    pub state: TicketState,
    /// The event log.
    pub events: Vec<TicketEvent>,
    /// One body per `comment_added` event, in log order.
    pub comment_bodies: Vec<String>,
    /// Projection of `events`.
    pub metrics: TicketMetrics,
}

/// External ids among `candidates` that already name a ticket of `source` (`None`: the
/// company's own tickets).
///
/// # Errors
/// Database errors.
pub fn existing_external_ids(
    conn: &mut PgConnection,
    source: Option<&str>,
    candidates: &[&str],
) -> QueryResult<Vec<String>> {
    let mut found = Vec::new();
    for chunk in candidates.chunks(10_000) {
        let rows: Vec<Option<String>> = tickets::table
            .filter(tickets::external_id.eq_any(chunk))
            .filter(tickets::source.is_not_distinct_from(source))
            .select(tickets::external_id)
            .load(conn)?;
        found.extend(rows.into_iter().flatten());
    }
    Ok(found)
}

/// Stores ticket histories with multi-row inserts, inside the caller's transaction. A history
/// whose external id already exists in its source is skipped (so a concurrent import cannot duplicate it).
/// Returns the external ids stored.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub fn insert_histories_tx(
    conn: &mut PgConnection,
    histories: &[TicketHistory],
) -> QueryResult<Vec<String>> {
    // Each chunk stays well below PostgreSQL's 65,535 bind parameters per statement.
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(histories.len());
    for chunk in histories.chunks(2_000) {
        let rows: Vec<NewTicket> = chunk
            .iter()
            .map(|h| NewTicket {
                external_id: Some(&h.external_id),
                source: h.source.as_deref(),
                subject: &h.subject,
                description: "",
                status: h.state.status.into(),
                priority: h.state.priority.into(),
                channel: h.channel,
                team_id: h.team_id,
                assignee_id: h.state.assignee,
                created_by_id: h.created_by,
                version: i32::try_from(h.events.len()).unwrap_or(i32::MAX),
                created_at: h.state.created_at,
                updated_at: h.state.updated_at,
                solved_at: h.state.solved_at,
                closed_at: h.state.closed_at,
            })
            .collect();
        let inserted: Vec<(i64, Option<String>)> = diesel::insert_into(tickets::table)
            .values(&rows)
            // The one unique key an import can meet is (source, external id)
            // (`tickets_source_external_id_key`, an index on an expression: no conflict target).
            .on_conflict_do_nothing()
            .returning((tickets::id, tickets::external_id))
            .get_results(conn)?;
        ids.extend(
            inserted
                .into_iter()
                .filter_map(|(id, ext)| ext.map(|e| (e, id))),
        );
    }

    let stored: Vec<(i64, &TicketHistory)> = histories
        .iter()
        .filter_map(|h| ids.get(&h.external_id).map(|id| (*id, h)))
        .collect();

    let mut events = Vec::new();
    let mut new_comments = Vec::new();
    for (ticket_id, h) in &stored {
        let mut bodies = h.comment_bodies.iter();
        for (i, event) in h.events.iter().enumerate() {
            let seq = i32::try_from(i + 1).unwrap_or(i32::MAX);
            events.push(NewTicketEvent::from_domain(*ticket_id, seq, event));
            if let EventKind::CommentAdded { author, public } = event.kind {
                new_comments.push(NewComment {
                    ticket_id: *ticket_id,
                    author_kind: author.into(),
                    author_user_id: event.actor,
                    public,
                    body: bodies.next().map(String::as_str).unwrap_or(""),
                    created_at: event.occurred_at,
                });
            }
        }
    }
    for chunk in events.chunks(5_000) {
        diesel::insert_into(ticket_events::table)
            .values(chunk)
            .execute(conn)?;
    }
    for chunk in new_comments.chunks(5_000) {
        diesel::insert_into(comments::table)
            .values(chunk)
            .execute(conn)?;
    }
    // Attribution reads the staff and teams as they are now recorded (the importer creates
    // its staff before their tickets).
    let directory = crate::tickets::attribution::Directory::load(conn)?;
    let metrics: Vec<TicketMetricsRow> = stored
        .iter()
        .map(|(id, h)| {
            let credit = crate::tickets::attribution::attribute(
                &h.events,
                h.team_id,
                h.state.assignee,
                h.created_by,
                &h.metrics,
                &directory,
            );
            TicketMetricsRow::new(*id, &h.metrics, &credit)
        })
        .collect();
    // 40 columns a row: 1,000 rows stay under PostgreSQL's 65,535 bind parameters.
    for chunk in metrics.chunks(1_000) {
        diesel::insert_into(ticket_metrics::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(stored.iter().map(|(_, h)| h.external_id.clone()).collect())
}
