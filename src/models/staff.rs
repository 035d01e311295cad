//! Staff (`users` rows: accounts, roles, log-in records) and teams: the rows behind
//! `routes::staff`, and the find-or-create of both that the importer uses.

use crate::models::enums::{EmploymentType, TeamKind, TeamSourcing, UserRole};
use crate::models::fixed_sql::{key_then_limit, literal_page};
use crate::schema::{teams, users};
use diesel::prelude::*;
use std::collections::HashMap;

/// Finds the teams named `names` (exact names), creating the missing ones as contact-center
/// teams with `sourcing` and `vendor` (the `[teams]` of an import mapping; `vendor` only with
/// `outsourced`). Existing teams are left as they are. Returns name → `teams.id`.
///
/// # Errors
/// Database errors (including `teams_vendor_matches_sourcing` when `vendor` does not fit).
pub fn ensure_teams(
    conn: &mut PgConnection,
    names: &[&str],
    sourcing: TeamSourcing,
    vendor: Option<&str>,
) -> QueryResult<HashMap<String, i64>> {
    let mut found = HashMap::with_capacity(names.len());
    for chunk in names.chunks(5_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|name| {
                (
                    teams::name.eq(*name),
                    teams::kind.eq(TeamKind::ContactCenter),
                    teams::sourcing.eq(sourcing),
                    teams::vendor_name.eq(vendor),
                )
            })
            .collect();
        diesel::insert_into(teams::table)
            .values(&rows)
            .on_conflict(teams::name)
            .do_nothing()
            .execute(conn)?;
        let ids: Vec<(String, i64)> = teams::table
            .filter(teams::name.eq_any(chunk))
            .select((teams::name, teams::id))
            .load(conn)?;
        found.extend(ids);
    }
    Ok(found)
}

/// Finds the staff an import names: a reference that is an email address matches the account
/// with that email (any case); any other reference, or an email no account has, matches the
/// staff member an earlier import created for it (`users.external_id`). Returns reference →
/// `users.id` for those found.
///
/// # Errors
/// Database errors.
pub fn find_staff(conn: &mut PgConnection, refs: &[&str]) -> QueryResult<HashMap<String, i64>> {
    let mut found: HashMap<String, i64> = HashMap::with_capacity(refs.len());
    // Normalised email → the references spelling it (`Bob@Example.com`, `bob@example.com`).
    let mut by_email: HashMap<String, Vec<&str>> = HashMap::new();
    for r in refs.iter().filter(|r| r.contains('@')) {
        if let Ok(email) = crate::domain::email::EmailAddress::parse(r) {
            by_email
                .entry(email.as_str().to_string())
                .or_default()
                .push(r);
        }
    }
    let emails: Vec<&str> = by_email.keys().map(String::as_str).collect();
    for chunk in emails.chunks(10_000) {
        let rows: Vec<(Option<String>, i64)> = users::table
            .filter(users::email.eq_any(chunk))
            .select((users::email, users::id))
            .load(conn)?;
        for (email, id) in rows {
            for r in email
                .as_deref()
                .and_then(|e| by_email.get(e))
                .into_iter()
                .flatten()
            {
                found.insert((*r).to_string(), id);
            }
        }
    }
    let rest: Vec<&str> = refs
        .iter()
        .copied()
        .filter(|r| !found.contains_key(*r))
        .collect();
    for chunk in rest.chunks(10_000) {
        let rows: Vec<(Option<String>, i64)> = users::table
            .filter(users::external_id.eq_any(chunk))
            .select((users::external_id, users::id))
            .load(conn)?;
        found.extend(
            rows.into_iter()
                .filter_map(|(ext, id)| ext.map(|e| (e, id))),
        );
    }
    Ok(found)
}

/// Creates one agent per `(reference, team id)`, identified by the reference
/// (`users.external_id`), named after it, without email or password (imported staff cannot log
/// in), active, with `employment_type`. A reference created meanwhile is left as it is. Returns
/// reference → `users.id` for all of `new`.
///
/// # Errors
/// Database errors.
pub fn create_imported_staff(
    conn: &mut PgConnection,
    new: &[(&str, i64)],
    employment_type: EmploymentType,
) -> QueryResult<HashMap<String, i64>> {
    let mut found = HashMap::with_capacity(new.len());
    for chunk in new.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(ext, team_id)| {
                (
                    users::name.eq(*ext),
                    users::role.eq(UserRole::Agent),
                    users::employment_type.eq(employment_type),
                    users::team_id.eq(Some(*team_id)),
                    users::external_id.eq(Some(*ext)),
                )
            })
            .collect();
        diesel::insert_into(users::table)
            .values(&rows)
            .on_conflict(users::external_id)
            .do_nothing()
            .execute(conn)?;
        let refs: Vec<&str> = chunk.iter().map(|(r, _)| *r).collect();
        let ids: Vec<(Option<String>, i64)> = users::table
            .filter(users::external_id.eq_any(&refs))
            .select((users::external_id, users::id))
            .load(conn)?;
        found.extend(ids.into_iter().filter_map(|(ext, id)| ext.map(|e| (e, id))));
    }
    Ok(found)
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
    /// Skills (trimmed, lower case; a work order's `required_skill` must be one of them).
    pub skills: Vec<String>,
    /// Bumped by a password change or a log-out: access tokens carry it, older ones are refused.
    pub token_generation: i32,
    /// A manager who is given the agent role too (public replies, status changes, new tickets);
    /// honoured for managers only.
    pub also_agent: bool,
}

/// Ends every session of staff member `id`: bumps `token_generation` (access tokens issued
/// before are refused by every service copy, told through the role-change notification) and
/// revokes all their refresh tokens and dashboard sessions. Returns the new generation.
///
/// # Errors
/// `NotFound`; database errors.
pub fn end_sessions_tx(
    conn: &mut PgConnection,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> QueryResult<i32> {
    use crate::schema::refresh_tokens;
    let generation = diesel::update(users::table.find(id))
        .set(users::token_generation.eq(users::token_generation + 1))
        .returning(users::token_generation)
        .get_result(conn)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    crate::auth::session::revoke_all_tx(conn, id, now)?;
    Ok(generation)
}

/// Bumps staff member `id`'s `token_generation` only (their refresh tokens stay valid):
/// what a log-out does to the access tokens of every device.
///
/// # Errors
/// Database errors.
pub fn bump_token_generation_tx(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::token_generation.eq(users::token_generation + 1))
        .execute(conn)
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
    /// Skills (`None`: the column default, none).
    pub skills: Option<&'a [String]>,
    /// A manager given the agent role too (`None`: the column default, false).
    pub also_agent: Option<bool>,
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

/// A `teams` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = teams, check_for_backend(diesel::pg::Pg))]
pub struct Team {
    /// Id.
    pub id: i64,
    /// Name (unique).
    pub name: String,
    /// Contact center or field service.
    pub kind: TeamKind,
    /// In-house or outsourced.
    pub sourcing: TeamSourcing,
    /// Vendor of an outsourced team.
    pub vendor_name: Option<String>,
    /// Business calendar of the team's tickets.
    pub calendar_id: Option<i64>,
}

/// A new team.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = teams)]
pub struct NewTeam {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: TeamKind,
    /// Sourcing.
    pub sourcing: TeamSourcing,
    /// Vendor (outsourced only).
    pub vendor_name: Option<String>,
    /// Business calendar.
    pub calendar_id: Option<i64>,
}

/// Changes to a team.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = teams)]
pub struct TeamChanges {
    /// Name.
    pub name: Option<String>,
    /// Kind.
    pub kind: Option<TeamKind>,
    /// Sourcing.
    pub sourcing: Option<TeamSourcing>,
    /// Vendor (`Some(None)` clears).
    pub vendor_name: Option<Option<String>>,
    /// Business calendar (`Some(None)` clears: 24/7).
    pub calendar_id: Option<Option<i64>>,
}

/// Changes to a staff member.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct StaffChanges {
    /// Name.
    pub name: Option<String>,
    /// Role.
    pub role: Option<UserRole>,
    /// Employment type.
    pub employment_type: Option<EmploymentType>,
    /// Team (`Some(None)` clears).
    pub team_id: Option<Option<i64>>,
    /// Active.
    pub active: Option<bool>,
    /// New password hash.
    pub password_hash: Option<String>,
    /// Skills (replace the list).
    pub skills: Option<Vec<String>>,
    /// A manager given the agent role too.
    pub also_agent: Option<bool>,
}

/// Creates a team.
///
/// # Errors
/// `teams_name_key` (duplicate), `teams_vendor_matches_sourcing` (check); database errors.
pub fn create_team(conn: &mut PgConnection, team: &NewTeam) -> QueryResult<Team> {
    diesel::insert_into(teams::table)
        .values(team)
        .returning(Team::as_returning())
        .get_result(conn)
}

/// Edits a team.
///
/// # Errors
/// `NotFound`; constraint violations as for [`create_team`].
pub fn update_team(conn: &mut PgConnection, id: i64, changes: &TeamChanges) -> QueryResult<Team> {
    diesel::update(teams::table.find(id))
        .set((changes, teams::updated_at.eq(diesel::dsl::now)))
        .returning(Team::as_returning())
        .get_result(conn)
}

/// One team.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get_team(conn: &mut PgConnection, id: i64) -> QueryResult<Team> {
    teams::table.find(id).select(Team::as_select()).first(conn)
}

/// Every team, by name.
///
/// # Errors
/// Database errors.
pub fn list_teams(conn: &mut PgConnection) -> QueryResult<Vec<Team>> {
    teams::table
        .order(teams::name)
        .select(Team::as_select())
        .load(conn)
}

/// Edits a staff member.
///
/// # Errors
/// `NotFound`; `users_team_id_fkey`; database errors.
pub fn update_staff(
    conn: &mut PgConnection,
    id: i64,
    changes: &StaffChanges,
) -> QueryResult<Staff> {
    diesel::update(users::table.find(id))
        .set((changes, users::updated_at.eq(diesel::dsl::now)))
        .returning(Staff::as_returning())
        .get_result(conn)
}

/// Staff members by id, optionally of one role and team, after `after`.
///
/// # Errors
/// Database errors.
pub fn list_staff(
    conn: &mut PgConnection,
    role: Option<UserRole>,
    team_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Staff>> {
    let mut query = users::table
        .select(Staff::as_select())
        // The page size written into the statement: see `KeyThenLimit` for why it is not bound.
        .order(key_then_limit("users.id ASC", literal_page(limit)))
        .into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role));
    }
    if let Some(team) = team_id {
        query = query.filter(users::team_id.eq(team));
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    query.load(conn)
}
