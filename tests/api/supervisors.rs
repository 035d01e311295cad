//! Supervisors (issue 15, item 4): a manager reassigns, changes the team and the priority and
//! leaves internal notes, each an event of the ticket's log with the manager as actor; a public
//! reply, a status or any other field is a 403 naming the field, and writes nothing; given the
//! agent role too (`also_agent`, by an admin), the manager replies publicly.

use crate::helpers::{TestApp, jwt_keys, spawn_app};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use frontline::schema::{comments, tickets};
use reqwest::Method;
use serde_json::{Value, json};

/// `method path` with `token`, `body` as JSON and `If-Match` when given: (status, content type,
/// body).
async fn send_as(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
    if_match: Option<i32>,
) -> (u16, String, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{}", app.address, path))
        .bearer_auth(token)
        .json(&body);
    if let Some(version) = if_match {
        request = request.header("if-match", format!("\"{version}\""));
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, r.json().await.unwrap_or(Value::Null))
}

fn version(app: &TestApp, id: i64) -> i32 {
    tickets::table
        .find(id)
        .select(tickets::version)
        .first(&mut app.db.conn())
        .unwrap()
}

fn comment_count(app: &TestApp, id: i64) -> i64 {
    comments::table
        .filter(comments::ticket_id.eq(id))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap()
}

/// The ticket's events after the first `skip`: (kind, actor, data).
async fn events_after(app: &TestApp, id: i64, skip: usize) -> Vec<(String, Value, Value)> {
    let body = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await;
    body["events"].as_array().unwrap()[skip..]
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["actor_user_id"].clone(),
                e["data"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_manager_reassigns_and_notes_but_replies_only_with_the_agent_role() {
    let app = spawn_app().await;
    let admin = app.token_for(UserRole::Admin);
    let (manager, _) = app.create_staff(UserRole::Manager);
    let manager_token = jwt_keys(&app.db.settings)
        .issue(manager, UserRole::Manager, chrono::Utc::now())
        .unwrap();
    let (ann, _) = app.create_staff(UserRole::Agent);
    let (_, _, team) = send_as(
        &app,
        &admin,
        Method::POST,
        "/api/v1/teams",
        json!({"name": "Escalations", "kind": "contact_center", "sourcing": "in_house"}),
        None,
    )
    .await;
    let team = team["id"].as_i64().unwrap();
    let (_, _, rosa) = send_as(
        &app,
        &admin,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Rosa", "email": "rosa@example.com"}),
        None,
    )
    .await;
    let (status, _, ticket) = send_as(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        json!({"requester_id": rosa["id"], "subject": "Kiosk down", "channel": "phone"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_i64().unwrap();
    assert_eq!(ticket["priority"], "normal");
    let path = format!("/api/v1/tickets/{id}");
    let before = app.get_json(&format!("{path}/events"), 200).await["events"]
        .as_array()
        .unwrap()
        .len();

    // Reassign, change the team and the priority: one PATCH, four events by the manager.
    let (status, _, t) = send_as(
        &app,
        &manager_token,
        Method::PATCH,
        &path,
        json!({"assignee_id": ann, "team_id": team, "priority": "urgent"}),
        Some(version(&app, id)),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (
            &t["assignee_id"],
            &t["team_id"],
            &t["priority"],
            &t["status"]
        ),
        (&json!(ann), &json!(team), &json!("urgent"), &json!("open"))
    );
    assert_eq!(
        events_after(&app, id, before).await,
        vec![
            (
                "field_changed".into(),
                json!(manager),
                json!({"kind": "field_changed", "field": "team_id", "from": null, "to": team})
            ),
            (
                "assigned".into(),
                json!(manager),
                json!({"kind": "assigned", "from": null, "to": ann})
            ),
            (
                "status_changed".into(),
                json!(manager),
                json!({"kind": "status_changed", "from": "new", "to": "open"})
            ),
            (
                "priority_changed".into(),
                json!(manager),
                json!({"kind": "priority_changed", "from": "normal", "to": "urgent"})
            ),
        ]
    );
    let before = before + 4;

    // Anything else is a 403 naming the field, and writes nothing.
    let v = version(&app, id);
    for (body, field) in [
        (json!({"status": "pending"}), "status"),
        (json!({"priority": "low", "subject": "Renamed"}), "subject"),
        (json!({"tags": ["vip"]}), "tags"),
    ] {
        let (status, content_type, problem) = send_as(
            &app,
            &manager_token,
            Method::PATCH,
            &path,
            body.clone(),
            Some(v),
        )
        .await;
        assert_eq!(
            (status, content_type.as_str()),
            (403, "application/problem+json"),
            "{body}"
        );
        assert_eq!(problem["code"], "forbidden");
        assert_eq!(
            problem["errors"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            vec![field],
            "{problem}"
        );
    }
    assert_eq!(version(&app, id), v);

    // An internal note: allowed, audited with the manager as actor.
    let comments_before = comment_count(&app, id);
    let (status, _, created) = send_as(
        &app,
        &manager_token,
        Method::POST,
        &format!("{path}/comments"),
        json!({"body": "Called twice already; Ann takes it", "public": false}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (
            &created["comment"]["public"],
            &created["comment"]["author_user_id"],
            &created["comment"]["body"]
        ),
        (
            &json!(false),
            &json!(manager),
            &json!("Called twice already; Ann takes it")
        )
    );
    assert_eq!(
        events_after(&app, id, before).await,
        vec![(
            "comment_added".into(),
            json!(manager),
            json!({"kind": "comment_added", "author": "agent", "public": false})
        )]
    );
    assert_eq!(comment_count(&app, id), comments_before + 1);

    // A public reply (the default), a requester's words or a status: 403 naming why.
    for (body, field) in [
        (json!({"body": "We are on it"}), "public"),
        (json!({"body": "We are on it", "public": true}), "public"),
        (
            json!({"body": "Rosa called", "author": "requester"}),
            "author",
        ),
        (
            json!({"body": "Solving", "public": false, "status": "solved"}),
            "status",
        ),
    ] {
        let (status, content_type, problem) = send_as(
            &app,
            &manager_token,
            Method::POST,
            &format!("{path}/comments"),
            body.clone(),
            None,
        )
        .await;
        assert_eq!(
            (status, content_type.as_str()),
            (403, "application/problem+json"),
            "{body}"
        );
        assert_eq!(
            problem["errors"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            vec![field],
            "{problem}"
        );
    }
    assert_eq!(comment_count(&app, id), comments_before + 1);
    assert_eq!(version(&app, id), v + 1, "only the note changed the ticket");

    // An admin gives the manager the agent role too: a public reply now goes through.
    let (status, _, staff) = send_as(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/users/{manager}"),
        json!({"also_agent": true}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{staff}");
    assert_eq!(
        (&staff["role"], &staff["also_agent"]),
        (&json!("manager"), &json!(true))
    );
    let (status, _, created) = send_as(
        &app,
        &manager_token,
        Method::POST,
        &format!("{path}/comments"),
        json!({"body": "We are on it", "status": "pending"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (&created["comment"]["public"], &created["ticket"]["status"]),
        (&json!(true), &json!("pending"))
    );

    // Taken back: refused again.
    let (status, _, _) = send_as(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/users/{manager}"),
        json!({"also_agent": false}),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send_as(
        &app,
        &manager_token,
        Method::POST,
        &format!("{path}/comments"),
        json!({"body": "Again"}),
        None,
    )
    .await;
    assert_eq!(status, 403);
}
