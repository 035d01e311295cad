//! `POST /auth/login`, `POST /auth/refresh`, `POST /auth/logout`, `GET /me`.
//!
//! Every authentication failure (unknown email, wrong password, inactive account, bad or reused
//! refresh token) answers the same 401 problem body.

use crate::auth::extract::AuthUser;
use crate::auth::{password, refresh};
use crate::db;
use crate::domain::email::EmailAddress;
use crate::error::{ApiError, ApiResult};
use crate::models::enums::{EmploymentType, UserRole};
use crate::models::staff::{self, Staff};
use crate::routes::body::JsonBody;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use diesel::Connection;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Log-in credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email (case and surrounding spaces ignored).
    pub email: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// A refresh token presented for rotation or log-out.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from a log-in or an earlier refresh.
    #[schema(value_type = String)]
    pub refresh_token: SecretString,
}

/// A staff member as the API shows them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffResponse {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Role.
    pub role: UserRole,
    /// Employee or contractor.
    pub employment_type: EmploymentType,
    /// Team id.
    pub team_id: Option<i64>,
    /// Active.
    pub active: bool,
    /// Skills (trimmed, lower case), e.g. `["inmate_phone", "network"]`.
    pub skills: Vec<String>,
    /// A manager given the agent role too: public replies, status changes and new tickets
    /// (honoured for managers only; README, Supervisors).
    pub also_agent: bool,
}

impl From<Staff> for StaffResponse {
    fn from(s: Staff) -> Self {
        StaffResponse {
            id: s.id,
            name: s.name,
            email: s.email,
            role: s.role,
            employment_type: s.employment_type,
            team_id: s.team_id,
            active: s.active,
            skills: s.skills,
            also_agent: s.also_agent,
        }
    }
}

/// Tokens issued by a log-in or a refresh.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque token for `POST /auth/refresh` (single use; each use returns a new one).
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    /// The staff member.
    pub user: StaffResponse,
}

fn tokens(state: &AppState, staff: Staff, refresh_token: String) -> ApiResult<TokenResponse> {
    let access_token = state
        .jwt
        .issue_at_generation(staff.id, staff.role, staff.token_generation, Utc::now())
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl_seconds(),
        refresh_token,
        refresh_expires_in: state.settings.auth.refresh_token_ttl_seconds,
        user: staff.into(),
    })
}

/// Logs a staff member in.
///
/// Errors: 401 (always the same body) for any wrong credential; 429 with `Retry-After` after too
/// many attempts for one email or from one address; 400 for a malformed body.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password } = body.value;
    // A malformed email cannot match an account: same work, same 401.
    let email = EmailAddress::parse(&email).map_or(email.trim().to_lowercase(), |e| e.to_string());
    let address =
        crate::telemetry::Client::of(&req, &state.settings.application.trusted_proxies).ip;
    state
        .login_limiter
        .check(&email, address)
        .map_err(|wait| ApiError::TooManyRequests(wait.as_secs().max(1)))?;
    let ttl = Duration::seconds(state.settings.auth.refresh_token_ttl_seconds);
    let (staff, refresh_token) = db::run(&state.pool, move |conn| {
        let record = staff::find_login(conn, &email)?;
        let ok = password::verify(
            password.expose_secret(),
            record.as_ref().and_then(|r| r.password_hash.as_deref()),
        );
        let record = match record {
            Some(r) if ok && r.active => r,
            _ => {
                tracing::info!(target: "audit", "login refused");
                return Err(ApiError::Unauthorized);
            }
        };
        conn.transaction(|conn| {
            let staff = staff::get_staff(conn, record.id)?;
            let token = refresh::issue_tx(conn, staff.id, None, Utc::now(), ttl)?;
            Ok::<_, ApiError>((staff, token))
        })
    })
    .await?;
    tracing::info!(target: "audit", { user.id = staff.id }, "login");
    Ok(HttpResponse::Ok().json(tokens(&state, staff, refresh_token)?))
}

/// Exchanges a refresh token for new tokens (the presented one is used up). Presenting a used
/// token again revokes every token of its log-in.
///
/// Errors: 401 (same body as a failed log-in); 400 for a malformed body.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn refresh_tokens(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.value.refresh_token;
    let ttl = Duration::seconds(state.settings.auth.refresh_token_ttl_seconds);
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let rotation = refresh::rotate_tx(conn, token.expose_secret(), Utc::now(), ttl)?;
            let staff = match &rotation {
                refresh::Rotation::Rotated { user_id, .. } => {
                    Some(staff::get_staff(conn, *user_id)?)
                }
                _ => None,
            };
            Ok::<_, ApiError>((rotation, staff))
        })
    })
    .await?;
    match outcome {
        (refresh::Rotation::Rotated { token, .. }, Some(staff)) if staff.active => {
            Ok(HttpResponse::Ok().json(tokens(&state, staff, token)?))
        }
        (refresh::Rotation::Reused, _) => {
            tracing::warn!(target: "audit", "reused refresh token: its family is revoked");
            Err(ApiError::Unauthorized)
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// Logs out: revokes the refresh token and every token rotated from the same log-in. Always 204,
/// also for an unknown token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Logged out")))]
pub async fn logout(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.value.refresh_token;
    let user = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let user = refresh::revoke_tx(conn, token.expose_secret(), Utc::now())?;
            if let Some(id) = user {
                // Access tokens already issued end too (on every device; the others refresh).
                staff::bump_token_generation_tx(conn, id)?;
            }
            Ok::<_, ApiError>(user)
        })
    })
    .await?;
    if let Some(id) = user {
        state.access.invalidate(id);
        tracing::info!(target: "audit", { user.id = id }, "logout");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The authenticated staff member.
///
/// Errors: 401 without a valid access token.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, body = StaffResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let staff = db::run(&state.pool, move |conn| {
        staff::get_staff(conn, user.id).map_err(|e| match e {
            diesel::result::Error::NotFound => ApiError::Unauthorized,
            other => other.into(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(StaffResponse::from(staff)))
}

/// `POST /me/password` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The current password.
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    /// The new password (12–128 characters).
    #[schema(value_type = String, format = Password, min_length = 12, max_length = 128)]
    pub new_password: SecretString,
}

/// Changes the caller's password. Every other session of the account ends at once (refresh
/// tokens revoked, access tokens issued before refused); the answer carries new tokens for this
/// one.
///
/// Errors: 401 without a valid access token; 422 naming `current_password` when it is wrong or
/// `new_password` when it breaks the policy; 429 with `Retry-After` after too many wrong
/// current passwords.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: JsonBody<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.value;
    state
        .login_limiter
        .check(
            &format!("password-change:{}", user.id),
            crate::telemetry::Client::of(&req, &state.settings.application.trusted_proxies).ip,
        )
        .map_err(|wait| ApiError::TooManyRequests(wait.as_secs().max(1)))?;
    password::check_policy(new_password.expose_secret())
        .map_err(|e| ApiError::invalid_field("new_password", e.to_string()))?;
    let hash =
        password::hash(new_password.expose_secret()).map_err(|e| ApiError::Unexpected(e.into()))?;
    let ttl = Duration::seconds(state.settings.auth.refresh_token_ttl_seconds);
    let id = user.id;
    let (staff, refresh_token) = db::run(&state.pool, move |conn| {
        use crate::schema::users;
        use diesel::prelude::*;
        conn.transaction(|conn| {
            let stored: Option<String> = users::table
                .find(id)
                .select(users::password_hash)
                .for_update()
                .first(conn)?;
            if !password::verify(current_password.expose_secret(), stored.as_deref()) {
                return Err(ApiError::invalid_field(
                    "current_password",
                    "is not the account's password",
                ));
            }
            diesel::update(users::table.find(id))
                .set((
                    users::password_hash.eq(&hash),
                    users::updated_at.eq(Utc::now()),
                ))
                .execute(conn)?;
            staff::end_sessions_tx(conn, id, Utc::now())?;
            let staff = staff::get_staff(conn, id)?;
            let token = refresh::issue_tx(conn, id, None, Utc::now(), ttl)?;
            Ok::<_, ApiError>((staff, token))
        })
    })
    .await?;
    state.access.invalidate(id);
    tracing::info!(target: "audit", { user.id = id }, "password changed; other sessions ended");
    Ok(HttpResponse::Ok().json(tokens(&state, staff, refresh_token)?))
}
