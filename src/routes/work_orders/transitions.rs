//! `POST /work-orders/{id}/transitions`: dispatch, en route, on site, complete, cannot complete,
//! cancel — with an optional device instant `occurred_at` and `Idempotency-Key` replays (a
//! phone that retries after losing signal gets the first answer again, not an error).

use super::create::{WindowRequest, parse_dispatch, parse_text};
use super::view_of;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{UserId, WorkOrderId};
use crate::domain::work_order::{CannotCompleteReason, WorkOrderStatus};
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::idempotency;
use crate::routes::body::JsonBody;
use crate::routes::fields::{parse_instant, parse_name};
use crate::routes::idempotent;
use crate::state::AppState;
use crate::tickets::Actor;
use crate::tickets::work_order::{self, Completion, FollowUp, Part, Transition};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The follow-up visit a `cannot_complete` asks for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// Summary, 1–250 characters (default: the first work order's).
    #[schema(value_type = Option<crate::routes::openapi::Subject>)]
    pub summary: Option<String>,
    /// Dispatch at once to this technician …
    pub technician_id: Option<i64>,
    /// … with this arrival window.
    pub arrival_window: Option<WindowRequest>,
}

/// `POST /work-orders/{id}/transitions` body. Which fields apply depends on `to`:
/// - `dispatched`: `technician_id`, `arrival_window` (required);
/// - `en_route`, `on_site`: nothing else;
/// - `completed`: `resolution_code` (required), `notes`, `parts`, `problem_fixed` (required);
/// - `cannot_complete`: `reason` (`no_access`, `parts_needed`, `customer_absent`, `other`),
///   `notes`, `follow_up` (a new linked visit);
/// - `cancelled`: `notes` (the reason).
///
/// A field that does not apply to `to` is a 422 naming it. (Its schema, one object per `to`,
/// is `TransitionRequest::schema`.)
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The new status.
    pub to: WorkOrderStatus,
    /// When it happened on the device (RFC 3339; default: now). Not in the future, not before
    /// the work order's previous transition.
    pub occurred_at: Option<String>,
    /// `dispatched`: the technician.
    pub technician_id: Option<i64>,
    /// `dispatched`: the arrival window promised to the customer.
    pub arrival_window: Option<WindowRequest>,
    /// `completed`: resolution code (1–100 characters).
    pub resolution_code: Option<String>,
    /// Notes (≤ 4,000 characters).
    pub notes: Option<String>,
    /// `completed`: parts used (≤ 50 lines).
    pub parts: Option<Vec<Part>>,
    /// `completed`: the problem is fixed.
    pub problem_fixed: Option<bool>,
    /// `cannot_complete`: why.
    pub reason: Option<String>,
    /// `cannot_complete`: ask for a follow-up visit.
    pub follow_up: Option<FollowUpRequest>,
}

impl utoipa::PartialSchema for TransitionRequest {
    /// One object per `to`, each with the fields that apply to it (`scheduled` is not a
    /// transition: a work order is scheduled when created).
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let schema =
            |name: &str| serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        let instant = schema("Instant");
        let notes = serde_json::json!({
            "oneOf": [schema("Text4000"), {"type": "null"}],
            "description": "Notes (≤ 4,000 characters; blank: none)"
        });
        let occurred_at = serde_json::json!({
            "oneOf": [instant, {"type": "null"}],
            "description": "When it happened on the device (default: now). Not in the future, \
                            not before the work order's previous transition."
        });
        let variant = |to: &str, description: &str, required: &[&str], extra: serde_json::Value| {
            let mut properties = serde_json::json!({
                "to": {"type": "string", "enum": [to]},
                "occurred_at": occurred_at,
            });
            if let (Some(p), Some(e)) = (properties.as_object_mut(), extra.as_object()) {
                p.extend(e.clone());
            }
            let mut needed = vec!["to"];
            needed.extend_from_slice(required);
            serde_json::json!({
                "type": "object",
                "title": to,
                "description": description,
                "required": needed,
                "properties": properties,
                "additionalProperties": false,
            })
        };
        let json = serde_json::json!({
            "description": "The new status `to` and the fields that apply to it; another field is \
                            a 422 naming it",
            "oneOf": [
                variant("dispatched", "Give the visit to a technician (again to re-dispatch)",
                    &["technician_id", "arrival_window"], serde_json::json!({
                        "technician_id": {"type": "integer", "format": "int64",
                            "description": "The technician"},
                        "arrival_window": schema("WindowRequest"),
                    })),
                variant("en_route", "The technician is on the way", &[], serde_json::json!({})),
                variant("on_site", "The technician arrived", &[], serde_json::json!({})),
                variant("completed", "The visit ended with the work done",
                    &["resolution_code", "problem_fixed"], serde_json::json!({
                        "resolution_code": schema("Name100"),
                        "notes": notes,
                        "parts": {"type": ["array", "null"], "items": schema("Part"),
                            "maxItems": 50, "description": "Parts used (≤ 50 lines)"},
                        "problem_fixed": {"type": "boolean", "description": "The problem is fixed"},
                    })),
                variant("cannot_complete", "The visit ended without the work done",
                    &["reason"], serde_json::json!({
                        "reason": schema("CannotCompleteReason"),
                        "notes": notes,
                        "follow_up": {"oneOf": [schema("FollowUpRequest"), {"type": "null"}],
                            "description": "Ask for a follow-up visit"},
                    })),
                variant("cancelled", "Call the visit off", &[], serde_json::json!({
                    "notes": notes,
                })),
            ]
        });
        serde_json::from_value(json).unwrap_or_default()
    }
}

impl utoipa::ToSchema for TransitionRequest {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use crate::routes::openapi::{Instant, Name100, Text4000};
        use utoipa::PartialSchema;
        schemas.extend([
            ("Instant".to_string(), Instant::schema()),
            ("Name100".to_string(), Name100::schema()),
            ("Text4000".to_string(), Text4000::schema()),
            ("WindowRequest".to_string(), WindowRequest::schema()),
            ("FollowUpRequest".to_string(), FollowUpRequest::schema()),
            ("Part".to_string(), Part::schema()),
            (
                "CannotCompleteReason".to_string(),
                crate::domain::work_order::CannotCompleteReason::schema(),
            ),
        ]);
        <FollowUpRequest as utoipa::ToSchema>::schemas(schemas);
        <WindowRequest as utoipa::ToSchema>::schemas(schemas);
        <Part as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The answer of a transition: the work order, and the follow-up visit created with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionResponse {
    /// The work order after the transition.
    pub work_order: super::WorkOrderResponse,
    /// The follow-up visit (`cannot_complete` with `follow_up`).
    pub follow_up: Option<super::WorkOrderResponse>,
    /// The ticket's status after the transition.
    pub ticket_status: crate::domain::ticket::TicketStatus,
}

fn not_for(field: &str, to: WorkOrderStatus) -> ApiError {
    ApiError::invalid_field(field, format!("does not apply to a transition to {to}"))
}

impl TryFrom<TransitionRequest> for Transition {
    type Error = ApiError;

    fn try_from(r: TransitionRequest) -> Result<Self, ApiError> {
        use WorkOrderStatus::*;
        let to = r.to;
        let allowed: &[&str] = match to {
            Dispatched => &["technician_id", "arrival_window"],
            EnRoute | OnSite | Scheduled => &[],
            Completed => &["resolution_code", "notes", "parts", "problem_fixed"],
            CannotComplete => &["reason", "notes", "follow_up"],
            Cancelled => &["notes"],
        };
        let given = [
            ("technician_id", r.technician_id.is_some()),
            ("arrival_window", r.arrival_window.is_some()),
            ("resolution_code", r.resolution_code.is_some()),
            ("notes", r.notes.is_some()),
            ("parts", r.parts.is_some()),
            ("problem_fixed", r.problem_fixed.is_some()),
            ("reason", r.reason.is_some()),
            ("follow_up", r.follow_up.is_some()),
        ];
        if let Some((field, _)) = given.iter().find(|(f, g)| *g && !allowed.contains(f)) {
            return Err(not_for(field, to));
        }
        let notes = parse_text("notes", r.notes.as_deref(), 4000)?;
        Ok(match to {
            Scheduled => {
                return Err(ApiError::invalid_field(
                    "to",
                    "a work order is scheduled only when created",
                ));
            }
            Dispatched => Transition::Dispatch(
                parse_dispatch(r.technician_id, r.arrival_window.as_ref())?.ok_or_else(|| {
                    ApiError::invalid_field("technician_id", "is required to dispatch")
                })?,
            ),
            EnRoute => Transition::EnRoute,
            OnSite => Transition::OnSite,
            Completed => {
                let parts = r.parts.unwrap_or_default();
                if parts.len() > 50 {
                    return Err(ApiError::invalid_field("parts", "at most 50 lines"));
                }
                let mut checked = Vec::with_capacity(parts.len());
                for (i, p) in parts.into_iter().enumerate() {
                    if !(1..=10_000).contains(&p.quantity) {
                        return Err(ApiError::invalid_field(
                            &format!("parts[{i}].quantity"),
                            "must be between 1 and 10000",
                        ));
                    }
                    checked.push(Part {
                        part_number: parse_name(
                            &format!("parts[{i}].part_number"),
                            &p.part_number,
                            100,
                        )?,
                        description: parse_text(
                            &format!("parts[{i}].description"),
                            Some(&p.description),
                            500,
                        )?
                        .unwrap_or_default(),
                        quantity: p.quantity,
                    });
                }
                Transition::Complete(Completion {
                    resolution_code: parse_name(
                        "resolution_code",
                        r.resolution_code.as_deref().ok_or_else(|| {
                            ApiError::invalid_field("resolution_code", "is required to complete")
                        })?,
                        100,
                    )?,
                    notes,
                    parts: checked,
                    problem_fixed: r.problem_fixed.ok_or_else(|| {
                        ApiError::invalid_field("problem_fixed", "is required to complete")
                    })?,
                })
            }
            CannotComplete => {
                let reason = r
                    .reason
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid_field("reason", "is required"))?;
                let reason = CannotCompleteReason::parse(reason).ok_or_else(|| {
                    ApiError::invalid_field(
                        "reason",
                        format!("expected one of {}", CannotCompleteReason::expected()),
                    )
                })?;
                let follow_up = r
                    .follow_up
                    .map(|f| -> Result<FollowUp, ApiError> {
                        Ok(FollowUp {
                            summary: f
                                .summary
                                .as_deref()
                                .map(|s| {
                                    parse_name("follow_up.summary", s, crate::tickets::MAX_SUBJECT)
                                })
                                .transpose()?,
                            dispatch: parse_dispatch(f.technician_id, f.arrival_window.as_ref())
                                .map_err(|e| e.prefixed("follow_up."))?,
                        })
                    })
                    .transpose()?;
                Transition::CannotComplete {
                    reason,
                    notes,
                    follow_up,
                }
            }
            Cancelled => Transition::Cancel { reason: notes },
        })
    }
}

/// Moves a work order: `dispatched` (technician and arrival window; again from `dispatched` to
/// re-dispatch), `en_route`, `on_site`, `completed`, `cannot_complete` or `cancelled`. Every
/// transition is an event in the ticket's log, and the ticket follows (on hold while any work
/// order is open; solved when the last one completes with the problem fixed; open otherwise).
///
/// Technicians move only their own work orders and cannot dispatch or cancel (nor dispatch the
/// follow-up visit they ask for: it stays `scheduled` for a dispatcher); admins and agents move
/// any. With `Idempotency-Key`, a retry replays the first answer.
///
/// Errors: 404 for a work order the caller cannot see; 409 (`invalid_transition`, naming
/// `status` with the current status) for a transition the state machine refuses; 409
/// (`schedule_conflict`) naming `arrival_window` (another open work order of the technician
/// overlaps) or `time_off`; 422 naming `occurred_at` (in the future, or before the previous
/// transition) or another field.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/transitions", tag = "work orders",
    request_body = TransitionRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Work order id"),
           ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe: 1–255 visible ASCII characters", pattern = r"^[!-~]{1,255}$")),
    responses(
        (status = 200, body = TransitionResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn transition(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin, UserRole::Agent, UserRole::Technician])?;
    let id = id.into_inner();
    let key = idempotent::key(&req)?;
    let canonical: serde_json::Value = serde_json::from_slice(&body.raw).unwrap_or_default();
    let hash =
        idempotency::request_hash("POST", &format!("work-order-transition:{id}"), &canonical);
    let occurred_at = parse_instant("occurred_at", body.value.occurred_at.as_deref())?;
    let to = body.value.to;
    let transition = Transition::try_from(body.value)?;
    let rules = state.rules.clone();
    let visibility = user.visibility();
    let role = user.role;
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            idempotent::run_tx(conn, user.id, key.as_deref(), &hash, |conn| {
                let schedules = matches!(
                    to,
                    WorkOrderStatus::Dispatched | WorkOrderStatus::Cancelled
                ) || matches!(
                    &transition,
                    Transition::CannotComplete { follow_up: Some(f), .. } if f.dispatch.is_some()
                );
                if role == UserRole::Technician && schedules {
                    // A technician learns whether the work order exists (theirs or not) before
                    // the role answer: another's is a 404 like an unknown one.
                    let technician = Some(user.id);
                    crate::models::work_order::get(conn, id, technician)
                        .map_err(ApiError::not_found("work order"))?;
                    return Err(ApiError::Forbidden);
                }
                let actor = Actor {
                    id: UserId::new(user.id),
                    visibility,
                };
                let done = work_order::transition_tx(
                    conn,
                    &rules,
                    WorkOrderId::new(id),
                    &transition,
                    occurred_at,
                    actor,
                    Utc::now(),
                )?;
                let response = TransitionResponse {
                    work_order: view_of(conn, done.work_order.id)?,
                    follow_up: done.follow_up.map(|f| view_of(conn, f.id)).transpose()?,
                    ticket_status: done.ticket.status.into(),
                };
                let body =
                    serde_json::to_value(response).map_err(|e| ApiError::Unexpected(e.into()))?;
                Ok((200, body))
            })
        })
    })
    .await?;
    let (status, body, replayed) = outcome.into_parts();
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK),
    );
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    Ok(response.json(body))
}
