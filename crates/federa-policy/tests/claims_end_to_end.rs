//! The policy engine fed by the real `federa-claims` AMR reader (threats D.6 T2–T6, T16): what
//! the parser credits or ignores, and the decision policy then takes. Also checks that the
//! policy crate's private method table (`federa_policy::catalogue`) agrees with the claims
//! catalogue on factor class and best characteristics, so the two cannot drift apart silently.

mod support;

use federa_claims::{
    AmrContext, AmrTable, Engine, FactorVerification, IgnoreReason, parse_oidc_amr,
};
use federa_policy::defaults;
use federa_policy::eval::{Decision, EvaluationInput, SessionIdp, evaluate};
use serde_json::{Value, json};
use support::*;

fn decide(amr_claim: Value, factor_only: bool, vm: Value) -> (Decision, usize, Vec<IgnoreReason>) {
    let a = idp("A");
    let ctx = AmrContext {
        idp_id: a.clone(),
        factor_only,
        verified_at: ago(2),
    };
    let out = parse_oidc_amr(Some(&amr_claim), AmrTable::ClaimsSharing, &ctx);
    let verifications: Vec<FactorVerification> = out.credited.clone();
    let ap = access_policy(&[
        json!({"name": "r", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": vm}}}),
    ]);
    let gsps = [defaults::default_sign_on_policy()];
    let enrolls = [defaults::default_mfa_enroll_policy()];
    let active = all_methods(&[
        "okta_password",
        "okta_email",
        "phone_number",
        "okta_verify",
        "webauthn",
    ]);
    let enrolled = all_methods(&["okta_password", "okta_email"]);
    let u = user();
    let input = EvaluationInput {
        sign_on_policies: &gsps,
        access_policy: Some(&ap),
        user: &u,
        groups: &[],
        zones: &[],
        verifications: &verifications,
        now: now(),
        flow_started_at: None,
        session_idp: Some(SessionIdp {
            idp_id: &a,
            authenticated_at: ago(2),
        }),
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &enrolls,
        engine: Engine::Identity,
    };
    (
        evaluate(&input).decision,
        verifications.len(),
        out.ignored.iter().map(|i| i.reason).collect(),
    )
}

fn two_fa() -> Value {
    json!({"factorMode": "2FA"})
}

fn phr() -> Value {
    json!({"factorMode": "2FA", "constraints": [{"possession": {"phishingResistant": "REQUIRED"}}]})
}

fn is_challenge(d: &Decision) -> bool {
    matches!(d, Decision::Challenge { .. })
}

#[test]
fn t2_two_factor_types_from_amr() {
    assert_eq!(
        decide(json!(["pwd", "otp"]), false, two_fa()).0,
        Decision::Allow
    );
}

#[test]
fn t3_mfa_alone_meets_two_types_but_not_phishing_resistance() {
    assert_eq!(decide(json!(["mfa"]), false, two_fa()).0, Decision::Allow);
    let (d, _, _) = decide(json!(["mfa"]), false, phr());
    assert!(is_challenge(&d), "{d:?}");
}

#[test]
fn t4_hardware_is_not_phishing_resistant() {
    assert!(is_challenge(&decide(json!(["pwd", "hwk"]), false, phr()).0));
    assert_eq!(
        decide(json!(["pwd", "phr"]), false, phr()).0,
        Decision::Allow
    );
    assert_eq!(
        decide(json!(["pwd", "phrh"]), false, phr()).0,
        Decision::Allow
    );
}

#[test]
fn t5_malformed_or_unknown_amr_credits_nothing_and_never_locks_out() {
    for claim in [
        json!("mfa"),
        json!([]),
        json!(["PWD", "SMS"]),
        json!(["pwd", "pwd"]),
        json!(["xyz"]),
    ] {
        let (d, credited, _) = decide(claim.clone(), false, two_fa());
        assert!(
            is_challenge(&d),
            "{claim}: {d:?} — absent context must top up, not deny"
        );
        assert!(
            credited <= 1,
            "{claim}: duplicates collapse, unknown and upper-case values are ignored"
        );
    }
}

#[test]
fn t6_biometric_counts_only_with_possession() {
    let (d, _, _) = decide(json!(["fpt"]), false, two_fa());
    assert!(is_challenge(&d), "{d:?}");
    assert_eq!(
        decide(json!(["hwk", "fpt"]), false, two_fa()).0,
        Decision::Allow
    );
}

#[test]
fn t16_factor_only_idp_knowledge_is_not_credited() {
    let (d, credited, ignored) = decide(json!(["pwd", "sms"]), true, two_fa());
    assert!(is_challenge(&d), "{d:?}");
    assert_eq!(credited, 1);
    assert!(
        ignored.contains(&IgnoreReason::KnowledgeFromFactorOnlyIdp),
        "{ignored:?}"
    );
}

#[test]
fn policy_method_table_agrees_with_the_claims_catalogue() {
    let mut drift = Vec::new();
    for entry in federa_claims::catalogue::entries() {
        match federa_policy::catalogue::lookup(&entry.key, &entry.method) {
            None => drift.push(format!(
                "{}/{} missing from the policy table",
                entry.key, entry.method
            )),
            Some(ours) if ours.class != entry.factor_class || ours.best != entry.best() => drift
                .push(format!(
                    "{}/{}: policy {:?} {:?}, claims {:?} {:?}",
                    entry.key,
                    entry.method,
                    ours.class,
                    ours.best,
                    entry.factor_class,
                    entry.best()
                )),
            Some(_) => {}
        }
    }
    assert!(
        drift.is_empty(),
        "the policy method table drifted from the claims catalogue:\n{}",
        drift.join("\n")
    );
}
