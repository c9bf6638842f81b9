//! An OIDC relying party for the HTTP suites of Federa's OpenID Provider (`oidc.rs`,
//! `oidc_step_up.rs`): apps and users through the service layer and the API, the code flow
//! with PKCE through the real sign-in pages, the token endpoint and ID-token checks.

use super::Harness;
use super::browser::{Browser, csrf};
use base64::Engine as _;
use federa_core::model::app::AppInput;
use federa_core::service::{apps, orgs};
use serde_json::{Value, json};

pub const REDIRECT: &str = "https://rp.example/cb";

pub struct Client {
    pub id: String,
    pub secret: Option<String>,
}

pub async fn app(h: &Harness, input: Value) -> Client {
    let ctx = &h.server.as_ref().unwrap().ctx;
    let org = orgs::resolve(ctx, Some("a.test")).await.unwrap();
    let input: AppInput = serde_json::from_value(input).unwrap();
    let (a, secret) = apps::create(ctx, &org.id, input, true).await.unwrap();
    Client {
        id: a.client_id.unwrap(),
        secret: secret.map(|s| s.expose().clone()),
    }
}

pub async fn web_app(h: &Harness) -> Client {
    app(
        h,
        json!({"label": "RP", "signOnMode": "OPENID_CONNECT",
               "settings": {"oauthClient": {"redirect_uris": [REDIRECT],
                   "post_logout_redirect_uris": ["https://rp.example/bye"],
                   "grant_types": ["authorization_code", "refresh_token"]}}}),
    )
    .await
}

pub async fn user(h: &Harness, login: &str) -> String {
    let res = h
        .post(
            "a.test",
            "/api/v1/users?activate=true",
            &h.token_a,
            super::user_body(login),
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

pub fn verifier() -> (String, String) {
    let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_string();
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, v.as_bytes());
    (
        v,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref()),
    )
}

pub fn authorize_path(c: &Client, extra: &[(&str, &str)]) -> String {
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

pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Follows an authorize request through the sign-in pages (password only) to the redirect.
pub async fn authorize_signing_in(b: &Browser<'_>, path: &str, login: &str) -> String {
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

pub async fn exchange(h: &Harness, c: &Client, form: &[(&str, &str)]) -> (u16, Value) {
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
pub async fn redeem(h: &Harness, c: &Client, code: &str) -> (u16, Value) {
    let (v, _) = verifier();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", v.as_str()),
    ];
    exchange(h, c, &form).await
}

pub async fn verify_jwt(h: &Harness, token: &str) -> Value {
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
