//! Ticket histories of the demo company: arrivals over the seeding window and one lifecycle per
//! ticket, played through the ticket state machine ([`TicketState::apply`]) so that every log is
//! one the API could have written.
//!
//! Everything here is pure and deterministic: arrivals come from one generator seeded with the
//! run's seed; each ticket's lifecycle from its own generator seeded with (seed, ticket index), so
//! tickets can be generated in any order or in parallel with the same result.
//!
//! # Cohorts (what a comparison should find)
//! The two contact-center teams differ on purpose; the figures below are the generator's
//! parameters, and `tests/api/seed.rs` checks that the metrics API finds the differences:
//!
//! | parameter | in-house team | outsourced team |
//! |---|---|---|
//! | first reply, business time, median (log-normal, σ 0.8) | 20 min | 75 min |
//! | phone calls resolved during the call (FCR) | 55 % | 35 % |
//! | reopen after a solve | 5 % | 14 % |
//! | extra back-and-forth rounds, mean | 0.6 | 1.2 |
//! | work before the solve, business time, median | 2 h | 5 h |
//!
//! Field visits (category `kiosk_phone_equipment`): the ticket goes on hold
//! (`awaiting_field_visit`) until a technician visits on the field-service calendar. Employees fix
//! the fault on the first visit 88 % of the time, contractors 66 %; otherwise the ticket waits for
//! parts (`awaiting_parts`) and a second visit. Visits are kept in [`FieldVisit`] (and tagged
//! `visit:employee` / `visit:contractor`) so that work orders can be generated from them when that
//! feature lands.
//!
//! Arrivals: weekday and hour-of-day seasonality in the contact center's zone, a busier December
//! and January, and outage bursts (10 % of tickets): call-quality and video-visit complaints from
//! one facility within hours of an outage's start.

use crate::domain::calendar::BusinessCalendar;
use crate::domain::ticket::{
    AuthorKind, ClosePolicy, Command, Creation, StaffId, TicketEvent, TicketPriority, TicketState,
    TicketStatus,
};
use crate::models::enums::TicketChannel;
use crate::models::ticket::TicketFields;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Ticket categories of the demo company.
pub const CATEGORIES: [&str; 6] = [
    "billing",
    "call_quality",
    "account_funding",
    "kiosk_phone_equipment",
    "video_visits",
    "complaint",
];

/// Seconds a solved ticket stays solved before it closes (the auto-close default, 96 h).
pub const AUTO_CLOSE_SECONDS: i64 = 96 * 3600;

/// A contact-center team as the generator sees it.
#[derive(Debug, Clone)]
pub struct TeamInfo {
    /// `teams.id`.
    pub id: i64,
    /// Outsourced (vendor) team.
    pub outsourced: bool,
    /// The team's business calendar.
    pub calendar: BusinessCalendar,
    /// Agents: `(users.id, speed factor)`; a factor of 1.5 takes 1.5 times as long.
    pub agents: Vec<(StaffId, f64)>,
}

/// An organization (facility or agency) as the generator sees it.
#[derive(Debug, Clone)]
pub struct OrgInfo {
    /// `organizations.id`.
    pub id: i64,
    /// Name (used in subjects).
    pub name: String,
    /// Relative ticket volume.
    pub weight: f64,
    /// Sites: `(sites.id, name)`.
    pub sites: Vec<(i64, String)>,
    /// Facility staff who report problems (`customers.id`).
    pub staff: Vec<i64>,
}

/// Everything the ticket generator needs from the stored company.
#[derive(Debug, Clone)]
pub struct World {
    /// Run seed.
    pub seed: u64,
    /// Window start (first possible arrival), UTC.
    pub start: DateTime<Utc>,
    /// Window end: no event happens at or after it (tickets still open stay open), UTC.
    pub end: DateTime<Utc>,
    /// In-house team.
    pub in_house: TeamInfo,
    /// Outsourced team.
    pub outsourced: TeamInfo,
    /// Calendar of the field-service team (technician visits).
    pub field_calendar: BusinessCalendar,
    /// Technicians: `(users.id, contractor?)`.
    pub technicians: Vec<(StaffId, bool)>,
    /// Organizations with their sites and staff.
    pub organizations: Vec<OrgInfo>,
    /// Friends and family who fund accounts (`customers.id`, no organization).
    pub payers: Vec<i64>,
}

/// One planned arrival.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Creation instant.
    pub at: DateTime<Utc>,
    /// Index of the outage (into the run's outages) that caused it, if any.
    pub outage: Option<usize>,
}

/// An outage at one organization.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    /// Start.
    pub at: DateTime<Utc>,
    /// Index into [`World::organizations`].
    pub organization: usize,
}

/// A technician visit (the future work order).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldVisit {
    /// Technician (`users.id`).
    pub technician: StaffId,
    /// Technician is a contractor.
    pub contractor: bool,
    /// Arrival on site.
    pub at: DateTime<Utc>,
    /// The fault was fixed on this visit.
    pub fixed: bool,
}

/// A generated ticket.
#[derive(Debug, Clone)]
pub struct GeneratedTicket {
    /// Descriptive fields.
    pub fields: TicketFields,
    /// Staff member who created it (`None`: the requester, by email, web or chat).
    pub created_by: Option<StaffId>,
    /// State after the last event.
    pub state: TicketState,
    /// Event log (state-machine events only; SLA events are added when stored).
    pub events: Vec<TicketEvent>,
    /// One body per `comment_added` event.
    pub bodies: Vec<String>,
    /// For a follow-up: the index (in the run's ticket list) of the closed ticket it follows. Its
    /// `linked` event carries that index until the writer replaces it with the ticket's id.
    pub follow_up_of: Option<usize>,
    /// Technician visits.
    pub visits: Vec<FieldVisit>,
    /// When the requester writes again after the close (creates a follow-up), if within the window.
    pub follow_up_at: Option<DateTime<Utc>>,
}

/// A generator for ticket `index` of run `seed`.
pub fn ticket_rng(seed: u64, index: u64) -> ChaCha8Rng {
    // SplitMix64 of (seed, index): neighbouring indices get unrelated streams.
    let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

/// A log-normal draw with the given median (seconds) and σ, at least 1 s.
fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> i64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    ((median * (sigma * z).exp()).round() as i64).clamp(1, 60 * 86_400)
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.random_range(0..items.len()))
    }
}

fn weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// Relative arrival intensity at `t` (local time of the contact center's zone), at most 1.
fn intensity(calendar: &BusinessCalendar, t: DateTime<Utc>) -> f64 {
    let local = t.with_timezone(&calendar.zone());
    let hour = match local.hour() {
        0..=5 => 0.04,
        6 => 0.15,
        7 => 0.45,
        8..=11 => 1.0,
        12..=13 => 0.8,
        14..=16 => 0.9,
        17..=18 => 0.55,
        19..=21 => 0.3,
        _ => 0.1,
    };
    let day = match local.weekday() {
        Weekday::Mon => 1.0,
        Weekday::Tue | Weekday::Wed | Weekday::Thu => 0.9,
        Weekday::Fri => 0.8,
        Weekday::Sat => 0.35,
        Weekday::Sun => 0.3,
    };
    let season = match local.month() {
        12 | 1 => 1.0,
        6..=8 => 0.75,
        _ => 0.85,
    };
    hour * day * season
}

/// The outages of a run: one per 10,000 tickets, at least 4, at most 40.
pub fn outages(world: &World, tickets: usize, rng: &mut ChaCha8Rng) -> Vec<Outage> {
    let count = (tickets / 10_000).clamp(4, 40);
    let span = (world.end - world.start).num_seconds().max(1);
    let weights: Vec<f64> = world.organizations.iter().map(|o| o.weight).collect();
    let mut list: Vec<Outage> = (0..count)
        .map(|_| Outage {
            at: world.start + Duration::seconds(rng.random_range(0..span)),
            organization: weighted(rng, &weights),
        })
        .collect();
    list.sort_by_key(|o| o.at);
    list
}

/// `n` arrivals over the window, sorted by instant (ties keep draw order): 90 % by rejection
/// sampling of the weekday × hour × season intensity (`intensity`), 10 % in outage bursts
/// (exponential, mean 5 h after the start).
pub fn arrivals(world: &World, n: usize, outages: &[Outage], rng: &mut ChaCha8Rng) -> Vec<Arrival> {
    let span = (world.end - world.start).num_seconds().max(1);
    let mut list = Vec::with_capacity(n);
    for _ in 0..n {
        if !outages.is_empty() && rng.random::<f64>() < 0.10 {
            let o = rng.random_range(0..outages.len());
            let u: f64 = rng.random_range(f64::EPSILON..1.0);
            let after = (-u.ln() * 5.0 * 3600.0) as i64;
            let at = outages[o].at + Duration::seconds(after.min(3 * 86_400));
            if at < world.end {
                list.push(Arrival {
                    at,
                    outage: Some(o),
                });
                continue;
            }
        }
        loop {
            let at = world.start + Duration::seconds(rng.random_range(0..span));
            if rng.random::<f64>() < intensity(&world.in_house.calendar, at) {
                list.push(Arrival { at, outage: None });
                break;
            }
        }
    }
    list.sort_by_key(|a| a.at);
    list
}

/// A ticket being played through the state machine up to the window's end.
struct Play {
    state: TicketState,
    events: Vec<TicketEvent>,
    bodies: Vec<String>,
    end: DateTime<Utc>,
    /// An instant at or after the window's end was reached: nothing more happens.
    stopped: bool,
}

impl Play {
    /// Applies `command` at `at` (moved forward to the latest event if earlier); returns false,
    /// and stops the play, when `at` is at or after the window's end.
    fn run(
        &mut self,
        at: DateTime<Utc>,
        command: Command,
        actor: Option<StaffId>,
        body: Option<String>,
    ) -> anyhow::Result<bool> {
        let at = at.max(self.state.updated_at);
        if self.stopped || at >= self.end {
            self.stopped = true;
            return Ok(false);
        }
        let events = self.state.apply(&command, at, actor).map_err(|e| {
            anyhow::anyhow!("generator produced a refused command {command:?}: {e}")
        })?;
        self.events.extend(events);
        if let Some(body) = body {
            self.bodies.push(body);
        }
        Ok(true)
    }

    /// [`Play::run`] of a comment (`public` or an internal note) with its body.
    fn comment(
        &mut self,
        at: DateTime<Utc>,
        author: AuthorKind,
        public: bool,
        actor: Option<StaffId>,
        body: String,
    ) -> anyhow::Result<bool> {
        self.run(at, Command::Comment { author, public }, actor, Some(body))
    }

    fn now(&self) -> DateTime<Utc> {
        self.state.updated_at
    }
}

/// Cohort parameters of a team (see the module documentation).
struct Cohort {
    first_reply_median: f64,
    phone_fcr: f64,
    reopen: f64,
    rounds_mean: f64,
    work_median: f64,
}

fn cohort(outsourced: bool) -> Cohort {
    if outsourced {
        Cohort {
            first_reply_median: 75.0 * 60.0,
            phone_fcr: 0.35,
            reopen: 0.14,
            rounds_mean: 1.2,
            work_median: 5.0 * 3600.0,
        }
    } else {
        Cohort {
            first_reply_median: 20.0 * 60.0,
            phone_fcr: 0.55,
            reopen: 0.05,
            rounds_mean: 0.6,
            work_median: 2.0 * 3600.0,
        }
    }
}

fn is_open(calendar: &BusinessCalendar, t: DateTime<Utc>) -> bool {
    calendar.business_seconds(t, t + Duration::seconds(1)) == 1
}

/// `business` seconds of `calendar` after `t` (the next opening when closed).
fn after(calendar: &BusinessCalendar, t: DateTime<Utc>, business: i64) -> DateTime<Utc> {
    calendar
        .due(t, business.max(1))
        .unwrap_or(t + Duration::seconds(business))
}

fn subject(category: &str, org: &str, site: Option<&str>, rng: &mut ChaCha8Rng) -> String {
    let options: &[&str] = match category {
        "billing" => &[
            "Charged twice for a call",
            "Refund request for a dropped call",
            "Question about a statement",
        ],
        "call_quality" => &[
            "Calls drop after a minute",
            "Echo and static on inmate calls",
            "Callers cannot hear the inmate",
        ],
        "account_funding" => &[
            "Deposit not showing on the account",
            "Card declined when adding funds",
            "Funds sent to the wrong account",
        ],
        "kiosk_phone_equipment" => &[
            "Kiosk screen frozen",
            "Phone handset broken",
            "Kiosk card reader not working",
        ],
        "video_visits" => &[
            "Video visit disconnected",
            "Cannot schedule a video visit",
            "No picture during video visit",
        ],
        _ => &[
            "Complaint about an agent",
            "Complaint about waiting time",
            "Unhappy with the service",
        ],
    };
    let base = pick(rng, options).copied().unwrap_or("Request");
    match site {
        Some(site) => format!("{base} — {org}, {site}"),
        None => format!("{base} — {org}"),
    }
}

/// Generates ticket `index` (a primary ticket, not a follow-up) arriving as `arrival`.
///
/// # Errors
/// Only when the generator itself is wrong (a command the state machine refuses).
pub fn generate(
    world: &World,
    outages: &[Outage],
    index: u64,
    arrival: Arrival,
) -> anyhow::Result<GeneratedTicket> {
    let mut rng = ticket_rng(world.seed, index);
    let rng = &mut rng;
    let t0 = arrival.at;

    // Who, what, where.
    let outage = arrival.outage.and_then(|o| outages.get(o));
    let org_index = match outage {
        Some(o) => o.organization,
        None => {
            let weights: Vec<f64> = world.organizations.iter().map(|o| o.weight).collect();
            weighted(rng, &weights)
        }
    };
    let org = world
        .organizations
        .get(org_index)
        .ok_or_else(|| anyhow::anyhow!("the seeded company has no organization"))?;
    let category = match outage {
        Some(_) => {
            if rng.random::<f64>() < 0.7 {
                "call_quality"
            } else {
                "video_visits"
            }
        }
        None => CATEGORIES[weighted(rng, &[0.18, 0.20, 0.22, 0.15, 0.15, 0.10])],
    };
    let facility_issue = matches!(category, "call_quality" | "kiosk_phone_equipment");
    let requester = if facility_issue && !org.staff.is_empty() && rng.random::<f64>() < 0.7 {
        pick(rng, &org.staff).copied()
    } else {
        pick(rng, &world.payers).copied()
    };
    let site = if facility_issue {
        pick(rng, &org.sites).cloned()
    } else {
        None
    };
    let channel = match weighted(rng, &[0.45, 0.25, 0.22, 0.08]) {
        0 => TicketChannel::Phone,
        1 => TicketChannel::Email,
        2 => TicketChannel::Web,
        _ => TicketChannel::Chat,
    };
    let priority = if outage.is_some() {
        if rng.random::<f64>() < 0.3 {
            TicketPriority::Urgent
        } else {
            TicketPriority::High
        }
    } else {
        let w: [f64; 4] = match category {
            "kiosk_phone_equipment" => [0.12, 0.50, 0.30, 0.08],
            "complaint" => [0.10, 0.60, 0.27, 0.03],
            _ => [0.22, 0.64, 0.12, 0.02],
        };
        [
            TicketPriority::Low,
            TicketPriority::Normal,
            TicketPriority::High,
            TicketPriority::Urgent,
        ][weighted(rng, &w)]
    };
    // Routing: calls outside in-house hours overflow to the vendor; otherwise a fixed split.
    let team = if channel == TicketChannel::Phone {
        if !is_open(&world.in_house.calendar, t0) || rng.random::<f64>() < 0.4 {
            &world.outsourced
        } else {
            &world.in_house
        }
    } else if rng.random::<f64>() < 0.5 {
        &world.outsourced
    } else {
        &world.in_house
    };
    let (agent, speed) = pick(rng, &team.agents)
        .copied()
        .ok_or_else(|| anyhow::anyhow!("the seeded team {} has no agent", team.id))?;
    let c = cohort(team.outsourced);
    let cal = &team.calendar;

    let subject = subject(
        category,
        &org.name,
        site.as_ref().map(|(_, n)| n.as_str()),
        rng,
    );
    let mut tags = Vec::new();
    if outage.is_some() {
        tags.push("outage".to_string());
    }

    // Creation.
    let phone = channel == TicketChannel::Phone;
    let created_by = phone.then_some(agent);
    let (state, created) = TicketState::create(&Creation {
        at: t0,
        created_by,
        with_public_agent_comment: phone,
    });
    let description = if phone {
        format!("Caller reports: {}. Logged during the call.", subject)
    } else {
        format!("{subject}. Please help.")
    };
    let mut play = Play {
        state,
        events: vec![created],
        bodies: Vec::new(),
        end: world.end,
        stopped: false,
    };
    let mut visits = Vec::new();
    if phone {
        play.comment(
            t0,
            AuthorKind::Agent,
            true,
            Some(agent),
            description.clone(),
        )?;
        if priority != TicketPriority::Normal {
            play.run(t0, Command::SetPriority(Some(priority)), Some(agent), None)?;
        }
        play.run(t0, Command::Assign { assignee: agent }, Some(agent), None)?;
        let handled = t0 + Duration::seconds(lognormal(rng, 420.0, 0.5));
        if category != "kiosk_phone_equipment" && rng.random::<f64>() < c.phone_fcr {
            play.run(
                handled,
                Command::SetStatus(TicketStatus::Solved),
                Some(agent),
                None,
            )?;
        } else {
            // Not solved on the call: the agent writes back once the case is looked into (the
            // reply that stops `frt.v1` for a phone ticket).
            let update = after(
                cal,
                handled,
                lognormal(rng, c.first_reply_median * speed, 0.8),
            );
            play.comment(
                update,
                AuthorKind::Agent,
                true,
                Some(agent),
                "Following up on your call: we have opened a case.".into(),
            )?;
        }
    } else {
        play.comment(t0, AuthorKind::Customer, true, None, description.clone())?;
        let delay = if channel == TicketChannel::Chat {
            lognormal(rng, 90.0 * speed, 0.6)
        } else {
            lognormal(rng, c.first_reply_median * speed, 0.8)
        };
        let t1 = after(cal, t0, delay);
        if priority != TicketPriority::Normal {
            play.run(t1, Command::SetPriority(Some(priority)), Some(agent), None)?;
        }
        play.run(t1, Command::Assign { assignee: agent }, Some(agent), None)?;
        play.comment(
            t1,
            AuthorKind::Agent,
            true,
            Some(agent),
            "Thank you for contacting us. We are looking into it.".into(),
        )?;
    }

    if play.state.status != TicketStatus::Solved {
        work(
            world,
            rng,
            &mut play,
            &c,
            cal,
            agent,
            speed,
            category,
            &mut visits,
        )?;
    }
    match visits.last() {
        Some(v) if v.contractor => tags.push("visit:contractor".into()),
        Some(_) => tags.push("visit:employee".into()),
        None => {}
    }

    // Reopens (up to two) and the auto-close.
    let mut reopen_chance = c.reopen
        + if visits.iter().any(|v| !v.fixed) {
            0.1
        } else {
            0.0
        };
    for _ in 0..2 {
        if play.stopped || play.state.status != TicketStatus::Solved {
            break;
        }
        if rng.random::<f64>() >= reopen_chance {
            break;
        }
        reopen_chance /= 2.0;
        let back =
            play.now() + Duration::seconds(lognormal(rng, 18.0 * 3600.0, 0.9).min(90 * 3600));
        play.comment(
            back,
            AuthorKind::Customer,
            true,
            None,
            "The problem is back.".into(),
        )?;
        let reply = after(
            cal,
            play.now(),
            lognormal(rng, c.first_reply_median * speed, 0.8),
        );
        play.comment(
            reply,
            AuthorKind::Agent,
            true,
            Some(agent),
            "Sorry to hear that, we are on it again.".into(),
        )?;
        let solve = after(cal, play.now(), lognormal(rng, c.work_median * speed, 0.9));
        play.comment(
            solve,
            AuthorKind::Agent,
            true,
            Some(agent),
            "This should now be fixed for good.".into(),
        )?;
        play.run(
            solve,
            Command::SetStatus(TicketStatus::Solved),
            Some(agent),
            None,
        )?;
    }
    let mut follow_up_at = None;
    if play.state.status == TicketStatus::Solved
        && let Some(solved) = play.state.solved_at
    {
        let close = solved + Duration::seconds(AUTO_CLOSE_SECONDS);
        play.run(
            close,
            Command::Close(ClosePolicy::RequireSolved),
            None,
            None,
        )?;
        if play.state.status == TicketStatus::Closed && rng.random::<f64>() < 0.02 {
            let at = close + Duration::seconds(lognormal(rng, 5.0 * 86_400.0, 0.8));
            follow_up_at = (at < world.end).then_some(at);
        }
    }

    Ok(GeneratedTicket {
        fields: TicketFields {
            subject,
            description,
            channel: Some(channel),
            category: Some(category.to_string()),
            tags,
            requester_id: requester,
            organization_id: Some(org.id),
            site_id: site.map(|(id, _)| id),
            team_id: Some(team.id),
        },
        created_by,
        state: play.state,
        events: play.events,
        bodies: play.bodies,
        follow_up_of: None,
        visits,
        follow_up_at,
    })
}

/// The work between the first reply and the solve: back-and-forth with the requester (pending),
/// third-party holds, internal notes, field visits.
#[allow(clippy::too_many_arguments)]
fn work(
    world: &World,
    rng: &mut ChaCha8Rng,
    play: &mut Play,
    c: &Cohort,
    cal: &BusinessCalendar,
    agent: StaffId,
    speed: f64,
    category: &str,
    visits: &mut Vec<FieldVisit>,
) -> anyhow::Result<()> {
    if rng.random::<f64>() < 0.3 {
        let at = play.now() + Duration::seconds(lognormal(rng, 600.0, 0.5));
        play.comment(
            at,
            AuthorKind::Agent,
            false,
            Some(agent),
            "Internal note: checked the account history.".into(),
        )?;
    }
    // Rounds: geometric with the cohort's mean.
    let p_more = c.rounds_mean / (1.0 + c.rounds_mean);
    while !play.stopped && rng.random::<f64>() < p_more {
        if rng.random::<f64>() < 0.75 {
            let ask = after(cal, play.now(), lognormal(rng, 1800.0 * speed, 0.7));
            play.comment(
                ask,
                AuthorKind::Agent,
                true,
                Some(agent),
                "Could you send us more details?".into(),
            )?;
            play.run(
                ask,
                Command::SetStatus(TicketStatus::Pending),
                Some(agent),
                None,
            )?;
            let answer = play.now() + Duration::seconds(lognormal(rng, 8.0 * 3600.0, 1.0));
            play.comment(
                answer,
                AuthorKind::Customer,
                true,
                None,
                "Here are the details you asked for.".into(),
            )?;
            let reply = after(
                cal,
                play.now(),
                lognormal(rng, c.first_reply_median * speed, 0.8),
            );
            play.comment(
                reply,
                AuthorKind::Agent,
                true,
                Some(agent),
                "Thanks, that helps.".into(),
            )?;
        } else {
            let reason = if rng.random::<f64>() < 0.6 {
                "third_party"
            } else {
                "facility_access"
            };
            play.run(
                play.now(),
                Command::Hold {
                    reason: reason.into(),
                },
                Some(agent),
                None,
            )?;
            let back = after(cal, play.now(), lognormal(rng, 6.0 * 3600.0, 0.9));
            play.run(
                back,
                Command::SetStatus(TicketStatus::Open),
                Some(agent),
                None,
            )?;
        }
    }
    if category == "kiosk_phone_equipment" && !world.technicians.is_empty() {
        let mut fixed = false;
        let mut attempt = 0;
        while !fixed && attempt < 3 && !play.stopped {
            attempt += 1;
            let reason = if attempt == 1 {
                "awaiting_field_visit"
            } else {
                "awaiting_parts"
            };
            play.run(
                play.now(),
                Command::Hold {
                    reason: reason.into(),
                },
                Some(agent),
                None,
            )?;
            let Some(&(technician, contractor)) = pick(rng, &world.technicians) else {
                break;
            };
            let lead = if contractor { 12.0 } else { 6.0 } * 3600.0;
            let at = after(&world.field_calendar, play.now(), lognormal(rng, lead, 0.8));
            fixed = rng.random::<f64>() < if contractor { 0.66 } else { 0.88 } || attempt == 3;
            if at < world.end {
                visits.push(FieldVisit {
                    technician,
                    contractor,
                    at,
                    fixed,
                });
            }
            let report = at + Duration::seconds(lognormal(rng, 5400.0, 0.5));
            play.comment(
                report,
                AuthorKind::Agent,
                false,
                Some(agent),
                if fixed {
                    "Technician visit: fixed on site.".into()
                } else {
                    "Technician visit: part needed, second visit required.".into()
                },
            )?;
        }
        play.run(
            play.now(),
            Command::SetStatus(TicketStatus::Open),
            Some(agent),
            None,
        )?;
    }
    let solve = after(cal, play.now(), lognormal(rng, c.work_median * speed, 0.9));
    play.comment(
        solve,
        AuthorKind::Agent,
        true,
        Some(agent),
        "We have resolved the issue. Let us know if anything remains.".into(),
    )?;
    play.run(
        solve,
        Command::SetStatus(TicketStatus::Solved),
        Some(agent),
        None,
    )?;
    Ok(())
}

/// Generates the follow-up of `original` (at run index `original_index`), created when its
/// requester wrote after the close (`original.follow_up_at`).
///
/// # Errors
/// Only when the generator itself is wrong.
pub fn follow_up(
    world: &World,
    original_index: usize,
    original: &GeneratedTicket,
    at: DateTime<Utc>,
) -> anyhow::Result<GeneratedTicket> {
    let mut rng = ticket_rng(world.seed ^ 0xF011_0700, original_index as u64);
    let rng = &mut rng;
    let team = if original.fields.team_id == Some(world.outsourced.id) {
        &world.outsourced
    } else {
        &world.in_house
    };
    let agent = original.state.assignee;
    let c = cohort(team.outsourced);
    let (state, created) = TicketState::create(&Creation {
        at,
        created_by: None,
        with_public_agent_comment: false,
    });
    let text = "I wrote again because the problem is not solved.".to_string();
    let mut play = Play {
        state,
        events: vec![created],
        bodies: Vec::new(),
        end: world.end,
        stopped: false,
    };
    play.comment(at, AuthorKind::Customer, true, None, text.clone())?;
    play.run(
        at,
        Command::Link {
            kind: "follow_up".into(),
            ticket_id: original_index as i64,
        },
        None,
        None,
    )?;
    if let Some(agent) = agent {
        let reply = after(
            &team.calendar,
            at,
            lognormal(rng, c.first_reply_median, 0.8),
        );
        play.run(
            reply,
            Command::Assign { assignee: agent },
            Some(agent),
            None,
        )?;
        play.comment(
            reply,
            AuthorKind::Agent,
            true,
            Some(agent),
            "We reopened the case as a follow-up.".into(),
        )?;
        let solve = after(
            &team.calendar,
            play.now(),
            lognormal(rng, c.work_median, 0.9),
        );
        play.run(
            solve,
            Command::SetStatus(TicketStatus::Solved),
            Some(agent),
            None,
        )?;
        if let Some(solved) = play.state.solved_at {
            play.run(
                solved + Duration::seconds(AUTO_CLOSE_SECONDS),
                Command::Close(ClosePolicy::RequireSolved),
                None,
                None,
            )?;
        }
    }
    let mut fields = original.fields.clone();
    fields.subject = format!("Follow-up: {}", original.fields.subject);
    fields.description = text;
    Ok(GeneratedTicket {
        fields,
        created_by: None,
        state: play.state,
        events: play.events,
        bodies: play.bodies,
        follow_up_of: Some(original_index),
        visits: Vec::new(),
        follow_up_at: None,
    })
}
