//! Every migration applies, reverts and re-applies.

use crate::helpers::{TestDb, count};
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use frontline::db::MIGRATIONS;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn public_tables(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query(
        "SELECT table_name AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
         ORDER BY table_name",
    )
    .load::<Name>(conn)
    .unwrap()
    .into_iter()
    .map(|n| n.name)
    .collect()
}

fn enum_types(conn: &mut PgConnection) -> i64 {
    count(
        conn,
        "pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'",
    )
}

#[test]
fn every_migration_applies_reverts_and_reapplies() {
    let db = TestDb::empty();
    let mut conn = db.conn();
    let expected = vec![
        "assets",
        "attachments",
        "bake_off_protocols",
        "business_calendars",
        "comments",
        "customers",
        "dashboard_sessions",
        "idempotency_keys",
        "inbound_messages",
        "macros",
        "metrics_projection",
        "organizations",
        "outbox",
        "refresh_tokens",
        "reports",
        "rules_version",
        "sites",
        "sla_policies",
        "surveys",
        "team_calendar_periods",
        "team_sourcing_periods",
        "teams",
        "ticket_categories",
        "ticket_category_events",
        "ticket_events",
        "ticket_fields",
        "ticket_links",
        "ticket_metrics",
        "ticket_sla_clocks",
        "ticket_views",
        "tickets",
        "time_off",
        "training_completions",
        "training_courses",
        "user_periods",
        "users",
        "webhook_attempts",
        "webhook_deliveries",
        "webhook_endpoints",
        "work_order_metrics",
        "work_orders",
    ];
    let applied = frontline::db::migrate(&mut conn).unwrap();
    assert_eq!(applied.len(), 45);
    assert_eq!(public_tables(&mut conn), expected);
    assert_eq!(enum_types(&mut conn), 8);

    conn.revert_all_migrations(MIGRATIONS).unwrap();
    assert_eq!(public_tables(&mut conn), Vec::<String>::new());
    assert_eq!(enum_types(&mut conn), 0, "down.sql drops every enum");

    let reapplied = frontline::db::migrate(&mut conn).unwrap();
    assert_eq!(reapplied, applied);
    assert_eq!(public_tables(&mut conn), expected);
    assert!(
        frontline::db::migrate(&mut conn).unwrap().is_empty(),
        "a second run has nothing to apply"
    );
}

#[test]
fn the_event_log_is_append_only() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let app_mapping = crate::helpers::small_mapping();
    frontline::import::event_log::import_reader(
        &mut conn,
        "case,activity,time,who\nA,Insert,2026-03-02 09:00:00+00:00,Ann\n".as_bytes(),
        &app_mapping,
        Default::default(),
    )
    .unwrap();
    let err = diesel::sql_query("UPDATE ticket_events SET kind = 'note'")
        .execute(&mut conn)
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

/// Service copies starting together migrate the same empty database at once: they take turns,
/// one applies every migration, the others find nothing pending, none fails.
#[test]
fn concurrent_migrations_take_turns() {
    let db = TestDb::empty();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let mut conn = db.conn();
            std::thread::spawn(move || frontline::db::migrate(&mut conn).map(|a| a.len()))
        })
        .collect();
    let mut counts: Vec<usize> = runs
        .into_iter()
        .map(|r| r.join().unwrap().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, vec![0, 0, 45]);
    let mut conn = db.conn();
    let migrated = TestDb::new();
    assert_eq!(
        public_tables(&mut conn),
        public_tables(&mut migrated.conn())
    );
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
}

fn projection_version(conn: &mut diesel::PgConnection) -> i32 {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT version FROM metrics_projection")
        .get_result::<Version>(conn)
        .unwrap()
        .version
}

/// A database whose projections were computed before the contact flags and hold reasons existed
/// (migrations 0009 and 0010 added them empty) is recomputed once when a newer build migrates
/// it, and comes out exactly as a database written by the current build.
#[test]
fn an_upgraded_database_recomputes_its_projections_once() {
    use diesel::RunQueryDsl;
    use frontline::metrics::{PROJECTION_VERSION, ensure_projection_current};
    let db = crate::helpers::TestDb::new();
    let mut conn = db.conn();
    // A new database is marked current as soon as it is migrated (the template was).
    assert_eq!(projection_version(&mut conn), PROJECTION_VERSION);
    assert_eq!(ensure_projection_current(&mut conn).unwrap(), None);

    let options = frontline::seed::SeedOptions {
        tickets: 300,
        seed: 3,
        ..frontline::seed::SeedOptions::for_profile(frontline::seed::Profile::Demo)
    };
    frontline::seed::run(&mut conn, &options).unwrap();
    let written = frontline::seed::content_digest(&mut conn).unwrap();
    // What an older build left: the flags and hold reasons empty, version 0.
    let damaged = diesel::sql_query(
        "UPDATE ticket_metrics SET one_touch = NULL, one_touch_strict = NULL,
                fcr_candidate = NULL, requester_comments = 0, on_hold_by_reason = '{}'
          WHERE latest_solved_at IS NOT NULL AND one_touch IS NOT NULL",
    )
    .execute(&mut conn)
    .unwrap();
    assert!(damaged > 100, "{damaged} projections emptied");
    diesel::sql_query("UPDATE metrics_projection SET version = 0")
        .execute(&mut conn)
        .unwrap();
    assert_ne!(frontline::seed::content_digest(&mut conn).unwrap(), written);

    let report = ensure_projection_current(&mut conn).unwrap().unwrap();
    assert_eq!(report.changed_tickets, damaged as u64);
    // Only the first ones are detailed (an upgrade of a million rows keeps no million strings).
    assert_eq!(
        report.differences.len(),
        damaged.min(frontline::metrics::DETAILED_DIFFERENCES)
    );
    assert_eq!(projection_version(&mut conn), PROJECTION_VERSION);
    assert_eq!(frontline::seed::content_digest(&mut conn).unwrap(), written);
    // Once only.
    assert_eq!(ensure_projection_current(&mut conn).unwrap(), None);
}
