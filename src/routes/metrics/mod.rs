//! `GET /api/v1/metrics/summary`, `/metrics/timeseries` and `/metrics/breakdown`: parse the query,
//! read the in-memory store ([`crate::metrics::store`]) and answer JSON or CSV (`csv.rs`); one
//! file per endpoint beside the summary here: [`timeseries`], [`breakdown`].

pub(crate) mod csv;

use self::csv::{csv_response, opt, wants_csv};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::buckets::{BucketError, Interval, bucket_starts};
use crate::domain::stats::{DurationStats, Rate};
use crate::error::{ApiError, ApiResult};
use crate::metrics::store::{Reader, StoreGrouping};
use crate::metrics::types as model;
use crate::models::enums::UserRole;
use crate::routes::body::QueryParams;
use crate::routes::fields::parse_range;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Validates the ticket filters shared by the metrics endpoints.
macro_rules! metric_filters {
    ($q:expr) => {{
        let q = &$q;
        let one_of = |field: &str, value: &Option<String>, allowed: &[&str]| match value.as_deref()
        {
            Some(v) if !allowed.contains(&v) => Err(ApiError::invalid_field(
                field,
                format!("expected one of {}", allowed.join(", ")),
            )),
            _ => Ok(value.clone()),
        };
        model::MetricFilters {
            team_id: q.team,
            agent_id: q.agent,
            current_team_id: q.current_team,
            current_agent_id: q.current_agent,
            organization_id: q.organization,
            site_id: q.site,
            channel: one_of(
                "channel",
                &q.channel,
                &["phone", "email", "web", "chat", "field"],
            )?,
            priority: one_of(
                "priority",
                &q.priority,
                &["low", "normal", "high", "urgent"],
            )?,
            category: match q.category.as_ref().map(|c| c.trim().to_lowercase()) {
                Some(c) if c.is_empty() => {
                    return Err(ApiError::invalid_field(
                        "category",
                        "must not be empty (leave it out for every category)",
                    ));
                }
                c => c,
            },
            sourcing: one_of("sourcing", &q.sourcing, &["in_house", "outsourced"])?,
            employment_type: match (
                one_of(
                    "agent_employment_type",
                    &q.agent_employment_type,
                    &["employee", "contractor"],
                )?,
                one_of(
                    "employment_type",
                    &q.employment_type,
                    &["employee", "contractor"],
                )?,
            ) {
                (Some(a), Some(b)) if a != b => {
                    return Err(ApiError::invalid_field(
                        "agent_employment_type",
                        "differs from employment_type, its former name: give one of them",
                    ));
                }
                (a, b) => a.or(b),
            },
            source: crate::import::event_log::source_filter(q.source.as_deref())?,
        }
    }};
}

/// Query parameters of `GET /metrics/summary`: the half-open period `[from, to)`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Start, inclusive (RFC 3339). Default: the beginning of the data.
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub from: Option<String>,
    /// End, exclusive (RFC 3339; not before `from`). Default: no end.
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub to: Option<String>,
    /// Extra figures, comma-separated: `contact_rates` (one-touch, first-contact resolution,
    /// repeat contact) and `on_hold_by_reason`. Left out unless asked for.
    #[param(value_type = Option<crate::routes::openapi::SummaryInclude>)]
    pub include: Option<String>,
    /// `calendar` (default: wall-clock seconds) or `business` (seconds inside each ticket's
    /// team calendar, 24/7 for a team without one; or inside the one named by `calendar`).
    #[param(value_type = Option<crate::routes::openapi::TimeBasisName>)]
    pub time: Option<String>,
    /// N of `first_time_fix.v1` and the repeat-visit rate, days (1–365; default 30).
    #[param(minimum = 1, maximum = 365)]
    pub ftf_days: Option<i64>,
    /// Only figures credited to this team (docs/METRICS.md §7, "Attribution"): the replying
    /// agent's team at the first reply for `frt.v1`, the team at the latest solve for the
    /// resolution figures, the team at creation for volumes and repeat contacts.
    pub team: Option<i64>,
    /// Only figures credited to this staff member: the agent who wrote the first reply
    /// (`frt.v1`), the assignee at the latest solve (resolution figures).
    pub agent: Option<i64>,
    /// Only tickets whose team is this one now (workload views).
    pub current_team: Option<i64>,
    /// Only tickets assigned to this staff member now (workload views).
    pub current_agent: Option<i64>,
    /// Only this organization's tickets.
    pub organization: Option<i64>,
    /// Only this site's tickets.
    pub site: Option<i64>,
    /// Only this channel (`phone`, `email`, `web`, `chat`, `field`).
    #[param(value_type = Option<crate::models::enums::TicketChannel>)]
    pub channel: Option<String>,
    /// Only this priority (`low`, `normal`, `high`, `urgent`).
    #[param(value_type = Option<crate::domain::ticket::TicketPriority>)]
    pub priority: Option<String>,
    /// Only this category (not blank; compared lower-cased).
    #[param(value_type = Option<crate::routes::openapi::NonBlank>)]
    pub category: Option<String>,
    /// Only figures credited to a team with this sourcing (`in_house`, `outsourced`) at the
    /// figure's instant.
    #[param(value_type = Option<crate::models::enums::TeamSourcing>)]
    pub sourcing: Option<String>,
    /// Only figures credited to an agent with this employment type (`employee`, `contractor`)
    /// at the figure's instant.
    #[param(value_type = Option<crate::models::enums::EmploymentType>)]
    pub agent_employment_type: Option<String>,
    /// Former name of `agent_employment_type`, still read as the same filter.
    #[param(value_type = Option<crate::models::enums::EmploymentType>)]
    pub employment_type: Option<String>,
    /// A business calendar's id: every business duration of the request (`time=business`) is
    /// measured on this one calendar instead of each ticket's own (docs/METRICS.md §7,
    /// "Comparisons on one calendar").
    pub calendar: Option<i64>,
    /// An imported data set's label (`frontline import event-log … --source LABEL`): only its
    /// tickets. Without it, only the company's own tickets count.
    #[param(pattern = "^[a-z0-9][a-z0-9_.-]{0,62}$")]
    pub source: Option<String>,
}

/// The period a summary covers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Period {
    /// Start, inclusive (`null`: unbounded).
    pub from: Option<DateTime<Utc>>,
    /// End, exclusive (`null`: unbounded).
    pub to: Option<DateTime<Utc>>,
}

/// Figures of one period. Durations are calendar seconds.
///
/// Period membership (docs/METRICS.md §5): `tickets_created` by creation; `first_reply_time`
/// (`frt.v1`) by the instant of the first reply; `tickets_solved`, `full_resolution_time`
/// (`full_resolution.v1`) and `reopen_rate` (`reopen_rate.v1`) by the ticket's latest solve.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryResponse {
    /// The period.
    pub period: Period,
    /// `calendar` or `business`: the variant of the durations.
    pub time: &'static str,
    /// The business calendar every business duration was measured on (the `calendar`
    /// parameter); `null`: each ticket's own calendars (its teams', as they were).
    pub calendar: Option<MeasuringCalendar>,
    /// The docs/METRICS.md definitions (ids) of the figures.
    pub definitions: Definitions,
    /// Tickets created in the period.
    pub tickets_created: i64,
    /// Tickets whose latest solve is in the period.
    pub tickets_solved: i64,
    /// Tickets with at least one reopen / tickets solved (`reopen_rate.v1`).
    pub reopen_rate: Rate,
    /// `frt.v1`, seconds.
    pub first_reply_time: DurationStats,
    /// `full_resolution.v1`, seconds.
    pub full_resolution_time: DurationStats,
    /// `one_touch.v1`: solved with fewer than 2 agent replies / tickets solved
    /// (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_touch_rate: Option<Rate>,
    /// `one_touch_strict.v1`: solved with exactly 1 agent reply / tickets solved
    /// (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_touch_strict_rate: Option<Rate>,
    /// `fcr.v1`: first-contact resolutions / tickets solved (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fcr_rate: Option<Rate>,
    /// `repeat_contact.v1`: repeat contacts / tickets created (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_contact_rate: Option<Rate>,
    /// `on_hold.v1` by pause reason, by the latest solve: reason → tickets and total seconds
    /// (calendar) (`include=on_hold_by_reason`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_hold_by_reason: Option<std::collections::BTreeMap<String, HoldFigures>>,
    /// SLA attainment: targets achieved / (achieved + breached), by the instant each was
    /// achieved or breached (docs/METRICS.md §6 `sla_attainment`).
    pub sla_attainment: Rate,
    /// `csat.v1`: ratings of 4 or 5 / ratings, and the mean score, by `answered_at`.
    pub csat: CsatFigures,
    /// `csat_response_rate.v1`: surveys sent in the period (by `sent_at`) that have an answer /
    /// surveys sent in the period.
    pub csat_response_rate: Rate,
    /// `nps.v1`: promoters, passives, detractors and the score, by `answered_at`.
    pub nps: NpsFigures,
    /// Field-service figures (docs/METRICS.md §8), by the work order's `finished_at`; `null`
    /// when a filter names a ticket-only dimension (team, agent, current team, current agent,
    /// channel, category, sourcing, agent employment type).
    pub field: Option<FieldBlock>,
}

/// Field-service figures of a period or group (docs/METRICS.md §8), each work order by its
/// `finished_at` (completed, could not complete or cancelled; open work orders are in none).
/// Durations are seconds of the request's `time` (calendar, or business seconds on each
/// ticket's calendar); the technician is the attribution.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldBlock {
    /// Work orders `completed` or `cannot_complete`.
    pub work_orders_completed: i64,
    /// `travel_time.v1`: en route → on site, seconds (cancelled work orders that arrived
    /// included).
    pub travel_time: DurationStats,
    /// `wrench_time.v1`: on site → completed or cannot complete, seconds.
    pub wrench_time: DurationStats,
    /// `time_to_arrival.v1`: created → on site, seconds (cancelled work orders that arrived
    /// included).
    pub time_to_arrival: DurationStats,
    /// `arrival_window_met.v1`: arrivals inside the promised window (inclusive) / arrivals
    /// with a window.
    pub arrival_window_met: Rate,
    /// `first_time_fix.v1`: first visits fixed / first visits ended, with N = `ftf_days`.
    pub first_time_fix: FirstTimeFix,
    /// Ended work orders followed within `ftf_days` days by another work order for the same
    /// site and asset (of the same ticket without an asset) / ended work orders.
    pub repeat_visit_rate: Rate,
}

/// `csat.v1` of a period or group: the tickets' ratings whose `answered_at` falls in it (a
/// ticket's rating is its most recently answered survey, `pre_reopen` included unless a later
/// answer replaced it), attributed to the team and assignee at the solve the survey asked about.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsatFigures {
    /// Ratings of 4 or 5.
    pub numerator: i64,
    /// Ratings (the count of the mean too).
    pub denominator: i64,
    /// CSAT: numerator / denominator in [0, 1]; `null` without any rating (never 0).
    pub value: Option<f64>,
    /// Mean score on the 1–5 scale over the same `denominator` ratings; `null` without any.
    pub mean_score: Option<f64>,
}

/// `nps.v1` of a period or group: the ratings with an NPS answer (0–10), by `answered_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NpsFigures {
    /// Answers of 9 or 10.
    pub promoters: i64,
    /// Answers of 7 or 8.
    pub passives: i64,
    /// Answers of 0 to 6.
    pub detractors: i64,
    /// Ratings with an NPS answer.
    pub responses: i64,
    /// % of promoters − % of detractors, −100 to 100; `null` without any answer.
    pub score: Option<f64>,
}

/// The three satisfaction figures of a report, as the responses carry them.
fn satisfaction(s: model::Satisfaction) -> (CsatFigures, Rate, NpsFigures) {
    (
        CsatFigures {
            numerator: s.csat.numerator,
            denominator: s.csat.denominator,
            value: s.csat.value,
            mean_score: s.mean_score,
        },
        s.response_rate,
        NpsFigures {
            promoters: s.nps.promoters,
            passives: s.nps.passives,
            detractors: s.nps.detractors,
            responses: s.nps.responses,
            score: s.nps.score,
        },
    )
}

/// `first_time_fix.v1` with its N.
#[derive(Debug, Serialize, ToSchema)]
pub struct FirstTimeFix {
    /// First visits fixed.
    pub numerator: i64,
    /// First visits ended (completed or cannot complete).
    pub denominator: i64,
    /// numerator / denominator; `null` when the denominator is 0.
    pub value: Option<f64>,
    /// N, days (the `ftf_days` parameter; 30 by default).
    pub ftf_days: i64,
}

impl From<model::FieldFigures> for FieldBlock {
    fn from(f: model::FieldFigures) -> Self {
        FieldBlock {
            work_orders_completed: f.work_orders_completed,
            travel_time: f.travel_time,
            wrench_time: f.wrench_time,
            time_to_arrival: f.time_to_arrival,
            arrival_window_met: f.arrival_window_met,
            first_time_fix: FirstTimeFix {
                numerator: f.first_time_fix.numerator,
                denominator: f.first_time_fix.denominator,
                value: f.first_time_fix.value,
                ftf_days: f.ftf_days,
            },
            repeat_visit_rate: f.repeat_visit_rate,
        }
    }
}

/// The `ftf_days` parameter: 1–365, 30 when left out.
fn ftf_days(raw: Option<i64>) -> ApiResult<i64> {
    match raw {
        None => Ok(model::DEFAULT_FTF_DAYS),
        Some(n) if (1..=365).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_field(
            "ftf_days",
            "expected a number of days from 1 to 365",
        )),
    }
}

/// Tickets created and solved, reopen rate (`reopen_rate.v1`), first reply time (`frt.v1`) and
/// full resolution time (`full_resolution.v1`) over `[from, to)`, SLA attainment
/// (`sla_attainment`), CSAT with its mean score (`csat.v1`), the survey response rate
/// (`csat_response_rate.v1`) and NPS (`nps.v1`); with `include=contact_rates` the `one_touch.v1`, `one_touch_strict.v1`,
/// `fcr.v1` and `repeat_contact.v1` rates, with `include=on_hold_by_reason` `on_hold.v1` by pause
/// reason: exactly as docs/METRICS.md defines them, each figure by its period membership (§5).
/// An empty period gives counts of 0 and `null` statistics.
///
/// Managers and admins only.
///
/// Team, agent, sourcing and agent employment type (filters) are those each figure is credited
/// to (docs/METRICS.md §7, "Attribution"); `current_team` and `current_agent` the ticket's now.
/// With `calendar` and `time=business`, every business duration (first reply, full resolution,
/// travel, wrench and arrival times) is measured on that one business calendar, which the
/// response names.
///
/// Errors: 401 without a valid token; 403 for agents and technicians; 422 naming the field for a
/// bad timestamp or `to` before `from`, or an unknown `calendar`; 400 for an unknown parameter.
#[utoipa::path(get, path = "/api/v1/metrics/summary", tag = "metrics", params(SummaryQuery),
    security(("bearer" = [])),
    responses(
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, body = SummaryResponse),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_summary(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: Result<QueryParams<SummaryQuery>, ApiError>,
) -> ApiResult<HttpResponse> {
    // The role first: an agent learns nothing from the parameters' validation.
    user.require(&[UserRole::Admin, UserRole::Manager])?;
    let query = query?;
    let (from, to) = parse_range("from", "to", query.from.as_deref(), query.to.as_deref())?;
    let (basis, time) = basis(query.time.as_deref())?;
    let (lo, hi) = bounds(from, to);
    let filters = metric_filters!(query);
    let include = includes(
        query.include.as_deref(),
        &[CONTACT_RATES, ON_HOLD_BY_REASON],
    )?;
    let with_contact = include.contains(&CONTACT_RATES);
    let with_holds = include.contains(&ON_HOLD_BY_REASON);
    let options = model::ReportOptions {
        basis,
        now: Utc::now(),
        contact_rates: with_contact,
        ftf_days: ftf_days(query.ftf_days)?,
    };
    let ((report, holds), calendar) =
        read_store_on(&state, query.calendar, (lo, hi), move |store, calendar| {
            let report = store.summary_on(&filters, lo, hi, options, calendar);
            let holds = with_holds.then(|| store.hold_reasons(&filters, lo, hi));
            Ok((report, holds))
        })
        .await?;
    let (s, attainment, contact, field, sat) = (
        report.figures,
        report.sla_attainment,
        report.contact_rates,
        report.field,
        report.satisfaction,
    );
    if wants_csv(&req) {
        let row = model::GroupReport {
            key: None,
            label: None,
            figures: s,
            sla_attainment: attainment,
            contact_rates: contact,
            field,
            satisfaction: sat,
        };
        // With `include=on_hold_by_reason`: two columns per reason held in the period.
        let extra = holds.as_ref().map_or_else(Default::default, |h| {
            h.iter()
                .flat_map(|(reason, (tickets, seconds))| {
                    [
                        (format!("on_hold_{reason}_tickets"), tickets.to_string()),
                        (format!("on_hold_{reason}_seconds"), seconds.to_string()),
                    ]
                })
                .unzip()
        });
        let field = row.field.is_some();
        return csv_response(
            "summary",
            &[],
            with_contact,
            (true, field),
            vec![(vec![], row)],
            extra,
        );
    }
    let (csat, csat_response_rate, nps) = satisfaction(sat);
    Ok(HttpResponse::Ok().json(SummaryResponse {
        period: Period { from, to },
        time,
        calendar,
        definitions: DEFINITIONS,
        tickets_created: s.tickets_created,
        tickets_solved: s.tickets_solved,
        reopen_rate: s.reopen_rate,
        first_reply_time: s.first_reply_time,
        full_resolution_time: s.full_resolution_time,
        one_touch_rate: contact.as_ref().map(|c| c.one_touch.clone()),
        one_touch_strict_rate: contact.as_ref().map(|c| c.one_touch_strict.clone()),
        fcr_rate: contact.as_ref().map(|c| c.fcr.clone()),
        repeat_contact_rate: contact.map(|c| c.repeat_contact),
        on_hold_by_reason: holds.map(|h| {
            h.into_iter()
                .map(|(reason, (tickets, total_seconds))| {
                    (
                        reason,
                        HoldFigures {
                            tickets,
                            total_seconds,
                        },
                    )
                })
                .collect()
        }),
        sla_attainment: attainment,
        csat,
        csat_response_rate,
        nps,
        field: field.map(FieldBlock::from),
    }))
}

/// The calendar a request's business durations were measured on (the `calendar` parameter).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasuringCalendar {
    /// Business calendar id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// Runs `read` on a blocking thread with the metrics store brought up to the database's current
/// snapshot, and the business calendar `calendar` (an id) read in the same snapshot with the
/// work orders of `[from, to)` measured on it: `read` gets it (`None` without one), and the
/// answer names it. 422 naming `calendar` for an id no
/// calendar has.
async fn read_store_on<T, F>(
    state: &web::Data<AppState>,
    calendar: Option<i64>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    read: F,
) -> ApiResult<(T, Option<MeasuringCalendar>)>
where
    F: FnOnce(&Reader<'_>, Option<&crate::metrics::OneCalendar>) -> ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    use crate::models::calendar::{CalendarRow, to_domain};
    use crate::schema::business_calendars as bc;
    use diesel::prelude::*;
    let store = state.metrics_store.clone();
    let pool = state.pool.clone();
    db::blocking(move || {
        store.read(&pool, |conn, reader| {
            let Some(id) = calendar else {
                return Ok((read(reader, None)?, None));
            };
            let row: CalendarRow = bc::table
                .find(id)
                .select(CalendarRow::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| {
                    ApiError::invalid_field("calendar", "no business calendar has this id")
                })?;
            let one = crate::metrics::OneCalendar::load(conn, to_domain(&row)?, from, to)?;
            let out = read(reader, Some(&one))?;
            Ok((
                out,
                Some(MeasuringCalendar {
                    id: row.id,
                    name: row.name,
                }),
            ))
        })
    })
    .await
}

/// Time on hold for one pause reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldFigures {
    /// Tickets that spent time on hold for this reason.
    pub tickets: i64,
    /// Their total time on hold for it, seconds.
    pub total_seconds: i64,
}

/// The options of a grouped report (timeseries, breakdown): `include` may only ask for
/// `contact_rates`; SLA clocks are judged at the current instant.
fn report_options(
    include: Option<&str>,
    basis: model::TimeBasis,
    ftf: Option<i64>,
) -> ApiResult<model::ReportOptions> {
    Ok(model::ReportOptions {
        basis,
        now: Utc::now(),
        contact_rates: includes(include, &[CONTACT_RATES])?.contains(&CONTACT_RATES),
        ftf_days: ftf_days(ftf)?,
    })
}

/// `include=contact_rates`.
const CONTACT_RATES: &str = "contact_rates";
/// `include=on_hold_by_reason`.
const ON_HOLD_BY_REASON: &str = "on_hold_by_reason";

/// Parses a comma-separated `include` parameter; anything not in `allowed` is a 422 naming
/// `include`.
fn includes(raw: Option<&str>, allowed: &[&'static str]) -> ApiResult<Vec<&'static str>> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(|item| {
            allowed
                .iter()
                .find(|a| **a == item)
                .copied()
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "include",
                        format!("expected any of {}", allowed.join(", ")),
                    )
                })
        })
        .collect()
}

/// Every stored instant lies in this range (domain::instant), so "unbounded" is exact.
fn bounds(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        from.unwrap_or_else(crate::domain::instant::min),
        to.unwrap_or_else(crate::domain::instant::end),
    )
}

fn basis(time: Option<&str>) -> ApiResult<(model::TimeBasis, &'static str)> {
    match time {
        None | Some("calendar") => Ok((model::TimeBasis::Calendar, "calendar")),
        Some("business") => Ok((model::TimeBasis::Business, "business")),
        Some(_) => Err(ApiError::invalid_field(
            "time",
            "expected calendar or business",
        )),
    }
}

/// The docs/METRICS.md id of each figure, echoed in every metrics response so that a reader
/// (or a judge) knows exactly what was measured.
#[derive(Debug, Serialize, ToSchema)]
pub struct Definitions {
    /// `frt.v1`.
    pub first_reply_time: &'static str,
    /// `full_resolution.v1`.
    pub full_resolution_time: &'static str,
    /// `reopen_rate.v1`.
    pub reopen_rate: &'static str,
    /// `sla_attainment` (docs/METRICS.md §6): targets achieved / (achieved + breached).
    pub sla_attainment: &'static str,
    /// `one_touch.v1`.
    pub one_touch_rate: &'static str,
    /// `one_touch_strict.v1`.
    pub one_touch_strict_rate: &'static str,
    /// `fcr.v1`.
    pub fcr_rate: &'static str,
    /// `repeat_contact.v1`.
    pub repeat_contact_rate: &'static str,
    /// `travel_time.v1`.
    pub travel_time: &'static str,
    /// `wrench_time.v1`.
    pub wrench_time: &'static str,
    /// `time_to_arrival.v1`.
    pub time_to_arrival: &'static str,
    /// `arrival_window_met.v1`.
    pub arrival_window_met: &'static str,
    /// `first_time_fix.v1`.
    pub first_time_fix: &'static str,
    /// The repeat-visit rate (docs/METRICS.md §8).
    pub repeat_visit_rate: &'static str,
    /// `csat.v1`.
    pub csat: &'static str,
    /// `csat_response_rate.v1`.
    pub csat_response_rate: &'static str,
    /// `nps.v1`.
    pub nps: &'static str,
    /// Whom each figure is credited to under the `team`, `agent`, `sourcing` and
    /// `agent_employment_type` dimensions and filters (docs/METRICS.md §7, "Attribution").
    pub attribution: &'static str,
    /// Period membership of each figure.
    pub periods: &'static str,
}

/// The definitions of docs/METRICS.md (v1).
pub const DEFINITIONS: Definitions = Definitions {
    first_reply_time: "frt.v1",
    full_resolution_time: "full_resolution.v1",
    reopen_rate: "reopen_rate.v1",
    sla_attainment: "sla_attainment (docs/METRICS.md §6): achieved / (achieved + breached) targets",
    one_touch_rate: "one_touch.v1",
    one_touch_strict_rate: "one_touch_strict.v1",
    fcr_rate: "fcr.v1",
    repeat_contact_rate: "repeat_contact.v1",
    travel_time: "travel_time.v1",
    wrench_time: "wrench_time.v1",
    time_to_arrival: "time_to_arrival.v1",
    arrival_window_met: "arrival_window_met.v1",
    first_time_fix: "first_time_fix.v1",
    repeat_visit_rate: "repeat_visit_rate (docs/METRICS.md §8)",
    csat: "csat.v1",
    csat_response_rate: "csat_response_rate.v1",
    nps: "nps.v1",
    attribution: "who was responsible when the figure happened: tickets_created and \
                  repeat_contact_rate to the team at creation (no agent); first_reply_time to the \
                  agent who wrote the first reply and that agent's team, with sourcing and \
                  employment type at that instant; tickets_solved, full_resolution_time, \
                  reopen_rate, one_touch_rate, one_touch_strict_rate, fcr_rate and \
                  on_hold_by_reason to the assignee and team at the latest solve; csat, \
                  csat_response_rate and nps to the team and assignee at the solve surveyed; \
                  sla_attainment, each target to the team and assignee when it was achieved \
                  or breached, with sourcing and employment type at that instant; current_team \
                  and current_agent are the ticket's now",
    periods: "tickets_created and repeat_contact_rate by creation; first_reply_time by the \
              first reply; tickets_solved, full_resolution_time, reopen_rate, one_touch_rate, \
              one_touch_strict_rate and fcr_rate by the latest solve; sla_attainment by the \
              instant each target was achieved or breached; field figures by the work order's \
              finished_at; csat and nps by the answered_at of each ticket's rating (its latest \
              answer), csat_response_rate by the survey's sent_at, attributed to the team and \
              assignee at the solve surveyed; [from, to)",
};

/// The figures of one bucket or group (see [`SummaryResponse`] for each field), each by its own
/// period-membership instant. Every rate is `{numerator, denominator, value}` (`value` `null`
/// when the denominator is 0); durations are seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    /// Tickets created.
    pub tickets_created: i64,
    /// Tickets whose latest solve falls here.
    pub tickets_solved: i64,
    /// `reopen_rate.v1`: tickets with at least one reopen / tickets solved, by the latest solve.
    pub reopen_rate: Rate,
    /// `frt.v1`, seconds, by the first reply.
    pub first_reply_time: DurationStats,
    /// `full_resolution.v1`, seconds, by the latest solve.
    pub full_resolution_time: DurationStats,
    /// SLA attainment (docs/METRICS.md §6 `sla_attainment`): targets achieved / (achieved +
    /// breached), each target by the instant it was achieved or breached (a running clock past its
    /// due instant counts as breached at that instant), in the group of its ticket.
    pub sla_attainment: Rate,
    /// `one_touch.v1`: solved with fewer than 2 agent replies / tickets solved, by the latest
    /// solve (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_touch_rate: Option<Rate>,
    /// `one_touch_strict.v1`: solved with exactly 1 agent reply / tickets solved, by the latest
    /// solve (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_touch_strict_rate: Option<Rate>,
    /// `fcr.v1`: first-contact resolutions / tickets solved, by the latest solve
    /// (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fcr_rate: Option<Rate>,
    /// `repeat_contact.v1`: repeat contacts / tickets created, by creation
    /// (`include=contact_rates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_contact_rate: Option<Rate>,
    /// `csat.v1`: ratings of 4 or 5 / ratings, and the mean score, by `answered_at`; in the
    /// group of the team and assignee at the solve surveyed.
    pub csat: CsatFigures,
    /// `csat_response_rate.v1`: surveys sent (by `sent_at`) that have an answer / surveys sent.
    pub csat_response_rate: Rate,
    /// `nps.v1`, by `answered_at`.
    pub nps: NpsFigures,
}

impl From<model::GroupReport> for Figures {
    fn from(r: model::GroupReport) -> Self {
        let s = r.figures;
        let contact = r.contact_rates;
        let (csat, csat_response_rate, nps) = satisfaction(r.satisfaction);
        Figures {
            tickets_created: s.tickets_created,
            tickets_solved: s.tickets_solved,
            reopen_rate: s.reopen_rate,
            first_reply_time: s.first_reply_time,
            full_resolution_time: s.full_resolution_time,
            sla_attainment: r.sla_attainment,
            one_touch_rate: contact.as_ref().map(|c| c.one_touch.clone()),
            one_touch_strict_rate: contact.as_ref().map(|c| c.one_touch_strict.clone()),
            fcr_rate: contact.as_ref().map(|c| c.fcr.clone()),
            repeat_contact_rate: contact.map(|c| c.repeat_contact),
            csat,
            csat_response_rate,
            nps,
        }
    }
}

// After the `metric_filters!` macro, which they use.
pub mod breakdown;
pub mod timeseries;
