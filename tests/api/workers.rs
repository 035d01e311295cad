//! The auto-close worker, driven with the time as a parameter.

use crate::helpers::{count, spawn_app};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

/// One auto-close pass (the use case the worker runs), ticket ids as plain numbers.
fn close_due(
    conn: &mut diesel::PgConnection,
    now: chrono::DateTime<Utc>,
    delay: Duration,
    batch: i64,
) -> Result<Vec<i64>, frontline::error::ApiError> {
    let rules = frontline::tickets::RulesCache::new();
    let closed = frontline::tickets::auto_close::close_due(conn, &rules, now, delay, batch)?;
    Ok(closed.into_iter().map(|id| id.get()).collect())
}

async fn solved_ticket(app: &crate::helpers::TestApp, assignee: i64, n: usize) -> i64 {
    let body = json!({
        "requester": {"name": "Caller", "email": format!("caller{n}@example.com")},
        "subject": "Resolved on the call", "channel": "phone",
        "description": "Password reset done while on the phone.",
        "assignee_id": assignee, "status": "solved"
    });
    let r = app
        .client
        .post(format!("{}/api/v1/tickets", app.address))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn solved_tickets_close_after_four_days_and_not_before() {
    let app = spawn_app().await;
    let (agent, _) = app.create_staff(frontline::models::enums::UserRole::Agent);
    let id = solved_ticket(&app, agent, 0).await;
    let delay = Duration::hours(96);
    let mut conn = app.db.conn();
    // 95 hours after the solve: too early.
    assert_eq!(
        close_due(&mut conn, Utc::now() + Duration::hours(95), delay, 100).unwrap(),
        Vec::<i64>::new()
    );
    // 97 hours after: closed, by the system (no actor), through the state machine.
    let later = Utc::now() + Duration::hours(97);
    assert_eq!(close_due(&mut conn, later, delay, 100).unwrap(), vec![id]);
    let detail = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    assert_eq!(detail["ticket"]["status"], "closed");
    let last = detail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from_status"].as_str(), last["to_status"].as_str()),
        (Some("solved"), Some("closed"))
    );
    assert_eq!(last["actor_user_id"], Value::Null);
    // Recorded when the close fell due: 96 h after the solve, although the pass ran at 97 h.
    let solved: chrono::DateTime<Utc> = detail["ticket"]["solved_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let closed: chrono::DateTime<Utc> = detail["ticket"]["closed_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(closed - solved, delay);
    assert_eq!(detail["metrics"]["reopens"], 0);
    // A second pass finds nothing.
    assert!(close_due(&mut conn, later, delay, 100).unwrap().is_empty());
}

#[tokio::test]
async fn two_workers_at_once_close_each_ticket_once() {
    let app = spawn_app().await;
    let (agent, _) = app.create_staff(frontline::models::enums::UserRole::Agent);
    for n in 0..30 {
        solved_ticket(&app, agent, n).await;
    }
    let later = Utc::now() + Duration::hours(100);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mut conn = app.db.conn();
            // Small batches so that the two passes interleave.
            std::thread::spawn(move || {
                let mut closed = Vec::new();
                loop {
                    let batch = close_due(&mut conn, later, Duration::hours(96), 4).unwrap();
                    if batch.is_empty() {
                        break closed;
                    }
                    closed.extend(batch);
                }
            })
        })
        .collect();
    let mut all: Vec<i64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(all.len(), 30);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 30, "no ticket closed twice");
    let mut conn = app.db.conn();
    assert_eq!(
        count(&mut conn, "ticket_events WHERE to_status = 'closed'"),
        30
    );
    assert_eq!(count(&mut conn, "tickets WHERE status = 'closed'"), 30);
}
