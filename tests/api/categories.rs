//! The category catalogue (issue 15, item 5): an unknown category is a 422 that lists the
//! accepted ones; a rename keeps the category's key, so old tickets show the new name, and is
//! recorded in the category's history; a deactivated category is refused for new tickets.

use crate::helpers::spawn_app;
use crate::macros::send;
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

/// A phone ticket from a new requester, with `extra` fields: (status, body).
async fn create_ticket(app: &crate::helpers::TestApp, n: u32, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "requester": {"name": format!("Caller {n}"), "email": format!("caller{n}@example.com")},
        "subject": format!("Call {n}"),
        "channel": "phone",
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    send(app, &app.admin_token, Method::POST, "/api/v1/tickets", body).await
}

#[tokio::test]
async fn unknown_categories_are_refused_naming_the_accepted_ones_and_a_rename_keeps_history() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let agent = app.token_for(UserRole::Agent);
    let empty = app.get_json("/api/v1/ticket-categories", 200).await;
    assert_eq!(empty, json!({"categories": []}));

    // Admins manage the catalogue; an agent reads it only.
    let (status, _) = send(
        &app,
        &agent,
        Method::POST,
        "/api/v1/ticket-categories",
        json!({"name": "Billing"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, billing) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/ticket-categories",
        json!({"name": "Billing"}),
    )
    .await;
    assert_eq!(status, 201, "{billing}");
    assert_eq!(
        (&billing["key"], &billing["name"], &billing["active"]),
        (&json!("billing"), &json!("Billing"), &json!(true))
    );
    let billing_id = billing["id"].as_i64().unwrap();
    let (status, outage) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/ticket-categories",
        json!({"key": "Outage ", "name": "Service outage"}),
    )
    .await;
    assert_eq!((status, &outage["key"]), (201, &json!("outage")));
    let (status, problem) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/ticket-categories",
        json!({"key": "billing2", "name": "BILLING"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        problem["errors"]["name"][0],
        "another category has this name"
    );
    let (status, problem) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/ticket-categories",
        json!({"key": "billing", "name": "Billing again"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        problem["errors"]["key"][0],
        "a category with this key exists"
    );

    // An unknown category: 422 naming `category`, listing the accepted keys.
    let (status, problem) = create_ticket(&app, 1, json!({"category": "Refunds"})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["errors"]["category"],
        json!(["unknown category `refunds`; expected one of: billing, outage"])
    );
    // The key, or the name (any case), picks the category; the ticket stores the key.
    let (status, old) = create_ticket(&app, 2, json!({"category": "billing"})).await;
    assert_eq!(status, 201, "{old}");
    assert_eq!(
        (&old["category"], &old["category_name"]),
        (&json!("billing"), &json!("Billing"))
    );
    let (status, by_name) = create_ticket(&app, 3, json!({"category": "service OUTAGE"})).await;
    assert_eq!(status, 201, "{by_name}");
    assert_eq!(
        (&by_name["category"], &by_name["category_name"]),
        (&json!("outage"), &json!("Service outage"))
    );
    let old_id = old["id"].as_i64().unwrap();
    let (status, problem) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/tickets/{old_id}"),
        json!({"category": "refunds"}),
    )
    .await;
    assert_eq!(status, 428, "{problem}");
    let patch = |body: Value| {
        app.client
            .patch(format!("{}/api/v1/tickets/{old_id}", app.address))
            .bearer_auth(&admin)
            .header("If-Match", "\"1\"")
            .json(&body)
            .send()
    };
    let r = patch(json!({"category": "refunds"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(
        problem["errors"]["category"],
        json!(["unknown category `refunds`; expected one of: billing, outage"])
    );

    // Renamed: the key stays, every ticket of the category shows the new name.
    let (status, renamed) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/ticket-categories/{billing_id}"),
        json!({"name": "Invoices & payments"}),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        (&renamed["key"], &renamed["name"]),
        (&json!("billing"), &json!("Invoices & payments"))
    );
    let detail = app
        .get_json(&format!("/api/v1/tickets/{old_id}"), 200)
        .await;
    assert_eq!(
        (
            &detail["ticket"]["category"],
            &detail["ticket"]["category_name"]
        ),
        (&json!("billing"), &json!("Invoices & payments"))
    );
    let list = app.get_json("/api/v1/tickets?category=billing", 200).await;
    let names: Vec<(&Value, &Value)> = list["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (&t["number"], &t["category_name"]))
        .collect();
    assert_eq!(names, [(&old["number"], &json!("Invoices & payments"))]);
    // The new name picks it too.
    let (status, new) = create_ticket(&app, 4, json!({"category": "invoices & payments"})).await;
    assert_eq!((status, &new["category"]), (201, &json!("billing")));

    // The rename is recorded: who, from, to.
    let history = app
        .get_json(&format!("/api/v1/ticket-categories/{billing_id}"), 200)
        .await;
    let events: Vec<(&Value, &Value, &Value)> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (&e["kind"], &e["from_name"], &e["to_name"]))
        .collect();
    assert_eq!(
        events,
        [
            (&json!("created"), &Value::Null, &json!("Billing")),
            (
                &json!("renamed"),
                &json!("Billing"),
                &json!("Invoices & payments")
            ),
        ]
    );
    assert!(history["history"][1]["actor_user_id"].is_i64(), "{history}");

    // Deactivated: refused for new tickets, kept by the old one.
    let (status, _) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/ticket-categories/{}", outage["id"]),
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, problem) = create_ticket(&app, 5, json!({"category": "outage"})).await;
    assert_eq!(status, 422);
    assert_eq!(
        problem["errors"]["category"],
        json!(["unknown category `outage`; expected one of: billing"])
    );
    let kept = app
        .get_json(&format!("/api/v1/tickets/{}", by_name["id"]), 200)
        .await;
    assert_eq!(kept["ticket"]["category_name"], "Service outage");
    let history = app
        .get_json(&format!("/api/v1/ticket-categories/{}", outage["id"]), 200)
        .await;
    assert_eq!(history["history"][1]["kind"], "deactivated");
}
