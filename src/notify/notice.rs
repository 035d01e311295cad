//! The notices customers receive, as the outbox stores them (`outbox.kind` and `outbox.data`).
//!
//! A notice carries what its templates need as it was at the change — the ticket's number and
//! subject, the reply's text, the arrival window in the site's zone — so a retry days later
//! sends the same message, and the worker renders without reading the tickets again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What every notice about a ticket repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRef {
    /// The ticket number customers quote (in the subject as `[#N]`).
    pub number: i64,
    /// The ticket's subject at the change.
    pub subject: String,
    /// The requester's name (the greeting).
    pub requester_name: String,
}

/// A technician's visit as the customer is told about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// The work order.
    pub work_order_id: i64,
    /// Where (site name).
    pub site_name: String,
    /// The site's IANA time zone: the window is shown in it.
    pub time_zone: String,
    /// Promised arrival window, start (UTC).
    pub window_start: Option<DateTime<Utc>>,
    /// Promised arrival window, end (UTC).
    pub window_end: Option<DateTime<Utc>>,
}

/// The survey a message links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyLink {
    /// The survey (`surveys.id`, the token's subject).
    pub id: i64,
    /// The link's end (UTC, exclusive): the token's `exp`.
    pub expires_at: DateTime<Utc>,
}

/// One customer notice (`outbox.data`, tagged by `kind`, which is also `outbox.kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A new ticket was logged for the customer (its number, to quote).
    TicketReceived {
        /// The ticket.
        ticket: TicketRef,
    },
    /// An agent's public reply (never an internal note, never a technician's note).
    AgentReply {
        /// The ticket.
        ticket: TicketRef,
        /// The comment.
        comment_id: i64,
        /// The agent's name.
        agent_name: String,
        /// The reply's text.
        body: String,
    },
    /// The ticket was solved; the survey link when a survey was made.
    TicketSolved {
        /// The ticket.
        ticket: TicketRef,
        /// The survey of this solve.
        survey: Option<SurveyLink>,
    },
    /// A technician's visit was booked (or re-booked) with an arrival window.
    VisitScheduled {
        /// The ticket.
        ticket: TicketRef,
        /// The visit.
        visit: Visit,
    },
    /// The technician left for the site.
    TechnicianEnRoute {
        /// The ticket.
        ticket: TicketRef,
        /// The visit.
        visit: Visit,
        /// The technician's first name.
        technician_name: String,
    },
    /// The CSAT/NPS survey invitation (sent after the configured delay).
    SurveyInvitation {
        /// The ticket.
        ticket: TicketRef,
        /// The survey.
        survey: SurveyLink,
    },
}

impl Notice {
    /// The `outbox.kind` value (and the `notice` of a `notification` ticket event).
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::TicketReceived { .. } => "ticket_received",
            Notice::AgentReply { .. } => "agent_reply",
            Notice::TicketSolved { .. } => "ticket_solved",
            Notice::VisitScheduled { .. } => "visit_scheduled",
            Notice::TechnicianEnRoute { .. } => "technician_en_route",
            Notice::SurveyInvitation { .. } => "survey_invitation",
        }
    }

    /// The survey whose link it carries.
    pub fn survey(&self) -> Option<SurveyLink> {
        match self {
            Notice::TicketSolved { survey, .. } => *survey,
            Notice::SurveyInvitation { survey, .. } => Some(*survey),
            _ => None,
        }
    }

    /// The ticket it is about.
    pub fn ticket(&self) -> &TicketRef {
        match self {
            Notice::TicketReceived { ticket }
            | Notice::AgentReply { ticket, .. }
            | Notice::TicketSolved { ticket, .. }
            | Notice::VisitScheduled { ticket, .. }
            | Notice::TechnicianEnRoute { ticket, .. }
            | Notice::SurveyInvitation { ticket, .. } => ticket,
        }
    }
}
