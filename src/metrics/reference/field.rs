//! The field figures in SQL (docs/METRICS.md §8), over `work_order_metrics`.

use super::*;

/// A group of [`field_by`]: key, label, figures.
pub type FieldGroup = (Option<String>, Option<String>, FieldFigures);

#[derive(QueryableByName)]
struct FieldRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    ended: i64,
    #[diesel(sql_type = BigInt)]
    windows: i64,
    #[diesel(sql_type = BigInt)]
    met: i64,
    #[diesel(sql_type = BigInt)]
    first_visits: i64,
    #[diesel(sql_type = BigInt)]
    fixed: i64,
    #[diesel(sql_type = BigInt)]
    repeats: i64,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    stats: serde_json::Value,
}

/// Field figures (docs/METRICS.md §8) of `[from, to)` by `grouping`, every work order by its
/// `finished_at`: group key → (label, figures). Filters on organization, site (the work order's)
/// and priority (its ticket's) apply; the caller asks only when field figures apply
/// ([`crate::metrics::types::field_applies`]). `first_time_fix.v1` and the repeat-visit rate look
/// for other work orders created in `(created, finished + N days]` and `(finished, finished + N
/// days]`, N = `ftf_days`. With `one` and the business basis, the three durations are those
/// [`OneCalendar`] measured on its calendar.
///
/// # Errors
/// Database errors.
#[allow(clippy::too_many_arguments)]
pub fn field_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    basis: TimeBasis,
    ftf_days: i64,
    one: Option<&OneCalendar>,
) -> QueryResult<Vec<FieldGroup>> {
    let suffix = match basis {
        TimeBasis::Calendar => "seconds",
        TimeBasis::Business => "business_seconds",
    };
    let (key, label) = match grouping {
        Grouping::Dimension(d) => {
            let (k, l) = d.field_sql();
            (k.to_string(), l.to_string())
        }
        _ => grouping.key_sql("f.finished_at", 3, SOLVED),
    };
    let mut conditions = String::new();
    let mut values = Vec::new();
    for (column, value) in [
        ("f.organization_id", filters.organization_id),
        ("f.site_id", filters.site_id),
    ] {
        if let Some(v) = value {
            conditions.push_str(&format!(" AND {column} = ${}", 5 + values.len()));
            values.push(FilterValue::Id(v));
        }
    }
    if let Some(p) = &filters.priority {
        conditions.push_str(&format!(" AND t.priority::text = ${}", 5 + values.len()));
        values.push(FilterValue::Text(p.clone()));
    }
    // The ticket's data set: the company's own unless one is asked for.
    conditions.push_str(&format!(
        " AND t.source IS NOT DISTINCT FROM ${}",
        5 + values.len()
    ));
    values.push(FilterValue::MaybeText(filters.source.clone()));
    // Another work order for the same site and asset (of the same ticket without an asset).
    let other = "FROM work_order_metrics x
                  WHERE x.work_order_id <> f.work_order_id
                    AND CASE WHEN f.asset_id IS NULL THEN x.ticket_id = f.ticket_id
                             ELSE x.site_id = f.site_id AND x.asset_id = f.asset_id END";
    let stats = |column: String| {
        format!(
            // Fractions as float8 text (exact): a float8 in jsonb becomes a numeric of 15 digits.
            "jsonb_build_object('count', count({column}), 'mean', avg({column})::float8::text,
               'median', (percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}))::text,
               'p90', (percentile_cont(0.9) WITHIN GROUP (ORDER BY {column}))::text,
               'min', min({column}), 'max', max({column}))"
        )
    };
    // On one calendar: the durations as it measures them, joined as `fcal`.
    let one = one.filter(|_| basis == TimeBasis::Business);
    let (with, fcal_join, columns) = match one {
        Some(one) => {
            let (ids, [travel, wrench, arrival]) = one.field_columns();
            let n = 5 + values.len();
            values.push(FilterValue::Ids(ids));
            values.push(FilterValue::MaybeIds(travel));
            values.push(FilterValue::MaybeIds(wrench));
            values.push(FilterValue::MaybeIds(arrival));
            (
                format!(
                    "fcal (work_order_id, travel, wrench, arrival) AS (
                       SELECT * FROM unnest(${n}::bigint[], ${}::bigint[], ${}::bigint[],
                                            ${}::bigint[])),",
                    n + 1,
                    n + 2,
                    n + 3
                ),
                "LEFT JOIN fcal ON fcal.work_order_id = f.work_order_id",
                [
                    "fcal.travel".to_string(),
                    "fcal.wrench".to_string(),
                    "fcal.arrival".to_string(),
                ],
            )
        }
        None => (
            String::new(),
            "",
            [
                format!("f.travel_{suffix}"),
                format!("f.wrench_{suffix}"),
                format!("f.time_to_arrival_{suffix}"),
            ],
        ),
    };
    let [travel_column, wrench_column, arrival_column] = columns;
    let sql = format!(
        "WITH {with} w AS (
           SELECT f.*, {key} AS key, {label} AS label,
                  {travel_column} AS travel_measured, {wrench_column} AS wrench_measured,
                  {arrival_column} AS arrival_measured,
                  f.status IN ('completed', 'cannot_complete') AS ended,
                  f.finished_at + make_interval(secs => $4) AS until_at,
                  EXISTS (SELECT 1 {other} AND x.created_at > f.created_at
                            AND x.created_at <= f.finished_at + make_interval(secs => $4))
                    AS later_since_created,
                  EXISTS (SELECT 1 {other} AND x.created_at > f.finished_at
                            AND x.created_at <= f.finished_at + make_interval(secs => $4))
                    AS later_since_finished
             FROM work_order_metrics f
             JOIN tickets t ON t.id = f.ticket_id
             {fcal_join}
             LEFT JOIN organizations o ON o.id = f.organization_id
             LEFT JOIN sites s ON s.id = f.site_id
             LEFT JOIN users u ON u.id = f.technician_id
            WHERE f.finished_at >= $1 AND f.finished_at < $2 AND $3::text IS NOT NULL{conditions})
         SELECT key, min(label) AS label,
                count(*) FILTER (WHERE ended) AS ended,
                count(arrival_window_met) AS windows,
                count(*) FILTER (WHERE arrival_window_met) AS met,
                count(*) FILTER (WHERE ended AND first_visit) AS first_visits,
                count(*) FILTER (WHERE ended AND first_visit AND status = 'completed'
                                   AND problem_fixed AND NOT later_since_created
                                   AND (reopened_at IS NULL OR reopened_at > until_at)) AS fixed,
                count(*) FILTER (WHERE ended AND later_since_finished) AS repeats,
                jsonb_build_array({travel}, {wrench}, {arrival}) AS stats
           FROM w GROUP BY key",
        travel = stats("travel_measured".to_string()),
        wrench = stats("wrench_measured".to_string()),
        arrival = stats("arrival_measured".to_string()),
    );
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<diesel::sql_types::Text, _>(grouping.zone())
        .bind::<Double, _>((ftf_days * 86_400) as f64);
    let rows: Vec<FieldRow> = bind_filters(query, values).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let stat = |i: usize| {
                let v = &r.stats[i];
                DurationStats {
                    count: v["count"].as_i64().unwrap_or(0),
                    mean: v["mean"].as_str().and_then(|s| s.parse().ok()),
                    median: v["median"].as_str().and_then(|s| s.parse().ok()),
                    p90: v["p90"].as_str().and_then(|s| s.parse().ok()),
                    min: v["min"].as_i64(),
                    max: v["max"].as_i64(),
                }
            };
            let figures = FieldFigures {
                work_orders_completed: r.ended,
                travel_time: stat(0),
                wrench_time: stat(1),
                time_to_arrival: stat(2),
                arrival_window_met: Rate::new(r.met, r.windows),
                first_time_fix: Rate::new(r.fixed, r.first_visits),
                repeat_visit_rate: Rate::new(r.repeats, r.ended),
                ftf_days,
            };
            (r.key.clone(), r.label.clone(), figures)
        })
        .collect())
}
