//! The shapes of the metrics read side: what a request asks for ([`MetricFilters`],
//! [`Dimension`], [`TimeBasis`], [`ReportOptions`]) and what it gets back ([`GroupReport`] with
//! its [`Summary`] figures, SLA attainment and [`ContactRates`]). Units and docs/METRICS.md ids are on
//! each field.

use crate::domain::stats::{DurationStats, Rate};
use chrono::{DateTime, Utc};

/// Figures of `GET /metrics/summary` for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Tickets created in the period (by creation instant).
    pub tickets_created: i64,
    /// Tickets whose latest solve falls in the period.
    pub tickets_solved: i64,
    /// `reopen_rate.v1`: tickets with ≥ 1 reopen / tickets solved, by the latest solve.
    pub reopen_rate: Rate,
    /// `frt.v1` in calendar seconds, by the instant of the first reply.
    pub first_reply_time: DurationStats,
    /// `full_resolution.v1` in calendar seconds, by the latest solve (tickets solved or closed
    /// now; a reopened ticket not yet solved again has no value).
    pub full_resolution_time: DurationStats,
}

/// Contact-quality rates of a period (docs/METRICS.md `one_touch.v1`, `one_touch_strict.v1`,
/// `fcr.v1`, `repeat_contact.v1`).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRates {
    /// Solved or closed with fewer than 2 agent replies / tickets solved (by latest solve).
    pub one_touch: Rate,
    /// Exactly 1 agent reply / tickets solved.
    pub one_touch_strict: Rate,
    /// First-contact resolutions / tickets solved.
    pub fcr: Rate,
    /// Tickets created within 7 days after an earlier ticket of the same requester and category
    /// was solved / tickets created (by creation).
    pub repeat_contact: Rate,
}

impl ContactRates {
    /// All four rates 0 / 0.
    pub fn empty() -> ContactRates {
        ContactRates {
            one_touch: Rate::new(0, 0),
            one_touch_strict: Rate::new(0, 0),
            fcr: Rate::new(0, 0),
            repeat_contact: Rate::new(0, 0),
        }
    }
}

/// Field-service figures of a period (docs/METRICS.md §8), each work order by its
/// `finished_at` (completion, could not complete or cancellation); open work orders are in none.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldFigures {
    /// Work orders `completed` or `cannot_complete` in the period.
    pub work_orders_completed: i64,
    /// `travel_time.v1` (en route → on site), seconds of the request's time basis; cancelled
    /// work orders that reached the site included.
    pub travel_time: DurationStats,
    /// `wrench_time.v1` (on site → completed or cannot complete), seconds of the time basis.
    pub wrench_time: DurationStats,
    /// `time_to_arrival.v1` (created → on site), seconds of the time basis; cancelled work
    /// orders that reached the site included.
    pub time_to_arrival: DurationStats,
    /// `arrival_window_met.v1`: arrivals inside the promised window / arrivals with a window.
    pub arrival_window_met: Rate,
    /// `first_time_fix.v1`: first visits fixed / first visits ended (completed or cannot
    /// complete), with the window of `ftf_days` days.
    pub first_time_fix: Rate,
    /// Ended work orders followed by another work order for the same site and asset (of the same
    /// ticket without an asset) created within `ftf_days` days after they finished / ended work
    /// orders.
    pub repeat_visit_rate: Rate,
    /// N of `first_time_fix.v1` and of the repeat-visit rate, days.
    pub ftf_days: i64,
}

impl FieldFigures {
    /// No work order: counts 0, statistics `None`, rates 0 / 0.
    pub fn empty(ftf_days: i64) -> FieldFigures {
        FieldFigures {
            work_orders_completed: 0,
            travel_time: DurationStats::of(&[]),
            wrench_time: DurationStats::of(&[]),
            time_to_arrival: DurationStats::of(&[]),
            arrival_window_met: Rate::new(0, 0),
            first_time_fix: Rate::new(0, 0),
            repeat_visit_rate: Rate::new(0, 0),
            ftf_days,
        }
    }
}

/// Satisfaction figures of a period or group (docs/METRICS.md "Satisfaction": `csat.v1`,
/// `csat_response_rate.v1`, `nps.v1`). A ticket's **rating** is its most recently answered
/// survey (latest `answered_at`, ties to the higher survey id), `pre_reopen` or not; earlier
/// answers of the same ticket do not count. Ratings fall in the period of their `answered_at`,
/// surveys of the response rate in that of their `sent_at`. Team, agent, sourcing and employment
/// type are the survey's (the assignee and team at the solve it asks about); the other
/// dimensions are the ticket's.
#[derive(Debug, Clone, PartialEq)]
pub struct Satisfaction {
    /// `csat.v1`: ratings of 4 or 5 / ratings (by `answered_at`).
    pub csat: Rate,
    /// Mean score (1–5) of the same ratings; `None` without any. Its count is
    /// `csat.denominator`.
    pub mean_score: Option<f64>,
    /// `csat_response_rate.v1`: surveys sent in the period that have an answer (given at any
    /// time up to the read) / surveys sent in the period (by `sent_at`).
    pub response_rate: Rate,
    /// `nps.v1` over the ratings with an NPS answer (by `answered_at`).
    pub nps: Nps,
}

/// `nps.v1`: promoters (9–10), passives (7–8) and detractors (0–6) among the ratings with an NPS
/// answer, and the score.
#[derive(Debug, Clone, PartialEq)]
pub struct Nps {
    /// Answers of 9 or 10.
    pub promoters: i64,
    /// Answers of 7 or 8.
    pub passives: i64,
    /// Answers of 0 to 6.
    pub detractors: i64,
    /// Answers (the three counts' sum).
    pub responses: i64,
    /// % of promoters − % of detractors, from −100 to 100; `None` without any answer.
    pub score: Option<f64>,
}

impl Nps {
    /// The score of three counts: `(promoters − detractors) · 100 / responses`.
    pub fn new(promoters: i64, passives: i64, detractors: i64) -> Nps {
        let responses = promoters + passives + detractors;
        Nps {
            promoters,
            passives,
            detractors,
            responses,
            score: (responses > 0)
                .then(|| (promoters - detractors) as f64 * 100.0 / responses as f64),
        }
    }
}

impl Satisfaction {
    /// No rating and no survey sent: rates 0 / 0, mean and score `None`.
    pub fn empty() -> Satisfaction {
        Satisfaction {
            csat: Rate::new(0, 0),
            mean_score: None,
            response_rate: Rate::new(0, 0),
            nps: Nps::new(0, 0, 0),
        }
    }

    /// A rating or a sent survey fell in it.
    pub fn has_figures(&self) -> bool {
        self.csat.denominator > 0 || self.response_rate.denominator > 0
    }
}

/// The default N of `first_time_fix.v1`, days.
pub const DEFAULT_FTF_DAYS: i64 = 30;

/// Which variant of the durations to aggregate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeBasis {
    /// Wall-clock seconds.
    #[default]
    Calendar,
    /// Seconds inside the business calendar.
    Business,
}

/// Ticket filters of the metrics endpoints (each `None` = any). They apply to every figure.
///
/// `team_id`, `agent_id`, `sourcing` and `employment_type` are **attributed** (docs/METRICS.md
/// §7, "Attribution"): each figure is compared with whoever it is credited to — the replying
/// agent and their team for `frt.v1`, the assignee and team at the latest solve for the
/// resolution figures, the team at creation for volumes — with the sourcing and employment type
/// of that instant. `current_team_id` and `current_agent_id` compare the ticket's team and
/// assignee as they are now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricFilters {
    /// Team id the figure is credited to.
    pub team_id: Option<i64>,
    /// Staff id the figure is credited to (the replying agent, or the assignee at the solve).
    pub agent_id: Option<i64>,
    /// The ticket's current team id (workload views).
    pub current_team_id: Option<i64>,
    /// The ticket's current assignee id (workload views).
    pub current_agent_id: Option<i64>,
    /// Organization id.
    pub organization_id: Option<i64>,
    /// Site id.
    pub site_id: Option<i64>,
    /// Channel name.
    pub channel: Option<String>,
    /// Priority name.
    pub priority: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// `in_house` or `outsourced`: the sourcing of the credited team at the figure's instant.
    pub sourcing: Option<String>,
    /// `employee` or `contractor`: the credited agent's employment type at the figure's instant
    /// (the `agent_employment_type` parameter).
    pub employment_type: Option<String>,
    /// An imported data set's label (`tickets.source`): only its tickets. `None`: only the
    /// company's own tickets (imported data sets never mix in unless asked for).
    pub source: Option<String>,
}

impl MetricFilters {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == MetricFilters::default()
    }

    /// True when a filter names something only tickets have (team, agent, channel, category,
    /// sourcing, the assignee's employment type): field figures are then not applicable.
    pub fn has_ticket_only(&self) -> bool {
        self.team_id.is_some()
            || self.agent_id.is_some()
            || self.current_team_id.is_some()
            || self.current_agent_id.is_some()
            || self.channel.is_some()
            || self.category.is_some()
            || self.sourcing.is_some()
            || self.employment_type.is_some()
    }
}

/// Whether field figures apply to a request grouped by `dimension` (none: summary or
/// timeseries) with `filters`: not for ticket-only dimensions or filters.
pub fn field_applies(dimension: Option<Dimension>, filters: &MetricFilters) -> bool {
    !filters.has_ticket_only() && dimension.is_none_or(Dimension::has_field)
}

/// Breakdown dimensions (docs/METRICS.md §7). `Team`, `Agent`, `Sourcing` and
/// `EmploymentType` are attributed (see [`MetricFilters`]); `CurrentTeam` and `CurrentAgent` are
/// the ticket's as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The team the figure is credited to.
    Team,
    /// The staff member the figure is credited to.
    Agent,
    /// The ticket's current team (`current_team`).
    CurrentTeam,
    /// The ticket's current assignee (`current_agent`).
    CurrentAgent,
    /// The ticket's organization.
    Organization,
    /// The ticket's site.
    Site,
    /// The channel.
    Channel,
    /// The priority.
    Priority,
    /// The category.
    Category,
    /// The sourcing of the credited team at the figure's instant (`in_house`, `outsourced`).
    Sourcing,
    /// The credited agent's employment type at the figure's instant (`employee`,
    /// `contractor`): `agent_employment_type` (`employment_type` is read as the same).
    EmploymentType,
    /// The work order's technician (field figures only).
    Technician,
    /// The work order's asset kind (field figures only).
    AssetKind,
    /// The technician's employment type when the work order ended (field figures only).
    TechnicianEmploymentType,
    /// The value of a custom drop-down field (`field.<key>`: `tickets.custom_fields ->> key`)
    /// as the ticket holds it now, like `category`. The route checks that the key names a
    /// drop-down field.
    Field(FieldKey),
}

/// A custom field's key (`^[a-z][a-z0-9_]{0,39}$`) held inline, so that [`Dimension`] stays
/// `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldKey {
    len: u8,
    bytes: [u8; 40],
}

impl FieldKey {
    /// The key, when `key` is one (`^[a-z][a-z0-9_]{0,39}$`).
    pub fn new(key: &str) -> Option<FieldKey> {
        let mut chars = key.bytes();
        let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && key.len() <= 40
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
        if !valid {
            return None;
        }
        let mut bytes = [0u8; 40];
        bytes[..key.len()].copy_from_slice(key.as_bytes());
        Some(FieldKey {
            len: u8::try_from(key.len()).ok()?,
            bytes,
        })
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldKey({:?})", self.as_str())
    }
}

impl Dimension {
    /// Parses the `by` parameter.
    pub fn parse(s: &str) -> Option<Dimension> {
        Some(match s {
            "team" => Dimension::Team,
            "agent" => Dimension::Agent,
            "current_team" => Dimension::CurrentTeam,
            "current_agent" => Dimension::CurrentAgent,
            "organization" => Dimension::Organization,
            "site" => Dimension::Site,
            "channel" => Dimension::Channel,
            "priority" => Dimension::Priority,
            "category" => Dimension::Category,
            "sourcing" => Dimension::Sourcing,
            "agent_employment_type" | "employment_type" => Dimension::EmploymentType,
            "technician" => Dimension::Technician,
            "asset_kind" => Dimension::AssetKind,
            "technician_employment_type" => Dimension::TechnicianEmploymentType,
            _ => {
                return s
                    .strip_prefix("field.")
                    .and_then(FieldKey::new)
                    .map(Dimension::Field);
            }
        })
    }

    /// Credited to whoever was responsible when the figure happened (team, agent, sourcing,
    /// agent employment type), not read from the ticket as it is now.
    pub fn attributed(self) -> bool {
        matches!(
            self,
            Dimension::Team | Dimension::Agent | Dimension::Sourcing | Dimension::EmploymentType
        )
    }

    /// Only field figures have it (technician, asset kind, technician employment type): ticket
    /// figures are not applicable.
    pub fn field_only(self) -> bool {
        matches!(
            self,
            Dimension::Technician | Dimension::AssetKind | Dimension::TechnicianEmploymentType
        )
    }

    /// Field figures split by it: organization, site, priority (of the work order's ticket) and
    /// the field-only dimensions.
    pub fn has_field(self) -> bool {
        self.field_only()
            || matches!(
                self,
                Dimension::Organization | Dimension::Site | Dimension::Priority
            )
    }
}

/// A summary without any figure: counts 0, statistics `None`, rates 0 / 0.
pub fn empty_summary() -> Summary {
    Summary {
        tickets_created: 0,
        tickets_solved: 0,
        reopen_rate: Rate::new(0, 0),
        first_reply_time: DurationStats::of(&[]),
        full_resolution_time: DurationStats::of(&[]),
    }
}

/// Numeric keys (ids) in numeric order, then the others; tickets without a value last.
pub fn group_order(key: Option<&str>) -> (bool, bool, Option<i64>, Option<String>) {
    let numeric = key.and_then(|k| k.parse::<i64>().ok());
    (
        key.is_none(),
        numeric.is_none(),
        numeric,
        key.map(str::to_string),
    )
}

/// What a grouped report computes besides the volumes, reopen rate and durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// The variant of the durations.
    pub basis: TimeBasis,
    /// The instant at which a running SLA clock past its due instant counts as breached.
    pub now: DateTime<Utc>,
    /// Also compute the contact rates ([`ContactRates`]).
    pub contact_rates: bool,
    /// N of `first_time_fix.v1` and the repeat-visit rate, days (1–365).
    pub ftf_days: i64,
}

/// Every figure of one group of `GET /metrics/timeseries` or `/metrics/breakdown`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupReport {
    /// Group key: the bucket's local start (`YYYY-MM-DDTHH:MM:SS`), `all` for the summary, or
    /// the dimension value (an id or a name); `None` for tickets without one.
    pub key: Option<String>,
    /// Human label, when there is one.
    pub label: Option<String>,
    /// Volumes, reopen rate and durations, each by its own period-membership instant.
    pub figures: Summary,
    /// SLA attainment (docs/METRICS.md §6 `sla_attainment`): targets achieved / (achieved + breached), by the
    /// instant each was achieved or breached.
    pub sla_attainment: Rate,
    /// Contact rates, when asked for.
    pub contact_rates: Option<ContactRates>,
    /// Field-service figures, when applicable ([`field_applies`]).
    pub field: Option<FieldFigures>,
    /// `csat.v1`, `csat_response_rate.v1` and `nps.v1` (not applicable, and empty, when grouped
    /// by a field-only dimension).
    pub satisfaction: Satisfaction,
}

impl GroupReport {
    /// A group without any figure: counts 0, statistics `None`, rates 0 / 0; field figures (of
    /// N = `field` days) when `field` is given.
    pub fn empty(key: Option<String>, contact_rates: bool, field: Option<i64>) -> GroupReport {
        GroupReport {
            key,
            label: None,
            figures: empty_summary(),
            sla_attainment: Rate::new(0, 0),
            contact_rates: contact_rates.then(ContactRates::empty),
            field: field.map(FieldFigures::empty),
            satisfaction: Satisfaction::empty(),
        }
    }
}
