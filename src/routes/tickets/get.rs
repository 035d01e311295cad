//! `GET /tickets/{id}`: the ticket, its audit trail, its metrics and its live SLA clocks.

use super::{SlaResponse, TicketDetailResponse};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::ticket as model;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel::QueryResult;

/// One ticket with its audit trail (oldest first) and metrics.
///
/// Errors: 401 without a valid token; 404 when no ticket has this id or the caller may not see it
/// (a technician asking for a ticket without their work order: its existence is private); 400
/// when the id is not a number.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id")),
    security(("bearer" = [])),
    responses(
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, body = TicketDetailResponse),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let visibility = user.visibility();
    let rules = state.rules.clone();
    let (detail, sla) = db::run(&state.pool, move |conn| {
        let detail =
            model::get_with_history(conn, id, visibility).map_err(ApiError::not_found("ticket"))?;
        let rules = rules.at_version(conn, detail.rules_version)?;
        // The log is replayed only when a policy applies to the ticket.
        let sla = match crate::tickets::projection::policy_of(&rules, &detail.ticket) {
            Some(_) => {
                let log = detail
                    .events
                    .iter()
                    .cloned()
                    .map(model::domain_event)
                    .collect::<QueryResult<Vec<_>>>()?;
                crate::tickets::projection::clocks_at(&rules, &detail.ticket, &log, Utc::now())
            }
            None => None,
        };
        Ok((detail, sla))
    })
    .await?;
    let model::TicketDetail {
        ticket,
        events,
        metrics,
        ..
    } = detail;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", ticket.version)))
        .json(TicketDetailResponse {
            ticket: ticket.into(),
            events: events.into_iter().map(Into::into).collect(),
            metrics: metrics.map(Into::into),
            sla: sla.map(|(policy, clocks)| SlaResponse {
                policy_id: policy.id,
                policy_name: policy.name,
                clocks,
            }),
        }))
}
