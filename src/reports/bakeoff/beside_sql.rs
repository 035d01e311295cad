//! The bake-off's surveys and work orders read from the database, in chunks of ids (each
//! chunk's result, not the whole year's, is held by the driver at a time), ascending by id.
//!
//! With the metrics store ([`Joined::No`]) only the surveys' and work orders' own columns are
//! read: the ticket's facts (data set, channel, category, priority) and whether it was merged
//! come from the store at the same snapshot. Without it (the command line, [`Joined::Tickets`])
//! each row is joined to its ticket, which must be the company's or either cohort's data set
//! and not merged.

use super::inputs::TicketQuery;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Int2, Nullable, Text, Timestamptz};

/// Ids per chunk.
const CHUNK_IDS: i64 = 200_000;

/// Whether the rows carry their ticket's facts (read by a join: boxed beside each row) or the
/// caller looks them up (`None` beside each row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// Joined to `tickets`: [`TicketColumns`] filled, rows of merged tickets and of other data
    /// sets left out.
    Tickets,
    /// Not joined: [`TicketColumns`] empty; every survey or work order in the period.
    No,
}

/// A ticket's facts as a joined row carries them.
#[derive(QueryableByName, Debug, Clone, Default)]
pub struct TicketColumns {
    /// `tickets.source`.
    #[diesel(sql_type = Nullable<Text>)]
    pub source: Option<String>,
    /// `tickets.channel`, `category`, `priority` as text.
    #[diesel(sql_type = Nullable<Text>)]
    pub channel: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub priority: Option<String>,
    /// `tickets.organization_id`, `site_id`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub organization_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub site_id: Option<i64>,
}

/// A survey as a bake-off reads it (instants: whole seconds since the epoch, UTC).
#[derive(QueryableByName, Debug, Clone)]
pub struct SurveyRow {
    /// `surveys.id`, `ticket_id`.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub ticket_id: i64,
    /// The solve it asked about.
    #[diesel(sql_type = BigInt)]
    pub solved_at: i64,
    /// The team and assignee at that solve.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub team_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub assignee_id: Option<i64>,
    /// Sent in the period (by `as_of`): whether answered with a score by `as_of`; `None`
    /// otherwise.
    #[diesel(sql_type = Nullable<Bool>)]
    pub responded: Option<bool>,
    /// The score when this answer is the ticket's rating as of `as_of` (its latest answer by
    /// then, ties to the higher id; docs/METRICS.md §9) and was given in the period.
    #[diesel(sql_type = Nullable<Int2>)]
    pub csat_score: Option<i16>,
}

/// A work order as a bake-off reads it (instants: whole seconds since the epoch, UTC).
#[derive(QueryableByName, Debug, Clone)]
pub struct WorkOrderRow {
    /// `work_order_metrics.work_order_id`, `ticket_id`.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub ticket_id: i64,
    /// The work order's organization and site.
    #[diesel(sql_type = BigInt)]
    pub organization_id: i64,
    #[diesel(sql_type = BigInt)]
    pub site_id: i64,
    /// The technician's team and employment type at the finish.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub technician_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub employment: Option<String>,
    /// Finished, and first on site.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub finished_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub on_site_at: Option<i64>,
    /// A first visit that ended (completed or cannot complete).
    #[diesel(sql_type = Bool)]
    pub ended_first_visit: bool,
    /// `first_time_fix.v1`'s "fixed" as of `as_of` (docs/METRICS.md §8).
    #[diesel(sql_type = Bool)]
    pub fixed: bool,
    /// `arrival_window_met.v1`.
    #[diesel(sql_type = Nullable<Bool>)]
    pub arrival_window_met: Option<bool>,
    /// `wrench_time.v1`, seconds.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub wrench_seconds: Option<i64>,
}

/// A survey joined to its ticket.
#[derive(QueryableByName)]
struct SurveyWithTicket {
    #[diesel(embed)]
    own: SurveyRow,
    #[diesel(embed)]
    ticket: TicketColumns,
}

impl From<SurveyWithTicket> for (SurveyRow, Option<Box<TicketColumns>>) {
    fn from(w: SurveyWithTicket) -> Self {
        (w.own, Some(Box::new(w.ticket)))
    }
}

/// A work order joined to its ticket.
#[derive(QueryableByName)]
struct WorkOrderWithTicket {
    #[diesel(embed)]
    own: WorkOrderRow,
    #[diesel(embed)]
    ticket: TicketColumns,
}

impl From<WorkOrderWithTicket> for (WorkOrderRow, Option<Box<TicketColumns>>) {
    fn from(w: WorkOrderWithTicket) -> Self {
        (w.own, Some(Box::new(w.ticket)))
    }
}

/// What the join adds: the ticket's columns and its conditions (`$1`, `$5`: the cohorts'
/// data sets).
fn join(joined: Joined) -> (&'static str, &'static str, &'static str) {
    match joined {
        Joined::Tickets => (
            ", t.source, t.channel::text AS channel, t.category, t.priority::text AS priority,
               t.organization_id, t.site_id",
            "JOIN tickets t ON t.id = {ticket}",
            "AND (t.source IS NOT DISTINCT FROM $1 OR t.source IS NOT DISTINCT FROM $5)
             AND t.merged_into_id IS NULL",
        ),
        Joined::No => ("", "", ""),
    }
}

/// A chunk of rows, each with its ticket's columns when joined.
pub type Chunk<R> = Vec<(R, Option<Box<TicketColumns>>)>;

/// Reads `table`'s id bounds, then `sql` per chunk of ids (`$6` inclusive, `$7` exclusive),
/// and calls `visit` with each chunk, ascending by id (`id` of `R`); joined rows read as `W`.
fn chunked<R, W, F>(
    conn: &mut PgConnection,
    bounds_sql: &str,
    sql: &str,
    q: &TicketQuery<'_>,
    joined: Joined,
    id: F,
    visit: &mut dyn FnMut(&Chunk<R>),
) -> QueryResult<()>
where
    R: QueryableByName<diesel::pg::Pg> + 'static,
    W: QueryableByName<diesel::pg::Pg> + Into<(R, Option<Box<TicketColumns>>)> + 'static,
    F: Fn(&R) -> i64,
{
    let b: crate::reports::inputs::Bounds = diesel::sql_query(bounds_sql).get_result(conn)?;
    let mut out = Vec::new();
    let mut low = b.low;
    while low <= b.high {
        let high = low.saturating_add(CHUNK_IDS);
        let query = diesel::sql_query(sql)
            .bind::<Nullable<Text>, _>(q.sources[0])
            .bind::<Timestamptz, _>(q.start)
            .bind::<Timestamptz, _>(q.end)
            .bind::<Timestamptz, _>(q.as_of)
            .bind::<Nullable<Text>, _>(q.sources[1])
            .bind::<BigInt, _>(low)
            .bind::<BigInt, _>(high);
        out.clear();
        match joined {
            Joined::Tickets => out.extend(query.load::<W>(conn)?.into_iter().map(Into::into)),
            Joined::No => out.extend(query.load::<R>(conn)?.into_iter().map(|r| (r, None))),
        }
        out.sort_unstable_by_key(|(r, _)| id(r));
        visit(&out);
        low = high;
    }
    Ok(())
}

/// Calls `visit` with the surveys sent in the period or answered in it with a score (`q`'s
/// period; `responded` and `csat_score` as of `q.as_of`), chunk by chunk, ascending by id.
///
/// # Errors
/// Database errors.
pub fn surveys(
    conn: &mut PgConnection,
    q: &TicketQuery<'_>,
    joined: Joined,
    visit: &mut dyn FnMut(&Chunk<SurveyRow>),
) -> QueryResult<()> {
    let (columns, from, condition) = join(joined);
    // `s.score IS NOT NULL` first: a survey never answered stops the CASE there (a NULL
    // comparison would not, and its look-up ran for every survey sent).
    let sql = format!(
        "SELECT s.id, s.ticket_id, floor(extract(epoch FROM s.solved_at))::int8 AS solved_at,
                s.team_id, s.assignee_id,
                CASE WHEN s.sent_at >= $2 AND s.sent_at < $3 AND s.sent_at <= $4
                     THEN (s.answered_at IS NOT NULL AND s.score IS NOT NULL
                           AND s.answered_at <= $4) END AS responded,
                CASE WHEN s.score IS NOT NULL AND s.answered_at >= $2 AND s.answered_at < $3
                          AND s.answered_at <= $4
                          AND NOT EXISTS (
                              SELECT 1 FROM surveys l
                               WHERE l.ticket_id = s.ticket_id AND l.score IS NOT NULL
                                 AND l.answered_at <= $4
                                 AND (l.answered_at, l.id) > (s.answered_at, s.id))
                     THEN s.score END AS csat_score
                {columns}
           FROM surveys s {from}
          WHERE s.id >= $6 AND s.id < $7
            AND ((s.sent_at >= $2 AND s.sent_at < $3)
                 OR (s.answered_at >= $2 AND s.answered_at < $3 AND s.score IS NOT NULL))
            {condition}",
        from = from.replace("{ticket}", "s.ticket_id"),
    );
    chunked::<_, SurveyWithTicket, _>(
        conn,
        "SELECT coalesce(min(id), 0) AS low, coalesce(max(id), -1) AS high FROM surveys",
        &sql,
        q,
        joined,
        |r: &SurveyRow| r.id,
        visit,
    )
}

/// Calls `visit` with the work orders finished or first on site in the period, chunk by chunk,
/// ascending by id; `fixed` as of `q.as_of`.
///
/// # Errors
/// Database errors.
pub fn work_orders(
    conn: &mut PgConnection,
    q: &TicketQuery<'_>,
    joined: Joined,
    visit: &mut dyn FnMut(&Chunk<WorkOrderRow>),
) -> QueryResult<()> {
    let (columns, from, condition) = join(joined);
    let sql = format!(
        "SELECT wm.work_order_id AS id, wm.ticket_id, wm.organization_id, wm.site_id,
                wm.technician_team_id, wm.technician_employment_type::text AS employment,
                floor(extract(epoch FROM wm.finished_at))::int8 AS finished_at,
                floor(extract(epoch FROM wm.on_site_at))::int8 AS on_site_at,
                (wm.first_visit AND wm.status IN ('completed', 'cannot_complete'))
                    AS ended_first_visit,
                {fixed} AS fixed,
                wm.arrival_window_met, wm.wrench_seconds
                {columns}
           FROM work_order_metrics wm {from}
          WHERE wm.work_order_id >= $6 AND wm.work_order_id < $7
            AND ((wm.finished_at >= $2 AND wm.finished_at < $3)
                 OR (wm.on_site_at >= $2 AND wm.on_site_at < $3))
            {condition}",
        fixed = crate::reports::inputs::ftf_fixed_as_of_sql(),
        from = from.replace("{ticket}", "wm.ticket_id"),
    );
    chunked::<_, WorkOrderWithTicket, _>(
        conn,
        "SELECT coalesce(min(work_order_id), 0) AS low, coalesce(max(work_order_id), -1) AS high
           FROM work_order_metrics",
        &sql,
        q,
        joined,
        |r: &WorkOrderRow| r.id,
        visit,
    )
}
