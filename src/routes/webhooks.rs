//! Webhook endpoints, managed by admins (docs/WEBHOOKS.md); every other role gets 403.
//!
//! - `POST /api/v1/webhooks`: subscribe a URL (`http`/`https`) to event types; the answer carries
//!   the signing secret, shown this once.
//! - `GET /api/v1/webhooks` (id cursor), `GET /api/v1/webhooks/{id}`.
//! - `PATCH /api/v1/webhooks/{id}`: URL, events, description, `active` (`true` re-enables an
//!   endpoint the worker disabled and clears its failures; `false` disables it by hand).
//! - `DELETE /api/v1/webhooks/{id}`: with its deliveries and their attempts.
//! - `POST /api/v1/webhooks/{id}/rotate-secret`: a new secret, shown once; the old one stops
//!   signing at once.
//! - `GET /api/v1/webhooks/{id}/deliveries`: the attempts, newest first, with the answer's status
//!   code, the error, the attempt number, its duration and the next retry.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::webhook::{
    self as model, AttemptListRow, EVENT_TYPES, EndpointChanges, EndpointRow, NewEndpoint,
};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::pages::{ListMeta, per_page};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const ADMINS: &[UserRole] = &[UserRole::Admin];

/// Longest URL, characters.
pub const MAX_URL: usize = 2_000;
/// Longest description, characters.
pub const MAX_DESCRIPTION: usize = 500;

/// A webhook endpoint.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookResponse {
    /// Id.
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The admin's note.
    pub description: String,
    /// Event types subscribed: `ticket.created`, `ticket.updated`, `ticket.solved`,
    /// `sla.breached`, `work_order.changed`.
    pub events: Vec<String>,
    /// Receives deliveries (false: disabled by the worker after failures in a row, or by an
    /// admin; its pending deliveries wait).
    pub active: bool,
    /// Failed attempts since the last delivered one.
    pub consecutive_failures: i32,
    /// When it was disabled (UTC).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Last delivery answered 2xx (UTC).
    pub last_success_at: Option<DateTime<Utc>>,
    /// Last failed attempt (UTC).
    pub last_failure_at: Option<DateTime<Utc>>,
    /// The admin who made it.
    pub created_by_id: Option<i64>,
    /// Made (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// The signing secret (`whsec_` + 64 hex digits): only in the answers of the creation and
    /// of `rotate-secret`; store it then, it is never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookResponse {
    fn of(r: EndpointRow, show_secret: bool) -> WebhookResponse {
        WebhookResponse {
            id: r.id,
            url: r.url,
            description: r.description,
            events: r.events,
            active: r.active,
            consecutive_failures: r.consecutive_failures,
            disabled_at: r.disabled_at,
            disabled_reason: r.disabled_reason,
            last_success_at: r.last_success_at,
            last_failure_at: r.last_failure_at,
            created_by_id: r.created_by_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            secret: show_secret.then_some(r.secret),
        }
    }
}

/// `POST /webhooks` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// `http://` or `https://` URL with a host, at most 2,000 characters, no user name or
    /// password, no fragment.
    pub url: String,
    /// Event types, at least one: `ticket.created`, `ticket.updated`, `ticket.solved`,
    /// `sla.breached`, `work_order.changed`.
    pub events: Vec<String>,
    /// A note, at most 500 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Start active (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

/// `PATCH /webhooks/{id}` body: the fields to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    /// New URL (as for the creation).
    #[serde(default)]
    pub url: Option<String>,
    /// New event types (replace the old ones; at least one).
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// New note.
    #[serde(default)]
    pub description: Option<String>,
    /// `true` re-enables (failures in a row back to 0, the disabling cleared; pending
    /// deliveries go out at the next pass); `false` disables by hand.
    #[serde(default)]
    pub active: Option<bool>,
}

/// `GET /webhooks` and `GET /webhooks/{id}/deliveries` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookPageQuery {
    /// The `meta.next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// `GET /webhooks` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookListResponse {
    /// Endpoints by id.
    pub webhooks: Vec<WebhookResponse>,
    /// Pagination (`next_cursor`: the last id).
    pub meta: ListMeta,
}

/// One delivery attempt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAttemptResponse {
    /// The attempt's id.
    pub id: i64,
    /// The delivery (one per endpoint and event; its attempts share it).
    pub delivery_id: i64,
    /// The event (the `Frontline-Event-Id` header and the payload's `id`).
    pub event_id: uuid::Uuid,
    /// The event type.
    pub event_type: String,
    /// The ticket it is about.
    pub ticket_id: Option<i64>,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// When it was sent (UTC).
    pub attempted_at: DateTime<Utc>,
    /// The answer's HTTP status (`null`: no answer, see `error`).
    pub status_code: Option<i32>,
    /// Answered 2xx.
    pub succeeded: bool,
    /// Why it failed: `HTTP 500: <start of the answer>`, `could not connect: …`, `timed out`.
    pub error: Option<String>,
    /// How long the request took, milliseconds.
    pub duration_ms: i32,
    /// When the next attempt is due (UTC; `null`: delivered, given up, or the endpoint was
    /// disabled by this attempt).
    pub next_retry_at: Option<DateTime<Utc>>,
    /// The delivery now: `pending`, `delivered` or `failed` (given up).
    pub delivery_status: String,
}

impl From<AttemptListRow> for WebhookAttemptResponse {
    fn from(r: AttemptListRow) -> Self {
        WebhookAttemptResponse {
            id: r.id,
            delivery_id: r.delivery_id,
            event_id: r.event_id,
            event_type: r.event_type,
            ticket_id: r.ticket_id,
            attempt: r.attempt,
            attempted_at: r.attempted_at,
            status_code: r.status_code,
            succeeded: r.succeeded,
            error: r.error,
            duration_ms: r.duration_ms,
            next_retry_at: r.next_retry_at,
            delivery_status: r.delivery_status,
        }
    }
}

/// `GET /webhooks/{id}/deliveries` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAttemptList {
    /// Attempts, newest first.
    pub attempts: Vec<WebhookAttemptResponse>,
    /// Pagination (`next_cursor`: the last attempt id).
    pub meta: ListMeta,
}

/// Checks a URL: `http`/`https`, a host, no credentials, no fragment, at most [`MAX_URL`]
/// characters (422 naming `url`).
///
/// # Errors
/// 422 naming `url`.
pub fn parse_url(raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    let bad = |m: &str| ApiError::invalid_field("url", m);
    if raw.chars().count() > MAX_URL {
        return Err(bad("must be at most 2000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a #fragment"));
    }
    Ok(url.to_string())
}

/// Checks event types: at least one, each known (422 naming `events` and the accepted ones);
/// returns them without repeats, in the order given.
///
/// # Errors
/// 422 naming `events`.
pub fn parse_events(events: Vec<String>) -> Result<Vec<String>, ApiError> {
    let accepted = EVENT_TYPES.join(", ");
    if events.is_empty() {
        return Err(ApiError::invalid_field(
            "events",
            format!("must name at least one event type: {accepted}"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for e in events {
        if !EVENT_TYPES.contains(&e.as_str()) {
            return Err(ApiError::invalid_field(
                "events",
                format!(
                    "`{}` is not an event type; accepted: {accepted}",
                    crate::routes::fields::clip(&e)
                ),
            ));
        }
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

fn parse_description(d: Option<String>) -> Result<Option<String>, ApiError> {
    match d {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(ApiError::invalid_field(
            "description",
            "must be at most 500 characters",
        )),
        Some(d) => Ok(Some(d.trim().to_string())),
        None => Ok(None),
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in hex.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("whsec_{hex}")
}

/// Subscribes a URL to event types (admin). The answer carries the signing secret, shown only
/// here. 422 naming `url`, `events` (unknown types named with the accepted ones) or
/// `description`.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks",
    request_body = CreateWebhookRequest, security(("bearer" = [])),
    responses((status = 201, body = WebhookResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let request = body.value;
    let url = parse_url(&request.url)?;
    let events = parse_events(request.events)?;
    let description = parse_description(request.description)?.unwrap_or_default();
    let active = request.active.unwrap_or(true);
    let admin = user.id;
    let row = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let now = Utc::now();
            let secret = new_secret();
            let mut row = model::create(
                conn,
                &NewEndpoint {
                    url: &url,
                    description: &description,
                    events: &events,
                    secret: &secret,
                    created_by_id: Some(admin),
                    created_at: now,
                    updated_at: now,
                },
            )?;
            if !active {
                row = model::update(
                    conn,
                    row.id,
                    &EndpointChanges {
                        active: Some(false),
                        disabled_at: Some(Some(now)),
                        disabled_reason: Some(Some("created inactive".into())),
                        ..EndpointChanges::default()
                    },
                )?;
            }
            tracing::info!(target: "audit", { webhook.id = row.id, user.id = admin }, "webhook endpoint created");
            Ok::<_, ApiError>(row)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(WebhookResponse::of(row, true)))
}

/// The webhook endpoints by id (admin); secrets are never listed.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    params(WebhookPageQuery), security(("bearer" = [])),
    responses((status = 200, body = WebhookListResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<WebhookPageQuery>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let limit = per_page(query.0.per_page)?;
    let cursor = query.0.cursor;
    let rows = db::run(&state.pool, move |conn| {
        Ok(model::list(conn, cursor, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|r| r.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(WebhookListResponse {
        webhooks: rows
            .into_iter()
            .map(|r| WebhookResponse::of(r, false))
            .collect(),
        meta,
    }))
}

/// One webhook endpoint (admin).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id")), security(("bearer" = [])),
    responses((status = 200, body = WebhookResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        model::get(conn, id).map_err(ApiError::not_found("webhook"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::of(row, false)))
}

/// Changes a webhook endpoint (admin): URL, events, description, `active` (`true` re-enables
/// one the worker disabled: failures in a row back to 0, its pending deliveries go out at the
/// next pass). 422 naming the field; 404 for no such endpoint.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    request_body = UpdateWebhookRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateWebhookRequest>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let id = id.into_inner();
    let request = body.value;
    let url = request.url.as_deref().map(parse_url).transpose()?;
    let events = request.events.map(parse_events).transpose()?;
    let description = parse_description(request.description)?;
    let active = request.active;
    let admin = user.id;
    let row = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let now = Utc::now();
            let current = model::lock(conn, id).map_err(ApiError::not_found("webhook"))?;
            let mut changes = EndpointChanges {
                url,
                description,
                events,
                updated_at: Some(now),
                ..EndpointChanges::default()
            };
            match active {
                Some(true) if !current.active || current.consecutive_failures > 0 => {
                    changes.active = Some(true);
                    changes.consecutive_failures = Some(0);
                    changes.disabled_at = Some(None);
                    changes.disabled_reason = Some(None);
                }
                Some(false) if current.active => {
                    changes.active = Some(false);
                    changes.disabled_at = Some(Some(now));
                    changes.disabled_reason = Some(Some(format!("disabled by user {admin}")));
                }
                _ => {}
            }
            let row = model::update(conn, id, &changes)?;
            if !current.active && row.active {
                model::due_now_tx(conn, id, now)?;
            }
            tracing::info!(target: "audit", { webhook.id = id, user.id = admin, active = row.active }, "webhook endpoint changed");
            Ok::<_, ApiError>(row)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::of(row, false)))
}

/// Deletes a webhook endpoint with its deliveries and their attempts (admin).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let id = id.into_inner();
    let admin = user.id;
    db::run(&state.pool, move |conn| {
        if model::delete(conn, id)? {
            tracing::info!(target: "audit", { webhook.id = id, user.id = admin }, "webhook endpoint deleted");
            Ok(())
        } else {
            Err(ApiError::NotFound("webhook"))
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces an endpoint's signing secret (admin); the answer carries the new one, shown only
/// here. Deliveries sent from now on are signed with it.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id")), security(("bearer" = [])),
    responses((status = 200, body = WebhookResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let id = id.into_inner();
    let admin = user.id;
    let row = db::run(&state.pool, move |conn| {
        let row = model::set_secret(conn, id, &new_secret(), Utc::now())
            .map_err(ApiError::not_found("webhook"))?;
        tracing::info!(target: "audit", { webhook.id = id, user.id = admin }, "webhook secret rotated");
        Ok(row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::of(row, true)))
}

/// An endpoint's delivery attempts, newest first (admin): status code, error, attempt number,
/// duration, next retry and the delivery's status.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook endpoint id"), WebhookPageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = WebhookAttemptList),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: QueryParams<WebhookPageQuery>,
) -> ApiResult<HttpResponse> {
    user.require(ADMINS)?;
    let id = id.into_inner();
    let limit = per_page(query.0.per_page)?;
    let cursor = query.0.cursor;
    let rows = db::run(&state.pool, move |conn| {
        model::get(conn, id).map_err(ApiError::not_found("webhook"))?;
        Ok(model::attempts(conn, id, cursor, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|r| r.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(WebhookAttemptList {
        attempts: rows.into_iter().map(WebhookAttemptResponse::from).collect(),
        meta,
    }))
}
