//! `GET /login`, `POST /login` and `POST /logout`: staff log in to the dashboard with their
//! accounts (the password checked as `POST /api/v1/auth/login` checks it: argon2id, the same
//! attempt limits, the same work for an unknown email).
//!
//! **The session.** A successful log-in of a manager or admin stores a new session
//! ([`crate::auth::session`]) and sets the cookie `frontline_session` (`HttpOnly`,
//! `SameSite=Strict`, `Path=/`, `Secure` when `auth.secure_cookies` is on or the request came
//! over HTTPS; no `Max-Age`: it ends with the browser, and the server ends it after
//! [`crate::auth::session::TTL_HOURS`] hours). Log-out revokes it on the server: the old cookie
//! no longer opens anything.
//!
//! **The log-in form's CSRF defence** (there is no session yet): a signed double-submit cookie.
//! `GET /login` sets `frontline_login_csrf` (`HttpOnly`, `SameSite=Strict`, `Path=/login`) to
//! `nonce.signature` — the signature a SHA-256 of the nonce keyed by `auth.jwt_secret` — and
//! puts the same value in the form's hidden field. `POST /login` needs both, equal (constant
//! time), with a valid signature, and an `Origin` that, when present, is the service's own.
//! Another site can neither read the cookie nor make a valid one, and a browser sends a
//! `SameSite=Strict` cookie with no cross-site post: a forged log-in (logging a manager into
//! another account) is refused with 403.
//!
//! Answers: a wrong email or password is the form again with one message for both (401), the
//! email kept; too many attempts, the form with the wait (429); the right password of an agent,
//! a technician or a deactivated account, a 403 page (no session is made).

use super::{builder, post_refusal, problem, refused_post, same_origin, see_other};
use crate::auth::{password, session};
use crate::db;
use crate::domain::email::EmailAddress;
use crate::error::ApiError;
use crate::models::staff;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The name of the log-in form's CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "frontline_login_csrf";

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginTemplate<'a> {
    /// Always `None`: the layout's navigation is for a session.
    session: Option<&'a crate::auth::session::Session>,
    csrf_token: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// The fields of the log-in form (unknown fields are ignored).
#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: Option<String>,
}

/// The fields of the log-out form.
#[derive(Debug, Default, Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf_token: Option<String>,
}

/// The signature of a log-in nonce: SHA-256 of a label, the key and the nonce, base64url.
fn sign(state: &AppState, nonce: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"frontline-login-csrf\0");
    hasher.update(state.settings.auth.jwt_secret.expose_secret().as_bytes());
    hasher.update(b"\0");
    hasher.update(nonce.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Whether `value` is a `nonce.signature` this service signed.
fn signed_by_us(state: &AppState, value: &str) -> bool {
    value.split_once('.').is_some_and(|(nonce, signature)| {
        !nonce.is_empty()
            && session::same_secret(signature.as_bytes(), sign(state, nonce).as_bytes())
    })
}

/// The log-in CSRF value of the request's cookie when it is ours, else a new one.
fn login_csrf(state: &AppState, req: &HttpRequest) -> String {
    req.cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| signed_by_us(state, v))
        .unwrap_or_else(|| {
            let nonce = session::random_token();
            let signature = sign(state, &nonce);
            format!("{nonce}.{signature}")
        })
}

fn login_csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(LOGIN_CSRF_COOKIE, value)
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The session cookie carrying `token` (see the module documentation for its attributes).
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(session::COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The form page with `status`, its CSRF cookie set.
fn form_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> HttpResponse {
    let csrf = login_csrf(state, req);
    let page = LoginTemplate {
        session: None,
        csrf_token: &csrf,
        email,
        error,
    };
    match page.render() {
        Ok(body) => builder(status)
            .cookie(login_csrf_cookie(
                csrf.clone(),
                super::secure_cookies(req, state),
            ))
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => super::failure(ApiError::Unexpected(e.into()), None),
    }
}

/// `GET /login`: the log-in form (200), with a fresh or kept CSRF cookie; 303 to `/dashboard`
/// for a manager or admin already logged in.
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Ok(Some(s)) = super::current_session(&state, &req).await
        && s.active
        && super::VIEWERS.contains(&s.role)
    {
        return see_other("/dashboard").finish();
    }
    form_page(&state, &req, StatusCode::OK, "", None)
}

/// `POST /login` (`application/x-www-form-urlencoded`: `email`, `password`, `csrf_token`): see
/// the module documentation for every answer.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let form: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let cookie = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    let csrf_ok = match (cookie.as_deref(), form.csrf_token.as_deref()) {
        (Some(c), Some(f)) => {
            session::same_secret(c.as_bytes(), f.as_bytes()) && signed_by_us(&state, c)
        }
        _ => false,
    };
    if !csrf_ok || !same_origin(&req, &state) {
        return refused_post(None);
    }
    let typed = form.email.trim().to_string();
    let email = EmailAddress::parse(&form.email)
        .map_or(form.email.trim().to_lowercase(), |e| e.to_string());
    let address =
        crate::telemetry::Client::of(&req, &state.settings.application.trusted_proxies).ip;
    if let Err(wait) = state.login_limiter.check(&email, address) {
        let message = format!(
            "Too many attempts. Please wait {} seconds and try again.",
            wait.as_secs().max(1)
        );
        return form_page(
            &state,
            &req,
            StatusCode::TOO_MANY_REQUESTS,
            &typed,
            Some(&message),
        );
    }
    let password = form.password;
    let outcome = db::run(&state.pool, move |conn| {
        let record = staff::find_login(conn, &email)?;
        let ok = password::verify(
            &password,
            record.as_ref().and_then(|r| r.password_hash.as_deref()),
        );
        let Some(record) = record.filter(|_| ok) else {
            return Ok(Err(StatusCode::UNAUTHORIZED));
        };
        if !record.active {
            return Ok(Err(StatusCode::GONE));
        }
        if !super::VIEWERS.contains(&record.role) {
            return Ok(Err(StatusCode::FORBIDDEN));
        }
        let token = session::create_tx(conn, record.id, chrono::Utc::now())?;
        Ok::<_, ApiError>(Ok((record.id, record.role, token)))
    })
    .await;
    match outcome {
        Err(e) => super::failure(e, None),
        Ok(Err(StatusCode::UNAUTHORIZED)) => {
            tracing::info!(target: "audit", "dashboard login refused");
            form_page(
                &state,
                &req,
                StatusCode::UNAUTHORIZED,
                &typed,
                Some("The email or the password is not right."),
            )
        }
        Ok(Err(StatusCode::GONE)) => problem(
            StatusCode::FORBIDDEN,
            "This account is deactivated",
            "Your account can no longer open the dashboard. Ask an administrator if this is a \
             mistake.",
            None,
        ),
        Ok(Err(_)) => super::role_refused(None),
        Ok(Ok((id, role, token))) => {
            tracing::info!(target: "audit", { user.id = id, role = ?role }, "dashboard login");
            let secure = super::secure_cookies(&req, &state);
            let mut spent = login_csrf_cookie(String::new(), secure);
            spent.make_removal();
            see_other("/dashboard")
                .cookie(session_cookie(token, secure))
                .cookie(spent)
                .finish()
        }
    }
}

/// `POST /logout` (`csrf_token`): revokes the session on the server, removes the cookie and
/// answers 303 to `/login`. Without a valid session: 303 to `/login` as well; a foreign origin
/// or a wrong token: 403.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let form: LogoutForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let session = match super::current_session(&state, &req).await {
        Err(e) => return super::failure(e, None),
        Ok(None) => {
            return if same_origin(&req, &state) {
                see_other("/login").finish()
            } else {
                refused_post(None)
            };
        }
        Ok(Some(s)) => s,
    };
    if let Some(refused) = post_refusal(&req, &state, &session, form.csrf_token.as_deref()) {
        return refused;
    }
    let id = session.id;
    if let Err(e) = db::run(&state.pool, move |conn| {
        Ok(session::revoke(conn, id, chrono::Utc::now())?)
    })
    .await
    {
        return super::failure(e, Some(&session));
    }
    tracing::info!(target: "audit", { user.id = session.user_id }, "dashboard logout");
    let mut gone = session_cookie(String::new(), super::secure_cookies(&req, &state));
    gone.make_removal();
    see_other("/login").cookie(gone).finish()
}
