//! A bake-off's protocol: the two cohorts, the period, the metrics, the strata, alpha and the
//! minimum sample, fixed before any figure is computed (docs/REPORTS.md, "Bake-off").
//!
//! A [`ProtocolRequest`] (the body of `POST /api/v1/bake-off/protocols`, or the file given to
//! `frontline report bake-off --protocol FILE`) is validated into a [`Protocol`] whose canonical
//! JSON ([`Protocol::canonical`]: defaults filled, lists sorted and without repeats) is hashed
//! (SHA-256) and stored in `bake_off_protocols`. A stored protocol never changes (a trigger
//! refuses it): a change is a new protocol, with a new hash, and the report cites the hash.

use crate::domain::inference::MIN_OBSERVATIONS_PER_COHORT;
use crate::domain::ticket::TicketPriority;
use crate::error::ApiError;
use crate::models::enums::{EmploymentType, TeamSourcing, TicketChannel};
use crate::reports::params::Period;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The name of the canonical form hashed ([`Protocol::canonical`]).
pub const PROTOCOL_FORM: &str = "frontline.bake_off.protocol.v1";
/// The default family-wise error rate.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// A metric a bake-off compares (docs/METRICS.md ids in [`BakeOffMetric::definition`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BakeOffMetric {
    /// `frt.v1`, business seconds; lower is better; Mann–Whitney U. One observation per ticket
    /// first replied in the period, credited to the agent who wrote the reply.
    FirstReplyTime,
    /// `full_resolution.v1`, business seconds; lower is better; Mann–Whitney U. One observation
    /// per ticket last solved in the period, credited to the assignee at that solve.
    FullResolutionTime,
    /// `reopen_rate.v1`: solved tickets reopened at least once; lower is better; two-proportion
    /// z-test. Tickets last solved in the period, credited to the assignee at that solve.
    ReopenRate,
    /// `fcr.v1`; higher is better; two-proportion z-test. Tickets last solved in the period.
    FirstContactResolution,
    /// SLA attainment with the ticket as the unit (docs/METRICS.md "Statistics"): a ticket attains
    /// when every SLA target it reached in the period was achieved; higher is better.
    SlaAttainment,
    /// `csat.v1`: ratings of 4 or 5 among ratings answered in the period; higher is better.
    Csat,
    /// `csat_response_rate.v1`: surveys sent in the period that were answered; higher is better.
    CsatResponseRate,
    /// `first_time_fix.v1` (N = 30 days): first visits finished in the period, credited to the
    /// technician; higher is better.
    FirstTimeFix,
    /// `arrival_window_met.v1`: work orders arrived on site in the period; higher is better.
    ArrivalWindowMet,
    /// `wrench_time.v1`, calendar seconds on site; lower is better; Mann–Whitney U. Work orders
    /// finished in the period.
    WrenchTime,
}

impl BakeOffMetric {
    /// Every metric, in report order.
    pub const ALL: [BakeOffMetric; 10] = [
        BakeOffMetric::FirstReplyTime,
        BakeOffMetric::FullResolutionTime,
        BakeOffMetric::ReopenRate,
        BakeOffMetric::FirstContactResolution,
        BakeOffMetric::SlaAttainment,
        BakeOffMetric::Csat,
        BakeOffMetric::CsatResponseRate,
        BakeOffMetric::FirstTimeFix,
        BakeOffMetric::ArrivalWindowMet,
        BakeOffMetric::WrenchTime,
    ];

    /// The snake_case id (the figure id of the report).
    pub fn id(self) -> &'static str {
        match self {
            BakeOffMetric::FirstReplyTime => "first_reply_time",
            BakeOffMetric::FullResolutionTime => "full_resolution_time",
            BakeOffMetric::ReopenRate => "reopen_rate",
            BakeOffMetric::FirstContactResolution => "first_contact_resolution",
            BakeOffMetric::SlaAttainment => "sla_attainment",
            BakeOffMetric::Csat => "csat",
            BakeOffMetric::CsatResponseRate => "csat_response_rate",
            BakeOffMetric::FirstTimeFix => "first_time_fix",
            BakeOffMetric::ArrivalWindowMet => "arrival_window_met",
            BakeOffMetric::WrenchTime => "wrench_time",
        }
    }

    /// The docs/METRICS.md definition id.
    pub fn definition(self) -> &'static str {
        match self {
            BakeOffMetric::FirstReplyTime => "frt.v1",
            BakeOffMetric::FullResolutionTime => "full_resolution.v1",
            BakeOffMetric::ReopenRate => "reopen_rate.v1",
            BakeOffMetric::FirstContactResolution => "fcr.v1",
            BakeOffMetric::SlaAttainment => "sla_attainment.v1 (ticket as the unit)",
            BakeOffMetric::Csat => "csat.v1",
            BakeOffMetric::CsatResponseRate => "csat_response_rate.v1",
            BakeOffMetric::FirstTimeFix => "first_time_fix.v1 (N = 30 days)",
            BakeOffMetric::ArrivalWindowMet => "arrival_window_met.v1",
            BakeOffMetric::WrenchTime => "wrench_time.v1",
        }
    }

    /// A duration (seconds, Mann–Whitney U) rather than a rate (two-proportion z-test).
    pub fn is_duration(self) -> bool {
        matches!(
            self,
            BakeOffMetric::FirstReplyTime
                | BakeOffMetric::FullResolutionTime
                | BakeOffMetric::WrenchTime
        )
    }

    /// Which way the metric improves.
    pub fn better(self) -> crate::domain::inference::Better {
        use crate::domain::inference::Better;
        match self {
            BakeOffMetric::FirstReplyTime
            | BakeOffMetric::FullResolutionTime
            | BakeOffMetric::ReopenRate
            | BakeOffMetric::WrenchTime => Better::Lower,
            _ => Better::Higher,
        }
    }

    /// A field-service metric (credited to the technician).
    pub fn is_field(self) -> bool {
        matches!(
            self,
            BakeOffMetric::FirstTimeFix
                | BakeOffMetric::ArrivalWindowMet
                | BakeOffMetric::WrenchTime
        )
    }
}

/// A dimension results are also given per value of (per-stratum results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stratum {
    /// The ticket's priority.
    Priority,
    /// The ticket's category (`(none)` without one).
    Category,
    /// The ticket's channel (`(none)` without one).
    Channel,
    /// The ticket's site id (`(none)` without one).
    Site,
}

impl Stratum {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stratum::Priority => "priority",
            Stratum::Category => "category",
            Stratum::Channel => "channel",
            Stratum::Site => "site",
        }
    }
}

/// One cohort as sent: ticket filters; every filter given must hold (lists: any of their
/// values). Team, sourcing, vendor and employment type are read **as attributed**
/// (docs/METRICS.md "Attribution"): of the agent who wrote the first reply, of the assignee at the
/// solve, of the team the survey was sent for, of the technician at the finish.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortRequest {
    /// What the report calls the cohort (1–80 characters), e.g. "In-house".
    pub label: String,
    /// An imported data set's label (`frontline import event-log … --source LABEL`): the
    /// cohort is drawn from its tickets. Absent: the company's own tickets.
    #[schema(pattern = "^[a-z0-9][a-z0-9_.-]{0,62}$")]
    pub source: Option<String>,
    /// Team ids (the credited team).
    pub teams: Option<Vec<i64>>,
    /// The credited team's sourcing at the instant.
    pub sourcing: Option<TeamSourcing>,
    /// The credited team's vendor at the instant (as `teams.vendor_name`, exact).
    pub vendor: Option<String>,
    /// The credited agent's employment type at the instant (contact-center metrics only: a
    /// cohort with this filter has no field observations).
    pub agent_employment_type: Option<EmploymentType>,
    /// The technician's employment type at the finish (field metrics only: a cohort with this
    /// filter has no contact-center observations).
    pub technician_employment_type: Option<EmploymentType>,
    /// Customer organization ids.
    pub organizations: Option<Vec<i64>>,
    /// Site ids.
    pub sites: Option<Vec<i64>>,
    /// Channels.
    pub channels: Option<Vec<TicketChannel>>,
    /// Categories (exact).
    pub categories: Option<Vec<String>>,
    /// Priorities.
    pub priorities: Option<Vec<TicketPriority>>,
}

/// `POST /api/v1/bake-off/protocols` body (and `frontline report bake-off --protocol FILE`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtocolRequest {
    /// The bake-off's name (1–200 characters).
    pub name: String,
    /// Cohort A.
    pub cohort_a: CohortRequest,
    /// Cohort B.
    pub cohort_b: CohortRequest,
    /// First day of the period (inclusive, local date in `time_zone`).
    pub from: NaiveDate,
    /// Day after the period's last (exclusive).
    pub to: NaiveDate,
    /// IANA zone of the dates (default `UTC`).
    #[schema(value_type = Option<String>, example = "America/Chicago")]
    pub time_zone: Option<String>,
    /// The metrics compared (default: every one), at least one.
    pub metrics: Option<Vec<BakeOffMetric>>,
    /// Dimensions to give per-stratum results by (default none).
    pub strata: Option<Vec<Stratum>>,
    /// The family-wise error rate of Holm's correction, 0.001–0.2 (default 0.05).
    pub alpha: Option<f64>,
    /// The fewest observations per cohort for a verdict, 30–1,000,000 (default 30, the
    /// "too few to conclude" threshold of docs/METRICS.md).
    pub min_sample: Option<usize>,
    /// A business calendar id: every business duration of both cohorts is measured on it.
    /// Absent: each ticket on its own calendar (its team's at each instant).
    pub calendar: Option<i64>,
    /// Bootstrap seed of the medians' intervals (default 20261201).
    pub bootstrap_seed: Option<u64>,
    /// Bootstrap resamples (100–10,000, default 1,000).
    pub bootstrap_resamples: Option<usize>,
}

/// A validated cohort: the filters as canonical strings (lists sorted, without repeats; `None`
/// when not filtered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cohort {
    /// The report's name for it.
    pub label: String,
    /// The data set (`None`: the company's own tickets).
    pub source: Option<String>,
    /// Team ids.
    pub teams: Option<Vec<i64>>,
    /// `in_house` or `outsourced`.
    pub sourcing: Option<String>,
    /// Vendor name.
    pub vendor: Option<String>,
    /// `employee` or `contractor` (the agent).
    pub agent_employment_type: Option<String>,
    /// `employee` or `contractor` (the technician).
    pub technician_employment_type: Option<String>,
    /// Organization ids.
    pub organizations: Option<Vec<i64>>,
    /// Site ids.
    pub sites: Option<Vec<i64>>,
    /// Channels.
    pub channels: Option<Vec<String>>,
    /// Categories.
    pub categories: Option<Vec<String>>,
    /// Priorities.
    pub priorities: Option<Vec<String>>,
}

/// A validated protocol; its canonical JSON ([`Protocol::canonical`]) is what is hashed and
/// stored (field order fixed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Protocol {
    /// [`PROTOCOL_FORM`].
    pub form: String,
    /// The bake-off's name.
    pub name: String,
    /// Cohort A.
    pub cohort_a: Cohort,
    /// Cohort B.
    pub cohort_b: Cohort,
    /// IANA zone of the period's dates.
    pub time_zone: String,
    /// The period.
    pub period: Period,
    /// The metrics, in report order.
    pub metrics: Vec<BakeOffMetric>,
    /// The strata.
    pub strata: Vec<Stratum>,
    /// Holm's family-wise error rate.
    pub alpha: f64,
    /// The fewest observations per cohort for a verdict.
    pub min_sample: usize,
    /// The one calendar of every business duration (`None`: each ticket's own).
    pub calendar: Option<i64>,
    /// Bootstrap seed.
    pub bootstrap_seed: u64,
    /// Bootstrap resamples.
    pub bootstrap_resamples: usize,
}

fn sorted<T: Ord + Clone>(v: Option<Vec<T>>) -> Option<Vec<T>> {
    v.map(|mut v| {
        v.sort();
        v.dedup();
        v
    })
}

fn enum_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn names<T: Serialize>(v: Option<Vec<T>>) -> Option<Vec<String>> {
    sorted(v.map(|v| v.iter().map(enum_name).collect()))
}

impl CohortRequest {
    fn parse(self, field: &str) -> Result<Cohort, ApiError> {
        let label = self.label.trim().to_string();
        if label.is_empty() || label.chars().count() > 80 {
            return Err(ApiError::invalid_field(
                &format!("{field}.label"),
                "must be 1 to 80 characters",
            ));
        }
        let source = crate::import::event_log::source_filter(self.source.as_deref())
            .map_err(|_| {
                ApiError::invalid_field(
                    &format!("{field}.source"),
                    "must be 1–63 lowercase letters, digits, `_`, `.` or `-`, starting with a letter or digit",
                )
            })?;
        for (name, list) in [
            ("teams", &self.teams),
            ("organizations", &self.organizations),
            ("sites", &self.sites),
        ] {
            if let Some(list) = list {
                if list.is_empty() {
                    return Err(ApiError::invalid_field(
                        &format!("{field}.{name}"),
                        "must not be empty (leave it out to take every one)",
                    ));
                }
                if list.iter().any(|&id| id <= 0) {
                    return Err(ApiError::invalid_field(
                        &format!("{field}.{name}"),
                        "must hold positive ids",
                    ));
                }
            }
        }
        let empty = |name: &str, is_empty: bool| {
            if is_empty {
                Err(ApiError::invalid_field(
                    &format!("{field}.{name}"),
                    "must not be empty (leave it out to take every one)",
                ))
            } else {
                Ok(())
            }
        };
        empty(
            "channels",
            self.channels.as_ref().is_some_and(Vec::is_empty),
        )?;
        empty(
            "priorities",
            self.priorities.as_ref().is_some_and(Vec::is_empty),
        )?;
        empty(
            "categories",
            self.categories.as_ref().is_some_and(Vec::is_empty),
        )?;
        if self
            .vendor
            .as_ref()
            .is_some_and(|v| v.trim().is_empty() || v.chars().count() > 200)
        {
            return Err(ApiError::invalid_field(
                &format!("{field}.vendor"),
                "must be 1 to 200 characters",
            ));
        }
        if self.agent_employment_type.is_some() && self.technician_employment_type.is_some() {
            return Err(ApiError::invalid_field(
                &format!("{field}.technician_employment_type"),
                "a cohort is either agents (agent_employment_type) or technicians \
                 (technician_employment_type), not both",
            ));
        }
        Ok(Cohort {
            label,
            source,
            teams: sorted(self.teams),
            sourcing: self.sourcing.as_ref().map(enum_name),
            vendor: self.vendor,
            agent_employment_type: self.agent_employment_type.as_ref().map(enum_name),
            technician_employment_type: self.technician_employment_type.as_ref().map(enum_name),
            organizations: sorted(self.organizations),
            sites: sorted(self.sites),
            channels: names(self.channels),
            categories: sorted(self.categories),
            priorities: names(self.priorities),
        })
    }
}

impl ProtocolRequest {
    /// Validates the request into a protocol.
    ///
    /// # Errors
    /// 422 naming the failing field: `name`, `cohort_a.*`/`cohort_b.*` (label, source, empty or
    /// non-positive lists, vendor, both employment types), `from`/`to` (2000–2100, `to` after
    /// `from`, at most [`crate::reports::params::MAX_PERIOD_DAYS`]), `time_zone`, `metrics` (empty), `alpha`,
    /// `min_sample`, `calendar` (not positive), `bootstrap_resamples`; `cohort_b` when both
    /// cohorts have the same filters.
    pub fn parse(self) -> Result<Protocol, ApiError> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::invalid_field(
                "name",
                "must be 1 to 200 characters",
            ));
        }
        let cohort_a = self.cohort_a.parse("cohort_a")?;
        let cohort_b = self.cohort_b.parse("cohort_b")?;
        let same = |c: &Cohort| Cohort {
            label: String::new(),
            ..c.clone()
        };
        if same(&cohort_a) == same(&cohort_b) {
            return Err(ApiError::invalid_field(
                "cohort_b",
                "has the same filters as cohort_a: the two cohorts would be one",
            ));
        }
        let time_zone = self.time_zone.unwrap_or_else(|| "UTC".to_string());
        let zone: Tz = time_zone
            .parse()
            .map_err(|_| ApiError::invalid_field("time_zone", "must be an IANA time zone"))?;
        let period = crate::reports::params::local_period(zone, self.from, self.to)?;
        let mut metrics = self.metrics.unwrap_or_else(|| BakeOffMetric::ALL.to_vec());
        if metrics.is_empty() {
            return Err(ApiError::invalid_field(
                "metrics",
                "must name at least one metric (leave it out to take every one)",
            ));
        }
        metrics.sort();
        metrics.dedup();
        let mut strata = self.strata.unwrap_or_default();
        strata.sort();
        strata.dedup();
        let alpha = self.alpha.unwrap_or(DEFAULT_ALPHA);
        if !(0.001..=0.2).contains(&alpha) {
            return Err(ApiError::invalid_field(
                "alpha",
                "must be from 0.001 to 0.2",
            ));
        }
        let min_sample = self.min_sample.unwrap_or(MIN_OBSERVATIONS_PER_COHORT);
        if !(MIN_OBSERVATIONS_PER_COHORT..=1_000_000).contains(&min_sample) {
            return Err(ApiError::invalid_field(
                "min_sample",
                format!("must be from {MIN_OBSERVATIONS_PER_COHORT} to 1000000"),
            ));
        }
        if self.calendar.is_some_and(|c| c <= 0) {
            return Err(ApiError::invalid_field("calendar", "must be a positive id"));
        }
        let resamples = self
            .bootstrap_resamples
            .unwrap_or(crate::reports::params::DEFAULT_RESAMPLES);
        if !(100..=10_000).contains(&resamples) {
            return Err(ApiError::invalid_field(
                "bootstrap_resamples",
                "must be from 100 to 10000",
            ));
        }
        Ok(Protocol {
            form: PROTOCOL_FORM.to_string(),
            name,
            cohort_a,
            cohort_b,
            time_zone,
            period,
            metrics,
            strata,
            alpha,
            min_sample,
            calendar: self.calendar,
            bootstrap_seed: self
                .bootstrap_seed
                .unwrap_or(crate::reports::params::DEFAULT_SEED),
            bootstrap_resamples: resamples,
        })
    }
}

impl Protocol {
    /// The canonical JSON: compact, fields in declaration order. Its SHA-256 is the protocol's
    /// hash.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Lowercase hex SHA-256 of [`Protocol::canonical`].
    pub fn sha256(&self) -> String {
        crate::reports::manifest::sha256_hex(self.canonical().as_bytes())
    }

    /// The cohort `a` or `b`.
    pub fn cohort(&self, b: bool) -> &Cohort {
        if b { &self.cohort_b } else { &self.cohort_a }
    }

    /// The zone of the period's dates.
    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }
}

/// A registered protocol.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisteredProtocol {
    /// Id.
    pub id: i64,
    /// SHA-256 (lowercase hex) of the canonical JSON.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    /// The exact bytes hashed: the protocol's canonical JSON (compact, fields in the order of
    /// `protocol`), so that anyone can recompute `sha256`.
    pub canonical: String,
    /// The protocol.
    pub protocol: Protocol,
    /// Who registered it.
    pub created_by: Option<i64>,
    /// When (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::schema::bake_off_protocols)]
struct ProtocolRow {
    id: i64,
    sha256: String,
    canonical: String,
    created_by: Option<i64>,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl ProtocolRow {
    fn registered(self) -> diesel::QueryResult<RegisteredProtocol> {
        let protocol = serde_json::from_str(&self.canonical)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        Ok(RegisteredProtocol {
            id: self.id,
            sha256: self.sha256,
            canonical: self.canonical,
            protocol,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

/// Registers `protocol` (by staff member `by`), or finds it when the same canonical bytes were
/// registered before. Returns it and whether it is new.
///
/// # Errors
/// `NotFound` when the protocol names a business calendar that does not exist (nothing is
/// registered); database errors.
pub fn register(
    conn: &mut diesel::PgConnection,
    protocol: &Protocol,
    by: Option<i64>,
) -> diesel::QueryResult<(RegisteredProtocol, bool)> {
    use crate::schema::bake_off_protocols as p;
    use diesel::prelude::*;
    if let Some(calendar) = protocol.calendar {
        use crate::schema::business_calendars as c;
        c::table.find(calendar).select(c::id).first::<i64>(conn)?;
    }
    let sha256 = protocol.sha256();
    let inserted = diesel::insert_into(p::table)
        .values((
            p::name.eq(&protocol.name),
            p::sha256.eq(&sha256),
            p::canonical.eq(protocol.canonical()),
            p::created_by.eq(by),
        ))
        .on_conflict(p::sha256)
        .do_nothing()
        .returning(ProtocolRow::as_returning())
        .get_result::<ProtocolRow>(conn)
        .optional()?;
    match inserted {
        Some(row) => Ok((row.registered()?, true)),
        None => Ok((by_sha256(conn, &sha256)?, false)),
    }
}

fn by_sha256(
    conn: &mut diesel::PgConnection,
    sha256: &str,
) -> diesel::QueryResult<RegisteredProtocol> {
    use crate::schema::bake_off_protocols as p;
    use diesel::prelude::*;
    p::table
        .filter(p::sha256.eq(sha256))
        .select(ProtocolRow::as_select())
        .first::<ProtocolRow>(conn)?
        .registered()
}

/// A registered protocol by id.
///
/// # Errors
/// `NotFound` when there is none; database errors.
pub fn get(conn: &mut diesel::PgConnection, id: i64) -> diesel::QueryResult<RegisteredProtocol> {
    use crate::schema::bake_off_protocols as p;
    use diesel::prelude::*;
    p::table
        .find(id)
        .select(ProtocolRow::as_select())
        .first::<ProtocolRow>(conn)?
        .registered()
}

/// Registered protocols, newest first: at most `limit`, those with an id below `before`.
///
/// # Errors
/// Database errors.
pub fn list(
    conn: &mut diesel::PgConnection,
    before: Option<i64>,
    limit: i64,
) -> diesel::QueryResult<Vec<RegisteredProtocol>> {
    use crate::schema::bake_off_protocols as p;
    use diesel::prelude::*;
    let mut q = p::table
        .select(ProtocolRow::as_select())
        .order(p::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(p::id.lt(before));
    }
    q.load::<ProtocolRow>(conn)?
        .into_iter()
        .map(ProtocolRow::registered)
        .collect()
}
