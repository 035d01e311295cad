//! SLA policies: `POST/GET /sla-policies`, `GET/PATCH /sla-policies/{id}`.
//!
//! Admins write; admins, managers and agents read. Policies are matched by `position` (lowest
//! first); the first active policy whose conditions hold applies to a ticket, and
//! `GET /tickets/{id}` shows its clocks.
//!
//! A change commits at once and takes no lock a ticket write waits for: the stored clocks of the
//! open tickets follow it in the background ([`crate::tickets::reproject`]), and the response's
//! `reprojection` (and `GET /sla-policies`) says how many are still to do.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::sla::{Conditions, Target, TargetKind};
use crate::domain::ticket::TicketPriority;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::sla::{PolicyRow, Targets};
use crate::routes::body::JsonBody;
use crate::routes::fields::{clip, double_option, parse_name};
use crate::schema::sla_policies;
use crate::state::AppState;
use crate::tickets::reproject::{self, Progress};
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

const READERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager, UserRole::Agent];
const WRITERS: &[UserRole] = &[UserRole::Admin];
const CONSTRAINTS: &[(&str, &str, &str)] = &[(
    "sla_policies_name_key",
    "name",
    "is already used by another policy",
)];

/// An SLA policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Matching order (lowest first).
    pub position: i32,
    /// Inactive policies are never matched.
    pub active: bool,
    /// When it applies (empty lists match anything).
    pub conditions: Conditions,
    /// Priority → target (`first_reply`, `next_reply`, `resolution`, `agent_work`) →
    /// `{"seconds": …, "business": …}`.
    #[schema(value_type = Object)]
    pub targets: Targets,
    /// Warning offset before each due instant, seconds.
    pub warning_seconds: Option<i64>,
    /// After a create or an edit: the open tickets whose stored clocks are still to follow it
    /// (applied in the background, a few tickets at a time). Absent from reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprojection: Option<Progress>,
}

impl TryFrom<PolicyRow> for PolicyResponse {
    type Error = ApiError;

    fn try_from(r: PolicyRow) -> Result<Self, ApiError> {
        let p = crate::models::sla::to_domain(&r)?;
        Ok(PolicyResponse {
            id: r.id,
            name: r.name,
            position: r.position,
            active: r.active,
            conditions: p.conditions,
            targets: p.targets,
            warning_seconds: r.warning_seconds,
            reprojection: None,
        })
    }
}

/// `POST /sla-policies` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicyRequest {
    /// Name (1–200 characters; unique).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// Matching order (lowest first).
    pub position: i32,
    /// Conditions (default: any ticket).
    #[serde(default)]
    pub conditions: Conditions,
    /// Targets per priority.
    #[schema(value_type = crate::routes::openapi::SlaTargets)]
    pub targets: RawTargets,
    /// Active (default true).
    pub active: Option<bool>,
    /// Warn this long before each due instant, in the target's own time (a `sla_warning` event);
    /// 1–31,622,400 seconds.
    #[schema(minimum = 1, maximum = 31_622_400)]
    pub warning_seconds: Option<i64>,
}

/// `PATCH /sla-policies/{id}` body: absent fields are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicyRequest {
    /// Name (1–200 characters; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// Matching order.
    pub position: Option<i32>,
    /// Conditions (replace).
    pub conditions: Option<Conditions>,
    /// Targets (replace; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::SlaTargets>)]
    pub targets: Option<RawTargets>,
    /// Active.
    pub active: Option<bool>,
    /// Warning offset, 1–31,622,400 seconds (`null` removes it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 31_622_400)]
    pub warning_seconds: Option<Option<i64>>,
}

/// `GET /sla-policies` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyListResponse {
    /// Policies in matching order.
    pub policies: Vec<PolicyResponse>,
    /// How far the last rules change is applied to the stored clocks.
    pub reprojection: Progress,
}

/// Targets as received: names are checked when parsed, so errors name the exact path.
pub type RawTargets = BTreeMap<String, BTreeMap<String, Target>>;

fn parse_targets(raw: &RawTargets) -> Result<Targets, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::invalid_field(
            "targets",
            "set at least one priority's targets",
        ));
    }
    let mut targets = Targets::new();
    for (priority, kinds) in raw {
        let p = TicketPriority::parse(priority).ok_or_else(|| {
            ApiError::invalid_field(
                &format!("targets.{}", clip(priority)),
                "not a priority (low, normal, high, urgent)",
            )
        })?;
        let entry = targets.entry(p).or_default();
        for (kind, target) in kinds {
            let field = format!("targets.{priority}.{}", clip(kind));
            let k: TargetKind = serde_json::from_value(serde_json::Value::String(kind.clone()))
                .map_err(|_| {
                    ApiError::invalid_field(
                        &field,
                        "not a target (first_reply, next_reply, resolution, agent_work)",
                    )
                })?;
            if !(1..=366 * 86_400).contains(&target.seconds) {
                return Err(ApiError::invalid_field(
                    &format!("{field}.seconds"),
                    "must be between 1 and 31622400 (a year)",
                ));
            }
            entry.insert(k, *target);
        }
    }
    Ok(targets)
}

fn check_warning(w: Option<i64>) -> Result<Option<i64>, ApiError> {
    match w {
        Some(s) if !(1..=366 * 86_400).contains(&s) => Err(ApiError::invalid_field(
            "warning_seconds",
            "must be between 1 and 31622400 (a year)",
        )),
        other => Ok(other),
    }
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::Unexpected(e.into()))
}

/// Creates a policy (admin). 422 naming the field for a bad target; 409 naming `name` when taken.
/// Open tickets' stored clocks follow it in the background (`reprojection`).
#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla", request_body = CreatePolicyRequest,
    security(("bearer" = [])),
    responses((status = 201, body = PolicyResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_policy(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreatePolicyRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let name = parse_name("name", &r.name, 200)?;
    let targets = parse_targets(&r.targets)?;
    let (conditions, targets) = (json(&r.conditions)?, json(&targets)?);
    let warning = check_warning(r.warning_seconds)?;
    let (row, progress) = db::run(&state.pool, move |conn| {
        let row: PolicyRow = conn.transaction(|conn| {
            let row = diesel::insert_into(sla_policies::table)
                .values((
                    sla_policies::name.eq(&name),
                    sla_policies::position.eq(r.position),
                    sla_policies::active.eq(r.active.unwrap_or(true)),
                    sla_policies::conditions.eq(&conditions),
                    sla_policies::targets.eq(&targets),
                    sla_policies::warning_seconds.eq(warning),
                ))
                .returning(PolicyRow::as_returning())
                .get_result(conn)
                .map_err(|e| on_constraint(e, CONSTRAINTS))?;
            reproject::require_tx(conn)?;
            Ok::<_, ApiError>(row)
        })?;
        Ok((row, reproject::progress(conn)?))
    })
    .await?;
    let mut response = PolicyResponse::try_from(row)?;
    response.reprojection = Some(progress);
    Ok(HttpResponse::Created().json(response))
}

/// Edits a policy (admin). Unless only the name changed, open tickets' stored clocks follow the
/// edit in the background (`reprojection`). The policy row is locked without its key, so a
/// ticket write storing clocks of this policy (their foreign key reads the row) does not wait for
/// the edit, nor the edit for it. Only a rename changes a key (the name is unique): it waits for
/// the writes already storing this policy's clocks, and writes starting to store them wait for
/// its commit, a moment each way (no cycle: the edit holds nothing a write has taken first).
#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "sla",
    request_body = UpdatePolicyRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, body = PolicyResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_policy(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdatePolicyRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let name = r
        .name
        .as_deref()
        .map(|n| parse_name("name", n, 200))
        .transpose()?;
    let targets = r.targets.as_ref().map(parse_targets).transpose()?;
    let warning = r.warning_seconds.map(check_warning).transpose()?;
    let conditions = r.conditions.as_ref().map(json).transpose()?;
    let targets = targets.as_ref().map(json).transpose()?;
    let id = id.into_inner();
    let applies = r.position.is_some()
        || conditions.is_some()
        || targets.is_some()
        || r.active.is_some()
        || warning.is_some();
    let (row, progress) = db::run(&state.pool, move |conn| {
        let row: PolicyRow = conn.transaction(|conn| {
            let current: PolicyRow = sla_policies::table
                .find(id)
                .select(PolicyRow::as_select())
                .for_no_key_update()
                .first(conn)
                .map_err(ApiError::not_found("SLA policy"))?;
            let row = diesel::update(sla_policies::table.find(id))
                .set((
                    sla_policies::name.eq(name.unwrap_or(current.name)),
                    sla_policies::position.eq(r.position.unwrap_or(current.position)),
                    sla_policies::active.eq(r.active.unwrap_or(current.active)),
                    sla_policies::conditions.eq(conditions.unwrap_or(current.conditions)),
                    sla_policies::targets.eq(targets.unwrap_or(current.targets)),
                    sla_policies::warning_seconds.eq(warning.unwrap_or(current.warning_seconds)),
                    sla_policies::updated_at.eq(diesel::dsl::now),
                ))
                .returning(PolicyRow::as_returning())
                .get_result(conn)
                .map_err(|e| on_constraint(e, CONSTRAINTS))?;
            if applies {
                reproject::require_tx(conn)?;
            }
            Ok::<_, ApiError>(row)
        })?;
        let progress = if applies {
            Some(reproject::progress(conn)?)
        } else {
            None
        };
        Ok((row, progress))
    })
    .await?;
    let mut response = PolicyResponse::try_from(row)?;
    response.reprojection = progress;
    Ok(HttpResponse::Ok().json(response))
}

/// One policy.
#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, body = PolicyResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_policy(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let row: PolicyRow = db::run(&state.pool, move |conn| {
        sla_policies::table
            .find(id)
            .select(PolicyRow::as_select())
            .first(conn)
            .map_err(ApiError::not_found("SLA policy"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(PolicyResponse::try_from(row)?))
}

/// Every policy in matching order (inactive ones included), and how far the last rules change
/// is applied to the stored clocks (`reprojection`).
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla", security(("bearer" = [])),
    responses((status = 200, body = PolicyListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_policies(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let (rows, reprojection) = db::run(&state.pool, |conn| {
        let rows: Vec<PolicyRow> = sla_policies::table
            .order((sla_policies::position, sla_policies::id))
            .select(PolicyRow::as_select())
            .load(conn)?;
        Ok((rows, reproject::progress(conn)?))
    })
    .await?;
    let policies = rows
        .into_iter()
        .map(PolicyResponse::try_from)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(PolicyListResponse {
        policies,
        reprojection,
    }))
}
