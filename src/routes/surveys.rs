//! `GET /surveys/{token}` and `POST /surveys/{token}`: the CSAT/NPS survey page customers reach
//! from their email (public: no staff token; docs/METRICS.md, Satisfaction).
//!
//! The page is server-rendered HTML (askama, auto-escaped; `templates/survey/*.html`): a 1–5
//! rating with words, an optional 0–10 likelihood to recommend, a comment (at most 5,000
//! characters) and a consent box for quoting the comment anonymously. Inline CSS only: no
//! script, font, image or other request leaves the page. It names the ticket (number and
//! subject) and shows the current answer when there is one.
//!
//! Answers:
//! - `GET` 200 the form; `?score=N` (1–5) pre-selects a rating (one-click links in the email,
//!   as Zendesk does) — a GET never records anything; an unusable `score` is ignored.
//! - `POST` (`application/x-www-form-urlencoded`: `score`, `nps`, `comment`, `consent`) records
//!   the answer through [`crate::tickets::survey::answer_tx`] and answers **200 with the thank-you
//!   page** (no redirect: the page needs nothing the POST does not already have, and re-sending
//!   the same answer — a reload — records nothing, see the use case). Invalid input is a 422 with
//!   the form again, each message next to its field (`aria-describedby`) and in a summary at the
//!   top, the customer's input kept; nothing is written.
//! - A token that is not ours, was tampered with, is for another purpose (an unsubscribe link)
//!   or names no survey: 404 with a friendly page. A token past its end, or a survey past its
//!   `expires_at` (valid strictly before it): 410 "This survey link has expired". A database
//!   failure: 503 (or 500) with a friendly page. Never a stack trace, never JSON.
//!
//! Headers of every answer: `Content-Type: text/html; charset=utf-8`, `Cache-Control: no-store`,
//! `Referrer-Policy: no-referrer` (the token is in the URL), `Content-Security-Policy:
//! default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none';
//! frame-ancestors 'none'`, `X-Robots-Tag: noindex`, `X-Content-Type-Options: nosniff`.
//!
//! **Why no CSRF token.** CSRF abuses credentials a browser adds on its own (cookies, HTTP
//! auth). This page has none: its only credential is the signed token in the URL, which a
//! forging site would have to know — and whoever knows it can answer directly anyway, as the
//! customer it was emailed to may. `Referrer-Policy: no-referrer` keeps the token from leaking
//! through links, `frame-ancestors 'none'` stops clickjacking, and the token works for this one
//! survey only (its audience is `frontline-survey`; it cannot unsubscribe or call the API).
//!
//! The signed token: [`crate::notify::links::LinkSigner`] keyed by `auth.jwt_secret` with issuer
//! `auth.issuer` (the server's `AppState::links`); links are `{email.public_base_url}/surveys/{token}`.

use crate::db;
use crate::domain::survey::{CsatScore, FormErrors, SurveyForm};
use crate::error::ApiError;
use crate::models::survey::{self as model, Survey};
use crate::notify::links::{LinkError, LinkSigner, Purpose};
use crate::state::AppState;
use crate::tickets::RulesCache;
use crate::tickets::survey::{AnswerError, answer_tx};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The `Content-Security-Policy` of every survey page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Largest survey form body, bytes (a 5,000-character comment of 4-byte characters,
/// percent-encoded, is 60,000 bytes).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A rendered survey page: its status and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyPage {
    /// 200, 404, 410, 422, 500 or 503.
    pub status: StatusCode,
    /// The HTML document.
    pub body: String,
}

impl SurveyPage {
    /// The HTTP response, with the headers listed in the module docs.
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
            ("content-security-policy", CONTENT_SECURITY_POLICY),
            ("x-robots-tag", "noindex"),
            ("x-content-type-options", "nosniff"),
        ] {
            response.insert_header((
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            ));
        }
        response.body(self.body)
    }
}

/// One radio button of a scale.
struct Choice {
    value: i16,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "survey/form.html")]
struct FormTemplate<'a> {
    brand: &'a str,
    ticket_number: i64,
    subject: &'a str,
    answered_on: Option<String>,
    errors: &'a FormErrors,
    score_error: Option<&'a str>,
    nps_error: Option<&'a str>,
    comment_error: Option<&'a str>,
    ratings: Vec<Choice>,
    nps_choices: Vec<Choice>,
    nps_none: bool,
    comment: &'a str,
    consent: bool,
}

#[derive(Template)]
#[template(path = "survey/thanks.html")]
struct ThanksTemplate<'a> {
    brand: &'a str,
    ticket_number: i64,
    subject: &'a str,
    score: i16,
    score_label: &'static str,
    nps: Option<i16>,
    has_comment: bool,
    consent: bool,
    expires_on: String,
    change_href: &'a str,
}

#[derive(Template)]
#[template(path = "survey/problem.html")]
struct ProblemTemplate<'a> {
    brand: &'a str,
    heading: &'a str,
    message: &'a str,
}

/// What the form shows in its fields.
struct Filled<'a> {
    score: Option<i16>,
    nps: Option<i16>,
    comment: &'a str,
    consent: bool,
}

fn render(status: StatusCode, template: &impl Template) -> SurveyPage {
    match template.render() {
        Ok(body) => SurveyPage { status, body },
        Err(e) => {
            tracing::error!(error = %e, "survey page did not render");
            SurveyPage {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Error</title>\
                       <p>Sorry, something went wrong on our side. Please try again later.</p></html>"
                    .into(),
            }
        }
    }
}

fn problem(brand: &str, status: StatusCode, heading: &str, message: &str) -> SurveyPage {
    render(
        status,
        &ProblemTemplate {
            brand,
            heading,
            message,
        },
    )
}

/// 404: the link is not one of ours, was altered, or names no survey.
fn invalid_page(brand: &str) -> SurveyPage {
    problem(
        brand,
        StatusCode::NOT_FOUND,
        "We could not find this survey",
        "This link is incomplete or not valid. Please open it again from our email, \
         or copy the whole address into your browser.",
    )
}

/// 410: the link has ended.
fn expired_page(brand: &str) -> SurveyPage {
    problem(
        brand,
        StatusCode::GONE,
        "This survey link has expired",
        "Survey links work for a limited time after a request is solved, and this one has \
         ended. Thank you for wanting to tell us how we did.",
    )
}

/// 503 (database unavailable) or 500: the cause is logged, never shown.
fn failure_page(brand: &str, error: &ApiError) -> SurveyPage {
    let status = match error {
        ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    tracing::error!(error = ?error, "survey page failed");
    problem(
        brand,
        status,
        "Sorry, something went wrong",
        "We could not open or save your survey just now. Please try again in a few minutes; \
         your link still works.",
    )
}

fn form_page(
    brand: &str,
    status: StatusCode,
    survey: &Survey,
    number: i64,
    subject: &str,
    filled: &Filled<'_>,
    errors: &FormErrors,
) -> SurveyPage {
    let ratings = (1..=5)
        .zip(CsatScore::LABELS)
        .map(|(value, label)| Choice {
            value,
            label,
            checked: filled.score == Some(value),
        })
        .collect();
    let nps_choices = (0..=10)
        .map(|value| Choice {
            value,
            label: "",
            checked: filled.nps == Some(value),
        })
        .collect();
    render(
        status,
        &FormTemplate {
            brand,
            ticket_number: number,
            subject,
            answered_on: survey
                .answered_at
                .map(|at| at.format("%-d %B %Y at %H:%M UTC").to_string()),
            errors,
            score_error: errors.get("score").map(String::as_str),
            nps_error: errors.get("nps").map(String::as_str),
            comment_error: errors.get("comment").map(String::as_str),
            ratings,
            nps_choices,
            nps_none: filled.nps.is_none(),
            comment: filled.comment,
            consent: filled.consent,
        },
    )
}

/// The survey a token names, with its ticket's number and subject, if the token is a valid
/// survey token at `now` and the survey exists and has not ended.
fn load(
    conn: &mut PgConnection,
    signer: &LinkSigner,
    brand: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(Survey, i64, String), SurveyPage> {
    let id = match signer.verify(Purpose::Survey, token, now) {
        Ok(id) => id,
        Err(LinkError::Expired) => return Err(expired_page(brand)),
        Err(LinkError::Invalid) => return Err(invalid_page(brand)),
    };
    let (survey, number, subject) = match model::with_ticket(conn, id) {
        Ok(found) => found,
        Err(diesel::result::Error::NotFound) => return Err(invalid_page(brand)),
        Err(e) => return Err(failure_page(brand, &e.into())),
    };
    if now >= survey.expires_at {
        return Err(expired_page(brand));
    }
    Ok((survey, number, subject))
}

/// The page `GET /surveys/{token}` shows at `now`: the form (200) with the current answer, or
/// `preselect` (a 1–5 rating from `?score=`) chosen; or the 404, 410 or failure page. Reads only.
pub fn get_page_tx(
    conn: &mut PgConnection,
    signer: &LinkSigner,
    brand: &str,
    token: &str,
    preselect: Option<CsatScore>,
    now: DateTime<Utc>,
) -> SurveyPage {
    let (survey, number, subject) = match load(conn, signer, brand, token, now) {
        Ok(found) => found,
        Err(page) => return page,
    };
    let filled = Filled {
        score: preselect.map(CsatScore::get).or(survey.score),
        nps: survey.nps,
        comment: survey.comment.as_deref().unwrap_or(""),
        consent: survey.consent_to_quote,
    };
    form_page(
        brand,
        StatusCode::OK,
        &survey,
        number,
        &subject,
        &filled,
        &FormErrors::new(),
    )
}

/// The page `POST /surveys/{token}` answers at `now` after recording `form` (one transaction,
/// [`answer_tx`]): the thank-you page (200); the form with its errors and the input kept (422,
/// nothing written); or the 404, 410 or failure page.
pub fn post_page_tx(
    conn: &mut PgConnection,
    rules: &RulesCache,
    signer: &LinkSigner,
    brand: &str,
    token: &str,
    form: &SurveyForm,
    now: DateTime<Utc>,
) -> SurveyPage {
    let (survey, number, subject) = match load(conn, signer, brand, token, now) {
        Ok(found) => found,
        Err(page) => return page,
    };
    let answer = match form.parse() {
        Ok(answer) => answer,
        Err(errors) => {
            let filled = Filled {
                score: form
                    .score
                    .as_deref()
                    .and_then(|s| s.trim().parse::<i64>().ok())
                    .and_then(|s| CsatScore::new(s).ok())
                    .map(CsatScore::get),
                nps: form
                    .nps
                    .as_deref()
                    .and_then(|s| s.trim().parse::<i16>().ok())
                    .filter(|n| (0..=10).contains(n)),
                comment: form.comment.as_deref().unwrap_or(""),
                consent: form.consent,
            };
            return form_page(
                brand,
                StatusCode::UNPROCESSABLE_ENTITY,
                &survey,
                number,
                &subject,
                &filled,
                &errors,
            );
        }
    };
    let answered = conn.transaction(|conn| answer_tx(conn, rules, survey.id, &answer, now));
    let answered = match answered {
        Ok(answered) => answered,
        Err(AnswerError::Unknown) => return invalid_page(brand),
        Err(AnswerError::Expired) => return expired_page(brand),
        Err(AnswerError::Failed(e)) => return failure_page(brand, &e),
    };
    let saved = answered.survey;
    let score = saved.score.unwrap_or(answer.score.get());
    render(
        StatusCode::OK,
        &ThanksTemplate {
            brand,
            ticket_number: number,
            subject: &subject,
            score,
            score_label: usize::try_from(score - 1)
                .ok()
                .and_then(|i| CsatScore::LABELS.get(i).copied())
                .unwrap_or(""),
            nps: saved.nps,
            has_comment: saved.comment.is_some(),
            consent: saved.consent_to_quote,
            expires_on: (saved.expires_at - chrono::Duration::seconds(1))
                .format("%-d %B %Y")
                .to_string(),
            change_href: token,
        },
    )
}

/// The `score` of a query string, when it is a rating 1–5.
fn preselected(query: &str) -> Option<CsatScore> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "score")
        .last()
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .and_then(|v| CsatScore::new(v).ok())
}

/// The survey form's fields of an `application/x-www-form-urlencoded` body (a field sent twice:
/// the last value wins; other fields are ignored; `consent` counts when present and not empty).
pub fn read_form(body: &[u8]) -> SurveyForm {
    let mut form = SurveyForm::default();
    for (key, value) in form_urlencoded::parse(body) {
        match key.as_ref() {
            "score" => form.score = Some(value.into_owned()),
            "nps" => form.nps = Some(value.into_owned()),
            "comment" => form.comment = Some(value.into_owned()),
            "consent" => form.consent = !value.is_empty(),
            _ => {}
        }
    }
    form
}

/// The survey page (HTML). `?score=1..5` pre-selects a rating; nothing is recorded.
///
/// 200 the form; 404 for a link that is not valid; 410 for an expired link (see the module
/// docs for the headers).
#[utoipa::path(get, path = "/surveys/{token}", tag = "surveys",
    params(("token" = String, Path, description = "The signed survey token of the email's link"),
        ("score" = Option<i16>, Query, description = "Pre-selected rating, 1–5 (ignored otherwise)")),
    responses((status = 200, description = "The survey form", content_type = "text/html"),
        (status = 404, description = "Not a valid survey link (friendly page)", content_type = "text/html"),
        (status = 410, description = "The link has expired (friendly page)", content_type = "text/html")))]
pub async fn get_survey(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let brand = state.settings.email.from_name.clone();
    let preselect = preselected(request.query_string());
    let signer = state.links.clone();
    let token = token.into_inner();
    let page_brand = brand.clone();
    let page = db::run(&state.pool, move |conn| {
        Ok(get_page_tx(
            conn,
            &signer,
            &page_brand,
            &token,
            preselect,
            Utc::now(),
        ))
    })
    .await;
    page.unwrap_or_else(|e| failure_page(&brand, &e))
        .into_response()
}

/// Records a survey answer (HTML form post: `score` 1–5, optional `nps` 0–10, `comment` up to
/// 5,000 characters, `consent`).
///
/// 200 the thank-you page; 422 the form with the errors next to their fields (nothing written);
/// 404 for a link that is not valid; 410 for an expired link.
#[utoipa::path(post, path = "/surveys/{token}", tag = "surveys",
    params(("token" = String, Path, description = "The signed survey token of the email's link")),
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "`score` (1–5), `nps` (0–10, optional), `comment` (optional, ≤ 5,000 characters), `consent` (present when ticked)"),
    responses((status = 200, description = "Thank-you page", content_type = "text/html"),
        (status = 404, description = "Not a valid survey link (friendly page)", content_type = "text/html"),
        (status = 410, description = "The link has expired (friendly page)", content_type = "text/html"),
        (status = 422, description = "The form again, with the errors next to their fields", content_type = "text/html")))]
pub async fn answer_survey(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let brand = state.settings.email.from_name.clone();
    let signer = state.links.clone();
    let form = read_form(&body);
    let token = token.into_inner();
    let rules = state.rules.clone();
    let page_brand = brand.clone();
    let page = db::run(&state.pool, move |conn| {
        Ok(post_page_tx(
            conn,
            &rules,
            &signer,
            &page_brand,
            &token,
            &form,
            Utc::now(),
        ))
    })
    .await;
    page.unwrap_or_else(|e| failure_page(&brand, &e))
        .into_response()
}

/// The payload limit of `POST /surveys/{token}` ([`MAX_FORM_BYTES`]); a larger body is a 413.
pub fn payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(MAX_FORM_BYTES)
}

/// `Allow` of the survey resource, for a 405.
pub const ALLOW: &str = "GET, HEAD, POST";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_urlencoded_body_is_read_field_by_field() {
        let f = read_form(b"score=3&nps=&comment=a+%3Cb%3E+%26+c&consent=yes&other=1&score=2");
        assert_eq!(f.score.as_deref(), Some("2"));
        assert_eq!(f.nps.as_deref(), Some(""));
        assert_eq!(f.comment.as_deref(), Some("a <b> & c"));
        assert!(f.consent);
        assert!(!read_form(b"score=3").consent);
        assert!(!read_form(b"score=3&consent=").consent);
    }

    #[test]
    fn only_a_rating_of_1_to_5_is_preselected() {
        assert_eq!(preselected("score=4").map(CsatScore::get), Some(4));
        assert_eq!(preselected("utm=x&score=1").map(CsatScore::get), Some(1));
        for q in ["", "score=0", "score=6", "score=abc", "score=", "other=3"] {
            assert_eq!(preselected(q), None, "{q}");
        }
    }
}
