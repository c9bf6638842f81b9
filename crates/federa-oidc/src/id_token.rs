//! Tokens Federa issues as an OpenID Provider: the ID token and the JWT access token.
//!
//! Owns the ID token claims of CONTRACT §4 / OIDC Core §2 (`iss sub aud exp iat auth_time nonce
//! amr acr idp`, `okta_auth` for org2org apps, optional `at_hash` per OIDC Core §3.1.3.6), the
//! Okta-style access token claims (`ver jti iss aud iat exp cid uid scp sub`, plus `auth_time`
//! and `acr`, reference §3.3), their signing with a [`SigningKey`], token ids drawn from an
//! [`Rng`], and the `at_hash` computation.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use federa_jose::{JwsAlg, SignOptions, SigningKey, jws};
use federa_types::Rng;
use serde::Serialize;

use crate::error::OidcError;

/// ID token claims (CONTRACT §4). Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdTokenClaims {
    /// Always 1 (Okta compatibility).
    pub ver: u8,
    /// Token id, `ID.` + random.
    pub jti: String,
    /// The org's issuer.
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// The client id.
    pub aud: String,
    /// Issued at.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// When the user authenticated.
    pub auth_time: i64,
    /// The request's nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Authentication methods (from `federa-claims`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// The satisfied `acr` value, when one was requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The IdP that authenticated the user (the org itself for local sign-in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
    /// Access token hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// The compact JWE `okta_auth` claim, for org2org apps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_auth: Option<String>,
    /// Standard claims released by the granted scopes (`email`, `email_verified`, `name`,
    /// `preferred_username`, ...), OIDC Core §5.4.
    #[serde(flatten)]
    pub profile: serde_json::Map<String, serde_json::Value>,
}

/// JWT access token claims (Okta shape). Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessTokenClaims {
    /// Always 1.
    pub ver: u8,
    /// Token id, `AT.` + random (the revocation key).
    pub jti: String,
    /// The org's issuer.
    pub iss: String,
    /// The resource audience.
    pub aud: String,
    /// Issued at.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// The client id.
    pub cid: String,
    /// The user id (absent for client credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Granted scopes.
    pub scp: Vec<String>,
    /// Subject: the user's login, or the client id for client credentials.
    pub sub: String,
    /// When the user authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The satisfied `acr`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
}

/// A new token id: `prefix` + 32 random bytes in base64url (e.g. `ID.…`, `AT.…`).
#[must_use]
pub fn new_token_id(prefix: &str, rng: &dyn Rng) -> String {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `at_hash` (OIDC Core §3.1.3.6): base64url of the left half of the hash of the access token's
/// ASCII, the hash being the one of the ID token's `alg` (SHA-256 for RS256 and ES256).
#[must_use]
pub fn at_hash(access_token: &str, alg: JwsAlg) -> String {
    match alg {
        JwsAlg::Rs256 | JwsAlg::Es256 => {
            let hash = digest(&SHA256, access_token.as_bytes());
            URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16])
        }
    }
}

fn sign_json<T: Serialize>(claims: &T, key: &SigningKey, typ: &str) -> Result<String, OidcError> {
    let payload =
        serde_json::to_vec(claims).map_err(|_| OidcError::Internal("serializing JWT claims"))?;
    Ok(jws::sign(key, &payload, &SignOptions::new().typ(typ))?)
}

/// Signs an ID token (`typ: JWT`).
///
/// # Errors
/// [`OidcError::Jose`] (size limit) or [`OidcError::Internal`].
pub fn sign_id_token(claims: &IdTokenClaims, key: &SigningKey) -> Result<String, OidcError> {
    sign_json(claims, key, "JWT")
}

/// Signs an access token (`typ: at+jwt`, RFC 9068 §2.1, so that it can never pass as an ID
/// token in [`crate::rp::validate_id_token`]).
///
/// # Errors
/// [`OidcError::Jose`] or [`OidcError::Internal`].
pub fn sign_access_token(
    claims: &AccessTokenClaims,
    key: &SigningKey,
) -> Result<String, OidcError> {
    sign_json(claims, key, "at+jwt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_left_half_of_sha256() {
        // Expected value computed independently with Python:
        // base64url(sha256(b"jHkWEdUXMU1BwAsC4vtUsZwnNb0fG7wZOsGXNgIXtW8").digest()[:16])
        let expected = "lMY8KIfIU3kv_XnqrCIEqw";
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNb0fG7wZOsGXNgIXtW8", JwsAlg::Rs256),
            expected
        );
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNb0fG7wZOsGXNgIXtW8", JwsAlg::Es256),
            expected
        );
    }

    #[test]
    fn token_ids_are_prefixed_and_long() {
        struct Fixed;
        impl Rng for Fixed {
            fn fill(&self, buf: &mut [u8]) {
                buf.fill(1);
            }
        }
        let id = new_token_id("AT.", &Fixed);
        assert!(id.starts_with("AT.") && id.len() == 3 + 43, "{id}");
    }
}
