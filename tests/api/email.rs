//! Customer email through the outbox, delivered to a real SMTP server running inside the test
//! process (mailcrab): what customers receive, threading, both parts, unsubscribe, opt-out, an
//! SMTP outage, a worker that dies between claim and send, two workers on one outbox, dead
//! letters.

use crate::helpers::{TestApp, TestDb, jwt_keys, spawn_app_on};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use frontline::configuration::{MailTransport, Settings, SmtpTls};
use frontline::models::enums::UserRole;
use frontline::workers::outbox::{OutboxWorker, PassReport};
use mail_parser::MessageParser;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A real SMTP server on a free local port.
struct Smtp {
    port: u16,
    handle: mailcrab::TestMailServerHandle,
}

impl Smtp {
    async fn start() -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Smtp::on(port).await
    }

    async fn on(port: u16) -> Smtp {
        let handle = mailcrab::development_mail_server([127, 0, 0, 1], port).await;
        // Wait until it accepts connections.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Smtp { port, handle }
    }

    /// Stops the server and waits until its port refuses connections.
    async fn stop(self) -> u16 {
        self.handle.token.cancel();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_err()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.port
    }

    /// Every message received so far (without waiting).
    fn received(&mut self) -> Vec<Mail> {
        let mut out = Vec::new();
        while let Ok(m) = self.handle.rx.try_recv() {
            out.push(Mail::parse(&m.raw_bytes().unwrap()));
        }
        out
    }
}

/// A received message, parsed back.
#[derive(Debug, Clone)]
struct Mail {
    to: String,
    subject: String,
    message_id: String,
    in_reply_to: Option<String>,
    references: Option<String>,
    list_unsubscribe: Option<String>,
    text: String,
    html: String,
    raw: String,
}

impl Mail {
    fn parse(raw: &[u8]) -> Mail {
        let m = MessageParser::default().parse(raw).unwrap();
        let header = |name: &str| {
            m.header_raw(name)
                .map(|v| v.trim().replace(['\r', '\n'], ""))
        };
        Mail {
            to: m
                .to()
                .unwrap()
                .first()
                .unwrap()
                .address()
                .unwrap()
                .to_string(),
            subject: m.subject().unwrap().to_string(),
            message_id: header("Message-ID").unwrap(),
            in_reply_to: header("In-Reply-To"),
            references: header("References"),
            list_unsubscribe: header("List-Unsubscribe"),
            text: m.body_text(0).unwrap().replace("\r\n", "\n"),
            html: m.body_html(0).unwrap().replace("\r\n", "\n"),
            raw: String::from_utf8_lossy(raw).to_string(),
        }
    }
}

fn smtp_settings(settings: &Settings, port: u16) -> Settings {
    let mut s = settings.clone();
    s.email.transport = MailTransport::Smtp;
    s.email.smtp_host = "127.0.0.1".into();
    s.email.smtp_port = port;
    s.email.smtp_tls = SmtpTls::None;
    s.email.smtp_timeout_seconds = 2;
    s.email.retry_base_seconds = 10;
    s.email.max_attempts = 3;
    s
}

fn worker(settings: &Settings) -> OutboxWorker {
    frontline::workers::outbox_worker(settings).unwrap()
}

/// One worker pass at `now` on a blocking thread (the SMTP server runs on this runtime).
async fn pass(db: &TestDb, worker: &OutboxWorker, now: DateTime<Utc>) -> PassReport {
    let (worker, pool) = (worker.clone(), db.pool.clone());
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        worker.run_pass(&mut conn, now).unwrap()
    })
    .await
    .unwrap()
}

struct Desk<'a> {
    app: &'a TestApp,
    token: String,
    id: i64,
}

impl<'a> Desk<'a> {
    fn new(app: &'a TestApp, role: UserRole) -> Desk<'a> {
        let (id, _) = app.create_staff(role);
        let token = jwt_keys(&app.db.settings)
            .issue(id, role, Utc::now())
            .unwrap();
        Desk { app, token, id }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .request(method, format!("{}{}", self.app.address, path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            r = r.json(&body);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.send(Method::POST, path, Some(body)).await;
        assert!(status < 300, "{path}: {status} {v}");
        v
    }

    async fn patch(&self, ticket: i64, body: Value) -> Value {
        let (_, t) = self
            .send(Method::GET, &format!("/api/v1/tickets/{ticket}"), None)
            .await;
        let version = t["ticket"]["version"].as_i64().unwrap();
        let r = self
            .app
            .client
            .patch(format!("{}/api/v1/tickets/{ticket}", self.app.address))
            .bearer_auth(&self.token)
            .header("If-Match", format!("\"{version}\""))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{v}");
        v
    }

    async fn customer(&self, name: &str, email: Option<&str>) -> i64 {
        self.post(
            "/api/v1/customers",
            json!({"name": name, "email": email, "phone": "+1 214 555 0100"}),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    async fn ticket(&self, customer: i64, subject: &str) -> (i64, i64) {
        let t = self
            .post(
                "/api/v1/tickets",
                json!({"requester_id": customer, "subject": subject, "channel": "email",
                       "description": "The kiosk in Unit B shows a black screen.",
                       "description_author": "requester", "assignee_id": self.id}),
            )
            .await;
        (t["id"].as_i64().unwrap(), t["number"].as_i64().unwrap())
    }

    async fn comment(&self, ticket: i64, body: &str, public: bool) {
        self.post(
            &format!("/api/v1/tickets/{ticket}/comments"),
            json!({"body": body, "public": public}),
        )
        .await;
    }

    async fn notifications(&self, ticket: i64) -> Vec<Value> {
        let (_, events) = self
            .send(
                Method::GET,
                &format!("/api/v1/tickets/{ticket}/events"),
                None,
            )
            .await;
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "notification")
            .cloned()
            .collect()
    }
}

fn outbox_statuses(db: &TestDb) -> BTreeMap<String, i64> {
    use frontline::schema::outbox;
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(&mut db.conn())
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_emails_its_requester_in_one_thread_and_never_an_internal_note() {
    let mut smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Zoë Müller", Some("zoe.mueller@county.test"))
        .await;
    let (ticket, number) = agent.ticket(customer, "Kiosk écran noir — Unit B").await;
    agent
        .comment(
            ticket,
            "We are resetting the kiosk remotely.\nPlease wait 10 minutes.",
            true,
        )
        .await;
    agent
        .comment(
            ticket,
            "INTERNAL: vendor contract lapsed, do not mention",
            false,
        )
        .await;
    agent.patch(ticket, json!({"status": "solved"})).await;
    // Nothing leaves before the worker runs: the change only queued rows.
    assert!(smtp.received().is_empty());
    let now = Utc::now();
    let report = pass(&app.db, &worker(&settings), now).await;
    // received, reply, solved; the survey invitation is due 24 h after the solve.
    assert_eq!((report.claimed, report.sent), (3, 3));
    let mut mails = smtp.received();
    assert_eq!(mails.len(), 3, "{mails:#?}");
    mails.sort_by_key(|m| m.message_id.clone());
    let root = format!("<ticket-{number}@frontline.local>");
    let received = mails.iter().find(|m| m.message_id == root).unwrap();
    assert_eq!(
        received.subject,
        format!("[#{number}] Kiosk écran noir — Unit B")
    );
    assert!(received.in_reply_to.is_none());
    assert!(received.text.contains(&format!("ticket #{number}")));
    // The UTF-8 subject and name went out as RFC 2047 encoded words: the header is ASCII.
    let header = received.raw.split("\r\n\r\n").next().unwrap();
    assert!(header.is_ascii(), "{header}");
    assert!(header.contains("Subject: [#"), "{header}");
    assert!(header.contains("=?utf-8?b?"), "{header}");
    let reply = mails
        .iter()
        .find(|m| m.subject.starts_with("Re: "))
        .unwrap();
    assert_eq!(
        reply.subject,
        format!("Re: [#{number}] Kiosk écran noir — Unit B")
    );
    assert!(
        reply
            .text
            .contains("We are resetting the kiosk remotely.\nPlease wait 10 minutes.")
    );
    assert!(
        reply
            .html
            .contains("<p style=\"margin:0 0 8px 0\">Please wait 10 minutes.</p>")
    );
    let solved = mails
        .iter()
        .find(|m| m.subject.contains("Solved:"))
        .unwrap();
    assert!(solved.text.contains("/surveys/"), "{}", solved.text);
    assert!(solved.html.contains("?score=5"));
    for m in &mails {
        assert_eq!(m.to, "zoe.mueller@county.test");
        assert!(
            !m.raw.contains("INTERNAL"),
            "internal note leaked: {}",
            m.raw
        );
        assert!(!m.raw.contains("vendor contract"));
        let unsubscribe = m.list_unsubscribe.as_deref().unwrap();
        assert!(unsubscribe.starts_with("<http://127.0.0.1:8080/unsubscribe/"));
        assert!(
            m.raw
                .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        );
        assert!(m.raw.contains("Auto-Submitted: auto-generated"));
        assert!(m.html.contains("Unsubscribe</a>"));
        if m.message_id != root {
            assert_eq!(m.in_reply_to.as_deref(), Some(root.as_str()));
            assert_eq!(m.references.as_deref(), Some(root.as_str()));
            assert!(
                m.message_id.starts_with(&format!("<ticket-{number}.")),
                "{}",
                m.message_id
            );
        }
    }
    // Every notice is in the ticket's log: who was told what.
    let notes = agent.notifications(ticket).await;
    let told: Vec<(&str, &str)> = notes
        .iter()
        .map(|e| {
            (
                e["data"]["notice"].as_str().unwrap(),
                e["data"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        told,
        vec![
            ("ticket_received", "queued"),
            ("agent_reply", "queued"),
            ("ticket_solved", "queued")
        ]
    );
    // A second pass finds nothing: each message went out once.
    assert_eq!(
        pass(&app.db, &worker(&settings), Utc::now()).await.claimed,
        0
    );
    assert!(smtp.received().is_empty());
    // The survey invitation goes 24 hours after the solve, once.
    let later = Utc::now() + Duration::hours(24) + Duration::seconds(5);
    assert_eq!(pass(&app.db, &worker(&settings), later).await.sent, 1);
    let invitation = smtp.received();
    assert_eq!(invitation.len(), 1);
    assert_eq!(invitation[0].subject, format!("[#{number}] How did we do?"));
    assert_eq!(invitation[0].in_reply_to.as_deref(), Some(root.as_str()));
    // The survey counts as sent from the first message carrying its link.
    let sent_at: Option<DateTime<Utc>> = frontline::schema::surveys::table
        .select(frontline::schema::surveys::sent_at)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(sent_at.is_some_and(|s| s >= now && s < later));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opted_out_requester_or_one_without_email_gets_nothing_and_the_log_says_why() {
    let db = TestDb::new();
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let no_email = agent.customer("Inmate family line", None).await;
    let opted = agent
        .customer("Warden's office", Some("warden@county.test"))
        .await;
    let (status, c) = agent
        .send(
            Method::PATCH,
            &format!("/api/v1/customers/{opted}"),
            Some(json!({"email_opt_out": true})),
        )
        .await;
    assert_eq!((status, &c["email_opt_out"]), (200, &json!(true)));
    for (customer, reason) in [(no_email, "no_email"), (opted, "opted_out")] {
        let (ticket, _) = agent.ticket(customer, "Phone line down").await;
        agent.comment(ticket, "Technician booked.", true).await;
        agent.patch(ticket, json!({"status": "solved"})).await;
        let notes = agent.notifications(ticket).await;
        assert_eq!(notes.len(), 3);
        for n in &notes {
            assert_eq!(n["data"]["outcome"], "suppressed");
            assert_eq!(n["data"]["reason"], reason);
            assert_eq!(n["data"]["customer_id"], customer);
        }
    }
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "outbox"), 0);
    // No survey without an email to send it to (METRICS.md, Satisfaction).
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "surveys"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_delays_every_message_and_loses_none_and_sends_none_twice() {
    let smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    let mut tickets = Vec::new();
    for i in 0..5 {
        tickets.push(agent.ticket(customer, &format!("Outage {i}")).await.1);
    }
    let port = smtp.stop().await;
    let w = worker(&settings);
    let t0 = Utc::now();
    let report = pass(&app.db, &w, t0).await;
    assert_eq!((report.claimed, report.sent, report.retried), (5, 0, 5));
    // Retried after 10 s ± 25 %: not before 7.5 s.
    assert_eq!(
        pass(&app.db, &w, t0 + Duration::seconds(7)).await.claimed,
        0
    );
    let mut smtp = Smtp::on(port).await;
    let report = pass(&app.db, &w, t0 + Duration::seconds(13)).await;
    assert_eq!((report.claimed, report.sent), (5, 5));
    let mails = smtp.received();
    let mut subjects: Vec<String> = mails.iter().map(|m| m.subject.clone()).collect();
    subjects.sort();
    let mut expected: Vec<String> = (0..5)
        .map(|i| format!("[#{}] Outage {i}", tickets[i]))
        .collect();
    expected.sort();
    assert_eq!(subjects, expected);
    assert_eq!(pass(&app.db, &w, t0 + Duration::hours(2)).await.claimed, 0);
    assert!(smtp.received().is_empty());
    let attempts: Vec<i32> = frontline::schema::outbox::table
        .select(frontline::schema::outbox::attempts)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(attempts, vec![2; 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_dies_after_claiming_leaves_the_message_to_be_sent_again_after_its_lease() {
    let mut smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    let (_, number) = agent.ticket(customer, "Claimed then crashed").await;
    let w = worker(&settings);
    let t0 = Utc::now();
    // A worker claims the message, sends it, and dies before marking it sent.
    let claimed =
        frontline::models::outbox::claim(&mut app.db.conn(), t0, Duration::seconds(60), 10)
            .unwrap();
    assert_eq!(claimed.len(), 1);
    let renderer = frontline::notify::render::Renderer::new(
        &settings.email,
        frontline::notify::links::LinkSigner::new(&settings.auth.jwt_secret, "frontline").unwrap(),
    )
    .unwrap();
    let message = renderer.render(&claimed[0], t0).unwrap();
    let mailer = frontline::notify::transport::Mailer::from_settings(&settings.email).unwrap();
    tokio::task::spawn_blocking(move || mailer.send(&message).unwrap())
        .await
        .unwrap();
    // Others leave it alone during the lease ...
    assert_eq!(
        pass(&app.db, &w, t0 + Duration::seconds(59)).await.claimed,
        0
    );
    // ... and send it again after: at least once, never lost.
    let report = pass(&app.db, &w, t0 + Duration::seconds(61)).await;
    assert_eq!((report.claimed, report.sent), (1, 1));
    let mails = smtp.received();
    assert_eq!(mails.len(), 2);
    // The same message both times: a client shows it once (one Message-ID).
    assert_eq!(mails[0].message_id, mails[1].message_id);
    assert_eq!(
        mails[0].message_id,
        format!("<ticket-{number}@frontline.local>")
    );
    assert_eq!(
        outbox_statuses(&app.db),
        BTreeMap::from([("sent".into(), 1)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_outbox_send_each_message_once() {
    let mut smtp = Smtp::start().await;
    let db = TestDb::new();
    let mut settings = smtp_settings(&db.settings, smtp.port);
    settings.email.outbox_batch = 7;
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    for i in 0..40 {
        agent.ticket(customer, &format!("Bulk {i}")).await;
    }
    let (a, b) = (worker(&settings), worker(&settings));
    let now = Utc::now();
    let run = |w: OutboxWorker| {
        let pool = app.db.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            let mut sent = 0;
            loop {
                let r = w.run_pass(&mut conn, now).unwrap();
                sent += r.sent;
                if r.claimed == 0 {
                    return sent;
                }
            }
        })
    };
    let (x, y) = tokio::join!(run(a), run(b));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x + y, 40);
    // Wait for the last messages to be read off the channel.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 40);
    let ids: std::collections::BTreeSet<_> = mails.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), 40, "a message was sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_that_keep_failing_become_dead_letters_an_admin_can_requeue() {
    let smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let admin = Desk::new(&app, UserRole::Admin);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    let (ticket, _) = agent.ticket(customer, "Never delivered").await;
    let port = smtp.stop().await;
    let w = worker(&settings);
    let t0 = Utc::now();
    // max_attempts = 3: fails at t0, again 10 s ± 25 % later, again 20 s ± 25 % after that,
    // then it is a dead letter.
    let mut at = t0;
    for delay in [0, 13, 40] {
        at = t0 + Duration::seconds(delay);
        pass(&app.db, &w, at).await;
    }
    assert_eq!(
        outbox_statuses(&app.db),
        BTreeMap::from([("dead".into(), 1)])
    );
    let (status, list) = admin
        .send(Method::GET, "/api/v1/outbox/dead-letters", None)
        .await;
    assert_eq!(status, 200);
    let dead = &list["messages"][0];
    assert_eq!(
        (&dead["kind"], &dead["ticket_id"], &dead["attempts"]),
        (&json!("ticket_received"), &json!(ticket), &json!(3))
    );
    assert!(dead["last_error"].as_str().unwrap().len() > 3, "{dead}");
    // Agents may not see or re-queue dead letters.
    let (status, _) = agent
        .send(Method::GET, "/api/v1/outbox/dead-letters", None)
        .await;
    assert_eq!(status, 403);
    let id = dead["id"].as_i64().unwrap();
    let (status, requeued) = admin
        .send(Method::POST, &format!("/api/v1/outbox/{id}/requeue"), None)
        .await;
    assert_eq!(
        (status, &requeued["status"], &requeued["attempts"]),
        (200, &json!("pending"), &json!(0))
    );
    let (status, again) = admin
        .send(Method::POST, &format!("/api/v1/outbox/{id}/requeue"), None)
        .await;
    assert_eq!((status, &again["code"]), (409, &json!("not_a_dead_letter")));
    let mut smtp = Smtp::on(port).await;
    let report = pass(&app.db, &w, Utc::now().max(at)).await;
    assert_eq!(report.sent, 1);
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopen_before_the_delay_cancels_the_survey_invitation() {
    let db = TestDb::new();
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    let (ticket, _) = agent.ticket(customer, "Reopened").await;
    agent.patch(ticket, json!({"status": "solved"})).await;
    agent.patch(ticket, json!({"status": "open"})).await;
    use frontline::schema::outbox;
    let invitations: Vec<String> = outbox::table
        .filter(outbox::kind.eq("survey_invitation"))
        .select(outbox::status)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(invitations, vec!["cancelled".to_string()]);
    // Solved again: a new survey and a new invitation.
    agent.patch(ticket, json!({"status": "solved"})).await;
    let invitations: Vec<String> = outbox::table
        .filter(outbox::kind.eq("survey_invitation"))
        .order(outbox::id)
        .select(outbox::status)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(invitations, vec!["cancelled".to_string(), "pending".into()]);
    assert_eq!(crate::helpers::count(&mut app.db.conn(), "surveys"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unsubscribe_link_asks_then_stops_every_later_email() {
    let mut smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    let (ticket, _) = agent.ticket(customer, "Unsubscribe me").await;
    pass(&app.db, &worker(&settings), Utc::now()).await;
    let mail = smtp.received().pop().unwrap();
    let link = mail
        .list_unsubscribe
        .unwrap()
        .trim_matches(['<', '>'])
        .replace("http://127.0.0.1:8080", &app.address);
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<form method=\"post\">")
    );
    // A GET changed nothing.
    let (_, c) = agent
        .send(Method::GET, &format!("/api/v1/customers/{customer}"), None)
        .await;
    assert_eq!(c["email_opt_out"], false);
    // One-click (RFC 8058): a POST with List-Unsubscribe=One-Click.
    let done = app
        .client
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("You are unsubscribed"));
    let (_, c) = agent
        .send(Method::GET, &format!("/api/v1/customers/{customer}"), None)
        .await;
    assert_eq!(c["email_opt_out"], true);
    agent
        .comment(ticket, "Any luck with the kiosk?", true)
        .await;
    let notes = agent.notifications(ticket).await;
    assert_eq!(notes.last().unwrap()["data"]["reason"], "opted_out");
    // A tampered link is refused with a page.
    let mut bad = link.clone();
    bad.push('x');
    let refused = app.client.post(&bad).send().await.unwrap();
    assert_eq!(refused.status(), 404);
    assert!(refused.text().await.unwrap().contains("not valid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_and_a_technician_on_the_way_tell_the_customer_the_window_in_the_sites_zone() {
    let mut smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let tech = Desk::new(&app, UserRole::Technician);
    let org = agent
        .post(
            "/api/v1/organizations",
            json!({"name": "Dallas County Jail"}),
        )
        .await;
    let site = agent
        .post(
            "/api/v1/sites",
            json!({"organization_id": org["id"], "name": "North Tower",
                   "time_zone": "America/Chicago"}),
        )
        .await;
    let customer = agent
        .post(
            "/api/v1/customers",
            json!({"name": "Sgt. Rosa Diaz", "email": "rdiaz@county.test",
                   "organization_id": org["id"]}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let t = agent
        .post(
            "/api/v1/tickets",
            json!({"requester_id": customer, "subject": "Handset dead", "channel": "phone",
                   "site_id": site["id"], "assignee_id": agent.id}),
        )
        .await;
    let (ticket, number) = (t["id"].as_i64().unwrap(), t["number"].as_i64().unwrap());
    let wo = agent
        .post(
            &format!("/api/v1/tickets/{ticket}/work-orders"),
            json!({"summary": "Replace handset"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // A window at least two days ahead on a day Chicago keeps standard time: 15:00–18:00 UTC
    // = 09:00–12:00 CST (UTC−6).
    let mut day = (Utc::now() + Duration::days(2)).date_naive();
    while {
        use chrono::Offset;
        let noon = day.and_hms_opt(15, 0, 0).unwrap().and_utc();
        noon.with_timezone(&chrono_tz::America::Chicago)
            .offset()
            .fix()
            .local_minus_utc()
            != -6 * 3600
    } {
        day = day.succ_opt().unwrap();
    }
    let start = format!("{day}T15:00:00Z");
    let end = format!("{day}T18:00:00Z");
    agent
        .post(
            &format!("/api/v1/work-orders/{wo}/transitions"),
            json!({"to": "dispatched", "technician_id": tech.id,
                   "arrival_window": {"start": start, "end": end}}),
        )
        .await;
    tech.post(
        &format!("/api/v1/work-orders/{wo}/transitions"),
        json!({"to": "en_route"}),
    )
    .await;
    pass(&app.db, &worker(&settings), Utc::now()).await;
    let mails = smtp.received();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(mails.len(), 3, "{subjects:?}");
    let booked = mails
        .iter()
        .find(|m| m.subject == format!("[#{number}] Technician visit booked: Handset dead"))
        .unwrap();
    let local_day = day.format("%A %-d %B %Y");
    assert!(
        booked.text.contains(&format!(
            "Arrival window: {local_day}, 09:00–12:00 CST (America/Chicago)"
        )),
        "{}",
        booked.text
    );
    assert!(booked.text.contains("Where: North Tower"));
    let on_way = mails
        .iter()
        .find(|m| m.subject == format!("[#{number}] Your technician is on the way"))
        .unwrap();
    assert!(
        on_way.text.contains("is on the way to North Tower"),
        "{}",
        on_way.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_default_writes_each_message_as_an_eml_file() {
    let db = TestDb::new();
    let mut settings = db.settings.clone();
    let dir = std::env::temp_dir().join(format!("frontline-mail-{}", uuid::Uuid::new_v4()));
    settings.email.transport = MailTransport::File;
    settings.email.file_dir = dir.clone();
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    let (_, number) = agent.ticket(customer, "Written to disk").await;
    let report = pass(&app.db, &worker(&settings), Utc::now()).await;
    assert_eq!(report.sent, 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let mail = Mail::parse(&std::fs::read(&files[0]).unwrap());
    assert_eq!(mail.subject, format!("[#{number}] Written to disk"));
    assert_eq!(mail.to, "desk@county.test");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_waits_in_the_outbox_follows_an_unsubscribe_and_a_corrected_address() {
    let mut smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let w = worker(&settings);
    // Dan unsubscribes between the solve and the survey invitation a day later.
    let dan = agent.customer("Dan", Some("dan@county.test")).await;
    let (dan_ticket, _) = agent.ticket(dan, "Kiosk").await;
    agent.patch(dan_ticket, json!({"status": "solved"})).await;
    pass(&app.db, &w, Utc::now()).await;
    let link = smtp
        .received()
        .iter()
        .find_map(|m| m.list_unsubscribe.clone())
        .unwrap()
        .trim_matches(['<', '>'])
        .replace("http://127.0.0.1:8080", &app.address);
    assert_eq!(app.client.post(&link).send().await.unwrap().status(), 200);
    // An agent marks Erin as opted out while her reply waits; Jo's address is corrected.
    let erin = agent.customer("Erin", Some("erin@county.test")).await;
    let (erin_ticket, _) = agent.ticket(erin, "Phones").await;
    let jo = agent.customer("Jo", Some("jo@county.tset")).await;
    let (jo_ticket, _) = agent.ticket(jo, "Billing").await;
    for (path, body) in [
        (
            format!("/api/v1/customers/{erin}"),
            json!({"email_opt_out": true}),
        ),
        (
            format!("/api/v1/customers/{jo}"),
            json!({"email": "jo@county.test"}),
        ),
    ] {
        assert_eq!(agent.send(Method::PATCH, &path, Some(body)).await.0, 200);
    }
    let report = pass(&app.db, &w, Utc::now() + Duration::hours(25)).await;
    // Dan's invitation was cancelled by the unsubscribe itself; Erin's notice by the worker.
    assert_eq!((report.claimed, report.cancelled, report.sent), (2, 1, 1));
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "jo@county.test");
    use frontline::schema::outbox;
    let rows: Vec<(Option<i64>, String, String, Option<String>)> = outbox::table
        .filter(outbox::ticket_id.eq_any([dan_ticket, erin_ticket, jo_ticket]))
        .filter(outbox::status.ne("sent"))
        .order(outbox::id)
        .select((
            outbox::ticket_id,
            outbox::kind,
            outbox::status,
            outbox::last_error,
        ))
        .load(&mut app.db.conn())
        .unwrap();
    let opted_out = Some("the customer opted out of email".to_string());
    assert_eq!(
        rows,
        vec![
            (
                Some(dan_ticket),
                "survey_invitation".into(),
                "cancelled".into(),
                opted_out.clone()
            ),
            (
                Some(erin_ticket),
                "ticket_received".into(),
                "cancelled".into(),
                opted_out
            ),
        ]
    );
    // The sent row records where it went.
    let to: String = outbox::table
        .filter(outbox::ticket_id.eq(jo_ticket))
        .select(outbox::recipient)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(to, "jo@county.test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_is_signed_with_the_agents_name_never_an_address() {
    let mut smtp = Smtp::start().await;
    let db = TestDb::new();
    let settings = smtp_settings(&db.settings, smtp.port);
    let app = spawn_app_on(db).await;
    let agent = Desk::new(&app, UserRole::Agent);
    let customer = agent
        .customer("Facility desk", Some("desk@county.test"))
        .await;
    let (ticket, _) = agent.ticket(customer, "Named").await;
    // An account made with only an email has the email as its name.
    diesel::update(frontline::schema::users::table.find(agent.id))
        .set(frontline::schema::users::name.eq("ann@frontline.test"))
        .execute(&mut app.db.conn())
        .unwrap();
    agent.comment(ticket, "On it.", true).await;
    pass(&app.db, &worker(&settings), Utc::now()).await;
    let reply = smtp
        .received()
        .into_iter()
        .find(|m| m.subject.starts_with("Re:"))
        .unwrap();
    assert!(
        reply.text.contains("Our support team replied"),
        "{}",
        reply.text
    );
    assert!(!reply.raw.contains("ann@frontline.test"));
}
