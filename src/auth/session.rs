//! The managers' dashboard's browser sessions (docs/DASHBOARD.md): a random 32-byte token in
//! the `frontline_session` cookie, stored only as its SHA-256 in `dashboard_sessions`, with the
//! session's own CSRF token (the hidden field of every form, compared in constant time).
//!
//! A session is valid until its `expires_at` unless revoked (log-out, or every session of the
//! account ended by a password change). Its staff member's role and active flag are read with
//! the session on every request, so a deactivation or a role change applies at once.

use crate::models::enums::UserRole;
use crate::schema::{dashboard_sessions, users};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

/// The name of the session cookie.
pub const COOKIE: &str = "frontline_session";

/// How long a session lasts from its log-in, hours (a working day and a half; no sliding).
pub const TTL_HOURS: i64 = 12;

/// A session as a request sees it: whose it is, with the staff member's current role and
/// active flag, and the CSRF token of its forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's row id.
    pub id: i64,
    /// The staff member.
    pub user_id: i64,
    /// Their role now.
    pub role: UserRole,
    /// Whether their account is active now.
    pub active: bool,
    /// Their display name.
    pub name: String,
    /// The session's CSRF token (base64url of 32 random bytes).
    pub csrf_token: String,
}

/// A new random token: 32 bytes, base64url without padding (43 characters).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a token, as stored.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Equality of two secrets in constant time: their SHA-256 digests (equal lengths whatever the
/// inputs) are compared with every byte examined.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    let difference = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Starts a session for `user_id` at `now`, valid [`TTL_HOURS`]; returns the cookie's token
/// (the only copy: the table keeps its hash). The staff member's sessions that ended more than
/// a day ago (expired or revoked) are deleted on the way, so the table stays small.
///
/// # Errors
/// Database errors.
pub fn create_tx(conn: &mut PgConnection, user_id: i64, now: DateTime<Utc>) -> QueryResult<String> {
    let token = random_token();
    let day_ago = now - Duration::days(1);
    diesel::delete(
        dashboard_sessions::table
            .filter(dashboard_sessions::user_id.eq(user_id))
            .filter(
                dashboard_sessions::expires_at
                    .lt(day_ago)
                    .or(dashboard_sessions::revoked_at.lt(day_ago)),
            ),
    )
    .execute(conn)?;
    diesel::insert_into(dashboard_sessions::table)
        .values((
            dashboard_sessions::token_hash.eq(digest(&token)),
            dashboard_sessions::user_id.eq(user_id),
            dashboard_sessions::csrf_secret.eq(random_token()),
            dashboard_sessions::created_at.eq(now),
            dashboard_sessions::expires_at.eq(now + Duration::hours(TTL_HOURS)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The session of cookie token `token` at `now`: `None` when unknown, expired or revoked.
///
/// # Errors
/// Database errors.
pub fn find(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<Session>> {
    dashboard_sessions::table
        .inner_join(users::table)
        .filter(dashboard_sessions::token_hash.eq(digest(token)))
        .filter(dashboard_sessions::revoked_at.is_null())
        .filter(dashboard_sessions::expires_at.gt(now))
        .select((
            dashboard_sessions::id,
            dashboard_sessions::user_id,
            users::role,
            users::active,
            users::name,
            dashboard_sessions::csrf_secret,
        ))
        .first::<(i64, i64, UserRole, bool, String, String)>(conn)
        .optional()
        .map(|row| {
            row.map(|(id, user_id, role, active, name, csrf_token)| Session {
                id,
                user_id,
                role,
                active,
                name,
                csrf_token,
            })
        })
}

/// Revokes session `id` (log-out); true when it was still valid.
///
/// # Errors
/// Database errors.
pub fn revoke(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(
        dashboard_sessions::table
            .find(id)
            .filter(dashboard_sessions::revoked_at.is_null()),
    )
    .set(dashboard_sessions::revoked_at.eq(now))
    .execute(conn)
    .map(|n| n > 0)
}

/// Revokes every session of staff member `user_id` (a password change); returns how many.
///
/// # Errors
/// Database errors.
pub fn revoke_all_tx(
    conn: &mut PgConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        dashboard_sessions::table
            .filter(dashboard_sessions::user_id.eq(user_id))
            .filter(dashboard_sessions::revoked_at.is_null()),
    )
    .set(dashboard_sessions::revoked_at.eq(now))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_43_characters_and_compare_in_constant_time() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(same_secret(a.as_bytes(), a.as_bytes()));
        assert!(!same_secret(a.as_bytes(), b.as_bytes()));
        assert!(!same_secret(b"", a.as_bytes()));
        assert_eq!(digest(&a).len(), 32);
    }
}
