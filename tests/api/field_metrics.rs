//! Field-service metrics (docs/METRICS.md §8) end to end: work orders written into the database
//! (rows inserted directly until the work-order API lands, each with its `work_order` ticket
//! event so that the ticket's projection refresh projects them), their `work_order_metrics` rows,
//! the `field` block of `GET /metrics/summary`, `/breakdown` and `/timeseries` (JSON and CSV),
//! with hand-worked values; the store against the SQL reference; `metrics rebuild`.

use crate::helpers::{TestApp, small_mapping, spawn_app};
use crate::metrics_store::compare;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use frontline::metrics::reference::Grouping;
use frontline::metrics::store::MetricsStore;
use frontline::metrics::{Dimension, MetricFilters, TimeBasis};
use frontline::models::enums::UserRole;
use frontline::tickets::Rules;
use frontline::tickets::projection;
use serde_json::{Value, json};

/// Six tickets (Help desk: no calendar, so business time is calendar time). E is solved on
/// 03-05 13:00 and reopened on 03-10 09:00.
const LOG: &str = "\
case,activity,time,who
A,Insert,2026-03-02 09:00:00+00:00,Ann
B,Insert,2026-03-02 09:00:00+00:00,Ann
C,Insert,2026-03-02 09:00:00+00:00,Ann
D,Insert,2026-03-02 09:00:00+00:00,Ann
E,Insert,2026-03-02 09:00:00+00:00,Ann
E,Take,2026-03-02 09:30:00+00:00,Bob
E,Resolve,2026-03-05 13:00:00+00:00,Bob
E,Take,2026-03-10 09:00:00+00:00,Bob
F,Insert,2026-03-02 09:00:00+00:00,Ann
";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

fn id_of(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Id>(conn).unwrap().id
}

fn ticket(conn: &mut PgConnection, case: &str) -> i64 {
    id_of(
        conn,
        &format!("SELECT id FROM tickets WHERE external_id = '{case}'"),
    )
}

/// A work order as the test writes it (instants RFC 3339, `None` for NULL).
#[derive(Default, Clone, Copy)]
struct Order<'a> {
    ticket: i64,
    asset: Option<i64>,
    status: &'a str,
    technician: Option<i64>,
    window: Option<(&'a str, &'a str)>,
    created: &'a str,
    en_route: Option<&'a str>,
    on_site: Option<&'a str>,
    finished: Option<&'a str>,
    fixed: Option<bool>,
}

/// The field-service fixture.
pub(crate) struct Field {
    site: i64,
    employee: i64,
    contractor: i64,
    orders: Vec<i64>,
}

fn insert_order(conn: &mut PgConnection, org: i64, site: i64, o: Order<'_>) -> i64 {
    let q = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
    let n = |v: Option<i64>| v.map_or("NULL".to_string(), |v| v.to_string());
    let b = |v: Option<bool>| v.map_or("NULL".to_string(), |v| v.to_string());
    let last = o.finished.or(o.on_site).or(o.en_route).unwrap_or(o.created);
    let id = id_of(
        conn,
        &format!(
            "INSERT INTO work_orders (ticket_id, organization_id, site_id, asset_id, status,
               summary, technician_id, window_start, window_end, created_at, dispatched_at,
               en_route_at, on_site_at, finished_at, last_transition_at, problem_fixed,
               updated_at)
             VALUES ({}, {org}, {site}, {}, '{}', 'Kiosk down', {}, {}, {}, '{}', {}, {}, {},
               {}, '{last}', {}, now())
             RETURNING id",
            o.ticket,
            n(o.asset),
            o.status,
            n(o.technician),
            q(o.window.map(|w| w.0)),
            q(o.window.map(|w| w.1)),
            o.created,
            q(o.technician.map(|_| o.created)),
            q(o.en_route),
            q(o.on_site),
            q(o.finished),
            b(o.fixed),
        ),
    );
    // The ticket's log records the work order (what makes its refresh project work orders).
    let event = json!({"kind": "work_order", "work_order_id": id, "from": null, "to": o.status});
    diesel::sql_query(
        "INSERT INTO ticket_events (ticket_id, seq, kind, occurred_at, data, recorded_at)
         SELECT $1, coalesce(max(seq), 0) + 1, 'work_order', $2, $3, now()
           FROM ticket_events WHERE ticket_id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(o.ticket)
    .bind::<diesel::sql_types::Timestamptz, _>(at(last))
    .bind::<diesel::sql_types::Jsonb, _>(event)
    .execute(conn)
    .unwrap();
    id
}

/// Re-projects a ticket through the write path's refresh (`refresh_tx` via `reproject_tx`).
fn reproject(conn: &mut PgConnection, ticket_id: i64) {
    conn.transaction(|conn| {
        let rules = Rules::current(conn)?;
        projection::reproject_tx(conn, &rules, ticket_id)
    })
    .unwrap();
}

/// The hand-worked fixture (N = 30 days unless a test says otherwise):
/// - WO1 (ticket A, kiosk X1, employee): created 03-02 10:00, en route 03-03 09:00, on site 10:00
///   (window 09:00–10:00: met at its end), completed 12:00, fixed. WO2 (ticket B, same site and
///   kiosk) is created 29 days after WO1 finished: WO1 is not a first-time fix, and is a repeat.
/// - WO3 (ticket C, tablet X2, contractor): created 03-02 16:00, en route 03-03 09:30, on site
///   10:00 (window 10:30–12:00: early, not met), completed 11:00, fixed. WO4 (ticket D, same
///   tablet) is created 31 days after WO3 finished: WO3 is fixed with N = 30 (not with 32).
/// - WO5 (ticket E, no asset, employee): created 03-04 10:00, en route 03-05 09:00, on site
///   10:00 (window 08:00–09:00: late), completed 12:00, fixed; the ticket is reopened on 03-10:
///   not fixed.
/// - WO6 (ticket F, no asset, contractor): created 03-04 08:00, en route 09:00, on site 09:20,
///   cancelled 09:30: travel and arrival only.
pub(crate) fn fixture(app: &TestApp) -> Field {
    app.import(LOG, &small_mapping());
    let mut conn = app.db.conn();
    let conn = &mut conn;
    let org = id_of(
        conn,
        "INSERT INTO organizations (name) VALUES ('County jail') RETURNING id",
    );
    let site = id_of(
        conn,
        &format!(
            "INSERT INTO sites (organization_id, name, time_zone)
             VALUES ({org}, 'North facility', 'UTC') RETURNING id"
        ),
    );
    let asset = |conn: &mut PgConnection, kind: &str, tag: &str| {
        id_of(
            conn,
            &format!(
                "INSERT INTO assets (organization_id, site_id, kind, asset_tag)
                 VALUES ({org}, {site}, '{kind}', '{tag}') RETURNING id"
            ),
        )
    };
    let kiosk = asset(conn, "payment_kiosk", "X1");
    let tablet = asset(conn, "tablet", "X2");
    let (employee, _) = app.create_staff(UserRole::Technician);
    let (contractor, _) = app.create_staff(UserRole::Technician);
    diesel::sql_query(format!(
        "UPDATE users SET employment_type = 'contractor' WHERE id = {contractor}"
    ))
    .execute(conn)
    .unwrap();
    let [a, b, c, d, e, f] = ["A", "B", "C", "D", "E", "F"].map(|case| ticket(conn, case));
    let orders = [
        Order {
            ticket: a,
            asset: Some(kiosk),
            status: "completed",
            technician: Some(employee),
            window: Some(("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z")),
            created: "2026-03-02T10:00:00Z",
            en_route: Some("2026-03-03T09:00:00Z"),
            on_site: Some("2026-03-03T10:00:00Z"),
            finished: Some("2026-03-03T12:00:00Z"),
            fixed: Some(true),
        },
        Order {
            ticket: b,
            asset: Some(kiosk),
            status: "scheduled",
            // 2026-03-03 12:00 + 29 days.
            created: "2026-04-01T12:00:00Z",
            ..Order::default()
        },
        Order {
            ticket: c,
            asset: Some(tablet),
            status: "completed",
            technician: Some(contractor),
            window: Some(("2026-03-03T10:30:00Z", "2026-03-03T12:00:00Z")),
            created: "2026-03-02T16:00:00Z",
            en_route: Some("2026-03-03T09:30:00Z"),
            on_site: Some("2026-03-03T10:00:00Z"),
            finished: Some("2026-03-03T11:00:00Z"),
            fixed: Some(true),
        },
        Order {
            ticket: d,
            asset: Some(tablet),
            status: "scheduled",
            // 2026-03-03 11:00 + 31 days.
            created: "2026-04-03T11:00:00Z",
            ..Order::default()
        },
        Order {
            ticket: e,
            status: "completed",
            technician: Some(employee),
            window: Some(("2026-03-05T08:00:00Z", "2026-03-05T09:00:00Z")),
            created: "2026-03-04T10:00:00Z",
            en_route: Some("2026-03-05T09:00:00Z"),
            on_site: Some("2026-03-05T10:00:00Z"),
            finished: Some("2026-03-05T12:00:00Z"),
            fixed: Some(true),
            ..Order::default()
        },
        Order {
            ticket: f,
            status: "cancelled",
            technician: Some(contractor),
            created: "2026-03-04T08:00:00Z",
            en_route: Some("2026-03-04T09:00:00Z"),
            on_site: Some("2026-03-04T09:20:00Z"),
            finished: Some("2026-03-04T09:30:00Z"),
            ..Order::default()
        },
    ];
    let ids = orders
        .iter()
        .map(|o| insert_order(conn, org, site, *o))
        .collect();
    for t in [a, b, c, d, e, f] {
        reproject(conn, t);
    }
    Field {
        site,
        employee,
        contractor,
        orders: ids,
    }
}

const MARCH: &str = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z";

fn stats(count: i64, mean: f64, median: f64, p90: f64, min: i64, max: i64) -> Value {
    json!({"count": count, "mean": mean, "median": median, "p90": p90, "min": min, "max": max})
}

fn rate(numerator: i64, denominator: i64) -> Value {
    json!({
        "numerator": numerator,
        "denominator": denominator,
        "value": (denominator > 0).then(|| numerator as f64 / denominator as f64),
    })
}

#[tokio::test]
async fn the_summary_has_the_hand_worked_field_figures() {
    let app = spawn_app().await;
    fixture(&app);
    let body = app
        .get_json(&format!("/api/v1/metrics/summary?{MARCH}"), 200)
        .await;
    let field = &body["field"];
    assert_eq!(field["work_orders_completed"], 3);
    // Travel: WO1 3600, WO3 1800, WO5 3600, WO6 (cancelled after arriving) 1200.
    assert_eq!(
        field["travel_time"],
        stats(4, 2550.0, 2700.0, 3600.0, 1200, 3600)
    );
    // Wrench: WO1 7200, WO3 3600, WO5 7200 (not the cancelled WO6).
    assert_eq!(
        field["wrench_time"],
        stats(3, 6000.0, 7200.0, 7200.0, 3600, 7200)
    );
    // Arrival: WO1 86400, WO3 64800, WO5 86400, WO6 4800; p90 = 86400.
    assert_eq!(
        field["time_to_arrival"],
        stats(4, 60600.0, 75600.0, 86400.0, 4800, 86400)
    );
    // Met at the window's end (WO1); early (WO3) and late (WO5) are not.
    assert_eq!(field["arrival_window_met"], rate(1, 3));
    // Only WO3 is fixed: WO1 had a repeat on day 29, WO5's ticket reopened on day 5.
    let mut ftf = rate(1, 3);
    ftf["ftf_days"] = json!(30);
    assert_eq!(field["first_time_fix"], ftf);
    assert_eq!(field["repeat_visit_rate"], rate(1, 3));
    assert_eq!(body["definitions"]["first_time_fix"], "first_time_fix.v1");
    // Business time is calendar time on the tickets' 24/7 calendar.
    let business = app
        .get_json(
            &format!("/api/v1/metrics/summary?{MARCH}&time=business"),
            200,
        )
        .await;
    assert_eq!(business["field"]["travel_time"], field["travel_time"]);

    // N = 32: WO4 (day 31) is now within the window of WO3.
    let body = app
        .get_json(&format!("/api/v1/metrics/summary?{MARCH}&ftf_days=32"), 200)
        .await;
    let mut ftf = rate(0, 3);
    ftf["ftf_days"] = json!(32);
    assert_eq!(body["field"]["first_time_fix"], ftf);
    assert_eq!(body["field"]["repeat_visit_rate"], rate(2, 3));
    // N = 28: WO2 (day 29) is outside: WO1 is fixed.
    let body = app
        .get_json(&format!("/api/v1/metrics/summary?{MARCH}&ftf_days=28"), 200)
        .await;
    assert_eq!(body["field"]["first_time_fix"]["numerator"], 2);
    assert_eq!(body["field"]["repeat_visit_rate"], rate(0, 3));

    for bad in ["0", "366", "x"] {
        let response = app
            .get(&format!("/api/v1/metrics/summary?ftf_days={bad}"))
            .await;
        assert!(
            [400, 422].contains(&response.status().as_u16()),
            "ftf_days={bad}: {}",
            response.status()
        );
    }
    // A ticket-only filter: field figures are not applicable.
    let body = app
        .get_json(
            &format!("/api/v1/metrics/summary?{MARCH}&channel=phone"),
            200,
        )
        .await;
    assert_eq!(body["field"], Value::Null);
}

#[tokio::test]
async fn the_breakdown_by_technician_employment_type_splits_first_time_fix() {
    let app = spawn_app().await;
    let fx = fixture(&app);
    let body = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=technician_employment_type&{MARCH}"),
            200,
        )
        .await;
    let groups = body["groups"].as_array().unwrap();
    let keys: Vec<&Value> = groups.iter().map(|g| &g["key"]).collect();
    assert_eq!(keys, [&json!("contractor"), &json!("employee")]);
    let (contractor, employee) = (&groups[0], &groups[1]);
    // Field-only dimension: no ticket figures.
    assert!(contractor.get("tickets_created").is_none(), "{contractor}");
    assert_eq!(contractor["field"]["first_time_fix"]["numerator"], 1);
    assert_eq!(contractor["field"]["first_time_fix"]["denominator"], 1);
    assert_eq!(contractor["field"]["work_orders_completed"], 1);
    assert_eq!(contractor["field"]["travel_time"]["count"], 2);
    assert_eq!(employee["field"]["first_time_fix"]["numerator"], 0);
    assert_eq!(employee["field"]["first_time_fix"]["denominator"], 2);
    assert_eq!(employee["field"]["repeat_visit_rate"], rate(1, 2));

    let body = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=technician&{MARCH}"),
            200,
        )
        .await;
    let keys: Vec<String> = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap().to_string())
        .collect();
    let mut expected = vec![fx.employee.to_string(), fx.contractor.to_string()];
    expected.sort_by_key(|k| k.parse::<i64>().unwrap());
    assert_eq!(keys, expected);

    let body = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=asset_kind&{MARCH}"),
            200,
        )
        .await;
    let kinds: Vec<(Value, Value)> = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].clone(),
                g["field"]["work_orders_completed"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("payment_kiosk"), json!(1)),
            (json!("tablet"), json!(1)),
            (Value::Null, json!(1)),
        ]
    );

    // Site: both ticket figures (the imported tickets have no site: the null group) and field
    // figures (the work orders' site).
    let body = app
        .get_json(&format!("/api/v1/metrics/breakdown?by=site&{MARCH}"), 200)
        .await;
    let site = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == json!(fx.site.to_string()))
        .unwrap();
    assert_eq!(site["label"], "North facility");
    assert_eq!(site["field"]["work_orders_completed"], 3);
    assert_eq!(site["tickets_created"], 0);
    // A ticket-only dimension: no field figures.
    let body = app
        .get_json(&format!("/api/v1/metrics/breakdown?by=team&{MARCH}"), 200)
        .await;
    assert_eq!(body["groups"][0]["field"], Value::Null);

    // CSV: the field columns.
    let response = app
        .client
        .get(format!(
            "{}/api/v1/metrics/breakdown?by=technician_employment_type&{MARCH}",
            app.address
        ))
        .bearer_auth(&app.admin_token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let contractor: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(contractor[0], "contractor");
    assert_eq!(contractor[column("first_time_fix_numerator")], "1");
    assert_eq!(contractor[column("first_time_fix_denominator")], "1");
    assert_eq!(contractor[column("first_time_fix")], "1");
    assert_eq!(contractor[column("ftf_days")], "30");
    assert_eq!(contractor[column("travel_time_count")], "2");
    // Field-only dimension: no ticket columns.
    assert!(!header.contains(&"tickets_created"), "{header:?}");
    assert_eq!(header[1], "label");
    assert_eq!(header[2], "work_orders_completed");
}

#[tokio::test]
async fn the_timeseries_puts_work_orders_in_the_bucket_of_their_finish() {
    let app = spawn_app().await;
    fixture(&app);
    let body = app
        .get_json(
            "/api/v1/metrics/timeseries?interval=day&from=2026-03-03T00:00:00Z&to=2026-03-06T00:00:00Z",
            200,
        )
        .await;
    let completed: Vec<Value> = body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["field"]["work_orders_completed"].clone())
        .collect();
    // 03-03: WO1 and WO3; 03-04: WO6 (cancelled: not completed, but its travel counts); 03-05: WO5.
    assert_eq!(completed, [json!(2), json!(0), json!(1)]);
    assert_eq!(body["buckets"][1]["field"]["travel_time"]["count"], 1);
}

#[tokio::test]
async fn the_projection_keeps_the_attribution_at_completion_and_rebuild_finds_nothing_to_change() {
    let app = spawn_app().await;
    let fx = fixture(&app);
    let mut conn = app.db.conn();
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        employment: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        first_visit: bool,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        reopened_at: Option<DateTime<Utc>>,
    }
    let row = |conn: &mut PgConnection, id: i64| -> Row {
        diesel::sql_query(format!(
            "SELECT technician_employment_type::text AS employment, first_visit, reopened_at
               FROM work_order_metrics WHERE work_order_id = {id}"
        ))
        .get_result(conn)
        .unwrap()
    };
    let wo5 = fx.orders[4];
    let before = row(&mut conn, wo5);
    assert_eq!(before.employment.as_deref(), Some("employee"));
    assert!(before.first_visit);
    assert_eq!(before.reopened_at, Some(at("2026-03-10T09:00:00Z")));
    // Open work orders carry no attribution yet.
    assert_eq!(row(&mut conn, fx.orders[1]).employment, None);
    // The technician becomes a contractor later: history keeps "employee".
    diesel::sql_query(format!(
        "UPDATE users SET employment_type = 'contractor' WHERE id = {}",
        fx.employee
    ))
    .execute(&mut conn)
    .unwrap();
    let ticket_e = ticket(&mut conn, "E");
    conn.transaction(|conn| {
        let rules = Rules::current(conn)?;
        let t: frontline::models::ticket::Ticket = frontline::schema::tickets::table
            .find(ticket_e)
            .select(frontline::models::ticket::Ticket::as_select())
            .first(conn)?;
        let log = frontline::models::ticket::load_log(conn, ticket_e)?;
        projection::refresh_work_orders_tx(conn, &rules, &t, &log)
            .map_err(|e| diesel::result::Error::QueryBuilderError(format!("{e:?}").into()))
    })
    .unwrap();
    assert_eq!(row(&mut conn, wo5).employment.as_deref(), Some("employee"));

    let report = frontline::metrics::rebuild(&mut conn, 2).unwrap();
    assert_eq!(report.work_orders, 6);
    assert!(
        report.field_differences.is_empty(),
        "{:?}",
        report.field_differences
    );
    // A row that went missing is found and written again.
    diesel::sql_query(format!(
        "DELETE FROM work_order_metrics WHERE work_order_id = {wo5}"
    ))
    .execute(&mut conn)
    .unwrap();
    let report = frontline::metrics::rebuild(&mut conn, 1000).unwrap();
    assert_eq!(report.field_differences.len(), 1);
    assert_eq!(report.field_differences[0].work_order_id, wo5);
    assert!(row(&mut conn, wo5).first_visit);
}

#[tokio::test]
async fn the_store_computes_the_field_figures_the_sql_reference_computes() {
    let app = spawn_app().await;
    fixture(&app);
    let store = MetricsStore::new();
    let periods = [
        (
            frontline::domain::instant::min(),
            frontline::domain::instant::end(),
        ),
        (at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z")),
        (at("2026-03-03T11:00:00Z"), at("2026-03-05T00:00:00Z")),
    ];
    let filters = [
        MetricFilters::default(),
        MetricFilters {
            priority: Some("normal".into()),
            ..MetricFilters::default()
        },
        MetricFilters {
            organization_id: Some(1),
            ..MetricFilters::default()
        },
        MetricFilters {
            team_id: Some(1),
            ..MetricFilters::default()
        },
    ];
    let dimensions = [
        Dimension::Organization,
        Dimension::Site,
        Dimension::Priority,
        Dimension::Team,
        Dimension::Technician,
        Dimension::AssetKind,
        Dimension::TechnicianEmploymentType,
    ];
    let compared = store
        .read(&app.db.pool, |conn, reader| {
            let mut groups = 0;
            for period in periods {
                for basis in [TimeBasis::Calendar, TimeBasis::Business] {
                    for f in &filters {
                        groups += compare(conn, reader, &Grouping::All, f, period, basis)?;
                        for d in dimensions {
                            groups +=
                                compare(conn, reader, &Grouping::Dimension(d), f, period, basis)?;
                        }
                    }
                }
            }
            let grouping = Grouping::Bucket {
                interval: "day",
                zone: "America/New_York".into(),
            };
            groups += compare(
                conn,
                reader,
                &grouping,
                &MetricFilters::default(),
                periods[1],
                TimeBasis::Calendar,
            )?;
            Ok(groups)
        })
        .unwrap();
    assert!(compared > 50, "{compared} groups compared");

    // A write the store follows: WO2 is cancelled (in April); the next read sees it.
    let mut conn = app.db.conn();
    diesel::sql_query(
        "UPDATE work_orders SET status = 'cancelled', finished_at = '2026-04-02T10:00:00Z'
          WHERE asset_id IS NOT NULL AND status = 'scheduled' AND created_at < '2026-04-02'",
    )
    .execute(&mut conn)
    .unwrap();
    let b = ticket(&mut conn, "B");
    reproject(&mut conn, b);
    let summary = |reader: &frontline::metrics::store::Reader<'_>| {
        reader.summary(
            &MetricFilters::default(),
            at("2026-03-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
            frontline::metrics::ReportOptions {
                basis: TimeBasis::Calendar,
                now: Utc::now(),
                contact_rates: false,
                ftf_days: 30,
            },
        )
    };
    let field = store
        .read(&app.db.pool, |conn, reader| {
            compare(
                conn,
                reader,
                &Grouping::All,
                &MetricFilters::default(),
                periods[1],
                TimeBasis::Calendar,
            )?;
            Ok(summary(reader).field)
        })
        .unwrap()
        .unwrap();
    // WO2 (cancelled in April, never arrived) adds nothing to March but is still a later work
    // order for WO1.
    assert_eq!(field.work_orders_completed, 3);
    assert_eq!(field.repeat_visit_rate.numerator, 1);
}

#[tokio::test]
async fn a_visit_through_the_work_order_api_is_projected_by_the_tickets_refresh() {
    let app = spawn_app().await;
    let (tech, _) = app.create_staff(UserRole::Technician);
    let tech_token = crate::helpers::jwt_keys(&app.db.settings)
        .issue(tech, UserRole::Technician, Utc::now())
        .unwrap();
    let send = |token: &str, path: String, body: Value| {
        let request = app
            .client
            .post(format!("{}{}", app.address, path))
            .bearer_auth(token.to_string())
            .json(&body);
        async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert!(status < 300, "{status}: {body}");
            body
        }
    };
    let admin = app.admin_token.clone();
    let org = send(
        &admin,
        "/api/v1/organizations".into(),
        json!({"name": "County"}),
    )
    .await;
    let site = send(
        &admin,
        "/api/v1/sites".into(),
        json!({"organization_id": org["id"], "name": "North", "time_zone": "UTC"}),
    )
    .await;
    let customer = send(
        &admin,
        "/api/v1/customers".into(),
        json!({"name": "Rosa", "email": "rosa@county.test", "organization_id": org["id"]}),
    )
    .await;
    let ticket = send(
        &admin,
        "/api/v1/tickets".into(),
        json!({"requester_id": customer["id"], "subject": "Kiosk down", "channel": "phone",
               "site_id": site["id"]}),
    )
    .await;
    let ticket_id = ticket["id"].as_i64().unwrap();
    let wo = send(
        &admin,
        format!("/api/v1/tickets/{ticket_id}/work-orders"),
        json!({"summary": "Kiosk down"}),
    )
    .await;
    let wo = wo["id"].as_i64().unwrap();
    let start = Utc::now() - chrono::Duration::minutes(5);
    let end = Utc::now() + chrono::Duration::hours(3);
    let transitions = format!("/api/v1/work-orders/{wo}/transitions");
    send(
        &admin,
        transitions.clone(),
        json!({"to": "dispatched", "technician_id": tech,
               "arrival_window": {"start": start.to_rfc3339(), "end": end.to_rfc3339()}}),
    )
    .await;
    for to in ["en_route", "on_site"] {
        send(&tech_token, transitions.clone(), json!({"to": to})).await;
    }
    send(
        &tech_token,
        transitions.clone(),
        json!({"to": "completed", "resolution_code": "replaced", "problem_fixed": true}),
    )
    .await;

    #[derive(QueryableByName)]
    struct Projected {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        first_visit: bool,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
        arrival_window_met: Option<bool>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        travel_seconds: Option<i64>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        employment: Option<String>,
    }
    let row: Projected = diesel::sql_query(format!(
        "SELECT status, first_visit, arrival_window_met, travel_seconds,
                technician_employment_type::text AS employment
           FROM work_order_metrics WHERE work_order_id = {wo}"
    ))
    .get_result(&mut app.db.conn())
    .unwrap();
    assert_eq!(row.status, "completed");
    assert!(row.first_visit);
    assert_eq!(row.arrival_window_met, Some(true));
    assert!(row.travel_seconds.is_some_and(|s| (0..60).contains(&s)));
    assert_eq!(row.employment.as_deref(), Some("employee"));

    let body = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(body["field"]["work_orders_completed"], 1);
    assert_eq!(body["field"]["first_time_fix"]["numerator"], 1);
    assert_eq!(body["field"]["arrival_window_met"], rate(1, 1));
    let report = frontline::metrics::rebuild(&mut app.db.conn(), 100).unwrap();
    assert!(report.field_differences.is_empty(), "{report:?}");
}

#[tokio::test]
async fn business_field_durations_are_measured_on_the_tickets_team_calendar() {
    let app = spawn_app().await;
    // The tickets' team has a Monday–Friday 09:00–17:00 UTC calendar from its creation, before
    // the March history is imported into it (a calendar given later would apply from then on
    // only, docs/METRICS.md §3).
    let send = |method: reqwest::Method, path: String, body: Value| {
        let request = app
            .client
            .request(method, format!("{}{}", app.address, path))
            .bearer_auth(&app.admin_token)
            .json(&body);
        async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert!(status < 300, "{status}: {body}");
            body
        }
    };
    let day = json!([["09:00", "17:00"]]);
    let calendar = send(
        reqwest::Method::POST,
        "/api/v1/calendars".into(),
        json!({"name": "Office", "time_zone": "UTC", "weekly_hours": {
            "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day}}),
    )
    .await;
    send(
        reqwest::Method::POST,
        "/api/v1/teams".into(),
        json!({"name": "Help desk", "kind": "contact_center", "sourcing": "in_house",
               "calendar_id": calendar["id"]}),
    )
    .await;
    fixture(&app);
    let body = app
        .get_json(
            &format!("/api/v1/metrics/summary?{MARCH}&time=business"),
            200,
        )
        .await;
    let field = &body["field"];
    // Travel and wrench fall inside opening hours: as in calendar time.
    assert_eq!(
        field["travel_time"],
        stats(4, 2550.0, 2700.0, 3600.0, 1200, 3600)
    );
    assert_eq!(
        field["wrench_time"],
        stats(3, 6000.0, 7200.0, 7200.0, 3600, 7200)
    );
    // Arrival: WO1 Mon 10:00 → Tue 10:00 = 7 h + 1 h; WO3 Mon 16:00 → Tue 10:00 = 1 h + 1 h;
    // WO5 Wed 10:00 → Thu 10:00 = 8 h; WO6 Wed 08:00 → 09:20 = 20 min.
    assert_eq!(
        field["time_to_arrival"],
        stats(4, 16500.0, 18000.0, 28800.0, 1200, 28800)
    );
    // Calendar time is unchanged.
    let body = app
        .get_json(&format!("/api/v1/metrics/summary?{MARCH}"), 200)
        .await;
    assert_eq!(body["field"]["time_to_arrival"]["max"], 86400);
    let report = frontline::metrics::rebuild(&mut app.db.conn(), 1000).unwrap();
    assert!(report.field_differences.is_empty(), "{report:?}");
}
