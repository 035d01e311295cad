//! The managers' dashboard (issue 14, docs/DASHBOARD.md): server-rendered HTML (askama,
//! `templates/dashboard/*.html`) for staff who log in with their accounts in a browser.
//!
//! ```text
//! GET  /login                      the log-in form (email, password, CSRF token)
//! POST /login                      → 303 /dashboard with the session cookie; 401 the form again
//! POST /logout                     revokes the session → 303 /login
//! GET  /dashboard                  backlog, SLA risk, 30 days' figures and trend, breakdowns
//! GET  /dashboard/reports/evidence the evidence-report form alone
//! POST /dashboard/reports/evidence stores a report as POST /api/v1/reports/evidence does → 303
//! GET  /dashboard/reports/{id}     a stored report's HTML (as GET /api/v1/reports/{id}?format=html)
//! ```
//!
//! - [`login`]: log-in, log-out, the session cookie and the pre-session CSRF defence.
//! - [`pages`]: the dashboard page and what it reads.
//! - [`figures`]: the metrics engine's reports as table cells (`data-figure`, `data-value`).
//! - [`forms`]: the report forms (the evidence report; a bake-off form goes beside it) and the
//!   stored reports.
//!
//! Every page: `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: same-origin` and [`CONTENT_SECURITY_POLICY`]: nothing is loaded from
//! outside the service, no script runs. Every POST is refused (403) unless its `Origin`, when
//! present, is the service's own and its form carries the session's CSRF token.

pub mod bake_off;
pub mod figures;
pub mod forms;
pub mod login;
pub mod pages;

use crate::auth::session::{self, Session};
use crate::error::ApiError;
use crate::models::enums::UserRole;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use askama::Template;

/// The `Content-Security-Policy` of every dashboard page: nothing loads, the inline style
/// applies, forms post only to the service itself, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The roles that see the dashboard.
pub const VIEWERS: &[UserRole] = &[UserRole::Admin, UserRole::Manager];

/// The headers of every dashboard answer (see the module documentation).
pub(crate) fn builder(status: StatusCode) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    for (name, value) in [
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-robots-tag", "noindex"),
    ] {
        response.insert_header((
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    response
}

/// An HTML page with the dashboard's headers.
pub(crate) fn html(status: StatusCode, body: String) -> HttpResponse {
    builder(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A 303 See Other to `location` (after a POST, or to the log-in page).
pub(crate) fn see_other(location: &str) -> HttpResponseBuilder {
    let mut response = builder(StatusCode::SEE_OTHER);
    response.insert_header((header::LOCATION, location.to_string()));
    response
}

#[derive(Template)]
#[template(path = "dashboard/problem.html")]
struct ProblemTemplate<'a> {
    heading: &'a str,
    message: &'a str,
    session: Option<&'a Session>,
}

/// A page that says what went wrong (403, 404, 500, 503…), with a way back.
pub(crate) fn problem(
    status: StatusCode,
    heading: &str,
    message: &str,
    session: Option<&Session>,
) -> HttpResponse {
    let page = ProblemTemplate {
        heading,
        message,
        session,
    };
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "dashboard problem page");
            builder(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong.")
        }
    }
}

/// The page for an error of the layers below (database unavailable, unexpected): 503 or 500,
/// never a trace.
pub(crate) fn failure(e: ApiError, session: Option<&Session>) -> HttpResponse {
    match e {
        ApiError::Unavailable(why) => {
            tracing::warn!(%why, "dashboard: service unavailable");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is busy",
                "The figures could not be read just now. Please try again in a minute.",
                session,
            )
        }
        other => {
            tracing::error!(error = %other, "dashboard: unexpected error");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be made. The error has been logged.",
                session,
            )
        }
    }
}

/// The 403 of a refused POST (foreign origin or missing/wrong CSRF token).
pub(crate) fn refused_post(session: Option<&Session>) -> HttpResponse {
    tracing::warn!(target: "audit", "dashboard: cross-site or tokenless form post refused");
    problem(
        StatusCode::FORBIDDEN,
        "This form could not be accepted",
        "The form did not come from this service's own page, or it has expired. Open the page \
         again and send the form from there.",
        session,
    )
}

/// The host (and port) the request was sent to: its `Host` header, or the forwarded host from
/// a trusted proxy.
fn own_host(req: &HttpRequest, state: &AppState) -> String {
    crate::telemetry::Client::of(req, &state.settings.application.trusted_proxies).host
}

/// Whether a POST may come from where it says it comes from: an `Origin` header, when present,
/// must name the host the request was sent to (`http://` or `https://` and the `Host`, so that
/// a TLS-terminating proxy does not matter; `null` and any other host are foreign), and
/// `Sec-Fetch-Site`, when present, must not be `cross-site`.
pub(crate) fn same_origin(req: &HttpRequest, state: &AppState) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
    {
        return false;
    }
    match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin.to_str().is_ok_and(|o| {
            let o = o.to_ascii_lowercase();
            o.strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .is_some_and(|host| host == own_host(req, state).to_ascii_lowercase())
        }),
    }
}

/// Whether the request came over HTTPS (as a trusted proxy says), or the settings ask for
/// `Secure` cookies anyway.
pub(crate) fn secure_cookies(req: &HttpRequest, state: &AppState) -> bool {
    state.settings.auth.secure_cookies
        || crate::telemetry::Client::of(req, &state.settings.application.trusted_proxies).scheme
            == "https"
}

/// The request's valid session, if its cookie names one.
///
/// # Errors
/// Database errors.
async fn current_session(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> Result<Option<Session>, ApiError> {
    let Some(cookie) = req.cookie(session::COOKIE) else {
        return Ok(None);
    };
    let token = cookie.value().to_string();
    if token.is_empty() || token.len() > 64 {
        return Ok(None);
    }
    crate::db::run(&state.pool, move |conn| {
        Ok(session::find(conn, &token, chrono::Utc::now())?)
    })
    .await
}

/// The session of a manager or admin, or the answer to give instead: 303 to `/login` without a
/// valid session; a 403 page for a deactivated account or another role.
pub(crate) async fn viewer(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> Result<Session, HttpResponse> {
    match current_session(state, req).await {
        Err(e) => Err(failure(e, None)),
        Ok(None) => Err(see_other("/login").finish()),
        Ok(Some(s)) if !s.active => Err(problem(
            StatusCode::FORBIDDEN,
            "This account is deactivated",
            "Your account can no longer open the dashboard. Ask an administrator if this is a \
             mistake.",
            Some(&s),
        )),
        Ok(Some(s)) if !VIEWERS.contains(&s.role) => Err(role_refused(Some(&s))),
        Ok(Some(s)) => Ok(s),
    }
}

/// The 403 page for a staff member whose role does not see the dashboard.
pub(crate) fn role_refused(session: Option<&Session>) -> HttpResponse {
    problem(
        StatusCode::FORBIDDEN,
        "The dashboard is for managers and admins",
        "Your account can log in, but only managers and admins see the dashboard. Agents and \
         technicians work from their own tools.",
        session,
    )
}

/// Checks a POST of `session`: its origin ([`same_origin`]) and its form's CSRF token
/// (`given`, compared in constant time with the session's). `None` when it may proceed, else
/// the 403 page to answer.
pub(crate) fn post_refusal(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    given: Option<&str>,
) -> Option<HttpResponse> {
    let token_ok =
        given.is_some_and(|g| session::same_secret(g.as_bytes(), session.csrf_token.as_bytes()));
    (!(same_origin(req, state) && token_ok)).then(|| refused_post(Some(session)))
}
