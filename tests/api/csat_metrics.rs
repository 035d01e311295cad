//! `csat.v1`, `csat_response_rate.v1` and `nps.v1` (docs/METRICS.md "Satisfaction") on a small
//! fixture worked out by hand: the summary, a breakdown by team and sourcing (the team at the
//! solve, not the ticket's current one, with its sourcing then: a later change moves nothing),
//! the CSV columns, and the store staying exact when an answer arrives between two reads.

use crate::helpers::{small_mapping, spawn_app};
use crate::metrics_store::compare;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use frontline::metrics::reference::Grouping;
use frontline::metrics::{Dimension, MetricFilters, TimeBasis};
use frontline::models::survey::{NewSurvey, insert_tx};
use serde_json::{Value, json};

/// Six tickets, each created, taken and solved by Bob of the "Help desk" team.
const LOG: &str = "\
case,activity,time,who
A,Insert,2026-03-01 09:00:00+00:00,Ann
A,Take,2026-03-01 09:30:00+00:00,Bob
A,Resolve,2026-03-01 10:00:00+00:00,Bob
B,Insert,2026-03-01 09:00:00+00:00,Ann
B,Take,2026-03-01 09:30:00+00:00,Bob
B,Resolve,2026-03-01 10:00:00+00:00,Bob
C,Insert,2026-03-01 09:00:00+00:00,Ann
C,Take,2026-03-01 09:30:00+00:00,Bob
C,Resolve,2026-03-01 10:00:00+00:00,Bob
D,Insert,2026-03-01 09:00:00+00:00,Ann
D,Take,2026-03-01 09:30:00+00:00,Bob
D,Resolve,2026-03-01 10:00:00+00:00,Bob
E,Insert,2026-03-01 09:00:00+00:00,Ann
E,Take,2026-03-01 09:30:00+00:00,Bob
E,Resolve,2026-03-01 10:00:00+00:00,Bob
F,Insert,2026-03-01 09:00:00+00:00,Ann
F,Take,2026-03-01 09:30:00+00:00,Bob
F,Resolve,2026-03-01 10:00:00+00:00,Bob
";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-{s}:00Z"))
        .unwrap()
        .with_timezone(&Utc)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

fn id(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Id>(conn).unwrap().id
}

/// A survey of `ticket` made at its solve with `team` then, sent at `sent`, and answered
/// (`answered_at`, score, NPS) when given.
fn survey(
    conn: &mut PgConnection,
    (ticket, customer, team): (i64, i64, i64),
    sent: &str,
    answer: Option<(&str, i16, Option<i16>)>,
    pre_reopen: bool,
) -> i64 {
    let solved = t("03-01T10:00");
    let survey = insert_tx(
        conn,
        &NewSurvey {
            ticket_id: ticket,
            customer_id: customer,
            solved_at: solved,
            assignee_id: None,
            team_id: Some(team),
            created_at: solved,
            invite_at: t(sent),
            expires_at: t(sent) + chrono::Duration::days(28),
        },
    )
    .unwrap();
    use frontline::schema::surveys as s;
    diesel::update(s::table.find(survey))
        .set((s::sent_at.eq(t(sent)), s::pre_reopen.eq(pre_reopen)))
        .execute(conn)
        .unwrap();
    if let Some((at, score, nps)) = answer {
        diesel::update(s::table.find(survey))
            .set((s::answered_at.eq(t(at)), s::score.eq(score), s::nps.eq(nps)))
            .execute(conn)
            .unwrap();
    }
    survey
}

/// The fixture; returns (in-house team, outsourced team, survey of ticket D).
fn fixture(conn: &mut PgConnection) -> (i64, i64, i64) {
    let house = id(
        conn,
        "UPDATE teams SET sourcing = 'in_house', vendor_name = NULL WHERE name = 'Help desk' RETURNING id",
    );
    let vendor = id(
        conn,
        "INSERT INTO teams (name, kind, sourcing, vendor_name) \
         VALUES ('Vendor desk', 'contact_center', 'outsourced', 'Acme') RETURNING id",
    );
    let customer = id(
        conn,
        "INSERT INTO customers (name, email) VALUES ('Requester', 'requester@example.com') RETURNING id",
    );
    let ticket = |conn: &mut PgConnection, case: &str| {
        id(
            conn,
            &format!("SELECT id FROM tickets WHERE subject = 'Case {case}'"),
        )
    };
    let (a, b, c, d, e, f) = (
        ticket(conn, "A"),
        ticket(conn, "B"),
        ticket(conn, "C"),
        ticket(conn, "D"),
        ticket(conn, "E"),
        ticket(conn, "F"),
    );
    // Every ticket's current team is the in-house one.
    diesel::sql_query(format!("UPDATE tickets SET team_id = {house}"))
        .execute(conn)
        .unwrap();
    let h = |x| (x, customer, house);
    let v = |x| (x, customer, vendor);
    // A: 5, NPS 10 (in-house).
    survey(
        conn,
        h(a),
        "03-03T12:00",
        Some(("03-04T12:00", 5, Some(10))),
        false,
    );
    // B: answered 2 / NPS 3 before a reopen (in-house), then, after the next solve (outsourced),
    // 4 / NPS 8: only the later answer is B's rating.
    survey(
        conn,
        h(b),
        "03-05T12:00",
        Some(("03-06T12:00", 2, Some(3))),
        true,
    );
    survey(
        conn,
        v(b),
        "03-10T12:00",
        Some(("03-11T12:00", 4, Some(8))),
        false,
    );
    // C: solved by the outsourced team, now the in-house team's: 3, no NPS.
    survey(
        conn,
        v(c),
        "03-07T12:00",
        Some(("03-08T12:00", 3, None)),
        false,
    );
    // D: sent (outsourced), not answered.
    let d_survey = survey(conn, v(d), "03-09T12:00", None, false);
    // E: 4 / NPS 9 before a reopen; the next solve's survey is unanswered: the pre-reopen answer
    // stays E's rating.
    survey(
        conn,
        h(e),
        "03-12T12:00",
        Some(("03-13T12:00", 4, Some(9))),
        true,
    );
    survey(conn, h(e), "03-20T12:00", None, false);
    // F: sent in March, answered 1 / NPS 0 in April (outside March's ratings).
    survey(
        conn,
        h(f),
        "03-28T12:00",
        Some(("04-02T12:00", 1, Some(0))),
        false,
    );
    (house, vendor, d_survey)
}

const MARCH: &str = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z";

#[tokio::test]
async fn csat_response_rate_and_nps_match_figures_worked_out_by_hand() {
    let app = spawn_app().await;
    app.import(LOG, &small_mapping());
    let (house, vendor, d_survey) = fixture(&mut app.db.conn());

    let march = app
        .get_json(&format!("/api/v1/metrics/summary?{MARCH}"), 200)
        .await;
    assert_eq!(march["definitions"]["csat"], "csat.v1");
    assert_eq!(
        march["definitions"]["csat_response_rate"],
        "csat_response_rate.v1"
    );
    assert_eq!(march["definitions"]["nps"], "nps.v1");
    // Ratings answered in March: A 5, B 4 (its later answer; the 2 is replaced), C 3, E 4 (a
    // pre-reopen answer, never replaced). F's 1 is in April. CSAT = {A, B, E} / 4 = 0.75; mean
    // (5 + 4 + 3 + 4) / 4 = 4.
    assert_eq!(
        march["csat"],
        json!({ "numerator": 3, "denominator": 4, "value": 0.75, "mean_score": 4.0 })
    );
    // NPS answers of those ratings: A 10 (promoter), B 8 (passive), E 9 (promoter); C gave none.
    // (2 − 0) / 3 × 100 = 66.67.
    assert_eq!(
        march["nps"],
        json!({ "promoters": 2, "passives": 1, "detractors": 0, "responses": 3,
                "score": 200.0 / 3.0 })
    );
    // Sent in March: A, B (twice), C, D, E (twice), F = 8; answered (at any time): A, B's two,
    // C, E's first, F = 6 → 0.75.
    assert_eq!(
        march["csat_response_rate"],
        json!({ "numerator": 6, "denominator": 8, "value": 0.75 })
    );

    // April: F's rating only (1, NPS 0: a detractor); nothing sent.
    let april = app
        .get_json(
            "/api/v1/metrics/summary?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z",
            200,
        )
        .await;
    assert_eq!(
        april["csat"],
        json!({ "numerator": 0, "denominator": 1, "value": 0.0, "mean_score": 1.0 })
    );
    assert_eq!(april["nps"]["score"], -100.0);
    assert_eq!(
        april["csat_response_rate"],
        json!({ "numerator": 0, "denominator": 0, "value": null })
    );

    // February: nothing — null, not 0.
    let february = app
        .get_json(
            "/api/v1/metrics/summary?from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z",
            200,
        )
        .await;
    assert_eq!(
        february["csat"],
        json!({ "numerator": 0, "denominator": 0, "value": null, "mean_score": null })
    );
    assert_eq!(february["nps"]["score"], Value::Null);

    // By team: the team at the solve. In-house: A 5 (NPS 10), E 4 (NPS 9) → CSAT 1, mean 4.5,
    // NPS 100; sent A, B's first, E's two, F = 5, answered A, B, E, F = 4 → 0.8. Outsourced: B 4
    // (NPS 8) and C 3 (although C is now the in-house team's) → CSAT 0.5, mean 3.5, NPS 0
    // (one passive); sent B's second, C, D = 3, answered 2.
    let by_team = app
        .get_json(&format!("/api/v1/metrics/breakdown?by=team&{MARCH}"), 200)
        .await;
    let group = |body: &Value, key: &str| -> Value {
        body["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no group {key}: {body}"))
    };
    let h = group(&by_team, &house.to_string());
    assert_eq!(
        h["csat"],
        json!({ "numerator": 2, "denominator": 2, "value": 1.0, "mean_score": 4.5 })
    );
    assert_eq!(h["nps"]["score"], 100.0);
    assert_eq!(
        h["csat_response_rate"],
        json!({ "numerator": 4, "denominator": 5, "value": 0.8 })
    );
    let v = group(&by_team, &vendor.to_string());
    assert_eq!(v["label"], "Vendor desk");
    assert_eq!(
        v["csat"],
        json!({ "numerator": 1, "denominator": 2, "value": 0.5, "mean_score": 3.5 })
    );
    assert_eq!(
        v["nps"],
        json!({ "promoters": 0, "passives": 1, "detractors": 0, "responses": 1, "score": 0.0 })
    );
    assert_eq!(
        v["csat_response_rate"],
        json!({ "numerator": 2, "denominator": 3, "value": 2.0 / 3.0 })
    );
    // The outsourced team has no ticket now: its group exists for its surveys alone.
    assert_eq!(v["tickets_created"], 0);
    // Sourcing follows the team at the solve too; a team filter likewise.
    let by_sourcing = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=sourcing&{MARCH}"),
            200,
        )
        .await;
    assert_eq!(group(&by_sourcing, "outsourced")["csat"], v["csat"]);
    let vendor_only = app
        .get_json(
            &format!("/api/v1/metrics/summary?{MARCH}&team={vendor}"),
            200,
        )
        .await;
    assert_eq!(vendor_only["csat"], v["csat"]);

    // The CSV carries the same figures.
    let csv = app
        .client
        .get(format!("{}/api/v1/metrics/summary?{MARCH}", app.address))
        .bearer_auth(&app.admin_token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (
            cell("csat_numerator"),
            cell("csat_denominator"),
            cell("csat")
        ),
        ("3", "4", "0.75")
    );
    assert_eq!(cell("csat_mean_score"), "4");
    assert_eq!(cell("csat_response_rate"), "0.75");
    assert_eq!((cell("nps_promoters"), cell("nps_detractors")), ("2", "0"));

    // The store and the SQL reference agree on the fixture, in one snapshot.
    let store = frontline::metrics::MetricsStore::new();
    let march_range = (t("03-01T00:00"), t("04-01T00:00"));
    store
        .read(&app.db.pool, |conn, reader| {
            for grouping in [
                Grouping::All,
                Grouping::Dimension(Dimension::Team),
                Grouping::Dimension(Dimension::Sourcing),
                Grouping::Dimension(Dimension::Agent),
                Grouping::Bucket {
                    interval: "week",
                    zone: "UTC".into(),
                },
            ] {
                compare(
                    conn,
                    reader,
                    &grouping,
                    &MetricFilters::default(),
                    march_range,
                    TimeBasis::Calendar,
                )?;
            }
            Ok(())
        })
        .unwrap();

    // D's survey is answered (1, NPS 0) on 03-15, between two reads of the same server's store:
    // the second read sees it. Ratings: 5 → CSAT 3/5 = 0.6, mean 17/5 = 3.4; NPS 2 promoters,
    // 1 passive, 1 detractor → (2 − 1) / 4 × 100 = 25; answered 7 of 8.
    {
        use frontline::schema::surveys as s;
        diesel::update(s::table.find(d_survey))
            .set((
                s::answered_at.eq(t("03-15T12:00")),
                s::score.eq(1i16),
                s::nps.eq(0i16),
            ))
            .execute(&mut app.db.conn())
            .unwrap();
    }
    let after = app
        .get_json(&format!("/api/v1/metrics/summary?{MARCH}"), 200)
        .await;
    assert_eq!(
        after["csat"],
        json!({ "numerator": 3, "denominator": 5, "value": 0.6, "mean_score": 3.4 })
    );
    assert_eq!(
        after["nps"],
        json!({ "promoters": 2, "passives": 1, "detractors": 1, "responses": 4, "score": 25.0 })
    );
    assert_eq!(
        after["csat_response_rate"],
        json!({ "numerator": 7, "denominator": 8, "value": 0.875 })
    );

    // The vendor's team is taken in-house today: March's ratings keep the sourcing of their
    // solve (docs/METRICS.md §7). Outsourced in March: B 4, C 3, D 1 → CSAT 1/3, mean 8/3; sent
    // B's second, C, D, all three answered. In-house: A 5, E 4 → 2/2, mean 4.5.
    diesel::sql_query(format!(
        "UPDATE teams SET sourcing = 'in_house', vendor_name = NULL WHERE id = {vendor}"
    ))
    .execute(&mut app.db.conn())
    .unwrap();
    let by_sourcing = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=sourcing&{MARCH}"),
            200,
        )
        .await;
    let outsourced = group(&by_sourcing, "outsourced");
    assert_eq!(
        outsourced["csat"],
        json!({ "numerator": 1, "denominator": 3, "value": 1.0 / 3.0, "mean_score": 8.0 / 3.0 })
    );
    assert_eq!(
        outsourced["csat_response_rate"],
        json!({ "numerator": 3, "denominator": 3, "value": 1.0 })
    );
    assert_eq!(
        group(&by_sourcing, "in_house")["csat"],
        json!({ "numerator": 2, "denominator": 2, "value": 1.0, "mean_score": 4.5 })
    );
    let in_house_now = app
        .get_json(
            &format!("/api/v1/metrics/summary?{MARCH}&sourcing=in_house"),
            200,
        )
        .await;
    assert_eq!(in_house_now["csat"]["denominator"], 2);
    let store = frontline::metrics::MetricsStore::new();
    store
        .read(&app.db.pool, |conn, reader| {
            compare(
                conn,
                reader,
                &Grouping::Dimension(Dimension::Sourcing),
                &MetricFilters::default(),
                march_range,
                TimeBasis::Calendar,
            )
        })
        .unwrap();
}
