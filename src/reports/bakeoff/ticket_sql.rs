//! The bake-off's tickets read from the database: what [`super::inputs::load`] reads without the
//! metrics store (the command line). The tickets with an event in the period are found through
//! the instants' indexes, then read in chunks of ids with their SLA outcomes and `fcr.v1` as of
//! the report's instant.

use super::inputs::{TicketFacts, TicketQuery};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Candidate tickets per read.
const CHUNK_IDS: usize = 50_000;

/// Calls `visit` with the facts of each ticket `q` selects, ascending by id, read in the
/// caller's transaction.
///
/// # Errors
/// Database errors.
pub fn read(
    conn: &mut PgConnection,
    q: &TicketQuery<'_>,
    visit: &mut impl FnMut(TicketFacts),
) -> QueryResult<()> {
    let sql = format!(
        "WITH sla AS ({sla}
         ), outcomes AS (
            SELECT s.ticket_id, array_agg(s.achieved ORDER BY s.at, s.achieved) AS sla_achieved,
                   -- The credit of the last outcome (by instant, then achieved-last, then team
                   -- and assignee with none first): the ticket's credit (docs/METRICS.md §7).
                   (array_agg(s.team_id ORDER BY s.at DESC, s.achieved DESC,
                              s.team_id DESC NULLS LAST, s.assignee_id DESC NULLS LAST))[1]
                       AS sla_team_id,
                   (array_agg(s.assignee_id ORDER BY s.at DESC, s.achieved DESC,
                              s.team_id DESC NULLS LAST, s.assignee_id DESC NULLS LAST))[1]
                       AS sla_assignee_id,
                   floor(extract(epoch FROM max(s.at)))::int8 AS sla_at
              FROM sla s WHERE s.at >= $2 AND s.at < $3 GROUP BY s.ticket_id
         )
         SELECT t.id, t.source, t.organization_id, t.site_id, t.channel::text AS channel,
                t.category, t.priority::text AS priority,
                floor(extract(epoch FROM t.created_at))::int8 AS created,
                floor(extract(epoch FROM m.first_reply_at))::int8 AS first_reply_at,
                m.first_reply_business_seconds AS frt_business,
                floor(extract(epoch FROM m.latest_solved_at))::int8 AS latest_solved_at,
                m.full_resolution_business_seconds AS full_resolution_business,
                m.reopens, {fcr} AS fcr,
                m.first_reply_team_id, m.first_reply_agent_employment::text AS first_reply_employment,
                m.solved_team_id, m.solved_assignee_employment::text AS solved_employment,
                coalesce(o.sla_achieved, '{{}}') AS sla_achieved,
                o.sla_team_id, o.sla_assignee_id, o.sla_at
           FROM tickets t
           JOIN ticket_metrics m ON m.ticket_id = t.id
           LEFT JOIN outcomes o ON o.ticket_id = t.id
          WHERE t.id >= $5 AND t.id < $6 AND m.ticket_id >= $5 AND m.ticket_id < $6
            AND t.id = ANY($8)
            AND (t.source IS NOT DISTINCT FROM $1 OR t.source IS NOT DISTINCT FROM $7)
            AND t.merged_into_id IS NULL
            AND t.created_at <= $4
            AND ((m.first_reply_at >= $2 AND m.first_reply_at < $3)
                 OR (m.latest_solved_at >= $2 AND m.latest_solved_at < $3)
                 OR o.ticket_id IS NOT NULL)
          ORDER BY t.id",
        // What a metric not compared would cost is not read: no SLA outcomes, no FCR look-up.
        sla = if q.sla {
            crate::reports::inputs::SLA_OUTCOMES_AS_OF_SQL
        } else {
            "SELECT NULL::int8 AS ticket_id, NULL::timestamptz AS at, NULL::bool AS achieved,
                    NULL::int8 AS team_id, NULL::int8 AS assignee_id
              WHERE FALSE"
        },
        fcr = if q.fcr {
            crate::reports::inputs::FCR_AS_OF_SQL
        } else {
            "NULL::bool"
        },
    );
    // The tickets with an event in the period, found through the instants' indexes: the
    // first reply, the latest solve, and an SLA clock's breach, fulfilment or running due
    // instant (a superset of the outcomes in the period; the query keeps the outcomes).
    let sla_ids = if q.sla {
        "UNION ALL SELECT ticket_id FROM ticket_sla_clocks WHERE breached_at >= $1 AND breached_at < $2
         UNION ALL SELECT ticket_id FROM ticket_sla_clocks WHERE fulfilled_at >= $1 AND fulfilled_at < $2
         UNION ALL SELECT ticket_id FROM ticket_sla_clocks WHERE running AND due_at >= $1 AND due_at < $2"
    } else {
        ""
    };
    let mut ids: Vec<i64> = diesel::sql_query(format!(
        "SELECT ticket_id AS id FROM ticket_metrics WHERE first_reply_at >= $1 AND first_reply_at < $2
         UNION ALL SELECT ticket_id FROM ticket_metrics WHERE latest_solved_at >= $1 AND latest_solved_at < $2
         {sla_ids}"
    ))
    .bind::<Timestamptz, _>(q.start)
    .bind::<Timestamptz, _>(q.end)
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    ids.sort_unstable();
    ids.dedup();
    // In chunks of ids, each read over its id range so the SLA clocks are read by range.
    for chunk in ids.chunks(CHUNK_IDS) {
        let (Some(&first), Some(&last)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        let rows = diesel::sql_query(&sql)
            .bind::<Nullable<Text>, _>(q.sources[0])
            .bind::<Timestamptz, _>(q.start)
            .bind::<Timestamptz, _>(q.end)
            .bind::<Timestamptz, _>(q.as_of)
            .bind::<BigInt, _>(first)
            .bind::<BigInt, _>(last.saturating_add(1))
            .bind::<Nullable<Text>, _>(q.sources[1])
            .bind::<Array<BigInt>, _>(chunk)
            .load::<TicketFacts>(conn)?;
        rows.into_iter().for_each(&mut *visit);
    }
    Ok(())
}
