//! The whole route table, the OpenAPI document and the extractor error handlers.
//!
//! ```text
//! GET /healthz                      liveness
//! GET /readyz                       readiness (checks the database; 503 when it is down)
//! POST /api/v1/auth/login           email + password → access and refresh tokens
//! POST /api/v1/auth/refresh         rotate a refresh token
//! POST /api/v1/auth/logout          revoke a refresh token's log-in
//! GET /api/v1/me                    the authenticated staff member
//! GET /api/v1/tickets               list (filters, keyset pagination)
//! GET /api/v1/tickets/{id}          one ticket with its events and metrics
//! GET /api/v1/metrics/summary       period figures (METRICS.md)
//! GET /api/v1/openapi.json          OpenAPI 3 document
//! GET /docs/                        Swagger UI
//! ```

pub mod auth;
pub mod body;
pub mod directory;
pub mod health;
pub mod metrics;
pub mod ticket_write;
pub mod tickets;

use crate::error::{ApiError, Problem, extractor_error};
use actix_web::web;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Frontline",
        description = "Contact-center ticketing: tickets, their event log and service metrics. \
                       Errors are RFC 9457 application/problem+json. Times are RFC 3339 UTC; \
                       durations are seconds.",
        version = "1"
    ),
    paths(
        health::healthz,
        health::readyz,
        auth::login,
        auth::refresh_tokens,
        auth::logout,
        auth::me,
        directory::create_organization,
        directory::update_organization,
        directory::get_organization,
        directory::list_organizations,
        directory::create_site,
        directory::get_site,
        directory::list_sites,
        directory::create_customer,
        directory::update_customer,
        directory::get_customer,
        directory::list_customers,
        tickets::list_tickets,
        tickets::get_ticket,
        ticket_write::create_ticket,
        ticket_write::update_ticket,
        ticket_write::create_comment,
        ticket_write::list_comments,
        ticket_write::list_events,
        metrics::get_summary
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Staff log-in and tokens"),
        (name = "directory", description = "Organizations, sites and customers"),
        (name = "tickets", description = "Tickets and their audit trail"),
        (name = "metrics", description = "Service metrics as METRICS.md defines them"),
        (name = "ops", description = "Health and readiness")
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme (JWT access tokens from `POST /auth/login`).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Registers every route and the extractor error handlers (so that bad JSON, query strings and
/// paths answer problem+json too).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(e, "query")))
        .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error(e, "path")))
        .app_data(
            web::JsonConfig::default()
                .limit(256 * 1024)
                .error_handler(|e, _| extractor_error(e, "body")),
        )
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        // Before the /api/v1 scope, which would otherwise claim /api/v1/openapi.json.
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .service(
            web::scope("/api/v1")
                .route("/auth/login", web::post().to(auth::login))
                .route("/auth/refresh", web::post().to(auth::refresh_tokens))
                .route("/auth/logout", web::post().to(auth::logout))
                .route("/me", web::get().to(auth::me))
                .route(
                    "/organizations",
                    web::post().to(directory::create_organization),
                )
                .route(
                    "/organizations",
                    web::get().to(directory::list_organizations),
                )
                .route(
                    "/organizations/{id}",
                    web::get().to(directory::get_organization),
                )
                .route(
                    "/organizations/{id}",
                    web::patch().to(directory::update_organization),
                )
                .route("/sites", web::post().to(directory::create_site))
                .route("/sites", web::get().to(directory::list_sites))
                .route("/sites/{id}", web::get().to(directory::get_site))
                .route("/customers", web::post().to(directory::create_customer))
                .route("/customers", web::get().to(directory::list_customers))
                .route("/customers/{id}", web::get().to(directory::get_customer))
                .route(
                    "/customers/{id}",
                    web::patch().to(directory::update_customer),
                )
                .route("/tickets", web::get().to(tickets::list_tickets))
                .route("/tickets", web::post().to(ticket_write::create_ticket))
                .route("/tickets/{id}", web::get().to(tickets::get_ticket))
                .route(
                    "/tickets/{id}",
                    web::patch().to(ticket_write::update_ticket),
                )
                .route(
                    "/tickets/{id}/comments",
                    web::post().to(ticket_write::create_comment),
                )
                .route(
                    "/tickets/{id}/comments",
                    web::get().to(ticket_write::list_comments),
                )
                .route(
                    "/tickets/{id}/events",
                    web::get().to(ticket_write::list_events),
                )
                .route("/metrics/summary", web::get().to(metrics::get_summary)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route"))
}

/// Parses an RFC 3339 timestamp query parameter, naming the field on failure (422).
pub(crate) fn parse_instant(
    field: &str,
    value: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    value
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    ApiError::invalid_field(
                        field,
                        format!("`{v}` is not an RFC 3339 timestamp with offset"),
                    )
                })
        })
        .transpose()
}
