//! One policy decision for a realistic org: 10 global session policies of 10 rules each (the
//! user matches only the last policy, and only its catch-all rule), an app sign-in policy of 10
//! rules (9 scoped to other groups / zones), 5 credited verifications from local and federated
//! sources, the default enrollment policy and 7 active authenticators. Target ≤ 5 µs.
//!
//! Run: `CARGO_TARGET_DIR=/work/targets/policy cargo bench -p federa-policy --bench decide`

use criterion::{Criterion, criterion_group, criterion_main};
use federa_claims::{
    AmrValue, AuthenticatorKey, Carrier, Characteristics, Engine, FactorClass, FactorVerification,
    IdpId, MethodType, Source, VerificationKind,
};
use federa_policy::access::AccessRule;
use federa_policy::eval::{
    AuthenticatorMethods, EvaluationInput, SessionIdp, evaluate, local_verification,
};
use federa_policy::ids::ZoneId;
use federa_policy::sign_on::{SignOnPolicy, SignOnRule};
use federa_policy::{Decision, defaults};
use federa_types::{GroupId, Timestamp, UserId};
use serde_json::json;
use std::hint::black_box;

const NOW: i64 = 1_795_428_000_000;

fn gid(n: usize) -> GroupId {
    GroupId::parse(&format!("00gBENCH{n:012}")).unwrap_or_else(|e| panic!("{e}"))
}

fn sign_on_policies() -> Vec<SignOnPolicy> {
    (0..10)
        .map(|p| {
            let conditions = if p < 9 {
                json!({"people": {"groups": {"include": [gid(100 + p).as_str()]}}})
            } else {
                json!(null)
            };
            let mut pol = SignOnPolicy::from_json(&json!({"type": "OKTA_SIGN_ON", "name": format!("GSP {p}"),
                "priority": p + 1, "system": p == 9, "conditions": conditions}))
            .unwrap_or_else(|e| panic!("{e}"));
            pol.rules = (0..10)
                .map(|r| {
                    let conditions = if r < 9 {
                        json!({"network": {"connection": "ZONE", "include": [format!("nzoZONE{r}")]},
                               "people": {"groups": {"exclude": [gid(200 + r).as_str()]}}})
                    } else {
                        json!(null)
                    };
                    SignOnRule::from_json(&json!({"name": format!("rule {r}"), "priority": r + 1, "conditions": conditions,
                        "actions": {"signon": {"access": "ALLOW", "requireFactor": r == 9, "factorPromptMode": "ALWAYS"}}}))
                    .unwrap_or_else(|e| panic!("{e}"))
                })
                .collect();
            pol
        })
        .collect()
}

fn access_rules(vm: serde_json::Value) -> Vec<AccessRule> {
    (0..10)
        .map(|r| {
            let doc = if r < 9 {
                json!({"name": format!("scoped {r}"), "priority": r + 1,
                       "conditions": {"people": {"groups": {"include": [gid(300 + r).as_str()]}},
                                      "network": {"connection": "ZONE", "include": ["nzoOFFICE"]}},
                       "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {"factorMode": "1FA"}}}})
            } else {
                json!({"name": "everyone", "priority": 10, "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": vm}}})
            };
            AccessRule::from_json(&doc).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

fn verifications(idp: &IdpId) -> Vec<FactorVerification> {
    let at = Timestamp(NOW - 120_000);
    let fed = |carrier, engine| Source::Federated {
        idp_id: idp.clone(),
        carrier,
        engine,
    };
    let mut out = Vec::new();
    for (k, m) in [
        (AuthenticatorKey::OktaPassword, MethodType::Password),
        (AuthenticatorKey::OktaEmail, MethodType::Email),
    ] {
        out.extend(local_verification(&k, &m, at));
    }
    if let Some(mut w) = local_verification(&AuthenticatorKey::Webauthn, &MethodType::Webauthn, at)
    {
        w.source = fed(Carrier::OktaAuthOidc, Some(Engine::Identity));
        out.push(w);
    }
    out.push(FactorVerification {
        authenticator_key: None,
        method: None,
        amr: Some(AmrValue::Sms),
        factor_class: Some(FactorClass::Possession),
        characteristics: Characteristics::PRESENCE,
        kind: VerificationKind::Factor,
        verified_at: at,
        source: fed(Carrier::OidcAmr, None),
    });
    out.push(FactorVerification {
        authenticator_key: None,
        method: None,
        amr: Some(AmrValue::Mfa),
        factor_class: None,
        characteristics: Characteristics::NONE,
        kind: VerificationKind::MfaAsserted,
        verified_at: at,
        source: fed(Carrier::OidcAmr, None),
    });
    out
}

fn bench(c: &mut Criterion) {
    let gsps = sign_on_policies();
    let idp = IdpId::new("0oaBENCHIDP");
    let vs = verifications(&idp);
    let user = UserId::parse("00uBENCH000000000001").unwrap_or_else(|e| panic!("{e}"));
    let groups: Vec<GroupId> = (0..5).map(gid).collect();
    let zones = [ZoneId::new("nzoHOME")];
    let enrolls = [defaults::default_mfa_enroll_policy()];
    let active: Vec<AuthenticatorMethods> = [
        "okta_password",
        "security_question",
        "okta_email",
        "phone_number",
        "okta_verify",
        "google_otp",
        "webauthn",
    ]
    .iter()
    .filter_map(|k| AuthenticatorKey::known(k).map(AuthenticatorMethods::all))
    .collect();
    let enrolled: Vec<AuthenticatorMethods> = ["okta_password", "okta_email"]
        .iter()
        .filter_map(|k| AuthenticatorKey::known(k).map(AuthenticatorMethods::all))
        .collect();

    let mut allow = defaults::default_access_policy();
    allow.rules = access_rules(json!({"factorMode": "2FA", "reauthenticateIn": "PT12H",
        "constraints": [{"possession": {"phishingResistant": "REQUIRED", "excludedAuthenticationMethods": [{"key": "okta_email"}], "required": true}}]}));
    let mut challenge = defaults::default_access_policy();
    challenge.rules = access_rules(json!({"factorMode": "2FA",
        "constraints": [{"possession": {"hardwareProtection": "REQUIRED", "userVerification": "REQUIRED", "reauthenticateIn": "PT1M"}}]}));

    let input = |ap| EvaluationInput {
        sign_on_policies: &gsps,
        access_policy: Some(ap),
        user: &user,
        groups: &groups,
        zones: &zones,
        verifications: &vs,
        now: Timestamp(NOW),
        flow_started_at: None,
        session_idp: Some(SessionIdp {
            idp_id: &idp,
            authenticated_at: Timestamp(NOW - 120_000),
        }),
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &enrolls,
        engine: Engine::Identity,
    };
    let allow_in = input(&allow);
    let challenge_in = input(&challenge);
    assert_eq!(evaluate(&allow_in).decision, Decision::Allow);
    assert!(matches!(
        evaluate(&challenge_in).decision,
        Decision::Challenge { .. }
    ));

    c.bench_function(
        "decide/allow (10x10 GSP, 10 app rules, 5 verifications)",
        |b| b.iter(|| black_box(evaluate(black_box(&allow_in)).decision)),
    );
    c.bench_function("decide/challenge (same org, top-up with options)", |b| {
        b.iter(|| black_box(evaluate(black_box(&challenge_in)).decision))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
