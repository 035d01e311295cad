//! Refresh tokens: 256 random bits, base64url; only their SHA-256 is stored. Each use rotates the
//! token (the old one is marked used, a new one of the same family is issued). Presenting a used
//! token again means it was stolen: the whole family is revoked.

use crate::schema::refresh_tokens;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What a presented refresh token turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// Valid: it is now used, and this is the staff member and the new token.
    Rotated {
        /// The token's owner.
        user_id: i64,
        /// Its replacement.
        token: String,
    },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used: the family has now been revoked.
    Reused,
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues a token for `user_id` in `family` (a new family when `None`), valid for `ttl`.
///
/// # Errors
/// Database errors.
pub fn issue_tx(
    conn: &mut PgConnection,
    user_id: i64,
    family: Option<Uuid>,
    now: DateTime<Utc>,
    ttl: Duration,
) -> QueryResult<String> {
    let token = new_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::token_hash.eq(digest(&token)),
            refresh_tokens::family_id.eq(family.unwrap_or_else(Uuid::now_v7)),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Uses `token`: see [`Rotation`]. Call inside a transaction; the row is locked while checked.
///
/// # Errors
/// Database errors.
pub fn rotate_tx(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> QueryResult<Rotation> {
    type Row = (
        i64,
        i64,
        Uuid,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest(token)))
        .select((
            refresh_tokens::id,
            refresh_tokens::user_id,
            refresh_tokens::family_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked_at,
        ))
        .for_update()
        .first(conn)
        .optional()?;
    let Some((id, user_id, family, expires_at, used_at, revoked_at)) = row else {
        return Ok(Rotation::Invalid);
    };
    if revoked_at.is_some() || expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    if used_at.is_some() {
        revoke_family_tx(conn, family, now)?;
        return Ok(Rotation::Reused);
    }
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)?;
    let token = issue_tx(conn, user_id, Some(family), now, ttl)?;
    Ok(Rotation::Rotated { user_id, token })
}

/// Revokes every token of the family of `token` (log-out). Unknown tokens are ignored. Returns
/// the token's user when the token was live (not spent, revoked or expired): only then is it a
/// log-out that ends the user's access tokens.
///
/// # Errors
/// Database errors.
pub fn revoke_tx(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<i64>> {
    type Found = (
        Uuid,
        i64,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let found: Option<Found> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest(token)))
        .select((
            refresh_tokens::family_id,
            refresh_tokens::user_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked_at,
        ))
        .first(conn)
        .optional()?;
    let Some((family, user, expires_at, used_at, revoked_at)) = found else {
        return Ok(None);
    };
    revoke_family_tx(conn, family, now)?;
    // Only a token that could still be used is a log-out of its user: a spent, revoked or
    // expired one (say, kept from before a password change) ends nothing more.
    let live = used_at.is_none() && revoked_at.is_none() && expires_at > now;
    Ok(live.then_some(user))
}

fn revoke_family_tx(conn: &mut PgConnection, family: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}
