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

/// Every team's calendar timeline (migration `team_calendar_periods`, docs/METRICS.md §3): team
/// id → the calendars it had, each from the instant it was given on (the first from −∞). A period
/// without a calendar measures 24/7 in UTC. Teams are absent only when they have no period at
/// all (none, since every team gets one when created).
///
/// # Errors
/// Database errors; a stored definition that does not parse.
pub fn team_timelines(
    conn: &mut PgConnection,
) -> QueryResult<std::collections::HashMap<i64, crate::domain::timeline::CalendarTimeline>> {
    use crate::domain::timeline::CalendarTimeline;
    use diesel::sql_types::{Array, BigInt, Date, Jsonb, Nullable, Text, Timestamptz};
    use std::sync::Arc;

    #[derive(QueryableByName)]
    struct Period {
        #[diesel(sql_type = BigInt)]
        team_id: i64,
        /// `None`: −∞.
        #[diesel(sql_type = Nullable<Timestamptz>)]
        starts: Option<DateTime<Utc>>,
        #[diesel(sql_type = Nullable<Text>)]
        time_zone: Option<String>,
        #[diesel(sql_type = Nullable<Jsonb>)]
        weekly_hours: Option<serde_json::Value>,
        #[diesel(sql_type = Nullable<Array<Date>>)]
        holidays: Option<Vec<NaiveDate>>,
    }
    let periods: Vec<Period> = diesel::sql_query(
        // `-infinity` (a team's first period) sorts first, and is read as NULL.
        "SELECT team_id, NULLIF(valid_from, '-infinity') AS starts, time_zone, \
                weekly_hours, holidays \
           FROM team_calendar_periods ORDER BY team_id, valid_from",
    )
    .load(conn)?;
    let always_open = Arc::new(BusinessCalendar::always_open());
    // Periods with the same definition share one calendar.
    type Definition = (String, serde_json::Value, Vec<NaiveDate>);
    type Periods = Vec<(Option<DateTime<Utc>>, Arc<BusinessCalendar>)>;
    let mut built: Vec<(Definition, Arc<BusinessCalendar>)> = Vec::new();
    let mut by_team: std::collections::BTreeMap<i64, Periods> = std::collections::BTreeMap::new();
    for p in periods {
        let calendar = match (p.time_zone, p.weekly_hours, p.holidays) {
            (Some(zone), Some(weekly), Some(holidays)) => {
                let key = (zone, weekly, holidays);
                if let Some((_, c)) = built.iter().find(|(k, _)| *k == key) {
                    c.clone()
                } else {
                    let parsed: WeeklyHours = serde_json::from_value(key.1.clone())
                        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
                    let c = Arc::new(build(&key.0, &parsed, &key.2).map_err(|(f, m)| {
                        diesel::result::Error::DeserializationError(
                            format!("team {} calendar period: {f}: {m}", p.team_id).into(),
                        )
                    })?);
                    built.push((key, c.clone()));
                    c
                }
            }
            _ => always_open.clone(),
        };
        by_team
            .entry(p.team_id)
            .or_default()
            .push((p.starts, calendar));
    }
    Ok(by_team
        .into_iter()
        .map(|(team, periods)| {
            let mut it = periods.into_iter();
            let first = it.next().map_or_else(|| always_open.clone(), |(_, c)| c);
            let changes = it.filter_map(|(from, c)| from.map(|f| (f, c)));
            (team, CalendarTimeline::new(first, changes))
        })
        .collect())
}
