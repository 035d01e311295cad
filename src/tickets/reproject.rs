//! Applying a rules change to the stored projections, in the background (issue 16 item 1).
//!
//! A rules change — an SLA policy created or edited, a calendar edited, a team given another
//! calendar — commits at once: the route writes its row (whose trigger bumps
//! `rules_version.version`) and calls [`require_tx`], which records that every open ticket's
//! stored projection (`ticket_metrics`, `ticket_sla_clocks`) must follow that version
//! (`rules_version.reproject_version`). Nothing else happens in that transaction, and it takes no
//! lock a ticket write waits for. Closed tickets need nothing: a calendar change applies from the
//! change on (docs/METRICS.md §3), after a closed ticket's last event, and a policy is
//! re-evaluated on a ticket's events, of which a closed ticket has no more.
//!
//! The re-projection worker ([`crate::workers::reproject`]) then runs [`run`]: it reads the
//! stale tickets a batch at a time, and re-projects them in short transactions that lock one
//! ticket's row after the other with `FOR UPDATE SKIP LOCKED` (a ticket a writer holds is left
//! for a later batch) and commit after [`HOLD`]; each ticket is re-projected from its log with
//! the rules in force through [`super::projection::refresh_tx`], stamped with the version it used
//! (`ticket_metrics.rules_version`). An SLA clock is recomputed over the
//! whole log under the policy that applies to the ticket now, so the time already counted is
//! kept and only the target changes (docs/METRICS.md §6). A closed ticket keeps the clocks it
//! had when it closed (a policy is re-evaluated on a ticket's events, and a closed ticket has no
//! more).
//!
//! A ticket write that runs meanwhile projects its ticket with the rules it read and stamps that
//! version: if it read them before the change committed, its stamp is older than required and
//! the ticket is picked again; otherwise it has applied the change itself. Every projection is
//! stamped with a version no newer than the rules it used, so none is ever taken for more recent
//! than it is.
//!
//! Locks: every writer of a ticket's projection — ticket writes, the SLA worker
//! ([`super::sla_events`]), this — holds the ticket's row lock first, then touches its clock,
//! metrics and work-order-metrics rows. The workers take ticket rows with `SKIP LOCKED` and never
//! wait for one, and hold them for about [`HOLD`] at most, so no two of them can deadlock and a
//! write waits at most that long for one of them.

use super::projection;
use super::rules::{Rules, RulesCache};
use crate::models::enums::DbTicketStatus;
use crate::models::ticket::{self as model, Ticket};
use crate::schema::{rules_version as rv, tickets};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How far the background re-projection is (in the response to a rules change and in
/// `GET /sla-policies`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// The rules version in force (`rules_version.version`).
    pub rules_version: i64,
    /// Tickets whose stored SLA clocks and metrics do not follow the latest rules change yet:
    /// they are re-projected in the background, a few at a time (0: applied everywhere). Open
    /// tickets only: a closed one keeps what it closed with (docs/METRICS.md §3, §6).
    /// `GET /tickets/{id}` computes its live clocks with the rules in force whatever this says.
    pub pending_tickets: i64,
}

/// Records, in the transaction of a rules change and after its write, that every open ticket's
/// projection must follow the rules of this transaction. One statement, on a row a ticket write
/// never locks. Returns the version to reach.
///
/// # Errors
/// Database errors.
pub fn require_tx(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::update(rv::table)
        .set(rv::reproject_version.eq(rv::version))
        .returning(rv::version)
        .get_result(conn)
}

#[derive(QueryableByName)]
struct ProgressRow {
    #[diesel(sql_type = BigInt)]
    rules_version: i64,
    #[diesel(sql_type = BigInt)]
    pending_tickets: i64,
}

/// The progress now (one statement; counts the pending tickets through the index of stale open
/// projections).
///
/// # Errors
/// Database errors.
pub fn progress(conn: &mut PgConnection) -> QueryResult<Progress> {
    let row: ProgressRow = diesel::sql_query(
        "SELECT r.version AS rules_version,
                (SELECT count(*) FROM ticket_metrics m
                  WHERE m.closed_at IS NULL AND m.rules_version < r.reproject_version)
                AS pending_tickets
           FROM rules_version r",
    )
    .get_result(conn)?;
    Ok(Progress {
        rules_version: row.rules_version,
        pending_tickets: row.pending_tickets,
    })
}

/// How long one transaction goes on locking tickets: it commits (and releases them) once it has
/// held its first ticket this long, so a write waits at most about this plus one ticket's
/// re-projection for the re-projection.
pub const HOLD: Duration = Duration::from_millis(20);

/// Re-projects stale open tickets for at most about `budget`, `batch` candidates at a time, until
/// none is left (or every one left is held by a writer). Returns how many it re-projected.
///
/// # Errors
/// Database errors (transactions already committed stay).
pub fn run(
    conn: &mut PgConnection,
    rules: &RulesCache,
    batch: i64,
    budget: Duration,
) -> QueryResult<usize> {
    let deadline = Instant::now() + budget;
    let mut done = 0;
    loop {
        let (candidates, reprojected) = open_batch(conn, rules, batch)?;
        done += reprojected;
        if candidates == 0 || reprojected == 0 || Instant::now() >= deadline {
            break;
        }
    }
    Ok(done)
}

/// Reads up to `batch` open tickets whose projection is older than required (oldest stamps
/// first, then by id; no lock) and re-projects them (`reproject_tx`). Returns (candidates,
/// tickets re-projected).
///
/// # Errors
/// Database errors.
pub fn open_batch(
    conn: &mut PgConnection,
    rules: &RulesCache,
    batch: i64,
) -> QueryResult<(usize, usize)> {
    let ids: Vec<i64> = diesel::sql_query(
        "SELECT m.ticket_id AS id FROM rules_version r
           JOIN ticket_metrics m
             ON m.closed_at IS NULL AND m.rules_version < r.reproject_version
          ORDER BY m.rules_version, m.ticket_id
          LIMIT $1",
    )
    .bind::<BigInt, _>(batch)
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let reprojected = reproject_tx(conn, rules, &ids)?;
    Ok((ids.len(), reprojected))
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Re-projects the tickets of `ids` in turn with the rules in force, in transactions that each
/// lock one ticket after the other (`FOR UPDATE SKIP LOCKED`: a ticket another transaction holds
/// is skipped, to be found again later) and commit once they have held their tickets for
/// [`HOLD`]. A ticket closed meanwhile is left as its last write stored it. Commits without waiting for the disk: a batch lost in a
/// crash leaves its tickets stamped as before, so they are simply re-projected again. Returns
/// the tickets re-projected.
fn reproject_tx(conn: &mut PgConnection, cache: &RulesCache, ids: &[i64]) -> QueryResult<usize> {
    let mut reprojected = 0;
    let mut next = 0;
    while next < ids.len() {
        conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL synchronous_commit = off").execute(conn)?;
            let version = crate::models::sla::rules_version(conn)?;
            let rules: std::sync::Arc<Rules> = cache.at_version(conn, version)?;
            let started = Instant::now();
            while let Some(id) = ids.get(next).copied() {
                if started.elapsed() >= HOLD {
                    break;
                }
                next += 1;
                let ticket: Option<Ticket> = tickets::table
                    .find(id)
                    .select(Ticket::as_select())
                    .for_update()
                    .skip_locked()
                    .first(conn)
                    .optional()?;
                let Some(ticket) = ticket else { continue };
                if ticket.status == DbTicketStatus::Closed {
                    continue;
                }
                let log = model::load_log(conn, id)?;
                projection::refresh_tx(conn, &rules, &ticket, &log, true)?;
                reprojected += 1;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(reprojected)
}
