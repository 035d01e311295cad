//! Assets: the equipment at a site that tickets and work orders are about (rows in
//! [`crate::models::asset`]; the `assets` tag of the API), and an asset's history.
//!
//! Roles: admins and agents create and edit; managers and technicians read. An asset belongs to
//! its site's organization: it may move to another site of that organization only. Tags and
//! serial numbers are unique within an organization (409 naming `asset_tag` / `serial_number`).
//! Lists are ordered by id with keyset pagination (`cursor` = the last id seen).

use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::work_order::{AssetKind, AssetStatus};
use crate::error::{ApiError, ApiResult, on_constraint};
use crate::models::asset::{
    self as model, ASSET_CONSTRAINTS, AssetAtSite, AssetChanges, AssetFilter, AssetTicket,
    AssetVisit, NewAsset,
};
use crate::models::enums::UserRole;
use crate::models::organization::{self as orgs, Site};
use crate::routes::body::{JsonBody, QueryParams};
use crate::routes::fields::{clip, double_option, parse_name};
use crate::routes::pages::{ListMeta, parse_id_cursor, per_page};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const READERS: &[UserRole] = &[
    UserRole::Admin,
    UserRole::Manager,
    UserRole::Agent,
    UserRole::Technician,
];
const WRITERS: &[UserRole] = &[UserRole::Admin, UserRole::Agent];

/// Longest asset tag, in characters.
const MAX_TAG: usize = 100;
/// Longest serial number, in characters.
const MAX_SERIAL: usize = 100;
/// Longest model name, in characters.
const MAX_MODEL: usize = 200;
/// Most tickets and most work orders in a history response.
const HISTORY_LIMIT: i64 = 100;

// ---------------------------------------------------------------- parsing

/// An asset kind by name; 422 naming `kind` with the accepted names.
pub fn parse_kind(value: &str) -> Result<AssetKind, ApiError> {
    AssetKind::parse(value.trim()).ok_or_else(|| {
        ApiError::invalid_field(
            "kind",
            format!(
                "unknown kind `{}`; expected one of {}",
                clip(value),
                AssetKind::expected()
            ),
        )
    })
}

/// An asset status by name; 422 naming `status` with the accepted names.
pub fn parse_status(value: &str) -> Result<AssetStatus, ApiError> {
    AssetStatus::parse(value.trim()).ok_or_else(|| {
        ApiError::invalid_field(
            "status",
            format!(
                "unknown status `{}`; expected one of {}",
                clip(value),
                AssetStatus::expected()
            ),
        )
    })
}

/// An installation date `YYYY-MM-DD`; 422 naming `installed_on` when it does not parse.
pub fn parse_installed_on(value: &str) -> Result<NaiveDate, ApiError> {
    let v = value.trim();
    // `%Y` alone would accept 5-digit and signed years.
    let shaped = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .filter(|_| shaped)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "installed_on",
                format!("`{}` is not a date YYYY-MM-DD", clip(value)),
            )
        })
}

/// Refuses an installation date after `today` (the site's local date); 422 naming
/// `installed_on`.
pub fn check_installed_on(date: NaiveDate, today: NaiveDate) -> Result<(), ApiError> {
    if date > today {
        return Err(ApiError::invalid_field(
            "installed_on",
            format!("must not be in the future (today is {today} at the site)"),
        ));
    }
    Ok(())
}

/// The local date at `now` in the IANA zone `time_zone` (UTC for a zone that does not parse).
fn local_today(time_zone: &str, now: DateTime<Utc>) -> NaiveDate {
    time_zone
        .parse::<chrono_tz::Tz>()
        .map(|tz| now.with_timezone(&tz).date_naive())
        .unwrap_or_else(|_| now.date_naive())
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ApiError> {
    value.map(|v| parse_name(field, v, max)).transpose()
}

// ---------------------------------------------------------------- shapes

/// An asset as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssetResponse {
    /// Id.
    pub id: i64,
    /// Owning organization (the site's).
    pub organization_id: i64,
    /// Site where it is installed.
    pub site_id: i64,
    /// The site's name.
    pub site_name: String,
    /// The site's IANA time zone, e.g. `America/Chicago` (the calendar of `installed_on`).
    pub site_time_zone: String,
    /// Kind.
    pub kind: AssetKind,
    /// Tag, unique within the organization.
    pub asset_tag: String,
    /// Serial number, unique within the organization.
    pub serial_number: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Installation date (`YYYY-MM-DD`, the site's calendar).
    pub installed_on: Option<NaiveDate>,
    /// Status.
    pub status: AssetStatus,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<AssetAtSite> for AssetResponse {
    fn from(a: AssetAtSite) -> Self {
        let row = a.asset;
        AssetResponse {
            id: row.id,
            organization_id: row.organization_id,
            site_id: row.site_id,
            site_name: a.site_name,
            site_time_zone: a.site_time_zone,
            // A CHECK constraint holds the names; an unknown one cannot be stored.
            kind: AssetKind::parse(&row.kind).unwrap_or(AssetKind::Other),
            asset_tag: row.asset_tag,
            serial_number: row.serial_number,
            model: row.model,
            installed_on: row.installed_on,
            status: AssetStatus::parse(&row.status).unwrap_or(AssetStatus::InService),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn at_site(asset: model::Asset, site: Site) -> AssetAtSite {
    AssetAtSite {
        asset,
        site_name: site.name,
        site_time_zone: site.time_zone,
    }
}

/// `POST /assets` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssetRequest {
    /// Site where it is installed; the asset belongs to the site's organization.
    pub site_id: i64,
    /// Kind: `inmate_phone`, `payment_kiosk`, `video_visitation_terminal`, `tablet`,
    /// `network_gear` or `other`.
    #[schema(value_type = AssetKind)]
    pub kind: String,
    /// Tag (trimmed, 1–100 characters), unique within the organization.
    #[schema(value_type = crate::routes::openapi::Name100)]
    pub asset_tag: String,
    /// Serial number (trimmed, 1–100 characters), unique within the organization.
    #[schema(value_type = Option<crate::routes::openapi::Name100>)]
    pub serial_number: Option<String>,
    /// Model (trimmed, 1–200 characters).
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub model: Option<String>,
    /// Installation date `YYYY-MM-DD`, not after today at the site.
    #[schema(value_type = Option<String>, format = Date)]
    pub installed_on: Option<String>,
    /// Status (default `in_service`).
    #[schema(value_type = Option<AssetStatus>)]
    pub status: Option<String>,
}

/// `PATCH /assets/{id}` body: absent fields are unchanged; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAssetRequest {
    /// Another site of the same organization (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = i64)]
    pub site_id: Option<Option<i64>>,
    /// Kind (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = AssetKind)]
    pub kind: Option<Option<String>>,
    /// Tag, 1–100 characters (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = crate::routes::openapi::Name100)]
    pub asset_tag: Option<Option<String>>,
    /// Serial number, 1–100 characters (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Name100>)]
    pub serial_number: Option<Option<String>>,
    /// Model, 1–200 characters (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<crate::routes::openapi::Name200>)]
    pub model: Option<Option<String>>,
    /// Installation date `YYYY-MM-DD` (`null` clears).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub installed_on: Option<Option<String>>,
    /// Status (cannot be `null`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = AssetStatus)]
    pub status: Option<Option<String>>,
}

/// A validated `POST /assets` (the organization comes from the site, in the transaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetInput {
    /// Site.
    pub site_id: i64,
    /// Kind.
    pub kind: AssetKind,
    /// Tag.
    pub asset_tag: String,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Installation date (checked against the site's date in the transaction).
    pub installed_on: Option<NaiveDate>,
    /// Status.
    pub status: AssetStatus,
}

impl TryFrom<CreateAssetRequest> for AssetInput {
    type Error = ApiError;

    fn try_from(r: CreateAssetRequest) -> Result<Self, ApiError> {
        Ok(AssetInput {
            site_id: r.site_id,
            kind: parse_kind(&r.kind)?,
            asset_tag: parse_name("asset_tag", &r.asset_tag, MAX_TAG)?,
            serial_number: optional_text("serial_number", r.serial_number.as_deref(), MAX_SERIAL)?,
            model: optional_text("model", r.model.as_deref(), MAX_MODEL)?,
            installed_on: r
                .installed_on
                .as_deref()
                .map(parse_installed_on)
                .transpose()?,
            status: r
                .status
                .as_deref()
                .map(parse_status)
                .transpose()?
                .unwrap_or(AssetStatus::InService),
        })
    }
}

impl TryFrom<UpdateAssetRequest> for AssetChanges {
    type Error = ApiError;

    fn try_from(r: UpdateAssetRequest) -> Result<Self, ApiError> {
        let nullable = |field: &str, v: Option<Option<String>>, max: usize| {
            v.map(|o| optional_text(field, o.as_deref(), max))
                .transpose()
        };
        fn required<T>(field: &str, v: Option<Option<T>>) -> Result<Option<T>, ApiError> {
            match v {
                Some(None) => Err(ApiError::invalid_field(field, "cannot be null")),
                Some(Some(v)) => Ok(Some(v)),
                None => Ok(None),
            }
        }
        let (site_id, kind) = (required("site_id", r.site_id)?, required("kind", r.kind)?);
        let (asset_tag, status) = (
            required("asset_tag", r.asset_tag)?,
            required("status", r.status)?,
        );
        Ok(AssetChanges {
            site_id,
            kind: kind
                .as_deref()
                .map(parse_kind)
                .transpose()?
                .map(|k| k.as_str().to_string()),
            asset_tag: asset_tag
                .as_deref()
                .map(|t| parse_name("asset_tag", t, MAX_TAG))
                .transpose()?,
            serial_number: nullable("serial_number", r.serial_number, MAX_SERIAL)?,
            model: nullable("model", r.model, MAX_MODEL)?,
            installed_on: r
                .installed_on
                .map(|o| o.as_deref().map(parse_installed_on).transpose())
                .transpose()?,
            status: status
                .as_deref()
                .map(parse_status)
                .transpose()?
                .map(|s| s.as_str().to_string()),
        })
    }
}

/// Query of the asset lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// Only this site's assets.
    pub site_id: Option<i64>,
    /// Only this organization's assets.
    pub organization_id: Option<i64>,
    /// Only this kind (`inmate_phone`, …).
    #[param(value_type = Option<AssetKind>)]
    pub kind: Option<String>,
    /// Only this status (`in_service`, `out_of_service`, `retired`).
    #[param(value_type = Option<AssetStatus>)]
    pub status: Option<String>,
    /// Case-insensitive substring of the tag, serial number or model (at most 200 characters
    /// once trimmed; blank: no search).
    #[param(value_type = Option<crate::routes::openapi::Text200>)]
    pub q: Option<String>,
    /// `meta.next_cursor` of the previous page (the last id seen).
    #[param(value_type = Option<i64>)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

impl TryFrom<&AssetQuery> for AssetFilter {
    type Error = ApiError;

    fn try_from(q: &AssetQuery) -> Result<Self, ApiError> {
        let text =
            q.q.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
        if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(ApiError::invalid_field(
                "q",
                "must be at most 200 characters",
            ));
        }
        Ok(AssetFilter {
            site_id: q.site_id,
            organization_id: q.organization_id,
            kind: q
                .kind
                .as_deref()
                .map(parse_kind)
                .transpose()?
                .map(|k| k.as_str().to_string()),
            status: q
                .status
                .as_deref()
                .map(parse_status)
                .transpose()?
                .map(|s| s.as_str().to_string()),
            q: text,
            after: parse_id_cursor(q.cursor.as_deref())?,
            limit: per_page(q.per_page)?,
        })
    }
}

/// The asset lists' response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssetListResponse {
    /// Assets by id.
    pub assets: Vec<AssetResponse>,
    /// Pagination.
    pub meta: ListMeta,
}

/// A ticket of an asset's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssetTicketResponse {
    /// Ticket id.
    pub id: i64,
    /// Human ticket number.
    pub number: i64,
    /// Subject.
    pub subject: String,
    /// Status.
    pub status: crate::domain::ticket::TicketStatus,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<AssetTicket> for AssetTicketResponse {
    fn from(t: AssetTicket) -> Self {
        AssetTicketResponse {
            id: t.id,
            number: t.number,
            subject: t.subject,
            status: t.status.into(),
            created_at: t.created_at,
        }
    }
}

/// A work order (field visit) of an asset's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssetWorkOrderResponse {
    /// Work order id.
    pub id: i64,
    /// The ticket it serves.
    pub ticket_id: i64,
    /// Status.
    pub status: crate::domain::work_order::WorkOrderStatus,
    /// Dispatched technician (staff user id).
    pub technician_id: Option<i64>,
    /// Promised arrival window, start (UTC).
    pub window_start: Option<DateTime<Utc>>,
    /// Promised arrival window, end (UTC).
    pub window_end: Option<DateTime<Utc>>,
    /// Arrival on site (device instant, UTC).
    pub on_site_at: Option<DateTime<Utc>>,
    /// End of the visit (device instant, UTC).
    pub finished_at: Option<DateTime<Utc>>,
    /// Completion: whether the problem was fixed.
    pub problem_fixed: Option<bool>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<AssetVisit> for AssetWorkOrderResponse {
    fn from(w: AssetVisit) -> Self {
        AssetWorkOrderResponse {
            id: w.id,
            ticket_id: w.ticket_id,
            status: crate::domain::work_order::WorkOrderStatus::parse(&w.status)
                .unwrap_or(crate::domain::work_order::WorkOrderStatus::Cancelled),
            technician_id: w.technician_id,
            window_start: w.window_start,
            window_end: w.window_end,
            on_site_at: w.on_site_at,
            finished_at: w.finished_at,
            problem_fixed: w.problem_fixed,
            created_at: w.created_at,
        }
    }
}

/// `GET /assets/{id}/history` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssetHistoryResponse {
    /// The asset.
    pub asset: AssetResponse,
    /// Work orders of the asset that reached `on_site` (every technician's): repeat visits to
    /// one piece of equipment show here.
    pub visit_count: i64,
    /// The newest 100 tickets naming the asset, newest first (technicians: those with a work
    /// order assigned to them).
    pub tickets: Vec<AssetTicketResponse>,
    /// The newest 100 work orders of the asset, newest first (technicians: their own).
    pub work_orders: Vec<AssetWorkOrderResponse>,
}

// ---------------------------------------------------------------- handlers

/// Creates an asset (admin, agent). 422 naming the field for an unknown site (`site_id`), kind
/// (`kind`, with the accepted values), a blank tag or a date in the future (`installed_on`); 409
/// naming `asset_tag` or `serial_number` when the organization already has it.
#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = CreateAssetRequest,
    security(("bearer" = [])),
    responses((status = 201, body = AssetResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_asset(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateAssetRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let input = AssetInput::try_from(body.value)?;
    let now = Utc::now();
    let asset = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let site = orgs::get_site(conn, input.site_id)
                .optional()?
                .ok_or_else(|| ApiError::invalid_field("site_id", "no such site"))?;
            if let Some(date) = input.installed_on {
                check_installed_on(date, local_today(&site.time_zone, now))?;
            }
            let new = NewAsset {
                organization_id: site.organization_id,
                site_id: site.id,
                kind: input.kind.as_str().to_string(),
                asset_tag: input.asset_tag.clone(),
                serial_number: input.serial_number.clone(),
                model: input.model.clone(),
                installed_on: input.installed_on,
                status: input.status.as_str().to_string(),
            };
            let row =
                model::insert_tx(conn, &new).map_err(|e| on_constraint(e, ASSET_CONSTRAINTS))?;
            Ok::<_, ApiError>(at_site(row, site))
        })
    })
    .await?;
    tracing::info!({ user.id = user.id, asset.id = asset.asset.id }, "asset created");
    Ok(HttpResponse::Created().json(AssetResponse::from(asset)))
}

/// Edits an asset (admin, agent). The site may change only to another site of the asset's
/// organization (422 naming `site_id` otherwise); 404 for an unknown asset; 409 and 422 as for
/// `POST /assets`.
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "assets",
    request_body = UpdateAssetRequest, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id")),
    responses((status = 200, body = AssetResponse),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn update_asset(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<UpdateAssetRequest>,
) -> ApiResult<HttpResponse> {
    user.require(WRITERS)?;
    let changes = AssetChanges::try_from(body.value)?;
    let id = id.into_inner();
    let now = Utc::now();
    let asset = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let current = model::lock_tx(conn, id).map_err(ApiError::not_found("asset"))?;
            let site_id = changes.site_id.unwrap_or(current.site_id);
            let site = orgs::get_site(conn, site_id)
                .optional()?
                .ok_or_else(|| ApiError::invalid_field("site_id", "no such site"))?;
            if site.organization_id != current.organization_id {
                return Err(ApiError::invalid_field(
                    "site_id",
                    "belongs to another organization; an asset moves only within its organization",
                ));
            }
            if let Some(Some(date)) = changes.installed_on {
                check_installed_on(date, local_today(&site.time_zone, now))?;
            }
            let row = if changes.is_empty() {
                current
            } else {
                model::update_tx(conn, id, &changes, now)
                    .map_err(|e| on_constraint(e, ASSET_CONSTRAINTS))?
            };
            Ok(at_site(row, site))
        })
    })
    .await?;
    tracing::info!({ user.id = user.id, asset.id = id }, "asset updated");
    Ok(HttpResponse::Ok().json(AssetResponse::from(asset)))
}

/// One asset, with its site's name and time zone (every staff role).
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Asset id")),
    responses((status = 200, body = AssetResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_asset(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let asset = db::run(&state.pool, move |conn| {
        model::get_at_site(conn, id).map_err(ApiError::not_found("asset"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(AssetResponse::from(asset)))
}

async fn list(state: &AppState, filter: AssetFilter) -> ApiResult<AssetListResponse> {
    let limit = filter.limit;
    let rows = db::run(&state.pool, move |conn| Ok(model::list(conn, &filter)?)).await?;
    let meta = ListMeta::of_id_page(rows.last().map(|a| a.asset.id), rows.len(), limit);
    Ok(AssetListResponse {
        assets: rows.into_iter().map(Into::into).collect(),
        meta,
    })
}

/// Lists assets by id, filtered by site, organization, kind, status and a search of tag, serial
/// number and model (every staff role). 422 naming `kind`, `status`, `q`, `cursor` or
/// `per_page` when one does not parse.
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets", params(AssetQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AssetListResponse),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_assets(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<AssetQuery>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let filter = AssetFilter::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(list(&state, filter).await?))
}

/// Lists a site's assets by id (every staff role); the query's filters apply as for
/// `GET /assets`. 404 for an unknown site.
#[utoipa::path(get, path = "/api/v1/sites/{id}/assets", tag = "assets", params(
        ("id" = i64, Path, description = "Site id"), AssetQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AssetListResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_site_assets(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: QueryParams<AssetQuery>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let mut filter = AssetFilter::try_from(&*query)?;
    let site_id = id.into_inner();
    if filter.site_id.is_some_and(|s| s != site_id) {
        return Err(ApiError::invalid_field(
            "site_id",
            "differs from the site of the path",
        ));
    }
    filter.site_id = Some(site_id);
    db::run(&state.pool, move |conn| {
        orgs::get_site(conn, site_id).map_err(ApiError::not_found("site"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(list(&state, filter).await?))
}

/// An asset's history (every staff role): its tickets and work orders, newest first, and how
/// many visits reached the site (`visit_count`). Technicians see only their own work orders, the
/// tickets those serve and their own visits' count. 404 for an unknown asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}/history", tag = "assets",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Asset id")),
    responses((status = 200, body = AssetHistoryResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_asset_history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    user.require(READERS)?;
    let id = id.into_inner();
    let technician = (user.role == UserRole::Technician).then_some(user.id);
    let history = db::run(&state.pool, move |conn| {
        // One snapshot: the lists and the count agree.
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(|conn| {
                let asset = model::get_at_site(conn, id).map_err(ApiError::not_found("asset"))?;
                let tickets = model::tickets_of(conn, id, technician, HISTORY_LIMIT)?;
                let work_orders = model::work_orders_of(conn, id, technician, HISTORY_LIMIT)?;
                let visit_count = model::visit_count(conn, id, technician)?;
                Ok::<_, ApiError>(AssetHistoryResponse {
                    asset: asset.into(),
                    visit_count,
                    tickets: tickets.into_iter().map(Into::into).collect(),
                    work_orders: work_orders.into_iter().map(Into::into).collect(),
                })
            })
    })
    .await?;
    Ok(HttpResponse::Ok().json(history))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::Validation { errors, .. } => errors.into_keys().collect(),
            other => panic!("not a 422: {other:?}"),
        }
    }

    fn request(kind: &str, tag: &str) -> CreateAssetRequest {
        CreateAssetRequest {
            site_id: 1,
            kind: kind.into(),
            asset_tag: tag.into(),
            serial_number: None,
            model: None,
            installed_on: None,
            status: None,
        }
    }

    #[test]
    fn a_create_request_is_trimmed_and_defaults_to_in_service() {
        let input = AssetInput::try_from(request("inmate_phone", "  PH-0042 ")).unwrap();
        assert_eq!(input.asset_tag, "PH-0042");
        assert_eq!(input.kind, AssetKind::InmatePhone);
        assert_eq!(input.status, AssetStatus::InService);
    }

    #[test]
    fn a_bad_kind_names_kind_and_lists_the_accepted_values() {
        let err = AssetInput::try_from(request("phone", "PH-1")).unwrap_err();
        let text = format!("{err}");
        assert!(text.contains("inmate_phone, payment_kiosk"), "{text}");
        assert_eq!(field_of(err), "kind");
        assert_eq!(
            field_of(AssetInput::try_from(request("tablet", "   ")).unwrap_err()),
            "asset_tag"
        );
        assert_eq!(
            field_of(AssetInput::try_from(request("tablet", &"x".repeat(101))).unwrap_err()),
            "asset_tag"
        );
    }

    #[test]
    fn installation_dates_parse_strictly_and_are_not_in_the_future() {
        let d = parse_installed_on("2025-02-28").unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2025, 2, 28).unwrap());
        for bad in ["2025-02-30", "28/02/2025", "+12025-01-01", "2025-2-8", ""] {
            assert_eq!(
                field_of(parse_installed_on(bad).unwrap_err()),
                "installed_on",
                "{bad}"
            );
        }
        assert!(check_installed_on(d, d).is_ok());
        assert_eq!(
            field_of(check_installed_on(d.succ_opt().unwrap(), d).unwrap_err()),
            "installed_on"
        );
    }

    #[test]
    fn today_is_the_sites_local_date() {
        let now = DateTime::parse_from_rfc3339("2025-03-01T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            local_today("America/Chicago", now),
            NaiveDate::from_ymd_opt(2025, 2, 28).unwrap()
        );
        assert_eq!(
            local_today("Not/AZone", now),
            NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
        );
    }
}
