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
        // Colours only on a terminal; the escaping below keeps their escape sequences (our own)
        // only then.
        LogFormat::Pretty => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            registry
                .with(
                    fmt::layer()
                        .with_ansi(ansi)
                        .with_writer(move || OneLine::new(std::io::stderr(), ansi)),
                )
                .try_init()
        }
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

/// A log writer that keeps each event on one line whatever a client put in it (a field name of
/// a refused body, a user agent, a header): a line break or carriage return inside the event
/// is written `\n` / `\r`, and other control characters as `\u{..}` — ESC too, unless the
/// pretty format colours its own output (`ansi`: a terminal). JSON logs escape on their own.
/// The fmt layer writes each event with one `write_all`, ending with its line break.
pub struct OneLine<W> {
    inner: W,
    ansi: bool,
}

impl<W: std::io::Write> OneLine<W> {
    /// Escapes what is written to `inner`.
    pub fn new(inner: W, ansi: bool) -> OneLine<W> {
        OneLine { inner, ansi }
    }
}

/// `text` with every control character but a final line break escaped (ESC kept when `ansi`).
pub fn one_line(text: &str, ansi: bool) -> String {
    let (body, end) = match text.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (text, ""),
    };
    let mut out = String::with_capacity(text.len());
    for c in body.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            '\u{1b}' if ansi => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push_str(end);
    out
}

impl<W: std::io::Write> std::io::Write for OneLine<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner
            .write_all(one_line(&text, self.ansi).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The request root span (tracing-actix-web's fields), with the request target redacted
/// ([`redact_target`]: capability tokens in paths and secrets in query strings never reach the
/// logs) and the client's address, host and scheme taken from forwarding headers only behind a
/// trusted proxy ([`Client`]).
pub struct RedactedRootSpan;

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

/// Who sent a request, as logged and as the log-in limits count it: the peer's address, the
/// `Host` header and the connection's scheme — or, when the peer is one of
/// `application.trusted_proxies`, what its `Forwarded` / `X-Forwarded-*` headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address.
    pub ip: Option<std::net::IpAddr>,
    /// The host it asked for.
    pub host: String,
    /// `http` or `https`.
    pub scheme: String,
}

impl Client {
    /// The client of `request`, believing forwarding headers only from `trusted` peers.
    pub fn of(request: &actix_web::HttpRequest, trusted: &[std::net::IpAddr]) -> Client {
        let peer = request.peer_addr().map(|a| a.ip());
        if peer.is_some_and(|p| trusted.contains(&p)) {
            let info = request.connection_info();
            let forwarded = info
                .realip_remote_addr()
                .and_then(|a| {
                    a.parse::<std::net::IpAddr>()
                        .ok()
                        .or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
                })
                .or(peer);
            return Client {
                ip: forwarded,
                host: info.host().to_string(),
                scheme: info.scheme().to_string(),
            };
        }
        let config = request.app_config();
        Client {
            ip: peer,
            host: request
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_else(|| config.host())
                .to_string(),
            scheme: if config.secure() { "https" } else { "http" }.to_string(),
        }
    }
}

impl tracing_actix_web::RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let trusted = request
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .map(|s| s.settings.application.trusted_proxies.clone())
            .unwrap_or_default();
        let client = Client::of(request.request(), &trusted);
        let target = redact_target(request.path(), request.uri().query());
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let method = request.method().as_str().to_string();
        let user_agent = request
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string();
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = ?request.version(),
            http.scheme = %client.scheme,
            http.host = %client.host,
            http.client_ip = %client.ip.map(|i| i.to_string()).unwrap_or_default(),
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
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
    fn a_forged_line_break_stays_inside_its_event() {
        use super::one_line;
        let event = "WARN unknown field `x\n2026-12-01T00:00:00Z  INFO admin logged in\r`\n";
        assert_eq!(
            one_line(event, false),
            "WARN unknown field `x\\n2026-12-01T00:00:00Z  INFO admin logged in\\r`\n"
        );
        assert_eq!(one_line("a\u{1b}[31mred\n", false), "a\\u{1b}[31mred\n");
        assert_eq!(one_line("a\u{1b}[31mred\n", true), "a\u{1b}[31mred\n");
    }

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
