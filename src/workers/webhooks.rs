//! The webhook worker: each pass claims the deliveries due for active endpoints (the outbox's
//! claim: `FOR UPDATE SKIP LOCKED`, counted as an attempt, hidden for `claim_lease_seconds`),
//! POSTs them signed, and records every attempt (`webhook_attempts`: status code, error,
//! duration, next retry) — docs/WEBHOOKS.md:
//! - a 2xx answer: `delivered`, and the endpoint's failures in a row go back to 0;
//! - anything else (another status, a refused connection, a timeout): retried after
//!   `retry_base_seconds × 2^(attempt−1)` (at most `retry_max_seconds`) with ±25 % jitter — the
//!   outbox's schedule ([`super::retry`]) — and given up (`failed`) once `max_attempts` attempts
//!   failed;
//! - an endpoint whose last `disable_after_failures` attempts all failed is disabled, with when
//!   and why; its deliveries still pending wait (nothing more is sent) until an admin
//!   re-enables it.
//!
//! Endpoints are served `concurrency` at a time, each endpoint's deliveries one after another in
//! the order they were queued; an endpoint's first failure in a pass ends its turn, and its other
//! claimed deliveries are handed back unattempted to wait for that failure's retry (a failing
//! endpoint backs off as a whole: its failures in a row count retries, not queued events). Delivery is at least once (a worker that
//! dies between the request and its record sends again after the lease): receivers dedupe on
//! the `Frontline-Event-Id` header.

use crate::configuration::WebhookSettings;
use crate::error::ApiError;
use crate::models::webhook::{self as model, After, DeliveryRow, EndpointRow, NewAttempt};
use crate::workers::retry;
use crate::workers::runner::Job;
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "Frontline-Signature";
/// The event id header (a UUID; the same on every retry and for every endpoint).
pub const EVENT_ID_HEADER: &str = "Frontline-Event-Id";
/// The event type header (`ticket.created`, …).
pub const EVENT_TYPE_HEADER: &str = "Frontline-Event-Type";
/// The delivery id header (one per endpoint and event).
pub const DELIVERY_ID_HEADER: &str = "Frontline-Delivery-Id";
/// The attempt number header (1 for the first).
pub const ATTEMPT_HEADER: &str = "Frontline-Delivery-Attempt";

/// The hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed with `secret`: the `v1` of the signature
/// header. `None` never happens in practice (HMAC takes keys of any length).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    sign(secret, timestamp, body).map(|v1| format!("t={timestamp},v1={v1}"))
}

/// Installs rustls' ring crypto provider as the process default, once (later calls do nothing).
///
/// reqwest is built with `rustls-no-provider` (its default provider, aws-lc-rs, is a C/cmake
/// build); it panics when it builds a client before a provider is installed. Every reqwest client
/// of the process — the webhook worker's, and the test suite's, whose reqwest is the same build —
/// needs this first.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err: another provider is installed already, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The webhook job.
#[derive(Debug, Clone)]
pub struct WebhookWorker {
    settings: WebhookSettings,
    /// Built on first use, on the pass's blocking thread (a blocking client may not be built
    /// inside the async runtime).
    client: Arc<OnceLock<Result<reqwest::blocking::Client, String>>>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Deliveries claimed.
    pub claimed: usize,
    /// Answered 2xx.
    pub delivered: usize,
    /// Failed, to be retried.
    pub retried: usize,
    /// Failed for the last time (given up).
    pub failed: usize,
    /// Handed back unattempted (their endpoint failed earlier in the pass, or the pass ran long).
    pub released: usize,
    /// Endpoints disabled by this pass.
    pub disabled: usize,
}

/// The result of one request.
#[derive(Debug, Clone)]
struct Sent {
    started: DateTime<Utc>,
    status: Option<u16>,
    error: Option<String>,
    duration_ms: i32,
}

impl Sent {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

impl WebhookWorker {
    /// A worker with `settings`.
    pub fn new(settings: &WebhookSettings) -> WebhookWorker {
        WebhookWorker {
            settings: settings.clone(),
            client: Arc::new(OnceLock::new()),
        }
    }

    /// The delay before attempt `attempts + 1` after `attempts` failed ones, without jitter.
    pub fn backoff(&self, attempts: i32) -> Duration {
        retry::backoff(
            retry::seconds(self.settings.retry_base_seconds),
            retry::seconds(self.settings.retry_max_seconds),
            attempts,
        )
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, String> {
        self.client
            .get_or_init(|| {
                install_crypto_provider();
                let timeout = std::time::Duration::from_secs(self.settings.timeout_seconds);
                reqwest::blocking::Client::builder()
                    .timeout(timeout)
                    .connect_timeout(timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("Frontline-Webhooks/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// One POST of `row` to `endpoint`, signed now.
    fn send(&self, endpoint: &EndpointRow, row: &DeliveryRow, now: DateTime<Utc>) -> Sent {
        let started_at = std::time::Instant::now();
        let started = Utc::now().max(now);
        let finish = |status: Option<u16>, error: Option<String>| Sent {
            started,
            status,
            error,
            duration_ms: i32::try_from(started_at.elapsed().as_millis()).unwrap_or(i32::MAX),
        };
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => return finish(None, Some(e)),
        };
        let body = match serde_json::to_vec(&row.payload) {
            Ok(b) => b,
            Err(e) => return finish(None, Some(format!("cannot serialise the payload: {e}"))),
        };
        let timestamp = Utc::now().timestamp();
        let Some(signature) = signature_header(&endpoint.secret, timestamp, &body) else {
            return finish(None, Some("cannot sign the payload".into()));
        };
        let response = client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, row.event_id.to_string())
            .header(EVENT_TYPE_HEADER, row.event_type.as_str())
            .header(DELIVERY_ID_HEADER, row.id.to_string())
            .header(ATTEMPT_HEADER, row.attempts.to_string())
            .body(body)
            .send();
        match response {
            Err(e) => finish(None, Some(describe(&e))),
            Ok(response) => {
                let status = response.status().as_u16();
                // At most 1 KiB of the answer, for the error of a failed attempt.
                let mut text = Vec::new();
                let _ = response.take(1_024).read_to_end(&mut text);
                if (200..300).contains(&status) {
                    finish(Some(status), None)
                } else {
                    let snippet: String = String::from_utf8_lossy(&text)
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(200)
                        .collect();
                    let error = if snippet.trim().is_empty() {
                        format!("HTTP {status}")
                    } else {
                        format!("HTTP {status}: {}", snippet.trim())
                    };
                    finish(Some(status), Some(error))
                }
            }
        }
    }

    /// Sends each endpoint's `rows` in order on up to `concurrency` threads. An endpoint's first
    /// failed attempt ends its turn: its later rows are not sent this pass (`None`: handed back
    /// to wait with the failed one), so a failing endpoint backs off as a whole and its failures
    /// in a row grow by one per retry, not by one per queued event. Rows still unsent once half
    /// the claim lease is gone are handed back too, before another worker may claim them.
    fn deliver(
        &self,
        groups: &[(EndpointRow, Vec<DeliveryRow>)],
        now: DateTime<Utc>,
    ) -> Vec<Vec<Option<Sent>>> {
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Vec<Option<Sent>>>> =
            groups.iter().map(|_| Mutex::new(Vec::new())).collect();
        let threads = self.settings.concurrency.max(1).min(groups.len());
        let started = std::time::Instant::now();
        let half_lease = std::time::Duration::from_secs(self.settings.claim_lease_seconds / 2);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((endpoint, rows)) = groups.get(i) else {
                            break;
                        };
                        let mut failed = false;
                        let mut out = Vec::with_capacity(rows.len());
                        for row in rows {
                            if failed || started.elapsed() >= half_lease {
                                out.push(None);
                                continue;
                            }
                            let sent = self.send(endpoint, row, now);
                            failed = !sent.succeeded();
                            out.push(Some(sent));
                        }
                        if let Some(slot) = results.get(i)
                            && let Ok(mut slot) = slot.lock()
                        {
                            *slot = out;
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|slot| slot.into_inner().unwrap_or_default())
            .collect()
    }

    /// One pass at `now`: claims, sends and records up to one batch.
    ///
    /// # Errors
    /// Database errors (a delivery sent before the error is sent again after its lease).
    pub fn run_pass(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<PassReport, ApiError> {
        let lease = retry::seconds(self.settings.claim_lease_seconds);
        let claimed = model::claim(conn, now, lease, self.settings.batch)?;
        let mut report = PassReport {
            claimed: claimed.len(),
            ..PassReport::default()
        };
        if claimed.is_empty() {
            return Ok(report);
        }
        let mut ids: Vec<i64> = claimed.iter().map(|r| r.endpoint_id).collect();
        ids.dedup();
        let mut endpoints: HashMap<i64, EndpointRow> = model::endpoints(conn, &ids)?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        // `claimed` is ordered by (endpoint, id).
        let mut groups: Vec<(EndpointRow, Vec<DeliveryRow>)> = Vec::new();
        for row in claimed {
            match groups.last_mut() {
                Some((endpoint, rows)) if endpoint.id == row.endpoint_id => rows.push(row),
                _ => {
                    // An endpoint deleted since the claim took its deliveries with it.
                    if let Some(endpoint) = endpoints.remove(&row.endpoint_id) {
                        groups.push((endpoint, vec![row]));
                    }
                }
            }
        }
        let results = self.deliver(&groups, now);
        for ((endpoint, rows), sent) in groups.iter().zip(results) {
            // The endpoint's unsent rows wait for its failed attempt's retry (or go at once).
            let mut unattempted = Vec::new();
            let mut hold_until = now;
            for (row, sent) in rows
                .iter()
                .zip(sent.into_iter().chain(std::iter::repeat(None)))
            {
                let Some(sent) = sent else {
                    unattempted.push(row.id);
                    continue;
                };
                let after = if sent.succeeded() {
                    report.delivered += 1;
                    After::Delivered
                } else if row.attempts >= self.settings.max_attempts {
                    report.failed += 1;
                    After::GiveUp
                } else {
                    report.retried += 1;
                    After::Retry(now + retry::jitter(self.backoff(row.attempts)))
                };
                let attempt = NewAttempt {
                    delivery_id: row.id,
                    endpoint_id: endpoint.id,
                    attempt: row.attempts,
                    attempted_at: sent.started,
                    status_code: sent.status.map(i32::from),
                    succeeded: sent.succeeded(),
                    error: sent.error.clone(),
                    duration_ms: sent.duration_ms,
                    next_retry_at: match after {
                        After::Retry(at) => Some(at),
                        _ => None,
                    },
                };
                if let After::Retry(at) = after {
                    hold_until = at;
                }
                let finished = Utc::now().max(now);
                let disabled = model::record_attempt_tx(
                    conn,
                    &attempt,
                    after,
                    self.settings.disable_after_failures,
                    finished,
                )?;
                if let Some(error) = &sent.error {
                    tracing::info!(webhook.id = endpoint.id, delivery.id = row.id, attempt = row.attempts, error = %error, "webhook delivery failed");
                }
                if disabled {
                    report.disabled += 1;
                    tracing::warn!(target: "audit", { webhook.id = endpoint.id, url = %endpoint.url }, "webhook endpoint disabled after failures in a row");
                }
            }
            report.released += model::release(conn, &unattempted, hold_until)?;
        }
        Ok(report)
    }
}

/// A transport error in a few words (no URL: it is on the endpoint already).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect refused"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    }
}

impl Job for WebhookWorker {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    /// Passes until a batch comes back short, at most 50 batches per call.
    fn pass(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
        let mut handled = 0;
        let mut now = now;
        for _ in 0..50 {
            let report = self.run_pass(conn, now)?;
            handled += report.claimed;
            if i64::try_from(report.claimed).unwrap_or(i64::MAX) < self.settings.batch {
                break;
            }
            now = Utc::now().max(now);
        }
        Ok(handled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_timestamp_dot_body() {
        // A value computed independently (Python's hmac module:
        // hmac.new(b"whsec_test", b"1700000000.{}", hashlib.sha256).hexdigest()).
        let header = signature_header("whsec_test", 1_700_000_000, b"{}").unwrap();
        assert_eq!(
            header,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
