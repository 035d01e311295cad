//! `attach`: files on a comment (written with the comment, in its transaction) and their
//! redaction (an admin removes a file: its stored bytes go, its row stays as `redacted`).
//!
//! Each file is a `attachment_added` event after the comment's events (attachment, comment,
//! sniffed type, size, SHA-256 — never the file name, which a redaction must be able to remove);
//! a redaction is an `attachment_redacted` event and raises the ticket's version.

use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::{EventKind, TicketEvent};
use crate::error::ApiError;
use crate::models::attachment::{self, AttachmentRow, NewAttachment};
use crate::models::ticket::{self as model, Visibility};
use crate::schema::{attachments, ticket_events, tickets};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A file already in the attachment store, to record on a comment.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Cleaned file name.
    pub filename: String,
    /// Sniffed content type.
    pub content_type: String,
    /// Size, bytes.
    pub size_bytes: i64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Its key in the store.
    pub storage_key: String,
}

/// The instant and sequence number after ticket `ticket_id`'s latest event (`now` when later).
fn next_slot(
    conn: &mut PgConnection,
    ticket_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<(i32, DateTime<Utc>)> {
    let (seq, at): (Option<i32>, Option<DateTime<Utc>>) = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .select((
            diesel::dsl::max(ticket_events::seq),
            diesel::dsl::max(ticket_events::occurred_at),
        ))
        .first(conn)?;
    Ok((
        seq.unwrap_or(0).saturating_add(1),
        at.map_or(now, |at| at.max(now)),
    ))
}

/// Records `files` on comment `comment_id` of ticket `ticket_id` (the comment just written in
/// this transaction, by `actor` at `now`): their rows and one `attachment_added` event each.
///
/// # Errors
/// A database error (the caller's transaction then writes nothing).
pub fn attach_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    comment_id: i64,
    files: &[StoredFile],
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Vec<AttachmentRow>, ApiError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<NewAttachment<'_>> = files
        .iter()
        .map(|f| NewAttachment {
            ticket_id,
            comment_id,
            filename: &f.filename,
            content_type: &f.content_type,
            size_bytes: f.size_bytes,
            sha256: &f.sha256,
            storage_key: &f.storage_key,
            uploaded_by_id: actor.map(UserId::get),
            created_at: now,
        })
        .collect();
    let written = attachment::insert_tx(conn, &rows)?;
    let (first_seq, occurred_at) = next_slot(conn, ticket_id, now)?;
    let events: Vec<TicketEvent> = written
        .iter()
        .map(|a| TicketEvent {
            occurred_at,
            actor: actor.map(UserId::get),
            kind: EventKind::AttachmentAdded {
                attachment_id: a.id,
                comment_id,
                content_type: a.content_type.clone(),
                size_bytes: a.size_bytes,
                sha256: a.sha256.clone(),
            },
        })
        .collect();
    model::append_events_tx(conn, ticket_id, first_seq, &events, &[])?;
    Ok(written)
}

/// The file name a redacted attachment keeps.
pub const REDACTED_FILENAME: &str = "redacted";

/// Marks attachment `attachment_id` of ticket `ticket_id` redacted by `actor` at `now` (its
/// bytes already deleted from the store by the caller): the name becomes
/// [`REDACTED_FILENAME`], an `attachment_redacted` event is appended and the ticket's version
/// goes up. Returns the row after it and the ticket's new version.
///
/// # Errors
/// 404 for an unknown ticket or an attachment that is not one of its (or is redacted already).
pub fn redact_tx(
    conn: &mut PgConnection,
    ticket_id: TicketId,
    attachment_id: i64,
    actor: UserId,
    now: DateTime<Utc>,
) -> Result<(AttachmentRow, i32), ApiError> {
    let ticket = model::lock_tx(conn, ticket_id.get(), Visibility::All)
        .map_err(ApiError::not_found("ticket"))?;
    let row = attachment::find(conn, ticket.id, attachment_id)?
        .filter(|a| a.redacted_at.is_none())
        .ok_or(ApiError::NotFound("attachment"))?;
    let row: AttachmentRow = diesel::update(attachments::table.find(row.id))
        .set((
            attachments::filename.eq(REDACTED_FILENAME),
            attachments::redacted_at.eq(now),
            attachments::redacted_by_id.eq(actor.get()),
        ))
        .returning(AttachmentRow::as_returning())
        .get_result(conn)?;
    let version: i32 = diesel::update(tickets::table.find(ticket.id))
        .set(tickets::version.eq(ticket.version + 1))
        .returning(tickets::version)
        .get_result(conn)?;
    let (first_seq, occurred_at) = next_slot(conn, ticket.id, now)?;
    let event = TicketEvent {
        occurred_at,
        actor: Some(actor.get()),
        kind: EventKind::AttachmentRedacted {
            attachment_id: row.id,
            comment_id: row.comment_id,
        },
    };
    model::append_events_tx(conn, ticket.id, first_seq, &[event], &[])?;
    tracing::info!(target: "audit", { ticket.id = ticket.id, attachment.id = row.id, user.id = actor.get() }, "attachment redacted");
    Ok((row, version))
}
