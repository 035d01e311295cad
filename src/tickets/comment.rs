//! `comment`: a public reply or an internal note on a ticket. A requester's public comment
//! reopens a pending, on-hold or solved ticket; on a closed ticket it starts a follow-up
//! ([`super::follow_up`]).

use super::rules::RulesCache;
use super::{Actor, command_error, follow_up, notify};
use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::{AuthorKind, Command};
use crate::error::ApiError;
use crate::models::enums::DbTicketStatus;
use crate::models::ticket::{
    self as model, CommentRow, Ticket, TicketChangeset, Visibility, state_of,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A parsed comment.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// Text (1–65,536 characters).
    pub body: String,
    /// Visible to the requester.
    pub public: bool,
    /// [`AuthorKind::Agent`] (the calling staff member) or [`AuthorKind::Customer`] (the
    /// requester's words, logged on their behalf: always public).
    pub author: AuthorKind,
}

/// What a comment wrote.
#[derive(Debug)]
pub struct Commented {
    /// The comment row.
    pub comment: CommentRow,
    /// The ticket after it (the new follow-up when the commented ticket was closed).
    pub ticket: Ticket,
    /// The closed ticket a follow-up was created for.
    pub follow_up_of: Option<TicketId>,
}

/// Adds `comment` by `actor` at `now` to ticket `id` (if `actor` may see it). `actor` is `None`
/// when no staff member is involved (a requester's reply by email): every ticket is visible and
/// the events carry no staff actor (`ticket_events.actor_user_id` NULL).
///
/// # Errors
/// 404 for a ticket the caller cannot see; 422 naming `public` for a private requester comment
/// or a technician's public one, `author` when the ticket has no requester; 409 for a staff
/// comment on a closed ticket.
pub fn comment_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    id: TicketId,
    comment: &NewComment,
    actor: Option<Actor>,
    now: DateTime<Utc>,
) -> Result<Commented, ApiError> {
    let notices = rules.notices();
    let rules = rules.for_write_tx(conn)?;
    let visibility = actor.map_or(Visibility::All, |a| a.visibility);
    let ticket =
        model::lock_tx(conn, id.get(), visibility).map_err(ApiError::not_found("ticket"))?;
    let (actor, by_technician) = (
        actor.map(|a| a.id),
        matches!(visibility, Visibility::Technician(_)),
    );
    let from_requester = comment.author == AuthorKind::Customer;
    if from_requester {
        if !comment.public {
            return Err(ApiError::invalid_field(
                "public",
                "a requester's comment is public",
            ));
        }
        if ticket.requester_id.is_none() {
            return Err(ApiError::invalid_field(
                "author",
                "this ticket has no requester",
            ));
        }
    }
    if by_technician && (comment.public || from_requester) {
        return Err(ApiError::invalid_field(
            "public",
            "technicians write internal notes only",
        ));
    }
    if ticket.status == DbTicketStatus::Closed && from_requester {
        let (follow_up, comment) =
            follow_up::follow_up_tx(conn, &rules, notices, &ticket, &comment.body, actor, now)?;
        return Ok(Commented {
            comment,
            ticket: follow_up,
            follow_up_of: Some(TicketId::new(ticket.id)),
        });
    }
    let mut state = state_of(&ticket);
    let mut events = state
        .apply(
            &Command::Comment {
                author: comment.author,
                public: comment.public,
            },
            now,
            actor.map(UserId::get),
        )
        .map_err(command_error)?;
    let requester = notify::requester_for(conn, notices, ticket.requester_id, &events)?;
    let (told, notes) = notify::plan(notices, requester.as_ref(), &events);
    events.extend(notes);
    let (saved, mut written) = super::save_tx(
        conn,
        &rules,
        &ticket,
        &state,
        &TicketChangeset::default(),
        events,
        std::slice::from_ref(&comment.body),
    )?;
    notify::write_tx(conn, notices, told, &saved, &written, now)?;
    let comment = written
        .pop()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("comment not written")))?;
    Ok(Commented {
        comment,
        ticket: saved,
        follow_up_of: None,
    })
}
