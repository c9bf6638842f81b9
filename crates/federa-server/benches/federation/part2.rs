//! Part 2 of the federation benchmark: the full org2org round trip over loopback HTTP (a
//! load harness); see the crate-level documentation in `federation.rs`.

use super::*;
// ---------------------------------------------------------------------------------------------
// Part 2: the load harness

/// Cores used between two snapshots: (server incl. SQLite threads and PostgreSQL backends,
/// client, foreign).
fn cores(a: &cpu::CpuSnap, b: &cpu::CpuSnap) -> (f64, f64, f64) {
    let u = cpu::CpuUse::between(a, b);
    (u.server_total(), u.client, u.foreign())
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

pub(super) fn part2(
    db: Db,
    workers: usize,
    client_rt: &tokio::runtime::Runtime,
    rows: &mut Vec<String>,
) {
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
        let before = cpu::snapshot();
        let mut pass = client_rt.block_on(drive(&w, browsers, n, false));
        let after = cpu::snapshot();
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
