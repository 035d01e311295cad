//! `frontline metrics rebuild` and the projection's version: every ticket's `ticket_metrics`
//! row recomputed from its event log and calendar (docs/METRICS.md: the projection is recomputable from
//! the events at any time), every work order's `work_order_metrics` row from the work orders, the
//! ticket's log and calendar (§8), and the one-time upgrade when [`PROJECTION_VERSION`] rises.

use crate::models::work_order_metrics::{self, WorkOrderInput, WorkOrderMetricsRow};
use diesel::prelude::*;

/// One per-ticket metric whose stored value differs from the value recomputed from the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The ticket.
    pub ticket_id: i64,
    /// What differed: the stored and the recomputed rows, debug-printed.
    pub stored: String,
    /// The recomputed row.
    pub recomputed: String,
}

/// One work order whose stored `work_order_metrics` row differs from the recomputed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDifference {
    /// The work order.
    pub work_order_id: i64,
    /// The stored row, debug-printed (`None` when missing).
    pub stored: String,
    /// The recomputed row.
    pub recomputed: String,
}

/// Outcome of [`rebuild`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Tickets whose projection was recomputed.
    pub tickets: u64,
    /// `ticket_metrics` rows that differed or were missing (and were replaced).
    pub changed_tickets: u64,
    /// The first [`DETAILED_DIFFERENCES`] of them, stored and recomputed.
    pub differences: Vec<Difference>,
    /// Work orders whose field metrics were recomputed.
    pub work_orders: u64,
    /// `work_order_metrics` rows that differed or were missing (and were replaced).
    pub changed_work_orders: u64,
    /// The first [`DETAILED_DIFFERENCES`] of them, stored and recomputed.
    pub field_differences: Vec<FieldDifference>,
    /// `ticket_sla_clocks` rows whose outcome credit (`outcome_team_id`, `outcome_assignee_id`:
    /// the team and assignee at the outcome's instant, docs/METRICS.md §7) differed from the one
    /// recomputed from the log (and was replaced). The clocks themselves are left as stored.
    pub changed_clocks: u64,
}

/// How many differences a [`RebuildReport`] details (the rest are counted): an upgrade that
/// changes every row of a million tickets would otherwise hold two debug strings per ticket
/// (gigabytes).
pub const DETAILED_DIFFERENCES: usize = 100;

/// Recomputes every ticket's metric projection from its event log and calendar, and every work
/// order's field metrics from the work orders, the ticket's log and calendar, compares them with
/// the stored rows, replaces rows that differ (or are missing) and reports them. The technician's
/// employment type and team as of a work order's end are history, not derivable: a stored row
/// keeps them (see [`crate::models::work_order_metrics::WorkOrderMetricsRow::new`]). Works in
/// batches of `batch` tickets, one transaction each.
///
/// # Errors
/// Database errors.
pub fn rebuild(conn: &mut PgConnection, batch: i64) -> QueryResult<RebuildReport> {
    use crate::models::ticket::{TicketEventRow, TicketMetricsRow};
    use crate::schema::{ticket_events, ticket_metrics, tickets};
    use std::collections::HashMap;

    let mut report = RebuildReport::default();
    // Each team's calendar timeline: a ticket is measured on its teams' calendars as they were
    // while it belonged to each (docs/METRICS.md §3), as a ticket write measures it.
    let rules = crate::tickets::Rules::current(conn)?;
    let mut after = 0i64;
    loop {
        type Key = (i64, Option<i64>, Option<i64>, Option<i64>);
        let page: Vec<Key> = tickets::table
            .filter(tickets::id.gt(after))
            .order(tickets::id)
            .limit(batch)
            .select((
                tickets::id,
                tickets::team_id,
                tickets::assignee_id,
                tickets::created_by_id,
            ))
            .load(conn)?;
        let Some(&(last, ..)) = page.last() else {
            break;
        };
        after = last;
        let ids: Vec<i64> = page.iter().map(|(id, ..)| *id).collect();
        conn.transaction(|conn| {
            let rows: Vec<(i64, TicketEventRow)> = ticket_events::table
                .filter(ticket_events::ticket_id.eq_any(&ids))
                .order((ticket_events::ticket_id, ticket_events::seq))
                .select((ticket_events::ticket_id, TicketEventRow::as_select()))
                .load(conn)?;
            let mut logs: HashMap<i64, Vec<crate::domain::ticket::TicketEvent>> = HashMap::new();
            for (ticket_id, row) in rows {
                let kind = serde_json::from_value(row.data)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
                logs.entry(ticket_id)
                    .or_default()
                    .push(crate::domain::ticket::TicketEvent {
                        occurred_at: row.occurred_at,
                        actor: row.actor_user_id,
                        kind,
                    });
            }
            let stored: HashMap<i64, TicketMetricsRow> = ticket_metrics::table
                .filter(ticket_metrics::ticket_id.eq_any(&ids))
                .select(TicketMetricsRow::as_select())
                .load(conn)?
                .into_iter()
                .map(|r| (r.ticket_id, r))
                .collect();
            let mut work_orders: HashMap<i64, Vec<WorkOrderInput>> = HashMap::new();
            for input in work_order_metrics::inputs_of_tickets(conn, &ids)? {
                work_orders.entry(input.ticket_id).or_default().push(input);
            }
            let ids_of_orders: Vec<i64> =
                work_orders.values().flatten().map(|i| i.facts.id).collect();
            let mut stored_orders: HashMap<i64, WorkOrderMetricsRow> = if ids_of_orders.is_empty() {
                HashMap::new()
            } else {
                work_order_metrics::stored(conn, &ids_of_orders)?
                    .into_iter()
                    .map(|r| (r.work_order_id, r))
                    .collect()
            };
            let mut replace: Vec<WorkOrderMetricsRow> = Vec::new();
            let mut clocks = stored_clocks(conn, &ids)?;
            let mut credits = ClockCredits::default();
            for (ticket_id, team_id, assignee_id, created_by) in &page {
                let log = logs.remove(ticket_id).unwrap_or_default();
                if let Some(stored) = clocks.remove(ticket_id) {
                    credits.compare(*ticket_id, &log, *team_id, *assignee_id, stored);
                }
                let calendar = rules.timeline(*team_id, &log);
                if let Some(inputs) = work_orders.get(ticket_id) {
                    for fresh in
                        crate::tickets::projection::work_order_rows(inputs, &log, &calendar)
                    {
                        report.work_orders += 1;
                        let stored = stored_orders.remove(&fresh.work_order_id);
                        if stored.as_ref() != Some(&fresh) {
                            report.changed_work_orders += 1;
                            if report.field_differences.len() < DETAILED_DIFFERENCES {
                                report.field_differences.push(FieldDifference {
                                    work_order_id: fresh.work_order_id,
                                    stored: format!("{stored:?}"),
                                    recomputed: format!("{fresh:?}"),
                                });
                            }
                            replace.push(fresh);
                        }
                    }
                }
                let metrics = crate::domain::metrics::project(&log, &calendar).unwrap_or_default();
                let credit = crate::tickets::attribution::attribute(
                    &log,
                    *team_id,
                    *assignee_id,
                    *created_by,
                    &metrics,
                    &rules.directory,
                );
                let fresh = TicketMetricsRow::new(*ticket_id, &metrics, &credit);
                report.tickets += 1;
                if stored.get(ticket_id) != Some(&fresh) {
                    report.changed_tickets += 1;
                    if report.differences.len() < DETAILED_DIFFERENCES {
                        report.differences.push(Difference {
                            ticket_id: *ticket_id,
                            stored: format!("{:?}", stored.get(ticket_id)),
                            recomputed: format!("{fresh:?}"),
                        });
                    }
                    diesel::insert_into(ticket_metrics::table)
                        .values(&fresh)
                        .on_conflict(ticket_metrics::ticket_id)
                        .do_update()
                        .set((&fresh, ticket_metrics::updated_at.eq(diesel::dsl::now)))
                        .execute(conn)?;
                }
            }
            work_order_metrics::upsert_tx(conn, &replace)?;
            report.changed_clocks += credits.store(conn)?;
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(report)
}

/// A stored clock: kind, `running`, `due_at`, `fulfilled_at`, `breached_at`, and its outcome
/// credit (team, assignee).
type StoredClock = (
    String,
    bool,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<i64>,
    Option<i64>,
);

/// The stored SLA clocks of `ids`, by ticket.
fn stored_clocks(
    conn: &mut PgConnection,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Vec<StoredClock>>> {
    use crate::schema::ticket_sla_clocks as c;
    let rows: Vec<(i64, StoredClock)> = c::table
        .filter(c::ticket_id.eq_any(ids))
        .select((
            c::ticket_id,
            (
                c::kind,
                c::running,
                c::due_at,
                c::fulfilled_at,
                c::breached_at,
                c::outcome_team_id,
                c::outcome_assignee_id,
            ),
        ))
        .load(conn)?;
    let mut out: std::collections::HashMap<i64, Vec<StoredClock>> = Default::default();
    for (id, clock) in rows {
        out.entry(id).or_default().push(clock);
    }
    Ok(out)
}

/// The outcome credits of stored clocks that differ from those recomputed from the logs:
/// (ticket, kind, team, assignee), written in one statement.
#[derive(Default)]
struct ClockCredits {
    tickets: Vec<i64>,
    kinds: Vec<String>,
    teams: Vec<Option<i64>>,
    assignees: Vec<Option<i64>>,
}

impl ClockCredits {
    /// Recomputes the credit of each of `stored` (a ticket's clocks) at its outcome's instant
    /// from `log` (the ticket's team and assignee now: `team_id`, `assignee_id`), keeping those
    /// that differ.
    fn compare(
        &mut self,
        ticket_id: i64,
        log: &[crate::domain::ticket::TicketEvent],
        team_id: Option<i64>,
        assignee_id: Option<i64>,
        stored: Vec<StoredClock>,
    ) {
        use crate::tickets::attribution::{InForce, sla_outcome_at};
        let in_force = InForce::new(log, team_id, assignee_id);
        for (kind, running, due_at, fulfilled_at, breached_at, team, assignee) in stored {
            let fresh = sla_outcome_at(running, due_at, fulfilled_at, breached_at)
                .map_or((None, None), |t| in_force.at(t));
            if fresh != (team, assignee) {
                self.tickets.push(ticket_id);
                self.kinds.push(kind);
                self.teams.push(fresh.0);
                self.assignees.push(fresh.1);
            }
        }
    }

    /// Writes the credits kept; returns how many.
    fn store(self, conn: &mut PgConnection) -> QueryResult<u64> {
        use diesel::sql_types::{Array, BigInt, Nullable, Text};
        if self.tickets.is_empty() {
            return Ok(0);
        }
        let n = self.tickets.len() as u64;
        diesel::sql_query(
            "UPDATE ticket_sla_clocks c
                SET outcome_team_id = u.team_id, outcome_assignee_id = u.assignee_id
               FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])
                    AS u(ticket_id, kind, team_id, assignee_id)
              WHERE c.ticket_id = u.ticket_id AND c.kind = u.kind",
        )
        .bind::<Array<BigInt>, _>(self.tickets)
        .bind::<Array<Text>, _>(self.kinds)
        .bind::<Array<Nullable<BigInt>>, _>(self.teams)
        .bind::<Array<Nullable<BigInt>>, _>(self.assignees)
        .execute(conn)?;
        Ok(n)
    }
}

/// Version of the per-ticket projection's definition (what [`rebuild`] computes into
/// `ticket_metrics`). Raise it with any change to what the projection holds or how it is
/// computed: [`ensure_projection_current`] then recomputes existing databases once.
/// 1: the contact flags and on-hold time by reason (migrations 0009, 0010).
/// 2: the work orders' field metrics (`work_order_metrics`, docs/METRICS.md §8): filled for work
/// orders written before the ticket's refresh projected them.
/// 3: business time on the ticket's calendar timeline (a calendar change or a move to another
/// team applies from then on, docs/METRICS.md §3; migration `team_calendar_periods`).
/// 4: attribution at the instant (migration `attribution`).
/// 5: SLA outcomes credited at their instant (`ticket_sla_clocks.outcome_team_id`,
/// `outcome_assignee_id`, migration `sla_outcome_attribution`).
pub const PROJECTION_VERSION: i32 = 5;

#[derive(QueryableByName)]
struct ProjectionVersion {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    has_tickets: bool,
}

/// Key of the session advisory lock under which one process at a time brings the projection up
/// to date.
const PROJECTION_LOCK: i64 = 0x4652_4f4e_544c_5056; // "FRONTLPV"

/// Recomputes every ticket's projection ([`rebuild`]) when the database's was computed by an
/// older definition (`metrics_projection.version` < [`PROJECTION_VERSION`]), then records the
/// version. An empty database is only marked. Processes starting together take turns; the
/// later ones find nothing to do. Returns the rebuild's report when one ran.
///
/// # Errors
/// Database errors (the version is then left as it was, and the next start tries again).
pub fn ensure_projection_current(conn: &mut PgConnection) -> QueryResult<Option<RebuildReport>> {
    crate::db::with_session_lock(conn, PROJECTION_LOCK, |conn| {
        let current: ProjectionVersion = diesel::sql_query(
            "SELECT version, EXISTS (SELECT 1 FROM tickets) AS has_tickets FROM metrics_projection",
        )
        .get_result(conn)?;
        if current.version >= PROJECTION_VERSION {
            return Ok(None);
        }
        let report = if current.has_tickets {
            Some(rebuild(conn, 1000)?)
        } else {
            None
        };
        diesel::sql_query("UPDATE metrics_projection SET version = $1, rebuilt_at = now()")
            .bind::<diesel::sql_types::Integer, _>(PROJECTION_VERSION)
            .execute(conn)?;
        Ok(report)
    })?
}
