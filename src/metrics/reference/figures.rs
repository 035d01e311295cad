//! The ticket figures per group in SQL: volumes, first reply, resolution, reopen rate
//! ([`figures_by`]), optionally on one business calendar.

use super::*;

/// The figures of one group (a bucket or a dimension value).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFigures {
    /// Group key: the bucket's local start (`YYYY-MM-DDTHH:MM:SS`) or the dimension value
    /// (an id or a name); `None` for tickets without one.
    pub key: Option<String>,
    /// Human label (team or staff name…), when there is one.
    pub label: Option<String>,
    /// The figures, as in [`Summary`].
    pub figures: Summary,
}

#[derive(QueryableByName)]
struct FamilyRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    reopened: i64,
    #[diesel(sql_type = BigInt)]
    c: i64,
    #[diesel(sql_type = Nullable<Double>)]
    mean: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    p90: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    min: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    max: Option<i64>,
}

/// Aggregates `[from, to)` by `grouping`, each metric by its own period-membership instant
/// (created: `created_at`; first reply: `first_reply_at`; solved, reopen rate, full resolution:
/// `latest_solved_at`) and credited as docs/METRICS.md §7 says (volumes: the team at creation;
/// `frt.v1`: the replying agent and their team; resolution: the assignee and team at the latest
/// solve). With `calendar` and the business basis, `frt.v1` and `full_resolution.v1` are the
/// business seconds of creation → first reply and creation → latest solve on that calendar
/// (for the tickets that have a stored value). Groups with no figure at all are absent.
///
/// # Errors
/// Database errors.
pub fn figures_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    basis: TimeBasis,
    calendar: Option<&BusinessCalendar>,
) -> QueryResult<Vec<GroupFigures>> {
    use std::collections::BTreeMap;
    let suffix = match basis {
        TimeBasis::Calendar => "seconds",
        TimeBasis::Business => "business_seconds",
    };
    let calendar = calendar.filter(|_| basis == TimeBasis::Business);
    // On one calendar: each ticket's two durations, measured here and joined as `cal`.
    let (cal_join, frt, resolution) = match calendar {
        Some(_) => (
            "LEFT JOIN cal ON cal.ticket_id = m.ticket_id",
            "cal.frt".to_string(),
            "cal.resolution".to_string(),
        ),
        None => (
            "",
            format!("m.first_reply_{suffix}"),
            format!("m.full_resolution_{suffix}"),
        ),
    };
    let measured = match calendar {
        Some(cal) => Some(on_calendar(conn, cal)?),
        None => None,
    };
    // (period column, duration column or NULL, credit)
    let families = [
        ("m.created_at", "NULL::bigint".to_string(), CREATED),
        ("m.first_reply_at", frt, FIRST_REPLY),
        ("m.latest_solved_at", resolution, SOLVED),
    ];
    // Tickets are always joined (every query filters by data set).
    let ticket_join = "JOIN tickets t ON t.id = m.ticket_id";
    let mut groups: BTreeMap<Option<String>, GroupFigures> = BTreeMap::new();
    for (index, (period, value, credit)) in families.iter().enumerate() {
        let (key, label) = grouping.key_sql(period, 3, *credit);
        let zone = grouping.zone();
        let joins = joins(*credit);
        let (conditions, mut values) = filters.sql(4, *credit);
        let with = match &measured {
            Some((ids, frt, resolution)) => {
                let n = 4 + values.len();
                values.push(FilterValue::Ids(ids.clone()));
                values.push(FilterValue::MaybeIds(frt.clone()));
                values.push(FilterValue::MaybeIds(resolution.clone()));
                format!(
                    "WITH cal (ticket_id, frt, resolution) AS (
                       SELECT * FROM unnest(${n}::bigint[], ${}::bigint[], ${}::bigint[]))",
                    n + 1,
                    n + 2
                )
            }
            None => String::new(),
        };
        let sql = format!(
            "{with}
             SELECT {key} AS key, {label} AS label, count(*) AS n,
                    count(*) FILTER (WHERE m.reopens > 0) AS reopened,
                    count({value}) AS c, avg({value})::float8 AS mean,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}) AS median,
                    percentile_cont(0.9) WITHIN GROUP (ORDER BY {value}) AS p90,
                    min({value}) AS min, max({value}) AS max
               FROM ticket_metrics m
               {ticket_join}
               {cal_join}
               {joins}
              WHERE {period} >= $1 AND {period} < $2 AND $3::text IS NOT NULL{conditions}
              GROUP BY 1, 2"
        );
        let query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .bind::<diesel::sql_types::Text, _>(zone);
        let rows: Vec<FamilyRow> = bind_filters(query, values).load(conn)?;
        for r in rows {
            let entry = groups.entry(r.key.clone()).or_insert_with(|| GroupFigures {
                key: r.key.clone(),
                label: r.label.clone(),
                figures: empty_summary(),
            });
            if entry.label.is_none() {
                entry.label = r.label.clone();
            }
            let stats = DurationStats {
                count: r.c,
                mean: r.mean,
                median: r.median,
                p90: r.p90,
                min: r.min,
                max: r.max,
            };
            match index {
                0 => entry.figures.tickets_created = r.n,
                1 => entry.figures.first_reply_time = stats,
                _ => {
                    entry.figures.tickets_solved = r.n;
                    entry.figures.reopen_rate = Rate::new(r.reopened, r.n);
                    entry.figures.full_resolution_time = stats;
                }
            }
        }
    }
    let mut out: Vec<GroupFigures> = groups.into_values().collect();
    out.sort_by_key(|g| group_order(g.key.as_deref()));
    Ok(out)
}

#[derive(QueryableByName)]
struct InstantsRow {
    #[diesel(sql_type = BigInt)]
    ticket_id: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    first_reply_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    latest_solved_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    has_frt: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    has_resolution: bool,
}

/// Ticket ids with their first reply and resolution seconds (`None`: no value), in one order.
type Measured = (Vec<i64>, Vec<Option<i64>>, Vec<Option<i64>>);

/// Every ticket's `frt.v1` and `full_resolution.v1` in business seconds on `calendar`: creation
/// → first reply and creation → latest solve, for the tickets with a stored value (ids, first
/// reply, resolution; `None` without a value).
fn on_calendar(conn: &mut PgConnection, calendar: &BusinessCalendar) -> QueryResult<Measured> {
    let rows: Vec<InstantsRow> = diesel::sql_query(
        "SELECT ticket_id, created_at, first_reply_at, latest_solved_at,
                first_reply_seconds IS NOT NULL AS has_frt,
                full_resolution_seconds IS NOT NULL AS has_resolution
           FROM ticket_metrics",
    )
    .load(conn)?;
    let measure = |to: Option<DateTime<Utc>>, from: DateTime<Utc>, has: bool| {
        to.filter(|_| has)
            .map(|to| calendar.business_seconds(from, to))
    };
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        out.0.push(r.ticket_id);
        out.1
            .push(measure(r.first_reply_at, r.created_at, r.has_frt));
        out.2
            .push(measure(r.latest_solved_at, r.created_at, r.has_resolution));
    }
    Ok(out)
}
