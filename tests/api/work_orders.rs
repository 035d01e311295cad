//! Work orders through the API: the state machine, device instants at their edges, the overlap
//! and time-off rules at theirs, the ticket following its work orders, the technician's day and
//! what a technician can never reach.

use crate::helpers::{TestApp, jwt_keys, spawn_app};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

struct Caller<'a> {
    app: &'a TestApp,
    token: String,
    id: i64,
}

impl<'a> Caller<'a> {
    fn new(app: &'a TestApp, role: UserRole) -> Caller<'a> {
        let (id, _) = app.create_staff(role);
        let token = jwt_keys(&app.db.settings)
            .issue(id, role, chrono::Utc::now())
            .unwrap();
        Caller { app, token, id }
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.send_with(method, path, body, &[]).await
    }

    async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, String)],
    ) -> (u16, Value) {
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
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, path, Some(&body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(Method::GET, path, None).await
    }

    async fn ticket_status(&self, ticket: i64) -> String {
        let (_, t) = self.get(&format!("/api/v1/tickets/{ticket}")).await;
        t["ticket"]["status"].as_str().unwrap().to_string()
    }

    async fn go(&self, work_order: i64, body: Value) -> (u16, Value) {
        self.post(
            &format!("/api/v1/work-orders/{work_order}/transitions"),
            body,
        )
        .await
    }
}

struct World<'a> {
    agent: Caller<'a>,
    tech: Caller<'a>,
    site: i64,
    customer: i64,
}

async fn world(app: &TestApp) -> World<'_> {
    let agent = Caller::new(app, UserRole::Agent);
    let tech = Caller::new(app, UserRole::Technician);
    let (_, org) = agent
        .post(
            "/api/v1/organizations",
            json!({"name": "Dallas County Jail"}),
        )
        .await;
    let (status, site) = agent
        .post(
            "/api/v1/sites",
            json!({"organization_id": org["id"], "name": "North Tower",
                   "time_zone": "America/Chicago", "address": "111 W Commerce St, Dallas, TX"}),
        )
        .await;
    assert_eq!(status, 201, "{site}");
    let (_, customer) = agent
        .post(
            "/api/v1/customers",
            json!({"name": "Sgt. Rosa Diaz", "email": "rdiaz@county.test", "phone": "214-555-0100",
                   "organization_id": org["id"]}),
        )
        .await;
    World {
        site: site["id"].as_i64().unwrap(),
        customer: customer["id"].as_i64().unwrap(),
        agent,
        tech,
    }
}

impl World<'_> {
    async fn ticket(&self, subject: &str) -> i64 {
        let (status, t) = self
            .agent
            .post(
                "/api/v1/tickets",
                json!({"requester_id": self.customer, "subject": subject, "channel": "phone",
                       "site_id": self.site, "assignee_id": self.agent.id}),
            )
            .await;
        assert_eq!(status, 201, "{t}");
        t["id"].as_i64().unwrap()
    }

    async fn work_order(&self, ticket: i64) -> i64 {
        let (status, w) = self
            .agent
            .post(
                &format!("/api/v1/tickets/{ticket}/work-orders"),
                json!({"summary": "Handset dead in Unit B", "access_notes": "Escort from sally port",
                       "escort_required": true}),
            )
            .await;
        assert_eq!(status, 201, "{w}");
        assert_eq!(w["status"], "scheduled");
        w["id"].as_i64().unwrap()
    }

    async fn dispatch(&self, work_order: i64, start: &str, end: &str) -> (u16, Value) {
        self.agent
            .go(
                work_order,
                json!({"to": "dispatched", "technician_id": self.tech.id,
                       "arrival_window": {"start": start, "end": end}}),
            )
            .await
    }
}

fn in_future(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string()
}

#[tokio::test]
async fn a_visit_from_creation_to_a_fix_moves_the_ticket_and_leaves_its_audit_trail() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ticket = w.ticket("Unit B phone dead").await;
    let wo = w.work_order(ticket).await;
    assert_eq!(w.agent.ticket_status(ticket).await, "on_hold");

    let (status, d) = w
        .dispatch(wo, "2027-03-02T14:00:00Z", "2027-03-02T17:00:00Z")
        .await;
    assert_eq!(status, 200, "{d}");
    // Shown in the site's zone: Chicago is UTC−6 in early March (before the DST change).
    assert_eq!(
        d["work_order"]["arrival_window"],
        json!({"start": "2027-03-02T08:00:00-06:00", "end": "2027-03-02T11:00:00-06:00",
               "time_zone": "America/Chicago"})
    );

    // An evening visit: 03:00Z on 3 March is 21:00 on 2 March in Chicago.
    let evening_ticket = w.ticket("Kiosk in the lobby").await;
    let evening = w.work_order(evening_ticket).await;
    let (status, body) = w
        .dispatch(evening, "2027-03-03T03:00:00Z", "2027-03-03T05:00:00Z")
        .await;
    assert_eq!(status, 200, "{body}");

    // The technician's day: that local day, with site, access and requester contact, by window.
    let (status, day) = w.tech.get("/api/v1/me/work-orders?day=2027-03-02").await;
    assert_eq!(status, 200, "{day}");
    let items = day["work_orders"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![wo, evening]
    );
    assert_eq!(items[0]["site"]["address"], "111 W Commerce St, Dallas, TX");
    assert_eq!(items[0]["access_notes"], "Escort from sally port");
    assert_eq!(items[0]["ticket"]["subject"], "Unit B phone dead");
    assert_eq!(items[0]["ticket"]["requester_phone"], "214-555-0100");
    let (_, other_day) = w.tech.get("/api/v1/me/work-orders?day=2027-03-03").await;
    assert_eq!(other_day["work_orders"], json!([]));
    let (status, bad) = w.tech.get("/api/v1/me/work-orders?day=tomorrow").await;
    assert_eq!(status, 422);
    assert!(bad["errors"]["day"].is_array());

    for to in ["en_route", "on_site"] {
        let (status, body) = w.tech.go(wo, json!({"to": to})).await;
        assert_eq!(status, 200, "{to}: {body}");
        assert_eq!(body["ticket_status"], "on_hold");
    }
    let (status, done) = w
        .tech
        .go(
            wo,
            json!({"to": "completed", "resolution_code": "replaced_handset", "problem_fixed": true,
                   "parts": [{"part_number": "HS-200", "description": "Armored handset", "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["ticket_status"], "solved");
    assert_eq!(done["work_order"]["parts"][0]["part_number"], "HS-200");
    let on_site = done["work_order"]["on_site_at"].as_str().unwrap();
    let finished = done["work_order"]["finished_at"]
        .as_str()
        .unwrap()
        .to_string();

    // The ticket's log shows every step with its device instant.
    let (_, events) = w
        .agent
        .get(&format!("/api/v1/tickets/{ticket}/events"))
        .await;
    let steps: Vec<(Value, Value)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "work_order")
        .map(|e| (e["data"]["to"].clone(), e["occurred_at"].clone()))
        .collect();
    assert_eq!(
        steps.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
        vec![
            json!("scheduled"),
            json!("dispatched"),
            json!("en_route"),
            json!("on_site"),
            json!("completed")
        ]
    );
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(at(&steps[4].1), at(&json!(finished)));
    assert!(at(&steps[3].1) == at(&json!(on_site)) && at(&steps[3].1) <= at(&steps[4].1));
    let holds: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status_changed" && e["to_status"] == "on_hold")
        .collect();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0]["data"]["reason"], "awaiting_field_visit");
}

#[tokio::test]
async fn every_refused_transition_is_a_409_naming_the_current_status() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ticket = w.ticket("Kiosk offline").await;
    let wo = w.work_order(ticket).await;
    for to in ["en_route", "on_site"] {
        let (status, body) = w.agent.go(wo, json!({"to": to})).await;
        assert_eq!(status, 409, "{to}: {body}");
        assert_eq!(
            body["errors"]["status"][0],
            format!("the work order is scheduled; it cannot become {to}")
        );
    }
    let (status, body) = w
        .agent
        .go(
            wo,
            json!({"to": "completed", "resolution_code": "x", "problem_fixed": true}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = w.dispatch(wo, &in_future(2), &in_future(4)).await;
    assert_eq!(status, 200);
    // Re-dispatch to a new window is allowed before the technician sets off.
    let (status, body) = w.dispatch(wo, &in_future(5), &in_future(7)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = w.agent.go(wo, json!({"to": "on_site"})).await;
    assert_eq!(status, 409);
    assert!(
        body["errors"]["status"][0]
            .as_str()
            .unwrap()
            .contains("dispatched")
    );
    let (status, _) = w.tech.go(wo, json!({"to": "en_route"})).await;
    assert_eq!(status, 200);
    // A technician cannot cancel (dispatchers do), but may not learn about others' orders.
    let (status, _) = w.tech.go(wo, json!({"to": "cancelled"})).await;
    assert_eq!(status, 403);
    let (status, body) = w
        .agent
        .go(wo, json!({"to": "cancelled", "notes": "Facility lockdown"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket_status"], "open");
    for to in ["dispatched", "en_route", "on_site", "cancelled"] {
        let body = if to == "dispatched" {
            json!({"to": to, "technician_id": w.tech.id,
                   "arrival_window": {"start": in_future(9), "end": in_future(10)}})
        } else {
            json!({"to": to})
        };
        let (status, answer) = w.agent.go(wo, body).await;
        assert_eq!(status, 409, "cancelled → {to}: {answer}");
        assert!(
            answer["errors"]["status"][0]
                .as_str()
                .unwrap()
                .contains("cancelled")
        );
    }
    // A field that does not belong to the transition is named.
    let ticket = w.ticket("Second").await;
    let wo = w.work_order(ticket).await;
    let (status, body) = w
        .agent
        .go(wo, json!({"to": "cancelled", "problem_fixed": true}))
        .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["problem_fixed"].is_array(), "{body}");
}

#[tokio::test]
async fn a_device_instant_is_accepted_from_the_previous_transition_up_to_now() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ticket = w.ticket("Tablet will not charge").await;
    let wo = w.work_order(ticket).await;
    let (status, body) = w
        .dispatch(wo, "2027-03-02T14:00:00Z", "2027-03-02T17:00:00Z")
        .await;
    assert_eq!(status, 200, "{body}");
    let dispatched = body["work_order"]["dispatched_at"]
        .as_str()
        .unwrap()
        .to_string();
    let dispatched = chrono::DateTime::parse_from_rfc3339(&dispatched).unwrap();
    let one_before = (dispatched - chrono::Duration::seconds(1)).to_rfc3339();
    let (status, body) = w
        .tech
        .go(wo, json!({"to": "en_route", "occurred_at": one_before}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]["occurred_at"][0]
            .as_str()
            .unwrap()
            .contains("before")
    );
    let future = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (status, body) = w
        .tech
        .go(wo, json!({"to": "en_route", "occurred_at": future}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]["occurred_at"][0]
            .as_str()
            .unwrap()
            .contains("future")
    );
    // Exactly the previous transition's instant is accepted.
    let (status, body) = w
        .tech
        .go(
            wo,
            json!({"to": "en_route", "occurred_at": dispatched.to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(body["work_order"]["en_route_at"].as_str().unwrap())
            .unwrap(),
        dispatched
    );
    // A retry with the same key is a replay, not a 409.
    let key = [("idempotency-key", "phone-7f3a".to_string())];
    let arrive = json!({"to": "on_site"});
    let first = w
        .tech
        .send_with(
            Method::POST,
            &format!("/api/v1/work-orders/{wo}/transitions"),
            Some(&arrive),
            &key,
        )
        .await;
    let again = w
        .tech
        .send_with(
            Method::POST,
            &format!("/api/v1/work-orders/{wo}/transitions"),
            Some(&arrive),
            &key,
        )
        .await;
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(again, first);
    // The receipt instant is kept beside the device instant.
    let recorded: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> =
        frontline::schema::ticket_events::table
            .filter(frontline::schema::ticket_events::ticket_id.eq(ticket))
            .filter(frontline::schema::ticket_events::kind.eq("work_order"))
            .order(frontline::schema::ticket_events::seq.asc())
            .select((
                frontline::schema::ticket_events::occurred_at,
                frontline::schema::ticket_events::recorded_at,
            ))
            .load(&mut app.db.conn())
            .unwrap();
    let (device, receipt) = recorded[2];
    assert_eq!(device, dispatched);
    assert!(receipt > device);
}

#[tokio::test]
async fn windows_that_touch_do_not_overlap_and_time_off_or_a_window_inside_another_conflicts() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut orders = Vec::new();
    for i in 0..4 {
        let ticket = w.ticket(&format!("Phone {i}")).await;
        orders.push(w.work_order(ticket).await);
    }
    let (status, _) = w
        .dispatch(orders[0], "2027-03-02T14:00:00Z", "2027-03-02T16:00:00Z")
        .await;
    assert_eq!(status, 200);
    let (status, body) = w
        .dispatch(orders[1], "2027-03-02T16:00:00Z", "2027-03-02T18:00:00Z")
        .await;
    assert_eq!(status, 200, "touching windows: {body}");
    let (status, body) = w
        .dispatch(orders[2], "2027-03-02T14:30:00Z", "2027-03-02T15:30:00Z")
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "schedule_conflict");
    assert!(
        body["errors"]["arrival_window"][0]
            .as_str()
            .unwrap()
            .contains(&format!("work order {}", orders[0]))
    );
    // Time off covering the whole window.
    diesel::insert_into(frontline::schema::time_off::table)
        .values((
            frontline::schema::time_off::user_id.eq(w.tech.id),
            frontline::schema::time_off::starts_at.eq(chrono::DateTime::parse_from_rfc3339(
                "2027-03-03T00:00:00Z",
            )
            .unwrap()
            .to_utc()),
            frontline::schema::time_off::ends_at.eq(chrono::DateTime::parse_from_rfc3339(
                "2027-03-04T00:00:00Z",
            )
            .unwrap()
            .to_utc()),
        ))
        .execute(&mut app.db.conn())
        .unwrap();
    let (status, body) = w
        .dispatch(orders[2], "2027-03-03T14:00:00Z", "2027-03-03T16:00:00Z")
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["errors"]["time_off"].is_array(), "{body}");
    // Ending exactly when the time off starts is fine.
    let (status, body) = w
        .dispatch(orders[2], "2027-03-02T22:00:00Z", "2027-03-03T00:00:00Z")
        .await;
    assert_eq!(status, 200, "{body}");
    // Only active technicians.
    let (status, body) = w
        .agent
        .go(
            orders[3],
            json!({"to": "dispatched", "technician_id": w.agent.id,
                   "arrival_window": {"start": "2027-03-05T14:00:00Z", "end": "2027-03-05T15:00:00Z"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"]["technician_id"][0], "is not a technician");
    let (status, body) = w
        .dispatch(orders[3], "2027-03-05T15:00:00Z", "2027-03-05T14:00:00Z")
        .await;
    assert_eq!(status, 422);
    assert!(body["errors"]["arrival_window.end"].is_array(), "{body}");
}

#[tokio::test]
async fn the_ticket_follows_two_work_orders_and_cannot_be_solved_while_one_is_open() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ticket = w.ticket("Two kiosks down").await;
    let first = w.work_order(ticket).await;
    let second = w.work_order(ticket).await;
    let (_, t) = w.agent.get(&format!("/api/v1/tickets/{ticket}")).await;
    let (status, body) = w
        .agent
        .send_with(
            Method::PATCH,
            &format!("/api/v1/tickets/{ticket}"),
            Some(&json!({"status": "solved"})),
            &[("if-match", format!("\"{}\"", t["ticket"]["version"]))],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "open_work_order");
    assert!(
        body["errors"]["status"][0]
            .as_str()
            .unwrap()
            .contains(&format!("work order {first}"))
    );

    for (wo, start) in [(first, 14), (second, 17)] {
        let (status, body) = w
            .dispatch(
                wo,
                &format!("2027-03-02T{start}:00:00Z"),
                &format!("2027-03-02T{}:00:00Z", start + 2),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        for to in ["en_route", "on_site"] {
            assert_eq!(w.tech.go(wo, json!({"to": to})).await.0, 200);
        }
    }
    // The first ends fixed, but the second is still open: the ticket waits.
    let (_, body) = w
        .tech
        .go(first, json!({"to": "completed", "resolution_code": "reseated_card_reader", "problem_fixed": true}))
        .await;
    assert_eq!(body["ticket_status"], "on_hold");
    // The second cannot complete and asks for a follow-up: still on hold, a note explains.
    let (status, body) = w
        .tech
        .go(
            second,
            json!({"to": "cannot_complete", "reason": "parts_needed",
                           "notes": "Needs a new bill validator", "follow_up": {}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket_status"], "on_hold");
    let follow_up = body["follow_up"]["id"].as_i64().unwrap();
    assert_eq!(body["follow_up"]["follow_up_of"], second);
    assert_eq!(body["follow_up"]["status"], "scheduled");
    let (_, comments) = w
        .agent
        .get(&format!("/api/v1/tickets/{ticket}/comments"))
        .await;
    let note = comments["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["public"] == false)
        .expect("an internal note");
    assert_eq!(
        note["body"],
        format!(
            "Work order {second} could not be completed (parts_needed): Needs a new bill validator"
        )
    );
    // Cancelling the follow-up, the last open one, returns the ticket to open (not solved).
    let (_, body) = w.agent.go(follow_up, json!({"to": "cancelled"})).await;
    assert_eq!(body["ticket_status"], "open");
    let (_, t) = w.agent.get(&format!("/api/v1/tickets/{ticket}")).await;
    let (status, body) = w
        .agent
        .send_with(
            Method::PATCH,
            &format!("/api/v1/tickets/{ticket}"),
            Some(&json!({"status": "solved"})),
            &[("if-match", format!("\"{}\"", t["ticket"]["version"]))],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_technician_never_reaches_another_technicians_work_order_or_its_ticket() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let other = Caller::new(&app, UserRole::Technician);
    let ticket = w.ticket("Video terminal frozen in Unit D").await;
    let wo = w.work_order(ticket).await;
    assert_eq!(
        w.dispatch(wo, "2027-03-02T14:00:00Z", "2027-03-02T16:00:00Z")
            .await
            .0,
        200
    );
    // The assigned technician reads the ticket and may leave internal notes, not public replies.
    assert_eq!(
        w.tech.get(&format!("/api/v1/tickets/{ticket}")).await.0,
        200
    );
    let (_, mine) = w.tech.get("/api/v1/tickets").await;
    assert_eq!(mine["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(
        w.tech
            .post(
                &format!("/api/v1/tickets/{ticket}/comments"),
                json!({"body": "On my way", "public": false})
            )
            .await
            .0,
        201
    );
    assert_eq!(
        w.tech
            .post(
                &format!("/api/v1/tickets/{ticket}/comments"),
                json!({"body": "Hello", "public": true})
            )
            .await
            .0,
        422
    );

    // Walk every route of the OpenAPI document as the other technician, with the ids of this
    // ticket and work order: nothing is revealed (404), or the role is refused whatever the id.
    let doc: Value = app.get_json("/api/v1/openapi.json", 200).await;
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let id = if path.starts_with("/api/v1/work-orders/") {
                wo
            } else {
                ticket
            };
            // A second id (a comment's, a macro's, an incident's) is any: the ticket's already
            // answers.
            let concrete = path
                .replace("{id}", &id.to_string())
                .replace("{comment_id}", "1")
                .replace("{attachment_id}", "1")
                .replace("{macro_id}", "1")
                .replace("{incident_id}", "1");
            let body = match (method.as_str(), path.as_str()) {
                (_, p) if p.ends_with("/comments") => json!({"body": "x", "public": false}),
                (_, p) if p.ends_with("/redactions") => json!({"text": "x"}),
                (_, p) if p.ends_with("/merge") || p.ends_with("/incidents") => {
                    json!({"ticket_ids": [id + 1_000_000]})
                }
                (_, p) if p.ends_with("/transitions") => json!({"to": "en_route"}),
                (_, p) if p.ends_with("/work-orders") => json!({"summary": "Look again"}),
                ("PATCH", _) => json!({"priority": "high"}),
                _ => json!({}),
            };
            let (status, answer) = other
                .send_with(
                    method.clone(),
                    &concrete,
                    Some(&body),
                    &[("if-match", "\"1\"".into())],
                )
                .await;
            walked += 1;
            let text = answer.to_string();
            assert!(
                !text.contains("Video terminal"),
                "{method} {concrete} leaked: {text}"
            );
            if path.contains("{id}")
                && (path.starts_with("/api/v1/tickets/")
                    || path.starts_with("/api/v1/work-orders/"))
            {
                assert!(
                    status == 404 || status == 403 && !matches!(method, Method::GET),
                    "{method} {concrete}: {status} {text}"
                );
            }
        }
    }
    assert!(walked > 30, "walked {walked} routes");
    // The other technician's own lists are empty.
    let (_, list) = other.get("/api/v1/work-orders").await;
    assert_eq!(list["work_orders"], json!([]));
    let (_, list) = other.get("/api/v1/tickets").await;
    assert_eq!(list["tickets"], json!([]));
    let (_, day) = other.get("/api/v1/me/work-orders").await;
    assert_eq!(day["work_orders"], json!([]));
    let (status, _) = other.go(wo, json!({"to": "en_route"})).await;
    assert_eq!(status, 404);
    let (status, _) = other.go(wo, json!({"to": "cancelled"})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_open_work_order_can_be_edited_and_the_edit_is_in_the_tickets_log() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ticket = w.ticket("Phone in Unit C").await;
    let wo = w.work_order(ticket).await;
    let (status, asset) = w
        .agent
        .post(
            "/api/v1/assets",
            json!({"site_id": w.site, "kind": "inmate_phone", "asset_tag": "DCJ-PH-0042"}),
        )
        .await;
    assert_eq!(status, 201, "{asset}");
    let path = format!("/api/v1/work-orders/{wo}");
    let (status, body) = w
        .agent
        .send_with(
            Method::PATCH,
            &path,
            Some(
                &json!({"access_notes": "Gate 3, ask for Sgt. Diaz", "asset_id": asset["id"],
                         "priority": "high"}),
            ),
            &[("if-match", "\"1\"".into())],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_notes"], "Gate 3, ask for Sgt. Diaz");
    assert_eq!(body["asset"]["asset_tag"], "DCJ-PH-0042");
    assert_eq!(body["priority"], "high");
    assert_eq!(body["version"], 2);
    let (_, events) = w
        .agent
        .get(&format!("/api/v1/tickets/{ticket}/events"))
        .await;
    let edit = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["kind"] == "work_order")
        .unwrap();
    assert_eq!(
        edit["data"]["detail"]["changed"]["access_notes"],
        json!(["Escort from sally port", "Gate 3, ask for Sgt. Diaz"])
    );
    assert_eq!(edit["data"]["from"], edit["data"]["to"]);
    // A stale version, an asset elsewhere, a technician: refused, nothing written.
    let (status, _) = w
        .agent
        .send_with(
            Method::PATCH,
            &path,
            Some(&json!({"summary": "x"})),
            &[("if-match", "\"1\"".into())],
        )
        .await;
    assert_eq!(status, 412);
    let (_, other_site) = w
        .agent
        .post(
            "/api/v1/sites",
            json!({"organization_id": asset["organization_id"], "name": "South"}),
        )
        .await;
    let (_, far) = w
        .agent
        .post(
            "/api/v1/assets",
            json!({"site_id": other_site["id"], "kind": "tablet", "asset_tag": "DCJ-TB-0001"}),
        )
        .await;
    let (status, body) = w
        .agent
        .send(Method::PATCH, &path, Some(&json!({"asset_id": far["id"]})))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"]["asset_id"].is_array());
    let (status, _) = w
        .tech
        .send(Method::PATCH, &path, Some(&json!({"summary": "x"})))
        .await;
    assert_eq!(status, 403);
    // An ended work order is read-only.
    let (_, _) = w.agent.go(wo, json!({"to": "cancelled"})).await;
    let (status, body) = w
        .agent
        .send(Method::PATCH, &path, Some(&json!({"summary": "Again"})))
        .await;
    assert_eq!(status, 409, "{body}");
    let (_, now) = w.agent.get(&path).await;
    assert_eq!(now["summary"], "Handset dead in Unit B");
}

#[tokio::test]
async fn a_reopened_ticket_loses_its_resolution_times_until_it_is_solved_again() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ticket = w.ticket("Kiosk rejects cards").await;
    let (_, t) = w.agent.get(&format!("/api/v1/tickets/{ticket}")).await;
    let (status, body) = w
        .agent
        .send_with(
            Method::PATCH,
            &format!("/api/v1/tickets/{ticket}"),
            Some(&json!({"status": "solved"})),
            &[("if-match", format!("\"{}\"", t["ticket"]["version"]))],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, solved) = w.agent.get(&format!("/api/v1/tickets/{ticket}")).await;
    assert!(
        solved["metrics"]["full_resolution_seconds"].is_i64(),
        "{solved}"
    );
    let (status, body) = w
        .agent
        .post(
            &format!("/api/v1/tickets/{ticket}/comments"),
            json!({"body": "Still broken", "public": true, "author": "requester"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, reopened) = w.agent.get(&format!("/api/v1/tickets/{ticket}")).await;
    assert_eq!(reopened["ticket"]["status"], "open");
    assert_eq!(reopened["metrics"]["reopens"], 1);
    // Null again (docs/METRICS.md: null until the stop event), not the first solve's value.
    assert_eq!(
        reopened["metrics"]["full_resolution_seconds"],
        Value::Null,
        "{reopened}"
    );
    let report = frontline::metrics::rebuild::rebuild(&mut app.db.conn(), 100).unwrap();
    assert_eq!(report.differences.len(), 0);
}

/// What an outside trial found, each refused or hidden now.
#[tokio::test]
async fn schedules_stay_sane_and_private() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let other = Caller::new(&app, UserRole::Technician);
    let ticket = w.ticket("Video terminal dark").await;
    let wo = w.work_order(ticket).await;
    // Windows: at most 24 h, within a year, after the work order was created.
    let far = (chrono::Utc::now() + chrono::Duration::days(400)).format("%Y-%m-%dT10:00:00Z");
    let far_end = (chrono::Utc::now() + chrono::Duration::days(400)).format("%Y-%m-%dT12:00:00Z");
    for (start, end, field) in [
        (in_future(2), in_future(30), "arrival_window.end"),
        (far.to_string(), far_end.to_string(), "arrival_window.start"),
        (
            "2026-01-05T09:00:00Z".to_string(),
            "2026-01-05T11:00:00Z".to_string(),
            "arrival_window.end",
        ),
    ] {
        let (status, body) = w.dispatch(wo, &start, &end).await;
        assert_eq!(status, 422, "{start}–{end}: {body}");
        assert!(body["errors"][field].is_array(), "{body}");
    }
    let (start, end) = (in_future(26), in_future(28));
    assert_eq!(w.dispatch(wo, &start, &end).await.0, 200);
    // Time off over an open dispatch is a conflict naming the work order.
    let manager = Caller::new(&app, UserRole::Manager);
    let (status, body) = manager
        .post(
            &format!("/api/v1/users/{}/time-off", w.tech.id),
            json!({"starts_at": in_future(27), "ends_at": in_future(40)}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["errors"]["starts_at"][0]
            .as_str()
            .unwrap()
            .contains(&format!("work order {wo}"))
    );
    // Nor can the technician be demoted or deactivated while the visit is promised.
    let admin = Caller::new(&app, UserRole::Admin);
    for (body, field) in [
        (json!({"role": "agent"}), "role"),
        (json!({"active": false}), "active"),
    ] {
        let (status, answer) = admin
            .send(
                Method::PATCH,
                &format!("/api/v1/users/{}", w.tech.id),
                Some(&body),
            )
            .await;
        assert_eq!(status, 409, "{answer}");
        assert!(
            answer["errors"][field][0]
                .as_str()
                .unwrap()
                .contains(&format!("work order {wo}"))
        );
    }
    // A technician asks for a follow-up visit but cannot schedule it for anyone.
    for to in ["en_route", "on_site"] {
        assert_eq!(w.tech.go(wo, json!({"to": to})).await.0, 200);
    }
    let (status, _) = w
        .tech
        .go(
            wo,
            json!({"to": "cannot_complete", "reason": "parts_needed",
                   "follow_up": {"technician_id": other.id,
                                 "arrival_window": {"start": in_future(50), "end": in_future(52)}}}),
        )
        .await;
    assert_eq!(status, 403);
    // Errors inside follow_up name it.
    let (status, body) = w
        .agent
        .go(
            wo,
            json!({"to": "cannot_complete", "reason": "parts_needed",
                   "follow_up": {"technician_id": 999_999,
                                 "arrival_window": {"start": in_future(50), "end": in_future(52)}}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]["follow_up.technician_id"].is_array(),
        "{body}"
    );
    let (status, body) = w
        .agent
        .go(
            wo,
            json!({"to": "cannot_complete", "reason": "parts_needed",
                   "follow_up": {"technician_id": other.id,
                                 "arrival_window": {"start": in_future(50), "end": in_future(52)}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["follow_up"]["technician_id"], other.id);
    // Each technician reads the ticket's log without the other's work orders.
    let (_, mine) = w
        .tech
        .get(&format!("/api/v1/tickets/{ticket}/events"))
        .await;
    let (_, theirs) = other.get(&format!("/api/v1/tickets/{ticket}/events")).await;
    let orders = |v: &Value| -> Vec<i64> {
        let mut ids: Vec<i64> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "work_order")
            .map(|e| e["data"]["work_order_id"].as_i64().unwrap())
            .collect();
        ids.dedup();
        ids
    };
    let follow_up = body["follow_up"]["id"].as_i64().unwrap();
    assert_eq!(orders(&mine), vec![wo]);
    assert_eq!(orders(&theirs), vec![follow_up]);
    let (_, all) = w
        .agent
        .get(&format!("/api/v1/tickets/{ticket}/events"))
        .await;
    assert_eq!(orders(&all), vec![wo, follow_up]);
    // Query parameters are named.
    let (status, body) = w.tech.get("/api/v1/work-orders?bogus=1").await;
    assert_eq!(status, 400);
    assert!(body["errors"]["bogus"].is_array(), "{body}");
}
