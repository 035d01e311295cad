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
