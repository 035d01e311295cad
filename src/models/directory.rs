//! Staff and teams as far as imports need them: find-or-create by external id.

use crate::models::enums::{EmploymentType, TeamKind, TeamSourcing, UserRole};
use crate::schema::{teams, users};
use diesel::prelude::*;
use std::collections::HashMap;

/// Finds the team named `name` or creates it as an in-house contact-center team; returns its id.
///
/// # Errors
/// Database errors.
pub fn ensure_contact_center_team(conn: &mut PgConnection, name: &str) -> QueryResult<i64> {
    diesel::insert_into(teams::table)
        .values((
            teams::name.eq(name),
            teams::kind.eq(TeamKind::ContactCenter),
            teams::sourcing.eq(TeamSourcing::InHouse),
        ))
        .on_conflict(teams::name)
        .do_nothing()
        .execute(conn)?;
    teams::table
        .filter(teams::name.eq(name))
        .select(teams::id)
        .first(conn)
}

/// Finds or creates one agent per external staff id (e.g. `Value 2`), in `team_id`; returns
/// external id → `users.id`. New staff are active employees with role `agent`, named after their
/// external id (the source is pseudonymised).
///
/// # Errors
/// Database errors.
pub fn ensure_staff(
    conn: &mut PgConnection,
    external_ids: &[&str],
    team_id: i64,
) -> QueryResult<HashMap<String, i64>> {
    let rows: Vec<_> = external_ids
        .iter()
        .map(|ext| {
            (
                users::name.eq(*ext),
                users::role.eq(UserRole::Agent),
                users::employment_type.eq(EmploymentType::Employee),
                users::team_id.eq(Some(team_id)),
                users::external_id.eq(Some(*ext)),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        diesel::insert_into(users::table)
            .values(chunk)
            .on_conflict(users::external_id)
            .do_nothing()
            .execute(conn)?;
    }
    let found: Vec<(Option<String>, i64)> = users::table
        .filter(users::external_id.eq_any(external_ids))
        .select((users::external_id, users::id))
        .load(conn)?;
    Ok(found
        .into_iter()
        .filter_map(|(ext, id)| ext.map(|e| (e, id)))
        .collect())
}

/// A `users` row (staff).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct Staff {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Normalised email (log-in name); `None` for imported staff who cannot log in.
    pub email: Option<String>,
    /// Role.
    pub role: UserRole,
    /// Employee or contractor.
    pub employment_type: EmploymentType,
    /// Team.
    pub team_id: Option<i64>,
    /// Active staff can log in and be assigned.
    pub active: bool,
}

/// What a log-in needs to know about an email's account.
#[derive(Debug, Clone, Queryable)]
pub struct LoginRecord {
    /// Id.
    pub id: i64,
    /// Role.
    pub role: UserRole,
    /// Active.
    pub active: bool,
    /// argon2id PHC string, if the account has a password.
    pub password_hash: Option<String>,
}

/// A new staff member.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewStaff<'a> {
    /// Display name.
    pub name: &'a str,
    /// Normalised email.
    pub email: Option<&'a str>,
    /// Role.
    pub role: UserRole,
    /// Employee or contractor.
    pub employment_type: EmploymentType,
    /// Team.
    pub team_id: Option<i64>,
    /// argon2id PHC string.
    pub password_hash: Option<&'a str>,
}

/// Creates a staff member; returns the row.
///
/// # Errors
/// Unique violation `users_email_key` for a taken email; other database errors.
pub fn create_staff_tx(conn: &mut PgConnection, staff: &NewStaff) -> QueryResult<Staff> {
    diesel::insert_into(users::table)
        .values(staff)
        .returning(Staff::as_returning())
        .get_result(conn)
}

/// The log-in record of a normalised email, if any.
///
/// # Errors
/// Database errors.
pub fn find_login(conn: &mut PgConnection, email: &str) -> QueryResult<Option<LoginRecord>> {
    users::table
        .filter(users::email.eq(email))
        .select((users::id, users::role, users::active, users::password_hash))
        .first(conn)
        .optional()
}

/// One staff member by id.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get_staff(conn: &mut PgConnection, id: i64) -> QueryResult<Staff> {
    users::table.find(id).select(Staff::as_select()).first(conn)
}
