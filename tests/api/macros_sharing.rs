//! Macros shared with a team (issue 15, item 6): who sees and changes one, and a macro without a
//! reply, applied as one PATCH (with `If-Match`).

use crate::helpers::jwt_keys;
use crate::macros::{event_count, events_after, send};
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_team_macro_without_a_reply_changes_fields_as_one_patch() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin_token.clone();
    let mut teams = Vec::new();
    for name in ["Billing", "Field"] {
        let (_, team) = send(
            &app,
            &admin,
            Method::POST,
            "/api/v1/teams",
            json!({"name": name, "kind": "contact_center", "sourcing": "in_house"}),
        )
        .await;
        teams.push(team["id"].as_i64().unwrap());
    }
    let (billing, field) = (teams[0], teams[1]);
    let mut people = Vec::new();
    for (name, team) in [("ann", Some(billing)), ("bob", Some(billing)), ("cy", None)] {
        let (status, user) = send(
            &app,
            &admin,
            Method::POST,
            "/api/v1/users",
            json!({"name": name, "email": format!("{name}@staff.test"), "role": "agent",
                   "team_id": team}),
        )
        .await;
        assert_eq!(status, 201, "{user}");
        let id = user["id"].as_i64().unwrap();
        let token = jwt_keys(&app.db.settings)
            .issue(id, UserRole::Agent, chrono::Utc::now())
            .unwrap();
        people.push((id, token));
    }
    let ((ann, ann_token), (bob, bob_token), (_, cy_token)) =
        (people[0].clone(), people[1].clone(), people[2].clone());

    let (status, problem) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Parts", "reply": "Hi {{requester.name", "team_id": billing}),
    )
    .await;
    assert_eq!(
        (status, problem["errors"]["reply"][0].as_str()),
        (422, Some("a placeholder's {{ is not closed by }}"))
    );
    let (status, problem) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Parts", "team_id": field, "actions": {"priority": "low"}}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(problem["errors"]["team_id"].is_array(), "{problem}");
    let (status, parts) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Parts", "team_id": billing,
               "actions": {"status": "on_hold", "hold_reason": "awaiting_parts",
                           "add_tags": ["parts"]}}),
    )
    .await;
    assert_eq!(status, 201, "{parts}");
    let parts_id = parts["id"].as_i64().unwrap();
    // Bob (same team) sees it; Cy (no team) does not.
    let (_, list) = send(&app, &bob_token, Method::GET, "/api/v1/macros", Value::Null).await;
    assert_eq!(list["macros"][0]["id"], json!(parts_id));
    let (status, _) = send(
        &app,
        &cy_token,
        Method::GET,
        &format!("/api/v1/macros/{parts_id}"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);

    let (_, ticket) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        json!({"requester": {"name": "Lee", "email": "lee@example.com"}, "subject": "Kiosk",
               "channel": "phone", "assignee_id": bob}),
    )
    .await;
    let id = ticket["id"].as_i64().unwrap();
    let version = ticket["version"].as_i64().unwrap();
    let before = event_count(&app, id).await;
    let apply = |if_match: i64| {
        app.client
            .post(format!(
                "{}/api/v1/tickets/{id}/macros/{parts_id}/apply",
                app.address
            ))
            .bearer_auth(&bob_token)
            .header("if-match", format!("\"{if_match}\""))
            .send()
    };
    let r = apply(version + 5).await.unwrap();
    assert_eq!(r.status().as_u16(), 412);
    assert_eq!(
        event_count(&app, id).await,
        before,
        "a stale If-Match writes nothing"
    );
    let r = apply(version).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", version + 1)
    );
    let done: Value = r.json().await.unwrap();
    assert_eq!(
        (
            &done["comment"],
            &done["ticket"]["status"],
            &done["ticket"]["hold_reason"],
            &done["ticket"]["tags"]
        ),
        (
            &Value::Null,
            &json!("on_hold"),
            &json!("awaiting_parts"),
            &json!(["parts"])
        )
    );
    assert_eq!(
        events_after(&app, id, before).await,
        vec![
            (
                "macro_applied".into(),
                json!(bob),
                json!({"kind": "macro_applied", "macro_id": parts_id, "name": "Parts"})
            ),
            (
                "field_changed".into(),
                json!(bob),
                json!({"kind": "field_changed", "field": "tags", "from": [], "to": ["parts"]})
            ),
            (
                "status_changed".into(),
                json!(bob),
                json!({"kind": "status_changed", "from": "open", "to": "on_hold",
                       "reason": "awaiting_parts"})
            ),
        ]
    );

    // Bob may use it, not change it; Ann replaces its content.
    let body = json!({"name": "Parts ordered", "reply": "Parts ordered for #{{ticket.number}}.",
                      "team_id": billing, "actions": {"priority": "high"}});
    let (status, _) = send(
        &app,
        &bob_token,
        Method::PUT,
        &format!("/api/v1/macros/{parts_id}"),
        body.clone(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, replaced) = send(
        &app,
        &ann_token,
        Method::PUT,
        &format!("/api/v1/macros/{parts_id}"),
        body,
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(
        (
            &replaced["name"],
            &replaced["owner_id"],
            &replaced["reply"],
            &replaced["actions"]
        ),
        (
            &json!("Parts ordered"),
            &json!(ann),
            &json!("Parts ordered for #{{ticket.number}}."),
            &json!({"priority": "high"})
        )
    );
}
