//! The contact-quality rates in SQL (`one_touch`, `one_touch_strict`, `fcr.v1`,
//! `repeat_contact.v1`).

use super::*;

#[derive(QueryableByName)]
struct SolvedContactRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    resolved: i64,
    #[diesel(sql_type = BigInt)]
    one_touch: i64,
    #[diesel(sql_type = BigInt)]
    one_touch_strict: i64,
    #[diesel(sql_type = BigInt)]
    fcr: i64,
}

#[derive(QueryableByName)]
struct CreatedContactRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    created: i64,
    #[diesel(sql_type = BigInt)]
    repeats: i64,
}

/// The contact-quality rates of `[from, to)` per group: group key → (label, rates). The 7-day
/// windows of `fcr.v1` and `repeat_contact.v1` compare tickets of the same requester and
/// category (tickets without a requester can never be repeats). `one_touch`, `one_touch_strict` and
/// `fcr` fall in the bucket of the ticket's latest solve, `repeat_contact` in the bucket of its
/// creation; dimensions are the ticket's, as in [`figures_by`]. Groups with neither a solved nor
/// a created ticket in the period are absent.
///
/// # Errors
/// Database errors.
pub fn contact_rates_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<GroupMap<ContactRates>> {
    let (conditions, values) = filters.sql(4, SOLVED);
    // The 7-day look-ups are index ranges (tickets_requester_category_created_idx and
    // tickets_requester_category_solved_idx): categories are compared with `=` and, for tickets
    // without one, `IS NULL` in a second branch (`IS NOT DISTINCT FROM` cannot use an index, and
    // a requester with thousands of tickets then made the rate quadratic). `tickets.solved_at` is
    // the latest solve, the same instant as `ticket_metrics.latest_solved_at` (both are set by
    // every change to `solved`).
    let solved_joins = joins(SOLVED);
    let (key, label) = grouping.key_sql("m.latest_solved_at", 3, SOLVED);
    let solved_sql = format!(
        "SELECT {key} AS key, {label} AS label,
                count(*) FILTER (WHERE m.one_touch IS NOT NULL) AS resolved,
                count(*) FILTER (WHERE m.one_touch) AS one_touch,
                count(*) FILTER (WHERE m.one_touch_strict) AS one_touch_strict,
                count(*) FILTER (WHERE m.fcr_candidate AND (t.requester_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category = t.category
                       AND t2.id <> t.id
                       AND t2.created_at > m.latest_solved_at
                       AND t2.created_at <= m.latest_solved_at + interval '7 days')
                   AND NOT (t.category IS NULL AND EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category IS NULL
                       AND t2.id <> t.id
                       AND t2.created_at > m.latest_solved_at
                       AND t2.created_at <= m.latest_solved_at + interval '7 days')))) AS fcr
           FROM ticket_metrics m JOIN tickets t ON t.id = m.ticket_id
           {solved_joins}
          WHERE m.latest_solved_at >= $1 AND m.latest_solved_at < $2
            AND $3::text IS NOT NULL{conditions}
          GROUP BY 1, 2"
    );
    let created_joins = joins(CREATED);
    let (created_conditions, created_values) = filters.sql(4, CREATED);
    let (key, label) = grouping.key_sql("t.created_at", 3, CREATED);
    let created_sql = format!(
        "SELECT {key} AS key, {label} AS label, count(*) AS created,
                count(*) FILTER (WHERE t.requester_id IS NOT NULL AND (EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category = t.category
                       AND t2.id <> t.id
                       AND t2.solved_at < t.created_at
                       AND t2.solved_at >= t.created_at - interval '7 days')
                   OR (t.category IS NULL AND EXISTS (
                    SELECT 1 FROM tickets t2
                     WHERE t2.requester_id = t.requester_id
                       AND t2.source IS NOT DISTINCT FROM t.source
                       AND t2.merged_into_id IS NULL
                       AND t2.category IS NULL
                       AND t2.id <> t.id
                       AND t2.solved_at < t.created_at
                       AND t2.solved_at >= t.created_at - interval '7 days')))) AS repeats
           FROM tickets t
           LEFT JOIN ticket_metrics m ON m.ticket_id = t.id
           {created_joins}
          WHERE t.created_at >= $1 AND t.created_at < $2
            AND $3::text IS NOT NULL{created_conditions}
          GROUP BY 1, 2"
    );
    let bind = |sql: String, values| {
        let query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .bind::<diesel::sql_types::Text, _>(grouping.zone());
        bind_filters(query, values)
    };
    let solved: Vec<SolvedContactRow> = bind(solved_sql, values).load(conn)?;
    let created: Vec<CreatedContactRow> = bind(created_sql, created_values).load(conn)?;
    let mut out: GroupMap<ContactRates> = GroupMap::new();
    for r in solved {
        let (_, rates) = out
            .entry(r.key)
            .or_insert_with(|| (r.label.clone(), ContactRates::empty()));
        rates.one_touch = Rate::new(r.one_touch, r.resolved);
        rates.one_touch_strict = Rate::new(r.one_touch_strict, r.resolved);
        rates.fcr = Rate::new(r.fcr, r.resolved);
    }
    for r in created {
        let (label, rates) = out
            .entry(r.key)
            .or_insert_with(|| (None, ContactRates::empty()));
        if label.is_none() {
            *label = r.label;
        }
        rates.repeat_contact = Rate::new(r.repeats, r.created);
    }
    Ok(out)
}
