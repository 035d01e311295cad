//! Custom ticket fields: `GET`/`POST /ticket-fields`, `GET`/`PATCH /ticket-fields/{id}`.
//!
//! An admin defines a field — a stable `key`, a `label`, a `type` (`text`, `number`, `date`,
//! `dropdown` with its `options`, `checkbox`), `required_on_solve`, `active` and a `position`
//! — and tickets carry values for it (`custom_fields` of `POST`/`PATCH /tickets`, checked by
//! [`crate::tickets::fields`]). The key and type never change; a deactivated field keeps its
//! values on tickets but takes no new ones and is not required. Every staff member reads the
//! definitions (to draw the ticket form).

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::custom_field::{self as model, FIELD_CONSTRAINTS, FieldRow, FieldValues};
use crate::models::enums::UserRole;
use crate::routes::body::JsonBody;
use crate::routes::fields::parse_name;
use crate::state::AppState;
use crate::tickets::fields::FIELD_TYPES;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most options of a drop-down.
const MAX_OPTIONS: usize = 100;

/// `POST /ticket-fields` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFieldRequest {
    /// Stable key, `^[a-z][a-z0-9_]{0,39}$` (never changes): the key of the value in a ticket's
    /// `custom_fields`, of `GET /tickets?field.<key>=` and of `by=field.<key>`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    pub key: String,
    /// Label, 1–100 characters.
    #[schema(value_type = crate::routes::openapi::Name100)]
    pub label: String,
    /// `text`, `number`, `date`, `dropdown` or `checkbox` (never changes).
    #[serde(rename = "type")]
    pub field_type: String,
    /// A drop-down's options (1–100, each 1–100 characters, distinct): the values tickets
    /// store. Only for `dropdown`.
    #[serde(default)]
    pub options: Vec<String>,
    /// A ticket is solved only with a value (a checkbox: checked). Default false.
    #[serde(default)]
    pub required_on_solve: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub active: bool,
    /// Display order (ascending; default 0).
    #[serde(default)]
    pub position: i32,
}

fn yes() -> bool {
    true
}

/// `PATCH /ticket-fields/{id}` body: absent fields are unchanged (the key and type never
/// change).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFieldRequest {
    /// Label, 1–100 characters.
    pub label: Option<String>,
    /// A drop-down's options (replace the list). Tickets keep a value that is no longer an
    /// option until it is changed.
    pub options: Option<Vec<String>>,
    /// Required to solve.
    pub required_on_solve: Option<bool>,
    /// Active.
    pub active: Option<bool>,
    /// Display order.
    pub position: Option<i32>,
}

/// A custom field definition.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldResponse {
    /// Id.
    pub id: i64,
    /// Stable key.
    pub key: String,
    /// Label.
    pub label: String,
    /// `text`, `number`, `date`, `dropdown` or `checkbox`.
    #[serde(rename = "type")]
    pub field_type: String,
    /// A drop-down's options (empty for the other types).
    pub options: Vec<String>,
    /// Required to solve a ticket.
    pub required_on_solve: bool,
    /// Takes values (inactive: tickets keep theirs).
    pub active: bool,
    /// Display order.
    pub position: i32,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<FieldRow> for FieldResponse {
    fn from(f: FieldRow) -> Self {
        FieldResponse {
            id: f.id,
            key: f.key,
            label: f.label,
            field_type: f.field_type,
            options: f.options,
            required_on_solve: f.required_on_solve,
            active: f.active,
            position: f.position,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// `GET /ticket-fields` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldListResponse {
    /// Every definition (inactive ones too), by position then key.
    pub fields: Vec<FieldResponse>,
}

/// A key as fields take it: `^[a-z][a-z0-9_]{0,39}$`.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The options of a field of `field_type`: 1–100 distinct, each 1–100 characters, for a
/// drop-down; none for the other types.
fn parse_options(field_type: &str, options: &[String]) -> Result<Vec<String>, ApiError> {
    if field_type != "dropdown" {
        if !options.is_empty() {
            return Err(ApiError::invalid_field(
                "options",
                "only a dropdown field has options",
            ));
        }
        return Ok(Vec::new());
    }
    if options.is_empty() || options.len() > MAX_OPTIONS {
        return Err(ApiError::invalid_field(
            "options",
            "a dropdown field has 1–100 options",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for o in options {
        let o = parse_name("options", o, 100)?;
        if out.contains(&o) {
            return Err(ApiError::invalid_field(
                "options",
                format!("`{o}` is given twice"),
            ));
        }
        out.push(o);
    }
    Ok(out)
}

/// Defines a custom ticket field (admins).
///
/// Errors: 403 for other roles; 409 naming `key` when taken; 422 naming `key`, `label`, `type`
/// or `options`.
#[utoipa::path(post, path = "/api/v1/ticket-fields", tag = "tickets",
    request_body = CreateFieldRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = FieldResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_field(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateFieldRequest>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin])?;
    let r = body.value;
    if !valid_key(&r.key) {
        return Err(ApiError::invalid_field(
            "key",
            "must match ^[a-z][a-z0-9_]{0,39}$",
        ));
    }
    if !FIELD_TYPES.contains(&r.field_type.as_str()) {
        return Err(ApiError::invalid_field(
            "type",
            format!("expected one of {}", FIELD_TYPES.join(", ")),
        ));
    }
    let values = FieldValues {
        label: parse_name("label", &r.label, 100)?,
        options: parse_options(&r.field_type, &r.options)?,
        required_on_solve: r.required_on_solve,
        active: r.active,
        position: r.position,
    };
    let row = db::run(&state.pool, move |conn| {
        model::insert(conn, &r.key, &r.field_type, &values)
            .map_err(|e| on_constraint(e, FIELD_CONSTRAINTS))
    })
    .await?;
    Ok(HttpResponse::Created().json(FieldResponse::from(row)))
}

/// The custom field definitions (every staff role).
#[utoipa::path(get, path = "/api/v1/ticket-fields", tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = FieldListResponse)))]
pub async fn list_fields(state: web::Data<AppState>, _user: AuthUser) -> ApiResult<HttpResponse> {
    let rows = db::run(&state.pool, move |conn| Ok(model::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(FieldListResponse {
        fields: rows.into_iter().map(Into::into).collect(),
    }))
}

/// One custom field definition (every staff role).
#[utoipa::path(get, path = "/api/v1/ticket-fields/{id}", tag = "tickets",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Field id")),
    responses(
        (status = 200, body = FieldResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_field(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        model::get(conn, id).map_err(ApiError::not_found("ticket field"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(FieldResponse::from(row)))
}

/// Changes a custom field's label, options, required-on-solve, active flag or position
/// (admins; its key and type never change).
///
/// Errors: 403 for other roles; 404; 422 naming `label` or `options`.
#[utoipa::path(patch, path = "/api/v1/ticket-fields/{id}", tag = "tickets",
    request_body = UpdateFieldRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Field id")),
    responses(
        (status = 200, body = FieldResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_field(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateFieldRequest>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin])?;
    let id = id.into_inner();
    let r = body.value;
    let label = r
        .label
        .as_deref()
        .map(|l| parse_name("label", l, 100))
        .transpose()?;
    let row = db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            let before = model::get(conn, id).map_err(ApiError::not_found("ticket field"))?;
            let options = match &r.options {
                Some(o) => parse_options(&before.field_type, o)?,
                None => before.options.clone(),
            };
            let values = FieldValues {
                label: label.unwrap_or(before.label),
                options,
                required_on_solve: r.required_on_solve.unwrap_or(before.required_on_solve),
                active: r.active.unwrap_or(before.active),
                position: r.position.unwrap_or(before.position),
            };
            Ok(model::update(conn, id, &values)?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(FieldResponse::from(row)))
}
