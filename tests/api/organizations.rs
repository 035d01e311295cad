//! Organizations, sites and customers.

use crate::helpers::spawn_app;
use frontline::models::enums::UserRole;
use serde_json::{Value, json};

async fn post(app: &crate::helpers::TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}{}", app.address, path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn patch(
    app: &crate::helpers::TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = app
        .client
        .patch(format!("{}{}", app.address, path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_agent_creates_an_organization_a_site_and_a_customer_on_the_phone() {
    let app = spawn_app().await;
    let agent = app.token_for(UserRole::Agent);
    let (status, org) = post(
        &app,
        &agent,
        "/api/v1/organizations",
        json!({"name": "  Dallas County Jail "}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(org["name"], "Dallas County Jail");
    let org_id = org["id"].as_i64().unwrap();

    let (status, site) = post(
        &app,
        &agent,
        "/api/v1/sites",
        json!({"organization_id": org_id, "name": "North Tower", "time_zone": "America/Chicago"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(site["time_zone"], "America/Chicago");

    let (status, customer) = post(
        &app,
        &agent,
        "/api/v1/customers",
        json!({"name": "Rosa Diaz", "email": "  Rosa.Diaz@Example.COM ", "phone": "+1 (214) 555-0100",
               "organization_id": org_id}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        customer["email"], "rosa.diaz@example.com",
        "emails are normalised"
    );

    // Search by part of the email, case-insensitively, and by phone digits.
    let found = app.get_json("/api/v1/customers?q=ROSA.D", 200).await;
    assert_eq!(found["customers"][0]["id"], customer["id"]);
    let found = app.get_json("/api/v1/customers?q=555-0100", 200).await;
    assert_eq!(found["customers"].as_array().unwrap().len(), 1);
    let none = app.get_json("/api/v1/customers?q=%25", 200).await;
    assert_eq!(
        none["customers"],
        json!([]),
        "% is a literal, not a wildcard"
    );

    let id = customer["id"].as_i64().unwrap();
    let (status, edited) = patch(
        &app,
        &agent,
        &format!("/api/v1/customers/{id}"),
        json!({"phone": null}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(edited["phone"], Value::Null);
    assert_eq!(
        edited["email"], "rosa.diaz@example.com",
        "absent fields are unchanged"
    );
}

#[tokio::test]
async fn a_duplicate_email_is_a_409_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let agent = app.token_for(UserRole::Agent);
    let body = json!({"name": "Rosa Diaz", "email": "rosa@example.com"});
    assert_eq!(post(&app, &agent, "/api/v1/customers", body).await.0, 201);
    let (status, problem) = post(
        &app,
        &agent,
        "/api/v1/customers",
        json!({"name": "Other Rosa", "email": "ROSA@example.com"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "duplicate");
    assert_eq!(
        problem["errors"]["email"][0],
        "is already used by another customer"
    );
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "customers"), 1);
}

#[tokio::test]
async fn bad_directory_input_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    let agent = app.token_for(UserRole::Agent);
    let cases = [
        ("/api/v1/customers", json!({"name": "   "}), 422, "name"),
        (
            "/api/v1/customers",
            json!({"name": "A", "email": "not-an-email"}),
            422,
            "email",
        ),
        (
            "/api/v1/customers",
            json!({"name": "A", "phone": "call me"}),
            422,
            "phone",
        ),
        (
            "/api/v1/customers",
            json!({"name": "A", "organization_id": 999999}),
            422,
            "organization_id",
        ),
        (
            "/api/v1/customers",
            json!({"name": "A", "vip": true}),
            422,
            "vip",
        ),
        ("/api/v1/customers", json!({"name": 5}), 422, "name"),
        (
            "/api/v1/sites",
            json!({"organization_id": 999999, "name": "X"}),
            422,
            "organization_id",
        ),
        (
            "/api/v1/organizations",
            json!({"name": "x".repeat(201)}),
            422,
            "name",
        ),
    ];
    for (path, body, status, field) in cases {
        let (actual, problem) = post(&app, &agent, path, body.clone()).await;
        assert_eq!(actual, status, "{path} {body}");
        assert!(
            problem["errors"][field].is_array(),
            "{path} {body}: {problem}"
        );
    }
    let org = post(
        &app,
        &agent,
        "/api/v1/organizations",
        json!({"name": "Org"}),
    )
    .await
    .1;
    let (status, problem) = post(
        &app,
        &agent,
        "/api/v1/sites",
        json!({"organization_id": org["id"], "name": "X", "time_zone": "Mars/Olympus"}),
    )
    .await;
    assert_eq!(
        (status, problem["errors"]["time_zone"].is_array()),
        (422, true)
    );
    for table in ["customers", "sites"] {
        assert_eq!(
            crate::helpers::count(&mut app.db.conn(), table),
            0,
            "{table}"
        );
    }
}

#[tokio::test]
async fn managers_read_the_directory_but_do_not_write_it_and_technicians_see_sites_only() {
    let app = spawn_app().await;
    let manager = app.token_for(UserRole::Manager);
    let technician = app.token_for(UserRole::Technician);
    assert_eq!(
        post(&app, &manager, "/api/v1/customers", json!({"name": "A"}))
            .await
            .0,
        403
    );
    assert_eq!(
        app.get_as(Some(&manager), "/api/v1/customers")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.get_as(Some(&technician), "/api/v1/customers")
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        app.get_as(Some(&technician), "/api/v1/sites")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.get_as(None, "/api/v1/sites").await.status().as_u16(),
        401
    );
}
