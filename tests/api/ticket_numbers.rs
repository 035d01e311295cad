//! The number people quote: `GET /tickets/by-number/{number}`, `number=` and a number in `q=`,
//! with an id and a number made equal on purpose so that confusing them would show.

use crate::helpers::{TestApp, spawn_app};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

async fn customer(app: &TestApp) -> i64 {
    let r = app
        .send_admin(
            Method::POST,
            "/api/v1/customers",
            Some(&json!({"name": "Rosa", "email": "rosa@example.com"})),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn ticket(app: &TestApp, requester: i64, subject: &str, description: &str) -> Value {
    let r = app
        .send_admin(
            Method::POST,
            "/api/v1/tickets",
            Some(&json!({"requester_id": requester, "subject": subject,
                         "description": description, "channel": "phone"})),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.unwrap()
}

fn subjects(body: &Value) -> Vec<&str> {
    body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap())
        .collect()
}

/// Ticket A; then the number sequence is set so that ticket B's *number* is A's *id*, and C's
/// description quotes that integer as a word.
async fn colliding(app: &TestApp) -> (Value, Value, Value) {
    let rosa = customer(app).await;
    let a = ticket(app, rosa, "Kiosk down", "Screen black").await;
    let a_id = a["id"].as_i64().unwrap();
    diesel::sql_query(format!("SELECT setval('ticket_number_seq', {a_id}, false)"))
        .execute(&mut app.db.conn())
        .unwrap();
    let b = ticket(app, rosa, "Phone dead", "No dial tone").await;
    let c = ticket(
        app,
        rosa,
        "Callback",
        &format!("Caller quoted {a_id} twice"),
    )
    .await;
    assert_eq!(b["number"].as_i64(), Some(a_id), "B's number is A's id");
    assert_ne!(b["id"].as_i64(), Some(a_id));
    (a, b, c)
}

#[tokio::test]
async fn a_number_finds_its_ticket_and_never_the_ticket_with_that_id() {
    let app = spawn_app().await;
    let (a, b, _) = colliding(&app).await;
    let shared = a["id"].as_i64().unwrap();
    let b_id = b["id"].as_i64().unwrap();

    // The id route keeps meaning the id: A.
    let by_id = app
        .get_json(&format!("/api/v1/tickets/{shared}"), 200)
        .await;
    assert_eq!(by_id["ticket"]["subject"], "Kiosk down");

    // The number route means the number: B, whose id is different.
    for path in [
        format!("/api/v1/tickets/by-number/{shared}"),
        format!("/api/v1/tickets/by-number/%23{shared}"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(
            r.headers()["content-location"].to_str().unwrap(),
            format!("/api/v1/tickets/{b_id}")
        );
        assert_eq!(r.headers()["etag"].to_str().unwrap(), "\"1\"");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["ticket"]["subject"], "Phone dead");
        assert_eq!(body["ticket"]["id"], b_id);
        assert_eq!(body["ticket"]["number"], shared);
        assert_eq!(body["events"][0]["kind"], "created");
    }
    // A by its own number.
    let a_number = a["number"].as_i64().unwrap();
    let body = app
        .get_json(&format!("/api/v1/tickets/by-number/{a_number}"), 200)
        .await;
    assert_eq!(body["ticket"]["id"], shared);
}

#[tokio::test]
async fn a_number_that_is_not_one_is_400_naming_number_and_an_unknown_one_404() {
    let app = spawn_app().await;
    colliding(&app).await;
    // Not digits (or more than 18 of them, outside the documented pattern): 400.
    for bad in ["abc", "-5", "12a", "%23", "99999999999999999999"] {
        let r = app.get(&format!("/api/v1/tickets/by-number/{bad}")).await;
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let body: Value = r.json().await.unwrap();
        assert!(body["errors"]["number"].is_array(), "{bad}: {body}");
    }
    // Well-formed digits no ticket has (0 included): 404.
    for unknown in ["999999", "0", "%230"] {
        let r = app
            .get(&format!("/api/v1/tickets/by-number/{unknown}"))
            .await;
        assert_eq!(r.status().as_u16(), 404, "{unknown}");
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    }
}

#[tokio::test]
async fn a_technician_without_a_work_order_gets_404_by_number() {
    let app = spawn_app().await;
    let (_, b, _) = colliding(&app).await;
    let number = b["number"].as_i64().unwrap();
    let technician = app.token_for(UserRole::Technician);
    let r = app
        .get_as(
            Some(&technician),
            &format!("/api/v1/tickets/by-number/{number}"),
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    assert!(!r.text().await.unwrap().contains("Phone dead"));
}

#[tokio::test]
async fn the_list_filters_by_number_and_a_search_for_a_number_finds_that_ticket() {
    let app = spawn_app().await;
    let (a, _, _) = colliding(&app).await;
    let shared = a["id"].as_i64().unwrap();
    let a_number = a["number"].as_i64().unwrap();
    let list = |query: String| {
        let app = &app;
        async move { app.get_json(&format!("/api/v1/tickets?{query}"), 200).await }
    };
    assert_eq!(
        subjects(&list(format!("number={shared}")).await),
        ["Phone dead"]
    );
    assert_eq!(
        subjects(&list(format!("number=%23{shared},{a_number}")).await),
        ["Phone dead", "Kiosk down"]
    );
    // `#N`: the ticket numbered N only; a bare `N` also the tickets whose text holds the word N
    // (C quotes it), newest first; never A, whose *id* is N.
    assert_eq!(
        subjects(&list(format!("q=%23{shared}")).await),
        ["Phone dead"]
    );
    assert_eq!(
        subjects(&list(format!("q={shared}")).await),
        ["Callback", "Phone dead"]
    );
    assert_eq!(
        subjects(&list(format!("q=%20{a_number}%20")).await),
        ["Kiosk down"]
    );
    // Combined with other filters, the number search still narrows.
    assert_eq!(
        subjects(&list(format!("q={shared}&status=open")).await),
        Vec::<&str>::new()
    );
    let r = app.get("/api/v1/tickets?number=12,x").await;
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["errors"]["number"][0],
        "`x` is not a ticket number (e.g. 6118 or #6118)"
    );
}
