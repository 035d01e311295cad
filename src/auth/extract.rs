//! The [`AuthUser`] extractor: a valid `Authorization: Bearer <access token>` of an active staff
//! member, or a 401. The role and the active flag come from the database, not the token, so a
//! demotion or a deactivation takes effect at once, not when the token expires: through the
//! per-process [`AccessCache`](crate::auth::access::AccessCache), which every service copy drops
//! an entry of as soon as PostgreSQL notifies the change, or, on a miss, a query.

use crate::auth::access::Access;
use crate::db;
use crate::error::ApiError;
use crate::models::enums::UserRole;
use crate::schema::users;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::prelude::*;
use std::future::Future;
use std::pin::Pin;

/// The authenticated staff member of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// `users.id`.
    pub id: i64,
    /// Role (from the database).
    pub role: UserRole,
    /// A manager given the agent role too (`users.also_agent`; ignored for other roles).
    pub also_agent: bool,
}

impl AuthUser {
    /// Succeeds when the caller has one of `roles`. A manager with `also_agent` has the agent
    /// role too.
    ///
    /// # Errors
    /// 403 [`ApiError::Forbidden`] otherwise.
    pub fn require(&self, roles: &[UserRole]) -> Result<(), ApiError> {
        if roles.contains(&self.role) || (self.is_agent_too() && roles.contains(&UserRole::Agent)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// A manager given the agent role too (`users.also_agent`): they may do what an agent does.
    pub fn is_agent_too(&self) -> bool {
        self.role == UserRole::Manager && self.also_agent
    }

    /// A manager acting as a supervisor only (no agent role): on tickets they reassign, change
    /// the team and priority, and write internal notes, but never public replies.
    pub fn is_supervisor_only(&self) -> bool {
        self.role == UserRole::Manager && !self.also_agent
    }

    /// Which tickets this caller may see (technicians: only those with a work order assigned
    /// to them).
    pub fn visibility(&self) -> crate::models::ticket::Visibility {
        match self.role {
            UserRole::Technician => crate::models::ticket::Visibility::Technician(self.id),
            _ => crate::models::ticket::Visibility::All,
        }
    }
}

fn bearer_claims(req: &HttpRequest) -> Result<(web::Data<AppState>, i64, i32), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
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
    Ok((state, id, claims.generation))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<AuthUser, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let claims = bearer_claims(req);
        Box::pin(async move {
            let (state, id, token_generation) = claims?;
            let access = match state.access.get(id) {
                Some(access) => Some(access),
                None => {
                    // Read before the row, so that a change notified meanwhile keeps what was
                    // read out of the cache.
                    let generation = state.access.generation();
                    let found: Option<(UserRole, bool, i32, bool)> =
                        db::run(&state.pool, move |conn| {
                            Ok(users::table
                                .find(id)
                                .select((
                                    users::role,
                                    users::active,
                                    users::token_generation,
                                    users::also_agent,
                                ))
                                .first(conn)
                                .optional()?)
                        })
                        .await?;
                    found.map(|(role, active, token_generation, also_agent)| {
                        let access = Access {
                            role,
                            active,
                            token_generation,
                            also_agent,
                        };
                        state.access.insert(id, access, generation);
                        access
                    })
                }
            };
            match access {
                // A token issued before the user's last password change or log-out is over.
                Some(Access {
                    role,
                    active: true,
                    token_generation: current,
                    also_agent,
                }) if current == token_generation => {
                    // Per-user limit (429 with Retry-After), after authentication: an
                    // anonymous caller cannot use up someone's allowance.
                    state
                        .api_limiter
                        .check(id)
                        .map_err(|wait| ApiError::TooManyRequests(wait.as_secs().max(1)))?;
                    Ok(AuthUser {
                        id,
                        role,
                        also_agent,
                    })
                }
                _ => Err(ApiError::Unauthorized),
            }
        })
    }
}
