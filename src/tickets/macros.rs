//! `macros`: applies a macro — a reply from a template with ticket placeholders plus field
//! changes — to a ticket, in the caller's transaction, as one audited group of events.
//!
//! The group is a `macro_applied` event (the macro's id and name), then the events of the field
//! changes (as `PATCH /tickets/{id}`: [`super::update`]), then those of the reply and the status
//! (as `POST /tickets/{id}/comments` with a status: [`super::comment`]), all at one instant by
//! the caller. Any refusal (a status the state machine refuses, solving without an assignee, a
//! closed ticket) writes nothing: the caller's transaction rolls back.

use super::comment::{self, NewComment};
use super::rules::RulesCache;
use super::update::{self, HOLD_REASONS, TicketUpdate, Updated};
use super::{Actor, command_error};
use crate::domain::ids::{TeamId, TicketId, UserId};
use crate::domain::ticket::{AuthorKind, EventKind, TicketEvent, TicketPriority, TicketStatus};
use crate::error::ApiError;
use crate::models::macros::MacroRow;
use crate::models::ticket::{self as model, CommentRow, Ticket};
use crate::schema::{customers, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// The placeholders a reply template may use, `{{name}}` (spaces inside the braces allowed).
pub const PLACEHOLDERS: [&str; 6] = [
    "ticket.id",
    "ticket.number",
    "ticket.subject",
    "requester.name",
    "requester.first_name",
    "agent.name",
];

/// The field changes of a macro (`macros.actions`); absent ones change nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MacroActions)]
pub struct MacroActions {
    /// Status to set (through the state machine); `on_hold` needs `hold_reason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    /// Pause reason with `status: on_hold` (`awaiting_parts`, `awaiting_field_visit`,
    /// `facility_access`, `third_party`, `other`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::routes::openapi::HoldReason>)]
    pub hold_reason: Option<String>,
    /// Priority to set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TicketPriority>,
    /// Assignee to set (an active admin, manager or agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<i64>,
    /// Team to set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<i64>,
    /// Tags to add (trimmed, lower case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<crate::routes::openapi::Tag>, max_items = 20)]
    pub add_tags: Vec<String>,
    /// Tags to remove (trimmed, lower case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<crate::routes::openapi::Tag>, max_items = 20)]
    pub remove_tags: Vec<String>,
}

impl MacroActions {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == MacroActions::default()
    }

    /// Checks the pause reason: known, given with `status: on_hold` and only then.
    ///
    /// # Errors
    /// 422 naming `actions.hold_reason`.
    pub fn check_hold(&self) -> Result<(), ApiError> {
        match (&self.status, &self.hold_reason) {
            (_, Some(reason)) if !HOLD_REASONS.contains(&reason.as_str()) => {
                Err(ApiError::invalid_field(
                    "actions.hold_reason",
                    format!("expected one of {}", HOLD_REASONS.join(", ")),
                ))
            }
            (Some(TicketStatus::OnHold), None) => Err(ApiError::invalid_field(
                "actions.hold_reason",
                "is required with status on_hold",
            )),
            (status, Some(_)) if *status != Some(TicketStatus::OnHold) => Err(
                ApiError::invalid_field("actions.hold_reason", "goes with status on_hold only"),
            ),
            _ => Ok(()),
        }
    }
}

/// The placeholders of `template`, in order.
///
/// # Errors
/// 422 naming `field` for an unclosed `{{` or a placeholder not in [`PLACEHOLDERS`] (named).
pub fn check_template(field: &str, template: &str) -> Result<(), ApiError> {
    render(template, &|name| {
        if PLACEHOLDERS.contains(&name) {
            Ok(String::new())
        } else {
            Err(ApiError::invalid_field(
                field,
                format!(
                    "unknown placeholder {{{{{name}}}}}; known: {}",
                    PLACEHOLDERS.join(", ")
                ),
            ))
        }
    })
    .map(|_| ())
}

/// `template` with each `{{name}}` replaced by `value(name)`.
fn render(
    template: &str,
    value: &dyn Fn(&str) -> Result<String, ApiError>,
) -> Result<String, ApiError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| {
            ApiError::invalid_field("reply", "a placeholder's {{ is not closed by }}")
        })?;
        out.push_str(&value(after[..end].trim())?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The reply `template` for `ticket`, written by staff member `agent`.
///
/// # Errors
/// 422 naming `reply` for an unknown placeholder (a macro saved before its check); database
/// errors.
fn render_for(
    conn: &mut PgConnection,
    template: &str,
    ticket: &Ticket,
    agent: UserId,
) -> Result<String, ApiError> {
    let requester: String = match ticket.requester_id {
        Some(id) => customers::table
            .find(id)
            .select(customers::name)
            .first(conn)
            .optional()?
            .unwrap_or_default(),
        None => String::new(),
    };
    let agent: String = users::table
        .find(agent.get())
        .select(users::name)
        .first(conn)?;
    render(template, &|name| {
        Ok(match name {
            "ticket.id" => ticket.id.to_string(),
            "ticket.number" => ticket.number.to_string(),
            "ticket.subject" => ticket.subject.clone(),
            "requester.name" => requester.clone(),
            "requester.first_name" => requester
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
            "agent.name" => agent.clone(),
            other => {
                return Err(ApiError::invalid_field(
                    "reply",
                    format!("unknown placeholder {{{{{other}}}}}"),
                ));
            }
        })
    })
}

/// What applying a macro wrote.
#[derive(Debug)]
pub struct Applied {
    /// The ticket after it.
    pub ticket: Ticket,
    /// The reply it wrote, if any.
    pub comment: Option<CommentRow>,
}

/// Applies macro `mac` to ticket `id` by `actor` at `now` (module documentation); with
/// `if_version`, the ticket must have that version. Call inside a transaction.
///
/// # Errors
/// 404 for a ticket the caller cannot see; 412 for a stale `if_version`; 409 for a closed ticket
/// or a status the state machine refuses (naming `status`); 422 naming the field the ticket
/// refuses (`assignee_id` to solve unassigned, an inactive assignee, no such team) or `reply`
/// when the rendered reply is blank. Nothing is written then.
pub fn apply_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    id: TicketId,
    mac: &MacroRow,
    if_version: Option<i32>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Applied, ApiError> {
    let actions: MacroActions = serde_json::from_value(mac.actions.clone())
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("macro {} actions: {e}", mac.id)))?;
    let ticket =
        model::lock_tx(conn, id.get(), actor.visibility).map_err(ApiError::not_found("ticket"))?;
    if let Some(given) = if_version
        && given != ticket.version
    {
        return Err(ApiError::PreconditionFailed {
            given: given.to_string(),
            current: ticket.version,
        });
    }
    if ticket.status == crate::models::enums::DbTicketStatus::Closed {
        return Err(command_error(crate::domain::ticket::CommandError::Closed));
    }
    let reply = match &mac.reply {
        Some(template) => {
            let body = render_for(conn, template, &ticket, actor.id)?;
            if body.trim().is_empty() {
                return Err(ApiError::invalid_field(
                    "reply",
                    "renders blank for this ticket",
                ));
            }
            Some(body)
        }
        None => None,
    };
    // The group opens with which macro was applied.
    let log = model::load_log(conn, ticket.id)?;
    let first_seq = i32::try_from(log.len() + 1).unwrap_or(i32::MAX);
    let opened = TicketEvent {
        occurred_at: now,
        actor: Some(actor.id.get()),
        kind: EventKind::MacroApplied {
            macro_id: mac.id,
            name: mac.name.clone(),
        },
    };
    model::append_events_tx(conn, ticket.id, first_seq, &[opened], &[])?;
    let tags = (!actions.add_tags.is_empty() || !actions.remove_tags.is_empty()).then(|| {
        let mut tags: Vec<String> = ticket
            .tags
            .iter()
            .filter(|t| !actions.remove_tags.contains(t))
            .cloned()
            .collect();
        for t in &actions.add_tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        tags
    });
    // Without a reply, the status goes with the field changes (as one PATCH).
    let (status, hold_reason) = (actions.status, actions.hold_reason.clone());
    let fields = TicketUpdate {
        priority: actions.priority,
        team: actions.team_id.map(|t| Some(TeamId::new(t))),
        assignee: actions.assignee_id.map(|a| Some(UserId::new(a))),
        tags: tags.filter(|t| *t != ticket.tags),
        status: if reply.is_none() { status } else { None },
        hold_reason: if reply.is_none() {
            hold_reason.clone()
        } else {
            None
        },
        ..TicketUpdate::default()
    };
    let mut saved = match update::update_tx(conn, rules, id, ticket.version, &fields, actor, now)? {
        Updated::Changed(t) | Updated::Unchanged(t) => t,
    };
    let mut comment = None;
    if let Some(body) = reply {
        let done = comment::comment_tx(
            conn,
            rules,
            id,
            &NewComment {
                body,
                public: mac.reply_public,
                author: AuthorKind::Agent,
                status,
                hold_reason,
                keep_hold: false,
                if_version: None,
            },
            Some(actor),
            now,
        )?;
        saved = done.ticket;
        comment = Some(done.comment);
    }
    tracing::info!(target: "audit", { ticket.id = ticket.id, macro.id = mac.id, user.id = actor.id.get() }, "macro applied");
    Ok(Applied {
        ticket: saved,
        comment,
    })
}
