//! Production's secrets: the development values refused, guessable ones too.

use super::{Settings, SettingsError};
use secrecy::ExposeSecret;

/// Least estimated strength of a production secret, bits (see [`Settings::check_production_secrets`]).
pub const MIN_SECRET_ENTROPY_BITS: f64 = 128.0;

/// Why `secret` is guessable, if it is.
fn weak_secret(secret: &str) -> Option<String> {
    let bytes = secret.as_bytes();
    let mut counts = std::collections::HashMap::<u8, usize>::new();
    for b in bytes {
        *counts.entry(*b).or_default() += 1;
    }
    if counts.len() < 12 {
        return Some(format!("{} distinct characters", counts.len()));
    }
    #[allow(clippy::cast_precision_loss)]
    let n = bytes.len() as f64;
    #[allow(clippy::cast_precision_loss)]
    let per_char: f64 = counts
        .values()
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum();
    let bits = per_char * n;
    if bits < MIN_SECRET_ENTROPY_BITS {
        return Some(format!("about {bits:.0} bits"));
    }
    let repeats = (1..=bytes.len() / 2)
        .filter(|p| bytes.len().is_multiple_of(*p))
        .any(|p| bytes.chunks(p).all(|c| c == &bytes[..p]));
    if repeats {
        return Some("a repeated pattern".into());
    }
    None
}

/// The development inbound-mail secret of `config/default.toml`; refused in production.
pub const DEVELOPMENT_INBOUND_SECRET: &str = "development-inbound-secret-change-me";

/// The development JWT secret of `config/default.toml`; refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-change-me-0123456789";

impl Settings {
    /// Production's secrets: not the development values, and not guessable — at least
    /// [`MIN_SECRET_ENTROPY_BITS`] bits by the secret's own character distribution (Shannon
    /// entropy × length), at least 12 distinct characters, and not a repetition of a shorter
    /// string. A random 32-byte key in hex or base64 passes; `aaaa…`, `0123456789abcdef` twice,
    /// a word repeated, do not.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] naming the secret.
    pub fn check_production_secrets(&self) -> Result<(), SettingsError> {
        let secrets = [
            (
                "auth.jwt_secret",
                self.auth.jwt_secret.expose_secret(),
                DEVELOPMENT_JWT_SECRET,
                "FRONTLINE__AUTH__JWT_SECRET",
            ),
            (
                "email.inbound_secret",
                self.email.inbound_secret.expose_secret(),
                DEVELOPMENT_INBOUND_SECRET,
                "FRONTLINE__EMAIL__INBOUND_SECRET",
            ),
        ];
        for (key, secret, development, variable) in secrets {
            if secret == development {
                return Err(SettingsError::Invalid {
                    key,
                    message: format!("is the development secret; set {variable}"),
                });
            }
            if let Some(why) = weak_secret(secret) {
                return Err(SettingsError::Invalid {
                    key,
                    message: format!(
                        "is too easy to guess ({why}); set {variable} to a random value, e.g. \
                         `head -c 32 /dev/urandom | base64`"
                    ),
                });
            }
        }
        Ok(())
    }
}
