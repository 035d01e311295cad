//! The ticket state machine and aggregate.
//!
//! A [`TicketState`] is built by [`TicketState::create`] and changed only by [`TicketState::apply`],
//! which checks the rules of docs/METRICS.md §2 and returns the [`TicketEvent`]s to append
//! to the event log. The importer and the API both go through this type, so imported and API-made
//! tickets obey the same rules and give the same metrics.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Lifecycle status of a ticket (docs/METRICS.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Just created, nobody has worked on it yet.
    New,
    /// Being worked on by the help desk.
    Open,
    /// Waiting on the requester.
    Pending,
    /// Waiting on a third party, parts or a field visit.
    OnHold,
    /// The help desk considers it resolved; the requester can still reopen it.
    Solved,
    /// Terminal: read-only.
    Closed,
}

impl TicketStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [TicketStatus; 6] = [
        TicketStatus::New,
        TicketStatus::Open,
        TicketStatus::Pending,
        TicketStatus::OnHold,
        TicketStatus::Solved,
        TicketStatus::Closed,
    ];

    /// The snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::OnHold => "on_hold",
            TicketStatus::Solved => "solved",
            TicketStatus::Closed => "closed",
        }
    }

    /// Parses the snake_case name; `None` for anything else.
    pub fn parse(s: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Checks a status change under the ordinary rules and describes it.
    ///
    /// Rules: a ticket never returns to `new`; `closed` is terminal; a ticket is closed only from
    /// `solved` (use [`ClosePolicy::FromAnyStatus`] through [`Command::Close`] for imported
    /// history); staying in the same status is not a transition. Leaving `solved` for an unsolved
    /// status is a reopen (`reopens.v1`).
    ///
    /// # Errors
    /// [`InvalidTransition`] naming both statuses when the rules refuse the change.
    pub fn transition(self, to: TicketStatus) -> Result<StatusChange, InvalidTransition> {
        use TicketStatus::*;
        let allowed = match (self, to) {
            (Closed, _) | (_, New) => false,
            (from, to) if from == to => false,
            (Solved, Closed) => true,
            (_, Closed) => false,
            _ => true,
        };
        if allowed {
            Ok(StatusChange {
                from: self,
                to,
                reopen: self == Solved && to != Closed,
            })
        } else {
            Err(InvalidTransition { from: self, to })
        }
    }
}

impl fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An allowed status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// Status before the change.
    pub from: TicketStatus,
    /// Status after the change.
    pub to: TicketStatus,
    /// True when the change leaves `solved` for an unsolved status (`reopens.v1`).
    pub reopen: bool,
}

/// A status change the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} ticket cannot become {to}")]
pub struct InvalidTransition {
    /// Current status.
    pub from: TicketStatus,
    /// Requested status.
    pub to: TicketStatus,
}

/// Ticket priority; `normal` unless set. Ordered from low to urgent.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    /// Low.
    Low,
    /// Normal (the default).
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

impl TicketPriority {
    /// Every priority, lowest first.
    pub const ALL: [TicketPriority; 4] = [
        TicketPriority::Low,
        TicketPriority::Normal,
        TicketPriority::High,
        TicketPriority::Urgent,
    ];

    /// The snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketPriority::Low => "low",
            TicketPriority::Normal => "normal",
            TicketPriority::High => "high",
            TicketPriority::Urgent => "urgent",
        }
    }

    /// Parses the snake_case name; `None` for anything else.
    pub fn parse(s: &str) -> Option<TicketPriority> {
        TicketPriority::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Who wrote a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// A staff member.
    Agent,
    /// The requester (or someone logging on the requester's behalf).
    Customer,
    /// An automation; never counts as a reply.
    System,
}

/// How a close is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosePolicy {
    /// Ordinary rule: only a `solved` ticket closes.
    RequireSolved,
    /// Imported history: the source closed the ticket from whatever status it had.
    FromAnyStatus,
}

/// What replaces each occurrence of redacted text in a comment.
pub const REDACTION_MARKER: &str = "[redacted]";

/// A staff member's id (`users.id`).
pub type StaffId = i64;

/// One change requested of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Assign the ticket to a staff member; a `new` ticket becomes `open` (as Zendesk).
    Assign {
        /// New assignee.
        assignee: StaffId,
    },
    /// Remove the assignee. Refused on a solved ticket (solved needs an assignee).
    Unassign,
    /// Add a comment. A requester's public comment on a `pending`, `on_hold` or `solved` ticket
    /// also sets it to `open` (docs/METRICS.md §2; from `solved` that is a reopen).
    Comment {
        /// Who wrote it.
        author: AuthorKind,
        /// Visible to the requester.
        public: bool,
    },
    /// Log a requester's public comment on an `on_hold` ticket without releasing the hold (the
    /// agent judges that the hold stands, e.g. an "any update?" call while parts are on order):
    /// a `comment_added` event only. Refused unless the ticket is on hold.
    RequesterCommentKeepingHold,
    /// Move to an unsolved status or to `solved`. Solving needs an assignee.
    SetStatus(TicketStatus),
    /// Put the ticket on hold for a reason (`awaiting_parts`, `awaiting_field_visit`,
    /// `facility_access`, `third_party`, …); already on hold, the reason changes.
    Hold {
        /// The pause reason.
        reason: String,
    },
    /// Close the ticket.
    Close(ClosePolicy),
    /// Record a priority assessment; `None` when the source gave no value.
    SetPriority(Option<TicketPriority>),
    /// Record an activity that changes nothing (e.g. an imported workflow step).
    Note {
        /// Name of the activity.
        activity: String,
    },
    /// Record a change of a descriptive field (subject, category, tags, organization, site,
    /// team, requester). Tags may change on a closed ticket; nothing else may.
    ChangeField {
        /// Field name.
        field: String,
        /// Old value (JSON).
        from: serde_json::Value,
        /// New value (JSON).
        to: serde_json::Value,
    },
    /// Record a link to another ticket (e.g. `follow_up`).
    Link {
        /// Link kind.
        kind: String,
        /// The other ticket.
        ticket_id: i64,
    },
    /// Record the removal of a link to another ticket (an incident unlinked from its problem).
    Unlink {
        /// Link kind, as it was linked.
        kind: String,
        /// The other ticket.
        ticket_id: i64,
    },
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The state machine refuses the status change.
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    /// `closed` is terminal: nothing but reading is allowed.
    #[error("the ticket is closed")]
    Closed,
    /// A ticket is solved only when someone is assigned (Zendesk's rule).
    #[error("a ticket needs an assignee to be solved")]
    SolveWithoutAssignee,
    /// The assignee of a solved ticket cannot be removed.
    #[error("a solved ticket keeps its assignee")]
    UnassignSolved,
    /// Only an `on_hold` ticket can keep its hold through a requester's comment.
    #[error("the ticket is not on hold")]
    NotOnHold,
    /// An event older than the ticket's latest event would rewrite history.
    #[error("event at {at} is earlier than the ticket's latest event at {latest}")]
    OutOfOrder {
        /// Instant of the refused event.
        at: DateTime<Utc>,
        /// Instant of the latest applied event.
        latest: DateTime<Utc>,
    },
}

/// What happened to a ticket: one row of `ticket_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// When it happened (UTC).
    pub occurred_at: DateTime<Utc>,
    /// Staff member who caused it, if any.
    pub actor: Option<StaffId>,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of ticket events; serialised as `{"kind": "...", ...}` in `ticket_events.data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// The ticket was created (always the first event).
    Created {
        /// Created by a staff member rather than by the requester.
        agent_created: bool,
        /// The creation carried a public agent comment (a logged phone call): `frt.v1` then stops
        /// at the *second* public agent comment.
        with_public_agent_comment: bool,
    },
    /// The assignee changed.
    Assigned {
        /// Previous assignee.
        from: Option<StaffId>,
        /// New assignee.
        to: Option<StaffId>,
    },
    /// A comment was added.
    CommentAdded {
        /// Who wrote it.
        author: AuthorKind,
        /// Visible to the requester.
        public: bool,
    },
    /// The status changed.
    StatusChanged {
        /// Previous status.
        from: TicketStatus,
        /// New status.
        to: TicketStatus,
        /// Why the ticket went on hold (`on_hold.v1` pause reason), when it did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A priority was assessed.
    PriorityChanged {
        /// Previous priority.
        from: TicketPriority,
        /// New priority (`None`: assessed, value unknown; the priority is unchanged).
        to: Option<TicketPriority>,
    },
    /// An activity with no effect on status.
    Note {
        /// Name of the activity.
        activity: String,
    },
    /// A descriptive field changed.
    FieldChanged {
        /// Field name.
        field: String,
        /// Old value.
        from: serde_json::Value,
        /// New value.
        to: serde_json::Value,
    },
    /// A link to another ticket was recorded.
    Linked {
        /// Link kind (`follow_up`, `duplicate`).
        link: String,
        /// The other ticket.
        ticket_id: i64,
    },
    /// A link to another ticket was removed (`problem` on an incident, `incident` on its
    /// problem). No effect on status or metrics.
    Unlinked {
        /// Link kind, as it was linked.
        link: String,
        /// The other ticket.
        ticket_id: i64,
    },
    /// An SLA target fell due before it was fulfilled. Recorded by the SLA worker with the due
    /// instant as its time, even when the worker runs later (so it may follow later events).
    SlaBreached {
        /// Which target.
        target: TargetKind,
        /// The due instant.
        at: DateTime<Utc>,
        /// The policy that set the target.
        policy_id: i64,
    },
    /// A work order of the ticket was created or changed status (docs/METRICS.md §8). Its
    /// instant is the technician's device instant, which may be earlier than the ticket's
    /// previous events when the device was offline (the receipt instant is the row's
    /// `recorded_at`); the ticket's own metrics ignore it.
    WorkOrder {
        /// The work order.
        work_order_id: i64,
        /// Previous status (`None`: created).
        from: Option<crate::domain::work_order::WorkOrderStatus>,
        /// New status.
        to: crate::domain::work_order::WorkOrderStatus,
        /// What came with the change (technician and arrival window of a dispatch, completion
        /// details, reasons), as JSON.
        #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
        detail: serde_json::Value,
    },
    /// A customer notice was queued in the outbox, or not sent and why (opted out, no email).
    /// No effect on status or metrics.
    Notification {
        /// The notice (`ticket_received`, `agent_reply`, `ticket_solved`, `visit_scheduled`,
        /// `technician_en_route`).
        notice: String,
        /// The customer it is for.
        customer_id: Option<i64>,
        /// `queued`, or `suppressed` with a `reason`.
        outcome: String,
        /// Why it was not sent (`opted_out`, `no_email`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The requester answered a CSAT/NPS survey (docs/METRICS.md, Satisfaction). The comment
    /// stays in `surveys`; no effect on status.
    SurveyAnswered {
        /// The survey.
        survey_id: i64,
        /// Rating 1–5.
        score: i16,
        /// Likelihood to recommend 0–10, when answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nps: Option<i16>,
        /// The customer agreed to have the comment quoted anonymously.
        consent_to_quote: bool,
        /// It replaced an earlier answer of the ticket.
        replaced: bool,
    },
    /// Text was redacted from a comment (a card number typed by mistake): every occurrence
    /// replaced by [`REDACTION_MARKER`]. The removed text is never recorded, only how much went.
    /// No effect on status or metrics.
    CommentRedacted {
        /// The comment.
        comment_id: i64,
        /// How many occurrences were replaced.
        occurrences: i64,
        /// Characters removed (occurrences × the text's length in characters).
        characters_removed: i64,
        /// The ticket's description (the same text as its first comment) was redacted too.
        #[serde(default)]
        description: bool,
    },
    /// A file was attached to a comment (docs/TICKETS.md, Attachments). The file's name is not
    /// recorded here (a redaction of the attachment could not remove it from the append-only
    /// log); its hash, type and size are. No effect on status or metrics.
    AttachmentAdded {
        /// The attachment.
        attachment_id: i64,
        /// The comment it is on.
        comment_id: i64,
        /// Its content type, sniffed from the bytes.
        content_type: String,
        /// Its size, bytes.
        size_bytes: i64,
        /// Lower-case hex SHA-256 of its bytes.
        sha256: String,
    },
    /// An attachment was redacted: its stored bytes deleted, its name removed. No effect on
    /// status or metrics.
    AttachmentRedacted {
        /// The attachment.
        attachment_id: i64,
        /// The comment it was on.
        comment_id: i64,
    },
    /// A macro was applied: the events of the changes it made follow, at the same instant and
    /// by the same actor. No effect of its own on status or metrics.
    MacroApplied {
        /// The macro.
        macro_id: i64,
        /// Its name when applied.
        name: String,
    },
    /// An SLA target came within the policy's warning offset of its due instant.
    SlaWarning {
        /// Which target.
        target: TargetKind,
        /// The warning instant.
        at: DateTime<Utc>,
        /// The policy that set the target.
        policy_id: i64,
    },
}

impl EventKind {
    /// The `ticket_events.kind` column value.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created { .. } => "created",
            EventKind::Assigned { .. } => "assigned",
            EventKind::CommentAdded { .. } => "comment_added",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::PriorityChanged { .. } => "priority_changed",
            EventKind::Note { .. } => "note",
            EventKind::FieldChanged { .. } => "field_changed",
            EventKind::Linked { .. } => "linked",
            EventKind::Unlinked { .. } => "unlinked",
            EventKind::SlaBreached { .. } => "sla_breached",
            EventKind::SlaWarning { .. } => "sla_warning",
            EventKind::WorkOrder { .. } => "work_order",
            EventKind::Notification { .. } => "notification",
            EventKind::SurveyAnswered { .. } => "survey_answered",
            EventKind::CommentRedacted { .. } => "comment_redacted",
            EventKind::MacroApplied { .. } => "macro_applied",
            EventKind::AttachmentAdded { .. } => "attachment_added",
            EventKind::AttachmentRedacted { .. } => "attachment_redacted",
        }
    }
}

/// The SLA targets a policy may set (named by the SLA events of the log; the policies are in
/// [`crate::domain::sla`]).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// First reply time.
    FirstReply,
    /// Next reply time.
    NextReply,
    /// Requester wait until solved.
    Resolution,
    /// Time in `new` + `open` until solved.
    AgentWork,
}

/// Current state of a ticket, as far as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    /// Current status.
    pub status: TicketStatus,
    /// Current priority.
    pub priority: TicketPriority,
    /// Current assignee.
    pub assignee: Option<StaffId>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Instant of the latest event.
    pub updated_at: DateTime<Utc>,
    /// Latest instant the ticket became `solved`.
    pub solved_at: Option<DateTime<Utc>>,
    /// Instant the ticket was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// How a ticket comes into being.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creation {
    /// Creation instant.
    pub at: DateTime<Utc>,
    /// Staff member who created it; `None` when the requester did (email, web form).
    pub created_by: Option<StaffId>,
    /// The creating staff member wrote a public comment as part of the creation.
    pub with_public_agent_comment: bool,
}

impl TicketState {
    /// Creates a ticket in status `new` with priority `normal`; returns it with its `created` event.
    pub fn create(creation: &Creation) -> (TicketState, TicketEvent) {
        let state = TicketState {
            status: TicketStatus::New,
            priority: TicketPriority::Normal,
            assignee: None,
            created_at: creation.at,
            updated_at: creation.at,
            solved_at: None,
            closed_at: None,
        };
        let event = TicketEvent {
            occurred_at: creation.at,
            actor: creation.created_by,
            kind: EventKind::Created {
                agent_created: creation.created_by.is_some(),
                with_public_agent_comment: creation.with_public_agent_comment,
            },
        };
        (state, event)
    }

    /// Applies one command at instant `at` by `actor`; returns the events to append (possibly none:
    /// solving a solved ticket changes nothing) and updates `self`. On error `self` is unchanged.
    ///
    /// # Errors
    /// [`CommandError`] when the ticket is closed, the event is older than the latest one, or the
    /// state machine refuses the status change.
    pub fn apply(
        &mut self,
        command: &Command,
        at: DateTime<Utc>,
        actor: Option<StaffId>,
    ) -> Result<Vec<TicketEvent>, CommandError> {
        if at < self.updated_at {
            return Err(CommandError::OutOfOrder {
                at,
                latest: self.updated_at,
            });
        }
        let tags_only = matches!(command, Command::ChangeField { field, .. } if field == "tags");
        if self.status == TicketStatus::Closed && !tags_only {
            return Err(CommandError::Closed);
        }
        let mut next = self.clone();
        let mut kinds = Vec::new();
        match command {
            Command::Assign { assignee } => {
                if next.assignee != Some(*assignee) {
                    kinds.push(EventKind::Assigned {
                        from: next.assignee,
                        to: Some(*assignee),
                    });
                    next.assignee = Some(*assignee);
                }
                if next.status == TicketStatus::New {
                    kinds.push(next.change_status(TicketStatus::Open, at)?);
                }
            }
            Command::Unassign => {
                if next.status == TicketStatus::Solved {
                    return Err(CommandError::UnassignSolved);
                }
                if next.assignee.is_some() {
                    kinds.push(EventKind::Assigned {
                        from: next.assignee,
                        to: None,
                    });
                    next.assignee = None;
                }
            }
            Command::Comment { author, public } => {
                kinds.push(EventKind::CommentAdded {
                    author: *author,
                    public: *public,
                });
                let reopens = matches!(
                    next.status,
                    TicketStatus::Pending | TicketStatus::OnHold | TicketStatus::Solved
                );
                if *author == AuthorKind::Customer && *public && reopens {
                    kinds.push(next.change_status(TicketStatus::Open, at)?);
                }
            }
            Command::RequesterCommentKeepingHold => {
                if next.status != TicketStatus::OnHold {
                    return Err(CommandError::NotOnHold);
                }
                kinds.push(EventKind::CommentAdded {
                    author: AuthorKind::Customer,
                    public: true,
                });
            }
            Command::ChangeField { field, from, to } => {
                if from != to {
                    kinds.push(EventKind::FieldChanged {
                        field: field.clone(),
                        from: from.clone(),
                        to: to.clone(),
                    });
                }
            }
            Command::Link { kind, ticket_id } => kinds.push(EventKind::Linked {
                link: kind.clone(),
                ticket_id: *ticket_id,
            }),
            Command::Unlink { kind, ticket_id } => kinds.push(EventKind::Unlinked {
                link: kind.clone(),
                ticket_id: *ticket_id,
            }),
            Command::Hold { reason } => {
                if next.status == TicketStatus::OnHold {
                    // A new reason from now on: recorded as a status event on_hold → on_hold.
                    kinds.push(EventKind::StatusChanged {
                        from: TicketStatus::OnHold,
                        to: TicketStatus::OnHold,
                        reason: Some(reason.clone()),
                    });
                } else {
                    let mut event = next.change_status(TicketStatus::OnHold, at)?;
                    if let EventKind::StatusChanged { reason: r, .. } = &mut event {
                        *r = Some(reason.clone());
                    }
                    kinds.push(event);
                }
            }
            Command::SetStatus(to) if *to == next.status => {}
            Command::SetStatus(to) => {
                if *to == TicketStatus::Solved && next.assignee.is_none() {
                    return Err(CommandError::SolveWithoutAssignee);
                }
                kinds.push(next.change_status(*to, at)?);
            }
            Command::Close(policy) => {
                let from = next.status;
                if *policy == ClosePolicy::RequireSolved {
                    from.transition(TicketStatus::Closed)?;
                }
                next.status = TicketStatus::Closed;
                next.closed_at = Some(at);
                kinds.push(EventKind::StatusChanged {
                    from,
                    to: TicketStatus::Closed,
                    reason: None,
                });
            }
            Command::SetPriority(to) => {
                kinds.push(EventKind::PriorityChanged {
                    from: next.priority,
                    to: *to,
                });
                if let Some(p) = to {
                    next.priority = *p;
                }
            }
            Command::Note { activity } => kinds.push(EventKind::Note {
                activity: activity.clone(),
            }),
        }
        next.updated_at = at;
        *self = next;
        Ok(kinds
            .into_iter()
            .map(|kind| TicketEvent {
                occurred_at: at,
                actor,
                kind,
            })
            .collect())
    }

    fn change_status(
        &mut self,
        to: TicketStatus,
        at: DateTime<Utc>,
    ) -> Result<EventKind, InvalidTransition> {
        let change = self.status.transition(to)?;
        self.status = to;
        if to == TicketStatus::Solved {
            self.solved_at = Some(at);
        }
        Ok(EventKind::StatusChanged {
            from: change.from,
            to: change.to,
            reason: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
            .single()
            .unwrap_or_default()
    }

    fn new_ticket() -> TicketState {
        TicketState::create(&Creation {
            at: t(9, 0),
            created_by: None,
            with_public_agent_comment: false,
        })
        .0
    }

    #[test]
    fn every_status_pair_follows_the_documented_rules() {
        // (from, to) pairs that the ordinary rules allow; every other pair is refused.
        let allowed = [
            (New, Open),
            (New, Pending),
            (New, OnHold),
            (New, Solved),
            (Open, Pending),
            (Open, OnHold),
            (Open, Solved),
            (Pending, Open),
            (Pending, OnHold),
            (Pending, Solved),
            (OnHold, Open),
            (OnHold, Pending),
            (OnHold, Solved),
            (Solved, Open),
            (Solved, Pending),
            (Solved, OnHold),
            (Solved, Closed),
        ];
        for from in TicketStatus::ALL {
            for to in TicketStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(
                    from.transition(to).is_ok(),
                    expected,
                    "{from} -> {to} should be {}",
                    if expected { "allowed" } else { "refused" }
                );
            }
        }
    }

    #[test]
    fn only_leaving_solved_for_an_unsolved_status_is_a_reopen() {
        assert_eq!(Solved.transition(Open).map(|c| c.reopen), Ok(true));
        assert_eq!(Solved.transition(Pending).map(|c| c.reopen), Ok(true));
        assert_eq!(Solved.transition(OnHold).map(|c| c.reopen), Ok(true));
        assert_eq!(Solved.transition(Closed).map(|c| c.reopen), Ok(false));
        assert_eq!(Pending.transition(Open).map(|c| c.reopen), Ok(false));
    }

    #[test]
    fn assigning_a_new_ticket_opens_it_and_records_both_events() {
        let mut ticket = new_ticket();
        let events = ticket
            .apply(&Command::Assign { assignee: 7 }, t(9, 5), Some(7))
            .unwrap_or_default();
        let kinds: Vec<_> = events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Assigned {
                    from: None,
                    to: Some(7)
                },
                EventKind::StatusChanged {
                    from: New,
                    to: Open,
                    reason: None,
                }
            ]
        );
        assert_eq!(ticket.status, Open);
        assert_eq!(ticket.assignee, Some(7));
        assert_eq!(ticket.updated_at, t(9, 5));
    }

    #[test]
    fn solving_without_an_assignee_is_refused_and_changes_nothing() {
        let mut ticket = new_ticket();
        let before = ticket.clone();
        let err = ticket.apply(&Command::SetStatus(Solved), t(9, 5), Some(1));
        assert_eq!(err, Err(CommandError::SolveWithoutAssignee));
        assert_eq!(ticket, before);
    }

    #[test]
    fn a_second_solve_changes_nothing() {
        let mut ticket = new_ticket();
        let _ = ticket.apply(&Command::Assign { assignee: 1 }, t(9, 1), Some(1));
        let first = ticket.apply(&Command::SetStatus(Solved), t(9, 2), Some(1));
        assert_eq!(first.map(|e| e.len()), Ok(1));
        let second = ticket.apply(&Command::SetStatus(Solved), t(9, 3), Some(1));
        assert_eq!(second, Ok(vec![]));
        assert_eq!(ticket.solved_at, Some(t(9, 2)));
    }

    #[test]
    fn closing_requires_solved_unless_history_says_otherwise() {
        let mut ticket = new_ticket();
        assert_eq!(
            ticket.apply(
                &Command::Close(ClosePolicy::RequireSolved),
                t(9, 1),
                Some(1)
            ),
            Err(CommandError::InvalidTransition(InvalidTransition {
                from: New,
                to: Closed
            }))
        );
        let events = ticket.apply(
            &Command::Close(ClosePolicy::FromAnyStatus),
            t(9, 2),
            Some(1),
        );
        assert_eq!(
            events.map(|e| e.into_iter().map(|e| e.kind).collect::<Vec<_>>()),
            Ok(vec![EventKind::StatusChanged {
                from: New,
                to: Closed,
                reason: None,
            }])
        );
        assert_eq!(ticket.closed_at, Some(t(9, 2)));
    }

    #[test]
    fn a_closed_ticket_refuses_every_command() {
        let mut ticket = new_ticket();
        let _ = ticket.apply(
            &Command::Close(ClosePolicy::FromAnyStatus),
            t(9, 1),
            Some(1),
        );
        let commands = [
            Command::Close(ClosePolicy::FromAnyStatus),
            Command::Assign { assignee: 2 },
            Command::SetStatus(Open),
            Command::Comment {
                author: AuthorKind::Agent,
                public: true,
            },
            Command::SetPriority(Some(TicketPriority::High)),
            Command::Note {
                activity: "x".into(),
            },
        ];
        for command in commands {
            assert_eq!(
                ticket.apply(&command, t(9, 2), Some(1)),
                Err(CommandError::Closed),
                "{command:?}"
            );
        }
    }

    #[test]
    fn a_requester_comment_may_keep_an_on_hold_ticket_on_hold_and_nothing_else() {
        let mut ticket = new_ticket();
        ticket.assignee = Some(1);
        ticket.status = OnHold;
        let events = ticket
            .apply(&Command::RequesterCommentKeepingHold, t(10, 0), Some(1))
            .unwrap();
        assert_eq!(
            events.into_iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EventKind::CommentAdded {
                author: AuthorKind::Customer,
                public: true,
            }]
        );
        assert_eq!((ticket.status, ticket.updated_at), (OnHold, t(10, 0)));
        for status in [New, Open, Pending, Solved] {
            let mut ticket = new_ticket();
            ticket.assignee = Some(1);
            ticket.status = status;
            let before = ticket.clone();
            assert_eq!(
                ticket.apply(&Command::RequesterCommentKeepingHold, t(10, 0), None),
                Err(CommandError::NotOnHold),
                "{status}"
            );
            assert_eq!(ticket, before, "unchanged on error");
        }
    }

    #[test]
    fn a_requester_comment_reopens_pending_on_hold_and_solved_tickets_only() {
        let customer = Command::Comment {
            author: AuthorKind::Customer,
            public: true,
        };
        for (status, expect_reopen) in [
            (New, false),
            (Open, false),
            (Pending, true),
            (OnHold, true),
            (Solved, true),
        ] {
            let mut ticket = new_ticket();
            ticket.assignee = Some(1);
            ticket.status = status;
            let kinds: Vec<_> = ticket
                .apply(&customer, t(10, 0), None)
                .unwrap()
                .into_iter()
                .map(|e| e.kind)
                .collect();
            let mut expected = vec![EventKind::CommentAdded {
                author: AuthorKind::Customer,
                public: true,
            }];
            if expect_reopen {
                expected.push(EventKind::StatusChanged {
                    from: status,
                    to: Open,
                    reason: None,
                });
            }
            assert_eq!(kinds, expected, "{status}");
        }
        // A private note from the requester's side, or an agent's public reply, reopens nothing.
        let mut ticket = new_ticket();
        ticket.status = Pending;
        let _ = ticket.apply(
            &Command::Comment {
                author: AuthorKind::Agent,
                public: true,
            },
            t(10, 0),
            Some(1),
        );
        assert_eq!(ticket.status, Pending);
    }

    #[test]
    fn a_solved_ticket_keeps_its_assignee_and_a_closed_one_only_takes_tags() {
        let mut ticket = new_ticket();
        let _ = ticket.apply(&Command::Assign { assignee: 1 }, t(9, 1), Some(1));
        let _ = ticket.apply(&Command::SetStatus(Solved), t(9, 2), Some(1));
        assert_eq!(
            ticket.apply(&Command::Unassign, t(9, 3), Some(1)),
            Err(CommandError::UnassignSolved)
        );
        let _ = ticket.apply(&Command::Close(ClosePolicy::RequireSolved), t(9, 4), None);
        let tags = Command::ChangeField {
            field: "tags".into(),
            from: serde_json::json!([]),
            to: serde_json::json!(["vip"]),
        };
        assert_eq!(
            ticket.apply(&tags, t(9, 5), Some(1)).map(|e| e.len()),
            Ok(1)
        );
        let subject = Command::ChangeField {
            field: "subject".into(),
            from: serde_json::json!("a"),
            to: serde_json::json!("b"),
        };
        assert_eq!(
            ticket.apply(&subject, t(9, 6), Some(1)),
            Err(CommandError::Closed)
        );
    }

    #[test]
    fn an_event_older_than_the_latest_is_refused() {
        let mut ticket = new_ticket();
        let result = ticket.apply(&Command::SetStatus(Pending), t(8, 59), Some(1));
        assert_eq!(
            result,
            Err(CommandError::OutOfOrder {
                at: t(8, 59),
                latest: t(9, 0)
            })
        );
    }

    #[test]
    fn a_priority_assessment_without_a_value_keeps_the_priority() {
        let mut ticket = new_ticket();
        let events = ticket.apply(&Command::SetPriority(None), t(9, 1), Some(1));
        assert_eq!(
            events.map(|e| e.into_iter().map(|e| e.kind).collect::<Vec<_>>()),
            Ok(vec![EventKind::PriorityChanged {
                from: TicketPriority::Normal,
                to: None
            }])
        );
        assert_eq!(ticket.priority, TicketPriority::Normal);
        let _ = ticket.apply(
            &Command::SetPriority(Some(TicketPriority::Urgent)),
            t(9, 2),
            None,
        );
        assert_eq!(ticket.priority, TicketPriority::Urgent);
    }
}
