//! Property tests of the decision engine (brief §6): crediting one more verification never turns
//! ALLOW into CHALLENGE or DENY; a method in `excludedAuthenticationMethods` never counts for
//! the constraint that excludes it and never changes whether the app rule is met; the decision
//! does not depend on the order of the verifications.

mod support;

use federa_claims::{Engine, FactorVerification};
use federa_policy::defaults;
use federa_policy::eval::explain::Use;
use federa_policy::eval::{Decision, EvaluationInput, SessionIdp, evaluate};
use federa_policy::sign_on::{SignOnPolicy, SignOnRule};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::*;

fn rules() -> Vec<Value> {
    vec![
        json!({"factorMode":"1FA"}),
        json!({"factorMode":"2FA"}),
        json!({"factorMode":"1FA","reauthenticateIn":"PT30M"}),
        json!({"factorMode":"2FA","constraints":[{"possession":{"phishingResistant":"REQUIRED"}}]}),
        json!({"factorMode":"2FA","constraints":[{"possession":{"deviceBound":"REQUIRED","reauthenticateIn":"PT10M"}}]}),
        json!({"factorMode":"2FA","constraints":[{"knowledge":{"types":["password"]},"possession":{}}]}),
        json!({"factorMode":"2FA","constraints":[{"possession":{"excludedAuthenticationMethods":[{"key":"okta_email"}]}}]}),
        json!({"factorMode":"2FA","constraints":[{"possession":{"authenticationMethods":[{"key":"webauthn"},{"key":"phone_number","method":"sms"}]}}]}),
        json!({"factorMode":"2FA","constraints":[{"possession":{"hardwareProtection":"REQUIRED"}},{"knowledge":{},"possession":{"userVerification":"REQUIRED"}}]}),
        json!({"type":"AUTH_METHOD_CHAIN","chains":[{"authenticationMethods":[{"key":"okta_password","method":"password"}],"next":[{"authenticationMethods":[{"key":"webauthn","method":"webauthn"},{"key":"phone_number","method":"sms"}]}]}]}),
    ]
}

const TOKENS: &[&str] = &[
    "pwd",
    "sq",
    "email",
    "sms",
    "voice",
    "totp",
    "push",
    "fastpass",
    "gotp",
    "webauthn",
    "A:amr/pwd",
    "A:amr/kba",
    "A:amr/sms",
    "A:amr/tel",
    "A:amr/otp",
    "A:amr/swk",
    "A:amr/hwk",
    "A:amr/phr",
    "A:amr/phrh",
    "A:amr/mfa",
    "A:amr/fpt",
    "A:amr/hwk+fpt",
    "A:okta/pwd",
    "A:okta/sms",
    "A:okta/email",
    "A:okta/webauthn",
    "A:okta/fastpass",
    "A:okta/mfa",
    "A:classic/mfa",
    "A:classic/pwd",
    "A:classic/sms",
];

fn build(tok: &str, minutes_ago: i64) -> FactorVerification {
    let at = ago(minutes_ago);
    match tok.split_once(':') {
        None => local(tok, at),
        Some((i, rest)) => {
            let from = idp(i);
            match rest.split_once('/') {
                Some(("amr", v)) => amr(v, &from, at),
                Some(("okta", v)) => okta(v, &from, at, Engine::Identity),
                Some(("classic", v)) => okta(v, &from, at, Engine::Classic),
                _ => panic!("bad token {tok}"),
            }
        }
    }
}

fn verification() -> impl Strategy<Value = FactorVerification> {
    (0..TOKENS.len(), 0i64..90).prop_map(|(i, m)| build(TOKENS[i], m))
}

#[derive(Debug, Clone)]
struct Scenario {
    rule: usize,
    gsp_mfa: bool,
    federated: bool,
    classic_org: bool,
    vs: Vec<FactorVerification>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        0..rules().len(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::collection::vec(verification(), 0..5),
    )
        .prop_map(|(rule, gsp_mfa, federated, classic_org, vs)| Scenario {
            rule,
            gsp_mfa,
            federated,
            classic_org,
            vs,
        })
}

fn decide(
    s: &Scenario,
    vs: &[FactorVerification],
) -> (
    Decision,
    Vec<federa_policy::eval::explain::VerificationNote>,
) {
    let rule = json!({"name":"r","priority":1,"actions":{"appSignOn":{"access":"ALLOW","verificationMethod": rules()[s.rule]}}});
    let ap = access_policy(&[rule]);
    let mut gsp = defaults::default_sign_on_policy();
    if s.gsp_mfa {
        let r = json!({"name":"mfa","priority":1,"actions":{"signon":{"access":"ALLOW","requireFactor":true,"factorPromptMode":"ALWAYS"}}});
        gsp = SignOnPolicy {
            rules: vec![SignOnRule::from_json(&r).unwrap_or_else(|e| panic!("{e}"))],
            ..gsp
        };
    }
    let gsps = [gsp];
    let enrolls = [defaults::default_mfa_enroll_policy()];
    let active = all_methods(&[
        "okta_password",
        "security_question",
        "okta_email",
        "phone_number",
        "okta_verify",
        "google_otp",
        "webauthn",
    ]);
    let enrolled = all_methods(&["okta_password", "okta_email"]);
    let u = user();
    let a = idp("A");
    let input = EvaluationInput {
        sign_on_policies: &gsps,
        access_policy: Some(&ap),
        user: &u,
        groups: &[],
        zones: &[],
        verifications: vs,
        now: now(),
        flow_started_at: None,
        session_idp: s.federated.then(|| SessionIdp {
            idp_id: &a,
            authenticated_at: ago(60),
        }),
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &enrolls,
        engine: if s.classic_org {
            Engine::Classic
        } else {
            Engine::Identity
        },
    };
    let out = evaluate(&input);
    (out.decision, out.explanation.verifications)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn crediting_more_never_turns_allow_into_challenge_or_deny(s in scenario(), extra in verification(), at in 0usize..6) {
        let (before, _) = decide(&s, &s.vs);
        let mut more = s.vs.clone();
        more.insert(at.min(more.len()), extra);
        let (after, _) = decide(&s, &more);
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow, "adding a verification lost ALLOW");
        }
    }

    #[test]
    fn decision_does_not_depend_on_verification_order(s in scenario(), seed in any::<u64>()) {
        let (a, _) = decide(&s, &s.vs);
        let mut shuffled = s.vs.clone();
        // Deterministic Fisher-Yates from the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let (b, _) = decide(&s, &shuffled);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn chain_decisions_do_not_depend_on_order(
        picks in prop::collection::vec((0usize..6, 0i64..20), 2..6),
        seed in any::<u64>(),
    ) {
        const CHAIN_TOKENS: &[&str] = &["pwd", "A:okta/pwd", "sms", "webauthn", "A:okta/sms", "A:okta/webauthn"];
        let s = Scenario { rule: 9, gsp_mfa: false, federated: true, classic_org: false, vs: Vec::new() };
        let vs: Vec<FactorVerification> = picks.iter().map(|(i, m)| build(CHAIN_TOKENS[*i], *m)).collect();
        let (a, _) = decide(&s, &vs);
        let mut rev = vs.clone();
        rev.rotate_left((seed % vs.len() as u64) as usize);
        rev.reverse();
        let (b, _) = decide(&s, &rev);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn excluded_methods_never_satisfy(mut s in scenario(), extra_ago in 0i64..30, which in 0usize..3) {
        // Rule 6 excludes okta_email from possession.
        s.rule = 6;
        let excluded = ["email", "A:okta/email", "A:amr/email"][which];
        let v = if excluded == "A:amr/email" {
            amr("email", &idp("A"), ago(extra_ago))
        } else {
            build(excluded, extra_ago)
        };
        let mut with = s.vs.clone();
        with.push(v);
        let (d_with, notes) = decide(&s, &with);
        let idx = with.len() - 1;
        let counted = &notes[idx].counted_for;
        prop_assert!(
            !counted.iter().any(|u| matches!(u, Use::Possession { .. } | Use::FactorTypes { .. })),
            "excluded email counted for {:?}", counted
        );
        let (d_without, _) = decide(&s, &s.vs);
        let app_met = |d: &Decision| match d {
            Decision::Allow => true,
            Decision::Challenge { unmet, .. } => unmet.iter().all(|u| matches!(u,
                federa_policy::Unmet::SessionMfa { .. } | federa_policy::Unmet::SessionAnyFactor | federa_policy::Unmet::SessionPassword | federa_policy::Unmet::ClassicLocalMfa)),
            Decision::Deny { .. } => false,
        };
        prop_assert!(
            !app_met(&d_with) || app_met(&d_without),
            "the excluded method made the app rule pass: with {:?} without {:?}", d_with, d_without
        );
    }
}
