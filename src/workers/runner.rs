//! The one loop every background job runs in.
//!
//! A job is a [`Job`]: a name and a synchronous `pass` over one pooled connection at an instant
//! `now`. [`Runner::spawn`] runs its passes every interval (the first at once), each the way
//! `db::run` runs a request's work: on a blocking thread, inside a `worker` span that names the
//! job, with the connection checked out there (a pool timeout is [`PassError::Unavailable`], the
//! 503 of a request). A pass that fails or panics is logged (warning, or error for a panic) and
//! simply runs again at the next interval; the connection of a panicked pass is discarded, not
//! returned to the pool. [`Runner::shutdown`] stops every job after the pass it may be in
//! (`serve` calls it once the HTTP server has stopped). [`run_once`] runs one pass with the same
//! handling, for tests and one-off use.
//!
//! Adding a job: a type with `impl Job`, and one `runner.spawn(...)` line in
//! [`crate::workers::start`].

use crate::db::{self, PgPool};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// A background job: what one pass does.
pub trait Job: Send + Sync + 'static {
    /// The job's name in logs and spans (`job` field), snake_case (`auto_close`).
    fn name(&self) -> &'static str;

    /// One pass at instant `now` with a pooled connection; returns how many items it handled
    /// (tickets closed, events recorded), for the log. Passes of several service copies run at
    /// once: a job coordinates through row locks (`FOR UPDATE SKIP LOCKED`).
    ///
    /// # Errors
    /// Whatever stopped the pass; the runner logs it and runs the next pass at the next interval.
    fn pass(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError>;
}

/// Why a pass did not complete.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// No connection within the pool's timeout, or the database went away.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The pass returned an error.
    #[error("pass failed: {0:?}")]
    Failed(ApiError),
    /// The pass panicked; the message of the panic.
    #[error("pass panicked: {0}")]
    Panicked(String),
}

/// Runs one pass of `job` at `now`: checkout, span and panic handling as in [`Runner::spawn`],
/// without logging the outcome.
///
/// # Errors
/// [`PassError`]: the pool timed out, the pass failed or it panicked.
pub async fn run_once(
    pool: &PgPool,
    job: Arc<dyn Job>,
    now: DateTime<Utc>,
) -> Result<usize, PassError> {
    let pool = pool.clone();
    let outcome = db::blocking(move || {
        // The connection is dropped during the unwinding, so r2d2 discards it.
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut conn = db::checkout(&pool)?;
            job.pass(&mut conn, now)
        }));
        Ok(match caught {
            Ok(Ok(items)) => Ok(items),
            Ok(Err(ApiError::Unavailable(cause))) => Err(PassError::Unavailable(cause)),
            Ok(Err(e)) => Err(PassError::Failed(e)),
            Err(panic) => Err(PassError::Panicked(
                panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into()),
            )),
        })
    })
    .await;
    // The blocking task itself failed (the runtime is shutting down).
    outcome.unwrap_or_else(|e| Err(PassError::Failed(e)))
}

/// Background jobs running on the current Tokio runtime until [`Runner::shutdown`] (or until
/// the runner is dropped).
pub struct Runner {
    pool: PgPool,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Runner {
    /// A runner with no job yet, whose jobs use `pool`.
    pub fn new(pool: PgPool) -> Runner {
        Runner {
            pool,
            stop: watch::Sender::new(false),
            tasks: Vec::new(),
        }
    }

    /// Runs `job` every `interval` (the first pass at once), on the current Tokio runtime. A
    /// pass that outlasts the interval delays the next one rather than bunching them.
    pub fn spawn(&mut self, job: impl Job, interval: Duration) {
        let job: Arc<dyn Job> = Arc::new(job);
        let pool = self.pool.clone();
        let mut stop = self.stop.subscribe();
        let span = tracing::info_span!("worker", job = job.name());
        self.tasks.push(tokio::spawn(
            async move {
                let mut ticker = tokio::time::interval(interval);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        biased;
                        // Told to stop, or the runner is gone.
                        _ = stop.changed() => break,
                        _ = ticker.tick() => {}
                    }
                    let started = Instant::now();
                    let outcome = run_once(&pool, job.clone(), Utc::now()).await;
                    log(job.name(), &outcome, started.elapsed());
                }
            }
            .instrument(span),
        ));
    }

    /// Number of jobs spawned.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no job was spawned.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Stops every job: one in a pass finishes it first (a pass is bounded by the database's
    /// `statement_timeout`). Returns once all have stopped.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "worker task ended abnormally");
            }
        }
    }
}

fn log(job: &'static str, outcome: &Result<usize, PassError>, took: Duration) {
    let duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
    let (name, items) = match outcome {
        Ok(items) => ("ok", *items),
        Err(PassError::Unavailable(_)) => ("unavailable", 0),
        Err(PassError::Failed(_)) => ("failed", 0),
        Err(PassError::Panicked(_)) => ("panicked", 0),
    };
    crate::monitoring::record_pass(job, name, items, took.as_secs_f64());
    match outcome {
        Ok(items) => tracing::debug!(job, items, duration_ms, "pass done"),
        Err(e @ PassError::Unavailable(_)) => {
            tracing::warn!(job, duration_ms, error = %e, "pass skipped; will retry");
        }
        Err(e @ PassError::Failed(_)) => {
            tracing::warn!(job, duration_ms, error = %e, "pass failed; will retry");
        }
        Err(e @ PassError::Panicked(_)) => {
            tracing::error!(job, duration_ms, error = %e, "pass panicked; will retry");
        }
    }
}
