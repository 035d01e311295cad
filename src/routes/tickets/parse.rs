//! Request text → validated values shared by the ticket endpoints (tags, category, comment
//! bodies, who wrote a comment).

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const MAX_TAGS: usize = 20;
const MAX_COMMENT: usize = 65_536;

/// Who wrote a description or comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentAuthor {
    /// The calling staff member.
    Agent,
    /// The requester; the agent logs it on their behalf.
    Requester,
}

pub(super) fn parse_tags(field: &str, tags: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.chars().count() > 50 || t.chars().any(char::is_whitespace) {
            return Err(ApiError::invalid_field(
                field,
                "each tag is 1–50 characters without spaces",
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ApiError::invalid_field(field, "at most 20 tags"));
    }
    Ok(out)
}

pub(super) fn parse_category(value: &str) -> Result<String, ApiError> {
    let v = value.trim().to_lowercase();
    if v.is_empty() || v.chars().count() > 100 {
        return Err(ApiError::invalid_field(
            "category",
            "must be 1–100 characters",
        ));
    }
    Ok(v)
}

pub(super) fn parse_comment(field: &str, body: &str) -> Result<String, ApiError> {
    if body.trim().is_empty() {
        return Err(ApiError::invalid_field(field, "must not be blank"));
    }
    if body.chars().count() > MAX_COMMENT {
        return Err(ApiError::invalid_field(
            field,
            "must be at most 65536 characters",
        ));
    }
    Ok(body.to_string())
}
