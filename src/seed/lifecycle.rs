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
            lognormal(&mut self.rng, 90.0 * self.handler.speed, 0.6)
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

    /// The field work of an equipment fault at `site` (of organization `org`): the asset, the
    /// first work order, then visits until one fixes the fault (at most three), a visit is
    /// cancelled, or the window ends.
    fn field_visits(&mut self, org: i64, site: i64, subject: &str) -> anyhow::Result<()> {
        let Some(assets) = self.world.site_assets.get(&site).filter(|a| !a.is_empty()) else {
            return Ok(());
        };
        const KINDS: [AssetKind; 5] = [
            AssetKind::InmatePhone,
            AssetKind::PaymentKiosk,
            AssetKind::VideoVisitationTerminal,
            AssetKind::Tablet,
            AssetKind::NetworkGear,
        ];
        let drawn = KINDS[weighted(&mut self.rng, &[0.5, 0.2, 0.15, 0.08, 0.07])];
        // The subject names the equipment when it can ("Kiosk card reader not working").
        let kind = if subject.starts_with("Kiosk") {
            AssetKind::PaymentKiosk
        } else if subject.starts_with("Phone") {
            AssetKind::InmatePhone
        } else if subject.starts_with("Video") || subject.contains("video visit") {
            AssetKind::VideoVisitationTerminal
        } else {
            drawn
        };
        let of_kind: Vec<&AssetInfo> = assets.iter().filter(|a| a.kind == kind).collect();
        let asset = match pick(&mut self.rng, &of_kind) {
            Some(a) => (*a).clone(),
            None => pick(&mut self.rng, assets)
                .cloned()
                .unwrap_or_else(|| assets[0].clone()),
        };
        self.asset = Some(asset.id);
        let agent = self.handler.agent;
        let delay = lognormal(&mut self.rng, 900.0 * self.handler.speed, 0.6);
        let created = self.handler.after(self.play.now(), delay);
        if created >= self.world.end {
            self.play.stopped = true;
            return Ok(());
        }
        let skill = skill_for(asset.kind);
        let escort = matches!(asset.kind, AssetKind::InmatePhone | AssetKind::Tablet);
        let summary: String = format!("{subject} ({})", asset.tag)
            .chars()
            .take(crate::tickets::MAX_SUBJECT)
            .collect();
        let access = "Check in at central control; bring the work order number.";
        let draft = WorkOrderDraft {
            site: Some(SiteId::new(site)),
            asset: Some(AssetId::new(asset.id)),
            summary: summary.clone(),
            priority: None,
            required_skill: Some(skill.to_string()),
            escort_required: escort,
            security_clearance: Some("facility badge".to_string()),
            access_notes: Some(access.to_string()),
            dispatch: None,
        };
        let row = BulkWorkOrder {
            id: 0,
            ticket_id: 0,
            organization_id: org,
            site_id: site,
            asset_id: Some(asset.id),
            status: WorkOrderStatus::Scheduled.as_str().to_string(),
            priority: self.play.state.priority.into(),
            summary,
            required_skill: Some(skill.to_string()),
            escort_required: escort,
            security_clearance: Some("facility badge".to_string()),
            access_notes: Some(access.to_string()),
            technician_id: None,
            window_start: None,
            window_end: None,
            follow_up_of: None,
            created_by_id: Some(agent),
            created_at: created,
            dispatched_at: None,
            en_route_at: None,
            on_site_at: None,
            finished_at: None,
            last_transition_at: created,
            resolution_code: None,
            completion_notes: None,
            parts: serde_json::json!([]),
            problem_fixed: None,
            cannot_complete_reason: None,
            cancel_reason: None,
            version: 1,
            updated_at: created,
        };
        let mut field = FieldWork {
            prefix_state: self.play.state.clone(),
            prefix_events: self.play.events.len(),
            prefix_bodies: self.play.bodies.len(),
            steps: Vec::new(),
            orders: WorkOrders::default(),
            notes: Vec::new(),
        };
        let event = field.orders.create(row, agent);
        let call = FieldCall::Create {
            draft,
            actor: agent,
            now: created,
        };
        couple(
            &mut self.play,
            &mut field,
            call,
            vec![event],
            agent,
            created,
        )?;
        let (mut local, mut ready) = (0usize, created);
        for attempt in 1..=3 {
            match self.visit(&mut field, local, ready, attempt, skill, asset.kind)? {
                Some(next) => (local, ready) = next,
                None => break,
            }
        }
        self.field = Some(field);
        Ok(())
    }

    /// Visit number `attempt` of work order `local` (created at `ready`): dispatch, travel,
    /// arrival, the work and its outcome. Returns the follow-up work order and its creation
    /// instant when the visit could not complete.
    fn visit(
        &mut self,
        field: &mut FieldWork,
        local: usize,
        ready: DateTime<Utc>,
        attempt: u32,
        skill: &str,
        kind: AssetKind,
    ) -> anyhow::Result<Option<(usize, DateTime<Utc>)>> {
        let world = self.world;
        let agent = self.handler.agent;
        let rng = &mut self.rng;
        let calendar = &world.field_calendar;
        let dispatched = after(calendar, ready, lognormal(rng, 1200.0, 0.6));
        let qualified: Vec<&Technician> = world
            .technicians
            .iter()
            .filter(|t| t.skills.iter().any(|s| s == skill))
            .collect();
        let Some(tech) = pick(rng, &qualified).copied() else {
            return Ok(None);
        };
        let contractor = tech.contractor;
        let lead = lognormal(rng, if contractor { 12.0 } else { 6.0 } * 3600.0, 0.8);
        let hours = if contractor {
            rng.random_range(3..=4)
        } else {
            rng.random_range(2..=3)
        };
        let length = Duration::hours(hours);
        let mut start = after(calendar, dispatched, lead);
        for (off_from, off_to) in &tech.time_off {
            if start < *off_to && *off_from < start + length {
                start = after(calendar, *off_to, 1800);
            }
        }
        let end = start + length;
        let met = rng.random::<f64>() < if contractor { 0.75 } else { 0.92 };
        let arrival = if met {
            start + Duration::seconds(rng.random_range(0..length.num_seconds()))
        } else {
            end + Duration::seconds(lognormal(rng, 2700.0, 0.6))
        };
        let travel = Duration::seconds(rng.random_range(20 * 60..=90 * 60));
        let en_route = (arrival - travel).max(dispatched);
        let wrench = lognormal(rng, 3000.0, 0.5).clamp(20 * 60, 120 * 60);
        let finished = arrival + Duration::seconds(wrench);
        let fixed = rng.random::<f64>() < if contractor { 0.66 } else { 0.88 } || attempt == 3;
        let cancelled = attempt == 1 && rng.random::<f64>() < 0.03;
        // The technician's phone is offline now and then: the receipt comes minutes later.
        let mut received = |at: DateTime<Utc>| {
            if rng.random::<f64>() < 0.1 {
                at + Duration::seconds(lognormal(rng, 600.0, 0.8))
            } else {
                at
            }
        };
        let (arrival_received, finished_received) = (received(arrival), received(finished));
        let ending = if fixed {
            let parts = if rng.random::<f64>() < 0.45 {
                vec![part(kind, rng)]
            } else {
                Vec::new()
            };
            Transition::Complete(Completion {
                resolution_code: resolution(kind, !parts.is_empty()).to_string(),
                notes: Some("Tested with the unit officer; working.".to_string()),
                parts,
                problem_fixed: true,
            })
        } else {
            let reason = match weighted(rng, &[0.65, 0.2, 0.15]) {
                0 => CannotCompleteReason::PartsNeeded,
                1 => CannotCompleteReason::NoAccess,
                _ => CannotCompleteReason::CustomerAbsent,
            };
            let notes = match reason {
                CannotCompleteReason::PartsNeeded => "Replacement part ordered.",
                CannotCompleteReason::NoAccess => "Unit on lockdown; no escort available.",
                _ => "No facility contact on site.",
            };
            Transition::CannotComplete {
                reason,
                notes: Some(notes.to_string()),
                follow_up: Some(FollowUp::default()),
            }
        };
        if finished >= world.end || finished_received >= world.end {
            // Not dispatched before the window's end: the work order stays scheduled.
            self.play.stopped = true;
            return Ok(None);
        }
        let dispatch = Transition::Dispatch(Dispatch {
            technician: UserId::new(tech.id),
            start,
            end,
        });
        let play = &mut self.play;
        step(
            play,
            field,
            local,
            dispatch,
            (dispatched, dispatched),
            agent,
            false,
        )?;
        if cancelled {
            let at = dispatched + (en_route - dispatched) / 2;
            let cancel = Transition::Cancel {
                reason: Some("Resolved remotely by a reset from the network center.".into()),
            };
            step(play, field, local, cancel, (at, at), agent, false)?;
            return Ok(None);
        }
        let technician = tech.id;
        let on_site = (arrival, arrival_received);
        step(
            play,
            field,
            local,
            Transition::EnRoute,
            (en_route, en_route),
            technician,
            true,
        )?;
        step(
            play,
            field,
            local,
            Transition::OnSite,
            on_site,
            technician,
            true,
        )?;
        let follow_up = matches!(ending, Transition::CannotComplete { .. });
        step(
            play,
            field,
            local,
            ending,
            (finished, finished_received),
            technician,
            true,
        )?;
        Ok(follow_up.then(|| (field.orders.rows.len() - 1, finished)))
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
        let mut reopen_chance = self.handler.cohort.reopen
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

/// One transition of work order `local` at device instant `at.0`, received at `at.1`, by
/// `actor`: the work order's row and events as `transition_tx` writes them, and the ticket's
/// side ([`couple`]).
fn step(
    play: &mut Play,
    field: &mut FieldWork,
    local: usize,
    transition: Transition,
    (at, now): (DateTime<Utc>, DateTime<Utc>),
    actor: StaffId,
    technician: bool,
) -> anyhow::Result<()> {
    let mirrored = field
        .orders
        .transition(local, &transition, at, now, actor)?;
    if let Some((reason, notes)) = mirrored.note {
        field.notes.push(CannotCompleteNote {
            body: play.bodies.len(),
            work_order: local,
            reason,
            notes,
        });
    }
    let call = FieldCall::Transition {
        work_order: local,
        transition,
        occurred_at: at,
        now,
        actor,
        technician,
    };
    couple(play, field, call, mirrored.events, actor, at)
}

/// The ticket's side of a work-order call at device instant `at`, as the use cases move it:
/// the `work_order` events, then at the later of `at` and the ticket's latest event a
/// `cannot_complete` note, the hold while a work order is open, and when the last one ends the
/// solve (fixed, with an assignee) or the return to open. Records the call in `field`.
fn couple(
    play: &mut Play,
    field: &mut FieldWork,
    call: FieldCall,
    events: Vec<TicketEvent>,
    actor: StaffId,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let fixed = events.iter().any(|e| {
        matches!(&e.kind, EventKind::WorkOrder { to: WorkOrderStatus::Completed, detail, .. }
            if detail["problem_fixed"] == serde_json::json!(true))
    });
    let ends_here = events
        .iter()
        .any(|e| matches!(e.kind, EventKind::WorkOrder { to, .. } if !to.is_open()));
    let on_field_hold = current_hold_reason(&play.events) == Some(AWAITING_FIELD_VISIT);
    let when = at.max(play.state.updated_at);
    if when >= play.end {
        anyhow::bail!("generator played a work-order step at or after the window's end");
    }
    play.events.extend(events);
    let apply = |play: &mut Play, command: Command| -> anyhow::Result<()> {
        let events = play.state.apply(&command, when, Some(actor)).map_err(|e| {
            anyhow::anyhow!("generator produced a refused command {command:?}: {e}")
        })?;
        play.events.extend(events);
        Ok(())
    };
    if let Some(note) = field.notes.last().filter(|n| n.body == play.bodies.len()) {
        let body = cannot_complete_note(note.work_order as i64, note.reason, note.notes.as_deref());
        let command = Command::Comment {
            author: AuthorKind::Agent,
            public: false,
        };
        apply(play, command)?;
        play.bodies.push(body);
    }
    if field.orders.open() > 0 {
        if play.state.status != TicketStatus::OnHold || !on_field_hold {
            let command = Command::Hold {
                reason: AWAITING_FIELD_VISIT.into(),
            };
            apply(play, command)?;
        }
    } else if ends_here {
        if fixed && play.state.assignee.is_some() && play.state.status != TicketStatus::Solved {
            apply(play, Command::SetStatus(TicketStatus::Solved))?;
        } else if play.state.status == TicketStatus::OnHold {
            apply(play, Command::SetStatus(TicketStatus::Open))?;
        }
    }
    field.steps.push(FieldStep {
        call,
        events_end: play.events.len(),
        bodies_end: play.bodies.len(),
    });
    Ok(())
}

/// The pause reason of the ticket's current hold, from its log.
fn current_hold_reason(log: &[TicketEvent]) -> Option<&str> {
    log.iter().rev().find_map(|e| match &e.kind {
        EventKind::StatusChanged {
            to: TicketStatus::OnHold,
            reason,
            ..
        } => Some(reason.as_deref()),
        EventKind::StatusChanged { .. } => Some(None),
        _ => None,
    })?
}

/// A part used on a visit to an asset of `kind`.
fn part(kind: AssetKind, rng: &mut ChaCha8Rng) -> Part {
    let options: &[(&str, &str)] = match kind {
        AssetKind::InmatePhone => &[
            ("HS-200", "armored handset"),
            ("CRD-36", "steel lanyard cord"),
            ("KP-12", "keypad assembly"),
        ],
        AssetKind::PaymentKiosk => &[
            ("CR-7", "card reader"),
            ("TS-15", "touch screen"),
            ("BA-2", "bill acceptor"),
        ],
        AssetKind::VideoVisitationTerminal => &[("CAM-4", "camera module"), ("HS-210", "handset")],
        AssetKind::Tablet => &[("BAT-10", "battery"), ("SCR-10", "screen")],
        _ => &[("SFP-1", "SFP transceiver"), ("PSU-24", "power supply")],
    };
    let (number, description) = options[rng.random_range(0..options.len())];
    Part {
        part_number: number.to_string(),
        description: description.to_string(),
        quantity: 1,
    }
}

/// The resolution code of a fixing visit (`replaced_part` when parts were used).
fn resolution(kind: AssetKind, with_parts: bool) -> &'static str {
    match (with_parts, kind) {
        (true, _) => "replaced_part",
        (false, AssetKind::InmatePhone) => "reseated_line",
        (false, AssetKind::NetworkGear) => "reconfigured",
        (false, _) => "reset_and_tested",
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
        let handler = Handler::new(team, agent, 1.0);
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
