//! Signed links for customers, who never log in: a survey link and an unsubscribe link.
//!
//! Each token is an HS256 JWT signed with `auth.jwt_secret` whose audience names its single
//! purpose (`frontline-survey`, `frontline-unsubscribe`), so a survey token is refused as an
//! unsubscribe token and as a staff access token, and the other way round. Checks: algorithm
//! pinned, `iss`, `aud`, `sub` and `exp` required, no leeway.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Answer survey `sub`.
    Survey,
    /// Stop email to customer `sub`.
    Unsubscribe,
}

impl Purpose {
    fn audience(self) -> &'static str {
        match self {
            Purpose::Survey => "frontline-survey",
            Purpose::Unsubscribe => "frontline-unsubscribe",
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Well formed and signed by us, but past its `exp`.
    #[error("the link has expired")]
    Expired,
    /// Malformed, tampered with, or made for another purpose.
    #[error("the link is not valid")]
    Invalid,
}

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    sub: String,
    iss: String,
    aud: String,
    exp: i64,
}

/// Signs and checks link tokens.
#[derive(Clone)]
pub struct LinkSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSigner")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl LinkSigner {
    /// A signer with `secret` (the access tokens' key) and issuer `issuer`.
    ///
    /// # Errors
    /// The library refused the key.
    pub fn new(
        secret: &SecretString,
        issuer: &str,
    ) -> Result<LinkSigner, jsonwebtoken::errors::Error> {
        let bytes = secret.expose_secret().as_bytes();
        Ok(LinkSigner {
            encoding: EncodingKey::from_secret(bytes)?,
            decoding: DecodingKey::from_secret(bytes)?,
            issuer: issuer.to_string(),
        })
    }

    /// A token for `purpose` on `id` (survey or customer id), valid until `expires_at`.
    ///
    /// # Errors
    /// The library's encoding error.
    pub fn sign(
        &self,
        purpose: Purpose,
        id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = LinkClaims {
            sub: id.to_string(),
            iss: self.issuer.clone(),
            aud: purpose.audience().to_string(),
            exp: expires_at.timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The id a `purpose` token names, if it is ours, for that purpose and not expired at `now`.
    ///
    /// # Errors
    /// [`LinkError::Expired`] past its end (`exp` ≤ `now`); [`LinkError::Invalid`] otherwise.
    pub fn verify(
        &self,
        purpose: Purpose,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, LinkError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Expiry is checked below against `now` (a parameter), not the clock.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[purpose.audience()]);
        let data = jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &validation)
            .map_err(|_| LinkError::Invalid)?;
        let id = data
            .claims
            .sub
            .parse::<i64>()
            .map_err(|_| LinkError::Invalid)?;
        if data.claims.exp <= now.timestamp() {
            return Err(LinkError::Expired);
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn signer() -> LinkSigner {
        LinkSigner::new(&SecretString::from("k".repeat(32)), "frontline")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_token_names_its_id_until_its_end_and_only_for_its_purpose() {
        let s = signer();
        let end = Utc.with_ymd_and_hms(2026, 12, 29, 12, 0, 0).unwrap();
        let t = s
            .sign(Purpose::Survey, 17, end)
            .unwrap_or_else(|e| panic!("{e}"));
        let before = end - chrono::Duration::seconds(1);
        assert_eq!(s.verify(Purpose::Survey, &t, before), Ok(17));
        assert_eq!(s.verify(Purpose::Survey, &t, end), Err(LinkError::Expired));
        assert_eq!(
            s.verify(Purpose::Unsubscribe, &t, before),
            Err(LinkError::Invalid)
        );
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            s.verify(Purpose::Survey, &tampered, before),
            Err(LinkError::Invalid)
        );
        let other = LinkSigner::new(&SecretString::from("x".repeat(32)), "frontline")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            other.verify(Purpose::Survey, &t, before),
            Err(LinkError::Invalid)
        );
    }
}
