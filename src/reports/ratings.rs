//! The evidence report's ratings (docs/METRICS.md §9): per ticket, its most recently answered
//! survey as of the report's `as_of` (latest `answered_at` in whole seconds, ties to the higher
//! id), kept when it was answered in either period and the scope holds it, with the sourcing of
//! the surveyed team at the solve it asked about (docs/METRICS.md §7) and, when the customer
//! consented, the comment and the names it is anonymised against.
//!
//! The answers are read from the database (the command line, and the scopes of a technician,
//! an organization or a site, which follow the ticket) or, in the service, from the metrics
//! store at the same snapshot ([`crate::metrics::store::Reader::evidence_answers`]), with only
//! the quotable comments read from the database. Both give the same ratings
//! (`tests/api/report_store.rs`).

use super::inputs::{RatingInput, ticket_scope};
use super::params::{EvidenceParams, ScopeKind};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int2, Nullable, Text, Timestamptz};
use std::collections::HashMap;

/// A team's sourcing from an instant (`None`: from '-infinity').
type SourcingPeriod = (Option<DateTime<Utc>>, String);

#[derive(QueryableByName)]
struct SourcingPeriodRow {
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    valid_from: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    sourcing: String,
}

/// An answer (a survey with a score) as the ratings read it.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// `surveys.id`, `ticket_id`.
    #[diesel(sql_type = BigInt)]
    pub survey_id: i64,
    #[diesel(sql_type = BigInt)]
    pub ticket_id: i64,
    /// `answered_at`, whole seconds since the epoch (UTC, floored).
    #[diesel(sql_type = BigInt)]
    pub answered_at: i64,
    /// 1–5.
    #[diesel(sql_type = Int2)]
    pub score: i16,
    /// The surveyed team, and the solve it asked about (exact).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub team_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub solved_at: DateTime<Utc>,
    /// The comment when the customer consented to quote it (not blank), and the names of the
    /// customer who answered and of the ticket's requester.
    #[diesel(sql_type = Nullable<Text>)]
    pub quotable: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    pub customer_names: Vec<String>,
    /// Whether the report's scope holds the answer (asked of the ticket's latest answer only).
    #[diesel(sql_type = Bool)]
    pub in_scope: bool,
}

#[derive(QueryableByName)]
struct Quote {
    #[diesel(sql_type = BigInt)]
    survey_id: i64,
    #[diesel(sql_type = Text)]
    quotable: String,
    #[diesel(sql_type = Array<Text>)]
    customer_names: Vec<String>,
}

/// The names a quote is anonymised against, as SQL over `s`: the customer who answered and the
/// ticket's requester.
const QUOTE_NAMES_SQL: &str = "array_remove(ARRAY[
         (SELECT c.name FROM customers c WHERE c.id = s.customer_id),
         (SELECT rq.name FROM tickets q JOIN customers rq ON rq.id = q.requester_id
           WHERE q.id = s.ticket_id)], NULL)";

/// Whether `s`'s comment may be quoted, as SQL.
const QUOTABLE_SQL: &str = "s.consent_to_quote AND btrim(coalesce(s.comment, '')) <> ''";

/// Every answer of `params`' data set given from the start of its earlier period to its `as_of`
/// (both included), read from the database in the caller's transaction.
fn answers_from_sql(
    conn: &mut PgConnection,
    params: &EvidenceParams,
    lo: DateTime<Utc>,
) -> QueryResult<Vec<Answer>> {
    let survey_scope = match params.scope {
        ScopeKind::Team => "s.team_id = $1",
        ScopeKind::Agent => "s.assignee_id = $1",
        other => ticket_scope(other),
    };
    // The names are read for a quote only (a few hundred of a year's 260,000 ratings at a
    // million tickets).
    let sql = format!(
        "SELECT s.id AS survey_id, s.ticket_id,
                floor(extract(epoch FROM s.answered_at))::int8 AS answered_at, s.score,
                s.team_id, s.solved_at,
                CASE WHEN {QUOTABLE_SQL} THEN s.comment END AS quotable,
                CASE WHEN {QUOTABLE_SQL} THEN {QUOTE_NAMES_SQL}
                     ELSE '{{}}'::text[] END AS customer_names,
                coalesce({survey_scope}, FALSE) AS in_scope
           FROM surveys s JOIN tickets t ON t.id = s.ticket_id
          WHERE s.score IS NOT NULL AND s.answered_at >= $2 AND s.answered_at <= $3
            AND t.source IS NOT DISTINCT FROM $4 AND t.merged_into_id IS NULL"
    );
    diesel::sql_query(sql)
        .bind::<BigInt, _>(params.scope_id.unwrap_or(0))
        .bind::<Timestamptz, _>(lo)
        .bind::<Timestamptz, _>(params.as_of)
        .bind::<Nullable<Text>, _>(params.source.as_deref())
        .load(conn)
}

/// Fills the quotable comments (and their names) of `answers` from the database: the answers
/// given from `lo` to `params.as_of` whose customer consented.
fn add_quotes(
    conn: &mut PgConnection,
    params: &EvidenceParams,
    lo: DateTime<Utc>,
    answers: &mut [Answer],
) -> QueryResult<()> {
    let quotes: Vec<Quote> = diesel::sql_query(format!(
        "SELECT s.id AS survey_id, s.comment AS quotable, {QUOTE_NAMES_SQL} AS customer_names
           FROM surveys s
          WHERE {QUOTABLE_SQL} AND s.score IS NOT NULL
            AND s.answered_at >= $1 AND s.answered_at <= $2"
    ))
    .bind::<Timestamptz, _>(lo)
    .bind::<Timestamptz, _>(params.as_of)
    .load(conn)?;
    let mut by_survey: HashMap<i64, Quote> = quotes.into_iter().map(|q| (q.survey_id, q)).collect();
    for a in answers.iter_mut() {
        if let Some(q) = by_survey.remove(&a.survey_id) {
            a.quotable = Some(q.quotable);
            a.customer_names = q.customer_names;
        }
    }
    Ok(())
}

/// The ratings of `params` (ascending by survey id) in the caller's transaction; with `store`
/// (a read at the same snapshot) the answers of a company's, a team's or an agent's report come
/// from it.
///
/// # Errors
/// Database errors.
pub fn load(
    conn: &mut PgConnection,
    params: &EvidenceParams,
    store: Option<&crate::metrics::store::Reader<'_>>,
) -> QueryResult<Vec<RatingInput>> {
    let lo = params.eligibility.start.min(params.comparison.start);
    let hi = params.eligibility.end.max(params.comparison.end);
    // Every answer from the periods' start to `as_of` (a later one, even past the periods,
    // replaces an earlier one); the latest per ticket is picked below and kept when it falls in
    // the periods.
    let rows = match store.and_then(|reader| reader.evidence_answers(params, lo)) {
        Some(mut rows) => {
            add_quotes(conn, params, lo, &mut rows)?;
            rows
        }
        None => answers_from_sql(conn, params, lo)?,
    };
    // Each team's sourcing periods, ascending (`None`: from '-infinity').
    let mut sourcing_periods: HashMap<i64, Vec<SourcingPeriod>> = HashMap::new();
    for p in diesel::sql_query(
        "SELECT team_id, CASE WHEN valid_from = '-infinity' THEN NULL ELSE valid_from END
                    AS valid_from, sourcing::text AS sourcing
           FROM team_sourcing_periods ORDER BY team_id, valid_from",
    )
    .load::<SourcingPeriodRow>(conn)?
    {
        sourcing_periods
            .entry(p.team_id)
            .or_default()
            .push((p.valid_from, p.sourcing));
    }
    // The team's sourcing at `at`: its latest period starting by then.
    let sourcing_at = |team: Option<i64>, at: DateTime<Utc>| -> Option<&str> {
        sourcing_periods
            .get(&team?)?
            .iter()
            .rev()
            .find(|(from, _)| from.is_none_or(|f| f <= at))
            .map(|(_, s)| s.as_str())
    };
    // Per ticket, its latest answer (ties to the higher id).
    let mut latest: HashMap<i64, (i64, i64)> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let key = (r.answered_at, r.survey_id);
        latest
            .entry(r.ticket_id)
            .and_modify(|k| *k = (*k).max(key))
            .or_insert(key);
    }
    let (lo_s, hi_s) = (lo.timestamp(), hi.timestamp());
    let mut ratings: Vec<RatingInput> = rows
        .into_iter()
        .filter(|r| {
            latest.get(&r.ticket_id) == Some(&(r.answered_at, r.survey_id))
                && r.in_scope
                && r.answered_at >= lo_s
                && r.answered_at < hi_s
        })
        .map(|r| RatingInput {
            survey_id: r.survey_id,
            ticket_id: r.ticket_id,
            answered_at: r.answered_at,
            score: r.score,
            sourcing: super::inputs::Sourcing::parse(sourcing_at(r.team_id, r.solved_at)),
            quotable: r.quotable,
            customer_names: r.customer_names,
        })
        .collect();
    ratings.sort_unstable_by_key(|r| r.survey_id);
    Ok(ratings)
}
