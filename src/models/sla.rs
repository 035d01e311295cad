//! Stored SLA policies and the live SLA clocks of a ticket.

use crate::domain::sla::{self, Conditions, Policy, Target, TargetKind};
use crate::domain::ticket::TicketPriority;
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

/// The rules version in force as this statement sees it: read (with the webhooks version, by
/// [`write_versions`]) by the first statement of every ticket write
/// ([`crate::tickets::RulesCache::for_write_tx`]), which projects the ticket with the rules
/// of that version and stamps its projection with it (`ticket_metrics.rules_version`), and of
/// reads that compute live clocks. No lock: a rules change committed after this read is applied
/// to the ticket by the background re-projection ([`crate::tickets::reproject`]), which finds it
/// by that stamp.
///
/// # Errors
/// Database errors.
pub fn rules_version(conn: &mut PgConnection) -> QueryResult<i64> {
    crate::schema::rules_version::table
        .select(crate::schema::rules_version::version)
        .first(conn)
}

/// [`rules_version`] and the webhook subscriptions' version
/// ([`crate::models::webhook::webhooks_version`]) in one statement: the first statement of every
/// ticket write.
///
/// # Errors
/// Database errors.
pub fn write_versions(conn: &mut PgConnection) -> QueryResult<(i64, i64)> {
    use crate::schema::rules_version as r;
    r::table
        .select((r::version, r::webhooks_version))
        .first(conn)
}

/// Replaces a ticket's stored SLA clocks with `rows` (computed by
/// [`crate::tickets::projection`]). `had_clocks: false` promises the ticket has none stored (a
/// ticket created in this transaction), which saves the delete. Call while holding the ticket's
/// row lock (or for a ticket created in this transaction): every writer of a ticket's clocks
/// takes that lock first, so no two wait for each other's clock rows.
///
/// # Errors
/// Database errors.
pub fn store_clocks_tx(
    conn: &mut PgConnection,
    ticket_id: i64,
    rows: &[ClockRow],
    had_clocks: bool,
) -> QueryResult<()> {
    use crate::schema::ticket_sla_clocks as c;
    let deleted = if had_clocks {
        diesel::delete(c::table.filter(c::ticket_id.eq(ticket_id))).execute(conn)?
    } else {
        0
    };
    if !rows.is_empty() {
        diesel::insert_into(c::table).values(rows).execute(conn)?;
    } else if deleted > 0 {
        stamp_metrics_tx(conn, Some(ticket_id))?;
    }
    Ok(())
}

/// Deletes every stored SLA clock (no policy is active any more) and marks the projections of
/// their tickets as changed, in one statement. Returns how many projections were marked. Takes
/// no ticket lock: for [`crate::tickets::projection::refresh_all_clocks_tx`] (tests, repairs of a
/// quiet database), never inside the running service.
///
/// # Errors
/// Database errors.
pub fn delete_all_clocks_tx(conn: &mut PgConnection) -> QueryResult<usize> {
    stamp_metrics_tx(conn, None)
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
    /// Whom the clock's outcome is credited to (docs/METRICS.md §7, "Attribution"): the
    /// ticket's team and assignee at the breach (`breached_at`), else at the fulfilment
    /// (`fulfilled_at`), else, for a running clock, at its due instant (the breach it will be);
    /// `None` without an outcome or without a team / assignee then
    /// ([`crate::tickets::attribution::sla_outcome_at`]).
    pub outcome_team_id: Option<i64>,
    /// See `outcome_team_id`.
    pub outcome_assignee_id: Option<i64>,
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

/// What one SLA pass at `now` records for one ticket's freshly computed clocks, in the order a
/// pass appends them (clocks by target name; per clock the warning, then the breach), marking
/// the rows' `*_recorded` flags as the pass does. The bulk loader stores these so that its event
/// logs are those a pass would have written.
pub fn due_events(rows: &mut [ClockRow], now: DateTime<Utc>) -> Vec<sla::DueEvent> {
    rows.sort_by_key(|r| r.kind);
    let mut events = Vec::new();
    for r in rows.iter_mut() {
        if let Some(at) =
            sla::warning_due(r.running, r.warning_at, now).filter(|_| !r.warning_recorded)
        {
            events.push(("sla_warning", r.kind, at, r.policy_id));
            r.warning_recorded = true;
        }
        let breach = sla::breach_due(r.running, r.due_at, r.breached_at, now);
        if let Some(at) = breach.filter(|_| !r.breach_recorded) {
            events.push(("sla_breached", r.kind, at, r.policy_id));
            r.breach_recorded = true;
        }
    }
    events
}
