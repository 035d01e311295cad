//! Webhooks (docs/WEBHOOKS.md) against a real HTTP receiver started inside the test (actix-web on
//! 127.0.0.1, a free port) that records every request and can be told to answer 500: signed
//! deliveries carrying the ticket, retries with the attempts visible to admins, delivery once the
//! receiver recovers, an endpoint disabled after the configured failures in a row (and sent
//! nothing more until re-enabled), nothing for a rolled-back write, admin-only management and
//! field-named 422s. The worker is driven with the time as a parameter, as `serve` runs it.

use crate::helpers::{TestApp, jwt_keys, spawn_app};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use frontline::workers::runner::run_once;
use frontline::workers::webhooks::WebhookWorker;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: std::collections::HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct ReceiverState {
    /// Answer 500 to this many more requests.
    failures_left: AtomicUsize,
    requests: Mutex<Vec<Received>>,
}

/// A local HTTP receiver: POST / records the request and answers 200, or 500 while told to fail.
struct Receiver {
    url: String,
    state: Arc<ReceiverState>,
    server: actix_web::dev::ServerHandle,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<ReceiverState>>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    state.requests.lock().unwrap().push(Received {
        headers,
        body: body.to_vec(),
    });
    let failing = state
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        HttpResponse::InternalServerError().body("receiver down for maintenance")
    } else {
        HttpResponse::Ok().body("thanks")
    }
}

impl Receiver {
    async fn start() -> Receiver {
        let state = Arc::new(ReceiverState::default());
        let data = web::Data::new(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/hooks", web::post().to(receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks"),
            state,
            server: handle,
        }
    }

    fn fail_next(&self, n: usize) {
        self.state.failures_left.store(n, Ordering::SeqCst);
    }

    fn requests(&self) -> Vec<Received> {
        self.state.requests.lock().unwrap().clone()
    }
}

/// Checks a delivery's signature with `secret` the way a receiver would (recomputed here, not
/// with the service's code): `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
fn verify(r: &Received, secret: &str) {
    let header = r.header("frontline-signature");
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_string()),
            Some(("v1", value)) => v1 = Some(value.to_string()),
            _ => panic!("unexpected part {part} in {header}"),
        }
    }
    let (t, v1) = (t.unwrap(), v1.unwrap());
    let sent_at: i64 = t.parse().unwrap();
    assert!(
        (Utc::now().timestamp() - sent_at).abs() < 300,
        "timestamp {t} is not now"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&r.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        v1,
        expected,
        "signature of {}",
        String::from_utf8_lossy(&r.body)
    );
    // A wrong secret does not verify.
    let mut wrong = Hmac::<Sha256>::new_from_slice(b"whsec_not_the_secret").unwrap();
    wrong.update(format!("{t}.").as_bytes());
    wrong.update(&r.body);
    let wrong: String = wrong
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(v1, wrong);
}

/// One pass of the webhook job at `now`, as the runner runs it (on a blocking thread).
async fn pass(app: &TestApp, worker: &WebhookWorker, now: DateTime<Utc>) -> usize {
    run_once(&app.db.pool, Arc::new(worker.clone()), now)
        .await
        .unwrap()
}

fn worker(app: &TestApp) -> WebhookWorker {
    WebhookWorker::new(&app.db.settings.webhooks)
}

/// A staff member with a token.
struct Desk<'a> {
    app: &'a TestApp,
    token: String,
    id: i64,
}

impl<'a> Desk<'a> {
    fn new(app: &'a TestApp, role: UserRole) -> Desk<'a> {
        let (id, _) = app.create_staff(role);
        let token = jwt_keys(&app.db.settings)
            .issue(id, role, Utc::now())
            .unwrap();
        Desk { app, token, id }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .request(method, format!("{}{}", self.app.address, path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            r = r.json(&body);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn ticket(&self, subject: &str) -> Value {
        let (status, c) = self
            .send(
                Method::POST,
                "/api/v1/customers",
                Some(json!({"name": "Dana Caller", "email": format!("{}@example.com", uuid::Uuid::new_v4().simple())})),
            )
            .await;
        assert_eq!(status, 201, "{c}");
        let (status, t) = self
            .send(
                Method::POST,
                "/api/v1/tickets",
                Some(
                    json!({"requester_id": c["id"], "subject": subject, "channel": "phone",
                            "description": "No dial tone on the second handset.",
                            "assignee_id": self.id}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{t}");
        t
    }

    async fn patch_ticket(&self, id: i64, body: Value) -> (u16, Value) {
        let (_, t) = self
            .send(Method::GET, &format!("/api/v1/tickets/{id}"), None)
            .await;
        let version = t["ticket"]["version"].as_i64().unwrap();
        let r = self
            .app
            .client
            .patch(format!("{}/api/v1/tickets/{id}", self.app.address))
            .bearer_auth(&self.token)
            .header("If-Match", format!("\"{version}\""))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

/// Subscribes `url` to `events` as the admin; returns (id, secret).
async fn subscribe(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let r = app
        .send_admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(&json!({"url": url, "events": events, "description": "CRM sync"})),
        )
        .await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["url"], url);
    assert_eq!(body["events"], json!(events));
    assert_eq!(body["active"], true);
    let secret = body["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 70,
        "{secret}"
    );
    (body["id"].as_i64().unwrap(), secret)
}

async fn attempts(app: &TestApp, webhook: i64) -> Vec<Value> {
    app.get_json(&format!("/api/v1/webhooks/{webhook}/deliveries"), 200)
        .await["attempts"]
        .as_array()
        .unwrap()
        .clone()
}

fn deliveries(app: &TestApp) -> i64 {
    crate::helpers::count(&mut app.db.conn(), "webhook_deliveries")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_and_carry_the_ticket_created_updated_and_solved() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (hook, secret) = subscribe(
        &app,
        &receiver.url,
        &["ticket.created", "ticket.updated", "ticket.solved"],
    )
    .await;
    // The secret is shown once: never listed or read back.
    let listed = app.get_json("/api/v1/webhooks", 200).await;
    assert_eq!(listed["webhooks"][0]["id"], hook);
    assert!(listed["webhooks"][0].get("secret").is_none(), "{listed}");
    let one = app.get_json(&format!("/api/v1/webhooks/{hook}"), 200).await;
    assert!(one.get("secret").is_none(), "{one}");

    let agent = Desk::new(&app, UserRole::Agent);
    let ticket = agent.ticket("Unit B phone dead").await;
    let id = ticket["id"].as_i64().unwrap();
    let number = ticket["number"].as_i64().unwrap();
    // Queued with the creation, sent by the worker only.
    assert_eq!(deliveries(&app), 1);
    assert!(receiver.requests().is_empty());

    let worker = worker(&app);
    assert_eq!(pass(&app, &worker, Utc::now()).await, 1);
    let got = receiver.requests();
    assert_eq!(got.len(), 1);
    let created = &got[0];
    verify(created, &secret);
    let body = created.json();
    assert_eq!(body["type"], "ticket.created");
    assert_eq!(created.header("frontline-event-type"), "ticket.created");
    assert_eq!(
        created.header("frontline-event-id"),
        body["id"].as_str().unwrap()
    );
    assert_eq!(created.header("frontline-delivery-attempt"), "1");
    assert_eq!(created.header("content-type"), "application/json");
    assert!(uuid::Uuid::parse_str(body["id"].as_str().unwrap()).is_ok());
    let occurred = body["occurred_at"].as_str().unwrap();
    assert!(occurred.ends_with('Z'), "{occurred}");
    assert!(DateTime::parse_from_rfc3339(occurred).is_ok());
    assert_eq!(body["data"]["ticket"]["id"], id);
    assert_eq!(body["data"]["ticket"]["number"], number);
    assert_eq!(body["data"]["ticket"]["subject"], "Unit B phone dead");
    assert_eq!(body["data"]["ticket"]["status"], ticket["status"]);
    assert_eq!(body["data"]["ticket"]["assignee_id"], agent.id);
    // Nothing more to send.
    assert_eq!(pass(&app, &worker, Utc::now()).await, 0);

    // A solve: the update with its changes, and the solve.
    let (status, solved) = agent.patch_ticket(id, json!({"status": "solved"})).await;
    assert_eq!(status, 200, "{solved}");
    assert_eq!(pass(&app, &worker, Utc::now()).await, 2);
    let got = receiver.requests();
    assert_eq!(got.len(), 3);
    let mut types: Vec<String> = got[1..]
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_string())
        .collect();
    types.sort();
    assert_eq!(types, ["ticket.solved", "ticket.updated"]);
    for r in &got[1..] {
        verify(r, &secret);
        let b = r.json();
        assert_eq!(b["data"]["ticket"]["id"], id);
        assert_eq!(b["data"]["ticket"]["status"], "solved");
        assert_eq!(b["data"]["ticket"]["version"], solved["version"]);
        if b["type"] == "ticket.updated" {
            let change = &b["data"]["changes"][0];
            assert_eq!(change["kind"], "status_changed", "{b}");
            assert_eq!(change["to"], "solved");
            assert_eq!(change["actor_id"], agent.id);
        }
    }
    // Each event has its own id.
    let ids: std::collections::BTreeSet<&str> =
        got.iter().map(|r| r.header("frontline-event-id")).collect();
    assert_eq!(ids.len(), 3);

    // The admins see each attempt with its answer.
    let list = attempts(&app, hook).await;
    assert_eq!(list.len(), 3);
    for a in &list {
        assert_eq!(a["attempt"], 1);
        assert_eq!(a["status_code"], 200);
        assert_eq!(a["succeeded"], true);
        assert_eq!(a["error"], Value::Null);
        assert_eq!(a["next_retry_at"], Value::Null);
        assert_eq!(a["delivery_status"], "delivered");
        assert_eq!(a["ticket_id"], id);
        assert!(a["duration_ms"].as_i64().unwrap() >= 0);
    }
    assert_eq!(list[2]["event_type"], "ticket.created");
    assert_eq!(list[2]["event_id"], created.header("frontline-event-id"));

    // A rotated secret signs what is sent next; the old one no longer does.
    let r = app
        .send_admin(
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/rotate-secret"),
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let rotated: Value = r.json().await.unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let (status, _) = agent.patch_ticket(id, json!({"status": "open"})).await;
    assert_eq!(status, 200);
    assert_eq!(pass(&app, &worker, Utc::now()).await, 1);
    let reopened = receiver.requests()[3].clone();
    assert_eq!(reopened.json()["type"], "ticket.updated");
    assert_eq!(reopened.json()["data"]["ticket"]["status"], "open");
    verify(&reopened, &new_secret);
    receiver.server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_with_backoff_and_delivered_once_it_recovers() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (hook, secret) = subscribe(&app, &receiver.url, &["ticket.created"]).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let ticket = agent.ticket("Kiosk down").await;
    receiver.fail_next(2);
    let worker = worker(&app);

    let t0 = Utc::now();
    assert_eq!(pass(&app, &worker, t0).await, 1);
    let list = attempts(&app, hook).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["attempt"], 1);
    assert_eq!(list[0]["status_code"], 500);
    assert_eq!(list[0]["succeeded"], false);
    assert_eq!(list[0]["error"], "HTTP 500: receiver down for maintenance");
    assert_eq!(list[0]["delivery_status"], "pending");
    // The first retry: retry_base_seconds (10 in the test settings) ± 25 %.
    let retry: DateTime<Utc> = list[0]["next_retry_at"].as_str().unwrap().parse().unwrap();
    let wait = (retry - t0).num_milliseconds();
    assert!((7_500..=12_500).contains(&wait), "retry after {wait} ms");
    // Not due yet: nothing is sent.
    assert_eq!(pass(&app, &worker, t0 + Duration::seconds(5)).await, 0);
    assert_eq!(receiver.requests().len(), 1);

    // Second attempt fails too; the third is answered 200.
    assert_eq!(pass(&app, &worker, t0 + Duration::hours(1)).await, 1);
    assert_eq!(pass(&app, &worker, t0 + Duration::hours(2)).await, 1);
    assert_eq!(pass(&app, &worker, t0 + Duration::hours(3)).await, 0);
    let got = receiver.requests();
    assert_eq!(got.len(), 3);
    for (i, r) in got.iter().enumerate() {
        verify(r, &secret);
        assert_eq!(r.header("frontline-delivery-attempt"), (i + 1).to_string());
        assert_eq!(r.json()["data"]["ticket"]["id"], ticket["id"]);
    }
    // The same event every time: the receiver dedupes on its id.
    assert_eq!(
        got[0].header("frontline-event-id"),
        got[2].header("frontline-event-id")
    );
    assert_eq!(got[0].json()["id"], got[2].json()["id"]);

    let list = attempts(&app, hook).await;
    let seen: Vec<(i64, Option<i64>, bool)> = list
        .iter()
        .map(|a| {
            (
                a["attempt"].as_i64().unwrap(),
                a["status_code"].as_i64(),
                a["succeeded"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (3, Some(200), true),
            (2, Some(500), false),
            (1, Some(500), false)
        ]
    );
    assert!(list.iter().all(|a| a["delivery_status"] == "delivered"));
    assert_eq!(list[0]["next_retry_at"], Value::Null);
    // The second retry waited twice as long as the first (20 s ± 25 %).
    let second: DateTime<Utc> = list[1]["next_retry_at"].as_str().unwrap().parse().unwrap();
    let wait = (second - (t0 + Duration::hours(1))).num_milliseconds();
    assert!((15_000..=25_000).contains(&wait), "retry after {wait} ms");

    let endpoint = app.get_json(&format!("/api/v1/webhooks/{hook}"), 200).await;
    assert_eq!(endpoint["active"], true);
    assert_eq!(endpoint["consecutive_failures"], 0);
    assert!(endpoint["last_success_at"].is_string());
    assert!(endpoint["last_failure_at"].is_string());
    receiver.server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_the_configured_times_in_a_row_is_disabled_until_re_enabled() {
    let app = spawn_app().await;
    assert_eq!(app.db.settings.webhooks.disable_after_failures, 3);
    assert_eq!(app.db.settings.webhooks.max_attempts, 4);
    let receiver = Receiver::start().await;
    let (hook, secret) = subscribe(&app, &receiver.url, &["ticket.created"]).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let first = agent.ticket("Kiosk down").await;
    receiver.fail_next(usize::MAX);
    let worker = worker(&app);

    let t0 = Utc::now();
    for hours in 0..3 {
        assert_eq!(pass(&app, &worker, t0 + Duration::hours(hours)).await, 1);
    }
    assert_eq!(receiver.requests().len(), 3);
    let endpoint = app.get_json(&format!("/api/v1/webhooks/{hook}"), 200).await;
    assert_eq!(endpoint["active"], false, "{endpoint}");
    assert_eq!(endpoint["consecutive_failures"], 3);
    assert!(endpoint["disabled_at"].is_string());
    assert_eq!(
        endpoint["disabled_reason"],
        "3 failed attempts in a row; the last: HTTP 500: receiver down for maintenance"
    );
    let list = attempts(&app, hook).await;
    assert_eq!(list.len(), 3);
    // The attempt that disabled the endpoint schedules no retry.
    assert_eq!(list[0]["attempt"], 3);
    assert_eq!(list[0]["next_retry_at"], Value::Null);
    assert_eq!(list[0]["delivery_status"], "pending");

    // Nothing more is sent, and a new event is not even queued for it.
    assert_eq!(pass(&app, &worker, t0 + Duration::hours(5)).await, 0);
    agent.ticket("Printer jam").await;
    assert_eq!(deliveries(&app), 1);
    assert_eq!(pass(&app, &worker, t0 + Duration::hours(6)).await, 0);
    assert_eq!(receiver.requests().len(), 3);

    // Re-enabled (the receiver works again): the waiting delivery goes out, and new events are
    // queued again.
    receiver.fail_next(0);
    let r = app
        .send_admin(
            Method::PATCH,
            &format!("/api/v1/webhooks/{hook}"),
            Some(&json!({"active": true})),
        )
        .await;
    let enabled: Value = r.json().await.unwrap();
    assert_eq!(enabled["active"], true, "{enabled}");
    assert_eq!(enabled["consecutive_failures"], 0);
    assert_eq!(enabled["disabled_at"], Value::Null);
    assert_eq!(enabled["disabled_reason"], Value::Null);
    assert_eq!(pass(&app, &worker, Utc::now()).await, 1);
    let got = receiver.requests();
    assert_eq!(got.len(), 4);
    verify(&got[3], &secret);
    assert_eq!(got[3].json()["data"]["ticket"]["id"], first["id"]);
    assert_eq!(got[3].header("frontline-delivery-attempt"), "4");
    let third = agent.ticket("Badge reader").await;
    assert_eq!(deliveries(&app), 2);
    assert_eq!(pass(&app, &worker, Utc::now()).await, 1);
    assert_eq!(
        receiver.requests()[4].json()["data"]["ticket"]["id"],
        third["id"]
    );
    receiver.server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_out_of_attempts_is_given_up() {
    let mut settings = crate::helpers::test_settings();
    settings.webhooks.max_attempts = 2;
    settings.webhooks.disable_after_failures = 10;
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (hook, _) = subscribe(&app, &receiver.url, &["ticket.created"]).await;
    Desk::new(&app, UserRole::Agent).ticket("Kiosk down").await;
    receiver.fail_next(usize::MAX);
    let worker = WebhookWorker::new(&settings.webhooks);
    let t0 = Utc::now();
    assert_eq!(pass(&app, &worker, t0).await, 1);
    assert_eq!(pass(&app, &worker, t0 + Duration::hours(1)).await, 1);
    assert_eq!(pass(&app, &worker, t0 + Duration::hours(2)).await, 0);
    assert_eq!(receiver.requests().len(), 2);
    let list = attempts(&app, hook).await;
    assert_eq!(list[0]["attempt"], 2);
    assert_eq!(list[0]["next_retry_at"], Value::Null);
    assert_eq!(list[0]["delivery_status"], "failed");
    let endpoint = app.get_json(&format!("/api/v1/webhooks/{hook}"), 200).await;
    assert_eq!(endpoint["active"], true);
    assert_eq!(endpoint["consecutive_failures"], 2);
    receiver.server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_or_refused_write_sends_nothing() {
    use frontline::domain::ids::CustomerId;
    use frontline::domain::ticket::{AuthorKind, TicketPriority};
    use frontline::tickets::create::{NewTicket, Requester, create_tx};
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    subscribe(
        &app,
        &receiver.url,
        &["ticket.created", "ticket.updated", "work_order.changed"],
    )
    .await;
    let agent = Desk::new(&app, UserRole::Agent);
    let ticket = agent.ticket("Kiosk down").await;
    let worker = worker(&app);
    assert_eq!(pass(&app, &worker, Utc::now()).await, 1);

    // A creation queued in its transaction, which then rolls back: nothing stays queued.
    let mut conn = app.db.conn();
    let requester = ticket["requester_id"].as_i64().unwrap();
    let outcome = conn.transaction::<(), frontline::error::ApiError, _>(|conn| {
        let created = create_tx(
            conn,
            &frontline::tickets::RulesCache::new(),
            &NewTicket {
                requester: Requester::Existing(CustomerId::new(requester)),
                fields: frontline::models::ticket::TicketFields {
                    subject: "Never committed".into(),
                    description: String::new(),
                    channel: None,
                    category: None,
                    tags: Vec::new(),
                    requester_id: None,
                    organization_id: None,
                    site_id: None,
                    team_id: None,
                    asset_id: None,
                    custom_fields: Default::default(),
                },
                description_author: AuthorKind::Agent,
                priority: TicketPriority::Normal,
                assignee: None,
                status: None,
            },
            None,
            Utc::now(),
        )?;
        assert!(created.id > 0);
        // Queued in the same transaction...
        assert_eq!(crate::helpers::count(conn, "webhook_deliveries"), 2);
        Err(frontline::error::ApiError::invalid_field(
            "test",
            "roll back",
        ))
    });
    assert!(outcome.is_err());
    // ... and gone with it.
    assert_eq!(deliveries(&app), 1);

    // A write the API refuses (no such team) is rolled back: no event.
    let id = ticket["id"].as_i64().unwrap();
    let (status, problem) = agent
        .patch_ticket(id, json!({"team_id": 999_999, "priority": "urgent"}))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"]["team_id"].is_array(), "{problem}");
    assert_eq!(deliveries(&app), 1);
    assert_eq!(pass(&app, &worker, Utc::now()).await, 0);
    assert_eq!(receiver.requests().len(), 1);
    receiver.server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_order_changes_and_sla_breaches_are_delivered() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, secret) = subscribe(&app, &receiver.url, &["work_order.changed", "sla.breached"]).await;
    let r = app
        .send_admin(
            Method::POST,
            "/api/v1/sla-policies",
            Some(&json!({"name": "Phone", "position": 1,
                "warning_seconds": 1800, "targets": {"normal": {"first_reply": {"seconds": 3600, "business": false}}}})),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let agent = Desk::new(&app, UserRole::Agent);
    let (_, org) = agent
        .send(
            Method::POST,
            "/api/v1/organizations",
            Some(json!({"name": "Dallas County Jail"})),
        )
        .await;
    let (status, site) = agent
        .send(
            Method::POST,
            "/api/v1/sites",
            Some(json!({"organization_id": org["id"], "name": "North Tower",
                        "time_zone": "America/Chicago", "address": "111 W Commerce St"})),
        )
        .await;
    assert_eq!(status, 201, "{site}");
    let (_, customer) = agent
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Sgt. Rosa Diaz", "organization_id": org["id"]})),
        )
        .await;
    let (status, ticket) = agent
        .send(
            Method::POST,
            "/api/v1/tickets",
            Some(
                json!({"requester_id": customer["id"], "subject": "Handset dead",
                        "channel": "phone", "site_id": site["id"], "assignee_id": agent.id}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_i64().unwrap();
    // Not subscribed to ticket.created: nothing queued.
    assert_eq!(deliveries(&app), 0);
    let (status, wo) = agent
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{id}/work-orders"),
            Some(json!({"summary": "Replace the handset"})),
        )
        .await;
    assert_eq!(status, 201, "{wo}");
    let worker = worker(&app);
    assert_eq!(pass(&app, &worker, Utc::now()).await, 1);
    let got = receiver.requests();
    verify(&got[0], &secret);
    let body = got[0].json();
    assert_eq!(body["type"], "work_order.changed");
    assert_eq!(body["data"]["work_order"]["id"], wo["id"]);
    assert_eq!(body["data"]["work_order"]["from"], Value::Null);
    assert_eq!(body["data"]["work_order"]["to"], "scheduled");
    assert_eq!(body["data"]["ticket"]["id"], id);
    assert_eq!(body["data"]["ticket"]["number"], ticket["number"]);

    // The SLA worker records the first-reply breach at the due instant, and queues it.
    let created: DateTime<Utc> = ticket["created_at"].as_str().unwrap().parse().unwrap();
    let late = created + Duration::hours(2);
    let recorded =
        frontline::tickets::sla_events::record_due(&mut app.db.conn(), late, 100).unwrap();
    assert_eq!(recorded.breaches.len(), 1);
    assert_eq!(pass(&app, &worker, late).await, 1);
    let got = receiver.requests();
    assert_eq!(got.len(), 2);
    verify(&got[1], &secret);
    let body = got[1].json();
    assert_eq!(body["type"], "sla.breached");
    assert_eq!(body["data"]["sla"]["target"], "first_reply");
    let due: DateTime<Utc> = body["data"]["sla"]["due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due.timestamp(), (created + Duration::hours(1)).timestamp());
    assert_eq!(body["occurred_at"], body["data"]["sla"]["due_at"]);
    assert_eq!(body["data"]["ticket"]["id"], id);
    receiver.server.stop(false).await;
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_bad_input_names_the_field() {
    let app = spawn_app().await;
    let body = json!({"url": "https://hooks.example.com/in", "events": ["ticket.created"]});
    for role in [UserRole::Manager, UserRole::Agent, UserRole::Technician] {
        let desk = Desk::new(&app, role);
        let (status, problem) = desk.send(Method::GET, "/api/v1/webhooks", None).await;
        assert_eq!(status, 403, "{role:?} {problem}");
        let (status, _) = desk
            .send(Method::POST, "/api/v1/webhooks", Some(body.clone()))
            .await;
        assert_eq!(status, 403, "{role:?}");
    }
    assert_eq!(
        crate::helpers::count(&mut app.db.conn(), "webhook_endpoints"),
        0
    );

    let refused = |body: Value| {
        let app = &app;
        async move {
            let r = app
                .send_admin(Method::POST, "/api/v1/webhooks", Some(&body))
                .await;
            let status = r.status().as_u16();
            let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
            let problem: Value = r.json().await.unwrap();
            assert_eq!(status, 422, "{problem}");
            assert_eq!(content_type, "application/problem+json");
            problem
        }
    };
    for url in [
        "ftp://hooks.example.com/in",
        "not a url",
        "https://user:pw@hooks.example.com/in",
        "https://hooks.example.com/in#frag",
    ] {
        let p = refused(json!({"url": url, "events": ["ticket.created"]})).await;
        assert!(p["errors"]["url"].is_array(), "{url}: {p}");
    }
    let p =
        refused(json!({"url": "https://hooks.example.com/in", "events": ["ticket.deleted"]})).await;
    let message = p["errors"]["events"][0].as_str().unwrap();
    assert!(message.contains("`ticket.deleted`"), "{message}");
    assert!(
        message.contains(
            "ticket.created, ticket.updated, ticket.solved, sla.breached, work_order.changed"
        ),
        "{message}"
    );
    let p = refused(json!({"url": "https://hooks.example.com/in", "events": []})).await;
    assert!(p["errors"]["events"].is_array(), "{p}");
    let p = refused(
        json!({"url": "https://hooks.example.com/in", "events": ["ticket.created"],
                           "description": "x".repeat(501)}),
    )
    .await;
    assert!(p["errors"]["description"].is_array(), "{p}");
    let p = refused(json!({"events": ["ticket.created"]})).await;
    assert!(p["errors"]["url"].is_array(), "{p}");

    // PATCH validates the same way; DELETE removes.
    let (id, _) = subscribe(&app, "https://hooks.example.com/in", &["ticket.created"]).await;
    let r = app
        .send_admin(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&json!({"events": ["ticket.created", "nope"]})),
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let p: Value = r.json().await.unwrap();
    assert!(p["errors"]["events"].is_array(), "{p}");
    let r = app
        .send_admin(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&json!({"events": ["ticket.solved", "ticket.solved"], "url": "http://10.0.0.5:8080/x"})),
        )
        .await;
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["events"], json!(["ticket.solved"]), "{changed}");
    assert_eq!(changed["url"], "http://10.0.0.5:8080/x");
    let r = app
        .send_admin(Method::DELETE, &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(r.status().as_u16(), 204);
    let r = app
        .send_admin(Method::GET, &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_backs_off_as_a_whole_and_keeps_the_order_of_its_events() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (hook, secret) = subscribe(&app, &receiver.url, &["ticket.created"]).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let mut ids = Vec::new();
    for subject in ["First", "Second", "Third"] {
        ids.push(agent.ticket(subject).await["id"].clone());
    }
    receiver.fail_next(1);
    let worker = worker(&app);
    let t0 = Utc::now();
    // The first fails: the other two are not tried, and wait for its retry.
    assert_eq!(pass(&app, &worker, t0).await, 3);
    assert_eq!(receiver.requests().len(), 1);
    let endpoint = app.get_json(&format!("/api/v1/webhooks/{hook}"), 200).await;
    assert_eq!(endpoint["consecutive_failures"], 1);
    let list = attempts(&app, hook).await;
    assert_eq!(list.len(), 1);
    let retry: DateTime<Utc> = list[0]["next_retry_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(pass(&app, &worker, retry - Duration::seconds(1)).await, 0);
    // At the retry all three go, in the order they were queued; the waiting two count no attempt.
    assert_eq!(pass(&app, &worker, retry).await, 3);
    let got = receiver.requests();
    assert_eq!(got.len(), 4);
    let sent: Vec<(Value, String)> = got[1..]
        .iter()
        .map(|r| {
            verify(r, &secret);
            (
                r.json()["data"]["ticket"]["id"].clone(),
                r.header("frontline-delivery-attempt").to_string(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            (ids[0].clone(), "2".to_string()),
            (ids[1].clone(), "1".to_string()),
            (ids[2].clone(), "1".to_string())
        ]
    );
    let endpoint = app.get_json(&format!("/api/v1/webhooks/{hook}"), 200).await;
    assert_eq!(endpoint["consecutive_failures"], 0);
    receiver.server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_at_once_send_each_delivery_once() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (first, _) = subscribe(&app, &receiver.url, &["ticket.created"]).await;
    let (second, _) = subscribe(&app, &receiver.url, &["ticket.created"]).await;
    let agent = Desk::new(&app, UserRole::Agent);
    for i in 0..6 {
        agent.ticket(&format!("Ticket {i}")).await;
    }
    // Each event for each endpoint.
    assert_eq!(deliveries(&app), 12);
    let (a, b) = (worker(&app), worker(&app));
    let now = Utc::now();
    let (x, y) = tokio::join!(pass(&app, &a, now), pass(&app, &b, now));
    assert_eq!(x + y, 12);
    assert_eq!(pass(&app, &a, now).await, 0);
    let got = receiver.requests();
    assert_eq!(got.len(), 12);
    let mut seen: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            (
                r.header("frontline-event-id").to_string(),
                r.header("frontline-delivery-id").to_string(),
            )
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 12, "a delivery went twice");
    // One event id per ticket, shared by the two endpoints.
    let events: std::collections::BTreeSet<&str> =
        got.iter().map(|r| r.header("frontline-event-id")).collect();
    assert_eq!(events.len(), 6);
    for hook in [first, second] {
        let list = attempts(&app, hook).await;
        assert_eq!(list.len(), 6);
        assert!(
            list.iter()
                .all(|a| a["status_code"] == 200 && a["attempt"] == 1)
        );
    }
    receiver.server.stop(false).await;
}
