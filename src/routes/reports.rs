//! Evidence reports: generate and store one (`POST /reports/evidence`), read one back as its
//! JSON document or as the CSV of its figures (`GET /reports/{id}`). Admins and managers only.
//! docs/REPORTS.md describes the document.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::reports::{self, EvidenceDocument, EvidenceRequest, ReportError, store};
use crate::routes::body::{JsonBody, QueryParams};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const REPORTERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager];

/// A stored report with its document (`POST /reports/evidence`'s 201).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredReportResponse {
    /// Id (`GET /api/v1/reports/{id}`).
    pub id: i64,
    /// `evidence`.
    pub kind: String,
    /// The manifest's SHA-256 (hex).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub manifest_sha256: String,
    /// Who generated it.
    pub created_by: Option<i64>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// The report.
    pub document: EvidenceDocument,
}

/// The formats a stored report is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// The JSON document, byte for byte as generated (the source of the others).
    Json,
    /// One row per figure (`text/csv`).
    Csv,
}

/// `GET /reports/{id}` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `json` or `csv`; without it the `Accept` header decides (`text/csv` → CSV), else JSON.
    pub format: Option<ReportFormat>,
}

fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::ScopeNotFound(kind) => {
            ApiError::invalid_field("scope_id", format!("no such {kind}"))
        }
        ReportError::Database(e) => e.into(),
        ReportError::Json(e) => ApiError::Unexpected(e.into()),
    }
}

/// Generates an evidence report (admin, manager), stores it and answers it with its id
/// (`Location: /api/v1/reports/{id}`). The figures are those of docs/REPORTS.md; 422 names the
/// failing parameter (`scope_id` also when no such team, agent, technician, organization or site
/// exists).
#[utoipa::path(post, path = "/api/v1/reports/evidence", tag = "reports",
    request_body = EvidenceRequest, security(("bearer" = [])),
    responses((status = 201, body = StoredReportResponse,
            headers(("Location" = String, description = "The stored report"))),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_evidence_report(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<EvidenceRequest>,
) -> ApiResult<HttpResponse> {
    user.require(REPORTERS)?;
    let params = body.value.parse(Utc::now())?;
    let by = user.id;
    let (stored, document) = db::run(&state.pool, move |conn| {
        let document = reports::generate(conn, &params).map_err(report_error)?;
        let stored = store::insert_evidence(conn, &document, Some(by))?;
        Ok::<_, ApiError>((stored, document))
    })
    .await?;
    let id = stored.id;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/reports/{id}")))
        .json(StoredReportResponse {
            id,
            kind: stored.kind,
            manifest_sha256: stored.manifest_sha256,
            created_by: stored.created_by,
            created_at: stored.created_at,
            document,
        }))
}

/// A stored report (admin, manager): its JSON document exactly as generated (what
/// `frontline report verify FILE` reads), or with `format=csv` (or `Accept: text/csv`) the CSV
/// of every figure, one row per figure id.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Report id"), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (EvidenceDocument = "application/json"),
            (String = "text/csv"))),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_report(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: QueryParams<ReportQuery>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    user.require(REPORTERS)?;
    let id = id.into_inner();
    let stored = db::run(&state.pool, move |conn| {
        store::get(conn, id).map_err(ApiError::not_found("report"))
    })
    .await?;
    let wants_csv = match query.format {
        Some(f) => f == ReportFormat::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    };
    if wants_csv {
        let doc: serde_json::Value =
            serde_json::from_str(&stored.document).map_err(|e| ApiError::Unexpected(e.into()))?;
        let bytes = reports::csv::figures_csv(&doc).map_err(|e| ApiError::Unexpected(e.into()))?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"evidence-{id}.csv\""),
            ))
            .body(bytes));
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(stored.document))
}
