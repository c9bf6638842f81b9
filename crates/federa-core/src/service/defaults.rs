//! What every org starts with (reference §2.9–2.11; CONTRACT §2): Okta's default authenticator
//! set, the claims-sharing feature flags, and the default policies of federa-policy. Built for
//! new orgs (written in the org's creation transaction) and backfilled at start-up into orgs
//! created before a default existed.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Authenticator, FeatureState, LifecycleStatus, Org, OrgDefaults};
use crate::service::policies;
use federa_types::{AuthenticatorId, OrgId, Timestamp};

/// The authenticators of a new org: key, display name, Okta `type`, active by default.
/// Password, Email and Okta Verify are active in a new Okta org; the others exist here but
/// start inactive until an admin activates them.
pub const AUTHENTICATORS: [(&str, &str, &str, bool); 7] = [
    ("okta_password", "Password", "password", true),
    ("okta_email", "Email", "email", true),
    ("okta_verify", "Okta Verify", "app", true),
    ("phone_number", "Phone", "phone", false),
    ("google_otp", "Google Authenticator", "app", false),
    (
        "security_question",
        "Security Question",
        "security_question",
        false,
    ),
    (
        "webauthn",
        "Security Key or Biometric",
        "security_key",
        false,
    ),
];

/// The claims-sharing features and whether a new org has them enabled. Federa enables claims
/// sharing by default (each IdP's `trustClaims` still decides); the legacy AMR mapping is off.
pub const FEATURES: [(&str, bool); 3] = [
    ("ORG2ORG_CLAIMS_SHARING", true),
    ("THIRD_PARTY_IDP_CLAIMS_SHARING", true),
    ("IDP_AMR_CLAIMS_MAPPING", false),
];

/// The Okta `type` of an authenticator key (`None` for keys Federa does not host).
pub fn authenticator_type(key: &str) -> Option<&'static str> {
    AUTHENTICATORS.iter().find(|a| a.0 == key).map(|a| a.2)
}

fn authenticators(ctx: &Ctx, org: &OrgId, now: Timestamp) -> Vec<Authenticator> {
    AUTHENTICATORS
        .iter()
        .map(|(key, name, _, active)| Authenticator {
            id: AuthenticatorId::generate(ctx.rng.as_ref()),
            org_id: org.clone(),
            key: (*key).to_string(),
            name: (*name).to_string(),
            status: if *active {
                LifecycleStatus::Active
            } else {
                LifecycleStatus::Inactive
            },
            settings: serde_json::json!({}),
            created: now,
            last_updated: now,
        })
        .collect()
}

fn features(now: Timestamp) -> Vec<FeatureState> {
    FEATURES
        .iter()
        .map(|(id, enabled)| FeatureState {
            id: (*id).to_string(),
            enabled: *enabled,
            last_updated: now,
        })
        .collect()
}

/// Everything a new org starts with.
pub fn for_new_org(ctx: &Ctx, org: &OrgId) -> Result<OrgDefaults, CoreError> {
    let now = ctx.clock.now();
    Ok(OrgDefaults {
        authenticators: authenticators(ctx, org, now),
        features: features(now),
        policies: policies::defaults(ctx, org, now)?,
    })
}

/// Adds to an existing org whatever default it lacks: missing authenticator keys, unset
/// features, and a default policy of each type that has none. Idempotent.
pub async fn backfill(ctx: &Ctx, org: &Org) -> Result<(), CoreError> {
    let now = ctx.clock.now();
    ctx.store
        .add_authenticators(&org.id, &authenticators(ctx, &org.id, now))
        .await?;
    let have = ctx.store.list_features(&org.id).await?;
    for f in features(now) {
        if !have.iter().any(|h| h.id == f.id) {
            ctx.store.set_feature(&org.id, &f).await?;
        }
    }
    let existing = ctx.store.list_policies(&org.id, None).await?;
    for (p, rules) in policies::defaults(ctx, &org.id, now)? {
        if !existing
            .iter()
            .any(|e| e.policy_type == p.policy_type && e.system)
        {
            ctx.store.create_policy(&p, &rules).await?;
        }
    }
    ctx.caches.authenticators.forget(&org.id);
    ctx.caches.signin_policies.forget(&org.id);
    Ok(())
}

/// Backfills every org (run at start-up).
pub async fn backfill_all(ctx: &Ctx) -> Result<(), CoreError> {
    for org in ctx.store.list_orgs().await? {
        backfill(ctx, &org).await?;
    }
    Ok(())
}
