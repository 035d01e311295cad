//! Rust mirrors of the PostgreSQL enums (diesel-derive-enum) and their conversions to domain types.

use crate::domain::ticket::{AuthorKind, TicketPriority, TicketStatus};
use diesel_derive_enum::DbEnum;
use serde::{Deserialize, Serialize};

/// `ticket_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum)]
#[ExistingTypePath = "crate::schema::sql_types::TicketStatus"]
pub enum DbTicketStatus {
    /// new
    New,
    /// open
    Open,
    /// pending
    Pending,
    /// on_hold
    OnHold,
    /// solved
    Solved,
    /// closed
    Closed,
}

impl From<TicketStatus> for DbTicketStatus {
    fn from(s: TicketStatus) -> Self {
        match s {
            TicketStatus::New => DbTicketStatus::New,
            TicketStatus::Open => DbTicketStatus::Open,
            TicketStatus::Pending => DbTicketStatus::Pending,
            TicketStatus::OnHold => DbTicketStatus::OnHold,
            TicketStatus::Solved => DbTicketStatus::Solved,
            TicketStatus::Closed => DbTicketStatus::Closed,
        }
    }
}

impl From<DbTicketStatus> for TicketStatus {
    fn from(s: DbTicketStatus) -> Self {
        match s {
            DbTicketStatus::New => TicketStatus::New,
            DbTicketStatus::Open => TicketStatus::Open,
            DbTicketStatus::Pending => TicketStatus::Pending,
            DbTicketStatus::OnHold => TicketStatus::OnHold,
            DbTicketStatus::Solved => TicketStatus::Solved,
            DbTicketStatus::Closed => TicketStatus::Closed,
        }
    }
}

/// `ticket_priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum)]
#[ExistingTypePath = "crate::schema::sql_types::TicketPriority"]
pub enum DbTicketPriority {
    /// low
    Low,
    /// normal
    Normal,
    /// high
    High,
    /// urgent
    Urgent,
}

impl From<TicketPriority> for DbTicketPriority {
    fn from(p: TicketPriority) -> Self {
        match p {
            TicketPriority::Low => DbTicketPriority::Low,
            TicketPriority::Normal => DbTicketPriority::Normal,
            TicketPriority::High => DbTicketPriority::High,
            TicketPriority::Urgent => DbTicketPriority::Urgent,
        }
    }
}

impl From<DbTicketPriority> for TicketPriority {
    fn from(p: DbTicketPriority) -> Self {
        match p {
            DbTicketPriority::Low => TicketPriority::Low,
            DbTicketPriority::Normal => TicketPriority::Normal,
            DbTicketPriority::High => TicketPriority::High,
            DbTicketPriority::Urgent => TicketPriority::Urgent,
        }
    }
}

/// `ticket_channel`: how the request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[ExistingTypePath = "crate::schema::sql_types::TicketChannel"]
#[serde(rename_all = "snake_case")]
pub enum TicketChannel {
    /// A phone call logged by an agent.
    Phone,
    /// An email.
    Email,
    /// The web form.
    Web,
    /// A chat.
    Chat,
    /// Raised in the field by a technician.
    Field,
}

/// `comment_author_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum)]
#[ExistingTypePath = "crate::schema::sql_types::CommentAuthorKind"]
pub enum DbAuthorKind {
    /// agent
    Agent,
    /// customer
    Customer,
    /// system
    System,
}

impl DbAuthorKind {
    /// The snake_case name (`agent`, `customer`, `system`).
    pub fn as_str(self) -> &'static str {
        match self {
            DbAuthorKind::Agent => "agent",
            DbAuthorKind::Customer => "customer",
            DbAuthorKind::System => "system",
        }
    }
}

impl From<AuthorKind> for DbAuthorKind {
    fn from(a: AuthorKind) -> Self {
        match a {
            AuthorKind::Agent => DbAuthorKind::Agent,
            AuthorKind::Customer => DbAuthorKind::Customer,
            AuthorKind::System => DbAuthorKind::System,
        }
    }
}

/// `team_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[ExistingTypePath = "crate::schema::sql_types::TeamKind"]
#[serde(rename_all = "snake_case")]
pub enum TeamKind {
    /// Agents answering phone, email and web.
    ContactCenter,
    /// Field technicians.
    FieldService,
}

/// `team_sourcing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[ExistingTypePath = "crate::schema::sql_types::TeamSourcing"]
#[serde(rename_all = "snake_case")]
pub enum TeamSourcing {
    /// Staffed by the company's own employees.
    InHouse,
    /// Staffed by a vendor.
    Outsourced,
}

/// `user_role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[ExistingTypePath = "crate::schema::sql_types::UserRole"]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Everything.
    Admin,
    /// Reads everything, metrics, manages teams.
    Manager,
    /// Creates and works tickets.
    Agent,
    /// Works the work orders assigned to them.
    Technician,
}

/// `employment_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DbEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[ExistingTypePath = "crate::schema::sql_types::EmploymentType"]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    /// On the company's payroll.
    Employee,
    /// A contractor.
    Contractor,
}

impl EmploymentType {
    /// The stored name: `employee` or `contractor`.
    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentType::Employee => "employee",
            EmploymentType::Contractor => "contractor",
        }
    }

    /// From its stored name; `None` for anything else.
    pub fn parse(s: &str) -> Option<EmploymentType> {
        match s {
            "employee" => Some(EmploymentType::Employee),
            "contractor" => Some(EmploymentType::Contractor),
            _ => None,
        }
    }
}
