//! The metric projection held in memory, per process, refreshed exactly from the database on
//! every read: what `GET /metrics/summary`, `/timeseries` and `/breakdown` aggregate.
//!
//! Why: docs/METRICS.md asks for exact medians and p90s (`percentile_cont`). Over a year of a large
//! contact center that is a million values per metric, which PostgreSQL must sort on each request
//! (0.9 s for a one-year summary, 4.6 s for a one-year breakdown at 1M tickets on two cores).
//! Held here as packed rows (120 bytes per ticket with up to four SLA outcomes, ~145 with the
//! look-up lists and side tables), the same figures are
//! one pass over the rows plus an O(n) selection per percentile. The contact rates' 7-day
//! look-ups (`fcr.v1`, `repeat_contact.v1`) are kept as per-ticket flags, recomputed for a
//! requester's tickets in a category when one of them changes what the look-ups read.
//!
//! Exactness: every read runs in one `REPEATABLE READ` read-only transaction. The store remembers
//! the snapshot (`pg_current_snapshot()`) its content was read at; a read finds every ticket
//! whose row, projection or SLA clocks were written by a transaction that snapshot did not see
//! (`changed_xid`, migration 0013: `changed_xid >= pg_snapshot_xmin(S) AND NOT
//! pg_visible_in_snapshot(changed_xid, S)`, whatever the commit order) and reloads those tickets
//! in the same transaction. The figures are then exactly those of the transaction's snapshot —
//! what the SQL read side (`metrics::reference`, kept as the reference and compared in
//! `tests/api/metrics_store.rs`) computes in it. Team, staff, organization and site names,
//! team sourcing and staff employment types are read afresh on each request (small tables).
//!
//! Concurrency: readers share the store; one refresh at a time brings it up to date. A read
//! takes a connection, then the store shared, and only then begins its transaction, so that its
//! snapshot S is at least as new as the store's snapshot C (C was taken before the store was
//! updated to it, and a later snapshot sees every transaction an earlier one saw).
//! - S = C (the same `pg_current_snapshot()` text: the same transactions visible): the read
//!   aggregates under the shared hold, alongside every other read of that snapshot — on a
//!   database without writes in between, every concurrent request.
//! - S ≠ C, but no ticket, projection or SLA clock row visible at S was written by a transaction
//!   C did not see (one indexed query on `changed_xid`, under the shared hold): the store's
//!   content is S's as well, and the read aggregates shared. PostgreSQL snapshots are
//!   server-wide, so any transaction anywhere on the server (another database included) makes
//!   S ≠ C; without this case busy servers would serialise every metrics request behind a
//!   refresh that changes nothing.
//! - Otherwise the store is behind. The read lets go and takes the store exclusively. If the store
//!   is still at C, nobody refreshed meanwhile: it refreshes from C to S (valid because S ⊇ C),
//!   downgrades its hold to a shared one without letting any refresh in (parking_lot's atomic
//!   downgrade), and aggregates at S. If the store moved meanwhile, its new snapshot may be newer
//!   than S, and a store never goes back (a refresh only adds what a newer snapshot sees): the
//!   read rolls its transaction back and tries once more, this time beginning the transaction
//!   while it holds the store exclusively (so that S ⊇ the store's snapshot again), refreshing
//!   and downgrading.
//!
//! So a read aggregates only under a hold of a store whose snapshot is its own, and no refresh
//! can move the store while any such hold lasts: no response mixes snapshots, newer or older.
//! Writes wait for no one (the transaction is read-only). A refresh waits for the reads in
//! progress (a one-year breakdown at 1M tickets aggregates for about 100 ms) and holds new
//! ones back meanwhile. Each service copy keeps its own store; a full load at 1M tickets takes
//! ~10 s (`make bench-scale`).

use crate::domain::stats::{DurationStats, Rate};
use crate::metrics::types::{
    ContactRates, Dimension, GroupReport, MetricFilters, ReportOptions, TimeBasis, empty_summary,
    group_order,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use parking_lot::{RwLock, RwLockWriteGuard};

/// Hash maps keyed by ticket ids and group values: foldhash is several times faster than the
/// standard SipHash on integer keys, and these maps are probed once per ticket and figure.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A missing value (SQL NULL) among instants and ids.
const NONE: i64 = i64::MIN;

/// SLA outcomes a packed row holds (a ticket has one or two per SLA clock: first reply, next
/// reply, resolution); more go to [`Extra`].
const INLINE_OUTCOMES: usize = 4;

/// A missing duration in a packed row (or one too large for `i32`, kept in [`Extra`]).
const NO_SECONDS: i32 = i32::MIN;

/// How an SLA clock counts towards attainment (docs/METRICS.md §6 `sla_attainment`), and at
/// which instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutcomeKind {
    /// Fulfilled and never breached: achieved at `fulfilled_at`.
    Achieved = 1,
    /// Breached at `breached_at`.
    Breached = 2,
    /// Still running and not breached: breached at `due_at` once that instant is past `now`.
    BreachedIfDue = 3,
}

impl OutcomeKind {
    fn from_bits(bits: u32) -> OutcomeKind {
        match bits & 3 {
            1 => OutcomeKind::Achieved,
            2 => OutcomeKind::Breached,
            _ => OutcomeKind::BreachedIfDue,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// Microseconds since the Unix epoch, UTC.
    at: i64,
    kind: OutcomeKind,
}

/// The bits of [`Row::flags`].
mod flag {
    /// The ticket has a `ticket_metrics` row (it may have SLA outcomes without one).
    pub const HAS_METRICS: u32 = 1;
    /// `reopens > 0`.
    pub const REOPENED: u32 = 1 << 1;
    /// `one_touch` is not NULL, and its value.
    pub const ONE_TOUCH_SET: u32 = 1 << 2;
    pub const ONE_TOUCH: u32 = 1 << 3;
    /// `one_touch_strict` is not NULL, and its value.
    pub const STRICT_SET: u32 = 1 << 4;
    pub const STRICT: u32 = 1 << 5;
    /// `fcr_candidate`.
    pub const FCR_CANDIDATE: u32 = 1 << 6;
    /// `fcr.v1`'s look-up: no other ticket of the same requester and category (both without
    /// one count as the same) was created within 7 days after this one's latest solve,
    /// `(solve, solve + 7 days]`. Set without a requester. Kept by `Content::relate_*`.
    pub const FIRST_CONTACT: u32 = 1 << 7;
    /// `repeat_contact.v1`: another ticket of the same requester and category had its latest
    /// solve (`tickets.solved_at`) within the 7 days before this one's creation,
    /// `[created − 7 days, created)`. Clear without a requester.
    pub const REPEAT_CONTACT: u32 = 1 << 8;
    /// `ticket_metrics.created_at` differs from `tickets.created_at`: it is in [`super::Extra`].
    pub const EXTRA_CREATED: u32 = 1 << 9;
    /// `ticket_metrics.latest_solved_at` differs from `tickets.solved_at`: in [`super::Extra`].
    pub const EXTRA_LATEST: u32 = 1 << 10;
    /// A duration does not fit in `i32`: all four are in [`super::Extra`].
    pub const EXTRA_DURATIONS: u32 = 1 << 11;
    /// Time on hold by reason, in `Content::holds`.
    pub const HOLD: u32 = 1 << 12;
    /// Bits 13–15: the number of SLA outcomes in the row (0–[`super::INLINE_OUTCOMES`]), or 7:
    /// more, in [`super::Extra`]. From bit 16, two bits per outcome: its kind.
    pub const OUTCOMES_SHIFT: u32 = 13;
    pub const OUTCOMES_MASK: u32 = 7;
    pub const OUTCOMES_IN_EXTRA: u32 = 7;
    pub const KIND_SHIFT: u32 = 16;
}

/// One ticket, packed (120 bytes, no allocation of its own): its dimensions, its projection
/// (`ticket_metrics`), its SLA outcomes and contact-rate flags. Instants in microseconds since the
/// Unix epoch (UTC) with [`NONE`] for NULL; durations in seconds with [`NO_SECONDS`] for NULL.
/// What rarely occurs lives beside the rows, keyed by ticket id ([`Extra`], `Content::holds`).
#[derive(Debug, Clone, Copy)]
struct Row {
    ticket_id: i64,
    /// `tickets.requester_id`.
    requester_id: i64,
    /// `tickets.created_at`; `ticket_metrics.created_at` too unless `EXTRA_CREATED`.
    created: i64,
    /// `tickets.solved_at` (the latest solve); `ticket_metrics.latest_solved_at` too unless
    /// `EXTRA_LATEST`.
    solved: i64,
    /// `ticket_metrics.first_reply_at`.
    first_reply_at: i64,
    /// The instants of up to [`INLINE_OUTCOMES`] SLA outcomes (kinds in `flags`).
    outcome_at: [i64; INLINE_OUTCOMES],
    /// `first_reply_seconds`, `first_reply_business_seconds`.
    first_reply: [i32; 2],
    /// `full_resolution_seconds`, `full_resolution_business_seconds`.
    full_resolution: [i32; 2],
    /// Team, assignee, organization and site ids, interned in `Content::ids` (0 = NULL).
    team: u32,
    assignee: u32,
    organization: u32,
    site: u32,
    /// Interned `category` in `Content::strings` (0 = NULL).
    category: u32,
    /// See [`flag`].
    flags: u32,
    /// Interned `channel::text`, `priority::text` in `Content::labels` (0 = NULL).
    channel: u8,
    priority: u8,
}

const _: () = assert!(
    std::mem::size_of::<Row>() == 120,
    "a packed row is 120 bytes"
);

/// What does not fit a packed row, for the few tickets that have it.
#[derive(Debug, Clone, Default)]
struct Extra {
    /// `ticket_metrics.created_at` (`EXTRA_CREATED`).
    metrics_created: i64,
    /// `ticket_metrics.latest_solved_at` (`EXTRA_LATEST`).
    latest_solved: i64,
    /// The four durations of [`Row`] (`EXTRA_DURATIONS`), [`NONE`] for NULL.
    durations: [i64; 4],
    /// Every SLA outcome, when there are more than [`INLINE_OUTCOMES`].
    outcomes: Box<[Outcome]>,
}

/// A ticket as loaded, before packing.
#[derive(Debug, Clone)]
struct Unpacked {
    ticket_id: i64,
    has_metrics: bool,
    metrics_created: i64,
    first_reply_at: i64,
    first_reply: [i64; 2],
    latest_solved: i64,
    full_resolution: [i64; 2],
    reopens: i32,
    channel: u8,
    priority: u8,
    category: u32,
    team: u32,
    assignee: u32,
    organization: u32,
    site: u32,
    outcomes: Vec<Outcome>,
    requester_id: i64,
    created: i64,
    solved: i64,
    one_touch: Option<bool>,
    one_touch_strict: Option<bool>,
    fcr_candidate: bool,
    on_hold: Box<[(u32, i64)]>,
}

/// A packed ticket with what goes beside it.
struct Packed {
    row: Row,
    extra: Option<Extra>,
    hold: Option<Box<[(u32, i64)]>>,
}

impl Packed {
    fn of(u: Unpacked) -> Packed {
        let small = |v: i64| {
            if v == NONE {
                Some(NO_SECONDS)
            } else {
                i32::try_from(v).ok().filter(|&s| s != NO_SECONDS)
            }
        };
        let durations = [
            u.first_reply[0],
            u.first_reply[1],
            u.full_resolution[0],
            u.full_resolution[1],
        ];
        let packed: Option<Vec<i32>> = durations.iter().map(|&d| small(d)).collect();
        let mut extra = Extra::default();
        let mut needs_extra = false;
        let mut flags = 0;
        let mut set = |bit: u32, on: bool| {
            if on {
                flags |= bit;
            }
        };
        set(flag::HAS_METRICS, u.has_metrics);
        set(flag::REOPENED, u.reopens > 0);
        set(flag::ONE_TOUCH_SET, u.one_touch.is_some());
        set(flag::ONE_TOUCH, u.one_touch == Some(true));
        set(flag::STRICT_SET, u.one_touch_strict.is_some());
        set(flag::STRICT, u.one_touch_strict == Some(true));
        set(flag::FCR_CANDIDATE, u.fcr_candidate);
        set(flag::FIRST_CONTACT, true);
        set(flag::HOLD, !u.on_hold.is_empty());
        if u.has_metrics && u.metrics_created != u.created {
            flags |= flag::EXTRA_CREATED;
            extra.metrics_created = u.metrics_created;
            needs_extra = true;
        }
        if u.has_metrics && u.latest_solved != u.solved {
            flags |= flag::EXTRA_LATEST;
            extra.latest_solved = u.latest_solved;
            needs_extra = true;
        }
        let [a, b, c, d] = match packed.as_deref() {
            Some(&[a, b, c, d]) => [a, b, c, d],
            _ => {
                flags |= flag::EXTRA_DURATIONS;
                extra.durations = durations;
                needs_extra = true;
                [NO_SECONDS; 4]
            }
        };
        let mut outcome_at = [NONE; INLINE_OUTCOMES];
        if u.outcomes.len() > INLINE_OUTCOMES {
            flags |= flag::OUTCOMES_IN_EXTRA << flag::OUTCOMES_SHIFT;
            extra.outcomes = u.outcomes.into_boxed_slice();
            needs_extra = true;
        } else {
            flags |= (u.outcomes.len() as u32) << flag::OUTCOMES_SHIFT;
            for (i, o) in u.outcomes.iter().enumerate() {
                outcome_at[i] = o.at;
                flags |= (o.kind as u32) << (flag::KIND_SHIFT + 2 * i as u32);
            }
        }
        Packed {
            row: Row {
                ticket_id: u.ticket_id,
                requester_id: u.requester_id,
                created: u.created,
                solved: u.solved,
                first_reply_at: if u.has_metrics {
                    u.first_reply_at
                } else {
                    NONE
                },
                outcome_at,
                first_reply: [a, b],
                full_resolution: [c, d],
                team: u.team,
                assignee: u.assignee,
                organization: u.organization,
                site: u.site,
                category: u.category,
                flags,
                channel: u.channel,
                priority: u.priority,
            },
            extra: needs_extra.then_some(extra),
            hold: (!u.on_hold.is_empty()).then_some(u.on_hold),
        }
    }

    /// What the look-ups read of this ticket (see [`Content::relation`]).
    fn relation(&self) -> (i64, u32, i64, i64, i64) {
        let r = &self.row;
        (
            r.requester_id,
            r.category,
            r.created,
            r.solved,
            latest_of(r, self.extra.as_ref()),
        )
    }
}

/// `ticket_metrics.latest_solved_at` of a row whose extra is `extra`.
fn latest_of(r: &Row, extra: Option<&Extra>) -> i64 {
    if r.flags & flag::HAS_METRICS == 0 {
        NONE
    } else if r.flags & flag::EXTRA_LATEST != 0 {
        extra.map_or(NONE, |e| e.latest_solved)
    } else {
        r.solved
    }
}

fn seconds(v: i32) -> i64 {
    if v == NO_SECONDS { NONE } else { i64::from(v) }
}

/// A ticket version whose look-up inputs changed (see [`Content::apply`]).
struct Touch {
    group: (i64, u32),
    ticket_id: i64,
    created: i64,
    solved: i64,
}

impl Touch {
    fn of(r: &Row) -> Option<Touch> {
        (r.requester_id != NONE).then_some(Touch {
            group: (r.requester_id, r.category),
            ticket_id: r.ticket_id,
            created: r.created,
            solved: r.solved,
        })
    }
}

/// `interval '7 days'` of the SQL read side, in microseconds (sessions run in UTC: db.rs).
const SEVEN_DAYS: i64 = 7 * 86_400 * 1_000_000;

/// The ticket ids of `list` (positions in `rows`, ascending by `at` then id) with an instant in
/// `(after, until]` when `open_start`, else `[after, until)`.
fn ids_in<'a>(
    rows: &'a [Row],
    list: &'a [u32],
    at: fn(&Row) -> i64,
    after: i64,
    until: i64,
    open_start: bool,
) -> impl Iterator<Item = i64> + 'a {
    let of = move |p: &u32| at(&rows[*p as usize]);
    let start = if open_start {
        list.partition_point(|p| of(p) <= after)
    } else {
        list.partition_point(|p| of(p) < after)
    };
    list[start..]
        .iter()
        .take_while(move |p| {
            if open_start {
                of(p) <= until
            } else {
                of(p) < until
            }
        })
        .map(|p| rows[*p as usize].ticket_id)
}

/// A table of interned values: index 0 stands for NULL.
#[derive(Debug)]
struct Interned<T, I> {
    values: Vec<T>,
    index: HashMap<T, I>,
}

impl<T: std::hash::Hash + Eq + Clone + Default, I: Copy + TryFrom<usize> + Into<u32> + From<u8>>
    Interned<T, I>
{
    fn new() -> Self {
        Interned {
            values: vec![T::default()],
            index: HashMap::default(),
        }
    }

    /// The index of `v` (0 for `None`), added when new. A full table (past 255 channels or
    /// priorities, enums of five and four values) would give 0.
    fn intern(&mut self, v: Option<T>) -> I {
        let zero = I::from(0);
        let Some(v) = v else {
            return zero;
        };
        if let Some(&i) = self.index.get(&v) {
            return i;
        }
        match I::try_from(self.values.len()) {
            Ok(i) => {
                self.values.push(v.clone());
                self.index.insert(v, i);
                i
            }
            Err(_) => zero,
        }
    }

    fn get(&self, v: &T) -> Option<I> {
        self.index.get(v).copied()
    }

    fn value(&self, i: I) -> Option<&T> {
        let i: u32 = i.into();
        (i != 0).then(|| &self.values[i as usize])
    }
}

/// The store's content: every ticket as of `snapshot`.
struct Content {
    /// `pg_current_snapshot()::text` of the transaction the content was read in.
    snapshot: String,
    /// Ascending by ticket id.
    rows: Vec<Row>,
    /// Ticket id → what does not fit its row (few tickets).
    extras: HashMap<i64, Extra>,
    /// Ticket id → `on_hold_by_reason` (interned reason, calendar seconds), for tickets with any.
    holds: HashMap<i64, Box<[(u32, i64)]>>,
    /// Team, staff, organization and site ids.
    ids: Interned<i64, u32>,
    /// Categories and pause reasons.
    strings: Interned<String, u32>,
    /// Channels and priorities (a handful of enum values).
    labels: Interned<String, u8>,
    /// Positions in `rows` of the tickets with a requester, by (requester, category,
    /// `tickets.created_at`, id): the 7-day look-ups of `fcr.v1` read creations of a group.
    by_created: Vec<u32>,
    /// The same with a `tickets.solved_at`, by (requester, category, solve, id): what
    /// `repeat_contact.v1` reads.
    by_solved: Vec<u32>,
}

fn created_of(r: &Row) -> i64 {
    r.created
}

fn solved_of(r: &Row) -> i64 {
    r.solved
}

impl Content {
    fn empty() -> Content {
        Content {
            snapshot: String::new(),
            rows: Vec::new(),
            extras: HashMap::default(),
            holds: HashMap::default(),
            ids: Interned::new(),
            strings: Interned::new(),
            labels: Interned::new(),
            by_created: Vec::new(),
            by_solved: Vec::new(),
        }
    }

    /// The position of a ticket in `rows`.
    fn position(&self, id: i64) -> Result<usize, usize> {
        self.rows.binary_search_by_key(&id, |r| r.ticket_id)
    }

    fn extra(&self, r: &Row) -> Option<&Extra> {
        self.extras.get(&r.ticket_id)
    }

    /// `ticket_metrics.created_at` ([`NONE`] without a projection).
    fn metrics_created(&self, r: &Row) -> i64 {
        if r.flags & flag::HAS_METRICS == 0 {
            NONE
        } else if r.flags & flag::EXTRA_CREATED != 0 {
            self.extra(r).map_or(NONE, |e| e.metrics_created)
        } else {
            r.created
        }
    }

    /// `ticket_metrics.latest_solved_at` ([`NONE`] without a projection).
    fn latest(&self, r: &Row) -> i64 {
        if r.flags & (flag::HAS_METRICS | flag::EXTRA_LATEST) == flag::HAS_METRICS {
            r.solved
        } else {
            latest_of(r, self.extra(r))
        }
    }

    /// First reply and full resolution seconds in the basis `b` (0 calendar, 1 business).
    fn durations(&self, r: &Row, b: usize) -> (i64, i64) {
        if r.flags & flag::EXTRA_DURATIONS != 0 {
            self.extra(r)
                .map_or((NONE, NONE), |e| (e.durations[b], e.durations[2 + b]))
        } else {
            (seconds(r.first_reply[b]), seconds(r.full_resolution[b]))
        }
    }

    /// Calls `f` with each SLA outcome of the row.
    fn outcomes(&self, r: &Row, mut f: impl FnMut(Outcome)) {
        let n = (r.flags >> flag::OUTCOMES_SHIFT) & flag::OUTCOMES_MASK;
        if n == flag::OUTCOMES_IN_EXTRA {
            if let Some(e) = self.extra(r) {
                e.outcomes.iter().for_each(|&o| f(o));
            }
            return;
        }
        for i in 0..n as usize {
            f(Outcome {
                at: r.outcome_at[i],
                kind: OutcomeKind::from_bits(r.flags >> (flag::KIND_SHIFT + 2 * i as u32)),
            });
        }
    }

    /// What the first-contact and repeat-contact look-ups read of a ticket (theirs and their
    /// peers'): requester, category, creation, latest solve (both columns).
    fn relation(&self, r: &Row) -> (i64, u32, i64, i64, i64) {
        (
            r.requester_id,
            r.category,
            r.created,
            r.solved,
            self.latest(r),
        )
    }

    fn key_created(&self, p: u32) -> (i64, u32, i64, i64) {
        let r = &self.rows[p as usize];
        (r.requester_id, r.category, r.created, r.ticket_id)
    }

    fn key_solved(&self, p: u32) -> (i64, u32, i64, i64) {
        let r = &self.rows[p as usize];
        (r.requester_id, r.category, r.solved, r.ticket_id)
    }

    /// The part of `list` (`by_created` or `by_solved`) holding one requester and category.
    fn group<'a>(&self, list: &'a [u32], group: (i64, u32)) -> &'a [u32] {
        let key = |p: &u32| {
            let r = &self.rows[*p as usize];
            (r.requester_id, r.category)
        };
        let lo = list.partition_point(|p| key(p) < group);
        let hi = lo + list[lo..].partition_point(|p| key(p) <= group);
        &list[lo..hi]
    }

    /// A ticket's (`first_contact`, `repeat_contact`) given its group's lists.
    fn flags_of(&self, r: &Row, created: &[u32], solved: &[u32]) -> (bool, bool) {
        let (id, s, c) = (r.ticket_id, self.latest(r), r.created);
        let rows = &self.rows;
        (
            s == NONE
                || !ids_in(
                    rows,
                    created,
                    created_of,
                    s,
                    s.saturating_add(SEVEN_DAYS),
                    true,
                )
                .any(|other| other != id),
            ids_in(
                rows,
                solved,
                solved_of,
                c.saturating_sub(SEVEN_DAYS),
                c,
                false,
            )
            .any(|other| other != id),
        )
    }

    fn set_flags(&mut self, p: usize, (first, repeat): (bool, bool)) {
        let r = &mut self.rows[p];
        r.flags &= !(flag::FIRST_CONTACT | flag::REPEAT_CONTACT);
        if first {
            r.flags |= flag::FIRST_CONTACT;
        }
        if repeat {
            r.flags |= flag::REPEAT_CONTACT;
        }
    }

    /// Recomputes one ticket's `first_contact` and `repeat_contact`.
    fn relate_one(&mut self, id: i64) {
        let Ok(p) = self.position(id) else { return };
        let r = self.rows[p];
        let flags = if r.requester_id == NONE {
            (true, false)
        } else {
            let group = (r.requester_id, r.category);
            let created = self.group(&self.by_created, group);
            let solved = self.group(&self.by_solved, group);
            self.flags_of(&r, created, solved)
        };
        self.set_flags(p, flags);
    }

    /// Recomputes every ticket's flags (a full load): group by group, walking both lists.
    fn relate_all(&mut self) {
        let mut flags: Vec<(usize, (bool, bool))> = Vec::new();
        let (created, solved) = (&self.by_created, &self.by_solved);
        let group_of = |p: u32| {
            let r = &self.rows[p as usize];
            (r.requester_id, r.category)
        };
        let (mut i, mut j) = (0, 0);
        while i < created.len() {
            let g = group_of(created[i]);
            let end = i + created[i..].partition_point(|&p| group_of(p) == g);
            while j < solved.len() && group_of(solved[j]) < g {
                j += 1;
            }
            let solved_end = j + solved[j..].partition_point(|&p| group_of(p) == g);
            for &p in &created[i..end] {
                let r = &self.rows[p as usize];
                flags.push((
                    p as usize,
                    self.flags_of(r, &created[i..end], &solved[j..solved_end]),
                ));
            }
            i = end;
            j = solved_end;
        }
        for (p, f) in flags {
            self.set_flags(p, f);
        }
    }

    /// Sorts positions by a key through a compact copy (cache-friendly on a full load).
    fn sorted(
        &self,
        positions: Vec<u32>,
        key: fn(&Content, u32) -> (i64, u32, i64, i64),
    ) -> Vec<u32> {
        let mut keyed: Vec<((i64, u32, i64, i64), u32)> =
            positions.into_iter().map(|p| (key(self, p), p)).collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, p)| p).collect()
    }

    /// `rows` as the whole content (a full load, ascending by id): the look-up lists are
    /// sorted once, then every ticket's flags computed.
    fn build(&mut self, rows: Vec<Row>) {
        self.rows = rows;
        self.rows.shrink_to_fit();
        let with_requester: Vec<u32> = (0..self.rows.len())
            .filter(|&p| self.rows[p].requester_id != NONE)
            .map(|p| p as u32)
            .collect();
        let with_solve: Vec<u32> = with_requester
            .iter()
            .copied()
            .filter(|&p| self.rows[p as usize].solved != NONE)
            .collect();
        self.by_created = self.sorted(with_requester, Content::key_created);
        self.by_solved = self.sorted(with_solve, Content::key_solved);
        self.extras.shrink_to_fit();
        self.holds.shrink_to_fit();
        self.relate_all();
    }

    /// Merges `new` (positions, sorted by `key`) into `list`.
    fn merge(
        &self,
        list: &mut Vec<u32>,
        new: Vec<u32>,
        key: fn(&Content, u32) -> (i64, u32, i64, i64),
    ) {
        if new.is_empty() {
            return;
        }
        let new = self.sorted(new, key);
        let old = std::mem::take(list);
        let mut out = Vec::with_capacity(old.len() + new.len());
        let (mut a, mut b) = (old.into_iter().peekable(), new.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&x), Some(&y)) => {
                    if key(self, x) <= key(self, y) {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            out.extend(next);
        }
        *list = out;
    }

    /// Replaces (or adds) the tickets of `loaded` and removes `gone`, keeping the look-up lists
    /// and the contact flags.
    fn apply(&mut self, loaded: Vec<Packed>, gone: &[i64]) {
        // What changed for the look-ups: (group, ticket, creation, solve) of the old and the new
        // version of each ticket whose relation changed.
        let mut touched: Vec<Touch> = Vec::new();
        // Positions whose list entries go (relation changed, or removed); ids whose entries
        // come (relation changed, or new).
        let mut unlink: std::collections::HashSet<u32, foldhash::fast::RandomState> =
            Default::default();
        let mut relink: Vec<i64> = Vec::new();
        let mut inserts: Vec<Packed> = Vec::new();
        for mut p in loaded {
            let id = p.row.ticket_id;
            match self.position(id) {
                Ok(i) => {
                    let old = self.rows[i];
                    if self.relation(&old) == p.relation() {
                        // Most writes (a reply, a note, an assignment) leave what the look-ups
                        // read unchanged: the flags carry over.
                        let keep = flag::FIRST_CONTACT | flag::REPEAT_CONTACT;
                        p.row.flags = (p.row.flags & !keep) | (old.flags & keep);
                    } else {
                        touched.extend([Touch::of(&p.row), Touch::of(&old)].into_iter().flatten());
                        if old.requester_id != NONE {
                            unlink.insert(i as u32);
                        }
                        if p.row.requester_id != NONE {
                            relink.push(id);
                        }
                    }
                    self.rows[i] = p.row;
                    self.set_beside(id, p.extra, p.hold);
                }
                Err(_) => {
                    touched.extend(Touch::of(&p.row));
                    if p.row.requester_id != NONE {
                        relink.push(id);
                    }
                    inserts.push(p);
                }
            }
        }
        let mut removals: Vec<usize> = Vec::new();
        for &id in gone {
            if let Ok(i) = self.position(id) {
                let old = self.rows[i];
                touched.extend(Touch::of(&old));
                if old.requester_id != NONE {
                    unlink.insert(i as u32);
                }
                removals.push(i);
                self.set_beside(id, None, None);
            }
        }
        if !unlink.is_empty() {
            self.by_created.retain(|p| !unlink.contains(p));
            self.by_solved.retain(|p| !unlink.contains(p));
        }
        inserts.sort_by_key(|p| p.row.ticket_id);
        let last = self.rows.last().map_or(i64::MIN, |r| r.ticket_id);
        if removals.is_empty() && inserts.first().is_none_or(|p| p.row.ticket_id > last) {
            // New tickets come after the others (the common case): positions stay.
            for p in inserts {
                self.set_beside(p.row.ticket_id, p.extra, p.hold);
                self.rows.push(p.row);
            }
        } else {
            // Out of id order (a transaction that committed late) or removals: merge, and move
            // the list entries to the new positions (their order is unchanged).
            removals.sort_unstable();
            let old = std::mem::take(&mut self.rows);
            let mut remap = vec![u32::MAX; old.len()];
            let mut rows = Vec::with_capacity(old.len() + inserts.len());
            let mut new = inserts.into_iter().peekable();
            let mut removed = removals.into_iter().peekable();
            for (i, r) in old.into_iter().enumerate() {
                while let Some(p) = new.next_if(|p| p.row.ticket_id < r.ticket_id) {
                    self.set_beside(p.row.ticket_id, p.extra, p.hold);
                    rows.push(p.row);
                }
                if removed.next_if_eq(&i).is_some() {
                    continue;
                }
                remap[i] = rows.len() as u32;
                rows.push(r);
            }
            for p in new {
                self.set_beside(p.row.ticket_id, p.extra, p.hold);
                rows.push(p.row);
            }
            self.rows = rows;
            for list in [&mut self.by_created, &mut self.by_solved] {
                for p in list.iter_mut() {
                    *p = remap[*p as usize];
                }
            }
        }
        let positions: Vec<u32> = relink
            .iter()
            .filter_map(|&id| self.position(id).ok())
            .map(|p| p as u32)
            .collect();
        let solved: Vec<u32> = positions
            .iter()
            .copied()
            .filter(|&p| self.rows[p as usize].solved != NONE)
            .collect();
        let mut list = std::mem::take(&mut self.by_created);
        self.merge(&mut list, positions, Content::key_created);
        self.by_created = list;
        let mut list = std::mem::take(&mut self.by_solved);
        self.merge(&mut list, solved, Content::key_solved);
        self.by_solved = list;
        // The tickets whose flags a change can move: the changed ticket itself; those whose
        // 7-day window after their latest solve holds the changed creation (latest solve in
        // `[created − 7 days, created)`); those whose window before their creation holds the
        // changed solve (creation in `(solved, solved + 7 days]`).
        let mut ids: Vec<i64> = Vec::new();
        for t in &touched {
            ids.push(t.ticket_id);
            let group = self.group(&self.by_created, t.group);
            if t.created != NONE {
                let (from, to) = (t.created.saturating_sub(SEVEN_DAYS), t.created);
                ids.extend(
                    group
                        .iter()
                        .map(|&p| &self.rows[p as usize])
                        .filter_map(|r| {
                            let l = self.latest(r);
                            (l != NONE && l >= from && l < to).then_some(r.ticket_id)
                        }),
                );
            }
            if t.solved != NONE {
                ids.extend(ids_in(
                    &self.rows,
                    group,
                    created_of,
                    t.solved,
                    t.solved.saturating_add(SEVEN_DAYS),
                    true,
                ));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            self.relate_one(id);
        }
    }

    /// Sets (or clears) what a ticket keeps beside its row.
    fn set_beside(&mut self, id: i64, extra: Option<Extra>, hold: Option<Box<[(u32, i64)]>>) {
        match extra {
            Some(e) => {
                self.extras.insert(id, e);
            }
            None => {
                self.extras.remove(&id);
            }
        }
        match hold {
            Some(h) => {
                self.holds.insert(id, h);
            }
            None => {
                self.holds.remove(&id);
            }
        }
    }

    /// Approximate bytes the content holds on the heap (rows, lists, side tables), logged at a
    /// full load and checked by the tests.
    fn heap_bytes(&self) -> usize {
        let map = |entries: usize, entry: usize| entries * (entry + 1) * 8 / 7;
        self.rows.capacity() * std::mem::size_of::<Row>()
            + (self.by_created.capacity() + self.by_solved.capacity()) * 4
            + map(self.extras.capacity(), std::mem::size_of::<(i64, Extra)>())
            + self
                .extras
                .values()
                .map(|e| e.outcomes.len() * 16)
                .sum::<usize>()
            + map(self.holds.capacity(), 24)
            + self.holds.values().map(|h| h.len() * 16).sum::<usize>()
            + self.ids.values.capacity() * 8
            + map(self.ids.index.capacity(), 16)
            + self
                .strings
                .values
                .iter()
                .map(|s| 24 + s.capacity() * 2)
                .sum::<usize>()
            + map(self.strings.index.capacity(), 28)
    }
}

/// The per-process store (in [`crate::state::AppState`]). Empty until the first read.
#[derive(Default)]
pub struct MetricsStore {
    content: RwLock<Option<Content>>,
    /// Tickets per query of a full load (0: [`LOAD_CHUNK`]).
    load_chunk: i64,
}

/// Names and attributes of the dimension tables, read on each request.
#[derive(Debug, Default)]
pub struct Dimensions {
    /// team id → (name, `sourcing`).
    teams: HashMap<i64, (String, String)>,
    /// staff id → (name, `employment_type`).
    users: HashMap<i64, (String, String)>,
    organizations: HashMap<i64, String>,
    sites: HashMap<i64, String>,
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    attribute: Option<String>,
}

impl Dimensions {
    /// Reads the four small dimension tables.
    ///
    /// # Errors
    /// Database errors.
    pub fn load(conn: &mut PgConnection) -> QueryResult<Dimensions> {
        let mut load = |sql: &str| -> QueryResult<Vec<Named>> { diesel::sql_query(sql).load(conn) };
        let attribute = |n: Named| (n.id, (n.name, n.attribute.unwrap_or_default()));
        Ok(Dimensions {
            teams: load("SELECT id, name, sourcing::text AS attribute FROM teams")?
                .into_iter()
                .map(attribute)
                .collect(),
            users: load("SELECT id, name, employment_type::text AS attribute FROM users")?
                .into_iter()
                .map(attribute)
                .collect(),
            organizations: load("SELECT id, name, NULL::text AS attribute FROM organizations")?
                .into_iter()
                .map(|n| (n.id, n.name))
                .collect(),
            sites: load("SELECT id, name, NULL::text AS attribute FROM sites")?
                .into_iter()
                .map(|n| (n.id, n.name))
                .collect(),
        })
    }
}

/// How [`Reader::report`] groups: everything, a dimension, or calendar buckets.
#[derive(Debug, Clone, Copy)]
pub enum StoreGrouping<'a> {
    /// One group, keyed `all` (the summary).
    All,
    /// By a breakdown dimension, keyed as the SQL read side keys it (ids and names as text).
    Dimension(Dimension),
    /// By buckets given as (key, start): an instant falls in the last bucket starting at or
    /// before it. Starts ascending; the first at or before the period's start.
    Buckets(&'a [(String, DateTime<Utc>)]),
}

/// A refreshed store, locked for one request, with the dimension tables of the same snapshot.
pub struct Reader<'a> {
    content: &'a Content,
    dimensions: Dimensions,
}

/// What a refresh did (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Everything was read (first read, or too much had changed).
    Full {
        /// Tickets read.
        tickets: usize,
    },
    /// Only changed tickets were read again.
    Changed {
        /// Tickets read again (added, changed or removed).
        tickets: usize,
    },
}

#[derive(QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = Text)]
    snapshot: String,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    ticket_id: i64,
}

/// A reload of more than this share of the rows reads everything instead.
const FULL_RELOAD_SHARE: usize = 4;

impl MetricsStore {
    /// An empty store.
    pub fn new() -> MetricsStore {
        MetricsStore::default()
    }

    /// An empty store whose full loads read `tickets` tickets per query (tests use small chunks
    /// to cross chunk boundaries).
    pub fn with_load_chunk(tickets: i64) -> MetricsStore {
        MetricsStore {
            load_chunk: tickets.max(1),
            ..MetricsStore::default()
        }
    }

    /// Runs `read` with a connection of `pool` inside one `REPEATABLE READ` read-only transaction
    /// (the connection is `read`'s, in that snapshot) and the store at exactly that transaction's
    /// snapshot (see the module documentation: readers share the store; one refresh at a time
    /// brings it up to date). Takes the connection before the store, so that no one waits for a
    /// connection while holding the store. Blocking: call from a blocking thread.
    ///
    /// # Errors
    /// 503 when no connection can be had in time; database errors; those of `read`.
    pub fn read<T>(
        &self,
        pool: &crate::db::PgPool,
        read: impl FnOnce(&mut PgConnection, &Reader<'_>) -> Result<T, crate::error::ApiError>,
    ) -> Result<T, crate::error::ApiError> {
        let mut conn = pool
            .get()
            .map_err(|e| crate::error::ApiError::Unavailable(format!("database pool: {e}")))?;
        let mut read = Some(read);
        // First attempt: shared, unless the store is behind the transaction's snapshot.
        let outcome = conn
            .build_transaction()
            .read_only()
            .repeatable_read()
            .run(|conn| {
                let shared = self.content.read();
                // Taken while the store is held shared: at least as new as the store's.
                let snapshot = current_snapshot(conn)?;
                let seen = shared.as_ref().map(|c| c.snapshot.clone());
                if seen.as_deref() == Some(snapshot.as_str()) {
                    return self.serve(conn, &shared, &mut read).map(Some);
                }
                // Another snapshot (PostgreSQL's snapshots are server-wide: any transaction of
                // any database makes a new one) but no row the store holds was written between
                // the two: the store's content is this snapshot's, and readers stay shared.
                if let Some(seen) = seen.as_deref().filter(|s| !s.is_empty())
                    && changed_since(conn, seen)?.is_empty()
                {
                    return self.serve(conn, &shared, &mut read).map(Some);
                }
                drop(shared);
                let mut exclusive = self.content.write();
                if exclusive.as_ref().map(|c| c.snapshot.clone()) != seen {
                    // Another refresh moved the store meanwhile, possibly past this snapshot:
                    // start again in a new transaction.
                    return Ok(None);
                }
                self.refresh_to(conn, &mut exclusive, snapshot)?;
                let shared = RwLockWriteGuard::downgrade(exclusive);
                self.serve(conn, &shared, &mut read).map(Some)
            })?;
        if let Some(out) = outcome {
            return Ok(out);
        }
        // Second attempt: the transaction starts while the store is held exclusively, so its
        // snapshot is at least as new as the store's; refreshed, the store is then shared.
        let mut exclusive = self.content.write();
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(|conn| {
                let snapshot = current_snapshot(conn)?;
                self.refresh_to(conn, &mut exclusive, snapshot)?;
                let shared = RwLockWriteGuard::downgrade(exclusive);
                self.serve(conn, &shared, &mut read)
            })
    }

    /// Brings the store (held exclusively) to `snapshot`, the snapshot of `conn`'s transaction,
    /// which is at least as new as the store's. On an error the store is left as it was (a
    /// refresh changes it only once every query succeeded); after a panic it is empty and the
    /// next read loads everything.
    fn refresh_to(
        &self,
        conn: &mut PgConnection,
        store: &mut Option<Content>,
        snapshot: String,
    ) -> QueryResult<()> {
        let mut content = store.take().unwrap_or_else(Content::empty);
        if content.snapshot == snapshot {
            *store = Some(content);
            return Ok(());
        }
        let started = std::time::Instant::now();
        let chunk = if self.load_chunk > 0 {
            self.load_chunk
        } else {
            LOAD_CHUNK
        };
        let refreshed = refresh(conn, &mut content, snapshot, chunk);
        *store = Some(content);
        let ms = started.elapsed().as_millis();
        match refreshed? {
            Refresh::Full { tickets } => {
                let bytes = store.as_ref().map_or(0, Content::heap_bytes);
                tracing::info!(tickets, ms, bytes, "metrics store loaded");
            }
            Refresh::Changed { tickets } => {
                tracing::debug!(tickets, ms, "metrics store refreshed");
            }
        }
        Ok(())
    }

    /// Runs the request's `read` over the store (at the transaction's snapshot) and the
    /// dimension tables read in the same transaction.
    fn serve<T, F>(
        &self,
        conn: &mut PgConnection,
        store: &Option<Content>,
        read: &mut Option<F>,
    ) -> Result<T, crate::error::ApiError>
    where
        F: FnOnce(&mut PgConnection, &Reader<'_>) -> Result<T, crate::error::ApiError>,
    {
        let empty;
        let content = match store {
            Some(c) => c,
            None => {
                empty = Content::empty();
                &empty
            }
        };
        let reader = Reader {
            content,
            dimensions: Dimensions::load(conn)?,
        };
        let read = read.take().ok_or_else(|| {
            crate::error::ApiError::Unexpected(anyhow::anyhow!("metrics store: read twice"))
        })?;
        read(conn, &reader)
    }

    /// Tickets held (0 before the first read).
    pub fn len(&self) -> usize {
        self.content.read().as_ref().map_or(0, |c| c.rows.len())
    }

    /// Approximate bytes the store holds on the heap (0 before the first read): packed rows,
    /// look-up lists and side tables, with hash tables at their capacity.
    pub fn heap_bytes(&self) -> usize {
        self.content.read().as_ref().map_or(0, Content::heap_bytes)
    }

    /// True before the first read or when there is no ticket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `pg_current_snapshot()` of `conn`'s transaction (its first statement fixes it under
/// `REPEATABLE READ`).
fn current_snapshot(conn: &mut PgConnection) -> QueryResult<String> {
    Ok(
        diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot")
            .get_result::<SnapshotRow>(conn)?
            .snapshot,
    )
}

fn refresh(
    conn: &mut PgConnection,
    content: &mut Content,
    snapshot: String,
    chunk: i64,
) -> QueryResult<Refresh> {
    if content.snapshot.is_empty() {
        return full_load(conn, content, snapshot, chunk);
    }
    let changed = changed_since(conn, &content.snapshot)?;
    if changed.len() > 1000 && changed.len() > content.rows.len() / FULL_RELOAD_SHARE {
        return full_load(conn, content, snapshot, chunk);
    }
    let tickets = changed.len();
    if !changed.is_empty() {
        let (rows, outcomes) = load_rows(conn, Selection::Ids(&changed))?;
        let rows = assemble(content, rows, outcomes);
        let found: std::collections::HashSet<i64> = rows.iter().map(|p| p.row.ticket_id).collect();
        let gone: Vec<i64> = changed
            .iter()
            .copied()
            .filter(|id| !found.contains(id))
            .collect();
        content.apply(rows, &gone);
    }
    content.snapshot = snapshot;
    Ok(Refresh::Changed { tickets })
}

/// The tickets with a row (ticket, projection or SLA clock) that the caller's transaction sees
/// and that was written by a transaction `snapshot` did not see: what a store read at `snapshot`
/// lacks for the caller's snapshot (one query over the `changed_xid` indexes).
///
/// # Errors
/// Database errors.
fn changed_since(conn: &mut PgConnection, snapshot: &str) -> QueryResult<Vec<i64>> {
    Ok(diesel::sql_query(
        "WITH s AS (SELECT $1::pg_snapshot AS s)
         SELECT id AS ticket_id FROM tickets, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)
         UNION
         SELECT ticket_id FROM ticket_metrics, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)
         UNION
         SELECT ticket_id FROM ticket_sla_clocks, s
          WHERE changed_xid >= pg_snapshot_xmin(s.s) AND NOT pg_visible_in_snapshot(changed_xid, s.s)",
    )
    .bind::<Text, _>(snapshot)
    .load::<IdRow>(conn)?
    .into_iter()
    .map(|r| r.ticket_id)
    .collect())
}

fn full_load(
    conn: &mut PgConnection,
    content: &mut Content,
    snapshot: String,
    chunk: i64,
) -> QueryResult<Refresh> {
    // In chunks of tickets (by id, in the one snapshot), so that the rows as loaded (strings,
    // JSON, the driver's result buffers) never exist for every ticket at once.
    let mut fresh = Content::empty();
    let mut rows = Vec::new();
    let mut after = i64::MIN;
    loop {
        let (tickets, clocks) = load_rows(conn, Selection::After(after, chunk))?;
        let Some(last) = tickets.last().map(|(t, _, _)| t.0) else {
            break;
        };
        for p in assemble(&mut fresh, tickets, clocks) {
            fresh.set_beside(p.row.ticket_id, p.extra, p.hold);
            rows.push(p.row);
        }
        after = last;
    }
    fresh.build(rows);
    fresh.snapshot = snapshot;
    let tickets = fresh.rows.len();
    *content = fresh;
    Ok(Refresh::Full { tickets })
}

type TicketTuple = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);
type MetricsTuple = (
    Option<i64>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<i64>,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<i64>,
    Option<i32>,
);
type ContactTuple = (
    Option<i64>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<bool>,
    Option<bool>,
    Option<bool>,
    Option<serde_json::Value>,
);
/// Tickets with their projection, and SLA clocks, as loaded.
type Loaded = (
    Vec<(TicketTuple, MetricsTuple, ContactTuple)>,
    Vec<ClockTuple>,
);
type ClockTuple = (
    i64,
    bool,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// Tickets a full load reads per query.
const LOAD_CHUNK: i64 = 50_000;

/// Which tickets [`load_rows`] reads.
#[derive(Debug, Clone, Copy)]
enum Selection<'a> {
    /// These.
    Ids(&'a [i64]),
    /// The first `n` by id after this id.
    After(i64, i64),
}

/// Reads tickets with their projection, and their SLA clocks.
fn load_rows(conn: &mut PgConnection, which: Selection<'_>) -> QueryResult<Loaded> {
    use crate::schema::{ticket_metrics as m, ticket_sla_clocks as c, tickets as t};
    use diesel::dsl::sql;
    let select = (
        (
            t::id,
            sql::<Nullable<Text>>("tickets.channel::text"),
            sql::<Nullable<Text>>("tickets.priority::text"),
            t::category,
            t::team_id,
            t::assignee_id,
            t::organization_id,
            t::site_id,
        ),
        (
            m::ticket_id.nullable(),
            m::created_at.nullable(),
            m::first_reply_at.nullable(),
            m::first_reply_seconds.nullable(),
            m::first_reply_business_seconds.nullable(),
            m::latest_solved_at.nullable(),
            m::full_resolution_seconds.nullable(),
            m::full_resolution_business_seconds.nullable(),
            m::reopens.nullable(),
        ),
        (
            t::requester_id,
            t::created_at,
            t::solved_at,
            m::one_touch.nullable(),
            m::one_touch_strict.nullable(),
            m::fcr_candidate.nullable(),
            // Most tickets were never on hold: no JSON to parse for them.
            sql::<Nullable<diesel::sql_types::Jsonb>>(
                "nullif(ticket_metrics.on_hold_by_reason, '{}'::jsonb)",
            ),
        ),
    );
    let clock_select = (
        c::ticket_id,
        c::running,
        c::due_at,
        c::fulfilled_at,
        c::breached_at,
    );
    Ok(match which {
        Selection::After(after, n) => {
            let tickets: Vec<(TicketTuple, MetricsTuple, ContactTuple)> = t::table
                .left_join(m::table)
                .filter(t::id.gt(after))
                .order(t::id)
                .limit(n)
                .select(select)
                .load(conn)?;
            let clocks = match tickets.last() {
                Some((last, _, _)) => c::table
                    .filter(c::ticket_id.gt(after).and(c::ticket_id.le(last.0)))
                    .select(clock_select)
                    .load(conn)?,
                None => Vec::new(),
            };
            (tickets, clocks)
        }
        Selection::Ids(ids) => (
            t::table
                .left_join(m::table)
                .filter(t::id.eq_any(ids))
                .select(select)
                .load(conn)?,
            c::table
                .filter(c::ticket_id.eq_any(ids))
                .select(clock_select)
                .load(conn)?,
        ),
    })
}

fn micros(t: Option<DateTime<Utc>>) -> i64 {
    t.map_or(NONE, |t| t.timestamp_micros())
}

/// Packs loaded tuples into rows (interning their strings into `content`).
fn assemble(
    content: &mut Content,
    tickets: Vec<(TicketTuple, MetricsTuple, ContactTuple)>,
    clocks: Vec<ClockTuple>,
) -> Vec<Packed> {
    let mut outcomes: HashMap<i64, Vec<Outcome>> = HashMap::default();
    for (ticket_id, running, due_at, fulfilled_at, breached_at) in clocks {
        // The three outcomes of `metrics::sla_attainment_by`, one UNION ALL branch each.
        let list = outcomes.entry(ticket_id).or_default();
        if let (Some(at), None) = (fulfilled_at, breached_at) {
            list.push(Outcome {
                at: at.timestamp_micros(),
                kind: OutcomeKind::Achieved,
            });
        }
        if let Some(at) = breached_at {
            list.push(Outcome {
                at: at.timestamp_micros(),
                kind: OutcomeKind::Breached,
            });
        }
        if let (true, None, Some(at)) = (running, breached_at, due_at) {
            list.push(Outcome {
                at: at.timestamp_micros(),
                kind: OutcomeKind::BreachedIfDue,
            });
        }
    }
    tickets
        .into_iter()
        .map(|(t, m, contact)| {
            let (
                requester_id,
                ticket_created_at,
                ticket_solved_at,
                one_touch,
                one_touch_strict,
                fcr_candidate,
                on_hold,
            ) = contact;
            let on_hold: Box<[(u32, i64)]> = on_hold
                .as_ref()
                .and_then(serde_json::Value::as_object)
                .map(|reasons| {
                    reasons
                        .iter()
                        .map(|(reason, seconds)| {
                            (
                                content.strings.intern(Some(reason.clone())),
                                seconds.as_i64().unwrap_or(0),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let (id, channel, priority, category, team_id, assignee_id, organization_id, site_id) =
                t;
            let (
                metrics_id,
                created_at,
                first_reply_at,
                frt,
                frt_business,
                latest_solved_at,
                resolution,
                resolution_business,
                reopens,
            ) = m;
            Packed::of(Unpacked {
                ticket_id: id,
                has_metrics: metrics_id.is_some(),
                metrics_created: micros(created_at),
                first_reply_at: micros(first_reply_at),
                first_reply: [frt.unwrap_or(NONE), frt_business.unwrap_or(NONE)],
                latest_solved: micros(latest_solved_at),
                full_resolution: [
                    resolution.unwrap_or(NONE),
                    resolution_business.unwrap_or(NONE),
                ],
                reopens: reopens.unwrap_or(0),
                channel: content.labels.intern(channel),
                priority: content.labels.intern(priority),
                category: content.strings.intern(category),
                team: content.ids.intern(team_id),
                assignee: content.ids.intern(assignee_id),
                organization: content.ids.intern(organization_id),
                site: content.ids.intern(site_id),
                outcomes: outcomes.remove(&id).unwrap_or_default(),
                requester_id: requester_id.unwrap_or(NONE),
                created: ticket_created_at.timestamp_micros(),
                solved: micros(ticket_solved_at),
                one_touch,
                one_touch_strict,
                fcr_candidate: fcr_candidate.unwrap_or(false),
                on_hold,
            })
        })
        .collect()
}

/// A filter resolved against the store (ids and strings as interned): `None` fields match
/// anything.
struct Resolved {
    team: Option<u32>,
    assignee: Option<u32>,
    organization: Option<u32>,
    site: Option<u32>,
    channel: Option<u8>,
    priority: Option<u8>,
    category: Option<u32>,
    /// Teams whose sourcing is the one asked for.
    teams: Option<Vec<u32>>,
    /// Staff whose employment type is the one asked for.
    staff: Option<Vec<u32>>,
    /// A filter names a value no ticket has: nothing matches.
    impossible: bool,
}

impl Resolved {
    fn matches(&self, r: &Row) -> bool {
        fn is<T: PartialEq>(want: Option<T>, have: T) -> bool {
            want.is_none_or(|w| w == have)
        }
        !self.impossible
            && is(self.team, r.team)
            && is(self.assignee, r.assignee)
            && is(self.organization, r.organization)
            && is(self.site, r.site)
            && is(self.channel, r.channel)
            && is(self.priority, r.priority)
            && is(self.category, r.category)
            && self.teams.as_ref().is_none_or(|t| t.contains(&r.team))
            && self.staff.as_ref().is_none_or(|s| s.contains(&r.assignee))
    }
}

/// Per-group accumulators.
#[derive(Default)]
struct Acc {
    created: i64,
    first_replies: i64,
    frt: Vec<i64>,
    solved: i64,
    reopened: i64,
    resolution: Vec<i64>,
    achieved: i64,
    breached: i64,
    /// Contact rates: tickets solved with `one_touch` set, one-touch, strict one-touch and
    /// first-contact resolutions (by the latest solve); tickets created and repeat contacts (by
    /// `tickets.created_at`).
    resolved: i64,
    one_touch: i64,
    one_touch_strict: i64,
    fcr: i64,
    contacts: i64,
    repeats: i64,
}

impl Acc {
    /// A group is reported when anything fell in it (empty buckets are added by the caller).
    fn has_figures(&self) -> bool {
        self.created
            + self.first_replies
            + self.solved
            + self.contacts
            + self.achieved
            + self.breached
            > 0
    }
}

impl Reader<'_> {
    /// Tickets held.
    pub fn tickets(&self) -> usize {
        self.content.rows.len()
    }

    fn resolve(&self, f: &MetricFilters) -> Resolved {
        let c = self.content;
        let mut impossible = false;
        let mut known = |found: Option<Option<u32>>| {
            found.map(|v| {
                impossible |= v.is_none();
                v.unwrap_or(0)
            })
        };
        let team = known(f.team_id.map(|v| c.ids.get(&v)));
        let assignee = known(f.agent_id.map(|v| c.ids.get(&v)));
        let organization = known(f.organization_id.map(|v| c.ids.get(&v)));
        let site = known(f.site_id.map(|v| c.ids.get(&v)));
        let category = known(f.category.as_ref().map(|v| c.strings.get(v)));
        let mut label = |v: &Option<String>| {
            v.as_ref().map(|v| {
                let found = c.labels.get(v);
                impossible |= found.is_none();
                found.unwrap_or(0)
            })
        };
        let (channel, priority) = (label(&f.channel), label(&f.priority));
        let d = &self.dimensions;
        let interned = |ids: Vec<i64>| ids.iter().filter_map(|v| c.ids.get(v)).collect();
        Resolved {
            team,
            assignee,
            organization,
            site,
            channel,
            priority,
            category,
            teams: f.sourcing.as_ref().map(|want| {
                interned(
                    d.teams
                        .iter()
                        .filter(|(_, (_, s))| s == want)
                        .map(|(id, _)| *id)
                        .collect(),
                )
            }),
            staff: f.employment_type.as_ref().map(|want| {
                interned(
                    d.users
                        .iter()
                        .filter(|(_, (_, e))| e == want)
                        .map(|(id, _)| *id)
                        .collect(),
                )
            }),
            impossible,
        }
    }

    /// The group key and label of a dimension value of `row`, as the SQL read side writes them.
    fn dimension_key(&self, d: Dimension, r: &Row) -> (Option<String>, Option<String>) {
        let (c, dims) = (self.content, &self.dimensions);
        let id = |v: u32| c.ids.value(v).copied();
        let named = |v: Option<i64>, name: Option<&String>| {
            v.map_or((None, None), |v| (Some(v.to_string()), name.cloned()))
        };
        let same = |s: Option<String>| (s.clone(), s);
        let (team, assignee) = (id(r.team), id(r.assignee));
        let team_row = team.and_then(|t| dims.teams.get(&t));
        let user_row = assignee.and_then(|u| dims.users.get(&u));
        match d {
            Dimension::Team => named(team, team_row.map(|t| &t.0)),
            Dimension::Agent => named(assignee, user_row.map(|u| &u.0)),
            Dimension::Organization => {
                let o = id(r.organization);
                named(o, o.and_then(|o| dims.organizations.get(&o)))
            }
            Dimension::Site => {
                let s = id(r.site);
                named(s, s.and_then(|s| dims.sites.get(&s)))
            }
            Dimension::Channel => same(c.labels.value(r.channel).cloned()),
            Dimension::Priority => same(c.labels.value(r.priority).cloned()),
            Dimension::Category => same(c.strings.value(r.category).cloned()),
            Dimension::Sourcing => same(team_row.map(|t| t.1.clone())),
            Dimension::EmploymentType => same(user_row.map(|u| u.1.clone())),
        }
    }

    /// The raw value a dimension groups `row` by (an interned id or string).
    fn dimension_raw(d: Dimension, r: &Row) -> u32 {
        match d {
            Dimension::Team | Dimension::Sourcing => r.team,
            Dimension::Agent | Dimension::EmploymentType => r.assignee,
            Dimension::Organization => r.organization,
            Dimension::Site => r.site,
            Dimension::Channel => u32::from(r.channel),
            Dimension::Priority => u32::from(r.priority),
            Dimension::Category => r.category,
        }
    }

    /// Figures, SLA attainment and (when `options.contact_rates`) contact rates of `[from, to)`
    /// per group, as `metrics::reference::report_by` computes them: each metric by its own
    /// period-membership instant (created: `created_at`; first reply: `first_reply_at`; solved,
    /// reopen rate, full resolution, one-touch and FCR: `latest_solved_at`; repeat contact:
    /// `tickets.created_at`; an SLA target: the instant it was achieved or breached, a running
    /// clock past its due instant at `options.now` breached then). Groups without any figure are
    /// absent; ordered as the SQL read side orders them.
    pub fn report(
        &self,
        grouping: StoreGrouping<'_>,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        options: ReportOptions,
    ) -> Vec<GroupReport> {
        let (lo, hi, now) = (
            from.timestamp_micros(),
            to.timestamp_micros(),
            options.now.timestamp_micros(),
        );
        let inside = |t: i64| t != NONE && t >= lo && t < hi;
        let b = usize::from(options.basis == TimeBasis::Business);
        let contact = options.contact_rates;
        let filter = (!filters.is_empty()).then(|| self.resolve(filters));
        let starts: Vec<i64> = match grouping {
            StoreGrouping::Buckets(buckets) => {
                buckets.iter().map(|(_, s)| s.timestamp_micros()).collect()
            }
            _ => Vec::new(),
        };
        // Group slots: for buckets the bucket index; otherwise one slot per raw dimension value.
        let mut accs: Vec<Acc> = Vec::new();
        let mut keys: Vec<(Option<String>, Option<String>)> = Vec::new();
        let mut by_raw: HashMap<u32, usize> = HashMap::default();
        let mut by_key: HashMap<Option<String>, usize> = HashMap::default();
        if let StoreGrouping::Buckets(buckets) = grouping {
            for (key, _) in buckets {
                accs.push(Acc::default());
                keys.push((Some(key.clone()), None));
            }
        }
        // `cached`: a row's slot when it does not depend on the instant (not buckets).
        let mut slot = |r: &Row, at: i64, accs: &mut Vec<Acc>, cached: &mut Option<usize>| {
            if let Some(s) = *cached {
                return s;
            }
            let s = match grouping {
                StoreGrouping::Buckets(_) => {
                    return starts.partition_point(|&s| s <= at).max(1) - 1;
                }
                StoreGrouping::All => {
                    if accs.is_empty() {
                        accs.push(Acc::default());
                        keys.push((Some("all".to_string()), None));
                    }
                    0
                }
                StoreGrouping::Dimension(d) => {
                    let raw = Self::dimension_raw(d, r);
                    if let Some(&s) = by_raw.get(&raw) {
                        *cached = Some(s);
                        return s;
                    }
                    let key = self.dimension_key(d, r);
                    let s = *by_key.entry(key.0.clone()).or_insert_with(|| {
                        accs.push(Acc::default());
                        keys.push(key);
                        accs.len() - 1
                    });
                    by_raw.insert(raw, s);
                    s
                }
            };
            *cached = Some(s);
            s
        };
        let c = self.content;
        for r in &c.rows {
            if filter.as_ref().is_some_and(|f| !f.matches(r)) {
                continue;
            }
            let mut cached = None;
            if r.flags & flag::HAS_METRICS != 0 {
                let created = c.metrics_created(r);
                if inside(created) {
                    let s = slot(r, created, &mut accs, &mut cached);
                    accs[s].created += 1;
                }
                let (frt, resolution) = c.durations(r, b);
                if inside(r.first_reply_at) {
                    let s = slot(r, r.first_reply_at, &mut accs, &mut cached);
                    accs[s].first_replies += 1;
                    if frt != NONE {
                        accs[s].frt.push(frt);
                    }
                }
                let latest = c.latest(r);
                if inside(latest) {
                    let s = slot(r, latest, &mut accs, &mut cached);
                    let a = &mut accs[s];
                    a.solved += 1;
                    let has = |bit: u32| i64::from(r.flags & bit != 0);
                    a.reopened += has(flag::REOPENED);
                    if resolution != NONE {
                        a.resolution.push(resolution);
                    }
                    if contact {
                        a.resolved += has(flag::ONE_TOUCH_SET);
                        a.one_touch += has(flag::ONE_TOUCH);
                        a.one_touch_strict += has(flag::STRICT);
                        let fcr = flag::FCR_CANDIDATE | flag::FIRST_CONTACT;
                        a.fcr += i64::from(r.flags & fcr == fcr);
                    }
                }
            }
            if contact && inside(r.created) {
                let s = slot(r, r.created, &mut accs, &mut cached);
                accs[s].contacts += 1;
                accs[s].repeats += i64::from(r.flags & flag::REPEAT_CONTACT != 0);
            }
            c.outcomes(r, |o| {
                if !inside(o.at) || (o.kind == OutcomeKind::BreachedIfDue && o.at > now) {
                    return;
                }
                let s = slot(r, o.at, &mut accs, &mut cached);
                if o.kind == OutcomeKind::Achieved {
                    accs[s].achieved += 1;
                } else {
                    accs[s].breached += 1;
                }
            });
        }
        let mut out: Vec<GroupReport> = accs
            .into_iter()
            .zip(keys)
            .filter(|(a, _)| a.has_figures())
            .map(|(mut a, (key, label))| {
                let mut figures = empty_summary();
                figures.tickets_created = a.created;
                figures.first_reply_time = DurationStats::of_unordered(&mut a.frt);
                figures.tickets_solved = a.solved;
                figures.reopen_rate = Rate::new(a.reopened, a.solved);
                figures.full_resolution_time = DurationStats::of_unordered(&mut a.resolution);
                GroupReport {
                    key,
                    label,
                    figures,
                    sla_attainment: Rate::new(a.achieved, a.achieved + a.breached),
                    contact_rates: contact.then(|| ContactRates {
                        one_touch: Rate::new(a.one_touch, a.resolved),
                        one_touch_strict: Rate::new(a.one_touch_strict, a.resolved),
                        fcr: Rate::new(a.fcr, a.resolved),
                        repeat_contact: Rate::new(a.repeats, a.contacts),
                    }),
                }
            })
            .collect();
        out.sort_by_key(|g| group_order(g.key.as_deref()));
        out
    }

    /// `on_hold.v1` by pause reason over tickets whose latest solve is in `[from, to)`, as
    /// `metrics::reference::hold_reasons`: reason → (tickets that spent time on hold for
    /// it, total calendar seconds).
    pub fn hold_reasons(
        &self,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> std::collections::BTreeMap<String, (i64, i64)> {
        let (lo, hi) = (from.timestamp_micros(), to.timestamp_micros());
        let filter = (!filters.is_empty()).then(|| self.resolve(filters));
        let mut by_reason: HashMap<u32, (i64, i64)> = HashMap::default();
        let c = self.content;
        for r in &c.rows {
            if r.flags & flag::HOLD == 0 {
                continue;
            }
            let solved = c.latest(r);
            if solved == NONE || solved < lo || solved >= hi {
                continue;
            }
            if filter.as_ref().is_some_and(|f| !f.matches(r)) {
                continue;
            }
            for &(reason, seconds) in c.holds.get(&r.ticket_id).into_iter().flatten() {
                let e = by_reason.entry(reason).or_default();
                e.0 += 1;
                e.1 += seconds;
            }
        }
        by_reason
            .into_iter()
            .map(|(reason, figures)| {
                (
                    self.content
                        .strings
                        .value(reason)
                        .cloned()
                        .unwrap_or_default(),
                    figures,
                )
            })
            .collect()
    }

    /// Every figure of the summary of `[from, to)` (one group keyed `all`, or an empty one).
    pub fn summary(
        &self,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        options: ReportOptions,
    ) -> GroupReport {
        self.report(StoreGrouping::All, filters, from, to, options)
            .into_iter()
            .next()
            .unwrap_or_else(|| GroupReport::empty(Some("all".into()), options.contact_rates))
    }
}
