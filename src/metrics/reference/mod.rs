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

mod attainment;
mod contacts;
mod field;
mod figures;
mod holds;
mod satisfaction;

pub use attainment::sla_attainment_by;
pub use contacts::contact_rates_by;
pub use field::{FieldGroup, field_by};
pub use figures::{GroupFigures, figures_by};
pub use holds::hold_reasons;
pub use satisfaction::satisfaction_by;

/// Per-group results: group key (`None` for tickets without a value) → (label, value).
pub type GroupMap<T> = std::collections::BTreeMap<Option<String>, (Option<String>, T)>;
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
