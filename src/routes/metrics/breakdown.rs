//! `GET /api/v1/metrics/breakdown` (the shared parsing and shapes are in the parent module).

use super::*;

/// Query of `GET /metrics/breakdown`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    /// `team`, `agent`, `sourcing` or `agent_employment_type` (of whom each figure is credited
    /// to, docs/METRICS.md §7; `employment_type` is read as `agent_employment_type`),
    /// `current_team`, `current_agent` (the ticket's now), `organization`, `site`, `channel`,
    /// `priority`, `category`; `technician`, `asset_kind` or `technician_employment_type` (field
    /// figures only); `field.<key>`: the value of a custom drop-down field, as the ticket holds
    /// it now (`null` group: no value).
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
    /// The business calendar every business duration was measured on (the `calendar`
    /// parameter); `null`: each ticket's own calendars.
    pub calendar: Option<MeasuringCalendar>,
    /// The docs/METRICS.md definitions (ids) of the figures.
    pub definitions: Definitions,
    /// The period.
    pub period: Period,
    /// One entry per value that has any figure (SLA outcomes included) in the period.
    pub groups: Vec<Group>,
}

/// Figures per team, agent, sourcing or agent employment type (of whom each figure is credited
/// to, as of the figure's instant: docs/METRICS.md §7, "Attribution"), per current team or
/// current agent (the ticket's now), or per organization, site, channel, priority or category,
/// each metric by its own period-membership instant (docs/METRICS.md §5): the figures of the timeseries (`frt.v1`,
/// `full_resolution.v1`, `reopen_rate.v1`), SLA attainment (`sla_attainment`) included, and the
/// contact rates (`one_touch.v1`, `one_touch_strict.v1`, `fcr.v1`, `repeat_contact.v1`) with
/// `include=contact_rates`. The groups add up to the summary of the same period and filters.
/// `Accept: text/csv` returns CSV (numerator, denominator and value columns for every rate).
///
/// Errors: 401; 403 for agents and technicians; 422 naming the field for a bad `by`, `from`,
/// `to`, `time`, `include` or `calendar` (unknown).
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
            "expected team, agent, current_team, current_agent, organization, site, channel, \
             priority, category, sourcing, agent_employment_type, technician, asset_kind, \
             technician_employment_type or field.<key> (a drop-down custom field)",
        )
    })?;
    if let model::Dimension::Field(key) = dimension {
        let key = key.as_str().to_string();
        let def = db::run(&state.pool, move |conn| {
            Ok(crate::models::custom_field::by_key(conn, &key)?)
        })
        .await?;
        if def.is_none_or(|d| d.field_type != "dropdown") {
            return Err(ApiError::invalid_field(
                "by",
                "field.<key> names a drop-down custom field (GET /ticket-fields)",
            ));
        }
    }
    let tickets = !dimension.field_only();
    let (from, to) = parse_range("from", "to", query.from.as_deref(), query.to.as_deref())?;
    let (lo, hi) = bounds(from, to);
    let (basis, time) = basis(query.time.as_deref())?;
    let filters = metric_filters!(query);
    let with_field = model::field_applies(Some(dimension), &filters);
    let options = report_options(query.include.as_deref(), basis, query.ftf_days)?;
    let (groups, calendar) =
        read_store_on(&state, query.calendar, (lo, hi), move |store, calendar| {
            Ok(store.report_on(
                StoreGrouping::Dimension(dimension),
                &filters,
                lo,
                hi,
                options,
                calendar,
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
        calendar,
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
