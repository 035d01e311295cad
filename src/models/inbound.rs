//! `inbound_messages`: the inbound emails already processed, each once by `Message-ID`, sender
//! and SHA-256 of the raw bytes (unique together), so that a duplicate delivery is recognised and
//! answered with its first outcome while another message reusing the `Message-ID` is not; and the reads the
//! inbound use case ([`crate::tickets::inbound`]) makes to find a reply's ticket and sender.

use crate::schema::{comments, customers, inbound_messages, tickets};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// An `inbound_messages` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = inbound_messages, check_for_backend(diesel::pg::Pg))]
pub struct InboundMessage {
    /// Id.
    pub id: i64,
    /// `Message-ID` without angle brackets (or the synthesised SHA-256 id).
    pub message_id: String,
    /// The ticket it was written to (a new one when `created_ticket`, the follow-up when
    /// `follow_up_of`).
    pub ticket_id: i64,
    /// The comment it became (NULL once that comment is deleted).
    pub comment_id: Option<i64>,
    /// It started a ticket: a new one (unknown sender or ticket) or a follow-up.
    pub created_ticket: bool,
    /// The sender's address (normalised).
    pub sender: String,
    /// Processed (UTC).
    pub received_at: DateTime<Utc>,
    /// The closed ticket its follow-up follows (a reply to a closed ticket).
    pub follow_up_of: Option<i64>,
    /// SHA-256 of the raw message, hex (`None` for rows recorded before it was kept).
    pub raw_sha256: Option<String>,
}

/// A processed message to record.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = inbound_messages)]
pub struct NewInboundMessage<'a> {
    /// `Message-ID`.
    pub message_id: &'a str,
    /// The ticket written to.
    pub ticket_id: i64,
    /// The comment written.
    pub comment_id: Option<i64>,
    /// A ticket was started (new, or a follow-up).
    pub created_ticket: bool,
    /// The sender's address.
    pub sender: &'a str,
    /// Processed (UTC).
    pub received_at: DateTime<Utc>,
    /// The closed ticket a follow-up was started for.
    pub follow_up_of: Option<i64>,
    /// SHA-256 of the raw message, hex.
    pub raw_sha256: &'a str,
}

/// The message already processed under `message_id` from `sender` (normalised) with the raw
/// bytes' SHA-256 `raw_sha256` (or recorded without a digest), with its ticket's number. A
/// message from another sender or with other bytes under the same `Message-ID` is not it.
///
/// # Errors
/// Database errors.
pub fn find(
    conn: &mut PgConnection,
    message_id: &str,
    sender: &str,
    raw_sha256: &str,
) -> QueryResult<Option<(InboundMessage, i64)>> {
    inbound_messages::table
        .inner_join(tickets::table.on(tickets::id.eq(inbound_messages::ticket_id)))
        .filter(inbound_messages::message_id.eq(message_id))
        .filter(inbound_messages::sender.eq(sender))
        .filter(
            inbound_messages::raw_sha256
                .eq(raw_sha256)
                .or(inbound_messages::raw_sha256.is_null()),
        )
        .order(inbound_messages::id.asc())
        .select((InboundMessage::as_select(), tickets::number))
        .first(conn)
        .optional()
}

/// Records `new` unless a message with its `Message-ID`, sender and digest is already recorded
/// (a concurrent delivery of the same message committed first: the insert waits for it, then
/// does nothing).
/// Returns whether the row was written.
///
/// # Errors
/// Database errors.
pub fn insert_tx(conn: &mut PgConnection, new: &NewInboundMessage<'_>) -> QueryResult<bool> {
    let written = diesel::insert_into(inbound_messages::table)
        .values(new)
        .on_conflict((
            inbound_messages::message_id,
            inbound_messages::sender,
            inbound_messages::raw_sha256,
        ))
        .do_nothing()
        .execute(conn)?;
    Ok(written == 1)
}

/// A ticket a reply names: its id and its requester's email.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct RepliedTicket {
    /// Ticket id.
    pub id: i64,
    /// The requester's normalised email (`None`: no requester, or one without email).
    pub requester_email: Option<String>,
}

/// The ticket numbered `number`, with its requester's email.
///
/// # Errors
/// Database errors.
pub fn ticket_by_number(
    conn: &mut PgConnection,
    number: i64,
) -> QueryResult<Option<RepliedTicket>> {
    tickets::table
        .left_join(customers::table.on(customers::id.nullable().eq(tickets::requester_id)))
        .filter(tickets::number.eq(number))
        .select((tickets::id, customers::email.nullable()))
        .first::<RepliedTicket>(conn)
        .optional()
}

/// The first of tickets numbered `numbers` that exists, in the order given.
///
/// # Errors
/// Database errors.
pub fn first_existing_ticket(
    conn: &mut PgConnection,
    numbers: &[i64],
) -> QueryResult<Option<RepliedTicket>> {
    for number in numbers {
        if let Some(ticket) = ticket_by_number(conn, *number)? {
            return Ok(Some(ticket));
        }
    }
    Ok(None)
}

/// The customer whose (normalised) email is `email`: their id.
///
/// # Errors
/// Database errors.
pub fn customer_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<i64>> {
    customers::table
        .filter(customers::email.eq(email))
        .select(customers::id)
        .first(conn)
        .optional()
}

/// The first comment of ticket `ticket_id` (a new ticket's description).
///
/// # Errors
/// Database errors.
pub fn first_comment_id(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<Option<i64>> {
    comments::table
        .filter(comments::ticket_id.eq(ticket_id))
        .order(comments::id.asc())
        .select(comments::id)
        .first(conn)
        .optional()
}
