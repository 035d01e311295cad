//! Layered settings: `config/default.toml` → `config/{FRONTLINE_ENV}.toml` → `FRONTLINE__SECTION__KEY`
//! environment variables. [`Settings::load`] validates everything at start-up so a bad value fails
//! fast with the key named.

mod database;
mod email;
mod secrets;
#[cfg(test)]
mod tests;
mod webhooks;

pub use database::{DatabaseSettings, database_url_toml};
pub use email::{EmailSettings, MailTransport, SmtpTls};
pub use secrets::{DEVELOPMENT_INBOUND_SECRET, DEVELOPMENT_JWT_SECRET, MIN_SECRET_ENTROPY_BITS};
pub use webhooks::WebhookSettings;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Shortest accepted `auth.jwt_secret`, in bytes (HS256 wants a key at least as long as its
/// 256-bit output).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The deployment environment, chosen by `FRONTLINE_ENV` (default `local`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// A developer's machine: pretty logs.
    Local,
    /// The test suite.
    Test,
    /// Production: JSON logs.
    Production,
}

impl Environment {
    /// The name of the environment's config file (without `.toml`).
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

impl TryFrom<String> for Environment {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.to_lowercase().as_str() {
            "local" => Ok(Environment::Local),
            "test" => Ok(Environment::Test),
            "production" => Ok(Environment::Production),
            other => Err(format!(
                "FRONTLINE_ENV: `{other}` is not one of local, test, production"
            )),
        }
    }
}

/// All settings of the service.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// HTTP server.
    pub application: ApplicationSettings,
    /// PostgreSQL connection.
    pub database: DatabaseSettings,
    /// Logging.
    pub log: LogSettings,
    /// Data loaded on first start.
    pub bootstrap: BootstrapSettings,
    /// Staff authentication.
    pub auth: AuthSettings,
    /// Background workers.
    pub workers: WorkerSettings,
    /// Metric reports.
    pub metrics: MetricsSettings,
    /// Email: the outbox, its transport, inbound replies and surveys.
    pub email: EmailSettings,
    /// The service's own Prometheus metrics (`GET /metrics`).
    #[serde(default)]
    pub monitoring: MonitoringSettings,
    /// Webhook deliveries (docs/WEBHOOKS.md).
    #[serde(default)]
    pub webhooks: WebhookSettings,
    /// Files on comments: limits, the store, the virus-scan hook (docs/TICKETS.md).
    #[serde(default)]
    pub attachments: crate::attachments::AttachmentSettings,
}

/// `GET /metrics` (Prometheus) settings.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MonitoringSettings {
    /// When set, `/metrics` requires `Authorization: Bearer <token>` (Prometheus'
    /// `authorization` / `bearer_token` scrape setting); when absent it answers anyone who can
    /// reach the service (restrict it at the proxy).
    pub bearer_token: Option<SecretString>,
}

/// Metric report settings.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// IANA zone of the day/week/month buckets of `GET /metrics/timeseries`.
    pub reporting_time_zone: String,
}

/// Background worker settings.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkerSettings {
    /// Run the workers inside `serve`.
    pub enabled: bool,
    /// Hours a ticket stays `solved` before it closes automatically.
    pub auto_close_after_hours: i64,
    /// Seconds between two auto-close passes.
    pub auto_close_interval_seconds: u64,
    /// Seconds between two SLA passes (breach and warning events).
    pub sla_interval_seconds: u64,
    /// Seconds between two re-projection passes (applying a rules change to the stored clocks
    /// and metrics; a pass goes on while tickets are left, up to 5 s).
    pub reproject_interval_seconds: u64,
}

/// Staff authentication settings.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 key of access tokens (≥ 32 bytes; secret).
    pub jwt_secret: SecretString,
    /// `iss` of access tokens.
    pub issuer: String,
    /// `aud` of access tokens.
    pub audience: String,
    /// Lifetime of an access token, seconds.
    pub access_token_ttl_seconds: i64,
    /// Lifetime of a refresh token, seconds.
    pub refresh_token_ttl_seconds: i64,
    /// Login attempts allowed per email per minute.
    pub login_attempts_per_email_per_minute: u32,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_address_per_minute: u32,
    /// API requests allowed per staff member per minute, in bursts of the same size (429 with
    /// `Retry-After` beyond, as Zendesk's per-minute limits); 0: no limit.
    #[serde(default)]
    pub api_requests_per_user_per_minute: u32,
    /// Mark the dashboard's cookies `Secure` (sent over HTTPS only). On in production; off by
    /// default so that the dashboard works over plain http on a developer's machine. A request
    /// that arrived over HTTPS (as a trusted proxy says) gets `Secure` cookies either way.
    #[serde(default)]
    pub secure_cookies: bool,
}

/// HTTP server settings.
#[derive(Debug, Clone, Deserialize)]
pub struct ApplicationSettings {
    /// Address to bind; `127.0.0.1` until authentication exists.
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// Run pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    pub shutdown_timeout_seconds: u64,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Addresses of reverse proxies whose `Forwarded` / `X-Forwarded-For`, `-Host` and `-Proto`
    /// headers are believed (client address, host and scheme in logs and log-in limits); from
    /// anyone else those headers are ignored. Empty: none.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds a client has to send a request's headers once connected (actix's
    /// `client_request_timeout`: 408 and the connection closed beyond).
    #[serde(default = "default_header_timeout")]
    pub header_read_timeout_seconds: u64,
    /// Seconds a client has to send a request's body (408 beyond).
    #[serde(default = "default_body_timeout")]
    pub body_read_timeout_seconds: u64,
}

fn default_header_timeout() -> u64 {
    5
}

fn default_body_timeout() -> u64 {
    30
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// Default filter directive (`RUST_LOG` overrides it).
    pub filter: String,
}

/// What `serve --bootstrap` loads into an empty database.
#[derive(Debug, Clone, Deserialize)]
pub struct BootstrapSettings {
    /// Event-log CSV to import when the database holds no ticket; empty: none.
    pub event_log: String,
    /// Mapping file for that event log.
    pub event_log_mapping: String,
    /// First admin created by `serve --bootstrap` when no account can log in; empty: none.
    pub admin_email: String,
    /// That admin's password (secret).
    pub admin_password: SecretString,
}

/// A settings problem found at start-up.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The files or environment could not be read or parsed.
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// A value is out of range.
    #[error("configuration: `{key}` {message}")]
    Invalid {
        /// Dotted key, e.g. `database.pool_max_size`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// `FRONTLINE_ENV` names no environment.
    #[error("{0}")]
    Environment(String),
}

impl Settings {
    /// Loads settings from `config_dir` for the environment in `FRONTLINE_ENV` (default `local`),
    /// then `FRONTLINE__SECTION__KEY` variables, and validates them.
    ///
    /// # Errors
    /// [`SettingsError`] naming the failing key.
    pub fn load(config_dir: &Path) -> Result<Settings, SettingsError> {
        let environment: Environment = std::env::var("FRONTLINE_ENV")
            .unwrap_or_else(|_| "local".into())
            .try_into()
            .map_err(SettingsError::Environment)?;
        Settings::load_for(config_dir, environment)
    }

    /// Like [`Settings::load`] for an explicit environment.
    ///
    /// # Errors
    /// [`SettingsError`] naming the failing key.
    pub fn load_for(
        config_dir: &Path,
        environment: Environment,
    ) -> Result<Settings, SettingsError> {
        let database_url = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .map(|u| database_url_toml(&u))
            .transpose()?
            .unwrap_or_default();
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from(config_dir.join("default.toml")))
            .add_source(
                config::File::from(config_dir.join(format!("{}.toml", environment.as_str())))
                    .required(false),
            )
            // `DATABASE_URL`, as diesel's tools read it: over the files, under FRONTLINE__*.
            .add_source(config::File::from_str(
                &database_url,
                config::FileFormat::Toml,
            ))
            .add_source(
                config::Environment::with_prefix("FRONTLINE")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        if environment == Environment::Production {
            settings.check_production_secrets()?;
        }
        Ok(settings)
    }
    /// Checks ranges and required values.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] for the first bad key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |key, message: &str| {
            Err(SettingsError::Invalid {
                key,
                message: message.to_string(),
            })
        };
        if self.application.host.parse::<std::net::IpAddr>().is_err() {
            return invalid("application.host", "must be an IP address");
        }
        if self.database.host.trim().is_empty() {
            return invalid("database.host", "must not be empty");
        }
        if self.database.username.trim().is_empty() {
            return invalid("database.username", "must not be empty");
        }
        if self.database.database_name.trim().is_empty() {
            return invalid("database.database_name", "must not be empty");
        }
        if !(1..=200).contains(&self.database.pool_max_size) {
            return invalid("database.pool_max_size", "must be between 1 and 200");
        }
        if self.database.statement_timeout_seconds == 0 {
            return invalid("database.statement_timeout_seconds", "must be at least 1");
        }
        if !database::SSL_MODES.contains(&self.database.ssl_mode.as_str()) {
            return invalid(
                "database.ssl_mode",
                "must be disable, allow, prefer, require, verify-ca or verify-full",
            );
        }
        if self.database.pool_timeout_seconds == 0 {
            return invalid("database.pool_timeout_seconds", "must be at least 1");
        }
        if self.auth.jwt_secret.expose_secret().len() < MIN_JWT_SECRET_BYTES {
            return invalid("auth.jwt_secret", "must be at least 32 bytes");
        }
        if !(60..=86_400).contains(&self.auth.access_token_ttl_seconds) {
            return invalid(
                "auth.access_token_ttl_seconds",
                "must be between 60 and 86400",
            );
        }
        if self.auth.refresh_token_ttl_seconds < self.auth.access_token_ttl_seconds {
            return invalid(
                "auth.refresh_token_ttl_seconds",
                "must not be shorter than the access token lifetime",
            );
        }
        if self
            .metrics
            .reporting_time_zone
            .parse::<chrono_tz::Tz>()
            .is_err()
        {
            return invalid("metrics.reporting_time_zone", "must be an IANA time zone");
        }
        if self.workers.auto_close_after_hours < 1 {
            return invalid("workers.auto_close_after_hours", "must be at least 1");
        }
        if self.workers.sla_interval_seconds == 0 {
            return invalid("workers.sla_interval_seconds", "must be at least 1");
        }
        if self.workers.reproject_interval_seconds == 0 {
            return invalid("workers.reproject_interval_seconds", "must be at least 1");
        }
        if self.workers.auto_close_interval_seconds == 0 {
            return invalid("workers.auto_close_interval_seconds", "must be at least 1");
        }
        if self.auth.login_attempts_per_email_per_minute == 0
            || self.auth.login_attempts_per_address_per_minute == 0
        {
            return invalid(
                "auth.login_attempts_per_email_per_minute",
                "must be at least 1",
            );
        }
        self.email.validate()?;
        self.attachments.validate()?;
        self.webhooks.validate()
    }
}

/// The directory holding `default.toml`: `FRONTLINE_CONFIG_DIR`, else `config/` in the working
/// directory, else `config/` beside the crate's sources.
pub fn config_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("FRONTLINE_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("config");
    if local.join("default.toml").exists() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}
