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

use super::periods::{Credit, Periods};
use super::protocol::{BakeOffMetric, Cohort, Protocol, Stratum};
use super::{beside_sql, ticket_sql};
use crate::domain::calendar::BusinessCalendar;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Nullable, Text};
use std::collections::HashMap;
use std::fmt::Write;

/// One observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The metric.
    pub metric: BakeOffMetric,
    /// The ticket id (ticket metrics), survey id (CSAT) or work order id (field metrics).
    pub unit: i64,
    /// Seconds (durations: 68 years at most, a longer one is refused with
    /// [`InputError::TooLong`]) or 1/0 (rates).
    pub value: i32,
    /// In cohort A.
    pub a: bool,
    /// In cohort B.
    pub b: bool,
    /// The value of each of the protocol's strata, in its order, as an index into
    /// [`Observations::strata_values`] (unused positions 0; 65,536 values at most, so that an
    /// observation is 24 bytes: a year at a million tickets has about six million).
    pub strata: [u16; 4],
}

const _: () = assert!(std::mem::size_of::<Observation>() == 24);

/// Everything a bake-off is computed from.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// By metric (report order), then unit.
    pub rows: Vec<Observation>,
    /// The calendar's name when the protocol names one.
    pub calendar_name: Option<String>,
    /// Per stratum of the protocol (in its order), the values met (`(none)` when absent),
    /// ascending; [`Observation::strata`] indexes them.
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

/// The facts of a ticket the cohorts' filters and the strata read, borrowed from a row or from
/// the metrics store ([`crate::metrics::store::Reader::bake_off_facts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts<'f> {
    /// `tickets.source` (`None`: the company's own).
    pub source: Option<&'f str>,
    /// The organization and site (a work order's own).
    pub organization: Option<i64>,
    pub site: Option<i64>,
    /// `channel`, `category`, `priority` as text.
    pub channel: Option<&'f str>,
    pub category: Option<&'f str>,
    pub priority: Option<&'f str>,
}

impl<'f> Facts<'f> {
    fn of_columns(t: &'f beside_sql::TicketColumns) -> Facts<'f> {
        Facts {
            source: t.source.as_deref(),
            organization: t.organization_id,
            site: t.site_id,
            channel: t.channel.as_deref(),
            category: t.category.as_deref(),
            priority: t.priority.as_deref(),
        }
    }
}

fn any_of<T: PartialEq>(list: &Option<Vec<T>>, value: Option<&T>) -> bool {
    match list {
        None => true,
        Some(list) => value.is_some_and(|v| list.contains(v)),
    }
}

fn any_text(list: &Option<Vec<String>>, value: Option<&str>) -> bool {
    match list {
        None => true,
        Some(list) => value.is_some_and(|v| list.iter().any(|l| l == v)),
    }
}

/// Whether an observation with `facts`, credited to `credit`, is in `cohort`.
fn member(cohort: &Cohort, facts: &Facts<'_>, credit: &Credit<'_>) -> bool {
    if cohort.source.as_deref() != facts.source {
        return false;
    }
    if cohort.agent_employment_type.is_some()
        && (credit.technician || credit.employment != cohort.agent_employment_type.as_deref())
    {
        return false;
    }
    if cohort.technician_employment_type.is_some()
        && (!credit.technician || credit.employment != cohort.technician_employment_type.as_deref())
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
        && any_text(&cohort.channels, facts.channel)
        && any_text(&cohort.categories, facts.category)
        && any_text(&cohort.priorities, facts.priority)
}

/// The value of `stratum` for `facts`, written into `site` when it is a number.
fn stratum_value<'a>(stratum: Stratum, facts: &Facts<'a>, site: &'a mut String) -> &'a str {
    const NONE: &str = "(none)";
    match stratum {
        Stratum::Priority => facts.priority.unwrap_or(NONE),
        Stratum::Category => facts.category.unwrap_or(NONE),
        Stratum::Channel => facts.channel.unwrap_or(NONE),
        Stratum::Site => match facts.site {
            None => NONE,
            Some(s) => {
                site.clear();
                let _ = write!(site, "{s}");
                site.as_str()
            }
        },
    }
}

struct Collector<'a> {
    protocol: &'a Protocol,
    rows: Vec<Observation>,
    /// Per stratum: value → index, and the values.
    interned: Vec<(HashMap<String, u16>, Vec<String>)>,
    /// A stratum met more values than an index holds (its name).
    overflow: Option<Stratum>,
    /// A duration longer than an observation holds (68 years) met (its metric and unit).
    too_long: Option<(BakeOffMetric, i64)>,
}

impl<'a> Collector<'a> {
    fn new(protocol: &'a Protocol, capacity: usize) -> Collector<'a> {
        Collector {
            protocol,
            rows: Vec::with_capacity(capacity),
            interned: protocol
                .strata
                .iter()
                .map(|_| (HashMap::new(), Vec::new()))
                .collect(),
            overflow: None,
            too_long: None,
        }
    }

    /// The index of value `v` of stratum `k`, interned when new (`None` past `u16::MAX`).
    fn intern(&mut self, k: usize, v: &str) -> Option<u16> {
        let (index, values) = &mut self.interned[k];
        if let Some(&i) = index.get(v) {
            return Some(i);
        }
        let next = u16::try_from(values.len()).ok()?;
        index.insert(v.to_string(), next);
        values.push(v.to_string());
        Some(next)
    }

    /// Appends `other`'s observations, their strata values interned here.
    fn absorb(&mut self, other: Collector<'_>) {
        self.overflow = self.overflow.or(other.overflow);
        self.too_long = self.too_long.or(other.too_long);
        let mut map: Vec<Vec<u16>> = Vec::new();
        for (k, (_, values)) in other.interned.iter().enumerate() {
            let mut m = Vec::with_capacity(values.len());
            for v in values {
                match self.intern(k, v) {
                    Some(i) => m.push(i),
                    None => {
                        self.overflow = self.protocol.strata.get(k).copied();
                        return;
                    }
                }
            }
            map.push(m);
        }
        self.rows.reserve(other.rows.len());
        for mut o in other.rows {
            for (k, m) in map.iter().enumerate() {
                o.strata[k] = m.get(usize::from(o.strata[k])).copied().unwrap_or(0);
            }
            self.rows.push(o);
        }
    }

    fn wants(&self, metric: BakeOffMetric) -> bool {
        self.protocol.metrics.contains(&metric)
    }

    fn wants_surveys(&self) -> bool {
        self.wants(BakeOffMetric::Csat) || self.wants(BakeOffMetric::CsatResponseRate)
    }

    /// Orders each stratum's values ascending, the observations' indexes with them: the
    /// values do not depend on the order the rows were read in.
    fn sort_strata(&mut self) {
        for (k, (index, values)) in self.interned.iter_mut().enumerate() {
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_by(|&x, &y| values[x].cmp(&values[y]));
            // old index → new index (at most 65,536 values: they fit u16).
            let mut to = vec![0_u16; values.len()];
            for (new, &old) in order.iter().enumerate() {
                to[old] = u16::try_from(new).unwrap_or(u16::MAX);
            }
            for o in &mut self.rows {
                o.strata[k] = to.get(usize::from(o.strata[k])).copied().unwrap_or(0);
            }
            let sorted: Vec<String> = order.iter().map(|&i| values[i].clone()).collect();
            for (v, i) in index.iter_mut() {
                if let Ok(p) = sorted.binary_search(v) {
                    *i = u16::try_from(p).unwrap_or(u16::MAX);
                }
            }
            *values = sorted;
        }
    }

    fn push(
        &mut self,
        metric: BakeOffMetric,
        unit: i64,
        value: i64,
        facts: &Facts<'_>,
        credit: &Credit<'_>,
    ) {
        let a = member(&self.protocol.cohort_a, facts, credit);
        let b = member(&self.protocol.cohort_b, facts, credit);
        if a || b {
            let Ok(value) = i32::try_from(value) else {
                self.too_long = self.too_long.or(Some((metric, unit)));
                return;
            };
            let mut strata = [0_u16; 4];
            let mut site = String::new();
            for (k, stratum) in self.protocol.strata.iter().enumerate().take(4) {
                let v = stratum_value(*stratum, facts, &mut site);
                let Some(i) = self.intern(k, v) else {
                    self.overflow = Some(*stratum);
                    return;
                };
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

/// Why the observations cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The protocol's calendar does not exist.
    #[error("no business calendar {0}")]
    UnknownCalendar(i64),
    /// A stratum has more than 65,536 values (sites, say): too many to report.
    #[error("stratum {0:?} has more than 65,536 values")]
    TooManyStrata(Stratum),
    /// A duration of 68 years or more (of the metric, for the ticket, survey or work order):
    /// the data holds an instant far out of place.
    #[error("a {metric} of {1} is 68 years or longer", metric = .0.id())]
    TooLong(BakeOffMetric, i64),
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

/// A row's ticket: joined (`t`), or from the store (absent there: merged, a duplicate in no
/// figure).
fn facts_of<'a>(
    store: Option<&'a crate::metrics::store::Reader<'_>>,
    ticket_id: i64,
    t: &'a Option<Box<beside_sql::TicketColumns>>,
) -> Option<Facts<'a>> {
    match (store, t) {
        (_, Some(t)) => Some(Facts::of_columns(t)),
        (Some(reader), None) => reader.bake_off_facts(ticket_id),
        (None, None) => None,
    }
}

/// The observations of the work orders and (with `surveys`) the surveys the protocol's metrics
/// need, read chunk by chunk (`joined`: each row with its ticket; otherwise the ticket's facts
/// from `store`).
fn beside<'p>(
    conn: &mut PgConnection,
    protocol: &'p Protocol,
    q: &TicketQuery<'_>,
    periods: &Periods,
    store: Option<&crate::metrics::store::Reader<'_>>,
    joined: beside_sql::Joined,
    surveys: bool,
) -> QueryResult<Collector<'p>> {
    let mut c = Collector::new(protocol, 0);
    let in_period =
        |t: i64| t >= q.start.timestamp() && t < q.end.timestamp() && t <= q.as_of.timestamp();
    if surveys && c.wants_surveys() {
        beside_sql::surveys(conn, q, joined, &mut |chunk| {
            for (r, t) in chunk {
                if let Some(facts) = facts_of(store, r.ticket_id, t) {
                    survey_observations(&mut c, periods, r, &facts);
                }
            }
        })?;
    }
    if c.wants(BakeOffMetric::FirstTimeFix)
        || c.wants(BakeOffMetric::ArrivalWindowMet)
        || c.wants(BakeOffMetric::WrenchTime)
    {
        beside_sql::work_orders(conn, q, joined, &mut |chunk| {
            for (r, t) in chunk {
                if let Some(ticket) = facts_of(store, r.ticket_id, t) {
                    work_order_observations(&mut c, periods, r, ticket, &in_period);
                }
            }
        })?;
    }
    Ok(c)
}

/// A survey's observations: the response rate's (sent in the period) and CSAT's (the ticket's
/// rating, answered in the period), credited to the team and assignee at the solve surveyed.
fn survey_observations(
    c: &mut Collector<'_>,
    periods: &Periods,
    r: &beside_sql::SurveyRow,
    facts: &Facts<'_>,
) {
    let employment = r
        .assignee_id
        .and_then(|u| periods.employment_at(u, r.solved_at));
    let credit = periods.credit(r.team_id, employment, false, r.solved_at);
    if let (Some(responded), true) = (r.responded, c.wants(BakeOffMetric::CsatResponseRate)) {
        c.push(
            BakeOffMetric::CsatResponseRate,
            r.id,
            i64::from(responded),
            facts,
            &credit,
        );
    }
    if let (Some(score), true) = (r.csat_score, c.wants(BakeOffMetric::Csat)) {
        c.push(
            BakeOffMetric::Csat,
            r.id,
            i64::from(score >= 4),
            facts,
            &credit,
        );
    }
}

/// A work order's observations, credited to its technician at the finish (the work order's
/// own organization and site as its facts).
fn work_order_observations(
    c: &mut Collector<'_>,
    periods: &Periods,
    r: &beside_sql::WorkOrderRow,
    ticket: Facts<'_>,
    in_period: &impl Fn(i64) -> bool,
) {
    let facts = Facts {
        organization: Some(r.organization_id),
        site: Some(r.site_id),
        ..ticket
    };
    let at = r.finished_at.or(r.on_site_at).unwrap_or(0);
    let credit = periods.credit(r.technician_team_id, r.employment.as_deref(), true, at);
    if r.finished_at.is_some_and(in_period) {
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
    if let (true, Some(met), true) = (
        r.on_site_at.is_some_and(in_period),
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

/// Reads the observations of `protocol` as of `as_of` in the caller's transaction (run it under
/// `REPEATABLE READ` so the reads share one snapshot); with `store` (a metrics-store read in that
/// snapshot: [`crate::metrics::store::MetricsStore::read`]) the tickets' facts come from the
/// store, the same values the SQL reads, in one pass over its packed rows, while another thread
/// reads the surveys and work orders from the database, chunk by chunk, and turns them into
/// observations (their tickets' facts from the store too). Only events by `as_of` count; the
/// look-ups (FCR's 7 days, first-time fix's 30, SLA clocks running past due) see only rows that
/// existed by then.
///
/// # Errors
/// [`InputError::UnknownCalendar`], [`InputError::TooManyStrata`]; database errors.
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
    let periods = Periods::load(conn)?;
    let wants = |m: BakeOffMetric| protocol.metrics.contains(&m);
    let ticket_metrics = [
        BakeOffMetric::FirstReplyTime,
        BakeOffMetric::FullResolutionTime,
        BakeOffMetric::ReopenRate,
        BakeOffMetric::FirstContactResolution,
        BakeOffMetric::SlaAttainment,
    ];
    let wants_tickets = ticket_metrics.iter().any(|m| wants(*m));
    // Room for the observations, reserved once: every ticket's, one and a half surveys per
    // ticket and a work order per four (pages never written are never allocated), so that the
    // rows are not copied as they grow.
    let hint = store.map_or(0, |r| {
        let per = |metrics: &[BakeOffMetric]| metrics.iter().filter(|m| wants(**m)).count();
        let n = r.ticket_count();
        n * per(&ticket_metrics)
            + n * 3 / 2 * per(&[BakeOffMetric::Csat, BakeOffMetric::CsatResponseRate])
            + n / 4
                * per(&[
                    BakeOffMetric::FirstTimeFix,
                    BakeOffMetric::ArrivalWindowMet,
                    BakeOffMetric::WrenchTime,
                ])
    });
    let mut c = Collector::new(protocol, hint);
    let (start, end) = (protocol.period.start, protocol.period.end);
    let in_period =
        |t: i64| t >= start.timestamp() && t < end.timestamp() && t <= as_of.timestamp();
    let query = TicketQuery {
        sources: [
            protocol.cohort_a.source.as_deref(),
            protocol.cohort_b.source.as_deref(),
        ],
        start,
        end,
        as_of,
        sla: wants(BakeOffMetric::SlaAttainment),
        fcr: wants(BakeOffMetric::FirstContactResolution),
    };
    let cal = calendar.as_ref().map(|(c, _)| c);
    let side = match store {
        Some(reader) => std::thread::scope(|scope| {
            // PostgreSQL reads the surveys and work orders (and this second thread turns them
            // into observations) while this one passes over the store's tickets.
            let side = scope.spawn(|| {
                let started = std::time::Instant::now();
                let side = beside(
                    conn,
                    protocol,
                    &query,
                    &periods,
                    Some(reader),
                    beside_sql::Joined::No,
                    false,
                );
                crate::monitoring::phase_done(started, "bake-off work orders read");
                side
            });
            let started = std::time::Instant::now();
            if wants_tickets {
                reader.bake_off_tickets(&query, &mut |facts: TicketFacts| {
                    ticket_observations(&mut c, &periods, &facts, cal, &in_period);
                });
            }
            if c.wants_surveys() {
                reader.bake_off_surveys(&query, &mut |r, facts| {
                    survey_observations(&mut c, &periods, r, &facts);
                });
            }
            crate::monitoring::phase_done(started, "bake-off store pass");
            side.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?,
        None => {
            if wants_tickets {
                ticket_sql::read(conn, &query, &mut |facts: TicketFacts| {
                    ticket_observations(&mut c, &periods, &facts, cal, &in_period);
                })?;
            }
            beside(
                conn,
                protocol,
                &query,
                &periods,
                None,
                beside_sql::Joined::Tickets,
                true,
            )?
        }
    };
    let started = std::time::Instant::now();
    c.absorb(side);
    if let Some(stratum) = c.overflow {
        return Err(InputError::TooManyStrata(stratum));
    }
    if let Some((metric, unit)) = c.too_long {
        return Err(InputError::TooLong(metric, unit));
    }
    c.sort_strata();
    let mut rows = c.rows;
    // (metric, unit) is unique: the unstable sort orders as a stable one would, in place.
    rows.sort_unstable_by_key(|o| (o.metric, o.unit));
    crate::monitoring::phase_done(started, "bake-off observations merged and sorted");
    Ok(Observations {
        rows,
        calendar_name: calendar.map(|(_, name)| name),
        strata_values: c.interned.into_iter().map(|(_, values)| values).collect(),
    })
}

fn ticket_observations(
    c: &mut Collector<'_>,
    periods: &Periods,
    r: &TicketFacts,
    calendar: Option<&BusinessCalendar>,
    in_period: &impl Fn(i64) -> bool,
) {
    let facts = Facts {
        source: r.source.as_deref(),
        organization: r.organization_id,
        site: r.site_id,
        channel: r.channel.as_deref(),
        category: r.category.as_deref(),
        priority: Some(r.priority.as_str()),
    };
    // First reply time: the agent who wrote it, at the reply.
    if let (Some(at), Some(business)) = (r.first_reply_at.filter(|t| in_period(*t)), r.frt_business)
    {
        let value = calendar.map_or(business, |cal| {
            cal.business_seconds(instant(r.created), instant(at))
        });
        let credit = periods.credit(
            r.first_reply_team_id,
            r.first_reply_employment.as_deref(),
            false,
            at,
        );
        if c.wants(BakeOffMetric::FirstReplyTime) {
            c.push(BakeOffMetric::FirstReplyTime, r.id, value, &facts, &credit);
        }
    }
    // Resolution, reopens, FCR: the assignee at the latest solve.
    if let Some(at) = r.latest_solved_at.filter(|t| in_period(*t)) {
        let credit = periods.credit(r.solved_team_id, r.solved_employment.as_deref(), false, at);
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
        let employment = r.sla_assignee_id.and_then(|u| periods.employment_at(u, at));
        let credit = periods.credit(r.sla_team_id, employment, false, at);
        c.push(
            BakeOffMetric::SlaAttainment,
            r.id,
            i64::from(attained),
            &facts,
            &credit,
        );
    }
}

#[cfg(test)]
#[path = "inputs_tests.rs"]
mod tests;
