//! `inbound`: a customer's email (`POST /api/v1/inbound/email`, parsed by
//! [`crate::notify::inbound`]) becomes the requester's public comment on the ticket it answers,
//! or a new ticket on the `email` channel — once.
//!
//! 1. **Machine-sent mail is ignored** (nothing written), with its reason
//!    ([`crate::domain::inbound::machine_sent`]): `bounce` (null `Return-Path: <>`,
//!    `MAILER-DAEMON` / `postmaster`, `multipart/report` delivery reports), `auto_reply`
//!    (`Auto-Submitted`, `Precedence: junk|auto_reply`, `X-Autoreply`, `X-Autorespond`,
//!    `X-Auto-Reply`, `X-Auto-Response-Suppress`, read receipts, `noreply@`-style senders, and
//!    our own address `email.from_address`), `mailing_list` (`List-Id`, `List-Unsubscribe`,
//!    `Precedence: bulk|list`). Answering them with a "ticket received" notice would start a
//!    mail loop (Zendesk ignores them too).
//! 2. **Once**: a message whose `Message-ID`, sender (case-insensitive) and SHA-256 of the raw
//!    bytes are already recorded (`inbound_messages`) is a duplicate delivery: its first outcome
//!    is returned and nothing is written. A message from another sender, or with other bytes,
//!    that reuses a recorded `Message-ID` is a message of its own, processed as such: a reused
//!    id never suppresses a message nor reveals another message's ticket. Two concurrent
//!    deliveries race to record it; the loser's whole transaction rolls back and it answers the
//!    winner's outcome.
//! 3. **Which ticket**: the first of the ticket numbers our ids name in `In-Reply-To`, then
//!    `References` (newest first), then the number the subject quotes, that names an existing
//!    ticket.
//! 4. **Only its requester writes on it**: the message threads onto that ticket only when its
//!    `From` address is the ticket's requester's email (case-insensitive). Anyone else — a
//!    colleague in copy, a stranger quoting `[#N]` — gets a new ticket of their own: quoting a
//!    number never lets someone write into another person's ticket.
//! 5. **Threaded**: the text is the requester's public comment through
//!    [`super::comment::comment_tx`] with no staff actor, so the existing rules apply: it
//!    reopens a pending, on-hold or solved ticket; on a closed ticket it starts a linked
//!    follow-up.
//! 6. **Otherwise a new ticket** through [`super::create::create_tx`] with no staff actor:
//!    channel `email`, the subject (or `(no subject)`), the text as the requester's description,
//!    the requester the customer with that email or a new customer named after the `From`
//!    display name (else the address's local part); no team, no assignee; the organization the
//!    customer's.
//!
//! The comment or ticket and the `inbound_messages` row are one transaction.

use super::comment::{self, NewComment};
use super::create::{self, NewTicket, Requester};
use super::rules::RulesCache;
use crate::domain::ids::{CustomerId, TicketId};
use crate::domain::inbound::MachineSent;
use crate::domain::ticket::{AuthorKind, TicketPriority};
use crate::error::ApiError;
use crate::models::enums::TicketChannel;
use crate::models::inbound::{self as model, InboundMessage, NewInboundMessage};
use crate::models::organization::NewCustomer;
use crate::models::ticket::TicketFields;
use crate::notify::inbound::InboundMail;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Subject of a new ticket from a message without one.
pub const NO_SUBJECT: &str = "(no subject)";

/// Longest name given to a new customer, characters (the customers API's limit).
const MAX_CUSTOMER_NAME: usize = 200;

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Written to a ticket (now, or at its first delivery: [`Outcome::duplicate`]).
    Written(Outcome),
    /// Not written anywhere: sent by a machine (or by us, [`MachineSent::AutoReply`]), so that
    /// answering it could start a mail loop.
    Ignored(MachineSent),
}

/// Where a message was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The ticket written to: the replied ticket, its follow-up, or a new ticket.
    pub ticket_id: TicketId,
    /// That ticket's number.
    pub ticket_number: i64,
    /// The comment the text became (a new ticket's description comment).
    pub comment_id: Option<i64>,
    /// A ticket was started: a new one (unknown sender or ticket) or the follow-up of a closed
    /// one (`follow_up_of`).
    pub created_ticket: bool,
    /// The closed ticket a follow-up was started for.
    pub follow_up_of: Option<TicketId>,
    /// The message had been processed before: nothing was written now.
    pub duplicate: bool,
}

impl Outcome {
    fn recorded(row: &InboundMessage, number: i64) -> Outcome {
        Outcome {
            ticket_id: TicketId::new(row.ticket_id),
            ticket_number: number,
            comment_id: row.comment_id,
            created_ticket: row.created_ticket,
            follow_up_of: row.follow_up_of.map(TicketId::new),
            duplicate: true,
        }
    }
}

/// Where a message goes.
enum Target {
    Reply(TicketId),
    New(Requester),
}

/// Why the write transaction ended without committing.
enum Failure {
    Api(ApiError),
    /// A concurrent delivery recorded the same message first.
    AlreadyRecorded,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure::Api(e)
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Failure {
        Failure::Api(e.into())
    }
}

/// Processes `mail` received at `now` (rules in the module doc); `our_address` is
/// `email.from_address`. Runs its own transactions (a second one after losing a race to a
/// concurrent write), so it takes a connection outside any transaction.
///
/// # Errors
/// 409 when concurrent writes conflicted twice in a row (e.g. a new sender's customer; a retry
/// succeeds); database errors.
pub fn receive(
    conn: &mut PgConnection,
    rules: &RulesCache,
    mail: &InboundMail,
    our_address: &str,
    now: DateTime<Utc>,
) -> Result<Received, ApiError> {
    if let Some(reason) = mail.machine_sent {
        return Ok(Received::Ignored(reason));
    }
    if mail.sender.as_str() == our_address.trim().to_lowercase() {
        return Ok(Received::Ignored(MachineSent::AutoReply));
    }
    // Two rounds at most: a round that lost a race to a concurrent delivery of the same message
    // (its record, or — from a new sender — the customer it creates) rolls back whole; the next
    // round finds the message recorded, or the customer made.
    let mut conflict = None;
    for _ in 0..2 {
        if let Some((row, number)) = model::find(
            conn,
            &mail.message_id,
            mail.sender.as_str(),
            &mail.raw_sha256,
        )? {
            return Ok(Received::Written(Outcome::recorded(&row, number)));
        }
        let target = target(conn, mail)?;
        match conn.transaction(|conn| write_tx(conn, rules, mail, target, now)) {
            Ok(outcome) => {
                tracing::info!(
                    ticket.id = outcome.ticket_id.get(),
                    inbound.created_ticket = outcome.created_ticket,
                    inbound.follow_up = outcome.follow_up_of.is_some(),
                    "inbound email written"
                );
                return Ok(Received::Written(outcome));
            }
            Err(Failure::AlreadyRecorded) => {}
            Err(Failure::Api(e @ ApiError::Conflict { .. })) => conflict = Some(e),
            Err(Failure::Api(e)) => return Err(e),
        }
    }
    if let Some((row, number)) = model::find(
        conn,
        &mail.message_id,
        mail.sender.as_str(),
        &mail.raw_sha256,
    )? {
        return Ok(Received::Written(Outcome::recorded(&row, number)));
    }
    Err(conflict.unwrap_or_else(|| {
        ApiError::Unexpected(anyhow::anyhow!("inbound message recorded, then not found"))
    }))
}

/// The ticket `mail` answers, if its sender is that ticket's requester; else a new ticket for the
/// customer with the sender's email (or a new customer).
fn target(conn: &mut PgConnection, mail: &InboundMail) -> Result<Target, ApiError> {
    let mut numbers = mail.referenced_numbers.clone();
    numbers.extend(mail.subject_number);
    if let Some(ticket) = model::first_existing_ticket(conn, &numbers)?
        && ticket.requester_email.as_deref() == Some(mail.sender.as_str())
    {
        return Ok(Target::Reply(TicketId::new(ticket.id)));
    }
    Ok(Target::New(
        match model::customer_by_email(conn, mail.sender.as_str())? {
            Some(id) => Requester::Existing(CustomerId::new(id)),
            None => Requester::New(new_customer(mail)),
        },
    ))
}

fn new_customer(mail: &InboundMail) -> NewCustomer {
    let address = mail.sender.as_str();
    let name = mail
        .sender_name
        .clone()
        .unwrap_or_else(|| address.split('@').next().unwrap_or(address).to_string());
    NewCustomer {
        name: name.chars().take(MAX_CUSTOMER_NAME).collect(),
        email: Some(address.to_string()),
        phone: None,
        organization_id: None,
    }
}

/// Writes the comment or the new ticket and records the message, in the caller's transaction.
fn write_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    mail: &InboundMail,
    target: Target,
    now: DateTime<Utc>,
) -> Result<Outcome, Failure> {
    let (ticket, comment_id, created_ticket, follow_up_of) = match target {
        Target::Reply(id) => {
            let done = comment::comment_tx(
                conn,
                rules,
                id,
                &NewComment {
                    body: mail.text.clone(),
                    public: true,
                    author: AuthorKind::Customer,
                    status: None,
                    hold_reason: None,
                    keep_hold: false,
                    if_version: None,
                },
                None,
                now,
            )?;
            // On a closed ticket the comment starts a follow-up: a ticket created.
            let created = done.follow_up_of.is_some();
            (
                done.ticket,
                Some(done.comment.id),
                created,
                done.follow_up_of,
            )
        }
        Target::New(requester) => {
            let subject: String = mail
                .subject
                .as_deref()
                .unwrap_or(NO_SUBJECT)
                .chars()
                .take(super::MAX_SUBJECT)
                .collect();
            let command = NewTicket {
                requester,
                fields: TicketFields {
                    subject,
                    description: mail.text.clone(),
                    channel: Some(TicketChannel::Email),
                    category: None,
                    tags: Vec::new(),
                    requester_id: None,
                    organization_id: None,
                    site_id: None,
                    team_id: None,
                    asset_id: None,
                    custom_fields: Default::default(),
                },
                description_author: AuthorKind::Customer,
                priority: TicketPriority::Normal,
                assignee: None,
                status: None,
            };
            let ticket = create::create_tx(conn, rules, &command, None, now)?;
            let comment_id = model::first_comment_id(conn, ticket.id)?;
            (ticket, comment_id, true, None)
        }
    };
    let recorded = model::insert_tx(
        conn,
        &NewInboundMessage {
            message_id: &mail.message_id,
            ticket_id: ticket.id,
            comment_id,
            created_ticket,
            sender: mail.sender.as_str(),
            received_at: now,
            follow_up_of: follow_up_of.map(TicketId::get),
            raw_sha256: &mail.raw_sha256,
        },
    )?;
    if !recorded {
        return Err(Failure::AlreadyRecorded);
    }
    Ok(Outcome {
        ticket_id: TicketId::new(ticket.id),
        ticket_number: ticket.number,
        comment_id,
        created_ticket,
        follow_up_of,
        duplicate: false,
    })
}
