//! A bake-off's observations, read from the database in one snapshot: one per ticket, survey or
//! work order and metric, with the value (seconds, or 1/0 for a rate), the cohorts it belongs
//! to and its strata.
//!
//! Who an observation is credited to follows docs/METRICS.md "Attribution": the first reply's
//! agent and that agent's team at the reply (`ticket_metrics.first_reply_*`); the assignee and
//! team at the latest solve (`solved_*`) for resolution, reopens, FCR and SLA attainment (a ticket
//! not solved: its first reply's credit); the team and assignee at the solve a survey was sent
//! for; the technician at the finish. The credited team's sourcing and vendor are read at that
//! instant from `team_sourcing_periods`, a survey assignee's employment type from
//! `user_periods`.

use super::protocol::{BakeOffMetric, Cohort, Protocol, Stratum};
use super::ticket_sql;
use crate::domain::calendar::BusinessCalendar;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int2, Int4, Nullable, Text, Timestamptz};
use std::collections::HashMap;

/// One observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The metric.
    pub metric: BakeOffMetric,
    /// The ticket id (ticket metrics), survey id (CSAT) or work order id (field metrics).
    pub unit: i64,
    /// Seconds (durations) or 1/0 (rates).
    pub value: i64,
    /// In cohort A.
    pub a: bool,
    /// In cohort B.
    pub b: bool,
    /// The value of each of the protocol's strata, in its order, as an index into
    /// [`Observations::strata_values`] (unused positions 0).
    pub strata: [u32; 4],
}

/// Everything a bake-off is computed from.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// By metric (report order), then unit.
    pub rows: Vec<Observation>,
    /// The calendar's name when the protocol names one.
    pub calendar_name: Option<String>,
    /// Per stratum of the protocol (in its order), the values met (`(none)` when absent), in the
    /// order first met; [`Observation::strata`] indexes them.
    pub strata_values: Vec<Vec<String>>,
}

impl Observations {
    /// The value of stratum `k` of `o`.
    pub fn stratum(&self, o: &Observation, k: usize) -> &str {
        let index = o.strata.get(k).copied().unwrap_or(0) as usize;
        self.strata_values
            .get(k)
            .and_then(|v| v.get(index))
            .map_or("(none)", String::as_str)
    }
}

/// What a bake-off reads of the tickets: those of either cohort's data set (`None`: the
/// company's own) with a first reply or latest solve in `[start, end)`, or an SLA outcome there,
/// by `as_of` (created by then). `sla` and `fcr`: whether SLA outcomes and `fcr.v1`'s look-up
/// are wanted (otherwise left empty / `None`).
#[derive(Debug, Clone, Copy)]
pub struct TicketQuery<'a> {
    /// Cohort A's and cohort B's data set.
    pub sources: [Option<&'a str>; 2],
    /// The period, UTC.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The report's as-of instant, whole seconds.
    pub as_of: DateTime<Utc>,
    /// SLA outcomes wanted.
    pub sla: bool,
    /// `fcr.v1` wanted.
    pub fcr: bool,
}

/// The static facts of a ticket the filters and strata read.
struct Facts {
    source: Option<String>,
    organization: Option<i64>,
    site: Option<i64>,
    channel: Option<String>,
    category: Option<String>,
    priority: Option<String>,
}

/// Who an observation is credited to, at the instant.
struct Credit<'p> {
    team: Option<i64>,
    sourcing: Option<&'p str>,
    vendor: Option<&'p str>,
    employment: Option<String>,
    technician: bool,
}

/// `team_sourcing_periods` and `user_periods`, to read a team's sourcing and vendor and a staff
/// member's employment type at an instant.
#[derive(Default)]
struct Periods {
    teams: HashMap<i64, Vec<(i64, String, Option<String>)>>,
    users: HashMap<i64, Vec<(i64, String)>>,
}

#[derive(QueryableByName)]
struct TeamPeriodRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    valid_from: i64,
    #[diesel(sql_type = Text)]
    sourcing: String,
    #[diesel(sql_type = Nullable<Text>)]
    vendor: Option<String>,
}

#[derive(QueryableByName)]
struct UserPeriodRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    valid_from: i64,
    #[diesel(sql_type = Text)]
    employment: String,
}

impl Periods {
    fn load(conn: &mut PgConnection) -> QueryResult<Periods> {
        // '-infinity' reads as the least bigint.
        let mut p = Periods::default();
        for r in diesel::sql_query(
            "SELECT team_id AS id,
                    CASE WHEN valid_from = '-infinity' THEN -9223372036854775807
                         ELSE floor(extract(epoch FROM valid_from))::int8 END AS valid_from,
                    sourcing::text AS sourcing, vendor_name AS vendor
               FROM team_sourcing_periods ORDER BY team_id, valid_from",
        )
        .load::<TeamPeriodRow>(conn)?
        {
            p.teams
                .entry(r.id)
                .or_default()
                .push((r.valid_from, r.sourcing, r.vendor));
        }
        for r in diesel::sql_query(
            "SELECT user_id AS id,
                    CASE WHEN valid_from = '-infinity' THEN -9223372036854775807
                         ELSE floor(extract(epoch FROM valid_from))::int8 END AS valid_from,
                    employment_type::text AS employment
               FROM user_periods ORDER BY user_id, valid_from",
        )
        .load::<UserPeriodRow>(conn)?
        {
            p.users
                .entry(r.id)
                .or_default()
                .push((r.valid_from, r.employment));
        }
        Ok(p)
    }

    fn team_at(&self, team: i64, at: i64) -> Option<&(i64, String, Option<String>)> {
        let periods = self.teams.get(&team)?;
        periods.iter().rev().find(|(from, _, _)| *from <= at)
    }

    fn employment_at(&self, user: i64, at: i64) -> Option<&str> {
        let periods = self.users.get(&user)?;
        periods
            .iter()
            .rev()
            .find(|(from, _)| *from <= at)
            .map(|(_, e)| e.as_str())
    }

    fn credit(
        &self,
        team: Option<i64>,
        employment: Option<String>,
        technician: bool,
        at: i64,
    ) -> Credit<'_> {
        let period = team.and_then(|t| self.team_at(t, at));
        Credit {
            team,
            sourcing: period.map(|(_, s, _)| s.as_str()),
            vendor: period.and_then(|(_, _, v)| v.as_deref()),
            employment,
            technician,
        }
    }
}

fn any_of<T: PartialEq>(list: &Option<Vec<T>>, value: Option<&T>) -> bool {
    match list {
        None => true,
        Some(list) => value.is_some_and(|v| list.contains(v)),
    }
}

/// Whether an observation with `facts`, credited to `credit`, is in `cohort`.
fn member(cohort: &Cohort, facts: &Facts, credit: &Credit<'_>) -> bool {
    if cohort.source != facts.source {
        return false;
    }
    if cohort.agent_employment_type.is_some()
        && (credit.technician || credit.employment != cohort.agent_employment_type)
    {
        return false;
    }
    if cohort.technician_employment_type.is_some()
        && (!credit.technician || credit.employment != cohort.technician_employment_type)
    {
        return false;
    }
    any_of(&cohort.teams, credit.team.as_ref())
        && cohort
            .sourcing
            .as_deref()
            .is_none_or(|s| credit.sourcing == Some(s))
        && cohort
            .vendor
            .as_deref()
            .is_none_or(|v| credit.vendor == Some(v))
        && any_of(&cohort.organizations, facts.organization.as_ref())
        && any_of(&cohort.sites, facts.site.as_ref())
        && any_of(&cohort.channels, facts.channel.as_ref())
        && any_of(&cohort.categories, facts.category.as_ref())
        && any_of(&cohort.priorities, facts.priority.as_ref())
}

fn stratum_value(stratum: Stratum, facts: &Facts) -> String {
    let none = || "(none)".to_string();
    match stratum {
        Stratum::Priority => facts.priority.clone().unwrap_or_else(none),
        Stratum::Category => facts.category.clone().unwrap_or_else(none),
        Stratum::Channel => facts.channel.clone().unwrap_or_else(none),
        Stratum::Site => facts.site.map_or_else(none, |s| s.to_string()),
    }
}

struct Collector<'a> {
    protocol: &'a Protocol,
    periods: Periods,
    rows: Vec<Observation>,
    /// Per stratum: value → index, and the values.
    interned: Vec<(HashMap<String, u32>, Vec<String>)>,
}

impl Collector<'_> {
    fn wants(&self, metric: BakeOffMetric) -> bool {
        self.protocol.metrics.contains(&metric)
    }

    fn push(
        &mut self,
        metric: BakeOffMetric,
        unit: i64,
        value: i64,
        facts: &Facts,
        credit: &Credit<'_>,
    ) {
        let a = member(&self.protocol.cohort_a, facts, credit);
        let b = member(&self.protocol.cohort_b, facts, credit);
        if a || b {
            let mut strata = [0_u32; 4];
            for (k, stratum) in self.protocol.strata.iter().enumerate().take(4) {
                let v = stratum_value(*stratum, facts);
                let (index, values) = &mut self.interned[k];
                let next = values.len() as u32;
                let i = *index.entry(v.clone()).or_insert_with(|| {
                    values.push(v);
                    next
                });
                strata[k] = i;
            }
            self.rows.push(Observation {
                metric,
                unit,
                value,
                a,
                b,
                strata,
            });
        }
    }
}

/// A ticket's facts and projection as a bake-off reads them (from the database or, in the
/// service, from the metrics store: [`crate::metrics::store::Reader::bake_off_tickets`]).
/// Instants in whole seconds since the Unix epoch (UTC, floored), durations in business seconds
/// on the ticket's own calendar.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    /// The ticket id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// `tickets.source` (`None`: the company's own).
    #[diesel(sql_type = Nullable<Text>)]
    pub source: Option<String>,
    /// `tickets.organization_id`, `tickets.site_id`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub organization_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub site_id: Option<i64>,
    /// `tickets.channel`, `tickets.category`, `tickets.priority` as text.
    #[diesel(sql_type = Nullable<Text>)]
    pub channel: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub category: Option<String>,
    #[diesel(sql_type = Text)]
    pub priority: String,
    /// `tickets.created_at`.
    #[diesel(sql_type = BigInt)]
    pub created: i64,
    /// `ticket_metrics.first_reply_at` and `first_reply_business_seconds`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub first_reply_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub frt_business: Option<i64>,
    /// `ticket_metrics.latest_solved_at` and `full_resolution_business_seconds`.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub latest_solved_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub full_resolution_business: Option<i64>,
    /// `ticket_metrics.reopens`.
    #[diesel(sql_type = Int4)]
    pub reopens: i32,
    /// `fcr.v1` as of the report's `as_of` (`None` when not solved or closed now).
    #[diesel(sql_type = Nullable<Bool>)]
    pub fcr: Option<bool>,
    /// The first reply's team and agent's employment type at the reply.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub first_reply_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub first_reply_employment: Option<String>,
    /// The team and assignee's employment type at the latest solve.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub solved_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub solved_employment: Option<String>,
    /// Per SLA outcome in the period and by `as_of`: achieved.
    #[diesel(sql_type = Array<Bool>)]
    pub sla_achieved: Vec<bool>,
    /// Whom the ticket's SLA attainment is credited to: the team and assignee of its last
    /// outcome in the period and by `as_of` (by instant, then achieved after breached, then
    /// team and assignee with none first), at that outcome's instant (`sla_at`, whole seconds;
    /// docs/METRICS.md §7). `None` without an outcome.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sla_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sla_assignee_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub sla_at: Option<i64>,
}

#[derive(QueryableByName)]
struct SurveyRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    solved_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    team_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    assignee_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    source: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    organization_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    site_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    channel: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Text)]
    priority: String,
    #[diesel(sql_type = Nullable<Bool>)]
    responded: Option<bool>,
    #[diesel(sql_type = Nullable<Int2>)]
    csat_score: Option<i16>,
}

#[derive(QueryableByName)]
struct WorkOrderRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    source: Option<String>,
    #[diesel(sql_type = BigInt)]
    organization_id: i64,
    #[diesel(sql_type = BigInt)]
    site_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    channel: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Text)]
    priority: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    technician_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    employment: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    finished_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    on_site_at: Option<i64>,
    #[diesel(sql_type = Bool)]
    ended_first_visit: bool,
    #[diesel(sql_type = Bool)]
    fixed: bool,
    #[diesel(sql_type = Nullable<Bool>)]
    arrival_window_met: Option<bool>,
    #[diesel(sql_type = Nullable<BigInt>)]
    wrench_seconds: Option<i64>,
}

/// Why the observations cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The protocol's calendar does not exist.
    #[error("no business calendar {0}")]
    UnknownCalendar(i64),
    /// A database error.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn the_calendar(
    conn: &mut PgConnection,
    id: i64,
) -> Result<(BusinessCalendar, String), InputError> {
    use crate::models::calendar::{CalendarRow, to_domain};
    use crate::schema::business_calendars as c;
    let row: CalendarRow = c::table
        .find(id)
        .select(CalendarRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(InputError::UnknownCalendar(id))?;
    Ok((to_domain(&row)?, row.name.clone()))
}

fn instant(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// Reads the observations of `protocol` as of `as_of` in the caller's transaction (run it under
/// `REPEATABLE READ` so the reads share one snapshot); with `store` (a metrics-store read in that
/// snapshot: [`crate::metrics::store::MetricsStore::read`]) the tickets' facts come from the
/// store, the same values the SQL reads, in one pass over its packed rows. Only events by `as_of` count; the look-ups
/// (FCR's 7 days, first-time fix's 30, SLA clocks running past due) see only rows that existed by
/// then.
///
/// # Errors
/// [`InputError::UnknownCalendar`]; database errors.
pub fn load(
    conn: &mut PgConnection,
    protocol: &Protocol,
    as_of: DateTime<Utc>,
    store: Option<&crate::metrics::store::Reader<'_>>,
) -> Result<Observations, InputError> {
    let calendar = protocol
        .calendar
        .map(|id| the_calendar(conn, id))
        .transpose()?;
    let mut c = Collector {
        protocol,
        periods: Periods::load(conn)?,
        rows: Vec::new(),
        interned: protocol
            .strata
            .iter()
            .map(|_| (HashMap::new(), Vec::new()))
            .collect(),
    };
    let (start, end) = (protocol.period.start, protocol.period.end);
    let src_a = protocol.cohort_a.source.as_deref();
    let src_b = protocol.cohort_b.source.as_deref();
    let in_period =
        |t: i64| t >= start.timestamp() && t < end.timestamp() && t <= as_of.timestamp();

    if [
        BakeOffMetric::FirstReplyTime,
        BakeOffMetric::FullResolutionTime,
        BakeOffMetric::ReopenRate,
        BakeOffMetric::FirstContactResolution,
        BakeOffMetric::SlaAttainment,
    ]
    .iter()
    .any(|m| c.wants(*m))
    {
        let query = TicketQuery {
            sources: [src_a, src_b],
            start,
            end,
            as_of,
            sla: c.wants(BakeOffMetric::SlaAttainment),
            fcr: c.wants(BakeOffMetric::FirstContactResolution),
        };
        let calendar = calendar.as_ref().map(|(c, _)| c);
        let mut visit =
            |facts: TicketFacts| ticket_observations(&mut c, facts, calendar, &in_period);
        match store {
            Some(reader) => reader.bake_off_tickets(&query, &mut visit),
            None => ticket_sql::read(conn, &query, &mut visit)?,
        }
    }

    if c.wants(BakeOffMetric::Csat) || c.wants(BakeOffMetric::CsatResponseRate) {
        // A ticket's rating is its most recently answered survey (docs/METRICS.md §9).
        let sql = "SELECT s.id, floor(extract(epoch FROM s.solved_at))::int8 AS solved_at,
                    s.team_id, s.assignee_id, t.source, t.organization_id, t.site_id,
                    t.channel::text AS channel, t.category, t.priority::text AS priority,
                    CASE WHEN s.sent_at >= $2 AND s.sent_at < $3 AND s.sent_at <= $4
                         THEN (s.answered_at IS NOT NULL AND s.score IS NOT NULL
                               AND s.answered_at <= $4) END AS responded,
                    CASE WHEN s.answered_at >= $2 AND s.answered_at < $3 AND s.answered_at <= $4
                              AND NOT EXISTS (
                                  SELECT 1 FROM surveys l
                                   WHERE l.ticket_id = s.ticket_id AND l.score IS NOT NULL
                                     AND l.answered_at <= $4
                                     AND (l.answered_at, l.id) > (s.answered_at, s.id))
                         THEN s.score END AS csat_score
               FROM surveys s JOIN tickets t ON t.id = s.ticket_id
              WHERE (t.source IS NOT DISTINCT FROM $1 OR t.source IS NOT DISTINCT FROM $5)
                AND t.merged_into_id IS NULL
                AND ((s.sent_at >= $2 AND s.sent_at < $3)
                     OR (s.answered_at >= $2 AND s.answered_at < $3 AND s.score IS NOT NULL))
              ORDER BY s.id";
        let rows = diesel::sql_query(sql)
            .bind::<Nullable<Text>, _>(src_a)
            .bind::<Timestamptz, _>(start)
            .bind::<Timestamptz, _>(end)
            .bind::<Timestamptz, _>(as_of)
            .bind::<Nullable<Text>, _>(src_b)
            .load::<SurveyRow>(conn)?;
        for r in rows {
            let facts = Facts {
                source: r.source,
                organization: r.organization_id,
                site: r.site_id,
                channel: r.channel,
                category: r.category,
                priority: Some(r.priority),
            };
            let employment = r
                .assignee_id
                .and_then(|u| c.periods.employment_at(u, r.solved_at))
                .map(str::to_string);
            let periods = std::mem::take(&mut c.periods);
            let credit = periods.credit(r.team_id, employment, false, r.solved_at);
            if let (Some(responded), true) = (r.responded, c.wants(BakeOffMetric::CsatResponseRate))
            {
                c.push(
                    BakeOffMetric::CsatResponseRate,
                    r.id,
                    i64::from(responded),
                    &facts,
                    &credit,
                );
            }
            if let (Some(score), true) = (r.csat_score, c.wants(BakeOffMetric::Csat)) {
                c.push(
                    BakeOffMetric::Csat,
                    r.id,
                    i64::from(score >= 4),
                    &facts,
                    &credit,
                );
            }
            c.periods = periods;
        }
    }

    if c.wants(BakeOffMetric::FirstTimeFix)
        || c.wants(BakeOffMetric::ArrivalWindowMet)
        || c.wants(BakeOffMetric::WrenchTime)
    {
        let sql = format!(
            "SELECT wm.work_order_id AS id, t.source, wm.organization_id, wm.site_id,
                    t.channel::text AS channel, t.category, t.priority::text AS priority,
                    wm.technician_team_id, wm.technician_employment_type::text AS employment,
                    floor(extract(epoch FROM wm.finished_at))::int8 AS finished_at,
                    floor(extract(epoch FROM wm.on_site_at))::int8 AS on_site_at,
                    (wm.first_visit AND wm.status IN ('completed', 'cannot_complete'))
                        AS ended_first_visit,
                    {fixed} AS fixed,
                    wm.arrival_window_met, wm.wrench_seconds
               FROM work_order_metrics wm JOIN tickets t ON t.id = wm.ticket_id
              WHERE (t.source IS NOT DISTINCT FROM $1 OR t.source IS NOT DISTINCT FROM $5)
                AND t.merged_into_id IS NULL
                AND ((wm.finished_at >= $2 AND wm.finished_at < $3)
                     OR (wm.on_site_at >= $2 AND wm.on_site_at < $3))
              ORDER BY wm.work_order_id",
            fixed = crate::reports::inputs::ftf_fixed_as_of_sql(),
        );
        let rows = diesel::sql_query(sql)
            .bind::<Nullable<Text>, _>(src_a)
            .bind::<Timestamptz, _>(start)
            .bind::<Timestamptz, _>(end)
            .bind::<Timestamptz, _>(as_of)
            .bind::<Nullable<Text>, _>(src_b)
            .load::<WorkOrderRow>(conn)?;
        let periods = std::mem::take(&mut c.periods);
        for r in rows {
            let facts = Facts {
                source: r.source,
                organization: Some(r.organization_id),
                site: Some(r.site_id),
                channel: r.channel,
                category: r.category,
                priority: Some(r.priority),
            };
            let at = r.finished_at.or(r.on_site_at).unwrap_or(0);
            let credit = periods.credit(r.technician_team_id, r.employment, true, at);
            if let Some(finished) = r.finished_at.filter(|t| in_period(*t)) {
                let _ = finished;
                if r.ended_first_visit && c.wants(BakeOffMetric::FirstTimeFix) {
                    c.push(
                        BakeOffMetric::FirstTimeFix,
                        r.id,
                        i64::from(r.fixed),
                        &facts,
                        &credit,
                    );
                }
                if let (Some(w), true) = (r.wrench_seconds, c.wants(BakeOffMetric::WrenchTime)) {
                    c.push(BakeOffMetric::WrenchTime, r.id, w, &facts, &credit);
                }
            }
            if let (Some(_), Some(met), true) = (
                r.on_site_at.filter(|t| in_period(*t)),
                r.arrival_window_met,
                c.wants(BakeOffMetric::ArrivalWindowMet),
            ) {
                c.push(
                    BakeOffMetric::ArrivalWindowMet,
                    r.id,
                    i64::from(met),
                    &facts,
                    &credit,
                );
            }
        }
        c.periods = periods;
    }

    let mut rows = c.rows;
    rows.sort_by_key(|o| (o.metric, o.unit));
    Ok(Observations {
        rows,
        calendar_name: calendar.map(|(_, name)| name),
        strata_values: c.interned.into_iter().map(|(_, values)| values).collect(),
    })
}

fn ticket_observations(
    c: &mut Collector<'_>,
    r: TicketFacts,
    calendar: Option<&BusinessCalendar>,
    in_period: &impl Fn(i64) -> bool,
) {
    let facts = Facts {
        source: r.source,
        organization: r.organization_id,
        site: r.site_id,
        channel: r.channel,
        category: r.category,
        priority: Some(r.priority),
    };
    let periods = std::mem::take(&mut c.periods);
    // First reply time: the agent who wrote it, at the reply.
    if let (Some(at), Some(business)) = (r.first_reply_at.filter(|t| in_period(*t)), r.frt_business)
    {
        let value = calendar.map_or(business, |cal| {
            cal.business_seconds(instant(r.created), instant(at))
        });
        let credit = periods.credit(
            r.first_reply_team_id,
            r.first_reply_employment.clone(),
            false,
            at,
        );
        if c.wants(BakeOffMetric::FirstReplyTime) {
            c.push(BakeOffMetric::FirstReplyTime, r.id, value, &facts, &credit);
        }
    }
    // Resolution, reopens, FCR: the assignee at the latest solve.
    if let Some(at) = r.latest_solved_at.filter(|t| in_period(*t)) {
        let credit = periods.credit(r.solved_team_id, r.solved_employment.clone(), false, at);
        if let (Some(business), true) = (
            r.full_resolution_business,
            c.wants(BakeOffMetric::FullResolutionTime),
        ) {
            let value = calendar.map_or(business, |cal| {
                cal.business_seconds(instant(r.created), instant(at))
            });
            c.push(
                BakeOffMetric::FullResolutionTime,
                r.id,
                value,
                &facts,
                &credit,
            );
        }
        if c.wants(BakeOffMetric::ReopenRate) {
            c.push(
                BakeOffMetric::ReopenRate,
                r.id,
                i64::from(r.reopens > 0),
                &facts,
                &credit,
            );
        }
        if let (Some(fcr), true) = (r.fcr, c.wants(BakeOffMetric::FirstContactResolution)) {
            c.push(
                BakeOffMetric::FirstContactResolution,
                r.id,
                i64::from(fcr),
                &facts,
                &credit,
            );
        }
    }
    // SLA attainment, the ticket as the unit: its outcomes in the period, all achieved;
    // credited to the team and assignee of its last outcome there, at that outcome's instant
    // (docs/METRICS.md §7), with their sourcing and employment type then.
    if !r.sla_achieved.is_empty() && c.wants(BakeOffMetric::SlaAttainment) {
        let attained = r.sla_achieved.iter().all(|a| *a);
        let at = r.sla_at.unwrap_or(r.created);
        let employment = r
            .sla_assignee_id
            .and_then(|u| periods.employment_at(u, at))
            .map(String::from);
        let credit = periods.credit(r.sla_team_id, employment, false, at);
        c.push(
            BakeOffMetric::SlaAttainment,
            r.id,
            i64::from(attained),
            &facts,
            &credit,
        );
    }
    c.periods = periods;
}
