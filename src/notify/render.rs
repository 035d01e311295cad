//! Renders an outbox row into an RFC 5322 message: text and HTML parts from the compiled
//! templates `templates/email/notice.{txt,html}` (askama; the HTML part auto-escaped), the
//! ticket number in the subject (`[#N]`), threading headers, `List-Unsubscribe`.
//!
//! Headers of every message:
//! - `Message-ID: <ticket-N.M@DOMAIN>` (M the outbox row: the same on every retry); the
//!   "ticket received" notice is the thread's root `<ticket-N@DOMAIN>` itself, every other
//!   message has `In-Reply-To` and `References` naming it ([`super::thread`]).
//! - `Subject`: UTF-8 encoded per RFC 2047 by lettre when not ASCII.
//! - `List-Unsubscribe: <URL>` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
//!   (RFC 8058): the URL carries a signed token naming the customer ([`super::links`]).
//! - `Auto-Submitted: auto-generated` (RFC 3834), so auto-responders do not answer.

use super::links::{LinkSigner, Purpose};
use super::notice::{Notice, Visit};
use super::thread;
use crate::configuration::EmailSettings;
use crate::models::outbox::OutboxRow;
use askama::Template;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

/// How long an unsubscribe link works, days.
pub const UNSUBSCRIBE_LINK_DAYS: i64 = 365;

/// Why a row cannot become a message (never helped by a retry).
#[derive(Debug, thiserror::Error)]
#[error("cannot render outbox message: {0}")]
pub struct RenderError(pub String);

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct TextPart<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct HtmlPart<'a> {
    v: &'a View,
}

/// What both templates show.
#[derive(Debug)]
struct View {
    kind: &'static str,
    subject_line: String,
    greeting: String,
    number: i64,
    subject: String,
    agent_name: String,
    body: String,
    body_lines: Vec<String>,
    survey_url: Option<String>,
    site: String,
    window: String,
    technician: String,
    company: String,
    unsubscribe_url: String,
}

// The templates read the view's fields through `v`; askama resolves `{{ kind }}` against the
// template struct, so the struct derefs to the view.
impl std::ops::Deref for TextPart<'_> {
    type Target = View;
    fn deref(&self) -> &View {
        self.v
    }
}

impl std::ops::Deref for HtmlPart<'_> {
    type Target = View;
    fn deref(&self) -> &View {
        self.v
    }
}

/// Renders outbox rows (shared by the worker's sending threads).
#[derive(Debug, Clone)]
pub struct Renderer {
    from: Mailbox,
    company: String,
    domain: String,
    base_url: String,
    links: LinkSigner,
}

impl Renderer {
    /// A renderer with the sender, domain and link base of `email`, signing links with `links`.
    ///
    /// # Errors
    /// A sender address that does not parse (validated at start-up already).
    pub fn new(email: &EmailSettings, links: LinkSigner) -> Result<Renderer, RenderError> {
        let address = email
            .from_address
            .parse()
            .map_err(|e| RenderError(format!("email.from_address: {e}")))?;
        Ok(Renderer {
            from: Mailbox::new(Some(email.from_name.clone()), address),
            company: email.from_name.clone(),
            domain: email.message_id_domain.clone(),
            base_url: email.public_base_url.clone(),
            links,
        })
    }

    /// The message of `row` as of `now` (link tokens are signed now).
    ///
    /// # Errors
    /// [`RenderError`] for data that does not parse, a bad recipient address, a token that
    /// cannot be signed.
    pub fn render(&self, row: &OutboxRow, now: DateTime<Utc>) -> Result<Message, RenderError> {
        let notice: Notice = serde_json::from_value(row.data.clone())
            .map_err(|e| RenderError(format!("data: {e}")))?;
        let ticket = notice.ticket();
        let to: lettre::Address = row
            .recipient
            .parse()
            .map_err(|e| RenderError(format!("recipient: {e}")))?;
        let survey_url = match notice.survey() {
            Some(s) => Some(format!(
                "{}/surveys/{}",
                self.base_url,
                self.links
                    .sign(Purpose::Survey, s.id, s.expires_at)
                    .map_err(|e| RenderError(format!("survey link: {e}")))?
            )),
            None => None,
        };
        let unsubscribe_url = match row.customer_id {
            Some(c) => format!(
                "{}/unsubscribe/{}",
                self.base_url,
                self.links
                    .sign(
                        Purpose::Unsubscribe,
                        c,
                        now + chrono::Duration::days(UNSUBSCRIBE_LINK_DAYS),
                    )
                    .map_err(|e| RenderError(format!("unsubscribe link: {e}")))?
            ),
            None => format!("{}/unsubscribe", self.base_url),
        };
        let subject_line = subject_line(&notice);
        let (agent_name, body, visit, technician) = match &notice {
            Notice::AgentReply {
                agent_name, body, ..
            } => (agent_name.clone(), body.clone(), None, String::new()),
            Notice::VisitScheduled { visit, .. } => {
                (String::new(), String::new(), Some(visit), String::new())
            }
            Notice::TechnicianEnRoute {
                visit,
                technician_name,
                ..
            } => (
                String::new(),
                String::new(),
                Some(visit),
                technician_name.clone(),
            ),
            _ => (String::new(), String::new(), None, String::new()),
        };
        let view = View {
            kind: notice.kind(),
            subject_line: subject_line.clone(),
            greeting: if ticket.requester_name.trim().is_empty() {
                "there".into()
            } else {
                ticket.requester_name.clone()
            },
            number: ticket.number,
            subject: ticket.subject.clone(),
            agent_name,
            body_lines: body.lines().map(str::to_string).collect(),
            body,
            survey_url,
            site: visit.map(|v| v.site_name.clone()).unwrap_or_default(),
            window: visit.map(arrival_window).unwrap_or_default(),
            technician,
            company: self.company.clone(),
            unsubscribe_url: unsubscribe_url.clone(),
        };
        let text = TextPart { v: &view }
            .render()
            .map_err(|e| RenderError(format!("text template: {e}")))?;
        let html = HtmlPart { v: &view }
            .render()
            .map_err(|e| RenderError(format!("html template: {e}")))?;
        let root = format!("<{}>", thread::thread_id(ticket.number, &self.domain));
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(ticket.requester_name.clone()), to))
            .subject(subject_line)
            .date(now.into());
        builder = if matches!(notice, Notice::TicketReceived { .. }) {
            builder.message_id(Some(root))
        } else {
            builder
                .message_id(Some(format!(
                    "<{}>",
                    thread::message_id(ticket.number, row.id, &self.domain)
                )))
                .in_reply_to(root.clone())
                .references(root)
        };
        builder
            .raw_header(raw("List-Unsubscribe", format!("<{unsubscribe_url}>"))?)
            .raw_header(raw(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            )?)
            .raw_header(raw("Auto-Submitted", "auto-generated".into())?)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| RenderError(format!("message: {e}")))
    }
}

fn raw(name: &'static str, value: String) -> Result<HeaderValue, RenderError> {
    let name = HeaderName::new_from_ascii_str(name);
    Ok(HeaderValue::new(name, value))
}

/// The subject of a notice: the ticket number in brackets, then what happened.
pub fn subject_line(notice: &Notice) -> String {
    let t = notice.ticket();
    match notice {
        Notice::TicketReceived { .. } => format!("[#{}] {}", t.number, t.subject),
        Notice::AgentReply { .. } => format!("Re: [#{}] {}", t.number, t.subject),
        Notice::TicketSolved { .. } => format!("[#{}] Solved: {}", t.number, t.subject),
        Notice::VisitScheduled { .. } => {
            format!("[#{}] Technician visit booked: {}", t.number, t.subject)
        }
        Notice::TechnicianEnRoute { .. } => {
            format!("[#{}] Your technician is on the way", t.number)
        }
        Notice::SurveyInvitation { .. } => format!("[#{}] How did we do?", t.number),
    }
}

/// The arrival window in the site's zone, e.g. `Tuesday 8 December 2026, 09:00–12:00 CST
/// (America/Chicago)`; the zone's name when the window spans days; empty without a window.
pub fn arrival_window(visit: &Visit) -> String {
    let (Some(start), Some(end)) = (visit.window_start, visit.window_end) else {
        return String::new();
    };
    let zone: chrono_tz::Tz = visit.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let (s, e) = (start.with_timezone(&zone), end.with_timezone(&zone));
    if s.date_naive() == e.date_naive() {
        format!(
            "{}, {}–{} {} ({})",
            s.format("%A %-d %B %Y"),
            s.format("%H:%M"),
            e.format("%H:%M"),
            e.format("%Z"),
            visit.time_zone
        )
    } else {
        format!(
            "{} – {} ({})",
            s.format("%A %-d %B %Y %H:%M %Z"),
            e.format("%A %-d %B %Y %H:%M %Z"),
            visit.time_zone
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_window_is_shown_in_the_sites_zone_across_a_dst_change() {
        let visit = |s, e| Visit {
            work_order_id: 1,
            site_name: "Unit 4".into(),
            time_zone: "America/Chicago".into(),
            window_start: Some(s),
            window_end: Some(e),
        };
        // 15:00–18:00 UTC on 8 December 2026 is 09:00–12:00 CST (UTC−6).
        let w = visit(
            Utc.with_ymd_and_hms(2026, 12, 8, 15, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 8, 18, 0, 0).unwrap(),
        );
        assert_eq!(
            arrival_window(&w),
            "Tuesday 8 December 2026, 09:00–12:00 CST (America/Chicago)"
        );
        // 14:00–17:00 UTC on 9 March 2026 is 09:00–12:00 CDT (UTC−5, after the 8 March change).
        let w = visit(
            Utc.with_ymd_and_hms(2026, 3, 9, 14, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 9, 17, 0, 0).unwrap(),
        );
        assert_eq!(
            arrival_window(&w),
            "Monday 9 March 2026, 09:00–12:00 CDT (America/Chicago)"
        );
    }
}
