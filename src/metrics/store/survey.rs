//! The surveys of the store (docs/METRICS.md "Satisfaction": `csat.v1`,
//! `csat_response_rate.v1`, `nps.v1`): one [`SurveyRow`] per survey that was sent or answered
//! (never-sent, unanswered surveys count in no figure and are not held), loaded with the tickets.
//! A full load reads them all; a refresh reads again every survey of the tickets that changed,
//! `changed_since` following `surveys.changed_xid` too (migration 2026-12-01-300010: an answer
//! or a delivery changes no ticket row).
//!
//! The ticket's **rating** is its most recently answered survey (latest `answered_at`, ties to
//! the higher id), marked [`SurveyRow::rating`] when the ticket's surveys are packed: a
//! `pre_reopen` answer counts unless a later answer replaced it (the customer's last word
//! stands).

use super::*;
use crate::metrics::types::{Nps, Satisfaction};

/// A missing NPS answer in [`SurveyRow::nps`].
const NO_NPS: u8 = u8::MAX;

/// One survey, packed (40 bytes). Instants in microseconds since the Unix epoch (UTC), [`NONE`]
/// for NULL.
#[derive(Debug, Clone, Copy)]
pub(super) struct SurveyRow {
    pub(super) ticket_id: i64,
    /// `sent_at`: in the response rate's period by it.
    pub(super) sent: i64,
    /// `answered_at` of the survey's latest answer.
    pub(super) answered: i64,
    /// Team and assignee at the solve (interned in [`Content::ids`], 0 = NULL).
    pub(super) team: u32,
    pub(super) assignee: u32,
    /// 1–5 (0 when unanswered).
    pub(super) score: u8,
    /// 0–10, [`NO_NPS`] without an NPS answer.
    pub(super) nps: u8,
    /// This answer is the ticket's rating (its most recently answered survey).
    pub(super) rating: bool,
}

const _: () = assert!(
    std::mem::size_of::<SurveyRow>() == 40,
    "a packed survey is 40 bytes"
);

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

/// Reads the surveys sent or answered of `tickets` (of every ticket for `None`), by ticket and id.
pub(super) fn load_surveys(
    conn: &mut PgConnection,
    tickets: Option<&[i64]>,
) -> QueryResult<Vec<SurveyTuple>> {
    use crate::schema::surveys as s;
    let query = s::table
        .filter(s::sent_at.is_not_null().or(s::answered_at.is_not_null()))
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
    /// Packs loaded surveys (by ticket, then id), marking each ticket's rating.
    pub(super) fn pack_surveys(&mut self, loaded: Vec<SurveyTuple>) -> Vec<SurveyRow> {
        let mut rows: Vec<SurveyRow> = Vec::with_capacity(loaded.len());
        // (position in `rows`, answered_at, survey id) of the current ticket's rating so far.
        let mut best: Option<(usize, i64, i64)> = None;
        let mut ticket = NONE;
        for (id, ticket_id, team, assignee, sent, answered, score, nps) in loaded {
            if ticket_id != ticket {
                if let Some((p, _, _)) = best.take() {
                    rows[p].rating = true;
                }
                ticket = ticket_id;
            }
            let answered = load::micros(answered);
            if answered != NONE && best.is_none_or(|(_, at, sid)| (answered, id) > (at, sid)) {
                best = Some((rows.len(), answered, id));
            }
            let small =
                |v: Option<i16>, none: u8| v.and_then(|v| u8::try_from(v).ok()).unwrap_or(none);
            rows.push(SurveyRow {
                ticket_id,
                sent: load::micros(sent),
                answered,
                team: self.ids.intern(team),
                assignee: self.ids.intern(assignee),
                score: small(score, 0),
                nps: small(nps, NO_NPS),
                rating: false,
            });
        }
        if let Some((p, _, _)) = best {
            rows[p].rating = true;
        }
        rows
    }

    /// Replaces every survey of `tickets` with `rows` (all of them for `None`).
    pub(super) fn set_surveys(&mut self, tickets: Option<&[i64]>, rows: Vec<SurveyRow>) {
        match tickets {
            None => self.surveys = rows,
            Some(ids) => {
                let ids: std::collections::HashSet<i64> = ids.iter().copied().collect();
                self.surveys.retain(|s| !ids.contains(&s.ticket_id));
                self.surveys.extend(rows);
                // Stable: a ticket's surveys stay in id order.
                self.surveys.sort_by_key(|s| s.ticket_id);
            }
        }
        self.surveys.shrink_to_fit();
    }

    /// Heap bytes of the surveys (part of [`Content::heap_bytes`]).
    pub(super) fn survey_heap_bytes(&self) -> usize {
        self.surveys.capacity() * std::mem::size_of::<SurveyRow>()
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
    pub(super) fn add_rating(&mut self, s: &SurveyRow) {
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

    /// Adds a survey whose `sent_at` is in the period.
    pub(super) fn add_sent(&mut self, s: &SurveyRow) {
        self.surveyed += 1;
        self.answered += i64::from(s.answered != NONE);
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
