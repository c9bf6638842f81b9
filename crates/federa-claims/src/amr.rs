//! Reading upstream `amr` values: the OIDC `amr` claim and the SAML `session.amr` attribute,
//! through either the claims-sharing table or the legacy `mapAMRClaims` table.
//!
//! Implements reference `okta-claims-sharing.md` §1.9–§1.11 (third-party claims sharing: values,
//! characteristics, biometric rule, factor-only rule, `mfa`, `phr`/`phrh`), §1.10 (SAML tolerance:
//! multi-valued or one comma-separated value, `xsi:type` optional), §1.16 / §3.1 (legacy
//! mapping), CONTRACT §4 "Consumed by an SP org" and threats D.6 T1–T6, T12, T16.
//!
//! Rules common to both tables:
//! - matching is case-sensitive and exact (after trimming SAML whitespace);
//! - duplicates collapse and the result does not depend on the order of values;
//! - an OIDC `amr` that is not an array of strings (string, object, null, mixed array) is
//!   malformed: nothing is credited from it;
//! - unknown values are ignored with [`IgnoreReason::UnknownAmrValue`];
//! - `fed` (delegated to another IdP) is never credited;
//! - knowledge values are dropped for a "Factor only" IdP;
//! - `mfa` becomes a [`VerificationKind::MfaAsserted`] verification.
//!
//! Differences of the legacy table (all **inference**, the legacy guide lists values but not
//! their policy meaning): it accepts Okta's own legacy vocabulary (`okta_verify`, `google_otp`,
//! `symantec`, `rsa`, `yubikey`, `duo`, `oauth_otp`/`oath_otp`, `mca`, `pin`, `email`) besides
//! the RFC 8176 values; it credits factor classes with user presence / device binding only,
//! never hardware protection, phishing resistance or user verification (those are claims-sharing
//! features: `phr` was added to claims sharing in 2026); biometric values are not credited at
//! all; and its verifications carry [`Carrier::LegacyAmrMapping`].

use crate::model::{
    AmrValue, Carrier, Characteristics, FactorClass, FactorVerification, IdpId, IgnoreReason,
    IgnoredClaim, Source, Timestamp, VerificationKind, truncate,
};
use crate::{ClaimsError, ClaimsOutcome};
use serde_json::Value;
use std::collections::BTreeSet;

/// Most distinct-or-not values accepted in one `amr` claim or `session.amr` attribute; more is
/// treated as malformed (nothing credited).
pub const MAX_AMR_VALUES: usize = 64;

/// Which table reads the values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmrTable {
    /// Claims sharing, reference §1.11 (+ `phrh`).
    ClaimsSharing,
    /// Legacy `mapAMRClaims`, reference §1.16 / §3.1.
    Legacy,
}

/// Everything the AMR readers need besides the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmrContext {
    /// The IdP object the values came through.
    pub idp_id: IdpId,
    /// The IdP is configured "Factor only": knowledge values are not credited.
    pub factor_only: bool,
    /// When the upstream authentication happened (`auth_time`, `AuthnInstant`), used as every
    /// credited verification's `verified_at`.
    pub verified_at: Timestamp,
}

/// What one AMR value means in a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    Factor(FactorClass, Characteristics),
    Biometric,
    Mfa,
    Delegated,
    Unknown,
}

const HWK: Characteristics = Characteristics {
    hardware_protected: true,
    ..Characteristics::DEVICE_BOUND
};
const PHR: Characteristics = Characteristics {
    phishing_resistant: true,
    ..Characteristics::DEVICE_BOUND
};
const PHRH: Characteristics = Characteristics {
    hardware_protected: true,
    ..PHR
};

/// Reference §1.11 (third-party claims sharing), plus `phrh` (OKTA-1204547).
fn claims_sharing_meaning(v: &AmrValue) -> Meaning {
    use AmrValue as A;
    use FactorClass::{Knowledge, Possession};
    match v {
        A::Face | A::Fpt | A::Iris | A::Retina | A::Vbm => Meaning::Biometric,
        A::Hwk => Meaning::Factor(Possession, HWK),
        A::Kba | A::Pwd => Meaning::Factor(Knowledge, Characteristics::NONE),
        A::Mfa => Meaning::Mfa,
        A::Otp | A::Sc | A::Swk | A::Pop => {
            Meaning::Factor(Possession, Characteristics::DEVICE_BOUND)
        }
        A::Sms | A::Tel => Meaning::Factor(Possession, Characteristics::PRESENCE),
        A::Phr => Meaning::Factor(Possession, PHR),
        A::Phrh => Meaning::Factor(Possession, PHRH),
        A::Fed => Meaning::Delegated,
        _ => Meaning::Unknown,
    }
}

/// Legacy `mapAMRClaims` (reference §1.16 / §3.1; see the module docs for what is inferred).
fn legacy_meaning(v: &AmrValue) -> Meaning {
    use AmrValue as A;
    use FactorClass::{Knowledge, Possession};
    match v {
        A::Pwd | A::Kba | A::Pin => Meaning::Factor(Knowledge, Characteristics::NONE),
        A::Email | A::Sms | A::Tel | A::Mca | A::Duo => {
            Meaning::Factor(Possession, Characteristics::PRESENCE)
        }
        A::Otp
        | A::OauthOtp
        | A::OathOtp
        | A::GoogleOtp
        | A::OktaVerify
        | A::Symantec
        | A::Rsa
        | A::Yubikey
        | A::Swk
        | A::Hwk
        | A::Sc
        | A::Pop
        | A::Phr
        | A::Phrh => Meaning::Factor(Possession, Characteristics::DEVICE_BOUND),
        A::Mfa => Meaning::Mfa,
        A::Fed => Meaning::Delegated,
        _ => Meaning::Unknown,
    }
}

fn meaning(table: AmrTable, v: &AmrValue) -> Meaning {
    match table {
        AmrTable::ClaimsSharing => claims_sharing_meaning(v),
        AmrTable::Legacy => legacy_meaning(v),
    }
}

/// Reads the OIDC `amr` claim value as found in the ID token (or a same-key JWT access token).
/// `None` (claim absent) credits nothing and records nothing; anything but an array of at most
/// [`MAX_AMR_VALUES`] strings credits nothing and records one [`IgnoreReason::Malformed`] /
/// [`IgnoreReason::TooLarge`] claim.
pub fn parse_oidc_amr(claim: Option<&Value>, table: AmrTable, ctx: &AmrContext) -> ClaimsOutcome {
    let carrier = carrier_for(table, Carrier::OidcAmr);
    let Some(claim) = claim else {
        return ClaimsOutcome::default();
    };
    match oidc_values(claim) {
        Ok(values) => credit_values(values, table, carrier, ctx),
        Err(e) => rejected("amr", &e, carrier),
    }
}

fn oidc_values(claim: &Value) -> Result<Vec<&str>, ClaimsError> {
    let Value::Array(items) = claim else {
        return Err(ClaimsError::WrongType {
            field: "amr",
            expected: "an array of strings",
        });
    };
    if items.len() > MAX_AMR_VALUES {
        return Err(ClaimsError::TooManyEntries {
            what: "amr",
            count: items.len(),
            max: MAX_AMR_VALUES,
        });
    }
    items
        .iter()
        .map(|v| {
            v.as_str().ok_or(ClaimsError::WrongType {
                field: "amr",
                expected: "an array of strings",
            })
        })
        .collect()
}

/// Reads the SAML `session.amr` attribute values (the text of each `AttributeValue`, with or
/// without `xsi:type`). Each value may itself be a comma-separated list; whitespace around
/// values is ignored and empty pieces are skipped. No values credits nothing and records
/// nothing; more than [`MAX_AMR_VALUES`] pieces credits nothing.
pub fn parse_saml_session_amr<S: AsRef<str>>(
    values: &[S],
    table: AmrTable,
    ctx: &AmrContext,
) -> ClaimsOutcome {
    let carrier = carrier_for(table, Carrier::SamlSessionAmr);
    let mut pieces = Vec::new();
    for v in values {
        for piece in v.as_ref().split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            if pieces.len() == MAX_AMR_VALUES {
                let e = ClaimsError::TooManyEntries {
                    what: "session.amr",
                    count: MAX_AMR_VALUES + 1,
                    max: MAX_AMR_VALUES,
                };
                return rejected("session.amr", &e, carrier);
            }
            pieces.push(piece);
        }
    }
    credit_values(pieces, table, carrier, ctx)
}

fn carrier_for(table: AmrTable, wire: Carrier) -> Carrier {
    match table {
        AmrTable::ClaimsSharing => wire,
        AmrTable::Legacy => Carrier::LegacyAmrMapping,
    }
}

fn rejected(what: &str, e: &ClaimsError, carrier: Carrier) -> ClaimsOutcome {
    let reason = match e {
        ClaimsError::TooManyEntries { .. } | ClaimsError::PayloadTooLarge { .. } => {
            IgnoreReason::TooLarge
        }
        _ => IgnoreReason::Malformed,
    };
    ClaimsOutcome {
        credited: Vec::new(),
        ignored: vec![IgnoredClaim::new(what, reason, Some(carrier)).with_detail(e.to_string())],
    }
}

/// The heart of both readers: a multiset of raw strings to an order-independent outcome.
fn credit_values(
    raw: Vec<&str>,
    table: AmrTable,
    carrier: Carrier,
    ctx: &AmrContext,
) -> ClaimsOutcome {
    let mut out = ClaimsOutcome::default();
    let ignore = |out: &mut ClaimsOutcome, raw: &str, reason: IgnoreReason| {
        out.ignored.push(IgnoredClaim::new(
            format!("amr \"{}\"", truncate(raw)),
            reason,
            Some(carrier),
        ));
    };

    // Dedupe on the raw string first, so the outcome does not depend on order or repetition.
    let distinct: BTreeSet<&str> = raw.into_iter().collect();
    let mut factors: Vec<(AmrValue, FactorClass, Characteristics)> = Vec::new();
    let mut biometrics: Vec<&str> = Vec::new();
    let mut mfa = false;
    for s in distinct {
        let Some(value) = AmrValue::known(s) else {
            ignore(&mut out, s, IgnoreReason::UnknownAmrValue);
            continue;
        };
        match meaning(table, &value) {
            Meaning::Factor(FactorClass::Knowledge, _) if ctx.factor_only => {
                ignore(&mut out, s, IgnoreReason::KnowledgeFromFactorOnlyIdp);
            }
            Meaning::Factor(class, chars) => factors.push((value, class, chars)),
            Meaning::Biometric => biometrics.push(s),
            Meaning::Mfa => mfa = true,
            Meaning::Delegated => ignore(&mut out, s, IgnoreReason::DelegatedAuthenticator),
            Meaning::Unknown => ignore(&mut out, s, IgnoreReason::UnknownAmrValue),
        }
    }

    // Biometrics only count together with a possession value, which then gains user
    // verification (reference §1.11); they never become verifications of their own.
    let has_possession = factors
        .iter()
        .any(|(_, c, _)| *c == FactorClass::Possession);
    if has_possession && !biometrics.is_empty() {
        for (_, class, chars) in &mut factors {
            if *class == FactorClass::Possession {
                chars.user_verifying = true;
            }
        }
    } else {
        for s in biometrics {
            ignore(&mut out, s, IgnoreReason::BiometricWithoutPossession);
        }
    }

    let source = Source::Federated {
        idp_id: ctx.idp_id.clone(),
        carrier,
        engine: None,
    };
    factors.sort_by(|a, b| a.0.cmp(&b.0));
    for (value, class, chars) in factors {
        out.credited.push(FactorVerification {
            authenticator_key: None,
            method: None,
            amr: Some(value),
            factor_class: Some(class),
            characteristics: chars,
            kind: VerificationKind::Factor,
            verified_at: ctx.verified_at,
            source: source.clone(),
        });
    }
    if mfa {
        out.credited.push(FactorVerification {
            authenticator_key: None,
            method: None,
            amr: Some(AmrValue::Mfa),
            factor_class: None,
            characteristics: Characteristics::NONE,
            kind: VerificationKind::MfaAsserted,
            verified_at: ctx.verified_at,
            source,
        });
    }
    out.ignored.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FactorClasses, distinct_factor_classes};
    use serde_json::json;

    fn ctx() -> AmrContext {
        AmrContext {
            idp_id: IdpId::new("0oaIDP"),
            factor_only: false,
            verified_at: Timestamp(42),
        }
    }

    fn oidc(v: Value) -> ClaimsOutcome {
        parse_oidc_amr(Some(&v), AmrTable::ClaimsSharing, &ctx())
    }

    fn amrs(o: &ClaimsOutcome) -> Vec<&str> {
        o.credited
            .iter()
            .filter_map(|v| v.amr.as_ref().map(AmrValue::as_str))
            .collect()
    }

    fn reasons(o: &ClaimsOutcome) -> Vec<(String, IgnoreReason)> {
        o.ignored
            .iter()
            .map(|i| (i.what.clone(), i.reason))
            .collect()
    }

    fn one(o: &ClaimsOutcome, amr: AmrValue) -> Option<&FactorVerification> {
        o.credited.iter().find(|v| v.amr.as_ref() == Some(&amr))
    }

    #[test]
    fn t2_pwd_otp_gives_two_factor_classes_from_the_idp() {
        let o = oidc(json!(["pwd", "otp"]));
        assert!(o.ignored.is_empty());
        let classes = distinct_factor_classes(&o.credited);
        assert_eq!(
            classes,
            FactorClasses::from_iter([FactorClass::Knowledge, FactorClass::Possession])
        );
        for v in &o.credited {
            assert_eq!(v.verified_at, Timestamp(42));
            assert_eq!(v.source.idp_id().map(IdpId::as_str), Some("0oaIDP"));
            assert!(matches!(
                v.source,
                Source::Federated {
                    carrier: Carrier::OidcAmr,
                    engine: None,
                    ..
                }
            ));
        }
    }

    #[test]
    fn table_1_11_characteristics() {
        let o = oidc(json!([
            "hwk", "kba", "otp", "pwd", "sc", "sms", "swk", "tel", "pop", "phr", "phrh"
        ]));
        assert!(o.ignored.is_empty(), "{:?}", o.ignored);
        let c = |a| one(&o, a).map(|v| (v.factor_class, v.characteristics));
        let p = Some(FactorClass::Possession);
        let k = Some(FactorClass::Knowledge);
        assert_eq!(c(AmrValue::Hwk), Some((p, HWK)));
        assert_eq!(c(AmrValue::Kba), Some((k, Characteristics::NONE)));
        assert_eq!(c(AmrValue::Pwd), Some((k, Characteristics::NONE)));
        for a in [AmrValue::Otp, AmrValue::Sc, AmrValue::Swk, AmrValue::Pop] {
            assert_eq!(c(a), Some((p, Characteristics::DEVICE_BOUND)));
        }
        assert_eq!(c(AmrValue::Sms), Some((p, Characteristics::PRESENCE)));
        assert_eq!(c(AmrValue::Tel), Some((p, Characteristics::PRESENCE)));
        assert_eq!(c(AmrValue::Phr), Some((p, PHR)));
        assert_eq!(c(AmrValue::Phrh), Some((p, PHRH)));
    }

    #[test]
    fn t3_mfa_alone_is_only_an_mfa_assertion() {
        let o = oidc(json!(["mfa"]));
        assert_eq!(o.credited.len(), 1);
        let v = &o.credited[0];
        assert_eq!(v.kind, VerificationKind::MfaAsserted);
        assert_eq!(v.factor_class, None);
        assert_eq!(v.characteristics, Characteristics::NONE);
        assert!(v.factor_classes().is_empty());
    }

    #[test]
    fn t4_hwk_is_not_phishing_resistant_but_phr_and_phrh_are() {
        let o = oidc(json!(["pwd", "hwk"]));
        assert!(
            o.credited
                .iter()
                .all(|v| !v.characteristics.phishing_resistant)
        );
        for value in ["phr", "phrh"] {
            let o = oidc(json!(["pwd", value]));
            assert!(
                o.credited
                    .iter()
                    .any(|v| v.characteristics.phishing_resistant),
                "{value}"
            );
        }
        let o = oidc(json!(["phrh"]));
        let c = o.credited[0].characteristics;
        assert!(c.phishing_resistant && c.hardware_protected && c.device_bound);
    }

    #[test]
    fn t5_non_arrays_credit_nothing() {
        for bad in [
            json!("mfa"),
            json!({"0": "pwd"}),
            json!(null),
            json!(7),
            json!(["pwd", 1]),
        ] {
            let o = oidc(bad.clone());
            assert!(o.credited.is_empty(), "{bad}");
            assert_eq!(
                reasons(&o),
                [("amr".to_owned(), IgnoreReason::Malformed)],
                "{bad}"
            );
        }
        let o = oidc(json!([]));
        assert!(o.credited.is_empty() && o.ignored.is_empty());
        let absent = parse_oidc_amr(None, AmrTable::ClaimsSharing, &ctx());
        assert_eq!(absent, ClaimsOutcome::default());
    }

    #[test]
    fn t5_duplicates_collapse_and_case_matters_and_unknown_is_ignored() {
        let o = oidc(json!([
            "pwd", "pwd", "PWD", "Otp", "x-custom", "otp", "otp"
        ]));
        assert_eq!(amrs(&o), ["otp", "pwd"]);
        assert_eq!(
            reasons(&o),
            [
                ("amr \"Otp\"".to_owned(), IgnoreReason::UnknownAmrValue),
                ("amr \"PWD\"".to_owned(), IgnoreReason::UnknownAmrValue),
                ("amr \"x-custom\"".to_owned(), IgnoreReason::UnknownAmrValue),
            ]
        );
    }

    #[test]
    fn t5_too_many_values_credit_nothing() {
        let many: Vec<Value> = (0..=MAX_AMR_VALUES).map(|_| json!("pwd")).collect();
        let o = oidc(Value::Array(many));
        assert!(o.credited.is_empty());
        assert_eq!(o.ignored[0].reason, IgnoreReason::TooLarge);
    }

    #[test]
    fn t6_biometric_alone_credits_nothing() {
        for b in ["face", "fpt", "iris", "retina", "vbm"] {
            let o = oidc(json!([b]));
            assert!(o.credited.is_empty(), "{b}");
            assert_eq!(
                o.ignored[0].reason,
                IgnoreReason::BiometricWithoutPossession
            );
        }
        // With only knowledge, still nothing from the biometric.
        let o = oidc(json!(["pwd", "fpt"]));
        assert_eq!(amrs(&o), ["pwd"]);
        assert_eq!(
            o.ignored[0].reason,
            IgnoreReason::BiometricWithoutPossession
        );
    }

    #[test]
    fn t6_biometric_with_possession_adds_user_verification() {
        let o = oidc(json!(["fpt", "hwk"]));
        assert!(o.ignored.is_empty());
        assert_eq!(o.credited.len(), 1);
        let v = &o.credited[0];
        assert!(v.characteristics.user_verifying && v.characteristics.hardware_protected);
        assert_eq!(
            v.factor_classes(),
            FactorClasses::from_iter([FactorClass::Possession, FactorClass::Inherence])
        );
    }

    #[test]
    fn t16_factor_only_idp_drops_knowledge() {
        let c = AmrContext {
            factor_only: true,
            ..ctx()
        };
        let o = parse_oidc_amr(
            Some(&json!(["pwd", "kba", "sms"])),
            AmrTable::ClaimsSharing,
            &c,
        );
        assert_eq!(amrs(&o), ["sms"]);
        assert_eq!(
            reasons(&o),
            [
                (
                    "amr \"kba\"".to_owned(),
                    IgnoreReason::KnowledgeFromFactorOnlyIdp
                ),
                (
                    "amr \"pwd\"".to_owned(),
                    IgnoreReason::KnowledgeFromFactorOnlyIdp
                ),
            ]
        );
    }

    #[test]
    fn fed_is_delegated_and_email_is_not_in_the_third_party_table() {
        let o = oidc(json!(["fed", "email"]));
        assert!(o.credited.is_empty());
        assert_eq!(
            reasons(&o),
            [
                ("amr \"email\"".to_owned(), IgnoreReason::UnknownAmrValue),
                (
                    "amr \"fed\"".to_owned(),
                    IgnoreReason::DelegatedAuthenticator
                ),
            ]
        );
    }

    #[test]
    fn t12_saml_multi_valued_and_comma_separated_agree() {
        let ctx = ctx();
        let multi = parse_saml_session_amr(&["swk", "pwd", "sms"], AmrTable::ClaimsSharing, &ctx);
        let comma = parse_saml_session_amr(&["swk,pwd,sms"], AmrTable::ClaimsSharing, &ctx);
        let spaced =
            parse_saml_session_amr(&[" swk , pwd,\n\tsms ,"], AmrTable::ClaimsSharing, &ctx);
        assert_eq!(amrs(&multi), ["pwd", "sms", "swk"]);
        assert_eq!(multi, comma);
        assert_eq!(multi, spaced);
        assert!(multi.credited.iter().all(|v| matches!(
            v.source,
            Source::Federated {
                carrier: Carrier::SamlSessionAmr,
                ..
            }
        )));
        let none: [&str; 0] = [];
        assert_eq!(
            parse_saml_session_amr(&none, AmrTable::ClaimsSharing, &ctx),
            ClaimsOutcome::default()
        );
    }

    #[test]
    fn legacy_table_credits_classes_but_no_strong_characteristics() {
        let o = parse_oidc_amr(
            Some(&json!([
                "pwd",
                "okta_verify",
                "phr",
                "hwk",
                "fpt",
                "mfa",
                "fed"
            ])),
            AmrTable::Legacy,
            &ctx(),
        );
        assert_eq!(amrs(&o), ["hwk", "pwd", "phr", "okta_verify", "mfa"]);
        for v in &o.credited {
            let c = v.characteristics;
            assert!(!c.phishing_resistant && !c.hardware_protected && !c.user_verifying);
            assert!(matches!(
                v.source,
                Source::Federated {
                    carrier: Carrier::LegacyAmrMapping,
                    ..
                }
            ));
        }
        assert_eq!(
            reasons(&o),
            [
                (
                    "amr \"fed\"".to_owned(),
                    IgnoreReason::DelegatedAuthenticator
                ),
                ("amr \"fpt\"".to_owned(), IgnoreReason::UnknownAmrValue),
            ]
        );
        // The claims-sharing table does not know Okta's legacy names.
        let cs = oidc(json!(["okta_verify"]));
        assert!(cs.credited.is_empty());
    }
}
