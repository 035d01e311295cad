//! The metric projection held in memory, per process, refreshed exactly from the database on
//! every read: what `GET /metrics/summary`, `/timeseries` and `/breakdown` aggregate.
//!
//! Why: docs/METRICS.md asks for exact medians and p90s (`percentile_cont`). Over a year of a large
//! contact center that is a million values per metric, which PostgreSQL must sort on each request
//! (0.9 s for a one-year summary, 4.6 s for a one-year breakdown at 1M tickets on two cores).
//! Held here as packed rows (120 bytes per ticket with up to four SLA outcomes, ~146 with the
//! look-up lists and side tables; who each figure is credited to, docs/METRICS.md §7, is a
//! 4-byte index into the distinct attributions, 59 of them for the 2,500 demo tickets), the
//! same figures are
//! one pass over the rows plus an O(n) selection per percentile. The contact rates' 7-day
//! look-ups (`fcr.v1`, `repeat_contact.v1`) are kept as per-ticket flags, recomputed for a
//! requester's tickets in a category when one of them changes what the look-ups read.
//!
//! Files: this one holds the types and the concurrency of reads and refreshes; `packed.rs` packs a
//! ticket's row, `content.rs` keeps the rows and the contact flags, `load.rs` reads them from the
//! database, `aggregate.rs` computes the figures, `field.rs` holds the work orders
//! (`work_order_metrics`, docs/METRICS.md §8: one packed row each, read with their tickets and
//! again whenever a ticket is, since `changed_since` follows `work_order_metrics` too) and looks
//! up `first_time_fix.v1` and the repeat visits at query time (N days is a request parameter),
//! `survey.rs` holds the surveys (`csat.v1`, `csat_response_rate.v1`, `nps.v1`, and the reports'
//! ratings as of an instant: 56 bytes per survey sent or answered, 32 per ticket rating, only
//! for the tickets that have any;
//! `changed_since` follows `surveys.changed_xid`, since an answer or a delivery changes no ticket
//! row).
//!
//! Exactness: every read runs in one `REPEATABLE READ` read-only transaction. The store remembers
//! the snapshot (`pg_current_snapshot()`) its content was read at; a read finds every ticket
//! whose row, projection, SLA clocks, work orders' metrics or surveys were written by a transaction that snapshot did not see
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
use crate::metrics::one_calendar::OneCalendar;
use crate::metrics::types::{
    ContactRates, Dimension, FieldFigures, GroupReport, MetricFilters, ReportOptions, TimeBasis,
    empty_summary, field_applies, group_order,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use parking_lot::{RwLock, RwLockWriteGuard};

mod aggregate;
mod bake_off;
mod dimensions;
pub use dimensions::Dimensions;
mod content;
mod evidence;
mod field;
mod load;
mod packed;
mod sizes;
mod survey;

use field::{FieldAcc, FieldRow};
use load::{changed_since, current_snapshot, refresh};
use packed::{ids_in, latest_of, seconds};
use survey::{SatisfactionAcc, Surveys};

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

#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// Microseconds since the Unix epoch, UTC.
    at: i64,
    kind: OutcomeKind,
    /// Whom it is credited to: the ticket's team and assignee at `at` (docs/METRICS.md §7;
    /// `ticket_sla_clocks.outcome_team_id`, `outcome_assignee_id`), an index in
    /// `Content::credits` (0 = no team, no assignee). Fills the padding: still 16 bytes.
    credit: u32,
}

const _: () = assert!(
    std::mem::size_of::<Outcome>() == 16,
    "an SLA outcome is 16 bytes"
);

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
    /// Bits 24–31: `reopens` (0–254), or 255: the count is in [`super::Extra`].
    pub const REOPENS_SHIFT: u32 = 24;
    pub const REOPENS_IN_EXTRA: u32 = 255;
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
    /// Who the ticket's figures are credited to, and its current team and assignee: an index
    /// in `Content::attributions` (0 = nobody, no team, nothing recorded).
    attribution: u32,
    /// Organization and site ids, interned in `Content::ids` (0 = NULL).
    organization: u32,
    site: u32,
    /// Interned `category` in `Content::strings` (0 = NULL).
    category: u32,
    /// Interned `tickets.source` in `Content::sources` (0 = NULL: the company's own ticket).
    source: u32,
    /// See [`flag`].
    flags: u32,
    /// Interned `channel::text`, `priority::text` in `Content::labels` (0 = NULL).
    channel: u8,
    priority: u8,
    /// The ticket's custom field values (`tickets.custom_fields`, as PostgreSQL writes the
    /// JSON), interned in `Content::customs` (0 = none): breakdowns by a drop-down field read
    /// it. Distinct combinations are few; the 4 bytes fill the row's padding (still 120).
    custom: u32,
    /// The credits of the row's inline SLA outcomes, in their order: an index in
    /// `Content::outcome_credits` (0: every outcome credited to nobody, or none). Distinct
    /// combinations are few; the 2 bytes fill the row's last padding (still 120). Past 65,535
    /// combinations a row's outcomes go to [`Extra`], which holds each one's credit.
    outcome_credits: u16,
}

const _: () = assert!(
    std::mem::size_of::<Row>() == 120,
    "a packed row is 120 bytes"
);

/// Who a ticket's figures are credited to (docs/METRICS.md §7, "Attribution"; the attribution
/// columns of `ticket_metrics`) and its current team and assignee: ids interned in
/// `Content::ids`, sourcing and employment types in `Content::labels` (0 = NULL). Held once per
/// distinct combination (`Content::attributions`), not per ticket: most tickets of one agent
/// share theirs, so the packed row keeps its 120 bytes with a 4-byte index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Attribution {
    /// `tickets.team_id`, `tickets.assignee_id`: as they are now (`current_team`,
    /// `current_agent`).
    team: u32,
    assignee: u32,
    /// `created_team_id`, `created_sourcing`: volumes and repeat contacts.
    created_team: u32,
    created_sourcing: u8,
    /// `first_reply_agent_id`, `first_reply_team_id`, `first_reply_sourcing`,
    /// `first_reply_agent_employment`: `frt.v1`.
    first_reply_agent: u32,
    first_reply_team: u32,
    first_reply_sourcing: u8,
    first_reply_employment: u8,
    /// `solved_assignee_id`, `solved_team_id`, `solved_sourcing`, `solved_assignee_employment`:
    /// resolution figures, reopens, one-touch, FCR, time on hold by reason.
    solved_assignee: u32,
    solved_team: u32,
    solved_sourcing: u8,
    solved_employment: u8,
}

/// The team and assignee an SLA outcome is credited to (interned ids, 0 = none), held once
/// per distinct pair in `Content::credits`.
type OutcomeCredit = (u32, u32);

/// `team_sourcing` values.
const SOURCINGS: &[&str] = &["in_house", "outsourced"];
/// `employment_type` values.
const EMPLOYMENT_TYPES: &[&str] = &["employee", "contractor"];

/// No team, no agent, nothing recorded.
const NOBODY: Attribution = Attribution {
    team: 0,
    assignee: 0,
    created_team: 0,
    created_sourcing: 0,
    first_reply_agent: 0,
    first_reply_team: 0,
    first_reply_sourcing: 0,
    first_reply_employment: 0,
    solved_assignee: 0,
    solved_team: 0,
    solved_sourcing: 0,
    solved_employment: 0,
};

/// Whom a figure is credited to (see [`Attribution`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Volumes and repeat contacts: the team at creation (no agent).
    Created,
    /// `frt.v1`: the replying agent and their team at the reply.
    FirstReply,
    /// Resolution figures: the assignee and team at the latest solve.
    Solved,
}

/// The team, agent, sourcing and employment type a figure is credited to (interned; 0 = none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Credit {
    team: u32,
    agent: u32,
    sourcing: u8,
    employment: u8,
}

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
    /// `ticket_metrics.reopens` when it does not fit the row's flags (`REOPENS_IN_EXTRA`).
    reopens: i32,
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
    source: u32,
    attribution: u32,
    organization: u32,
    site: u32,
    custom: u32,
    outcomes: Vec<Outcome>,
    /// `Content::outcome_credits` of the outcomes' credits when they are inline; `None`: that
    /// table is full, the outcomes go to [`Extra`].
    outcome_credits: Option<u16>,
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

/// The tickets the 7-day look-ups compare: one requester's, in one data set and category.
type Group = (i64, u32, u32);

/// The look-up group of a row: (requester, data set, category).
fn group_of(r: &Row) -> Group {
    (r.requester_id, r.source, r.category)
}

/// A ticket version whose look-up inputs changed (see [`Content::apply`]).
struct Touch {
    group: Group,
    ticket_id: i64,
    created: i64,
    solved: i64,
}

/// `interval '7 days'` of the SQL read side, in microseconds (sessions run in UTC: db.rs).
const SEVEN_DAYS: i64 = 7 * 86_400 * 1_000_000;

/// A table of interned values: index 0 stands for NULL.
#[derive(Debug)]
struct Interned<T, I> {
    values: Vec<T>,
    index: HashMap<T, I>,
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
    /// Data-set labels (`tickets.source`): only ever added to, so more than the NULL entry means
    /// some ticket has (or had) one.
    sources: Interned<String, u32>,
    /// Channels, priorities, sourcings, employment types, asset kinds and work-order statuses
    /// (a handful of enum values each).
    labels: Interned<String, u8>,
    /// Distinct custom field values of the rows ([`Row::custom`]); only ever added to between
    /// full loads.
    customs: Interned<String, u32>,
    /// Distinct attributions of the rows ([`Row::attribution`]); only ever added to between
    /// full loads, like `ids` (a full load starts afresh).
    attributions: Interned<Attribution, u32>,
    /// Distinct (team, assignee) credits of SLA outcomes ([`Outcome::credit`]); only ever
    /// added to between full loads.
    credits: Interned<OutcomeCredit, u32>,
    /// Distinct combinations of the credits of a row's inline SLA outcomes, in their order
    /// (indexes in `credits`, 0 past the row's count): [`Row::outcome_credits`].
    outcome_credits: Interned<[u32; INLINE_OUTCOMES], u16>,
    /// Positions in `rows` of the tickets with a requester, by (requester, category,
    /// `tickets.created_at`, id): the 7-day look-ups of `fcr.v1` read creations of a group.
    by_created: Vec<u32>,
    /// The same with a `tickets.solved_at`, by (requester, category, solve, id): what
    /// `repeat_contact.v1` reads.
    by_solved: Vec<u32>,
    /// Every work order (`work_order_metrics`), ascending by id.
    fields: Vec<FieldRow>,
    /// Per work order (as `fields`): the creation instant (µs) of the next **other** work order
    /// for the same site and asset (of the same ticket without an asset) created after this
    /// one's creation, and after its finish ([`NONE`] when none): what `first_time_fix.v1` and
    /// the repeat-visit rate read, for any N days, in O(1).
    next_visit: Vec<(i64, i64)>,
    /// The surveys sent and the tickets' ratings (`survey.rs`).
    surveys: Surveys,
}

/// The per-process store (in [`crate::state::AppState`]). Empty until the first read.
#[derive(Default)]
pub struct MetricsStore {
    content: RwLock<Option<Content>>,
    /// Tickets per query of a full load (0: [`LOAD_CHUNK`]).
    load_chunk: i64,
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
    /// Interned team id → its sourcing periods `(valid_from µs, interned label)`, ascending:
    /// an SLA outcome's sourcing is its team's at the outcome's instant.
    sourcing_periods: HashMap<u32, Vec<(i64, u8)>>,
    /// Interned staff id → their employment type periods, likewise.
    employment_periods: HashMap<u32, Vec<(i64, u8)>>,
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
        let took = started.elapsed();
        let ms = took.as_millis();
        let refreshed = refreshed?;
        let bytes = store.as_ref().map_or(0, Content::heap_bytes);
        let held = store.as_ref().map_or(0, |c| c.rows.len());
        crate::monitoring::record_store_refresh(took.as_secs_f64(), held, bytes);
        match refreshed {
            Refresh::Full { tickets } => {
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
        let reader = Reader::new(content, Dimensions::load(conn)?);
        let read = read.take().ok_or_else(|| {
            crate::error::ApiError::Unexpected(anyhow::anyhow!("metrics store: read twice"))
        })?;
        read(conn, &reader)
    }
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
    Option<String>,
    Option<String>,
);
/// The attribution columns of `ticket_metrics`, in [`Attribution`]'s order.
type AttributionTuple = (
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
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
    Vec<(TicketTuple, MetricsTuple, ContactTuple, AttributionTuple)>,
    Vec<ClockTuple>,
);
/// A clock: ticket, `running`, `due_at`, `fulfilled_at`, `breached_at`, `outcome_team_id`,
/// `outcome_assignee_id`.
type ClockTuple = (
    i64,
    bool,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<i64>,
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

/// A filter resolved against the store (ids and strings as interned): `None` fields match
/// anything.
struct Resolved {
    /// Credited team and agent (see [`Credit`]).
    team: Option<u32>,
    assignee: Option<u32>,
    /// The ticket's current team and assignee.
    current_team: Option<u32>,
    current_agent: Option<u32>,
    /// Credited sourcing and employment type (interned labels).
    sourcing: Option<u8>,
    employment: Option<u8>,
    organization: Option<u32>,
    site: Option<u32>,
    channel: Option<u8>,
    priority: Option<u8>,
    category: Option<u32>,
    /// The data set: 0 for the company's own tickets (no `source` asked for), else the
    /// interned label.
    source: u32,
    /// A filter names a value no ticket has: nothing matches.
    impossible: bool,
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
    /// Field figures (by `finished_at`).
    field: FieldAcc,
    /// Satisfaction figures (ratings by `answered_at`, surveys sent by `sent_at`).
    satisfaction: SatisfactionAcc,
}
