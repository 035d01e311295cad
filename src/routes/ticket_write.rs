//! Working tickets: `POST /tickets`, `PATCH /tickets/{id}`, `POST /tickets/{id}/comments`,
//! `GET /tickets/{id}/comments`, `GET /tickets/{id}/events`.
//!
//! Every write is one transaction that locks the ticket, runs the commands through the ticket
//! aggregate (the same code as the importer), appends the events, stores the row and refreshes the
//! metric projection. Admins and agents write; managers read; technicians see only tickets with a
//! work order assigned to them (404 otherwise).

use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::ticket::{
    AuthorKind, ClosePolicy, Command, CommandError, Creation, TicketEvent, TicketPriority,
    TicketState, TicketStatus,
};
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::directory;
use crate::models::enums::{TicketChannel, UserRole};
use crate::models::idempotency;
use crate::models::organization::{self as orgs, NewCustomer};
use crate::models::ticket::{
    self as model, Ticket, TicketChangeset, TicketFields, Visibility, state_of,
};
use crate::routes::body::JsonBody;
use crate::routes::directory::{
    CUSTOMER_CONSTRAINTS, CreateCustomerRequest, double_option, parse_name,
};
use crate::routes::tickets::{TicketEventResponse, TicketResponse};
use crate::schema::{comments, ticket_links};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const WRITERS: &[UserRole] = &[UserRole::Admin, UserRole::Agent];
const MAX_SUBJECT: usize = 250;
const MAX_TAGS: usize = 20;
const MAX_COMMENT: usize = 65_536;

/// Who wrote a description or comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentAuthor {
    /// The calling staff member.
    Agent,
    /// The requester; the agent logs it on their behalf.
    Requester,
}

/// `POST /tickets` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketRequest {
    /// An existing customer; or give `requester` instead.
    pub requester_id: Option<i64>,
    /// A new customer, created with the ticket (the caller on the phone).
    pub requester: Option<CreateCustomerRequest>,
    /// Organization (default: the requester's).
    pub organization_id: Option<i64>,
    /// Site of the organization.
    pub site_id: Option<i64>,
    /// Subject, 1–250 characters.
    pub subject: String,
    /// Description: the first public comment.
    #[serde(default)]
    pub description: String,
    /// Who wrote the description (default: `agent` for `phone` and `field`, `requester` otherwise).
    pub description_author: Option<CommentAuthor>,
    /// Category, e.g. `billing`.
    pub category: Option<String>,
    /// Priority (default `normal`).
    pub priority: Option<TicketPriority>,
    /// Channel the request came through.
    pub channel: TicketChannel,
    /// Tags (trimmed, lower case, unique; at most 20).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Team.
    pub team_id: Option<i64>,
    /// Assignee (an active admin, manager or agent).
    pub assignee_id: Option<i64>,
    /// Initial status other than `new` (e.g. `solved` for a call resolved on the spot).
    pub status: Option<TicketStatus>,
}

/// `PATCH /tickets/{id}` body: absent fields are unchanged; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketRequest {
    /// Subject (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub subject: Option<Option<String>>,
    /// Status, through the state machine (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TicketStatus>)]
    pub status: Option<Option<TicketStatus>>,
    /// Priority (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TicketPriority>)]
    pub priority: Option<Option<TicketPriority>>,
    /// Category (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// Tags (replace the list; `[]` clears, `null` is refused). Tags may change on a closed
    /// ticket.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    /// Requester (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub requester_id: Option<Option<i64>>,
    /// Organization (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    /// Site (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub site_id: Option<Option<i64>>,
    /// Team (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// Assignee (`null` unassigns).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// Why the ticket is on hold (`on_hold.v1` pause reason): `awaiting_parts`,
    /// `awaiting_field_visit`, `facility_access`, `third_party` or `other`; with `status: on_hold`,
    /// or alone on a ticket already on hold.
    pub hold_reason: Option<String>,
}

/// The pause reasons of `on_hold.v1`.
pub const HOLD_REASONS: [&str; 5] = [
    "awaiting_parts",
    "awaiting_field_visit",
    "facility_access",
    "third_party",
    "other",
];

/// `POST /tickets/{id}/comments` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommentRequest {
    /// Text, 1–65,536 characters.
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

/// `GET /tickets/{id}/events` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventListResponse {
    /// The audit trail, oldest first (newest last).
    pub events: Vec<TicketEventResponse>,
}

fn command_error(e: CommandError) -> ApiError {
    match e {
        CommandError::InvalidTransition(t) => ApiError::conflict_on(
            "invalid_transition",
            "status",
            &format!("a {} ticket cannot become {}", t.from, t.to),
        ),
        CommandError::Closed => ApiError::conflict_on(
            "ticket_closed",
            "status",
            "the ticket is closed; only its tags may change",
        ),
        CommandError::SolveWithoutAssignee => {
            ApiError::invalid_field("assignee_id", "is required to solve the ticket")
        }
        CommandError::UnassignSolved => {
            ApiError::invalid_field("assignee_id", "a solved ticket keeps its assignee")
        }
        CommandError::OutOfOrder { .. } => ApiError::Conflict {
            code: "concurrent_update",
            detail: "the ticket changed meanwhile; retry".into(),
            errors: Default::default(),
        },
    }
}

fn parse_tags(field: &str, tags: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.chars().count() > 50 || t.chars().any(char::is_whitespace) {
            return Err(ApiError::invalid_field(
                field,
                "each tag is 1–50 characters without spaces",
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ApiError::invalid_field(field, "at most 20 tags"));
    }
    Ok(out)
}

fn parse_category(value: &str) -> Result<String, ApiError> {
    let v = value.trim().to_lowercase();
    if v.is_empty() || v.chars().count() > 100 {
        return Err(ApiError::invalid_field(
            "category",
            "must be 1–100 characters",
        ));
    }
    Ok(v)
}

fn parse_comment(field: &str, body: &str) -> Result<String, ApiError> {
    if body.trim().is_empty() {
        return Err(ApiError::invalid_field(field, "must not be blank"));
    }
    if body.chars().count() > MAX_COMMENT {
        return Err(ApiError::invalid_field(
            field,
            "must be at most 65536 characters",
        ));
    }
    Ok(body.to_string())
}

/// Checks an assignee: an existing, active admin, manager or agent.
fn check_assignee(conn: &mut PgConnection, id: i64) -> Result<(), ApiError> {
    match directory::get_staff(conn, id).optional()? {
        Some(s) if s.active && s.role != UserRole::Technician => Ok(()),
        Some(s) if !s.active => Err(ApiError::invalid_field("assignee_id", "is not active")),
        Some(_) => Err(ApiError::invalid_field(
            "assignee_id",
            "technicians get work orders, not tickets",
        )),
        None => Err(ApiError::invalid_field(
            "assignee_id",
            "no such staff member",
        )),
    }
}

/// Checks that a site exists and belongs to `organization` (when given); returns its organization.
fn check_site(
    conn: &mut PgConnection,
    site_id: i64,
    organization: Option<i64>,
) -> Result<i64, ApiError> {
    let site = orgs::get_site(conn, site_id)
        .optional()?
        .ok_or_else(|| ApiError::invalid_field("site_id", "no such site"))?;
    if let Some(org) = organization
        && org != site.organization_id
    {
        return Err(ApiError::invalid_field(
            "site_id",
            "belongs to another organization",
        ));
    }
    Ok(site.organization_id)
}

const TICKET_CONSTRAINTS: &[(&str, &str, &str)] = &[
    ("tickets_team_id_fkey", "team_id", "no such team"),
    (
        "tickets_organization_id_fkey",
        "organization_id",
        "no such organization",
    ),
    (
        "tickets_requester_id_fkey",
        "requester_id",
        "no such customer",
    ),
    ("tickets_site_id_fkey", "site_id", "no such site"),
    (
        "tickets_assignee_id_fkey",
        "assignee_id",
        "no such staff member",
    ),
];

/// A validated `POST /tickets` request.
#[derive(Debug, Clone)]
pub struct NewTicketInput {
    requester: Requester,
    fields: TicketFields,
    description_author: CommentAuthor,
    priority: TicketPriority,
    assignee_id: Option<i64>,
    status: Option<TicketStatus>,
}

#[derive(Debug, Clone)]
enum Requester {
    Existing(i64),
    New(NewCustomer),
}

impl TryFrom<CreateTicketRequest> for NewTicketInput {
    type Error = ApiError;

    fn try_from(r: CreateTicketRequest) -> Result<Self, ApiError> {
        let requester = match (r.requester_id, r.requester) {
            (Some(id), None) => Requester::Existing(id),
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
        let description_author = r.description_author.unwrap_or(match r.channel {
            TicketChannel::Phone | TicketChannel::Field => CommentAuthor::Agent,
            _ => CommentAuthor::Requester,
        });
        let description = if r.description.trim().is_empty() {
            String::new()
        } else {
            parse_comment("description", &r.description)?
        };
        Ok(NewTicketInput {
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
            },
            description_author,
            priority: r.priority.unwrap_or(TicketPriority::Normal),
            assignee_id: r.assignee_id,
            status: r.status,
        })
    }
}

/// Creates a ticket inside the caller's transaction.
///
/// # Errors
/// 422 naming the field for unknown references, 409 for a duplicate inline requester email,
/// 409/422 for a status the state machine refuses.
pub fn create_ticket_tx(
    conn: &mut PgConnection,
    input: &NewTicketInput,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<Ticket, ApiError> {
    let mut fields = input.fields.clone();
    let requester = match &input.requester {
        Requester::Existing(id) => orgs::get_customer(conn, *id)
            .optional()?
            .ok_or_else(|| ApiError::invalid_field("requester_id", "no such customer"))?,
        Requester::New(new) => orgs::create_customer(conn, new).map_err(|e| {
            let prefixed: Vec<(&str, String, &str)> = CUSTOMER_CONSTRAINTS
                .iter()
                .map(|(c, f, m)| (*c, format!("requester.{f}"), *m))
                .collect();
            let fields: Vec<(&str, &str, &str)> = prefixed
                .iter()
                .map(|(c, f, m)| (*c, f.as_str(), *m))
                .collect();
            on_constraint(e, &fields)
        })?,
    };
    fields.requester_id = Some(requester.id);
    fields.organization_id = fields.organization_id.or(requester.organization_id);
    if let Some(site) = fields.site_id {
        fields.organization_id = Some(check_site(conn, site, fields.organization_id)?);
    }
    if let Some(assignee) = input.assignee_id {
        check_assignee(conn, assignee)?;
    }

    let agent_comment =
        !fields.description.is_empty() && input.description_author == CommentAuthor::Agent;
    let (mut state, created) = TicketState::create(&Creation {
        at: now,
        created_by: Some(actor),
        with_public_agent_comment: agent_comment,
    });
    let mut events = vec![created];
    let mut bodies = Vec::new();
    let mut apply = |state: &mut TicketState, command: Command| -> Result<(), ApiError> {
        events.extend(
            state
                .apply(&command, now, Some(actor))
                .map_err(command_error)?,
        );
        Ok(())
    };
    if !fields.description.is_empty() {
        bodies.push(fields.description.clone());
        let author = match input.description_author {
            CommentAuthor::Agent => AuthorKind::Agent,
            CommentAuthor::Requester => AuthorKind::Customer,
        };
        apply(
            &mut state,
            Command::Comment {
                author,
                public: true,
            },
        )?;
    }
    if input.priority != TicketPriority::Normal {
        apply(&mut state, Command::SetPriority(Some(input.priority)))?;
    }
    if let Some(assignee) = input.assignee_id {
        apply(&mut state, Command::Assign { assignee })?;
    }
    if let Some(status) = input.status
        && status != state.status
    {
        apply(&mut state, Command::SetStatus(status))?;
    }
    let ticket = model::insert_ticket_tx(conn, &fields, &state, Some(actor), &events, &bodies)
        .map_err(|e| on_constraint(e, TICKET_CONSTRAINTS))?;
    tracing::info!(target: "audit", { ticket.id = ticket.id, user.id = actor }, "ticket created");
    Ok(ticket)
}

fn validate_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let bad = || {
        ApiError::bad_field(
            "Idempotency-Key",
            "must be one value of 1–255 visible ASCII characters",
        )
    };
    let mut values = req.headers().get_all("idempotency-key");
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(bad());
    }
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        })
        .ok_or_else(bad)?;
    Ok(Some(key.to_string()))
}

fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

enum Created {
    New(serde_json::Value, i64, i32),
    Replay(u16, serde_json::Value),
}

/// Creates a ticket. With an `Idempotency-Key` header, a retry with the same key and body replays
/// the stored response (header `Idempotent-Replayed: true`), the same key with another body is
/// 422, and a request whose key is still in flight is 409: no retry ever creates a second ticket.
///
/// Errors: 401; 403 for managers and technicians; 400 for malformed JSON or a bad key; 413 for a
/// body over 64 KiB; 422 naming the field for anything invalid; 409 for a duplicate inline
/// requester email.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = CreateTicketRequest,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
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
    let key = validate_key(&req)?;
    let canonical: serde_json::Value = serde_json::from_slice(&body.raw).unwrap_or_default();
    let hash = idempotency::request_hash("POST", "/api/v1/tickets", &canonical);
    let input = NewTicketInput::try_from(body.value)?;
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            if let Some(key) = &key {
                if !idempotency::try_lock_tx(conn, user.id, key)? {
                    return Err(ApiError::conflict_on(
                        "idempotency_in_flight",
                        "Idempotency-Key",
                        "a request with this key is still being processed; retry shortly",
                    ));
                }
                if let Some(stored) = idempotency::find(conn, user.id, key)? {
                    if stored.request_hash != hash {
                        return Err(ApiError::invalid_field(
                            "Idempotency-Key",
                            "was already used for a different request",
                        ));
                    }
                    let status = u16::try_from(stored.status).unwrap_or(201);
                    return Ok(Created::Replay(status, stored.body));
                }
            }
            let ticket = create_ticket_tx(conn, &input, user.id, Utc::now())?;
            let (id, version) = (ticket.id, ticket.version);
            let body = serde_json::to_value(TicketResponse::from(ticket))
                .map_err(|e| ApiError::Unexpected(e.into()))?;
            if let Some(key) = &key {
                idempotency::store_tx(conn, user.id, key, &hash, 201, &body)?;
            }
            Ok(Created::New(body, id, version))
        })
    })
    .await?;
    Ok(match outcome {
        Created::New(body, id, version) => HttpResponse::Created()
            .insert_header(etag(version))
            .insert_header((header::LOCATION, format!("/api/v1/tickets/{id}")))
            .json(body),
        Created::Replay(status, body) => {
            let status = actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::CREATED);
            let mut response = HttpResponse::build(status);
            response.insert_header(("idempotent-replayed", "true"));
            if let (Some(id), Some(version)) = (body["id"].as_i64(), body["version"].as_i64()) {
                response.insert_header((header::LOCATION, format!("/api/v1/tickets/{id}")));
                response.insert_header((header::ETAG, format!("\"{version}\"")));
            }
            response.json(body)
        }
    })
}

fn if_match(req: &HttpRequest) -> Result<i32, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i32>().ok())
        .ok_or_else(|| ApiError::bad_field("If-Match", "must be the ticket's ETag, e.g. \"3\""))
}

/// Applies a PATCH inside the caller's transaction; `None` when nothing changed.
fn update_ticket_tx(
    conn: &mut PgConnection,
    ticket: &Ticket,
    r: &UpdateTicketRequest,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<Option<Ticket>, ApiError> {
    let mut state = state_of(ticket);
    let mut events: Vec<TicketEvent> = Vec::new();
    let mut changes = TicketChangeset::default();
    let mut apply = |state: &mut TicketState, command: Command| -> Result<(), ApiError> {
        events.extend(
            state
                .apply(&command, now, Some(actor))
                .map_err(command_error)?,
        );
        Ok(())
    };
    let field = |name: &str, from: serde_json::Value, to: serde_json::Value| Command::ChangeField {
        field: name.into(),
        from,
        to,
    };
    use serde_json::json;
    fn required<'a, T>(field: &str, v: &'a Option<Option<T>>) -> Result<Option<&'a T>, ApiError> {
        match v {
            Some(None) => Err(ApiError::invalid_field(field, "cannot be null")),
            Some(Some(v)) => Ok(Some(v)),
            None => Ok(None),
        }
    }
    let subject = required("subject", &r.subject)?;
    let status = required("status", &r.status)?.copied();
    let priority = required("priority", &r.priority)?.copied();
    let tags = required("tags", &r.tags)?;

    if let Some(subject) = subject {
        let subject = parse_name("subject", subject, MAX_SUBJECT)?;
        apply(
            &mut state,
            field("subject", json!(ticket.subject), json!(subject)),
        )?;
        changes.subject = Some(subject);
    }
    if let Some(category) = &r.category {
        let category = category.as_deref().map(parse_category).transpose()?;
        apply(
            &mut state,
            field("category", json!(ticket.category), json!(category)),
        )?;
        changes.category = Some(category);
    }
    if let Some(tags) = tags {
        let tags = parse_tags("tags", tags)?;
        apply(&mut state, field("tags", json!(ticket.tags), json!(tags)))?;
        changes.tags = Some(tags);
    }
    if let Some(requester) = r.requester_id {
        if let Some(id) = requester {
            orgs::get_customer(conn, id)
                .optional()?
                .ok_or_else(|| ApiError::invalid_field("requester_id", "no such customer"))?;
        }
        apply(
            &mut state,
            field("requester_id", json!(ticket.requester_id), json!(requester)),
        )?;
        changes.requester_id = Some(requester);
    }
    let organization = r.organization_id.unwrap_or(ticket.organization_id);
    if let Some(org) = r.organization_id {
        apply(
            &mut state,
            field("organization_id", json!(ticket.organization_id), json!(org)),
        )?;
        changes.organization_id = Some(org);
    }
    let site = r.site_id.unwrap_or(ticket.site_id);
    if let Some(site_id) = site
        && (r.site_id.is_some() || r.organization_id.is_some())
    {
        check_site(conn, site_id, organization)?;
    }
    if let Some(site) = r.site_id {
        apply(
            &mut state,
            field("site_id", json!(ticket.site_id), json!(site)),
        )?;
        changes.site_id = Some(site);
    }
    if let Some(team) = r.team_id {
        apply(
            &mut state,
            field("team_id", json!(ticket.team_id), json!(team)),
        )?;
        changes.team_id = Some(team);
    }
    match r.assignee_id {
        Some(Some(assignee)) => {
            check_assignee(conn, assignee)?;
            apply(&mut state, Command::Assign { assignee })?;
        }
        Some(None) => apply(&mut state, Command::Unassign)?,
        None => {}
    }
    if let Some(priority) = priority
        && priority != state.priority
    {
        apply(&mut state, Command::SetPriority(Some(priority)))?;
    }
    if let Some(reason) = &r.hold_reason {
        if !HOLD_REASONS.contains(&reason.as_str()) {
            return Err(ApiError::invalid_field(
                "hold_reason",
                format!("expected one of {}", HOLD_REASONS.join(", ")),
            ));
        }
        let target = status.unwrap_or(state.status);
        if target != TicketStatus::OnHold {
            return Err(ApiError::invalid_field(
                "hold_reason",
                "only for a ticket that goes or is on hold",
            ));
        }
    }
    if let Some(reason) = &r.hold_reason {
        apply(
            &mut state,
            Command::Hold {
                reason: reason.clone(),
            },
        )?;
    } else if let Some(status) = status
        && status != state.status
    {
        let command = if status == TicketStatus::Closed {
            Command::Close(ClosePolicy::RequireSolved)
        } else {
            Command::SetStatus(status)
        };
        apply(&mut state, command)?;
    }
    if events.is_empty() {
        return Ok(None);
    }
    let saved = model::save_tx(conn, ticket, &state, &changes, &events, &[])
        .map_err(|e| on_constraint(e, TICKET_CONSTRAINTS))?;
    tracing::info!(target: "audit", { ticket.id = ticket.id, user.id = actor }, "ticket updated");
    Ok(Some(saved))
}

/// Edits a ticket: fields, assignment, priority and status (through the state machine).
/// Requires `If-Match` with the ticket's ETag.
///
/// Errors: 428 without `If-Match`; 412 when the ticket changed since that version; 409 for a
/// status change the state machine refuses or any change but tags on a closed ticket; 422 naming
/// the field for invalid values (e.g. solving without an assignee); 404 for an unknown ticket.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets",
    request_body = UpdateTicketRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("If-Match" = String, Header, description = "The ticket's ETag, e.g. \"3\"")),
    responses(
        (status = 200, body = TicketResponse, headers(("ETag" = String))),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateTicketRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let given = if_match(&req)?;
    let id = id.into_inner();
    let request = body.value;
    let visibility = Visibility::of(&user);
    let ticket = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let ticket = model::lock_tx(conn, id, visibility).map_err(|e| match e {
                diesel::result::Error::NotFound => ApiError::NotFound("ticket"),
                other => other.into(),
            })?;
            if ticket.version != given {
                return Err(ApiError::PreconditionFailed {
                    given: given.to_string(),
                    current: ticket.version,
                });
            }
            Ok(update_ticket_tx(conn, &ticket, &request, user.id, Utc::now())?.unwrap_or(ticket))
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(ticket.version))
        .json(TicketResponse::from(ticket)))
}

fn latest_comment(conn: &mut PgConnection, ticket_id: i64) -> QueryResult<CommentResponse> {
    comments::table
        .filter(comments::ticket_id.eq(ticket_id))
        .order(comments::id.desc())
        .select((
            comments::id,
            comments::ticket_id,
            diesel::dsl::sql::<diesel::sql_types::Text>("author_kind::text"),
            comments::author_user_id,
            comments::public,
            comments::body,
            comments::created_at,
        ))
        .first(conn)
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
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
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
    let technician = user.role == UserRole::Technician;
    let id = id.into_inner();
    let visibility = Visibility::of(&user);
    let created = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let ticket = model::lock_tx(conn, id, visibility).map_err(|e| match e {
                diesel::result::Error::NotFound => ApiError::NotFound("ticket"),
                other => other.into(),
            })?;
            if r.author == CommentAuthor::Requester {
                if !r.public {
                    return Err(ApiError::invalid_field(
                        "public",
                        "a requester's comment is public",
                    ));
                }
                if ticket.requester_id.is_none() {
                    return Err(ApiError::invalid_field(
                        "author",
                        "this ticket has no requester",
                    ));
                }
            }
            if technician && (r.public || r.author == CommentAuthor::Requester) {
                return Err(ApiError::invalid_field(
                    "public",
                    "technicians write internal notes only",
                ));
            }
            let now = Utc::now();
            let from_requester = r.author == CommentAuthor::Requester;
            if ticket.status == crate::models::enums::DbTicketStatus::Closed
                && from_requester
                && r.public
            {
                let follow_up = create_follow_up_tx(conn, &ticket, &text, user.id, now)?;
                let comment = latest_comment(conn, follow_up.id)?;
                return Ok(CommentCreatedResponse {
                    comment,
                    ticket: follow_up.into(),
                    follow_up_of: Some(ticket.id),
                });
            }
            let mut state = state_of(&ticket);
            let author = if from_requester {
                AuthorKind::Customer
            } else {
                AuthorKind::Agent
            };
            let events = state
                .apply(
                    &Command::Comment {
                        author,
                        public: r.public,
                    },
                    now,
                    Some(user.id),
                )
                .map_err(command_error)?;
            let saved = model::save_tx(
                conn,
                &ticket,
                &state,
                &TicketChangeset::default(),
                &events,
                std::slice::from_ref(&text),
            )?;
            let comment = latest_comment(conn, saved.id)?;
            Ok(CommentCreatedResponse {
                comment,
                ticket: saved.into(),
                follow_up_of: None,
            })
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(created.ticket.version))
        .json(created))
}

/// A follow-up of a closed ticket: same requester, organization, site, team, channel and category;
/// the requester's comment is its description; linked to the closed ticket.
fn create_follow_up_tx(
    conn: &mut PgConnection,
    closed: &Ticket,
    text: &str,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<Ticket, ApiError> {
    let subject: String = format!("Follow-up: {}", closed.subject)
        .chars()
        .take(MAX_SUBJECT)
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
                .apply(&command, now, Some(actor))
                .map_err(command_error)?,
        );
    }
    let ticket =
        model::insert_ticket_tx(conn, &fields, &state, None, &events, &[text.to_string()])?;
    diesel::insert_into(ticket_links::table)
        .values((
            ticket_links::ticket_id.eq(ticket.id),
            ticket_links::linked_ticket_id.eq(closed.id),
            ticket_links::kind.eq("follow_up"),
        ))
        .execute(conn)?;
    Ok(ticket)
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
    let visibility = Visibility::of(&user);
    let rows = db::run(&state.pool, move |conn| {
        model::get_with_history(conn, id, visibility).map_err(|e| match e {
            diesel::result::Error::NotFound => ApiError::NotFound("ticket"),
            other => other.into(),
        })?;
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

/// A ticket's audit trail, oldest first (newest last).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = EventListResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_events(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let visibility = Visibility::of(&user);
    let (_, events, _) = db::run(&state.pool, move |conn| {
        model::get_with_history(conn, id, visibility).map_err(|e| match e {
            diesel::result::Error::NotFound => ApiError::NotFound("ticket"),
            other => other.into(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(EventListResponse {
        events: events.into_iter().map(Into::into).collect(),
    }))
}
