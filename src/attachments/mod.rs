//! Attachments: files on comments (issue 15, item 8; docs/TICKETS.md "Attachments").
//!
//! - [`AttachmentSettings`]: the limits (size, count, allowed types), the store and the optional
//!   virus-scan hook (`[attachments]` in `config/*.toml`).
//! - [`storage`]: the [`storage::Storage`] trait (put, get, delete by key) with a local-folder
//!   default and an S3-compatible backend.
//! - [`scan`]: the virus-scan hook, a configured command run on the bytes before they are stored.
//! - [`sniff`], [`clean_filename`], [`served_content_type`], [`content_disposition`]: what a file
//!   is (from its bytes, never the client's word) and how it is served (always as a download,
//!   never rendered inline).
//!
//! The metadata rows are in [`crate::models::attachment`]; attaching and redacting are ticket
//! use cases ([`crate::tickets::attach`]).

pub mod scan;
mod settings;
pub mod storage;

pub use settings::{AttachmentSettings, StorageBackend};

/// The content type of `bytes`, sniffed from their first bytes (`infer`'s magic numbers): e.g.
/// `image/jpeg`, `application/pdf`. Bytes no signature matches are `text/plain` when they are
/// UTF-8 text without control characters other than tab, line feed, form feed and carriage
/// return, and `application/octet-stream` otherwise.
pub fn sniff(bytes: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type();
    }
    match std::str::from_utf8(bytes) {
        Ok(text)
            if !text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c')) =>
        {
            "text/plain"
        }
        _ => "application/octet-stream",
    }
}

/// Longest stored file name, characters.
pub const MAX_FILENAME_CHARS: usize = 255;

/// The file name to store for a client's `raw` name: its last path segment (after the last `/`
/// or `\`), without control characters, trimmed, at most [`MAX_FILENAME_CHARS`] characters;
/// `attachment` when nothing is left (or only dots).
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let kept: String = last.chars().filter(|c| !c.is_control()).collect();
    let trimmed = kept.trim();
    if trimmed.chars().all(|c| c == '.') {
        return "attachment".to_string();
    }
    trimmed.chars().take(MAX_FILENAME_CHARS).collect()
}

/// The `Content-Type` an attachment is served with: its stored type when it is one a browser
/// shows without running anything (JPEG, PNG, GIF, WebP, PDF; `text/plain; charset=utf-8`),
/// `application/octet-stream` for anything else. Served with `X-Content-Type-Options: nosniff`
/// and `Content-Disposition: attachment`, so nothing is rendered inline or guessed.
pub fn served_content_type(stored: &str) -> &'static str {
    match stored {
        "image/jpeg" => "image/jpeg",
        "image/png" => "image/png",
        "image/gif" => "image/gif",
        "image/webp" => "image/webp",
        "application/pdf" => "application/pdf",
        "text/plain" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `Content-Disposition: attachment` for `filename` (RFC 6266): an ASCII `filename="…"` (other
/// characters, quotes and backslashes become `_`) and, when the name is not plain ASCII, the
/// exact name as `filename*=UTF-8''…` (percent-encoded).
pub fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == filename {
        return format!("attachment; filename=\"{ascii}\"");
    }
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encoding::utf8_percent_encode(filename, SET)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"), "image/jpeg");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), "image/png");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        let mut elf =
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00".to_vec();
        elf.extend([0u8; 40]);
        assert_eq!(sniff(&elf), "application/x-executable");
        assert_eq!(sniff("Receipt: 12,50 €\r\n".as_bytes()), "text/plain");
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), "text/html");
        assert_eq!(sniff(b"a\x00b"), "application/octet-stream");
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\Users\\x\\kiosk.jpg"), "kiosk.jpg");
        assert_eq!(clean_filename(" re\u{0}ceipt\n.pdf "), "receipt.pdf");
        assert_eq!(clean_filename(".."), "attachment");
        assert_eq!(clean_filename(""), "attachment");
        assert_eq!(clean_filename(&"é".repeat(300)).chars().count(), 255);
    }

    #[test]
    fn downloads_are_attachments_with_a_safe_name() {
        assert_eq!(
            content_disposition("kiosk photo.jpg"),
            "attachment; filename=\"kiosk photo.jpg\""
        );
        assert_eq!(
            content_disposition("reçu \"1\".pdf"),
            "attachment; filename=\"re_u _1_.pdf\"; filename*=UTF-8''re%C3%A7u%20%221%22.pdf"
        );
        assert_eq!(served_content_type("text/html"), "application/octet-stream");
        assert_eq!(
            served_content_type("text/plain"),
            "text/plain; charset=utf-8"
        );
    }
}
