//! Every business duration of one request measured on one named calendar (docs/METRICS.md §7,
//! "Comparisons on one calendar"): the `calendar` parameter of the metrics endpoints.
//!
//! The tickets' two durations (`frt.v1`: creation → first reply; `full_resolution.v1`: creation
//! → latest solve) are recomputed from the instants the store keeps. The work orders' three
//! (§8) run between instants the store does not keep (`en_route_at`, `on_site_at`): they are
//! read here, in the request's own transaction (so at the store's snapshot), for the work orders
//! that finished in the request's period only, and measured on the calendar.

use crate::domain::calendar::BusinessCalendar;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Timestamptz};
use std::collections::HashMap;

/// A calendar with the business seconds on it of the work orders of one period.
#[derive(Debug, Clone)]
pub struct OneCalendar {
    calendar: BusinessCalendar,
    /// Work order id → `travel_time.v1`, `wrench_time.v1`, `time_to_arrival.v1` in business
    /// seconds on `calendar` (`None` where the work order has no such value).
    field: HashMap<i64, [Option<i64>; 3]>,
}

#[derive(QueryableByName)]
struct Instants {
    #[diesel(sql_type = BigInt)]
    work_order_id: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    en_route_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    on_site_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    finished_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Bool)]
    has_travel: bool,
    #[diesel(sql_type = Bool)]
    has_wrench: bool,
    #[diesel(sql_type = Bool)]
    has_arrival: bool,
}

impl OneCalendar {
    /// `calendar` with the work orders that finished in `[from, to)` measured on it: each of
    /// the three durations the work order has (`work_order_metrics`), between the same instants
    /// (`work_orders.en_route_at` → `on_site_at`, `on_site_at` → `finished_at`, `created_at` →
    /// `on_site_at`), in business seconds of that calendar (0 when the stop is not after the
    /// start).
    ///
    /// # Errors
    /// Database errors.
    pub fn load(
        conn: &mut PgConnection,
        calendar: BusinessCalendar,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> QueryResult<OneCalendar> {
        let rows: Vec<Instants> = diesel::sql_query(
            "SELECT m.work_order_id, w.created_at, w.en_route_at, w.on_site_at, w.finished_at,
                    m.travel_seconds IS NOT NULL AS has_travel,
                    m.wrench_seconds IS NOT NULL AS has_wrench,
                    m.time_to_arrival_seconds IS NOT NULL AS has_arrival
               FROM work_order_metrics m JOIN work_orders w ON w.id = m.work_order_id
              WHERE m.finished_at >= $1 AND m.finished_at < $2",
        )
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(conn)?;
        let between = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>, has: bool| match (a, b) {
            (Some(a), Some(b)) if has => Some(calendar.business_seconds(a, b)),
            _ => None,
        };
        let field = rows
            .into_iter()
            .map(|r| {
                (
                    r.work_order_id,
                    [
                        between(r.en_route_at, r.on_site_at, r.has_travel),
                        between(r.on_site_at, r.finished_at, r.has_wrench),
                        between(Some(r.created_at), r.on_site_at, r.has_arrival),
                    ],
                )
            })
            .collect();
        Ok(OneCalendar { calendar, field })
    }

    /// The calendar.
    pub fn calendar(&self) -> &BusinessCalendar {
        &self.calendar
    }

    /// Travel, wrench and arrival business seconds of a work order that finished in the period
    /// (`None`: no such value, or a work order outside the period).
    pub fn field(&self, work_order_id: i64) -> [Option<i64>; 3] {
        self.field.get(&work_order_id).copied().unwrap_or([None; 3])
    }

    /// The work orders measured, with their three values: ids, travel, wrench, arrival.
    pub fn field_columns(&self) -> (Vec<i64>, [Vec<Option<i64>>; 3]) {
        let mut ids = Vec::with_capacity(self.field.len());
        let mut columns: [Vec<Option<i64>>; 3] = Default::default();
        for (id, values) in &self.field {
            ids.push(*id);
            for (column, v) in columns.iter_mut().zip(values) {
                column.push(*v);
            }
        }
        (ids, columns)
    }
}
