//! Custom ticket field definitions (`ticket_fields`). A ticket's values live in
//! `tickets.custom_fields` (`{"key": value}`); [`crate::tickets::fields`] validates them.

use crate::schema::ticket_fields;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `ticket_fields` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_fields, check_for_backend(diesel::pg::Pg))]
pub struct FieldRow {
    /// Id.
    pub id: i64,
    /// Stable key (`^[a-z][a-z0-9_]{0,39}$`): the key of the value in `tickets.custom_fields`,
    /// of `GET /tickets?field.<key>=` and of `by=field.<key>`. Never changed.
    pub key: String,
    /// What people read.
    pub label: String,
    /// `text`, `number`, `date`, `dropdown` or `checkbox`.
    pub field_type: String,
    /// The drop-down's options (the values stored); empty for the other types.
    pub options: Vec<String>,
    /// A ticket is solved only with a value (a checkbox: checked).
    pub required_on_solve: bool,
    /// Offered and validated; an inactive field keeps its values on tickets but takes no new
    /// ones and is not required.
    pub active: bool,
    /// Display order (ascending, then key).
    pub position: i32,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A new or replaced definition (validated by the caller).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = ticket_fields)]
pub struct FieldValues {
    /// Label.
    pub label: String,
    /// Options (drop-downs).
    pub options: Vec<String>,
    /// Required to solve.
    pub required_on_solve: bool,
    /// Active.
    pub active: bool,
    /// Display order.
    pub position: i32,
}

/// Field errors of the table's constraints.
pub const FIELD_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "ticket_fields_key_key",
        "key",
        "a field with this key exists",
    ),
    (
        "ticket_fields_key_format",
        "key",
        "must match ^[a-z][a-z0-9_]{0,39}$",
    ),
];

/// Every definition (inactive ones too), by position then key.
///
/// # Errors
/// Database errors.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<FieldRow>> {
    ticket_fields::table
        .order((ticket_fields::position, ticket_fields::key))
        .select(FieldRow::as_select())
        .load(conn)
}

/// One definition.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<FieldRow> {
    ticket_fields::table
        .find(id)
        .select(FieldRow::as_select())
        .first(conn)
}

/// The definition with `key`, if any.
///
/// # Errors
/// Database errors.
pub fn by_key(conn: &mut PgConnection, key: &str) -> QueryResult<Option<FieldRow>> {
    ticket_fields::table
        .filter(ticket_fields::key.eq(key))
        .select(FieldRow::as_select())
        .first(conn)
        .optional()
}

/// Adds a definition.
///
/// # Errors
/// Constraint violations ([`FIELD_CONSTRAINTS`]); database errors.
pub fn insert(
    conn: &mut PgConnection,
    key: &str,
    field_type: &str,
    values: &FieldValues,
) -> QueryResult<FieldRow> {
    diesel::insert_into(ticket_fields::table)
        .values((
            ticket_fields::key.eq(key),
            ticket_fields::field_type.eq(field_type),
            values,
        ))
        .returning(FieldRow::as_returning())
        .get_result(conn)
}

/// Replaces the changeable parts of definition `id` (its key and type never change).
///
/// # Errors
/// `NotFound`; database errors.
pub fn update(conn: &mut PgConnection, id: i64, values: &FieldValues) -> QueryResult<FieldRow> {
    diesel::update(ticket_fields::table.find(id))
        .set((values, ticket_fields::updated_at.eq(diesel::dsl::now)))
        .returning(FieldRow::as_returning())
        .get_result(conn)
}
