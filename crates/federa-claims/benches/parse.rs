//! Benchmark: parsing and crediting a ~2 KB decrypted `okta_auth` payload (target ≤ 20 µs),
//! plus the third-party `amr` path for comparison.
//!
//! Run: `CARGO_TARGET_DIR=/work/targets/claims cargo bench -p federa-claims --bench parse`

use criterion::{Criterion, criterion_group, criterion_main};
use federa_claims::amr::{AmrContext, AmrTable, parse_oidc_amr};
use federa_claims::okta_auth::{OktaAuthInput, OuterBinding, parse_okta_auth};
use federa_claims::{IdpId, Timestamp};
use serde_json::json;
use std::hint::black_box;

fn factor(key: &str, kind: &str, method: &str, name: &str, ts: i64) -> serde_json::Value {
    json!({
        "factor": {
            "type": "AUTHENTICATOR",
            "displayName": name,
            "status": "ACTIVE",
            "authenticatorType": kind,
            "methodType": method,
            "authenticatorKeyName": key,
            "profile": { "phoneNumber": "+1 XXX-XXX-2282" },
            "properties": ["USER_VERIFYING"],
            "propertiesToVerify": [],
            "propertiesRequiredToVerify": [],
            "factorClassesToBeChallengedByThisMethod": [],
            "usableForRecoveryOnly": false,
            "userVerificationKeyUnavailable": false
        },
        "verificationTimestamp": ts
    })
}

fn payload() -> Vec<u8> {
    let p = json!({
        "iss": "https://hub.localhost",
        "aud": "https://spoke.localhost/sso/saml2/0oa1234567890abcdefg",
        "sub": "alice@example.com",
        "iat": 1_724_277_330,
        "engine": "IDENTITY",
        "mfaVerified": "true",
        "factorVerifications": [
            factor("okta_password", "password", "password", "Password", 1_724_277_320_000),
            factor("phone_number", "phone", "sms", "Phone", 1_724_277_328_376),
            factor("webauthn", "security_key", "webauthn", "Security Key or Biometric", 1_724_277_329_000),
            factor("okta_verify", "app", "push", "Okta Verify", 1_724_277_329_500),
            factor("external_idp", "federated", "idp", "IdP Authenticator", 1_724_277_329_900),
        ]
    });
    serde_json::to_vec(&p).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let bytes = payload();
    eprintln!("okta_auth payload: {} bytes", bytes.len());
    let auds = vec!["https://spoke.localhost/sso/saml2/0oa1234567890abcdefg".to_owned()];
    let outer = OuterBinding {
        issuer: "https://hub.localhost",
        audiences: &auds,
        subject: "alice@example.com",
        expected_engine: None,
        authenticated_at: Timestamp(1_724_277_330_000),
    };
    let idp = IdpId::new("0oa1234567890abcdefg");
    let check = parse_okta_auth(OktaAuthInput::Saml(&bytes), &idp, &outer);
    assert_eq!(check.credited.len(), 4, "{:?}", check.ignored);

    c.bench_function("okta_auth_2kb_parse_and_credit", |b| {
        b.iter(|| parse_okta_auth(OktaAuthInput::Saml(black_box(&bytes)), &idp, &outer))
    });

    let amr = json!(["pwd", "sms", "hwk", "fpt", "mfa", "x-unknown"]);
    let ctx = AmrContext {
        idp_id: idp.clone(),
        factor_only: false,
        verified_at: Timestamp(0),
    };
    c.bench_function("oidc_amr_6_values", |b| {
        b.iter(|| parse_oidc_amr(Some(black_box(&amr)), AmrTable::ClaimsSharing, &ctx))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
