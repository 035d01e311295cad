//! `edit`: changes to an open work order's description — summary, priority, required skill,
//! access (escort, clearance, notes) and asset — recorded as a `work_order` event of its ticket
//! (`from` = `to` = the current status, `detail.changed` = `{field: [old, new]}`). Scheduling
//! changes go through a dispatch ([`super::work_order::transition_tx`]), never through here.

use super::Actor;
use super::rules::RulesCache;
use crate::domain::ids::{AssetId, WorkOrderId};
use crate::domain::ticket::{EventKind, TicketEvent, TicketPriority};
use crate::error::ApiError;
use crate::models::ticket::{self as ticket_model, Visibility};
use crate::models::work_order::{self as model, WorkOrder, WorkOrderChangeset};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

/// A parsed edit: `None` leaves a value as it is; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct WorkOrderEdit {
    /// Problem summary.
    pub summary: Option<String>,
    /// Priority.
    pub priority: Option<TicketPriority>,
    /// Required skill (lower case).
    pub required_skill: Option<Option<String>>,
    /// Escort required.
    pub escort_required: Option<bool>,
    /// Security clearance.
    pub security_clearance: Option<Option<String>>,
    /// Access notes.
    pub access_notes: Option<Option<String>>,
    /// Asset (at the work order's site).
    pub asset: Option<Option<AssetId>>,
}

/// Applies `edit` to work order `id` by `actor` at `now`. With `if_version`, the work order's
/// version must be it.
///
/// # Errors
/// 404 for a work order the caller cannot see; 412 for another version; 409 naming `status` for
/// a work order that has ended or was cancelled; 422 naming `asset_id` for an asset that is not
/// at the work order's site.
pub fn edit_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    id: WorkOrderId,
    if_version: Option<i32>,
    edit: &WorkOrderEdit,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<WorkOrder, ApiError> {
    let rules = rules.for_write_tx(conn)?;
    let technician = match actor.visibility {
        Visibility::Technician(t) => Some(t),
        Visibility::All => None,
    };
    let row =
        model::lock_tx(conn, id.get(), technician).map_err(ApiError::not_found("work order"))?;
    if let Some(given) = if_version
        && given != row.version
    {
        return Err(ApiError::PreconditionFailed {
            given: given.to_string(),
            current: row.version,
        });
    }
    if !row.status().is_open() {
        return Err(ApiError::conflict_on(
            "work_order_closed",
            "status",
            &format!(
                "the work order is {}; only an open one can change",
                row.status
            ),
        ));
    }
    let ticket = ticket_model::lock_tx(conn, row.ticket_id, Visibility::All)
        .map_err(ApiError::not_found("ticket"))?;
    let mut changes = WorkOrderChangeset::default();
    let mut changed = Map::new();
    let mut note = |field: &str, old: Value, new: Value| {
        if old != new {
            changed.insert(field.to_string(), json!([old, new]));
            true
        } else {
            false
        }
    };
    if let Some(summary) = &edit.summary
        && note("summary", json!(row.summary), json!(summary))
    {
        changes.summary = Some(summary.clone());
    }
    if let Some(priority) = edit.priority
        && note("priority", json!(row.priority()), json!(priority))
    {
        changes.priority = Some(priority.into());
    }
    if let Some(skill) = &edit.required_skill
        && note("required_skill", json!(row.required_skill), json!(skill))
    {
        changes.required_skill = Some(skill.clone());
    }
    if let Some(escort) = edit.escort_required
        && note("escort_required", json!(row.escort_required), json!(escort))
    {
        changes.escort_required = Some(escort);
    }
    if let Some(clearance) = &edit.security_clearance
        && note(
            "security_clearance",
            json!(row.security_clearance),
            json!(clearance),
        )
    {
        changes.security_clearance = Some(clearance.clone());
    }
    if let Some(notes) = &edit.access_notes
        && note("access_notes", json!(row.access_notes), json!(notes))
    {
        changes.access_notes = Some(notes.clone());
    }
    if let Some(asset) = edit.asset {
        if let Some(a) = asset {
            use crate::schema::assets;
            let site: Option<i64> = assets::table
                .find(a.get())
                .select(assets::site_id)
                .first(conn)
                .optional()?;
            match site {
                None => return Err(ApiError::invalid_field("asset_id", "no such asset")),
                Some(s) if s != row.site_id => {
                    return Err(ApiError::invalid_field(
                        "asset_id",
                        "is not at the work order's site",
                    ));
                }
                Some(_) => {}
            }
        }
        let new = asset.map(AssetId::get);
        if note("asset_id", json!(row.asset_id), json!(new)) {
            changes.asset_id = Some(new);
        }
    }
    if changed.is_empty() {
        return Ok(row);
    }
    let saved = model::update_tx(conn, row.id, &changes, now)?;
    let event = TicketEvent {
        occurred_at: now,
        actor: Some(actor.id.get()),
        kind: EventKind::WorkOrder {
            work_order_id: row.id,
            from: Some(row.status()),
            to: row.status(),
            detail: json!({ "changed": changed }),
        },
    };
    let mut log = ticket_model::load_log(conn, ticket.id)?;
    let first_seq = i32::try_from(log.len() + 1).unwrap_or(i32::MAX);
    ticket_model::append_events_tx(
        conn,
        ticket.id,
        first_seq,
        std::slice::from_ref(&event),
        &[],
    )?;
    super::webhooks::enqueue_tx(
        conn,
        &rules.webhooks,
        &ticket,
        std::slice::from_ref(&event),
        now,
    )?;
    log.push(event);
    super::projection::refresh_work_orders_tx(conn, &rules, &ticket, &log)?;
    tracing::info!(target: "audit", { work_order.id = row.id, user.id = actor.id.get() }, "work order edited");
    Ok(saved)
}
