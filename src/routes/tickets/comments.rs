//! `POST /tickets/{id}/comments` (JSON, or `multipart/form-data` with files) and
//! `GET /tickets/{id}/comments` (each comment with its attachments).

use super::attachments::{self, AttachmentResponse};
use super::{CommentAuthor, TicketResponse, etag};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::{AuthorKind, TicketStatus};
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::ticket::{self as model, CommentRow};
use crate::routes::body::JsonBody;
use crate::routes::fields::parse_comment;
use crate::schema::comments;
use crate::state::AppState;
use crate::tickets::Actor;
use crate::tickets::attach;
use crate::tickets::comment::{self, NewComment};
use crate::tickets::update::HOLD_REASONS;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /tickets/{id}/comments` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommentRequest {
    /// Text, 1–65,536 characters, not blank.
    #[schema(
        max_length = 65536,
        pattern = r"^[^\x00]*[^\x00\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00]*$"
    )]
    pub body: String,
    /// Visible to the requester (default true). Internal notes are `false`.
    #[serde(default = "yes")]
    pub public: bool,
    /// `agent` (default) or `requester` (logged on the requester's behalf; a public one reopens a
    /// pending, on-hold or solved ticket, and on a closed ticket starts a linked follow-up).
    #[serde(default = "agent")]
    pub author: CommentAuthor,
    /// The status to set with the comment, in the same transaction (through the state machine,
    /// as `PATCH /tickets/{id}`; admins and agents only): reply and solve, note and put on hold.
    /// Refused (409 naming `status`, 422 naming the field) → nothing is written, the comment
    /// neither.
    pub status: Option<TicketStatus>,
    /// Why the ticket goes on hold: `awaiting_parts`, `awaiting_field_visit`, `facility_access`,
    /// `third_party` or `other`; required with `status: on_hold`, alone it changes the reason of a
    /// ticket already on hold.
    #[schema(value_type = Option<crate::routes::openapi::HoldReason>)]
    pub hold_reason: Option<String>,
    /// With `author: requester` on an `on_hold` ticket: log the requester's words ("any
    /// update?") without releasing the hold (default false: a requester's comment reopens the
    /// ticket). 422 naming `keep_hold` on a ticket not on hold, with an agent's comment, or
    /// with `status`/`hold_reason`.
    #[serde(default)]
    pub keep_hold: bool,
}

/// What a manager without the agent role may write: an internal note of their own.
///
/// # Errors
/// 403 naming `public` for a public reply, `author` for a requester's words, `status` or
/// `hold_reason` for a status change.
fn supervisor_may_write(r: &CreateCommentRequest) -> Result<(), ApiError> {
    if r.author == CommentAuthor::Requester {
        return Err(ApiError::forbidden_field(
            "author",
            "a manager logs internal notes only; a requester's words need the agent role too",
        ));
    }
    if r.public {
        return Err(ApiError::forbidden_field(
            "public",
            "a manager writes internal notes (public: false); public replies need the agent role \
             too",
        ));
    }
    for (field, set) in [
        ("status", r.status.is_some()),
        ("hold_reason", r.hold_reason.is_some()),
    ] {
        if set {
            return Err(ApiError::forbidden_field(
                field,
                "a manager does not change the status; that needs the agent role too",
            ));
        }
    }
    Ok(())
}

fn yes() -> bool {
    true
}

fn agent() -> CommentAuthor {
    CommentAuthor::Agent
}

/// A comment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentResponse {
    /// Id.
    pub id: i64,
    /// Ticket.
    pub ticket_id: i64,
    /// `agent`, `customer` or `system`.
    pub author_kind: String,
    /// Staff author.
    pub author_user_id: Option<i64>,
    /// Visible to the requester.
    pub public: bool,
    /// Text.
    pub body: String,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
    /// Its files (docs/TICKETS.md, Attachments), oldest first.
    #[serde(default)]
    pub attachments: Vec<AttachmentResponse>,
}

impl From<CommentRow> for CommentResponse {
    fn from(c: CommentRow) -> Self {
        CommentResponse {
            id: c.id,
            ticket_id: c.ticket_id,
            author_kind: c.author_kind.as_str().to_string(),
            author_user_id: c.author_user_id,
            public: c.public,
            body: c.body,
            created_at: c.created_at,
            attachments: Vec::new(),
        }
    }
}

/// `POST /tickets/{id}/comments` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentCreatedResponse {
    /// The comment.
    pub comment: CommentResponse,
    /// The ticket after the comment (the new follow-up ticket when the commented one was closed).
    pub ticket: TicketResponse,
    /// Set when a follow-up was created: the closed ticket it follows.
    pub follow_up_of: Option<i64>,
}

/// `GET /tickets/{id}/comments` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentListResponse {
    /// Comments, oldest first.
    pub comments: Vec<CommentResponse>,
}

/// Adds a comment, and with `status` (and `hold_reason`) sets the ticket's status in the same
/// transaction: the events and metrics are those of the comment followed by the status change
/// (as two calls at the same instant would leave them). A requester's public comment reopens a
/// pending, on-hold or solved ticket (`keep_hold: true` keeps an on-hold ticket on hold); on a
/// closed ticket it creates a follow-up ticket linked to it (201 with `follow_up_of`).
/// `If-Match` is optional: when sent, the ticket must still have that version.
///
/// Managers (supervisors) write internal notes only (`public: false`, `author: agent`, no
/// status) unless given the agent role too (`also_agent`).
///
/// Errors: 403 naming `public` (or `author`, `status`, `hold_reason`) for what a manager may not
/// write; 409 for an agent comment on a closed ticket or a status the state machine refuses
/// (naming `status`; nothing is written); 412 for a stale `If-Match` (or `null`); 422 naming the field for a
/// blank or oversized body, an unknown `hold_reason`, `on_hold` without one, or a `keep_hold`
/// that does not apply; 403 when a technician sends a status; 404 for an unknown ticket.
///
/// With files: send `multipart/form-data`, the same fields as form fields and each file as an
/// `attachments` part (docs/TICKETS.md, Attachments). Each file at most
/// `attachments.max_bytes` (413 naming `attachments`), at most `attachments.max_files` files, of
/// a type allowed as sniffed from its bytes (422 naming `attachments`), passed by the virus-scan
/// hook when one is configured (422; 503 when it fails). The files are written with the comment
/// or not at all, each an `attachment_added` event after the comment's.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets",
    request_body(content(
        (CreateCommentRequest = "application/json"),
        (super::attachments::CreateCommentForm = "multipart/form-data"))),
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("If-Match" = Option<String>, Header, description = "Optional: the ticket's ETag, e.g. \"3\"",
            pattern = r#"^(?:W/)?"*[+-]?[0-9]{1,9}"*$"#)),
    responses(
        (status = 201, body = CommentCreatedResponse, headers(("ETag" = String))),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let mut payload = payload.into_inner();
    let (r, uploads) = if attachments::is_multipart(&req) {
        attachments::read_comment_form::<CreateCommentRequest>(&req, payload, &state.settings)
            .await?
    } else {
        let body = JsonBody::<CreateCommentRequest>::from_request(&req, &mut payload).await;
        match body {
            Ok(body) => (body.value, Vec::new()),
            Err(ApiError::UnsupportedMediaType(_)) => {
                return Err(ApiError::UnsupportedMediaType(
                    "application/json or multipart/form-data",
                ));
            }
            Err(e) => return Err(e),
        }
    };
    // Technicians may add internal notes to tickets with a work order assigned to them; the
    // visibility rule below answers 404 for every other ticket.
    // Managers (supervisors) add internal notes; public replies need the agent role too.
    user.require(&[
        UserRole::Admin,
        UserRole::Agent,
        UserRole::Technician,
        UserRole::Manager,
    ])?;
    if user.is_supervisor_only() {
        supervisor_may_write(&r)?;
    }
    if r.status.is_some() || r.hold_reason.is_some() {
        // Setting a status is a ticket edit: the roles of `PATCH /tickets/{id}`.
        user.require(super::WRITERS)?;
    }
    // `If-Match: null` (a client's JSON null written out) names no version of the ticket
    // (versions start at 1): it can never match, 412 as for a stale one. Any other value that
    // is not an ETag is a 400 naming `If-Match`.
    let if_version = match req.headers().get(header::IF_MATCH) {
        Some(v) if v.as_bytes().eq_ignore_ascii_case(b"null") => Some(0),
        Some(_) => Some(super::update::if_match(&req)?),
        None => None,
    };
    let text = parse_comment("body", &r.body)?;
    if let Some(reason) = &r.hold_reason
        && !HOLD_REASONS.contains(&reason.as_str())
    {
        return Err(ApiError::invalid_field(
            "hold_reason",
            format!("expected one of {}", HOLD_REASONS.join(", ")),
        ));
    }
    let comment = NewComment {
        body: text,
        public: r.public,
        author: match r.author {
            CommentAuthor::Agent => AuthorKind::Agent,
            CommentAuthor::Requester => AuthorKind::Customer,
        },
        status: r.status,
        hold_reason: r.hold_reason,
        keep_hold: r.keep_hold,
        if_version,
    };
    let id = TicketId::new(id.into_inner());
    let visibility = user.visibility();
    let rules = state.rules.clone();
    let files = attachments::prepare_files(&state.settings, uploads).await?;
    attachments::store_files(state.attachments.as_ref(), &files).await?;
    let stored: Vec<_> = files.iter().map(|(f, _)| f.clone()).collect();
    let created = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let now = Utc::now();
            let done = comment::comment_tx(
                conn,
                &rules,
                id,
                &comment,
                Some(Actor {
                    id: UserId::new(user.id),
                    visibility,
                }),
                now,
            )?;
            let files = attach::attach_tx(
                conn,
                done.comment.ticket_id,
                done.comment.id,
                &stored,
                Some(UserId::new(user.id)),
                now,
            )?;
            let mut comment: CommentResponse = done.comment.into();
            comment.attachments = files.into_iter().map(Into::into).collect();
            Ok(CommentCreatedResponse {
                comment,
                ticket: TicketResponse::read(conn, done.ticket)?,
                follow_up_of: done.follow_up_of.map(TicketId::get),
            })
        })
    })
    .await;
    let created = match created {
        Ok(created) => created,
        Err(e) => {
            attachments::discard(state.attachments.as_ref(), &files).await;
            return Err(e);
        }
    };
    Ok(HttpResponse::Created()
        .insert_header(etag(created.ticket.version))
        .json(created))
}

/// A ticket's comments, oldest first (internal notes included: staff only).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/comments", tag = "tickets",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = CommentListResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_comments(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let visibility = user.visibility();
    let rows = db::run(&state.pool, move |conn| {
        model::check_visible(conn, id, visibility).map_err(ApiError::not_found("ticket"))?;
        let rows: Vec<CommentRow> = comments::table
            .filter(comments::ticket_id.eq(id))
            .order(comments::id.asc())
            .select(CommentRow::as_select())
            .load(conn)?;
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let mut files = attachments::by_comment(conn, &ids)?;
        Ok(rows
            .into_iter()
            .map(|c| {
                let id = c.id;
                let mut comment = CommentResponse::from(c);
                comment.attachments = files.remove(&id).unwrap_or_default();
                comment
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(CommentListResponse { comments: rows }))
}
