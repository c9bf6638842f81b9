//! Trust rules: given an IdP object's configuration, the org's feature flags and whatever
//! carriers arrived, decide which upstream statements are credited and record why the rest are
//! not.
//!
//! Implements CONTRACT §4 "Precedence" (`trustClaims` wins; `mapAMRClaims` alone is the legacy
//! behaviour; neither credits nothing), reference `okta-claims-sharing.md` §1.1 / §2.11 (feature
//! flags `ORG2ORG_CLAIMS_SHARING`, `THIRD_PARTY_IDP_CLAIMS_SHARING`, `IDP_AMR_CLAIMS_MAPPING`),
//! §1.7 (per-IdP switches), §1.4 / §1.3 / §1.9 / §1.10 (which carrier each IdP kind uses), §1.16
//! (legacy mapping) and ARCHITECTURE "fail closed on malformed context, never lock a user out when
//! context is merely absent" (threats D.6 T1, T8).
//!
//! Which carrier is read:
//!
//! | mode | Okta org (org2org) | third-party OIDC | third-party SAML |
//! |---|---|---|---|
//! | claims sharing (`trustClaims`) | `okta_auth` / `OktaAuth` | `amr` | `session.amr` |
//! | legacy (`mapAMRClaims` only) | `amr` / `session.amr` by protocol | `amr` | `session.amr` |
//! | off | nothing | nothing | nothing |
//!
//! Every other carrier that arrived is recorded as ignored ([`IgnoreReason::CarrierNotUsed`],
//! [`IgnoreReason::TrustOff`], [`IgnoreReason::FeatureDisabled`]). `acr` and
//! `AuthnContextClassRef` are recognised but not credited yet ([`IgnoreReason::NotSupported`]).

use crate::amr::{self, AmrContext, AmrTable};
use crate::model::{Carrier, ClaimsOutcome, IdpId, IgnoreReason, IgnoredClaim, truncate};
use crate::okta_auth::{self, OktaAuthInput, OuterBinding};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of upstream IdP the IdP object points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdpKind {
    /// Another Okta-style org (Federa or Okta; org2org app, `OKTA_INTEGRATION`).
    OktaOrg,
    /// Any other OIDC or SAML IdP.
    ThirdParty,
}

/// The protocol the IdP object federates with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Protocol {
    /// OpenID Connect.
    Oidc,
    /// SAML 2.0.
    Saml,
}

/// A claims feature flag of the org (`/api/v1/features`, CONTRACT §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Feature {
    /// Okta-to-Okta claims sharing.
    #[serde(rename = "ORG2ORG_CLAIMS_SHARING")]
    Org2OrgClaimsSharing,
    /// Third-party IdP claims sharing.
    #[serde(rename = "THIRD_PARTY_IDP_CLAIMS_SHARING")]
    ThirdPartyIdpClaimsSharing,
    /// Legacy IdP AMR claims mapping.
    #[serde(rename = "IDP_AMR_CLAIMS_MAPPING")]
    IdpAmrClaimsMapping,
}

impl Feature {
    /// The feature id string.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Org2OrgClaimsSharing => "ORG2ORG_CLAIMS_SHARING",
            Feature::ThirdPartyIdpClaimsSharing => "THIRD_PARTY_IDP_CLAIMS_SHARING",
            Feature::IdpAmrClaimsMapping => "IDP_AMR_CLAIMS_MAPPING",
        }
    }
}

/// The org's claims feature flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgFeatures {
    /// `ORG2ORG_CLAIMS_SHARING`.
    pub org2org_claims_sharing: bool,
    /// `THIRD_PARTY_IDP_CLAIMS_SHARING`.
    pub third_party_idp_claims_sharing: bool,
    /// `IDP_AMR_CLAIMS_MAPPING`.
    pub idp_amr_claims_mapping: bool,
}

impl OrgFeatures {
    /// All three on.
    pub const ALL: OrgFeatures = OrgFeatures {
        org2org_claims_sharing: true,
        third_party_idp_claims_sharing: true,
        idp_amr_claims_mapping: true,
    };

    /// Whether `feature` is enabled.
    pub fn is_enabled(self, feature: Feature) -> bool {
        match feature {
            Feature::Org2OrgClaimsSharing => self.org2org_claims_sharing,
            Feature::ThirdPartyIdpClaimsSharing => self.third_party_idp_claims_sharing,
            Feature::IdpAmrClaimsMapping => self.idp_amr_claims_mapping,
        }
    }
}

/// The trust-related part of an IdP object (`policy.trustClaims`, `policy.mapAMRClaims`, the
/// "Factor only" usage of reference §1.7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdpTrustConfig {
    /// The IdP object id.
    pub idp_id: IdpId,
    /// Okta org or third party.
    pub kind: IdpKind,
    /// OIDC or SAML.
    pub protocol: Protocol,
    /// `policy.trustClaims`.
    pub trust_claims: bool,
    /// `policy.mapAMRClaims`.
    pub map_amr_claims: bool,
    /// The IdP is used "Factor only": knowledge AMR values are not credited.
    pub factor_only: bool,
}

/// How upstream context is read for an IdP, after precedence and feature flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TrustMode {
    /// `trustClaims` with its feature enabled.
    ClaimsSharing,
    /// `mapAMRClaims` (and not `trustClaims`) with `IDP_AMR_CLAIMS_MAPPING` enabled.
    LegacyAmrMapping,
    /// Nothing upstream is credited.
    Off,
}

/// Whatever carriers arrived with the verified upstream response. Each field is `None` when the
/// carrier was absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct UpstreamClaims<'a> {
    /// `okta_auth` / `OktaAuth`, decrypted by the caller.
    pub okta_auth: Option<OktaAuthInput<'a>>,
    /// The OIDC `amr` claim value as found (ID token, else same-key JWT access token).
    pub oidc_amr: Option<&'a Value>,
    /// The SAML `session.amr` attribute values.
    pub saml_session_amr: Option<&'a [String]>,
    /// The OIDC `acr` claim (reserved).
    pub oidc_acr: Option<&'a str>,
    /// The SAML `AuthnContextClassRef` of the signed assertion (reserved).
    pub authn_context_class_ref: Option<&'a str>,
}

/// Everything [`evaluate`] needs.
#[derive(Clone, Copy, Debug)]
pub struct TrustInput<'a> {
    /// The IdP object's trust settings.
    pub idp: &'a IdpTrustConfig,
    /// The org's feature flags.
    pub features: OrgFeatures,
    /// The carriers.
    pub claims: UpstreamClaims<'a>,
    /// The verified outer token / assertion the payloads must be bound to. Its
    /// `authenticated_at` is also the `verified_at` of AMR-derived verifications.
    pub outer: OuterBinding<'a>,
}

/// The result of applying the trust rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustOutcome {
    /// How context was read.
    pub mode: TrustMode,
    /// The wire carrier the mode reads, if any (verifications credited through the legacy
    /// mapping carry [`Carrier::LegacyAmrMapping`] as their source carrier instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_carrier: Option<Carrier>,
    /// Trust is on but the carrier it reads did not arrive: the caller tops up locally (never
    /// an error that blocks sign-in; threats D.6 T8).
    pub context_absent: bool,
    /// Credited verifications and ignored claims.
    #[serde(flatten)]
    pub claims: ClaimsOutcome,
}

/// The mode the precedence rules and feature flags give, or why it is off.
pub fn mode_for(idp: &IdpTrustConfig, features: OrgFeatures) -> (TrustMode, Option<IgnoreReason>) {
    if idp.trust_claims {
        let feature = match idp.kind {
            IdpKind::OktaOrg => Feature::Org2OrgClaimsSharing,
            IdpKind::ThirdParty => Feature::ThirdPartyIdpClaimsSharing,
        };
        if features.is_enabled(feature) {
            (TrustMode::ClaimsSharing, None)
        } else {
            (TrustMode::Off, Some(IgnoreReason::FeatureDisabled))
        }
    } else if idp.map_amr_claims {
        if features.is_enabled(Feature::IdpAmrClaimsMapping) {
            (TrustMode::LegacyAmrMapping, None)
        } else {
            (TrustMode::Off, Some(IgnoreReason::FeatureDisabled))
        }
    } else {
        (TrustMode::Off, Some(IgnoreReason::TrustOff))
    }
}

/// Which carrier a mode reads for an IdP.
fn expected_carrier(mode: TrustMode, kind: IdpKind, protocol: Protocol) -> Option<Carrier> {
    match (mode, kind, protocol) {
        (TrustMode::Off, _, _) => None,
        (TrustMode::ClaimsSharing, IdpKind::OktaOrg, Protocol::Oidc) => Some(Carrier::OktaAuthOidc),
        (TrustMode::ClaimsSharing, IdpKind::OktaOrg, Protocol::Saml) => Some(Carrier::OktaAuthSaml),
        (TrustMode::ClaimsSharing, IdpKind::ThirdParty, Protocol::Oidc) => Some(Carrier::OidcAmr),
        (TrustMode::ClaimsSharing, IdpKind::ThirdParty, Protocol::Saml) => {
            Some(Carrier::SamlSessionAmr)
        }
        (TrustMode::LegacyAmrMapping, _, Protocol::Oidc) => Some(Carrier::OidcAmr),
        (TrustMode::LegacyAmrMapping, _, Protocol::Saml) => Some(Carrier::SamlSessionAmr),
    }
}

/// Applies the trust rules. Never fails: absent context gives an empty credited list with
/// `context_absent`, malformed context gives ignored claims.
pub fn evaluate(input: &TrustInput<'_>) -> TrustOutcome {
    let idp = input.idp;
    let (mode, off_reason) = mode_for(idp, input.features);
    let expected = expected_carrier(mode, idp.kind, idp.protocol);
    let claims = &input.claims;
    let mut out = ClaimsOutcome::default();
    let mut present_expected = false;

    let amr_ctx = || AmrContext {
        idp_id: idp.idp_id.clone(),
        factor_only: idp.factor_only,
        verified_at: input.outer.authenticated_at,
    };
    let table = match mode {
        TrustMode::LegacyAmrMapping => AmrTable::Legacy,
        _ => AmrTable::ClaimsSharing,
    };
    let not_read = || off_reason.unwrap_or(IgnoreReason::CarrierNotUsed);

    if let Some(input_auth) = claims.okta_auth {
        let carrier = input_auth.carrier();
        if Some(carrier) == expected {
            present_expected = true;
            out.extend(okta_auth::parse_okta_auth(
                input_auth,
                &idp.idp_id,
                &input.outer,
            ));
        } else {
            let what = if carrier == Carrier::OktaAuthSaml {
                "OktaAuth"
            } else {
                "okta_auth"
            };
            out.ignored
                .push(IgnoredClaim::new(what, not_read(), Some(carrier)));
        }
    }
    if let Some(value) = claims.oidc_amr {
        if expected == Some(Carrier::OidcAmr) {
            present_expected = true;
            out.extend(amr::parse_oidc_amr(Some(value), table, &amr_ctx()));
        } else {
            out.ignored.push(
                IgnoredClaim::new("amr", not_read(), Some(Carrier::OidcAmr))
                    .with_detail(summarise(value)),
            );
        }
    }
    if let Some(values) = claims.saml_session_amr {
        if expected == Some(Carrier::SamlSessionAmr) {
            present_expected = !values.is_empty();
            out.extend(amr::parse_saml_session_amr(values, table, &amr_ctx()));
        } else if !values.is_empty() {
            out.ignored.push(
                IgnoredClaim::new("session.amr", not_read(), Some(Carrier::SamlSessionAmr))
                    .with_detail(truncate(&values.join(","))),
            );
        }
    }
    for (value, carrier, what) in [
        (claims.oidc_acr, Carrier::OidcAcr, "acr"),
        (
            claims.authn_context_class_ref,
            Carrier::AuthnContextClassRef,
            "AuthnContextClassRef",
        ),
    ] {
        if let Some(v) = value {
            let reason = off_reason.unwrap_or(IgnoreReason::NotSupported);
            out.ignored
                .push(IgnoredClaim::new(what, reason, Some(carrier)).with_detail(truncate(v)));
        }
    }

    TrustOutcome {
        mode,
        expected_carrier: expected,
        context_absent: mode != TrustMode::Off && !present_expected,
        claims: out,
    }
}

/// A short, log-safe rendering of a JSON value.
fn summarise(v: &Value) -> String {
    truncate(&v.to_string())
}

#[cfg(test)]
mod tests;
