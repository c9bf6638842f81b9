//! Unit tests of the `okta_auth` / `OktaAuth` payload reader (reference §1.5, §1.8, §1.12;
//! CONTRACT §4; threats D.6 T9 non-crypto parts).

use super::*;
use crate::model::{Characteristics, FactorClass, FactorClasses, distinct_factor_classes};

const ISS: &str = "https://hub.localhost";
const SUB: &str = "alice@example.com";

fn auds() -> Vec<String> {
    vec!["https://spoke.localhost/sso/saml2/0oaIDP".to_owned()]
}

fn outer(audiences: &[String]) -> OuterBinding<'_> {
    OuterBinding {
        issuer: ISS,
        audiences,
        subject: SUB,
        expected_engine: None,
        authenticated_at: Timestamp(1_000_000),
    }
}

fn idp() -> IdpId {
    IdpId::new("0oaIDP")
}

fn parse_json(v: &Value) -> ClaimsOutcome {
    let a = auds();
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    let from_bytes = parse_okta_auth(OktaAuthInput::OidcPlaintext(&bytes), &idp(), &outer(&a));
    let from_value = parse_okta_auth(OktaAuthInput::OidcObject(v), &idp(), &outer(&a));
    let strip = |o: &ClaimsOutcome| {
        let mut o = o.clone();
        o.ignored.iter_mut().for_each(|i| i.detail = None);
        o
    };
    assert_eq!(
        strip(&from_bytes),
        strip(&from_value),
        "bytes and object forms must agree"
    );
    from_bytes
}

fn parse_bytes(b: &[u8]) -> ClaimsOutcome {
    let a = auds();
    parse_okta_auth(OktaAuthInput::Saml(b), &idp(), &outer(&a))
}

fn entry(key: &str, method: &str, ts: i64) -> Value {
    json!({"factor": {"type": "AUTHENTICATOR", "authenticatorKeyName": key, "methodType": method},
           "verificationTimestamp": ts})
}

fn payload(entries: Vec<Value>) -> Value {
    json!({"mfaVerified": "true", "factorVerifications": entries})
}

fn reasons(o: &ClaimsOutcome) -> Vec<IgnoreReason> {
    o.ignored.iter().map(|i| i.reason).collect()
}

fn keys(o: &ClaimsOutcome) -> Vec<&str> {
    o.credited
        .iter()
        .filter_map(|v| v.authenticator_key.as_ref().map(AuthenticatorKey::as_str))
        .collect()
}

/// The decrypted payload shown in the reference DRAFT (§1.5), verbatim.
const DRAFT_SAMPLE: &str = r#"{
  "mfaVerified": "true",
  "factorVerifications": [
    {
      "factor": {
        "type": "AUTHENTICATOR",
        "displayName": "Phone",
        "status": "ACTIVE",
        "authenticatorType": "phone",
        "methodType": "sms",
        "authenticatorKeyName": "phone_number",
        "profile": { "phoneNumber": "+1 XXX-XXX-2282" },
        "properties": [],
        "propertiesToVerify": [],
        "propertiesRequiredToVerify": [],
        "factorClassesToBeChallengedByThisMethod": [],
        "usableForRecoveryOnly": false,
        "userVerificationKeyUnavailable": false
      },
      "verificationTimestamp": 1724277328376
    }
  ]
}"#;

#[test]
fn draft_sample_credits_the_sms_factor() {
    let o = parse_bytes(DRAFT_SAMPLE.as_bytes());
    assert!(o.ignored.is_empty(), "{:?}", o.ignored);
    assert_eq!(o.credited.len(), 1);
    let v = &o.credited[0];
    assert_eq!(v.authenticator_key, Some(AuthenticatorKey::PhoneNumber));
    assert_eq!(v.method, Some(MethodType::Sms));
    assert_eq!(v.factor_class, Some(FactorClass::Possession));
    assert_eq!(v.characteristics, Characteristics::PRESENCE);
    assert_eq!(v.verified_at, Timestamp(1_724_277_328_376));
    assert_eq!(
        v.source,
        Source::Federated {
            idp_id: idp(),
            carrier: Carrier::OktaAuthSaml,
            engine: Some(Engine::Identity)
        }
    );
}

#[test]
fn t9_mfa_verified_string_or_bool_is_tolerated() {
    for mv in [
        json!("true"),
        json!(true),
        json!("false"),
        json!(false),
        json!(null),
    ] {
        let o = parse_json(
            &json!({"mfaVerified": mv, "factorVerifications": [entry("okta_password", "password", 5)]}),
        );
        assert_eq!(keys(&o), ["okta_password"], "{mv}");
    }
    for bad in [json!("TRUE"), json!("yes"), json!(1), json!([])] {
        let o = parse_json(
            &json!({"mfaVerified": bad, "factorVerifications": [entry("okta_password", "password", 5)]}),
        );
        assert!(o.credited.is_empty(), "{bad}");
        assert_eq!(reasons(&o), [IgnoreReason::Malformed], "{bad}");
    }
    let p = OktaAuthPayload::from_value(&json!({"mfaVerified": "false"}));
    assert_eq!(p.map(|p| p.mfa_verified), Ok(Some(false)));
}

#[test]
fn t9_old_timestamps_are_kept_for_the_callers_freshness_rule() {
    let o = parse_json(&payload(vec![entry("okta_password", "password", 1)]));
    assert_eq!(o.credited[0].verified_at, Timestamp(1));
}

#[test]
fn t9_timestamp_must_be_an_integer() {
    for ts in [json!("1724277328376"), json!(1.5), json!(null)] {
        let mut e = entry("okta_password", "password", 0);
        e["verificationTimestamp"] = ts.clone();
        let o = parse_json(&payload(vec![e]));
        assert!(o.credited.is_empty(), "{ts}");
        assert_eq!(reasons(&o), [IgnoreReason::Malformed], "{ts}");
    }
    // A negative or missing timestamp drops only that entry.
    let mut missing = entry("okta_email", "email", 0);
    missing
        .as_object_mut()
        .map(|m| m.remove("verificationTimestamp"));
    let o = parse_json(&payload(vec![
        entry("okta_password", "password", -5),
        missing,
        entry("phone_number", "sms", 9),
    ]));
    assert_eq!(keys(&o), ["phone_number"]);
    assert_eq!(
        reasons(&o),
        [IgnoreReason::Malformed, IgnoreReason::Malformed]
    );
}

#[test]
fn binding_fields_must_match_the_outer_token_when_present() {
    let base = |extra: Value| {
        let mut p = payload(vec![entry("okta_password", "password", 5)]);
        if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(extra.clone());
        }
        parse_json(&p)
    };
    let aud = auds()[0].clone();
    assert_eq!(
        keys(&base(json!({}))),
        ["okta_password"],
        "absent binding fields are fine"
    );
    assert_eq!(
        keys(&base(json!({"iss": ISS, "sub": SUB, "aud": aud}))),
        ["okta_password"]
    );
    assert_eq!(keys(&base(json!({"aud": [aud]}))), ["okta_password"]);
    for (extra, reason) in [
        (
            json!({"iss": "https://evil.example"}),
            IgnoreReason::IssuerMismatch,
        ),
        (
            json!({"iss": "https://HUB.localhost"}),
            IgnoreReason::IssuerMismatch,
        ),
        (
            json!({"sub": "bob@example.com"}),
            IgnoreReason::SubjectMismatch,
        ),
        (
            json!({"aud": "https://other.example"}),
            IgnoreReason::AudienceMismatch,
        ),
        (json!({"aud": []}), IgnoreReason::AudienceMismatch),
        (
            json!({"aud": [aud, "https://other.example"]}),
            IgnoreReason::AudienceMismatch,
        ),
    ] {
        let o = base(extra.clone());
        assert!(o.credited.is_empty(), "{extra}");
        assert_eq!(reasons(&o), [reason], "{extra}");
    }
    for bad in [
        json!({"iss": 5}),
        json!({"aud": {"x": 1}}),
        json!({"aud": [1]}),
        json!({"engine": "identity"}),
    ] {
        let o = base(bad.clone());
        assert!(o.credited.is_empty(), "{bad}");
        assert_eq!(reasons(&o), [IgnoreReason::Malformed], "{bad}");
    }
}

#[test]
fn engine_must_match_the_expected_engine() {
    let a = auds();
    let mut b = outer(&a);
    b.expected_engine = Some(Engine::Identity);
    let p = json!({"engine": "CLASSIC", "mfaVerified": true});
    let o = parse_okta_auth(OktaAuthInput::OidcObject(&p), &idp(), &b);
    assert!(o.credited.is_empty());
    assert_eq!(reasons(&o), [IgnoreReason::EngineMismatch]);
}

#[test]
fn only_natively_performed_authenticators_are_credited() {
    let o = parse_json(&payload(vec![
        entry("okta_password", "password", 1),
        entry("external_idp", "idp", 2),
        entry("smart_card_idp", "cert", 3),
        entry("okta_verify", "idp", 4),
        entry("webauthn", "webauthn", 5),
    ]));
    assert_eq!(keys(&o), ["okta_password", "webauthn"]);
    assert_eq!(reasons(&o), [IgnoreReason::DelegatedAuthenticator; 3]);
    assert!(
        o.ignored[0]
            .what
            .contains("factorVerifications[1] external_idp/idp")
    );
}

#[test]
fn unknown_authenticators_and_factor_types_are_ignored_one_by_one() {
    let mut classic_factor = entry("okta_password", "password", 1);
    classic_factor["factor"]["type"] = json!("FACTOR");
    let o = parse_json(&payload(vec![
        entry("acme_token", "otp", 1),
        entry("okta_password", "sms", 1),
        entry("phone_number", "carrier_pigeon", 1),
        classic_factor,
        entry("okta_verify", "push", 1),
    ]));
    assert_eq!(keys(&o), ["okta_verify"]);
    assert_eq!(reasons(&o), [IgnoreReason::UnknownAuthenticator; 4]);
}

#[test]
fn method_may_be_omitted_only_when_unambiguous() {
    let e =
        |key: &str| json!({"factor": {"authenticatorKeyName": key}, "verificationTimestamp": 1});
    let o = parse_json(&payload(vec![
        e("okta_password"),
        e("phone_number"),
        e("okta_verify"),
    ]));
    assert_eq!(keys(&o), ["okta_password"]);
    assert_eq!(
        reasons(&o),
        [IgnoreReason::Malformed, IgnoreReason::Malformed]
    );
}

#[test]
fn webauthn_characteristics_come_from_properties() {
    let mut strong = entry("webauthn", "webauthn", 1);
    strong["factor"]["properties"] =
        json!(["USER_VERIFYING", "HARDWARE_PROTECTED", "UNKNOWN", 7, {"a": 1}]);
    let mut uv_unavailable = strong.clone();
    uv_unavailable["factor"]["userVerificationKeyUnavailable"] = json!(true);
    let mut odd_shape = entry("webauthn", "webauthn", 1);
    odd_shape["factor"]["properties"] = json!({"USER_VERIFYING": true});
    let mut sms_claims_hw = entry("phone_number", "sms", 1);
    sms_claims_hw["factor"]["properties"] = json!(["HARDWARE_PROTECTED"]);
    let o = parse_json(&payload(vec![
        strong,
        uv_unavailable,
        odd_shape,
        sms_claims_hw,
    ]));
    assert!(o.ignored.is_empty());
    let c: Vec<Characteristics> = o.credited.iter().map(|v| v.characteristics).collect();
    assert!(c[0].user_verifying && c[0].hardware_protected && c[0].phishing_resistant);
    assert!(!c[1].user_verifying && c[1].hardware_protected);
    assert!(!c[2].user_verifying && !c[2].hardware_protected && c[2].phishing_resistant);
    assert_eq!(
        c[3],
        Characteristics::PRESENCE,
        "properties cannot upgrade SMS"
    );
    assert_eq!(
        o.credited[0].factor_classes(),
        FactorClasses::from_iter([FactorClass::Possession, FactorClass::Inherence])
    );
}

#[test]
fn structural_errors_credit_nothing() {
    let cases: [&[u8]; 10] = [
        b"",
        b"not json",
        b"[]",
        b"\"x\"",
        b"null",
        br#"{"factorVerifications": {"0": 1}}"#,
        br#"{"factorVerifications": [[{"authenticatorKeyName": "okta_password"}, 1]]}"#,
        br#"{"factorVerifications": [{"factor": ["AUTHENTICATOR", "x", "password"]}]}"#,
        br#"{"iss": "https://hub.localhost", "iss": "https://evil.example"}"#,
        br#"{"mfaVerified": true} trailing"#,
    ];
    for bytes in cases {
        let o = parse_bytes(bytes);
        assert!(o.credited.is_empty(), "{}", String::from_utf8_lossy(bytes));
        assert_eq!(
            reasons(&o),
            [IgnoreReason::Malformed],
            "{}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(o.ignored[0].what, "OktaAuth");
    }
    let o = parse_bytes(&[0xff, 0xfe, b'{']);
    assert_eq!(reasons(&o), [IgnoreReason::Malformed]);
}

#[test]
fn size_and_count_caps() {
    let big = format!(r#"{{"pad": "{}"}}"#, "a".repeat(MAX_PAYLOAD_BYTES));
    let o = parse_bytes(big.as_bytes());
    assert_eq!(reasons(&o), [IgnoreReason::TooLarge]);
    let many: Vec<Value> = (0..=MAX_FACTOR_VERIFICATIONS)
        .map(|i| entry("okta_password", "password", i as i64))
        .collect();
    let o = parse_json(&payload(many));
    assert!(o.credited.is_empty());
    assert_eq!(reasons(&o), [IgnoreReason::TooLarge]);
    let max: Vec<Value> = (0..MAX_FACTOR_VERIFICATIONS)
        .map(|i| entry("okta_password", "password", i as i64))
        .collect();
    assert_eq!(
        parse_json(&payload(max)).credited.len(),
        MAX_FACTOR_VERIFICATIONS
    );
}

#[test]
fn classic_engine_only_says_mfa_happened() {
    let p = json!({"engine": "CLASSIC", "mfaVerified": "true",
                   "factorVerifications": [entry("okta_password", "password", 10), entry("phone_number", "sms", 20)]});
    let o = parse_json(&p);
    assert_eq!(o.credited.len(), 1);
    let v = &o.credited[0];
    assert_eq!(v.kind, VerificationKind::MfaAsserted);
    assert_eq!(v.verified_at, Timestamp(20), "time of the latest factor");
    assert!(matches!(
        v.source,
        Source::Federated {
            engine: Some(Engine::Classic),
            ..
        }
    ));
    assert_eq!(reasons(&o), [IgnoreReason::ClassicEngineFactor; 2]);

    let o = parse_json(&json!({"engine": "CLASSIC", "mfaVerified": false}));
    assert!(o.credited.is_empty());
    assert_eq!(reasons(&o), [IgnoreReason::ClassicWithoutMfa]);

    let o = parse_json(&json!({"engine": "CLASSIC", "mfaVerified": true, "iat": 7}));
    assert_eq!(o.credited[0].verified_at, Timestamp(7000));
    let o = parse_json(&json!({"engine": "CLASSIC", "mfaVerified": true}));
    assert_eq!(
        o.credited[0].verified_at,
        Timestamp(1_000_000),
        "outer auth time"
    );
}

#[test]
fn expected_classic_engine_applies_when_payload_is_silent() {
    let a = auds();
    let mut b = outer(&a);
    b.expected_engine = Some(Engine::Classic);
    let p = json!({"mfaVerified": "true", "factorVerifications": [entry("okta_password", "password", 1)]});
    let o = parse_okta_auth(OktaAuthInput::OidcObject(&p), &idp(), &b);
    assert_eq!(o.credited.len(), 1);
    assert!(o.credited[0].is_mfa_asserted());
}

#[test]
fn identity_engine_credits_factors_not_the_mfa_flag() {
    let o = parse_json(
        &json!({"engine": "IDENTITY", "mfaVerified": "true", "factorVerifications": []}),
    );
    assert!(o.credited.is_empty() && o.ignored.is_empty());
    let o = parse_json(&payload(vec![
        entry("okta_password", "password", 1),
        entry("okta_verify", "push", 2),
    ]));
    assert_eq!(
        distinct_factor_classes(&o.credited),
        FactorClasses::from_iter([FactorClass::Knowledge, FactorClass::Possession])
    );
    assert!(o.credited.iter().all(|v| !v.is_mfa_asserted()));
}

#[test]
fn emitted_payload_round_trips() {
    let flags = MethodFlags {
        user_verified: true,
        hardware_protected: true,
    };
    let local = [
        catalogue::local_verification(
            &AuthenticatorKey::OktaPassword,
            &MethodType::Password,
            MethodFlags::NONE,
            Timestamp(100),
        ),
        catalogue::local_verification(
            &AuthenticatorKey::Webauthn,
            &MethodType::Webauthn,
            flags,
            Timestamp(200),
        ),
        catalogue::local_verification(
            &AuthenticatorKey::PhoneNumber,
            &MethodType::Voice,
            flags,
            Timestamp(300),
        ),
    ];
    let local: Vec<FactorVerification> = local.into_iter().filter_map(Result::ok).collect();
    assert_eq!(local.len(), 3);
    let aud = auds();
    let header = PayloadHeader {
        iss: ISS,
        aud: &aud[0],
        sub: SUB,
        iat: 1,
        engine: Engine::Identity,
    };
    let p = build_payload(&local, &header);
    assert_eq!(p["mfaVerified"], json!("true"));
    let o = parse_json(&p);
    assert!(o.ignored.is_empty(), "{:?}", o.ignored);
    assert_eq!(o.credited.len(), 3);
    for (got, want) in o.credited.iter().zip(&local) {
        assert_eq!(got.authenticator_key, want.authenticator_key);
        assert_eq!(got.method, want.method);
        assert_eq!(got.factor_class, want.factor_class);
        assert_eq!(got.characteristics, want.characteristics);
        assert_eq!(got.verified_at, want.verified_at);
        assert!(got.source.is_federated());
    }
}
