//! `[database]`: the PostgreSQL connection, its URL, and the `DATABASE_URL` of diesel's tools.

use super::SettingsError;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// PostgreSQL connection settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Role name.
    pub username: String,
    /// Role password (secret).
    pub password: SecretString,
    /// Database name.
    pub database_name: String,
    /// Largest number of pooled connections.
    pub pool_max_size: u32,
    /// Seconds to wait for a pooled connection before answering 503.
    pub pool_timeout_seconds: u64,
    /// Seconds a statement on a pooled connection may run before PostgreSQL cancels it (the
    /// request then answers 503).
    #[serde(default = "default_statement_timeout")]
    pub statement_timeout_seconds: u64,
    /// libpq `sslmode` of every connection (`disable`, `allow`, `prefer`, `require`,
    /// `verify-ca`, `verify-full`); libpq's own default, `prefer`, when absent.
    #[serde(default = "default_ssl_mode")]
    pub ssl_mode: String,
}

fn default_ssl_mode() -> String {
    "prefer".into()
}

/// The `sslmode` values libpq accepts.
pub(super) const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

fn default_statement_timeout() -> u64 {
    30
}

impl DatabaseSettings {
    /// libpq connection URL for the configured database.
    pub fn url(&self) -> SecretString {
        self.url_for(&self.database_name)
    }

    /// libpq connection URL for another database on the same server (tests, maintenance).
    pub fn url_for(&self, database_name: &str) -> SecretString {
        self.url_with(database_name, &[])
    }

    /// libpq connection URL for `database_name` with extra connection parameters (e.g.
    /// `application_name`), `sslmode` among them unless it is libpq's default.
    pub fn url_with(&self, database_name: &str, parameters: &[(&str, &str)]) -> SecretString {
        let ssl = ("sslmode", self.ssl_mode.as_str());
        let query: Vec<String> = parameters
            .iter()
            .chain((self.ssl_mode != "prefer").then_some(&ssl))
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        SecretString::from(format!(
            "postgres://{}:{}@{}:{}/{}{}{}",
            encode(&self.username),
            encode(self.password.expose_secret()),
            self.host,
            self.port,
            encode(database_name),
            if query.is_empty() { "" } else { "?" },
            query.join("&")
        ))
    }
}

/// The `[database]` settings a `postgres://user:password@host:port/database?sslmode=…` URL gives
/// (the `DATABASE_URL` of diesel's tools and libpq), as TOML: only the parts the URL has
/// (user, password, host, port, database, `sslmode`); percent-escapes decoded.
///
/// # Errors
/// [`SettingsError::Invalid`] naming `DATABASE_URL` for a URL that does not parse, is not
/// `postgres://` or `postgresql://`, or has a query parameter other than `sslmode`.
pub fn database_url_toml(url: &str) -> Result<String, SettingsError> {
    let invalid = |message: String| SettingsError::Invalid {
        key: "DATABASE_URL",
        message,
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(format!("is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(invalid(format!(
            "must start with postgres:// (not {}://)",
            parsed.scheme()
        )));
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|d| d.into_owned())
            .map_err(|_| invalid("has a percent-escape that is not UTF-8".into()))
    };
    // A TOML basic string accepts JSON's escapes.
    let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let mut lines = vec!["[database]".to_string()];
    if let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        lines.push(format!("host = {}", quote(host)));
    }
    if let Some(port) = parsed.port() {
        lines.push(format!("port = {port}"));
    }
    if !parsed.username().is_empty() {
        lines.push(format!("username = {}", quote(&decode(parsed.username())?)));
    }
    if let Some(password) = parsed.password() {
        lines.push(format!("password = {}", quote(&decode(password)?)));
    }
    let database = parsed.path().trim_start_matches('/');
    if !database.is_empty() {
        lines.push(format!("database_name = {}", quote(&decode(database)?)));
    }
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "sslmode" => lines.push(format!("ssl_mode = {}", quote(&value))),
            other => {
                return Err(invalid(format!(
                    "has the parameter `{other}`; only `sslmode` is read (set the others in \
                     config/*.toml or FRONTLINE__DATABASE__*)"
                )));
            }
        }
    }
    Ok(lines.join("\n"))
}

/// Percent-encodes the characters that would break a connection URL.
fn encode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' => c.to_string(),
            other => {
                let mut buf = [0u8; 4];
                other
                    .encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
        })
        .collect()
}
