//! `GET /metrics`: the service's own figures in Prometheus' text format.

use crate::helpers::{TestDb, spawn_app, spawn_app_on};

/// The value of the sample `name{labels}` (exact label text, as rendered) in `text`, 0 if absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(app: &crate::helpers::TestApp) -> String {
    let r = app.get("/metrics").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    r.text().await.unwrap()
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_and_status_with_their_latency() {
    let app = spawn_app().await;
    let series =
        r#"frontline_http_requests_total{method="GET",route="/api/v1/tickets/{id}",status="404"}"#;
    let before = sample(&scrape(&app).await, series);
    for id in [987_654_321, 987_654_322, 987_654_323] {
        app.get_json(&format!("/api/v1/tickets/{id}"), 404).await;
    }
    app.get("/no/such/path-4c1d").await;
    let text = scrape(&app).await;
    // Other tests of this process count too: at least these three.
    assert!(sample(&text, series) - before >= 3.0, "{text}");
    // The route's pattern, never the path a client sent.
    assert!(!text.contains("987654321"));
    assert!(!text.contains("path-4c1d"));
    assert!(
        sample(
            &text,
            r#"frontline_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ) >= 1.0
    );
    // A histogram: buckets, sum and count for the same series.
    let count = sample(
        &text,
        r#"frontline_http_request_duration_seconds_count{method="GET",route="/api/v1/tickets/{id}",status="404"}"#,
    );
    assert!(count >= 3.0, "{text}");
    assert!(text.contains(
        r#"frontline_http_request_duration_seconds_bucket{method="GET",route="/api/v1/tickets/{id}",status="404",le="+Inf"}"#
    ));
    // The pool, as configured for tests; the store after a metrics read.
    assert_eq!(
        sample(&text, "frontline_db_pool_max_connections"),
        f64::from(app.db.settings.database.pool_max_size)
    );
    assert!(text.contains(r#"frontline_db_pool_connections{state="idle"}"#));
    app.get_json("/api/v1/metrics/summary", 200).await;
    let text = scrape(&app).await;
    assert!(sample(&text, "frontline_metrics_store_refresh_seconds_count") >= 1.0);
    assert!(text.contains("# TYPE frontline_metrics_store_refresh_seconds histogram"));
}

#[tokio::test]
async fn a_configured_bearer_token_guards_the_scrape() {
    let mut db = TestDb::new();
    db.settings.monitoring.bearer_token = Some("scrape-secret-0b6f".to_string().into());
    let app = spawn_app_on(db).await;
    let url = format!("{}/metrics", app.address);
    let none = app.client.get(&url).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    assert_eq!(
        none.headers()["www-authenticate"],
        "Bearer realm=\"metrics\""
    );
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("scrape-secret-0b6e")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = app
        .client
        .get(&url)
        .bearer_auth("scrape-secret-0b6f")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("# TYPE frontline_http_requests_total counter")
    );
}
