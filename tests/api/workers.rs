//! The auto-close worker, driven with the time as a parameter, and the runner every job runs in.

use crate::helpers::{TestDb, await_until, count, spawn_app};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use frontline::error::ApiError;
use frontline::workers::auto_close::AutoClose;
use frontline::workers::runner::{Job, PassError, Runner, run_once};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One auto-close pass (the use case the worker runs), ticket ids as plain numbers.
fn close_due(
    conn: &mut diesel::PgConnection,
    now: chrono::DateTime<Utc>,
    delay: Duration,
    batch: i64,
) -> Result<Vec<i64>, frontline::error::ApiError> {
    let rules = frontline::tickets::RulesCache::new();
    let closed = frontline::tickets::auto_close::close_due(conn, &rules, now, delay, batch)?;
    Ok(closed.into_iter().map(|id| id.get()).collect())
}

async fn solved_ticket(app: &crate::helpers::TestApp, assignee: i64, n: usize) -> i64 {
    let body = json!({
        "requester": {"name": "Caller", "email": format!("caller{n}@example.com")},
        "subject": "Resolved on the call", "channel": "phone",
        "description": "Password reset done while on the phone.",
        "assignee_id": assignee, "status": "solved"
    });
    let r = app
        .client
        .post(format!("{}/api/v1/tickets", app.address))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn solved_tickets_close_after_four_days_and_not_before() {
    let app = spawn_app().await;
    let (agent, _) = app.create_staff(frontline::models::enums::UserRole::Agent);
    let id = solved_ticket(&app, agent, 0).await;
    let delay = Duration::hours(96);
    let mut conn = app.db.conn();
    // 95 hours after the solve: too early.
    assert_eq!(
        close_due(&mut conn, Utc::now() + Duration::hours(95), delay, 100).unwrap(),
        Vec::<i64>::new()
    );
    // 97 hours after: closed, by the system (no actor), through the state machine.
    let later = Utc::now() + Duration::hours(97);
    assert_eq!(close_due(&mut conn, later, delay, 100).unwrap(), vec![id]);
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["ticket"]["status"], "closed");
    let last = detail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from_status"].as_str(), last["to_status"].as_str()),
        (Some("solved"), Some("closed"))
    );
    assert_eq!(last["actor_user_id"], Value::Null);
    // Recorded when the close fell due: 96 h after the solve, although the pass ran at 97 h.
    let solved: chrono::DateTime<Utc> = detail["ticket"]["solved_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let closed: chrono::DateTime<Utc> = detail["ticket"]["closed_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(closed - solved, delay);
    assert_eq!(detail["metrics"]["reopens"], 0);
    // A second pass finds nothing.
    assert!(close_due(&mut conn, later, delay, 100).unwrap().is_empty());
}

#[tokio::test]
async fn two_workers_at_once_close_each_ticket_once() {
    let app = spawn_app().await;
    let (agent, _) = app.create_staff(frontline::models::enums::UserRole::Agent);
    for n in 0..30 {
        solved_ticket(&app, agent, n).await;
    }
    let later = Utc::now() + Duration::hours(100);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mut conn = app.db.conn();
            // Small batches so that the two passes interleave.
            std::thread::spawn(move || {
                let mut closed = Vec::new();
                loop {
                    let batch = close_due(&mut conn, later, Duration::hours(96), 4).unwrap();
                    if batch.is_empty() {
                        break closed;
                    }
                    closed.extend(batch);
                }
            })
        })
        .collect();
    let mut all: Vec<i64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(all.len(), 30);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 30, "no ticket closed twice");
    let mut conn = app.db.conn();
    assert_eq!(
        count(&mut conn, "ticket_events WHERE to_status = 'closed'"),
        30
    );
    assert_eq!(count(&mut conn, "tickets WHERE status = 'closed'"), 30);
}

#[tokio::test]
async fn one_pass_of_the_auto_close_job_closes_what_is_due() {
    let app = spawn_app().await;
    let (agent, _) = app.create_staff(frontline::models::enums::UserRole::Agent);
    let id = solved_ticket(&app, agent, 0).await;
    let job = Arc::new(AutoClose {
        delay: Duration::hours(96),
        batch: 100,
        rules: frontline::tickets::RulesCache::new(),
    });
    let early = Utc::now() + Duration::hours(95);
    assert_eq!(run_once(&app.db.pool, job.clone(), early).await.unwrap(), 0);
    let later = Utc::now() + Duration::hours(97);
    assert_eq!(run_once(&app.db.pool, job, later).await.unwrap(), 1);
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["ticket"]["status"], "closed");
}

/// A job that counts its passes, sleeps `pass_ms` in each, and fails its first pass and panics
/// in its second when `flaky`.
struct Probe {
    started: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
    pass_ms: u64,
    flaky: bool,
}

impl Probe {
    fn new(pass_ms: u64, flaky: bool) -> (Probe, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let (started, finished) = (Arc::default(), Arc::default());
        let probe = Probe {
            started: Arc::clone(&started),
            finished: Arc::clone(&finished),
            pass_ms,
            flaky,
        };
        (probe, started, finished)
    }
}

impl Job for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }

    fn pass(&self, conn: &mut PgConnection, _now: DateTime<Utc>) -> Result<usize, ApiError> {
        let n = self.started.fetch_add(1, Ordering::SeqCst);
        diesel::sql_query("SELECT 1").execute(conn)?;
        std::thread::sleep(std::time::Duration::from_millis(self.pass_ms));
        self.finished.fetch_add(1, Ordering::SeqCst);
        match (self.flaky, n) {
            (true, 0) => Err(ApiError::Unexpected(anyhow::anyhow!("first pass fails"))),
            (true, 1) => panic!("second pass panics"),
            _ => Ok(n),
        }
    }
}

#[tokio::test]
async fn a_runner_passes_every_interval_and_stops_after_the_pass_in_flight() {
    let db = TestDb::new();
    let (probe, started, finished) = Probe::new(200, false);
    let mut runner = Runner::new(db.pool.clone());
    runner.spawn(probe, std::time::Duration::from_millis(10));
    await_until("a pass to start", || started.load(Ordering::SeqCst) >= 1).await;
    runner.shutdown().await;
    let passes = started.load(Ordering::SeqCst);
    assert_eq!(
        finished.load(Ordering::SeqCst),
        passes,
        "the pass in flight finished"
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        started.load(Ordering::SeqCst),
        passes,
        "no pass after shutdown"
    );
}

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_or_panicking_pass_is_logged_and_retried() {
    let db = TestDb::new();
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    // The runner logs from its task, which this single-threaded test runtime runs here.
    let _guard = tracing::subscriber::set_default(subscriber);
    let (probe, started, _) = Probe::new(0, true);
    let mut runner = Runner::new(db.pool.clone());
    runner.spawn(probe, std::time::Duration::from_millis(10));
    await_until("a third pass", || started.load(Ordering::SeqCst) >= 3).await;
    runner.shutdown().await;
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("pass failed; will retry") && logs.contains("first pass fails"),
        "{logs}"
    );
    assert!(
        logs.contains("pass panicked; will retry") && logs.contains("second pass panics"),
        "{logs}"
    );
    assert!(logs.contains("job=\"probe\""), "{logs}");
}

#[tokio::test]
async fn a_pass_without_a_database_is_unavailable_not_a_crash() {
    let mut settings = crate::helpers::test_settings();
    settings.database.port = 1; // nothing listens there
    settings.database.pool_timeout_seconds = 1;
    let pool = frontline::db::pool(&settings.database);
    let (probe, started, _) = Probe::new(0, false);
    let outcome = run_once(&pool, Arc::new(probe), Utc::now()).await;
    assert!(
        matches!(outcome, Err(PassError::Unavailable(_))),
        "{outcome:?}"
    );
    assert_eq!(started.load(Ordering::SeqCst), 0);
}
