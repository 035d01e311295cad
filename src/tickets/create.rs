//! `create`: a new ticket, its first events (created, the description as the first public
//! comment, priority, assignment, an initial status), its projections — one transaction.

use super::projection;
use super::rules::RulesCache;
use super::{TICKET_CONSTRAINTS, check_asset, check_assignee, check_site, command_error};
use crate::domain::ids::{AssetId, CustomerId, OrganizationId, SiteId, UserId};
use crate::domain::ticket::{
    AuthorKind, Command, Creation, TicketPriority, TicketState, TicketStatus,
};
use crate::error::{ApiError, on_constraint};
use crate::models::organization::{self as orgs, CUSTOMER_CONSTRAINTS, NewCustomer};
use crate::models::ticket::{self as model, CommentRow, Ticket, TicketFields};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Who the ticket is for.
#[derive(Debug, Clone)]
pub enum Requester {
    /// An existing customer.
    Existing(CustomerId),
    /// A new customer, created with the ticket (field errors are reported under `requester.`).
    New(NewCustomer),
}

/// A parsed `POST /tickets`.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// The requester.
    pub requester: Requester,
    /// Subject (≤ [`super::MAX_SUBJECT`] characters), description (may be empty: no first
    /// comment), channel, category, tags, organization (default: the requester's), site, team,
    /// asset (of the ticket's organization and site, when those are set).
    /// `requester_id` is ignored (see `requester`).
    pub fields: TicketFields,
    /// Who wrote the description: [`AuthorKind::Agent`] (the creating staff member) or
    /// [`AuthorKind::Customer`].
    pub description_author: AuthorKind,
    /// Priority.
    pub priority: TicketPriority,
    /// Assignee (an active admin, manager or agent).
    pub assignee: Option<UserId>,
    /// Initial status other than `new` (never `closed`).
    pub status: Option<TicketStatus>,
}

/// The customer of an inline requester: the one who already has its email (found, unchanged:
/// what Zendesk and Freshdesk do with a requester's email), else a new one. A concurrent creation
/// of the same email finds that customer.
///
/// # Errors
/// 422 naming `requester.<field>` for a constraint the new customer breaks; database errors.
fn inline_requester(
    conn: &mut PgConnection,
    new: &NewCustomer,
) -> Result<orgs::Customer, ApiError> {
    if let Some(email) = &new.email
        && let Some(found) = orgs::customer_by_email(conn, email)?
    {
        return Ok(found);
    }
    let created = orgs::create_customer_unless_email_taken(conn, new).map_err(|e| {
        let prefixed: Vec<(&str, String, &str)> = CUSTOMER_CONSTRAINTS
            .iter()
            .map(|(c, f, m)| (*c, format!("requester.{f}"), *m))
            .collect();
        let fields: Vec<(&str, &str, &str)> = prefixed
            .iter()
            .map(|(c, f, m)| (*c, f.as_str(), *m))
            .collect();
        on_constraint(e, &fields)
    })?;
    match (created, &new.email) {
        (Some(created), _) => Ok(created),
        (None, Some(email)) => {
            orgs::customer_by_email(conn, email)?.ok_or(ApiError::NotFound("customer"))
        }
        (None, None) => Err(ApiError::NotFound("customer")),
    }
}

/// Creates a ticket inside the caller's transaction, created by `actor` at `now` (`None`: no
/// staff member, e.g. a message by email: `created_by_id` and the events' actor stay NULL).
///
/// # Errors
/// 422 naming the field for unknown references (`requester_id`, `site_id`, `assignee_id`,
/// `team_id`, `organization_id`, `asset_id`: also an asset of another organization or site) or
/// an invalid inline requester (`requester.email`, …: an inline requester whose email a
/// customer already has is that customer); 409/422 for a status the state machine refuses; 422
/// naming `category` for a category outside the catalogue (listing the accepted ones), naming
/// `custom_fields.<key>` for a value that does not fit its field, or a `solved` ticket without a
/// required-on-solve field.
pub fn create_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    command: &NewTicket,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Ticket, ApiError> {
    let notices = rules.notices();
    let rules = rules.for_write_tx(conn)?;
    let mut fields = command.fields.clone();
    fields.category = super::fields::category_tx(conn, fields.category.as_deref())?;
    fields.custom_fields =
        super::fields::custom_fields_tx(conn, &Default::default(), &fields.custom_fields)?.0;
    let requester = match &command.requester {
        Requester::Existing(id) => orgs::get_customer(conn, id.get())
            .optional()?
            .ok_or_else(|| ApiError::invalid_field("requester_id", "no such customer"))?,
        Requester::New(new) => inline_requester(conn, new)?,
    };
    fields.requester_id = Some(requester.id);
    fields.organization_id = fields.organization_id.or(requester.organization_id);
    if let Some(site) = fields.site_id {
        let organization = fields.organization_id.map(OrganizationId::new);
        fields.organization_id = Some(check_site(conn, SiteId::new(site), organization)?.get());
    }
    if let Some(asset) = fields.asset_id {
        check_asset(
            conn,
            AssetId::new(asset),
            fields.organization_id.map(OrganizationId::new),
            fields.site_id.map(SiteId::new),
        )?;
    }
    if let Some(assignee) = command.assignee {
        check_assignee(conn, assignee)?;
    }

    let agent_comment =
        !fields.description.is_empty() && command.description_author == AuthorKind::Agent;
    let (mut state, created) = TicketState::create(&Creation {
        at: now,
        created_by: actor.map(UserId::get),
        with_public_agent_comment: agent_comment,
    });
    let mut events = vec![created];
    let mut bodies = Vec::new();
    let mut apply = |state: &mut TicketState, command: Command| -> Result<(), ApiError> {
        events.extend(
            state
                .apply(&command, now, actor.map(UserId::get))
                .map_err(command_error)?,
        );
        Ok(())
    };
    if !fields.description.is_empty() {
        bodies.push(fields.description.clone());
        apply(
            &mut state,
            Command::Comment {
                author: command.description_author,
                public: true,
            },
        )?;
    }
    if command.priority != TicketPriority::Normal {
        apply(&mut state, Command::SetPriority(Some(command.priority)))?;
    }
    if let Some(assignee) = command.assignee {
        apply(
            &mut state,
            Command::Assign {
                assignee: assignee.get(),
            },
        )?;
    }
    if let Some(status) = command.status
        && status != state.status
    {
        apply(&mut state, Command::SetStatus(status))?;
    }
    if state.status == crate::domain::ticket::TicketStatus::Solved {
        super::fields::check_solvable_tx(
            conn,
            &serde_json::Value::Object(fields.custom_fields.clone()),
        )?;
    }
    let requester = super::notify::Requester::from(requester);
    let (told, notes) = super::notify::plan(notices, Some(&requester), &events);
    events.extend(notes);
    let (ticket, comments) = insert_tx(conn, &rules, &fields, &state, actor, &events, &bodies)?;
    super::notify::write_tx(conn, notices, told, &ticket, &comments, now)?;
    tracing::info!(target: "audit", { ticket.id = ticket.id, user.id = actor.map(UserId::get) }, "ticket created");
    Ok(ticket)
}

/// Stores a new ticket in `state` with its whole log (`events`, `bodies`: one per
/// `comment_added` event) and projections; returns it and its comment rows. Shared by [`create_tx`] and
/// [`super::follow_up::follow_up_tx`].
///
/// # Errors
/// 422 naming the field of a foreign key that does not hold; database errors.
pub(super) fn insert_tx(
    conn: &mut PgConnection,
    rules: &super::Rules,
    fields: &TicketFields,
    state: &TicketState,
    created_by: Option<UserId>,
    events: &[crate::domain::ticket::TicketEvent],
    bodies: &[String],
) -> Result<(Ticket, Vec<CommentRow>), ApiError> {
    let ticket = model::insert_ticket_tx(conn, fields, state, created_by.map(UserId::get))
        .map_err(|e| on_constraint(e, TICKET_CONSTRAINTS))?;
    let comments = model::append_events_tx(conn, ticket.id, 1, events, bodies)?;
    projection::refresh_tx(conn, rules, &ticket, events, false)?;
    super::webhooks::enqueue_tx(conn, &rules.webhooks, &ticket, events, chrono::Utc::now())?;
    Ok((ticket, comments))
}
