//! Business calendars: `POST/GET /calendars`, `GET/PATCH /calendars/{id}`.
//!
//! Admins write; admins, managers and agents read. A team measures its tickets' business time on
//! its calendar (`PATCH /teams/{id}` with `calendar_id`). Changing a calendar or a team's calendar
//! applies from the change on (docs/METRICS.md §3: the database records a new period for each team
//! concerned); the history already measured keeps its values. The change commits at once; the
//! stored metrics and SLA clocks of the tickets it concerns follow in the background
//! ([`crate::tickets::reproject`]), and the response's `reprojection` says how many are left.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::calendar::{self as model, CalendarRow, WeeklyHours};
use crate::models::enums::UserRole;
use crate::routes::body::JsonBody;
use crate::routes::fields::parse_name;
use crate::schema::business_calendars;
use crate::state::AppState;
use crate::tickets::reproject::{self, Progress};
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const READERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager, UserRole::Agent];
const WRITERS: &[UserRole] = &[UserRole::Admin];

/// A business calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Weekday (`monday` … `sunday`) → local opening intervals `[["09:00", "17:00"], …]`;
    /// an interval may end at `"24:00"`.
    #[schema(value_type = Object)]
    pub weekly_hours: serde_json::Value,
    /// Whole local days closed.
    pub holidays: Vec<NaiveDate>,
    /// After an edit of a calendar some team uses: the tickets whose stored metrics and clocks
    /// are still to follow it (applied in the background). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprojection: Option<Progress>,
}

impl From<CalendarRow> for CalendarResponse {
    fn from(r: CalendarRow) -> Self {
        CalendarResponse {
            id: r.id,
            name: r.name,
            time_zone: r.time_zone,
            weekly_hours: r.weekly_hours,
            holidays: r.holidays,
            reprojection: None,
        }
    }
}

/// `POST /calendars` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCalendarRequest {
    /// Name (1–200 characters; unique).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// IANA time zone, e.g. `America/Chicago`.
    #[schema(value_type = crate::routes::openapi::TimeZoneName)]
    pub time_zone: String,
    /// Weekday → intervals, e.g. `{"monday": [["09:00", "17:00"]]}`.
    #[schema(value_type = crate::routes::openapi::WeeklyHoursSchema)]
    pub weekly_hours: WeeklyHours,
    /// Holidays, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

/// `PATCH /calendars/{id}` body: absent fields are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCalendarRequest {
    /// Name (1–200 characters; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// Time zone (`null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::TimeZoneName>)]
    pub time_zone: Option<String>,
    /// Weekly hours (replace; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::WeeklyHoursSchema>)]
    pub weekly_hours: Option<WeeklyHours>,
    /// Holidays (replace).
    pub holidays: Option<Vec<NaiveDate>>,
}

/// `GET /calendars` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarListResponse {
    /// Calendars by name.
    pub calendars: Vec<CalendarResponse>,
}

fn validate(zone: &str, weekly: &WeeklyHours, holidays: &[NaiveDate]) -> Result<(), ApiError> {
    model::build(zone, weekly, holidays)
        .map(|_| ())
        .map_err(|(field, message)| ApiError::invalid_field(&field, message))
}

const CONSTRAINTS: &[(&str, &str, &str)] = &[(
    "business_calendars_name_key",
    "name",
    "is already used by another calendar",
)];

/// Creates a calendar (admin). 422 naming the failing field (`weekly_hours.monday[0]`,
/// `time_zone`, …); 409 naming `name` when taken.
#[utoipa::path(post, path = "/api/v1/calendars", tag = "calendars",
    request_body = CreateCalendarRequest, security(("bearer" = [])),
    responses((status = 201, body = CalendarResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateCalendarRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let name = parse_name("name", &r.name, 200)?;
    validate(&r.time_zone, &r.weekly_hours, &r.holidays)?;
    let weekly =
        serde_json::to_value(&r.weekly_hours).map_err(|e| ApiError::Unexpected(e.into()))?;
    let row = db::run(&state.pool, move |conn| {
        diesel::insert_into(business_calendars::table)
            .values((
                business_calendars::name.eq(&name),
                business_calendars::time_zone.eq(&r.time_zone),
                business_calendars::weekly_hours.eq(&weekly),
                business_calendars::holidays.eq(&r.holidays),
            ))
            .returning(CalendarRow::as_returning())
            .get_result(conn)
            .map_err(|e| on_constraint(e, CONSTRAINTS))
    })
    .await?;
    Ok(HttpResponse::Created().json(CalendarResponse::from(row)))
}

/// Edits a calendar (admin); the change applies from now on to the teams using it (docs/METRICS.md
/// §3); their tickets are re-projected in the background (`reprojection`).
#[utoipa::path(patch, path = "/api/v1/calendars/{id}", tag = "calendars",
    request_body = UpdateCalendarRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id")),
    responses((status = 200, body = CalendarResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateCalendarRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let id = id.into_inner();
    let name = r
        .name
        .as_deref()
        .map(|n| parse_name("name", n, 200))
        .transpose()?;
    let (row, progress) = db::run(&state.pool, move |conn| {
        let (row, teams) = conn.transaction(|conn| {
            // Without its key: a team pointing at it does not wait (nor does this for it).
            let current: CalendarRow = business_calendars::table
                .find(id)
                .select(CalendarRow::as_select())
                .for_no_key_update()
                .first(conn)
                .map_err(ApiError::not_found("calendar"))?;
            let zone = r.time_zone.unwrap_or(current.time_zone);
            let weekly = match r.weekly_hours {
                Some(w) => w,
                None => serde_json::from_value(current.weekly_hours)
                    .map_err(|e| ApiError::Unexpected(e.into()))?,
            };
            let holidays = r.holidays.unwrap_or(current.holidays);
            validate(&zone, &weekly, &holidays)?;
            let weekly_json =
                serde_json::to_value(&weekly).map_err(|e| ApiError::Unexpected(e.into()))?;
            let row: CalendarRow = diesel::update(business_calendars::table.find(id))
                .set((
                    business_calendars::name.eq(name.unwrap_or(current.name)),
                    business_calendars::time_zone.eq(&zone),
                    business_calendars::weekly_hours.eq(&weekly_json),
                    business_calendars::holidays.eq(&holidays),
                    business_calendars::updated_at.eq(diesel::dsl::now),
                ))
                .returning(CalendarRow::as_returning())
                .get_result(conn)
                .map_err(|e| on_constraint(e, CONSTRAINTS))?;
            let teams = model::teams_of_calendar(conn, id)?;
            if !teams.is_empty() {
                reproject::require_tx(conn)?;
            }
            Ok::<_, ApiError>((row, teams))
        })?;
        let progress = if teams.is_empty() {
            None
        } else {
            Some(reproject::progress(conn)?)
        };
        Ok((row, progress))
    })
    .await?;
    let mut response = CalendarResponse::from(row);
    response.reprojection = progress;
    Ok(HttpResponse::Ok().json(response))
}

/// One calendar.
#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "calendars", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Calendar id")),
    responses((status = 200, body = CalendarResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        business_calendars::table
            .find(id)
            .select(CalendarRow::as_select())
            .first(conn)
            .map_err(ApiError::not_found("calendar"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CalendarResponse::from(row)))
}

/// Every calendar, by name.
#[utoipa::path(get, path = "/api/v1/calendars", tag = "calendars", security(("bearer" = [])),
    responses((status = 200, body = CalendarListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_calendars(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let rows: Vec<CalendarRow> = db::run(&state.pool, |conn| {
        Ok(business_calendars::table
            .order(business_calendars::name)
            .select(CalendarRow::as_select())
            .load(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CalendarListResponse {
        calendars: rows.into_iter().map(Into::into).collect(),
    }))
}
