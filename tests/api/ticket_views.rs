//! Saved ticket views (issue 15, item 2): custom field filters (`field.<key>=`) in a view's
//! query, checked against the field definitions when it is saved, applied when it is run and in
//! its count; `PATCH /ticket-views/{id}` with the checks of `POST` and the permissions of
//! `DELETE` (the owner or an admin; another's personal view is 404, a view shared with the
//! caller's team that another saved is 403), nothing written on a refusal.

use crate::helpers::{TestApp, jwt_keys, spawn_app};
use crate::macros::send;
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

/// A staff member of `team` made through the API, with a token: (id, token).
async fn staff(app: &TestApp, name: &str, role: UserRole, team: Option<i64>) -> (i64, String) {
    let email = format!("{}@staff.test", name.to_lowercase());
    let (status, user) = send(
        app,
        &app.admin_token,
        Method::POST,
        "/api/v1/users",
        json!({"name": name, "email": email, "role": role, "team_id": team}),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_i64().unwrap();
    let token = jwt_keys(&app.db.settings)
        .issue(id, role, chrono::Utc::now())
        .unwrap();
    (id, token)
}

/// A team: its id.
async fn team(app: &TestApp, name: &str) -> i64 {
    let (status, team) = send(
        app,
        &app.admin_token,
        Method::POST,
        "/api/v1/teams",
        json!({"name": name, "kind": "contact_center", "sourcing": "in_house"}),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    team["id"].as_i64().unwrap()
}

/// A view as [`views`] lists it.
type Seen = (String, String, Value, Value);

/// The [`Seen`] of a view.
fn seen(name: &str, query: &str, team: Value, count: Value) -> Seen {
    (name.to_string(), query.to_string(), team, count)
}

/// `GET /ticket-views?counts=true` as `token`: (name, query, team_id, count) by name.
async fn views(app: &TestApp, token: &str) -> Vec<Seen> {
    let (status, body) = send(
        app,
        token,
        Method::GET,
        "/api/v1/ticket-views?counts=true",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["query"].as_str().unwrap().to_string(),
                v["team_id"].clone(),
                v["count"].clone(),
            )
        })
        .collect()
}

/// Four tickets with custom field values; their ids in creation order.
/// - K1: power_source battery, visits 2, warranty true
/// - K2: power_source battery, warranty false
/// - K3: power_source mains, visits 2.0
/// - K4: no values
async fn kiosks(app: &TestApp) -> [i64; 4] {
    for body in [
        json!({"key": "power_source", "label": "Power source", "type": "dropdown",
               "options": ["mains", "battery"], "position": 1}),
        json!({"key": "visits", "label": "Visits", "type": "number", "position": 2}),
        json!({"key": "warranty", "label": "Under warranty", "type": "checkbox", "position": 3}),
    ] {
        let (status, field) = send(
            app,
            &app.admin_token,
            Method::POST,
            "/api/v1/ticket-fields",
            body,
        )
        .await;
        assert_eq!(status, 201, "{field}");
    }
    let mut ids = [0; 4];
    for (i, values) in [
        json!({"power_source": "battery", "visits": 2, "warranty": true}),
        json!({"power_source": "battery", "warranty": false}),
        json!({"power_source": "mains", "visits": 2.0}),
        json!({}),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, t) = send(
            app,
            &app.admin_token,
            Method::POST,
            "/api/v1/tickets",
            json!({"requester": {"name": format!("Caller {i}"),
                                 "email": format!("c{i}@example.com")},
                   "subject": format!("K{}", i + 1), "channel": "phone",
                   "custom_fields": values}),
        )
        .await;
        assert_eq!(status, 201, "{t}");
        ids[i] = t["id"].as_i64().unwrap();
    }
    ids
}

#[tokio::test]
async fn a_view_filters_on_custom_fields_checked_when_saved_and_applied_when_run_and_counted() {
    let app = spawn_app().await;
    let [k1, k2, k3, _k4] = kiosks(&app).await;
    let (_, ann) = staff(&app, "Ann", UserRole::Agent, None).await;
    for (name, query) in [
        ("Battery", "field.power_source=battery&sort=created_at"),
        (
            "Battery under warranty",
            "field.power_source=battery&field.warranty=true",
        ),
        ("Two visits", "field.visits=2&sort=created_at"),
        ("New without warranty", "status=new&field.warranty=false"),
    ] {
        let (status, view) = send(
            &app,
            &ann,
            Method::POST,
            "/api/v1/ticket-views",
            json!({"name": name, "query": query}),
        )
        .await;
        assert_eq!(status, 201, "{view}");
        assert_eq!(view["href"], format!("/api/v1/tickets?{query}"));
    }
    let saved = views(&app, &ann).await;
    assert_eq!(
        saved
            .iter()
            .map(|(name, _, _, count)| (name.as_str(), count.clone()))
            .collect::<Vec<_>>(),
        [
            ("Battery", json!(2)),
            ("Battery under warranty", json!(1)),
            ("New without warranty", json!(1)),
            ("Two visits", json!(2)),
        ]
    );
    // Running a view is its href: the same tickets as its count.
    for (query, expected) in [
        ("field.power_source=battery&sort=created_at", vec![k1, k2]),
        ("field.visits=2&sort=created_at", vec![k1, k3]),
        ("status=new&field.warranty=false", vec![k2]),
    ] {
        let (status, list) = send(
            &app,
            &ann,
            Method::GET,
            &format!("/api/v1/tickets?{query}"),
            Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{list}");
        let ids: Vec<i64> = list["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, expected, "{query}");
    }

    // Checked against the definitions when saved: nothing is saved on a refusal.
    for (query, message) in [
        (
            "field.colour=red",
            "not a ticket list query: field.colour: no such custom field",
        ),
        (
            "status=new&field.visits=two",
            "not a ticket list query: field.visits: must be a number",
        ),
        (
            "field.power_source=solar",
            "not a ticket list query: field.power_source: must be one of: mains, battery",
        ),
        (
            "field.warranty=yes",
            "not a ticket list query: field.warranty: must be true or false",
        ),
    ] {
        let (status, problem) = send(
            &app,
            &ann,
            Method::POST,
            "/api/v1/ticket-views",
            json!({"name": "Refused", "query": query}),
        )
        .await;
        assert_eq!(status, 422, "{query}: {problem}");
        assert_eq!(problem["errors"], json!({"query": [message]}), "{query}");
    }
    assert_eq!(views(&app, &ann).await, saved);
}

#[tokio::test]
async fn patch_changes_a_view_as_post_checks_it_for_its_owner_or_an_admin_only() {
    let app = spawn_app().await;
    let [_k1, k2, _k3, _k4] = kiosks(&app).await;
    let desk = team(&app, "Desk").await;
    let field = team(&app, "Field").await;
    let (ann_id, ann) = staff(&app, "Ann", UserRole::Agent, Some(desk)).await;
    let (_, bo) = staff(&app, "Bo", UserRole::Agent, Some(desk)).await;
    let (_, cy) = staff(&app, "Cy", UserRole::Manager, Some(field)).await;
    let create = |name: &str, query: &str, team: Option<i64>| json!({"name": name, "query": query, "team_id": team});
    let (status, mine) = send(
        &app,
        &ann,
        Method::POST,
        "/api/v1/ticket-views",
        create("Mine", "assignee=me", None),
    )
    .await;
    assert_eq!(status, 201, "{mine}");
    let (status, shared) = send(
        &app,
        &ann,
        Method::POST,
        "/api/v1/ticket-views",
        create("Desk battery", "field.power_source=battery", Some(desk)),
    )
    .await;
    assert_eq!(status, 201, "{shared}");
    let mine_path = format!("/api/v1/ticket-views/{}", mine["id"]);
    let shared_path = format!("/api/v1/ticket-views/{}", shared["id"]);

    // The owner changes the name and the query; absent fields are unchanged.
    let (status, changed) = send(
        &app,
        &ann,
        Method::PATCH,
        &mine_path,
        json!({"name": " My queue ", "query": "?assignee=me&status=unsolved&field.warranty=true"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        changed,
        json!({"id": mine["id"], "name": "My queue", "owner_id": ann_id, "team_id": null,
               "query": "assignee=me&status=unsolved&field.warranty=true",
               "href": "/api/v1/tickets?assignee=me&status=unsolved&field.warranty=true",
               "count": null, "created_at": mine["created_at"]})
    );
    // Shared with the owner's team, then personal again (`null`); Bo sees it only meanwhile.
    let (status, changed) = send(
        &app,
        &ann,
        Method::PATCH,
        &mine_path,
        json!({"team_id": desk}),
    )
    .await;
    assert_eq!((status, &changed["team_id"]), (200, &json!(desk)));
    assert_eq!(changed["name"], "My queue");
    assert_eq!(
        views(&app, &bo).await,
        [
            seen(
                "Desk battery",
                "field.power_source=battery",
                json!(desk),
                json!(2)
            ),
            seen(
                "My queue",
                "assignee=me&status=unsolved&field.warranty=true",
                json!(desk),
                json!(0)
            ),
        ]
    );
    let (status, changed) = send(
        &app,
        &ann,
        Method::PATCH,
        &mine_path,
        json!({"team_id": null}),
    )
    .await;
    assert_eq!((status, &changed["team_id"]), (200, &Value::Null));
    assert_eq!(
        views(&app, &bo)
            .await
            .into_iter()
            .map(|v| v.0)
            .collect::<Vec<_>>(),
        ["Desk battery"]
    );

    // Refusals name the field and write nothing.
    let before = views(&app, &ann).await;
    for (token, path, body, status, field, message) in [
        (
            &ann,
            &mine_path,
            json!({"name": " "}),
            422,
            "name",
            "must not be blank",
        ),
        (
            &ann,
            &mine_path,
            json!({"query": "status=later"}),
            422,
            "query",
            "not a ticket list query: status: unknown status `later`; expected new, open, \
             pending, on_hold, solved, closed or unsolved",
        ),
        (
            &ann,
            &mine_path,
            json!({"name": "Renamed", "query": "field.visits=many"}),
            422,
            "query",
            "not a ticket list query: field.visits: must be a number",
        ),
        (
            &ann,
            &mine_path,
            json!({"query": "status=new&per_page=5"}),
            422,
            "query",
            "`per_page` belongs to a page, not to a view",
        ),
        (
            &ann,
            &mine_path,
            json!({"name": "Renamed", "team_id": field}),
            422,
            "team_id",
            "a view is shared with your own team only",
        ),
        (
            &app.admin_token,
            &mine_path,
            json!({"team_id": 999_999}),
            422,
            "team_id",
            "no such team",
        ),
        (
            &ann,
            &mine_path,
            json!({"name": "Desk battery"}),
            409,
            "name",
            "you have a view with this name already",
        ),
        (
            &app.admin_token,
            &mine_path,
            json!({"name": "Desk battery"}),
            409,
            "name",
            "you have a view with this name already",
        ),
    ] {
        let (got, problem) = send(&app, token, Method::PATCH, path, body.clone()).await;
        assert_eq!(got, status, "{body}: {problem}");
        assert_eq!(problem["errors"], json!({field: [message]}), "{body}");
    }
    assert_eq!(views(&app, &ann).await, before);

    // Bo (same team) sees the shared view but did not save it: 403; Ann's personal view and
    // an unknown view are 404 to him; Cy (another team) does not see the shared view: 404.
    for (token, path, status) in [
        (&bo, &shared_path, 403),
        (&bo, &mine_path, 404),
        (&bo, &"/api/v1/ticket-views/999999".to_string(), 404),
        (&cy, &shared_path, 404),
    ] {
        let (got, problem) = send(
            &app,
            token,
            Method::PATCH,
            path,
            json!({"name": "Taken over"}),
        )
        .await;
        assert_eq!(got, status, "{path}: {problem}");
        let (got, problem) = send(&app, token, Method::DELETE, path, Value::Null).await;
        assert_eq!(got, status, "DELETE {path}: {problem}");
    }
    let (_, problem) = send(&app, &bo, Method::PATCH, &shared_path, json!({"name": "x"})).await;
    assert_eq!(
        problem["detail"],
        "a view shared with your team is changed by the one who saved it or an admin"
    );
    let technician = app.token_for(UserRole::Technician);
    let (status, _) = send(
        &app,
        &technician,
        Method::PATCH,
        &shared_path,
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(views(&app, &ann).await, before);

    // An admin changes anyone's view; it keeps its owner and Ann sees the change.
    let (status, changed) = send(
        &app,
        &app.admin_token,
        Method::PATCH,
        &shared_path,
        json!({"name": "Desk battery, no warranty",
               "query": "field.power_source=battery&field.warranty=false", "team_id": field}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (&changed["owner_id"], &changed["team_id"]),
        (&json!(ann_id), &json!(field))
    );
    assert_eq!(
        views(&app, &ann).await,
        [
            seen(
                "Desk battery, no warranty",
                "field.power_source=battery&field.warranty=false",
                json!(field),
                json!(1)
            ),
            seen(
                "My queue",
                "assignee=me&status=unsolved&field.warranty=true",
                Value::Null,
                json!(0)
            ),
        ]
    );
    // Run as Cy, whose team it is shared with now: K2 only (battery, no warranty).
    let (status, list) = send(
        &app,
        &cy,
        Method::GET,
        "/api/v1/tickets?field.power_source=battery&field.warranty=false",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["tickets"][0]["id"], k2);
    assert_eq!(list["tickets"].as_array().unwrap().len(), 1);
    // The owner deletes it.
    let (status, _) = send(&app, &ann, Method::DELETE, &shared_path, Value::Null).await;
    assert_eq!(status, 204);
}
