//! SLA outcomes credited at their instant (docs/METRICS.md §7, "Attribution"): each target to
//! the team and assignee the ticket had when it was achieved or breached — a breach at its due
//! instant, also when that instant lies between two events or the clock still runs — with that
//! team's sourcing then; `current_team` keeps the ticket's team now. The store, the SQL
//! reference, `metrics rebuild` and the bake-off's two paths agree.

use crate::attribution::{group, store_agrees_with_the_reference, team};
use crate::helpers::{TestApp, spawn_app};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use frontline::metrics::MetricFilters;
use serde_json::{Value, json};

/// `case,activity,time,who,team,assignee`: tickets start in the vendor's desk; a row's team and
/// assignee cells move the ticket before its actions.
fn mapping() -> frontline::import::event_log::Mapping {
    frontline::import::event_log::Mapping::parse(
        r#"
        [columns]
        ticket_id = "case"
        activity = "activity"
        timestamp = "time"
        staff = "who"
        team = "team"
        assignee = "assignee"

        [ticket]
        subject = "Case {ticket_id}"
        team = "Vendor desk"

        [activities]
        "Insert" = ["create"]
        "Take" = ["assign"]
        "Reply" = ["agent_reply"]
        "Escalate" = ["note"]
        "Resolve" = ["solve"]
        "#,
    )
    .expect("mapping")
}

/// Calendar targets for every normal ticket: first reply 1 h, resolution 2 h.
async fn policy(app: &TestApp) {
    let r = app
        .client
        .post(format!("{}/api/v1/sla-policies", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({"name": "Standard", "position": 1,
                      "targets": {"normal": {
                          "first_reply": {"seconds": 3600, "business": false},
                          "resolution": {"seconds": 7200, "business": false}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn staff(app: &TestApp, name: &str) -> i64 {
    diesel::sql_query("SELECT id FROM users WHERE name = $1")
        .bind::<Text, _>(name)
        .get_result::<Id>(&mut app.db.conn())
        .unwrap()
        .id
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Clock {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    outcome_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    outcome_assignee_id: Option<i64>,
}

/// The stored clocks of the imported case `case`: (kind, team, assignee), by kind.
fn clocks(app: &TestApp, case: &str) -> Vec<(String, Option<i64>, Option<i64>)> {
    diesel::sql_query(
        "SELECT c.kind, c.outcome_team_id, c.outcome_assignee_id
           FROM ticket_sla_clocks c JOIN tickets t ON t.id = c.ticket_id
          WHERE t.external_id = $1 ORDER BY c.kind",
    )
    .bind::<Text, _>(case)
    .load::<Clock>(&mut app.db.conn())
    .unwrap()
    .into_iter()
    .map(|c| (c.kind, c.outcome_team_id, c.outcome_assignee_id))
    .collect()
}

/// `(achieved, achieved + breached)` of a group's `sla_attainment`.
fn rate(g: &Value) -> (i64, i64) {
    let a = &g["sla_attainment"];
    (
        a["numerator"].as_i64().unwrap(),
        a["denominator"].as_i64().unwrap(),
    )
}

/// The `(key, attainment)` of every group of a breakdown with an SLA outcome, by key.
fn rates(breakdown: &Value) -> Vec<(Value, (i64, i64))> {
    let mut out: Vec<(Value, (i64, i64))> = breakdown["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].clone(), rate(g)))
        .filter(|(_, (_, n))| *n > 0)
        .collect();
    out.sort_by_key(|(key, _)| key.to_string());
    out
}

#[tokio::test]
async fn each_sla_target_is_credited_to_the_team_and_assignee_when_it_was_achieved_or_breached() {
    let app = spawn_app().await;
    let vendor = team(&app, "Vendor desk", "outsourced");
    let own = team(&app, "Own desk", "in_house");
    policy(&app).await;
    // A (2 March): the vendor's Vera replies within the hour (first reply achieved at 09:30,
    // hers); escalated at 10:00 to the in-house desk and Owen, solved at 12:00: the 2-hour
    // resolution target breached at 11:00, under Owen.
    // B (3 March): nobody replies by 10:00 (first reply due, breached then: still Vera's, the
    // escalation comes at 10:30); Owen replies at 10:40 and solves at 10:50, within the 2 hours.
    // C (4 March): escalated at 10:30, still open: the first reply breaches at its due instant
    // 10:00 under Vera (a running clock past due), the resolution at 11:00 under Owen.
    let summary = app.import(
        "case,activity,time,who,team,assignee\n\
         A,Insert,2026-03-02 09:00:00+00:00,Vera,,\n\
         A,Take,2026-03-02 09:00:00+00:00,Vera,,\n\
         A,Reply,2026-03-02 09:30:00+00:00,Vera,,\n\
         A,Escalate,2026-03-02 10:00:00+00:00,Vera,Own desk,Owen\n\
         A,Resolve,2026-03-02 12:00:00+00:00,Owen,,\n\
         B,Insert,2026-03-03 09:00:00+00:00,Vera,,\n\
         B,Take,2026-03-03 09:00:00+00:00,Vera,,\n\
         B,Escalate,2026-03-03 10:30:00+00:00,Vera,Own desk,Owen\n\
         B,Reply,2026-03-03 10:40:00+00:00,Owen,,\n\
         B,Resolve,2026-03-03 10:50:00+00:00,Owen,,\n\
         C,Insert,2026-03-04 09:00:00+00:00,Vera,,\n\
         C,Take,2026-03-04 09:00:00+00:00,Vera,,\n\
         C,Escalate,2026-03-04 10:30:00+00:00,Vera,Own desk,Owen\n",
        &mapping(),
    );
    assert_eq!(
        (summary.tickets_imported, summary.warnings),
        (3, 0),
        "{summary:?}"
    );
    let (vera, owen) = (staff(&app, "Vera"), staff(&app, "Owen"));
    let at = |who: i64, desk: i64| (Some(desk), Some(who));
    let row = |kind: &str, (team, who): (Option<i64>, Option<i64>)| (kind.to_string(), team, who);
    assert_eq!(
        clocks(&app, "A"),
        vec![
            row("first_reply", at(vera, vendor)),
            row("resolution", at(owen, own))
        ]
    );
    assert_eq!(
        clocks(&app, "B"),
        vec![
            row("first_reply", at(vera, vendor)),
            row("resolution", at(owen, own))
        ]
    );
    assert_eq!(
        clocks(&app, "C"),
        vec![
            row("first_reply", at(vera, vendor)),
            row("resolution", at(owen, own))
        ]
    );

    // 2 March (ticket A): the achieved first reply is the outsourced desk's (1/1), the breached
    // resolution the in-house desk's (0/1); both are the in-house desk's as the current team.
    let day = |from: &str, to: &str, by: &str| {
        format!("/api/v1/metrics/breakdown?by={by}&from={from}T00:00:00Z&to={to}T00:00:00Z")
    };
    let a = app
        .get_json(&day("2026-03-02", "2026-03-03", "team"), 200)
        .await;
    assert_eq!(rate(group(&a, Some(vendor))), (1, 1));
    assert_eq!(rate(group(&a, Some(own))), (0, 1));
    let a = app
        .get_json(&day("2026-03-02", "2026-03-03", "sourcing"), 200)
        .await;
    assert_eq!(
        rates(&a),
        vec![(json!("in_house"), (0, 1)), (json!("outsourced"), (1, 1))]
    );
    let a = app
        .get_json(&day("2026-03-02", "2026-03-03", "agent"), 200)
        .await;
    assert_eq!(rate(group(&a, Some(vera))), (1, 1));
    assert_eq!(rate(group(&a, Some(owen))), (0, 1));
    let a = app
        .get_json(&day("2026-03-02", "2026-03-03", "current_team"), 200)
        .await;
    assert_eq!(rates(&a), vec![(json!(own.to_string()), (1, 2))]);
    let a = app
        .get_json(&day("2026-03-02", "2026-03-03", "current_agent"), 200)
        .await;
    assert_eq!(rates(&a), vec![(json!(owen.to_string()), (1, 2))]);

    // 3 March (ticket B): the breach at 10:00 came before the 10:30 escalation: the vendor's.
    let b = app
        .get_json(&day("2026-03-03", "2026-03-04", "team"), 200)
        .await;
    assert_eq!(rate(group(&b, Some(vendor))), (0, 1));
    assert_eq!(rate(group(&b, Some(own))), (1, 1));
    // 4 March (ticket C, still running): each breach at its due instant, with whoever had it.
    let c = app
        .get_json(&day("2026-03-04", "2026-03-05", "team"), 200)
        .await;
    assert_eq!(rate(group(&c, Some(vendor))), (0, 1));
    assert_eq!(rate(group(&c, Some(own))), (0, 1));

    // Over the three days, filtered on the credit: the outsourced cohort 1/3, the in-house 1/3,
    // Vera 1/3; the current team's filter keeps all six targets.
    let filtered = |filter: &str| {
        format!(
            "/api/v1/metrics/summary?from=2026-03-02T00:00:00Z&to=2026-03-05T00:00:00Z&{filter}"
        )
    };
    for (filter, expected) in [
        ("sourcing=outsourced".to_string(), (1, 3)),
        ("sourcing=in_house".to_string(), (1, 3)),
        (format!("team={vendor}"), (1, 3)),
        (format!("agent={vera}"), (1, 3)),
        (format!("agent={owen}"), (1, 3)),
        (format!("current_team={own}"), (2, 6)),
        (format!("current_team={own}&team={vendor}"), (1, 3)),
    ] {
        let s = app.get_json(&filtered(&filter), 200).await;
        assert_eq!(rate(&s), expected, "{filter}: {s}");
    }

    // The store and the SQL reference agree, grouped and filtered every attributed way.
    store_agrees_with_the_reference(
        &app,
        &[
            MetricFilters::default(),
            MetricFilters {
                sourcing: Some("outsourced".into()),
                ..MetricFilters::default()
            },
            MetricFilters {
                team_id: Some(own),
                employment_type: Some("employee".into()),
                ..MetricFilters::default()
            },
            MetricFilters {
                current_team_id: Some(own),
                agent_id: Some(vera),
                ..MetricFilters::default()
            },
        ],
    );

    // The evidence report of each desk keeps the outcomes credited to it, with the desk's
    // sourcing then, the same from the database and from the store.
    let seconds = |t: &str| {
        t.parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .timestamp()
    };
    use frontline::reports::inputs::Sourcing::{InHouse, Outsourced};
    for (desk, expected) in [
        (
            vendor,
            [
                ("2026-03-02T09:30:00Z", true, Outsourced),
                ("2026-03-03T10:00:00Z", false, Outsourced),
                ("2026-03-04T10:00:00Z", false, Outsourced),
            ],
        ),
        (
            own,
            [
                ("2026-03-02T11:00:00Z", false, InHouse),
                ("2026-03-03T10:50:00Z", true, InHouse),
                ("2026-03-04T11:00:00Z", false, InHouse),
            ],
        ),
    ] {
        let request: frontline::reports::params::EvidenceRequest = serde_json::from_value(json!({
                "scope": "team", "scope_id": desk, "from": "2026-03-01", "to": "2026-04-01",
                "comparison": "previous", "category": "customer_service_team",
                "word_limit": 400, "as_of": "2026-04-02T00:00:00Z"}))
        .unwrap();
        let params = request.parse(chrono::Utc::now()).unwrap();
        let from_sql =
            frontline::reports::inputs::load_tickets(&mut app.db.conn(), &params, None).unwrap();
        let outcomes: Vec<_> = from_sql.iter().flat_map(|t| t.sla().to_vec()).collect();
        let expected: Vec<_> = expected
            .iter()
            .map(|(at, achieved, sourcing)| (seconds(at), *achieved, Some(*sourcing)))
            .collect();
        assert_eq!(outcomes, expected, "team {desk}");
        let from_store = frontline::metrics::store::MetricsStore::new()
            .read(&app.db.pool, |_, reader| {
                Ok(reader.evidence_tickets(&params, None).unwrap())
            })
            .unwrap();
        assert_eq!(from_store, from_sql, "team {desk}");
    }

    // The bake-off (the ticket as the unit) credits each ticket to the team of its last outcome
    // in the period, at that instant: all three end under the in-house desk (A's breach at
    // 11:00, B's achievement at 10:50, C's breach at 11:00), none attained. Both paths agree.
    let protocol = serde_json::from_value::<frontline::reports::bakeoff::ProtocolRequest>(json!({
        "name": "desks", "cohort_a": {"label": "Vendor", "teams": [vendor]},
        "cohort_b": {"label": "Own", "teams": [own]},
        "from": "2026-03-01", "to": "2026-04-01", "metrics": ["sla_attainment"]}))
    .unwrap()
    .parse()
    .unwrap();
    let as_of = "2026-04-02T00:00:00Z".parse().unwrap();
    let (sql, stored) = frontline::metrics::store::MetricsStore::new()
        .read(&app.db.pool, |conn, reader| {
            use frontline::reports::bakeoff::inputs::load;
            let sql = load(conn, &protocol, as_of, None).unwrap();
            let stored = load(conn, &protocol, as_of, Some(reader)).unwrap();
            Ok((sql, stored))
        })
        .unwrap();
    let ticket = |case: &str| {
        diesel::sql_query("SELECT id FROM tickets WHERE external_id = $1")
            .bind::<Text, _>(case)
            .get_result::<Id>(&mut app.db.conn())
            .unwrap()
            .id
    };
    let observed: Vec<(i64, i32, bool, bool)> = sql
        .rows
        .iter()
        .map(|o| (o.unit, o.value, o.a, o.b))
        .collect();
    assert_eq!(
        observed,
        vec![
            (ticket("A"), 0, false, true),
            (ticket("B"), 0, false, true),
            (ticket("C"), 0, false, true)
        ]
    );
    assert_eq!(sql.rows, stored.rows);

    // A rebuild from the logs finds every credit right, and puts a lost one back.
    let mut conn = app.db.conn();
    let report = frontline::metrics::rebuild(&mut conn, 100).unwrap();
    assert_eq!(report.changed_clocks, 0);
    diesel::sql_query(
        "UPDATE ticket_sla_clocks SET outcome_team_id = NULL, outcome_assignee_id = NULL",
    )
    .execute(&mut conn)
    .unwrap();
    let report = frontline::metrics::rebuild(&mut conn, 100).unwrap();
    assert_eq!(report.changed_clocks, 6);
    assert_eq!(
        clocks(&app, "C"),
        vec![
            row("first_reply", at(vera, vendor)),
            row("resolution", at(owen, own))
        ]
    );
}

#[tokio::test]
async fn a_running_clock_is_credited_at_its_due_instant_to_whoever_has_the_ticket_then() {
    let app = spawn_app().await;
    let vendor = team(&app, "Vendor desk", "outsourced");
    let own = team(&app, "Own desk", "in_house");
    policy(&app).await;
    // Escalated at 09:30, before either target falls due; nothing else: both running targets
    // breach (10:00, 11:00) under the in-house desk and Owen, who have it now.
    app.import(
        "case,activity,time,who,team,assignee\n\
         D,Insert,2026-03-05 09:00:00+00:00,Vera,,\n\
         D,Take,2026-03-05 09:00:00+00:00,Vera,,\n\
         D,Escalate,2026-03-05 09:30:00+00:00,Vera,Own desk,Owen\n",
        &mapping(),
    );
    let owen = staff(&app, "Owen");
    assert_eq!(
        clocks(&app, "D"),
        vec![
            ("first_reply".to_string(), Some(own), Some(owen)),
            ("resolution".to_string(), Some(own), Some(owen))
        ]
    );
    let by_team = app
        .get_json(
            "/api/v1/metrics/breakdown?by=team&from=2026-03-05T00:00:00Z&to=2026-03-06T00:00:00Z",
            200,
        )
        .await;
    assert_eq!(rates(&by_team), vec![(json!(own.to_string()), (0, 2))]);
    // The vendor's desk keeps its volume (created there), with no SLA outcome.
    assert_eq!(rate(group(&by_team, Some(vendor))), (0, 0));
    store_agrees_with_the_reference(&app, &[MetricFilters::default()]);
}
