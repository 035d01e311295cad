//! `csat.v1`, `csat_response_rate.v1` and `nps.v1` in SQL (docs/METRICS.md §9), attributed to
//! the team and assignee at the solve.

use super::*;

#[derive(QueryableByName)]
struct RatingRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    ratings: i64,
    #[diesel(sql_type = BigInt)]
    satisfied: i64,
    #[diesel(sql_type = Nullable<Double>)]
    mean: Option<f64>,
    #[diesel(sql_type = BigInt)]
    promoters: i64,
    #[diesel(sql_type = BigInt)]
    passives: i64,
    #[diesel(sql_type = BigInt)]
    detractors: i64,
}

#[derive(QueryableByName)]
struct SentRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    key: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
    #[diesel(sql_type = BigInt)]
    surveyed: i64,
    #[diesel(sql_type = BigInt)]
    answered: i64,
}

/// `csat.v1`, `csat_response_rate.v1` and `nps.v1` of `[from, to)` per group: group key →
/// (label, figures). A ticket's rating is its most recently answered survey (latest
/// `answered_at`, ties to the higher id; `pre_reopen` or not), in the period by its
/// `answered_at`; the response rate counts the surveys whose `sent_at` is in the period, and
/// those of them answered. Team, agent, sourcing and employment type (as dimensions and filters)
/// are the survey's (at the solve); the other dimensions the ticket's. Groups with neither a
/// rating nor a survey sent in the period are absent.
///
/// # Errors
/// Database errors.
pub fn satisfaction_by(
    conn: &mut PgConnection,
    grouping: &Grouping,
    filters: &MetricFilters,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<GroupMap<Satisfaction>> {
    let (conditions, values) = filters.sql(4, SURVEY);
    // The survey's ticket `t`, the team and staff member at the solve (`tm`, `u`) — not the
    // ticket's current ones (docs/METRICS.md attribution of CSAT).
    let survey_joins = format!(
        "JOIN tickets t ON t.id = sv.ticket_id
               {}",
        joins(SURVEY)
    );
    let (key, label) = grouping.key_sql("sv.answered_at", 3, SURVEY);
    let ratings_sql = format!(
        "SELECT {key} AS key, {label} AS label, count(*) AS ratings,
                count(*) FILTER (WHERE sv.score >= 4) AS satisfied,
                avg(sv.score)::float8 AS mean,
                count(*) FILTER (WHERE sv.nps >= 9) AS promoters,
                count(*) FILTER (WHERE sv.nps BETWEEN 7 AND 8) AS passives,
                count(*) FILTER (WHERE sv.nps <= 6) AS detractors
           FROM (SELECT DISTINCT ON (ticket_id) *
                   FROM surveys WHERE answered_at IS NOT NULL
                  ORDER BY ticket_id, answered_at DESC, id DESC) AS sv
           {survey_joins}
          WHERE sv.answered_at >= $1 AND sv.answered_at < $2
            AND $3::text IS NOT NULL{conditions}
          GROUP BY 1, 2",
    );
    let (key, label) = grouping.key_sql("sv.sent_at", 3, SURVEY);
    let sent_sql = format!(
        "SELECT {key} AS key, {label} AS label, count(*) AS surveyed,
                count(sv.answered_at) AS answered
           FROM surveys sv
           {survey_joins}
          WHERE sv.sent_at >= $1 AND sv.sent_at < $2 AND $3::text IS NOT NULL{conditions}
          GROUP BY 1, 2",
    );
    let bind = |sql: String, values| {
        let query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .bind::<diesel::sql_types::Text, _>(grouping.zone());
        bind_filters(query, values)
    };
    let ratings: Vec<RatingRow> = bind(ratings_sql, values).load(conn)?;
    let sent: Vec<SentRow> = bind(sent_sql, filters.sql(4, SURVEY).1).load(conn)?;
    let mut out: GroupMap<Satisfaction> = GroupMap::new();
    for r in ratings {
        let (_, figures) = out
            .entry(r.key)
            .or_insert_with(|| (r.label.clone(), Satisfaction::empty()));
        figures.csat = Rate::new(r.satisfied, r.ratings);
        figures.mean_score = r.mean;
        figures.nps = Nps::new(r.promoters, r.passives, r.detractors);
    }
    for r in sent {
        let (label, figures) = out
            .entry(r.key)
            .or_insert_with(|| (None, Satisfaction::empty()));
        if label.is_none() {
            *label = r.label;
        }
        figures.response_rate = Rate::new(r.answered, r.surveyed);
    }
    Ok(out)
}
