//! Teams and staff accounts (rows in [`crate::models::staff`]).
//!
//! Roles: admins and managers manage teams; admins manage staff accounts; every staff role but
//! technicians may read both (agents pick assignees and teams).

use crate::auth::extract::AuthUser;
use crate::auth::password;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::{EmploymentType, TeamKind, TeamSourcing, UserRole};
use crate::models::staff::{self as model, NewStaff, NewTeam, StaffChanges, Team, TeamChanges};
use crate::routes::auth::StaffResponse;
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::{double_option, parse_email, parse_name, parse_skills};
use crate::routes::pages::{ListMeta, per_page};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const READERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager, UserRole::Agent];
const TEAM_WRITERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager];
const STAFF_WRITERS: &[UserRole] = &[UserRole::Admin];

const TEAM_CONSTRAINTS: &[(&str, &str, &str)] = &[
    ("teams_name_key", "name", "is already used by another team"),
    ("teams_calendar_id_fkey", "calendar_id", "no such calendar"),
    (
        "teams_vendor_matches_sourcing",
        "vendor_name",
        "an outsourced team names its vendor; an in-house team has none",
    ),
];

const STAFF_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "users_email_key",
        "email",
        "is already used by another staff member",
    ),
    ("users_team_id_fkey", "team_id", "no such team"),
];

/// A team.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `contact_center` or `field_service`.
    pub kind: TeamKind,
    /// `in_house` or `outsourced`.
    pub sourcing: TeamSourcing,
    /// Vendor of an outsourced team.
    pub vendor_name: Option<String>,
    /// Business calendar of the team's tickets (`null`: 24/7).
    pub calendar_id: Option<i64>,
    /// After a change of `calendar_id`: the tickets whose stored metrics and SLA clocks are still
    /// to follow it (applied in the background). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprojection: Option<crate::tickets::reproject::Progress>,
}

impl From<Team> for TeamResponse {
    fn from(t: Team) -> Self {
        TeamResponse {
            id: t.id,
            name: t.name,
            kind: t.kind,
            sourcing: t.sourcing,
            vendor_name: t.vendor_name,
            calendar_id: t.calendar_id,
            reprojection: None,
        }
    }
}

/// `POST /teams` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// Name (1–200 characters; unique).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// `contact_center` or `field_service`.
    pub kind: TeamKind,
    /// `in_house` or `outsourced`.
    pub sourcing: TeamSourcing,
    /// Vendor (1–200 characters): required for an outsourced team, absent for an in-house one.
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub vendor_name: Option<String>,
    /// Business calendar (default: none, 24/7).
    pub calendar_id: Option<i64>,
}

/// `PATCH /teams/{id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    /// Name (1–200 characters; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// Kind.
    pub kind: Option<TeamKind>,
    /// Sourcing (change `vendor_name` with it).
    pub sourcing: Option<TeamSourcing>,
    /// Vendor, 1–200 characters (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub vendor_name: Option<Option<String>>,
    /// Business calendar (`null`: 24/7), in force from now on (docs/METRICS.md §3): the time already
    /// elapsed stays measured on the previous one. The team's
    /// tickets are re-projected in the background.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub calendar_id: Option<Option<i64>>,
}

/// `GET /teams` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamListResponse {
    /// Teams by name.
    pub teams: Vec<TeamResponse>,
}

fn vendor(v: Option<&str>) -> Result<Option<String>, ApiError> {
    v.map(|v| parse_name("vendor_name", v, 200)).transpose()
}

/// Creates a team (admin, manager). 409 naming `name` when taken; 422 naming `vendor_name` when
/// it does not match the sourcing.
#[utoipa::path(post, path = "/api/v1/teams", tag = "staff", request_body = CreateTeamRequest,
    security(("bearer" = [])),
    responses((status = 201, body = TeamResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_team(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateTeamRequest>,
) -> ApiResult<HttpResponse> {
    user.require(TEAM_WRITERS)?;
    let r = body.value;
    let team = NewTeam {
        name: parse_name("name", &r.name, 200)?,
        kind: r.kind,
        sourcing: r.sourcing,
        vendor_name: vendor(r.vendor_name.as_deref())?,
        calendar_id: r.calendar_id,
    };
    let team = db::run(&state.pool, move |conn| {
        model::create_team(conn, &team).map_err(|e| on_constraint(e, TEAM_CONSTRAINTS))
    })
    .await?;
    Ok(HttpResponse::Created().json(TeamResponse::from(team)))
}

/// Edits a team (admin, manager).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "staff", request_body = UpdateTeamRequest,
    security(("bearer" = [])), params(("id" = i64, Path, description = "Team id")),
    responses((status = 200, body = TeamResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_team(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateTeamRequest>,
) -> ApiResult<HttpResponse> {
    user.require(TEAM_WRITERS)?;
    let r = body.value;
    let changes = TeamChanges {
        name: r
            .name
            .as_deref()
            .map(|n| parse_name("name", n, 200))
            .transpose()?,
        kind: r.kind,
        sourcing: r.sourcing,
        vendor_name: r.vendor_name.map(|v| vendor(v.as_deref())).transpose()?,
        calendar_id: r.calendar_id,
    };
    let id = id.into_inner();
    let recalendared = changes.calendar_id.is_some();
    let (team, progress) = db::run(&state.pool, move |conn| {
        use diesel::Connection;
        let team = conn.transaction(|conn| {
            let team = model::update_team(conn, id, &changes)
                .map_err(ApiError::not_found_or_constraint("team", TEAM_CONSTRAINTS))?;
            if recalendared {
                // The team's tickets follow in the background.
                crate::tickets::reproject::require_tx(conn)?;
            }
            Ok::<_, ApiError>(team)
        })?;
        let progress = if recalendared {
            Some(crate::tickets::reproject::progress(conn)?)
        } else {
            None
        };
        Ok((team, progress))
    })
    .await?;
    let mut response = TeamResponse::from(team);
    response.reprojection = progress;
    Ok(HttpResponse::Ok().json(response))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Team id")),
    responses((status = 200, body = TeamResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_team(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let team = db::run(&state.pool, move |conn| {
        model::get_team(conn, id).map_err(ApiError::not_found("team"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(TeamResponse::from(team)))
}

/// Every team, by name.
#[utoipa::path(get, path = "/api/v1/teams", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = TeamListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_teams(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let teams = db::run(&state.pool, |conn| Ok(model::list_teams(conn)?)).await?;
    Ok(HttpResponse::Ok().json(TeamListResponse {
        teams: teams.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /users` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaffRequest {
    /// Display name (1–200 characters).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// Log-in email (normalised; unique).
    #[schema(value_type = crate::routes::openapi::Email)]
    pub email: String,
    /// `admin`, `manager`, `agent` or `technician`.
    pub role: UserRole,
    /// `employee` (default) or `contractor`.
    pub employment_type: Option<EmploymentType>,
    /// Team.
    pub team_id: Option<i64>,
    /// Initial password (12–128 characters); without one the account cannot log in yet.
    #[schema(value_type = Option<String>, format = Password, min_length = 12, max_length = 128)]
    pub password: Option<SecretString>,
    /// Skills (each trimmed and lower-cased, 1–50 characters; at most 20 once duplicates are
    /// dropped; default none).
    #[schema(value_type = Option<Vec<crate::routes::openapi::Skill>>)]
    pub skills: Option<Vec<String>>,
    /// Give a manager the agent role too (default false; honoured for managers only).
    pub also_agent: Option<bool>,
}

/// `PATCH /users/{id}` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaffRequest {
    /// Display name (1–200 characters; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// Role.
    pub role: Option<UserRole>,
    /// Employment type.
    pub employment_type: Option<EmploymentType>,
    /// Team (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// Active: inactive staff cannot log in, refresh tokens or be assigned.
    pub active: Option<bool>,
    /// New password (12–128 characters).
    #[schema(value_type = Option<String>, format = Password, min_length = 12, max_length = 128)]
    pub password: Option<SecretString>,
    /// Skills: replace the list (`[]` clears; as on creation).
    #[schema(value_type = Option<Vec<crate::routes::openapi::Skill>>)]
    pub skills: Option<Vec<String>>,
    /// Give (true) or take back (false) the agent role of a manager: public replies, status
    /// changes and new tickets (honoured for managers only; takes effect at once).
    pub also_agent: Option<bool>,
}

/// Query of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StaffQuery {
    /// Only this role.
    pub role: Option<UserRole>,
    /// Only this team.
    pub team: Option<i64>,
    /// `meta.next_cursor` of the previous page.
    pub cursor: Option<i64>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// `GET /users` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffListResponse {
    /// Staff by id.
    pub users: Vec<StaffResponse>,
    /// Pagination.
    pub meta: ListMeta,
}

fn hash_new_password(p: &SecretString) -> Result<String, ApiError> {
    password::check_policy(p.expose_secret())
        .map_err(|e| ApiError::invalid_field("password", e.to_string()))?;
    password::hash(p.expose_secret()).map_err(|e| ApiError::Unexpected(e.into()))
}

/// Creates a staff account (admin). 409 naming `email` when taken; 422 naming the field otherwise.
#[utoipa::path(post, path = "/api/v1/users", tag = "staff", request_body = CreateStaffRequest,
    security(("bearer" = [])),
    responses((status = 201, body = StaffResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateStaffRequest>,
) -> ApiResult<HttpResponse> {
    user.require(STAFF_WRITERS)?;
    let r = body.value;
    let name = parse_name("name", &r.name, 200)?;
    let email = parse_email("email", &r.email)?;
    let hash = r.password.as_ref().map(hash_new_password).transpose()?;
    let role = r.role;
    let employment = r.employment_type.unwrap_or(EmploymentType::Employee);
    let team_id = r.team_id;
    let skills = r.skills.as_deref().map(parse_skills).transpose()?;
    let staff = db::run(&state.pool, move |conn| {
        model::create_staff_tx(
            conn,
            &NewStaff {
                name: &name,
                email: Some(email.as_str()),
                role,
                employment_type: employment,
                team_id,
                password_hash: hash.as_deref(),
                skills: skills.as_deref(),
                also_agent: r.also_agent,
            },
        )
        .map_err(|e| on_constraint(e, STAFF_CONSTRAINTS))
    })
    .await?;
    tracing::info!(target: "audit", { user.id = user.id, staff.id = staff.id }, "staff account created");
    Ok(HttpResponse::Created().json(StaffResponse::from(staff)))
}

/// Edits a staff account (admin): role, team, employment type, active, password, skills. A
/// technician with an open work order keeps the role and stays active (409 naming `role` or
/// `active` and the work order: re-dispatch or cancel it first).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "staff", request_body = UpdateStaffRequest,
    security(("bearer" = [])), params(("id" = i64, Path, description = "Staff user id")),
    responses((status = 200, body = StaffResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateStaffRequest>,
) -> ApiResult<HttpResponse> {
    user.require(STAFF_WRITERS)?;
    let r = body.value;
    let id = id.into_inner();
    if id == user.id && (r.active == Some(false) || r.role.is_some_and(|ro| ro != UserRole::Admin))
    {
        return Err(ApiError::invalid_field(
            "role",
            "an admin cannot demote or deactivate their own account",
        ));
    }
    let changes = StaffChanges {
        name: r
            .name
            .as_deref()
            .map(|n| parse_name("name", n, 200))
            .transpose()?,
        role: r.role,
        employment_type: r.employment_type,
        team_id: r.team_id,
        active: r.active,
        password_hash: r.password.as_ref().map(hash_new_password).transpose()?,
        skills: r.skills.as_deref().map(parse_skills).transpose()?,
        also_agent: r.also_agent,
    };
    let role_change = r.role;
    let deactivates = r.active == Some(false);
    let leaves_the_field = r.role.is_some_and(|ro| ro != UserRole::Technician) || deactivates;
    let staff = db::run(&state.pool, move |conn| {
        diesel::Connection::transaction(conn, |conn| {
            if leaves_the_field {
                // A visit promised to a customer keeps a technician who can make it: re-dispatch
                // or cancel their open work orders first (under their schedule lock, so no
                // dispatch slips in meanwhile).
                crate::models::work_order::lock_schedule_tx(conn, id)?;
                let open = crate::models::work_order::list_views(
                    conn,
                    &crate::models::work_order::WorkOrderFilter {
                        technician_id: Some(id),
                        statuses: crate::domain::work_order::WorkOrderStatus::OPEN
                            .iter()
                            .map(|s| s.as_str().to_string())
                            .collect(),
                        limit: 1,
                        ..Default::default()
                    },
                )?;
                if let Some(v) = open.first() {
                    let field = if deactivates {
                        "active"
                    } else {
                        "role"
                    };
                    return Err(ApiError::conflict_on(
                        "open_work_order",
                        field,
                        &format!(
                            "work order {} is {} to this technician; re-dispatch or cancel it first",
                            v.work_order.id, v.work_order.status
                        ),
                    ));
                }
            }
            let staff = model::update_staff(conn, id, &changes)
                .map_err(ApiError::not_found_or_constraint("user", STAFF_CONSTRAINTS))?;
            if changes.password_hash.is_some() {
                // A new password ends every session of the account: refresh tokens revoked,
                // access tokens issued before refused.
                model::end_sessions_tx(conn, id, chrono::Utc::now())?;
            }
            Ok(staff)
        })
    })
    .await?;
    // This copy need not wait for the notification that tells every copy (it arrives anyway).
    state.access.invalidate(id);
    if let Some(role) = role_change {
        tracing::info!(target: "audit", { user.id = user.id, staff.id = id, role = ?role }, "role changed");
    }
    if let Some(also_agent) = r.also_agent {
        tracing::info!(target: "audit", { user.id = user.id, staff.id = id, also_agent }, "agent role of a manager changed");
    }
    Ok(HttpResponse::Ok().json(StaffResponse::from(staff)))
}

/// One staff member (admin, manager, agent).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Staff user id")),
    responses((status = 200, body = StaffResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let staff = db::run(&state.pool, move |conn| {
        model::get_staff(conn, id).map_err(ApiError::not_found("user"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(StaffResponse::from(staff)))
}

/// Staff members by id, optionally of one role or team (admin, manager, agent).
#[utoipa::path(get, path = "/api/v1/users", tag = "staff", params(StaffQuery),
    security(("bearer" = [])), responses((status = 200, body = StaffListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_staff(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<StaffQuery>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let limit = per_page(query.per_page)?;
    let (role, team, after) = (query.role, query.team, query.cursor);
    let rows = db::run(&state.pool, move |conn| {
        Ok(model::list_staff(conn, role, team, after, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|s| s.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(StaffListResponse {
        users: rows.into_iter().map(Into::into).collect(),
        meta,
    }))
}
