//! The work orders of the store (`work_order_metrics`, docs/METRICS.md §8): one [`FieldRow`]
//! per work order, loaded with the tickets (a full load reads them all; a refresh reads again the
//! work orders of the tickets that changed, `changed_since` following `work_order_metrics` too),
//! and two lists by creation instant that `first_time_fix.v1` and the repeat-visit rate look up
//! at query time (N days is a request parameter).

use super::*;

/// The bits of [`FieldRow::flags`].
pub(super) mod field_flag {
    /// Status `completed` or `cannot_complete`.
    pub const ENDED: u8 = 1;
    /// Status `completed`.
    pub const COMPLETED: u8 = 1 << 1;
    /// `first_visit`.
    pub const FIRST_VISIT: u8 = 1 << 2;
    /// `problem_fixed` is true.
    pub const PROBLEM_FIXED: u8 = 1 << 3;
    /// `arrival_window_met` is not NULL, and its value.
    pub const WINDOW_SET: u8 = 1 << 4;
    pub const WINDOW_MET: u8 = 1 << 5;
}

/// A NULL duration in [`FieldRow::durations`].
const NO_DURATION: i32 = i32::MIN;

/// One work order's `work_order_metrics` row, packed (88 bytes). Instants in microseconds since
/// the Unix epoch (UTC), [`NONE`] for NULL; durations in seconds (up to 68 years; longer ones
/// saturate), [`NO_DURATION`] for NULL.
#[derive(Debug, Clone, Copy)]
pub(super) struct FieldRow {
    pub(super) work_order_id: i64,
    pub(super) ticket_id: i64,
    pub(super) asset_id: i64,
    pub(super) created: i64,
    pub(super) finished: i64,
    pub(super) reopened: i64,
    /// `travel_time.v1`, `wrench_time.v1`, `time_to_arrival.v1`: [calendar, business] seconds.
    pub(super) durations: [[i32; 2]; 3],
    /// Interned ids ([`Content::ids`]).
    pub(super) organization: u32,
    pub(super) site: u32,
    pub(super) technician: u32,
    /// Interned labels ([`Content::labels`]).
    pub(super) asset_kind: u8,
    pub(super) employment: u8,
    pub(super) flags: u8,
    /// Interned `status` ([`Content::labels`]).
    pub(super) status: u8,
}

type FieldTuple = (
    (i64, i64, i64, i64, Option<i64>, Option<String>, Option<i64>),
    (
        Option<String>,
        String,
        bool,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    ),
    (Option<bool>, Option<bool>, Option<DateTime<Utc>>),
    (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    ),
);

/// Reads the work orders of `tickets` (every work order for `None`).
pub(super) fn load_fields(
    conn: &mut PgConnection,
    tickets: Option<&[i64]>,
) -> QueryResult<Vec<FieldTuple>> {
    use crate::schema::work_order_metrics as f;
    use diesel::dsl::sql;
    let query = f::table
        .select((
            (
                f::work_order_id,
                f::ticket_id,
                f::organization_id,
                f::site_id,
                f::asset_id,
                f::asset_kind,
                f::technician_id,
            ),
            (
                sql::<Nullable<Text>>("work_order_metrics.technician_employment_type::text"),
                f::status,
                f::first_visit,
                f::created_at,
                f::finished_at,
            ),
            (f::problem_fixed, f::arrival_window_met, f::reopened_at),
            (
                f::travel_seconds,
                f::travel_business_seconds,
                f::wrench_seconds,
                f::wrench_business_seconds,
                f::time_to_arrival_seconds,
                f::time_to_arrival_business_seconds,
            ),
        ))
        .order(f::work_order_id)
        .into_boxed();
    match tickets {
        Some(ids) => query.filter(f::ticket_id.eq_any(ids)).load(conn),
        None => query.load(conn),
    }
}

impl Content {
    /// Packs loaded work orders (interning their values).
    pub(super) fn pack_fields(&mut self, loaded: Vec<FieldTuple>) -> Vec<FieldRow> {
        loaded
            .into_iter()
            .map(|(a, b, c, d)| {
                let (id, ticket_id, organization, site, asset_id, asset_kind, technician) = a;
                let (employment, status, first_visit, created, finished) = b;
                let (problem_fixed, window, reopened) = c;
                let (tr, trb, wr, wrb, ar, arb) = d;
                let mut flags = 0;
                let mut set = |bit: u8, on: bool| {
                    if on {
                        flags |= bit;
                    }
                };
                set(
                    field_flag::ENDED,
                    status == "completed" || status == "cannot_complete",
                );
                set(field_flag::COMPLETED, status == "completed");
                set(field_flag::FIRST_VISIT, first_visit);
                set(field_flag::PROBLEM_FIXED, problem_fixed == Some(true));
                set(field_flag::WINDOW_SET, window.is_some());
                set(field_flag::WINDOW_MET, window == Some(true));
                let s = |v: Option<i64>| {
                    v.map_or(NO_DURATION, |v| i32::try_from(v.max(0)).unwrap_or(i32::MAX))
                };
                FieldRow {
                    work_order_id: id,
                    ticket_id,
                    asset_id: asset_id.unwrap_or(NONE),
                    created: created.timestamp_micros(),
                    finished: load::micros(finished),
                    reopened: load::micros(reopened),
                    durations: [[s(tr), s(trb)], [s(wr), s(wrb)], [s(ar), s(arb)]],
                    organization: self.ids.intern(Some(organization)),
                    site: self.ids.intern(Some(site)),
                    technician: self.ids.intern(technician),
                    asset_kind: self.labels.intern(asset_kind),
                    employment: self.labels.intern(employment),
                    flags,
                    status: self.labels.intern(Some(status)),
                }
            })
            .collect()
    }

    /// Replaces every work order of `tickets` with `rows` (all of them for `None`) and rebuilds
    /// the look-up lists.
    pub(super) fn set_fields(&mut self, tickets: Option<&[i64]>, rows: Vec<FieldRow>) {
        match tickets {
            None => self.fields = rows,
            Some(ids) => {
                let ids: std::collections::HashSet<i64> = ids.iter().copied().collect();
                self.fields.retain(|f| !ids.contains(&f.ticket_id));
                self.fields.extend(rows);
                self.fields.sort_unstable_by_key(|f| f.work_order_id);
            }
        }
        let fields = &self.fields;
        let mut by_asset: Vec<u32> = (0..fields.len() as u32)
            .filter(|&p| fields[p as usize].asset_id != NONE)
            .collect();
        by_asset.sort_unstable_by_key(|&p| {
            let f = &fields[p as usize];
            (f.site, f.asset_id, f.created, f.work_order_id)
        });
        let mut by_ticket: Vec<u32> = (0..fields.len() as u32).collect();
        by_ticket.sort_unstable_by_key(|&p| {
            let f = &fields[p as usize];
            (f.ticket_id, f.created, f.work_order_id)
        });
        let mut next_visit = vec![(NONE, NONE); fields.len()];
        // Work orders with an asset look in their (site, asset) group; without, in their ticket's.
        let groups = by_asset
            .chunk_by(|a, b| {
                let (a, b) = (&fields[*a as usize], &fields[*b as usize]);
                (a.site, a.asset_id) == (b.site, b.asset_id)
            })
            .map(|g| (g, true))
            .chain(
                by_ticket
                    .chunk_by(|a, b| fields[*a as usize].ticket_id == fields[*b as usize].ticket_id)
                    .map(|g| (g, false)),
            );
        for (group, with_asset) in groups {
            let created = |p: &u32| fields[*p as usize].created;
            let first_after = |t: i64| {
                let k = group.partition_point(|p| created(p) <= t);
                group.get(k).map_or(NONE, created)
            };
            for p in group {
                let f = &fields[*p as usize];
                if (f.asset_id != NONE) != with_asset {
                    continue;
                }
                let after_finish = if f.finished == NONE {
                    NONE
                } else {
                    first_after(f.finished)
                };
                next_visit[*p as usize] = (first_after(f.created), after_finish);
            }
        }
        self.next_visit = next_visit;
        self.fields.shrink_to_fit();
    }

    /// Heap bytes of the work orders and their look-up lists (part of [`Content::heap_bytes`]).
    pub(super) fn field_heap_bytes(&self) -> usize {
        self.fields.capacity() * std::mem::size_of::<FieldRow>() + self.next_visit.capacity() * 16
    }

    /// Whether another work order "for the same site and asset" as work order `i` (of the same
    /// ticket when it names no asset) was created after its creation (`after_finish`: after its
    /// finish) and at or before `until` (microseconds).
    pub(super) fn next_visit_by(&self, i: usize, after_finish: bool, until: i64) -> bool {
        let (after_created, after_finished) = self.next_visit[i];
        let next = if after_finish {
            after_finished
        } else {
            after_created
        };
        next != NONE && next <= until
    }
}

/// Per-group accumulators of the field figures.
#[derive(Default)]
pub(super) struct FieldAcc {
    pub(super) ended: i64,
    pub(super) durations: [Vec<i64>; 3],
    pub(super) windows: i64,
    pub(super) met: i64,
    pub(super) first_visits: i64,
    pub(super) fixed: i64,
    pub(super) repeats: i64,
}

impl FieldAcc {
    /// Anything fell in it.
    pub(super) fn has_figures(&self) -> bool {
        self.ended > 0 || self.windows > 0 || self.durations.iter().any(|d| !d.is_empty())
    }

    /// Adds a work order whose `finished_at` is in the period; `n` is N days in microseconds.
    pub(super) fn add(
        &mut self,
        c: &Content,
        i: usize,
        b: usize,
        n: i64,
        on_calendar: Option<[Option<i64>; 3]>,
    ) {
        let f = &c.fields[i];
        match on_calendar {
            // Business seconds on the request's one calendar (`metrics::OneCalendar`).
            Some(values) => {
                for (acc, v) in self.durations.iter_mut().zip(values) {
                    acc.extend(v);
                }
            }
            None => {
                for (acc, d) in self.durations.iter_mut().zip(f.durations) {
                    if d[b] != NO_DURATION {
                        acc.push(i64::from(d[b]));
                    }
                }
            }
        }
        if f.flags & field_flag::WINDOW_SET != 0 {
            self.windows += 1;
            self.met += i64::from(f.flags & field_flag::WINDOW_MET != 0);
        }
        if f.flags & field_flag::ENDED == 0 {
            return;
        }
        self.ended += 1;
        let until = f.finished.saturating_add(n);
        self.repeats += i64::from(c.next_visit_by(i, true, until));
        if f.flags & field_flag::FIRST_VISIT != 0 {
            self.first_visits += 1;
            let fixed = field_flag::COMPLETED | field_flag::PROBLEM_FIXED;
            let is_fixed = f.flags & fixed == fixed
                && (f.reopened == NONE || f.reopened > until)
                && !c.next_visit_by(i, false, until);
            self.fixed += i64::from(is_fixed);
        }
    }

    /// The figures.
    pub(super) fn figures(mut self, ftf_days: i64) -> FieldFigures {
        let [travel, wrench, arrival] = &mut self.durations;
        FieldFigures {
            work_orders_completed: self.ended,
            travel_time: DurationStats::of_unordered(travel),
            wrench_time: DurationStats::of_unordered(wrench),
            time_to_arrival: DurationStats::of_unordered(arrival),
            arrival_window_met: Rate::new(self.met, self.windows),
            first_time_fix: Rate::new(self.fixed, self.first_visits),
            repeat_visit_rate: Rate::new(self.repeats, self.ended),
            ftf_days,
        }
    }
}
