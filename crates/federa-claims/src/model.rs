//! The vocabulary of authentication claims: what one verified factor is ([`FactorVerification`]),
//! where it came from ([`Source`], [`Carrier`], [`Engine`]), what it is worth ([`FactorClass`],
//! [`Characteristics`], [`VerificationKind`]) and why an upstream statement was not credited
//! ([`IgnoredClaim`], [`IgnoreReason`]).
//!
//! Implements the data model behind CONTRACT §4 (claims formats) and §7 (authenticator
//! characteristics), reference `okta-claims-sharing.md` §1.5 (payload vocabulary), §1.11 (AMR
//! values), §2.10 (authenticator keys, types and method types), §2.13 / §3.1 (AMR vocabulary).
//!
//! Every type here is plain data with serde, so the sessions API (`factorVerifications`), the
//! policy simulator and the System Log can expose it as is. Wire spellings:
//! - authenticator keys and method types use Okta's lower snake strings (`okta_password`, `sms`);
//! - AMR values use their RFC 8176 / Okta strings (`pwd`, `hwk`, `phrh`);
//! - the other enums use Okta's upper snake style (`POSSESSION`, `IDENTITY`, `OKTA_AUTH_SAML`);
//! - struct fields are camelCase.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use federa_types::Timestamp;

mod ignored;
mod vocab;

pub use ignored::{ClaimsOutcome, IgnoreReason, IgnoredClaim};
pub(crate) use vocab::truncate;
pub use vocab::{AmrValue, AuthenticatorKey, AuthenticatorType, MAX_KEPT_CHARS, MethodType};

// ---------------------------------------------------------------------------------------------
// Factor classes and characteristics
// ---------------------------------------------------------------------------------------------

/// The three factor classes ("factor types" in Okta's console) of an authentication method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FactorClass {
    /// Something the user knows: password, security question.
    Knowledge,
    /// Something the user has: phone, email inbox, authenticator app, security key.
    Possession,
    /// Something the user is: a biometric, or user verification by the possession device.
    Inherence,
}

impl FactorClass {
    /// All classes, in a fixed order.
    pub const ALL: [FactorClass; 3] = [
        FactorClass::Knowledge,
        FactorClass::Possession,
        FactorClass::Inherence,
    ];
}

/// A small set of [`FactorClass`]es (e.g. the classes one verification or a whole session
/// supplies). Serialises as a sorted array.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FactorClasses {
    knowledge: bool,
    possession: bool,
    inherence: bool,
}

impl FactorClasses {
    /// The empty set.
    pub const EMPTY: FactorClasses = FactorClasses {
        knowledge: false,
        possession: false,
        inherence: false,
    };

    /// Adds a class.
    pub fn insert(&mut self, class: FactorClass) {
        match class {
            FactorClass::Knowledge => self.knowledge = true,
            FactorClass::Possession => self.possession = true,
            FactorClass::Inherence => self.inherence = true,
        }
    }

    /// Whether `class` is in the set.
    pub fn contains(self, class: FactorClass) -> bool {
        match class {
            FactorClass::Knowledge => self.knowledge,
            FactorClass::Possession => self.possession,
            FactorClass::Inherence => self.inherence,
        }
    }

    /// Number of distinct classes (0..=3).
    pub fn len(self) -> usize {
        usize::from(self.knowledge) + usize::from(self.possession) + usize::from(self.inherence)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The union of two sets.
    #[must_use]
    pub fn union(self, other: FactorClasses) -> FactorClasses {
        FactorClasses {
            knowledge: self.knowledge || other.knowledge,
            possession: self.possession || other.possession,
            inherence: self.inherence || other.inherence,
        }
    }

    /// The classes in the fixed order of [`FactorClass::ALL`].
    pub fn iter(self) -> impl Iterator<Item = FactorClass> {
        FactorClass::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<FactorClass> for FactorClasses {
    fn from_iter<I: IntoIterator<Item = FactorClass>>(iter: I) -> Self {
        let mut set = FactorClasses::EMPTY;
        for c in iter {
            set.insert(c);
        }
        set
    }
}

impl Serialize for FactorClasses {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for FactorClasses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<FactorClass>::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

/// Method characteristics (CONTRACT §7, reference §1.11 and the possession constraint fields of
/// reference §2.5). They only carry meaning for possession factors; knowledge factors have none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Characteristics {
    /// The user had to be present (interact) for the verification.
    pub user_presence: bool,
    /// The credential is bound to one device (cannot be copied to another).
    pub device_bound: bool,
    /// The key is protected by hardware (TPM, secure enclave, security key).
    pub hardware_protected: bool,
    /// The method resists phishing (origin-bound, e.g. WebAuthn, FastPass `phr`).
    pub phishing_resistant: bool,
    /// The authenticator verified the user (biometric or PIN), not just presence.
    pub user_verifying: bool,
}

impl Characteristics {
    /// No characteristics at all (knowledge factors, `mfa`).
    pub const NONE: Characteristics = Characteristics {
        user_presence: false,
        device_bound: false,
        hardware_protected: false,
        phishing_resistant: false,
        user_verifying: false,
    };

    /// User presence only (email, SMS, voice).
    pub const PRESENCE: Characteristics = Characteristics {
        user_presence: true,
        ..Characteristics::NONE
    };

    /// User presence and device bound (OTP apps, software keys).
    pub const DEVICE_BOUND: Characteristics = Characteristics {
        user_presence: true,
        device_bound: true,
        ..Characteristics::NONE
    };

    /// Every characteristic set in `self` or in `other`.
    #[must_use]
    pub const fn union(self, other: Characteristics) -> Characteristics {
        Characteristics {
            user_presence: self.user_presence || other.user_presence,
            device_bound: self.device_bound || other.device_bound,
            hardware_protected: self.hardware_protected || other.hardware_protected,
            phishing_resistant: self.phishing_resistant || other.phishing_resistant,
            user_verifying: self.user_verifying || other.user_verifying,
        }
    }

    /// Only the characteristics set in both.
    #[must_use]
    pub const fn intersection(self, other: Characteristics) -> Characteristics {
        Characteristics {
            user_presence: self.user_presence && other.user_presence,
            device_bound: self.device_bound && other.device_bound,
            hardware_protected: self.hardware_protected && other.hardware_protected,
            phishing_resistant: self.phishing_resistant && other.phishing_resistant,
            user_verifying: self.user_verifying && other.user_verifying,
        }
    }

    /// Whether every characteristic set in `required` is also set in `self`.
    pub const fn covers(self, required: Characteristics) -> bool {
        (!required.user_presence || self.user_presence)
            && (!required.device_bound || self.device_bound)
            && (!required.hardware_protected || self.hardware_protected)
            && (!required.phishing_resistant || self.phishing_resistant)
            && (!required.user_verifying || self.user_verifying)
    }
}

// ---------------------------------------------------------------------------------------------
// Where a verification came from
// ---------------------------------------------------------------------------------------------

/// The identity engine of an Okta-style org (reference §1.12 "Classic vs Identity Engine").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Engine {
    /// Full model: every factor verification counts with its class and characteristics.
    Identity,
    /// Only "was MFA done" counts.
    Classic,
}

impl Engine {
    /// The wire string (`IDENTITY` / `CLASSIC`).
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Identity => "IDENTITY",
            Engine::Classic => "CLASSIC",
        }
    }

    /// Parses the wire string, case-sensitively.
    pub fn parse(s: &str) -> Option<Engine> {
        match s {
            "IDENTITY" => Some(Engine::Identity),
            "CLASSIC" => Some(Engine::Classic),
            _ => None,
        }
    }
}

/// How upstream authentication context arrived (ARCHITECTURE glossary "carrier").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Carrier {
    /// `OktaAuth` SAML extension in the signed assertion (JWE or JSON).
    OktaAuthSaml,
    /// `okta_auth` claim in the signed ID token (JWE string or JSON object).
    OktaAuthOidc,
    /// OIDC `amr` claim (ID token, or a JWT access token signed by the same keys).
    OidcAmr,
    /// SAML attribute `session.amr`.
    SamlSessionAmr,
    /// `amr` / `session.amr` read through the legacy `mapAMRClaims` mapping (reference §1.16).
    LegacyAmrMapping,
    /// SAML `AuthnContextClassRef` (reserved: per-IdP mappings, not yet credited).
    AuthnContextClassRef,
    /// OIDC `acr` (reserved: per-IdP mappings, not yet credited).
    OidcAcr,
}

/// An IdP object id in the SP org; defined in `federa-types`.
pub use federa_types::IdpId;

/// Where a verification was performed. Serialises as `{"type":"LOCAL"}` or
/// `{"type":"IDP","idpId":...,"carrier":...,"engine":...}` (CONTRACT §2 sessions, §5).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    /// Verified by this org itself.
    Local,
    /// Verified by an upstream IdP and credited through the trust rules.
    #[serde(rename = "IDP", rename_all = "camelCase")]
    Federated {
        /// The IdP object (in this org) the claim came through.
        idp_id: IdpId,
        /// How the claim arrived.
        carrier: Carrier,
        /// The upstream org's engine, when it is an Okta-style org that said so (`okta_auth`);
        /// `None` for third-party carriers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        engine: Option<Engine>,
    },
}

impl Source {
    /// Whether the verification came from an upstream IdP.
    pub fn is_federated(&self) -> bool {
        matches!(self, Source::Federated { .. })
    }

    /// The upstream IdP, if federated.
    pub fn idp_id(&self) -> Option<&IdpId> {
        match self {
            Source::Local => None,
            Source::Federated { idp_id, .. } => Some(idp_id),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The verification itself
// ---------------------------------------------------------------------------------------------

/// What a verification can stand for in policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerificationKind {
    /// A real factor with a class and characteristics: may meet any requirement it fits.
    #[default]
    Factor,
    /// Only the statement "MFA happened" (the `mfa` AMR value, a Classic-engine
    /// `mfaVerified: true`): meets "any 2 factor types" and a global-session-policy MFA
    /// requirement, but no constraint (possession, phishing resistance, specific methods...).
    /// Reference §1.11, §1.12.
    MfaAsserted,
}

/// One authenticator method verified for the user at one time (ARCHITECTURE glossary).
///
/// Local verifications always have `authenticator_key`, `method` and `factor_class`.
/// AMR-derived verifications have `amr` and usually no key or method. An
/// [`VerificationKind::MfaAsserted`] verification has no factor class and no characteristics.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FactorVerification {
    /// The authenticator, when known (local, `okta_auth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_key: Option<AuthenticatorKey>,
    /// The method, when known.
    #[serde(
        default,
        rename = "methodType",
        skip_serializing_if = "Option::is_none"
    )]
    pub method: Option<MethodType>,
    /// The AMR value this verification was derived from (third-party / legacy carriers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<AmrValue>,
    /// The primary factor class; `None` for [`VerificationKind::MfaAsserted`].
    /// See [`FactorVerification::factor_classes`] for the full set it supplies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_class: Option<FactorClass>,
    /// Method characteristics (all false for knowledge factors and `mfa`).
    #[serde(default)]
    pub characteristics: Characteristics,
    /// Whether this is a real factor or only an "MFA happened" statement.
    #[serde(default)]
    pub kind: VerificationKind,
    /// When the factor was verified (epoch ms). For AMR carriers, the upstream `auth_time` /
    /// `AuthnInstant` handed in by the caller.
    pub verified_at: Timestamp,
    /// Where the verification was performed.
    pub source: Source,
}

impl FactorVerification {
    /// The factor classes this verification supplies: its primary class, plus
    /// [`FactorClass::Inherence`] when it is a possession factor with user verification
    /// (CONTRACT §7 "possession (+ inherence when UV)"; reference §3.1 "Possession, Inherence").
    /// Empty for [`VerificationKind::MfaAsserted`].
    pub fn factor_classes(&self) -> FactorClasses {
        let mut set = FactorClasses::EMPTY;
        if self.kind == VerificationKind::MfaAsserted {
            return set;
        }
        if let Some(c) = self.factor_class {
            set.insert(c);
            if c == FactorClass::Possession && self.characteristics.user_verifying {
                set.insert(FactorClass::Inherence);
            }
        }
        set
    }

    /// Whether this only asserts that MFA happened.
    pub fn is_mfa_asserted(&self) -> bool {
        self.kind == VerificationKind::MfaAsserted
    }

    /// The authenticator type, derived from the key.
    pub fn authenticator_type(&self) -> Option<AuthenticatorType> {
        self.authenticator_key
            .as_ref()
            .and_then(AuthenticatorKey::authenticator_type)
    }
}

/// The union of the factor classes supplied by `verifications` (MFA-asserted ones add none).
pub fn distinct_factor_classes<'a>(
    verifications: impl IntoIterator<Item = &'a FactorVerification>,
) -> FactorClasses {
    verifications
        .into_iter()
        .fold(FactorClasses::EMPTY, |acc, v| acc.union(v.factor_classes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_as_okta_strings() {
        for k in AuthenticatorKey::KNOWN {
            let json = serde_json::to_string(k).unwrap_or_default();
            let back: AuthenticatorKey =
                serde_json::from_str(&json).unwrap_or(AuthenticatorKey::Tac);
            assert_eq!(&back, k);
        }
        let other: AuthenticatorKey =
            serde_json::from_str("\"acme_token\"").unwrap_or(AuthenticatorKey::Tac);
        assert_eq!(other, AuthenticatorKey::Other("acme_token".into()));
        assert_eq!(
            AuthenticatorKey::from_str_lossy("okta_password"),
            AuthenticatorKey::OktaPassword
        );
    }

    #[test]
    fn amr_matching_is_case_sensitive() {
        assert_eq!(AmrValue::known("pwd"), Some(AmrValue::Pwd));
        assert_eq!(AmrValue::known("PWD"), None);
        assert_eq!(
            AmrValue::from_str_lossy("PWD"),
            AmrValue::Other("PWD".into())
        );
    }

    #[test]
    fn other_values_are_truncated_and_sanitised() {
        let long = "x".repeat(500);
        assert_eq!(
            MethodType::from_str_lossy(&long).as_str().len(),
            MAX_KEPT_CHARS
        );
        assert_eq!(MethodType::from_str_lossy("a\nb").as_str(), "a?b");
    }

    #[test]
    fn source_serialises_like_the_contract() {
        let local = serde_json::to_value(Source::Local).unwrap_or_default();
        assert_eq!(local, serde_json::json!({"type": "LOCAL"}));
        let fed = Source::Federated {
            idp_id: IdpId::new("0oa1"),
            carrier: Carrier::OidcAmr,
            engine: None,
        };
        let v = serde_json::to_value(&fed).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"type": "IDP", "idpId": "0oa1", "carrier": "OIDC_AMR"})
        );
        let back: Source = serde_json::from_value(v).unwrap_or(Source::Local);
        assert_eq!(back, fed);
    }

    #[test]
    fn uv_possession_supplies_inherence_and_mfa_asserted_supplies_nothing() {
        let mut v = FactorVerification {
            authenticator_key: Some(AuthenticatorKey::Webauthn),
            method: Some(MethodType::Webauthn),
            amr: None,
            factor_class: Some(FactorClass::Possession),
            characteristics: Characteristics {
                user_verifying: true,
                ..Characteristics::NONE
            },
            kind: VerificationKind::Factor,
            verified_at: Timestamp(0),
            source: Source::Local,
        };
        assert_eq!(v.factor_classes().len(), 2);
        v.kind = VerificationKind::MfaAsserted;
        assert!(v.factor_classes().is_empty());
        let json = serde_json::to_value(FactorClasses::from_iter([
            FactorClass::Inherence,
            FactorClass::Knowledge,
        ]))
        .unwrap_or_default();
        assert_eq!(json, serde_json::json!(["KNOWLEDGE", "INHERENCE"]));
    }
}
