//! One demo ticket's life, step by step: the arrival's intake (who, what, where, routed to whom,
//! see `intake.rs`), the first contact, the agent's work (back-and-forth rounds, holds, field
//! visits), the solve, reopens, the auto-close and, now and then, the requester writing again (a
//! follow-up ticket). Every step is played through the ticket state machine
//! ([`TicketState::apply`]) so that every log is one the API could have written.
//!
//! Each ticket draws from its own generator ([`ticket_rng`]); the steps draw in a fixed order, so
//! the same seed gives the same ticket. Keep that order when changing a step: the seed's digests
//! (`tests/api/seed.rs`) pin it.
//!
//! The cohort parameters of the two teams are in `intake.rs`.
//!
//! Field visits (category `kiosk_phone_equipment`): the ticket names an asset at its site and
//! the agent creates a work order for it (the ticket goes on hold, `awaiting_field_visit`), then
//! dispatches it to a technician with the skill, on the field-service calendar, with an arrival
//! window of 2–3 h (employees, lead time ~6 business hours) or 3–4 h (contractors, ~12 h) that
//! avoids the technician's time off. The technician travels 20–90 min, arrives inside the window
//! 92 % (employees) or 75 % (contractors) of the time, works 20–120 min and fixes the fault on
//! the visit 88 % (employees) or 66 % (contractors) of the time (the third visit always does);
//! otherwise the visit ends `cannot_complete` (parts needed most often, no access, nobody there)
//! with a follow-up work order. 3 % of first visits are cancelled before the technician sets
//! off. The work orders and the use-case calls are kept in [`FieldWork`] (see `field.rs`); the
//! ticket follows them as the use cases move it (solved by a fixing visit, open otherwise).
//! A visit that would not end before the window's end is not dispatched: its work order stays
//! `scheduled` and the ticket on hold.

mod visits;

use super::field::{
    CannotCompleteNote, FieldCall, FieldStep, FieldWork, WorkOrders, cannot_complete_note,
    skill_for,
};
use super::intake::{Handler, Intake, after, subject};
use super::tickets::{
    AUTO_CLOSE_SECONDS, Arrival, AssetInfo, GeneratedTicket, Outage, Technician, World, lognormal,
    pick, ticket_rng, weighted,
};
use crate::domain::ids::{AssetId, SiteId, UserId};
use crate::domain::ticket::EventKind;
use crate::domain::ticket::{
    AuthorKind, ClosePolicy, Command, Creation, StaffId, TicketEvent, TicketPriority, TicketState,
    TicketStatus,
};
use crate::domain::work_order::{AssetKind, CannotCompleteReason, WorkOrderStatus};
use crate::models::enums::TicketChannel;
use crate::models::ticket::TicketFields;
use crate::models::work_order_bulk::BulkWorkOrder;
use crate::tickets::work_order::{
    AWAITING_FIELD_VISIT, Completion, Dispatch, FollowUp, Part, Transition, WorkOrderDraft,
};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

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
    /// A ticket just created as `creation` says, played up to `end` (exclusive).
    fn create(creation: &Creation, end: DateTime<Utc>) -> Play {
        let (state, created) = TicketState::create(creation);
        Play {
            state,
            events: vec![created],
            bodies: Vec::new(),
            end,
            stopped: false,
        }
    }

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

    /// [`Play::run`] of a status change by `actor`.
    fn set_status(
        &mut self,
        at: DateTime<Utc>,
        status: TicketStatus,
        actor: StaffId,
    ) -> anyhow::Result<bool> {
        self.run(at, Command::SetStatus(status), Some(actor), None)
    }

    /// [`Play::run`] of a hold with `reason` by `actor`, now.
    fn hold(&mut self, reason: &str, actor: StaffId) -> anyhow::Result<bool> {
        let command = Command::Hold {
            reason: reason.into(),
        };
        self.run(self.now(), command, Some(actor), None)
    }

    /// The instant of the latest event.
    fn now(&self) -> DateTime<Utc> {
        self.state.updated_at
    }
}

/// A primary ticket's life being generated: its generator, the play so far, who handles it and
/// its field work.
struct Life<'w> {
    world: &'w World,
    rng: ChaCha8Rng,
    play: Play,
    handler: Handler<'w>,
    field: Option<FieldWork>,
    /// The asset the ticket names.
    asset: Option<i64>,
}

/// Generates ticket `index` (a primary ticket, not a follow-up) arriving as `arrival`: the
/// intake, the first contact, the work up to the solve, reopens and the auto-close, each a step
/// below, in the order in which they draw.
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
    let outage = arrival.outage.and_then(|o| outages.get(o));
    let intake = Intake::draw(world, outage, &mut rng)?;
    let handler = Handler::route(world, intake.channel, arrival.at, &mut rng)?;
    let site = intake.site.as_ref().map(|(_, name)| name.as_str());
    let subject = subject(intake.category, &intake.org.name, site, &mut rng);
    let phone = intake.channel == TicketChannel::Phone;
    let created_by = phone.then_some(handler.agent);
    let description = if phone {
        format!("Caller reports: {}. Logged during the call.", subject)
    } else {
        format!("{subject}. Please help.")
    };
    let creation = Creation {
        at: arrival.at,
        created_by,
        with_public_agent_comment: phone,
    };
    let mut life = Life {
        world,
        rng,
        play: Play::create(&creation, world.end),
        handler,
        field: None,
        asset: None,
    };
    if phone {
        life.phone_call(&intake, arrival.at, description.clone())?;
    } else {
        life.written_contact(&intake, arrival.at, description.clone())?;
    }
    if life.play.state.status != TicketStatus::Solved {
        life.work(&intake, &subject)?;
    }
    life.reopens()?;
    let follow_up_at = life.close()?;
    let tags = if outage.is_some() {
        vec!["outage".to_string()]
    } else {
        Vec::new()
    };
    Ok(GeneratedTicket {
        fields: TicketFields {
            subject,
            description,
            channel: Some(intake.channel),
            category: Some(intake.category.to_string()),
            tags,
            requester_id: intake.requester,
            organization_id: Some(intake.org.id),
            site_id: intake.site.map(|(id, _)| id),
            team_id: Some(life.handler.team.id),
            asset_id: life.asset,
            custom_fields: Default::default(),
        },
        created_by,
        state: life.play.state,
        events: life.play.events,
        bodies: life.play.bodies,
        follow_up_of: None,
        field: life.field,
        follow_up_at,
    })
}

impl Life<'_> {
    /// The first contact by phone, logged by the agent during the call (`description` is the
    /// agent's public comment): solved on the call at the cohort's FCR rate (never an equipment
    /// fault), otherwise the agent writes back once the case is looked into.
    fn phone_call(
        &mut self,
        intake: &Intake,
        t0: DateTime<Utc>,
        description: String,
    ) -> anyhow::Result<()> {
        let agent = self.handler.agent;
        let play = &mut self.play;
        play.comment(t0, AuthorKind::Agent, true, Some(agent), description)?;
        if intake.priority != TicketPriority::Normal {
            let command = Command::SetPriority(Some(intake.priority));
            play.run(t0, command, Some(agent), None)?;
        }
        play.run(t0, Command::Assign { assignee: agent }, Some(agent), None)?;
        let handled = t0 + Duration::seconds(lognormal(&mut self.rng, 420.0, 0.5));
        if intake.category != "kiosk_phone_equipment"
            && self.rng.random::<f64>() < self.handler.cohort.phone_fcr
        {
            play.set_status(handled, TicketStatus::Solved, agent)?;
        } else {
            // Not solved on the call: the agent writes back once the case is looked into (the
            // reply that stops `frt.v1` for a phone ticket).
            let update = self
                .handler
                .after(handled, self.handler.reply(&mut self.rng));
            play.comment(
                update,
                AuthorKind::Agent,
                true,
                Some(agent),
                "Following up on your call: we have opened a case.".into(),
            )?;
        }
        Ok(())
    }

    /// The first contact in writing (email, web or chat; `description` is the requester's
    /// comment): the agent picks the ticket up and replies, within minutes on chat, after the
    /// cohort's first-reply time otherwise.
    fn written_contact(
        &mut self,
        intake: &Intake,
        t0: DateTime<Utc>,
        description: String,
    ) -> anyhow::Result<()> {
        let agent = self.handler.agent;
        let play = &mut self.play;
        play.comment(t0, AuthorKind::Customer, true, None, description)?;
        let delay = if intake.channel == TicketChannel::Chat {
            lognormal(
                &mut self.rng,
                90.0 * self.handler.speed * self.handler.reply_factor(),
                0.6,
            )
        } else {
            self.handler.reply(&mut self.rng)
        };
        let t1 = self.handler.after(t0, delay);
        if intake.priority != TicketPriority::Normal {
            let command = Command::SetPriority(Some(intake.priority));
            play.run(t1, command, Some(agent), None)?;
        }
        play.run(t1, Command::Assign { assignee: agent }, Some(agent), None)?;
        play.comment(
            t1,
            AuthorKind::Agent,
            true,
            Some(agent),
            "Thank you for contacting us. We are looking into it.".into(),
        )?;
        Ok(())
    }

    /// The work between the first reply and the solve: an internal note (30 %), back-and-forth
    /// rounds and holds, field visits for an equipment fault, then the solve (unless a visit
    /// solved it).
    fn work(&mut self, intake: &Intake, subject: &str) -> anyhow::Result<()> {
        if self.rng.random::<f64>() < 0.3 {
            let at = self.play.now() + Duration::seconds(lognormal(&mut self.rng, 600.0, 0.5));
            self.play.comment(
                at,
                AuthorKind::Agent,
                false,
                Some(self.handler.agent),
                "Internal note: checked the account history.".into(),
            )?;
        }
        // Rounds: geometric with the cohort's mean.
        let rounds_mean = self.handler.cohort.rounds_mean;
        let p_more = rounds_mean / (1.0 + rounds_mean);
        while !self.play.stopped && self.rng.random::<f64>() < p_more {
            if self.rng.random::<f64>() < 0.75 {
                self.ask_for_details()?;
            } else {
                self.hold_for_others()?;
            }
        }
        if intake.category == "kiosk_phone_equipment"
            && !self.world.technicians.is_empty()
            && let Some((site, _)) = &intake.site
        {
            self.field_visits(intake.org.id, *site, subject)?;
        }
        if self.play.state.status == TicketStatus::Solved {
            return Ok(());
        }
        self.solve("We have resolved the issue. Let us know if anything remains.")
    }

    /// One back-and-forth round: the agent asks for details (pending), the requester answers
    /// (hours later), the agent replies.
    fn ask_for_details(&mut self) -> anyhow::Result<()> {
        let agent = self.handler.agent;
        let ask_delay = lognormal(&mut self.rng, 1800.0 * self.handler.speed, 0.7);
        let ask = self.handler.after(self.play.now(), ask_delay);
        self.play.comment(
            ask,
            AuthorKind::Agent,
            true,
            Some(agent),
            "Could you send us more details?".into(),
        )?;
        self.play.set_status(ask, TicketStatus::Pending, agent)?;
        let answer =
            self.play.now() + Duration::seconds(lognormal(&mut self.rng, 8.0 * 3600.0, 1.0));
        self.play.comment(
            answer,
            AuthorKind::Customer,
            true,
            None,
            "Here are the details you asked for.".into(),
        )?;
        let reply = self
            .handler
            .after(self.play.now(), self.handler.reply(&mut self.rng));
        self.play.comment(
            reply,
            AuthorKind::Agent,
            true,
            Some(agent),
            "Thanks, that helps.".into(),
        )?;
        Ok(())
    }

    /// A hold while someone else acts (a third party 60 %, facility access 40 %), reopened after
    /// hours of business time.
    fn hold_for_others(&mut self) -> anyhow::Result<()> {
        let agent = self.handler.agent;
        let reason = if self.rng.random::<f64>() < 0.6 {
            "third_party"
        } else {
            "facility_access"
        };
        self.play.hold(reason, agent)?;
        let back_delay = lognormal(&mut self.rng, 6.0 * 3600.0, 0.9);
        let back = self.handler.after(self.play.now(), back_delay);
        self.play.set_status(back, TicketStatus::Open, agent)?;
        Ok(())
    }

    /// The solve after the work's business time: the agent's public `body`, then solved.
    fn solve(&mut self, body: &str) -> anyhow::Result<()> {
        let agent = self.handler.agent;
        let work = self.handler.work(&mut self.rng);
        let solve = self.handler.after(self.play.now(), work);
        self.play
            .comment(solve, AuthorKind::Agent, true, Some(agent), body.into())?;
        self.play.set_status(solve, TicketStatus::Solved, agent)?;
        Ok(())
    }

    /// Up to two reopens of a solved ticket: at the cohort's rate (10 points more after a visit
    /// that did not fix the fault), halved after each.
    fn reopens(&mut self) -> anyhow::Result<()> {
        let mut reopen_chance = self.handler.reopen_chance()
            + if self
                .field
                .as_ref()
                .is_some_and(|f| f.orders.rows.iter().any(|w| w.problem_fixed == Some(false)))
            {
                0.1
            } else {
                0.0
            };
        for _ in 0..2 {
            if self.play.stopped || self.play.state.status != TicketStatus::Solved {
                break;
            }
            if self.rng.random::<f64>() >= reopen_chance {
                break;
            }
            reopen_chance /= 2.0;
            self.reopen()?;
        }
        Ok(())
    }

    /// One reopen: the requester writes that the problem is back (within 90 h), the agent
    /// replies and solves it again.
    fn reopen(&mut self) -> anyhow::Result<()> {
        let agent = self.handler.agent;
        let back = self.play.now()
            + Duration::seconds(lognormal(&mut self.rng, 18.0 * 3600.0, 0.9).min(90 * 3600));
        self.play.comment(
            back,
            AuthorKind::Customer,
            true,
            None,
            "The problem is back.".into(),
        )?;
        let reply = self
            .handler
            .after(self.play.now(), self.handler.reply(&mut self.rng));
        self.play.comment(
            reply,
            AuthorKind::Agent,
            true,
            Some(agent),
            "Sorry to hear that, we are on it again.".into(),
        )?;
        self.solve("This should now be fixed for good.")
    }

    /// The auto-close [`AUTO_CLOSE_SECONDS`] after the solve; then, for 2 % of closed tickets,
    /// when the requester writes again (a follow-up), if before the window's end.
    fn close(&mut self) -> anyhow::Result<Option<DateTime<Utc>>> {
        if self.play.state.status != TicketStatus::Solved {
            return Ok(None);
        }
        let Some(solved) = self.play.state.solved_at else {
            return Ok(None);
        };
        let close = solved + Duration::seconds(AUTO_CLOSE_SECONDS);
        let command = Command::Close(ClosePolicy::RequireSolved);
        self.play.run(close, command, None, None)?;
        if self.play.state.status == TicketStatus::Closed && self.rng.random::<f64>() < 0.02 {
            let at = close + Duration::seconds(lognormal(&mut self.rng, 5.0 * 86_400.0, 0.8));
            return Ok((at < self.world.end).then_some(at));
        }
        Ok(None)
    }
}
/// Generates the follow-up of `original` (at run index `original_index`), created when its
/// requester wrote after the close (`original.follow_up_at`): the requester's comment, the link
/// to the original and, when the original had an assignee, that agent's handling.
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
    let team = if original.fields.team_id == Some(world.outsourced.id) {
        &world.outsourced
    } else {
        &world.in_house
    };
    let creation = Creation {
        at,
        created_by: None,
        with_public_agent_comment: false,
    };
    let text = "I wrote again because the problem is not solved.".to_string();
    let mut play = Play::create(&creation, world.end);
    play.comment(at, AuthorKind::Customer, true, None, text.clone())?;
    let link = Command::Link {
        kind: "follow_up".into(),
        ticket_id: original_index as i64,
    };
    play.run(at, link, None, None)?;
    if let Some(agent) = original.state.assignee {
        // The agent's own speed is not kept with the original: the cohort's medians.
        let handler = Handler::new(team, agent, 1.0, world.trained(agent, at));
        handle_follow_up(&mut play, &mut rng, &handler, at)?;
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
        field: None,
        follow_up_at: None,
    })
}

/// A follow-up's handling by the original's agent, from its creation at `at`: assigned and
/// answered after the first-reply time, solved after the work, closed by the auto-close.
fn handle_follow_up(
    play: &mut Play,
    rng: &mut ChaCha8Rng,
    handler: &Handler,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let agent = handler.agent;
    let reply = handler.after(at, handler.reply(rng));
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
    let solve = handler.after(play.now(), handler.work(rng));
    play.set_status(solve, TicketStatus::Solved, agent)?;
    if let Some(solved) = play.state.solved_at {
        let command = Command::Close(ClosePolicy::RequireSolved);
        play.run(
            solved + Duration::seconds(AUTO_CLOSE_SECONDS),
            command,
            None,
            None,
        )?;
    }
    Ok(())
}
