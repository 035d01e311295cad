//! `POST /inbound/email`: replies by email. Whatever receives mail for the support address posts
//! each raw RFC 5322 message as the request body: an MTA's pipe (`curl --data-binary @-`), or a
//! relay or adapter that forwards the raw MIME. Services that post form fields or JSON instead
//! (Mailgun's `body-mime`, SendGrid Inbound Parse's `email` field, Postmark's JSON) need a small
//! adapter that extracts the raw message and posts it here: they are not accepted as such. The
//! message becomes the requester's comment on its ticket, or a new ticket
//! ([`crate::tickets::inbound`] holds the rules).
//!
//! - Authentication: the shared secret `email.inbound_secret` in header `X-Inbound-Secret`,
//!   compared in constant time; no staff token. Missing or wrong → 401, nothing read further.
//! - Body: the raw message as `message/rfc822`, `text/plain` or `application/octet-stream`
//!   (415 otherwise), at most `email.inbound_max_bytes` (413, checked against `Content-Length`
//!   and while reading: never more is buffered).
//! - Parsing ([`crate::notify::inbound::parse`]) runs on a blocking thread; a malformed message,
//!   one without `From` or without text is a 422 naming `message`, `from` or `body`.

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::notify::inbound::parse;
use crate::state::AppState;
use crate::tickets::inbound::{self, Received};
use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use futures_util::StreamExt;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The header carrying the shared secret.
pub const SECRET_HEADER: &str = "x-inbound-secret";

/// The media types a raw message may be posted as.
const ACCEPTED: [&str; 3] = ["message/rfc822", "text/plain", "application/octet-stream"];

/// What became of a posted message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InboundEmailResponse {
    /// The ticket written to: the replied ticket, the follow-up of a closed one, or a new ticket
    /// (`null` when ignored).
    pub ticket_id: Option<i64>,
    /// Its number (`null` when ignored).
    pub ticket_number: Option<i64>,
    /// The comment the message's text became (a new ticket's description comment).
    pub comment_id: Option<i64>,
    /// A ticket was started: a new one (the sender is unknown, or the ticket named is not theirs,
    /// or no ticket was named), or the follow-up of a closed ticket (`follow_up_of`).
    pub created_ticket: bool,
    /// The message replied to this closed ticket: a follow-up (`ticket_id`) was started.
    pub follow_up_of: Option<i64>,
    /// The message had been processed before (same `Message-ID`, sender and raw bytes): this is
    /// its first outcome and nothing was written now.
    pub duplicate: bool,
    /// Why nothing was written, the message being sent by a machine: `bounce` (a delivery
    /// report), `auto_reply` (an automatic answer, a no-reply sender, or our own address) or
    /// `mailing_list` (a list or newsletter). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// Receives one raw email. A reply to one of our messages (found by `In-Reply-To` /
/// `References`, or `[#N]` in the subject) from the ticket's requester becomes their public
/// comment, which reopens a pending, on-hold or solved ticket, or on a closed ticket starts a
/// linked follow-up. Any other message (unknown sender or ticket, or a sender who is not the
/// ticket's requester) starts a new ticket on the `email` channel. Quoted history and the
/// signature are stripped. A message is processed once (by `Message-ID`, sender and raw bytes):
/// a redelivery answers 200 with the first outcome and `duplicate: true`; another message
/// reusing a `Message-ID` is processed as a message of its own. Messages sent by a machine are
/// ignored with nothing written (200, `ignored` naming why): `bounce` (`Return-Path: <>`,
/// `MAILER-DAEMON`/`postmaster` senders, `multipart/report` delivery reports), `auto_reply`
/// (`Auto-Submitted` other than `no`, `Precedence: junk|auto_reply`, `X-Autoreply`,
/// `X-Autorespond`, `X-Auto-Reply`, `X-Auto-Response-Suppress` other than `None`, read receipts,
/// `noreply`/`no-reply`/`do-not-reply`/`donotreply` senders, our own address), `mailing_list`
/// (`List-Id`, `List-Unsubscribe`, `Precedence: bulk|list`).
///
/// 201 when a ticket was created (new or follow-up: `created_ticket` is then `true`), 200
/// otherwise. Errors: 401 for a missing or
/// wrong `X-Inbound-Secret`; 413 over `email.inbound_max_bytes`; 415 for another media type;
/// 422 naming `message` (not an RFC 5322 message, malformed MIME), `from` (missing or unusable
/// sender) or `body` (no text); 409 when a concurrent message from the same new sender created
/// their customer first (retry); 400 when the body cannot be read. Nothing is written on any error.
#[utoipa::path(post, path = "/api/v1/inbound/email", tag = "inbound",
    request_body(description = "The raw RFC 5322 message", content(
        (String = "message/rfc822"), (String = "text/plain"), (String = "application/octet-stream"))),
    security(("inbound_secret" = [])),
    responses(
        (status = 200, body = InboundEmailResponse, description = "Threaded onto an existing ticket, a duplicate delivery, or ignored"),
        (status = 201, body = InboundEmailResponse, description = "A ticket was created (new ticket or follow-up)"),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn receive_email(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let email = &state.settings.email;
    check_secret(&req, email.inbound_secret.expose_secret().as_bytes())?;
    check_media_type(&req)?;
    let raw = read_limited(&req, payload, email.inbound_max_bytes).await?;
    let domain = email.message_id_domain.clone();
    let mail = db::blocking(move || parse(&raw, &domain)).await?;
    let rules = state.rules.clone();
    let our_address = email.from_address.clone();
    let now = Utc::now();
    let received = db::run(&state.pool, move |conn| {
        inbound::receive(conn, &rules, &mail, &our_address, now)
    })
    .await?;
    let (status, body) = match received {
        Received::Ignored(reason) => (
            StatusCode::OK,
            InboundEmailResponse {
                ticket_id: None,
                ticket_number: None,
                comment_id: None,
                created_ticket: false,
                follow_up_of: None,
                duplicate: false,
                ignored: Some(reason.as_str().to_string()),
            },
        ),
        Received::Written(o) => (
            if !o.duplicate && o.created_ticket {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            InboundEmailResponse {
                ticket_id: Some(o.ticket_id.get()),
                ticket_number: Some(o.ticket_number),
                comment_id: o.comment_id,
                created_ticket: o.created_ticket,
                follow_up_of: o.follow_up_of.map(|t| t.get()),
                duplicate: o.duplicate,
                ignored: None,
            },
        ),
    };
    Ok(HttpResponse::build(status).json(body))
}

/// 401 unless `X-Inbound-Secret` equals `expected` (an empty configured secret refuses all).
fn check_secret(req: &HttpRequest, expected: &[u8]) -> Result<(), ApiError> {
    match req.headers().get(SECRET_HEADER) {
        Some(given) if !expected.is_empty() && same_secret(given.as_bytes(), expected) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// Equality in constant time: the SHA-256 digests (of equal length whatever the inputs, so the
/// length of the secret does not leak either) are compared with every byte examined.
pub(crate) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    let difference = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// 415 unless the body is one of [`ACCEPTED`] (parameters such as `charset` ignored).
fn check_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    let accepted = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| ACCEPTED.iter().any(|a| v.trim().eq_ignore_ascii_case(a)));
    if accepted {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "message/rfc822, text/plain or application/octet-stream",
        ))
    }
}

/// The body, refused with 413 as soon as it is known to exceed `max` bytes (its declared
/// `Content-Length`, or the bytes read so far).
async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    max: usize,
) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::PayloadTooLarge(max));
    }
    let timeout = crate::routes::body::body_timeout(req);
    let read = async {
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::bad_field("body", e.to_string()))?;
            if body.len() + chunk.len() > max {
                return Err(ApiError::PayloadTooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| ApiError::RequestTimeout(timeout.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_value_only() {
        assert!(same_secret(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcdeF", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcde", b"0123456789abcdef"));
        assert!(!same_secret(b"", b"0123456789abcdef"));
    }
}
