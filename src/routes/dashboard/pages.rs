//! `GET /dashboard`: what a manager sees first.
//!
//! - Today's backlog: unsolved tickets by status, and their SLA risk by the next due instant
//!   of their running clocks (`tickets.sla_due_at`): breached, due within 4 hours, later, no
//!   running clock. Two indexed SQL counts (`tickets_status_created_at_idx`,
//!   `tickets_unsolved_sla_due_idx`), nothing per ticket in Rust.
//! - The last 30 days (the reporting zone's 30 days ending with today) against the 30 before:
//!   the metrics engine's summary (as `GET /api/v1/metrics/summary?include=contact_rates`), a
//!   daily trend (as `/metrics/timeseries?interval=day`) drawn by the report renderer's chart
//!   code, the breakdowns by team, by sourcing and — field figures — by technician employment
//!   type (as `/metrics/breakdown`), and CSAT.
//! - The report forms and the latest stored reports ([`super::forms`]).
//!
//! Everything is read in one blocking call: the metrics store at the snapshot of one read-only
//! transaction, whose connection also counts the backlog and lists the reports. The six store
//! reports run on scoped threads at once (each only reads the shared store).

use super::figures::{self, Cell, GroupRow, KeyRow};
use super::forms::{self, EvidenceFormView, ReportLink};
use super::{failure, html, viewer};
use crate::auth::session::Session;
use crate::domain::buckets::{Interval, bucket_starts, start_of};
use crate::error::ApiError;
use crate::metrics::store::StoreGrouping;
use crate::metrics::types::{Dimension, GroupReport, MetricFilters, ReportOptions, TimeBasis};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Days, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

/// Days in each of the two compared periods.
pub const PERIOD_DAYS: u64 = 30;

/// Unsolved tickets by status.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct Backlog {
    /// `new`.
    #[diesel(sql_type = BigInt)]
    pub new: i64,
    /// `open`.
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    /// `pending`.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    /// `on_hold`.
    #[diesel(sql_type = BigInt)]
    pub on_hold: i64,
}

/// Unsolved tickets by the next due instant of their running SLA clocks.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct SlaRisk {
    /// Due at or before now: breached.
    #[diesel(sql_type = BigInt)]
    pub breached: i64,
    /// Due within the next 4 hours.
    #[diesel(sql_type = BigInt)]
    pub due_4h: i64,
    /// Due later.
    #[diesel(sql_type = BigInt)]
    pub later: i64,
}

/// Counts the backlog by status (index-only on `tickets_status_created_at_idx`).
///
/// # Errors
/// Database errors.
pub fn backlog(conn: &mut PgConnection) -> QueryResult<Backlog> {
    diesel::sql_query(
        "SELECT count(*) FILTER (WHERE status = 'new') AS new, \
                count(*) FILTER (WHERE status = 'open') AS open, \
                count(*) FILTER (WHERE status = 'pending') AS pending, \
                count(*) FILTER (WHERE status = 'on_hold') AS on_hold \
           FROM tickets WHERE status IN ('new', 'open', 'pending', 'on_hold')",
    )
    .get_result(conn)
}

/// Counts the unsolved tickets with a running SLA clock by its next due instant against `now`
/// (a range of `tickets_unsolved_sla_due_idx`).
///
/// # Errors
/// Database errors.
pub fn sla_risk(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<SlaRisk> {
    diesel::sql_query(
        "SELECT count(*) FILTER (WHERE sla_due_at <= $1) AS breached, \
                count(*) FILTER (WHERE sla_due_at > $1 AND sla_due_at <= $1 + interval '4 hours') \
                  AS due_4h, \
                count(*) FILTER (WHERE sla_due_at > $1 + interval '4 hours') AS later \
           FROM tickets \
          WHERE coalesce(sla_due_at, 'infinity'::timestamptz) < 'infinity'::timestamptz \
            AND status IN ('new', 'open', 'pending', 'on_hold')",
    )
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
}

/// The two compared periods: `[previous, start)` and `[start, end)`, `end` the local midnight
/// after today in the reporting zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// Start of the 30 days before.
    pub previous: DateTime<Utc>,
    /// Start of the last 30 days.
    pub start: DateTime<Utc>,
    /// End (exclusive): tomorrow's local midnight.
    pub end: DateTime<Utc>,
    /// The first local day of the last 30.
    pub first_day: NaiveDate,
    /// Today (local).
    pub today: NaiveDate,
}

/// The periods of `now` in `zone`.
///
/// # Errors
/// A date without a local midnight that no earlier instant stands for (not expected).
pub fn periods(zone: chrono_tz::Tz, now: DateTime<Utc>) -> Result<Periods, ApiError> {
    let today = now.with_timezone(&zone).date_naive();
    let midnight = |d: Option<NaiveDate>| {
        d.and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|m| start_of(zone, m))
            .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no local midnight near {today}")))
    };
    let first_day = today
        .checked_sub_days(Days::new(PERIOD_DAYS - 1))
        .unwrap_or(today);
    Ok(Periods {
        previous: midnight(first_day.checked_sub_days(Days::new(PERIOD_DAYS)))?,
        start: midnight(Some(first_day))?,
        end: midnight(today.checked_add_days(Days::new(1)))?,
        first_day,
        today,
    })
}

/// A trend chart.
pub struct Chart {
    /// Heading.
    pub label: String,
    /// docs/METRICS.md id.
    pub definition: String,
    /// The inline `<svg>` (plotters' SVG backend, as the evidence report draws it).
    pub svg: String,
}

/// A breakdown table.
pub struct Breakdown {
    /// `team`, `sourcing`, `technician_employment_type`.
    pub dimension: &'static str,
    /// Heading.
    pub heading: &'static str,
    /// Caption.
    pub caption: &'static str,
    /// Column headings.
    pub columns: Vec<&'static str>,
    /// Rows (none: a sentence says so).
    pub rows: Vec<GroupRow>,
}

/// What the page shows, read at one snapshot.
struct Data {
    backlog: Backlog,
    risk: SlaRisk,
    current: GroupReport,
    previous: GroupReport,
    days: Vec<(String, GroupReport)>,
    teams: Vec<GroupReport>,
    sourcing: Vec<GroupReport>,
    employment: Vec<GroupReport>,
    reports: Vec<crate::reports::store::StoredReportHeader>,
}

#[derive(Template)]
#[template(path = "dashboard/dashboard.html")]
struct DashboardTemplate<'a> {
    session: Option<&'a Session>,
    csrf_token: &'a str,
    today: String,
    zone: &'a str,
    period_text: String,
    period_from: String,
    period_to: String,
    previous_from: String,
    backlog: Vec<(&'static str, Cell)>,
    backlog_total: Cell,
    risk: Vec<(&'static str, Cell)>,
    key_rows: Vec<KeyRow>,
    satisfaction: Vec<KeyRow>,
    charts: Vec<Chart>,
    breakdowns: Vec<Breakdown>,
    evidence: EvidenceFormView,
    reports: Vec<ReportLink>,
}

/// Reads everything the page shows (blocking: call on a blocking thread).
fn read(
    state: &AppState,
    zone: chrono_tz::Tz,
    p: Periods,
    now: DateTime<Utc>,
) -> Result<Data, ApiError> {
    let days: Vec<(String, DateTime<Utc>)> = bucket_starts(Interval::Day, zone, p.start, p.end)
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("{e}")))?
        .into_iter()
        .map(|(local, start)| (local.format("%Y-%m-%dT%H:%M:%S").to_string(), start))
        .collect();
    let options = ReportOptions {
        basis: TimeBasis::Calendar,
        now,
        contact_rates: true,
        ftf_days: crate::metrics::types::DEFAULT_FTF_DAYS,
    };
    let all = MetricFilters::default();
    state.metrics_store.read(&state.pool, |conn, store| {
        // The six reports read the shared store independently: one scoped thread each, while
        // this thread counts the backlog and lists the reports on the snapshot's connection.
        let report =
            |grouping: StoreGrouping<'_>, from, to| store.report(grouping, &all, from, to, options);
        let (reports, sql) = std::thread::scope(|scope| {
            let current = scope.spawn(|| store.summary(&all, p.start, p.end, options));
            let previous = scope.spawn(|| store.summary(&all, p.previous, p.start, options));
            let buckets = scope.spawn(|| report(StoreGrouping::Buckets(&days), p.start, p.end));
            let teams =
                scope.spawn(|| report(StoreGrouping::Dimension(Dimension::Team), p.start, p.end));
            let sourcing = scope.spawn(|| {
                report(
                    StoreGrouping::Dimension(Dimension::Sourcing),
                    p.start,
                    p.end,
                )
            });
            let employment = scope.spawn(|| {
                report(
                    StoreGrouping::Dimension(Dimension::TechnicianEmploymentType),
                    p.start,
                    p.end,
                )
            });
            let sql = (|| -> QueryResult<_> {
                Ok((
                    backlog(conn)?,
                    sla_risk(conn, now)?,
                    crate::reports::store::list(conn, None, 10)?,
                ))
            })();
            // Every thread joined (none left to re-panic the scope), then combined.
            let joined = (
                current.join(),
                previous.join(),
                buckets.join(),
                teams.join(),
                sourcing.join(),
                employment.join(),
            );
            let joined = match joined {
                (Ok(a), Ok(b), Ok(c), Ok(d), Ok(e), Ok(f)) => Some((a, b, c, d, e, f)),
                _ => None,
            };
            (joined, sql)
        });
        let (current, previous, buckets, teams, sourcing, employment) = reports
            .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("a dashboard report panicked")))?;
        let (backlog, risk, reports) = sql?;
        let mut buckets: std::collections::HashMap<String, GroupReport> = buckets
            .into_iter()
            .filter_map(|g| g.key.clone().map(|k| (k, g)))
            .collect();
        Ok(Data {
            backlog,
            risk,
            current,
            previous,
            days: days
                .iter()
                .map(|(key, _)| {
                    let report = buckets.remove(key).unwrap_or_else(|| {
                        GroupReport::empty(Some(key.clone()), true, Some(options.ftf_days))
                    });
                    (key.clone(), report)
                })
                .collect(),
            teams,
            sourcing,
            employment,
            reports,
        })
    })
}

/// `GET /dashboard`: the page (200); 303 to `/login` without a session; 403 for other roles.
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let session = match viewer(&state, &req).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let zone_name = state.settings.metrics.reporting_time_zone.clone();
    let Ok(zone) = zone_name.parse::<chrono_tz::Tz>() else {
        return failure(
            ApiError::Unexpected(anyhow::anyhow!("bad reporting zone")),
            Some(&session),
        );
    };
    let now = Utc::now();
    let p = match periods(zone, now) {
        Ok(p) => p,
        Err(e) => return failure(e, Some(&session)),
    };
    let reader = state.clone();
    let data = match crate::db::blocking(move || read(&reader, zone, p, now)).await {
        Ok(d) => d,
        Err(e) => return failure(e, Some(&session)),
    };
    let evidence = forms::EvidenceFormView::defaults(p.today, &zone_name);
    match render(&session, &zone_name, p, data, evidence) {
        Ok(body) => html(StatusCode::OK, body),
        Err(e) => failure(e, Some(&session)),
    }
}

fn render(
    session: &Session,
    zone: &str,
    p: Periods,
    data: Data,
    evidence: EvidenceFormView,
) -> Result<String, ApiError> {
    let unexpected = |e: &dyn std::fmt::Display| ApiError::Unexpected(anyhow::anyhow!("{e}"));
    let current = figures::api_json(&data.current);
    let previous = figures::api_json(&data.previous);
    let b = data.backlog;
    let total = b.new + b.open + b.pending + b.on_hold;
    let r = data.risk;
    let mut charts = Vec::new();
    for measure in [
        &figures::KEY_FIGURES[0],
        &figures::KEY_FIGURES[2],
        &figures::KEY_FIGURES[4],
    ] {
        let series = figures::daily_series(measure, &data.days);
        let svg = crate::reports::render::charts::svg_over(&series, "Day (month-day)")
            .map_err(|e| unexpected(&e))?;
        charts.push(Chart {
            label: format!("{} per day", measure.label),
            definition: measure.definition.to_string(),
            svg,
        });
    }
    let team_columns: Vec<&'static str> = figures::GROUP_COLUMNS.iter().map(|c| c.label).collect();
    let breakdowns = vec![
        Breakdown {
            dimension: "team",
            heading: "By team",
            caption: "Figures of the last 30 days by the ticket's team",
            columns: team_columns.clone(),
            rows: figures::group_rows("team", &data.teams, figures::GROUP_COLUMNS),
        },
        Breakdown {
            dimension: "sourcing",
            heading: "By sourcing",
            caption: "Figures of the last 30 days by the sourcing of the ticket's team",
            columns: team_columns,
            rows: figures::group_rows("sourcing", &data.sourcing, figures::GROUP_COLUMNS),
        },
        Breakdown {
            dimension: "technician_employment_type",
            heading: "Field work by technician employment type",
            caption: "Field figures of the last 30 days by the technician's employment type",
            columns: figures::FIELD_COLUMNS.iter().map(|c| c.label).collect(),
            rows: figures::group_rows(
                "technician_employment_type",
                &data.employment,
                figures::FIELD_COLUMNS,
            ),
        },
    ];
    let page = DashboardTemplate {
        session: Some(session),
        csrf_token: &session.csrf_token,
        today: crate::reports::render::format::date(p.today),
        zone,
        period_text: crate::reports::render::format::period(
            p.first_day,
            p.today.checked_add_days(Days::new(1)).unwrap_or(p.today),
        ),
        period_from: p.start.to_rfc3339(),
        period_to: p.end.to_rfc3339(),
        previous_from: p.previous.to_rfc3339(),
        backlog: vec![
            ("New", figures::count_cell("backlog.new", b.new)),
            ("Open", figures::count_cell("backlog.open", b.open)),
            ("Pending", figures::count_cell("backlog.pending", b.pending)),
            ("On hold", figures::count_cell("backlog.on_hold", b.on_hold)),
        ],
        backlog_total: figures::count_cell("backlog.total", total),
        risk: vec![
            (
                "Breached (past due)",
                figures::count_cell("sla.breached", r.breached),
            ),
            (
                "Due within 4 hours",
                figures::count_cell("sla.due_4h", r.due_4h),
            ),
            ("Due later", figures::count_cell("sla.later", r.later)),
            (
                "No running SLA clock",
                figures::count_cell("sla.none", total - r.breached - r.due_4h - r.later),
            ),
        ],
        key_rows: figures::key_rows(figures::KEY_FIGURES, &current, &previous),
        satisfaction: figures::key_rows(figures::SATISFACTION, &current, &previous),
        charts,
        breakdowns,
        evidence,
        reports: data.reports.into_iter().map(ReportLink::from).collect(),
    };
    page.render().map_err(|e| unexpected(&e))
}
