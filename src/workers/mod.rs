//! Background work inside the service process, safe with several copies of the service running:
//! workers coordinate only through PostgreSQL row locks (`FOR UPDATE SKIP LOCKED`).
//!
//! - [`runner`]: the [`runner::Job`] trait and the [`runner::Runner`] every job runs in.
//! - [`auto_close`]: closes tickets solved for longer than the configured delay.
//! - [`sla`]: records SLA warnings and breaches as ticket events.

pub mod auto_close;
pub mod runner;
pub mod sla;

use crate::configuration::WorkerSettings;
use crate::db::PgPool;
use runner::Runner;
use std::time::Duration;

/// Starts every background job `settings` enables, on the current Tokio runtime; none when
/// `settings.enabled` is false. Stop them with [`Runner::shutdown`].
pub fn start(settings: &WorkerSettings, pool: PgPool) -> Runner {
    let mut runner = Runner::new(pool);
    if settings.enabled {
        runner.spawn(
            sla::SlaScan { batch: 1_000 },
            Duration::from_secs(settings.sla_interval_seconds),
        );
        runner.spawn(
            auto_close::AutoClose {
                delay: chrono::Duration::hours(settings.auto_close_after_hours),
                batch: 500,
                rules: crate::tickets::RulesCache::new(),
            },
            Duration::from_secs(settings.auto_close_interval_seconds),
        );
    }
    runner
}
