//! The `reports` table: stored reports, never changed after they are written.

use super::document::EvidenceDocument;
use crate::models::fixed_sql::{key_then_limit, literal_page};
use crate::schema::reports;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A stored report.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct StoredReport {
    /// Id.
    pub id: i64,
    /// `evidence`.
    pub kind: String,
    /// The parameters.
    pub parameters: serde_json::Value,
    /// The document's bytes (JSON).
    pub document: String,
    /// The manifest's SHA-256.
    pub manifest_sha256: String,
    /// Who generated it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Stores an evidence report's document (its bytes as generated).
///
/// # Errors
/// Database errors; serialization errors as a diesel error.
pub fn insert_evidence(
    conn: &mut PgConnection,
    doc: &EvidenceDocument,
    created_by: Option<i64>,
) -> QueryResult<StoredReport> {
    let document = doc
        .to_json()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let parameters = serde_json::to_value(&doc.parameters)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(reports::table)
        .values((
            reports::kind.eq("evidence"),
            reports::parameters.eq(parameters),
            reports::document.eq(document),
            reports::manifest_sha256.eq(&doc.manifest.sha256),
            reports::created_by.eq(created_by),
        ))
        .returning(StoredReport::as_returning())
        .get_result(conn)
}

/// One stored report.
///
/// # Errors
/// `NotFound` when there is none.
pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<StoredReport> {
    reports::table
        .find(id)
        .select(StoredReport::as_select())
        .first(conn)
}

/// A stored report without its document (the list's row).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct StoredReportHeader {
    /// Id.
    pub id: i64,
    /// `evidence`.
    pub kind: String,
    /// The parameters.
    pub parameters: serde_json::Value,
    /// The manifest's SHA-256.
    pub manifest_sha256: String,
    /// Who generated it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Stored reports, newest first (by id, which follows the order they were stored in): at most
/// `limit`, those with an id below `before` when given (the previous page's last id).
///
/// # Errors
/// Database errors.
pub fn list(
    conn: &mut PgConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<StoredReportHeader>> {
    let mut q = reports::table
        .select(StoredReportHeader::as_select())
        // The page size written into the statement: see `KeyThenLimit` for why it is not bound.
        .order(key_then_limit("reports.id DESC", literal_page(limit)))
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(reports::id.lt(before));
    }
    q.load(conn)
}
