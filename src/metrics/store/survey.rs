//! The surveys of the store (docs/METRICS.md "Satisfaction": `csat.v1`,
//! `csat_response_rate.v1`, `nps.v1`), for the tickets that have any: one [`SurveyFact`] per
//! survey sent or answered (56 bytes) for the response rate and for the reports, which read a
//! ticket's rating as of an instant (a bake-off's CSAT and response rate, an evidence report's
//! ratings: `bake_off.rs`, `evidence.rs`), and one [`RatingRow`] per ticket with a rating (32
//! bytes) for CSAT and NPS now. Each is credited to the survey's team and assignee at the solve
//! it asked about, with that team's sourcing and that assignee's employment type **at the
//! solve** (`team_sourcing_periods`, `user_periods`; docs/METRICS.md §7): a later change of
//! sourcing moves no rating. Surveys neither sent nor answered count in no figure and are not
//! held. Loaded with the tickets.
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
use diesel::sql_types::{SmallInt, Timestamptz};

/// A missing NPS answer in [`RatingRow::nps`].
const NO_NPS: u8 = u8::MAX;

/// One survey sent or answered, packed (56 bytes). Instants in microseconds since the Unix
/// epoch (UTC), [`NONE`] for NULL. An answer always has a score (the table's `CHECK`).
#[derive(Debug, Clone, Copy)]
pub(super) struct SurveyFact {
    /// `surveys.id`, `ticket_id`.
    pub(super) id: i64,
    pub(super) ticket_id: i64,
    /// `sent_at`: in the response rate's period by it.
    pub(super) sent: i64,
    /// `answered_at`.
    pub(super) answered: i64,
    /// `solved_at`: the solve it asked about.
    pub(super) solved: i64,
    /// Team and assignee at the solve (interned in [`Content::ids`], 0 = NULL).
    pub(super) team: u32,
    pub(super) assignee: u32,
    /// The team's sourcing and the assignee's employment type at the solve (interned in
    /// `Content::labels`, 0 = NULL).
    pub(super) sourcing: u8,
    pub(super) employment: u8,
    /// 1–5, 0 without an answer.
    pub(super) score: u8,
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
    /// Their sourcing and employment type at that solve (interned labels, 0 = NULL).
    pub(super) sourcing: u8,
    pub(super) employment: u8,
    /// 1–5.
    pub(super) score: u8,
    /// 0–10, [`NO_NPS`] without an NPS answer.
    pub(super) nps: u8,
}

const _: () =
    assert!(std::mem::size_of::<SurveyFact>() == 56 && std::mem::size_of::<RatingRow>() == 32);

/// The surveys held: both lists ascending by ticket id (a ticket's surveys in id order).
#[derive(Default)]
pub(super) struct Surveys {
    /// Every survey sent or answered: the response rate's (those sent) and the reports' (a
    /// bake-off's and an evidence report's ratings as of an instant).
    pub(super) held: Vec<SurveyFact>,
    pub(super) ratings: Vec<RatingRow>,
}

/// A ticket's surveys packed: those sent or answered, and its rating.
pub(super) type PackedSurveys = (Vec<SurveyFact>, Vec<RatingRow>);

/// A survey as loaded: what the figures read of it.
#[derive(QueryableByName)]
pub(super) struct SurveyTuple {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    ticket_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    team_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    assignee_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    solved_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    sent_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    answered_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    score: Option<i16>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    nps: Option<i16>,
    /// The team's sourcing and the assignee's employment type at `solved_at`.
    #[diesel(sql_type = Nullable<Text>)]
    sourcing: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    employment: Option<String>,
}

/// The survey columns, with the team's sourcing and the assignee's employment type as of the
/// solve surveyed (the period in force then; none before the first).
pub(super) const SURVEY_CREDIT_SQL: &str = "
       (SELECT p.sourcing::text FROM team_sourcing_periods p
         WHERE p.team_id = s.team_id AND p.valid_from <= s.solved_at
         ORDER BY p.valid_from DESC LIMIT 1) AS sourcing,
       (SELECT p.employment_type::text FROM user_periods p
         WHERE p.user_id = s.assignee_id AND p.valid_from <= s.solved_at
         ORDER BY p.valid_from DESC LIMIT 1) AS employment";

/// Reads the surveys sent or answered of `tickets` (of every ticket for `None`), by ticket and id;
/// none of a ticket merged into another.
pub(super) fn load_surveys(
    conn: &mut PgConnection,
    tickets: Option<&[i64]>,
) -> QueryResult<Vec<SurveyTuple>> {
    use diesel::sql_types::Array;
    let sql = |only: &str| {
        format!(
            "SELECT s.id, s.ticket_id, s.team_id, s.assignee_id, s.solved_at, s.sent_at,
                    s.answered_at,
                    s.score, s.nps, {SURVEY_CREDIT_SQL}
               FROM surveys s
              WHERE (s.sent_at IS NOT NULL OR s.answered_at IS NOT NULL){only}
                -- Not a merged ticket's (a duplicate, in no aggregate: docs/METRICS.md).
                AND NOT EXISTS (SELECT 1 FROM tickets t
                                 WHERE t.id = s.ticket_id AND t.merged_into_id IS NOT NULL)
              ORDER BY s.ticket_id, s.id"
        )
    };
    match tickets {
        Some(ids) => diesel::sql_query(sql(" AND s.ticket_id = ANY($1)"))
            .bind::<Array<BigInt>, _>(ids)
            .load(conn),
        None => diesel::sql_query(sql("")).load(conn),
    }
}

impl Content {
    /// Packs loaded surveys (by ticket, then id): the surveys sent or answered, and each
    /// ticket's rating.
    pub(super) fn pack_surveys(&mut self, loaded: Vec<SurveyTuple>) -> PackedSurveys {
        let mut held: Vec<SurveyFact> = Vec::with_capacity(loaded.len());
        let mut ratings: Vec<RatingRow> = Vec::new();
        // The current ticket's rating so far, with its survey id.
        let mut best: Option<(RatingRow, i64)> = None;
        for survey in loaded {
            let SurveyTuple {
                id,
                ticket_id,
                solved_at,
                sent_at,
                answered_at,
                score,
                nps,
                ..
            } = survey;
            if best.is_some_and(|(r, _)| r.ticket_id != ticket_id) {
                ratings.extend(best.take().map(|(r, _)| r));
            }
            let (team, assignee) = (
                self.ids.intern(survey.team_id),
                self.ids.intern(survey.assignee_id),
            );
            let (sourcing, employment) = (
                self.labels.intern(survey.sourcing),
                self.labels.intern(survey.employment),
            );
            let small =
                |v: Option<i16>, none: u8| v.and_then(|v| u8::try_from(v).ok()).unwrap_or(none);
            held.push(SurveyFact {
                id,
                ticket_id,
                sent: sent_at.map_or(NONE, |t| t.timestamp_micros()),
                answered: answered_at.map_or(NONE, |t| t.timestamp_micros()),
                solved: solved_at.timestamp_micros(),
                team,
                assignee,
                sourcing,
                employment,
                score: small(score, 0),
            });
            let Some(at) = answered_at.map(|t| t.timestamp_micros()) else {
                continue;
            };
            if best.is_none_or(|(r, sid)| (at, id) > (r.answered, sid)) {
                let rating = RatingRow {
                    ticket_id,
                    answered: at,
                    team,
                    assignee,
                    sourcing,
                    employment,
                    score: small(score, 0),
                    nps: small(nps, NO_NPS),
                };
                best = Some((rating, id));
            }
        }
        ratings.extend(best.map(|(r, _)| r));
        (held, ratings)
    }

    /// Replaces every survey of `tickets` with `packed` (all of them for `None`).
    pub(super) fn set_surveys(&mut self, tickets: Option<&[i64]>, packed: PackedSurveys) {
        let (held, ratings) = packed;
        let surveys = &mut self.surveys;
        match tickets {
            None => {
                surveys.held = held;
                surveys.ratings = ratings;
            }
            Some(ids) => {
                let ids: std::collections::HashSet<i64> = ids.iter().copied().collect();
                surveys.held.retain(|s| !ids.contains(&s.ticket_id));
                surveys.held.extend(held);
                // Stable: a ticket's surveys stay in id order.
                surveys.held.sort_by_key(|s| s.ticket_id);
                surveys.ratings.retain(|r| !ids.contains(&r.ticket_id));
                surveys.ratings.extend(ratings);
                surveys.ratings.sort_by_key(|r| r.ticket_id);
            }
        }
        surveys.held.shrink_to_fit();
        surveys.ratings.shrink_to_fit();
    }

    /// Heap bytes of the surveys (part of [`Content::heap_bytes`]).
    pub(super) fn survey_heap_bytes(&self) -> usize {
        let s = &self.surveys;
        s.held.capacity() * std::mem::size_of::<SurveyFact>()
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
