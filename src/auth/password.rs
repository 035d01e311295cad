//! Password hashing with argon2id (the crate's default parameters: 19 MiB, 2 passes, 1 lane).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

/// Shortest accepted password, in characters.
pub const MIN_LENGTH: usize = 12;
/// Longest accepted password, in characters (bounds hashing work).
pub const MAX_LENGTH: usize = 128;

/// A hash of a random password, verified against when the email is unknown so that the answer
/// takes as long as for a known email.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random: [u8; 16] = rand::random();
    hash(&format!("{random:?}")).unwrap_or_default()
});

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_LENGTH`] characters.
    #[error("must be at least {MIN_LENGTH} characters")]
    TooShort,
    /// More than [`MAX_LENGTH`] characters.
    #[error("must be at most {MAX_LENGTH} characters")]
    TooLong,
    /// The hasher failed (should not happen).
    #[error("could not hash the password")]
    Hashing,
}

/// Checks the length rules of a new password.
///
/// # Errors
/// [`PasswordError::TooShort`] or [`PasswordError::TooLong`].
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        Err(PasswordError::TooShort)
    } else if n > MAX_LENGTH {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

/// Hashes a password into an argon2id PHC string with a random salt.
///
/// # Errors
/// [`PasswordError::Hashing`] if the hasher fails.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// True when `password` matches the PHC string `hash`. With `hash = None` (unknown email or a
/// staff member without a password) a dummy hash is verified so the time taken is the same, and
/// the answer is false.
pub fn verify(password: &str, hash: Option<&str>) -> bool {
    let target = hash.unwrap_or(DUMMY_HASH.as_str());
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), target)
        .is_ok();
    ok && hash.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", Some(&h)));
        assert!(!verify("correct horse batterz", Some(&h)));
        assert!(!verify("correct horse battery", Some("not a phc string")));
    }

    #[test]
    fn an_unknown_account_never_verifies_even_with_the_dummy_password() {
        assert!(!verify("", None));
        assert!(!verify("anything at all", None));
    }

    #[test]
    fn the_policy_bounds_the_length_in_characters() {
        assert_eq!(check_policy("short"), Err(PasswordError::TooShort));
        assert_eq!(
            check_policy("ééééééééééé"),
            Err(PasswordError::TooShort),
            "11 chars"
        );
        assert_eq!(check_policy("éééééééééééé"), Ok(()), "12 chars, 24 bytes");
        assert_eq!(check_policy(&"x".repeat(129)), Err(PasswordError::TooLong));
    }
}
