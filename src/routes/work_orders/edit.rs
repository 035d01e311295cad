//! `PATCH /work-orders/{id}`: an open work order's summary, priority, required skill, access
//! and asset (optionally with `If-Match: "<version>"`).

use super::create::{DISPATCHERS, parse_text};
use super::{WorkOrderResponse, view_of};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{AssetId, UserId, WorkOrderId};
use crate::domain::ticket::TicketPriority;
use crate::error::{ApiError, ApiResult};
use crate::routes::body::JsonBody;
use crate::routes::fields::{double_option, parse_name};
use crate::state::AppState;
use crate::tickets::work_order_edit::{self, WorkOrderEdit};
use crate::tickets::{Actor, MAX_SUBJECT};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

/// `PATCH /work-orders/{id}` body: absent fields are unchanged; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditWorkOrderRequest {
    /// Problem summary, 1–250 characters (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = crate::routes::openapi::Subject)]
    pub summary: Option<Option<String>>,
    /// Priority (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = TicketPriority)]
    pub priority: Option<Option<TicketPriority>>,
    /// Required skill, ≤ 50 characters (`null` or blank clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Text50>)]
    pub required_skill: Option<Option<String>>,
    /// Escort required (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = bool)]
    pub escort_required: Option<Option<bool>>,
    /// Security clearance, ≤ 200 characters (`null` or blank clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Text200>)]
    pub security_clearance: Option<Option<String>>,
    /// Access notes, ≤ 2,000 characters (`null` or blank clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Text2000>)]
    pub access_notes: Option<Option<String>>,
    /// Asset at the work order's site (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub asset_id: Option<Option<i64>>,
}

impl TryFrom<EditWorkOrderRequest> for WorkOrderEdit {
    type Error = ApiError;

    fn try_from(r: EditWorkOrderRequest) -> Result<Self, ApiError> {
        fn required<T>(field: &str, v: Option<Option<T>>) -> Result<Option<T>, ApiError> {
            match v {
                Some(None) => Err(ApiError::invalid_field(field, "cannot be null")),
                Some(Some(v)) => Ok(Some(v)),
                None => Ok(None),
            }
        }
        let text = |field: &str, v: Option<Option<String>>, max: usize| {
            v.map(|o| parse_text(field, o.as_deref(), max)).transpose()
        };
        Ok(WorkOrderEdit {
            summary: required("summary", r.summary)?
                .map(|s| parse_name("summary", &s, MAX_SUBJECT))
                .transpose()?,
            priority: required("priority", r.priority)?,
            required_skill: text("required_skill", r.required_skill, 50)?
                .map(|o| o.map(|s| s.to_lowercase())),
            escort_required: required("escort_required", r.escort_required)?,
            security_clearance: text("security_clearance", r.security_clearance, 200)?,
            access_notes: text("access_notes", r.access_notes, 2000)?,
            asset: r.asset_id.map(|o| o.map(AssetId::new)),
        })
    }
}

fn if_match(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i32>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_field("If-Match", "must be the work order's version, e.g. \"3\"")
        })
}

/// Edits an open work order: summary, priority, required skill, escort, clearance, access
/// notes, asset. Recorded in its ticket's log. Scheduling changes are dispatches
/// (`POST /work-orders/{id}/transitions`).
///
/// Errors: 403 for managers and technicians; 404 for an unknown work order; 409 for one that
/// ended or was cancelled; 412 when `If-Match` names another version; 422 naming the field.
#[utoipa::path(patch, path = "/api/v1/work-orders/{id}", tag = "work orders",
    request_body = EditWorkOrderRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Work order id"),
           ("If-Match" = Option<String>, Header, nullable = false, description = "The work order's version, e.g. \"3\"",
            pattern = r#"^(?:W/)?"*[+-]?[0-9]{1,9}"*$"#)),
    responses(
        (status = 200, body = WorkOrderResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn edit_work_order(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<EditWorkOrderRequest>,
) -> ApiResult<HttpResponse> {
    user.require(DISPATCHERS)?;
    let given = if_match(&req)?;
    let id = id.into_inner();
    let edit = WorkOrderEdit::try_from(body.value)?;
    let visibility = user.visibility();
    let rules = state.rules.clone();
    let view = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let actor = Actor {
                id: UserId::new(user.id),
                visibility,
            };
            let row = work_order_edit::edit_tx(
                conn,
                &rules,
                WorkOrderId::new(id),
                given,
                &edit,
                actor,
                Utc::now(),
            )?;
            view_of(conn, row.id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
