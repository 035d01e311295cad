//! Ticket use cases: the only way the API, the importer, the seed and the workers change a
//! ticket.
//!
//! Each operation takes an already-parsed command and an open transaction, reads the rules in
//! force ([`RulesCache::for_write_tx`], the transaction's first statement), locks the ticket's
//! row (every writer of a ticket's projections holds it, so they never wait on each other's
//! rows in another order), applies
//! the domain rules ([`crate::domain::ticket::TicketState::apply`]), writes the row, its events
//! and comments ([`crate::models::ticket`]), and refreshes its projections from the state and log
//! it already holds ([`projection`]). Routes parse and authorise; models hold rows and queries;
//! the domain holds pure rules; nothing here knows HTTP. A ticket the caller may not see is "no
//! such row" like a missing one (a 404 naming the ticket): its existence stays private.
//!
//! - [`create`]: a new ticket (`POST /tickets`), with an inline new requester.
//! - [`update`]: fields, assignment, priority and status (`PATCH /tickets/{id}`).
//! - [`fields`]: the category catalogue and custom field checks of those writes.
//! - [`comment`]: a reply or note (`POST /tickets/{id}/comments`); a requester's comment on a
//!   closed ticket starts a [`follow_up`].
//! - [`inbound`]: a customer's email (`POST /inbound/email`): a reply threads onto its ticket
//!   as a requester's comment, anything else starts a ticket; each message once.
//! - [`auto_close`]: closes tickets solved long enough ago (the auto-close worker).
//! - [`sla_events`]: records SLA breaches and warnings in the log (the SLA worker).
//! - [`reproject`]: applies a rules change (SLA policy, calendar, a team's calendar) to the
//!   stored projections in the background, in short batches (the re-projection worker).
//! - [`redact`]: removes text from a comment and every copy of it (`POST
//!   /tickets/{id}/comments/{comment_id}/redactions`), audited without the text.
//! - [`survey`]: the requester's CSAT/NPS answer (`POST /surveys/{token}`): the survey row and
//!   a `survey_answered` event, the ticket's row untouched.
//! - [`merge`]: merges duplicates into one ticket (`POST /tickets/{id}/merge`).
//! - [`problem`]: incidents linked to a problem (`POST /tickets/{id}/incidents`); solving the
//!   problem solves them.
//! - [`bulk_update`]: the same changes to up to 100 tickets (`POST /tickets/bulk`), each in a
//!   transaction of its own.
//! - [`import`]: stores imported histories (the event-log importer).
//! - [`history`]: appends already-played events to a stored ticket (the seed).
//! - [`notify`]: the customer notices a change queues in the outbox, in its transaction.
//! - [`projection`]: metrics and SLA clocks of a ticket; rule changes re-project through it.
//! - [`rules`]: the SLA policies and calendars a write applies, cached per process.
//!
//! A new use case goes in a file of its own here (e.g. `tickets/dispatch.rs` for a work order
//! that changes its ticket), takes `(conn, &RulesCache, command, actor, now)` and returns the
//! rows it wrote.

pub mod attach;
pub mod attribution;
pub mod auto_close;
pub mod bulk_update;
pub mod comment;
pub mod create;
pub mod fields;
pub mod follow_up;
pub mod history;
pub mod import;
pub mod inbound;
pub mod macros;
pub mod merge;
pub mod notify;
pub mod problem;
pub mod projection;
pub mod redact;
pub mod reproject;
pub mod rules;
pub mod sla_events;
pub mod survey;
pub mod update;
pub mod webhooks;
pub mod work_order;
pub mod work_order_edit;

pub use rules::{Rules, RulesCache};

use crate::domain::ids::{AssetId, OrganizationId, SiteId, UserId};
use crate::domain::ticket::CommandError;
use crate::error::ApiError;
use crate::models::enums::UserRole;
use crate::models::{asset, organization, staff};
use diesel::prelude::*;

/// Who is changing a ticket: the staff member and which tickets they may see (a ticket they
/// may not see is a 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The staff member.
    pub id: UserId,
    /// Their row-level access.
    pub visibility: crate::models::ticket::Visibility,
}

/// Longest subject, characters.
pub const MAX_SUBJECT: usize = 250;

/// The error of a command the ticket aggregate refuses: 409 for a transition it refuses or a
/// change to a closed ticket (naming `status`), 422 naming `assignee_id` for the assignee rules
/// and `keep_hold` for a hold to keep on a ticket that is not on hold.
pub fn command_error(e: CommandError) -> ApiError {
    match e {
        CommandError::InvalidTransition(t) => ApiError::conflict_on(
            "invalid_transition",
            "status",
            &format!("a {} ticket cannot become {}", t.from, t.to),
        ),
        CommandError::Closed => ApiError::conflict_on(
            "ticket_closed",
            "status",
            "the ticket is closed; only its tags may change",
        ),
        CommandError::SolveWithoutAssignee => {
            ApiError::invalid_field("assignee_id", "is required to solve the ticket")
        }
        CommandError::UnassignSolved => {
            ApiError::invalid_field("assignee_id", "a solved ticket keeps its assignee")
        }
        CommandError::NotOnHold => ApiError::invalid_field(
            "keep_hold",
            "the ticket is not on hold: there is no hold to keep",
        ),
        CommandError::OutOfOrder { .. } => ApiError::Conflict {
            code: "concurrent_update",
            detail: "the ticket changed meanwhile; retry".into(),
            errors: Default::default(),
        },
    }
}

/// Checks an assignee: an existing, active admin, manager or agent (422 naming `assignee_id`).
fn check_assignee(conn: &mut PgConnection, id: UserId) -> Result<(), ApiError> {
    match staff::get_staff(conn, id.get()).optional()? {
        Some(s) if s.active && s.role != UserRole::Technician => Ok(()),
        Some(s) if !s.active => Err(ApiError::invalid_field("assignee_id", "is not active")),
        Some(_) => Err(ApiError::invalid_field(
            "assignee_id",
            "technicians get work orders, not tickets",
        )),
        None => Err(ApiError::invalid_field(
            "assignee_id",
            "no such staff member",
        )),
    }
}

/// Checks that a site exists and belongs to `organization` (when given); returns its
/// organization (422 naming `site_id` otherwise).
fn check_site(
    conn: &mut PgConnection,
    site_id: SiteId,
    organization: Option<OrganizationId>,
) -> Result<OrganizationId, ApiError> {
    let site = organization::get_site(conn, site_id.get())
        .optional()?
        .ok_or_else(|| ApiError::invalid_field("site_id", "no such site"))?;
    if let Some(org) = organization
        && org.get() != site.organization_id
    {
        return Err(ApiError::invalid_field(
            "site_id",
            "belongs to another organization",
        ));
    }
    Ok(OrganizationId::new(site.organization_id))
}

/// Checks that an asset exists and, when the ticket has them, belongs to its `organization`
/// and stands at its `site` (422 naming `asset_id` otherwise). One statement.
fn check_asset(
    conn: &mut PgConnection,
    asset_id: AssetId,
    organization: Option<OrganizationId>,
    site: Option<SiteId>,
) -> Result<(), ApiError> {
    let asset = asset::get(conn, asset_id.get())
        .optional()?
        .ok_or_else(|| ApiError::invalid_field("asset_id", "no such asset"))?;
    if organization.is_some_and(|o| o.get() != asset.organization_id) {
        return Err(ApiError::invalid_field(
            "asset_id",
            "belongs to another organization than the ticket",
        ));
    }
    if site.is_some_and(|s| s.get() != asset.site_id) {
        return Err(ApiError::invalid_field(
            "asset_id",
            "stands at another site than the ticket's",
        ));
    }
    Ok(())
}

/// Stores a locked ticket's change: appends `events` (and `bodies`, one per `comment_added`
/// event) after its log, writes its new `state` and field `changes` (version + 1) and refreshes
/// its projections from the log read once here. Returns the row and the comment rows written.
///
/// # Errors
/// 422 naming the field of a foreign key that does not hold; database errors.
fn save_tx(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &crate::models::ticket::Ticket,
    state: &crate::domain::ticket::TicketState,
    changes: &crate::models::ticket::TicketChangeset,
    events: Vec<crate::domain::ticket::TicketEvent>,
    bodies: &[String],
) -> Result<
    (
        crate::models::ticket::Ticket,
        Vec<crate::models::ticket::CommentRow>,
    ),
    ApiError,
> {
    let log = crate::models::ticket::load_log(conn, ticket.id)?;
    save_with_log_tx(conn, rules, ticket, state, changes, log, events, bodies)
}

/// [`save_tx`] for a caller that already read the ticket's `log` (after locking it).
///
/// # Errors
/// As [`save_tx`].
#[allow(clippy::too_many_arguments)]
fn save_with_log_tx(
    conn: &mut PgConnection,
    rules: &Rules,
    ticket: &crate::models::ticket::Ticket,
    state: &crate::domain::ticket::TicketState,
    changes: &crate::models::ticket::TicketChangeset,
    mut log: Vec<crate::domain::ticket::TicketEvent>,
    events: Vec<crate::domain::ticket::TicketEvent>,
    bodies: &[String],
) -> Result<
    (
        crate::models::ticket::Ticket,
        Vec<crate::models::ticket::CommentRow>,
    ),
    ApiError,
> {
    use crate::models::ticket as model;
    let first_seq = i32::try_from(log.len() + 1).unwrap_or(i32::MAX);
    let comments = model::append_events_tx(conn, ticket.id, first_seq, &events, bodies)?;
    // The row's pause reason follows the log, in the UPDATE the write makes anyway.
    let hold_reason =
        model::hold_reason_after(state.status, ticket.hold_reason.as_deref(), &events);
    let with_reason;
    let changes = if hold_reason == ticket.hold_reason {
        changes
    } else {
        with_reason = crate::models::ticket::TicketChangeset {
            hold_reason: Some(hold_reason),
            ..changes.clone()
        };
        &with_reason
    };
    let saved = model::update_tx(conn, ticket, state, changes)
        .map_err(|e| crate::error::on_constraint(e, TICKET_CONSTRAINTS))?;
    webhooks::enqueue_tx(conn, &rules.webhooks, &saved, &events, chrono::Utc::now())?;
    log.extend(events);
    projection::refresh_tx(conn, rules, &saved, &log, true)?;
    Ok((saved, comments))
}

/// Field errors of the ticket row's foreign keys.
const TICKET_CONSTRAINTS: &[(&str, &str, &str)] = &[
    ("tickets_team_id_fkey", "team_id", "no such team"),
    (
        "tickets_organization_id_fkey",
        "organization_id",
        "no such organization",
    ),
    (
        "tickets_requester_id_fkey",
        "requester_id",
        "no such customer",
    ),
    ("tickets_site_id_fkey", "site_id", "no such site"),
    ("tickets_asset_id_fkey", "asset_id", "no such asset"),
    (
        "tickets_assignee_id_fkey",
        "assignee_id",
        "no such staff member",
    ),
];
