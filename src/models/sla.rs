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
    let facts = TicketFacts {
        organization_id: ticket.organization_id,
        team_id: ticket.team_id,
        channel: ticket
            .channel
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|v| v.as_str().map(String::from)),
        priority: Some(priority),
        category: ticket.category.clone(),
    };
    let Some(policy) = sla::select(&policies, &facts).cloned() else {
        return Ok(None);
    };
    let calendar = crate::models::calendar::calendar_of_team(conn, ticket.team_id)?;
    let log = crate::models::ticket::load_log(conn, ticket.id)?;
    let clocks = sla::clocks(&log, &policy, priority, &calendar, now);
    Ok(Some((policy, clocks)))
}
