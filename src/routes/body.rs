//! [`JsonBody`]: a JSON request body parsed with the path of the failing field.
//!
//! - not `application/json` → 415; larger than the limit → 413;
//! - malformed JSON → 400 (`bad_request`, field `body`);
//! - well-formed JSON that does not fit (unknown field, missing field, wrong type, unknown enum
//!   value) → 422 (`validation_failed`) naming the field's path, e.g. `requester.email`.
//!
//! A number with a zero fraction (`2.0`, `1e3`) is the integer it spells, as JSON Schema reads it
//! (the OpenAPI document's `integer` fields admit it): it fits an integer field, up to 2^53.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// Largest accepted JSON body, bytes: 512 KiB, so that the longest comment or description
/// (65,536 characters, [`crate::routes::fields::parse_comment`]) fits even when every character
/// takes 6 bytes of JSON (`\u0001`); 64 KiB could not carry one of 65,536 characters at all.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// A parsed JSON body, with the raw bytes kept (idempotency keys hash them).
pub struct JsonBody<T> {
    /// The parsed value.
    pub value: T,
    /// The bytes as received.
    pub raw: Bytes,
}

/// Parses `bytes` into `T`, naming the failing field.
///
/// # Errors
/// 400 for malformed JSON, 422 for JSON that does not fit `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Two steps, so that syntax (400) and fit (422) are told apart reliably.
    let mut json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_field("body", format!("malformed JSON: {}", strip_position(&e)))
    })?;
    whole_numbers_as_integers(&mut json);
    if !json.is_object() {
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    if let Some(path) = find_nul(&json, String::new()) {
        return Err(ApiError::invalid_field(
            if path.is_empty() { "body" } else { &path },
            "must not contain NUL characters",
        ));
    }
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let message = strip_position(e.inner());
        // A missing field is reported at its parent's path: name the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_string(),
            (parent, Some(name)) => format!("{parent}.{name}"),
            (".", None) => "body".to_string(),
            (_, None) => path.clone(),
        };
        let message = if missing.is_some() {
            "is required".to_string()
        } else {
            message
        };
        ApiError::invalid_field(&field, message)
    })
}

/// Largest magnitude up to which every whole number has an exact `f64` spelling (2^53).
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// Rewrites every number spelled with a zero fraction (`2.0`, `1e3`) as the integer it is, so that
/// it fits an integer field as JSON Schema says it does; beyond 2^53 a float names no one
/// integer and stays a float (a 422 on an integer field).
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() <= EXACT_F64
            {
                // In range and whole: the cast is exact.
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// The path (`requester.name`, `tags[2]`) of the first string or key holding a NUL character,
/// which PostgreSQL text cannot store.
fn find_nul(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(child)
            } else {
                find_nul(v, child)
            }
        }),
        _ => None,
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string()
}

/// How long a request's body may take to arrive (`application.body_read_timeout_seconds`; 30 s
/// without the application's settings).
pub fn body_timeout(req: &HttpRequest) -> std::time::Duration {
    std::time::Duration::from_secs(
        req.app_data::<actix_web::web::Data<crate::state::AppState>>()
            .map_or(30, |s| s.settings.application.body_read_timeout_seconds),
    )
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        let timeout = body_timeout(req);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType("application/json"));
            }
            if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
                return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
            }
            let read = async {
                let mut body = actix_web::web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|e| ApiError::bad_field("body", e.to_string()))?;
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            let body = tokio::time::timeout(timeout, read)
                .await
                .map_err(|_| ApiError::RequestTimeout(timeout.as_secs()))??;
            let raw = body.freeze();
            let value = parse(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Ids {
        id: i64,
        ids: Vec<i64>,
        ratio: f64,
    }

    #[test]
    fn a_whole_number_spelled_as_a_float_is_that_integer() {
        let ids: Ids = parse(br#"{"id": 1864.0, "ids": [2, 3.0, 1e3, -4.0], "ratio": 2}"#).unwrap();
        assert_eq!(
            (ids.id, ids.ids, ids.ratio),
            (1864, vec![2, 3, 1000, -4], 2.0)
        );
        let ids: Ids = parse(br#"{"id": 9007199254740992.0, "ids": [], "ratio": 0.5}"#).unwrap();
        assert_eq!((ids.id, ids.ratio), (9_007_199_254_740_992, 0.5));
        for (body, field) in [
            (r#"{"id": 1.5, "ids": [], "ratio": 1}"#, "id"),
            (r#"{"id": 1, "ids": [2.25], "ratio": 1}"#, "ids[0]"),
            (r#"{"id": 1e19, "ids": [], "ratio": 1}"#, "id"),
        ] {
            match parse::<Ids>(body.as_bytes()) {
                Err(ApiError::Validation { errors, .. }) => {
                    assert!(errors.contains_key(field), "{body}: {errors:?}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        email: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        priority: crate::domain::ticket::TicketPriority,
        requester: Option<Inner>,
    }

    fn field_of(body: &str) -> (u16, String) {
        use actix_web::ResponseError;
        match parse::<Outer>(body.as_bytes()) {
            Ok(_) => (200, String::new()),
            Err(e) => {
                let status = e.status_code().as_u16();
                let field = match &e {
                    ApiError::Validation { errors, .. } | ApiError::BadRequest { errors, .. } => {
                        errors.keys().next().cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                };
                (status, field)
            }
        }
    }

    #[test]
    fn each_kind_of_bad_body_names_its_field() {
        assert_eq!(field_of(r#"{"priority":"low"}"#), (200, String::new()));
        assert_eq!(
            field_of(r#"{"priority":"whenever"}"#),
            (422, "priority".into())
        );
        assert_eq!(field_of(r#"{"priority":1}"#), (422, "priority".into()));
        assert_eq!(
            field_of(r#"{"priority":"low","requester":{"email":5}}"#),
            (422, "requester.email".into())
        );
        assert_eq!(
            field_of(r#"{"priority":"low","colour":"red"}"#),
            (422, "colour".into())
        );
        assert_eq!(
            field_of(r#"{}"#),
            (422, "priority".into()),
            "a missing field is named"
        );
        assert_eq!(
            field_of(r#"{"priority":"low","requester":{}}"#),
            (422, "requester.email".into())
        );
        assert_eq!(field_of(r#"[]"#), (422, "body".into()));
        assert_eq!(
            field_of(r#"["low", null]"#),
            (422, "body".into()),
            "no arrays as objects"
        );
        assert_eq!(
            field_of(r#"{"priority":"low","requester":{"email":"a\u0000b"}}"#),
            (422, "requester.email".into())
        );
        assert_eq!(field_of(r#"{"priority":"low""#), (400, "body".into()));
        assert_eq!(
            field_of(r#"{"priority":"low","requester":{"email":5.0}}"#),
            (422, "requester.email".into()),
            "a whole float is still a number"
        );
        assert_eq!(
            field_of(r#"{"priority":"low"} trailing"#),
            (400, "body".into())
        );
        assert_eq!(field_of(""), (400, "body".into()));
    }
}

/// Query parameters parsed with the name of the failing parameter: an unknown or repeated
/// parameter is a 400 naming it; a value of the wrong type (e.g. `per_page=abc`) is a 422 naming
/// it.
pub struct QueryParams<T>(pub T);

/// Parses a query string into `T`; see [`QueryParams`].
///
/// # Errors
/// 400 or 422 naming the parameter.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    if let Some((name, _)) = url_pairs(query).find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(ApiError::invalid_field(
            &crate::routes::fields::clip(&name.replace('\0', "")),
            "must not contain NUL characters",
        ));
    }
    let de = serde_urlencoded::Deserializer::new(url_pairs(query));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let quoted = message.split('`').nth(1).map(crate::routes::fields::clip);
        if message.starts_with("unknown field") {
            let name = quoted.unwrap_or_else(|| "query".into());
            ApiError::bad_field(&name, "unknown parameter")
        } else if message.starts_with("missing field") {
            let name = quoted.unwrap_or_else(|| "query".into());
            ApiError::invalid_field(&name, "is required")
        } else if message.starts_with("duplicate field") {
            let name = quoted.unwrap_or_else(|| "query".into());
            ApiError::bad_field(&name, "given more than once")
        } else if path == "." {
            ApiError::bad_field("query", crate::routes::fields::clip(&message))
        } else {
            ApiError::invalid_field(&path, crate::routes::fields::clip(&message))
        }
    })
}

fn url_pairs(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(QueryParams))
    }
}

impl<T> std::ops::Deref for QueryParams<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        per_page: Option<i64>,
        status: Option<String>,
    }

    fn outcome(q: &str) -> (u16, String) {
        use actix_web::ResponseError;
        match parse_query::<Q>(q) {
            Ok(_) => (200, String::new()),
            Err(e) => {
                let field = match &e {
                    ApiError::Validation { errors, .. } | ApiError::BadRequest { errors, .. } => {
                        errors.keys().next().cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                };
                (e.status_code().as_u16(), field)
            }
        }
    }

    #[test]
    fn each_bad_parameter_is_named() {
        assert_eq!(outcome("per_page=5&status=open"), (200, String::new()));
        assert_eq!(outcome(""), (200, String::new()));
        assert_eq!(outcome("per_page=abc"), (422, "per_page".into()));
        assert_eq!(outcome("per_page=1.5"), (422, "per_page".into()));
        assert_eq!(
            outcome("per_page=99999999999999999999"),
            (422, "per_page".into())
        );
        assert_eq!(outcome("colour=blue"), (400, "colour".into()));
        assert_eq!(outcome("per_page=1&per_page=2"), (400, "per_page".into()));
        assert_eq!(
            outcome("status=%ff"),
            (200, String::new()),
            "lossy UTF-8, then validated"
        );
    }
}
