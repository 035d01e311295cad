//! `frontline seed`: a deterministic demo company and its tickets.
//!
//! The company serves correctional facilities and agencies: 24 organizations with 1–3 sites
//! each, facility staff and paying friends and family as requesters, an in-house contact-center
//! team and an outsourced vendor team (12 agents each), a field-service team of technicians
//! (6 employees, 6 contractors) with skills and time off, the equipment at every site
//! (`assets.rs`), two managers, three business calendars and two SLA policies. Equipment tickets
//! get work orders (`field.rs`); every solve of a ticket with a requester gets a CSAT/NPS survey,
//! some of them answered ([`surveys`]).
//! Tickets arrive over the 12 months before `--until` ([`tickets`] documents arrivals,
//! [`lifecycle`] one ticket's life, `intake.rs` the cohort differences built in on purpose).
//!
//! Same seed, same data: everything is derived from the seed, never from the clock. Two writers
//! store the same content:
//! - [`Writer::Domain`] (profile `demo`) stores each ticket as `POST /tickets` does
//!   ([`crate::tickets::import::store_ticket_tx`]: row, events, comments, metric projection and
//!   SLA clocks computed from the stored log), a ticket with field work up to its first work
//!   order, then each work-order call through the use cases ([`crate::tickets::work_order`]) at
//!   its simulated instants and what followed ([`crate::tickets::history`]); then it runs one SLA
//!   worker pass at the window's end;
//! - [`Writer::Bulk`] (profile `scale`) computes the same rows in memory with the same pure
//!   functions (projection, clocks, the pass's events; the work orders as [`field`] mirrors the
//!   use cases) and stores them with `COPY`.
//!
//! [`content_digest`] hashes the stored content (ids, rows, logs, projections; not the
//! `recorded_at`/`updated_at` stamps, password hashes or full-text vectors), so that two runs,
//! or the two writers, can be compared.
//!
//! Files: this one holds the options, [`run`] and the digest; `company.rs` writes the company,
//! [`tickets`] describes the company to the generator and draws the arrivals, `intake.rs` draws who
//! and what a ticket is and who handles it, [`lifecycle`] plays each ticket's history,
//! `store.rs` stores them through either writer, [`training`] the courses, who completed them
//! and the effect built into their tickets.

mod assets;
mod company;
pub mod field;
mod intake;
pub mod lifecycle;
mod store;
pub mod surveys;
pub mod tickets;
pub mod training;

use crate::models::ticket as ticket_model;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Password of every seeded staff account (a demo: change it before anything else).
pub const DEMO_PASSWORD: &str = "frontline-demo";

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A few thousand tickets through the ticket-write code of the API.
    Demo,
    /// Millions of tickets, bulk-loaded.
    Scale,
}

/// How tickets are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// One ticket at a time through the API's ticket-write code.
    Domain,
    /// `COPY` of rows computed in memory by the same pure functions.
    Bulk,
}

/// Options of one run.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Number of tickets created in the window (follow-ups come on top).
    pub tickets: usize,
    /// Seed.
    pub seed: u64,
    /// Window end (exclusive), midnight UTC of this date; the window is the 365 days before.
    pub until: NaiveDate,
    /// Allowed to add to a database that already holds data (the company is reused by name).
    pub append: bool,
    /// Storage path.
    pub writer: Writer,
    /// Draw a progress bar.
    pub progress: bool,
}

impl SeedOptions {
    /// Checks the options before anything is written.
    ///
    /// # Errors
    /// [`SeedError::Options`] naming the option: `tickets` outside 1–50,000,000; `until` outside
    /// 1901-01-01–9999-12-31 (every instant Frontline stores lies in 1900–9999, and the window is
    /// the 365 days before `until`).
    pub fn validate(&self) -> Result<(), SeedError> {
        if self.tickets == 0 || self.tickets > 50_000_000 {
            return Err(SeedError::Options(
                "--tickets must be between 1 and 50,000,000".into(),
            ));
        }
        let (lo, hi) = (
            NaiveDate::from_ymd_opt(1901, 1, 1),
            NaiveDate::from_ymd_opt(9999, 12, 31),
        );
        if lo.is_some_and(|lo| self.until < lo) || hi.is_some_and(|hi| self.until > hi) {
            return Err(SeedError::Options(
                "--until must be between 1901-01-01 and 9999-12-31 (the window is the 365 days before it)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Defaults of a profile: demo 5,000 tickets through the domain writer, scale 1,000,000
    /// bulk-loaded; seed 42; window ending 2026-11-01.
    pub fn for_profile(profile: Profile) -> SeedOptions {
        SeedOptions {
            tickets: match profile {
                Profile::Demo => 5_000,
                Profile::Scale => 1_000_000,
            },
            seed: 42,
            until: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
            append: false,
            writer: match profile {
                Profile::Demo => Writer::Domain,
                Profile::Scale => Writer::Bulk,
            },
            progress: false,
        }
    }
}

/// Outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Tickets stored (follow-ups included).
    pub tickets: usize,
    /// Of which follow-ups.
    pub follow_ups: usize,
    /// Events stored (SLA events included).
    pub events: usize,
    /// Staff accounts that can log in (password [`DEMO_PASSWORD`]), `(role, email)`.
    pub logins: Vec<(String, String)>,
}

/// Why a run did not start.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database already holds data and `append` was not given.
    #[error(
        "the database already holds data ({0}); seed an empty database, or pass --append to add to it"
    )]
    NotEmpty(String),
    /// Bad options.
    #[error("{0}")]
    Options(String),
    /// Database error.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// First table among those a seed writes that holds a row, if any (`None`: nothing to refuse).
///
/// # Errors
/// Database errors.
pub fn first_non_empty(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    for table in [
        "tickets",
        "organizations",
        "customers",
        "teams",
        "business_calendars",
        "sla_policies",
    ] {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table}) AS present");
        #[derive(QueryableByName)]
        struct Present {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            present: bool,
        }
        let p: Present = diesel::sql_query(sql).get_result(conn)?;
        if p.present {
            return Ok(Some(table.to_string()));
        }
    }
    Ok(None)
}

/// Seeds the database: the company, then `options.tickets` tickets and their follow-ups, all in
/// one transaction (nothing is stored if anything fails).
///
/// # Errors
/// [`SeedError::NotEmpty`] without `append` on a database holding data; bad options; database
/// errors.
pub fn run(conn: &mut PgConnection, options: &SeedOptions) -> Result<SeedReport, SeedError> {
    run_with_helper(conn, None, options)
}

/// [`run`], with a second connection to the same database on which the bulk writer computes
/// full-text vectors while the first one copies (a pure computation: same content, about a
/// third less time for a large load on two cores).
///
/// # Errors
/// As [`run`].
pub fn run_with_helper(
    conn: &mut PgConnection,
    helper: Option<PgConnection>,
    options: &SeedOptions,
) -> Result<SeedReport, SeedError> {
    options.validate()?;
    let end = Utc.from_utc_datetime(
        &options
            .until
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| SeedError::Options("bad --until".into()))?,
    );
    let start = end - Duration::days(365);
    let bar = progress_bar(options);
    let report = conn.transaction(|conn| seed_tx(conn, helper, options, (start, end), &bar))?;
    bar.finish_and_clear();
    if options.writer == Writer::Bulk {
        // Fresh statistics for the planner after a bulk load.
        diesel::sql_query("ANALYZE").execute(conn)?;
    }
    Ok(report)
}

/// A progress bar over the primary tickets when `options.progress`, a hidden one otherwise.
fn progress_bar(options: &SeedOptions) -> indicatif::ProgressBar {
    if options.progress {
        let bar = indicatif::ProgressBar::new(options.tickets as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} seeding [{bar:40}] {pos}/{len} tickets ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// The body of a run, inside its transaction: checks the database, writes the company, its
/// tickets and their follow-ups over the window `[start, end)`, and (domain writer) records the
/// SLA worker's pass at the window's end.
fn seed_tx(
    conn: &mut PgConnection,
    helper: Option<PgConnection>,
    options: &SeedOptions,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    bar: &indicatif::ProgressBar,
) -> Result<SeedReport, SeedError> {
    diesel::sql_query("LOCK TABLE tickets, work_orders IN SHARE ROW EXCLUSIVE MODE")
        .execute(conn)?;
    if !options.append
        && let Some(table) = first_non_empty(conn)?
    {
        return Err(SeedError::NotEmpty(format!("table {table} is not empty")));
    }
    let empty: bool = diesel::select(diesel::dsl::not(diesel::dsl::exists(
        crate::schema::tickets::table.select(crate::schema::tickets::id),
    )))
    .get_result(conn)?;
    // Into empty tables, COPY is much faster without secondary indexes and foreign keys; they
    // are rebuilt and re-validated before the commit.
    let deferred = if options.writer == Writer::Bulk && empty {
        Some(ticket_model::defer_constraints_tx(conn)?)
    } else {
        None
    };
    let company = company::write_company(conn, options, start, end)?;
    let world = &company.world;
    let policies = crate::models::sla::active_policies(conn)?;
    let mut master = ChaCha8Rng::seed_from_u64(world.seed);
    let outages = tickets::outages(world, options.tickets, &mut master);
    let arrivals = tickets::arrivals(world, options.tickets, &outages, &mut master);
    let plan = store::Plan {
        world,
        policies: &policies,
        writer: options.writer,
        outages: &outages,
        arrivals: &arrivals,
        batch_size: match options.writer {
            Writer::Domain => 500,
            Writer::Bulk => 10_000,
        },
        bar,
    };
    let mut events = 0usize;
    let (ids, follow_ups) = match options.writer {
        Writer::Domain => store::domain_primaries(conn, &plan, &mut events)?,
        Writer::Bulk => store::bulk_primaries(conn, &plan, &mut events, helper)?,
    };
    let follow_up_count = follow_ups.len();
    let follow_ids = store::store_follow_ups(conn, &plan, follow_ups, &ids, &mut events)?;
    if let Some(deferred) = deferred {
        let clock = std::time::Instant::now();
        ticket_model::restore_constraints_tx(conn, deferred)?;
        tracing::info!(
            seconds = clock.elapsed().as_secs_f64(),
            "rebuilt indexes and foreign keys"
        );
    }
    if options.writer == Writer::Domain {
        // The SLA worker's pass at the window's end: breaches and warnings up to then.
        loop {
            let r = crate::tickets::sla_events::record_due(conn, world.end, 1_000)?;
            if r.breaches.is_empty() && r.warnings.is_empty() {
                break;
            }
            events += r.breaches.len() + r.warnings.len();
        }
    }
    Ok(SeedReport {
        tickets: ids.len() + follow_ids.len(),
        follow_ups: follow_up_count,
        events,
        logins: company.logins,
    })
}

/// A digest of the stored content: per table, an order-independent sum of row hashes, combined
/// into one hex string. Covers the company (assets, technicians' skills and time off included),
/// tickets, event logs, comments, links, work orders, metric projections, SLA clocks, surveys
/// (answers included; not their ids) and training records; leaves
/// out write stamps (`recorded_at`, `updated_at` of
/// projections and directory rows, `changed_xid`, the projections' `rules_version`), password
/// hashes and full-text vectors.
///
/// # Errors
/// Database errors.
pub fn content_digest(conn: &mut PgConnection) -> QueryResult<String> {
    let parts = [
        "SELECT name, time_zone, weekly_hours, holidays FROM business_calendars",
        "SELECT id, name, kind, sourcing, vendor_name, calendar_id FROM teams",
        "SELECT id, name, email, role, employment_type, team_id, active, skills FROM users",
        "SELECT id, name, external_id FROM organizations",
        "SELECT id, organization_id, name, time_zone, address FROM sites",
        "SELECT id, name, email, phone, organization_id FROM customers",
        "SELECT id, name, position, active, conditions, targets, warning_seconds FROM sla_policies",
        "SELECT id, number, external_id, subject, description, status, priority, channel, category, \
         tags, requester_id, organization_id, team_id, assignee_id, created_by_id, version, \
         created_at, updated_at, solved_at, closed_at, site_id, asset_id, hold_reason, sla_due_at \
         FROM tickets",
        "SELECT ticket_id, seq, kind, occurred_at, actor_user_id, from_status, to_status, data \
         FROM ticket_events",
        "SELECT ticket_id, author_kind, author_user_id, public, body, created_at FROM comments",
        "SELECT ticket_id, linked_ticket_id, kind FROM ticket_links",
        "SELECT id, organization_id, site_id, kind, asset_tag, serial_number, model, installed_on, \
         status FROM assets",
        "SELECT id, user_id, starts_at, ends_at, reason FROM time_off",
        "SELECT ticket_id, kind, policy_id, target_seconds, business, running, due_at, warning_at, \
         fulfilled_at, breached_at, breach_recorded, warning_recorded FROM ticket_sla_clocks",
        "SELECT ticket_id, customer_id, solved_at, assignee_id, team_id, created_at, invite_at, \
         expires_at, sent_at, cancelled_at, answered_at, score, nps, comment, consent_to_quote, \
         pre_reopen FROM surveys",
        "SELECT id, name, description, active FROM training_courses",
        "SELECT course_id, user_id, completed_on, score, recorded_by FROM training_completions",
    ];
    #[derive(QueryableByName)]
    struct Part {
        #[diesel(sql_type = Text)]
        digest: String,
    }
    let mut all = String::new();
    for sql in parts {
        let p: Part = diesel::sql_query(format!(
            "SELECT count(*)::text || ':' || coalesce(sum(('x' || substr(md5(r::text), 1, 15))::bit(60)::bigint)::text, '0') AS digest FROM ({sql}) r"
        ))
        .get_result(conn)?;
        all.push_str(&p.digest);
        all.push('|');
    }
    // Work orders and metrics without their write stamps.
    for table in ["work_orders", "ticket_metrics", "work_order_metrics"] {
        let p: Part = diesel::sql_query(format!(
            "SELECT count(*)::text || ':' || coalesce(sum(('x' || substr(md5((to_jsonb(m) - 'updated_at' - 'changed_xid' - 'rules_version')::text), 1, 15))::bit(60)::bigint)::text, '0') AS digest FROM {table} m"
        ))
        .get_result(conn)?;
        all.push_str(&p.digest);
        all.push('|');
    }
    #[derive(QueryableByName)]
    struct Md5 {
        #[diesel(sql_type = Text)]
        md5: String,
    }
    let m: Md5 = diesel::sql_query("SELECT md5($1) AS md5")
        .bind::<Text, _>(all)
        .get_result(conn)?;
    Ok(m.md5)
}
