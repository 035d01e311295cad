//! Attachments: files on comments (docs/TICKETS.md "Attachments").
//!
//! - `POST /tickets/{id}/comments` as `multipart/form-data` ([`read_comment_form`]): the
//!   comment's fields as form fields and its files as `attachments` parts, in one call (as
//!   Freshdesk's replies with attachments). Each file is checked ([`prepare_files`]: size, type
//!   sniffed from its bytes, the virus-scan hook) and stored before the comment's transaction;
//!   a refused comment deletes what was stored.
//! - `GET /tickets/{id}/attachments/{attachment_id}` ([`download_attachment`]): the bytes, for
//!   whoever may read the ticket, always as a download.
//! - `POST /tickets/{id}/attachments/{attachment_id}/redaction` ([`redact_attachment`]):
//!   an admin removes a file.

use super::etag;
use crate::attachments::{self, scan, storage};
use crate::auth::extract::AuthUser;
use crate::configuration::Settings;
use crate::db;
use crate::domain::ids::{TicketId, UserId};
use crate::error::{ApiError, ApiResult};
use crate::models::attachment::{self as model, AttachmentRow};
use crate::models::enums::UserRole;
use crate::models::ticket as ticket_model;
use crate::routes::body::{MAX_BODY_BYTES, body_timeout};
use crate::state::AppState;
use crate::tickets::attach::{self, StoredFile};
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The form field of a comment's files.
pub const FIELD: &str = "attachments";

/// A file on a comment, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentResponse {
    /// Id.
    pub id: i64,
    /// The comment it is on.
    pub comment_id: i64,
    /// File name (`redacted` once redacted).
    pub filename: String,
    /// Content type, sniffed from the bytes when uploaded (e.g. `image/jpeg`).
    pub content_type: String,
    /// Size, bytes.
    pub size_bytes: i64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// Who uploaded it (staff user id).
    pub uploaded_by_id: Option<i64>,
    /// When (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was redacted (`null`: not redacted; a redacted file has no content).
    pub redacted_at: Option<DateTime<Utc>>,
    /// Where to download it (`GET`, bearer token; `null` once redacted).
    pub content_url: Option<String>,
}

impl From<AttachmentRow> for AttachmentResponse {
    fn from(a: AttachmentRow) -> Self {
        AttachmentResponse {
            content_url: a
                .redacted_at
                .is_none()
                .then(|| format!("/api/v1/tickets/{}/attachments/{}", a.ticket_id, a.id)),
            id: a.id,
            comment_id: a.comment_id,
            filename: a.filename,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            uploaded_by_id: a.uploaded_by_id,
            created_at: a.created_at,
            redacted_at: a.redacted_at,
        }
    }
}

/// `POST /tickets/{id}/comments` as `multipart/form-data`: the fields of the JSON body as form
/// fields (`public` and `keep_hold` as `true`/`false`) and the files as `attachments` parts.
/// No other part is accepted (`additionalProperties: false` in the schema: a part of another
/// name is a 422).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CreateCommentForm {
    /// Text, 1–65,536 characters, not blank.
    #[schema(
        max_length = 65536,
        pattern = r"^[^\x00]*[^\x00\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00]*$"
    )]
    body: String,
    /// `true` (default) or `false` (an internal note).
    #[schema(nullable = false)]
    public: Option<bool>,
    /// `agent` (default) or `requester`.
    #[schema(nullable = false)]
    author: Option<super::CommentAuthor>,
    /// The status to set with the comment.
    #[schema(nullable = false)]
    status: Option<crate::domain::ticket::TicketStatus>,
    /// Why the ticket goes on hold.
    #[schema(nullable = false, value_type = Option<crate::routes::openapi::HoldReason>)]
    hold_reason: Option<String>,
    /// `true` to keep an on-hold ticket on hold (a requester's comment).
    #[schema(nullable = false)]
    keep_hold: Option<bool>,
    /// The files (each at most `attachments.max_bytes`, at most `attachments.max_files`, of an
    /// allowed type as sniffed from its bytes). `attachments[]` is accepted as the same field.
    #[schema(nullable = false, value_type = Option<Vec<String>>, format = Binary)]
    attachments: Option<Vec<Vec<u8>>>,
}

/// Most parts of a comment's form besides its files (the comment has six fields; empty file
/// parts of a browser's form count too).
const MAX_FORM_FIELDS: usize = 32;

/// A file as received.
#[derive(Debug)]
pub struct Upload {
    /// The client's file name (cleaned later).
    pub filename: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// Whether the request's body is `multipart/form-data`.
pub fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("multipart/form-data"))
}

fn malformed(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_field("body", format!("malformed multipart/form-data: {e}"))
}

/// Reads a `multipart/form-data` comment: its form fields as the JSON body's (the same
/// validation, naming the same fields) and its `attachments` files.
///
/// # Errors
/// 400 naming `body` for a malformed form; 413 naming `attachments` for a file larger than
/// `attachments.max_bytes` (or the field for form text beyond 512 KiB); 422 naming
/// `attachments` for more than `attachments.max_files` files, a field given twice, a field that
/// is not UTF-8 or a file under another name; what the JSON body's parsing refuses.
pub async fn read_comment_form<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
    settings: &Settings,
) -> Result<(T, Vec<Upload>), ApiError> {
    let limits = &settings.attachments;
    let timeout = body_timeout(req);
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let read = async {
        let mut fields = serde_json::Map::new();
        let mut files = Vec::new();
        let mut text_bytes = 0usize;
        let mut parts = 0usize;
        while let Some(part) = form.next().await {
            let mut part = part.map_err(malformed)?;
            parts += 1;
            if parts > limits.max_files + MAX_FORM_FIELDS {
                return Err(ApiError::invalid_field(
                    "body",
                    "too many parts in the form",
                ));
            }
            let (name, filename) = match part.content_disposition() {
                Some(cd) => (
                    cd.get_name().unwrap_or_default().to_string(),
                    cd.get_filename().map(str::to_string),
                ),
                None => return Err(malformed("a part has no Content-Disposition")),
            };
            let is_file = name == FIELD || name == "attachments[]";
            if let (Some(_), false) = (&filename, is_file) {
                return Err(ApiError::invalid_field(
                    &name,
                    format!("files go in the `{FIELD}` field"),
                ));
            }
            let cap = if is_file {
                limits.max_bytes
            } else {
                MAX_BODY_BYTES.saturating_sub(text_bytes)
            };
            let mut bytes = actix_web::web::BytesMut::new();
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(malformed)?;
                if bytes.len() + chunk.len() > cap {
                    return Err(if is_file {
                        ApiError::too_large_field(
                            FIELD,
                            format!("a file is larger than {} bytes", limits.max_bytes),
                        )
                    } else {
                        ApiError::too_large_field(&name, "the form's text is larger than 512 KiB")
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            if is_file {
                let filename = filename.unwrap_or_default();
                // A browser's form with no file chosen sends an empty, nameless part.
                if filename.is_empty() && bytes.is_empty() {
                    continue;
                }
                if files.len() == limits.max_files {
                    return Err(ApiError::invalid_field(
                        FIELD,
                        format!("at most {} files on a comment", limits.max_files),
                    ));
                }
                files.push(Upload {
                    filename,
                    bytes: bytes.freeze(),
                });
                continue;
            }
            text_bytes += bytes.len();
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| ApiError::invalid_field(&name, "must be UTF-8 text"))?;
            let value = match (name.as_str(), text.as_str()) {
                ("public" | "keep_hold", "true") => serde_json::Value::Bool(true),
                ("public" | "keep_hold", "false") => serde_json::Value::Bool(false),
                // An empty choice of a form's select: not given.
                ("status" | "hold_reason" | "author", "") => continue,
                _ => serde_json::Value::String(text),
            };
            if fields.insert(name.clone(), value).is_some() {
                return Err(ApiError::invalid_field(&name, "is given more than once"));
            }
        }
        Ok((fields, files))
    };
    let (fields, files) = tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| ApiError::RequestTimeout(timeout.as_secs()))??;
    let json = serde_json::to_vec(&serde_json::Value::Object(fields))
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    let value = crate::routes::body::parse::<T>(&json)?;
    Ok((value, files))
}

/// Checks each upload (not empty; its type, sniffed from its bytes, allowed; the virus-scan
/// hook's verdict when one is configured) and makes its metadata and store key.
///
/// # Errors
/// 422 naming `attachments` for an empty file, a type not in `attachments.allowed_content_types`
/// or a file the scanner calls infected; 503 when the scanner fails or does not answer.
pub async fn prepare_files(
    settings: &Settings,
    uploads: Vec<Upload>,
) -> Result<Vec<(StoredFile, Bytes)>, ApiError> {
    let limits = settings.attachments.clone();
    let mut prepared = Vec::with_capacity(uploads.len());
    for upload in uploads {
        let filename = attachments::clean_filename(&upload.filename);
        if upload.bytes.is_empty() {
            return Err(ApiError::invalid_field(
                FIELD,
                format!("{filename} is empty"),
            ));
        }
        let content_type = attachments::sniff(&upload.bytes);
        if !limits
            .allowed_content_types
            .iter()
            .any(|t| t == content_type)
        {
            return Err(ApiError::invalid_field(
                FIELD,
                format!(
                    "{filename} is {content_type}, which is not accepted; accepted: {}",
                    limits.allowed_content_types.join(", ")
                ),
            ));
        }
        if !limits.scan_command.is_empty() {
            let command = limits.scan_command.clone();
            let bytes = upload.bytes.clone();
            let timeout = std::time::Duration::from_secs(limits.scan_timeout_seconds);
            let verdict = web::block(move || scan::scan(&command, &bytes, timeout))
                .await
                .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("{e}")))?
                .map_err(|e| ApiError::Unavailable(format!("virus scan: {e:#}")))?;
            if let scan::Verdict::Infected(finding) = verdict {
                tracing::warn!(target: "audit", filename = %filename, finding = %finding, "attachment refused by the virus scanner");
                return Err(ApiError::invalid_field(
                    FIELD,
                    format!("{filename} was refused by the virus scanner"),
                ));
            }
        }
        let sha256 = Sha256::digest(&upload.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        prepared.push((
            StoredFile {
                filename,
                content_type: content_type.to_string(),
                size_bytes: i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX),
                sha256,
                storage_key: storage::new_key(),
            },
            upload.bytes,
        ));
    }
    Ok(prepared)
}

fn store_error(e: storage::StorageError) -> ApiError {
    ApiError::Unavailable(format!("{e}"))
}

/// Puts each prepared file in the store; on a failure removes those already put.
///
/// # Errors
/// 503 when the store fails.
pub async fn store_files(
    store: &dyn storage::Storage,
    files: &[(StoredFile, Bytes)],
) -> Result<(), ApiError> {
    for (i, (file, bytes)) in files.iter().enumerate() {
        if let Err(e) = store.put(&file.storage_key, bytes.clone()).await {
            discard(store, &files[..i]).await;
            return Err(store_error(e));
        }
    }
    Ok(())
}

/// Deletes stored files whose comment was not written (best effort: a failure is logged).
pub async fn discard(store: &dyn storage::Storage, files: &[(StoredFile, Bytes)]) {
    for (file, _) in files {
        if let Err(e) = store.delete(&file.storage_key).await {
            tracing::warn!(key = %file.storage_key, error = %e, "an unused attachment could not be deleted");
        }
    }
}

/// The attachments of `comment_ids`, grouped by comment (in id order).
///
/// # Errors
/// A database error.
pub fn by_comment(
    conn: &mut diesel::PgConnection,
    comment_ids: &[i64],
) -> diesel::QueryResult<std::collections::HashMap<i64, Vec<AttachmentResponse>>> {
    let mut grouped = std::collections::HashMap::<i64, Vec<AttachmentResponse>>::new();
    for row in model::of_comments(conn, comment_ids)? {
        grouped.entry(row.comment_id).or_default().push(row.into());
    }
    Ok(grouped)
}

/// Downloads an attachment: the bytes as stored, for whoever may read the ticket (a
/// technician: only a ticket with a work order assigned to them). Always a download —
/// `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, a `Content-Type` that
/// runs nothing (images, PDF and plain text as they are; anything else
/// `application/octet-stream`) and `Content-Security-Policy: sandbox`.
///
/// Errors: 404 for a ticket the caller may not see, or an attachment not of that ticket or
/// redacted; 503 when the store fails.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments/{attachment_id}", tag = "tickets",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("attachment_id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file's bytes, as a download",
         content(
            (Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"), (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp"),
            (Vec<u8> = "application/pdf"), (String = "text/plain")),
         headers(("Content-Disposition" = String), ("X-Content-Type-Options" = String))),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn download_attachment(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (id, attachment_id) = path.into_inner();
    let visibility = user.visibility();
    let row = db::run(&state.pool, move |conn| {
        ticket_model::check_visible(conn, id, visibility).map_err(ApiError::not_found("ticket"))?;
        Ok(model::find(conn, id, attachment_id)?)
    })
    .await?
    .filter(|a| a.redacted_at.is_none())
    .ok_or(ApiError::NotFound("attachment"))?;
    let bytes = match state.attachments.get(&row.storage_key).await {
        Ok(bytes) => bytes,
        Err(storage::StorageError::NotFound(key)) => {
            tracing::warn!(%key, attachment.id = row.id, "an attachment's bytes are missing from the store");
            return Err(ApiError::NotFound("attachment"));
        }
        Err(e) => return Err(store_error(e)),
    };
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            attachments::served_content_type(&row.content_type),
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachments::content_disposition(&row.filename),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// `POST /tickets/{id}/attachments/{attachment_id}/redaction` response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttachmentRedactionResponse {
    /// The attachment after the redaction (`filename: redacted`, no content).
    pub attachment: AttachmentResponse,
    /// The ticket's version after it (its new `ETag`).
    pub ticket_version: i32,
}

/// Redacts an attachment (admins only): its bytes are deleted from the store, its name becomes
/// `redacted`, the ticket's log gets an `attachment_redacted` event (who, when, which file) and
/// the ticket's version goes up. The comment and its text stay (redact text with
/// `/comments/{comment_id}/redactions`).
///
/// Errors: 403 for any role but admin; 404 for an unknown ticket, or an attachment not of that
/// ticket or already redacted; 503 when the store fails (nothing is marked).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments/{attachment_id}/redaction",
    tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Ticket id"),
           ("attachment_id" = i64, Path, description = "Attachment id")),
    responses(
        (status = 200, body = AttachmentRedactionResponse, headers(("ETag" = String))),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn redact_attachment(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    user.require(&[UserRole::Admin])?;
    let (id, attachment_id) = path.into_inner();
    let row = db::run(&state.pool, move |conn| {
        Ok(model::find(conn, id, attachment_id)?)
    })
    .await?
    .filter(|a| a.redacted_at.is_none())
    .ok_or(ApiError::NotFound("attachment"))?;
    // The bytes first: should the mark fail, a retry deletes nothing more and marks it.
    state
        .attachments
        .delete(&row.storage_key)
        .await
        .map_err(store_error)?;
    let (row, version) = db::run(&state.pool, move |conn| {
        diesel::Connection::transaction(conn, |conn| {
            attach::redact_tx(
                conn,
                TicketId::new(id),
                attachment_id,
                UserId::new(user.id),
                Utc::now(),
            )
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(version))
        .json(AttachmentRedactionResponse {
            attachment: row.into(),
            ticket_version: version,
        }))
}
