//! The bulk loader of work orders (`frontline seed`, profile `scale`): whole rows, ids included,
//! stored with `COPY … FROM STDIN (FORMAT binary)` inside the caller's transaction.

use crate::schema::work_orders;
use diesel::prelude::*;

/// A whole `work_orders` row as the use cases of [`crate::tickets::work_order`] leave it (the
/// row type itself, inserted with its id).
pub type BulkWorkOrder = crate::models::work_order::WorkOrder;

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
