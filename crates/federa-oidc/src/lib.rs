//! OIDC and OAuth 2.0 for Federa: the protocol messages and decisions of the OpenID Provider
//! (`/oauth2/v1/*`, CONTRACT §3) and the relying-party checks the broker needs.
//!
//! - [`authorize`]: `/authorize` query -> typed [`AuthorizeRequest`], with the RFC 6749 §4.1.2.1
//!   split between errors shown to the user and errors redirected to the client;
//!   [`authorize_response`]: the redirect (or form post) carrying `code`/`error`, `state`, `iss`.
//! - [`pkce`]: RFC 7636 S256. [`client_auth`]: the four token endpoint authentication methods.
//! - [`token`]: token requests, success and error responses (RFC 6749 §4.1.3, §5, §6, §4.4).
//! - [`id_token`]: ID token and JWT access token claims and signing (CONTRACT §4).
//! - [`session_check`]: `prompt` / `max_age` decisions. [`discovery`]: the provider metadata.
//! - [`rp`]: ID token validation as a relying party (OIDC Core §3.1.3.7).
//!
//! Pure: no IO, no clock (time comes in as [`federa_types::Timestamp`]), randomness through
//! [`federa_types::Rng`]. Signatures via `federa-jose`.

pub mod authorize;
pub mod authorize_response;
pub mod client_auth;
pub mod discovery;
mod error;
pub mod id_token;
mod jwt;
mod params;
pub mod pkce;
pub mod rp;
pub mod session_check;
pub mod token;

pub use authorize::{
    AcrValue, AuthorizeFailure, AuthorizeParams, AuthorizeRequest, ClientType, GrantType, Prompt,
    PromptSet, RegisteredClient, ResponseMode,
};
pub use authorize_response::{AuthorizeErrorRedirect, AuthorizeResponse};
pub use client_auth::{ClientAuthentication, TokenEndpointAuthMethod};
pub use error::{AuthorizeErrorCode, OidcError, TokenErrorCode};
pub use params::{ClientId, Issuer, Nonce, RedirectUri, Scopes, State};
pub use pkce::{CodeChallenge, CodeVerifier};
pub use session_check::SessionDecision;
pub use token::{TokenErrorResponse, TokenRequest, TokenResponse};
