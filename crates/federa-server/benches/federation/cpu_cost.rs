//! Part 1's CPU-cost run: what one callback costs a busy server in CPU (all threads), beside
//! the latency criterion measures; see the crate-level documentation in `federation.rs`.

use super::*;

/// What [`cpu_cost`] measured, for the summary.
struct CpuCost {
    backend: &'static str,
    callbacks: usize,
    concurrency: usize,
    wall_s: f64,
    /// CPU time of every thread of the process.
    cpu_ns: f64,
}

static CPU_COST: Mutex<Vec<CpuCost>> = Mutex::new(Vec::new());

/// The CPU cost of one callback (not its latency): `FED_CPU_SIGNINS` pending sign-ins (600;
/// `0` skips) are made first, then completed by `FED_CPU_CONCURRENCY` (4) concurrent
/// callers, and the CPU time of all the process's threads (runtime, blocking pool, SQLite
/// workers, the caller) over that window is divided by the number of callbacks. Waiting for
/// another thread to wake costs latency but no CPU; this is what a busy server pays per
/// sign-in.
pub(super) fn cpu_cost(rt: &tokio::runtime::Runtime, sp: &Sp, db: Db) {
    let n = env_num("FED_CPU_SIGNINS", 600usize);
    let k = env_num("FED_CPU_CONCURRENCY", 4usize).max(1);
    if n == 0 {
        return;
    }
    let mut shares: Vec<Vec<Pending>> = (0..k).map(|_| Vec::new()).collect();
    rt.block_on(async {
        for i in 0..n {
            shares[i % k].push(sp.pending().await);
        }
    });
    async fn run(sp: &Sp, ps: Vec<Pending>) {
        for p in ps {
            sp.callback_core(p).await;
        }
    }
    let before = cpu::snapshot();
    let t0 = std::time::Instant::now();
    rt.block_on(async {
        let mut futs: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = Vec::new();
        for ps in shares {
            futs.push(Box::pin(run(sp, ps)));
        }
        join_all(futs).await;
    });
    let wall = t0.elapsed().as_secs_f64();
    let after = cpu::snapshot();
    let ns = after.process_ns().saturating_sub(before.process_ns()) as f64;
    CPU_COST.lock().unwrap().push(CpuCost {
        backend: backend_name(db),
        callbacks: n,
        concurrency: k,
        wall_s: wall,
        cpu_ns: ns,
    });
}

/// Polls every future to completion, on this task (no `futures` dependency here).
async fn join_all(mut futs: Vec<Pin<Box<dyn Future<Output = ()> + '_>>>) {
    std::future::poll_fn(move |cx| {
        futs.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futs.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

/// The summary rows of the CPU-cost runs of `group`, as multiples of the raw RSA op (`raw`, ns).
pub(super) fn print_rows(group: &str, raw: f64) {
    for c in CPU_COST.lock().unwrap().iter() {
        if !group.ends_with(c.backend) {
            continue;
        }
        let per = c.cpu_ns / c.callbacks as f64;
        println!(
            "| callback CPU cost (all threads; {} callbacks, {} concurrent: {:.0}/s, {:.2} cores) | {:.1} | | {:.2}× |",
            c.callbacks,
            c.concurrency,
            c.callbacks as f64 / c.wall_s,
            c.cpu_ns / 1e9 / c.wall_s,
            per / 1e3,
            per / raw
        );
    }
}
