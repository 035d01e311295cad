//! Where messages go: an SMTP server (plain, STARTTLS or implicit TLS, optional credentials,
//! pooled connections) or, the local default, one `.eml` file per message in a folder.

use crate::configuration::{EmailSettings, MailTransport, SmtpTls};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use secrecy::ExposeSecret;
use std::time::Duration;

/// A failed delivery.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What the transport said.
    pub message: String,
    /// The server refused the message for good (an SMTP 5xx: retrying cannot help).
    pub permanent: bool,
}

/// The configured transport (cheap to share between threads: SMTP connections are pooled).
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server.
    Smtp(SmtpTransport),
    /// `.eml` files in a folder.
    File(FileTransport),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::File(_) => f.write_str("Mailer::File"),
        }
    }
}

impl Mailer {
    /// The transport `email` describes, with up to `email.outbox_concurrency` pooled SMTP
    /// connections. The file transport's folder is created when missing.
    ///
    /// # Errors
    /// A folder that cannot be created; a TLS set-up the library refuses.
    pub fn from_settings(email: &EmailSettings) -> anyhow::Result<Mailer> {
        match email.transport {
            MailTransport::File => {
                std::fs::create_dir_all(&email.file_dir).map_err(|e| {
                    anyhow::anyhow!("email.file_dir {}: {e}", email.file_dir.display())
                })?;
                Ok(Mailer::File(FileTransport::new(&email.file_dir)))
            }
            MailTransport::Smtp => {
                let builder = match email.smtp_tls {
                    SmtpTls::None => SmtpTransport::builder_dangerous(email.smtp_host.clone()),
                    SmtpTls::Starttls => SmtpTransport::starttls_relay(&email.smtp_host)?,
                    SmtpTls::Implicit => SmtpTransport::relay(&email.smtp_host)?,
                };
                let mut builder = builder
                    .port(email.smtp_port)
                    .timeout(Some(Duration::from_secs(email.smtp_timeout_seconds)))
                    .pool_config(
                        PoolConfig::new()
                            .max_size(u32::try_from(email.outbox_concurrency).unwrap_or(u32::MAX)),
                    );
                if !email.smtp_username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        email.smtp_username.clone(),
                        email.smtp_password.expose_secret().to_string(),
                    ));
                }
                Ok(Mailer::Smtp(builder.build()))
            }
        }
    }

    /// Delivers `message` to its envelope's recipients.
    ///
    /// # Errors
    /// [`SendError`], permanent for an SMTP 5xx.
    pub fn send(&self, message: &Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(t) => t.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
            Mailer::File(t) => t.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: false,
                message: e.to_string(),
            }),
        }
    }
}
