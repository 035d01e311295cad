//! Calendar buckets of a reporting time zone (`GET /metrics/timeseries`): the local days, weeks
//! (from Monday) and months that cover a period, and the UTC instant each starts at.
//!
//! A bucket starts at local midnight of its first day. Where DST skips midnight (a zone that
//! springs forward at 00:00), the bucket starts at the first instant after the gap; where midnight
//! repeats (falling back across it), at its earlier occurrence. So a day is 23, 24 or 25 hours
//! long, and the buckets tile the timeline without gap or overlap.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Most buckets one request may ask for.
pub const MAX_BUCKETS: usize = 1000;

/// The length of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// A local calendar day.
    Day,
    /// Seven local days from Monday.
    Week,
    /// A local calendar month.
    Month,
}

impl Interval {
    /// Parses `day`, `week` or `month`.
    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            _ => None,
        }
    }

    /// `day`, `week` or `month`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    /// The first day of the bucket holding `date`.
    fn first_day(self, date: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => date,
            Interval::Week => {
                date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
            }
            Interval::Month => {
                NaiveDate::from_ymd_opt(date.year(), date.month(), 1).unwrap_or(date)
            }
        }
    }

    /// The first day of the next bucket.
    fn next(self, first_day: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => first_day + Duration::days(1),
            Interval::Week => first_day + Duration::days(7),
            Interval::Month => first_day + Months::new(1),
        }
    }
}

/// Why the buckets of a period cannot be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BucketError {
    /// No instant of the zone is a bucket start on this day (a zone's midnight and the hour after
    /// it both missing: no real zone does that).
    #[error("no bucket start in this zone")]
    NoStart,
    /// More than [`MAX_BUCKETS`] buckets.
    #[error("more than 1000 buckets: choose a longer interval or a shorter period")]
    TooMany,
}

/// The UTC instant local midnight `midnight` starts at in `zone`: its earlier occurrence when it
/// repeats, the first instant after the gap when DST skips it.
pub fn start_of(zone: Tz, midnight: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// The buckets covering `[from, to)` in `zone`: each bucket's local start (midnight of its first
/// day on the zone's wall clock) and the UTC instant it starts at, ascending. The first is the
/// bucket holding `from` (it may start before `from`); the last starts before `to`.
///
/// # Errors
/// [`BucketError::TooMany`] past [`MAX_BUCKETS`]; [`BucketError::NoStart`] for a zone without
/// a start on some day.
pub fn bucket_starts(
    interval: Interval,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(NaiveDateTime, DateTime<Utc>)>, BucketError> {
    let mut date = interval.first_day(from.with_timezone(&zone).date_naive());
    let mut out = Vec::new();
    loop {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let start = start_of(zone, midnight).ok_or(BucketError::NoStart)?;
        if start >= to {
            break;
        }
        out.push((midnight, start));
        if out.len() > MAX_BUCKETS {
            return Err(BucketError::TooMany);
        }
        date = interval.next(date);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn starts(interval: Interval, zone: &str, from: &str, to: &str) -> Vec<(String, String)> {
        bucket_starts(interval, zone.parse().unwrap(), utc(from), utc(to))
            .unwrap()
            .into_iter()
            .map(|(local, start)| {
                (
                    local.format("%Y-%m-%dT%H:%M").to_string(),
                    start.to_rfc3339(),
                )
            })
            .collect()
    }

    #[test]
    fn days_across_spring_forward_are_23_hours_and_start_at_local_midnight() {
        let days = starts(
            Interval::Day,
            "America/New_York",
            "2026-03-07T12:00:00Z",
            "2026-03-09T04:00:00Z",
        );
        assert_eq!(
            days,
            [
                (
                    "2026-03-07T00:00".into(),
                    "2026-03-07T05:00:00+00:00".into()
                ),
                (
                    "2026-03-08T00:00".into(),
                    "2026-03-08T05:00:00+00:00".into()
                ),
            ],
            "the bucket holding `from` starts before it; 2026-03-08 lasts 23 hours, so 2026-03-09 \
             starts at `to` (04:00Z), excluded"
        );
        let next = starts(
            Interval::Day,
            "America/New_York",
            "2026-03-09T04:00:00Z",
            "2026-03-09T04:00:01Z",
        );
        assert_eq!(
            next[0].1, "2026-03-09T04:00:00+00:00",
            "EDT from 2026-03-08"
        );
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_after_the_gap() {
        // Santiago springs forward at 24:00 on 2026-09-05: 2026-09-06 00:00 does not exist.
        let days = starts(
            Interval::Day,
            "America/Santiago",
            "2026-09-05T12:00:00Z",
            "2026-09-07T00:00:00Z",
        );
        assert_eq!(days[1].0, "2026-09-06T00:00");
        assert_eq!(
            days[1].1, "2026-09-06T04:00:00+00:00",
            "01:00 -03 = the first instant"
        );
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let weeks = starts(
            Interval::Week,
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-01-13T00:00:00Z",
        );
        let firsts: Vec<&str> = weeks.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(
            firsts,
            ["2025-12-29T00:00", "2026-01-05T00:00", "2026-01-12T00:00"]
        );
        let months = starts(
            Interval::Month,
            "Europe/Paris",
            "2025-12-15T00:00:00Z",
            "2026-02-01T00:00:00Z",
        );
        assert_eq!(
            months,
            [
                (
                    "2025-12-01T00:00".into(),
                    "2025-11-30T23:00:00+00:00".into()
                ),
                (
                    "2026-01-01T00:00".into(),
                    "2025-12-31T23:00:00+00:00".into()
                ),
                (
                    "2026-02-01T00:00".into(),
                    "2026-01-31T23:00:00+00:00".into()
                ),
            ],
            "Paris midnight of 2026-02-01 is before `to` (23:00Z on the 31st)"
        );
    }

    #[test]
    fn an_empty_period_has_no_bucket_and_more_than_1000_are_refused() {
        assert!(
            starts(
                Interval::Day,
                "UTC",
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z"
            )
            .is_empty()
        );
        let thousand = starts(
            Interval::Day,
            "UTC",
            "2026-01-01T00:00:00Z",
            "2028-09-27T00:00:00Z",
        );
        assert_eq!(thousand.len(), 1000);
        assert_eq!(
            bucket_starts(
                Interval::Day,
                chrono_tz::UTC,
                utc("2026-01-01T00:00:00Z"),
                utc("2028-09-27T00:00:01Z")
            ),
            Err(BucketError::TooMany)
        );
    }

    #[test]
    fn intervals_parse_their_names() {
        for i in [Interval::Day, Interval::Week, Interval::Month] {
            assert_eq!(Interval::parse(i.as_str()), Some(i));
        }
        assert_eq!(Interval::parse("year"), None);
    }
}
