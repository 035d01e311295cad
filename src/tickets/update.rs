//! `update`: a PATCH of a ticket — fields, assignment, priority, status through the state
//! machine, the pause reason — as one transaction that appends one event per change.

use super::notify;
use super::rules::RulesCache;
use super::{Actor, check_asset, check_assignee, check_site, command_error};
use crate::domain::ids::{AssetId, CustomerId, OrganizationId, SiteId, TeamId, TicketId, UserId};
use crate::domain::ticket::{ClosePolicy, Command, TicketEvent, TicketPriority, TicketStatus};
use crate::error::ApiError;
use crate::models::organization as orgs;
use crate::models::ticket::{self as model, Ticket, TicketChangeset, state_of};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

/// The pause reasons of `on_hold.v1`.
pub const HOLD_REASONS: [&str; 5] = [
    "awaiting_parts",
    "awaiting_field_visit",
    "facility_access",
    "third_party",
    "other",
];

/// A parsed PATCH: `None` leaves a value as it is; `Some(None)` clears a nullable one. Values
/// are already validated (subject length, tags normalised, category lower case, a known hold
/// reason).
#[derive(Debug, Clone, Default)]
pub struct TicketUpdate {
    /// New subject.
    pub subject: Option<String>,
    /// New status (through the state machine).
    pub status: Option<TicketStatus>,
    /// New priority.
    pub priority: Option<TicketPriority>,
    /// New category.
    pub category: Option<Option<String>>,
    /// New tags (replace the list).
    pub tags: Option<Vec<String>>,
    /// New requester.
    pub requester: Option<Option<CustomerId>>,
    /// New organization.
    pub organization: Option<Option<OrganizationId>>,
    /// New site.
    pub site: Option<Option<SiteId>>,
    /// New team.
    pub team: Option<Option<TeamId>>,
    /// New asset (of the ticket's organization and site, when those are set).
    pub asset: Option<Option<AssetId>>,
    /// New assignee (`Some(None)` unassigns).
    pub assignee: Option<Option<UserId>>,
    /// Pause reason (one of [`HOLD_REASONS`]): with `status: on_hold`, or alone on a ticket
    /// already on hold.
    pub hold_reason: Option<String>,
    /// Custom field values to change, by key (`null` clears one; fields not named stay):
    /// checked against their definitions here. Each change is a `field_changed` event named
    /// `custom_fields.<key>`.
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
}

/// What a PATCH found and did.
#[derive(Debug)]
pub enum Updated {
    /// The ticket after the change (version + 1).
    Changed(Ticket),
    /// Nothing changed: the ticket as it is.
    Unchanged(Ticket),
}

/// Locks ticket `id` (if `actor` may see it), checks `if_version` (the caller's `If-Match`) and
/// applies `update` by `actor` at `now`.
///
/// # Errors
/// 404 for a ticket the caller cannot see; 412 when its version is not `if_version`; 409 for a
/// status change the state machine refuses, a change to a closed ticket, or a solve or close
/// while a work order of the ticket is open (of the ticket, or of an incident a problem's solve
/// solves: [`super::problem`]); 422 naming the field
/// for an unknown reference or a rule of the state machine (e.g. solving without an assignee),
/// naming `category` for a category outside the catalogue, naming `custom_fields.<key>` for a
/// value that does not fit its field or a solve without a required-on-solve field.
pub fn update_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    id: TicketId,
    if_version: i32,
    update: &TicketUpdate,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Updated, ApiError> {
    let (cache, notices) = (rules, rules.notices());
    let rules = rules.for_write_tx(conn)?;
    let ticket =
        model::lock_tx(conn, id.get(), actor.visibility).map_err(ApiError::not_found("ticket"))?;
    if ticket.version != if_version {
        return Err(ApiError::PreconditionFailed {
            given: if_version.to_string(),
            current: ticket.version,
        });
    }
    if matches!(
        update.status,
        Some(TicketStatus::Solved | TicketStatus::Closed)
    ) && update.status != Some(state_of(&ticket).status)
    {
        super::work_order::check_no_open_work(conn, ticket.id)?;
    }
    let (state, changes, mut events) = plan(conn, &ticket, update, actor.id, now)?;
    if state.status == TicketStatus::Solved && state_of(&ticket).status != TicketStatus::Solved {
        let values = changes
            .custom_fields
            .as_ref()
            .unwrap_or(&ticket.custom_fields);
        super::fields::check_solvable_tx(conn, values)?;
    }
    if events.is_empty() {
        return Ok(Updated::Unchanged(ticket));
    }
    let requester_id = changes.requester_id.unwrap_or(ticket.requester_id);
    let requester = notify::requester_for(conn, notices, requester_id, &events)?;
    let (told, notes) = notify::plan(notices, requester.as_ref(), &events);
    events.extend(notes);
    let solves = super::problem::solves(&events);
    let (saved, _) = super::save_tx(conn, &rules, &ticket, &state, &changes, events, &[])?;
    notify::write_tx(conn, notices, told, &saved, &[], now)?;
    if solves {
        super::problem::solve_incidents_tx(conn, cache, &saved, None, actor, now)?;
    }
    tracing::info!(target: "audit", { ticket.id = ticket.id, user.id = actor.id.get() }, "ticket updated");
    Ok(Updated::Changed(saved))
}

/// The new state, row changes and events of `update` on `ticket` (checks references).
fn plan(
    conn: &mut PgConnection,
    ticket: &Ticket,
    r: &TicketUpdate,
    actor: UserId,
    now: DateTime<Utc>,
) -> Result<
    (
        crate::domain::ticket::TicketState,
        TicketChangeset,
        Vec<TicketEvent>,
    ),
    ApiError,
> {
    let mut state = state_of(ticket);
    let mut events: Vec<TicketEvent> = Vec::new();
    let mut changes = TicketChangeset::default();
    let mut apply = |state: &mut crate::domain::ticket::TicketState,
                     command: Command|
     -> Result<(), ApiError> {
        events.extend(
            state
                .apply(&command, now, Some(actor.get()))
                .map_err(command_error)?,
        );
        Ok(())
    };
    let field = |name: &str, from: serde_json::Value, to: serde_json::Value| Command::ChangeField {
        field: name.into(),
        from,
        to,
    };
    if let Some(subject) = &r.subject {
        apply(
            &mut state,
            field("subject", json!(ticket.subject), json!(subject)),
        )?;
        changes.subject = Some(subject.clone());
    }
    if let Some(requested) = &r.category {
        let category = super::fields::category_tx(conn, requested.as_deref())?;
        apply(
            &mut state,
            field("category", json!(ticket.category), json!(category)),
        )?;
        changes.category = Some(category);
    }
    if !r.custom_fields.is_empty() {
        let current = ticket
            .custom_fields
            .as_object()
            .cloned()
            .unwrap_or_default();
        let (values, changed) = super::fields::custom_fields_tx(conn, &current, &r.custom_fields)?;
        for (key, from, to) in changed {
            apply(&mut state, field(&format!("custom_fields.{key}"), from, to))?;
        }
        changes.custom_fields = Some(serde_json::Value::Object(values));
    }
    if let Some(tags) = &r.tags {
        apply(&mut state, field("tags", json!(ticket.tags), json!(tags)))?;
        changes.tags = Some(tags.clone());
    }
    if let Some(requester) = r.requester.map(|o| o.map(CustomerId::get)) {
        if let Some(id) = requester {
            orgs::get_customer(conn, id)
                .optional()?
                .ok_or_else(|| ApiError::invalid_field("requester_id", "no such customer"))?;
        }
        apply(
            &mut state,
            field("requester_id", json!(ticket.requester_id), json!(requester)),
        )?;
        changes.requester_id = Some(requester);
    }
    let new_org = r.organization.map(|o| o.map(OrganizationId::get));
    let organization = new_org.unwrap_or(ticket.organization_id);
    if let Some(org) = new_org {
        apply(
            &mut state,
            field("organization_id", json!(ticket.organization_id), json!(org)),
        )?;
        changes.organization_id = Some(org);
    }
    let new_site = r.site.map(|o| o.map(SiteId::get));
    if let Some(site_id) = new_site.unwrap_or(ticket.site_id)
        && (new_site.is_some() || new_org.is_some())
    {
        check_site(
            conn,
            SiteId::new(site_id),
            organization.map(OrganizationId::new),
        )?;
    }
    if let Some(site) = new_site {
        apply(
            &mut state,
            field("site_id", json!(ticket.site_id), json!(site)),
        )?;
        changes.site_id = Some(site);
    }
    let new_asset = r.asset.map(|o| o.map(AssetId::get));
    // The asset must fit the ticket's organization and site after the change: checked when the
    // asset changes, or when they change and the ticket keeps an asset.
    if let Some(asset_id) = new_asset.unwrap_or(ticket.asset_id)
        && (new_asset.is_some() || new_site.is_some() || new_org.is_some())
    {
        check_asset(
            conn,
            AssetId::new(asset_id),
            organization.map(OrganizationId::new),
            new_site.unwrap_or(ticket.site_id).map(SiteId::new),
        )?;
    }
    if let Some(asset) = new_asset {
        apply(
            &mut state,
            field("asset_id", json!(ticket.asset_id), json!(asset)),
        )?;
        changes.asset_id = Some(asset);
    }
    if let Some(team) = r.team.map(|o| o.map(TeamId::get)) {
        apply(
            &mut state,
            field("team_id", json!(ticket.team_id), json!(team)),
        )?;
        changes.team_id = Some(team);
    }
    match r.assignee {
        Some(Some(assignee)) => {
            check_assignee(conn, assignee)?;
            apply(
                &mut state,
                Command::Assign {
                    assignee: assignee.get(),
                },
            )?;
        }
        Some(None) => apply(&mut state, Command::Unassign)?,
        None => {}
    }
    if let Some(priority) = r.priority
        && priority != state.priority
    {
        apply(&mut state, Command::SetPriority(Some(priority)))?;
    }
    events.extend(status_events(
        &mut state,
        r.status,
        r.hold_reason.as_deref(),
        Some(actor.get()),
        now,
    )?);
    Ok((state, changes, events))
}

/// Applies a requested `status` and pause `reason` to `state` by `actor` at `now` (the status
/// part of a PATCH, or of a comment that carries one); returns the events (none when nothing
/// changes). A ticket goes on hold only with a reason (one of [`HOLD_REASONS`], checked by the
/// caller); a reason alone changes the reason of a ticket already on hold; `closed` needs
/// `solved` first.
///
/// # Errors
/// 422 naming `hold_reason` for `on_hold` without a reason, or a reason for a ticket that is
/// not and does not go on hold; the state machine's refusals as [`command_error`] maps them
/// (409 naming `status`, 422 naming `assignee_id`).
pub fn status_events(
    state: &mut crate::domain::ticket::TicketState,
    status: Option<TicketStatus>,
    reason: Option<&str>,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<TicketEvent>, ApiError> {
    let command = match (status, reason) {
        (_, Some(reason)) => {
            if status.unwrap_or(state.status) != TicketStatus::OnHold {
                return Err(ApiError::invalid_field(
                    "hold_reason",
                    "only for a ticket that goes or is on hold",
                ));
            }
            Command::Hold {
                reason: reason.to_string(),
            }
        }
        (Some(status), None) if status == state.status => return Ok(Vec::new()),
        (Some(TicketStatus::OnHold), None) => {
            // The state machine speaks first: a closed ticket is a 409, not a missing reason.
            if state.status == TicketStatus::Closed {
                return Err(command_error(crate::domain::ticket::CommandError::Closed));
            }
            state.status.transition(TicketStatus::OnHold).map_err(|e| {
                command_error(crate::domain::ticket::CommandError::InvalidTransition(e))
            })?;
            return Err(ApiError::invalid_field(
                "hold_reason",
                format!(
                    "is required to put a ticket on hold: one of {}",
                    HOLD_REASONS.join(", ")
                ),
            ));
        }
        (Some(TicketStatus::Closed), None) => Command::Close(ClosePolicy::RequireSolved),
        (Some(status), None) => Command::SetStatus(status),
        (None, None) => return Ok(Vec::new()),
    };
    state.apply(&command, now, actor).map_err(command_error)
}
