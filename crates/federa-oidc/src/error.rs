//! The crate's one error type and the OAuth error codes it maps to.
//!
//! Owns [`OidcError`] and the wire error codes of RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6
//! ([`AuthorizeErrorCode`]) and RFC 6749 §5.2 ([`TokenErrorCode`]). Every variant knows which
//! code it becomes at the authorize and at the token endpoint; its `Display` is the
//! `error_description` (after [`wire_description`] makes it RFC 6749-safe). Messages never
//! contain secrets: attacker-supplied values are truncated and escaped.

use serde::Serialize;

use federa_jose::JoseError;

/// Longest excerpt of a request value copied into an error message.
const EXCERPT_MAX_CHARS: usize = 64;

/// Everything that can go wrong in `federa-oidc`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    // ---- request syntax ------------------------------------------------------------------
    /// A parameter appears more than once (RFC 6749 §3.1, §3.2).
    #[error("the parameter {0} is given more than once")]
    DuplicateParameter(String),
    /// A required parameter is missing or empty.
    #[error("the required parameter {0} is missing")]
    MissingParameter(&'static str),
    /// A parameter has an invalid value.
    #[error("the parameter {name} is invalid: {reason}")]
    InvalidParameter {
        /// The parameter name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    // ---- authorize: never redirected -----------------------------------------------------
    /// `client_id` names no registered client.
    #[error("client_id {0} is not a registered client")]
    UnknownClient(String),
    /// `redirect_uri` does not exactly match one of the client's registered URIs.
    #[error("redirect_uri {0} is not registered for this client")]
    RedirectUriMismatch(String),

    // ---- authorize: redirected -----------------------------------------------------------
    /// `response_type` other than `code`.
    #[error("response_type {0} is not supported; only code is")]
    UnsupportedResponseType(String),
    /// The scope lacks `openid`.
    #[error("the scope must include openid")]
    OpenidScopeRequired,
    /// The client may not use this grant type.
    #[error("the client is not allowed to use the {0} grant")]
    UnauthorizedClient(&'static str),
    /// A public client sent no PKCE challenge.
    #[error("public clients must send a code_challenge with code_challenge_method S256")]
    PkceRequired,
    /// `request` / `request_uri` (OIDC Core §6) are not supported.
    #[error("the {0} parameter is not supported")]
    RequestObjectNotSupported(&'static str),

    // ---- token endpoint ------------------------------------------------------------------
    /// More than one client authentication method in one request (RFC 6749 §2.3).
    #[error("more than one client authentication method was used")]
    MultipleClientAuthentication,
    /// Client authentication failed.
    #[error("client authentication failed: {0}")]
    InvalidClient(String),
    /// `grant_type` not supported.
    #[error("grant_type {0} is not supported")]
    UnsupportedGrantType(String),
    /// The code, refresh token or PKCE verifier is invalid.
    #[error("the grant is invalid: {0}")]
    InvalidGrant(String),
    /// The PKCE verifier does not match the challenge (RFC 7636 §4.6).
    #[error("the code_verifier does not match the code_challenge")]
    PkceMismatch,
    /// A requested scope is not allowed.
    #[error("the requested scope is invalid: {0}")]
    InvalidScope(String),

    // ---- JWT validation (ID tokens, client assertions) ------------------------------------
    /// A required claim is missing or has the wrong type.
    #[error("the JWT claim {name} is missing or invalid: {reason}")]
    Claim {
        /// The claim name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `iss` is not the expected issuer.
    #[error("the JWT issuer {found} is not the expected issuer")]
    IssuerMismatch {
        /// The `iss` found (escaped, truncated).
        found: String,
    },
    /// `aud` / `azp` do not name this client.
    #[error("the JWT audience does not match: {0}")]
    AudienceMismatch(String),
    /// `exp` is in the past beyond the allowed skew.
    #[error("the JWT expired at {exp}, now is {now} (skew {skew} s)")]
    Expired {
        /// `exp`, unix seconds.
        exp: i64,
        /// Now, unix seconds.
        now: i64,
        /// Allowed skew, seconds.
        skew: u64,
    },
    /// `iat` or `nbf` is in the future beyond the allowed skew.
    #[error("the JWT claim {claim} = {value} is in the future (now {now}, skew {skew} s)")]
    NotYetValid {
        /// `iat` or `nbf`.
        claim: &'static str,
        /// Its value, unix seconds.
        value: i64,
        /// Now, unix seconds.
        now: i64,
        /// Allowed skew, seconds.
        skew: u64,
    },
    /// `nonce` missing or different from the one sent.
    #[error("the ID token nonce does not match the nonce of the authentication request")]
    NonceMismatch,
    /// The JOSE `typ` says this is not the kind of token expected (RFC 8725 §3.11).
    #[error("the JWT typ {0} is not accepted here")]
    UnexpectedTyp(String),
    /// Signature, header or format problem from `federa-jose`.
    #[error("{0}")]
    Jose(#[from] JoseError),
    /// An invariant broke inside the crate.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Error codes of an authorization error response (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6,
/// OpenID "unmet authentication requirements").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizeErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `access_denied`
    AccessDenied,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `invalid_scope`
    InvalidScope,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// `interaction_required`
    InteractionRequired,
    /// `login_required`
    LoginRequired,
    /// `account_selection_required`
    AccountSelectionRequired,
    /// `consent_required`
    ConsentRequired,
    /// `request_not_supported`
    RequestNotSupported,
    /// `request_uri_not_supported`
    RequestUriNotSupported,
    /// `unmet_authentication_requirements`
    UnmetAuthenticationRequirements,
}

impl AuthorizeErrorCode {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InteractionRequired => "interaction_required",
            Self::LoginRequired => "login_required",
            Self::AccountSelectionRequired => "account_selection_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
        }
    }
}

/// Error codes of a token endpoint error response (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client` (401)
    InvalidClient,
    /// `invalid_grant`
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
}

impl OidcError {
    /// The code this error becomes in an authorization error response.
    #[must_use]
    pub fn authorize_error_code(&self) -> AuthorizeErrorCode {
        match self {
            OidcError::UnsupportedResponseType(_) => AuthorizeErrorCode::UnsupportedResponseType,
            OidcError::OpenidScopeRequired | OidcError::InvalidScope(_) => {
                AuthorizeErrorCode::InvalidScope
            }
            OidcError::UnauthorizedClient(_) => AuthorizeErrorCode::UnauthorizedClient,
            OidcError::RequestObjectNotSupported("request_uri") => {
                AuthorizeErrorCode::RequestUriNotSupported
            }
            OidcError::RequestObjectNotSupported(_) => AuthorizeErrorCode::RequestNotSupported,
            OidcError::Internal(_) => AuthorizeErrorCode::ServerError,
            _ => AuthorizeErrorCode::InvalidRequest,
        }
    }

    /// The code this error becomes in a token error response.
    #[must_use]
    pub fn token_error_code(&self) -> TokenErrorCode {
        match self {
            OidcError::UnknownClient(_) | OidcError::InvalidClient(_) => {
                TokenErrorCode::InvalidClient
            }
            OidcError::UnsupportedGrantType(_) => TokenErrorCode::UnsupportedGrantType,
            OidcError::InvalidGrant(_) | OidcError::PkceMismatch => TokenErrorCode::InvalidGrant,
            OidcError::UnauthorizedClient(_) => TokenErrorCode::UnauthorizedClient,
            OidcError::InvalidScope(_) | OidcError::OpenidScopeRequired => {
                TokenErrorCode::InvalidScope
            }
            _ => TokenErrorCode::InvalidRequest,
        }
    }
}

impl TokenErrorCode {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
        }
    }
}

/// Escapes and truncates a request-supplied value for an error message.
pub(crate) fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(EXCERPT_MAX_CHARS).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}

/// Makes a message fit the `error_description` character set of RFC 6749 §4.1.2.1 / §5.2
/// (`%x20-21 / %x23-5B / %x5D-7E`): `"` becomes `'`, `\` becomes `/`, anything else outside the
/// set becomes `?`.
#[must_use]
pub fn wire_description(message: &str) -> String {
    message
        .chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_description_is_rfc6749_safe() {
        let d = wire_description("client_id \"a\\b\n…\" é");
        assert_eq!(d, "client_id 'a/b??' ?");
        assert!(
            d.chars()
                .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\')
        );
    }

    #[test]
    fn codes_map_as_specified() {
        assert_eq!(
            OidcError::UnsupportedResponseType("token".into()).authorize_error_code(),
            AuthorizeErrorCode::UnsupportedResponseType
        );
        assert_eq!(
            OidcError::RequestObjectNotSupported("request_uri").authorize_error_code(),
            AuthorizeErrorCode::RequestUriNotSupported
        );
        assert_eq!(
            OidcError::PkceMismatch.token_error_code(),
            TokenErrorCode::InvalidGrant
        );
        assert_eq!(
            OidcError::MultipleClientAuthentication.token_error_code(),
            TokenErrorCode::InvalidRequest
        );
        assert_eq!(
            OidcError::InvalidClient("x".into()).token_error_code(),
            TokenErrorCode::InvalidClient
        );
        assert_eq!(
            serde_json::to_value(AuthorizeErrorCode::UnmetAuthenticationRequirements).ok(),
            Some(serde_json::json!("unmet_authentication_requirements"))
        );
        assert_eq!(
            TokenErrorCode::UnsupportedGrantType.as_str(),
            "unsupported_grant_type"
        );
    }

    #[test]
    fn excerpt_truncates() {
        assert!(excerpt(&"x".repeat(500)).len() < 80);
    }
}
