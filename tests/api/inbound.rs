//! `POST /api/v1/inbound/email`: raw messages, written here as an inbound-mail service would
//! post them, thread onto their ticket, start tickets, are processed once, and bad ones are
//! refused with nothing written.

use crate::helpers::{TestApp, TestDb, count, spawn_app, spawn_app_on};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use frontline::schema::inbound_messages;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// Rows of every table an inbound message may write.
fn counts(app: &TestApp) -> [i64; 6] {
    let mut conn = app.db.conn();
    [
        count(&mut conn, "tickets"),
        count(&mut conn, "comments"),
        count(&mut conn, "ticket_events"),
        count(&mut conn, "inbound_messages"),
        count(&mut conn, "customers"),
        count(&mut conn, "ticket_links"),
    ]
}

fn secret(app: &TestApp) -> String {
    app.db
        .settings
        .email
        .inbound_secret
        .expose_secret()
        .to_string()
}

/// Posts `raw` as the inbound-mail service does.
async fn post_mail(app: &TestApp, raw: &str) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/inbound/email", app.address))
        .header("x-inbound-secret", secret(app))
        .header("content-type", "message/rfc822")
        .body(raw.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post_admin(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app
        .client
        .post(format!("{}{}", app.address, path))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{path}");
    r.json().await.unwrap()
}

async fn customer(app: &TestApp, name: &str, email: &str) -> i64 {
    post_admin(
        app,
        "/api/v1/customers",
        json!({"name": name, "email": email}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

/// A phone ticket for `requester`, described by the agent: (id, number).
async fn ticket(app: &TestApp, requester: i64, subject: &str) -> (i64, i64) {
    let t = post_admin(
        app,
        "/api/v1/tickets",
        json!({"requester_id": requester, "subject": subject, "channel": "phone",
               "description": "Caller says the kiosk rejects every card."}),
    )
    .await;
    (t["id"].as_i64().unwrap(), t["number"].as_i64().unwrap())
}

/// Applies `body` to ticket `id` as an admin (with its current version).
async fn patch(app: &TestApp, id: i64, body: Value) {
    let current = app.get_json(&format!("/api/v1/tickets/{id}"), 200).await;
    let version = current["ticket"]["version"].as_i64().unwrap();
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{id}", app.address))
        .bearer_auth(&app.admin_token)
        .header("if-match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{body}");
}

fn agent_id(app: &TestApp) -> i64 {
    let (id, _) = app.create_staff(UserRole::Agent);
    id
}

async fn comments(app: &TestApp, ticket: i64) -> Vec<Value> {
    app.get_json(&format!("/api/v1/tickets/{ticket}/comments"), 200)
        .await["comments"]
        .as_array()
        .unwrap()
        .clone()
}

async fn events(app: &TestApp, ticket: i64) -> Vec<Value> {
    app.get_json(&format!("/api/v1/tickets/{ticket}/events"), 200)
        .await["events"]
        .as_array()
        .unwrap()
        .clone()
}

async fn get_ticket(app: &TestApp, id: i64) -> Value {
    app.get_json(&format!("/api/v1/tickets/{id}"), 200).await["ticket"].clone()
}

/// The recorded message: (ticket, comment, created_ticket, sender, follow_up_of).
fn recorded(app: &TestApp, message_id: &str) -> (i64, Option<i64>, bool, String, Option<i64>) {
    inbound_messages::table
        .filter(inbound_messages::message_id.eq(message_id))
        .select((
            inbound_messages::ticket_id,
            inbound_messages::comment_id,
            inbound_messages::created_ticket,
            inbound_messages::sender,
            inbound_messages::follow_up_of,
        ))
        .first(&mut app.db.conn())
        .unwrap()
}

#[tokio::test]
async fn a_reply_threads_onto_its_ticket_by_in_reply_to_without_its_quoted_history() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (id, n) = ticket(&app, rosa, "Kiosk down").await;
    let raw = format!(
        "From: Rosa Diaz <ROSA@Example.com>\r\n\
         To: Frontline Support <support@frontline.local>\r\n\
         Subject: Re: Kiosk down\r\n\
         Date: Tue, 01 Dec 2026 10:02:00 +0000\r\n\
         Message-ID: <CAF-reply-1@mail.example.com>\r\n\
         In-Reply-To: <ticket-{n}.41@frontline.local>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         Thanks, it works again since this morning.\r\n\
         \r\n\
         Rosa\r\n\
         \r\n\
         On Tue, Dec 1, 2026 at 9:14 AM Frontline Support <support@frontline.local> wrote:\r\n\
         > Hello Rosa,\r\n\
         >\r\n\
         > We restarted the kiosk. Does it accept deposits now?\r\n\
         >\r\n\
         > -- \r\n\
         > Frontline Support\r\n"
    );
    let (status, body) = post_mail(&app, &raw).await;
    let all = comments(&app, id).await;
    assert_eq!(all.len(), 2, "the description and the reply");
    let reply = &all[1];
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"ticket_id": id, "ticket_number": n, "comment_id": reply["id"],
               "created_ticket": false, "follow_up_of": null, "duplicate": false})
    );
    assert_eq!(
        reply["body"],
        "Thanks, it works again since this morning.\n\nRosa"
    );
    assert_eq!(reply["author_kind"], "customer");
    assert_eq!(reply["public"], true);
    assert_eq!(reply["author_user_id"], Value::Null);
    let log = events(&app, id).await;
    let last = log.last().unwrap();
    assert_eq!(last["kind"], "comment_added");
    assert_eq!(last["actor_user_id"], Value::Null, "no staff actor");
    assert_eq!(get_ticket(&app, id).await["status"], "new");
    assert_eq!(
        recorded(&app, "CAF-reply-1@mail.example.com"),
        (
            id,
            reply["id"].as_i64(),
            false,
            "rosa@example.com".to_string(),
            None
        )
    );
}

#[tokio::test]
async fn a_reply_threads_by_references_alone() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (id, n) = ticket(&app, rosa, "Kiosk down").await;
    let raw = format!(
        "From: rosa@example.com\r\n\
         Subject: Photo\r\n\
         Message-ID: <refs-only@mail.example.com>\r\n\
         References: <ticket-{n}@frontline.local> <CAF-other@mail.example.com>\r\n\
         \r\n\
         Here is the photo you asked for.\r\n\
         -- \r\n\
         Rosa Diaz\r\n\
         County Jail, North\r\n"
    );
    let (status, body) = post_mail(&app, &raw).await;
    assert_eq!((status, &body["ticket_id"]), (200, &json!(id)), "{body}");
    assert_eq!(body["created_ticket"], false);
    let all = comments(&app, id).await;
    assert_eq!(all[1]["body"], "Here is the photo you asked for.");
    assert_eq!(body["comment_id"], all[1]["id"]);
}

#[tokio::test]
async fn a_reply_threads_by_the_number_in_its_encoded_subject() {
    let app = spawn_app().await;
    let renee = customer(&app, "Renée López", "renee@example.com").await;
    let (id, n) = ticket(&app, renee, "Café fermé").await;
    // multipart/alternative, quoted-printable UTF-8, an RFC 2047 subject, no threading headers:
    // only the subject's [#N] names the ticket.
    let raw = format!(
        "From: =?UTF-8?Q?Ren=C3=A9e_L=C3=B3pez?= <renee@example.com>\r\n\
         To: support@frontline.local\r\n\
         Subject: =?UTF-8?Q?RE:_=5B#{n}=5D_Caf=C3=A9_ferm=C3=A9?=\r\n\
         Message-ID: <qp-reply@mail.example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"=_alt_42\"\r\n\
         \r\n\
         --=_alt_42\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Le caf=C3=A9 est encore ferm=C3=A9 =E2=80=94 merci de v=C3=A9rifier.\r\n\
         \r\n\
         -----Original Message-----\r\n\
         From: Frontline Support <support@frontline.local>\r\n\
         Sent: Tuesday, December 1, 2026 9:14 AM\r\n\
         Subject: [#{n}] Caf=C3=A9 ferm=C3=A9\r\n\
         \r\n\
         Bonjour Ren=C3=A9e,\r\n\
         --=_alt_42\r\n\
         Content-Type: text/html; charset=UTF-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         <p>Le caf=C3=A9 est encore ferm=C3=A9 =E2=80=94 merci de v=C3=A9rifier.</p>\r\n\
         --=_alt_42--\r\n"
    );
    let (status, body) = post_mail(&app, &raw).await;
    assert_eq!((status, &body["ticket_id"]), (200, &json!(id)), "{body}");
    assert_eq!(body["ticket_number"], n);
    let all = comments(&app, id).await;
    assert_eq!(
        all[1]["body"],
        "Le café est encore fermé — merci de vérifier."
    );
}

#[tokio::test]
async fn a_stranger_quoting_a_ticket_gets_a_new_ticket_of_their_own() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (id, n) = ticket(&app, rosa, "Kiosk down").await;
    let raw = format!(
        "From: Mallory Quinn <mallory@example.net>\r\n\
         Subject: Re: [#{n}] Kiosk down\r\n\
         Message-ID: <stranger@example.net>\r\n\
         In-Reply-To: <ticket-{n}@frontline.local>\r\n\
         \r\n\
         Please send me the account details.\r\n"
    );
    let (status, body) = post_mail(&app, &raw).await;
    assert_eq!(status, 201, "{body}");
    let new_id = body["ticket_id"].as_i64().unwrap();
    assert_ne!(new_id, id);
    assert_eq!(comments(&app, id).await.len(), 1, "Rosa's ticket untouched");
    let t = get_ticket(&app, new_id).await;
    assert_eq!(body["ticket_number"], t["number"]);
    assert_eq!(body["created_ticket"], true);
    assert_eq!(body["follow_up_of"], Value::Null);
    assert_eq!(t["subject"], format!("Re: [#{n}] Kiosk down"));
    assert_eq!(t["channel"], "email");
    assert_eq!(t["status"], "new");
    assert_eq!(t["description"], "Please send me the account details.");
    assert_eq!(t["created_by_id"], Value::Null);
    assert_eq!(t["assignee_id"], Value::Null);
    assert_eq!(t["team_id"], Value::Null);
    let requester = app
        .get_json(
            &format!("/api/v1/customers/{}", t["requester_id"].as_i64().unwrap()),
            200,
        )
        .await;
    assert_eq!(requester["name"], "Mallory Quinn");
    assert_eq!(requester["email"], "mallory@example.net");
    let first = &comments(&app, new_id).await[0];
    assert_eq!(first["body"], "Please send me the account details.");
    assert_eq!(first["author_kind"], "customer");
    assert_eq!(body["comment_id"], first["id"]);
    let log = events(&app, new_id).await;
    assert_eq!(log[0]["kind"], "created");
    assert_eq!(log[0]["actor_user_id"], Value::Null);
}

#[tokio::test]
async fn unknown_tickets_start_email_tickets_for_known_or_new_customers() {
    let app = spawn_app().await;
    let org = post_admin(&app, "/api/v1/organizations", json!({"name": "County"})).await["id"]
        .as_i64()
        .unwrap();
    let ann = post_admin(
        &app,
        "/api/v1/customers",
        json!({"name": "Ann Lee", "email": "ann@example.com", "organization_id": org}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let before = counts(&app);
    let (status, body) = post_mail(
        &app,
        "From: Ann <ANN@example.com>\r\nSubject: Phone 3 is dead\r\nMessage-ID: <ann-1@example.com>\r\n\r\nThe phone in the north wing has no tone.\r\n",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let t = get_ticket(&app, body["ticket_id"].as_i64().unwrap()).await;
    assert_eq!(t["requester_id"], ann);
    assert_eq!(t["organization_id"], org, "the customer's organization");
    assert_eq!(t["subject"], "Phone 3 is dead");
    assert_eq!(counts(&app)[4], before[4], "no new customer");

    let (status, body) = post_mail(
        &app,
        "From: bob@example.org\r\nMessage-ID: <bob-1@example.org>\r\n\r\nHello?\r\n",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let t = get_ticket(&app, body["ticket_id"].as_i64().unwrap()).await;
    assert_eq!(t["subject"], "(no subject)");
    assert_eq!(t["organization_id"], Value::Null);
    let bob = app
        .get_json(
            &format!("/api/v1/customers/{}", t["requester_id"].as_i64().unwrap()),
            200,
        )
        .await;
    assert_eq!(
        (bob["name"].as_str(), bob["email"].as_str()),
        (Some("bob"), Some("bob@example.org"))
    );
}

#[tokio::test]
async fn a_reply_to_a_pending_ticket_reopens_it() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (id, n) = ticket(&app, rosa, "Kiosk down").await;
    let agent = agent_id(&app);
    patch(&app, id, json!({"assignee_id": agent})).await;
    patch(&app, id, json!({"status": "pending"})).await;
    let raw = format!(
        "From: rosa@example.com\r\nSubject: Re: [#{n}] Kiosk down\r\nMessage-ID: <pending-1@example.com>\r\nIn-Reply-To: <ticket-{n}.3@frontline.local>\r\n\r\nIt still fails.\r\n"
    );
    let (status, body) = post_mail(&app, &raw).await;
    assert_eq!((status, &body["ticket_id"]), (200, &json!(id)), "{body}");
    assert_eq!(get_ticket(&app, id).await["status"], "open");
    let log = events(&app, id).await;
    let tail: Vec<(&str, Option<&str>, Option<&str>, &Value)> = log[log.len() - 2..]
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["from_status"].as_str(),
                e["to_status"].as_str(),
                &e["actor_user_id"],
            )
        })
        .collect();
    assert_eq!(
        tail,
        vec![
            ("comment_added", None, None, &Value::Null),
            (
                "status_changed",
                Some("pending"),
                Some("open"),
                &Value::Null
            )
        ]
    );
}

#[tokio::test]
async fn a_reply_to_a_closed_ticket_opens_a_linked_follow_up_once() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (id, n) = ticket(&app, rosa, "Kiosk down").await;
    let agent = agent_id(&app);
    patch(&app, id, json!({"assignee_id": agent})).await;
    patch(&app, id, json!({"status": "solved"})).await;
    patch(&app, id, json!({"status": "closed"})).await;
    let raw = format!(
        "From: rosa@example.com\r\nSubject: Re: [#{n}] Kiosk down\r\nMessage-ID: <closed-1@example.com>\r\nIn-Reply-To: <ticket-{n}.9@frontline.local>\r\n\r\nThe kiosk failed again today.\r\n"
    );
    let (status, body) = post_mail(&app, &raw).await;
    assert_eq!(status, 201, "{body}");
    let follow_up = body["ticket_id"].as_i64().unwrap();
    assert_ne!(follow_up, id);
    let t = get_ticket(&app, follow_up).await;
    let first = &comments(&app, follow_up).await[0];
    assert_eq!(
        body,
        json!({"ticket_id": follow_up, "ticket_number": t["number"], "comment_id": first["id"],
               "created_ticket": true, "follow_up_of": id, "duplicate": false})
    );
    assert_eq!(t["subject"], "Follow-up: Kiosk down");
    assert_eq!(t["status"], "new");
    assert_eq!(t["requester_id"], rosa);
    assert_eq!(first["body"], "The kiosk failed again today.");
    assert_eq!(get_ticket(&app, id).await["status"], "closed");
    assert_eq!(
        count(
            &mut app.db.conn(),
            &format!(
                "ticket_links WHERE kind = 'follow_up' AND ticket_id = {follow_up} AND linked_ticket_id = {id}"
            )
        ),
        1
    );
    let kept = recorded(&app, "closed-1@example.com");
    assert_eq!(
        (kept.0, kept.2, kept.4),
        (follow_up, true, Some(id)),
        "the outcome is kept"
    );

    // Redelivered: the same outcome, flagged, and no second follow-up.
    let before = counts(&app);
    let (status, again) = post_mail(&app, &raw).await;
    assert_eq!(status, 200);
    let mut expected = body.clone();
    expected["duplicate"] = json!(true);
    assert_eq!(again, expected);
    assert_eq!(counts(&app), before);
}

#[tokio::test]
async fn a_duplicate_delivery_answers_its_first_outcome_and_writes_nothing() {
    let app = spawn_app().await;
    let raw = "From: Bob <bob@example.org>\r\nSubject: Phone 3\r\nMessage-ID: <dup-1@example.org>\r\n\r\nNo tone on phone 3.\r\n";
    let (status, first) = post_mail(&app, raw).await;
    assert_eq!(status, 201, "{first}");
    let before = counts(&app);
    let (status, again) = post_mail(&app, raw).await;
    assert_eq!(status, 200);
    let mut expected = first.clone();
    expected["duplicate"] = json!(true);
    assert_eq!(again, expected);
    assert_eq!(
        counts(&app),
        before,
        "tickets, comments, events, inbound, customers, links"
    );

    // No Message-ID: the SHA-256 of the bytes stands in for it.
    let anonymous =
        "From: bob@example.org\r\nSubject: Phone 4\r\n\r\nNo tone on phone 4 either.\r\n";
    let (status, first) = post_mail(&app, anonymous).await;
    assert_eq!(status, 201, "{first}");
    let before = counts(&app);
    let (status, again) = post_mail(&app, anonymous).await;
    assert_eq!((status, &again["duplicate"]), (200, &json!(true)));
    assert_eq!(again["ticket_id"], first["ticket_id"]);
    assert_eq!(counts(&app), before);
    let ids: Vec<String> = inbound_messages::table
        .select(inbound_messages::message_id)
        .order(inbound_messages::id)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(ids[0], "dup-1@example.org");
    assert!(
        ids[1].starts_with("sha256-") && ids[1].ends_with("@inbound.invalid"),
        "{}",
        ids[1]
    );
}

#[tokio::test]
async fn concurrent_deliveries_of_one_message_write_it_once() {
    let app = spawn_app().await;
    let before = counts(&app);
    let raw = "From: Carla Ortiz <carla@example.com>\r\nSubject: Tablet\r\nMessage-ID: <race-1@example.com>\r\n\r\nThe tablet will not charge.\r\n";
    let results = futures_util::future::join_all((0..6).map(|_| post_mail(&app, raw))).await;
    let mut statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 201], "{results:?}");
    let ticket_ids: std::collections::BTreeSet<i64> = results
        .iter()
        .map(|(_, b)| b["ticket_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ticket_ids.len(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|(_, b)| b["duplicate"] == json!(true))
            .count(),
        5
    );
    let after = counts(&app);
    // One ticket with its description comment, one record, one new customer.
    assert_eq!(after[0] - before[0], 1);
    assert_eq!(after[1] - before[1], 1);
    assert_eq!(after[3] - before[3], 1);
    assert_eq!(after[4] - before[4], 1);
}

#[tokio::test]
async fn malformed_messages_are_422s_naming_the_problem_and_write_nothing() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (_, n) = ticket(&app, rosa, "Kiosk down").await;
    let before = counts(&app);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a multipart body without its boundary",
            format!(
                "From: rosa@example.com\r\nSubject: Re: [#{n}]\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative\r\n\r\nIt still fails.\r\n"
            ),
            "message",
        ),
        (
            "a boundary that never occurs",
            format!(
                "From: rosa@example.com\r\nSubject: Re: [#{n}]\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\nIt still fails.\r\n--b2--\r\n"
            ),
            "message",
        ),
        (
            "not a message at all",
            "It still fails, see attached.".to_string(),
            "message",
        ),
        (
            "no From",
            format!("Subject: Re: [#{n}]\r\n\r\nIt still fails.\r\n"),
            "from",
        ),
        (
            "a From without an address",
            format!("From: Rosa Diaz\r\nSubject: Re: [#{n}]\r\n\r\nIt still fails.\r\n"),
            "from",
        ),
        (
            "no text part",
            "From: rosa@example.com\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n".to_string(),
            "body",
        ),
    ];
    for (what, raw, field) in cases {
        let r = app
            .client
            .post(format!("{}/api/v1/inbound/email", app.address))
            .header("x-inbound-secret", secret(&app))
            .header("content-type", "message/rfc822")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 422, "{what}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "validation_failed", "{what}");
        assert!(problem["errors"][field].is_array(), "{what}: {problem}");
    }
    assert_eq!(counts(&app), before);
}

#[tokio::test]
async fn a_bad_or_missing_secret_is_401_and_another_media_type_415_writing_nothing() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (_, n) = ticket(&app, rosa, "Kiosk down").await;
    let before = counts(&app);
    let raw = format!(
        "From: rosa@example.com\r\nSubject: Re: [#{n}]\r\nMessage-ID: <secret-1@example.com>\r\n\r\nIt still fails.\r\n"
    );
    let url = format!("{}/api/v1/inbound/email", app.address);
    let staff_token = app.token_for(UserRole::Admin);
    let requests = vec![
        ("no secret", app.client.post(&url), 401),
        (
            "a wrong secret",
            app.client
                .post(&url)
                .header("x-inbound-secret", "development-inbound-secret-change-mE"),
            401,
        ),
        (
            "a staff token instead",
            app.client.post(&url).bearer_auth(&staff_token),
            401,
        ),
    ];
    for (what, request, expected) in requests {
        let r = request
            .header("content-type", "message/rfc822")
            .body(raw.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expected, "{what}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
    }
    let r = app
        .client
        .post(&url)
        .header("x-inbound-secret", secret(&app))
        .header("content-type", "application/json")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "unsupported_media_type");
    assert_eq!(
        problem["detail"],
        "the request body must be message/rfc822, text/plain or application/octet-stream"
    );
    assert_eq!(counts(&app), before);
}

#[tokio::test]
async fn an_oversized_message_is_413_whether_declared_or_streamed() {
    let mut db = TestDb::new();
    db.settings.email.inbound_max_bytes = 2048;
    let app = spawn_app_on(db).await;
    let before = counts(&app);
    let big = format!(
        "From: bob@example.org\r\nSubject: Logs\r\nMessage-ID: <big-1@example.org>\r\n\r\n{}\r\n",
        "log line\r\n".repeat(300)
    );
    assert!(big.len() > 2048);
    let (status, problem) = post_mail(&app, &big).await;
    assert_eq!(status, 413);
    assert_eq!(problem["code"], "payload_too_large");

    // Chunked, without Content-Length: refused while reading.
    let address = app.address.trim_start_matches("http://").to_string();
    let secret = secret(&app);
    let body = big.clone();
    let response = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        let mut request = format!(
            "POST /api/v1/inbound/email HTTP/1.1\r\nHost: {address}\r\nX-Inbound-Secret: {secret}\r\nContent-Type: message/rfc822\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        for chunk in body.as_bytes().chunks(500) {
            request.push_str(&format!("{:x}\r\n", chunk.len()));
            request.push_str(std::str::from_utf8(chunk).unwrap());
            request.push_str("\r\n");
        }
        request.push_str("0\r\n\r\n");
        // The server may answer and close before reading everything: a failed write is fine.
        let _ = stream.write_all(request.as_bytes());
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        String::from_utf8_lossy(&response).to_string()
    })
    .await
    .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "{}",
        response.lines().next().unwrap_or_default()
    );
    assert_eq!(counts(&app), before);

    let small = "From: bob@example.org\r\nSubject: Logs\r\nMessage-ID: <small-1@example.org>\r\n\r\nOne line.\r\n";
    assert_eq!(post_mail(&app, small).await.0, 201, "under the limit");
}

#[tokio::test]
async fn auto_replies_and_our_own_messages_are_ignored() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (id, n) = ticket(&app, rosa, "Kiosk down").await;
    let agent = agent_id(&app);
    patch(&app, id, json!({"assignee_id": agent})).await;
    patch(&app, id, json!({"status": "pending"})).await;
    let before = counts(&app);
    for (i, (what, headers, reason)) in [
        (
            "out of office",
            "From: rosa@example.com\r\nAuto-Submitted: auto-replied\r\n",
            "auto_reply",
        ),
        (
            "a list",
            "From: rosa@example.com\r\nPrecedence: bulk\r\n",
            "mailing_list",
        ),
        (
            "our own address",
            "From: Frontline Support <Support@Frontline.local>\r\n",
            "auto_reply",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let raw = format!(
            "{headers}Subject: Re: [#{n}] Kiosk down\r\nMessage-ID: <auto-{i}@example.com>\r\nIn-Reply-To: <ticket-{n}@frontline.local>\r\n\r\nI am out of the office until Monday.\r\n"
        );
        let (status, body) = post_mail(&app, &raw).await;
        assert_eq!(status, 200, "{what}");
        assert_eq!(
            body,
            json!({"ticket_id": null, "ticket_number": null, "comment_id": null,
                   "created_ticket": false, "follow_up_of": null, "duplicate": false,
                   "ignored": reason}),
            "{what}"
        );
    }
    assert_eq!(counts(&app), before);
    assert_eq!(get_ticket(&app, id).await["status"], "pending");
}

#[tokio::test]
async fn bounces_out_of_office_replies_and_list_mail_are_ignored_writing_and_sending_nothing() {
    let app = spawn_app().await;
    let rosa = customer(&app, "Rosa Diaz", "rosa@example.com").await;
    let (id, n) = ticket(&app, rosa, "Kiosk down").await;
    let before = counts(&app);
    let outbox_before = count(&mut app.db.conn(), "outbox");
    let bounce = format!(
        "Return-Path: <>\r\n\
         From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n\
         To: support@frontline.local\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <bounce-1@mx.example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"dsn-1\"\r\n\
         \r\n\
         --dsn-1\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         Your message to rosa@example.com could not be delivered: mailbox full.\r\n\
         --dsn-1\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.example.org\r\n\
         \r\n\
         Final-Recipient: rfc822; rosa@example.com\r\n\
         Action: failed\r\n\
         Status: 5.2.2\r\n\
         --dsn-1\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         Message-ID: <ticket-{n}.1@frontline.local>\r\n\
         Subject: [#{n}] Kiosk down\r\n\
         --dsn-1--\r\n"
    );
    let reply = |headers: &str, i: usize| {
        format!(
            "{headers}Subject: Re: [#{n}] Kiosk down\r\nMessage-ID: <machine-{i}@example.org>\r\n\r\nI am out of the office until Monday.\r\n"
        )
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("a bounce", bounce, "bounce"),
        (
            "a null Return-Path alone",
            reply("Return-Path: <>\r\nFrom: rosa@example.com\r\n", 1),
            "bounce",
        ),
        (
            "postmaster",
            reply("From: Postmaster <postmaster@example.org>\r\n", 2),
            "bounce",
        ),
        (
            "X-Autoreply",
            reply("From: rosa@example.com\r\nX-Autoreply: yes\r\n", 3),
            "auto_reply",
        ),
        (
            "X-Auto-Response-Suppress",
            reply(
                "From: rosa@example.com\r\nX-Auto-Response-Suppress: All\r\n",
                4,
            ),
            "auto_reply",
        ),
        (
            "X-Autorespond",
            reply("From: rosa@example.com\r\nX-Autorespond: 1\r\n", 5),
            "auto_reply",
        ),
        (
            "X-Auto-Reply",
            reply("From: rosa@example.com\r\nX-Auto-Reply: yes\r\n", 6),
            "auto_reply",
        ),
        (
            "a no-reply sender",
            reply("From: Shop <NoReply@shop.example>\r\n", 7),
            "auto_reply",
        ),
        (
            "a no-reply newsletter",
            reply(
                "From: Shop <noreply@shop.example>\r\nList-Id: Shop news <news.shop.example>\r\n",
                8,
            ),
            "auto_reply",
        ),
        (
            "a mailing list",
            reply(
                "From: ann@example.com\r\nList-Id: <kiosk.lists.example.org>\r\n",
                9,
            ),
            "mailing_list",
        ),
        (
            "a newsletter",
            reply(
                "From: news@shop.example\r\nList-Unsubscribe: <mailto:leave@shop.example>\r\n",
                10,
            ),
            "mailing_list",
        ),
    ];
    for (what, raw, reason) in cases {
        let (status, body) = post_mail(&app, &raw).await;
        assert_eq!(status, 200, "{what}: {body}");
        assert_eq!(
            body,
            json!({"ticket_id": null, "ticket_number": null, "comment_id": null,
                   "created_ticket": false, "follow_up_of": null, "duplicate": false,
                   "ignored": reason}),
            "{what}"
        );
    }
    assert_eq!(counts(&app), before, "nothing written");
    assert_eq!(
        count(&mut app.db.conn(), "outbox"),
        outbox_before,
        "no notice sent"
    );
    assert_eq!(comments(&app, id).await.len(), 1);

    // X-Auto-Response-Suppress: None asks for nothing: a person's message.
    let (status, body) = post_mail(
        &app,
        &reply(
            "From: rosa@example.com\r\nX-Auto-Response-Suppress: None\r\n",
            11,
        ),
    )
    .await;
    assert_eq!((status, &body["ticket_id"]), (200, &json!(id)), "{body}");
}

#[tokio::test]
async fn a_reused_message_id_from_another_sender_is_a_message_of_its_own() {
    let app = spawn_app().await;
    let carla_mail = "From: Carla Ortiz <carla@example.org>\r\nSubject: Tablet\r\nMessage-ID: <carla-reply-1@example.org>\r\n\r\nThe tablet in cell block B will not charge.\r\n";
    let (status, carla) = post_mail(&app, carla_mail).await;
    assert_eq!(status, 201, "{carla}");
    let carla_ticket = carla["ticket_id"].as_i64().unwrap();

    // Eve reuses Carla's Message-ID: a new message, a ticket of her own, nothing of Carla's.
    let eve_mail = "From: Eve <eve@evil.example>\r\nSubject: Tablet\r\nMessage-ID: <carla-reply-1@example.org>\r\n\r\nWhat is my ticket number?\r\n";
    let before = counts(&app);
    let (status, eve) = post_mail(&app, eve_mail).await;
    assert_eq!(status, 201, "{eve}");
    assert_eq!(eve["duplicate"], false);
    assert_eq!(eve["created_ticket"], true);
    let eve_ticket = eve["ticket_id"].as_i64().unwrap();
    assert_ne!(eve_ticket, carla_ticket);
    assert_ne!(eve["comment_id"], carla["comment_id"]);
    let t = get_ticket(&app, eve_ticket).await;
    assert_eq!(t["description"], "What is my ticket number?");
    let after = counts(&app);
    assert_eq!(
        (after[0] - before[0], after[3] - before[3]),
        (1, 1),
        "one ticket, one record"
    );

    // Someone forging Carla's From with other words under her Message-ID: processed too (as
    // her comment would be), never answered with her first message's outcome.
    let forged = "From: carla@example.org\r\nSubject: Tablet\r\nMessage-ID: <carla-reply-1@example.org>\r\n\r\nPlease ignore my last message.\r\n";
    let (status, third) = post_mail(&app, forged).await;
    assert_eq!(status, 201, "{third}");
    assert_eq!(third["duplicate"], false);
    assert_ne!(third["ticket_id"], carla["ticket_id"]);

    // Redeliveries of each are duplicates of their own first outcome.
    for (raw, first) in [(carla_mail, &carla), (eve_mail, &eve), (forged, &third)] {
        let before = counts(&app);
        let (status, again) = post_mail(&app, raw).await;
        assert_eq!(status, 200, "{again}");
        let mut expected = first.clone();
        expected["duplicate"] = json!(true);
        assert_eq!(again, expected);
        assert_eq!(counts(&app), before);
    }
    let senders: Vec<(String, String, Option<String>)> = inbound_messages::table
        .filter(inbound_messages::message_id.eq("carla-reply-1@example.org"))
        .select((
            inbound_messages::message_id,
            inbound_messages::sender,
            inbound_messages::raw_sha256,
        ))
        .order(inbound_messages::id)
        .load(&mut app.db.conn())
        .unwrap();
    let digest = |raw: &str| Some(frontline::notify::inbound::sha256_hex(raw.as_bytes()));
    assert_eq!(
        senders,
        vec![
            (
                "carla-reply-1@example.org".to_string(),
                "carla@example.org".to_string(),
                digest(carla_mail)
            ),
            (
                "carla-reply-1@example.org".to_string(),
                "eve@evil.example".to_string(),
                digest(eve_mail)
            ),
            (
                "carla-reply-1@example.org".to_string(),
                "carla@example.org".to_string(),
                digest(forged)
            ),
        ]
    );
}

#[tokio::test]
async fn a_message_recorded_without_a_digest_is_a_duplicate_from_the_same_sender_in_any_case() {
    let app = spawn_app().await;
    let raw = "From: bob@example.org\r\nSubject: Phone 5\r\nMessage-ID: <legacy-1@example.org>\r\n\r\nNo tone on phone 5.\r\n";
    let (status, first) = post_mail(&app, raw).await;
    assert_eq!(status, 201, "{first}");
    // As recorded before digests were kept.
    diesel::update(inbound_messages::table)
        .set(inbound_messages::raw_sha256.eq(None::<String>))
        .execute(&mut app.db.conn())
        .unwrap();
    let before = counts(&app);
    let (status, again) = post_mail(&app, &raw.replace("bob@example.org", "BOB@Example.ORG")).await;
    assert_eq!(status, 200, "{again}");
    let mut expected = first.clone();
    expected["duplicate"] = json!(true);
    assert_eq!(again, expected);
    assert_eq!(counts(&app), before);
    let (status, other) =
        post_mail(&app, &raw.replace("bob@example.org", "eve@evil.example")).await;
    assert_eq!(
        (status, &other["duplicate"]),
        (201, &json!(false)),
        "{other}"
    );
    assert_ne!(other["ticket_id"], first["ticket_id"]);
}

#[tokio::test]
async fn the_openapi_document_describes_the_route_its_secret_and_every_status() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/v1/openapi.json", 200).await;
    let op = &doc["paths"]["/api/v1/inbound/email"]["post"];
    let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
    assert_eq!(
        statuses,
        vec![
            "200", "201", "400", "401", "409", "413", "415", "422", "503"
        ]
    );
    let media: Vec<&String> = op["requestBody"]["content"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        media,
        vec!["application/octet-stream", "message/rfc822", "text/plain"]
    );
    assert_eq!(op["security"], json!([{"inbound_secret": []}]));
    assert_eq!(
        doc["components"]["securitySchemes"]["inbound_secret"],
        json!({"type": "apiKey", "in": "header", "name": "X-Inbound-Secret",
               "description": "The shared secret `email.inbound_secret`"})
    );
}
