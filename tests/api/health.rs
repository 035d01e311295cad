//! Liveness, readiness, request ids, the OpenAPI document and unknown routes.

use crate::helpers::{TestDb, spawn_app, spawn_app_on};

#[tokio::test]
async fn healthz_answers_ok_and_echoes_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status().as_u16(), 200);
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id");
    assert_eq!(id.to_str().unwrap().len(), 36, "a UUID");
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({ "status": "ok" })
    );
}

#[tokio::test]
async fn readyz_is_ready_when_the_database_answers() {
    let app = spawn_app().await;
    let body = app.get_json("/readyz", 200).await;
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_503_problem_json_when_the_database_is_down() {
    let mut db = TestDb::new();
    // Point the pool at a port where nothing listens.
    // The pool would wait 5 s for a connection; the probe answers within its own 800 ms (the
    // request's 3 s timeout only keeps a regression from hanging the test).
    let mut settings = db.settings.database.clone();
    settings.port = 1;
    settings.pool_timeout_seconds = 5;
    db.pool = frontline::db::pool(&settings);
    let app = spawn_app_on(db).await;
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
        .expect("/readyz answers before the pool's 5 s timeout");
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 503);
    assert_eq!(body["code"], "unavailable");
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(
        !body["detail"].as_str().unwrap().contains("127.0.0.1"),
        "the cause is logged, not sent"
    );
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_swagger_ui_is_served() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/v1/openapi.json", 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut operations: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    operations.sort_unstable();
    // Every route of routes::configure, documented.
    let mut expected = vec![
        "GET /healthz",
        "GET /readyz",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/logout",
        "GET /api/v1/me",
        "POST /api/v1/me/password",
        "POST /api/v1/organizations",
        "GET /api/v1/organizations",
        "GET /api/v1/organizations/{id}",
        "PATCH /api/v1/organizations/{id}",
        "POST /api/v1/sites",
        "GET /api/v1/sites",
        "GET /api/v1/sites/{id}",
        "PATCH /api/v1/sites/{id}",
        "GET /api/v1/sites/{id}/assets",
        "POST /api/v1/assets",
        "GET /api/v1/assets",
        "GET /api/v1/assets/{id}",
        "PATCH /api/v1/assets/{id}",
        "GET /api/v1/assets/{id}/history",
        "POST /api/v1/customers",
        "GET /api/v1/customers",
        "POST /api/v1/customers/find-or-create",
        "GET /api/v1/customers/{id}",
        "PATCH /api/v1/customers/{id}",
        "POST /api/v1/calendars",
        "GET /api/v1/calendars",
        "GET /api/v1/calendars/{id}",
        "PATCH /api/v1/calendars/{id}",
        "POST /api/v1/sla-policies",
        "GET /api/v1/sla-policies",
        "GET /api/v1/sla-policies/{id}",
        "PATCH /api/v1/sla-policies/{id}",
        "POST /api/v1/teams",
        "GET /api/v1/teams",
        "GET /api/v1/teams/{id}",
        "PATCH /api/v1/teams/{id}",
        "POST /api/v1/users",
        "GET /api/v1/users",
        "GET /api/v1/users/{id}",
        "PATCH /api/v1/users/{id}",
        "POST /api/v1/users/{id}/time-off",
        "GET /api/v1/users/{id}/time-off",
        "DELETE /api/v1/users/{id}/time-off/{time_off_id}",
        "POST /api/v1/training/courses",
        "GET /api/v1/training/courses",
        "GET /api/v1/training/courses/{id}",
        "PATCH /api/v1/training/courses/{id}",
        "POST /api/v1/training/courses/{id}/completions",
        "GET /api/v1/training/courses/{id}/completions",
        "DELETE /api/v1/training/courses/{id}/completions/{user_id}",
        "GET /api/v1/users/{id}/training",
        "GET /api/v1/training/courses/{id}/effect",
        "GET /api/v1/tickets",
        "POST /api/v1/tickets",
        "GET /api/v1/tickets/{id}",
        "GET /api/v1/tickets/by-number/{number}",
        "POST /api/v1/ticket-views",
        "POST /api/v1/ticket-categories",
        "GET /api/v1/ticket-categories",
        "GET /api/v1/ticket-categories/{id}",
        "PATCH /api/v1/ticket-categories/{id}",
        "POST /api/v1/ticket-fields",
        "GET /api/v1/ticket-fields",
        "GET /api/v1/ticket-fields/{id}",
        "PATCH /api/v1/ticket-fields/{id}",
        "GET /api/v1/ticket-views",
        "PATCH /api/v1/ticket-views/{id}",
        "DELETE /api/v1/ticket-views/{id}",
        "PATCH /api/v1/tickets/{id}",
        "POST /api/v1/tickets/{id}/comments",
        "GET /api/v1/tickets/{id}/comments",
        "POST /api/v1/tickets/{id}/comments/{comment_id}/redactions",
        "POST /api/v1/tickets/{id}/merge",
        "POST /api/v1/tickets/{id}/incidents",
        "GET /api/v1/tickets/{id}/incidents",
        "DELETE /api/v1/tickets/{id}/incidents/{incident_id}",
        "POST /api/v1/tickets/bulk",
        "GET /api/v1/tickets/{id}/attachments/{attachment_id}",
        "POST /api/v1/tickets/{id}/attachments/{attachment_id}/redaction",
        "POST /api/v1/macros",
        "GET /api/v1/macros",
        "GET /api/v1/macros/{id}",
        "PUT /api/v1/macros/{id}",
        "DELETE /api/v1/macros/{id}",
        "POST /api/v1/tickets/{id}/macros/{macro_id}/apply",
        "GET /api/v1/tickets/{id}/events",
        "GET /api/v1/tickets/{id}/surveys",
        "GET /surveys/{token}",
        "POST /surveys/{token}",
        "POST /api/v1/tickets/{id}/work-orders",
        "GET /api/v1/tickets/{id}/work-orders",
        "POST /api/v1/work-orders",
        "GET /api/v1/work-orders",
        "GET /api/v1/work-orders/{id}",
        "PATCH /api/v1/work-orders/{id}",
        "POST /api/v1/work-orders/{id}/transitions",
        "GET /api/v1/me/work-orders",
        "GET /api/v1/metrics/summary",
        "GET /api/v1/metrics/timeseries",
        "GET /api/v1/metrics/breakdown",
        "GET /api/v1/outbox/dead-letters",
        "POST /api/v1/outbox/{id}/requeue",
        "POST /api/v1/webhooks",
        "GET /api/v1/webhooks",
        "GET /api/v1/webhooks/{id}",
        "PATCH /api/v1/webhooks/{id}",
        "DELETE /api/v1/webhooks/{id}",
        "POST /api/v1/webhooks/{id}/rotate-secret",
        "GET /api/v1/webhooks/{id}/deliveries",
        "POST /api/v1/inbound/email",
        "POST /api/v1/reports/evidence",
        "GET /api/v1/reports/{id}",
        "GET /api/v1/reports",
        "POST /api/v1/reports/bake-off",
        "POST /api/v1/bake-off/protocols",
        "GET /api/v1/bake-off/protocols",
        "GET /api/v1/bake-off/protocols/{id}",
    ];
    expected.sort_unstable();
    assert_eq!(operations, expected);
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["schemas"]["SummaryResponse"].is_object());
    let ui = app.get("/docs/").await;
    assert_eq!(ui.status().as_u16(), 200);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn head_answers_like_get_and_other_methods_are_405_with_allow() {
    let app = spawn_app().await;
    let head = app
        .client
        .head(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.text().await.unwrap(), "", "HEAD has no body");

    let delete = app
        .client
        .delete(format!("{}/api/v1/tickets", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status().as_u16(), 405);
    assert_eq!(delete.headers()["allow"], "GET, HEAD, POST");
    assert_eq!(delete.headers()["content-type"], "application/problem+json");
    let put = app
        .client
        .put(format!("{}/api/v1/tickets/1", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    assert_eq!(put.headers()["allow"], "GET, HEAD, PATCH");
}

#[tokio::test]
async fn docs_without_a_slash_redirects_to_the_swagger_ui() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 308);
    assert_eq!(r.headers()["location"], "/docs/");
}
