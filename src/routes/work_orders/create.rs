//! `POST /tickets/{id}/work-orders` and `POST /work-orders` (with `ticket_id`), with
//! `Idempotency-Key` replays.

use super::{WorkOrderResponse, view_of};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{AssetId, SiteId, TicketId, UserId};
use crate::domain::ticket::TicketPriority;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::idempotency;
use crate::routes::body::JsonBody;
use crate::routes::fields::{parse_instant, parse_name};
use crate::routes::idempotent;
use crate::state::AppState;
use crate::tickets::work_order::{self, Dispatch, WorkOrderDraft};
use crate::tickets::{Actor, MAX_SUBJECT};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

/// Who creates and dispatches work orders.
pub(super) const DISPATCHERS: &[UserRole] = &[UserRole::Admin, UserRole::Agent];

/// Longest arrival window, hours (a promise to the customer, not a shift).
pub const MAX_WINDOW_HOURS: i64 = 24;
/// Furthest a visit may be scheduled ahead, days.
pub const MAX_DAYS_AHEAD: i64 = 366;

/// An arrival window in a request: RFC 3339 instants with an offset, `start < end`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowRequest {
    /// Start, e.g. `2026-03-02T08:00:00-05:00`; at most 366 days from now.
    #[schema(value_type = crate::routes::openapi::Instant)]
    pub start: String,
    /// End, after the start and at most 24 hours after it.
    #[schema(value_type = crate::routes::openapi::Instant)]
    pub end: String,
}

/// Parses a technician and window into a [`Dispatch`] (422 naming `technician_id`,
/// `arrival_window.start` (more than [`MAX_DAYS_AHEAD`] days ahead) or `arrival_window.end`
/// (not after the start, or more than [`MAX_WINDOW_HOURS`] after it)).
pub(super) fn parse_dispatch(
    technician_id: Option<i64>,
    window: Option<&WindowRequest>,
) -> Result<Option<Dispatch>, ApiError> {
    match (technician_id, window) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ApiError::invalid_field(
            "arrival_window",
            "is required with technician_id",
        )),
        (None, Some(_)) => Err(ApiError::invalid_field(
            "technician_id",
            "is required with arrival_window",
        )),
        (Some(technician), Some(w)) => {
            let start = parse_instant("arrival_window.start", Some(&w.start))?
                .ok_or_else(|| ApiError::invalid_field("arrival_window.start", "is required"))?;
            let end = parse_instant("arrival_window.end", Some(&w.end))?
                .ok_or_else(|| ApiError::invalid_field("arrival_window.end", "is required"))?;
            if end <= start {
                return Err(ApiError::invalid_field(
                    "arrival_window.end",
                    "must be after arrival_window.start",
                ));
            }
            if end - start > chrono::Duration::hours(MAX_WINDOW_HOURS) {
                return Err(ApiError::invalid_field(
                    "arrival_window.end",
                    format!("an arrival window lasts at most {MAX_WINDOW_HOURS} hours"),
                ));
            }
            if start > chrono::Utc::now() + chrono::Duration::days(MAX_DAYS_AHEAD) {
                return Err(ApiError::invalid_field(
                    "arrival_window.start",
                    format!("must be within {MAX_DAYS_AHEAD} days from now"),
                ));
            }
            Ok(Some(Dispatch {
                technician: UserId::new(technician),
                start,
                end,
            }))
        }
    }
}

/// Parses an optional free text of at most `max` characters (blank → `None`).
pub(crate) fn parse_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(ApiError::invalid_field(
            field,
            format!("must be at most {max} characters"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// `POST /work-orders` body: `ticket_id` and the fields of [`TicketWorkOrderRequest`].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkOrderRequest {
    /// The ticket.
    #[schema(value_type = i64, required = true)]
    pub ticket_id: Option<i64>,
    /// The site (default: the ticket's).
    pub site_id: Option<i64>,
    /// The asset at that site (default: the ticket's, when it is at the site).
    pub asset_id: Option<i64>,
    /// The problem, 1–250 characters.
    #[schema(value_type = crate::routes::openapi::Subject)]
    pub summary: String,
    /// Priority (default: the ticket's).
    pub priority: Option<TicketPriority>,
    /// A skill the technician must have (e.g. `kiosk`; at most 50 characters, stored
    /// lower-cased; blank: none).
    #[schema(value_type = Option<crate::routes::openapi::Text50>)]
    pub required_skill: Option<String>,
    /// The facility requires an escort.
    #[serde(default)]
    pub escort_required: bool,
    /// Clearance the facility requires (≤ 200 characters; blank: none).
    #[schema(value_type = Option<crate::routes::openapi::Text200>)]
    pub security_clearance: Option<String>,
    /// Other access notes (≤ 2,000 characters; blank: none).
    #[schema(value_type = Option<crate::routes::openapi::Text2000>)]
    pub access_notes: Option<String>,
    /// Dispatch at once to this technician …
    pub technician_id: Option<i64>,
    /// … with this arrival window.
    pub arrival_window: Option<WindowRequest>,
}

impl From<TicketWorkOrderRequest> for CreateWorkOrderRequest {
    fn from(r: TicketWorkOrderRequest) -> Self {
        CreateWorkOrderRequest {
            ticket_id: None,
            site_id: r.site_id,
            asset_id: r.asset_id,
            summary: r.summary,
            priority: r.priority,
            required_skill: r.required_skill,
            escort_required: r.escort_required,
            security_clearance: r.security_clearance,
            access_notes: r.access_notes,
            technician_id: r.technician_id,
            arrival_window: r.arrival_window,
        }
    }
}

/// `POST /tickets/{id}/work-orders` body (the path names the ticket).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketWorkOrderRequest {
    /// The site (default: the ticket's).
    pub site_id: Option<i64>,
    /// The asset at that site (default: the ticket's, when it is at the site).
    pub asset_id: Option<i64>,
    /// The problem, 1–250 characters.
    #[schema(value_type = crate::routes::openapi::Subject)]
    pub summary: String,
    /// Priority (default: the ticket's).
    pub priority: Option<TicketPriority>,
    /// A skill the technician must have (e.g. `kiosk`; at most 50 characters, stored
    /// lower-cased; blank: none).
    #[schema(value_type = Option<crate::routes::openapi::Text50>)]
    pub required_skill: Option<String>,
    /// The facility requires an escort.
    #[serde(default)]
    pub escort_required: bool,
    /// Clearance the facility requires (≤ 200 characters; blank: none).
    #[schema(value_type = Option<crate::routes::openapi::Text200>)]
    pub security_clearance: Option<String>,
    /// Other access notes (≤ 2,000 characters; blank: none).
    #[schema(value_type = Option<crate::routes::openapi::Text2000>)]
    pub access_notes: Option<String>,
    /// Dispatch at once to this technician …
    pub technician_id: Option<i64>,
    /// … with this arrival window.
    pub arrival_window: Option<WindowRequest>,
}

impl TryFrom<CreateWorkOrderRequest> for WorkOrderDraft {
    type Error = ApiError;

    fn try_from(r: CreateWorkOrderRequest) -> Result<Self, ApiError> {
        Ok(WorkOrderDraft {
            site: r.site_id.map(SiteId::new),
            asset: r.asset_id.map(AssetId::new),
            summary: parse_name("summary", &r.summary, MAX_SUBJECT)?,
            priority: r.priority,
            required_skill: parse_text("required_skill", r.required_skill.as_deref(), 50)?
                .map(|s| s.to_lowercase()),
            escort_required: r.escort_required,
            security_clearance: parse_text(
                "security_clearance",
                r.security_clearance.as_deref(),
                200,
            )?,
            access_notes: parse_text("access_notes", r.access_notes.as_deref(), 2000)?,
            dispatch: parse_dispatch(r.technician_id, r.arrival_window.as_ref())?,
        })
    }
}

async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    ticket: i64,
    raw: &[u8],
    draft: WorkOrderDraft,
) -> ApiResult<HttpResponse> {
    let key = idempotent::key(&req)?;
    let canonical: serde_json::Value = serde_json::from_slice(raw).unwrap_or_default();
    let hash = idempotency::request_hash("POST", &format!("work-orders:{ticket}"), &canonical);
    let rules = state.rules.clone();
    let visibility = user.visibility();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            idempotent::run_tx(conn, user.id, key.as_deref(), &hash, |conn| {
                let actor = Actor {
                    id: UserId::new(user.id),
                    visibility,
                };
                let done = work_order::create_tx(
                    conn,
                    &rules,
                    TicketId::new(ticket),
                    &draft,
                    actor,
                    Utc::now(),
                )?;
                let body = serde_json::to_value(view_of(conn, done.work_order.id)?)
                    .map_err(|e| ApiError::Unexpected(e.into()))?;
                Ok((201, body))
            })
        })
    })
    .await?;
    let (status, body, replayed) = outcome.into_parts();
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::CREATED),
    );
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    if let Some(id) = body["id"].as_i64() {
        response.insert_header((header::LOCATION, format!("/api/v1/work-orders/{id}")));
    }
    Ok(response.json(body))
}

/// Creates a work order for a ticket (and dispatches it when `technician_id` and
/// `arrival_window` are given). The ticket goes on hold, pause reason `awaiting_field_visit`,
/// until its last open work order ends.
///
/// Errors: 403 for managers and technicians; 404 for an unknown ticket; 409 for a closed ticket
/// or a dispatch conflict (overlapping window, time off); 422 naming the field.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/work-orders", tag = "work orders",
    request_body = TicketWorkOrderRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe: 1–255 visible ASCII characters", pattern = r"^[!-~]{1,255}$")),
    responses(
        (status = 201, body = WorkOrderResponse, headers(("Location" = String))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_for_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<TicketWorkOrderRequest>,
) -> ApiResult<HttpResponse> {
    user.require(DISPATCHERS)?;
    let raw = body.raw.clone();
    let draft = WorkOrderDraft::try_from(CreateWorkOrderRequest::from(body.value))?;
    create(state, user, req, id.into_inner(), &raw, draft).await
}

/// Creates a work order for the ticket `ticket_id` of the body (see
/// `POST /tickets/{id}/work-orders`).
#[utoipa::path(post, path = "/api/v1/work-orders", tag = "work orders",
    request_body = CreateWorkOrderRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe: 1–255 visible ASCII characters", pattern = r"^[!-~]{1,255}$")),
    responses(
        (status = 201, body = WorkOrderResponse, headers(("Location" = String))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_work_order(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: JsonBody<CreateWorkOrderRequest>,
) -> ApiResult<HttpResponse> {
    user.require(DISPATCHERS)?;
    let ticket = body
        .value
        .ticket_id
        .ok_or_else(|| ApiError::invalid_field("ticket_id", "is required"))?;
    let raw = body.raw.clone();
    let draft = WorkOrderDraft::try_from(body.value)?;
    create(state, user, req, ticket, &raw, draft).await
}
