//! Property tests of the carrier parsers (threats D.6 T5: never panic, fail closed; reference
//! §1.11: unknown values ignored, duplicates and order irrelevant, excluded values never credited;
//! reference §1.8: delegated authenticators never credited).

use federa_claims::amr::{AmrContext, AmrTable, parse_oidc_amr, parse_saml_session_amr};
use federa_claims::catalogue;
use federa_claims::okta_auth::{OktaAuthInput, OuterBinding, parse_okta_auth};
use federa_claims::{AmrValue, ClaimsOutcome, FactorClass, IdpId, Timestamp, VerificationKind};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const FIELD_NAMES: &[&str] = &[
    "iss",
    "aud",
    "sub",
    "iat",
    "engine",
    "mfaVerified",
    "factorVerifications",
    "factor",
    "type",
    "authenticatorKeyName",
    "methodType",
    "verificationTimestamp",
    "properties",
    "userVerificationKeyUnavailable",
    "profile",
];

const INTERESTING_STRINGS: &[&str] = &[
    "true",
    "false",
    "IDENTITY",
    "CLASSIC",
    "AUTHENTICATOR",
    "okta_password",
    "password",
    "phone_number",
    "sms",
    "voice",
    "okta_verify",
    "push",
    "signed_nonce",
    "webauthn",
    "external_idp",
    "idp",
    "smart_card_idp",
    "cert",
    "USER_VERIFYING",
    "HARDWARE_PROTECTED",
    "https://hub.localhost",
    "alice",
    "spoke",
];

/// Every AMR value in either table plus near misses.
const AMR_POOL: &[&str] = &[
    "face",
    "fpt",
    "iris",
    "retina",
    "vbm",
    "hwk",
    "kba",
    "mfa",
    "otp",
    "pwd",
    "sc",
    "sms",
    "swk",
    "tel",
    "pop",
    "phr",
    "phrh",
    "email",
    "pin",
    "mca",
    "geo",
    "rba",
    "user",
    "wia",
    "okta_verify",
    "google_otp",
    "duo",
    "symantec",
    "oauth_otp",
    "oath_otp",
    "rsa",
    "yubikey",
    "fed",
    "PWD",
    "Otp",
    " pwd",
    "mfa ",
    "",
    "x-custom",
    "phr,hwk",
];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(INTERESTING_STRINGS).prop_map(str::to_owned),
        prop::sample::select(AMR_POOL).prop_map(str::to_owned),
        ".{0,12}",
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(FIELD_NAMES).prop_map(str::to_owned),
                        ".{0,6}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_entry() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(
        &[
            "okta_password",
            "okta_email",
            "phone_number",
            "okta_verify",
            "google_otp",
            "security_question",
            "webauthn",
            "external_idp",
            "smart_card_idp",
            "acme",
            "custom_otp",
            "duo",
            "yubikey_token",
            "tac",
        ][..],
    );
    let methods = prop::sample::select(
        &[
            "password",
            "email",
            "sms",
            "voice",
            "totp",
            "otp",
            "push",
            "signed_nonce",
            "webauthn",
            "idp",
            "cert",
            "duo",
            "security_question",
            "bogus",
        ][..],
    );
    (
        keys,
        prop::option::of(methods),
        prop::option::of(-5i64..i64::MAX),
        any::<bool>(),
    )
        .prop_map(|(k, m, ts, uv)| {
            let mut factor = json!({"type": "AUTHENTICATOR", "authenticatorKeyName": k});
            if let Some(m) = m {
                factor["methodType"] = json!(m);
            }
            if uv {
                factor["properties"] = json!(["USER_VERIFYING", "HARDWARE_PROTECTED"]);
            }
            let mut e = json!({"factor": factor});
            if let Some(ts) = ts {
                e["verificationTimestamp"] = json!(ts);
            }
            e
        })
}

fn idp() -> IdpId {
    IdpId::new("0oaIDP")
}

fn ctx(factor_only: bool) -> AmrContext {
    AmrContext {
        idp_id: idp(),
        factor_only,
        verified_at: Timestamp(1),
    }
}

fn okta(input: OktaAuthInput<'_>) -> ClaimsOutcome {
    let auds = vec!["spoke".to_owned()];
    let outer = OuterBinding {
        issuer: "https://hub.localhost",
        audiences: &auds,
        subject: "alice",
        expected_engine: None,
        authenticated_at: Timestamp(0),
    };
    parse_okta_auth(input, &idp(), &outer)
}

/// What any credited okta_auth verification must satisfy.
fn okta_credit_is_sound(o: &ClaimsOutcome) -> Result<(), TestCaseError> {
    for v in &o.credited {
        if v.kind == VerificationKind::MfaAsserted {
            prop_assert!(v.factor_class.is_none());
            continue;
        }
        let (Some(k), Some(m)) = (&v.authenticator_key, &v.method) else {
            return Err(TestCaseError::fail("factor without key/method"));
        };
        prop_assert!(
            !k.is_delegated() && !m.is_delegated(),
            "delegated credited: {k}/{m}"
        );
        prop_assert!(
            catalogue::lookup(k, m).is_some(),
            "not in catalogue: {k}/{m}"
        );
        prop_assert!(v.verified_at.millis() >= 0);
    }
    Ok(())
}

/// What any credited AMR verification must satisfy.
fn amr_credit_is_sound(
    o: &ClaimsOutcome,
    inputs: &BTreeSet<String>,
    table: AmrTable,
    factor_only: bool,
) -> Result<(), TestCaseError> {
    for v in &o.credited {
        let Some(a) = &v.amr else {
            return Err(TestCaseError::fail("AMR verification without its value"));
        };
        prop_assert!(!a.is_other(), "unknown value credited: {a}");
        prop_assert!(inputs.contains(a.as_str()), "credited {a} was not sent");
        prop_assert!(
            *a != AmrValue::Fed && !a.is_biometric(),
            "excluded value credited: {a}"
        );
        if factor_only {
            prop_assert!(
                v.factor_class != Some(FactorClass::Knowledge),
                "knowledge from factor-only"
            );
        }
        if table == AmrTable::Legacy {
            let c = v.characteristics;
            prop_assert!(!c.phishing_resistant && !c.hardware_protected && !c.user_verifying);
        }
        prop_assert_eq!(v.kind == VerificationKind::MfaAsserted, *a == AmrValue::Mfa);
    }
    Ok(())
}

fn split_saml(values: &[String]) -> BTreeSet<String> {
    values
        .iter()
        .flat_map(|v| v.split(',').map(|p| p.trim().to_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn okta_auth_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let o = okta(OktaAuthInput::Saml(&bytes));
        okta_credit_is_sound(&o)?;
    }

    #[test]
    fn okta_auth_never_panics_on_json(v in arb_json()) {
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        let a = okta(OktaAuthInput::OidcPlaintext(&bytes));
        let b = okta(OktaAuthInput::OidcObject(&v));
        okta_credit_is_sound(&a)?;
        okta_credit_is_sound(&b)?;
        prop_assert_eq!(a.credited, b.credited);
    }

    #[test]
    fn okta_auth_credits_only_native_catalogued_authenticators(
        entries in prop::collection::vec(arb_entry(), 0..12),
        mfa in prop_oneof![Just(json!("true")), Just(json!(false)), Just(Value::Null)],
        engine in prop_oneof![Just(json!("IDENTITY")), Just(json!("CLASSIC")), Just(Value::Null)],
    ) {
        let p = json!({"mfaVerified": mfa, "engine": engine, "factorVerifications": entries});
        let o = okta(OktaAuthInput::OidcObject(&p));
        okta_credit_is_sound(&o)?;
        // Every entry is either credited or recorded (Identity), or the payload is summarised.
        if engine == json!("IDENTITY") || engine.is_null() {
            prop_assert_eq!(o.credited.len() + o.ignored.len(), entries.len());
        }
    }

    #[test]
    fn oidc_amr_never_panics(v in arb_json(), factor_only in any::<bool>()) {
        for table in [AmrTable::ClaimsSharing, AmrTable::Legacy] {
            let o = parse_oidc_amr(Some(&v), table, &ctx(factor_only));
            if !v.is_array() {
                prop_assert!(o.credited.is_empty());
            }
        }
    }

    #[test]
    fn saml_amr_never_panics(values in prop::collection::vec(".{0,40}", 0..8)) {
        let set = split_saml(&values);
        for table in [AmrTable::ClaimsSharing, AmrTable::Legacy] {
            let o = parse_saml_session_amr(&values, table, &ctx(false));
            amr_credit_is_sound(&o, &set, table, false)?;
        }
    }

    #[test]
    fn amr_outcome_is_order_and_duplicate_independent(
        (values, shuffled) in prop::collection::vec(prop::sample::select(AMR_POOL), 0..24)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        factor_only in any::<bool>(),
    ) {
        for table in [AmrTable::ClaimsSharing, AmrTable::Legacy] {
            let c = ctx(factor_only);
            let a = parse_oidc_amr(Some(&json!(values)), table, &c);
            let b = parse_oidc_amr(Some(&json!(shuffled)), table, &c);
            prop_assert_eq!(&a, &b);
            let mut doubled = shuffled.clone();
            doubled.extend(values.iter().copied());
            let d = parse_oidc_amr(Some(&json!(doubled)), table, &c);
            prop_assert_eq!(&a, &d);
            let strings: Vec<String> = values.iter().map(|s| (*s).to_owned()).collect();
            let shuffled_strings: Vec<String> = shuffled.iter().map(|s| (*s).to_owned()).collect();
            let sa = parse_saml_session_amr(&strings, table, &c);
            let sb = parse_saml_session_amr(&[shuffled_strings.join(",")], table, &c);
            prop_assert_eq!(&sa.credited, &sb.credited);
        }
    }

    #[test]
    fn excluded_and_unknown_amr_values_are_never_credited(
        values in prop::collection::vec(prop_oneof![prop::sample::select(AMR_POOL).prop_map(str::to_owned), ".{0,8}"], 0..24),
        factor_only in any::<bool>(),
    ) {
        let set: BTreeSet<String> = values.iter().cloned().collect();
        for table in [AmrTable::ClaimsSharing, AmrTable::Legacy] {
            let o = parse_oidc_amr(Some(&json!(values)), table, &ctx(factor_only));
            amr_credit_is_sound(&o, &set, table, factor_only)?;
            // Biometrics never add user verification without a possession value.
            if o.credited.iter().all(|v| v.factor_class != Some(FactorClass::Possession)) {
                prop_assert!(o.credited.iter().all(|v| !v.characteristics.user_verifying));
            }
        }
    }
}
