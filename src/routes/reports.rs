//! Evidence reports: generate and store one (`POST /reports/evidence`), list the stored ones
//! (`GET /reports`), read one back (`GET /reports/{id}`) as its JSON document, the CSV of its
//! figures, or its HTML or Markdown rendering. Admins and managers only. docs/REPORTS.md
//! describes the document and the formats.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::reports::{self, EvidenceDocument, EvidenceRequest, ReportError, store};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::pages::{ListMeta, parse_id_cursor, per_page};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
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
    /// One self-contained, printable page with the monthly charts inline (`text/html`).
    Html,
    /// GitHub-flavoured Markdown, the monthly series as tables (`text/markdown`).
    Markdown,
}

impl ReportFormat {
    /// The format an `Accept` header prefers: the known media type of the highest `q`
    /// (`application/json`, `text/csv`, `text/html`, `text/markdown`; the first listed on a
    /// tie), else JSON.
    pub fn from_accept(accept: &str) -> ReportFormat {
        let mut best: Option<(f64, ReportFormat)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .filter_map(|v| v.parse::<f64>().ok())
                .next()
                .unwrap_or(1.0);
            let format = match media.as_str() {
                "application/json" => ReportFormat::Json,
                "text/csv" => ReportFormat::Csv,
                "text/html" => ReportFormat::Html,
                "text/markdown" => ReportFormat::Markdown,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, format));
            }
        }
        best.map_or(ReportFormat::Json, |(_, f)| f)
    }
}

/// `GET /reports/{id}` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `json`, `csv`, `html` or `markdown`; without it the `Accept` header decides
    /// (`application/json`, `text/csv`, `text/html`, `text/markdown`), else JSON. Another value
    /// is a 422 naming `format`.
    pub format: Option<ReportFormat>,
}

/// `GET /reports` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportListQuery {
    /// `meta.next_cursor` of the previous page (the last id seen).
    #[param(value_type = Option<i64>)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// What a stored report was generated for (from its parameters).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredReportParameters {
    /// `company`, `team`, `agent`, `technician`, `organization` or `site`.
    pub scope: reports::params::ScopeKind,
    /// The team, user, organization or site (`null` for the company).
    pub scope_id: Option<i64>,
    /// First day of the eligibility period (inclusive, local date).
    pub from: NaiveDate,
    /// Day after the eligibility period's last.
    pub to: NaiveDate,
    /// First day of the comparison period.
    pub comparison_from: NaiveDate,
    /// Day after the comparison period's last.
    pub comparison_to: NaiveDate,
    /// The award category.
    pub category: reports::params::AwardCategory,
    /// The instant the figures were taken at.
    pub as_of: DateTime<Utc>,
}

/// One stored report in the list (without its document).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredReportSummary {
    /// Id (`GET /api/v1/reports/{id}`).
    pub id: i64,
    /// `evidence`.
    pub kind: String,
    /// What it was generated for (`null` if its parameters cannot be read).
    pub parameters: Option<StoredReportParameters>,
    /// The manifest's SHA-256 (hex).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub manifest_sha256: String,
    /// Who generated it.
    pub created_by: Option<i64>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// `GET /reports`'s response.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredReportListResponse {
    /// Newest first.
    pub reports: Vec<StoredReportSummary>,
    /// Pagination.
    pub meta: ListMeta,
}

impl From<store::StoredReportHeader> for StoredReportSummary {
    fn from(r: store::StoredReportHeader) -> Self {
        let parameters = serde_json::from_value::<reports::EvidenceParams>(r.parameters)
            .ok()
            .map(|p| StoredReportParameters {
                scope: p.scope,
                scope_id: p.scope_id,
                from: p.eligibility.from,
                to: p.eligibility.to,
                comparison_from: p.comparison.from,
                comparison_to: p.comparison.to,
                category: p.category,
                as_of: p.as_of,
            });
        StoredReportSummary {
            id: r.id,
            kind: r.kind,
            parameters,
            manifest_sha256: r.manifest_sha256,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// The `Content-Security-Policy` of an HTML report: nothing may load; the inline style applies.
pub const REPORT_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::ScopeNotFound(kind) => {
            ApiError::invalid_field("scope_id", format!("no such {kind}"))
        }
        ReportError::UnknownCalendar(_) => {
            ApiError::invalid_field("calendar", "no business calendar has this id")
        }
        ReportError::Database(e) => e.into(),
        ReportError::Json(e) => ApiError::Unexpected(e.into()),
    }
}

/// Generates the evidence report of `params` and stores it as generated by staff member `by`:
/// what `POST /reports/evidence` and the dashboard's form (`POST /dashboard/reports/evidence`)
/// both do.
///
/// # Errors
/// 422 naming `scope_id` when no such team, agent, technician, organization or site exists,
/// `calendar` when no business calendar has the id given; database errors.
pub async fn generate_and_store(
    state: &AppState,
    params: reports::EvidenceParams,
    by: i64,
) -> ApiResult<(store::StoredReport, EvidenceDocument)> {
    // The tickets come from the metrics store at the read's snapshot (a pass over packed rows
    // rather than every ticket through the driver); the report is built once the store is let go.
    let metrics = state.metrics_store.clone();
    let pool = state.pool.clone();
    let document = db::report_thread(move || {
        let started = std::time::Instant::now();
        let (name, inputs) = metrics.read(&pool, |conn, reader| {
            reports::evidence::read_with_store(conn, reader, &params).map_err(report_error)
        })?;
        crate::monitoring::phase_done(started, "evidence inputs read");
        let started = std::time::Instant::now();
        let document = reports::build(&params, &name, inputs);
        crate::monitoring::phase_done(started, "evidence report built");
        Ok(document)
    })
    .await?;
    db::run(&state.pool, move |conn| {
        let stored = store::insert_evidence(conn, &document, Some(by))?;
        Ok::<_, ApiError>((stored, document))
    })
    .await
}

/// Generates an evidence report (admin, manager), stores it and answers it with its id
/// (`Location: /api/v1/reports/{id}`). The figures are those of docs/REPORTS.md; 422 names the
/// failing parameter (`scope_id` also when no such team, agent, technician, organization or site
/// exists, `calendar` when no business calendar has that id).
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
    let (stored, document) = generate_and_store(&state, params, user.id).await?;
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

/// Lists the stored reports (admin, manager), newest first, without their documents: id, kind,
/// what each was generated for, its manifest hash, who made it and when. 422 naming `cursor`
/// or `per_page` when one does not parse.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ReportListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = StoredReportListResponse),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_reports(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ReportListQuery>,
) -> ApiResult<HttpResponse> {
    user.require(REPORTERS)?;
    let before = parse_id_cursor(query.cursor.as_deref())?;
    let limit = per_page(query.per_page)?;
    let rows = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::list(conn, before, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|r| r.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(StoredReportListResponse {
        reports: rows.into_iter().map(Into::into).collect(),
        meta,
    }))
}

/// A stored report (admin, manager), in the format of `format` or else of the `Accept` header:
/// its JSON document exactly as generated (what `frontline report verify FILE` reads); the CSV
/// of every figure, one row per figure id; one self-contained HTML page (inline style and SVG
/// charts, no script, served with a `Content-Security-Policy` that lets nothing load); or
/// GitHub-flavoured Markdown. The HTML and Markdown are rendered from the stored JSON.
/// `X-Content-Type-Options: nosniff` on every format.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Report id"), ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (EvidenceDocument = "application/json"),
            (String = "text/csv"),
            (String = "text/html"),
            (String = "text/markdown"))),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
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
    let format = query.format.unwrap_or_else(|| {
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map_or(ReportFormat::Json, ReportFormat::from_accept)
    });
    let unexpected = |e: reports::render::RenderError| ApiError::Unexpected(e.into());
    let mut response = HttpResponse::Ok();
    response.insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if stored.kind == "bake_off" {
        return bake_off_format(response, id, format, &stored.document);
    }
    Ok(match format {
        ReportFormat::Json => response
            .content_type("application/json")
            .body(stored.document),
        ReportFormat::Csv => {
            let doc: serde_json::Value = serde_json::from_str(&stored.document)
                .map_err(|e| ApiError::Unexpected(e.into()))?;
            let bytes =
                reports::csv::figures_csv(&doc).map_err(|e| ApiError::Unexpected(e.into()))?;
            response
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"evidence-{id}.csv\""),
                ))
                .body(bytes)
        }
        ReportFormat::Html => {
            let page = reports::render::html_from_json(&stored.document).map_err(unexpected)?;
            response
                .content_type("text/html; charset=utf-8")
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    REPORT_CONTENT_SECURITY_POLICY,
                ))
                .insert_header((header::REFERRER_POLICY, "no-referrer"))
                .body(page)
        }
        ReportFormat::Markdown => {
            let text = reports::render::markdown_from_json(&stored.document).map_err(unexpected)?;
            response
                .content_type("text/markdown; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"evidence-{id}.md\""),
                ))
                .body(text)
        }
    })
}

/// A stored bake-off report in `format`, rendered from its JSON.
fn bake_off_format(
    mut response: actix_web::HttpResponseBuilder,
    id: i64,
    format: ReportFormat,
    json: &str,
) -> ApiResult<HttpResponse> {
    use crate::reports::bakeoff::render;
    let unexpected = |e: render::RenderError| ApiError::Unexpected(e.into());
    let doc = || -> ApiResult<crate::reports::bakeoff::BakeOffDocument> {
        serde_json::from_str(json).map_err(|e| ApiError::Unexpected(e.into()))
    };
    Ok(match format {
        ReportFormat::Json => response
            .content_type("application/json")
            .body(json.to_string()),
        ReportFormat::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bake-off-{id}.csv\""),
            ))
            .body(render::csv(&doc()?).map_err(unexpected)?),
        ReportFormat::Html => response
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                REPORT_CONTENT_SECURITY_POLICY,
            ))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .body(render::html_from_json(json).map_err(unexpected)?),
        ReportFormat::Markdown => response
            .content_type("text/markdown; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"bake-off-{id}.md\""),
            ))
            .body(render::markdown(&doc()?)),
    })
}

#[cfg(test)]
mod tests {
    use super::ReportFormat;

    #[test]
    fn the_accept_header_picks_the_known_type_of_the_highest_q() {
        let cases = [
            ("", ReportFormat::Json),
            ("*/*", ReportFormat::Json),
            ("text/csv", ReportFormat::Csv),
            ("text/markdown; charset=utf-8", ReportFormat::Markdown),
            (
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                ReportFormat::Html,
            ),
            (
                "application/json;q=0.5, text/markdown",
                ReportFormat::Markdown,
            ),
            ("text/html;q=0, text/csv;q=0.1", ReportFormat::Csv),
            ("TEXT/HTML", ReportFormat::Html),
        ];
        for (accept, format) in cases {
            assert_eq!(ReportFormat::from_accept(accept), format, "{accept}");
        }
    }
}
