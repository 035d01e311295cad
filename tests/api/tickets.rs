//! `GET /api/v1/tickets` and `GET /api/v1/tickets/{id}` over a small hand-written log.

use crate::helpers::{TestApp, small_mapping, spawn_app};
use diesel::prelude::*;
use frontline::schema::{tickets, users};
use serde_json::Value;

/// A: 03-02 09:00 (closed, Bob), B: 03-03 08:00 (reopened → open, Cid), C: 03-04 09:00 (solved,
/// Bob), D: 03-05 09:00 (new, nobody).
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

async fn app_with_log() -> TestApp {
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    app
}

fn external_ids(body: &Value) -> Vec<&str> {
    body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["external_id"].as_str().unwrap())
        .collect()
}

fn staff_id(app: &TestApp, name: &str) -> i64 {
    users::table
        .filter(users::name.eq(name))
        .select(users::id)
        .first(&mut app.db.conn())
        .unwrap()
}

fn ticket_id(app: &TestApp, external: &str) -> i64 {
    tickets::table
        .filter(tickets::external_id.eq(external))
        .select(tickets::id)
        .first(&mut app.db.conn())
        .unwrap()
}

#[tokio::test]
async fn tickets_are_listed_newest_first_with_their_fields() {
    let app = app_with_log().await;
    let body = app.get_json("/api/v1/tickets", 200).await;
    assert_eq!(external_ids(&body), vec!["D", "C", "B", "A"]);
    assert_eq!(body["meta"]["next_cursor"], Value::Null);
    let a = &body["tickets"][3];
    assert_eq!(a["status"], "closed");
    assert_eq!(a["priority"], "normal");
    assert_eq!(a["subject"], "Case A");
    assert_eq!(a["channel"], Value::Null);
    assert_eq!(a["created_at"], "2026-03-02T09:00:00Z");
    assert_eq!(a["solved_at"], "2026-03-02T13:00:00Z");
    assert_eq!(a["closed_at"], "2026-03-06T13:00:00Z");
    assert_eq!(a["assignee_id"], staff_id(&app, "Bob"));
    assert_eq!(a["created_by_id"], staff_id(&app, "Ann"));
    // One version per event: created, assigned, new→open, reply, →pending, reply, →open, →solved, →closed.
    assert_eq!(a["version"], 9);
    assert_eq!(body["tickets"][2]["status"], "open", "B was reopened");
    assert_eq!(body["tickets"][0]["status"], "new");
}

#[tokio::test]
async fn keyset_pagination_walks_every_ticket_once() {
    let app = app_with_log().await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/tickets?per_page=1".to_string();
    let mut pages = 0;
    loop {
        let body = app.get_json(&path, 200).await;
        pages += 1;
        seen.extend(external_ids(&body).into_iter().map(String::from));
        match body["meta"]["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/tickets?per_page=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["D", "C", "B", "A"]);
    assert_eq!(pages, 4, "the last full page knows it is the last");

    let first = app.get_json("/api/v1/tickets?per_page=3", 200).await;
    assert_eq!(external_ids(&first), vec!["D", "C", "B"]);
    let cursor = first["meta"]["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(&format!("/api/v1/tickets?per_page=3&cursor={cursor}"), 200)
        .await;
    assert_eq!(external_ids(&second), vec!["A"]);
    assert_eq!(second["meta"]["next_cursor"], Value::Null);
}

#[tokio::test]
async fn filters_combine_status_assignee_and_a_half_open_creation_range() {
    let app = app_with_log().await;
    let bob = staff_id(&app, "Bob");
    let cases = [
        ("status=closed", vec!["A"]),
        ("status=solved,closed", vec!["C", "A"]),
        ("status=new", vec!["D"]),
        (&*format!("assignee={bob}"), vec!["C", "A"]),
        (&*format!("assignee={bob}&status=solved"), vec!["C"]),
        ("assignee=999999", vec![]),
        // [03-03 08:00, 03-05 09:00): B and C; D starts exactly at the excluded end.
        (
            "created_from=2026-03-03T08:00:00Z&created_to=2026-03-05T09:00:00Z",
            vec!["C", "B"],
        ),
        ("created_from=2026-03-04T10:00:00%2B01:00", vec!["D", "C"]),
    ];
    for (query, expected) in cases {
        let body = app.get_json(&format!("/api/v1/tickets?{query}"), 200).await;
        assert_eq!(external_ids(&body), expected, "{query}");
    }
}

#[tokio::test]
async fn bad_list_parameters_are_4xx_problems_naming_the_field() {
    let app = app_with_log().await;
    let cases = [
        ("status=bogus", 422, "status"),
        ("status=open,", 422, "status"),
        ("per_page=0", 422, "per_page"),
        ("per_page=101", 422, "per_page"),
        ("created_from=yesterday", 422, "created_from"),
        ("created_to=2026-03-01", 422, "created_to"),
        (
            "created_from=2026-03-05T00:00:00Z&created_to=2026-03-01T00:00:00Z",
            422,
            "created_to",
        ),
        ("cursor=not-a-cursor", 422, "cursor"),
        ("assignee=abc", 422, "assignee"),
        ("per_page=1.5", 422, "per_page"),
        ("colour=blue", 400, "colour"),
        ("per_page=1&per_page=2", 400, "per_page"),
        // Decodes to a microsecond count PostgreSQL cannot store.
        ("cursor=LTIxMDg2NjgwMzIwMDAwMDAwMTox", 422, "cursor"),
        (
            "created_from=0000-01-01T00:00:00%2B23:59",
            422,
            "created_from",
        ),
    ];
    for (query, status, field) in cases {
        let response = app.get(&format!("/api/v1/tickets?{query}")).await;
        assert_eq!(response.status().as_u16(), status, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(
            body["errors"][field].is_array(),
            "{query}: expected an error on `{field}`: {body}"
        );
        assert_eq!(body["status"], status, "{query}");
    }
}

#[tokio::test]
async fn a_ticket_comes_with_its_audit_trail_and_metrics() {
    let app = app_with_log().await;
    let id = ticket_id(&app, "A");
    let body = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(body["ticket"]["external_id"], "A");
    let events = body["events"].as_array().unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=9).collect::<Vec<_>>());
    assert_eq!(events[0]["kind"], "created");
    assert_eq!(events[0]["data"]["agent_created"], true);
    assert_eq!(events[2]["from_status"], "new");
    assert_eq!(events[2]["to_status"], "open");
    assert_eq!(events[8]["to_status"], "closed");
    assert_eq!(events[8]["occurred_at"], "2026-03-06T13:00:00Z");
    let m = &body["metrics"];
    assert_eq!(m["first_reply_seconds"], 1800);
    assert_eq!(m["first_reply_at"], "2026-03-02T09:30:00Z");
    assert_eq!(m["first_resolution_seconds"], 14400);
    assert_eq!(m["full_resolution_seconds"], 14400);
    assert_eq!(m["requester_wait_seconds"], 7200);
    assert_eq!(m["agent_wait_seconds"], 7200);
    assert_eq!(m["on_hold_seconds"], 0);
    assert_eq!(m["replies"], 2);
    assert_eq!(m["reopens"], 0);
}

#[tokio::test]
async fn an_unknown_or_malformed_ticket_id_is_a_problem() {
    let app = app_with_log().await;
    let missing = app.get("/api/v1/tickets/999999").await;
    assert_eq!(missing.status().as_u16(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["detail"], "ticket not found");

    let malformed = app.get("/api/v1/tickets/abc").await;
    assert_eq!(malformed.status().as_u16(), 400);
    assert_eq!(
        malformed.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["errors"]["id"][0], "must be a whole number");
}

#[tokio::test]
async fn list_filters_and_full_text_search_over_api_made_tickets() {
    use frontline::models::enums::{TeamKind, TeamSourcing};
    use frontline::schema::teams;
    let app = spawn_app().await;
    app.add_categories(&["video visits", "billing", "equipment"]);
    let vendor: i64 = diesel::insert_into(teams::table)
        .values((
            teams::name.eq("Night desk"),
            teams::kind.eq(TeamKind::ContactCenter),
            teams::sourcing.eq(TeamSourcing::Outsourced),
            teams::vendor_name.eq("CallCo"),
        ))
        .returning(teams::id)
        .get_result(&mut app.db.conn())
        .unwrap();
    let post = |body: Value| {
        app.client
            .post(format!("{}/api/v1/tickets", app.address))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
    };
    let first: Value = post(serde_json::json!({
        "requester": {"name": "Rosa", "email": "rosa@example.com"},
        "subject": "Video visit dropped", "channel": "web", "priority": "urgent",
        "category": "video visits", "tags": ["video"],
        "description": "The video froze after two minutes."}))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let rosa = first["requester_id"].as_i64().unwrap();
    let second: Value = post(serde_json::json!({
        "requester_id": rosa, "subject": "Refund for a failed deposit", "channel": "phone",
        "category": "billing", "tags": ["refund", "kiosk"], "team_id": vendor,
        "description": "Kiosk kept the money."}))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let third: Value = post(serde_json::json!({
        "requester": {"name": "Sam", "email": "sam@example.com"},
        "subject": "Phone handset broken", "channel": "phone", "category": "equipment"}))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let subject = |body: &Value| -> Vec<String> {
        body["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["subject"].as_str().unwrap().to_string())
            .collect()
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("priority=urgent".into(), vec!["Video visit dropped"]),
        (
            "channel=phone".into(),
            vec!["Phone handset broken", "Refund for a failed deposit"],
        ),
        (
            "category=Billing".into(),
            vec!["Refund for a failed deposit"],
        ),
        ("tag=kiosk".into(), vec!["Refund for a failed deposit"]),
        (
            "sourcing=outsourced".into(),
            vec!["Refund for a failed deposit"],
        ),
        ("sourcing=in_house".into(), vec![]),
        (
            format!("requester={rosa}"),
            vec!["Refund for a failed deposit", "Video visit dropped"],
        ),
        (
            format!("team={vendor}"),
            vec!["Refund for a failed deposit"],
        ),
        // Full text: stemmed words from the subject, the description and comments.
        ("q=froze".into(), vec!["Video visit dropped"]),
        ("q=refunds".into(), vec!["Refund for a failed deposit"]),
        ("q=kiosk%20-refund".into(), vec![]),
        (
            "q=%22failed%20deposit%22".into(),
            vec!["Refund for a failed deposit"],
        ),
        ("q=handset&channel=web".into(), vec![]),
        (
            "sort=created_at".into(),
            vec![
                "Video visit dropped",
                "Refund for a failed deposit",
                "Phone handset broken",
            ],
        ),
    ];
    for (query, expected) in cases {
        let body = app.get_json(&format!("/api/v1/tickets?{query}"), 200).await;
        assert_eq!(subject(&body), expected, "{query}");
    }
    // A comment makes its words findable, and moves the ticket to the top of -updated_at.
    let id = third["id"].as_i64().unwrap();
    let r = app
        .client
        .post(format!("{}/api/v1/tickets/{id}/comments", app.address))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({"body": "Replaced the cradle cable", "public": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let found = app.get_json("/api/v1/tickets?q=cradle", 200).await;
    assert_eq!(subject(&found), vec!["Phone handset broken"]);
    // Keyset pagination follows the sort.
    let page1 = app
        .get_json("/api/v1/tickets?sort=-updated_at&per_page=2", 200)
        .await;
    assert_eq!(
        subject(&page1),
        vec!["Phone handset broken", "Refund for a failed deposit"]
    );
    let cursor = page1["meta"]["next_cursor"].as_str().unwrap();
    let page2 = app
        .get_json(
            &format!("/api/v1/tickets?sort=-updated_at&per_page=2&cursor={cursor}"),
            200,
        )
        .await;
    assert_eq!(subject(&page2), vec!["Video visit dropped"]);
    let _ = second;
    for (query, field) in [
        ("sort=subject", "sort"),
        ("priority=asap", "priority"),
        ("sourcing=vendor", "sourcing"),
        ("channel=fax", "channel"),
    ] {
        let r = app.get(&format!("/api/v1/tickets?{query}")).await;
        assert_eq!(r.status().as_u16(), 422, "{query}");
        let body: Value = r.json().await.unwrap();
        assert!(body["errors"][field].is_array(), "{query}: {body}");
    }
}
