//! Apps (CONTRACT §2): create, read, list, replace, lifecycle and delete OIDC clients, SAML
//! service providers and the org2org app. Input is validated as a whole before anything is
//! stored; the client secret is shown once at creation and stored as its SHA-256 only.
//!
//! The org2org app (`name: "okta_org2org"`, reference §1.6, §2.1) derives its SP endpoints from
//! `settings.app.baseUrl` (the SP org) and `settings.app.idpId` (the IdP object there):
//! SAML ACS `{baseUrl}/sso/saml2/{idpId}`, audience `{baseUrl}/saml2/service-provider/{idpId}`,
//! metadata `{baseUrl}/api/v1/idps/{idpId}/metadata.xml`; OIDC redirect URI
//! `{baseUrl}/oauth2/v1/authorize/callback` and keys `{baseUrl}/api/v1/idps/{idpId}/jwks`.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::LifecycleStatus;
use crate::model::app::{
    AppInput, GrantType, OAuthClientSettings, ORG2ORG_APP_NAME, SamlSp, SignOnMode, SignOnSettings,
    TokenAuthMethod,
};
use crate::page::{Page, PageRequest};
use crate::ports::{StoreError, StoredApp};
use crate::system::sha256_hex;
use base64::Engine as _;
use federa_types::{AppId, IdpId, OrgId, Secret, Timestamp};
use url::Url;

/// NameID format used when none is configured.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const MAX_URIS: usize = 20;
const MAX_URL: usize = 1024;

/// An app, loaded and typed.
#[derive(Debug, Clone)]
pub struct App {
    /// Id.
    pub id: AppId,
    /// Org.
    pub org_id: OrgId,
    /// Name.
    pub name: String,
    /// Label.
    pub label: String,
    /// Protocol.
    pub mode: SignOnMode,
    /// Lifecycle.
    pub status: LifecycleStatus,
    /// OAuth client id.
    pub client_id: Option<String>,
    /// SHA-256 of the client secret.
    pub client_secret_hash: Option<String>,
    /// The settings (secrets removed, org2org endpoints filled in).
    pub input: AppInput,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
}

/// The OIDC side of an app.
#[derive(Debug, Clone)]
pub struct OidcClient {
    /// Client id.
    pub client_id: String,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed grants.
    pub grant_types: Vec<GrantType>,
    /// Token endpoint authentication.
    pub auth_method: TokenAuthMethod,
    /// Client JWKS (private_key_jwt).
    pub jwks: Option<serde_json::Value>,
    /// Client JWKS URI (private_key_jwt; org2org: also the SP's encryption key).
    pub jwks_uri: Option<String>,
}

impl App {
    /// Whether this is the org2org app.
    pub fn is_org2org(&self) -> bool {
        self.name == ORG2ORG_APP_NAME
    }

    /// Whether the app asked to ignore force-authentication requests (`prompt=login`,
    /// `max_age`, `ForceAuthn`).
    pub fn force_authn_disabled(&self) -> bool {
        self.input
            .settings
            .sign_on
            .as_ref()
            .and_then(|s| s.disable_force_authentication)
            .unwrap_or(false)
    }

    /// Whether the app may be used.
    pub fn is_active(&self) -> bool {
        self.status == LifecycleStatus::Active
    }

    /// The OIDC client, for `OPENID_CONNECT` apps.
    pub fn oidc(&self) -> Option<OidcClient> {
        if self.mode != SignOnMode::OpenidConnect {
            return None;
        }
        let s = self.input.settings.oauth_client.clone().unwrap_or_default();
        let method = self
            .input
            .credentials
            .oauth_client
            .as_ref()
            .map(|c| c.token_endpoint_auth_method)
            .unwrap_or_default();
        Some(OidcClient {
            client_id: self.client_id.clone()?,
            redirect_uris: s.redirect_uris,
            post_logout_redirect_uris: s.post_logout_redirect_uris,
            grant_types: s.grant_types,
            auth_method: method,
            jwks: s.jwks,
            jwks_uri: s.jwks_uri,
        })
    }

    /// The SAML service provider, for `SAML_2_0` apps.
    pub fn saml(&self) -> Option<SamlSp> {
        if self.mode != SignOnMode::Saml2 {
            return None;
        }
        let s = self.input.settings.sign_on.clone().unwrap_or_default();
        let acs = s.sso_acs_url.clone()?;
        let metadata_url = org2org_parts(&self.input).map(|(base, idp)| {
            format!(
                "{}/api/v1/idps/{}/metadata.xml",
                base.trim_end_matches('/'),
                idp
            )
        });
        Some(SamlSp {
            audience: s.audience.clone().unwrap_or_else(|| acs.clone()),
            recipient: s.recipient.clone().unwrap_or_else(|| acs.clone()),
            destination: s.destination.clone().unwrap_or_else(|| acs.clone()),
            acs_url: acs,
            name_id_template: s
                .subject_name_id_template
                .clone()
                .unwrap_or_else(|| "${user.userName}".into()),
            name_id_format: s
                .subject_name_id_format
                .clone()
                .unwrap_or_else(|| NAMEID_UNSPECIFIED.into()),
            response_signed: s.response_signed.unwrap_or(true),
            assertion_signed: s.assertion_signed.unwrap_or(true),
            authn_context_class_ref: s.authn_context_class_ref.clone(),
            honor_force_authn: s.honor_force_authn.unwrap_or(true),
            include_session_amr: s.include_session_amr.unwrap_or(false),
            assertion_encrypted: s.assertion_encrypted.unwrap_or(false),
            sp_certificate: s.sp_certificate.clone(),
            signed_requests_required: s.saml_signed_request_enabled.unwrap_or(false),
            attributes: s.attribute_statements.clone(),
            default_relay_state: s.default_relay_state.clone(),
            metadata_url,
        })
    }
}

fn org2org_parts(input: &AppInput) -> Option<(String, String)> {
    if input.name.as_deref() != Some(ORG2ORG_APP_NAME) {
        return None;
    }
    let a = input.settings.app.as_ref()?;
    Some((a.base_url.clone()?, a.idp_id.clone()?))
}

fn from_stored(s: StoredApp) -> Result<App, CoreError> {
    let input: AppInput = serde_json::from_value(s.body)
        .map_err(|e| CoreError::Internal(format!("stored app is unreadable: {e}")))?;
    Ok(App {
        mode: SignOnMode::parse(&s.sign_on_mode)
            .ok_or_else(|| CoreError::Internal("stored app has an unknown mode".into()))?,
        status: if s.status == "ACTIVE" {
            LifecycleStatus::Active
        } else {
            LifecycleStatus::Inactive
        },
        id: s.id,
        org_id: s.org_id,
        name: s.name,
        label: s.label,
        client_id: s.client_id,
        client_secret_hash: s.client_secret_hash,
        input,
        created: s.created,
        last_updated: s.last_updated,
    })
}

fn check_url(field: &str, value: &str, allow_http_anywhere: bool) -> Result<Url, CoreError> {
    if value.len() > MAX_URL {
        return Err(CoreError::invalid(
            field,
            format!("must be at most {MAX_URL} bytes"),
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
        "http" if loopback || allow_http_anywhere => {}
        // Native apps' private-use schemes (RFC 8252 §7.1) contain a dot.
        // `field` is e.g. `settings.oauthClient.redirect_uris[0]`.
        s if s.contains('.') && field.contains("redirect_uris[") => {}
        _ => {
            return Err(CoreError::invalid(
                field,
                format!("'{value}' must use https (http only on loopback hosts)"),
            ));
        }
    }
    Ok(url)
}

/// What [`normalize`] answers: the input with secrets removed, the client id, and the client
/// secret to store (hashed) and to show once.
type Normalized = (AppInput, Option<String>, Option<Secret<String>>);

/// Validates and completes the input; returns it with secrets removed, plus the client
/// secret to store (hashed) and to show once.
fn normalize(
    ctx: &Ctx,
    id: &AppId,
    mut input: AppInput,
    creating: bool,
) -> Result<Normalized, CoreError> {
    let label = input.label.trim().to_string();
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "label",
            "label must be 1 to 100 characters without control characters",
        ));
    }
    input.label = label;
    let name = match (&input.name, input.sign_on_mode) {
        (Some(n), _) => n.trim().to_string(),
        (None, SignOnMode::OpenidConnect) => "oidc_client".into(),
        (None, SignOnMode::Saml2) => "saml_app".into(),
    };
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(CoreError::invalid(
            "name",
            "name must be 1 to 100 letters, digits, '_' or '-'",
        ));
    }
    input.name = Some(name.clone());

    if name == ORG2ORG_APP_NAME {
        let a = input.settings.app.clone().unwrap_or_default();
        let base = a.base_url.as_deref().ok_or_else(|| {
            CoreError::invalid(
                "settings.app.baseUrl",
                "the org2org app needs the SP org's URL",
            )
        })?;
        let base_url = check_url("settings.app.baseUrl", base, false)?;
        if base_url.query().is_some() {
            return Err(CoreError::invalid(
                "settings.app.baseUrl",
                "must not have a query",
            ));
        }
        let idp = a.idp_id.as_deref().ok_or_else(|| {
            CoreError::invalid(
                "settings.app.idpId",
                "the org2org app needs the IdP object id in the SP org",
            )
        })?;
        if IdpId::parse(idp).is_none() {
            return Err(CoreError::invalid(
                "settings.app.idpId",
                format!("'{idp}' is not an IdP id"),
            ));
        }
        let base = base.trim_end_matches('/').to_string();
        input.settings.app = Some(crate::model::app::Org2OrgSettings {
            base_url: Some(base.clone()),
            idp_id: Some(idp.to_string()),
        });
        match input.sign_on_mode {
            SignOnMode::Saml2 => {
                let mut s = input.settings.sign_on.clone().unwrap_or_default();
                let acs = format!("{base}/sso/saml2/{idp}");
                s.sso_acs_url = Some(acs.clone());
                s.recipient = Some(acs.clone());
                s.destination = Some(acs);
                s.audience = Some(format!("{base}/saml2/service-provider/{idp}"));
                input.settings.sign_on = Some(s);
            }
            SignOnMode::OpenidConnect => {
                let mut s = input.settings.oauth_client.clone().unwrap_or_default();
                s.redirect_uris = vec![format!("{base}/oauth2/v1/authorize/callback")];
                if s.grant_types.is_empty() {
                    s.grant_types = vec![GrantType::AuthorizationCode];
                }
                s.jwks_uri = Some(format!("{base}/api/v1/idps/{idp}/jwks"));
                input.settings.oauth_client = Some(s);
            }
        }
    } else if input.settings.app.is_some() {
        return Err(CoreError::invalid(
            "settings.app",
            "only the org2org app (name okta_org2org) has settings.app",
        ));
    }

    let mut secret_out = None;
    let mut client_id = None;
    match input.sign_on_mode {
        SignOnMode::OpenidConnect => {
            if input
                .settings
                .sign_on
                .as_ref()
                .is_some_and(|s| s.sso_acs_url.is_some() || s.audience.is_some())
            {
                return Err(CoreError::invalid(
                    "settings.signOn",
                    "SAML settings on an OPENID_CONNECT app",
                ));
            }
            let mut s: OAuthClientSettings =
                input.settings.oauth_client.clone().unwrap_or_default();
            if s.grant_types.is_empty() {
                s.grant_types = vec![GrantType::AuthorizationCode];
            }
            if s.response_types.is_empty() {
                s.response_types = vec!["code".into()];
            }
            if s.response_types.iter().any(|r| r != "code") {
                return Err(CoreError::invalid(
                    "settings.oauthClient.response_types",
                    "only the code flow is supported (response type 'code')",
                ));
            }
            if s.grant_types.contains(&GrantType::AuthorizationCode) && s.redirect_uris.is_empty() {
                return Err(CoreError::invalid(
                    "settings.oauthClient.redirect_uris",
                    "an app using the code flow needs at least one redirect URI",
                ));
            }
            if s.redirect_uris.len() > MAX_URIS || s.post_logout_redirect_uris.len() > MAX_URIS {
                return Err(CoreError::invalid(
                    "settings.oauthClient.redirect_uris",
                    format!("at most {MAX_URIS} URIs"),
                ));
            }
            for (i, u) in s.redirect_uris.iter().enumerate() {
                check_url(
                    &format!("settings.oauthClient.redirect_uris[{i}]"),
                    u,
                    false,
                )?;
            }
            for (i, u) in s.post_logout_redirect_uris.iter().enumerate() {
                check_url(
                    &format!("settings.oauthClient.post_logout_redirect_uris[{i}]"),
                    u,
                    false,
                )?;
            }
            if let Some(u) = &s.jwks_uri {
                check_url("settings.oauthClient.jwks_uri", u, false)?;
            }
            input.settings.oauth_client = Some(s.clone());
            let mut creds = input.credentials.oauth_client.take().unwrap_or_default();
            let method = creds.token_endpoint_auth_method;
            if method == TokenAuthMethod::PrivateKeyJwt && s.jwks.is_none() && s.jwks_uri.is_none()
            {
                return Err(CoreError::invalid(
                    "settings.oauthClient.jwks",
                    "private_key_jwt needs the client's keys (jwks or jwks_uri)",
                ));
            }
            if method == TokenAuthMethod::None
                && s.grant_types.contains(&GrantType::ClientCredentials)
            {
                return Err(CoreError::invalid(
                    "settings.oauthClient.grant_types",
                    "a public client cannot use client_credentials",
                ));
            }
            let cid = creds.client_id.take().unwrap_or_else(|| id.to_string());
            if cid.is_empty()
                || cid.len() > 100
                || !cid.chars().all(|c| c.is_ascii_graphic() && c != ':')
            {
                return Err(CoreError::invalid(
                    "credentials.oauthClient.client_id",
                    "client_id must be 1 to 100 printable characters without ':'",
                ));
            }
            client_id = Some(cid.clone());
            if method.uses_secret() {
                let secret = match creds.client_secret.take() {
                    Some(sec) => {
                        if sec.len() < 14 || sec.len() > 100 {
                            return Err(CoreError::invalid(
                                "credentials.oauthClient.client_secret",
                                "client_secret must be 14 to 100 characters",
                            ));
                        }
                        Some(sec)
                    }
                    None if creating => {
                        let raw: [u8; 30] = ctx.random();
                        Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
                    }
                    None => None,
                };
                secret_out = secret.map(Secret::new);
            } else {
                creds.client_secret = None;
            }
            creds.client_id = Some(cid);
            input.credentials.oauth_client = Some(creds);
        }
        SignOnMode::Saml2 => {
            if input.settings.oauth_client.is_some() || input.credentials.oauth_client.is_some() {
                return Err(CoreError::invalid(
                    "settings.oauthClient",
                    "OIDC settings on a SAML_2_0 app",
                ));
            }
            let s: SignOnSettings = input.settings.sign_on.clone().unwrap_or_default();
            let acs = s.sso_acs_url.as_deref().ok_or_else(|| {
                CoreError::invalid("settings.signOn.ssoAcsUrl", "a SAML app needs its ACS URL")
            })?;
            check_url("settings.signOn.ssoAcsUrl", acs, false)?;
            for (f, v) in [
                ("settings.signOn.recipient", &s.recipient),
                ("settings.signOn.destination", &s.destination),
            ] {
                if let Some(v) = v {
                    check_url(f, v, false)?;
                }
            }
            if s.audience
                .as_deref()
                .is_some_and(|a| a.is_empty() || a.len() > MAX_URL)
            {
                return Err(CoreError::invalid(
                    "settings.signOn.audience",
                    format!("audience must be 1 to {MAX_URL} bytes"),
                ));
            }
            if let Some(t) = &s.subject_name_id_template
                && !["${user.userName}", "${user.login}", "${user.email}"].contains(&t.as_str())
            {
                return Err(CoreError::invalid(
                    "settings.signOn.subjectNameIdTemplate",
                    "one of ${user.userName}, ${user.login}, ${user.email}",
                ));
            }
            if s.signature_algorithm
                .as_deref()
                .is_some_and(|a| a != "RSA_SHA256")
            {
                return Err(CoreError::invalid(
                    "settings.signOn.signatureAlgorithm",
                    "only RSA_SHA256 is supported",
                ));
            }
            if s.digest_algorithm.as_deref().is_some_and(|a| a != "SHA256") {
                return Err(CoreError::invalid(
                    "settings.signOn.digestAlgorithm",
                    "only SHA256 is supported",
                ));
            }
            if s.response_signed == Some(false) && s.assertion_signed == Some(false) {
                return Err(CoreError::invalid(
                    "settings.signOn.assertionSigned",
                    "the Response, the Assertion or both must be signed",
                ));
            }
            let needs_cert =
                s.assertion_encrypted == Some(true) || s.saml_signed_request_enabled == Some(true);
            match &s.sp_certificate {
                Some(c) => {
                    let der = base64::engine::general_purpose::STANDARD
                        .decode(c.trim())
                        .map_err(|_| {
                            CoreError::invalid(
                                "settings.signOn.spCertificate",
                                "must be a base64 DER certificate",
                            )
                        })?;
                    if der.is_empty() || der.len() > 16 * 1024 {
                        return Err(CoreError::invalid(
                            "settings.signOn.spCertificate",
                            "must be a base64 DER certificate of at most 16 KiB",
                        ));
                    }
                }
                None if needs_cert && name != ORG2ORG_APP_NAME => {
                    return Err(CoreError::invalid(
                        "settings.signOn.spCertificate",
                        "encrypted assertions and signed requests need the SP's certificate",
                    ));
                }
                None => {}
            }
            if s.attribute_statements.len() > 50 {
                return Err(CoreError::invalid(
                    "settings.signOn.attributeStatements",
                    "at most 50 attribute statements",
                ));
            }
        }
    }
    Ok((input, client_id, secret_out))
}

fn conflict(e: StoreError) -> CoreError {
    match e {
        StoreError::Conflict(_) => CoreError::invalid(
            "credentials.oauthClient.client_id",
            "An object with this field already exists in the current organization",
        ),
        other => CoreError::Store(other),
    }
}

fn to_stored(app: &App) -> Result<StoredApp, CoreError> {
    Ok(StoredApp {
        id: app.id.clone(),
        org_id: app.org_id.clone(),
        name: app.name.clone(),
        label: app.label.clone(),
        sign_on_mode: app.mode.as_str().into(),
        status: app.status.as_str().into(),
        client_id: app.client_id.clone(),
        client_secret_hash: app.client_secret_hash.clone(),
        body: serde_json::to_value(&app.input)
            .map_err(|e| CoreError::Internal(format!("app settings: {e}")))?,
        created: app.created,
        last_updated: app.last_updated,
    })
}

/// Creates an app (active). Returns the app and, for secret-based clients, the secret to show
/// once.
pub async fn create(
    ctx: &Ctx,
    org: &OrgId,
    input: AppInput,
    activate: bool,
) -> Result<(App, Option<Secret<String>>), CoreError> {
    let id = AppId::generate(ctx.rng.as_ref());
    let (input, client_id, secret) = normalize(ctx, &id, input, true)?;
    let now = ctx.clock.now();
    let app = App {
        id,
        org_id: org.clone(),
        name: input.name.clone().unwrap_or_default(),
        label: input.label.clone(),
        mode: input.sign_on_mode,
        status: if activate {
            LifecycleStatus::Active
        } else {
            LifecycleStatus::Inactive
        },
        client_id,
        client_secret_hash: secret.as_ref().map(|s| sha256_hex(s.expose().as_bytes())),
        input,
        created: now,
        last_updated: now,
    };
    ctx.store
        .create_app(&to_stored(&app)?)
        .await
        .map_err(conflict)?;
    Ok((app, secret))
}

fn parse_id(id: &str) -> Result<AppId, CoreError> {
    AppId::parse(id).ok_or_else(|| {
        CoreError::NotFound(format!("app '{}'", id.chars().take(64).collect::<String>()))
    })
}

/// One app.
pub async fn get(ctx: &Ctx, org: &OrgId, id: &str) -> Result<App, CoreError> {
    let id = parse_id(id)?;
    let stored = ctx
        .store
        .app_by_id(org, &id)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("app '{id}'")))?;
    from_stored(stored)
}

/// The OIDC app with this client id.
pub async fn by_client_id(
    ctx: &Ctx,
    org: &OrgId,
    client_id: &str,
) -> Result<Option<App>, CoreError> {
    if client_id.is_empty() || client_id.len() > 100 {
        return Ok(None);
    }
    let key = (org.clone(), client_id.to_string());
    if let Some(app) = ctx.caches.apps.get(&key) {
        return Ok(Some(app));
    }
    let app = ctx
        .store
        .app_by_client_id(org, client_id)
        .await?
        .map(from_stored)
        .transpose()?;
    if let Some(a) = &app {
        ctx.caches.apps.put(key, a.clone());
    }
    Ok(app)
}

fn forget(ctx: &Ctx, app: &App) {
    if let Some(c) = &app.client_id {
        ctx.caches.apps.remove(&(app.org_id.clone(), c.clone()));
    }
}

/// A page of apps.
pub async fn list(ctx: &Ctx, org: &OrgId, page: &PageRequest) -> Result<Page<App>, CoreError> {
    let after = match &page.after {
        Some(a) => Some(parse_id(a).map_err(|_| CoreError::invalid("after", "unknown cursor"))?),
        None => None,
    };
    let rows = ctx
        .store
        .list_apps(org, after.as_ref(), i64::from(page.limit) + 1)
        .await?;
    let items = rows
        .into_iter()
        .map(from_stored)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |a| {
        a.id.to_string()
    }))
}

/// Replaces an app's label and settings. The protocol cannot change; the client secret is kept
/// unless a new one is given.
pub async fn replace(
    ctx: &Ctx,
    org: &OrgId,
    id: &str,
    input: AppInput,
) -> Result<(App, Option<Secret<String>>), CoreError> {
    let old = get(ctx, org, id).await?;
    forget(ctx, &old);
    let mut input = input;
    if input.sign_on_mode != old.mode {
        return Err(CoreError::invalid(
            "signOnMode",
            "the protocol of an app cannot change",
        ));
    }
    // The name says what kind of app this is (`okta_org2org` or not); a replace that leaves it
    // out keeps it, and it cannot change.
    match input.name.as_deref().map(str::trim) {
        None => input.name = Some(old.name.clone()),
        Some(n) if n == old.name => {}
        Some(_) => {
            return Err(CoreError::invalid(
                "name",
                "the name of an app cannot change",
            ));
        }
    }
    let (input, client_id, secret) = normalize(ctx, &old.id, input, false)?;
    let secret_hash = match (&secret, &old.client_secret_hash) {
        (Some(s), _) => Some(sha256_hex(s.expose().as_bytes())),
        (None, h) => {
            let method = input
                .credentials
                .oauth_client
                .as_ref()
                .map(|c| c.token_endpoint_auth_method)
                .unwrap_or_default();
            if old.mode == SignOnMode::OpenidConnect && method.uses_secret() {
                if h.is_none() {
                    return Err(CoreError::invalid(
                        "credentials.oauthClient.client_secret",
                        "switching to a secret-based method needs a client_secret",
                    ));
                }
                h.clone()
            } else {
                None
            }
        }
    };
    let app = App {
        name: input.name.clone().unwrap_or_default(),
        label: input.label.clone(),
        client_id,
        client_secret_hash: secret_hash,
        input,
        last_updated: ctx.clock.now(),
        ..old
    };
    if !ctx
        .store
        .update_app(&to_stored(&app)?)
        .await
        .map_err(conflict)?
    {
        return Err(CoreError::NotFound(format!("app '{}'", app.id)));
    }
    forget(ctx, &app);
    Ok((app, secret))
}

/// Activates or deactivates an app.
pub async fn set_status(
    ctx: &Ctx,
    org: &OrgId,
    id: &str,
    status: LifecycleStatus,
) -> Result<App, CoreError> {
    let mut app = get(ctx, org, id).await?;
    if app.status != status {
        app.status = status;
        app.last_updated = ctx.clock.now();
        if !ctx.store.update_app(&to_stored(&app)?).await? {
            return Err(CoreError::NotFound(format!("app '{}'", app.id)));
        }
        forget(ctx, &app);
    }
    Ok(app)
}

/// Deletes an app; Okta requires it to be inactive first.
pub async fn delete(ctx: &Ctx, org: &OrgId, id: &str) -> Result<(), CoreError> {
    let app = get(ctx, org, id).await?;
    if app.is_active() {
        return Err(CoreError::Conflict(
            "an active app cannot be deleted; deactivate it first".into(),
        ));
    }
    if !ctx.store.delete_app(org, &app.id).await? {
        return Err(CoreError::NotFound(format!("app '{}'", app.id)));
    }
    forget(ctx, &app);
    Ok(())
}

/// Checks a presented client secret against the stored digest, in constant time.
pub fn secret_matches(app: &App, presented: &str) -> bool {
    match &app.client_secret_hash {
        Some(h) => crate::system::constant_time_eq(
            h.as_bytes(),
            sha256_hex(presented.as_bytes()).as_bytes(),
        ),
        None => false,
    }
}
