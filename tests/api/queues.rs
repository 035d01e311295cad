//! Queues: `assignee=me|none|<id>`, `hold_reason=`, `status=unsolved`, `sort=sla_due|priority`,
//! `total=true`, and the names and next SLA due instant of each row, over tickets written at fixed
//! instants so that every due instant is worked out by hand.

use crate::helpers::{TestApp, spawn_app};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use frontline::domain::ids::{CustomerId, TicketId, UserId};
use frontline::domain::ticket::{AuthorKind, TicketPriority, TicketStatus};
use frontline::models::enums::{TicketChannel, UserRole};
use frontline::models::ticket::{TicketFields, Visibility};
use frontline::schema::users;
use frontline::tickets::comment::{NewComment, comment_tx};
use frontline::tickets::create::{NewTicket, Requester, create_tx};
use frontline::tickets::{Actor, RulesCache};
use reqwest::Method;
use serde_json::{Value, json};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-03-02T{s}:00Z"))
        .unwrap()
        .with_timezone(&Utc)
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.send_admin(Method::POST, path, Some(&body)).await;
    assert_eq!(r.status().as_u16(), 201, "{path}");
    r.json().await.unwrap()
}

struct Queue {
    app: TestApp,
    admin: i64,
    ann: i64,
}

/// Phone policy: normal — first reply 1 h, resolution 4 h; urgent — first reply 10 min,
/// resolution 1 h; high and low — no target. Tickets (subject = letter), all from Rosa of
/// County, team Desk:
/// - A 09:00 normal, Ann: first reply due 10:00, resolution 13:00 → next due 10:00.
/// - B 09:10 urgent, unassigned: first reply due 09:20 → 09:20.
/// - C 09:20 low, unassigned: no clock.
/// - D 09:30 high, the admin, on hold (awaiting_field_visit) at 09:40: no clock.
/// - E 09:05 normal, Ann, replied 09:15: resolution due 13:05 → 13:05.
/// - F 08:00 normal, Ann, replied and solved 08:30: no running clock.
async fn queue() -> Queue {
    let app = spawn_app().await;
    post(
        &app,
        "/api/v1/sla-policies",
        json!({"name": "Phone", "position": 1, "conditions": {"channels": ["phone"]},
               "targets": {
                   "normal": {"first_reply": {"seconds": 3600, "business": false},
                              "resolution": {"seconds": 14400, "business": false}},
                   "urgent": {"first_reply": {"seconds": 600, "business": false},
                              "resolution": {"seconds": 3600, "business": false}}}}),
    )
    .await;
    let org = post(&app, "/api/v1/organizations", json!({"name": "County"})).await["id"]
        .as_i64()
        .unwrap();
    let team = post(
        &app,
        "/api/v1/teams",
        json!({"name": "Desk", "kind": "contact_center", "sourcing": "in_house"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let rosa = post(
        &app,
        "/api/v1/customers",
        json!({"name": "Rosa", "email": "rosa@example.com", "organization_id": org}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let admin = app.get_json("/api/v1/me", 200).await["id"]
        .as_i64()
        .unwrap();
    let (ann, _) = app.create_staff(UserRole::Agent);
    let mut conn = app.db.conn();
    diesel::update(users::table.find(ann))
        .set(users::name.eq("Ann"))
        .execute(&mut conn)
        .unwrap();
    let rules = RulesCache::new();
    let actor = Actor {
        id: UserId::new(admin),
        visibility: Visibility::All,
    };
    let mut create = |subject: &str, when: &str, priority, assignee: Option<i64>| {
        conn.transaction(|c| {
            create_tx(
                c,
                &rules,
                &NewTicket {
                    requester: Requester::Existing(CustomerId::new(rosa)),
                    fields: TicketFields {
                        subject: subject.into(),
                        description: "Phone call".into(),
                        channel: Some(TicketChannel::Phone),
                        organization_id: Some(org),
                        team_id: Some(team),
                        ..TicketFields::default()
                    },
                    description_author: AuthorKind::Customer,
                    priority,
                    assignee: assignee.map(UserId::new),
                    status: None,
                },
                Some(UserId::new(admin)),
                at(when),
            )
        })
        .unwrap()
        .id
    };
    let f = create("F", "08:00", TicketPriority::Normal, Some(ann));
    create("A", "09:00", TicketPriority::Normal, Some(ann));
    let e = create("E", "09:05", TicketPriority::Normal, Some(ann));
    create("B", "09:10", TicketPriority::Urgent, None);
    create("C", "09:20", TicketPriority::Low, None);
    let d = create("D", "09:30", TicketPriority::High, Some(admin));
    let comment = |status, hold_reason: Option<&str>| NewComment {
        body: "Update".into(),
        public: true,
        author: AuthorKind::Agent,
        status,
        hold_reason: hold_reason.map(str::to_string),
        keep_hold: false,
        if_version: None,
    };
    for (id, when, status, reason) in [
        (f, "08:30", Some(TicketStatus::Solved), None),
        (e, "09:15", None, None),
        (
            d,
            "09:40",
            Some(TicketStatus::OnHold),
            Some("awaiting_field_visit"),
        ),
    ] {
        conn.transaction(|c| {
            comment_tx(
                c,
                &rules,
                TicketId::new(id),
                &comment(status, reason),
                Some(actor),
                at(when),
            )
        })
        .unwrap();
    }
    Queue { app, admin, ann }
}

fn subjects(body: &Value) -> Vec<&str> {
    body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap())
        .collect()
}

impl Queue {
    async fn list(&self, query: &str) -> Value {
        self.app
            .get_json(&format!("/api/v1/tickets?{query}"), 200)
            .await
    }
}

#[tokio::test]
async fn queue_filters_find_the_unassigned_mine_and_held_tickets() {
    let q = queue().await;
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("status=unsolved".into(), vec!["D", "C", "B", "E", "A"]),
        (
            "status=unsolved,solved".into(),
            vec!["D", "C", "B", "E", "A", "F"],
        ),
        ("assignee=none".into(), vec!["C", "B"]),
        ("assignee=me".into(), vec!["D"]),
        (format!("assignee={}", q.ann), vec!["E", "A", "F"]),
        (
            format!("assignee={}&status=unsolved", q.ann),
            vec!["E", "A"],
        ),
        ("hold_reason=awaiting_field_visit".into(), vec!["D"]),
        ("hold_reason=awaiting_parts,facility_access".into(), vec![]),
    ];
    for (query, expected) in cases {
        assert_eq!(subjects(&q.list(&query).await), expected, "{query}");
    }
    let me = q.app.get_json("/api/v1/me", 200).await;
    assert_eq!(me["id"], q.admin);
}

#[tokio::test]
async fn sla_due_sort_puts_the_next_breach_first_and_tickets_without_a_clock_last() {
    let q = queue().await;
    let body = q.list("status=unsolved&sort=sla_due").await;
    assert_eq!(subjects(&body), ["B", "A", "E", "C", "D"]);
    let due: Vec<&Value> = body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["sla_due_at"])
        .collect();
    assert_eq!(
        due,
        [
            &json!("2026-03-02T09:20:00Z"),
            &json!("2026-03-02T10:00:00Z"),
            &json!("2026-03-02T13:05:00Z"),
            &Value::Null,
            &Value::Null,
        ]
    );
    // Page by page (two per page), with the total.
    let mut seen = Vec::new();
    let mut query = "status=unsolved&sort=sla_due&per_page=2&total=true".to_string();
    let mut pages = 0;
    loop {
        let page = q.list(&query).await;
        assert_eq!(page["meta"]["total"], 5);
        seen.extend(subjects(&page).into_iter().map(str::to_string));
        pages += 1;
        match page["meta"]["next_cursor"].as_str() {
            Some(cursor) => {
                query =
                    format!("status=unsolved&sort=sla_due&per_page=2&total=true&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(seen, ["B", "A", "E", "C", "D"]);
    assert_eq!(pages, 3);
    // Without `total`, no count.
    assert_eq!(q.list("sort=sla_due").await["meta"]["total"], Value::Null);
}

#[tokio::test]
async fn priority_sort_is_most_urgent_first_then_oldest_first_across_pages() {
    let q = queue().await;
    assert_eq!(
        subjects(&q.list("status=unsolved&sort=priority").await),
        ["B", "D", "A", "E", "C"]
    );
    let first = q.list("sort=priority&per_page=3").await;
    assert_eq!(subjects(&first), ["B", "D", "F"]);
    let cursor = first["meta"]["next_cursor"].as_str().unwrap();
    let second = q
        .list(&format!("sort=priority&per_page=3&cursor={cursor}"))
        .await;
    assert_eq!(subjects(&second), ["A", "E", "C"]);
    assert_eq!(second["meta"]["next_cursor"], Value::Null);
    // A cursor of another sort is refused.
    let r = q
        .app
        .get(&format!("/api/v1/tickets?sort=sla_due&cursor={cursor}"))
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.json::<Value>().await.unwrap()["errors"]["cursor"].is_array());
}

#[tokio::test]
async fn list_rows_carry_what_a_queue_screen_shows() {
    let q = queue().await;
    let body = q.list("sort=priority").await;
    let row = |subject: &str| {
        body["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"] == subject)
            .unwrap()
            .clone()
    };
    let a = row("A");
    assert_eq!(
        (
            &a["requester_name"],
            &a["organization_name"],
            &a["assignee_name"],
            &a["team_name"],
            &a["sla_due_at"],
            &a["hold_reason"],
            &a["status"],
        ),
        (
            &json!("Rosa"),
            &json!("County"),
            &json!("Ann"),
            &json!("Desk"),
            &json!("2026-03-02T10:00:00Z"),
            &Value::Null,
            &json!("open"),
        )
    );
    let d = row("D");
    assert_eq!(d["status"], "on_hold");
    assert_eq!(d["hold_reason"], "awaiting_field_visit");
    assert_eq!(d["sla_due_at"], Value::Null);
    let admin_name: String = users::table
        .find(q.admin)
        .select(users::name)
        .first(&mut q.app.db.conn())
        .unwrap();
    assert_eq!(d["assignee_name"], admin_name.as_str());
    let b = row("B");
    assert_eq!(b["assignee_name"], Value::Null);
    // The ticket detail carries the hold reason too.
    let detail = q
        .app
        .get_json(&format!("/api/v1/tickets/{}", d["id"]), 200)
        .await;
    assert_eq!(detail["ticket"]["hold_reason"], "awaiting_field_visit");
}

#[tokio::test]
async fn a_bad_queue_parameter_is_422_naming_it() {
    let q = queue().await;
    for (query, field) in [
        ("assignee=someone", "assignee"),
        ("assignee=0", "assignee"),
        ("hold_reason=lunch", "hold_reason"),
        ("status=unsolved,later", "status"),
        ("sort=-sla_due", "sort"),
        ("total=maybe", "query"),
    ] {
        let r = q.app.get(&format!("/api/v1/tickets?{query}")).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert!(status == 422 || status == 400, "{query}: {status}");
        assert!(
            body["errors"][field].is_array() || field == "query",
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn a_queue_page_downloads_as_csv() {
    let q = queue().await;
    let query = "status=unsolved&sort=sla_due&per_page=2&total=true";
    let json = q.list(query).await;
    let ids: Vec<(i64, i64)> = json["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["number"].as_i64().unwrap(), t["id"].as_i64().unwrap()))
        .collect();
    let expected = format!(
        "number,id,subject,status,hold_reason,priority,channel,requester_name,organization_name,\
         assignee_name,team_name,sla_due_at,created_at,updated_at,solved_at\n\
         {},{},B,new,,urgent,phone,Rosa,County,,Desk,2026-03-02T09:20:00Z,2026-03-02T09:10:00Z,\
         2026-03-02T09:10:00Z,\n\
         {},{},A,open,,normal,phone,Rosa,County,Ann,Desk,2026-03-02T10:00:00Z,2026-03-02T09:00:00Z,\
         2026-03-02T09:00:00Z,\n",
        ids[0].0, ids[0].1, ids[1].0, ids[1].1
    );
    let by_format = q
        .app
        .get(&format!("/api/v1/tickets?{query}&format=csv"))
        .await;
    let by_accept = q
        .app
        .client
        .get(format!("{}/api/v1/tickets?{query}", q.app.address))
        .bearer_auth(&q.app.admin_token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    for r in [by_format, by_accept] {
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "text/csv; charset=utf-8"
        );
        assert_eq!(r.headers()["x-total-count"].to_str().unwrap(), "5");
        assert_eq!(
            r.headers()["x-next-cursor"].to_str().unwrap(),
            json["meta"]["next_cursor"].as_str().unwrap()
        );
        assert_eq!(r.text().await.unwrap(), expected);
    }
    let r = q.app.get("/api/v1/tickets?format=xml").await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.json::<Value>().await.unwrap()["errors"]["format"].is_array());
}

fn names_and_counts(body: &Value) -> Vec<(String, Value)> {
    body["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap().to_string(), v["count"].clone()))
        .collect()
}

#[tokio::test]
async fn saved_views_are_personal_or_shared_with_a_team_and_carry_their_counts() {
    let q = queue().await;
    let app = &q.app;
    let desk: i64 = frontline::schema::teams::table
        .select(frontline::schema::teams::id)
        .first(&mut app.db.conn())
        .unwrap();
    let bo_token = app.token_for(UserRole::Agent);
    let bo = app.get_as(Some(&bo_token), "/api/v1/me").await;
    let bo: i64 = bo.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    diesel::update(users::table.find(bo))
        .set(users::team_id.eq(desk))
        .execute(&mut app.db.conn())
        .unwrap();
    let view = |name: &str, query: &str, team: Option<i64>| json!({"name": name, "query": query, "team_id": team});
    let created = post(
        app,
        "/api/v1/ticket-views",
        view(
            "Unassigned",
            "assignee=none&status=unsolved&sort=sla_due",
            None,
        ),
    )
    .await;
    assert_eq!(
        created["href"],
        "/api/v1/tickets?assignee=none&status=unsolved&sort=sla_due"
    );
    assert_eq!(created["owner_id"], q.admin);
    post(
        app,
        "/api/v1/ticket-views",
        view("Mine", "?assignee=me", None),
    )
    .await;
    let shared = post(
        app,
        "/api/v1/ticket-views",
        view(
            "Desk field visits",
            "hold_reason=awaiting_field_visit",
            Some(desk),
        ),
    )
    .await;

    let mine = app.get_json("/api/v1/ticket-views?counts=true", 200).await;
    assert_eq!(
        names_and_counts(&mine),
        [
            ("Desk field visits".to_string(), json!(1)),
            ("Mine".to_string(), json!(1)),
            ("Unassigned".to_string(), json!(2)),
        ]
    );
    let plain = app.get_json("/api/v1/ticket-views", 200).await;
    assert_eq!(plain["views"][0]["count"], Value::Null);

    // Bo sees the view shared with his team, and his own "Mine" means him.
    let r = app
        .client
        .post(format!("{}/api/v1/ticket-views", app.address))
        .bearer_auth(&bo_token)
        .json(&view("Mine", "assignee=me&status=unsolved", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let bos = app
        .get_as(Some(&bo_token), "/api/v1/ticket-views?counts=true")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        names_and_counts(&bos),
        [
            ("Desk field visits".to_string(), json!(1)),
            ("Mine".to_string(), json!(0)),
        ]
    );

    let r = app
        .send_admin(
            Method::POST,
            "/api/v1/ticket-views",
            Some(&view("Mine", "status=open", None)),
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        409,
        "a name taken among the caller's views"
    );
    assert!(r.json::<Value>().await.unwrap()["errors"]["name"].is_array());
    for (body, field) in [
        (view(" ", "status=open", None), "name"),
        (view("Paged", "status=open&cursor=abc", None), "query"),
        (view("Colour", "colour=red", None), "query"),
        (view("Bad status", "status=later", None), "query"),
        (view("Nowhere", "status=open", Some(999_999)), "team_id"),
    ] {
        let r = app
            .send_admin(Method::POST, "/api/v1/ticket-views", Some(&body))
            .await;
        assert_eq!(r.status().as_u16(), 422, "{body}");
        let problem: Value = r.json().await.unwrap();
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    // Only an admin shares with another team than their own.
    let r = app
        .client
        .post(format!("{}/api/v1/ticket-views", app.address))
        .bearer_auth(&bo_token)
        .json(&view("Elsewhere", "status=open", Some(desk + 1000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);

    // Bo sees the admin's view shared with his team but cannot delete it; the admin can.
    let path = format!("/api/v1/ticket-views/{}", shared["id"]);
    let r = app
        .client
        .delete(format!("{}{path}", app.address))
        .bearer_auth(&bo_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app.send_admin(Method::DELETE, &path, None).await;
    assert_eq!(r.status().as_u16(), 204);
    let bos = app
        .get_as(Some(&bo_token), "/api/v1/ticket-views")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(bos["views"].as_array().unwrap().len(), 1);
}
