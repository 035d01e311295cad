//! Saved ticket views (`ticket_views`): a named `GET /tickets` query string, personal or shared
//! with a team.

use crate::schema::ticket_views;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A `ticket_views` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_views, check_for_backend(diesel::pg::Pg))]
pub struct TicketView {
    /// Id.
    pub id: i64,
    /// Name (unique per owner).
    pub name: String,
    /// The staff member who saved it.
    pub owner_id: i64,
    /// The team it is shared with (`None`: the owner's own).
    pub team_id: Option<i64>,
    /// The `GET /tickets` query string (filters and sort).
    pub query: String,
    /// Saved (UTC).
    pub created_at: DateTime<Utc>,
}

/// A new view.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ticket_views)]
pub struct NewTicketView {
    /// Name.
    pub name: String,
    /// Owner.
    pub owner_id: i64,
    /// Shared with this team.
    pub team_id: Option<i64>,
    /// Query string (validated by the caller).
    pub query: String,
}

/// A view's changeable parts after a change (validated by the caller): every column is written,
/// `team_id: None` included (the view becomes personal).
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = ticket_views, treat_none_as_null = true)]
pub struct TicketViewChanges {
    /// Name.
    pub name: String,
    /// Shared with this team; `None`: personal.
    pub team_id: Option<i64>,
    /// Query string.
    pub query: String,
}

/// Field errors of the table's named constraints.
pub const VIEW_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "ticket_views_owner_id_name_key",
        "name",
        "you have a view with this name already",
    ),
    ("ticket_views_team_id_fkey", "team_id", "no such team"),
];

/// Saves a view.
///
/// # Errors
/// Unique violation `ticket_views_owner_id_name_key`; FK violation on the team.
pub fn insert(conn: &mut PgConnection, new: &NewTicketView) -> QueryResult<TicketView> {
    diesel::insert_into(ticket_views::table)
        .values(new)
        .returning(TicketView::as_returning())
        .get_result(conn)
}

/// View `id`, locked for a change until the transaction ends; `None` when there is none.
///
/// # Errors
/// Database errors.
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<Option<TicketView>> {
    ticket_views::table
        .find(id)
        .select(TicketView::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Writes `changes` to view `id`; returns it after.
///
/// # Errors
/// `NotFound`; unique violation `ticket_views_owner_id_name_key`; FK violation on the team.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    changes: &TicketViewChanges,
) -> QueryResult<TicketView> {
    diesel::update(ticket_views::table.find(id))
        .set(changes)
        .returning(TicketView::as_returning())
        .get_result(conn)
}

/// The views `user` sees: their own and those shared with `team`, by name then id.
///
/// # Errors
/// Database errors.
pub fn visible_to(
    conn: &mut PgConnection,
    user: i64,
    team: Option<i64>,
) -> QueryResult<Vec<TicketView>> {
    let mut query = ticket_views::table
        .select(TicketView::as_select())
        .order((ticket_views::name, ticket_views::id))
        .into_boxed();
    query = match team {
        Some(team) => query.filter(
            ticket_views::owner_id
                .eq(user)
                .or(ticket_views::team_id.eq(team)),
        ),
        None => query.filter(ticket_views::owner_id.eq(user)),
    };
    query.load(conn)
}

/// Deletes view `id` if `owner` saved it (any owner when `None`); returns whether it did.
///
/// # Errors
/// Database errors.
pub fn delete(conn: &mut PgConnection, id: i64, owner: Option<i64>) -> QueryResult<bool> {
    let mut query = diesel::delete(ticket_views::table)
        .filter(ticket_views::id.eq(id))
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(ticket_views::owner_id.eq(owner));
    }
    Ok(query.execute(conn)? > 0)
}
