//! The id-paged lists walked page by page: `per_page` rows at most, `meta.next_cursor` the last
//! id of a full page (none on a shorter one), and `cursor` continuing after it. Each list gets
//! three rows of its own; the ticket list, assets and reports have their paging tests in their
//! own files.

use crate::helpers::{TestApp, spawn_app};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

/// POSTs `body` to `path` as the admin, asserts a 201 and returns the new row's id.
async fn create(app: &TestApp, path: &str, body: Value) -> i64 {
    let r = app.send_admin(Method::POST, path, Some(&body)).await;
    let status = r.status().as_u16();
    let created: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "POST {path}: {created}");
    created["id"].as_i64().unwrap()
}

/// The ids of the page `GET path` (as the admin) lists under `items`, and its `next_cursor`.
async fn page(app: &TestApp, path: &str, items: &str) -> (Vec<i64>, Value) {
    let body = app.get_json(path, 200).await;
    let ids = body[items]
        .as_array()
        .unwrap_or_else(|| panic!("GET {path}: no `{items}` in {body}"))
        .iter()
        .map(|row| row["id"].as_i64().unwrap())
        .collect();
    (ids, body["meta"]["next_cursor"].clone())
}

/// Walks `list` (its path with a query string, e.g. `/api/v1/users?role=technician`), whose
/// rows are exactly `[a, b, c]` in its order, with pages of 1, 2, 3 and the default 25.
async fn walks(app: &TestApp, list: &str, items: &str, [a, b, c]: [i64; 3]) {
    let at = |query: &str| format!("{list}&{query}");
    let cursor = |id: i64| json!(id.to_string());
    // Two per page: a full page, then the last one (shorter: no cursor).
    assert_eq!(
        page(app, &at("per_page=2"), items).await,
        (vec![a, b], cursor(b)),
        "{list}"
    );
    assert_eq!(
        page(app, &at(&format!("per_page=2&cursor={b}")), items).await,
        (vec![c], Value::Null),
        "{list}"
    );
    // Three per page: the page is full, so a cursor, and after it an empty page.
    assert_eq!(
        page(app, &at("per_page=3"), items).await,
        (vec![a, b, c], cursor(c)),
        "{list}"
    );
    assert_eq!(
        page(app, &at(&format!("per_page=3&cursor={c}")), items).await,
        (vec![], Value::Null),
        "{list}"
    );
    // One per page from the middle.
    assert_eq!(
        page(app, &at(&format!("per_page=1&cursor={a}")), items).await,
        (vec![b], cursor(b)),
        "{list}"
    );
    // The default page (25) holds all three.
    assert_eq!(
        page(app, list, items).await,
        (vec![a, b, c], Value::Null),
        "{list}"
    );
}

#[tokio::test]
async fn organizations_sites_and_customers_page_by_id() {
    let app = spawn_app().await;
    let mut orgs = [0; 3];
    for (i, name) in [
        "Dallas County Jail",
        "Tarrant County Jail",
        "Collin County Jail",
    ]
    .into_iter()
    .enumerate()
    {
        orgs[i] = create(&app, "/api/v1/organizations", json!({"name": name})).await;
    }
    let mut sites = [0; 3];
    for (i, name) in ["North Tower", "West Tower", "Annex"]
        .into_iter()
        .enumerate()
    {
        sites[i] = create(
            &app,
            "/api/v1/sites",
            json!({"organization_id": orgs[0], "name": name, "time_zone": "America/Chicago"}),
        )
        .await;
    }
    let mut customers = [0; 3];
    for (i, name) in ["Rosa Diaz", "Amy Santiago", "Raymond Holt"]
        .into_iter()
        .enumerate()
    {
        customers[i] = create(&app, "/api/v1/customers", json!({"name": name})).await;
    }
    walks(
        &app,
        "/api/v1/organizations?q=county",
        "organizations",
        orgs,
    )
    .await;
    walks(
        &app,
        &format!("/api/v1/sites?organization_id={}", orgs[0]),
        "sites",
        sites,
    )
    .await;
    walks(&app, "/api/v1/customers?q=a", "customers", customers).await;
}

#[tokio::test]
async fn staff_page_by_id() {
    let app = spawn_app().await;
    let technicians = [
        app.create_staff(UserRole::Technician).0,
        app.create_staff(UserRole::Technician).0,
        app.create_staff(UserRole::Technician).0,
    ];
    walks(&app, "/api/v1/users?role=technician", "users", technicians).await;
}

#[tokio::test]
async fn work_orders_page_by_id() {
    let app = spawn_app().await;
    let org = create(
        &app,
        "/api/v1/organizations",
        json!({"name": "Dallas County Jail"}),
    )
    .await;
    let site = create(
        &app,
        "/api/v1/sites",
        json!({"organization_id": org, "name": "North Tower", "time_zone": "America/Chicago"}),
    )
    .await;
    let customer = create(&app, "/api/v1/customers", json!({"name": "Rosa Diaz"})).await;
    let ticket = create(
        &app,
        "/api/v1/tickets",
        json!({"requester_id": customer, "subject": "Handsets dead in Unit B",
               "channel": "phone", "site_id": site}),
    )
    .await;
    let mut work_orders = [0; 3];
    for (i, summary) in ["Handset 1 dead", "Handset 2 dead", "Handset 3 dead"]
        .into_iter()
        .enumerate()
    {
        work_orders[i] = create(
            &app,
            &format!("/api/v1/tickets/{ticket}/work-orders"),
            json!({"summary": summary}),
        )
        .await;
    }
    walks(
        &app,
        &format!("/api/v1/work-orders?ticket_id={ticket}"),
        "work_orders",
        work_orders,
    )
    .await;
}

#[tokio::test]
async fn webhook_endpoints_and_their_attempts_page_by_id() {
    use frontline::schema::{webhook_attempts, webhook_deliveries};
    let app = spawn_app().await;
    let mut hooks = [0; 3];
    for (i, host) in ["crm", "erp", "pager"].into_iter().enumerate() {
        hooks[i] = create(
            &app,
            "/api/v1/webhooks",
            json!({"url": format!("https://{host}.example.com/hooks"),
                   "events": ["ticket.created"]}),
        )
        .await;
    }
    walks(&app, "/api/v1/webhooks?", "webhooks", hooks).await;

    // Three failed attempts of one delivery to the first endpoint, listed newest first.
    let mut conn = app.db.conn();
    let t0 = Utc::now();
    let delivery: i64 = diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::endpoint_id.eq(hooks[0]),
            webhook_deliveries::event_id.eq(uuid::Uuid::new_v4()),
            webhook_deliveries::event_type.eq("ticket.created"),
            webhook_deliveries::payload.eq(json!({})),
            webhook_deliveries::attempts.eq(3),
            webhook_deliveries::next_attempt_at.eq(t0),
            webhook_deliveries::created_at.eq(t0),
        ))
        .returning(webhook_deliveries::id)
        .get_result(&mut conn)
        .unwrap();
    let mut attempts = Vec::new();
    for attempt in 1..=3 {
        attempts.push(
            diesel::insert_into(webhook_attempts::table)
                .values((
                    webhook_attempts::delivery_id.eq(delivery),
                    webhook_attempts::endpoint_id.eq(hooks[0]),
                    webhook_attempts::attempt.eq(attempt),
                    webhook_attempts::attempted_at.eq(t0 + Duration::seconds(attempt.into())),
                    webhook_attempts::status_code.eq(Some(500)),
                    webhook_attempts::succeeded.eq(false),
                    webhook_attempts::duration_ms.eq(12),
                ))
                .returning(webhook_attempts::id)
                .get_result::<i64>(&mut conn)
                .unwrap(),
        );
    }
    walks(
        &app,
        &format!("/api/v1/webhooks/{}/deliveries?", hooks[0]),
        "attempts",
        [attempts[2], attempts[1], attempts[0]],
    )
    .await;
    // The second endpoint has none.
    assert_eq!(
        page(
            &app,
            &format!("/api/v1/webhooks/{}/deliveries?per_page=1", hooks[1]),
            "attempts"
        )
        .await,
        (vec![], Value::Null)
    );
}

#[tokio::test]
async fn dead_letters_page_newest_first() {
    use frontline::schema::outbox;
    let app = spawn_app().await;
    let mut conn = app.db.conn();
    let t0 = Utc::now();
    let mut insert = |key: &str, status: &str| -> i64 {
        diesel::insert_into(outbox::table)
            .values((
                outbox::kind.eq("ticket_received"),
                outbox::dedupe_key.eq(key),
                outbox::recipient.eq("desk@county.test"),
                outbox::status.eq(status),
                outbox::attempts.eq(3),
                outbox::next_attempt_at.eq(t0),
                outbox::created_at.eq(t0),
                outbox::dead_at.eq((status == "dead").then_some(t0)),
            ))
            .returning(outbox::id)
            .get_result(&mut conn)
            .unwrap()
    };
    let first = insert("paging-1", "dead");
    let second = insert("paging-2", "dead");
    // Still pending: never a dead letter, wherever it falls in the id order.
    insert("paging-3", "pending");
    let third = insert("paging-4", "dead");
    walks(
        &app,
        "/api/v1/outbox/dead-letters?",
        "messages",
        [third, second, first],
    )
    .await;
}
