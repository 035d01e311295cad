//! Assets, their history, tickets naming an asset, technician skills and time off.

use crate::helpers::{TestApp, spawn_app};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use frontline::schema::{assets, time_off, users};
use reqwest::Method;
use serde_json::{Value, json};

/// A response: status, content type, JSON body (`Null` when empty).
struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

async fn send(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = app
        .client
        .request(method, format!("{}{}", app.address, path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Reply {
    send(app, Method::POST, token, path, Some(body)).await
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> Reply {
    send(app, Method::PATCH, token, path, Some(body)).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Reply {
    send(app, Method::GET, token, path, None).await
}

/// Creates an organization and a site of it (in `zone`); returns `(org, site)`.
async fn org_and_site(app: &TestApp, name: &str, zone: &str) -> (i64, i64) {
    let admin = app.admin_token.clone();
    let org = post(
        app,
        &admin,
        "/api/v1/organizations",
        json!({ "name": name }),
    )
    .await;
    assert_eq!(org.status, 201, "{}", org.body);
    let org = org.body["id"].as_i64().unwrap();
    let site = post(
        app,
        &admin,
        "/api/v1/sites",
        json!({"organization_id": org, "name": format!("{name} North"), "time_zone": zone}),
    )
    .await;
    assert_eq!(site.status, 201, "{}", site.body);
    (org, site.body["id"].as_i64().unwrap())
}

async fn second_site(app: &TestApp, org: i64, name: &str) -> i64 {
    let site = post(
        app,
        &app.admin_token,
        "/api/v1/sites",
        json!({"organization_id": org, "name": name}),
    )
    .await;
    assert_eq!(site.status, 201, "{}", site.body);
    site.body["id"].as_i64().unwrap()
}

async fn phone(app: &TestApp, site: i64, tag: &str) -> i64 {
    let r = post(
        app,
        &app.admin_token,
        "/api/v1/assets",
        json!({"site_id": site, "kind": "inmate_phone", "asset_tag": tag}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

fn assert_problem(r: &Reply, status: u16, field: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert!(
        r.body["errors"][field].is_array(),
        "expected an error on {field}: {}",
        r.body
    );
}

#[tokio::test]
async fn an_agent_registers_a_phone_and_everyone_on_staff_reads_it_with_its_site() {
    let app = spawn_app().await;
    let (org, site) = org_and_site(&app, "Dallas County Jail", "America/Chicago").await;
    let agent = app.token_for(UserRole::Agent);
    let created = post(
        &app,
        &agent,
        "/api/v1/assets",
        json!({"site_id": site, "kind": "inmate_phone", "asset_tag": "  PH-0042 ",
               "serial_number": "SN-9001", "model": "Wintel 3000", "installed_on": "2024-05-17"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let a = &created.body;
    assert_eq!(a["asset_tag"], "PH-0042", "the tag is trimmed");
    assert_eq!(a["organization_id"], org, "the organization is the site's");
    assert_eq!(a["site_id"], site);
    assert_eq!(a["site_name"], "Dallas County Jail North");
    assert_eq!(a["site_time_zone"], "America/Chicago");
    assert_eq!(a["kind"], "inmate_phone");
    assert_eq!(a["status"], "in_service", "the default status");
    assert_eq!(a["installed_on"], "2024-05-17");
    let id = a["id"].as_i64().unwrap();
    let (tag, row_org): (String, i64) = assets::table
        .find(id)
        .select((assets::asset_tag, assets::organization_id))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!((tag.as_str(), row_org), ("PH-0042", org));

    for role in [UserRole::Technician, UserRole::Manager] {
        let token = app.token_for(role);
        let one = get(&app, &token, &format!("/api/v1/assets/{id}")).await;
        assert_eq!(one.status, 200, "{role:?}: {}", one.body);
        assert_eq!(one.body["serial_number"], "SN-9001");
    }

    let kiosk = post(
        &app,
        &agent,
        "/api/v1/assets",
        json!({"site_id": site, "kind": "payment_kiosk", "asset_tag": "KI-1", "status": "out_of_service"}),
    )
    .await;
    assert_eq!(kiosk.status, 201, "{}", kiosk.body);
    let kiosk = kiosk.body["id"].as_i64().unwrap();

    let list = get(&app, &agent, "/api/v1/assets?kind=inmate_phone").await;
    assert_eq!(list.status, 200);
    let ids: Vec<i64> = list.body["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id]);
    let by_model = get(&app, &agent, "/api/v1/assets?q=wintel").await;
    assert_eq!(by_model.body["assets"][0]["id"], id, "q searches the model");
    let by_status = get(
        &app,
        &agent,
        &format!("/api/v1/assets?status=out_of_service&organization_id={org}"),
    )
    .await;
    assert_eq!(by_status.body["assets"][0]["id"], kiosk);
    assert_eq!(by_status.body["assets"].as_array().unwrap().len(), 1);

    // Pages of one, by id.
    let first = get(
        &app,
        &agent,
        &format!("/api/v1/sites/{site}/assets?per_page=1"),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["assets"][0]["id"], id);
    let cursor = first.body["meta"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let second = get(
        &app,
        &agent,
        &format!("/api/v1/sites/{site}/assets?per_page=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second.body["assets"][0]["id"], kiosk);
    let other = second_site(&app, org, "Annex").await;
    let empty = get(&app, &agent, &format!("/api/v1/sites/{other}/assets")).await;
    assert_eq!(empty.body["assets"], json!([]));
    assert_eq!(empty.body["meta"]["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_duplicate_tag_or_serial_is_409_in_one_organization_and_accepted_in_another() {
    let app = spawn_app().await;
    let (_, site) = org_and_site(&app, "Dallas County Jail", "America/Chicago").await;
    let (_, elsewhere) = org_and_site(&app, "Harris County Jail", "America/Chicago").await;
    let admin = app.admin_token.clone();
    let body = |site: i64, tag: &str, serial: &str| json!({"site_id": site, "kind": "tablet", "asset_tag": tag, "serial_number": serial});
    assert_eq!(
        post(&app, &admin, "/api/v1/assets", body(site, "TB-1", "S-1"))
            .await
            .status,
        201
    );
    let tag = post(&app, &admin, "/api/v1/assets", body(site, "TB-1", "S-2")).await;
    assert_problem(&tag, 409, "asset_tag");
    let serial = post(&app, &admin, "/api/v1/assets", body(site, "TB-2", "S-1")).await;
    assert_problem(&serial, 409, "serial_number");
    // Typed by hand from a label: case does not make another tag or serial.
    let lower = post(&app, &admin, "/api/v1/assets", body(site, " tb-1 ", "S-9")).await;
    assert_problem(&lower, 409, "asset_tag");
    let lower = post(&app, &admin, "/api/v1/assets", body(site, "TB-9", "s-1")).await;
    assert_problem(&lower, 409, "serial_number");
    let other = post(
        &app,
        &admin,
        "/api/v1/assets",
        body(elsewhere, "TB-1", "S-1"),
    )
    .await;
    assert_eq!(
        other.status, 201,
        "another organization may reuse both: {}",
        other.body
    );
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "assets"), 2);

    // A PATCH onto a taken tag is a 409 too.
    let second = post(&app, &admin, "/api/v1/assets", body(site, "TB-3", "S-3")).await;
    let id = second.body["id"].as_i64().unwrap();
    let clash = patch(
        &app,
        &admin,
        &format!("/api/v1/assets/{id}"),
        json!({"asset_tag": "TB-1"}),
    )
    .await;
    assert_problem(&clash, 409, "asset_tag");
    // A required value cannot be cleared: 422 naming it, nothing written.
    for field in ["asset_tag", "kind", "site_id", "status"] {
        let cleared = patch(
            &app,
            &admin,
            &format!("/api/v1/assets/{id}"),
            json!({ field: null }),
        )
        .await;
        assert_problem(&cleared, 422, field);
    }
}

#[tokio::test]
async fn invalid_assets_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (_, site) = org_and_site(&app, "Dallas County Jail", "America/Chicago").await;
    let admin = app.admin_token.clone();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let cases = [
        (
            "unknown site",
            json!({"site_id": 999_999, "kind": "tablet", "asset_tag": "A"}),
            "site_id",
        ),
        (
            "unknown kind",
            json!({"site_id": site, "kind": "phone", "asset_tag": "A"}),
            "kind",
        ),
        (
            "blank tag",
            json!({"site_id": site, "kind": "tablet", "asset_tag": "   "}),
            "asset_tag",
        ),
        (
            "tag over 100 characters",
            json!({"site_id": site, "kind": "tablet", "asset_tag": "x".repeat(101)}),
            "asset_tag",
        ),
        (
            "installed in the future",
            json!({"site_id": site, "kind": "tablet", "asset_tag": "A", "installed_on": tomorrow}),
            "installed_on",
        ),
        (
            "not a date",
            json!({"site_id": site, "kind": "tablet", "asset_tag": "A", "installed_on": "17/05/2024"}),
            "installed_on",
        ),
        (
            "unknown status",
            json!({"site_id": site, "kind": "tablet", "asset_tag": "A", "status": "broken"}),
            "status",
        ),
    ];
    for (description, body, field) in cases {
        let r = post(&app, &admin, "/api/v1/assets", body).await;
        assert_eq!(r.status, 422, "{description}: {}", r.body);
        assert_problem(&r, 422, field);
    }
    let kind = post(
        &app,
        &admin,
        "/api/v1/assets",
        json!({"site_id": site, "kind": "phone", "asset_tag": "A"}),
    )
    .await;
    let message = kind.body["errors"]["kind"][0].as_str().unwrap();
    assert!(
        message.contains(
            "inmate_phone, payment_kiosk, video_visitation_terminal, tablet, network_gear, other"
        ),
        "{message}"
    );
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "assets"), 0);
    let filter = get(&app, &admin, "/api/v1/assets?kind=phone").await;
    assert_problem(&filter, 422, "kind");
}

#[tokio::test]
async fn an_asset_moves_only_to_another_site_of_its_organization() {
    let app = spawn_app().await;
    let (org, site) = org_and_site(&app, "Dallas County Jail", "America/Chicago").await;
    let (_, foreign) = org_and_site(&app, "Harris County Jail", "America/Chicago").await;
    let annex = second_site(&app, org, "Annex").await;
    let admin = app.admin_token.clone();
    let created = post(
        &app,
        &admin,
        "/api/v1/assets",
        json!({"site_id": site, "kind": "inmate_phone", "asset_tag": "PH-1", "serial_number": "S-1"}),
    )
    .await;
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/assets/{id}");

    let moved = patch(
        &app,
        &admin,
        &path,
        json!({"site_id": annex, "serial_number": null, "status": "out_of_service"}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["site_id"], annex);
    assert_eq!(moved.body["site_name"], "Annex");
    assert_eq!(moved.body["site_time_zone"], "UTC");
    assert_eq!(moved.body["serial_number"], Value::Null, "null clears");
    assert_eq!(moved.body["status"], "out_of_service");
    assert_eq!(
        moved.body["asset_tag"], "PH-1",
        "absent fields are unchanged"
    );

    let refused = patch(&app, &admin, &path, json!({"site_id": foreign})).await;
    assert_problem(&refused, 422, "site_id");
    let unknown_site = patch(&app, &admin, &path, json!({"site_id": 999_999})).await;
    assert_problem(&unknown_site, 422, "site_id");
    let site_now: i64 = assets::table
        .find(id)
        .select(assets::site_id)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(site_now, annex);

    let missing = patch(&app, &admin, "/api/v1/assets/999999", json!({"model": "X"})).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "application/problem+json");
    for path in [
        "/api/v1/assets/999999",
        "/api/v1/assets/999999/history",
        "/api/v1/sites/999999/assets",
    ] {
        let r = get(&app, &admin, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.content_type, "application/problem+json", "{path}");
    }
}

#[tokio::test]
async fn technicians_and_managers_read_assets_and_only_admins_and_agents_write_them() {
    let app = spawn_app().await;
    let (_, site) = org_and_site(&app, "Dallas County Jail", "UTC").await;
    let id = phone(&app, site, "PH-1").await;
    let roles = [
        ("admin", app.token_for(UserRole::Admin), true),
        ("agent", app.token_for(UserRole::Agent), true),
        ("manager", app.token_for(UserRole::Manager), false),
        ("technician", app.token_for(UserRole::Technician), false),
    ];
    for (n, (role, token, writes)) in roles.iter().enumerate() {
        for path in [
            "/api/v1/assets".to_string(),
            format!("/api/v1/assets/{id}"),
            format!("/api/v1/assets/{id}/history"),
            format!("/api/v1/sites/{site}/assets"),
        ] {
            assert_eq!(
                get(&app, token, &path).await.status,
                200,
                "{role} GET {path}"
            );
        }
        let created = post(
            &app,
            token,
            "/api/v1/assets",
            json!({"site_id": site, "kind": "tablet", "asset_tag": format!("TB-{n}")}),
        )
        .await;
        let edited = patch(
            &app,
            token,
            &format!("/api/v1/assets/{id}"),
            json!({"model": role}),
        )
        .await;
        let expected = if *writes { (201, 200) } else { (403, 403) };
        assert_eq!((created.status, edited.status), expected, "{role}");
        if !writes {
            assert_eq!(created.content_type, "application/problem+json");
        }
    }
    let anonymous = app
        .client
        .get(format!("{}/api/v1/assets", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

/// Inserts a work order of `ticket` on `asset` created at `created` (RFC 3339); `on_site` marks
/// a visit that reached the site (completed, problem fixed or not).
/// Where work orders of a test go: `(ticket, organization, site, asset, technician)`.
type Place = (i64, i64, i64, i64, i64);

fn insert_work_order(
    app: &TestApp,
    (ticket, org, site, asset, technician): Place,
    created: &str,
    on_site: Option<(&str, bool)>,
) -> i64 {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let (status, on_site_at, finished_at, fixed) = match on_site {
        Some((at, fixed)) => (
            "completed",
            format!("'{at}'::timestamptz + interval '1 hour'"),
            format!("'{at}'::timestamptz + interval '2 hours'"),
            fixed.to_string(),
        ),
        None => ("scheduled", "NULL".into(), "NULL".into(), "NULL".into()),
    };
    let (technician, window) = match on_site {
        Some(_) => (
            technician.to_string(),
            format!("'{created}'::timestamptz, '{created}'::timestamptz + interval '4 hours'"),
        ),
        None => ("NULL".into(), "NULL, NULL".into()),
    };
    diesel::sql_query(format!(
        "INSERT INTO work_orders (ticket_id, organization_id, site_id, asset_id, status, summary, \
         technician_id, window_start, window_end, created_at, on_site_at, finished_at, \
         problem_fixed, last_transition_at, updated_at) \
         VALUES ({ticket}, {org}, {site}, {asset}, '{status}', 'Phone dead', {technician}, \
         {window}, '{created}', {on_site_at}, {finished_at}, {fixed}, '{created}', now()) \
         RETURNING id"
    ))
    .get_result::<Id>(&mut app.db.conn())
    .unwrap()
    .id
}

async fn customer(app: &TestApp, org: i64) -> i64 {
    let r = post(
        app,
        &app.admin_token,
        "/api/v1/customers",
        json!({"name": "Rosa Diaz", "organization_id": org}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_history_lists_two_visits_to_one_phone_newest_first() {
    let app = spawn_app().await;
    let (org, site) = org_and_site(&app, "Dallas County Jail", "America/Chicago").await;
    let id = phone(&app, site, "PH-7").await;
    let other_phone = phone(&app, site, "PH-8").await;
    let requester = customer(&app, org).await;
    let agent = app.token_for(UserRole::Agent);
    let mut tickets = Vec::new();
    for subject in ["No dial tone", "No dial tone again"] {
        let t = post(
            &app,
            &agent,
            "/api/v1/tickets",
            json!({"requester_id": requester, "site_id": site, "asset_id": id,
                   "subject": subject, "channel": "phone"}),
        )
        .await;
        assert_eq!(t.status, 201, "{}", t.body);
        assert_eq!(t.body["asset_id"], id);
        tickets.push(t.body["id"].as_i64().unwrap());
    }
    let (tech, _) = app.create_staff(UserRole::Technician);
    let first = insert_work_order(
        &app,
        (tickets[0], org, site, id, tech),
        "2026-01-05T14:00:00Z",
        Some(("2026-01-05T14:00:00Z", false)),
    );
    let second = insert_work_order(
        &app,
        (tickets[1], org, site, id, tech),
        "2026-02-09T15:00:00Z",
        Some(("2026-02-09T15:00:00Z", true)),
    );
    let pending = insert_work_order(
        &app,
        (tickets[1], org, site, id, tech),
        "2026-02-10T15:00:00Z",
        None,
    );
    insert_work_order(
        &app,
        (tickets[1], org, site, other_phone, tech),
        "2026-02-11T15:00:00Z",
        Some(("2026-02-11T15:00:00Z", true)),
    );

    let history = get(&app, &agent, &format!("/api/v1/assets/{id}/history")).await;
    assert_eq!(history.status, 200, "{}", history.body);
    let h = &history.body;
    assert_eq!(
        h["visit_count"], 2,
        "the scheduled one never reached the site"
    );
    assert_eq!(h["asset"]["asset_tag"], "PH-7");
    let orders: Vec<i64> = h["work_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        orders,
        [pending, second, first],
        "newest first, this phone only"
    );
    let visit = &h["work_orders"][1];
    assert_eq!(visit["ticket_id"], tickets[1]);
    assert_eq!(visit["status"], "completed");
    assert_eq!(visit["technician_id"], tech);
    assert_eq!(visit["on_site_at"], "2026-02-09T16:00:00Z");
    assert_eq!(visit["finished_at"], "2026-02-09T17:00:00Z");
    assert_eq!(visit["window_end"], "2026-02-09T19:00:00Z");
    assert_eq!(visit["problem_fixed"], true);
    assert_eq!(h["work_orders"][2]["problem_fixed"], false);
    let subjects: Vec<&str> = h["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["No dial tone again", "No dial tone"]);
    assert_eq!(h["tickets"][0]["status"], "new");
    assert!(h["tickets"][0]["number"].as_i64().is_some());

    // A technician sees their own visits; another technician none of them.
    let own = get(
        &app,
        &crate::helpers::jwt_keys(&app.db.settings)
            .issue(tech, UserRole::Technician, chrono::Utc::now())
            .unwrap(),
        &format!("/api/v1/assets/{id}/history"),
    )
    .await;
    assert_eq!(own.body["work_orders"].as_array().unwrap().len(), 2);
    assert_eq!(own.body["tickets"].as_array().unwrap().len(), 2);
    let stranger = get(
        &app,
        &app.token_for(UserRole::Technician),
        &format!("/api/v1/assets/{id}/history"),
    )
    .await;
    assert_eq!(stranger.body["work_orders"], json!([]));
    assert_eq!(stranger.body["tickets"], json!([]));
    // Another technician's visits are not theirs to count.
    assert_eq!(stranger.body["visit_count"], 0);
    assert_eq!(own.body["visit_count"], 2);
}

#[tokio::test]
async fn a_ticket_names_an_asset_of_its_organization_and_site() {
    let app = spawn_app().await;
    let (org, site) = org_and_site(&app, "Dallas County Jail", "America/Chicago").await;
    let annex = second_site(&app, org, "Annex").await;
    let (_, foreign_site) = org_and_site(&app, "Harris County Jail", "UTC").await;
    let here = phone(&app, site, "PH-1").await;
    let in_annex = phone(&app, annex, "PH-2").await;
    let foreign = phone(&app, foreign_site, "PH-3").await;
    let requester = customer(&app, org).await;
    let agent = app.token_for(UserRole::Agent);
    let ticket = |asset: Value| {
        json!({"requester_id": requester, "site_id": site, "asset_id": asset,
               "subject": "Phone dead", "channel": "phone"})
    };
    for (description, asset) in [
        ("unknown asset", json!(999_999)),
        ("another site's asset", json!(in_annex)),
        ("another organization's asset", json!(foreign)),
    ] {
        let r = post(&app, &agent, "/api/v1/tickets", ticket(asset)).await;
        assert_eq!(r.status, 422, "{description}: {}", r.body);
        assert_problem(&r, 422, "asset_id");
    }
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "tickets"), 0);

    let created = post(&app, &agent, "/api/v1/tickets", ticket(json!(here))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["asset_id"], here);
    let id = created.body["id"].as_i64().unwrap();
    let without = post(&app, &agent, "/api/v1/tickets", ticket(Value::Null)).await;
    assert_eq!(without.body["asset_id"], Value::Null);

    let listed = get(&app, &agent, &format!("/api/v1/tickets?asset_id={here}")).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let ids: Vec<i64> = listed.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id]);

    let edit = |body: Value, version: i64| {
        app.client
            .patch(format!("{}/api/v1/tickets/{id}", app.address))
            .bearer_auth(&agent)
            .header("if-match", format!("\"{version}\""))
            .json(&body)
            .send()
    };
    let refused = edit(json!({"asset_id": in_annex}), 1).await.unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let body: Value = refused.json().await.unwrap();
    assert!(body["errors"]["asset_id"].is_array(), "{body}");
    // Moving the ticket to the annex and its asset with it is one consistent change.
    let moved = edit(json!({"site_id": annex, "asset_id": in_annex}), 1)
        .await
        .unwrap();
    assert_eq!(moved.status().as_u16(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["asset_id"], in_annex);
    assert_eq!(moved["version"], 2);
    // Moving the site alone away from the asset's is refused.
    let away = edit(json!({"site_id": site}), 2).await.unwrap();
    assert_eq!(away.status().as_u16(), 422);
    let cleared = edit(json!({"asset_id": null}), 2).await.unwrap();
    assert_eq!(cleared.status().as_u16(), 200);

    let events = get(&app, &agent, &format!("/api/v1/tickets/{id}/events")).await;
    let changes: Vec<(Value, Value)> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "field_changed" && e["data"]["field"] == "asset_id")
        .map(|e| (e["data"]["from"].clone(), e["data"]["to"].clone()))
        .collect();
    assert_eq!(
        changes,
        [
            (json!(here), json!(in_annex)),
            (json!(in_annex), Value::Null)
        ]
    );
}

#[tokio::test]
async fn skills_are_set_and_read_through_the_users_routes() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let created = post(
        &app,
        &admin,
        "/api/v1/users",
        json!({"name": "Tom Tech", "email": "tom@staff.test", "role": "technician",
               "skills": [" Inmate_Phone ", "fiber", "inmate_phone"]}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["skills"], json!(["inmate_phone", "fiber"]));
    let id = created.body["id"].as_i64().unwrap();
    let stored: Vec<String> = users::table
        .find(id)
        .select(users::skills)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, ["inmate_phone", "fiber"]);

    let path = format!("/api/v1/users/{id}");
    let edited = patch(&app, &admin, &path, json!({"skills": ["Kiosk"]})).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["skills"], json!(["kiosk"]));
    let read = get(&app, &admin, &path).await;
    assert_eq!(read.body["skills"], json!(["kiosk"]));
    let untouched = patch(&app, &admin, &path, json!({"name": "Tom T."})).await;
    assert_eq!(
        untouched.body["skills"],
        json!(["kiosk"]),
        "absent: unchanged"
    );

    let too_many: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
    let r = patch(&app, &admin, &path, json!({ "skills": too_many })).await;
    assert_problem(&r, 422, "skills");
    let r = patch(&app, &admin, &path, json!({"skills": ["  "]})).await;
    assert_problem(&r, 422, "skills");
}

#[tokio::test]
async fn time_off_is_recorded_listed_and_deleted_by_the_right_roles() {
    let app = spawn_app().await;
    let (tech, _) = app.create_staff(UserRole::Technician);
    let tech_token = crate::helpers::jwt_keys(&app.db.settings)
        .issue(tech, UserRole::Technician, chrono::Utc::now())
        .unwrap();
    let manager = app.token_for(UserRole::Manager);
    let path = format!("/api/v1/users/{tech}/time-off");

    let same = post(
        &app,
        &manager,
        &path,
        json!({"starts_at": "2026-03-02T08:00:00Z", "ends_at": "2026-03-02T08:00:00Z"}),
    )
    .await;
    assert_problem(&same, 422, "ends_at");
    let before = post(
        &app,
        &manager,
        &path,
        json!({"starts_at": "2026-03-02T08:00:00Z", "ends_at": "2026-03-01T08:00:00Z"}),
    )
    .await;
    assert_problem(&before, 422, "ends_at");
    let garbled = post(
        &app,
        &manager,
        &path,
        json!({"starts_at": "monday", "ends_at": "2026-03-01T08:00:00Z"}),
    )
    .await;
    assert_problem(&garbled, 422, "starts_at");
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "time_off"), 0);

    let created = post(
        &app,
        &manager,
        &path,
        json!({"starts_at": "2026-03-02T08:00:00-06:00", "ends_at": "2026-03-04T17:00:00-06:00",
               "reason": " Dentist "}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["starts_at"], "2026-03-02T14:00:00Z");
    assert_eq!(created.body["ends_at"], "2026-03-04T23:00:00Z");
    assert_eq!(created.body["reason"], "Dentist");
    let first = created.body["id"].as_i64().unwrap();
    let later = post(
        &app,
        &app.admin_token,
        &path,
        json!({"starts_at": "2026-04-01T00:00:00Z", "ends_at": "2026-04-02T00:00:00Z"}),
    )
    .await;
    assert_eq!(later.status, 201);
    let stored: i64 = time_off::table
        .filter(time_off::user_id.eq(tech))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, 2);

    // The technician reads their own; the window filters by overlap.
    let own = get(&app, &tech_token, &path).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.body["time_off"].as_array().unwrap().len(), 2);
    let march = get(
        &app,
        &app.token_for(UserRole::Agent),
        &format!("{path}?from=2026-03-04T00:00:00Z&to=2026-03-31T00:00:00Z"),
    )
    .await;
    assert_eq!(march.status, 200, "{}", march.body);
    let ids: Vec<i64> = march.body["time_off"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [first]);
    let bad_window = get(
        &app,
        &manager,
        &format!("{path}?from=2026-03-04T00:00:00Z&to=2026-03-01T00:00:00Z"),
    )
    .await;
    assert_problem(&bad_window, 422, "to");

    // Roles: another technician may not read; technicians and agents may not write.
    let other = app.token_for(UserRole::Technician);
    assert_eq!(get(&app, &other, &path).await.status, 403);
    let body = json!({"starts_at": "2026-05-01T00:00:00Z", "ends_at": "2026-05-02T00:00:00Z"});
    for token in [&tech_token, &app.token_for(UserRole::Agent)] {
        let r = post(&app, token, &path, body.clone()).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.content_type, "application/problem+json");
    }
    let unknown = post(&app, &manager, "/api/v1/users/999999/time-off", body).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        get(&app, &manager, "/api/v1/users/999999/time-off")
            .await
            .status,
        404
    );

    let delete_path = format!("{path}/{first}");
    assert_eq!(
        send(&app, Method::DELETE, &tech_token, &delete_path, None)
            .await
            .status,
        403
    );
    assert_eq!(
        send(&app, Method::DELETE, &manager, &delete_path, None)
            .await
            .status,
        204
    );
    let again = send(&app, Method::DELETE, &manager, &delete_path, None).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.content_type, "application/problem+json");
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "time_off"), 1);
}
