//! The evidence report's per-ticket inputs ([`crate::reports::inputs::TicketInput`]) read from the
//! store instead of the database: the same rows, values and order as the report's SQL
//! (`reports::inputs`), at the store's snapshot — one pass over the packed rows instead of a
//! million rows read through the driver.
//!
//! As the SQL does, everything is the current projection except what is read "as of" the
//! report's `as_of`: a ticket counts only if created by then, `fcr.v1`'s look-up sees only
//! tickets created by then, and an SLA clock gives an outcome only if its instant is by then
//! (a breach at `breached_at`; an achievement at `fulfilled_at`; a running clock, past due, a
//! breach at `due_at`). Each outcome is credited to the team and assignee at its instant, with
//! that team's sourcing then (docs/METRICS.md §7); a team's or an agent's report keeps only the
//! outcomes credited to it. A clock is never running and fulfilled at once (`domain::sla`: fulfilling
//! stops it, restarting clears `fulfilled_at`), so the store's outcomes per clock are the SQL's
//! `CASE`. The equality of both paths is tested in `tests/api/reports.rs`.

use super::field::field_flag;
use super::*;
use crate::domain::calendar::BusinessCalendar;
use crate::reports::inputs::{
    ALL_ROLES, EmploymentType, FTF_DAYS, Role, Sourcing, TicketFields, TicketInput, WorkOrderInput,
    WorkOrderStatus, frt_on, ticket_counts,
};
use crate::reports::params::{EvidenceParams, ScopeKind};

/// A row's id column (organization, site: interned).
type Column = fn(&Row) -> u32;

/// Which of a ticket's credits a scope selects by ([`Role`]).
#[derive(Clone, Copy)]
enum Scope {
    /// Whole tickets (the company).
    All,
    /// A ticket column (organization, site) equal to the interned id.
    Column(Column, u32),
    /// The team credited per role (docs/METRICS.md §7, "Attribution").
    Team(u32),
    /// The agent credited per role (none at creation).
    Agent(u32),
}

impl Scope {
    /// The roles of `a`'s figures the scope holds ([`Role::bit`]); for a team or an agent, SLA
    /// outcomes (`sla`) when one of them is credited to it ([`Scope::holds_outcome`]).
    fn roles(self, r: &Row, a: &Attribution, sla: bool) -> u8 {
        let bits = |created: bool, first_reply: bool, solved: bool, sla: bool| {
            [
                (created, Role::Created),
                (first_reply, Role::FirstReply),
                (solved, Role::Solved),
                (sla, Role::Sla),
            ]
            .into_iter()
            .filter(|(held, _)| *held)
            .fold(0, |bits, (_, role)| bits | role.bit())
        };
        match self {
            Scope::All => ALL_ROLES,
            Scope::Column(column, want) if column(r) == want => ALL_ROLES,
            Scope::Column(..) => 0,
            Scope::Team(v) => bits(
                a.created_team == v,
                a.first_reply_team == v,
                a.solved_team == v,
                sla,
            ),
            Scope::Agent(v) => bits(false, a.first_reply_agent == v, a.solved_assignee == v, sla),
        }
    }

    /// Whether an SLA outcome credited to `credit` (team, assignee: interned) is the scope's:
    /// for a team or an agent, when credited to it; for the other scopes, every outcome of a
    /// ticket they select.
    fn holds_outcome(self, (team, assignee): OutcomeCredit) -> bool {
        match self {
            Scope::Team(v) => team == v,
            Scope::Agent(v) => assignee == v,
            Scope::All | Scope::Column(..) => true,
        }
    }
}

/// Whole seconds since the epoch of an instant in microseconds (`floor(extract(epoch …))`).
fn whole_seconds(micros: i64) -> i64 {
    micros.div_euclid(1_000_000)
}

/// `Some(v)` unless `v` is [`NONE`].
fn present(v: i64) -> Option<i64> {
    (v != NONE).then_some(v)
}

impl Reader<'_> {
    /// The tickets of an evidence report over `params` (both periods), ascending by id, exactly
    /// as `reports::inputs::load_tickets` reads them from the database at this snapshot (roles
    /// credited to the scope and sourcing per role from the row's attribution; `frt.v1` on
    /// `calendar` when given); `None` for a scope the store cannot select (a technician's: it
    /// follows work orders).
    pub fn evidence_tickets(
        &self,
        params: &EvidenceParams,
        calendar: Option<&BusinessCalendar>,
    ) -> Option<Vec<TicketInput>> {
        let c = self.content;
        // The scope and its interned id; an id no ticket has selects nothing.
        let id = params.scope_id.and_then(|id| c.ids.get(&id));
        let scope = match (params.scope, id) {
            (ScopeKind::Company, _) => Scope::All,
            (ScopeKind::Technician, _) => return None,
            (_, None) => return Some(Vec::new()),
            (ScopeKind::Team, Some(v)) => Scope::Team(v),
            (ScopeKind::Agent, Some(v)) => Scope::Agent(v),
            (ScopeKind::Organization, Some(v)) => Scope::Column(|r| r.organization, v),
            (ScopeKind::Site, Some(v)) => Scope::Column(|r| r.site, v),
        };
        let Some(source) = self.evidence_source(params) else {
            return Some(Vec::new());
        };
        let hi = params.eligibility.end.max(params.comparison.end);
        let hi = hi.timestamp_micros();
        let as_of = params.as_of.timestamp_micros();
        let recorded = |label: u8| Sourcing::parse(c.labels.value(label).map(String::as_str));
        // Room for every ticket held, reserved once: pages never written are never
        // allocated, and the list is never copied as it grows (a copy held both).
        let mut out = Vec::with_capacity(c.rows.len());
        let mut sla = Vec::new();
        for r in &c.rows {
            if r.flags & flag::HAS_METRICS == 0
                || r.created >= hi
                || r.created > as_of
                || r.source != source
            {
                continue;
            }
            let a = c.attribution(r);
            // The outcomes by `as_of` credited to the scope, each with the sourcing of its
            // team at its instant.
            sla.clear();
            c.outcomes(r, |o| {
                let credit = c.credits.value(o.credit).copied().unwrap_or((0, 0));
                if o.at <= as_of && scope.holds_outcome(credit) {
                    let sourcing = self.outcome_credit(&o, true, false).sourcing;
                    sla.push((o.at, o.kind == OutcomeKind::Achieved, recorded(sourcing)));
                }
            });
            sla.sort_unstable();
            let roles = scope.roles(r, a, !sla.is_empty());
            if roles == 0 {
                continue;
            }
            let latest = c.latest(r);
            let one_touch =
                (r.flags & flag::ONE_TOUCH_SET != 0).then_some(r.flags & flag::ONE_TOUCH != 0);
            let (first_reply_business, _) = c.durations(r, 1);
            let (_, full_resolution) = c.durations(r, 0);
            let input = TicketInput::from(TicketFields {
                id: r.ticket_id,
                created: whole_seconds(r.created),
                first_reply_at: present(r.first_reply_at).map(whole_seconds),
                first_reply_business: frt_on(
                    calendar,
                    whole_seconds(c.metrics_created(r)),
                    present(r.first_reply_at).map(whole_seconds),
                    present(first_reply_business),
                ),
                latest_solved_at: present(latest).map(whole_seconds),
                full_resolution: present(full_resolution),
                reopens: c.reopens(r),
                one_touch,
                fcr: one_touch.map(|_| {
                    r.flags & flag::FCR_CANDIDATE != 0
                        && latest != NONE
                        && self.first_contact(r, latest, as_of)
                }),
                roles,
                sourcing: [
                    recorded(a.created_sourcing),
                    recorded(a.first_reply_sourcing),
                    recorded(a.solved_sourcing),
                    None,
                ],
                sla: sla
                    .iter()
                    .map(|&(at, achieved, sourcing)| (whole_seconds(at), achieved, sourcing))
                    .collect(),
            });
            if ticket_counts(&input, params) {
                out.push(input);
            }
        }
        Some(out)
    }

    /// The interned data set of `params` (0: the company's own), `None` for a label no ticket
    /// has.
    fn evidence_source(&self, params: &EvidenceParams) -> Option<u32> {
        match params.source.as_deref() {
            None => Some(0),
            Some(label) => self.content.sources.get(&label.to_string()),
        }
    }

    /// `fcr.v1`'s look-up as of `as_of`: no other ticket of the same requester and category
    /// created in `(latest, latest + 7 days]` and by `as_of` (true without a requester). Once the
    /// window has closed by `as_of`, that is the row's kept flag.
    pub(super) fn first_contact(&self, r: &Row, latest: i64, as_of: i64) -> bool {
        let until = latest.saturating_add(SEVEN_DAYS);
        if r.requester_id == NONE || until <= as_of {
            return r.requester_id == NONE || r.flags & flag::FIRST_CONTACT != 0;
        }
        let c = self.content;
        let group = c.group(&c.by_created, group_of(r));
        !ids_in(
            &c.rows,
            group,
            |r| r.created,
            latest,
            until.min(as_of),
            true,
        )
        .any(|other| other != r.ticket_id)
    }

    /// The work orders of an evidence report over `params`, ascending by id, exactly as
    /// `reports::inputs::load_beside` reads them: finished in either period and by `as_of`, with
    /// `first_time_fix.v1` (N = [`FTF_DAYS`]) looked up as of `as_of`. `None` for a team's scope
    /// (it follows the technician's team at the finish, which the store does not hold).
    pub fn evidence_work_orders(&self, params: &EvidenceParams) -> Option<Vec<WorkOrderInput>> {
        let c = self.content;
        let want = match params.scope {
            ScopeKind::Team => return None,
            ScopeKind::Company => None,
            _ => match params.scope_id.and_then(|id| c.ids.get(&id)) {
                Some(v) => Some(v),
                None => return Some(Vec::new()),
            },
        };
        let Some(source) = self.evidence_source(params) else {
            return Some(Vec::new());
        };
        let labelled = self.labelled();
        let lo = params.eligibility.start.min(params.comparison.start);
        let hi = params.eligibility.end.max(params.comparison.end);
        let (lo, hi) = (lo.timestamp_micros(), hi.timestamp_micros());
        let as_of = params.as_of.timestamp_micros();
        let n = FTF_DAYS * 86_400 * 1_000_000;
        let assignee = |ticket_id: i64| {
            c.position(ticket_id)
                .map_or(0, |p| c.attribution(&c.rows[p]).assignee)
        };
        // Room for every work order held, reserved once: pages never written are never
        // allocated, and the list is never copied as it grows (a copy held both).
        let mut out = Vec::with_capacity(c.fields.len());
        for (i, f) in c.fields.iter().enumerate() {
            if f.finished == NONE || f.finished < lo || f.finished >= hi || f.finished > as_of {
                continue;
            }
            let in_scope = match (params.scope, want) {
                (_, None) => true,
                (ScopeKind::Agent, Some(v)) => assignee(f.ticket_id) == v,
                (ScopeKind::Technician, Some(v)) => f.technician == v,
                (ScopeKind::Organization, Some(v)) => f.organization == v,
                (ScopeKind::Site, Some(v)) => f.site == v,
                (_, Some(_)) => false,
            };
            if !in_scope
                || (labelled && c.position(f.ticket_id).map_or(0, |p| c.rows[p].source) != source)
            {
                continue;
            }
            let until = f.finished.saturating_add(n);
            let fixed = field_flag::COMPLETED | field_flag::PROBLEM_FIXED;
            let fixed = f.flags & fixed == fixed
                && !c.next_visit_by(i, false, until.min(as_of))
                && (f.reopened == NONE || f.reopened > as_of || f.reopened > until);
            // A status outside WorkOrderStatus's names (the column's CHECK forbids it) is left
            // to the database read, which reports it.
            let status = c.labels.value(f.status).map(String::as_str);
            let status = WorkOrderStatus::parse(status?)?;
            out.push(WorkOrderInput {
                id: f.work_order_id,
                ticket_id: f.ticket_id,
                finished_at: whole_seconds(f.finished),
                status,
                first_visit: f.flags & field_flag::FIRST_VISIT != 0,
                fixed,
                employment_type: c
                    .labels
                    .value(f.employment)
                    .and_then(|e| EmploymentType::parse(e)),
            });
        }
        Some(out)
    }
}

impl Reader<'_> {
    /// The facts of the training-effect comparison of `cohorts` as
    /// [`crate::models::training::effect_facts`] reads them from the database with `business`
    /// (the evidence report's training section), at this snapshot: the first replies and the
    /// reopen units placed in the span of the cohorts' windows
    /// ([`crate::models::training::effect_window`]) and at or before `until`.
    ///
    /// - First replies: `frt.v1` in business seconds (on `calendar` when given: creation →
    ///   first reply), credited to the agent who wrote the reply (`first_reply_agent_id`), at the
    ///   reply; replies without an author left out.
    /// - Reopen units: 1 when the ticket was reopened, else 0, credited to the assignee at the
    ///   latest solve (`solved_assignee_id`), at that solve; solves without an assignee left out.
    ///
    /// Both only of the company's own tickets (the store holds no merged one), each list by
    /// instant, then ticket id.
    pub fn training_facts(
        &self,
        cohorts: &[crate::domain::training::Cohort],
        until: Option<DateTime<Utc>>,
        calendar: Option<&BusinessCalendar>,
    ) -> (
        Vec<crate::domain::training::Fact>,
        Vec<crate::domain::training::Fact>,
    ) {
        use crate::domain::training::Fact;
        use crate::models::training::{effect_window, keep_until};
        let Some((from, to)) = effect_window(cohorts, until) else {
            return (Vec::new(), Vec::new());
        };
        let c = self.content;
        let (from, to) = (from.timestamp_micros(), to.timestamp_micros());
        let staff = |interned: u32| c.ids.value(interned).copied();
        let instant = |micros: i64| DateTime::from_timestamp_micros(micros).unwrap_or_default();
        // Gathered by ticket id, then sorted stably by instant: the SQL's `ORDER BY at,
        // ticket_id`. Reserved once (pages never written are never allocated): never copied
        // as they grow.
        let mut first_replies: Vec<Fact> = Vec::with_capacity(c.rows.len());
        let mut reopens: Vec<Fact> = Vec::with_capacity(c.rows.len());
        for r in &c.rows {
            if r.flags & flag::HAS_METRICS == 0 || r.source != 0 {
                continue;
            }
            let a = c.attribution(r);
            let at = r.first_reply_at;
            if at != NONE && at >= from && at < to {
                let (business, _) = c.durations(r, 1);
                if let (Some(agent), Some(seconds)) =
                    (staff(a.first_reply_agent), present(business))
                {
                    let seconds = match calendar {
                        Some(cal) => {
                            cal.business_seconds(instant(c.metrics_created(r)), instant(at))
                        }
                        None => seconds,
                    };
                    first_replies.push(Fact {
                        staff: agent,
                        at: instant(at),
                        // Seconds fit an f64 exactly below 2^53.
                        value: seconds as f64,
                    });
                }
            }
            let latest = c.latest(r);
            if let (true, Some(assignee)) = (
                latest != NONE && latest >= from && latest < to,
                staff(a.solved_assignee),
            ) {
                reopens.push(Fact {
                    staff: assignee,
                    at: instant(latest),
                    value: if c.reopens(r) > 0 { 1.0 } else { 0.0 },
                });
            }
        }
        let ordered = |mut facts: Vec<Fact>| {
            facts.sort_by_key(|f| f.at);
            keep_until(facts, until)
        };
        (ordered(first_replies), ordered(reopens))
    }
}

impl Reader<'_> {
    /// Every answer (a survey with a score) given from `lo` to `params.as_of` (both included,
    /// exact instants) on a ticket of `params`' data set, as `reports::ratings` reads them from
    /// the database at this snapshot, by ticket then survey id, without their quotes (read
    /// from the database: `quotable` `None`, no names); `in_scope`: a team's or an agent's
    /// report holds the answers of the team or agent surveyed, a company's all. `None` for a
    /// scope that follows the ticket (technician, organization, site).
    pub fn evidence_answers(
        &self,
        params: &EvidenceParams,
        lo: DateTime<Utc>,
    ) -> Option<Vec<crate::reports::ratings::Answer>> {
        let c = self.content;
        // The interned scope id (`None`: one no survey has, so no answer is the scope's).
        let id = params.scope_id.and_then(|id| c.ids.get(&id));
        let in_scope: fn(&super::survey::SurveyFact, Option<u32>) -> bool = match params.scope {
            ScopeKind::Company => |_, _| true,
            ScopeKind::Team => |s, id| Some(s.team) == id,
            ScopeKind::Agent => |s, id| Some(s.assignee) == id,
            ScopeKind::Technician | ScopeKind::Organization | ScopeKind::Site => return None,
        };
        let Some(source) = self.evidence_source(params) else {
            return Some(Vec::new());
        };
        let (lo, as_of) = (lo.timestamp_micros(), params.as_of.timestamp_micros());
        let labelled = self.labelled();
        // Room for every survey held, reserved once: pages never written are never
        // allocated, and the list is never copied as it grows (a copy held both).
        let mut out = Vec::with_capacity(c.surveys.held.len());
        for s in &c.surveys.held {
            if s.answered == NONE || s.answered < lo || s.answered > as_of {
                continue;
            }
            if labelled && c.position(s.ticket_id).map_or(0, |p| c.rows[p].source) != source {
                continue;
            }
            out.push(crate::reports::ratings::Answer {
                survey_id: s.id,
                ticket_id: s.ticket_id,
                answered_at: whole_seconds(s.answered),
                score: i16::from(s.score),
                team_id: c.ids.value(s.team).copied(),
                solved_at: DateTime::from_timestamp_micros(s.solved).unwrap_or_default(),
                quotable: None,
                customer_names: Vec::new(),
                in_scope: in_scope(s, id),
            });
        }
        Some(out)
    }
}
