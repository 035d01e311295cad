//! The work-order endpoints: [`create`] (`POST /tickets/{id}/work-orders`, `POST /work-orders`),
//! [`transitions`] (`POST /work-orders/{id}/transitions`: dispatch, en route, on site, complete,
//! cannot complete, cancel), [`read`] (`GET /work-orders`, `GET /work-orders/{id}`,
//! `GET /tickets/{id}/work-orders`, `GET /me/work-orders`), [`edit`] (`PATCH /work-orders/{id}`).
//! This file holds the response shape.
//!
//! Admins and agents create and dispatch; managers read; a technician reads and moves only the
//! work orders assigned to them (any other is a 404, never a 403 that would reveal it exists).
//! Arrival windows are stored in UTC and shown in the site's time zone.

pub mod create;
pub mod edit;
pub mod read;
pub mod transitions;

use crate::domain::ticket::TicketPriority;
use crate::domain::work_order::{AssetKind, WorkOrderStatus};
use crate::models::work_order::WorkOrderView;
use crate::tickets::work_order::Part;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The site of a work order.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteBrief {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// IANA time zone (arrival windows are shown in it).
    pub time_zone: String,
    /// Postal address.
    pub address: Option<String>,
}

/// The asset of a work order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetBrief {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: Option<AssetKind>,
    /// Asset tag.
    pub asset_tag: String,
    /// Model.
    pub model: Option<String>,
}

/// The ticket behind a work order, with the requester's contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketBrief {
    /// Id.
    pub id: i64,
    /// Ticket number.
    pub number: i64,
    /// Subject.
    pub subject: String,
    /// Requester's name.
    pub requester_name: Option<String>,
    /// Requester's email.
    pub requester_email: Option<String>,
    /// Requester's phone.
    pub requester_phone: Option<String>,
}

/// The promised arrival window, in the site's time zone (RFC 3339 with the local offset).
#[derive(Debug, Serialize, ToSchema)]
pub struct ArrivalWindow {
    /// Start, local (e.g. `2026-03-02T08:00:00-05:00`).
    pub start: String,
    /// End, local; after the start.
    pub end: String,
    /// The site's IANA time zone.
    pub time_zone: String,
}

/// A work order as the API shows it. Instants are RFC 3339 UTC except the arrival window.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderResponse {
    /// Id.
    pub id: i64,
    /// Status.
    pub status: WorkOrderStatus,
    /// Priority.
    pub priority: TicketPriority,
    /// Problem summary.
    pub summary: String,
    /// A skill the technician must have.
    pub required_skill: Option<String>,
    /// The facility requires an escort.
    pub escort_required: bool,
    /// Clearance the facility requires.
    pub security_clearance: Option<String>,
    /// Other access notes.
    pub access_notes: Option<String>,
    /// The ticket.
    pub ticket: TicketBrief,
    /// The site.
    pub site: SiteBrief,
    /// The asset.
    pub asset: Option<AssetBrief>,
    /// The dispatched technician.
    pub technician_id: Option<i64>,
    /// The promised arrival window.
    pub arrival_window: Option<ArrivalWindow>,
    /// The work order this one follows up.
    pub follow_up_of: Option<i64>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Latest dispatch (device instant, UTC).
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Set off (device instant, UTC).
    pub en_route_at: Option<DateTime<Utc>>,
    /// Arrived (device instant, UTC).
    pub on_site_at: Option<DateTime<Utc>>,
    /// Ended: completed, could not complete or cancelled (device instant, UTC).
    pub finished_at: Option<DateTime<Utc>>,
    /// Resolution code.
    pub resolution_code: Option<String>,
    /// Completion or cannot-complete notes.
    pub completion_notes: Option<String>,
    /// Parts used.
    pub parts: Vec<Part>,
    /// The problem is fixed (set on completion).
    pub problem_fixed: Option<bool>,
    /// Why the visit could not complete.
    pub cannot_complete_reason: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Version (+1 on every change).
    pub version: i32,
}

/// An instant in the zone `tz` (RFC 3339 with offset; UTC when the zone does not parse).
fn local(at: DateTime<Utc>, tz: &str) -> String {
    match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => at.with_timezone(&zone).to_rfc3339(),
        Err(_) => at.to_rfc3339(),
    }
}

impl From<WorkOrderView> for WorkOrderResponse {
    fn from(v: WorkOrderView) -> Self {
        let w = v.work_order;
        let (site_name, time_zone, address) = v.site;
        let arrival_window = match (w.window_start, w.window_end) {
            (Some(s), Some(e)) => Some(ArrivalWindow {
                start: local(s, &time_zone),
                end: local(e, &time_zone),
                time_zone: time_zone.clone(),
            }),
            _ => None,
        };
        let (requester_name, requester_email, requester_phone) = match v.requester {
            Some((n, e, p)) => (Some(n), e, p),
            None => (None, None, None),
        };
        WorkOrderResponse {
            id: w.id,
            status: w.status(),
            priority: w.priority(),
            summary: w.summary.clone(),
            required_skill: w.required_skill.clone(),
            escort_required: w.escort_required,
            security_clearance: w.security_clearance.clone(),
            access_notes: w.access_notes.clone(),
            ticket: TicketBrief {
                id: w.ticket_id,
                number: v.ticket.0,
                subject: v.ticket.1,
                requester_name,
                requester_email,
                requester_phone,
            },
            site: SiteBrief {
                id: w.site_id,
                name: site_name,
                time_zone,
                address,
            },
            asset: match (w.asset_id, v.asset) {
                (Some(id), Some((kind, asset_tag, model))) => Some(AssetBrief {
                    id,
                    kind: AssetKind::parse(&kind),
                    asset_tag,
                    model,
                }),
                _ => None,
            },
            technician_id: w.technician_id,
            arrival_window,
            follow_up_of: w.follow_up_of,
            created_at: w.created_at,
            dispatched_at: w.dispatched_at,
            en_route_at: w.en_route_at,
            on_site_at: w.on_site_at,
            finished_at: w.finished_at,
            resolution_code: w.resolution_code.clone(),
            completion_notes: w.completion_notes.clone(),
            parts: serde_json::from_value(w.parts.clone()).unwrap_or_default(),
            problem_fixed: w.problem_fixed,
            cannot_complete_reason: w.cannot_complete_reason.clone(),
            cancel_reason: w.cancel_reason.clone(),
            version: w.version,
        }
    }
}

/// Loads one work order's view for a response (after a write, in the same transaction).
///
/// # Errors
/// `NotFound`; database errors.
pub(crate) fn view_of(
    conn: &mut diesel::PgConnection,
    id: i64,
) -> Result<WorkOrderResponse, crate::error::ApiError> {
    let filter = crate::models::work_order::WorkOrderFilter {
        id: Some(id),
        limit: 1,
        ..Default::default()
    };
    crate::models::work_order::list_views(conn, &filter)?
        .pop()
        .map(WorkOrderResponse::from)
        .ok_or(crate::error::ApiError::NotFound("work order"))
}
