//! The outbox seen by admins: dead letters (messages given up on after the configured attempts,
//! or refused for good by the mail server) and their re-queueing.
//!
//! - `GET /api/v1/outbox/dead-letters?cursor=&per_page=`: newest first, with the last error.
//! - `POST /api/v1/outbox/{id}/requeue`: a dead letter becomes pending again, due now, with a
//!   fresh count of attempts (409 when it is not a dead letter, 404 for no such message).

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::outbox::{self as model, OutboxRow};
use crate::routes::body::QueryParams;
use crate::routes::pages::{ListMeta, per_page};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const ADMINS: &[UserRole] = &[UserRole::Admin];

/// One outbox message (its rendered content is not stored: it is rendered when sent).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutboxMessage {
    /// Id (part of its `Message-ID`).
    pub id: i64,
    /// `ticket_received`, `agent_reply`, `ticket_solved`, `visit_scheduled`,
    /// `technician_en_route` or `survey_invitation`.
    pub kind: String,
    /// The ticket it is about.
    pub ticket_id: Option<i64>,
    /// The customer it goes to.
    pub customer_id: Option<i64>,
    /// The address it goes to.
    pub recipient: String,
    /// `pending`, `sent`, `dead` or `cancelled`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// Next attempt (UTC), when pending.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Queued (UTC).
    pub created_at: DateTime<Utc>,
    /// Delivered (UTC).
    pub sent_at: Option<DateTime<Utc>>,
    /// Became a dead letter (UTC).
    pub dead_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(r: OutboxRow) -> Self {
        OutboxMessage {
            id: r.id,
            kind: r.kind,
            ticket_id: r.ticket_id,
            customer_id: r.customer_id,
            recipient: r.recipient,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
            dead_at: r.dead_at,
        }
    }
}

/// `GET /outbox/dead-letters` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// The last id of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// `GET /outbox/dead-letters` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadLetterList {
    /// Dead letters, newest first.
    pub messages: Vec<OutboxMessage>,
    /// Pagination (`next_cursor`: the last id).
    pub meta: ListMeta,
}

/// Dead letters, newest first (admin).
#[utoipa::path(get, path = "/api/v1/outbox/dead-letters", tag = "email",
    params(DeadLetterQuery), security(("bearer" = [])),
    responses((status = 200, body = DeadLetterList),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_dead_letters(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<DeadLetterQuery>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let limit = per_page(query.0.per_page)?;
    let cursor = query.0.cursor;
    let rows = db::run(&state.pool, move |conn| {
        Ok(model::dead_letters(conn, cursor, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|r| r.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(DeadLetterList {
        messages: rows.into_iter().map(OutboxMessage::from).collect(),
        meta,
    }))
}

/// Re-queues a dead letter: pending again, due now, attempts counted afresh (admin). 409 when
/// the message is not a dead letter.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/requeue", tag = "email",
    params(("id" = i64, Path, description = "Outbox message id")), security(("bearer" = [])),
    responses((status = 200, body = OutboxMessage),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn requeue(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let id = id.into_inner();
    let admin = user.id;
    let row = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let now = Utc::now();
            if let Some(row) = model::requeue(conn, id, now)? {
                tracing::info!(target: "audit", { outbox.id = id, user.id = admin }, "dead letter re-queued");
                return Ok(row);
            }
            let row = model::get(conn, id).map_err(ApiError::not_found("message"))?;
            Err(ApiError::conflict_on(
                "not_a_dead_letter",
                "status",
                &format!("the message is {}, not a dead letter", row.status),
            ))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(OutboxMessage::from(row)))
}
