//! Macros: `POST`/`GET /macros`, `GET`/`PUT`/`DELETE /macros/{id}`, and
//! `POST /tickets/{id}/macros/{macro_id}/apply`.
//!
//! A macro is a name, an optional reply template (placeholders `{{ticket.number}}`,
//! `{{ticket.subject}}`, `{{requester.name}}`, `{{agent.name}}`, … checked when saved) and field
//! changes ([`MacroActions`]). Personal by default; shared with a team (the owner's own; an
//! admin's any) or with everyone (admins only), as Zendesk's. Admins and agents (and managers
//! given the agent role too) make and apply them; the owner or an admin changes or deletes one.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{TicketId, UserId};
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::macros::{self as model, MACRO_CONSTRAINTS, MacroRow, NewMacro};
use crate::models::staff;
use crate::routes::body::JsonBody;
use crate::routes::fields::{parse_comment, parse_name, parse_tags};
use crate::routes::tickets::TicketResponse;
use crate::routes::tickets::comments::CommentResponse;
use crate::schema::{teams, users};
use crate::state::AppState;
use crate::tickets::Actor;
use crate::tickets::macros::{self as macros, MacroActions};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const MACRO_USERS: &[UserRole] = &[UserRole::Admin, UserRole::Agent];

/// `POST /macros` and `PUT /macros/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveMacroRequest {
    /// Name, 1–100 characters, unique among the owner's macros.
    #[schema(value_type = crate::routes::openapi::Name100)]
    pub name: String,
    /// Reply template (1–65,536 characters; placeholders `{{ticket.id}}`, `{{ticket.number}}`,
    /// `{{ticket.subject}}`, `{{requester.name}}`, `{{requester.first_name}}`,
    /// `{{agent.name}}`); absent: the macro writes no reply.
    #[schema(max_length = 65536)]
    pub reply: Option<String>,
    /// The reply is public (default true); `false`: an internal note.
    #[serde(default = "yes")]
    pub reply_public: bool,
    /// Field changes (status, hold_reason, priority, assignee_id, team_id, add_tags,
    /// remove_tags).
    #[serde(default)]
    pub actions: MacroActions,
    /// Share with this team (the caller's own team; an admin's any team).
    pub team_id: Option<i64>,
    /// Share with every admin and agent (admins only; default false).
    #[serde(default)]
    pub shared: bool,
}

fn yes() -> bool {
    true
}

/// A macro.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MacroResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Who made it.
    pub owner_id: i64,
    /// The team it is shared with.
    pub team_id: Option<i64>,
    /// Shared with everyone.
    pub shared: bool,
    /// Reply template.
    pub reply: Option<String>,
    /// The reply is public.
    pub reply_public: bool,
    /// Field changes.
    pub actions: MacroActions,
    /// Made (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<MacroRow> for MacroResponse {
    type Error = ApiError;

    fn try_from(m: MacroRow) -> Result<Self, ApiError> {
        Ok(MacroResponse {
            actions: serde_json::from_value(m.actions)
                .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("macro {}: {e}", m.id)))?,
            id: m.id,
            name: m.name,
            owner_id: m.owner_id,
            team_id: m.team_id,
            shared: m.shared,
            reply: m.reply,
            reply_public: m.reply_public,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// `GET /macros` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MacroListResponse {
    /// The macros the caller may apply (all of them for an admin), by name.
    pub macros: Vec<MacroResponse>,
}

/// `POST /tickets/{id}/macros/{macro_id}/apply` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MacroAppliedResponse {
    /// The ticket after the macro.
    pub ticket: TicketResponse,
    /// The reply it wrote (`null`: the macro has none).
    pub comment: Option<CommentResponse>,
}

/// The caller's team.
fn team_of(conn: &mut PgConnection, user: i64) -> Result<Option<i64>, ApiError> {
    Ok(users::table.find(user).select(users::team_id).first(conn)?)
}

/// Validates `r` for `user` (the owner) into a row.
fn parse(r: SaveMacroRequest, owner: i64) -> Result<NewMacro, ApiError> {
    let name = parse_name("name", &r.name, 100)?;
    let reply = r
        .reply
        .as_deref()
        .map(|t| {
            let t = parse_comment("reply", t)?;
            macros::check_template("reply", &t)?;
            Ok::<_, ApiError>(t)
        })
        .transpose()?;
    let mut actions = r.actions;
    actions.check_hold()?;
    actions.add_tags = parse_tags("actions.add_tags", &actions.add_tags)?;
    actions.remove_tags = parse_tags("actions.remove_tags", &actions.remove_tags)?;
    if reply.is_none() && actions.is_empty() {
        return Err(ApiError::invalid_field(
            "actions",
            "a macro writes a reply or changes a field",
        ));
    }
    Ok(NewMacro {
        name,
        owner_id: owner,
        team_id: r.team_id,
        shared: r.shared,
        reply,
        reply_public: r.reply_public,
        actions: serde_json::to_value(&actions).map_err(|e| ApiError::Unexpected(e.into()))?,
    })
}

/// Checks the sharing and the references of `new` for `user`.
fn check_refs(conn: &mut PgConnection, new: &NewMacro, user: &AuthUser) -> Result<(), ApiError> {
    let admin = user.role == UserRole::Admin;
    if new.shared && !admin {
        return Err(ApiError::forbidden_field(
            "shared",
            "only admins share a macro with everyone",
        ));
    }
    if let Some(team) = new.team_id
        && !admin
        && team_of(conn, user.id)? != Some(team)
    {
        return Err(ApiError::invalid_field(
            "team_id",
            "a macro is shared with your own team only",
        ));
    }
    let actions: MacroActions =
        serde_json::from_value(new.actions.clone()).map_err(|e| ApiError::Unexpected(e.into()))?;
    if let Some(assignee) = actions.assignee_id {
        match staff::get_staff(conn, assignee).optional()? {
            Some(s) if s.role != UserRole::Technician => {}
            _ => {
                return Err(ApiError::invalid_field(
                    "actions.assignee_id",
                    "no such admin, manager or agent",
                ));
            }
        }
    }
    if let Some(team) = actions.team_id {
        let found: i64 = teams::table
            .filter(teams::id.eq(team))
            .count()
            .get_result(conn)?;
        if found == 0 {
            return Err(ApiError::invalid_field("actions.team_id", "no such team"));
        }
    }
    Ok(())
}

/// Saves a macro (admins and agents).
///
/// Errors: 403 for `shared: true` unless an admin (naming `shared`); 409 naming `name` when one
/// of the caller's macros has it; 422 naming the field: `name`, `reply` (blank, or an unknown
/// placeholder, named), `actions.hold_reason` (unknown, missing with `on_hold`, or without it),
/// `actions.assignee_id`, `actions.team_id`, `actions.add_tags`, `team_id` (not the caller's),
/// `actions` (neither a reply nor a change).
#[utoipa::path(post, path = "/api/v1/macros", tag = "macros",
    request_body = SaveMacroRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = MacroResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_macro(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<SaveMacroRequest>,
) -> ApiResult<HttpResponse> {
    user.require(MACRO_USERS)?;
    let new = parse(body.value, user.id)?;
    let saved = db::run(&state.pool, move |conn| {
        check_refs(conn, &new, &user)?;
        model::insert(conn, &new).map_err(|e| on_constraint(e, MACRO_CONSTRAINTS))
    })
    .await?;
    Ok(HttpResponse::Created().json(MacroResponse::try_from(saved)?))
}

/// The macros the caller may apply: their own, their team's and those shared with everyone (an
/// admin: all), by name.
#[utoipa::path(get, path = "/api/v1/macros", tag = "macros", security(("bearer" = [])),
    responses(
        (status = 200, body = MacroListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_macros(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    user.require(MACRO_USERS)?;
    let rows = db::run(&state.pool, move |conn| {
        let team = team_of(conn, user.id)?;
        Ok(model::visible_to(
            conn,
            user.id,
            team,
            user.role == UserRole::Admin,
        )?)
    })
    .await?;
    let macros = rows
        .into_iter()
        .map(MacroResponse::try_from)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(MacroListResponse { macros }))
}

/// A macro the caller may use, or 404.
async fn visible(state: &AppState, user: AuthUser, id: i64) -> Result<MacroRow, ApiError> {
    db::run(&state.pool, move |conn| {
        let team = team_of(conn, user.id)?;
        model::get_visible(conn, id, user.id, team, user.role == UserRole::Admin)?
            .ok_or(ApiError::NotFound("macro"))
    })
    .await
}

/// One macro the caller may apply (404 otherwise).
#[utoipa::path(get, path = "/api/v1/macros/{id}", tag = "macros", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Macro id")),
    responses(
        (status = 200, body = MacroResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_macro(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(MACRO_USERS)?;
    let row = visible(&state, user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(MacroResponse::try_from(row)?))
}

/// Replaces a macro's content (its owner, or an admin; the owner stays). Errors as for
/// `POST /macros`; 404 for a macro the caller may not use; 403 for one shared with them they do
/// not own.
#[utoipa::path(put, path = "/api/v1/macros/{id}", tag = "macros",
    request_body = SaveMacroRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Macro id")),
    responses(
        (status = 200, body = MacroResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn replace_macro(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<SaveMacroRequest>,
) -> ApiResult<HttpResponse> {
    user.require(MACRO_USERS)?;
    let id = id.into_inner();
    let current = visible(&state, user, id).await?;
    if current.owner_id != user.id && user.role != UserRole::Admin {
        return Err(ApiError::Forbidden);
    }
    let new = parse(body.value, current.owner_id)?;
    let saved = db::run(&state.pool, move |conn| {
        check_refs(conn, &new, &user)?;
        model::replace(conn, id, &new).map_err(ApiError::not_found_or_constraint(
            "macro",
            MACRO_CONSTRAINTS,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(MacroResponse::try_from(saved)?))
}

/// Deletes a macro (its owner, or an admin). 404 for a macro the caller may not use; 403 for one
/// shared with them they do not own.
#[utoipa::path(delete, path = "/api/v1/macros/{id}", tag = "macros", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Macro id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn delete_macro(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(MACRO_USERS)?;
    let id = id.into_inner();
    let current = visible(&state, user, id).await?;
    if current.owner_id != user.id && user.role != UserRole::Admin {
        return Err(ApiError::Forbidden);
    }
    db::run(&state.pool, move |conn| Ok(model::delete(conn, id)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Applies a macro to a ticket in one transaction: a `macro_applied` event (the macro's id and
/// name), the field changes (as `PATCH /tickets/{id}`), then the reply rendered from the
/// template with the status (as `POST /tickets/{id}/comments` with `status`), all by the caller
/// at one instant. `If-Match` is optional: when sent, the ticket must still have that version.
///
/// Errors (nothing is written): 404 for an unknown ticket or a macro the caller may not use;
/// 409 for a closed ticket or a status the state machine refuses (naming `status`); 412 for a
/// stale `If-Match`; 422 naming the field the ticket refuses (e.g. `assignee_id` to solve an
/// unassigned ticket) or `reply` when it renders blank.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/macros/{macro_id}/apply", tag = "macros",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("macro_id" = i64, Path, description = "Macro id"),
           ("If-Match" = Option<String>, Header, description = "Optional: the ticket's ETag, e.g. \"3\"",
            pattern = r#"^(?:W/)?"*[+-]?[0-9]{1,9}"*$"#)),
    responses(
        (status = 200, body = MacroAppliedResponse, headers(("ETag" = String))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn apply_macro(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    user.require(MACRO_USERS)?;
    let (id, macro_id) = path.into_inner();
    let if_version = match req.headers().get(header::IF_MATCH) {
        Some(v) if v.as_bytes().eq_ignore_ascii_case(b"null") => Some(0),
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|v| v.parse::<i32>().ok())
                .ok_or_else(|| {
                    ApiError::bad_field("If-Match", "must be the ticket's ETag, e.g. \"3\"")
                })?,
        ),
        None => None,
    };
    let mac = visible(&state, user, macro_id).await?;
    let visibility = user.visibility();
    let rules = state.rules.clone();
    let applied = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let done = macros::apply_tx(
                conn,
                &rules,
                TicketId::new(id),
                &mac,
                if_version,
                Actor {
                    id: UserId::new(user.id),
                    visibility,
                },
                Utc::now(),
            )?;
            Ok(MacroAppliedResponse {
                ticket: TicketResponse::read(conn, done.ticket)?,
                comment: done.comment.map(Into::into),
            })
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", applied.ticket.version)))
        .json(applied))
}
