//! `survey`: the requester answers a CSAT/NPS survey (`POST /surveys/{token}`; docs/METRICS.md,
//! Satisfaction).
//!
//! One transaction, with the lock discipline of every ticket write: the rules' write lock
//! first, then the ticket row (`FOR UPDATE`), then the ticket's survey rows. It stores the answer on the
//! survey (score, nps, comment, consent, `answered_at` = now, `pre_reopen`), appends a
//! `survey_answered` event after the ticket's log, and cancels the survey's invitation still
//! pending in the outbox (an answered survey is not sent again). The ticket's row, version
//! (ETag), metrics and SLA clocks stay as they are: a rating is not an edit of the ticket.
//!
//! The rules (tell the metrics and the notices the same):
//! - **The ticket's rating** is the answer of its answered survey with the latest
//!   `answered_at` (highest survey id among equal instants):
//!   [`crate::models::survey::rating_of_ticket`]. An answer replaces the earlier one by being
//!   later: the older survey keeps its row (and its answer) but no longer counts. Nothing else
//!   marks it; count "the latest answered survey per ticket".
//! - **`pre_reopen`** of an answer: the ticket is no longer solved or closed when it is given,
//!   or the ticket's latest solve (`tickets.solved_at`) is later than the survey's `solved_at`
//!   ([`crate::domain::survey::is_pre_reopen`]). With the reopen hook
//!   ([`crate::models::survey::on_reopen_tx`], which marks answered surveys at a reopen) this
//!   means: an answer about a solve that was later undone is `pre_reopen`; an answer to the
//!   survey of the current solve is not.
//! - **Every answer is an event** (`survey_answered`, `replaced` = the ticket already had an
//!   answer from any of its surveys). Changing one's answer writes a new event and moves
//!   `answered_at`. Sending the same answer again to the survey that already is the ticket's
//!   rating (a double click, a reload of the thank-you page) changes nothing and writes no
//!   event ([`Answered::recorded`] is `false`): it is not a new opinion.
//! - A survey whose invitation was cancelled (the ticket was reopened before the delay) still
//!   accepts an answer through the link of the "ticket solved" email: the customer's words are
//!   kept, marked `pre_reopen` by the rule above.
//! - The link's end: an answer is accepted strictly before the survey's `expires_at`.

use super::rules::RulesCache;
use crate::domain::survey::{SurveyAnswer, is_pre_reopen};
use crate::domain::ticket::{EventKind, TicketEvent};
use crate::error::ApiError;
use crate::models::survey::{self as model, Answer, Survey};
use crate::models::ticket::{self as ticket_model, Visibility, state_of};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

/// Why an answer was not recorded (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// No such survey (or its ticket was deleted).
    #[error("no such survey")]
    Unknown,
    /// The survey's link has ended (`now` ≥ `expires_at`).
    #[error("the survey has expired")]
    Expired,
    /// The database failed.
    #[error(transparent)]
    Failed(#[from] ApiError),
}

impl From<DieselError> for AnswerError {
    fn from(e: DieselError) -> Self {
        AnswerError::Failed(e.into())
    }
}

/// What an answer did.
#[derive(Debug)]
pub struct Answered {
    /// The survey after it.
    pub survey: Survey,
    /// An answer was stored and a `survey_answered` event appended; `false` when the same
    /// answer was sent again to the survey that is already the ticket's rating.
    pub recorded: bool,
    /// The answer replaced an earlier answer of the ticket (the event's `replaced`).
    pub replaced: bool,
}

/// Records `answer` to survey `survey_id` at `now` (see the module's rules).
///
/// # Errors
/// [`AnswerError::Unknown`] for a survey that does not exist, [`AnswerError::Expired`] at or
/// after its `expires_at`; [`AnswerError::Failed`] for database errors.
pub fn answer_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    survey_id: i64,
    answer: &SurveyAnswer,
    now: DateTime<Utc>,
) -> Result<Answered, AnswerError> {
    let _rules = rules.for_write_tx(conn)?;
    let unknown = |e: DieselError| match e {
        DieselError::NotFound => AnswerError::Unknown,
        e => e.into(),
    };
    // The survey's ticket never changes: read it unlocked, then lock the ticket, then its
    // surveys.
    let ticket_id = model::get(conn, survey_id).map_err(unknown)?.ticket_id;
    let ticket = ticket_model::lock_tx(conn, ticket_id, Visibility::All).map_err(unknown)?;
    // The ticket's surveys, this one among them, locked: the rating is read and changed here.
    let surveys = model::lock_of_ticket_tx(conn, ticket.id)?;
    let rating = model::rating_among(&surveys);
    let survey = surveys
        .into_iter()
        .find(|s| s.id == survey_id)
        .ok_or(AnswerError::Unknown)?;
    if now >= survey.expires_at {
        return Err(AnswerError::Expired);
    }
    let new = Answer {
        score: answer.score.get(),
        nps: answer.nps.map(|n| n.get()),
        comment: answer.comment.clone(),
        consent_to_quote: answer.consent_to_quote,
    };
    if rating == Some(survey.id) && survey.answer().as_ref() == Some(&new) {
        return Ok(Answered {
            survey,
            recorded: false,
            replaced: false,
        });
    }
    let replaced = rating.is_some();
    let pre_reopen = is_pre_reopen(state_of(&ticket).status, ticket.solved_at, survey.solved_at);
    let saved = model::answer_tx(conn, survey.id, &new, pre_reopen, now)?;
    model::cancel_invitation_tx(conn, ticket.id, survey.id)?;
    // After the log's latest event, so that the log stays in order (a work order's device
    // instant may be later than the receipt of this answer).
    let log = ticket_model::load_log(conn, ticket.id)?;
    let occurred_at = log.last().map_or(now, |e| e.occurred_at.max(now));
    let first_seq = i32::try_from(log.len() + 1).unwrap_or(i32::MAX);
    let event = TicketEvent {
        occurred_at,
        actor: None,
        kind: EventKind::SurveyAnswered {
            survey_id: saved.id,
            score: new.score,
            nps: new.nps,
            consent_to_quote: new.consent_to_quote,
            replaced,
        },
    };
    ticket_model::append_events_tx(conn, ticket.id, first_seq, &[event], &[])?;
    tracing::info!(
        { ticket.id = ticket.id, survey.id = saved.id, survey.score = new.score, survey.replaced = replaced, survey.pre_reopen = pre_reopen },
        "survey answered"
    );
    Ok(Answered {
        survey: saved,
        recorded: true,
        replaced,
    })
}
