//! Tracing subscriber set-up: pretty logs locally, JSON in production; `RUST_LOG` overrides the
//! configured filter. The request root span (with `request_id`) comes from tracing-actix-web.

use crate::configuration::LogFormat;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber writing to stderr. Safe to call more than once (later calls are
/// ignored), which tests rely on.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Pretty => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
}

/// The request root span of tracing-actix-web, with the request target redacted
/// ([`redact_target`]): capability tokens in paths (survey and unsubscribe links) and secrets
/// in query strings never reach the logs.
pub struct RedactedRootSpan;

/// A request seen through [`redact_target`]: the root span macro reads `uri()` from here and
/// everything else from the request.
struct Redacted<'a> {
    request: &'a actix_web::dev::ServiceRequest,
    uri: actix_web::http::Uri,
}

impl Redacted<'_> {
    fn uri(&self) -> &actix_web::http::Uri {
        &self.uri
    }
}

impl std::ops::Deref for Redacted<'_> {
    type Target = actix_web::dev::ServiceRequest;
    fn deref(&self) -> &actix_web::dev::ServiceRequest {
        self.request
    }
}

/// `path?query` as logged: the token of `/surveys/{token}` and `/unsubscribe/{token}` becomes
/// `[redacted]`, and so do the values of the query parameters `access_token`, `token`,
/// `refresh_token` and `q` (search text may hold a customer's details).
pub fn redact_target(path: &str, query: Option<&str>) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    let mut redact_next = false;
    let mut first = true;
    for segment in path.split('/') {
        if !first {
            out.push('/');
        }
        first = false;
        if redact_next && !segment.is_empty() {
            out.push_str("[redacted]");
        } else {
            out.push_str(segment);
        }
        redact_next =
            matches!(segment, "surveys" | "unsubscribe") && out.len() == segment.len() + 1;
    }
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if matches!(k, "access_token" | "token" | "refresh_token" | "q") => {
                    format!("{k}=[redacted]")
                }
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

impl tracing_actix_web::RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let target = redact_target(request.path(), request.uri().query());
        let uri = target
            .parse()
            .unwrap_or_else(|_| actix_web::http::Uri::from_static("/"));
        let request = &Redacted { request, uri };
        tracing_actix_web::root_span!(request)
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::redact_target;

    #[test]
    fn tokens_and_secrets_in_targets_are_redacted() {
        assert_eq!(
            redact_target("/surveys/eyJhbGciOi.x.y", Some("score=5")),
            "/surveys/[redacted]?score=5"
        );
        assert_eq!(
            redact_target("/unsubscribe/abc", None),
            "/unsubscribe/[redacted]"
        );
        assert_eq!(
            redact_target(
                "/api/v1/tickets",
                Some("q=Rosa%20Diaz&status=open&token=s3cret")
            ),
            "/api/v1/tickets?q=[redacted]&status=open&token=[redacted]"
        );
        assert_eq!(
            redact_target("/api/v1/tickets/5/surveys", None),
            "/api/v1/tickets/5/surveys"
        );
    }
}
