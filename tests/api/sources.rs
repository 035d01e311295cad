//! Outside data sets (issue 14, item 1): `import event-log … --source LABEL` keeps the label on
//! every imported ticket, the same log imports once per label, and the ticket list shows a
//! source's tickets only when asked for (`source=LABEL`).

use crate::helpers::{TestApp, frontline_command, small_mapping, spawn_app};
use frontline::import::event_log::{ImportOptions, import_reader};
use serde_json::Value;

const LOG: &str = "case,activity,time,who
A,Insert,2026-03-02 09:00:00+00:00,Ann
A,Take,2026-03-02 09:30:00+00:00,Bob
A,Resolve,2026-03-02 11:00:00+00:00,Bob
B,Insert,2026-03-03 09:00:00+00:00,Ann
";

fn import(app: &TestApp, source: Option<&str>) -> (u64, u64) {
    let summary = import_reader(
        &mut app.db.conn(),
        LOG.as_bytes(),
        &small_mapping(),
        ImportOptions {
            source: source.map(str::to_string),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    (summary.tickets_imported, summary.tickets_already_present)
}

/// The status and the listed ticket ids (ascending), or the failing field of a refusal.
async fn listed(app: &TestApp, query: &str) -> (u16, Vec<i64>, Option<String>) {
    let r = app.get(&format!("/api/v1/tickets?{query}")).await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    let mut ids: Vec<i64> = body["tickets"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["id"].as_i64()).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    // Problem details name the failing fields as the keys of `errors`.
    let field = body["errors"]
        .as_object()
        .and_then(|e| e.keys().next().cloned());
    (status, ids, field)
}

#[tokio::test]
async fn a_log_imports_once_per_source_and_lists_show_a_source_only_when_asked() {
    let app = spawn_app().await;
    // The company's own history, then the same log as a rival's export: two data sets.
    assert_eq!(import(&app, None), (2, 0));
    assert_eq!(import(&app, Some("rival")), (2, 0));
    // Again under each label: nothing new.
    assert_eq!(import(&app, Some("rival")), (0, 2));
    assert_eq!(import(&app, None), (0, 2));
    let mut conn = app.db.conn();
    let labelled: Vec<(i64, Option<String>, Option<String>)> = {
        use diesel::prelude::*;
        use frontline::schema::tickets;
        tickets::table
            .order(tickets::id)
            .select((tickets::id, tickets::source, tickets::external_id))
            .load(&mut conn)
            .unwrap()
    };
    let ids = |source: Option<&str>| -> Vec<i64> {
        labelled
            .iter()
            .filter(|(_, s, _)| s.as_deref() == source)
            .map(|(id, _, _)| *id)
            .collect()
    };
    let external = |source: Option<&str>| -> Vec<Option<String>> {
        labelled
            .iter()
            .filter(|(_, s, _)| s.as_deref() == source)
            .map(|(_, _, e)| e.clone())
            .collect()
    };
    let ab = vec![Some("A".to_string()), Some("B".to_string())];
    assert_eq!((external(None), external(Some("rival"))), (ab.clone(), ab));
    let (own, rival) = (ids(None), ids(Some("rival")));
    assert!(own.iter().all(|id| !rival.contains(id)));

    assert_eq!(listed(&app, "").await, (200, own, None));
    assert_eq!(listed(&app, "source=rival").await, (200, rival, None));
    assert_eq!(listed(&app, "source=vendor").await, (200, vec![], None));
    assert_eq!(
        listed(&app, "source=Rival!").await,
        (422, vec![], Some("source".to_string()))
    );
}

#[test]
fn the_command_line_refuses_a_label_that_is_not_one() {
    let db = crate::helpers::TestDb::new();
    let out = frontline_command(&db)
        .args([
            "import",
            "event-log",
            "data/helpdesk/helpdesk_event_log.csv",
            "--mapping",
        ])
        .arg("data/helpdesk/mapping.toml")
        .args(["--source", "Rival Inc"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--source `Rival Inc`: a label is 1 to 63 lowercase letters"),
        "{stderr}"
    );
}

/// `(tickets created, first reply median, tickets solved)` of March 2026 from the summary.
async fn march(app: &TestApp, extra: &str) -> (u16, Value, Value, Value) {
    let r = app
        .get(&format!(
            "/api/v1/metrics/summary?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z{extra}"
        ))
        .await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    let figures = &body;
    (
        status,
        figures["tickets_created"].clone(),
        figures["first_reply_time"]["median"].clone(),
        figures["tickets_solved"].clone(),
    )
}

#[tokio::test]
async fn figures_count_the_company_s_own_tickets_unless_a_source_is_asked_for() {
    let app = spawn_app().await;
    import(&app, None);
    // A: first reply 09:00 → 09:30 (1,800 s), solved at 11:00; B: open.
    let own = march(&app, "").await;
    assert_eq!(
        own,
        (
            200,
            serde_json::json!(2),
            serde_json::json!(1800.0),
            serde_json::json!(1)
        )
    );
    // The same log as a rival's data set: the company's figures do not move, the rival's are
    // its own (the same log: the same figures), a label no ticket has gives none.
    import(&app, Some("rival"));
    assert_eq!(march(&app, "").await, own);
    assert_eq!(march(&app, "&source=rival").await, own);
    let none = march(&app, "&source=nobody").await;
    assert_eq!((none.0, none.1), (200, serde_json::json!(0)));
    assert_eq!(march(&app, "&source=No%20Such").await.0, 422);
}

/// The store and the SQL reference agree with a labelled data set in the database — its
/// tickets share requesters with the company's, so FCR's and repeat contact's look-ups must
/// stay within a data set — for the company's own figures, the data set's and an unknown one's.
#[test]
fn the_store_and_the_reference_agree_with_a_labelled_data_set() {
    use chrono::{TimeZone, Utc};
    use diesel::prelude::*;
    use frontline::metrics::reference::Grouping;
    use frontline::metrics::store::MetricsStore;
    use frontline::metrics::types::{Dimension, MetricFilters, TimeBasis};
    use frontline::seed::{self, Profile, SeedOptions, Writer};
    let db = crate::helpers::TestDb::new();
    let mut conn = db.conn();
    seed::run(
        &mut conn,
        &SeedOptions {
            tickets: 1_200,
            seed: 5,
            writer: Writer::Bulk,
            ..SeedOptions::for_profile(Profile::Demo)
        },
    )
    .unwrap();
    let moved = diesel::sql_query("UPDATE tickets SET source = 'rival' WHERE id % 3 = 0")
        .execute(&mut conn)
        .unwrap();
    assert!(moved > 300, "{moved}");
    let store = MetricsStore::new();
    let period = (
        Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    );
    let mut groups = 0;
    for source in [None, Some("rival"), Some("nobody")] {
        let filters = MetricFilters {
            source: source.map(str::to_string),
            ..MetricFilters::default()
        };
        let team = MetricFilters {
            sourcing: Some("outsourced".to_string()),
            ..filters.clone()
        };
        for (grouping, filters) in [
            (Grouping::All, &filters),
            (Grouping::Dimension(Dimension::Team), &filters),
            (Grouping::Dimension(Dimension::Category), &team),
        ] {
            groups += store
                .read(&db.pool, |conn, reader| {
                    crate::metrics_store::compare(
                        conn,
                        reader,
                        &grouping,
                        filters,
                        period,
                        TimeBasis::Calendar,
                    )
                })
                .unwrap();
        }
    }
    assert!(groups > 10, "{groups}");
}

/// An evidence report over an imported data set (`source`): from the API (its tickets from the
/// store) and from the command line (`--source`, SQL) the same bytes; the company's own report
/// over the same log has the same figures, and names no source.
#[tokio::test]
async fn an_evidence_report_over_a_data_set_runs_from_the_api_and_the_command_line() {
    let app = spawn_app().await;
    import(&app, None);
    import(&app, Some("rival"));
    let body = |source: Option<&str>| {
        let mut body = serde_json::json!({"scope": "company", "from": "2026-03-01",
            "to": "2026-04-01", "comparison": "previous", "category": "contact_center_of_the_year",
            "word_limit": 300, "as_of": "2026-04-15T00:00:00Z"});
        if let Some(s) = source {
            body["source"] = serde_json::json!(s);
        }
        body
    };
    let post = |body: Value| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/reports/evidence", app.address))
                .bearer_auth(&app.admin_token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, rival) = post(body(Some("rival"))).await;
    assert_eq!(status, 201, "{rival}");
    let (status, own) = post(body(None)).await;
    assert_eq!(status, 201, "{own}");
    let headline = |doc: &Value| -> Vec<(Value, Value)> {
        doc["document"]["headline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["id"].clone(), f["value"].clone()))
            .collect()
    };
    assert_eq!(headline(&rival), headline(&own));
    assert_eq!(headline(&own)[0].1, serde_json::json!(2.0));
    assert_eq!(rival["document"]["parameters"]["source"], "rival");
    assert!(own["document"]["parameters"].get("source").is_none());
    let (status, bad) = post(body(Some("Rival Inc"))).await;
    assert_eq!((status, bad["errors"].get("source").is_some()), (422, true));

    let stored = app
        .get(&format!("/api/v1/reports/{}?format=json", rival["id"]))
        .await
        .text()
        .await
        .unwrap();
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
            "--compare",
            "previous",
            "--category",
            "contact_center_of_the_year",
            "--words",
            "300",
            "--as-of",
            "2026-04-15T00:00:00Z",
            "--source",
            "rival",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), stored);
}
