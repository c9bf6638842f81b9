//! Token endpoint messages.
//!
//! Owns the typed token request ([`TokenRequest`]: RFC 6749 §4.1.3 `authorization_code` with
//! the RFC 7636 §4.5 `code_verifier`, §6 `refresh_token`, §4.4 `client_credentials`), the
//! success response (§5.1, OIDC Core §3.1.3.3) and the error response (§5.2) with its status
//! and `WWW-Authenticate` challenge. Client authentication fields are left to
//! [`crate::client_auth`].

use std::fmt;

use serde::Serialize;

use crate::client_auth::TokenEndpointAuthMethod;
use crate::error::{OidcError, TokenErrorCode, excerpt, wire_description};
use crate::params::{Params, Scopes};
use crate::pkce::CodeVerifier;
use federa_types::Secret;

/// A parsed token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    /// Redeem an authorization code.
    AuthorizationCode {
        /// The code (secret).
        code: Secret<String>,
        /// The redirect URI of the authorization request; the caller compares it exactly
        /// with the one stored with the code.
        redirect_uri: Option<String>,
        /// The PKCE verifier, when the authorization request carried a challenge.
        code_verifier: Option<CodeVerifier>,
    },
    /// Use a refresh token, optionally narrowing the scope.
    RefreshToken {
        /// The refresh token (secret).
        refresh_token: Secret<String>,
        /// The requested scope (must be a subset of the original; caller checks).
        scope: Option<Scopes>,
    },
    /// Machine-to-machine.
    ClientCredentials {
        /// The requested scope.
        scope: Option<Scopes>,
    },
}

impl TokenRequest {
    /// Parses a token request body (`application/x-www-form-urlencoded` pairs). Client
    /// authentication fields are ignored here; unknown parameters are ignored (RFC 6749 §3.2).
    ///
    /// # Errors
    /// [`OidcError::DuplicateParameter`], [`OidcError::MissingParameter`],
    /// [`OidcError::UnsupportedGrantType`], [`OidcError::InvalidParameter`],
    /// [`OidcError::InvalidScope`].
    pub fn from_form<K: AsRef<str>, V: AsRef<str>>(form: &[(K, V)]) -> Result<Self, OidcError> {
        let p = Params::from_pairs(form.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        if let Some(name) = p.first_repeated() {
            return Err(OidcError::DuplicateParameter(excerpt(name)));
        }
        let scope = |p: &Params| p.single("scope")?.map(Scopes::parse).transpose();
        let request = match p.required("grant_type")? {
            "authorization_code" => TokenRequest::AuthorizationCode {
                code: Secret::new(p.required("code")?.to_owned()),
                redirect_uri: p.single("redirect_uri")?.map(str::to_owned),
                code_verifier: p
                    .single("code_verifier")?
                    .map(CodeVerifier::parse)
                    .transpose()?,
            },
            "refresh_token" => TokenRequest::RefreshToken {
                refresh_token: Secret::new(p.required("refresh_token")?.to_owned()),
                scope: scope(&p)?,
            },
            "client_credentials" => TokenRequest::ClientCredentials { scope: scope(&p)? },
            other => return Err(OidcError::UnsupportedGrantType(excerpt(other))),
        };
        Ok(request)
    }
}

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    /// The granted scope.
    pub scope: String,
    /// A refresh token, when issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The ID token, for `openid` requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// A Bearer response without refresh or ID token.
    #[must_use]
    pub fn bearer(access_token: String, expires_in: u64, scope: &Scopes) -> Self {
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in,
            scope: scope.to_string(),
            refresh_token: None,
            id_token: None,
        }
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A token endpoint error response (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenErrorResponse {
    /// The error code.
    pub error: TokenErrorCode,
    /// Human-readable, RFC 6749-safe description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The `WWW-Authenticate` value to send with a 401 (not part of the JSON body).
    #[serde(skip)]
    pub www_authenticate: Option<String>,
}

impl TokenErrorResponse {
    /// The response for `error`. `attempted` is the method the client tried (if any): for
    /// `invalid_client` after HTTP Basic, a `Basic` challenge is required (RFC 6749 §5.2).
    #[must_use]
    pub fn from_error(error: &OidcError, attempted: Option<TokenEndpointAuthMethod>) -> Self {
        let code = error.token_error_code();
        let www_authenticate = (code == TokenErrorCode::InvalidClient
            && matches!(
                attempted,
                Some(TokenEndpointAuthMethod::ClientSecretBasic) | None
            ))
        .then(|| "Basic realm=\"oauth2\", charset=\"UTF-8\"".to_owned());
        TokenErrorResponse {
            error: code,
            error_description: Some(wire_description(&error.to_string())),
            www_authenticate,
        }
    }

    /// The HTTP status RFC 6749 §5.2 prescribes: 401 for `invalid_client` with a challenge,
    /// 400 otherwise.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        if self.error == TokenErrorCode::InvalidClient && self.www_authenticate.is_some() {
            401
        } else {
            400
        }
    }
}
