//! Log-in, refresh rotation, log-out, `/me`, login limits and the role checks of the read API.

use crate::helpers::{PASSWORD, TestApp, await_until, jwt_keys, small_mapping, spawn_app};
use diesel::prelude::*;
use frontline::auth::access::{Access, AccessCache};
use frontline::db;
use frontline::models::enums::UserRole;
use frontline::schema::users;
use frontline::startup::Application;
use serde_json::{Value, json};

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({ "email": email, "password": password }),
    )
    .await
}

/// The body of a 401 without its per-request id.
async fn unauthorized_body(response: reqwest::Response) -> Value {
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"frontline\""
    );
    let mut body: Value = response.json().await.unwrap();
    body.as_object_mut().unwrap().remove("request_id");
    body
}

fn the_401() -> Value {
    json!({
        "type": "https://frontline.dev/problems/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "authentication failed",
        "code": "unauthorized"
    })
}

#[tokio::test]
async fn a_staff_member_logs_in_and_reads_their_own_profile() {
    let app = spawn_app().await;
    let (id, email) = app.create_staff(UserRole::Agent);
    // Case and surrounding spaces of the email do not matter.
    let response = login(&app, &format!("  {}  ", email.to_uppercase()), PASSWORD).await;
    assert_eq!(response.status().as_u16(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert_eq!(tokens["refresh_expires_in"], 2_592_000);
    assert_eq!(tokens["user"]["id"], id);
    assert_eq!(tokens["user"]["role"], "agent");
    let claims = jwt_keys(&app.db.settings)
        .verify(tokens["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.sub, id.to_string());
    assert_eq!(claims.exp - claims.iat, 900);

    let me = app
        .get_as(tokens["access_token"].as_str(), "/api/v1/me")
        .await;
    assert_eq!(me.status().as_u16(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], email.as_str());
    assert_eq!(me["employment_type"], "employee");
}

#[tokio::test]
async fn every_failed_login_answers_the_same_401() {
    let app = spawn_app().await;
    let (_, email) = app.create_staff(UserRole::Agent);
    let (inactive_id, inactive) = app.create_staff(UserRole::Manager);
    diesel::update(users::table.find(inactive_id))
        .set(users::active.eq(false))
        .execute(&mut app.db.conn())
        .unwrap();
    // Imported staff have no password and cannot log in.
    app.import(
        "case,activity,time,who\nA,Insert,2026-03-02 09:00:00+00:00,Ann\n",
        &small_mapping(),
    );
    let cases = [
        ("wrong password", email.as_str(), "not the password at all"),
        ("unknown email", "nobody@staff.test", PASSWORD),
        ("inactive account", inactive.as_str(), PASSWORD),
        ("malformed email", "not an email", PASSWORD),
        ("empty password", email.as_str(), ""),
    ];
    for (what, email, password) in cases {
        let body = unauthorized_body(login(&app, email, password).await).await;
        assert_eq!(body, the_401(), "{what}");
    }
}

#[tokio::test]
async fn a_malformed_login_body_is_a_4xx_problem_naming_the_field() {
    let app = spawn_app().await;
    for (body, status, field) in [
        ("{\"email\": \"a@b.test\"", 400, "body"),
        (
            "{\"email\": \"a@b.test\", \"password\": \"x\", \"admin\": true}",
            422,
            "admin",
        ),
        ("{\"email\": \"a@b.test\"}", 422, "password"),
        ("{\"email\": 12, \"password\": \"x\"}", 422, "email"),
        ("[]", 422, "body"),
    ] {
        let response = app
            .client
            .post(format!("{}/api/v1/auth/login", app.address))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_whole_log_in() {
    let app = spawn_app().await;
    let (_, email) = app.create_staff(UserRole::Agent);
    let first: Value = login(&app, &email, PASSWORD).await.json().await.unwrap();
    let r1 = first["refresh_token"].as_str().unwrap().to_string();

    let second = app
        .post_json("/api/v1/auth/refresh", &json!({ "refresh_token": r1 }))
        .await;
    assert_eq!(second.status().as_u16(), 200);
    let second: Value = second.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert_eq!(
        app.get_as(second["access_token"].as_str(), "/api/v1/me")
            .await
            .status()
            .as_u16(),
        200
    );

    // r1 again: theft suspected → 401, and r2 (same log-in) is revoked too.
    let reuse = app
        .post_json("/api/v1/auth/refresh", &json!({ "refresh_token": r1 }))
        .await;
    assert_eq!(unauthorized_body(reuse).await, the_401());
    let after = app
        .post_json("/api/v1/auth/refresh", &json!({ "refresh_token": r2 }))
        .await;
    assert_eq!(unauthorized_body(after).await, the_401());

    // Another log-in is unaffected.
    let other: Value = login(&app, &email, PASSWORD).await.json().await.unwrap();
    let ok = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": other["refresh_token"] }),
        )
        .await;
    assert_eq!(ok.status().as_u16(), 200);
}

#[tokio::test]
async fn logging_out_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let (_, email) = app.create_staff(UserRole::Agent);
    let tokens: Value = login(&app, &email, PASSWORD).await.json().await.unwrap();
    let refresh = json!({ "refresh_token": tokens["refresh_token"] });
    let out = app.post_json("/api/v1/auth/logout", &refresh).await;
    assert_eq!(out.status().as_u16(), 204);
    let again = app.post_json("/api/v1/auth/refresh", &refresh).await;
    assert_eq!(unauthorized_body(again).await, the_401());
    let unknown = app
        .post_json("/api/v1/auth/logout", &json!({ "refresh_token": "nope" }))
        .await;
    assert_eq!(unknown.status().as_u16(), 204, "log-out reveals nothing");
}

#[tokio::test]
async fn the_sixth_attempt_for_one_email_within_a_minute_is_429_with_retry_after() {
    let app = spawn_app().await;
    let (_, email) = app.create_staff(UserRole::Agent);
    for _ in 0..5 {
        assert_eq!(
            login(&app, &email, "wrong password!!")
                .await
                .status()
                .as_u16(),
            401
        );
    }
    // Even the right password is refused now, without being checked.
    let limited = login(&app, &email, PASSWORD).await;
    assert_eq!(limited.status().as_u16(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry), "one attempt every 12 s: {retry}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "too_many_requests");
}

#[tokio::test]
async fn bad_access_tokens_all_get_the_same_401() {
    let app = spawn_app().await;
    let keys = jwt_keys(&app.db.settings);
    let (id, _) = app.create_staff(UserRole::Admin);
    let expired = keys
        .issue(
            id,
            UserRole::Admin,
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .unwrap();
    let good = keys.issue(id, UserRole::Agent, chrono::Utc::now()).unwrap();
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    // Flip the role inside the signed payload.
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&engine.decode(payload).unwrap()).unwrap();
    claims["role"] = "admin".into();
    let tampered = format!("{head}.{}.{signature}", engine.encode(claims.to_string()));
    let alg_none = format!(
        "{}.{}.",
        engine.encode(r#"{"alg":"none","typ":"JWT"}"#),
        engine.encode(claims.to_string())
    );
    for (what, header) in [
        ("no header", None),
        ("expired", Some(format!("Bearer {expired}"))),
        ("tampered", Some(format!("Bearer {tampered}"))),
        ("alg none", Some(format!("Bearer {alg_none}"))),
        ("not bearer", Some(format!("Basic {good}"))),
        ("garbage", Some("Bearer x.y.z".into())),
    ] {
        let mut request = app.client.get(format!("{}/api/v1/me", app.address));
        if let Some(h) = header {
            request = request.header("authorization", h);
        }
        let body = unauthorized_body(request.send().await.unwrap()).await;
        assert_eq!(body, the_401(), "{what}");
    }
}

#[tokio::test]
async fn each_role_gets_the_documented_status_on_the_read_api() {
    let app = spawn_app().await;
    app.import(
        "case,activity,time,who\nA,Insert,2026-03-02 09:00:00+00:00,Ann\n",
        &small_mapping(),
    );
    let ticket_id: i64 = frontline::schema::tickets::table
        .select(frontline::schema::tickets::id)
        .first(&mut app.db.conn())
        .unwrap();
    let tokens = [
        ("admin", Some(app.token_for(UserRole::Admin))),
        ("manager", Some(app.token_for(UserRole::Manager))),
        ("agent", Some(app.token_for(UserRole::Agent))),
        ("technician", Some(app.token_for(UserRole::Technician))),
        ("anonymous", None),
    ];
    let ticket = format!("/api/v1/tickets/{ticket_id}");
    // (path, expected status for admin, manager, agent, technician, anonymous)
    let matrix: [(&str, [u16; 5]); 5] = [
        ("/api/v1/me", [200, 200, 200, 200, 401]),
        ("/api/v1/tickets", [200, 200, 200, 200, 401]),
        // A technician may not know a ticket without their work order exists: 404, not 403.
        (&ticket, [200, 200, 200, 404, 401]),
        ("/api/v1/metrics/summary", [200, 200, 403, 403, 401]),
        ("/healthz", [200, 200, 200, 200, 200]),
    ];
    for (path, expected) in matrix {
        for ((role, token), status) in tokens.iter().zip(expected) {
            let response = app.get_as(token.as_deref(), path).await;
            assert_eq!(response.status().as_u16(), status, "{role} GET {path}");
        }
    }
    // The technician's list is empty: nothing leaks.
    let technician = tokens[3].1.as_deref();
    let body: Value = app
        .get_as(technician, "/api/v1/tickets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["tickets"], json!([]));
}

/// Another copy of the service on `app`'s database, with a pool of its own: its address and its
/// role cache.
fn second_copy(app: &TestApp) -> (String, std::sync::Arc<AccessCache>) {
    let settings = app.db.settings.clone();
    let copy = Application::build_with_pool(settings.clone(), db::pool(&settings.database))
        .expect("build the second copy");
    let address = format!("http://127.0.0.1:{}", copy.port());
    let access = copy.access_cache();
    tokio::spawn(copy.run_until_stopped());
    (address, access)
}

#[tokio::test]
async fn a_demotion_or_deactivation_through_one_copy_is_refused_by_another_on_the_next_request() {
    let a = spawn_app().await;
    let (b, b_access) = second_copy(&a);
    let (id, _) = a.create_staff(UserRole::Manager);
    let token = jwt_keys(&a.db.settings)
        .issue(id, UserRole::Manager, chrono::Utc::now())
        .unwrap();
    a.await_access_listener().await;
    await_until("the second copy's listener", || b_access.is_trusted()).await;
    let metrics_on_b = || async {
        a.client
            .get(format!("{b}/api/v1/metrics/summary"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let a = &a;
    let patch_on_a = |body: Value| async move {
        let r = a
            .client
            .patch(format!("{}/api/v1/users/{id}", a.address))
            .bearer_auth(&a.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{body}");
    };
    assert_eq!(metrics_on_b().await, 200);
    let manager = Access {
        role: UserRole::Manager,
        active: true,
        token_generation: 0,
        also_agent: false,
    };
    assert_eq!(b_access.get(id), Some(manager), "copy B caches the role");

    patch_on_a(json!({"role": "agent"})).await;
    await_until("copy B to hear of the demotion", || {
        b_access.get(id).is_none()
    })
    .await;
    assert_eq!(metrics_on_b().await, 403);
    assert_eq!(metrics_on_b().await, 403, "the new role is what B caches");

    patch_on_a(json!({"active": false})).await;
    await_until("copy B to hear of the deactivation", || {
        b_access.get(id).is_none()
    })
    .await;
    assert_eq!(metrics_on_b().await, 401);
}

#[tokio::test]
async fn a_cached_role_costs_no_statement() {
    let app = spawn_app().await;
    app.await_access_listener().await;
    let statements_of_a_get = || async {
        let before = app.db.stats.statement_count();
        let r = app.get("/api/v1/teams").await;
        assert_eq!(r.status().as_u16(), 200);
        app.db.stats.statement_count() - before
    };
    let first = statements_of_a_get().await;
    let second = statements_of_a_get().await;
    // The first request read the role (its own check-out, one statement); the second found the
    // role in the cache.
    assert_eq!(second, first - 1, "first {first}, then {second}");
    assert_eq!(statements_of_a_get().await, second);
}

#[tokio::test]
async fn a_change_made_while_the_listener_was_away_is_seen_once_it_is_back() {
    let app = spawn_app().await;
    app.await_access_listener().await;
    let (id, _) = app.create_staff(UserRole::Manager);
    let token = jwt_keys(&app.db.settings)
        .issue(id, UserRole::Manager, chrono::Utc::now())
        .unwrap();
    let metrics = || async {
        app.get_as(Some(&token), "/api/v1/metrics/summary")
            .await
            .status()
            .as_u16()
    };
    assert_eq!(metrics().await, 200);
    assert!(app.access.get(id).is_some());
    // The listener's connection drops (as in a database restart)…
    let mut conn = app.db.conn();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'frontline_access_listener' AND datname = current_database()",
    )
    .execute(&mut conn)
    .unwrap();
    await_until("the listener to notice", || !app.access.is_trusted()).await;
    // …and the demotion's notification goes to no one.
    diesel::update(users::table.find(id))
        .set(users::role.eq(UserRole::Agent))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        metrics().await,
        403,
        "not trusted meanwhile: the role is read"
    );
    app.await_access_listener().await;
    assert_eq!(metrics().await, 403, "reconnecting cleared the cache");
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get_as(Some(token), "/api/v1/me")
        .await
        .status()
        .as_u16()
}

async fn refresh_status(app: &TestApp, refresh: &str) -> (u16, Value) {
    let r = app
        .post_json("/api/v1/auth/refresh", &json!({ "refresh_token": refresh }))
        .await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn two_sessions(app: &TestApp, email: &str) -> [(String, String); 2] {
    let mut out = Vec::new();
    for _ in 0..2 {
        let t: Value = login(app, email, PASSWORD).await.json().await.unwrap();
        out.push((
            t["access_token"].as_str().unwrap().to_string(),
            t["refresh_token"].as_str().unwrap().to_string(),
        ));
    }
    [out[0].clone(), out[1].clone()]
}

#[tokio::test]
async fn an_admins_password_reset_ends_every_session_of_the_account_at_once() {
    let app = spawn_app().await;
    let (id, email) = app.create_staff(UserRole::Agent);
    let [(access_a, refresh_a), (access_b, refresh_b)] = two_sessions(&app, &email).await;
    assert_eq!(me_status(&app, &access_a).await, 200);
    let r = app
        .client
        .patch(format!("{}/api/v1/users/{id}", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({"password": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Both devices: the access tokens are refused now, and neither can refresh.
    for access in [&access_a, &access_b] {
        assert_eq!(
            unauthorized_body(app.get_as(Some(access), "/api/v1/me").await).await,
            the_401()
        );
    }
    for refresh in [&refresh_a, &refresh_b] {
        assert_eq!(refresh_status(&app, refresh).await.0, 401);
    }
    // The old password is over; the new one logs in and works.
    assert_eq!(login(&app, &email, PASSWORD).await.status().as_u16(), 401);
    let t: Value = login(&app, &email, "a brand new passphrase")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me_status(&app, t["access_token"].as_str().unwrap()).await,
        200
    );
}

#[tokio::test]
async fn changing_ones_own_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let (_, email) = app.create_staff(UserRole::Manager);
    let [(access_a, _), (access_b, refresh_b)] = two_sessions(&app, &email).await;
    let change = |token: String, current: &'static str, new: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/me/password", app.address))
                .bearer_auth(token)
                .json(&json!({"current_password": current, "new_password": new}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, problem) = change(
        access_a.clone(),
        "not my password",
        "another long passphrase",
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        problem["errors"]["current_password"].is_array(),
        "{problem}"
    );
    let (status, problem) = change(access_a.clone(), PASSWORD, "short").await;
    assert_eq!(status, 422);
    assert!(problem["errors"]["new_password"].is_array(), "{problem}");
    // Nothing changed so far: both sessions still work.
    assert_eq!(me_status(&app, &access_b).await, 200);
    let (status, tokens) = change(access_a.clone(), PASSWORD, "another long passphrase").await;
    assert_eq!(status, 200, "{tokens}");
    // This device carries on with the tokens of the answer; everything older is over.
    assert_eq!(
        me_status(&app, tokens["access_token"].as_str().unwrap()).await,
        200
    );
    assert_eq!(me_status(&app, &access_a).await, 401);
    assert_eq!(me_status(&app, &access_b).await, 401);
    assert_eq!(refresh_status(&app, &refresh_b).await.0, 401);
    let (status, _) = refresh_status(&app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_log_out_ends_the_access_token_too_and_other_devices_refresh() {
    let app = spawn_app().await;
    let (_, email) = app.create_staff(UserRole::Agent);
    let [(access_a, refresh_a), (access_b, refresh_b)] = two_sessions(&app, &email).await;
    let r = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({ "refresh_token": refresh_a }),
        )
        .await;
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(me_status(&app, &access_a).await, 401);
    assert_eq!(refresh_status(&app, &refresh_a).await.0, 401);
    // The other device's access token ended with the generation; its refresh token did not.
    assert_eq!(me_status(&app, &access_b).await, 401);
    let (status, tokens) = refresh_status(&app, &refresh_b).await;
    assert_eq!(status, 200);
    assert_eq!(
        me_status(&app, tokens["access_token"].as_str().unwrap()).await,
        200
    );
}

#[tokio::test]
async fn a_spent_or_revoked_refresh_token_cannot_log_anyone_out() {
    let app = spawn_app().await;
    let (id, email) = app.create_staff(UserRole::Agent);
    let [(_, old_refresh), _] = two_sessions(&app, &email).await;
    // The old refresh token is spent by a rotation.
    let (status, rotated) = refresh_status(&app, &old_refresh).await;
    assert_eq!(status, 200);
    let access = rotated["access_token"].as_str().unwrap().to_string();
    let generation = |app: &TestApp| -> i32 {
        users::table
            .find(id)
            .select(users::token_generation)
            .first(&mut app.db.conn())
            .unwrap()
    };
    let before = generation(&app);
    let r = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({ "refresh_token": old_refresh }),
        )
        .await;
    assert_eq!(r.status().as_u16(), 204);
    // Its family is revoked (as a reuse would), but the access tokens live on.
    assert_eq!(generation(&app), before);
    assert_eq!(me_status(&app, &access).await, 200);
}

#[tokio::test]
async fn each_staff_member_has_a_per_minute_allowance_answered_429_beyond_and_recovering() {
    let mut db = crate::helpers::TestDb::new();
    // 60 a minute: a burst of 60, then one more each second.
    db.settings.auth.api_requests_per_user_per_minute = 60;
    let app = crate::helpers::spawn_app_on(db).await;
    let (a, _) = app.create_staff(UserRole::Agent);
    let (b, _) = app.create_staff(UserRole::Agent);
    let keys = jwt_keys(&app.db.settings);
    let token = |id| keys.issue(id, UserRole::Agent, chrono::Utc::now()).unwrap();
    let (token_a, token_b) = (token(a), token(b));
    for _ in 0..60 {
        assert_eq!(me_status(&app, &token_a).await, 200);
    }
    let refused = app.get_as(Some(&token_a), "/api/v1/me").await;
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "too_many_requests");
    // Another staff member's allowance is their own; an anonymous request is not counted.
    assert_eq!(me_status(&app, &token_b).await, 200);
    assert_eq!(app.get_as(None, "/api/v1/me").await.status().as_u16(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(me_status(&app, &token_a).await, 200);
}

/// Log-in limits per client address: `X-Forwarded-For` is ignored from an untrusted peer (a
/// client cannot pick a fresh address per attempt) and believed from a trusted proxy.
#[tokio::test]
async fn a_forwarded_address_counts_only_behind_a_trusted_proxy() {
    for trusted in [false, true] {
        let mut db = crate::helpers::TestDb::new();
        db.settings.auth.login_attempts_per_address_per_minute = 3;
        db.settings.auth.login_attempts_per_email_per_minute = 100;
        if trusted {
            db.settings.application.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        }
        let app = crate::helpers::spawn_app_on(db).await;
        let attempt = |forwarded: String| {
            let app = &app;
            async move {
                app.client
                    .post(format!("{}/api/v1/auth/login", app.address))
                    .header("X-Forwarded-For", forwarded)
                    .json(&json!({"email": "nobody@frontline.test", "password": "wrong password!"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        // Four attempts, each claiming another address.
        let mut statuses = Vec::new();
        for i in 1..=4 {
            statuses.push(attempt(format!("198.51.100.{i}")).await);
        }
        if trusted {
            assert_eq!(
                statuses,
                vec![401, 401, 401, 401],
                "four clients behind the proxy"
            );
            // One client behind the proxy is limited by its own address.
            let same: Vec<u16> =
                futures_util::future::join_all((0..4).map(|_| attempt("203.0.113.9".into()))).await;
            assert_eq!(same.iter().filter(|s| **s == 429).count(), 1, "{same:?}");
        } else {
            assert_eq!(
                statuses,
                vec![401, 401, 401, 429],
                "one client, whatever it claims"
            );
        }
    }
}

/// Someone guessing a staff member's password uses up their own allowance, not the staff
/// member's: the real user, signing in from another address, is not locked out.
#[tokio::test]
async fn guessing_someones_password_cannot_lock_them_out() {
    let mut db = crate::helpers::TestDb::new();
    db.settings.application.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let app = crate::helpers::spawn_app_on(db).await;
    let (_, email) = app.create_staff(UserRole::Agent);
    let attempt = |from: &'static str, password: &'static str| {
        let (app, email) = (&app, email.clone());
        async move {
            app.client
                .post(format!("{}/api/v1/auth/login", app.address))
                .header("X-Forwarded-For", from)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut guesses = Vec::new();
    for _ in 0..6 {
        guesses.push(attempt("203.0.113.9", "a wrong guess!!").await);
    }
    assert_eq!(guesses, vec![401, 401, 401, 401, 401, 429]);
    // The same /64 of an IPv6 attacker is one client too.
    for _ in 0..5 {
        attempt("2001:db8:7:7::1", "a wrong guess!!").await;
    }
    assert_eq!(
        attempt("2001:db8:7:7:ffff::2", "a wrong guess!!").await,
        429
    );
    // The real user, from their own address, signs in.
    assert_eq!(attempt("198.51.100.7", PASSWORD).await, 200);
}
