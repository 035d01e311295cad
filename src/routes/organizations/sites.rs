//! Sites: the places technicians visit, each of one organization.

use super::{DirectoryQuery, WRITERS};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::organization::{self as model, Site};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::{clip, double_option, parse_name};
use crate::routes::pages::ListMeta;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A site: a place a technician visits.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SiteResponse {
    /// Id.
    pub id: i64,
    /// Owning organization.
    pub organization_id: i64,
    /// Name (unique within the organization).
    pub name: String,
    /// IANA time zone, e.g. `America/Chicago`.
    pub time_zone: String,
    /// Postal address.
    pub address: Option<String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Site> for SiteResponse {
    fn from(s: Site) -> Self {
        SiteResponse {
            id: s.id,
            organization_id: s.organization_id,
            name: s.name,
            time_zone: s.time_zone,
            address: s.address,
            created_at: s.created_at,
        }
    }
}

/// `POST /sites` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSiteRequest {
    /// Owning organization.
    pub organization_id: i64,
    /// Name (1–200 characters).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// IANA time zone (default `UTC`).
    #[schema(value_type = Option<crate::routes::openapi::TimeZoneName>)]
    pub time_zone: Option<String>,
    /// Postal address (at most 500 characters, one line; blank means none).
    #[schema(value_type = Option<crate::routes::openapi::OptionalName500>)]
    pub address: Option<String>,
}

/// `GET /sites` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SiteListResponse {
    /// Sites by id.
    pub sites: Vec<SiteResponse>,
    /// Pagination.
    pub meta: ListMeta,
}

/// Creates a site (admin, agent). 422 for an unknown organization or time zone; 409 for a name
/// already used in the organization.
#[utoipa::path(post, path = "/api/v1/sites", tag = "directory", request_body = CreateSiteRequest,
    security(("bearer" = [])),
    responses((status = 201, body = SiteResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_site(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateSiteRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let req = body.value;
    let name = parse_name("name", &req.name, 200)?;
    let zone = req.time_zone.unwrap_or_else(|| "UTC".into());
    if zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(ApiError::invalid_field(
            "time_zone",
            format!("`{zone}` is not an IANA time zone"),
        ));
    }
    // As `PATCH /sites/{id}` takes it: one line, at most 500 characters (blank: none).
    let address = req
        .address
        .filter(|a| !a.trim().is_empty())
        .map(|a| parse_name("address", &a, 500))
        .transpose()?;
    let site = db::run(&state.pool, move |conn| {
        model::create_site(conn, req.organization_id, &name, &zone, address.as_deref()).map_err(
            |e| {
                on_constraint(
                    e,
                    &[
                        (
                            "sites_organization_id_fkey",
                            "organization_id",
                            "no such organization",
                        ),
                        (
                            "sites_organization_name_key",
                            "name",
                            "is already used in this organization",
                        ),
                    ],
                )
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created().json(SiteResponse::from(site)))
}

/// One site (every staff role).
#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, body = SiteResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_site(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let site = db::run(&state.pool, move |conn| {
        model::get_site(conn, id).map_err(ApiError::not_found("site"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(SiteResponse::from(site)))
}

/// `PATCH /sites/{id}` body: absent fields are unchanged, `null` clears the address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSiteRequest {
    /// Name (1–200 characters; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// IANA time zone (`null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::TimeZoneName>)]
    pub time_zone: Option<String>,
    /// Address, 1–500 characters, one line (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Name500>)]
    pub address: Option<Option<String>>,
}

/// Edits a site (admin, agent).
#[utoipa::path(patch, path = "/api/v1/sites/{id}", tag = "directory",
    request_body = UpdateSiteRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, body = SiteResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_site(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateSiteRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    if let Some(zone) = &r.time_zone
        && zone.parse::<chrono_tz::Tz>().is_err()
    {
        return Err(ApiError::invalid_field(
            "time_zone",
            format!("`{}` is not an IANA time zone", clip(zone)),
        ));
    }
    let changes = model::SiteChanges {
        name: r
            .name
            .as_deref()
            .map(|n| parse_name("name", n, 200))
            .transpose()?,
        time_zone: r.time_zone,
        address: r
            .address
            .map(|a| {
                a.as_deref()
                    .map(|a| parse_name("address", a, 500))
                    .transpose()
            })
            .transpose()?,
    };
    let id = id.into_inner();
    let site = db::run(&state.pool, move |conn| {
        model::update_site(conn, id, &changes).map_err(ApiError::not_found_or_constraint(
            "site",
            &[(
                "sites_organization_name_key",
                "name",
                "is already used in this organization",
            )],
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(SiteResponse::from(site)))
}

/// Lists sites, optionally of one organization (every staff role).
#[utoipa::path(get, path = "/api/v1/sites", tag = "directory", params(DirectoryQuery),
    security(("bearer" = [])), responses((status = 200, body = SiteListResponse)))]
pub async fn list_sites(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: QueryParams<DirectoryQuery>,
) -> ApiResult<HttpResponse> {
    let (after, limit) = query.page()?;
    let org = query.organization_id;
    let q = query.q.clone();
    let rows = db::run(&state.pool, move |conn| {
        Ok(model::list_sites(conn, q.as_deref(), org, after, limit)?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|s| s.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(SiteListResponse {
        sites: rows.into_iter().map(Into::into).collect(),
        meta,
    }))
}
