//! `GET /tickets/{id}/surveys`: a ticket's CSAT/NPS surveys and their answers (staff only;
//! docs/METRICS.md, Satisfaction). The customer link's token is never shown.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::survey::{self as model, Survey};
use crate::models::ticket::check_visible;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One survey of a ticket: the solve it asks about and its answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SurveyResponse {
    /// Id.
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
    /// When the invitation is (was) due: the solve + `email.survey_delay_hours` (UTC).
    pub invite_at: DateTime<Utc>,
    /// The link works strictly before this instant (UTC).
    pub expires_at: DateTime<Utc>,
    /// First message carrying the link delivered (UTC; `null`: not yet).
    pub sent_at: Option<DateTime<Utc>>,
    /// Invitation cancelled because the ticket was reopened before the delay (UTC).
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Latest answer (UTC; `null`: not answered).
    pub answered_at: Option<DateTime<Utc>>,
    /// Rating 1–5 (`csat.v1`).
    pub score: Option<i16>,
    /// Likelihood to recommend 0–10 (`nps.v1`), when answered.
    pub nps: Option<i16>,
    /// The customer's comment.
    pub comment: Option<String>,
    /// The comment may be quoted anonymously.
    pub consent_to_quote: bool,
    /// The answer was given before a reopen of the ticket (about a solve that was undone).
    pub pre_reopen: bool,
    /// This answer is the ticket's rating: its latest answer (by `answered_at`) of all its
    /// surveys. At most one survey of a ticket has it.
    pub is_rating: bool,
}

/// `GET /tickets/{id}/surveys` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SurveyListResponse {
    /// The ticket's surveys, oldest first (one per solve).
    pub surveys: Vec<SurveyResponse>,
}

fn response(s: Survey, rating: Option<i64>) -> SurveyResponse {
    SurveyResponse {
        is_rating: rating == Some(s.id),
        id: s.id,
        ticket_id: s.ticket_id,
        customer_id: s.customer_id,
        solved_at: s.solved_at,
        assignee_id: s.assignee_id,
        team_id: s.team_id,
        created_at: s.created_at,
        invite_at: s.invite_at,
        expires_at: s.expires_at,
        sent_at: s.sent_at,
        cancelled_at: s.cancelled_at,
        answered_at: s.answered_at,
        score: s.score,
        nps: s.nps,
        comment: s.comment,
        consent_to_quote: s.consent_to_quote,
        pre_reopen: s.pre_reopen,
    }
}

/// A ticket's surveys and answers, oldest first; `is_rating` marks the one that counts.
///
/// Admins, managers and agents; a technician only for a ticket with a work order assigned to
/// them (404 otherwise, like the ticket).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/surveys", tag = "tickets",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = SurveyListResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_surveys(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let visibility = user.visibility();
    let surveys = db::run(&state.pool, move |conn| {
        check_visible(conn, id, visibility).map_err(ApiError::not_found("ticket"))?;
        Ok(model::of_ticket(conn, id)?)
    })
    .await?;
    let rating = model::rating_among(&surveys);
    Ok(HttpResponse::Ok().json(SurveyListResponse {
        surveys: surveys.into_iter().map(|s| response(s, rating)).collect(),
    }))
}
