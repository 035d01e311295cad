//! What an agent does at once: a comment that carries the status (and hold reason) to set, in
//! one transaction with the same log and metrics as two calls; a refused status writes nothing;
//! `on_hold` needs a reason; a requester's "any update?" that keeps the hold; find-or-create a
//! requester by email or phone.

use crate::helpers::{TestApp, count, spawn_app};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use frontline::domain::ids::{CustomerId, TicketId, UserId};
use frontline::domain::ticket::{AuthorKind, TicketPriority, TicketStatus};
use frontline::models::enums::{TicketChannel, UserRole};
use frontline::models::ticket::{TicketFields, TicketMetricsRow, Visibility};
use frontline::schema::{ticket_events, ticket_metrics, ticket_sla_clocks};
use frontline::tickets::comment::{NewComment, comment_tx};
use frontline::tickets::create::{NewTicket, Requester, create_tx};
use frontline::tickets::update::{TicketUpdate, update_tx};
use frontline::tickets::{Actor, RulesCache};
use reqwest::Method;
use serde_json::{Value, json};

async fn send(app: &TestApp, method: Method, path: &str, body: Value) -> (u16, Value) {
    let r = app.send_admin(method, path, Some(&body)).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn admin_id(app: &TestApp) -> i64 {
    app.get_json("/api/v1/me", 200).await["id"]
        .as_i64()
        .unwrap()
}

/// A phone ticket from Rosa (who has an email, so notices are queued), assigned to the admin
/// when `assigned`.
async fn ticket(app: &TestApp, assigned: bool) -> i64 {
    let (status, rosa) = send(
        app,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Rosa", "email": format!("rosa{}@example.com", rand_suffix())}),
    )
    .await;
    assert_eq!(status, 201);
    let mut body = json!({"requester_id": rosa["id"], "subject": "Kiosk down",
                          "description": "Screen black", "description_author": "requester",
                          "channel": "phone"});
    if assigned {
        body["assignee_id"] = json!(admin_id(app).await);
    }
    let (status, t) = send(app, Method::POST, "/api/v1/tickets", body).await;
    assert_eq!(status, 201, "{t}");
    t["id"].as_i64().unwrap()
}

fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// The ticket's log as (kind, from, to, data) without instants.
async fn log(app: &TestApp, id: i64) -> Vec<(String, Value, Value, Value)> {
    let body = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await;
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut data = e["data"].clone();
            if let Some(d) = data.as_object_mut() {
                d.remove("customer_id");
            }
            (
                e["kind"].as_str().unwrap().to_string(),
                e["from_status"].clone(),
                e["to_status"].clone(),
                data,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_reply_with_a_solve_is_one_call_with_the_log_of_a_reply_then_a_solve() {
    let app = spawn_app().await;
    let one = ticket(&app, true).await;
    let two = ticket(&app, true).await;

    let (status, body) = send(
        &app,
        Method::POST,
        &format!("/api/v1/tickets/{one}/comments"),
        json!({"body": "Rebooted it remotely; it is back.", "status": "solved"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["ticket"]["status"], "solved");
    assert_eq!(body["comment"]["body"], "Rebooted it remotely; it is back.");
    assert_eq!(body["comment"]["public"], true);
    // Version 1 at creation, one more for the call.
    assert_eq!(body["ticket"]["version"], 2);

    let (status, _) = send(
        &app,
        Method::POST,
        &format!("/api/v1/tickets/{two}/comments"),
        json!({"body": "Rebooted it remotely; it is back."}),
    )
    .await;
    assert_eq!(status, 201);
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{two}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", "\"2\"")
        .json(&json!({"status": "solved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let combined = log(&app, one).await;
    assert_eq!(combined, log(&app, two).await);
    let kinds: Vec<(&str, &Value)> = combined
        .iter()
        .map(|(k, _, to, _)| (k.as_str(), to))
        .collect();
    let null = Value::Null;
    let (open, solved) = (json!("open"), json!("solved"));
    assert_eq!(
        kinds,
        [
            ("created", &null),
            ("comment_added", &null),
            ("assigned", &null),
            ("status_changed", &open),
            ("notification", &null),
            ("comment_added", &null),
            ("notification", &null),
            ("status_changed", &solved),
            ("notification", &null),
        ]
    );
    assert_eq!(combined[4].3["notice"], "ticket_received");
    assert_eq!(combined[6].3["notice"], "agent_reply");
    assert_eq!(combined[8].3["notice"], "ticket_solved");
    // The same notices queued: received, reply, solved and its survey invitation.
    let mut conn = app.db.conn();
    for id in [one, two] {
        assert_eq!(
            count(&mut conn, &format!("outbox WHERE ticket_id = {id}")),
            4,
            "ticket {id}"
        );
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

type Clock = (
    String,
    bool,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn projections(conn: &mut PgConnection, id: i64) -> (TicketMetricsRow, Vec<Clock>) {
    let mut metrics: TicketMetricsRow = ticket_metrics::table
        .find(id)
        .select(TicketMetricsRow::as_select())
        .first(conn)
        .unwrap();
    metrics.ticket_id = 0;
    let clocks = ticket_sla_clocks::table
        .filter(ticket_sla_clocks::ticket_id.eq(id))
        .order(ticket_sla_clocks::kind)
        .select((
            ticket_sla_clocks::kind,
            ticket_sla_clocks::running,
            ticket_sla_clocks::due_at,
            ticket_sla_clocks::fulfilled_at,
            ticket_sla_clocks::breached_at,
        ))
        .load(conn)
        .unwrap();
    (metrics, clocks)
}

fn reply(status: Option<TicketStatus>) -> NewComment {
    NewComment {
        body: "Rebooted it remotely".into(),
        public: true,
        author: AuthorKind::Agent,
        status,
        hold_reason: None,
        keep_hold: false,
        if_version: None,
    }
}

#[tokio::test]
async fn reply_and_solve_in_one_call_leaves_the_metrics_and_sla_clocks_of_two_calls() {
    let app = spawn_app().await;
    let (status, _) = send(
        &app,
        Method::POST,
        "/api/v1/sla-policies",
        json!({"name": "Phone", "position": 1, "conditions": {"channels": ["phone"]},
               "targets": {"normal": {"first_reply": {"seconds": 3600, "business": false},
                                      "resolution": {"seconds": 14400, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201);
    let (_, rosa) = send(
        &app,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Rosa", "email": "rosa@example.com"}),
    )
    .await;
    let admin = UserId::new(admin_id(&app).await);
    let actor = Actor {
        id: admin,
        visibility: Visibility::All,
    };
    let rules = RulesCache::new();
    let mut conn = app.db.conn();
    let (t0, t1) = (at("2026-03-02T09:00:00Z"), at("2026-03-02T09:20:00Z"));
    let mut create = || {
        conn.transaction(|c| {
            create_tx(
                c,
                &rules,
                &NewTicket {
                    requester: Requester::Existing(CustomerId::new(rosa["id"].as_i64().unwrap())),
                    fields: TicketFields {
                        subject: "Kiosk down".into(),
                        description: "Screen black".into(),
                        channel: Some(TicketChannel::Phone),
                        ..TicketFields::default()
                    },
                    description_author: AuthorKind::Customer,
                    priority: TicketPriority::Normal,
                    assignee: Some(admin),
                    status: None,
                },
                Some(admin),
                t0,
            )
        })
        .unwrap()
    };
    let (one, two) = (create(), create());
    conn.transaction(|c| {
        comment_tx(
            c,
            &rules,
            TicketId::new(one.id),
            &reply(Some(TicketStatus::Solved)),
            Some(actor),
            t1,
        )
    })
    .unwrap();
    let commented = conn
        .transaction(|c| {
            comment_tx(
                c,
                &rules,
                TicketId::new(two.id),
                &reply(None),
                Some(actor),
                t1,
            )
        })
        .unwrap();
    conn.transaction(|c| {
        update_tx(
            c,
            &rules,
            TicketId::new(two.id),
            commented.ticket.version,
            &TicketUpdate {
                status: Some(TicketStatus::Solved),
                ..TicketUpdate::default()
            },
            actor,
            t1,
        )
    })
    .unwrap();

    let (metrics, clocks) = projections(&mut conn, one.id);
    assert_eq!(
        (metrics.clone(), clocks.clone()),
        projections(&mut conn, two.id)
    );
    // Worked by hand: the reply and the solve 20 minutes after creation.
    assert_eq!(metrics.first_reply_at, Some(t1));
    assert_eq!(metrics.first_reply_seconds, Some(1200));
    assert_eq!(metrics.first_resolution_seconds, Some(1200));
    assert_eq!(metrics.full_resolution_seconds, Some(1200));
    assert_eq!(metrics.replies, 1);
    assert_eq!(metrics.one_touch, Some(true));
    assert_eq!(
        clocks,
        [
            ("first_reply".to_string(), false, None, Some(t1), None),
            ("resolution".to_string(), false, None, Some(t1), None),
        ]
    );
}

#[tokio::test]
async fn a_refused_status_writes_nothing_not_even_the_comment() {
    let app = spawn_app().await;
    let unassigned = ticket(&app, false).await;
    let path = format!("/api/v1/tickets/{unassigned}/comments");
    let mut conn = app.db.conn();
    let before = |conn: &mut PgConnection| {
        (
            count(conn, &format!("comments WHERE ticket_id = {unassigned}")),
            count(
                conn,
                &format!("ticket_events WHERE ticket_id = {unassigned}"),
            ),
            count(conn, "outbox"),
            count(conn, "surveys"),
        )
    };
    let counts = before(&mut conn);
    // (body, status, field named, code)
    let cases = [
        (
            json!({"body": "Fixed", "status": "solved"}),
            422,
            "assignee_id",
            "validation_failed",
        ),
        (
            json!({"body": "Waiting", "status": "on_hold"}),
            422,
            "hold_reason",
            "validation_failed",
        ),
        (
            json!({"body": "Waiting", "status": "on_hold", "hold_reason": "lunch"}),
            422,
            "hold_reason",
            "validation_failed",
        ),
        (
            json!({"body": "Done", "status": "closed"}),
            409,
            "status",
            "invalid_transition",
        ),
        (
            json!({"body": "Parts", "hold_reason": "awaiting_parts"}),
            422,
            "hold_reason",
            "validation_failed",
        ),
        (
            json!({"body": "Any news?", "author": "requester", "keep_hold": true}),
            422,
            "keep_hold",
            "validation_failed",
        ),
        (
            json!({"body": "Noted", "keep_hold": true}),
            422,
            "keep_hold",
            "validation_failed",
        ),
    ];
    for (body, status, field, code) in cases {
        let (actual, problem) = send(&app, Method::POST, &path, body.clone()).await;
        assert_eq!(actual, status, "{body}: {problem}");
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
        assert_eq!(problem["code"], code, "{body}");
        assert_eq!(before(&mut conn), counts, "{body} wrote something");
    }
    // A stale If-Match: 412, nothing written.
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", "\"7\"")
        .json(&json!({"body": "Late", "status": "pending"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 412);
    assert_eq!(before(&mut conn), counts);
    // `If-Match: null` names no version: it cannot match either (412, nothing written).
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", "null")
        .json(&json!({"body": "Late", "status": "pending"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 412);
    assert_eq!(before(&mut conn), counts);
    // Anything else that is not an ETag: 400 naming If-Match, nothing written.
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", "%MNH#*")
        .json(&json!({"body": "Late", "status": "pending"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(before(&mut conn), counts);
    // A technician may write notes but not set a status.
    let technician = app.token_for(UserRole::Technician);
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&technician)
        .json(&json!({"body": "On my way", "public": false, "status": "pending"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(before(&mut conn), counts);
    // The current If-Match (creation wrote version 1 and the notice nothing more) goes through.
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", "\"1\"")
        .json(&json!({"body": "Checking", "status": "pending"}));
    let version: i64 = app
        .get_json(&format!("/api/v1/tickets/{unassigned}"), 200)
        .await["ticket"]["version"]
        .as_i64()
        .unwrap();
    assert_eq!(version, 1);
    let r = r.send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), "\"2\"");
}

#[tokio::test]
async fn on_hold_needs_a_reason_and_a_requesters_nudge_may_keep_the_hold() {
    let app = spawn_app().await;
    let id = ticket(&app, true).await;
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{id}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", "\"1\"")
        .json(&json!({"status": "on_hold"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(
        problem["errors"]["hold_reason"][0],
        "is required to put a ticket on hold: one of awaiting_parts, awaiting_field_visit, \
         facility_access, third_party, other"
    );

    let path = format!("/api/v1/tickets/{id}/comments");
    let (status, body) = send(
        &app,
        Method::POST,
        &path,
        json!({"body": "Parts ordered", "public": false, "status": "on_hold",
               "hold_reason": "awaiting_parts"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["ticket"]["status"], "on_hold");
    assert_eq!(body["comment"]["public"], false);

    let (status, body) = send(
        &app,
        Method::POST,
        &path,
        json!({"body": "Any update?", "author": "requester", "keep_hold": true}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["ticket"]["status"], "on_hold");
    assert_eq!(body["comment"]["author_kind"], "customer");
    let events = log(&app, id).await;
    let tail: Vec<(&str, &Value, &Value)> = events[events.len() - 3..]
        .iter()
        .map(|(k, _, to, d)| (k.as_str(), to, &d["reason"]))
        .collect();
    let (null, hold, parts) = (Value::Null, json!("on_hold"), json!("awaiting_parts"));
    assert_eq!(
        tail,
        [
            ("comment_added", &null, &null),
            ("status_changed", &hold, &parts),
            ("comment_added", &null, &null),
        ],
        "the nudge is logged, the hold stands"
    );
    // The hold is not released: the log has no status change after it.
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["ticket"]["status"], "on_hold");

    // Without keep_hold the requester's comment releases the hold.
    let (status, body) = send(
        &app,
        Method::POST,
        &path,
        json!({"body": "Still down", "author": "requester"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["ticket"]["status"], "open");
    let mut conn = app.db.conn();
    let last: String = ticket_events::table
        .filter(ticket_events::ticket_id.eq(id))
        .order(ticket_events::seq.desc())
        .select(ticket_events::kind)
        .first(&mut conn)
        .unwrap();
    assert_eq!(last, "status_changed");
}

#[tokio::test]
async fn a_requester_is_found_by_email_or_phone_or_created() {
    let app = spawn_app().await;
    let (status, rosa) = send(
        &app,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Rosa", "email": "rosa@example.com", "phone": "555.010.0199"}),
    )
    .await;
    assert_eq!(status, 201);
    let path = "/api/v1/customers/find-or-create";
    let mut conn = app.db.conn();
    let customers = count(&mut conn, "customers");

    let (status, found) = send(
        &app,
        Method::POST,
        path,
        json!({"email": " Rosa@Example.COM "}),
    )
    .await;
    assert_eq!((status, &found["matched_by"]), (200, &json!("email")));
    assert_eq!(found["customer"]["id"], rosa["id"]);
    for phone in ["+1 (555) 010-0199", "1-555-010-0199", "5550100199"] {
        let (status, found) = send(&app, Method::POST, path, json!({"phone": phone})).await;
        assert_eq!(
            (status, &found["matched_by"]),
            (200, &json!("phone")),
            "{phone}"
        );
        assert_eq!(found["customer"]["id"], rosa["id"]);
    }
    // An unknown email with a known phone: the phone finds Rosa, unchanged.
    let (status, found) = send(
        &app,
        Method::POST,
        path,
        json!({"email": "other@example.com", "phone": "555 010 0199", "name": "X"}),
    )
    .await;
    assert_eq!((status, &found["matched_by"]), (200, &json!("phone")));
    assert_eq!(found["customer"]["email"], "rosa@example.com");
    assert_eq!(count(&mut conn, "customers"), customers, "nothing created");

    let r = app
        .send_admin(
            Method::POST,
            path,
            Some(&json!({"email": "Dana@Example.com", "phone": "(555) 010-0200", "name": "Dana"})),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["matched_by"], Value::Null);
    assert_eq!(created["customer"]["email"], "dana@example.com");
    assert_eq!(created["customer"]["phone"], "(555) 010-0200");
    assert_eq!(created["customer"]["name"], "Dana");
    assert_eq!(
        location,
        format!("/api/v1/customers/{}", created["customer"]["id"])
    );
    assert_eq!(count(&mut conn, "customers"), customers + 1);

    // A second person on Dana's phone: the phone alone no longer settles it.
    let (status, _) = send(
        &app,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Dana's brother", "phone": "555-010-0200"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, problem) = send(&app, Method::POST, path, json!({"phone": "5550100200"})).await;
    assert_eq!(status, 409);
    assert!(problem["errors"]["phone"].is_array(), "{problem}");
    let (status, found) = send(
        &app,
        Method::POST,
        path,
        json!({"email": "dana@example.com", "phone": "5550100200"}),
    )
    .await;
    assert_eq!((status, &found["matched_by"]), (200, &json!("email")));

    let customers = count(&mut conn, "customers");
    for (body, field) in [
        (json!({}), "email"),
        (json!({"name": "Nobody"}), "email"),
        (json!({"email": "nobody@example.com"}), "name"),
        (json!({"email": "not an email", "name": "N"}), "email"),
        (json!({"phone": "12", "name": "N"}), "phone"),
        (
            json!({"email": "n@example.com", "name": "N", "organization_id": 999999}),
            "organization_id",
        ),
    ] {
        let (status, problem) = send(&app, Method::POST, path, body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    assert_eq!(count(&mut conn, "customers"), customers, "nothing created");
}
