//! Identity providers (CONTRACT §2 "IdPs", reference §2.1–2.2): the upstream IdPs this org
//! federates with, as `SAML2`, `OIDC` or `OKTA_INTEGRATION` (org2org over OIDC) IdP objects.
//! The wire shapes are Okta's `IdentityProvider`, `ProtocolSaml`, `ProtocolOidc` and
//! `IdentityProviderPolicy`; [`IdpInput`] is what the admin API takes and what is stored
//! (without the client secret). The resolved upstream settings are [`OidcUpstream`] and
//! [`SamlUpstream`].

use serde::{Deserialize, Deserializer, Serialize};

/// `type` of an IdP object (the subset Federa federates with).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IdpType {
    /// A SAML 2.0 IdP.
    #[serde(rename = "SAML2")]
    Saml2,
    /// A third-party OpenID Connect IdP.
    #[serde(rename = "OIDC")]
    Oidc,
    /// Another Okta-style org over OIDC (org2org).
    #[serde(rename = "OKTA_INTEGRATION")]
    OktaIntegration,
}

impl IdpType {
    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            IdpType::Saml2 => "SAML2",
            IdpType::Oidc => "OIDC",
            IdpType::OktaIntegration => "OKTA_INTEGRATION",
        }
    }
    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SAML2" => Some(IdpType::Saml2),
            "OIDC" => Some(IdpType::Oidc),
            "OKTA_INTEGRATION" => Some(IdpType::OktaIntegration),
            _ => None,
        }
    }
}

/// `policy.provisioning.action`: whether an unknown upstream user gets a local account (JIT).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProvisioningAction {
    /// Create the user on first sign-in.
    Auto,
    /// Only existing users may sign in.
    #[default]
    Disabled,
}

/// `policy.accountLink.action`: whether an upstream identity is linked to a matching local
/// user.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountLinkAction {
    /// Link automatically to the user found by `policy.subject`.
    #[default]
    Auto,
    /// Do not link.
    Disabled,
}

/// `policy.subject.matchType`: how the transformed upstream user name finds a local user.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchType {
    /// The local login.
    #[default]
    Username,
    /// The local email.
    Email,
    /// Login, else email.
    UsernameOrEmail,
}

/// The upstream OIDC provider of an `OIDC` or `OKTA_INTEGRATION` IdP, resolved (endpoints of
/// `OKTA_INTEGRATION` derived from `oktaIdpOrgUrl` when omitted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcUpstream {
    /// Authorization endpoint.
    pub authorization_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// UserInfo endpoint.
    pub userinfo_url: Option<String>,
    /// The upstream's JWKS.
    pub jwks_url: String,
    /// Expected `iss`.
    pub issuer: String,
    /// Our client id there.
    pub client_id: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
    pub token_endpoint_auth_method: String,
    /// Send a PKCE challenge.
    pub pkce_required: bool,
    /// `OKTA_INTEGRATION`: the IdP org's URL.
    pub okta_idp_org_url: Option<String>,
}

/// The upstream SAML IdP of a `SAML2` IdP, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlUpstream {
    /// The IdP's SSO URL.
    pub sso_url: String,
    /// `HTTP-POST` or `HTTP-REDIRECT`.
    pub sso_binding: String,
    /// `AuthnRequest/@Destination` when it differs from the SSO URL.
    pub sso_destination: Option<String>,
    /// The expected `Issuer` of responses.
    pub issuer: String,
    /// The expected audience (default: our SP entity id).
    pub audience: Option<String>,
    /// Trust-store kids whose certificates verify response signatures (`kid` first).
    pub trust_kids: Vec<String>,
    /// The NameID format to request.
    pub name_format: String,
    /// Sign AuthnRequests with the per-IdP SP key.
    pub request_signed: bool,
}

/// A URL endpoint (`{url, binding}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// URL.
    pub url: String,
    /// `HTTP-POST` or `HTTP-REDIRECT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// SAML `Destination` (SAML `sso` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// `protocol.endpoints.acs` of a SAML IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcsEndpoint {
    /// `HTTP-POST` (the only binding Federa's ACS takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// `INSTANCE` or `ORG`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `protocol.endpoints` of a SAML IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlEndpoints {
    /// The IdP's SSO service.
    pub sso: Endpoint,
    /// Our ACS (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acs: Option<AcsEndpoint>,
    /// Single logout (accepted, not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<Endpoint>,
}

/// `{algorithm, scope}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureAlgorithm {
    /// `SHA-256` (SAML) or `RS256` (OIDC); `SHA-1` is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// `NONE`, `REQUEST` (request); `ANY`, `RESPONSE`, `TOKEN` (response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `algorithms.request` / `algorithms.response`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmPart {
    /// Signature settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureAlgorithm>,
    /// Digest (`SHA-256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// `protocol.algorithms`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Algorithms {
    /// Signing of requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<AlgorithmPart>,
    /// Signature checks of responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<AlgorithmPart>,
}

/// `protocol.credentials.trust` of a SAML IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SamlTrust {
    /// Expected `Issuer` of the IdP.
    pub issuer: String,
    /// Expected audience (default: our SP entity id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Trust-store kid of the IdP's signing certificate.
    pub kid: String,
    /// One more trusted kid (rollover).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_kids: Vec<String>,
    /// Accepted and ignored (MTLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<String>,
    /// Accepted and ignored (MTLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_cache_lifetime: Option<i64>,
}

/// `{kid}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KidRef {
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// `protocol.credentials` of a SAML IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlCredentials {
    /// Trust of the IdP's signatures.
    pub trust: SamlTrust,
    /// Our signing key (Federa uses the per-IdP SP key; any kid given is echoed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<KidRef>,
}

/// `protocol.settings` of a SAML IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SamlSettings {
    /// NameID format to request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_format: Option<String>,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honor_persistent_name_id: Option<bool>,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participate_slo: Option<bool>,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_application_context: Option<bool>,
}

/// `protocol.relayState`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayStateFormat {
    /// `FROM_URL` or `OPAQUE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// `protocol` with `type: SAML2` (`ProtocolSaml`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SamlProtocol {
    /// Endpoints.
    pub endpoints: SamlEndpoints,
    /// Algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithms: Option<Algorithms>,
    /// Credentials.
    pub credentials: SamlCredentials,
    /// Settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SamlSettings>,
    /// RelayState format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_state: Option<RelayStateFormat>,
}

/// `protocol.endpoints` of an OIDC IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcEndpoints {
    /// Authorization endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Endpoint>,
    /// Token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Endpoint>,
    /// UserInfo endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_info: Option<Endpoint>,
    /// The IdP's JWKS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Endpoint>,
    /// Logout (accepted, not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<Endpoint>,
}

/// `{url}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlRef {
    /// URL.
    pub url: String,
}

/// `token_endpoint_auth_method` of the client at an upstream OIDC IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamAuthMethod {
    /// HTTP Basic with the client secret.
    #[default]
    ClientSecretBasic,
    /// Secret in the form body.
    ClientSecretPost,
    /// A JWT signed with the per-IdP SP key (published at `/api/v1/idps/{id}/jwks`).
    PrivateKeyJwt,
}

impl UpstreamAuthMethod {
    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamAuthMethod::ClientSecretBasic => "client_secret_basic",
            UpstreamAuthMethod::ClientSecretPost => "client_secret_post",
            UpstreamAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// `protocol.credentials.client` of an OIDC IdP. The secret is accepted on input and never
/// stored here or returned.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcClientCredentials {
    /// Our client id at the IdP.
    pub client_id: String,
    /// Our client secret there (write-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Send PKCE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce_required: Option<bool>,
    /// How we authenticate at the token endpoint.
    #[serde(default)]
    pub token_endpoint_auth_method: UpstreamAuthMethod,
}

impl std::fmt::Debug for OidcClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClientCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("pkce_required", &self.pkce_required)
            .field(
                "token_endpoint_auth_method",
                &self.token_endpoint_auth_method,
            )
            .finish()
    }
}

/// `protocol.credentials` of an OIDC IdP.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcCredentials {
    /// Client credentials.
    pub client: OidcClientCredentials,
    /// Accepted and echoed (Apple).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<KidRef>,
}

/// `protocol` with `type: OIDC` (`ProtocolOidc`), for `OIDC` and `OKTA_INTEGRATION` IdPs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcProtocol {
    /// Endpoints (derived from `oktaIdpOrgUrl` for `OKTA_INTEGRATION` when omitted).
    #[serde(default)]
    pub endpoints: OidcEndpoints,
    /// Scopes (default `openid email profile`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Expected `iss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<UrlRef>,
    /// Client credentials.
    pub credentials: OidcCredentials,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithms: Option<Algorithms>,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<serde_json::Value>,
    /// `OKTA_INTEGRATION`: the IdP org's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub okta_idp_org_url: Option<String>,
}

/// `protocol`, tagged by `protocol.type`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum IdpProtocol {
    /// SAML 2.0.
    #[serde(rename = "SAML2")]
    Saml2(SamlProtocol),
    /// OpenID Connect.
    #[serde(rename = "OIDC")]
    Oidc(OidcProtocol),
}

/// `policy.accountLink`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AccountLinkPolicy {
    /// `AUTO` or `DISABLED`.
    #[serde(default)]
    pub action: AccountLinkAction,
    /// Accepted and echoed (group / user filters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<serde_json::Value>,
}

/// `policy.provisioning`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvisioningPolicy {
    /// `AUTO` or `DISABLED`.
    #[serde(default)]
    pub action: ProvisioningAction,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_master: Option<bool>,
    /// Accepted and echoed (`{action: NONE|ASSIGN|APPEND|SYNC, ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<serde_json::Value>,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<serde_json::Value>,
}

/// `{template}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserNameTemplate {
    /// `idpuser.email`, `idpuser.subjectNameId`, `idpuser.userName`, ...
    pub template: String,
}

/// `policy.subject`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubjectPolicy {
    /// How the upstream identity becomes a user name (default `idpuser.email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name_template: Option<UserNameTemplate>,
    /// Accepted and echoed (a regex the user name must match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// How a local user is found.
    #[serde(default)]
    pub match_type: MatchType,
    /// Not supported (only for `CUSTOM_ATTRIBUTE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_attribute: Option<String>,
}

/// `policy` (`IdentityProviderPolicy`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdpPolicy {
    /// Account linking.
    #[serde(default)]
    pub account_link: AccountLinkPolicy,
    /// JIT provisioning.
    #[serde(default)]
    pub provisioning: ProvisioningPolicy,
    /// Subject mapping.
    #[serde(default)]
    pub subject: SubjectPolicy,
    /// Allowed clock skew in milliseconds (default 120000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clock_skew: Option<i64>,
    /// Trust authentication claims from the IdP (claims sharing).
    #[serde(default, deserialize_with = "lenient_bool")]
    pub trust_claims: bool,
    /// Legacy AMR claims mapping.
    #[serde(default, rename = "mapAMRClaims", deserialize_with = "lenient_bool")]
    pub map_amr_claims: bool,
}

/// A boolean, also accepting the strings `"TRUE"` / `"FALSE"` (any case), which an Okta docs
/// example sends (reference §2.2).
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        B(bool),
        S(String),
    }
    match B::deserialize(d)? {
        B::B(b) => Ok(b),
        B::S(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        B::S(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        B::S(_) => Err(serde::de::Error::custom("expected a boolean")),
    }
}

/// An IdP object as the admin API takes it and as it is stored (client secret removed).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdpInput {
    /// Name (1..=100 characters, unique in the org).
    pub name: String,
    /// `SAML2`, `OIDC` or `OKTA_INTEGRATION`.
    #[serde(rename = "type")]
    pub kind: IdpType,
    /// `DYNAMIC` (default), `ORG_URL` or `CUSTOM_URL`; accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_mode: Option<String>,
    /// Protocol (`SAML2` for `SAML2`, `OIDC` for the others).
    pub protocol: IdpProtocol,
    /// Policy.
    #[serde(default)]
    pub policy: IdpPolicy,
    /// Accepted and echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

/// An entry of the org's IdP trust store (`/api/v1/idps/credentials/keys`): an X.509
/// certificate trusted to sign SAML responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpKeyCredential {
    /// Key id (Federa: a fresh opaque id).
    pub kid: String,
    /// Org.
    pub org_id: federa_types::OrgId,
    /// `RSA` or `EC`.
    pub kty: String,
    /// The DER certificate.
    pub cert_der: Vec<u8>,
    /// SHA-256 of the DER certificate, base64url (`x5t#S256`).
    pub x5t_s256: String,
    /// Added.
    pub created: federa_types::Timestamp,
    /// The certificate's notAfter.
    pub expires_at: Option<federa_types::Timestamp>,
}

impl IdpKeyCredential {
    /// The certificate as `x5c` carries it (base64 DER).
    pub fn x5c(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.cert_der)
    }
}
