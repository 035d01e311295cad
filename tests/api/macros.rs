//! Macros (issue 15, item 6): a reply from a template with ticket placeholders plus field
//! changes, applied in one call and one transaction, audited as a group that names the macro; a
//! refused status change writes nothing; an unknown placeholder is refused when saved.

use crate::helpers::{TestApp, count, jwt_keys};
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
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

/// A staff member made through the API, with a token: (id, token).
async fn staff(app: &TestApp, name: &str, email: &str, role: UserRole) -> (i64, String) {
    let (status, user) = send(
        app,
        &app.admin_token,
        Method::POST,
        "/api/v1/users",
        json!({"name": name, "email": email, "role": role}),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_i64().unwrap();
    let token = jwt_keys(&app.db.settings)
        .issue(id, role, chrono::Utc::now())
        .unwrap();
    (id, token)
}

/// The ticket's events after the first `skip`, notices left out: (kind, actor, data).
pub(crate) async fn events_after(
    app: &TestApp,
    id: i64,
    skip: usize,
) -> Vec<(String, Value, Value)> {
    let body = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await;
    body["events"].as_array().unwrap()[skip..]
        .iter()
        .filter(|e| e["kind"] != "notification")
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["actor_user_id"].clone(),
                e["data"].clone(),
            )
        })
        .collect()
}

pub(crate) async fn event_count(app: &TestApp, id: i64) -> usize {
    app.get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await["events"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_macro_replies_from_its_template_and_changes_fields_in_one_audited_group() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin_token.clone();
    let (ann, ann_token) = staff(&app, "Ann Lee", "ann@staff.test", UserRole::Agent).await;
    let (_, bob_token) = staff(&app, "Bob Roy", "bob@staff.test", UserRole::Agent).await;
    let (_, manager_token) = staff(&app, "May Fox", "may@staff.test", UserRole::Manager).await;
    let (_, team) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/teams",
        json!({"name": "Billing", "kind": "contact_center", "sourcing": "in_house"}),
    )
    .await;
    let team = team["id"].as_i64().unwrap();
    let (_, rosa) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Rosa Diaz", "email": "rosa@example.com"}),
    )
    .await;

    // Saving: an unknown placeholder, a hold without a reason, a manager: refused.
    let (status, problem) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Bad", "reply": "Hi {{requester.name}}, see {{ticket.foo}}"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        problem["errors"]["reply"][0].as_str().unwrap(),
        "unknown placeholder {{ticket.foo}}; known: ticket.id, ticket.number, ticket.subject, \
         requester.name, requester.first_name, agent.name"
    );
    let (status, problem) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Hold", "actions": {"status": "on_hold"}}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        problem["errors"]["actions.hold_reason"].is_array(),
        "{problem}"
    );
    let (status, _) = send(
        &app,
        &manager_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Mine", "reply": "Hello"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, problem) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Everyone", "reply": "Hello", "shared": true}),
    )
    .await;
    assert_eq!(
        (status, &problem["errors"]["shared"].is_array()),
        (403, &true)
    );

    // Ann's personal macro.
    let (status, refund) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({
            "name": "Refund sent",
            "reply": "Hi {{requester.first_name}}, the refund for ticket #{{ ticket.number }} \
                      ({{ticket.subject}}) is on its way. {{agent.name}}",
            "actions": {"status": "pending", "priority": "high", "team_id": team,
                        "add_tags": ["Refund"], "remove_tags": ["billing"]}
        }),
    )
    .await;
    assert_eq!(status, 201, "{refund}");
    let refund_id = refund["id"].as_i64().unwrap();
    assert_eq!(
        refund["actions"],
        json!({"status": "pending", "priority": "high", "team_id": team,
               "add_tags": ["refund"], "remove_tags": ["billing"]})
    );
    // Personal: Bob neither sees nor applies it; the admin sees it.
    let (status, _) = send(
        &app,
        &bob_token,
        Method::GET,
        &format!("/api/v1/macros/{refund_id}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = send(&app, &bob_token, Method::GET, "/api/v1/macros", Value::Null).await;
    assert_eq!(list["macros"], json!([]));
    let (_, list) = send(&app, &admin, Method::GET, "/api/v1/macros", Value::Null).await;
    assert_eq!(list["macros"][0]["name"], "Refund sent");

    let (status, ticket) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        json!({"requester_id": rosa["id"], "subject": "Double charge", "channel": "phone",
               "tags": ["billing", "vip"], "assignee_id": ann}),
    )
    .await;
    assert_eq!(status, 201, "{ticket}");
    let (id, number) = (
        ticket["id"].as_i64().unwrap(),
        ticket["number"].as_i64().unwrap(),
    );
    assert_eq!(ticket["status"], "open");
    let before = event_count(&app, id).await;

    let apply = format!("/api/v1/tickets/{id}/macros/{refund_id}/apply");
    let (status, _) = send(&app, &bob_token, Method::POST, &apply, Value::Null).await;
    assert_eq!(status, 404, "Bob may not use Ann's personal macro");
    let (status, done) = send(&app, &ann_token, Method::POST, &apply, Value::Null).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        done["comment"]["body"],
        format!("Hi Rosa, the refund for ticket #{number} (Double charge) is on its way. Ann Lee")
    );
    assert_eq!(
        (
            &done["comment"]["public"],
            &done["comment"]["author_user_id"]
        ),
        (&json!(true), &json!(ann))
    );
    assert_eq!(
        (
            &done["ticket"]["status"],
            &done["ticket"]["priority"],
            &done["ticket"]["team_id"],
            &done["ticket"]["tags"]
        ),
        (
            &json!("pending"),
            &json!("high"),
            &json!(team),
            &json!(["vip", "refund"])
        )
    );
    assert_eq!(
        events_after(&app, id, before).await,
        vec![
            (
                "macro_applied".into(),
                json!(ann),
                json!({"kind": "macro_applied", "macro_id": refund_id, "name": "Refund sent"})
            ),
            (
                "field_changed".into(),
                json!(ann),
                json!({"kind": "field_changed", "field": "tags", "from": ["billing", "vip"],
                       "to": ["vip", "refund"]})
            ),
            (
                "field_changed".into(),
                json!(ann),
                json!({"kind": "field_changed", "field": "team_id", "from": null, "to": team})
            ),
            (
                "priority_changed".into(),
                json!(ann),
                json!({"kind": "priority_changed", "from": "normal", "to": "high"})
            ),
            (
                "comment_added".into(),
                json!(ann),
                json!({"kind": "comment_added", "author": "agent", "public": true})
            ),
            (
                "status_changed".into(),
                json!(ann),
                json!({"kind": "status_changed", "from": "open", "to": "pending"})
            ),
        ]
    );

    // A shared "solve" macro on an unassigned ticket: the solve is refused, nothing is written.
    let (status, solve) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Solve", "reply": "Solved, {{requester.name}}.", "shared": true,
               "actions": {"status": "solved", "priority": "low"}}),
    )
    .await;
    assert_eq!(status, 201, "{solve}");
    let (_, unassigned) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        json!({"requester_id": rosa["id"], "subject": "Card declined", "channel": "phone"}),
    )
    .await;
    let other = unassigned["id"].as_i64().unwrap();
    let (version, events, comments) = (
        unassigned["version"].clone(),
        event_count(&app, other).await,
        count(
            &mut app.db.conn(),
            &format!("comments WHERE ticket_id = {other}"),
        ),
    );
    let (status, problem) = send(
        &app,
        &bob_token,
        Method::POST,
        &format!("/api/v1/tickets/{other}/macros/{}/apply", solve["id"]),
        Value::Null,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"]["assignee_id"].is_array(), "{problem}");
    let after = app.get_json(&format!("/api/v1/tickets/{other}"), 200).await;
    assert_eq!(
        (&after["ticket"]["version"], &after["ticket"]["priority"]),
        (&version, &json!("normal"))
    );
    assert_eq!(event_count(&app, other).await, events);
    assert_eq!(
        count(
            &mut app.db.conn(),
            &format!("comments WHERE ticket_id = {other}"),
        ),
        comments
    );

    // The owner deletes their macro.
    let (status, _) = send(
        &app,
        &bob_token,
        Method::DELETE,
        &format!("/api/v1/macros/{}", solve["id"]),
        Value::Null,
    )
    .await;
    assert_eq!(
        status, 403,
        "a shared macro is its owner's (or an admin's) to delete"
    );
    let r = app
        .client
        .delete(format!("{}/api/v1/macros/{refund_id}", app.address))
        .bearer_auth(&ann_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
}
