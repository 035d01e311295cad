//! `POST /tickets/{id}/comments` and `GET /tickets/{id}/comments`.

use super::{CommentAuthor, TicketResponse, etag};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::AuthorKind;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::ticket::{self as model, CommentRow};
use crate::routes::body::JsonBody;
use crate::routes::fields::parse_comment;
use crate::schema::comments;
use crate::state::AppState;
use crate::tickets::Actor;
use crate::tickets::comment::{self, NewComment};
use actix_web::{HttpResponse, web};
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
}

fn yes() -> bool {
    true
}

fn agent() -> CommentAuthor {
    CommentAuthor::Agent
}

/// A comment.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable)]
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

/// Adds a comment. A requester's public comment reopens a pending, on-hold or solved ticket; on a
/// closed ticket it creates a follow-up ticket linked to it (201 with `follow_up_of`).
///
/// Errors: 409 for an agent comment on a closed ticket; 422 naming the field for a blank or
/// oversized body; 404 for an unknown ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets",
    request_body = CreateCommentRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id")),
    responses(
        (status = 201, body = CommentCreatedResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<CreateCommentRequest>,
) -> ApiResult<HttpResponse> {
    // Technicians may add internal notes to tickets with a work order assigned to them; the
    // visibility rule below answers 404 for every other ticket.
    user.require(&[UserRole::Admin, UserRole::Agent, UserRole::Technician])?;
    let r = body.value;
    let text = parse_comment("body", &r.body)?;
    let comment = NewComment {
        body: text,
        public: r.public,
        author: match r.author {
            CommentAuthor::Agent => AuthorKind::Agent,
            CommentAuthor::Requester => AuthorKind::Customer,
        },
    };
    let id = TicketId::new(id.into_inner());
    let visibility = user.visibility();
    let rules = state.rules.clone();
    let created = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let done = comment::comment_tx(
                conn,
                &rules,
                id,
                &comment,
                Some(Actor {
                    id: UserId::new(user.id),
                    visibility,
                }),
                Utc::now(),
            )?;
            Ok(CommentCreatedResponse {
                comment: done.comment.into(),
                ticket: done.ticket.into(),
                follow_up_of: done.follow_up_of.map(TicketId::get),
            })
        })
    })
    .await?;
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
        Ok(comments::table
            .filter(comments::ticket_id.eq(id))
            .order(comments::id.asc())
            .select((
                comments::id,
                comments::ticket_id,
                diesel::dsl::sql::<diesel::sql_types::Text>("author_kind::text"),
                comments::author_user_id,
                comments::public,
                comments::body,
                comments::created_at,
            ))
            .load::<CommentResponse>(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CommentListResponse { comments: rows }))
}
