//! Save-time rules and the trust-claims lifecycle guard (reference §1.12 GSP, §1.14): which
//! change is refused with which code, and when it is allowed.

mod support;

use federa_policy::access::AccessPolicy;
use federa_policy::defaults;
use federa_policy::lifecycle::{
    ClaimsFeature, IdpKind, IdpTrust, TrustChange, TrustGuardInput, check_trust_change,
};
use federa_policy::save_rules::{check_sign_on_rule, local_factor_types};
use federa_policy::sign_on::{SignOnPolicy, SignOnRule};
use federa_policy::{PolicyError, TrustGuardCode};
use serde_json::json;
use support::*;

fn mfa_rule(conditions: serde_json::Value) -> SignOnRule {
    SignOnRule::from_json(&json!({"name": "MFA", "priority": 1, "conditions": conditions,
        "actions": {"signon": {"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS"}}}))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn gsp_mfa_rule_needs_two_local_factor_types_or_a_trusting_idp() {
    let rule = mfa_rule(serde_json::Value::Null);
    let only_password = all_methods(&["okta_password"]);
    match check_sign_on_rule(&rule, &only_password, false) {
        Err(e @ PolicyError::Unsatisfiable { .. }) => {
            assert_eq!(e.path(), Some("actions.signon.requireFactor"));
            assert_eq!(e.error_code(), "E0000001");
        }
        other => panic!("expected Unsatisfiable, got {other:?}"),
    }
    assert!(
        check_sign_on_rule(&rule, &only_password, true).is_ok(),
        "a trusting IdP can satisfy it"
    );
    assert!(
        check_sign_on_rule(
            &rule,
            &all_methods(&["okta_password", "security_question"]),
            false
        )
        .is_err(),
        "two knowledge factors are one type"
    );
    assert!(
        check_sign_on_rule(&rule, &all_methods(&["okta_password", "okta_email"]), false).is_ok()
    );
    assert!(
        check_sign_on_rule(&rule, &all_methods(&["webauthn"]), false).is_ok(),
        "a user-verifying passkey supplies two types"
    );
    let no_mfa = &defaults::default_sign_on_policy().rules[0];
    assert!(check_sign_on_rule(no_mfa, &only_password, false).is_ok());
    assert_eq!(local_factor_types(&[]), 0);
}

fn idps(a_active: bool) -> Vec<IdpTrust> {
    vec![
        IdpTrust {
            id: idp("A"),
            name: "Hub".into(),
            active: true,
            trust_claims: true,
            map_amr_claims: false,
            kind: IdpKind::OktaOrg,
        },
        IdpTrust {
            id: idp("B"),
            name: "Entra".into(),
            active: a_active,
            trust_claims: true,
            map_amr_claims: false,
            kind: IdpKind::ThirdParty,
        },
        IdpTrust {
            id: idp("C"),
            name: "Plain".into(),
            active: true,
            trust_claims: false,
            map_amr_claims: false,
            kind: IdpKind::ThirdParty,
        },
    ]
}

fn gsp_with(rule: SignOnRule) -> SignOnPolicy {
    let mut p = defaults::default_sign_on_policy();
    p.header.name = "Global MFA".into();
    p.rules.insert(0, rule);
    p
}

fn phr_policy() -> AccessPolicy {
    let mut p = access_policy(&[
        json!({"name": "phr", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW",
        "verificationMethod": {"factorMode": "2FA", "constraints": [{"possession": {"phishingResistant": "REQUIRED"}}]}}}}),
    ]);
    p.header.name = "Payroll".into();
    p
}

fn code(r: federa_policy::Result<()>) -> Option<TrustGuardCode> {
    match r {
        Ok(()) => None,
        Err(PolicyError::TrustClaimsInUse { code, message, .. }) => {
            assert!(message.contains("Trust claims"), "{message}");
            Some(code)
        }
        Err(e) => panic!("unexpected {e}"),
    }
}

#[test]
fn deactivating_the_last_trusting_idp_is_refused_with_the_matching_code() {
    let only_password = all_methods(&["okta_password"]);
    let a = idp("A");
    let list = idps(false);
    let gsp = [gsp_with(mfa_rule(serde_json::Value::Null))];
    let plain_gsp = [defaults::default_sign_on_policy()];
    let phr = [phr_policy()];
    let none: [AccessPolicy; 0] = [];
    let run = |change: TrustChange<'_>, gsp: &[SignOnPolicy], acc: &[AccessPolicy]| {
        code(check_trust_change(&TrustGuardInput {
            change,
            idps: &list,
            sign_on_policies: gsp,
            access_policies: acc,
            active_authenticators: &only_password,
        }))
    };
    assert_eq!(
        run(TrustChange::DeactivateIdp(&a), &gsp, &phr),
        Some(TrustGuardCode::AccessAndSignOn)
    );
    assert_eq!(
        run(TrustChange::DeleteIdp(&a), &gsp, &none),
        Some(TrustGuardCode::SignOnOnly)
    );
    assert_eq!(
        run(TrustChange::DeactivateIdp(&a), &plain_gsp, &phr),
        Some(TrustGuardCode::AccessOnly)
    );
    assert_eq!(
        run(TrustChange::DeactivateIdp(&a), &plain_gsp, &none),
        None,
        "nothing depends on trusted claims"
    );
    assert_eq!(
        run(TrustChange::DeactivateIdp(&idp("C")), &gsp, &phr),
        None,
        "C does not trust claims"
    );
    assert_eq!(
        run(
            TrustChange::DisableFeature(ClaimsFeature::Org2orgClaimsSharing),
            &gsp,
            &phr
        ),
        Some(TrustGuardCode::AccessAndSignOn)
    );
    assert_eq!(
        run(
            TrustChange::DisableFeature(ClaimsFeature::ThirdPartyIdpClaimsSharing),
            &gsp,
            &phr
        ),
        None,
        "B is inactive: nothing changes"
    );
    assert_eq!(TrustGuardCode::AccessAndSignOn.as_str(), "E0000250");
    assert_eq!(TrustGuardCode::SignOnOnly.as_str(), "E0000251");
    assert_eq!(TrustGuardCode::AccessOnly.as_str(), "E0000252");
}

#[test]
fn another_active_trusting_idp_allows_the_change() {
    let only_password = all_methods(&["okta_password"]);
    let a = idp("A");
    let list = idps(true);
    let gsp = [gsp_with(mfa_rule(serde_json::Value::Null))];
    let phr = [phr_policy()];
    let input = TrustGuardInput {
        change: TrustChange::DeactivateIdp(&a),
        idps: &list,
        sign_on_policies: &gsp,
        access_policies: &phr,
        active_authenticators: &only_password,
    };
    assert!(check_trust_change(&input).is_ok());
    // Disabling org2org sharing leaves B (third-party, active, trusting).
    let input = TrustGuardInput {
        change: TrustChange::DisableFeature(ClaimsFeature::Org2orgClaimsSharing),
        ..input
    };
    assert!(check_trust_change(&input).is_ok());
}

#[test]
fn rules_that_local_authenticators_can_meet_do_not_depend_on_trusted_claims() {
    let strong = all_methods(&["okta_password", "okta_email", "webauthn"]);
    let a = idp("A");
    let list = idps(false);
    let gsp = [gsp_with(mfa_rule(serde_json::Value::Null))];
    let phr = [phr_policy()];
    let input = TrustGuardInput {
        change: TrustChange::DeactivateIdp(&a),
        idps: &list,
        sign_on_policies: &gsp,
        access_policies: &phr,
        active_authenticators: &strong,
    };
    assert!(check_trust_change(&input).is_ok());
    // A GSP rule written for IdP A's sessions depends on A even when local MFA is possible.
    let for_a = [gsp_with(mfa_rule(
        json!({"identityProvider": {"provider": "SPECIFIC_IDP", "idpIds": ["0oaIDPA"]}}),
    ))];
    let input = TrustGuardInput {
        sign_on_policies: &for_a,
        ..input
    };
    match check_trust_change(&input) {
        Err(PolicyError::TrustClaimsInUse {
            code,
            sign_on_policies,
            access_policies,
            message,
        }) => {
            assert_eq!(code, TrustGuardCode::SignOnOnly);
            assert_eq!(sign_on_policies, vec!["Global MFA".to_owned()]);
            assert!(access_policies.is_empty());
            assert!(
                message.starts_with("You cannot deactivate IdP 'Hub'"),
                "{message}"
            );
        }
        other => panic!("expected E0000251, got {other:?}"),
    }
}
