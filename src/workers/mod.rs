//! Background work inside the service process, safe with several copies of the service running:
//! workers coordinate only through PostgreSQL row locks (`FOR UPDATE SKIP LOCKED`).
//!
//! - [`runner`]: the [`runner::Job`] trait and the [`runner::Runner`] every job runs in.
//! - [`auto_close`]: closes tickets solved for longer than the configured delay.
//! - [`sla`]: records SLA warnings and breaches as ticket events.
//! - [`reproject`]: applies a rules change (SLA policy, calendar) to the stored clocks and
//!   metrics of the tickets, in short batches.
//! - [`outbox`]: sends the customer emails of the outbox, with retries and dead letters.
//! - [`webhooks`]: delivers the webhook events queued for subscribed endpoints, signed, with the
//!   outbox's claim and retry schedule ([`retry`]); disables an endpoint that keeps failing.

pub mod auto_close;
pub mod outbox;
pub mod reproject;
pub mod retry;
pub mod runner;
pub mod sla;
pub mod webhooks;

use crate::configuration::Settings;
use crate::db::PgPool;
use runner::Runner;
use std::time::Duration;

/// The outbox job of `settings` (its transport, templates and link keys).
///
/// # Errors
/// The transport cannot be set up (e.g. the `.eml` folder cannot be created), or the keys are
/// refused.
pub fn outbox_worker(settings: &Settings) -> anyhow::Result<outbox::OutboxWorker> {
    let links =
        crate::notify::links::LinkSigner::new(&settings.auth.jwt_secret, &settings.auth.issuer)?;
    let renderer = crate::notify::render::Renderer::new(&settings.email, links)?;
    let mailer = crate::notify::transport::Mailer::from_settings(&settings.email)?;
    Ok(outbox::OutboxWorker::new(&settings.email, renderer, mailer))
}

/// Starts every background job `settings.workers` enables, on the current Tokio runtime; none
/// when `workers.enabled` is false. Stop them with [`Runner::shutdown`].
///
/// # Errors
/// The outbox's transport cannot be set up ([`outbox_worker`]).
pub fn start(all: &Settings, pool: PgPool) -> anyhow::Result<Runner> {
    let settings = &all.workers;
    let mut runner = Runner::new(pool);
    if settings.enabled {
        runner.spawn(
            outbox_worker(all)?,
            Duration::from_millis(all.email.outbox_interval_ms),
        );
        runner.spawn(
            webhooks::WebhookWorker::new(&all.webhooks),
            Duration::from_millis(all.webhooks.interval_ms),
        );
        runner.spawn(
            sla::SlaScan { batch: 1_000 },
            Duration::from_secs(settings.sla_interval_seconds),
        );
        runner.spawn(
            reproject::Reproject::new(),
            Duration::from_secs(settings.reproject_interval_seconds),
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
    Ok(runner)
}
