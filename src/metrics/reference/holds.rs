//! Time on hold by pause reason in SQL (`on_hold.v1`).

use super::*;

#[derive(QueryableByName)]
struct HoldRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    reason: String,
    #[diesel(sql_type = BigInt)]
    tickets: i64,
    #[diesel(sql_type = BigInt)]
    seconds: i64,
}

/// `on_hold.v1` by pause reason over tickets whose latest solve is in `[from, to)`:
/// reason → (tickets that spent time on hold for it, total calendar seconds).
///
/// # Errors
/// Database errors.
pub fn hold_reasons(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filters: &MetricFilters,
) -> QueryResult<std::collections::BTreeMap<String, (i64, i64)>> {
    let joins = joins(SOLVED);
    let (conditions, values) = filters.sql(3, SOLVED);
    let sql = format!(
        "SELECT r.key AS reason, count(*) AS tickets, sum(r.value::bigint)::bigint AS seconds
           FROM ticket_metrics m
           JOIN tickets t ON t.id = m.ticket_id
           {joins}
           CROSS JOIN LATERAL jsonb_each_text(m.on_hold_by_reason) r
          WHERE m.latest_solved_at >= $1 AND m.latest_solved_at < $2
            AND m.on_hold_by_reason <> '{{}}'::jsonb{conditions}
          GROUP BY r.key"
    );
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to);
    let rows: Vec<HoldRow> = bind_filters(query, values).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.reason, (r.tickets, r.seconds)))
        .collect())
}
