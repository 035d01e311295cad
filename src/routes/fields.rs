//! Request values → validated values, shared by the handlers. Each parser names the failing field
//! in its 422 (`errors: { field: [message] }`): names, emails, phones, tags, categories, comment
//! bodies, skills, RFC 3339 instants and `[from, to)` ranges; [`double_option`] tells an absent `PATCH`
//! field from a `null` one; [`clip`] shortens bad input echoed in a message.

use crate::domain::email::EmailAddress;
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// Most tags on a ticket.
const MAX_TAGS: usize = 20;
/// Most skills of a staff member.
const MAX_SKILLS: usize = 20;
/// Longest comment body, in characters.
const MAX_COMMENT: usize = 65_536;

/// Deserializes a field that may be absent (unchanged), `null` (cleared) or a value.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A non-blank name, trimmed, at most `max` characters, on one line (no control characters: it
/// goes into email headers and CSV cells).
pub fn parse_name(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid_field(field, "must not be blank"));
    }
    if v.chars().count() > max {
        return Err(ApiError::invalid_field(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    // Names and subjects are one line: they go into email headers and CSV cells.
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            field,
            "must be one line, without control characters",
        ));
    }
    Ok(v.to_string())
}

/// An email address, normalised (trimmed, lower case) by [`EmailAddress::parse`].
pub fn parse_email(field: &str, value: &str) -> Result<String, ApiError> {
    EmailAddress::parse(value)
        .map(|e| e.to_string())
        .map_err(|m| ApiError::invalid_field(field, m))
}

/// A phone number, trimmed: 3–20 digits, optionally with `+ - ( ) .` and spaces.
pub fn parse_phone(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(3..=20).contains(&digits) {
        return Err(ApiError::invalid_field(
            field,
            "must be 3–20 digits, optionally with + - ( ) . and spaces",
        ));
    }
    Ok(v.to_string())
}

/// Ticket tags: each trimmed and lower-cased, 1–50 characters without spaces; duplicates
/// dropped (first occurrence kept); at most 20.
pub fn parse_tags(field: &str, tags: &[String]) -> Result<Vec<String>, ApiError> {
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

/// A staff member's skills (the `skills` field): each trimmed and lower-cased, 1–50
/// characters; duplicates dropped (first occurrence kept); at most 20.
pub fn parse_skills(skills: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for s in skills {
        let s = s.trim().to_lowercase();
        if s.is_empty() || s.chars().count() > 50 {
            return Err(ApiError::invalid_field(
                "skills",
                "each skill is 1–50 characters",
            ));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.len() > MAX_SKILLS {
        return Err(ApiError::invalid_field("skills", "at most 20 skills"));
    }
    Ok(out)
}

/// A ticket category (the `category` field): trimmed, lower-cased, 1–100 characters.
pub fn parse_category(value: &str) -> Result<String, ApiError> {
    let v = value.trim().to_lowercase();
    if v.is_empty() || v.chars().count() > 100 {
        return Err(ApiError::invalid_field(
            "category",
            "must be 1–100 characters",
        ));
    }
    Ok(v)
}

/// A comment or description body, kept as sent: not blank, at most 65,536 characters.
pub fn parse_comment(field: &str, body: &str) -> Result<String, ApiError> {
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

/// Parses an RFC 3339 timestamp query parameter, naming the field on failure (422).
pub fn parse_instant(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|v| {
            crate::domain::instant::parse_rfc3339(v).map_err(|m| {
                // A `+` offset sent unencoded arrives as a space (form encoding).
                let hint = if v.contains(' ') {
                    " (a `+` in a query string must be sent as %2B)"
                } else {
                    ""
                };
                ApiError::invalid_field(field, format!("`{}` {m}{hint}", clip(v)))
            })
        })
        .transpose()
}

/// An optional half-open time range `[from, to)`.
pub type Bounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Parses an optional `[from, to)` pair of RFC 3339 parameters; 422 naming the field when one is
/// malformed or `to` comes before `from`.
pub fn parse_range(
    from_field: &str,
    to_field: &'static str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Bounds, ApiError> {
    let from = parse_instant(from_field, from)?;
    let to = parse_instant(to_field, to)?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::invalid_field(
            to_field,
            format!("must not be before {from_field}"),
        ));
    }
    Ok((from, to))
}

/// `s` cut to 64 characters (with `…`), for echoing bad input in error messages.
pub fn clip(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(64).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::Validation { errors, .. } => errors.into_keys().collect(),
            other => panic!("not a 422: {other:?}"),
        }
    }

    #[test]
    fn each_parser_names_the_failing_field() {
        assert_eq!(field_of(parse_name("name", "  ", 10).unwrap_err()), "name");
        assert_eq!(
            field_of(parse_name("name", "abcdefghijk", 10).unwrap_err()),
            "name"
        );
        assert_eq!(field_of(parse_email("email", "nope").unwrap_err()), "email");
        assert_eq!(field_of(parse_phone("phone", "12").unwrap_err()), "phone");
        assert_eq!(
            field_of(parse_phone("phone", "555-CALL").unwrap_err()),
            "phone"
        );
        assert_eq!(
            field_of(parse_tags("tags", &["a b".into()]).unwrap_err()),
            "tags"
        );
        assert_eq!(field_of(parse_category(" ").unwrap_err()), "category");
        assert_eq!(field_of(parse_skills(&[" ".into()]).unwrap_err()), "skills");
        let many: Vec<String> = (0..21).map(|i| format!("skill{i}")).collect();
        assert_eq!(field_of(parse_skills(&many).unwrap_err()), "skills");
        assert_eq!(field_of(parse_comment("body", " \n").unwrap_err()), "body");
        assert_eq!(
            field_of(
                parse_range(
                    "from",
                    "to",
                    Some("2024-01-02T00:00:00Z"),
                    Some("2024-01-01T00:00:00Z")
                )
                .unwrap_err()
            ),
            "to"
        );
    }

    #[test]
    fn accepted_values_are_normalised() {
        assert_eq!(parse_name("name", "  Ann  ", 10).unwrap(), "Ann");
        assert_eq!(
            parse_phone("phone", " +1 (555) 010-0000 ").unwrap(),
            "+1 (555) 010-0000"
        );
        assert_eq!(
            parse_tags("tags", &["VIP".into(), "vip".into(), " Printer ".into()]).unwrap(),
            ["vip", "printer"]
        );
        assert_eq!(parse_category(" Hardware ").unwrap(), "hardware");
        assert_eq!(
            parse_skills(&[
                " Inmate_Phone ".into(),
                "inmate_phone".into(),
                "Fiber Splicing".into()
            ])
            .unwrap(),
            ["inmate_phone", "fiber splicing"]
        );
        assert_eq!(clip(&"x".repeat(70)).chars().count(), 65);
    }
}
