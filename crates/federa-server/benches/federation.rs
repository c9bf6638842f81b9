//! Issue 6 item 6: what the SP (hub) spends on one federated sign-in that carries an
//! `okta_auth` JWE, against one RSA-2048 private-key operation on the same machine; and how many
//! complete org2org sign-ins a real server completes per second over loopback HTTP.
//!
//! The world is the one of `tests/broker.rs`, on a real server (`app::start` on `127.0.0.1:0`,
//! SQLite in a temporary directory, or PostgreSQL when `FEDERA_TEST_POSTGRES_URL` is set):
//! `spoke.localhost` is the IdP org (an org2org OIDC app bound to a two-factor policy, a user
//! with a password and Okta Verify TOTP), `hub.localhost` the SP org (an `OKTA_INTEGRATION` IdP
//! object for the spoke with `trustClaims: true`, JIT provisioning, and a global session policy
//! requiring MFA). One complete sign-in through HTTP (password + TOTP at the spoke) is done
//! untimed first: it provisions and links the hub user and leaves a spoke session.
//!
//! **Part 1 — SP-side processing (criterion, in-process).** The hub's OIDC callback with
//! everything upstream pre-made: ID tokens are minted exactly as the spoke mints them
//! (`federa_oidc::id_token::sign_id_token` with the spoke's RS256 signing key; `okta_auth` =
//! `build_payload` of a password + Okta Verify TOTP verification, encrypted with
//! `jwe::encrypt` to the hub IdP's published SP key), and the two upstream HTTP calls are served
//! by an in-memory [`Fetch`] stub (the token response for the code; the spoke's real JWKS bytes).
//! Benchmarks (group `federation_sp_<backend>`):
//!
//! - `rsa2048_oaep_decrypt_raw`: the bare RSA-2048 OAEP-SHA-256 private-key operation on
//!   aws-lc-rs, with the hub IdP's own SP key (the private op inside the JWE decrypt);
//! - `rsa2048_pkcs1_sign_raw`: an RS256 signature (RSASSA-PKCS1-v1_5 SHA-256) of 32 bytes with a
//!   2048-bit key on aws-lc-rs;
//! - `callback_core`: `broker::oidc::callback` as the web handler calls it, for a flow and a
//!   pending state made per iteration (untimed): state take, IdP load, code exchange (stub),
//!   JWKS (cached after the first fetch through the stub), ID-token validation, replay cache,
//!   SP key (opened once, cached), JWE decrypt, org features, trust rules, user resolution,
//!   `signin::continue_federated` (policies; one transaction for the session, both System Log
//!   events, the last-login time and the flow's removal). Must end in `BrokerOutcome::Done`
//!   (ALLOW, no top-up);
//! - `callback_http_oneshot`: the same through the complete router (`tower::ServiceExt::oneshot`
//!   on `federa_web::router`): `GET /oauth2/v1/authorize/callback?code&state&iss` with the flow
//!   cookie; adds org resolution by host, flow load, cookies and the 303. No hyper, no TCP;
//! - `stage_*`: each stage of the callback alone, called directly, in the order the callback
//!   runs them; their sum is printed next to `callback_core`. `sub_12a_policy_evaluate` and
//!   `sub_12b_session_create` split stage 12 (policy decision; session insert) and are not
//!   added to the sum;
//! - `net_*` (outside the budget; diagnostic): the real outbound client (`HttpFetcher`, what the
//!   server uses: one pooled client) fetching the spoke's JWKS over loopback from the running
//!   server.
//!
//! At the end the tool prints a table of the criterion estimates (mean, median) with each stage
//! as a multiple of `rsa2048_oaep_decrypt_raw`, and runs `openssl speed -seconds S rsa2048`.
//!
//! **Part 2 — full HTTP round trip (custom load harness).** C virtual browsers, each with its
//! own keep-alive HTTP/1.1 connection (hyper) and its own cookie jars (spoke: the session from
//! the first sign-in; hub: emptied before every sign-in), loop over:
//! `GET hub /sso/idps/{id}?return_to=/me` (303 to the spoke) → `GET spoke /oauth2/v1/authorize…`
//! with the spoke session (302 to the hub callback with a code) → `GET hub
//! /oauth2/v1/authorize/callback…` (the hub redeems the code at the spoke's token endpoint and
//! fetches the spoke's JWKS, both over real loopback HTTP through the server's own fetcher; the
//! spoke's token endpoint fetches the hub IdP's JWKS to encrypt `okta_auth`) → 303 to `/me` with
//! a hub session cookie. Every step's status and Location are checked; a warm-up pass also checks
//! `/api/v1/sessions/me` at the hub (amr `pwd`, `otp`, `mfa` credited from the IdP). It prints
//! sign-ins/s, latency percentiles, mean per-step latency, and the CPU used by the server's
//! threads (runtime + SQLite workers, PostgreSQL backends), the client and the rest of the
//! machine during each timed pass, from `/proc`.
//!
//! Environment (all optional):
//! - `FED_PARTS` (`sp,load`); `FED_BACKENDS` (`sqlite,postgres`; PostgreSQL only when
//!   `FEDERA_TEST_POSTGRES_URL` is set); `FED_SP_BACKENDS` (`sqlite`) for part 1;
//! - part 1: `FED_MEASURE_SECONDS` (5), `FED_SPEED_SECONDS` (5; `0` skips `openssl speed`);
//!   criterion's own arguments (a name filter) are honoured;
//! - part 2: `FED_LOAD_WORKERS` (`1,2`: server runtime threads), `FED_LOAD_SIGNINS` (600 per
//!   timed pass), `FED_LOAD_WARMUP` (60), `FED_LOAD_BROWSERS` (8), `FED_LOAD_REPEAT` (3).
//!
//! Run: `cargo bench -p federa-server --bench federation`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use criterion::{BatchSize, Criterion};
use federa_claims::okta_auth::{PayloadHeader, build_payload};
use federa_claims::trust::{self, TrustInput, UpstreamClaims};
use federa_claims::{
    AuthenticatorKey, Engine as ClaimsEngine, MethodFlags, MethodType, OktaAuthInput, OuterBinding,
    local_verification,
};
use federa_core::Ctx;
use federa_core::fetch::{Fetch, FetchError};
use federa_core::model::app::AppInput;
use federa_core::model::idp::IdpInput;
use federa_core::model::{Engine, Org};
use federa_core::ports::BrokerState;
use federa_core::service::broker::{self, BrokerOutcome};
use federa_core::service::idps::{self, Idp};
use federa_core::service::sessions::{SESSION_COOKIE, hash_token, random_token};
use federa_core::service::signin::{self, Advance, Client, FLOW_COOKIE};
use federa_core::service::syslog::{LogActor, LogEventInput, LogTarget, OutcomeResult, Severity};
use federa_core::service::{apps, idps as idp_svc, keys, orgs};
use federa_jose::{EncryptOptions, EncryptionKeySet, JwsAlg, VerifyingKeySet};
use federa_oidc::id_token::{IdTokenClaims, at_hash, new_token_id, sign_id_token};
use federa_oidc::rp::{IdTokenExpectations, validate_id_token};
use federa_server::app::{self, Running};
use federa_server::config::{Config, Overrides};
use federa_testkit::{Db, TestDb};
use federa_types::Timestamp;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const SPOKE: &str = "spoke.localhost";
const HUB: &str = "hub.localhost";
const LOGIN: &str = "sam@example.com";
const PASSWORD: &str = "correct horse battery";
const CLIENT_SECRET: &str = "hub-client-secret-0123456789";

// ---------------------------------------------------------------------------------------------
// Options

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn backends(name: &str, default: &str) -> Vec<Db> {
    env_list(name, default)
        .iter()
        .map(|b| match b.as_str() {
            "sqlite" => Db::Sqlite,
            "postgres" | "pg" | "postgresql" => Db::Postgres,
            other => panic!("unknown backend {other}"),
        })
        .collect()
}

fn backend_name(db: Db) -> &'static str {
    match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    }
}

// ---------------------------------------------------------------------------------------------
// A browser: one keep-alive HTTP/1.1 connection, a cookie jar per host

/// Cookies as a browser keeps them for one site.
#[derive(Debug, Default, Clone)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn update(&mut self, headers: &hyper::HeaderMap) {
        for v in headers.get_all(hyper::header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (name, value) = s.split(';').next().unwrap().split_once('=').unwrap();
            self.0.retain(|(n, _)| n != name);
            if !value.is_empty() && !s.contains("Max-Age=0") {
                self.0.push((name.to_string(), value.to_string()));
            }
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        Some(
            self.0
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// `application/x-www-form-urlencoded`.
fn form(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, s) in [k, v].into_iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            for b in s.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        out.push(char::from(b))
                    }
                    b' ' => out.push('+'),
                    _ => {
                        let _ = write!(out, "%{b:02X}");
                    }
                }
            }
        }
    }
    out
}

fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let i = html.find(marker).expect("a CSRF field") + marker.len();
    html[i..].split('"').next().unwrap().to_string()
}

/// The path and query of an absolute or relative URL.
fn path_of(url: &str) -> String {
    if url.starts_with('/') {
        return url.to_string();
    }
    let u = url::Url::parse(url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

struct Browser {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    port: u16,
    spoke: Jar,
    hub: Jar,
}

impl Browser {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Browser {
            sender,
            port: addr.port(),
            spoke: Jar::default(),
            hub: Jar::default(),
        }
    }

    async fn send(&mut self, host: &str, path: &str, fields: Option<&[(&str, &str)]>) -> Page {
        let jar = if host == SPOKE {
            &mut self.spoke
        } else {
            &mut self.hub
        };
        let mut b = Request::builder()
            .method(if fields.is_some() { "POST" } else { "GET" })
            .uri(path)
            .header(hyper::header::HOST, format!("{host}:{}", self.port))
            .header(hyper::header::USER_AGENT, "federa-bench/1.0");
        if let Some(c) = jar.header() {
            b = b.header(hyper::header::COOKIE, c);
        }
        let body = match fields {
            Some(f) => {
                b = b.header(
                    hyper::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                );
                Full::new(Bytes::from(form(f)))
            }
            None => Full::new(Bytes::new()),
        };
        let req = b.body(body).unwrap();
        self.sender.ready().await.expect("connection usable");
        let res = self.sender.send_request(req).await.expect("response");
        jar.update(res.headers());
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(hyper::header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Page {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, host: &str, path: &str) -> Page {
        self.send(host, path, None).await
    }
}

// ---------------------------------------------------------------------------------------------
// The world: a real server with the spoke and the hub

struct World {
    testdb: TestDb,
    running: Running,
    port: u16,
    spoke_org: Org,
    hub_org: Org,
    idp: Idp,
    /// The spoke user's id (the `sub` of the spoke's ID tokens).
    spoke_user: String,
    /// The spoke session cookie left by the first sign-in.
    spoke_session: String,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn totp_code(secret_b32: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

fn config(db: &TestDb) -> Config {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(std::env::temp_dir()),
        database_url: Some(db.url.clone()),
    };
    let env = vec![
        (
            "FEDERA_MASTER_KEY".to_string(),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
        ),
        // All orgs on one machine: the hub fetches from the spoke over loopback.
        (
            "FEDERA_OUTBOUND__ALLOW_LOOPBACK".to_string(),
            "true".to_string(),
        ),
    ];
    Config::load(None, &env, &overrides).expect("config")
}

async fn api(port: u16, host: &str, token: &str, method: &str, path: &str, body: Value) -> Value {
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let c = reqwest::Client::builder()
        .resolve(host, addr)
        .build()
        .unwrap();
    let url = format!("http://{host}:{port}{path}");
    let req = match method {
        "POST" => c.post(url).json(&body),
        "PUT" => c.put(url).json(&body),
        _ => c.get(url),
    };
    let res = req
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status < 300, "{method} {path}: {status} {v}");
    v
}

/// The setup of `tests/broker.rs` (trust on), then one complete sign-in through HTTP.
async fn world(db: Db) -> Option<World> {
    let testdb = TestDb::new(db).await?;
    let running = app::start(&config(&testdb), false)
        .await
        .expect("server starts");
    let ctx = running.ctx.clone();
    let port = running.addr.port();
    let spoke = orgs::create(&ctx, "Spoke", &[SPOKE.into()], Engine::Identity, "t")
        .await
        .unwrap();
    let hub = orgs::create(&ctx, "Hub", &[HUB.into()], Engine::Identity, "t")
        .await
        .unwrap();
    let spoke_url = format!("http://{SPOKE}:{port}");
    let hub_url = format!("http://{HUB}:{port}");
    let input: IdpInput = serde_json::from_value(json!({
        "type": "OKTA_INTEGRATION", "name": "Spoke",
        "protocol": {"type": "OIDC", "scopes": ["openid", "email", "profile"],
            "credentials": {"client": {"client_id": "hub-client", "client_secret": CLIENT_SECRET,
                "token_endpoint_auth_method": "client_secret_basic"}},
            "oktaIdpOrgUrl": spoke_url},
        "policy": {"trustClaims": true, "maxClockSkew": 120000,
            "provisioning": {"action": "AUTO"}, "accountLink": {"action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.email"}, "matchType": "USERNAME"}}
    }))
    .unwrap();
    let idp = idps::create(&ctx, &hub.org.id, input, true).await.unwrap();
    let hub_token = hub.token.expose().clone();
    let gsp = api(
        port,
        HUB,
        &hub_token,
        "GET",
        "/api/v1/policies?type=OKTA_SIGN_ON",
        Value::Null,
    )
    .await;
    let gid = gsp[0]["id"].as_str().unwrap().to_string();
    api(port, HUB, &hub_token, "POST", &format!("/api/v1/policies/{gid}/rules"),
        json!({"name": "MFA", "priority": 1, "actions": {"signon": {"access": "ALLOW",
            "requireFactor": true, "factorPromptMode": "ALWAYS", "primaryFactor": "PASSWORD_IDP"}}})).await;
    let app_input: AppInput = serde_json::from_value(json!({
        "name": "okta_org2org", "label": "Hub", "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"client_id": "hub-client", "client_secret": CLIENT_SECRET}},
        "settings": {"app": {"baseUrl": hub_url, "idpId": idp.id.to_string()}}
    }))
    .unwrap();
    let (app, _) = apps::create(&ctx, &spoke.org.id, app_input, true)
        .await
        .unwrap();
    let spoke_token = spoke.token.expose().clone();
    let p = api(
        port,
        SPOKE,
        &spoke_token,
        "POST",
        "/api/v1/policies",
        json!({"type": "ACCESS_POLICY", "name": "Two factors"}),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_string();
    api(
        port,
        SPOKE,
        &spoke_token,
        "POST",
        &format!("/api/v1/policies/{pid}/rules"),
        json!({"name": "2FA", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW",
            "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA", "constraints": []}}}}),
    )
    .await;
    api(
        port,
        SPOKE,
        &spoke_token,
        "PUT",
        &format!("/api/v1/apps/{}/policies/{pid}", app.id),
        json!({}),
    )
    .await;
    let u = api(
        port,
        SPOKE,
        &spoke_token,
        "POST",
        "/api/v1/users?activate=true",
        json!({"profile": {"login": LOGIN, "email": LOGIN, "firstName": "Sam", "lastName": "Lee"},
               "credentials": {"password": {"value": PASSWORD}}}),
    )
    .await;
    let uid = u["id"].as_str().unwrap().to_string();
    let f = api(
        port,
        SPOKE,
        &spoke_token,
        "POST",
        &format!("/api/v1/users/{uid}/factors"),
        json!({"factorType": "token:software:totp", "provider": "OKTA"}),
    )
    .await;
    let secret = f["_embedded"]["activation"]["sharedSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let fid = f["id"].as_str().unwrap();
    api(
        port,
        SPOKE,
        &spoke_token,
        "POST",
        &format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate"),
        json!({"passCode": totp_code(&secret, now_secs() - 30)}),
    )
    .await;

    // One complete sign-in with password + TOTP at the spoke.
    let mut b = Browser::connect(running.addr).await;
    let r = b
        .get(HUB, &format!("/sso/idps/{}?return_to=/me", idp.id))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = b.get(SPOKE, &path_of(&r.location.unwrap())).await;
    assert_eq!(r.location.as_deref(), Some("/login"), "{}", r.body);
    let p = b.get(SPOKE, "/login").await;
    let token = csrf(&p.body);
    b.send(
        SPOKE,
        "/login/identify",
        Some(&[("csrf", &token), ("username", LOGIN)]),
    )
    .await;
    let r = b
        .send(
            SPOKE,
            "/login/password",
            Some(&[("csrf", &token), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/login"), "two factors");
    let choose = b.get(SPOKE, "/login").await;
    if choose.body.contains("name=\"option\"") {
        let idx = choose
            .body
            .split("name=\"option\" value=\"")
            .skip(1)
            .position(|chunk| chunk.contains(">Okta Verify"))
            .unwrap();
        b.send(
            SPOKE,
            "/login/choose",
            Some(&[("csrf", &token), ("option", &idx.to_string())]),
        )
        .await;
    }
    let r = b
        .send(
            SPOKE,
            "/login/verify",
            Some(&[
                ("csrf", &token),
                ("answer", &totp_code(&secret, now_secs())),
            ]),
        )
        .await;
    let back = r.location.expect("back to authorize");
    let r = b.get(SPOKE, &path_of(&back)).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let r = b.get(HUB, &path_of(&r.location.unwrap())).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/me"), "no second prompt");
    let spoke_session = b
        .spoke
        .get(SESSION_COOKIE)
        .expect("spoke session")
        .to_string();
    let spoke_org = orgs::resolve(&ctx, Some(SPOKE)).await.unwrap();
    let hub_org = orgs::resolve(&ctx, Some(HUB)).await.unwrap();
    let idp = idps::get(&ctx, &hub_org.id, idp.id.as_str()).await.unwrap();
    Some(World {
        testdb,
        running,
        port,
        spoke_org,
        hub_org,
        idp,
        spoke_user: uid,
        spoke_session,
    })
}

impl World {
    async fn stop(self) {
        self.running.stop().await.expect("graceful stop");
        self.testdb.cleanup().await;
    }

    fn hub_base(&self) -> String {
        format!("http://{HUB}:{}", self.port)
    }
}

// ---------------------------------------------------------------------------------------------
// Part 1: the upstream stub and the minted tokens

/// The upstream as the callback sees it: the token response for each code, the JWKS.
struct Stub {
    jwks: Vec<u8>,
    tokens: Mutex<HashMap<String, Vec<u8>>>,
}

// `Fetch` is an `#[async_trait]` trait; this is its expansion written out (the bench has no
// `async-trait` dependency).
impl Fetch for Stub {
    fn get<'life0, 'life1, 'async_trait>(
        &'life0 self,
        _url: &'life1 str,
        _max_bytes: usize,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, FetchError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        let body = self.jwks.clone();
        Box::pin(async move { Ok(body) })
    }

    fn post_form<'life0, 'life1, 'life2, 'life3, 'life4, 'life5, 'life6, 'async_trait>(
        &'life0 self,
        _url: &'life1 str,
        _basic: Option<(&'life2 str, &'life3 str)>,
        form: &'life4 [(&'life5 str, &'life6 str)],
        _max_bytes: usize,
    ) -> Pin<Box<dyn Future<Output = Result<(u16, Vec<u8>), FetchError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        'life4: 'async_trait,
        'life5: 'async_trait,
        'life6: 'async_trait,
        Self: 'async_trait,
    {
        let code = form
            .iter()
            .find(|(k, _)| *k == "code")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        let body = self.tokens.lock().unwrap().remove(&code);
        Box::pin(async move {
            Ok(match body {
                Some(b) => (200, b),
                None => (400, br#"{"error":"invalid_grant"}"#.to_vec()),
            })
        })
    }
}

/// Mints ID tokens as the spoke's token endpoint does for the org2org app.
struct Minter {
    key: Arc<federa_jose::SigningKey>,
    enc: EncryptionKeySet,
    issuer: String,
    client_id: String,
    sub: String,
    spoke_org: String,
}

impl Minter {
    fn id_token(&self, ctx: &Ctx, nonce: &str) -> String {
        let now = ctx.clock.now();
        let iat = now.0 / 1000;
        let verifications = vec![
            local_verification(
                &AuthenticatorKey::OktaPassword,
                &MethodType::Password,
                MethodFlags::default(),
                Timestamp(now.0 - 5_000),
            )
            .unwrap(),
            local_verification(
                &AuthenticatorKey::OktaVerify,
                &MethodType::Totp,
                MethodFlags::default(),
                Timestamp(now.0 - 2_000),
            )
            .unwrap(),
        ];
        let payload = build_payload(
            &verifications,
            &PayloadHeader {
                iss: &self.issuer,
                aud: &self.client_id,
                sub: &self.sub,
                iat,
                engine: ClaimsEngine::Identity,
            },
        );
        let plaintext = serde_json::to_vec(&payload).unwrap();
        let okta_auth = federa_jose::jwe::encrypt(
            self.enc.preferred().unwrap(),
            &plaintext,
            &EncryptOptions::new(),
            ctx.rng.as_ref(),
        )
        .unwrap();
        let mut profile = serde_json::Map::new();
        profile.insert("preferred_username".into(), LOGIN.into());
        profile.insert("name".into(), "Sam Lee".into());
        profile.insert("given_name".into(), "Sam".into());
        profile.insert("family_name".into(), "Lee".into());
        profile.insert("updated_at".into(), iat.into());
        profile.insert("email".into(), LOGIN.into());
        let claims = IdTokenClaims {
            ver: 1,
            jti: new_token_id("ID.", ctx.rng.as_ref()),
            iss: self.issuer.clone(),
            sub: self.sub.clone(),
            aud: self.client_id.clone(),
            iat,
            exp: iat + 3600,
            auth_time: iat - 5,
            nonce: Some(nonce.to_string()),
            amr: federa_claims::amr_strings(&verifications),
            acr: Some("urn:okta:loa:2fa:any".into()),
            idp: Some(self.spoke_org.clone()),
            at_hash: Some(at_hash(&random_token(ctx), JwsAlg::Rs256)),
            okta_auth: Some(okta_auth),
            profile,
        };
        sign_id_token(&claims, &self.key).unwrap()
    }
}

/// A pending callback: the flow, its cookie, the query the spoke would redirect with.
struct Pending {
    flow: signin::Flow,
    flow_cookie: String,
    pairs: Vec<(String, String)>,
    query: String,
}

struct Sp {
    world: World,
    ctx: Ctx,
    stub: Arc<Stub>,
    minter: Minter,
    router: axum::Router,
    client: Client,
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

impl Sp {
    async fn new(world: World) -> Self {
        let up = world.idp.oidc.clone().unwrap();
        let jwks = world
            .running
            .ctx
            .fetch
            .get(&up.jwks_url, 256 * 1024)
            .await
            .unwrap();
        let stub = Arc::new(Stub {
            jwks,
            tokens: Mutex::new(HashMap::new()),
        });
        let ctx = Ctx {
            fetch: stub.clone(),
            ..world.running.ctx.clone()
        };
        let key = keys::jws_signing_key(&ctx, &world.spoke_org.id)
            .await
            .unwrap();
        assert_eq!(key.alg(), JwsAlg::Rs256);
        let enc_jwks = idps::sp_jwks(&ctx, &world.idp).await.unwrap();
        let enc =
            EncryptionKeySet::from_jwks_json(&serde_json::to_string(&enc_jwks).unwrap()).unwrap();
        let minter = Minter {
            key,
            enc,
            issuer: up.issuer.clone(),
            client_id: up.client_id.clone(),
            sub: world.spoke_user.clone(),
            spoke_org: world.spoke_org.id.to_string(),
        };
        let state =
            federa_web::AppState::new(ctx.clone(), federa_web::WebConfig::default()).unwrap();
        let router = federa_web::router(state);
        Sp {
            world,
            ctx,
            stub,
            minter,
            router,
            client: Client {
                ip: Some("127.0.0.1".into()),
                user_agent: Some("federa-bench/1.0".into()),
                request_id: None,
            },
        }
    }

    /// A new flow, a pending state at the hub (as `/sso/idps` makes), and the token the spoke
    /// would answer for the code (untimed).
    async fn pending(&self) -> Pending {
        let (cookie, flow) = signin::start(&self.ctx, &self.world.hub_org, Some("/me"))
            .await
            .unwrap();
        let url = broker::oidc::start(
            &self.ctx,
            &self.world.hub_org,
            &self.world.hub_base(),
            &self.world.idp,
            &flow,
            None,
        )
        .await
        .unwrap()
        .unwrap();
        let state = query_param(&url, "state");
        let nonce = query_param(&url, "nonce");
        let id_token = self.minter.id_token(&self.ctx, &nonce);
        let code = random_token(&self.ctx);
        let body = serde_json::to_vec(&json!({
            "token_type": "Bearer", "expires_in": 3600, "scope": "openid email profile",
            "access_token": random_token(&self.ctx), "id_token": id_token
        }))
        .unwrap();
        self.stub.tokens.lock().unwrap().insert(code.clone(), body);
        let issuer = self.minter.issuer.clone();
        let query = form(&[("code", &code), ("state", &state), ("iss", &issuer)]);
        Pending {
            flow,
            flow_cookie: cookie.expose().clone(),
            pairs: vec![
                ("code".into(), code),
                ("state".into(), state),
                ("iss".into(), issuer),
            ],
            query,
        }
    }

    async fn callback_core(&self, mut p: Pending) {
        let out = broker::oidc::callback(
            &self.ctx,
            &self.world.hub_org,
            &self.world.hub_base(),
            &p.pairs,
            Some(&mut p.flow),
            &self.client,
        )
        .await
        .unwrap();
        match out {
            BrokerOutcome::Done { redirect, .. } => assert_eq!(redirect, "/me"),
            other => panic!("expected a session, got {other:?}"),
        }
    }

    async fn callback_http(&self, p: Pending, ip: SocketAddr) {
        let mut req = axum::http::Request::builder()
            .method("GET")
            .uri(format!("/oauth2/v1/authorize/callback?{}", p.query))
            .header(axum::http::header::HOST, HUB)
            .header(axum::http::header::USER_AGENT, "federa-bench/1.0")
            .header(
                axum::http::header::COOKIE,
                format!("{FLOW_COOKIE}={}", p.flow_cookie),
            )
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(ip));
        let res = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), axum::http::StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()
                .get(axum::http::header::LOCATION)
                .map(|v| v.to_str().unwrap()),
            Some("/me")
        );
        let set: Vec<_> = res
            .headers()
            .get_all(axum::http::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(
            set.iter()
                .any(|c| c.starts_with(&format!("{SESSION_COOKIE}=")) && !c.contains("Max-Age=0")),
            "{set:?}"
        );
        let _ = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Part 1: the benchmarks

/// What the stages need, made once from one minted token.
struct StageInputs {
    id_token: String,
    nonce: String,
    token_response: Vec<u8>,
    keys: VerifyingKeySet,
    jwe: String,
    plaintext: Vec<u8>,
    validated: federa_oidc::rp::ValidatedIdToken,
    user: federa_core::model::User,
    credited: Vec<federa_claims::FactorVerification>,
    debug: serde_json::Map<String, Value>,
}

fn expectations<'a>(
    up: &'a federa_core::model::idp::OidcUpstream,
    nonce: &'a str,
    now: Timestamp,
) -> IdTokenExpectations<'a> {
    IdTokenExpectations {
        issuer: &up.issuer,
        client_id: &up.client_id,
        nonce,
        now,
        max_clock_skew: Duration::from_secs(120),
        allowed_algs: &JwsAlg::ALL,
    }
}

fn trust_outcome<'a>(
    idp: &federa_claims::IdpTrustConfig,
    features: federa_claims::OrgFeatures,
    v: &'a federa_oidc::rp::ValidatedIdToken,
    plaintext: &'a [u8],
    authenticated_at: Timestamp,
) -> federa_claims::TrustOutcome {
    trust::evaluate(&TrustInput {
        idp,
        features,
        claims: UpstreamClaims {
            okta_auth: Some(OktaAuthInput::OidcPlaintext(plaintext)),
            oidc_amr: v.amr.as_ref(),
            saml_session_amr: None,
            oidc_acr: v.acr.as_ref().and_then(Value::as_str),
            authn_context_class_ref: None,
        },
        outer: OuterBinding {
            issuer: &v.issuer,
            audiences: &v.audiences,
            subject: &v.subject,
            expected_engine: None,
            authenticated_at,
        },
    })
}

async fn stage_inputs(sp: &Sp) -> StageInputs {
    let ctx = &sp.ctx;
    let up = sp.world.idp.oidc.clone().unwrap();
    let nonce = random_token(ctx);
    let id_token = sp.minter.id_token(ctx, &nonce);
    let token_response = serde_json::to_vec(&json!({
        "token_type": "Bearer", "expires_in": 3600, "scope": "openid email profile",
        "access_token": random_token(ctx), "id_token": id_token
    }))
    .unwrap();
    let keys = VerifyingKeySet::from_jwks_json(&String::from_utf8_lossy(&sp.stub.jwks)).unwrap();
    let validated = validate_id_token(
        &id_token,
        &keys,
        &expectations(&up, &nonce, ctx.clock.now()),
    )
    .unwrap();
    let jwe = validated
        .okta_auth
        .as_ref()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let dk = idps::sp_decryption_keys(ctx, &sp.world.idp).await.unwrap();
    let plaintext = federa_jose::jwe::decrypt(&dk, &jwe, ctx.rng.as_ref())
        .unwrap()
        .into_plaintext();
    let features = broker::org_features(ctx, &sp.world.hub_org).await.unwrap();
    let outcome = trust_outcome(
        &sp.world.idp.trust_config(),
        features,
        &validated,
        &plaintext,
        ctx.clock.now(),
    );
    assert!(
        outcome.claims.credited.len() >= 2,
        "password and TOTP credited: {:?}",
        outcome.claims
    );
    let uid = ctx
        .store
        .linked_user(&sp.world.hub_org.id, &sp.world.idp.id, &sp.world.spoke_user)
        .await
        .unwrap()
        .expect("the first sign-in linked the hub user");
    let user = ctx
        .store
        .user_by_id(&sp.world.hub_org.id, &uid)
        .await
        .unwrap()
        .unwrap();
    let mut debug = serde_json::Map::new();
    debug.insert(
        "trustMode".into(),
        serde_json::to_value(outcome.mode).unwrap(),
    );
    debug.insert("contextAbsent".into(), outcome.context_absent.into());
    debug.insert(
        "credited".into(),
        serde_json::to_value(&outcome.claims.credited).unwrap(),
    );
    debug.insert(
        "ignored".into(),
        serde_json::to_value(&outcome.claims.ignored).unwrap(),
    );
    debug.insert("userResolution".into(), "LINKED".into());
    debug.insert("externalId".into(), sp.world.spoke_user.clone().into());
    debug.insert("decision".into(), "ALLOW".into());
    StageInputs {
        id_token,
        nonce,
        token_response,
        keys,
        jwe,
        plaintext,
        validated,
        user,
        credited: outcome.claims.credited,
        debug,
    }
}

/// Names of the part-1 benchmarks, in the order of the summary table.
const PART1: &[&str] = &[
    "rsa2048_oaep_decrypt_raw",
    "rsa2048_pkcs1_sign_raw",
    "callback_core",
    "callback_http_oneshot",
    "stage_01_take_state",
    "stage_02_idp_get_cached",
    "stage_03_code_exchange_stub",
    "stage_04_jwks_cached",
    "stage_05_validate_id_token",
    "stage_06_replay_remember_once",
    "stage_07_sp_key_cached",
    "stage_08_jwe_decrypt",
    "stage_09_org_features",
    "stage_10_trust_evaluate",
    "stage_11_resolve_user",
    "stage_12_continue_federated",
    "sub_12a_policy_evaluate",
    "sub_12b_session_create",
    "net_jwks_fetch_loopback",
];

fn part1(c: &mut Criterion, rt: &tokio::runtime::Runtime, db: Db) {
    let Some(world) = rt.block_on(world(db)) else {
        eprintln!(
            "{}: skipped (set {})",
            backend_name(db),
            federa_testkit::POSTGRES_ENV
        );
        return;
    };
    let sp = rt.block_on(Sp::new(world));
    let ctx = sp.ctx.clone();
    let org = sp.world.hub_org.clone();
    let idp = sp.world.idp.clone();
    let up = idp.oidc.clone().unwrap();
    let input = rt.block_on(stage_inputs(&sp));
    // Both timed paths work before anything is timed.
    rt.block_on(async {
        let p = sp.pending().await;
        sp.callback_core(p).await;
        let p = sp.pending().await;
        sp.callback_http(p, "127.0.0.1:40000".parse().unwrap())
            .await;
    });
    let secs = env_num("FED_MEASURE_SECONDS", 5u64);
    let mut g = c.benchmark_group(format!("federation_sp_{}", backend_name(db)));
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs))
        .sample_size(50);

    // The raw RSA-2048 private-key operations.
    let der = rt.block_on(idps::sp_private_key_pkcs8(&ctx, &idp)).unwrap();
    {
        use aws_lc_rs::rsa::{
            OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
            PrivateDecryptingKey,
        };
        let private = PrivateDecryptingKey::from_pkcs8(der.expose()).unwrap();
        assert_eq!(private.key_size_bits(), 2048);
        let public = OaepPublicEncryptingKey::new(private.public_key()).unwrap();
        let private = OaepPrivateDecryptingKey::new(private).unwrap();
        let mut ek = vec![0u8; public.ciphertext_size()];
        let n = public
            .encrypt(&OAEP_SHA256_MGF1SHA256, &[0x42; 32], &mut ek, None)
            .unwrap()
            .len();
        ek.truncate(n);
        let mut out = vec![0u8; private.min_output_size()];
        g.bench_function("rsa2048_oaep_decrypt_raw", |b| {
            b.iter(|| {
                private
                    .decrypt(&OAEP_SHA256_MGF1SHA256, black_box(&ek), &mut out, None)
                    .unwrap()
                    .len()
            })
        });
    }
    {
        use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
        let pair = RsaKeyPair::from_pkcs8(der.expose()).unwrap();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; pair.public_modulus_len()];
        let _ = pair.public_key();
        g.bench_function("rsa2048_pkcs1_sign_raw", |b| {
            b.iter(|| {
                pair.sign(&RSA_PKCS1_SHA256, &rng, black_box(&[7u8; 32]), &mut sig)
                    .unwrap()
            })
        });
    }

    // The whole callback.
    g.bench_function("callback_core", |b| {
        b.iter_batched(
            || rt.block_on(sp.pending()),
            |p| rt.block_on(sp.callback_core(p)),
            BatchSize::SmallInput,
        )
    });
    let next_ip = AtomicUsize::new(1);
    g.bench_function("callback_http_oneshot", |b| {
        b.iter_batched(
            || {
                let n = next_ip.fetch_add(1, Ordering::Relaxed);
                let ip = SocketAddr::new(
                    std::net::IpAddr::V6(std::net::Ipv6Addr::from(
                        (0xfd00_u128 << 112) | n as u128,
                    )),
                    40_000,
                );
                (rt.block_on(sp.pending()), ip)
            },
            |(p, ip)| rt.block_on(sp.callback_http(p, ip)),
            BatchSize::SmallInput,
        )
    });

    // The stages, in the callback's order.
    g.bench_function("stage_01_take_state", |b| {
        b.iter_batched(
            || {
                let token = random_token(&ctx);
                let now = ctx.clock.now();
                rt.block_on(ctx.store.put_broker_state(&BrokerState {
                    id_hash: hash_token(&token),
                    org_id: org.id.clone(),
                    idp_id: idp.id.clone(),
                    data: json!({"protocol": "oidc", "nonce": random_token(&ctx),
                        "verifier": random_token(&ctx), "binding": hash_token(&token)}),
                    created: now,
                    expires_at: Timestamp(now.0 + 600_000),
                }))
                .unwrap();
                token
            },
            |token| {
                rt.block_on(ctx.store.take_broker_state(
                    &org.id,
                    &hash_token(&token),
                    ctx.clock.now(),
                ))
                .unwrap()
                .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("stage_02_idp_get_cached", |b| {
        b.iter(|| {
            rt.block_on(idps::get_cached(&ctx, &org.id, idp.id.as_str()))
                .unwrap()
        })
    });
    // `exchange_code`: unseal the client secret, the POST (stub), parse the JSON response.
    g.bench_function("stage_03_code_exchange_stub", |b| {
        b.iter(|| {
            rt.block_on(async {
                let secret = idp_svc::client_secret(&ctx, &idp).await.unwrap();
                let s = secret.as_ref().map(|s| s.expose().clone()).unwrap();
                let v: Value = serde_json::from_slice(black_box(&input.token_response)).unwrap();
                black_box((s, v))
            })
        })
    });
    // The IdP's JWKS, as the callback gets it: from the cache (fetched through the stub once).
    let kid = federa_core::service::remote_keys::jws_kid(&input.id_token);
    g.bench_function("stage_04_jwks_cached", |b| {
        b.iter(|| {
            rt.block_on(federa_core::service::remote_keys::verifying_keys(
                &ctx,
                &org.id,
                idp.id.as_str(),
                &up.jwks_url,
                256 * 1024,
                kid.as_deref(),
            ))
            .unwrap()
        })
    });
    g.bench_function("stage_05_validate_id_token", |b| {
        b.iter(|| {
            validate_id_token(
                black_box(&input.id_token),
                &input.keys,
                &expectations(&up, &input.nonce, ctx.clock.now()),
            )
            .unwrap()
        })
    });
    g.bench_function("stage_06_replay_remember_once", |b| {
        b.iter_batched(
            || federa_core::system::sha256_hex(random_token(&ctx).as_bytes()),
            |key| {
                let now = ctx.clock.now();
                assert!(
                    rt.block_on(ctx.store.remember_once(
                        &org.id,
                        "idp-id-token",
                        &key,
                        Timestamp(now.0 + 3_600_000),
                        now,
                    ))
                    .unwrap()
                )
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("stage_07_sp_key_cached", |b| {
        b.iter(|| rt.block_on(idps::sp_decryption_keys(&ctx, &idp)).unwrap())
    });
    let dk = rt.block_on(idps::sp_decryption_keys(&ctx, &idp)).unwrap();
    g.bench_function("stage_08_jwe_decrypt", |b| {
        b.iter(|| {
            federa_jose::jwe::decrypt(&dk, black_box(&input.jwe), ctx.rng.as_ref())
                .unwrap()
                .into_plaintext()
        })
    });
    g.bench_function("stage_09_org_features", |b| {
        b.iter(|| rt.block_on(broker::org_features(&ctx, &org)).unwrap())
    });
    let features = rt.block_on(broker::org_features(&ctx, &org)).unwrap();
    g.bench_function("stage_10_trust_evaluate", |b| {
        b.iter(|| {
            let cfg = idp.trust_config();
            let o = trust_outcome(
                &cfg,
                features,
                &input.validated,
                black_box(&input.plaintext),
                ctx.clock.now(),
            );
            assert!(o.claims.credited.len() >= 2);
            o
        })
    });
    g.bench_function("stage_11_resolve_user", |b| {
        b.iter(|| {
            rt.block_on(async {
                let uid = ctx
                    .store
                    .linked_user(&org.id, &idp.id, &sp.world.spoke_user)
                    .await
                    .unwrap()
                    .unwrap();
                ctx.store.user_by_id(&org.id, &uid).await.unwrap().unwrap()
            })
        })
    });
    // The broker's System Log event, written inside stage 12's transaction.
    let idp_event = || LogEventInput {
        severity: Severity::Info,
        outcome_result: OutcomeResult::Success,
        actor: Some(LogActor::user(
            input.user.id.to_string(),
            input.user.profile.login.clone(),
            input.user.profile.display_name.clone(),
        )),
        targets: vec![LogTarget {
            id: idp.id.to_string(),
            kind: "IdentityProvider".into(),
            alternate_id: Some(idp.name.clone()),
            display_name: None,
        }],
        client_ip: sp.client.ip.clone(),
        user_agent: sp.client.user_agent.clone(),
        request_id: None,
        debug_data: input.debug.clone(),
        ..LogEventInput::new(
            "user.authentication.auth_via_IDP",
            "Authenticate user via IDP",
        )
    };
    g.bench_function("stage_12_continue_federated", |b| {
        b.iter_batched(
            || {
                rt.block_on(signin::start(&ctx, &org, Some("/me")))
                    .unwrap()
                    .1
            },
            |mut flow| {
                let adv = rt
                    .block_on(signin::continue_federated(
                        &ctx,
                        &org,
                        &mut flow,
                        input.user.clone(),
                        input.credited.clone(),
                        (idp.id.clone(), ctx.clock.now()),
                        &sp.client,
                        idp_event(),
                        None,
                    ))
                    .unwrap();
                assert!(matches!(adv, Advance::Done { .. }), "{adv:?}");
            },
            BatchSize::SmallInput,
        )
    });
    // Inside stage 12 (not added to the sum): the policy decision alone (reads: policies,
    // enrollments, authenticators) and the session insert alone.
    g.bench_function("sub_12a_policy_evaluate", |b| {
        b.iter(|| {
            let (d, _) = rt
                .block_on(signin::evaluate_for(
                    &ctx,
                    &org,
                    &input.user,
                    &input.credited,
                    Some(ctx.clock.now()),
                    None,
                ))
                .unwrap();
            assert!(format!("{d:?}").starts_with("Allow"), "{d:?}");
        })
    });
    g.bench_function("sub_12b_session_create", |b| {
        b.iter(|| {
            rt.block_on(federa_core::service::sessions::create(
                &ctx,
                &org.id,
                &input.user.id,
                input.credited.clone(),
                None,
                Some(idp.id.clone()),
            ))
            .unwrap()
        })
    });
    // Outside the budget: the real outbound client over loopback.
    let real = sp.world.running.ctx.fetch.clone();
    g.bench_function("net_jwks_fetch_loopback", |b| {
        b.iter(|| rt.block_on(real.get(&up.jwks_url, 256 * 1024)).unwrap())
    });
    g.finish();
    let _ = &input.validated;
    rt.block_on(sp.world.stop());
}

/// Where criterion keeps this benchmark's estimates: the first candidate directory that has it
/// (`CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`, the `target/criterion` above this
/// executable, `target/criterion` under the working directory).
fn estimates_file(group: &str, name: &str) -> Option<std::path::PathBuf> {
    let mut roots = Vec::new();
    if let Ok(h) = std::env::var("CRITERION_HOME") {
        roots.push(std::path::PathBuf::from(h));
    }
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        roots.push(std::path::Path::new(&t).join("criterion"));
    }
    // `target/release/deps/federation-…` → `target`.
    if let Some(t) = std::env::current_exe()
        .ok()
        .and_then(|e| e.ancestors().nth(3).map(|p| p.to_path_buf()))
    {
        roots.push(t.join("criterion"));
    }
    roots.push(std::path::PathBuf::from("target/criterion"));
    roots
        .into_iter()
        .map(|r| r.join(group).join(name).join("new").join("estimates.json"))
        .find(|p| p.exists())
}

/// `(mean, median)` in ns from criterion's estimates of one benchmark, and whether this run
/// wrote them.
fn estimate(group: &str, name: &str, since: std::time::SystemTime) -> Option<(f64, f64, bool)> {
    let path = estimates_file(group, name)?;
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some((
        v["mean"]["point_estimate"].as_f64()?,
        v["median"]["point_estimate"].as_f64()?,
        fresh,
    ))
}

fn summary(group: &str, started: std::time::SystemTime) {
    let Some((raw, _, _)) = estimate(group, "rsa2048_oaep_decrypt_raw", started) else {
        return;
    };
    println!();
    println!("{group}: mean and median per operation, and mean ÷ raw RSA-2048 OAEP decrypt");
    println!("| benchmark | mean µs | median µs | ÷ RSA private op |");
    println!("|---|---|---|---|");
    let mut stages = 0.0;
    for name in PART1 {
        let Some((mean, median, fresh)) = estimate(group, name, started) else {
            continue;
        };
        // Figures left by an earlier run (a filter skipped this one) are marked.
        let mark = if fresh { "" } else { " (old)" };
        if name.starts_with("stage_") {
            stages += mean;
        }
        println!(
            "| {name}{mark} | {:.1} | {:.1} | {:.2}× |",
            mean / 1e3,
            median / 1e3,
            mean / raw
        );
    }
    println!(
        "| sum of stage_* | {:.1} | | {:.2}× |",
        stages / 1e3,
        stages / raw
    );
}

/// `openssl speed -mr -seconds S rsa2048`: (sign/s, verify/s) of one core.
fn openssl_rsa2048(seconds: u32) -> Option<(f64, f64)> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-mr", "-seconds", &seconds.to_string(), "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // OpenSSL 3: `+F2:<n>:2048:<sign/s>:<verify/s>`.
    let l = text.lines().find(|l| l.starts_with("+F2:"))?;
    let f: Vec<&str> = l.split(':').collect();
    Some((f.get(3)?.parse().ok()?, f.get(4)?.parse().ok()?))
}

// ---------------------------------------------------------------------------------------------
// Part 2: the load harness

#[derive(Debug, Clone, Default)]
struct CpuSnap {
    by_class: BTreeMap<&'static str, u64>,
    postgres_ns: u64,
    machine_busy_ticks: u64,
    at: Option<Instant>,
}

fn class_of(comm: &str) -> &'static str {
    if comm.starts_with("federa-srv") {
        "server"
    } else if comm.starts_with("sqlx-sqlite") {
        "server-sqlite"
    } else if comm.starts_with("load-client") {
        "client"
    } else {
        "other"
    }
}

fn schedstat_ns(path: &std::path::Path) -> Option<u64> {
    let s = std::fs::read_to_string(path).ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn snapshot() -> CpuSnap {
    let mut snap = CpuSnap {
        at: Some(Instant::now()),
        ..Default::default()
    };
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            let p = e.path();
            let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
            if let Some(ns) = schedstat_ns(&p.join("schedstat")) {
                *snap.by_class.entry(class_of(comm.trim())).or_default() += ns;
            }
        }
    }
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if !e
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
            {
                continue;
            }
            let p = e.path();
            if std::fs::read_to_string(p.join("comm")).is_ok_and(|c| c.trim() == "postgres") {
                snap.postgres_ns += schedstat_ns(&p.join("schedstat")).unwrap_or(0);
            }
        }
    }
    if let Ok(stat) = std::fs::read_to_string("/proc/stat")
        && let Some(line) = stat.lines().next()
    {
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
        snap.machine_busy_ticks = total.saturating_sub(idle);
    }
    snap
}

/// Cores used between two snapshots: (server incl. SQLite threads and PostgreSQL backends,
/// client, foreign).
fn cores(a: &CpuSnap, b: &CpuSnap) -> (f64, f64, f64) {
    let wall = b.at.unwrap().duration_since(a.at.unwrap()).as_secs_f64();
    let d = |k: &str| {
        b.by_class
            .get(k)
            .copied()
            .unwrap_or(0)
            .saturating_sub(a.by_class.get(k).copied().unwrap_or(0)) as f64
            / 1e9
            / wall
    };
    let pg = b.postgres_ns.saturating_sub(a.postgres_ns) as f64 / 1e9 / wall;
    let server = d("server") + d("server-sqlite") + pg;
    let client = d("client");
    let machine = b.machine_busy_ticks.saturating_sub(a.machine_busy_ticks) as f64 / 100.0 / wall;
    let foreign = (machine - server - client - d("other")).max(0.0);
    (server, client, foreign)
}

struct Pass {
    elapsed: Duration,
    latencies_us: Vec<u32>,
    /// Summed latency of each of the three steps, µs.
    steps_us: [u64; 3],
}

/// One complete org2org sign-in; returns each step's latency.
async fn one_sign_in(b: &mut Browser, idp: &str, check: bool) -> [u64; 3] {
    b.hub = Jar::default();
    let t0 = Instant::now();
    let r = b.get(HUB, &format!("/sso/idps/{idp}?return_to=/me")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let authorize = r.location.expect("to the spoke");
    let t1 = Instant::now();
    let r = b.get(SPOKE, &path_of(&authorize)).await;
    assert_eq!(
        r.status, 302,
        "spoke authorize: {:?} {}",
        r.location, r.body
    );
    let callback = r.location.expect("to the hub");
    assert!(
        callback.contains("/oauth2/v1/authorize/callback?"),
        "{callback}"
    );
    let t2 = Instant::now();
    let r = b.get(HUB, &path_of(&callback)).await;
    assert_eq!(r.status, 303, "hub callback: {}", r.body);
    assert_eq!(r.location.as_deref(), Some("/me"), "no second prompt");
    assert!(b.hub.get(SESSION_COOKIE).is_some(), "a hub session");
    let t3 = Instant::now();
    if check {
        let me = b.get(HUB, "/api/v1/sessions/me").await;
        assert_eq!(me.status, 200, "{}", me.body);
        let v: Value = serde_json::from_str(&me.body).unwrap();
        let amr: Vec<String> = serde_json::from_value(v["amr"].clone()).unwrap();
        for x in ["pwd", "otp", "mfa"] {
            assert!(amr.contains(&x.to_string()), "{x} in {amr:?}");
        }
    }
    let us = |a: Instant, b: Instant| b.duration_since(a).as_micros() as u64;
    [us(t0, t1), us(t1, t2), us(t2, t3)]
}

async fn drive(w: &World, browsers: usize, n: usize, check: bool) -> Pass {
    let mut conns = Vec::new();
    for _ in 0..browsers {
        let mut b = Browser::connect(w.running.addr).await;
        b.spoke
            .0
            .push((SESSION_COOKIE.to_string(), w.spoke_session.clone()));
        conns.push(b);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let idp: Arc<str> = w.idp.id.to_string().into();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for mut b in conns {
        let (next, idp) = (next.clone(), idp.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut steps = [0u64; 3];
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let s = one_sign_in(&mut b, &idp, check).await;
                lat.push(u32::try_from(s.iter().sum::<u64>()).unwrap_or(u32::MAX));
                for (total, x) in steps.iter_mut().zip(s) {
                    *total += x;
                }
            }
            (lat, steps)
        }));
    }
    let mut pass = Pass {
        elapsed: Duration::ZERO,
        latencies_us: Vec::with_capacity(n),
        steps_us: [0; 3],
    };
    for t in tasks {
        let (lat, steps) = t.await.expect("browser task");
        pass.latencies_us.extend(lat);
        for (total, s) in pass.steps_us.iter_mut().zip(steps) {
            *total += s;
        }
    }
    pass.elapsed = start.elapsed();
    pass
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn part2(db: Db, workers: usize, client_rt: &tokio::runtime::Runtime, rows: &mut Vec<String>) {
    let srv_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("federa-srv")
        .enable_all()
        .build()
        .unwrap();
    let Some(w) = srv_rt.block_on(world(db)) else {
        eprintln!(
            "{}: skipped (set {})",
            backend_name(db),
            federa_testkit::POSTGRES_ENV
        );
        return;
    };
    let browsers = env_num("FED_LOAD_BROWSERS", 8usize);
    let n = env_num("FED_LOAD_SIGNINS", 600usize);
    let warm = env_num("FED_LOAD_WARMUP", 60usize);
    let repeat = env_num("FED_LOAD_REPEAT", 3usize).max(1);
    let p = client_rt.block_on(drive(&w, browsers, warm, true));
    assert_eq!(p.latencies_us.len(), warm);
    for _ in 0..repeat {
        std::thread::sleep(Duration::from_millis(300));
        let before = snapshot();
        let mut pass = client_rt.block_on(drive(&w, browsers, n, false));
        let after = snapshot();
        assert_eq!(pass.latencies_us.len(), n);
        pass.latencies_us.sort_unstable();
        let (server, client, foreign) = cores(&before, &after);
        let rate = n as f64 / pass.elapsed.as_secs_f64();
        let step = |i: usize| pass.steps_us[i] as f64 / n as f64 / 1000.0;
        let row = format!(
            "| {} | {workers} | {browsers} | {n} | {rate:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {server:.2} | {:.2} | {client:.2} | {foreign:.2} |",
            backend_name(db),
            pct(&pass.latencies_us, 0.5),
            pct(&pass.latencies_us, 0.99),
            pct(&pass.latencies_us, 1.0),
            step(0),
            step(1),
            step(2),
            server * 1000.0 / rate,
        );
        eprintln!("{row}");
        rows.push(row);
    }
    srv_rt.block_on(w.stop());
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let parts = env_list("FED_PARTS", "sp,load");
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "machine: {nproc} cores, {cpu_model}; loadavg {}",
        load.trim()
    );

    if parts.iter().any(|p| p == "sp") {
        let started = std::time::SystemTime::now();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("federa-srv")
            .enable_all()
            .build()
            .unwrap();
        let mut c = Criterion::default().configure_from_args();
        let sp_backends = backends("FED_SP_BACKENDS", "sqlite");
        for &db in &sp_backends {
            part1(&mut c, &rt, db);
        }
        c.final_summary();
        for &db in &sp_backends {
            summary(&format!("federation_sp_{}", backend_name(db)), started);
        }
        let secs = env_num("FED_SPEED_SECONDS", 5u32);
        if secs > 0 {
            match openssl_rsa2048(secs) {
                Some((sign, verify)) => println!(
                    "openssl speed -seconds {secs} rsa2048: {sign:.0} sign/s ({:.1} µs per private op), {verify:.0} verify/s",
                    1e6 / sign
                ),
                None => println!("openssl speed: not available"),
            }
        }
    }

    if parts.iter().any(|p| p == "load") {
        let client_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("load-client")
            .enable_all()
            .build()
            .unwrap();
        let mut rows = Vec::new();
        for db in backends("FED_BACKENDS", "sqlite,postgres") {
            for w in env_list("FED_LOAD_WORKERS", "1,2") {
                part2(
                    db,
                    w.parse().expect("FED_LOAD_WORKERS"),
                    &client_rt,
                    &mut rows,
                );
            }
        }
        println!();
        println!(
            "| backend | server workers | browsers | sign-ins | sign-ins/s | latency p50 / p99 / max ms | mean step ms (start / spoke authorize / hub callback) | server cores | server CPU ms per sign-in | client cores | foreign cores |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for r in rows {
            println!("{r}");
        }
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!();
        println!("loadavg at the end: {}", load.trim());
    }
}
