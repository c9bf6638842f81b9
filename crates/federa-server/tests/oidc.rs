//! The OpenID Provider over HTTP on both databases (CONTRACT §3, §4): discovery and keys; the
//! code flow with PKCE through the real sign-in pages; ID token checked against the JWKS (iss,
//! aud, nonce, amr, auth_time, at_hash); userinfo; code reuse revoking what was issued; refresh
//! rotation and reuse detection; prompt=none, prompt=login and max_age; redirect-URI mismatch
//! and unknown clients answered with a page, never a redirect; PKCE failures; the org2org app's
//! okta_auth JWE encrypted to the SP org's published key; revocation and introspection. Step-up,
//! Force Authentication, key rotation and inactive users are in `oidc_step_up.rs`; the relying
//! party both use is `common/rp.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::browser::Browser;
use common::rp::*;
use serde_json::{Value, json};

async fn discovery_and_keys(h: &Harness) {
    let d: Value = h
        .client
        .get(h.url("a.test", "/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issuer = h.url("a.test", "");
    assert_eq!(d["issuer"], issuer);
    assert_eq!(d["jwks_uri"], format!("{issuer}/oauth2/v1/keys"));
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    let k: Value = h
        .client
        .get(h.url("a.test", "/oauth2/v1/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = k["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "RS256");
    assert!(keys[0].get("d").is_none(), "no private members");
    // Another org has its own key.
    let kb: Value = h
        .client
        .get(h.url("b.test", "/oauth2/v1/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(kb["keys"][0]["kid"], keys[0]["kid"]);
}
http_test!(discovery_and_keys);

async fn code_flow_with_pkce_refresh_and_reuse(h: &Harness) {
    let uid = user(h, "ada@a.test").await;
    let c = web_app(h).await;
    let b = Browser::new(h, "a.test");
    let loc = authorize_signing_in(&b, &authorize_path(&c, &[]), "ada@a.test").await;
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let q = query_of(&loc);
    assert_eq!(q["state"], "st&=1");
    assert_eq!(q["iss"], h.url("a.test", ""), "RFC 9207 iss");
    let code = q["code"].clone();
    let (v, _) = verifier();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", v.as_str()),
    ];
    let (status, t) = exchange(h, &c, &form).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    let id = verify_jwt(h, t["id_token"].as_str().unwrap()).await;
    assert_eq!(id["iss"], h.url("a.test", ""));
    assert_eq!(id["aud"], c.id);
    assert_eq!(id["sub"], uid);
    assert_eq!(id["nonce"], "n-0S6");
    assert_eq!(id["amr"], json!(["pwd"]));
    assert!(id["auth_time"].as_i64().unwrap() > 1_600_000_000);
    assert!(id.get("okta_auth").is_none(), "only for org2org apps");
    let at = t["access_token"].as_str().unwrap().to_string();
    let info = h
        .client
        .get(h.url("a.test", "/oauth2/v1/userinfo"))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["sub"], uid);
    assert_eq!(info["email"], "ada@a.test");
    // The refresh token rotates.
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    let (status, t2) = exchange(
        h,
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t2}");
    let rt2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt2, rt);
    // Reusing the spent refresh token is refused and revokes the family (the new one too).
    let (status, e) = exchange(
        h,
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
        ],
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    let (status, _) = exchange(
        h,
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt2.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 400, "the family was revoked");
    // The code is single use; reusing it revokes the access token it gave.
    let (status, e) = exchange(h, &c, &form).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    let info = h
        .client
        .get(h.url("a.test", "/oauth2/v1/userinfo"))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 401);
    assert!(info.headers().get("www-authenticate").is_some());
}
http_test!(code_flow_with_pkce_refresh_and_reuse);

async fn bad_requests_get_pages_or_oauth_errors(h: &Harness) {
    user(h, "bob@a.test").await;
    let c = web_app(h).await;
    let b = Browser::new(h, "a.test");
    // Unknown client and mismatched redirect URI: a page, never a redirect.
    let unknown = Client {
        id: "nope".into(),
        secret: None,
    };
    let r = b.get(&authorize_path(&unknown, &[])).await;
    assert_eq!(r.status, 400);
    assert!(r.location.is_none());
    let bad_redirect = authorize_path(&c, &[]).replace("rp.example%2Fcb", "evil.example%2Fcb");
    let r = b.get(&bad_redirect).await;
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(r.location.is_none());
    // prompt=none without a session: login_required at the redirect URI, with state and iss.
    let r = b.get(&authorize_path(&c, &[("prompt", "none")])).await;
    assert_eq!(r.status, 302);
    let q = query_of(r.location.as_deref().unwrap());
    assert_eq!(q["error"], "login_required");
    assert_eq!(q["state"], "st&=1");
    assert!(q.contains_key("iss"));
    // Unsupported response type is an error at the redirect URI.
    let path = authorize_path(&c, &[]).replace("response_type=code", "response_type=token");
    let r = b.get(&path).await;
    assert_eq!(r.status, 302);
    assert_eq!(
        query_of(r.location.as_deref().unwrap())["error"],
        "unsupported_response_type"
    );
    // A wrong PKCE verifier and a wrong client secret.
    let loc = authorize_signing_in(&b, &authorize_path(&c, &[]), "bob@a.test").await;
    let code = query_of(&loc)["code"].clone();
    let (status, e) = exchange(
        h,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-1",
            ),
        ],
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    let wrong = Client {
        id: c.id.clone(),
        secret: Some("not-the-secret-at-all".into()),
    };
    let (status, e) = exchange(
        h,
        &wrong,
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
    // Garbage grant type.
    let (status, e) = exchange(h, &c, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    // A session exists now: prompt=none works, prompt=login and max_age=0 force a sign-in.
    let r = b.get(&authorize_path(&c, &[("prompt", "none")])).await;
    assert_eq!(r.status, 302);
    assert!(query_of(r.location.as_deref().unwrap()).contains_key("code"));
    for extra in [("prompt", "login"), ("max_age", "0")] {
        let r = b.get(&authorize_path(&c, &[extra])).await;
        assert_eq!(r.status, 303, "{extra:?} forces a sign-in");
        assert_eq!(r.location.as_deref(), Some("/login"));
        let p = b.get("/login").await;
        assert!(
            p.html.contains("Username"),
            "{extra:?}: the sign-in page, not a redirect"
        );
    }
    let loc =
        authorize_signing_in(&b, &authorize_path(&c, &[("max_age", "0")]), "bob@a.test").await;
    assert!(
        query_of(&loc).contains_key("code"),
        "no loop after the fresh sign-in"
    );
    // Regression: a forged or replayed return marker does not waive prompt=login.
    for marker in ["0", "v1.AAAA.BBBB"] {
        let r = b
            .get(&authorize_path(
                &c,
                &[("prompt", "login"), ("federa_login_after", marker)],
            ))
            .await;
        assert_eq!(r.location.as_deref(), Some("/login"), "marker {marker}");
    }
}
http_test!(bad_requests_get_pages_or_oauth_errors);

async fn public_clients_need_pkce(h: &Harness) {
    let c = app(
        h,
        json!({"label": "SPA", "signOnMode": "OPENID_CONNECT",
               "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
               "settings": {"oauthClient": {"redirect_uris": [REDIRECT]}}}),
    )
    .await;
    assert!(c.secret.is_none());
    let b = Browser::new(h, "a.test");
    let path = authorize_path(&c, &[]);
    let without = path
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let r = b.get(&without).await;
    assert_eq!(r.status, 302);
    assert_eq!(
        query_of(r.location.as_deref().unwrap())["error"],
        "invalid_request"
    );
}
http_test!(public_clients_need_pkce);

async fn org2org_id_token_carries_okta_auth(h: &Harness) {
    // The SP org's published encryption key, served on loopback.
    let key = federa_jose::RsaDecryptionKey::generate(federa_jose::RsaKeySize::Rsa2048).unwrap();
    let jwks = federa_jose::EncryptionKeySet::new(vec![key.public_key().clone()])
        .unwrap()
        .to_jwks()
        .to_json()
        .unwrap();
    let keys = federa_jose::DecryptionKeySet::from_keys([key]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = axum::Router::new().route(
        "/api/v1/idps/0oaidp1234567890abcde/jwks",
        axum::routing::get(move || {
            let j = jwks.clone();
            async move { j }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let base = format!("http://127.0.0.1:{port}");
    let uid = user(h, "eve@a.test").await;
    let c = app(
        h,
        json!({"name": "okta_org2org", "label": "Hub", "signOnMode": "OPENID_CONNECT",
               "settings": {"app": {"baseUrl": base, "idpId": "0oaidp1234567890abcde"}}}),
    )
    .await;
    let redirect = format!("{base}/oauth2/v1/authorize/callback");
    let b = Browser::new(h, "a.test");
    let path = authorize_path(&c, &[]).replace(
        &url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        &url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
    );
    let loc = authorize_signing_in(&b, &path, "eve@a.test").await;
    let code = query_of(&loc)["code"].clone();
    let (v, _) = verifier();
    let (status, t) = exchange(
        h,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", v.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let id = verify_jwt(h, t["id_token"].as_str().unwrap()).await;
    let jwe = id["okta_auth"]
        .as_str()
        .expect("okta_auth for the org2org app");
    let plain = federa_jose::jwe::decrypt(&keys, jwe, &federa_jose::SystemRng::new()).unwrap();
    let payload: Value = serde_json::from_slice(plain.plaintext()).unwrap();
    assert_eq!(payload["iss"], id["iss"]);
    assert_eq!(payload["aud"], c.id);
    assert_eq!(payload["sub"], uid);
    assert_eq!(payload["engine"], "IDENTITY");
    assert_eq!(payload["mfaVerified"], "false");
    let fv = payload["factorVerifications"].as_array().unwrap();
    assert_eq!(fv.len(), 1);
    assert_eq!(fv[0]["factor"]["authenticatorKeyName"], "okta_password");
    server.abort();
}
http_test!(org2org_id_token_carries_okta_auth);

async fn revoke_and_introspect(h: &Harness) {
    user(h, "kim@a.test").await;
    let c = web_app(h).await;
    let b = Browser::new(h, "a.test");
    let loc = authorize_signing_in(&b, &authorize_path(&c, &[]), "kim@a.test").await;
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
    let at = t["access_token"].as_str().unwrap();
    let intro = |token: String| {
        let c = &c;
        async move {
            h.client
                .post(h.url("a.test", "/oauth2/v1/introspect"))
                .basic_auth(&c.id, c.secret.as_ref())
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let i = intro(at.to_string()).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["client_id"], c.id);
    let r = h
        .client
        .post(h.url("a.test", "/oauth2/v1/revoke"))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(intro(at.to_string()).await["active"], false);
    assert_eq!(intro("garbage".into()).await["active"], false);
    // Without client authentication: 401.
    let r = h
        .client
        .post(h.url("a.test", "/oauth2/v1/introspect"))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Logout with a valid id_token_hint goes to the registered URI, with state.
    let r = b
        .get(&format!(
            "/oauth2/v1/logout?id_token_hint={}&post_logout_redirect_uri=https%3A%2F%2Frp.example%2Fbye&state=s1",
            t["id_token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(
        r.location.as_deref(),
        Some("https://rp.example/bye?state=s1")
    );
    let (s, _) = b.json("/api/v1/sessions/me").await;
    assert_eq!(s, 404, "the session ended");
}
http_test!(revoke_and_introspect);
