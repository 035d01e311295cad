//! Bulk update (issue 15, item 7): up to 100 tickets per call, each change its own audited event,
//! all or nothing per ticket, with a result per ticket.

use crate::helpers::TestApp;
use crate::macros::send;
use crate::merge::{customer, staff, ticket};
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

/// (version, tags, status, event count) of a ticket.
async fn state(app: &TestApp, id: i64) -> (i64, Value, Value, usize) {
    let t = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    (
        t["ticket"]["version"].as_i64().unwrap(),
        t["ticket"]["tags"].clone(),
        t["ticket"]["status"].clone(),
        t["events"].as_array().unwrap().len(),
    )
}

/// The events of a ticket after the first `skip`, notices left out: (kind, actor, data).
async fn events_after(app: &TestApp, id: i64, skip: usize) -> Vec<(String, Value, Value)> {
    crate::macros::events_after(app, id, skip).await
}

#[tokio::test]
async fn a_bulk_update_changes_each_ticket_on_its_own_and_reports_each_result() {
    let app = crate::helpers::spawn_app().await;
    let (ann, ann_token) = staff(&app, "Ann Lee", "ann@staff.test", UserRole::Agent).await;
    let (_, manager_token) = staff(&app, "May Fox", "may@staff.test", UserRole::Manager).await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let mut ids = Vec::new();
    for (subject, assignee) in [("One", Some(ann)), ("Two", None), ("Three", Some(ann))] {
        let (id, _) = ticket(
            &app,
            &ann_token,
            json!({"requester_id": rosa, "subject": subject, "channel": "email",
                   "description": "Help", "description_author": "requester",
                   "tags": ["new"], "assignee_id": assignee}),
        )
        .await;
        ids.push(id);
    }
    let (one, two, three) = (ids[0], ids[1], ids[2]);
    let before_two = state(&app, two).await;
    let seen_one = state(&app, one).await.3;

    // Solve and tag three tickets and an unknown one: "Two" has no assignee, so it cannot be
    // solved and keeps everything; the unknown one is not found; the others are changed.
    let (status, result) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/tickets/bulk",
        json!({"ticket_ids": [one, two, 999_999, three], "status": "solved",
               "add_tags": ["Outage"], "remove_tags": ["new"]}),
    )
    .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(
        (&result["updated"], &result["unchanged"], &result["failed"]),
        (&json!(2), &json!(0), &json!(2))
    );
    let results = result["results"].as_array().unwrap();
    let outcomes: Vec<(i64, &str)> = results
        .iter()
        .map(|r| {
            (
                r["ticket_id"].as_i64().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (one, "updated"),
            (two, "failed"),
            (999_999, "failed"),
            (three, "updated")
        ]
    );
    assert_eq!(results[1]["version"], Value::Null);
    assert_eq!(results[1]["error"]["status"], 422);
    assert_eq!(results[1]["error"]["code"], "validation_failed");
    assert_eq!(
        results[1]["error"]["errors"],
        json!({"assignee_id": ["is required to solve the ticket"]})
    );
    assert_eq!(results[2]["error"]["status"], 404);
    assert_eq!(results[0]["error"], Value::Null);
    // The failure wrote nothing: same version, tags, status and log.
    assert_eq!(state(&app, two).await, before_two);
    // Each change is its own event by the caller, as one PATCH writes them.
    let (version, tags, status, _) = state(&app, one).await;
    assert_eq!(results[0]["version"], version);
    assert_eq!(version, 2);
    assert_eq!(tags, json!(["outage"]));
    assert_eq!(status, "solved");
    assert_eq!(
        events_after(&app, one, seen_one).await,
        [
            (
                "field_changed".to_string(),
                json!(ann),
                json!({"kind": "field_changed", "field": "tags", "from": ["new"], "to": ["outage"]})
            ),
            (
                "status_changed".to_string(),
                json!(ann),
                json!({"kind": "status_changed", "from": "open", "to": "solved"})
            ),
        ]
    );

    // A macro in bulk, after an assignment: "Two" is assigned, then the macro replies and sets
    // it pending; nothing to change is "unchanged".
    let (status, mac) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/macros",
        json!({"name": "Waiting", "reply": "Hi {{requester.first_name}}, we are on it.",
               "actions": {"status": "pending"}}),
    )
    .await;
    assert_eq!(status, 201, "{mac}");
    let seen_two = before_two.3;
    let (status, result) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/tickets/bulk",
        json!({"ticket_ids": [two], "assignee_id": ann, "macro_id": mac["id"]}),
    )
    .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["results"][0]["outcome"], "updated");
    let kinds: Vec<String> = events_after(&app, two, seen_two)
        .await
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    assert_eq!(
        kinds,
        [
            "assigned",
            "status_changed",
            "macro_applied",
            "comment_added",
            "status_changed"
        ]
    );
    let (status, result) = send(
        &app,
        &ann_token,
        Method::POST,
        "/api/v1/tickets/bulk",
        json!({"ticket_ids": [one], "add_tags": ["outage"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        result["results"][0],
        json!({"ticket_id": one, "outcome": "unchanged", "version": 2, "error": null})
    );

    // Whole-request errors write nothing: no change, too many tickets, a repeat, a macro the
    // caller may not use; a manager changes assignees only.
    for (body, field) in [
        (json!({"ticket_ids": [one]}), "status"),
        (
            json!({"ticket_ids": (1..=101).collect::<Vec<i64>>(), "status": "open"}),
            "ticket_ids",
        ),
        (
            json!({"ticket_ids": [one, one], "status": "open"}),
            "ticket_ids",
        ),
        (
            json!({"ticket_ids": [one], "macro_id": 999_999}),
            "macro_id",
        ),
    ] {
        let (status, problem) =
            send(&app, &ann_token, Method::POST, "/api/v1/tickets/bulk", body).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem["errors"][field].is_array(), "{problem}");
    }
    let (status, problem) = send(
        &app,
        &manager_token,
        Method::POST,
        "/api/v1/tickets/bulk",
        json!({"ticket_ids": [three], "status": "open"}),
    )
    .await;
    assert_eq!(status, 403);
    assert!(problem["errors"]["status"].is_array(), "{problem}");
    let (status, result) = send(
        &app,
        &manager_token,
        Method::POST,
        "/api/v1/tickets/bulk",
        json!({"ticket_ids": [three], "assignee_id": null}),
    )
    .await;
    // A solved ticket keeps its assignee: the manager's unassignment fails for it alone.
    assert_eq!(status, 200);
    assert_eq!(result["results"][0]["outcome"], "failed");
    assert_eq!(
        result["results"][0]["error"]["errors"],
        json!({"assignee_id": ["a solved ticket keeps its assignee"]})
    );
}
