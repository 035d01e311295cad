//! `notify`: what a ticket change tells its requester, written in the change's own transaction.
//!
//! A use case that changes a ticket calls [`plan`] with the events it is about to append and the
//! requester, appends the returned `notification` events with its own (same statement), saves,
//! then calls [`write_tx`] with the saved ticket and comment rows, which queues the outbox rows
//! (one statement), makes the survey of a solve, and on a reopen cancels the pending survey
//! invitation. Nothing is sent here: the outbox worker ([`crate::workers::outbox`]) sends after
//! the commit, so a rolled-back change never emails anyone.
//!
//! What customers receive (issue 12):
//! - `ticket_received`: a ticket was created for them (also a follow-up, or one created from
//!   their email); its number to quote.
//! - `agent_reply`: each public comment by an agent; never an internal note, never a
//!   technician's note (technicians write internal notes only), never the customer's own words,
//!   and not the description of a ticket an agent logs (the creation's notice covers it).
//! - `ticket_solved`: each solve, with the survey link.
//! - `visit_scheduled`: each dispatch of a work order (a re-dispatch re-books), with the arrival
//!   window in the site's zone; `technician_en_route`: the technician left for the site.
//! - `survey_invitation`: the CSAT/NPS survey, `email.survey_delay_hours` after the solve
//!   (cancelled when the ticket is reopened before, or the survey answered).
//!
//! A requester who opted out, or has no email, receives nothing: the `notification` event says
//! `suppressed` with the reason (`opted_out`, `no_email`) and no survey is made (METRICS.md:
//! no survey without a requester email). A ticket without a requester has nobody to tell: no
//! event. Every notice queued is also a `notification` event (`queued`), so the log shows who was
//! told what.
//!
//! Dedupe keys name the event and the recipient — `ticket:T:received:to:C`,
//! `comment:M:to:C`, `ticket:T:solved:<instant>:to:C`, `work_order:W:<status>:<instant>:to:C`,
//! `survey:S:invitation:to:C` — and are unique in `outbox`: one change never queues two emails.

use crate::domain::ticket::{AuthorKind, EventKind, TicketEvent, TicketStatus};
use crate::domain::work_order::WorkOrderStatus;
use crate::error::ApiError;
use crate::models::organization::{self as orgs, Customer};
use crate::models::outbox::{self, NewOutbox};
use crate::models::survey::{self, NewSurvey};
use crate::models::ticket::{CommentRow, Ticket};
use crate::notify::notice::{Notice, SurveyLink, TicketRef};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// The notice rules a ticket write applies (from `[email]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeSettings {
    /// Queue notices at all (`email.notifications_enabled`).
    pub enabled: bool,
    /// Solve → survey invitation (`email.survey_delay_hours`).
    pub survey_delay: Duration,
    /// Invitation → end of the survey link (`email.survey_link_days`).
    pub survey_link: Duration,
}

impl Default for NoticeSettings {
    /// On, 24 hours, 28 days (METRICS.md, Satisfaction).
    fn default() -> Self {
        NoticeSettings {
            enabled: true,
            survey_delay: Duration::hours(24),
            survey_link: Duration::days(28),
        }
    }
}

impl NoticeSettings {
    /// The settings of `[email]`.
    pub fn from_settings(email: &crate::configuration::EmailSettings) -> NoticeSettings {
        NoticeSettings {
            enabled: email.notifications_enabled,
            survey_delay: Duration::hours(email.survey_delay_hours),
            survey_link: Duration::days(email.survey_link_days),
        }
    }
}

/// Why a notice was not queued.
const OPTED_OUT: &str = "opted_out";
const NO_EMAIL: &str = "no_email";

/// A notice a change causes, before the change is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Received,
    /// The `index`-th comment of the change (its row after the save).
    Reply {
        index: usize,
    },
    Solved {
        at: DateTime<Utc>,
    },
    Visit {
        work_order_id: i64,
        to: WorkOrderStatus,
        at: DateTime<Utc>,
    },
}

/// What a change will tell its requester: built by [`plan`], carried out by [`write_tx`].
#[derive(Debug, Default)]
pub struct Plan {
    pending: Vec<Pending>,
    reopened: bool,
    agent_name: Option<String>,
    /// `(customer id, address)` when the requester can be emailed.
    recipient: Option<(i64, String, String)>,
}

impl Plan {
    /// Whether [`write_tx`] has anything to do.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && !self.reopened
    }

    /// The plan of one change made of two parts for the same requester: `self`'s notices, then
    /// `then`'s (whose events carry no comment, so the comment indexes of `self` hold), carried
    /// out by one [`write_tx`].
    pub fn merge(mut self, then: Plan) -> Plan {
        self.pending.extend(then.pending);
        self.reopened |= then.reopened;
        self.agent_name = self.agent_name.or(then.agent_name);
        self.recipient = self.recipient.or(then.recipient);
        self
    }
}

/// Whether `events` cause a notice or a reopen (so the requester must be read).
pub fn concerns_requester(settings: NoticeSettings, events: &[TicketEvent]) -> bool {
    settings.enabled
        && events.iter().any(|e| {
            reopens(e)
                || !pending_of(e, false).is_empty()
                || matches!(
                    e.kind,
                    EventKind::CommentAdded {
                        author: AuthorKind::Agent,
                        public: true
                    }
                )
        })
}

/// The requester a change may tell, and the name of the agent whose public reply it carries.
#[derive(Debug, Clone)]
pub struct Requester {
    /// The requester.
    pub customer: Customer,
    /// The replying agent's name (for the reply's greeting line).
    pub agent_name: Option<String>,
}

impl From<Customer> for Requester {
    fn from(customer: Customer) -> Self {
        Requester {
            customer,
            agent_name: None,
        }
    }
}

/// Reads requester `requester_id` when `events` concern them, with the name of the agent of
/// the public reply among `events` (one statement, or none).
///
/// # Errors
/// Database errors.
pub fn requester_for(
    conn: &mut PgConnection,
    settings: NoticeSettings,
    requester_id: Option<i64>,
    events: &[TicketEvent],
) -> Result<Option<Requester>, ApiError> {
    use crate::schema::{customers, users};
    let Some(id) = requester_id.filter(|_| concerns_requester(settings, events)) else {
        return Ok(None);
    };
    let agent = events.iter().find_map(|e| match e.kind {
        EventKind::CommentAdded {
            author: AuthorKind::Agent,
            public: true,
        } => e.actor,
        _ => None,
    });
    let Some(agent) = agent else {
        return Ok(orgs::get_customer(conn, id)
            .optional()?
            .map(Requester::from));
    };
    let found: Option<(Customer, Option<String>)> = customers::table
        .find(id)
        .select((
            Customer::as_select(),
            users::table
                .filter(users::id.eq(agent))
                .select(users::name)
                .single_value(),
        ))
        .first(conn)
        .optional()?;
    Ok(found.map(|(customer, agent_name)| Requester {
        customer,
        agent_name,
    }))
}

fn reopens(e: &TicketEvent) -> bool {
    matches!(
        e.kind,
        EventKind::StatusChanged {
            from: TicketStatus::Solved,
            to,
            ..
        } if to != TicketStatus::Closed
    )
}

/// The notices one event causes; `comment_index` counts the change's comments before it.
fn pending_of(e: &TicketEvent, created: bool) -> Vec<Pending> {
    match &e.kind {
        EventKind::Created { .. } => vec![Pending::Received],
        EventKind::StatusChanged {
            to: TicketStatus::Solved,
            ..
        } => vec![Pending::Solved { at: e.occurred_at }],
        EventKind::WorkOrder {
            work_order_id,
            to: to @ (WorkOrderStatus::Dispatched | WorkOrderStatus::EnRoute),
            ..
        } if !created => vec![Pending::Visit {
            work_order_id: *work_order_id,
            to: *to,
            at: e.occurred_at,
        }],
        _ => Vec::new(),
    }
}

/// Plans what `events` (about to be appended, in order; one body per `comment_added`) tell
/// `requester`, and returns the `notification` events to append right after them.
pub fn plan(
    settings: NoticeSettings,
    requester: Option<&Requester>,
    events: &[TicketEvent],
) -> (Plan, Vec<TicketEvent>) {
    let mut plan = Plan::default();
    if !settings.enabled {
        return (plan, Vec::new());
    }
    let created = events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Created { .. }));
    let mut comments = 0;
    let mut caused: Vec<(Pending, DateTime<Utc>)> = Vec::new();
    for e in events {
        plan.reopened |= reopens(e);
        if let EventKind::CommentAdded { author, public } = e.kind {
            // The description of a new ticket is covered by `ticket_received`.
            if public && author == AuthorKind::Agent && !created {
                caused.push((Pending::Reply { index: comments }, e.occurred_at));
            }
            comments += 1;
            continue;
        }
        caused.extend(
            pending_of(e, created)
                .into_iter()
                .map(|p| (p, e.occurred_at)),
        );
    }
    let Some(Requester {
        customer: requester,
        agent_name,
    }) = requester
    else {
        return (plan, Vec::new());
    };
    // A staff member's name is shown to the customer, never an address (an account made with
    // only an email has it as its name).
    plan.agent_name = agent_name.clone().filter(|n| !n.contains('@'));
    let (outcome, reason) = match (&requester.email, requester.email_opt_out) {
        (_, true) => ("suppressed", Some(OPTED_OUT)),
        (None, false) => ("suppressed", Some(NO_EMAIL)),
        (Some(email), false) => {
            plan.recipient = Some((requester.id, email.clone(), requester.name.clone()));
            ("queued", None)
        }
    };
    let notes = caused
        .iter()
        .map(|(p, at)| TicketEvent {
            occurred_at: *at,
            actor: None,
            kind: EventKind::Notification {
                notice: kind_of(p).into(),
                customer_id: Some(requester.id),
                outcome: outcome.into(),
                reason: reason.map(str::to_string),
            },
        })
        .collect();
    if plan.recipient.is_some() {
        plan.pending = caused.into_iter().map(|(p, _)| p).collect();
    }
    (plan, notes)
}

fn kind_of(p: &Pending) -> &'static str {
    match p {
        Pending::Received => "ticket_received",
        Pending::Reply { .. } => "agent_reply",
        Pending::Solved { .. } => "ticket_solved",
        Pending::Visit {
            to: WorkOrderStatus::EnRoute,
            ..
        } => "technician_en_route",
        Pending::Visit { .. } => "visit_scheduled",
    }
}

/// Carries out `plan` for the saved `ticket` and the change's `comments` (in order) at `now`:
/// cancels the pending survey invitation of a reopened ticket (and marks its answers
/// `pre_reopen`), makes the survey of a solve, queues the notices.
///
/// # Errors
/// Database errors.
pub fn write_tx(
    conn: &mut PgConnection,
    settings: NoticeSettings,
    plan: Plan,
    ticket: &Ticket,
    comments: &[CommentRow],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if plan.reopened {
        survey::on_reopen_tx(conn, ticket.id, now)?;
        outbox::cancel_survey_invitations_tx(conn, ticket.id)?;
    }
    let Some((customer_id, recipient, requester_name)) = plan.recipient else {
        return Ok(());
    };
    if plan.pending.is_empty() {
        return Ok(());
    }
    let reference = TicketRef {
        number: ticket.number,
        subject: ticket.subject.clone(),
        requester_name,
    };
    let mut rows = Vec::with_capacity(plan.pending.len() + 1);
    let mut push = |notice: Notice, dedupe: String, due: DateTime<Utc>| -> Result<(), ApiError> {
        rows.push(NewOutbox {
            kind: notice.kind(),
            dedupe_key: format!("{dedupe}:to:{customer_id}"),
            ticket_id: Some(ticket.id),
            customer_id: Some(customer_id),
            recipient: recipient.clone(),
            data: serde_json::to_value(&notice)
                .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("notice: {e}")))?,
            next_attempt_at: due,
            created_at: now,
        });
        Ok(())
    };
    for pending in plan.pending {
        match pending {
            Pending::Received => push(
                Notice::TicketReceived {
                    ticket: reference.clone(),
                },
                format!("ticket:{}:received", ticket.id),
                now,
            )?,
            Pending::Reply { index } => {
                let Some(comment) = comments.get(index) else {
                    continue;
                };
                push(
                    Notice::AgentReply {
                        ticket: reference.clone(),
                        comment_id: comment.id,
                        agent_name: plan.agent_name.clone().unwrap_or_default(),
                        body: comment.body.clone(),
                    },
                    format!("comment:{}", comment.id),
                    now,
                )?;
            }
            Pending::Solved { at } => {
                let survey_id = survey::insert_tx(
                    conn,
                    &NewSurvey {
                        ticket_id: ticket.id,
                        customer_id,
                        solved_at: at,
                        assignee_id: ticket.assignee_id,
                        team_id: ticket.team_id,
                        created_at: now,
                        invite_at: at + settings.survey_delay,
                        // The link works `survey_link` after the invitation (the solved notice
                        // carries it earlier).
                        expires_at: at + settings.survey_delay + settings.survey_link,
                    },
                )?;
                let stamp = at.timestamp_micros();
                let survey = SurveyLink {
                    id: survey_id,
                    expires_at: at + settings.survey_delay + settings.survey_link,
                };
                push(
                    Notice::TicketSolved {
                        ticket: reference.clone(),
                        survey: Some(survey),
                    },
                    format!("ticket:{}:solved:{stamp}", ticket.id),
                    now,
                )?;
                push(
                    Notice::SurveyInvitation {
                        ticket: reference.clone(),
                        survey,
                    },
                    format!("survey:{survey_id}:invitation"),
                    (at + settings.survey_delay).max(now),
                )?;
            }
            Pending::Visit {
                work_order_id,
                to,
                at,
            } => {
                let Some((visit, technician_name)) =
                    crate::models::work_order::visit_facts(conn, work_order_id)?
                else {
                    continue;
                };
                let dedupe = format!(
                    "work_order:{work_order_id}:{}:{}",
                    to.as_str(),
                    at.timestamp_micros()
                );
                let notice = if to == WorkOrderStatus::EnRoute {
                    Notice::TechnicianEnRoute {
                        ticket: reference.clone(),
                        visit,
                        technician_name,
                    }
                } else {
                    Notice::VisitScheduled {
                        ticket: reference.clone(),
                        visit,
                    }
                };
                push(notice, dedupe, now)?;
            }
        }
    }
    outbox::enqueue_tx(conn, &rows)?;
    Ok(())
}
