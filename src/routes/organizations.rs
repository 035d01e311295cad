//! Organizations, sites and customers (rows in [`crate::models::organization`]; the `directory`
//! tag of the API): what agents look up and create while on the phone.
//!
//! Roles: admins and agents create and edit; managers read; technicians may read sites only.
//! Lists are ordered by id with keyset pagination (`cursor` = the last id seen).

use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::enums::UserRole;
use crate::models::organization::{
    self as model, CUSTOMER_CONSTRAINTS, Customer, CustomerChanges, NewCustomer, Organization, Site,
};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::{clip, double_option, parse_email, parse_name, parse_phone};
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

// ---------------------------------------------------------------- sites

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

// ---------------------------------------------------------------- customers

/// A customer (a requester).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Email (normalised: trimmed, lower case).
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Organization.
    pub organization_id: Option<i64>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
    /// Unsubscribed from email (by the `List-Unsubscribe` link or an agent): receives no
    /// notice and no survey, and the ticket's log says so.
    pub email_opt_out: bool,
}

impl From<Customer> for CustomerResponse {
    fn from(c: Customer) -> Self {
        CustomerResponse {
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            organization_id: c.organization_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            email_opt_out: c.email_opt_out,
        }
    }
}

/// `POST /customers` body (also the inline requester of `POST /tickets`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerRequest {
    /// Name (1–200 characters).
    #[schema(value_type = crate::routes::openapi::Name200)]
    pub name: String,
    /// Email; normalised; unique.
    #[schema(value_type = Option<crate::routes::openapi::Email>)]
    pub email: Option<String>,
    /// Phone.
    #[schema(value_type = Option<crate::routes::openapi::Phone>)]
    pub phone: Option<String>,
    /// Organization.
    pub organization_id: Option<i64>,
}

impl TryFrom<CreateCustomerRequest> for NewCustomer {
    type Error = ApiError;

    fn try_from(r: CreateCustomerRequest) -> Result<Self, ApiError> {
        Ok(NewCustomer {
            name: parse_name("name", &r.name, 200)?,
            email: r
                .email
                .as_deref()
                .map(|e| parse_email("email", e))
                .transpose()?,
            phone: r
                .phone
                .as_deref()
                .map(|p| parse_phone("phone", p))
                .transpose()?,
            organization_id: r.organization_id,
        })
    }
}

/// `PATCH /customers/{id}` body: absent fields are unchanged, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomerRequest {
    /// Name (1–200 characters; `null`: unchanged).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// Email (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Email>)]
    pub email: Option<Option<String>>,
    /// Phone (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Phone>)]
    pub phone: Option<Option<String>>,
    /// Organization (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    /// Unsubscribed from email (`true`: no notice, no survey).
    pub email_opt_out: Option<bool>,
}

/// `GET /customers` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerListResponse {
    /// Customers by id.
    pub customers: Vec<CustomerResponse>,
    /// Pagination.
    pub meta: ListMeta,
}

/// Creates a customer (admin, agent). 409 naming `email` when it is taken; 422 naming the field
/// for a blank name, a malformed email or phone, an unknown organization.
#[utoipa::path(post, path = "/api/v1/customers", tag = "directory",
    request_body = CreateCustomerRequest, security(("bearer" = [])),
    responses((status = 201, body = CustomerResponse),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_customer(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateCustomerRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let new = NewCustomer::try_from(body.value)?;
    let customer = db::run(&state.pool, move |conn| {
        model::create_customer(conn, &new).map_err(|e| on_constraint(e, CUSTOMER_CONSTRAINTS))
    })
    .await?;
    Ok(HttpResponse::Created().json(CustomerResponse::from(customer)))
}

/// `POST /customers/find-or-create` body: who is calling or writing. At least one of `email`
/// and `phone`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindOrCreateCustomerRequest {
    /// Email: found case-insensitively (stored normalised: trimmed, lower case).
    #[schema(value_type = Option<crate::routes::openapi::Email>)]
    pub email: Option<String>,
    /// Phone, however written: found by its digits, a leading North American `1` of an
    /// 11-digit number ignored (`+1 (555) 010-0199` finds `555.010.0199`).
    #[schema(value_type = Option<crate::routes::openapi::Phone>)]
    pub phone: Option<String>,
    /// Name (1–200 characters): required only when nobody is found and the customer is created.
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub name: Option<String>,
    /// Organization of a created customer (a found one is returned as it is).
    pub organization_id: Option<i64>,
}

/// How `POST /customers/find-or-create` found the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerMatch {
    /// The email matched (checked first).
    Email,
    /// The phone matched (no email given, or nobody had it).
    Phone,
}

/// `POST /customers/find-or-create` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FoundCustomerResponse {
    /// The customer found or created.
    pub customer: CustomerResponse,
    /// What matched; `null` when the customer was created.
    pub matched_by: Option<CustomerMatch>,
}

/// Finds the requester an agent has on the line by email or phone, or creates them: 200 with
/// the customer found (`matched_by`), 201 (and `Location`) with the customer created from the
/// body. The email is looked up first (case-insensitive), then the phone (by its digits, a
/// leading North American `1` ignored: see `customer_phone_key`); a found customer is returned
/// unchanged, whatever else the body says. Admins and agents.
///
/// Errors: 422 naming `email` when neither email nor phone is given, the field of a malformed
/// value, `name` when nobody matched and no name is given, `organization_id` for an unknown
/// organization; 409 naming `phone` when several customers share the phone and no email settles
/// it (pick one with `GET /customers?q=`).
#[utoipa::path(post, path = "/api/v1/customers/find-or-create", tag = "directory",
    request_body = FindOrCreateCustomerRequest, security(("bearer" = [])),
    responses((status = 200, body = FoundCustomerResponse),
        (status = 201, body = FoundCustomerResponse, headers(("Location" = String))),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn find_or_create_customer(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<FindOrCreateCustomerRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let email = r
        .email
        .as_deref()
        .map(|e| parse_email("email", e))
        .transpose()?;
    let phone = r
        .phone
        .as_deref()
        .map(|p| parse_phone("phone", p))
        .transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(ApiError::invalid_field(
            "email",
            "give an email or a phone (or both) to find the customer by",
        ));
    }
    let name = r
        .name
        .as_deref()
        .map(|n| parse_name("name", n, 200))
        .transpose()?;
    let organization_id = r.organization_id;
    let (customer, matched_by) = db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction(|conn| {
            if let Some(email) = &email
                && let Some(found) = model::customer_by_email(conn, email)?
            {
                return Ok((found, Some(CustomerMatch::Email)));
            }
            if let Some(phone) = &phone {
                let mut found = model::customers_by_phone_key(conn, &model::phone_key(phone), 2)?;
                if found.len() > 1 {
                    return Err(ApiError::conflict_on(
                        "ambiguous_phone",
                        "phone",
                        "several customers have this phone number; give their email or pick one \
                         with GET /customers?q=",
                    ));
                }
                if let Some(found) = found.pop() {
                    return Ok((found, Some(CustomerMatch::Phone)));
                }
            }
            let Some(name) = name else {
                return Err(ApiError::invalid_field(
                    "name",
                    "is required to create the customer: nobody has this email or phone",
                ));
            };
            let new = NewCustomer {
                name,
                email: email.clone(),
                phone,
                organization_id,
            };
            match model::create_customer_unless_email_taken(conn, &new)
                .map_err(|e| on_constraint(e, CUSTOMER_CONSTRAINTS))?
            {
                Some(created) => Ok((created, None)),
                // Created meanwhile by a concurrent request: found after all.
                None => {
                    let email = email.unwrap_or_default();
                    let found = model::customer_by_email(conn, &email)?
                        .ok_or(ApiError::NotFound("customer"))?;
                    Ok((found, Some(CustomerMatch::Email)))
                }
            }
        })
    })
    .await?;
    let body = FoundCustomerResponse {
        customer: CustomerResponse::from(customer),
        matched_by,
    };
    Ok(match matched_by {
        Some(_) => HttpResponse::Ok().json(body),
        None => HttpResponse::Created()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/api/v1/customers/{}", body.customer.id),
            ))
            .json(body),
    })
}

/// Edits a customer (admin, agent); same errors as creation, 404 for an unknown id.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "directory",
    request_body = UpdateCustomerRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = CustomerResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_customer(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateCustomerRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let r = body.value;
    let changes = CustomerChanges {
        name: r
            .name
            .as_deref()
            .map(|n| parse_name("name", n, 200))
            .transpose()?,
        email: r
            .email
            .map(|e| e.as_deref().map(|e| parse_email("email", e)).transpose())
            .transpose()?,
        phone: r
            .phone
            .map(|p| p.as_deref().map(|p| parse_phone("phone", p)).transpose())
            .transpose()?,
        organization_id: r.organization_id,
        email_opt_out: r.email_opt_out,
        updated_at: Some(Utc::now()),
    };
    let id = id.into_inner();
    let customer = db::run(&state.pool, move |conn| {
        model::update_customer(conn, id, &changes).map_err(ApiError::not_found_or_constraint(
            "customer",
            CUSTOMER_CONSTRAINTS,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CustomerResponse::from(customer)))
}

/// One customer (admin, manager, agent).
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, body = CustomerResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_customer(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let customer = db::run(&state.pool, move |conn| {
        model::get_customer(conn, id).map_err(ApiError::not_found("customer"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CustomerResponse::from(customer)))
}

/// Searches customers by name, email or phone (`q`), optionally within one organization.
#[utoipa::path(get, path = "/api/v1/customers", tag = "directory", params(DirectoryQuery),
    security(("bearer" = [])), responses((status = 200, body = CustomerListResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_customers(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<DirectoryQuery>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let (after, limit) = query.page()?;
    let q = query.q.clone();
    let org = query.organization_id;
    let rows = db::run(&state.pool, move |conn| {
        Ok(model::list_customers(
            conn,
            q.as_deref(),
            org,
            after,
            limit,
        )?)
    })
    .await?;
    let meta = ListMeta::of_id_page(rows.last().map(|c| c.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(CustomerListResponse {
        customers: rows.into_iter().map(Into::into).collect(),
        meta,
    }))
}
