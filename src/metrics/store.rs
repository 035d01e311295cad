//! The metric projection held in memory, per process, refreshed exactly from the database on
//! every read: what `GET /metrics/summary`, `/timeseries` and `/breakdown` aggregate.
//!
//! Why: METRICS.md asks for exact medians and p90s (`percentile_cont`). Over a year of a large
//! contact center that is a million values per metric, which PostgreSQL must sort on each request
//! (0.9 s for a one-year summary, 4.6 s for a one-year breakdown at 1M tickets on two cores).
//! Held here as packed rows (~200 bytes per ticket with its SLA outcomes), the same figures are
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

/// A missing value (SQL NULL) in the packed rows.
const NONE: i64 = i64::MIN;

/// How an SLA clock counts towards attainment (METRICS.md "SLA"), and at which instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutcomeKind {
    /// Fulfilled and never breached: achieved at `fulfilled_at`.
    Achieved,
    /// Breached at `breached_at`.
    Breached,
    /// Still running and not breached: breached at `due_at` once that instant is past `now`.
    BreachedIfDue,
}

#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// Microseconds since the Unix epoch, UTC.
    at: i64,
    kind: OutcomeKind,
}

/// One ticket: its dimensions, its projection (`ticket_metrics`) and its SLA outcomes. Instants in
/// microseconds since the Unix epoch (UTC), durations in seconds, [`NONE`] for NULL.
#[derive(Debug, Clone)]
struct Row {
    ticket_id: i64,
    /// False for a ticket without a `ticket_metrics` row (it still has SLA outcomes).
    has_metrics: bool,
    created_at: i64,
    first_reply_at: i64,
    /// `first_reply_seconds`, `first_reply_business_seconds`.
    first_reply: [i64; 2],
    latest_solved_at: i64,
    /// `full_resolution_seconds`, `full_resolution_business_seconds`.
    full_resolution: [i64; 2],
    reopens: i32,
    /// Interned `channel::text`, `priority::text`, `category` (0 = NULL).
    channel: u32,
    priority: u32,
    category: u32,
    team_id: i64,
    assignee_id: i64,
    organization_id: i64,
    site_id: i64,
    outcomes: Box<[Outcome]>,
    /// The contact-rate inputs: `tickets.requester_id`, `tickets.created_at`, `tickets.solved_at`
    /// (the latest solve), `one_touch` / `one_touch_strict` (`None` = NULL), `fcr_candidate`.
    requester_id: i64,
    ticket_created_at: i64,
    ticket_solved_at: i64,
    one_touch: Option<bool>,
    one_touch_strict: Option<bool>,
    fcr_candidate: bool,
    /// `on_hold_by_reason`: (interned reason, calendar seconds).
    on_hold: Box<[(u32, i64)]>,
    /// `fcr.v1`'s look-up: no other ticket of the same requester and category (both without
    /// one count as the same) was created within 7 days after this one's latest solve,
    /// `(solve, solve + 7 days]`. True without a requester. Kept by [`Content::relate`].
    first_contact: bool,
    /// `repeat_contact.v1`: another ticket of the same requester and category had its latest
    /// solve within the 7 days before this one's creation, `[created − 7 days, created)`. False
    /// without a requester. Kept by [`Content::relate`].
    repeat_contact: bool,
}

impl Row {
    /// What the first-contact and repeat-contact look-ups read of a ticket (theirs and their
    /// peers'): requester, category, creation, latest solve (both columns).
    fn relation(&self) -> (i64, u32, i64, i64, i64) {
        (
            self.requester_id,
            self.category,
            self.ticket_created_at,
            self.ticket_solved_at,
            self.latest_solved_at,
        )
    }

    /// The earliest and latest instant at which the row counts in any figure.
    fn span(&self) -> (i64, i64) {
        let metrics = if self.has_metrics {
            [self.created_at, self.first_reply_at, self.latest_solved_at]
        } else {
            [NONE; 3]
        };
        metrics
            .into_iter()
            .chain([self.ticket_created_at])
            .chain(self.outcomes.iter().map(|o| o.at))
            .filter(|&t| t != NONE)
            .fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)))
    }
}

/// The tickets of one requester in one category (category 0 = none), for the 7-day look-ups of
/// `fcr.v1` and `repeat_contact.v1`: (instant, ticket id), each list in ascending order.
#[derive(Debug, Default)]
struct Peers {
    /// By `tickets.created_at`.
    created: Vec<(i64, i64)>,
    /// By `tickets.solved_at` (what `repeat_contact.v1` reads).
    solved: Vec<(i64, i64)>,
    /// By `ticket_metrics.latest_solved_at` (what `fcr.v1` reads), to find the tickets a
    /// change of creation can affect.
    latest: Vec<(i64, i64)>,
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
            created: r.ticket_created_at,
            solved: r.ticket_solved_at,
        })
    }
}

impl Peers {
    /// A ticket's (`first_contact`, `repeat_contact`) given its group's lists.
    fn flags(&self, r: &Row) -> (bool, bool) {
        let (id, s, c) = (r.ticket_id, r.latest_solved_at, r.ticket_created_at);
        (
            s == NONE
                || !Peers::any_other(&self.created, id, s, s.saturating_add(SEVEN_DAYS), true),
            Peers::any_other(&self.solved, id, c.saturating_sub(SEVEN_DAYS), c, false),
        )
    }

    /// The ids with an instant in `(after, until]` when `open_start`, else `[after, until)`.
    fn ids_in(
        list: &[(i64, i64)],
        after: i64,
        until: i64,
        open_start: bool,
    ) -> impl Iterator<Item = i64> + '_ {
        let start = if open_start {
            list.partition_point(|e| e.0 <= after)
        } else {
            list.partition_point(|e| e.0 < after)
        };
        list[start..]
            .iter()
            .take_while(move |e| {
                if open_start {
                    e.0 <= until
                } else {
                    e.0 < until
                }
            })
            .map(|e| e.1)
    }

    fn insert(list: &mut Vec<(i64, i64)>, entry: (i64, i64)) {
        let at = list.partition_point(|e| *e < entry);
        list.insert(at, entry);
    }

    fn remove(list: &mut Vec<(i64, i64)>, entry: (i64, i64)) {
        if let Ok(at) = list.binary_search(&entry) {
            list.remove(at);
        }
    }

    /// True when a ticket other than `id` has an instant in `(after, until]` when `open_start`,
    /// in `[after, until)` otherwise.
    fn any_other(list: &[(i64, i64)], id: i64, after: i64, until: i64, open_start: bool) -> bool {
        Peers::ids_in(list, after, until, open_start).any(|other| other != id)
    }
}

/// `interval '7 days'` of the SQL read side, in microseconds (sessions run in UTC: db.rs).
const SEVEN_DAYS: i64 = 7 * 86_400 * 1_000_000;

/// The store's content: every ticket as of `snapshot`.
struct Content {
    /// `pg_current_snapshot()::text` of the transaction the content was read in.
    snapshot: String,
    rows: Vec<Row>,
    /// ticket id → index in `rows`.
    index: HashMap<i64, usize>,
    /// Per row (same index): the earliest and latest instant at which it counts in any figure,
    /// so that a period skips rows without touching them (`(i64::MAX, i64::MIN)`: never).
    spans: Vec<(i64, i64)>,
    /// Interned strings; index 0 stands for NULL.
    strings: Vec<String>,
    string_ids: HashMap<String, u32>,
    /// (requester, category) → their tickets, for tickets with a requester.
    peers: HashMap<(i64, u32), Peers>,
}

impl Content {
    fn empty() -> Content {
        Content {
            snapshot: String::new(),
            rows: Vec::new(),
            index: HashMap::default(),
            spans: Vec::new(),
            strings: vec![String::new()],
            string_ids: HashMap::default(),
            peers: HashMap::default(),
        }
    }

    fn intern(&mut self, s: Option<String>) -> u32 {
        let Some(s) = s else { return 0 };
        if let Some(&id) = self.string_ids.get(&s) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push(s.clone());
        self.string_ids.insert(s, id);
        id
    }

    fn string(&self, id: u32) -> Option<String> {
        (id != 0).then(|| self.strings[id as usize].clone())
    }

    /// Replaces (or adds) the rows of `loaded` and removes `gone`, keeping `index` and `peers`.
    fn apply(&mut self, mut loaded: Vec<Row>, gone: &[i64]) {
        // What changed for the look-ups: (group, ticket, creation, solve) of the old and the new
        // version of each ticket whose relation changed.
        let mut touched: Vec<Touch> = Vec::new();
        for row in loaded.iter_mut() {
            match self.index.get(&row.ticket_id).map(|&i| &self.rows[i]) {
                // Most writes (a reply, a note, an assignment) leave what the look-ups read
                // unchanged: the flags carry over and the requester's other tickets are
                // untouched.
                Some(old) if old.relation() == row.relation() => {
                    row.first_contact = old.first_contact;
                    row.repeat_contact = old.repeat_contact;
                }
                Some(old) => touched.extend([Touch::of(row), Touch::of(old)].into_iter().flatten()),
                None => touched.extend(Touch::of(row)),
            }
        }
        for id in gone {
            if let Some(&i) = self.index.get(id) {
                touched.extend(Touch::of(&self.rows[i]));
            }
        }
        for row in loaded {
            self.link(&row, true);
            match self.index.get(&row.ticket_id) {
                Some(&i) => {
                    self.spans[i] = row.span();
                    let old = std::mem::replace(&mut self.rows[i], row);
                    self.link(&old, false);
                }
                None => {
                    self.index.insert(row.ticket_id, self.rows.len());
                    self.spans.push(row.span());
                    self.rows.push(row);
                }
            }
        }
        for id in gone {
            if let Some(i) = self.index.remove(id) {
                self.spans.swap_remove(i);
                let old = self.rows.swap_remove(i);
                self.link(&old, false);
                if let Some(moved) = self.rows.get(i) {
                    self.index.insert(moved.ticket_id, i);
                }
            }
        }
        // The tickets whose flags a change can move: the changed ticket itself; those whose
        // 7-day window after their latest solve holds the changed creation (latest solve in
        // `[created − 7 days, created)`); those whose window before their creation holds the
        // changed solve (creation in `(solved, solved + 7 days]`).
        let mut ids: Vec<i64> = Vec::new();
        for t in &touched {
            ids.push(t.ticket_id);
            let Some(p) = self.peers.get(&t.group) else {
                continue;
            };
            if t.created != NONE {
                ids.extend(Peers::ids_in(
                    &p.latest,
                    t.created.saturating_sub(SEVEN_DAYS),
                    t.created,
                    false,
                ));
            }
            if t.solved != NONE {
                ids.extend(Peers::ids_in(
                    &p.created,
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

    /// Recomputes one ticket's `first_contact` and `repeat_contact` from its group's lists.
    fn relate_one(&mut self, id: i64) {
        let Some(&i) = self.index.get(&id) else {
            return;
        };
        let r = &self.rows[i];
        let flags = if r.requester_id == NONE {
            (true, false)
        } else {
            self.peers
                .get(&(r.requester_id, r.category))
                .map_or((true, false), |p| p.flags(r))
        };
        let r = &mut self.rows[i];
        (r.first_contact, r.repeat_contact) = flags;
    }

    /// Recomputes `first_contact` and `repeat_contact` of every ticket of one requester and
    /// category (a full load): two binary searches per ticket in the group's sorted lists.
    fn relate(&mut self, key: (i64, u32)) {
        let Content {
            peers, rows, index, ..
        } = self;
        let Some(p) = peers.get(&key) else { return };
        for &(_, id) in &p.created {
            let Some(&i) = index.get(&id) else { continue };
            let r = &mut rows[i];
            (r.first_contact, r.repeat_contact) = p.flags(r);
        }
    }

    /// Takes `rows` as the whole content (a full load): the look-up lists are sorted once
    /// rather than kept sorted row by row.
    fn build(&mut self, rows: Vec<Row>) {
        self.index = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.ticket_id, i))
            .collect();
        self.spans = rows.iter().map(Row::span).collect();
        self.peers.clear();
        for r in rows.iter().filter(|r| r.requester_id != NONE) {
            let peers = self.peers.entry((r.requester_id, r.category)).or_default();
            if r.ticket_created_at != NONE {
                peers.created.push((r.ticket_created_at, r.ticket_id));
            }
            if r.ticket_solved_at != NONE {
                peers.solved.push((r.ticket_solved_at, r.ticket_id));
            }
            if r.latest_solved_at != NONE {
                peers.latest.push((r.latest_solved_at, r.ticket_id));
            }
        }
        for peers in self.peers.values_mut() {
            peers.created.sort_unstable();
            peers.solved.sort_unstable();
            peers.latest.sort_unstable();
        }
        self.rows = rows;
        let keys: Vec<(i64, u32)> = self.peers.keys().copied().collect();
        for key in keys {
            self.relate(key);
        }
    }

    /// Adds a row's entries to (or removes them from) `peers`.
    fn link(&mut self, row: &Row, add: bool) {
        if row.requester_id == NONE {
            return;
        }
        let key = (row.requester_id, row.category);
        let peers = self.peers.entry(key).or_default();
        let id = row.ticket_id;
        for (list, at) in [
            (&mut peers.created, row.ticket_created_at),
            (&mut peers.solved, row.ticket_solved_at),
            (&mut peers.latest, row.latest_solved_at),
        ] {
            if at == NONE {
                continue;
            }
            if add {
                Peers::insert(list, (at, id));
            } else {
                Peers::remove(list, (at, id));
            }
        }
        if peers.created.is_empty() && peers.solved.is_empty() && peers.latest.is_empty() {
            self.peers.remove(&key);
        }
    }
}

/// The per-process store (in [`crate::startup::AppState`]). Empty until the first read.
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
            Refresh::Full { tickets } => tracing::info!(tickets, ms, "metrics store loaded"),
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
    let changed: Vec<i64> = diesel::sql_query(
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
    .bind::<Text, _>(&content.snapshot)
    .load::<IdRow>(conn)?
    .into_iter()
    .map(|r| r.ticket_id)
    .collect();
    if changed.len() > 1000 && changed.len() > content.rows.len() / FULL_RELOAD_SHARE {
        return full_load(conn, content, snapshot, chunk);
    }
    let tickets = changed.len();
    if !changed.is_empty() {
        let (rows, outcomes) = load_rows(conn, Selection::Ids(&changed))?;
        let rows = assemble(content, rows, outcomes);
        let found: std::collections::HashSet<i64> = rows.iter().map(|r| r.ticket_id).collect();
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
        rows.extend(assemble(&mut fresh, tickets, clocks));
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
) -> Vec<Row> {
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
                                content.intern(Some(reason.clone())),
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
            Row {
                ticket_id: id,
                has_metrics: metrics_id.is_some(),
                created_at: micros(created_at),
                first_reply_at: micros(first_reply_at),
                first_reply: [frt.unwrap_or(NONE), frt_business.unwrap_or(NONE)],
                latest_solved_at: micros(latest_solved_at),
                full_resolution: [
                    resolution.unwrap_or(NONE),
                    resolution_business.unwrap_or(NONE),
                ],
                reopens: reopens.unwrap_or(0),
                channel: content.intern(channel),
                priority: content.intern(priority),
                category: content.intern(category),
                team_id: team_id.unwrap_or(NONE),
                assignee_id: assignee_id.unwrap_or(NONE),
                organization_id: organization_id.unwrap_or(NONE),
                site_id: site_id.unwrap_or(NONE),
                outcomes: outcomes.remove(&id).unwrap_or_default().into_boxed_slice(),
                requester_id: requester_id.unwrap_or(NONE),
                ticket_created_at: ticket_created_at.timestamp_micros(),
                ticket_solved_at: micros(ticket_solved_at),
                one_touch,
                one_touch_strict,
                fcr_candidate: fcr_candidate.unwrap_or(false),
                on_hold,
                first_contact: true,
                repeat_contact: false,
            }
        })
        .collect()
}

/// A filter resolved against the store: `None` fields match anything.
struct Resolved {
    team_id: Option<i64>,
    assignee_id: Option<i64>,
    organization_id: Option<i64>,
    site_id: Option<i64>,
    channel: Option<u32>,
    priority: Option<u32>,
    category: Option<u32>,
    /// Teams whose sourcing is the one asked for.
    teams: Option<Vec<i64>>,
    /// Staff whose employment type is the one asked for.
    staff: Option<Vec<i64>>,
    /// A text filter names a value no ticket has: nothing matches.
    impossible: bool,
}

impl Resolved {
    fn matches(&self, r: &Row) -> bool {
        let id = |want: Option<i64>, have: i64| want.is_none_or(|w| w == have);
        let string = |want: Option<u32>, have: u32| want.is_none_or(|w| w == have);
        !self.impossible
            && id(self.team_id, r.team_id)
            && id(self.assignee_id, r.assignee_id)
            && id(self.organization_id, r.organization_id)
            && id(self.site_id, r.site_id)
            && string(self.channel, r.channel)
            && string(self.priority, r.priority)
            && string(self.category, r.category)
            && self.teams.as_ref().is_none_or(|t| t.contains(&r.team_id))
            && self
                .staff
                .as_ref()
                .is_none_or(|s| s.contains(&r.assignee_id))
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
        let mut string = |v: &Option<String>| {
            v.as_ref().map(|s| match c.string_ids.get(s) {
                Some(&id) => id,
                None => {
                    impossible = true;
                    0
                }
            })
        };
        let (channel, priority, category) =
            (string(&f.channel), string(&f.priority), string(&f.category));
        let d = &self.dimensions;
        Resolved {
            team_id: f.team_id,
            assignee_id: f.agent_id,
            organization_id: f.organization_id,
            site_id: f.site_id,
            channel,
            priority,
            category,
            teams: f.sourcing.as_ref().map(|want| {
                d.teams
                    .iter()
                    .filter(|(_, (_, s))| s == want)
                    .map(|(id, _)| *id)
                    .collect()
            }),
            staff: f.employment_type.as_ref().map(|want| {
                d.users
                    .iter()
                    .filter(|(_, (_, e))| e == want)
                    .map(|(id, _)| *id)
                    .collect()
            }),
            impossible,
        }
    }

    /// The group key and label of a dimension value of `row`, as the SQL read side writes them.
    fn dimension_key(&self, d: Dimension, r: &Row) -> (Option<String>, Option<String>) {
        let dims = &self.dimensions;
        let id = |v: i64| (v != NONE).then_some(v);
        let named = |v: i64, name: Option<&String>| {
            id(v).map_or((None, None), |v| (Some(v.to_string()), name.cloned()))
        };
        let same = |s: Option<String>| (s.clone(), s);
        match d {
            Dimension::Team => named(r.team_id, dims.teams.get(&r.team_id).map(|t| &t.0)),
            Dimension::Agent => named(r.assignee_id, dims.users.get(&r.assignee_id).map(|u| &u.0)),
            Dimension::Organization => named(
                r.organization_id,
                dims.organizations.get(&r.organization_id),
            ),
            Dimension::Site => named(r.site_id, dims.sites.get(&r.site_id)),
            Dimension::Channel => same(self.content.string(r.channel)),
            Dimension::Priority => same(self.content.string(r.priority)),
            Dimension::Category => same(self.content.string(r.category)),
            Dimension::Sourcing => same(dims.teams.get(&r.team_id).map(|t| t.1.clone())),
            Dimension::EmploymentType => same(dims.users.get(&r.assignee_id).map(|u| u.1.clone())),
        }
    }

    /// The raw value a dimension groups `row` by (an id, or an interned string).
    fn dimension_raw(d: Dimension, r: &Row) -> i64 {
        match d {
            Dimension::Team | Dimension::Sourcing => r.team_id,
            Dimension::Agent | Dimension::EmploymentType => r.assignee_id,
            Dimension::Organization => r.organization_id,
            Dimension::Site => r.site_id,
            Dimension::Channel => i64::from(r.channel),
            Dimension::Priority => i64::from(r.priority),
            Dimension::Category => i64::from(r.category),
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
        let mut by_raw: HashMap<i64, usize> = HashMap::default();
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
        for (r, &(first, last)) in self.content.rows.iter().zip(&self.content.spans) {
            if last < lo || first >= hi || filter.as_ref().is_some_and(|f| !f.matches(r)) {
                continue;
            }
            let mut cached = None;
            if r.has_metrics {
                if inside(r.created_at) {
                    let s = slot(r, r.created_at, &mut accs, &mut cached);
                    accs[s].created += 1;
                }
                if inside(r.first_reply_at) {
                    let s = slot(r, r.first_reply_at, &mut accs, &mut cached);
                    accs[s].first_replies += 1;
                    if r.first_reply[b] != NONE {
                        accs[s].frt.push(r.first_reply[b]);
                    }
                }
                if inside(r.latest_solved_at) {
                    let s = slot(r, r.latest_solved_at, &mut accs, &mut cached);
                    let a = &mut accs[s];
                    a.solved += 1;
                    a.reopened += i64::from(r.reopens > 0);
                    if r.full_resolution[b] != NONE {
                        a.resolution.push(r.full_resolution[b]);
                    }
                    if contact {
                        a.resolved += i64::from(r.one_touch.is_some());
                        a.one_touch += i64::from(r.one_touch == Some(true));
                        a.one_touch_strict += i64::from(r.one_touch_strict == Some(true));
                        a.fcr += i64::from(r.fcr_candidate && r.first_contact);
                    }
                }
            }
            if contact && inside(r.ticket_created_at) {
                let s = slot(r, r.ticket_created_at, &mut accs, &mut cached);
                accs[s].contacts += 1;
                accs[s].repeats += i64::from(r.repeat_contact);
            }
            for o in r.outcomes.iter() {
                if !inside(o.at) || (o.kind == OutcomeKind::BreachedIfDue && o.at > now) {
                    continue;
                }
                let s = slot(r, o.at, &mut accs, &mut cached);
                if o.kind == OutcomeKind::Achieved {
                    accs[s].achieved += 1;
                } else {
                    accs[s].breached += 1;
                }
            }
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
        for (r, &(first, last)) in self.content.rows.iter().zip(&self.content.spans) {
            if last < lo || first >= hi {
                continue;
            }
            let solved = r.latest_solved_at;
            if !r.has_metrics
                || r.on_hold.is_empty()
                || solved == NONE
                || solved < lo
                || solved >= hi
            {
                continue;
            }
            if filter.as_ref().is_some_and(|f| !f.matches(r)) {
                continue;
            }
            for &(reason, seconds) in r.on_hold.iter() {
                let e = by_reason.entry(reason).or_default();
                e.0 += 1;
                e.1 += seconds;
            }
        }
        by_reason
            .into_iter()
            .map(|(reason, figures)| (self.content.string(reason).unwrap_or_default(), figures))
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
