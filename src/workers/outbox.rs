//! The outbox worker: each pass claims the messages due (`FOR UPDATE SKIP LOCKED`, so several
//! service copies never claim one together), renders them, sends them on
//! `email.outbox_concurrency` threads (pooled SMTP connections), and records the outcome:
//! - delivered: `sent` (one statement for the pass), and the survey whose link it carried is
//!   marked offered (`surveys.sent_at`);
//! - refused for good (an SMTP 5xx, or a row that cannot be rendered): a dead letter at once;
//! - failed otherwise (server down, timeout): retried after `retry_base_seconds × 2^(attempt−1)`
//!   (at most `retry_max_seconds`) with ±25 % jitter, and a dead letter once `max_attempts`
//!   attempts failed. Admins list and re-queue dead letters (`/api/v1/outbox/dead-letters`).
//!
//! Delivery is at least once: a worker that stops between the send and marking it sent leaves
//! the row claimed; once its lease (`claim_lease_seconds`) is over another pass sends it again.
//! In normal operation (no crash in that window) every message goes out exactly once. A pass
//! that claimed a full batch is followed at once by the next (see [`OutboxWorker::pass`]).

use super::retry::jitter;
use crate::configuration::EmailSettings;
use crate::error::ApiError;
use crate::models::outbox::{self, OutboxRow};
use crate::models::survey;
use crate::notify::notice::Notice;
use crate::notify::render::Renderer;
use crate::notify::transport::Mailer;
use crate::workers::runner::Job;
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The outbox job.
#[derive(Debug, Clone)]
pub struct OutboxWorker {
    renderer: Renderer,
    mailer: Mailer,
    batch: i64,
    concurrency: usize,
    lease: Duration,
    max_attempts: i32,
    retry_base: Duration,
    retry_max: Duration,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Messages claimed.
    pub claimed: usize,
    /// Delivered.
    pub sent: usize,
    /// Failed, to be retried.
    pub retried: usize,
    /// Moved to the dead letters.
    pub dead: usize,
    /// Not sent: the customer opted out or has no email any more.
    pub cancelled: usize,
}

impl OutboxWorker {
    /// A worker with the settings of `email`, rendering with `renderer`, sending with `mailer`.
    pub fn new(email: &EmailSettings, renderer: Renderer, mailer: Mailer) -> OutboxWorker {
        let seconds = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1_000));
        OutboxWorker {
            renderer,
            mailer,
            batch: email.outbox_batch,
            concurrency: email.outbox_concurrency.max(1),
            lease: seconds(email.claim_lease_seconds),
            max_attempts: email.max_attempts,
            retry_base: seconds(email.retry_base_seconds),
            retry_max: seconds(email.retry_max_seconds),
        }
    }

    /// The delay before attempt `attempts + 1` after `attempts` failed ones, without jitter:
    /// `retry_base × 2^(attempts−1)`, at most `retry_max`.
    pub fn backoff(&self, attempts: i32) -> Duration {
        super::retry::backoff(self.retry_base, self.retry_max, attempts)
    }

    /// One pass at `now`: claims, sends and records up to one batch.
    ///
    /// # Errors
    /// Database errors (a message sent before the error is sent again after its lease).
    pub fn run_pass(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<PassReport, ApiError> {
        let claimed = outbox::claim(conn, now, self.lease, self.batch)?;
        let mut report = PassReport {
            claimed: claimed.len(),
            ..PassReport::default()
        };
        if claimed.is_empty() {
            return Ok(report);
        }
        let rows = self.recheck(conn, claimed)?;
        report.cancelled = report.claimed - rows.len();
        if rows.is_empty() {
            return Ok(report);
        }
        let outcomes = self.deliver(&rows, now);
        let finished = Utc::now().max(now);
        let mut sent = Vec::with_capacity(rows.len());
        let mut surveys = Vec::new();
        for (row, outcome) in rows.iter().zip(outcomes) {
            match outcome {
                Outcome::Sent => {
                    sent.push((row.id, row.recipient.clone()));
                    if let Ok(notice) = serde_json::from_value::<Notice>(row.data.clone())
                        && let Some(s) = notice.survey()
                    {
                        surveys.push(s.id);
                    }
                }
                Outcome::Failed { error, permanent } => {
                    let dead = permanent || row.attempts >= self.max_attempts;
                    let retry_at = now + jitter(self.backoff(row.attempts));
                    outbox::mark_failed(conn, row.id, &error, retry_at, dead, finished)?;
                    if dead {
                        report.dead += 1;
                        tracing::warn!(outbox.id = row.id, kind = %row.kind, attempts = row.attempts, error = %error, "email moved to the dead letters");
                    } else {
                        report.retried += 1;
                        tracing::info!(outbox.id = row.id, kind = %row.kind, attempts = row.attempts, error = %error, "email send failed; will retry");
                    }
                }
            }
        }
        report.sent = outbox::mark_sent_to(conn, &sent, finished)?;
        survey::mark_sent(conn, &surveys, finished)?;
        Ok(report)
    }

    /// The claimed rows still to send, as of now (one statement): a customer who opted out or
    /// has no email any more gets nothing (the row is cancelled with the reason), and one whose
    /// address changed gets it at the new address. The opt-out and the address were checked when
    /// the row was queued; this catches a change made while it waited (a survey invitation
    /// waits a day, a retry or a dead letter longer).
    fn recheck(
        &self,
        conn: &mut PgConnection,
        mut rows: Vec<OutboxRow>,
    ) -> Result<Vec<OutboxRow>, ApiError> {
        use crate::schema::customers;
        use diesel::prelude::*;
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.customer_id).collect();
        if ids.is_empty() {
            return Ok(rows);
        }
        let current: std::collections::HashMap<i64, (Option<String>, bool)> = customers::table
            .filter(customers::id.eq_any(&ids))
            .select((customers::id, customers::email, customers::email_opt_out))
            .load::<(i64, Option<String>, bool)>(conn)?
            .into_iter()
            .map(|(id, email, out)| (id, (email, out)))
            .collect();
        let (mut opted_out, mut no_email) = (Vec::new(), Vec::new());
        rows.retain_mut(|row| {
            let Some(customer) = row.customer_id else {
                return true;
            };
            match current.get(&customer) {
                Some((_, true)) => opted_out.push(row.id),
                Some((Some(email), false)) => {
                    email.clone_into(&mut row.recipient);
                    return true;
                }
                _ => no_email.push(row.id),
            }
            false
        });
        outbox::cancel(conn, &opted_out, "the customer opted out of email")?;
        outbox::cancel(
            conn,
            &no_email,
            "the customer has no email address any more",
        )?;
        Ok(rows)
    }

    /// Renders and sends `rows` on up to `concurrency` threads; outcomes in `rows`' order.
    fn deliver(&self, rows: &[OutboxRow], now: DateTime<Utc>) -> Vec<Outcome> {
        let next = AtomicUsize::new(0);
        let outcomes: Vec<Mutex<Option<Outcome>>> = rows.iter().map(|_| Mutex::new(None)).collect();
        let threads = self.concurrency.min(rows.len());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(row) = rows.get(i) else { break };
                        let outcome = match self.renderer.render(row, now) {
                            Err(e) => Outcome::Failed {
                                error: e.to_string(),
                                permanent: true,
                            },
                            Ok(message) => match self.mailer.send(&message) {
                                Ok(()) => Outcome::Sent,
                                Err(e) => Outcome::Failed {
                                    error: e.message,
                                    permanent: e.permanent,
                                },
                            },
                        };
                        if let Some(slot) = outcomes.get(i)
                            && let Ok(mut slot) = slot.lock()
                        {
                            *slot = Some(outcome);
                        }
                    }
                });
            }
        });
        outcomes
            .into_iter()
            .map(|slot| {
                slot.into_inner().ok().flatten().unwrap_or(Outcome::Failed {
                    error: "not attempted".into(),
                    permanent: false,
                })
            })
            .collect()
    }
}

enum Outcome {
    Sent,
    Failed { error: String, permanent: bool },
}

impl Job for OutboxWorker {
    fn name(&self) -> &'static str {
        "outbox"
    }

    /// Passes until a batch comes back short (so a backlog drains without waiting for the
    /// interval), at most 50 batches per call.
    fn pass(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
        let mut handled = 0;
        let mut now = now;
        for _ in 0..50 {
            let report = self.run_pass(conn, now)?;
            handled += report.claimed;
            if i64::try_from(report.claimed).unwrap_or(i64::MAX) < self.batch {
                break;
            }
            now = Utc::now();
        }
        Ok(handled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_base_up_to_the_cap_and_jitter_stays_within_a_quarter() {
        let settings = crate::configuration::Settings::load_for(
            &crate::configuration::config_dir(),
            crate::configuration::Environment::Test,
        )
        .unwrap();
        let mut email = settings.email.clone();
        email.retry_base_seconds = 10;
        email.retry_max_seconds = 60;
        let links =
            crate::notify::links::LinkSigner::new(&settings.auth.jwt_secret, "frontline").unwrap();
        let worker = OutboxWorker::new(
            &email,
            Renderer::new(&email, links).unwrap(),
            Mailer::from_settings(&email).unwrap(),
        );
        let seconds: Vec<i64> = (1..=5).map(|a| worker.backoff(a).num_seconds()).collect();
        assert_eq!(seconds, vec![10, 20, 40, 60, 60]);
        for _ in 0..1_000 {
            let j = jitter(Duration::seconds(40)).num_milliseconds();
            assert!((30_000..50_000).contains(&j), "{j}");
        }
    }
}
