//! [`AccessCache`]: each staff member's role and active flag, kept per process so that
//! [`AuthUser`](super::extract::AuthUser) costs no query on most requests, and invalidated across
//! every service copy as soon as PostgreSQL reports a change.
//!
//! How it stays right:
//! - A trigger on `users` (migration `user_access_notify`) sends `NOTIFY` on [`CHANNEL`] with the
//!   user's id whenever a row's `role` or `active` changes or the row goes (`*` for a `TRUNCATE`).
//!   PostgreSQL delivers it only once the change has committed.
//! - Each process runs one listener thread ([`AccessCache::start_listener`]) on a connection of
//!   its own (outside the pool) that has run `LISTEN`. It drops the entry of each id it is told
//!   about within [`POLL_INTERVAL`] of the notification's arrival.
//! - The cache is trusted only while the listener is known to be connected: it holds a lease that
//!   each successful ping ([`PING_INTERVAL`]) renews for [`LEASE`]. Before the first connection,
//!   after losing it (database restart, network) or when a ping hangs, lookups miss and every
//!   request queries, as without a cache. Entries are not inserted meanwhile, and reconnecting
//!   clears everything, because notifications sent while no one listened are lost.
//! - A generation counter, bumped by every invalidation, closes the race between a request that
//!   read the row just before a change and the notification of that change: the request caches
//!   what it read only if no invalidation happened since it began, so a stale row is never
//!   inserted after its invalidation.
//!
//! The window in which a copy still answers with the old role is the notification's delivery
//! (sub-millisecond on one host) plus at most [`POLL_INTERVAL`]. The entries are one per staff
//! member who made a request (a valid access token is needed to add one), so the map stays small.

use crate::models::enums::UserRole;
use diesel::{Connection, PgConnection, connection::SimpleConnection};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

/// The `LISTEN`/`NOTIFY` channel of role and active changes; the payload is the `users.id` in
/// decimal, or `*` when every row may have changed.
pub const CHANNEL: &str = "frontline_user_access";

/// How often the listener reads notifications off its connection (diesel cannot wait on the
/// socket, so it polls; a poll that finds nothing costs one non-blocking read).
pub const POLL_INTERVAL: Duration = Duration::from_millis(1);

/// How often the listener pings the database to renew its lease.
pub const PING_INTERVAL: Duration = Duration::from_secs(1);

/// How long after the start of a successful ping the cache stays trusted.
pub const LEASE: Duration = Duration::from_millis(2_500);

/// Longest wait between two connection attempts of the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A staff member's access as stored in `users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// `users.role`.
    pub role: UserRole,
    /// `users.active`: inactive staff are refused.
    pub active: bool,
    /// `users.token_generation`: access tokens of another generation are refused.
    pub token_generation: i32,
    /// `users.also_agent`: a manager given the agent role too.
    pub also_agent: bool,
}

/// The per-process cache of [`Access`] by `users.id` (in
/// [`AppState`](crate::state::AppState)). See the module documentation for why it is safe.
#[derive(Debug)]
pub struct AccessCache {
    entries: RwLock<HashMap<i64, Access>>,
    /// Bumped (under the `entries` write lock) by every invalidation.
    generation: AtomicU64,
    /// End of the lease, in milliseconds since `epoch`; 0: not trusted.
    trusted_until_ms: AtomicU64,
    epoch: Instant,
}

impl Default for AccessCache {
    fn default() -> Self {
        AccessCache::new()
    }
}

impl AccessCache {
    /// An empty cache, not trusted until a listener connects.
    pub fn new() -> AccessCache {
        AccessCache {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            trusted_until_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// The cached access of user `id`, or `None` when absent or while the cache is not trusted.
    pub fn get(&self, id: i64) -> Option<Access> {
        if !self.is_trusted() {
            return None;
        }
        self.read().get(&id).copied()
    }

    /// The generation to pass to [`AccessCache::insert`]: read it *before* reading the row.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `access` of user `id`, read from the database after [`AccessCache::generation`]
    /// returned `generation` — unless something was invalidated since (the row may be stale)
    /// or the cache is not trusted.
    pub fn insert(&self, id: i64, access: Access, generation: u64) {
        let mut entries = self.write();
        if self.generation.load(Ordering::Acquire) == generation && self.is_trusted() {
            entries.insert(id, access);
        }
    }

    /// Drops user `id`'s entry, and refuses the insertion of any row read before now.
    pub fn invalidate(&self, id: i64) {
        let mut entries = self.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&id);
    }

    /// Drops every entry, and refuses the insertion of any row read before now.
    pub fn clear(&self) {
        let mut entries = self.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Whether lookups may be answered from the cache: a listener is connected and has renewed
    /// its lease in time.
    pub fn is_trusted(&self) -> bool {
        let until = self.trusted_until_ms.load(Ordering::Acquire);
        until != 0 && self.millis(Instant::now()) < until
    }

    /// Number of cached entries (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no entry is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts the listener thread on its own connection to `url` (see the module
    /// documentation). It reconnects with backoff after a failure and stops once the last
    /// `Arc` of the cache is dropped.
    ///
    /// # Errors
    /// The thread cannot be spawned.
    pub fn start_listener(self: &Arc<Self>, url: SecretString) -> std::io::Result<()> {
        let cache = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("access-listener".into())
            .spawn(move || listen(&cache, &url))
            .map(|_| ())
    }

    /// Trusts the cache until `started + LEASE`. A lease that had lapsed (a ping hung) may have
    /// hidden a lost connection: everything is cleared first.
    fn renew(&self, started: Instant) {
        if !self.is_trusted() {
            self.clear();
        }
        let until = self.millis(started + LEASE).max(1);
        self.trusted_until_ms.store(until, Ordering::Release);
    }

    /// Stops trusting the cache and drops everything.
    fn distrust(&self) {
        self.trusted_until_ms.store(0, Ordering::Release);
        self.clear();
    }

    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<i64, Access>> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<i64, Access>> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The listener thread: connect, listen, poll; after a failure distrust the cache and retry.
fn listen(cache: &Weak<AccessCache>, url: &SecretString) {
    let mut backoff = Duration::from_millis(50);
    let mut failures = 0_u32;
    loop {
        let connected = PgConnection::establish(url.expose_secret())
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                conn.batch_execute(&format!("LISTEN {CHANNEL}"))
                    .map(|()| conn)
                    .map_err(|e| e.to_string())
            });
        let outcome = match connected {
            Ok(conn) => {
                if failures > 0 {
                    tracing::info!(failures, "access cache listener reconnected; cache cleared");
                }
                failures = 0;
                backoff = Duration::from_millis(50);
                session(conn, cache)
            }
            Err(e) => Err(e),
        };
        let Some(strong) = cache.upgrade() else {
            return;
        };
        strong.distrust();
        drop(strong);
        match outcome {
            Ok(()) => return,
            Err(e) => {
                if failures == 0 {
                    tracing::warn!(
                        error = %e,
                        "access cache listener disconnected; roles are read from the database until it reconnects"
                    );
                }
                failures = failures.saturating_add(1);
            }
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: trust the cache (after clearing it), then apply notifications and
/// renew the lease until the connection fails (`Err`) or the cache is dropped (`Ok`).
fn session(mut conn: PgConnection, cache: &Weak<AccessCache>) -> Result<(), String> {
    let mut last_ping = Instant::now();
    match cache.upgrade() {
        // LISTEN is in effect: whatever changes from now on is notified.
        Some(cache) => cache.renew(last_ping),
        None => return Ok(()),
    }
    loop {
        let Some(cache) = cache.upgrade() else {
            return Ok(());
        };
        drain(&mut conn, &cache)?;
        if last_ping.elapsed() >= PING_INTERVAL {
            let started = Instant::now();
            conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
            drain(&mut conn, &cache)?;
            cache.renew(started);
            last_ping = started;
        }
        drop(cache);
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Applies every notification that has arrived.
fn drain(conn: &mut PgConnection, cache: &AccessCache) -> Result<(), String> {
    for notification in conn.notifications_iter() {
        let notification = notification.map_err(|e| e.to_string())?;
        match notification.payload.parse::<i64>() {
            Ok(id) => cache.invalidate(id),
            Err(_) => cache.clear(),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: Access = Access {
        role: UserRole::Agent,
        active: true,
        token_generation: 0,
        also_agent: false,
    };

    /// A cache created a minute ago (so that a lease can have lapsed), trusted now.
    fn trusted() -> AccessCache {
        let now = Instant::now();
        let cache = AccessCache {
            epoch: now.checked_sub(Duration::from_secs(60)).unwrap_or(now),
            ..AccessCache::new()
        };
        cache.renew(now);
        cache
    }

    #[test]
    fn an_untrusted_cache_neither_answers_nor_stores() {
        let cache = AccessCache::new();
        cache.insert(1, AGENT, cache.generation());
        assert_eq!(cache.get(1), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_trusted_cache_answers_what_was_stored() {
        let cache = trusted();
        cache.insert(1, AGENT, cache.generation());
        assert_eq!(cache.get(1), Some(AGENT));
        assert_eq!(cache.get(2), None);
    }

    #[test]
    fn a_row_read_before_an_invalidation_is_not_stored_after_it() {
        let cache = trusted();
        let generation = cache.generation();
        // The row is read here; meanwhile its change commits and is notified.
        cache.invalidate(1);
        cache.insert(1, AGENT, generation);
        assert_eq!(cache.get(1), None);
        cache.insert(1, AGENT, cache.generation());
        assert_eq!(cache.get(1), Some(AGENT));
    }

    #[test]
    fn losing_the_listener_drops_everything_and_stops_trusting() {
        let cache = trusted();
        let generation = cache.generation();
        cache.insert(1, AGENT, generation);
        cache.distrust();
        assert_eq!(cache.get(1), None);
        cache.renew(Instant::now());
        assert_eq!(
            cache.get(1),
            None,
            "reconnecting does not bring entries back"
        );
        cache.insert(1, AGENT, generation);
        assert_eq!(cache.get(1), None, "read before the reconnection");
    }

    #[test]
    fn a_lapsed_lease_is_not_trusted_and_renewing_it_clears() {
        let cache = trusted();
        cache.insert(1, AGENT, cache.generation());
        // The last successful ping started longer than a lease ago.
        cache.renew(Instant::now() - LEASE - Duration::from_millis(10));
        assert!(!cache.is_trusted());
        assert_eq!(cache.get(1), None);
        cache.renew(Instant::now());
        assert!(cache.is_trusted());
        assert!(cache.is_empty());
    }
}
