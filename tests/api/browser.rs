//! The survey page in a real browser: Debian's Chromium (installed by
//! `scripts/browser-setup.sh`, which `make test` and `.ci/run` call), headless, driven over the
//! Chrome DevTools Protocol with a small client of our own (one WebSocket, flat sessions).
//!
//! Screenshots go to `target/screenshots/*.png` for a person to look at. A missing Chromium
//! fails the test with what to run; it never skips.

use crate::helpers::{TestApp, jwt_keys, spawn_app};
use base64::Engine;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use frontline::models::enums::UserRole;
use frontline::models::survey::{self, NewSurvey};
use frontline::notify::links::{LinkSigner, Purpose};
use frontline::schema::{surveys, tickets};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// The Chromium binary: `FRONTLINE_CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
fn chromium_binary() -> PathBuf {
    if let Ok(path) = std::env::var("FRONTLINE_CHROMIUM") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "Chromium is missing: run `bash scripts/browser-setup.sh` (`make test` does), \
         or set FRONTLINE_CHROMIUM to its path"
    );
}

/// A headless Chromium of our own (killed and its profile removed on drop) and one page.
struct Browser {
    child: Child,
    profile: PathBuf,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    events: VecDeque<Value>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    fn launch() -> Browser {
        let binary = chromium_binary();
        let profile =
            std::env::temp_dir().join(format!("frontline-chromium-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&profile).unwrap();
        let mut child = Command::new(&binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        // Chromium names its DevTools endpoint on stderr; the rest is drained in the background.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let url = loop {
            let mut line = String::new();
            let n = stderr.read_line(&mut line).unwrap();
            assert!(n > 0, "Chromium exited before listening:\n{seen}");
            if let Some(url) = line.trim().strip_prefix("DevTools listening on ") {
                break url.to_string();
            }
            seen.push_str(&line);
        };
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stderr.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        let (ws, _) = tungstenite::connect(url.as_str()).unwrap();
        let mut browser = Browser {
            child,
            profile,
            ws,
            session: String::new(),
            next_id: 0,
            events: VecDeque::new(),
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser.send("Page.enable", json!({}));
        browser
    }

    fn read(&mut self) -> Value {
        loop {
            match self.ws.read().unwrap() {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Message::Close(_) => panic!("Chromium closed the DevTools connection"),
                _ => {}
            }
        }
    }

    /// Sends a command (to the browser when no page session is attached yet) and returns its
    /// result; events read meanwhile are kept for [`Browser::wait_for`].
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::Text(message.to_string().into()))
            .unwrap();
        loop {
            let reply = self.read();
            if reply["id"] == json!(id) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
            if reply.get("method").is_some() {
                self.events.push_back(reply);
            }
        }
    }

    fn send(&mut self, method: &str, params: Value) {
        self.call(method, params);
    }

    /// Waits for the page's next event `method` (e.g. `Page.loadEventFired`).
    fn wait_for(&mut self, method: &str) -> Value {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(i).unwrap();
        }
        loop {
            let event = self.read();
            if event["method"] == method {
                return event;
            }
        }
    }

    fn viewport(&mut self, width: u32, height: u32) {
        self.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
    }

    /// Opens `url` and waits for its load event.
    fn open(&mut self, url: &str) {
        self.events.clear();
        self.send("Page.navigate", json!({"url": url}));
        self.wait_for("Page.loadEventFired");
    }

    /// The value of a JavaScript expression on the page.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Clicks the middle of the element `selector` with the mouse, as a person would.
    fn click(&mut self, selector: &str) {
        let point = self.eval(&format!(
            "(() => {{ const e = document.querySelector({selector:?}); \
               e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); \
               return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.send(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Clicks a submit control and waits for the next page to load.
    fn click_and_wait(&mut self, selector: &str) {
        self.events.clear();
        self.click(selector);
        self.wait_for("Page.loadEventFired");
    }

    /// Types `text` into the focused field.
    fn type_text(&mut self, text: &str) {
        self.send("Input.insertText", json!({"text": text}));
    }

    fn press_tab(&mut self) {
        for kind in ["rawKeyDown", "keyUp"] {
            self.send(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9}),
            );
        }
    }

    /// Saves the whole page, `width` px wide, as `target/screenshots/{name}.png`.
    fn screenshot(&mut self, name: &str, width: u32) -> PathBuf {
        self.viewport(width, 800);
        let height = self
            .eval("Math.ceil(document.documentElement.scrollHeight)")
            .as_u64()
            .unwrap();
        self.viewport(width, u32::try_from(height).unwrap().max(200));
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    fn text(&mut self, selector: &str) -> String {
        self.eval(&format!(
            "document.querySelector({selector:?})?.textContent.trim() ?? null"
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
    }
}

/// A solved ticket and its survey (made as the solve hook makes it, if it did not); returns
/// the survey id and its link's token.
async fn solved_ticket_survey(app: &TestApp, subject: &str) -> (i64, String) {
    let (agent, _) = app.create_staff(UserRole::Agent);
    let token = jwt_keys(&app.db.settings)
        .issue(agent, UserRole::Agent, Utc::now())
        .unwrap();
    let created: Value = app
        .client
        .post(format!("{}/api/v1/tickets", app.address))
        .bearer_auth(&token)
        .json(&json!({
            "requester": {"name": "Rosa Diaz", "email": format!("{}@example.com", uuid::Uuid::new_v4().simple())},
            "subject": subject, "channel": "phone"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = created["id"].as_i64().expect("ticket created");
    let r = app
        .client
        .patch(format!("{}/api/v1/tickets/{ticket}", app.address))
        .bearer_auth(&token)
        .header("if-match", format!("\"{}\"", created["version"]))
        .json(&json!({"assignee_id": agent, "status": "solved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut conn = app.db.conn();
    let (solved_at, requester): (Option<chrono::DateTime<Utc>>, Option<i64>) = tickets::table
        .find(ticket)
        .select((tickets::solved_at, tickets::requester_id))
        .first(&mut conn)
        .unwrap();
    let solved_at = solved_at.unwrap();
    let existing: Option<i64> = surveys::table
        .filter(surveys::ticket_id.eq(ticket))
        .select(surveys::id)
        .first(&mut conn)
        .optional()
        .unwrap();
    let id = existing.unwrap_or_else(|| {
        survey::insert_tx(
            &mut conn,
            &NewSurvey {
                ticket_id: ticket,
                customer_id: requester.unwrap(),
                solved_at,
                assignee_id: Some(agent),
                team_id: None,
                created_at: solved_at,
                invite_at: solved_at + Duration::hours(24),
                expires_at: solved_at + Duration::days(28),
            },
        )
        .unwrap()
    });
    let s = survey::get(&mut conn, id).unwrap();
    let settings = &app.db.settings;
    let signer = LinkSigner::new(&settings.auth.jwt_secret, &settings.auth.issuer).unwrap();
    (id, signer.sign(Purpose::Survey, id, s.expires_at).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_answers_the_survey_in_chromium_and_an_expired_link_says_so() {
    let app = spawn_app().await;
    let (survey_id, token) = solved_ticket_survey(&app, "Kiosk in block C rejects cards").await;
    let (expired_id, _) = solved_ticket_survey(&app, "Phone line 4 is dead").await;
    let past = Utc::now() - Duration::days(1);
    diesel::update(surveys::table.find(expired_id))
        .set(surveys::expires_at.eq(past))
        .execute(&mut app.db.conn())
        .unwrap();
    let settings = &app.db.settings;
    let expired_token = LinkSigner::new(&settings.auth.jwt_secret, &settings.auth.issuer)
        .unwrap()
        .sign(Purpose::Survey, expired_id, past)
        .unwrap();
    let address = app.address.clone();
    let url = format!("{address}/surveys/{token}");
    let expired_url = format!("{address}/surveys/{expired_token}");

    // The browser is synchronous: it runs on a blocking thread while the server serves.
    let shots = tokio::task::spawn_blocking(move || {
        let mut b = Browser::launch();
        b.viewport(1280, 800);
        b.open(&url);
        assert_eq!(
            b.eval("document.title"),
            "How did we do? – Frontline Support"
        );
        assert_eq!(b.eval("document.documentElement.lang"), "en");
        assert_eq!(b.text("h1"), "How did we do?");
        assert!(
            b.text(".ticket")
                .ends_with(": Kiosk in block C rejects cards")
        );
        // Every control has a label; the page fetched nothing else.
        assert_eq!(
            b.eval(
                "[...document.querySelectorAll('input, textarea')].every(i => i.labels.length > 0)"
            ),
            true
        );
        assert_eq!(
            b.eval("document.querySelectorAll('input[name=score]').length"),
            5
        );
        assert_eq!(
            b.eval("performance.getEntriesByType('resource').length"),
            0,
            "no external assets"
        );
        let mut shots = vec![b.screenshot("survey-1280", 1280)];
        // Narrow screens: nothing wider than the screen.
        for width in [320, 360] {
            b.viewport(width, 800);
            assert_eq!(
                b.eval("document.documentElement.scrollWidth <= window.innerWidth"),
                true,
                "{width} px"
            );
        }
        shots.push(b.screenshot("survey-360", 360));

        // Sending without a rating: the form comes back with the message by the rating.
        b.viewport(360, 800);
        b.click_and_wait("button[type=submit]");
        assert_eq!(
            b.text("#score-error"),
            "Please choose a rating from 1 to 5."
        );
        assert_eq!(
            b.eval("document.querySelector('fieldset').getAttribute('aria-describedby')"),
            "score-error"
        );
        shots.push(b.screenshot("survey-error-360", 360));

        // Keyboard focus is visible (an outline on the focused control).
        b.viewport(1280, 800);
        b.click("label[for=score-4]");
        assert_eq!(b.eval("document.querySelector('#score-4').checked"), true);
        b.click("label[for=nps-9]");
        b.click("#comment");
        b.type_text("Fixed within the hour. Thank you, Ann!");
        b.click("label[for=consent]");
        assert_eq!(b.eval("document.querySelector('#consent').checked"), true);
        b.press_tab();
        assert_eq!(b.eval("document.activeElement.tagName"), "BUTTON");
        assert_ne!(
            b.eval("getComputedStyle(document.activeElement).outlineStyle"),
            "none",
            "focus is visible"
        );
        shots.push(b.screenshot("survey-filled-focus-1280", 1280));
        b.click_and_wait("button[type=submit]");
        assert_eq!(b.text("h1"), "Thank you for your answer");
        assert!(b.text("main").contains("You rated it 4 – Satisfied."));
        shots.push(b.screenshot("survey-thanks-1280", 1280));

        b.open(&expired_url);
        assert_eq!(b.text("h1"), "This survey link has expired");
        shots.push(b.screenshot("survey-expired-360", 360));
        shots
    })
    .await
    .unwrap();

    let s = survey::get(&mut app.db.conn(), survey_id).unwrap();
    assert_eq!(s.score, Some(4));
    assert_eq!(s.nps, Some(9));
    assert_eq!(
        s.comment.as_deref(),
        Some("Fixed within the hour. Thank you, Ann!")
    );
    assert!(s.consent_to_quote);
    assert!(!s.pre_reopen);
    assert_eq!(
        survey::get(&mut app.db.conn(), expired_id)
            .unwrap()
            .answered_at,
        None
    );
    for shot in shots {
        assert!(shot.is_file(), "{}", shot.display());
    }
}

/// The evidence report's HTML as a browser gets it (`Accept: text/html…`, no `?format=`): its
/// headline cells say what the JSON says; one h1, headings in order, nothing fetched, a chart
/// per monthly series with an accessible name. Screenshots: the page on screen and as printed
/// (`target/screenshots/evidence-report*.png`), and the PDF Chromium prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evidence_report_in_chromium_shows_the_json_headline_figures() {
    let app = spawn_app().await;
    crate::reports::fixture(&app);
    let manager = app.token_for(UserRole::Manager);
    let stored: Value = app
        .client
        .post(format!("{}/api/v1/reports/evidence", app.address))
        .bearer_auth(&manager)
        .json(&crate::reports::body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = stored["id"].as_i64().expect("report stored");
    let doc = stored["document"].clone();
    let url = format!("{}/api/v1/reports/{id}", app.address);

    let (cells, shots) = tokio::task::spawn_blocking(move || {
        let mut b = Browser::launch();
        b.send("Network.enable", json!({}));
        b.send(
            "Network.setExtraHTTPHeaders",
            json!({"headers": {"Authorization": format!("Bearer {manager}")}}),
        );
        b.viewport(1280, 800);
        b.open(&url);
        assert_eq!(b.eval("document.contentType"), "text/html");
        assert_eq!(b.eval("document.documentElement.lang"), "en");
        assert!(b.text("h1").starts_with("Evidence report: "));
        assert_eq!(b.eval("document.querySelectorAll('h1').length"), 1);
        // Headings never skip a level.
        assert_eq!(
            b.eval(
                "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])\
                 .every((l, i, a) => i === 0 || l <= a[i - 1] + 1)"
            ),
            true
        );
        assert_eq!(
            b.eval("performance.getEntriesByType('resource').length"),
            0,
            "no external assets"
        );
        assert_eq!(b.eval("document.scripts.length"), 0);
        // Every chart is an image with a name from its <title>.
        assert_eq!(
            b.eval(
                "[...document.querySelectorAll('svg')].every(s => s.getAttribute('role') === 'img' \
                 && document.getElementById(s.getAttribute('aria-labelledby').split(' ')[0])\
                 ?.textContent.length > 0)"
            ),
            true
        );
        let charts = b.eval("document.querySelectorAll('figure.chart svg').length");
        // Every table has a caption; every header cell a scope.
        assert_eq!(
            b.eval(
                "[...document.querySelectorAll('table')].every(t => t.caption) && \
                 [...document.querySelectorAll('th')].every(th => th.scope)"
            ),
            true
        );
        let cells = b.eval(
            "[...document.querySelectorAll('[data-figure^=\"headline.\"]')]\
             .map(e => [e.dataset.figure, e.dataset.value, e.textContent.trim()])",
        );
        // Narrow screens: the wide tables scroll inside themselves, the page does not.
        b.viewport(360, 800);
        assert_eq!(
            b.eval("document.documentElement.scrollWidth <= window.innerWidth"),
            true
        );
        let mut shots = vec![b.screenshot("evidence-report", 1280)];
        shots.push(b.screenshot("evidence-report-360", 360));
        // As printed: the print rules applied, and the PDF Chromium makes of it.
        b.send("Emulation.setEmulatedMedia", json!({"media": "print"}));
        assert_eq!(
            b.eval("getComputedStyle(document.querySelector('#monthly')).breakBefore"),
            "page"
        );
        shots.push(b.screenshot("evidence-report-print", 800));
        b.send("Emulation.setEmulatedMedia", json!({"media": ""}));
        let pdf = b.call(
            "Page.printToPDF",
            json!({"printBackground": false, "preferCSSPageSize": true}),
        );
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(pdf["data"].as_str().unwrap())
            .unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/screenshots/evidence-report.pdf");
        std::fs::write(&path, &pdf).unwrap();
        shots.push(path);
        assert_eq!(charts, json!(5), "a chart per monthly series");
        (cells, shots)
    })
    .await
    .unwrap();

    let headline = doc["headline"].as_array().unwrap();
    let cells = cells.as_array().unwrap();
    assert_eq!(cells.len(), headline.len(), "{cells:?}");
    for (cell, figure) in cells.iter().zip(headline) {
        assert_eq!(cell[0], figure["id"]);
        let json_value = match &figure["value"] {
            Value::Null => String::new(),
            v => v.to_string(),
        };
        assert_eq!(cell[1], json!(json_value), "{}", figure["id"]);
        if let (Some(v), true) = (figure["value"].as_f64(), figure["unit"] == "ratio") {
            assert_eq!(cell[2], json!(format!("{:.1} %", v * 100.0)), "{cell:?}");
        }
    }
    // The text people read, for the hand-worked figures of tests/api/reports.rs.
    let text = |id: &str| {
        cells
            .iter()
            .find(|c| c[0] == id)
            .map(|c| c[2].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(text("headline.tickets_created"), "3");
    assert_eq!(text("headline.first_reply_median"), "1 h");
    assert_eq!(text("headline.resolution_median_km"), "2 d");
    assert_eq!(text("headline.resolution_median_naive"), "1 d 12 h");
    assert_eq!(text("headline.sla_attainment"), "no observations");
    assert_eq!(text("headline.csat"), "100.0 %");
    for shot in shots {
        assert!(shot.is_file(), "{}", shot.display());
    }
}

/// A script listing the texts (outside SVG charts) whose colour has a contrast below 4.5:1
/// with the background behind them (WCAG 2 relative luminance), as `tag:text:ratio`.
const CONTRAST_FAILURES: &str = r"(() => {
  const channels = c => c.match(/[\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = channels(c).slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = e => { for (; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor; const m = channels(c);
    if (m.length < 4 || m[3] > 0) return c; } return 'rgb(255, 255, 255)'; };
  const bad = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('svg')) continue;
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(e);
    const a = lum(s.color), b = lum(background(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(e.tagName + ':' + e.textContent.trim().slice(0, 30) + ':' + ratio.toFixed(2));
  }
  return bad;
})()";

/// The managers' dashboard in Chromium: a manager logs in through the form, the dashboard's
/// figures (`data-value` cells) equal the metrics API's JSON for the same periods, the page
/// passes the basic accessibility checks (one h1, headings in order, every control labelled,
/// nothing fetched, no script), stays within a 360 px screen and prints; the evidence form,
/// submitted, opens the stored report with its headline figure. Screenshots:
/// `target/screenshots/dashboard*.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_logs_in_reads_the_dashboard_and_generates_an_evidence_report_in_chromium() {
    let app = spawn_app().await;
    crate::reports::fixture(&app);
    app.import(
        &crate::dashboard::recent_log(),
        &crate::helpers::small_mapping(),
    );
    let (_, email) = app.create_staff(UserRole::Manager);
    let address = app.address.clone();

    let (cells, period, shots) = tokio::task::spawn_blocking(move || {
        let mut b = Browser::launch();
        b.viewport(1280, 800);
        // Without a session the dashboard sends the browser to the log-in page.
        b.open(&format!("{address}/dashboard"));
        assert_eq!(b.eval("location.pathname"), "/login");
        assert_eq!(b.text("h1"), "Log in to the dashboard");
        let mut shots = vec![b.screenshot("dashboard-login", 1280)];
        b.click("#email");
        b.type_text(&email);
        b.click("#password");
        b.type_text(crate::helpers::PASSWORD);
        b.click_and_wait("main button[type=submit]");
        assert_eq!(b.eval("location.pathname"), "/dashboard");
        assert_eq!(b.text("h1"), "Service dashboard");
        // The session cookie is not readable by a page's script.
        assert_eq!(b.eval("document.cookie"), "");
        assert_eq!(b.eval("document.querySelectorAll('h1').length"), 1);
        assert_eq!(
            b.eval(
                "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])\
                 .every((l, i, a) => i === 0 || l <= a[i - 1] + 1)"
            ),
            true,
            "headings in order"
        );
        assert_eq!(
            b.eval(
                "[...document.querySelectorAll('input:not([type=hidden]), select')]\
                 .every(i => i.labels.length > 0)"
            ),
            true,
            "every control has a label"
        );
        assert_eq!(
            b.eval("performance.getEntriesByType('resource').length"),
            0,
            "no external assets"
        );
        assert_eq!(b.eval("document.scripts.length"), 0);
        assert_eq!(
            b.eval("document.querySelector('a.skip').getAttribute('href')"),
            "#main"
        );
        // Every text outside the charts has a contrast of at least 4.5:1 with its background
        // (WCAG AA): none is listed.
        assert_eq!(b.eval(CONTRAST_FAILURES), json!([]), "contrast");
        assert_eq!(
            b.eval(
                "[...document.querySelectorAll('svg')].every(s => s.getAttribute('role') === 'img')"
            ),
            true
        );
        let cells = b.eval(
            "Object.fromEntries([...document.querySelectorAll('[data-figure]')]\
             .map(e => [e.dataset.figure, e.dataset.value]))",
        );
        let period = b.eval(
            "(({from, to, previousFrom}) => [from, to, previousFrom])\
             (document.querySelector('#period').dataset)",
        );
        shots.push(b.screenshot("dashboard", 1280));
        b.viewport(360, 800);
        assert_eq!(
            b.eval("document.documentElement.scrollWidth <= window.innerWidth"),
            true,
            "nothing wider than a 360 px screen"
        );
        shots.push(b.screenshot("dashboard-360", 360));
        b.send("Emulation.setEmulatedMedia", json!({"media": "print"}));
        assert_eq!(
            b.eval("getComputedStyle(document.querySelector('#reports')).display"),
            "none",
            "the forms are not printed"
        );
        shots.push(b.screenshot("dashboard-print", 800));
        b.send("Emulation.setEmulatedMedia", json!({"media": ""}));

        // The evidence form: the fixture's two months, as a person picks them, and a word
        // limit that is not a number: the form comes back (422) naming it, the input kept.
        b.viewport(1280, 800);
        b.eval(
            "document.querySelector('#ev-from').value = '2026-01-01'; \
             document.querySelector('#ev-to').value = '2026-03-01'; \
             document.querySelector('#ev-word_limit').value = 'many'; true",
        );
        b.click_and_wait("#reports button[type=submit]");
        assert_eq!(b.eval("location.pathname"), "/dashboard/reports/evidence");
        assert_eq!(
            b.text(".summary li"),
            "Word limit: must be a whole number from 50 to 5000"
        );
        assert_eq!(
            b.text("#ev-word_limit-error"),
            "Word limit: must be a whole number from 50 to 5000"
        );
        assert_eq!(
            b.eval("document.querySelector('#ev-word_limit').getAttribute('aria-invalid')"),
            "true"
        );
        assert_eq!(
            b.eval("document.querySelector('#ev-from').value"),
            "2026-01-01"
        );
        assert_eq!(
            b.eval(CONTRAST_FAILURES),
            json!([]),
            "contrast of the error page"
        );
        shots.push(b.screenshot("dashboard-form-error", 1280));
        b.click("#ev-word_limit");
        b.eval("document.querySelector('#ev-word_limit').value = ''; true");
        b.type_text("500");
        b.click_and_wait("main button[type=submit]");
        let path = b.eval("location.pathname");
        assert!(
            path.as_str().unwrap().starts_with("/dashboard/reports/"),
            "{path}"
        );
        assert!(b.text("h1").starts_with("Evidence report: "));
        assert_eq!(
            b.eval(
                "document.querySelector('[data-figure=\"headline.tickets_created\"]')\
                 .textContent.trim()"
            ),
            "3"
        );
        assert_eq!(
            b.eval(
                "document.querySelector('[data-figure=\"headline.first_reply_median\"]')\
                 .textContent.trim()"
            ),
            "1 h"
        );
        shots.push(b.screenshot("dashboard-report", 1280));

        // The bake-off form, from the dashboard's link: the fixture's two months, in-house
        // against outsourced; the protocol is registered and the report opens.
        b.open(&format!("{address}/dashboard"));
        b.click_and_wait("a[href=\"/dashboard/reports/bake-off\"]");
        assert_eq!(b.eval("location.pathname"), "/dashboard/reports/bake-off");
        assert_eq!(
            b.eval(CONTRAST_FAILURES),
            json!([]),
            "contrast of the bake-off form"
        );
        b.eval(
            "document.querySelector('#bo-from').value = '2026-01-01'; \
             document.querySelector('#bo-to').value = '2026-03-01'; true",
        );
        shots.push(b.screenshot("dashboard-bake-off-form", 1280));
        b.click_and_wait("main button[type=submit]");
        let path = b.eval("location.pathname");
        assert!(
            path.as_str().unwrap().starts_with("/dashboard/reports/"),
            "{path}"
        );
        assert_eq!(
            b.text("h1"),
            "In-house vs outsourced contact center, 2026-01-01 to 2026-03-01"
        );
        assert!(
            b.eval("document.querySelector('[data-figure=\"first_reply_time\"]').textContent")
                .as_str()
                .unwrap()
                .starts_with("too few to conclude"),
        );
        assert_eq!(
            b.eval("document.querySelectorAll('svg[role=img]').length"),
            7
        );
        assert_eq!(
            b.eval(CONTRAST_FAILURES),
            json!([]),
            "contrast of the bake-off report"
        );
        shots.push(b.screenshot("dashboard-bake-off-report", 1280));
        (cells, period, shots)
    })
    .await
    .unwrap();

    let q = |v: &Value| v.as_str().unwrap().replace('+', "%2B");
    let (from, to, previous) = (q(&period[0]), q(&period[1]), q(&period[2]));
    let current = app
        .get_json(
            &format!("/api/v1/metrics/summary?from={from}&to={to}&include=contact_rates"),
            200,
        )
        .await;
    let before = app
        .get_json(
            &format!("/api/v1/metrics/summary?from={previous}&to={from}&include=contact_rates"),
            200,
        )
        .await;
    let cells = cells.as_object().unwrap();
    let mut compared = 0;
    for (figure, value) in cells {
        let expected = match figure.split_once('.') {
            Some(("current", path)) => crate::dashboard::json_at(&current, path),
            Some(("previous", path)) => crate::dashboard::json_at(&before, path),
            _ => continue,
        };
        assert_eq!(value, &json!(expected), "{figure}");
        compared += 1;
    }
    assert!(compared >= 20, "{compared} figures compared");
    assert_eq!(cells["current.tickets_created"], "3");
    assert_eq!(cells["current.first_reply_time.median"], "2700.0");
    for shot in shots {
        assert!(shot.is_file(), "{}", shot.display());
    }
}
