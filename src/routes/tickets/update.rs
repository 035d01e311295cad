//! `PATCH /tickets/{id}`, with `If-Match`.

use super::{EDITORS, TicketResponse, etag};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{AssetId, CustomerId, OrganizationId, SiteId, TeamId, TicketId, UserId};
use crate::domain::ticket::{TicketPriority, TicketStatus};
use crate::error::{ApiError, ApiResult};
use crate::routes::body::JsonBody;
use crate::routes::fields::{double_option, parse_category, parse_name, parse_tags};
use crate::state::AppState;
use crate::tickets::update::{self, HOLD_REASONS, TicketUpdate, Updated};
use crate::tickets::{Actor, MAX_SUBJECT};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

/// `PATCH /tickets/{id}` body: absent fields are unchanged; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketRequest {
    /// Subject, 1–250 characters (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = crate::routes::openapi::Subject)]
    pub subject: Option<Option<String>>,
    /// Status, through the state machine (cannot be `null`); `on_hold` needs a `hold_reason`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = TicketStatus)]
    pub status: Option<Option<TicketStatus>>,
    /// Priority (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = TicketPriority)]
    pub priority: Option<Option<TicketPriority>>,
    /// Category: the key (or name) of an active catalogue category (`null` clears); any other
    /// is a 422 naming `category` that lists the accepted keys.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Category>)]
    pub category: Option<Option<String>>,
    /// Tags (replace the list; `[]` clears, `null` is refused). Tags may change on a closed
    /// ticket.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Vec<crate::routes::openapi::Tag>, max_items = 20)]
    pub tags: Option<Option<Vec<String>>>,
    /// Requester (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub requester_id: Option<Option<i64>>,
    /// Organization (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    /// Site (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub site_id: Option<Option<i64>>,
    /// Team (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// The asset the ticket is about (`null` clears): of the ticket's organization and site,
    /// when those are set (422 naming `asset_id` otherwise).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub asset_id: Option<Option<i64>>,
    /// Assignee (`null` unassigns).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// Why the ticket is on hold (`on_hold.v1` pause reason): `awaiting_parts`,
    /// `awaiting_field_visit`, `facility_access`, `third_party` or `other`; required with
    /// `status: on_hold` (422 naming `hold_reason` without it), or alone on a ticket already on
    /// hold (`null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::HoldReason>)]
    pub hold_reason: Option<String>,
    /// Custom field values to change, by field key (`null` as a value clears that field; fields
    /// not named keep their values). Each change is a `field_changed` event named
    /// `custom_fields.<key>`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The version of the `If-Match` header (`"3"`, `W/"3"` or `3`).
///
/// # Errors
/// 428 without the header; 400 naming `If-Match` when it is not a version.
pub(super) fn if_match(req: &HttpRequest) -> Result<i32, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i32>().ok())
        .ok_or_else(|| ApiError::bad_field("If-Match", "must be the ticket's ETag, e.g. \"3\""))
}

/// What a manager without the agent role may change: the assignee, the team and the priority.
///
/// # Errors
/// 403 naming the first other field the request sets.
fn supervisor_may_set(r: &UpdateTicketRequest) -> Result<(), ApiError> {
    let others = [
        ("subject", r.subject.is_some()),
        ("status", r.status.is_some()),
        ("category", r.category.is_some()),
        ("tags", r.tags.is_some()),
        ("requester_id", r.requester_id.is_some()),
        ("organization_id", r.organization_id.is_some()),
        ("site_id", r.site_id.is_some()),
        ("asset_id", r.asset_id.is_some()),
        ("hold_reason", r.hold_reason.is_some()),
        ("custom_fields", r.custom_fields.is_some()),
    ];
    match others.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(ApiError::forbidden_field(
            field,
            "a manager changes assignee_id, team_id and priority only; other fields need the \
             agent role too",
        )),
        None => Ok(()),
    }
}

impl TryFrom<UpdateTicketRequest> for TicketUpdate {
    type Error = ApiError;

    fn try_from(r: UpdateTicketRequest) -> Result<Self, ApiError> {
        fn required<T>(field: &str, v: Option<Option<T>>) -> Result<Option<T>, ApiError> {
            match v {
                Some(None) => Err(ApiError::invalid_field(field, "cannot be null")),
                Some(Some(v)) => Ok(Some(v)),
                None => Ok(None),
            }
        }
        let subject = required("subject", r.subject)?;
        let status = required("status", r.status)?;
        let priority = required("priority", r.priority)?;
        let tags = required("tags", r.tags)?;
        if let Some(reason) = &r.hold_reason
            && !HOLD_REASONS.contains(&reason.as_str())
        {
            return Err(ApiError::invalid_field(
                "hold_reason",
                format!("expected one of {}", HOLD_REASONS.join(", ")),
            ));
        }
        Ok(TicketUpdate {
            subject: subject
                .map(|s| parse_name("subject", &s, MAX_SUBJECT))
                .transpose()?,
            status,
            priority,
            category: r
                .category
                .map(|c| c.as_deref().map(parse_category).transpose())
                .transpose()?,
            tags: tags.map(|t| parse_tags("tags", &t)).transpose()?,
            requester: r.requester_id.map(|o| o.map(CustomerId::new)),
            organization: r.organization_id.map(|o| o.map(OrganizationId::new)),
            site: r.site_id.map(|o| o.map(SiteId::new)),
            team: r.team_id.map(|o| o.map(TeamId::new)),
            asset: r.asset_id.map(|o| o.map(AssetId::new)),
            assignee: r.assignee_id.map(|o| o.map(UserId::new)),
            hold_reason: r.hold_reason,
            custom_fields: r.custom_fields.unwrap_or_default(),
        })
    }
}

/// Edits a ticket: fields, assignment, priority and status (through the state machine).
/// Requires `If-Match` with the ticket's ETag. Admins and agents change anything; a manager
/// (supervisor) only `assignee_id`, `team_id` and `priority` unless given the agent role too
/// (`also_agent`). Each change is an event of the ticket's log with the caller as actor.
///
/// Errors: 403 naming the field a manager may not change; 428 without `If-Match`; 412 when the ticket changed since that version; 409 for a
/// status change the state machine refuses or any change but tags on a closed ticket; 422 naming
/// the field for invalid values (e.g. solving without an assignee); 404 for an unknown ticket.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets",
    request_body = UpdateTicketRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("If-Match" = String, Header, description = "The ticket's ETag, e.g. \"3\"",
            pattern = r#"^(?:W/)?"*[+-]?[0-9]{1,9}"*$"#)),
    responses(
        (status = 200, body = TicketResponse, headers(("ETag" = String))),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateTicketRequest>,
) -> ApiResult<HttpResponse> {
    user.require(EDITORS)?;
    if user.is_supervisor_only() {
        supervisor_may_set(&body.value)?;
    }
    let given = if_match(&req)?;
    let id = id.into_inner();
    let update = TicketUpdate::try_from(body.value)?;
    let visibility = user.visibility();
    let rules = state.rules.clone();
    let ticket = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let id = TicketId::new(id);
            let actor = Actor {
                id: UserId::new(user.id),
                visibility,
            };
            let ticket =
                match update::update_tx(conn, &rules, id, given, &update, actor, Utc::now())? {
                    Updated::Changed(t) | Updated::Unchanged(t) => t,
                };
            Ok(TicketResponse::read(conn, ticket)?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(ticket.version))
        .json(ticket))
}
