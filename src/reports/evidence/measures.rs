//! The raw material of a report's figures: per period (or per month, in one pass) and per
//! selection of rows (all, a sourcing, a technician employment type), the counts, tallies and
//! values the statistics are computed from. A ticket's figure counts when its credit ([`Role`]:
//! creation, first reply, latest solve, SLA) is the scope's, with that credit's sourcing
//! (docs/METRICS.md §7, "Attribution").

use super::*;
use crate::reports::inputs::{Role, Sourcing};

/// Which rows a set of figures is over.
#[derive(Clone, Copy)]
pub(super) enum Selector<'a> {
    All,
    Sourcing(&'a str),
    Employment(&'a str),
}

impl Selector<'_> {
    /// Whether `t`'s figures of `role` are selected: credited to the scope, and for a sourcing
    /// with that sourcing.
    fn ticket(&self, t: &TicketInput, role: Role) -> bool {
        t.holds(role)
            && match self {
                Selector::All => true,
                Selector::Sourcing(s) => t.sourcing(role) == Some(*s),
                Selector::Employment(_) => false,
            }
    }
    /// Whether an SLA outcome credited with `sourcing` (at its instant) is selected (the
    /// ticket's outcomes are the scope's already).
    fn outcome(&self, sourcing: Option<Sourcing>) -> bool {
        match self {
            Selector::All => true,
            Selector::Sourcing(s) => sourcing.map(Sourcing::as_str) == Some(*s),
            Selector::Employment(_) => false,
        }
    }
    fn rating(&self, r: &RatingInput) -> bool {
        match self {
            Selector::All => true,
            Selector::Sourcing(s) => r.sourcing.map(Sourcing::as_str) == Some(*s),
            Selector::Employment(_) => false,
        }
    }
    fn work_order(&self, w: &WorkOrderInput) -> bool {
        match self {
            Selector::All => true,
            Selector::Sourcing(_) => false,
            Selector::Employment(e) => w.employment_type.map(|t| t.as_str()) == Some(*e),
        }
    }
}

/// The raw material of one period's figures.
#[derive(Default)]
pub(super) struct Measures {
    pub(super) created: u64,
    pub(super) frt: Vec<i64>,
    pub(super) km: Vec<TimeToEvent>,
    pub(super) resolution_solved: Vec<i64>,
    pub(super) sla: (u64, u64),
    pub(super) reopen: (u64, u64),
    pub(super) one_touch: (u64, u64),
    pub(super) fcr: (u64, u64),
    pub(super) csat: (u64, u64),
    pub(super) ftf: (u64, u64),
    pub(super) ended: u64,
}

fn tally(pair: &mut (u64, u64), success: bool) {
    pair.0 += u64::from(success);
    pair.1 += 1;
}

/// The measures of `[start, end)`; `as_of` (seconds) bounds the Kaplan–Meier follow-up: a ticket
/// still open is censored at the period's end or at `as_of`, whichever comes first.
pub(super) fn measure(
    inputs: &Inputs,
    start: i64,
    end: i64,
    as_of: i64,
    sel: Selector<'_>,
) -> Measures {
    measure_buckets(inputs, &[(start, end)], as_of, sel)
        .pop()
        .unwrap_or_default()
}

/// The measures of each bucket `[start, end)` of `buckets` (ascending, not overlapping), in one
/// pass over the inputs: each instant falls in the bucket that holds it, if any.
pub(super) fn measure_buckets(
    inputs: &Inputs,
    buckets: &[(i64, i64)],
    as_of: i64,
    sel: Selector<'_>,
) -> Vec<Measures> {
    let bucket = |t: i64| {
        let k = buckets.partition_point(|(start, _)| *start <= t);
        k.checked_sub(1).filter(|&k| t < buckets[k].1)
    };
    let mut all: Vec<Measures> = buckets.iter().map(|_| Measures::default()).collect();
    for t in &inputs.tickets {
        // Volumes and the Kaplan–Meier cohort: the tickets created, credited at creation.
        if let Some(k) = bucket(t.created()).filter(|_| sel.ticket(t, Role::Created)) {
            let m = &mut all[k];
            m.created += 1;
            // Kaplan–Meier cohort: created in the period; solved (latest solve) before the end
            // of its follow-up, else censored there.
            let follow_up_end = buckets[k].1.min(as_of);
            match (t.full_resolution(), t.latest_solved_at()) {
                (Some(d), Some(at)) if at < follow_up_end => {
                    m.km.push(TimeToEvent::event(d.max(0)));
                }
                _ => {
                    m.km.push(TimeToEvent::censored((follow_up_end - t.created()).max(0)))
                }
            }
        }
        if let (Some(at), Some(v)) = (t.first_reply_at(), t.first_reply_business())
            && let Some(k) = bucket(at)
            && sel.ticket(t, Role::FirstReply)
        {
            all[k].frt.push(v);
        }
        if let Some(k) = t
            .latest_solved_at()
            .and_then(bucket)
            .filter(|_| sel.ticket(t, Role::Solved))
        {
            let m = &mut all[k];
            tally(&mut m.reopen, t.reopens() >= 1);
            if let Some(v) = t.full_resolution() {
                m.resolution_solved.push(v);
            }
            if let Some(o) = t.one_touch() {
                tally(&mut m.one_touch, o);
                tally(&mut m.fcr, t.fcr() == Some(true));
            }
        }
        // The ticket is the unit: it attains in a period when all its outcomes there (those
        // selected: each with the sourcing credited at its instant) were achieved. Outcomes are
        // ascending by instant, so a bucket's are consecutive.
        let mut run: Option<(usize, bool)> = None;
        let held = t.holds(Role::Sla);
        for (at, achieved, _) in t.sla().iter().filter(|o| held && sel.outcome(o.2)) {
            let Some(k) = bucket(at) else { continue };
            run = match run {
                Some((j, all_achieved)) if j == k => Some((k, all_achieved && achieved)),
                Some((j, all_achieved)) => {
                    tally(&mut all[j].sla, all_achieved);
                    Some((k, achieved))
                }
                None => Some((k, achieved)),
            };
        }
        if let Some((j, all_achieved)) = run {
            tally(&mut all[j].sla, all_achieved);
        }
    }
    for r in inputs.ratings.iter().filter(|r| sel.rating(r)) {
        if let Some(k) = bucket(r.answered_at) {
            tally(&mut all[k].csat, r.score >= 4);
        }
    }
    for w in inputs.work_orders.iter().filter(|w| sel.work_order(w)) {
        if let Some(k) = bucket(w.finished_at).filter(|_| w.ended()) {
            let m = &mut all[k];
            m.ended += 1;
            if w.first_visit {
                tally(&mut m.ftf, w.fixed);
            }
        }
    }
    all
}
