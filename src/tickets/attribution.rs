//! Attribution at the instant (docs/METRICS.md §7, "Attribution"): who each figure of a ticket
//! belongs to, read from its log and from the history of the staff's teams and employment types
//! (`user_periods`) and of the teams' sourcing (`team_sourcing_periods`), both written by
//! database triggers (migration `attribution`).
//!
//! - Volumes and repeat contacts: the ticket's team at creation; a ticket created without a team
//!   takes its creator's team at that instant.
//! - First reply time (`frt.v1`): the agent who wrote the reply, and that agent's team at that
//!   instant (the ticket's team then, when the agent belonged to none).
//! - Resolution figures, reopens, one-touch, FCR and CSAT: the ticket's assignee and team at its
//!   latest solve.
//! - SLA outcomes: the ticket's team and assignee at the instant the target was achieved or
//!   breached ([`InForce`], [`sla_outcome_at`]; stored with each clock in `ticket_sla_clocks`).
//! - Sourcing and employment type are those of the same instant: a later change of a team's
//!   sourcing or of a person's team never moves what happened before.
//!
//! [`attribute`] is pure; [`Directory::load`] reads both histories (two queries; the rules cache
//! keeps them, src/tickets/rules.rs).

use crate::domain::metrics::TicketMetrics;
use crate::domain::ticket::{EventKind, TicketEvent};
use crate::domain::timeline::team_segments;
use crate::models::enums::{EmploymentType, TeamSourcing};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

/// A staff member's team and employment type over one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffPeriod {
    /// Their team (`None`: none).
    pub team_id: Option<i64>,
    /// Employee or contractor.
    pub employment_type: EmploymentType,
}

/// Periods in force from an instant on, by id; the first of each id from −∞.
type Periods<T> = HashMap<i64, Vec<(DateTime<Utc>, T)>>;

/// The value in force at `t`: the last period starting at or before `t`.
fn at<T: Copy>(periods: &Periods<T>, id: i64, t: DateTime<Utc>) -> Option<T> {
    let list = periods.get(&id)?;
    let after = list.partition_point(|(from, _)| *from <= t);
    list.get(after.checked_sub(1)?).map(|(_, v)| *v)
}

/// The history of who was in which team, with which employment type, and of each team's
/// sourcing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    staff: Periods<StaffPeriod>,
    teams: Periods<TeamSourcing>,
}

impl Directory {
    /// A directory from periods `(id, valid_from, value)`; `None` as `valid_from` is −∞. Any
    /// order.
    pub fn new(
        staff: impl IntoIterator<Item = (i64, Option<DateTime<Utc>>, StaffPeriod)>,
        teams: impl IntoIterator<Item = (i64, Option<DateTime<Utc>>, TeamSourcing)>,
    ) -> Directory {
        fn collect<T>(
            rows: impl IntoIterator<Item = (i64, Option<DateTime<Utc>>, T)>,
        ) -> Periods<T> {
            let mut out: Periods<T> = HashMap::new();
            for (id, from, value) in rows {
                out.entry(id)
                    .or_default()
                    .push((from.unwrap_or(DateTime::<Utc>::MIN_UTC), value));
            }
            for list in out.values_mut() {
                list.sort_by_key(|(from, _)| *from);
            }
            out
        }
        Directory {
            staff: collect(staff),
            teams: collect(teams),
        }
    }

    /// Reads `user_periods` and `team_sourcing_periods` (two queries).
    ///
    /// # Errors
    /// Database errors.
    pub fn load(conn: &mut PgConnection) -> QueryResult<Directory> {
        use crate::schema::{team_sourcing_periods as tsp, user_periods as up};
        // `-infinity` (each row's first period) is read as NULL.
        let from = diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>>(
            "NULLIF(valid_from, '-infinity')",
        );
        type StaffRow = (i64, Option<DateTime<Utc>>, Option<i64>, EmploymentType);
        let staff: Vec<StaffRow> = up::table
            .select((up::user_id, from.clone(), up::team_id, up::employment_type))
            .load(conn)?;
        let teams: Vec<(i64, Option<DateTime<Utc>>, TeamSourcing)> = tsp::table
            .select((tsp::team_id, from, tsp::sourcing))
            .load(conn)?;
        Ok(Directory::new(
            staff
                .into_iter()
                .map(|(id, from, team_id, employment_type)| {
                    (
                        id,
                        from,
                        StaffPeriod {
                            team_id,
                            employment_type,
                        },
                    )
                }),
            teams,
        ))
    }

    /// `user`'s team and employment type at `t` (`None`: unknown user).
    pub fn staff_at(&self, user: i64, t: DateTime<Utc>) -> Option<StaffPeriod> {
        at(&self.staff, user, t)
    }

    /// `team`'s sourcing at `t` (`None`: unknown team).
    pub fn sourcing_at(&self, team: i64, t: DateTime<Utc>) -> Option<TeamSourcing> {
        at(&self.teams, team, t)
    }
}

/// Who a ticket's figures are credited to (the `ticket_metrics` columns of the same names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attribution {
    /// Volumes: the team at creation, else the creator's team then.
    pub created_team_id: Option<i64>,
    /// That team's sourcing at creation.
    pub created_sourcing: Option<TeamSourcing>,
    /// `frt.v1`: the agent who wrote the first reply.
    pub first_reply_agent_id: Option<i64>,
    /// That agent's team at the reply (the ticket's team then, when the agent had none).
    pub first_reply_team_id: Option<i64>,
    /// That team's sourcing at the reply.
    pub first_reply_sourcing: Option<TeamSourcing>,
    /// The agent's employment type at the reply.
    pub first_reply_agent_employment: Option<EmploymentType>,
    /// Resolution figures: the assignee at the latest solve.
    pub solved_assignee_id: Option<i64>,
    /// The ticket's team at the latest solve.
    pub solved_team_id: Option<i64>,
    /// That team's sourcing at the latest solve.
    pub solved_sourcing: Option<TeamSourcing>,
    /// The assignee's employment type at the latest solve.
    pub solved_assignee_employment: Option<EmploymentType>,
}

/// The assignee a ticket had before each change in `log` (`assigned` events), as `(from,
/// assignee)`: the first from −∞. `current` is the assignee now (the only one without changes).
fn assignee_segments(
    log: &[TicketEvent],
    current: Option<i64>,
) -> Vec<(DateTime<Utc>, Option<i64>)> {
    let changes: Vec<_> = log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Assigned { from, to } => Some((e.occurred_at, *from, *to)),
            _ => None,
        })
        .collect();
    let first = changes.first().map_or(current, |(_, from, _)| *from);
    let mut segments = vec![(DateTime::<Utc>::MIN_UTC, first)];
    segments.extend(changes.into_iter().map(|(at, _, to)| (at, to)));
    segments
}

/// The value of the segment in force at `t` (changes at `t` included: a reply written in the
/// same call as a reassignment belongs to the new one).
fn segment_at(segments: &[(DateTime<Utc>, Option<i64>)], t: DateTime<Utc>) -> Option<i64> {
    let after = segments.partition_point(|(from, _)| *from <= t);
    after
        .checked_sub(1)
        .and_then(|i| segments.get(i))
        .and_then(|(_, v)| *v)
}

/// The team and assignee a ticket had at each instant of its history, from its log (team
/// changes are `field_changed` events of `team_id`, assignee changes `assigned` events) and its
/// team and assignee now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    teams: Vec<(DateTime<Utc>, Option<i64>)>,
    assignees: Vec<(DateTime<Utc>, Option<i64>)>,
}

impl InForce {
    /// The history of `log`, whose ticket has `team_id` and `assignee_id` now.
    pub fn new(log: &[TicketEvent], team_id: Option<i64>, assignee_id: Option<i64>) -> InForce {
        InForce {
            teams: team_segments(log, team_id),
            assignees: assignee_segments(log, assignee_id),
        }
    }

    /// `(team, assignee)` at `t`, changes at `t` included (an outcome in the same call as a
    /// reassignment belongs to the new one; an instant between two events has what the earlier
    /// one left).
    pub fn at(&self, t: DateTime<Utc>) -> (Option<i64>, Option<i64>) {
        (segment_at(&self.teams, t), segment_at(&self.assignees, t))
    }
}

/// The instant an SLA clock's outcome is credited at (docs/METRICS.md §7): its breach, else its
/// fulfilment, else, while it runs, its due instant (it breaches then unless fulfilled first);
/// `None` for a clock with no outcome (paused and not fulfilled). As the stored columns of
/// `ticket_sla_clocks` give it (`running`, `due_at`, `fulfilled_at`, `breached_at`).
pub fn sla_outcome_at(
    running: bool,
    due_at: Option<DateTime<Utc>>,
    fulfilled_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    breached_at.or(fulfilled_at).or(due_at.filter(|_| running))
}

/// Credits `m` (the projection of `log`) per docs/METRICS.md §7. `team_id` and `assignee_id`
/// are the ticket's now, `created_by` the staff member who created it (if any).
pub fn attribute(
    log: &[TicketEvent],
    team_id: Option<i64>,
    assignee_id: Option<i64>,
    created_by: Option<i64>,
    m: &TicketMetrics,
    directory: &Directory,
) -> Attribution {
    let teams = team_segments(log, team_id);
    let assignees = assignee_segments(log, assignee_id);
    let sourcing = |team: Option<i64>, t| team.and_then(|id| directory.sourcing_at(id, t));
    let mut a = Attribution::default();

    let created = m.created_at;
    a.created_team_id = segment_at(&teams, created).or_else(|| {
        created_by
            .and_then(|u| directory.staff_at(u, created))
            .and_then(|s| s.team_id)
    });
    a.created_sourcing = sourcing(a.created_team_id, created);

    if let Some(t) = m.first_reply_at {
        let agent = m.first_reply_by.and_then(|u| directory.staff_at(u, t));
        a.first_reply_agent_id = m.first_reply_by;
        a.first_reply_team_id = agent
            .and_then(|s| s.team_id)
            .or_else(|| segment_at(&teams, t));
        a.first_reply_sourcing = sourcing(a.first_reply_team_id, t);
        a.first_reply_agent_employment = agent.map(|s| s.employment_type);
    }

    if let Some(t) = m.latest_solved_at {
        a.solved_assignee_id = segment_at(&assignees, t);
        a.solved_team_id = segment_at(&teams, t);
        a.solved_sourcing = sourcing(a.solved_team_id, t);
        a.solved_assignee_employment = a
            .solved_assignee_id
            .and_then(|u| directory.staff_at(u, t))
            .map(|s| s.employment_type);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::BusinessCalendar;
    use crate::domain::metrics;
    use crate::domain::ticket::{AuthorKind, TicketStatus};
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn event(at: DateTime<Utc>, actor: Option<i64>, kind: EventKind) -> TicketEvent {
        TicketEvent {
            occurred_at: at,
            actor,
            kind,
        }
    }

    const OUTSOURCED_TEAM: i64 = 1;
    const IN_HOUSE_TEAM: i64 = 2;
    const VENDOR_AGENT: i64 = 10;
    const OWN_AGENT: i64 = 20;

    /// Team 1 outsourced until 12:00, then in-house; team 2 in-house. Agent 10 in team 1 (a
    /// contractor); agent 20 in team 2 (an employee) until 11:00, then in no team.
    fn directory() -> Directory {
        let staff = |team, employment_type| StaffPeriod {
            team_id: team,
            employment_type,
        };
        Directory::new(
            [
                (
                    VENDOR_AGENT,
                    None,
                    staff(Some(OUTSOURCED_TEAM), EmploymentType::Contractor),
                ),
                (
                    OWN_AGENT,
                    None,
                    staff(Some(IN_HOUSE_TEAM), EmploymentType::Employee),
                ),
                (
                    OWN_AGENT,
                    Some(t(11, 0)),
                    staff(None, EmploymentType::Employee),
                ),
            ],
            [
                (OUTSOURCED_TEAM, None, TeamSourcing::Outsourced),
                (OUTSOURCED_TEAM, Some(t(12, 0)), TeamSourcing::InHouse),
                (IN_HOUSE_TEAM, None, TeamSourcing::InHouse),
            ],
        )
    }

    fn project(log: &[TicketEvent]) -> TicketMetrics {
        metrics::project(log, &BusinessCalendar::always_open()).unwrap()
    }

    /// Created 09:00 in the outsourced team, assigned to its agent; the agent replies at 09:30;
    /// at 10:00 the ticket is escalated to the in-house team and its agent; solved at 10:30.
    fn escalated_log() -> Vec<TicketEvent> {
        vec![
            event(
                t(9, 0),
                Some(VENDOR_AGENT),
                EventKind::Created {
                    agent_created: true,
                    with_public_agent_comment: false,
                },
            ),
            event(
                t(9, 0),
                Some(VENDOR_AGENT),
                EventKind::Assigned {
                    from: None,
                    to: Some(VENDOR_AGENT),
                },
            ),
            event(
                t(9, 30),
                Some(VENDOR_AGENT),
                EventKind::CommentAdded {
                    author: AuthorKind::Agent,
                    public: true,
                },
            ),
            event(
                t(10, 0),
                Some(VENDOR_AGENT),
                EventKind::FieldChanged {
                    field: "team_id".into(),
                    from: serde_json::json!(OUTSOURCED_TEAM),
                    to: serde_json::json!(IN_HOUSE_TEAM),
                },
            ),
            event(
                t(10, 0),
                Some(VENDOR_AGENT),
                EventKind::Assigned {
                    from: Some(VENDOR_AGENT),
                    to: Some(OWN_AGENT),
                },
            ),
            event(
                t(10, 30),
                Some(OWN_AGENT),
                EventKind::StatusChanged {
                    from: TicketStatus::Open,
                    to: TicketStatus::Solved,
                    reason: None,
                },
            ),
        ]
    }

    #[test]
    fn an_escalated_ticket_keeps_its_first_reply_with_the_agent_who_wrote_it() {
        let log = escalated_log();
        let m = project(&log);
        assert_eq!(m.first_reply_at, Some(t(9, 30)));
        let a = attribute(
            &log,
            Some(IN_HOUSE_TEAM),
            Some(OWN_AGENT),
            Some(VENDOR_AGENT),
            &m,
            &directory(),
        );
        assert_eq!(
            a,
            Attribution {
                created_team_id: Some(OUTSOURCED_TEAM),
                created_sourcing: Some(TeamSourcing::Outsourced),
                first_reply_agent_id: Some(VENDOR_AGENT),
                first_reply_team_id: Some(OUTSOURCED_TEAM),
                first_reply_sourcing: Some(TeamSourcing::Outsourced),
                first_reply_agent_employment: Some(EmploymentType::Contractor),
                solved_assignee_id: Some(OWN_AGENT),
                solved_team_id: Some(IN_HOUSE_TEAM),
                solved_sourcing: Some(TeamSourcing::InHouse),
                solved_assignee_employment: Some(EmploymentType::Employee),
            }
        );
    }

    #[test]
    fn a_later_change_of_sourcing_or_team_does_not_move_history() {
        // The outsourced team becomes in-house at 12:00 and agent 20 leaves team 2 at 11:00:
        // a reply at 09:30 stays outsourced; one at 12:30 by the vendor agent is in-house.
        let mut log = escalated_log();
        log.truncate(3);
        let m = project(&log);
        let d = directory();
        let a = attribute(&log, Some(OUTSOURCED_TEAM), None, None, &m, &d);
        assert_eq!(a.first_reply_sourcing, Some(TeamSourcing::Outsourced));
        let mut late = escalated_log();
        late.truncate(2);
        late.push(event(
            t(12, 30),
            Some(VENDOR_AGENT),
            EventKind::CommentAdded {
                author: AuthorKind::Agent,
                public: true,
            },
        ));
        let m = project(&late);
        let a = attribute(&late, Some(OUTSOURCED_TEAM), None, None, &m, &d);
        assert_eq!(a.first_reply_sourcing, Some(TeamSourcing::InHouse));
        // Agent 20 replies at 11:30, in no team then: the ticket's team at that instant.
        let mut own = escalated_log();
        own.truncate(2);
        own.push(event(
            t(11, 30),
            Some(OWN_AGENT),
            EventKind::CommentAdded {
                author: AuthorKind::Agent,
                public: true,
            },
        ));
        let m = project(&own);
        let a = attribute(&own, Some(OUTSOURCED_TEAM), None, None, &m, &d);
        assert_eq!(
            (a.first_reply_agent_id, a.first_reply_team_id),
            (Some(OWN_AGENT), Some(OUTSOURCED_TEAM))
        );
        assert_eq!(
            a.first_reply_agent_employment,
            Some(EmploymentType::Employee)
        );
        assert_eq!(a.first_reply_sourcing, Some(TeamSourcing::Outsourced));
    }

    #[test]
    fn an_sla_outcome_is_credited_to_whoever_had_the_ticket_at_its_instant() {
        let log = escalated_log();
        let now = InForce::new(&log, Some(IN_HOUSE_TEAM), Some(OWN_AGENT));
        let vendor = (Some(OUTSOURCED_TEAM), Some(VENDOR_AGENT));
        let own = (Some(IN_HOUSE_TEAM), Some(OWN_AGENT));
        // Before the assignment at 09:00 the ticket had its team and nobody.
        assert_eq!(now.at(t(8, 59)), (Some(OUTSOURCED_TEAM), None));
        assert_eq!(now.at(t(9, 30)), vendor);
        // A due instant between two events: what the earlier one left.
        assert_eq!(now.at(t(9, 59)), vendor);
        // The escalation's instant belongs to the new team and assignee.
        assert_eq!(now.at(t(10, 0)), own);
        assert_eq!(now.at(t(23, 0)), own);
        // The breach, else the fulfilment, else a running clock's due instant.
        let (a, b, c) = (Some(t(9, 0)), Some(t(10, 0)), Some(t(11, 0)));
        assert_eq!(sla_outcome_at(true, c, b, a), a);
        assert_eq!(sla_outcome_at(false, None, b, None), b);
        assert_eq!(sla_outcome_at(true, c, None, None), c);
        assert_eq!(sla_outcome_at(false, c, None, None), None);
        // A log without changes: the ticket's team and assignee now, from −∞.
        let quiet = InForce::new(&log[..1], Some(IN_HOUSE_TEAM), Some(OWN_AGENT));
        assert_eq!(quiet.at(t(9, 30)), own);
    }

    #[test]
    fn a_ticket_created_without_a_team_takes_its_creators_team() {
        let log = vec![event(
            t(9, 0),
            Some(OWN_AGENT),
            EventKind::Created {
                agent_created: true,
                with_public_agent_comment: false,
            },
        )];
        let m = project(&log);
        let a = attribute(&log, None, None, Some(OWN_AGENT), &m, &directory());
        assert_eq!(
            (a.created_team_id, a.created_sourcing),
            (Some(IN_HOUSE_TEAM), Some(TeamSourcing::InHouse))
        );
        // Without a creator (a requester's email), no team: it counts in no team's volume.
        let a = attribute(&log, None, None, None, &m, &directory());
        assert_eq!((a.created_team_id, a.created_sourcing), (None, None));
        assert_eq!(a.first_reply_agent_id, None);
        assert_eq!(a.solved_team_id, None);
    }
}
