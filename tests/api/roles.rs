//! Every endpoint × every role: the status each gets, and that forbidden reads leak nothing.

use crate::helpers::{TestApp, spawn_app};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use frontline::schema::tickets;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

static N: AtomicU32 = AtomicU32::new(0);

fn unique() -> u32 {
    N.fetch_add(1, Ordering::SeqCst)
}

struct Fixture {
    org: i64,
    site: i64,
    customer: i64,
    team: i64,
    user: i64,
    ticket: i64,
    number: i64,
    course: i64,
    trainees: Vec<i64>,
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app
        .client
        .post(format!("{}{}", app.address, path))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "fixture {path}");
    r.json().await.unwrap()
}

async fn fixture(app: &TestApp) -> Fixture {
    let org = post(app, "/api/v1/organizations", json!({"name": "County"})).await["id"]
        .as_i64()
        .unwrap();
    let site = post(
        app,
        "/api/v1/sites",
        json!({"organization_id": org, "name": "North"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let customer = post(
        app,
        "/api/v1/customers",
        json!({"name": "Rosa", "email": "rosa@example.com"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let team = post(
        app,
        "/api/v1/teams",
        json!({"name": "Desk", "kind": "contact_center", "sourcing": "in_house"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let user = post(
        app,
        "/api/v1/users",
        json!({"name": "Ann", "email": "ann@staff.test", "role": "agent"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let ticket = post(
        app,
        "/api/v1/tickets",
        json!({"requester_id": customer, "subject": "Kiosk down", "channel": "phone"}),
    )
    .await;
    let (ticket, number) = (
        ticket["id"].as_i64().unwrap(),
        ticket["number"].as_i64().unwrap(),
    );
    let course = post(
        app,
        "/api/v1/training/courses",
        json!({"name": "De-escalation"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let trainees = (0..5)
        .map(|_| app.create_staff(UserRole::Agent).0)
        .collect();
    Fixture {
        org,
        site,
        customer,
        team,
        user,
        ticket,
        number,
        course,
        trainees,
    }
}

/// Whether the OpenAPI document lists `status` among the responses of `method path` (a concrete
/// path, matched against the document's templates). The document itself is not an operation.
fn documented(doc: &Value, method: &Method, path: &str, status: u16) -> bool {
    if path == "/api/v1/openapi.json" {
        return true;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let template = doc["paths"].as_object().unwrap().keys().find(|t| {
        let parts: Vec<&str> = t.split('/').collect();
        parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(p, s)| p == s || p.starts_with('{'))
    });
    let Some(template) = template else {
        return false;
    };
    let op = &doc["paths"][template][method.as_str().to_lowercase()];
    op["responses"].get(status.to_string()).is_some()
}

/// A request whose body is made fresh for each call (unique names and emails).
type BodyFn = Box<dyn Fn() -> Option<Value>>;

#[tokio::test]
async fn each_role_gets_the_documented_status_on_every_endpoint() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let tokens: Vec<(&str, Option<String>)> = vec![
        ("admin", Some(app.token_for(UserRole::Admin))),
        ("manager", Some(app.token_for(UserRole::Manager))),
        ("agent", Some(app.token_for(UserRole::Agent))),
        ("technician", Some(app.token_for(UserRole::Technician))),
        ("anonymous", None),
    ];
    let t = f.ticket;
    let none = || -> BodyFn { Box::new(|| None) };
    // (method, path, body, [admin, manager, agent, technician, anonymous])
    let matrix: Vec<(Method, String, BodyFn, [u16; 5])> = vec![
        (
            Method::GET,
            "/api/v1/me".into(),
            none(),
            [200, 200, 200, 200, 401],
        ),
        // Every role may change its own password (here with a wrong current one: 422).
        (
            Method::POST,
            "/api/v1/me/password".into(),
            Box::new(|| {
                Some(json!({"current_password": "wrong", "new_password": "a long new passphrase"}))
            }),
            [422, 422, 422, 422, 401],
        ),
        (
            Method::GET,
            "/api/v1/tickets".into(),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            Box::new(move || {
                Some(json!({"requester_id": f.customer, "subject": "Call", "channel": "phone"}))
            }),
            [201, 403, 201, 403, 401],
        ),
        // Existence of a ticket without the technician's work order is private: 404, not 403.
        (
            Method::GET,
            format!("/api/v1/tickets/{t}"),
            none(),
            [200, 200, 200, 404, 401],
        ),
        (
            Method::POST,
            "/api/v1/ticket-views".into(),
            Box::new(|| {
                Some(json!({"name": format!("View {}", unique()), "query": "status=open"}))
            }),
            [201, 201, 201, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/ticket-views".into(),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::DELETE,
            "/api/v1/ticket-views/999999".into(),
            none(),
            [404, 404, 404, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/by-number/{}", f.number),
            none(),
            [200, 200, 200, 404, 401],
        ),
        (
            Method::PATCH,
            format!("/api/v1/tickets/{t}"),
            Box::new(|| {
                Some(json!({"priority": if unique().is_multiple_of(2) { "high" } else { "low" }}))
            }),
            [200, 200, 200, 403, 401],
        ),
        // A manager (supervisor) changes assignee, team and priority only.
        (
            Method::PATCH,
            format!("/api/v1/tickets/{t}"),
            Box::new(|| Some(json!({"subject": format!("Kiosk down {}", unique())}))),
            [200, 403, 200, 403, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/comments"),
            Box::new(|| Some(json!({"body": "note", "public": false}))),
            [201, 201, 201, 404, 401],
        ),
        // The category catalogue and custom fields: every staff role reads, admins change.
        (
            Method::GET,
            "/api/v1/ticket-categories".into(),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::POST,
            "/api/v1/ticket-categories".into(),
            Box::new(|| Some(json!({"name": format!("Category {}", unique())}))),
            [201, 403, 403, 403, 401],
        ),
        (
            Method::PATCH,
            "/api/v1/ticket-categories/999999".into(),
            Box::new(|| Some(json!({"name": "Renamed"}))),
            [404, 403, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/ticket-fields".into(),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::POST,
            "/api/v1/ticket-fields".into(),
            Box::new(|| {
                Some(
                    json!({"key": format!("field_{}", unique()), "label": "A field", "type": "text"}),
                )
            }),
            [201, 403, 403, 403, 401],
        ),
        (
            Method::PATCH,
            "/api/v1/ticket-fields/999999".into(),
            Box::new(|| Some(json!({"label": "Renamed"}))),
            [404, 403, 403, 403, 401],
        ),
        // Macros: admins and agents (a manager with the agent role too).
        (
            Method::POST,
            "/api/v1/macros".into(),
            Box::new(|| {
                Some(
                    json!({"name": format!("Macro {}", unique()), "reply": "Hi {{requester.name}}"}),
                )
            }),
            [201, 403, 201, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/macros".into(),
            none(),
            [200, 403, 200, 403, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/macros/999999/apply"),
            none(),
            [404, 403, 404, 403, 401],
        ),
        // Merge, incidents and bulk (issue 15, item 7): admins, agents and managers; a manager
        // changes only assignees in bulk.
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/merge"),
            Box::new(|| Some(json!({"ticket_ids": [999_999]}))),
            [404, 404, 404, 403, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/incidents"),
            Box::new(|| Some(json!({"ticket_ids": [999_999]}))),
            [404, 404, 404, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{t}/incidents"),
            none(),
            [200, 200, 200, 404, 401],
        ),
        (
            Method::POST,
            "/api/v1/tickets/bulk".into(),
            Box::new(move || Some(json!({"ticket_ids": [t], "add_tags": ["bulk"]}))),
            [200, 403, 200, 403, 401],
        ),
        // Redaction: admins only (no such comment here: 404).
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/comments/999999/redactions"),
            Box::new(|| Some(json!({"text": "4111"}))),
            [404, 403, 403, 403, 401],
        ),
        // Attachments: whoever may read the ticket downloads (no such attachment here: 404);
        // admins redact.
        (
            Method::GET,
            format!("/api/v1/tickets/{t}/attachments/999999"),
            none(),
            [404, 404, 404, 404, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/attachments/999999/redaction"),
            none(),
            [404, 403, 403, 403, 401],
        ),
        // Public replies need the agent role: not a manager's (without `also_agent`).
        (
            Method::POST,
            format!("/api/v1/tickets/{t}/comments"),
            Box::new(|| Some(json!({"body": "reply", "public": true}))),
            [201, 403, 201, 404, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{t}/comments"),
            none(),
            [200, 200, 200, 404, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{t}/events"),
            none(),
            [200, 200, 200, 404, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{t}/surveys"),
            none(),
            [200, 200, 200, 404, 401],
        ),
        (
            Method::GET,
            "/api/v1/metrics/summary".into(),
            none(),
            [200, 200, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/reports/evidence".into(),
            Box::new(|| {
                Some(
                    json!({"scope": "company", "from": "2026-01-01", "to": "2026-02-01",
                    "comparison": "previous", "category": "customer_service_team",
                    "word_limit": 300}),
                )
            }),
            [201, 201, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/reports".into(),
            none(),
            [200, 200, 403, 403, 401],
        ),
        // No such report: admins and managers get the 404, the others never learn that much.
        (
            Method::GET,
            "/api/v1/reports/999999".into(),
            none(),
            [404, 404, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/outbox/dead-letters".into(),
            none(),
            [200, 403, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/webhooks".into(),
            none(),
            [200, 403, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/webhooks".into(),
            Box::new(|| {
                Some(json!({"url": "https://hooks.example.com/frontline",
                            "events": ["ticket.created"]}))
            }),
            [201, 403, 403, 403, 401],
        ),
        // No such endpoint: an admin gets the 404.
        (
            Method::GET,
            "/api/v1/webhooks/999999/deliveries".into(),
            none(),
            [404, 403, 403, 403, 401],
        ),
        // No dead letter in the fixture: an admin gets the 404 of the message.
        (
            Method::POST,
            "/api/v1/outbox/999999/requeue".into(),
            none(),
            [404, 403, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/organizations".into(),
            Box::new(|| Some(json!({"name": format!("Org {}", unique())}))),
            [201, 403, 201, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/organizations".into(),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/organizations/{}", f.org),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::PATCH,
            format!("/api/v1/organizations/{}", f.org),
            Box::new(|| Some(json!({"name": "County"}))),
            [200, 403, 200, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/sites".into(),
            Box::new(move || {
                Some(json!({"organization_id": f.org, "name": format!("Site {}", unique())}))
            }),
            [201, 403, 201, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/sites".into(),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/sites/{}", f.site),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::POST,
            "/api/v1/customers".into(),
            Box::new(|| Some(json!({"name": "C", "email": format!("c{}@example.com", unique())}))),
            [201, 403, 201, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/customers/find-or-create".into(),
            Box::new(|| Some(json!({"email": "rosa@example.com"}))),
            [200, 403, 200, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/customers".into(),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/customers/{}", f.customer),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::PATCH,
            format!("/api/v1/customers/{}", f.customer),
            Box::new(|| Some(json!({"phone": "214-555-0100"}))),
            [200, 403, 200, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/teams".into(),
            Box::new(|| {
                Some(
                    json!({"name": format!("Team {}", unique()), "kind": "field_service", "sourcing": "outsourced", "vendor_name": "FixCo"}),
                )
            }),
            [201, 201, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/teams".into(),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/teams/{}", f.team),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{}", f.team),
            Box::new(|| Some(json!({"kind": "contact_center"}))),
            [200, 200, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            Box::new(|| {
                Some(
                    json!({"name": "T", "email": format!("t{}@staff.test", unique()), "role": "technician", "employment_type": "contractor"}),
                )
            }),
            [201, 403, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/users".into(),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/assets".into(),
            Box::new(move || {
                Some(
                    json!({"site_id": f.site, "kind": "inmate_phone", "asset_tag": format!("PH-{}", unique())}),
                )
            }),
            [201, 403, 201, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/assets".into(),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/sites/{}/assets", f.site),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/users/{}/time-off", f.user),
            Box::new(|| {
                Some(
                    json!({"starts_at": "2026-03-02T08:00:00Z", "ends_at": "2026-03-03T08:00:00Z"}),
                )
            }),
            [201, 201, 403, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}/time-off", f.user),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}", f.user),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", f.user),
            Box::new(|| Some(json!({"employment_type": "contractor"}))),
            [200, 403, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/training/courses".into(),
            Box::new(|| Some(json!({"name": format!("Course {}", unique())}))),
            [201, 201, 403, 403, 401],
        ),
        (
            Method::GET,
            "/api/v1/training/courses".into(),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/training/courses/{}", f.course),
            none(),
            [200, 200, 200, 200, 401],
        ),
        (
            Method::PATCH,
            format!("/api/v1/training/courses/{}", f.course),
            Box::new(|| Some(json!({"active": true}))),
            [200, 200, 403, 403, 401],
        ),
        (
            Method::POST,
            format!("/api/v1/training/courses/{}/completions", f.course),
            {
                // A staff member not yet trained for each call that gets through.
                let trainees = f.trainees.clone();
                let next = std::sync::atomic::AtomicUsize::new(0);
                Box::new(move || {
                    let i = next.fetch_add(1, Ordering::SeqCst) % trainees.len();
                    Some(json!({"user_id": trainees[i], "completed_on": "2026-03-11"}))
                })
            },
            [201, 201, 403, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/training/courses/{}/completions", f.course),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::DELETE,
            format!(
                "/api/v1/training/courses/{}/completions/{}",
                f.course, f.user
            ),
            none(),
            [404, 404, 403, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}/training", f.user),
            none(),
            [200, 200, 200, 403, 401],
        ),
        (
            Method::GET,
            format!("/api/v1/training/courses/{}/effect", f.course),
            none(),
            [200, 200, 403, 403, 401],
        ),
        // The inbound-mail service authenticates with the shared secret, never a staff token.
        (
            Method::POST,
            "/api/v1/inbound/email".into(),
            none(),
            [401, 401, 401, 401, 401],
        ),
        (
            Method::GET,
            "/healthz".into(),
            none(),
            [200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/openapi.json".into(),
            none(),
            [200, 200, 200, 200, 200],
        ),
    ];
    let doc = app.get_json("/api/v1/openapi.json", 200).await;
    let mut undocumented = Vec::new();
    for (method, path, body, expected) in &matrix {
        for ((role, token), status) in tokens.iter().zip(expected) {
            let mut request = app
                .client
                .request(method.clone(), format!("{}{}", app.address, path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if *method == Method::PATCH && path.starts_with("/api/v1/tickets/") {
                let version: i32 = tickets::table
                    .find(f.ticket)
                    .select(tickets::version)
                    .first(&mut app.db.conn())
                    .unwrap();
                request = request.header("if-match", format!("\"{version}\""));
            }
            if let Some(body) = body() {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let actual = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(actual, *status, "{role} {method} {path}: {text}");
            if !documented(&doc, method, path, actual) {
                undocumented.push(format!("{role} {method} {path}: {actual}"));
            }
            if actual == 404 || actual == 403 || actual == 401 {
                assert!(
                    !text.contains("Kiosk down"),
                    "{role} {method} {path} leaked the ticket"
                );
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "statuses missing from the OpenAPI document: {undocumented:#?}"
    );
}
