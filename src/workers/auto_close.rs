//! The auto-close job: each pass closes the tickets solved longer ago than the configured delay,
//! through the use case [`crate::tickets::auto_close::close_due`].

use crate::error::ApiError;
use crate::tickets::RulesCache;
use crate::tickets::auto_close::close_due;
use crate::workers::runner::Job;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// The auto-close job: each pass runs [`close_due`] and logs the closes to `audit`.
#[derive(Debug, Clone)]
pub struct AutoClose {
    /// How long a ticket stays `solved` before it closes.
    pub delay: Duration,
    /// Most tickets closed per pass.
    pub batch: i64,
    /// The SLA policies and calendars the closes re-project with.
    pub rules: RulesCache,
}

impl Job for AutoClose {
    fn name(&self) -> &'static str {
        "auto_close"
    }

    fn pass(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
        let closed = close_due(conn, &self.rules, now, self.delay, self.batch)?;
        if !closed.is_empty() {
            tracing::info!(target: "audit", count = closed.len(), "auto-closed solved tickets");
        }
        Ok(closed.len())
    }
}
