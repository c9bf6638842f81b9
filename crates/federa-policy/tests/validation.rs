//! One test per class of bad input (brief §1), each asserting the field path the API layer puts
//! in the `E0000001` cause: unknown enum values, wrong JSON types, contradictory constraints,
//! out-of-range priorities, chains too deep or too many, unsupported conditions, malformed
//! durations and ids, and unknown references through the caller's resolver.

mod support;

use federa_policy::PolicyError;
use federa_policy::access::AccessRule;
use federa_policy::discovery::RoutingRule;
use federa_policy::enroll::MfaEnrollPolicy;
use federa_policy::ids::{AppId, AuthenticatorId};
use federa_policy::policy::{AnyPolicy, AnyRule, PolicyType};
use federa_policy::refs::{check_policy, check_rule};
use federa_policy::sign_on::SignOnRule;
use serde_json::{Value, json};
use support::*;

const VM: &str = "actions.appSignOn.verificationMethod";

fn path_of<T: std::fmt::Debug>(r: federa_policy::Result<T>) -> String {
    match r {
        Err(e) => {
            assert_eq!(e.error_code(), "E0000001", "{e}");
            e.path().unwrap_or_default().to_owned()
        }
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

fn access(vm: Value) -> federa_policy::Result<AccessRule> {
    AccessRule::from_json(
        &json!({"name": "r", "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": vm}}}),
    )
}

fn possession(p: Value) -> federa_policy::Result<AccessRule> {
    access(json!({"factorMode": "2FA", "constraints": [{"possession": p}]}))
}

#[test]
fn unknown_enum_values_name_their_field() {
    assert_eq!(
        path_of(access(json!({"factorMode": "3FA"}))),
        format!("{VM}.factorMode")
    );
    assert_eq!(
        path_of(access(json!({"type": "MAGIC"}))),
        format!("{VM}.type")
    );
    assert_eq!(
        path_of(possession(json!({"types": ["PHONE", "SMARTCARD"]}))),
        format!("{VM}.constraints[0].possession.types[1]")
    );
    assert_eq!(
        path_of(possession(json!({"methods": ["CARRIER_PIGEON"]}))),
        format!("{VM}.constraints[0].possession.methods[0]")
    );
    assert_eq!(
        path_of(possession(json!({"deviceBound": "SOMETIMES"}))),
        format!("{VM}.constraints[0].possession.deviceBound")
    );
    assert_eq!(
        path_of(AccessRule::from_json(
            &json!({"name": "r", "actions": {"appSignOn": {"access": "MAYBE"}}})
        )),
        "actions.appSignOn.access"
    );
    assert_eq!(
        path_of(possession(
            json!({"authenticationMethods": [{"key": "carrier_pigeon"}]})
        )),
        format!("{VM}.constraints[0].possession.authenticationMethods[0].key")
    );
    assert_eq!(
        path_of(possession(
            json!({"authenticationMethods": [{"key": "okta_email", "method": "sms"}]})
        )),
        format!("{VM}.constraints[0].possession.authenticationMethods[0].method")
    );
    let e = access(json!({"factorMode": "3FA"}))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("expected one of 1FA, 2FA"), "{e}");
}

#[test]
fn wrong_json_types_name_their_field() {
    assert_eq!(
        path_of(access(json!({"factorMode": 2}))),
        format!("{VM}.factorMode")
    );
    assert_eq!(
        path_of(access(json!({"constraints": "all"}))),
        format!("{VM}.constraints")
    );
    assert_eq!(
        path_of(possession(json!({"required": "yes"}))),
        format!("{VM}.constraints[0].possession.required")
    );
    assert_eq!(path_of(AccessRule::from_json(&json!([]))), "(document)");
    assert_eq!(
        path_of(AccessRule::from_json(&json!({"actions": {}}))),
        "name"
    );
    assert_eq!(
        path_of(federa_policy::parse_json(b"{not json")),
        "(document)"
    );
}

#[test]
fn contradictory_constraints_name_the_contradicting_field() {
    // The example path of the brief: phishing resistance required of possession methods that
    // cannot have it.
    assert_eq!(
        path_of(possession(
            json!({"methods": ["SMS", "VOICE"], "phishingResistant": "REQUIRED"})
        )),
        format!("{VM}.constraints[0].possession.phishingResistant")
    );
    assert_eq!(
        path_of(possession(
            json!({"authenticationMethods": [{"key": "okta_email"}], "hardwareProtection": "REQUIRED"})
        )),
        format!("{VM}.constraints[0].possession.hardwareProtection")
    );
    assert_eq!(
        path_of(possession(
            json!({"types": ["EMAIL", "PHONE"], "deviceBound": "REQUIRED"})
        )),
        format!("{VM}.constraints[0].possession.deviceBound")
    );
    assert_eq!(
        path_of(possession(
            json!({"methods": ["OTP"], "userVerification": "REQUIRED"})
        )),
        format!("{VM}.constraints[0].possession.userVerification")
    );
    // Characteristics required inside a constraint with only knowledge.
    for key in [
        "phishingResistant",
        "hardwareProtection",
        "deviceBound",
        "userVerification",
    ] {
        let k =
            access(json!({"factorMode": "2FA", "constraints": [{"knowledge": {key: "REQUIRED"}}]}));
        assert_eq!(path_of(k), format!("{VM}.constraints[0].knowledge.{key}"));
    }
    let typo = access(
        json!({"factorMode": "2FA", "constraints": [{"knowledge": {"phishingREsistant": "REQUIRED"}}]}),
    );
    assert_eq!(
        path_of(typo),
        format!("{VM}.constraints[0].knowledge.phishingResistant")
    );
    // Types, methods and authenticators of the wrong class.
    assert_eq!(
        path_of(access(
            json!({"factorMode": "2FA", "constraints": [{"knowledge": {"types": ["PHONE"]}}]})
        )),
        format!("{VM}.constraints[0].knowledge.types[0]")
    );
    assert_eq!(
        path_of(possession(json!({"methods": ["PASSWORD"]}))),
        format!("{VM}.constraints[0].possession.methods[0]")
    );
    assert_eq!(
        path_of(access(
            json!({"factorMode": "2FA", "constraints": [{"knowledge": {"authenticationMethods": [{"key": "okta_email"}]}}]})
        )),
        format!("{VM}.constraints[0].knowledge.authenticationMethods[0].key")
    );
    // Allow-specific and disallow-specific together; a filter that leaves nothing.
    assert_eq!(
        path_of(possession(
            json!({"authenticationMethods": [{"key": "webauthn"}], "excludedAuthenticationMethods": [{"key": "okta_email"}]})
        )),
        format!("{VM}.constraints[0].possession.excludedAuthenticationMethods")
    );
    assert_eq!(
        path_of(access(
            json!({"factorMode": "2FA", "constraints": [{"knowledge": {"types": ["PASSWORD"], "excludedAuthenticationMethods": [{"key": "okta_password"}]}}]})
        )),
        format!("{VM}.constraints[0].knowledge.excludedAuthenticationMethods")
    );
    // userVerificationMethods without userVerification REQUIRED.
    assert_eq!(
        path_of(possession(
            json!({"userVerificationMethods": ["BIOMETRICS"]})
        )),
        format!("{VM}.constraints[0].possession.userVerificationMethods")
    );
    // An empty constraint; both classes required under 1FA; configured inherence.
    assert_eq!(
        path_of(access(json!({"factorMode": "2FA", "constraints": [{}]}))),
        format!("{VM}.constraints[0]")
    );
    assert_eq!(
        path_of(access(
            json!({"factorMode": "1FA", "constraints": [{"possession": {}}, {"knowledge": {}, "possession": {}}]})
        )),
        format!("{VM}.constraints[1]")
    );
    assert_eq!(
        path_of(access(json!({"constraints": [{"inherence": {}}]}))),
        format!("{VM}.constraints[0].inherence")
    );
    // An unknown field inside a constraint is not silently dropped.
    assert_eq!(
        path_of(possession(json!({"phishingResistent": "REQUIRED"}))),
        format!("{VM}.constraints[0].possession.phishingResistent")
    );
}

#[test]
fn priorities_out_of_range() {
    for bad in [json!(-1), json!(10_000), json!(1.5), json!("1")] {
        let r = SignOnRule::from_json(
            &json!({"name": "s", "priority": bad, "actions": {"signon": {"access": "ALLOW"}}}),
        );
        assert_eq!(path_of(r), "priority");
        assert_eq!(
            path_of(AnyPolicy::from_json(
                &json!({"type": "ACCESS_POLICY", "name": "p", "priority": bad})
            )),
            "priority"
        );
    }
}

fn chain(depth: usize) -> Value {
    let mut c = json!({"authenticationMethods": [{"key": "okta_password", "method": "password"}]});
    for _ in 1..depth {
        c = json!({"authenticationMethods": [{"key": "webauthn", "method": "webauthn"}], "next": [c]});
    }
    c
}

#[test]
fn chains_deeper_than_three_or_more_than_five() {
    assert!(access(json!({"type": "AUTH_METHOD_CHAIN", "chains": [chain(3)]})).is_ok());
    assert_eq!(
        path_of(access(
            json!({"type": "AUTH_METHOD_CHAIN", "chains": [chain(4)]})
        )),
        format!("{VM}.chains[0].next[0].next[0].next")
    );
    let six: Vec<Value> = (0..6).map(|_| chain(1)).collect();
    assert_eq!(
        path_of(access(json!({"type": "AUTH_METHOD_CHAIN", "chains": six}))),
        format!("{VM}.chains[5]")
    );
    assert_eq!(
        path_of(access(json!({"type": "AUTH_METHOD_CHAIN", "chains": []}))),
        format!("{VM}.chains")
    );
    let two_next =
        json!({"authenticationMethods": [{"key": "okta_password"}], "next": [chain(1), chain(1)]});
    assert_eq!(
        path_of(access(
            json!({"type": "AUTH_METHOD_CHAIN", "chains": [two_next]})
        )),
        format!("{VM}.chains[0].next")
    );
    let both = json!({"type": "AUTH_METHOD_CHAIN", "reauthenticateIn": "PT1H",
        "chains": [{"authenticationMethods": [{"key": "okta_password"}], "reauthenticateIn": "PT2H"}]});
    assert_eq!(
        path_of(access(both)),
        format!("{VM}.chains[0].reauthenticateIn")
    );
    let impossible = json!({"type": "AUTH_METHOD_CHAIN", "chains": [{"authenticationMethods": [{"key": "okta_password", "phishingResistant": "REQUIRED"}]}]});
    assert_eq!(
        path_of(access(impossible)),
        format!("{VM}.chains[0].authenticationMethods[0].phishingResistant")
    );
}

#[test]
fn unsupported_conditions_and_values() {
    let rule = |c: Value| {
        AccessRule::from_json(
            &json!({"name": "r", "conditions": c, "actions": {"appSignOn": {"access": "DENY"}}}),
        )
    };
    assert_eq!(
        path_of(rule(json!({"platform": {"include": [{"type": "MOBILE"}]}}))),
        "conditions.platform"
    );
    assert_eq!(
        path_of(rule(json!({"riskScore": {"level": "HIGH"}}))),
        "conditions.riskScore.level"
    );
    assert_eq!(
        path_of(rule(json!({"elCondition": {"condition": "true"}}))),
        "conditions.elCondition"
    );
    assert_eq!(
        path_of(rule(json!({"network": {"connection": "ZONE"}}))),
        "conditions.network.include"
    );
    assert_eq!(
        path_of(rule(
            json!({"network": {"connection": "ANYWHERE", "include": ["nzoX"]}})
        )),
        "conditions.network.connection"
    );
    assert_eq!(
        path_of(rule(
            json!({"people": {"groups": {"include": ["not-a-group"]}}})
        )),
        "conditions.people.groups.include[0]"
    );
    assert_eq!(
        path_of(rule(
            json!({"people": {"users": {"include": ["00uUSER0000000000001"], "exclude": ["00uUSER0000000000001"]}}})
        )),
        "conditions.people.users.include[0]"
    );
    assert_eq!(
        path_of(access(json!({"type": "ID_PROOFING"}))),
        format!("{VM}.type")
    );
    assert_eq!(
        path_of(access(json!({"reauthenticateIn": "2 hours"}))),
        format!("{VM}.reauthenticateIn")
    );
    assert_eq!(
        path_of(AccessRule::from_json(
            &json!({"type": "SIGN_ON", "name": "r", "actions": {"appSignOn": {"access": "DENY"}}})
        )),
        "type"
    );
    assert_eq!(
        path_of(AccessRule::from_json(
            &json!({"name": "r", "actions": {"appSignOn": {"access": "ALLOW", "keepMeSignedIn": {"postAuth": "ALLOWED"}}}})
        )),
        "actions.appSignOn.keepMeSignedIn.postAuth"
    );
}

#[test]
fn sign_on_rule_errors() {
    let s = |a: Value, c: Value| {
        SignOnRule::from_json(&json!({"name": "s", "conditions": c, "actions": {"signon": a}}))
    };
    assert_eq!(
        path_of(s(
            json!({"access": "ALLOW", "requireFactor": true}),
            Value::Null
        )),
        "actions.signon.factorPromptMode"
    );
    assert_eq!(
        path_of(s(
            json!({"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS", "factorLifetime": 5}),
            Value::Null
        )),
        "actions.signon.factorLifetime"
    );
    assert_eq!(
        path_of(s(
            json!({"access": "ALLOW", "session": {"maxSessionIdleMinutes": 0}}),
            Value::Null
        )),
        "actions.signon.session.maxSessionIdleMinutes"
    );
    assert_eq!(
        path_of(s(
            json!({"access": "ALLOW", "primaryFactor": "PASSWORD_ONLY"}),
            Value::Null
        )),
        "actions.signon.primaryFactor"
    );
    assert_eq!(
        path_of(s(
            json!({"access": "ALLOW"}),
            json!({"identityProvider": {"provider": "SPECIFIC_IDP"}})
        )),
        "conditions.identityProvider.idpIds"
    );
    assert_eq!(
        path_of(s(
            json!({"access": "ALLOW"}),
            json!({"authContext": {"authType": "RADIUS"}})
        )),
        "conditions.authContext.authType"
    );
}

#[test]
fn enrollment_policy_errors() {
    let p = |settings: Value| {
        MfaEnrollPolicy::from_json(
            &json!({"type": "MFA_ENROLL", "name": "e", "settings": settings}),
        )
    };
    assert_eq!(path_of(p(json!({"type": "FACTORS"}))), "settings.type");
    assert_eq!(
        path_of(p(
            json!({"authenticators": [{"key": "okta_pasword", "enroll": {"self": "REQUIRED"}}]})
        )),
        "settings.authenticators[0].key"
    );
    assert_eq!(
        path_of(p(
            json!({"authenticators": [{"key": "okta_password", "enroll": {"self": "SOMETIMES"}}]})
        )),
        "settings.authenticators[0].enroll.self"
    );
    assert_eq!(
        path_of(p(
            json!({"authenticators": [{"key": "okta_password", "enroll": {"self": "OPTIONAL"}}]})
        )),
        "settings.authenticators"
    );
    assert_eq!(
        path_of(p(json!({"authenticators": [
        {"key": "okta_password", "enroll": {"self": "REQUIRED"}}, {"key": "OKTA_PASSWORD", "enroll": {"self": "OPTIONAL"}}]}))),
        "settings.authenticators[1].key"
    );
}

#[test]
fn routing_rule_errors() {
    let r = |c: Value, idp: Value| {
        RoutingRule::from_json(&json!({"name": "r", "conditions": c, "actions": {"idp": idp}}))
    };
    let okta = json!({"providers": [{"type": "OKTA"}]});
    assert_eq!(
        path_of(r(
            json!({"userIdentifier": {"patterns": [{"matchType": "EXPRESSION", "value": "x"}]}}),
            okta.clone()
        )),
        "conditions.userIdentifier.patterns[0].matchType"
    );
    assert_eq!(
        path_of(r(
            Value::Null,
            json!({"providers": [{"type": "OKTA", "id": "0oaX"}]})
        )),
        "actions.idp.providers[0].id"
    );
    assert_eq!(
        path_of(r(Value::Null, json!({"providers": [{"type": "SAML2"}]}))),
        "actions.idp.providers[0].id"
    );
    assert_eq!(
        path_of(r(
            Value::Null,
            json!({"providers": [{"type": "FACEBOOK", "id": "0oaX"}]})
        )),
        "actions.idp.providers[0].type"
    );
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"type": "OIDC", "id": format!("0oa{i}")}))
        .collect();
    assert_eq!(
        path_of(r(Value::Null, json!({"providers": eleven}))),
        "actions.idp.providers"
    );
    assert_eq!(
        path_of(r(
            Value::Null,
            json!({"idpSelectionType": "DYNAMIC", "matchCriteria": [{"providerExpression": "user.department", "propertyName": "name"}]})
        )),
        "actions.idp.matchCriteria[0].providerExpression"
    );
    assert_eq!(
        path_of(r(Value::Null, json!({"providers": []}))),
        "actions.idp.providers"
    );
}

fn org() -> Org {
    Org {
        users: vec![user()],
        groups: vec![group(1)],
        zones: vec![zone("corp")],
        idps: vec![idp("A")],
        apps: vec![AppId::new("0oaAPP1")],
        authenticators: vec![
            (key("okta_password"), AuthenticatorId::new("autPWD"), true),
            (key("webauthn"), AuthenticatorId::new("autWEB"), false),
        ],
    }
}

fn unknown_ref(r: federa_policy::Result<()>) -> (String, &'static str) {
    match r {
        Err(PolicyError::UnknownReference { path, kind, .. }) => (path, kind),
        other => panic!("expected an unknown reference, got {other:?}"),
    }
}

#[test]
fn unknown_references_are_named_errors() {
    let o = org();
    let rule =
        |v: Value, t: PolicyType| AnyRule::from_json(t, &v).unwrap_or_else(|e| panic!("{e}"));
    let a = rule(
        json!({"name": "r", "conditions": {"people": {"groups": {"include": ["00gGROUP000000000001", "00gGROUP000000000002"]}},
        "network": {"connection": "ZONE", "include": ["nzocorp"], "exclude": ["nzohome"]}},
        "actions": {"appSignOn": {"access": "DENY"}}}),
        PolicyType::AccessPolicy,
    );
    assert_eq!(
        unknown_ref(check_rule(&a, &o)),
        ("conditions.people.groups.include[1]".into(), "group")
    );
    let a = rule(
        json!({"name": "r", "conditions": {"network": {"connection": "ZONE", "include": ["nzocorp"], "exclude": ["nzohome"]}},
        "actions": {"appSignOn": {"access": "DENY"}}}),
        PolicyType::AccessPolicy,
    );
    assert_eq!(
        unknown_ref(check_rule(&a, &o)),
        ("conditions.network.exclude[0]".into(), "network zone")
    );
    let s = rule(
        json!({"name": "s", "conditions": {"identityProvider": {"provider": "SPECIFIC_IDP", "idpIds": ["0oaIDPA", "0oaIDPB"]}},
        "actions": {"signon": {"access": "ALLOW"}}}),
        PolicyType::OktaSignOn,
    );
    assert_eq!(
        unknown_ref(check_rule(&s, &o)),
        (
            "conditions.identityProvider.idpIds[1]".into(),
            "identity provider"
        )
    );
    let m = rule(
        json!({"name": "r", "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {"factorMode": "2FA",
        "constraints": [{"possession": {"authenticationMethods": [{"key": "webauthn", "id": "autNOPE"}]}}]}}}}),
        PolicyType::AccessPolicy,
    );
    assert_eq!(
        unknown_ref(check_rule(&m, &o)),
        (
            format!("{VM}.constraints[0].possession.authenticationMethods[0].id"),
            "authenticator"
        )
    );
    let route = rule(
        json!({"name": "r", "conditions": {"app": {"include": [{"type": "APP", "id": "0oaAPP2"}]}},
        "actions": {"idp": {"providers": [{"type": "SAML2", "id": "0oaIDPA"}]}}}),
        PolicyType::IdpDiscovery,
    );
    assert_eq!(
        unknown_ref(check_rule(&route, &o)),
        ("conditions.app.include[0].id".into(), "app")
    );
    let route = rule(
        json!({"name": "r", "actions": {"idp": {"providers": [{"type": "OIDC", "id": "0oaIDPZ"}]}}}),
        PolicyType::IdpDiscovery,
    );
    assert_eq!(
        unknown_ref(check_rule(&route, &o)),
        ("actions.idp.providers[0].id".into(), "identity provider")
    );
    // Enrollment settings must name active authenticators (unless NOT_ALLOWED).
    let e = AnyPolicy::from_json(&json!({"type": "MFA_ENROLL", "name": "e", "settings": {"authenticators": [
        {"key": "okta_password", "enroll": {"self": "REQUIRED"}}, {"key": "webauthn", "enroll": {"self": "OPTIONAL"}}]}}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        unknown_ref(check_policy(&e, &o)),
        (
            "settings.authenticators[1].key".into(),
            "active authenticator"
        )
    );
    // Known references pass.
    let fine = rule(
        json!({"name": "r", "conditions": {"people": {"users": {"include": ["00uUSER0000000000001"]}}},
        "actions": {"appSignOn": {"access": "DENY"}}}),
        PolicyType::AccessPolicy,
    );
    assert!(check_rule(&fine, &o).is_ok());
    // Allow-specific methods may name authenticators not configured locally (claims sharing).
    let upstream_only = rule(
        json!({"name": "r", "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {"factorMode": "2FA",
        "constraints": [{"possession": {"authenticationMethods": [{"key": "okta_verify", "method": "signed_nonce"}]}}]}}}}),
        PolicyType::AccessPolicy,
    );
    assert!(check_rule(&upstream_only, &o).is_ok());
}
