//! ID token validation as a relying party (the broker talking to an upstream OIDC IdP).
//!
//! Owns OIDC Core §3.1.3.7 for the code flow: signature with the IdP's JWKS and an explicit
//! algorithm allow-list (steps 6-8, RFC 8725 §3.1), `typ` absent or `JWT` (RFC 8725 §3.11: an
//! `at+jwt` access token is not an ID token), `iss` exact (step 2), `aud` contains the client
//! and, with several audiences, `azp` must be present and be the client (steps 3-5), `exp`
//! (step 9), `iat` / `nbf` not in the future beyond the skew (step 10), and `nonce` equal to the
//! one sent, compared in constant time (step 11). The carriers of upstream authentication
//! context (`amr`, `acr`, `auth_time`, `okta_auth`, `idp`) are returned untouched as JSON for
//! `federa-claims` to interpret; this module only proves the token is genuine and ours.

use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use federa_jose::{JwsAlg, Kid, VerifyingKeySet};
use federa_types::Timestamp;
use serde_json::{Map, Value};

use crate::error::{OidcError, excerpt};
use crate::jwt;

/// What the ID token must match.
#[derive(Debug, Clone)]
pub struct IdTokenExpectations<'a> {
    /// The IdP's issuer, exactly.
    pub issuer: &'a str,
    /// Our client id at the IdP.
    pub client_id: &'a str,
    /// The nonce we sent in the authentication request.
    pub nonce: &'a str,
    /// Now.
    pub now: Timestamp,
    /// Allowed clock skew (per IdP object, `maxClockSkew`).
    pub max_clock_skew: Duration,
    /// Algorithms accepted from this IdP.
    pub allowed_algs: &'a [JwsAlg],
}

/// A validated ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedIdToken {
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `aud`, as a list.
    pub audiences: Vec<String>,
    /// `azp`, if present.
    pub authorized_party: Option<String>,
    /// `exp`, unix seconds.
    pub expires_at: i64,
    /// `iat`, unix seconds.
    pub issued_at: i64,
    /// `auth_time`, raw.
    pub auth_time: Option<Value>,
    /// `amr`, raw.
    pub amr: Option<Value>,
    /// `acr`, raw.
    pub acr: Option<Value>,
    /// `okta_auth`, raw (a compact JWE string or an object).
    pub okta_auth: Option<Value>,
    /// `idp`, raw.
    pub idp: Option<Value>,
    /// The `kid` of the IdP key that verified the signature.
    pub verified_with: Kid,
    /// All claims, for attribute mapping.
    pub claims: Map<String, Value>,
}

/// Validates an upstream ID token (see the module docs for the checks).
///
/// # Errors
/// [`OidcError::Jose`] (format, algorithm, key, signature), [`OidcError::UnexpectedTyp`],
/// [`OidcError::IssuerMismatch`], [`OidcError::AudienceMismatch`], [`OidcError::Expired`],
/// [`OidcError::NotYetValid`], [`OidcError::NonceMismatch`], [`OidcError::Claim`].
pub fn validate_id_token(
    token: &str,
    jwks: &VerifyingKeySet,
    expect: &IdTokenExpectations<'_>,
) -> Result<ValidatedIdToken, OidcError> {
    let (verified, claims) = jwt::verify_claims(token, jwks, expect.allowed_algs)?;
    if let Some(typ) = verified.header().typ()
        && !typ.eq_ignore_ascii_case("JWT")
    {
        return Err(OidcError::UnexpectedTyp(excerpt(typ)));
    }
    jwt::check_issuer(&claims, expect.issuer)?;
    let audiences = jwt::audiences(&claims)?;
    if !audiences.iter().any(|a| a == expect.client_id) {
        return Err(OidcError::AudienceMismatch(
            "aud does not contain our client id".to_owned(),
        ));
    }
    let azp = jwt::string(&claims, "azp")?;
    if audiences.len() > 1 && azp.is_none() {
        return Err(OidcError::AudienceMismatch(
            "several audiences but no azp".to_owned(),
        ));
    }
    if let Some(azp) = azp
        && azp != expect.client_id
    {
        return Err(OidcError::AudienceMismatch(format!(
            "azp {} is not our client id",
            excerpt(azp)
        )));
    }
    let times = jwt::check_times(&claims, expect.now, expect.max_clock_skew, true)?;
    let nonce = jwt::string(&claims, "nonce")?.ok_or(OidcError::NonceMismatch)?;
    verify_slices_are_equal(nonce.as_bytes(), expect.nonce.as_bytes())
        .map_err(|_| OidcError::NonceMismatch)?;
    let subject = jwt::required_string(&claims, "sub")?;
    if subject.is_empty() {
        return Err(OidcError::Claim {
            name: "sub",
            reason: "is empty".to_owned(),
        });
    }
    Ok(ValidatedIdToken {
        issuer: expect.issuer.to_owned(),
        subject: subject.to_owned(),
        audiences,
        authorized_party: azp.map(str::to_owned),
        expires_at: times.exp,
        issued_at: times.iat.unwrap_or_default(),
        auth_time: claims.get("auth_time").cloned(),
        amr: claims.get("amr").cloned(),
        acr: claims.get("acr").cloned(),
        okta_auth: claims.get("okta_auth").cloned(),
        idp: claims.get("idp").cloned(),
        verified_with: verified.verified_with().clone(),
        claims,
    })
}
