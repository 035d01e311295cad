//! The range of instants Frontline stores: 1900-01-01T00:00:00Z up to, not including,
//! 10000-01-01T00:00:00Z, at microsecond precision (PostgreSQL's `timestamptz`). Every timestamp
//! from outside (API parameters, cursors, imported files) is checked against it, so that a value
//! is refused with a 4xx rather than failing in the database, and "all time" covers everything.

use chrono::{DateTime, SubsecRound, TimeZone, Timelike, Utc};

/// Earliest accepted instant.
pub fn min() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// First instant past the accepted range.
pub fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Checks the range, refuses leap seconds and truncates to microseconds.
///
/// # Errors
/// A message saying what is wrong.
pub fn check(t: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if t.nanosecond() >= 1_000_000_000 {
        return Err("leap seconds are not accepted".into());
    }
    if t < min() || t >= end() {
        return Err("must be between 1900-01-01 and 9999-12-31 (UTC)".into());
    }
    Ok(t.trunc_subsecs(6))
}

/// Parses an RFC 3339 timestamp (with offset) and [`check`]s it.
///
/// # Errors
/// A message saying what is wrong.
pub fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| "is not an RFC 3339 timestamp with offset, e.g. 2026-03-02T09:00:00Z")?;
    check(t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_enforced_and_precision_truncated() {
        assert!(parse_rfc3339("1899-12-31T23:59:59Z").is_err());
        assert!(parse_rfc3339("0000-01-01T00:00:00+23:59").is_err());
        assert!(
            parse_rfc3339("9999-12-31T23:59:59-23:59").is_err(),
            "past year 9999 in UTC"
        );
        assert!(
            parse_rfc3339("2012-12-31T23:59:60Z").is_err(),
            "leap second"
        );
        assert_eq!(
            parse_rfc3339("2026-03-02T09:00:00.1234567Z")
                .unwrap()
                .to_rfc3339(),
            "2026-03-02T09:00:00.123456+00:00"
        );
        assert_eq!(
            parse_rfc3339("1900-01-01T00:00:00Z").unwrap(),
            min(),
            "the lower bound is included"
        );
    }
}
