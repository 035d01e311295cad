//! The whole route table, the OpenAPI document and the extractor error handlers.
//!
//! ```text
//! GET /healthz                      liveness
//! GET /readyz                       readiness (checks the database; 503 when it is down)
//! GET /metrics                      the service's own figures for Prometheus (crate::monitoring)
//! POST /api/v1/auth/login           email + password → access and refresh tokens
//! POST /api/v1/auth/refresh         rotate a refresh token
//! POST /api/v1/auth/logout          revoke a refresh token's log-in
//! GET /api/v1/me                    the authenticated staff member
//! GET /api/v1/assets                equipment at sites (filters, id cursor); /assets/{id}/history
//! GET /api/v1/users/{id}/time-off   a staff member's time off (POST records, DELETE removes)
//! GET /api/v1/training/courses      courses (POST creates; /{id} GET, PATCH; /{id}/completions
//!                                   GET, POST; DELETE /{id}/completions/{user_id})
//! GET /api/v1/training/courses/{id}/effect  the training effect (docs/METRICS.md §11)
//! GET /api/v1/users/{id}/training   a staff member's completions
//! GET /api/v1/tickets               list (filters, keyset pagination)
//! GET /api/v1/tickets/{id}          one ticket with its events and metrics
//! GET /api/v1/tickets/by-number/{number}  the same, by the human number people quote
//! GET /api/v1/tickets/{id}/attachments/{attachment_id}  a comment's file, as a download
//! GET /api/v1/ticket-views          saved list views and their counts (POST saves; /{id} PATCH
//!                                   changes, DELETE deletes)
//! GET /api/v1/ticket-categories     the category catalogue (POST adds; /{id} GET with its
//!                                   history, PATCH renames or (de)activates)
//! GET /api/v1/ticket-fields         custom ticket field definitions (POST defines; /{id} GET,
//!                                   PATCH)
//! POST /api/v1/tickets/{id}/work-orders  a field visit for a ticket
//! POST /api/v1/work-orders/{id}/transitions  dispatch, en route, on site, complete, …
//! GET /api/v1/me/work-orders        the technician's day
//! GET /api/v1/metrics/summary       period figures (docs/METRICS.md)
//! POST /api/v1/inbound/email        a raw email from the inbound-mail service (shared secret)
//! GET /api/v1/tickets/{id}/surveys  the ticket's CSAT/NPS surveys and answers
//! POST /api/v1/tickets/{id}/merge    merge duplicates into the ticket
//! GET|POST /api/v1/tickets/{id}/incidents  a problem's incidents (solving it solves them;
//!                                   DELETE /{incident_id} unlinks one)
//! POST /api/v1/tickets/bulk          the same changes to up to 100 tickets
//! POST /api/v1/reports/evidence    generate and store an evidence report (docs/REPORTS.md)
//! GET /api/v1/reports               the stored reports, newest first
//! GET /api/v1/reports/{id}          a stored report: JSON, or ?format=csv|html|markdown
//! POST /api/v1/bake-off/protocols  register a bake-off protocol (hashed; never changed after)
//! GET /api/v1/bake-off/protocols[/{id}]  the registered protocols
//! POST /api/v1/reports/bake-off     generate and store a bake-off report (docs/REPORTS.md)
//! GET /api/v1/webhooks              webhook endpoints (admin; POST subscribes; /{id} GET, PATCH,
//!                                   DELETE; /{id}/rotate-secret; /{id}/deliveries: attempts)
//! GET /api/v1/openapi.json          OpenAPI 3 document
//! GET/POST /surveys/{token}         the customer's survey page (HTML; public, signed token)
//! GET/POST /login, POST /logout     the dashboard's log-in (HTML; session cookie, CSRF token)
//! GET /dashboard                    the managers' dashboard (HTML; routes::dashboard)
//! GET/POST /dashboard/reports/evidence  the evidence-report form; GET /dashboard/reports/{id}
//! GET /docs/                        Swagger UI
//! ```

pub mod assets;
pub mod auth;
pub mod bake_off;
pub mod body;
pub mod calendars;
pub mod categories;
pub mod dashboard;
pub mod fields;
pub mod health;
pub mod idempotent;
pub mod inbound;
pub mod macros;
pub mod metrics;
pub mod openapi;
pub mod organizations;
pub mod outbox;
pub mod pages;
pub mod reports;
pub mod sla;
pub mod staff;
pub mod surveys;
pub mod ticket_fields;
pub mod tickets;
pub mod time_off;
pub mod training;
pub mod unsubscribe;
pub mod webhooks;
pub mod work_orders;

use crate::error::{ApiError, Problem, extractor_error};
use actix_web::{guard, web};
use openapi::{CommonResponses, SecuritySchemes};
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
        auth::change_password,
        organizations::create_organization,
        organizations::update_organization,
        organizations::get_organization,
        organizations::list_organizations,
        organizations::create_site,
        organizations::get_site,
        organizations::update_site,
        organizations::list_sites,
        organizations::create_customer,
        organizations::find_or_create_customer,
        organizations::update_customer,
        organizations::get_customer,
        organizations::list_customers,
        assets::create_asset,
        assets::update_asset,
        assets::get_asset,
        assets::list_assets,
        assets::list_site_assets,
        assets::get_asset_history,
        calendars::create_calendar,
        calendars::update_calendar,
        calendars::get_calendar,
        calendars::list_calendars,
        sla::create_policy,
        sla::update_policy,
        sla::get_policy,
        sla::list_policies,
        staff::create_team,
        staff::update_team,
        staff::get_team,
        staff::list_teams,
        staff::create_staff,
        staff::update_staff,
        staff::get_staff,
        staff::list_staff,
        time_off::create_time_off,
        time_off::list_time_off,
        time_off::delete_time_off,
        training::create_course,
        training::update_course,
        training::get_course,
        training::list_courses,
        training::create_completion,
        training::list_completions,
        training::delete_completion,
        training::list_user_training,
        training::get_effect,
        tickets::list::list_tickets,
        tickets::get::get_ticket,
        tickets::get::get_ticket_by_number,
        categories::create_category,
        categories::list_categories,
        categories::get_category,
        categories::update_category,
        ticket_fields::create_field,
        ticket_fields::list_fields,
        ticket_fields::get_field,
        ticket_fields::update_field,
        tickets::views::create_ticket_view,
        tickets::views::list_ticket_views,
        tickets::views::update_ticket_view,
        tickets::views::delete_ticket_view,
        tickets::create::create_ticket,
        tickets::update::update_ticket,
        tickets::comments::create_comment,
        tickets::comments::list_comments,
        tickets::redactions::create_redaction,
        tickets::merge::merge_tickets,
        tickets::merge::link_incidents,
        tickets::merge::list_incidents,
        tickets::merge::unlink_incident,
        tickets::bulk::bulk_update,
        tickets::attachments::download_attachment,
        tickets::attachments::redact_attachment,
        macros::create_macro,
        macros::list_macros,
        macros::get_macro,
        macros::replace_macro,
        macros::delete_macro,
        macros::apply_macro,
        tickets::events::list_events,
        tickets::surveys::list_surveys,
        surveys::get_survey,
        surveys::answer_survey,
        work_orders::create::create_for_ticket,
        work_orders::create::create_work_order,
        work_orders::transitions::transition,
        work_orders::read::list_work_orders,
        work_orders::read::get_work_order,
        work_orders::edit::edit_work_order,
        work_orders::read::list_for_ticket,
        work_orders::read::my_work_orders,
        metrics::get_summary,
        metrics::timeseries::get_timeseries,
        metrics::breakdown::get_breakdown,
        reports::create_evidence_report,
        reports::get_report,
        reports::list_reports,
        bake_off::register_protocol,
        bake_off::list_protocols,
        bake_off::get_protocol,
        bake_off::create_bake_off_report,
        outbox::list_dead_letters,
        outbox::requeue,
        webhooks::create_webhook,
        webhooks::list_webhooks,
        webhooks::get_webhook,
        webhooks::update_webhook,
        webhooks::delete_webhook,
        webhooks::rotate_secret,
        webhooks::list_deliveries,
        inbound::receive_email
    ),
    // The shapes that only query parameters name (a request body's are collected with it).
    components(schemas(
        Problem,
        openapi::Instant,
        openapi::Text200,
        openapi::Text500,
        openapi::NonBlank,
        openapi::TicketStatusList,
        openapi::TicketPriorityList,
        openapi::TicketChannelList,
        openapi::SourcingList,
        openapi::WorkOrderStatusList,
        openapi::DayFilter,
        openapi::SummaryInclude,
        openapi::ReportInclude,
        openapi::TimeBasisName,
        openapi::IntervalName,
        openapi::DimensionName,
        openapi::SlaRiskName,
        openapi::TicketSortName,
        reports::ReportFormat,
        crate::domain::work_order::AssetKind,
        crate::domain::work_order::AssetStatus,
        crate::domain::ticket::TicketPriority,
        crate::models::enums::TicketChannel,
        crate::models::enums::TeamSourcing,
        crate::models::enums::EmploymentType,
        crate::models::enums::UserRole
    )),
    modifiers(&SecuritySchemes, &CommonResponses),
    tags(
        (name = "auth", description = "Staff log-in and tokens"),
        (name = "directory", description = "Organizations, sites and customers"),
        (name = "assets", description = "Equipment at sites and its ticket and visit history"),
        (name = "staff", description = "Teams, staff accounts, skills and time off"),
        (name = "training", description = "Training courses, completions and the training-effect report"),
        (name = "calendars", description = "Business calendars"),
        (name = "sla", description = "SLA policies"),
        (name = "tickets", description = "Tickets and their audit trail"),
        (name = "macros", description = "Canned replies and field changes, applied to a ticket in one call"),
        (name = "work orders", description = "Field visits: dispatch, transitions, the technician's day"),
        (name = "reports", description = "Evidence reports: figures with intervals, comparison, testimonials and an integrity manifest (docs/REPORTS.md)"),
        (name = "metrics", description = "Service metrics, cited by docs/METRICS.md id (`frt.v1`, …)"),
        (name = "surveys", description = "The customer's CSAT/NPS survey page (HTML, public: the signed token in the link is the credential)"),
        (name = "email", description = "The customer email outbox: dead letters and their re-queueing"),
        (name = "webhooks", description = "Webhook endpoints: signed event deliveries to subscribed URLs, their attempts (docs/WEBHOOKS.md)"),
        (name = "inbound", description = "Replies by email: raw messages from the inbound-mail service"),
        (name = "ops", description = "Health and readiness")
    )
)]
pub struct ApiDoc;

/// Registers every route and the extractor error handlers (so that bad JSON, query strings and
/// paths answer problem+json too).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(e, "query")))
        .app_data(
            web::PathConfig::default()
                .error_handler(|_, _| ApiError::bad_field("id", "must be a whole number").into()),
        )
        .app_data(
            web::JsonConfig::default()
                .limit(256 * 1024)
                .error_handler(|e, _| extractor_error(e, "body")),
        )
        .service(resource("/healthz", "GET, HEAD").route(get().to(health::healthz)))
        .service(resource("/readyz", "GET, HEAD").route(get().to(health::readyz)))
        .service(resource("/metrics", "GET, HEAD").route(get().to(crate::monitoring::scrape)))
        .service(
            resource("/unsubscribe/{token}", "GET, HEAD, POST")
                .route(get().to(unsubscribe::show))
                .route(web::post().to(unsubscribe::confirm)),
        )
        .route(
            "/docs",
            web::get().to(|| async {
                actix_web::HttpResponse::PermanentRedirect()
                    .insert_header((actix_web::http::header::LOCATION, "/docs/"))
                    .finish()
            }),
        )
        // The customer's survey page: public, HTML (routes::surveys).
        .service(
            resource("/surveys/{token}", surveys::ALLOW)
                .app_data(surveys::payload_config())
                .route(get().to(surveys::get_survey))
                .route(web::post().to(surveys::answer_survey)),
        )
        // The managers' dashboard: HTML, cookie session (routes::dashboard).
        .service(
            resource("/login", "GET, HEAD, POST")
                .route(get().to(dashboard::login::show))
                .route(web::post().to(dashboard::login::submit)),
        )
        .service(resource("/logout", "POST").route(web::post().to(dashboard::login::logout)))
        .service(resource("/dashboard", "GET, HEAD").route(get().to(dashboard::pages::show)))
        .service(
            resource("/dashboard/reports/evidence", "GET, HEAD, POST")
                .route(get().to(dashboard::forms::show_evidence))
                .route(web::post().to(dashboard::forms::submit_evidence)),
        )
        .service(
            resource("/dashboard/reports/bake-off", "GET, HEAD, POST")
                .route(get().to(dashboard::bake_off::show))
                .route(web::post().to(dashboard::bake_off::submit)),
        )
        .service(
            resource("/dashboard/reports/{id}", "GET, HEAD")
                .route(get().to(dashboard::forms::show_report)),
        )
        // Before the /api/v1 scope, which would otherwise claim /api/v1/openapi.json.
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .service(
            web::scope("/api/v1")
                .service(resource("/auth/login", "POST").route(web::post().to(auth::login)))
                .service(
                    resource("/auth/refresh", "POST").route(web::post().to(auth::refresh_tokens)),
                )
                .service(resource("/auth/logout", "POST").route(web::post().to(auth::logout)))
                .service(resource("/me", "GET, HEAD").route(get().to(auth::me)))
                .service(
                    resource("/me/password", "POST").route(web::post().to(auth::change_password)),
                )
                .service(
                    resource("/me/work-orders", "GET, HEAD")
                        .route(get().to(work_orders::read::my_work_orders)),
                )
                .service(
                    resource("/work-orders", "GET, HEAD, POST")
                        .route(get().to(work_orders::read::list_work_orders))
                        .route(web::post().to(work_orders::create::create_work_order)),
                )
                .service(
                    resource("/work-orders/{id}", "GET, HEAD, PATCH")
                        .route(get().to(work_orders::read::get_work_order))
                        .route(web::patch().to(work_orders::edit::edit_work_order)),
                )
                .service(
                    resource("/work-orders/{id}/transitions", "POST")
                        .route(web::post().to(work_orders::transitions::transition)),
                )
                .service(
                    resource("/tickets/{id}/work-orders", "GET, HEAD, POST")
                        .route(get().to(work_orders::read::list_for_ticket))
                        .route(web::post().to(work_orders::create::create_for_ticket)),
                )
                .service(
                    resource("/organizations", "GET, HEAD, POST")
                        .route(get().to(organizations::list_organizations))
                        .route(web::post().to(organizations::create_organization)),
                )
                .service(
                    resource("/organizations/{id}", "GET, HEAD, PATCH")
                        .route(get().to(organizations::get_organization))
                        .route(web::patch().to(organizations::update_organization)),
                )
                .service(
                    resource("/sites", "GET, HEAD, POST")
                        .route(get().to(organizations::list_sites))
                        .route(web::post().to(organizations::create_site)),
                )
                .service(
                    resource("/sites/{id}", "GET, HEAD, PATCH")
                        .route(get().to(organizations::get_site))
                        .route(web::patch().to(organizations::update_site)),
                )
                .service(
                    resource("/sites/{id}/assets", "GET, HEAD")
                        .route(get().to(assets::list_site_assets)),
                )
                .service(
                    resource("/assets", "GET, HEAD, POST")
                        .route(get().to(assets::list_assets))
                        .route(web::post().to(assets::create_asset)),
                )
                .service(
                    resource("/assets/{id}", "GET, HEAD, PATCH")
                        .route(get().to(assets::get_asset))
                        .route(web::patch().to(assets::update_asset)),
                )
                .service(
                    resource("/assets/{id}/history", "GET, HEAD")
                        .route(get().to(assets::get_asset_history)),
                )
                .service(
                    resource("/customers", "GET, HEAD, POST")
                        .route(get().to(organizations::list_customers))
                        .route(web::post().to(organizations::create_customer)),
                )
                .service(
                    resource("/customers/find-or-create", "POST")
                        .route(web::post().to(organizations::find_or_create_customer)),
                )
                .service(
                    resource("/customers/{id}", "GET, HEAD, PATCH")
                        .route(get().to(organizations::get_customer))
                        .route(web::patch().to(organizations::update_customer)),
                )
                .service(
                    resource("/calendars", "GET, HEAD, POST")
                        .route(get().to(calendars::list_calendars))
                        .route(web::post().to(calendars::create_calendar)),
                )
                .service(
                    resource("/calendars/{id}", "GET, HEAD, PATCH")
                        .route(get().to(calendars::get_calendar))
                        .route(web::patch().to(calendars::update_calendar)),
                )
                .service(
                    resource("/sla-policies", "GET, HEAD, POST")
                        .route(get().to(sla::list_policies))
                        .route(web::post().to(sla::create_policy)),
                )
                .service(
                    resource("/sla-policies/{id}", "GET, HEAD, PATCH")
                        .route(get().to(sla::get_policy))
                        .route(web::patch().to(sla::update_policy)),
                )
                .service(
                    resource("/teams", "GET, HEAD, POST")
                        .route(get().to(staff::list_teams))
                        .route(web::post().to(staff::create_team)),
                )
                .service(
                    resource("/teams/{id}", "GET, HEAD, PATCH")
                        .route(get().to(staff::get_team))
                        .route(web::patch().to(staff::update_team)),
                )
                .service(
                    resource("/users", "GET, HEAD, POST")
                        .route(get().to(staff::list_staff))
                        .route(web::post().to(staff::create_staff)),
                )
                .service(
                    resource("/users/{id}", "GET, HEAD, PATCH")
                        .route(get().to(staff::get_staff))
                        .route(web::patch().to(staff::update_staff)),
                )
                .service(
                    resource("/users/{id}/time-off", "GET, HEAD, POST")
                        .route(get().to(time_off::list_time_off))
                        .route(web::post().to(time_off::create_time_off)),
                )
                .service(
                    resource("/users/{id}/time-off/{time_off_id}", "DELETE")
                        .route(web::delete().to(time_off::delete_time_off)),
                )
                .service(
                    resource("/users/{id}/training", "GET, HEAD")
                        .route(get().to(training::list_user_training)),
                )
                .service(
                    resource("/training/courses", "GET, HEAD, POST")
                        .route(get().to(training::list_courses))
                        .route(web::post().to(training::create_course)),
                )
                .service(
                    resource("/training/courses/{id}", "GET, HEAD, PATCH")
                        .route(get().to(training::get_course))
                        .route(web::patch().to(training::update_course)),
                )
                .service(
                    resource("/training/courses/{id}/completions", "GET, HEAD, POST")
                        .route(get().to(training::list_completions))
                        .route(web::post().to(training::create_completion)),
                )
                .service(
                    resource("/training/courses/{id}/completions/{user_id}", "DELETE")
                        .route(web::delete().to(training::delete_completion)),
                )
                .service(
                    resource("/training/courses/{id}/effect", "GET, HEAD")
                        .route(get().to(training::get_effect)),
                )
                .service(
                    resource("/tickets", "GET, HEAD, POST")
                        .route(get().to(tickets::list::list_tickets))
                        .route(web::post().to(tickets::create::create_ticket)),
                )
                .service(
                    resource("/ticket-views", "GET, HEAD, POST")
                        .route(get().to(tickets::views::list_ticket_views))
                        .route(web::post().to(tickets::views::create_ticket_view)),
                )
                .service(
                    resource("/ticket-categories", "GET, HEAD, POST")
                        .route(get().to(categories::list_categories))
                        .route(web::post().to(categories::create_category)),
                )
                .service(
                    resource("/ticket-categories/{id}", "GET, HEAD, PATCH")
                        .route(get().to(categories::get_category))
                        .route(web::patch().to(categories::update_category)),
                )
                .service(
                    resource("/ticket-fields", "GET, HEAD, POST")
                        .route(get().to(ticket_fields::list_fields))
                        .route(web::post().to(ticket_fields::create_field)),
                )
                .service(
                    resource("/ticket-fields/{id}", "GET, HEAD, PATCH")
                        .route(get().to(ticket_fields::get_field))
                        .route(web::patch().to(ticket_fields::update_field)),
                )
                .service(
                    resource("/ticket-views/{id}", "PATCH, DELETE")
                        .route(web::patch().to(tickets::views::update_ticket_view))
                        .route(web::delete().to(tickets::views::delete_ticket_view)),
                )
                .service(
                    // Before `/tickets/{id}`, which would take `bulk` for an id.
                    resource("/tickets/bulk", "POST")
                        .route(web::post().to(tickets::bulk::bulk_update)),
                )
                .service(
                    resource("/tickets/{id}/merge", "POST")
                        .route(web::post().to(tickets::merge::merge_tickets)),
                )
                .service(
                    resource("/tickets/{id}/incidents", "GET, HEAD, POST")
                        .route(get().to(tickets::merge::list_incidents))
                        .route(web::post().to(tickets::merge::link_incidents)),
                )
                .service(
                    resource("/tickets/{id}/incidents/{incident_id}", "DELETE")
                        .route(web::delete().to(tickets::merge::unlink_incident)),
                )
                .service(
                    resource("/tickets/by-number/{number}", "GET, HEAD")
                        .route(get().to(tickets::get::get_ticket_by_number)),
                )
                .service(
                    resource("/tickets/{id}", "GET, HEAD, PATCH")
                        .route(get().to(tickets::get::get_ticket))
                        .route(web::patch().to(tickets::update::update_ticket)),
                )
                .service(
                    resource("/tickets/{id}/comments", "GET, HEAD, POST")
                        .route(get().to(tickets::comments::list_comments))
                        .route(web::post().to(tickets::comments::create_comment)),
                )
                .service(
                    resource("/tickets/{id}/attachments/{attachment_id}", "GET, HEAD")
                        .route(get().to(tickets::attachments::download_attachment)),
                )
                .service(
                    resource(
                        "/tickets/{id}/attachments/{attachment_id}/redaction",
                        "POST",
                    )
                    .route(web::post().to(tickets::attachments::redact_attachment)),
                )
                .service(
                    resource("/tickets/{id}/comments/{comment_id}/redactions", "POST")
                        .route(web::post().to(tickets::redactions::create_redaction)),
                )
                .service(
                    resource("/tickets/{id}/macros/{macro_id}/apply", "POST")
                        .route(web::post().to(macros::apply_macro)),
                )
                .service(
                    resource("/macros", "GET, HEAD, POST")
                        .route(get().to(macros::list_macros))
                        .route(web::post().to(macros::create_macro)),
                )
                .service(
                    resource("/macros/{id}", "GET, HEAD, PUT, DELETE")
                        .route(get().to(macros::get_macro))
                        .route(web::put().to(macros::replace_macro))
                        .route(web::delete().to(macros::delete_macro)),
                )
                .service(
                    resource("/webhooks", "GET, HEAD, POST")
                        .route(get().to(webhooks::list_webhooks))
                        .route(web::post().to(webhooks::create_webhook)),
                )
                .service(
                    resource("/webhooks/{id}", "GET, HEAD, PATCH, DELETE")
                        .route(get().to(webhooks::get_webhook))
                        .route(web::patch().to(webhooks::update_webhook))
                        .route(web::delete().to(webhooks::delete_webhook)),
                )
                .service(
                    resource("/webhooks/{id}/rotate-secret", "POST")
                        .route(web::post().to(webhooks::rotate_secret)),
                )
                .service(
                    resource("/webhooks/{id}/deliveries", "GET, HEAD")
                        .route(get().to(webhooks::list_deliveries)),
                )
                .service(
                    resource("/tickets/{id}/events", "GET, HEAD")
                        .route(get().to(tickets::events::list_events)),
                )
                .service(
                    resource("/tickets/{id}/surveys", "GET, HEAD")
                        .route(get().to(tickets::surveys::list_surveys)),
                )
                .service(
                    resource("/metrics/summary", "GET, HEAD").route(get().to(metrics::get_summary)),
                )
                .service(
                    resource("/inbound/email", "POST")
                        .route(web::post().to(inbound::receive_email)),
                )
                .service(
                    resource("/metrics/timeseries", "GET, HEAD")
                        .route(get().to(metrics::timeseries::get_timeseries)),
                )
                .service(
                    resource("/metrics/breakdown", "GET, HEAD")
                        .route(get().to(metrics::breakdown::get_breakdown)),
                )
                .service(
                    resource("/reports/evidence", "POST")
                        .route(web::post().to(reports::create_evidence_report)),
                )
                .service(
                    resource("/reports/bake-off", "POST")
                        .route(web::post().to(bake_off::create_bake_off_report)),
                )
                .service(
                    resource("/bake-off/protocols", "GET, HEAD, POST")
                        .route(get().to(bake_off::list_protocols))
                        .route(web::post().to(bake_off::register_protocol)),
                )
                .service(
                    resource("/bake-off/protocols/{id}", "GET, HEAD")
                        .route(get().to(bake_off::get_protocol)),
                )
                .service(resource("/reports", "GET, HEAD").route(get().to(reports::list_reports)))
                .service(
                    resource("/reports/{id}", "GET, HEAD").route(get().to(reports::get_report)),
                )
                .service(
                    resource("/outbox/dead-letters", "GET, HEAD")
                        .route(get().to(outbox::list_dead_letters)),
                )
                .service(
                    resource("/outbox/{id}/requeue", "POST").route(web::post().to(outbox::requeue)),
                ),
        )
        .default_service(web::to(not_found));
}

/// A route for GET that also answers HEAD (same headers, no body).
fn get() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A resource whose other methods answer 405 with `Allow: allow`.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<actix_web::HttpResponse, ApiError>(ApiError::MethodNotAllowed(allow))
    }))
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route"))
}
