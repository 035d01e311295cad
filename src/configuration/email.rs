//! `[email]`: the transactional outbox, its transport, inbound replies and surveys.

use super::SettingsError;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::PathBuf;

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
