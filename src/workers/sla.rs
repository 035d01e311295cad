//! The SLA worker: every interval, one pass of [`crate::tickets::sla_events::record_due`]
//! (breach and warning events at the instants the clocks fell due).

use crate::db::PgPool;
use crate::tickets::sla_events::record_due;
use chrono::Utc;

/// Runs [`record_due`] every `interval` until the process stops.
pub async fn run(pool: PgPool, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let pool = pool.clone();
        let result = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            record_due(&mut conn, Utc::now(), 1000).map_err(|e| e.to_string())
        })
        .await;
        match result {
            Ok(Ok(r)) if !r.breaches.is_empty() || !r.warnings.is_empty() => tracing::info!(
                target: "audit",
                breaches = r.breaches.len(),
                warnings = r.warnings.len(),
                "SLA events recorded"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "SLA pass failed; will retry"),
            Err(e) => tracing::error!(error = %e, "SLA task panicked"),
        }
    }
}
