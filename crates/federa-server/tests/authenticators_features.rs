//! `/api/v1/authenticators` and `/api/v1/features` over real HTTP, on both databases: the
//! defaults of a new org, lifecycle round trips, the deactivation guards, org isolation, unknown
//! ids and verbs, authentication.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, assert_error};
use serde_json::{Value, json};

async fn get_json(h: &Harness, host: &str, path: &str, token: &str) -> Value {
    let res = h.get(host, path, token).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

async fn post_a(h: &Harness, path: &str) -> reqwest::Response {
    h.post("a.test", path, &h.token_a, json!({}))
        .send()
        .await
        .unwrap()
}

/// The id of org A's authenticator with `key`.
async fn id_of(h: &Harness, key: &str) -> String {
    let all = get_json(h, "a.test", "/api/v1/authenticators", &h.token_a).await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {all}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn new_orgs_list_the_default_authenticators(h: &Harness) {
    let all = get_json(h, "a.test", "/api/v1/authenticators", &h.token_a).await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 7, "{all:?}");
    let expect = [
        ("okta_password", "password", "ACTIVE"),
        ("okta_email", "email", "ACTIVE"),
        ("okta_verify", "app", "ACTIVE"),
        ("phone_number", "phone", "INACTIVE"),
        ("google_otp", "app", "INACTIVE"),
        ("security_question", "security_question", "INACTIVE"),
        ("webauthn", "security_key", "INACTIVE"),
    ];
    for (key, kind, status) in expect {
        let a = all
            .iter()
            .find(|a| a["key"] == key)
            .unwrap_or_else(|| panic!("{key} listed"));
        assert_eq!(a["type"], kind, "{a}");
        assert_eq!(a["status"], status, "{a}");
        let id = a["id"].as_str().unwrap();
        assert!(id.starts_with("aut"), "{a}");
        assert!(a["name"].as_str().is_some_and(|n| !n.is_empty()), "{a}");
        assert!(a["created"].as_str().unwrap().ends_with('Z'), "{a}");
        assert!(a["lastUpdated"].as_str().is_some(), "{a}");
        assert!(
            a.get("settings").is_none(),
            "empty settings are left out: {a}"
        );
        let me = format!("http://a.test:{}/api/v1/authenticators/{id}", h.port);
        assert_eq!(a["_links"]["self"]["href"], me, "{a}");
        let op = if status == "ACTIVE" {
            "deactivate"
        } else {
            "activate"
        };
        assert_eq!(
            a["_links"][op]["href"],
            format!("{me}/lifecycle/{op}"),
            "{a}"
        );
        // GET by id answers the same object.
        let one = get_json(
            h,
            "a.test",
            &format!("/api/v1/authenticators/{id}"),
            &h.token_a,
        )
        .await;
        assert_eq!(&one, a);
    }
}
http_test!(new_orgs_list_the_default_authenticators);

async fn authenticators_activate_and_deactivate(h: &Harness) {
    let id = id_of(h, "google_otp").await;
    let path = format!("/api/v1/authenticators/{id}");
    let res = post_a(h, &format!("{path}/lifecycle/activate")).await;
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["status"], "ACTIVE");
    assert_eq!(a["key"], "google_otp");
    assert!(a["_links"]["deactivate"]["href"].is_string(), "{a}");
    assert!(a["_links"].get("activate").is_none(), "{a}");
    assert_eq!(
        get_json(h, "a.test", &path, &h.token_a).await["status"],
        "ACTIVE"
    );
    // Activating again is idempotent.
    let res = post_a(h, &format!("{path}/lifecycle/activate")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ACTIVE");
    let res = post_a(h, &format!("{path}/lifecycle/deactivate")).await;
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["status"], "INACTIVE");
    assert!(a["_links"]["activate"]["href"].is_string(), "{a}");
    assert_eq!(
        get_json(h, "a.test", &path, &h.token_a).await["status"],
        "INACTIVE"
    );
    // A default-on authenticator can be turned off too when nothing depends on it.
    let ov = id_of(h, "okta_verify").await;
    let res = post_a(
        h,
        &format!("/api/v1/authenticators/{ov}/lifecycle/deactivate"),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "INACTIVE");
}
http_test!(authenticators_activate_and_deactivate);

async fn the_password_authenticator_cannot_be_deactivated(h: &Harness) {
    let id = id_of(h, "okta_password").await;
    assert_error(
        post_a(
            h,
            &format!("/api/v1/authenticators/{id}/lifecycle/deactivate"),
        )
        .await,
        400,
        "E0000001",
        "okta_password",
    )
    .await;
    assert_eq!(
        get_json(
            h,
            "a.test",
            &format!("/api/v1/authenticators/{id}"),
            &h.token_a
        )
        .await["status"],
        "ACTIVE"
    );
}
http_test!(the_password_authenticator_cannot_be_deactivated);

async fn an_authenticator_an_mfa_rule_needs_cannot_be_deactivated(h: &Harness) {
    let gsp = get_json(
        h,
        "a.test",
        "/api/v1/policies?type=OKTA_SIGN_ON",
        &h.token_a,
    )
    .await;
    let gid = gsp[0]["id"].as_str().unwrap().to_string();
    let gname = gsp[0]["name"].as_str().unwrap().to_string();
    let rule = json!({"name": "Require MFA", "priority": 1, "actions": {"signon": {
        "access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS",
        "primaryFactor": "PASSWORD_IDP"}}});
    let res = h
        .post(
            "a.test",
            &format!("/api/v1/policies/{gid}/rules"),
            &h.token_a,
            rule,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Password + email + Okta Verify: Okta Verify can go, password + email still make two types.
    let ov = id_of(h, "okta_verify").await;
    let res = post_a(
        h,
        &format!("/api/v1/authenticators/{ov}/lifecycle/deactivate"),
    )
    .await;
    assert_eq!(res.status(), 200);
    // Email is now the only second factor type.
    let email = id_of(h, "okta_email").await;
    let body = assert_error(
        post_a(
            h,
            &format!("/api/v1/authenticators/{email}/lifecycle/deactivate"),
        )
        .await,
        400,
        "E0000001",
        "Require MFA",
    )
    .await;
    assert!(body.to_string().contains(&gname), "{body}");
    assert!(body.to_string().contains("okta_email"), "{body}");
    assert_eq!(
        get_json(
            h,
            "a.test",
            &format!("/api/v1/authenticators/{email}"),
            &h.token_a
        )
        .await["status"],
        "ACTIVE"
    );
    // Another second factor makes email optional again.
    let otp = id_of(h, "google_otp").await;
    assert_eq!(
        post_a(
            h,
            &format!("/api/v1/authenticators/{otp}/lifecycle/activate")
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        post_a(
            h,
            &format!("/api/v1/authenticators/{email}/lifecycle/deactivate")
        )
        .await
        .status(),
        200
    );
}
http_test!(an_authenticator_an_mfa_rule_needs_cannot_be_deactivated);

async fn authenticators_are_per_org(h: &Harness) {
    let a_id = id_of(h, "google_otp").await;
    let path = format!("/api/v1/authenticators/{a_id}");
    assert_error(
        h.get("b.test", &path, &h.token_b).send().await.unwrap(),
        404,
        "E0000007",
        "",
    )
    .await;
    assert_error(
        h.post(
            "b.test",
            &format!("{path}/lifecycle/activate"),
            &h.token_b,
            json!({}),
        )
        .send()
        .await
        .unwrap(),
        404,
        "E0000007",
        "",
    )
    .await;
    // Org A's authenticator is untouched, and org B has its own set.
    assert_eq!(
        get_json(h, "a.test", &path, &h.token_a).await["status"],
        "INACTIVE"
    );
    let b = get_json(h, "b.test", "/api/v1/authenticators", &h.token_b).await;
    let b = b.as_array().unwrap();
    assert_eq!(b.len(), 7);
    assert!(b.iter().all(|x| x["id"] != a_id.as_str()));
}
http_test!(authenticators_are_per_org);

async fn unknown_authenticators_and_verbs_are_404(h: &Harness) {
    for path in [
        "/api/v1/authenticators/autAAAAAAAAAAAAAAAAA",
        "/api/v1/authenticators/not%20an%20id",
    ] {
        assert_error(
            h.get("a.test", path, &h.token_a).send().await.unwrap(),
            404,
            "E0000007",
            "authenticator",
        )
        .await;
    }
    assert_error(
        post_a(
            h,
            "/api/v1/authenticators/autAAAAAAAAAAAAAAAAA/lifecycle/activate",
        )
        .await,
        404,
        "E0000007",
        "authenticator",
    )
    .await;
    let id = id_of(h, "google_otp").await;
    assert_error(
        post_a(h, &format!("/api/v1/authenticators/{id}/lifecycle/explode")).await,
        404,
        "E0000007",
        "explode",
    )
    .await;
}
http_test!(unknown_authenticators_and_verbs_are_404);

async fn features_list_disable_and_enable(h: &Harness) {
    let all = get_json(h, "a.test", "/api/v1/features", &h.token_a).await;
    let all = all.as_array().unwrap();
    let expect = [
        ("ORG2ORG_CLAIMS_SHARING", "ENABLED"),
        ("THIRD_PARTY_IDP_CLAIMS_SHARING", "ENABLED"),
        ("IDP_AMR_CLAIMS_MAPPING", "DISABLED"),
    ];
    assert_eq!(all.len(), expect.len(), "{all:?}");
    for (f, (id, status)) in all.iter().zip(expect) {
        assert_eq!(f["id"], id, "{f}");
        assert_eq!(f["status"], status, "{f}");
        assert_eq!(f["type"], "self-service", "{f}");
        assert!(f["name"].as_str().is_some_and(|n| !n.is_empty()), "{f}");
        assert!(f["description"].is_string(), "{f}");
        assert_eq!(f["stage"]["value"], "EA", "{f}");
        assert_eq!(
            f["_links"]["self"]["href"],
            format!("http://a.test:{}/api/v1/features/{id}", h.port),
            "{f}"
        );
        let one = get_json(h, "a.test", &format!("/api/v1/features/{id}"), &h.token_a).await;
        assert_eq!(&one, f);
    }
    let path = "/api/v1/features/ORG2ORG_CLAIMS_SHARING";
    let res = post_a(h, &format!("{path}/lifecycle/disable")).await;
    assert_eq!(res.status(), 200);
    let f: Value = res.json().await.unwrap();
    assert_eq!(f["status"], "DISABLED");
    assert!(f["_links"]["enable"]["href"].is_string(), "{f}");
    assert_eq!(
        get_json(h, "a.test", path, &h.token_a).await["status"],
        "DISABLED"
    );
    // Idempotent, and org B is unaffected.
    assert_eq!(
        post_a(h, &format!("{path}/lifecycle/disable"))
            .await
            .status(),
        200
    );
    assert_eq!(
        get_json(h, "b.test", path, &h.token_b).await["status"],
        "ENABLED"
    );
    let res = post_a(h, &format!("{path}/lifecycle/enable")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ENABLED");
    // The legacy mapping is off by default and can be turned on and off.
    let amr = "/api/v1/features/IDP_AMR_CLAIMS_MAPPING";
    let res = post_a(h, &format!("{amr}/lifecycle/enable")).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ENABLED");
    assert_eq!(
        get_json(h, "a.test", "/api/v1/features", &h.token_a).await[2]["status"],
        "ENABLED"
    );
    let res = post_a(h, &format!("{amr}/lifecycle/disable")).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "DISABLED");
}
http_test!(features_list_disable_and_enable);

async fn unknown_features_and_verbs_are_404(h: &Harness) {
    assert_error(
        h.get("a.test", "/api/v1/features/NO_SUCH_FEATURE", &h.token_a)
            .send()
            .await
            .unwrap(),
        404,
        "E0000007",
        "NO_SUCH_FEATURE",
    )
    .await;
    assert_error(
        post_a(h, "/api/v1/features/NO_SUCH_FEATURE/lifecycle/enable").await,
        404,
        "E0000007",
        "feature",
    )
    .await;
    // Feature ids are case-sensitive, as Okta's.
    assert_error(
        h.get(
            "a.test",
            "/api/v1/features/org2org_claims_sharing",
            &h.token_a,
        )
        .send()
        .await
        .unwrap(),
        404,
        "E0000007",
        "feature",
    )
    .await;
    assert_error(
        post_a(
            h,
            "/api/v1/features/ORG2ORG_CLAIMS_SHARING/lifecycle/explode",
        )
        .await,
        404,
        "E0000007",
        "explode",
    )
    .await;
}
http_test!(unknown_features_and_verbs_are_404);

async fn authenticators_and_features_need_a_token(h: &Harness) {
    let id = id_of(h, "google_otp").await;
    let gets = [
        "/api/v1/authenticators".to_string(),
        format!("/api/v1/authenticators/{id}"),
        "/api/v1/features".to_string(),
        "/api/v1/features/ORG2ORG_CLAIMS_SHARING".to_string(),
    ];
    for path in &gets {
        let res = h.client.get(h.url("a.test", path)).send().await.unwrap();
        assert_error(res, 401, "E0000011", "Invalid token").await;
        // Org B's token on org A's host.
        let res = h.get("a.test", path, &h.token_b).send().await.unwrap();
        assert_error(res, 401, "E0000011", "Invalid token").await;
    }
    for path in [
        format!("/api/v1/authenticators/{id}/lifecycle/activate"),
        "/api/v1/features/ORG2ORG_CLAIMS_SHARING/lifecycle/disable".to_string(),
    ] {
        let res = h.client.post(h.url("a.test", &path)).send().await.unwrap();
        assert_error(res, 401, "E0000011", "Invalid token").await;
    }
    // Nothing changed.
    assert_eq!(
        get_json(
            h,
            "a.test",
            &format!("/api/v1/authenticators/{id}"),
            &h.token_a
        )
        .await["status"],
        "INACTIVE"
    );
    assert_eq!(
        get_json(
            h,
            "a.test",
            "/api/v1/features/ORG2ORG_CLAIMS_SHARING",
            &h.token_a
        )
        .await["status"],
        "ENABLED"
    );
}
http_test!(authenticators_and_features_need_a_token);
