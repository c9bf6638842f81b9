//! A user's OAuth tokens under the Users API, on both databases: "clear user sessions" with
//! `oauthTokens=true` revokes every code and token issued to the user (and only theirs), and
//! a deactivation revokes them for good: reactivating the user does not bring them back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::browser::Browser;
use common::rp::*;
use serde_json::{Value, json};

/// Tokens a user gets from the code flow (password sign-in in a new browser).
struct Issued {
    access: String,
    refresh: String,
}

async fn tokens_of(h: &Harness, c: &Client, login: &str) -> Issued {
    let b = Browser::new(h, "a.test");
    let loc = authorize_signing_in(&b, &authorize_path(c, &[]), login).await;
    let (status, t) = redeem(h, c, &query_of(&loc)["code"]).await;
    assert_eq!(status, 200, "{t}");
    Issued {
        access: t["access_token"].as_str().unwrap().to_string(),
        refresh: t["refresh_token"].as_str().unwrap().to_string(),
    }
}

/// What the org answers for these tokens now: (refresh grant status, userinfo status,
/// introspection's `active` for the access token).
async fn standing(h: &Harness, c: &Client, t: &Issued) -> (u16, u16, Value) {
    let refresh = {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh.as_str()),
        ];
        // A successful refresh rotates; the test only asks whether it is still honoured.
        exchange(h, c, &form).await.0
    };
    let info = h
        .client
        .get(h.url("a.test", "/oauth2/v1/userinfo"))
        .bearer_auth(&t.access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let intro = introspect(h, c, &t.access).await;
    (refresh, info, intro["active"].clone())
}

async fn introspect(h: &Harness, c: &Client, token: &str) -> Value {
    h.client
        .post(h.url("a.test", "/oauth2/v1/introspect"))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn api(h: &Harness, method: reqwest::Method, path: &str) -> u16 {
    h.client
        .request(method, h.url("a.test", path))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn clearing_sessions_with_oauth_tokens_revokes_them(h: &Harness) {
    let c = web_app(h).await;
    let ana = user(h, "ana@a.test").await;
    user(h, "bo@a.test").await;
    let ana_tokens = tokens_of(h, &c, "ana@a.test").await;
    let bo_tokens = tokens_of(h, &c, "bo@a.test").await;
    // A code issued before the revocation and redeemed after it issues nothing.
    let b = Browser::new(h, "a.test");
    let loc = authorize_signing_in(&b, &authorize_path(&c, &[]), "ana@a.test").await;
    let pending_code = query_of(&loc)["code"].clone();
    let path = format!("/api/v1/users/{ana}/sessions?oauthTokens=true");
    assert_eq!(api(h, reqwest::Method::DELETE, &path).await, 204);
    let (status, t) = redeem(h, &c, &pending_code).await;
    assert_eq!(
        (status, t["error"].as_str()),
        (400, Some("invalid_grant")),
        "{t}"
    );
    let refresh_intro = introspect(h, &c, &ana_tokens.refresh).await;
    assert_eq!(refresh_intro["active"], false, "{refresh_intro}");
    assert_eq!(
        standing(h, &c, &ana_tokens).await,
        (400, 401, json!(false)),
        "ana's refresh token, userinfo and introspection"
    );
    // Another user's tokens are untouched (their refresh succeeds and rotates).
    let bo_access = standing(h, &c, &bo_tokens).await;
    assert_eq!(bo_access, (200, 200, json!(true)));
    // Ana signs in again; ending her sessions without the parameter leaves the new tokens
    // working. (`standing` spends the refresh token, so it is asked once per token set.)
    let fresh = tokens_of(h, &c, "ana@a.test").await;
    let path = format!("/api/v1/users/{ana}/sessions");
    assert_eq!(api(h, reqwest::Method::DELETE, &path).await, 204);
    assert_eq!(standing(h, &c, &fresh).await, (200, 200, json!(true)));
}
http_test!(clearing_sessions_with_oauth_tokens_revokes_them);

async fn deactivation_revokes_tokens_for_good(h: &Harness) {
    let c = web_app(h).await;
    let id = user(h, "cy@a.test").await;
    let t = tokens_of(h, &c, "cy@a.test").await;
    let lifecycle = |op: &'static str| format!("/api/v1/users/{id}/lifecycle/{op}");
    assert_eq!(
        api(h, reqwest::Method::POST, &lifecycle("deactivate")).await,
        200
    );
    assert_eq!(
        api(h, reqwest::Method::POST, &lifecycle("activate")).await,
        200
    );
    let u: Value = h
        .get_json("a.test", &format!("/api/v1/users/{id}"), &h.token_a)
        .await;
    assert_eq!(u["status"], "ACTIVE", "{u}");
    assert_eq!(
        standing(h, &c, &t).await,
        (400, 401, json!(false)),
        "tokens issued before the deactivation stay revoked"
    );
    let fresh = tokens_of(h, &c, "cy@a.test").await;
    assert_eq!(standing(h, &c, &fresh).await, (200, 200, json!(true)));
}
http_test!(deactivation_revokes_tokens_for_good);
