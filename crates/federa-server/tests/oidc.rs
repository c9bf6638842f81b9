//! The OpenID Provider over HTTP on both databases (CONTRACT §3, §4): discovery and keys; the
//! code flow with PKCE through the real sign-in pages; ID token checked against the JWKS (iss,
//! aud, nonce, amr, auth_time, at_hash); userinfo; code reuse revoking what was issued; refresh
//! rotation and reuse detection; prompt=none, prompt=login and max_age; redirect-URI mismatch
//! and unknown clients answered with a page, never a redirect; PKCE failures; the org2org app's
//! okta_auth JWE encrypted to the SP org's published key; revocation and introspection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use common::Harness;
use common::browser::{Browser, csrf};
use federa_core::model::app::AppInput;
use federa_core::service::{apps, orgs};
use serde_json::{Value, json};

const REDIRECT: &str = "https://rp.example/cb";

struct Client {
    id: String,
    secret: Option<String>,
}

async fn app(h: &Harness, input: Value) -> Client {
    let ctx = &h.server.as_ref().unwrap().ctx;
    let org = orgs::resolve(ctx, Some("a.test")).await.unwrap();
    let input: AppInput = serde_json::from_value(input).unwrap();
    let (a, secret) = apps::create(ctx, &org.id, input, true).await.unwrap();
    Client {
        id: a.client_id.unwrap(),
        secret: secret.map(|s| s.expose().clone()),
    }
}

async fn web_app(h: &Harness) -> Client {
    app(
        h,
        json!({"label": "RP", "signOnMode": "OPENID_CONNECT",
               "settings": {"oauthClient": {"redirect_uris": [REDIRECT],
                   "post_logout_redirect_uris": ["https://rp.example/bye"],
                   "grant_types": ["authorization_code", "refresh_token"]}}}),
    )
    .await
}

async fn user(h: &Harness, login: &str) -> String {
    let res = h
        .post(
            "a.test",
            "/api/v1/users?activate=true",
            &h.token_a,
            common::user_body(login),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn verifier() -> (String, String) {
    let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_string();
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, v.as_bytes());
    (
        v,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref()),
    )
}

fn authorize_path(c: &Client, extra: &[(&str, &str)]) -> String {
    let (_, challenge) = verifier();
    let mut u = url::Url::parse("http://x/oauth2/v1/authorize").unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", &c.id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", "st&=1")
        .append_pair("nonce", "n-0S6")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        u.query_pairs_mut().append_pair(k, v);
    }
    format!("/oauth2/v1/authorize?{}", u.query().unwrap())
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Follows an authorize request through the sign-in pages (password only) to the redirect.
async fn authorize_signing_in(b: &Browser<'_>, path: &str, login: &str) -> String {
    let r = b.get(path).await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(r.location.as_deref(), Some("/login"));
    let p = b.get("/login").await;
    let token = csrf(&p.html);
    let r = b
        .post("/login/identify", &[("csrf", &token), ("username", login)])
        .await;
    assert_eq!(r.status, 303);
    let r = b
        .post(
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let back = r.location.unwrap();
    assert!(back.starts_with("/oauth2/v1/authorize?"), "{back}");
    let r = b.get(&back).await;
    assert_eq!(r.status, 302, "{}", r.html);
    r.location.unwrap()
}

async fn exchange(h: &Harness, c: &Client, form: &[(&str, &str)]) -> (u16, Value) {
    let mut req = h
        .client
        .post(h.url("a.test", "/oauth2/v1/token"))
        .form(form);
    if let Some(s) = &c.secret {
        req = req.basic_auth(&c.id, Some(s));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    (status, res.json().await.unwrap())
}

/// Redeems `code` (from [`authorize_path`]'s request, with its PKCE verifier).
async fn redeem(h: &Harness, c: &Client, code: &str) -> (u16, Value) {
    let (v, _) = verifier();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", v.as_str()),
    ];
    exchange(h, c, &form).await
}

async fn verify_jwt(h: &Harness, token: &str) -> Value {
    let jwks = h
        .client
        .get(h.url("a.test", "/oauth2/v1/keys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys = federa_jose::VerifyingKeySet::from_jwks_json(&jwks).unwrap();
    let v = federa_jose::jws::verify(token, &keys, &federa_jose::JwsAlg::ALL).unwrap();
    Value::Object(v.claims().unwrap())
}

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
