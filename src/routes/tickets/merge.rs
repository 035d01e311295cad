//! `POST /tickets/{id}/merge` (merge duplicates into the ticket), `GET`/`POST
//! /tickets/{id}/incidents` (a problem's incidents) and `DELETE
//! /tickets/{id}/incidents/{incident_id}` (unlink one).

use super::{EDITORS, TicketResponse, etag};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{TicketId, UserId};
use crate::error::{ApiError, ApiResult};
use crate::models::ticket as model;
use crate::routes::body::JsonBody;
use crate::state::AppState;
use crate::tickets::merge::{self, MAX_SOURCES, MergeRequest};
use crate::tickets::problem::{self, MAX_INCIDENTS};
use crate::tickets::{Actor, bulk_update::MAX_TICKETS};
use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Ticket ids of a request body: 1–`max`, each positive, no repeats.
///
/// # Errors
/// 422 naming `ticket_ids`.
pub(super) fn parse_ids(ids: &[i64], max: usize) -> Result<Vec<TicketId>, ApiError> {
    if ids.is_empty() || ids.len() > max {
        return Err(ApiError::invalid_field(
            "ticket_ids",
            format!("give 1 to {max} ticket ids"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if *id < 1 {
            return Err(ApiError::invalid_field("ticket_ids", "ids are positive"));
        }
        if !seen.insert(*id) {
            return Err(ApiError::invalid_field(
                "ticket_ids",
                format!("ticket {id} is given twice"),
            ));
        }
    }
    debug_assert!(MAX_TICKETS >= max);
    Ok(ids.iter().map(|i| TicketId::new(*i)).collect())
}

/// `POST /tickets/{id}/merge` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeTicketsRequest {
    /// The duplicates to merge into this ticket: 1–20 distinct ticket ids, not this one.
    #[schema(min_items = 1, max_items = 20)]
    pub ticket_ids: Vec<i64>,
    /// The comment each merged ticket gets ("closed and merged into request #N") is public, so
    /// its requester is told (default `true`); `false`: an internal note.
    #[serde(default = "yes")]
    pub source_comment_public: bool,
}

fn yes() -> bool {
    true
}

/// `POST /tickets/{id}/merge` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MergeTicketsResponse {
    /// The surviving ticket after the merge.
    pub ticket: TicketResponse,
    /// The merged tickets, closed, with `merged_into_id` set (in the request's order).
    pub merged: Vec<TicketResponse>,
    /// Comments of the merged tickets copied onto this one as internal notes.
    pub comments_copied: usize,
}

/// Merges duplicate tickets into this one, in one transaction. Each merged ticket keeps its
/// comments and requester, gets a `linked` event (`merged_into`) and a comment naming this
/// ticket (public unless `source_comment_public: false`: its requester is told), and is closed
/// with `merged_into_id` set; as a duplicate it counts in no metric (docs/METRICS.md). This
/// ticket gets a `linked` event (`merged`) per merged ticket and each of their comments as an
/// internal note (no metric or SLA clock moves). A requester who later writes on a merged
/// ticket writes on this one. Admins, agents and managers.
///
/// Errors (nothing is written): 404 for an unknown ticket; 422 naming `ticket_ids` (empty, over
/// 20, repeated, or this ticket); 409 naming `status` when this ticket is closed, naming
/// `ticket_ids` for a closed merged ticket, one with work orders or a problem with incidents.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "tickets",
    request_body = MergeTicketsRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "The surviving ticket's id")),
    responses(
        (status = 200, body = MergeTicketsResponse, headers(("ETag" = String))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn merge_tickets(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<MergeTicketsRequest>,
) -> ApiResult<HttpResponse> {
    user.require(EDITORS)?;
    let request = MergeRequest {
        sources: parse_ids(&body.value.ticket_ids, MAX_SOURCES)?,
        source_comment_public: body.value.source_comment_public,
    };
    let id = TicketId::new(id.into_inner());
    let actor = Actor {
        id: UserId::new(user.id),
        visibility: user.visibility(),
    };
    let rules = state.rules.clone();
    let done = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| merge::merge_tx(conn, &rules, id, &request, actor, Utc::now()))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(done.ticket.version))
        .json(MergeTicketsResponse {
            ticket: done.ticket.into(),
            merged: done.sources.into_iter().map(Into::into).collect(),
            comments_copied: done.comments_copied,
        }))
}

/// `POST /tickets/{id}/incidents` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIncidentsRequest {
    /// The incidents to link to this problem: 1–100 distinct ticket ids, not this one.
    #[schema(min_items = 1, max_items = 100)]
    pub ticket_ids: Vec<i64>,
}

/// A ticket's problem and incidents.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncidentsResponse {
    /// The ticket.
    pub ticket_id: i64,
    /// The problem it is an incident of (`null`: none).
    pub problem_id: Option<i64>,
    /// Its incidents, when it is a problem (ids, ascending).
    pub incident_ids: Vec<i64>,
}

/// Links incidents to this problem ticket (an outage many customers reported): a `linked`
/// event on each side. When the problem is solved — by `PATCH`, a comment with a status, a macro
/// or a bulk update — each incident not yet solved or closed is solved with it, with a public
/// reply to its requester (the problem's public solving comment, or a standard text), in the
/// same transaction; an unassigned incident is first assigned to the problem's assignee.
/// Linking an incident already linked to this problem changes nothing. Admins, agents and
/// managers.
///
/// Errors (nothing is written): 404 for an unknown ticket; 422 naming `ticket_ids` (empty, over
/// 100, repeated, or this ticket); 409 naming `status` when this ticket is closed or is itself
/// an incident; 409 naming `ticket_ids` for a closed incident, one linked to another problem, or
/// one that is a problem with incidents.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/incidents", tag = "tickets",
    request_body = LinkIncidentsRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "The problem ticket's id")),
    responses(
        (status = 200, body = IncidentsResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn link_incidents(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<LinkIncidentsRequest>,
) -> ApiResult<HttpResponse> {
    user.require(EDITORS)?;
    let incidents = parse_ids(&body.value.ticket_ids, MAX_INCIDENTS)?;
    let id = TicketId::new(id.into_inner());
    let actor = Actor {
        id: UserId::new(user.id),
        visibility: user.visibility(),
    };
    let rules = state.rules.clone();
    let linked = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            problem::link_incidents_tx(conn, &rules, id, &incidents, actor, Utc::now())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(IncidentsResponse {
        ticket_id: linked.problem.id,
        problem_id: None,
        incident_ids: linked.incident_ids,
    }))
}

/// Unlinks an incident from this problem ticket: the incident no longer follows the problem
/// (solving the problem leaves it as it is), and each side gets an `unlinked` event (`link:
/// "problem"` on the incident, `link: "incident"` on the problem), as linking gave each a
/// `linked` one. Admins, agents and managers. Answers the problem's remaining incidents.
///
/// Errors (nothing is written): 404 for an unknown ticket or one the caller cannot see, and
/// when the incident is not linked to this problem; 409 `ticket_closed` naming `status` when the
/// problem is closed, naming `incident_id` when the incident is.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/incidents/{incident_id}", tag = "tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The problem ticket's id"),
           ("incident_id" = i64, Path, description = "The incident ticket's id")),
    responses(
        (status = 200, body = IncidentsResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn unlink_incident(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    user.require(EDITORS)?;
    let (id, incident_id) = path.into_inner();
    let (id, incident_id) = (TicketId::new(id), TicketId::new(incident_id));
    let actor = Actor {
        id: UserId::new(user.id),
        visibility: user.visibility(),
    };
    let rules = state.rules.clone();
    let unlinked = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            problem::unlink_incident_tx(conn, &rules, id, incident_id, actor, Utc::now())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(IncidentsResponse {
        ticket_id: unlinked.problem.id,
        problem_id: None,
        incident_ids: unlinked.incident_ids,
    }))
}

/// A ticket's problem (when it is an incident) and incidents (when it is a problem). Every
/// staff member who may see the ticket.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/incidents", tag = "tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    responses(
        (status = 200, body = IncidentsResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_incidents(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let visibility = user.visibility();
    let response = db::run(&state.pool, move |conn| {
        model::check_visible(conn, id, visibility).map_err(ApiError::not_found("ticket"))?;
        Ok(IncidentsResponse {
            ticket_id: id,
            problem_id: problem::problem_of(conn, id)?,
            incident_ids: problem::incidents_of(conn, id)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(response))
}
