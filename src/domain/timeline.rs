//! Business time across calendar changes (docs/METRICS.md §3 "Which calendar"; shared METRICS.md
//! "Business calendars": *the calendar used is the one assigned to the ticket while each segment
//! elapsed; a change of calendar applies from the change on, never backwards*).
//!
//! A [`CalendarTimeline`] is a sequence of periods, each measured on one [`BusinessCalendar`]:
//! `[from₀ = −∞, from₁)`, `[from₁, from₂)`, …, `[fromₙ, +∞)`. The business seconds of `[A, B)`
//! are the sum over the periods of the business seconds of the part of `[A, B)` inside each,
//! measured on that period's calendar; a due instant walks forward through the periods. With one
//! period it is exactly that calendar.
//!
//! [`BusinessTime`] is what the per-ticket projections (metrics §4, SLA clocks §5, field metrics
//! §8) need from either: a single calendar (tests, the seed, which never changes a calendar) or a
//! ticket's timeline.

use super::calendar::BusinessCalendar;
use super::ticket::{EventKind, TicketEvent};
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Business seconds and due instants: a [`BusinessCalendar`], or a [`CalendarTimeline`] of them.
pub trait BusinessTime {
    /// Business seconds of `[a, b)` (0 when `b ≤ a`), each instant taken to the whole second.
    fn business_seconds(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64;
    /// The earliest instant `D ≥ a` with `business_seconds(a, D) = n` (for `n ≤ 0`, `a` to the
    /// second); `None` only when it lies more than 100 years ahead.
    fn due(&self, a: DateTime<Utc>, n: i64) -> Option<DateTime<Utc>>;
}

impl BusinessTime for BusinessCalendar {
    fn business_seconds(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        BusinessCalendar::business_seconds(self, a, b)
    }

    fn due(&self, a: DateTime<Utc>, n: i64) -> Option<DateTime<Utc>> {
        BusinessCalendar::due(self, a, n)
    }
}

/// The calendars in force over time: period `i` runs from `starts[i]` (the first from −∞) to the
/// next period's start. Cheap to clone (the calendars are shared).
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarTimeline {
    /// `(start, calendar)`, starts strictly increasing; the first start is ignored (−∞).
    periods: Vec<(DateTime<Utc>, Arc<BusinessCalendar>)>,
}

impl CalendarTimeline {
    /// One calendar for all time.
    pub fn fixed(calendar: Arc<BusinessCalendar>) -> CalendarTimeline {
        CalendarTimeline {
            periods: vec![(DateTime::<Utc>::MIN_UTC, calendar)],
        }
    }

    /// A timeline from `first` (in force until the first change, and before it for all time) and
    /// `changes`: `(instant, calendar in force from then on)`, in any order. Instants are taken to
    /// the whole second; of two changes at one instant the later in `changes` wins; a change to
    /// the calendar already in force is dropped.
    pub fn new(
        first: Arc<BusinessCalendar>,
        changes: impl IntoIterator<Item = (DateTime<Utc>, Arc<BusinessCalendar>)>,
    ) -> CalendarTimeline {
        let mut changes: Vec<_> = changes
            .into_iter()
            .map(|(at, c)| (at.trunc_subsecs(0), c))
            .collect();
        // Stable: equal instants keep their given order, so the last given wins below.
        changes.sort_by_key(|(at, _)| *at);
        let mut periods = vec![(DateTime::<Utc>::MIN_UTC, first)];
        for (at, calendar) in changes {
            if let Some(last) = periods.last_mut()
                && last.0 == at
            {
                last.1 = calendar;
            } else {
                periods.push((at, calendar));
            }
            // Merge a period into its predecessor when both use the same calendar.
            if periods.len() >= 2 {
                let n = periods.len();
                if periods[n - 2].1 == periods[n - 1].1 {
                    periods.pop();
                }
            }
        }
        CalendarTimeline { periods }
    }

    /// The periods: `(start, calendar)`, the first start being `DateTime::MIN_UTC` (−∞).
    pub fn periods(&self) -> &[(DateTime<Utc>, Arc<BusinessCalendar>)] {
        &self.periods
    }

    /// The calendar in force at `t`.
    pub fn at(&self, t: DateTime<Utc>) -> &BusinessCalendar {
        let i = self.periods.partition_point(|(start, _)| *start <= t);
        &self.periods[i.saturating_sub(1)].1
    }

    /// The calendar in force at `t`, shared.
    pub fn at_shared(&self, t: DateTime<Utc>) -> Arc<BusinessCalendar> {
        let i = self.periods.partition_point(|(start, _)| *start <= t);
        self.periods[i.saturating_sub(1)].1.clone()
    }

    /// Period `i` as `[start, end)`, `end` `None` for the last (open-ended).
    fn span(&self, i: usize) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        (self.periods[i].0, self.periods.get(i + 1).map(|p| p.0))
    }
}

impl BusinessTime for CalendarTimeline {
    fn business_seconds(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        let (a, b) = (a.trunc_subsecs(0), b.trunc_subsecs(0));
        if b <= a {
            return 0;
        }
        let first = self.periods.partition_point(|(start, _)| *start <= a);
        let mut total = 0;
        for i in first.saturating_sub(1)..self.periods.len() {
            let (start, end) = self.span(i);
            if start >= b {
                break;
            }
            let lo = a.max(start);
            let hi = end.map_or(b, |e| e.min(b));
            if lo < hi {
                total += self.periods[i].1.business_seconds(lo, hi);
            }
        }
        total
    }

    fn due(&self, a: DateTime<Utc>, n: i64) -> Option<DateTime<Utc>> {
        let a = a.trunc_subsecs(0);
        if n <= 0 {
            return Some(a);
        }
        let first = self.periods.partition_point(|(start, _)| *start <= a);
        let mut remaining = n;
        let mut t = a;
        for i in first.saturating_sub(1)..self.periods.len() {
            let calendar = &self.periods[i].1;
            match self.span(i).1 {
                // The period ends: the target falls due in it when it holds enough business time.
                Some(end) => {
                    let here = calendar.business_seconds(t, end);
                    if here >= remaining {
                        return calendar.due(t, remaining);
                    }
                    remaining -= here;
                    t = end;
                }
                None => return calendar.due(t, remaining),
            }
        }
        None
    }
}

/// The team a ticket had before each change of its team in `log` (`field_changed` events of
/// `team_id`), as `(from, team)`: the first from −∞ (`DateTime::MIN_UTC`). `current` is the
/// ticket's team now, the only team when the log records no change.
pub fn team_segments(
    log: &[TicketEvent],
    current: Option<i64>,
) -> Vec<(DateTime<Utc>, Option<i64>)> {
    let changes: Vec<(DateTime<Utc>, Option<i64>, Option<i64>)> = log
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::FieldChanged { field, from, to } if field == "team_id" => {
                Some((e.occurred_at, from.as_i64(), to.as_i64()))
            }
            _ => None,
        })
        .collect();
    let first = changes.first().map_or(current, |(_, from, _)| *from);
    let mut segments = vec![(DateTime::<Utc>::MIN_UTC, first)];
    segments.extend(changes.into_iter().map(|(at, _, to)| (at, to)));
    segments
}

/// A ticket's calendar timeline (docs/METRICS.md §3): while it belonged to a team, the calendar
/// that team had at each instant (`teams`: each team's own timeline; a team without one, or no
/// team, measures 24/7 in UTC). `log` is the ticket's event log, `current` its team now.
pub fn of_ticket(
    log: &[TicketEvent],
    current: Option<i64>,
    teams: &HashMap<i64, CalendarTimeline>,
    always_open: &Arc<BusinessCalendar>,
) -> CalendarTimeline {
    let segments = team_segments(log, current);
    let team_timeline = |team: Option<i64>| team.and_then(|t| teams.get(&t));
    let calendar_at = |team: Option<i64>, t: DateTime<Utc>| {
        team_timeline(team).map_or_else(|| always_open.clone(), |tl| tl.at_shared(t))
    };
    let first = calendar_at(segments[0].1, DateTime::<Utc>::MIN_UTC);
    let mut changes = Vec::new();
    for (i, &(start, team)) in segments.iter().enumerate() {
        let end = segments.get(i + 1).map(|s| s.0);
        if i > 0 {
            changes.push((start, calendar_at(team, start)));
        }
        if let Some(tl) = team_timeline(team) {
            for (from, calendar) in tl.periods.iter().skip(1) {
                if *from > start && end.is_none_or(|e| *from < e) {
                    changes.push((*from, calendar.clone()));
                }
            }
        }
    }
    CalendarTimeline::new(first, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{DAY, Interval};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    /// Monday–Friday 09:00–17:00 in `zone`.
    fn office(zone: &str) -> Arc<BusinessCalendar> {
        let day = || {
            vec![Interval {
                start: 9 * 3600,
                end: 17 * 3600,
            }]
        };
        let week = [day(), day(), day(), day(), day(), vec![], vec![]];
        Arc::new(BusinessCalendar::new(zone, week, []).unwrap())
    }

    fn open() -> Arc<BusinessCalendar> {
        Arc::new(BusinessCalendar::always_open())
    }

    #[test]
    fn a_change_applies_from_its_instant_on_never_backwards() {
        // 24/7 until Wednesday 2024-01-03 12:00 UTC, then an office in UTC.
        let t = CalendarTimeline::new(open(), [(utc(2024, 1, 3, 12, 0), office("UTC"))]);
        // Monday 00:00 → Wednesday 12:00: 60 h of 24/7 time = 216,000 s.
        assert_eq!(
            t.business_seconds(utc(2024, 1, 1, 0, 0), utc(2024, 1, 3, 12, 0)),
            216_000
        );
        // Monday 00:00 → Thursday 12:00: 216,000 + Wed 12–17 (5 h) + Thu 09–12 (3 h) = 244,800.
        assert_eq!(
            t.business_seconds(utc(2024, 1, 1, 0, 0), utc(2024, 1, 4, 12, 0)),
            216_000 + 8 * 3600
        );
        // The office alone would have given Mon 8 h + Tue 8 h + Wed 8 h + Thu 3 h = 27 h.
        assert_eq!(
            office("UTC").business_seconds(utc(2024, 1, 1, 0, 0), utc(2024, 1, 4, 12, 0)),
            27 * 3600
        );
        assert_eq!(t.at(utc(2020, 1, 1, 0, 0)), &*open());
        assert_eq!(t.at(utc(2024, 1, 3, 12, 0)), &*office("UTC"));
    }

    #[test]
    fn a_due_instant_walks_across_the_change() {
        let t = CalendarTimeline::new(open(), [(utc(2024, 1, 3, 12, 0), office("UTC"))]);
        // 8 h from Wednesday 08:00: 4 h of 24/7 (to 12:00), then 4 office hours: 12:00 → 16:00.
        assert_eq!(
            t.due(utc(2024, 1, 3, 8, 0), 8 * 3600),
            Some(utc(2024, 1, 3, 16, 0))
        );
        // 10 h from Wednesday 08:00: 4 h + Wed 12–17 (5 h) + 1 h on Thursday: Thu 10:00.
        assert_eq!(
            t.due(utc(2024, 1, 3, 8, 0), 10 * 3600),
            Some(utc(2024, 1, 4, 10, 0))
        );
        // Exactly the 24/7 part: due at the change.
        assert_eq!(
            t.due(utc(2024, 1, 3, 8, 0), 4 * 3600),
            Some(utc(2024, 1, 3, 12, 0))
        );
        assert_eq!(t.due(utc(2024, 1, 3, 8, 0), 0), Some(utc(2024, 1, 3, 8, 0)));
    }

    #[test]
    fn changes_at_one_instant_and_to_the_same_calendar_collapse() {
        let at = utc(2024, 1, 3, 12, 0);
        let t = CalendarTimeline::new(open(), [(at, office("UTC")), (at, office("Europe/Paris"))]);
        assert_eq!(t.periods().len(), 2);
        assert_eq!(t.at(at), &*office("Europe/Paris"));
        let same = CalendarTimeline::new(open(), [(at, open())]);
        assert_eq!(same, CalendarTimeline::fixed(open()));
    }

    #[test]
    fn a_zone_change_on_a_dst_day_measures_each_side_on_its_own_zone() {
        // Open all day in America/Chicago until 2024-03-10 12:00 UTC, then open all day in UTC.
        // Before the change, [Mar 10 00:00, 12:00) UTC is Chicago's Sat 18:00 CST → Sun 07:00
        // CDT: 6 h + 2 h + (02:00 skipped) 4 h = 12 h of wall-clock business time; after it,
        // [12:00, 24:00) UTC is 12 h. Total 86,400 s.
        let all_day = |zone: &str| {
            let day = || vec![Interval { start: 0, end: DAY }];
            Arc::new(BusinessCalendar::new(zone, std::array::from_fn(|_| day()), []).unwrap())
        };
        let t = CalendarTimeline::new(
            all_day("America/Chicago"),
            [(utc(2024, 3, 10, 12, 0), all_day("UTC"))],
        );
        assert_eq!(
            t.business_seconds(utc(2024, 3, 10, 0, 0), utc(2024, 3, 11, 0, 0)),
            86_400
        );
        // Chicago's own Sunday (00:00 CST = 06:00 UTC → Monday 00:00 CDT = 05:00 UTC) is 23 h
        // long; with the change at 12:00 UTC it is 6 h on Chicago's wall clock (00:00 → 07:00
        // CDT without 02:00) plus 17 h in UTC: still 23 h, each part on its own calendar.
        assert_eq!(
            t.business_seconds(utc(2024, 3, 10, 6, 0), utc(2024, 3, 11, 5, 0)),
            23 * 3600
        );
    }

    fn event(at: DateTime<Utc>, kind: crate::domain::ticket::EventKind) -> TicketEvent {
        TicketEvent {
            occurred_at: at,
            actor: None,
            kind,
        }
    }

    #[test]
    fn a_ticket_is_measured_on_each_team_s_calendar_as_it_was_while_it_belonged_to_it() {
        use crate::domain::ticket::EventKind;
        // Team 1: 24/7 until Thu 2024-01-04 00:00 UTC, an office after. Team 2: an office in
        // UTC all along. The ticket starts in team 1 and moves to team 2 on Wed 12:00.
        let teams: HashMap<i64, CalendarTimeline> = [
            (
                1,
                CalendarTimeline::new(open(), [(utc(2024, 1, 4, 0, 0), office("UTC"))]),
            ),
            (2, CalendarTimeline::fixed(office("UTC"))),
        ]
        .into();
        let log = vec![
            event(
                utc(2024, 1, 1, 0, 0),
                EventKind::Created {
                    agent_created: false,
                    with_public_agent_comment: false,
                },
            ),
            event(
                utc(2024, 1, 3, 12, 0),
                EventKind::FieldChanged {
                    field: "team_id".into(),
                    from: serde_json::json!(1),
                    to: serde_json::json!(2),
                },
            ),
        ];
        let t = of_ticket(&log, Some(2), &teams, &open());
        // Mon 00:00 → Wed 12:00 on team 1's 24/7 (60 h), then team 2's office: Wed 12–17 (5 h),
        // Thu 09–12 (3 h). Team 1's own change on Thursday does not apply: the ticket left it.
        assert_eq!(
            t.business_seconds(utc(2024, 1, 1, 0, 0), utc(2024, 1, 4, 12, 0)),
            68 * 3600
        );
        assert_eq!(t.periods().len(), 2);
        // Without a recorded move, the current team's timeline from −∞.
        let t = of_ticket(&log[..1], Some(1), &teams, &open());
        assert_eq!(
            t.business_seconds(utc(2024, 1, 3, 0, 0), utc(2024, 1, 4, 12, 0)),
            24 * 3600 + 3 * 3600
        );
        // No team, or a team without a timeline: 24/7.
        let t = of_ticket(&log[..1], Some(9), &teams, &open());
        assert_eq!(t, CalendarTimeline::fixed(open()));
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2023-12-25 … 2024-01-22, minute steps.
        (0i64..40_320).prop_map(|m| utc(2023, 12, 25, 0, 0) + chrono::Duration::minutes(m))
    }

    proptest! {
        /// Business time adds up across any split point, and a due instant is the earliest
        /// instant with exactly that many business seconds.
        #[test]
        fn additive_and_due_is_the_inverse(a in instant(), b in instant(), m in instant(),
                                           c1 in instant(), c2 in instant(), n in 0i64..200_000) {
            let t = CalendarTimeline::new(open(), [(c1, office("America/Chicago")), (c2, office("UTC"))]);
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            let m = m.clamp(a, b);
            prop_assert_eq!(t.business_seconds(a, b), t.business_seconds(a, m) + t.business_seconds(m, b));
            let d = t.due(a, n).unwrap();
            prop_assert_eq!(t.business_seconds(a, d), n);
            if d > a {
                prop_assert!(t.business_seconds(a, d - chrono::Duration::seconds(1)) < n);
            }
        }
    }
}
