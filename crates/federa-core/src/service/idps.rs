//! Identity providers (CONTRACT §2 "IdPs" and "SP metadata", reference §2.1–2.3, §1.14):
//! create, read, list, replace, lifecycle and delete of `SAML2`, `OIDC` and `OKTA_INTEGRATION`
//! IdP objects, the org's IdP trust store, and what the broker needs of an IdP: its upstream
//! settings, unsealed client secret, per-IdP SP key pair and trusted certificates.
//!
//! Every IdP gets its own SP RSA key pair at creation, stored (sealed) in the same row: it
//! decrypts `okta_auth` JWEs (published as `/api/v1/idps/{id}/jwks`, `use: enc`), decrypts SAML
//! `EncryptedAssertion`s and signs AuthnRequests (its certificate is in
//! `/api/v1/idps/{id}/metadata.xml`, `use="signing"` and `use="encryption"`), and signs
//! `private_key_jwt` client assertions. The upstream client secret is sealed and never returned.
//!
//! Deactivating or deleting an IdP whose claims are trusted goes through the trust-claims guard
//! of reference §1.14 (`federa_policy::lifecycle`), like disabling a claims feature.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::LifecycleStatus;
use crate::model::idp::{
    AccountLinkAction, IdpInput, IdpKeyCredential, IdpProtocol, IdpType, MatchType, OidcProtocol,
    OidcUpstream, ProvisioningAction, SamlProtocol, SamlUpstream, UpstreamAuthMethod,
};
use crate::page::{Page, PageRequest};
use crate::ports::{IdpKeyDelete, StoreError, StoredIdp, StoredIdpKey};
use crate::service::{authenticators, policies};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use federa_claims::trust::{IdpKind, IdpTrustConfig, OrgFeatures, Protocol, TrustMode, mode_for};
use federa_jose::{DecryptionKeySet, Jwks, RsaDecryptionKey};
use federa_policy::lifecycle::{
    ClaimsFeature, IdpTrust, TrustChange, TrustGuardInput, check_trust_change,
};
use federa_saml::{Certificate, SigningIdentity};
use federa_types::{IdpId, OrgId, Secret, Timestamp};
use url::Url;

/// Default `policy.maxClockSkew` (ms).
pub const DEFAULT_MAX_CLOCK_SKEW_MS: i64 = 120_000;
/// Largest accepted `policy.maxClockSkew` (ms).
pub const MAX_CLOCK_SKEW_MS: i64 = 3_600_000;
/// Default `policy.subject.userNameTemplate.template`.
pub const DEFAULT_USERNAME_TEMPLATE: &str = "idpuser.email";
/// NameID format requested when none is configured.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const NAME_FORMATS: [&str; 4] = [
    NAMEID_UNSPECIFIED,
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
];
const SP_KEY_PURPOSE: &str = "idp-sp-key";
const CLIENT_SECRET_PURPOSE: &str = "idp-client-secret";
const MAX_URL: usize = 1014;
const MAX_TEXT: usize = 1024;

/// An IdP object, loaded and typed.
#[derive(Clone)]
pub struct Idp {
    /// Id (`0oa...`).
    pub id: IdpId,
    /// Org.
    pub org_id: OrgId,
    /// `SAML2`, `OIDC` or `OKTA_INTEGRATION`.
    pub kind: IdpType,
    /// Name.
    pub name: String,
    /// Lifecycle.
    pub status: LifecycleStatus,
    /// `policy.trustClaims`.
    pub trust_claims: bool,
    /// `policy.mapAMRClaims`.
    pub map_amr_claims: bool,
    /// `policy.maxClockSkew` in ms.
    pub max_clock_skew_ms: i64,
    /// `policy.provisioning.action`.
    pub provisioning: ProvisioningAction,
    /// `policy.accountLink.action`.
    pub account_link: AccountLinkAction,
    /// `policy.subject.userNameTemplate.template`, e.g. `idpuser.email`.
    pub username_template: String,
    /// `policy.subject.matchType`.
    pub match_type: MatchType,
    /// The upstream OIDC provider (`OIDC`, `OKTA_INTEGRATION`).
    pub oidc: Option<OidcUpstream>,
    /// The upstream SAML IdP (`SAML2`).
    pub saml: Option<SamlUpstream>,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
    /// The canonical Okta-shaped body (defaults applied, derived endpoints filled in, client
    /// secret removed).
    pub input: IdpInput,
    /// The per-IdP SP key's id (RFC 7638 thumbprint).
    pub sp_kid: String,
    /// Whether an upstream client secret is stored.
    pub has_client_secret: bool,
    sealed_client_secret: Option<String>,
    sealed_sp_key: String,
    sp_cert_b64: String,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("status", &self.status)
            .field("trust_claims", &self.trust_claims)
            .field("map_amr_claims", &self.map_amr_claims)
            .field("sp_kid", &self.sp_kid)
            .finish_non_exhaustive()
    }
}

impl Idp {
    /// The trust-related configuration for `federa_claims::trust`.
    pub fn trust_config(&self) -> IdpTrustConfig {
        IdpTrustConfig {
            idp_id: self.id.clone(),
            kind: self.claims_kind(),
            protocol: match self.kind {
                IdpType::Saml2 => Protocol::Saml,
                IdpType::Oidc | IdpType::OktaIntegration => Protocol::Oidc,
            },
            trust_claims: self.trust_claims,
            map_amr_claims: self.map_amr_claims,
            factor_only: false,
        }
    }

    /// Whether the IdP may be used.
    pub fn is_active(&self) -> bool {
        self.status == LifecycleStatus::Active
    }

    /// Okta org or third party. `OKTA_INTEGRATION` is an Okta org; a `SAML2` IdP is one when
    /// its SSO URL is an org2org app's (`/app/okta_org2org/{appId}/sso/saml`, reference §1.7),
    /// so the `OktaAuth` carrier and `ORG2ORG_CLAIMS_SHARING` apply to it.
    fn claims_kind(&self) -> IdpKind {
        match self.kind {
            IdpType::OktaIntegration => IdpKind::OktaOrg,
            IdpType::Saml2
                if self
                    .saml
                    .as_ref()
                    .is_some_and(|s| s.sso_url.contains("/app/okta_org2org/")) =>
            {
                IdpKind::OktaOrg
            }
            IdpType::Saml2 | IdpType::Oidc => IdpKind::ThirdParty,
        }
    }

    /// What the trust-claims lifecycle guard needs of this IdP.
    pub fn guard_view(&self) -> IdpTrust {
        IdpTrust {
            id: self.id.clone(),
            name: self.name.clone(),
            active: self.is_active(),
            trust_claims: self.trust_claims,
            map_amr_claims: self.map_amr_claims,
            kind: match self.claims_kind() {
                IdpKind::OktaOrg => federa_policy::lifecycle::IdpKind::OktaOrg,
                IdpKind::ThirdParty => federa_policy::lifecycle::IdpKind::ThirdParty,
            },
        }
    }

    /// The SP key's certificate, base64 DER.
    pub fn sp_certificate_base64(&self) -> &str {
        &self.sp_cert_b64
    }
}

/// `{base}/saml2/service-provider/{idpId}`: our SAML SP entity id for this IdP (the audience an
/// org2org app in the IdP org derives, see `service::apps`).
pub fn sp_entity_id(base: &str, idp: &IdpId) -> String {
    format!(
        "{}/saml2/service-provider/{}",
        base.trim_end_matches('/'),
        idp
    )
}

/// `{base}/sso/saml2/{idpId}`: our ACS for this IdP.
pub fn acs_url(base: &str, idp: &IdpId) -> String {
    format!("{}/sso/saml2/{}", base.trim_end_matches('/'), idp)
}

/// `{base}/oauth2/v1/authorize/callback`: our OIDC redirect URI (one for all IdPs).
pub fn redirect_uri(base: &str) -> String {
    format!(
        "{}/oauth2/v1/authorize/callback",
        base.trim_end_matches('/')
    )
}

/// `{base}/sso/idps/{idpId}`: where a browser starts sign-in with this IdP.
pub fn authorize_url(base: &str, idp: &IdpId) -> String {
    format!("{}/sso/idps/{}", base.trim_end_matches('/'), idp)
}

/// `{base}/api/v1/idps/{idpId}/metadata.xml`.
pub fn metadata_url(base: &str, idp: &IdpId) -> String {
    format!(
        "{}/api/v1/idps/{}/metadata.xml",
        base.trim_end_matches('/'),
        idp
    )
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(e.to_string())
}

fn from_stored(s: StoredIdp) -> Result<Idp, CoreError> {
    let input: IdpInput = serde_json::from_value(s.body)
        .map_err(|e| internal(format!("stored IdP {} is unreadable: {e}", s.id)))?;
    let (oidc, saml) = resolve(&input)?;
    let p = &input.policy;
    Ok(Idp {
        kind: input.kind,
        status: LifecycleStatus::parse(&s.status)
            .ok_or_else(|| internal(format!("stored IdP {} has an unknown status", s.id)))?,
        trust_claims: p.trust_claims,
        map_amr_claims: p.map_amr_claims,
        max_clock_skew_ms: p.max_clock_skew.unwrap_or(DEFAULT_MAX_CLOCK_SKEW_MS),
        provisioning: p.provisioning.action,
        account_link: p.account_link.action,
        username_template: p
            .subject
            .user_name_template
            .as_ref()
            .map_or_else(|| DEFAULT_USERNAME_TEMPLATE.into(), |t| t.template.clone()),
        match_type: p.subject.match_type,
        oidc,
        saml,
        has_client_secret: s.sealed_client_secret.is_some(),
        id: s.id,
        org_id: s.org_id,
        name: s.name,
        created: s.created,
        last_updated: s.last_updated,
        input,
        sp_kid: s.sp_kid,
        sealed_client_secret: s.sealed_client_secret,
        sealed_sp_key: s.sealed_sp_key,
        sp_cert_b64: s.sp_cert,
    })
}

/// The upstream settings of a normalized input.
fn resolve(input: &IdpInput) -> Result<(Option<OidcUpstream>, Option<SamlUpstream>), CoreError> {
    let bad = |what: &str| internal(format!("stored IdP lacks {what}"));
    match &input.protocol {
        IdpProtocol::Oidc(p) => {
            let e = &p.endpoints;
            let url = |ep: &Option<crate::model::idp::Endpoint>, what: &str| {
                ep.as_ref().map(|e| e.url.clone()).ok_or_else(|| bad(what))
            };
            Ok((
                Some(OidcUpstream {
                    authorization_url: url(&e.authorization, "an authorization endpoint")?,
                    token_url: url(&e.token, "a token endpoint")?,
                    userinfo_url: e.user_info.as_ref().map(|u| u.url.clone()),
                    jwks_url: url(&e.jwks, "a JWKS endpoint")?,
                    issuer: p
                        .issuer
                        .as_ref()
                        .map(|i| i.url.clone())
                        .ok_or_else(|| bad("an issuer"))?,
                    client_id: p.credentials.client.client_id.clone(),
                    scopes: p.scopes.clone(),
                    token_endpoint_auth_method: p
                        .credentials
                        .client
                        .token_endpoint_auth_method
                        .as_str()
                        .to_string(),
                    pkce_required: p.credentials.client.pkce_required.unwrap_or(false),
                    okta_idp_org_url: p.okta_idp_org_url.clone(),
                }),
                None,
            ))
        }
        IdpProtocol::Saml2(p) => {
            let t = &p.credentials.trust;
            let mut trust_kids = vec![t.kid.clone()];
            trust_kids.extend(t.additional_kids.iter().cloned());
            let request_signed = p
                .algorithms
                .as_ref()
                .and_then(|a| a.request.as_ref())
                .and_then(|r| r.signature.as_ref())
                .and_then(|s| s.scope.as_deref())
                == Some("REQUEST");
            Ok((
                None,
                Some(SamlUpstream {
                    sso_url: p.endpoints.sso.url.clone(),
                    sso_binding: p
                        .endpoints
                        .sso
                        .binding
                        .clone()
                        .unwrap_or_else(|| "HTTP-POST".into()),
                    sso_destination: p.endpoints.sso.destination.clone(),
                    issuer: t.issuer.clone(),
                    audience: t.audience.clone(),
                    trust_kids,
                    name_format: p
                        .settings
                        .as_ref()
                        .and_then(|s| s.name_format.clone())
                        .unwrap_or_else(|| NAMEID_UNSPECIFIED.into()),
                    request_signed,
                }),
            ))
        }
    }
}

fn check_url(field: &str, value: &str, max: usize) -> Result<String, CoreError> {
    if value.len() > max {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {max} bytes"),
        ));
    }
    let url = Url::parse(value)
        .map_err(|e| CoreError::invalid(field, format!("'{value}' is not an absolute URL: {e}")))?;
    if url.fragment().is_some() {
        return Err(CoreError::invalid(field, "must not contain a fragment"));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(CoreError::invalid(
                field,
                format!("'{value}' must use https (http only on loopback hosts)"),
            ));
        }
    }
    Ok(value.to_string())
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), CoreError> {
    if value.trim().is_empty() || value.len() > max || value.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            field,
            format!("must be 1 to {max} characters without control characters"),
        ));
    }
    Ok(())
}

fn check_one_of(field: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), CoreError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(CoreError::invalid(
            field,
            format!(
                "'{}' is not one of {}",
                v.chars().take(64).collect::<String>(),
                allowed.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// The validated input, the client secret to seal (if a new one was given), and the trust kids.
struct Normalized {
    input: IdpInput,
    client_secret: Option<Secret<String>>,
    trust_kids: Vec<String>,
}

/// Validates and completes the input. `had_secret`: an existing IdP (replace) already has a
/// stored client secret.
async fn normalize(
    ctx: &Ctx,
    org: &OrgId,
    mut input: IdpInput,
    had_secret: bool,
) -> Result<Normalized, CoreError> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "name",
            "name must be 1 to 100 characters without control characters",
        ));
    }
    input.name = name;
    check_one_of(
        "issuerMode",
        input.issuer_mode.as_deref(),
        &["DYNAMIC", "ORG_URL", "CUSTOM_URL"],
    )?;
    if let Some(p) = &input.properties
        && !(p.is_object() || p.is_null())
    {
        return Err(CoreError::invalid("properties", "must be an object"));
    }
    normalize_policy(&mut input)?;

    let mut client_secret = None;
    let mut trust_kids = Vec::new();
    match (input.kind, &mut input.protocol) {
        (IdpType::Saml2, IdpProtocol::Saml2(p)) => {
            trust_kids = normalize_saml(p)?;
            for (i, kid) in trust_kids.iter().enumerate() {
                let field = if i == 0 {
                    "protocol.credentials.trust.kid".to_string()
                } else {
                    format!("protocol.credentials.trust.additionalKids[{}]", i - 1)
                };
                if ctx.store.idp_key(org, kid).await?.is_none() {
                    return Err(CoreError::invalid(
                        field,
                        format!(
                            "no key '{}' in the IdP key store (POST /api/v1/idps/credentials/keys)",
                            kid.chars().take(64).collect::<String>()
                        ),
                    ));
                }
            }
        }
        (IdpType::Oidc | IdpType::OktaIntegration, IdpProtocol::Oidc(p)) => {
            client_secret = normalize_oidc(input.kind, p, had_secret)?;
        }
        (kind, _) => {
            let want = if kind == IdpType::Saml2 {
                "SAML2"
            } else {
                "OIDC"
            };
            return Err(CoreError::invalid(
                "protocol.type",
                format!(
                    "an IdP of type {} needs protocol type {want}",
                    kind.as_str()
                ),
            ));
        }
    }
    Ok(Normalized {
        input,
        client_secret,
        trust_kids,
    })
}

fn normalize_policy(input: &mut IdpInput) -> Result<(), CoreError> {
    let p = &mut input.policy;
    let skew = p.max_clock_skew.unwrap_or(DEFAULT_MAX_CLOCK_SKEW_MS);
    if !(0..=MAX_CLOCK_SKEW_MS).contains(&skew) {
        return Err(CoreError::invalid(
            "policy.maxClockSkew",
            format!("must be between 0 and {MAX_CLOCK_SKEW_MS} milliseconds"),
        ));
    }
    p.max_clock_skew = Some(skew);
    let t =
        p.subject
            .user_name_template
            .get_or_insert_with(|| crate::model::idp::UserNameTemplate {
                template: DEFAULT_USERNAME_TEMPLATE.into(),
            });
    let tmpl = t.template.trim().to_string();
    let attr = tmpl.strip_prefix("idpuser.").unwrap_or("");
    if tmpl.len() > MAX_TEXT
        || attr.is_empty()
        || !attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(CoreError::invalid(
            "policy.subject.userNameTemplate.template",
            "only templates of the form idpuser.<attribute> (e.g. idpuser.email, \
             idpuser.subjectNameId) are supported",
        ));
    }
    t.template = tmpl;
    if p.subject.match_attribute.is_some() {
        return Err(CoreError::invalid(
            "policy.subject.matchAttribute",
            "only for matchType CUSTOM_ATTRIBUTE, which Federa does not support",
        ));
    }
    if let Some(f) = &p.subject.filter {
        check_text("policy.subject.filter", f, MAX_TEXT)?;
    }
    if let Some(g) = &p.provisioning.groups {
        let action = g.get("action").and_then(|a| a.as_str());
        if !g.is_object() || action.is_none() {
            return Err(CoreError::invalid(
                "policy.provisioning.groups.action",
                "must be NONE, ASSIGN, APPEND or SYNC",
            ));
        }
        check_one_of(
            "policy.provisioning.groups.action",
            action,
            &["NONE", "ASSIGN", "APPEND", "SYNC"],
        )?;
    }
    Ok(())
}

fn normalize_saml(p: &mut SamlProtocol) -> Result<Vec<String>, CoreError> {
    let sso = &mut p.endpoints.sso;
    sso.url = check_url("protocol.endpoints.sso.url", sso.url.trim(), MAX_URL)?;
    let binding = sso.binding.get_or_insert_with(|| "HTTP-POST".into());
    check_one_of(
        "protocol.endpoints.sso.binding",
        Some(binding.as_str()),
        &["HTTP-POST", "HTTP-REDIRECT"],
    )?;
    if let Some(d) = &sso.destination {
        check_url("protocol.endpoints.sso.destination", d, 512)?;
    }
    if let Some(acs) = &p.endpoints.acs {
        check_one_of(
            "protocol.endpoints.acs.binding",
            acs.binding.as_deref(),
            &["HTTP-POST"],
        )?;
        check_one_of(
            "protocol.endpoints.acs.type",
            acs.kind.as_deref(),
            &["INSTANCE", "ORG"],
        )?;
    }
    if let Some(slo) = &p.endpoints.slo {
        check_url("protocol.endpoints.slo.url", &slo.url, MAX_URL)?;
    }
    if let Some(a) = &p.algorithms {
        if let Some(r) = &a.request {
            if let Some(s) = &r.signature {
                check_one_of(
                    "protocol.algorithms.request.signature.algorithm",
                    s.algorithm.as_deref(),
                    &["SHA-256"],
                )?;
                check_one_of(
                    "protocol.algorithms.request.signature.scope",
                    s.scope.as_deref(),
                    &["NONE", "REQUEST"],
                )?;
            }
            check_one_of(
                "protocol.algorithms.request.digest",
                r.digest.as_deref(),
                &["SHA-256"],
            )?;
        }
        if let Some(r) = &a.response {
            if let Some(s) = &r.signature {
                check_one_of(
                    "protocol.algorithms.response.signature.algorithm",
                    s.algorithm.as_deref(),
                    &["SHA-256"],
                )?;
                check_one_of(
                    "protocol.algorithms.response.signature.scope",
                    s.scope.as_deref(),
                    &["ANY", "RESPONSE", "TOKEN"],
                )?;
            }
            check_one_of(
                "protocol.algorithms.response.digest",
                r.digest.as_deref(),
                &["SHA-256"],
            )?;
        }
    }
    let t = &mut p.credentials.trust;
    t.issuer = t.issuer.trim().to_string();
    check_text("protocol.credentials.trust.issuer", &t.issuer, MAX_TEXT)?;
    if let Some(a) = &t.audience {
        check_text("protocol.credentials.trust.audience", a, MAX_TEXT)?;
    }
    check_text("protocol.credentials.trust.kid", &t.kid, 255)?;
    if t.additional_kids.len() > 1 {
        return Err(CoreError::invalid(
            "protocol.credentials.trust.additionalKids",
            "at most one additional kid",
        ));
    }
    for (i, k) in t.additional_kids.iter().enumerate() {
        check_text(
            &format!("protocol.credentials.trust.additionalKids[{i}]"),
            k,
            255,
        )?;
    }
    let mut kids = vec![t.kid.clone()];
    for k in &t.additional_kids {
        if !kids.contains(k) {
            kids.push(k.clone());
        }
    }
    if let Some(s) = &p.settings {
        check_one_of(
            "protocol.settings.nameFormat",
            s.name_format.as_deref(),
            &NAME_FORMATS,
        )?;
    }
    let s = p.settings.get_or_insert_with(Default::default);
    s.name_format
        .get_or_insert_with(|| NAMEID_UNSPECIFIED.into());
    if let Some(r) = &p.relay_state {
        check_one_of(
            "protocol.relayState.format",
            r.format.as_deref(),
            &["FROM_URL", "OPAQUE"],
        )?;
    }
    Ok(kids)
}

fn normalize_oidc(
    kind: IdpType,
    p: &mut OidcProtocol,
    had_secret: bool,
) -> Result<Option<Secret<String>>, CoreError> {
    use crate::model::idp::{Endpoint, UrlRef};
    if kind == IdpType::OktaIntegration {
        let raw = p.okta_idp_org_url.as_deref().ok_or_else(|| {
            CoreError::invalid(
                "protocol.oktaIdpOrgUrl",
                "an OKTA_INTEGRATION IdP needs the IdP org's URL",
            )
        })?;
        let base = check_url("protocol.oktaIdpOrgUrl", raw.trim(), MAX_URL)?;
        let parsed = Url::parse(&base).map_err(internal)?;
        if parsed.query().is_some() {
            return Err(CoreError::invalid(
                "protocol.oktaIdpOrgUrl",
                "must not have a query",
            ));
        }
        let base = base.trim_end_matches('/').to_string();
        p.okta_idp_org_url = Some(base.clone());
        let ep = |path: &str, binding: &str| Endpoint {
            url: format!("{base}/oauth2/v1/{path}"),
            binding: Some(binding.into()),
            destination: None,
        };
        let e = &mut p.endpoints;
        e.authorization
            .get_or_insert_with(|| ep("authorize", "HTTP-REDIRECT"));
        e.token.get_or_insert_with(|| ep("token", "HTTP-POST"));
        e.user_info
            .get_or_insert_with(|| ep("userinfo", "HTTP-REDIRECT"));
        e.jwks.get_or_insert_with(|| ep("keys", "HTTP-REDIRECT"));
        p.issuer.get_or_insert_with(|| UrlRef { url: base.clone() });
    } else if p.okta_idp_org_url.is_some() {
        return Err(CoreError::invalid(
            "protocol.oktaIdpOrgUrl",
            "only an OKTA_INTEGRATION IdP has oktaIdpOrgUrl",
        ));
    }
    let e = &mut p.endpoints;
    for (field, ep, required) in [
        (
            "protocol.endpoints.authorization",
            &mut e.authorization,
            true,
        ),
        ("protocol.endpoints.token", &mut e.token, true),
        ("protocol.endpoints.jwks", &mut e.jwks, true),
        ("protocol.endpoints.userInfo", &mut e.user_info, false),
        ("protocol.endpoints.slo", &mut e.slo, false),
    ] {
        match ep {
            None if required => {
                return Err(CoreError::invalid(field, "is required"));
            }
            None => {}
            Some(ep) => {
                ep.url = check_url(&format!("{field}.url"), ep.url.trim(), MAX_URL)?;
                check_one_of(
                    &format!("{field}.binding"),
                    ep.binding.as_deref(),
                    &["HTTP-POST", "HTTP-REDIRECT"],
                )?;
                if ep.destination.is_some() {
                    return Err(CoreError::invalid(
                        format!("{field}.destination"),
                        "only SAML endpoints have a destination",
                    ));
                }
            }
        }
    }
    match &mut p.issuer {
        None => {
            return Err(CoreError::invalid(
                "protocol.issuer.url",
                "the IdP's issuer is required",
            ));
        }
        Some(i) => {
            i.url = i.url.trim().to_string();
            check_text("protocol.issuer.url", &i.url, MAX_TEXT)?;
        }
    }
    if p.scopes.is_empty() {
        p.scopes = vec!["openid".into(), "email".into(), "profile".into()];
    }
    if p.scopes.len() > 30 {
        return Err(CoreError::invalid("protocol.scopes", "at most 30 scopes"));
    }
    for (i, s) in p.scopes.iter().enumerate() {
        if s.is_empty()
            || s.len() > 256
            || !s
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        {
            return Err(CoreError::invalid(
                format!("protocol.scopes[{i}]"),
                "is not a valid scope token",
            ));
        }
    }
    if !p.scopes.iter().any(|s| s == "openid") {
        return Err(CoreError::invalid("protocol.scopes", "must include openid"));
    }
    let c = &mut p.credentials.client;
    c.client_id = c.client_id.trim().to_string();
    check_text(
        "protocol.credentials.client.client_id",
        &c.client_id,
        MAX_TEXT,
    )?;
    let secret = c.client_secret.take();
    if let Some(s) = &secret
        && (s.is_empty() || s.len() > MAX_TEXT)
    {
        return Err(CoreError::invalid(
            "protocol.credentials.client.client_secret",
            format!("must be 1 to {MAX_TEXT} characters"),
        ));
    }
    let method = c.token_endpoint_auth_method;
    if matches!(
        method,
        UpstreamAuthMethod::ClientSecretBasic | UpstreamAuthMethod::ClientSecretPost
    ) && secret.is_none()
        && !had_secret
    {
        return Err(CoreError::invalid(
            "protocol.credentials.client.client_secret",
            format!("{} needs the client secret", method.as_str()),
        ));
    }
    Ok(secret.map(Secret::new))
}

fn conflict_to_name(e: CoreError, name: &str) -> CoreError {
    match e {
        CoreError::Store(StoreError::Conflict(_)) => CoreError::invalid(
            "name",
            format!("an identity provider named '{name}' already exists"),
        ),
        CoreError::Store(StoreError::MissingReference(_)) => CoreError::invalid(
            "protocol.credentials.trust.kid",
            "the key is not in the IdP key store",
        ),
        other => other,
    }
}

fn seal_secret(ctx: &Ctx, s: &Secret<String>) -> Result<String, CoreError> {
    ctx.secrets.seal(
        ctx.rng.as_ref(),
        CLIENT_SECRET_PURPOSE,
        s.expose().as_bytes(),
    )
}

/// Creates an IdP (active unless `activate` is false) with its SP key pair.
pub async fn create(
    ctx: &Ctx,
    org: &OrgId,
    input: IdpInput,
    activate: bool,
) -> Result<Idp, CoreError> {
    let n = normalize(ctx, org, input, false).await?;
    let id = IdpId::generate(ctx.rng.as_ref());
    let now = ctx.clock.now();
    let when =
        time::OffsetDateTime::from_unix_timestamp(now.0.div_euclid(1000)).map_err(internal)?;
    let rng = ctx.rng.clone();
    let cn = format!("federa-sp-{id}");
    let identity =
        tokio::task::spawn_blocking(move || SigningIdentity::generate(&cn, when, rng.as_ref()))
            .await
            .map_err(internal)?
            .map_err(internal)?;
    let dec = RsaDecryptionKey::from_pkcs8_der(identity.pkcs8_der().expose()).map_err(internal)?;
    let sealed_sp_key = ctx.secrets.seal(
        ctx.rng.as_ref(),
        SP_KEY_PURPOSE,
        identity.pkcs8_der().expose(),
    )?;
    let sealed_client_secret = n
        .client_secret
        .as_ref()
        .map(|s| seal_secret(ctx, s))
        .transpose()?;
    let name = n.input.name.clone();
    let stored = StoredIdp {
        id: id.clone(),
        org_id: org.clone(),
        kind: n.input.kind.as_str().into(),
        name: name.clone(),
        status: if activate {
            LifecycleStatus::Active
        } else {
            LifecycleStatus::Inactive
        }
        .as_str()
        .into(),
        body: serde_json::to_value(&n.input).map_err(internal)?,
        sealed_client_secret,
        sealed_sp_key,
        sp_cert: identity.cert_base64(),
        sp_kid: dec.kid().as_str().to_string(),
        trust_kids: n.trust_kids,
        created: now,
        last_updated: now,
    };
    ctx.store
        .create_idp(&stored)
        .await
        .map_err(|e| conflict_to_name(e.into(), &name))?;
    from_stored(stored)
}

fn parse_id(id: &str) -> Result<IdpId, CoreError> {
    IdpId::parse(id).ok_or_else(|| {
        CoreError::NotFound(format!(
            "identity provider '{}'",
            id.chars().take(64).collect::<String>()
        ))
    })
}

/// One IdP of the org.
pub async fn get(ctx: &Ctx, org: &OrgId, id: &str) -> Result<Idp, CoreError> {
    let idp_id = parse_id(id)?;
    let stored = ctx
        .store
        .idp_by_id(org, &idp_id)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("identity provider '{idp_id}'")))?;
    from_stored(stored)
}

/// A page of the org's IdPs, oldest first.
pub async fn list(ctx: &Ctx, org: &OrgId, page: &PageRequest) -> Result<Page<Idp>, CoreError> {
    let after = match &page.after {
        Some(a) => Some(
            IdpId::parse(a)
                .ok_or_else(|| CoreError::invalid("after", "after is not a valid cursor"))?,
        ),
        None => None,
    };
    let rows = ctx
        .store
        .list_idps(org, after.as_ref(), i64::from(page.limit) + 1)
        .await?;
    let items = rows
        .into_iter()
        .map(from_stored)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |i| {
        i.id.to_string()
    }))
}

/// Every IdP of the org.
pub async fn list_all(ctx: &Ctx, org: &OrgId) -> Result<Vec<Idp>, CoreError> {
    ctx.store
        .all_idps(org)
        .await?
        .into_iter()
        .map(from_stored)
        .collect()
}

/// The org's active IdPs.
pub async fn list_active(ctx: &Ctx, org: &OrgId) -> Result<Vec<Idp>, CoreError> {
    Ok(list_all(ctx, org)
        .await?
        .into_iter()
        .filter(Idp::is_active)
        .collect())
}

/// Every IdP of the org as the trust-claims guard sees it.
pub async fn guard_views(ctx: &Ctx, org: &OrgId) -> Result<Vec<IdpTrust>, CoreError> {
    Ok(list_all(ctx, org)
        .await?
        .iter()
        .map(Idp::guard_view)
        .collect())
}

/// The org's claims feature flags, as the trust rules read them.
pub async fn claims_features(ctx: &Ctx, org: &OrgId) -> Result<OrgFeatures, CoreError> {
    let mut f = OrgFeatures::default();
    for feat in crate::service::features::list(ctx, org).await? {
        match feat.info.claims_feature {
            ClaimsFeature::Org2orgClaimsSharing => f.org2org_claims_sharing = feat.enabled,
            ClaimsFeature::ThirdPartyIdpClaimsSharing => {
                f.third_party_idp_claims_sharing = feat.enabled;
            }
            ClaimsFeature::IdpAmrClaimsMapping => f.idp_amr_claims_mapping = feat.enabled,
        }
    }
    Ok(f)
}

/// Whether an active IdP of the org has its claims credited (`trustClaims` or `mapAMRClaims`
/// with the governing feature enabled): the "a trusting IdP exists" input of the policy save
/// rules.
pub async fn any_trusting(ctx: &Ctx, org: &OrgId) -> Result<bool, CoreError> {
    let idps = list_active(ctx, org).await?;
    if !idps.iter().any(|i| i.trust_claims || i.map_amr_claims) {
        return Ok(false);
    }
    let features = claims_features(ctx, org).await?;
    Ok(idps
        .iter()
        .any(|i| mode_for(&i.trust_config(), features).0 != TrustMode::Off))
}

/// Replaces an IdP. The type cannot change; the client secret is kept unless a new one is
/// given; the SP key pair is kept.
pub async fn replace(ctx: &Ctx, org: &OrgId, id: &str, input: IdpInput) -> Result<Idp, CoreError> {
    let old = get(ctx, org, id).await?;
    if input.kind != old.kind {
        return Err(CoreError::invalid(
            "type",
            "the type of an IdP cannot change",
        ));
    }
    let n = normalize(ctx, org, input, old.has_client_secret).await?;
    let keep_secret = matches!(n.input.protocol, IdpProtocol::Oidc(_));
    let sealed_client_secret = match &n.client_secret {
        Some(s) => Some(seal_secret(ctx, s)?),
        None if keep_secret => old.sealed_client_secret.clone(),
        None => None,
    };
    let name = n.input.name.clone();
    let stored = StoredIdp {
        id: old.id.clone(),
        org_id: org.clone(),
        kind: n.input.kind.as_str().into(),
        name: name.clone(),
        status: old.status.as_str().into(),
        body: serde_json::to_value(&n.input).map_err(internal)?,
        sealed_client_secret,
        sealed_sp_key: old.sealed_sp_key.clone(),
        sp_cert: old.sp_cert_b64.clone(),
        sp_kid: old.sp_kid.clone(),
        trust_kids: n.trust_kids,
        created: old.created,
        last_updated: ctx.clock.now(),
    };
    // Turning trust off is like deactivating, as far as policies relying on it go.
    if old.is_active() && (old.trust_claims || old.map_amr_claims) {
        let new = from_stored(stored.clone())?;
        if !(new.trust_claims || new.map_amr_claims) {
            guard(ctx, org, &old, TrustChange::DeactivateIdp(&old.id)).await?;
        }
    }
    if !ctx
        .store
        .update_idp(&stored)
        .await
        .map_err(|e| conflict_to_name(e.into(), &name))?
    {
        return Err(CoreError::NotFound(format!(
            "identity provider '{}'",
            old.id
        )));
    }
    from_stored(stored)
}

async fn guard(
    ctx: &Ctx,
    org: &OrgId,
    idp: &Idp,
    change: TrustChange<'_>,
) -> Result<(), CoreError> {
    // An inactive IdP credits nothing: removing it changes nothing policies rely on.
    if !idp.is_active() || !(idp.trust_claims || idp.map_amr_claims) {
        return Ok(());
    }
    let idps = guard_views(ctx, org).await?;
    let org_policies = policies::load(ctx, org).await?;
    let active = authenticators::active_methods(ctx, org).await?;
    check_trust_change(&TrustGuardInput {
        change,
        idps: &idps,
        sign_on_policies: &org_policies.sign_on,
        access_policies: &org_policies.access,
        active_authenticators: &active,
    })
    .map_err(policies::policy_error)
}

/// Activates or deactivates an IdP; deactivation goes through the trust-claims guard.
pub async fn set_status(
    ctx: &Ctx,
    org: &OrgId,
    id: &str,
    status: LifecycleStatus,
) -> Result<Idp, CoreError> {
    let idp = get(ctx, org, id).await?;
    if idp.status == status {
        return Ok(idp);
    }
    if status == LifecycleStatus::Inactive {
        guard(ctx, org, &idp, TrustChange::DeactivateIdp(&idp.id)).await?;
    }
    let now = ctx.clock.now();
    if !ctx
        .store
        .set_idp_status(org, &idp.id, status.as_str(), now)
        .await?
    {
        return Err(CoreError::NotFound(format!(
            "identity provider '{}'",
            idp.id
        )));
    }
    get(ctx, org, idp.id.as_str()).await
}

/// Deletes an IdP (through the trust-claims guard).
pub async fn delete(ctx: &Ctx, org: &OrgId, id: &str) -> Result<(), CoreError> {
    let idp = get(ctx, org, id).await?;
    guard(ctx, org, &idp, TrustChange::DeleteIdp(&idp.id)).await?;
    if !ctx.store.delete_idp(org, &idp.id).await? {
        return Err(CoreError::NotFound(format!(
            "identity provider '{}'",
            idp.id
        )));
    }
    Ok(())
}

/// The upstream client secret, unsealed.
pub async fn client_secret(ctx: &Ctx, idp: &Idp) -> Result<Option<Secret<String>>, CoreError> {
    idp.sealed_client_secret
        .as_ref()
        .map(|s| {
            let raw = ctx.secrets.open(CLIENT_SECRET_PURPOSE, s)?;
            String::from_utf8(raw.expose().clone())
                .map(Secret::new)
                .map_err(|_| internal("a stored IdP client secret is not UTF-8"))
        })
        .transpose()
}

/// The per-IdP SP private key (PKCS#8 DER), unsealed: decrypts SAML `EncryptedAssertion`s and
/// signs AuthnRequests and `private_key_jwt` client assertions.
pub async fn sp_private_key_pkcs8(ctx: &Ctx, idp: &Idp) -> Result<Secret<Vec<u8>>, CoreError> {
    ctx.secrets.open(SP_KEY_PURPOSE, &idp.sealed_sp_key)
}

/// The per-IdP SP key as a JWE decryption key set (one key, kid = RFC 7638 thumbprint).
pub async fn sp_decryption_keys(ctx: &Ctx, idp: &Idp) -> Result<DecryptionKeySet, CoreError> {
    let der = sp_private_key_pkcs8(ctx, idp).await?;
    let key = RsaDecryptionKey::from_pkcs8_der(der.expose()).map_err(internal)?;
    DecryptionKeySet::from_keys([key]).map_err(internal)
}

/// The per-IdP SP key with its certificate, for SAML signing and decryption.
pub async fn sp_identity(ctx: &Ctx, idp: &Idp) -> Result<SigningIdentity, CoreError> {
    let der = sp_private_key_pkcs8(ctx, idp).await?;
    let cert = sp_certificate_der(ctx, idp).await?;
    SigningIdentity::from_parts(der.expose(), &cert).map_err(internal)
}

/// The SP key's self-signed certificate (DER).
pub async fn sp_certificate_der(_ctx: &Ctx, idp: &Idp) -> Result<Vec<u8>, CoreError> {
    STANDARD.decode(&idp.sp_cert_b64).map_err(internal)
}

/// The public half of the SP key as a JWK Set (`use: enc`, `alg: RSA-OAEP-256`).
pub async fn sp_jwks(ctx: &Ctx, idp: &Idp) -> Result<Jwks, CoreError> {
    Ok(sp_decryption_keys(ctx, idp).await?.public_jwks())
}

/// The SAML SP metadata of an IdP: entity id, ACS (HTTP-POST), and the SP certificate as both
/// signing and encryption key. `base` is the org's URL.
pub async fn sp_metadata(ctx: &Ctx, idp: &Idp, base: &str) -> Result<String, CoreError> {
    let cert = Certificate::from_der(&sp_certificate_der(ctx, idp).await?).map_err(internal)?;
    let name_id_formats = match &idp.saml {
        Some(s) => vec![s.name_format.clone()],
        None => vec![NAMEID_UNSPECIFIED.to_string()],
    };
    federa_saml::metadata::sp_metadata_xml(&federa_saml::metadata::SpMetadataOut {
        entity_id: sp_entity_id(base, &idp.id),
        acs_url: acs_url(base, &idp.id),
        signing_certs: vec![cert.clone()],
        encryption_certs: vec![cert],
        name_id_formats,
        authn_requests_signed: idp.saml.as_ref().is_some_and(|s| s.request_signed),
        want_assertions_signed: true,
    })
    .map_err(internal)
}

/// The DER certificates of the trust store that verify this IdP's SAML signatures
/// (`protocol.credentials.trust.kid`, then `additionalKids`). Empty for OIDC IdPs.
pub async fn trusted_certificates(ctx: &Ctx, idp: &Idp) -> Result<Vec<Vec<u8>>, CoreError> {
    let Some(saml) = &idp.saml else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for kid in &saml.trust_kids {
        if let Some(k) = ctx.store.idp_key(&idp.org_id, kid).await? {
            out.push(STANDARD.decode(&k.x5c).map_err(internal)?);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Trust store.

fn key_from_stored(k: StoredIdpKey) -> Result<IdpKeyCredential, CoreError> {
    Ok(IdpKeyCredential {
        cert_der: STANDARD.decode(&k.x5c).map_err(internal)?,
        kid: k.kid,
        org_id: k.org_id,
        kty: k.kty,
        x5t_s256: k.x5t_s256,
        created: k.created,
        expires_at: k.expires_at,
    })
}

fn not_after(der: &[u8]) -> Option<Timestamp> {
    use x509_cert::der::Decode as _;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let t = cert.tbs_certificate.validity.not_after.to_unix_duration();
    i64::try_from(t.as_millis()).ok().map(Timestamp)
}

/// Adds a certificate (`x5c[0]`, base64 DER) to the org's IdP trust store.
pub async fn add_key(
    ctx: &Ctx,
    org: &OrgId,
    x5c: &[String],
) -> Result<IdpKeyCredential, CoreError> {
    let first = match x5c {
        [] => {
            return Err(CoreError::invalid(
                "x5c",
                "one base64 DER certificate is required",
            ));
        }
        [one] => one,
        _ => {
            return Err(CoreError::invalid(
                "x5c",
                "exactly one certificate is accepted",
            ));
        }
    };
    if first.len() > 64 * 1024 {
        return Err(CoreError::invalid("x5c[0]", "the certificate is too large"));
    }
    let cert = Certificate::from_base64(first)
        .map_err(|e| CoreError::invalid("x5c[0]", format!("not a usable certificate: {e}")))?;
    let der = cert.der().to_vec();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    let x5t = URL_SAFE_NO_PAD.encode(digest.as_ref());
    let kid = {
        let b: [u8; 16] = ctx.random();
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    };
    let stored = StoredIdpKey {
        kid,
        org_id: org.clone(),
        kty: "RSA".into(),
        x5c: STANDARD.encode(&der),
        x5t_s256: x5t,
        created: ctx.clock.now(),
        expires_at: not_after(&der),
    };
    ctx.store.add_idp_key(&stored).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            CoreError::invalid("x5c[0]", "this certificate is already in the IdP key store")
        }
        other => other.into(),
    })?;
    key_from_stored(stored)
}

fn check_kid(kid: &str) -> Result<(), CoreError> {
    if kid.is_empty() || kid.len() > 255 {
        return Err(CoreError::NotFound("key".into()));
    }
    Ok(())
}

/// One trust-store certificate.
pub async fn get_key(ctx: &Ctx, org: &OrgId, kid: &str) -> Result<IdpKeyCredential, CoreError> {
    check_kid(kid)?;
    let k = ctx.store.idp_key(org, kid).await?.ok_or_else(|| {
        CoreError::NotFound(format!(
            "key '{}'",
            kid.chars().take(64).collect::<String>()
        ))
    })?;
    key_from_stored(k)
}

/// A page of the trust store, oldest first.
pub async fn list_keys(
    ctx: &Ctx,
    org: &OrgId,
    page: &PageRequest,
) -> Result<Page<IdpKeyCredential>, CoreError> {
    let rows = ctx
        .store
        .list_idp_keys(org, page.after.as_deref(), i64::from(page.limit) + 1)
        .await?;
    let items = rows
        .into_iter()
        .map(key_from_stored)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |k| k.kid.clone()))
}

/// Deletes a trust-store certificate unless an IdP uses it.
pub async fn delete_key(ctx: &Ctx, org: &OrgId, kid: &str) -> Result<(), CoreError> {
    check_kid(kid)?;
    match ctx.store.delete_idp_key(org, kid).await? {
        IdpKeyDelete::Deleted => Ok(()),
        IdpKeyDelete::InUse => Err(CoreError::invalid(
            "kid",
            "the key is used by an identity provider; change or delete the IdP first",
        )),
        IdpKeyDelete::Missing => Err(CoreError::NotFound(format!(
            "key '{}'",
            kid.chars().take(64).collect::<String>()
        ))),
    }
}
