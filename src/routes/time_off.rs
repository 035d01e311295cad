//! A staff member's time off (rows in [`crate::models::work_order`]): periods a technician
//! cannot be dispatched into.
//!
//! Roles: admins and managers record and delete; admins, managers, agents and the staff member
//! themself read. Instants are RFC 3339, stored in UTC; a period is `[starts_at, ends_at)`.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::staff as staff_model;
use crate::models::work_order::{self as model, NewTimeOff, TimeOff};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::{parse_instant, parse_name, parse_range};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const READERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager, UserRole::Agent];
const WRITERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager];
/// Most periods in one `GET` response.
const LIST_LIMIT: i64 = 500;

/// A period of time off.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimeOffResponse {
    /// Id.
    pub id: i64,
    /// The staff member.
    pub user_id: i64,
    /// Start (UTC, inclusive).
    pub starts_at: DateTime<Utc>,
    /// End (UTC, exclusive).
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
    /// When it was recorded (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<TimeOff> for TimeOffResponse {
    fn from(t: TimeOff) -> Self {
        TimeOffResponse {
            id: t.id,
            user_id: t.user_id,
            starts_at: t.starts_at,
            ends_at: t.ends_at,
            reason: t.reason,
            created_at: t.created_at,
        }
    }
}

/// `POST /users/{id}/time-off` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimeOffRequest {
    /// Start (RFC 3339, inclusive).
    #[schema(value_type = crate::routes::openapi::Instant)]
    pub starts_at: String,
    /// End (RFC 3339, exclusive; after `starts_at`).
    #[schema(value_type = crate::routes::openapi::Instant)]
    pub ends_at: String,
    /// Why (1–500 characters, one line).
    #[schema(value_type = Option<crate::routes::openapi::Name500>)]
    pub reason: Option<String>,
}

/// A validated period of time off (without its staff member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOffInput {
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End (after the start).
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
}

impl TryFrom<CreateTimeOffRequest> for TimeOffInput {
    type Error = ApiError;

    fn try_from(r: CreateTimeOffRequest) -> Result<Self, ApiError> {
        let missing = |field: &str| ApiError::invalid_field(field, "is required");
        let starts_at =
            parse_instant("starts_at", Some(&r.starts_at))?.ok_or_else(|| missing("starts_at"))?;
        let ends_at =
            parse_instant("ends_at", Some(&r.ends_at))?.ok_or_else(|| missing("ends_at"))?;
        if ends_at <= starts_at {
            return Err(ApiError::invalid_field(
                "ends_at",
                "must be after starts_at",
            ));
        }
        Ok(TimeOffInput {
            starts_at,
            ends_at,
            reason: r
                .reason
                .as_deref()
                .map(|v| parse_name("reason", v, 500))
                .transpose()?,
        })
    }
}

/// Query of `GET /users/{id}/time-off`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimeOffQuery {
    /// Only periods ending after this instant (RFC 3339).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub from: Option<String>,
    /// Only periods starting before this instant (RFC 3339; not before `from`).
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub to: Option<String>,
}

/// `GET /users/{id}/time-off` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimeOffListResponse {
    /// Periods overlapping `[from, to)`, earliest first (at most 500).
    pub time_off: Vec<TimeOffResponse>,
}

/// `user_id` exists as a staff member; 404 otherwise.
fn check_user(conn: &mut PgConnection, user_id: i64) -> Result<(), ApiError> {
    staff_model::get_staff(conn, user_id)
        .map(|_| ())
        .map_err(ApiError::not_found("user"))
}

/// Records time off for a staff member (admin, manager). 422 naming `ends_at` when it is not
/// after `starts_at`; 404 for an unknown user; 409 naming `starts_at` when a work order is
/// dispatched to them inside the period (re-dispatch or cancel it first). Takes the staff
/// member's schedule lock, so a concurrent dispatch sees the period.
#[utoipa::path(post, path = "/api/v1/users/{id}/time-off", tag = "staff",
    request_body = CreateTimeOffRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Staff user id")),
    responses((status = 201, body = TimeOffResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_time_off(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<CreateTimeOffRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let input = TimeOffInput::try_from(body.value)?;
    let user_id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            check_user(conn, user_id)?;
            // Under the technician's schedule lock (taken by the insert's first statement, so
            // take it first here): an open dispatch inside the time off is a conflict.
            model::lock_schedule_tx(conn, user_id)?;
            if let Some(visit) =
                model::overlapping_tx(conn, user_id, input.starts_at, input.ends_at, 0)?.first()
            {
                return Err(ApiError::conflict_on(
                    "schedule_conflict",
                    "starts_at",
                    &format!(
                        "work order {} is dispatched to this technician inside that time; re-dispatch or cancel it first",
                        visit.id
                    ),
                ));
            }
            model::insert_time_off_tx(
                conn,
                &NewTimeOff {
                    user_id,
                    starts_at: input.starts_at,
                    ends_at: input.ends_at,
                    reason: input.reason.clone(),
                },
            )
            .map_err(|e| {
                on_constraint(
                    e,
                    &[
                        ("time_off_range_check", "ends_at", "must be after starts_at"),
                        ("time_off_user_id_fkey", "user_id", "no such user"),
                    ],
                )
            })
        })
    })
    .await?;
    tracing::info!({ user.id = user.id, staff.id = user_id, time_off.id = row.id }, "time off recorded");
    Ok(HttpResponse::Created().json(TimeOffResponse::from(row)))
}

/// A staff member's time off overlapping `[from, to)`, earliest first (admin, manager, agent,
/// and the staff member themself). 422 naming `from` or `to` when one does not parse or `to`
/// comes before `from`; 404 for an unknown user.
#[utoipa::path(get, path = "/api/v1/users/{id}/time-off", tag = "staff", params(
        ("id" = i64, Path, description = "Staff user id"), TimeOffQuery),
    security(("bearer" = [])),
    responses((status = 200, body = TimeOffListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_time_off(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: QueryParams<TimeOffQuery>,
) -> ApiResult<HttpResponse> {
    let user_id = id.into_inner();
    if user.id != user_id {
        user.require(READERS)?;
    }
    let (from, to) = parse_range("from", "to", query.from.as_deref(), query.to.as_deref())?;
    let rows = db::run(&state.pool, move |conn| {
        check_user(conn, user_id)?;
        Ok(model::list_time_off(conn, user_id, from, to, LIST_LIMIT)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(TimeOffListResponse {
        time_off: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Deletes a period of time off (admin, manager). 404 when the user has no such period.
#[utoipa::path(delete, path = "/api/v1/users/{id}/time-off/{time_off_id}", tag = "staff",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Staff user id"),
        ("time_off_id" = i64, Path, description = "Time-off id")),
    responses((status = 204),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn delete_time_off(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let (user_id, time_off_id) = path.into_inner();
    let deleted = db::run(&state.pool, move |conn| {
        Ok(model::delete_time_off_tx(conn, user_id, time_off_id)?)
    })
    .await?;
    if !deleted {
        return Err(ApiError::NotFound("time off"));
    }
    tracing::info!({ user.id = user.id, staff.id = user_id, time_off.id = time_off_id }, "time off deleted");
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(starts: &str, ends: &str) -> CreateTimeOffRequest {
        CreateTimeOffRequest {
            starts_at: starts.into(),
            ends_at: ends.into(),
            reason: None,
        }
    }

    #[test]
    fn a_period_must_end_after_it_starts() {
        let ok =
            TimeOffInput::try_from(request("2025-03-01T08:00:00Z", "2025-03-01T17:00:00-05:00"))
                .unwrap();
        assert_eq!(ok.ends_at.to_rfc3339(), "2025-03-01T22:00:00+00:00");
        for (starts, ends, field) in [
            ("2025-03-01T08:00:00Z", "2025-03-01T08:00:00Z", "ends_at"),
            ("2025-03-01T08:00:00Z", "2025-03-01T07:00:00Z", "ends_at"),
            ("yesterday", "2025-03-01T07:00:00Z", "starts_at"),
        ] {
            match TimeOffInput::try_from(request(starts, ends)).unwrap_err() {
                ApiError::Validation { errors, .. } => {
                    assert!(errors.contains_key(field), "{starts} {ends}: {errors:?}");
                }
                other => panic!("not a 422: {other:?}"),
            }
        }
    }
}
