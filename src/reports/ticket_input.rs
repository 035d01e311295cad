//! A ticket's inputs to an evidence report: whom each figure is credited to ([`Role`], with a
//! [`Sourcing`]) and the values ([`TicketFields`]), held packed ([`TicketInput`]: 96 bytes, a
//! million of them while a report is built). Re-exported by [`super::inputs`].

use super::sla_outcomes::SlaOutcomes;

/// Whom a ticket's figure is credited to (docs/METRICS.md §7, "Attribution"), as the metrics
/// endpoints credit it (`metrics::reference`, `metrics::store`): each figure of a ticket belongs
/// to the team, agent and sourcing of its role, not to the ticket's current ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Volumes and the Kaplan–Meier cohort (tickets created): the team at creation
    /// (`created_team_id`, `created_sourcing`); no agent.
    Created = 0,
    /// `frt.v1`: the agent who wrote the first reply and their team at the reply
    /// (`first_reply_agent_id`, `first_reply_team_id`, `first_reply_sourcing`).
    FirstReply = 1,
    /// Resolution times of solved tickets, reopens, one-touch, FCR: the assignee and team at the
    /// latest solve (`solved_assignee_id`, `solved_team_id`, `solved_sourcing`).
    Solved = 2,
    /// SLA attainment: each outcome's own credit, the team and assignee at its instant
    /// (`ticket_sla_clocks.outcome_team_id`, `outcome_assignee_id`) with that team's sourcing
    /// then; the ticket holds the role when any of its outcomes is the scope's, and only those
    /// are in [`TicketInput::sla`].
    Sla = 3,
}

impl Role {
    /// Every role, in index order.
    pub const ALL: [Role; 4] = [Role::Created, Role::FirstReply, Role::Solved, Role::Sla];

    /// The role's bit in [`TicketInput::roles`].
    pub fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The role's letter in the manifest's `roles` field: `c`, `f`, `s`, `a`.
    pub fn letter(self) -> char {
        match self {
            Role::Created => 'c',
            Role::FirstReply => 'f',
            Role::Solved => 's',
            Role::Sla => 'a',
        }
    }
}

/// Every role's bit: a scope that selects whole tickets (company, technician, organization,
/// site).
pub const ALL_ROLES: u8 = 0b1111;

/// A team's sourcing (`team_sourcing`), one byte; ordered as its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sourcing {
    /// `in_house`.
    InHouse,
    /// `outsourced`.
    Outsourced,
}

impl Sourcing {
    /// From its text; `None` for anything else (no team, nothing recorded).
    pub fn parse(s: Option<&str>) -> Option<Sourcing> {
        match s {
            Some("in_house") => Some(Sourcing::InHouse),
            Some("outsourced") => Some(Sourcing::Outsourced),
            _ => None,
        }
    }

    /// `in_house` or `outsourced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sourcing::InHouse => "in_house",
            Sourcing::Outsourced => "outsourced",
        }
    }
}

/// One ticket's inputs as they are given: [`TicketInput`] holds them packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFields {
    /// `tickets.id`.
    pub id: i64,
    /// Creation instant.
    pub created: i64,
    /// `first_reply_at` (`frt.v1`'s stop).
    pub first_reply_at: Option<i64>,
    /// `frt.v1`, business seconds: on the ticket's own calendar, or with the parameters'
    /// `calendar` the business seconds of `ticket_metrics.created_at` → `first_reply_at` on it.
    pub first_reply_business: Option<i64>,
    /// Latest solve (kept after a reopen).
    pub latest_solved_at: Option<i64>,
    /// `full_resolution.v1`, calendar seconds (`null` unless solved or closed now).
    pub full_resolution: Option<i64>,
    /// `reopens.v1`.
    pub reopens: i32,
    /// `one_touch.v1` (`null` unless solved or closed now).
    pub one_touch: Option<bool>,
    /// `fcr.v1` with the 7-day look-up made as of `as_of` (`null` when `one_touch` is).
    pub fcr: Option<bool>,
    /// The roles ([`Role::bit`]) whose credit is in the report's scope: a team's or an agent's
    /// report counts only the figures credited to it ([`ALL_ROLES`] for the other scopes).
    pub roles: u8,
    /// The sourcing credited per role (indexed by [`Role`]), `None` without a team; always
    /// `None` for [`Role::Sla`], whose outcomes each have their own (in `sla`).
    pub sourcing: [Option<Sourcing>; 4],
    /// The ticket's SLA outcomes credited to the scope, by `as_of`: (instant, achieved,
    /// sourcing), by instant, then achieved-last, then sourcing (none first).
    pub sla: SlaOutcomes,
}

/// One ticket's inputs ([`TicketFields`]), packed into 96 bytes (a million of them are held
/// while a report is built): absent instants and durations are a sentinel (`i64::MIN`), the two
/// optional flags share a byte, the three sourcings another.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketInput {
    id: i64,
    created: i64,
    first_reply_at: i64,
    first_reply_business: i64,
    latest_solved_at: i64,
    full_resolution: i64,
    sla: SlaOutcomes,
    reopens: i32,
    /// Bit 0: `one_touch` known, bit 1: its value; bit 2: `fcr` known, bit 3: its value.
    flags: u8,
    roles: u8,
    /// Two bits per role (created, first reply, solved): 0 none, 1 in-house, 2 outsourced.
    sourcing: u8,
}

const _: () = assert!(std::mem::size_of::<TicketInput>() == 96);

impl TicketInput {
    /// An absent instant or duration.
    const NONE: i64 = i64::MIN;

    fn get(v: i64) -> Option<i64> {
        (v != Self::NONE).then_some(v)
    }

    fn flag(&self, bit: u8) -> Option<bool> {
        (self.flags & (1 << bit) != 0).then_some(self.flags & (2 << bit) != 0)
    }

    /// `tickets.id`.
    pub fn id(&self) -> i64 {
        self.id
    }
    /// Creation instant, seconds since the epoch.
    pub fn created(&self) -> i64 {
        self.created
    }
    /// `first_reply_at`, seconds since the epoch.
    pub fn first_reply_at(&self) -> Option<i64> {
        Self::get(self.first_reply_at)
    }
    /// `frt.v1`, business seconds ([`TicketFields::first_reply_business`]).
    pub fn first_reply_business(&self) -> Option<i64> {
        Self::get(self.first_reply_business)
    }
    /// Latest solve, seconds since the epoch.
    pub fn latest_solved_at(&self) -> Option<i64> {
        Self::get(self.latest_solved_at)
    }
    /// `full_resolution.v1`, calendar seconds.
    pub fn full_resolution(&self) -> Option<i64> {
        Self::get(self.full_resolution)
    }
    /// `reopens.v1`.
    pub fn reopens(&self) -> i32 {
        self.reopens
    }
    /// `one_touch.v1`.
    pub fn one_touch(&self) -> Option<bool> {
        self.flag(0)
    }
    /// `fcr.v1` as of `as_of`.
    pub fn fcr(&self) -> Option<bool> {
        self.flag(2)
    }
    /// The roles credited to the scope ([`Role::bit`]).
    pub fn roles(&self) -> u8 {
        self.roles
    }
    /// The SLA outcomes credited to the scope ([`TicketFields::sla`]).
    pub fn sla(&self) -> &SlaOutcomes {
        &self.sla
    }

    /// Whether the figures of `role` are the scope's.
    pub fn holds(&self, role: Role) -> bool {
        self.roles & role.bit() != 0
    }

    /// The sourcing credited to `role` (`None` for [`Role::Sla`]).
    pub fn sourcing_of(&self, role: Role) -> Option<Sourcing> {
        match role {
            Role::Sla => None,
            _ => match (self.sourcing >> (2 * role as u8)) & 3 {
                1 => Some(Sourcing::InHouse),
                2 => Some(Sourcing::Outsourced),
                _ => None,
            },
        }
    }

    /// The sourcing the figures of `role` are credited with.
    pub fn sourcing(&self, role: Role) -> Option<&'static str> {
        self.sourcing_of(role).map(Sourcing::as_str)
    }

    /// The fields, unpacked.
    pub fn fields(&self) -> TicketFields {
        TicketFields {
            id: self.id,
            created: self.created,
            first_reply_at: self.first_reply_at(),
            first_reply_business: self.first_reply_business(),
            latest_solved_at: self.latest_solved_at(),
            full_resolution: self.full_resolution(),
            reopens: self.reopens,
            one_touch: self.one_touch(),
            fcr: self.fcr(),
            roles: self.roles,
            sourcing: Role::ALL.map(|role| self.sourcing_of(role)),
            sla: self.sla.clone(),
        }
    }
}

impl From<TicketFields> for TicketInput {
    /// Packs the fields. A sourcing given for [`Role::Sla`] is dropped (its outcomes carry their
    /// own); an instant or duration of `i64::MIN` seconds (not a PostgreSQL instant) reads back
    /// as none.
    fn from(f: TicketFields) -> TicketInput {
        let flag = |v: Option<bool>, bit: u8| match v {
            None => 0,
            Some(v) => (1 << bit) | (u8::from(v) << (bit + 1)),
        };
        let sourcing =
            [Role::Created, Role::FirstReply, Role::Solved]
                .iter()
                .fold(0u8, |bits, &role| {
                    let v = match f.sourcing[role as usize] {
                        None => 0,
                        Some(Sourcing::InHouse) => 1,
                        Some(Sourcing::Outsourced) => 2,
                    };
                    bits | (v << (2 * role as u8))
                });
        let none = |v: Option<i64>| v.unwrap_or(Self::NONE);
        TicketInput {
            id: f.id,
            created: f.created,
            first_reply_at: none(f.first_reply_at),
            first_reply_business: none(f.first_reply_business),
            latest_solved_at: none(f.latest_solved_at),
            full_resolution: none(f.full_resolution),
            sla: f.sla,
            reopens: f.reopens,
            flags: flag(f.one_touch, 0) | flag(f.fcr, 2),
            roles: f.roles,
            sourcing,
        }
    }
}

impl std::fmt::Debug for TicketInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.fields().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_ticket_gives_back_its_fields() {
        let sla: SlaOutcomes = vec![
            (-5, true, None),
            (1_767_225_600, false, Some(Sourcing::Outsourced)),
        ]
        .into();
        for (one_touch, fcr) in [
            (None, None),
            (Some(true), Some(false)),
            (Some(false), Some(true)),
        ] {
            for sourcing in [
                [None, None, None, None],
                [
                    Some(Sourcing::InHouse),
                    None,
                    Some(Sourcing::Outsourced),
                    None,
                ],
                [
                    None,
                    Some(Sourcing::Outsourced),
                    Some(Sourcing::InHouse),
                    None,
                ],
            ] {
                let fields = TicketFields {
                    id: 42,
                    created: -86_400,
                    first_reply_at: Some(-86_000),
                    first_reply_business: one_touch.map(|_| 0),
                    latest_solved_at: fcr.map(|_| 9_224_318_015_999),
                    full_resolution: None,
                    reopens: 3,
                    one_touch,
                    fcr,
                    roles: Role::FirstReply.bit() | Role::Sla.bit(),
                    sourcing,
                    sla: sla.clone(),
                };
                let packed = TicketInput::from(fields.clone());
                assert_eq!(packed.fields(), fields);
                assert_eq!(packed.one_touch(), one_touch);
                assert_eq!(packed.fcr(), fcr);
                assert_eq!(
                    packed.sourcing(Role::Solved),
                    sourcing[2].map(Sourcing::as_str)
                );
                assert!(packed.holds(Role::Sla) && !packed.holds(Role::Created));
                assert_eq!(format!("{packed:?}"), format!("{fields:?}"));
            }
        }
        // The SLA role has no sourcing of its own: one given is dropped.
        let fields = TicketInput::from(TicketFields {
            id: 1,
            created: 0,
            first_reply_at: None,
            first_reply_business: None,
            latest_solved_at: None,
            full_resolution: None,
            reopens: 0,
            one_touch: None,
            fcr: None,
            roles: ALL_ROLES,
            sourcing: [Some(Sourcing::InHouse); 4],
            sla: SlaOutcomes::default(),
        })
        .fields();
        assert_eq!(
            fields.sourcing,
            [
                Some(Sourcing::InHouse),
                Some(Sourcing::InHouse),
                Some(Sourcing::InHouse),
                None
            ]
        );
    }
}
