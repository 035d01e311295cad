//! How many statements each ticket request sends to PostgreSQL (the pool's statement counter:
//! every statement, `BEGIN` and `COMMIT` included; the pool does not ping a connection at
//! check-out), counted by hand from what each request must do. A new query on a hot path fails
//! here first. And a pool whose connections the server dropped recovers.

use crate::helpers::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

/// Sends a request as the admin and returns (status, body, statements it cost).
async fn counted(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, u64) {
    let before = app.db.stats.statement_count();
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, body, app.db.stats.statement_count() - before)
}

async fn requester(app: &TestApp) -> i64 {
    let (status, c, _) = counted(
        app,
        Method::POST,
        "/api/v1/customers",
        Some(json!({"name": "Dana Caller", "email": "dana@example.com"})),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    c["id"].as_i64().unwrap()
}

fn new_ticket(requester: i64) -> Value {
    json!({"requester_id": requester, "subject": "Unit B phone dead", "channel": "phone",
           "description": "No dial tone on the second handset.", "priority": "high"})
}

/// Statements of create, PATCH, comment, GET one and GET a page, in that order.
async fn write_path(app: &TestApp) -> [u64; 5] {
    app.await_access_listener().await;
    let requester = requester(app).await;
    // Warms the role cache and the rules cache (policies and calendars are read once).
    let (status, _, _) = counted(
        app,
        Method::POST,
        "/api/v1/tickets",
        Some(new_ticket(requester)),
    )
    .await;
    assert_eq!(status, 201);

    let (status, ticket, create) = counted(
        app,
        Method::POST,
        "/api/v1/tickets",
        Some(new_ticket(requester)),
    )
    .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_i64().unwrap();
    let version = ticket["version"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}");

    let before = app.db.stats.statement_count();
    let r = app
        .client
        .patch(format!("{}{path}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"priority": "urgent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let patch = app.db.stats.statement_count() - before;

    let (status, c, comment) = counted(
        app,
        Method::POST,
        &format!("{path}/comments"),
        Some(json!({"body": "A technician is booked for tomorrow morning."})),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(
        c["comment"]["body"],
        "A technician is booked for tomorrow morning."
    );

    let (status, detail, get) = counted(app, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(detail["ticket"]["priority"], "urgent");
    let (status, page, list) = counted(app, Method::GET, "/api/v1/tickets?per_page=50", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["tickets"].as_array().unwrap().len(), 2);
    [create, patch, comment, get, list]
}

#[tokio::test]
async fn ticket_requests_send_the_fewest_statements_their_work_needs() {
    let app = spawn_app().await;
    // create: BEGIN, write lock + rules version, requester, ticket, events (with the
    //         requester's notification), comment, metrics, the outbox row, COMMIT
    // PATCH:  BEGIN, write lock, ticket FOR UPDATE, log, events, ticket, clocks delete, metrics,
    //         COMMIT (a priority change tells the requester nothing)
    // comment: the PATCH's nine, the comment row, the requester with the agent's name (one
    //         statement), the outbox row
    // GET one: ticket + metrics + rules version, events
    // GET a page: the page
    assert_eq!(write_path(&app).await, [9, 9, 12, 2, 1]);
}

#[tokio::test]
async fn with_an_sla_policy_a_write_adds_only_its_clock_rows() {
    let app = spawn_app().await;
    let (status, policy, _) = counted(
        &app,
        Method::POST,
        "/api/v1/sla-policies",
        Some(json!({"name": "Phones", "position": 1,
                    "targets": {"high": {"first_reply": {"seconds": 3600, "business": false}},
                                "urgent": {"first_reply": {"seconds": 1800, "business": false}}}})),
    )
    .await;
    assert_eq!(status, 201, "{policy}");
    // Each write stores its ticket's clock rows (one insert); reads compute the live clocks from
    // the cached policy.
    assert_eq!(write_path(&app).await, [10, 10, 13, 2, 1]);
}

#[tokio::test]
async fn when_the_database_drops_every_connection_each_stale_one_fails_once_then_requests_succeed()
{
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    // Fill the pool (4 connections in the test environment) with open connections.
    let warm: Vec<_> = (0..8)
        .map(|_| counted(&app, Method::GET, "/api/v1/tickets?per_page=5", None))
        .collect();
    for (status, _, _) in futures_util::future::join_all(warm).await {
        assert_eq!(status, 200);
    }
    // The server drops every session of this database (as a restart would).
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut app.db.conn())
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let (status, _, _) = counted(&app, Method::GET, "/api/v1/tickets?per_page=5", None).await;
        statuses.push(status);
    }
    // A stale connection answers one 503 (never a 500) and is replaced; at most the pool's four.
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 503).count() <= 4,
        "{statuses:?}"
    );
    assert!(statuses[4..].iter().all(|s| *s == 200), "{statuses:?}");
}

#[tokio::test]
async fn work_order_requests_send_the_fewest_statements_their_work_needs() {
    let app = spawn_app().await;
    app.await_access_listener().await;
    let requester = requester(&app).await;
    let (_, org, _) = counted(
        &app,
        Method::POST,
        "/api/v1/organizations",
        Some(json!({"name": "County"})),
    )
    .await;
    let (_, site, _) = counted(
        &app,
        Method::POST,
        "/api/v1/sites",
        Some(
            json!({"organization_id": org["id"], "name": "North", "time_zone": "America/Chicago"}),
        ),
    )
    .await;
    let (technician, _) = app.create_staff(frontline::models::enums::UserRole::Technician);
    let tech_token = crate::helpers::jwt_keys(&app.db.settings)
        .issue(
            technician,
            frontline::models::enums::UserRole::Technician,
            chrono::Utc::now(),
        )
        .unwrap();
    let mut counts = Vec::new();
    for round in 0..2 {
        let mut ticket = new_ticket(requester);
        ticket["site_id"] = site["id"].clone();
        let (status, ticket, _) =
            counted(&app, Method::POST, "/api/v1/tickets", Some(ticket)).await;
        assert_eq!(status, 201, "{ticket}");
        let (status, wo, create) = counted(
            &app,
            Method::POST,
            &format!("/api/v1/tickets/{}/work-orders", ticket["id"]),
            Some(json!({"summary": "Handset dead"})),
        )
        .await;
        assert_eq!(status, 201, "{wo}");
        let path = format!("/api/v1/work-orders/{}/transitions", wo["id"]);
        let (status, d, dispatch) = counted(
            &app,
            Method::POST,
            &path,
            Some(json!({"to": "dispatched", "technician_id": technician,
                        "arrival_window": {"start": format!("2027-03-0{}T14:00:00Z", round + 2),
                                           "end": format!("2027-03-0{}T16:00:00Z", round + 2)}})),
        )
        .await;
        assert_eq!(status, 200, "{d}");
        let (status, e, en_route) =
            counted(&app, Method::POST, &path, Some(json!({"to": "en_route"}))).await;
        assert_eq!(status, 200, "{e}");
        let before = app.db.stats.statement_count();
        let r = app
            .client
            .get(format!(
                "{}/api/v1/me/work-orders?day=2027-03-02",
                app.address
            ))
            .bearer_auth(&tech_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let day = app.db.stats.statement_count() - before;
        let (status, c, complete) =
            counted(&app, Method::POST, &path, Some(json!({"to": "on_site"}))).await;
        assert_eq!(status, 200, "{c}");
        let (status, c, _) = counted(
            &app,
            Method::POST,
            &path,
            Some(json!({"to": "completed", "resolution_code": "swap", "problem_fixed": true})),
        )
        .await;
        assert_eq!(status, 200, "{c}");
        counts.push([create, dispatch, en_route, complete, day]);
    }
    // The second round, with the caches warm:
    // create:   BEGIN, write lock, ticket FOR UPDATE, site, work order, log, the ticket's work
    //           orders, events, ticket, clocks delete, metrics, work-order inputs and upsert,
    //           the response's view, COMMIT
    // dispatch: BEGIN, write lock, work order and ticket FOR UPDATE, technician, schedule lock,
    //           overlapping windows, time off, work order, log, event, work-order inputs and
    //           upsert, view, COMMIT (the ticket's row, metrics and clocks are untouched)
    //           + the requester, the visit (site, zone, technician), the outbox row: the
    //           customer is told of the visit
    // en route: as dispatch without the four scheduling statements (the customer is told the
    //           technician is on the way); on site: the same without the three of the notice
    // the technician's day: one query
    assert_eq!(counts[1], [15, 18, 14, 11, 1]);
}
