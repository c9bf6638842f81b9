//! Client authentication at the token, revocation and introspection endpoints.
//!
//! Owns the choice of exactly one method from the `Authorization` header and the form
//! (RFC 6749 §2.3: more than one method is `invalid_request`): `client_secret_basic`
//! (§2.3.1, with the id and secret form-urlencoded inside the Basic credentials),
//! `client_secret_post` (§2.3.1), `private_key_jwt` (OIDC Core §9, RFC 7523 §2.2/§3) and `none`
//! (a public client sending only `client_id`, RFC 6749 §2.1/RFC 7636). It also owns the
//! verification of a client assertion against the client's JWKS and the constant-time comparison
//! of client secrets against their stored SHA-256 digests.

use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use federa_jose::{CompactJws, JwsAlg, VerifyingKeySet, jws};
use federa_types::{Secret, Timestamp};
use percent_encoding::percent_decode_str;

use crate::error::{OidcError, excerpt};
use crate::jwt;
use crate::params::{ClientId, Params};

/// The only accepted `client_assertion_type` (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Token endpoint authentication methods (OAuth Dynamic Client Registration §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpointAuthMethod {
    /// `client_secret_basic`
    ClientSecretBasic,
    /// `client_secret_post`
    ClientSecretPost,
    /// `private_key_jwt`
    PrivateKeyJwt,
    /// `none`
    None,
}

impl TokenEndpointAuthMethod {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }
}

/// The credentials a request presented; not yet checked against the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuthentication {
    /// HTTP Basic with id and secret.
    SecretBasic {
        /// The client id.
        client_id: ClientId,
        /// The presented secret.
        secret: Secret<String>,
    },
    /// `client_id` and `client_secret` in the form.
    SecretPost {
        /// The client id.
        client_id: ClientId,
        /// The presented secret.
        secret: Secret<String>,
    },
    /// A signed JWT. `client_id` is the form's, or else the assertion's (unverified) `iss`;
    /// [`verify_client_assertion`] confirms it.
    PrivateKeyJwt {
        /// The client id.
        client_id: ClientId,
        /// The compact JWS.
        assertion: String,
    },
    /// A public client: `client_id` only.
    None {
        /// The client id.
        client_id: ClientId,
    },
}

impl ClientAuthentication {
    /// The client the request claims to be.
    #[must_use]
    pub fn client_id(&self) -> &ClientId {
        match self {
            Self::SecretBasic { client_id, .. }
            | Self::SecretPost { client_id, .. }
            | Self::PrivateKeyJwt { client_id, .. }
            | Self::None { client_id } => client_id,
        }
    }

    /// The method used.
    #[must_use]
    pub fn method(&self) -> TokenEndpointAuthMethod {
        match self {
            Self::SecretBasic { .. } => TokenEndpointAuthMethod::ClientSecretBasic,
            Self::SecretPost { .. } => TokenEndpointAuthMethod::ClientSecretPost,
            Self::PrivateKeyJwt { .. } => TokenEndpointAuthMethod::PrivateKeyJwt,
            Self::None { .. } => TokenEndpointAuthMethod::None,
        }
    }
}

fn form_decode(part: &str, what: &str) -> Result<String, OidcError> {
    let plus_as_space = part.replace('+', " ");
    percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| OidcError::InvalidClient(format!("the Basic {what} is not UTF-8")))
}

fn parse_basic(header: &str) -> Result<(ClientId, Secret<String>), OidcError> {
    let (scheme, credentials) = header.trim().split_once(' ').ok_or_else(|| {
        OidcError::InvalidClient("the Authorization header is not Basic credentials".to_owned())
    })?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OidcError::InvalidClient(format!(
            "the Authorization scheme {} is not accepted; use Basic",
            excerpt(scheme)
        )));
    }
    let decoded = STANDARD
        .decode(credentials.trim().as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            OidcError::InvalidClient("the Basic credentials are not base64".to_owned())
        })?;
    let (id, secret) = decoded.split_once(':').ok_or_else(|| {
        OidcError::InvalidClient("the Basic credentials have no ':' separator".to_owned())
    })?;
    let id = ClientId::new(form_decode(id, "client id")?)
        .map_err(|_| OidcError::InvalidClient("the Basic client id is invalid".to_owned()))?;
    let secret = form_decode(secret, "client secret")?;
    if secret.is_empty() {
        return Err(OidcError::InvalidClient(
            "the Basic client secret is empty".to_owned(),
        ));
    }
    Ok((id, Secret::new(secret)))
}

/// Determines the one authentication method of a token-endpoint request.
///
/// `authorization` is the raw `Authorization` header value, `form` the request body pairs.
///
/// # Errors
/// [`OidcError::MultipleClientAuthentication`], [`OidcError::DuplicateParameter`],
/// [`OidcError::InvalidClient`] (malformed credentials or no client identification),
/// [`OidcError::InvalidParameter`] (wrong assertion type).
pub fn authenticate_request<K: AsRef<str>, V: AsRef<str>>(
    authorization: Option<&str>,
    form: &[(K, V)],
) -> Result<ClientAuthentication, OidcError> {
    let p = Params::from_pairs(form.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
    let form_id = p.single("client_id")?;
    let form_secret = p.single("client_secret")?;
    let assertion = p.single("client_assertion")?;
    let assertion_type = p.single("client_assertion_type")?;
    let basic = authorization.map(parse_basic).transpose()?;
    let used = [basic.is_some(), form_secret.is_some(), assertion.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if used > 1 {
        return Err(OidcError::MultipleClientAuthentication);
    }
    let form_id = form_id
        .map(ClientId::new)
        .transpose()
        .map_err(|_| OidcError::InvalidClient("client_id is malformed".to_owned()))?;
    if let Some((client_id, secret)) = basic {
        if form_id.as_ref().is_some_and(|f| *f != client_id) {
            return Err(OidcError::InvalidParameter {
                name: "client_id",
                reason: "differs from the client id in the Authorization header".to_owned(),
            });
        }
        return Ok(ClientAuthentication::SecretBasic { client_id, secret });
    }
    if let Some(secret) = form_secret {
        let client_id = form_id.ok_or_else(|| {
            OidcError::InvalidClient("client_secret was sent without client_id".to_owned())
        })?;
        return Ok(ClientAuthentication::SecretPost {
            client_id,
            secret: Secret::new(secret.to_owned()),
        });
    }
    if let Some(assertion) = assertion {
        if assertion_type != Some(JWT_BEARER_ASSERTION_TYPE) {
            return Err(OidcError::InvalidParameter {
                name: "client_assertion_type",
                reason: format!("must be {JWT_BEARER_ASSERTION_TYPE}"),
            });
        }
        let client_id = match form_id {
            Some(id) => id,
            None => unverified_assertion_issuer(assertion)?,
        };
        return Ok(ClientAuthentication::PrivateKeyJwt {
            client_id,
            assertion: assertion.to_owned(),
        });
    }
    if assertion_type.is_some() {
        return Err(OidcError::MissingParameter("client_assertion"));
    }
    match form_id {
        Some(client_id) => Ok(ClientAuthentication::None { client_id }),
        None => Err(OidcError::InvalidClient(
            "no client authentication and no client_id".to_owned(),
        )),
    }
}

/// The `iss` of an assertion before verification, only to find the client's keys.
fn unverified_assertion_issuer(assertion: &str) -> Result<ClientId, OidcError> {
    let parsed = CompactJws::parse(assertion)
        .map_err(|e| OidcError::InvalidClient(format!("client_assertion: {e}")))?;
    let claims = jws::parse_claims(parsed.unverified_payload())
        .map_err(|e| OidcError::InvalidClient(format!("client_assertion: {e}")))?;
    let iss = jwt::required_string(&claims, "iss")
        .map_err(|e| OidcError::InvalidClient(format!("client_assertion: {e}")))?;
    ClientId::new(iss)
        .map_err(|_| OidcError::InvalidClient("client_assertion iss is not a client id".to_owned()))
}

/// What a `private_key_jwt` assertion must satisfy.
#[derive(Debug, Clone)]
pub struct AssertionExpectations<'a> {
    /// The client the request claims to be (`iss` and `sub` must equal it).
    pub client_id: &'a ClientId,
    /// Acceptable audiences: the token endpoint URL and the issuer.
    pub audiences: &'a [&'a str],
    /// Now.
    pub now: Timestamp,
    /// Allowed clock skew.
    pub max_clock_skew: Duration,
    /// Longest accepted `exp - now` (bounds the caller's replay cache).
    pub max_lifetime: Duration,
}

/// A verified client assertion: the caller must record `jti` until `exp` and refuse reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClientAssertion {
    /// The assertion id for the replay cache.
    pub jti: String,
    /// Expiry (unix seconds): how long to remember `jti`.
    pub exp: i64,
}

/// Verifies a `private_key_jwt` assertion (RFC 7523 §3, OIDC Core §9) with the client's keys:
/// RS256/ES256 signature, `iss` = `sub` = client id, `aud` containing one of `audiences`,
/// `exp` in the future but not too far, `iat` not in the future, `jti` present.
///
/// # Errors
/// [`OidcError::InvalidClient`] carrying the reason.
pub fn verify_client_assertion(
    assertion: &str,
    client_keys: &VerifyingKeySet,
    expect: &AssertionExpectations<'_>,
) -> Result<VerifiedClientAssertion, OidcError> {
    let fail = |e: OidcError| OidcError::InvalidClient(format!("client_assertion: {e}"));
    let (_, claims) = jwt::verify_claims(assertion, client_keys, &JwsAlg::ALL).map_err(fail)?;
    let client = expect.client_id.as_str();
    jwt::check_issuer(&claims, client).map_err(fail)?;
    if jwt::required_string(&claims, "sub").map_err(fail)? != client {
        return Err(OidcError::InvalidClient(
            "client_assertion: sub is not the client id".to_owned(),
        ));
    }
    let audiences = jwt::audiences(&claims).map_err(fail)?;
    if !audiences
        .iter()
        .any(|a| expect.audiences.contains(&a.as_str()))
    {
        return Err(OidcError::InvalidClient(
            "client_assertion: aud names neither the token endpoint nor the issuer".to_owned(),
        ));
    }
    let times =
        jwt::check_times(&claims, expect.now, expect.max_clock_skew, false).map_err(fail)?;
    let horizon = expect
        .now
        .seconds()
        .saturating_add(i64::try_from(expect.max_lifetime.as_secs()).unwrap_or(i64::MAX));
    if times.exp > horizon {
        return Err(OidcError::InvalidClient(
            "client_assertion: exp is too far in the future".to_owned(),
        ));
    }
    let jti = jwt::required_string(&claims, "jti").map_err(fail)?;
    if jti.is_empty() {
        return Err(OidcError::InvalidClient(
            "client_assertion: jti is empty".to_owned(),
        ));
    }
    Ok(VerifiedClientAssertion {
        jti: jti.to_owned(),
        exp: times.exp,
    })
}

/// The SHA-256 digest under which a (high-entropy, generated) client secret is stored.
#[must_use]
pub fn hash_client_secret(secret: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
    out
}

/// Compares a presented secret with a stored SHA-256 digest in constant time.
#[must_use]
pub fn client_secret_matches(presented: &Secret<String>, stored_sha256: &[u8]) -> bool {
    let presented = hash_client_secret(presented.expose());
    verify_slices_are_equal(&presented, stored_sha256).is_ok()
}
