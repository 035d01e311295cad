//! The metric aggregates in SQL over `ticket_metrics`, `tickets` and `ticket_sla_clocks`
//! (docs/METRICS.md §5 and §7: half-open periods `[from, to)`, `percentile_cont`): the
//! reference the in-memory store ([`crate::metrics::store`], which serves the requests) is tested
//! against in `tests/api/metrics_store.rs`, in the same snapshot.
//!
//! Not in the shipped binary: compiled only with the `sql-reference` feature, which the test
//! targets turn on (Cargo.toml: the package's dev-dependency on itself).

use crate::domain::calendar::BusinessCalendar;
use crate::domain::stats::{DurationStats, Rate};
use crate::metrics::one_calendar::OneCalendar;
use crate::metrics::types::{
    ContactRates, Dimension, FieldFigures, GroupReport, MetricFilters, Nps, ReportOptions,
    Satisfaction, Summary, TimeBasis, empty_summary, field_applies, group_order,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Timestamptz};

mod field;
mod satisfaction;

pub use field::{FieldGroup, field_by};
pub use satisfaction::satisfaction_by;

#[derive(QueryableByName)]
struct AttainmentRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    achieved: i64,
    #[diesel(sql_type = BigInt)]
    breached: i64,
}

/// SLA attainment (docs/METRICS.md §6 `sla_attainment`: targets achieved / (achieved + breached))
/// of `[from, to)` at instant `now`, per group: group key → (label, attainment). A target falls in
/// the bucket of the instant it was achieved or breached, and in the dimension value of its ticket
/// (as [`figures_by`] groups tickets), credited to the team and assignee at that instant
/// (docs/METRICS.md §7: `ticket_sla_clocks.outcome_team_id`, `outcome_assignee_id`, with the
/// sourcing and employment type of that instant). Groups without any outcome in the period are
/// absent.
///
/// # Errors
/// Database errors.
pub fn sla_attainment_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<GroupMap<Rate>> {
    let joins = joins(OUTCOME);
    let (key, label) = grouping.key_sql("sla.at", 4, OUTCOME);
    let (conditions, values) = filters.sql(5, OUTCOME);
    // Each clock gives up to two outcomes: achieved at its fulfilment (unless it breached), and
    // breached at its breach instant, or at its due instant when it still runs past it at `now`.
    // The ticket is joined only to group or filter by it.
    // (Always: every query filters by data set.)
    let ticket_join = "JOIN tickets t ON t.id = sla.ticket_id";
    // One branch per outcome, each a range over its own index (ticket_sla_clocks_fulfilled_idx,
    // _breached_idx, _due_idx), so that a period reads only its own outcomes.
    let sql = format!(
        "SELECT {key} AS key, {label} AS label,
                count(*) FILTER (WHERE sla.achieved) AS achieved,
                count(*) FILTER (WHERE NOT sla.achieved) AS breached
           FROM (SELECT c.ticket_id, TRUE AS achieved, c.fulfilled_at AS at,
                        c.outcome_team_id AS team_id, c.outcome_assignee_id AS assignee_id
                   FROM ticket_sla_clocks c
                  WHERE c.fulfilled_at >= $1 AND c.fulfilled_at < $2 AND c.breached_at IS NULL
                 UNION ALL
                 SELECT c.ticket_id, FALSE, c.breached_at, c.outcome_team_id, c.outcome_assignee_id
                   FROM ticket_sla_clocks c
                  WHERE c.breached_at >= $1 AND c.breached_at < $2
                 UNION ALL
                 SELECT c.ticket_id, FALSE, c.due_at, c.outcome_team_id, c.outcome_assignee_id
                   FROM ticket_sla_clocks c
                  WHERE c.running AND c.breached_at IS NULL AND c.due_at >= $1 AND c.due_at < $2
                    AND c.due_at <= $3) AS sla
           {ticket_join}
           {joins}
          WHERE $4::text IS NOT NULL{conditions}
          GROUP BY 1, 2"
    );
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<Timestamptz, _>(now)
        .bind::<diesel::sql_types::Text, _>(grouping.zone());
    let rows: Vec<AttainmentRow> = bind_filters(query, values).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.key,
                (r.label, Rate::new(r.achieved, r.achieved + r.breached)),
            )
        })
        .collect())
}

/// Per-group results: group key (`None` for tickets without a value) → (label, value).
pub type GroupMap<T> = std::collections::BTreeMap<Option<String>, (Option<String>, T)>;

#[derive(QueryableByName)]
struct SolvedContactRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    resolved: i64,
    #[diesel(sql_type = BigInt)]
    one_touch: i64,
    #[diesel(sql_type = BigInt)]
    one_touch_strict: i64,
    #[diesel(sql_type = BigInt)]
    fcr: i64,
}

#[derive(QueryableByName)]
struct CreatedContactRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    created: i64,
    #[diesel(sql_type = BigInt)]
    repeats: i64,
}

/// The contact-quality rates of `[from, to)` per group: group key → (label, rates). The 7-day
/// windows of `fcr.v1` and `repeat_contact.v1` compare tickets of the same requester and
/// category (tickets without a requester can never be repeats). `one_touch`, `one_touch_strict` and
/// `fcr` fall in the bucket of the ticket's latest solve, `repeat_contact` in the bucket of its
/// creation; dimensions are the ticket's, as in [`figures_by`]. Groups with neither a solved nor
/// a created ticket in the period are absent.
///
/// # Errors
/// Database errors.
pub fn contact_rates_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<GroupMap<ContactRates>> {
    let (conditions, values) = filters.sql(4, SOLVED);
    // The 7-day look-ups are index ranges (tickets_requester_category_created_idx and
    // tickets_requester_category_solved_idx): categories are compared with `=` and, for tickets
    // without one, `IS NULL` in a second branch (`IS NOT DISTINCT FROM` cannot use an index, and
    // a requester with thousands of tickets then made the rate quadratic). `tickets.solved_at` is
    // the latest solve, the same instant as `ticket_metrics.latest_solved_at` (both are set by
    // every change to `solved`).
    let solved_joins = joins(SOLVED);
    let (key, label) = grouping.key_sql("m.latest_solved_at", 3, SOLVED);
    let solved_sql = format!(
        "SELECT {key} AS key, {label} AS label,
                count(*) FILTER (WHERE m.one_touch IS NOT NULL) AS resolved,
                count(*) FILTER (WHERE m.one_touch) AS one_touch,
                count(*) FILTER (WHERE m.one_touch_strict) AS one_touch_strict,
                count(*) FILTER (WHERE m.fcr_candidate AND (t.requester_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category = t.category
                       AND t2.id <> t.id
                       AND t2.created_at > m.latest_solved_at
                       AND t2.created_at <= m.latest_solved_at + interval '7 days')
                   AND NOT (t.category IS NULL AND EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category IS NULL
                       AND t2.id <> t.id
                       AND t2.created_at > m.latest_solved_at
                       AND t2.created_at <= m.latest_solved_at + interval '7 days')))) AS fcr
           FROM ticket_metrics m JOIN tickets t ON t.id = m.ticket_id
           {solved_joins}
          WHERE m.latest_solved_at >= $1 AND m.latest_solved_at < $2
            AND $3::text IS NOT NULL{conditions}
          GROUP BY 1, 2"
    );
    let created_joins = joins(CREATED);
    let (created_conditions, created_values) = filters.sql(4, CREATED);
    let (key, label) = grouping.key_sql("t.created_at", 3, CREATED);
    let created_sql = format!(
        "SELECT {key} AS key, {label} AS label, count(*) AS created,
                count(*) FILTER (WHERE t.requester_id IS NOT NULL AND (EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category = t.category
                       AND t2.id <> t.id
                       AND t2.solved_at < t.created_at
                       AND t2.solved_at >= t.created_at - interval '7 days')
                   OR (t.category IS NULL AND EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category IS NULL
                       AND t2.id <> t.id
                       AND t2.solved_at < t.created_at
                       AND t2.solved_at >= t.created_at - interval '7 days')))) AS repeats
           FROM tickets t
           LEFT JOIN ticket_metrics m ON m.ticket_id = t.id
           {created_joins}
          WHERE t.created_at >= $1 AND t.created_at < $2
            AND $3::text IS NOT NULL{created_conditions}
          GROUP BY 1, 2"
    );
    let bind = |sql: String, values| {
        let query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .bind::<diesel::sql_types::Text, _>(grouping.zone());
        bind_filters(query, values)
    };
    let solved: Vec<SolvedContactRow> = bind(solved_sql, values).load(conn)?;
    let created: Vec<CreatedContactRow> = bind(created_sql, created_values).load(conn)?;
    let mut out: GroupMap<ContactRates> = GroupMap::new();
    for r in solved {
        let (_, rates) = out
            .entry(r.key)
            .or_insert_with(|| (r.label.clone(), ContactRates::empty()));
        rates.one_touch = Rate::new(r.one_touch, r.resolved);
        rates.one_touch_strict = Rate::new(r.one_touch_strict, r.resolved);
        rates.fcr = Rate::new(r.fcr, r.resolved);
    }
    for r in created {
        let (label, rates) = out
            .entry(r.key)
            .or_insert_with(|| (None, ContactRates::empty()));
        if label.is_none() {
            *label = r.label;
        }
        rates.repeat_contact = Rate::new(r.repeats, r.created);
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct HoldRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    reason: String,
    #[diesel(sql_type = BigInt)]
    tickets: i64,
    #[diesel(sql_type = BigInt)]
    seconds: i64,
}

/// `on_hold.v1` by pause reason over tickets whose latest solve is in `[from, to)`:
/// reason → (tickets that spent time on hold for it, total calendar seconds).
///
/// # Errors
/// Database errors.
pub fn hold_reasons(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filters: &MetricFilters,
) -> QueryResult<std::collections::BTreeMap<String, (i64, i64)>> {
    let joins = joins(SOLVED);
    let (conditions, values) = filters.sql(3, SOLVED);
    let sql = format!(
        "SELECT r.key AS reason, count(*) AS tickets, sum(r.value::bigint)::bigint AS seconds
           FROM ticket_metrics m
           JOIN tickets t ON t.id = m.ticket_id
           {joins}
           CROSS JOIN LATERAL jsonb_each_text(m.on_hold_by_reason) r
          WHERE m.latest_solved_at >= $1 AND m.latest_solved_at < $2
            AND m.on_hold_by_reason <> '{{}}'::jsonb{conditions}
          GROUP BY r.key"
    );
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to);
    let rows: Vec<HoldRow> = bind_filters(query, values).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.reason, (r.tickets, r.seconds)))
        .collect())
}

/// A value bound by a filter.
enum FilterValue {
    Id(i64),
    Text(String),
    MaybeText(Option<String>),
    /// A `bigint[]`.
    Ids(Vec<i64>),
    /// A `bigint[]` with NULLs.
    MaybeIds(Vec<Option<i64>>),
}

/// Whom a query's figures are credited to (docs/METRICS.md §7, "Attribution"): SQL of the
/// credited team and agent ids and of the sourcing and employment type (text). The joins of
/// [`joins`] name the credited team `tm` and staff member `u`.
#[derive(Debug, Clone, Copy)]
struct Credit {
    team: &'static str,
    agent: &'static str,
    sourcing: &'static str,
    employment: &'static str,
}

/// Volumes and repeat contacts: the team at creation (no agent).
const CREATED: Credit = Credit {
    team: "m.created_team_id",
    agent: "NULL::bigint",
    sourcing: "m.created_sourcing::text",
    employment: "NULL::text",
};

/// `frt.v1`: the replying agent and their team at the reply.
const FIRST_REPLY: Credit = Credit {
    team: "m.first_reply_team_id",
    agent: "m.first_reply_agent_id",
    sourcing: "m.first_reply_sourcing::text",
    employment: "m.first_reply_agent_employment::text",
};

/// Resolution figures: the assignee and team at the latest solve.
const SOLVED: Credit = Credit {
    team: "m.solved_team_id",
    agent: "m.solved_assignee_id",
    sourcing: "m.solved_sourcing::text",
    employment: "m.solved_assignee_employment::text",
};

/// SLA attainment: the team and assignee at the outcome's instant (`sla.at`), with that team's
/// sourcing and that assignee's employment type then (the periods in force at the instant).
/// `t.id IS NOT NULL` (always true: `t` is the outcome's ticket) ties the look-ups to the join
/// with the ticket, so that a filter on them is not applied to the outcomes before it: with its
/// default estimate there, PostgreSQL chose a nested loop over every outcome and ticket.
const OUTCOME: Credit = Credit {
    team: "sla.team_id",
    agent: "sla.assignee_id",
    sourcing: "(SELECT p.sourcing::text FROM team_sourcing_periods p
                  WHERE p.team_id = sla.team_id AND p.valid_from <= sla.at AND t.id IS NOT NULL
                  ORDER BY p.valid_from DESC LIMIT 1)",
    employment: "(SELECT p.employment_type::text FROM user_periods p
                    WHERE p.user_id = sla.assignee_id AND p.valid_from <= sla.at
                      AND t.id IS NOT NULL
                    ORDER BY p.valid_from DESC LIMIT 1)",
};

/// Satisfaction: the survey's team and assignee (at the solve surveyed), with that team's
/// sourcing and that assignee's employment type at the solve (the periods in force then).
const SURVEY: Credit = Credit {
    team: "sv.team_id",
    agent: "sv.assignee_id",
    sourcing: "(SELECT p.sourcing::text FROM team_sourcing_periods p
                  WHERE p.team_id = sv.team_id AND p.valid_from <= sv.solved_at
                  ORDER BY p.valid_from DESC LIMIT 1)",
    employment: "(SELECT p.employment_type::text FROM user_periods p
                    WHERE p.user_id = sv.assignee_id AND p.valid_from <= sv.solved_at
                    ORDER BY p.valid_from DESC LIMIT 1)",
};

/// The joins of a ticket query (aliases: `t` the ticket, and `m` its projection where the
/// credit reads it, already in the query): the credited team `tm` and staff member `u`, the
/// ticket's current team `ct` and assignee `cu`, its organization `o` and site `s`.
fn joins(credit: Credit) -> String {
    format!(
        "LEFT JOIN teams tm ON tm.id = {team}
               LEFT JOIN users u ON u.id = {agent}
               LEFT JOIN teams ct ON ct.id = t.team_id
               LEFT JOIN users cu ON cu.id = t.assignee_id
               LEFT JOIN organizations o ON o.id = t.organization_id
               LEFT JOIN sites s ON s.id = t.site_id",
        team = credit.team,
        agent = credit.agent,
    )
}

impl MetricFilters {
    /// ` AND …` conditions with placeholders from `$first` on, and their values in order; the
    /// attributed filters compare `credit`.
    fn sql(&self, first: usize, credit: Credit) -> (String, Vec<FilterValue>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        let mut add = |column: &str, value: FilterValue| {
            sql.push_str(&format!(" AND {column} = ${}", first + values.len()));
            values.push(value);
        };
        if let Some(v) = self.team_id {
            add(credit.team, FilterValue::Id(v));
        }
        if let Some(v) = self.agent_id {
            add(credit.agent, FilterValue::Id(v));
        }
        if let Some(v) = self.current_team_id {
            add("t.team_id", FilterValue::Id(v));
        }
        if let Some(v) = self.current_agent_id {
            add("t.assignee_id", FilterValue::Id(v));
        }
        if let Some(v) = self.organization_id {
            add("t.organization_id", FilterValue::Id(v));
        }
        if let Some(v) = self.site_id {
            add("t.site_id", FilterValue::Id(v));
        }
        if let Some(v) = &self.channel {
            add("t.channel::text", FilterValue::Text(v.clone()));
        }
        if let Some(v) = &self.priority {
            add("t.priority::text", FilterValue::Text(v.clone()));
        }
        if let Some(v) = &self.category {
            add("t.category", FilterValue::Text(v.clone()));
        }
        if let Some(v) = &self.sourcing {
            add(credit.sourcing, FilterValue::Text(v.clone()));
        }
        if let Some(v) = &self.employment_type {
            add(credit.employment, FilterValue::Text(v.clone()));
        }
        // Always: the company's own tickets unless a data set is asked for, never a ticket
        // merged into another (a duplicate: docs/METRICS.md, merged tickets).
        sql.push_str(&format!(
            " AND t.merged_into_id IS NULL AND t.source IS NOT DISTINCT FROM ${}",
            first + values.len()
        ));
        values.push(FilterValue::MaybeText(self.source.clone()));
        (sql, values)
    }
}

fn bind_filters<'a>(
    mut query: diesel::query_builder::BoxedSqlQuery<
        'a,
        diesel::pg::Pg,
        diesel::query_builder::SqlQuery,
    >,
    values: Vec<FilterValue>,
) -> diesel::query_builder::BoxedSqlQuery<'a, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    for v in values {
        query = match v {
            FilterValue::Id(id) => query.bind::<BigInt, _>(id),
            FilterValue::Text(text) => query.bind::<diesel::sql_types::Text, _>(text),
            FilterValue::MaybeText(text) => {
                query.bind::<Nullable<diesel::sql_types::Text>, _>(text)
            }
            FilterValue::Ids(ids) => query.bind::<diesel::sql_types::Array<BigInt>, _>(ids),
            FilterValue::MaybeIds(ids) => {
                query.bind::<diesel::sql_types::Array<Nullable<BigInt>>, _>(ids)
            }
        };
    }
    query
}

/// How `GET /metrics/timeseries` and `/metrics/breakdown` group tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// Calendar buckets (`day`, `week` from Monday, `month`) in a reporting time zone; each metric
    /// falls in the bucket of its own period-membership instant.
    Bucket {
        /// `day`, `week` or `month`.
        interval: &'static str,
        /// IANA zone of the buckets (validated by the caller).
        zone: String,
    },
    /// One of the breakdown dimensions.
    Dimension(Dimension),
    /// Everything in one group: the summary (its figures when filtered, its SLA attainment and
    /// contact rates always), so that the groups of any other grouping add up to it.
    All,
}

impl Grouping {
    /// SQL of the group key and label of a row whose period-membership instant is `period` and
    /// whose figure is credited to `credit`; the reporting zone is bound at placeholder
    /// `$zone_param` (fixed strings: no user input).
    fn key_sql(&self, period: &str, zone_param: usize, credit: Credit) -> (String, String) {
        match self {
            Grouping::Bucket { interval, .. } => (
                format!(
                    "to_char(date_trunc('{interval}', {period} AT TIME ZONE ${zone_param}), \
                     'YYYY-MM-DD\"T\"HH24:MI:SS')"
                ),
                "NULL::text".to_string(),
            ),
            Grouping::Dimension(d) => d.sql(credit),
            Grouping::All => ("'all'::text".to_string(), "NULL::text".to_string()),
        }
    }

    /// The zone bound for [`Grouping::key_sql`] (UTC, unused, except for buckets).
    fn zone(&self) -> String {
        match self {
            Grouping::Bucket { zone, .. } => zone.clone(),
            _ => "UTC".to_string(),
        }
    }
}

impl Dimension {
    /// SQL of the group key and its label for a figure credited to `credit` (fixed strings: no
    /// user input).
    fn sql(self, credit: Credit) -> (String, String) {
        let (key, label) = match self {
            Dimension::Team => (format!("{}::text", credit.team), "tm.name".to_string()),
            Dimension::Agent => (format!("{}::text", credit.agent), "u.name".to_string()),
            Dimension::CurrentTeam => ("t.team_id::text".into(), "ct.name".into()),
            Dimension::CurrentAgent => ("t.assignee_id::text".into(), "cu.name".into()),
            Dimension::Organization => ("t.organization_id::text".into(), "o.name".into()),
            Dimension::Site => ("t.site_id::text".into(), "s.name".into()),
            Dimension::Channel => ("t.channel::text".into(), "t.channel::text".into()),
            Dimension::Priority => ("t.priority::text".into(), "t.priority::text".into()),
            Dimension::Category => ("t.category".into(), "t.category".into()),
            // The key matches ^[a-z][a-z0-9_]{0,39}$ (FieldKey): safe inside quotes.
            Dimension::Field(key) => {
                let value = format!("(t.custom_fields ->> '{}')", key.as_str());
                (value.clone(), value)
            }
            Dimension::Sourcing => (credit.sourcing.into(), credit.sourcing.into()),
            Dimension::EmploymentType => (credit.employment.into(), credit.employment.into()),
            // Field-only: tickets are not grouped by them.
            Dimension::Technician | Dimension::AssetKind | Dimension::TechnicianEmploymentType => {
                ("NULL::text".into(), "NULL::text".into())
            }
        };
        (key, label)
    }

    /// SQL of the group key and label of a work order (`f`: `work_order_metrics`, `t` its
    /// ticket, `o`, `s`, `u` its organization, site and technician).
    fn field_sql(self) -> (&'static str, &'static str) {
        match self {
            Dimension::Organization => ("f.organization_id::text", "o.name"),
            Dimension::Site => ("f.site_id::text", "s.name"),
            Dimension::Priority => ("t.priority::text", "t.priority::text"),
            Dimension::Technician => ("f.technician_id::text", "u.name"),
            Dimension::AssetKind => ("f.asset_kind", "f.asset_kind"),
            Dimension::TechnicianEmploymentType => (
                "f.technician_employment_type::text",
                "f.technician_employment_type::text",
            ),
            _ => ("NULL::text", "NULL::text"),
        }
    }
}

/// The figures of one group (a bucket or a dimension value).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFigures {
    /// Group key: the bucket's local start (`YYYY-MM-DDTHH:MM:SS`) or the dimension value
    /// (an id or a name); `None` for tickets without one.
    pub key: Option<String>,
    /// Human label (team or staff name…), when there is one.
    pub label: Option<String>,
    /// The figures, as in [`Summary`].
    pub figures: Summary,
}

#[derive(QueryableByName)]
struct FamilyRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    reopened: i64,
    #[diesel(sql_type = BigInt)]
    c: i64,
    #[diesel(sql_type = Nullable<Double>)]
    mean: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    p90: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    min: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    max: Option<i64>,
}

/// Aggregates `[from, to)` by `grouping`, each metric by its own period-membership instant
/// (created: `created_at`; first reply: `first_reply_at`; solved, reopen rate, full resolution:
/// `latest_solved_at`) and credited as docs/METRICS.md §7 says (volumes: the team at creation;
/// `frt.v1`: the replying agent and their team; resolution: the assignee and team at the latest
/// solve). With `calendar` and the business basis, `frt.v1` and `full_resolution.v1` are the
/// business seconds of creation → first reply and creation → latest solve on that calendar
/// (for the tickets that have a stored value). Groups with no figure at all are absent.
///
/// # Errors
/// Database errors.
pub fn figures_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    basis: TimeBasis,
    calendar: Option<&BusinessCalendar>,
) -> QueryResult<Vec<GroupFigures>> {
    use std::collections::BTreeMap;
    let suffix = match basis {
        TimeBasis::Calendar => "seconds",
        TimeBasis::Business => "business_seconds",
    };
    let calendar = calendar.filter(|_| basis == TimeBasis::Business);
    // On one calendar: each ticket's two durations, measured here and joined as `cal`.
    let (cal_join, frt, resolution) = match calendar {
        Some(_) => (
            "LEFT JOIN cal ON cal.ticket_id = m.ticket_id",
            "cal.frt".to_string(),
            "cal.resolution".to_string(),
        ),
        None => (
            "",
            format!("m.first_reply_{suffix}"),
            format!("m.full_resolution_{suffix}"),
        ),
    };
    let measured = match calendar {
        Some(cal) => Some(on_calendar(conn, cal)?),
        None => None,
    };
    // (period column, duration column or NULL, credit)
    let families = [
        ("m.created_at", "NULL::bigint".to_string(), CREATED),
        ("m.first_reply_at", frt, FIRST_REPLY),
        ("m.latest_solved_at", resolution, SOLVED),
    ];
    // Tickets are always joined (every query filters by data set).
    let ticket_join = "JOIN tickets t ON t.id = m.ticket_id";
    let mut groups: BTreeMap<Option<String>, GroupFigures> = BTreeMap::new();
    for (index, (period, value, credit)) in families.iter().enumerate() {
        let (key, label) = grouping.key_sql(period, 3, *credit);
        let zone = grouping.zone();
        let joins = joins(*credit);
        let (conditions, mut values) = filters.sql(4, *credit);
        let with = match &measured {
            Some((ids, frt, resolution)) => {
                let n = 4 + values.len();
                values.push(FilterValue::Ids(ids.clone()));
                values.push(FilterValue::MaybeIds(frt.clone()));
                values.push(FilterValue::MaybeIds(resolution.clone()));
                format!(
                    "WITH cal (ticket_id, frt, resolution) AS (
                       SELECT * FROM unnest(${n}::bigint[], ${}::bigint[], ${}::bigint[]))",
                    n + 1,
                    n + 2
                )
            }
            None => String::new(),
        };
        let sql = format!(
            "{with}
             SELECT {key} AS key, {label} AS label, count(*) AS n,
                    count(*) FILTER (WHERE m.reopens > 0) AS reopened,
                    count({value}) AS c, avg({value})::float8 AS mean,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}) AS median,
                    percentile_cont(0.9) WITHIN GROUP (ORDER BY {value}) AS p90,
                    min({value}) AS min, max({value}) AS max
               FROM ticket_metrics m
               {ticket_join}
               {cal_join}
               {joins}
              WHERE {period} >= $1 AND {period} < $2 AND $3::text IS NOT NULL{conditions}
              GROUP BY 1, 2"
        );
        let query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .bind::<diesel::sql_types::Text, _>(zone);
        let rows: Vec<FamilyRow> = bind_filters(query, values).load(conn)?;
        for r in rows {
            let entry = groups.entry(r.key.clone()).or_insert_with(|| GroupFigures {
                key: r.key.clone(),
                label: r.label.clone(),
                figures: empty_summary(),
            });
            if entry.label.is_none() {
                entry.label = r.label.clone();
            }
            let stats = DurationStats {
                count: r.c,
                mean: r.mean,
                median: r.median,
                p90: r.p90,
                min: r.min,
                max: r.max,
            };
            match index {
                0 => entry.figures.tickets_created = r.n,
                1 => entry.figures.first_reply_time = stats,
                _ => {
                    entry.figures.tickets_solved = r.n;
                    entry.figures.reopen_rate = Rate::new(r.reopened, r.n);
                    entry.figures.full_resolution_time = stats;
                }
            }
        }
    }
    let mut out: Vec<GroupFigures> = groups.into_values().collect();
    out.sort_by_key(|g| group_order(g.key.as_deref()));
    Ok(out)
}

#[derive(QueryableByName)]
struct InstantsRow {
    #[diesel(sql_type = BigInt)]
    ticket_id: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    first_reply_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    latest_solved_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    has_frt: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    has_resolution: bool,
}

/// Ticket ids with their first reply and resolution seconds (`None`: no value), in one order.
type Measured = (Vec<i64>, Vec<Option<i64>>, Vec<Option<i64>>);

/// Every ticket's `frt.v1` and `full_resolution.v1` in business seconds on `calendar`: creation
/// → first reply and creation → latest solve, for the tickets with a stored value (ids, first
/// reply, resolution; `None` without a value).
fn on_calendar(conn: &mut PgConnection, calendar: &BusinessCalendar) -> QueryResult<Measured> {
    let rows: Vec<InstantsRow> = diesel::sql_query(
        "SELECT ticket_id, created_at, first_reply_at, latest_solved_at,
                first_reply_seconds IS NOT NULL AS has_frt,
                full_resolution_seconds IS NOT NULL AS has_resolution
           FROM ticket_metrics",
    )
    .load(conn)?;
    let measure = |to: Option<DateTime<Utc>>, from: DateTime<Utc>, has: bool| {
        to.filter(|_| has)
            .map(|to| calendar.business_seconds(from, to))
    };
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        out.0.push(r.ticket_id);
        out.1
            .push(measure(r.first_reply_at, r.created_at, r.has_frt));
        out.2
            .push(measure(r.latest_solved_at, r.created_at, r.has_resolution));
    }
    Ok(out)
}

/// [`figures_by`], [`sla_attainment_by`], [`satisfaction_by`] and (optionally) [`contact_rates_by`] of `[from, to)`
/// merged per group: a group is present when any of them has a figure for it; the missing ones
/// are zero (counts and rates 0 / 0, statistics `None`). Ordered as [`figures_by`].
///
/// # Errors
/// Database errors.
pub fn report_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    options: ReportOptions,
) -> QueryResult<Vec<GroupReport>> {
    report_by_on(conn, grouping, filters, from, to, options, None)
}

/// [`report_by`] with every business duration measured on one calendar when the basis is
/// business: `frt.v1` and `full_resolution.v1` (see [`figures_by`]) and the work orders'
/// travel, wrench and arrival times as [`OneCalendar`] measured them (loaded for `[from, to)`).
///
/// # Errors
/// Database errors.
pub fn report_by_on(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    options: ReportOptions,
    one: Option<&OneCalendar>,
) -> QueryResult<Vec<GroupReport>> {
    let calendar = one.map(OneCalendar::calendar);
    use std::collections::BTreeMap;
    let wants_contact = options.contact_rates;
    let dimension = match grouping {
        Grouping::Dimension(d) => Some(*d),
        _ => None,
    };
    let field = field_applies(dimension, filters).then_some(options.ftf_days);
    let mut groups: BTreeMap<Option<String>, GroupReport> = BTreeMap::new();
    fn group(
        groups: &mut BTreeMap<Option<String>, GroupReport>,
        key: Option<String>,
        label: Option<String>,
        wants_contact: bool,
        field: Option<i64>,
    ) -> &mut GroupReport {
        let entry = groups
            .entry(key.clone())
            .or_insert_with(|| GroupReport::empty(key, wants_contact, field));
        if entry.label.is_none() {
            entry.label = label;
        }
        entry
    }
    if !dimension.is_some_and(Dimension::field_only) {
        for g in figures_by(conn, grouping, filters, from, to, options.basis, calendar)? {
            group(&mut groups, g.key, g.label, wants_contact, field).figures = g.figures;
        }
        for (key, (label, rate)) in
            sla_attainment_by(conn, grouping, filters, from, to, options.now)?
        {
            group(&mut groups, key, label, wants_contact, field).sla_attainment = rate;
        }
        if wants_contact {
            for (key, (label, rates)) in contact_rates_by(conn, grouping, filters, from, to)? {
                group(&mut groups, key, label, wants_contact, field).contact_rates = Some(rates);
            }
        }
        for (key, (label, figures)) in satisfaction_by(conn, grouping, filters, from, to)? {
            group(&mut groups, key, label, wants_contact, field).satisfaction = figures;
        }
    }
    if let Some(days) = field {
        for (key, label, figures) in
            field_by(conn, grouping, filters, from, to, options.basis, days, one)?
        {
            group(&mut groups, key, label, wants_contact, field).field = Some(figures);
        }
    }
    let mut out: Vec<GroupReport> = groups.into_values().collect();
    out.sort_by_key(|g| group_order(g.key.as_deref()));
    Ok(out)
}
