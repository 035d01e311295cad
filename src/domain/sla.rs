//! SLA policies and clocks (docs/METRICS.md §6).
//!
//! A policy has conditions (organization, team, channel, priority, category; an empty list means
//! any) and, per priority, targets for `first_reply`, `next_reply`, `resolution` and
//! `agent_work`, each in business or calendar seconds. Policies are matched top-down; the first
//! match wins ([`select`]).
//!
//! [`clocks`] replays a ticket's event log against one policy and one calendar and gives each
//! target's clock: status (`active`, `paused`, `achieved`, `breached`), elapsed time, due instant,
//! and the breach instant when the due instant passed first. It is a pure function of the log,
//! so the clocks are the same whenever they are computed; `now` only decides whether an active
//! clock's due instant has already passed.
//!
//! What each clock measures:
//! - `first_reply` (= `frt.v1`): from creation to the first public agent reply (the second one when
//!   the creation carried the agent's public comment); never paused.
//! - `next_reply`: from the oldest unanswered public requester comment to the next public agent
//!   comment, per instance; the clock shows the latest instance.
//! - `resolution` (requester wait): runs in `new`, `open` and `on_hold`, paused in `pending`;
//!   fulfilled by `solved` (or a close); a reopen resumes it with the time already accumulated.
//! - `agent_work`: runs in `new` and `open`, paused in `pending` and `on_hold`; fulfilled like
//!   `resolution`.
//!
//! The policy applies to the whole history with the ticket's current priority: the time already
//! accumulated is kept when the policy or the priority changes, and only the target changes.

pub use super::ticket::TargetKind;
use super::ticket::{AuthorKind, EventKind, TicketEvent, TicketPriority, TicketStatus};
use super::timeline::BusinessTime;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One target: a duration in business or calendar seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The allowed time, seconds (≥ 1).
    pub seconds: i64,
    /// `true`: business seconds on the ticket's calendar; `false`: calendar seconds.
    pub business: bool,
}

/// Conditions of a policy; an empty list matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Organization ids.
    #[serde(default)]
    pub organization_ids: Vec<i64>,
    /// Team ids.
    #[serde(default)]
    pub team_ids: Vec<i64>,
    /// Channels (`phone`, `email`, …).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Priorities.
    #[serde(default)]
    pub priorities: Vec<TicketPriority>,
    /// Categories.
    #[serde(default)]
    pub categories: Vec<String>,
}

/// What a policy is matched against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFacts {
    /// Organization.
    pub organization_id: Option<i64>,
    /// Team.
    pub team_id: Option<i64>,
    /// Channel.
    pub channel: Option<String>,
    /// Priority.
    pub priority: Option<TicketPriority>,
    /// Category.
    pub category: Option<String>,
}

/// An SLA policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// When it applies.
    pub conditions: Conditions,
    /// Priority → target kind → target.
    pub targets: BTreeMap<TicketPriority, BTreeMap<TargetKind, Target>>,
    /// Warn this long before a due instant (in each target's own time: business or calendar).
    pub warning_seconds: Option<i64>,
}

fn matches<T: PartialEq>(list: &[T], value: Option<&T>) -> bool {
    list.is_empty() || value.is_some_and(|v| list.contains(v))
}

impl Conditions {
    /// True when every non-empty condition holds.
    pub fn hold_for(&self, f: &TicketFacts) -> bool {
        matches(&self.organization_ids, f.organization_id.as_ref())
            && matches(&self.team_ids, f.team_id.as_ref())
            && matches(&self.channels, f.channel.as_ref())
            && matches(&self.priorities, f.priority.as_ref())
            && matches(&self.categories, f.category.as_ref())
    }
}

/// The first policy (in the given order) whose conditions hold.
pub fn select<'a>(policies: &'a [Policy], facts: &TicketFacts) -> Option<&'a Policy> {
    policies.iter().find(|p| p.conditions.hold_for(facts))
}

/// State of a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Running, due instant not passed.
    Active,
    /// Stopped for now (e.g. `pending` for `resolution`), not breached.
    Paused,
    /// Fulfilled at or before its due instant.
    Achieved,
    /// Its due instant passed before it was fulfilled.
    Breached,
}

/// One target's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Clock {
    /// Which target.
    pub kind: TargetKind,
    /// State at `now`.
    pub status: ClockStatus,
    /// The clock runs (as of the ticket's latest event).
    pub running: bool,
    /// The target, seconds.
    pub target_seconds: i64,
    /// Business (`true`) or calendar seconds.
    pub business: bool,
    /// Time counted so far (up to `now` for a running clock), seconds.
    pub elapsed_seconds: i64,
    /// When the target falls due, for a running clock or one that breached.
    pub due_at: Option<DateTime<Utc>>,
    /// Seconds left before the due instant (negative: overdue); running clocks only.
    pub remaining_seconds: Option<i64>,
    /// When the clock was fulfilled.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// When it breached (its due instant).
    pub breached_at: Option<DateTime<Utc>>,
    /// For a running clock of a policy with a warning offset: when to warn.
    pub warning_at: Option<DateTime<Utc>>,
}

/// A clock being replayed.
#[derive(Debug, Clone)]
struct Meter {
    target: Target,
    elapsed: i64,
    running_since: Option<DateTime<Utc>>,
    fulfilled_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
}

impl Meter {
    fn new(target: Target) -> Meter {
        Meter {
            target,
            elapsed: 0,
            running_since: None,
            fulfilled_at: None,
            breached_at: None,
        }
    }

    fn measure(&self, cal: &dyn BusinessTime, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if self.target.business {
            cal.business_seconds(a, b)
        } else {
            b.timestamp() - a.timestamp()
        }
    }

    /// The instant the target falls due if the clock runs from `since` with `elapsed` counted.
    fn due_from(&self, cal: &dyn BusinessTime, since: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.after(cal, since, self.target.seconds - self.elapsed)
    }

    /// The instant `left` more seconds of this clock's kind have run from `since`.
    fn after(
        &self,
        cal: &dyn BusinessTime,
        since: DateTime<Utc>,
        left: i64,
    ) -> Option<DateTime<Utc>> {
        if self.target.business {
            cal.due(since, left)
        } else {
            Some(since + Duration::seconds(left))
        }
    }

    fn start(&mut self, at: DateTime<Utc>) {
        if self.running_since.is_none() {
            self.running_since = Some(at);
        }
    }

    /// Stops the clock at `at`, recording a breach if its due instant passed while it ran.
    fn stop(&mut self, cal: &dyn BusinessTime, at: DateTime<Utc>) {
        if let Some(since) = self.running_since.take() {
            if self.breached_at.is_none()
                && let Some(due) = self.due_from(cal, since)
                && due < at
            {
                self.breached_at = Some(due);
            }
            self.elapsed += self.measure(cal, since, at);
        }
    }

    fn fulfil(&mut self, cal: &dyn BusinessTime, at: DateTime<Utc>) {
        self.stop(cal, at);
        self.fulfilled_at = Some(at);
    }

    fn clock(
        &self,
        kind: TargetKind,
        cal: &dyn BusinessTime,
        now: DateTime<Utc>,
        warning: Option<i64>,
    ) -> Clock {
        let mut elapsed = self.elapsed;
        let warning_at = match (self.running_since, warning) {
            (Some(since), Some(w)) if w < self.target.seconds - self.elapsed => {
                self.after(cal, since, self.target.seconds - self.elapsed - w)
            }
            _ => None,
        };
        let mut due_at = self.breached_at;
        let mut remaining = None;
        let mut breached_at = self.breached_at;
        let mut status = match (self.fulfilled_at, self.breached_at) {
            (_, Some(_)) => ClockStatus::Breached,
            (Some(_), None) => ClockStatus::Achieved,
            (None, None) => ClockStatus::Paused,
        };
        if let Some(since) = self.running_since {
            let due = self.due_from(cal, since);
            elapsed += self.measure(cal, since, now.max(since));
            due_at = due_at.or(due);
            remaining = Some(self.target.seconds - elapsed);
            match (self.breached_at, due) {
                (Some(_), _) => {}
                (None, Some(d)) if d <= now => {
                    status = ClockStatus::Breached;
                    breached_at = Some(d);
                }
                _ => status = ClockStatus::Active,
            }
        }
        Clock {
            kind,
            status,
            running: self.running_since.is_some(),
            target_seconds: self.target.seconds,
            business: self.target.business,
            elapsed_seconds: elapsed,
            due_at,
            remaining_seconds: remaining,
            fulfilled_at: self.fulfilled_at,
            breached_at,
            warning_at,
        }
    }
}

/// Replays `events` against the targets of `policy` for `priority`, on `calendar`; returns one
/// clock per target the policy sets for that priority, in [`TargetKind`] order.
pub fn clocks(
    events: &[TicketEvent],
    policy: &Policy,
    priority: TicketPriority,
    calendar: &dyn BusinessTime,
    now: DateTime<Utc>,
) -> Vec<Clock> {
    let Some(targets) = policy.targets.get(&priority) else {
        return Vec::new();
    };
    let Some((first, rest)) = events.split_first() else {
        return Vec::new();
    };
    let EventKind::Created {
        with_public_agent_comment,
        ..
    } = first.kind
    else {
        return Vec::new();
    };
    let created = first.occurred_at;
    let mut meters: BTreeMap<TargetKind, Meter> = targets
        .iter()
        .map(|(kind, target)| (*kind, Meter::new(*target)))
        .collect();
    for (kind, meter) in meters.iter_mut() {
        if *kind != TargetKind::NextReply {
            meter.start(created);
        }
    }
    let mut replies_to_skip = u8::from(with_public_agent_comment);

    for event in rest {
        let at = event.occurred_at;
        match &event.kind {
            EventKind::CommentAdded {
                author: AuthorKind::Agent,
                public: true,
            } => {
                if replies_to_skip > 0 {
                    replies_to_skip -= 1;
                    continue;
                }
                if let Some(m) = meters.get_mut(&TargetKind::FirstReply)
                    && m.fulfilled_at.is_none()
                {
                    m.fulfil(calendar, at);
                }
                if let Some(m) = meters.get_mut(&TargetKind::NextReply)
                    && m.running_since.is_some()
                {
                    m.fulfil(calendar, at);
                }
            }
            EventKind::CommentAdded {
                author: AuthorKind::Customer,
                public: true,
            } => {
                // A requester comment with none unanswered starts a new instance.
                if let Some(m) = meters.get_mut(&TargetKind::NextReply)
                    && m.running_since.is_none()
                {
                    *m = Meter::new(m.target);
                    m.start(at);
                }
            }
            EventKind::StatusChanged { to, .. } => {
                let status = *to;
                let solved = matches!(to, TicketStatus::Solved | TicketStatus::Closed);
                for kind in [TargetKind::Resolution, TargetKind::AgentWork] {
                    let Some(m) = meters.get_mut(&kind) else {
                        continue;
                    };
                    let runs = match kind {
                        TargetKind::Resolution => matches!(
                            status,
                            TicketStatus::New | TicketStatus::Open | TicketStatus::OnHold
                        ),
                        _ => matches!(status, TicketStatus::New | TicketStatus::Open),
                    };
                    if solved {
                        if m.running_since.is_some() || m.fulfilled_at.is_none() {
                            m.fulfil(calendar, at);
                        }
                    } else if runs {
                        m.fulfilled_at = None;
                        m.start(at);
                    } else {
                        m.stop(calendar, at);
                    }
                }
                if *to == TicketStatus::Closed {
                    for m in meters.values_mut() {
                        m.stop(calendar, at);
                    }
                }
            }
            _ => {}
        }
    }
    meters
        .iter()
        .map(|(kind, m)| m.clock(*kind, calendar, now, policy.warning_seconds))
        .collect()
}

/// One SLA event to record: `(event kind, target, instant, policy id)`, the event kind being
/// `sla_warning` or `sla_breached` and the target a [`TargetKind`]'s snake_case name.
pub type DueEvent = (&'static str, &'static str, DateTime<Utc>, i64);

/// The `ticket_events.data` of an SLA event (`kind` = `sla_breached` or `sla_warning`): the
/// serialized [`EventKind::SlaBreached`] / [`EventKind::SlaWarning`], instant in RFC 3339 UTC.
pub fn event_data(
    kind: &str,
    target: &str,
    at: DateTime<Utc>,
    policy_id: i64,
) -> serde_json::Value {
    serde_json::json!({
        "kind": kind, "target": target, "at": at.to_rfc3339(), "policy_id": policy_id
    })
}

/// The instant of a stored clock's warning when it is due at `now`: a running clock past its
/// `warning_at`.
pub fn warning_due(
    running: bool,
    warning_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    warning_at.filter(|w| running && *w <= now)
}

/// The instant of a stored clock's breach when it is due at `now`: the breach the log already
/// shows (`breached_at`), or the due instant of a running clock past it (docs/METRICS.md §6:
/// a breach is recorded at the due instant, also when noticed later).
pub fn breach_due(
    running: bool,
    due_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    breached_at.or(due_at.filter(|d| running && *d <= now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::BusinessCalendar;
    use crate::domain::calendar::Interval;
    use crate::domain::ticket::{ClosePolicy, Command, Creation, TicketState, TicketStatus::*};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn log(created: &str, steps: &[(&str, Command)]) -> Vec<TicketEvent> {
        let (mut state, event) = TicketState::create(&Creation {
            at: at(created),
            created_by: None,
            with_public_agent_comment: false,
        });
        let mut events = vec![event];
        for (t, c) in steps {
            events.extend(state.apply(c, at(t), Some(1)).unwrap());
        }
        events
    }

    fn reply() -> Command {
        Command::Comment {
            author: AuthorKind::Agent,
            public: true,
        }
    }

    fn customer() -> Command {
        Command::Comment {
            author: AuthorKind::Customer,
            public: true,
        }
    }

    fn office() -> BusinessCalendar {
        let day = vec![Interval {
            start: 9 * 3600,
            end: 17 * 3600,
        }];
        BusinessCalendar::new(
            "Europe/Rome",
            [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            [],
        )
        .unwrap()
    }

    fn policy(priority: TicketPriority, targets: &[(TargetKind, i64, bool)]) -> Policy {
        Policy {
            id: 1,
            name: "Standard".into(),
            warning_seconds: None,
            conditions: Conditions::default(),
            targets: BTreeMap::from([(
                priority,
                targets
                    .iter()
                    .map(|(k, s, b)| {
                        (
                            *k,
                            Target {
                                seconds: *s,
                                business: *b,
                            },
                        )
                    })
                    .collect(),
            )]),
        }
    }

    fn clock(clocks: &[Clock], kind: TargetKind) -> Clock {
        clocks.iter().find(|c| c.kind == kind).cloned().unwrap()
    }

    #[test]
    fn the_first_matching_policy_wins() {
        let vip = Policy {
            id: 1,
            name: "VIP".into(),
            warning_seconds: None,
            conditions: Conditions {
                organization_ids: vec![7],
                priorities: vec![TicketPriority::Urgent, TicketPriority::High],
                ..Conditions::default()
            },
            targets: BTreeMap::new(),
        };
        let phone = Policy {
            id: 2,
            name: "Phone".into(),
            warning_seconds: None,
            conditions: Conditions {
                channels: vec!["phone".into()],
                ..Conditions::default()
            },
            targets: BTreeMap::new(),
        };
        let fallback = Policy {
            id: 3,
            name: "Default".into(),
            warning_seconds: None,
            conditions: Conditions::default(),
            targets: BTreeMap::new(),
        };
        let policies = [vip, phone, fallback];
        let facts = |org, channel: &str, priority| TicketFacts {
            organization_id: Some(org),
            channel: Some(channel.into()),
            priority: Some(priority),
            ..TicketFacts::default()
        };
        let pick = |f| select(&policies, &f).map(|p| p.id);
        assert_eq!(pick(facts(7, "phone", TicketPriority::Urgent)), Some(1));
        assert_eq!(pick(facts(7, "phone", TicketPriority::Low)), Some(2));
        assert_eq!(pick(facts(8, "email", TicketPriority::Urgent)), Some(3));
        assert_eq!(
            select(&policies[..2], &facts(8, "email", TicketPriority::Low)),
            None
        );
    }

    #[test]
    fn a_first_reply_target_in_business_hours_across_a_weekend() {
        // Created Friday 2026-03-06 16:30 CET (15:30Z); target 1 business hour: 30 min Friday,
        // 30 min Monday → due Monday 09:30 CET (08:30Z). The reply Monday 09:15 achieves it.
        let p = policy(
            TicketPriority::Normal,
            &[(TargetKind::FirstReply, 3600, true)],
        );
        let events = log(
            "2026-03-06T15:30:00Z",
            &[
                ("2026-03-09T08:15:00Z", Command::Assign { assignee: 1 }),
                ("2026-03-09T08:15:00Z", reply()),
            ],
        );
        let c = clock(
            &clocks(
                &events,
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-10T00:00:00Z"),
            ),
            TargetKind::FirstReply,
        );
        assert_eq!(c.status, ClockStatus::Achieved);
        assert_eq!(c.elapsed_seconds, 45 * 60);
        assert_eq!(c.fulfilled_at, Some(at("2026-03-09T08:15:00Z")));

        // Without a reply, at Monday 09:00 CET it is active with 30 min left; at 10:00 breached
        // at the due instant.
        let silent = log("2026-03-06T15:30:00Z", &[]);
        let c = clock(
            &clocks(
                &silent,
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-09T08:00:00Z"),
            ),
            TargetKind::FirstReply,
        );
        assert_eq!(
            (c.status, c.remaining_seconds, c.due_at),
            (
                ClockStatus::Active,
                Some(1800),
                Some(at("2026-03-09T08:30:00Z"))
            )
        );
        let c = clock(
            &clocks(
                &silent,
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-09T09:00:00Z"),
            ),
            TargetKind::FirstReply,
        );
        assert_eq!(
            (c.status, c.breached_at, c.remaining_seconds),
            (
                ClockStatus::Breached,
                Some(at("2026-03-09T08:30:00Z")),
                Some(-1800)
            )
        );
    }

    #[test]
    fn resolution_pauses_in_pending_and_agent_work_also_on_hold() {
        // Calendar targets: resolution 4 h, agent work 2 h.
        // 09:00 new → 09:30 open → 10:00 pending → 12:00 open → 12:30 on hold → 13:30 open →
        // 14:00 solved. Resolution (requester wait) runs 09:00–10:00 and 12:00–14:00: 3 h,
        // achieved. Agent work runs 09:00–10:00, 12:00–12:30, 13:30–14:00: 2 h, achieved exactly.
        let p = policy(
            TicketPriority::Normal,
            &[
                (TargetKind::Resolution, 4 * 3600, false),
                (TargetKind::AgentWork, 2 * 3600, false),
            ],
        );
        let events = log(
            "2026-03-02T09:00:00Z",
            &[
                ("2026-03-02T09:30:00Z", Command::Assign { assignee: 1 }),
                ("2026-03-02T10:00:00Z", Command::SetStatus(Pending)),
                ("2026-03-02T12:00:00Z", Command::SetStatus(Open)),
                ("2026-03-02T12:30:00Z", Command::SetStatus(OnHold)),
                ("2026-03-02T13:30:00Z", Command::SetStatus(Open)),
                ("2026-03-02T14:00:00Z", Command::SetStatus(Solved)),
            ],
        );
        let all = clocks(
            &events,
            &p,
            TicketPriority::Normal,
            &office(),
            at("2026-03-03T00:00:00Z"),
        );
        let r = clock(&all, TargetKind::Resolution);
        assert_eq!(
            (r.status, r.elapsed_seconds),
            (ClockStatus::Achieved, 3 * 3600)
        );
        let w = clock(&all, TargetKind::AgentWork);
        assert_eq!(
            (w.status, w.elapsed_seconds),
            (ClockStatus::Achieved, 2 * 3600)
        );

        // With an 80-minute agent-work target, the due instant is 12:20 (60 min before pending,
        // 20 after): breached then, even though the ticket was later solved.
        let tight = policy(
            TicketPriority::Normal,
            &[(TargetKind::AgentWork, 80 * 60, false)],
        );
        let w = clock(
            &clocks(
                &events,
                &tight,
                TicketPriority::Normal,
                &office(),
                at("2026-03-03T00:00:00Z"),
            ),
            TargetKind::AgentWork,
        );
        assert_eq!(
            (w.status, w.breached_at),
            (ClockStatus::Breached, Some(at("2026-03-02T12:20:00Z")))
        );
        // With exactly 90 minutes the target is reached at 12:30 as the ticket goes on hold; the
        // first second of work after that, at 13:30, breaches it.
        let exact = policy(
            TicketPriority::Normal,
            &[(TargetKind::AgentWork, 90 * 60, false)],
        );
        let w = clock(
            &clocks(
                &events,
                &exact,
                TicketPriority::Normal,
                &office(),
                at("2026-03-03T00:00:00Z"),
            ),
            TargetKind::AgentWork,
        );
        assert_eq!(
            (w.status, w.breached_at),
            (ClockStatus::Breached, Some(at("2026-03-02T13:30:00Z")))
        );

        // While pending, the resolution clock is paused with its time kept.
        let r = clock(
            &clocks(
                &events[..4],
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-02T11:00:00Z"),
            ),
            TargetKind::Resolution,
        );
        assert_eq!(
            (r.status, r.elapsed_seconds, r.remaining_seconds),
            (ClockStatus::Paused, 3600, None)
        );
    }

    #[test]
    fn a_reopen_resumes_the_resolution_clock_with_its_time() {
        let p = policy(
            TicketPriority::High,
            &[(TargetKind::Resolution, 3 * 3600, false)],
        );
        // 1 h to the first solve (10:00), reopened at 15:00 by the requester, solved again at
        // 17:30: 1 h + 2.5 h = 3.5 h > 3 h, breached when the 3 h were used up: 2 h after the
        // reopen, at 17:00.
        let events = log(
            "2026-03-02T09:00:00Z",
            &[
                ("2026-03-02T09:00:00Z", Command::Assign { assignee: 1 }),
                ("2026-03-02T10:00:00Z", Command::SetStatus(Solved)),
                ("2026-03-02T15:00:00Z", customer()),
                ("2026-03-02T17:30:00Z", Command::SetStatus(Solved)),
            ],
        );
        let r = clock(
            &clocks(
                &events,
                &p,
                TicketPriority::High,
                &office(),
                at("2026-03-03T00:00:00Z"),
            ),
            TargetKind::Resolution,
        );
        assert_eq!(r.elapsed_seconds, 3 * 3600 + 1800);
        assert_eq!(
            (r.status, r.breached_at),
            (ClockStatus::Breached, Some(at("2026-03-02T17:00:00Z")))
        );
    }

    #[test]
    fn next_reply_runs_from_the_oldest_unanswered_requester_comment() {
        let p = policy(
            TicketPriority::Normal,
            &[(TargetKind::NextReply, 3600, false)],
        );
        let events = log(
            "2026-03-02T09:00:00Z",
            &[
                ("2026-03-02T09:10:00Z", reply()),
                ("2026-03-02T10:00:00Z", customer()),
                ("2026-03-02T10:20:00Z", customer()),
                ("2026-03-02T10:50:00Z", reply()),
            ],
        );
        // Measured from 10:00 (the oldest unanswered), answered at 10:50: 50 min, achieved.
        let n = clock(
            &clocks(
                &events,
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-02T12:00:00Z"),
            ),
            TargetKind::NextReply,
        );
        assert_eq!((n.status, n.elapsed_seconds), (ClockStatus::Achieved, 3000));
        // A new requester comment at 11:00, unanswered at 12:30: breached at 12:00.
        let mut more = events.clone();
        more.push(TicketEvent {
            occurred_at: at("2026-03-02T11:00:00Z"),
            actor: None,
            kind: EventKind::CommentAdded {
                author: AuthorKind::Customer,
                public: true,
            },
        });
        let n = clock(
            &clocks(
                &more,
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-02T12:30:00Z"),
            ),
            TargetKind::NextReply,
        );
        assert_eq!(
            (n.status, n.breached_at),
            (ClockStatus::Breached, Some(at("2026-03-02T12:00:00Z")))
        );
    }

    #[test]
    fn a_priority_change_keeps_the_time_and_changes_the_target() {
        // 3 h elapsed without reply; urgent (1 h) is breached at 10:00; normal (4 h) is active.
        let p = Policy {
            targets: BTreeMap::from([
                (
                    TicketPriority::Urgent,
                    BTreeMap::from([(
                        TargetKind::FirstReply,
                        Target {
                            seconds: 3600,
                            business: false,
                        },
                    )]),
                ),
                (
                    TicketPriority::Normal,
                    BTreeMap::from([(
                        TargetKind::FirstReply,
                        Target {
                            seconds: 4 * 3600,
                            business: false,
                        },
                    )]),
                ),
            ]),
            ..policy(TicketPriority::Normal, &[])
        };
        let events = log("2026-03-02T09:00:00Z", &[]);
        let now = at("2026-03-02T12:00:00Z");
        let urgent = clock(
            &clocks(&events, &p, TicketPriority::Urgent, &office(), now),
            TargetKind::FirstReply,
        );
        assert_eq!(
            (urgent.status, urgent.breached_at),
            (ClockStatus::Breached, Some(at("2026-03-02T10:00:00Z")))
        );
        let normal = clock(
            &clocks(&events, &p, TicketPriority::Normal, &office(), now),
            TargetKind::FirstReply,
        );
        assert_eq!(
            (
                normal.status,
                normal.elapsed_seconds,
                normal.remaining_seconds
            ),
            (ClockStatus::Active, 3 * 3600, Some(3600))
        );
        assert!(
            clocks(&events, &p, TicketPriority::Low, &office(), now).is_empty(),
            "no target for low"
        );
    }

    #[test]
    fn a_warning_one_business_hour_before_a_due_time_on_the_next_working_day() {
        // Friday 2026-03-06 16:30 CET (15:30Z), resolution target 4 business hours: 0.5 h Friday
        // + 3.5 h Monday → due Monday 12:30 CET (11:30Z); warn 1 business hour before: 11:30 CET.
        let p = Policy {
            warning_seconds: Some(3600),
            ..policy(
                TicketPriority::Normal,
                &[(TargetKind::Resolution, 4 * 3600, true)],
            )
        };
        let events = log("2026-03-06T15:30:00Z", &[]);
        let c = clock(
            &clocks(
                &events,
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-06T16:00:00Z"),
            ),
            TargetKind::Resolution,
        );
        assert_eq!(c.due_at, Some(at("2026-03-09T11:30:00Z")));
        assert_eq!(c.warning_at, Some(at("2026-03-09T10:30:00Z")));
        assert!(c.running);
    }

    #[test]
    fn closing_stops_every_clock() {
        let p = policy(
            TicketPriority::Normal,
            &[(TargetKind::FirstReply, 3600, false)],
        );
        let events = log(
            "2026-03-02T09:00:00Z",
            &[(
                "2026-03-02T09:30:00Z",
                Command::Close(ClosePolicy::FromAnyStatus),
            )],
        );
        let c = clock(
            &clocks(
                &events,
                &p,
                TicketPriority::Normal,
                &office(),
                at("2026-03-05T00:00:00Z"),
            ),
            TargetKind::FirstReply,
        );
        assert_eq!((c.status, c.elapsed_seconds), (ClockStatus::Paused, 1800));
    }
}
