//! The ticket category catalogue: `GET`/`POST /ticket-categories`, `GET`/`PATCH
//! /ticket-categories/{id}`.
//!
//! A category has a stable `key` (what `tickets.category` stores and the API's `category`
//! field carries) and a display `name`. Renaming changes the name only: every ticket of the
//! category, old ones too, shows the new name (`category_name`), and the rename is recorded in
//! the category's `history` (who, when, from, to). A deactivated category stays on its tickets
//! but is no longer accepted for new ones. Every staff member reads the catalogue; admins change
//! it.

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::category::{self as model, CATEGORY_CONSTRAINTS, CategoryEventRow, CategoryRow};
use crate::models::enums::UserRole;
use crate::routes::body::JsonBody;
use crate::routes::fields::{parse_category, parse_name};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /ticket-categories` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    /// Stable key (1–100 characters, stored trimmed and lower-cased; never changes). Default:
    /// the name, trimmed and lower-cased.
    pub key: Option<String>,
    /// Display name, 1–100 characters, unique (case-insensitive).
    #[schema(value_type = crate::routes::openapi::Name100)]
    pub name: String,
}

/// `PATCH /ticket-categories/{id}` body: absent fields are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategoryRequest {
    /// New display name (a rename: recorded in the history; tickets keep the category).
    pub name: Option<String>,
    /// `false`: no longer accepted on tickets (tickets keep it); `true`: accepted again.
    pub active: Option<bool>,
}

/// A category.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryResponse {
    /// Id.
    pub id: i64,
    /// Stable key: the value of a ticket's `category`.
    pub key: String,
    /// Display name (a ticket's `category_name`).
    pub name: String,
    /// Accepted on tickets.
    pub active: bool,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<CategoryRow> for CategoryResponse {
    fn from(c: CategoryRow) -> Self {
        CategoryResponse {
            id: c.id,
            key: c.key,
            name: c.name,
            active: c.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// One event of a category's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryEventResponse {
    /// `created`, `renamed`, `deactivated` or `activated`.
    pub kind: String,
    /// The name before (renames).
    pub from_name: Option<String>,
    /// The name after (creation, renames).
    pub to_name: Option<String>,
    /// Who (`null`: added by the seed or an import).
    pub actor_user_id: Option<i64>,
    /// When (UTC).
    pub occurred_at: DateTime<Utc>,
}

impl From<CategoryEventRow> for CategoryEventResponse {
    fn from(e: CategoryEventRow) -> Self {
        CategoryEventResponse {
            kind: e.kind,
            from_name: e.from_name,
            to_name: e.to_name,
            actor_user_id: e.actor_user_id,
            occurred_at: e.occurred_at,
        }
    }
}

/// `GET /ticket-categories/{id}` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryDetailResponse {
    /// The category.
    #[serde(flatten)]
    pub category: CategoryResponse,
    /// Its history, oldest first.
    pub history: Vec<CategoryEventResponse>,
}

/// `GET /ticket-categories` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryListResponse {
    /// Every category (inactive ones too), by name.
    pub categories: Vec<CategoryResponse>,
}

/// 409 naming `name` when another category has `name` (case-insensitive).
fn check_name_free(
    conn: &mut PgConnection,
    name: &str,
    except: Option<i64>,
) -> Result<(), ApiError> {
    let taken = model::list(conn)?
        .into_iter()
        .any(|c| Some(c.id) != except && c.name.to_lowercase() == name.to_lowercase());
    if taken {
        return Err(ApiError::conflict_on(
            "duplicate",
            "name",
            "another category has this name",
        ));
    }
    Ok(())
}

/// Adds a category to the catalogue (admins).
///
/// Errors: 403 for other roles; 409 naming `key` or `name` when taken; 422 naming `key` or
/// `name` (blank, too long).
#[utoipa::path(post, path = "/api/v1/ticket-categories", tag = "tickets",
    request_body = CreateCategoryRequest, security(("bearer" = [])),
    responses(
        (status = 201, body = CategoryResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_category(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateCategoryRequest>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin])?;
    let r = body.value;
    let name = parse_name("name", &r.name, 100)?;
    let key = match &r.key {
        Some(k) => parse_category(k)
            .map_err(|_| ApiError::invalid_field("key", "must be 1–100 characters"))?,
        None => parse_category(&name)
            .map_err(|_| ApiError::invalid_field("name", "must be 1–100 characters"))?,
    };
    let row = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            check_name_free(conn, &name, None)?;
            model::insert_tx(conn, &key, &name, Some(user.id))
                .map_err(|e| on_constraint(e, CATEGORY_CONSTRAINTS))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(CategoryResponse::from(row)))
}

/// The catalogue (every staff role).
#[utoipa::path(get, path = "/api/v1/ticket-categories", tag = "tickets",
    security(("bearer" = [])),
    responses((status = 200, body = CategoryListResponse)))]
pub async fn list_categories(
    state: web::Data<AppState>,
    _user: AuthUser,
) -> ApiResult<HttpResponse> {
    let rows = db::run(&state.pool, move |conn| Ok(model::list(conn)?)).await?;
    Ok(HttpResponse::Ok().json(CategoryListResponse {
        categories: rows.into_iter().map(Into::into).collect(),
    }))
}

/// One category with its history (every staff role).
#[utoipa::path(get, path = "/api/v1/ticket-categories/{id}", tag = "tickets",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Category id")),
    responses(
        (status = 200, body = CategoryDetailResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_category(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (row, history) = db::run(&state.pool, move |conn| {
        let row = model::get(conn, id).map_err(ApiError::not_found("category"))?;
        Ok((row, model::events(conn, id)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CategoryDetailResponse {
        category: row.into(),
        history: history.into_iter().map(Into::into).collect(),
    }))
}

/// Renames and/or (de)activates a category (admins). A rename keeps the key, so every ticket
/// of the category shows the new name; it is recorded in the category's history.
///
/// Errors: 403 for other roles; 404; 409 naming `name` when another category has it; 422
/// naming `name` (blank, too long).
#[utoipa::path(patch, path = "/api/v1/ticket-categories/{id}", tag = "tickets",
    request_body = UpdateCategoryRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Category id")),
    responses(
        (status = 200, body = CategoryResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_category(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateCategoryRequest>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin])?;
    let id = id.into_inner();
    let r = body.value;
    let name = r
        .name
        .as_deref()
        .map(|n| parse_name("name", n, 100))
        .transpose()?;
    let row = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            if let Some(name) = &name {
                check_name_free(conn, name, Some(id))?;
            }
            model::update_tx(conn, id, name.as_deref(), r.active, user.id)
                .map_err(ApiError::not_found("category"))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(CategoryResponse::from(row)))
}
