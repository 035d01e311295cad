//! A ticket's field work as the generator plays it: the work orders and the use-case calls
//! ([`crate::tickets::work_order::create_tx`], [`crate::tickets::work_order::transition_tx`])
//! that make them, kept as domain values so that both writers store the same thing:
//! - the domain writer makes each call at its simulated instants ([`FieldCall`]);
//! - the bulk writer stores the rows and events computed here, which mirror what those use cases
//!   write ([`WorkOrders::create`], [`WorkOrders::transition`]; the ticket side, the hold and the
//!   solve, is mirrored by the play in `lifecycle.rs`).
//!
//! Work orders carry run-local ids (0, 1, 2 in order of creation) until the bulk writer knows
//! their ids ([`FieldWork::resolve`]); the domain writer maps them to the ids the use cases return.

use crate::domain::ticket::{EventKind, StaffId, TicketEvent, TicketState};
use crate::domain::work_order::{CannotCompleteReason, WorkOrderStatus};
use crate::models::work_order_bulk::BulkWorkOrder;
use crate::tickets::work_order::{Transition, WorkOrderDraft};
use chrono::{DateTime, Utc};
use serde_json::json;

/// One use-case call of a ticket's field work.
#[derive(Debug, Clone)]
pub enum FieldCall {
    /// `create_tx` of `draft` by agent `actor` at `now`.
    Create {
        /// The new work order.
        draft: WorkOrderDraft,
        /// The agent.
        actor: StaffId,
        /// The instant.
        now: DateTime<Utc>,
    },
    /// `transition_tx` of run-local work order `work_order`.
    Transition {
        /// Run-local index of the work order.
        work_order: usize,
        /// The transition.
        transition: Transition,
        /// Device instant.
        occurred_at: DateTime<Utc>,
        /// Receipt instant (at or after `occurred_at`).
        now: DateTime<Utc>,
        /// Who reports it.
        actor: StaffId,
        /// The actor is the work order's technician (sees only their work orders).
        technician: bool,
    },
}

/// A call and where its events end in the ticket's generated log.
#[derive(Debug, Clone)]
pub struct FieldStep {
    /// The call.
    pub call: FieldCall,
    /// Events of the log up to and including this call's.
    pub events_end: usize,
    /// Bodies up to and including this call's.
    pub bodies_end: usize,
}

/// The internal note a `cannot_complete` leaves on the ticket, at body index `body`.
#[derive(Debug, Clone)]
pub struct CannotCompleteNote {
    /// Index into the ticket's bodies.
    pub body: usize,
    /// Run-local work order.
    pub work_order: usize,
    /// Reason.
    pub reason: CannotCompleteReason,
    /// Notes.
    pub notes: Option<String>,
}

/// A ticket's field work: the state before the first call, the calls, the work orders after
/// the last call.
#[derive(Debug, Clone)]
pub struct FieldWork {
    /// The ticket's state before the first call.
    pub prefix_state: TicketState,
    /// Events of the log before the first call.
    pub prefix_events: usize,
    /// Bodies before the first call.
    pub prefix_bodies: usize,
    /// The calls, in order.
    pub steps: Vec<FieldStep>,
    /// The work orders (run-local ids).
    pub orders: WorkOrders,
    /// The `cannot_complete` notes among the bodies.
    pub notes: Vec<CannotCompleteNote>,
}

pub use crate::domain::work_order::cannot_complete_note;

/// Work orders as the use cases leave them (ids run-local until resolved).
#[derive(Debug, Clone, Default)]
pub struct WorkOrders {
    /// Rows, by run-local id.
    pub rows: Vec<BulkWorkOrder>,
}

/// What a mirrored transition wrote.
#[derive(Debug, Clone)]
pub struct Mirrored {
    /// The `work_order` events, in order.
    pub events: Vec<TicketEvent>,
    /// The internal note (`cannot_complete`), with the reason and notes.
    pub note: Option<(CannotCompleteReason, Option<String>)>,
}

impl WorkOrders {
    /// Open work orders.
    pub fn open(&self) -> usize {
        self.rows.iter().filter(|r| status(r).is_open()).count()
    }

    /// `create_tx` without a dispatch: the new row (run-local id) and its `created` event.
    pub fn create(&mut self, mut row: BulkWorkOrder, actor: StaffId) -> TicketEvent {
        row.id = self.rows.len() as i64;
        row.status = WorkOrderStatus::Scheduled.as_str().to_string();
        row.version = 1;
        let event = created_event(&row, actor);
        self.rows.push(row);
        event
    }

    /// `transition_tx` of run-local work order `local` (the state machine's and the device
    /// instant's checks are the caller's: the generator only plays allowed steps).
    pub fn transition(
        &mut self,
        local: usize,
        transition: &Transition,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        actor: StaffId,
    ) -> anyhow::Result<Mirrored> {
        let row = self
            .rows
            .get_mut(local)
            .ok_or_else(|| anyhow::anyhow!("no work order {local}"))?;
        let from = status(row);
        let to = transition.target();
        if !from.allows(to) || at < row.last_transition_at || at > now {
            anyhow::bail!("generator played a refused work-order step {from} → {to}");
        }
        row.status = to.as_str().to_string();
        row.last_transition_at = at;
        row.version += 1;
        row.updated_at = now;
        let mut note = None;
        let mut follow_up = None;
        let detail = match transition {
            Transition::Dispatch(d) => {
                row.technician_id = Some(d.technician.get());
                row.window_start = Some(d.start);
                row.window_end = Some(d.end);
                row.dispatched_at = Some(at);
                json!({
                    "technician_id": d.technician.get(),
                    "window_start": d.start,
                    "window_end": d.end,
                })
            }
            Transition::EnRoute => {
                row.en_route_at = Some(at);
                step_detail(row, to)
            }
            Transition::OnSite => {
                row.on_site_at = Some(at);
                step_detail(row, to)
            }
            Transition::Complete(done) => {
                row.finished_at = Some(at);
                row.resolution_code = Some(done.resolution_code.clone());
                row.completion_notes = done.notes.clone();
                row.parts = serde_json::to_value(&done.parts)?;
                row.problem_fixed = Some(done.problem_fixed);
                step_detail(row, to)
            }
            Transition::CannotComplete {
                reason,
                notes,
                follow_up: wanted,
            } => {
                row.finished_at = Some(at);
                row.cannot_complete_reason = Some(reason.as_str().to_string());
                row.completion_notes = notes.clone();
                row.problem_fixed = Some(false);
                note = Some((*reason, notes.clone()));
                if let Some(wanted) = wanted {
                    if wanted.dispatch.is_some() {
                        anyhow::bail!("the generator dispatches follow-ups separately");
                    }
                    let mut next = row.clone();
                    next.summary = wanted.summary.clone().unwrap_or(next.summary);
                    follow_up = Some(BulkWorkOrder {
                        follow_up_of: Some(row.id),
                        created_by_id: Some(actor),
                        created_at: at,
                        last_transition_at: at,
                        updated_at: now,
                        technician_id: None,
                        window_start: None,
                        window_end: None,
                        dispatched_at: None,
                        en_route_at: None,
                        on_site_at: None,
                        finished_at: None,
                        resolution_code: None,
                        completion_notes: None,
                        parts: json!([]),
                        problem_fixed: None,
                        cannot_complete_reason: None,
                        cancel_reason: None,
                        ..next
                    });
                }
                step_detail(row, to)
            }
            Transition::Cancel { reason } => {
                row.finished_at = Some(at);
                row.cancel_reason = reason.clone();
                step_detail(row, to)
            }
        };
        let mut events = vec![TicketEvent {
            occurred_at: at,
            actor: Some(actor),
            kind: EventKind::WorkOrder {
                work_order_id: row.id,
                from: Some(from),
                to,
                detail,
            },
        }];
        if let Some(next) = follow_up {
            events.push(self.create(next, actor));
        }
        Ok(Mirrored { events, note })
    }
}

fn status(row: &BulkWorkOrder) -> WorkOrderStatus {
    WorkOrderStatus::parse(&row.status).unwrap_or(WorkOrderStatus::Cancelled)
}

/// The `created` event of a work order (at its creation instant).
fn created_event(row: &BulkWorkOrder, actor: StaffId) -> TicketEvent {
    TicketEvent {
        occurred_at: row.created_at,
        actor: Some(actor),
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

/// The detail of a plain step: the row's completion details, nulls left out (`null` when
/// nothing is left).
fn step_detail(row: &BulkWorkOrder, to: WorkOrderStatus) -> serde_json::Value {
    let detail = json!({
        "resolution_code": row.resolution_code,
        "problem_fixed": row.problem_fixed,
        "parts": if to == WorkOrderStatus::Completed { row.parts.clone() } else { serde_json::Value::Null },
        "reason": row.cannot_complete_reason.clone().or(row.cancel_reason.clone()),
    });
    match detail {
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

impl FieldWork {
    /// The rows of the work orders with their ids (`first_id` + run-local id) on ticket
    /// `ticket_id`; rewrites the ticket's `work_order` events and notes to name those ids.
    pub fn resolve(
        &self,
        ticket_id: i64,
        first_id: i64,
        events: &mut [TicketEvent],
        bodies: &mut [String],
    ) -> Vec<BulkWorkOrder> {
        for e in events.iter_mut().skip(self.prefix_events) {
            if let EventKind::WorkOrder {
                work_order_id,
                detail,
                ..
            } = &mut e.kind
            {
                *work_order_id += first_id;
                if let Some(of) = detail.get_mut("follow_up_of")
                    && let Some(n) = of.as_i64()
                {
                    *of = json!(n + first_id);
                }
            }
        }
        for note in &self.notes {
            if let Some(body) = bodies.get_mut(note.body) {
                *body = cannot_complete_note(
                    first_id + note.work_order as i64,
                    note.reason,
                    note.notes.as_deref(),
                );
            }
        }
        self.orders
            .rows
            .iter()
            .map(|r| BulkWorkOrder {
                id: r.id + first_id,
                ticket_id,
                follow_up_of: r.follow_up_of.map(|f| f + first_id),
                ..r.clone()
            })
            .collect()
    }

    /// The step calls' count.
    pub fn calls(&self) -> usize {
        self.steps.len()
    }
}

/// The skill a technician needs for an asset kind.
pub fn skill_for(kind: crate::domain::work_order::AssetKind) -> &'static str {
    use crate::domain::work_order::AssetKind::*;
    match kind {
        InmatePhone => "phones",
        PaymentKiosk => "kiosks",
        VideoVisitationTerminal => "video",
        Tablet => "tablets",
        NetworkGear | Other => "network",
    }
}
