//! Two Federa nodes on one database (issue 7 item 3; ARCHITECTURE "Scale-out"): a browser whose
//! requests alternate between the nodes signs in (flow state, CSRF, rotated cookies), completes
//! an OIDC code flow whose code is minted on one node and redeemed on the other with tokens
//! signed by a key one node made and the other publishes, and has a replayed code refused by
//! either node. Runs on PostgreSQL (the multi-node database) and on SQLite (two pools on one
//! file).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::browser::csrf;
use federa_core::model::app::AppInput;
use federa_core::service::{apps, orgs};
use serde_json::{Value, json};
use std::sync::Arc;

const REDIRECT: &str = "https://rp.example/cb";

/// A browser: one cookie jar, two clients (one per node).
struct TwoNodes {
    a: reqwest::Client,
    b: reqwest::Client,
    port_a: u16,
    port_b: u16,
}

impl TwoNodes {
    fn new(port_a: u16, port_b: u16) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let mk = |port: u16| {
            reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .resolve("a.test", format!("127.0.0.1:{port}").parse().unwrap())
                .build()
                .unwrap()
        };
        TwoNodes {
            a: mk(port_a),
            b: mk(port_b),
            port_a,
            port_b,
        }
    }

    /// The URL of `path` on a node; both nodes answer for `a.test` on their own port, and the
    /// cookie jar ignores ports, so the browser's cookies go to both.
    fn url(&self, node: char, path: &str) -> (reqwest::Client, String) {
        match node {
            'a' => (
                self.a.clone(),
                format!("http://a.test:{}{path}", self.port_a),
            ),
            _ => (
                self.b.clone(),
                format!("http://a.test:{}{path}", self.port_b),
            ),
        }
    }

    async fn get(&self, node: char, path: &str) -> (u16, Option<String>, String) {
        let (c, url) = self.url(node, path);
        let r = c.get(url).send().await.unwrap();
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, loc, r.text().await.unwrap())
    }

    async fn post(&self, node: char, path: &str, form: &[(&str, &str)]) -> (u16, Option<String>) {
        let (c, url) = self.url(node, path);
        let r = c.post(url).form(form).send().await.unwrap();
        let status = r.status().as_u16();
        (
            status,
            r.headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string()),
        )
    }
}

async fn a_sign_in_moves_between_nodes(h: &Harness) {
    // The second node: same database, same master key.
    let cfg = common::test_config(h.db.as_ref().unwrap());
    let node_b = federa_server::app::start(&cfg, false).await.unwrap();
    let ctx = h.server.as_ref().unwrap().ctx.clone();
    let org = orgs::resolve(&ctx, Some("a.test")).await.unwrap();
    h.post(
        "a.test",
        "/api/v1/users?activate=true",
        &h.token_a,
        common::user_body("nina@a.test"),
    )
    .send()
    .await
    .unwrap();
    let input: AppInput =
        serde_json::from_value(json!({"label": "RP", "signOnMode": "OPENID_CONNECT",
        "settings": {"oauthClient": {"redirect_uris": [REDIRECT]}}}))
        .unwrap();
    let (app, secret) = apps::create(&ctx, &org.id, input, true).await.unwrap();
    let client_id = app.client_id.unwrap();
    let secret = secret.unwrap().expose().clone();
    let n = TwoNodes::new(h.port, node_b.addr.port());

    let mut u = url::Url::parse("http://x/oauth2/v1/authorize").unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "s")
        .append_pair("nonce", "n");
    let authorize = format!("/oauth2/v1/authorize?{}", u.query().unwrap());
    // Node A starts the flow; node B renders it; A takes the username; B the password.
    let (st, loc, _) = n.get('a', &authorize).await;
    assert_eq!((st, loc.as_deref()), (303, Some("/login")));
    let (st, _, html) = n.get('b', "/login").await;
    assert_eq!(st, 200);
    assert!(
        html.contains("Username"),
        "node B continues node A's flow: {html}"
    );
    let token = csrf(&html);
    let (st, _) = n
        .post(
            'a',
            "/login/identify",
            &[("csrf", &token), ("username", "nina@a.test")],
        )
        .await;
    assert_eq!(st, 303);
    let (st, back) = n
        .post(
            'b',
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(st, 303);
    let back = back.unwrap();
    // The session made on B is honoured by A, which mints the code.
    let (st, loc, html) = n.get('a', &back).await;
    assert_eq!(st, 302, "{html}");
    let code: String = url::Url::parse(&loc.unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    // B redeems it; the ID token verifies against A's JWKS.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (c, url) = n.url('b', "/oauth2/v1/token");
    let t: Value = c
        .post(url)
        .basic_auth(&client_id, Some(&secret))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = t["id_token"].as_str().unwrap_or_else(|| panic!("{t}"));
    let (c, url) = n.url('a', "/oauth2/v1/keys");
    let jwks = c.get(url).send().await.unwrap().text().await.unwrap();
    let keys = federa_jose::VerifyingKeySet::from_jwks_json(&jwks).unwrap();
    federa_jose::jws::verify(id_token, &keys, &federa_jose::JwsAlg::ALL).unwrap();
    // The code is spent for both nodes.
    for node in ['a', 'b'] {
        let (c, url) = n.url(node, "/oauth2/v1/token");
        let r = c
            .post(url)
            .basic_auth(&client_id, Some(&secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "node {node}");
    }
    // Signing out on A ends the session on B too.
    let (c, url) = n.url('a', "/api/v1/sessions/me");
    assert_eq!(c.delete(url).send().await.unwrap().status().as_u16(), 204);
    let (c, url) = n.url('b', "/api/v1/sessions/me");
    assert_eq!(c.get(url).send().await.unwrap().status().as_u16(), 404);
    node_b.stop().await.unwrap();
}
http_test!(a_sign_in_moves_between_nodes);
