//! The demo company's training records, and the effect built into its tickets on purpose, so that
//! the training-effect report (docs/METRICS.md §11) has something to find.
//!
//! | course | who completed it | built-in effect |
//! |---|---|---|
//! | [`EFFECT_COURSE`] | 6 in-house and 6 outsourced agents, on dates spread over days 60–191 of the window | from the day after completion, their replies take [`TRAINED_REPLY_FACTOR`] of the time and their solves reopen at [`TRAINED_REOPEN_FACTOR`] of the rate |
//! | [`PLACEBO_COURSE`] | 4 in-house and 4 outsourced agents who never took the first course, on dates spread over days 250–305 | none |
//! | [`RETIRED_COURSE`] (inactive) | nobody | none |
//!
//! The two other agents of each team take no course. Nobody's behaviour changes inside the
//! placebo course's windows (8 weeks or fewer): every completion of the first course lies at least
//! 8 weeks before the earliest placebo completion, so the placebo's comparison group is stable and
//! its estimate should be near 0. Who trains, when, and the scores come from one generator seeded
//! with the run's seed; the effect itself draws nothing (it scales the ticket generator's own
//! draws), so an untrained agent's tickets are the same with or without it.

use super::tickets::World;
use crate::domain::ticket::StaffId;
use crate::schema::{training_completions, training_courses};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// The course with a built-in effect.
pub const EFFECT_COURSE: &str = "Customer service excellence";
/// A course completed by some agents, with no effect (a placebo for the report).
pub const PLACEBO_COURSE: &str = "Workplace safety";
/// An inactive course nobody completed.
pub const RETIRED_COURSE: &str = "Legacy billing system";

/// A trained agent's reply times are multiplied by this from the day after completion.
pub const TRAINED_REPLY_FACTOR: f64 = 0.5;
/// A trained agent's chance of a reopen after a solve is multiplied by this from the day after
/// completion.
pub const TRAINED_REOPEN_FACTOR: f64 = 0.4;

/// One planned completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The course's name.
    pub course: &'static str,
    /// The agent.
    pub staff: StaffId,
    /// Days after the window's start.
    pub day: i64,
    /// Score, 0–100.
    pub score: Option<i16>,
}

/// Which agents complete which course, when and with what score (module documentation), from
/// `seed` and the two teams' agents in hiring order.
pub fn plan(seed: u64, in_house: &[StaffId], outsourced: &[StaffId]) -> Vec<Planned> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7EA1_0013);
    let mut shuffled = |agents: &[StaffId]| {
        let mut v = agents.to_vec();
        // Fisher–Yates with our own index draws (`rand`'s shuffle may change between versions).
        for i in (1..v.len()).rev() {
            let j = rng.random_range(0..=i);
            v.swap(i, j);
        }
        v
    };
    let (a, b) = (shuffled(in_house), shuffled(outsourced));
    let interleave = |from: usize, to: usize| -> Vec<StaffId> {
        (from..to)
            .flat_map(|i| [a.get(i).copied(), b.get(i).copied()])
            .flatten()
            .collect()
    };
    let mut planned = Vec::new();
    for (k, staff) in interleave(0, 6).into_iter().enumerate() {
        let day = 60 + 11 * k as i64 + rng.random_range(0..=10);
        let score = Some(rng.random_range(60..=100));
        planned.push(Planned {
            course: EFFECT_COURSE,
            staff,
            day,
            score,
        });
    }
    for (k, staff) in interleave(6, 10).into_iter().enumerate() {
        let day = 250 + 7 * k as i64 + rng.random_range(0..=6);
        let score = (rng.random::<f64>() < 0.5).then(|| rng.random_range(50..=100));
        planned.push(Planned {
            course: PLACEBO_COURSE,
            staff,
            day,
            score,
        });
    }
    planned
}

/// The completion date of a planned completion in a window starting at `start` (UTC).
fn date_of(start: DateTime<Utc>, day: i64) -> NaiveDate {
    (start + Duration::days(day)).date_naive()
}

/// Writes the courses and the planned completions (found again with `--append`), recorded by
/// `recorded_by`; returns the instant each agent's training takes effect (the start of the day
/// after their completion of [`EFFECT_COURSE`], UTC), for [`World::training`].
///
/// # Errors
/// Database errors.
pub(super) fn write_training(
    conn: &mut PgConnection,
    world: &World,
    recorded_by: Option<i64>,
) -> QueryResult<BTreeMap<StaffId, DateTime<Utc>>> {
    let ids = |team: &super::tickets::TeamInfo| -> Vec<StaffId> {
        team.agents.iter().map(|(id, _)| *id).collect()
    };
    let planned = plan(world.seed, &ids(&world.in_house), &ids(&world.outsourced));
    let mut course_ids = BTreeMap::new();
    for (name, description, active) in [
        (
            EFFECT_COURSE,
            "Ownership, clear writing and resolving on the first contact.",
            true,
        ),
        (
            PLACEBO_COURSE,
            "Ergonomics and safety in the contact center.",
            true,
        ),
        (
            RETIRED_COURSE,
            "The billing system replaced last year.",
            false,
        ),
    ] {
        diesel::sql_query(
            "INSERT INTO training_courses (name, description, active) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .bind::<diesel::sql_types::Text, _>(description)
        .bind::<diesel::sql_types::Bool, _>(active)
        .execute(conn)?;
        let id: i64 = training_courses::table
            .filter(training_courses::name.eq(name))
            .select(training_courses::id)
            .first(conn)?;
        course_ids.insert(name, id);
    }
    let rows: Vec<_> = planned
        .iter()
        .filter_map(|p| {
            Some((
                training_completions::course_id.eq(*course_ids.get(p.course)?),
                training_completions::user_id.eq(p.staff),
                training_completions::completed_on.eq(date_of(world.start, p.day)),
                training_completions::score.eq(p.score),
                training_completions::recorded_by.eq(recorded_by),
            ))
        })
        .collect();
    diesel::insert_into(training_completions::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(planned
        .iter()
        .filter(|p| p.course == EFFECT_COURSE)
        .map(|p| (p.staff, world.start + Duration::days(p.day + 1)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_trains_half_of_each_team_before_the_placebo_course_and_is_deterministic() {
        let in_house: Vec<StaffId> = (1..=12).collect();
        let outsourced: Vec<StaffId> = (101..=112).collect();
        let p = plan(42, &in_house, &outsourced);
        assert_eq!(p, plan(42, &in_house, &outsourced));
        assert_ne!(p, plan(43, &in_house, &outsourced));
        let of =
            |course: &str| -> Vec<&Planned> { p.iter().filter(|x| x.course == course).collect() };
        let (effect, placebo) = (of(EFFECT_COURSE), of(PLACEBO_COURSE));
        assert_eq!((effect.len(), placebo.len()), (12, 8));
        assert_eq!(effect.iter().filter(|x| x.staff < 100).count(), 6);
        assert_eq!(placebo.iter().filter(|x| x.staff < 100).count(), 4);
        // Nobody takes both; the placebo windows (8 weeks) start after every effect.
        assert!(
            placebo
                .iter()
                .all(|x| effect.iter().all(|e| e.staff != x.staff))
        );
        let last_effect = effect.iter().map(|x| x.day + 1).max().unwrap();
        let first_placebo = placebo.iter().map(|x| x.day).min().unwrap();
        assert!(
            first_placebo - 56 >= last_effect,
            "{last_effect} {first_placebo}"
        );
        // Every window of 8 weeks lies inside the 365-day window.
        assert!(effect.iter().all(|x| x.day >= 56));
        assert!(placebo.iter().all(|x| x.day + 1 + 56 <= 365));
        assert!(
            effect
                .iter()
                .all(|x| x.score.is_some_and(|s| (60..=100).contains(&s)))
        );
    }
}
