//! The trust-claims lifecycle guard of reference §1.14: an IdP whose claims are trusted can be
//! deactivated or deleted, and the claims-sharing features can be disabled, only if another
//! active IdP still trusts claims or no policy depends on trusted claims. Refusals carry Okta's
//! codes (HTTP 403): `E0000250` when both app sign-in and global session policies depend on
//! trusted claims, `E0000251` when only global session policies do, `E0000252` when only app
//! sign-in policies do.
//!
//! "Depends on trusted claims" is not defined by the reference; Federa's reading
//! (**inference**): an active ALLOW rule depends on trusted claims when it cannot be met with the
//! org's active local authenticators alone (a GSP `requireFactor` with fewer than two local
//! factor types; an app sign-in rule none of whose alternatives local authenticators can meet),
//! and a GSP `requireFactor` rule whose `identityProvider` condition names the affected IdP
//! depends on that IdP's claims.

use crate::access::AccessPolicy;
use crate::error::{PolicyError, Result, TrustGuardCode};
use crate::eval::{AuthenticatorMethods, locally_satisfiable};
use crate::policy::{Access, Status};
use crate::save_rules::local_factor_types;
use crate::sign_on::SignOnPolicy;
use federa_claims::IdpId;
use serde::Serialize;

/// Which kind of upstream an IdP is, for the feature that governs its claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdpKind {
    /// Another Okta-style org (`okta_auth` / `OktaAuth`), governed by `ORG2ORG_CLAIMS_SHARING`.
    OktaOrg,
    /// A third-party OIDC / SAML IdP, governed by `THIRD_PARTY_IDP_CLAIMS_SHARING`.
    ThirdParty,
}

/// What the guard needs to know about one IdP.
#[derive(Clone, Debug)]
pub struct IdpTrust {
    /// Id.
    pub id: IdpId,
    /// Name (for the message).
    pub name: String,
    /// Status is ACTIVE.
    pub active: bool,
    /// `policy.trustClaims`.
    pub trust_claims: bool,
    /// `policy.mapAMRClaims` (legacy).
    pub map_amr_claims: bool,
    /// Which feature governs it.
    pub kind: IdpKind,
}

/// The claims-sharing org features (CONTRACT §2 features).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimsFeature {
    /// Okta-to-Okta claims sharing.
    Org2orgClaimsSharing,
    /// Third-party IdP claims sharing.
    ThirdPartyIdpClaimsSharing,
    /// Legacy AMR claims mapping (`mapAMRClaims`).
    IdpAmrClaimsMapping,
}

impl ClaimsFeature {
    /// Feature id.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimsFeature::Org2orgClaimsSharing => "ORG2ORG_CLAIMS_SHARING",
            ClaimsFeature::ThirdPartyIdpClaimsSharing => "THIRD_PARTY_IDP_CLAIMS_SHARING",
            ClaimsFeature::IdpAmrClaimsMapping => "IDP_AMR_CLAIMS_MAPPING",
        }
    }

    /// Whether disabling this feature stops crediting claims from `idp`.
    fn governs(self, idp: &IdpTrust) -> bool {
        match self {
            ClaimsFeature::Org2orgClaimsSharing => idp.trust_claims && idp.kind == IdpKind::OktaOrg,
            ClaimsFeature::ThirdPartyIdpClaimsSharing => {
                idp.trust_claims && idp.kind == IdpKind::ThirdParty
            }
            ClaimsFeature::IdpAmrClaimsMapping => idp.map_amr_claims && !idp.trust_claims,
        }
    }
}

/// The change being attempted.
#[derive(Clone, Copy, Debug)]
pub enum TrustChange<'a> {
    /// `POST /api/v1/idps/{id}/lifecycle/deactivate`.
    DeactivateIdp(&'a IdpId),
    /// `DELETE /api/v1/idps/{id}`.
    DeleteIdp(&'a IdpId),
    /// `POST /api/v1/features/{id}/lifecycle/disable`.
    DisableFeature(ClaimsFeature),
}

/// Everything the guard looks at.
#[derive(Clone, Copy, Debug)]
pub struct TrustGuardInput<'a> {
    /// The change.
    pub change: TrustChange<'a>,
    /// Every IdP of the org.
    pub idps: &'a [IdpTrust],
    /// The org's global session policies with rules.
    pub sign_on_policies: &'a [SignOnPolicy],
    /// The org's app sign-in policies with rules.
    pub access_policies: &'a [AccessPolicy],
    /// Active local authenticators.
    pub active_authenticators: &'a [AuthenticatorMethods],
}

fn credits(idp: &IdpTrust) -> bool {
    idp.active && (idp.trust_claims || idp.map_amr_claims)
}

/// Allows or refuses the change.
pub fn check_trust_change(input: &TrustGuardInput<'_>) -> Result<()> {
    let affected: Vec<&IdpTrust> = input
        .idps
        .iter()
        .filter(|i| match input.change {
            TrustChange::DeactivateIdp(id) | TrustChange::DeleteIdp(id) => {
                &i.id == id && (i.trust_claims || i.map_amr_claims)
            }
            TrustChange::DisableFeature(f) => f.governs(i),
        })
        .collect();
    if affected.is_empty() {
        return Ok(());
    }
    let others_trust = input
        .idps
        .iter()
        .any(|i| credits(i) && !affected.iter().any(|a| a.id == i.id));
    if others_trust {
        return Ok(());
    }
    let local_mfa = local_factor_types(input.active_authenticators) >= 2;
    let mut gsp = Vec::new();
    for p in input
        .sign_on_policies
        .iter()
        .filter(|p| p.header.status == Status::Active)
    {
        let depends = p
            .rules
            .iter()
            .filter(|r| r.header.status == Status::Active)
            .any(|r| {
                let a = r.signon();
                let names_affected = r
                    .conditions
                    .as_ref()
                    .and_then(|c| c.identity_provider.as_ref())
                    .is_some_and(|c| {
                        c.idp_ids
                            .iter()
                            .any(|id| affected.iter().any(|a| &a.id == id))
                    });
                a.access == Access::Allow && a.require_factor && (!local_mfa || names_affected)
            });
        if depends {
            gsp.push(p.header.name.clone());
        }
    }
    let mut asop = Vec::new();
    for p in input
        .access_policies
        .iter()
        .filter(|p| p.header.status == Status::Active)
    {
        let depends = p
            .rules
            .iter()
            .filter(|r| {
                r.header.status == Status::Active && r.app_sign_on().access == Access::Allow
            })
            .any(|r| !locally_satisfiable(r, input.active_authenticators));
        if depends {
            asop.push(p.header.name.clone());
        }
    }
    let code = match (gsp.is_empty(), asop.is_empty()) {
        (true, true) => return Ok(()),
        (false, false) => TrustGuardCode::AccessAndSignOn,
        (false, true) => TrustGuardCode::SignOnOnly,
        (true, false) => TrustGuardCode::AccessOnly,
    };
    let (verb, subject) = match input.change {
        TrustChange::DeactivateIdp(_) => {
            ("deactivate", format!("IdP '{}'", affected_names(&affected)))
        }
        TrustChange::DeleteIdp(_) => ("delete", format!("IdP '{}'", affected_names(&affected))),
        TrustChange::DisableFeature(f) => ("disable", format!("feature {}", f.as_str())),
    };
    let policies = match code {
        TrustGuardCode::AccessAndSignOn => format!(
            "the app sign-in policies ({}) and the global session policies ({})",
            asop.join(", "),
            gsp.join(", ")
        ),
        TrustGuardCode::SignOnOnly => format!("the global session policies ({})", gsp.join(", ")),
        TrustGuardCode::AccessOnly => format!("the app sign-in policies ({})", asop.join(", ")),
    };
    Err(PolicyError::TrustClaimsInUse {
        code,
        message: format!(
            "You cannot {verb} {subject} because no other identity provider has Trust claims enabled. \
             Change the rules in {policies} so that they no longer depend on Trust claims."
        ),
        sign_on_policies: gsp,
        access_policies: asop,
    })
}

fn affected_names(a: &[&IdpTrust]) -> String {
    a.iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join("', '")
}
