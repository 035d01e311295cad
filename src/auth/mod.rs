//! Staff authentication and authorization.
//!
//! - [`password`]: argon2id hashing, a dummy hash for unknown emails (constant work).
//! - [`jwt`]: short-lived HS256 access tokens (`iss`, `aud`, `exp`, `nbf`, `sub` required).
//! - [`refresh`]: opaque refresh tokens, stored hashed, rotated on use, revocable by family.
//! - [`extract`]: the [`extract::AuthUser`] extractor and role checks.
//! - [`access`]: the per-process cache of staff roles that the extractor reads, invalidated by
//!   `LISTEN`/`NOTIFY`.
//! - [`rate_limit`]: login attempt limits per email and per client address.
//! - [`session`]: the dashboard's cookie sessions and their CSRF tokens.

pub mod access;
pub mod extract;
pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod refresh;
pub mod session;
