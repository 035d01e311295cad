//! Bake-offs (docs/REPORTS.md, "Bake-off"): register a protocol (`POST /bake-off/protocols`),
//! read the registered ones, and generate a report under one (`POST /reports/bake-off`; read it
//! back with `GET /reports/{id}` in any format). Admins and managers only.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::reports::bakeoff::{
    self, BakeOffDocument, BakeOffError, ProtocolRequest, RegisteredProtocol,
};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::pages::{ListMeta, parse_id_cursor, per_page};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const REPORTERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager];

/// `GET /bake-off/protocols`' response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProtocolListResponse {
    /// Newest first.
    pub protocols: Vec<RegisteredProtocol>,
    /// Pagination.
    pub meta: ListMeta,
}

/// `GET /bake-off/protocols` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProtocolListQuery {
    /// The previous page's `meta.next_cursor`.
    #[param(value_type = Option<i64>)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// Registers a bake-off protocol (admin, manager): the cohorts, period, metrics, strata, alpha
/// and minimum sample, hashed (SHA-256 of its canonical JSON) before any figure is computed.
/// 201 with `Location` when new; 200 with the registered one when the same protocol (the same
/// canonical bytes) was registered before. A registered protocol never changes: a change is a
/// new protocol. 422 names the failing field.
#[utoipa::path(post, path = "/api/v1/bake-off/protocols", tag = "reports",
    request_body = ProtocolRequest, security(("bearer" = [])),
    responses((status = 201, body = RegisteredProtocol,
            headers(("Location" = String, description = "The registered protocol"))),
        (status = 200, body = RegisteredProtocol, description = "Already registered"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn register_protocol(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<ProtocolRequest>,
) -> ApiResult<HttpResponse> {
    user.require(REPORTERS)?;
    let protocol = body.value.parse()?;
    let by = user.id;
    let (registered, new) = db::run(&state.pool, move |conn| {
        bakeoff::protocol::register(conn, &protocol, Some(by))
            .map_err(|e| unknown_calendar(e, "calendar"))
    })
    .await?;
    let mut response = if new {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header((
            header::LOCATION,
            format!("/api/v1/bake-off/protocols/{}", registered.id),
        ))
        .json(registered))
}

/// A registered protocol (admin, manager).
#[utoipa::path(get, path = "/api/v1/bake-off/protocols/{id}", tag = "reports",
    params(("id" = i64, Path, description = "Protocol id")), security(("bearer" = [])),
    responses((status = 200, body = RegisteredProtocol),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_protocol(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(REPORTERS)?;
    let id = id.into_inner();
    let registered = db::run(&state.pool, move |conn| {
        bakeoff::protocol::get(conn, id).map_err(ApiError::not_found("bake-off protocol"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(registered))
}

/// The registered protocols (admin, manager), newest first.
#[utoipa::path(get, path = "/api/v1/bake-off/protocols", tag = "reports",
    params(ProtocolListQuery), security(("bearer" = [])),
    responses((status = 200, body = ProtocolListResponse),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_protocols(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ProtocolListQuery>,
) -> ApiResult<HttpResponse> {
    user.require(REPORTERS)?;
    let before = parse_id_cursor(query.cursor.as_deref())?;
    let limit = per_page(query.per_page)?;
    let rows = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(bakeoff::protocol::list(conn, before, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|r| r.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(ProtocolListResponse {
        protocols: rows,
        meta,
    }))
}

/// `POST /reports/bake-off` body: a registered protocol's id, or a protocol to register first
/// (exactly one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BakeOffRequest {
    /// A registered protocol.
    pub protocol_id: Option<i64>,
    /// A protocol, registered (or found, when the same was registered) before any figure is
    /// computed.
    pub protocol: Option<ProtocolRequest>,
    /// The instant the figures are taken at (default now, to the second); not before the
    /// period's start.
    pub as_of: Option<DateTime<Utc>>,
}

/// A stored bake-off report with its document.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredBakeOffResponse {
    /// Id (`GET /api/v1/reports/{id}`).
    pub id: i64,
    /// `bake_off`.
    pub kind: String,
    /// The manifest's SHA-256 (hex).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub manifest_sha256: String,
    /// Who generated it.
    pub created_by: Option<i64>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// The report.
    pub document: BakeOffDocument,
}

/// A registration's `NotFound` (the protocol's calendar does not exist) as a 422 on `field`.
fn unknown_calendar(e: diesel::result::Error, field: &str) -> ApiError {
    match e {
        diesel::result::Error::NotFound => {
            ApiError::invalid_field(field, "no such business calendar")
        }
        other => other.into(),
    }
}

fn bake_off_error(e: BakeOffError) -> ApiError {
    match e {
        BakeOffError::UnknownProtocol(_) => {
            ApiError::invalid_field("protocol_id", "no such bake-off protocol")
        }
        BakeOffError::UnknownCalendar(_) => {
            ApiError::invalid_field("protocol.calendar", "no such business calendar")
        }
        BakeOffError::AsOfTooEarly => {
            ApiError::invalid_field("as_of", "must not be before the period's start")
        }
        BakeOffError::TooManyStrata(stratum) => ApiError::invalid_field(
            "protocol.strata",
            format!("{stratum} has more than 65,536 values: too many strata to report"),
        ),
        BakeOffError::TooLong(metric, unit) => ApiError::invalid_field(
            "protocol.metrics",
            format!(
                "the {metric} of {unit} is 68 years or longer: an instant in the data is out of \
                 place; correct it or leave {metric} out"
            ),
        ),
        BakeOffError::Database(e) => e.into(),
    }
}

/// Registers (or finds) the protocol of `request`, then generates its report and stores it as
/// generated by staff member `by`: what `POST /reports/bake-off` and the dashboard's form do.
///
/// # Errors
/// 422 naming the failing field (`protocol_id`/`protocol` — neither or both given, an unknown
/// id —, the protocol's fields, `as_of`); database errors.
pub async fn generate_and_store(
    state: &AppState,
    request: BakeOffRequest,
    by: i64,
) -> ApiResult<(crate::reports::store::StoredReport, BakeOffDocument)> {
    let protocol = match (request.protocol_id, request.protocol) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_field(
                "protocol",
                "give either protocol_id or protocol, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_field(
                "protocol_id",
                "is required (or a protocol to register)",
            ));
        }
        (Some(id), None) if id <= 0 => {
            return Err(ApiError::invalid_field(
                "protocol_id",
                "must be a positive id",
            ));
        }
        (Some(id), None) => Err(id),
        (None, Some(p)) => Ok(p.parse()?),
    };
    // The protocol is registered, in its own transaction, before anything is read.
    let protocol_id = match protocol {
        Err(id) => id,
        Ok(protocol) => {
            db::run(&state.pool, move |conn| {
                bakeoff::protocol::register(conn, &protocol, Some(by))
                    .map(|(r, _)| r.id)
                    .map_err(|e| unknown_calendar(e, "protocol.calendar"))
            })
            .await?
        }
    };
    let as_of = request.as_of.unwrap_or_else(Utc::now);
    // The tickets come from the metrics store at the read's snapshot (one pass over packed rows
    // rather than a year of tickets through the driver); the report is built once the store is
    // let go.
    let metrics = state.metrics_store.clone();
    let pool = state.pool.clone();
    let document = db::report_thread(move || {
        let started = std::time::Instant::now();
        let (registered, as_of, observations) = metrics.read(&pool, |conn, reader| {
            bakeoff::read_with_store(conn, reader, protocol_id, as_of).map_err(bake_off_error)
        })?;
        crate::monitoring::phase_done(started, "bake-off inputs read");
        let started = std::time::Instant::now();
        let document = bakeoff::build(&registered, as_of, observations);
        crate::monitoring::phase_done(started, "bake-off report built");
        Ok(document)
    })
    .await?;
    db::run(&state.pool, move |conn| {
        let started = std::time::Instant::now();
        let stored = bakeoff::insert(conn, &document, Some(by));
        crate::monitoring::phase_done(started, "bake-off report stored");
        let stored = stored?;
        Ok::<_, ApiError>((stored, document))
    })
    .await
}

/// Generates a bake-off report (admin, manager) under a registered protocol (`protocol_id`) or
/// one registered by this call (`protocol`), stores it and answers it with its id (`Location:
/// /api/v1/reports/{id}`; every format by `GET /api/v1/reports/{id}`). 422 names the failing
/// field.
#[utoipa::path(post, path = "/api/v1/reports/bake-off", tag = "reports",
    request_body = BakeOffRequest, security(("bearer" = [])),
    responses((status = 201, body = StoredBakeOffResponse,
            headers(("Location" = String, description = "The stored report"))),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_bake_off_report(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<BakeOffRequest>,
) -> ApiResult<HttpResponse> {
    user.require(REPORTERS)?;
    let (stored, document) = generate_and_store(&state, body.value, user.id).await?;
    let id = stored.id;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/reports/{id}")))
        .json(StoredBakeOffResponse {
            id,
            kind: stored.kind,
            manifest_sha256: stored.manifest_sha256,
            created_by: stored.created_by,
            created_at: stored.created_at,
            document,
        }))
}
