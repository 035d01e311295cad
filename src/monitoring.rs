//! The service's own operating figures for Prometheus, at `GET /metrics` (text exposition format
//! 0.0.4) — not the contact center's service metrics, which are `/api/v1/metrics/*`.
//!
//! Recorded with the `metrics` facade into one process-wide `metrics-exporter-prometheus`
//! recorder ([`handle`]); every name starts with `frontline_`:
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `frontline_http_requests_total` | counter | `method`, `route`, `status` | requests answered |
//! | `frontline_http_request_duration_seconds` | histogram | `method`, `route`, `status` | time to the response's head |
//! | `frontline_db_pool_connections` | gauge | `state` = `idle`, `in_use` | pooled connections now |
//! | `frontline_db_pool_max_connections` | gauge | | the pool's size limit |
//! | `frontline_worker_passes_total` | counter | `job`, `outcome` = `ok`, `unavailable`, `failed`, `panicked` | background passes |
//! | `frontline_worker_pass_duration_seconds` | histogram | `job` | a pass's duration |
//! | `frontline_worker_items_total` | counter | `job` | items handled (tickets closed, messages sent, SLA events) |
//! | `frontline_worker_lag_seconds` | gauge | `job` | seconds since the job's last successful pass ended (its lag behind real time) |
//! | `frontline_sla_events_recorded_total` | counter | `kind` = `breach`, `warning` | SLA events the worker recorded |
//! | `frontline_metrics_store_refresh_seconds` | histogram | | one refresh of the in-memory metrics store |
//! | `frontline_metrics_store_tickets` | gauge | | tickets held by the store |
//! | `frontline_metrics_store_bytes` | gauge | | the store's heap size (bytes, its own estimate) |
//!
//! `route` is the matched route pattern (`/api/v1/tickets/{id}`), never the path a client sent
//! (`unmatched` for a path no route has), so the label's values stay few. Gauges are read when
//! Prometheus scrapes. `/metrics` answers without a token unless `monitoring.bearer_token` is set
//! (then `Authorization: Bearer <token>` is required, 401 otherwise); it is never rate limited.

use crate::state::AppState;
use actix_web::dev::ServiceResponse;
use actix_web::{HttpRequest, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Latency buckets (seconds) of the request and pass histograms: 1 ms … 30 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process-wide recorder's handle, installed on first use. When another recorder was
/// installed first (a library's test), the handle still renders, with nothing recorded.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = [
            "frontline_http_request_duration_seconds",
            "frontline_worker_pass_duration_seconds",
            "frontline_metrics_store_refresh_seconds",
        ]
        .into_iter()
        .fold(builder, |b, name| {
            // The buckets are a non-empty constant: this cannot fail.
            match b.set_buckets_for_metric(Matcher::Full(name.into()), &LATENCY_BUCKETS) {
                Ok(b) => b,
                Err(_) => PrometheusBuilder::new(),
            }
        });
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics will stay empty");
        }
        describe();
        handle
    })
}

fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("frontline_http_requests_total", "HTTP requests answered");
    describe_histogram!(
        "frontline_http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its response's head"
    );
    describe_gauge!(
        "frontline_db_pool_connections",
        "Pooled PostgreSQL connections by state"
    );
    describe_gauge!(
        "frontline_db_pool_max_connections",
        "The connection pool's size limit"
    );
    describe_counter!(
        "frontline_worker_passes_total",
        "Background job passes by outcome"
    );
    describe_histogram!(
        "frontline_worker_pass_duration_seconds",
        Unit::Seconds,
        "Duration of a background job's pass"
    );
    describe_counter!(
        "frontline_worker_items_total",
        "Items a background job handled"
    );
    describe_gauge!(
        "frontline_worker_lag_seconds",
        Unit::Seconds,
        "Seconds since a background job's last successful pass ended"
    );
    describe_counter!(
        "frontline_sla_events_recorded_total",
        "SLA breaches and warnings recorded by the SLA worker"
    );
    describe_histogram!(
        "frontline_metrics_store_refresh_seconds",
        Unit::Seconds,
        "Duration of one refresh of the in-memory metrics store"
    );
    describe_gauge!(
        "frontline_metrics_store_tickets",
        "Tickets held by the in-memory metrics store"
    );
    describe_gauge!(
        "frontline_metrics_store_bytes",
        Unit::Bytes,
        "Heap size of the in-memory metrics store (its own estimate)"
    );
}

/// Records one answered request (the `wrap_fn` of [`crate::startup`]): its method, matched route
/// pattern, status and the time since `started`.
pub fn record_request<B>(response: &ServiceResponse<B>, started: Instant) {
    let request = response.request();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let labels = [
        ("method", request.method().as_str().to_string()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    ::metrics::counter!("frontline_http_requests_total", &labels).increment(1);
    ::metrics::histogram!("frontline_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
}

fn last_success() -> &'static Mutex<HashMap<&'static str, Instant>> {
    static LAST: OnceLock<Mutex<HashMap<&'static str, Instant>>> = OnceLock::new();
    LAST.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Records a background pass of `job`: its outcome (`ok`, `unavailable`, `failed`, `panicked`),
/// duration and, when it succeeded, the items it handled and the instant it ended (the lag's
/// origin).
pub fn record_pass(job: &'static str, outcome: &'static str, items: usize, took: f64) {
    ::metrics::counter!("frontline_worker_passes_total", "job" => job, "outcome" => outcome)
        .increment(1);
    ::metrics::histogram!("frontline_worker_pass_duration_seconds", "job" => job).record(took);
    if outcome == "ok" {
        ::metrics::counter!("frontline_worker_items_total", "job" => job)
            .increment(u64::try_from(items).unwrap_or(u64::MAX));
        if let Ok(mut last) = last_success().lock() {
            last.insert(job, Instant::now());
        }
    }
}

/// Records SLA events the worker wrote: `breaches` and `warnings`.
pub fn record_sla_events(breaches: usize, warnings: usize) {
    for (kind, n) in [("breach", breaches), ("warning", warnings)] {
        if n > 0 {
            ::metrics::counter!("frontline_sla_events_recorded_total", "kind" => kind)
                .increment(u64::try_from(n).unwrap_or(u64::MAX));
        }
    }
}

/// Records one refresh of the metrics store: its duration and the store's size after it.
pub fn record_store_refresh(seconds: f64, tickets: usize, bytes: usize) {
    ::metrics::histogram!("frontline_metrics_store_refresh_seconds").record(seconds);
    #[allow(clippy::cast_precision_loss)]
    {
        ::metrics::gauge!("frontline_metrics_store_tickets").set(tickets as f64);
        ::metrics::gauge!("frontline_metrics_store_bytes").set(bytes as f64);
    }
}

/// `GET /metrics`: the exposition text. The gauges read now (pool, lags) are set first.
pub async fn scrape(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(token) = state.settings.monitoring.bearer_token.as_ref() {
        use secrecy::ExposeSecret;
        let given = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let expected = token.expose_secret().as_bytes();
        if !crate::routes::inbound::same_secret(given.as_bytes(), expected) {
            return HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", "Bearer realm=\"metrics\""))
                .content_type("text/plain; charset=utf-8")
                .body("a bearer token is required for /metrics\n");
        }
    }
    let handle = handle();
    let pool = state.pool.state();
    #[allow(clippy::cast_precision_loss)]
    {
        let idle = f64::from(pool.idle_connections);
        let in_use = f64::from(pool.connections.saturating_sub(pool.idle_connections));
        ::metrics::gauge!("frontline_db_pool_connections", "state" => "idle").set(idle);
        ::metrics::gauge!("frontline_db_pool_connections", "state" => "in_use").set(in_use);
        ::metrics::gauge!("frontline_db_pool_max_connections")
            .set(f64::from(state.pool.max_size()));
        if let Ok(last) = last_success().lock() {
            for (job, at) in last.iter() {
                ::metrics::gauge!("frontline_worker_lag_seconds", "job" => *job)
                    .set(at.elapsed().as_secs_f64());
            }
        }
        ::metrics::gauge!("frontline_metrics_store_tickets").set(state.metrics_store.len() as f64);
    }
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

/// This process's resident memory in MiB (Linux's `/proc/self/statm`, 4 KiB pages; 0
/// elsewhere): logged beside the phases of a report at `debug` level.
pub fn resident_mib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 4
        / 1024
}

/// The process's peak resident memory in MiB (`VmHWM` of `/proc/self/status`: since the start,
/// or since a write of `5` to `/proc/PID/clear_refs`); 0 where that file cannot be read.
pub fn peak_resident_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

/// Logs at `debug` level that `phase` (a report's step) is done: its milliseconds since
/// `started`, the process's resident memory then ([`resident_mib`]) and its peak
/// ([`peak_resident_mib`]).
pub fn phase_done(started: std::time::Instant, phase: &'static str) {
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        rss_mib = resident_mib(),
        peak_mib = peak_resident_mib(),
        "{phase}"
    );
}
