//! The [`AuthUser`] extractor: a valid `Authorization: Bearer <access token>` or a 401.

use crate::error::ApiError;
use crate::models::enums::UserRole;
use crate::startup::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};

/// The authenticated staff member of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// `users.id`.
    pub id: i64,
    /// Role carried by the token.
    pub role: UserRole,
}

impl AuthUser {
    /// Succeeds when the caller has one of `roles`.
    ///
    /// # Errors
    /// 403 [`ApiError::Forbidden`] otherwise.
    pub fn require(&self, roles: &[UserRole]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("AppState missing")))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    let claims = state.jwt.verify(token.trim()).map_err(|e| {
        tracing::debug!(error = %e, "access token refused");
        ApiError::Unauthorized
    })?;
    let id = claims.sub.parse().map_err(|_| ApiError::Unauthorized)?;
    tracing::Span::current().record("user.id", id);
    Ok(AuthUser {
        id,
        role: claims.role,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}
