//! The `frontline` binary's `user create`, as an operator runs it.

use crate::helpers::{TestDb, frontline_command, spawn_app_on};
use serde_json::{Value, json};
use std::io::Write;
use std::process::Stdio;

fn user_create(db: &TestDb, args: &[&str], password: &str) -> std::process::Output {
    let mut child = frontline_command(db)
        .args(["user", "create"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_command_line_and_can_log_in() {
    let db = TestDb::new();
    let out = user_create(
        &db,
        &[
            "--role",
            "admin",
            "--email",
            " Boss@Example.com",
            "--name",
            "The Boss",
        ],
        "a long enough password",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("created admin boss@example.com (id "),
        "{stdout}"
    );

    // The same email again, a short password, a bad role: refused with a clear message.
    let again = user_create(
        &db,
        &["--role", "admin", "--email", "boss@example.com"],
        "another long password",
    );
    assert!(!again.status.success());
    assert_eq!(
        String::from_utf8_lossy(&again.stderr).trim(),
        "error: a staff account with email boss@example.com already exists"
    );
    let short = user_create(
        &db,
        &["--role", "agent", "--email", "ann@example.com"],
        "short",
    );
    assert_eq!(
        String::from_utf8_lossy(&short.stderr).trim(),
        "error: password must be at least 12 characters"
    );
    let role = user_create(
        &db,
        &["--role", "king", "--email", "k@example.com"],
        "a long enough password",
    );
    assert!(
        String::from_utf8_lossy(&role.stderr)
            .contains("`king` is not one of admin, manager, agent, technician")
    );

    let app = spawn_app_on(db).await;
    let login: Value = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "boss@example.com", "password": "a long enough password"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(login["user"]["role"], "admin");
    assert_eq!(login["user"]["name"], "The Boss");
}

/// The served binary's logs (JSON, as in production) carry no capability token of a survey or
/// unsubscribe link and no search text: the request target is logged redacted.
/// `frontline serve` on `db` as a child process with `format` logs at `info`, and the address it
/// printed it serves on (its port is picked by the system). The caller kills and waits for it.
#[allow(clippy::zombie_processes)]
fn serve_with_logs(db: &TestDb, format: &str) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = frontline_command(db)
        .args(["serve"])
        .env("FRONTLINE__LOG__FORMAT", format)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // "Frontline is serving on http://127.0.0.1:PORT …" names the port picked.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "serve printed no address"
        );
        if let Some(rest) = line.split("serving on ").nth(1) {
            let base = rest.split_whitespace().next().unwrap().to_string();
            // Keep reading what it prints next (closing the pipe would make its println! fail).
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return (child, base);
        }
    }
}

#[tokio::test]
async fn the_logs_of_a_served_instance_carry_no_link_token_or_search_text() {
    let db = TestDb::new();
    let (mut child, base) = serve_with_logs(&db, "json");
    let client = reqwest::Client::new();
    let token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXN1cnZleQ.c2lnbmF0dXJl";
    // Requests that log (an error is logged with the request's span and its target): an
    // oversized survey answer, an unauthenticated search.
    let r = client
        .post(format!("{base}/surveys/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("score=5&comment={}", "x".repeat(300_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let r = client
        .get(format!("{base}/api/v1/tickets?q=Rosa%20Diaz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(logs.contains("/surveys/[redacted]"), "{logs}");
    assert!(logs.contains("q=[redacted]"), "{logs}");
    assert!(
        !logs.contains(token),
        "a link token reached the logs: {logs}"
    );
    assert!(
        !logs.contains("Rosa"),
        "search text reached the logs: {logs}"
    );
}

/// A client cannot forge a log line: a line break in a refused body's field name stays inside
/// its event, escaped, in the pretty format too (JSON escapes on its own).
#[tokio::test]
async fn a_line_break_sent_by_a_client_cannot_start_a_log_line() {
    let db = TestDb::new();
    let (mut child, base) = serve_with_logs(&db, "pretty");
    let forged = "FORGED 2026-12-01T00:00:00Z INFO admin granted";
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "a@b.test", "password": "x", format!("x\n{forged}"): 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(logs.contains(&format!("x\\n{forged}")), "{logs}");
    assert!(
        logs.lines().all(|l| !l.starts_with("FORGED")),
        "a forged line: {logs}"
    );
}

/// `frontline import event-log` fails (exit code ≠ 0) when nothing was imported and nothing was
/// already there: a mapping that matches no activity is an error, not a quiet success.
#[test]
fn an_import_that_imports_nothing_exits_non_zero() {
    let db = TestDb::new();
    let dir = std::env::temp_dir().join(format!("frontline-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("log.csv");
    std::fs::write(
        &csv,
        "case,activity,time,who\r\nA,Dance,2024-01-02T10:00:00Z,ann\r\nA,Sing,2024-01-02T11:00:00Z,ann\r\n",
    )
    .unwrap();
    let mapping = dir.join("mapping.toml");
    std::fs::write(
        &mapping,
        "[columns]\nticket_id = \"case\"\nactivity = \"activity\"\ntimestamp = \"time\"\nstaff = \"who\"\n\n[ticket]\nsubject = \"Case {ticket_id}\"\nteam = \"Help desk\"\n\n[activities]\n\"Insert\" = [\"create\"]\n",
    )
    .unwrap();
    let output = frontline_command(&db)
        .args(["import", "event-log"])
        .arg(&csv)
        .arg("--mapping")
        .arg(&mapping)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("no row was imported"), "{stderr}");
    // The CRLF file's refused rows are named by their real lines, 2 and 3.
    assert!(
        stderr.contains("line 2") && stderr.contains("line 3"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `DATABASE_URL`, as diesel's tools read it: the command works on the database it names; a
/// database it names that does not exist is the error; a URL that is not one is refused naming
/// `DATABASE_URL`.
#[test]
fn database_url_chooses_the_database_as_diesel_tools_do() {
    let db = TestDb::new();
    let settings = crate::helpers::test_settings();
    let d = &settings.database;
    let url = |name: &str| {
        format!(
            "postgres://{}:{}@{}:{}/{name}",
            d.username,
            secrecy::ExposeSecret::expose_secret(&d.password),
            d.host,
            d.port
        )
    };
    let run = |url: &str| {
        frontline_command(&db)
            .env_remove("FRONTLINE__DATABASE__DATABASE_NAME")
            .env("DATABASE_URL", url)
            .arg("migrate")
            .output()
            .unwrap()
    };
    let out = run(&url(&db.name));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("applied 0 migration"),
        "the test database is already migrated: {stdout}{stderr}"
    );

    let out = run(&url("frontline_no_such_database"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("frontline_no_such_database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run("mysql://somewhere/else");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`DATABASE_URL` must start with postgres://"),
        "{stderr}"
    );
}

/// `--strict` is all or nothing: one refused row (here a time the clocks skip, appended to the
/// hand-written CRLF export as line 12) makes the command fail and write nothing; without it
/// the same file imports its good rows and reports the bad one.
#[test]
fn a_strict_import_with_a_refused_row_exits_non_zero_and_writes_nothing() {
    let db = TestDb::new();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let dir = std::env::temp_dir().join(format!("frontline-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("incidents.csv");
    let mut text = std::fs::read_to_string(fixtures.join("incidents.csv")).unwrap();
    text.push_str("INC004,New,Resolver 7,31/03/2024 01:30,?,3 - Moderate,Phone,?,?\r\n");
    std::fs::write(&csv, text).unwrap();
    let run = |strict: bool| {
        let mut command = frontline_command(&db);
        command
            .args(["import", "event-log"])
            .arg(&csv)
            .arg("--mapping")
            .arg(fixtures.join("incidents.toml"));
        if strict {
            command.arg("--strict");
        }
        command.output().unwrap()
    };
    let tickets = || crate::helpers::count(&mut db.conn(), "tickets");

    let strict = run(true);
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(!strict.status.success(), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: strict import aborted, nothing written: line 12: skipped: ticket INC004: \
         timestamp `31/03/2024 01:30` does not exist in Europe/London (the clocks skip it)"
    );
    assert_eq!(tickets(), 0);
    assert_eq!(crate::helpers::count(&mut db.conn(), "users"), 0);

    let lenient = run(false);
    let stderr = String::from_utf8_lossy(&lenient.stderr);
    assert!(lenient.status.success(), "{stderr}");
    assert!(
        stderr.contains("line 12: skipped: ticket INC004"),
        "{stderr}"
    );
    assert!(
        stderr.contains("imported 10 rows into 3 tickets; skipped 1 rows; 0 warnings"),
        "{stderr}"
    );
    assert_eq!(tickets(), 3);
    std::fs::remove_dir_all(dir).unwrap();
}
