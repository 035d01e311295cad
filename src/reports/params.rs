//! The evidence report's parameters: what the caller sends ([`EvidenceRequest`], the body of
//! `POST /api/v1/reports/evidence` and the options of `frontline report evidence`) and what a
//! report is built from ([`EvidenceParams`], stored in the report and re-read by
//! `frontline report verify`).

use crate::domain::buckets::start_of;
use crate::error::ApiError;
use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The default bootstrap seed (printed in every report).
pub const DEFAULT_SEED: u64 = 20_261_201;
/// The default number of bootstrap resamples.
pub const DEFAULT_RESAMPLES: usize = 1_000;
/// The longest eligibility or comparison period, in days (three years and a leap day).
pub const MAX_PERIOD_DAYS: i64 = 1_097;

/// Whose work the report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// Every ticket (no `scope_id`).
    Company,
    /// A team's tickets (`tickets.team_id`; CSAT: the team at the solve surveyed; field work: the
    /// technician's team at the work order's finish).
    Team,
    /// An agent's tickets (the assignee; CSAT: the assignee at the solve surveyed).
    Agent,
    /// A technician's work orders and their tickets.
    Technician,
    /// A customer organization's tickets and work orders.
    Organization,
    /// A site's (facility's) tickets and work orders.
    Site,
}

impl ScopeKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Company => "company",
            ScopeKind::Team => "team",
            ScopeKind::Agent => "agent",
            ScopeKind::Technician => "technician",
            ScopeKind::Organization => "organization",
            ScopeKind::Site => "site",
        }
    }
}

/// What the eligibility period is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonKind {
    /// The period of the same number of days just before.
    Previous,
    /// The same dates a year earlier (29 February becomes 28 February).
    YearEarlier,
    /// `comparison_from` … `comparison_to`.
    Dates,
}

/// The award category the evidence is for (it shapes the essay; the figures are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AwardCategory {
    /// Contact center of the year.
    ContactCenterOfTheYear,
    /// Customer service department or team of the year.
    CustomerServiceTeam,
    /// Front-line professional of the year.
    FrontLineProfessional,
    /// Field service team of the year.
    FieldServiceTeam,
    /// Training or innovation in customer service.
    TrainingInnovation,
}

/// `POST /api/v1/reports/evidence` body (and the CLI's options).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRequest {
    /// Whose work.
    pub scope: ScopeKind,
    /// The team, agent, technician, organization or site id; absent for `company`.
    pub scope_id: Option<i64>,
    /// First day of the eligibility period (inclusive, local date in `time_zone`).
    pub from: NaiveDate,
    /// Day after the eligibility period's last (exclusive).
    pub to: NaiveDate,
    /// IANA zone of the dates and of the monthly buckets (default `UTC`).
    #[schema(value_type = Option<String>, example = "Europe/London")]
    pub time_zone: Option<String>,
    /// What to compare with.
    pub comparison: ComparisonKind,
    /// First day of the comparison period (`comparison = dates` only).
    pub comparison_from: Option<NaiveDate>,
    /// Day after the comparison period (`comparison = dates` only).
    pub comparison_to: Option<NaiveDate>,
    /// The award category.
    pub category: AwardCategory,
    /// The essay's word limit (50–5,000).
    #[schema(minimum = 50, maximum = 5000)]
    pub word_limit: u32,
    /// The instant the figures are taken at (default: now, to the second). Look-ups that read
    /// the present (FCR's 7 days, first-time fix's 30, SLA clocks still running) see only what
    /// existed by then; `verify` reuses it.
    pub as_of: Option<DateTime<Utc>>,
    /// Bootstrap seed (default 20261201).
    pub bootstrap_seed: Option<u64>,
    /// Bootstrap resamples (100–10,000, default 1,000).
    #[schema(minimum = 100, maximum = 10000)]
    pub bootstrap_resamples: Option<usize>,
    /// An imported data set's label (`frontline import event-log … --source LABEL`): the report
    /// is over its tickets. Absent: the company's own tickets.
    #[schema(pattern = "^[a-z0-9][a-z0-9_.-]{0,62}$")]
    pub source: Option<String>,
    /// A business calendar's id (`/api/v1/calendars`): every business duration of the report
    /// (`frt.v1`, the training section's first replies) is measured on it for every ticket
    /// (docs/METRICS.md §7, "Comparisons on one calendar"). Absent: each ticket's own calendar.
    /// An unknown id is a 422 naming `calendar`.
    #[schema(minimum = 1)]
    pub calendar: Option<i64>,
}

/// A period as dates and as the UTC instants they start at. Named `ReportPeriod` in the OpenAPI
/// document (`Period` there is the metrics' period of instants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ReportPeriod)]
pub struct Period {
    /// First local date (inclusive).
    pub from: NaiveDate,
    /// Local date after the last (exclusive).
    pub to: NaiveDate,
    /// UTC instant of `from`'s local midnight.
    pub start: DateTime<Utc>,
    /// UTC instant of `to`'s local midnight (exclusive).
    pub end: DateTime<Utc>,
}

impl Period {
    /// Whether `t` (seconds since the epoch) is in `[start, end)`.
    pub fn holds(&self, t: i64) -> bool {
        t >= self.start.timestamp() && t < self.end.timestamp()
    }
}

/// The parsed parameters a report is built from; stored in the report (field order fixed: the
/// manifest hashes their JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceParams {
    /// Whose work.
    pub scope: ScopeKind,
    /// The scope's id (`null` for `company`).
    pub scope_id: Option<i64>,
    /// IANA zone of the dates.
    pub time_zone: String,
    /// The eligibility period.
    pub eligibility: Period,
    /// How the comparison period was chosen.
    pub comparison_kind: ComparisonKind,
    /// The comparison period.
    pub comparison: Period,
    /// The award category.
    pub category: AwardCategory,
    /// The essay's word limit.
    pub word_limit: u32,
    /// The instant the figures are taken at.
    pub as_of: DateTime<Utc>,
    /// Bootstrap seed.
    pub bootstrap_seed: u64,
    /// Bootstrap resamples.
    pub bootstrap_resamples: usize,
    /// An imported data set's label: the report is over its tickets. Absent (and left out of
    /// the JSON, so earlier reports hash as they did): the company's own tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The business calendar every business duration is measured on. Absent (and left out of
    /// the JSON, so earlier reports hash as they did): each ticket's own calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<i64>,
}

fn period(zone: Tz, from: NaiveDate, to: NaiveDate, field: &str) -> Result<Period, ApiError> {
    if to <= from {
        return Err(ApiError::invalid_field(
            field,
            "must be after the period's first day",
        ));
    }
    if (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(ApiError::invalid_field(
            field,
            format!("a period is at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    let instant = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|m| start_of(zone, m))
            .ok_or_else(|| ApiError::invalid_field(field, "no local midnight on this date"))
    };
    Ok(Period {
        from,
        to,
        start: instant(from)?,
        end: instant(to)?,
    })
}

fn in_range(d: NaiveDate, field: &str) -> Result<NaiveDate, ApiError> {
    use chrono::Datelike;
    if (2000..=2100).contains(&d.year()) {
        Ok(d)
    } else {
        Err(ApiError::invalid_field(
            field,
            "must be a date from 2000 to 2100",
        ))
    }
}

/// The period of local dates `from` … `to` (exclusive) in `zone`: both dates from 2000 to 2100,
/// `to` after `from`, at most [`MAX_PERIOD_DAYS`] days.
///
/// # Errors
/// 422 naming `from` or `to`.
pub fn local_period(zone: Tz, from: NaiveDate, to: NaiveDate) -> Result<Period, ApiError> {
    period(zone, in_range(from, "from")?, in_range(to, "to")?, "to")
}

impl EvidenceRequest {
    /// Parses the request into parameters, `now` standing for `as_of` when absent (truncated to
    /// the second).
    ///
    /// # Errors
    /// 422 naming the failing field: `scope_id` (missing, or given for `company`), `from`/`to`
    /// (out of 2000–2100, `to` not after `from`, longer than [`MAX_PERIOD_DAYS`]), `time_zone`,
    /// `comparison_from`/`comparison_to` (missing for `dates`, given otherwise), `word_limit`,
    /// `bootstrap_resamples`, `as_of` (before the eligibility period's start), `calendar` (not a
    /// positive id; an id no calendar has is refused when the report is read).
    pub fn parse(self, now: DateTime<Utc>) -> Result<EvidenceParams, ApiError> {
        match (self.scope, self.scope_id) {
            (ScopeKind::Company, Some(_)) => {
                return Err(ApiError::invalid_field(
                    "scope_id",
                    "must be absent for the company scope",
                ));
            }
            (ScopeKind::Company, None) => {}
            (_, None) => {
                return Err(ApiError::invalid_field(
                    "scope_id",
                    "is required for this scope",
                ));
            }
            (_, Some(id)) if id <= 0 => {
                return Err(ApiError::invalid_field("scope_id", "must be a positive id"));
            }
            _ => {}
        }
        let time_zone = self.time_zone.unwrap_or_else(|| "UTC".to_string());
        let zone: Tz = time_zone
            .parse()
            .map_err(|_| ApiError::invalid_field("time_zone", "must be an IANA time zone"))?;
        let from = in_range(self.from, "from")?;
        let to = in_range(self.to, "to")?;
        let eligibility = period(zone, from, to, "to")?;
        let (cf, ct) = match self.comparison {
            ComparisonKind::Dates => {
                let cf = self
                    .comparison_from
                    .ok_or_else(|| ApiError::invalid_field("comparison_from", "is required"))?;
                let ct = self
                    .comparison_to
                    .ok_or_else(|| ApiError::invalid_field("comparison_to", "is required"))?;
                (
                    in_range(cf, "comparison_from")?,
                    in_range(ct, "comparison_to")?,
                )
            }
            kind => {
                for (field, given) in [
                    ("comparison_from", self.comparison_from.is_some()),
                    ("comparison_to", self.comparison_to.is_some()),
                ] {
                    if given {
                        return Err(ApiError::invalid_field(
                            field,
                            "is only for comparison = dates",
                        ));
                    }
                }
                if kind == ComparisonKind::Previous {
                    (from - (to - from), from)
                } else {
                    let back = |d: NaiveDate| d.checked_sub_months(Months::new(12));
                    match (back(from), back(to)) {
                        (Some(a), Some(b)) => (a, b),
                        _ => return Err(ApiError::invalid_field("from", "no date a year earlier")),
                    }
                }
            }
        };
        let comparison = period(zone, in_range(cf, "comparison_from")?, ct, "comparison_to")?;
        if !(50..=5000).contains(&self.word_limit) {
            return Err(ApiError::invalid_field(
                "word_limit",
                "must be from 50 to 5000",
            ));
        }
        let resamples = self.bootstrap_resamples.unwrap_or(DEFAULT_RESAMPLES);
        if !(100..=10_000).contains(&resamples) {
            return Err(ApiError::invalid_field(
                "bootstrap_resamples",
                "must be from 100 to 10000",
            ));
        }
        let source = crate::import::event_log::source_filter(self.source.as_deref())?;
        if self.calendar.is_some_and(|c| c <= 0) {
            return Err(ApiError::invalid_field("calendar", "must be a positive id"));
        }
        let as_of = self.as_of.unwrap_or(now);
        let as_of = DateTime::<Utc>::from_timestamp(as_of.timestamp(), 0).unwrap_or(as_of);
        if as_of < eligibility.start {
            return Err(ApiError::invalid_field(
                "as_of",
                "must not be before the eligibility period's start",
            ));
        }
        Ok(EvidenceParams {
            scope: self.scope,
            scope_id: self.scope_id,
            time_zone,
            eligibility,
            comparison_kind: self.comparison,
            comparison,
            category: self.category,
            word_limit: self.word_limit,
            as_of,
            bootstrap_seed: self.bootstrap_seed.unwrap_or(DEFAULT_SEED),
            bootstrap_resamples: resamples,
            source,
            calendar: self.calendar,
        })
    }
}

impl EvidenceParams {
    /// The zone (parsed when the parameters were).
    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(v: serde_json::Value) -> Result<EvidenceParams, ApiError> {
        let r: EvidenceRequest = serde_json::from_value(v).unwrap();
        r.parse(
            DateTime::parse_from_rfc3339("2026-12-01T10:00:00.7Z")
                .unwrap()
                .to_utc(),
        )
    }

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::Validation { errors, .. } => errors.keys().next().cloned().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn base() -> serde_json::Value {
        serde_json::json!({"scope": "team", "scope_id": 3, "from": "2026-01-01", "to": "2026-07-01",
            "comparison": "previous", "category": "contact_center_of_the_year", "word_limit": 500})
    }

    #[test]
    fn previous_is_the_same_number_of_days_before_and_as_of_is_truncated() {
        let p = request(base()).unwrap();
        assert_eq!(p.comparison.from.to_string(), "2025-07-04");
        assert_eq!(p.comparison.to.to_string(), "2026-01-01");
        assert_eq!(p.as_of.to_rfc3339(), "2026-12-01T10:00:00+00:00");
        assert_eq!(
            p.eligibility.start.to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn year_earlier_and_a_zone_give_local_midnights() {
        let mut v = base();
        v["comparison"] = "year_earlier".into();
        v["time_zone"] = "America/New_York".into();
        v["from"] = "2024-02-29".into();
        v["to"] = "2024-07-01".into();
        let p = request(v).unwrap();
        assert_eq!(p.comparison.from.to_string(), "2023-02-28");
        assert_eq!(
            p.eligibility.start.to_rfc3339(),
            "2024-02-29T05:00:00+00:00"
        );
        assert_eq!(p.eligibility.end.to_rfc3339(), "2024-07-01T04:00:00+00:00");
    }

    #[test]
    fn a_calendar_is_stored_only_when_named() {
        let without = serde_json::to_value(request(base()).unwrap()).unwrap();
        assert!(without.get("calendar").is_none(), "{without}");
        let mut v = base();
        v["calendar"] = 4.into();
        let with = request(v).unwrap();
        assert_eq!(with.calendar, Some(4));
        let json = serde_json::to_value(&with).unwrap();
        assert_eq!(json["calendar"], 4);
        let back: EvidenceParams = serde_json::from_value(json).unwrap();
        assert_eq!(back, with);
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            (
                "company with an id",
                serde_json::json!({"scope": "company"}),
                "scope_id",
            ),
            (
                "team without an id",
                serde_json::json!({"scope_id": null}),
                "scope_id",
            ),
            (
                "empty period",
                serde_json::json!({"to": "2026-01-01"}),
                "to",
            ),
            (
                "period too long",
                serde_json::json!({"to": "2030-01-01"}),
                "to",
            ),
            (
                "bad zone",
                serde_json::json!({"time_zone": "Mars/Olympus"}),
                "time_zone",
            ),
            (
                "dates without from",
                serde_json::json!({"comparison": "dates", "comparison_to": "2025-01-01"}),
                "comparison_from",
            ),
            (
                "from with previous",
                serde_json::json!({"comparison_from": "2025-01-01"}),
                "comparison_from",
            ),
            (
                "few words",
                serde_json::json!({"word_limit": 10}),
                "word_limit",
            ),
            (
                "resamples",
                serde_json::json!({"bootstrap_resamples": 5}),
                "bootstrap_resamples",
            ),
            (
                "as_of early",
                serde_json::json!({"as_of": "2025-01-01T00:00:00Z"}),
                "as_of",
            ),
            ("calendar 0", serde_json::json!({"calendar": 0}), "calendar"),
            (
                "year 1999",
                serde_json::json!({"from": "1999-01-01"}),
                "from",
            ),
        ];
        for (what, patch, field) in cases {
            let mut v = base();
            for (k, x) in patch.as_object().unwrap() {
                v[k] = x.clone();
            }
            if what == "company with an id" {
                v["scope_id"] = 3.into();
            }
            assert_eq!(field_of(request(v).unwrap_err()), field, "{what}");
        }
    }
}
