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
