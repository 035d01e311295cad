//! The demo company's tickets, the run's side: what the generator is given ([`World`]: teams,
//! organizations, technicians, the window), when tickets arrive ([`outages`], [`arrivals`]), what
//! it gives back ([`GeneratedTicket`]) and the draws every step shares ([`ticket_rng`], log-normal,
//! uniform and weighted picks). One ticket's life, from its intake to the auto-close and a
//! follow-up, is generated in `lifecycle.rs` ([`super::lifecycle::generate`]), with the cohort
//! differences built in on purpose documented in `intake.rs`.
//!
//! Everything here is pure and deterministic: arrivals come from one generator seeded with the
//! run's seed; each ticket's lifecycle from its own generator seeded with (seed, ticket index), so
//! tickets can be generated in any order or in parallel with the same result.
//!
//! Arrivals: weekday and hour-of-day seasonality in the contact center's zone, a busier December
//! and January, and outage bursts (10 % of tickets): call-quality and video-visit complaints from
//! one facility within hours of an outage's start.

use super::field::FieldWork;
use crate::domain::calendar::BusinessCalendar;
use crate::domain::ticket::{StaffId, TicketEvent, TicketState};
use crate::domain::work_order::AssetKind;
use crate::models::ticket::TicketFields;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

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
    /// The field-service team (`teams.id`) the technicians belong to.
    pub field_team: i64,
    /// Technicians with their skills and time off.
    pub technicians: Vec<Technician>,
    /// Assets by site (`sites.id`), in id order.
    pub site_assets: BTreeMap<i64, Vec<AssetInfo>>,
    /// Organizations with their sites and staff.
    pub organizations: Vec<OrgInfo>,
    /// Friends and family who fund accounts (`customers.id`, no organization).
    pub payers: Vec<i64>,
    /// Agents trained in the course with a built-in effect: the instant the training takes
    /// effect (the start of the day after completion), from which their replies come faster and
    /// their solves reopen less (`training.rs`).
    pub training: BTreeMap<StaffId, DateTime<Utc>>,
    /// The staff's teams and the teams' sourcing over time, as written (attribution).
    pub directory: crate::tickets::attribution::Directory,
}

impl World {
    /// Whether `agent`'s training has taken effect at `at`.
    pub fn trained(&self, agent: StaffId, at: DateTime<Utc>) -> bool {
        self.training.get(&agent).is_some_and(|from| at >= *from)
    }
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

/// A field technician as the generator sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Technician {
    /// `users.id`.
    pub id: StaffId,
    /// A contractor (otherwise an employee).
    pub contractor: bool,
    /// Skills (`users.skills`).
    pub skills: Vec<String>,
    /// Recorded time off, `[start, end)`, earliest first.
    pub time_off: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// An asset at a site as the generator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetInfo {
    /// `assets.id`.
    pub id: i64,
    /// Kind.
    pub kind: AssetKind,
    /// Tag (unique in its organization).
    pub tag: String,
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
    /// Work orders and the use-case calls that play them (tickets with a field visit).
    pub field: Option<FieldWork>,
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
pub(super) fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> i64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    ((median * (sigma * z).exp()).round() as i64).clamp(1, 60 * 86_400)
}

/// A uniform pick from `items` (`None` when empty).
pub(super) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.random_range(0..items.len()))
    }
}

/// An index into `weights`, drawn with probability proportional to its weight.
pub(super) fn weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
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
