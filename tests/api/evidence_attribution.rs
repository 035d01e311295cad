//! The evidence report credits each figure to whoever was responsible when it happened
//! (docs/METRICS.md §7, "Attribution"), as the metrics endpoints do: an outsourced agent's first
//! reply on a ticket escalated to the in-house team and solved there stays in the outsourced
//! team's (and agent's) report, the resolution goes to the in-house team's; and a report on one
//! named calendar (`calendar`) measures every ticket's first reply on it. Both ways of reading
//! the inputs (the service's store, the command line's SQL) give the same document: `report
//! verify` passes on every report made here.

use crate::attribution::{Staff, calendar, mapping_into, team, team_on};
use crate::helpers::{TestApp, frontline_command, spawn_app};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::{Value, json};

/// POSTs an evidence report as the admin; returns (status, body): the stored report's document
/// on 201, the problem otherwise.
async fn post(app: &TestApp, body: &Value) -> (u16, Value) {
    let r = app
        .send_admin(
            reqwest::Method::POST,
            "/api/v1/reports/evidence",
            Some(body),
        )
        .await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    if status == 201 {
        (status, body["document"].clone())
    } else {
        (status, body)
    }
}

async fn report(app: &TestApp, body: &Value) -> Value {
    let (status, document) = post(app, body).await;
    assert_eq!(status, 201, "{document}");
    verifies(app, &document);
    document
}

/// `report verify`'s recomputation from the database (SQL) matches the service's document (its
/// inputs from the metrics store): manifest, every figure, the narrative.
fn verifies(app: &TestApp, document: &Value) {
    let text = serde_json::to_string(document).unwrap();
    let (stored, params) = frontline::reports::verify::parameters_of(&text).unwrap();
    let fresh = frontline::reports::generate(&mut app.db.conn(), &params).unwrap();
    let outcome = frontline::reports::verify::compare(&stored, &fresh);
    assert!(outcome.passed(), "{:#?}", outcome.lines);
}

/// A figure by id, wherever it is (headline, monthly, splits).
fn fig<'a>(doc: &'a Value, id: &str) -> &'a Value {
    let headline = doc["headline"].as_array().into_iter().flatten();
    let monthly = doc["monthly"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["points"].as_array().into_iter().flatten());
    let splits = doc["splits"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["groups"].as_array().into_iter().flatten())
        .flat_map(|g| g["figures"].as_array().into_iter().flatten());
    headline
        .chain(monthly)
        .chain(splits)
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {doc}"))
}

/// (value, n) of a figure.
fn value_n(doc: &Value, id: &str) -> (Value, i64) {
    let f = fig(doc, id);
    (f["value"].clone(), f["n"].as_i64().unwrap())
}

#[tokio::test]
async fn an_escalated_tickets_first_reply_is_the_outsourced_teams_and_its_solve_the_in_house_teams()
{
    let app = spawn_app().await;
    let vendor_team = team(&app, "Vendor desk", "outsourced");
    let own_team = team(&app, "Own desk", "in_house");
    let vendor_agent = Staff::agent(&app, vendor_team, "contractor");
    let own_agent = Staff::agent(&app, own_team, "employee");

    // The vendor's agent logs a call in the vendor's team, takes it and replies; it is escalated
    // to the in-house team and its agent, who solves it.
    let ticket = vendor_agent
        .send(
            &app,
            reqwest::Method::POST,
            "/api/v1/tickets",
            json!({"requester": {"name": "Facility desk", "email": "desk@facility.example"},
                   "subject": "Phones in unit D dead", "description": "No dial tone.",
                   "channel": "phone", "team_id": vendor_team}),
        )
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}");
    let patch = reqwest::Method::PATCH;
    vendor_agent
        .send(
            &app,
            patch.clone(),
            &path,
            json!({"assignee_id": vendor_agent.id}),
        )
        .await;
    vendor_agent
        .send(
            &app,
            reqwest::Method::POST,
            &format!("{path}/comments"),
            json!({"body": "We are looking into it.", "public": true}),
        )
        .await;
    vendor_agent
        .send(
            &app,
            patch.clone(),
            &path,
            json!({"team_id": own_team, "assignee_id": own_agent.id}),
        )
        .await;
    own_agent
        .send(&app, patch, &path, json!({"status": "solved"}))
        .await;
    #[derive(QueryableByName)]
    struct Frt {
        #[diesel(sql_type = BigInt)]
        frt: i64,
    }
    let frt = diesel::sql_query(
        "SELECT first_reply_business_seconds AS frt FROM ticket_metrics WHERE ticket_id = $1",
    )
    .bind::<BigInt, _>(id)
    .get_result::<Frt>(&mut app.db.conn())
    .unwrap()
    .frt;

    // The eligibility period holds today (UTC) whatever the hour; as_of a minute ahead, so the
    // ticket created this second counts.
    let today = chrono::Utc::now().date_naive();
    let body = |scope: &str, scope_id: Option<i64>| {
        json!({"scope": scope, "scope_id": scope_id,
               "from": (today - chrono::Days::new(1)).to_string(),
               "to": (today + chrono::Days::new(2)).to_string(),
               "comparison": "previous", "category": "customer_service_team",
               "word_limit": 300,
               "as_of": (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339()})
    };
    let frt_value = json!(frt as f64);

    // The vendor's team: the volume (created with it) and the first reply its agent wrote; no
    // solve. Before attribution at the instant, the ticket (now the in-house team's) was not in
    // this report at all.
    let vendor = report(&app, &body("team", Some(vendor_team))).await;
    assert_eq!(
        value_n(&vendor, "headline.tickets_created"),
        (json!(1.0), 1)
    );
    assert_eq!(
        value_n(&vendor, "headline.first_reply_median"),
        (frt_value.clone(), 1)
    );
    for id in [
        "headline.reopen_rate",
        "headline.one_touch_rate",
        "headline.fcr_rate",
    ] {
        assert_eq!(value_n(&vendor, id), (Value::Null, 0), "{id}");
    }
    // The Kaplan–Meier cohort is the volume's: the ticket created with the vendor's team.
    assert_eq!(fig(&vendor, "headline.resolution_median_km")["n"], 1);

    // The in-house team: the solve (reopen, one-touch, FCR), not the volume nor the reply.
    let own = report(&app, &body("team", Some(own_team))).await;
    assert_eq!(value_n(&own, "headline.tickets_created"), (json!(0.0), 0));
    assert_eq!(
        value_n(&own, "headline.first_reply_median"),
        (Value::Null, 0)
    );
    assert_eq!(value_n(&own, "headline.reopen_rate"), (json!(0.0), 1));
    assert_eq!(fig(&own, "headline.reopen_rate")["successes"], 0);
    assert_eq!(fig(&own, "headline.one_touch_rate")["n"], 1);
    assert_eq!(fig(&own, "headline.fcr_rate")["n"], 1);
    assert_eq!(fig(&own, "headline.resolution_median_km")["n"], 0);

    // The agents likewise: the reply is the vendor agent's, the solve the in-house agent's;
    // volumes belong to teams, never to an agent.
    let writer = report(&app, &body("agent", Some(vendor_agent.id))).await;
    assert_eq!(
        value_n(&writer, "headline.first_reply_median"),
        (frt_value.clone(), 1)
    );
    assert_eq!(fig(&writer, "headline.reopen_rate")["n"], 0);
    assert_eq!(fig(&writer, "headline.tickets_created")["value"], 0.0);
    let solver = report(&app, &body("agent", Some(own_agent.id))).await;
    assert_eq!(fig(&solver, "headline.first_reply_median")["n"], 0);
    assert_eq!(value_n(&solver, "headline.reopen_rate"), (json!(0.0), 1));
    assert_eq!(fig(&solver, "headline.tickets_created")["value"], 0.0);

    // The company's sourcing split: the reply and the volume outsourced, the solve in-house.
    let company = report(&app, &body("company", None)).await;
    let split =
        |cohort: &str, key: &str| value_n(&company, &format!("splits.sourcing.{cohort}.{key}"));
    assert_eq!(split("outsourced", "tickets_created"), (json!(1.0), 1));
    assert_eq!(split("in_house", "tickets_created"), (json!(0.0), 0));
    assert_eq!(split("outsourced", "first_reply_median"), (frt_value, 1));
    assert_eq!(split("in_house", "first_reply_median"), (Value::Null, 0));
    assert_eq!(split("outsourced", "reopen_rate"), (Value::Null, 0));
    assert_eq!(split("in_house", "reopen_rate"), (json!(0.0), 1));
    // The methodology says what each scope credits.
    let filters = own["methodology"]["filters"].to_string();
    assert!(filters.contains("team at the latest solve"), "{filters}");
}

#[tokio::test]
async fn a_report_on_one_named_calendar_measures_every_first_reply_on_it() {
    let app = spawn_app().await;
    let weekdays = |hours: Value| {
        json!({"monday": hours, "tuesday": hours, "wednesday": hours, "thursday": hours,
               "friday": hours})
    };
    // Desk A opens 09:00–12:00 UTC, desk B 13:00–17:00 UTC; the office calendar is 09:00–17:00
    // in Berlin (UTC+1 in March 2026: 08:00–16:00 UTC).
    let early = calendar(
        &app,
        json!({"name": "Early desk", "time_zone": "UTC",
               "weekly_hours": weekdays(json!([["09:00", "12:00"]]))}),
    )
    .await;
    let late = calendar(
        &app,
        json!({"name": "Late desk", "time_zone": "UTC",
               "weekly_hours": weekdays(json!([["13:00", "17:00"]]))}),
    )
    .await;
    let office = calendar(
        &app,
        json!({"name": "Office", "time_zone": "Europe/Berlin",
               "weekly_hours": weekdays(json!([["09:00", "17:00"]])),
               "holidays": ["2026-04-03"]}),
    )
    .await;
    team_on(&app, "Desk A", early).await;
    let desk_b = team_on(&app, "Desk B", late).await;
    // 2026-03-02 is a Monday, 2026-03-06 a Friday.
    app.import(
        "case,activity,time,who
A1,Insert,2026-03-02 07:00:00+00:00,Ann
A1,Take,2026-03-02 10:00:00+00:00,Bob
",
        &mapping_into("Desk A"),
    );
    app.import(
        "case,activity,time,who
B1,Insert,2026-03-02 12:00:00+00:00,Cid
B1,Take,2026-03-02 15:30:00+00:00,Dee
B2,Insert,2026-03-06 16:00:00+00:00,Cid
B2,Take,2026-03-09 10:00:00+00:00,Dee
",
        &mapping_into("Desk B"),
    );
    let body = |scope: &str, scope_id: Option<i64>, calendar: Option<i64>| {
        let mut b = json!({"scope": scope, "scope_id": scope_id, "from": "2026-03-01",
                           "to": "2026-04-01", "comparison": "previous",
                           "category": "contact_center_of_the_year", "word_limit": 300,
                           "as_of": "2026-04-10T00:00:00Z"});
        if let Some(c) = calendar {
            b["calendar"] = c.into();
        }
        b
    };

    // Each ticket on its own calendar:
    //   A1 Mon 07:00 → 10:00 UTC on 09–12 UTC: 3600 s.
    //   B1 Mon 12:00 → 15:30 UTC on 13–17 UTC: 9000 s.
    //   B2 Fri 16:00 → Mon 10:00 UTC on 13–17 UTC: Fri 16:00–17:00 = 3600 s.
    // Median of {3600, 3600, 9000} = 3600.
    let own = report(&app, &body("company", None, None)).await;
    assert_eq!(
        value_n(&own, "headline.first_reply_median"),
        (json!(3600.0), 3)
    );
    assert!(
        own["parameters"].get("calendar").is_none(),
        "{}",
        own["parameters"]
    );
    let calendars = own["methodology"]["calendars"].as_str().unwrap();
    assert!(
        calendars.contains("each ticket's own calendar"),
        "{calendars}"
    );

    // All on the office calendar, 08:00–16:00 UTC on weekdays:
    //   A1 07:00 → 10:00 UTC: 08:00–10:00 = 7200 s.
    //   B1 12:00 → 15:30 UTC: 12600 s.
    //   B2 Fri 16:00 UTC (17:00 in Berlin, closed) → Mon 10:00 UTC: Mon 08:00–10:00 = 7200 s.
    // Median of {7200, 7200, 12600} = 7200.
    let one = report(&app, &body("company", None, Some(office))).await;
    assert_eq!(
        value_n(&one, "headline.first_reply_median"),
        (json!(7200.0), 3)
    );
    assert_eq!(one["parameters"]["calendar"], office);
    let calendars = one["methodology"]["calendars"].as_str().unwrap();
    assert!(
        calendars.contains(&format!("\"Office\" (id {office})")),
        "{calendars}"
    );
    assert_ne!(
        own["manifest"]["inputs_sha256"], one["manifest"]["inputs_sha256"],
        "the values measured on the calendar are hashed"
    );
    // The command line's `--calendar` builds the same document, and `report verify` passes on it.
    let dir = std::env::temp_dir().join(format!("frontline-evidence-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("office.json");
    let out = frontline_command(&app.db)
        .args([
            "report",
            "evidence",
            "--scope",
            "company",
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-01",
            "--category",
            "contact_center_of_the_year",
            "--words",
            "300",
            "--as-of",
            "2026-04-10T00:00:00Z",
            "--calendar",
            &office.to_string(),
            "--out",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, one);
    let verify = frontline_command(&app.db)
        .args(["report", "verify"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // Desk B on the office calendar: {7200, 12600}, median 9900, in the headline and in March.
    let b = report(&app, &body("team", Some(desk_b), Some(office))).await;
    assert_eq!(
        value_n(&b, "headline.first_reply_median"),
        (json!(9900.0), 2)
    );
    assert_eq!(
        value_n(&b, "monthly.first_reply_median.2026-03"),
        (json!(9900.0), 2)
    );

    // An unknown calendar, and an id that cannot be one: 422 naming `calendar`, nothing stored.
    let stored = crate::helpers::count(&mut app.db.conn(), "reports");
    for bad in [999_999, 0] {
        let (status, problem) = post(&app, &body("company", None, Some(bad))).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem["errors"].get("calendar").is_some(), "{problem}");
    }
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "reports"), stored);
}
