//! The bulk loader of work orders (`frontline seed`, profile `scale`): whole rows, ids included,
//! stored with `COPY … FROM STDIN (FORMAT binary)` inside the caller's transaction.

use crate::models::enums::DbTicketPriority;
use crate::schema::work_orders;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A whole `work_orders` row as the use cases of [`crate::tickets::work_order`] leave it.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = work_orders, treat_none_as_default_value = false)]
pub struct BulkWorkOrder {
    /// Primary key (reserved by the caller).
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// The site's organization.
    pub organization_id: i64,
    /// The site.
    pub site_id: i64,
    /// The asset.
    pub asset_id: Option<i64>,
    /// Status name.
    pub status: String,
    /// Priority.
    pub priority: DbTicketPriority,
    /// Problem summary.
    pub summary: String,
    /// Required skill.
    pub required_skill: Option<String>,
    /// Escort required.
    pub escort_required: bool,
    /// Security clearance.
    pub security_clearance: Option<String>,
    /// Access notes.
    pub access_notes: Option<String>,
    /// Technician.
    pub technician_id: Option<i64>,
    /// Window start.
    pub window_start: Option<DateTime<Utc>>,
    /// Window end.
    pub window_end: Option<DateTime<Utc>>,
    /// The work order this one follows up.
    pub follow_up_of: Option<i64>,
    /// Creator.
    pub created_by_id: Option<i64>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Latest dispatch (device instant).
    pub dispatched_at: Option<DateTime<Utc>>,
    /// En route (device instant).
    pub en_route_at: Option<DateTime<Utc>>,
    /// On site (device instant).
    pub on_site_at: Option<DateTime<Utc>>,
    /// End (device instant).
    pub finished_at: Option<DateTime<Utc>>,
    /// Latest transition.
    pub last_transition_at: DateTime<Utc>,
    /// Resolution code.
    pub resolution_code: Option<String>,
    /// Notes.
    pub completion_notes: Option<String>,
    /// Parts used.
    pub parts: serde_json::Value,
    /// Fixed.
    pub problem_fixed: Option<bool>,
    /// Cannot-complete reason.
    pub cannot_complete_reason: Option<String>,
    /// Cancel reason.
    pub cancel_reason: Option<String>,
    /// Version (1 + number of updates).
    pub version: i32,
    /// Latest write (the receipt instant of the latest change).
    pub updated_at: DateTime<Utc>,
}

/// Stores `rows` with `COPY` (identity values as given).
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub fn copy_work_orders_tx(conn: &mut PgConnection, rows: &[BulkWorkOrder]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::copy_from(work_orders::table)
        .from_insertable(rows)
        .execute(conn)
        .map(|_| ())
}
