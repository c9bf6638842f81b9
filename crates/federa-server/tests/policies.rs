//! Policies over HTTP on both databases: defaults of a new org, tolerant input and canonical
//! answers, validation naming the field, save-time rules, system policy protection, app
//! assignment, org isolation, and the simulate endpoint (CONTRACT §5).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, assert_error, user_body};
use federa_core::model::LifecycleStatus;
use serde_json::{Value, json};

async fn list(h: &Harness, t: &str) -> Vec<Value> {
    let res = h
        .get("a.test", &format!("/api/v1/policies?type={t}"), &h.token_a)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{t}");
    res.json().await.unwrap()
}

async fn post(h: &Harness, path: &str, body: Value) -> reqwest::Response {
    h.post("a.test", path, &h.token_a, body)
        .send()
        .await
        .unwrap()
}

async fn put(h: &Harness, path: &str, body: Value) -> reqwest::Response {
    h.client
        .put(h.url("a.test", path))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn delete(h: &Harness, path: &str) -> reqwest::Response {
    h.client
        .delete(h.url("a.test", path))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap()
}

async fn new_orgs_have_the_default_policies(h: &Harness) {
    for t in [
        "OKTA_SIGN_ON",
        "ACCESS_POLICY",
        "IDP_DISCOVERY",
        "MFA_ENROLL",
    ] {
        let ps = list(h, t).await;
        assert_eq!(ps.len(), 1, "{t}: {ps:?}");
        assert_eq!(ps[0]["system"], true, "{t}");
        assert_eq!(ps[0]["type"], t);
        assert!(
            ps[0]["_links"]["rules"]["href"]
                .as_str()
                .unwrap()
                .ends_with("/rules")
        );
    }
    let access = &list(h, "ACCESS_POLICY").await[0];
    let rules: Vec<Value> = h
        .get(
            "a.test",
            &format!("/api/v1/policies/{}/rules", access["id"].as_str().unwrap()),
            &h.token_a,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["name"], "Catch-all rule");
    assert_eq!(rules[0]["priority"], 99);
    assert_eq!(rules[0]["system"], true);
    // Missing and unknown types.
    assert_error(
        h.get("a.test", "/api/v1/policies", &h.token_a)
            .send()
            .await
            .unwrap(),
        400,
        "E0000001",
        "type",
    )
    .await;
    assert_error(
        h.get("a.test", "/api/v1/policies?type=PASSWORDZ", &h.token_a)
            .send()
            .await
            .unwrap(),
        400,
        "E0000001",
        "PASSWORDZ",
    )
    .await;
    // Org B sees its own defaults, not A's.
    let b: Vec<Value> = h
        .get("b.test", "/api/v1/policies?type=ACCESS_POLICY", &h.token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(b[0]["id"], access["id"]);
    let res = h
        .get(
            "b.test",
            &format!("/api/v1/policies/{}", access["id"].as_str().unwrap()),
            &h.token_b,
        )
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "E0000007", "policy").await;
}
http_test!(new_orgs_have_the_default_policies);

async fn tolerant_input_canonical_output_and_field_errors(h: &Harness) {
    let res = post(
        h,
        "/api/v1/policies",
        json!({"type": "ACCESS_POLICY", "name": "Phishing resistant apps"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let p: Value = res.json().await.unwrap();
    let pid = p["id"].as_str().unwrap().to_string();
    assert!(pid.starts_with("00p"), "{pid}");
    assert_eq!(p["status"], "ACTIVE");
    let rules_path = format!("/api/v1/policies/{pid}/rules");
    let rules: Vec<Value> = h
        .get("a.test", &rules_path, &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        rules.len(),
        1,
        "a new authentication policy gets its catch-all rule"
    );
    // The tolerant forms of reference §2.5: a single constraint object, lowercase types, the
    // phishingREsistant typo.
    let body = json!({"name": "Require a passkey", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW",
        "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA",
            "constraints": {"possession": {"types": ["security_key"], "phishingREsistant": "REQUIRED"}}}}}});
    let res = post(h, &rules_path, body).await;
    let status = res.status();
    let r: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{r}");
    let constraints = &r["actions"]["appSignOn"]["verificationMethod"]["constraints"];
    assert!(constraints.is_array(), "canonical form has an array: {r}");
    assert_eq!(
        constraints[0]["possession"]["phishingResistant"],
        "REQUIRED"
    );
    assert_eq!(constraints[0]["possession"]["types"][0], "SECURITY_KEY");
    let rid = r["id"].as_str().unwrap().to_string();
    let again: Value = h
        .get("a.test", &format!("{rules_path}/{rid}"), &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["actions"], r["actions"],
        "stored canonical form round-trips"
    );
    // Contradiction: phishing resistance asked of a knowledge factor.
    let bad = json!({"name": "Bad", "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {"type": "ASSURANCE", "factorMode": "1FA",
        "constraints": [{"knowledge": {"types": ["PASSWORD"], "phishingResistant": "REQUIRED"}}]}}}});
    assert_error(
        post(h, &rules_path, bad).await,
        400,
        "E0000001",
        "constraints[0].knowledge",
    )
    .await;
    // Unknown enum value, out-of-range priority, unknown and foreign group references.
    let bad = json!({"name": "Bad", "actions": {"appSignOn": {"access": "MAYBE"}}});
    assert_error(
        post(h, &rules_path, bad).await,
        400,
        "E0000001",
        "actions.appSignOn.access",
    )
    .await;
    let bad =
        json!({"name": "Bad", "priority": 100000, "actions": {"appSignOn": {"access": "DENY"}}});
    assert_error(post(h, &rules_path, bad).await, 400, "E0000001", "priority").await;
    let ghost = json!({"name": "Bad", "conditions": {"people": {"groups": {"include": ["00gAAAAAAAAAAAAAAAAA"]}}}, "actions": {"appSignOn": {"access": "DENY"}}});
    assert_error(
        post(h, &rules_path, ghost).await,
        400,
        "E0000001",
        "conditions.people.groups.include[0]",
    )
    .await;
    let gb: Value = h
        .post(
            "b.test",
            "/api/v1/groups",
            &h.token_b,
            json!({"profile": {"name": "B"}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let foreign = json!({"name": "Bad", "conditions": {"people": {"groups": {"include": [gb["id"]]}}}, "actions": {"appSignOn": {"access": "DENY"}}});
    assert_error(
        post(h, &rules_path, foreign).await,
        400,
        "E0000001",
        "groups.include[0]",
    )
    .await;
    let ga: Value = h
        .post(
            "a.test",
            "/api/v1/groups",
            &h.token_a,
            json!({"profile": {"name": "A"}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ok = json!({"name": "Deny A", "conditions": {"people": {"groups": {"include": [ga["id"]]}}}, "actions": {"appSignOn": {"access": "DENY"}}});
    assert_eq!(post(h, &rules_path, ok).await.status(), 200);
    // Zones do not exist yet: any zone reference is unknown.
    let zone = json!({"name": "Zone", "conditions": {"network": {"connection": "ZONE", "include": ["nzoAAAAAAAAAAAAAAAAA"]}}, "actions": {"appSignOn": {"access": "DENY"}}});
    assert_error(post(h, &rules_path, zone).await, 400, "E0000001", "network").await;
    // Duplicate rule name.
    let dup = json!({"name": "Deny A", "actions": {"appSignOn": {"access": "DENY"}}});
    assert_error(post(h, &rules_path, dup).await, 400, "E0000001", "name").await;
    // Malformed JSON and a second routing policy.
    let raw = h
        .client
        .post(h.url("a.test", "/api/v1/policies"))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .header("Content-Type", "application/json")
        .body("{\"type\":")
        .send()
        .await
        .unwrap();
    assert_error(raw, 400, "E0000001", "malformed JSON").await;
    assert_error(
        post(
            h,
            "/api/v1/policies",
            json!({"type": "IDP_DISCOVERY", "name": "Second"}),
        )
        .await,
        400,
        "E0000001",
        "IDP_DISCOVERY",
    )
    .await;
    let n = list(h, "ACCESS_POLICY").await.len();
    assert_eq!(n, 2, "rejected writes left nothing behind");
}
http_test!(tolerant_input_canonical_output_and_field_errors);

async fn system_policies_and_rules_are_protected(h: &Harness) {
    let gsp = &list(h, "OKTA_SIGN_ON").await[0];
    let gid = gsp["id"].as_str().unwrap();
    assert_error(
        delete(h, &format!("/api/v1/policies/{gid}")).await,
        400,
        "E0000001",
        "system",
    )
    .await;
    assert_error(
        post(
            h,
            &format!("/api/v1/policies/{gid}/lifecycle/deactivate"),
            json!({}),
        )
        .await,
        400,
        "E0000001",
        "status",
    )
    .await;
    let rules: Vec<Value> = h
        .get(
            "a.test",
            &format!("/api/v1/policies/{gid}/rules"),
            &h.token_a,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rid = rules[0]["id"].as_str().unwrap();
    assert_error(
        delete(h, &format!("/api/v1/policies/{gid}/rules/{rid}")).await,
        400,
        "E0000001",
        "system",
    )
    .await;
    assert_error(
        post(
            h,
            &format!("/api/v1/policies/{gid}/rules/{rid}/lifecycle/explode"),
            json!({}),
        )
        .await,
        404,
        "E0000007",
        "",
    )
    .await;
    // A non-system policy can be deactivated, reactivated and deleted with its rules.
    let p: Value = post(
        h,
        "/api/v1/policies",
        json!({"type": "OKTA_SIGN_ON", "name": "Contractors"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let pid = p["id"].as_str().unwrap();
    assert_eq!(
        post(
            h,
            &format!("/api/v1/policies/{pid}/lifecycle/deactivate"),
            json!({})
        )
        .await
        .status(),
        204
    );
    let got: Value = h
        .get("a.test", &format!("/api/v1/policies/{pid}"), &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["status"], "INACTIVE");
    assert_eq!(
        post(
            h,
            &format!("/api/v1/policies/{pid}/lifecycle/activate"),
            json!({})
        )
        .await
        .status(),
        204
    );
    let rule = json!({"name": "MFA", "actions": {"signon": {"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS", "primaryFactor": "PASSWORD_IDP"}}});
    assert_eq!(
        post(h, &format!("/api/v1/policies/{pid}/rules"), rule)
            .await
            .status(),
        200
    );
    assert_eq!(
        delete(h, &format!("/api/v1/policies/{pid}")).await.status(),
        204
    );
    assert_eq!(
        h.get(
            "a.test",
            &format!("/api/v1/policies/{pid}/rules"),
            &h.token_a
        )
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
}
http_test!(system_policies_and_rules_are_protected);

async fn mfa_in_the_global_session_policy_needs_a_second_factor_type(h: &Harness) {
    let gid = list(h, "OKTA_SIGN_ON").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rule = json!({"name": "Require MFA", "priority": 1, "actions": {"signon": {"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS", "primaryFactor": "PASSWORD_IDP"}}});
    // Defaults: password + email + Okta Verify are active, so MFA is satisfiable.
    assert_eq!(
        post(h, &format!("/api/v1/policies/{gid}/rules"), rule.clone())
            .await
            .status(),
        200
    );
    // With only the password authenticator active it is not (reference §1.12).
    let ctx = &h.server.as_ref().unwrap().ctx;
    let org = ctx.store.org_by_host("a.test").await.unwrap().unwrap();
    for a in ctx.store.list_authenticators(&org.id).await.unwrap() {
        if a.key != "okta_password" {
            ctx.store
                .set_authenticator_status(
                    &org.id,
                    &a.id,
                    LifecycleStatus::Inactive,
                    ctx.clock.now(),
                )
                .await
                .unwrap();
        }
    }
    let mut second = rule;
    second["name"] = json!("Require MFA again");
    assert_error(
        post(h, &format!("/api/v1/policies/{gid}/rules"), second).await,
        400,
        "E0000001",
        "actions.signon.requireFactor",
    )
    .await;
}
http_test!(mfa_in_the_global_session_policy_needs_a_second_factor_type);

async fn app_assignment_and_simulation(h: &Harness) {
    let user: Value = h
        .post(
            "a.test",
            "/api/v1/users",
            &h.token_a,
            user_body("sim@a.test"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uid = user["id"].as_str().unwrap();
    let p: Value = post(
        h,
        "/api/v1/policies",
        json!({"type": "ACCESS_POLICY", "name": "Two factors"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let pid = p["id"].as_str().unwrap();
    let rule = json!({"name": "2FA", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA", "constraints": []}}}});
    assert_eq!(
        post(h, &format!("/api/v1/policies/{pid}/rules"), rule)
            .await
            .status(),
        200
    );
    let created: Value = post(
        h,
        "/api/v1/apps",
        json!({"label": "Payroll", "signOnMode": "SAML_2_0",
            "settings": {"signOn": {"ssoAcsUrl": "https://sp.example.com/acs"}}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let app = created["id"].as_str().unwrap();
    assert_eq!(
        put(h, &format!("/api/v1/apps/{app}/policies/{pid}"), json!({}))
            .await
            .status(),
        204
    );
    let gsp = list(h, "OKTA_SIGN_ON").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_error(
        put(h, &format!("/api/v1/apps/{app}/policies/{gsp}"), json!({})).await,
        400,
        "E0000001",
        "ACCESS_POLICY",
    )
    .await;
    assert_error(
        delete(h, &format!("/api/v1/policies/{pid}")).await,
        409,
        "E0000195",
        app,
    )
    .await;

    let sim = |verifications: Value| json!({"appId": app, "userId": uid, "verifications": verifications, "network": {"ip": "203.0.113.7"}});
    let pwd = json!({"authenticatorKey": "okta_password", "methodType": "password", "verifiedAt": "2026-11-25T06:00:00Z", "source": {"type": "LOCAL"}});
    let email = json!({"authenticatorKey": "okta_email", "methodType": "email", "verifiedAt": "2026-11-25T06:00:10Z", "source": {"type": "LOCAL"}});
    let res = post(h, "/api/v1/policies/simulate", sim(json!([pwd.clone()]))).await;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["decision"], "CHALLENGE", "{r}");
    assert_eq!(r["authenticationPolicy"]["policyId"], pid);
    assert!(!r["unmet"].as_array().unwrap().is_empty(), "{r}");
    assert!(!r["challengeOptions"].as_array().unwrap().is_empty(), "{r}");
    assert!(!r["explanation"].as_array().unwrap().is_empty(), "{r}");
    let r: Value = post(
        h,
        "/api/v1/policies/simulate",
        sim(json!([pwd.clone(), email])),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["decision"], "ALLOW", "{r}");
    assert_eq!(r["credited"].as_array().unwrap().len(), 2, "{r}");
    // An IdP that does not exist is bad input, not a federated session: together with a
    // password it must never make a 2FA rule pass.
    let idp = json!({"amr": ["pwd", "otp"], "verifiedAt": "2026-11-25T06:00:00Z", "source": {"type": "IDP", "idpId": "0oaIDPIDPIDPIDPIDPID"}});
    let res = post(
        h,
        "/api/v1/policies/simulate",
        sim(json!([pwd.clone(), idp])),
    )
    .await;
    assert_error(res, 400, "E0000001", "verifications[1].source.idpId").await;
    // Bad input.
    assert_error(
        post(
            h,
            "/api/v1/policies/simulate",
            json!({"userId": "nobody@a.test"}),
        )
        .await,
        400,
        "E0000001",
        "userId",
    )
    .await;
    assert_error(
        post(
            h,
            "/api/v1/policies/simulate",
            json!({"userId": uid, "network": {"ip": "not-an-ip"}}),
        )
        .await,
        400,
        "E0000001",
        "network.ip",
    )
    .await;
    assert_error(post(h, "/api/v1/policies/simulate", json!({"userId": uid, "verifications": [{"verifiedAt": "yesterday", "source": {"type": "LOCAL"}, "authenticatorKey": "okta_password", "methodType": "password"}]})).await, 400, "E0000001", "verifiedAt").await;
    // Another org's user is unknown here.
    let ub: Value = h
        .post(
            "b.test",
            "/api/v1/users",
            &h.token_b,
            user_body("other@b.test"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_error(
        post(h, "/api/v1/policies/simulate", json!({"userId": ub["id"]})).await,
        400,
        "E0000001",
        "userId",
    )
    .await;
}
http_test!(app_assignment_and_simulation);
