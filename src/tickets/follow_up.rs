//! `follow_up`: a requester writes on a closed ticket; a new ticket is created in its place —
//! same requester, organization, site, team, channel, category and tags, the comment as its
//! description — and linked to it (`ticket_links`, kind `follow_up`).

use super::Rules;
use super::command_error;
use super::create::insert_tx;
use crate::domain::ids::UserId;
use crate::domain::ticket::{AuthorKind, Command, Creation, TicketState};
use crate::error::ApiError;
use crate::models::ticket::{CommentRow, Ticket, TicketFields};
use crate::schema::ticket_links;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Creates the follow-up of `closed` with the requester's `text`, logged by `actor` at `now`
/// (`None`: no staff member, e.g. a reply by email); returns it and its first comment. Called by [`super::comment::comment_tx`] inside its
/// transaction.
///
/// # Errors
/// Database errors.
pub fn follow_up_tx(
    conn: &mut PgConnection,
    rules: &Rules,
    notices: super::notify::NoticeSettings,
    closed: &Ticket,
    text: &str,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(Ticket, CommentRow), ApiError> {
    let subject: String = format!("Follow-up: {}", closed.subject)
        .chars()
        .take(super::MAX_SUBJECT)
        .collect();
    let fields = TicketFields {
        subject,
        description: text.to_string(),
        channel: closed.channel,
        category: closed.category.clone(),
        tags: closed.tags.clone(),
        requester_id: closed.requester_id,
        organization_id: closed.organization_id,
        site_id: closed.site_id,
        team_id: closed.team_id,
        asset_id: closed.asset_id,
        // A follow-up carries the closed ticket's values, as Zendesk's does.
        custom_fields: closed
            .custom_fields
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    let (mut state, created) = TicketState::create(&Creation {
        at: now,
        created_by: None,
        with_public_agent_comment: false,
    });
    let mut events = vec![created];
    for command in [
        Command::Comment {
            author: AuthorKind::Customer,
            public: true,
        },
        Command::Link {
            kind: "follow_up".into(),
            ticket_id: closed.id,
        },
    ] {
        events.extend(
            state
                .apply(&command, now, actor.map(UserId::get))
                .map_err(command_error)?,
        );
    }
    let requester = super::notify::requester_for(conn, notices, closed.requester_id, &events)?;
    let (told, notes) = super::notify::plan(notices, requester.as_ref(), &events);
    events.extend(notes);
    let (ticket, mut comments) = insert_tx(
        conn,
        rules,
        &fields,
        &state,
        None,
        &events,
        &[text.to_string()],
    )?;
    super::notify::write_tx(conn, notices, told, &ticket, &comments, now)?;
    diesel::insert_into(ticket_links::table)
        .values((
            ticket_links::ticket_id.eq(ticket.id),
            ticket_links::linked_ticket_id.eq(closed.id),
            ticket_links::kind.eq("follow_up"),
        ))
        .execute(conn)?;
    let comment = comments
        .pop()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("follow-up comment not written")))?;
    Ok((ticket, comment))
}
