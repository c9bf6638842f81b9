//! Issue 4: what a password sign-in costs beyond the raw Argon2id hash, and what the server spends
//! rendering the sign-in page. Everything runs in-process on a temporary SQLite database (WAL,
//! `synchronous = NORMAL`, as the server configures it) with the default org on `localhost` and
//! one user, through the complete router (`federa_web::router`) driven by `tower::ServiceExt::
//! oneshot`: middleware, extractors, the use cases, the store and the templates are all measured;
//! hyper, TCP and the access-log subscriber are not.
//!
//! - `signin/argon2id_verify_raw`: `PasswordHasher::verify_blocking` at the default parameters
//!   (m=19456 KiB, t=2, p=1) against the user's stored hash.
//! - `signin/password_step_only`: `POST /login/password` alone, for a flow already at the password
//!   step (prepared, untimed, per iteration). Overhead = (this − argon2id_verify_raw) / raw.
//! - `signin/password_sign_in`: `GET /login` → `POST /login/identify` → `POST /login/password` up to
//!   the 303 to `/me` with the session cookie, cookies carried by hand.
//! - `signin/password_step_cheap_hash` and `signin/argon2id_verify_cheap_raw` (diagnostic): the
//!   same password step for a second user whose stored hash has m=8 KiB, t=2 (verification uses
//!   the stored parameters), and that hash's raw verification: their difference is the overhead
//!   measured directly, not as a small difference of two large, noisy figures.
//! - `signin/argon2id_verify_raw_again`: the raw hash once more after the HTTP benches, to show
//!   drift of a busy machine between the two measurements the overhead is computed from.
//! - `signin/password_step_minus_raw_interleaved`: the overhead measured directly, as the sum of
//!   (password step − raw verification) over pairs timed back to back, so that both halves of
//!   each pair see the same machine load.
//! - `login_page/render_identify_template`: the identifier template alone (minijinja).
//! - `login_page/get_login_password_step`: `GET /login` with a flow at the password step (loads
//!   the flow, renders the password page), the page a browser fetches between the two posts.
//! - `login_page/get_login_new_flow`: `GET /login` without cookies (resolves the org, creates a
//!   flow row, renders the identifier page): what the server does for every new visitor, with a
//!   nearly empty flow table; `get_login_new_flow_10k_live_flows`: the same with 10 000
//!   unexpired abandoned flows in the table (creating a flow scans the table, see below).
//!
//! Every request gets its own client address (`ConnectInfo`), and the user's sign-in counter is
//! reset before each timed sign-in (untimed), so the rate limiter (20 per user, 60 per address in
//! 5 minutes) never trips; a tripped limiter would redirect to `/login` and fail the assertion.
//!
//! Run: `cargo bench -p federa-server --bench signin`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use federa_core::Ctx;
use federa_core::model::{Org, UserProfile};
use federa_core::password::{HashParams, PasswordHasher};
use federa_core::service::sessions::{SESSION_COOKIE, hash_token};
use federa_core::service::signin::FLOW_COOKIE;
use federa_core::service::users::{self, NewUser};
use federa_core::service::{defaults, orgs, ratelimit};
use federa_testkit::{Db, TestDb};
use federa_types::Secret;
use federa_web::{AppState, WebConfig};
use std::fmt::Write as _;
use std::hint::black_box;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const HOST: &str = "localhost";
const LOGIN: &str = "ada@example.com";
const CHEAP_LOGIN: &str = "cheap@example.com";
const PASSWORD: &str = "correct horse battery";

/// The database, the app and the user, shared by every benchmark.
struct Env {
    rt: tokio::runtime::Runtime,
    app: Router,
    state: AppState,
    ctx: Ctx,
    org: Org,
    /// Stored PHC string of [`LOGIN`] (default parameters).
    phc: String,
    /// Stored PHC string of [`CHEAP_LOGIN`] (m=8 KiB, t=2).
    cheap_phc: String,
    next_ip: AtomicU64,
    _db: TestDb,
}

/// Cookies as a browser keeps them for one site.
#[derive(Debug, Default, Clone)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn update(&mut self, res: &Response<Body>) {
        for v in res.headers().get_all(header::SET_COOKIE) {
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

fn location(res: &Response<Body>) -> Option<&str> {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap())
}

async fn body_text(res: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A flow at the password step: the browser's cookies, the form token and its address.
struct AtPassword {
    jar: Jar,
    csrf: String,
    ip: SocketAddr,
}

impl Env {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let (db, ctx, org, phc, cheap_phc) = rt.block_on(async {
            let db = TestDb::new(Db::Sqlite).await.expect("sqlite");
            let ctx = federa_testkit::ctx(db.store().await);
            orgs::bootstrap_default(&ctx)
                .await
                .unwrap()
                .expect("a fresh database gets the default org");
            defaults::backfill_all(&ctx).await.unwrap();
            let org = orgs::resolve(&ctx, Some(HOST)).await.unwrap();
            let new_user = |login: &str| NewUser {
                profile: UserProfile {
                    login: login.to_string(),
                    email: login.to_string(),
                    first_name: Some("Ada".into()),
                    last_name: Some("Lovelace".into()),
                    ..Default::default()
                },
                password: Some(Secret::new(PASSWORD.to_string())),
                group_ids: Vec::new(),
            };
            let user = users::create(&ctx, &org.id, new_user(LOGIN), true)
                .await
                .unwrap();
            let phc = user.password_hash.unwrap().expose().clone();
            // Same store, a hasher with tiny memory: only to give the diagnostic user a cheap
            // stored hash. The app below keeps the default hasher.
            let cheap_ctx = Ctx {
                hasher: PasswordHasher::new_unchecked(HashParams {
                    memory_kib: 8,
                    iterations: 2,
                    parallelism: 1,
                })
                .unwrap(),
                ..ctx.clone()
            };
            let cheap = users::create(&cheap_ctx, &org.id, new_user(CHEAP_LOGIN), true)
                .await
                .unwrap();
            let cheap_phc = cheap.password_hash.unwrap().expose().clone();
            (db, ctx, org, phc, cheap_phc)
        });
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            cheap_phc.starts_with("$argon2id$v=19$m=8,t=2,p=1$"),
            "{cheap_phc}"
        );
        let state = AppState::new(ctx.clone(), WebConfig::default()).unwrap();
        let app = federa_web::router(state.clone());
        Env {
            rt,
            app,
            state,
            ctx,
            org,
            phc,
            cheap_phc,
            next_ip: AtomicU64::new(1),
            _db: db,
        }
    }

    /// A client address never used before.
    fn new_ip(&self) -> SocketAddr {
        let n = self.next_ip.fetch_add(1, Ordering::Relaxed);
        let ip = Ipv6Addr::from((0xfd00_u128 << 112) | u128::from(n));
        SocketAddr::new(IpAddr::V6(ip), 40_000)
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        jar: &Jar,
        fields: Option<&[(&str, &str)]>,
        ip: SocketAddr,
    ) -> Request<Body> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::USER_AGENT, "federa-bench/1.0");
        if let Some(c) = jar.header() {
            b = b.header(header::COOKIE, c);
        }
        let body = match fields {
            Some(f) => {
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form(f))
            }
            None => Body::empty(),
        };
        let mut req = b.body(body).unwrap();
        req.extensions_mut().insert(ConnectInfo(ip));
        req
    }

    async fn send(&self, req: Request<Body>) -> Response<Body> {
        // The router's error type is Infallible.
        self.app.clone().oneshot(req).await.unwrap()
    }

    /// Forgets the sign-in attempts counted against `login` (untimed setup).
    fn reset_limit(&self, login: &str) {
        self.rt
            .block_on(ratelimit::reset(
                &self.ctx,
                &self.org.id,
                &format!("signin:sub:{}", login.to_lowercase()),
            ))
            .unwrap();
    }

    /// `GET /login` for a new visitor; returns the cookies and the page.
    async fn get_login(&self, jar: &mut Jar, ip: SocketAddr) -> String {
        let res = self
            .send(self.request("GET", "/login", jar, None, ip))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        jar.update(&res);
        body_text(res).await
    }

    /// `GET /login`, then `POST /login/identify` with `login`.
    async fn to_password_step(&self, login: &str) -> AtPassword {
        let ip = self.new_ip();
        let mut jar = Jar::default();
        let html = self.get_login(&mut jar, ip).await;
        let token = csrf(&html);
        let res = self
            .send(self.request(
                "POST",
                "/login/identify",
                &jar,
                Some(&[("csrf", &token), ("username", login)]),
                ip,
            ))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), Some("/login"));
        jar.update(&res);
        AtPassword {
            jar,
            csrf: token,
            ip,
        }
    }

    /// `POST /login/password`; asserts the 303 to `/me` with a session cookie (a refused
    /// password, a tripped rate limit or a denied policy would redirect to `/login`).
    async fn post_password(&self, at: AtPassword) -> Jar {
        let AtPassword { mut jar, csrf, ip } = at;
        let res = self
            .send(self.request(
                "POST",
                "/login/password",
                &jar,
                Some(&[("csrf", &csrf), ("password", PASSWORD)]),
                ip,
            ))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), Some("/me"), "signed in");
        jar.update(&res);
        assert!(jar.get(SESSION_COOKIE).is_some(), "a session cookie");
        assert!(jar.get(FLOW_COOKIE).is_none(), "the flow cookie is cleared");
        jar
    }

    /// Once, untimed: the whole flow works and creates a session `GET /api/v1/sessions/me`
    /// sees, and the cheap-hash user signs in too.
    fn check(&self) {
        self.rt.block_on(async {
            for login in [LOGIN, CHEAP_LOGIN] {
                let at = self.to_password_step(login).await;
                let jar = self.post_password(at).await;
                let res = self
                    .send(self.request("GET", "/api/v1/sessions/me", &jar, None, self.new_ip()))
                    .await;
                assert_eq!(res.status(), StatusCode::OK);
                let body = body_text(res).await;
                assert!(body.contains(&format!("\"login\":\"{login}\"")), "{body}");
            }
        });
        let hasher = &self.ctx.hasher;
        assert!(hasher.verify_blocking(PASSWORD.as_bytes(), &self.phc));
        assert!(hasher.verify_blocking(PASSWORD.as_bytes(), &self.cheap_phc));
        assert!(!hasher.verify_blocking(b"wrong", &self.phc));
    }
}

fn benches(c: &mut Criterion) {
    let env = Env::new();
    env.check();
    let hasher = PasswordHasher::new(HashParams::default()).unwrap();

    // Tens of milliseconds per iteration: flat sampling, fewer samples, longer measurement.
    let mut g = c.benchmark_group("signin");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(20));

    g.bench_function("argon2id_verify_raw", |b| {
        b.iter(|| {
            assert!(hasher.verify_blocking(black_box(PASSWORD.as_bytes()), black_box(&env.phc)))
        })
    });

    g.bench_function("password_step_only", |b| {
        b.iter_batched(
            || {
                env.reset_limit(LOGIN);
                env.rt.block_on(env.to_password_step(LOGIN))
            },
            |at| env.rt.block_on(env.post_password(at)),
            BatchSize::PerIteration,
        )
    });

    g.bench_function("password_sign_in", |b| {
        b.iter_batched(
            || {
                env.reset_limit(LOGIN);
                env.new_ip()
            },
            |ip| {
                env.rt.block_on(async {
                    let mut jar = Jar::default();
                    let html = env.get_login(&mut jar, ip).await;
                    let token = csrf(&html);
                    let res = env
                        .send(env.request(
                            "POST",
                            "/login/identify",
                            &jar,
                            Some(&[("csrf", &token), ("username", LOGIN)]),
                            ip,
                        ))
                        .await;
                    assert_eq!(location(&res), Some("/login"));
                    jar.update(&res);
                    env.post_password(AtPassword {
                        jar,
                        csrf: token,
                        ip,
                    })
                    .await
                })
            },
            BatchSize::PerIteration,
        )
    });

    g.bench_function("argon2id_verify_raw_again", |b| {
        b.iter(|| {
            assert!(hasher.verify_blocking(black_box(PASSWORD.as_bytes()), black_box(&env.phc)))
        })
    });

    // The machine this runs on may be busy, and the overhead is a small difference of two large
    // figures measured a minute apart. This measures it directly: each iteration times one
    // password step and one raw verification back to back (alternating which goes first) and
    // reports the sum of (step − raw). Only that difference counts as measured time.
    // Few, large samples: with a handful of pairs per sample, one stall of the raw half could
    // make a sample's sum negative, which criterion cannot take (such a sample is counted as
    // 1 ns, which can only raise the figure).
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    let pairs = std::cell::Cell::new((Duration::ZERO, Duration::ZERO, 0u64));
    g.bench_function("password_step_minus_raw_interleaved", |b| {
        b.iter_custom(|iters| {
            let (mut step, mut raw) = (Duration::ZERO, Duration::ZERO);
            for i in 0..iters {
                env.reset_limit(LOGIN);
                let at = env.rt.block_on(env.to_password_step(LOGIN));
                let time_raw = |raw: &mut Duration| {
                    let t = Instant::now();
                    assert!(hasher.verify_blocking(black_box(PASSWORD.as_bytes()), &env.phc));
                    *raw += t.elapsed();
                };
                if i % 2 == 1 {
                    time_raw(&mut raw);
                }
                let t = Instant::now();
                env.rt.block_on(env.post_password(at));
                step += t.elapsed();
                if i % 2 == 0 {
                    time_raw(&mut raw);
                }
            }
            let (s, r, n) = pairs.get();
            pairs.set((s + step, r + raw, n + iters));
            step.saturating_sub(raw).max(Duration::from_nanos(1))
        })
    });
    let (s, r, n) = pairs.get();
    if n > 0 {
        let (s, r) = (
            s.as_secs_f64() * 1e3 / n as f64,
            r.as_secs_f64() * 1e3 / n as f64,
        );
        eprintln!(
            "interleaved pairs (warm-up included): {n}; mean password step {s:.3} ms, mean raw verify {r:.3} ms, overhead {:.1}%",
            (s - r) / r * 100.0
        );
    }

    // Microseconds to a few milliseconds: criterion's default sampling suits these.
    g.sampling_mode(SamplingMode::Auto)
        .sample_size(50)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(10));
    g.bench_function("argon2id_verify_cheap_raw", |b| {
        b.iter(|| {
            assert!(
                hasher.verify_blocking(black_box(PASSWORD.as_bytes()), black_box(&env.cheap_phc))
            )
        })
    });
    g.bench_function("password_step_cheap_hash", |b| {
        b.iter_batched(
            || {
                env.reset_limit(CHEAP_LOGIN);
                env.rt.block_on(env.to_password_step(CHEAP_LOGIN))
            },
            |at| env.rt.block_on(env.post_password(at)),
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("login_page");
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("render_identify_template", |b| {
        let token = "x".repeat(43);
        b.iter(|| {
            env.state
                .templates
                .render(
                    "identify.html",
                    minijinja::context! {
                        org_name => black_box("Default"),
                        csrf => black_box(token.as_str()),
                        error => None::<String>,
                        login => None::<String>,
                        idps => Vec::<()>::new(),
                    },
                )
                .unwrap()
        })
    });
    g.bench_function("get_login_password_step", |b| {
        // One flow at the password step, rendered again and again (a reload): loads the flow,
        // renders, creates nothing.
        let at = env.rt.block_on(env.to_password_step(LOGIN));
        b.iter_batched(
            || env.new_ip(),
            |ip| {
                env.rt.block_on(async {
                    let res = env
                        .send(env.request("GET", "/login", &at.jar, None, ip))
                        .await;
                    assert_eq!(res.status(), StatusCode::OK);
                    body_text(res).await
                })
            },
            BatchSize::SmallInput,
        )
    });
    // Creating a flow first deletes expired flows with a statement that scans the whole
    // `signin_flows` table, so its cost grows with the number of live (unexpired) flows. The
    // flows this benchmark creates are deleted again (untimed) so the table stays at its size:
    // first nearly empty, then with 10 000 abandoned flows, as a site has after a quarter of an
    // hour of ~11 visitors a second who do not finish signing in.
    let new_flow = |b: &mut criterion::Bencher<'_>| {
        let created = std::cell::RefCell::new(Vec::<String>::new());
        b.iter_batched(
            || {
                let done: Vec<String> = created.borrow_mut().drain(..).collect();
                env.rt.block_on(async {
                    for token in done {
                        env.ctx
                            .store
                            .delete_flow(&env.org.id, &hash_token(&token))
                            .await
                            .unwrap();
                    }
                });
                env.new_ip()
            },
            |ip| {
                let jar = env.rt.block_on(async {
                    let mut jar = Jar::default();
                    let html = env.get_login(&mut jar, ip).await;
                    black_box(html);
                    jar
                });
                created
                    .borrow_mut()
                    .push(jar.get(FLOW_COOKIE).expect("a flow cookie").to_string());
            },
            BatchSize::SmallInput,
        )
    };
    g.bench_function("get_login_new_flow", new_flow);
    env.rt.block_on(async {
        for _ in 0..10_000 {
            env.get_login(&mut Jar::default(), env.new_ip()).await;
        }
    });
    g.bench_function("get_login_new_flow_10k_live_flows", new_flow);
    g.finish();
}

criterion_group!(signin, benches);
criterion_main!(signin);
