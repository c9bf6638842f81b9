//! CPU accounting for the load benchmarks (Linux `/proc`): CPU time of this process's threads by
//! thread name (`federa-srv*` server runtime, `sqlx-sqlite*` SQLite workers, `load-client*`),
//! of PostgreSQL backends, and of the whole machine, turned into cores used between two
//! snapshots. Shared by `token_load.rs` and `federation.rs` through `#[path]`.

use std::collections::BTreeMap;
use std::time::Instant;

/// CPU time (ns) of this process's threads, by class, plus PostgreSQL backends and the machine.
#[derive(Debug, Clone, Default)]
pub(crate) struct CpuSnap {
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

pub(crate) fn snapshot() -> CpuSnap {
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
            let name = e.file_name();
            if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
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
        // user nice system idle iowait irq softirq steal ...
        let total: u64 = v.iter().take(8).sum();
        let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
        snap.machine_busy_ticks = total.saturating_sub(idle);
    }
    snap
}

impl CpuSnap {
    /// CPU time (ns) of all this process's threads.
    #[allow(dead_code)] // federation.rs only
    pub(crate) fn process_ns(&self) -> u64 {
        self.by_class.values().sum()
    }
}

/// Cores used (CPU seconds ÷ wall seconds) between two snapshots.
#[derive(Debug, Clone, Default)]
pub(crate) struct CpuUse {
    pub(crate) server: f64,
    pub(crate) server_sqlite: f64,
    pub(crate) client: f64,
    pub(crate) other_in_process: f64,
    pub(crate) postgres: f64,
    pub(crate) machine: f64,
}

impl CpuUse {
    pub(crate) fn between(a: &CpuSnap, b: &CpuSnap) -> Self {
        let wall = b.at.unwrap().duration_since(a.at.unwrap()).as_secs_f64();
        let d = |k: &str| {
            let x = b.by_class.get(k).copied().unwrap_or(0);
            let y = a.by_class.get(k).copied().unwrap_or(0);
            x.saturating_sub(y) as f64 / 1e9 / wall
        };
        CpuUse {
            server: d("server"),
            server_sqlite: d("server-sqlite"),
            client: d("client"),
            other_in_process: d("other"),
            postgres: b.postgres_ns.saturating_sub(a.postgres_ns) as f64 / 1e9 / wall,
            // USER_HZ is 100 on Linux.
            machine: b.machine_busy_ticks.saturating_sub(a.machine_busy_ticks) as f64
                / 100.0
                / wall,
        }
    }

    /// The server's own cores: runtime threads, SQLite threads and PostgreSQL backends.
    pub(crate) fn server_total(&self) -> f64 {
        self.server + self.server_sqlite + self.postgres
    }

    /// Busy cores not accounted for by this benchmark (other work on the machine).
    pub(crate) fn foreign(&self) -> f64 {
        (self.machine
            - self.server
            - self.server_sqlite
            - self.client
            - self.other_in_process
            - self.postgres)
            .max(0.0)
    }
}
