//! The `/oauth2/v1/authorize` request: parameters -> typed [`AuthorizeRequest`].
//!
//! Owns the validation of the authorization request of RFC 6749 §4.1.1 and OIDC Core §3.1.2.1
//! (code flow only), PKCE (RFC 7636 §4.3, S256 only), `response_mode` (OAuth 2.0 Multiple
//! Response Types §2.1, Form Post Response Mode §2), Okta's `acr_values`, `idp`, `login_hint`
//! (CONTRACT §3), and the split of RFC 6749 §4.1.2.1: while `client_id` or `redirect_uri` is
//! missing, repeated, unknown or unregistered, the error is shown to the user and **never**
//! redirected ([`AuthorizeFailure::ShowToUser`]); after that every error goes back to the
//! client's redirect URI with `state` ([`AuthorizeFailure::Redirect`]).
//!
//! Two steps, so that the caller can look the client up in between:
//! [`AuthorizeParams::client_id`] then [`AuthorizeParams::validate`].

use std::collections::BTreeSet;

use crate::authorize_response::AuthorizeErrorRedirect;
use crate::error::{OidcError, excerpt};
use crate::params::{ClientId, Nonce, Params, RedirectUri, Scopes, State};
use crate::pkce::CodeChallenge;

/// Whether a client can keep a secret (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// Can authenticate at the token endpoint.
    Confidential,
    /// Cannot (SPA, native); PKCE is mandatory.
    Public,
}

/// OAuth grant types Federa implements (CONTRACT §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1).
    AuthorizationCode,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
}

impl GrantType {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }
}

/// What the caller knows about the client named by `client_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    /// The client identifier.
    pub client_id: ClientId,
    /// Registered redirect URIs; a request must match one exactly (string comparison).
    pub redirect_uris: Vec<String>,
    /// Public or confidential.
    pub client_type: ClientType,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
}

/// One value of `prompt` (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prompt {
    /// `none`: no user interaction at all.
    None,
    /// `login`: re-authenticate.
    Login,
    /// `consent`.
    Consent,
    /// `select_account`.
    SelectAccount,
}

/// The parsed `prompt` parameter. `none` never comes with another value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptSet(BTreeSet<Prompt>);

impl PromptSet {
    /// Parses the space-delimited `prompt` value.
    ///
    /// # Errors
    /// [`OidcError::InvalidParameter`] for an unknown value or `none` with another value.
    pub fn parse(text: &str) -> Result<Self, OidcError> {
        let mut set = BTreeSet::new();
        for value in text.split(' ').filter(|v| !v.is_empty()) {
            set.insert(match value {
                "none" => Prompt::None,
                "login" => Prompt::Login,
                "consent" => Prompt::Consent,
                "select_account" => Prompt::SelectAccount,
                other => {
                    return Err(OidcError::InvalidParameter {
                        name: "prompt",
                        reason: format!("unknown value {}", excerpt(other)),
                    });
                }
            });
        }
        if set.contains(&Prompt::None) && set.len() > 1 {
            return Err(OidcError::InvalidParameter {
                name: "prompt",
                reason: "none cannot be combined with other values".to_owned(),
            });
        }
        Ok(PromptSet(set))
    }

    /// A set from values (for tests and callers); `none` with others is refused.
    ///
    /// # Errors
    /// As [`PromptSet::parse`].
    pub fn from_values(values: &[Prompt]) -> Result<Self, OidcError> {
        let set: BTreeSet<Prompt> = values.iter().copied().collect();
        if set.contains(&Prompt::None) && set.len() > 1 {
            return Err(OidcError::InvalidParameter {
                name: "prompt",
                reason: "none cannot be combined with other values".to_owned(),
            });
        }
        Ok(PromptSet(set))
    }

    /// Whether `value` was requested.
    #[must_use]
    pub fn contains(&self, value: Prompt) -> bool {
        self.0.contains(&value)
    }

    /// `prompt=none`.
    #[must_use]
    pub fn is_none(&self) -> bool {
        self.contains(Prompt::None)
    }
}

/// One value of `acr_values` (reference §3.3). Unknown values are kept but mean nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AcrValue {
    /// `urn:okta:loa:1fa:any`: any one factor.
    OneFactorAny,
    /// `urn:okta:loa:1fa:pwd`: password only.
    OneFactorPassword,
    /// `urn:okta:loa:2fa:any`: any two factors.
    TwoFactorAny,
    /// `urn:okta:loa:2fa:any:ifpossible`: two factors if the user has two enrolled.
    TwoFactorAnyIfPossible,
    /// `phr`: phishing-resistant.
    PhishingResistant,
    /// `phrh`: phishing-resistant and hardware-protected.
    PhishingResistantHardware,
    /// Anything else; ignored by policy.
    Other(String),
}

impl AcrValue {
    /// Parses one value.
    #[must_use]
    pub fn parse(value: &str) -> Self {
        match value {
            "urn:okta:loa:1fa:any" => AcrValue::OneFactorAny,
            "urn:okta:loa:1fa:pwd" => AcrValue::OneFactorPassword,
            "urn:okta:loa:2fa:any" => AcrValue::TwoFactorAny,
            "urn:okta:loa:2fa:any:ifpossible" => AcrValue::TwoFactorAnyIfPossible,
            "phr" => AcrValue::PhishingResistant,
            "phrh" => AcrValue::PhishingResistantHardware,
            other => AcrValue::Other(other.to_owned()),
        }
    }

    /// The wire value (also the `acr` claim).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            AcrValue::OneFactorAny => "urn:okta:loa:1fa:any",
            AcrValue::OneFactorPassword => "urn:okta:loa:1fa:pwd",
            AcrValue::TwoFactorAny => "urn:okta:loa:2fa:any",
            AcrValue::TwoFactorAnyIfPossible => "urn:okta:loa:2fa:any:ifpossible",
            AcrValue::PhishingResistant => "phr",
            AcrValue::PhishingResistantHardware => "phrh",
            AcrValue::Other(s) => s,
        }
    }

    /// The values Federa understands, for discovery's `acr_values_supported`.
    pub const SUPPORTED: [&'static str; 6] = [
        "urn:okta:loa:1fa:any",
        "urn:okta:loa:1fa:pwd",
        "urn:okta:loa:2fa:any",
        "urn:okta:loa:2fa:any:ifpossible",
        "phr",
        "phrh",
    ];
}

/// How the authorization response is delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResponseMode {
    /// Parameters in the redirect URI's query (the default for `code`).
    #[default]
    Query,
    /// An auto-submitting HTML form POSTed to the redirect URI.
    FormPost,
}

/// A validated code-flow authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The client.
    pub client_id: ClientId,
    /// The redirect URI, one of the client's registered ones exactly.
    pub redirect_uri: RedirectUri,
    /// Requested scopes; always contains `openid`.
    pub scopes: Scopes,
    /// `state`, returned unchanged.
    pub state: Option<State>,
    /// `nonce`, copied into the ID token.
    pub nonce: Option<Nonce>,
    /// `prompt`.
    pub prompt: PromptSet,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// `acr_values`, in request order, without repeats.
    pub acr_values: Vec<AcrValue>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `idp`: the IdP object id to federate to directly.
    pub idp: Option<String>,
    /// The PKCE challenge (S256), mandatory for public clients.
    pub code_challenge: Option<CodeChallenge>,
    /// `response_mode`.
    pub response_mode: ResponseMode,
}

/// Why an authorization request was refused, and where the refusal must go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeFailure {
    /// Show an error page; do not redirect (the redirect URI is not trustworthy).
    ShowToUser(OidcError),
    /// Redirect to the client with `error`, `error_description`, `state`, `iss`.
    Redirect(Box<AuthorizeErrorRedirect>),
}

/// The raw `/authorize` parameters, not yet validated.
#[derive(Debug, Clone)]
pub struct AuthorizeParams {
    params: Params,
}

impl AuthorizeParams {
    /// Collects the query's (name, value) pairs, remembering repeats.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        AuthorizeParams {
            params: Params::from_pairs(pairs),
        }
    }

    /// The `client_id` to look up.
    ///
    /// # Errors
    /// [`AuthorizeFailure::ShowToUser`] if it is missing, repeated or malformed.
    pub fn client_id(&self) -> Result<ClientId, AuthorizeFailure> {
        let raw = self
            .params
            .required("client_id")
            .map_err(AuthorizeFailure::ShowToUser)?;
        ClientId::new(raw).map_err(AuthorizeFailure::ShowToUser)
    }

    /// Validates the request against the registered client (`None`: no such client).
    ///
    /// # Errors
    /// [`AuthorizeFailure`]; see the module docs for which kind.
    pub fn validate(
        &self,
        client: Option<&RegisteredClient>,
    ) -> Result<AuthorizeRequest, AuthorizeFailure> {
        let client_id = self.client_id()?;
        let client = match client {
            Some(c) if c.client_id == client_id => c,
            _ => {
                return Err(AuthorizeFailure::ShowToUser(OidcError::UnknownClient(
                    excerpt(client_id.as_str()),
                )));
            }
        };
        let redirect_uri = self
            .redirect_uri(client)
            .map_err(AuthorizeFailure::ShowToUser)?;

        // From here on, errors go to the redirect URI. Decide how, and with which state.
        let response_mode = match self.params.single("response_mode") {
            Ok(None | Some("query")) => Ok(ResponseMode::Query),
            Ok(Some("form_post")) => Ok(ResponseMode::FormPost),
            Ok(Some(other)) => Err(OidcError::InvalidParameter {
                name: "response_mode",
                reason: format!(
                    "{} is not supported; use query or form_post",
                    excerpt(other)
                ),
            }),
            Err(e) => Err(e),
        };
        let state = self
            .params
            .single("state")
            .ok()
            .flatten()
            .and_then(|s| State::new(s).ok());
        let redirect = |mode: ResponseMode, error: OidcError| {
            AuthorizeFailure::Redirect(Box::new(AuthorizeErrorRedirect::from_error(
                redirect_uri.clone(),
                mode,
                state.clone(),
                &error,
            )))
        };
        let response_mode = response_mode.map_err(|e| redirect(ResponseMode::Query, e))?;
        self.validate_rest(client, client_id, redirect_uri.clone(), response_mode)
            .map_err(|e| redirect(response_mode, e))
    }

    fn redirect_uri(&self, client: &RegisteredClient) -> Result<RedirectUri, OidcError> {
        // OIDC Core §3.1.2.1: redirect_uri is required.
        let raw = self.params.required("redirect_uri")?;
        if !client.redirect_uris.iter().any(|r| r == raw) {
            return Err(OidcError::RedirectUriMismatch(excerpt(raw)));
        }
        RedirectUri::parse(raw)
    }

    fn validate_rest(
        &self,
        client: &RegisteredClient,
        client_id: ClientId,
        redirect_uri: RedirectUri,
        response_mode: ResponseMode,
    ) -> Result<AuthorizeRequest, OidcError> {
        let p = &self.params;
        if let Some(name) = p.first_repeated() {
            return Err(OidcError::DuplicateParameter(excerpt(name)));
        }
        if p.single("request")?.is_some() {
            return Err(OidcError::RequestObjectNotSupported("request"));
        }
        if p.single("request_uri")?.is_some() {
            return Err(OidcError::RequestObjectNotSupported("request_uri"));
        }
        match p.required("response_type")? {
            "code" => {}
            other => return Err(OidcError::UnsupportedResponseType(excerpt(other))),
        }
        if !client.grant_types.contains(&GrantType::AuthorizationCode) {
            return Err(OidcError::UnauthorizedClient("authorization_code"));
        }
        let scopes = Scopes::parse(p.single("scope")?.unwrap_or(""))?;
        if !scopes.contains("openid") {
            return Err(OidcError::OpenidScopeRequired);
        }
        let state = p.single("state")?.map(State::new).transpose()?;
        let nonce = p.single("nonce")?.map(Nonce::new).transpose()?;
        let prompt = p
            .single("prompt")?
            .map(PromptSet::parse)
            .transpose()?
            .unwrap_or_default();
        let max_age = match p.single("max_age")? {
            None => None,
            Some(text) => Some(
                text.parse::<u64>()
                    .map_err(|_| OidcError::InvalidParameter {
                        name: "max_age",
                        reason: "must be a non-negative integer number of seconds".to_owned(),
                    })?,
            ),
        };
        let mut acr_values: Vec<AcrValue> = Vec::new();
        for value in p.single("acr_values")?.unwrap_or("").split(' ') {
            if !value.is_empty() {
                let acr = AcrValue::parse(value);
                if !acr_values.contains(&acr) {
                    acr_values.push(acr);
                }
            }
        }
        let code_challenge = match (
            p.single("code_challenge")?,
            p.single("code_challenge_method")?,
        ) {
            (Some(challenge), method) => Some(CodeChallenge::parse(challenge, method)?),
            (None, Some(_)) => return Err(OidcError::MissingParameter("code_challenge")),
            (None, None) => None,
        };
        if client.client_type == ClientType::Public && code_challenge.is_none() {
            return Err(OidcError::PkceRequired);
        }
        Ok(AuthorizeRequest {
            client_id,
            redirect_uri,
            scopes,
            state,
            nonce,
            prompt,
            max_age,
            acr_values,
            login_hint: p.single("login_hint")?.map(str::to_owned),
            idp: p.single("idp")?.map(str::to_owned),
            code_challenge,
            response_mode,
        })
    }
}
