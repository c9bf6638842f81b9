//! Issue 5 item 5: token endpoint throughput (authorization code → access token + ID token) of
//! a real server over loopback keep-alive HTTP/1.1, against the signing ceiling of the machine.
//!
//! For every backend (SQLite in a temporary directory; PostgreSQL too when
//! `FEDERA_TEST_POSTGRES_URL` is set, in a temporary database dropped afterwards) and every
//! server runtime size (1 worker thread: the "per core" figure; 2 workers), the tool:
//!
//! 1. starts the server with `app::start` on `127.0.0.1:0` inside its own tokio runtime of that
//!    many worker threads (named `federa-srv`);
//! 2. creates an org served at `bench.test`, an active user and a confidential OIDC app
//!    (`client_secret_basic`, grants `authorization_code`, redirect `https://rp.example/cb`);
//! 3. for each algorithm (RS256, the default key; then ES256 after `keys::rotate_jws`):
//!    pre-mints authorization codes straight into the store (`put_code` with the `CodeGrant`
//!    `oauth::authorize` makes: scopes `openid profile`, a nonce, no PKCE, a local password
//!    verification), untimed, so that only the token endpoint is measured;
//! 4. drives `POST /oauth2/v1/token` (`grant_type=authorization_code`, HTTP Basic client auth)
//!    from C concurrent keep-alive connections (a hyper HTTP/1.1 client on its own runtime,
//!    threads named `load-client`), every code used once; a warm-up pass first (also checks the
//!    response: 200, two JWS of the expected `alg`, the ID token verifying against the org's
//!    JWKS), then the timed pass, where every response must be 200 with an `id_token`;
//! 5. prints requests/s, latency percentiles and where the CPU went during the timed pass:
//!    per-thread CPU time of this process from `/proc/self/task/*/schedstat`, grouped into the
//!    server (tokio workers and blocking threads + the `sqlx-sqlite-worker` threads), the load
//!    client and the rest; PostgreSQL backend processes (`/proc/*/comm` = `postgres`); and the
//!    whole machine (`/proc/stat`), so that other load on a shared machine shows.
//!
//! The ceiling: `openssl speed -mr -seconds S rsa2048` and `ecdsap256` (one process, so one
//! core) sign/s ÷ 2, since every response carries two signatures (access token and ID token).
//! The raw signing rate of Federa's own JOSE code (`federa_jose::jws::sign`, aws-lc-rs) on one
//! thread is printed too, to tell the crypto library apart from the server around it.
//!
//! Environment (all optional):
//! - `TOKEN_LOAD_BACKENDS` (`sqlite,postgres`), `TOKEN_LOAD_WORKERS` (`1,2`),
//!   `TOKEN_LOAD_ALGS` (`RS256,ES256`);
//! - `TOKEN_LOAD_REQUESTS` (timed requests per run; default 4000 for RS256, 12000 for ES256),
//!   `TOKEN_LOAD_WARMUP` (300), `TOKEN_LOAD_CONNECTIONS` (16),
//!   `TOKEN_LOAD_CLIENT_THREADS` (1);
//! - `TOKEN_LOAD_SPEED_SECONDS` (5; `0` skips `openssl speed` and the raw signing rates);
//! - `TOKEN_LOAD_REPEAT` (1): timed passes per algorithm (fresh codes each), one row each, to
//!   pick passes a busy machine did not disturb (see the "foreign cores" column);
//! - `TOKEN_LOAD_SQL_STATS=1` (diagnostic): count the SQL statements of the timed pass and sum
//!   their execution time (sqlx's `sqlx::query` events, through a tracing layer that listens to
//!   nothing else) and print them per request. Logging every statement costs time itself: do
//!   not quote the throughput of such a run.
//!
//! Run: `cargo bench -p federa-server --bench token_load`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64::Engine as _;
use federa_claims::{AuthenticatorKey, MethodFlags, MethodType, local_verification};
use federa_core::Ctx;
use federa_core::model::app::AppInput;
use federa_core::model::{Engine, UserProfile};
use federa_core::ports::StoredCode;
use federa_core::service::oauth::{CODE_TTL_MS, CodeGrant};
use federa_core::service::sessions::{hash_token, random_token};
use federa_core::service::users::{self, NewUser};
use federa_core::service::{apps, keys, orgs};
use federa_jose::JwsAlg;
use federa_server::app;
use federa_server::config::{Config, Overrides};
use federa_testkit::{Db, TestDb};
use federa_types::{AppId, OrgId, Secret, Timestamp, UserId};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const HOST_NAME: &str = "bench.test";
const REDIRECT: &str = "https://rp.example/cb";
const LOGIN: &str = "ada@example.com";

// ---------------------------------------------------------------------------------------------
// Options

struct Opts {
    backends: Vec<Db>,
    workers: Vec<usize>,
    algs: Vec<JwsAlg>,
    requests: Option<usize>,
    warmup: usize,
    connections: usize,
    client_threads: usize,
    speed_seconds: u32,
    repeat: usize,
    sql_stats: bool,
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

impl Opts {
    fn from_env() -> Self {
        let backends = env_list("TOKEN_LOAD_BACKENDS", "sqlite,postgres")
            .iter()
            .map(|b| match b.to_ascii_lowercase().as_str() {
                "sqlite" => Db::Sqlite,
                "postgres" | "pg" | "postgresql" => Db::Postgres,
                other => panic!("unknown backend {other}"),
            })
            .collect();
        let workers = env_list("TOKEN_LOAD_WORKERS", "1,2")
            .iter()
            .map(|w| w.parse().expect("TOKEN_LOAD_WORKERS: numbers"))
            .collect();
        let algs = env_list("TOKEN_LOAD_ALGS", "RS256,ES256")
            .iter()
            .map(|a| JwsAlg::from_name(&a.to_ascii_uppercase()).expect("TOKEN_LOAD_ALGS"))
            .collect();
        Opts {
            backends,
            workers,
            algs,
            requests: env_num("TOKEN_LOAD_REQUESTS"),
            warmup: env_num("TOKEN_LOAD_WARMUP").unwrap_or(300),
            connections: env_num("TOKEN_LOAD_CONNECTIONS").unwrap_or(16),
            client_threads: env_num("TOKEN_LOAD_CLIENT_THREADS").unwrap_or(1),
            speed_seconds: env_num("TOKEN_LOAD_SPEED_SECONDS").unwrap_or(5),
            repeat: env_num("TOKEN_LOAD_REPEAT").unwrap_or(1).max(1),
            sql_stats: std::env::var("TOKEN_LOAD_SQL_STATS").is_ok_and(|v| v == "1"),
        }
    }

    fn requests_for(&self, alg: JwsAlg) -> usize {
        self.requests.unwrap_or(match alg {
            JwsAlg::Rs256 => 4000,
            _ => 12_000,
        })
    }
}

#[path = "support/cpu.rs"]
mod cpu;
use cpu::{CpuUse, snapshot};

// ---------------------------------------------------------------------------------------------
// SQL statement statistics (diagnostic)

#[derive(Default)]
struct SqlStats {
    on: std::sync::atomic::AtomicBool,
    by_statement: std::sync::Mutex<BTreeMap<String, (u64, f64)>>,
}

static SQL_STATS: std::sync::OnceLock<Arc<SqlStats>> = std::sync::OnceLock::new();

struct SqlLayer(Arc<SqlStats>);

#[derive(Default)]
struct SqlVisit {
    statement: String,
    summary: String,
    secs: f64,
}

impl tracing::field::Visit for SqlVisit {
    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
    fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
        match f.name() {
            "db.statement" => self.statement = v.to_string(),
            "summary" => self.summary = v.to_string(),
            _ => {}
        }
    }
    fn record_f64(&mut self, f: &tracing::field::Field, v: f64) {
        if f.name() == "elapsed_secs" {
            self.secs = v;
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SqlLayer {
    fn enabled(
        &self,
        m: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        m.target() == "sqlx::query"
    }

    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if e.metadata().target() != "sqlx::query" || !self.0.on.load(Ordering::Relaxed) {
            return;
        }
        let mut v = SqlVisit::default();
        e.record(&mut v);
        let text = if v.statement.trim().is_empty() {
            v.summary
        } else {
            v.statement
        };
        let mut key: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if key.len() > 110 {
            let mut cut = 110;
            while !key.is_char_boundary(cut) {
                cut -= 1;
            }
            key.truncate(cut);
            key.push('…');
        }
        let mut m = self.0.by_statement.lock().unwrap();
        let entry = m.entry(key).or_default();
        entry.0 += 1;
        entry.1 += v.secs;
    }
}

fn install_sql_stats() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let stats = Arc::new(SqlStats::default());
    let sub = tracing_subscriber::registry().with(SqlLayer(stats.clone()));
    tracing::subscriber::set_global_default(sub).expect("a global subscriber");
    let _ = SQL_STATS.set(stats);
}

fn sql_stats_start() {
    if let Some(s) = SQL_STATS.get() {
        s.by_statement.lock().unwrap().clear();
        s.on.store(true, Ordering::SeqCst);
    }
}

fn sql_stats_report(requests: usize) {
    let Some(s) = SQL_STATS.get() else { return };
    s.on.store(false, Ordering::SeqCst);
    let m = s.by_statement.lock().unwrap();
    let mut rows: Vec<_> = m.iter().collect();
    rows.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
    let n = requests as f64;
    let (count, secs) = rows
        .iter()
        .fold((0u64, 0.0), |(c, t), (_, (k, x))| (c + k, t + x));
    eprintln!(
        "  SQL per request: {:.2} statements, {:.0} µs executing (sqlx elapsed, summed)",
        count as f64 / n,
        secs / n * 1e6
    );
    for (stmt, (k, x)) in rows {
        eprintln!(
            "    {:>5.2}/req {:>7.1} µs/req {:>7.1} µs each  {stmt}",
            *k as f64 / n,
            x / n * 1e6,
            x / (*k as f64).max(1.0) * 1e6
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Setup

struct Target {
    ctx: Ctx,
    org: OrgId,
    app: AppId,
    user: UserId,
    basic: String,
}

fn config(db: &TestDb) -> Config {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(std::env::temp_dir()),
        database_url: Some(db.url.clone()),
    };
    let env = vec![(
        "FEDERA_MASTER_KEY".to_string(),
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
    )];
    Config::load(None, &env, &overrides).expect("config")
}

async fn setup(ctx: &Ctx) -> Target {
    let created = orgs::create(ctx, "Bench", &[HOST_NAME.into()], Engine::Identity, "t")
        .await
        .expect("org");
    let org = created.org.id.clone();
    let user = users::create(
        ctx,
        &org,
        NewUser {
            profile: UserProfile {
                login: LOGIN.into(),
                email: LOGIN.into(),
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                ..Default::default()
            },
            password: Some(Secret::new("correct horse battery".into())),
            group_ids: Vec::new(),
        },
        true,
    )
    .await
    .expect("user");
    let input: AppInput = serde_json::from_value(serde_json::json!({
        "label": "Load RP", "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"]}}
    }))
    .unwrap();
    let (a, secret) = apps::create(ctx, &org, input, true).await.expect("app");
    let client_id = a.client_id.clone().unwrap();
    let secret = secret.expect("a client secret").expose().clone();
    // RFC 6749 §2.3.1: form-encode both, then Basic. Both are URL-safe already.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"))
    );
    Target {
        ctx: ctx.clone(),
        org,
        app: a.id,
        user: user.id,
        basic,
    }
}

/// Pre-mints `n` codes the way `oauth::authorize` does (untimed).
async fn mint(t: &Target, n: usize) -> Vec<String> {
    let now = t.ctx.clock.now();
    let v = local_verification(
        &AuthenticatorKey::OktaPassword,
        &MethodType::Password,
        MethodFlags::default(),
        now,
    )
    .unwrap();
    let grant = CodeGrant {
        redirect_uri: REDIRECT.into(),
        scopes: vec!["openid".into(), "profile".into()],
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: None,
        auth_time: now,
        verifications: vec![v],
        idp: None,
        acr_values: Vec::new(),
    };
    let data = serde_json::to_value(&grant).unwrap();
    // Longer than CODE_TTL_MS, so that a long run at a low rate cannot outlive its codes.
    let expires_at = Timestamp(now.0 + CODE_TTL_MS.max(3_600_000));
    let mut codes = Vec::with_capacity(n);
    let mut batch = Vec::new();
    for _ in 0..n {
        let code = random_token(&t.ctx);
        let stored = StoredCode {
            code_hash: hash_token(&code),
            org_id: t.org.clone(),
            app_id: t.app.clone(),
            user_id: t.user.clone(),
            family: random_token(&t.ctx),
            data: data.clone(),
            created: now,
            expires_at,
            // The bench user's tokens were never revoked: generation 0, as the user's.
            user_gen: 0,
        };
        codes.push(code);
        batch.push(stored);
        if batch.len() == 64 {
            put_all(&t.ctx, std::mem::take(&mut batch)).await;
        }
    }
    put_all(&t.ctx, batch).await;
    codes
}

async fn put_all(ctx: &Ctx, batch: Vec<StoredCode>) {
    let futs = batch.iter().map(|c| ctx.store.put_code(c));
    for r in futures_join_all(futs).await {
        r.expect("put_code");
    }
}

/// A tiny join_all (no extra dependency): runs the futures concurrently on this task.
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

// ---------------------------------------------------------------------------------------------
// Load

struct Pass {
    latencies_us: Vec<u32>,
    failures: usize,
    first_failure: Option<String>,
    elapsed: Duration,
    sample: Option<Bytes>,
}

fn form_body(code: &str) -> Bytes {
    // Codes are URL-safe base64; the redirect URI is percent-encoded here.
    Bytes::from(format!(
        "grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
    ))
}

/// Redeems every code once over `conns` keep-alive connections; times the whole pass.
async fn drive(addr: SocketAddr, basic: Arc<str>, codes: Vec<String>, conns: usize) -> Pass {
    let host: Arc<str> = format!("{HOST_NAME}:{}", addr.port()).into();
    let bodies: Arc<Vec<Bytes>> = Arc::new(codes.iter().map(|c| form_body(c)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    // Connect every connection before the clock starts.
    let mut senders = Vec::new();
    for _ in 0..conns {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        senders.push(sender);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for mut sender in senders {
        let (bodies, next, host, basic) =
            (bodies.clone(), next.clone(), host.clone(), basic.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(bodies.len() / conns + 1);
            let mut failures = 0usize;
            let mut first_failure = None;
            let mut sample = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let req = Request::post("/oauth2/v1/token")
                    .header(HOST, &*host)
                    .header(AUTHORIZATION, &*basic)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Full::new(body.clone()))
                    .unwrap();
                let t0 = Instant::now();
                sender.ready().await.expect("connection usable");
                let res = sender.send_request(req).await.expect("response");
                let status = res.status();
                let bytes = res.into_body().collect().await.expect("body").to_bytes();
                lat.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                let ok = status == hyper::StatusCode::OK
                    && memchr_find(&bytes, b"\"id_token\":\"").is_some();
                if !ok {
                    failures += 1;
                    if first_failure.is_none() {
                        first_failure =
                            Some(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
                    }
                } else if sample.is_none() {
                    sample = Some(bytes);
                }
            }
            (lat, failures, first_failure, sample)
        }));
    }
    let mut pass = Pass {
        latencies_us: Vec::with_capacity(bodies.len()),
        failures: 0,
        first_failure: None,
        elapsed: Duration::ZERO,
        sample: None,
    };
    for t in tasks {
        let (lat, f, ff, s) = t.await.expect("client task");
        pass.latencies_us.extend(lat);
        pass.failures += f;
        pass.first_failure = pass.first_failure.or(ff);
        pass.sample = pass.sample.or(s);
    }
    pass.elapsed = start.elapsed();
    pass
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Checks one token response fully: both tokens are JWS of `alg` and the ID token verifies
/// against the org's published keys.
async fn check_sample(t: &Target, body: &[u8], alg: JwsAlg) {
    let v: serde_json::Value = serde_json::from_slice(body).expect("JSON token response");
    assert_eq!(v["token_type"], "Bearer", "{v}");
    for name in ["access_token", "id_token"] {
        let tok = v[name].as_str().unwrap_or_else(|| panic!("{name} in {v}"));
        let p = federa_jose::CompactJws::parse(tok).expect("a JWS");
        assert_eq!(p.header().alg(), alg, "{name} alg");
    }
    let keys = keys::verifying_keys(&t.ctx, &t.org).await.unwrap();
    let id = federa_jose::jws::verify(v["id_token"].as_str().unwrap(), &keys, &[alg])
        .expect("the ID token verifies against the JWKS");
    let claims = id.claims().unwrap();
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]), "{claims:?}");
}

// ---------------------------------------------------------------------------------------------
// Ceilings

/// `openssl speed -mr`: sign/s of one core for `rsa2048` (`+F2`) or `ecdsap256` (`+F4`).
fn openssl_sign_per_s(algo: &str, seconds: u32) -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-mr", "-seconds", &seconds.to_string(), algo])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tag = if algo.starts_with("rsa") {
        "+F2:"
    } else {
        "+F4:"
    };
    let line = text.lines().find(|l| l.starts_with(tag))?;
    line.split(':').nth(3)?.parse().ok()
}

/// Federa's own JWS signing (aws-lc-rs) on this thread, signs/s.
fn raw_sign_per_s(alg: JwsAlg, seconds: u32) -> f64 {
    let key = federa_jose::SigningKey::generate(alg).unwrap();
    let payload = br#"{"ver":1,"jti":"ID.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","iss":"http://bench.test:40000","sub":"00u0000000000000000","aud":"0oa0000000000000000","iat":1700000000,"exp":1700003600,"auth_time":1700000000,"nonce":"n-0S6_WzA2Mj","amr":["pwd"],"acr":"urn:okta:loa:1fa:any","idp":"00o0000000000000000","at_hash":"aaaaaaaaaaaaaaaaaaaaaa"}"#;
    let opts = federa_jose::jws::SignOptions::new().typ("JWT");
    let start = Instant::now();
    let limit = Duration::from_secs(u64::from(seconds));
    let mut n = 0u64;
    while start.elapsed() < limit {
        for _ in 0..10 {
            std::hint::black_box(federa_jose::jws::sign(&key, payload, &opts).unwrap());
        }
        n += 10;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

// ---------------------------------------------------------------------------------------------
// Report

struct Row {
    backend: &'static str,
    workers: usize,
    alg: JwsAlg,
    requests: usize,
    conns: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    cpu: CpuUse,
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn backend_name(db: Db) -> &'static str {
    match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    }
}

fn run_backend(
    opts: &Opts,
    db: Db,
    workers: usize,
    client_rt: &tokio::runtime::Runtime,
) -> Vec<Row> {
    let srv_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("federa-srv")
        .enable_all()
        .build()
        .unwrap();
    let Some((testdb, running, target)) = srv_rt.block_on(async {
        let testdb = TestDb::new(db).await?;
        let running = app::start(&config(&testdb), false)
            .await
            .expect("server starts");
        let target = setup(&running.ctx).await;
        Some((testdb, running, target))
    }) else {
        eprintln!(
            "postgres: skipped (set {} to include it)",
            federa_testkit::POSTGRES_ENV
        );
        return Vec::new();
    };
    let addr = running.addr;
    let basic: Arc<str> = target.basic.clone().into();
    let mut rows = Vec::new();
    for (i, &alg) in opts.algs.iter().enumerate() {
        srv_rt.block_on(async {
            let key = if i == 0 && alg == JwsAlg::Rs256 {
                keys::jws_signing_key(&target.ctx, &target.org).await
            } else {
                keys::rotate_jws(&target.ctx, &target.org, alg).await
            }
            .unwrap();
            assert_eq!(key.alg(), alg);
        });
        let n = opts.requests_for(alg);
        let warm = srv_rt.block_on(mint(&target, opts.warmup));
        let w = client_rt.block_on(drive(addr, basic.clone(), warm, opts.connections));
        assert_eq!(w.failures, 0, "warm-up: {:?}", w.first_failure);
        let sample = w.sample.expect("a response");
        srv_rt.block_on(check_sample(&target, &sample, alg));
        for _ in 0..opts.repeat {
            let timed = srv_rt.block_on(mint(&target, n));
            // Let the SQLite WAL checkpoint and background work of the minting settle.
            std::thread::sleep(Duration::from_millis(300));
            sql_stats_start();
            let before = snapshot();
            let mut pass = client_rt.block_on(drive(addr, basic.clone(), timed, opts.connections));
            let after = snapshot();
            assert_eq!(
                pass.failures, 0,
                "{} of {n} responses were not 200 with an id_token; first: {:?}",
                pass.failures, pass.first_failure
            );
            pass.latencies_us.sort_unstable();
            let row = Row {
                backend: backend_name(db),
                workers,
                alg,
                requests: n,
                conns: opts.connections,
                rps: n as f64 / pass.elapsed.as_secs_f64(),
                p50_ms: pct(&pass.latencies_us, 0.50),
                p99_ms: pct(&pass.latencies_us, 0.99),
                max_ms: pct(&pass.latencies_us, 1.0),
                cpu: CpuUse::between(&before, &after),
            };
            eprintln!(
                "{:<8} workers={} {:<5} {:>6} req  {:>8.1} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  \
                 cores: server {:.2} (+sqlite {:.2}, +postgres {:.2}) client {:.2} foreign {:.2}",
                row.backend,
                workers,
                alg.as_str(),
                n,
                row.rps,
                row.p50_ms,
                row.p99_ms,
                row.cpu.server,
                row.cpu.server_sqlite,
                row.cpu.postgres,
                row.cpu.client,
                row.cpu.foreign()
            );
            sql_stats_report(n);
            rows.push(row);
        }
    }
    srv_rt.block_on(async {
        running.stop().await.expect("graceful stop");
        testdb.cleanup().await;
    });
    rows
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported (use the env vars).
    let opts = Opts::from_env();
    if opts.sql_stats {
        install_sql_stats();
    }
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

    let mut ceiling: BTreeMap<&'static str, (Option<f64>, f64)> = BTreeMap::new();
    if opts.speed_seconds > 0 {
        for &alg in &opts.algs {
            let (name, algo) = match alg {
                JwsAlg::Rs256 => ("RS256", "rsa2048"),
                JwsAlg::Es256 => ("ES256", "ecdsap256"),
            };
            let ossl = openssl_sign_per_s(algo, opts.speed_seconds);
            let raw = raw_sign_per_s(alg, opts.speed_seconds.min(3));
            eprintln!(
                "{name}: openssl speed {algo}: {} sign/s; federa_jose::jws::sign (aws-lc-rs): {raw:.0} sign/s",
                ossl.map_or("n/a".into(), |s| format!("{s:.0}"))
            );
            ceiling.insert(name, (ossl, raw));
        }
    }

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.client_threads)
        .thread_name("load-client")
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for &db in &opts.backends {
        for &w in &opts.workers {
            rows.extend(run_backend(&opts, db, w, &client_rt));
        }
    }

    println!();
    println!(
        "| backend | server workers | alg | requests | conns | req/s | p50 ms | p99 ms | max ms | server cores (runtime + sqlite/postgres) | client cores | foreign cores | req/s per server core | ceiling (openssl ÷ 2) | req/s ÷ ceiling | req/s per server core ÷ ceiling |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let (ossl, _) = ceiling.get(r.alg.as_str()).copied().unwrap_or((None, 0.0));
        let ceil = ossl.map(|s| s / 2.0);
        let per_core = r.rps / r.cpu.server_total().max(1e-9);
        let f = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{:.0}%", x * 100.0));
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {:.2} ({:.2} + {:.2}) | {:.2} | {:.2} | {:.0} | {} | {} | {} |",
            r.backend,
            r.workers,
            r.alg.as_str(),
            r.requests,
            r.conns,
            r.rps,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.cpu.server_total(),
            r.cpu.server,
            r.cpu.server_sqlite + r.cpu.postgres,
            r.cpu.client,
            r.cpu.foreign(),
            per_core,
            ceil.map_or("n/a".into(), |c| format!("{c:.0}")),
            f(ceil.map(|c| r.rps / c)),
            f(ceil.map(|c| per_core / c)),
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!("loadavg at the end: {}", load.trim());
}
