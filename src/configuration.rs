//! Layered settings: `config/default.toml` → `config/{FRONTLINE_ENV}.toml` → `FRONTLINE__SECTION__KEY`
//! environment variables. [`Settings::load`] validates everything at start-up so a bad value fails
//! fast with the key named.

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

/// Webhook delivery settings (`[webhooks]`, docs/WEBHOOKS.md): the worker's pace, the request
/// timeout, retries with backoff and when a failing endpoint is disabled.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// Milliseconds between two passes of the webhook worker when idle (at once while there is
    /// more).
    pub interval_ms: u64,
    /// Most deliveries claimed per pass.
    pub batch: i64,
    /// Endpoints delivered to in parallel (each endpoint's deliveries go one after another, in
    /// the order they were queued).
    pub concurrency: usize,
    /// Seconds a request may take (connecting, sending and reading the answer) before it counts
    /// as failed.
    pub timeout_seconds: u64,
    /// Attempts per delivery before it is given up (`failed`).
    pub max_attempts: i32,
    /// Delay before the second attempt, seconds; it doubles per attempt (±25 % jitter).
    pub retry_base_seconds: u64,
    /// Longest delay between two attempts, seconds.
    pub retry_max_seconds: u64,
    /// Seconds a claimed delivery stays hidden from other workers (its sender may have died).
    pub claim_lease_seconds: u64,
    /// Failed attempts in a row (across the endpoint's deliveries, none answered 2xx between
    /// them) after which the endpoint is disabled.
    pub disable_after_failures: i32,
}

impl Default for WebhookSettings {
    /// A pass a second, 100 per pass, 8 endpoints at once, 10 s timeout, 6 attempts from 60 s
    /// doubling up to an hour (about 31 minutes in all), disabled after 15 failures in a row.
    fn default() -> Self {
        WebhookSettings {
            interval_ms: 1_000,
            batch: 100,
            concurrency: 8,
            timeout_seconds: 10,
            max_attempts: 6,
            retry_base_seconds: 60,
            retry_max_seconds: 3_600,
            claim_lease_seconds: 120,
            disable_after_failures: 15,
        }
    }
}

impl WebhookSettings {
    /// Checks the ranges.
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
        if self.interval_ms == 0 || self.batch < 1 || self.concurrency == 0 {
            return invalid(
                "webhooks.batch",
                "interval, batch and concurrency must be at least 1",
            );
        }
        if !(1..=120).contains(&self.timeout_seconds) {
            return invalid("webhooks.timeout_seconds", "must be between 1 and 120");
        }
        if !(1..=50).contains(&self.max_attempts) {
            return invalid("webhooks.max_attempts", "must be between 1 and 50");
        }
        if self.disable_after_failures < 1 {
            return invalid("webhooks.disable_after_failures", "must be at least 1");
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return invalid(
                "webhooks.retry_base_seconds",
                "must be at least 1 and at most retry_max_seconds",
            );
        }
        if self.claim_lease_seconds <= self.timeout_seconds {
            return invalid(
                "webhooks.claim_lease_seconds",
                "must be longer than timeout_seconds",
            );
        }
        Ok(())
    }
}

/// `GET /metrics` (Prometheus) settings.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MonitoringSettings {
    /// When set, `/metrics` requires `Authorization: Bearer <token>` (Prometheus'
    /// `authorization` / `bearer_token` scrape setting); when absent it answers anyone who can
    /// reach the service (restrict it at the proxy).
    pub bearer_token: Option<SecretString>,
}

/// How the outbox worker delivers messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// Each message is written as an `.eml` file under `email.file_dir` (the local default).
    File,
    /// Sent through the SMTP server `email.smtp_*`.
    Smtp,
}

/// Transport security of the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a catcher on this machine, e.g. Mailpit or the tests' server).
    None,
    /// Plain connection upgraded with `STARTTLS` (usually port 587); refused when not offered.
    Starttls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Implicit,
}

/// Email settings (issue 12): the transactional outbox, its transport, inbound replies, surveys.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    /// Write notices to the outbox when tickets change (off: no notice, no survey).
    pub notifications_enabled: bool,
    /// `file` or `smtp`.
    pub transport: MailTransport,
    /// Folder of the `.eml` files of the `file` transport (created when missing).
    pub file_dir: PathBuf,
    /// Sender address of every message.
    pub from_address: String,
    /// Sender display name.
    pub from_name: String,
    /// Right-hand side of every `Message-ID` (threads replies back to their ticket).
    pub message_id_domain: String,
    /// Base URL of the links in messages (survey, unsubscribe), without a trailing slash.
    pub public_base_url: String,
    /// SMTP server host.
    pub smtp_host: String,
    /// SMTP server port.
    pub smtp_port: u16,
    /// `none`, `starttls` or `implicit`.
    pub smtp_tls: SmtpTls,
    /// SMTP user name; empty: no authentication.
    pub smtp_username: String,
    /// SMTP password (secret).
    pub smtp_password: SecretString,
    /// Seconds an SMTP connection or command may take.
    pub smtp_timeout_seconds: u64,
    /// Milliseconds between two outbox passes when the previous one found nothing.
    pub outbox_interval_ms: u64,
    /// Messages claimed per pass.
    pub outbox_batch: i64,
    /// Messages sent at once by one worker (SMTP connections).
    pub outbox_concurrency: usize,
    /// Attempts before a message moves to the dead letters.
    pub max_attempts: i32,
    /// First retry delay, seconds; doubled at each attempt, with jitter, up to `retry_max_seconds`.
    pub retry_base_seconds: u64,
    /// Longest retry delay, seconds.
    pub retry_max_seconds: u64,
    /// Seconds a claimed message stays invisible to other workers; a worker that dies between
    /// claim and send leaves it to be retried after this.
    pub claim_lease_seconds: u64,
    /// Shared secret of `POST /api/v1/inbound/email` (header `X-Inbound-Secret`; secret).
    pub inbound_secret: SecretString,
    /// Largest inbound message accepted, bytes.
    pub inbound_max_bytes: usize,
    /// Hours after a solve before the survey invitation goes out (METRICS.md Satisfaction).
    pub survey_delay_hours: i64,
    /// Days a survey link stays valid after the invitation is due.
    pub survey_link_days: i64,
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

/// Least estimated strength of a production secret, bits (see [`Settings::check_production_secrets`]).
pub const MIN_SECRET_ENTROPY_BITS: f64 = 128.0;

/// Why `secret` is guessable, if it is.
fn weak_secret(secret: &str) -> Option<String> {
    let bytes = secret.as_bytes();
    let mut counts = std::collections::HashMap::<u8, usize>::new();
    for b in bytes {
        *counts.entry(*b).or_default() += 1;
    }
    if counts.len() < 12 {
        return Some(format!("{} distinct characters", counts.len()));
    }
    #[allow(clippy::cast_precision_loss)]
    let n = bytes.len() as f64;
    #[allow(clippy::cast_precision_loss)]
    let per_char: f64 = counts
        .values()
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum();
    let bits = per_char * n;
    if bits < MIN_SECRET_ENTROPY_BITS {
        return Some(format!("about {bits:.0} bits"));
    }
    let repeats = (1..=bytes.len() / 2)
        .filter(|p| bytes.len().is_multiple_of(*p))
        .any(|p| bytes.chunks(p).all(|c| c == &bytes[..p]));
    if repeats {
        return Some("a repeated pattern".into());
    }
    None
}

/// The development inbound-mail secret of `config/default.toml`; refused in production.
pub const DEVELOPMENT_INBOUND_SECRET: &str = "development-inbound-secret-change-me";

/// The development JWT secret of `config/default.toml`; refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-change-me-0123456789";

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
const SSL_MODES: [&str; 6] = [
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

    /// Production's secrets: not the development values, and not guessable — at least
    /// [`MIN_SECRET_ENTROPY_BITS`] bits by the secret's own character distribution (Shannon
    /// entropy × length), at least 12 distinct characters, and not a repetition of a shorter
    /// string. A random 32-byte key in hex or base64 passes; `aaaa…`, `0123456789abcdef` twice,
    /// a word repeated, do not.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] naming the secret.
    pub fn check_production_secrets(&self) -> Result<(), SettingsError> {
        let secrets = [
            (
                "auth.jwt_secret",
                self.auth.jwt_secret.expose_secret(),
                DEVELOPMENT_JWT_SECRET,
                "FRONTLINE__AUTH__JWT_SECRET",
            ),
            (
                "email.inbound_secret",
                self.email.inbound_secret.expose_secret(),
                DEVELOPMENT_INBOUND_SECRET,
                "FRONTLINE__EMAIL__INBOUND_SECRET",
            ),
        ];
        for (key, secret, development, variable) in secrets {
            if secret == development {
                return Err(SettingsError::Invalid {
                    key,
                    message: format!("is the development secret; set {variable}"),
                });
            }
            if let Some(why) = weak_secret(secret) {
                return Err(SettingsError::Invalid {
                    key,
                    message: format!(
                        "is too easy to guess ({why}); set {variable} to a random value, e.g. \
                         `head -c 32 /dev/urandom | base64`"
                    ),
                });
            }
        }
        Ok(())
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
        if !SSL_MODES.contains(&self.database.ssl_mode.as_str()) {
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

impl EmailSettings {
    /// Checks the email settings' ranges and formats.
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
        if self.from_address.parse::<lettre::Address>().is_err() {
            return invalid("email.from_address", "must be an email address");
        }
        if self.message_id_domain.is_empty()
            || !self
                .message_id_domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return invalid("email.message_id_domain", "must be a domain name");
        }
        if !(self.public_base_url.starts_with("http://")
            || self.public_base_url.starts_with("https://"))
            || self.public_base_url.ends_with('/')
        {
            return invalid(
                "email.public_base_url",
                "must be an http(s) URL without a trailing slash",
            );
        }
        if self.outbox_interval_ms == 0 || self.outbox_batch < 1 || self.outbox_concurrency == 0 {
            return invalid(
                "email.outbox_batch",
                "interval, batch and concurrency must be at least 1",
            );
        }
        if self.max_attempts < 1 {
            return invalid("email.max_attempts", "must be at least 1");
        }
        if self.retry_base_seconds == 0 || self.retry_max_seconds < self.retry_base_seconds {
            return invalid(
                "email.retry_max_seconds",
                "must be at least retry_base_seconds, which must be at least 1",
            );
        }
        if self.claim_lease_seconds < self.smtp_timeout_seconds.saturating_mul(2) {
            return invalid(
                "email.claim_lease_seconds",
                "must be at least twice smtp_timeout_seconds",
            );
        }
        if self.inbound_secret.expose_secret().len() < 16 {
            return invalid("email.inbound_secret", "must be at least 16 bytes");
        }
        if self.inbound_max_bytes < 1024 {
            return invalid("email.inbound_max_bytes", "must be at least 1024");
        }
        if self.survey_delay_hours < 0 {
            return invalid("email.survey_delay_hours", "must not be negative");
        }
        if self.survey_link_days < 1 {
            return invalid("email.survey_link_days", "must be at least 1");
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
    }

    #[test]
    fn the_shipped_files_load_for_every_environment() {
        for env in [Environment::Local, Environment::Test] {
            let s = Settings::load_for(&dir(), env);
            assert!(s.is_ok(), "{env:?}: {:?}", s.err());
        }
    }

    #[test]
    fn a_zero_pool_size_is_refused_with_its_key() {
        let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
        s.database.pool_max_size = 0;
        let err = s.validate().unwrap_err().to_string();
        assert_eq!(
            err,
            "configuration: `database.pool_max_size` must be between 1 and 200"
        );
    }

    #[test]
    fn a_database_url_gives_the_database_settings_it_names() {
        let toml = database_url_toml(
            "postgresql://ops%40site:p%3As%23w@db.example.com:6543/front%20line?sslmode=require",
        )
        .unwrap();
        assert_eq!(
            toml,
            "[database]\nhost = \"db.example.com\"\nport = 6543\nusername = \"ops@site\"\n\
             password = \"p:s#w\"\ndatabase_name = \"front line\"\nssl_mode = \"require\""
        );
        // Only what the URL has; an IPv6 host without its brackets.
        assert_eq!(
            database_url_toml("postgres://[::1]/frontline").unwrap(),
            "[database]\nhost = \"::1\"\ndatabase_name = \"frontline\""
        );
        let err = database_url_toml("postgres://h/db?application_name=x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`DATABASE_URL` has the parameter `application_name`"),
            "{err}"
        );
        assert!(database_url_toml("not a url").is_err());
    }

    #[test]
    fn special_characters_in_the_password_are_encoded() {
        let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
        s.database.password = SecretString::from("p@ss/w:rd");
        s.database.username = "u".into();
        s.database.host = "127.0.0.1".into();
        s.database.port = 5432;
        assert_eq!(
            s.database.url_for("db").expose_secret(),
            "postgres://u:p%40ss%2Fw%3Ard@127.0.0.1:5432/db"
        );
    }

    #[test]
    fn production_refuses_the_development_jwt_secret() {
        // config/production.toml sets no secret, so the development one from default.toml is
        // inherited unless FRONTLINE__AUTH__JWT_SECRET is set.
        if std::env::var("FRONTLINE__AUTH__JWT_SECRET").is_err() {
            let err = Settings::load_for(&dir(), Environment::Production).unwrap_err();
            assert!(err.to_string().contains("auth.jwt_secret"), "{err}");
        }
    }

    #[test]
    fn production_refuses_guessable_secrets_and_takes_random_ones() {
        let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
        s.email.inbound_secret = SecretString::from("Zx8kQp2mWv7nRt4yLb9cHs3dFg6jKe1a");
        for weak in [
            "a".repeat(48),
            "0123456789abcdef".repeat(3),
            "correct-horse-battery-staple-".repeat(2),
            "passwordpasswordpasswordpassword".into(),
        ] {
            s.auth.jwt_secret = SecretString::from(weak.clone());
            let err = s.check_production_secrets().unwrap_err().to_string();
            assert!(
                err.contains("auth.jwt_secret") && err.contains("too easy"),
                "{weak}: {err}"
            );
        }
        // 32 random bytes in base64 and in hex (what the bench scripts make).
        for strong in [
            "q8V4mX1r9TzK0bW6yN3cP7sD2fH5jL8a+Qe/GuIoRkE=",
            "bench-3f9a1c7e5b2d8f604a9e1c3b7d5f2a8e6c4b1d9f3a7e5c2b",
        ] {
            s.auth.jwt_secret = SecretString::from(strong);
            assert!(s.check_production_secrets().is_ok(), "{strong}");
        }
        s.email.inbound_secret = SecretString::from(DEVELOPMENT_INBOUND_SECRET);
        let err = s.check_production_secrets().unwrap_err().to_string();
        assert!(err.contains("email.inbound_secret"), "{err}");
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
        s.auth.jwt_secret = SecretString::from("short");
        assert!(
            s.validate()
                .unwrap_err()
                .to_string()
                .contains("auth.jwt_secret")
        );
    }

    #[test]
    fn an_unknown_environment_is_refused() {
        let e: Result<Environment, _> = "staging".to_string().try_into();
        assert!(e.unwrap_err().contains("staging"));
    }
}
