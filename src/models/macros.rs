//! Macros (`macros`): canned actions — a reply template and field changes — personal, shared
//! with a team, or shared with everyone. The use case that applies one is
//! [`crate::tickets::macros`].

use crate::schema::macros;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `macros` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = macros, check_for_backend(diesel::pg::Pg))]
pub struct MacroRow {
    /// Id.
    pub id: i64,
    /// Name (unique per owner).
    pub name: String,
    /// The staff member who made it.
    pub owner_id: i64,
    /// Shared with this team's members (`None`: not with a team).
    pub team_id: Option<i64>,
    /// Shared with every admin and agent.
    pub shared: bool,
    /// The reply's template (`None`: no reply).
    pub reply: Option<String>,
    /// The reply is public (else an internal note).
    pub reply_public: bool,
    /// The field changes (`crate::tickets::macros::MacroActions` as JSON).
    pub actions: serde_json::Value,
    /// Made (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A new macro, or the new content of one.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = macros, treat_none_as_null = true)]
pub struct NewMacro {
    /// Name.
    pub name: String,
    /// Owner.
    pub owner_id: i64,
    /// Shared with this team.
    pub team_id: Option<i64>,
    /// Shared with everyone.
    pub shared: bool,
    /// Reply template.
    pub reply: Option<String>,
    /// Reply is public.
    pub reply_public: bool,
    /// Field changes (validated by the caller).
    pub actions: serde_json::Value,
}

/// Field errors of the table's named constraints.
pub const MACRO_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "macros_owner_id_name_key",
        "name",
        "you have a macro with this name already",
    ),
    ("macros_team_id_fkey", "team_id", "no such team"),
];

/// Saves a macro.
///
/// # Errors
/// Unique violation `macros_owner_id_name_key`; FK violation on the team.
pub fn insert(conn: &mut PgConnection, new: &NewMacro) -> QueryResult<MacroRow> {
    diesel::insert_into(macros::table)
        .values(new)
        .returning(MacroRow::as_returning())
        .get_result(conn)
}

/// Replaces macro `id`'s content (its owner stays).
///
/// # Errors
/// `NotFound`; constraint violations as for [`insert`].
pub fn replace(conn: &mut PgConnection, id: i64, new: &NewMacro) -> QueryResult<MacroRow> {
    diesel::update(macros::table.find(id))
        .set((
            macros::name.eq(&new.name),
            macros::team_id.eq(new.team_id),
            macros::shared.eq(new.shared),
            macros::reply.eq(&new.reply),
            macros::reply_public.eq(new.reply_public),
            macros::actions.eq(&new.actions),
            macros::updated_at.eq(diesel::dsl::now),
        ))
        .returning(MacroRow::as_returning())
        .get_result(conn)
}

/// The macros `user` (of `team`) may use: their own, their team's and those shared with
/// everyone; every macro for an admin (`all`). By name, then id.
///
/// # Errors
/// Database errors.
pub fn visible_to(
    conn: &mut PgConnection,
    user: i64,
    team: Option<i64>,
    all: bool,
) -> QueryResult<Vec<MacroRow>> {
    let mut query = macros::table
        .select(MacroRow::as_select())
        .order((macros::name, macros::id))
        .into_boxed();
    if !all {
        query = match team {
            Some(team) => query.filter(
                macros::owner_id
                    .eq(user)
                    .or(macros::shared)
                    .or(macros::team_id.eq(team)),
            ),
            None => query.filter(macros::owner_id.eq(user).or(macros::shared)),
        };
    }
    query.load(conn)
}

/// Macro `id` if `user` (of `team`; an admin: `all`) may use it.
///
/// # Errors
/// Database errors.
pub fn get_visible(
    conn: &mut PgConnection,
    id: i64,
    user: i64,
    team: Option<i64>,
    all: bool,
) -> QueryResult<Option<MacroRow>> {
    let row: Option<MacroRow> = macros::table
        .find(id)
        .select(MacroRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|m| {
        all || m.owner_id == user || m.shared || (m.team_id.is_some() && m.team_id == team)
    }))
}

/// Deletes macro `id`.
///
/// # Errors
/// Database errors.
pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(macros::table.find(id)).execute(conn)? == 1)
}
