//! Working tickets through the API: create (idempotent), patch (If-Match), comments, reopen and
//! follow-up rules, and refusals that write nothing.

use crate::helpers::{TestApp, count};

/// A server whose category catalogue holds the category of [`phone_ticket`].
async fn spawn_app() -> TestApp {
    let app = crate::helpers::spawn_app().await;
    app.add_categories(&["account funding"]);
    app
}
use frontline::models::enums::UserRole;
use serde_json::{Value, json};

struct Agent<'a> {
    app: &'a TestApp,
    token: String,
    id: i64,
}

impl<'a> Agent<'a> {
    fn new(app: &'a TestApp) -> Agent<'a> {
        let (id, _) = app.create_staff(UserRole::Agent);
        let token = crate::helpers::jwt_keys(&app.db.settings)
            .issue(id, UserRole::Agent, chrono::Utc::now())
            .unwrap();
        Agent { app, token, id }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, String)],
    ) -> reqwest::Response {
        let mut request = self
            .app
            .client
            .request(method, format!("{}{}", self.app.address, path))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    async fn create(&self, body: &Value) -> (u16, Value) {
        let r = self
            .send(reqwest::Method::POST, "/api/v1/tickets", Some(body), &[])
            .await;
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn patch(&self, id: i64, version: i64, body: &Value) -> (u16, Value) {
        let r = self
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/tickets/{id}"),
                Some(body),
                &[("if-match", format!("\"{version}\""))],
            )
            .await;
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn comment(&self, id: i64, body: &Value) -> (u16, Value) {
        let r = self
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/tickets/{id}/comments"),
                Some(body),
                &[],
            )
            .await;
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

fn phone_ticket() -> Value {
    json!({
        "requester": {"name": "Rosa Diaz", "email": "rosa@example.com", "phone": "214-555-0100"},
        "subject": "Kiosk in block C does not accept deposits",
        "description": "Caller says the kiosk rejects every card since this morning.",
        "channel": "phone",
        "priority": "high",
        "category": "Account Funding",
        "tags": ["Kiosk", "kiosk", "card-deposit"]
    })
}

fn kinds(events: &Value) -> Vec<String> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match e["kind"].as_str().unwrap() {
            "status_changed" => format!(
                "{}->{}",
                e["from_status"].as_str().unwrap(),
                e["to_status"].as_str().unwrap()
            ),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn an_agent_logs_a_phone_call_as_a_ticket_with_a_new_requester() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let r = agent
        .send(
            reqwest::Method::POST,
            "/api/v1/tickets",
            Some(&phone_ticket()),
            &[],
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(r.headers()["etag"], "\"1\"");
    let ticket: Value = r.json().await.unwrap();
    let id = ticket["id"].as_i64().unwrap();
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["priority"], "high");
    assert_eq!(ticket["channel"], "phone");
    assert_eq!(ticket["category"], "account funding");
    assert_eq!(ticket["tags"], json!(["kiosk", "card-deposit"]));
    assert_eq!(ticket["created_by_id"], agent.id);
    // One write: version 1 (its events: created, the description, the priority).
    assert_eq!(ticket["version"], 1);

    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    // The requester (who has an email) is told: a `notification` event (docs: issue 12).
    assert_eq!(
        kinds(&detail),
        vec![
            "created",
            "comment_added",
            "priority_changed",
            "notification"
        ]
    );
    assert_eq!(
        detail["events"][0]["data"]["with_public_agent_comment"],
        true
    );
    // The description is the request, not a reply: no first reply yet, no replies.
    assert_eq!(detail["metrics"]["first_reply_seconds"], Value::Null);
    assert_eq!(detail["metrics"]["replies"], 0);
    let customers = app.get_json("/api/v1/customers?q=rosa", 200).await;
    assert_eq!(ticket["requester_id"], customers["customers"][0]["id"]);
    let comments = app
        .get_json(&format!("/api/v1/tickets/{id}/comments"), 200)
        .await;
    assert_eq!(comments["comments"][0]["author_kind"], "agent");
    assert_eq!(
        comments["comments"][0]["body"],
        "Caller says the kiosk rejects every card since this morning."
    );
}

/// The caller rings again: an inline requester whose email a customer already has (in any
/// case) is that customer, found and left as it was — one call, no duplicate, no 409.
#[tokio::test]
async fn an_inline_requester_with_a_known_email_is_that_customer() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let (status, first) = agent.create(&phone_ticket()).await;
    assert_eq!(status, 201);
    let mut again = phone_ticket();
    again["requester"] =
        json!({"name": "R. Diaz", "email": "ROSA@Example.com", "phone": "972-555-0199"});
    again["subject"] = json!("The kiosk again");
    let (status, second) = agent.create(&again).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["requester_id"], first["requester_id"]);
    assert_ne!(second["id"], first["id"]);
    let customers = app.get_json("/api/v1/customers?q=diaz", 200).await;
    let list = customers["customers"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{customers}");
    assert_eq!(
        (&list[0]["name"], &list[0]["email"], &list[0]["phone"]),
        (
            &json!("Rosa Diaz"),
            &json!("rosa@example.com"),
            &json!("214-555-0100")
        )
    );
    // A new email is a new customer.
    let mut other = phone_ticket();
    other["requester"] = json!({"name": "Amy Santiago", "email": "amy@example.com"});
    let (status, third) = agent.create(&other).await;
    assert_eq!(status, 201);
    assert_ne!(third["requester_id"], first["requester_id"]);
}

#[tokio::test]
async fn a_ticket_goes_through_its_lifecycle_with_one_reopen_and_a_follow_up() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let (_, t) = agent.create(&phone_ticket()).await;
    let id = t["id"].as_i64().unwrap();
    let mut version = t["version"].as_i64().unwrap();
    let step = |version: i64, body: Value, expect_status: &'static str| {
        let agent = &agent;
        async move {
            let (status, t) = agent.patch(id, version, &body).await;
            assert_eq!(status, 200, "{body}: {t}");
            assert_eq!(t["status"], expect_status, "{body}");
            t["version"].as_i64().unwrap()
        }
    };
    version = step(version, json!({"assignee_id": agent.id}), "open").await;
    let pending = step(version, json!({"status": "pending"}), "pending").await;
    // The requester answers: pending → open (not a reopen).
    let (status, c) = agent
        .comment(
            id,
            &json!({"body": "It still fails.", "author": "requester"}),
        )
        .await;
    assert_eq!(
        (status, c["ticket"]["status"].as_str()),
        (201, Some("open"))
    );
    assert_eq!(c["ticket"]["version"], pending + 1, "one write, two events");
    version = c["ticket"]["version"].as_i64().unwrap();
    let (status, c) = agent
        .comment(id, &json!({"body": "A technician is on the way."}))
        .await;
    assert_eq!(status, 201);
    // The reply is one event; the first reply time stops here.
    assert_eq!(c["ticket"]["version"], version + 1);
    version = c["ticket"]["version"].as_i64().unwrap();
    let solved = step(version, json!({"status": "solved"}), "solved").await;
    // The requester writes again on the solved ticket: a reopen.
    let (_, c) = agent
        .comment(id, &json!({"body": "Broken again!", "author": "requester"}))
        .await;
    assert_eq!(c["ticket"]["status"], "open");
    assert_eq!(c["ticket"]["version"], solved + 1);
    version = c["ticket"]["version"].as_i64().unwrap();
    version = step(version, json!({"status": "solved"}), "solved").await;
    version = step(version, json!({"status": "closed"}), "closed").await;

    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    // The requester is told of the ticket, the agent's public reply and each solve (not of
    // their own comments, nor of the close): a `notification` event after each.
    assert_eq!(
        kinds(&detail),
        vec![
            "created",
            "comment_added",
            "priority_changed",
            "notification",
            "assigned",
            "new->open",
            "open->pending",
            "comment_added",
            "pending->open",
            "comment_added",
            "notification",
            "open->solved",
            "notification",
            "comment_added",
            "solved->open",
            "open->solved",
            "notification",
            "solved->closed"
        ]
    );
    // create, assign, pending, comment, reply, solve, comment, solve, close: nine writes.
    assert_eq!(detail["ticket"]["version"], 9);
    let m = &detail["metrics"];
    assert_eq!(m["reopens"], 1);
    assert_eq!(m["replies"], 1);
    assert!(m["first_reply_seconds"].as_i64().unwrap() >= 0);
    assert!(
        m["full_resolution_seconds"].as_i64().unwrap()
            >= m["first_resolution_seconds"].as_i64().unwrap()
    );

    // Closed is read-only but tags.
    let (status, problem) = agent
        .patch(id, version, &json!({"subject": "New subject"}))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("ticket_closed"))
    );
    let (status, tagged) = agent
        .patch(id, version, &json!({"tags": ["audited"]}))
        .await;
    assert_eq!((status, tagged["tags"].clone()), (200, json!(["audited"])));
    let (status, problem) = agent.comment(id, &json!({"body": "One more thing"})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("ticket_closed"))
    );

    // The requester writes to the closed ticket: a linked follow-up ticket.
    let (status, c) = agent
        .comment(
            id,
            &json!({"body": "The kiosk failed again today.", "author": "requester"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(c["follow_up_of"], id);
    let follow_up = &c["ticket"];
    assert_ne!(follow_up["id"], id);
    assert_eq!(
        follow_up["subject"],
        "Follow-up: Kiosk in block C does not accept deposits"
    );
    assert_eq!(follow_up["requester_id"], detail["ticket"]["requester_id"]);
    assert_eq!(follow_up["status"], "new");
    assert_eq!(c["comment"]["body"], "The kiosk failed again today.");
    assert_eq!(c["comment"]["author_kind"], "customer");
    let events = app
        .get_json(&format!("/api/v1/tickets/{}/events", follow_up["id"]), 200)
        .await;
    // The requester is told of the follow-up's number.
    assert_eq!(
        kinds(&events),
        vec!["created", "comment_added", "linked", "notification"]
    );
    assert_eq!(events["events"][2]["data"]["ticket_id"], id);
    assert_eq!(
        count(&mut app.db.conn(), "ticket_links WHERE kind = 'follow_up'"),
        1
    );
}

#[tokio::test]
async fn patches_need_the_current_version() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let (_, t) = agent.create(&phone_ticket()).await;
    let id = t["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}");
    let body = json!({"priority": "urgent"});

    let missing = agent
        .send(reqwest::Method::PATCH, &path, Some(&body), &[])
        .await;
    assert_eq!(missing.status().as_u16(), 428);
    let malformed = agent
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&body),
            &[("if-match", "yesterday".into())],
        )
        .await;
    assert_eq!(malformed.status().as_u16(), 400);
    let (status, problem) = agent.patch(id, 2, &body).await;
    assert_eq!(status, 412);
    assert_eq!(problem["code"], "version_mismatch");
    let (status, ok) = agent.patch(id, 1, &body).await;
    assert_eq!(
        (status, ok["priority"].as_str(), ok["version"].as_i64()),
        (200, Some("urgent"), Some(2))
    );
    // The same stale version again: refused, and nothing changed.
    let (status, _) = agent.patch(id, 1, &json!({"priority": "low"})).await;
    assert_eq!(status, 412);
    let now = app.get_json(&path, 200).await;
    assert_eq!(now["ticket"]["priority"], "urgent");
    // created, description, priority, the requester's notification, the priority change.
    assert_eq!(now["events"].as_array().unwrap().len(), 5);
    // A patch that changes nothing keeps the version.
    let (status, same) = agent.patch(id, 2, &json!({"priority": "urgent"})).await;
    assert_eq!((status, same["version"].as_i64()), (200, Some(2)));
}

#[tokio::test]
async fn refused_transitions_are_409s_or_422s_and_write_nothing() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let (_, t) = agent.create(&phone_ticket()).await;
    let id = t["id"].as_i64().unwrap();
    let cases = [
        (json!({"status": "solved"}), 422, "assignee_id"),
        (json!({"status": "closed"}), 409, "status"),
        // The priority part is valid, but the whole patch is refused.
        (
            json!({"priority": "low", "status": "closed"}),
            409,
            "status",
        ),
        (json!({"status": "reopened"}), 422, "status"),
        (json!({"assignee_id": 999999}), 422, "assignee_id"),
        (json!({"team_id": 999999}), 422, "team_id"),
        (json!({"site_id": 999999}), 422, "site_id"),
        (json!({"subject": " "}), 422, "subject"),
        (json!({"tags": ["two words"]}), 422, "tags"),
        (json!({"colour": "red"}), 422, "colour"),
        (json!({"status": null}), 422, "status"),
        (json!({"priority": null}), 422, "priority"),
        (json!({"subject": null}), 422, "subject"),
        (json!({"tags": null}), 422, "tags"),
    ];
    for (body, status, field) in cases {
        let (actual, problem) = agent.patch(id, 1, &body).await;
        assert_eq!(actual, status, "{body}: {problem}");
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["ticket"]["version"], 1, "nothing was written");
    assert_eq!(detail["ticket"]["priority"], "high");
    // The creation's three events and the requester's notification.
    assert_eq!(detail["events"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn bad_create_requests_are_refused_whole() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let (status, existing) = agent.create(&phone_ticket()).await;
    assert_eq!(status, 201);
    let mut bad_assignee = phone_ticket();
    bad_assignee["requester"]["email"] = json!("new.person@example.com");
    bad_assignee["assignee_id"] = json!(999_999);
    let cases = [
        // The inline requester would be valid, but the assignee is not: no customer is created.
        (bad_assignee, 422, "assignee_id"),
        (
            json!({"requester_id": 999999, "subject": "x", "channel": "phone"}),
            422,
            "requester_id",
        ),
        (
            json!({"subject": "x", "channel": "phone"}),
            422,
            "requester_id",
        ),
        (
            json!({"requester_id": existing["requester_id"], "subject": "x", "channel": "pigeon"}),
            422,
            "channel",
        ),
        (
            json!({"requester_id": existing["requester_id"], "subject": "x", "channel": "web", "priority": "asap"}),
            422,
            "priority",
        ),
        (
            json!({"requester_id": existing["requester_id"], "subject": "", "channel": "web"}),
            422,
            "subject",
        ),
        // A subject is one line: it goes into email headers.
        (
            json!({"requester_id": existing["requester_id"], "subject": "Line1\r\nBcc: x@evil.test", "channel": "web"}),
            422,
            "subject",
        ),
        (
            json!({"requester": {"name": "A\u{7}B", "email": "a@b.test"}, "subject": "x", "channel": "web"}),
            422,
            "requester.name",
        ),
        (
            json!({"requester_id": existing["requester_id"], "subject": "x", "channel": "web", "status": "solved"}),
            422,
            "assignee_id",
        ),
        (
            json!({"requester_id": existing["requester_id"], "subject": "x", "channel": "web", "status": "closed"}),
            422,
            "status",
        ),
        (
            json!({"requester": {"name": "A", "email": "nope"}, "subject": "x", "channel": "web"}),
            422,
            "requester.email",
        ),
    ];
    for (body, status, field) in cases {
        let (actual, problem) = agent.create(&body).await;
        assert_eq!(actual, status, "{body}: {problem}");
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    let mut conn = app.db.conn();
    assert_eq!(count(&mut conn, "tickets"), 1);
    assert_eq!(count(&mut conn, "customers"), 1);

    // Transport-level refusals.
    let url = format!("{}/api/v1/tickets", app.address);
    let send = |body: String, content_type: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&agent.token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_eq!(
        send("{\"subject\": ".into(), "application/json")
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    assert_eq!(
        send("{}".into(), "text/plain")
            .await
            .unwrap()
            .status()
            .as_u16(),
        415
    );
    // Over the 512 KiB limit (routes::body::MAX_BODY_BYTES).
    let huge = json!({"requester_id": 1, "subject": "x", "channel": "web", "description": "x".repeat(600_000)});
    let response = send(huge.to_string(), "application/json").await.unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(count(&mut conn, "tickets"), 1);
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_replays_the_first_response() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let headers = [("idempotency-key", "call-2026-11-30-0001".to_string())];
    let first = agent
        .send(
            reqwest::Method::POST,
            "/api/v1/tickets",
            Some(&phone_ticket()),
            &headers,
        )
        .await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();

    // Same key, same document (keys in another order): the stored response.
    let reordered: Value = serde_json::from_str(&phone_ticket().to_string()).unwrap();
    let again = agent
        .send(
            reqwest::Method::POST,
            "/api/v1/tickets",
            Some(&reordered),
            &headers,
        )
        .await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    // Same key, another body: 422.
    let mut other = phone_ticket();
    other["subject"] = json!("Something else");
    let mismatch = agent
        .send(
            reqwest::Method::POST,
            "/api/v1/tickets",
            Some(&other),
            &headers,
        )
        .await;
    assert_eq!(mismatch.status().as_u16(), 422);
    let problem: Value = mismatch.json().await.unwrap();
    assert!(problem["errors"]["Idempotency-Key"].is_array());
    assert_eq!(count(&mut app.db.conn(), "tickets"), 1);
}

#[tokio::test]
async fn twenty_identical_requests_at_once_create_one_ticket() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let headers = [("idempotency-key", "burst-1".to_string())];
    let body = phone_ticket();
    let requests = (0..20).map(|_| {
        agent.send(
            reqwest::Method::POST,
            "/api/v1/tickets",
            Some(&body),
            &headers,
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = Vec::new();
    for r in responses {
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        match status {
            201 => ids.push(body["id"].as_i64().unwrap()),
            409 => assert_eq!(body["code"], "idempotency_in_flight"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let mut conn = app.db.conn();
    assert_eq!(count(&mut conn, "tickets"), 1);
    assert_eq!(count(&mut conn, "customers"), 1);
}

#[tokio::test]
async fn concurrent_creates_get_distinct_ticket_numbers() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let (_, first) = agent.create(&phone_ticket()).await;
    let body = json!({"requester_id": first["requester_id"], "subject": "Same caller again", "channel": "phone"});
    let responses = futures_util::future::join_all((0..20).map(|_| agent.create(&body))).await;
    let mut numbers: Vec<i64> = responses
        .iter()
        .map(|(status, t)| {
            assert_eq!(*status, 201, "{t}");
            t["number"].as_i64().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 20);
}

#[tokio::test]
async fn only_admins_and_agents_write_tickets() {
    let app = spawn_app().await;
    for (role, status) in [
        (UserRole::Manager, 403),
        (UserRole::Technician, 403),
        (UserRole::Admin, 201),
    ] {
        let token = app.token_for(role);
        let r = app
            .client
            .post(format!("{}/api/v1/tickets", app.address))
            .bearer_auth(token)
            .json(&phone_ticket())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{role:?}");
    }
}

#[tokio::test]
async fn on_hold_time_is_recorded_by_pause_reason() {
    let app = spawn_app().await;
    let agent = Agent::new(&app);
    let (_, t) = agent.create(&phone_ticket()).await;
    let id = t["id"].as_i64().unwrap();
    let (status, problem) = agent
        .patch(id, 1, &json!({"hold_reason": "awaiting_parts"}))
        .await;
    assert_eq!(
        (status, problem["errors"]["hold_reason"].is_array()),
        (422, true),
        "not on hold"
    );
    let (status, problem) = agent
        .patch(id, 1, &json!({"status": "on_hold", "hold_reason": "lunch"}))
        .await;
    assert_eq!(
        (status, problem["errors"]["hold_reason"].is_array()),
        (422, true)
    );
    let (status, t) = agent
        .patch(
            id,
            1,
            &json!({"assignee_id": agent.id, "status": "on_hold", "hold_reason": "awaiting_parts"}),
        )
        .await;
    assert_eq!((status, t["status"].as_str()), (200, Some("on_hold")));
    let (status, t) = agent
        .patch(id, 2, &json!({"hold_reason": "awaiting_field_visit"}))
        .await;
    assert_eq!((status, t["status"].as_str()), (200, Some("on_hold")));
    let (status, _) = agent.patch(id, 3, &json!({"status": "solved"})).await;
    assert_eq!(status, 200);
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    let by_reason = detail["metrics"]["on_hold_by_reason"].as_object().unwrap();
    let mut reasons: Vec<&str> = by_reason.keys().map(String::as_str).collect();
    reasons.sort_unstable();
    assert_eq!(reasons, vec!["awaiting_field_visit", "awaiting_parts"]);
    let total: i64 = by_reason.values().map(|v| v.as_i64().unwrap()).sum();
    assert_eq!(Some(total), detail["metrics"]["on_hold_seconds"].as_i64());
    let summary = app
        .get_json("/api/v1/metrics/summary?include=on_hold_by_reason", 200)
        .await;
    assert_eq!(summary["on_hold_by_reason"]["awaiting_parts"]["tickets"], 1);
    assert_eq!(
        summary["on_hold_by_reason"]["awaiting_field_visit"]["tickets"],
        1
    );
}
