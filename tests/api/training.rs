//! Training records (`/training/courses`, completions, `/users/{id}/training`) and the
//! training-effect report on a hand-made log whose difference in differences is worked out by
//! hand (docs/METRICS.md §11).

use crate::helpers::{TestApp, count, spawn_app};
use diesel::prelude::*;
use frontline::import::event_log::Mapping;
use frontline::models::enums::UserRole;
use reqwest::Method;
use serde_json::{Value, json};

async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{}", app.address, path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    send(app, &app.admin_token, method, path, body).await
}

#[tokio::test]
async fn courses_are_created_edited_listed_and_validated() {
    let app = spawn_app().await;
    let (status, course) = admin(
        &app,
        Method::POST,
        "/api/v1/training/courses",
        Some(json!({"name": "  De-escalation  ", "description": "Calming an angry caller."})),
    )
    .await;
    assert_eq!(status, 201, "{course}");
    assert_eq!(course["name"], "De-escalation");
    assert_eq!(course["description"], "Calming an angry caller.");
    assert_eq!(course["active"], true);
    let id = course["id"].as_i64().unwrap();

    // Names are unique ignoring case; bad fields are named; nothing is written.
    for (body, status, field) in [
        (json!({"name": "de-ESCALATION"}), 409, "name"),
        (json!({"name": "   "}), 422, "name"),
        (json!({"name": "a\nb"}), 422, "name"),
        (json!({"name": "x".repeat(201)}), 422, "name"),
        (json!({}), 422, "name"),
        (
            json!({"name": "Ok", "description": "x".repeat(2001)}),
            422,
            "description",
        ),
        (json!({"name": "Ok", "active": "yes"}), 422, "active"),
        (json!({"name": "Ok", "colour": "red"}), 422, "colour"),
    ] {
        let (actual, problem) = admin(
            &app,
            Method::POST,
            "/api/v1/training/courses",
            Some(body.clone()),
        )
        .await;
        assert_eq!(actual, status, "{body}: {problem}");
        assert!(problem["errors"].get(field).is_some(), "{body}: {problem}");
    }
    assert_eq!(count(&mut app.db.conn(), "training_courses"), 1);

    let (status, other) = admin(
        &app,
        Method::POST,
        "/api/v1/training/courses",
        Some(json!({"name": "Billing basics", "active": false, "description": "  "})),
    )
    .await;
    assert_eq!((status, other["description"].clone()), (201, Value::Null));

    // PATCH: absent fields unchanged, null description clears, a taken name is a 409.
    let path = format!("/api/v1/training/courses/{id}");
    let (status, edited) = admin(
        &app,
        Method::PATCH,
        &path,
        Some(json!({"active": false, "description": null})),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (
            edited["name"].as_str(),
            edited["description"].clone(),
            edited["active"].clone()
        ),
        (Some("De-escalation"), Value::Null, json!(false))
    );
    let (status, problem) = admin(
        &app,
        Method::PATCH,
        &path,
        Some(json!({"name": "BILLING basics"})),
    )
    .await;
    assert_eq!(
        (status, problem["errors"]["name"].is_array()),
        (409, true),
        "{problem}"
    );
    let (status, _) = admin(
        &app,
        Method::PATCH,
        "/api/v1/training/courses/999999",
        Some(json!({"active": true})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin(&app, Method::GET, "/api/v1/training/courses/999999", None).await;
    assert_eq!(status, 404);

    let list = app.get_json("/api/v1/training/courses", 200).await;
    let names: Vec<&str> = list["courses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Billing basics", "De-escalation"]);
    let active = app
        .get_json("/api/v1/training/courses?active=true", 200)
        .await;
    assert_eq!(active["courses"], json!([]));
    let one = app.get_json(&path, 200).await;
    assert_eq!(one["active"], false);

    // Staff read, only admins and managers write.
    let agent = app.token_for(UserRole::Agent);
    let technician = app.token_for(UserRole::Technician);
    let manager = app.token_for(UserRole::Manager);
    assert_eq!(
        send(&app, &technician, Method::GET, &path, None).await.0,
        200
    );
    assert_eq!(
        send(&app, &agent, Method::GET, "/api/v1/training/courses", None)
            .await
            .0,
        200
    );
    assert_eq!(
        send(
            &app,
            &agent,
            Method::POST,
            "/api/v1/training/courses",
            Some(json!({"name": "Mine"}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        send(
            &app,
            &agent,
            Method::PATCH,
            &path,
            Some(json!({"active": true}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        send(
            &app,
            &manager,
            Method::PATCH,
            &path,
            Some(json!({"active": true}))
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn completions_are_recorded_once_listed_per_course_and_per_person_and_deleted() {
    let app = spawn_app().await;
    let course = admin(
        &app,
        Method::POST,
        "/api/v1/training/courses",
        Some(json!({"name": "Empathy"})),
    )
    .await
    .1["id"]
        .as_i64()
        .unwrap();
    let (ann, _) = app.create_staff(UserRole::Agent);
    let (bob, _) = app.create_staff(UserRole::Agent);
    let path = format!("/api/v1/training/courses/{course}/completions");
    let (status, done) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"user_id": ann, "completed_on": "2026-03-11", "score": 87})),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["course_id"], course);
    assert_eq!(done["course_name"], "Empathy");
    assert_eq!(done["user_id"], ann);
    assert_eq!(done["user_name"], "Test Staff");
    assert_eq!(done["completed_on"], "2026-03-11");
    assert_eq!(done["score"], 87);
    assert!(done["recorded_by"].is_i64());

    for (body, status, field) in [
        (
            json!({"user_id": ann, "completed_on": "2026-04-01"}),
            409,
            "user_id",
        ),
        (
            json!({"user_id": 999_999, "completed_on": "2026-04-01"}),
            422,
            "user_id",
        ),
        (
            json!({"user_id": bob, "completed_on": "2999-01-01"}),
            422,
            "completed_on",
        ),
        (
            json!({"user_id": bob, "completed_on": "1899-12-31"}),
            422,
            "completed_on",
        ),
        (
            json!({"user_id": bob, "completed_on": "11/03/2026"}),
            422,
            "completed_on",
        ),
        (
            json!({"user_id": bob, "completed_on": "2026-03-11", "score": 101}),
            422,
            "score",
        ),
        (
            json!({"user_id": bob, "completed_on": "2026-03-11", "score": -1}),
            422,
            "score",
        ),
        (
            json!({"user_id": bob, "completed_on": "2026-03-11", "score": 99.5}),
            422,
            "score",
        ),
        (json!({"completed_on": "2026-03-11"}), 422, "user_id"),
        (json!({"user_id": bob}), 422, "completed_on"),
    ] {
        let (actual, problem) = admin(&app, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(actual, status, "{body}: {problem}");
        assert!(problem["errors"].get(field).is_some(), "{body}: {problem}");
    }
    let (status, _) = admin(
        &app,
        Method::POST,
        "/api/v1/training/courses/999999/completions",
        Some(json!({"user_id": bob, "completed_on": "2026-03-11"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(count(&mut app.db.conn(), "training_completions"), 1);

    let (status, _) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"user_id": bob, "completed_on": "2026-02-01", "score": null})),
    )
    .await;
    assert_eq!(status, 201);
    let list = app.get_json(&path, 200).await;
    let who: Vec<(i64, &str, Value)> = list["completions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["user_id"].as_i64().unwrap(),
                c["completed_on"].as_str().unwrap(),
                c["score"].clone(),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            (bob, "2026-02-01", Value::Null),
            (ann, "2026-03-11", json!(87))
        ]
    );

    // A staff member reads their own list; a technician cannot read someone else's.
    let (tech, tech_email) = app.create_staff(UserRole::Technician);
    let tech_token = login(&app, &tech_email).await;
    let (status, _) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"user_id": tech, "completed_on": "2026-01-15"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, mine) = send(
        &app,
        &tech_token,
        Method::GET,
        &format!("/api/v1/users/{tech}/training"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(mine["completions"][0]["course_name"], "Empathy");
    assert_eq!(mine["completions"][0]["completed_on"], "2026-01-15");
    assert_eq!(
        send(
            &app,
            &tech_token,
            Method::GET,
            &format!("/api/v1/users/{ann}/training"),
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        send(&app, &tech_token, Method::GET, &path, None).await.0,
        403
    );
    assert_eq!(
        admin(&app, Method::GET, "/api/v1/users/999999/training", None)
            .await
            .0,
        404
    );
    assert_eq!(
        admin(
            &app,
            Method::GET,
            "/api/v1/training/courses/999999/completions",
            None
        )
        .await
        .0,
        404
    );

    // Delete, then the second delete finds nothing; a retake can then be recorded.
    let one = format!("{path}/{ann}");
    let agent = app.token_for(UserRole::Agent);
    assert_eq!(send(&app, &agent, Method::DELETE, &one, None).await.0, 403);
    assert_eq!(admin(&app, Method::DELETE, &one, None).await.0, 204);
    assert_eq!(admin(&app, Method::DELETE, &one, None).await.0, 404);
    let (status, _) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"user_id": ann, "completed_on": "2026-04-01"})),
    )
    .await;
    assert_eq!(status, 201);
    let ann_list = app
        .get_json(&format!("/api/v1/users/{ann}/training"), 200)
        .await;
    assert_eq!(ann_list["completions"][0]["completed_on"], "2026-04-01");
    assert_eq!(ann_list["completions"][0]["score"], Value::Null);
}

async fn login(app: &TestApp, email: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": crate::helpers::PASSWORD}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn effect_mapping() -> Mapping {
    Mapping::parse(
        r#"
        [columns]
        ticket_id = "case"
        activity = "activity"
        timestamp = "time"
        staff = "who"

        [ticket]
        subject = "Case {ticket_id}"
        team = "Help desk"

        [activities]
        "Insert" = ["create"]
        "Reply" = ["assign", "agent_reply"]
        "Resolve" = ["solve"]
        "Again" = ["requester_reply"]
        "#,
    )
    .expect("mapping")
}

/// A ticket created at 09:00 on 2026-03-`day`, first reply by `who` after `frt` seconds, solved by
/// them an hour later, reopened by the requester a day later when `reopened`.
fn case(id: &str, day: u32, who: &str, frt: i64, reopened: bool) -> String {
    let created = chrono::NaiveDate::from_ymd_opt(2026, 3, day)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let at = |s: i64| {
        format!(
            "{}+00:00",
            (created + chrono::Duration::seconds(s)).format("%Y-%m-%d %H:%M:%S")
        )
    };
    let mut rows = format!(
        "{id},Insert,{},Desk\n{id},Reply,{},{who}\n{id},Resolve,{},{who}\n",
        at(0),
        at(frt),
        at(frt + 3600)
    );
    if reopened {
        rows.push_str(&format!("{id},Again,{},{who}\n", at(frt + 3600 + 86_400)));
    }
    rows
}

#[tokio::test]
async fn the_effect_on_a_hand_made_log_is_the_difference_in_differences_worked_out_by_hand() {
    let app = spawn_app().await;
    // Completion on 2026-03-11, one week: before [03-04, 03-11), after [03-12, 03-19).
    let mut log = String::from("case,activity,time,who\n");
    for rows in [
        // Trained Tara: before 3600 s (reopened) and 1800 s; after 600 s.
        case("T1", 5, "Tara", 3600, true),
        case("T2", 6, "Tara", 1800, false),
        case("T3", 13, "Tara", 600, false),
        // The completion day itself is in neither window (its reply and solve fall on it).
        case("T4", 11, "Tara", 3000, true),
        // Trained Theo: before 2400 s (reopened); after 1200 s and 600 s.
        case("T5", 5, "Theo", 2400, true),
        case("T6", 13, "Theo", 1200, false),
        case("T7", 14, "Theo", 600, false),
        // Untrained Uma: 3000 s before and after; untrained Ugo: 1200 s before, 1800 s after
        // (reopened).
        case("U1", 5, "Uma", 3000, false),
        case("U2", 13, "Uma", 3000, false),
        case("U3", 6, "Ugo", 1200, false),
        case("U4", 14, "Ugo", 1800, true),
        // Untrained Vic replied only before: left out.
        case("V1", 6, "Vic", 500, false),
        // Outside both windows.
        case("X1", 1, "Uma", 7, true),
        case("X2", 20, "Ugo", 7, true),
    ] {
        log.push_str(&rows);
    }
    app.import(&log, &effect_mapping());
    let mut conn = app.db.conn();
    let id_of = |name: &str, conn: &mut PgConnection| -> i64 {
        use frontline::schema::users;
        users::table
            .filter(users::name.eq(name))
            .select(users::id)
            .first(conn)
            .unwrap()
    };
    let (tara, theo) = (id_of("Tara", &mut conn), id_of("Theo", &mut conn));
    let course = admin(
        &app,
        Method::POST,
        "/api/v1/training/courses",
        Some(json!({"name": "Customer service"})),
    )
    .await
    .1["id"]
        .as_i64()
        .unwrap();
    for who in [tara, theo] {
        let (status, _) = admin(
            &app,
            Method::POST,
            &format!("/api/v1/training/courses/{course}/completions"),
            Some(json!({"user_id": who, "completed_on": "2026-03-11"})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let path = format!("/api/v1/training/courses/{course}/effect?weeks=1");
    let body = app.get_json(&path, 200).await;
    assert_eq!(body["course"]["name"], "Customer service");
    assert_eq!(
        (body["weeks"].clone(), body["time"].clone()),
        (json!(1), json!("calendar"))
    );
    assert_eq!(
        (body["completions"].clone(), body["cohorts"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(body["time_zone"], "UTC");

    let frt = &body["metrics"]["first_reply_time"];
    assert_eq!(frt["metric"], "frt.v1");
    assert_eq!(frt["unit"], "seconds");
    let did = &frt["difference_in_differences"];
    // Trained before (3600 + 1800 + 2400)/3 = 2600, after (600 + 1200 + 600)/3 = 800: −1800.
    // Untrained before (3000 + 1200)/2 = 2100, after (3000 + 1800)/2 = 2400: +300. DiD −2100.
    assert_eq!(did["estimate"], -2100.0);
    assert_eq!(did["trained_before"], json!({"n": 3, "mean": 2600.0}));
    assert_eq!(did["trained_after"], json!({"n": 3, "mean": 800.0}));
    assert_eq!(did["untrained_before"], json!({"n": 2, "mean": 2100.0}));
    assert_eq!(did["untrained_after"], json!({"n": 2, "mean": 2400.0}));
    assert_eq!(
        (did["trained_staff"].clone(), did["untrained_staff"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(
        (did["resamples"].clone(), did["resamples_used"].clone()),
        (json!(2000), json!(2000))
    );
    assert_eq!(
        (did["seed"].clone(), did["confidence"].clone()),
        (json!(13), json!(0.95))
    );
    let (low, high) = (did["low"].as_f64().unwrap(), did["high"].as_f64().unwrap());
    assert!(low <= -2100.0 && -2100.0 <= high, "{did}");
    assert_eq!(frt["trained_staff_left_out"], json!([]));
    assert_eq!(frt["untrained_staff_left_out"], 1, "Vic");
    let cells: Vec<&str> = frt["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["cell"].as_str().unwrap())
        .collect();
    assert_eq!(
        cells,
        [
            "trained_before",
            "trained_after",
            "untrained_before",
            "untrained_after"
        ]
    );
    assert_eq!(
        frt["flags"][0]["caution"],
        json!({"flag": "too_few_to_conclude", "observations": 3, "minimum": 30})
    );

    // Reopens, by latest solve: trained before 2/3 (T1, T5), after 0/3; untrained before 0/2,
    // after 1/2 (U4). DiD (0 − 2/3) − (1/2 − 0) = −7/6.
    let reopen = &body["metrics"]["reopen_rate"];
    assert_eq!(
        (reopen["metric"].clone(), reopen["unit"].clone()),
        (json!("reopen_rate.v1"), json!("fraction"))
    );
    let r = &reopen["difference_in_differences"];
    // (serde_json's default parser can miss a float's last bit: compared within 1e-12.)
    let estimate = r["estimate"].as_f64().unwrap();
    assert!((estimate - (-7.0 / 6.0)).abs() < 1e-12, "{r}");
    assert_eq!(r["trained_before"]["n"], 3);
    let mean = r["trained_before"]["mean"].as_f64().unwrap();
    assert!((mean - 2.0 / 3.0).abs() < 1e-12, "{r}");
    assert_eq!(r["trained_after"], json!({"n": 3, "mean": 0.0}));
    assert_eq!(r["untrained_before"], json!({"n": 2, "mean": 0.0}));
    assert_eq!(r["untrained_after"], json!({"n": 2, "mean": 0.5}));

    // The same seed gives the same interval; business time on a 24/7 team is the same figure.
    let again = app
        .get_json(&format!("{path}&time=business&seed=13"), 200)
        .await;
    assert_eq!(again["metrics"], body["metrics"]);
    assert_eq!(again["time"], "business");

    // Two weeks bring in nothing more (X1 and X2 lie outside); Tara without her "after" ticket
    // would be left out: checked with a completion date whose after week holds none of hers.
    let later = admin(
        &app,
        Method::POST,
        "/api/v1/training/courses",
        Some(json!({"name": "Late"})),
    )
    .await
    .1["id"]
        .as_i64()
        .unwrap();
    admin(
        &app,
        Method::POST,
        &format!("/api/v1/training/courses/{later}/completions"),
        Some(json!({"user_id": tara, "completed_on": "2026-03-14"})),
    )
    .await;
    let late = app
        .get_json(
            &format!("/api/v1/training/courses/{later}/effect?weeks=1"),
            200,
        )
        .await;
    assert_eq!(
        late["metrics"]["first_reply_time"]["trained_staff_left_out"],
        json!([tara])
    );
    assert_eq!(
        late["metrics"]["first_reply_time"]["difference_in_differences"],
        Value::Null
    );

    // A course nobody completed: no cohort, no estimate.
    let empty = admin(
        &app,
        Method::POST,
        "/api/v1/training/courses",
        Some(json!({"name": "Nobody"})),
    )
    .await
    .1["id"]
        .as_i64()
        .unwrap();
    let none = app
        .get_json(&format!("/api/v1/training/courses/{empty}/effect"), 200)
        .await;
    assert_eq!(
        (none["weeks"].clone(), none["cohorts"].clone()),
        (json!(4), json!(0))
    );
    assert_eq!(
        none["metrics"]["reopen_rate"]["difference_in_differences"],
        Value::Null
    );

    // Bad parameters, roles, unknown course.
    for (query, field) in [
        ("weeks=0", "weeks"),
        ("weeks=27", "weeks"),
        ("weeks=two", "weeks"),
        ("time=wall", "time"),
        ("seed=-1", "seed"),
        ("seed=9007199254740992", "seed"),
    ] {
        let (status, problem) = admin(
            &app,
            Method::GET,
            &format!("/api/v1/training/courses/{course}/effect?{query}"),
            None,
        )
        .await;
        assert_eq!(status, 422, "{query}: {problem}");
        assert!(problem["errors"].get(field).is_some(), "{query}: {problem}");
    }
    assert_eq!(
        admin(
            &app,
            Method::GET,
            "/api/v1/training/courses/999999/effect",
            None
        )
        .await
        .0,
        404
    );
    let agent = app.token_for(UserRole::Agent);
    assert_eq!(send(&app, &agent, Method::GET, &path, None).await.0, 403);
    let manager = app.token_for(UserRole::Manager);
    assert_eq!(send(&app, &manager, Method::GET, &path, None).await.0, 200);
}

/// The seed's built-in effect is found by the report: the trained agents' first replies fall after
/// their completion date against the untrained agents' over the same weeks (an interval below 0)
/// and so do their reopens; the placebo course, with no built-in effect, finds no first-reply
/// effect (its interval holds 0).
#[tokio::test]
async fn the_seeded_course_shows_its_built_in_effect_and_the_placebo_course_none() {
    use frontline::seed::{self, Profile, SeedOptions, Writer};
    let db = crate::helpers::TestDb::new();
    {
        let mut conn = db.conn();
        let options = SeedOptions {
            tickets: 3_000,
            seed: 42,
            writer: Writer::Bulk,
            ..SeedOptions::for_profile(Profile::Demo)
        };
        seed::run(&mut conn, &options).unwrap();
    }
    let app = crate::helpers::spawn_app_on(db).await;
    let courses = app.get_json("/api/v1/training/courses", 200).await;
    let names: Vec<&str> = courses["courses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            seed::training::EFFECT_COURSE,
            seed::training::RETIRED_COURSE,
            seed::training::PLACEBO_COURSE
        ]
    );
    let id_of = |i: usize| courses["courses"][i]["id"].as_i64().unwrap();
    let (effect, placebo) = (id_of(0), id_of(2));
    let completions = app
        .get_json(
            &format!("/api/v1/training/courses/{effect}/completions"),
            200,
        )
        .await;
    assert_eq!(completions["completions"].as_array().unwrap().len(), 12);

    for weeks in [4, 8] {
        let report = |course: i64| {
            let app = &app;
            async move {
                app.get_json(
                    &format!(
                        "/api/v1/training/courses/{course}/effect?weeks={weeks}&time=business"
                    ),
                    200,
                )
                .await
            }
        };
        let body = report(effect).await;
        assert_eq!(
            (body["completions"].clone(), body["cohorts"].clone()),
            (json!(12), json!(12))
        );
        let frt = &body["metrics"]["first_reply_time"]["difference_in_differences"];
        // 12 trained and 12 untrained agents (technicians and managers are not compared).
        assert_eq!(
            (frt["trained_staff"].clone(), frt["untrained_staff"].clone()),
            (json!(12), json!(12))
        );
        let (est, high) = (
            frt["estimate"].as_f64().unwrap(),
            frt["high"].as_f64().unwrap(),
        );
        assert!(est < -1000.0 && high < 0.0, "weeks {weeks}: {frt}");
        // The trained agents' own replies take about half as long after the course.
        let ratio = frt["trained_after"]["mean"].as_f64().unwrap()
            / frt["trained_before"]["mean"].as_f64().unwrap();
        assert!((0.4..0.7).contains(&ratio), "weeks {weeks}: {frt}");
        let reopen = &body["metrics"]["reopen_rate"]["difference_in_differences"];
        assert!(
            reopen["estimate"].as_f64().unwrap() < -0.03,
            "weeks {weeks}: {reopen}"
        );
        assert!(
            reopen["high"].as_f64().unwrap() < 0.0,
            "weeks {weeks}: {reopen}"
        );

        let body = report(placebo).await;
        let frt = &body["metrics"]["first_reply_time"]["difference_in_differences"];
        assert_eq!(
            (frt["trained_staff"].clone(), frt["untrained_staff"].clone()),
            (json!(8), json!(16))
        );
        let (low, high) = (frt["low"].as_f64().unwrap(), frt["high"].as_f64().unwrap());
        assert!(low < 0.0 && 0.0 < high, "placebo, weeks {weeks}: {frt}");
    }
}
