//! The policy JSON model: tolerant input (reference §2.5 end: constraints as one object,
//! excludedAuthenticationMethods as an object, lowercase types, `phishingREsistant`), one
//! canonical output (arrays, upper-case enums, defaults filled in), idempotent round trips, and
//! the defaults of a new org.

mod support;

use federa_policy::access::{AccessPolicy, AccessRule};
use federa_policy::defaults;
use federa_policy::discovery::{IdpDiscoveryPolicy, RoutingRule};
use federa_policy::enroll::{EnrollRule, MfaEnrollPolicy};
use federa_policy::policy::{AnyPolicy, AnyRule, PolicyType};
use federa_policy::sign_on::{SignOnPolicy, SignOnRule};
use serde_json::{Value, json};

fn canon<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

fn ok<T>(r: federa_policy::Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

#[test]
fn tolerant_access_rule_input_becomes_the_canonical_form() {
    // Shapes taken from the SPEC examples the reference lists as tolerance requirements.
    let input = json!({
        "type": "ACCESS_POLICY", "name": "2FA precise", "priority": 1,
        "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {
            "type": "ASSURANCE", "factorMode": "2fa", "reauthenticateIn": "PT2H",
            "constraints": {
                "knowledge": {"types": ["password"]},
                "possession": {
                    "phishingREsistant": "required",
                    "deviceBound": "REQUIRED",
                    "excludedAuthenticationMethods": {"key": "okta_email", "method": "email"}
                }
            }
        }}}
    });
    let rule = ok(AccessRule::from_json(&input));
    let expected = json!({
        "type": "ACCESS_POLICY", "name": "2FA precise", "priority": 1, "status": "ACTIVE", "system": false,
        "conditions": null,
        "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {
            "type": "ASSURANCE", "factorMode": "2FA", "reauthenticateIn": "PT2H",
            "constraints": [{
                "knowledge": {"required": true, "types": ["PASSWORD"]},
                "possession": {
                    "required": false,
                    "excludedAuthenticationMethods": [{"key": "okta_email", "method": "email"}],
                    "deviceBound": "REQUIRED", "hardwareProtection": "OPTIONAL",
                    "phishingResistant": "REQUIRED", "userPresence": "REQUIRED",
                    "userVerification": "OPTIONAL"
                }
            }]
        }}}
    });
    assert_eq!(canon(&rule), expected);
    // The canonical form reads back to the same value (idempotent).
    let again = ok(AccessRule::from_json(&expected));
    assert_eq!(again, rule);
    let via_serde: AccessRule = serde_json::from_value(expected).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(via_serde, rule);
}

#[test]
fn required_defaults_to_true_and_explicit_values_are_kept() {
    let rule = |possession: Value| {
        ok(AccessRule::from_json(
            &json!({"name": "r", "actions": {"appSignOn": {"access": "ALLOW",
            "verificationMethod": {"factorMode": "2FA", "constraints": [{"possession": possession}]}}}}),
        ))
    };
    let get = |r: &AccessRule| {
        canon(r)["actions"]["appSignOn"]["verificationMethod"]["constraints"][0]["possession"]["required"].clone()
    };
    assert_eq!(get(&rule(json!({}))), json!(true));
    assert_eq!(
        get(&rule(
            json!({"excludedAuthenticationMethods": [{"key": "okta_email"}]})
        )),
        json!(false)
    );
    assert_eq!(get(&rule(json!({"required": false}))), json!(false));
    assert_eq!(
        get(&rule(
            json!({"required": true, "excludedAuthenticationMethods": [{"key": "okta_email"}]})
        )),
        json!(true)
    );
}

#[test]
fn omitted_verification_method_and_factor_mode_default_to_two_factors() {
    let r = ok(AccessRule::from_json(
        &json!({"name": "r", "actions": {"appSignOn": {"access": "ALLOW"}}}),
    ));
    assert_eq!(
        canon(&r)["actions"]["appSignOn"]["verificationMethod"],
        json!({"type": "ASSURANCE", "factorMode": "2FA", "constraints": []})
    );
    let deny = ok(AccessRule::from_json(
        &json!({"name": "r", "actions": {"appSignOn": {"access": "DENY"}}}),
    ));
    assert_eq!(
        canon(&deny)["actions"]["appSignOn"],
        json!({"access": "DENY"})
    );
}

#[test]
fn sdk_style_empty_conditions_are_accepted() {
    let r = ok(AccessRule::from_json(&json!({
        "name": "r", "id": "0prABC", "created": "2026-01-01T00:00:00.000Z", "_links": {"self": {}},
        "conditions": {"platform": null, "userType": {"include": [], "exclude": []}, "riskScore": {"level": "ANY"},
                       "people": {"groups": {"include": ["00gGROUP000000000001"]}}},
        "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {"factorMode": "1FA"}}}
    })));
    assert_eq!(
        canon(&r)["conditions"],
        json!({"people": {"groups": {"include": ["00gGROUP000000000001"], "exclude": []}}})
    );
    assert_eq!(canon(&r)["id"], json!("0prABC"));
}

#[test]
fn chains_round_trip() {
    let input = json!({"name": "chain", "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {
        "type": "AUTH_METHOD_CHAIN", "chains": [{
            "authenticationMethods": [{"key": "okta_password", "method": "password"}],
            "next": [{"authenticationMethods": [{"key": "webauthn", "method": "webauthn", "userVerification": "REQUIRED"}],
                      "reauthenticateIn": "PT1H"}],
            "reauthenticateIn": "PT12H"
        }]
    }}}});
    let r = ok(AccessRule::from_json(&input));
    let c = canon(&r);
    assert_eq!(
        c["actions"]["appSignOn"]["verificationMethod"]["chains"][0]["next"][0]["authenticationMethods"]
            [0],
        json!({"key": "webauthn", "method": "webauthn", "userVerification": "REQUIRED"})
    );
    assert_eq!(ok(AccessRule::from_json(&c)), r);
}

#[test]
fn sign_on_rule_defaults_are_filled_in() {
    let r = ok(SignOnRule::from_json(
        &json!({"name": "s", "type": "SIGN_ON", "actions": {"signon": {"access": "ALLOW"}}}),
    ));
    assert_eq!(
        canon(&r)["actions"]["signon"],
        json!({
            "access": "ALLOW", "requireFactor": false, "rememberDeviceByDefault": false,
            "primaryFactor": "PASSWORD_IDP_ANY_FACTOR",
            "session": {"maxSessionIdleMinutes": 120, "maxSessionLifetimeMinutes": 0, "usePersistentCookie": false}
        })
    );
    let mfa = ok(SignOnRule::from_json(
        &json!({"name": "s", "actions": {"signon": {
        "access": "ALLOW", "requireFactor": true, "factorPromptMode": "session"}}}),
    ));
    assert_eq!(
        canon(&mfa)["actions"]["signon"]["factorLifetime"],
        json!(15)
    );
    assert_eq!(
        canon(&mfa)["actions"]["signon"]["factorPromptMode"],
        json!("SESSION")
    );
}

#[test]
fn default_access_policy_matches_the_reference_catch_all() {
    let p = defaults::default_access_policy();
    assert_eq!(
        canon(&p),
        json!({
            "type": "ACCESS_POLICY", "name": "Default Policy", "description": "The default app sign-in policy",
            "priority": 1, "status": "ACTIVE", "system": true, "conditions": null
        })
    );
    assert_eq!(
        canon(&p.rules[0]),
        json!({
            "type": "ACCESS_POLICY", "name": "Catch-all rule", "priority": 99, "status": "ACTIVE", "system": true,
            "conditions": null,
            "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {
                "type": "ASSURANCE", "factorMode": "1FA", "reauthenticateIn": "PT12H", "constraints": []}}}
        })
    );
}

#[test]
fn default_sign_on_policy_is_one_catch_all_rule_without_mfa() {
    let p = defaults::default_sign_on_policy();
    assert_eq!(p.rules.len(), 1);
    let r = canon(&p.rules[0]);
    assert_eq!(r["type"], json!("SIGN_ON"));
    assert_eq!(r["system"], json!(true));
    assert_eq!(r["actions"]["signon"]["access"], json!("ALLOW"));
    assert_eq!(r["actions"]["signon"]["requireFactor"], json!(false));
    assert_eq!(
        r["actions"]["signon"]["primaryFactor"],
        json!("PASSWORD_IDP_ANY_FACTOR")
    );
    assert_eq!(
        r["actions"]["signon"]["session"]["maxSessionIdleMinutes"],
        json!(120)
    );
}

#[test]
fn default_routing_rule_goes_to_okta() {
    let p = defaults::default_idp_discovery_policy();
    assert_eq!(
        canon(&p.rules[0])["actions"]["idp"],
        json!({
            "providers": [{"type": "OKTA"}], "idpSelectionType": "SPECIFIC", "shouldFallBackToOkta": false
        })
    );
}

#[test]
fn default_enrollment_policy_settings() {
    let p = defaults::default_mfa_enroll_policy();
    assert_eq!(
        canon(&p)["settings"],
        json!({"type": "AUTHENTICATORS", "authenticators": [
            {"key": "okta_password", "enroll": {"self": "REQUIRED"}},
            {"key": "okta_email", "enroll": {"self": "OPTIONAL"}},
            {"key": "phone_number", "enroll": {"self": "OPTIONAL"}},
            {"key": "google_otp", "enroll": {"self": "OPTIONAL"}},
            {"key": "okta_verify", "enroll": {"self": "OPTIONAL"}},
            {"key": "webauthn", "enroll": {"self": "OPTIONAL"}},
            {"key": "security_question", "enroll": {"self": "NOT_ALLOWED"}}
        ]})
    );
}

#[test]
fn every_default_round_trips_through_its_canonical_json() {
    let sp = defaults::default_sign_on_policy();
    assert_eq!(ok(SignOnPolicy::from_json(&canon(&sp))).header, sp.header);
    assert_eq!(ok(SignOnRule::from_json(&canon(&sp.rules[0]))), sp.rules[0]);
    let ap = defaults::default_access_policy();
    assert_eq!(ok(AccessPolicy::from_json(&canon(&ap))).header, ap.header);
    assert_eq!(ok(AccessRule::from_json(&canon(&ap.rules[0]))), ap.rules[0]);
    let dp = defaults::default_idp_discovery_policy();
    assert_eq!(
        ok(IdpDiscoveryPolicy::from_json(&canon(&dp))).header,
        dp.header
    );
    assert_eq!(
        ok(RoutingRule::from_json(&canon(&dp.rules[0]))),
        dp.rules[0]
    );
    let ep = defaults::default_mfa_enroll_policy();
    let back = ok(MfaEnrollPolicy::from_json(&canon(&ep)));
    assert_eq!(
        (back.header, back.settings),
        (ep.header.clone(), ep.settings.clone())
    );
    assert_eq!(ok(EnrollRule::from_json(&canon(&ep.rules[0]))), ep.rules[0]);
}

#[test]
fn any_policy_and_any_rule_dispatch_on_type() {
    let p = ok(AnyPolicy::from_json(
        &json!({"type": "OKTA_SIGN_ON", "name": "GSP", "priority": 2}),
    ));
    assert!(matches!(p, AnyPolicy::SignOn(_)));
    assert_eq!(p.to_json()["type"], json!("OKTA_SIGN_ON"));
    let r = ok(AnyRule::from_json(
        PolicyType::IdpDiscovery,
        &json!({"name": "route", "actions": {"idp": {
        "providers": [{"type": "SAML2", "id": "0oaIDPA"}]}}}),
    ));
    assert_eq!(
        r.to_json()["actions"]["idp"]["idpSelectionType"],
        json!("SPECIFIC")
    );
    assert_eq!(r.header().name, "route");
}
