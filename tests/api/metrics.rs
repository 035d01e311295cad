//! `GET /api/v1/metrics/summary`: hand-worked figures on a small log, an empty period, bad input,
//! and the real help-desk log checked against an independent computation.

use crate::helpers::{helpdesk_log, helpdesk_mapping, small_mapping, spawn_app};
use frontline::import::event_log::{ImportOptions, import_file};
use serde_json::{Value, json};

const LOG: &str = "\
case,activity,time,who
A,Insert,2026-03-02 09:00:00+00:00,Ann
A,Take,2026-03-02 09:30:00+00:00,Bob
A,Wait,2026-03-02 10:00:00+00:00,Bob
A,Take,2026-03-02 12:00:00+00:00,Bob
A,Resolve,2026-03-02 13:00:00+00:00,Bob
A,Closed,2026-03-06 13:00:00+00:00,Bob
B,Take,2026-03-03 08:00:00+00:00,Bob
B,Resolve,2026-03-03 08:00:00+00:00,Bob
B,Take,2026-03-03 08:00:00+00:00,Cid
C,Insert,2026-03-04 09:00:00+00:00,Ann
C,Wait,2026-03-04 10:00:00+00:00,Bob
C,Resolve,2026-03-04 11:15:00+00:00,Bob
D,Insert,2026-03-05 09:00:00+00:00,Ann
";

fn null_stats() -> Value {
    json!({ "count": 0, "mean": null, "median": null, "p90": null, "min": null, "max": null })
}

#[tokio::test]
async fn an_empty_database_gives_zero_counts_and_null_statistics() {
    let app = spawn_app().await;
    let body = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(body["tickets_created"], 0);
    assert_eq!(body["tickets_solved"], 0);
    assert_eq!(
        body["reopen_rate"],
        json!({ "numerator": 0, "denominator": 0, "value": null })
    );
    assert_eq!(body["first_reply_time"], null_stats());
    assert_eq!(body["full_resolution_time"], null_stats());
}

#[tokio::test]
async fn the_summary_of_a_small_log_matches_figures_worked_out_by_hand() {
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    let body = app.get_json("/api/v1/metrics/summary", 200).await;
    // Created: A, B, C, D. Solved at least once (by latest solve): A 03-02 13:00, B 03-03 08:00,
    // C 03-04 11:15. B was reopened (and is open now, so it has no full resolution time).
    assert_eq!(body["tickets_created"], 4);
    assert_eq!(body["tickets_solved"], 3);
    assert_eq!(body["definitions"]["first_reply_time"], "frt.v1");
    assert_eq!(
        body["definitions"]["full_resolution_time"],
        "full_resolution.v1"
    );
    assert_eq!(body["definitions"]["reopen_rate"], "reopen_rate.v1");
    assert_eq!(
        body["reopen_rate"],
        json!({ "numerator": 1, "denominator": 3, "value": 1.0 / 3.0 })
    );
    // frt: A 1800 s (Bob's take-in-charge at 09:30); B 0 s (B was created by a take-in-charge,
    // its first reply is Cid's at the same instant). Mean 900, median 900,
    // p90 = 0 + 0.9 × (1800 − 0) = 1620.
    assert_eq!(
        body["first_reply_time"],
        json!({ "count": 2, "mean": 900.0, "median": 900.0, "p90": 1620.0, "min": 0, "max": 1800 })
    );
    // Full resolution: A 4 h = 14400 s, C 2 h 15 min = 8100 s. Mean 11250, median 11250,
    // p90 = 8100 + 0.9 × 6300 = 13770.
    assert_eq!(
        body["full_resolution_time"],
        json!({ "count": 2, "mean": 11250.0, "median": 11250.0, "p90": 13770.0, "min": 8100, "max": 14400 })
    );

    // [03-02 00:00, 03-03 08:00): only A — B was created, replied to and solved at the excluded end.
    let day = app
        .get_json(
            "/api/v1/metrics/summary?from=2026-03-02T00:00:00Z&to=2026-03-03T08:00:00Z",
            200,
        )
        .await;
    assert_eq!(day["period"]["from"], "2026-03-02T00:00:00Z");
    assert_eq!(day["tickets_created"], 1);
    assert_eq!(day["tickets_solved"], 1);
    assert_eq!(day["first_reply_time"]["count"], 1);
    assert_eq!(day["first_reply_time"]["max"], 1800);
    assert_eq!(day["reopen_rate"]["numerator"], 0);
}

#[tokio::test]
async fn bad_summary_parameters_are_problems_naming_the_field() {
    let app = spawn_app().await;
    for (query, status, field) in [
        ("from=yesterday", 422, "from"),
        ("to=2026-13-01T00:00:00Z", 422, "to"),
        (
            "from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
            422,
            "to",
        ),
        ("period=month", 400, "period"),
        ("to=2012-12-31T23:59:60Z", 422, "to"),
        ("from=2012-01-01T00:00:00+01:00", 422, "from"),
    ] {
        let response = app.get(&format!("/api/v1/metrics/summary?{query}")).await;
        assert_eq!(response.status().as_u16(), status, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][field].is_array(), "{query}: {body}");
        if query.contains('+') {
            // The unencoded `+` arrived as a space: the message says how to send it.
            assert!(body.to_string().contains("%2B"), "{body}");
        }
    }
}

/// Asserts a figure within 1e-6 relative (floating-point sums may differ in the last bits).
fn assert_close(actual: &Value, expected: f64, what: &str) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {actual}"));
    assert!(
        (a - expected).abs() <= 1e-6 * expected.abs().max(1.0),
        "{what}: {a} != {expected}"
    );
}

fn assert_summary(body: &Value, expected: &Value, label: &str) {
    for key in ["tickets_created", "tickets_solved"] {
        assert_eq!(body[key], expected[key], "{label} {key}");
    }
    assert_eq!(
        body["reopen_rate"]["numerator"], expected["reopen_rate"]["numerator"],
        "{label}"
    );
    assert_eq!(
        body["reopen_rate"]["denominator"], expected["reopen_rate"]["denominator"],
        "{label}"
    );
    for metric in ["first_reply_time", "full_resolution_time"] {
        for key in ["count", "min", "max"] {
            assert_eq!(
                body[metric][key], expected[metric][key],
                "{label} {metric}.{key}"
            );
        }
        for key in ["mean", "median", "p90"] {
            assert_close(
                &body[metric][key],
                expected[metric][key].as_f64().unwrap(),
                &format!("{label} {metric}.{key}"),
            );
        }
    }
}

/// The expected figures were computed independently of the product by
/// `scripts/independent_metrics.py` (Python standard library only: its own CSV reading, its own
/// reading of docs/METRICS.md and data/helpdesk/mapping.toml, its own percentile_cont), with
/// `python3 scripts/independent_metrics.py 2012-01-01T00:00:00+00:00 2013-01-01T00:00:00+00:00
///  2011-03-01T00:00:00+00:00 2011-04-01T00:00:00+00:00`, and pasted here.
#[tokio::test]
async fn the_summary_of_the_real_log_matches_an_independent_computation() {
    let app = spawn_app().await;
    import_file(
        &mut app.db.conn(),
        &helpdesk_log(),
        &helpdesk_mapping(),
        ImportOptions::default(),
    )
    .unwrap();
    let expected = [
        (
            "",
            json!({"tickets_created": 4580, "tickets_solved": 4569,
                   "reopen_rate": {"numerator": 150, "denominator": 4569},
                   "first_reply_time": {"count": 4220, "mean": 357674.97559241706, "median": 62420.0,
                                        "p90": 1281228.7, "min": 6, "max": 4038854},
                   "full_resolution_time": {"count": 4569, "mean": 995447.6662289341, "median": 567338.0,
                                            "p90": 2595086.6, "min": 0, "max": 5069861}}),
        ),
        (
            "?from=2012-01-01T00:00:00Z&to=2013-01-01T00:00:00Z",
            json!({"tickets_created": 1412, "tickets_solved": 1414,
                   "reopen_rate": {"numerator": 13, "denominator": 1414},
                   "first_reply_time": {"count": 1271, "mean": 169918.73957513768, "median": 10057.0,
                                        "p90": 507610.0, "min": 7, "max": 3487479},
                   "full_resolution_time": {"count": 1414, "mean": 735719.4207920792, "median": 268209.5,
                                            "p90": 2211422.3000000017, "min": 0, "max": 3871762}}),
        ),
        (
            "?from=2011-03-01T00:00:00Z&to=2011-04-01T00:00:00Z",
            json!({"tickets_created": 120, "tickets_solved": 139,
                   "reopen_rate": {"numerator": 14, "denominator": 139},
                   "first_reply_time": {"count": 123, "mean": 102872.05691056911, "median": 63.0,
                                        "p90": 259883.1999999999, "min": 9, "max": 2158727},
                   "full_resolution_time": {"count": 139, "mean": 805574.1942446043, "median": 498184.0,
                                            "p90": 2070640.8, "min": 28, "max": 3549911}}),
        ),
    ];
    for (query, figures) in expected {
        let body = app
            .get_json(&format!("/api/v1/metrics/summary{query}"), 200)
            .await;
        assert_summary(
            &body,
            &figures,
            if query.is_empty() { "whole log" } else { query },
        );
    }
}

/// Monthly figures of 2012 (UTC buckets): (month, created, solved, reopened, frt count, frt median,
/// full resolution count, median, mean), computed independently of the product with
/// `python3 scripts/independent_metrics.py --monthly 2012` and pasted here.
type Month = (&'static str, i64, i64, i64, i64, f64, i64, f64, f64);

const MONTHS_2012: [Month; 12] = [
    (
        "2012-01",
        202,
        206,
        2,
        183,
        4102.0,
        206,
        257290.5,
        564104.1990291262,
    ),
    (
        "2012-02",
        146,
        144,
        4,
        124,
        2001.5,
        144,
        173644.0,
        630182.6319444445,
    ),
    (
        "2012-03",
        145,
        148,
        1,
        135,
        4091.0,
        148,
        165231.5,
        552678.1959459459,
    ),
    (
        "2012-04",
        126,
        123,
        2,
        121,
        6211.0,
        123,
        259155.0,
        627083.9024390244,
    ),
    (
        "2012-05",
        188,
        199,
        0,
        176,
        14565.0,
        199,
        257897.0,
        597597.8693467337,
    ),
    (
        "2012-06",
        173,
        158,
        2,
        159,
        10094.0,
        158,
        160841.0,
        401882.87341772154,
    ),
    (
        "2012-07",
        216,
        196,
        0,
        185,
        9145.0,
        196,
        169561.0,
        549956.306122449,
    ),
    (
        "2012-08",
        78,
        121,
        0,
        75,
        21842.0,
        121,
        574831.0,
        942536.2314049586,
    ),
    ("2012-09", 35, 20, 0, 27, 78751.0, 20, 1806076.5, 2268160.65),
    (
        "2012-10",
        42,
        36,
        0,
        44,
        301739.0,
        36,
        1962035.5,
        2301567.388888889,
    ),
    (
        "2012-11",
        27,
        36,
        0,
        24,
        364398.0,
        36,
        2438358.0,
        2379222.222222222,
    ),
    ("2012-12", 34, 27, 2, 18, 291960.0, 27, 1791298.0, 2085125.0),
];

#[tokio::test]
async fn a_monthly_timeseries_of_the_real_log_matches_an_independent_computation() {
    let app = spawn_app().await;
    import_file(
        &mut app.db.conn(),
        &helpdesk_log(),
        &helpdesk_mapping(),
        ImportOptions::default(),
    )
    .unwrap();
    let body = app
        .get_json(
            "/api/v1/metrics/timeseries?interval=month&from=2012-01-01T00:00:00Z&to=2013-01-01T00:00:00Z",
            200,
        )
        .await;
    let buckets = body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 12);
    for (bucket, expected) in buckets.iter().zip(MONTHS_2012) {
        let (month, created, solved, reopened, frt_n, frt_median, res_n, res_median, res_mean) =
            expected;
        assert_eq!(bucket["local_start"], format!("{month}-01T00:00:00"));
        assert_eq!(bucket["tickets_created"], created, "{month}");
        assert_eq!(bucket["tickets_solved"], solved, "{month}");
        assert_eq!(bucket["reopen_rate"]["numerator"], reopened, "{month}");
        assert_eq!(bucket["first_reply_time"]["count"], frt_n, "{month}");
        assert_close(&bucket["first_reply_time"]["median"], frt_median, month);
        assert_eq!(bucket["full_resolution_time"]["count"], res_n, "{month}");
        assert_close(&bucket["full_resolution_time"]["median"], res_median, month);
        assert_close(&bucket["full_resolution_time"]["mean"], res_mean, month);
    }
    // The twelve months add up to the year of the summary (1412 created, 1414 solved).
    let created: i64 = buckets
        .iter()
        .map(|b| b["tickets_created"].as_i64().unwrap())
        .sum();
    let solved: i64 = buckets
        .iter()
        .map(|b| b["tickets_solved"].as_i64().unwrap())
        .sum();
    assert_eq!((created, solved), (1412, 1414));
}

#[tokio::test]
async fn timeseries_buckets_follow_the_reporting_zone_and_empty_ones_are_zero() {
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    // Days of 2026-03-01 .. 03-07 (UTC): A created 03-02, B 03-03, C 03-04, D 03-05.
    let body = app
        .get_json(
            "/api/v1/metrics/timeseries?interval=day&from=2026-03-01T00:00:00Z&to=2026-03-07T00:00:00Z",
            200,
        )
        .await;
    let created: Vec<i64> = body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["tickets_created"].as_i64().unwrap())
        .collect();
    assert_eq!(created, vec![0, 1, 1, 1, 1, 0]);
    assert_eq!(body["buckets"][0]["first_reply_time"], null_stats());
    // One ISO week (from Monday 03-02) holds all four; its first reply median is (0 + 1800) / 2.
    let week = app
        .get_json(
            "/api/v1/metrics/timeseries?interval=week&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z",
            200,
        )
        .await;
    assert_eq!(week["buckets"].as_array().unwrap().len(), 1);
    assert_eq!(week["buckets"][0]["tickets_created"], 4);
    assert_eq!(week["buckets"][0]["first_reply_time"]["median"], 900.0);
    for (query, field) in [
        (
            "interval=year&from=2026-03-01T00:00:00Z&to=2026-03-07T00:00:00Z",
            "interval",
        ),
        ("interval=day&to=2026-03-07T00:00:00Z", "from"),
        (
            "interval=day&from=2020-01-01T00:00:00Z&to=2026-03-07T00:00:00Z",
            "interval",
        ),
    ] {
        let r = app
            .get(&format!("/api/v1/metrics/timeseries?{query}"))
            .await;
        let status = r.status().as_u16();
        let problem: Value = r.json().await.unwrap();
        assert!(status == 422 || status == 400, "{query}: {status}");
        assert!(problem["errors"][field].is_array(), "{query}: {problem}");
    }
}

#[tokio::test]
async fn a_breakdown_by_agent_matches_figures_worked_out_by_hand_and_downloads_as_csv() {
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    let body = app
        .get_json("/api/v1/metrics/breakdown?by=agent", 200)
        .await;
    let groups = body["groups"].as_array().unwrap();
    let find = |label: Option<&str>| {
        groups
            .iter()
            .find(|g| g["label"].as_str() == label)
            .unwrap_or_else(|| panic!("{label:?} in {body}"))
    };
    // Each figure is the agent's who was responsible (docs/METRICS.md §7): Bob wrote A's first
    // reply (1800 s) and was the assignee at the latest solve of A and C (resolutions 14400 s
    // and 8100 s). Bob created B with a public comment, so B's first reply is Cid's (0 s); B's
    // solve, at 08:00, is credited to the assignee as of 08:00, Cid (Cid took it over in the
    // same second), and B was reopened since. Volumes are a team's, never an agent's: all four
    // tickets are in the group without an agent.
    let bob = find(Some("Bob"));
    assert_eq!(bob["tickets_created"], 0);
    assert_eq!(bob["tickets_solved"], 2);
    assert_eq!(
        bob["reopen_rate"],
        json!({"numerator": 0, "denominator": 2, "value": 0.0})
    );
    assert_eq!(bob["full_resolution_time"]["min"], 8100);
    assert_eq!(bob["full_resolution_time"]["max"], 14400);
    assert_eq!(bob["first_reply_time"]["count"], 1);
    assert_eq!(bob["first_reply_time"]["max"], 1800);
    let cid = find(Some("Cid"));
    assert_eq!(
        cid["reopen_rate"],
        json!({"numerator": 1, "denominator": 1, "value": 1.0})
    );
    assert_eq!(cid["full_resolution_time"]["count"], 0);
    assert_eq!(cid["first_reply_time"]["count"], 1);
    assert_eq!(cid["first_reply_time"]["max"], 0);
    let nobody = find(None);
    assert_eq!(nobody["key"], Value::Null);
    assert_eq!(nobody["tickets_created"], 4);
    assert_eq!(nobody["tickets_solved"], 0);
    assert_eq!(groups.len(), 3, "{body}");
    // The workload view: Bob is assigned A (closed) and C (solved), Cid B; D has no assignee.
    let current = app
        .get_json("/api/v1/metrics/breakdown?by=current_agent", 200)
        .await;
    let created: Vec<(Value, Value)> = current["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["label"].clone(), g["tickets_created"].clone()))
        .collect();
    assert_eq!(
        created,
        vec![
            (json!("Bob"), json!(2)),
            (json!("Cid"), json!(1)),
            (Value::Null, json!(1))
        ]
    );

    let csv = app
        .client
        .get(format!(
            "{}/api/v1/metrics/breakdown?by=priority",
            app.address
        ))
        .bearer_auth(&app.admin_token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "priority,label,tickets_created,tickets_solved,reopened,reopen_denominator,reopen_rate,\
         first_reply_time_count,first_reply_time_mean_seconds,first_reply_time_median_seconds,\
         first_reply_time_p90_seconds,first_reply_time_min_seconds,first_reply_time_max_seconds,\
         full_resolution_time_count,full_resolution_time_mean_seconds,\
         full_resolution_time_median_seconds,full_resolution_time_p90_seconds,\
         full_resolution_time_min_seconds,full_resolution_time_max_seconds,\
         sla_attainment_numerator,sla_attainment_denominator,sla_attainment,\
         csat_numerator,csat_denominator,csat,csat_mean_score,csat_response_rate_numerator,\
         csat_response_rate_denominator,csat_response_rate,nps_promoters,nps_passives,\
         nps_detractors,nps_responses,nps,\
         work_orders_completed,travel_time_count,travel_time_mean_seconds,\
         travel_time_median_seconds,travel_time_p90_seconds,travel_time_min_seconds,\
         travel_time_max_seconds,wrench_time_count,wrench_time_mean_seconds,\
         wrench_time_median_seconds,wrench_time_p90_seconds,wrench_time_min_seconds,\
         wrench_time_max_seconds,time_to_arrival_count,time_to_arrival_mean_seconds,\
         time_to_arrival_median_seconds,time_to_arrival_p90_seconds,\
         time_to_arrival_min_seconds,time_to_arrival_max_seconds,\
         arrival_window_met_numerator,arrival_window_met_denominator,arrival_window_met,\
         first_time_fix_numerator,first_time_fix_denominator,first_time_fix,\
         repeat_visit_rate_numerator,repeat_visit_rate_denominator,repeat_visit_rate,ftf_days"
    );
    // Every imported ticket has priority normal: one row with the summary's figures (no SLA
    // policy: attainment 0 / 0, an empty value).
    assert_eq!(
        lines.next().unwrap(),
        "normal,normal,4,3,1,3,0.3333333333333333,2,900,900,1620,0,1800,2,11250,11250,13770,8100,14400,0,0,,\
         0,0,,,0,0,,0,0,0,0,,\
         0,0,,,,,,0,,,,,,0,,,,,,0,0,,0,0,,0,0,,30"
    );
    assert_eq!(lines.next(), None);
    let bad = app.get("/api/v1/metrics/breakdown?by=colour").await;
    assert_eq!(bad.status().as_u16(), 422);
}

#[tokio::test]
async fn one_touch_first_contact_and_repeat_contact_rates_worked_out_by_hand_overall_and_per_group()
{
    let app = spawn_app().await;
    app.add_categories(&["billing", "equipment"]);
    let (agent, _) = app.create_staff(frontline::models::enums::UserRole::Agent);
    let send = |method: reqwest::Method, path: String, body: Value, if_match: Option<i64>| {
        let mut r = app
            .client
            .request(method, format!("{}{}", app.address, path))
            .bearer_auth(&app.admin_token)
            .json(&body);
        if let Some(v) = if_match {
            r = r.header("if-match", format!("\"{v}\""));
        }
        r.send()
    };
    let create = |body: Value| send(reqwest::Method::POST, "/api/v1/tickets".into(), body, None);
    // T1: Rosa, billing; one agent reply, solved.
    let t1: Value = create(json!({"requester": {"name": "Rosa", "email": "rosa@example.com"},
        "subject": "Refund", "channel": "web", "category": "billing", "description": "Refund please"}))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let rosa = t1["requester_id"].clone();
    let id1 = t1["id"].as_i64().unwrap();
    send(
        reqwest::Method::POST,
        format!("/api/v1/tickets/{id1}/comments"),
        json!({"body": "Done."}),
        None,
    )
    .await
    .unwrap();
    let r = send(
        reqwest::Method::PATCH,
        format!("/api/v1/tickets/{id1}"),
        json!({"assignee_id": agent, "status": "solved"}),
        Some(2),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // T2: Rosa again, billing, after T1 was solved: a repeat contact, and T1 is no FCR.
    create(json!({"requester_id": rosa, "subject": "Refund again", "channel": "web", "category": "billing"}))
        .await
        .unwrap();
    // T3: Sam, equipment: solved without any reply.
    create(
        json!({"requester": {"name": "Sam"}, "subject": "Handset", "channel": "phone",
        "category": "equipment", "assignee_id": agent, "status": "solved"}),
    )
    .await
    .unwrap();

    // Solved: T1 (1 reply), T3 (0 replies). One-touch 2/2, strict 1/2; FCR: T3 only, 1/2;
    // repeat contacts among the 3 created: T2, 1/3. (Left out unless asked for.)
    let plain = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(plain.get("fcr_rate"), None);
    let body = app
        .get_json("/api/v1/metrics/summary?include=contact_rates", 200)
        .await;
    assert_eq!(
        body["one_touch_rate"],
        json!({"numerator": 2, "denominator": 2, "value": 1.0})
    );
    assert_eq!(
        body["one_touch_strict_rate"],
        json!({"numerator": 1, "denominator": 2, "value": 0.5})
    );
    assert_eq!(
        body["fcr_rate"],
        json!({"numerator": 1, "denominator": 2, "value": 0.5})
    );
    assert_eq!(
        body["repeat_contact_rate"],
        json!({"numerator": 1, "denominator": 3, "value": 1.0 / 3.0})
    );

    // Per channel: phone has T3 (solved without reply: one-touch, not strict, an FCR; created,
    // no repeat); web has T1 (solved, one reply: one-touch and strict, no FCR because of T2)
    // and T2 (created, a repeat of T1).
    let plain = app
        .get_json("/api/v1/metrics/breakdown?by=channel", 200)
        .await;
    assert_eq!(plain["groups"][0].get("one_touch_rate"), None);
    let breakdown = app
        .get_json(
            "/api/v1/metrics/breakdown?by=channel&include=contact_rates",
            200,
        )
        .await;
    let groups = breakdown["groups"].as_array().unwrap();
    let keys: Vec<&str> = groups.iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec!["phone", "web"]);
    let expected = [
        ("one_touch_rate", [(1, 1), (1, 1)]),
        ("one_touch_strict_rate", [(0, 1), (1, 1)]),
        ("fcr_rate", [(1, 1), (0, 1)]),
        ("repeat_contact_rate", [(0, 1), (1, 2)]),
    ];
    for (rate, per_group) in expected {
        let actual: Vec<(i64, i64)> = groups.iter().map(|g| fraction(&g[rate])).collect();
        assert_eq!(actual, per_group.to_vec(), "{rate}");
        assert_eq!(sum_of(groups, rate), fraction(&body[rate]), "{rate}");
    }
    assert_eq!(groups[1]["repeat_contact_rate"]["value"], 0.5);

    // Day buckets around now (however many the period spans, they hold the same figures).
    let now = chrono::Utc::now();
    let around = |d: i64| {
        (now + chrono::Duration::days(d)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let series = app
        .get_json(
            &format!(
                "/api/v1/metrics/timeseries?interval=day&include=contact_rates&from={}&to={}",
                around(-1),
                around(1)
            ),
            200,
        )
        .await;
    let buckets = series["buckets"].as_array().unwrap();
    for (rate, _) in expected {
        assert_eq!(sum_of(buckets, rate), fraction(&body[rate]), "{rate}");
        assert!(buckets.iter().all(|b| b[rate].is_object()), "{rate}");
    }

    // CSV: numerator, denominator and value of each rate, SLA attainment first.
    let csv = get_csv(
        &app,
        "/api/v1/metrics/breakdown?by=channel&include=contact_rates",
    )
    .await;
    assert!(
        csv[0].ends_with(
            "sla_attainment_numerator,sla_attainment_denominator,sla_attainment,\
             one_touch_rate_numerator,one_touch_rate_denominator,one_touch_rate,\
             one_touch_strict_rate_numerator,one_touch_strict_rate_denominator,\
             one_touch_strict_rate,fcr_rate_numerator,fcr_rate_denominator,fcr_rate,\
             repeat_contact_rate_numerator,repeat_contact_rate_denominator,repeat_contact_rate,\
             csat_numerator,csat_denominator,csat,csat_mean_score,csat_response_rate_numerator,\
             csat_response_rate_denominator,csat_response_rate,nps_promoters,nps_passives,\
             nps_detractors,nps_responses,nps"
        ),
        "{}",
        csv[0]
    );
    assert!(
        csv[1].starts_with("phone,phone,")
            && csv[1].ends_with(",0,0,,1,1,1,0,1,0,1,1,1,0,1,0,0,0,,,0,0,,0,0,0,0,"),
        "{}",
        csv[1]
    );
    assert!(
        csv[2].starts_with("web,web,")
            && csv[2].ends_with(",0,0,,1,1,1,1,1,1,0,1,0,1,2,0.5,0,0,,,0,0,,0,0,0,0,"),
        "{}",
        csv[2]
    );
    // The summary has the field columns too (no ticket-only filter; no work order here).
    let summary_csv = get_csv(&app, "/api/v1/metrics/summary?include=contact_rates").await;
    assert_eq!(
        summary_csv[0],
        format!(
            "{},work_orders_completed,travel_time_count,travel_time_mean_seconds,\
             travel_time_median_seconds,travel_time_p90_seconds,travel_time_min_seconds,\
             travel_time_max_seconds,wrench_time_count,wrench_time_mean_seconds,\
             wrench_time_median_seconds,wrench_time_p90_seconds,wrench_time_min_seconds,\
             wrench_time_max_seconds,time_to_arrival_count,time_to_arrival_mean_seconds,\
             time_to_arrival_median_seconds,time_to_arrival_p90_seconds,\
             time_to_arrival_min_seconds,time_to_arrival_max_seconds,\
             arrival_window_met_numerator,arrival_window_met_denominator,arrival_window_met,\
             first_time_fix_numerator,first_time_fix_denominator,first_time_fix,\
             repeat_visit_rate_numerator,repeat_visit_rate_denominator,repeat_visit_rate,ftf_days",
            csv[0].replacen("channel,label,", "", 1)
        )
    );
    assert!(
        summary_csv[1].ends_with(
            ",0,0,,2,2,1,1,2,0.5,1,2,0.5,1,3,0.3333333333333333,0,0,,,0,0,,0,0,0,0,,\
             0,0,,,,,,0,,,,,,0,,,,,,0,0,,0,0,,0,0,,30"
        ),
        "{}",
        summary_csv[1]
    );
}

#[tokio::test]
async fn every_metrics_endpoint_takes_the_same_ticket_filters() {
    use diesel::prelude::*;
    use frontline::schema::{teams, users};
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    let team: i64 = teams::table
        .filter(teams::name.eq("Help desk"))
        .select(teams::id)
        .first(&mut app.db.conn())
        .unwrap();
    let bob: i64 = users::table
        .filter(users::name.eq("Bob"))
        .select(users::id)
        .first(&mut app.db.conn())
        .unwrap();
    let all = app.get_json("/api/v1/metrics/summary", 200).await;
    let same = app
        .get_json(&format!("/api/v1/metrics/summary?team={team}"), 200)
        .await;
    for key in [
        "tickets_created",
        "tickets_solved",
        "reopen_rate",
        "first_reply_time",
        "full_resolution_time",
    ] {
        assert_eq!(same[key], all[key], "{key}");
    }
    let none = app
        .get_json("/api/v1/metrics/summary?team=999999", 200)
        .await;
    assert_eq!(none["tickets_created"], 0);
    assert_eq!(none["full_resolution_time"], null_stats());
    // Bob's figures: the solves of A (14400 s) and C (8100 s), A's first reply; no volume
    // (volumes are credited to a team).
    let bob_summary = app
        .get_json(&format!("/api/v1/metrics/summary?agent={bob}"), 200)
        .await;
    assert_eq!(bob_summary["tickets_created"], 0);
    assert_eq!(bob_summary["tickets_solved"], 2);
    assert_eq!(bob_summary["first_reply_time"]["max"], 1800);
    assert_eq!(bob_summary["full_resolution_time"]["mean"], 11250.0);
    // The tickets assigned to Bob now: A and C, both created.
    let assigned = app
        .get_json(&format!("/api/v1/metrics/summary?current_agent={bob}"), 200)
        .await;
    assert_eq!(assigned["tickets_created"], 2);
    assert_eq!(assigned["tickets_solved"], 2);
    let breakdown = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=agent&agent={bob}"),
            200,
        )
        .await;
    assert_eq!(breakdown["groups"].as_array().unwrap().len(), 1);
    assert_eq!(breakdown["groups"][0]["label"], "Bob");
    let series = app
        .get_json(
            &format!("/api/v1/metrics/timeseries?interval=week&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z&current_agent={bob}"),
            200,
        )
        .await;
    assert_eq!(series["buckets"][0]["tickets_created"], 2);
    for query in [
        "channel=fax",
        "priority=asap",
        "sourcing=vendor",
        "employment_type=intern",
        "agent_employment_type=intern",
        "current_team=x",
        "calendar=x",
    ] {
        let r = app.get(&format!("/api/v1/metrics/summary?{query}")).await;
        assert_eq!(r.status().as_u16(), 422, "{query}");
    }
}

/// POSTs `body` to `path` as the admin and returns the status and the JSON body.
async fn post_as_admin(app: &crate::helpers::TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}{}", app.address, path))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// GETs `path` as the admin with `Accept: text/csv` and returns the lines of the body.
async fn get_csv(app: &crate::helpers::TestApp, path: &str) -> Vec<String> {
    let r = app
        .client
        .get(format!("{}{}", app.address, path))
        .bearer_auth(&app.admin_token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.text().await.unwrap().lines().map(String::from).collect()
}

/// `(numerator, denominator)` of a rate.
fn fraction(rate: &Value) -> (i64, i64) {
    (
        rate["numerator"].as_i64().unwrap_or(-1),
        rate["denominator"].as_i64().unwrap_or(-1),
    )
}

/// Sums `(numerator, denominator)` of `rate` over groups.
fn sum_of(groups: &[Value], rate: &str) -> (i64, i64) {
    groups.iter().fold((0, 0), |(n, d), g| {
        let (gn, gd) = fraction(&g[rate]);
        (n + gn, d + gd)
    })
}

#[tokio::test]
async fn sla_attainment_per_day_and_per_agent_is_worked_out_by_hand_and_adds_up_to_the_summary() {
    let app = spawn_app().await;
    let (status, policy) = post_as_admin(
        &app,
        "/api/v1/sla-policies",
        json!({"name": "Everything", "position": 1,
               "targets": {"normal": {"first_reply": {"seconds": 3600, "business": false},
                                      "resolution": {"seconds": 14400, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201, "{policy}");
    app.import(LOG, &small_mapping());
    // A ticket created now: its clocks run and are not yet due, so they count nowhere.
    let (status, _) = post_as_admin(
        &app,
        "/api/v1/tickets",
        json!({"requester": {"name": "Rosa"}, "subject": "Fresh", "channel": "phone"}),
    )
    .await;
    assert_eq!(status, 201);

    // Outcomes of the log (first reply 1 h, resolution 4 h of requester wait, calendar):
    //   A first reply  09:30 03-02 after 30 min          achieved 03-02
    //   A resolution   13:00 03-02 after 1 h + 1 h       achieved 03-02 (paused 10:00–12:00)
    //   B first reply  08:00 03-03 (Cid, after 0 s)      achieved 03-03
    //   B resolution   reopened at 08:00 03-03, runs since with 0 s: breached at its due
    //                  instant 12:00 03-03 (now is past it)
    //   C first reply  never replied: breached at 10:00 03-04 (a solve does not stop it)
    //   C resolution   11:15 03-04 after 1 h (pending 10:00–11:15)  achieved 03-04
    //   D first reply  breached at 10:00 03-05; D resolution breached at 13:00 03-05
    // Overall 4 achieved / 8.
    let summary = app.get_json("/api/v1/metrics/summary", 200).await;
    assert_eq!(
        summary["sla_attainment"],
        json!({"numerator": 4, "denominator": 8, "value": 0.5})
    );

    let series = app
        .get_json(
            "/api/v1/metrics/timeseries?interval=day&from=2026-03-01T00:00:00Z&to=2026-03-07T00:00:00Z",
            200,
        )
        .await;
    assert_eq!(series["definitions"]["fcr_rate"], "fcr.v1");
    let buckets = series["buckets"].as_array().unwrap();
    let per_day: Vec<(i64, i64)> = buckets
        .iter()
        .map(|b| fraction(&b["sla_attainment"]))
        .collect();
    assert_eq!(
        per_day,
        vec![(0, 0), (2, 2), (1, 2), (1, 2), (0, 2), (0, 0)]
    );
    assert_eq!(buckets[0]["sla_attainment"]["value"], Value::Null);
    assert_eq!(buckets[2]["sla_attainment"]["value"], 0.5);
    // Contact rates are left out unless asked for.
    assert_eq!(buckets[1].get("fcr_rate"), None);
    assert_eq!(sum_of(buckets, "sla_attainment"), (4, 8));

    // By the assignee at each outcome's instant (docs/METRICS.md §7): Bob 3 / 3 (A's two, C's
    // resolution), Cid (B) 1 / 2, nobody 0 / 3 (C's first reply breached at 10:00, before the
    // solve at 11:15 assigned Bob; D's two).
    let breakdown = app
        .get_json("/api/v1/metrics/breakdown?by=agent", 200)
        .await;
    let groups = breakdown["groups"].as_array().unwrap();
    let by_label: Vec<(Option<&str>, (i64, i64))> = groups
        .iter()
        .map(|g| (g["label"].as_str(), fraction(&g["sla_attainment"])))
        .collect();
    assert!(by_label.contains(&(Some("Bob"), (3, 3))), "{by_label:?}");
    assert!(by_label.contains(&(Some("Cid"), (1, 2))), "{by_label:?}");
    assert!(by_label.contains(&(None, (0, 3))), "{by_label:?}");
    assert_eq!(sum_of(groups, "sla_attainment"), (4, 8));
    // By the current assignee: Bob (A and C) 3 / 4, Cid (B) 1 / 2, D without assignee 0 / 2.
    let breakdown = app
        .get_json("/api/v1/metrics/breakdown?by=current_agent", 200)
        .await;
    let groups = breakdown["groups"].as_array().unwrap();
    let by_label: Vec<(Option<&str>, (i64, i64))> = groups
        .iter()
        .map(|g| (g["label"].as_str(), fraction(&g["sla_attainment"])))
        .collect();
    assert!(by_label.contains(&(Some("Bob"), (3, 4))), "{by_label:?}");
    assert!(by_label.contains(&(Some("Cid"), (1, 2))), "{by_label:?}");
    assert!(by_label.contains(&(None, (0, 2))), "{by_label:?}");
    assert_eq!(sum_of(groups, "sla_attainment"), (4, 8));

    // The same in CSV: three rate columns after the durations (and, for a timeseries without a
    // ticket-only filter, the field columns after them: no work order here).
    let csv = get_csv(
        &app,
        "/api/v1/metrics/timeseries?interval=day&from=2026-03-02T00:00:00Z&to=2026-03-04T00:00:00Z",
    )
    .await;
    assert!(
        csv[0].contains(
            "full_resolution_time_max_seconds,sla_attainment_numerator,sla_attainment_denominator,sla_attainment,csat_numerator,"
        ),
        "{}",
        csv[0]
    );
    assert_eq!(csv.len(), 3);
    // No survey (the satisfaction columns), no work order (the field columns).
    let no_field = ",0,0,,,0,0,,0,0,0,0,,0,0,,,,,,0,,,,,,0,,,,,,0,0,,0,0,,0,0,,30";
    assert!(csv[1].starts_with("2026-03-02T00:00:00+00:00,2026-03-02T00:00:00,1,1,"));
    assert!(csv[1].ends_with(&format!(",2,2,1{no_field}")), "{}", csv[1]);
    assert!(
        csv[2].ends_with(&format!(",1,2,0.5{no_field}")),
        "{}",
        csv[2]
    );
}

#[tokio::test]
async fn grouped_figures_add_up_to_the_summary_with_filters_and_bad_include_is_a_problem() {
    let app = spawn_app().await;
    let (status, _) = post_as_admin(
        &app,
        "/api/v1/sla-policies",
        json!({"name": "Everything", "position": 1,
               "targets": {"normal": {"first_reply": {"seconds": 3600, "business": false},
                                      "resolution": {"seconds": 14400, "business": false}}}}),
    )
    .await;
    assert_eq!(status, 201);
    app.import(LOG, &small_mapping());
    let summary = app
        .get_json("/api/v1/metrics/summary?include=contact_rates", 200)
        .await;
    let rates = [
        "reopen_rate",
        "sla_attainment",
        "one_touch_rate",
        "one_touch_strict_rate",
        "fcr_rate",
        "repeat_contact_rate",
    ];
    for by in [
        "team",
        "agent",
        "organization",
        "site",
        "channel",
        "priority",
        "category",
        "sourcing",
        "employment_type",
    ] {
        let body = app
            .get_json(
                &format!("/api/v1/metrics/breakdown?by={by}&include=contact_rates"),
                200,
            )
            .await;
        let groups = body["groups"].as_array().unwrap();
        for rate in rates {
            assert_eq!(
                sum_of(groups, rate),
                fraction(&summary[rate]),
                "by={by} {rate}"
            );
        }
    }
    for interval in ["day", "week", "month"] {
        let body = app
            .get_json(
                &format!(
                    "/api/v1/metrics/timeseries?interval={interval}&include=contact_rates\
                     &from=2026-02-01T00:00:00Z&to=2026-04-01T00:00:00Z"
                ),
                200,
            )
            .await;
        let buckets = body["buckets"].as_array().unwrap();
        for rate in rates {
            assert_eq!(
                sum_of(buckets, rate),
                fraction(&summary[rate]),
                "interval={interval} {rate}"
            );
        }
    }
    // Filters apply to the new figures as to the others: Bob's outcomes (A's two, C's
    // resolution: C's first reply breached before he had it); his current tickets (A, C) all.
    let bob = app
        .get_json("/api/v1/metrics/breakdown?by=agent", 200)
        .await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "Bob")
        .map(|g| g["key"].as_str().unwrap().to_string())
        .unwrap();
    let bob_summary = app
        .get_json(&format!("/api/v1/metrics/summary?agent={bob}"), 200)
        .await;
    assert_eq!(fraction(&bob_summary["sla_attainment"]), (3, 3));
    let bob_now = app
        .get_json(&format!("/api/v1/metrics/summary?current_agent={bob}"), 200)
        .await;
    assert_eq!(fraction(&bob_now["sla_attainment"]), (3, 4));
    let bob_series = app
        .get_json(
            &format!("/api/v1/metrics/timeseries?interval=week&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z&agent={bob}"),
            200,
        )
        .await;
    assert_eq!(
        fraction(&bob_series["buckets"][0]["sla_attainment"]),
        (3, 3)
    );

    for path in [
        "/api/v1/metrics/breakdown?by=team&include=on_hold_by_reason",
        "/api/v1/metrics/timeseries?interval=day&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&include=everything",
        "/api/v1/metrics/summary?include=contact_rates,sla",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), 422, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let problem: Value = r.json().await.unwrap();
        assert!(problem["errors"]["include"].is_array(), "{path}: {problem}");
    }
}

/// Tickets without a category are compared with tickets without a category (and never with a
/// categorised one) in `fcr.v1` and `repeat_contact.v1`.
#[tokio::test]
async fn tickets_without_a_category_repeat_only_tickets_without_one() {
    let app = spawn_app().await;
    app.add_categories(&["billing"]);
    let (agent, _) = app.create_staff(frontline::models::enums::UserRole::Agent);
    let create = |body: Value| {
        app.client
            .post(format!("{}/api/v1/tickets", app.address))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
    };
    // T1: Nia, no category, solved at creation (no reply: one-touch, FCR candidate).
    let t1: Value = create(
        json!({"requester": {"name": "Nia", "email": "nia@example.com"},
        "subject": "Question", "channel": "phone", "assignee_id": agent, "status": "solved"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let nia = t1["requester_id"].clone();
    // T2: Nia, billing: another category, neither a repeat of T1 nor spoiling its FCR.
    create(
        json!({"requester_id": nia, "subject": "Bill", "channel": "web", "category": "billing"}),
    )
    .await
    .unwrap();
    let body = app
        .get_json("/api/v1/metrics/summary?include=contact_rates", 200)
        .await;
    assert_eq!(
        body["fcr_rate"],
        json!({"numerator": 1, "denominator": 1, "value": 1.0})
    );
    assert_eq!(
        body["repeat_contact_rate"],
        json!({"numerator": 0, "denominator": 2, "value": 0.0})
    );
    // T3: Nia again, no category: a repeat of T1, and T1 is no longer a first-contact resolution.
    create(json!({"requester_id": nia, "subject": "Question again", "channel": "web"}))
        .await
        .unwrap();
    let body = app
        .get_json("/api/v1/metrics/summary?include=contact_rates", 200)
        .await;
    assert_eq!(
        body["fcr_rate"],
        json!({"numerator": 0, "denominator": 1, "value": 0.0})
    );
    assert_eq!(
        body["repeat_contact_rate"],
        json!({"numerator": 1, "denominator": 3, "value": 1.0 / 3.0})
    );
}

/// `Accept` is negotiated (qualities, case); the summary's CSV carries on-hold time by reason
/// when asked for, equal to the JSON; a user-named value that a spreadsheet would run as a
/// formula is defused; an empty category is a problem naming it.
#[tokio::test]
async fn csv_downloads_negotiate_carry_on_hold_time_and_defuse_formulas() {
    let app = spawn_app().await;
    app.add_categories(&["=1+1"]);
    import_file(
        &mut app.db.conn(),
        &helpdesk_log(),
        &helpdesk_mapping(),
        ImportOptions::default(),
    )
    .unwrap();
    for (accept, csv) in [
        ("text/csv", true),
        ("TEXT/CSV", true),
        ("text/csv;q=0", false),
        ("application/json, text/csv;q=0.1", false),
        ("text/csv, application/json;q=0.5", true),
        ("text/csv, application/json", false),
        ("*/*", false),
        ("text/csv, */*", true),
        ("not a media type", false),
    ] {
        let r = app
            .client
            .get(format!("{}/api/v1/metrics/summary", app.address))
            .bearer_auth(&app.admin_token)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{accept}");
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(kind.starts_with("text/csv"), csv, "{accept}: {kind}");
    }

    let path = "/api/v1/metrics/summary?from=2012-01-01T00:00:00Z&to=2013-01-01T00:00:00Z\
                &include=on_hold_by_reason";
    let json = app.get_json(path, 200).await;
    let reasons = json["on_hold_by_reason"].as_object().unwrap();
    assert!(!reasons.is_empty(), "the real log has time on hold");
    let lines = get_csv(&app, path).await;
    assert_eq!(lines.len(), 2);
    let text = lines.join("\n");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let row: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let cell = |name: String| {
        let i = header.iter().position(|h| *h == name).expect(&name);
        row[i].parse::<i64>().unwrap()
    };
    for (reason, figures) in reasons {
        assert_eq!(
            cell(format!("on_hold_{reason}_tickets")),
            figures["tickets"].as_i64().unwrap()
        );
        assert_eq!(
            cell(format!("on_hold_{reason}_seconds")),
            figures["total_seconds"].as_i64().unwrap()
        );
    }
    // Without the include, no on-hold column.
    let plain = get_csv(&app, "/api/v1/metrics/summary").await;
    assert!(!plain[0].contains("on_hold"));

    let (status, _) = post_as_admin(
        &app,
        "/api/v1/tickets",
        json!({"requester": {"name": "Rosa"}, "subject": "Kiosk", "channel": "phone",
               "category": "=1+1"}),
    )
    .await;
    assert_eq!(status, 201);
    let lines = get_csv(&app, "/api/v1/metrics/breakdown?by=category").await;
    assert!(
        lines.iter().any(|l| l.starts_with("'=1+1,'=1+1,")),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("=1+1")));

    let problem = app
        .get_json("/api/v1/metrics/summary?category=%20", 422)
        .await;
    assert!(problem["errors"]["category"].is_array(), "{problem}");
}

/// Agents and technicians get the 403 before any parameter is validated (the figures, and what
/// their parameters may be, are for managers); a manager with the same bad parameter gets the 422.
#[tokio::test]
async fn the_role_is_checked_before_the_parameters() {
    use frontline::models::enums::UserRole;
    let app = spawn_app().await;
    for path in [
        // Refused while the query is read (a type error, a missing or an unknown parameter) …
        "/api/v1/metrics/summary?team=abc",
        "/api/v1/metrics/timeseries?from=2026-01-01T00:00:00Z",
        "/api/v1/metrics/breakdown?by=team&bogus=1",
        // … and afterwards (a bad value).
        "/api/v1/metrics/summary?from=yesterday",
        "/api/v1/metrics/breakdown?by=nonsense",
    ] {
        for (role, status) in [
            (UserRole::Agent, 403),
            (UserRole::Technician, 403),
            (UserRole::Manager, 0),
        ] {
            let token = app.token_for(role);
            let got = app.get_as(Some(&token), path).await.status().as_u16();
            if status == 0 {
                assert!(got == 400 || got == 422, "{path} as {role:?}: {got}");
            } else {
                assert_eq!(got, status, "{path} as {role:?}");
            }
        }
    }
}
