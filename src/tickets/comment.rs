//! `comment`: a public reply or an internal note on a ticket. A requester's public comment
//! reopens a pending, on-hold or solved ticket (unless the agent keeps an on-hold ticket's hold);
//! on a closed ticket it starts a follow-up ([`super::follow_up`]), except on a merged duplicate:
//! then it goes to the ticket it was merged into ([`super::merge`]).
//!
//! A comment may carry the status (and pause reason) to set with it — what an agent does at once
//! ("reply and solve", "note and put on hold awaiting parts"): one transaction, whose events are
//! those of the comment followed by those of the status change, each followed by the notices it
//! causes, exactly as the two separate calls (`POST /comments`, then `PATCH` the status) would
//! append them at the same instant; the projection is refreshed once from that log, so the
//! metrics are the same. A status the state machine refuses writes nothing.

use super::rules::RulesCache;
use super::{Actor, command_error, follow_up, notify};
use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::{AuthorKind, Command, CommandError, TicketStatus};
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
    /// The status to set with the comment, after it (through the state machine, as a PATCH).
    pub status: Option<TicketStatus>,
    /// The pause reason (one of [`super::update::HOLD_REASONS`]): required with `status:
    /// on_hold`; alone, it changes the reason of a ticket on hold.
    pub hold_reason: Option<String>,
    /// A requester's comment on an on-hold ticket keeps the hold (no reopen).
    pub keep_hold: bool,
    /// The caller's `If-Match`: when given, the ticket's version must be this one.
    pub if_version: Option<i32>,
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
/// 404 for a ticket the caller cannot see; 412 when `if_version` is given and is not the
/// ticket's version; 422 naming `public` for a private requester comment or a technician's
/// public one, `author` when the ticket has no requester, `keep_hold` when it is not a
/// requester's comment on an on-hold ticket or comes with a status, `hold_reason` for `on_hold`
/// without one; 409 for a staff comment on a closed ticket, a status the state machine refuses
/// (naming `status`), or a solve or close while a work order of the ticket is open. On any error
/// nothing is written.
pub fn comment_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    id: TicketId,
    comment: &NewComment,
    actor: Option<Actor>,
    now: DateTime<Utc>,
) -> Result<Commented, ApiError> {
    let (cache, notices) = (rules, rules.notices());
    let rules = rules.for_write_tx(conn)?;
    let visibility = actor.map_or(Visibility::All, |a| a.visibility);
    let ticket =
        model::lock_tx(conn, id.get(), visibility).map_err(ApiError::not_found("ticket"))?;
    let (actor, by_technician) = (
        actor.map(|a| a.id),
        matches!(visibility, Visibility::Technician(_)),
    );
    if let Some(given) = comment.if_version
        && given != ticket.version
    {
        return Err(ApiError::PreconditionFailed {
            given: given.to_string(),
            current: ticket.version,
        });
    }
    let from_requester = comment.author == AuthorKind::Customer;
    let sets_status = comment.status.is_some() || comment.hold_reason.is_some();
    if comment.keep_hold {
        if !from_requester {
            return Err(ApiError::invalid_field(
                "keep_hold",
                "only a requester's comment releases a hold; an agent's never does",
            ));
        }
        if sets_status {
            return Err(ApiError::invalid_field(
                "keep_hold",
                "cannot go with status or hold_reason",
            ));
        }
    }
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
        if sets_status || comment.keep_hold {
            return Err(command_error(CommandError::Closed));
        }
        // A requester writing on a merged duplicate writes on the ticket it was merged into.
        if let Some(into) = ticket.merged_into_id {
            let actor = actor.map(|id| Actor { id, visibility });
            return comment_tx(conn, cache, TicketId::new(into), comment, actor, now);
        }
        let (follow_up, comment) =
            follow_up::follow_up_tx(conn, &rules, notices, &ticket, &comment.body, actor, now)?;
        return Ok(Commented {
            comment,
            ticket: follow_up,
            follow_up_of: Some(TicketId::new(ticket.id)),
        });
    }
    let mut state = state_of(&ticket);
    let command = if comment.keep_hold {
        Command::RequesterCommentKeepingHold
    } else {
        Command::Comment {
            author: comment.author,
            public: comment.public,
        }
    };
    let mut events = state
        .apply(&command, now, actor.map(UserId::get))
        .map_err(command_error)?;
    let told = if sets_status {
        if matches!(
            comment.status,
            Some(TicketStatus::Solved | TicketStatus::Closed)
        ) && comment.status != Some(state.status)
        {
            super::work_order::check_no_open_work(conn, ticket.id)?;
        }
        let changed = super::update::status_events(
            &mut state,
            comment.status,
            comment.hold_reason.as_deref(),
            actor.map(UserId::get),
            now,
        )?;
        if state.status == TicketStatus::Solved && ticket.status != DbTicketStatus::Solved {
            super::fields::check_solvable_tx(conn, &ticket.custom_fields)?;
        }
        // Each part's notices follow it, as after two separate calls.
        let both: Vec<_> = events.iter().chain(&changed).cloned().collect();
        let requester = notify::requester_for(conn, notices, ticket.requester_id, &both)?;
        let (told, notes) = notify::plan(notices, requester.as_ref(), &events);
        let (then, then_notes) = notify::plan(notices, requester.as_ref(), &changed);
        events.extend(notes);
        events.extend(changed);
        events.extend(then_notes);
        told.merge(then)
    } else {
        let requester = notify::requester_for(conn, notices, ticket.requester_id, &events)?;
        let (told, notes) = notify::plan(notices, requester.as_ref(), &events);
        events.extend(notes);
        told
    };
    let solves = super::problem::solves(&events);
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
    if let (true, Some(id)) = (solves, actor) {
        // A problem's public solving comment is the reply its incidents' requesters get.
        let reply = (comment.public && !from_requester).then_some(comment.body.as_str());
        let actor = Actor { id, visibility };
        super::problem::solve_incidents_tx(conn, cache, &saved, reply, actor, now)?;
    }
    let comment = written
        .pop()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("comment not written")))?;
    Ok(Commented {
        comment,
        ticket: saved,
        follow_up_of: None,
    })
}
