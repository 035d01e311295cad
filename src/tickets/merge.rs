//! `merge`: merges duplicate tickets (the *sources*) into one surviving ticket (the *target*),
//! as Zendesk's merge, in one transaction (`POST /tickets/{id}/merge`).
//!
//! - The target gets a `linked` event (`link: "merged"`, the source's id) per source, then one
//!   internal note per comment of the source, oldest first, each quoting the comment with who
//!   wrote it, when, and whether it was public. Internal notes change no metric and no SLA
//!   clock: the target keeps its own clock (docs/METRICS.md, merged tickets).
//! - Each source keeps every comment and its requester; it gets a `linked` event
//!   (`link: "merged_into"`), a comment saying which ticket it was merged into (public by
//!   default, so its requester is told, with the `agent_reply` notice; `source_comment_public:
//!   false` makes it an internal note), and is closed from whatever status it had; its row's
//!   `merged_into_id` names the target, and a `ticket_links` row (kind `duplicate`) records the
//!   link. A requester who writes on it later writes on the target ([`super::comment`]).
//! - A merged ticket is a duplicate: excluded from every metric aggregate (volumes, durations,
//!   SLA attainment, contact rates, satisfaction), in the metrics store and the reference SQL.
//!
//! Refused (nothing written): a closed target or source; a source with work orders (field visits
//! stay with the ticket they were booked for); a source that is a problem with incidents (link
//! them to the target first).

use super::rules::RulesCache;
use super::{Actor, command_error, notify};
use crate::domain::ids::TicketId;
use crate::domain::ticket::{AuthorKind, ClosePolicy, Command, CommandError, TicketEvent};
use crate::error::ApiError;
use crate::models::enums::{DbAuthorKind, DbTicketStatus};
use crate::models::ticket::{CommentRow, Ticket, TicketChangeset, state_of};
use crate::schema::{comments, customers, ticket_links, users, work_orders};
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;

/// Most tickets merged in one call.
pub const MAX_SOURCES: usize = 20;

/// A parsed merge.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    /// The duplicates to merge into the target (distinct, 1–[`MAX_SOURCES`], not the target).
    pub sources: Vec<TicketId>,
    /// The comment on each source is public (its requester is told); default true.
    pub source_comment_public: bool,
}

/// What a merge wrote.
#[derive(Debug)]
pub struct Merged {
    /// The target after it.
    pub ticket: Ticket,
    /// The sources after it (closed, `merged_into_id` set), in the request's order.
    pub sources: Vec<Ticket>,
    /// How many comments were copied onto the target (all the sources' comments).
    pub comments_copied: usize,
}

/// Merges `request.sources` into ticket `target` by `actor` at `now` (module documentation).
/// Locks every ticket in ascending id order.
///
/// # Errors
/// 404 for a ticket the caller cannot see; 422 naming `ticket_ids` when the target is among the
/// sources; 409 naming `status` for a closed target (`ticket_closed`); 409 naming `ticket_ids`
/// for a closed source (`ticket_closed`), a source with work orders (`has_work_orders`) or one
/// that is a problem with incidents (`has_incidents`). Nothing is written then.
pub fn merge_tx(
    conn: &mut PgConnection,
    cache: &RulesCache,
    target: TicketId,
    request: &MergeRequest,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Merged, ApiError> {
    let rules = cache.for_write_tx(conn)?;
    if request.sources.contains(&target) {
        return Err(ApiError::invalid_field(
            "ticket_ids",
            "a ticket cannot be merged into itself",
        ));
    }
    let mut locked = super::problem::lock_all(conn, target, &request.sources, actor.visibility)?;
    let position = locked
        .iter()
        .position(|t| t.id == target.get())
        .ok_or(ApiError::NotFound("ticket"))?;
    let target = locked.remove(position);
    if target.status == DbTicketStatus::Closed {
        return Err(command_error(CommandError::Closed));
    }
    let sources: Vec<Ticket> = request
        .sources
        .iter()
        .filter_map(|id| locked.iter().find(|t| t.id == id.get()).cloned())
        .collect();
    for source in &sources {
        check_source(conn, source)?;
    }
    let mut target_state = state_of(&target);
    let mut target_events: Vec<TicketEvent> = Vec::new();
    let mut bodies: Vec<String> = Vec::new();
    let mut merged = Vec::with_capacity(sources.len());
    let by = Some(actor.id.get());
    for source in &sources {
        let copied: Vec<CommentRow> = comments::table
            .filter(comments::ticket_id.eq(source.id))
            .order(comments::id)
            .select(CommentRow::as_select())
            .load(conn)?;
        target_events.extend(
            target_state
                .apply(
                    &Command::Link {
                        kind: "merged".into(),
                        ticket_id: source.id,
                    },
                    now,
                    by,
                )
                .map_err(command_error)?,
        );
        for c in &copied {
            target_events.extend(
                target_state
                    .apply(
                        &Command::Comment {
                            author: AuthorKind::Agent,
                            public: false,
                        },
                        now,
                        by,
                    )
                    .map_err(command_error)?,
            );
            bodies.push(quote(conn, source, c)?);
        }
        merged.push(close_source(
            conn,
            (&rules, cache.notices()),
            source,
            &target,
            request.source_comment_public,
            actor,
            now,
        )?);
    }
    let (ticket, _) = super::save_tx(
        conn,
        &rules,
        &target,
        &target_state,
        &TicketChangeset::default(),
        target_events,
        &bodies,
    )?;
    tracing::info!(target: "audit", { ticket.id = ticket.id, user.id = actor.id.get(), merged = merged.len() }, "tickets merged");
    Ok(Merged {
        ticket,
        sources: merged,
        comments_copied: bodies.len(),
    })
}

/// Refuses a source that is closed, has work orders or is a problem with incidents (409 naming
/// `ticket_ids`).
fn check_source(conn: &mut PgConnection, source: &Ticket) -> Result<(), ApiError> {
    let label = format!("ticket #{}", source.number);
    if source.status == DbTicketStatus::Closed {
        return Err(ApiError::conflict_on(
            "ticket_closed",
            "ticket_ids",
            &format!("{label} is closed; a closed ticket cannot be merged"),
        ));
    }
    let work: i64 = work_orders::table
        .filter(work_orders::ticket_id.eq(source.id))
        .count()
        .get_result(conn)?;
    if work > 0 {
        return Err(ApiError::conflict_on(
            "has_work_orders",
            "ticket_ids",
            &format!("{label} has work orders; field visits stay with their ticket"),
        ));
    }
    if !super::problem::incidents_of(conn, source.id)?.is_empty() {
        return Err(ApiError::conflict_on(
            "has_incidents",
            "ticket_ids",
            &format!("{label} is a problem with incidents; link them to the target first"),
        ));
    }
    Ok(())
}

/// The internal note quoting comment `c` of `source` on the target.
fn quote(conn: &mut PgConnection, source: &Ticket, c: &CommentRow) -> Result<String, ApiError> {
    let who = match (c.author_kind, c.author_user_id) {
        (DbAuthorKind::Agent, Some(id)) => users::table
            .find(id)
            .select(users::name)
            .first::<String>(conn)
            .optional()?
            .unwrap_or_else(|| format!("staff member {id}")),
        (DbAuthorKind::Agent, None) => "staff".to_string(),
        _ => match source.requester_id {
            Some(id) => customers::table
                .find(id)
                .select(customers::name)
                .first::<String>(conn)
                .optional()?
                .map_or_else(|| "the requester".into(), |n| format!("{n} (requester)")),
            None => "the requester".into(),
        },
    };
    Ok(format!(
        "Merged from ticket #{} ({}), {} by {}, {}:\n\n{}",
        source.number,
        source.subject,
        if c.public {
            "public comment"
        } else {
            "internal note"
        },
        who,
        c.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        c.body
    ))
}

/// Closes `source` as merged into `target`: its `linked` event, its comment (public: its
/// requester is told), the close, `merged_into_id` and the `duplicate` link.
fn close_source(
    conn: &mut PgConnection,
    (rules, notices): (&super::Rules, notify::NoticeSettings),
    source: &Ticket,
    target: &Ticket,
    public: bool,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Ticket, ApiError> {
    let by = Some(actor.id.get());
    let mut state = state_of(source);
    let mut events = Vec::new();
    for command in [
        Command::Link {
            kind: "merged_into".into(),
            ticket_id: target.id,
        },
        Command::Comment {
            author: AuthorKind::Agent,
            public,
        },
    ] {
        events.extend(state.apply(&command, now, by).map_err(command_error)?);
    }
    let requester = notify::requester_for(conn, notices, source.requester_id, &events)?;
    let (told, notes) = notify::plan(notices, requester.as_ref(), &events);
    events.extend(notes);
    events.extend(
        state
            .apply(&Command::Close(ClosePolicy::FromAnyStatus), now, by)
            .map_err(command_error)?,
    );
    let body = format!(
        "This request was closed and merged into request #{} ({}).",
        target.number, target.subject
    );
    let changes = TicketChangeset {
        merged_into_id: Some(Some(target.id)),
        ..TicketChangeset::default()
    };
    let (saved, written) = super::save_tx(
        conn,
        rules,
        source,
        &state,
        &changes,
        events,
        std::slice::from_ref(&body),
    )?;
    notify::write_tx(conn, notices, told, &saved, &written, now)?;
    diesel::insert_into(ticket_links::table)
        .values((
            ticket_links::ticket_id.eq(source.id),
            ticket_links::linked_ticket_id.eq(target.id),
            ticket_links::kind.eq("duplicate"),
            ticket_links::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(saved)
}
