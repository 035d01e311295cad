//! `EmailAddress`: a normalised (trimmed, lower-case) address with a plausible shape.

use serde::Serialize;
use std::fmt;

/// A normalised email address. Build one with [`EmailAddress::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trims and lower-cases `s`, then checks its shape: one `@`, a non-empty local part, a
    /// domain with a dot and no empty label, no whitespace or control characters, at most 254
    /// characters.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(s: &str) -> Result<EmailAddress, String> {
        let e = s.trim().to_lowercase();
        if e.is_empty() {
            return Err("must not be empty".into());
        }
        if e.chars().count() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces or control characters".into());
        }
        let Some((local, domain)) = e.split_once('@') else {
            return Err("must contain @".into());
        };
        if local.is_empty() || domain.contains('@') {
            return Err("must have exactly one @ with a name before it".into());
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err("must have a domain such as example.com after the @".into());
        }
        Ok(EmailAddress(e))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse("  Ann.Agent@Example.COM ")
                .unwrap()
                .as_str(),
            "ann.agent@example.com"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "a@b@c.com",
            "ann @example.com",
            "ann@example..com",
            "ann@.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }
}
