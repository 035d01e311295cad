//! `[webhooks]`: the webhook worker's pace, timeout, retries and when an endpoint is disabled.

use super::SettingsError;
use serde::Deserialize;

/// Webhook delivery settings (`[webhooks]`, docs/WEBHOOKS.md): the worker's pace, the request
/// timeout, retries with backoff and when a failing endpoint is disabled.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// Milliseconds between two passes of the webhook worker when idle (at once while there is
    /// more).
    pub interval_ms: u64,
    /// Most deliveries claimed per pass.
    pub batch: i64,
    /// Endpoints delivered to in parallel (each endpoint's deliveries go one after another, in
    /// the order they were queued).
    pub concurrency: usize,
    /// Seconds a request may take (connecting, sending and reading the answer) before it counts
    /// as failed.
    pub timeout_seconds: u64,
    /// Attempts per delivery before it is given up (`failed`).
    pub max_attempts: i32,
    /// Delay before the second attempt, seconds; it doubles per attempt (±25 % jitter).
    pub retry_base_seconds: u64,
    /// Longest delay between two attempts, seconds.
    pub retry_max_seconds: u64,
    /// Seconds a claimed delivery stays hidden from other workers (its sender may have died).
    pub claim_lease_seconds: u64,
    /// Failed attempts in a row (across the endpoint's deliveries, none answered 2xx between
    /// them) after which the endpoint is disabled.
    pub disable_after_failures: i32,
}

impl Default for WebhookSettings {
    /// A pass a second, 100 per pass, 8 endpoints at once, 10 s timeout, 6 attempts from 60 s
    /// doubling up to an hour (about 31 minutes in all), disabled after 15 failures in a row.
    fn default() -> Self {
        WebhookSettings {
            interval_ms: 1_000,
            batch: 100,
            concurrency: 8,
            timeout_seconds: 10,
            max_attempts: 6,
            retry_base_seconds: 60,
            retry_max_seconds: 3_600,
            claim_lease_seconds: 120,
            disable_after_failures: 15,
        }
    }
}

impl WebhookSettings {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] for the first bad key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |key, message: &str| {
            Err(SettingsError::Invalid {
                key,
                message: message.to_string(),
            })
        };
        if self.interval_ms == 0 || self.batch < 1 || self.concurrency == 0 {
            return invalid(
                "webhooks.batch",
                "interval, batch and concurrency must be at least 1",
            );
        }
        if !(1..=120).contains(&self.timeout_seconds) {
            return invalid("webhooks.timeout_seconds", "must be between 1 and 120");
        }
        if !(1..=50).contains(&self.max_attempts) {
            return invalid("webhooks.max_attempts", "must be between 1 and 50");
        }
        if self.disable_after_failures < 1 {
            return invalid("webhooks.disable_after_failures", "must be at least 1");
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return invalid(
                "webhooks.retry_base_seconds",
                "must be at least 1 and at most retry_max_seconds",
            );
        }
        if self.claim_lease_seconds <= self.timeout_seconds {
            return invalid(
                "webhooks.claim_lease_seconds",
                "must be longer than timeout_seconds",
            );
        }
        Ok(())
    }
}
