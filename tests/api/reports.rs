//! The evidence report over a fixed, hand-written event log: figures worked out by hand, the
//! same bytes on every run, `frontline report verify` passing and then failing, naming the
//! figure, after one ticket row changes; the CSV, HTML and Markdown against the JSON; the list
//! of stored reports; the 422s.

use crate::helpers::{
    TestApp, frontline_command, helpdesk_log, helpdesk_mapping, small_mapping, spawn_app,
};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use serde_json::{Value, json};

/// Team "Help desk" has no calendar: business seconds = calendar seconds.
/// Eligibility January–February 2026; comparison (previous 59 days) from 2025-11-03.
const LOG: &str = "case,activity,time,who
A,Insert,2026-01-05 09:00:00+00:00,Ann
A,Take,2026-01-05 10:00:00+00:00,Bob
A,Resolve,2026-01-06 09:00:00+00:00,Bob
B,Insert,2026-01-10 09:00:00+00:00,Ann
B,Take,2026-01-10 09:30:00+00:00,Bob
B,Resolve,2026-01-12 09:00:00+00:00,Bob
C,Insert,2026-02-10 12:00:00+00:00,Ann
C,Take,2026-02-10 14:00:00+00:00,Bob
D,Insert,2025-12-01 09:00:00+00:00,Ann
D,Take,2025-12-01 09:10:00+00:00,Bob
D,Resolve,2025-12-01 10:00:00+00:00,Bob
";

pub(crate) fn body() -> Value {
    json!({"scope": "company", "from": "2026-01-01", "to": "2026-03-01",
           "comparison": "previous", "category": "contact_center_of_the_year",
           "word_limit": 500, "as_of": "2026-03-10T00:00:00Z"})
}

/// The fixture: the log, and one consented 5-star rating of ticket A naming Bob and a ticket.
pub(crate) fn fixture(app: &TestApp) {
    app.import(LOG, &small_mapping());
    let mut conn = app.db.conn();
    diesel::sql_query(
        "WITH c AS (INSERT INTO customers (name, email) VALUES ('Rosa Diaz', 'rosa@example.com')
                    RETURNING id)
         INSERT INTO surveys (ticket_id, customer_id, solved_at, created_at, invite_at, expires_at,
                              sent_at, answered_at, score, comment, consent_to_quote)
         SELECT t.id, c.id, '2026-01-06 09:00Z', '2026-01-06 09:00Z', '2026-01-07 09:00Z',
                '2026-02-04 09:00Z', '2026-01-07 09:00Z', '2026-01-08 10:00Z', 5,
                'Bob sorted it, thanks! Rosa (rosa@example.com, #4411)', TRUE
           FROM tickets t, c WHERE t.external_id = 'A'",
    )
    .execute(&mut conn)
    .unwrap();
}

async fn post(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/reports/evidence", app.address))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn figure<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["headline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {doc}"))
}

#[tokio::test]
async fn an_evidence_report_has_the_hand_worked_figures_and_the_same_bytes_twice() {
    let app = spawn_app().await;
    fixture(&app);
    let manager = app.token_for(UserRole::Manager);
    let (status, stored) = post(&app, &manager, &body()).await;
    assert_eq!(status, 201, "{stored}");
    let doc = &stored["document"];

    let value = |id: &str| {
        (
            figure(doc, id)["value"].clone(),
            figure(doc, id)["n"].clone(),
        )
    };
    assert_eq!(value("headline.tickets_created"), (json!(3.0), json!(3)));
    // First replies 3,600 (A), 1,800 (B), 7,200 (C): median 3,600; comparison D's 600.
    assert_eq!(
        value("headline.first_reply_median"),
        (json!(3600.0), json!(3))
    );
    let frt = figure(doc, "headline.first_reply_median");
    assert_eq!(frt["comparison"]["value"], json!(600.0));
    assert_eq!(frt["change"], json!({"absolute": 3000.0, "relative": 5.0}));
    assert_eq!(frt["interval"]["seed"], json!(20_261_201));
    // Resolution: A 86,400 and B 172,800 solved; C open, censored at 1 March 00:00 (18.5 days).
    // Kaplan–Meier: S = 2/3 after A, 1/3 after B → median 172,800; naive median 129,600.
    assert_eq!(
        value("headline.resolution_median_km"),
        (json!(172_800.0), json!(3))
    );
    assert_eq!(
        value("headline.resolution_median_naive"),
        (json!(129_600.0), json!(2))
    );
    assert_eq!(
        figure(doc, "headline.resolution_median_km")["comparison"]["value"],
        json!(3600.0)
    );
    // No SLA policy: no outcome, no value (never 0).
    assert_eq!(value("headline.sla_attainment"), (Value::Null, json!(0)));
    assert_eq!(value("headline.reopen_rate"), (json!(0.0), json!(2)));
    assert_eq!(value("headline.csat"), (json!(1.0), json!(1)));
    let csat = figure(doc, "headline.csat");
    assert_eq!(csat["successes"], json!(1));
    assert_eq!(csat["flags"][1]["flag"], "csat_wider_than_five_points");
    assert!(
        doc["headline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "headline.first_time_fix"),
        "no field work in the scope"
    );
    assert_eq!(
        doc["monthly"][0]["points"][0]["id"],
        "monthly.volume.2026-01"
    );
    assert_eq!(doc["monthly"][0]["points"][0]["value"], json!(2.0));
    assert_eq!(doc["monthly"][0]["points"][1]["value"], json!(1.0));
    assert_eq!(
        doc["testimonials"],
        json!([{"quote": "[name] sorted it, thanks! [name] ([email], [ticket])", "rating": 5,
                "month": "2026-01"}])
    );
    assert_eq!(doc["manifest"]["tickets"], json!(4));
    assert_eq!(doc["manifest"]["sha256"], stored["manifest_sha256"]);

    // The stored bytes are the generated ones, and a second run gives the same bytes.
    let id = stored["id"].as_i64().unwrap();
    let get = |q: &'static str| {
        let app = &app;
        let manager = manager.clone();
        async move {
            let r = app
                .client
                .get(format!("{}/api/v1/reports/{id}{q}", app.address))
                .bearer_auth(&manager)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let kind = r.headers()["content-type"].to_str().unwrap().to_string();
            (kind, r.text().await.unwrap())
        }
    };
    let (kind, first) = get("").await;
    assert_eq!(kind, "application/json");
    let (status, again) = post(&app, &manager, &body()).await;
    assert_eq!(status, 201);
    let id2 = again["id"].as_i64().unwrap();
    assert_ne!(id, id2);
    let second = app
        .client
        .get(format!("{}/api/v1/reports/{id2}?format=json", app.address))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first, second, "two runs, same bytes");
    assert_eq!(serde_json::from_str::<Value>(&first).unwrap(), *doc);

    // The CSV: a header and one row per figure id.
    let (kind, csv) = get("?format=csv").await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    let figures = doc["headline"].as_array().unwrap().len()
        + doc["monthly"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["points"].as_array().unwrap().len())
            .sum::<usize>()
        + doc["splits"].as_array().unwrap().len();
    assert_eq!(csv.lines().count(), 1 + figures);
    assert!(csv.starts_with("id,label,definition,unit,value,n,successes,low,high,"));
    let by_accept = app
        .client
        .get(format!("{}/api/v1/reports/{id}", app.address))
        .bearer_auth(&manager)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(by_accept, csv, "Accept: text/csv gives the same CSV");
    let row = csv
        .lines()
        .find(|l| l.starts_with("headline.first_reply_median,"))
        .unwrap();
    assert!(row.contains(",frt.v1,seconds,3600.0,3,,"), "{row}");
}

/// `GET /api/v1/reports/{id}` with a query (`?format=…`) and headers: status, headers, body.
async fn get_report(
    app: &TestApp,
    token: &str,
    id: i64,
    query: &str,
    accept: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = app
        .client
        .get(format!("{}/api/v1/reports/{id}{query}", app.address))
        .bearer_auth(token);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

#[tokio::test]
async fn the_html_markdown_and_csv_agree_with_the_json_and_an_unknown_format_is_a_422() {
    let app = spawn_app().await;
    fixture(&app);
    let manager = app.token_for(UserRole::Manager);
    let (status, stored) = post(&app, &manager, &body()).await;
    assert_eq!(status, 201, "{stored}");
    let id = stored["id"].as_i64().unwrap();
    let doc = &stored["document"];
    assert_eq!(
        figure(doc, "headline.first_reply_median")["value"],
        json!(3600.0)
    );
    assert_eq!(figure(doc, "headline.csat")["value"], json!(1.0));

    // HTML: by the query and by Accept (a browser's), the same page, locked down.
    let (status, headers, html) = get_report(&app, &manager, id, "?format=html", None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
        "{csp}"
    );
    let browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let (_, _, by_accept) = get_report(&app, &manager, id, "", Some(browser_accept)).await;
    assert_eq!(by_accept, html);
    assert!(
        html.contains("data-figure=\"headline.first_reply_median\" data-value=\"3600.0\">1 h</td>")
    );
    assert!(html.contains("data-figure=\"headline.csat\" data-value=\"1.0\">100.0 %</td>"));
    assert!(
        html.contains(
            "data-figure=\"headline.sla_attainment\" data-value=\"\">no observations</td>"
        )
    );
    assert!(html.contains("[name] sorted it, thanks! [name] ([email], [ticket])"));
    assert!(!html.contains("<script") && !html.contains("http"));

    // Markdown.
    let (status, headers, md) = get_report(&app, &manager, id, "?format=markdown", None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/markdown; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let (_, _, by_accept) = get_report(&app, &manager, id, "", Some("text/markdown")).await;
    assert_eq!(by_accept, md);
    assert!(md.starts_with("# Evidence report: "), "{md}");
    assert!(
        md.contains("| Median first reply time (business seconds) (`frt.v1`) | 1 h | 3 | "),
        "{md}"
    );
    assert!(
        md.contains("| CSAT (ratings of 4 or 5) (`csat.v1`) | 100.0 % | 1 | "),
        "{md}"
    );
    assert!(md.contains("> \\[name\\] sorted it, thanks!"), "{md}");

    // CSV and JSON carry the same numbers.
    let (_, headers, csv) = get_report(&app, &manager, id, "?format=csv", None).await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let row = csv
        .lines()
        .find(|l| l.starts_with("headline.csat,"))
        .unwrap();
    assert!(row.contains(",csat.v1,ratio,1.0,1,1,"), "{row}");
    let (_, headers, json_text) =
        get_report(&app, &manager, id, "", Some("application/json")).await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(serde_json::from_str::<Value>(&json_text).unwrap(), *doc);

    // The CLI writes the same HTML and Markdown for the same parameters.
    let dir = std::env::temp_dir().join(format!("frontline-render-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    for (format, served) in [("html", &html), ("markdown", &md), ("csv", &csv)] {
        let file = dir.join(format!("report.{format}"));
        let out = frontline_command(&app.db)
            .args([
                "report",
                "evidence",
                "--scope",
                "company",
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-01",
                "--compare",
                "previous",
                "--category",
                "contact_center_of_the_year",
                "--words",
                "500",
                "--as-of",
                "2026-03-10T00:00:00Z",
                "--format",
                format,
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
        assert_eq!(&std::fs::read_to_string(&file).unwrap(), served, "{format}");
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // An unknown format is a problem naming `format`.
    let (status, headers, problem) = get_report(&app, &manager, id, "?format=pdf", None).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    let problem: Value = serde_json::from_str(&problem).unwrap();
    assert!(problem["errors"].get("format").is_some(), "{problem}");
}

#[tokio::test]
async fn the_list_of_stored_reports_is_newest_first_without_documents() {
    let app = spawn_app().await;
    fixture(&app);
    let (manager_id, _) = app.create_staff(UserRole::Manager);
    let manager = crate::helpers::jwt_keys(&app.db.settings)
        .issue(manager_id, UserRole::Manager, chrono::Utc::now())
        .unwrap();
    let (_, first) = post(&app, &manager, &body()).await;
    let mut later = body();
    later["as_of"] = json!("2026-03-20T00:00:00Z");
    later["category"] = json!("customer_service_team");
    let (_, second) = post(&app, &manager, &later).await;
    let (first, second) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );

    let list = |q: &'static str| {
        let app = &app;
        let manager = manager.clone();
        async move {
            let r = app
                .client
                .get(format!("{}/api/v1/reports{q}", app.address))
                .bearer_auth(&manager)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let all = list("").await;
    let ids: Vec<i64> = all["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second, first], "newest first");
    let newest = &all["reports"][0];
    assert_eq!(newest["kind"], "evidence");
    assert_eq!(newest["created_by"], json!(manager_id));
    assert!(newest.get("document").is_none());
    assert_eq!(
        newest["parameters"],
        json!({"scope": "company", "scope_id": null, "from": "2026-01-01", "to": "2026-03-01",
               "comparison_from": "2025-11-03", "comparison_to": "2026-01-01",
               "category": "customer_service_team", "as_of": "2026-03-20T00:00:00Z"})
    );
    assert_eq!(newest["manifest_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(all["meta"]["next_cursor"], Value::Null);

    // Pages of one.
    let page = list("?per_page=1").await;
    assert_eq!(page["reports"][0]["id"], json!(second));
    assert_eq!(page["meta"]["next_cursor"], json!(second.to_string()));
    let next = app
        .client
        .get(format!(
            "{}/api/v1/reports?per_page=1&cursor={second}",
            app.address
        ))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(next["reports"][0]["id"], json!(first));
    let bad = app
        .client
        .get(format!("{}/api/v1/reports?per_page=0", app.address))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
}

#[tokio::test]
async fn verify_passes_then_names_the_figure_a_changed_ticket_row_moved() {
    let app = spawn_app().await;
    fixture(&app);
    let dir = std::env::temp_dir().join(format!("frontline-evidence-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.json");
    let out = frontline_command(&app.db)
        .args([
            "report",
            "evidence",
            "--scope",
            "company",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-01",
            "--compare",
            "previous",
            "--category",
            "contact_center_of_the_year",
            "--words",
            "500",
            "--as-of",
            "2026-03-10T00:00:00Z",
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
    let written = std::fs::read_to_string(&file).unwrap();
    // The CLI and the API build the same document.
    let (_, stored) = post(&app, &app.token_for(UserRole::Admin), &body()).await;
    assert_eq!(
        serde_json::from_str::<Value>(&written).unwrap(),
        stored["document"]
    );

    let verify = || {
        frontline_command(&app.db)
            .args(["report", "verify"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let ok = verify();
    let stdout = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(
        ok.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(stdout.starts_with("ok manifest "), "{stdout}");
    assert!(stdout.contains("ok headline.first_reply_median\n"));
    assert!(!stdout.contains("CHANGED"));

    // One ticket row changes: B's first reply becomes 9,000 business seconds.
    diesel::sql_query(
        "UPDATE ticket_metrics SET first_reply_business_seconds = 9000
          WHERE ticket_id = (SELECT id FROM tickets WHERE external_id = 'B')",
    )
    .execute(&mut app.db.conn())
    .unwrap();
    let failed = verify();
    let stdout = String::from_utf8_lossy(&failed.stdout).to_string();
    assert!(!failed.status.success(), "{stdout}");
    assert!(stdout.starts_with("CHANGED manifest: was "), "{stdout}");
    // 1,800 → 9,000: the median of (3,600, 9,000, 7,200) is 7,200.
    assert!(
        stdout.contains(
            "CHANGED headline.first_reply_median: was 3600.0 (n=3); comparison 600.0 (n=1)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("now 7200.0 (n=3)"), "{stdout}");
    assert!(
        stdout.contains("CHANGED monthly.first_reply_median.2026-01"),
        "{stdout}"
    );
    assert!(stdout.contains("ok headline.tickets_created\n"), "{stdout}");
    assert!(stdout.contains("ok headline.csat\n"), "{stdout}");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("figure(s) changed"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let manager = app.token_for(UserRole::Manager);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown team",
            json!({"scope": "team", "scope_id": 999_999}),
            "scope_id",
        ),
        ("company with an id", json!({"scope_id": 1}), "scope_id"),
        (
            "unknown category",
            json!({"category": "best_vibes"}),
            "category",
        ),
        (
            "unknown comparison",
            json!({"comparison": "last_week"}),
            "comparison",
        ),
        ("bad date", json!({"from": "2026-02-30"}), "from"),
        ("reversed period", json!({"to": "2025-12-01"}), "to"),
        (
            "bad zone",
            json!({"time_zone": "Nowhere/City"}),
            "time_zone",
        ),
        ("words", json!({"word_limit": 6000}), "word_limit"),
        (
            "dates without dates",
            json!({"comparison": "dates"}),
            "comparison_from",
        ),
        ("unknown field", json!({"colour": "blue"}), "colour"),
        ("unknown calendar", json!({"calendar": 999_999}), "calendar"),
        ("calendar id 0", json!({"calendar": 0}), "calendar"),
    ];
    for (what, patch, field) in cases {
        let mut b = body();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (status, problem) = post(&app, &manager, &b).await;
        assert_eq!(status, 422, "{what}: {problem}");
        assert!(problem["errors"].get(field).is_some(), "{what}: {problem}");
    }
    let mut missing = body();
    missing.as_object_mut().unwrap().remove("word_limit");
    let (status, problem) = post(&app, &manager, &missing).await;
    assert_eq!(
        (status, problem["errors"].get("word_limit").is_some()),
        (422, true),
        "{problem}"
    );
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "reports"), 0);
}

/// SLA outcomes and field work over the field-metrics fixture (tests/api/field_metrics.rs: six
/// tickets created 2026-03-02 09:00; only E is replied to, at 09:30; WO1 is followed by WO2 on
/// the same kiosk 29 days after it finished (created 04-01), WO3 is fixed, WO5's ticket is
/// reopened within 30 days, WO6 is cancelled), under a policy with a one-hour first reply.
#[tokio::test]
async fn sla_attainment_counts_tickets_and_first_time_fix_looks_up_as_of() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(format!("{}/api/v1/sla-policies", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({"name": "Default", "position": 1,
            "targets": {"normal": {"first_reply": {"seconds": 3600, "business": false}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    crate::field_metrics::fixture(&app);
    let manager = app.token_for(UserRole::Manager);
    let march = |as_of: &str| {
        json!({"scope": "company", "from": "2026-03-01", "to": "2026-04-01",
               "comparison": "year_earlier", "category": "field_service_team",
               "word_limit": 300, "as_of": as_of})
    };
    let (status, stored) = post(&app, &manager, &march("2026-05-01T00:00:00Z")).await;
    assert_eq!(status, 201, "{stored}");
    let doc = &stored["document"];
    let rate = |doc: &Value, id: &str| {
        let f = figure(doc, id);
        (f["successes"].clone(), f["n"].clone())
    };
    assert_eq!(figure(doc, "headline.tickets_created")["value"], json!(6.0));
    // E's reply at 09:30 achieved; A–D and F breached at 10:00: 1 ticket of 6 attained.
    assert_eq!(rate(doc, "headline.sla_attainment"), (json!(1), json!(6)));
    assert_eq!(
        figure(doc, "headline.first_reply_median")["value"],
        json!(1800.0)
    );
    // First visits ended in March: WO1 (followed by WO2), WO3 (fixed), WO5 (reopened): 1 of 3.
    assert_eq!(rate(doc, "headline.first_time_fix"), (json!(1), json!(3)));
    let split = &doc["splits"][0];
    assert_eq!(split["dimension"], "technician_employment_type");
    let group = |i: usize, f: usize| {
        let g = &split["groups"][i];
        (
            g["value"].clone(),
            g["figures"][f]["id"].clone(),
            g["figures"][f]["value"].clone(),
        )
    };
    assert_eq!(
        group(0, 1),
        (
            json!("employee"),
            json!("splits.technician_employment_type.employee.first_time_fix"),
            json!(0.0)
        )
    );
    assert_eq!(
        group(1, 0).2,
        json!(1.0),
        "the contractor's one ended work order (WO6 was cancelled)"
    );
    assert_eq!(group(1, 1).2, json!(1.0));

    // As of 20 March, WO2 did not exist yet: WO1 was a first-time fix then.
    let (_, earlier) = post(&app, &manager, &march("2026-03-20T00:00:00Z")).await;
    assert_eq!(
        rate(&earlier["document"], "headline.first_time_fix"),
        (json!(2), json!(3))
    );
    assert_ne!(earlier["manifest_sha256"], stored["manifest_sha256"]);
}

/// The demo company's seeded training (src/seed/training.rs: a course with a built-in effect,
/// completed by 12 agents over the first half of 2026; the placebo course later): a report for
/// the training category has a training section whose first-reply difference in differences is
/// negative with an interval below 0, and its narrative leads with it; two runs give the same
/// bytes; `verify` passes, then names the training figures after one completion row changes.
#[tokio::test]
async fn a_training_report_on_the_seeded_company_shows_and_states_the_training_effect() {
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
    let manager = app.token_for(UserRole::Manager);
    let body = json!({"scope": "company", "from": "2026-01-01", "to": "2026-07-01",
        "comparison": "previous", "category": "training_innovation", "word_limit": 650,
        "as_of": "2026-11-01T00:00:00Z"});
    let (status, stored) = post(&app, &manager, &body).await;
    assert_eq!(status, 201, "{stored}");
    let doc = &stored["document"];

    let training = &doc["training"];
    assert_eq!(training["weeks"], json!(4));
    let courses = training["courses"].as_array().unwrap();
    assert_eq!(
        courses.len(),
        1,
        "the placebo course is completed after June: {training}"
    );
    let course = &courses[0];
    assert_eq!(course["course"], seed::training::EFFECT_COURSE);
    assert!(course["trained_staff"].as_u64().unwrap() >= 10, "{course}");
    let id = course["course_id"].as_i64().unwrap();
    let fig = |suffix: &str| {
        let want = format!("training.{id}.{suffix}");
        course["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == want.as_str())
            .unwrap_or_else(|| panic!("{want} in {course}"))
            .clone()
    };
    let did = fig("first_reply_time.did");
    assert!(did["value"].as_f64().unwrap() < 0.0, "{did}");
    assert_eq!(did["interval"]["method"], "cluster_bootstrap_percentile");
    assert_eq!(did["interval"]["seed"], json!(20_261_201));
    assert!(did["interval"]["high"].as_f64().unwrap() < 0.0, "{did}");
    assert_eq!(did["flags"], json!([]), "{did}");
    let cells: u64 = [
        "trained_before",
        "trained_after",
        "untrained_before",
        "untrained_after",
    ]
    .iter()
    .map(|c| fig(&format!("first_reply_time.{c}"))["n"].as_u64().unwrap())
    .sum();
    assert_eq!(did["n"].as_u64().unwrap(), cells);
    assert!(fig("reopen_rate.did")["value"].as_f64().unwrap() < 0.0);
    assert!(doc["manifest"]["completions"].as_u64().unwrap() >= 12);
    assert!(doc["manifest"]["facts"].as_u64().unwrap() > 0);
    assert_eq!(
        doc["manifest"]["canonical_form"],
        "frontline.evidence.inputs.v4"
    );

    // The narrative cites the effect, first among the achievements, and says nothing else of it.
    let did_id = format!("training.{id}.first_reply_time.did");
    let narrative = &doc["narrative"];
    assert_eq!(narrative["achievements"][0]["figures"], json!([did_id]));
    let first = narrative["achievements"][0]["text"].as_str().unwrap();
    assert!(
        first.starts_with("After training, first replies became "),
        "{first}"
    );
    let essay: Vec<&Value> = narrative["essay"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["sentences"].as_array().unwrap())
        .collect();
    assert!(
        essay.iter().any(|s| s["figures"] == json!([did_id])
            && s["text"]
                .as_str()
                .unwrap()
                .contains("lies entirely below zero")),
        "{narrative}"
    );
    assert!(narrative["essay_words"].as_u64().unwrap() <= 650);
    assert_eq!(narrative["essay"][0]["part"], "problem");
    let text = serde_json::to_string(narrative).unwrap();
    assert!(!text.contains('@') && !text.contains(seed::training::EFFECT_COURSE));

    // Two runs, the same bytes.
    let (_, again) = post(&app, &manager, &body).await;
    let bytes = |id: i64| {
        let app = &app;
        let manager = manager.clone();
        async move {
            app.client
                .get(format!("{}/api/v1/reports/{id}", app.address))
                .bearer_auth(&manager)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let first_bytes = bytes(stored["id"].as_i64().unwrap()).await;
    assert_eq!(first_bytes, bytes(again["id"].as_i64().unwrap()).await);

    // verify passes, then names the training figures once one completion moves a week.
    let dir = std::env::temp_dir().join(format!("frontline-training-{}", app.db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.json");
    std::fs::write(&file, &first_bytes).unwrap();
    let verify = || {
        frontline_command(&app.db)
            .args(["report", "verify"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let ok = verify();
    let stdout = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(
        ok.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(stdout.contains(&format!("ok {did_id}\n")), "{stdout}");
    assert!(
        stdout.contains("ok narrative\n") && !stdout.contains("CHECK"),
        "{stdout}"
    );
    diesel::sql_query(format!(
        "UPDATE training_completions SET completed_on = completed_on + 7
          WHERE id = (SELECT min(id) FROM training_completions WHERE course_id = {id})"
    ))
    .execute(&mut app.db.conn())
    .unwrap();
    let failed = verify();
    let stdout = String::from_utf8_lossy(&failed.stdout).to_string();
    assert!(!failed.status.success(), "{stdout}");
    assert!(stdout.starts_with("CHANGED manifest: was "), "{stdout}");
    assert!(
        stdout.contains(&format!("CHANGED {did_id}: was ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok headline.first_reply_median\n"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_report_over_the_real_help_desk_history_runs_and_says_what_the_data_lacks() {
    // The bundled real log (2010–2014, data/helpdesk): 2013 against 2012, from the API and the
    // command line, which give the same document.
    let app = spawn_app().await;
    frontline::import::event_log::import_file(
        &mut app.db.conn(),
        &helpdesk_log(),
        &helpdesk_mapping(),
        frontline::import::event_log::ImportOptions::default(),
    )
    .unwrap();
    let body = json!({"scope": "company", "from": "2013-01-01", "to": "2014-01-01",
                      "comparison": "previous", "category": "customer_service_team",
                      "word_limit": 650, "as_of": "2014-06-01T00:00:00Z"});
    let manager = app.token_for(UserRole::Manager);
    let (status, stored) = post(&app, &manager, &body).await;
    assert_eq!(status, 201, "{stored}");
    let doc = &stored["document"];
    let created = figure(doc, "headline.tickets_created");
    assert!(created["value"].as_f64().unwrap() > 100.0, "{created}");
    assert!(created["comparison"]["value"].as_f64().unwrap() > 100.0);
    // No surveys and no work orders in that history: CSAT has no value, first-time fix is not
    // reported, and the methodology says why.
    assert_eq!(figure(doc, "headline.csat")["value"], Value::Null);
    assert_eq!(figure(doc, "headline.csat")["n"], json!(0));
    let headline = doc["headline"].as_array().unwrap();
    assert!(
        headline
            .iter()
            .all(|f| f["id"] != "headline.first_time_fix")
    );
    let exclusions: Vec<&str> = doc["methodology"]["exclusions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(exclusions.contains(
        &"the data holds no satisfaction rating in either period: CSAT has no value and no testimonial can be quoted"
    ));
    assert!(exclusions.contains(
        &"the data holds no finished work order in either period: first-time fix is not reported"
    ));
    assert_eq!(doc["testimonials"], json!([]));
    // The narrative it wrote passes its own check (numbers only from figures, limits kept).
    assert!(doc["narrative"]["essay_words"].as_u64().unwrap() <= 650);

    let dir = std::env::temp_dir().join(format!("frontline-helpdesk-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("evidence.json");
    let out = frontline_command(&app.db)
        .args([
            "report",
            "evidence",
            "--scope",
            "company",
            "--from",
            "2013-01-01",
            "--to",
            "2014-01-01",
            "--compare",
            "previous",
            "--category",
            "customer_service_team",
            "--words",
            "650",
            "--as-of",
            "2014-06-01T00:00:00Z",
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
    let cli: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(&cli, doc);
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
    std::fs::remove_dir_all(&dir).unwrap();
}
