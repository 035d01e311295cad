//! The bulk loader of surveys (`frontline seed`, both writers): whole `surveys` rows, answers
//! included, stored with `COPY … FROM STDIN (FORMAT binary)` inside the caller's transaction.

use crate::schema::surveys;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A whole `surveys` row but its id (see [`crate::models::survey::Survey`] for each column).
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = surveys, treat_none_as_default_value = false)]
pub struct SurveyRecord {
    /// The ticket.
    pub ticket_id: i64,
    /// The requester asked.
    pub customer_id: i64,
    /// The solve it asks about (UTC).
    pub solved_at: DateTime<Utc>,
    /// Assignee at that solve.
    pub assignee_id: Option<i64>,
    /// Team at that solve.
    pub team_id: Option<i64>,
    /// Made (UTC).
    pub created_at: DateTime<Utc>,
    /// Invitation due.
    pub invite_at: DateTime<Utc>,
    /// Link valid until (exclusive).
    pub expires_at: DateTime<Utc>,
    /// Delivered (NULL: not yet).
    pub sent_at: Option<DateTime<Utc>>,
    /// Cancelled by a reopen before the invitation.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Latest answer (UTC).
    pub answered_at: Option<DateTime<Utc>>,
    /// 1–5.
    pub score: Option<i16>,
    /// 0–10.
    pub nps: Option<i16>,
    /// Free text.
    pub comment: Option<String>,
    /// May be quoted anonymously.
    pub consent_to_quote: bool,
    /// Answered before a reopen.
    pub pre_reopen: bool,
}

/// Stores `rows` with `COPY`.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub fn copy_surveys_tx(conn: &mut PgConnection, rows: &[SurveyRecord]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::copy_from(surveys::table)
        .from_insertable(rows)
        .execute(conn)
        .map(|_| ())
}
