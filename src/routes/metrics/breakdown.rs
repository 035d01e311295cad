//! `GET /api/v1/metrics/breakdown` (the shared parsing and shapes are in the parent module).

use super::*;

/// Query of `GET /metrics/breakdown`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    /// `team`, `agent`, `organization`, `site`, `channel`, `priority`, `category`, `sourcing`
    /// or `employment_type` (of the assignee); `technician`, `asset_kind` or
    /// `technician_employment_type` (field figures only).
    #[param(value_type = crate::routes::openapi::DimensionName)]
    pub by: String,
    /// Start, inclusive (RFC 3339). Default: the beginning of the data.
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub from: Option<String>,
    /// End, exclusive (RFC 3339; not before `from`). Default: no end.
    #[param(value_type = Option<crate::routes::openapi::Instant>)]
    pub to: Option<String>,
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
    /// Only this team's tickets.
    pub team: Option<i64>,
    /// Only tickets assigned to this staff member.
    pub agent: Option<i64>,
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
    /// Only teams with this sourcing (`in_house`, `outsourced`).
    #[param(value_type = Option<crate::models::enums::TeamSourcing>)]
    pub sourcing: Option<String>,
    /// Only assignees with this employment type (`employee`, `contractor`).
    #[param(value_type = Option<crate::models::enums::EmploymentType>)]
    pub employment_type: Option<String>,
    /// An imported data set's label (`frontline import event-log … --source LABEL`): only its
    /// tickets. Without it, only the company's own tickets count.
    #[param(pattern = "^[a-z0-9][a-z0-9_.-]{0,62}$")]
    pub source: Option<String>,
}

/// One group of a breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// The dimension's value (an id for team, agent, organization and site); `null` for tickets
    /// without one.
    pub key: Option<String>,
    /// A readable label (team, staff, organization or site name).
    pub label: Option<String>,
    /// Its ticket figures; absent for the field-only dimensions (`technician`, `asset_kind`,
    /// `technician_employment_type`).
    #[serde(flatten)]
    #[schema(schema_with = crate::routes::openapi::figures_or_absent)]
    pub figures: Option<Figures>,
    /// Field-service figures, by `finished_at`; `null` for the ticket-only dimensions (team,
    /// agent, channel, category, sourcing, employment type) and with a ticket-only filter.
    pub field: Option<FieldBlock>,
}

/// `GET /metrics/breakdown` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownResponse {
    /// The dimension.
    pub by: String,
    /// `calendar` or `business`.
    pub time: &'static str,
    /// The docs/METRICS.md definitions (ids) of the figures.
    pub definitions: Definitions,
    /// The period.
    pub period: Period,
    /// One entry per value that has any figure (SLA outcomes included) in the period.
    pub groups: Vec<Group>,
}

/// Figures per team, agent, organization, site, channel, priority, category, sourcing or
/// employment type (of the ticket, as it is now), each metric by its own period-membership
/// instant (docs/METRICS.md §5; attribution: §7): the figures of the timeseries (`frt.v1`,
/// `full_resolution.v1`, `reopen_rate.v1`), SLA attainment (`sla_attainment`) included, and the
/// contact rates (`one_touch.v1`, `one_touch_strict.v1`, `fcr.v1`, `repeat_contact.v1`) with
/// `include=contact_rates`. The groups add up to the summary of the same period and filters.
/// `Accept: text/csv` returns CSV (numerator, denominator and value columns for every rate).
///
/// Errors: 401; 403 for agents and technicians; 422 naming the field for a bad `by`, `from`,
/// `to`, `time` or `include`.
#[utoipa::path(get, path = "/api/v1/metrics/breakdown", tag = "metrics", params(BreakdownQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Groups (JSON, or CSV with Accept: text/csv)",
         content((BreakdownResponse = "application/json"), (String = "text/csv"))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_breakdown(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: Result<QueryParams<BreakdownQuery>, ApiError>,
) -> ApiResult<HttpResponse> {
    // The role first: an agent learns nothing from the parameters' validation.
    user.require(&[UserRole::Admin, UserRole::Manager])?;
    let query = query?;
    let dimension = model::Dimension::parse(&query.by).ok_or_else(|| {
        ApiError::invalid_field(
            "by",
            "expected team, agent, organization, site, channel, priority, category, sourcing, \
             employment_type, technician, asset_kind or technician_employment_type",
        )
    })?;
    let tickets = !dimension.field_only();
    let (from, to) = parse_range("from", "to", query.from.as_deref(), query.to.as_deref())?;
    let (lo, hi) = bounds(from, to);
    let (basis, time) = basis(query.time.as_deref())?;
    let filters = metric_filters!(query);
    let with_field = model::field_applies(Some(dimension), &filters);
    let options = report_options(query.include.as_deref(), basis, query.ftf_days)?;
    let groups = read_store(&state, move |store| {
        Ok(store.report(
            StoreGrouping::Dimension(dimension),
            &filters,
            lo,
            hi,
            options,
        ))
    })
    .await?;
    if wants_csv(&req) {
        let rows = groups
            .into_iter()
            .map(|g| (vec![opt(g.key.clone()), opt(g.label.clone())], g))
            .collect();
        return csv_response(
            "breakdown",
            &[query.by.as_str(), "label"],
            options.contact_rates,
            (tickets, with_field),
            rows,
            Default::default(),
        );
    }
    Ok(HttpResponse::Ok().json(BreakdownResponse {
        by: query.by.clone(),
        time,
        definitions: DEFINITIONS,
        period: Period { from, to },
        groups: groups
            .into_iter()
            .map(|mut g| Group {
                key: g.key.clone(),
                label: g.label.clone(),
                field: g.field.take().map(FieldBlock::from),
                figures: tickets.then(|| g.into()),
            })
            .collect(),
    }))
}
