//! Work orders: a field visit created from a ticket, dispatched to a technician with an arrival
//! window, travelled to, worked on site and completed (or not), each step one transaction that
//! also changes the ticket (docs/METRICS.md §8; issue "Field technicians close jobs").
//!
//! Every creation and transition appends a `work_order` event to the ticket's log (who, the
//! device instant, from → to, details) and refreshes the ticket's projections, which include
//! the work orders' field metrics. The ticket follows its work orders:
//! - while any work order is open the ticket is `on_hold` with pause reason
//!   `awaiting_field_visit` (creating one puts it there, reopening a solved ticket);
//! - when the last open one ends: `completed` with the problem fixed solves the ticket (when it
//!   has an assignee; otherwise it returns to `open`), anything else returns it to `open`;
//!   `cannot_complete` also leaves the reason as an internal note;
//! - a ticket with an open work order cannot be solved or closed ([`check_no_open_work`]);
//! - dispatch, en route and on site only append to the log: the ticket's row (and ETag), its
//!   metrics and SLA clocks stay as they are, and the work orders' projection follows.
//!
//! Ticket-side changes happen at the later of the device instant and the ticket's latest event,
//! so the ticket's own log stays in order while the work order keeps the device's instants.

use super::rules::{Rules, RulesCache};
use super::{Actor, check_site, command_error};
use crate::domain::ids::{AssetId, SiteId, TicketId, UserId, WorkOrderId};
use crate::domain::ticket::{
    AuthorKind, Command, EventKind, TicketEvent, TicketPriority, TicketStatus,
};
use crate::domain::work_order::{
    CannotCompleteReason, TransitionError, WorkOrderStatus, check_transition,
};
use crate::error::ApiError;
use crate::models::enums::UserRole;
use crate::models::ticket::{self as ticket_model, Ticket, TicketChangeset, Visibility, state_of};
use crate::models::work_order::{self as model, NewWorkOrder, WorkOrder, WorkOrderChangeset};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The pause reason of a ticket waiting for its work orders.
pub const AWAITING_FIELD_VISIT: &str = "awaiting_field_visit";

/// A parsed new work order.
#[derive(Debug, Clone)]
pub struct WorkOrderDraft {
    /// The site (default: the ticket's site).
    pub site: Option<SiteId>,
    /// The asset (default: the ticket's asset when it is at the site).
    pub asset: Option<AssetId>,
    /// Problem summary (1–250 characters).
    pub summary: String,
    /// Priority (default: the ticket's).
    pub priority: Option<TicketPriority>,
    /// A skill the technician must have (lower case).
    pub required_skill: Option<String>,
    /// The facility requires an escort.
    pub escort_required: bool,
    /// Clearance the facility requires.
    pub security_clearance: Option<String>,
    /// Other access notes.
    pub access_notes: Option<String>,
    /// Dispatch at once.
    pub dispatch: Option<Dispatch>,
}

/// A technician and an arrival window (UTC, `start < end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispatch {
    /// The technician (an active user whose role is `technician`).
    pub technician: UserId,
    /// Window start (UTC).
    pub start: DateTime<Utc>,
    /// Window end (UTC, after `start`).
    pub end: DateTime<Utc>,
}

/// One part used on a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Part number (1–100 characters, one line).
    #[schema(value_type = crate::routes::openapi::Name100)]
    pub part_number: String,
    /// Description (≤ 500 characters; blank: none).
    #[serde(default)]
    #[schema(value_type = crate::routes::openapi::Text500)]
    pub description: String,
    /// Quantity used (1–10,000).
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: u32,
}

/// What ended a visit with the work done.
#[derive(Debug, Clone)]
pub struct Completion {
    /// Resolution code (e.g. `replaced_handset`).
    pub resolution_code: String,
    /// Notes.
    pub notes: Option<String>,
    /// Parts used.
    pub parts: Vec<Part>,
    /// The problem is fixed (solves the ticket when no other work remains).
    pub problem_fixed: bool,
}

/// A requested change of a work order's status.
#[derive(Debug, Clone)]
pub enum Transition {
    /// `scheduled | dispatched → dispatched`.
    Dispatch(Dispatch),
    /// `dispatched → en_route`.
    EnRoute,
    /// `en_route → on_site`.
    OnSite,
    /// `on_site → completed`.
    Complete(Completion),
    /// `on_site → cannot_complete`, optionally asking for a follow-up visit (a new work order
    /// linked to this one, `scheduled`, or dispatched at once).
    CannotComplete {
        /// Why.
        reason: CannotCompleteReason,
        /// Notes.
        notes: Option<String>,
        /// Ask for a follow-up visit.
        follow_up: Option<FollowUp>,
    },
    /// Any open status → `cancelled`.
    Cancel {
        /// Why.
        reason: Option<String>,
    },
}

/// The follow-up visit a `cannot_complete` asks for.
#[derive(Debug, Clone, Default)]
pub struct FollowUp {
    /// Summary (default: the first work order's).
    pub summary: Option<String>,
    /// Dispatch at once.
    pub dispatch: Option<Dispatch>,
}

impl Transition {
    /// The status it leads to.
    pub fn target(&self) -> WorkOrderStatus {
        match self {
            Transition::Dispatch(_) => WorkOrderStatus::Dispatched,
            Transition::EnRoute => WorkOrderStatus::EnRoute,
            Transition::OnSite => WorkOrderStatus::OnSite,
            Transition::Complete(_) => WorkOrderStatus::Completed,
            Transition::CannotComplete { .. } => WorkOrderStatus::CannotComplete,
            Transition::Cancel { .. } => WorkOrderStatus::Cancelled,
        }
    }
}

/// What a transition wrote: the work order after it, and the follow-up it created.
#[derive(Debug)]
pub struct Transitioned {
    /// The work order.
    pub work_order: WorkOrder,
    /// The follow-up visit, when one was asked for.
    pub follow_up: Option<WorkOrder>,
    /// The ticket after the change.
    pub ticket: Ticket,
}

/// Creates a work order for ticket `ticket_id` by `actor` at `now` (and dispatches it when the
/// draft says so); the ticket goes on hold awaiting the field visit.
///
/// # Errors
/// 404 for an unknown ticket; 409 for a closed ticket; 422 naming `site_id` (missing, unknown,
/// of another organization), `asset_id` (unknown or at another site) or a dispatch field; 409
/// for a dispatch conflict (see [`transition_tx`]).
pub fn create_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    ticket_id: TicketId,
    draft: &WorkOrderDraft,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Transitioned, ApiError> {
    let notices = rules.notices();
    let rules = rules.for_write_tx(conn)?;
    let ticket = ticket_model::lock_tx(conn, ticket_id.get(), actor.visibility)
        .map_err(ApiError::not_found("ticket"))?;
    if state_of(&ticket).status == TicketStatus::Closed {
        return Err(ApiError::conflict_on(
            "ticket_closed",
            "ticket_id",
            "the ticket is closed; open a follow-up ticket for a new visit",
        ));
    }
    let site = draft
        .site
        .or(ticket.site_id.map(SiteId::new))
        .ok_or_else(|| {
            ApiError::invalid_field("site_id", "is required: the ticket names no site")
        })?;
    let organization = check_site(
        conn,
        site,
        ticket
            .organization_id
            .map(crate::domain::ids::OrganizationId::new),
    )?;
    let asset = match draft.asset {
        Some(a) => Some(check_asset(conn, a, site)?),
        None => ticket
            .asset_id
            .filter(|a| check_asset(conn, AssetId::new(*a), site).is_ok()),
    };
    let row = model::insert_tx(
        conn,
        &NewWorkOrder {
            ticket_id: ticket.id,
            organization_id: organization.get(),
            site_id: site.get(),
            asset_id: asset,
            priority: draft.priority.unwrap_or(ticket.priority.into()).into(),
            summary: draft.summary.clone(),
            required_skill: draft.required_skill.clone(),
            escort_required: draft.escort_required,
            security_clearance: draft.security_clearance.clone(),
            access_notes: draft.access_notes.clone(),
            follow_up_of: None,
            created_by_id: Some(actor.id.get()),
            created_at: now,
            last_transition_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| crate::error::on_constraint(e, WORK_ORDER_CONSTRAINTS))?;
    let mut events = vec![created_event(&row, actor.id, now)];
    let row = match draft.dispatch {
        Some(dispatch) => {
            let (row, event) = dispatch_tx(conn, row, dispatch, actor.id, now, now)?;
            events.push(event);
            row
        }
        None => row,
    };
    let ticket = couple_tx(
        conn, &rules, notices, &ticket, events, None, actor.id, now, now,
    )?;
    tracing::info!(target: "audit", { work_order.id = row.id, ticket.id = ticket.id, user.id = actor.id.get() }, "work order created");
    Ok(Transitioned {
        work_order: row,
        follow_up: None,
        ticket,
    })
}

/// Applies `transition` to work order `id`, reported at device instant `occurred_at` (default:
/// `now`, the receipt) by `actor`. A technician reaches only work orders assigned to them.
///
/// # Errors
/// 404 for a work order the caller cannot see; 409 naming `status` (with the current status)
/// when the state machine refuses it; 422 naming `occurred_at` when it is in the future or
/// before the previous transition; for a dispatch: 422 naming `technician_id` (not an active
/// technician, or without the required skill), 409 naming the overlapping work order
/// (`arrival_window`) or the time off (`time_off`).
pub fn transition_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    id: WorkOrderId,
    transition: &Transition,
    occurred_at: Option<DateTime<Utc>>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Transitioned, ApiError> {
    let notices = rules.notices();
    let rules = rules.for_write_tx(conn)?;
    let technician = match actor.visibility {
        Visibility::Technician(t) => Some(t),
        Visibility::All => None,
    };
    let row =
        model::lock_tx(conn, id.get(), technician).map_err(ApiError::not_found("work order"))?;
    let ticket = ticket_model::lock_tx(conn, row.ticket_id, Visibility::All)
        .map_err(ApiError::not_found("ticket"))?;
    let at = occurred_at.unwrap_or(now);
    let to = transition.target();
    check_transition(row.status(), to, at, row.last_transition_at, now).map_err(|e| match e {
        TransitionError::NotAllowed { from, to } => ApiError::conflict_on(
            "invalid_transition",
            "status",
            &format!("the work order is {from}; it cannot become {to}"),
        ),
        other => ApiError::invalid_field("occurred_at", other.to_string()),
    })?;
    let mut events = Vec::new();
    let mut follow_up = None;
    let mut note = None;
    let row = match transition {
        Transition::Dispatch(dispatch) => {
            let (row, event) = dispatch_tx(conn, row, *dispatch, actor.id, at, now)?;
            events.push(event);
            row
        }
        Transition::EnRoute => step_tx(conn, &row, to, at, actor.id, now, &mut events, |c| {
            c.en_route_at = Some(Some(at));
        })?,
        Transition::OnSite => step_tx(conn, &row, to, at, actor.id, now, &mut events, |c| {
            c.on_site_at = Some(Some(at));
        })?,
        Transition::Complete(done) => {
            let parts =
                serde_json::to_value(&done.parts).map_err(|e| ApiError::Unexpected(e.into()))?;
            step_tx(conn, &row, to, at, actor.id, now, &mut events, |c| {
                c.finished_at = Some(Some(at));
                c.resolution_code = Some(Some(done.resolution_code.clone()));
                c.completion_notes = Some(done.notes.clone());
                c.parts = Some(parts.clone());
                c.problem_fixed = Some(Some(done.problem_fixed));
            })?
        }
        Transition::CannotComplete {
            reason,
            notes,
            follow_up: wanted,
        } => {
            let done = step_tx(conn, &row, to, at, actor.id, now, &mut events, |c| {
                c.finished_at = Some(Some(at));
                c.cannot_complete_reason = Some(Some(reason.as_str().to_string()));
                c.completion_notes = Some(notes.clone());
                c.problem_fixed = Some(Some(false));
            })?;
            note = Some(crate::domain::work_order::cannot_complete_note(
                row.id,
                *reason,
                notes.as_deref(),
            ));
            if let Some(wanted) = wanted {
                let (next, next_events) = follow_up_tx(conn, &done, wanted, actor.id, at, now)?;
                events.extend(next_events);
                follow_up = Some(next);
            }
            done
        }
        Transition::Cancel { reason } => {
            step_tx(conn, &row, to, at, actor.id, now, &mut events, |c| {
                c.finished_at = Some(Some(at));
                c.cancel_reason = Some(reason.clone());
            })?
        }
    };
    let ticket = couple_tx(
        conn, &rules, notices, &ticket, events, note, actor.id, at, now,
    )?;
    tracing::info!(target: "audit", { work_order.id = row.id, ticket.id = ticket.id, user.id = actor.id.get(), to = to.as_str() }, "work order transition");
    Ok(Transitioned {
        work_order: row,
        follow_up,
        ticket,
    })
}

/// Refuses to solve or close a ticket with an open work order (409 naming `status` and the
/// work order).
///
/// # Errors
/// The 409; database errors.
pub fn check_no_open_work(conn: &mut PgConnection, ticket_id: i64) -> Result<(), ApiError> {
    let open = model::of_ticket(conn, ticket_id)?
        .into_iter()
        .find(|w| w.status().is_open());
    match open {
        Some(w) => Err(ApiError::conflict_on(
            "open_work_order",
            "status",
            &format!(
                "work order {} is {}: it must end before the ticket is solved or closed",
                w.id, w.status
            ),
        )),
        None => Ok(()),
    }
}

/// Field errors of the work order row's constraints.
const WORK_ORDER_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "work_orders_site_fkey",
        "site_id",
        "no such site in the ticket's organization",
    ),
    ("work_orders_asset_id_fkey", "asset_id", "no such asset"),
    (
        "work_orders_technician_id_fkey",
        "technician_id",
        "no such staff member",
    ),
];

/// Checks that asset `asset` exists and is at `site`; returns its id.
fn check_asset(conn: &mut PgConnection, asset: AssetId, site: SiteId) -> Result<i64, ApiError> {
    use crate::schema::assets;
    let at: Option<(i64, String)> = assets::table
        .find(asset.get())
        .select((assets::site_id, assets::status))
        .first(conn)
        .optional()?;
    match at {
        Some((_, status)) if status == crate::domain::work_order::AssetStatus::Retired.as_str() => {
            Err(ApiError::invalid_field("asset_id", "is retired"))
        }
        Some((s, _)) if s == site.get() => Ok(asset.get()),
        Some(_) => Err(ApiError::invalid_field("asset_id", "is at another site")),
        None => Err(ApiError::invalid_field("asset_id", "no such asset")),
    }
}

fn created_event(row: &WorkOrder, actor: UserId, at: DateTime<Utc>) -> TicketEvent {
    TicketEvent {
        occurred_at: at,
        actor: Some(actor.get()),
        kind: EventKind::WorkOrder {
            work_order_id: row.id,
            from: None,
            to: WorkOrderStatus::Scheduled,
            detail: json!({
                "site_id": row.site_id,
                "asset_id": row.asset_id,
                "summary": row.summary,
                "follow_up_of": row.follow_up_of,
            }),
        },
    }
}

fn transition_event(
    row: &WorkOrder,
    from: WorkOrderStatus,
    actor: UserId,
    at: DateTime<Utc>,
    detail: serde_json::Value,
) -> TicketEvent {
    TicketEvent {
        occurred_at: at,
        actor: Some(actor.get()),
        kind: EventKind::WorkOrder {
            work_order_id: row.id,
            from: Some(from),
            to: row.status(),
            detail,
        },
    }
}

/// A plain step: sets the status and what `set` adds, appends the event.
#[allow(clippy::too_many_arguments)]
fn step_tx(
    conn: &mut PgConnection,
    row: &WorkOrder,
    to: WorkOrderStatus,
    at: DateTime<Utc>,
    actor: UserId,
    now: DateTime<Utc>,
    events: &mut Vec<TicketEvent>,
    set: impl FnOnce(&mut WorkOrderChangeset),
) -> Result<WorkOrder, ApiError> {
    let mut changes = WorkOrderChangeset {
        status: Some(to.as_str().to_string()),
        last_transition_at: Some(at),
        ..WorkOrderChangeset::default()
    };
    set(&mut changes);
    let saved = model::update_tx(conn, row.id, &changes, now)?;
    let detail = json!({
        "resolution_code": saved.resolution_code,
        "problem_fixed": saved.problem_fixed,
        "parts": if to == WorkOrderStatus::Completed { saved.parts.clone() } else { serde_json::Value::Null },
        "reason": saved.cannot_complete_reason.clone().or(saved.cancel_reason.clone()),
    });
    let detail = strip_nulls(detail);
    events.push(transition_event(&saved, row.status(), actor, at, detail));
    Ok(saved)
}

fn strip_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let kept: serde_json::Map<_, _> =
                map.into_iter().filter(|(_, v)| !v.is_null()).collect();
            if kept.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::Object(kept)
            }
        }
        other => other,
    }
}

/// Dispatches `row` to a technician: checks the technician, the skill, the schedule (other open
/// work orders' windows and time off, under the technician's schedule lock) and writes it.
fn dispatch_tx(
    conn: &mut PgConnection,
    row: WorkOrder,
    dispatch: Dispatch,
    actor: UserId,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(WorkOrder, TicketEvent), ApiError> {
    if dispatch.end <= row.created_at {
        return Err(ApiError::invalid_field(
            "arrival_window.end",
            "must be after the work order was created (a promise about the visit to come)",
        ));
    }
    check_technician(conn, dispatch.technician, row.required_skill.as_deref())?;
    let technician = dispatch.technician.get();
    model::lock_schedule_tx(conn, technician)?;
    if let Some(other) =
        model::overlapping_tx(conn, technician, dispatch.start, dispatch.end, row.id)?.first()
    {
        return Err(ApiError::conflict_on(
            "schedule_conflict",
            "arrival_window",
            &format!(
                "overlaps work order {} of the technician ({} to {})",
                other.id,
                other
                    .window_start
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
                other.window_end.map(|t| t.to_rfc3339()).unwrap_or_default()
            ),
        ));
    }
    if let Some(off) =
        model::time_off_overlapping(conn, technician, dispatch.start, dispatch.end)?.first()
    {
        return Err(ApiError::conflict_on(
            "schedule_conflict",
            "time_off",
            &format!(
                "the technician has time off {} ({} to {})",
                off.id,
                off.starts_at.to_rfc3339(),
                off.ends_at.to_rfc3339()
            ),
        ));
    }
    let from = row.status();
    let changes = WorkOrderChangeset {
        status: Some(WorkOrderStatus::Dispatched.as_str().to_string()),
        technician_id: Some(Some(technician)),
        window_start: Some(Some(dispatch.start)),
        window_end: Some(Some(dispatch.end)),
        dispatched_at: Some(Some(at)),
        last_transition_at: Some(at),
        ..WorkOrderChangeset::default()
    };
    let saved = model::update_tx(conn, row.id, &changes, now).map_err(|e| {
        if crate::error::constraint_name(&e) == Some("work_orders_technician_window_excl") {
            ApiError::conflict_on(
                "schedule_conflict",
                "arrival_window",
                "overlaps another open work order of the technician",
            )
        } else {
            crate::error::on_constraint(e, WORK_ORDER_CONSTRAINTS)
        }
    })?;
    let event = transition_event(
        &saved,
        from,
        actor,
        at,
        json!({
            "technician_id": technician,
            "window_start": dispatch.start,
            "window_end": dispatch.end,
        }),
    );
    Ok((saved, event))
}

/// Checks a technician to dispatch: an active user whose role is `technician`, with
/// `required_skill` among their skills (422 naming `technician_id`).
fn check_technician(
    conn: &mut PgConnection,
    technician: UserId,
    required_skill: Option<&str>,
) -> Result<(), ApiError> {
    use crate::schema::users;
    let found: Option<(UserRole, bool, Vec<String>)> = users::table
        .find(technician.get())
        .select((users::role, users::active, users::skills))
        .first(conn)
        .optional()?;
    match found {
        None => Err(ApiError::invalid_field(
            "technician_id",
            "no such staff member",
        )),
        Some((role, _, _)) if role != UserRole::Technician => Err(ApiError::invalid_field(
            "technician_id",
            "is not a technician",
        )),
        Some((_, false, _)) => Err(ApiError::invalid_field("technician_id", "is not active")),
        Some((_, true, skills)) => match required_skill {
            Some(skill) if !skills.iter().any(|s| s == skill) => Err(ApiError::invalid_field(
                "technician_id",
                format!("lacks the required skill {skill}"),
            )),
            _ => Ok(()),
        },
    }
}

/// Creates the follow-up visit of `first` (same ticket, site and asset; linked by
/// `follow_up_of`), dispatched at once when asked.
fn follow_up_tx(
    conn: &mut PgConnection,
    first: &WorkOrder,
    wanted: &FollowUp,
    actor: UserId,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(WorkOrder, Vec<TicketEvent>), ApiError> {
    let row = model::insert_tx(
        conn,
        &NewWorkOrder {
            ticket_id: first.ticket_id,
            organization_id: first.organization_id,
            site_id: first.site_id,
            asset_id: first.asset_id,
            priority: first.priority,
            summary: wanted
                .summary
                .clone()
                .unwrap_or_else(|| first.summary.clone()),
            required_skill: first.required_skill.clone(),
            escort_required: first.escort_required,
            security_clearance: first.security_clearance.clone(),
            access_notes: first.access_notes.clone(),
            follow_up_of: Some(first.id),
            created_by_id: Some(actor.get()),
            created_at: at,
            last_transition_at: at,
            updated_at: now,
        },
    )?;
    let mut events = vec![created_event(&row, actor, at)];
    let row = match wanted.dispatch {
        Some(d) => {
            let (row, event) =
                dispatch_tx(conn, row, d, actor, at, now).map_err(|e| e.prefixed("follow_up."))?;
            events.push(event);
            row
        }
        None => row,
    };
    Ok((row, events))
}

/// Appends the work-order `events` to the ticket's log, moves the ticket with its work orders
/// (see the module doc) at the later of `at` and the ticket's latest event, adds `note` as an
/// internal comment, and saves the ticket with its projections.
#[allow(clippy::too_many_arguments)]
fn couple_tx(
    conn: &mut PgConnection,
    rules: &Rules,
    notices: super::notify::NoticeSettings,
    ticket: &Ticket,
    mut events: Vec<TicketEvent>,
    note: Option<String>,
    actor: UserId,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Ticket, ApiError> {
    let fixed = events.iter().any(|e| {
        matches!(&e.kind, EventKind::WorkOrder { to: WorkOrderStatus::Completed, detail, .. }
            if detail["problem_fixed"] == json!(true))
    });
    let ends_here = events
        .iter()
        .any(|e| matches!(e.kind, EventKind::WorkOrder { to, .. } if !to.is_open()));
    let mut log = ticket_model::load_log(conn, ticket.id)?;
    let mut state = state_of(ticket);
    let when = at.max(state.updated_at);
    // Only a creation or an end can move the ticket: dispatch, en route and on site leave it.
    let couples = ends_here
        || events
            .iter()
            .any(|e| matches!(e.kind, EventKind::WorkOrder { from: None, .. }));
    let open = if couples {
        model::of_ticket(conn, ticket.id)?
            .iter()
            .filter(|w| w.status().is_open())
            .count()
    } else {
        0
    };
    let mut bodies = Vec::new();
    let mut apply = |state: &mut crate::domain::ticket::TicketState,
                     command: Command|
     -> Result<(), ApiError> {
        events.extend(
            state
                .apply(&command, when, Some(actor.get()))
                .map_err(command_error)?,
        );
        Ok(())
    };
    if let Some(note) = note {
        apply(
            &mut state,
            Command::Comment {
                author: AuthorKind::Agent,
                public: false,
            },
        )?;
        bodies.push(note);
    }
    if couples && open > 0 {
        if state.status != TicketStatus::OnHold
            || current_hold_reason(&log) != Some(AWAITING_FIELD_VISIT)
        {
            apply(
                &mut state,
                Command::Hold {
                    reason: AWAITING_FIELD_VISIT.into(),
                },
            )?;
        }
    } else if ends_here {
        if fixed && state.assignee.is_some() && state.status != TicketStatus::Solved {
            apply(&mut state, Command::SetStatus(TicketStatus::Solved))?;
        } else if state.status == TicketStatus::OnHold {
            apply(&mut state, Command::SetStatus(TicketStatus::Open))?;
        }
    }
    let only_work_orders = events
        .iter()
        .all(|e| matches!(e.kind, EventKind::WorkOrder { .. }));
    let requester = super::notify::requester_for(conn, notices, ticket.requester_id, &events)?;
    let (told, notes) = super::notify::plan(notices, requester.as_ref(), &events);
    events.extend(notes);
    if only_work_orders {
        // Only work-order events (and the notices they cause): the ticket's row (and ETag),
        // its metrics and SLA clocks stay as they are; the log grows and the work orders'
        // projection follows.
        let first_seq = i32::try_from(log.len() + 1).unwrap_or(i32::MAX);
        ticket_model::append_events_tx(conn, ticket.id, first_seq, &events, &[])?;
        super::webhooks::enqueue_tx(conn, &rules.webhooks, ticket, &events, now)?;
        log.extend(events);
        super::projection::refresh_work_orders_tx(conn, rules, ticket, &log)?;
        super::notify::write_tx(conn, notices, told, ticket, &[], now)?;
        return Ok(ticket.clone());
    }
    let (saved, written) = super::save_with_log_tx(
        conn,
        rules,
        ticket,
        &state,
        &TicketChangeset::default(),
        log,
        events,
        &bodies,
    )?;
    super::notify::write_tx(conn, notices, told, &saved, &written, now)?;
    Ok(saved)
}

/// The pause reason of the ticket's current hold, from its log (`None` when it is not on hold or
/// its hold has no reason).
pub fn current_hold_reason(log: &[TicketEvent]) -> Option<&str> {
    log.iter().rev().find_map(|e| match &e.kind {
        EventKind::StatusChanged {
            to: TicketStatus::OnHold,
            reason,
            ..
        } => Some(reason.as_deref()),
        EventKind::StatusChanged { .. } => Some(None),
        _ => None,
    })?
}
