//! `POST /tickets/{id}/comments/{comment_id}/redactions`: an admin removes text from a comment.

use super::comments::CommentResponse;
use super::etag;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{TicketId, UserId};
use crate::error::ApiResult;
use crate::models::enums::UserRole;
use crate::routes::body::JsonBody;
use crate::state::AppState;
use crate::tickets::redact;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /tickets/{id}/comments/{comment_id}/redactions` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRedactionRequest {
    /// The exact text to remove (case-sensitive, 1–65,536 characters), e.g. a card number as it
    /// was typed: every occurrence in the comment is replaced by `[redacted]`.
    #[schema(min_length = 1, max_length = 65536)]
    pub text: String,
}

/// What a redaction did (never the removed text).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RedactionResponse {
    /// The comment after the redaction.
    pub comment: CommentResponse,
    /// Occurrences replaced.
    pub occurrences: i64,
    /// Characters removed (occurrences × the text's length in characters).
    pub characters_removed: i64,
    /// The ticket's description (its first comment's text) was redacted too.
    pub description_redacted: bool,
    /// The ticket's version after the redaction (its new `ETag`).
    pub ticket_version: i32,
}

/// Redacts text from a comment (admins only): every occurrence becomes `[redacted]` in the
/// comment, the ticket's description when the comment is it, the ticket search, and the
/// notice queued for the reply; the ticket's log records a `comment_redacted` event (who, when,
/// which comment, how many occurrences and characters) without the text. One transaction.
///
/// Errors: 403 for any role but admin; 404 for an unknown ticket or a comment not of that
/// ticket; 422 naming `text` when it is empty or does not occur in the comment.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments/{comment_id}/redactions",
    tag = "tickets", request_body = CreateRedactionRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("comment_id" = i64, Path, description = "Comment id")),
    responses(
        (status = 201, body = RedactionResponse, headers(("ETag" = String))),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_redaction(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
    body: JsonBody<CreateRedactionRequest>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin])?;
    let (id, comment_id) = path.into_inner();
    let text = body.value.text;
    let done = db::run(&state.pool, move |conn| {
        diesel::Connection::transaction(conn, |conn| {
            let done = redact::redact_tx(
                conn,
                TicketId::new(id),
                comment_id,
                &text,
                UserId::new(user.id),
                Utc::now(),
            )?;
            let files = super::attachments::by_comment(conn, &[done.comment.id])?;
            Ok::<_, crate::error::ApiError>((done, files))
        })
    })
    .await?;
    let (done, mut files) = done;
    let mut comment: CommentResponse = done.comment.into();
    comment.attachments = files.remove(&comment.id).unwrap_or_default();
    Ok(HttpResponse::Created()
        .insert_header(etag(done.ticket_version))
        .json(RedactionResponse {
            comment,
            occurrences: done.occurrences,
            characters_removed: done.characters_removed,
            description_redacted: done.description,
            ticket_version: done.ticket_version,
        }))
}
