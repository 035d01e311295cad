//! Redaction (issue 15, item 9): an admin removes a card number typed by mistake from a comment;
//! the comment, the ticket's description when the comment is it, the search, the list CSV, the
//! queued notice and the event log no longer hold it; the log records who redacted what comment
//! when, and how much, never the text. Only admins; 404 for an unknown comment; 422 naming
//! `text`.

use crate::helpers::{TestApp, count, spawn_app};
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

const CARD: &str = "4111 1111 1111 1111";

async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .request(method, format!("{}{}", app.address, path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn text_of(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "GET {path}");
    r.text().await.unwrap()
}

/// Rows of `table` for ticket `id` whose text holds the card's first group.
fn rows_with_card(app: &TestApp, table: &str, column: &str, id: i64) -> i64 {
    count(
        &mut app.db.conn(),
        &format!("{table} WHERE ticket_id = {id} AND {column}::text LIKE '%4111%'"),
    )
}

#[tokio::test]
async fn a_redacted_card_number_is_gone_from_every_copy() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let admin_id = app.get_json("/api/v1/me", 200).await["id"]
        .as_i64()
        .unwrap();
    let (status, rosa) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Rosa", "email": "rosa@example.com"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, ticket) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        json!({"requester_id": rosa["id"], "subject": "Refund", "channel": "phone",
               "description": "Charged twice", "description_author": "requester"}),
    )
    .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_i64().unwrap();
    let body = format!("Refunded to card {CARD} (ending {CARD}); allow 5 days");
    let (status, created) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/tickets/{id}/comments"),
        json!({"body": body}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let comment = created["comment"]["id"].as_i64().unwrap();
    let version = created["ticket"]["version"].as_i64().unwrap();
    // Before: the search finds it, the queued reply holds it.
    let found = app.get_json("/api/v1/tickets?q=4111", 200).await;
    assert_eq!(found["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(rows_with_card(&app, "outbox", "data", id), 1);

    let path = format!("/api/v1/tickets/{id}/comments/{comment}/redactions");
    // Refusals write nothing.
    let agent = app.token_for(UserRole::Agent);
    let manager = app.token_for(UserRole::Manager);
    for token in [&agent, &manager] {
        let (status, _) = send(&app, token, Method::POST, &path, json!({"text": CARD})).await;
        assert_eq!(status, 403);
    }
    for text in ["", "5555", "4111 1111 1111 1112"] {
        let (status, problem) =
            send(&app, &admin, Method::POST, &path, json!({"text": text})).await;
        assert_eq!(status, 422, "{text:?}");
        assert!(problem["errors"]["text"].is_array(), "{problem}");
    }
    let (status, problem) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/tickets/{id}/comments/999999/redactions"),
        json!({"text": CARD}),
    )
    .await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (404, Some("comment not found"))
    );
    let (status, _) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/tickets/999999/comments/{comment}/redactions"),
        json!({"text": CARD}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(rows_with_card(&app, "comments", "body", id), 1);

    // The redaction: 2 occurrences × 19 characters.
    let (status, done) = send(&app, &admin, Method::POST, &path, json!({"text": CARD})).await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(
        (
            &done["comment"]["body"],
            &done["occurrences"],
            &done["characters_removed"],
            &done["description_redacted"],
            &done["ticket_version"]
        ),
        (
            &json!("Refunded to card [redacted] (ending [redacted]); allow 5 days"),
            &json!(2),
            &json!(38),
            &json!(false),
            &json!(version + 1)
        )
    );

    // The comments, the search, the CSV, the log: no digits.
    let comments = text_of(&app, &format!("/api/v1/tickets/{id}/comments")).await;
    assert!(!comments.contains("4111"), "{comments}");
    assert!(comments.contains("Refunded to card [redacted] (ending [redacted]); allow 5 days"));
    let found = app.get_json("/api/v1/tickets?q=4111", 200).await;
    assert_eq!(found["tickets"], json!([]));
    let found = app.get_json("/api/v1/tickets?q=refunded", 200).await;
    assert_eq!(
        found["tickets"].as_array().unwrap().len(),
        1,
        "the rest stays searchable"
    );
    let csv = text_of(&app, "/api/v1/tickets?format=csv").await;
    assert!(csv.contains("Refund") && !csv.contains("4111"), "{csv}");
    let events = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await;
    assert!(!events.to_string().contains("4111"));
    let last = events["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["kind"], &last["actor_user_id"], &last["data"]),
        (
            &json!("comment_redacted"),
            &json!(admin_id),
            &json!({"kind": "comment_redacted", "comment_id": comment, "occurrences": 2,
                    "characters_removed": 38, "description": false})
        )
    );
    // And in the database: comments, events, the queued notice, the search vector.
    let mut conn = app.db.conn();
    assert_eq!(rows_with_card(&app, "comments", "body", id), 0);
    assert_eq!(rows_with_card(&app, "ticket_events", "data", id), 0);
    assert_eq!(rows_with_card(&app, "outbox", "data", id), 0);
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "tickets WHERE id = {id} AND (search_vector::text LIKE '%4111%' OR description LIKE '%4111%')"
            )
        ),
        0
    );
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "outbox WHERE ticket_id = {id} AND data->>'body' = 'Refunded to card [redacted] (ending [redacted]); allow 5 days'"
            )
        ),
        1
    );
}

#[tokio::test]
async fn redacting_the_first_comment_redacts_the_description() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    // Created with an Idempotency-Key: the stored response holds the description too.
    let create = json!({"requester": {"name": "Sam", "email": "sam@example.com"},
                        "subject": "Refund", "channel": "phone",
                        "description": format!("My card {CARD} was charged twice"),
                        "description_author": "requester"});
    let post = || {
        app.client
            .post(format!("{}/api/v1/tickets", app.address))
            .bearer_auth(&admin)
            .header("idempotency-key", "refund-sam-1")
            .json(&create)
            .send()
    };
    let r = post().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let ticket: Value = r.json().await.unwrap();
    let id = ticket["id"].as_i64().unwrap();
    let comments = app
        .get_json(&format!("/api/v1/tickets/{id}/comments"), 200)
        .await;
    let first = comments["comments"][0]["id"].as_i64().unwrap();
    let (status, done) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/tickets/{id}/comments/{first}/redactions"),
        json!({"text": CARD}),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(
        (
            &done["occurrences"],
            &done["characters_removed"],
            &done["description_redacted"]
        ),
        (&json!(1), &json!(19), &json!(true))
    );
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(
        detail["ticket"]["description"],
        "My card [redacted] was charged twice"
    );
    assert!(!detail.to_string().contains("4111"));
    assert_eq!(
        app.get_json("/api/v1/tickets?q=4111", 200).await["tickets"],
        json!([])
    );
    // The retry of the creation replays the redacted ticket.
    assert_eq!(
        count(
            &mut app.db.conn(),
            "idempotency_keys WHERE response_body::text LIKE '%4111%'"
        ),
        0
    );
    let r = post().await.unwrap();
    assert_eq!(r.headers()["idempotent-replayed"].to_str().unwrap(), "true");
    let replayed: Value = r.json().await.unwrap();
    assert_eq!(
        (&replayed["id"], &replayed["description"]),
        (&json!(id), &json!("My card [redacted] was charged twice"))
    );
}
