//! The in-memory metrics store (`metrics::store`) against the SQL read side it replaces
//! on the request path (`metrics::reference`, feature `sql-reference`): the same figures for every grouping,
//! filter and time basis on seeded data, and the same figures again after every kind of write,
//! including writes committed out of order and writes still in progress while the store reads.

use crate::helpers::TestDb;
use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use frontline::domain::calendar::{BusinessCalendar, Interval};
use frontline::domain::stats::DurationStats;
use frontline::error::ApiError;
use frontline::metrics::reference::{self as sql, Grouping};
use frontline::metrics::store::{MetricsStore, Reader, StoreGrouping};
use frontline::metrics::{
    Dimension, GroupReport, MetricFilters, OneCalendar, ReportOptions, TimeBasis,
};
use frontline::seed::{self, SeedOptions, Writer};

fn seeded(tickets: usize, writer: Writer) -> TestDb {
    let db = TestDb::new();
    let mut conn = db.conn();
    seed::run(
        &mut conn,
        &SeedOptions {
            tickets,
            seed: 5,
            writer,
            ..SeedOptions::for_profile(seed::Profile::Demo)
        },
    )
    .unwrap();
    db
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

/// The instant SLA clocks are judged at (inside the seeded window, so that running clocks both
/// past and before their due instant exist).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 20, 13, 30, 0).unwrap()
}

/// Asserts two duration statistics equal: counts, minima, maxima, medians and p90s exactly (the
/// store interpolates with `percentile_cont`'s arithmetic), means to 1e-12 relative (PostgreSQL
/// divides a numeric sum, the store a 128-bit one).
fn same_stats(store: &DurationStats, sql: &DurationStats, what: &str) {
    assert_eq!(
        (store.count, store.min, store.max),
        (sql.count, sql.min, sql.max),
        "{what}"
    );
    assert_eq!(store.median, sql.median, "{what} median");
    assert_eq!(store.p90, sql.p90, "{what} p90");
    match (store.mean, sql.mean) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{what} mean"),
        (a, b) => assert_eq!(a, b, "{what} mean"),
    }
}

fn same_reports(store: &[GroupReport], sql: &[GroupReport], what: &str) {
    let keys = |g: &[GroupReport]| g.iter().map(|g| g.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(store), keys(sql), "{what}: groups");
    for (a, b) in store.iter().zip(sql) {
        let what = format!("{what} / {:?}", a.key);
        assert_eq!(a.label, b.label, "{what} label");
        let (fa, fb) = (&a.figures, &b.figures);
        assert_eq!(
            (fa.tickets_created, fa.tickets_solved, &fa.reopen_rate),
            (fb.tickets_created, fb.tickets_solved, &fb.reopen_rate),
            "{what} volumes"
        );
        same_stats(
            &fa.first_reply_time,
            &fb.first_reply_time,
            &format!("{what} frt"),
        );
        same_stats(
            &fa.full_resolution_time,
            &fb.full_resolution_time,
            &format!("{what} resolution"),
        );
        assert_eq!(a.sla_attainment, b.sla_attainment, "{what} sla");
        assert_eq!(a.contact_rates, b.contact_rates, "{what} contact rates");
        assert_eq!(a.field.is_some(), b.field.is_some(), "{what} field");
        if let (Some(fa), Some(fb)) = (&a.field, &b.field) {
            assert_eq!(
                (fa.work_orders_completed, fa.ftf_days),
                (fb.work_orders_completed, fb.ftf_days),
                "{what} work orders"
            );
            same_stats(&fa.travel_time, &fb.travel_time, &format!("{what} travel"));
            same_stats(&fa.wrench_time, &fb.wrench_time, &format!("{what} wrench"));
            same_stats(
                &fa.time_to_arrival,
                &fb.time_to_arrival,
                &format!("{what} arrival"),
            );
            assert_eq!(
                (
                    &fa.arrival_window_met,
                    &fa.first_time_fix,
                    &fa.repeat_visit_rate
                ),
                (
                    &fb.arrival_window_met,
                    &fb.first_time_fix,
                    &fb.repeat_visit_rate
                ),
                "{what} field rates"
            );
        }
    }
}

/// Compares the store with the SQL read side in one snapshot, for one grouping.
pub(crate) fn compare(
    conn: &mut PgConnection,
    store: &Reader<'_>,
    grouping: &Grouping,
    filters: &MetricFilters,
    period: (DateTime<Utc>, DateTime<Utc>),
    basis: TimeBasis,
) -> Result<usize, ApiError> {
    compare_on(conn, store, grouping, filters, period, basis, None)
}

/// [`compare`] with the business durations measured on `calendar` (the `calendar` parameter).
pub(crate) fn compare_on(
    conn: &mut PgConnection,
    store: &Reader<'_>,
    grouping: &Grouping,
    filters: &MetricFilters,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    basis: TimeBasis,
    calendar: Option<&BusinessCalendar>,
) -> Result<usize, ApiError> {
    let options = ReportOptions {
        basis,
        now: now(),
        contact_rates: true,
        ftf_days: 30,
    };
    let one = match calendar {
        Some(c) => Some(OneCalendar::load(conn, c.clone(), from, to)?),
        None => None,
    };
    let reference = sql::report_by_on(conn, grouping, filters, from, to, options, one.as_ref())?;
    let buckets: Vec<(String, DateTime<Utc>)>;
    let store_grouping = match grouping {
        Grouping::All => StoreGrouping::All,
        Grouping::Dimension(d) => StoreGrouping::Dimension(*d),
        Grouping::Bucket { interval, zone } => {
            let zone: chrono_tz::Tz = zone.parse().unwrap();
            let interval = frontline::domain::buckets::Interval::parse(interval).unwrap();
            buckets = frontline::domain::buckets::bucket_starts(interval, zone, from, to)
                .unwrap()
                .into_iter()
                .map(|(local, start)| (local.format("%Y-%m-%dT%H:%M:%S").to_string(), start))
                .collect();
            StoreGrouping::Buckets(&buckets)
        }
    };
    let mine = store.report_on(store_grouping, filters, from, to, options, one.as_ref());
    same_reports(
        &mine,
        &reference,
        &format!(
            "{grouping:?} {filters:?} {from}..{to} {basis:?} on {:?}",
            calendar.map(BusinessCalendar::zone)
        ),
    );
    Ok(reference.len())
}

const DIMENSIONS: [Dimension; 11] = [
    Dimension::Team,
    Dimension::Agent,
    Dimension::CurrentTeam,
    Dimension::CurrentAgent,
    Dimension::Organization,
    Dimension::Site,
    Dimension::Channel,
    Dimension::Priority,
    Dimension::Category,
    Dimension::Sourcing,
    Dimension::EmploymentType,
];

#[test]
fn the_store_computes_what_the_sql_read_side_computes_for_every_grouping_and_filter() {
    let db = seeded(2_500, Writer::Bulk);
    // Loaded 97 tickets per query: chunk edges fall between a ticket and its SLA clocks' range.
    let store = MetricsStore::with_load_chunk(97);
    let periods = [
        (
            frontline::domain::instant::min(),
            frontline::domain::instant::end(),
        ),
        (at(2026, 3, 1), at(2026, 4, 1)),
        (at(2025, 12, 15), at(2026, 7, 10)),
    ];
    let filters = [
        MetricFilters::default(),
        MetricFilters {
            sourcing: Some("outsourced".into()),
            ..MetricFilters::default()
        },
        MetricFilters {
            employment_type: Some("contractor".into()),
            channel: Some("phone".into()),
            ..MetricFilters::default()
        },
        MetricFilters {
            priority: Some("high".into()),
            team_id: Some(2),
            ..MetricFilters::default()
        },
        MetricFilters {
            category: Some("no such category".into()),
            ..MetricFilters::default()
        },
        MetricFilters {
            current_team_id: Some(2),
            employment_type: Some("employee".into()),
            ..MetricFilters::default()
        },
        MetricFilters {
            agent_id: Some(12),
            sourcing: Some("in_house".into()),
            ..MetricFilters::default()
        },
    ];
    // A calendar of no team's: weekdays 09:00–17:00 in Berlin, a holiday on 2026-04-03.
    let office = office_calendar();
    let compared = store
        .read(&db.pool, |conn, reader| {
            assert!(reader.tickets() > 2_500, "{} tickets", reader.tickets());
            let mut groups = 0;
            for period in periods {
                for f in &filters {
                    assert_eq!(
                        reader.hold_reasons(f, period.0, period.1),
                        sql::hold_reasons(conn, period.0, period.1, f)?,
                        "on hold by reason {f:?} {period:?}"
                    );
                }
                for basis in [TimeBasis::Calendar, TimeBasis::Business] {
                    for f in &filters {
                        groups += compare(conn, reader, &Grouping::All, f, period, basis)?;
                    }
                    for d in DIMENSIONS {
                        for f in &filters[..2] {
                            groups +=
                                compare(conn, reader, &Grouping::Dimension(d), f, period, basis)?;
                        }
                    }
                }
                // Every ticket's business durations on one named calendar.
                for grouping in [
                    Grouping::All,
                    Grouping::Dimension(Dimension::Team),
                    Grouping::Dimension(Dimension::Sourcing),
                ] {
                    for f in &filters[..2] {
                        groups += compare_on(
                            conn,
                            reader,
                            &grouping,
                            f,
                            period,
                            TimeBasis::Business,
                            Some(&office),
                        )?;
                    }
                }
            }
            // On a calendar open around the clock in UTC, business seconds are calendar seconds
            // (docs/METRICS.md §3): measured on it from the instants, every duration — the
            // tickets' and the work orders' — is the stored calendar value.
            let always = frontline::domain::calendar::BusinessCalendar::always_open();
            for period in periods {
                let one = OneCalendar::load(conn, always.clone(), period.0, period.1)?;
                for grouping in [
                    StoreGrouping::All,
                    StoreGrouping::Dimension(Dimension::Team),
                    StoreGrouping::Dimension(Dimension::Site),
                ] {
                    let business = ReportOptions {
                        basis: TimeBasis::Business,
                        ..options()
                    };
                    let on = reader.report_on(
                        grouping,
                        &MetricFilters::default(),
                        period.0,
                        period.1,
                        business,
                        Some(&one),
                    );
                    let wall = reader.report(
                        grouping,
                        &MetricFilters::default(),
                        period.0,
                        period.1,
                        options(),
                    );
                    assert_eq!(on.len(), wall.len(), "{grouping:?} {period:?}");
                    for (a, b) in on.iter().zip(&wall) {
                        let what = format!("24/7 {grouping:?} {period:?} {:?}", a.key);
                        assert_eq!(a.figures, b.figures, "{what}");
                        assert_eq!(a.field, b.field, "{what} field");
                        groups += 1;
                    }
                }
            }
            // Buckets in a zone with DST changes inside the periods.
            for interval in ["day", "week", "month"] {
                let grouping = Grouping::Bucket {
                    interval,
                    zone: "America/New_York".into(),
                };
                for f in &filters[..3] {
                    let period = (at(2025, 12, 15), at(2026, 7, 10));
                    groups += compare(conn, reader, &grouping, f, period, TimeBasis::Business)?;
                }
            }
            Ok(groups)
        })
        .unwrap();
    // Not a comparison of empty sets: hundreds of non-empty groups were compared.
    assert!(compared > 500, "{compared} groups compared");
    // Packed rows: ~145 bytes per ticket on the heap with the side tables (the aim: ≤ 150), and
    // ~104 per work order with its next-visit instants (the aim: ≤ 110).
    let (field_bytes, work_orders) = store.field_heap_bytes();
    let (survey_bytes, surveys, ratings) = store.survey_heap_bytes();
    let per_ticket = (store.heap_bytes() - field_bytes - survey_bytes) / store.len();
    let per_work_order = field_bytes / work_orders.max(1);
    let surveys_per_ticket = survey_bytes / store.len();
    // Attribution (docs/METRICS.md §7): a 4-byte index per row into the distinct combinations
    // of current team and assignee and the credits at creation, first reply and latest solve.
    let (attributions, attribution_bytes) = store.attribution_heap_bytes();
    eprintln!(
        "metrics store: {attributions} distinct attributions, {attribution_bytes} bytes ({} per ticket)",
        attribution_bytes / store.len()
    );
    eprintln!(
        "metrics store: {per_ticket} bytes per ticket, {per_work_order} per work order ({work_orders} work orders, {} tickets), surveys {surveys_per_ticket} per ticket ({surveys} sent, {ratings} ratings)",
        store.len()
    );
    // Surveys: 56 bytes per survey sent or answered (with its id, instants and score, which the
    // reports read as of an instant), 32 per rating (each with the sourcing and employment type
    // at its solve). The demo solves nearly every ticket (some twice) for a requester with an
    // email and ~28 % answer: ~1 survey and ~0.28 ratings, ~66 bytes per ticket; tickets
    // without a survey cost nothing.
    assert!(
        surveys > 1_000 && ratings > 300,
        "{surveys} surveys, {ratings} ratings"
    );
    assert_eq!(survey_bytes, surveys * 56 + ratings * 32);
    assert!(
        surveys_per_ticket <= 70,
        "{surveys_per_ticket} survey bytes per ticket"
    );
    assert!(work_orders > 100, "{work_orders} work orders");
    assert!(per_ticket <= 150, "{per_ticket} bytes per ticket");
    assert!(
        per_work_order <= 110,
        "{per_work_order} bytes per work order"
    );
}

/// Weekdays 09:00–17:00 in Europe/Berlin, closed on 2026-04-03.
pub(crate) fn office_calendar() -> BusinessCalendar {
    let day = || {
        vec![Interval {
            start: 9 * 3600,
            end: 17 * 3600,
        }]
    };
    BusinessCalendar::new(
        "Europe/Berlin",
        [day(), day(), day(), day(), day(), Vec::new(), Vec::new()],
        [chrono::NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()],
    )
    .unwrap()
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ticket_id: i64,
}

fn options() -> ReportOptions {
    ReportOptions {
        basis: TimeBasis::Calendar,
        now: now(),
        contact_rates: true,
        ftf_days: 30,
    }
}

fn execute(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).unwrap();
}

/// The store after a refresh equals both the SQL read side and a store loaded afresh.
fn check(db: &TestDb, store: &MetricsStore, what: &str) {
    let groupings = [
        Grouping::All,
        Grouping::Dimension(Dimension::Team),
        Grouping::Dimension(Dimension::Sourcing),
    ];
    let period = (
        frontline::domain::instant::min(),
        frontline::domain::instant::end(),
    );
    let fresh = MetricsStore::new();
    let fresh_reports = fresh
        .read(&db.pool, |_, reader| {
            Ok(groupings
                .iter()
                .map(|g| match g {
                    Grouping::Dimension(d) => StoreGrouping::Dimension(*d),
                    _ => StoreGrouping::All,
                })
                .map(|g| reader.report(g, &MetricFilters::default(), period.0, period.1, options()))
                .collect::<Vec<_>>())
        })
        .unwrap();
    store
        .read(&db.pool, |conn, reader| {
            for (g, fresh) in groupings.iter().zip(&fresh_reports) {
                compare(
                    conn,
                    reader,
                    g,
                    &MetricFilters::default(),
                    period,
                    TimeBasis::Calendar,
                )?;
                let store_grouping = match g {
                    Grouping::Dimension(d) => StoreGrouping::Dimension(*d),
                    _ => StoreGrouping::All,
                };
                let mine = reader.report(
                    store_grouping,
                    &MetricFilters::default(),
                    period.0,
                    period.1,
                    options(),
                );
                same_reports(&mine, fresh, &format!("{what}: refreshed vs fresh {g:?}"));
            }
            Ok(())
        })
        .unwrap();
}

fn summary_created(db: &TestDb, store: &MetricsStore) -> i64 {
    store
        .read(&db.pool, |_, reader| {
            Ok(reader
                .summary(
                    &MetricFilters::default(),
                    frontline::domain::instant::min(),
                    frontline::domain::instant::end(),
                    options(),
                )
                .figures
                .tickets_created)
        })
        .unwrap()
}

#[test]
fn the_store_follows_every_write_exactly_whatever_the_commit_order() {
    let db = seeded(300, Writer::Domain);
    let store = MetricsStore::new();
    check(&db, &store, "first load");
    let loaded = store.len();
    assert!(loaded > 300);

    // Plain writes: a projection, a ticket's dimension, a clock, a new ticket row.
    let mut conn = db.conn();
    execute(
        &mut conn,
        "UPDATE ticket_metrics SET first_reply_seconds = first_reply_seconds + 3600
          WHERE ticket_id IN (SELECT ticket_id FROM ticket_metrics
                               WHERE first_reply_seconds IS NOT NULL ORDER BY ticket_id LIMIT 5)",
    );
    execute(
        &mut conn,
        "UPDATE tickets SET team_id = (SELECT max(id) FROM teams)
          WHERE id IN (SELECT id FROM tickets ORDER BY id LIMIT 7)",
    );
    execute(
        &mut conn,
        "UPDATE ticket_sla_clocks SET breached_at = due_at, running = false
          WHERE (ticket_id, kind) IN (SELECT ticket_id, kind FROM ticket_sla_clocks
                                       WHERE breached_at IS NULL AND due_at IS NOT NULL
                                       ORDER BY ticket_id LIMIT 4)",
    );
    check(&db, &store, "after plain writes");

    // Surveys change no ticket row: an answer arrives, another is replaced by a later one (the
    // ticket's rating moves to another survey), a survey is delivered, one made anew.
    execute(
        &mut conn,
        "UPDATE surveys SET answered_at = sent_at + interval '2 hours', score = 1, nps = 0
          WHERE id IN (SELECT id FROM surveys WHERE sent_at IS NOT NULL
                         AND answered_at IS NULL ORDER BY id LIMIT 3)",
    );
    execute(
        &mut conn,
        "UPDATE surveys SET answered_at = answered_at + interval '40 days', score = 5, nps = NULL
          WHERE id = (SELECT min(id) FROM surveys WHERE answered_at IS NOT NULL)",
    );
    execute(
        &mut conn,
        "UPDATE surveys SET sent_at = invite_at
          WHERE id = (SELECT min(id) FROM surveys WHERE sent_at IS NULL)",
    );
    execute(
        &mut conn,
        "INSERT INTO surveys (ticket_id, customer_id, solved_at, team_id, created_at, invite_at,
                              expires_at, sent_at, answered_at, score)
         SELECT ticket_id, customer_id, solved_at, team_id, created_at, invite_at, expires_at,
                sent_at, answered_at + interval '1 second', 3
           FROM surveys WHERE answered_at IS NOT NULL ORDER BY id DESC LIMIT 1",
    );
    check(&db, &store, "after survey answers and deliveries");

    // The 7-day look-ups of the contact rates: a ticket moved to another requester and made a
    // follow-up one day after that requester's solved ticket (a repeat contact for it, and no
    // longer a first-contact resolution for the solved one); another ticket's category changed.
    execute(
        &mut conn,
        "WITH a AS (SELECT t.id, t.requester_id, t.category, t.solved_at
                      FROM tickets t JOIN ticket_metrics m ON m.ticket_id = t.id
                     WHERE t.requester_id IS NOT NULL AND t.solved_at IS NOT NULL
                       AND m.fcr_candidate ORDER BY t.id LIMIT 1),
              b AS (SELECT t.id FROM tickets t, a
                     WHERE t.requester_id <> a.requester_id ORDER BY t.id DESC LIMIT 1)
         UPDATE tickets t SET requester_id = a.requester_id, category = a.category,
                              created_at = a.solved_at + interval '1 day'
           FROM a, b WHERE t.id = b.id",
    );
    execute(
        &mut conn,
        "UPDATE tickets SET category = 'moved elsewhere'
          WHERE id = (SELECT min(id) FROM tickets WHERE requester_id IS NOT NULL
                       AND category IS NOT NULL)",
    );
    check(&db, &store, "after requester and category changes");

    // Merges (issue 15, item 7): merged tickets are duplicates, in no aggregate — a surveyed
    // one, one with SLA clocks, one a requester's earlier solved ticket (a repeat-contact and
    // FCR look-up target) — in the store as in the SQL. Tickets without work orders, as the API
    // merges only those.
    let before = summary_created(&db, &store);
    let merged = diesel::sql_query(
        "WITH free AS (SELECT t.id, t.requester_id, t.solved_at FROM tickets t
                        WHERE t.source IS NULL
                          AND NOT EXISTS (SELECT 1 FROM work_orders w WHERE w.ticket_id = t.id)),
              pick AS (
           (SELECT s.ticket_id AS id FROM surveys s JOIN free f ON f.id = s.ticket_id
             WHERE s.answered_at IS NOT NULL ORDER BY s.id LIMIT 1)
           UNION (SELECT c.ticket_id FROM ticket_sla_clocks c JOIN free f ON f.id = c.ticket_id
                   ORDER BY c.ticket_id DESC LIMIT 1)
           UNION (SELECT f.id FROM free f WHERE f.requester_id IS NOT NULL
                     AND f.solved_at IS NOT NULL ORDER BY f.id LIMIT 1))
         UPDATE tickets t SET merged_into_id = (SELECT min(id) FROM tickets WHERE id <> t.id)
          WHERE t.id IN (SELECT id FROM pick)",
    )
    .execute(&mut conn)
    .unwrap();
    assert!(merged >= 2, "{merged} merged");
    check(&db, &store, "after merges");
    let created = summary_created(&db, &store);
    assert_eq!(created, before - merged as i64);

    // Two writers committing out of order: the earlier transaction commits last, after the
    // store has read a snapshot in which it was still running.
    let mut first = db.conn();
    let mut second = db.conn();
    execute(&mut first, "BEGIN");
    execute(
        &mut first,
        "UPDATE ticket_metrics SET reopens = reopens + 1
          WHERE ticket_id = (SELECT min(ticket_id) FROM ticket_metrics WHERE reopens = 0)",
    );
    execute(&mut second, "BEGIN");
    execute(
        &mut second,
        "UPDATE ticket_metrics SET latest_solved_at = NULL, full_resolution_seconds = NULL
          WHERE ticket_id = (SELECT max(ticket_id) FROM ticket_metrics
                              WHERE latest_solved_at IS NOT NULL)",
    );
    execute(&mut second, "COMMIT");
    check(&db, &store, "one of two writers committed");
    execute(&mut first, "COMMIT");
    check(&db, &store, "both committed, the earlier last");

    // A new ticket seen only once its transaction commits.
    execute(&mut first, "BEGIN");
    execute(
        &mut first,
        "INSERT INTO tickets (subject, description, status, priority, created_at, updated_at)
         VALUES ('store test', '', 'new', 'normal', '2026-10-01T12:00:00Z', '2026-10-01T12:00:00Z')",
    );
    execute(
        &mut first,
        "INSERT INTO ticket_metrics (ticket_id, created_at, agent_created, replies, reopens,
                                     requester_comments)
         SELECT max(id), '2026-10-01T12:00:00Z', false, 0, 0, 0 FROM tickets",
    );
    assert_eq!(
        summary_created(&db, &store),
        created,
        "uncommitted ticket counted"
    );
    execute(&mut first, "COMMIT");
    assert_eq!(summary_created(&db, &store), created + 1);
    // Merged tickets left the store (they are in no aggregate).
    assert_eq!(store.len(), loaded + 1 - merged);
    check(&db, &store, "after a new ticket");

    // The 7-day windows' edges, by hand, on new tickets of a new requester: X solved at s;
    // Y created exactly at s (not after it: X stays a first-contact resolution; X's solve is not
    // before Y's creation: Y is no repeat); Z created exactly at s + 7 days (inside X's window:
    // X loses its FCR; X's solve is inside Z's `[created − 7 days, created)`: Z is a repeat).
    let customer: i64 = diesel::sql_query(
        "INSERT INTO customers (name, created_at, updated_at)
         VALUES ('Window edges', now(), now()) RETURNING id AS ticket_id",
    )
    .get_result::<Id>(&mut conn)
    .unwrap()
    .ticket_id;
    let ticket = |conn: &mut PgConnection, created: &str, solved: Option<&str>| {
        let solved = solved.map_or("NULL".to_string(), |s| format!("'{s}'"));
        execute(
            conn,
            &format!(
                "WITH t AS (
                   INSERT INTO tickets (subject, status, priority, category, requester_id,
                                        created_at, updated_at, solved_at)
                   VALUES ('edge', 'solved', 'normal', 'edges', {customer}, '{created}',
                           '{created}', {solved}) RETURNING id)
                 INSERT INTO ticket_metrics (ticket_id, created_at, agent_created, replies,
                                             reopens, requester_comments, latest_solved_at,
                                             one_touch, one_touch_strict, fcr_candidate)
                 SELECT id, '{created}', false, 1, 0, 1, {solved}, {flag}, {flag}, {flag}
                   FROM t",
                flag = if solved == "NULL" { "NULL" } else { "true" },
            ),
        );
    };
    let contact = |store: &MetricsStore| {
        store
            .read(&db.pool, |_, reader| {
                let r = reader.summary(
                    &MetricFilters::default(),
                    frontline::domain::instant::min(),
                    frontline::domain::instant::end(),
                    options(),
                );
                let c = r.contact_rates.unwrap();
                Ok((
                    c.fcr.numerator,
                    c.fcr.denominator,
                    c.repeat_contact.numerator,
                    c.repeat_contact.denominator,
                ))
            })
            .unwrap()
    };
    let before = contact(&store);
    ticket(
        &mut conn,
        "2026-05-01T10:00:00Z",
        Some("2026-05-02T10:00:00Z"),
    );
    let x = contact(&store);
    assert_eq!(x, (before.0 + 1, before.1 + 1, before.2, before.3 + 1), "X");
    ticket(&mut conn, "2026-05-02T10:00:00Z", None);
    let y = contact(&store);
    assert_eq!(y, (x.0, x.1, x.2, x.3 + 1), "Y at X's solve");
    ticket(&mut conn, "2026-05-09T10:00:00Z", None);
    let z = contact(&store);
    assert_eq!(
        z,
        (y.0 - 1, y.1, y.2 + 1, y.3 + 1),
        "Z 7 days after X's solve"
    );
    // X's solve gone from `tickets` (the column repeat contact reads; FCR reads the projection's
    // latest solve, unchanged): Z no longer follows a solve within 7 days, so it is no repeat.
    execute(
        &mut conn,
        &format!(
            "UPDATE tickets SET solved_at = NULL
              WHERE requester_id = {customer} AND solved_at IS NOT NULL"
        ),
    );
    let unsolved = contact(&store);
    assert_eq!(unsolved, (z.0, z.1, z.2 - 1, z.3), "X's solve gone");
    check(&db, &store, "after the window edges");

    // SLA clocks deleted without replacement (every policy deactivated): no row is left to
    // carry a stamp, so the projections are stamped instead.
    conn.transaction(|conn| {
        execute(conn, "UPDATE sla_policies SET active = false");
        frontline::tickets::projection::refresh_all_clocks_tx(conn)
    })
    .unwrap();
    assert_eq!(crate::helpers::count(&mut conn, "ticket_sla_clocks"), 0);
    check(&db, &store, "after every clock was deleted");

    // Back on: every clock recomputed.
    conn.transaction(|conn| {
        execute(conn, "UPDATE sla_policies SET active = true");
        frontline::tickets::projection::refresh_all_clocks_tx(conn)
    })
    .unwrap();
    check(&db, &store, "after every clock was recomputed");

    // `metrics rebuild` on a projection changed behind its back puts it right, and the store
    // follows.
    execute(
        &mut conn,
        "UPDATE ticket_metrics SET full_resolution_seconds = 1
          WHERE ticket_id = (SELECT min(ticket_id) FROM ticket_metrics
                              WHERE full_resolution_seconds IS NOT NULL)",
    );
    let report = frontline::metrics::rebuild(&mut conn, 1000).unwrap();
    assert!(!report.differences.is_empty());
    check(&db, &store, "after a rebuild");
}

/// Largest number of reads inside the store at once, and how many are inside now.
#[derive(Default)]
struct Overlap {
    inside: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

impl Overlap {
    fn enter(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.inside.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(now, SeqCst);
    }

    fn leave(&self) {
        self.inside
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn concurrent_reads_share_the_store_and_each_sees_exactly_its_own_snapshot_while_writes_commit() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::{Arc, Barrier};
    let db = Arc::new(seeded(300, Writer::Domain));
    let store = Arc::new(MetricsStore::new());
    summary_created(&db, &store);
    let period = (
        frontline::domain::instant::min(),
        frontline::domain::instant::end(),
    );

    // Without writes every read has the store's snapshot: they aggregate side by side.
    let overlap = Arc::new(Overlap::default());
    let barrier = Arc::new(Barrier::new(4));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (db, store, overlap, barrier) =
                (db.clone(), store.clone(), overlap.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store
                    .read(&db.pool, |_, _| {
                        overlap.enter();
                        std::thread::sleep(std::time::Duration::from_millis(300));
                        overlap.leave();
                        Ok(())
                    })
                    .unwrap();
            })
        })
        .collect();
    for r in readers {
        r.join().unwrap();
    }
    assert!(
        overlap.most.load(SeqCst) >= 2,
        "reads of one snapshot took turns"
    );

    // With writes committing all along (figures, dimensions, the contact rates' look-ups, new
    // tickets), every read's figures are those the SQL reference computes in its own
    // transaction.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut conn = db.conn();
            let mut round = 0u32;
            while !stop.load(SeqCst) {
                round += 1;
                execute(
                    &mut conn,
                    &format!(
                        "UPDATE ticket_metrics SET first_reply_seconds = first_reply_seconds + {round}
                          WHERE ticket_id IN (SELECT ticket_id FROM ticket_metrics
                                               WHERE first_reply_seconds IS NOT NULL
                                               ORDER BY ticket_id OFFSET {} LIMIT 3)",
                        round % 50
                    ),
                );
                execute(
                    &mut conn,
                    &format!(
                        "UPDATE tickets SET team_id = (SELECT id FROM teams ORDER BY id
                                                        OFFSET {} LIMIT 1)
                          WHERE id IN (SELECT id FROM tickets ORDER BY id OFFSET {} LIMIT 2)",
                        round % 2,
                        round % 40
                    ),
                );
                execute(
                    &mut conn,
                    &format!(
                        "UPDATE tickets SET solved_at = solved_at + interval '{} hours'
                          WHERE id IN (SELECT id FROM tickets WHERE solved_at IS NOT NULL
                                         AND requester_id IS NOT NULL
                                       ORDER BY id OFFSET {} LIMIT 2)",
                        if round.is_multiple_of(2) { 30 } else { -30 },
                        round % 20
                    ),
                );
                execute(
                    &mut conn,
                    "WITH t AS (
                       INSERT INTO tickets (subject, description, status, priority, created_at,
                                            updated_at)
                       VALUES ('concurrent', '', 'new', 'normal', '2026-10-01T12:00:00Z',
                               '2026-10-01T12:00:00Z') RETURNING id)
                     INSERT INTO ticket_metrics (ticket_id, created_at, agent_created, replies,
                                                 reopens, requester_comments)
                     SELECT id, '2026-10-01T12:00:00Z', false, 0, 0, 0 FROM t",
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            round
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let (db, store) = (db.clone(), store.clone());
            std::thread::spawn(move || {
                let mut compared = 0;
                for n in 0..12 {
                    let grouping = if (i + n) % 2 == 0 {
                        Grouping::All
                    } else {
                        Grouping::Dimension(Dimension::Team)
                    };
                    store
                        .read(&db.pool, |conn, reader| {
                            compared += compare(
                                conn,
                                reader,
                                &grouping,
                                &MetricFilters::default(),
                                period,
                                TimeBasis::Calendar,
                            )?;
                            Ok(())
                        })
                        .unwrap();
                }
                compared
            })
        })
        .collect();
    let compared: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
    stop.store(true, SeqCst);
    let rounds = writer.join().unwrap();
    assert!(rounds >= 5, "{rounds} rounds of writes");
    assert!(compared >= 48, "{compared} groups compared");
    check(&db, &store, "after the concurrent reads and writes");
}

#[test]
fn tickets_committed_out_of_id_order_are_followed_exactly() {
    let db = seeded(200, Writer::Bulk);
    let store = MetricsStore::new();
    check(&db, &store, "first load");
    let insert = "WITH t AS (
                    INSERT INTO tickets (subject, description, status, priority, category,
                                         requester_id, created_at, updated_at, solved_at)
                    SELECT 'late', '', 'solved', 'high', 'edges', min(id), '2026-05-03T10:00:00Z',
                           '2026-05-03T10:00:00Z', '2026-05-04T10:00:00Z' FROM customers
                    RETURNING id)
                  INSERT INTO ticket_metrics (ticket_id, created_at, agent_created, replies,
                                              reopens, requester_comments, latest_solved_at,
                                              one_touch, one_touch_strict, fcr_candidate)
                  SELECT id, '2026-05-03T10:00:00Z', false, 1, 0, 1, '2026-05-04T10:00:00Z',
                         true, true, true FROM t";
    // The lower id commits last: the store then takes it in between the others.
    let (mut first, mut second) = (db.conn(), db.conn());
    execute(&mut first, "BEGIN");
    execute(&mut first, insert);
    execute(&mut second, "BEGIN");
    execute(&mut second, insert);
    execute(&mut second, "COMMIT");
    check(&db, &store, "the higher id committed");
    execute(&mut first, "COMMIT");
    check(&db, &store, "the lower id committed after it");
}
