//! Liveness and readiness probes.

use crate::db;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;
use serde_json::json;

/// Liveness: the process answers. Always `200 {"status":"ok"}`.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "The process is alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers `SELECT 1`. `200 {"status":"ready"}`, or 503 problem+json.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "Ready to serve"),
        (status = 503, description = "The database is unavailable", body = crate::error::Problem,
         content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    use crate::error::ApiError;
    // A probe must answer within its own timeout, whatever the pool's (5 s) or a hung
    // connection's: at most READY_WITHIN for a connection and the query together.
    let pool = state.pool.clone();
    let probe = db::blocking(move || {
        let mut conn = pool
            .get_timeout(READY_WITHIN)
            .map_err(|e| ApiError::Unavailable(format!("database pool: {e}")))?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map_err(|e| ApiError::Unavailable(e.to_string()))
    });
    match tokio::time::timeout(READY_WITHIN, probe).await {
        Ok(outcome) => outcome?,
        Err(_) => {
            return Err(ApiError::Unavailable(
                "the database did not answer within 800 ms".into(),
            ));
        }
    };
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}

/// How long `/readyz` waits for the database before answering 503 (probes usually time out
/// after 1 s).
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(800);
