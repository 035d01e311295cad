//! Saved views of the ticket list: `POST /ticket-views`, `GET /ticket-views` (with their counts)
//! and `DELETE /ticket-views/{id}`.
//!
//! A view is a name and a `GET /tickets` query string (filters and sort: `assignee=none&status=
//! unsolved&sort=sla_due`), personal or shared with the owner's team. `assignee=me` in a shared
//! view means whoever opens it. Admins, managers and agents save and read views; technicians work
//! from `GET /me/work-orders`.

use super::list::ListTicketsQuery;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::ticket::{self as tickets, TicketFilter};
use crate::models::ticket_view::{self as model, NewTicketView, TicketView, VIEW_CONSTRAINTS};
use crate::routes::body::{JsonBody, QueryParams, parse_query};
use crate::routes::fields::parse_name;
use crate::schema::users;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const VIEWERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager, UserRole::Agent];

/// Parameters a view may not fix: they belong to one page or one download.
const PAGE_PARAMETERS: [&str; 4] = ["cursor", "per_page", "total", "format"];

/// `POST /ticket-views` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketViewRequest {
    /// Name, 1–100 characters, unique among the caller's views.
    #[schema(value_type = crate::routes::openapi::Name100)]
    pub name: String,
    /// The `GET /tickets` query string of the view (filters and `sort`; no `cursor`,
    /// `per_page`, `total` or `format`), e.g. `assignee=none&status=unsolved&sort=sla_due`.
    #[schema(max_length = 2000)]
    pub query: String,
    /// Share with this team (the caller's own team; an admin's any team); absent: personal.
    pub team_id: Option<i64>,
}

/// A saved view.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketViewResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Who saved it.
    pub owner_id: i64,
    /// The team it is shared with (`null`: personal).
    pub team_id: Option<i64>,
    /// Its `GET /tickets` query string.
    pub query: String,
    /// The list it shows: `/api/v1/tickets?` and its query.
    pub href: String,
    /// How many tickets it holds now for the caller (`counts=true` only).
    pub count: Option<i64>,
    /// Saved (UTC).
    pub created_at: DateTime<Utc>,
}

impl TicketViewResponse {
    fn new(v: TicketView, count: Option<i64>) -> Self {
        TicketViewResponse {
            id: v.id,
            href: format!("/api/v1/tickets?{}", v.query),
            name: v.name,
            owner_id: v.owner_id,
            team_id: v.team_id,
            query: v.query,
            count,
            created_at: v.created_at,
        }
    }
}

/// `GET /ticket-views` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketViewListResponse {
    /// The caller's views and those shared with their team, by name.
    pub views: Vec<TicketViewResponse>,
}

/// `GET /ticket-views` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListTicketViewsQuery {
    /// `true`: each view's `count` (one counting statement per view).
    pub counts: Option<bool>,
}

/// The filter of a stored or submitted view query for `user` (its `assignee=me` is them).
fn filter_of(query: &str, user: &AuthUser) -> Result<TicketFilter, ApiError> {
    let parsed: ListTicketsQuery = parse_query(query)?;
    let me = parsed.assignee.as_deref().map(str::trim) == Some("me");
    let mut filter = TicketFilter::try_from(parsed)?;
    filter.visible_to = user.visibility();
    if me {
        filter.assignee_id = Some(user.id);
    }
    Ok(filter)
}

/// Saves a view of the ticket list (admins, managers, agents).
///
/// Errors: 409 naming `name` when one of the caller's views has it; 422 naming `name` (blank, too
/// long), `query` (a
/// parameter `GET /tickets` refuses, named in the message, or a page parameter), `team_id`
/// (not the caller's team, unless an admin; no such team).
#[utoipa::path(post, path = "/api/v1/ticket-views", tag = "tickets",
    request_body = CreateTicketViewRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = TicketViewResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_ticket_view(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateTicketViewRequest>,
) -> ApiResult<HttpResponse> {
    user.require(VIEWERS)?;
    let r = body.value;
    let name = parse_name("name", &r.name, 100)?;
    let query = r.query.trim().trim_start_matches('?').to_string();
    if query.chars().count() > 2000 {
        return Err(ApiError::invalid_field(
            "query",
            "must be at most 2000 characters",
        ));
    }
    if let Some((page, _)) = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| PAGE_PARAMETERS.contains(&k.as_ref()))
    {
        return Err(ApiError::invalid_field(
            "query",
            format!("`{page}` belongs to a page, not to a view"),
        ));
    }
    filter_of(&query, &user).map_err(|e| match e {
        ApiError::Validation { detail, .. } | ApiError::BadRequest { detail, .. } => {
            ApiError::invalid_field("query", format!("not a ticket list query: {detail}"))
        }
        other => other,
    })?;
    let team_id = r.team_id;
    let view = db::run(&state.pool, move |conn| {
        if let Some(team) = team_id
            && user.role != UserRole::Admin
        {
            let own: Option<i64> = users::table
                .find(user.id)
                .select(users::team_id)
                .first(conn)?;
            if own != Some(team) {
                return Err(ApiError::invalid_field(
                    "team_id",
                    "a view is shared with your own team only",
                ));
            }
        }
        model::insert(
            conn,
            &NewTicketView {
                name,
                owner_id: user.id,
                team_id,
                query,
            },
        )
        .map_err(|e| on_constraint(e, VIEW_CONSTRAINTS))
    })
    .await?;
    Ok(HttpResponse::Created().json(TicketViewResponse::new(view, None)))
}

/// The caller's views and those shared with their team, by name; with `counts=true` the number
/// of tickets each holds now for the caller.
#[utoipa::path(get, path = "/api/v1/ticket-views", tag = "tickets",
    params(ListTicketViewsQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = TicketViewListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_ticket_views(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListTicketViewsQuery>,
) -> ApiResult<HttpResponse> {
    user.require(VIEWERS)?;
    let counts = query.0.counts.unwrap_or(false);
    let views = db::run(&state.pool, move |conn| {
        let team: Option<i64> = users::table
            .find(user.id)
            .select(users::team_id)
            .first(conn)?;
        let views = model::visible_to(conn, user.id, team)?;
        views
            .into_iter()
            .map(|v| {
                let count = if counts {
                    // A view saved before a parameter changed meaning counts nothing rather
                    // than failing the whole list.
                    match filter_of(&v.query, &user) {
                        Ok(filter) => Some(tickets::count(conn, &filter)?),
                        Err(_) => None,
                    }
                } else {
                    None
                };
                Ok(TicketViewResponse::new(v, count))
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(TicketViewListResponse { views }))
}

/// Deletes a view: its owner, or an admin. 404 for a view that does not exist or is another's.
#[utoipa::path(delete, path = "/api/v1/ticket-views/{id}", tag = "tickets",
    params(("id" = i64, Path, description = "View id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn delete_ticket_view(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(VIEWERS)?;
    let id = id.into_inner();
    let owner = (user.role != UserRole::Admin).then_some(user.id);
    let deleted = db::run(&state.pool, move |conn| Ok(model::delete(conn, id, owner)?)).await?;
    if !deleted {
        return Err(ApiError::NotFound("ticket view"));
    }
    Ok(HttpResponse::NoContent().finish())
}
