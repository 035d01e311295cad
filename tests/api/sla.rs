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

/// Creates the policy "Phone": first reply within one calendar hour for high-priority tickets.
/// Returns it.
async fn one_hour_first_reply_policy(app: &crate::helpers::TestApp) -> Value {
    let (status, policy) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/sla-policies",
        json!({"name": "Phone", "position": 1,
               "targets": {"high": {"first_reply": {"seconds": 3600, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201, "{policy}");
    policy
}

async fn phone_ticket(app: &crate::helpers::TestApp, priority: &str) -> (i64, DateTime<Utc>) {
    let (status, t) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/tickets",
        json!({"requester": {"name": "Rosa"}, "subject": "Kiosk", "channel": "phone", "priority": priority}),
    )
    .await;
    assert_eq!(status, 201, "{t}");
    (
        t["id"].as_i64().unwrap(),
        t["created_at"].as_str().unwrap().parse().unwrap(),
    )
}

#[tokio::test]
async fn a_worker_an_hour_late_records_the_breach_at_the_due_instant_once() {
    use frontline::tickets::sla_events::record_due;
    let app = spawn_app().await;
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/sla-policies",
        json!({"name": "Phone", "position": 1, "warning_seconds": 1800,
               "targets": {"high": {"first_reply": {"seconds": 3600, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201);
    let (id, created) = phone_ticket(&app, "high").await;
    let due = created + chrono::Duration::hours(1);
    let warn = created + chrono::Duration::minutes(30);
    let mut conn = app.db.conn();

    // 45 minutes in: the warning only, at its own instant.
    let r = record_due(&mut conn, created + chrono::Duration::minutes(45), 100).unwrap();
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].2.timestamp(), warn.timestamp());
    assert!(r.breaches.is_empty());

    // The worker runs an hour late (two hours in): the breach is recorded at the due instant.
    let late = created + chrono::Duration::hours(2);
    let r = record_due(&mut conn, late, 100).unwrap();
    assert_eq!(r.breaches.len(), 1);
    assert_eq!(
        (r.breaches[0].0, r.breaches[0].1.as_str()),
        (id, "first_reply")
    );
    assert_eq!(r.breaches[0].2.timestamp(), due.timestamp());
    assert!(r.warnings.is_empty(), "the warning is not recorded twice");

    // Again, and from two workers at once: nothing more.
    assert_eq!(
        record_due(&mut conn, late, 100).unwrap(),
        Default::default()
    );
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mut conn = app.db.conn();
            std::thread::spawn(move || record_due(&mut conn, late, 100).unwrap())
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), Default::default());
    }
    let events = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await;
    let sla: Vec<(&str, &str)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"].as_str().unwrap().starts_with("sla_"))
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["occurred_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(sla.len(), 2, "{sla:?}");
    let breach_at: DateTime<Utc> = sla[1].1.parse().unwrap();
    assert_eq!(
        (sla[1].0, breach_at.timestamp()),
        ("sla_breached", due.timestamp())
    );
    // The metrics ignore SLA events: a rebuild still finds nothing to change.
    let report = frontline::metrics::rebuild(&mut conn, 100).unwrap();
    assert_eq!(report.differences.len(), 0);
}

/// A writer holding the ticket (an API write, the auto-close worker) replaces its clock rows,
/// which the SLA pass holds: the pass must skip the ticket rather than wait (it used to
/// deadlock), and record it on the next pass.
#[tokio::test]
async fn the_sla_pass_skips_a_ticket_a_writer_holds_and_records_it_next_time() {
    use diesel::prelude::*;
    use frontline::tickets::sla_events::record_due;
    let app = spawn_app().await;
    one_hour_first_reply_policy(&app).await;
    let (id, created) = phone_ticket(&app, "high").await;
    let late = created + chrono::Duration::hours(2);

    let mut writer = app.db.conn();
    writer
        .transaction(|w| {
            frontline::schema::tickets::table
                .find(id)
                .select(frontline::schema::tickets::id)
                .for_update()
                .first::<i64>(w)?;
            // While the writer holds the ticket, a pass returns at once with nothing recorded.
            let mut conn = app.db.conn();
            let started = std::time::Instant::now();
            let r = record_due(&mut conn, late, 100).unwrap();
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
            assert_eq!(r, Default::default());
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    let mut conn = app.db.conn();
    let r = record_due(&mut conn, late, 100).unwrap();
    assert_eq!(r.breaches.len(), 1);
    assert_eq!(r.breaches[0].0, id);
    assert_eq!(
        r.breaches[0].2.timestamp(),
        (created + chrono::Duration::hours(1)).timestamp()
    );
}

#[tokio::test]
async fn breached_tickets_are_listed_and_attainment_counts_both_outcomes() {
    let app = spawn_app().await;
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/sla-policies",
        json!({"name": "Tight", "position": 1,
               "targets": {"urgent": {"first_reply": {"seconds": 1, "business": false}},
                           "normal": {"first_reply": {"seconds": 86400, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201);
    let (late, _) = phone_ticket(&app, "urgent").await;
    let (quick, _) = phone_ticket(&app, "normal").await;
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/tickets/{quick}/comments"),
        json!({"body": "Fixed."}),
    )
    .await;
    assert_eq!(status, 201);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

    let breached = app.get_json("/api/v1/tickets?sla=breached", 200).await;
    let ids: Vec<i64> = breached["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![late]);
    let detail = app.get_json(&format!("/api/v1/tickets/{late}"), 200).await;
    assert_eq!(detail["sla"]["clocks"][0]["status"], "breached");

    // One target achieved (the reply), one breached (1 s without reply): 1 / 2.
    let summary = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(
        summary["sla_attainment"],
        json!({"numerator": 1, "denominator": 2, "value": 0.5})
    );
    let bad = app.get("/api/v1/tickets?sla=soon").await;
    assert_eq!(bad.status().as_u16(), 422);
}

/// The ETag-protected PATCH of a ticket: reads its ETag, then sends `body` with `If-Match`.
async fn patch_ticket(app: &crate::helpers::TestApp, id: i64, body: Value) -> (u16, Value) {
    let current = app.get(&format!("/api/v1/tickets/{id}")).await;
    let etag = current.headers()["etag"].clone();
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{id}", app.address))
        .bearer_auth(&app.admin_token)
        .header("if-match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The clock of `kind` in a ticket's detail.
fn clock<'a>(detail: &'a Value, kind: &str) -> &'a Value {
    detail["sla"]["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("{kind} in {detail}"))
}

#[tokio::test]
async fn a_policy_switched_mid_ticket_keeps_the_time_accumulated_and_takes_the_new_target() {
    let app = spawn_app().await;
    // Created 09:00, first reply (Bob takes it) 09:30, pending from 10:00.
    app.import(
        "case,activity,time,who\n\
         S,Insert,2026-03-02 09:00:00+00:00,Ann\n\
         S,Take,2026-03-02 09:30:00+00:00,Bob\n\
         S,Wait,2026-03-02 10:00:00+00:00,Bob\n",
        &crate::helpers::small_mapping(),
    );
    let teams = app.get_json("/api/v1/teams", 200).await;
    let help_desk = teams["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Help desk")
        .map(|t| t["id"].as_i64().unwrap())
        .unwrap();
    let (status, field) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/teams",
        json!({"name": "Second line", "kind": "contact_center", "sourcing": "in_house"}),
    )
    .await;
    assert_eq!(status, 201, "{field}");
    let second_line = field["id"].as_i64().unwrap();
    for (position, name, team, first_reply, resolution) in [
        (1, "Help desk", help_desk, 1200, 7200),
        (2, "Second line", second_line, 3600, 14400),
    ] {
        let (status, policy) = send(
            &app,
            reqwest::Method::POST,
            "/api/v1/sla-policies",
            json!({"name": name, "position": position, "conditions": {"team_ids": [team]},
                   "targets": {"normal": {
                       "first_reply": {"seconds": first_reply, "business": false},
                       "resolution": {"seconds": resolution, "business": false}}}}),
        )
        .await;
        assert_eq!(status, 201, "{policy}");
    }
    let list = app.get_json("/api/v1/tickets", 200).await;
    let id = list["tickets"][0]["id"].as_i64().unwrap();

    // Help desk policy: first reply due 09:20 (20 min), answered at 09:30 after 1800 s:
    // breached at 09:20. Resolution (2 h of requester wait) ran 09:00–10:00: 3600 s, paused.
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["sla"]["policy_name"], "Help desk");
    let first = clock(&detail, "first_reply");
    assert_eq!(first["status"], "breached");
    assert_eq!(first["target_seconds"], 1200);
    assert_eq!(first["elapsed_seconds"], 1800);
    assert_eq!(
        at(first["breached_at"].as_str().unwrap()),
        at("2026-03-02T09:20:00Z")
    );
    assert_eq!(
        at(first["due_at"].as_str().unwrap()),
        at("2026-03-02T09:20:00Z")
    );
    let resolution = clock(&detail, "resolution");
    assert_eq!(
        (&resolution["status"], &resolution["running"]),
        (&json!("paused"), &json!(false))
    );
    assert_eq!(resolution["target_seconds"], 7200);
    assert_eq!(resolution["elapsed_seconds"], 3600);
    assert_eq!(resolution["due_at"], Value::Null);

    // The ticket moves to the second line while pending: its policy applies to the whole history
    // (src/domain/sla.rs). The first reply, 1800 s against 3600 s, is now achieved at 09:30; the
    // resolution clock keeps its 3600 s and takes the 14400 s target.
    let (status, patched) = patch_ticket(&app, id, json!({"team_id": second_line})).await;
    assert_eq!(status, 200, "{patched}");
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["sla"]["policy_name"], "Second line");
    let first = clock(&detail, "first_reply");
    assert_eq!(first["status"], "achieved");
    assert_eq!(first["target_seconds"], 3600);
    assert_eq!(first["elapsed_seconds"], 1800);
    assert_eq!(
        at(first["fulfilled_at"].as_str().unwrap()),
        at("2026-03-02T09:30:00Z")
    );
    assert_eq!(first["breached_at"], Value::Null);
    assert_eq!(first["due_at"], Value::Null);
    let resolution = clock(&detail, "resolution");
    assert_eq!(resolution["status"], "paused");
    assert_eq!(resolution["target_seconds"], 14400);
    assert_eq!(resolution["elapsed_seconds"], 3600);

    // Reopened at T: the resolution clock runs again from 3600 s, so it falls due at
    // T + (14400 − 3600) s, and has counted 3600 s + (now − T).
    let (status, patched) = patch_ticket(&app, id, json!({"status": "open"})).await;
    assert_eq!(status, 200, "{patched}");
    let events = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await;
    let reopened = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "status_changed")
        .map(|e| at(e["occurred_at"].as_str().unwrap()))
        .unwrap();
    let before = Utc::now();
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    let after = Utc::now();
    let resolution = clock(&detail, "resolution");
    assert_eq!(resolution["status"], "active");
    assert_eq!(resolution["target_seconds"], 14400);
    assert_eq!(
        at(resolution["due_at"].as_str().unwrap()),
        reopened + chrono::Duration::seconds(10800)
    );
    let elapsed = resolution["elapsed_seconds"].as_i64().unwrap();
    let counted_since = elapsed - 3600;
    assert!(
        before.timestamp() - reopened.timestamp() <= counted_since
            && counted_since <= after.timestamp() - reopened.timestamp(),
        "elapsed {elapsed} s, reopened at {reopened}, read between {before} and {after}"
    );
    assert_eq!(resolution["remaining_seconds"], 14400 - elapsed);
}

/// A policy change while a ticket write holds the ticket and its clocks: the change neither
/// waits for the write nor deadlocks with it (before, the change rewrote every ticket's clocks
/// under a lock every write waited for; without that lock they deadlocked). The write, which
/// read the rules before the change, stores clocks under the old policy; the ticket is then
/// pending, and the background re-projection applies the change to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_does_not_wait_for_a_ticket_write_and_the_ticket_follows_it() {
    use diesel::prelude::*;
    let app = spawn_app().await;
    let policy = one_hour_first_reply_policy(&app).await;
    let (id, _) = phone_ticket(&app, "high").await;

    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let mut writer = app.db.conn();
    let write = tokio::task::spawn_blocking(move || {
        writer.transaction(|w| {
            // A ticket write's first statement: the rules in force (the policy is active).
            let rules = frontline::tickets::RulesCache::new().for_write_tx(w)?;
            frontline::models::ticket::lock_tx(w, id, frontline::models::ticket::Visibility::All)?;
            // Holds the ticket's clocks (deleted, as every clock write starts) …
            frontline::models::sla::store_clocks_tx(w, id, &[], true)?;
            ready_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            // … and writes them again, under the rules it read, once the change has committed
            // (their foreign key reads the policy row the change updated).
            frontline::tickets::projection::reproject_tx(w, &rules, id)?;
            Ok::<_, diesel::result::Error>(())
        })
    });
    ready_rx.recv().unwrap();
    let path = format!("/api/v1/sla-policies/{}", policy["id"]);
    let (status, body) = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        send(
            &app,
            reqwest::Method::PATCH,
            &path,
            json!({"active": false}),
        ),
    )
    .await
    .expect("the change does not wait for the write");
    assert_eq!(status, 200, "{body}");
    // The ticket's stored clocks are still to follow the change.
    assert_eq!(body["reprojection"]["pending_tickets"], 1, "{body}");
    go_tx.send(()).unwrap();
    write.await.unwrap().unwrap();
    let clocks = |conn: &mut PgConnection| -> i64 {
        frontline::schema::ticket_sla_clocks::table
            .filter(frontline::schema::ticket_sla_clocks::ticket_id.eq(id))
            .count()
            .get_result(conn)
            .unwrap()
    };
    let mut conn = app.db.conn();
    // The write stored the first-reply clock of the policy it read …
    assert_eq!(clocks(&mut conn), 1);
    let list = app.get_json("/api/v1/sla-policies", 200).await;
    assert_eq!(list["reprojection"]["pending_tickets"], 1, "{list}");
    // … and the re-projection applies the change: no active policy, no clock.
    assert_eq!(app.reproject(), 1);
    assert_eq!(clocks(&mut conn), 0);
    let list = app.get_json("/api/v1/sla-policies", 200).await;
    assert_eq!(list["reprojection"]["pending_tickets"], 0, "{list}");
}
