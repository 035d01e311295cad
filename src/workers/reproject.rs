//! The re-projection job: each pass applies the latest rules change (SLA policy, calendar, a
//! team's calendar) to the stored projections of the tickets still computed under older rules,
//! through the use case [`crate::tickets::reproject::run`], in short batches.

use crate::error::ApiError;
use crate::tickets::RulesCache;
use crate::tickets::reproject::run;
use crate::workers::runner::Job;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::time::Duration;

/// The re-projection job: each pass runs [`run`] for at most `budget` and logs what it did to
/// `audit`. Idle, a pass costs one indexed query (and one per team whose calendar changed).
#[derive(Debug, Clone)]
pub struct Reproject {
    /// Stale tickets read at a time (each then re-projected in transactions that hold their
    /// tickets for about [`crate::tickets::reproject::HOLD`]).
    pub batch: i64,
    /// Time after which a pass stops starting batches (the next pass goes on).
    pub budget: Duration,
    /// The rules, cached across passes.
    pub rules: RulesCache,
}

impl Reproject {
    /// The job as `serve` runs it: 100 tickets read at a time, passes of at most 5 s.
    pub fn new() -> Reproject {
        Reproject {
            batch: 100,
            budget: Duration::from_secs(5),
            rules: RulesCache::new(),
        }
    }
}

impl Default for Reproject {
    fn default() -> Self {
        Reproject::new()
    }
}

impl Job for Reproject {
    fn name(&self) -> &'static str {
        "reproject"
    }

    fn pass(&self, conn: &mut PgConnection, _now: DateTime<Utc>) -> Result<usize, ApiError> {
        let done = run(conn, &self.rules, self.batch, self.budget)?;
        if done > 0 {
            tracing::info!(
                target: "audit",
                tickets = done,
                "open tickets re-projected after a rules change"
            );
        }
        Ok(done)
    }
}
