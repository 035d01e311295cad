//! `[attachments]` settings.

use crate::configuration::SettingsError;
use secrecy::SecretString;
use serde::Deserialize;
use std::path::PathBuf;

/// Where attachments' bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// Files under `attachments.local_dir` (the default).
    Local,
    /// Objects in the S3-compatible bucket `attachments.s3_bucket`.
    S3,
}

/// Files on comments (`[attachments]`, docs/TICKETS.md "Attachments").
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AttachmentSettings {
    /// Largest file, bytes (a larger one is refused with 413 naming `attachments`).
    pub max_bytes: usize,
    /// Most files on one comment.
    pub max_files: usize,
    /// Content types accepted, as sniffed from the bytes (e.g. `image/jpeg`; `text/plain` is
    /// UTF-8 text no signature matched). Anything else is refused (422 naming `attachments`).
    pub allowed_content_types: Vec<String>,
    /// `local` or `s3`.
    pub storage: StorageBackend,
    /// Folder of the `local` store (created when missing).
    pub local_dir: PathBuf,
    /// S3 endpoint URL, e.g. `http://127.0.0.1:9000` for MinIO; empty: AWS's for the region.
    pub s3_endpoint: String,
    /// S3 region.
    pub s3_region: String,
    /// S3 bucket (required with `storage = "s3"`).
    pub s3_bucket: String,
    /// Prefix of every object key in the bucket (e.g. `frontline/`; empty: none).
    pub s3_prefix: String,
    /// S3 access key id; empty: the usual AWS environment variables / instance credentials.
    pub s3_access_key_id: String,
    /// S3 secret access key (secret).
    pub s3_secret_access_key: SecretString,
    /// Allow a plain-http endpoint (a local MinIO or test server).
    pub s3_allow_http: bool,
    /// Virus-scan hook: a command (program and arguments) run on each file's bytes (on its
    /// standard input) before it is stored. Exit 0: clean; 1: infected (refused, 422 naming
    /// `attachments`); anything else, or no answer within `scan_timeout_seconds`: the upload
    /// fails with 503. Empty (the default): no scan. E.g. `["clamdscan", "--no-summary", "-"]`.
    pub scan_command: Vec<String>,
    /// Seconds a scan may take.
    pub scan_timeout_seconds: u64,
}

impl Default for AttachmentSettings {
    /// 10 MiB a file, 10 files a comment; photos, PDFs and plain text; a local folder
    /// `var/attachments`; no virus scan.
    fn default() -> Self {
        AttachmentSettings {
            max_bytes: 10 * 1024 * 1024,
            max_files: 10,
            allowed_content_types: [
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/webp",
                "image/heif",
                "application/pdf",
                "text/plain",
            ]
            .map(String::from)
            .to_vec(),
            storage: StorageBackend::Local,
            local_dir: PathBuf::from("var/attachments"),
            s3_endpoint: String::new(),
            s3_region: "us-east-1".into(),
            s3_bucket: String::new(),
            s3_prefix: String::new(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: SecretString::from(String::new()),
            s3_allow_http: false,
            scan_command: Vec::new(),
            scan_timeout_seconds: 60,
        }
    }
}

impl AttachmentSettings {
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
        if !(1..=1024 * 1024 * 1024).contains(&self.max_bytes) {
            return invalid("attachments.max_bytes", "must be between 1 and 1 GiB");
        }
        if !(1..=100).contains(&self.max_files) {
            return invalid("attachments.max_files", "must be between 1 and 100");
        }
        if self.allowed_content_types.is_empty()
            || self
                .allowed_content_types
                .iter()
                .any(|t| t.split('/').filter(|p| !p.is_empty()).count() != 2)
        {
            return invalid(
                "attachments.allowed_content_types",
                "must list at least one type/subtype",
            );
        }
        if self.storage == StorageBackend::S3 && self.s3_bucket.trim().is_empty() {
            return invalid("attachments.s3_bucket", "is required with storage = \"s3\"");
        }
        if self
            .scan_command
            .first()
            .is_some_and(|p| p.trim().is_empty())
        {
            return invalid("attachments.scan_command", "names no program");
        }
        if !(1..=600).contains(&self.scan_timeout_seconds) {
            return invalid(
                "attachments.scan_timeout_seconds",
                "must be between 1 and 600",
            );
        }
        Ok(())
    }
}
