//! A ticket's projections — its metrics (`ticket_metrics`, docs/METRICS.md) and its SLA clocks
//! (`ticket_sla_clocks`) — computed from the state and event log the caller already holds, and
//! stored in the caller's transaction. Every ticket write, the importer, the seed's bulk loader
//! and the background re-projection after a rule change (SLA policy, calendar, a team's
//! calendar; [`super::reproject`]) project through here. A ticket
//! with work orders (its log holds a `work_order` event) also gets its work orders' field
//! metrics (`work_order_metrics`, docs/METRICS.md §8) refreshed.

use super::attribution::{InForce, sla_outcome_at};
use super::rules::Rules;
use crate::domain::sla::{self, Clock, Policy, TicketFacts};
use crate::domain::ticket::{EventKind, TicketEvent, TicketPriority};
use crate::domain::timeline::BusinessTime;
use crate::domain::{field_metrics, metrics};
use crate::error::ApiError;
use crate::models::sla::{ClockRow, kind_name, store_clocks_tx};
use crate::models::ticket::{self as model, Ticket, TicketMetricsRow};
use crate::models::work_order_metrics::{self, WorkOrderInput, WorkOrderMetricsRow};
use crate::schema::tickets;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// What a ticket's log projects to.
#[derive(Debug, Clone)]
pub struct Projection {
    /// The `ticket_metrics` row.
    pub metrics: TicketMetricsRow,
    /// The `ticket_sla_clocks` rows (empty when no policy applies).
    pub clocks: Vec<ClockRow>,
}

/// The facts SLA policies match on.
fn facts_of(ticket: &Ticket) -> TicketFacts {
    TicketFacts {
        organization_id: ticket.organization_id,
        team_id: ticket.team_id,
        channel: ticket
            .channel
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|v| v.as_str().map(String::from)),
        priority: Some(ticket.priority.into()),
        category: ticket.category.clone(),
    }
}

/// The policy among `rules` that applies to `ticket` now, if any.
pub fn policy_of<'a>(rules: &'a Rules, ticket: &Ticket) -> Option<&'a Policy> {
    sla::select(&rules.policies, &facts_of(ticket))
}

/// The clock rows of a ticket: the policy that applies to it now, its targets for the ticket's
/// priority, replayed over `log` on the team's calendar. Empty when no policy applies.
pub fn clock_rows(rules: &Rules, ticket: &Ticket, log: &[TicketEvent]) -> Vec<ClockRow> {
    clock_rows_on(
        &rules.policies,
        &rules.timeline(ticket.team_id, log),
        ticket,
        log,
    )
}

/// [`clock_rows`] with the policies and the calendar given (the seed's bulk loader, which holds
/// its calendars itself).
pub fn clock_rows_on(
    policies: &[Policy],
    calendar: &dyn BusinessTime,
    ticket: &Ticket,
    log: &[TicketEvent],
) -> Vec<ClockRow> {
    let Some(policy) = sla::select(policies, &facts_of(ticket)) else {
        return Vec::new();
    };
    let priority: TicketPriority = ticket.priority.into();
    let in_force = InForce::new(log, ticket.team_id, ticket.assignee_id);
    // `now` = creation: the stored view depends on the log only; whether a running clock's due
    // instant has passed is decided when it is read (and by the SLA worker).
    sla::clocks(log, policy, priority, calendar, ticket.created_at)
        .iter()
        .map(|k| {
            let due_at = if k.running { k.due_at } else { None };
            // Credited at the outcome's instant (docs/METRICS.md §7, "Attribution").
            let (outcome_team_id, outcome_assignee_id) =
                sla_outcome_at(k.running, due_at, k.fulfilled_at, k.breached_at)
                    .map_or((None, None), |t| in_force.at(t));
            ClockRow {
                ticket_id: ticket.id,
                kind: kind_name(k.kind),
                policy_id: policy.id,
                target_seconds: k.target_seconds,
                business: k.business,
                running: k.running,
                due_at,
                warning_at: k.warning_at,
                fulfilled_at: k.fulfilled_at,
                breached_at: k.breached_at,
                breach_recorded: false,
                warning_recorded: false,
                outcome_team_id,
                outcome_assignee_id,
            }
        })
        .collect()
}

/// The live clocks of a ticket at `now` under the policy that applies to it (`GET
/// /tickets/{id}`); `None` when no policy applies.
pub fn clocks_at(
    rules: &Rules,
    ticket: &Ticket,
    log: &[TicketEvent],
    now: DateTime<Utc>,
) -> Option<(Policy, Vec<Clock>)> {
    let policy = policy_of(rules, ticket)?;
    let clocks = sla::clocks(
        log,
        policy,
        ticket.priority.into(),
        &rules.timeline(ticket.team_id, log),
        now,
    );
    Some((policy.clone(), clocks))
}

/// Projects a ticket's whole log (pure).
pub fn project(rules: &Rules, ticket: &Ticket, log: &[TicketEvent]) -> Projection {
    let calendar = rules.timeline(ticket.team_id, log);
    let m = metrics::project(log, &calendar).unwrap_or_default();
    let credit = super::attribution::attribute(
        log,
        ticket.team_id,
        ticket.assignee_id,
        ticket.created_by_id,
        &m,
        &rules.directory,
    );
    Projection {
        metrics: TicketMetricsRow::new(ticket.id, &m, &credit),
        clocks: clock_rows(rules, ticket, log),
    }
}

/// Projects `ticket`'s whole `log` and stores both projections, stamped with `rules.version`
/// (`ticket_metrics.rules_version`). `had_clocks: false` promises no clock is stored for it yet
/// (created in this transaction). Call holding the ticket's row lock (or for a ticket created in
/// this transaction), with rules from [`super::RulesCache::for_write_tx`] or fresher.
///
/// # Errors
/// Database errors.
pub fn refresh_tx(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &Ticket,
    log: &[TicketEvent],
    had_clocks: bool,
) -> QueryResult<Projection> {
    let projection = project(rules, ticket, log);
    store_clocks_tx(conn, ticket.id, &projection.clocks, had_clocks)?;
    model::upsert_metrics_tx(conn, &projection.metrics, rules.version)?;
    // Only tickets that have work orders: other writes keep their statement count.
    if has_work_orders(log) {
        store_work_orders_tx(conn, rules, ticket, log)?;
    }
    Ok(projection)
}

/// Whether `log` records a work order (created or changed): only then has the ticket any.
pub fn has_work_orders(log: &[TicketEvent]) -> bool {
    log.iter()
        .any(|e| matches!(e.kind, EventKind::WorkOrder { .. }))
}

/// The `work_order_metrics` rows of a ticket's work orders (pure): each projected by
/// [`field_metrics::project`] against the ticket's other work orders, its log and `calendar`
/// (the ticket's: its team's), with the attribution of [`WorkOrderMetricsRow::new`].
pub fn work_order_rows(
    inputs: &[WorkOrderInput],
    log: &[TicketEvent],
    calendar: &dyn BusinessTime,
) -> Vec<WorkOrderMetricsRow> {
    let facts: Vec<_> = inputs.iter().map(|i| i.facts.clone()).collect();
    inputs
        .iter()
        .map(|i| {
            let m = field_metrics::project(&i.facts, &facts, log, calendar);
            WorkOrderMetricsRow::new(i, &m)
        })
        .collect()
}

/// Loads `ticket`'s work orders (with their technicians' employment type and team and their
/// assets' kinds: one query) and upserts their `work_order_metrics` rows (one statement),
/// measuring business time on the ticket's calendar (`rules`, the ticket's team). The
/// technician's employment type and team are written when a work order ends and kept after.
/// `log` is the ticket's whole log. Called by [`refresh_tx`] for tickets whose log records a
/// work order; callable directly (tests, repairs).
///
/// # Errors
/// Database errors (as [`ApiError`]).
pub fn refresh_work_orders_tx(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &Ticket,
    log: &[TicketEvent],
) -> Result<(), ApiError> {
    store_work_orders_tx(conn, rules, ticket, log).map_err(ApiError::from)
}

fn store_work_orders_tx(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &Ticket,
    log: &[TicketEvent],
) -> QueryResult<()> {
    let inputs = work_order_metrics::inputs_of_tickets(conn, &[ticket.id])?;
    let rows = work_order_rows(&inputs, log, &rules.timeline(ticket.team_id, log));
    work_order_metrics::upsert_tx(conn, &rows)
}

/// Reads a ticket's row and log and re-projects it (after a rule change, or for a ticket whose
/// log was written elsewhere). Call holding the ticket's row lock.
///
/// # Errors
/// Database errors (`NotFound` for an unknown ticket).
pub fn reproject_tx(conn: &mut PgConnection, rules: &Rules, ticket_id: i64) -> QueryResult<()> {
    let ticket: Ticket = tickets::table
        .find(ticket_id)
        .select(Ticket::as_select())
        .first(conn)?;
    let log = model::load_log(conn, ticket_id)?;
    refresh_tx(conn, rules, &ticket, &log, true).map(|_| ())
}

/// Recomputes the SLA clocks of every ticket, closed ones included, in the caller's transaction
/// (the clocks only: metrics and stamps are left as they are). Returns how many tickets. A tool
/// for tests and for repairing a quiet database: it takes no ticket lock and rewrites every
/// ticket at once, so the service never calls it; a rules change is applied by
/// [`super::reproject`] instead.
///
/// # Errors
/// Database errors.
pub fn refresh_all_clocks_tx(conn: &mut PgConnection) -> QueryResult<usize> {
    let rules = Rules::current(conn)?;
    let ids: Vec<i64> = tickets::table.select(tickets::id).load(conn)?;
    if rules.policies.is_empty() {
        // Deletes every clock and stamps the projections of their tickets.
        crate::models::sla::delete_all_clocks_tx(conn)?;
        return Ok(ids.len());
    }
    for id in &ids {
        let ticket: Ticket = tickets::table
            .find(*id)
            .select(Ticket::as_select())
            .first(conn)?;
        let log = model::load_log(conn, *id)?;
        store_clocks_tx(conn, *id, &clock_rows(&rules, &ticket, &log), true)?;
    }
    Ok(ids.len())
}
