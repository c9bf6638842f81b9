//! Feature flags (`/api/v1/features`, CONTRACT §2 features, reference §2.11): the three
//! claims-sharing features of `defaults::FEATURES`, their stored state (which wins over the
//! default), and enable / disable. Disabling goes through the trust-claims lifecycle guard of
//! reference §1.14 (`federa_policy::lifecycle`), refused with `E0000250`–`E0000252`.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::FeatureState;
use crate::service::{authenticators, defaults, policies};
use federa_policy::lifecycle::{
    ClaimsFeature, IdpTrust, TrustChange, TrustGuardInput, check_trust_change,
};
use federa_types::OrgId;

/// What Federa says about a feature besides its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureInfo {
    /// Feature id, e.g. `ORG2ORG_CLAIMS_SHARING`.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// One sentence.
    pub description: &'static str,
    /// The feature it is, for the trust-claims guard.
    pub claims_feature: ClaimsFeature,
}

/// The features Federa knows, in `defaults::FEATURES` order.
pub const CATALOGUE: [FeatureInfo; 3] = [
    FeatureInfo {
        id: "ORG2ORG_CLAIMS_SHARING",
        name: "Okta-to-Okta Claims Sharing",
        description: "Credit the factors another Okta-style org verified (okta_auth / OktaAuth) \
                      when its IdP object has Trust claims enabled.",
        claims_feature: ClaimsFeature::Org2orgClaimsSharing,
    },
    FeatureInfo {
        id: "THIRD_PARTY_IDP_CLAIMS_SHARING",
        name: "Third-party IdP claims sharing",
        description: "Credit the amr claims of third-party OIDC and SAML identity providers \
                      whose IdP object has Trust claims enabled.",
        claims_feature: ClaimsFeature::ThirdPartyIdpClaimsSharing,
    },
    FeatureInfo {
        id: "IDP_AMR_CLAIMS_MAPPING",
        name: "IdP AMR claims mapping",
        description: "Legacy AMR claims mapping: credit upstream amr values of identity \
                      providers with mapAMRClaims enabled.",
        claims_feature: ClaimsFeature::IdpAmrClaimsMapping,
    },
];

/// A feature with its effective state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// Name, description, id.
    pub info: FeatureInfo,
    /// Enabled: the stored state, or the default when none is stored.
    pub enabled: bool,
}

fn info(id: &str) -> Result<FeatureInfo, CoreError> {
    CATALOGUE
        .iter()
        .find(|f| f.id == id)
        .copied()
        .ok_or_else(|| {
            CoreError::NotFound(format!(
                "feature '{}'",
                id.chars().take(100).collect::<String>()
            ))
        })
}

fn effective(info: FeatureInfo, stored: &[FeatureState]) -> Feature {
    let default = defaults::FEATURES
        .iter()
        .find(|(id, _)| *id == info.id)
        .is_some_and(|(_, on)| *on);
    let enabled = stored
        .iter()
        .find(|s| s.id == info.id)
        .map_or(default, |s| s.enabled);
    Feature { info, enabled }
}

/// Every feature of the org.
pub async fn list(ctx: &Ctx, org: &OrgId) -> Result<Vec<Feature>, CoreError> {
    let stored = ctx.store.list_features(org).await?;
    Ok(CATALOGUE.iter().map(|i| effective(*i, &stored)).collect())
}

/// One feature (404 for ids Federa does not know).
pub async fn get(ctx: &Ctx, org: &OrgId, id: &str) -> Result<Feature, CoreError> {
    let info = info(id)?;
    let stored = ctx.store.list_features(org).await?;
    Ok(effective(info, &stored))
}

/// Lifecycle operations of the Features API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Turn on (idempotent).
    Enable,
    /// Turn off (idempotent), unless policies depend on the claims it lets in.
    Disable,
}

impl Lifecycle {
    /// Parses the path segment.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enable" => Some(Self::Enable),
            "disable" => Some(Self::Disable),
            _ => None,
        }
    }
}

/// Enables or disables a feature and returns it as it now is.
pub async fn lifecycle(
    ctx: &Ctx,
    org: &OrgId,
    id: &str,
    op: Lifecycle,
) -> Result<Feature, CoreError> {
    let mut feature = get(ctx, org, id).await?;
    let enable = op == Lifecycle::Enable;
    if feature.enabled == enable {
        return Ok(feature);
    }
    if !enable {
        let idps: Vec<IdpTrust> = crate::service::idps::guard_views(ctx, org).await?;
        let org_policies = policies::load(ctx, org).await?;
        let active = authenticators::active_methods(ctx, org).await?;
        check_trust_change(&TrustGuardInput {
            change: TrustChange::DisableFeature(feature.info.claims_feature),
            idps: &idps,
            sign_on_policies: &org_policies.sign_on,
            access_policies: &org_policies.access,
            active_authenticators: &active,
        })
        .map_err(policies::policy_error)?;
    }
    let state = FeatureState {
        id: feature.info.id.to_string(),
        enabled: enable,
        last_updated: ctx.clock.now(),
    };
    let set = ctx.store.set_feature(org, &state).await;
    ctx.caches.claims_features.remove(org);
    set?;
    feature.enabled = enable;
    Ok(feature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_describes_exactly_the_default_features() {
        let ids: Vec<&str> = CATALOGUE.iter().map(|f| f.id).collect();
        let defaults: Vec<&str> = defaults::FEATURES.iter().map(|f| f.0).collect();
        assert_eq!(ids, defaults);
        for f in CATALOGUE {
            assert_eq!(f.claims_feature.as_str(), f.id);
        }
    }

    #[test]
    fn stored_state_wins_over_the_default() {
        let org2org = CATALOGUE[0];
        assert!(effective(org2org, &[]).enabled);
        let off = FeatureState {
            id: org2org.id.into(),
            enabled: false,
            last_updated: federa_types::Timestamp(0),
        };
        assert!(!effective(org2org, &[off]).enabled);
        assert!(!effective(CATALOGUE[2], &[]).enabled);
    }
}
