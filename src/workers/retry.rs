//! The retry schedule the outbox workers share (customer emails, [`super::outbox`], and webhook
//! deliveries, [`super::webhooks`]): exponential backoff with jitter.

use chrono::Duration;
use rand::Rng;

/// The delay before attempt `attempts + 1` after `attempts` failed ones, without jitter:
/// `base × 2^(attempts−1)`, at most `max` (`base` after the first).
pub fn backoff(base: Duration, max: Duration, attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let millis = base.num_milliseconds().saturating_mul(1_i64 << exponent);
    Duration::milliseconds(millis.min(max.num_milliseconds()))
}

/// `delay` × a factor drawn uniformly from [0.75, 1.25), so that deliveries that failed together
/// do not all come back at the same instant.
pub fn jitter(delay: Duration) -> Duration {
    let factor: f64 = rand::rng().random_range(0.75..1.25);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let millis = (delay.num_milliseconds() as f64 * factor) as i64;
    Duration::milliseconds(millis)
}

/// Whole seconds as a [`Duration`] (saturating).
pub fn seconds(s: u64) -> Duration {
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1_000))
}
