//! Organizations, sites and customers (rows in [`crate::models::organization`]; the `directory`
//! tag of the API): what agents look up and create while on the phone.
//!
//! Roles: admins and agents create and edit; managers read; technicians may read sites only.
//! Lists are ordered by id with keyset pagination (`cursor` = the last id seen).

mod customers;
mod sites;

pub use customers::*;
pub use sites::*;

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::organization::{self as model, Organization};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::parse_name;
use crate::routes::pages::{ListMeta, parse_id_cursor, per_page};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const READERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager, UserRole::Agent];
const WRITERS: &[UserRole] = &[UserRole::Admin, UserRole::Agent];

/// Query of the directory lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Case-insensitive search (organizations: name; sites: name or address; customers: name,
    /// email or phone), at most 200 characters.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only this organization's customers or sites.
    pub organization_id: Option<i64>,
    /// `meta.next_cursor` of the previous page (the last id seen).
    #[param(value_type = Option<i64>)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

impl DirectoryQuery {
    fn page(&self) -> Result<(Option<i64>, i64), ApiError> {
        if self.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiError::invalid_field(
                "q",
                "must be at most 200 characters",
            ));
        }
        let limit = per_page(self.per_page)?;
        let after = parse_id_cursor(self.cursor.as_deref())?;
        Ok((after, limit))
    }
}

// ---------------------------------------------------------------- organizations

/// An organization (a customer institution).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Id in an outside system.
    pub external_id: Option<String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationResponse {
    fn from(o: Organization) -> Self {
        OrganizationResponse {
            id: o.id,
            name: o.name,
            external_id: o.external_id,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// `POST /organizations` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRequest {
    /// Name (1–200 characters).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// Id in an outside system (1–200 characters; unique; set at creation only).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub external_id: Option<String>,
}

/// `PATCH /organizations/{id}` body (the external id cannot be changed: 422 naming
/// `external_id`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameOrganizationRequest {
    /// Name (1–200 characters).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
}

/// `GET /organizations` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationListResponse {
    /// Organizations by id.
    pub organizations: Vec<OrganizationResponse>,
    /// Pagination.
    pub meta: ListMeta,
}

/// Creates an organization (admin, agent). 422 for a blank name; 409 for a taken external id.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "directory",
    request_body = OrganizationRequest, security(("bearer" = [])),
    responses((status = 201, body = OrganizationResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<OrganizationRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let name = parse_name("name", &body.value.name, 200)?;
    let external = body
        .value
        .external_id
        .as_deref()
        .map(|e| parse_name("external_id", e, 200))
        .transpose()?;
    let org = db::run(&state.pool, move |conn| {
        model::create_organization(conn, &name, external.as_deref()).map_err(|e| {
            on_constraint(
                e,
                &[(
                    "organizations_external_id_key",
                    "external_id",
                    "is already in use",
                )],
            )
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(OrganizationResponse::from(org)))
}

/// Renames an organization (admin, agent).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "directory",
    request_body = RenameOrganizationRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<RenameOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let name = parse_name("name", &body.value.name, 200)?;
    let id = id.into_inner();
    let org = db::run(&state.pool, move |conn| {
        model::rename_organization(conn, id, &name, Utc::now())
            .map_err(ApiError::not_found("organization"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(org)))
}

/// One organization.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "directory",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let org = db::run(&state.pool, move |conn| {
        model::get_organization(conn, id).map_err(ApiError::not_found("organization"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(org)))
}

/// Lists organizations, optionally searching names (`q`).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "directory", params(DirectoryQuery),
    security(("bearer" = [])), responses((status = 200, body = OrganizationListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_organizations(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<DirectoryQuery>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let (after, limit) = query.page()?;
    let q = query.q.clone();
    let rows = db::run(&state.pool, move |conn| {
        Ok(model::list_organizations(conn, q.as_deref(), after, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|o| o.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(OrganizationListResponse {
        organizations: rows.into_iter().map(Into::into).collect(),
        meta,
    }))
}
