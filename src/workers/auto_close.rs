//! The auto-close worker: every interval, one pass of [`crate::tickets::auto_close::close_due`]
//! (tickets solved longer ago than the configured delay are closed).

use crate::db::PgPool;
use crate::tickets::RulesCache;
use crate::tickets::auto_close::close_due;
use chrono::{Duration, Utc};

/// Runs [`close_due`] every `interval` until the process stops.
pub async fn run(pool: PgPool, delay: Duration, interval: std::time::Duration) {
    let rules = RulesCache::new();
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let pool = pool.clone();
        let rules = rules.clone();
        let result = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            close_due(&mut conn, &rules, Utc::now(), delay, 500).map_err(|e| e.to_string())
        })
        .await;
        match result {
            Ok(Ok(closed)) if !closed.is_empty() => {
                tracing::info!(target: "audit", count = closed.len(), "auto-closed solved tickets");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "auto-close failed; will retry"),
            Err(e) => tracing::error!(error = %e, "auto-close task panicked"),
        }
    }
}
