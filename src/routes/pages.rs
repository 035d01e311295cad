//! Pagination of the list endpoints: `{ "<items>": [...], "meta": { "next_cursor": ... } }`.
//!
//! `per_page` is 1–[`MAX_PER_PAGE`] (default [`DEFAULT_PER_PAGE`]). Lists ordered by id
//! (organizations, sites, customers, staff) page with an *id cursor*: the last id seen, sent back
//! as `cursor`. Tickets page with a *keyset cursor* on `(sort instant, id)`, opaque base64url.
//! A cursor that does not parse is a 422 on `cursor`.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest page.
pub const MAX_PER_PAGE: i64 = 100;
/// Page size when `per_page` is absent.
pub const DEFAULT_PER_PAGE: i64 = 25;

/// Pagination data of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListMeta {
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl ListMeta {
    /// The pagination of an id-ordered page of `len` rows asked with `limit`: the last id as
    /// cursor when the page is full, none otherwise.
    pub fn of_id_page(last_id: Option<i64>, len: usize, limit: i64) -> ListMeta {
        ListMeta {
            next_cursor: (len as i64 == limit)
                .then_some(last_id)
                .flatten()
                .map(|id| id.to_string()),
        }
    }
}

/// The page size: `per_page`, or [`DEFAULT_PER_PAGE`] when absent; 422 on `per_page` outside
/// 1–[`MAX_PER_PAGE`].
pub fn per_page(value: Option<i64>) -> Result<i64, ApiError> {
    let limit = value.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&limit) {
        return Err(ApiError::invalid_field(
            "per_page",
            format!("must be between 1 and {MAX_PER_PAGE}"),
        ));
    }
    Ok(limit)
}

/// The last id seen, from an id cursor; 422 on `cursor` when it is not a whole number.
pub fn parse_id_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| ApiError::invalid_field("cursor", "not a cursor of this list"))
        })
        .transpose()
}

/// The keyset cursor of the row at `(at, id)`: base64url of `"<unix microseconds>:<id>"`.
pub fn encode_keyset_cursor(at: DateTime<Utc>, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", at.timestamp_micros()))
}

/// The `(instant, id)` of a keyset cursor; 422 on `cursor` when it was not made by
/// [`encode_keyset_cursor`] or names an instant PostgreSQL cannot store.
pub fn decode_keyset_cursor(cursor: &str) -> Result<(DateTime<Utc>, i64), ApiError> {
    let bad = || ApiError::invalid_field("cursor", "not a cursor returned by this endpoint");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (micros, id) = text.split_once(':').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    let at = crate::domain::instant::check(at).map_err(|_| bad())?;
    Ok((at, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_to_the_microsecond() {
        let at = DateTime::from_timestamp_micros(1_263_372_025_123_456).unwrap();
        assert_eq!(
            decode_keyset_cursor(&encode_keyset_cursor(at, 42)).unwrap(),
            (at, 42)
        );
    }

    #[test]
    fn a_forged_cursor_is_a_422_on_the_cursor_field() {
        // The last one decodes to `-210866803200000001:1`: a valid chrono instant that
        // PostgreSQL cannot store.
        for bad in [
            "",
            "!!!",
            "bm90IGEgY3Vyc29y",
            "LTIxMDg2NjgwMzIwMDAwMDAwMTox",
        ] {
            let err = decode_keyset_cursor(bad).unwrap_err();
            assert!(
                matches!(&err, ApiError::Validation { errors, .. } if errors.contains_key("cursor")),
                "{bad}: {err:?}"
            );
        }
    }
}
