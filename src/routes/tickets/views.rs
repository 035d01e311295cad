//! Saved views of the ticket list: `POST /ticket-views`, `GET /ticket-views` (with their counts),
//! `PATCH /ticket-views/{id}` and `DELETE /ticket-views/{id}`.
//!
//! A view is a name and a `GET /tickets` query string (filters and sort: `assignee=none&status=
//! unsolved&sort=sla_due`, custom field filters `field.<key>=` included), personal or shared with
//! the owner's team. `assignee=me` in a shared view means whoever opens it. A view is changed or
//! deleted by its owner or an admin. Admins, managers and agents save and read views;
//! technicians work from `GET /me/work-orders`.

use super::list::{ListTicketsQuery, resolve_field_filters, split_field_filters};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::ticket::{self as tickets, TicketFilter};
use crate::models::ticket_view::{
    self as model, NewTicketView, TicketView, TicketViewChanges, VIEW_CONSTRAINTS,
};
use crate::routes::body::{JsonBody, QueryParams, parse_query};
use crate::routes::fields::{double_option, parse_name};
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

/// `PATCH /ticket-views/{id}` body: absent fields are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketViewRequest {
    /// Name, 1–100 characters, unique among the owner's views.
    #[schema(value_type = Option<crate::routes::openapi::Name100>)]
    pub name: Option<String>,
    /// The `GET /tickets` query string of the view, as for `POST /ticket-views`.
    #[schema(max_length = 2000)]
    pub query: Option<String>,
    /// Share with this team (the caller's own team; an admin's any team); `null`: personal.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
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

/// A submitted view query as it is stored: trimmed, without a leading `?`.
///
/// # Errors
/// 422 naming `query`: over 2000 characters, or a page parameter (`cursor`, `per_page`,
/// `total`, `format`).
fn clean_query(raw: &str) -> Result<String, ApiError> {
    let query = raw.trim().trim_start_matches('?').to_string();
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
    Ok(query)
}

/// The filter of a stored or submitted view query for `user` (its `assignee=me` is them), its
/// custom field filters (`field.<key>=`) read against the field definitions as `GET /tickets`
/// reads them.
///
/// # Errors
/// What `GET /tickets` answers to the query (400 or 422 naming the parameter); database errors.
fn filter_of(
    conn: &mut PgConnection,
    query: &str,
    user: &AuthUser,
) -> Result<TicketFilter, ApiError> {
    let (rest, fields) = split_field_filters(query);
    let parsed: ListTicketsQuery = parse_query(&rest)?;
    let me = parsed.assignee.as_deref().map(str::trim) == Some("me");
    let mut filter = TicketFilter::try_from(parsed)?;
    filter.visible_to = user.visibility();
    if me {
        filter.assignee_id = Some(user.id);
    }
    filter.custom_fields = resolve_field_filters(conn, &fields)?;
    Ok(filter)
}

/// Checks a view query as `GET /tickets` would run it.
///
/// # Errors
/// 422 naming `query`, the refused parameter (`status`, `field.<key>`, …) in the message;
/// database errors.
fn check_query(conn: &mut PgConnection, query: &str, user: &AuthUser) -> Result<(), ApiError> {
    filter_of(conn, query, user).map(drop).map_err(|e| match e {
        ApiError::Validation { detail, .. } | ApiError::BadRequest { detail, .. } => {
            ApiError::invalid_field("query", format!("not a ticket list query: {detail}"))
        }
        other => other,
    })
}

/// Checks that `user` may share a view with `team`: their own team, or any team for an admin
/// (whether the team exists is the foreign key's answer).
///
/// # Errors
/// 422 naming `team_id`; database errors.
fn check_team(conn: &mut PgConnection, user: &AuthUser, team: i64) -> Result<(), ApiError> {
    if user.role == UserRole::Admin {
        return Ok(());
    }
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
    Ok(())
}

/// View `id`, locked, when `user` may change or delete it: its owner or an admin (a view
/// shared with a team is the owner's to change, not the team's).
///
/// # Errors
/// 404 for a view that does not exist or that `user` does not see (another's personal view, a
/// view shared with another team); 403 for a view shared with their team that they did not save.
fn changeable_tx(
    conn: &mut PgConnection,
    id: i64,
    user: &AuthUser,
) -> Result<TicketView, ApiError> {
    let view = model::lock(conn, id)?.ok_or(ApiError::NotFound("ticket view"))?;
    if view.owner_id == user.id || user.role == UserRole::Admin {
        return Ok(view);
    }
    let team: Option<i64> = users::table
        .find(user.id)
        .select(users::team_id)
        .first(conn)?;
    if view.team_id.is_some() && view.team_id == team {
        return Err(ApiError::ForbiddenField {
            detail: "a view shared with your team is changed by the one who saved it or an \
                     admin"
                .into(),
            errors: Default::default(),
        });
    }
    Err(ApiError::NotFound("ticket view"))
}

/// Saves a view of the ticket list (admins, managers, agents).
///
/// Errors: 409 naming `name` when one of the caller's views has it; 422 naming `name` (blank, too
/// long), `query` (a parameter `GET /tickets` refuses, named in the message — an unknown custom
/// field or a value its type refuses: `field.<key>` —, or a page parameter), `team_id` (not the
/// caller's team, unless an admin; no such team).
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
    let query = clean_query(&r.query)?;
    let team_id = r.team_id;
    let view = db::run(&state.pool, move |conn| {
        check_query(conn, &query, &user)?;
        if let Some(team) = team_id {
            check_team(conn, &user, team)?;
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

/// Changes a view's name, query or sharing, checked as `POST /ticket-views` checks them: its
/// owner, or an admin (the view keeps its owner). Absent fields are unchanged.
///
/// Errors (nothing is written): 404 for a view that does not exist or that the caller does not
/// see (another's personal view); 403 for a view shared with the caller's team that another
/// saved; 409 naming `name` when another of the owner's views has it; 422 naming `name`,
/// `query` or `team_id` as `POST /ticket-views` does.
#[utoipa::path(patch, path = "/api/v1/ticket-views/{id}", tag = "tickets",
    request_body = UpdateTicketViewRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "View id")),
    responses(
        (status = 200, body = TicketViewResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_ticket_view(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateTicketViewRequest>,
) -> ApiResult<HttpResponse> {
    user.require(VIEWERS)?;
    let id = id.into_inner();
    let r = body.value;
    let name = r
        .name
        .as_deref()
        .map(|n| parse_name("name", n, 100))
        .transpose()?;
    let query = r.query.as_deref().map(clean_query).transpose()?;
    let view = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let before = changeable_tx(conn, id, &user)?;
            if let Some(query) = &query {
                check_query(conn, query, &user)?;
            }
            if let Some(Some(team)) = r.team_id {
                check_team(conn, &user, team)?;
            }
            let changes = TicketViewChanges {
                name: name.unwrap_or(before.name),
                team_id: r.team_id.unwrap_or(before.team_id),
                query: query.unwrap_or(before.query),
            };
            model::update(conn, id, &changes).map_err(|e| on_constraint(e, VIEW_CONSTRAINTS))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(TicketViewResponse::new(view, None)))
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
                    match filter_of(conn, &v.query, &user) {
                        Ok(filter) => Some(tickets::count(conn, &filter)?),
                        Err(ApiError::Validation { .. } | ApiError::BadRequest { .. }) => None,
                        Err(other) => return Err(other),
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

/// Deletes a view: its owner, or an admin.
///
/// Errors: 404 for a view that does not exist or that the caller does not see (another's
/// personal view); 403 for a view shared with the caller's team that another saved.
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
    db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            changeable_tx(conn, id, &user)?;
            model::delete(conn, id, None)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
