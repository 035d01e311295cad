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
    ] {
        let response = app.get(&format!("/api/v1/metrics/summary?{query}")).await;
        assert_eq!(response.status().as_u16(), status, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][field].is_array(), "{query}: {body}");
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
/// reading of METRICS.md and data/helpdesk/mapping.toml, its own percentile_cont), with
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
