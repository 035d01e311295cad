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

/// The answer a customer gives on a survey page, already checked (score 1–5, nps 0–10, comment
/// trimmed, at most 5,000 characters, `None` when blank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Rating 1–5.
    pub score: i16,
    /// Likelihood to recommend 0–10, when answered.
    pub nps: Option<i16>,
    /// Free text, when given.
    pub comment: Option<String>,
    /// The comment may be quoted anonymously.
    pub consent_to_quote: bool,
}

impl Survey {
    /// Its current answer, when it has one.
    pub fn answer(&self) -> Option<Answer> {
        Some(Answer {
            score: self.score?,
            nps: self.nps,
            comment: self.comment.clone(),
            consent_to_quote: self.consent_to_quote,
        })
    }
}

/// A ticket's surveys, oldest first (by id), locked for the rest of the transaction (`FOR
/// UPDATE`; take the ticket's lock first).
///
/// # Errors
/// Database errors.
pub fn lock_of_ticket_tx(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Vec<Survey>> {
    surveys::table
        .filter(surveys::ticket_id.eq(ticket_id))
        .order(surveys::id.asc())
        .select(Survey::as_select())
        .for_update()
        .load(conn)
}

/// A ticket's surveys, oldest first (by id).
///
/// # Errors
/// Database errors.
pub fn of_ticket(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Vec<Survey>> {
    surveys::table
        .filter(surveys::ticket_id.eq(ticket_id))
        .order(surveys::id.asc())
        .select(Survey::as_select())
        .load(conn)
}

/// The id of the ticket's rating: its answered survey with the latest `answered_at` (the
/// highest id among equal instants); `None` when none is answered. This is the "one rating per
/// ticket" rule of docs/METRICS.md (Satisfaction): the other answered surveys keep their rows
/// but no longer count.
///
/// # Errors
/// Database errors.
pub fn rating_of_ticket(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Option<i64>> {
    surveys::table
        .filter(surveys::ticket_id.eq(ticket_id))
        .filter(surveys::answered_at.is_not_null())
        .order((surveys::answered_at.desc(), surveys::id.desc()))
        .select(surveys::id)
        .first(conn)
        .optional()
}

/// The id of a ticket's rating among already-loaded `surveys` (the rule of
/// [`rating_of_ticket`]).
pub fn rating_among(surveys: &[Survey]) -> Option<i64> {
    surveys
        .iter()
        .filter_map(|s| s.answered_at.map(|at| (at, s.id)))
        .max()
        .map(|(_, id)| id)
}

/// Stores `answer` on survey `id` at `now` with its `pre_reopen` flag.
///
/// # Errors
/// Database errors (a check constraint of the table for a value out of range).
pub fn answer_tx(
    conn: &mut PgConnection,
    id: i64,
    answer: &Answer,
    pre_reopen: bool,
    now: DateTime<Utc>,
) -> QueryResult<Survey> {
    diesel::update(surveys::table.find(id))
        .set((
            surveys::answered_at.eq(now),
            surveys::score.eq(answer.score),
            surveys::nps.eq(answer.nps),
            surveys::comment.eq(answer.comment.as_deref()),
            surveys::consent_to_quote.eq(answer.consent_to_quote),
            surveys::pre_reopen.eq(pre_reopen),
        ))
        .returning(Survey::as_returning())
        .get_result(conn)
}

/// Cancels survey `id`'s invitation still waiting in the outbox (`survey_invitation` rows of
/// ticket `ticket_id` whose `data.survey.id` is `id`, status `pending` → `cancelled`): an
/// answered survey is not sent again. Returns how many rows changed (0 or 1).
///
/// # Errors
/// Database errors.
pub fn cancel_invitation_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    id: i64,
) -> QueryResult<usize> {
    use crate::schema::outbox;
    // `data @> {"survey": {"id": id}}` (the notice's tagged JSON); the ticket filter uses the index
    // `outbox_ticket`.
    diesel::update(
        outbox::table
            .filter(outbox::ticket_id.eq(ticket_id))
            .filter(outbox::kind.eq("survey_invitation"))
            .filter(outbox::status.eq("pending"))
            .filter(outbox::data.contains(serde_json::json!({ "survey": { "id": id } }))),
    )
    .set(outbox::status.eq("cancelled"))
    .execute(conn)
}

/// One survey with its ticket's number and subject (what the survey page shows).
///
/// # Errors
/// `NotFound`; database errors.
pub fn with_ticket(conn: &mut PgConnection, id: i64) -> QueryResult<(Survey, i64, String)> {
    use crate::schema::tickets;
    surveys::table
        .inner_join(tickets::table)
        .filter(surveys::id.eq(id))
        .select((Survey::as_select(), tickets::number, tickets::subject))
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
