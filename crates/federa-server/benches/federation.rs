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
//!   JWKS (cached after the first fetch through the stub), ID-token validation, SP key (opened
//!   once, cached), JWE decrypt, org features, trust rules, user resolution,
//!   `signin::continue_federated` (policies; one transaction for the ID token's replay record,
//!   the session, both System Log events, the last-login time and the flow's removal). Must end in `BrokerOutcome::Done`
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
//! - `callback CPU cost` (not criterion): the CPU time of all the process's threads (runtime,
//!   blocking pool, SQLite workers, the caller) spent completing `FED_CPU_SIGNINS` callbacks,
//!   `FED_CPU_CONCURRENCY` at a time, divided by their number: the cost a busy server pays per
//!   sign-in, where `callback_core` is the latency of one alone (which includes waiting for
//!   other threads to wake, a cost in time but not in CPU).
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
//!   criterion's own arguments (a name filter) are honoured; `FED_CPU_SIGNINS` (600; `0`
//!   skips the CPU-cost run), `FED_CPU_CONCURRENCY` (4);
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
use federa_core::ports::{BrokerState, OnceMark};
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
use std::collections::HashMap;
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

#[path = "support/cpu.rs"]
mod cpu;
#[path = "federation/part1.rs"]
mod part1;
#[path = "federation/part2.rs"]
mod part2;

use part1::{openssl_rsa2048, part1, summary};
use part2::part2;

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
