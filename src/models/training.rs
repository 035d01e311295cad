//! Training records: courses and who completed them (rows behind `routes::training`), and the
//! loading of the per-ticket facts the training-effect report compares
//! ([`crate::domain::training`], docs/METRICS.md §11).

use crate::schema::{training_completions, training_courses, users};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};

/// A `training_courses` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = training_courses)]
pub struct Course {
    /// Id.
    pub id: i64,
    /// Name (unique ignoring case).
    pub name: String,
    /// What the course teaches.
    pub description: Option<String>,
    /// Offered now (an inactive course keeps its completions).
    pub active: bool,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A new course.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = training_courses)]
pub struct NewCourse {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Offered now.
    pub active: bool,
}

/// A `training_completions` row with the staff member's name.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Completion {
    /// Id.
    pub id: i64,
    /// The course.
    pub course_id: i64,
    /// The course's name.
    pub course_name: String,
    /// The staff member (`users.id`).
    pub user_id: i64,
    /// The staff member's name.
    pub user_name: String,
    /// The date the course was completed.
    pub completed_on: NaiveDate,
    /// Score, 0–100.
    pub score: Option<i16>,
    /// Who recorded it (`users.id`).
    pub recorded_by: Option<i64>,
    /// Recorded (UTC).
    pub created_at: DateTime<Utc>,
}

/// A new completion.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = training_completions)]
pub struct NewCompletion {
    /// The course.
    pub course_id: i64,
    /// The staff member.
    pub user_id: i64,
    /// The date the course was completed.
    pub completed_on: NaiveDate,
    /// Score, 0–100.
    pub score: Option<i16>,
    /// Who records it.
    pub recorded_by: Option<i64>,
}

/// The columns of [`Completion`].
type CompletionColumns = (
    training_completions::id,
    training_completions::course_id,
    training_courses::name,
    training_completions::user_id,
    users::name,
    training_completions::completed_on,
    training_completions::score,
    training_completions::recorded_by,
    training_completions::created_at,
);

const COMPLETION_COLUMNS: CompletionColumns = (
    training_completions::id,
    training_completions::course_id,
    training_courses::name,
    training_completions::user_id,
    users::name,
    training_completions::completed_on,
    training_completions::score,
    training_completions::recorded_by,
    training_completions::created_at,
);

/// One course.
///
/// # Errors
/// `NotFound` for an unknown id; database errors.
pub fn get_course(conn: &mut PgConnection, id: i64) -> QueryResult<Course> {
    training_courses::table
        .find(id)
        .select(Course::as_select())
        .first(conn)
}

/// Every course by name (`active`: only those offered now, or only those not).
///
/// # Errors
/// Database errors.
pub fn list_courses(conn: &mut PgConnection, active: Option<bool>) -> QueryResult<Vec<Course>> {
    let mut q = training_courses::table
        .select(Course::as_select())
        .order((training_courses::name, training_courses::id))
        .into_boxed();
    if let Some(active) = active {
        q = q.filter(training_courses::active.eq(active));
    }
    q.load(conn)
}

/// Inserts a course.
///
/// # Errors
/// `training_courses_name_key` when the name is taken (any case); database errors.
pub fn insert_course(conn: &mut PgConnection, course: &NewCourse) -> QueryResult<Course> {
    diesel::insert_into(training_courses::table)
        .values(course)
        .returning(Course::as_returning())
        .get_result(conn)
}

/// Replaces a course's name, description and active flag.
///
/// # Errors
/// `NotFound`; `training_courses_name_key`; database errors.
pub fn update_course(conn: &mut PgConnection, id: i64, course: &NewCourse) -> QueryResult<Course> {
    diesel::update(training_courses::table.find(id))
        .set((
            training_courses::name.eq(&course.name),
            training_courses::description.eq(&course.description),
            training_courses::active.eq(course.active),
            training_courses::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Course::as_returning())
        .get_result(conn)
}

/// The completions of a course, by completion date then staff id.
///
/// # Errors
/// Database errors.
pub fn course_completions(conn: &mut PgConnection, course_id: i64) -> QueryResult<Vec<Completion>> {
    training_completions::table
        .inner_join(training_courses::table)
        .inner_join(users::table.on(users::id.eq(training_completions::user_id)))
        .filter(training_completions::course_id.eq(course_id))
        .order((
            training_completions::completed_on,
            training_completions::user_id,
        ))
        .select(COMPLETION_COLUMNS)
        .load(conn)
}

/// A staff member's completions, most recent first.
///
/// # Errors
/// Database errors.
pub fn user_completions(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Completion>> {
    training_completions::table
        .inner_join(training_courses::table)
        .inner_join(users::table.on(users::id.eq(training_completions::user_id)))
        .filter(training_completions::user_id.eq(user_id))
        .order((
            training_completions::completed_on.desc(),
            training_completions::course_id,
        ))
        .select(COMPLETION_COLUMNS)
        .load(conn)
}

/// Inserts a completion; returns it with the names.
///
/// # Errors
/// `training_completions_course_id_user_id_key` when the staff member already completed the
/// course; foreign-key violations; database errors.
pub fn insert_completion(
    conn: &mut PgConnection,
    completion: &NewCompletion,
) -> QueryResult<Completion> {
    let id: i64 = diesel::insert_into(training_completions::table)
        .values(completion)
        .returning(training_completions::id)
        .get_result(conn)?;
    training_completions::table
        .inner_join(training_courses::table)
        .inner_join(users::table.on(users::id.eq(training_completions::user_id)))
        .filter(training_completions::id.eq(id))
        .select(COMPLETION_COLUMNS)
        .first(conn)
}

/// Deletes a staff member's completion of a course; whether there was one.
///
/// # Errors
/// Database errors.
pub fn delete_completion(
    conn: &mut PgConnection,
    course_id: i64,
    user_id: i64,
) -> QueryResult<bool> {
    diesel::delete(
        training_completions::table
            .filter(training_completions::course_id.eq(course_id))
            .filter(training_completions::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// The staff who may be compared with the completers `completers`: every staff member with a
/// role one of them has (agents with agents), the completers included.
///
/// # Errors
/// Database errors.
pub fn comparable_staff(
    conn: &mut PgConnection,
    completers: &[i64],
) -> QueryResult<std::collections::BTreeSet<i64>> {
    let roles: Vec<crate::models::enums::UserRole> = users::table
        .filter(users::id.eq_any(completers))
        .select(users::role)
        .distinct()
        .load(conn)?;
    let ids: Vec<i64> = users::table
        .filter(users::role.eq_any(roles))
        .select(users::id)
        .load(conn)?;
    Ok(ids.into_iter().collect())
}

/// The facts the training-effect comparison of `cohorts` reads, in one query per kind: the first
/// replies ([`first_reply_facts`], `business` or calendar seconds) and the reopen units
/// ([`reopen_facts`]) placed in the span of their windows ([`crate::domain::training::span`]);
/// with `until`, only those placed at or before it (the evidence report's `as_of`); with
/// `calendar` (and `business`), first replies measured on that one calendar (the evidence
/// report's `calendar`). Shared by the effect endpoint and the evidence report's training section.
///
/// # Errors
/// Database errors.
pub fn effect_facts(
    conn: &mut PgConnection,
    cohorts: &[crate::domain::training::Cohort],
    business: bool,
    until: Option<DateTime<Utc>>,
    calendar: Option<&crate::domain::calendar::BusinessCalendar>,
) -> QueryResult<(
    Vec<crate::domain::training::Fact>,
    Vec<crate::domain::training::Fact>,
)> {
    let Some((from, to)) = effect_window(cohorts, until) else {
        return Ok((Vec::new(), Vec::new()));
    };
    Ok((
        keep_until(
            first_reply_facts(conn, from, to, business, calendar)?,
            until,
        ),
        keep_until(reopen_facts(conn, from, to)?, until),
    ))
}

/// The instants `[from, to)` whose facts [`effect_facts`] reads for `cohorts`: the span of their
/// windows ([`crate::domain::training::span`]), cut at `until + 1 s` (whole-second instants at or
/// before `until`; finer ones are cut by [`keep_until`]); `None` when empty.
pub fn effect_window(
    cohorts: &[crate::domain::training::Cohort],
    until: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (from, to) = crate::domain::training::span(cohorts)?;
    let to = until.map_or(to, |u| to.min(u + chrono::Duration::seconds(1)));
    (from < to).then_some((from, to))
}

/// `facts` placed at or before `until` (all of them without it).
pub fn keep_until(
    mut facts: Vec<crate::domain::training::Fact>,
    until: Option<DateTime<Utc>>,
) -> Vec<crate::domain::training::Fact> {
    if let Some(u) = until {
        facts.retain(|f| f.at <= u);
    }
    facts
}

/// A per-ticket value credited to a staff member at an instant (a fact of the training-effect
/// report, [`crate::domain::training::Fact`]).
#[derive(Debug, Clone, QueryableByName)]
struct FactRow {
    #[diesel(sql_type = BigInt)]
    staff: i64,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    /// `ticket_metrics.created_at` (first replies only: what one calendar measures from).
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
    created: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    seconds: Option<i64>,
    #[diesel(sql_type = Bool)]
    reopened: bool,
}

impl From<FactRow> for crate::domain::training::Fact {
    fn from(r: FactRow) -> Self {
        crate::domain::training::Fact {
            staff: r.staff,
            at: r.at,
            // Seconds fit an f64 exactly below 2^53 (285 million years).
            value: r
                .seconds
                .map_or(if r.reopened { 1.0 } else { 0.0 }, |s| s as f64),
        }
    }
}

/// `frt.v1` of every ticket whose first reply falls in `[from, to)`, credited to the staff member
/// who wrote that reply (docs/METRICS.md §7: `ticket_metrics.first_reply_agent_id`, which the
/// projection reads from the log: the author of the first public agent reply). `business`:
/// business seconds — on `calendar` when given (creation → first reply, docs/METRICS.md §7,
/// "Comparisons on one calendar"), else the ticket's own —, else calendar seconds. Replies
/// without an author (imported without one) are left out.
///
/// # Errors
/// Database errors.
pub fn first_reply_facts(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    business: bool,
    calendar: Option<&crate::domain::calendar::BusinessCalendar>,
) -> QueryResult<Vec<crate::domain::training::Fact>> {
    let column = if business {
        "m.first_reply_business_seconds"
    } else {
        "m.first_reply_seconds"
    };
    let rows: Vec<FactRow> = diesel::sql_query(format!(
        "SELECT m.first_reply_agent_id AS staff, m.first_reply_at AS at, m.created_at AS created, \
                {column} AS seconds, \
                false AS reopened \
         FROM ticket_metrics m \
         WHERE m.first_reply_at >= $1 AND m.first_reply_at < $2 \
           AND {column} IS NOT NULL AND m.first_reply_agent_id IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id \
                         AND (t.source IS NOT NULL OR t.merged_into_id IS NOT NULL)) \
         ORDER BY m.first_reply_at, m.ticket_id"
    ))
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)?;
    let calendar = calendar.filter(|_| business);
    Ok(rows
        .into_iter()
        .map(|mut r| {
            if let (Some(cal), Some(created), Some(_)) = (calendar, r.created, r.seconds) {
                r.seconds = Some(cal.business_seconds(created, r.at));
            }
            r.into()
        })
        .collect())
}

/// `reopen_rate.v1`'s units: every ticket whose latest solve falls in `[from, to)`, 1 when it
/// was reopened (`reopens.v1 ≥ 1`) and 0 otherwise, credited to the ticket's assignee at that
/// solve (docs/METRICS.md §7, "Resolution figures, reopens …: the assignee and team at the
/// ticket's latest solve": `ticket_metrics.solved_assignee_id`). Solves without an assignee are
/// left out.
///
/// # Errors
/// Database errors.
pub fn reopen_facts(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<crate::domain::training::Fact>> {
    let rows: Vec<FactRow> = diesel::sql_query(
        "SELECT m.solved_assignee_id AS staff, m.latest_solved_at AS at, \
                NULL::timestamptz AS created, NULL::int8 AS seconds, \
                m.reopens > 0 AS reopened \
         FROM ticket_metrics m \
         WHERE m.latest_solved_at >= $1 AND m.latest_solved_at < $2 \
           AND m.solved_assignee_id IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id \
                         AND (t.source IS NOT NULL OR t.merged_into_id IS NOT NULL)) \
         ORDER BY m.latest_solved_at, m.ticket_id",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)?;
    Ok(rows.into_iter().map(Into::into).collect())
}
