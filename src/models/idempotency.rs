//! Stored responses of idempotent POSTs, keyed by (staff member, `Idempotency-Key`).
//!
//! Protocol inside one transaction: take the key's advisory lock without waiting (a request with
//! the same key in flight → the caller answers 409); look the key up (found with the same request
//! hash → replay; another hash → 422); otherwise do the work and store the response, all in the
//! same transaction, so a key is stored if and only if its work was committed.

use crate::schema::idempotency_keys;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int8};
use sha2::{Digest, Sha256};

/// A stored response.
#[derive(Debug, Clone, Queryable)]
pub struct StoredResponse {
    /// SHA-256 of the request it answered.
    pub request_hash: Vec<u8>,
    /// HTTP status.
    pub status: i16,
    /// JSON body.
    pub body: serde_json::Value,
}

fn lock_key(user_id: i64, key: &str) -> i64 {
    let digest = Sha256::digest(format!("idempotency:{user_id}:{key}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    i64::from_be_bytes(bytes)
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Takes the transaction-scoped advisory lock of the key; false when another transaction holds it.
///
/// # Errors
/// Database errors.
pub fn try_lock_tx(conn: &mut PgConnection, user_id: i64, key: &str) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<Int8, _>(lock_key(user_id, key))
        .get_result::<Locked>(conn)
        .map(|l| l.locked)
}

/// The stored response of a key, if any.
///
/// # Errors
/// Database errors.
pub fn find(
    conn: &mut PgConnection,
    user_id: i64,
    key: &str,
) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .find((user_id, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()
}

/// Stores the response of a key.
///
/// # Errors
/// Database errors.
pub fn store_tx(
    conn: &mut PgConnection,
    user_id: i64,
    key: &str,
    request_hash: &[u8],
    status: i16,
    body: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}

/// SHA-256 of a request: method, path and the canonical form of its JSON body (keys sorted,
/// no insignificant whitespace), so the same document sent twice hashes the same.
pub fn request_hash(method: &str, path: &str, body: &serde_json::Value) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.to_string().as_bytes());
    hasher.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_document_hashes_the_same_whatever_its_key_order() {
        let a: serde_json::Value = serde_json::from_str(r#"{"a":1,"b":[1,2]}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{ "b": [1, 2], "a": 1 }"#).unwrap();
        let c: serde_json::Value = serde_json::from_str(r#"{"a":2,"b":[1,2]}"#).unwrap();
        assert_eq!(
            request_hash("POST", "/t", &a),
            request_hash("POST", "/t", &b)
        );
        assert_ne!(
            request_hash("POST", "/t", &a),
            request_hash("POST", "/t", &c)
        );
        assert_ne!(
            request_hash("POST", "/t", &a),
            request_hash("POST", "/u", &a)
        );
    }
}
