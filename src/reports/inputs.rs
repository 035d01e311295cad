//! The per-ticket, per-rating and per-work-order inputs of an evidence report, read from the
//! database in one snapshot (`tickets`, `ticket_metrics`, `ticket_sla_clocks`, `surveys`,
//! `work_order_metrics`, `teams`), with exactly the fields the figures use. Instants are whole
//! seconds since the epoch (docs/METRICS.md §1); durations are seconds.
//!
//! The look-ups that read other rows (FCR's 7 days, first-time fix's 30, the ticket's rating, SLA
//! outcomes of clocks still running) are made here, in SQL, as of the parameters' `as_of`: only
//! rows that existed by then count, so a later run over the same data gives the same inputs.

use super::params::{EvidenceParams, ScopeKind};
use crate::domain::calendar::BusinessCalendar;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Nullable, Text, Timestamptz};

pub use super::sla_outcomes::SlaOutcomes;
pub use super::ticket_input::{ALL_ROLES, Role, Sourcing, TicketFields, TicketInput};
pub use crate::domain::work_order::WorkOrderStatus;
pub use crate::models::enums::EmploymentType;

/// One ticket's rating (its most recently answered survey as of `as_of`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingInput {
    /// `surveys.id`.
    pub survey_id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// `answered_at`.
    pub answered_at: i64,
    /// Score 1–5.
    pub score: i16,
    /// Sourcing of the team at the solve surveyed.
    pub sourcing: Option<Sourcing>,
    /// The comment, only when the customer consented to quote it (as stored; the report
    /// replaces it with its anonymised quote before use).
    pub quotable: Option<String>,
    /// The names of the customer who answered and of the ticket's requester (removed from the
    /// quote).
    pub customer_names: Vec<String>,
}

/// One ended-or-cancelled work order's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderInput {
    /// `work_orders.id`.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// `finished_at`.
    pub finished_at: i64,
    /// `completed`, `cannot_complete` or `cancelled`.
    pub status: WorkOrderStatus,
    /// A first visit (docs/METRICS.md §8).
    pub first_visit: bool,
    /// Fixed in the sense of `first_time_fix.v1` with N = 30 days, as of `as_of`.
    pub fixed: bool,
    /// The technician's employment type at the finish.
    pub employment_type: Option<EmploymentType>,
}

impl WorkOrderInput {
    /// Whether the visit ended (completed or cannot complete; not cancelled).
    pub fn ended(&self) -> bool {
        matches!(
            self.status,
            WorkOrderStatus::Completed | WorkOrderStatus::CannotComplete
        )
    }
}

/// Everything a report is computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// By ticket id.
    pub tickets: Vec<TicketInput>,
    /// By survey id.
    pub ratings: Vec<RatingInput>,
    /// By work order id.
    pub work_orders: Vec<WorkOrderInput>,
    /// Names to remove from quotes: staff (all users), organizations and sites.
    pub staff_names: Vec<String>,
    /// Organization and site (facility) names.
    pub facility_names: Vec<String>,
    /// The training-effect section's completions, staff and per-ticket facts
    /// ([`super::training`]).
    pub training: super::training::TrainingInputs,
    /// The name of the business calendar the parameters' `calendar` names (`None` without one:
    /// each ticket's own calendar).
    pub calendar_name: Option<String>,
}

/// Whether a ticket counts in a figure of either period for the scope: created, first replied
/// (with a value), last solved or with an SLA outcome in one of them, each only if that figure's
/// credit ([`Role`]) is the scope's. Only those are kept and hashed.
pub fn ticket_counts(t: &TicketInput, params: &EvidenceParams) -> bool {
    let any = |at: Option<i64>| {
        at.is_some_and(|at| params.eligibility.holds(at) || params.comparison.holds(at))
    };
    (t.holds(Role::Created) && any(Some(t.created())))
        || (t.holds(Role::FirstReply)
            && any(t
                .first_reply_at()
                .filter(|_| t.first_reply_business().is_some())))
        || (t.holds(Role::Solved) && any(t.latest_solved_at()))
        || (t.holds(Role::Sla) && t.sla().iter().any(|(at, ..)| any(Some(at))))
}

/// `frt.v1` of a ticket created at `created` and first replied at `first_reply_at` (whole
/// seconds) on `calendar` when there is one and the ticket has a stored value, else `stored`
/// (docs/METRICS.md §7, "Comparisons on one calendar"; as `metrics::reference` measures it).
pub fn frt_on(
    calendar: Option<&BusinessCalendar>,
    created: i64,
    first_reply_at: Option<i64>,
    stored: Option<i64>,
) -> Option<i64> {
    match (calendar, first_reply_at, stored) {
        (Some(cal), Some(at), Some(_)) => {
            let instant = |t: i64| DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default();
            Some(cal.business_seconds(instant(created), instant(at)))
        }
        _ => stored,
    }
}

/// The business calendar `params.calendar` names, with its name: `Ok(None)` without one,
/// [`CalendarError::Unknown`] when no calendar has that id.
///
/// # Errors
/// [`CalendarError::Unknown`]; database errors.
pub fn calendar(
    conn: &mut PgConnection,
    params: &EvidenceParams,
) -> Result<Option<(BusinessCalendar, String)>, CalendarError> {
    use crate::models::calendar::{CalendarRow, to_domain};
    use crate::schema::business_calendars as bc;
    let Some(id) = params.calendar else {
        return Ok(None);
    };
    let row: CalendarRow = bc::table
        .find(id)
        .select(CalendarRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(CalendarError::Unknown(id))?;
    Ok(Some((to_domain(&row)?, row.name)))
}

/// Why the parameters' calendar cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// No business calendar has this id (422 naming `calendar`).
    #[error("no business calendar {0}")]
    Unknown(i64),
    /// A database error.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Ticket ids per read: the rows of a chunk are converted and filtered before the next is read,
/// so the driver's buffers never hold every ticket at once.
const CHUNK_IDS: i64 = 100_000;

/// The least and greatest id of a table (`coalesce(min(id), 0)`, `coalesce(max(id), -1)`):
/// where reads by chunks of ids start and end.
#[derive(QueryableByName)]
pub(crate) struct Bounds {
    #[diesel(sql_type = BigInt)]
    pub(crate) low: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) high: i64,
}

/// First-time fix's N, days (docs/METRICS.md §8, the default the reports print).
pub const FTF_DAYS: i64 = 30;

/// The SLA outcomes (docs/METRICS.md §6) of tickets with ids in [`$5`, `$6`) as of `$4`: one row
/// per clock with an outcome by then — `ticket_id`, `at` (the breach, else the fulfilment, else
/// the due instant of a clock still running past due) and `achieved`.
pub const SLA_OUTCOMES_AS_OF_SQL: &str = "
            SELECT c.ticket_id,
                   CASE WHEN c.breached_at IS NOT NULL THEN c.breached_at
                        WHEN c.fulfilled_at IS NOT NULL THEN c.fulfilled_at
                        ELSE c.due_at END AS at,
                   (c.breached_at IS NULL AND c.fulfilled_at IS NOT NULL) AS achieved,
                   c.outcome_team_id AS team_id, c.outcome_assignee_id AS assignee_id
              FROM ticket_sla_clocks c
             WHERE c.ticket_id >= $5 AND c.ticket_id < $6
               AND ((c.breached_at IS NOT NULL AND c.breached_at <= $4)
                OR (c.breached_at IS NULL AND c.fulfilled_at IS NOT NULL AND c.fulfilled_at <= $4)
                OR (c.breached_at IS NULL AND c.fulfilled_at IS NULL AND c.running
                    AND c.due_at IS NOT NULL AND c.due_at <= $4))";

/// `fcr.v1` of the ticket `t` with its projection `m`, the 7-day repeat look-up made as of `$4`
/// (only tickets created by then count): `NULL` when `m.one_touch` is (not solved or closed now).
/// One `NOT EXISTS` per case of the category so each is a tight range of
/// `tickets_requester_category_created_idx`; the look-up stays within the ticket's data set.
pub const FCR_AS_OF_SQL: &str = "CASE WHEN m.one_touch IS NULL THEN NULL
                     ELSE coalesce(m.fcr_candidate, FALSE) AND m.latest_solved_at IS NOT NULL
                          -- A repeat: the same requester and category within 7 days of
                          -- the solve. One NOT EXISTS per case of the category so each is a
                          -- tight range of tickets_requester_category_created_idx.
                          AND (t.requester_id IS NULL OR CASE
                              WHEN t.category IS NULL THEN NOT EXISTS (
                                  SELECT 1 FROM tickets o
                                   WHERE o.requester_id = t.requester_id
                                     AND o.source IS NOT DISTINCT FROM t.source AND o.category IS NULL
                                     AND o.merged_into_id IS NULL
                                     AND o.created_at > m.latest_solved_at
                                     AND o.created_at <= m.latest_solved_at + interval '7 days'
                                     AND o.created_at <= $4 AND o.id <> t.id)
                              ELSE NOT EXISTS (
                                  SELECT 1 FROM tickets o
                                   WHERE o.requester_id = t.requester_id
                                     AND o.source IS NOT DISTINCT FROM t.source
                                     AND o.merged_into_id IS NULL
                                     AND o.category = t.category
                                     AND o.created_at > m.latest_solved_at
                                     AND o.created_at <= m.latest_solved_at + interval '7 days'
                                     AND o.created_at <= $4 AND o.id <> t.id) END) END";

/// Whether the work order `wm` (a `work_order_metrics` row) is fixed in the sense of
/// `first_time_fix.v1` with N = [`FTF_DAYS`], as of `$4`: completed with the problem fixed, no
/// other work order for the ticket (or for the same site and asset) created within N days of its
/// finish by `$4`, and no reopen by then within N days.
pub fn ftf_fixed_as_of_sql() -> String {
    format!(
        "(wm.status = 'completed' AND coalesce(wm.problem_fixed, FALSE)
                 -- Two NOT EXISTS, one per kind of repeat, so each uses its index
                 -- (ticket_id; site_id, asset_id, created_at): one subquery with a CASE in its
                 -- condition was a nested loop over every work order (12 min at 170,000).
                 AND CASE WHEN wm.asset_id IS NULL THEN NOT EXISTS (
                         SELECT 1 FROM work_orders o
                          WHERE o.ticket_id = wm.ticket_id AND o.id <> wm.work_order_id
                            AND o.created_at > wm.created_at
                            AND o.created_at <= wm.finished_at + make_interval(days => {FTF_DAYS})
                            AND o.created_at <= $4)
                     ELSE NOT EXISTS (
                         SELECT 1 FROM work_orders o
                          WHERE o.site_id = wm.site_id AND o.asset_id = wm.asset_id
                            AND o.id <> wm.work_order_id
                            AND o.created_at > wm.created_at
                            AND o.created_at <= wm.finished_at + make_interval(days => {FTF_DAYS})
                            AND o.created_at <= $4) END
                 AND (wm.reopened_at IS NULL OR wm.reopened_at > $4
                      OR wm.reopened_at > wm.finished_at + make_interval(days => {FTF_DAYS})))"
    )
}

#[derive(QueryableByName)]
struct TicketRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    created: i64,
    #[diesel(sql_type = BigInt)]
    metrics_created: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    first_reply_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    first_reply_business: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    latest_solved_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    full_resolution: Option<i64>,
    #[diesel(sql_type = Int4)]
    reopens: i32,
    #[diesel(sql_type = Nullable<Bool>)]
    one_touch: Option<bool>,
    #[diesel(sql_type = Nullable<Bool>)]
    fcr: Option<bool>,
    #[diesel(sql_type = Int4)]
    roles: i32,
    #[diesel(sql_type = Nullable<Text>)]
    created_sourcing: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    first_reply_sourcing: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    solved_sourcing: Option<String>,
    #[diesel(sql_type = Array<BigInt>)]
    sla_at: Vec<i64>,
    #[diesel(sql_type = Array<Bool>)]
    sla_achieved: Vec<bool>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    sla_sourcing: Vec<Option<String>>,
}

#[derive(QueryableByName)]
struct WorkOrderRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    ticket_id: i64,
    #[diesel(sql_type = BigInt)]
    finished_at: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Bool)]
    first_visit: bool,
    #[diesel(sql_type = Bool)]
    fixed: bool,
    #[diesel(sql_type = Nullable<Text>)]
    employment_type: Option<String>,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The ticket-side scope condition on `t` and its projection `m` (`$1` is the scope id): for a
/// team or an agent, any figure of the ticket credited to it ([`Role`]).
pub(super) fn ticket_scope(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Company => "TRUE",
        // `sl`: the ticket's SLA outcomes credited to the scope (`load_tickets`).
        ScopeKind::Team => {
            "(m.created_team_id = $1 OR m.first_reply_team_id = $1 OR m.solved_team_id = $1
              OR sl.ticket_id IS NOT NULL)"
        }
        ScopeKind::Agent => {
            "(m.first_reply_agent_id = $1 OR m.solved_assignee_id = $1
              OR sl.ticket_id IS NOT NULL)"
        }
        ScopeKind::Technician => {
            "EXISTS (SELECT 1 FROM work_orders w WHERE w.ticket_id = t.id AND w.technician_id = $1)"
        }
        ScopeKind::Organization => "t.organization_id = $1",
        ScopeKind::Site => "t.site_id = $1",
    }
}

/// The roles ([`Role::bit`]) of a ticket's figures credited to the scope, as SQL (`int4`) over
/// `t`, `m` and `sl` (its SLA outcomes credited to the scope): the same credits as the metrics
/// endpoints (docs/METRICS.md §7, "Attribution").
fn scope_roles(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Team => {
            "(((m.created_team_id = $1) IS TRUE)::int4
              | (((m.first_reply_team_id = $1) IS TRUE)::int4 << 1)
              | (((m.solved_team_id = $1) IS TRUE)::int4 << 2)
              | ((sl.ticket_id IS NOT NULL)::int4 << 3))"
        }
        // Volumes belong to a team: no agent is credited at creation.
        ScopeKind::Agent => {
            "((((m.first_reply_agent_id = $1) IS TRUE)::int4 << 1)
              | (((m.solved_assignee_id = $1) IS TRUE)::int4 << 2)
              | ((sl.ticket_id IS NOT NULL)::int4 << 3))"
        }
        _ => "15",
    }
}

/// Which SLA outcomes (`s`: [`SLA_OUTCOMES_AS_OF_SQL`]'s rows) are the scope's: for a team or
/// an agent, those credited to it at their instant; all of a ticket the scope selects otherwise.
fn sla_scope(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Team => "s.team_id = $1",
        ScopeKind::Agent => "s.assignee_id = $1",
        _ => "TRUE",
    }
}

/// Reads the inputs of `params` (both periods) in the caller's transaction, with `frt.v1` on the
/// parameters' calendar when they name one ([`calendar`]). The caller runs it under
/// `REPEATABLE READ` so that the reads share one snapshot.
///
/// # Errors
/// [`CalendarError::Unknown`]; database errors.
pub fn load(conn: &mut PgConnection, params: &EvidenceParams) -> Result<Inputs, CalendarError> {
    let calendar = calendar(conn, params)?;
    let tickets = load_tickets(conn, params, calendar.as_ref().map(|(c, _)| c))?;
    let mut inputs = load_beside(
        conn,
        params,
        tickets,
        None,
        calendar.as_ref().map(|(c, _)| c),
    )?;
    inputs.calendar_name = calendar.map(|(_, name)| name);
    Ok(inputs)
}

/// Reads the tickets of `params` (both periods, those [`ticket_counts`] keeps) in the caller's
/// transaction, ascending by id, each with the roles credited to the scope and the sourcing per
/// role; `frt.v1` measured on `calendar` when given ([`frt_on`]). The metrics store gives the
/// same list at its snapshot ([`crate::metrics::store::Reader::evidence_tickets`]).
///
/// # Errors
/// Database errors.
pub fn load_tickets(
    conn: &mut PgConnection,
    params: &EvidenceParams,
    calendar: Option<&BusinessCalendar>,
) -> QueryResult<Vec<TicketInput>> {
    let lo = params.eligibility.start.min(params.comparison.start);
    let hi = params.eligibility.end.max(params.comparison.end);
    let id = params.scope_id.unwrap_or(0);
    let as_of: DateTime<Utc> = params.as_of;
    let scope = ticket_scope(params.scope);
    let roles = scope_roles(params.scope);
    let sla_scope = sla_scope(params.scope);

    // Tickets that may count in a figure of either period: created, first replied, last solved
    // or with an SLA outcome in [lo, hi). Outcomes per docs/METRICS.md §6, as of `as_of` ($4).
    let fcr = FCR_AS_OF_SQL;
    let sla_outcomes = SLA_OUTCOMES_AS_OF_SQL;
    let tickets_sql = format!(
        "WITH sla AS ({sla_outcomes}
         ), credited AS (
            -- Each outcome credited to the team at its instant, with that team's sourcing then.
            SELECT s.ticket_id, s.at, s.achieved,
                   (SELECT p.sourcing::text FROM team_sourcing_periods p
                     WHERE p.team_id = s.team_id AND p.valid_from <= s.at
                     ORDER BY p.valid_from DESC LIMIT 1) AS sourcing
              FROM sla s WHERE {sla_scope}
         ), outcomes AS (
            SELECT s.ticket_id,
                   array_agg(floor(extract(epoch FROM s.at))::int8
                             ORDER BY s.at, s.achieved, s.sourcing NULLS FIRST) AS sla_at,
                   array_agg(s.achieved ORDER BY s.at, s.achieved, s.sourcing NULLS FIRST)
                       AS sla_achieved,
                   array_agg(s.sourcing ORDER BY s.at, s.achieved, s.sourcing NULLS FIRST)
                       AS sla_sourcing,
                   bool_or(s.at >= $2 AND s.at < $3) AS in_range
              FROM credited s GROUP BY s.ticket_id
         )
         SELECT t.id,
                floor(extract(epoch FROM t.created_at))::int8 AS created,
                floor(extract(epoch FROM m.created_at))::int8 AS metrics_created,
                floor(extract(epoch FROM m.first_reply_at))::int8 AS first_reply_at,
                m.first_reply_business_seconds AS first_reply_business,
                floor(extract(epoch FROM m.latest_solved_at))::int8 AS latest_solved_at,
                m.full_resolution_seconds AS full_resolution,
                m.reopens,
                m.one_touch,
                {fcr} AS fcr,
                {roles} AS roles,
                m.created_sourcing::text AS created_sourcing,
                m.first_reply_sourcing::text AS first_reply_sourcing,
                m.solved_sourcing::text AS solved_sourcing,
                coalesce(sl.sla_at, '{{}}') AS sla_at,
                coalesce(sl.sla_achieved, '{{}}') AS sla_achieved,
                coalesce(sl.sla_sourcing, '{{}}') AS sla_sourcing
           FROM tickets t
           JOIN ticket_metrics m ON m.ticket_id = t.id
           LEFT JOIN outcomes sl ON sl.ticket_id = t.id
          WHERE t.id >= $5 AND t.id < $6 AND m.ticket_id >= $5 AND m.ticket_id < $6
            AND {scope} AND t.created_at < $3 AND t.created_at <= $4
            AND t.source IS NOT DISTINCT FROM $7
            AND t.merged_into_id IS NULL
            AND (t.created_at >= $2
                 OR (m.first_reply_at >= $2 AND m.first_reply_at < $3)
                 OR (m.latest_solved_at >= $2 AND m.latest_solved_at < $3)
                 OR coalesce(sl.in_range, FALSE))
          ORDER BY t.id"
    );
    let bounds = diesel::sql_query(
        "SELECT coalesce(min(id), 0) AS low, coalesce(max(id), -1) AS high FROM tickets",
    )
    .get_result::<Bounds>(conn)?;
    let mut tickets = Vec::new();
    let mut from_id = bounds.low;
    while from_id <= bounds.high {
        let to_id = from_id.saturating_add(CHUNK_IDS);
        let rows = diesel::sql_query(&tickets_sql)
            .bind::<BigInt, _>(id)
            .bind::<Timestamptz, _>(lo)
            .bind::<Timestamptz, _>(hi)
            .bind::<Timestamptz, _>(as_of)
            .bind::<BigInt, _>(from_id)
            .bind::<BigInt, _>(to_id)
            .bind::<Nullable<Text>, _>(params.source.as_deref())
            .load::<TicketRow>(conn)?;
        tickets.extend(
            rows.into_iter()
                .map(|r| {
                    TicketInput::from(TicketFields {
                        id: r.id,
                        created: r.created,
                        first_reply_at: r.first_reply_at,
                        first_reply_business: frt_on(
                            calendar,
                            r.metrics_created,
                            r.first_reply_at,
                            r.first_reply_business,
                        ),
                        latest_solved_at: r.latest_solved_at,
                        full_resolution: r.full_resolution,
                        reopens: r.reopens,
                        one_touch: r.one_touch,
                        fcr: r.fcr,
                        roles: u8::try_from(r.roles & i32::from(ALL_ROLES)).unwrap_or(0),
                        sourcing: [
                            Sourcing::parse(r.created_sourcing.as_deref()),
                            Sourcing::parse(r.first_reply_sourcing.as_deref()),
                            Sourcing::parse(r.solved_sourcing.as_deref()),
                            None,
                        ],
                        sla: r
                            .sla_at
                            .into_iter()
                            .zip(r.sla_achieved)
                            .zip(r.sla_sourcing)
                            .map(|((at, achieved), s)| {
                                (at, achieved, Sourcing::parse(s.as_deref()))
                            })
                            .collect(),
                    })
                })
                .filter(|t| ticket_counts(t, params)),
        );
        from_id = to_id;
    }
    Ok(tickets)
}

/// Reads everything but the tickets (ratings, work orders, names, the training section's
/// inputs, its first replies measured on `calendar` when given) in the caller's transaction, and
/// returns them with `tickets` (`calendar_name` left for the caller to set).
///
/// # Errors
/// Database errors.
pub fn load_beside(
    conn: &mut PgConnection,
    params: &EvidenceParams,
    tickets: Vec<TicketInput>,
    work_orders: Option<Vec<WorkOrderInput>>,
    calendar: Option<&BusinessCalendar>,
) -> QueryResult<Inputs> {
    let rest = load_rest(conn, params, calendar, None)?;
    let work_orders = match work_orders {
        Some(work_orders) => work_orders,
        None => load_work_orders(conn, params)?,
    };
    Ok(rest.with(tickets, work_orders))
}

/// What an evidence report reads besides its tickets and work orders: ratings, the names quotes
/// are anonymised against, the training section's inputs.
pub struct Rest {
    ratings: Vec<RatingInput>,
    staff_names: Vec<String>,
    facility_names: Vec<String>,
    training: super::training::TrainingInputs,
}

impl Rest {
    /// The inputs with `tickets` and `work_orders` (`calendar_name` left for the caller).
    pub fn with(self, tickets: Vec<TicketInput>, work_orders: Vec<WorkOrderInput>) -> Inputs {
        Inputs {
            tickets,
            ratings: self.ratings,
            work_orders,
            staff_names: self.staff_names,
            facility_names: self.facility_names,
            training: self.training,
            calendar_name: None,
        }
    }
}

/// Reads the ratings ([`super::ratings::load`]), names and training inputs (its first replies
/// measured on `calendar` when given) in the caller's transaction; with `store` (a read in the
/// same snapshot) the answers and the training facts come from it.
///
/// # Errors
/// Database errors.
pub fn load_rest(
    conn: &mut PgConnection,
    params: &EvidenceParams,
    calendar: Option<&BusinessCalendar>,
    store: Option<&crate::metrics::store::Reader<'_>>,
) -> QueryResult<Rest> {
    let ratings = super::ratings::load(conn, params, store)?;

    let names = |sql: &str, conn: &mut PgConnection| -> QueryResult<Vec<String>> {
        Ok(diesel::sql_query(sql)
            .load::<NameRow>(conn)?
            .into_iter()
            .map(|r| r.name)
            .collect())
    };
    let staff_names = names("SELECT name FROM users ORDER BY name, id", conn)?;
    let facility_names = names(
        "SELECT name FROM organizations UNION SELECT name FROM sites ORDER BY name",
        conn,
    )?;
    let training = super::training::load(conn, params, calendar, store)?;
    Ok(Rest {
        ratings,
        staff_names,
        facility_names,
        training,
    })
}

/// Reads the work orders of `params` finished in either period (by `as_of`), ascending by id,
/// in the caller's transaction; first-time fix per docs/METRICS.md §8 with N = [`FTF_DAYS`].
/// The metrics store gives the same list at its snapshot
/// ([`crate::metrics::store::Reader::evidence_work_orders`]).
///
/// # Errors
/// Database errors.
pub fn load_work_orders(
    conn: &mut PgConnection,
    params: &EvidenceParams,
) -> QueryResult<Vec<WorkOrderInput>> {
    let lo = params.eligibility.start.min(params.comparison.start);
    let hi = params.eligibility.end.max(params.comparison.end);
    let id = params.scope_id.unwrap_or(0);
    let as_of: DateTime<Utc> = params.as_of;
    // Work orders finished in [lo, hi); first-time fix per docs/METRICS.md §8 with N = 30 days.
    let wo_scope = match params.scope {
        ScopeKind::Company => "TRUE",
        ScopeKind::Team => "(wm.technician_team_id = $1 OR t.team_id = $1)",
        ScopeKind::Agent => "t.assignee_id = $1",
        ScopeKind::Technician => "wm.technician_id = $1",
        ScopeKind::Organization => "wm.organization_id = $1",
        ScopeKind::Site => "wm.site_id = $1",
    };
    let fixed = ftf_fixed_as_of_sql();
    let wo_sql = format!(
        "SELECT wm.work_order_id AS id, wm.ticket_id,
                floor(extract(epoch FROM wm.finished_at))::int8 AS finished_at, wm.status,
                wm.first_visit,
                {fixed}
                AS fixed,
                wm.technician_employment_type::text AS employment_type
           FROM work_order_metrics wm
           JOIN tickets t ON t.id = wm.ticket_id
          WHERE {wo_scope} AND wm.finished_at >= $2 AND wm.finished_at < $3
            AND t.source IS NOT DISTINCT FROM $5
            AND t.merged_into_id IS NULL
            AND wm.finished_at <= $4
          ORDER BY wm.work_order_id"
    );
    diesel::sql_query(wo_sql)
        .bind::<BigInt, _>(id)
        .bind::<Timestamptz, _>(lo)
        .bind::<Timestamptz, _>(hi)
        .bind::<Timestamptz, _>(as_of)
        .bind::<Nullable<Text>, _>(params.source.as_deref())
        .load::<WorkOrderRow>(conn)?
        .into_iter()
        .map(|r| {
            // The column's CHECK holds `status` to WorkOrderStatus's names.
            let status = WorkOrderStatus::parse(&r.status).ok_or_else(|| {
                diesel::result::Error::DeserializationError(
                    format!("work order {}: unknown status {:?}", r.id, r.status).into(),
                )
            })?;
            Ok(WorkOrderInput {
                id: r.id,
                ticket_id: r.ticket_id,
                finished_at: r.finished_at,
                status,
                first_visit: r.first_visit,
                fixed: r.fixed,
                employment_type: r.employment_type.as_deref().and_then(EmploymentType::parse),
            })
        })
        .collect::<QueryResult<_>>()
}

/// The display name of the scope, `None` when no such team, user, organization or site exists
/// (the company scope is "company").
///
/// # Errors
/// Database errors.
pub fn scope_name(conn: &mut PgConnection, params: &EvidenceParams) -> QueryResult<Option<String>> {
    let sql = match params.scope {
        ScopeKind::Company => return Ok(Some("company".to_string())),
        ScopeKind::Team => "SELECT name FROM teams WHERE id = $1",
        ScopeKind::Agent => "SELECT name FROM users WHERE id = $1 AND role <> 'technician'",
        ScopeKind::Technician => "SELECT name FROM users WHERE id = $1 AND role = 'technician'",
        ScopeKind::Organization => "SELECT name FROM organizations WHERE id = $1",
        ScopeKind::Site => "SELECT name FROM sites WHERE id = $1",
    };
    diesel::sql_query(sql)
        .bind::<BigInt, _>(params.scope_id.unwrap_or(0))
        .get_result::<NameRow>(conn)
        .optional()
        .map(|r| r.map(|r| r.name))
}
