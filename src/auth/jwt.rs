//! Access tokens: HS256 JWTs with `sub` (user id), `role`, `iss`, `aud`, `iat`, `nbf`, `exp`.
//!
//! Decoding pins the algorithm to HS256 (so `alg: none` and other algorithms are refused), checks
//! `iss`, `aud`, `exp` and `nbf` with no leeway, and requires every one of those claims.

use crate::models::enums::UserRole;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Shortest accepted secret, in bytes (the limit [`Settings::validate`] enforces at start-up).
///
/// [`Settings::validate`]: crate::configuration::Settings::validate
pub const MIN_SECRET_BYTES: usize = crate::configuration::MIN_JWT_SECRET_BYTES;

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The staff member's id (`users.id`) as a string.
    pub sub: String,
    /// Role at issue time.
    pub role: UserRole,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expires (Unix seconds).
    pub exp: i64,
    /// The user's `token_generation` at issue: a password change or a log-out bumps it, which
    /// ends every token issued before (absent in tokens of older builds: 0).
    #[serde(default)]
    pub generation: i32,
}

/// Keys and rules for access tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_seconds: i64,
}

/// Why keys could not be built.
#[derive(Debug, thiserror::Error)]
pub enum JwtSetupError {
    /// The secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("auth.jwt_secret must be at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
    /// The library refused the key, or a round trip failed (e.g. no crypto backend).
    #[error("JWT self-test failed: {0}")]
    SelfTest(String),
}

impl JwtKeys {
    /// Builds the keys and checks them with one encode/decode round trip.
    ///
    /// # Errors
    /// [`JwtSetupError`] for a short secret or a failed self-test.
    pub fn new(
        secret: &SecretString,
        issuer: &str,
        audience: &str,
        ttl_seconds: i64,
    ) -> Result<JwtKeys, JwtSetupError> {
        let bytes = secret.expose_secret().as_bytes();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(JwtSetupError::ShortSecret);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        let keys = JwtKeys {
            encoding: EncodingKey::from_secret(bytes)
                .map_err(|e| JwtSetupError::SelfTest(e.to_string()))?,
            decoding: DecodingKey::from_secret(bytes)
                .map_err(|e| JwtSetupError::SelfTest(e.to_string()))?,
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            ttl_seconds,
        };
        let now = Utc::now();
        let token = keys
            .issue(0, UserRole::Agent, now)
            .map_err(|e| JwtSetupError::SelfTest(e.to_string()))?;
        keys.verify(&token)
            .map_err(|e| JwtSetupError::SelfTest(e.to_string()))?;
        Ok(keys)
    }

    /// Lifetime of an access token, seconds.
    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    /// Issues a token for `user_id` with `role`, valid from `now` for the configured lifetime.
    ///
    /// # Errors
    /// The library's encoding error.
    pub fn issue(
        &self,
        user_id: i64,
        role: UserRole,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_at_generation(user_id, role, 0, now)
    }

    /// [`JwtKeys::issue`] for a user whose `token_generation` is `generation`.
    ///
    /// # Errors
    /// The library's encoding error.
    pub fn issue_at_generation(
        &self,
        user_id: i64,
        role: UserRole,
        generation: i32,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            generation,
            sub: user_id.to_string(),
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: now.timestamp() + self.ttl_seconds,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// Verifies a token (signature, algorithm, `iss`, `aud`, `exp`, `nbf`) and returns its claims.
    ///
    /// # Errors
    /// The library's validation error.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn keys() -> JwtKeys {
        JwtKeys::new(
            &SecretString::from(SECRET),
            "frontline",
            "frontline-api",
            900,
        )
        .unwrap()
    }

    fn sign(claims: &serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    fn claims(now: i64) -> serde_json::Value {
        serde_json::json!({"sub": "7", "role": "agent", "iss": "frontline", "aud": "frontline-api",
                           "iat": now, "nbf": now, "exp": now + 900})
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let now = Utc::now();
        let token = keys().issue(7, UserRole::Manager, now).unwrap();
        let c = keys().verify(&token).unwrap();
        assert_eq!(c.sub, "7");
        assert_eq!(c.role, UserRole::Manager);
        assert_eq!(c.exp - c.nbf, 900);
    }

    #[test]
    fn a_short_secret_is_refused() {
        let err = JwtKeys::new(&SecretString::from("too short"), "i", "a", 60).err();
        assert!(matches!(err, Some(JwtSetupError::ShortSecret)));
    }

    #[test]
    fn every_kind_of_bad_token_is_refused() {
        let now = Utc::now().timestamp();
        let mut expired = claims(now - 1000);
        expired["exp"] = (now - 1).into();
        let mut future = claims(now);
        future["nbf"] = (now + 60).into();
        let mut other_aud = claims(now);
        other_aud["aud"] = "someone-else".into();
        let mut other_iss = claims(now);
        other_iss["iss"] = "evil".into();
        let mut no_exp = claims(now);
        no_exp.as_object_mut().unwrap().remove("exp");
        let mut exp_as_string = claims(now - 1000);
        exp_as_string["exp"] = (now - 1).to_string().into();

        let good = sign(&claims(now), SECRET);
        let (head, rest) = good.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let mut tampered_claims = claims(now);
        tampered_claims["role"] = "admin".into();
        let tampered = format!(
            "{head}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(tampered_claims.to_string())
        );
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let alg_none = format!(
            "{none_header}.{}.",
            URL_SAFE_NO_PAD.encode(claims(now).to_string())
        );
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims(now),
            &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        )
        .unwrap();

        let cases = [
            ("expired", sign(&expired, SECRET)),
            ("not yet valid", sign(&future, SECRET)),
            ("another audience", sign(&other_aud, SECRET)),
            ("another issuer", sign(&other_iss, SECRET)),
            ("no exp", sign(&no_exp, SECRET)),
            ("exp as a string", sign(&exp_as_string, SECRET)),
            (
                "another key",
                sign(&claims(now), "another secret of thirty-two bytes!"),
            ),
            ("tampered claims", tampered),
            ("alg none", alg_none),
            ("HS512", hs512),
            ("garbage", "not.a.token".to_string()),
        ];
        assert!(keys().verify(&good).is_ok(), "the control token verifies");
        for (what, token) in cases {
            assert!(keys().verify(&token).is_err(), "{what} must be refused");
        }
    }
}
