//! `webhooks`: the webhook events a ticket change causes, queued in the change's own transaction
//! (docs/WEBHOOKS.md).
//!
//! Every write of a ticket that appends events goes through one of the few places that store
//! them — `save_with_log_tx` (updates, comments, solves, macros, auto-close, inbound
//! replies, a work order that moves its ticket), `create::insert_tx` (creations and
//! follow-ups), the work-order writes that leave the ticket's row alone ([`super::work_order`],
//! [`super::work_order_edit`]) and the SLA worker ([`super::sla_events`]) — and each calls
//! [`enqueue_tx`] (or [`enqueue_breach_tx`]) with the saved ticket and the events it appended.
//! The events become:
//! - `ticket.created`: a `created` event;
//! - `ticket.updated`: any other change of the ticket (assignment, status, priority, fields,
//!   comments, notes, links) — one per write, listing its events under `data.changes`;
//! - `ticket.solved`: a status change to `solved` (besides the write's `ticket.updated`);
//! - `work_order.changed`: each `work_order` event (created, a transition, an edit);
//! - `sla.breached`: each breach the SLA worker records, at the due instant.
//!
//! Customer notices (`notification` events) and SLA warnings cause none. Imported histories and
//! the seed store tickets without these paths: they send nothing.
//!
//! Nothing is sent here: one `webhook_deliveries` row per (event, subscribed endpoint) is written
//! (one statement for the write, none when no active endpoint subscribes, which the write knows
//! from [`super::Rules::webhooks`] without a query). A rolled-back write leaves no row, so
//! nothing is ever sent for it; the webhook worker ([`crate::workers::webhooks`]) sends after the
//! commit.

use crate::domain::ticket::{EventKind, TicketEvent, TicketStatus};
use crate::models::ticket::Ticket;
use crate::models::webhook::{self as model, NewDelivery, Subscriptions};
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::PgConnection;
use serde_json::{Value, json};

/// The ticket as the API shows it (`GET /api/v1/tickets/{id}`'s `ticket`), without the
/// description (it may be long; the receiver can read it from the API).
pub fn ticket_data(t: &Ticket) -> Value {
    let status: TicketStatus = t.status.into();
    let priority: crate::domain::ticket::TicketPriority = t.priority.into();
    json!({
        "id": t.id,
        "number": t.number,
        "external_id": t.external_id,
        "subject": t.subject,
        "status": status,
        "priority": priority,
        "channel": t.channel,
        "category": t.category,
        "tags": t.tags,
        "requester_id": t.requester_id,
        "organization_id": t.organization_id,
        "site_id": t.site_id,
        "team_id": t.team_id,
        "asset_id": t.asset_id,
        "assignee_id": t.assignee_id,
        "created_by_id": t.created_by_id,
        "version": t.version,
        "created_at": rfc3339(t.created_at),
        "updated_at": rfc3339(t.updated_at),
        "solved_at": t.solved_at.map(rfc3339),
        "closed_at": t.closed_at.map(rfc3339),
        "hold_reason": t.hold_reason,
    })
}

/// `at` as RFC 3339 in UTC with a `Z` (seconds, or finer when `at` has a fraction).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One event to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The event id (UUID v7), the same for every endpoint it goes to.
    pub id: uuid::Uuid,
    /// Of [`model::EVENT_TYPES`].
    pub event_type: &'static str,
    /// The ticket it is about.
    pub ticket_id: i64,
    /// The whole JSON body: `id`, `type`, `occurred_at`, `data`.
    pub payload: Value,
}

fn event(
    event_type: &'static str,
    ticket: &Ticket,
    occurred_at: DateTime<Utc>,
    data: Value,
) -> WebhookEvent {
    let id = uuid::Uuid::now_v7();
    let mut data = data;
    if let Some(map) = data.as_object_mut() {
        map.insert("ticket".into(), ticket_data(ticket));
    }
    WebhookEvent {
        id,
        event_type,
        ticket_id: ticket.id,
        payload: json!({
            "id": id,
            "type": event_type,
            "occurred_at": rfc3339(occurred_at),
            "data": data,
        }),
    }
}

/// One event of the log as `data.changes` lists it: its fields, with `occurred_at` and
/// `actor_id`.
fn change(e: &TicketEvent) -> Value {
    let mut v = serde_json::to_value(&e.kind).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        map.insert("occurred_at".into(), json!(rfc3339(e.occurred_at)));
        map.insert("actor_id".into(), json!(e.actor));
    }
    v
}

/// The webhook events of a write that appended `events` to `ticket` (saved: its row as the
/// write left it). Pure: see the module's list.
pub fn events_of(ticket: &Ticket, events: &[TicketEvent]) -> Vec<WebhookEvent> {
    let mut out = Vec::new();
    if let Some(created) = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Created { .. }))
    {
        out.push(event(
            model::TICKET_CREATED,
            ticket,
            created.occurred_at,
            json!({}),
        ));
    } else {
        let changes: Vec<&TicketEvent> = events
            .iter()
            .filter(|e| {
                !matches!(
                    e.kind,
                    EventKind::Notification { .. }
                        | EventKind::WorkOrder { .. }
                        | EventKind::SlaBreached { .. }
                        | EventKind::SlaWarning { .. }
                        | EventKind::Created { .. }
                )
            })
            .collect();
        if let Some(last) = changes.iter().map(|e| e.occurred_at).max() {
            out.push(event(
                model::TICKET_UPDATED,
                ticket,
                last,
                json!({ "changes": changes.iter().map(|e| change(e)).collect::<Vec<_>>() }),
            ));
        }
        if let Some(solve) = events.iter().rev().find(|e| {
            matches!(
                e.kind,
                EventKind::StatusChanged {
                    to: TicketStatus::Solved,
                    ..
                }
            )
        }) {
            out.push(event(
                model::TICKET_SOLVED,
                ticket,
                solve.occurred_at,
                json!({}),
            ));
        }
    }
    for e in events {
        if let EventKind::WorkOrder {
            work_order_id,
            from,
            to,
            detail,
        } = &e.kind
        {
            out.push(event(
                model::WORK_ORDER_CHANGED,
                ticket,
                e.occurred_at,
                json!({ "work_order": {
                    "id": work_order_id,
                    "from": from,
                    "to": to,
                    "detail": detail,
                    "actor_id": e.actor,
                }}),
            ));
        }
    }
    out
}

/// Queues the deliveries of `events` for the endpoints `subscriptions` holds subscribed to their
/// types (one statement; none when nobody is subscribed). Returns how many were queued.
///
/// # Errors
/// Database errors.
pub fn queue_tx(
    conn: &mut PgConnection,
    subscriptions: &Subscriptions,
    events: Vec<WebhookEvent>,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    let mut rows = Vec::new();
    for e in events {
        for endpoint_id in subscriptions.for_type(e.event_type) {
            rows.push(NewDelivery {
                endpoint_id,
                event_id: e.id,
                event_type: e.event_type,
                ticket_id: Some(e.ticket_id),
                payload: e.payload.clone(),
                next_attempt_at: now,
                created_at: now,
            });
        }
    }
    model::enqueue_tx(conn, &rows)
}

/// Queues the webhook events of a write that appended `events` to `ticket` (see the module),
/// for the endpoints of `subscriptions`. No statement when none is subscribed to them.
///
/// # Errors
/// Database errors.
pub fn enqueue_tx(
    conn: &mut PgConnection,
    subscriptions: &Subscriptions,
    ticket: &Ticket,
    events: &[TicketEvent],
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    if subscriptions.is_empty() {
        return Ok(0);
    }
    queue_tx(conn, subscriptions, events_of(ticket, events), now)
}

/// Queues an `sla.breached` event: `target` of `ticket` fell due at `due_at` under policy
/// `policy_id` (recorded by the SLA worker at `now`).
///
/// # Errors
/// Database errors.
pub fn enqueue_breach_tx(
    conn: &mut PgConnection,
    subscriptions: &Subscriptions,
    ticket: &Ticket,
    target: &str,
    due_at: DateTime<Utc>,
    policy_id: i64,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    if subscriptions.for_type(model::SLA_BREACHED).next().is_none() {
        return Ok(0);
    }
    let e = event(
        model::SLA_BREACHED,
        ticket,
        due_at,
        json!({ "sla": { "target": target, "due_at": rfc3339(due_at), "policy_id": policy_id } }),
    );
    queue_tx(conn, subscriptions, vec![e], now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::work_order::WorkOrderStatus;
    use crate::models::enums::{DbTicketPriority, DbTicketStatus};

    fn ticket(status: DbTicketStatus) -> Ticket {
        let at: DateTime<Utc> = "2026-12-02T09:20:00.5Z".parse().unwrap();
        Ticket {
            id: 12,
            number: 1012,
            external_id: None,
            subject: "Kiosk down".into(),
            description: "A long description".into(),
            status,
            priority: DbTicketPriority::High,
            channel: None,
            category: None,
            tags: vec!["kiosk".into()],
            requester_id: Some(3),
            organization_id: None,
            team_id: None,
            assignee_id: Some(7),
            created_by_id: Some(7),
            version: 4,
            created_at: at,
            updated_at: at,
            solved_at: None,
            closed_at: None,
            site_id: None,
            asset_id: None,
            hold_reason: None,
            merged_into_id: None,
            custom_fields: serde_json::json!({}),
        }
    }

    fn at(kind: EventKind) -> TicketEvent {
        TicketEvent {
            occurred_at: "2026-12-02T09:20:00.5Z".parse().unwrap(),
            actor: Some(7),
            kind,
        }
    }

    #[test]
    fn a_solve_is_an_update_and_a_solve_and_notices_are_not_changes() {
        let events = [
            at(EventKind::StatusChanged {
                from: TicketStatus::Open,
                to: TicketStatus::Solved,
                reason: None,
            }),
            at(EventKind::Notification {
                notice: "ticket_solved".into(),
                customer_id: Some(3),
                outcome: "queued".into(),
                reason: None,
            }),
        ];
        let out = events_of(&ticket(DbTicketStatus::Solved), &events);
        let types: Vec<&str> = out.iter().map(|e| e.event_type).collect();
        assert_eq!(types, ["ticket.updated", "ticket.solved"]);
        let updated = &out[0].payload;
        assert_eq!(updated["type"], "ticket.updated");
        assert_eq!(updated["id"], json!(out[0].id));
        assert_eq!(updated["occurred_at"], "2026-12-02T09:20:00.500Z");
        assert_eq!(
            updated["data"]["changes"],
            json!([{"kind": "status_changed", "from": "open", "to": "solved",
                    "occurred_at": "2026-12-02T09:20:00.500Z", "actor_id": 7}])
        );
        let t = &updated["data"]["ticket"];
        assert_eq!(
            (&t["id"], &t["number"], &t["status"], &t["priority"]),
            (&json!(12), &json!(1012), &json!("solved"), &json!("high"))
        );
        assert!(t.get("description").is_none());
        assert_ne!(out[0].id, out[1].id);
    }

    #[test]
    fn a_creation_is_only_created_and_work_order_events_are_their_own() {
        let created = at(EventKind::Created {
            agent_created: true,
            with_public_agent_comment: false,
        });
        let out = events_of(&ticket(DbTicketStatus::New), &[created]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].event_type, "ticket.created");

        let dispatched = at(EventKind::WorkOrder {
            work_order_id: 5,
            from: Some(WorkOrderStatus::Scheduled),
            to: WorkOrderStatus::Dispatched,
            detail: serde_json::Value::Null,
        });
        let out = events_of(&ticket(DbTicketStatus::OnHold), &[dispatched]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].event_type, "work_order.changed");
        assert_eq!(
            out[0].payload["data"]["work_order"],
            json!({"id": 5, "from": "scheduled", "to": "dispatched", "detail": null, "actor_id": 7})
        );
    }
}
