//! `redact`: an admin removes text from a comment (a card number typed by mistake).
//!
//! One transaction, under the ticket's lock: every occurrence of the text in the comment's body
//! becomes [`REDACTION_MARKER`]; wherever the body was copied it goes too — the ticket's
//! description when the comment is the description (its first comment, the same text), the
//! ticket's full-text vector (rebuilt from the redacted texts by the `tickets` trigger), the
//! customer notice queued in the outbox for that reply (`agent_reply` rows of the comment, sent
//! or not: what was already emailed cannot be recalled) and, with the description, the stored
//! responses of idempotent creations of the ticket. The ticket's log gets a `comment_redacted` event with the admin, the
//! instant, the comment, how many occurrences and characters went — never the text (the log is
//! append-only, and no event ever holds a comment's body). The ticket's version goes up: its
//! content changed.

use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::{EventKind, REDACTION_MARKER, TicketEvent};
use crate::error::ApiError;
use crate::models::ticket::{self as model, CommentRow, Visibility};
use crate::schema::{comments, tickets};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// What a redaction did.
#[derive(Debug)]
pub struct Redacted {
    /// The comment after it.
    pub comment: CommentRow,
    /// Occurrences replaced (≥ 1).
    pub occurrences: i64,
    /// Characters removed (occurrences × the text's length in characters).
    pub characters_removed: i64,
    /// The ticket's description was redacted too.
    pub description: bool,
    /// The ticket's version after it.
    pub ticket_version: i32,
}

/// Replaces every occurrence of `text` in comment `comment_id` of ticket `ticket_id` by
/// [`REDACTION_MARKER`], by `actor` at `now`, and removes the text from every copy of the body
/// (module documentation).
///
/// # Errors
/// 404 for an unknown ticket, or a comment that is not one of its comments; 422 naming `text`
/// when it is empty or does not occur in the comment. On any error nothing is written.
pub fn redact_tx(
    conn: &mut PgConnection,
    ticket_id: TicketId,
    comment_id: i64,
    text: &str,
    actor: UserId,
    now: DateTime<Utc>,
) -> Result<Redacted, ApiError> {
    if text.is_empty() {
        return Err(ApiError::invalid_field("text", "must not be empty"));
    }
    let ticket = model::lock_tx(conn, ticket_id.get(), Visibility::All)
        .map_err(ApiError::not_found("ticket"))?;
    let comment: CommentRow = comments::table
        .filter(comments::id.eq(comment_id))
        .filter(comments::ticket_id.eq(ticket.id))
        .select(CommentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("comment"))?;
    let occurrences = i64::try_from(comment.body.matches(text).count()).unwrap_or(i64::MAX);
    if occurrences == 0 {
        return Err(ApiError::invalid_field(
            "text",
            "does not occur in the comment (matched exactly, case included)",
        ));
    }
    let characters_removed =
        occurrences.saturating_mul(i64::try_from(text.chars().count()).unwrap_or(i64::MAX));
    let body = comment.body.replace(text, REDACTION_MARKER);
    let comment: CommentRow = diesel::update(comments::table.find(comment.id))
        .set(comments::body.eq(&body))
        .returning(CommentRow::as_returning())
        .get_result(conn)?;
    // The description is the first comment's text: when this comment is it, redact it too.
    let description =
        ticket.description.contains(text) && first_comment_id(conn, ticket.id)? == Some(comment.id);
    let new_description = if description {
        ticket.description.replace(text, REDACTION_MARKER)
    } else {
        ticket.description.clone()
    };
    // Setting the description fires the trigger that rebuilds the full-text vector from the
    // subject, the description and the (now redacted) comments.
    let ticket_version: i32 = diesel::update(tickets::table.find(ticket.id))
        .set((
            tickets::description.eq(&new_description),
            tickets::version.eq(ticket.version + 1),
        ))
        .returning(tickets::version)
        .get_result(conn)?;
    scrub_outbox_tx(conn, comment.id, &body)?;
    if description {
        scrub_idempotent_responses_tx(conn, ticket.id, &new_description)?;
    }
    // After the log's latest event, so that the log stays in order.
    let log = model::load_log(conn, ticket.id)?;
    let occurred_at = log.last().map_or(now, |e| e.occurred_at.max(now));
    let first_seq = i32::try_from(log.len() + 1).unwrap_or(i32::MAX);
    let event = TicketEvent {
        occurred_at,
        actor: Some(actor.get()),
        kind: EventKind::CommentRedacted {
            comment_id: comment.id,
            occurrences,
            characters_removed,
            description,
        },
    };
    model::append_events_tx(conn, ticket.id, first_seq, &[event], &[])?;
    tracing::info!(target: "audit", { ticket.id = ticket.id, comment.id = comment.id, user.id = actor.get(), occurrences, characters_removed }, "comment redacted");
    Ok(Redacted {
        comment,
        occurrences,
        characters_removed,
        description,
        ticket_version,
    })
}

/// The id of the ticket's first comment (its description, when it has one).
fn first_comment_id(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Option<i64>> {
    comments::table
        .filter(comments::ticket_id.eq(ticket_id))
        .order(comments::id.asc())
        .select(comments::id)
        .first(conn)
        .optional()
}

/// Puts the redacted `body` in the `agent_reply` notices of comment `comment_id`.
fn scrub_outbox_tx(conn: &mut PgConnection, comment_id: i64, body: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE outbox SET data = jsonb_set(data, '{body}', to_jsonb($1::text)) \
         WHERE kind = 'agent_reply' AND data->>'comment_id' = $2::text",
    )
    .bind::<diesel::sql_types::Text, _>(body)
    .bind::<diesel::sql_types::Text, _>(comment_id.to_string())
    .execute(conn)
}

/// Puts the redacted `description` in the stored responses of idempotent creations of ticket
/// `ticket_id` (a creation's response is the ticket, description included). Only that field
/// changes: the rest of the stored response is left byte for byte.
fn scrub_idempotent_responses_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    description: &str,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE idempotency_keys \
         SET response_body = jsonb_set(response_body, '{description}', to_jsonb($1::text)) \
         WHERE response_body->>'id' = $2::text AND response_body ? 'description'",
    )
    .bind::<diesel::sql_types::Text, _>(description)
    .bind::<diesel::sql_types::Text, _>(ticket_id.to_string())
    .execute(conn)
}
