//! Read side of the metric projection: aggregates over `ticket_metrics` (METRICS.md
//! "Aggregates and periods": half-open periods `[from, to)`, `percentile_cont`).

use crate::domain::stats::{DurationStats, Rate};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Timestamptz};

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

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = BigInt)]
    tickets_created: i64,
    #[diesel(sql_type = BigInt)]
    solved: i64,
    #[diesel(sql_type = BigInt)]
    reopened: i64,
    #[diesel(sql_type = BigInt)]
    frt_count: i64,
    #[diesel(sql_type = Nullable<Double>)]
    frt_mean: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    frt_median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    frt_p90: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    frt_min: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    frt_max: Option<i64>,
    #[diesel(sql_type = BigInt)]
    res_count: i64,
    #[diesel(sql_type = Nullable<Double>)]
    res_mean: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    res_median: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    res_p90: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    res_min: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    res_max: Option<i64>,
}

const SUMMARY_SQL: &str = "
SELECT c.tickets_created, r.solved, r.reopened,
       f.frt_count, f.frt_mean, f.frt_median, f.frt_p90, f.frt_min, f.frt_max,
       r.res_count, r.res_mean, r.res_median, r.res_p90, r.res_min, r.res_max
FROM (SELECT count(*) AS tickets_created
        FROM ticket_metrics WHERE created_at >= $1 AND created_at < $2) c,
     (SELECT count(*) AS frt_count,
             avg(first_reply_seconds)::float8 AS frt_mean,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY first_reply_seconds) AS frt_median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY first_reply_seconds) AS frt_p90,
             min(first_reply_seconds) AS frt_min, max(first_reply_seconds) AS frt_max
        FROM ticket_metrics WHERE first_reply_at >= $1 AND first_reply_at < $2) f,
     (SELECT count(*) AS solved,
             count(*) FILTER (WHERE reopens > 0) AS reopened,
             count(full_resolution_seconds) AS res_count,
             avg(full_resolution_seconds)::float8 AS res_mean,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY full_resolution_seconds) AS res_median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY full_resolution_seconds) AS res_p90,
             min(full_resolution_seconds) AS res_min, max(full_resolution_seconds) AS res_max
        FROM ticket_metrics WHERE latest_solved_at >= $1 AND latest_solved_at < $2) r";

/// Computes the summary of the period `[from, to)`.
///
/// # Errors
/// Database errors.
pub fn summary(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Summary> {
    let row: SummaryRow = diesel::sql_query(SUMMARY_SQL)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .get_result(conn)?;
    Ok(Summary {
        tickets_created: row.tickets_created,
        tickets_solved: row.solved,
        reopen_rate: Rate::new(row.reopened, row.solved),
        first_reply_time: DurationStats {
            count: row.frt_count,
            mean: row.frt_mean,
            median: row.frt_median,
            p90: row.frt_p90,
            min: row.frt_min,
            max: row.frt_max,
        },
        full_resolution_time: DurationStats {
            count: row.res_count,
            mean: row.res_mean,
            median: row.res_median,
            p90: row.res_p90,
            min: row.res_min,
            max: row.res_max,
        },
    })
}
