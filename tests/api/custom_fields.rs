//! Custom ticket fields (issue 15, item 5): admin-defined text, number, date, drop-down and
//! checkbox fields; values validated by type (a 422 naming the field), audited as
//! `field_changed` events, required to solve, filterable (`field.<key>=`) and a metrics
//! breakdown dimension (`by=field.<key>`), the store's figures equal to the SQL reference's.

use crate::helpers::{TestApp, spawn_app};
use crate::macros::send;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use frontline::domain::ids::{CustomerId, TicketId, UserId};
use frontline::domain::ticket::{AuthorKind, TicketPriority, TicketStatus};
use frontline::metrics::reference::Grouping;
use frontline::metrics::store::MetricsStore;
use frontline::metrics::{Dimension, FieldKey, MetricFilters, TimeBasis};
use frontline::models::enums::{TicketChannel, UserRole};
use frontline::models::ticket::{TicketFields, Visibility};
use frontline::tickets::create::{NewTicket, Requester, create_tx};
use frontline::tickets::update::{TicketUpdate, update_tx};
use frontline::tickets::{Actor, RulesCache};
use reqwest::Method;
use serde_json::{Value, json};

/// Defines the five test fields (one per type; `serial` required to solve).
async fn define_fields(app: &TestApp) {
    for (i, body) in [
        json!({"key": "power_source", "label": "Power source", "type": "dropdown",
               "options": ["mains", "battery"], "position": 1}),
        json!({"key": "visits", "label": "Visits", "type": "number", "position": 2}),
        json!({"key": "install_date", "label": "Install date", "type": "date", "position": 3}),
        json!({"key": "serial", "label": "Serial number", "type": "text",
               "required_on_solve": true, "position": 4}),
        json!({"key": "warranty", "label": "Under warranty", "type": "checkbox", "position": 5}),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, field) = send(
            app,
            &app.admin_token,
            Method::POST,
            "/api/v1/ticket-fields",
            body,
        )
        .await;
        assert_eq!(status, 201, "{i}: {field}");
    }
}

/// `PATCH /tickets/{id}` as the admin with `If-Match: version`: (status, body).
async fn patch(app: &TestApp, id: i64, version: i64, body: Value) -> (u16, Value) {
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{id}", app.address))
        .bearer_auth(&app.admin_token)
        .header("If-Match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn admins_define_typed_fields_whose_values_are_checked_audited_required_and_filterable() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let (agent_id, _) = app.create_staff(UserRole::Agent);
    let agent = app.token_for(UserRole::Agent);

    // Definitions: admins only; key, type and options checked.
    let (status, _) = send(
        &app,
        &agent,
        Method::POST,
        "/api/v1/ticket-fields",
        json!({"key": "x", "label": "X", "type": "text"}),
    )
    .await;
    assert_eq!(status, 403);
    for (body, field, message) in [
        (
            json!({"key": "Bad key", "label": "X", "type": "text"}),
            "key",
            "must match ^[a-z][a-z0-9_]{0,39}$",
        ),
        (
            json!({"key": "x", "label": "X", "type": "colour"}),
            "type",
            "expected one of text, number, date, dropdown, checkbox",
        ),
        (
            json!({"key": "x", "label": "X", "type": "dropdown"}),
            "options",
            "a dropdown field has 1–100 options",
        ),
        (
            json!({"key": "x", "label": "X", "type": "text", "options": ["a"]}),
            "options",
            "only a dropdown field has options",
        ),
        (
            json!({"key": "x", "label": "X", "type": "dropdown", "options": ["a", "a"]}),
            "options",
            "`a` is given twice",
        ),
    ] {
        let (status, problem) =
            send(&app, &admin, Method::POST, "/api/v1/ticket-fields", body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][field], json!([message]), "{problem}");
    }
    define_fields(&app).await;
    let (status, problem) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/ticket-fields",
        json!({"key": "visits", "label": "Again", "type": "number"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["errors"]["key"][0], "a field with this key exists");
    let fields = app.get_json("/api/v1/ticket-fields", 200).await;
    let keys: Vec<&Value> = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["key"])
        .collect();
    assert_eq!(
        keys,
        [
            "power_source",
            "visits",
            "install_date",
            "serial",
            "warranty"
        ]
    );
    assert_eq!(fields["fields"][0]["type"], "dropdown");

    // Each type refuses what is not its kind of value, naming the field.
    let ticket = |n: u32, extra: Value| {
        let mut body = json!({
            "requester": {"name": format!("Caller {n}"), "email": format!("c{n}@example.com")},
            "subject": format!("Kiosk {n}"),
            "channel": "phone",
            "assignee_id": agent_id,
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (values, field, message) in [
        (
            json!({"power_source": "solar"}),
            "custom_fields.power_source",
            "must be one of: mains, battery",
        ),
        (
            json!({"visits": "2"}),
            "custom_fields.visits",
            "must be a number",
        ),
        (
            json!({"install_date": "2026-02-30"}),
            "custom_fields.install_date",
            "must be a date, YYYY-MM-DD",
        ),
        (
            json!({"serial": "   "}),
            "custom_fields.serial",
            "must not be blank (null clears it)",
        ),
        (
            json!({"serial": 42}),
            "custom_fields.serial",
            "must be a string",
        ),
        (
            json!({"warranty": "yes"}),
            "custom_fields.warranty",
            "must be true or false",
        ),
        (
            json!({"colour": "red"}),
            "custom_fields.colour",
            "no such field; expected one of: power_source, visits, install_date, serial, warranty",
        ),
    ] {
        let (status, problem) = send(
            &app,
            &admin,
            Method::POST,
            "/api/v1/tickets",
            ticket(1, json!({"custom_fields": values})),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"], json!({field: [message]}), "{problem}");
    }

    // Valid values are stored as typed; a solve needs the required serial number.
    let (status, kiosk) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        ticket(
            2,
            json!({"custom_fields": {"power_source": "battery", "visits": 2,
                                     "install_date": "2026-11-30", "warranty": true}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{kiosk}");
    assert_eq!(
        kiosk["custom_fields"],
        json!({"power_source": "battery", "visits": 2, "install_date": "2026-11-30",
               "warranty": true})
    );
    let id = kiosk["id"].as_i64().unwrap();
    let version = kiosk["version"].as_i64().unwrap();
    let (status, problem) = patch(&app, id, version, json!({"status": "solved"})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["errors"],
        json!({"custom_fields.serial": ["`Serial number` is required to solve the ticket"]})
    );
    let (status, problem) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        ticket(3, json!({"status": "solved"})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"]["custom_fields.serial"].is_array());
    let (status, problem) = send(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/tickets/{id}/comments"),
        json!({"body": "Fixed on site", "public": true, "status": "solved"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"]["custom_fields.serial"].is_array());

    // A change: a merge (null clears), each value change a `field_changed` event.
    let before = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await["events"]
        .as_array()
        .unwrap()
        .len();
    let (status, changed) = patch(
        &app,
        id,
        version,
        json!({"custom_fields": {"serial": " SN-77 ", "visits": null, "warranty": true}}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        changed["custom_fields"],
        json!({"power_source": "battery", "install_date": "2026-11-30", "warranty": true,
               "serial": "SN-77"})
    );
    let events = app
        .get_json(&format!("/api/v1/tickets/{id}/events"), 200)
        .await;
    let data: Vec<&Value> = events["events"].as_array().unwrap()[before..]
        .iter()
        .map(|e| &e["data"])
        .collect();
    assert_eq!(
        data,
        [
            &json!({"kind": "field_changed", "field": "custom_fields.serial", "from": null,
                    "to": "SN-77"}),
            &json!({"kind": "field_changed", "field": "custom_fields.visits", "from": 2,
                    "to": null}),
        ]
    );
    let (status, solved) = patch(&app, id, version + 1, json!({"status": "solved"})).await;
    assert_eq!(
        (status, &solved["status"]),
        (200, &json!("solved")),
        "{solved}"
    );

    // Another ticket on mains power; filters by each type.
    let (status, mains) = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/tickets",
        ticket(
            4,
            json!({"custom_fields": {"power_source": "mains", "visits": 2.0, "warranty": false}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{mains}");
    let numbers = |body: &Value| -> Vec<i64> {
        body["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    let mains_id = mains["id"].as_i64().unwrap();
    for (query, expected) in [
        ("field.power_source=battery", vec![id]),
        ("field.power_source=mains", vec![mains_id]),
        ("field.warranty=true", vec![id]),
        ("field.warranty=false", vec![mains_id]),
        ("field.visits=2", vec![mains_id]),
        ("field.install_date=2026-11-30", vec![id]),
        ("field.serial=SN-77&status=solved", vec![id]),
        ("field.power_source=battery&field.warranty=false", vec![]),
    ] {
        let list = app.get_json(&format!("/api/v1/tickets?{query}"), 200).await;
        assert_eq!(numbers(&list), expected, "{query}");
    }
    for (query, field, message) in [
        (
            "field.power_source=solar",
            "field.power_source",
            "must be one of: mains, battery",
        ),
        ("field.colour=red", "field.colour", "no such custom field"),
        ("field.visits=two", "field.visits", "must be a number"),
    ] {
        let r = app.get(&format!("/api/v1/tickets?{query}")).await;
        assert_eq!(r.status().as_u16(), 422, "{query}");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][field], json!([message]), "{query}");
    }

    // An inactive field takes no values and is not required.
    let visits = app.get_json("/api/v1/ticket-fields", 200).await["fields"][1].clone();
    let (status, _) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/ticket-fields/{}", visits["id"]),
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, problem) = patch(
        &app,
        mains_id,
        mains["version"].as_i64().unwrap(),
        json!({"custom_fields": {"visits": 3}}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        problem["errors"]["custom_fields.visits"],
        json!(["the field is inactive"])
    );
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-02T{s}:00Z"))
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_breakdown_by_a_dropdown_field_gives_the_hand_computed_figures_on_both_read_sides() {
    let app = spawn_app().await;
    define_fields(&app).await;
    let (agent, _) = app.create_staff(UserRole::Agent);
    let (status, rosa) = send(
        &app,
        &app.admin_token,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Rosa Diaz", "email": "rosa@example.com"}),
    )
    .await;
    assert_eq!(status, 201);
    let rosa = rosa["id"].as_i64().unwrap();
    let mut conn = app.db.conn();
    let rules = RulesCache::new();
    let actor = Actor {
        id: UserId::new(agent),
        visibility: Visibility::All,
    };
    // (created, solved, power source): battery 09:00 → 09:30 and 10:00 → 11:00; mains
    // 09:00 → 09:10; no value, open.
    let tickets = [
        ("09:00", Some("09:30"), Some("battery")),
        ("10:00", Some("11:00"), Some("battery")),
        ("09:00", Some("09:10"), Some("mains")),
        ("12:00", None, None),
    ];
    for (created, solved, power) in tickets {
        let mut values = serde_json::Map::new();
        values.insert("serial".into(), json!("SN-1"));
        if let Some(p) = power {
            values.insert("power_source".into(), json!(p));
        }
        conn.transaction(|c| {
            let ticket = create_tx(
                c,
                &rules,
                &NewTicket {
                    requester: Requester::Existing(CustomerId::new(rosa)),
                    fields: TicketFields {
                        subject: "Kiosk".into(),
                        channel: Some(TicketChannel::Phone),
                        custom_fields: values,
                        ..TicketFields::default()
                    },
                    description_author: AuthorKind::Customer,
                    priority: TicketPriority::Normal,
                    assignee: Some(UserId::new(agent)),
                    status: None,
                },
                Some(UserId::new(agent)),
                at(created),
            )?;
            if let Some(solved) = solved {
                update_tx(
                    c,
                    &rules,
                    TicketId::new(ticket.id),
                    ticket.version,
                    &TicketUpdate {
                        status: Some(TicketStatus::Solved),
                        ..TicketUpdate::default()
                    },
                    actor,
                    at(solved),
                )?;
            }
            Ok::<_, frontline::error::ApiError>(())
        })
        .unwrap();
    }

    let body = app
        .get_json(
            "/api/v1/metrics/breakdown?by=field.power_source&from=2026-11-02T00:00:00Z\
             &to=2026-11-03T00:00:00Z",
            200,
        )
        .await;
    let groups: Vec<Value> = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            json!([
                g["key"],
                g["label"],
                g["tickets_created"],
                g["tickets_solved"],
                g["full_resolution_time"]
            ])
        })
        .collect();
    let stats = |n: i64, mean: f64, median: f64, p90: f64, min: i64, max: i64| json!({"count": n, "mean": mean, "median": median, "p90": p90, "min": min, "max": max});
    assert_eq!(
        groups,
        [
            // 1,800 s and 3,600 s: mean and median 2,700 s, p90 1,800 + 0.9 × 1,800 = 3,420 s.
            json!([
                "battery",
                "battery",
                2,
                2,
                stats(2, 2700.0, 2700.0, 3420.0, 1800, 3600)
            ]),
            json!([
                "mains",
                "mains",
                1,
                1,
                stats(1, 600.0, 600.0, 600.0, 600, 600)
            ]),
            json!([null, null, 1, 0, {"count": 0, "mean": null, "median": null, "p90": null,
                                      "min": null, "max": null}]),
        ],
        "{body}"
    );

    // The in-memory store and the SQL reference agree, with and without contact rates.
    let key = FieldKey::new("power_source").unwrap();
    let store = MetricsStore::new();
    store
        .read(&app.db.pool, |conn, reader| {
            for basis in [TimeBasis::Calendar, TimeBasis::Business] {
                crate::metrics_store::compare(
                    conn,
                    reader,
                    &Grouping::Dimension(Dimension::Field(key)),
                    &MetricFilters::default(),
                    (at("00:00"), at("23:59")),
                    basis,
                )?;
            }
            Ok(())
        })
        .unwrap();

    // Only drop-down fields are dimensions.
    for by in ["field.serial", "field.nope", "field.Bad"] {
        let r = app.get(&format!("/api/v1/metrics/breakdown?by={by}")).await;
        assert_eq!(r.status().as_u16(), 422, "{by}");
        let problem: Value = r.json().await.unwrap();
        assert!(problem["errors"]["by"].is_array(), "{problem}");
    }
}

#[tokio::test]
async fn the_list_csv_has_a_column_per_active_field_with_each_tickets_value() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    define_fields(&app).await;
    let mut ids = Vec::new();
    for (i, values) in [
        json!({"power_source": "battery", "visits": 2.5, "install_date": "2026-11-30",
               "serial": "=HYPERLINK(\"x\")", "warranty": true}),
        json!({"visits": -3, "serial": "SN-77", "warranty": false}),
        json!({}),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, t) = send(
            &app,
            &admin,
            Method::POST,
            "/api/v1/tickets",
            json!({"requester": {"name": format!("Caller {i}"),
                                 "email": format!("c{i}@example.com")},
                   "subject": format!("Kiosk {i}"), "channel": "phone",
                   "custom_fields": values}),
        )
        .await;
        assert_eq!(status, 201, "{t}");
        ids.push((t["number"].as_i64().unwrap(), t["id"].as_i64().unwrap()));
    }
    // An inactive field has no column (its values stay on the tickets).
    let fields = app.get_json("/api/v1/ticket-fields", 200).await;
    let (status, _) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/ticket-fields/{}", fields["fields"][2]["id"]),
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200);

    let r = app.get("/api/v1/tickets?sort=created_at&format=csv").await;
    assert_eq!(r.status().as_u16(), 200);
    let csv = r.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "number",
            "id",
            "subject",
            "status",
            "hold_reason",
            "priority",
            "channel",
            "requester_name",
            "organization_name",
            "assignee_name",
            "team_name",
            "sla_due_at",
            "created_at",
            "updated_at",
            "solved_at",
            "field.power_source",
            "field.visits",
            "field.serial",
            "field.warranty"
        ]
    );
    // Each ticket's number and id, then its values: a number as written, a text guarded
    // against formulas, a checkbox true/false, empty without a value.
    let cells: Vec<Vec<String>> = rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), 19, "{r:?}");
            r[..2].iter().chain(&r[15..]).cloned().collect()
        })
        .collect();
    let row = |i: usize, values: [&str; 4]| -> Vec<String> {
        [ids[i].0.to_string(), ids[i].1.to_string()]
            .into_iter()
            .chain(values.map(str::to_string))
            .collect()
    };
    assert_eq!(
        cells,
        [
            row(0, ["battery", "2.5", "'=HYPERLINK(\"x\")", "true"]),
            row(1, ["", "-3", "SN-77", "false"]),
            row(2, ["", "", "", ""]),
        ]
    );
    // The date field, active again, is written as stored (ISO).
    let (status, _) = send(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/ticket-fields/{}", fields["fields"][2]["id"]),
        json!({"active": true}),
    )
    .await;
    assert_eq!(status, 200);
    let csv = app
        .get("/api/v1/tickets?sort=created_at&per_page=1&format=csv")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].ends_with(
            ",solved_at,field.power_source,field.visits,field.install_date,field.serial,\
             field.warranty"
        ),
        "{csv}"
    );
    assert!(
        lines[1].ends_with(",battery,2.5,2026-11-30,\"'=HYPERLINK(\"\"x\"\")\",true"),
        "{csv}"
    );
}
