//! The managers' dashboard over HTTP (no browser: tests/api/browser.rs drives Chromium): the
//! log-in form and its answers, the session cookie's flags, log-out, the CSRF and origin checks
//! of every POST, the evidence-report form, and the page's figures against the metrics API's
//! JSON for a small log with hand-worked values.

use crate::helpers::{PASSWORD, TestApp, count, spawn_app};
use chrono::{Duration, DurationRound, Utc};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use regex::Regex;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::Value;
use std::collections::BTreeMap;

/// A client that follows no redirect (the tests look at each 303) and keeps no cookie (each
/// request says which it sends).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Set-Cookie` header of `response` for cookie `name`, whole.
pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// A form body (`application/x-www-form-urlencoded`).
pub(crate) fn encode<T: serde::Serialize + ?Sized>(form: &T) -> String {
    serde_urlencoded::to_string(form).unwrap()
}

/// `name=value` of a `Set-Cookie` header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

/// The value of the first `csrf_token` hidden field of `html`.
pub(crate) fn csrf_field(html: &str) -> String {
    Regex::new(r#"name="csrf_token" value="([^"]+)""#)
        .unwrap()
        .captures(html)
        .map(|c| c[1].to_string())
        .expect("a CSRF field")
}

/// What a log-in through the form answers.
pub(crate) struct LoginOutcome {
    pub status: u16,
    pub location: Option<String>,
    /// The whole `Set-Cookie` of `frontline_session`.
    pub session_set_cookie: Option<String>,
    pub body: String,
}

impl LoginOutcome {
    /// `frontline_session=…`, to send back.
    pub fn cookie(&self) -> String {
        pair(
            self.session_set_cookie
                .as_deref()
                .expect("a session cookie"),
        )
    }
}

/// Opens `/login` and posts the form with `email` and `password` as a browser on the service's
/// own page does (its CSRF cookie and field, its `Origin`).
pub(crate) async fn log_in(app: &TestApp, email: &str, password: &str) -> LoginOutcome {
    let c = client();
    let page = c
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csrf_cookie = pair(&set_cookie(&page, "frontline_login_csrf").expect("login CSRF cookie"));
    let token = csrf_field(&page.text().await.unwrap());
    let r = c
        .post(format!("{}/login", app.address))
        .header(COOKIE, csrf_cookie)
        .header(ORIGIN, &app.address)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(encode(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
        ]))
        .send()
        .await
        .unwrap();
    LoginOutcome {
        status: r.status().as_u16(),
        location: r
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string()),
        session_set_cookie: set_cookie(&r, "frontline_session"),
        body: r.text().await.unwrap(),
    }
}

/// A manager logged in: their session cookie (`frontline_session=…`).
pub(crate) async fn manager_session(app: &TestApp) -> String {
    let (_, email) = app.create_staff(UserRole::Manager);
    let outcome = log_in(app, &email, PASSWORD).await;
    assert_eq!(outcome.status, 303, "{}", outcome.body);
    outcome.cookie()
}

async fn get_page(
    app: &TestApp,
    cookie: Option<&str>,
    path: &str,
) -> (u16, Option<String>, String) {
    let mut request = client().get(format!("{}{path}", app.address));
    if let Some(c) = cookie {
        request = request.header(COOKIE, c);
    }
    let r = request.send().await.unwrap();
    let location = r
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), location, r.text().await.unwrap())
}

async fn post_form(
    app: &TestApp,
    cookie: &str,
    origin: Option<&str>,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let mut request = client()
        .post(format!("{}{path}", app.address))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(encode(form));
    if let Some(o) = origin {
        request = request.header(ORIGIN, o);
    }
    let r = request.send().await.unwrap();
    let location = r
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), location, r.text().await.unwrap())
}

#[tokio::test]
async fn a_manager_logs_in_with_an_http_only_strict_cookie_and_sees_the_dashboard() {
    let app = spawn_app().await;
    // Without a session: to the log-in page.
    let (status, location, _) = get_page(&app, None, "/dashboard").await;
    assert_eq!((status, location.as_deref()), (303, Some("/login")));
    let page = client()
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csrf = set_cookie(&page, "frontline_login_csrf").unwrap();
    assert!(
        csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict"),
        "{csrf}"
    );
    let headers = page.headers().clone();
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<label for="email">"#) && html.contains(r#"<label for="password">"#));

    let (_, email) = app.create_staff(UserRole::Manager);
    let outcome = log_in(&app, &email, PASSWORD).await;
    assert_eq!(outcome.status, 303, "{}", outcome.body);
    assert_eq!(outcome.location.as_deref(), Some("/dashboard"));
    let set = outcome.session_set_cookie.clone().unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Secure"), "plain http on this machine: {set}");
    let token = outcome.cookie();
    let token_value = token.split_once('=').unwrap().1.to_string();
    assert_eq!(token_value.len(), 43);
    // Only the token's SHA-256 is stored.
    let stored: Vec<u8> = frontline::schema::dashboard_sessions::table
        .select(frontline::schema::dashboard_sessions::token_hash)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, frontline::auth::session::digest(&token_value));

    let r = client()
        .get(format!("{}/dashboard", app.address))
        .header(COOKIE, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>Service dashboard</h1>"), "{html}");
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing from outside"
    );

    // Logged in, the log-in page sends the browser on to the dashboard.
    let (status, location, _) = get_page(&app, Some(&token), "/login").await;
    assert_eq!((status, location.as_deref()), (303, Some("/dashboard")));

    // An admin sees it too.
    let (_, admin) = app.create_staff(UserRole::Admin);
    assert_eq!(log_in(&app, &admin, PASSWORD).await.status, 303);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401_form() {
    let app = spawn_app().await;
    let (_, email) = app.create_staff(UserRole::Manager);
    let wrong = log_in(&app, &email, "not the password at all").await;
    let unknown = log_in(&app, "nobody@staff.test", PASSWORD).await;
    for outcome in [&wrong, &unknown] {
        assert_eq!(outcome.status, 401);
        assert!(outcome.session_set_cookie.is_none());
        assert!(
            outcome
                .body
                .contains("The email or the password is not right.")
        );
    }
    assert!(
        wrong.body.contains(&format!(r#"value="{email}""#)),
        "the email is kept"
    );
    assert_eq!(count(&mut app.db.conn(), "dashboard_sessions"), 0);
    // The API's attempt limit: 5 a minute for one email from one address, then 429.
    for _ in 0..4 {
        log_in(&app, &email, "still not the password").await;
    }
    let limited = log_in(&app, &email, PASSWORD).await;
    assert_eq!(limited.status, 429);
    assert!(limited.body.contains("Too many attempts."));
    assert!(limited.session_set_cookie.is_none());
}

#[tokio::test]
async fn agents_technicians_and_deactivated_managers_get_a_403_page_and_no_session() {
    let app = spawn_app().await;
    for role in [UserRole::Agent, UserRole::Technician] {
        let (_, email) = app.create_staff(role);
        let outcome = log_in(&app, &email, PASSWORD).await;
        assert_eq!(outcome.status, 403, "{role:?}");
        assert!(
            outcome
                .body
                .contains("The dashboard is for managers and admins")
        );
        assert!(outcome.session_set_cookie.is_none());
    }
    let (id, email) = app.create_staff(UserRole::Manager);
    let cookie = log_in(&app, &email, PASSWORD).await.cookie();
    diesel::update(frontline::schema::users::table.find(id))
        .set(frontline::schema::users::active.eq(false))
        .execute(&mut app.db.conn())
        .unwrap();
    // The open session stops at once; a new log-in is refused.
    let (status, _, body) = get_page(&app, Some(&cookie), "/dashboard").await;
    assert_eq!(status, 403);
    assert!(body.contains("This account is deactivated"));
    let outcome = log_in(&app, &email, PASSWORD).await;
    assert_eq!(outcome.status, 403);
    assert_eq!(count(&mut app.db.conn(), "dashboard_sessions"), 1);
}

#[tokio::test]
async fn log_out_revokes_the_session_and_the_old_cookie_opens_nothing() {
    let app = spawn_app().await;
    let cookie = manager_session(&app).await;
    let (status, _, html) = get_page(&app, Some(&cookie), "/dashboard").await;
    assert_eq!(status, 200);
    let token = csrf_field(&html);
    // Without the token, or from elsewhere: refused, still logged in.
    let (status, _, _) = post_form(&app, &cookie, Some(&app.address), "/logout", &[]).await;
    assert_eq!(status, 403);
    let (status, _, _) = post_form(
        &app,
        &cookie,
        Some("https://evil.example"),
        "/logout",
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(get_page(&app, Some(&cookie), "/dashboard").await.0, 200);

    let r = client()
        .post(format!("{}/logout", app.address))
        .header(COOKIE, &cookie)
        .header(ORIGIN, &app.address)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(encode(&[("csrf_token", &token)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()[LOCATION], "/login");
    let removal = set_cookie(&r, "frontline_session").unwrap();
    assert!(
        removal.contains("Max-Age=0") || removal.contains("Expires"),
        "{removal}"
    );
    let (status, location, _) = get_page(&app, Some(&cookie), "/dashboard").await;
    assert_eq!((status, location.as_deref()), (303, Some("/login")));
    let revoked: i64 = count(
        &mut app.db.conn(),
        "dashboard_sessions WHERE revoked_at IS NOT NULL",
    );
    assert_eq!(revoked, 1);
}

#[tokio::test]
async fn a_post_without_or_with_a_wrong_csrf_token_or_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let cookie = manager_session(&app).await;
    let (_, _, html) = get_page(&app, Some(&cookie), "/dashboard").await;
    let token = csrf_field(&html);
    let form = |csrf: &'static str| {
        vec![
            ("scope", "company"),
            ("from", "2026-01-01"),
            ("to", "2026-03-01"),
            ("comparison", "previous"),
            ("category", "contact_center_of_the_year"),
            ("word_limit", "500"),
            ("time_zone", "UTC"),
            ("csrf_token", csrf),
        ]
    };
    let path = "/dashboard/reports/evidence";
    let own = Some(app.address.as_str());
    let mut without = form("");
    without.pop();
    assert_eq!(post_form(&app, &cookie, own, path, &without).await.0, 403);
    let (status, _, body) = post_form(&app, &cookie, own, path, &form("wrong-token")).await;
    assert_eq!(status, 403);
    assert!(body.contains("This form could not be accepted"));
    // The right token from a foreign page (a cross-site form post): refused.
    let token: &'static str = Box::leak(token.into_boxed_str());
    let (status, _, _) = post_form(
        &app,
        &cookie,
        Some("https://evil.example"),
        path,
        &form(token),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post_form(&app, &cookie, Some("null"), path, &form(token)).await;
    assert_eq!(status, 403);
    let lookalike = format!("{}.evil.example", app.address);
    let (status, _, _) = post_form(&app, &cookie, Some(&lookalike), path, &form(token)).await;
    assert_eq!(status, 403);
    let r = client()
        .post(format!("{}{path}", app.address))
        .header(COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(encode(&form(token)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(count(&mut app.db.conn(), "reports"), 0, "nothing stored");

    // The log-in form: no CSRF cookie, a forged one, or another origin: 403.
    let (_, email) = app.create_staff(UserRole::Manager);
    let page = client()
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    let login_cookie = pair(&set_cookie(&page, "frontline_login_csrf").unwrap());
    let login_token = csrf_field(&page.text().await.unwrap());
    let fields = [
        ("email", email.as_str()),
        ("password", PASSWORD),
        ("csrf_token", &login_token),
    ];
    let (status, _, _) = post_form(&app, "", own, "/login", &fields).await;
    assert_eq!(status, 403, "no CSRF cookie");
    let forged = "frontline_login_csrf=abc.def";
    let forged_fields = [
        ("email", email.as_str()),
        ("password", PASSWORD),
        ("csrf_token", "abc.def"),
    ];
    assert_eq!(
        post_form(&app, forged, own, "/login", &forged_fields)
            .await
            .0,
        403
    );
    let (status, _, _) = post_form(
        &app,
        &login_cookie,
        Some("https://evil.example"),
        "/login",
        &fields,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        count(&mut app.db.conn(), "dashboard_sessions"),
        1,
        "the first manager's only"
    );
    // The real page's form works.
    assert_eq!(
        post_form(&app, &login_cookie, own, "/login", &fields)
            .await
            .0,
        303
    );
}

#[tokio::test]
async fn the_evidence_form_names_a_bad_field_then_stores_a_report_through_the_api_path() {
    let app = spawn_app().await;
    crate::reports::fixture(&app);
    let cookie = manager_session(&app).await;
    let (status, _, html) = get_page(&app, Some(&cookie), "/dashboard/reports/evidence").await;
    assert_eq!(status, 200);
    let token = csrf_field(&html);
    let own = Some(app.address.as_str());
    let path = "/dashboard/reports/evidence";
    let mut fields = vec![
        ("scope", "company"),
        ("scope_id", ""),
        ("from", "2026-01-01"),
        ("to", "2026-13-01"),
        ("comparison", "previous"),
        ("comparison_from", ""),
        ("comparison_to", ""),
        ("category", "contact_center_of_the_year"),
        ("word_limit", "500"),
        ("time_zone", "UTC"),
        ("csrf_token", token.as_str()),
    ];
    let (status, _, body) = post_form(&app, &cookie, own, path, &fields).await;
    assert_eq!(status, 422);
    assert!(body.contains(r#"id="ev-to-error""#), "{body}");
    assert!(
        body.contains(r#"id="ev-to" name="to" type="date" value="2026-13-01" aria-invalid="true""#)
    );
    // Refused by the API's own parsing: the team does not exist.
    fields[3] = ("to", "2026-03-01");
    fields[0] = ("scope", "team");
    fields[1] = ("scope_id", "999999");
    let (status, _, body) = post_form(&app, &cookie, own, path, &fields).await;
    assert_eq!(status, 422);
    assert!(body.contains(r#"id="ev-scope_id-error""#), "{body}");
    // The optional calendar: an id no calendar has is named on the form, its value kept.
    fields[0] = ("scope", "company");
    fields[1] = ("scope_id", "");
    fields.push(("calendar", "999999"));
    let (status, _, body) = post_form(&app, &cookie, own, path, &fields).await;
    assert_eq!(status, 422);
    assert!(body.contains(r#"id="ev-calendar-error""#), "{body}");
    assert!(body.contains(
        r#"id="ev-calendar" name="calendar" inputmode="numeric" value="999999" aria-invalid="true""#
    ));
    fields.pop();
    assert_eq!(count(&mut app.db.conn(), "reports"), 0);

    let (status, location, _) = post_form(&app, &cookie, own, path, &fields).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    let id: i64 = location
        .strip_prefix("/dashboard/reports/")
        .unwrap()
        .parse()
        .unwrap();
    // The same HTML the API serves for the stored report.
    let r = client()
        .get(format!("{}{location}", app.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'none'")
    );
    let page = r.text().await.unwrap();
    let api = app
        .client
        .get(format!("{}/api/v1/reports/{id}?format=html", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, api);
    let created = Regex::new(r#"data-figure="headline.tickets_created" data-value="([^"]*)""#)
        .unwrap()
        .captures(&page)
        .map(|c| c[1].to_string());
    assert_eq!(
        created.as_deref(),
        Some("3.0"),
        "the fixture's three tickets"
    );
    // Listed on the dashboard; an unknown report is a 404 page; without a session, to /login.
    let (_, _, html) = get_page(&app, Some(&cookie), "/dashboard").await;
    assert!(html.contains(&format!(
        r#"<a href="/dashboard/reports/{id}">Report {id}</a>"#
    )));
    assert_eq!(
        get_page(&app, Some(&cookie), "/dashboard/reports/424242")
            .await
            .0,
        404
    );
    assert_eq!(
        get_page(&app, Some(&cookie), "/dashboard/reports/x")
            .await
            .0,
        404
    );
    assert_eq!(get_page(&app, None, &location).await.0, 303);
}

/// A log relative to now: in the last 30 days A (first reply 30 min, solved after 4 h) and C
/// (1 h, 2 h), D still new; 35 days earlier E (2 h, 3 h).
pub(crate) fn recent_log() -> String {
    let base = (Utc::now() - Duration::days(5))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    let at = |d: Duration| (base + d).format("%Y-%m-%d %H:%M:%S+00:00").to_string();
    let rows = [
        ("RA", "Insert", Duration::zero(), "Ann"),
        ("RA", "Take", Duration::minutes(30), "Bob"),
        ("RA", "Resolve", Duration::hours(4), "Bob"),
        ("RC", "Insert", Duration::days(1), "Ann"),
        ("RC", "Take", Duration::days(1) + Duration::hours(1), "Bob"),
        (
            "RC",
            "Resolve",
            Duration::days(1) + Duration::hours(2),
            "Bob",
        ),
        ("RD", "Insert", Duration::days(2), "Ann"),
        ("RE", "Insert", -Duration::days(35), "Ann"),
        (
            "RE",
            "Take",
            -Duration::days(35) + Duration::hours(2),
            "Bob",
        ),
        (
            "RE",
            "Resolve",
            -Duration::days(35) + Duration::hours(3),
            "Bob",
        ),
    ];
    let mut log = String::from("case,activity,time,who\n");
    for (case, activity, offset, who) in rows {
        log.push_str(&format!("{case},{activity},{},{who}\n", at(offset)));
    }
    log
}

/// Every `data-figure` → `data-value` of a page.
pub(crate) fn figures_of(html: &str) -> BTreeMap<String, String> {
    Regex::new(r#"data-figure="([^"]+)" data-value="([^"]*)""#)
        .unwrap()
        .captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// The API JSON's value at a dotted path, as the page writes it (empty for `null`).
pub(crate) fn json_at(json: &Value, path: &str) -> String {
    match path.split('.').try_fold(json, |v, k| v.get(k)) {
        None | Some(Value::Null) => String::new(),
        Some(v) => v.to_string(),
    }
}

#[tokio::test]
async fn the_dashboard_figures_equal_the_metrics_api_and_the_hand_worked_values() {
    let app = spawn_app().await;
    app.import(&recent_log(), &crate::helpers::small_mapping());
    let cookie = manager_session(&app).await;
    let (status, _, html) = get_page(&app, Some(&cookie), "/dashboard").await;
    assert_eq!(status, 200);
    let figures = figures_of(&html);
    let period =
        Regex::new(r#"data-from="([^"]+)" data-to="([^"]+)" data-previous-from="([^"]+)""#)
            .unwrap()
            .captures(&html)
            .unwrap();
    let q = |s: &str| s.replace('+', "%2B");
    let (from, to, previous) = (q(&period[1]), q(&period[2]), q(&period[3]));
    let current = app
        .get_json(
            &format!("/api/v1/metrics/summary?from={from}&to={to}&include=contact_rates"),
            200,
        )
        .await;
    let before = app
        .get_json(
            &format!("/api/v1/metrics/summary?from={previous}&to={from}&include=contact_rates"),
            200,
        )
        .await;
    let teams = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=team&from={from}&to={to}"),
            200,
        )
        .await;
    let mut compared = 0;
    for (figure, value) in &figures {
        let (scope, path) = figure.split_once('.').unwrap();
        let expected = match scope {
            "current" => json_at(&current, path),
            "previous" => json_at(&before, path),
            "team" => {
                let (key, path) = path.split_once('.').unwrap();
                let group = teams["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|g| g["key"].as_str().unwrap_or("none") == key)
                    .unwrap();
                json_at(group, path)
            }
            _ => continue,
        };
        assert_eq!(value, &expected, "{figure}");
        compared += 1;
    }
    assert!(compared >= 25, "{compared} figures compared");
    // By hand: A and C in the last 30 days (D unsolved), E in the 30 before.
    let f = |k: &str| figures[k].as_str();
    assert_eq!(f("current.tickets_created"), "3");
    assert_eq!(f("current.tickets_solved"), "2");
    assert_eq!(f("current.first_reply_time.median"), "2700.0");
    assert_eq!(f("current.full_resolution_time.median"), "10800.0");
    assert_eq!(f("current.reopen_rate.value"), "0.0");
    assert_eq!(f("previous.tickets_created"), "1");
    assert_eq!(f("previous.first_reply_time.median"), "7200.0");
    assert_eq!(f("current.csat.value"), "");
    // Today's backlog: D is new.
    assert_eq!(f("backlog.new"), "1");
    assert_eq!(f("backlog.total"), "1");
    assert!(html.contains("<td class=\"num\">+"), "a change is shown");
    // The trend charts: inline SVG with an accessible name.
    assert_eq!(html.matches("<figure class=\"chart\">").count(), 3);
    assert!(html.contains("role=\"img\""));
}

#[tokio::test]
async fn the_bake_off_form_names_a_bad_field_then_registers_the_protocol_and_shows_the_report() {
    let app = spawn_app().await;
    crate::reports::fixture(&app);
    let cookie = manager_session(&app).await;
    let (status, _, html) = get_page(&app, Some(&cookie), "/dashboard/reports/bake-off").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<label for="bo-comparison">Comparison</label>"#));
    let token = csrf_field(&html);
    let own = Some(app.address.as_str());
    let path = "/dashboard/reports/bake-off";
    let mut fields = vec![
        ("comparison", "sourcing"),
        ("from", "2026-01-01"),
        ("to", "2026-13-01"),
        ("time_zone", "UTC"),
        ("calendar", ""),
        ("csrf_token", token.as_str()),
    ];
    let (status, _, body) = post_form(&app, &cookie, own, path, &fields).await;
    assert_eq!(status, 422);
    assert!(
        body.contains(r#"id="bo-to" name="to" type="date" value="2026-13-01" aria-invalid="true""#),
        "{body}"
    );
    // Refused by the protocol's own validation: no such calendar.
    fields[2] = ("to", "2026-04-01");
    fields[4] = ("calendar", "987654");
    let (status, _, body) = post_form(&app, &cookie, own, path, &fields).await;
    assert_eq!(status, 422);
    assert!(body.contains("no such business calendar"), "{body}");
    assert_eq!(count(&mut app.db.conn(), "reports"), 0);

    fields[4] = ("calendar", "");
    let (status, location, _) = post_form(&app, &cookie, own, path, &fields).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    let id: i64 = location
        .strip_prefix("/dashboard/reports/")
        .unwrap()
        .parse()
        .unwrap();
    let (status, _, page) = get_page(&app, Some(&cookie), &location).await;
    assert_eq!(status, 200);
    assert!(page.contains("In-house vs outsourced contact center, 2026-01-01 to 2026-04-01"));
    assert_eq!(count(&mut app.db.conn(), "bake_off_protocols"), 1);
    let (_, _, dashboard) = get_page(&app, Some(&cookie), "/dashboard").await;
    assert!(
        dashboard.contains(&format!(
            "<a href=\"/dashboard/reports/{id}\">Report {id}</a> (bake_off): bake-off under protocol "
        )),
        "{dashboard}"
    );
    let api = app
        .client
        .get(format!("{}/api/v1/reports/{id}?format=html", app.address))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, api);
}
