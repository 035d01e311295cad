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

/// Creates the calendar "Late morning" (10:00–12:00 UTC on weekdays) and returns it.
async fn late_morning(app: &crate::helpers::TestApp) -> Value {
    let two_hours = json!([["10:00", "12:00"]]);
    let (status, calendar) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/calendars",
        json!({"name": "Late morning", "time_zone": "UTC", "weekly_hours": {
            "monday": two_hours, "tuesday": two_hours, "wednesday": two_hours,
            "thursday": two_hours, "friday": two_hours}}),
    )
    .await;
    assert_eq!(status, 201, "{calendar}");
    calendar
}

fn ticket_id(app: &crate::helpers::TestApp, external: &str) -> i64 {
    tickets::table
        .filter(tickets::external_id.eq(external))
        .select(tickets::id)
        .first(&mut app.db.conn())
        .unwrap()
}

fn help_desk(app: &crate::helpers::TestApp) -> i64 {
    teams::table
        .filter(teams::name.eq("Help desk"))
        .select(teams::id)
        .first(&mut app.db.conn())
        .unwrap()
}

#[tokio::test]
async fn a_team_calendar_turns_calendar_time_into_business_time() {
    let app = spawn_app().await;
    // The team exists with its calendar before the history is imported into it: its first
    // calendar measures all of that history (docs/METRICS.md §3).
    let calendar = late_morning(&app).await;
    let (status, team) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/teams",
        json!({"name": "Help desk", "kind": "contact_center", "sourcing": "in_house",
               "calendar_id": calendar["id"]}),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    app.import(LOG, &small_mapping());

    // A: 09:00 → solved 13:00. Business: only 10:00–12:00, when it was pending: full resolution
    // 7200 s = requester wait 0 + agent wait 7200. The first reply at 09:30 came before opening:
    // 0 business seconds.
    let a = ticket_id(&app, "A");
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

    // Narrowing the calendar now (open 10:00–11:00) applies from now on: the March history keeps
    // its 7200 s, and a rebuild agrees.
    let one_hour = json!([["10:00", "11:00"]]);
    let (status, narrowed) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/calendars/{}", calendar["id"]),
        json!({"weekly_hours": {"monday": one_hour, "wednesday": one_hour}}),
    )
    .await;
    assert_eq!(status, 200);
    // Applied in the background to the open tickets (B, C, D; A is closed and keeps its values).
    assert_eq!(narrowed["reprojection"]["pending_tickets"], 3, "{narrowed}");
    assert_eq!(app.reproject(), 3);
    let business = app
        .get_json("/api/v1/metrics/summary?time=business", 200)
        .await;
    assert_eq!(business["full_resolution_time"]["max"], 7200);
    assert_eq!(
        rebuild(&mut app.db.conn(), 100).unwrap().differences.len(),
        0
    );
    let periods = count(
        &mut app.db.conn(),
        &format!("team_calendar_periods WHERE team_id = {}", team["id"]),
    );
    assert_eq!(periods, 2, "created with the calendar, then its edit");
}

/// A calendar whose every day is a holiday from yesterday to a week ahead (UTC dates), open
/// 10:00–12:00 on weekdays otherwise: no business second elapses while the test runs, whatever
/// the hour, so the time after a change is exactly 0 business seconds.
async fn closed_this_week(app: &crate::helpers::TestApp, name: &str) -> Value {
    let today = chrono::Utc::now().date_naive();
    let holidays: Vec<String> = (-1..=7)
        .map(|d| (today + chrono::Duration::days(d)).to_string())
        .collect();
    let two_hours = json!([["10:00", "12:00"]]);
    let (status, calendar) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/calendars",
        json!({"name": name, "time_zone": "UTC", "holidays": holidays, "weekly_hours": {
            "monday": two_hours, "tuesday": two_hours, "wednesday": two_hours,
            "thursday": two_hours, "friday": two_hours}}),
    )
    .await;
    assert_eq!(status, 201, "{calendar}");
    calendar
}

/// When team `team`'s first calendar change took effect (its earliest period after −∞).
fn first_change(app: &crate::helpers::TestApp, team: i64) -> chrono::DateTime<chrono::Utc> {
    use diesel::sql_types::{BigInt, Timestamptz};
    #[derive(QueryableByName)]
    struct At {
        #[diesel(sql_type = Timestamptz)]
        at: chrono::DateTime<chrono::Utc>,
    }
    diesel::sql_query(
        "SELECT min(valid_from) AS at FROM team_calendar_periods \
          WHERE team_id = $1 AND valid_from > '-infinity'",
    )
    .bind::<BigInt, _>(team)
    .get_result::<At>(&mut app.db.conn())
    .unwrap()
    .at
}

/// When the database recorded team `team`'s latest calendar period.
fn latest_period(app: &crate::helpers::TestApp, team: i64) -> chrono::DateTime<chrono::Utc> {
    use diesel::sql_types::{BigInt, Timestamptz};
    #[derive(QueryableByName)]
    struct At {
        #[diesel(sql_type = Timestamptz)]
        at: chrono::DateTime<chrono::Utc>,
    }
    diesel::sql_query("SELECT max(valid_from) AS at FROM team_calendar_periods WHERE team_id = $1")
        .bind::<BigInt, _>(team)
        .get_result::<At>(&mut app.db.conn())
        .unwrap()
        .at
}

/// The imported agent "Bob".
fn bob(app: &crate::helpers::TestApp) -> i64 {
    use frontline::schema::users;
    users::table
        .filter(users::name.eq("Bob"))
        .select(users::id)
        .first(&mut app.db.conn())
        .unwrap()
}

/// The ETag-protected PATCH of a ticket.
async fn patch_ticket(app: &crate::helpers::TestApp, id: i64, body: Value) -> (u16, Value) {
    let current = app.get(&format!("/api/v1/tickets/{id}")).await;
    let etag = current.headers()["etag"].clone();
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{id}", app.address))
        .bearer_auth(&app.admin_token)
        .header("if-match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_calendar_given_after_the_history_applies_from_then_on() {
    let app = spawn_app().await;
    // March 2026 history in "Help desk", which has no calendar (24/7): business = calendar.
    app.import(LOG, &small_mapping());
    let team = help_desk(&app);
    let a = ticket_id(&app, "A");
    let before = app.get_json(&format!("/api/v1/tickets/{a}"), 200).await;
    // A: created 09:00, first reply 09:30 (1800 s), solved 13:00 (14,400 s), on 24/7.
    assert_eq!(before["metrics"]["first_reply_seconds"], 1800);
    assert_eq!(before["metrics"]["full_resolution_seconds"], 14400);
    let summary = app
        .get_json("/api/v1/metrics/summary?time=business", 200)
        .await;
    // A 14,400; C 09:00 → 11:15 = 8100. Max 14,400, min 8100.
    assert_eq!(summary["full_resolution_time"]["max"], 14400);
    assert_eq!(summary["full_resolution_time"]["min"], 8100);
    assert_eq!(summary["first_reply_time"]["max"], 1800);

    // The team gets "Late morning" now. Before this change every March figure would have been
    // re-measured on it (A's resolution 14,400 → 7200 business seconds, its first reply 1800 →
    // 0); now the history keeps its values.
    let calendar = late_morning(&app).await;
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/teams/{team}"),
        json!({"calendar_id": calendar["id"]}),
    )
    .await;
    assert_eq!(status, 200);
    // The background re-projection (run here) recomputes the team's open tickets (B, C, D; A is
    // closed): same values.
    assert_eq!(app.reproject(), 3);
    let after = app
        .get_json("/api/v1/metrics/summary?time=business", 200)
        .await;
    assert_eq!(
        after["full_resolution_time"],
        summary["full_resolution_time"]
    );
    assert_eq!(after["first_reply_time"], summary["first_reply_time"]);
    assert_eq!(
        rebuild(&mut app.db.conn(), 3).unwrap().differences.len(),
        0,
        "a rebuild measures the same periods"
    );

    // D was created 2026-03-05 09:00 and is still open. Its team now takes a calendar closed all
    // this week; D is solved: its business resolution is the 24/7 time up to the change (whole
    // seconds) plus 0 after it, while its calendar resolution runs to the solve.
    let closed = closed_this_week(&app, "Closed this week").await;
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/teams/{team}"),
        json!({"calendar_id": closed["id"]}),
    )
    .await;
    assert_eq!(status, 200);
    app.reproject();
    let change = latest_period(&app, team);
    let first_change = first_change(&app, team);
    let d = ticket_id(&app, "D");
    let (status, body) = patch_ticket(
        &app,
        d,
        json!({"status": "solved", "assignee_id": bob(&app)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let created: chrono::DateTime<chrono::Utc> = "2026-03-05T09:00:00Z".parse().unwrap();
    let metrics = &app.get_json(&format!("/api/v1/tickets/{d}"), 200).await["metrics"];
    // 24/7 up to the first change (T1, "Late morning"), then Late morning's hours up to the
    // second (T2; none unless the test runs on a weekday between 10:00 and 12:00 UTC, the same
    // second when it runs fast), then none: the closed calendar.
    let late_morning_part = {
        let two_hours = vec![["10:00".to_string(), "12:00".to_string()]];
        let weekly = ["monday", "tuesday", "wednesday", "thursday", "friday"]
            .into_iter()
            .map(|d| (d.to_string(), two_hours.clone()))
            .collect();
        frontline::models::calendar::build("UTC", &weekly, &[])
            .unwrap()
            .business_seconds(first_change, change)
    };
    let up_to_change = first_change.timestamp() - created.timestamp() + late_morning_part;
    assert!(metrics["full_resolution_seconds"].as_i64().unwrap() >= up_to_change);
    let stored: Option<i64> = frontline::schema::ticket_metrics::table
        .find(d)
        .select(frontline::schema::ticket_metrics::full_resolution_business_seconds)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, Some(up_to_change));
    assert_eq!(
        rebuild(&mut app.db.conn(), 100).unwrap().differences.len(),
        0
    );
}

#[tokio::test]
async fn a_ticket_moved_to_another_team_keeps_the_old_team_s_calendar_for_the_time_before() {
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    // "Field desk" is closed all this week. D (created 2026-03-05 09:00 in the 24/7 help desk,
    // still open) moves to it now and is solved there.
    let closed = closed_this_week(&app, "Closed this week").await;
    let (status, other) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/teams",
        json!({"name": "Field desk", "kind": "contact_center", "sourcing": "in_house",
               "calendar_id": closed["id"]}),
    )
    .await;
    assert_eq!(status, 201, "{other}");
    let d = ticket_id(&app, "D");
    let (status, body) = patch_ticket(&app, d, json!({"team_id": other["id"]})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = patch_ticket(
        &app,
        d,
        json!({"status": "solved", "assignee_id": bob(&app)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The move's instant, from D's log.
    let moved: chrono::DateTime<chrono::Utc> = {
        use frontline::schema::ticket_events;
        ticket_events::table
            .filter(ticket_events::ticket_id.eq(d))
            .filter(ticket_events::data.contains(json!({"field": "team_id"})))
            .select(ticket_events::occurred_at)
            .first(&mut app.db.conn())
            .unwrap()
    };
    let created: chrono::DateTime<chrono::Utc> = "2026-03-05T09:00:00Z".parse().unwrap();
    let stored: Option<i64> = frontline::schema::ticket_metrics::table
        .find(d)
        .select(frontline::schema::ticket_metrics::full_resolution_business_seconds)
        .first(&mut app.db.conn())
        .unwrap();
    // 24/7 from creation to the move, then 0 business seconds on the closed calendar. On the new
    // team's calendar alone (as before) it would have been 2 h per weekday since March.
    assert_eq!(stored, Some(moved.timestamp() - created.timestamp()));
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
