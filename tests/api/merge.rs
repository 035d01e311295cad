//! Merging duplicates and problems with their incidents (issue 15, item 7): a merge keeps every
//! comment, closes the merged ticket with its link and takes it out of every figure while the
//! surviving ticket keeps its clock; solving a problem solves its incidents with a public reply
//! to each requester.

use crate::helpers::{TestApp, count, jwt_keys};
use crate::macros::send;
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

/// A staff member made through the API, with a token: (id, token).
pub(crate) async fn staff(app: &TestApp, name: &str, email: &str, role: UserRole) -> (i64, String) {
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

/// A customer with an email: its id.
pub(crate) async fn customer(app: &TestApp, name: &str, email: &str) -> i64 {
    let (status, c) = send(
        app,
        &app.admin_token,
        Method::POST,
        "/api/v1/customers",
        json!({"name": name, "email": email}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    c["id"].as_i64().unwrap()
}

/// A ticket made by `token` with `body` (subject, requester, …): (id, number).
pub(crate) async fn ticket(app: &TestApp, token: &str, body: Value) -> (i64, i64) {
    let (status, t) = send(app, token, Method::POST, "/api/v1/tickets", body).await;
    assert_eq!(status, 201, "{t}");
    (t["id"].as_i64().unwrap(), t["number"].as_i64().unwrap())
}

/// The comments of a ticket: (author_kind, public, body).
async fn comments(app: &TestApp, id: i64) -> Vec<(String, bool, String)> {
    let body = app
        .get_json(&format!("/api/v1/tickets/{id}/comments"), 200)
        .await;
    body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["author_kind"].as_str().unwrap_or_default().to_string(),
                c["public"].as_bool().unwrap(),
                c["body"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The events of a ticket: (kind, data).
async fn events(app: &TestApp, id: i64) -> Vec<(String, Value)> {
    app.get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_string(), e["data"].clone()))
        .collect()
}

/// Outbox rows of a ticket of one notice kind.
fn outbox(app: &TestApp, ticket: i64, kind: &str) -> i64 {
    count(
        &mut app.db.conn(),
        &format!("outbox WHERE ticket_id = {ticket} AND kind = '{kind}'"),
    )
}

#[tokio::test]
async fn a_merge_keeps_every_comment_closes_the_duplicate_and_takes_it_out_of_every_figure() {
    let app = crate::helpers::spawn_app().await;
    let (ann, ann_token) = staff(&app, "Ann Lee", "ann@staff.test", UserRole::Agent).await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let sam = customer(&app, "Sam Ng", "sam@example.com").await;
    let (target, target_number) = ticket(
        &app,
        &ann_token,
        json!({"requester_id": rosa, "subject": "Printer down", "channel": "email",
               "description": "The printer on floor 2 is down.",
               "description_author": "requester", "assignee_id": ann}),
    )
    .await;
    let (source, source_number) = ticket(
        &app,
        &ann_token,
        json!({"requester_id": sam, "subject": "Printer still down", "channel": "email",
               "description": "Floor 2 printer again.", "description_author": "requester"}),
    )
    .await;
    // The surviving ticket gets a reply (its first reply time stops); the duplicate a requester
    // comment and an internal note.
    for (id, body) in [
        (target, json!({"body": "Looking into it.", "public": true})),
        (
            source,
            json!({"body": "It jams on every page.", "author": "requester"}),
        ),
        (source, json!({"body": "Toner checked.", "public": false})),
    ] {
        let (status, c) = send(
            &app,
            &ann_token,
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            body,
        )
        .await;
        assert_eq!(status, 201, "{c}");
    }
    let before = app
        .get_json(&format!("/api/v1/tickets/{target}"), 200)
        .await;
    let summary = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(summary["tickets_created"], 2);
    let source_comments = comments(&app, source).await;
    assert_eq!(source_comments.len(), 3);
    let target_comments = comments(&app, target).await;
    let sam_replies = outbox(&app, source, "agent_reply");

    // Refused, nothing written: into itself, a technician, an unknown ticket.
    let (status, problem) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{target}/merge"),
        json!({"ticket_ids": [source, target]}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        problem["errors"]["ticket_ids"][0],
        "a ticket cannot be merged into itself"
    );
    let technician = app.token_for(UserRole::Technician);
    let (status, _) = send(
        &app,
        &technician,
        Method::POST,
        &format!("/api/v1/tickets/{target}/merge"),
        json!({"ticket_ids": [source]}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{target}/merge"),
        json!({"ticket_ids": [source, 999_999]}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(comments(&app, source).await.len(), 3);

    let (status, merged) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{target}/merge"),
        json!({"ticket_ids": [source]}),
    )
    .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["comments_copied"], 3);
    assert_eq!(merged["ticket"]["id"], target);
    assert_eq!(merged["ticket"]["merged_into_id"], Value::Null);
    assert_eq!(merged["merged"][0]["id"], source);
    assert_eq!(merged["merged"][0]["status"], "closed");
    assert_eq!(merged["merged"][0]["merged_into_id"], target);
    assert_eq!(merged["merged"][0]["requester_id"], sam);

    // The duplicate keeps its comments and requester, and tells Sam where it went.
    let mut expected = source_comments.clone();
    expected.push((
        "agent".into(),
        true,
        format!("This request was closed and merged into request #{target_number} (Printer down)."),
    ));
    assert_eq!(comments(&app, source).await, expected);
    assert_eq!(outbox(&app, source, "agent_reply"), sam_replies + 1);
    let tail: Vec<String> = events(&app, source)
        .await
        .into_iter()
        .rev()
        .take(4)
        .map(|(k, d)| match k.as_str() {
            "linked" => format!("linked {} {}", d["link"], d["ticket_id"]),
            "status_changed" => format!("status {} -> {}", d["from"], d["to"]),
            "notification" => format!("notification {}", d["notice"]),
            _ => k,
        })
        .collect();
    assert_eq!(
        tail,
        [
            "status \"new\" -> \"closed\"".to_string(),
            "notification \"agent_reply\"".into(),
            "comment_added".into(),
            format!("linked \"merged_into\" {target}"),
        ]
    );

    // The surviving ticket: its own comments, then each of the duplicate's as an internal note.
    let mut expected = target_comments.clone();
    let quoted = [
        (
            "public comment",
            "Sam Ng (requester)",
            "Floor 2 printer again.",
        ),
        (
            "public comment",
            "Sam Ng (requester)",
            "It jams on every page.",
        ),
        ("internal note", "Ann Lee", "Toner checked."),
    ];
    let now_comments = comments(&app, target).await;
    for (i, (what, who, text)) in quoted.iter().enumerate() {
        let body = &now_comments[target_comments.len() + i].2;
        let prefix =
            format!("Merged from ticket #{source_number} (Printer still down), {what} by {who}, ");
        assert!(body.starts_with(&prefix), "{body}");
        assert!(body.ends_with(&format!(":\n\n{text}")), "{body}");
        expected.push(("agent".into(), false, body.clone()));
    }
    assert_eq!(now_comments, expected);
    let target_events = events(&app, target).await;
    let new_events: Vec<&str> = target_events[before["events"].as_array().unwrap().len()..]
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        new_events,
        ["linked", "comment_added", "comment_added", "comment_added"]
    );
    // Its clock is its own: every metric as before the merge.
    let after = app
        .get_json(&format!("/api/v1/tickets/{target}"), 200)
        .await;
    assert_eq!(after["metrics"], before["metrics"]);
    assert_eq!(after["metrics"]["replies"], 1);
    assert_eq!(after["sla"], before["sla"]);

    // The duplicate counts in no figure: one ticket created, one first reply.
    let summary = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(summary["tickets_created"], 1);
    assert_eq!(summary["first_reply_time"]["count"], 1);

    // Merged again: closed, refused; Sam writing on the duplicate writes on the surviving ticket.
    let (status, problem) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{target}/merge"),
        json!({"ticket_ids": [source]}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "ticket_closed");
    assert!(problem["errors"]["ticket_ids"].is_array(), "{problem}");
    let (status, c) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{source}/comments"),
        json!({"body": "Any news?", "author": "requester"}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["ticket"]["id"], target);
    assert_eq!(
        comments(&app, target).await.last().unwrap(),
        &("customer".to_string(), true, "Any news?".to_string())
    );
    let summary = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(summary["tickets_created"], 1);
}

#[tokio::test]
async fn solving_a_problem_solves_its_incidents_with_a_public_reply_to_each_requester() {
    let app = crate::helpers::spawn_app().await;
    let (ann, ann_token) = staff(&app, "Ann Lee", "ann@staff.test", UserRole::Agent).await;
    let (bob, bob_token) = staff(&app, "Bob Roy", "bob@staff.test", UserRole::Agent).await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let sam = customer(&app, "Sam Ng", "sam@example.com").await;
    let ops = customer(&app, "Network Ops", "ops@example.com").await;
    let (problem, _) = ticket(
        &app,
        &ann_token,
        json!({"requester_id": ops, "subject": "Mail outage", "channel": "web",
               "description": "Outbound mail is down.", "assignee_id": ann}),
    )
    .await;
    let (rosa_ticket, _) = ticket(
        &app,
        &bob_token,
        json!({"requester_id": rosa, "subject": "Cannot send mail", "channel": "email",
               "description": "Mail bounces.", "description_author": "requester",
               "assignee_id": bob}),
    )
    .await;
    let (sam_ticket, _) = ticket(
        &app,
        &bob_token,
        json!({"requester_id": sam, "subject": "Mail stuck", "channel": "email",
               "description": "Outbox full.", "description_author": "requester"}),
    )
    .await;
    let (other, other_number) = ticket(
        &app,
        &ann_token,
        json!({"requester_id": ops, "subject": "Another problem", "channel": "web",
               "description": "x",
               "assignee_id": ann}),
    )
    .await;

    let (status, linked) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{problem}/incidents"),
        json!({"ticket_ids": [sam_ticket, rosa_ticket]}),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(
        linked,
        json!({"ticket_id": problem, "problem_id": null,
               "incident_ids": [rosa_ticket, sam_ticket]})
    );
    let incident = app
        .get_json(&format!("/api/v1/tickets/{rosa_ticket}/incidents"), 200)
        .await;
    assert_eq!(
        incident,
        json!({"ticket_id": rosa_ticket, "problem_id": problem, "incident_ids": []})
    );
    let (kind, data) = events(&app, rosa_ticket).await.pop().unwrap();
    assert_eq!(
        (kind.as_str(), data),
        (
            "linked",
            json!({"kind": "linked", "link": "problem", "ticket_id": problem})
        )
    );
    // An incident has one problem; a problem is no incident.
    let (status, refused) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{other}/incidents"),
        json!({"ticket_ids": [rosa_ticket]}),
    )
    .await;
    assert_eq!((status, &refused["code"]), (409, &json!("already_linked")));
    let (status, refused) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{rosa_ticket}/incidents"),
        json!({"ticket_ids": [other]}),
    )
    .await;
    assert_eq!(
        (status, &refused["code"]),
        (409, &json!("problem_is_incident"))
    );

    let seen = [
        events(&app, rosa_ticket).await.len(),
        events(&app, sam_ticket).await.len(),
    ];
    let fix = "Fixed: the mail relay was replaced. Please retry sending.";
    let (status, c) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{problem}/comments"),
        json!({"body": fix, "public": true, "status": "solved"}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["ticket"]["status"], "solved");

    for (id, skip, assigned) in [(rosa_ticket, seen[0], bob), (sam_ticket, seen[1], ann)] {
        let t = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
        assert_eq!(t["ticket"]["status"], "solved", "ticket {id}");
        assert_eq!(t["ticket"]["assignee_id"], assigned);
        assert_eq!(
            comments(&app, id).await.last().unwrap(),
            &("agent".to_string(), true, fix.to_string())
        );
        let written: Vec<String> = events(&app, id).await[skip..]
            .iter()
            .map(|(k, d)| match k.as_str() {
                "status_changed" => format!("status {}", d["to"]),
                "notification" => format!("notification {} {}", d["notice"], d["outcome"]),
                "assigned" => format!("assigned {}", d["to"]),
                _ => k.clone(),
            })
            .collect();
        let mut expected = Vec::new();
        if id == sam_ticket {
            // Unassigned: first given to the problem's assignee (new -> open).
            expected.push(format!("assigned {ann}"));
            expected.push("status \"open\"".to_string());
        }
        expected.extend([
            "comment_added".to_string(),
            "notification \"agent_reply\" \"queued\"".into(),
            "status \"solved\"".into(),
            "notification \"ticket_solved\" \"queued\"".into(),
        ]);
        assert_eq!(written, expected, "ticket {id}");
        // One reply and one solve notice per requester.
        assert_eq!(outbox(&app, id, "agent_reply"), 1, "ticket {id}");
        assert_eq!(outbox(&app, id, "ticket_solved"), 1, "ticket {id}");
    }
    let rosa_mail = count(
        &mut app.db.conn(),
        &format!(
            "outbox WHERE customer_id = {rosa} AND kind = 'agent_reply' AND data->>'body' = '{fix}'"
        ),
    );
    assert_eq!(rosa_mail, 1);
    // Solving the problem again changes nothing; reopening one incident touches no other.
    let (status, c) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{rosa_ticket}/comments"),
        json!({"body": "Still failing", "author": "requester"}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let sam_after = app
        .get_json(&format!("/api/v1/tickets/{sam_ticket}"), 200)
        .await;
    assert_eq!(sam_after["ticket"]["status"], "solved");

    // A problem solved by PATCH (no comment): its incident's requester gets the standard reply.
    let (late, _) = ticket(
        &app,
        &bob_token,
        json!({"requester_id": sam, "subject": "Printing slow", "channel": "email",
               "description": "Slow.", "description_author": "requester", "assignee_id": bob}),
    )
    .await;
    let (status, _) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{other}/incidents"),
        json!({"ticket_ids": [late]}),
    )
    .await;
    assert_eq!(status, 200);
    let version = app.get_json(&format!("/api/v1/tickets/{other}"), 200).await["ticket"]["version"]
        .as_i64()
        .unwrap();
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{other}", app.address))
        .bearer_auth(&ann_token)
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"status": "solved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let t = app.get_json(&format!("/api/v1/tickets/{late}"), 200).await;
    assert_eq!(t["ticket"]["status"], "solved");
    assert_eq!(
        comments(&app, late).await.last().unwrap(),
        &(
            "agent".to_string(),
            true,
            format!(
                "The problem behind your request has been solved (ticket #{other_number}: \
                 Another problem). If the issue persists, reply to this message and we will \
                 reopen your request."
            )
        )
    );
    assert_eq!(outbox(&app, late, "agent_reply"), 1);
}

#[tokio::test]
async fn unlinking_an_incident_is_an_event_on_both_tickets_and_solving_the_problem_leaves_it() {
    let app = crate::helpers::spawn_app().await;
    let (ann, ann_token) = staff(&app, "Ann Lee", "ann@staff.test", UserRole::Agent).await;
    let (mia, mia_token) = staff(&app, "Mia Fox", "mia@staff.test", UserRole::Manager).await;
    let (_, tom_token) = staff(&app, "Tom Ode", "tom@staff.test", UserRole::Technician).await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let sam = customer(&app, "Sam Ng", "sam@example.com").await;
    let ops = customer(&app, "Network Ops", "ops@example.com").await;
    let mut made = Vec::new();
    for (requester, subject) in [
        (ops, "Mail outage"),
        (rosa, "Cannot send mail"),
        (sam, "Mail stuck"),
        (ops, "Printer outage"),
    ] {
        made.push(
            ticket(
                &app,
                &ann_token,
                json!({"requester_id": requester, "subject": subject, "channel": "email",
                       "description": "x", "assignee_id": ann}),
            )
            .await,
        );
    }
    let [
        (problem, _),
        (rosa_ticket, _),
        (sam_ticket, sam_number),
        (printer, _),
    ] = made[..]
    else {
        unreachable!()
    };
    let (status, linked) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{problem}/incidents"),
        json!({"ticket_ids": [rosa_ticket, sam_ticket]}),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    let unlink =
        |problem: i64, incident: i64| format!("/api/v1/tickets/{problem}/incidents/{incident}");

    // The roles that link may unlink; a technician may not.
    let (status, _) = send(
        &app,
        &tom_token,
        Method::DELETE,
        &unlink(problem, rosa_ticket),
        Value::Null,
    )
    .await;
    assert_eq!(status, 403);
    let (status, unlinked) = send(
        &app,
        &mia_token,
        Method::DELETE,
        &unlink(problem, rosa_ticket),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{unlinked}");
    assert_eq!(
        unlinked,
        json!({"ticket_id": problem, "problem_id": null, "incident_ids": [sam_ticket]})
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/tickets/{rosa_ticket}/incidents"), 200)
            .await,
        json!({"ticket_id": rosa_ticket, "problem_id": null, "incident_ids": []})
    );
    // Audited on both sides, by the manager, as the link was.
    for (id, data) in [
        (
            rosa_ticket,
            json!({"kind": "unlinked", "link": "problem", "ticket_id": problem}),
        ),
        (
            problem,
            json!({"kind": "unlinked", "link": "incident", "ticket_id": rosa_ticket}),
        ),
    ] {
        let log = app
            .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
            .await;
        let last = log["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (&last["kind"], &last["actor_user_id"], &last["data"]),
            (&json!("unlinked"), &json!(mia), &data),
            "ticket {id}"
        );
    }

    // Not linked (any more, or the other way round, or no such ticket): 404, nothing written.
    let seen = [
        events(&app, problem).await.len(),
        events(&app, rosa_ticket).await.len(),
        events(&app, sam_ticket).await.len(),
    ];
    for path in [
        unlink(problem, rosa_ticket),
        unlink(sam_ticket, problem),
        unlink(problem, printer),
        unlink(problem, 999_999),
        unlink(999_999, sam_ticket),
    ] {
        let (status, body) = send(&app, &ann_token, Method::DELETE, &path, Value::Null).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    assert_eq!(
        [
            events(&app, problem).await.len(),
            events(&app, rosa_ticket).await.len(),
            events(&app, sam_ticket).await.len(),
        ],
        seen
    );

    // Unlinked, Rosa's ticket may join another problem, and solving the first leaves it open.
    let (status, linked) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{printer}/incidents"),
        json!({"ticket_ids": [rosa_ticket]}),
    )
    .await;
    assert_eq!(
        (status, &linked["incident_ids"]),
        (200, &json!([rosa_ticket]))
    );
    let (status, c) = send(
        &app,
        &ann_token,
        Method::POST,
        &format!("/api/v1/tickets/{problem}/comments"),
        json!({"body": "Fixed.", "public": true, "status": "solved"}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    for (id, status) in [(sam_ticket, "solved"), (rosa_ticket, "open")] {
        let t = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
        assert_eq!(t["ticket"]["status"], status, "ticket {id}");
    }
    assert_eq!(outbox(&app, rosa_ticket, "ticket_solved"), 0);

    // A closed incident keeps its link: 409 naming `incident_id`.
    let version = app
        .get_json(&format!("/api/v1/tickets/{sam_ticket}"), 200)
        .await["ticket"]["version"]
        .as_i64()
        .unwrap();
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{sam_ticket}", app.address))
        .bearer_auth(&ann_token)
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"status": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, refused) = send(
        &app,
        &ann_token,
        Method::DELETE,
        &unlink(problem, sam_ticket),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, &refused["code"], &refused["errors"]),
        (
            409,
            &json!("ticket_closed"),
            &json!({"incident_id": [format!("ticket #{sam_number} is closed")]})
        )
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/tickets/{problem}/incidents"), 200)
            .await["incident_ids"],
        json!([sam_ticket])
    );
}
