//! The demo's CSAT/NPS surveys (docs/METRICS.md "Satisfaction"): one `surveys` row per solve of
//! a ticket whose requester has an email (every seeded customer has one), as the service makes
//! them — the team and assignee at that solve, the invitation 24 h after it (the default
//! `email.survey_delay_hours`), the link valid 28 days (`email.survey_link_days`), delivered at
//! the invitation (`sent_at`), cancelled when a reopen comes first, nothing sent at or after the
//! window's end — and the customers' answers:
//!
//! - about 28 % of the surveys sent are answered, a few hours after the invitation (log-normal,
//!   median 3 h), before the link expires, the window ends and any reopen (an answer followed by
//!   a reopen is `pre_reopen`);
//! - the chance of a 4 or 5 is built in: 93 % for the in-house team, 81 % for the outsourced
//!   vendor, less 5 points per e-fold of the resolution time in days (`ln(1 + days)`), so
//!   longer resolutions rate lower — CSAT comes out near 90 % and 78 %;
//! - about half the answers carry an NPS answer (correlated with the score), about half a
//!   comment from [`comment`]'s phrase bank (no names, emails, phone or ticket numbers: no
//!   digits at all), and about 40 % of the comments consent to being quoted.
//!
//! Deterministic: each ticket's draws come from their own stream of the run's seed (keyed by the
//! ticket's creation instant and requester, so the same ticket gets the same surveys through
//! either writer and whatever its id), apart from every other draw of the run.
//!
//! The rows are stored whole (`models::survey_bulk`) by both writers. Not stored: the
//! `notification` and `survey_answered` events the service's outbox and survey page record
//! beside them (the seeded event logs are left as the ticket writes made them).

use super::tickets::{GeneratedTicket, World, ticket_rng};
use crate::domain::ticket::{EventKind, TicketStatus};
use crate::models::survey_bulk::SurveyRecord;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Hours from a solve to its invitation (`email.survey_delay_hours`' default).
const DELAY_HOURS: i64 = 24;
/// Days a link stays valid (`email.survey_link_days`' default).
const LINK_DAYS: i64 = 28;
/// Share of the surveys sent that get an answer.
const RESPONSE_RATE: f64 = 0.28;
/// Chance of a 4 or 5 for a resolution of no time, by cohort.
const SATISFIED_IN_HOUSE: f64 = 0.93;
const SATISFIED_OUTSOURCED: f64 = 0.81;
/// Points of that chance lost per e-fold of the resolution time in days.
const SLOWNESS_PENALTY: f64 = 0.05;
/// Salt of the survey streams (apart from the tickets' own).
const STREAM: u64 = 0x5E_ED5A_7CA7;

/// The surveys of `g` (stored as ticket `ticket_id`), earliest first.
pub fn plan(world: &World, g: &GeneratedTicket, ticket_id: i64) -> Vec<SurveyRecord> {
    let Some(customer) = g.fields.requester_id else {
        return Vec::new();
    };
    let created = g.state.created_at;
    let key = (created.timestamp_micros() as u64) ^ (customer as u64).rotate_left(40);
    let mut rng = ticket_rng(world.seed ^ STREAM, key);
    let outsourced = g.fields.team_id == Some(world.outsourced.id);
    // Solves with the assignee then, and the reopens.
    let mut assignee = None;
    let mut solves: Vec<(DateTime<Utc>, Option<i64>)> = Vec::new();
    let mut reopens: Vec<DateTime<Utc>> = Vec::new();
    for e in &g.events {
        match &e.kind {
            EventKind::Assigned { to, .. } => assignee = *to,
            EventKind::StatusChanged { from, to, .. } => {
                if *to == TicketStatus::Solved && *from != TicketStatus::Solved {
                    solves.push((e.occurred_at, assignee));
                } else if *from == TicketStatus::Solved && *to != TicketStatus::Closed {
                    reopens.push(e.occurred_at);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(solves.len());
    for (solved_at, assignee_id) in solves {
        let invite_at = solved_at + Duration::hours(DELAY_HOURS);
        let expires_at = invite_at + Duration::days(LINK_DAYS);
        let reopen = reopens.iter().copied().find(|r| *r > solved_at);
        let mut record = SurveyRecord {
            ticket_id,
            customer_id: customer,
            solved_at,
            assignee_id,
            team_id: g.fields.team_id,
            created_at: solved_at,
            invite_at,
            expires_at,
            sent_at: None,
            cancelled_at: None,
            answered_at: None,
            score: None,
            nps: None,
            comment: None,
            consent_to_quote: false,
            pre_reopen: false,
        };
        // Every survey draws the same number of values, sent or not: one survey's fate never
        // shifts the next one's.
        let draws = Draws::new(&mut rng);
        if let Some(r) = reopen.filter(|r| *r <= invite_at) {
            record.cancelled_at = Some(r);
        } else if invite_at < world.end {
            record.sent_at = Some(invite_at);
            let answered_at = invite_at + Duration::seconds(draws.delay);
            let in_time = answered_at < expires_at
                && answered_at < world.end
                && reopen.is_none_or(|r| answered_at < r);
            if draws.responds && in_time {
                let days = (solved_at - created).num_seconds().max(0) as f64 / 86_400.0;
                let base = if outsourced {
                    SATISFIED_OUTSOURCED
                } else {
                    SATISFIED_IN_HOUSE
                };
                let satisfied = draws.satisfied < base - SLOWNESS_PENALTY * (1.0 + days).ln();
                let score = score(satisfied, draws.score);
                record.answered_at = Some(answered_at);
                record.score = Some(score);
                record.nps = draws.with_nps.then(|| nps(score, draws.nps));
                record.comment = draws
                    .with_comment
                    .then(|| comment(score, g.fields.category.as_deref(), draws.phrase));
                record.consent_to_quote = record.comment.is_some() && draws.consent;
                record.pre_reopen = reopen.is_some();
            }
        }
        out.push(record);
    }
    out
}

/// The draws of one survey (all of them taken, whatever is used).
struct Draws {
    responds: bool,
    delay: i64,
    satisfied: f64,
    score: f64,
    with_nps: bool,
    nps: f64,
    with_comment: bool,
    phrase: (u32, u32),
    consent: bool,
}

impl Draws {
    fn new(rng: &mut ChaCha8Rng) -> Draws {
        Draws {
            responds: rng.random::<f64>() < RESPONSE_RATE,
            delay: super::tickets::lognormal(rng, 3.0 * 3600.0, 1.3),
            satisfied: rng.random(),
            score: rng.random(),
            with_nps: rng.random::<f64>() < 0.5,
            nps: rng.random(),
            with_comment: rng.random::<f64>() < 0.5,
            phrase: (rng.random(), rng.random()),
            consent: rng.random::<f64>() < 0.4,
        }
    }
}

/// A score of 4 or 5 when `satisfied` (5 two times in three), otherwise 3, 2 or 1.
fn score(satisfied: bool, u: f64) -> i16 {
    match (satisfied, u) {
        (true, u) if u < 0.65 => 5,
        (true, _) => 4,
        (false, u) if u < 0.45 => 3,
        (false, u) if u < 0.7 => 2,
        _ => 1,
    }
}

/// An NPS answer in keeping with the score.
fn nps(score: i16, u: f64) -> i16 {
    let table: &[(f64, i16)] = match score {
        5 => &[(0.45, 10), (0.75, 9), (0.9, 8), (0.97, 7), (1.0, 6)],
        4 => &[
            (0.1, 10),
            (0.35, 9),
            (0.7, 8),
            (0.9, 7),
            (0.97, 6),
            (1.0, 5),
        ],
        3 => &[(0.1, 8), (0.3, 7), (0.6, 6), (0.85, 5), (0.95, 4), (1.0, 3)],
        _ => &[
            (0.15, 5),
            (0.35, 4),
            (0.55, 3),
            (0.7, 2),
            (0.85, 1),
            (1.0, 0),
        ],
    };
    table.iter().find(|(p, _)| u < *p).map_or(0, |(_, v)| *v)
}

/// Comments anyone could write, by tone.
const PRAISE: [&str; 14] = [
    "Quick and friendly, thank you.",
    "The agent explained everything clearly and fixed it the same day.",
    "Very patient with all my questions.",
    "Problem solved on the first call, great service.",
    "Thank you for following up without me having to ask.",
    "Easy to reach and polite from start to finish.",
    "Everything works again. Much appreciated.",
    "Clear instructions and no runaround.",
    "Helpful and professional, I would not change a thing.",
    "The fix was simple once someone actually looked at it. Thanks!",
    "I was kept informed the whole time.",
    "Faster than I expected.",
    "Good support, the agent knew the system well.",
    "Resolved politely and efficiently.",
];
const MIXED: [&str; 10] = [
    "It got fixed in the end, but it took a few tries.",
    "Fine, although I had to explain the problem twice.",
    "The answer was right, the wait was long.",
    "Okay service. The hold music needs to go.",
    "Resolved, but nobody told me when it was done.",
    "Helpful once I reached someone.",
    "Decent, but the instructions could have been clearer.",
    "Works for now, we will see if it lasts.",
    "The agent was nice but had to check with someone else.",
    "Took longer than it should have, still grateful it is sorted.",
];
const COMPLAINT: [&str; 12] = [
    "It took far too long to get a real answer.",
    "I was passed between people and had to repeat myself.",
    "Nobody called back when they said they would.",
    "The problem is still not fully fixed.",
    "Too slow. My family could not reach me for days.",
    "The agent closed the case before anything was solved.",
    "Automated replies only, no real help.",
    "Had to chase this several times.",
    "Rude on the phone and no follow-up.",
    "The issue keeps coming back and nobody seems to know why.",
    "I got three different answers from three different people.",
    "Waited on hold for ages and then the call dropped.",
];
/// Comments about what the ticket was about (categories of the seed), good and bad.
const TOPICS: [(&str, [&str; 3], [&str; 3]); 6] = [
    (
        "billing",
        [
            "The refund showed up on my account the next morning.",
            "They explained the charges line by line.",
            "Billing mistake corrected without any argument.",
        ],
        [
            "I am still being charged twice for the same call.",
            "Nobody could explain the fee on my statement.",
            "The refund took weeks to arrive.",
        ],
    ),
    (
        "call_quality",
        [
            "Calls are clear again, no more static.",
            "The dropped calls stopped after the line was reset.",
            "Sound quality on the phones is much better now.",
        ],
        [
            "Calls still cut out after a few minutes.",
            "The echo on the line is as bad as before.",
            "We lost our call time because of the dropped connection.",
        ],
    ),
    (
        "account_funding",
        [
            "Money reached the account right away after the fix.",
            "The deposit went through and the balance is correct.",
            "Setting up the prepaid account was painless with their help.",
        ],
        [
            "My deposit disappeared for days before anyone found it.",
            "The payment page kept rejecting my card.",
            "Funds were taken but the account balance never changed.",
        ],
    ),
    (
        "kiosk_phone_equipment",
        [
            "The kiosk in the housing unit works again.",
            "The technician replaced the handset quickly.",
            "The touchscreen responds properly now.",
        ],
        [
            "The kiosk froze again the day after the repair.",
            "Half the phones in the unit are still out of order.",
            "Waited too long for someone to come and look at the kiosk.",
        ],
    ),
    (
        "video_visits",
        [
            "Our video visit went ahead as planned.",
            "Video and sound were smooth for the whole visit.",
            "Rescheduling the visit was quick and easy.",
        ],
        [
            "The video visit kept freezing and we lost the session.",
            "The visit was cancelled without any notice.",
            "Still no credit for the visit that never connected.",
        ],
    ),
    (
        "complaint",
        [
            "Someone finally listened and took the complaint seriously.",
            "My complaint was handled fairly.",
            "Thank you for taking the time to look into this properly.",
        ],
        [
            "My complaint was brushed off.",
            "The same problem I complained about is happening again.",
            "No one explained what was done about my complaint.",
        ],
    ),
];

/// A comment in keeping with the score: a general remark by tone, a remark about the ticket's
/// topic, or both (`pick`: two uniform draws).
pub fn comment(score: i16, category: Option<&str>, pick: (u32, u32)) -> String {
    let (a, b) = (pick.0 as usize, pick.1 as usize);
    let general = match score {
        5 | 4 => PRAISE[a % PRAISE.len()],
        3 => MIXED[a % MIXED.len()],
        _ => COMPLAINT[a % COMPLAINT.len()],
    };
    let topic = TOPICS
        .iter()
        .find(|(c, _, _)| Some(*c) == category)
        .map(|(_, good, bad)| {
            if score >= 4 {
                good[b % good.len()]
            } else {
                bad[b % bad.len()]
            }
        });
    match (topic, b % 3) {
        (Some(t), 0) => t.to_string(),
        (Some(t), 1) => format!("{t} {general}"),
        _ => general.to_string(),
    }
}

/// Every comment [`comment`] can write (for tests).
pub fn phrase_bank() -> Vec<&'static str> {
    let mut all: Vec<&str> = PRAISE
        .iter()
        .chain(&MIXED)
        .chain(&COMPLAINT)
        .copied()
        .collect();
    for (_, good, bad) in &TOPICS {
        all.extend(good.iter().chain(bad));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phrase_bank_has_dozens_of_comments_without_digits_or_at_signs() {
        let bank = phrase_bank();
        let distinct: std::collections::BTreeSet<&str> = bank.iter().copied().collect();
        assert_eq!(distinct.len(), bank.len());
        assert!(bank.len() >= 60, "{}", bank.len());
        for phrase in bank {
            assert!(
                !phrase
                    .chars()
                    .any(|c| c.is_ascii_digit() || c == '@' || c == '#'),
                "{phrase}"
            );
        }
    }

    #[test]
    fn scores_and_nps_answers_stay_in_range_and_follow_satisfaction() {
        for i in 0..100 {
            let u = f64::from(i) / 100.0;
            assert!((4..=5).contains(&score(true, u)));
            assert!((1..=3).contains(&score(false, u)));
            for s in 1..=5 {
                assert!((0..=10).contains(&nps(s, u)));
            }
        }
        assert_eq!(nps(5, 0.0), 10);
        assert_eq!(nps(1, 0.99), 0);
    }
}
