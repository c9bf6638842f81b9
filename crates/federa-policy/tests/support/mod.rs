//! Shared builders for the integration tests: fixed ids and times, verifications built directly
//! (as `federa-claims` would credit them: reference §1.11 table for AMR values, CONTRACT §7 for
//! local and `okta_auth` factors), an in-memory reference resolver.
#![allow(dead_code)]

use federa_claims::{
    AmrValue, AuthenticatorKey as K, Carrier, Characteristics, Engine, FactorClass,
    FactorVerification, IdpId, MethodType as M, Source, VerificationKind,
};
use federa_policy::access::{AccessPolicy, AccessRule};
use federa_policy::eval::AuthenticatorMethods;
use federa_policy::ids::{AppId, AuthenticatorId, ZoneId};
use federa_policy::refs::RefResolver;
use federa_policy::{local_verification, timefmt};
use federa_types::{GroupId, Timestamp, UserId};
use serde_json::Value;

/// 2026-11-23T10:00:00Z.
pub fn now() -> Timestamp {
    timefmt::parse_rfc3339("2026-11-23T10:00:00Z").unwrap_or(Timestamp(0))
}

pub fn ago(minutes: i64) -> Timestamp {
    Timestamp(now().millis() - minutes * 60_000)
}

pub fn user() -> UserId {
    UserId::parse("00uUSER0000000000001").unwrap_or_else(|e| panic!("{e}"))
}

pub fn group(n: u32) -> GroupId {
    GroupId::parse(&format!("00gGROUP{n:012}")).unwrap_or_else(|e| panic!("{e}"))
}

pub fn idp(name: &str) -> IdpId {
    IdpId::new(format!("0oaIDP{name}"))
}

pub fn zone(name: &str) -> ZoneId {
    ZoneId::new(format!("nzo{name}"))
}

pub fn key(s: &str) -> K {
    K::known(s).unwrap_or_else(|| panic!("unknown key {s}"))
}

pub fn method(s: &str) -> M {
    M::known(s).unwrap_or_else(|| panic!("unknown method {s}"))
}

/// Short local names used by the matrix.
pub fn local_name(s: &str) -> (K, M) {
    match s {
        "pwd" => (K::OktaPassword, M::Password),
        "sq" => (K::SecurityQuestion, M::SecurityQuestion),
        "email" => (K::OktaEmail, M::Email),
        "sms" => (K::PhoneNumber, M::Sms),
        "voice" => (K::PhoneNumber, M::Voice),
        "totp" => (K::OktaVerify, M::Totp),
        "push" => (K::OktaVerify, M::Push),
        "fastpass" => (K::OktaVerify, M::SignedNonce),
        "gotp" => (K::GoogleOtp, M::Otp),
        "webauthn" => (K::Webauthn, M::Webauthn),
        other => panic!("unknown local method name {other}"),
    }
}

pub fn local(name: &str, at: Timestamp) -> FactorVerification {
    let (k, m) = local_name(name);
    local_verification(&k, &m, at).unwrap_or_else(|| panic!("no catalogue entry for {name}"))
}

/// A local verification with explicit characteristics (e.g. WebAuthn without UV).
pub fn local_with(name: &str, at: Timestamp, c: Characteristics) -> FactorVerification {
    let mut v = local(name, at);
    v.characteristics = c;
    v
}

/// Third-party AMR value as `federa-claims` credits it (reference §1.11). `hwk+fpt` style joins
/// a biometric to its possession value (user verifying).
pub fn amr(value: &str, from: &IdpId, at: Timestamp) -> FactorVerification {
    let (base, bio) = match value.split_once('+') {
        Some((b, _)) => (b, true),
        None => (value, false),
    };
    let d = Characteristics::DEVICE_BOUND;
    let (class, mut c, kind) = match base {
        "pwd" | "kba" => (
            Some(FactorClass::Knowledge),
            Characteristics::NONE,
            VerificationKind::Factor,
        ),
        "sms" | "tel" | "email" => (
            Some(FactorClass::Possession),
            Characteristics::PRESENCE,
            VerificationKind::Factor,
        ),
        "otp" | "swk" | "pop" | "sc" => {
            (Some(FactorClass::Possession), d, VerificationKind::Factor)
        }
        "hwk" => (
            Some(FactorClass::Possession),
            Characteristics {
                hardware_protected: true,
                ..d
            },
            VerificationKind::Factor,
        ),
        "phr" => (
            Some(FactorClass::Possession),
            Characteristics {
                phishing_resistant: true,
                ..d
            },
            VerificationKind::Factor,
        ),
        "phrh" => (
            Some(FactorClass::Possession),
            Characteristics {
                phishing_resistant: true,
                hardware_protected: true,
                ..d
            },
            VerificationKind::Factor,
        ),
        "fpt" | "face" | "iris" => (
            Some(FactorClass::Inherence),
            Characteristics::NONE,
            VerificationKind::Factor,
        ),
        "mfa" => (None, Characteristics::NONE, VerificationKind::MfaAsserted),
        other => panic!("amr {other} not in the test table"),
    };
    if bio {
        c.user_verifying = true;
    }
    FactorVerification {
        authenticator_key: None,
        method: None,
        amr: AmrValue::known(base),
        factor_class: class,
        characteristics: c,
        kind,
        verified_at: at,
        source: Source::Federated {
            idp_id: from.clone(),
            carrier: Carrier::OidcAmr,
            engine: None,
        },
    }
}

/// A factor from an Okta-style IdP org's `okta_auth` payload.
pub fn okta(name: &str, from: &IdpId, at: Timestamp, engine: Engine) -> FactorVerification {
    let source = Source::Federated {
        idp_id: from.clone(),
        carrier: Carrier::OktaAuthOidc,
        engine: Some(engine),
    };
    if name == "mfa" {
        return FactorVerification {
            authenticator_key: None,
            method: None,
            amr: None,
            factor_class: None,
            characteristics: Characteristics::NONE,
            kind: VerificationKind::MfaAsserted,
            verified_at: at,
            source,
        };
    }
    let mut v = local(name, at);
    v.source = source;
    v
}

pub fn all_methods(keys: &[&str]) -> Vec<AuthenticatorMethods> {
    keys.iter()
        .map(|k| AuthenticatorMethods::all(key(k)))
        .collect()
}

/// An access policy with the given rule documents (priority order as given).
pub fn access_policy(rules: &[Value]) -> AccessPolicy {
    let mut p = federa_policy::defaults::default_access_policy();
    p.rules = rules
        .iter()
        .map(|r| AccessRule::from_json(r).unwrap_or_else(|e| panic!("bad rule {r}: {e}")))
        .collect();
    p
}

/// An in-memory org for reference checks.
#[derive(Default)]
pub struct Org {
    pub users: Vec<UserId>,
    pub groups: Vec<GroupId>,
    pub zones: Vec<ZoneId>,
    pub idps: Vec<IdpId>,
    pub apps: Vec<AppId>,
    pub authenticators: Vec<(K, AuthenticatorId, bool)>,
}

impl RefResolver for Org {
    fn user_exists(&self, id: &UserId) -> bool {
        self.users.contains(id)
    }
    fn group_exists(&self, id: &GroupId) -> bool {
        self.groups.contains(id)
    }
    fn zone_exists(&self, id: &ZoneId) -> bool {
        self.zones.contains(id)
    }
    fn idp_exists(&self, id: &IdpId) -> bool {
        self.idps.contains(id)
    }
    fn app_exists(&self, id: &AppId) -> bool {
        self.apps.contains(id)
    }
    fn authenticator_exists(&self, k: &K, id: Option<&AuthenticatorId>) -> bool {
        self.authenticators
            .iter()
            .any(|(kk, i, _)| kk == k && id.is_none_or(|x| x == i))
    }
    fn authenticator_active(&self, k: &K) -> bool {
        self.authenticators.iter().any(|(kk, _, a)| kk == k && *a)
    }
}
