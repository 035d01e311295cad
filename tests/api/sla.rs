//! SLA policies through the API and the live clocks of a ticket.

use crate::helpers::spawn_app;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

async fn send(
    app: &crate::helpers::TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = app
        .client
        .request(method, format!("{}{}", app.address, path))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_first_matching_policy_sets_the_clocks_of_a_ticket() {
    let app = spawn_app().await;
    let (status, phone) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/sla-policies",
        json!({"name": "Phone", "position": 1, "conditions": {"channels": ["phone"]},
               "targets": {"urgent": {"first_reply": {"seconds": 3600, "business": false},
                                      "resolution": {"seconds": 14400, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201, "{phone}");
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/sla-policies",
        json!({"name": "Default", "position": 2,
               "targets": {"normal": {"first_reply": {"seconds": 86400, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201);

    let (_, ticket) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/tickets",
        json!({"requester": {"name": "Rosa"}, "subject": "Kiosk down", "channel": "phone", "priority": "urgent"}),
    )
    .await;
    let id = ticket["id"].as_i64().unwrap();
    let created: DateTime<Utc> = ticket["created_at"].as_str().unwrap().parse().unwrap();
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["sla"]["policy_name"], "Phone");
    let clocks = detail["sla"]["clocks"].as_array().unwrap();
    let kinds: Vec<&str> = clocks.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["first_reply", "resolution"]);
    let first = &clocks[0];
    assert_eq!(first["status"], "active");
    assert_eq!(first["target_seconds"], 3600);
    let due: DateTime<Utc> = first["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        due.timestamp(),
        created.timestamp() + 3600,
        "calendar target: created + 1 h"
    );

    // The agent replies: first reply achieved; resolution still running.
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/tickets/{id}/comments"),
        json!({"body": "On it."}),
    )
    .await;
    assert_eq!(status, 201);
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["sla"]["clocks"][0]["status"], "achieved");
    assert_eq!(detail["sla"]["clocks"][1]["status"], "active");

    // An email ticket of normal priority falls to the default policy; a low one has no target.
    let (_, email) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/tickets",
        json!({"requester_id": ticket["requester_id"], "subject": "Question", "channel": "email"}),
    )
    .await;
    let detail = app
        .get_json(&format!("/api/v1/tickets/{}", email["id"]), 200)
        .await;
    assert_eq!(detail["sla"]["policy_name"], "Default");
    assert_eq!(detail["sla"]["clocks"][0]["target_seconds"], 86400);

    // Deactivating the default policy leaves the email ticket without SLA.
    let list = app.get_json("/api/v1/sla-policies", 200).await;
    let default_id = list["policies"][1]["id"].as_i64().unwrap();
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/sla-policies/{default_id}"),
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200);
    let detail = app
        .get_json(&format!("/api/v1/tickets/{}", email["id"]), 200)
        .await;
    assert_eq!(detail["sla"], Value::Null);
}

#[tokio::test]
async fn bad_policies_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"name": "X", "position": 1, "targets": {"urgent": {"first_reply": {"seconds": 0, "business": true}}}}),
            "targets.urgent.first_reply.seconds",
        ),
        (
            json!({"name": "X", "position": 1, "targets": {}}),
            "targets",
        ),
        (
            json!({"name": "X", "position": 1, "targets": {"asap": {}}}),
            "targets",
        ),
        (
            json!({"name": "X", "position": 1, "targets": {"low": {"first_reply": {"seconds": 60}}}}),
            "targets.low.first_reply.business",
        ),
        (
            json!({"name": "X", "position": 1, "conditions": {"channels": "phone"}, "targets": {"low": {}}}),
            "conditions.channels",
        ),
        (
            json!({"name": " ", "position": 1, "targets": {"low": {}}}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = send(
            &app,
            reqwest::Method::POST,
            "/api/v1/sla-policies",
            body.clone(),
        )
        .await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(
            problem["errors"]
                .as_object()
                .unwrap()
                .keys()
                .any(|k| k.starts_with(field)),
            "{body}: {problem}"
        );
    }
}
