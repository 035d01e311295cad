//! `Idempotency-Key` on POSTs: a retry with the same key and body replays the stored response
//! (header `Idempotent-Replayed: true`), the same key with another body is 422, and a request
//! whose key is still in flight is 409 (the protocol of [`crate::models::idempotency`]).

use crate::error::ApiError;
use crate::models::idempotency;
use actix_web::HttpRequest;
use diesel::PgConnection;

/// What an idempotent POST answered.
#[derive(Debug)]
pub enum Outcome {
    /// Done now: status and body.
    New(u16, serde_json::Value),
    /// A replay of the stored status and body.
    Replay(u16, serde_json::Value),
}

impl Outcome {
    /// Status, body and whether it is a replay.
    pub fn into_parts(self) -> (u16, serde_json::Value, bool) {
        match self {
            Outcome::New(s, b) => (s, b, false),
            Outcome::Replay(s, b) => (s, b, true),
        }
    }
}

/// The request's `Idempotency-Key`, if any.
///
/// # Errors
/// 400 naming `Idempotency-Key` for a repeated header or a value that is not 1–255 visible
/// ASCII characters.
pub fn key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let bad = || {
        ApiError::bad_field(
            "Idempotency-Key",
            "must be one value of 1–255 visible ASCII characters",
        )
    };
    let mut values = req.headers().get_all("idempotency-key");
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(bad());
    }
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        })
        .ok_or_else(bad)?;
    Ok(Some(key.to_string()))
}

/// Runs `work` once per key inside the caller's transaction: replays a stored response, refuses
/// a reused key with another request (`hash`), or runs `work` and stores its response.
///
/// # Errors
/// 409 while the key is in flight; 422 naming `Idempotency-Key` for another request; the
/// errors of `work` (nothing is stored then).
pub fn run_tx(
    conn: &mut PgConnection,
    user_id: i64,
    key: Option<&str>,
    hash: &[u8],
    work: impl FnOnce(&mut PgConnection) -> Result<(u16, serde_json::Value), ApiError>,
) -> Result<Outcome, ApiError> {
    if let Some(key) = key {
        if !idempotency::try_lock_tx(conn, user_id, key)? {
            return Err(ApiError::conflict_on(
                "idempotency_in_flight",
                "Idempotency-Key",
                "a request with this key is still being processed; retry shortly",
            ));
        }
        if let Some(stored) = idempotency::find(conn, user_id, key)? {
            if stored.request_hash != hash {
                return Err(ApiError::invalid_field(
                    "Idempotency-Key",
                    "was already used for a different request",
                ));
            }
            let status = u16::try_from(stored.status).unwrap_or(200);
            return Ok(Outcome::Replay(status, stored.body));
        }
    }
    let (status, body) = work(conn)?;
    if let Some(key) = key {
        idempotency::store_tx(
            conn,
            user_id,
            key,
            hash,
            i16::try_from(status).unwrap_or(200),
            &body,
        )?;
    }
    Ok(Outcome::New(status, body))
}
