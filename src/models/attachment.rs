//! `attachments` rows: the metadata of files on comments (their bytes are in the attachment
//! store, [`crate::attachments::storage`]).

use crate::schema::attachments;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// An `attachments` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments, check_for_backend(diesel::pg::Pg))]
pub struct AttachmentRow {
    /// Id.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// The comment it is on.
    pub comment_id: i64,
    /// File name (cleaned: [`crate::attachments::clean_filename`]); `redacted` once redacted.
    pub filename: String,
    /// Content type sniffed from the bytes.
    pub content_type: String,
    /// Size, bytes.
    pub size_bytes: i64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Key of the bytes in the attachment store.
    pub storage_key: String,
    /// The staff member who uploaded it (`None`: no staff member, or since deleted).
    pub uploaded_by_id: Option<i64>,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was redacted (its bytes deleted).
    pub redacted_at: Option<DateTime<Utc>>,
    /// The admin who redacted it.
    pub redacted_by_id: Option<i64>,
}

/// A new `attachments` row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment<'a> {
    /// The ticket.
    pub ticket_id: i64,
    /// The comment.
    pub comment_id: i64,
    /// File name.
    pub filename: &'a str,
    /// Sniffed content type.
    pub content_type: &'a str,
    /// Size, bytes.
    pub size_bytes: i64,
    /// Hex SHA-256.
    pub sha256: &'a str,
    /// Store key.
    pub storage_key: &'a str,
    /// Uploader.
    pub uploaded_by_id: Option<i64>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Inserts `rows`, returning them in order.
pub fn insert_tx(
    conn: &mut PgConnection,
    rows: &[NewAttachment<'_>],
) -> QueryResult<Vec<AttachmentRow>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    diesel::insert_into(attachments::table)
        .values(rows)
        .returning(AttachmentRow::as_returning())
        .get_results(conn)
}

/// The attachments of the comments `comment_ids`, by id.
pub fn of_comments(
    conn: &mut PgConnection,
    comment_ids: &[i64],
) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::comment_id.eq_any(comment_ids))
        .order(attachments::id.asc())
        .select(AttachmentRow::as_select())
        .load(conn)
}

/// Attachment `id` of ticket `ticket_id`, if there is one.
pub fn find(
    conn: &mut PgConnection,
    ticket_id: i64,
    id: i64,
) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .filter(attachments::id.eq(id))
        .filter(attachments::ticket_id.eq(ticket_id))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}
