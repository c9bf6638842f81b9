//! The OpenID Provider over HTTP on both databases, continued from `oidc.rs`: step-up for
//! `acr_values` and the app's authentication policy (TOTP enrolled and answered through the
//! pages), prompt=login with "Disable Force Authentication", signing-key rotation with the old
//! key kept in the JWKS, and codes of users no longer active.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use common::Harness;
use common::browser::{Browser, csrf};
use common::rp::*;
use federa_core::service::{apps, orgs};
use serde_json::{Value, json};

fn totp_code(secret_b32: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Enrolls an Okta Verify TOTP factor through the factors API; returns its secret.
async fn enroll_totp(h: &Harness, uid: &str) -> String {
    let f: Value = h
        .post(
            "a.test",
            &format!("/api/v1/users/{uid}/factors"),
            &h.token_a,
            json!({"factorType": "token:software:totp", "provider": "OKTA"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = f["_embedded"]["activation"]["sharedSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let fid = f["id"].as_str().unwrap();
    // Activate with the code of the previous step, so the sign-in can use the current one. If
    // the request crossed a step boundary the code is two steps old for the server: once more.
    let mut status = 0;
    for _ in 0..2 {
        status = h
            .post(
                "a.test",
                &format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate"),
                &h.token_a,
                json!({"passCode": totp_code(&secret, now_secs() - 30)}),
            )
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
    }
    assert_eq!(status, 200, "TOTP activation");
    secret
}

/// On the choose page, picks the option labelled `label` and answers the verify page with a
/// TOTP code; returns the redirect after it.
async fn answer_totp(b: &Browser<'_>, secret: &str) -> String {
    let choose = b.get("/login").await;
    let token = csrf(&choose.html);
    let verify = if choose.html.contains("name=\"option\"") {
        let idx = choose
            .html
            .split("name=\"option\" value=\"")
            .skip(1)
            .position(|chunk| chunk.contains(">Okta Verify"))
            .unwrap_or_else(|| panic!("an Okta Verify option: {}", choose.html));
        let r = b
            .post(
                "/login/choose",
                &[("csrf", &token), ("option", &idx.to_string())],
            )
            .await;
        assert_eq!(r.status, 303);
        b.get("/login").await
    } else {
        choose
    };
    assert!(verify.html.contains("Verification code"), "{}", verify.html);
    let r = b
        .post(
            "/login/verify",
            &[("csrf", &token), ("answer", &totp_code(secret, now_secs()))],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    r.location.unwrap()
}

async fn tokens_for(h: &Harness, c: &Client, location: &str) -> Value {
    let code = query_of(location)["code"].clone();
    let (v, _) = verifier();
    let (status, t) = exchange(
        h,
        c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", v.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    verify_jwt(h, t["id_token"].as_str().unwrap()).await
}

/// A session with a password only meets the default policies; `acr_values` asking for two
/// factor types, and an app whose bound policy needs them, both step the session up with the
/// enrolled TOTP factor only (no second password prompt), and the ID token says so.
async fn step_up_for_acr_values_and_app_policy(h: &Harness) {
    let uid = user(h, "sam@a.test").await;
    let secret = enroll_totp(h, &uid).await;
    let c = web_app(h).await;
    let b = Browser::new(h, "a.test");
    // Signed in with the password only.
    let loc = authorize_signing_in(&b, &authorize_path(&c, &[]), "sam@a.test").await;
    assert_eq!(tokens_for(h, &c, &loc).await["amr"], json!(["pwd"]));
    // acr_values=2fa: the same session is stepped up.
    let r = b
        .get(&authorize_path(
            &c,
            &[("acr_values", "urn:okta:loa:2fa:any")],
        ))
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(r.location.as_deref(), Some("/login"));
    let back = answer_totp(&b, &secret).await;
    assert!(back.starts_with("/oauth2/v1/authorize?"), "{back}");
    let r = b.get(&back).await;
    assert_eq!(r.status, 302, "{}", r.html);
    let id = tokens_for(h, &c, r.location.as_deref().unwrap()).await;
    let amr: Vec<String> = serde_json::from_value(id["amr"].clone()).unwrap();
    for v in ["pwd", "otp", "mfa"] {
        assert!(amr.contains(&v.to_string()), "{v} in {amr:?}");
    }
    assert_eq!(id["acr"], "urn:okta:loa:2fa:any");

    // An app bound to a two-factor policy: a new browser signs in with password + TOTP.
    let other = web_app(h).await;
    let pid = h
        .post(
            "a.test",
            "/api/v1/policies",
            &h.token_a,
            json!({"type": "ACCESS_POLICY", "name": "Two factors"}),
        )
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rule = json!({"name": "2FA", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW",
        "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA", "constraints": []}}}});
    let r = h
        .post(
            "a.test",
            &format!("/api/v1/policies/{pid}/rules"),
            &h.token_a,
            rule,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ctx = &h.server.as_ref().unwrap().ctx;
    let org = orgs::resolve(ctx, Some("a.test")).await.unwrap();
    let app = apps::by_client_id(ctx, &org.id, &other.id)
        .await
        .unwrap()
        .unwrap();
    let r = h
        .client
        .put(h.url("a.test", &format!("/api/v1/apps/{}/policies/{pid}", app.id)))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let b2 = Browser::new(h, "a.test");
    let r = b2.get(&authorize_path(&other, &[])).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let p = b2.get("/login").await;
    let token = csrf(&p.html);
    b2.post(
        "/login/identify",
        &[("csrf", &token), ("username", "sam@a.test")],
    )
    .await;
    let r = b2
        .post(
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "the app's policy asks for more"
    );
    // Another TOTP step is needed (codes are single use): use the next step's code.
    let choose = b2.get("/login").await;
    let token = csrf(&choose.html);
    if choose.html.contains("name=\"option\"") {
        let idx = choose
            .html
            .split("name=\"option\" value=\"")
            .skip(1)
            .position(|chunk| chunk.contains(">Okta Verify"))
            .unwrap();
        b2.post(
            "/login/choose",
            &[("csrf", &token), ("option", &idx.to_string())],
        )
        .await;
    }
    let r = b2
        .post(
            "/login/verify",
            &[
                ("csrf", &token),
                ("answer", &totp_code(&secret, now_secs() + 30)),
            ],
        )
        .await;
    let back = r.location.unwrap();
    assert!(back.starts_with("/oauth2/v1/authorize?"), "{back}");
    let r = b2.get(&back).await;
    let loc = r.location.unwrap();
    let code = query_of(&loc)["code"].clone();
    let (v, _) = verifier();
    let (status, t) = exchange(
        h,
        &other,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", v.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let id = verify_jwt(h, t["id_token"].as_str().unwrap()).await;
    assert!(
        id["amr"].as_array().unwrap().contains(&json!("mfa")),
        "{id}"
    );
    // The first app's policy is unchanged: prompt=none still works there with this session.
    let r = b2.get(&authorize_path(&c, &[("prompt", "none")])).await;
    assert!(query_of(r.location.as_deref().unwrap()).contains_key("code"));
}
http_test!(step_up_for_acr_values_and_app_policy);

/// "Disable Force Authentication": prompt=login and max_age from the app are ignored.
async fn disabled_force_authentication_ignores_prompt_login(h: &Harness) {
    user(h, "lee@a.test").await;
    let c = app(
        h,
        json!({"label": "RP", "signOnMode": "OPENID_CONNECT",
               "settings": {"oauthClient": {"redirect_uris": [REDIRECT]},
                            "signOn": {"disableForceAuthentication": true}}}),
    )
    .await;
    let b = Browser::new(h, "a.test");
    authorize_signing_in(&b, &authorize_path(&c, &[]), "lee@a.test").await;
    for extra in [("prompt", "login"), ("max_age", "0")] {
        let r = b.get(&authorize_path(&c, &[extra])).await;
        assert_eq!(r.status, 302, "{extra:?} is ignored");
        assert!(query_of(r.location.as_deref().unwrap()).contains_key("code"));
    }
}
http_test!(disabled_force_authentication_ignores_prompt_login);

/// Rotation: the new key (ES256 here) signs from now on; the old key stays published, so an ID
/// token it signed still verifies against the JWKS.
async fn key_rotation_keeps_the_old_key_published(h: &Harness) {
    user(h, "rot@a.test").await;
    let c = web_app(h).await;
    let b = Browser::new(h, "a.test");
    let loc = authorize_signing_in(&b, &authorize_path(&c, &[]), "rot@a.test").await;
    let code = query_of(&loc)["code"].clone();
    let (v, _) = verifier();
    let (_, t) = exchange(
        h,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", v.as_str()),
        ],
    )
    .await;
    let old_token = t["id_token"].as_str().unwrap().to_string();
    let r = h
        .post(
            "a.test",
            "/api/v1/oauth2/keys/rotate",
            &h.token_a,
            json!({"alg": "ES256"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let jwk: Value = r.json().await.unwrap();
    assert_eq!(jwk["alg"], "ES256");
    assert_eq!(jwk["kty"], "EC");
    let keys: Value = h
        .client
        .get(h.url("a.test", "/oauth2/v1/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 2, "{keys}");
    verify_jwt(h, &old_token).await;
    let r = b.get(&authorize_path(&c, &[("prompt", "none")])).await;
    let code = query_of(r.location.as_deref().unwrap())["code"].clone();
    let (_, t2) = exchange(
        h,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", v.as_str()),
        ],
    )
    .await;
    let new_token = t2["id_token"].as_str().unwrap();
    verify_jwt(h, new_token).await;
    let new_header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(new_token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(new_header["alg"], "ES256", "the new key signs");
    assert_eq!(new_header["kid"], jwk["kid"]);
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t["id_token"].as_str().unwrap().split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256", "the first token was RS256");
    // Bad input names the field.
    let r = h
        .post(
            "a.test",
            "/api/v1/oauth2/keys/rotate",
            &h.token_a,
            json!({"alg": "HS256"}),
        )
        .send()
        .await
        .unwrap();
    common::assert_error(r, 400, "E0000001", "alg").await;
}
http_test!(key_rotation_keeps_the_old_key_published);

/// A code whose user was deactivated between the authorization response and the token request
/// issues nothing (`invalid_grant`); a code of a user deleted
/// meanwhile is refused the same way (not a 404 or a 500).
async fn codes_of_users_no_longer_active_issue_nothing(h: &Harness) {
    let c = web_app(h).await;
    for (login, action) in [("sus@a.test", "suspend"), ("gone@a.test", "delete")] {
        let uid = user(h, login).await;
        let b = Browser::new(h, "a.test");
        let loc = authorize_signing_in(&b, &authorize_path(&c, &[]), login).await;
        let code = query_of(&loc)["code"].clone();
        let path = format!("/api/v1/users/{uid}/lifecycle/deactivate");
        let res = h
            .post("a.test", &path, &h.token_a, json!({}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "deactivate: {}", res.status());
        if action == "delete" {
            let res = h
                .client
                .delete(h.url("a.test", &format!("/api/v1/users/{uid}")))
                .header("authorization", format!("SSWS {}", h.token_a))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "delete: {}", res.status());
        }
        let (status, t) = redeem(h, &c, &code).await;
        assert_eq!(status, 400, "{action}: {t}");
        assert_eq!(t["error"], "invalid_grant", "{action}: {t}");
        assert!(t.get("access_token").is_none() && t.get("id_token").is_none());
    }
}
http_test!(codes_of_users_no_longer_active_issue_nothing);
