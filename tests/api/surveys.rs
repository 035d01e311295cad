//! CSAT/NPS surveys (docs/METRICS.md, Satisfaction): the customer's page `GET/POST
//! /surveys/{token}`, the answer use case and `GET /api/v1/tickets/{id}/surveys`.
//!
//! Tickets are solved through the API. The survey of a solve is the one the solve hook made
//! (`tickets::notify`) when it exists, otherwise the test makes it the way the hook does
//! (`models::survey::insert_tx`, plus a pending `survey_invitation` outbox row), so these tests
//! hold before and after the hook is merged.

use crate::helpers::{TestApp, count, jwt_keys, spawn_app};
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;
use frontline::domain::survey::CsatScore;
use frontline::models::enums::UserRole;
use frontline::models::survey::{self, NewSurvey, Survey};
use frontline::notify::links::{LinkSigner, Purpose};
use frontline::routes::surveys::{get_page_tx, post_page_tx, read_form};
use frontline::schema::{outbox, surveys, tickets};
use frontline::tickets::RulesCache;
use serde_json::{Value, json};

/// An agent working tickets through the API.
struct Desk<'a> {
    app: &'a TestApp,
    token: String,
    id: i64,
}

impl<'a> Desk<'a> {
    fn new(app: &'a TestApp) -> Desk<'a> {
        let (id, _) = app.create_staff(UserRole::Agent);
        let token = jwt_keys(&app.db.settings)
            .issue(id, UserRole::Agent, Utc::now())
            .unwrap();
        Desk { app, token, id }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        version: Option<i64>,
    ) -> Value {
        let mut request = self
            .app
            .client
            .request(method, format!("{}{}", self.app.address, path))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(v) = version {
            request = request.header("if-match", format!("\"{v}\""));
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert!(status == 200 || status == 201, "{path}: {status} {body}");
        body
    }

    /// A new ticket from a new requester with an email; returns its id.
    async fn create(&self, subject: &str) -> i64 {
        self.send(
            reqwest::Method::POST,
            "/api/v1/tickets",
            &json!({
                "requester": {"name": "Rosa Diaz", "email": "rosa@example.com"},
                "subject": subject,
                "channel": "phone",
            }),
            None,
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    fn version(&self, ticket: i64) -> i64 {
        let v: i32 = tickets::table
            .find(ticket)
            .select(tickets::version)
            .first(&mut self.app.db.conn())
            .unwrap();
        i64::from(v)
    }

    /// Assigns (when needed) and solves the ticket through the API.
    async fn solve(&self, ticket: i64) {
        let body = json!({"assignee_id": self.id, "status": "solved"});
        let t = self
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/tickets/{ticket}"),
                &body,
                Some(self.version(ticket)),
            )
            .await;
        assert_eq!(t["status"], "solved");
    }

    /// The requester writes again on the solved ticket: a reopen.
    async fn requester_reopens(&self, ticket: i64) {
        let c = self
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/tickets/{ticket}/comments"),
                &json!({"body": "It broke again.", "author": "requester"}),
                None,
            )
            .await;
        assert_eq!(c["ticket"]["status"], "open");
        // What the reopen hook does (tickets::notify calls it once merged; a second call
        // changes nothing).
        survey::on_reopen_tx(&mut self.app.db.conn(), ticket, Utc::now()).unwrap();
    }
}

/// The survey of the ticket's latest solve, made as the solve hook makes it when the hook did
/// not: `invite_at` = solve + 24 h, `expires_at` = `expires_at` or solve + 28 days, and a pending
/// `survey_invitation` outbox row.
fn survey_of_latest_solve(app: &TestApp, ticket: i64, expires_at: Option<DateTime<Utc>>) -> Survey {
    let mut conn = app.db.conn();
    let (solved_at, requester, number, subject): (Option<DateTime<Utc>>, Option<i64>, i64, String) =
        tickets::table
            .find(ticket)
            .select((
                tickets::solved_at,
                tickets::requester_id,
                tickets::number,
                tickets::subject,
            ))
            .first(&mut conn)
            .unwrap();
    let solved_at = solved_at.expect("solved");
    let existing: Option<i64> = surveys::table
        .filter(surveys::ticket_id.eq(ticket))
        .filter(surveys::solved_at.eq(solved_at))
        .select(surveys::id)
        .first(&mut conn)
        .optional()
        .unwrap();
    let id = match existing {
        Some(id) => {
            if let Some(end) = expires_at {
                diesel::update(surveys::table.find(id))
                    .set(surveys::expires_at.eq(end))
                    .execute(&mut conn)
                    .unwrap();
            }
            id
        }
        None => {
            let id = survey::insert_tx(
                &mut conn,
                &NewSurvey {
                    ticket_id: ticket,
                    customer_id: requester.unwrap(),
                    solved_at,
                    assignee_id: None,
                    team_id: None,
                    created_at: solved_at,
                    invite_at: solved_at + Duration::hours(24),
                    expires_at: expires_at.unwrap_or(solved_at + Duration::days(28)),
                },
            )
            .unwrap();
            diesel::insert_into(outbox::table)
                .values((
                    outbox::kind.eq("survey_invitation"),
                    outbox::dedupe_key.eq(format!("survey_invitation:{id}")),
                    outbox::ticket_id.eq(ticket),
                    outbox::customer_id.eq(requester),
                    outbox::recipient.eq("rosa@example.com"),
                    outbox::data.eq(json!({
                        "kind": "survey_invitation",
                        "ticket": {"number": number, "subject": subject, "requester_name": "Rosa Diaz"},
                        "survey": {"id": id, "expires_at": expires_at.unwrap_or(solved_at + Duration::days(28))},
                    })),
                    outbox::next_attempt_at.eq(solved_at + Duration::hours(24)),
                    outbox::created_at.eq(solved_at),
                ))
                .execute(&mut conn)
                .unwrap();
            id
        }
    };
    survey::get(&mut conn, id).unwrap()
}

/// Form fields as sent.
type Form<'a> = Vec<(&'a str, &'a str)>;

/// POST `body` as an admin, expecting 201.
async fn admin_post(app: &TestApp, path: &str, body: &Value) -> Value {
    let r = app
        .client
        .post(format!("{}{}", app.address, path))
        .bearer_auth(&app.admin_token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{path}");
    r.json().await.unwrap()
}

fn signer(app: &TestApp) -> LinkSigner {
    let s = &app.db.settings;
    LinkSigner::new(&s.auth.jwt_secret, &s.auth.issuer).unwrap()
}

/// The survey link's token (valid until the survey's end, like the email's).
fn token(app: &TestApp, s: &Survey) -> String {
    signer(app)
        .sign(Purpose::Survey, s.id, s.expires_at)
        .unwrap()
}

async fn get_page(app: &TestApp, token: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = app
        .client
        .get(format!("{}/surveys/{token}", app.address))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

async fn post_form(app: &TestApp, token: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = app
        .client
        .post(format!("{}/surveys/{token}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The `survey_answered` events of a ticket, as `data`, oldest first.
fn answer_events(app: &TestApp, ticket: i64) -> Vec<Value> {
    use frontline::schema::ticket_events as e;
    e::table
        .filter(e::ticket_id.eq(ticket))
        .filter(e::kind.eq("survey_answered"))
        .order(e::seq.asc())
        .select(e::data)
        .load(&mut app.db.conn())
        .unwrap()
}

fn invitation_status(app: &TestApp, survey_id: i64) -> Vec<String> {
    outbox::table
        .filter(outbox::kind.eq("survey_invitation"))
        .filter(outbox::data.contains(json!({"survey": {"id": survey_id}})))
        .select(outbox::status)
        .load(&mut app.db.conn())
        .unwrap()
}

fn reload(app: &TestApp, s: &Survey) -> Survey {
    survey::get(&mut app.db.conn(), s.id).unwrap()
}

/// How many radio buttons of `name` are checked, and the value of the last.
fn checked(html: &str, name: &str) -> Vec<String> {
    html.split("<input")
        .skip(1)
        .filter(|i| i.contains(&format!("name=\"{name}\"")))
        .filter(|i| i.split('>').next().unwrap().contains(" checked"))
        .map(|i| {
            let v = i.split("value=\"").nth(1).unwrap();
            v[..v.find('"').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_customer_rates_a_solved_ticket_and_the_answer_is_recorded_with_its_event() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Kiosk in block C rejects cards").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let version_before = desk.version(ticket);
    let number: i64 = tickets::table
        .find(ticket)
        .select(tickets::number)
        .first(&mut app.db.conn())
        .unwrap();
    let token = token(&app, &s);

    let (status, headers, html) = get_page(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-robots-tag"], "noindex");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<title>How did we do? – Frontline Support</title>"));
    assert!(html.contains(&format!(
        "<strong>#{number}</strong>: Kiosk in block C rejects cards"
    )));
    assert!(html.contains("<form method=\"post\""));
    assert!(
        html.contains("<legend>How satisfied are you with how we handled your request?</legend>")
    );
    for (value, words) in (1..=5).zip(CsatScore::LABELS) {
        assert!(
            html.contains(&format!(
                "<input type=\"radio\" id=\"score-{value}\" name=\"score\" value=\"{value}\"> <span class=\"num\">{value}</span> <span>{words}</span>"
            )),
            "rating {value}"
        );
    }
    assert_eq!(
        html.matches("name=\"nps\"").count(),
        12,
        "0–10 and no answer"
    );
    assert!(html.contains("<label class=\"block\" for=\"comment\">"));
    assert!(html.contains("You may quote my comment anonymously"));
    assert!(html.contains("<button type=\"submit\">Send my answer</button>"));
    // Nothing loads from anywhere: no script, image, font, stylesheet link or absolute URL.
    for needle in [
        "<script", "<img", "<link", "src=", "url(", "http://", "https://", "@import",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    assert_eq!(checked(&html, "score"), Vec::<String>::new());
    assert_eq!(checked(&html, "nps"), [""]);

    let (status, html) = post_form(
        &app,
        &token,
        &[
            ("score", "4"),
            ("nps", "9"),
            ("comment", "Fixed within the hour.\r\nThanks!"),
            ("consent", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<h1>Thank you for your answer</h1>"));
    assert!(html.contains("You rated it <strong>4 – Satisfied</strong>."));
    assert!(html.contains("Likelihood to recommend us: <strong>9</strong> out of 10."));
    assert!(html.contains("We may quote your comment anonymously."));
    assert!(html.contains(&format!("<a href=\"{token}\">change your answer</a>")));

    let after = reload(&app, &s);
    assert_eq!(after.score, Some(4));
    assert_eq!(after.nps, Some(9));
    assert_eq!(
        after.comment.as_deref(),
        Some("Fixed within the hour.\nThanks!")
    );
    assert!(after.consent_to_quote);
    assert!(!after.pre_reopen);
    assert!(after.answered_at.is_some());
    assert_eq!(
        answer_events(&app, ticket),
        [
            json!({"kind": "survey_answered", "survey_id": s.id, "score": 4, "nps": 9,
                "consent_to_quote": true, "replaced": false})
        ]
    );
    // The pending invitation will not go out; the ticket's row and ETag did not change.
    assert_eq!(invitation_status(&app, s.id), ["cancelled"]);
    assert_eq!(desk.version(ticket), version_before);
    let t = app.get(&format!("/api/v1/tickets/{ticket}")).await;
    assert_eq!(
        t.headers()["etag"],
        format!("\"{version_before}\"").as_str()
    );
    // The log stays numbered 1, 2, … with the answer last.
    let events = app
        .get_json(&format!("/api/v1/tickets/{ticket}/events"), 200)
        .await;
    let events = events["events"].as_array().unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    assert_eq!(events.last().unwrap()["kind"], "survey_answered");
    assert_eq!(events.last().unwrap()["actor_user_id"], Value::Null);

    // The page now shows the answer, pre-filled.
    let (_, _, html) = get_page(&app, &token).await;
    assert!(html.contains("You answered this survey on "));
    assert_eq!(checked(&html, "score"), ["4"]);
    assert_eq!(checked(&html, "nps"), ["9"]);
    assert!(html.contains(">Fixed within the hour.\nThanks!</textarea>"));
    assert!(html.contains("name=\"consent\" value=\"yes\" checked>"));
}

#[tokio::test]
async fn sending_the_same_answer_twice_records_it_once() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Phone line 4 is dead").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let token = token(&app, &s);
    let form = [
        ("score", "5"),
        ("nps", ""),
        ("comment", "Great"),
        ("consent", "yes"),
    ];
    let (first, _) = post_form(&app, &token, &form).await;
    let answered_at = reload(&app, &s).answered_at;
    let (second, html) = post_form(&app, &token, &form).await;
    assert_eq!((first, second), (200, 200));
    assert!(html.contains("You rated it <strong>5 – Very satisfied</strong>."));
    assert!(!html.contains("Likelihood to recommend"));
    assert_eq!(
        answer_events(&app, ticket).len(),
        1,
        "one answer, one event"
    );
    assert_eq!(
        reload(&app, &s).answered_at,
        answered_at,
        "not answered again"
    );
}

#[tokio::test]
async fn a_changed_rating_replaces_the_first_and_both_are_events() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Video visit froze").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let token = token(&app, &s);
    let (a, _) = post_form(&app, &token, &[("score", "2"), ("comment", "Slow")]).await;
    let first_at = reload(&app, &s).answered_at.unwrap();
    let (b, _) = post_form(&app, &token, &[("score", "5"), ("nps", "10")]).await;
    assert_eq!((a, b), (200, 200));
    let after = reload(&app, &s);
    assert_eq!(
        (after.score, after.nps, after.comment),
        (Some(5), Some(10), None)
    );
    assert!(after.answered_at.unwrap() >= first_at);
    assert_eq!(
        answer_events(&app, ticket),
        [
            json!({"kind": "survey_answered", "survey_id": s.id, "score": 2,
                   "consent_to_quote": false, "replaced": false}),
            json!({"kind": "survey_answered", "survey_id": s.id, "score": 5, "nps": 10,
                   "consent_to_quote": false, "replaced": true}),
        ]
    );
    // Going back to the first answer is a change too: a third event.
    let (c, _) = post_form(&app, &token, &[("score", "2"), ("comment", "Slow")]).await;
    assert_eq!(c, 200);
    assert_eq!(answer_events(&app, ticket).len(), 3);
    assert_eq!(reload(&app, &s).score, Some(2));
}

#[tokio::test]
async fn a_rating_given_before_a_reopen_is_marked_pre_reopen_and_the_new_surveys_answer_is_not() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Tablet will not charge").await;
    desk.solve(ticket).await;
    let first = survey_of_latest_solve(&app, ticket, None);
    let first_token = token(&app, &first);
    assert_eq!(
        post_form(&app, &first_token, &[("score", "4")]).await.0,
        200
    );
    assert!(!reload(&app, &first).pre_reopen);

    desk.requester_reopens(ticket).await;
    assert!(reload(&app, &first).pre_reopen, "marked at the reopen");
    // Changing that answer while the ticket is open again: still about the undone solve.
    assert_eq!(
        post_form(&app, &first_token, &[("score", "1")]).await.0,
        200
    );
    let changed = reload(&app, &first);
    assert_eq!((changed.score, changed.pre_reopen), (Some(1), true));

    desk.solve(ticket).await;
    let second = survey_of_latest_solve(&app, ticket, None);
    assert_ne!(second.id, first.id);
    let (status, _) = post_form(&app, &token(&app, &second), &[("score", "5")]).await;
    assert_eq!(status, 200);
    let (first, second) = (reload(&app, &first), reload(&app, &second));
    assert_eq!((first.score, first.pre_reopen), (Some(1), true));
    assert_eq!((second.score, second.pre_reopen), (Some(5), false));
    // An answer to the earlier survey after the re-solve is about the earlier solve.
    assert_eq!(
        post_form(&app, &first_token, &[("score", "2")]).await.0,
        200
    );
    assert!(reload(&app, &first).pre_reopen);
    let events = answer_events(&app, ticket);
    let replaced: Vec<bool> = events
        .iter()
        .map(|e| e["replaced"].as_bool().unwrap())
        .collect();
    assert_eq!(replaced, [false, true, true, true]);

    // Staff see both; the ticket's rating is the latest answer (the earlier survey's 2 now).
    let list = app
        .get_json(&format!("/api/v1/tickets/{ticket}/surveys"), 200)
        .await;
    let rows: Vec<(i64, i64, bool, bool)> = list["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["score"].as_i64().unwrap(),
                s["pre_reopen"].as_bool().unwrap(),
                s["is_rating"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(first.id, 2, true, true), (second.id, 5, false, false)]
    );
    assert_eq!(
        survey::rating_of_ticket(&mut app.db.conn(), ticket).unwrap(),
        Some(first.id)
    );
}

#[tokio::test]
async fn a_survey_link_works_until_a_second_before_its_end() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Deposit missing").await;
    desk.solve(ticket).await;
    let end = (Utc::now() + Duration::days(28))
        .duration_trunc(Duration::seconds(1))
        .unwrap();
    let s = survey_of_latest_solve(&app, ticket, Some(end));
    let token = token(&app, &s);
    let signer = signer(&app);
    let rules = RulesCache::new();
    let mut conn = app.db.conn();
    let before = end - Duration::seconds(1);

    let page = get_page_tx(
        &mut conn,
        &signer,
        "Frontline Support",
        &token,
        None,
        before,
    );
    assert_eq!(page.status.as_u16(), 200);
    let page = get_page_tx(&mut conn, &signer, "Frontline Support", &token, None, end);
    assert_eq!(page.status.as_u16(), 410);
    assert!(page.body.contains("<h1>This survey link has expired</h1>"));

    let form = read_form(b"score=3");
    let page = post_page_tx(
        &mut conn,
        &rules,
        &signer,
        "Frontline Support",
        &token,
        &form,
        end,
    );
    assert_eq!(page.status.as_u16(), 410);
    assert_eq!(
        reload(&app, &s).answered_at,
        None,
        "nothing written at the end"
    );
    assert!(answer_events(&app, ticket).is_empty());
    let page = post_page_tx(
        &mut conn,
        &rules,
        &signer,
        "Frontline Support",
        &token,
        &form,
        before,
    );
    assert_eq!(page.status.as_u16(), 200);
    assert_eq!(reload(&app, &s).score, Some(3));
    assert_eq!(reload(&app, &s).answered_at, Some(before));

    // The row's end counts even when a token says later (a link signed for longer).
    let long = signer
        .sign(Purpose::Survey, s.id, end + Duration::days(10))
        .unwrap();
    let page = get_page_tx(&mut conn, &signer, "Frontline Support", &long, None, end);
    assert_eq!(page.status.as_u16(), 410);

    // Over HTTP, with the real clock: a link that ended yesterday.
    let past = Utc::now() - Duration::days(1);
    diesel::update(surveys::table.find(s.id))
        .set(surveys::expires_at.eq(past))
        .execute(&mut conn)
        .unwrap();
    let old = signer.sign(Purpose::Survey, s.id, past).unwrap();
    let (status, headers, html) = get_page(&app, &old).await;
    assert_eq!(status, 410);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(html.contains("<h1>This survey link has expired</h1>"));
    let (status, _) = post_form(&app, &old, &[("score", "1")]).await;
    assert_eq!(status, 410);
    assert_eq!(reload(&app, &s).score, Some(3), "unchanged");
}

#[tokio::test]
async fn a_tampered_or_unknown_token_gets_a_friendly_404_and_writes_nothing() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Card reader jammed").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let good = token(&app, &s);
    // Another survey id in the payload, the signature kept.
    let parts: Vec<&str> = good.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = String::from_utf8(b64.decode(parts[1]).unwrap()).unwrap();
    let forged_claims = claims.replace(
        &format!("\"sub\":\"{}\"", s.id),
        &format!("\"sub\":\"{}\"", s.id + 1),
    );
    assert_ne!(claims, forged_claims);
    let forged = format!("{}.{}.{}", parts[0], b64.encode(forged_claims), parts[2]);
    let mut flipped = good.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    let other_key = LinkSigner::new(&"z".repeat(64).into(), &app.db.settings.auth.issuer)
        .unwrap()
        .sign(Purpose::Survey, s.id, s.expires_at)
        .unwrap();
    let no_such_survey = signer(&app)
        .sign(Purpose::Survey, s.id + 1000, s.expires_at)
        .unwrap();
    for (what, bad) in [
        ("forged payload", forged.as_str()),
        ("changed signature", flipped.as_str()),
        ("other key", other_key.as_str()),
        ("no such survey", no_such_survey.as_str()),
        ("garbage", "not-a-token"),
        ("truncated", &good[..good.len() - 10]),
    ] {
        let (status, headers, html) = get_page(&app, bad).await;
        assert_eq!(status, 404, "{what}");
        assert_eq!(
            headers["content-type"], "text/html; charset=utf-8",
            "{what}"
        );
        assert!(
            html.contains("<h1>We could not find this survey</h1>"),
            "{what}"
        );
        let (status, _) = post_form(&app, bad, &[("score", "1")]).await;
        assert_eq!(status, 404, "{what}");
    }
    assert_eq!(reload(&app, &s).answered_at, None);
    assert_eq!(
        count(
            &mut app.db.conn(),
            "ticket_events WHERE kind = 'survey_answered'"
        ),
        0
    );
}

#[tokio::test]
async fn a_token_made_for_another_purpose_does_not_open_a_survey() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Headset crackles").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let unsubscribe = signer(&app)
        .sign(Purpose::Unsubscribe, s.id, s.expires_at)
        .unwrap();
    let staff = app.admin_token.clone();
    for bad in [unsubscribe, staff] {
        let (status, _, html) = get_page(&app, &bad).await;
        assert_eq!(status, 404);
        assert!(html.contains("We could not find this survey"));
        assert_eq!(post_form(&app, &bad, &[("score", "5")]).await.0, 404);
    }
    assert_eq!(reload(&app, &s).answered_at, None);
}

#[tokio::test]
async fn consent_to_quote_is_recorded_when_ticked_and_withdrawn_when_not() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Login fails").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let token = token(&app, &s);
    let (_, html) = post_form(
        &app,
        &token,
        &[
            ("score", "5"),
            ("comment", "Quick and kind"),
            ("consent", "yes"),
        ],
    )
    .await;
    assert!(html.contains("We may quote your comment anonymously."));
    assert!(reload(&app, &s).consent_to_quote);
    // The same answer without the box: consent withdrawn (a change: a new event).
    let (_, html) = post_form(
        &app,
        &token,
        &[("score", "5"), ("comment", "Quick and kind")],
    )
    .await;
    assert!(html.contains("We will not quote your comment."));
    let after = reload(&app, &s);
    assert!(!after.consent_to_quote);
    assert_eq!(after.comment.as_deref(), Some("Quick and kind"));
    let consent: Vec<bool> = answer_events(&app, ticket)
        .iter()
        .map(|e| e["consent_to_quote"].as_bool().unwrap())
        .collect();
    assert_eq!(consent, [true, false]);
    let (_, _, page) = get_page(&app, &token).await;
    assert!(
        page.contains("name=\"consent\" value=\"yes\">"),
        "not ticked"
    );
}

#[tokio::test]
async fn invalid_answers_get_the_form_back_with_errors_and_write_nothing() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Kiosk screen cracked").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let token = token(&app, &s);
    let long = "x".repeat(5_001);
    // (what, form, failing field, message)
    let cases: Vec<(&str, Form, &str, &str)> = vec![
        (
            "no score",
            vec![("comment", "kept <b>")],
            "score",
            "Please choose a rating from 1 to 5.",
        ),
        (
            "score 0",
            vec![("score", "0")],
            "score",
            "Please choose a rating from 1 to 5.",
        ),
        (
            "score 6",
            vec![("score", "6")],
            "score",
            "Please choose a rating from 1 to 5.",
        ),
        (
            "score text",
            vec![("score", "five")],
            "score",
            "Please choose a rating from 1 to 5.",
        ),
        (
            "nps 11",
            vec![("score", "3"), ("nps", "11")],
            "nps",
            "Please choose a number from 0 to 10, or leave this question blank.",
        ),
        (
            "nps -1",
            vec![("score", "3"), ("nps", "-1")],
            "nps",
            "Please choose a number from 0 to 10, or leave this question blank.",
        ),
        (
            "comment too long",
            vec![("score", "3"), ("comment", &long)],
            "comment",
            "Your comment is 5,001 characters long; please shorten it to at most 5,000.",
        ),
    ];
    for (what, form, field, message) in cases {
        let (status, html) = post_form(&app, &token, &form).await;
        assert_eq!(status, 422, "{what}");
        assert!(html.contains("<title>Error: How did we do?"), "{what}");
        assert!(
            html.contains(&format!(
                "<p class=\"error\" id=\"{field}-error\">{message}</p>"
            )),
            "{what}: {html}"
        );
        assert!(html.contains(&format!("{field}-error\"")), "{what}");
        assert!(html.contains("role=\"alert\""), "{what}");
    }
    // The customer's input is kept (escaped), the valid choices still chosen.
    let (_, html) = post_form(
        &app,
        &token,
        &[
            ("score", "4"),
            ("nps", "12"),
            ("comment", "kept <b>"),
            ("consent", "yes"),
        ],
    )
    .await;
    assert_eq!(checked(&html, "score"), ["4"]);
    assert!(html.contains(">kept &#60;b&#62;</textarea>"), "{html}");
    assert!(html.contains("name=\"consent\" value=\"yes\" checked>"));
    assert!(html.contains("<fieldset aria-describedby=\"nps-hint nps-error\">"));
    let (_, html) = post_form(&app, &token, &[("score", "3"), ("comment", &long)]).await;
    assert!(html.contains("aria-describedby=\"comment-hint comment-error\" aria-invalid=\"true\""));
    assert_eq!(reload(&app, &s).answered_at, None);
    assert!(answer_events(&app, ticket).is_empty());
    assert_eq!(invitation_status(&app, s.id), ["pending"]);
}

#[tokio::test]
async fn markup_in_a_subject_or_comment_is_shown_as_text() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk
        .create("<script>alert('x')</script> & \"quotes\"")
        .await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let token = token(&app, &s);
    let (status, _, html) = get_page(&app, &token).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script"), "{html}");
    let number: i64 = tickets::table
        .find(ticket)
        .select(tickets::number)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(
        html.contains(&format!(
            "<strong>#{number}</strong>: &#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; &#34;quotes&#34;</p>"
        )),
        "{html}"
    );
    assert!(html.contains("<title>How did we do? – Frontline Support</title>"));
    let (_, html) = post_form(
        &app,
        &token,
        &[("score", "3"), ("comment", "</textarea><script>x</script>")],
    )
    .await;
    assert!(!html.contains("<script"));
    let (_, _, html) = get_page(&app, &token).await;
    assert!(!html.contains("<script"));
    assert!(
        html.contains(">&#60;/textarea&#62;&#60;script&#62;x&#60;/script&#62;</textarea>"),
        "the comment cannot close the textarea: {html}"
    );
}

#[tokio::test]
async fn a_score_in_the_link_preselects_a_rating_and_records_nothing() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Wrong balance shown").await;
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let token = token(&app, &s);
    let (status, _, html) = get_page(&app, &format!("{token}?score=5")).await;
    assert_eq!(status, 200);
    assert_eq!(checked(&html, "score"), ["5"]);
    for ignored in ["9", "0", "x", ""] {
        let (status, _, html) = get_page(&app, &format!("{token}?score={ignored}")).await;
        assert_eq!(status, 200, "{ignored}");
        assert_eq!(checked(&html, "score"), Vec::<String>::new(), "{ignored}");
    }
    assert_eq!(reload(&app, &s).answered_at, None);
    assert!(answer_events(&app, ticket).is_empty());
    assert_eq!(invitation_status(&app, s.id), ["pending"]);
}

#[tokio::test]
async fn staff_read_a_tickets_surveys_and_a_technician_only_with_a_work_order_on_it() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Printer offline").await;
    let empty = app
        .get_json(&format!("/api/v1/tickets/{ticket}/surveys"), 200)
        .await;
    assert_eq!(empty, json!({"surveys": []}));
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    post_form(
        &app,
        &token(&app, &s),
        &[("score", "4"), ("nps", "7"), ("comment", "ok")],
    )
    .await;
    let s = reload(&app, &s);
    let list = app
        .get_json(&format!("/api/v1/tickets/{ticket}/surveys"), 200)
        .await;
    let row = &list["surveys"][0];
    assert_eq!(list["surveys"].as_array().unwrap().len(), 1);
    assert_eq!(row["id"], s.id);
    assert_eq!(row["ticket_id"], ticket);
    assert_eq!(row["score"], 4);
    assert_eq!(row["nps"], 7);
    assert_eq!(row["comment"], "ok");
    assert_eq!(row["consent_to_quote"], false);
    assert_eq!(row["pre_reopen"], false);
    assert_eq!(row["is_rating"], true);
    assert!(row.get("token").is_none());
    let technician = app.token_for(UserRole::Technician);
    for (token, status) in [
        (Some(app.token_for(UserRole::Manager)), 200),
        (Some(desk.token.clone()), 200),
        (Some(technician), 404),
        (None, 401),
    ] {
        let r = app
            .get_as(
                token.as_deref(),
                &format!("/api/v1/tickets/{ticket}/surveys"),
            )
            .await;
        assert_eq!(r.status().as_u16(), status);
    }
    // A technician with a work order on the ticket sees them, like the ticket.
    let (tech, _) = app.create_staff(UserRole::Technician);
    let org = admin_post(&app, "/api/v1/organizations", &json!({"name": "County"})).await["id"]
        .as_i64()
        .unwrap();
    let site = admin_post(
        &app,
        "/api/v1/sites",
        &json!({"organization_id": org, "name": "North"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let now = Utc::now();
    let mut conn = app.db.conn();
    let work_order = frontline::models::work_order::insert_tx(
        &mut conn,
        &frontline::models::work_order::NewWorkOrder {
            ticket_id: ticket,
            organization_id: org,
            site_id: site,
            asset_id: None,
            priority: frontline::models::enums::DbTicketPriority::Normal,
            summary: "Replace the printer".into(),
            required_skill: None,
            escort_required: false,
            security_clearance: None,
            access_notes: None,
            follow_up_of: None,
            created_by_id: None,
            created_at: now,
            last_transition_at: now,
            updated_at: now,
        },
    )
    .unwrap();
    diesel::update(frontline::schema::work_orders::table.find(work_order.id))
        .set(frontline::schema::work_orders::technician_id.eq(tech))
        .execute(&mut conn)
        .unwrap();
    let tech_token = jwt_keys(&app.db.settings)
        .issue(tech, UserRole::Technician, Utc::now())
        .unwrap();
    let seen = app
        .get_as(
            Some(&tech_token),
            &format!("/api/v1/tickets/{ticket}/surveys"),
        )
        .await;
    assert_eq!(seen.status().as_u16(), 200);
    let seen: Value = seen.json().await.unwrap();
    assert_eq!(seen["surveys"][0]["id"], s.id);
    let r = app
        .get(&format!("/api/v1/tickets/{}/surveys", ticket + 100))
        .await;
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn a_survey_answer_sends_the_statements_its_work_needs() {
    let app = spawn_app().await;
    let desk = Desk::new(&app);
    let ticket = desk.create("Handset cord frayed").await;
    // The solve warms the server's rules cache, as any earlier write would.
    desk.solve(ticket).await;
    let s = survey_of_latest_solve(&app, ticket, None);
    let token = token(&app, &s);
    let stats = &app.db.stats;
    let before = stats.statement_count();
    assert_eq!(get_page(&app, &token).await.0, 200);
    // The survey with its ticket's number and subject.
    assert_eq!(stats.statement_count() - before, 1, "GET");
    let before = stats.statement_count();
    assert_eq!(post_form(&app, &token, &[("nps", "3")]).await.0, 422);
    assert_eq!(
        stats.statement_count() - before,
        1,
        "invalid: nothing but the read"
    );
    let before = stats.statement_count();
    assert_eq!(post_form(&app, &token, &[("score", "4")]).await.0, 200);
    // Read; BEGIN; rules lock; the survey's ticket; ticket lock; its surveys locked; answer;
    // invitation cancelled; the log; the event; COMMIT.
    assert_eq!(stats.statement_count() - before, 11, "answer");
    let before = stats.statement_count();
    assert_eq!(post_form(&app, &token, &[("score", "4")]).await.0, 200);
    // The same again: read; BEGIN; rules lock; ticket; ticket lock; surveys; COMMIT.
    assert_eq!(stats.statement_count() - before, 7, "same answer again");
}
