//! The OpenID Provider metadata at `/.well-known/openid-configuration`.
//!
//! Owns [`ProviderMetadata`] (OIDC Discovery §3, RFC 8414 §2, RFC 9207 §3) for an org's issuer,
//! with the endpoints of CONTRACT §3 and exactly the capabilities this crate implements. The
//! golden file `tests/golden/discovery.json` pins the document.

use serde::Serialize;

use crate::authorize::AcrValue;
use crate::error::OidcError;
use crate::params::Issuer;

/// The provider metadata document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderMetadata {
    /// The issuer.
    pub issuer: String,
    /// `/oauth2/v1/authorize`
    pub authorization_endpoint: String,
    /// `/oauth2/v1/token`
    pub token_endpoint: String,
    /// `/oauth2/v1/userinfo`
    pub userinfo_endpoint: String,
    /// `/oauth2/v1/keys`
    pub jwks_uri: String,
    /// `/oauth2/v1/revoke`
    pub revocation_endpoint: String,
    /// `/oauth2/v1/introspect`
    pub introspection_endpoint: String,
    /// `/oauth2/v1/logout`
    pub end_session_endpoint: String,
    /// `["code"]`
    pub response_types_supported: Vec<&'static str>,
    /// `query`, `form_post`
    pub response_modes_supported: Vec<&'static str>,
    /// The three grants.
    pub grant_types_supported: Vec<&'static str>,
    /// `public`
    pub subject_types_supported: Vec<&'static str>,
    /// `RS256`, `ES256`
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// Scopes.
    pub scopes_supported: Vec<&'static str>,
    /// Token endpoint authentication methods.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Algorithms accepted for `private_key_jwt`.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    /// Claims.
    pub claims_supported: Vec<&'static str>,
    /// `S256`
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// Understood `acr_values`.
    pub acr_values_supported: Vec<&'static str>,
    /// Revocation endpoint client authentication methods.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Introspection endpoint client authentication methods.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// `iss` in authorization responses (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
    /// `request` is not supported.
    pub request_parameter_supported: bool,
    /// `request_uri` is not supported.
    pub request_uri_parameter_supported: bool,
    /// `claims` is not supported.
    pub claims_parameter_supported: bool,
}

const AUTH_METHODS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// Builds the metadata for an org's issuer.
///
/// # Errors
/// [`OidcError::Internal`] if an endpoint URL cannot be formed (not for a valid issuer).
pub fn metadata(issuer: &Issuer) -> Result<ProviderMetadata, OidcError> {
    let url = |path: &str| issuer.endpoint(path).map(String::from);
    Ok(ProviderMetadata {
        issuer: issuer.as_str().to_owned(),
        authorization_endpoint: url("/oauth2/v1/authorize")?,
        token_endpoint: url("/oauth2/v1/token")?,
        userinfo_endpoint: url("/oauth2/v1/userinfo")?,
        jwks_uri: url("/oauth2/v1/keys")?,
        revocation_endpoint: url("/oauth2/v1/revoke")?,
        introspection_endpoint: url("/oauth2/v1/introspect")?,
        end_session_endpoint: url("/oauth2/v1/logout")?,
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query", "form_post"],
        grant_types_supported: vec!["authorization_code", "refresh_token", "client_credentials"],
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: vec!["RS256", "ES256"],
        scopes_supported: vec![
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
            "groups",
        ],
        token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        token_endpoint_auth_signing_alg_values_supported: vec!["RS256", "ES256"],
        claims_supported: vec![
            "iss",
            "ver",
            "sub",
            "aud",
            "iat",
            "exp",
            "jti",
            "auth_time",
            "amr",
            "acr",
            "idp",
            "nonce",
            "at_hash",
            "okta_auth",
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "email",
            "email_verified",
            "groups",
        ],
        code_challenge_methods_supported: vec!["S256"],
        acr_values_supported: AcrValue::SUPPORTED.to_vec(),
        revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        introspection_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        authorization_response_iss_parameter_supported: true,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        claims_parameter_supported: false,
    })
}
