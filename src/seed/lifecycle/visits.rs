//! The field work of an equipment ticket, as the work-order use cases would write it: the
//! asset, the work orders and their visits, and the ticket's side of each step (moved here from
//! the ticket's lifecycle; the generator's `Life` and `Play` are the parent's).

use super::*;
use crate::tickets::work_order::current_hold_reason;

impl Life<'_> {
    /// The field work of an equipment fault at `site` (of organization `org`): the asset, the
    /// first work order, then visits until one fixes the fault (at most three), a visit is
    /// cancelled, or the window ends.
    pub(super) fn field_visits(
        &mut self,
        org: i64,
        site: i64,
        subject: &str,
    ) -> anyhow::Result<()> {
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
    pub(super) fn visit(
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
