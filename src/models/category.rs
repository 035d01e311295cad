//! The ticket category catalogue (`ticket_categories`) and its audit trail
//! (`ticket_category_events`).
//!
//! A category's `key` is its stable identifier: the value `tickets.category` stores, never
//! changed. Its `name` is what people read; a rename changes only the name (so every ticket,
//! old ones included, shows the new name) and is recorded as a `renamed` event with the old and
//! new names. The API accepts only active catalogue categories; the importer and the seed add the
//! keys they bring ([`ensure_tx`]).

use crate::schema::{ticket_categories, ticket_category_events};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `ticket_categories` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_categories, check_for_backend(diesel::pg::Pg))]
pub struct CategoryRow {
    /// Id.
    pub id: i64,
    /// Stable key, stored in `tickets.category` (lower case, never changed).
    pub key: String,
    /// Display name (may be renamed).
    pub name: String,
    /// Offered for new tickets and changes; an inactive category stays on its tickets.
    pub active: bool,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A `ticket_category_events` row: the catalogue's audit trail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_category_events, check_for_backend(diesel::pg::Pg))]
pub struct CategoryEventRow {
    /// Id (ascending: the order of the events).
    pub id: i64,
    /// The category.
    pub category_id: i64,
    /// `created`, `renamed`, `deactivated` or `activated`.
    pub kind: String,
    /// The name before (renames).
    pub from_name: Option<String>,
    /// The name after (creation, renames).
    pub to_name: Option<String>,
    /// Who did it (`None`: the importer or the seed).
    pub actor_user_id: Option<i64>,
    /// When (UTC).
    pub occurred_at: DateTime<Utc>,
}

/// Field errors of the catalogue's constraints.
pub const CATEGORY_CONSTRAINTS: &[(&str, &str, &str)] = &[(
    "ticket_categories_key_key",
    "key",
    "a category with this key exists",
)];

/// Every category, by name then key.
///
/// # Errors
/// Database errors.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<CategoryRow>> {
    ticket_categories::table
        .order((ticket_categories::name, ticket_categories::key))
        .select(CategoryRow::as_select())
        .load(conn)
}

/// One category.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<CategoryRow> {
    ticket_categories::table
        .find(id)
        .select(CategoryRow::as_select())
        .first(conn)
}

/// The display name of the category `key`, if it is in the catalogue.
///
/// # Errors
/// Database errors.
pub fn name_of(conn: &mut PgConnection, key: &str) -> QueryResult<Option<String>> {
    ticket_categories::table
        .filter(ticket_categories::key.eq(key))
        .select(ticket_categories::name)
        .first(conn)
        .optional()
}

/// Records a catalogue event.
fn record_tx(
    conn: &mut PgConnection,
    category_id: i64,
    kind: &str,
    names: (Option<&str>, Option<&str>),
    actor: Option<i64>,
) -> QueryResult<()> {
    diesel::insert_into(ticket_category_events::table)
        .values((
            ticket_category_events::category_id.eq(category_id),
            ticket_category_events::kind.eq(kind),
            ticket_category_events::from_name.eq(names.0),
            ticket_category_events::to_name.eq(names.1),
            ticket_category_events::actor_user_id.eq(actor),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Adds a category (`key` already normalised) and its `created` event.
///
/// # Errors
/// A duplicate key (`ticket_categories_key_key`); database errors.
pub fn insert_tx(
    conn: &mut PgConnection,
    key: &str,
    name: &str,
    actor: Option<i64>,
) -> QueryResult<CategoryRow> {
    let row: CategoryRow = diesel::insert_into(ticket_categories::table)
        .values((
            ticket_categories::key.eq(key),
            ticket_categories::name.eq(name),
        ))
        .returning(CategoryRow::as_returning())
        .get_result(conn)?;
    record_tx(conn, row.id, "created", (None, Some(name)), actor)?;
    Ok(row)
}

/// Renames and/or (de)activates category `id` (locked first), recording one event per change;
/// returns the row and whether anything changed.
///
/// # Errors
/// `NotFound`; database errors.
pub fn update_tx(
    conn: &mut PgConnection,
    id: i64,
    name: Option<&str>,
    active: Option<bool>,
    actor: i64,
) -> QueryResult<CategoryRow> {
    let before: CategoryRow = ticket_categories::table
        .find(id)
        .select(CategoryRow::as_select())
        .for_update()
        .first(conn)?;
    let rename = name.filter(|n| *n != before.name);
    let toggle = active.filter(|a| *a != before.active);
    if rename.is_none() && toggle.is_none() {
        return Ok(before);
    }
    let row: CategoryRow = diesel::update(ticket_categories::table.find(id))
        .set((
            ticket_categories::name.eq(rename.unwrap_or(&before.name)),
            ticket_categories::active.eq(toggle.unwrap_or(before.active)),
            ticket_categories::updated_at.eq(diesel::dsl::now),
        ))
        .returning(CategoryRow::as_returning())
        .get_result(conn)?;
    if let Some(to) = rename {
        record_tx(
            conn,
            id,
            "renamed",
            (Some(before.name.as_str()), Some(to)),
            Some(actor),
        )?;
    }
    if let Some(active) = toggle {
        let kind = if active { "activated" } else { "deactivated" };
        record_tx(conn, id, kind, (None, None), Some(actor))?;
    }
    Ok(row)
}

/// The audit trail of category `id`, oldest first.
///
/// # Errors
/// Database errors.
pub fn events(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<CategoryEventRow>> {
    ticket_category_events::table
        .filter(ticket_category_events::category_id.eq(id))
        .order(ticket_category_events::id)
        .select(CategoryEventRow::as_select())
        .load(conn)
}

/// Adds the keys of `categories` the catalogue does not hold yet, each named by its key, with
/// a `created` event without actor (the importer and the seed: outside data keeps its
/// categories). Returns how many were added.
///
/// # Errors
/// Database errors.
pub fn ensure_tx<'a>(
    conn: &mut PgConnection,
    categories: impl IntoIterator<Item = &'a str>,
) -> QueryResult<usize> {
    let mut keys: Vec<&str> = categories.into_iter().collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(0);
    }
    let added: Vec<(i64, String)> = diesel::insert_into(ticket_categories::table)
        .values(
            keys.iter()
                .map(|k| {
                    (
                        ticket_categories::key.eq(*k),
                        ticket_categories::name.eq(*k),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .on_conflict(ticket_categories::key)
        .do_nothing()
        .returning((ticket_categories::id, ticket_categories::name))
        .get_results(conn)?;
    for (id, name) in &added {
        record_tx(conn, *id, "created", (None, Some(name)), None)?;
    }
    Ok(added.len())
}

/// Resolves a requested category (already trimmed and lower-cased) to its key: an active
/// category whose key, else whose name (case-insensitive), is `value`. `Err` carries the
/// accepted keys (active categories, by key) for the caller's 422.
///
/// # Errors
/// `Ok(Err(accepted))` for an unknown or inactive category; database errors.
pub fn resolve(conn: &mut PgConnection, value: &str) -> QueryResult<Result<String, Vec<String>>> {
    let active: Vec<(String, String)> = ticket_categories::table
        .filter(ticket_categories::active)
        .order(ticket_categories::key)
        .select((ticket_categories::key, ticket_categories::name))
        .load(conn)?;
    if let Some((key, _)) = active.iter().find(|(k, _)| k == value) {
        return Ok(Ok(key.clone()));
    }
    if let Some((key, _)) = active.iter().find(|(_, n)| n.to_lowercase() == value) {
        return Ok(Ok(key.clone()));
    }
    Ok(Err(active.into_iter().map(|(k, _)| k).collect()))
}
