//! Business time (docs/METRICS.md §3 `business_time`): the seconds of `[A, B)` that fall inside a
//! calendar's weekly opening intervals, outside its holidays, evaluated on the wall clock of the
//! calendar's IANA time zone; and the due instant of a target of N business seconds.
//!
//! How DST is handled: the UTC timeline is cut where the zone's UTC offset changes; within each
//! piece local time is UTC plus a fixed offset, so business time there is plain wall-clock
//! arithmetic. Consequences, as docs/METRICS.md §3 states: a calendar open all day has a 23-hour
//! day in spring and a 25-hour day in autumn; an hour skipped by spring-forward is never business
//! time; an hour repeated by fall-back counts twice when it is inside opening hours. A 24/7
//! calendar gives business time equal to calendar time, to the second.
//!
//! Everything here is pure: time is a parameter. Instants are taken to the whole second (rounded
//! down), so every result is exact in whole seconds.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, SubsecRound, TimeZone, Utc,
};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Seconds in a day (the end of an interval that closes at 24:00).
pub const DAY: u32 = 86_400;

/// One opening interval of a weekday, in seconds after local midnight: `[start, end)`,
/// `end ≤ 86400` (24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// Opening, seconds after midnight.
    pub start: u32,
    /// Closing, seconds after midnight (86400 = 24:00).
    pub end: u32,
}

/// Why a calendar definition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not an IANA time zone name.
    #[error("`{0}` is not an IANA time zone")]
    UnknownZone(String),
    /// An interval is empty, reversed or past 24:00.
    #[error("interval {start}–{end} s on weekday {weekday} must satisfy start < end ≤ 86400")]
    BadInterval {
        /// 0 = Monday … 6 = Sunday.
        weekday: usize,
        /// Start, seconds.
        start: u32,
        /// End, seconds.
        end: u32,
    },
    /// Two intervals of one weekday overlap.
    #[error("intervals on weekday {0} overlap")]
    Overlap(usize),
    /// No interval at all: no target could ever be due.
    #[error("a calendar needs at least one opening interval")]
    NeverOpen,
}

/// A business calendar: zone, weekly opening intervals, holidays (whole local days closed).
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    zone: Tz,
    /// Index 0 = Monday … 6 = Sunday; sorted, non-overlapping.
    week: [Vec<Interval>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Builds a calendar. `week[0]` is Monday. Intervals of a day are sorted here; touching
    /// intervals (09:00–12:00 and 12:00–17:00) are allowed.
    ///
    /// # Errors
    /// [`CalendarError`] for an unknown zone, a bad or overlapping interval, or no interval.
    pub fn new(
        zone: &str,
        week: [Vec<Interval>; 7],
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let zone: Tz = zone
            .parse()
            .map_err(|_| CalendarError::UnknownZone(zone.to_string()))?;
        let mut week = week;
        for (weekday, day) in week.iter_mut().enumerate() {
            day.sort();
            for i in day.iter() {
                if i.start >= i.end || i.end > DAY {
                    return Err(CalendarError::BadInterval {
                        weekday,
                        start: i.start,
                        end: i.end,
                    });
                }
            }
            if day.windows(2).any(|w| w[0].end > w[1].start) {
                return Err(CalendarError::Overlap(weekday));
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NeverOpen);
        }
        Ok(BusinessCalendar {
            zone,
            week,
            holidays: holidays.into_iter().collect(),
        })
    }

    /// A calendar open around the clock every day, in UTC: business time = calendar time.
    pub fn always_open() -> BusinessCalendar {
        BusinessCalendar {
            zone: Tz::UTC,
            week: std::array::from_fn(|_| vec![Interval { start: 0, end: DAY }]),
            holidays: BTreeSet::new(),
        }
    }

    /// The calendar's time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    fn offset_at(&self, t: DateTime<Utc>) -> i64 {
        i64::from(
            self.zone
                .offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    }

    /// The end of the constant-offset piece that starts at `t`, no later than `limit`: the
    /// first zone transition after `t` (see [`transitions_of_year`]), or `limit`.
    fn piece_end(&self, t: DateTime<Utc>, limit: DateTime<Utc>) -> DateTime<Utc> {
        if limit <= t {
            return limit;
        }
        let (from, to) = (t.timestamp(), limit.timestamp());
        for year in t.year()..=limit.year() {
            let list = transitions_of_year(self.zone, year);
            if let Some(&x) = list.iter().find(|&&x| x > from) {
                return if x >= to {
                    limit
                } else {
                    Utc.timestamp_opt(x, 0).single().unwrap_or(limit)
                };
            }
        }
        limit
    }

    /// The opening intervals of a local date (none on a holiday).
    fn intervals_of(&self, date: NaiveDate) -> &[Interval] {
        if self.holidays.contains(&date) {
            return &[];
        }
        let index = date.weekday().num_days_from_monday() as usize;
        self.week.get(index).map_or(&[], Vec::as_slice)
    }

    /// Business seconds in the naive local range `[x, y)`.
    fn naive_business(&self, x: NaiveDateTime, y: NaiveDateTime) -> i64 {
        let mut total = Duration::zero();
        let mut date = x.date();
        while date <= y.date() {
            let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
            for i in self.intervals_of(date) {
                let open = midnight + Duration::seconds(i64::from(i.start));
                let close = midnight + Duration::seconds(i64::from(i.end));
                let (lo, hi) = (open.max(x), close.min(y));
                if hi > lo {
                    total += hi - lo;
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        total.num_seconds()
    }

    /// Business seconds of `[a, b)`; 0 when `b ≤ a`. Both instants are taken to the whole
    /// second (rounded down), like every duration of docs/METRICS.md.
    pub fn business_seconds(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        let (a, b) = (a.trunc_subsecs(0), b.trunc_subsecs(0));
        let mut total = 0;
        let mut t = a;
        while t < b {
            let end = self.piece_end(t, b);
            let offset = Duration::seconds(self.offset_at(t));
            total += self.naive_business(t.naive_utc() + offset, end.naive_utc() + offset);
            t = end;
        }
        total
    }

    /// The earliest instant `D ≥ a` with `business_seconds(a, D) = n` (for `n ≤ 0`, `a`): the due
    /// instant of a target of `n` business seconds started at `a`. When `a` is outside opening
    /// hours the clock starts at the next opening. `None` only if the target lies more than
    /// 100 years ahead.
    pub fn due(&self, a: DateTime<Utc>, n: i64) -> Option<DateTime<Utc>> {
        let a = a.trunc_subsecs(0);
        if n <= 0 {
            return Some(a);
        }
        let horizon = a + Duration::days(366 * 100);
        let mut remaining = Duration::seconds(n);
        let mut t = a;
        while t < horizon {
            let piece_end = self.piece_end(t, t + Duration::days(400));
            let offset = Duration::seconds(self.offset_at(t));
            let (x, y) = (t.naive_utc() + offset, piece_end.naive_utc() + offset);
            let mut date = x.date();
            while date <= y.date() {
                let midnight = date.and_hms_opt(0, 0, 0)?;
                for i in self.intervals_of(date) {
                    let open = midnight + Duration::seconds(i64::from(i.start));
                    let close = midnight + Duration::seconds(i64::from(i.end));
                    let (lo, hi) = (open.max(x), close.min(y));
                    if hi > lo {
                        if hi - lo >= remaining {
                            let local = lo + remaining;
                            return Some(Utc.from_utc_datetime(&(local - offset)));
                        }
                        remaining -= hi - lo;
                    }
                }
                date = date.succ_opt()?;
            }
            t = piece_end;
        }
        None
    }
}

fn offset_of(zone: Tz, t: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The instants (UTC, whole seconds) in `(start of year, start of next year]` at which `zone`'s
/// UTC offset changes, each the first second with the new offset. Found once per zone and year
/// by day-long probes (offsets change at most a few times a year, so a day holds at most one
/// change) and a binary search to the second, then kept for the life of the process.
fn transitions_of_year(zone: Tz, year: i32) -> std::sync::Arc<Vec<i64>> {
    use std::collections::HashMap;
    use std::sync::{Arc, OnceLock, RwLock};
    type Cache = RwLock<HashMap<(Tz, i32), Arc<Vec<i64>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(HashMap::new()));
    if let Ok(map) = cache.read()
        && let Some(list) = map.get(&(zone, year))
    {
        return Arc::clone(list);
    }
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d))
    };
    let mut list = Vec::new();
    if let (Some(first), Some(end)) = (start(year), start(year + 1)) {
        let mut probe = first;
        let mut offset = offset_of(zone, probe);
        while probe < end {
            let next = (probe + Duration::days(1)).min(end);
            let next_offset = offset_of(zone, next);
            if next_offset != offset {
                let (mut lo, mut hi) = (probe, next);
                while (hi - lo).num_seconds() > 1 {
                    let mid = lo + Duration::seconds((hi - lo).num_seconds() / 2);
                    if offset_of(zone, mid) == offset {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                list.push(hi.timestamp());
                offset = next_offset;
            }
            probe = next;
        }
    }
    let list = Arc::new(list);
    if let Ok(mut map) = cache.write() {
        map.insert((zone, year), Arc::clone(&list));
    }
    list
}

/// Parses `HH:MM` (00:00–24:00) into seconds after midnight.
///
/// # Errors
/// A message when the text is not a time of day.
pub fn parse_clock(s: &str) -> Result<u32, String> {
    let bad = || format!("`{s}` is not a time HH:MM between 00:00 and 24:00");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn hours(h: u32) -> u32 {
        h * 3600
    }

    fn iv(start: u32, end: u32) -> Interval {
        Interval { start, end }
    }

    /// Monday–Friday 09:00–17:00 in `zone`.
    fn office(zone: &str) -> BusinessCalendar {
        let day = vec![iv(hours(9), hours(17))];
        BusinessCalendar::new(
            zone,
            [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            [],
        )
        .unwrap()
    }

    fn all_day(zone: &str) -> BusinessCalendar {
        BusinessCalendar::new(zone, std::array::from_fn(|_| vec![iv(0, DAY)]), []).unwrap()
    }

    #[test]
    fn a_working_week_counts_eight_hours_a_day_and_skips_the_weekend() {
        let cal = office("America/Chicago");
        // Friday 2026-03-06 16:00 CST (22:00Z) → Monday 2026-03-09 10:00 CDT (15:00Z):
        // Friday 1 h + Monday 1 h = 7200 s, across the weekend (and the spring-forward night of
        // Sunday 03-08, which is outside opening hours).
        assert_eq!(
            cal.business_seconds(utc("2026-03-06T22:00:00Z"), utc("2026-03-09T15:00:00Z")),
            7200
        );
    }

    #[test]
    fn a_day_open_around_the_clock_has_23_hours_in_spring_and_25_in_autumn_in_two_zones() {
        for (zone, spring_start, spring_end, fall_start, fall_end) in [
            // US: 2026-03-08 and 2026-11-01, local midnight to midnight.
            (
                "America/Chicago",
                "2026-03-08T06:00:00Z",
                "2026-03-09T05:00:00Z",
                "2026-11-01T05:00:00Z",
                "2026-11-02T06:00:00Z",
            ),
            // EU: 2026-03-29 and 2026-10-25.
            (
                "Europe/Rome",
                "2026-03-28T23:00:00Z",
                "2026-03-29T22:00:00Z",
                "2026-10-24T22:00:00Z",
                "2026-10-25T23:00:00Z",
            ),
        ] {
            let cal = all_day(zone);
            assert_eq!(
                cal.business_seconds(utc(spring_start), utc(spring_end)),
                23 * 3600,
                "{zone} spring"
            );
            assert_eq!(
                cal.business_seconds(utc(fall_start), utc(fall_end)),
                25 * 3600,
                "{zone} autumn"
            );
        }
    }

    #[test]
    fn the_hour_skipped_in_spring_is_never_open_and_the_repeated_hour_counts_twice() {
        // Open 01:00–04:00 every day in Chicago.
        let cal = BusinessCalendar::new(
            "America/Chicago",
            std::array::from_fn(|_| vec![iv(hours(1), hours(4))]),
            [],
        )
        .unwrap();
        // 2026-03-08: 02:00–03:00 does not exist: 01:00–04:00 local is 2 real hours.
        assert_eq!(
            cal.business_seconds(utc("2026-03-08T06:00:00Z"), utc("2026-03-09T06:00:00Z")),
            2 * 3600
        );
        // 2026-11-01: 01:00–02:00 happens twice (CDT then CST): 4 real hours.
        assert_eq!(
            cal.business_seconds(utc("2026-11-01T05:00:00Z"), utc("2026-11-02T06:00:00Z")),
            4 * 3600
        );
    }

    #[test]
    fn a_holiday_is_closed_all_day() {
        let day = vec![iv(hours(9), hours(17))];
        let cal = BusinessCalendar::new(
            "Europe/Rome",
            [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            [NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
        )
        .unwrap();
        // Thu 2026-12-24 09:00 → Mon 12-28 09:00 CET: Thursday 8 h, Friday (Christmas) 0 h.
        assert_eq!(
            cal.business_seconds(utc("2026-12-24T08:00:00Z"), utc("2026-12-28T08:00:00Z")),
            8 * 3600
        );
    }

    #[test]
    fn a_ticket_created_on_a_closed_day_starts_its_clock_at_the_next_opening() {
        let cal = office("America/Chicago");
        // Created Saturday 2026-03-14 10:00 CDT (15:00Z). A 2-business-hour target is due
        // Monday 03-16 11:00 CDT = 16:00Z; the weekend counts nothing.
        let created = utc("2026-03-14T15:00:00Z");
        assert_eq!(cal.due(created, 7200), Some(utc("2026-03-16T16:00:00Z")));
        assert_eq!(
            cal.business_seconds(created, utc("2026-03-16T14:00:00Z")),
            0
        );
    }

    #[test]
    fn a_24_7_calendar_crossing_midnight_equals_calendar_time() {
        let cal = BusinessCalendar::always_open();
        let (a, b) = (utc("2026-03-02T23:59:30Z"), utc("2026-03-03T00:00:30Z"));
        assert_eq!(cal.business_seconds(a, b), 60, "no lost minute at midnight");
        assert_eq!(cal.due(a, 60), Some(b));
    }

    #[test]
    fn an_interval_ending_at_24_00_runs_to_midnight_and_joins_the_next_day() {
        // Open 18:00–24:00 and 00:00–06:00 (an overnight desk), UTC.
        let cal = BusinessCalendar::new(
            "UTC",
            std::array::from_fn(|_| vec![iv(0, hours(6)), iv(hours(18), DAY)]),
            [],
        )
        .unwrap();
        assert_eq!(
            cal.business_seconds(utc("2026-03-02T23:00:00Z"), utc("2026-03-03T01:00:00Z")),
            7200
        );
        // 3 h from 22:00: 2 h to midnight, 1 h after → 01:00.
        assert_eq!(
            cal.due(utc("2026-03-02T22:00:00Z"), 3 * 3600),
            Some(utc("2026-03-03T01:00:00Z"))
        );
        // From 05:00, 2 h: 1 h to 06:00, then the 18:00 opening → 19:00.
        assert_eq!(
            cal.due(utc("2026-03-03T05:00:00Z"), 7200),
            Some(utc("2026-03-03T19:00:00Z"))
        );
    }

    #[test]
    fn a_calendar_open_one_weekday_waits_a_week() {
        let cal = BusinessCalendar::new(
            "UTC",
            [
                vec![],
                vec![],
                vec![iv(hours(10), hours(12))],
                vec![],
                vec![],
                vec![],
                vec![],
            ],
            [],
        )
        .unwrap();
        // Wednesday 2026-03-04 11:00 + 2 h: 1 h this Wednesday, 1 h the next → 03-11 11:00.
        assert_eq!(
            cal.due(utc("2026-03-04T11:00:00Z"), 7200),
            Some(utc("2026-03-11T11:00:00Z"))
        );
    }

    #[test]
    fn one_business_hour_before_a_due_time_on_the_next_working_day() {
        let cal = office("Europe/Rome");
        // Friday 2026-03-06 16:30 CET + 4 business hours = 0.5 h Friday + 3.5 h Monday →
        // Monday 03-09 12:30 CET (11:30Z). One business hour before it is Monday 11:30 CET
        // (10:30Z): computed as due(start, target − 3600).
        let start = utc("2026-03-06T15:30:00Z");
        assert_eq!(cal.due(start, 4 * 3600), Some(utc("2026-03-09T11:30:00Z")));
        assert_eq!(cal.due(start, 3 * 3600), Some(utc("2026-03-09T10:30:00Z")));
        // Half an hour before the due time is still Friday-afternoon work done + Monday.
        assert_eq!(cal.due(start, 1800), Some(utc("2026-03-06T16:00:00Z")));
    }

    #[test]
    fn a_due_time_across_the_spring_forward_night_uses_the_new_offset() {
        let cal = office("America/Chicago");
        // Friday 2026-03-06 16:00 CST (22:00Z) + 2 h → Monday 03-09 10:00 CDT = 15:00Z.
        assert_eq!(
            cal.due(utc("2026-03-06T22:00:00Z"), 7200),
            Some(utc("2026-03-09T15:00:00Z"))
        );
    }

    #[test]
    fn bad_definitions_are_refused() {
        let none: [Vec<Interval>; 7] = std::array::from_fn(|_| vec![]);
        assert_eq!(
            BusinessCalendar::new("UTC", none.clone(), []),
            Err(CalendarError::NeverOpen)
        );
        assert!(matches!(
            BusinessCalendar::new("Mars/Olympus", none.clone(), []),
            Err(CalendarError::UnknownZone(_))
        ));
        let mut bad = none.clone();
        bad[0] = vec![iv(hours(10), hours(9))];
        assert!(matches!(
            BusinessCalendar::new("UTC", bad, []),
            Err(CalendarError::BadInterval { .. })
        ));
        let mut overlap = none;
        overlap[1] = vec![iv(hours(9), hours(12)), iv(hours(11), hours(13))];
        assert_eq!(
            BusinessCalendar::new("UTC", overlap, []),
            Err(CalendarError::Overlap(1))
        );
    }

    #[test]
    fn clock_times_parse_up_to_24_00() {
        assert_eq!(parse_clock("09:30"), Ok(34_200));
        assert_eq!(parse_clock("24:00"), Ok(DAY));
        for bad in ["24:01", "9:30", "25:00", "12:60", "noon", ""] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
    }

    fn calendars() -> Vec<BusinessCalendar> {
        let split = vec![iv(hours(8), hours(12)), iv(hours(13), hours(17))];
        vec![
            office("America/Chicago"),
            office("Europe/Rome"),
            all_day("America/New_York"),
            BusinessCalendar::always_open(),
            BusinessCalendar::new(
                "Australia/Lord_Howe", // a 30-minute DST shift
                [
                    split.clone(),
                    split.clone(),
                    split.clone(),
                    split.clone(),
                    split,
                    vec![],
                    vec![iv(0, DAY)],
                ],
                [NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()],
            )
            .unwrap(),
        ]
    }

    /// Instants from 2025-01-01 over two years, to the microsecond (as stored).
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..(2 * 366 * 86_400), 0i64..1_000_000).prop_map(|(s, us)| {
            utc("2025-01-01T00:00:00Z") + Duration::seconds(s) + Duration::microseconds(us)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn business_time_is_additive(c in 0usize..5, a in instant(), b in instant(), m in instant()) {
            let cal = &calendars()[c];
            let mut v = [a, b, m];
            v.sort();
            let [a, m, b] = v;
            prop_assert_eq!(
                cal.business_seconds(a, m) + cal.business_seconds(m, b),
                cal.business_seconds(a, b)
            );
        }

        #[test]
        fn business_time_is_monotonic_and_bounded_by_calendar_time(c in 0usize..5, a in instant(), b in instant(), d in 0i64..200_000) {
            let cal = &calendars()[c];
            let (a, b) = (a.min(b), a.max(b));
            let later = b + Duration::seconds(d);
            prop_assert!(cal.business_seconds(a, later) >= cal.business_seconds(a, b));
            // Business instants are a subset of real instants: never more than elapsed time.
            prop_assert!(cal.business_seconds(a, b) <= b.timestamp() - a.timestamp());
        }

        #[test]
        fn the_due_instant_is_the_earliest_with_that_much_business_time(c in 0usize..5, a in instant(), b in instant()) {
            let cal = &calendars()[c];
            let (a, b) = (a.min(b), a.max(b));
            let n = cal.business_seconds(a, b);
            let due = cal.due(a, n).unwrap();
            prop_assert!(due <= b.trunc_subsecs(0));
            prop_assert_eq!(cal.business_seconds(a, due), n);
            if n > 0 {
                prop_assert!(cal.business_seconds(a, due - Duration::seconds(1)) < n);
            }
        }

        #[test]
        fn always_open_equals_calendar_time(a in instant(), b in instant()) {
            let cal = BusinessCalendar::always_open();
            let (a, b) = (a.min(b), a.max(b));
            let calendar_seconds = b.timestamp() - a.timestamp();
            prop_assert_eq!(cal.business_seconds(a, b), calendar_seconds);
            prop_assert_eq!(cal.due(a, calendar_seconds), Some(b.trunc_subsecs(0)));
        }
    }
}
