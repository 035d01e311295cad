//! `GET /tickets/{id}/events`: the audit trail.

use super::TicketEventResponse;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::ticket as model;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /tickets/{id}/events` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventListResponse {
    /// The audit trail, oldest first (newest last).
    pub events: Vec<TicketEventResponse>,
}

/// A ticket's audit trail, oldest first (newest last).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = EventListResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_events(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let visibility = user.visibility();
    let events = db::run(&state.pool, move |conn| {
        Ok(model::get_with_history(conn, id, visibility)
            .map_err(ApiError::not_found("ticket"))?
            .events)
    })
    .await?;
    Ok(HttpResponse::Ok().json(EventListResponse {
        events: events.into_iter().map(Into::into).collect(),
    }))
}
