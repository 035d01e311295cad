//! The agent's two everyday tasks (issue 15), done as a new agent would, counting the calls: a
//! facility's phone call that needs a technician (goal ≤ 4 calls) and a billing email answered
//! and solved (goal ≤ 3). Each call's effect is checked, so a shortcut that drops a step fails.

use crate::helpers::{TestApp, jwt_keys, spawn_app};
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};
use std::cell::Cell;

/// A staff member's API client that counts its calls.
struct Counted<'a> {
    app: &'a TestApp,
    token: String,
    id: i64,
    calls: Cell<u32>,
}

impl<'a> Counted<'a> {
    fn new(app: &'a TestApp, role: UserRole) -> Counted<'a> {
        let (id, _) = app.create_staff(role);
        let token = jwt_keys(&app.db.settings)
            .issue(id, role, chrono::Utc::now())
            .unwrap();
        Counted {
            app,
            token,
            id,
            calls: Cell::new(0),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.calls.set(self.calls.get() + 1);
        let mut request = self
            .app
            .client
            .request(method, format!("{}{}", self.app.address, path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// A read that is not one of the task's calls (the test's own checks).
    async fn check(&self, path: &str) -> Value {
        let (status, body) = self.send(Method::GET, path, None).await;
        self.calls.set(self.calls.get() - 1);
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

#[tokio::test]
async fn a_phone_call_with_a_field_visit_takes_three_calls_and_a_billing_email_two() {
    let app = spawn_app().await;
    app.add_categories(&["billing"]);
    let admin = Counted::new(&app, UserRole::Admin);
    let technician = Counted::new(&app, UserRole::Technician);
    // The company's set-up, not the agent's task: a facility, its site, a caller known before.
    let (_, org) = admin
        .send(
            Method::POST,
            "/api/v1/organizations",
            Some(json!({"name": "Dallas County Jail"})),
        )
        .await;
    let (status, site) = admin
        .send(
            Method::POST,
            "/api/v1/sites",
            Some(json!({"organization_id": org["id"], "name": "North Tower",
                        "time_zone": "America/Chicago", "address": "111 W Commerce St"})),
        )
        .await;
    assert_eq!(status, 201, "{site}");
    let (status, known) = admin
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(
                json!({"name": "Sgt. Rosa Diaz", "email": "rdiaz@county.test",
                        "organization_id": org["id"]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{known}");

    // 1. The phone call: the sergeant rings about a dead handset in Unit B.
    let agent = Counted::new(&app, UserRole::Agent);
    let (status, ticket) = agent
        .send(
            Method::POST,
            "/api/v1/tickets",
            Some(json!({
                "requester": {"name": "Rosa Diaz", "email": "RDIAZ@county.test"},
                "subject": "Unit B handset dead", "channel": "phone", "priority": "high",
                "description": "Handset in Unit B gives no dial tone since the storm.",
                "site_id": site["id"], "assignee_id": agent.id
            })),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    // The caller was found by email, not created again; the ticket is the facility's.
    assert_eq!(ticket["requester_id"], known["id"]);
    assert_eq!(ticket["organization_id"], org["id"]);
    let id = ticket["id"].as_i64().unwrap();
    let (status, work_order) = agent
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{id}/work-orders"),
            Some(
                json!({"summary": "Handset dead in Unit B", "technician_id": technician.id,
                        "arrival_window": {"start": "2027-03-02T14:00:00Z",
                                           "end": "2027-03-02T17:00:00Z"}}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{work_order}");
    assert_eq!(work_order["status"], "dispatched");
    assert_eq!(work_order["technician_id"], technician.id);
    let (status, reply) = agent
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            Some(
                json!({"body": "A technician will be at North Tower on 2 March between 8 and 11."}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(agent.calls.get(), 3, "the phone call's calls");
    let detail = agent.check(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(detail["ticket"]["status"], "on_hold");
    assert_eq!(detail["ticket"]["hold_reason"], "awaiting_field_visit");
    assert!(
        detail["metrics"]["first_reply_seconds"].is_number(),
        "{detail}"
    );
    // The technician has the job.
    let (status, jobs) = technician
        .send(Method::GET, "/api/v1/work-orders", None)
        .await;
    assert_eq!(status, 200, "{jobs}");
    assert_eq!(jobs["work_orders"][0]["id"], work_order["id"]);

    // 2. The billing email: a new payer asks why a deposit was charged twice; answered and solved.
    let agent = Counted::new(&app, UserRole::Agent);
    let (status, ticket) = agent
        .send(
            Method::POST,
            "/api/v1/tickets",
            Some(json!({
                "requester": {"name": "Jake Peralta", "email": "jake@example.com"},
                "subject": "Deposit charged twice", "channel": "email", "category": "Billing",
                "description": "My card was charged twice for Friday's deposit.",
                "assignee_id": agent.id
            })),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_i64().unwrap();
    let (status, solved) = agent
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            Some(json!({"body": "The second charge was refunded today.", "status": "solved"})),
        )
        .await;
    assert_eq!(status, 201, "{solved}");
    assert_eq!(agent.calls.get(), 2, "the billing email's calls");
    let detail = agent.check(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(detail["ticket"]["status"], "solved");
    assert_eq!(detail["ticket"]["category"], "billing");
    // One public reply, the first and the solving one.
    assert_eq!(detail["metrics"]["replies"], 1);
}
