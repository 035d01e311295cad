//! Attachments (docs/TICKETS.md): files on comments sent as multipart/form-data, refused over
//! the size limit, of a refused type or by the virus-scan hook (nothing written); stored and
//! served back byte for byte as a download; readable by a technician only with a work order on
//! the ticket; redacted by an admin. The S3 backend: attachments_s3.rs.

use crate::helpers::{TestApp, TestDb, count, jwt_keys, spawn_app_on};
use frontline::models::enums::UserRole;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// A PNG's signature and header chunk, then filler: sniffed as image/png whatever it is called.
pub(crate) fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00".to_vec();
    bytes.extend((0..200u8).map(|i| i.wrapping_mul(7)));
    bytes
}

/// An ELF executable's first bytes.
fn elf() -> Vec<u8> {
    let mut bytes =
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00".to_vec();
    bytes.extend([0u8; 40]);
    bytes
}

const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A multipart/form-data body: its Content-Type and bytes.
pub(crate) fn form(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "frontline-test-7d1f0c";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) struct Staff {
    pub(crate) id: i64,
    pub(crate) token: String,
}

pub(crate) fn staff(app: &TestApp, role: UserRole) -> Staff {
    let (id, _) = app.create_staff(role);
    let token = jwt_keys(&app.db.settings)
        .issue(id, role, chrono::Utc::now())
        .unwrap();
    Staff { id, token }
}

pub(crate) async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// POSTs a multipart comment on `ticket` as `token`.
pub(crate) async fn comment_with_files(
    app: &TestApp,
    token: &str,
    ticket: i64,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (u16, Value, Option<String>) {
    let (content_type, body) = form(fields, files);
    let response = app
        .client
        .post(format!("{}/api/v1/tickets/{ticket}/comments", app.address))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let problem_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        problem_type,
    )
}

pub(crate) struct Download {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) async fn download(app: &TestApp, token: &str, path: &str) -> Download {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    Download {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

/// A test database whose attachment store is a fresh folder of its own.
fn db_with_folder() -> (TestDb, PathBuf) {
    let mut db = TestDb::new();
    let dir = std::env::current_dir()
        .unwrap()
        .join("target/test-attachments")
        .join(uuid::Uuid::new_v4().simple().to_string());
    db.settings.attachments.local_dir = dir.clone();
    (db, dir)
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("attachments")).map_or(0, |d| d.count())
}

pub(crate) async fn new_ticket(app: &TestApp, agent: &Staff) -> i64 {
    let (status, ticket) = send(
        app,
        &agent.token,
        reqwest::Method::POST,
        "/api/v1/tickets",
        Some(json!({"subject": "Payment kiosk screen cracked", "channel": "phone",
                    "requester": {"name": "Sgt. Rosa Diaz",
                                  "email": format!("{}@county.test", uuid::Uuid::new_v4().simple())},
                    "assignee_id": agent.id})),
    )
    .await;
    assert_eq!(status, 201, "{ticket}");
    ticket["id"].as_i64().unwrap()
}

#[tokio::test]
async fn files_on_a_comment_are_stored_and_served_back_byte_for_byte_as_downloads() {
    let (db, dir) = db_with_folder();
    let app = spawn_app_on(db).await;
    let agent = staff(&app, UserRole::Agent);
    let ticket = new_ticket(&app, &agent).await;
    let photo = png();
    let receipt = "Receipt 0042: 12,50 € — kiosk 7\r\n".as_bytes().to_vec();
    let (status, created, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[
            ("body", "Photo of the cracked screen and the receipt"),
            ("public", "false"),
        ],
        // The client's names and types are not trusted: the photo's path goes, its type is sniffed.
        &[
            ("attachments", "../../kiosk 7.png", &photo),
            ("attachments[]", "reçu.txt", &receipt),
        ],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let comment = &created["comment"];
    assert_eq!(comment["public"], false);
    let files = comment["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let first = files[0]["id"].as_i64().unwrap();
    let second = files[1]["id"].as_i64().unwrap();
    assert_eq!(
        files[0],
        json!({"id": first, "comment_id": comment["id"], "filename": "kiosk 7.png",
               "content_type": "image/png", "size_bytes": 229, "sha256": hex_sha256(&photo),
               "uploaded_by_id": agent.id, "created_at": comment["created_at"],
               "redacted_at": null,
               "content_url": format!("/api/v1/tickets/{ticket}/attachments/{first}")})
    );
    assert_eq!(files[1]["filename"], "reçu.txt");
    assert_eq!(files[1]["content_type"], "text/plain");
    assert_eq!(files[1]["size_bytes"], 37);
    assert_eq!(files_in(&dir), 2);

    let got = download(
        &app,
        &agent.token,
        &format!("/api/v1/tickets/{ticket}/attachments/{first}"),
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, photo);
    assert_eq!(got.headers["content-type"], "image/png");
    assert_eq!(
        got.headers["content-disposition"],
        "attachment; filename=\"kiosk 7.png\""
    );
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    assert_eq!(
        got.headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    let got = download(
        &app,
        &agent.token,
        &format!("/api/v1/tickets/{ticket}/attachments/{second}"),
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, receipt);
    assert_eq!(got.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        got.headers["content-disposition"],
        "attachment; filename=\"re_u.txt\"; filename*=UTF-8''re%C3%A7u.txt"
    );
    // Not an attachment of this ticket: 404.
    let other = new_ticket(&app, &agent).await;
    let got = download(
        &app,
        &agent.token,
        &format!("/api/v1/tickets/{other}/attachments/{first}"),
    )
    .await;
    assert_eq!(got.status, 404);

    // The comment list carries them; the log has one event per file after the comment's.
    let (_, list) = send(
        &app,
        &agent.token,
        reqwest::Method::GET,
        &format!("/api/v1/tickets/{ticket}/comments"),
        None,
    )
    .await;
    let last = list["comments"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["attachments"], comment["attachments"]);
    let (_, events) = send(
        &app,
        &agent.token,
        reqwest::Method::GET,
        &format!("/api/v1/tickets/{ticket}/events"),
        None,
    )
    .await;
    let events = events["events"].as_array().unwrap();
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "attachment_added")
        .collect();
    assert_eq!(added.len(), 2);
    assert_eq!(
        added[0]["data"],
        json!({"kind": "attachment_added", "attachment_id": first, "comment_id": comment["id"],
               "content_type": "image/png", "size_bytes": 229, "sha256": hex_sha256(&photo)})
    );
    assert_eq!(added[0]["actor_user_id"], agent.id);
    let comment_seq = events
        .iter()
        .find(|e| e["kind"] == "comment_added" && e["data"]["public"] == false)
        .unwrap()["seq"]
        .as_i64()
        .unwrap();
    assert_eq!(added[0]["seq"].as_i64().unwrap(), comment_seq + 1);
}

#[tokio::test]
async fn refused_files_write_nothing_and_name_the_field() {
    let (mut db, dir) = db_with_folder();
    db.settings.attachments.max_bytes = 229;
    db.settings.attachments.max_files = 2;
    let app = spawn_app_on(db).await;
    let agent = staff(&app, UserRole::Agent);
    let ticket = new_ticket(&app, &agent).await;
    let comments_before = count(&mut app.db.conn(), "comments");
    let events_before = count(&mut app.db.conn(), "ticket_events");
    let fields = [("body", "See attached")];

    // One byte over the limit: 413, problem+json naming `attachments`.
    let mut big = png();
    big.push(0);
    let (status, problem, content_type) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &fields,
        &[("attachments", "big.png", &big)],
    )
    .await;
    assert_eq!(status, 413, "{problem}");
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(
        problem["errors"]["attachments"][0],
        "a file is larger than 229 bytes"
    );
    // An executable named like a photo: its bytes say what it is.
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &fields,
        &[("attachments", "kiosk.png", &elf())],
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["errors"]["attachments"][0],
        "kiosk.png is application/x-executable, which is not accepted; accepted: image/jpeg, \
         image/png, image/gif, image/webp, image/heif, application/pdf, text/plain"
    );
    // An HTML page is not a photo, whatever it is called.
    let page = b"<html><body><script>alert(document.cookie)</script></body></html>";
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &fields,
        &[("attachments", "receipt.jpg", page)],
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["errors"]["attachments"][0]
            .as_str()
            .unwrap()
            .starts_with("receipt.jpg is text/html, which is not accepted"),
        "{problem}"
    );
    // Too many files, an empty file, a file under another field.
    let p = png();
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &fields,
        &[
            ("attachments", "a.png", &p),
            ("attachments", "b.png", &p),
            ("attachments", "c.png", &p),
        ],
    )
    .await;
    assert_eq!(
        (status, problem["errors"]["attachments"][0].as_str()),
        (422, Some("at most 2 files on a comment"))
    );
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &fields,
        &[("attachments", "empty.txt", b"")],
    )
    .await;
    assert_eq!(
        (status, problem["errors"]["attachments"][0].as_str()),
        (422, Some("empty.txt is empty"))
    );
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &fields,
        &[("photo", "a.png", &p)],
    )
    .await;
    assert_eq!(
        (status, problem["errors"]["photo"][0].as_str()),
        (422, Some("files go in the `attachments` field"))
    );
    // The form's fields are the JSON body's, with its validation.
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "x"), ("public", "maybe")],
        &[],
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"]["public"].is_array(), "{problem}");
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "   ")],
        &[("attachments", "a.png", &p)],
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["errors"]["body"].is_array(), "{problem}");

    assert_eq!(count(&mut app.db.conn(), "comments"), comments_before);
    assert_eq!(count(&mut app.db.conn(), "ticket_events"), events_before);
    assert_eq!(count(&mut app.db.conn(), "attachments"), 0);
    assert_eq!(files_in(&dir), 0);

    // A comment the state machine refuses after the files were stored: they are deleted.
    let (status, _, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "x"), ("status", "on_hold")],
        &[("attachments", "a.png", &p)],
    )
    .await;
    assert_eq!(status, 422);
    // A ticket that does not exist: its refusal comes after the files were stored.
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        999_999,
        &fields,
        &[("attachments", "a.png", &p)],
    )
    .await;
    assert_eq!(status, 404, "{problem}");
    assert_eq!(count(&mut app.db.conn(), "attachments"), 0);
    assert_eq!(files_in(&dir), 0);
}

#[tokio::test]
async fn a_technician_reads_attachments_only_of_tickets_with_their_work_order() {
    let (db, _dir) = db_with_folder();
    let app = spawn_app_on(db).await;
    let agent = staff(&app, UserRole::Agent);
    let tech = staff(&app, UserRole::Technician);
    let ticket = new_ticket(&app, &agent).await;
    let photo = png();
    let (status, created, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "Kiosk photo"), ("public", "false")],
        &[("attachments", "kiosk.png", &photo)],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let path = created["comment"]["attachments"][0]["content_url"]
        .as_str()
        .unwrap()
        .to_string();

    // No work order of theirs on the ticket: as if it did not exist.
    let got = download(&app, &tech.token, &path).await;
    assert_eq!(got.status, 404);
    assert!(!String::from_utf8_lossy(&got.bytes).contains("PNG"));
    let (status, _, _) = comment_with_files(
        &app,
        &tech.token,
        ticket,
        &[("body", "Fixed"), ("public", "false")],
        &[("attachments", "after.png", &photo)],
    )
    .await;
    assert_eq!(status, 404);

    let (_, org) = send(
        &app,
        &agent.token,
        reqwest::Method::POST,
        "/api/v1/organizations",
        Some(json!({"name": "Dallas County Jail"})),
    )
    .await;
    let (status, site) = send(
        &app,
        &agent.token,
        reqwest::Method::POST,
        "/api/v1/sites",
        Some(json!({"organization_id": org["id"], "name": "North Tower",
                    "time_zone": "America/Chicago", "address": "111 W Commerce St, Dallas, TX"})),
    )
    .await;
    assert_eq!(status, 201, "{site}");
    let (status, wo) = send(
        &app,
        &agent.token,
        reqwest::Method::POST,
        &format!("/api/v1/tickets/{ticket}/work-orders"),
        Some(json!({"summary": "Replace the kiosk's screen", "site_id": site["id"]})),
    )
    .await;
    assert_eq!(status, 201, "{wo}");
    let (status, wo) = send(&app, &agent.token, reqwest::Method::POST,
        &format!("/api/v1/work-orders/{}/transitions", wo["id"]),
        Some(json!({"to": "dispatched", "technician_id": tech.id,
                    "arrival_window": {"start": "2027-03-02T14:00:00Z", "end": "2027-03-02T16:00:00Z"}}))).await;
    assert_eq!(status, 200, "{wo}");

    let got = download(&app, &tech.token, &path).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, photo);
    // The technician's own photo goes on an internal note.
    let (status, created, _) = comment_with_files(
        &app,
        &tech.token,
        ticket,
        &[("body", "Screen replaced"), ("public", "false")],
        &[("attachments", "after.png", &photo)],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["comment"]["attachments"][0]["uploaded_by_id"],
        tech.id
    );
}

#[tokio::test]
async fn the_virus_scan_hook_refuses_the_eicar_test_file() {
    let (mut db, dir) = db_with_folder();
    db.settings.attachments.scan_command = [
        "sh",
        "-c",
        "if grep -q 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE'; then echo 'stdin: Eicar-Signature FOUND'; exit 1; fi; exit 0",
    ]
    .map(String::from)
    .to_vec();
    let app = spawn_app_on(db).await;
    let agent = staff(&app, UserRole::Agent);
    let ticket = new_ticket(&app, &agent).await;
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "Log from the kiosk")],
        &[("attachments", "kiosk.log", EICAR)],
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["errors"]["attachments"][0],
        "kiosk.log was refused by the virus scanner"
    );
    assert_eq!(files_in(&dir), 0);
    assert_eq!(count(&mut app.db.conn(), "attachments"), 0);
    let (status, created, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "Log from the kiosk")],
        &[("attachments", "kiosk.log", b"boot ok\n")],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(files_in(&dir), 1);
}

#[tokio::test]
async fn a_failing_scanner_stores_nothing() {
    let (mut db, dir) = db_with_folder();
    db.settings.attachments.scan_command = ["sh", "-c", "exit 2"].map(String::from).to_vec();
    let app = spawn_app_on(db).await;
    let agent = staff(&app, UserRole::Agent);
    let ticket = new_ticket(&app, &agent).await;
    let before = count(&mut app.db.conn(), "comments");
    let (status, problem, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "x")],
        &[("attachments", "a.txt", b"hello")],
    )
    .await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(files_in(&dir), 0);
    assert_eq!(count(&mut app.db.conn(), "comments"), before);
}

#[tokio::test]
async fn an_admin_redacts_an_attachment_its_bytes_go_and_the_log_says_so() {
    let (db, dir) = db_with_folder();
    let app = spawn_app_on(db).await;
    let agent = staff(&app, UserRole::Agent);
    let ticket = new_ticket(&app, &agent).await;
    let (status, created, _) = comment_with_files(
        &app,
        &agent.token,
        ticket,
        &[("body", "Card photo")],
        &[("attachments", "card.png", &png())],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["comment"]["attachments"][0]["id"].as_i64().unwrap();
    let version = created["ticket"]["version"].as_i64().unwrap();
    let redact = format!("/api/v1/tickets/{ticket}/attachments/{id}/redaction");
    let (status, _) = send(&app, &agent.token, reqwest::Method::POST, &redact, None).await;
    assert_eq!(status, 403);
    assert_eq!(files_in(&dir), 1);
    let (status, done) = send(&app, &app.admin_token, reqwest::Method::POST, &redact, None).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["ticket_version"], version + 1);
    assert_eq!(done["attachment"]["filename"], "redacted");
    assert_eq!(done["attachment"]["content_url"], Value::Null);
    assert!(done["attachment"]["redacted_at"].is_string());
    assert_eq!(files_in(&dir), 0);
    let got = download(
        &app,
        &app.admin_token,
        &format!("/api/v1/tickets/{ticket}/attachments/{id}"),
    )
    .await;
    assert_eq!(got.status, 404);
    let (status, _) = send(&app, &app.admin_token, reqwest::Method::POST, &redact, None).await;
    assert_eq!(status, 404);
    let (_, events) = send(
        &app,
        &agent.token,
        reqwest::Method::GET,
        &format!("/api/v1/tickets/{ticket}/events"),
        None,
    )
    .await;
    let last = events["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "attachment_redacted");
    assert_eq!(
        last["data"],
        json!({"kind": "attachment_redacted", "attachment_id": id,
                                    "comment_id": created["comment"]["id"]})
    );
}
