//! Inputs found by trying to break the service: each is refused with a 4xx naming the field,
//! or handled, never a 500.

use crate::helpers::{count, small_mapping, spawn_app};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use frontline::schema::users;
use serde_json::{Value, json};

#[tokio::test]
async fn nul_characters_are_refused_naming_the_field_even_before_log_in() {
    let app = spawn_app().await;
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "admin@frontline.local\u{0}", "password": "x"}),
        )
        .await;
    assert_eq!(login.status().as_u16(), 422);
    let body: Value = login.json().await.unwrap();
    assert!(body["errors"]["email"].is_array(), "{body}");

    let post = |body: Value| {
        app.client
            .post(format!("{}/api/v1/tickets", app.address))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
    };
    for (body, field) in [
        (
            json!({"requester": {"name": "a\u{0}b"}, "subject": "x", "channel": "web"}),
            "requester.name",
        ),
        (
            json!({"requester": {"name": "a"}, "subject": "nul \u{0} byte", "channel": "web"}),
            "subject",
        ),
        (
            json!({"requester": {"name": "a"}, "subject": "x", "channel": "web", "tags": ["ok", "b\u{0}"]}),
            "tags[1]",
        ),
    ] {
        let r = post(body.clone()).await.unwrap();
        assert_eq!(r.status().as_u16(), 422, "{body}");
        let problem: Value = r.json().await.unwrap();
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    let r = app.get("/api/v1/tickets?q=%00").await;
    assert_eq!(r.status().as_u16(), 422);
    let r = app.get("/api/v1/customers?q=a%00").await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(count(&mut app.db.conn(), "tickets"), 0);
    assert_eq!(count(&mut app.db.conn(), "customers"), 0);
}

#[tokio::test]
async fn a_demotion_or_deactivation_takes_effect_at_once() {
    let app = spawn_app().await;
    let (id, _) = app.create_staff(UserRole::Manager);
    let token = crate::helpers::jwt_keys(&app.db.settings)
        .issue(id, UserRole::Manager, chrono::Utc::now())
        .unwrap();
    let metrics = |t: &str| {
        let t = t.to_string();
        let app = &app;
        async move {
            app.get_as(Some(&t), "/api/v1/metrics/summary")
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(metrics(&token).await, 200);
    diesel::update(users::table.find(id))
        .set(users::role.eq(UserRole::Agent))
        .execute(&mut app.db.conn())
        .unwrap();
    app.await_access_change(id).await;
    assert_eq!(metrics(&token).await, 403, "the token still says manager");
    diesel::update(users::table.find(id))
        .set(users::active.eq(false))
        .execute(&mut app.db.conn())
        .unwrap();
    app.await_access_change(id).await;
    assert_eq!(metrics(&token).await, 401);
    assert_eq!(
        app.get_as(Some(&token), "/api/v1/tickets")
            .await
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn a_ticket_with_many_long_comments_keeps_accepting_them() {
    let app = spawn_app().await;
    let created: Value = app
        .client
        .post(format!("{}/api/v1/tickets", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({"requester": {"name": "A"}, "subject": "Long story", "channel": "email"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    // 20 notes of ~60 KB of distinct pseudo-words: far past PostgreSQL's 1 MB tsvector limit if
    // everything were indexed.
    let mut seed: u64 = 42;
    for n in 0..20 {
        let mut text = String::with_capacity(61_000);
        while text.len() < 60_000 {
            for _ in 0..9 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                text.push(char::from(b'a' + u8::try_from((seed >> 33) % 26).unwrap()));
            }
            text.push(' ');
        }
        let r = app
            .client
            .post(format!("{}/api/v1/tickets/{id}/comments", app.address))
            .bearer_auth(&app.admin_token)
            .json(&json!({"body": text, "public": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "comment {n}");
    }
    assert_eq!(
        count(
            &mut app.db.conn(),
            &format!("comments WHERE ticket_id = {id}")
        ),
        20
    );
    let found = app.get_json("/api/v1/tickets?q=long%20story", 200).await;
    assert_eq!(found["tickets"][0]["id"], id);
}

#[tokio::test]
async fn headers_and_requester_comments_are_checked() {
    let app = spawn_app().await;
    let body = json!({"requester": {"name": "A"}, "subject": "x", "channel": "web"});
    for (what, keys) in [("a tab", vec!["tab\tkey"]), ("two values", vec!["a", "b"])] {
        let mut request = app
            .client
            .post(format!("{}/api/v1/tickets", app.address))
            .bearer_auth(&app.admin_token)
            .json(&body);
        for key in keys {
            request = request.header("idempotency-key", key);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{what}");
    }
    assert_eq!(count(&mut app.db.conn(), "tickets"), 0);

    let r = app
        .client
        .post(format!("{}/api/v1/tickets", app.address))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let ticket: Value = r.json().await.unwrap();
    let id = ticket["id"].as_i64().unwrap();
    let detail = app.get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(detail.headers()["etag"], "\"1\"");
    let comment = |body: Value| {
        app.client
            .post(format!("{}/api/v1/tickets/{id}/comments", app.address))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
    };
    let private = comment(json!({"body": "psst", "author": "requester", "public": false}))
        .await
        .unwrap();
    assert_eq!(private.status().as_u16(), 422);
    let ok = comment(json!({"body": "hello"})).await.unwrap();
    assert_eq!(ok.headers()["etag"], "\"2\"");

    // Imported tickets have no requester: no comment can be logged on their behalf.
    app.import(
        "case,activity,time,who\nZ,Insert,2026-03-02 09:00:00+00:00,Ann\n",
        &small_mapping(),
    );
    let z: i64 = frontline::schema::tickets::table
        .filter(frontline::schema::tickets::external_id.eq("Z"))
        .select(frontline::schema::tickets::id)
        .first(&mut app.db.conn())
        .unwrap();
    let r = app
        .client
        .post(format!("{}/api/v1/tickets/{z}/comments", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({"body": "hi", "author": "requester"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let problem: Value = r.json().await.unwrap();
    assert!(problem["errors"]["author"].is_array());
}

#[test]
fn a_statement_running_past_the_timeout_is_cancelled_and_answers_503() {
    let mut db = crate::helpers::TestDb::new();
    db.settings.database.statement_timeout_seconds = 1;
    let pool = frontline::db::pool(&db.settings.database);
    let mut conn = pool.get().unwrap();
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement_timeout: String,
    }
    let shown: Setting = diesel::sql_query("SHOW statement_timeout")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(shown.statement_timeout, "1s");
    let err = diesel::sql_query("SELECT pg_sleep(3)")
        .execute(&mut conn)
        .unwrap_err();
    let api = frontline::error::ApiError::from(err);
    assert_eq!(
        actix_web::ResponseError::status_code(&api),
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE
    );
}

/// Reads what the server sends on `stream` until it closes it, giving up after 5 s (the
/// server's own limits in these tests are 1 s).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut out),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server kept a stalled client's connection open"
    );
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test]
async fn a_client_stalling_in_its_headers_or_its_body_is_answered_408_and_cut_off() {
    use tokio::io::AsyncWriteExt;
    let mut db = crate::helpers::TestDb::new();
    db.settings.application.header_read_timeout_seconds = 1;
    db.settings.application.body_read_timeout_seconds = 1;
    let app = crate::helpers::spawn_app_on(db).await;
    let address = app.address.trim_start_matches("http://").to_string();
    // Headers begun, never finished.
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A body announced as 100 bytes; 10 arrive.
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\nConnection: close\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
}
