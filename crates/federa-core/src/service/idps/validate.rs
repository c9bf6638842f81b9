//! IdP input normalisation (CONTRACT §2 "IdPs", reference §2.1–2.3): checks the Okta-shaped
//! body of a create or replace, fills in defaults (clock skew, username template, NameID
//! format, SSO binding, derived OIDC endpoints), requires the trust-store kids of a SAML IdP to
//! exist, and resolves a stored body into its typed upstream settings.

use super::{
    DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_USERNAME_TEMPLATE, MAX_CLOCK_SKEW_MS, NAMEID_UNSPECIFIED,
    internal,
};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::idp::{
    IdpInput, IdpProtocol, IdpType, OidcProtocol, OidcUpstream, SamlProtocol, SamlUpstream,
    UpstreamAuthMethod,
};
use federa_types::{OrgId, Secret};
use url::Url;

const NAME_FORMATS: [&str; 4] = [
    NAMEID_UNSPECIFIED,
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
];
const MAX_URL: usize = 1014;
const MAX_TEXT: usize = 1024;

/// The upstream settings of a normalized input.
pub(super) fn resolve(
    input: &IdpInput,
) -> Result<(Option<OidcUpstream>, Option<SamlUpstream>), CoreError> {
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
pub(super) struct Normalized {
    pub(super) input: IdpInput,
    pub(super) client_secret: Option<Secret<String>>,
    pub(super) trust_kids: Vec<String>,
}

/// Validates and completes the input. `had_secret`: an existing IdP (replace) already has a
/// stored client secret.
pub(super) async fn normalize(
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
