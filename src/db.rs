//! Connection pool, embedded migrations and [`run`], the one way async code reaches the database.

use crate::configuration::DatabaseSettings;
use crate::error::ApiError;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The r2d2 pool of PostgreSQL connections.
pub type PgPool = Pool<Manager>;
/// A connection checked out of [`PgPool`].
pub type PgPooled = PooledConnection<Manager>;

thread_local! {
    /// Set when a statement on this thread failed because its connection is gone (a restarted
    /// or terminated server); read and cleared by [`Manager::has_broken`] when that connection
    /// goes back to the pool, on the same thread.
    static CONNECTION_LOST: Cell<bool> = const { Cell::new(false) };
}

/// The pool's connection manager: diesel's, but a connection is not pinged at every check-out
/// (a `SELECT 1` round trip on every request, a third of what `GET /tickets/{id}` sends).
/// Instead a connection on which a statement failed with a lost connection is dropped when it
/// comes back (a thread-local flag set by the pool's instrumentation): after a database restart each stale pooled connection fails
/// one request with a 503 (nothing written: its first statement failed) and is replaced.
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PgConnection, Self::Error> {
        self.0.connect()
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), Self::Error> {
        self.0.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        CONNECTION_LOST.with(|lost| lost.replace(false)) || self.0.has_broken(conn)
    }
}

/// Every migration under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Builds a pool for the configured database. Connections are opened lazily, so this succeeds
/// while the database is down (`/readyz` then answers 503).
pub fn pool(settings: &DatabaseSettings) -> PgPool {
    pool_with_stats(settings).0
}

/// Like [`pool`], with the [`PoolStats`] that count the statements sent on its connections.
pub fn pool_with_stats(settings: &DatabaseSettings) -> (PgPool, PoolStats) {
    pool_for_url(settings.url().expose_secret(), settings)
}

/// Builds a pool for `url` with the sizes of `settings`.
fn pool_for_url(url: &str, settings: &DatabaseSettings) -> (PgPool, PoolStats) {
    let stats = PoolStats::default();
    let pool = Pool::builder()
        .max_size(settings.pool_max_size)
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(settings.pool_timeout_seconds))
        .connection_customizer(Box::new(SessionSetup {
            statement_timeout_seconds: settings.statement_timeout_seconds,
            stats: stats.clone(),
        }))
        .build_unchecked(Manager(ConnectionManager::new(url)));
    (pool, stats)
}

/// What a pool has sent to PostgreSQL, for tests and measurements: how many statements a
/// request costs is `statement_count()` after it minus before it (with nothing else using the
/// pool meanwhile).
///
/// Every statement diesel sends on one of the pool's connections counts once, including
/// `BEGIN`/`COMMIT` and the queries of
/// work that uses the pool in the background; not counted are the three session settings sent
/// once when a connection opens and connections made outside the pool.
#[derive(Debug, Clone, Default)]
pub struct PoolStats {
    statements: Arc<AtomicU64>,
}

impl PoolStats {
    /// Statements sent on the pool's connections since it was built.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// Counts each statement a connection starts into its pool's [`PoolStats`], and notes a
/// statement that failed because the connection is gone ([`CONNECTION_LOST`]).
struct StatementCounter(Arc<AtomicU64>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
            InstrumentationEvent::FinishQuery {
                error:
                    Some(DieselError::DatabaseError(
                        DatabaseErrorKind::ClosedConnection
                        | DatabaseErrorKind::UnableToSendCommand,
                        _,
                    )),
                ..
            } => CONNECTION_LOST.with(|lost| lost.set(true)),
            _ => {}
        }
    }
}

/// Session set-up of every pooled connection. Sets `statement_timeout`, so that no request (and
/// no worker pass) keeps a database core busy after its client has long given up. Command-line
/// jobs (import, seed, rebuild) connect directly and have no limit. Also sets the session time
/// zone to UTC, so that SQL interval arithmetic (`+ interval '7 days'` in the contact rates) is
/// 7 × 24 hours whatever the server's `timezone` setting, as in the in-memory metrics store.
/// Turns PostgreSQL's JIT compilation off ([`JIT_OFF`]). Then installs the pool's statement
/// counter.
#[derive(Debug)]
struct SessionSetup {
    statement_timeout_seconds: u64,
    stats: PoolStats,
}

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "SET statement_timeout = '{}s'",
            self.statement_timeout_seconds
        ))
        .execute(conn)
        .and_then(|_| diesel::sql_query("SET TIME ZONE 'UTC'").execute(conn))
        .and_then(|_| diesel::sql_query(JIT_OFF).execute(conn))
        .map_err(diesel::r2d2::Error::QueryError)?;
        conn.set_instrumentation(StatementCounter(self.stats.statements.clone()));
        Ok(())
    }
}

/// Session setting that turns PostgreSQL's JIT compilation off, sent once by every connection
/// of the pool and of the command line. The planner turns JIT on by estimated cost alone, and
/// the queries that cross its threshold here are the reports' and the metrics store's reads of
/// a year of rows: measured on one million tickets, compiling took 0.9 s of a 2.6 s survey
/// read and saved nothing of the rest (PostgreSQL 15, `EXPLAIN ANALYZE`). No request of the
/// service is CPU-bound in expression evaluation, which is all JIT speeds up.
pub const JIT_OFF: &str = "SET jit = off";

/// Key of the session advisory lock that serialises migrations.
const MIGRATION_LOCK: i64 = 0x4652_4f4e_544c_4d47; // "FRONTLMG"

/// Applies every pending migration; returns their names. Several processes migrating the same
/// database at once (service copies starting together, `seed` beside `serve`) take turns under a
/// session advisory lock: the first applies, the others then find nothing pending.
///
/// # Errors
/// The migration's error (the failing migration is rolled back).
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied = with_session_lock(conn, MIGRATION_LOCK, |conn| {
        conn.run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| e.to_string())
    })
    .map_err(|e| anyhow::anyhow!("migration lock: {e}"))?;
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Runs `f` holding the session advisory lock `key`: processes doing the same work (service
/// copies starting together) take turns. The lock is released whatever `f` returns.
///
/// # Errors
/// The lock cannot be taken or released (`f`'s own result is inside).
pub fn with_session_lock<T>(
    conn: &mut PgConnection,
    key: i64,
    f: impl FnOnce(&mut PgConnection) -> T,
) -> diesel::QueryResult<T> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(key)
        .execute(conn)?;
    let out = f(conn);
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<diesel::sql_types::BigInt, _>(key)
        .execute(conn)?;
    Ok(out)
}

/// Runs `f` on a blocking thread, inside the caller's tracing span (for work that takes its own
/// connection, such as [`crate::metrics::store::MetricsStore::read`]).
///
/// # Errors
/// Whatever `f` returns. A panic in `f` is re-raised.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    let joined = actix_web::rt::task::spawn_blocking(move || {
        let _entered = span.enter();
        f()
    })
    .await;
    match joined {
        Ok(result) => result,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => Err(ApiError::Unexpected(anyhow::anyhow!(
                "blocking task failed: {e}"
            ))),
        },
    }
}

/// A report's work, boxed for the report thread ([`report_thread`]).
type ReportJob = Box<dyn FnOnce() + Send + 'static>;

/// Runs `f` on the one thread that builds reports (evidence, bake-off), after the reports queued
/// before it, inside the caller's tracing span; on a blocking thread ([`blocking`]) if that
/// thread cannot be started.
///
/// One report at a time: a report over a million tickets holds about 200 MB while it is built,
/// and two built at once held both (two evidence reports requested together at a million
/// tickets: peak +471 MB on the blocking pool, +303 MB queued here, the second answered after
/// the first).
///
/// # Errors
/// Whatever `f` returns; 500 if the report thread stopped (not expected: a panic in `f` is
/// caught there and re-raised here).
pub async fn report_thread<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    static QUEUE: std::sync::OnceLock<Option<std::sync::mpsc::Sender<ReportJob>>> =
        std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (queue, jobs) = std::sync::mpsc::channel::<ReportJob>();
        std::thread::Builder::new()
            .name("frontline-reports".into())
            .spawn(move || jobs.into_iter().for_each(|job| job()))
            .ok()
            .map(|_| queue)
    });
    let Some(queue) = queue else {
        return blocking(f).await;
    };
    let (done, outcome) = tokio::sync::oneshot::channel();
    let span = tracing::Span::current();
    let job: ReportJob = Box::new(move || {
        let _entered = span.enter();
        let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    queue
        .send(job)
        .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("the report thread stopped")))?;
    match outcome.await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => Err(ApiError::Unexpected(anyhow::anyhow!(
            "the report thread dropped a report"
        ))),
    }
}

/// Runs `f` with a pooled connection on a blocking thread, inside the caller's tracing span.
///
/// # Errors
/// 503 when no connection can be had in time; otherwise whatever `f` returns. A panic in `f` is
/// re-raised.
pub async fn run<T, F>(pool: &PgPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    blocking(move || {
        let mut conn = checkout(&pool)?;
        f(&mut conn)
    })
    .await
}

/// Checks a connection out of `pool`, blocking until one is free (call it on a blocking thread).
///
/// # Errors
/// 503 [`ApiError::Unavailable`] when no connection can be had within the pool's timeout.
pub fn checkout(pool: &PgPool) -> Result<PgPooled, ApiError> {
    pool.get()
        .map_err(|e| ApiError::Unavailable(format!("database pool: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reports_run_one_at_a_time_on_their_thread_and_a_panic_comes_back_to_the_caller() {
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let report = || {
            report_thread(|| {
                let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                MOST.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(30));
                RUNNING.fetch_sub(1, Ordering::SeqCst);
                Ok(std::thread::current().name().map(str::to_string))
            })
        };
        let (a, b, c) = tokio::join!(report(), report(), report());
        for name in [a, b, c] {
            assert_eq!(name.unwrap().as_deref(), Some("frontline-reports"));
        }
        assert_eq!(MOST.load(Ordering::SeqCst), 1, "two reports overlapped");
        // A panic in a report is the caller's; the thread goes on with the next report.
        let panicked = tokio::spawn(report_thread(|| -> Result<(), ApiError> {
            panic!("report failed")
        }))
        .await;
        assert!(panicked.is_err_and(|e| e.is_panic()));
        assert_eq!(report_thread(|| Ok(7)).await.unwrap(), 7);
        let refused = report_thread(|| -> Result<(), ApiError> {
            Err(ApiError::Unexpected(anyhow::anyhow!("no")))
        })
        .await;
        assert!(matches!(refused, Err(ApiError::Unexpected(_))));
    }
}
