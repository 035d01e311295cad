//! `GET /api/v1/metrics/timeseries` (the shared parsing and shapes are in the parent module).

use super::*;

/// Query of `GET /metrics/timeseries`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimeseriesQuery {
    /// `day`, `week` (from Monday) or `month`.
    #[param(value_type = crate::routes::openapi::IntervalName)]
    pub interval: String,
    /// Start, inclusive (RFC 3339).
    #[param(value_type = crate::routes::openapi::Instant)]
    pub from: String,
    /// End, exclusive (RFC 3339; not before `from`; at most a few thousand buckets after it).
    #[param(value_type = crate::routes::openapi::Instant)]
    pub to: String,
    /// `calendar` (default) or `business`.
    #[param(value_type = Option<crate::routes::openapi::TimeBasisName>)]
    pub time: Option<String>,
    /// N of `first_time_fix.v1` and the repeat-visit rate, days (1–365; default 30).
    #[param(minimum = 1, maximum = 365)]
    pub ftf_days: Option<i64>,
    /// Extra figures: `contact_rates` (one-touch, strict one-touch, first-contact resolution and
    /// repeat contact rates per group). Left out unless asked for.
    #[param(value_type = Option<crate::routes::openapi::ReportInclude>)]
    pub include: Option<String>,
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

/// One bucket.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bucket {
    /// Start of the bucket (UTC).
    pub start: DateTime<Utc>,
    /// Start of the bucket on the reporting zone's wall clock.
    pub local_start: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// Field-service figures, by `finished_at` (`null` with a ticket-only filter).
    pub field: Option<FieldBlock>,
}

/// `GET /metrics/timeseries` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeseriesResponse {
    /// `day`, `week` or `month`.
    pub interval: String,
    /// Reporting time zone of the buckets.
    pub time_zone: String,
    /// `calendar` or `business`.
    pub time: &'static str,
    /// The business calendar every business duration was measured on (the `calendar`
    /// parameter); `null`: each ticket's own calendars.
    pub calendar: Option<MeasuringCalendar>,
    /// The docs/METRICS.md definitions (ids) of the figures.
    pub definitions: Definitions,
    /// The period.
    pub period: Period,
    /// Every bucket that overlaps the period, empty ones included, from the one holding `from`
    /// (which may start before it: a week starts on Monday, a month on the 1st; it then holds
    /// only the part of the bucket inside the period).
    pub buckets: Vec<Bucket>,
}

/// Figures per day, week or month of the reporting time zone (`metrics.reporting_time_zone`),
/// each metric in the bucket of its own period-membership instant (docs/METRICS.md §5, §7):
/// volumes, reopen rate (`reopen_rate.v1`), first reply (`frt.v1`) and full resolution
/// (`full_resolution.v1`) times, SLA attainment (`sla_attainment`, by the instant each target was
/// achieved or breached) and, with `include=contact_rates`, the contact rates (`one_touch.v1`,
/// `one_touch_strict.v1`, `fcr.v1`, `repeat_contact.v1`). Empty
/// buckets have counts of 0, rates of 0 / 0 and null statistics. `Accept: text/csv` returns CSV
/// (numerator, denominator and value columns for every rate).
///
/// Errors: 401; 403 for agents and technicians; 422 naming the field for a missing or bad
/// `interval`, `from`, `to`, `time`, `include`, `calendar` (unknown), or more than 1000
/// buckets.
#[utoipa::path(get, path = "/api/v1/metrics/timeseries", tag = "metrics", params(TimeseriesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Buckets (JSON, or CSV with Accept: text/csv)",
         content((TimeseriesResponse = "application/json"), (String = "text/csv"))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_timeseries(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: Result<QueryParams<TimeseriesQuery>, ApiError>,
) -> ApiResult<HttpResponse> {
    // The role first: an agent learns nothing from the parameters' validation.
    user.require(&[UserRole::Admin, UserRole::Manager])?;
    let query = query?;
    let interval = Interval::parse(&query.interval)
        .ok_or_else(|| ApiError::invalid_field("interval", "expected day, week or month"))?;
    let (from, to) = parse_range("from", "to", Some(&query.from), Some(&query.to))?;
    let (from, to) = bounds(from, to);
    let (basis, time) = basis(query.time.as_deref())?;
    let zone_name = state.settings.metrics.reporting_time_zone.clone();
    let zone: chrono_tz::Tz = zone_name
        .parse()
        .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("bad reporting zone")))?;
    let starts = bucket_starts(interval, zone, from, to).map_err(|e| match e {
        BucketError::NoStart => ApiError::invalid_field("from", e.to_string()),
        BucketError::TooMany => ApiError::invalid_field("interval", e.to_string()),
    })?;
    let filters = metric_filters!(query);
    let options = report_options(query.include.as_deref(), basis, query.ftf_days)?;
    let with_field = model::field_applies(None, &filters);
    let bucket_keys: Vec<(String, DateTime<Utc>)> = starts
        .iter()
        .map(|(local, start)| (local.format("%Y-%m-%dT%H:%M:%S").to_string(), *start))
        .collect();
    let (groups, calendar) = read_store_on(
        &state,
        query.calendar,
        (from, to),
        move |store, calendar| {
            Ok(store.report_on(
                StoreGrouping::Buckets(&bucket_keys),
                &filters,
                from,
                to,
                options,
                calendar,
            ))
        },
    )
    .await?;
    let mut by_key: std::collections::HashMap<String, model::GroupReport> = groups
        .into_iter()
        .filter_map(|g| g.key.clone().map(|k| (k, g)))
        .collect();
    let buckets: Vec<(String, DateTime<Utc>, model::GroupReport)> = starts
        .into_iter()
        .map(|(local, start)| {
            let key = local.format("%Y-%m-%dT%H:%M:%S").to_string();
            let report = by_key.remove(&key).unwrap_or_else(|| {
                model::GroupReport::empty(
                    Some(key.clone()),
                    options.contact_rates,
                    with_field.then_some(options.ftf_days),
                )
            });
            (key, start, report)
        })
        .collect();
    if wants_csv(&req) {
        let rows = buckets
            .into_iter()
            .map(|(key, start, r)| (vec![start.to_rfc3339(), key], r))
            .collect();
        return csv_response(
            "timeseries",
            &["start", "local_start"],
            options.contact_rates,
            (true, with_field),
            rows,
            Default::default(),
        );
    }
    Ok(HttpResponse::Ok().json(TimeseriesResponse {
        interval: interval.as_str().to_string(),
        time_zone: zone_name,
        time,
        calendar,
        definitions: DEFINITIONS,
        period: Period {
            from: Some(from),
            to: Some(to),
        },
        buckets: buckets
            .into_iter()
            .map(|(local_start, start, mut f)| Bucket {
                start,
                local_start,
                field: f.field.take().map(FieldBlock::from),
                figures: f.into(),
            })
            .collect(),
    }))
}
