//! The ticket endpoints, one file per operation: [`list`] (`GET /tickets`), [`get`]
//! (`GET /tickets/{id}`), [`create`] (`POST /tickets`), [`update`] (`PATCH /tickets/{id}`),
//! [`comments`] (`GET`/`POST /tickets/{id}/comments`), [`redactions`] (`POST /tickets/{id}/comments/{comment_id}/redactions`), [`attachments`] (files on comments: download, redaction), [`views`] (saved list views, `/ticket-views`), [`events`] (`GET /tickets/{id}/events`), [`surveys`] (`GET /tickets/{id}/surveys`), [`merge`] (`POST /tickets/{id}/merge`, `GET`/`POST /tickets/{id}/incidents`), [`bulk`] (`POST /tickets/bulk`).
//! This file holds the shapes they share; request values are parsed by [`crate::routes::fields`].
//!
//! A handler parses its request into a command, authorises, and runs one use case of
//! [`crate::tickets`] in one transaction. Admins and agents write; managers supervise (reassign,
//! change the team and priority, write internal notes; everything an agent does when given the
//! agent role too, `users.also_agent`); technicians see only tickets with a work order assigned
//! to them (404 otherwise).

pub mod attachments;
pub mod bulk;
pub mod comments;
pub mod create;
pub mod events;
pub mod get;
pub mod list;
pub mod merge;
pub mod redactions;
pub mod surveys;
pub mod update;
pub mod views;

use crate::domain::ticket::{TicketPriority, TicketStatus};
use crate::models::enums::{TicketChannel, UserRole};
use crate::models::ticket::{Ticket, TicketEventRow, TicketMetricsRow};
use actix_web::http::header;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(super) const WRITERS: &[UserRole] = &[UserRole::Admin, UserRole::Agent];

/// Who may edit a ticket or write an internal note: the [`WRITERS`] and managers (supervisors:
/// assignee, team and priority, and internal notes only, unless given the agent role too).
pub(super) const EDITORS: &[UserRole] = &[UserRole::Admin, UserRole::Agent, UserRole::Manager];

/// Who wrote a description or comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentAuthor {
    /// The calling staff member.
    Agent,
    /// The requester; the agent logs it on their behalf.
    Requester,
}

/// A ticket as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketResponse {
    /// Id.
    pub id: i64,
    /// Human ticket number (unique).
    pub number: i64,
    /// Id in the source it was imported from.
    pub external_id: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Status.
    pub status: TicketStatus,
    /// Priority.
    pub priority: TicketPriority,
    /// Channel (`null`: not recorded by the source).
    pub channel: Option<TicketChannel>,
    /// Category: the stable key of a catalogue category (`/ticket-categories`), which never
    /// changes when the category is renamed.
    pub category: Option<String>,
    /// The category's display name as it is now (a rename shows on every ticket, old ones
    /// too); `null` without a category.
    pub category_name: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Requester (customer id).
    pub requester_id: Option<i64>,
    /// Organization id.
    pub organization_id: Option<i64>,
    /// Site id.
    pub site_id: Option<i64>,
    /// Team id.
    pub team_id: Option<i64>,
    /// The asset the ticket is about.
    pub asset_id: Option<i64>,
    /// Assignee (staff user id).
    pub assignee_id: Option<i64>,
    /// Staff member who created it.
    pub created_by_id: Option<i64>,
    /// Version (the ETag of later writes).
    pub version: i32,
    /// Creation instant (UTC).
    pub created_at: DateTime<Utc>,
    /// Latest change (UTC).
    pub updated_at: DateTime<Utc>,
    /// Latest solve (UTC).
    pub solved_at: Option<DateTime<Utc>>,
    /// Close (UTC).
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it is on hold (`awaiting_parts`, `awaiting_field_visit`, `facility_access`,
    /// `third_party`, `other`); `null` unless on hold.
    #[schema(value_type = Option<crate::routes::openapi::HoldReason>)]
    pub hold_reason: Option<String>,
    /// The ticket this one was merged into (`POST /tickets/{id}/merge`): this one is then
    /// closed, a duplicate counted in no metric; `null` otherwise.
    pub merged_into_id: Option<i64>,
    /// Custom field values by field key (`/ticket-fields`): text and drop-down values and
    /// dates (`YYYY-MM-DD`) as strings, numbers as numbers, checkboxes as booleans; a field
    /// without a value is absent.
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
}

impl TicketResponse {
    /// The response of `t` with its category's name read from the catalogue.
    ///
    /// # Errors
    /// Database errors.
    pub fn read(conn: &mut diesel::PgConnection, t: Ticket) -> diesel::QueryResult<Self> {
        let name = match &t.category {
            Some(key) => crate::models::category::name_of(conn, key)?,
            None => None,
        };
        let mut r = TicketResponse::from(t);
        r.category_name = name;
        Ok(r)
    }
}

impl From<Ticket> for TicketResponse {
    /// Without the category's name (`category_name` stays `null`: see [`TicketResponse::read`]).
    fn from(t: Ticket) -> Self {
        TicketResponse {
            id: t.id,
            number: t.number,
            external_id: t.external_id,
            subject: t.subject,
            description: t.description,
            status: t.status.into(),
            priority: t.priority.into(),
            channel: t.channel,
            category: t.category,
            category_name: None,
            tags: t.tags,
            requester_id: t.requester_id,
            organization_id: t.organization_id,
            site_id: t.site_id,
            team_id: t.team_id,
            asset_id: t.asset_id,
            assignee_id: t.assignee_id,
            created_by_id: t.created_by_id,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            solved_at: t.solved_at,
            closed_at: t.closed_at,
            hold_reason: t.hold_reason,
            merged_into_id: t.merged_into_id,
            custom_fields: t.custom_fields,
        }
    }
}

/// One event of the audit trail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketEventResponse {
    /// Order within the ticket, from 1.
    pub seq: i32,
    /// `created`, `assigned`, `comment_added`, `status_changed`, `priority_changed`, `note`,
    /// `field_changed`, `linked`, `unlinked`, `sla_breached`, `sla_warning`, `notification`,
    /// `survey_answered`, `comment_redacted` (comment id, occurrences and characters removed;
    /// never the text), `macro_applied` (macro id and name; the changes' events follow) or
    /// `work_order` (its instant is the technician's device instant).
    pub kind: String,
    /// When it happened (UTC).
    pub occurred_at: DateTime<Utc>,
    /// Staff member who caused it.
    pub actor_user_id: Option<i64>,
    /// Status before (status changes only).
    pub from_status: Option<TicketStatus>,
    /// Status after (status changes only).
    pub to_status: Option<TicketStatus>,
    /// The event's details, `{"kind": ..., ...}`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When the server stored it (UTC): a technician's transition sent from an offline device
    /// has its device instant as `occurred_at` and its receipt here.
    pub recorded_at: DateTime<Utc>,
}

impl From<TicketEventRow> for TicketEventResponse {
    fn from(e: TicketEventRow) -> Self {
        TicketEventResponse {
            seq: e.seq,
            kind: e.kind,
            occurred_at: e.occurred_at,
            actor_user_id: e.actor_user_id,
            from_status: e.from_status.map(Into::into),
            to_status: e.to_status.map(Into::into),
            data: e.data,
            recorded_at: e.recorded_at,
        }
    }
}

/// A ticket's metrics (docs/METRICS.md ids); durations in calendar seconds, `null` until their stop
/// event has happened.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketMetricsResponse {
    /// Created by a staff member.
    pub agent_created: bool,
    /// Instant of the reply that stopped `frt.v1`.
    pub first_reply_at: Option<DateTime<Utc>>,
    /// `frt.v1`, seconds.
    pub first_reply_seconds: Option<i64>,
    /// First solve (or close without a solve).
    pub first_resolved_at: Option<DateTime<Utc>>,
    /// `first_resolution.v1`, seconds.
    pub first_resolution_seconds: Option<i64>,
    /// Latest solve.
    pub latest_solved_at: Option<DateTime<Utc>>,
    /// `full_resolution.v1`, seconds.
    pub full_resolution_seconds: Option<i64>,
    /// `requester_wait.v1`, seconds.
    pub requester_wait_seconds: Option<i64>,
    /// `agent_wait.v1`, seconds.
    pub agent_wait_seconds: Option<i64>,
    /// `on_hold.v1`, seconds.
    pub on_hold_seconds: Option<i64>,
    /// `replies.v1`.
    pub replies: i32,
    /// `reopens.v1`.
    pub reopens: i32,
    /// `on_hold.v1` by pause reason, seconds (`{"awaiting_parts": 3600, …}`).
    #[schema(value_type = Object)]
    pub on_hold_by_reason: serde_json::Value,
    /// `one_touch.v1` (`null` while unresolved).
    pub one_touch: Option<bool>,
}

impl From<TicketMetricsRow> for TicketMetricsResponse {
    fn from(m: TicketMetricsRow) -> Self {
        TicketMetricsResponse {
            agent_created: m.agent_created,
            first_reply_at: m.first_reply_at,
            first_reply_seconds: m.first_reply_seconds,
            first_resolved_at: m.first_resolved_at,
            first_resolution_seconds: m.first_resolution_seconds,
            latest_solved_at: m.latest_solved_at,
            full_resolution_seconds: m.full_resolution_seconds,
            requester_wait_seconds: m.requester_wait_seconds,
            agent_wait_seconds: m.agent_wait_seconds,
            on_hold_seconds: m.on_hold_seconds,
            replies: m.replies,
            reopens: m.reopens,
            on_hold_by_reason: m.on_hold_by_reason,
            one_touch: m.one_touch,
        }
    }
}

/// The SLA of a ticket: the policy that applies now and its clocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaResponse {
    /// Policy id.
    pub policy_id: i64,
    /// Policy name.
    pub policy_name: String,
    /// One clock per target of the policy for the ticket's priority (docs/METRICS.md §6).
    pub clocks: Vec<crate::domain::sla::Clock>,
}

/// `GET /tickets/{id}` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetailResponse {
    /// The ticket.
    pub ticket: TicketResponse,
    /// Its audit trail, oldest first.
    pub events: Vec<TicketEventResponse>,
    /// Its metrics.
    pub metrics: Option<TicketMetricsResponse>,
    /// Its SLA clocks at the time of the request (`null` when no policy applies).
    pub sla: Option<SlaResponse>,
}

pub(super) fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}
