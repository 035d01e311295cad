//! Attribution at the instant (docs/METRICS.md §7): an escalated ticket's first reply stays with
//! the outsourced agent who wrote it, its solve goes to the in-house team; a ticket created
//! without a team takes its creator's; a later change of sourcing moves nothing; `metrics
//! rebuild` reproduces every credit from the logs and the recorded history.

use crate::helpers::{TestApp, jwt_keys, spawn_app};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use frontline::models::enums::UserRole;
use serde_json::{Value, json};

/// A staff member with a token.
pub(crate) struct Staff {
    pub(crate) id: i64,
    token: String,
}

impl Staff {
    /// An agent in `team` with `employment` (`employee` / `contractor`).
    pub(crate) fn agent(app: &TestApp, team: i64, employment: &str) -> Staff {
        let (id, _) = app.create_staff(UserRole::Agent);
        diesel::sql_query(
            "UPDATE users SET team_id = $1, employment_type = $2::employment_type WHERE id = $3",
        )
        .bind::<BigInt, _>(team)
        .bind::<Text, _>(employment)
        .bind::<BigInt, _>(id)
        .execute(&mut app.db.conn())
        .unwrap();
        let token = jwt_keys(&app.db.settings)
            .issue(id, UserRole::Agent, chrono::Utc::now())
            .unwrap();
        Staff { id, token }
    }

    pub(crate) async fn send(
        &self,
        app: &TestApp,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Value {
        let mut request = app
            .client
            .request(method.clone(), format!("{}{path}", app.address))
            .bearer_auth(&self.token)
            .json(&body);
        if method == reqwest::Method::PATCH {
            let current = app
                .client
                .get(format!("{}{path}", app.address))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap();
            request = request.header("if-match", current.headers()["etag"].clone());
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status < 300, "{method} {path}: {status} {body}");
        body
    }
}

pub(crate) fn team(app: &TestApp, name: &str, sourcing: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    diesel::sql_query(
        "INSERT INTO teams (name, kind, sourcing, vendor_name)
         VALUES ($1, 'contact_center', $2::team_sourcing,
                 CASE WHEN $2 = 'outsourced' THEN 'Vendor Co' END) RETURNING id",
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(sourcing)
    .get_result::<Id>(&mut app.db.conn())
    .unwrap()
    .id
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Credit {
    #[diesel(sql_type = Nullable<BigInt>)]
    created_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    created_sourcing: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    first_reply_agent_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    first_reply_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    first_reply_sourcing: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    first_reply_agent_employment: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    solved_assignee_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    solved_team_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    solved_sourcing: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    solved_assignee_employment: Option<String>,
}

fn credit(app: &TestApp, ticket: i64) -> Credit {
    diesel::sql_query(
        "SELECT created_team_id, created_sourcing::text, first_reply_agent_id,
                first_reply_team_id, first_reply_sourcing::text,
                first_reply_agent_employment::text, solved_assignee_id, solved_team_id,
                solved_sourcing::text, solved_assignee_employment::text
           FROM ticket_metrics WHERE ticket_id = $1",
    )
    .bind::<BigInt, _>(ticket)
    .get_result(&mut app.db.conn())
    .unwrap()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[tokio::test]
async fn an_escalated_tickets_first_reply_stays_with_the_outsourced_agent_who_wrote_it() {
    let app = spawn_app().await;
    let vendor_team = team(&app, "Vendor desk", "outsourced");
    let own_team = team(&app, "Own desk", "in_house");
    let vendor_agent = Staff::agent(&app, vendor_team, "contractor");
    let own_agent = Staff::agent(&app, own_team, "employee");

    // The vendor's agent logs a call in the vendor's team, takes it, replies, then escalates it
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
    let requester = ticket["requester_id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}");
    vendor_agent
        .send(
            &app,
            reqwest::Method::PATCH,
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
            reqwest::Method::PATCH,
            &path,
            json!({"team_id": own_team, "assignee_id": own_agent.id}),
        )
        .await;
    own_agent
        .send(
            &app,
            reqwest::Method::PATCH,
            &path,
            json!({"status": "solved"}),
        )
        .await;

    let expected = Credit {
        created_team_id: Some(vendor_team),
        created_sourcing: s("outsourced"),
        first_reply_agent_id: Some(vendor_agent.id),
        first_reply_team_id: Some(vendor_team),
        first_reply_sourcing: s("outsourced"),
        first_reply_agent_employment: s("contractor"),
        solved_assignee_id: Some(own_agent.id),
        solved_team_id: Some(own_team),
        solved_sourcing: s("in_house"),
        solved_assignee_employment: s("employee"),
    };
    assert_eq!(credit(&app, id), expected);

    // A ticket the in-house agent creates without a team counts in the agent's team's volume.
    let teamless = own_agent
        .send(
            &app,
            reqwest::Method::POST,
            "/api/v1/tickets",
            json!({"requester_id": requester,
                   "subject": "Kiosk receipt printer", "description": "Out of paper.",
                   "channel": "phone"}),
        )
        .await;
    let teamless = teamless["id"].as_i64().unwrap();
    let c = credit(&app, teamless);
    assert_eq!(
        (c.created_team_id, c.created_sourcing.as_deref()),
        (Some(own_team), Some("in_house"))
    );

    // The vendor's team is brought in-house and its agent moves to the in-house team: nothing
    // that happened before moves, and a rebuild from the logs gives the same credits.
    let mut conn = app.db.conn();
    diesel::sql_query("UPDATE teams SET sourcing = 'in_house', vendor_name = NULL WHERE id = $1")
        .bind::<BigInt, _>(vendor_team)
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("UPDATE users SET team_id = $1 WHERE id = $2")
        .bind::<BigInt, _>(own_team)
        .bind::<BigInt, _>(vendor_agent.id)
        .execute(&mut conn)
        .unwrap();
    let report = frontline::metrics::rebuild(&mut conn, 100).unwrap();
    assert!(report.differences.is_empty(), "{:?}", report.differences);
    assert_eq!(credit(&app, id), expected);

    // Its next reply on a new ticket is credited to the in-house team, in-house.
    let later = vendor_agent
        .send(
            &app,
            reqwest::Method::POST,
            "/api/v1/tickets",
            json!({"requester_id": requester,
                   "subject": "Voicemail full", "description": "Cannot leave messages.",
                   "channel": "phone", "team_id": vendor_team}),
        )
        .await;
    let later = later["id"].as_i64().unwrap();
    vendor_agent
        .send(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/tickets/{later}/comments"),
            json!({"body": "Cleared it.", "public": true}),
        )
        .await;
    let c = credit(&app, later);
    assert_eq!(
        (
            c.first_reply_team_id,
            c.first_reply_sourcing.as_deref(),
            c.created_sourcing.as_deref()
        ),
        (Some(own_team), Some("in_house"), Some("in_house"))
    );
}

/// The group of `breakdown` keyed `key` (`None`: the group without a value).
pub(crate) fn group(breakdown: &Value, key: Option<i64>) -> &Value {
    let key = key.map_or(Value::Null, |k| Value::String(k.to_string()));
    breakdown["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {breakdown}"))
}

/// (tickets created, first replies, tickets solved, full resolutions) of a group or summary.
fn counts(figures: &Value) -> (i64, i64, i64, i64) {
    let n = |v: &Value| v.as_i64().unwrap();
    (
        n(&figures["tickets_created"]),
        n(&figures["first_reply_time"]["count"]),
        n(&figures["tickets_solved"]),
        n(&figures["full_resolution_time"]["count"]),
    )
}

/// The metrics store and the SQL reference give the same figures over every attributed and
/// current dimension, with and without attributed filters, in one snapshot.
pub(crate) fn store_agrees_with_the_reference(
    app: &TestApp,
    filters: &[frontline::metrics::MetricFilters],
) {
    use frontline::metrics::reference::Grouping;
    use frontline::metrics::{Dimension, TimeBasis};
    let store = frontline::metrics::store::MetricsStore::new();
    let everything = (
        frontline::domain::instant::min(),
        frontline::domain::instant::end(),
    );
    let compared = store
        .read(&app.db.pool, |conn, reader| {
            let mut groups = 0;
            for f in filters {
                for grouping in [
                    Grouping::All,
                    Grouping::Dimension(Dimension::Team),
                    Grouping::Dimension(Dimension::Agent),
                    Grouping::Dimension(Dimension::CurrentTeam),
                    Grouping::Dimension(Dimension::CurrentAgent),
                    Grouping::Dimension(Dimension::Sourcing),
                    Grouping::Dimension(Dimension::EmploymentType),
                ] {
                    for basis in [TimeBasis::Calendar, TimeBasis::Business] {
                        groups += crate::metrics_store::compare(
                            conn, reader, &grouping, f, everything, basis,
                        )?;
                    }
                }
            }
            Ok(groups)
        })
        .unwrap();
    assert!(compared > 0, "nothing compared");
}

#[tokio::test]
async fn an_escalated_tickets_figures_stay_with_who_was_responsible_when_they_happened() {
    use frontline::metrics::MetricFilters;
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
    vendor_agent
        .send(
            &app,
            reqwest::Method::PATCH,
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
            reqwest::Method::PATCH,
            &path,
            json!({"team_id": own_team, "assignee_id": own_agent.id}),
        )
        .await;
    own_agent
        .send(
            &app,
            reqwest::Method::PATCH,
            &path,
            json!({"status": "solved"}),
        )
        .await;
    // The values the figures must carry: the ticket's own first reply and resolution seconds.
    #[derive(QueryableByName)]
    struct Seconds {
        #[diesel(sql_type = BigInt)]
        frt: i64,
        #[diesel(sql_type = BigInt)]
        resolution: i64,
    }
    let seconds: Seconds = diesel::sql_query(
        "SELECT first_reply_seconds AS frt, full_resolution_seconds AS resolution
           FROM ticket_metrics WHERE ticket_id = $1",
    )
    .bind::<BigInt, _>(id)
    .get_result(&mut app.db.conn())
    .unwrap();

    // By team: the first reply is the vendor's (its agent's team when replying), and so is the
    // volume (created in the vendor's team); the solve and its resolution are the in-house
    // team's.
    let by_team = app.get_json("/api/v1/metrics/breakdown?by=team", 200).await;
    let vendor = group(&by_team, Some(vendor_team));
    assert_eq!(counts(vendor), (1, 1, 0, 0));
    assert_eq!(vendor["first_reply_time"]["max"], seconds.frt);
    let own = group(&by_team, Some(own_team));
    assert_eq!(counts(own), (0, 0, 1, 1));
    assert_eq!(own["full_resolution_time"]["max"], seconds.resolution);
    assert_eq!(by_team["groups"].as_array().unwrap().len(), 2, "{by_team}");

    // By current team (workload): everything is the in-house team's now.
    let by_current = app
        .get_json("/api/v1/metrics/breakdown?by=current_team", 200)
        .await;
    assert_eq!(counts(group(&by_current, Some(own_team))), (1, 1, 1, 1));
    assert_eq!(by_current["groups"].as_array().unwrap().len(), 1);

    // By sourcing cohort, and filtered on it: the first reply is outsourced, the solve in-house.
    let by_sourcing = app
        .get_json("/api/v1/metrics/breakdown?by=sourcing", 200)
        .await;
    let keyed = |key: &str| {
        by_sourcing["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .map(counts)
    };
    assert_eq!(keyed("outsourced"), Some((1, 1, 0, 0)));
    assert_eq!(keyed("in_house"), Some((0, 0, 1, 1)));
    let outsourced = app
        .get_json("/api/v1/metrics/summary?sourcing=outsourced", 200)
        .await;
    assert_eq!(counts(&outsourced), (1, 1, 0, 0));
    assert_eq!(outsourced["first_reply_time"]["min"], seconds.frt);

    // By agent and the agent's employment type: the contractor replied, the employee solved;
    // volumes are credited to a team, not an agent.
    let by_agent = app
        .get_json("/api/v1/metrics/breakdown?by=agent", 200)
        .await;
    assert_eq!(
        counts(group(&by_agent, Some(vendor_agent.id))),
        (0, 1, 0, 0)
    );
    assert_eq!(counts(group(&by_agent, Some(own_agent.id))), (0, 0, 1, 1));
    assert_eq!(counts(group(&by_agent, None)), (1, 0, 0, 0));
    let contractor = app
        .get_json(
            "/api/v1/metrics/summary?agent_employment_type=contractor",
            200,
        )
        .await;
    assert_eq!(counts(&contractor), (0, 1, 0, 0));
    // The former name of the filter reads the same; two names that disagree are refused.
    let former = app
        .get_json("/api/v1/metrics/summary?employment_type=contractor", 200)
        .await;
    assert_eq!(counts(&former), (0, 1, 0, 0));
    let both = app
        .get_json(
            "/api/v1/metrics/summary?employment_type=contractor&agent_employment_type=employee",
            422,
        )
        .await;
    assert!(both.to_string().contains("agent_employment_type"), "{both}");
    // The current assignee is the in-house agent, whatever the figure.
    let current = app
        .get_json(
            &format!("/api/v1/metrics/summary?current_agent={}", own_agent.id),
            200,
        )
        .await;
    assert_eq!(counts(&current), (1, 1, 1, 1));

    store_agrees_with_the_reference(
        &app,
        &[
            MetricFilters::default(),
            MetricFilters {
                sourcing: s("outsourced"),
                ..MetricFilters::default()
            },
            MetricFilters {
                team_id: Some(own_team),
                employment_type: s("employee"),
                ..MetricFilters::default()
            },
            MetricFilters {
                current_team_id: Some(own_team),
                agent_id: Some(vendor_agent.id),
                ..MetricFilters::default()
            },
        ],
    );
}

#[tokio::test]
async fn a_ticket_created_without_a_team_counts_in_its_creators_team_volume() {
    use frontline::metrics::MetricFilters;
    let app = spawn_app().await;
    let own_team = team(&app, "Own desk", "in_house");
    let own_agent = Staff::agent(&app, own_team, "employee");
    let ticket = own_agent
        .send(
            &app,
            reqwest::Method::POST,
            "/api/v1/tickets",
            json!({"requester": {"name": "Kiosk", "email": "kiosk@facility.example"},
                   "subject": "Kiosk receipt printer", "description": "Out of paper.",
                   "channel": "phone"}),
        )
        .await;
    assert_eq!(ticket["team_id"], Value::Null, "{ticket}");

    // Its volume is the creator's team's; the ticket itself has no team now.
    let by_team = app.get_json("/api/v1/metrics/breakdown?by=team", 200).await;
    assert_eq!(counts(group(&by_team, Some(own_team))), (1, 0, 0, 0));
    assert_eq!(by_team["groups"].as_array().unwrap().len(), 1);
    let by_current = app
        .get_json("/api/v1/metrics/breakdown?by=current_team", 200)
        .await;
    assert_eq!(counts(group(&by_current, None)), (1, 0, 0, 0));
    assert_eq!(by_current["groups"].as_array().unwrap().len(), 1);
    let in_house = app
        .get_json(
            &format!("/api/v1/metrics/summary?team={own_team}&sourcing=in_house"),
            200,
        )
        .await;
    assert_eq!(counts(&in_house), (1, 0, 0, 0));

    store_agrees_with_the_reference(
        &app,
        &[
            MetricFilters::default(),
            MetricFilters {
                team_id: Some(own_team),
                ..MetricFilters::default()
            },
        ],
    );
}

/// `small_mapping` (`case,activity,time,who`) with the tickets in `team`.
pub(crate) fn mapping_into(team: &str) -> frontline::import::event_log::Mapping {
    frontline::import::event_log::Mapping::parse(&format!(
        r#"
        [columns]
        ticket_id = "case"
        activity = "activity"
        timestamp = "time"
        staff = "who"

        [ticket]
        subject = "Case {{ticket_id}}"
        team = "{team}"

        [activities]
        "Insert" = ["create"]
        "Take" = ["assign", "agent_reply", "open"]
        "Resolve" = ["solve"]
        "#
    ))
    .expect("mapping")
}

/// POSTs a business calendar as the admin; returns its id.
pub(crate) async fn calendar(app: &TestApp, body: Value) -> i64 {
    let r = app
        .send_admin(reqwest::Method::POST, "/api/v1/calendars", Some(&body))
        .await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

/// POSTs an in-house team with a calendar as the admin; returns its id.
pub(crate) async fn team_on(app: &TestApp, name: &str, calendar: i64) -> i64 {
    let body = json!({"name": name, "kind": "contact_center", "sourcing": "in_house",
                      "calendar_id": calendar});
    let r = app
        .send_admin(reqwest::Method::POST, "/api/v1/teams", Some(&body))
        .await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn two_teams_with_their_own_calendars_are_compared_on_one_named_calendar() {
    use frontline::metrics::reference::Grouping;
    use frontline::metrics::{Dimension, MetricFilters, TimeBasis};
    let app = spawn_app().await;
    let weekdays = |hours: Value| {
        json!({"monday": hours, "tuesday": hours, "wednesday": hours, "thursday": hours,
               "friday": hours})
    };
    // Desk A opens 09:00–12:00 UTC, desk B 13:00–17:00 UTC; the office calendar used for the
    // comparison is 09:00–17:00 in Berlin (UTC+1 in March 2026: 08:00–16:00 UTC).
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
    let desk_a = team_on(&app, "Desk A", early).await;
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

    // Each on its own calendar (stored):
    //   A1 Mon 07:00 → 10:00 UTC on 09–12 UTC: 09:00–10:00 = 3600 s.
    //   B1 Mon 12:00 → 15:30 UTC on 13–17 UTC: 13:00–15:30 = 9000 s.
    //   B2 Fri 16:00 → Mon 10:00 UTC on 13–17 UTC: Fri 16:00–17:00 = 3600 s, Mon before 13:00
    //   nothing: 3600 s.
    let own = app
        .get_json("/api/v1/metrics/breakdown?by=team&time=business", 200)
        .await;
    assert_eq!(own["calendar"], Value::Null);
    assert_eq!(
        group(&own, Some(desk_a))["first_reply_time"],
        json!({"count": 1, "mean": 3600.0, "median": 3600.0, "p90": 3600.0,
               "min": 3600, "max": 3600})
    );
    // B: {3600, 9000}: mean = median = 6300; p90 = 3600 + 0.9 × 5400 = 8460.
    assert_eq!(
        group(&own, Some(desk_b))["first_reply_time"],
        json!({"count": 2, "mean": 6300.0, "median": 6300.0, "p90": 8460.0,
               "min": 3600, "max": 9000})
    );

    // All on the office calendar, 08:00–16:00 UTC on weekdays:
    //   A1 07:00 → 10:00 UTC: 08:00–10:00 = 7200 s.
    //   B1 12:00 → 15:30 UTC: 3.5 h = 12600 s.
    //   B2 Fri 16:00 UTC (17:00 in Berlin, closed) → Mon 10:00 UTC: Mon 08:00–10:00 UTC
    //   = 7200 s.
    // B: {7200, 12600}: mean = median = 9900; p90 = 7200 + 0.9 × 5400 = 12060.
    let one = app
        .get_json(
            &format!("/api/v1/metrics/breakdown?by=team&time=business&calendar={office}"),
            200,
        )
        .await;
    assert_eq!(one["calendar"], json!({"id": office, "name": "Office"}));
    assert_eq!(
        group(&one, Some(desk_a))["first_reply_time"],
        json!({"count": 1, "mean": 7200.0, "median": 7200.0, "p90": 7200.0,
               "min": 7200, "max": 7200})
    );
    assert_eq!(
        group(&one, Some(desk_b))["first_reply_time"],
        json!({"count": 2, "mean": 9900.0, "median": 9900.0, "p90": 12060.0,
               "min": 7200, "max": 12600})
    );
    // The same on the summary of desk B's tickets, and wall-clock time ignores the calendar
    // (B1 3.5 h = 12600 s, B2 Fri 16:00 → Mon 10:00 = 66 h = 237600 s) but still names it.
    let summary = app
        .get_json(
            &format!(
                "/api/v1/metrics/summary?current_team={desk_b}&time=business&calendar={office}"
            ),
            200,
        )
        .await;
    assert_eq!(summary["first_reply_time"]["max"], 12600);
    assert_eq!(summary["first_reply_time"]["min"], 7200);
    let wall = app
        .get_json(
            &format!("/api/v1/metrics/summary?current_team={desk_b}&calendar={office}"),
            200,
        )
        .await;
    assert_eq!(wall["calendar"]["id"], office);
    assert_eq!(
        (
            &wall["first_reply_time"]["min"],
            &wall["first_reply_time"]["max"]
        ),
        (&json!(12600), &json!(237600))
    );
    // A timeseries on the calendar: both Monday-2 replies in the week of 2026-03-02 (A1 7200,
    // B1 12600), B2's in the next week.
    let weeks = app
        .get_json(
            &format!(
                "/api/v1/metrics/timeseries?interval=week&from=2026-03-02T00:00:00Z\
                 &to=2026-03-16T00:00:00Z&time=business&calendar={office}&sourcing=in_house"
            ),
            200,
        )
        .await;
    assert_eq!(weeks["calendar"]["name"], "Office");
    assert_eq!(weeks["buckets"][0]["first_reply_time"]["min"], 7200);
    assert_eq!(weeks["buckets"][0]["first_reply_time"]["max"], 12600);
    assert_eq!(weeks["buckets"][1]["first_reply_time"]["max"], 7200);

    // The whole summary on the calendar: A1, B1 and B2 (7200, 12600, 7200): median 7200,
    // mean 9000, p90 = 7200 + 0.8 × 5400 = 11520 (r = 0.9 × 2 = 1.8, between 7200 and 12600);
    // no work order, so the field block is there and empty.
    let all = app
        .get_json(
            &format!("/api/v1/metrics/summary?time=business&calendar={office}"),
            200,
        )
        .await;
    assert_eq!(
        all["first_reply_time"],
        json!({"count": 3, "mean": 9000.0, "median": 7200.0, "p90": 11520.0,
               "min": 7200, "max": 12600})
    );
    assert_eq!(all["field"]["travel_time"]["count"], 0);
    // An unknown calendar is refused.
    for path in [
        format!(
            "/api/v1/metrics/breakdown?by=team&time=business&calendar={}",
            office + 999
        ),
        format!("/api/v1/metrics/summary?calendar={}", office + 999),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status().as_u16(), 422, "{path}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let problem: Value = r.json().await.unwrap();
        assert!(problem.to_string().contains("calendar"), "{problem}");
    }

    // The store and the SQL reference agree on the office calendar too.
    let office_calendar = crate::metrics_store::office_calendar();
    let store = frontline::metrics::store::MetricsStore::new();
    let everything = (
        frontline::domain::instant::min(),
        frontline::domain::instant::end(),
    );
    let compared = store
        .read(&app.db.pool, |conn, reader| {
            let mut groups = 0;
            for grouping in [
                Grouping::All,
                Grouping::Dimension(Dimension::Team),
                Grouping::Dimension(Dimension::CurrentTeam),
            ] {
                for f in [
                    MetricFilters::default(),
                    MetricFilters {
                        team_id: Some(desk_b),
                        ..MetricFilters::default()
                    },
                ] {
                    groups += crate::metrics_store::compare_on(
                        conn,
                        reader,
                        &grouping,
                        &f,
                        everything,
                        TimeBasis::Business,
                        Some(&office_calendar),
                    )?;
                }
            }
            Ok(groups)
        })
        .unwrap();
    assert!(compared >= 6, "{compared} groups compared");
}
