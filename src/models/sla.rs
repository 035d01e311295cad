//! Stored SLA policies and the live SLA clocks of a ticket.

use crate::domain::sla::{self, Clock, Conditions, Policy, Target, TargetKind, TicketFacts};
use crate::domain::ticket::TicketPriority;
use crate::models::ticket::Ticket;
use crate::schema::sla_policies;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::BTreeMap;

/// Targets as stored and exchanged: priority → target kind → target.
pub type Targets = BTreeMap<TicketPriority, BTreeMap<TargetKind, Target>>;

/// A `sla_policies` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sla_policies, check_for_backend(diesel::pg::Pg))]
pub struct PolicyRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Order of matching (lowest first).
    pub position: i32,
    /// Inactive policies are never matched.
    pub active: bool,
    /// Conditions (JSON of [`Conditions`]).
    pub conditions: serde_json::Value,
    /// Targets (JSON of [`Targets`]).
    pub targets: serde_json::Value,
    /// Warning offset, seconds.
    pub warning_seconds: Option<i64>,
}

/// The domain policy of a row.
///
/// # Errors
/// A deserialization error when the stored JSON does not parse (it was validated when written).
pub fn to_domain(row: &PolicyRow) -> QueryResult<Policy> {
    let de = |e: serde_json::Error| diesel::result::Error::DeserializationError(Box::new(e));
    Ok(Policy {
        id: row.id,
        name: row.name.clone(),
        conditions: serde_json::from_value::<Conditions>(row.conditions.clone()).map_err(de)?,
        targets: serde_json::from_value::<Targets>(row.targets.clone()).map_err(de)?,
        warning_seconds: row.warning_seconds,
    })
}

/// Active policies in matching order.
///
/// # Errors
/// Database errors.
pub fn active_policies(conn: &mut PgConnection) -> QueryResult<Vec<Policy>> {
    let rows: Vec<PolicyRow> = sla_policies::table
        .filter(sla_policies::active.eq(true))
        .order((sla_policies::position, sla_policies::id))
        .select(PolicyRow::as_select())
        .load(conn)?;
    rows.iter().map(to_domain).collect()
}

/// The policy that applies to a ticket now and its clocks at `now`; `None` when no policy
/// matches.
///
/// # Errors
/// Database errors.
pub fn ticket_clocks(
    conn: &mut PgConnection,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Policy, Vec<Clock>)>> {
    let policies = active_policies(conn)?;
    let priority: TicketPriority = ticket.priority.into();
    let Some(policy) = sla::select(&policies, &facts_of(ticket)).cloned() else {
        return Ok(None);
    };
    let calendar = crate::models::calendar::calendar_of_team(conn, ticket.team_id)?;
    let log = crate::models::ticket::load_log(conn, ticket.id)?;
    let clocks = sla::clocks(&log, &policy, priority, &calendar, now);
    Ok(Some((policy, clocks)))
}

/// Recomputes and stores a ticket's SLA clocks (`ticket_sla_clocks`) from its event log: the
/// policy among `policies` that applies to the ticket now, its targets for the ticket's priority,
/// the calendar of its team. Ticket writes do the same through
/// [`crate::models::ticket::refresh_metrics_tx`], sharing the loaded log.
///
/// # Errors
/// Database errors.
pub fn refresh_with_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    policies: &[Policy],
) -> QueryResult<()> {
    use crate::schema::tickets;
    if policies.is_empty() {
        return store_clocks_tx(conn, ticket_id, None);
    }
    let ticket: Ticket = tickets::table
        .find(ticket_id)
        .select(Ticket::as_select())
        .first(conn)?;
    let calendar = crate::models::calendar::calendar_of_team(conn, ticket.team_id)?;
    let log = crate::models::ticket::load_log(conn, ticket.id)?;
    store_clocks_tx(conn, ticket_id, Some((&ticket, &log, &calendar, policies)))
}

/// Key of the transaction-scoped advisory lock between SLA policy changes (exclusive) and the
/// writes of a ticket's clocks (shared).
const POLICY_CHANGE_LOCK: i64 = 0x4652_4f4e_544c_5350; // "FRONTLSP"

/// Waits until no transaction is writing SLA clocks, then keeps new clock writes waiting until
/// this transaction ends. A policy change must call it first, before it touches its policy row:
/// it then rewrites every ticket's clocks while no ticket write holds any clock, and no ticket
/// write waits for its policy row while holding clocks the change needs (which deadlocked: a
/// ticket write deleted its clocks, then its new clocks' foreign key waited for the policy row
/// the change held while the change waited to delete those clocks).
///
/// # Errors
/// Database errors.
pub fn lock_for_policy_change_tx(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(POLICY_CHANGE_LOCK)
        .execute(conn)
        .map(|_| ())
}

/// Replaces a ticket's stored SLA clocks with those computed from its already-loaded row, event
/// log and calendar under `policies` (`None`: no active policy, the ticket has no clocks).
///
/// # Errors
/// Database errors.
pub fn store_clocks_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    loaded: Option<(
        &Ticket,
        &[crate::domain::ticket::TicketEvent],
        &crate::domain::calendar::BusinessCalendar,
        &[Policy],
    )>,
) -> QueryResult<()> {
    use crate::schema::ticket_sla_clocks as c;
    // Shared with other ticket writes, exclusive with policy changes
    // ([`lock_for_policy_change_tx`]).
    diesel::sql_query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind::<diesel::sql_types::BigInt, _>(POLICY_CHANGE_LOCK)
        .execute(conn)?;
    let deleted = diesel::delete(c::table.filter(c::ticket_id.eq(ticket_id))).execute(conn)?;
    let rows = match loaded {
        Some((ticket, log, calendar, policies)) => clock_rows(ticket, log, calendar, policies),
        None => Vec::new(),
    };
    if !rows.is_empty() {
        diesel::insert_into(c::table).values(rows).execute(conn)?;
    } else if deleted > 0 {
        stamp_metrics_tx(conn, Some(ticket_id))?;
    }
    Ok(())
}

/// Marks tickets' metric projections as changed by this transaction (`changed_xid`, migration
/// 0013) after their SLA clocks were deleted without replacement: a deletion leaves no row whose
/// stamp the in-memory metrics store could find. `None`: deletes every clock and stamps the
/// projections of their tickets, in one statement (same lock order as ticket writes: clocks, then
/// metrics).
///
/// # Errors
/// Database errors.
fn stamp_metrics_tx(conn: &mut PgConnection, ticket_id: Option<i64>) -> QueryResult<usize> {
    match ticket_id {
        Some(id) => diesel::sql_query(
            "UPDATE ticket_metrics SET changed_xid = pg_current_xact_id() WHERE ticket_id = $1",
        )
        .bind::<diesel::sql_types::BigInt, _>(id)
        .execute(conn),
        None => diesel::sql_query(
            "WITH gone AS (DELETE FROM ticket_sla_clocks RETURNING ticket_id)
             UPDATE ticket_metrics SET changed_xid = pg_current_xact_id()
              WHERE ticket_id IN (SELECT ticket_id FROM gone)",
        )
        .execute(conn),
    }
}

/// A `ticket_sla_clocks` row as stored by ticket writes (the `*_recorded` flags are set by the
/// SLA worker).
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = crate::schema::ticket_sla_clocks, treat_none_as_default_value = false)]
pub struct ClockRow {
    /// The ticket.
    pub ticket_id: i64,
    /// Target kind (`first_reply`, `next_reply`, `resolution`, `agent_work`).
    pub kind: &'static str,
    /// The policy that set the target.
    pub policy_id: i64,
    /// The target, seconds.
    pub target_seconds: i64,
    /// Business (`true`) or calendar seconds.
    pub business: bool,
    /// The clock runs as of the ticket's latest event.
    pub running: bool,
    /// Due instant of a running clock.
    pub due_at: Option<DateTime<Utc>>,
    /// Warning instant of a running clock, when the policy sets an offset.
    pub warning_at: Option<DateTime<Utc>>,
    /// When the target was fulfilled.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// When it breached (its due instant), as far as the log shows.
    pub breached_at: Option<DateTime<Utc>>,
    /// The worker recorded the breach event.
    pub breach_recorded: bool,
    /// The worker recorded the warning event.
    pub warning_recorded: bool,
}

/// The clock rows of a ticket: the policy among `policies` that applies to it now, its targets
/// for the ticket's priority, replayed over `log` on `calendar`. Empty when no policy applies.
/// Pure: the bulk loader (`frontline seed --profile scale`) stores exactly these rows.
pub fn clock_rows(
    ticket: &Ticket,
    log: &[crate::domain::ticket::TicketEvent],
    calendar: &crate::domain::calendar::BusinessCalendar,
    policies: &[Policy],
) -> Vec<ClockRow> {
    let priority: TicketPriority = ticket.priority.into();
    let Some(policy) = sla::select(policies, &facts_of(ticket)) else {
        return Vec::new();
    };
    // `now` = creation: the stored view depends on the log only; whether a running clock's due
    // instant has passed is decided when it is read (and by the SLA worker).
    let clocks = sla::clocks(log, policy, priority, calendar, ticket.created_at);
    clocks
        .iter()
        .map(|k| ClockRow {
            ticket_id: ticket.id,
            kind: kind_name(k.kind),
            policy_id: policy.id,
            target_seconds: k.target_seconds,
            business: k.business,
            running: k.running,
            due_at: if k.running { k.due_at } else { None },
            warning_at: k.warning_at,
            fulfilled_at: k.fulfilled_at,
            breached_at: k.breached_at,
            breach_recorded: false,
            warning_recorded: false,
        })
        .collect()
}

/// The snake_case name of a target kind.
pub fn kind_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::FirstReply => "first_reply",
        TargetKind::NextReply => "next_reply",
        TargetKind::Resolution => "resolution",
        TargetKind::AgentWork => "agent_work",
    }
}

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

/// Recomputes the SLA clocks of every ticket (after a policy changed). Returns how many tickets.
///
/// # Errors
/// Database errors.
pub fn refresh_all_tx(conn: &mut PgConnection) -> QueryResult<usize> {
    use crate::schema::tickets;
    let policies = active_policies(conn)?;
    let ids: Vec<i64> = tickets::table.select(tickets::id).load(conn)?;
    if policies.is_empty() {
        // Deletes every clock and stamps the projections of their tickets.
        stamp_metrics_tx(conn, None)?;
        return Ok(ids.len());
    }
    for id in &ids {
        refresh_with_tx(conn, *id, &policies)?;
    }
    Ok(ids.len())
}
