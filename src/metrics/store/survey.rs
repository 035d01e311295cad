//! The surveys of the store (docs/METRICS.md "Satisfaction": `csat.v1`,
//! `csat_response_rate.v1`, `nps.v1`), for the tickets that have any: one [`SentRow`] per survey
//! sent (24 bytes, and one bit: answered or not) for the response rate, and one [`RatingRow`]
//! per ticket with a rating (32 bytes) for CSAT and NPS. Surveys neither sent nor the ticket's
//! rating count in no figure and are not held. Loaded with the tickets.
//! A full load reads them all; a refresh reads again every survey of the tickets that changed,
//! `changed_since` following `surveys.changed_xid` too (migration 2026-12-01-300010: an answer
//! or a delivery changes no ticket row).
//!
//! The ticket's **rating** is its most recently answered survey (latest `answered_at`, ties to
//! the higher id), picked when the ticket's surveys are packed: a
//! `pre_reopen` answer counts unless a later answer replaced it (the customer's last word
//! stands).

use super::*;
use crate::metrics::types::{Nps, Satisfaction};

/// A missing NPS answer in [`RatingRow::nps`].
const NO_NPS: u8 = u8::MAX;

/// One survey sent, packed (24 bytes; whether it was answered is a bit of
/// [`Surveys::answered`]). Instants in microseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy)]
pub(super) struct SentRow {
    pub(super) ticket_id: i64,
    /// `sent_at`: in the response rate's period by it.
    pub(super) sent: i64,
    /// Team and assignee at the solve (interned in [`Content::ids`], 0 = NULL).
    pub(super) team: u32,
    pub(super) assignee: u32,
}

/// A ticket's rating (its most recently answered survey), packed (32 bytes).
#[derive(Debug, Clone, Copy)]
pub(super) struct RatingRow {
    pub(super) ticket_id: i64,
    /// `answered_at` (µs): in the period of CSAT and NPS by it.
    pub(super) answered: i64,
    /// Team and assignee at the solve surveyed (interned, 0 = NULL).
    pub(super) team: u32,
    pub(super) assignee: u32,
    /// 1–5.
    pub(super) score: u8,
    /// 0–10, [`NO_NPS`] without an NPS answer.
    pub(super) nps: u8,
}

const _: () =
    assert!(std::mem::size_of::<SentRow>() == 24 && std::mem::size_of::<RatingRow>() == 32);

/// The surveys held: both lists ascending by ticket id (a ticket's surveys sent in id order).
#[derive(Default)]
pub(super) struct Surveys {
    pub(super) sent: Vec<SentRow>,
    /// Bit `i` (of word `i / 64`): `sent[i]` has an answer.
    pub(super) answered: Vec<u64>,
    pub(super) ratings: Vec<RatingRow>,
}

impl Surveys {
    /// Whether `sent[i]` has an answer.
    pub(super) fn is_answered(&self, i: usize) -> bool {
        self.answered
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Replaces the sent surveys with `rows` (with their answered bits).
    fn set_sent(&mut self, rows: Vec<(SentRow, bool)>) {
        let mut answered = vec![0u64; rows.len().div_ceil(64)];
        for (i, (_, a)) in rows.iter().enumerate() {
            if *a {
                answered[i / 64] |= 1 << (i % 64);
            }
        }
        self.sent = rows.into_iter().map(|(s, _)| s).collect();
        self.answered = answered;
    }
}

/// A ticket's surveys packed: those sent (with their answered bits) and its rating.
pub(super) type PackedSurveys = (Vec<(SentRow, bool)>, Vec<RatingRow>);

type SurveyTuple = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i16>,
    Option<i16>,
);

/// Reads the surveys sent or answered of `tickets` (of every ticket for `None`), by ticket and id;
/// none of a ticket merged into another.
pub(super) fn load_surveys(
    conn: &mut PgConnection,
    tickets: Option<&[i64]>,
) -> QueryResult<Vec<SurveyTuple>> {
    use crate::schema::surveys as s;
    use crate::schema::tickets as t;
    let query = s::table
        .filter(s::sent_at.is_not_null().or(s::answered_at.is_not_null()))
        // Not a merged ticket's (a duplicate, in no aggregate: docs/METRICS.md).
        .filter(diesel::dsl::not(diesel::dsl::exists(
            t::table
                .filter(t::id.eq(s::ticket_id))
                .filter(t::merged_into_id.is_not_null()),
        )))
        .select((
            s::id,
            s::ticket_id,
            s::team_id,
            s::assignee_id,
            s::sent_at,
            s::answered_at,
            s::score,
            s::nps,
        ))
        .order((s::ticket_id, s::id))
        .into_boxed();
    match tickets {
        Some(ids) => query.filter(s::ticket_id.eq_any(ids)).load(conn),
        None => query.load(conn),
    }
}

impl Content {
    /// Packs loaded surveys (by ticket, then id): the surveys sent, and each ticket's rating.
    pub(super) fn pack_surveys(&mut self, loaded: Vec<SurveyTuple>) -> PackedSurveys {
        let mut sent: Vec<(SentRow, bool)> = Vec::with_capacity(loaded.len());
        let mut ratings: Vec<RatingRow> = Vec::new();
        // The current ticket's rating so far, with its survey id.
        let mut best: Option<(RatingRow, i64)> = None;
        for (id, ticket_id, team, assignee, sent_at, answered_at, score, nps) in loaded {
            if best.is_some_and(|(r, _)| r.ticket_id != ticket_id) {
                ratings.extend(best.take().map(|(r, _)| r));
            }
            let (team, assignee) = (self.ids.intern(team), self.ids.intern(assignee));
            if let Some(at) = sent_at {
                let row = SentRow {
                    ticket_id,
                    sent: at.timestamp_micros(),
                    team,
                    assignee,
                };
                sent.push((row, answered_at.is_some()));
            }
            let Some(at) = answered_at.map(|t| t.timestamp_micros()) else {
                continue;
            };
            if best.is_none_or(|(r, sid)| (at, id) > (r.answered, sid)) {
                let small =
                    |v: Option<i16>, none: u8| v.and_then(|v| u8::try_from(v).ok()).unwrap_or(none);
                let rating = RatingRow {
                    ticket_id,
                    answered: at,
                    team,
                    assignee,
                    score: small(score, 0),
                    nps: small(nps, NO_NPS),
                };
                best = Some((rating, id));
            }
        }
        ratings.extend(best.map(|(r, _)| r));
        (sent, ratings)
    }

    /// Replaces every survey of `tickets` with `packed` (all of them for `None`).
    pub(super) fn set_surveys(&mut self, tickets: Option<&[i64]>, packed: PackedSurveys) {
        let (sent, ratings) = packed;
        let surveys = &mut self.surveys;
        match tickets {
            None => {
                surveys.set_sent(sent);
                surveys.ratings = ratings;
            }
            Some(ids) => {
                let ids: std::collections::HashSet<i64> = ids.iter().copied().collect();
                let mut all: Vec<(SentRow, bool)> = surveys
                    .sent
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !ids.contains(&s.ticket_id))
                    .map(|(i, s)| (*s, surveys.is_answered(i)))
                    .collect();
                all.extend(sent);
                // Stable: a ticket's surveys stay in id order.
                all.sort_by_key(|(s, _)| s.ticket_id);
                surveys.set_sent(all);
                surveys.ratings.retain(|r| !ids.contains(&r.ticket_id));
                surveys.ratings.extend(ratings);
                surveys.ratings.sort_by_key(|r| r.ticket_id);
            }
        }
        surveys.sent.shrink_to_fit();
        surveys.ratings.shrink_to_fit();
    }

    /// Heap bytes of the surveys (part of [`Content::heap_bytes`]).
    pub(super) fn survey_heap_bytes(&self) -> usize {
        let s = &self.surveys;
        s.sent.capacity() * std::mem::size_of::<SentRow>()
            + s.answered.capacity() * 8
            + s.ratings.capacity() * std::mem::size_of::<RatingRow>()
    }
}

/// Per-group accumulators of the satisfaction figures.
#[derive(Default)]
pub(super) struct SatisfactionAcc {
    ratings: i64,
    satisfied: i64,
    score_sum: i64,
    /// Promoters, passives, detractors.
    nps: [i64; 3],
    surveyed: i64,
    answered: i64,
}

impl SatisfactionAcc {
    /// Anything fell in it.
    pub(super) fn has_figures(&self) -> bool {
        self.ratings > 0 || self.surveyed > 0
    }

    /// Adds a ticket's rating whose `answered_at` is in the period.
    pub(super) fn add_rating(&mut self, s: &RatingRow) {
        self.ratings += 1;
        self.satisfied += i64::from(s.score >= 4);
        self.score_sum += i64::from(s.score);
        match s.nps {
            NO_NPS => {}
            9.. => self.nps[0] += 1,
            7..=8 => self.nps[1] += 1,
            _ => self.nps[2] += 1,
        }
    }

    /// Adds a survey whose `sent_at` is in the period, answered or not.
    pub(super) fn add_sent(&mut self, answered: bool) {
        self.surveyed += 1;
        self.answered += i64::from(answered);
    }

    /// The figures.
    pub(super) fn figures(&self) -> Satisfaction {
        Satisfaction {
            csat: Rate::new(self.satisfied, self.ratings),
            mean_score: (self.ratings > 0).then(|| self.score_sum as f64 / self.ratings as f64),
            response_rate: Rate::new(self.answered, self.surveyed),
            nps: Nps::new(self.nps[0], self.nps[1], self.nps[2]),
        }
    }
}
