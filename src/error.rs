//! `ApiError` and its RFC 9457 `application/problem+json` body.
//!
//! Body shape: `{ "type", "title", "status", "detail", "code", "errors": { field: [messages] },
//! "request_id" }`. 5xx bodies are generic; their cause is logged once, here, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use std::collections::BTreeMap;

tokio::task_local! {
    /// The id of the request being served (set by the middleware in `startup`), so that problem
    /// bodies can carry it.
    pub static REQUEST_ID: String;
}

/// Field name → messages.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Every error a handler can return.
#[derive(thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be parsed (malformed JSON, bad query string).
    #[error("{detail}")]
    BadRequest {
        /// Human-readable detail.
        detail: String,
        /// Failing fields.
        errors: FieldErrors,
    },
    /// 422: the request parsed but a value is not acceptable.
    #[error("{detail}")]
    Validation {
        /// Human-readable detail.
        detail: String,
        /// Failing fields.
        errors: FieldErrors,
    },
    /// 401: missing, invalid or expired credentials. Every authentication failure answers the
    /// same body (+ `WWW-Authenticate: Bearer`).
    #[error("authentication failed")]
    Unauthorized,
    /// 403: authenticated, but the role does not allow this.
    #[error("your role does not allow this")]
    Forbidden,
    /// 403 naming what the role may not do (e.g. a manager's public reply: `public`).
    #[error("{detail}")]
    ForbiddenField {
        /// Human-readable detail.
        detail: String,
        /// The fields the role may not set → why.
        errors: FieldErrors,
    },
    /// 408: the request's body did not arrive within this many seconds (a slow or stalled
    /// client is cut off).
    #[error("the request body did not arrive within {0} s")]
    RequestTimeout(u64),
    /// 429: too many attempts; retry after this many seconds (`Retry-After`).
    #[error("too many attempts; retry in {0} s")]
    TooManyRequests(u64),
    /// 404: no such resource (or the caller may not know it exists).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: the request conflicts with the current state (duplicate, refused transition).
    #[error("{detail}")]
    Conflict {
        /// Stable code, e.g. `duplicate` or `invalid_transition`.
        code: &'static str,
        /// Human-readable detail.
        detail: String,
        /// Fields in conflict (e.g. a duplicate `email`).
        errors: FieldErrors,
    },
    /// 412: `If-Match` names an older version than the current one.
    #[error("the ticket changed since version {given}; it is now version {current}")]
    PreconditionFailed {
        /// Version the client had.
        given: String,
        /// Current version.
        current: i32,
    },
    /// 428: the request must carry `If-Match`.
    #[error("this request needs an If-Match header with the ticket's ETag")]
    PreconditionRequired,
    /// 405: the resource does not support the method; `Allow` lists those it does.
    #[error("this resource supports only {0}")]
    MethodNotAllowed(&'static str),
    /// 415: the body is not of an accepted media type (`application/json` for JSON bodies): the
    /// types accepted, for the message.
    #[error("the request body must be {0}")]
    UnsupportedMediaType(&'static str),
    /// 413: the body is larger than allowed.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 413 naming the field whose value is too large (an attachment over
    /// `attachments.max_bytes`: `attachments`).
    #[error("{detail}")]
    PayloadTooLargeField {
        /// Human-readable detail.
        detail: String,
        /// The field → why.
        errors: FieldErrors,
    },
    /// 503: a dependency (the database) is unavailable.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the cause is logged, never sent.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// `ApiResult<T>`: what handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            writeln!(f, "Caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl ApiError {
    /// A 422 for one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::Validation {
            detail: format!("{field}: {message}"),
            errors: BTreeMap::from([(field.to_string(), vec![message])]),
        }
    }

    /// A 403 for one field the caller's role may not set (`errors` names it).
    pub fn forbidden_field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::ForbiddenField {
            detail: format!("{field}: {message}"),
            errors: BTreeMap::from([(field.to_string(), vec![message])]),
        }
    }

    /// A 413 for one field whose value is too large.
    pub fn too_large_field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::PayloadTooLargeField {
            detail: format!("{field}: {message}"),
            errors: BTreeMap::from([(field.to_string(), vec![message])]),
        }
    }

    /// A 400 for one field (a value that does not parse).
    pub fn bad_field(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::BadRequest {
            detail: format!("{field}: {message}"),
            errors: BTreeMap::from([(field.to_string(), vec![message])]),
        }
    }

    /// The stable snake_case code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Validation { .. } => "validation_failed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden | ApiError::ForbiddenField { .. } => "forbidden",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict { code, .. } => code,
            ApiError::PreconditionFailed { .. } => "version_mismatch",
            ApiError::PreconditionRequired => "if_match_required",
            ApiError::PayloadTooLarge(_) | ApiError::PayloadTooLargeField { .. } => {
                "payload_too_large"
            }
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Unexpected(_) => "internal_error",
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI reference naming the problem type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Stable machine-readable code (snake_case).
    pub code: String,
    /// Failing fields → messages (empty when not about fields).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: FieldErrors,
    /// The request id (also in the `x-request-id` header); absent outside a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    /// The problem details of this error, as its response carries them (the per-ticket result
    /// of a bulk update carries one too). An unexpected error's detail is the generic one, as
    /// in a response; it is not logged here.
    pub fn problem(&self) -> Problem {
        let detail = match self {
            ApiError::Unexpected(_) => "The server could not complete the request.".to_string(),
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::BadRequest { errors, .. }
            | ApiError::Validation { errors, .. }
            | ApiError::ForbiddenField { errors, .. }
            | ApiError::Conflict { errors, .. } => errors.clone(),
            _ => FieldErrors::new(),
        };
        self.problem_with(detail, errors)
    }

    fn problem_with(&self, detail: String, errors: FieldErrors) -> Problem {
        let status = self.status_code();
        Problem {
            type_: format!("https://frontline.dev/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: self.code().to_string(),
            errors,
            request_id: REQUEST_ID.try_with(Clone::clone).ok(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::ForbiddenField { .. } => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge(_) | ApiError::PayloadTooLargeField { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Unexpected(_) => {
                tracing::error!(error = ?self, "request failed");
                "The server could not complete the request.".to_string()
            }
            ApiError::Unavailable(_) => {
                tracing::warn!(error = ?self, "dependency unavailable");
                "A dependency of the service is unavailable; try again shortly.".to_string()
            }
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::BadRequest { errors, .. }
            | ApiError::Validation { errors, .. }
            | ApiError::ForbiddenField { errors, .. }
            | ApiError::PayloadTooLargeField { errors, .. }
            | ApiError::Conflict { errors, .. } => errors.clone(),
            _ => FieldErrors::new(),
        };
        let problem = self.problem_with(detail, errors);
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            ApiError::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, *allow));
            }
            ApiError::TooManyRequests(seconds) => {
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            ApiError::Unauthorized => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"frontline\""),
                ));
            }
            _ => {}
        }
        response.json(problem)
    }
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> ApiError {
        match &e {
            DieselError::NotFound => ApiError::NotFound("resource"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => ApiError::Conflict {
                    code: "duplicate",
                    detail: format!(
                        "already exists ({})",
                        info.constraint_name().unwrap_or("unique constraint")
                    ),
                    errors: FieldErrors::new(),
                },
                DatabaseErrorKind::ForeignKeyViolation | DatabaseErrorKind::CheckViolation => {
                    let field = info.constraint_name().unwrap_or("value").to_string();
                    ApiError::Validation {
                        detail: format!("constraint {field} refused the value"),
                        errors: BTreeMap::from([(field, vec!["refused by a constraint".into()])]),
                    }
                }
                DatabaseErrorKind::SerializationFailure => ApiError::Conflict {
                    code: "concurrent_update",
                    detail: "a concurrent change conflicted; retry".into(),
                    errors: FieldErrors::new(),
                },
                DatabaseErrorKind::ClosedConnection => ApiError::Unavailable(e.to_string()),
                _ if info.message().contains("statement timeout") => ApiError::Unavailable(
                    "the query took longer than database.statement_timeout_seconds; narrow the \
                     period or the filters, or retry later"
                        .into(),
                ),
                _ => ApiError::Unexpected(e.into()),
            },
            _ => ApiError::Unexpected(e.into()),
        }
    }
}

impl ApiError {
    /// The `map_err` of a query for one row: diesel's `NotFound` becomes a 404 naming `entity`
    /// (`"ticket"`, `"site"`, …); other errors map as `From<diesel::result::Error>` does.
    ///
    /// `repo.get(conn, id).map_err(ApiError::not_found("site"))`
    pub fn not_found(entity: &'static str) -> impl Fn(DieselError) -> ApiError {
        move |e| match e {
            DieselError::NotFound => ApiError::NotFound(entity),
            other => other.into(),
        }
    }

    /// As [`ApiError::not_found`] for a write of one row, and named constraint violations as
    /// [`on_constraint`] maps them (a 409 or 422 on the constraint's field).
    pub fn not_found_or_constraint<'a>(
        entity: &'static str,
        fields: &'a [(&'a str, &'a str, &'a str)],
    ) -> impl Fn(DieselError) -> ApiError + 'a {
        move |e| match e {
            DieselError::NotFound => ApiError::NotFound(entity),
            other => on_constraint(other, fields),
        }
    }

    /// The same error with its field names under `prefix` (`technician_id` of a nested
    /// `follow_up` becomes `follow_up.technician_id`); other errors unchanged.
    pub fn prefixed(self, prefix: &str) -> ApiError {
        let rename = |errors: FieldErrors| -> FieldErrors {
            errors
                .into_iter()
                .map(|(k, v)| (format!("{prefix}{k}"), v))
                .collect()
        };
        match self {
            ApiError::Validation { detail, errors } => ApiError::Validation {
                detail: format!("{prefix}{detail}"),
                errors: rename(errors),
            },
            ApiError::Conflict {
                code,
                detail,
                errors,
            } => ApiError::Conflict {
                code,
                detail: format!("{prefix}{detail}"),
                errors: rename(errors),
            },
            other => other,
        }
    }

    /// A 409 naming one field.
    pub fn conflict_on(code: &'static str, field: &str, message: &str) -> ApiError {
        ApiError::Conflict {
            code,
            detail: format!("{field}: {message}"),
            errors: BTreeMap::from([(field.to_string(), vec![message.to_string()])]),
        }
    }
}

/// Maps named constraint violations to field errors: each `(constraint, field, message)` turns a
/// unique violation into a 409 and a foreign-key or check violation into a 422 on `field`; other
/// errors map as `From<diesel::result::Error>` does.
pub fn on_constraint(e: DieselError, fields: &[(&str, &str, &str)]) -> ApiError {
    if let DieselError::DatabaseError(kind, info) = &e
        && let Some(name) = info.constraint_name()
        && let Some((_, field, message)) = fields.iter().find(|(c, _, _)| *c == name)
    {
        return match kind {
            DatabaseErrorKind::UniqueViolation => {
                ApiError::conflict_on("duplicate", field, message)
            }
            _ => ApiError::invalid_field(field, *message),
        };
    }
    e.into()
}

/// The name of the constraint a database error violated, if any.
pub fn constraint_name(e: &DieselError) -> Option<&str> {
    match e {
        DieselError::DatabaseError(_, info) => info.constraint_name(),
        _ => None,
    }
}

/// Turns actix extractor failures (malformed JSON, bad query or path) into problem+json 400s.
pub fn extractor_error(err: impl std::fmt::Display, field: &str) -> actix_web::Error {
    ApiError::bad_field(field, err.to_string()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn status_of(e: ApiError) -> u16 {
        e.status_code().as_u16()
    }

    #[test]
    fn each_variant_has_its_documented_status() {
        assert_eq!(status_of(ApiError::bad_field("x", "bad")), 400);
        assert_eq!(status_of(ApiError::invalid_field("x", "bad")), 422);
        assert_eq!(status_of(ApiError::NotFound("ticket")), 404);
        assert_eq!(status_of(ApiError::Unauthorized), 401);
        assert_eq!(status_of(ApiError::Forbidden), 403);
        assert_eq!(status_of(ApiError::TooManyRequests(12)), 429);
        assert_eq!(
            status_of(ApiError::Conflict {
                code: "duplicate",
                detail: String::new(),
                errors: FieldErrors::new()
            }),
            409
        );
        assert_eq!(status_of(ApiError::Unavailable("db".into())), 503);
        assert_eq!(status_of(ApiError::Unexpected(anyhow::anyhow!("x"))), 500);
        assert_eq!(status_of(DieselError::NotFound.into()), 404);
        let named = ApiError::not_found("site")(DieselError::NotFound);
        assert!(matches!(named, ApiError::NotFound("site")), "{named:?}");
        let named = ApiError::not_found_or_constraint("site", &[])(DieselError::NotFound);
        assert!(matches!(named, ApiError::NotFound("site")), "{named:?}");
        assert_eq!(
            status_of(ApiError::not_found("site")(
                DieselError::RollbackTransaction
            )),
            500
        );
        assert_eq!(
            status_of(DieselError::RollbackTransaction.into()),
            500,
            "unknown diesel errors are opaque 500s"
        );
    }

    #[test]
    fn a_500_body_is_generic_problem_json() {
        let e = ApiError::Unexpected(anyhow::anyhow!("password=hunter2 leaked"));
        let response = e.error_response();
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let body = response.into_body().try_into_bytes().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], 500);
        assert_eq!(json["code"], "internal_error");
        assert!(!String::from_utf8_lossy(&body).contains("hunter2"));
    }

    #[test]
    fn a_429_says_when_to_retry_and_a_401_names_the_scheme() {
        let r = ApiError::TooManyRequests(12).error_response();
        assert_eq!(r.headers().get(header::RETRY_AFTER).unwrap(), "12");
        let r = ApiError::Unauthorized.error_response();
        assert_eq!(
            r.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer realm=\"frontline\""
        );
    }

    #[test]
    fn a_field_error_names_the_field() {
        let body = ApiError::invalid_field("status", "unknown status `x`")
            .error_response()
            .into_body()
            .try_into_bytes()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["errors"]["status"][0], "unknown status `x`");
        assert_eq!(json["code"], "validation_failed");
    }
}
