//! Business calendars, business-time metrics and `metrics rebuild`.

use crate::helpers::{count, helpdesk_log, helpdesk_mapping, small_mapping, spawn_app};
use diesel::prelude::*;
use frontline::import::event_log::{ImportOptions, import_file};
use frontline::metrics::rebuild;
use frontline::schema::{teams, tickets};
use serde_json::{Value, json};

const LOG: &str = "\
case,activity,time,who
A,Insert,2026-03-02 09:00:00+00:00,Ann
A,Take,2026-03-02 09:30:00+00:00,Bob
A,Wait,2026-03-02 10:00:00+00:00,Bob
A,Take,2026-03-02 12:00:00+00:00,Bob
A,Resolve,2026-03-02 13:00:00+00:00,Bob
A,Closed,2026-03-06 13:00:00+00:00,Bob
B,Take,2026-03-03 08:00:00+00:00,Bob
B,Resolve,2026-03-03 08:00:00+00:00,Bob
B,Take,2026-03-03 08:00:00+00:00,Cid
C,Insert,2026-03-04 09:00:00+00:00,Ann
C,Wait,2026-03-04 10:00:00+00:00,Bob
C,Resolve,2026-03-04 11:15:00+00:00,Bob
D,Insert,2026-03-05 09:00:00+00:00,Ann
";

async fn send(
    app: &crate::helpers::TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = app
        .client
        .request(method, format!("{}{}", app.address, path))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_team_calendar_turns_calendar_time_into_business_time() {
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    // Open 10:00–12:00 UTC on weekdays only.
    let two_hours = json!([["10:00", "12:00"]]);
    let (status, calendar) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/calendars",
        json!({"name": "Late morning", "time_zone": "UTC", "weekly_hours": {
            "monday": two_hours, "tuesday": two_hours, "wednesday": two_hours,
            "thursday": two_hours, "friday": two_hours}}),
    )
    .await;
    assert_eq!(status, 201, "{calendar}");
    let team: i64 = teams::table
        .filter(teams::name.eq("Help desk"))
        .select(teams::id)
        .first(&mut app.db.conn())
        .unwrap();
    let (status, patched) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/teams/{team}"),
        json!({"calendar_id": calendar["id"]}),
    )
    .await;
    assert_eq!(
        (status, patched["calendar_id"].clone()),
        (200, calendar["id"].clone())
    );
    // Applied in the background: the four tickets of the team (A closed; B, C, D not) are
    // still to re-project. The worker's passes, run here, do it.
    assert_eq!(patched["reprojection"]["pending_tickets"], 4, "{patched}");
    assert_eq!(app.reproject(), 4);

    // A: 09:00 → solved 13:00. Business: only 10:00–12:00, when it was pending: full resolution
    // 7200 s = requester wait 0 + agent wait 7200. The first reply at 09:30 came before opening:
    // 0 business seconds.
    let a: i64 = tickets::table
        .filter(tickets::external_id.eq("A"))
        .select(tickets::id)
        .first(&mut app.db.conn())
        .unwrap();
    let detail = app.get_json(&format!("/api/v1/tickets/{a}"), 200).await;
    assert_eq!(detail["metrics"]["full_resolution_seconds"], 14400);

    let business = app
        .get_json("/api/v1/metrics/summary?time=business", 200)
        .await;
    assert_eq!(business["time"], "business");
    // Full resolution, business: A 7200; C (09:00 → 11:15, open from 10:00) 4500; B reopened.
    // Mean 5850, median 5850, p90 = 4500 + 0.9 × 2700 = 6930.
    assert_eq!(
        business["full_resolution_time"],
        json!({"count": 2, "mean": 5850.0, "median": 5850.0, "p90": 6930.0, "min": 4500, "max": 7200})
    );
    // First replies: A at 09:30 and B at 08:00, both before opening: 0 business seconds.
    assert_eq!(business["first_reply_time"]["max"], 0);
    assert_eq!(business["first_reply_time"]["count"], 2);
    let calendar_time = app
        .get_json("/api/v1/metrics/summary?time=calendar", 200)
        .await;
    assert_eq!(calendar_time["full_resolution_time"]["max"], 14400);

    // Everything stored is what a rebuild from the events gives.
    let report = rebuild(&mut app.db.conn(), 2).unwrap();
    assert_eq!((report.tickets, report.differences.len()), (4, 0));

    // Narrowing the calendar (re-projected in the background, run here at once): open
    // 10:00–11:00 → A's business resolution 3600.
    let one_hour = json!([["10:00", "11:00"]]);
    let (status, narrowed) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/calendars/{}", calendar["id"]),
        json!({"weekly_hours": {"monday": one_hour, "wednesday": one_hour}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(narrowed["reprojection"]["pending_tickets"], 4, "{narrowed}");
    assert_eq!(app.reproject(), 4);
    let business = app
        .get_json("/api/v1/metrics/summary?time=business", 200)
        .await;
    assert_eq!(business["full_resolution_time"]["max"], 3600);
    assert_eq!(
        rebuild(&mut app.db.conn(), 100).unwrap().differences.len(),
        0
    );
}

#[tokio::test]
async fn bad_calendars_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let ok = json!({"monday": [["09:00", "17:00"]]});
    let cases = [
        (
            json!({"name": "X", "time_zone": "Mars/Olympus", "weekly_hours": ok}),
            422,
            "time_zone",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "weekly_hours": {"funday": [["09:00", "17:00"]]}}),
            422,
            "weekly_hours.funday",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "weekly_hours": {"monday": [["09:00", "25:00"]]}}),
            422,
            "weekly_hours.monday[0]",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "weekly_hours": {"monday": [["17:00", "09:00"]]}}),
            422,
            "weekly_hours.monday[0]",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "weekly_hours": {"monday": [["09:00", "12:00"], ["11:00", "13:00"]]}}),
            422,
            "weekly_hours",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "weekly_hours": {}}),
            422,
            "weekly_hours",
        ),
        (
            json!({"name": "X", "time_zone": "UTC", "weekly_hours": ok, "holidays": ["2026-02-30"]}),
            422,
            "holidays[0]",
        ),
    ];
    for (body, status, field) in cases {
        let (actual, problem) = send(
            &app,
            reqwest::Method::POST,
            "/api/v1/calendars",
            body.clone(),
        )
        .await;
        assert_eq!(actual, status, "{body}: {problem}");
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    assert_eq!(count(&mut app.db.conn(), "business_calendars"), 0);
    let body = json!({"name": "Office", "time_zone": "Europe/Rome", "weekly_hours": ok, "holidays": ["2026-12-25"]});
    assert_eq!(
        send(
            &app,
            reqwest::Method::POST,
            "/api/v1/calendars",
            body.clone()
        )
        .await
        .0,
        201
    );
    let (status, problem) = send(&app, reqwest::Method::POST, "/api/v1/calendars", body).await;
    assert_eq!((status, problem["errors"]["name"].is_array()), (409, true));
}

#[test]
fn rebuilding_the_real_log_finds_no_difference_and_repairs_a_tampered_row() {
    let db = crate::helpers::TestDb::new();
    let mut conn = db.conn();
    import_file(
        &mut conn,
        &helpdesk_log(),
        &helpdesk_mapping(),
        ImportOptions::default(),
    )
    .unwrap();
    let report = rebuild(&mut conn, 1000).unwrap();
    assert_eq!((report.tickets, report.differences.len()), (4580, 0));

    diesel::sql_query(
        "UPDATE ticket_metrics SET replies = 99 WHERE ticket_id = (SELECT min(id) FROM tickets)",
    )
    .execute(&mut conn)
    .unwrap();
    let report = rebuild(&mut conn, 1000).unwrap();
    assert_eq!(report.differences.len(), 1);
    assert!(report.differences[0].stored.contains("replies: 99"));
    assert_eq!(
        rebuild(&mut conn, 1000).unwrap().differences.len(),
        0,
        "repaired"
    );
}
