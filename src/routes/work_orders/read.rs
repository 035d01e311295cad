//! `GET /work-orders`, `GET /work-orders/{id}`, `GET /tickets/{id}/work-orders` and the
//! technician's day, `GET /me/work-orders`.

use super::WorkOrderResponse;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::domain::work_order::WorkOrderStatus;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::UserRole;
use crate::models::ticket::{Visibility, check_visible};
use crate::models::work_order::{WorkOrderFilter, list_views};
use crate::routes::body::QueryParams;
use crate::routes::pages::{ListMeta, parse_id_cursor, per_page};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A page of work orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderPage {
    /// The work orders.
    pub work_orders: Vec<WorkOrderResponse>,
    /// Pagination.
    pub meta: ListMeta,
}

/// Most work orders `GET /me/work-orders` returns (a technician's list is a day's work).
pub const MAX_DAY: i64 = 500;

/// The technician behind a caller: technicians see only their own work orders.
fn own(user: &AuthUser) -> Option<i64> {
    match user.visibility() {
        Visibility::Technician(t) => Some(t),
        Visibility::All => None,
    }
}

fn parse_statuses(value: Option<&str>) -> Result<Vec<String>, ApiError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for s in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if s == "open" {
            out.extend(WorkOrderStatus::OPEN.iter().map(|o| o.as_str().to_string()));
            continue;
        }
        let status = WorkOrderStatus::parse(s).ok_or_else(|| {
            ApiError::invalid_field(
                "status",
                format!("expected open or one of {}", WorkOrderStatus::expected()),
            )
        })?;
        out.push(status.as_str().to_string());
    }
    Ok(out)
}

/// `GET /work-orders` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses; `open` = scheduled, dispatched, en_route, on_site.
    #[param(value_type = Option<crate::routes::openapi::WorkOrderStatusList>)]
    pub status: Option<String>,
    /// Of this technician.
    pub technician_id: Option<i64>,
    /// Of this ticket.
    pub ticket_id: Option<i64>,
    /// At this site.
    pub site_id: Option<i64>,
    /// For this asset.
    pub asset_id: Option<i64>,
    /// Page size, 1–100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
    /// The `next_cursor` of the previous page (the last id seen).
    #[param(value_type = Option<i64>)]
    pub cursor: Option<String>,
}

/// Lists work orders by id (a technician: only their own).
///
/// Errors: 401; 422 naming `status`, `per_page` or `cursor`.
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "work orders", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = WorkOrderPage),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_work_orders(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.0;
    let limit = per_page(q.per_page)?;
    let technician = own(&user);
    if technician.is_some() && q.technician_id.is_some_and(|t| Some(t) != technician) {
        return Ok(HttpResponse::Ok().json(WorkOrderPage {
            work_orders: Vec::new(),
            meta: ListMeta { next_cursor: None },
        }));
    }
    let filter = WorkOrderFilter {
        statuses: parse_statuses(q.status.as_deref())?,
        technician_id: technician.or(q.technician_id),
        ticket_id: q.ticket_id,
        site_id: q.site_id,
        asset_id: q.asset_id,
        after_id: parse_id_cursor(q.cursor.as_deref())?,
        limit,
        ..Default::default()
    };
    let rows = db::run(&state.pool, move |conn| Ok(list_views(conn, &filter)?)).await?;
    let meta = ListMeta::of_id_page(rows.last().map(|v| v.work_order.id), rows.len(), limit);
    Ok(HttpResponse::Ok().json(WorkOrderPage {
        work_orders: rows.into_iter().map(WorkOrderResponse::from).collect(),
        meta,
    }))
}

/// One work order (a technician: only their own; another's is a 404).
#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "work orders",
    params(("id" = i64, Path, description = "Work order id")), security(("bearer" = [])),
    responses((status = 200, body = WorkOrderResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_work_order(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let filter = WorkOrderFilter {
        id: Some(id.into_inner()),
        technician_id: own(&user),
        limit: 1,
        ..Default::default()
    };
    let view = db::run(&state.pool, move |conn| Ok(list_views(conn, &filter)?))
        .await?
        .pop()
        .ok_or(ApiError::NotFound("work order"))?;
    Ok(HttpResponse::Ok().json(WorkOrderResponse::from(view)))
}

/// The work orders of a ticket, oldest first (a technician: their own, on a ticket they see).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/work-orders", tag = "work orders",
    params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 200, body = WorkOrderPage),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_for_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let visibility = user.visibility();
    let filter = WorkOrderFilter {
        ticket_id: Some(id),
        technician_id: own(&user),
        limit: MAX_DAY,
        ..Default::default()
    };
    let rows = db::run(&state.pool, move |conn| {
        check_visible(conn, id, visibility).map_err(ApiError::not_found("ticket"))?;
        Ok(list_views(conn, &filter)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WorkOrderPage {
        work_orders: rows.into_iter().map(WorkOrderResponse::from).collect(),
        meta: ListMeta { next_cursor: None },
    }))
}

/// `GET /me/work-orders` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// `YYYY-MM-DD` (windows starting that local day at the site), `upcoming` (open, window
    /// not yet over) or `open` (every open one; the default).
    #[param(value_type = Option<crate::routes::openapi::DayFilter>)]
    pub day: Option<String>,
}

/// The technician's day: their own work orders with site, address, access notes, asset, ticket
/// subject and the requester's contact, ordered by arrival window (at most 500).
///
/// Errors: 403 for staff who are not technicians; 422 naming `day`.
#[utoipa::path(get, path = "/api/v1/me/work-orders", tag = "work orders", params(DayQuery),
    security(("bearer" = [])),
    responses((status = 200, body = WorkOrderPage),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn my_work_orders(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<DayQuery>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Technician])?;
    let open: Vec<String> = WorkOrderStatus::OPEN
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    let mut filter = WorkOrderFilter {
        technician_id: Some(user.id),
        by_window: true,
        limit: MAX_DAY,
        ..Default::default()
    };
    match query.0.day.as_deref().unwrap_or("open") {
        "open" => filter.statuses = open,
        "upcoming" => {
            filter.statuses = open;
            filter.window_ends_after = Some(chrono::Utc::now());
        }
        day => {
            filter.local_day = Some(chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(
                |_| ApiError::invalid_field("day", "expected YYYY-MM-DD, upcoming or open"),
            )?);
        }
    }
    let rows = db::run(&state.pool, move |conn| Ok(list_views(conn, &filter)?)).await?;
    Ok(HttpResponse::Ok().json(WorkOrderPage {
        work_orders: rows.into_iter().map(WorkOrderResponse::from).collect(),
        meta: ListMeta { next_cursor: None },
    }))
}
