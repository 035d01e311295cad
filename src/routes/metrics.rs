//! `GET /api/v1/metrics/summary`.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::stats::{DurationStats, Rate};
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::metrics as model;
use crate::routes::body::QueryParams;
use crate::routes::parse_instant;
use crate::startup::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query parameters of `GET /metrics/summary`: the half-open period `[from, to)`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Start, inclusive (RFC 3339). Default: the beginning of the data.
    pub from: Option<String>,
    /// End, exclusive (RFC 3339). Default: no end.
    pub to: Option<String>,
    /// `calendar` (default: wall-clock seconds) or `business` (seconds inside each ticket's
    /// team calendar; 24/7 for a team without one).
    pub time: Option<String>,
}

/// The period a summary covers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Period {
    /// Start, inclusive (`null`: unbounded).
    pub from: Option<DateTime<Utc>>,
    /// End, exclusive (`null`: unbounded).
    pub to: Option<DateTime<Utc>>,
}

/// Figures of one period. Durations are calendar seconds.
///
/// Period membership (METRICS.md): `tickets_created` by creation; `first_reply_time` (`frt.v1`) by
/// the instant of the first reply; `tickets_solved`, `full_resolution_time` (`full_resolution.v1`)
/// and `reopen_rate` (`reopen_rate.v1`) by the ticket's latest solve.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryResponse {
    /// The period.
    pub period: Period,
    /// `calendar` or `business`: the variant of the durations.
    pub time: &'static str,
    /// Tickets created in the period.
    pub tickets_created: i64,
    /// Tickets whose latest solve is in the period.
    pub tickets_solved: i64,
    /// Tickets with at least one reopen / tickets solved (`reopen_rate.v1`).
    pub reopen_rate: Rate,
    /// `frt.v1`, seconds.
    pub first_reply_time: DurationStats,
    /// `full_resolution.v1`, seconds.
    pub full_resolution_time: DurationStats,
}

/// Tickets created and solved, reopen rate, first reply time and full resolution time over
/// `[from, to)`, exactly as METRICS.md defines them. An empty period gives counts of 0 and `null`
/// statistics.
///
/// Managers and admins only.
///
/// Errors: 401 without a valid token; 403 for agents and technicians; 422 naming the field for a
/// bad timestamp or `to` before `from`; 400 for an unknown parameter.
#[utoipa::path(get, path = "/api/v1/metrics/summary", tag = "metrics", params(SummaryQuery),
    security(("bearer" = [])),
    responses(
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, body = SummaryResponse),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_summary(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<SummaryQuery>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin, UserRole::Manager])?;
    let from = parse_instant("from", query.from.as_deref())?;
    let to = parse_instant("to", query.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(ApiError::invalid_field("to", "must not be before from"));
    }
    let (lo, hi) = (
        // Every stored instant lies in this range (domain::instant), so "unbounded" is exact.
        from.unwrap_or_else(crate::domain::instant::min),
        to.unwrap_or_else(crate::domain::instant::end),
    );
    let (basis, time) = match query.time.as_deref() {
        None | Some("calendar") => (model::TimeBasis::Calendar, "calendar"),
        Some("business") => (model::TimeBasis::Business, "business"),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "time",
                "expected calendar or business",
            ));
        }
    };
    let s = db::run(&state.pool, move |conn| {
        Ok(model::summary(conn, lo, hi, basis)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SummaryResponse {
        period: Period { from, to },
        time,
        tickets_created: s.tickets_created,
        tickets_solved: s.tickets_solved,
        reopen_rate: s.reopen_rate,
        first_reply_time: s.first_reply_time,
        full_resolution_time: s.full_resolution_time,
    }))
}
