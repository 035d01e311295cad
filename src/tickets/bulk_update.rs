//! `bulk_update`: the same changes to many tickets (`POST /tickets/bulk`, up to
//! [`MAX_TICKETS`]), as Zendesk's "update many": each ticket is changed by the single-ticket use
//! cases — its field changes as one `PATCH /tickets/{id}` ([`super::update`]), then the macro
//! as `POST /tickets/{id}/macros/{macro_id}/apply` ([`super::macros`]) — so every change is its
//! own audited event by the caller, exactly as the single calls would write it. The caller runs
//! [`apply_tx`] once per ticket, each in a transaction of its own: a ticket that refuses a change
//! writes nothing, the others are changed (all-or-nothing per ticket), and the response gives
//! each ticket's result.

use super::Actor;
use super::macros;
use super::rules::RulesCache;
use super::update::{self, TicketUpdate, Updated};
use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::TicketStatus;
use crate::error::ApiError;
use crate::models::macros::MacroRow;
use crate::models::ticket::{self as model, Ticket};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Most tickets in one call.
pub const MAX_TICKETS: usize = 100;

/// The changes of a bulk update, already parsed (tags normalised, a known pause reason, the
/// macro one the caller may apply). Absent ones change nothing.
#[derive(Debug, Clone, Default)]
pub struct BulkChanges {
    /// Status (through the state machine); `on_hold` needs `hold_reason`.
    pub status: Option<TicketStatus>,
    /// Pause reason with `status: on_hold`.
    pub hold_reason: Option<String>,
    /// Assignee (`Some(None)` unassigns).
    pub assignee: Option<Option<UserId>>,
    /// Tags to add (kept in order, after the ticket's own).
    pub add_tags: Vec<String>,
    /// Tags to remove.
    pub remove_tags: Vec<String>,
    /// A macro to apply after the field changes.
    pub macro_row: Option<MacroRow>,
}

impl BulkChanges {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.hold_reason.is_none()
            && self.assignee.is_none()
            && self.add_tags.is_empty()
            && self.remove_tags.is_empty()
            && self.macro_row.is_none()
    }
}

/// What a bulk update did to one ticket.
#[derive(Debug)]
pub enum Outcome {
    /// Changed: the ticket after it.
    Updated(Ticket),
    /// Nothing to change: the ticket as it is.
    Unchanged(Ticket),
}

/// Applies `changes` to ticket `id` by `actor` at `now`: the field changes as one PATCH of the
/// ticket's current version, then the macro. Call in a transaction of the ticket's own.
///
/// # Errors
/// Whatever the PATCH or the macro refuses (404 for a ticket the caller cannot see, 409 for a
/// closed ticket or a refused transition, 422 naming the field); the caller's transaction then
/// rolls back and the ticket keeps everything it had.
pub fn apply_tx(
    conn: &mut PgConnection,
    cache: &RulesCache,
    id: TicketId,
    changes: &BulkChanges,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    // The version the PATCH applies to is the one this transaction locks.
    let ticket =
        model::lock_tx(conn, id.get(), actor.visibility).map_err(ApiError::not_found("ticket"))?;
    let tags = (!changes.add_tags.is_empty() || !changes.remove_tags.is_empty()).then(|| {
        let mut tags: Vec<String> = ticket
            .tags
            .iter()
            .filter(|t| !changes.remove_tags.contains(t))
            .cloned()
            .collect();
        for t in &changes.add_tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        tags
    });
    let fields = TicketUpdate {
        status: changes.status,
        hold_reason: changes.hold_reason.clone(),
        assignee: changes.assignee,
        tags: tags.filter(|t| *t != ticket.tags),
        ..TicketUpdate::default()
    };
    let mut changed = false;
    let mut saved = match update::update_tx(conn, cache, id, ticket.version, &fields, actor, now)? {
        Updated::Changed(t) => {
            changed = true;
            t
        }
        Updated::Unchanged(t) => t,
    };
    if let Some(mac) = &changes.macro_row {
        saved = macros::apply_tx(conn, cache, id, mac, None, actor, now)?.ticket;
        changed = true;
    }
    Ok(if changed {
        Outcome::Updated(saved)
    } else {
        Outcome::Unchanged(saved)
    })
}
