//! Policy simulation (CONTRACT §5): the request shape in, the answer shape out, through the same
//! engine the sign-in paths use.

mod support;

use federa_claims::{ClaimsOutcome, Engine, IdpId, IgnoreReason, IgnoredClaim};
use federa_policy::defaults;
use federa_policy::simulate::{SimVerification, SimulateRequest, SimulationContext, simulate};
use federa_types::Timestamp;
use serde_json::{Value, json};
use support::*;

/// What federa-claims would credit from an `amr` claim under trustClaims (test stand-in).
fn resolve(idp_id: &IdpId, v: &SimVerification, at: Timestamp) -> ClaimsOutcome {
    let mut out = ClaimsOutcome::default();
    match &v.amr {
        Some(Value::Array(values)) => {
            for a in values {
                match a.as_str() {
                    Some(s @ ("pwd" | "sms" | "mfa" | "hwk" | "phr" | "otp")) => {
                        out.credited.push(amr(s, idp_id, at))
                    }
                    Some(other) => out.ignored.push(IgnoredClaim::new(
                        format!("amr \"{other}\""),
                        IgnoreReason::UnknownAmrValue,
                        None,
                    )),
                    None => out.ignored.push(IgnoredClaim::new(
                        "amr entry",
                        IgnoreReason::Malformed,
                        None,
                    )),
                }
            }
        }
        Some(_) => out
            .ignored
            .push(IgnoredClaim::new("amr", IgnoreReason::Malformed, None)),
        None => {}
    }
    out
}

fn request() -> Value {
    json!({ "appId": "0oaAPP1", "userId": "00uUSER0000000000001",
            "verifications": [ { "authenticatorKey": "okta_password", "methodType": "password",
                                 "verifiedAt": "2026-11-23T09:58:00Z", "source": { "type": "LOCAL" } },
                               { "amr": ["sms", "mfa", "SMS"], "verifiedAt": "2026-11-23T09:59:00Z",
                                 "source": { "type": "IDP", "idpId": "0oaIDPA" } } ],
            "network": { "ip": "203.0.113.7" } })
}

fn run(rule: Value, body: Value) -> federa_policy::Result<Value> {
    let req = SimulateRequest::from_json(&body)?;
    let mut ap = access_policy(&[rule]);
    ap.header.id = federa_policy::ids::PolicyId::parse("00pAPP1");
    ap.rules[0].header.id = federa_policy::ids::RuleId::parse("0prAPP1");
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
    let ctx = SimulationContext {
        sign_on_policies: &gsps,
        access_policy: Some(&ap),
        user: &u,
        groups: &[],
        zones: &[],
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &enrolls,
        engine: Engine::Identity,
        now: now(),
        resolve_idp: &resolve,
    };
    simulate(&req, &ctx).map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
}

fn rule(vm: Value) -> Value {
    json!({"name": "App rule", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": vm}}})
}

#[test]
fn contract_example_allows_with_two_factor_types() {
    let out = run(rule(json!({"factorMode": "2FA"})), request()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out["decision"], json!("ALLOW"));
    assert_eq!(out["authenticationPolicy"]["policyId"], json!("00pAPP1"));
    assert_eq!(out["authenticationPolicy"]["ruleId"], json!("0prAPP1"));
    assert_eq!(
        out["globalSessionPolicy"]["ruleName"],
        json!("Default Rule")
    );
    assert_eq!(out["credited"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        out["credited"][0]["authenticatorKey"],
        json!("okta_password")
    );
    assert_eq!(
        out["credited"][1]["source"],
        json!({"type": "IDP", "idpId": "0oaIDPA", "carrier": "OIDC_AMR"})
    );
    assert_eq!(
        out["credited"][1]["countedFor"],
        json!([{"type": "FACTOR_TYPES"}])
    );
    assert_eq!(
        out["ignored"],
        json!([{"what": "amr \"SMS\"", "reason": "UNKNOWN_AMR_VALUE"}])
    );
    assert_eq!(out["unmet"], json!([]));
    assert_eq!(out["challengeOptions"], json!([]));
    assert_eq!(out["errorCode"], Value::Null);
    let lines: Vec<String> = serde_json::from_value(out["explanation"].clone()).unwrap_or_default();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("not credited: amr \"SMS\"")),
        "{lines:?}"
    );
    assert_eq!(lines.last().map(String::as_str), Some("decision: ALLOW"));
}

#[test]
fn phishing_resistance_is_topped_up_locally() {
    let out = run(rule(json!({"factorMode": "2FA", "constraints": [{"possession": {"phishingResistant": "REQUIRED"}}]})), request())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out["decision"], json!("CHALLENGE"));
    assert_eq!(
        out["unmet"],
        json!([{"type": "POSSESSION", "constraint": 0, "characteristics": {
        "userPresence": true, "deviceBound": false, "hardwareProtected": false, "phishingResistant": true, "userVerifying": false}}])
    );
    assert_eq!(
        out["challengeOptions"],
        json!([
        {"authenticatorKey": "okta_verify", "methodType": "signed_nonce", "enrolled": false, "needsEnrollment": true},
        {"authenticatorKey": "webauthn", "methodType": "webauthn", "enrolled": false, "needsEnrollment": true}])
    );
    assert_eq!(
        out["credited"][1]["notCounted"][0]["reason"]["type"],
        json!("MISSING_CHARACTERISTICS")
    );
}

#[test]
fn deny_carries_an_error_code() {
    let deny =
        json!({"name": "Block", "priority": 1, "actions": {"appSignOn": {"access": "DENY"}}});
    let out = run(deny, request()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out["decision"], json!("DENY"));
    assert_eq!(out["errorCode"], json!("ACCESS_DENIED"));
}

#[test]
fn malformed_requests_name_the_field() {
    let mut bad = request();
    bad["verifications"][0]["verifiedAt"] = json!("yesterday");
    let e = run(rule(json!({"factorMode": "1FA"})), bad)
        .err()
        .map(|e| e.path().unwrap_or_default().to_owned());
    assert_eq!(e.as_deref(), Some("verifications[0].verifiedAt"));
    let mut bad = request();
    bad["verifications"][0]["methodType"] = json!("sms");
    let e = run(rule(json!({"factorMode": "1FA"})), bad)
        .err()
        .map(|e| e.path().unwrap_or_default().to_owned());
    assert_eq!(e.as_deref(), Some("verifications[0].methodType"));
    let e = run(
        rule(json!({"factorMode": "1FA"})),
        json!({"verifications": []}),
    )
    .err()
    .map(|e| e.error_code());
    assert_eq!(e, Some("E0000001"));
}
