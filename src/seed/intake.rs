//! What a demo ticket is when it arrives: the organization, category, requester, site, channel
//! and priority ([`Intake`]), the team and agent it is routed to with that team's cohort
//! ([`Handler`]), and its subject. These are the first draws of a ticket's generator, in this
//! order; `lifecycle.rs` plays the ticket from there.
//!
//! # Cohorts (what a comparison should find)
//! The two contact-center teams differ on purpose; the figures below are the generator's
//! parameters ([`Cohort`]), and `tests/api/seed.rs` checks that the metrics API finds the
//! differences:
//!
//! | parameter | in-house team | outsourced team |
//! |---|---|---|
//! | first reply, business time, median (log-normal, σ 0.8) | 20 min | 75 min |
//! | phone calls resolved during the call (FCR) | 55 % | 35 % |
//! | reopen after a solve | 5 % | 14 % |
//! | extra back-and-forth rounds, mean | 0.6 | 1.2 |
//! | work before the solve, business time, median | 2 h | 5 h |
//!
//! An agent trained in the course with a built-in effect (`training.rs`) replies in half the time
//! and has 40 % of the reopen chance on the tickets that arrive after their training took effect.

use super::tickets::{CATEGORIES, OrgInfo, Outage, TeamInfo, World, lognormal, pick, weighted};
use super::training::{TRAINED_REOPEN_FACTOR, TRAINED_REPLY_FACTOR};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::ticket::{StaffId, TicketPriority};
use crate::models::enums::TicketChannel;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Who a ticket is about and how it came in.
pub(super) struct Intake<'w> {
    /// The organization (the outage's, if the ticket is part of a burst).
    pub(super) org: &'w OrgInfo,
    /// One of [`CATEGORIES`].
    pub(super) category: &'static str,
    /// `customers.id`: facility staff or a paying friend or relative.
    pub(super) requester: Option<i64>,
    /// `(sites.id, name)`, for facility issues.
    pub(super) site: Option<(i64, String)>,
    /// How it came in.
    pub(super) channel: TicketChannel,
    /// Priority (`Normal` is the default and is not set explicitly).
    pub(super) priority: TicketPriority,
}

impl<'w> Intake<'w> {
    /// Draws the intake of a ticket arriving in `outage` (or in no outage): organization,
    /// category, requester, site, channel, priority, in this order.
    ///
    /// # Errors
    /// When the company has no organization.
    pub(super) fn draw(
        world: &'w World,
        outage: Option<&Outage>,
        rng: &mut ChaCha8Rng,
    ) -> anyhow::Result<Intake<'w>> {
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
        let priority = priority(outage.is_some(), category, rng);
        Ok(Intake {
            org,
            category,
            requester,
            site,
            channel,
            priority,
        })
    }
}

/// A ticket's priority: high or urgent in an outage burst, otherwise by category.
fn priority(outage: bool, category: &str, rng: &mut ChaCha8Rng) -> TicketPriority {
    if outage {
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
    }
}

/// Cohort parameters of a team (see the module documentation); durations in seconds.
pub(super) struct Cohort {
    /// Median business time to an agent's reply.
    pub(super) first_reply_median: f64,
    /// Share of phone calls solved during the call.
    pub(super) phone_fcr: f64,
    /// Chance of a reopen after a solve (halved after each reopen).
    pub(super) reopen: f64,
    /// Mean number of extra back-and-forth rounds.
    pub(super) rounds_mean: f64,
    /// Median business time of work before a solve.
    pub(super) work_median: f64,
}

impl Cohort {
    /// The cohort of the outsourced or the in-house team.
    fn of(outsourced: bool) -> Cohort {
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
}

/// The agent who handles a ticket, with their team (calendar) and its cohort.
pub(super) struct Handler<'w> {
    /// The team the ticket is routed to.
    pub(super) team: &'w TeamInfo,
    /// The assigned agent (`users.id`).
    pub(super) agent: StaffId,
    /// The agent's speed factor: 1.5 takes 1.5 times as long as the cohort's median.
    pub(super) speed: f64,
    /// The team's cohort parameters.
    pub(super) cohort: Cohort,
    /// The agent's training in the course with a built-in effect had taken effect when the
    /// ticket arrived (`training.rs`): replies faster, fewer reopens.
    pub(super) trained: bool,
}

impl<'w> Handler<'w> {
    /// `agent` of `team` at `speed`, with the team's cohort, `trained` or not.
    pub(super) fn new(
        team: &'w TeamInfo,
        agent: StaffId,
        speed: f64,
        trained: bool,
    ) -> Handler<'w> {
        Handler {
            team,
            agent,
            speed,
            cohort: Cohort::of(team.outsourced),
            trained,
        }
    }

    /// The factor of the agent's reply times: [`TRAINED_REPLY_FACTOR`] once trained, else 1.
    pub(super) fn reply_factor(&self) -> f64 {
        if self.trained {
            TRAINED_REPLY_FACTOR
        } else {
            1.0
        }
    }

    /// The chance of a reopen after the agent's solve: the cohort's, times
    /// [`TRAINED_REOPEN_FACTOR`] once trained.
    pub(super) fn reopen_chance(&self) -> f64 {
        self.cohort.reopen
            * if self.trained {
                TRAINED_REOPEN_FACTOR
            } else {
                1.0
            }
    }

    /// Routes a ticket arriving at `t0` by `channel` and draws its agent: calls outside in-house
    /// hours overflow to the vendor, other calls go there 40 % of the time, written contacts 50 %.
    ///
    /// # Errors
    /// When the chosen team has no agent.
    pub(super) fn route(
        world: &'w World,
        channel: TicketChannel,
        t0: DateTime<Utc>,
        rng: &mut ChaCha8Rng,
    ) -> anyhow::Result<Handler<'w>> {
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
        Ok(Handler::new(team, agent, speed, world.trained(agent, t0)))
    }

    /// Draws the business time (seconds) to the agent's next reply: the cohort's first-reply
    /// median at the agent's speed (and [`Handler::reply_factor`]), σ 0.8.
    pub(super) fn reply(&self, rng: &mut ChaCha8Rng) -> i64 {
        lognormal(
            rng,
            self.cohort.first_reply_median * self.speed * self.reply_factor(),
            0.8,
        )
    }

    /// Draws the business time (seconds) of the work before a solve: the cohort's median at the
    /// agent's speed, σ 0.9.
    pub(super) fn work(&self, rng: &mut ChaCha8Rng) -> i64 {
        lognormal(rng, self.cohort.work_median * self.speed, 0.9)
    }

    /// `business` seconds of the team's calendar after `t`.
    pub(super) fn after(&self, t: DateTime<Utc>, business: i64) -> DateTime<Utc> {
        after(&self.team.calendar, t, business)
    }
}

/// Whether `calendar` is open at `t`.
fn is_open(calendar: &BusinessCalendar, t: DateTime<Utc>) -> bool {
    calendar.business_seconds(t, t + Duration::seconds(1)) == 1
}

/// `business` seconds of `calendar` after `t` (the next opening when closed).
pub(super) fn after(calendar: &BusinessCalendar, t: DateTime<Utc>, business: i64) -> DateTime<Utc> {
    calendar
        .due(t, business.max(1))
        .unwrap_or(t + Duration::seconds(business))
}

/// A subject for a ticket of `category` from `org` (and `site`), one of three per category.
pub(super) fn subject(
    category: &str,
    org: &str,
    site: Option<&str>,
    rng: &mut ChaCha8Rng,
) -> String {
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
