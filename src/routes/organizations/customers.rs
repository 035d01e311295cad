//! Customers (requesters): created, found or created by email or phone, edited, listed.

use super::{DirectoryQuery, READERS, WRITERS};
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::organization::{
    self as model, CUSTOMER_CONSTRAINTS, Customer, CustomerChanges, NewCustomer,
};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::{double_option, parse_email, parse_name, parse_phone};
use crate::routes::pages::ListMeta;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
