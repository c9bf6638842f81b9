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
//!
//! Layout: this module holds the `Idp` type and its create, read, list, replace and lifecycle;
//! `validate` normalises and checks input, `sp` owns the per-IdP SP key (metadata, JWKS, our
//! SP endpoints) and the unsealed client secret, `keys` the org's IdP trust store.

mod keys;
mod sp;
mod validate;

pub use keys::{add_key, delete_key, get_key, list_keys, trusted_certificates};
pub use sp::{
    acs_url, authorize_url, client_secret, metadata_url, redirect_uri, sp_certificate_der,
    sp_decryption_keys, sp_entity_id, sp_identity, sp_jwks, sp_metadata, sp_private_key_pkcs8,
    sp_saml_decryption_keys,
};

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::LifecycleStatus;
use crate::model::idp::{
    AccountLinkAction, IdpInput, IdpProtocol, IdpType, MatchType, OidcUpstream, ProvisioningAction,
    SamlUpstream,
};
use crate::page::{Page, PageRequest};
use crate::ports::{StoreError, StoredIdp};
use crate::service::{authenticators, policies};
use federa_claims::trust::{IdpKind, IdpTrustConfig, OrgFeatures, Protocol, TrustMode, mode_for};
use federa_jose::RsaDecryptionKey;
use federa_policy::lifecycle::{
    ClaimsFeature, IdpTrust, TrustChange, TrustGuardInput, check_trust_change,
};
use federa_saml::SigningIdentity;
use federa_types::{IdpId, OrgId, Secret, Timestamp};
use validate::{normalize, resolve};

/// Default `policy.maxClockSkew` (ms).
pub const DEFAULT_MAX_CLOCK_SKEW_MS: i64 = 120_000;
/// Largest accepted `policy.maxClockSkew` (ms).
pub const MAX_CLOCK_SKEW_MS: i64 = 3_600_000;
/// Default `policy.subject.userNameTemplate.template`.
pub const DEFAULT_USERNAME_TEMPLATE: &str = "idpuser.email";
/// NameID format requested when none is configured.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

const SP_KEY_PURPOSE: &str = "idp-sp-key";
const CLIENT_SECRET_PURPOSE: &str = "idp-client-secret";

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

/// [`get`] for sign-in and public endpoints: from the per-process cache (see
/// [`crate::cache`]; a change made on this node is seen at once).
pub async fn get_cached(ctx: &Ctx, org: &OrgId, id: &str) -> Result<Idp, CoreError> {
    let idp_id = parse_id(id)?;
    let key = (org.clone(), idp_id);
    if let Some(i) = ctx.caches.idps.get(&key) {
        return Ok(i);
    }
    let idp = get(ctx, org, key.1.as_str()).await?;
    ctx.caches.idps.put(key, idp.clone());
    Ok(idp)
}

fn forget(ctx: &Ctx, org: &OrgId, id: &IdpId) {
    ctx.caches.idps.remove(&(org.clone(), id.clone()));
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
    if let Some(f) = ctx.caches.claims_features.get(org) {
        return Ok(f);
    }
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
    ctx.caches.claims_features.put(org.clone(), f);
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
    let updated = ctx
        .store
        .update_idp(&stored)
        .await
        .map_err(|e| conflict_to_name(e.into(), &name));
    forget(ctx, org, &old.id);
    if !updated? {
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
    let updated = ctx
        .store
        .set_idp_status(org, &idp.id, status.as_str(), now)
        .await;
    forget(ctx, org, &idp.id);
    if !updated? {
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
    let deleted = ctx.store.delete_idp(org, &idp.id).await;
    forget(ctx, org, &idp.id);
    if !deleted? {
        return Err(CoreError::NotFound(format!(
            "identity provider '{}'",
            idp.id
        )));
    }
    Ok(())
}
