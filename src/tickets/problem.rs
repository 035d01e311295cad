//! `problem`: incidents linked to a problem ticket (an outage reported by many customers, each
//! in their own ticket), as Zendesk's problem and incident tickets.
//!
//! - [`link_incidents_tx`] (`POST /tickets/{id}/incidents`) links tickets to a problem: a
//!   `ticket_links` row (kind `incident`: the incident's `ticket_id`, the problem's
//!   `linked_ticket_id`) and a `linked` event on each side (`link: "problem"` on the incident,
//!   `link: "incident"` on the problem). An incident has one problem; a problem is not itself an
//!   incident; closed tickets are not linked.
//! - [`unlink_incident_tx`] (`DELETE /tickets/{id}/incidents/{incident_id}`) removes that row,
//!   with an `unlinked` event on each side (`link: "problem"` on the incident, `link:
//!   "incident"` on the problem).
//! - [`solve_incidents_tx`]: solving the problem (by `PATCH`, a comment with a status, a macro or
//!   a bulk update) solves each of its incidents that is not already solved or closed, in the
//!   same transaction, with a public reply to its requester (as `POST /tickets/{id}/comments`
//!   with `status: solved`, so each requester gets the `agent_reply` and `ticket_solved`
//!   notices): the problem's own public comment when the solve came with one, a standard text
//!   otherwise. An unassigned incident is first assigned to the problem's assignee. If one
//!   incident refuses (an open work order), nothing is written.

use super::comment::{self, NewComment};
use super::rules::RulesCache;
use super::update::{self, TicketUpdate};
use super::{Actor, command_error};
use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::{AuthorKind, Command, CommandError, TicketEvent, TicketStatus};
use crate::error::ApiError;
use crate::models::enums::DbTicketStatus;
use crate::models::ticket::{self as model, Ticket, TicketChangeset, Visibility, state_of};
use crate::schema::ticket_links;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Most incidents linked in one call.
pub const MAX_INCIDENTS: usize = 100;

/// The `ticket_links.kind` of an incident.
pub const INCIDENT: &str = "incident";

/// What [`link_incidents_tx`] or [`unlink_incident_tx`] did.
#[derive(Debug)]
pub struct Linked {
    /// The problem after it.
    pub problem: Ticket,
    /// Every incident of the problem now (ids, ascending).
    pub incident_ids: Vec<i64>,
}

/// The incidents of problem `problem_id`, ascending.
///
/// # Errors
/// Database errors.
pub fn incidents_of(conn: &mut PgConnection, problem_id: i64) -> QueryResult<Vec<i64>> {
    ticket_links::table
        .filter(ticket_links::linked_ticket_id.eq(problem_id))
        .filter(ticket_links::kind.eq(INCIDENT))
        .select(ticket_links::ticket_id)
        .order(ticket_links::ticket_id)
        .load(conn)
}

/// The problem of `incident_id`, if it is an incident.
///
/// # Errors
/// Database errors.
pub fn problem_of(conn: &mut PgConnection, incident_id: i64) -> QueryResult<Option<i64>> {
    ticket_links::table
        .filter(ticket_links::ticket_id.eq(incident_id))
        .filter(ticket_links::kind.eq(INCIDENT))
        .select(ticket_links::linked_ticket_id)
        .first(conn)
        .optional()
}

/// Links `incidents` (distinct ids, at most [`MAX_INCIDENTS`]) to problem `problem_id` by `actor`
/// at `now`; an incident already linked to this problem is left as it is. Locks the tickets in
/// id order.
///
/// # Errors
/// 404 for a ticket the caller cannot see; 422 naming `ticket_ids` when the problem is among
/// them; 409 (naming `status`) when the problem is closed, is itself an incident
/// (`problem_is_incident`); 409 naming `ticket_ids` for a closed incident (`ticket_closed`), one
/// linked to another problem (`already_linked`) or one that is a problem with incidents
/// (`incident_is_problem`). Nothing is written then.
pub fn link_incidents_tx(
    conn: &mut PgConnection,
    cache: &RulesCache,
    problem_id: TicketId,
    incidents: &[TicketId],
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Linked, ApiError> {
    let rules = cache.for_write_tx(conn)?;
    if incidents.contains(&problem_id) {
        return Err(ApiError::invalid_field(
            "ticket_ids",
            "a problem cannot be its own incident",
        ));
    }
    let locked = lock_all(conn, problem_id, incidents, actor.visibility)?;
    let (problem, incidents): (Vec<Ticket>, Vec<Ticket>) =
        locked.into_iter().partition(|t| t.id == problem_id.get());
    let problem = problem
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound("ticket"))?;
    if problem.status == DbTicketStatus::Closed {
        return Err(command_error(CommandError::Closed));
    }
    if problem_of(conn, problem.id)?.is_some() {
        return Err(ApiError::conflict_on(
            "problem_is_incident",
            "status",
            "this ticket is an incident of another problem; link the incidents to that problem",
        ));
    }
    let mut new = Vec::new();
    for incident in &incidents {
        let label = format!("ticket #{}", incident.number);
        match problem_of(conn, incident.id)? {
            Some(p) if p == problem.id => continue,
            Some(_) => {
                return Err(ApiError::conflict_on(
                    "already_linked",
                    "ticket_ids",
                    &format!("{label} is an incident of another problem"),
                ));
            }
            None => {}
        }
        if incident.status == DbTicketStatus::Closed {
            return Err(ApiError::conflict_on(
                "ticket_closed",
                "ticket_ids",
                &format!("{label} is closed"),
            ));
        }
        if !incidents_of(conn, incident.id)?.is_empty() {
            return Err(ApiError::conflict_on(
                "incident_is_problem",
                "ticket_ids",
                &format!("{label} is a problem with incidents of its own"),
            ));
        }
        new.push(incident);
    }
    let mut problem_state = state_of(&problem);
    let mut problem_events: Vec<TicketEvent> = Vec::new();
    for incident in &new {
        problem_events.extend(link(
            &mut problem_state,
            "incident",
            incident.id,
            actor,
            now,
        )?);
        let mut state = state_of(incident);
        let events = link(&mut state, "problem", problem.id, actor, now)?;
        super::save_tx(
            conn,
            &rules,
            incident,
            &state,
            &TicketChangeset::default(),
            events,
            &[],
        )?;
        diesel::insert_into(ticket_links::table)
            .values((
                ticket_links::ticket_id.eq(incident.id),
                ticket_links::linked_ticket_id.eq(problem.id),
                ticket_links::kind.eq(INCIDENT),
                ticket_links::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    let problem = if problem_events.is_empty() {
        problem
    } else {
        super::save_tx(
            conn,
            &rules,
            &problem,
            &problem_state,
            &TicketChangeset::default(),
            problem_events,
            &[],
        )?
        .0
    };
    tracing::info!(target: "audit", { ticket.id = problem.id, user.id = actor.id.get(), linked = new.len() }, "incidents linked");
    let incident_ids = incidents_of(conn, problem.id)?;
    Ok(Linked {
        problem,
        incident_ids,
    })
}

/// Unlinks incident `incident_id` from problem `problem_id` by `actor` at `now`: the
/// `ticket_links` row goes, and each side gets an `unlinked` event (`link: "problem"` on the
/// incident, `link: "incident"` on the problem), as linking gave each a `linked` one. Locks the
/// two tickets in id order. Returns the problem after it with its remaining incidents.
///
/// # Errors
/// 404 for a ticket the caller cannot see, or when the incident is not linked to this problem;
/// 409 `ticket_closed` naming `status` when the problem is closed, naming `incident_id` when
/// the incident is. Nothing is written then.
pub fn unlink_incident_tx(
    conn: &mut PgConnection,
    cache: &RulesCache,
    problem_id: TicketId,
    incident_id: TicketId,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Linked, ApiError> {
    let rules = cache.for_write_tx(conn)?;
    let locked = lock_all(conn, problem_id, &[incident_id], actor.visibility)?;
    let find = |id: TicketId| locked.iter().find(|t| t.id == id.get());
    let (Some(problem), Some(incident)) = (find(problem_id), find(incident_id)) else {
        return Err(ApiError::NotFound("incident of this problem"));
    };
    if problem_id == incident_id || problem_of(conn, incident.id)? != Some(problem.id) {
        return Err(ApiError::NotFound("incident of this problem"));
    }
    if problem.status == DbTicketStatus::Closed {
        return Err(command_error(CommandError::Closed));
    }
    if incident.status == DbTicketStatus::Closed {
        return Err(ApiError::conflict_on(
            "ticket_closed",
            "incident_id",
            &format!("ticket #{} is closed", incident.number),
        ));
    }
    diesel::delete(
        ticket_links::table
            .filter(ticket_links::ticket_id.eq(incident.id))
            .filter(ticket_links::linked_ticket_id.eq(problem.id))
            .filter(ticket_links::kind.eq(INCIDENT)),
    )
    .execute(conn)?;
    let mut state = state_of(incident);
    let events = unlink(&mut state, "problem", problem.id, actor, now)?;
    super::save_tx(
        conn,
        &rules,
        incident,
        &state,
        &TicketChangeset::default(),
        events,
        &[],
    )?;
    let mut state = state_of(problem);
    let events = unlink(&mut state, "incident", incident.id, actor, now)?;
    let problem = super::save_tx(
        conn,
        &rules,
        problem,
        &state,
        &TicketChangeset::default(),
        events,
        &[],
    )?
    .0;
    tracing::info!(target: "audit", { ticket.id = problem.id, user.id = actor.id.get(), incident.id = incident_id.get() }, "incident unlinked");
    let incident_ids = incidents_of(conn, problem.id)?;
    Ok(Linked {
        problem,
        incident_ids,
    })
}

/// Locks `first` and `others` in ascending id order (so two calls over overlapping tickets never
/// wait on each other in opposite orders); returns them in that order.
///
/// # Errors
/// 404 naming the ticket for one the caller cannot see; database errors.
pub(super) fn lock_all(
    conn: &mut PgConnection,
    first: TicketId,
    others: &[TicketId],
    visibility: Visibility,
) -> Result<Vec<Ticket>, ApiError> {
    let mut ids: Vec<i64> = others.iter().map(|t| t.get()).collect();
    ids.push(first.get());
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|id| model::lock_tx(conn, id, visibility).map_err(ApiError::not_found("ticket")))
        .collect()
}

/// The `linked` event of a link of kind `link` to `other`.
fn link(
    state: &mut crate::domain::ticket::TicketState,
    link: &str,
    other: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Vec<TicketEvent>, ApiError> {
    state
        .apply(
            &Command::Link {
                kind: link.into(),
                ticket_id: other,
            },
            now,
            Some(actor.id.get()),
        )
        .map_err(command_error)
}

/// The `unlinked` event of the removal of a link of kind `link` to `other`.
fn unlink(
    state: &mut crate::domain::ticket::TicketState,
    link: &str,
    other: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Vec<TicketEvent>, ApiError> {
    state
        .apply(
            &Command::Unlink {
                kind: link.into(),
                ticket_id: other,
            },
            now,
            Some(actor.id.get()),
        )
        .map_err(command_error)
}

/// Whether `events` solve the ticket (a change to `solved` from another status).
pub(super) fn solves(events: &[TicketEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e.kind,
            crate::domain::ticket::EventKind::StatusChanged {
                from,
                to: TicketStatus::Solved,
                ..
            } if from != TicketStatus::Solved
        )
    })
}

/// The reply an incident's requester gets when its problem is solved without a public comment.
pub fn standard_reply(problem: &Ticket) -> String {
    format!(
        "The problem behind your request has been solved (ticket #{}: {}). If the issue \
         persists, reply to this message and we will reopen your request.",
        problem.number, problem.subject
    )
}

/// Solves the incidents of `problem`, just solved by `actor` at `now` (module documentation):
/// each open incident gets the public `reply` (or [`standard_reply`]) with `status: solved`.
/// Returns the incidents solved. A ticket without incidents costs one query.
///
/// # Errors
/// What solving an incident refuses (e.g. 409 for an open work order), with the incident named
/// in the detail; nothing is written then (the caller's transaction rolls back).
pub fn solve_incidents_tx(
    conn: &mut PgConnection,
    cache: &RulesCache,
    problem: &Ticket,
    reply: Option<&str>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, ApiError> {
    let ids = incidents_of(conn, problem.id)?;
    if ids.is_empty() {
        return Ok(ids);
    }
    let body = reply.map_or_else(|| standard_reply(problem), str::to_string);
    // The incidents belong to the problem's solver for this: every incident is visible.
    let actor = Actor {
        id: actor.id,
        visibility: Visibility::All,
    };
    let mut solved = Vec::new();
    for id in ids {
        let incident = model::lock_tx(conn, id, Visibility::All)?;
        if matches!(
            incident.status,
            DbTicketStatus::Solved | DbTicketStatus::Closed
        ) {
            continue;
        }
        let named = |e: ApiError| e.prefixed(&format!("incident #{}: ", incident.number));
        if incident.assignee_id.is_none()
            && let Some(assignee) = problem.assignee_id
        {
            let assign = TicketUpdate {
                assignee: Some(Some(UserId::new(assignee))),
                ..TicketUpdate::default()
            };
            update::update_tx(
                conn,
                cache,
                TicketId::new(id),
                incident.version,
                &assign,
                actor,
                now,
            )
            .map_err(named)?;
        }
        comment::comment_tx(
            conn,
            cache,
            TicketId::new(id),
            &NewComment {
                body: body.clone(),
                public: true,
                author: AuthorKind::Agent,
                status: Some(TicketStatus::Solved),
                hold_reason: None,
                keep_hold: false,
                if_version: None,
            },
            Some(actor),
            now,
        )
        .map_err(named)?;
        solved.push(id);
    }
    tracing::info!(target: "audit", { ticket.id = problem.id, user.id = actor.id.get(), solved = solved.len() }, "incidents solved with their problem");
    Ok(solved)
}
