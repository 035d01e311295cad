//! `POST /tickets`, with `Idempotency-Key` replays.

use super::{CommentAuthor, TicketResponse, WRITERS};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ids::{CustomerId, UserId};
use crate::domain::ticket::{AuthorKind, TicketPriority, TicketStatus};
use crate::error::{ApiError, ApiResult};
use crate::models::enums::TicketChannel;
use crate::models::idempotency;
use crate::models::organization::NewCustomer;
use crate::models::ticket::TicketFields;
use crate::routes::body::JsonBody;
use crate::routes::fields::{parse_category, parse_comment, parse_name, parse_tags};
use crate::routes::idempotent;
use crate::routes::organizations::CreateCustomerRequest;
use crate::state::AppState;
use crate::tickets::MAX_SUBJECT;
use crate::tickets::create::{self, NewTicket, Requester};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /tickets` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketRequest {
    /// An existing customer; or give `requester` instead.
    pub requester_id: Option<i64>,
    /// The caller on the phone: a new customer created with the ticket, or, when a customer
    /// already has this email, that customer (found, unchanged; as Zendesk does).
    pub requester: Option<CreateCustomerRequest>,
    /// Organization (default: the requester's).
    pub organization_id: Option<i64>,
    /// Site of the organization.
    pub site_id: Option<i64>,
    /// Subject, 1–250 characters.
    #[schema(value_type = crate::routes::openapi::Subject)]
    pub subject: String,
    /// Description: the first public comment (at most 65,536 characters; blank: none).
    #[serde(default)]
    #[schema(max_length = 65536)]
    pub description: String,
    /// Who wrote the description (default: `agent` for `phone` and `field`, `requester` otherwise).
    pub description_author: Option<CommentAuthor>,
    /// Category: the key (or the name, case-insensitive) of an active category of the catalogue
    /// (`/ticket-categories`), e.g. `billing`; stored as its key. Any other is a 422 naming
    /// `category` that lists the accepted keys.
    #[schema(value_type = Option<crate::routes::openapi::Category>)]
    pub category: Option<String>,
    /// Priority (default `normal`).
    pub priority: Option<TicketPriority>,
    /// Channel the request came through.
    pub channel: TicketChannel,
    /// Tags (trimmed, lower case, unique; at most 20).
    #[serde(default)]
    #[schema(value_type = Vec<crate::routes::openapi::Tag>, max_items = 20)]
    pub tags: Vec<String>,
    /// Team.
    pub team_id: Option<i64>,
    /// The asset the ticket is about: of the ticket's organization and site, when those are set
    /// (422 naming `asset_id` otherwise).
    pub asset_id: Option<i64>,
    /// Assignee (an active admin, manager or agent).
    pub assignee_id: Option<i64>,
    /// Initial status other than `new` (e.g. `solved` for a call resolved on the spot: then
    /// every required-on-solve custom field needs a value).
    pub status: Option<TicketStatus>,
    /// Custom field values by field key (`/ticket-fields`), e.g.
    /// `{"power_source": "battery", "visits": 2}`; each checked against its field's type (422
    /// naming `custom_fields.<key>`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
}

impl TryFrom<CreateTicketRequest> for NewTicket {
    type Error = ApiError;

    fn try_from(r: CreateTicketRequest) -> Result<Self, ApiError> {
        let requester = match (r.requester_id, r.requester) {
            (Some(id), None) => Requester::Existing(CustomerId::new(id)),
            (None, Some(new)) => Requester::New(NewCustomer::try_from(new).map_err(|e| {
                match e {
                    ApiError::Validation { detail, errors } => ApiError::Validation {
                        detail: format!("requester.{detail}"),
                        errors: errors
                            .into_iter()
                            .map(|(k, v)| (format!("requester.{k}"), v))
                            .collect(),
                    },
                    other => other,
                }
            })?),
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_field(
                    "requester",
                    "give requester_id or requester, not both",
                ));
            }
            (None, None) => {
                return Err(ApiError::invalid_field(
                    "requester_id",
                    "a ticket needs a requester: give requester_id or requester",
                ));
            }
        };
        if r.status == Some(TicketStatus::Closed) {
            return Err(ApiError::invalid_field(
                "status",
                "a ticket is closed only after it is solved",
            ));
        }
        let description_author = match r.description_author.unwrap_or(match r.channel {
            TicketChannel::Phone | TicketChannel::Field => CommentAuthor::Agent,
            _ => CommentAuthor::Requester,
        }) {
            CommentAuthor::Agent => AuthorKind::Agent,
            CommentAuthor::Requester => AuthorKind::Customer,
        };
        let description = if r.description.trim().is_empty() {
            String::new()
        } else {
            parse_comment("description", &r.description)?
        };
        Ok(NewTicket {
            requester,
            fields: TicketFields {
                subject: parse_name("subject", &r.subject, MAX_SUBJECT)?,
                description,
                channel: Some(r.channel),
                category: r.category.as_deref().map(parse_category).transpose()?,
                tags: parse_tags("tags", &r.tags)?,
                requester_id: None,
                organization_id: r.organization_id,
                site_id: r.site_id,
                team_id: r.team_id,
                asset_id: r.asset_id,
                custom_fields: r.custom_fields,
            },
            description_author,
            priority: r.priority.unwrap_or(TicketPriority::Normal),
            assignee: r.assignee_id.map(UserId::new),
            status: r.status,
        })
    }
}

/// Creates a ticket. With an `Idempotency-Key` header, a retry with the same key and body replays
/// the stored response (header `Idempotent-Replayed: true`), the same key with another body is
/// 422, and a request whose key is still in flight is 409: no retry ever creates a second ticket.
///
/// Errors: 401; 403 for managers and technicians; 400 for malformed JSON or a bad key; 413 for a
/// body over 512 KiB; 422 naming the field for anything invalid. An inline `requester` whose
/// email a customer already has is that customer (found, unchanged), as Zendesk does.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = CreateTicketRequest,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Makes retries safe: 1–255 visible ASCII characters", pattern = r"^[!-~]{1,255}$")),
    responses(
        (status = 201, body = TicketResponse, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: JsonBody<CreateTicketRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let key = idempotent::key(&req)?;
    let canonical: serde_json::Value = serde_json::from_slice(&body.raw).unwrap_or_default();
    let hash = idempotency::request_hash("POST", "/api/v1/tickets", &canonical);
    let input = NewTicket::try_from(body.value)?;
    let rules = state.rules.clone();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            idempotent::run_tx(conn, user.id, key.as_deref(), &hash, |conn| {
                let ticket = create::create_tx(
                    conn,
                    &rules,
                    &input,
                    Some(UserId::new(user.id)),
                    Utc::now(),
                )?;
                let body = serde_json::to_value(TicketResponse::read(conn, ticket)?)
                    .map_err(|e| ApiError::Unexpected(e.into()))?;
                Ok((201, body))
            })
        })
    })
    .await?;
    let (status, body, replayed) = outcome.into_parts();
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::CREATED);
    let mut response = HttpResponse::build(status);
    if replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    if let (Some(id), Some(version)) = (body["id"].as_i64(), body["version"].as_i64()) {
        response.insert_header((header::LOCATION, format!("/api/v1/tickets/{id}")));
        response.insert_header((header::ETAG, format!("\"{version}\"")));
    }
    Ok(response.json(body))
}
