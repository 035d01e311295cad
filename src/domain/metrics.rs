//! Per-ticket metrics as a pure function of the event log and business time (a calendar or a
//! ticket's calendar timeline)
//! (docs/METRICS.md §4, calendar and business variants).
//!
//! [`project`] folds a ticket's events, in log order, into a [`TicketMetrics`]. Recomputing it from
//! the stored events always gives the stored projection. Durations are whole calendar seconds and
//! are `None` until their stop event has happened.
//!
//! Choices where the shared metrics specification is silent (restated in docs/METRICS.md; also in
//! the closing note of issue 2):
//! - `requester_wait.v1`, `agent_wait.v1` and `on_hold.v1` are measured up to the latest solve; a
//!   ticket closed without ever being solved is measured up to its close; an unresolved ticket has
//!   `None` (its stop event has not happened). So `full_resolution = requester_wait + agent_wait +
//!   solved_before_reopen` holds for every solved ticket.
//! - `full_resolution.v1` and the waits are `None` while a reopened ticket is unsolved again: its
//!   stop event (the final solve) has not happened; `latest_solved_at` keeps the earlier solve, so
//!   the ticket still counts for `reopen_rate.v1`.
//! - The business variants are measured on the ticket's calendar timeline
//!   ([`super::timeline::of_ticket`]): each segment on the calendar its team had while it
//!   elapsed, so a change of calendar applies from the change on, never backwards (§3).
//! - `replies.v1` does not count the public comment that created an agent-created ticket (it is the
//!   request, not a reply), consistent with `frt.v1` skipping it.

use super::ticket::{AuthorKind, EventKind, TicketEvent, TicketStatus};
use super::timeline::BusinessTime;
use chrono::{DateTime, Utc};

/// The metric projection of one ticket (one `ticket_metrics` row). Seconds are calendar seconds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketMetrics {
    /// Creation instant (UTC).
    pub created_at: DateTime<Utc>,
    /// Created by a staff member.
    pub agent_created: bool,
    /// Instant of the reply that stops `frt.v1`.
    pub first_reply_at: Option<DateTime<Utc>>,
    /// The staff member who wrote that reply (the event's actor; `None` when the log does not
    /// say, e.g. an imported reply without an author).
    pub first_reply_by: Option<crate::domain::ticket::StaffId>,
    /// `frt.v1`: created → first public agent comment (the second one when the creation carried one).
    pub first_reply_seconds: Option<i64>,
    /// Instant of the first solve, or of the close when the ticket closed without a solve.
    pub first_resolved_at: Option<DateTime<Utc>>,
    /// `first_resolution.v1`: created → `first_resolved_at`.
    pub first_resolution_seconds: Option<i64>,
    /// Instant of the latest transition to `solved`.
    pub latest_solved_at: Option<DateTime<Utc>>,
    /// `full_resolution.v1`: created → `latest_solved_at`.
    pub full_resolution_seconds: Option<i64>,
    /// `requester_wait.v1`: time in `new` + `open` + `on_hold`.
    pub requester_wait_seconds: Option<i64>,
    /// `agent_wait.v1`: time in `pending`.
    pub agent_wait_seconds: Option<i64>,
    /// `on_hold.v1`: time in `on_hold`.
    pub on_hold_seconds: Option<i64>,
    /// Time spent in `solved` before a reopen, up to the latest solve.
    pub solved_before_reopen_seconds: Option<i64>,
    /// `replies.v1`: public agent comments (the creating comment excluded).
    pub replies: i32,
    /// `reopens.v1`: transitions out of `solved` to an unsolved status.
    pub reopens: i32,
    /// Instant the ticket was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// `frt.v1`, business seconds.
    pub first_reply_business_seconds: Option<i64>,
    /// `first_resolution.v1`, business seconds.
    pub first_resolution_business_seconds: Option<i64>,
    /// `full_resolution.v1`, business seconds.
    pub full_resolution_business_seconds: Option<i64>,
    /// `requester_wait.v1`, business seconds.
    pub requester_wait_business_seconds: Option<i64>,
    /// `agent_wait.v1`, business seconds.
    pub agent_wait_business_seconds: Option<i64>,
    /// `on_hold.v1`, business seconds.
    pub on_hold_business_seconds: Option<i64>,
    /// Time in `solved` before a reopen, business seconds.
    pub solved_before_reopen_business_seconds: Option<i64>,
    /// Public requester comments after the creation instant.
    pub requester_comments: i32,
    /// `on_hold.v1` by pause reason (calendar seconds, measured like `on_hold_seconds`; empty until
    /// resolved); `unspecified` when no reason was given.
    pub on_hold_by_reason: std::collections::BTreeMap<String, i64>,
    /// `one_touch.v1`: solved or closed with fewer than 2 agent replies (`None` while unresolved).
    pub one_touch: Option<bool>,
    /// `one_touch_strict.v1`: solved or closed with exactly 1 agent reply (`None` while unresolved).
    pub one_touch_strict: Option<bool>,
    /// The per-ticket part of `fcr.v1`: solved, never reopened, no requester public comment after
    /// creation (`None` while unresolved). The 7-day repeat check is made when aggregating.
    pub fcr_candidate: Option<bool>,
}

/// Seconds spent in each status, accumulated up to some instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct StatusTime {
    requester_wait: i64,
    agent_wait: i64,
    on_hold: i64,
    solved: i64,
}

impl StatusTime {
    fn add(&mut self, status: TicketStatus, seconds: i64) {
        match status {
            TicketStatus::New | TicketStatus::Open => self.requester_wait += seconds,
            TicketStatus::OnHold => {
                self.requester_wait += seconds;
                self.on_hold += seconds;
            }
            TicketStatus::Pending => self.agent_wait += seconds,
            TicketStatus::Solved => self.solved += seconds,
            TicketStatus::Closed => {}
        }
    }
}

/// Calendar and business variants of the same accumulator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct BothTimes {
    calendar: StatusTime,
    business: StatusTime,
}

/// Folds a ticket's events (log order, the `created` event first) into its metrics, business
/// variants on `calendar`.
///
/// Returns `None` when the log does not start with a `created` event.
pub fn project(events: &[TicketEvent], calendar: &dyn BusinessTime) -> Option<TicketMetrics> {
    let (first, rest) = events.split_first()?;
    let EventKind::Created {
        agent_created,
        with_public_agent_comment,
    } = first.kind
    else {
        return None;
    };
    let created_at = first.occurred_at;
    let mut m = TicketMetrics {
        created_at,
        agent_created,
        ..TicketMetrics::default()
    };
    // Public agent comments still to skip before one counts as the first reply.
    let mut replies_to_skip = u8::from(with_public_agent_comment);
    let mut status = TicketStatus::New;
    let mut since = created_at;
    let mut time = BothTimes::default();
    let mut at_latest_solve: Option<BothTimes> = None;
    let mut at_close: Option<BothTimes> = None;
    let business = |a, b| calendar.business_seconds(a, b);
    let mut hold_reason: Option<String> = None;
    let mut by_reason_at_solve: Option<std::collections::BTreeMap<String, i64>> = None;
    let mut by_reason_at_close: Option<std::collections::BTreeMap<String, i64>> = None;
    let mut on_hold_by_reason: std::collections::BTreeMap<String, i64> =
        std::collections::BTreeMap::new();

    for event in rest {
        match &event.kind {
            EventKind::CommentAdded {
                author: AuthorKind::Agent,
                public: true,
            } => {
                m.replies += 1;
                if m.first_reply_at.is_none() {
                    if replies_to_skip > 0 {
                        replies_to_skip -= 1;
                        m.replies -= 1;
                    } else {
                        m.first_reply_at = Some(event.occurred_at);
                        m.first_reply_by = event.actor;
                        m.first_reply_seconds =
                            Some(seconds_between(created_at, event.occurred_at));
                        m.first_reply_business_seconds =
                            Some(business(created_at, event.occurred_at));
                    }
                }
            }
            EventKind::CommentAdded {
                author: AuthorKind::Customer,
                public: true,
            } if event.occurred_at > created_at => m.requester_comments += 1,
            EventKind::StatusChanged { from, to, reason } => {
                let segment = seconds_between(since, event.occurred_at);
                if status == TicketStatus::OnHold {
                    let key = hold_reason.clone().unwrap_or_else(|| "unspecified".into());
                    *on_hold_by_reason.entry(key).or_insert(0) += segment;
                }
                hold_reason = if *to == TicketStatus::OnHold {
                    reason.clone()
                } else {
                    None
                };
                time.calendar.add(status, segment);
                time.business
                    .add(status, business(since, event.occurred_at));
                since = event.occurred_at;
                if *from == TicketStatus::Solved && *to != TicketStatus::Closed {
                    m.reopens += 1;
                }
                match to {
                    TicketStatus::Solved => {
                        if m.first_resolved_at.is_none() {
                            m.first_resolved_at = Some(event.occurred_at);
                        }
                        m.latest_solved_at = Some(event.occurred_at);
                        at_latest_solve = Some(time);
                        by_reason_at_solve = Some(on_hold_by_reason.clone());
                    }
                    TicketStatus::Closed => {
                        if m.first_resolved_at.is_none() {
                            m.first_resolved_at = Some(event.occurred_at);
                        }
                        m.closed_at = Some(event.occurred_at);
                        at_close = Some(time);
                        by_reason_at_close = Some(on_hold_by_reason.clone());
                    }
                    _ => {}
                }
                status = *to;
            }
            _ => {}
        }
    }

    m.first_resolution_seconds = m
        .first_resolved_at
        .map(|at| seconds_between(created_at, at));
    m.first_resolution_business_seconds = m.first_resolved_at.map(|at| business(created_at, at));
    // A ticket reopened and not solved again has not reached its stop event yet (Zendesk computes
    // full resolution for solved and closed tickets only).
    let resolved_now = matches!(status, TicketStatus::Solved | TicketStatus::Closed);
    if !resolved_now {
        return Some(m);
    }
    m.one_touch = Some(m.replies < 2);
    m.one_touch_strict = Some(m.replies == 1);
    m.fcr_candidate =
        Some(m.latest_solved_at.is_some() && m.reopens == 0 && m.requester_comments == 0);
    m.full_resolution_seconds = m.latest_solved_at.map(|at| seconds_between(created_at, at));
    m.full_resolution_business_seconds = m.latest_solved_at.map(|at| business(created_at, at));
    if let Some(BothTimes {
        calendar: c,
        business: b,
    }) = at_latest_solve.or(at_close)
    {
        m.requester_wait_seconds = Some(c.requester_wait);
        m.agent_wait_seconds = Some(c.agent_wait);
        m.on_hold_seconds = Some(c.on_hold);
        m.solved_before_reopen_seconds = Some(c.solved);
        m.requester_wait_business_seconds = Some(b.requester_wait);
        m.agent_wait_business_seconds = Some(b.agent_wait);
        m.on_hold_business_seconds = Some(b.on_hold);
        m.solved_before_reopen_business_seconds = Some(b.solved);
    }
    m.on_hold_by_reason = by_reason_at_solve
        .or(by_reason_at_close)
        .unwrap_or_default();
    Some(m)
}

/// Whole seconds from `a` to `b`, each instant taken to the whole second (rounded down), as the
/// business-time arithmetic does (negative when `b` is before `a`).
pub fn seconds_between(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    b.timestamp() - a.timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::BusinessCalendar;
    use crate::domain::ticket::{
        ClosePolicy, Command, Creation, StaffId, TicketState, TicketStatus::*,
    };
    use chrono::TimeZone;

    /// 2026-03-02 (a Monday) at hh:mm:ss UTC.
    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, s)
            .single()
            .unwrap_or_default()
    }

    /// Runs commands through the aggregate (as the importer and API do) and returns the log.
    fn log(creation: Creation, steps: &[(DateTime<Utc>, Command)]) -> Vec<TicketEvent> {
        let (mut state, created) = TicketState::create(&creation);
        let mut events = vec![created];
        let actor: Option<StaffId> = Some(1);
        for (at, command) in steps {
            match state.apply(command, *at, actor) {
                Ok(mut evs) => events.append(&mut evs),
                Err(e) => panic!("step {command:?} refused: {e}"),
            }
        }
        events
    }

    fn cal() -> BusinessCalendar {
        BusinessCalendar::always_open()
    }

    fn by_requester(at: DateTime<Utc>) -> Creation {
        Creation {
            at,
            created_by: None,
            with_public_agent_comment: false,
        }
    }

    fn reply() -> Command {
        Command::Comment {
            author: AuthorKind::Agent,
            public: true,
        }
    }

    #[test]
    fn first_reply_time_stops_at_the_first_public_agent_comment() {
        // Created 09:00:00; internal note at 09:10 and a customer comment at 09:20 do not count;
        // the public agent reply at 09:47:30 does: 47 min 30 s = 2850 s.
        let events = log(
            by_requester(t(9, 0, 0)),
            &[
                (
                    t(9, 10, 0),
                    Command::Comment {
                        author: AuthorKind::Agent,
                        public: false,
                    },
                ),
                (
                    t(9, 20, 0),
                    Command::Comment {
                        author: AuthorKind::Customer,
                        public: true,
                    },
                ),
                (
                    t(9, 30, 0),
                    Command::Comment {
                        author: AuthorKind::System,
                        public: true,
                    },
                ),
                (t(9, 47, 30), reply()),
                (t(10, 0, 0), reply()),
            ],
        );
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.first_reply_seconds, Some(2850));
        assert_eq!(m.first_reply_at, Some(t(9, 47, 30)));
        assert_eq!(m.replies, 2);
        assert!(!m.agent_created);
    }

    #[test]
    fn an_agent_created_ticket_with_a_public_comment_stops_at_the_second_one() {
        let creation = Creation {
            at: t(9, 0, 0),
            created_by: Some(1),
            with_public_agent_comment: true,
        };
        // The creating comment (logged at creation, 09:00) is the request; the first *reply* is at
        // 11:15 → 2 h 15 min = 8100 s.
        let events = log(creation, &[(t(9, 0, 0), reply()), (t(11, 15, 0), reply())]);
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.first_reply_seconds, Some(8100));
        assert_eq!(m.replies, 1);
        // With no second comment, frt stays null.
        let creation = Creation {
            at: t(9, 0, 0),
            created_by: Some(1),
            with_public_agent_comment: true,
        };
        let m = project(&log(creation, &[(t(9, 0, 0), reply())]), &cal()).unwrap_or_default();
        assert_eq!(m.first_reply_seconds, None);
        assert_eq!(m.replies, 0);
    }

    #[test]
    fn an_agent_created_ticket_without_a_comment_stops_at_the_first_reply() {
        let creation = Creation {
            at: t(9, 0, 0),
            created_by: Some(1),
            with_public_agent_comment: false,
        };
        let m = project(&log(creation, &[(t(9, 0, 42), reply())]), &cal()).unwrap_or_default();
        assert_eq!(m.first_reply_seconds, Some(42));
    }

    #[test]
    fn waits_split_by_status_and_add_up_to_full_resolution_across_a_reopen() {
        // 09:00 new → 09:10 open (assign) → 10:00 pending → 12:00 open → 12:30 on_hold
        // → 13:00 solved → 15:00 reopened (open) → 15:45 solved → 16:00 closed.
        // requester wait = new 10 min + open 50 + open 30 + on_hold 30 + open 45 = 165 min = 9900 s
        // agent wait = pending 2 h = 7200 s; on hold = 1800 s; solved before reopen = 2 h = 7200 s
        // full resolution = 09:00 → 15:45 = 6 h 45 min = 24300 s = 9900 + 7200 + 7200 ✓
        // first resolution = 09:00 → 13:00 = 14400 s.
        let events = log(
            by_requester(t(9, 0, 0)),
            &[
                (t(9, 10, 0), Command::Assign { assignee: 1 }),
                (t(10, 0, 0), Command::SetStatus(Pending)),
                (t(12, 0, 0), Command::SetStatus(Open)),
                (t(12, 30, 0), Command::SetStatus(OnHold)),
                (t(13, 0, 0), Command::SetStatus(Solved)),
                (t(15, 0, 0), Command::SetStatus(Open)),
                (t(15, 45, 0), Command::SetStatus(Solved)),
                (t(16, 0, 0), Command::Close(ClosePolicy::RequireSolved)),
            ],
        );
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.requester_wait_seconds, Some(9900));
        assert_eq!(m.agent_wait_seconds, Some(7200));
        assert_eq!(m.on_hold_seconds, Some(1800));
        assert_eq!(m.solved_before_reopen_seconds, Some(7200));
        assert_eq!(m.full_resolution_seconds, Some(24300));
        assert_eq!(m.first_resolution_seconds, Some(14400));
        assert_eq!(m.latest_solved_at, Some(t(15, 45, 0)));
        assert_eq!(m.closed_at, Some(t(16, 0, 0)));
        assert_eq!(m.reopens, 1);
        assert_eq!(m.first_reply_seconds, None, "no public agent comment");
    }

    #[test]
    fn a_ticket_reopened_twice_counts_two_reopens() {
        let events = log(
            by_requester(t(9, 0, 0)),
            &[
                (t(9, 1, 0), Command::Assign { assignee: 1 }),
                (t(9, 2, 0), Command::SetStatus(Solved)),
                (t(9, 3, 0), Command::SetStatus(Pending)),
                (t(9, 4, 0), Command::SetStatus(Solved)),
                (t(9, 5, 0), Command::SetStatus(Open)),
                (t(9, 6, 0), Command::SetStatus(Solved)),
            ],
        );
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.reopens, 2);
        assert_eq!(m.first_resolution_seconds, Some(120));
        assert_eq!(m.full_resolution_seconds, Some(360));
        // new 1 min + open 1 min + open 1 min (09:05-09:06) = 180 s; pending 1 min; solved 2 min.
        assert_eq!(m.requester_wait_seconds, Some(180));
        assert_eq!(m.agent_wait_seconds, Some(60));
        assert_eq!(m.solved_before_reopen_seconds, Some(120));
    }

    #[test]
    fn a_ticket_closed_without_a_solve_is_resolved_at_the_close_but_has_no_full_resolution() {
        let events = log(
            by_requester(t(9, 0, 0)),
            &[
                (t(9, 30, 0), Command::SetStatus(Pending)),
                (t(11, 0, 0), Command::Close(ClosePolicy::FromAnyStatus)),
            ],
        );
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.first_resolution_seconds, Some(7200));
        assert_eq!(m.full_resolution_seconds, None);
        assert_eq!(m.latest_solved_at, None);
        assert_eq!(m.requester_wait_seconds, Some(1800));
        assert_eq!(m.agent_wait_seconds, Some(5400));
    }

    #[test]
    fn an_unresolved_ticket_has_null_durations() {
        let events = log(
            by_requester(t(9, 0, 0)),
            &[(t(9, 30, 0), Command::SetStatus(Pending))],
        );
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.first_resolution_seconds, None);
        assert_eq!(m.full_resolution_seconds, None);
        assert_eq!(m.requester_wait_seconds, None);
        assert_eq!(m.agent_wait_seconds, None);
    }

    #[test]
    fn business_variants_count_only_opening_hours_and_pending_stays_agent_wait() {
        use crate::domain::calendar::{DAY, Interval};
        let _ = DAY;
        let day = vec![Interval {
            start: 9 * 3600,
            end: 17 * 3600,
        }];
        let office = BusinessCalendar::new(
            "America/Chicago",
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
        .unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // Created Friday 2026-03-06 16:00 CST (22:00Z); reply Monday 03-09 10:00 CDT (15:00Z);
        // pending from Monday 11:00 CDT (16:00Z) to Tuesday 10:00 CDT (15:00Z); solved Tuesday
        // 12:00 CDT (17:00Z).
        // frt: calendar 65 h (the spring-forward night is 23 h long) = 234000 s; business
        // Friday 1 h + Monday 1 h = 7200 s.
        // requester wait: Fri 16:00 → Mon 11:00 and Tue 10:00 → 12:00: business 1 + 2 + 2 = 5 h.
        // agent wait (pending): Mon 11:00 → Tue 10:00: business 6 h (Mon) + 1 h (Tue) = 7 h.
        // full resolution: business 1 + 8 + 3 = 12 h = 5 h + 7 h ✓.
        let events = log(
            by_requester(at("2026-03-06T22:00:00Z")),
            &[
                (at("2026-03-09T15:00:00Z"), Command::Assign { assignee: 1 }),
                (at("2026-03-09T15:00:00Z"), reply()),
                (at("2026-03-09T16:00:00Z"), Command::SetStatus(Pending)),
                (at("2026-03-10T15:00:00Z"), Command::SetStatus(Open)),
                (at("2026-03-10T17:00:00Z"), Command::SetStatus(Solved)),
            ],
        );
        let m = project(&events, &office).unwrap_or_default();
        assert_eq!(m.first_reply_seconds, Some(234_000));
        assert_eq!(m.first_reply_business_seconds, Some(7200));
        assert_eq!(m.requester_wait_business_seconds, Some(5 * 3600));
        assert_eq!(m.agent_wait_business_seconds, Some(7 * 3600));
        assert_eq!(m.full_resolution_business_seconds, Some(12 * 3600));
        assert_eq!(m.first_resolution_business_seconds, Some(12 * 3600));
        // Calendar: pending 23 h in agent wait, not in requester wait.
        assert_eq!(m.agent_wait_seconds, Some(23 * 3600));
        assert_eq!(
            m.requester_wait_seconds.unwrap() + m.agent_wait_seconds.unwrap(),
            m.full_resolution_seconds.unwrap()
        );
    }

    #[test]
    fn a_reopened_ticket_has_no_full_resolution_until_it_is_solved_again() {
        let events = log(
            by_requester(t(9, 0, 0)),
            &[
                (t(9, 1, 0), Command::Assign { assignee: 1 }),
                (t(9, 2, 0), Command::SetStatus(Solved)),
                (t(9, 3, 0), Command::SetStatus(Open)),
            ],
        );
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.first_resolution_seconds, Some(120));
        assert_eq!(m.latest_solved_at, Some(t(9, 2, 0)));
        assert_eq!(m.reopens, 1);
        assert_eq!(m.full_resolution_seconds, None);
        assert_eq!(m.requester_wait_seconds, None);
    }

    #[test]
    fn on_hold_time_is_split_by_pause_reason() {
        // 09:00 new → 09:10 open → 10:00 on hold (awaiting parts) → 11:00 reason changes to
        // awaiting field visit → 13:00 open → 13:30 on hold (no reason) → 14:00 solved.
        // awaiting_parts 1 h, awaiting_field_visit 2 h, unspecified 30 min; total 3.5 h.
        let events = log(
            by_requester(t(9, 0, 0)),
            &[
                (t(9, 10, 0), Command::Assign { assignee: 1 }),
                (
                    t(10, 0, 0),
                    Command::Hold {
                        reason: "awaiting_parts".into(),
                    },
                ),
                (
                    t(11, 0, 0),
                    Command::Hold {
                        reason: "awaiting_field_visit".into(),
                    },
                ),
                (t(13, 0, 0), Command::SetStatus(Open)),
                (t(13, 30, 0), Command::SetStatus(OnHold)),
                (t(14, 0, 0), Command::SetStatus(Solved)),
            ],
        );
        let m = project(&events, &cal()).unwrap_or_default();
        assert_eq!(m.on_hold_seconds, Some(12_600));
        assert_eq!(
            m.on_hold_by_reason,
            std::collections::BTreeMap::from([
                ("awaiting_field_visit".to_string(), 7200),
                ("awaiting_parts".to_string(), 3600),
                ("unspecified".to_string(), 1800),
            ])
        );
    }

    #[test]
    fn one_touch_and_first_contact_flags_follow_replies_reopens_and_requester_comments() {
        let solve = |replies: usize, requester_writes: bool, reopen: bool| {
            let mut steps = vec![(t(9, 1, 0), Command::Assign { assignee: 1 })];
            for i in 0..replies {
                steps.push((t(9, 2, i as u32), reply()));
            }
            if requester_writes {
                steps.push((
                    t(9, 3, 0),
                    Command::Comment {
                        author: AuthorKind::Customer,
                        public: true,
                    },
                ));
            }
            steps.push((t(9, 4, 0), Command::SetStatus(Solved)));
            if reopen {
                steps.push((t(9, 5, 0), Command::SetStatus(Open)));
                steps.push((t(9, 6, 0), Command::SetStatus(Solved)));
            }
            project(&log(by_requester(t(9, 0, 0)), &steps), &cal()).unwrap_or_default()
        };
        let flags = |m: TicketMetrics| (m.one_touch, m.one_touch_strict, m.fcr_candidate);
        assert_eq!(
            flags(solve(0, false, false)),
            (Some(true), Some(false), Some(true))
        );
        assert_eq!(
            flags(solve(1, false, false)),
            (Some(true), Some(true), Some(true))
        );
        assert_eq!(
            flags(solve(2, false, false)),
            (Some(false), Some(false), Some(true))
        );
        assert_eq!(
            flags(solve(1, true, false)),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(
            flags(solve(1, false, true)),
            (Some(true), Some(true), Some(false))
        );
        let open = project(&log(by_requester(t(9, 0, 0)), &[]), &cal()).unwrap_or_default();
        assert_eq!(flags(open), (None, None, None));
    }

    #[test]
    fn a_log_that_does_not_start_with_creation_has_no_projection() {
        let events = vec![TicketEvent {
            occurred_at: t(9, 0, 0),
            actor: None,
            kind: EventKind::Note {
                activity: "x".into(),
            },
        }];
        assert_eq!(project(&events, &cal()), None);
        assert_eq!(project(&[], &cal()), None);
    }
}
