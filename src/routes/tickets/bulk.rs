//! `POST /tickets/bulk`: the same changes to up to 100 tickets, each in a transaction of its own,
//! with a result per ticket.

use super::EDITORS;
use super::merge::parse_ids;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::UserId;
use crate::domain::ticket::TicketStatus;
use crate::error::{ApiError, ApiResult, Problem};
use crate::models::enums::UserRole;
use crate::routes::body::JsonBody;
use crate::routes::fields::{double_option, parse_tags};
use crate::state::AppState;
use crate::tickets::Actor;
use crate::tickets::bulk_update::{self, BulkChanges, MAX_TICKETS, Outcome};
use crate::tickets::update::HOLD_REASONS;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /tickets/bulk` body: the tickets and the changes to make to each; absent changes
/// change nothing, at least one is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateRequest {
    /// The tickets: 1–100 distinct ids.
    #[schema(min_items = 1, max_items = 100)]
    pub ticket_ids: Vec<i64>,
    /// Status to set, through the state machine; `on_hold` needs `hold_reason`.
    pub status: Option<TicketStatus>,
    /// Pause reason with `status: on_hold` (`awaiting_parts`, `awaiting_field_visit`,
    /// `facility_access`, `third_party`, `other`).
    #[schema(value_type = Option<crate::routes::openapi::HoldReason>)]
    pub hold_reason: Option<String>,
    /// Assignee to set (`null` unassigns; absent: unchanged).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// Tags to add (trimmed, lower case).
    #[serde(default)]
    #[schema(value_type = Vec<crate::routes::openapi::Tag>, max_items = 20)]
    pub add_tags: Vec<String>,
    /// Tags to remove (trimmed, lower case).
    #[serde(default)]
    #[schema(value_type = Vec<crate::routes::openapi::Tag>, max_items = 20)]
    pub remove_tags: Vec<String>,
    /// A macro the caller may apply, applied after the other changes (as `POST
    /// /tickets/{id}/macros/{macro_id}/apply`).
    pub macro_id: Option<i64>,
}

/// What happened to one ticket of a bulk update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    /// Changed (its events are in its log).
    Updated,
    /// Nothing to change.
    Unchanged,
    /// Refused: nothing was written to it (`error` says why).
    Failed,
}

/// One ticket's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkTicketResult {
    /// The ticket.
    pub ticket_id: i64,
    /// What happened.
    pub outcome: BulkOutcome,
    /// Its version (ETag) after the call (`null` when it failed).
    pub version: Option<i32>,
    /// Why it failed: the problem a single call would have answered (status, code, detail,
    /// failing fields).
    pub error: Option<Problem>,
}

/// `POST /tickets/bulk` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkUpdateResponse {
    /// Tickets changed.
    pub updated: usize,
    /// Tickets with nothing to change.
    pub unchanged: usize,
    /// Tickets refused (nothing written to them).
    pub failed: usize,
    /// One result per ticket, in the request's order.
    pub results: Vec<BulkTicketResult>,
}

/// What a manager without the agent role may change in bulk: the assignee.
///
/// # Errors
/// 403 naming the first other field the request sets.
fn supervisor_may_set(r: &BulkUpdateRequest) -> Result<(), ApiError> {
    let others = [
        ("status", r.status.is_some()),
        ("hold_reason", r.hold_reason.is_some()),
        ("add_tags", !r.add_tags.is_empty()),
        ("remove_tags", !r.remove_tags.is_empty()),
        ("macro_id", r.macro_id.is_some()),
    ];
    match others.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(ApiError::forbidden_field(
            field,
            "a manager changes assignee_id only in bulk; other changes need the agent role too",
        )),
        None => Ok(()),
    }
}

/// Applies the same changes to up to 100 tickets: the status, pause reason, assignee and tags
/// as one `PATCH` per ticket (of its current version: no `If-Match`), then the macro. Each
/// ticket is changed in a transaction of its own, each change an event of its log by the
/// caller: a ticket that refuses a change (a refused transition, solving unassigned, a closed
/// ticket, an unknown ticket) writes nothing and is reported with the problem a single call
/// would have answered; the others are changed. Admins and agents; a manager changes the
/// assignee only (unless given the agent role too).
///
/// Errors (for the whole request, nothing written): 403 naming a field a manager may not
/// change; 422 naming `ticket_ids` (empty, over 100, repeated), the field of an invalid value,
/// `macro_id` for a macro the caller may not apply, or the body when it changes nothing.
#[utoipa::path(post, path = "/api/v1/tickets/bulk", tag = "tickets",
    request_body = BulkUpdateRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = BulkUpdateResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn bulk_update(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<BulkUpdateRequest>,
) -> ApiResult<HttpResponse> {
    user.require(EDITORS)?;
    let r = body.value;
    if user.is_supervisor_only() {
        supervisor_may_set(&r)?;
    }
    let ids = parse_ids(&r.ticket_ids, MAX_TICKETS)?;
    if let Some(reason) = &r.hold_reason
        && !HOLD_REASONS.contains(&reason.as_str())
    {
        return Err(ApiError::invalid_field(
            "hold_reason",
            format!("expected one of {}", HOLD_REASONS.join(", ")),
        ));
    }
    let mut changes = BulkChanges {
        status: r.status,
        hold_reason: r.hold_reason,
        assignee: r.assignee_id.map(|a| a.map(UserId::new)),
        add_tags: parse_tags("add_tags", &r.add_tags)?,
        remove_tags: parse_tags("remove_tags", &r.remove_tags)?,
        macro_row: None,
    };
    let macro_id = r.macro_id;
    if changes.is_empty() && macro_id.is_none() {
        return Err(ApiError::invalid_field(
            "status",
            "give at least one change: status, assignee_id, add_tags, remove_tags or macro_id",
        ));
    }
    let actor = Actor {
        id: UserId::new(user.id),
        visibility: user.visibility(),
    };
    let rules = state.rules.clone();
    let response = db::run(&state.pool, move |conn| {
        if let Some(id) = macro_id {
            let team: Option<i64> = crate::schema::users::table
                .find(user.id)
                .select(crate::schema::users::team_id)
                .first(conn)?;
            changes.macro_row = Some(
                crate::models::macros::get_visible(
                    conn,
                    id,
                    user.id,
                    team,
                    user.role == UserRole::Admin,
                )?
                .ok_or_else(|| ApiError::invalid_field("macro_id", "no such macro"))?,
            );
        }
        let mut out = BulkUpdateResponse {
            updated: 0,
            unchanged: 0,
            failed: 0,
            results: Vec::with_capacity(ids.len()),
        };
        for id in ids {
            // Each ticket all or nothing: a transaction of its own.
            let done = conn.transaction(|conn| {
                bulk_update::apply_tx(conn, &rules, id, &changes, actor, Utc::now())
            });
            let (outcome, version, error) = match done {
                Ok(Outcome::Updated(t)) => (BulkOutcome::Updated, Some(t.version), None),
                Ok(Outcome::Unchanged(t)) => (BulkOutcome::Unchanged, Some(t.version), None),
                Err(e) => {
                    if matches!(e, ApiError::Unexpected(_)) {
                        tracing::error!(error = ?e, ticket.id = id.get(), "bulk update of a ticket failed");
                    }
                    (BulkOutcome::Failed, None, Some(e.problem()))
                }
            };
            match outcome {
                BulkOutcome::Updated => out.updated += 1,
                BulkOutcome::Unchanged => out.unchanged += 1,
                BulkOutcome::Failed => out.failed += 1,
            }
            out.results.push(BulkTicketResult {
                ticket_id: id.get(),
                outcome,
                version,
                error,
            });
        }
        Ok(out)
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}
