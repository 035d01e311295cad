//! Stored business calendars and which calendar measures a ticket: its team's, or 24/7.

use crate::domain::calendar::{BusinessCalendar, Interval, parse_clock};
use crate::schema::{business_calendars, teams};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Weekday names, Monday first, as used in `weekly_hours`.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Weekly hours as stored and exchanged: weekday → list of `["HH:MM", "HH:MM"]` intervals.
pub type WeeklyHours = BTreeMap<String, Vec<[String; 2]>>;

/// A `business_calendars` row.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize)]
#[diesel(table_name = business_calendars, check_for_backend(diesel::pg::Pg))]
pub struct CalendarRow {
    /// Id.
    pub id: i64,
    /// Name (unique).
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// `{"monday": [["09:00", "17:00"]], ...}`.
    pub weekly_hours: serde_json::Value,
    /// Holidays (whole local days).
    pub holidays: Vec<NaiveDate>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Builds the domain calendar of a definition.
///
/// # Errors
/// `(field, message)` naming what is wrong: an unknown weekday, a bad time, an empty, reversed or
/// overlapping interval, no interval at all, an unknown zone.
pub fn build(
    time_zone: &str,
    weekly: &WeeklyHours,
    holidays: &[NaiveDate],
) -> Result<BusinessCalendar, (String, String)> {
    let mut week: [Vec<Interval>; 7] = std::array::from_fn(|_| Vec::new());
    for (day, intervals) in weekly {
        let index = WEEKDAYS.iter().position(|d| d == day).ok_or_else(|| {
            (
                format!("weekly_hours.{day}"),
                "not a weekday (monday … sunday)".to_string(),
            )
        })?;
        for (i, [open, close]) in intervals.iter().enumerate() {
            let field = format!("weekly_hours.{day}[{i}]");
            let start = parse_clock(open).map_err(|m| (field.clone(), m))?;
            let end = parse_clock(close).map_err(|m| (field.clone(), m))?;
            if start >= end {
                return Err((field, "the interval must close after it opens".into()));
            }
            if let Some(slot) = week.get_mut(index) {
                slot.push(Interval { start, end });
            }
        }
    }
    BusinessCalendar::new(time_zone, week, holidays.iter().copied()).map_err(|e| {
        let field = match e {
            crate::domain::calendar::CalendarError::UnknownZone(_) => "time_zone",
            _ => "weekly_hours",
        };
        (field.to_string(), e.to_string())
    })
}

/// The domain calendar of a stored row.
///
/// # Errors
/// A deserialization error when the stored definition no longer parses (it was validated when
/// written, so this means the row was edited by hand).
pub fn to_domain(row: &CalendarRow) -> QueryResult<BusinessCalendar> {
    let weekly: WeeklyHours = serde_json::from_value(row.weekly_hours.clone())
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    build(&row.time_zone, &weekly, &row.holidays).map_err(|(f, m)| {
        diesel::result::Error::DeserializationError(format!("calendar {}: {f}: {m}", row.id).into())
    })
}

/// The calendar of a team (24/7 when the team or its calendar is absent).
///
/// # Errors
/// Database errors.
pub fn calendar_of_team(
    conn: &mut PgConnection,
    team_id: Option<i64>,
) -> QueryResult<BusinessCalendar> {
    let Some(team_id) = team_id else {
        return Ok(BusinessCalendar::always_open());
    };
    let row: Option<CalendarRow> = teams::table
        .inner_join(business_calendars::table)
        .filter(teams::id.eq(team_id))
        .select(CalendarRow::as_select())
        .first(conn)
        .optional()?;
    row.as_ref()
        .map_or(Ok(BusinessCalendar::always_open()), to_domain)
}

/// The calendar of every team that has one: team id → calendar (teams without one measure
/// business time 24/7).
///
/// # Errors
/// Database errors; a stored calendar that does not parse.
pub fn calendars_by_team(
    conn: &mut PgConnection,
) -> QueryResult<std::collections::HashMap<i64, BusinessCalendar>> {
    let rows: Vec<(i64, CalendarRow)> = teams::table
        .inner_join(business_calendars::table)
        .select((teams::id, CalendarRow::as_select()))
        .load(conn)?;
    rows.iter()
        .map(|(team, row)| Ok((*team, to_domain(row)?)))
        .collect()
}

/// Teams using a calendar.
///
/// # Errors
/// Database errors.
pub fn teams_of_calendar(conn: &mut PgConnection, calendar_id: i64) -> QueryResult<Vec<i64>> {
    teams::table
        .filter(teams::calendar_id.eq(calendar_id))
        .select(teams::id)
        .load(conn)
}
