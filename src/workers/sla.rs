//! The SLA job: each pass records the SLA breaches and warnings that fell due, through the use
//! case [`crate::tickets::sla_events::record_due`].

use crate::error::ApiError;
use crate::tickets::sla_events::record_due;
use crate::workers::runner::Job;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The SLA job: each pass runs [`record_due`] and logs what it recorded to `audit`.
#[derive(Debug, Clone, Copy)]
pub struct SlaScan {
    /// Most clocks looked at per pass.
    pub batch: i64,
}

impl Job for SlaScan {
    fn name(&self) -> &'static str {
        "sla_scan"
    }

    fn pass(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
        let r = record_due(conn, now, self.batch)?;
        crate::monitoring::record_sla_events(r.breaches.len(), r.warnings.len());
        if !r.breaches.is_empty() || !r.warnings.is_empty() {
            tracing::info!(
                target: "audit",
                breaches = r.breaches.len(),
                warnings = r.warnings.len(),
                "SLA events recorded"
            );
        }
        Ok(r.breaches.len() + r.warnings.len())
    }
}
