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
struct Staff {
    id: i64,
    token: String,
}

impl Staff {
    /// An agent in `team` with `employment` (`employee` / `contractor`).
    fn agent(app: &TestApp, team: i64, employment: &str) -> Staff {
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

    async fn send(&self, app: &TestApp, method: reqwest::Method, path: &str, body: Value) -> Value {
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

fn team(app: &TestApp, name: &str, sourcing: &str) -> i64 {
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
