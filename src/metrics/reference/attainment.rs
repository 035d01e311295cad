//! SLA attainment in SQL (docs/METRICS.md §6 `sla_attainment`), each target by its outcome.

use super::*;

#[derive(QueryableByName)]
struct AttainmentRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    achieved: i64,
    #[diesel(sql_type = BigInt)]
    breached: i64,
}

/// SLA attainment (docs/METRICS.md §6 `sla_attainment`: targets achieved / (achieved + breached))
/// of `[from, to)` at instant `now`, per group: group key → (label, attainment). A target falls in
/// the bucket of the instant it was achieved or breached, and in the dimension value of its ticket
/// (as [`figures_by`] groups tickets), credited to the team and assignee at that instant
/// (docs/METRICS.md §7: `ticket_sla_clocks.outcome_team_id`, `outcome_assignee_id`, with the
/// sourcing and employment type of that instant). Groups without any outcome in the period are
/// absent.
///
/// # Errors
/// Database errors.
pub fn sla_attainment_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<GroupMap<Rate>> {
    let joins = joins(OUTCOME);
    let (key, label) = grouping.key_sql("sla.at", 4, OUTCOME);
    let (conditions, values) = filters.sql(5, OUTCOME);
    // Each clock gives up to two outcomes: achieved at its fulfilment (unless it breached), and
    // breached at its breach instant, or at its due instant when it still runs past it at `now`.
    // The ticket is joined only to group or filter by it.
    // (Always: every query filters by data set.)
    let ticket_join = "JOIN tickets t ON t.id = sla.ticket_id";
    // One branch per outcome, each a range over its own index (ticket_sla_clocks_fulfilled_idx,
    // _breached_idx, _due_idx), so that a period reads only its own outcomes.
    let sql = format!(
        "SELECT {key} AS key, {label} AS label,
                count(*) FILTER (WHERE sla.achieved) AS achieved,
                count(*) FILTER (WHERE NOT sla.achieved) AS breached
           FROM (SELECT c.ticket_id, TRUE AS achieved, c.fulfilled_at AS at,
                        c.outcome_team_id AS team_id, c.outcome_assignee_id AS assignee_id
                   FROM ticket_sla_clocks c
                  WHERE c.fulfilled_at >= $1 AND c.fulfilled_at < $2 AND c.breached_at IS NULL
                 UNION ALL
                 SELECT c.ticket_id, FALSE, c.breached_at, c.outcome_team_id, c.outcome_assignee_id
                   FROM ticket_sla_clocks c
                  WHERE c.breached_at >= $1 AND c.breached_at < $2
                 UNION ALL
                 SELECT c.ticket_id, FALSE, c.due_at, c.outcome_team_id, c.outcome_assignee_id
                   FROM ticket_sla_clocks c
                  WHERE c.running AND c.breached_at IS NULL AND c.due_at >= $1 AND c.due_at < $2
                    AND c.due_at <= $3) AS sla
           {ticket_join}
           {joins}
          WHERE $4::text IS NOT NULL{conditions}
          GROUP BY 1, 2"
    );
    let query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<Timestamptz, _>(now)
        .bind::<diesel::sql_types::Text, _>(grouping.zone());
    let rows: Vec<AttainmentRow> = bind_filters(query, values).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.key,
                (r.label, Rate::new(r.achieved, r.achieved + r.breached)),
            )
        })
        .collect())
}
