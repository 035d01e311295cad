//! The catalogue checks of a ticket write: its category must be an active catalogue category
//! ([`category_tx`]), its custom field values must fit their definitions ([`custom_fields_tx`])
//! and a solve needs every active required field ([`check_solvable_tx`]). Used by `create`,
//! `update` and `comment` (the API's writes); the importer and the seed do not come here.

use crate::error::ApiError;
use crate::models::category;
use crate::models::custom_field::{self, FieldRow};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Longest text value, characters.
pub const MAX_TEXT: usize = 1000;

/// The custom field types.
pub const FIELD_TYPES: [&str; 5] = ["text", "number", "date", "dropdown", "checkbox"];

/// The key of the category a ticket write asks for (`value` trimmed and lower-cased by the
/// route): an active category's key, or its name (case-insensitive) resolved to its key.
///
/// # Errors
/// 422 naming `category` with the accepted keys for an unknown or inactive one.
pub fn category_tx(
    conn: &mut diesel::PgConnection,
    value: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    match category::resolve(conn, value)? {
        Ok(key) => Ok(Some(key)),
        Err(accepted) => Err(ApiError::invalid_field(
            "category",
            format!(
                "unknown category `{}`; expected one of: {}",
                crate::routes::fields::clip(value),
                if accepted.is_empty() {
                    "(none: an admin adds categories at /api/v1/ticket-categories)".to_string()
                } else {
                    accepted.join(", ")
                }
            ),
        )),
    }
}

/// The stored form of `value` for field `def`, or why it does not fit (`null` is handled by
/// the caller: it clears). Text: trimmed, 1–1000 characters; number: a finite JSON number;
/// date: `YYYY-MM-DD`; drop-down: one of its options, exactly; checkbox: `true` or `false`.
pub fn check_value(def: &FieldRow, value: &Value) -> Result<Value, String> {
    match (def.field_type.as_str(), value) {
        ("text", Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                Err("must not be blank (null clears it)".into())
            } else if s.chars().count() > MAX_TEXT {
                Err(format!("must be at most {MAX_TEXT} characters"))
            } else {
                Ok(Value::String(s.to_string()))
            }
        }
        ("text", _) => Err("must be a string".into()),
        ("number", Value::Number(n)) if n.as_f64().is_some_and(f64::is_finite) => {
            Ok(Value::Number(n.clone()))
        }
        ("number", _) => Err("must be a number".into()),
        ("date", Value::String(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|d| d.format("%Y-%m-%d").to_string() == *s)
            .map(|_| Value::String(s.clone()))
            .ok_or_else(|| "must be a date, YYYY-MM-DD".into()),
        ("date", _) => Err("must be a date, YYYY-MM-DD".into()),
        ("dropdown", Value::String(s)) if def.options.contains(s) => Ok(value.clone()),
        ("dropdown", _) => Err(format!("must be one of: {}", def.options.join(", "))),
        ("checkbox", Value::Bool(_)) => Ok(value.clone()),
        ("checkbox", _) => Err("must be true or false".into()),
        (other, _) => Err(format!("has an unknown type `{other}`")),
    }
}

/// One value change: the field's key, the value before and after (`null`: none).
pub type Change = (String, Value, Value);

/// `current` values after the `requested` changes (a merge: `null` removes a value, other keys
/// stay), and the changes as `(key, from, to)` (`null` for no value), in key order.
///
/// # Errors
/// 422 naming `custom_fields.<key>` for an unknown or inactive field or a value that does not
/// fit its type; every failing field is named.
pub fn custom_fields_tx(
    conn: &mut diesel::PgConnection,
    current: &Map<String, Value>,
    requested: &Map<String, Value>,
) -> Result<(Map<String, Value>, Vec<Change>), ApiError> {
    if requested.is_empty() {
        return Ok((current.clone(), Vec::new()));
    }
    let defs = custom_field::list(conn)?;
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut next = current.clone();
    let mut changes = Vec::new();
    for (key, value) in requested {
        let name = format!("custom_fields.{}", crate::routes::fields::clip(key));
        let Some(def) = defs.iter().find(|d| d.key == *key) else {
            let known: Vec<&str> = defs
                .iter()
                .filter(|d| d.active)
                .map(|d| d.key.as_str())
                .collect();
            errors.entry(name).or_default().push(format!(
                "no such field; expected one of: {}",
                if known.is_empty() {
                    "(none defined)".to_string()
                } else {
                    known.join(", ")
                }
            ));
            continue;
        };
        if !def.active {
            errors
                .entry(name)
                .or_default()
                .push("the field is inactive".into());
            continue;
        }
        let to = if value.is_null() {
            Value::Null
        } else {
            match check_value(def, value) {
                Ok(v) => v,
                Err(message) => {
                    errors.entry(name).or_default().push(message);
                    continue;
                }
            }
        };
        let from = current.get(key).cloned().unwrap_or(Value::Null);
        if from != to {
            if to.is_null() {
                next.remove(key);
            } else {
                next.insert(key.clone(), to.clone());
            }
            changes.push((key.clone(), from, to));
        }
    }
    if !errors.is_empty() {
        return Err(validation(errors));
    }
    Ok((next, changes))
}

/// Checks that `values` (a ticket's `custom_fields` as it is about to be solved) hold every
/// active required-on-solve field: a value, and `true` for a checkbox.
///
/// # Errors
/// 422 naming `custom_fields.<key>` of every missing field.
pub fn check_solvable_tx(conn: &mut diesel::PgConnection, values: &Value) -> Result<(), ApiError> {
    let defs = custom_field::list(conn)?;
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for def in defs.iter().filter(|d| d.active && d.required_on_solve) {
        let filled = match values.get(&def.key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => true,
        };
        if !filled {
            let message = if def.field_type == "checkbox" {
                format!("`{}` must be checked to solve the ticket", def.label)
            } else {
                format!("`{}` is required to solve the ticket", def.label)
            };
            errors
                .entry(format!("custom_fields.{}", def.key))
                .or_default()
                .push(message);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(validation(errors))
    }
}

/// A 422 for several fields.
fn validation(errors: BTreeMap<String, Vec<String>>) -> ApiError {
    let detail = errors
        .iter()
        .map(|(f, m)| format!("{f}: {}", m.join("; ")))
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::Validation { detail, errors }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(field_type: &str, options: &[&str]) -> FieldRow {
        let at = chrono::DateTime::UNIX_EPOCH;
        FieldRow {
            id: 1,
            key: "k".into(),
            label: "K".into(),
            field_type: field_type.into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            required_on_solve: false,
            active: true,
            position: 0,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn each_type_takes_its_values_only() {
        let text = def("text", &[]);
        assert_eq!(check_value(&text, &json!("  a b ")), Ok(json!("a b")));
        assert!(check_value(&text, &json!("  ")).is_err());
        assert!(check_value(&text, &json!(3)).is_err());
        let number = def("number", &[]);
        assert_eq!(check_value(&number, &json!(2.5)), Ok(json!(2.5)));
        assert_eq!(
            check_value(&number, &json!("2")),
            Err("must be a number".into())
        );
        let date = def("date", &[]);
        assert_eq!(
            check_value(&date, &json!("2026-02-28")),
            Ok(json!("2026-02-28"))
        );
        assert!(check_value(&date, &json!("2026-02-30")).is_err());
        assert!(check_value(&date, &json!("2026-2-3")).is_err());
        let dropdown = def("dropdown", &["mains", "battery"]);
        assert_eq!(check_value(&dropdown, &json!("mains")), Ok(json!("mains")));
        assert_eq!(
            check_value(&dropdown, &json!("Mains")),
            Err("must be one of: mains, battery".into())
        );
        let checkbox = def("checkbox", &[]);
        assert_eq!(check_value(&checkbox, &json!(false)), Ok(json!(false)));
        assert!(check_value(&checkbox, &json!("true")).is_err());
    }
}
