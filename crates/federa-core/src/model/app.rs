//! Apps (CONTRACT §2 "apps"): OIDC clients, SAML service providers, and the org2org app
//! (`name: "okta_org2org"`) through which this org acts as the IdP org of another org. The
//! settings are Okta-shaped (`settings.oauthClient`, `settings.signOn`, `settings.app`);
//! secrets are never part of the stored settings.

use serde::{Deserialize, Serialize};

/// The name of the org2org app.
pub const ORG2ORG_APP_NAME: &str = "okta_org2org";

/// `signOnMode`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignOnMode {
    /// OpenID Connect client.
    #[serde(rename = "OPENID_CONNECT")]
    OpenidConnect,
    /// SAML 2.0 service provider.
    #[serde(rename = "SAML_2_0")]
    Saml2,
}

impl SignOnMode {
    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            SignOnMode::OpenidConnect => "OPENID_CONNECT",
            SignOnMode::Saml2 => "SAML_2_0",
        }
    }
    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OPENID_CONNECT" => Some(SignOnMode::OpenidConnect),
            "SAML_2_0" => Some(SignOnMode::Saml2),
            _ => None,
        }
    }
}

/// `token_endpoint_auth_method`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    /// HTTP Basic with the client secret.
    #[default]
    ClientSecretBasic,
    /// Secret in the form body.
    ClientSecretPost,
    /// A JWT signed with a key of the client's JWKS.
    PrivateKeyJwt,
    /// Public client (PKCE required).
    None,
}

impl TokenAuthMethod {
    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
            TokenAuthMethod::PrivateKeyJwt => "private_key_jwt",
            TokenAuthMethod::None => "none",
        }
    }
    /// Whether the client has a secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost
        )
    }
}

/// Grant types an OIDC app may use.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// Code flow.
    AuthorizationCode,
    /// Refresh tokens.
    RefreshToken,
    /// Client credentials.
    ClientCredentials,
}

/// `credentials.oauthClient` as given.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientCredentials {
    /// Client id (defaults to the app id).
    #[serde(default, rename = "client_id", skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Client secret: accepted at creation, returned once, stored hashed.
    #[serde(
        default,
        rename = "client_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_secret: Option<String>,
    /// How the client authenticates at the token endpoint.
    #[serde(default, rename = "token_endpoint_auth_method")]
    pub token_endpoint_auth_method: TokenAuthMethod,
    /// Accepted and ignored (Okta's key rotation of the client's own keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_key_rotation: Option<bool>,
}

/// `credentials`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppCredentials {
    /// OIDC client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<OAuthClientCredentials>,
}

/// `settings.oauthClient`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientSettings {
    /// Exact redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where `/oauth2/v1/logout` may send the browser.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Only `code`.
    #[serde(default)]
    pub response_types: Vec<String>,
    /// Allowed grants (default: authorization_code).
    #[serde(default)]
    pub grant_types: Vec<GrantType>,
    /// `web`, `native`, `browser` or `service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// The client's public keys for `private_key_jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// Where to fetch the client's public keys for `private_key_jwt` (and, for org2org, the
    /// SP's encryption key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Accepted (`TRUSTED` or `REQUIRED`); Federa asks no consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_method: Option<String>,
    /// Accepted, not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiate_login_uri: Option<String>,
    /// Accepted, not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_mode: Option<String>,
}

/// One SAML attribute statement (`type: EXPRESSION`); values may reference `user.login`,
/// `user.email`, `user.firstName`, `user.lastName` as `${user.x}` or be literal.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeStatement {
    /// `EXPRESSION`.
    #[serde(default = "expression", rename = "type")]
    pub kind: String,
    /// Attribute name.
    pub name: String,
    /// Name format URI.
    #[serde(default = "unspecified_format")]
    pub namespace: String,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

fn expression() -> String {
    "EXPRESSION".into()
}

fn unspecified_format() -> String {
    "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified".into()
}

/// `settings.signOn` (SAML settings, plus the force-authentication switch of every app).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignOnSettings {
    /// The SP's assertion consumer service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_acs_url: Option<String>,
    /// The SP's entity id (audience restriction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// `SubjectConfirmationData/@Recipient` (default: the ACS URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// `Response/@Destination` (default: the ACS URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// NameID value: `${user.userName}` (default), `${user.login}` or `${user.email}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_name_id_template: Option<String>,
    /// NameID format URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_name_id_format: Option<String>,
    /// Sign the Response (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_signed: Option<bool>,
    /// Sign the Assertion (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_signed: Option<bool>,
    /// `RSA_SHA256` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// `SHA256` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_algorithm: Option<String>,
    /// `AuthnContextClassRef`; default: REFEDS MFA when MFA was done, else
    /// PasswordProtectedTransport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authn_context_class_ref: Option<String>,
    /// Honour `ForceAuthn` in AuthnRequests (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_force_authn: Option<bool>,
    /// Default RelayState for IdP-initiated sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_relay_state: Option<String>,
    /// Attribute statements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute_statements: Vec<AttributeStatement>,
    /// (ext) Add the `session.amr` attribute (reference §1.11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_session_amr: Option<bool>,
    /// (ext) Encrypt the assertion to the SP's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_encrypted: Option<bool>,
    /// (ext) The SP's certificate (base64 DER) to encrypt to and to verify signed requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_certificate: Option<String>,
    /// Require signed AuthnRequests (verified with `spCertificate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml_signed_request_enabled: Option<bool>,
    /// (ext) Ignore `prompt=login`, `max_age` and `ForceAuthn` from the app: the "Disable Force
    /// Authentication" setting of Okta's org2org app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_force_authentication: Option<bool>,
}

/// `settings.app` of the org2org app.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Org2OrgSettings {
    /// The SP org's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The IdP object's id in the SP org (Okta also spells it `idPId`).
    #[serde(default, alias = "idPId", skip_serializing_if = "Option::is_none")]
    pub idp_id: Option<String>,
}

/// `settings`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// Org2org settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<Org2OrgSettings>,
    /// OIDC settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<OAuthClientSettings>,
    /// SAML settings and force authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_on: Option<SignOnSettings>,
}

/// An app as the admin API takes it (read-only members sent back by SDKs are ignored).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInput {
    /// App name: `oidc_client`, `okta_org2org`, or a name for a custom SAML app.
    #[serde(default)]
    pub name: Option<String>,
    /// Label.
    pub label: String,
    /// Protocol.
    pub sign_on_mode: SignOnMode,
    /// Credentials.
    #[serde(default)]
    pub credentials: AppCredentials,
    /// Settings.
    #[serde(default)]
    pub settings: AppSettings,
}

/// The SAML side of an app, resolved (defaults applied, org2org derived).
#[derive(Debug, Clone, PartialEq)]
pub struct SamlSp {
    /// ACS URL.
    pub acs_url: String,
    /// Audience (SP entity id).
    pub audience: String,
    /// Recipient.
    pub recipient: String,
    /// Destination.
    pub destination: String,
    /// NameID template.
    pub name_id_template: String,
    /// NameID format.
    pub name_id_format: String,
    /// Sign the response.
    pub response_signed: bool,
    /// Sign the assertion.
    pub assertion_signed: bool,
    /// Fixed AuthnContextClassRef, if configured.
    pub authn_context_class_ref: Option<String>,
    /// Honour ForceAuthn.
    pub honor_force_authn: bool,
    /// Add `session.amr`.
    pub include_session_amr: bool,
    /// Encrypt the assertion.
    pub assertion_encrypted: bool,
    /// SP certificate (base64 DER).
    pub sp_certificate: Option<String>,
    /// Require signed AuthnRequests.
    pub signed_requests_required: bool,
    /// Attribute statements.
    pub attributes: Vec<AttributeStatement>,
    /// Default RelayState.
    pub default_relay_state: Option<String>,
    /// For org2org: the SP's metadata URL (its encryption certificate is fetched there).
    pub metadata_url: Option<String>,
}
