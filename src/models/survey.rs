//! `surveys`: one CSAT/NPS survey per solve of a ticket whose requester can be emailed
//! (docs/METRICS.md, Satisfaction). The ticket's rating is the latest answer of its surveys.

use crate::schema::surveys;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `surveys` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = surveys, check_for_backend(diesel::pg::Pg))]
pub struct Survey {
    /// Id (the link token's subject).
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// The requester asked.
    pub customer_id: i64,
    /// The solve it asks about (UTC).
    pub solved_at: DateTime<Utc>,
    /// Assignee at that solve (CSAT attribution).
    pub assignee_id: Option<i64>,
    /// Team at that solve (CSAT attribution).
    pub team_id: Option<i64>,
    /// Made (UTC).
    pub created_at: DateTime<Utc>,
    /// Invitation due (solve + `email.survey_delay_hours`).
    pub invite_at: DateTime<Utc>,
    /// Link valid until (UTC, exclusive).
    pub expires_at: DateTime<Utc>,
    /// First message carrying the link delivered (NULL: not surveyed yet).
    pub sent_at: Option<DateTime<Utc>>,
    /// Invitation cancelled: the ticket was reopened before the delay.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Latest answer (UTC).
    pub answered_at: Option<DateTime<Utc>>,
    /// Rating 1–5.
    pub score: Option<i16>,
    /// Likelihood to recommend 0–10.
    pub nps: Option<i16>,
    /// Free text.
    pub comment: Option<String>,
    /// May be quoted anonymously.
    pub consent_to_quote: bool,
    /// The ticket was reopened after this answer.
    pub pre_reopen: bool,
}

/// A survey to make at a solve.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = surveys)]
pub struct NewSurvey {
    /// The ticket.
    pub ticket_id: i64,
    /// The requester.
    pub customer_id: i64,
    /// The solve.
    pub solved_at: DateTime<Utc>,
    /// Assignee at the solve.
    pub assignee_id: Option<i64>,
    /// Team at the solve.
    pub team_id: Option<i64>,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// Invitation due.
    pub invite_at: DateTime<Utc>,
    /// Link end.
    pub expires_at: DateTime<Utc>,
}

/// Stores a new survey; returns its id.
///
/// # Errors
/// Database errors.
pub fn insert_tx(conn: &mut PgConnection, new: &NewSurvey) -> QueryResult<i64> {
    diesel::insert_into(surveys::table)
        .values(new)
        .returning(surveys::id)
        .get_result(conn)
}

/// A ticket was reopened at `now`: its surveys not yet sent are cancelled (their invitation
/// too, by the caller), and its answered surveys are marked `pre_reopen`. Returns how many rows
/// changed.
///
/// # Errors
/// Database errors.
pub fn on_reopen_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let cancelled = diesel::update(
        surveys::table
            .filter(surveys::ticket_id.eq(ticket_id))
            .filter(surveys::sent_at.is_null())
            .filter(surveys::answered_at.is_null())
            .filter(surveys::cancelled_at.is_null()),
    )
    .set(surveys::cancelled_at.eq(now))
    .execute(conn)?;
    let marked = diesel::update(
        surveys::table
            .filter(surveys::ticket_id.eq(ticket_id))
            .filter(surveys::answered_at.is_not_null())
            .filter(surveys::pre_reopen.eq(false)),
    )
    .set(surveys::pre_reopen.eq(true))
    .execute(conn)?;
    Ok(cancelled + marked)
}

/// One survey.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<Survey> {
    surveys::table
        .find(id)
        .select(Survey::as_select())
        .first(conn)
}

/// Surveys `ids` were offered at `now` (the first message carrying their link was delivered):
/// sets `sent_at` where it is still empty.
///
/// # Errors
/// Database errors.
pub fn mark_sent(conn: &mut PgConnection, ids: &[i64], now: DateTime<Utc>) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(
        surveys::table
            .filter(surveys::id.eq_any(ids))
            .filter(surveys::sent_at.is_null()),
    )
    .set(surveys::sent_at.eq(now))
    .execute(conn)
}
