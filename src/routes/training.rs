//! Training records and their effect: courses (`/training/courses`), who completed them and when
//! (`/training/courses/{id}/completions`, `/users/{id}/training`), and the training-effect report
//! (`/training/courses/{id}/effect`, docs/METRICS.md §11).
//!
//! Roles: admins and managers write; every staff role reads the courses; admins, managers and
//! agents read a course's completions and anyone's list, and each staff member reads their own;
//! only admins and managers read the effect report. A completion date is a calendar date of the
//! reporting time zone (`metrics.reporting_time_zone`), from 1900-01-01 and not after today
//! there.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::training::{self as effect, MAX_WEEKS, MetricEffect};
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::staff as staff_model;
use crate::models::training::{self as model, Completion, Course, NewCompletion, NewCourse};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::{double_option, parse_name};
use crate::routes::work_orders::create::parse_text;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const ALL_STAFF: &[UserRole] = &[
    UserRole::Admin,
    UserRole::Manager,
    UserRole::Agent,
    UserRole::Technician,
];
const READERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager, UserRole::Agent];
const WRITERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager];

/// The bootstrap seed of the effect report when the request names none.
pub const DEFAULT_SEED: u64 = 13;

/// The largest bootstrap seed accepted: 2^53 − 1, which the response's JSON prints exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// Weeks compared before and after a completion when the request names none.
pub const DEFAULT_WEEKS: u32 = effect::DEFAULT_WEEKS;

const COURSE_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "training_courses_name_key",
        "name",
        "is already used by another course",
    ),
    (
        "training_courses_name_not_blank",
        "name",
        "must not be blank",
    ),
];

const COMPLETION_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "training_completions_course_id_user_id_key",
        "user_id",
        "has already completed this course (delete the completion to record it again)",
    ),
    (
        "training_completions_user_id_fkey",
        "user_id",
        "no such staff member",
    ),
    (
        "training_completions_course_id_fkey",
        "course_id",
        "no such course",
    ),
    (
        "training_completions_score_check",
        "score",
        "must be between 0 and 100",
    ),
];

// ---------------------------------------------------------------- shapes

/// A training course.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourseResponse {
    /// Id.
    pub id: i64,
    /// Name (unique ignoring case).
    pub name: String,
    /// What the course teaches.
    pub description: Option<String>,
    /// Offered now; an inactive course keeps its completions and its effect report.
    pub active: bool,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Course> for CourseResponse {
    fn from(c: Course) -> Self {
        CourseResponse {
            id: c.id,
            name: c.name,
            description: c.description,
            active: c.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// `POST /training/courses` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourseRequest {
    /// Name (1–200 characters, one line; unique ignoring case).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// Description (≤ 2,000 characters; blank: none).
    #[schema(value_type = Option<crate::routes::openapi::Text2000>)]
    pub description: Option<String>,
    /// Offered now (default true).
    pub active: Option<bool>,
}

/// `PATCH /training/courses/{id}` body: absent fields are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCourseRequest {
    /// Name (1–200 characters; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// Description, ≤ 2,000 characters (`null` or blank clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Text2000>)]
    pub description: Option<Option<String>>,
    /// Offered now (`null`: unchanged).
    pub active: Option<bool>,
}

/// Query of `GET /training/courses`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CourseListQuery {
    /// Only the courses offered now (`true`) or only the others (`false`); default all.
    pub active: Option<bool>,
}

/// `GET /training/courses` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourseListResponse {
    /// Courses by name.
    pub courses: Vec<CourseResponse>,
}

/// A staff member's completion of a course.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompletionResponse {
    /// Id.
    pub id: i64,
    /// The course.
    pub course_id: i64,
    /// The course's name.
    pub course_name: String,
    /// The staff member (`users.id`).
    pub user_id: i64,
    /// The staff member's name.
    pub user_name: String,
    /// The date the course was completed (`YYYY-MM-DD`, reporting time zone).
    pub completed_on: NaiveDate,
    /// Score, 0–100 (`null`: not scored).
    pub score: Option<i16>,
    /// Who recorded it (`users.id`).
    pub recorded_by: Option<i64>,
    /// Recorded (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Completion> for CompletionResponse {
    fn from(c: Completion) -> Self {
        CompletionResponse {
            id: c.id,
            course_id: c.course_id,
            course_name: c.course_name,
            user_id: c.user_id,
            user_name: c.user_name,
            completed_on: c.completed_on,
            score: c.score,
            recorded_by: c.recorded_by,
            created_at: c.created_at,
        }
    }
}

/// `POST /training/courses/{id}/completions` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCompletionRequest {
    /// The staff member who completed the course (`users.id`).
    pub user_id: i64,
    /// The date completed, `YYYY-MM-DD` (reporting time zone), 1900-01-01 to today.
    #[schema(value_type = String, format = Date)]
    pub completed_on: String,
    /// Score, 0–100 (absent or `null`: not scored).
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<i64>,
}

/// A course's or a staff member's completions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompletionListResponse {
    /// Completions: of a course by date then staff id; of a staff member most recent first.
    pub completions: Vec<CompletionResponse>,
}

/// Query of `GET /training/courses/{id}/effect`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EffectQuery {
    /// Weeks compared before and after each completion, 1–26 (default 4).
    #[param(minimum = 1, maximum = 26)]
    pub weeks: Option<i64>,
    /// `calendar` (default) or `business`: the variant of `frt.v1`.
    #[param(value_type = Option<crate::routes::openapi::TimeBasisName>)]
    pub time: Option<String>,
    /// The bootstrap's seed, 0 to 2^53 − 1 (default 13: the largest integer every JSON reader
    /// keeps exactly, since the response prints it); the same seed gives the same intervals.
    #[param(minimum = 0, maximum = 9_007_199_254_740_991_i64)]
    pub seed: Option<u64>,
}

/// The metrics of the effect report.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectMetrics {
    /// First reply time (`frt.v1`, seconds in the chosen `time`), credited to the staff member
    /// who wrote the first reply, placed by `first_reply_at`.
    pub first_reply_time: MetricEffect,
    /// Reopen rate (`reopen_rate.v1`: each ticket 1 when reopened, else 0), credited to the staff
    /// member who recorded the latest solve, placed by that solve.
    pub reopen_rate: MetricEffect,
}

/// `GET /training/courses/{id}/effect` response (docs/METRICS.md §11).
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectResponse {
    /// The course.
    pub course: CourseResponse,
    /// Weeks compared before and after each completion date.
    pub weeks: u32,
    /// `calendar` or `business`: the variant of `frt.v1`.
    pub time: String,
    /// The IANA zone whose dates the completion dates and windows are read in.
    pub time_zone: String,
    /// The course's completions (staff trained), including those left out.
    pub completions: usize,
    /// Distinct completion dates (the stacked cohorts).
    pub cohorts: usize,
    /// The two metrics' differences in differences, flags and who was left out.
    pub metrics: EffectMetrics,
}

// ---------------------------------------------------------------- validation

fn course_id_missing(e: diesel::result::Error) -> ApiError {
    ApiError::not_found("course")(e)
}

/// A completion date `YYYY-MM-DD` from 1900-01-01 to `today`; 422 naming `completed_on`.
fn parse_completed_on(value: &str, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let v = value.trim();
    let shaped = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .filter(|_| shaped)
        .ok_or_else(|| ApiError::invalid_field("completed_on", "must be a date YYYY-MM-DD"))?;
    if date.year() < 1900 {
        return Err(ApiError::invalid_field(
            "completed_on",
            "must not be before 1900-01-01",
        ));
    }
    if date > today {
        return Err(ApiError::invalid_field(
            "completed_on",
            format!("must not be in the future (today is {today})"),
        ));
    }
    Ok(date)
}

/// A score 0–100; 422 naming `score`.
fn parse_score(score: Option<i64>) -> Result<Option<i16>, ApiError> {
    score
        .map(|s| {
            i16::try_from(s)
                .ok()
                .filter(|s| (0..=100).contains(s))
                .ok_or_else(|| ApiError::invalid_field("score", "must be between 0 and 100"))
        })
        .transpose()
}

/// The reporting time zone of the settings (UTC if it does not parse: the settings are checked
/// at start-up).
fn reporting_zone(state: &AppState) -> (chrono_tz::Tz, String) {
    let name = state.settings.metrics.reporting_time_zone.clone();
    (name.parse().unwrap_or(chrono_tz::Tz::UTC), name)
}

// ---------------------------------------------------------------- courses

/// Creates a course (admin, manager). 422 naming `name` or `description`; 409 naming `name` when
/// another course has it (in any case).
#[utoipa::path(post, path = "/api/v1/training/courses", tag = "training",
    request_body = CreateCourseRequest, security(("bearer" = [])),
    responses((status = 201, body = CourseResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_course(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateCourseRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let course = NewCourse {
        name: parse_name("name", &r.name, 200)?,
        description: parse_text("description", r.description.as_deref(), 2000)?,
        active: r.active.unwrap_or(true),
    };
    let row = db::run(&state.pool, move |conn| {
        model::insert_course(conn, &course).map_err(|e| on_constraint(e, COURSE_CONSTRAINTS))
    })
    .await?;
    tracing::info!({ user.id = user.id, course.id = row.id }, "training course created");
    Ok(HttpResponse::Created().json(CourseResponse::from(row)))
}

/// Edits a course (admin, manager): name, description, active. 404; 409 naming `name`; 422 naming
/// the field.
#[utoipa::path(patch, path = "/api/v1/training/courses/{id}", tag = "training",
    request_body = UpdateCourseRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Course id")),
    responses((status = 200, body = CourseResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_course(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateCourseRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let id = id.into_inner();
    let name = r
        .name
        .as_deref()
        .map(|n| parse_name("name", n, 200))
        .transpose()?;
    let description = r
        .description
        .map(|d| parse_text("description", d.as_deref(), 2000))
        .transpose()?;
    let row = db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            let current = model::get_course(conn, id).map_err(course_id_missing)?;
            let next = NewCourse {
                name: name.unwrap_or(current.name),
                description: description.unwrap_or(current.description),
                active: r.active.unwrap_or(current.active),
            };
            model::update_course(conn, id, &next).map_err(|e| on_constraint(e, COURSE_CONSTRAINTS))
        })
    })
    .await?;
    tracing::info!({ user.id = user.id, course.id = row.id }, "training course updated");
    Ok(HttpResponse::Ok().json(CourseResponse::from(row)))
}

/// One course (every staff role). 404 for an unknown id.
#[utoipa::path(get, path = "/api/v1/training/courses/{id}", tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Course id")),
    responses((status = 200, body = CourseResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_course(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(ALL_STAFF)?;
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        model::get_course(conn, id).map_err(course_id_missing)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CourseResponse::from(row)))
}

/// Every course by name (every staff role); `active` filters.
#[utoipa::path(get, path = "/api/v1/training/courses", tag = "training",
    params(CourseListQuery), security(("bearer" = [])),
    responses((status = 200, body = CourseListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_courses(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<CourseListQuery>,
) -> ApiResult<HttpResponse> {
    user.require(ALL_STAFF)?;
    let active = query.active;
    let rows = db::run(&state.pool, move |conn| {
        Ok(model::list_courses(conn, active)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CourseListResponse {
        courses: rows.into_iter().map(Into::into).collect(),
    }))
}

// ---------------------------------------------------------------- completions

/// Records that a staff member completed a course (admin, manager), on a date of the reporting
/// time zone, with an optional score. 404 for an unknown course; 422 naming `user_id` (no such
/// staff member), `completed_on` (not a date, before 1900 or in the future) or `score` (outside
/// 0–100); 409 naming `user_id` when they already completed it (one completion per course and
/// staff member: delete it to record a retake).
#[utoipa::path(post, path = "/api/v1/training/courses/{id}/completions", tag = "training",
    request_body = CreateCompletionRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Course id")),
    responses((status = 201, body = CompletionResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_completion(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<CreateCompletionRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let course_id = id.into_inner();
    let (zone, _) = reporting_zone(&state);
    let today = Utc::now().with_timezone(&zone).date_naive();
    let completed_on = parse_completed_on(&r.completed_on, today)?;
    let score = parse_score(r.score)?;
    let recorded_by = user.id;
    let user_id = r.user_id;
    let row = db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            model::get_course(conn, course_id).map_err(course_id_missing)?;
            staff_model::get_staff(conn, user_id).map_err(|e| match e {
                diesel::result::Error::NotFound => {
                    ApiError::invalid_field("user_id", "no such staff member")
                }
                other => other.into(),
            })?;
            model::insert_completion(
                conn,
                &NewCompletion {
                    course_id,
                    user_id,
                    completed_on,
                    score,
                    recorded_by: Some(recorded_by),
                },
            )
            .map_err(|e| on_constraint(e, COMPLETION_CONSTRAINTS))
        })
    })
    .await?;
    tracing::info!({ user.id = user.id, course.id = course_id, staff.id = user_id }, "training completion recorded");
    Ok(HttpResponse::Created().json(CompletionResponse::from(row)))
}

/// A course's completions by date then staff id (admin, manager, agent). 404 for an unknown
/// course.
#[utoipa::path(get, path = "/api/v1/training/courses/{id}/completions", tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Course id")),
    responses((status = 200, body = CompletionListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_completions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let course_id = id.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        model::get_course(conn, course_id).map_err(course_id_missing)?;
        Ok(model::course_completions(conn, course_id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CompletionListResponse {
        completions: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Deletes a staff member's completion of a course (admin, manager). 404 when there is none.
#[utoipa::path(delete, path = "/api/v1/training/courses/{id}/completions/{user_id}",
    tag = "training", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Course id"),
        ("user_id" = i64, Path, description = "Staff user id")),
    responses((status = 204),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn delete_completion(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let (course_id, user_id) = path.into_inner();
    let deleted = db::run(&state.pool, move |conn| {
        Ok(model::delete_completion(conn, course_id, user_id)?)
    })
    .await?;
    if !deleted {
        return Err(ApiError::NotFound("completion"));
    }
    tracing::info!({ user.id = user.id, course.id = course_id, staff.id = user_id }, "training completion deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// A staff member's completions, most recent first (admin, manager, agent, and the staff member
/// themself). 404 for an unknown user.
#[utoipa::path(get, path = "/api/v1/users/{id}/training", tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Staff user id")),
    responses((status = 200, body = CompletionListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_user_training(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let user_id = id.into_inner();
    if user.id != user_id {
        user.require(READERS)?;
    }
    let rows = db::run(&state.pool, move |conn| {
        staff_model::get_staff(conn, user_id).map_err(ApiError::not_found("user"))?;
        Ok(model::user_completions(conn, user_id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CompletionListResponse {
        completions: rows.into_iter().map(Into::into).collect(),
    }))
}

// ---------------------------------------------------------------- effect

/// The training effect of a course (admin, manager; docs/METRICS.md §11): for the staff who
/// completed it, their first reply time (`frt.v1`) and reopen rate (`reopen_rate.v1`) in the
/// `weeks` weeks before and after their completion date, against the staff of the same role(s)
/// who never completed it over the same calendar weeks, as a difference in differences (§10) with its 95 %
/// cluster-bootstrap interval, the four cells' counts and means, the staff counts, the seed, the
/// "too few to conclude" flags and the staff left out. A negative estimate means the trained
/// staff improved more (faster replies, fewer reopens). A metric with an empty cell has
/// `difference_in_differences: null`.
///
/// 404 for an unknown course; 422 naming `weeks` (outside 1–26), `time` or `seed` (outside
/// 0 to 2^53 − 1).
#[utoipa::path(get, path = "/api/v1/training/courses/{id}/effect", tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Course id"), EffectQuery),
    responses((status = 200, body = EffectResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_effect(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: Result<QueryParams<EffectQuery>, ApiError>,
) -> ApiResult<HttpResponse> {
    // The role first: an agent learns nothing from the parameters' validation.
    user.require(WRITERS)?;
    let query = query?;
    let weeks = match query.weeks {
        None => DEFAULT_WEEKS,
        Some(w) => u32::try_from(w)
            .ok()
            .filter(|w| (1..=MAX_WEEKS).contains(w))
            .ok_or_else(|| ApiError::invalid_field("weeks", "must be between 1 and 26"))?,
    };
    let business = match query.time.as_deref() {
        None | Some("calendar") => false,
        Some("business") => true,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "time",
                "expected calendar or business",
            ));
        }
    };
    let seed = match query.seed {
        None => DEFAULT_SEED,
        Some(s) if s <= MAX_SEED => s,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "seed",
                "must be between 0 and 9007199254740991",
            ));
        }
    };
    let (zone, zone_name) = reporting_zone(&state);
    let course_id = id.into_inner();
    let (course, completions, frt, reopens, comparable) = db::run(&state.pool, move |conn| {
        let course = model::get_course(conn, course_id).map_err(course_id_missing)?;
        let completions = model::course_completions(conn, course_id)?;
        let pairs: Vec<(i64, NaiveDate)> = completions
            .iter()
            .map(|c| (c.user_id, c.completed_on))
            .collect();
        let cohorts = effect::cohorts(&pairs, weeks, zone).ok_or_else(|| {
            ApiError::invalid_field("weeks", "reaches past the calendar from a completion date")
        })?;
        let completers: Vec<i64> = pairs.iter().map(|(id, _)| *id).collect();
        let comparable = model::comparable_staff(conn, &completers)?;
        let (frt, reopens) = model::effect_facts(conn, &cohorts, business, None, None)?;
        Ok((course, cohorts, frt, reopens, comparable))
    })
    .await?;
    let completed = completions.iter().map(|c| c.staff.len()).sum();
    let report = web::block(move || EffectResponse {
        course: course.into(),
        weeks,
        time: if business { "business" } else { "calendar" }.to_string(),
        time_zone: zone_name,
        completions: completed,
        cohorts: completions.len(),
        metrics: EffectMetrics {
            first_reply_time: effect::effect(
                "frt.v1",
                "seconds",
                &completions,
                &frt,
                &comparable,
                seed,
            ),
            reopen_rate: effect::effect(
                "reopen_rate.v1",
                "fraction",
                &completions,
                &reopens,
                &comparable,
                seed,
            ),
        },
    })
    .await
    .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("effect report: {e}")))?;
    Ok(HttpResponse::Ok().json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Validation { errors, .. } => errors.keys().cloned().collect(),
            other => panic!("not a 422: {other:?}"),
        }
    }

    #[test]
    fn completion_dates_and_scores_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            parse_completed_on(" 2026-11-30 ", today).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(parse_completed_on("2026-12-01", today).unwrap(), today);
        for bad in [
            "2026-12-02",
            "1899-12-31",
            "2026-2-1",
            "+2026-02-01",
            "yesterday",
        ] {
            assert_eq!(
                field_of(parse_completed_on(bad, today).unwrap_err()),
                ["completed_on"]
            );
        }
        assert_eq!(parse_score(None).unwrap(), None);
        assert_eq!(parse_score(Some(0)).unwrap(), Some(0));
        assert_eq!(parse_score(Some(100)).unwrap(), Some(100));
        for bad in [-1, 101, 70_000] {
            assert_eq!(field_of(parse_score(Some(bad)).unwrap_err()), ["score"]);
        }
    }
}
