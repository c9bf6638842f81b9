//! Why upstream statements were not credited ([`IgnoredClaim`], [`IgnoreReason`]) and the
//! result type of every carrier reader ([`ClaimsOutcome`]).
//!
//! Implements CONTRACT §2 sessions `factorVerifications` ("credited or not and why") and the
//! System Log detail of federated sign-ins; reasons follow reference `okta-claims-sharing.md`
//! §1.8, §1.11, §1.12 and CONTRACT §4. Part of [`crate::model`], which re-exports everything here.

use super::{Carrier, FactorVerification};
use serde::{Deserialize, Serialize};

/// Why an upstream statement was not credited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IgnoreReason {
    /// AMR value not in the table for this carrier (reference §1.11: unsupported values ignored).
    UnknownAmrValue,
    /// Authenticator key / method pair not in the catalogue (CONTRACT §7).
    UnknownAuthenticator,
    /// Knowledge value (`pwd`, `kba`) from a "Factor only" IdP (reference §1.11).
    KnowledgeFromFactorOnlyIdp,
    /// Biometric AMR value without any possession value (reference §1.11).
    BiometricWithoutPossession,
    /// Authenticator delegated to another IdP or a certificate IdP, not performed natively at
    /// the IdP org (`external_idp`, `smart_card_idp`, methods `idp`/`cert`, AMR `fed`;
    /// reference §1.8).
    DelegatedAuthenticator,
    /// Neither `trustClaims` nor `mapAMRClaims` is on for this IdP.
    TrustOff,
    /// The org feature needed for this IdP kind / mode is disabled (reference §1.1, §2.11).
    FeatureDisabled,
    /// The carrier is not the one read for this IdP kind and trust mode (e.g. `okta_auth` from a
    /// third-party IdP, `amr` from an Okta org under claims sharing).
    CarrierNotUsed,
    /// Payload `iss` differs from the outer token / assertion issuer.
    IssuerMismatch,
    /// Payload `aud` is not among the outer token / assertion audiences.
    AudienceMismatch,
    /// Payload `sub` differs from the outer token / assertion subject.
    SubjectMismatch,
    /// Payload `engine` differs from the engine the caller expects for this IdP.
    EngineMismatch,
    /// A Classic-engine payload whose `mfaVerified` is not true: nothing to credit.
    ClassicWithoutMfa,
    /// A factor reported by a Classic-engine org: only "MFA happened" counts (reference §1.12).
    ClassicEngineFactor,
    /// Not a well-formed value (wrong JSON type, bad field, invalid UTF-8...).
    Malformed,
    /// Larger than the size or count caps.
    TooLarge,
    /// Too old for the caller's freshness rule (set by the caller; this crate keeps times).
    Stale,
    /// The JWE could not be decrypted or verified (set by the caller).
    Undecryptable,
    /// Reserved carrier that is recognised but not credited yet (`acr`, `AuthnContextClassRef`).
    NotSupported,
}

impl IgnoreReason {
    /// A human sentence for logs and the explainer.
    pub fn describe(self) -> &'static str {
        match self {
            IgnoreReason::UnknownAmrValue => "AMR value not supported for this carrier",
            IgnoreReason::UnknownAuthenticator => "authenticator/method not in the catalogue",
            IgnoreReason::KnowledgeFromFactorOnlyIdp => {
                "knowledge factors are not accepted from a factor-only IdP"
            }
            IgnoreReason::BiometricWithoutPossession => {
                "biometric values count only together with a possession value"
            }
            IgnoreReason::DelegatedAuthenticator => {
                "authenticator was delegated to another IdP, not performed natively at the IdP org"
            }
            IgnoreReason::TrustOff => "the IdP trusts neither claims nor AMR claims",
            IgnoreReason::FeatureDisabled => "the org feature for this kind of IdP is disabled",
            IgnoreReason::CarrierNotUsed => "this carrier is not read for this IdP and trust mode",
            IgnoreReason::IssuerMismatch => "payload iss does not match the outer issuer",
            IgnoreReason::AudienceMismatch => "payload aud does not match the outer audience",
            IgnoreReason::SubjectMismatch => "payload sub does not match the outer subject",
            IgnoreReason::EngineMismatch => "payload engine does not match the expected engine",
            IgnoreReason::ClassicWithoutMfa => "Classic-engine payload without mfaVerified",
            IgnoreReason::ClassicEngineFactor => {
                "a Classic-engine org's factors only count as 'MFA happened'"
            }
            IgnoreReason::Malformed => "malformed value",
            IgnoreReason::TooLarge => "value exceeds size or count limits",
            IgnoreReason::Stale => "verification is too old",
            IgnoreReason::Undecryptable => "payload could not be decrypted or verified",
            IgnoreReason::NotSupported => "carrier recognised but not credited",
        }
    }
}

/// An upstream statement that was seen but not credited, with why (CONTRACT §2 sessions
/// `factorVerifications` "credited or not and why", System Log).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoredClaim {
    /// What was ignored, e.g. `amr "fpt"` or `okta_auth factorVerifications[2] external_idp/idp`.
    /// Upstream text is truncated to [`MAX_KEPT_CHARS`](super::MAX_KEPT_CHARS) characters.
    pub what: String,
    /// Why.
    pub reason: IgnoreReason,
    /// The carrier it arrived in, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<Carrier>,
    /// Extra detail (e.g. the parse error), when useful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl IgnoredClaim {
    /// An ignored claim without detail.
    pub fn new(what: impl Into<String>, reason: IgnoreReason, carrier: Option<Carrier>) -> Self {
        IgnoredClaim {
            what: what.into(),
            reason,
            carrier,
            detail: None,
        }
    }

    /// Adds detail.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The result of reading one or more carriers: what is credited and what is not, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimsOutcome {
    /// Verifications that may satisfy policy.
    pub credited: Vec<FactorVerification>,
    /// Statements seen and not credited.
    pub ignored: Vec<IgnoredClaim>,
}

impl ClaimsOutcome {
    /// Whether nothing at all was credited.
    pub fn is_empty(&self) -> bool {
        self.credited.is_empty()
    }

    /// Moves everything of `other` into `self`.
    pub fn extend(&mut self, other: ClaimsOutcome) {
        self.credited.extend(other.credited);
        self.ignored.extend(other.ignored);
    }
}
