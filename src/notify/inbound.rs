//! A customer's email as `POST /api/v1/inbound/email` receives it: the raw RFC 5322 message
//! parsed (mail-parser: MIME, encoded words, charsets, quoted-printable, base64) into the few
//! facts the use case [`crate::tickets::inbound`] needs.
//!
//! - **Sender**: the first address of `From` (not `Reply-To`, which anyone can set to anything
//!   and which mailing lists rewrite; the requester check compares this address).
//! - **Text**: the first `text/plain` body part, else the first `text/html` part converted to
//!   text; then cleaned and stripped of quoted history and signature
//!   ([`crate::domain::inbound::reply_text`]) and cut to a comment's 65,536 characters.
//! - **Ticket references**: the ticket numbers our own ids name in `In-Reply-To`, then in
//!   `References` (newest first), through [`super::thread::ticket_number`]; and the number the
//!   subject quotes ([`crate::domain::inbound::subject_ticket_number`]).
//! - **Message-ID**: without angle brackets; a message without one (or with one longer than 998
//!   characters) gets `sha256-<hex of the raw bytes>@inbound.invalid`, so that a redelivery of
//!   the same bytes is still recognised. With the sender and the SHA-256 of the raw bytes it
//!   tells a redelivery from another message reusing the id.
//! - **Machine-sent**: a bounce, an auto-reply or a mailing list's message, from the top-level
//!   headers and the sender ([`crate::domain::inbound::machine_sent`]).

use super::thread;
use crate::domain::email::EmailAddress;
use crate::domain::inbound::{
    MachineSent, clean_text, clip_text, machine_sent, reply_text, subject_ticket_number,
};
use crate::error::ApiError;
use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// Longest `Message-ID` kept, characters (RFC 5322's line limit; the column's check).
pub const MAX_MESSAGE_ID: usize = 998;

/// The facts of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// `Message-ID` without angle brackets (or the synthesised `sha256-…@inbound.invalid`).
    pub message_id: String,
    /// The `From` address, normalised (lower case).
    pub sender: EmailAddress,
    /// The `From` display name, decoded and trimmed (`None` when absent or blank).
    pub sender_name: Option<String>,
    /// The subject, decoded and trimmed (`None` when absent or blank).
    pub subject: Option<String>,
    /// The sender's own text: quoted history and signature stripped, never empty.
    pub text: String,
    /// Ticket numbers named by our ids in `In-Reply-To`, then `References` (newest first), each
    /// once.
    pub referenced_numbers: Vec<i64>,
    /// The ticket number the subject quotes.
    pub subject_number: Option<i64>,
    /// Sent by a machine (a bounce, an auto-reply, a mailing list), and why: see
    /// [`crate::domain::inbound::machine_sent`]. `None` for a person's message.
    pub machine_sent: Option<MachineSent>,
    /// The SHA-256 of the raw bytes, 64 lower-case hex digits: with the sender, what tells a
    /// redelivery from another message reusing the same `Message-ID`.
    pub raw_sha256: String,
}

/// Parses `raw`; our `Message-ID`s end in `@message_id_domain`.
///
/// # Errors
/// 422 naming `message` for an empty message, one that does not start with a header field,
/// or malformed MIME (a multipart part without a boundary, or whose boundary never occurs);
/// `from` for a missing or unusable `From` address; `body` for a message without a text or HTML
/// part, or whose text is blank.
pub fn parse(raw: &[u8], message_id_domain: &str) -> Result<InboundMail, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_field("message", "is empty"));
    }
    if !starts_with_header_field(raw) {
        return Err(ApiError::invalid_field(
            "message",
            "is not an RFC 5322 message: it does not start with a header field",
        ));
    }
    let message = MessageParser::default().parse(raw).ok_or_else(|| {
        ApiError::invalid_field("message", "is not an RFC 5322 message: no header fields")
    })?;
    for part in &message.parts {
        if let Some(ct) = part.content_type()
            && ct.ctype().eq_ignore_ascii_case("multipart")
        {
            let Some(boundary) = ct.attribute("boundary").filter(|b| !b.is_empty()) else {
                return Err(ApiError::invalid_field(
                    "message",
                    "malformed MIME: a multipart part has no boundary",
                ));
            };
            let delimiter = format!("--{boundary}");
            if !contains(raw, delimiter.as_bytes()) {
                return Err(ApiError::invalid_field(
                    "message",
                    "malformed MIME: a multipart boundary never occurs in the body",
                ));
            }
        }
    }

    let from = message
        .from()
        .and_then(|a| a.first())
        .ok_or_else(|| ApiError::invalid_field("from", "is required"))?;
    let sender = from
        .address()
        .ok_or_else(|| ApiError::invalid_field("from", "has no address"))
        .and_then(|a| {
            EmailAddress::parse(a)
                .map_err(|m| ApiError::invalid_field("from", format!("address {m}")))
        })?;
    let sender_name = from.name().map(clean_line).filter(|n| !n.is_empty());

    let text = message.body_text(0).ok_or_else(|| {
        ApiError::invalid_field("body", "the message has no text/plain or text/html part")
    })?;
    let text = clean_text(&text);
    if text.trim().is_empty() {
        return Err(ApiError::invalid_field(
            "body",
            "the message's text is blank",
        ));
    }
    let text = clip_text(reply_text(&text));

    let mut referenced_numbers = Vec::new();
    let references = ids(message.references());
    for id in ids(message.in_reply_to())
        .into_iter()
        .chain(references.into_iter().rev())
    {
        if let Some(n) = thread::ticket_number(id, message_id_domain)
            && !referenced_numbers.contains(&n)
        {
            referenced_numbers.push(n);
        }
    }

    let subject = message.subject().map(clean_line).filter(|s| !s.is_empty());
    let subject_number = subject.as_deref().and_then(subject_ticket_number);
    let message_id = message
        .message_id()
        .map(clean_line)
        .filter(|id| !id.is_empty() && id.chars().count() <= MAX_MESSAGE_ID)
        .unwrap_or_else(|| synthetic_message_id(raw));
    let machine_sent = machine_sent(|name| message.header_raw(name.to_string()), sender.as_str());
    Ok(InboundMail {
        message_id,
        sender,
        sender_name,
        subject,
        text,
        referenced_numbers,
        subject_number,
        machine_sent,
        raw_sha256: sha256_hex(raw),
    })
}

/// The id of a message without a usable `Message-ID`: `sha256-<hex>@inbound.invalid`, the
/// SHA-256 of its raw bytes (`.invalid` is reserved: it can never collide with a real id).
pub fn synthetic_message_id(raw: &[u8]) -> String {
    format!("sha256-{}@inbound.invalid", sha256_hex(raw))
}

/// The SHA-256 of `raw`, 64 lower-case hex digits.
pub fn sha256_hex(raw: &[u8]) -> String {
    Sha256::digest(raw)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first line is a header field: `name:` with a name of printable ASCII (RFC 5322 §2.2).
fn starts_with_header_field(raw: &[u8]) -> bool {
    let name_len = raw
        .iter()
        .take_while(|b| b.is_ascii_graphic() && **b != b':')
        .count();
    name_len > 0 && raw.get(name_len) == Some(&b':')
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One line of header text: control characters gone, spaces trimmed.
fn clean_line(s: &str) -> String {
    clean_text(s).replace(['\n', '\t'], " ").trim().to_string()
}

/// The message ids of an `In-Reply-To` or `References` value.
fn ids<'a>(value: &'a HeaderValue<'a>) -> Vec<&'a str> {
    match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(AsRef::as_ref).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "frontline.local";

    fn field(e: ApiError) -> String {
        match e {
            ApiError::Validation { errors, .. } => errors.into_keys().collect(),
            other => panic!("not a 422: {other:?}"),
        }
    }

    #[test]
    fn a_reply_gives_its_sender_text_and_ticket() {
        let raw = "From: Rosa Diaz <Rosa@Example.com>\r\nTo: support@frontline.local\r\nSubject: Re: [#12] Kiosk down\r\nMessage-ID: <CAF1@mail.example.com>\r\nIn-Reply-To: <ticket-12.5@frontline.local>\r\nReferences: <ticket-12@frontline.local> <ticket-9.3@frontline.local> <x@elsewhere.example>\r\n\r\nIt works now.\r\n\r\nOn Tue, Dec 1, 2026 at 9:14 AM Frontline <support@frontline.local> wrote:\r\n> We restarted it.\r\n";
        let mail = parse(raw.as_bytes(), DOMAIN).unwrap();
        assert_eq!(mail.message_id, "CAF1@mail.example.com");
        assert_eq!(mail.sender.as_str(), "rosa@example.com");
        assert_eq!(mail.sender_name.as_deref(), Some("Rosa Diaz"));
        assert_eq!(mail.subject.as_deref(), Some("Re: [#12] Kiosk down"));
        assert_eq!(mail.text, "It works now.");
        assert_eq!(mail.referenced_numbers, vec![12, 9]);
        assert_eq!(mail.subject_number, Some(12));
        assert_eq!(mail.machine_sent, None);
        assert_eq!(mail.raw_sha256, sha256_hex(raw.as_bytes()));
        assert_eq!(mail.raw_sha256.len(), 64);
    }

    #[test]
    fn encoded_words_quoted_printable_and_html_only_parts_are_decoded() {
        let raw = "From: =?UTF-8?Q?Ren=C3=A9e_L=C3=B3pez?= <renee@example.com>\r\nSubject: =?UTF-8?B?Q2Fmw6kgZmVybcOp?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nLe caf=C3=A9 est ferm=C3=A9.\r\n--b1\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>Le caf&eacute; est ferm&eacute;.</p>\r\n--b1--\r\n";
        let mail = parse(raw.as_bytes(), DOMAIN).unwrap();
        assert_eq!(mail.sender_name.as_deref(), Some("Renée López"));
        assert_eq!(mail.subject.as_deref(), Some("Café fermé"));
        assert_eq!(mail.text, "Le café est fermé.");
        assert!(mail.message_id.starts_with("sha256-"));
        assert!(mail.message_id.ends_with("@inbound.invalid"));
        assert_eq!(mail.message_id, synthetic_message_id(raw.as_bytes()));
        let html = "From: a@example.com\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>Phone <b>3</b> is dead.</p>\r\n";
        assert_eq!(
            parse(html.as_bytes(), DOMAIN).unwrap().text,
            "Phone 3 is dead."
        );
    }

    #[test]
    fn automatic_messages_are_flagged() {
        let raw = "From: rosa@example.com\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nI am away.\r\n";
        assert_eq!(
            parse(raw.as_bytes(), DOMAIN).unwrap().machine_sent,
            Some(MachineSent::AutoReply)
        );
        let bounce = "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"r1\"\r\n\r\n--r1\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n--r1--\r\n";
        assert_eq!(
            parse(bounce.as_bytes(), DOMAIN).unwrap().machine_sent,
            Some(MachineSent::Bounce)
        );
        let list = "From: Shop <noreply@shop.example>\r\nList-Id: <news.shop.example>\r\nSubject: Sale\r\n\r\nAll kiosks 20% off.\r\n";
        assert!(
            parse(list.as_bytes(), DOMAIN)
                .unwrap()
                .machine_sent
                .is_some()
        );
    }

    #[test]
    fn malformed_messages_name_what_is_wrong() {
        for (raw, expected) in [
            ("", "message"),
            ("  \r\n", "message"),
            ("this is not an email at all", "message"),
            ("\r\nFrom: a@example.com\r\n\r\nhi", "message"),
            (
                "From: a@example.com\r\nContent-Type: multipart/alternative\r\n\r\nhello\r\n",
                "message",
            ),
            (
                "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\n--abc\r\nContent-Type: text/plain\r\n\r\nhi\r\n--abc--\r\n",
                "message",
            ),
            ("Subject: hi\r\n\r\nhello\r\n", "from"),
            ("From: Rosa\r\n\r\nhello\r\n", "from"),
            ("From: <not-an-address>\r\n\r\nhello\r\n", "from"),
            (
                "From: a@example.com\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n",
                "body",
            ),
            ("From: a@example.com\r\nSubject: hi\r\n\r\n  \r\n", "body"),
        ] {
            let e = parse(raw.as_bytes(), DOMAIN).unwrap_err();
            assert_eq!(field(e), expected, "{raw:?}");
        }
    }
}
