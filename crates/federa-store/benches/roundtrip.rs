//! What one statement costs through sqlx's `Any` driver on SQLite, by the way it reaches the
//! connection: through the pool (acquire, execute, and the release ping sqlx makes on every
//! return), on a connection held by the caller, as a transaction of several statements, and
//! as one multi-statement batch (`BEGIN IMMEDIATE; …; COMMIT` in one worker round trip).
//!
//! `cargo bench -p federa-store --bench roundtrip`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::sync::atomic::{AtomicI64, Ordering};

const STATEMENTS: usize = 5;

struct Fixture {
    rt: tokio::runtime::Runtime,
    pool: AnyPool,
    conn: tokio::sync::Mutex<AnyConnection>,
    next: AtomicI64,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    sqlx::any::install_default_drivers();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let (pool, conn) = rt.block_on(async {
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .after_connect(|c, _| {
                Box::pin(async move {
                    c.execute("PRAGMA synchronous = NORMAL").await?;
                    c.execute("PRAGMA busy_timeout = 5000").await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .expect("pool");
        pool.execute("PRAGMA journal_mode = WAL")
            .await
            .expect("wal");
        pool.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER NOT NULL)",
        )
        .await
        .expect("table");
        let mut conn = AnyConnection::connect(&url).await.expect("conn");
        conn.execute("PRAGMA synchronous = NORMAL")
            .await
            .expect("pragma");
        conn.execute("PRAGMA busy_timeout = 5000")
            .await
            .expect("pragma");
        (pool, conn)
    });
    Fixture {
        rt,
        pool,
        conn: tokio::sync::Mutex::new(conn),
        next: AtomicI64::new(1),
        _dir: dir,
    }
}

const INSERT: &str = "INSERT INTO t (id, a, b) VALUES ($1, $2, $3)";

async fn insert_one<'e, E: Executor<'e, Database = sqlx::Any>>(ex: E, id: i64) {
    sqlx::query(INSERT)
        .bind(id)
        .bind("x")
        .bind(1_i64)
        .execute(ex)
        .await
        .expect("insert");
}

fn batch_sql() -> String {
    let mut sql = String::from("BEGIN IMMEDIATE; ");
    for i in 0..STATEMENTS {
        let n = i * 3;
        sql.push_str(&format!(
            "INSERT INTO t (id, a, b) VALUES (${}, ${}, ${}); ",
            n + 1,
            n + 2,
            n + 3
        ));
    }
    sql.push_str("COMMIT");
    sql
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let id = || f.next.fetch_add(1, Ordering::Relaxed);
    let mut g = c.benchmark_group("sqlite_roundtrip");
    g.bench_function("select_through_pool", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                sqlx::query("SELECT count(*) FROM t WHERE id = $1")
                    .bind(1_i64)
                    .fetch_one(&f.pool)
                    .await
                    .expect("select")
            })
        })
    });
    g.bench_function("select_on_held_connection", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let mut c = f.conn.lock().await;
                sqlx::query("SELECT count(*) FROM t WHERE id = $1")
                    .bind(1_i64)
                    .fetch_one(&mut *c)
                    .await
                    .expect("select")
            })
        })
    });
    g.bench_function("insert_through_pool", |b| {
        b.iter(|| f.rt.block_on(async { insert_one(&f.pool, id()).await }))
    });
    g.bench_function("insert_on_held_connection", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let mut c = f.conn.lock().await;
                insert_one(&mut *c, id()).await
            })
        })
    });
    g.bench_function("tx_of_5_through_pool", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let mut tx = f.pool.begin().await.expect("begin");
                for _ in 0..STATEMENTS {
                    insert_one(&mut *tx, id()).await;
                }
                tx.commit().await.expect("commit");
            })
        })
    });
    g.bench_function("tx_of_5_on_held_connection", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let mut c = f.conn.lock().await;
                let mut tx = c.begin().await.expect("begin");
                for _ in 0..STATEMENTS {
                    insert_one(&mut *tx, id()).await;
                }
                tx.commit().await.expect("commit");
            })
        })
    });
    let sql = batch_sql();
    g.bench_function("batch_of_5_on_held_connection", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let mut c = f.conn.lock().await;
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for _ in 0..STATEMENTS {
                    q = q.bind(id()).bind("x").bind(1_i64);
                }
                q.execute(&mut *c).await.expect("batch")
            })
        })
    });
    // The same statements through rusqlite on the calling thread (no worker hand-off).
    let native = rusqlite::Connection::open(f._dir.path().join("bench.db")).expect("open");
    native
        .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
        .expect("pragmas");
    g.bench_function("select_native_inline", |b| {
        b.iter(|| {
            let mut st = native
                .prepare_cached("SELECT count(*) FROM t WHERE id = ?1")
                .expect("prepare");
            st.query_row([1_i64], |r| r.get::<_, i64>(0))
                .expect("select")
        })
    });
    g.bench_function("insert_native_inline", |b| {
        b.iter(|| {
            let mut st = native
                .prepare_cached("INSERT INTO t (id, a, b) VALUES (?1, ?2, ?3)")
                .expect("prepare");
            st.execute(rusqlite::params![id(), "x", 1_i64])
                .expect("insert")
        })
    });
    g.bench_function("batch_of_5_native_inline", |b| {
        b.iter(|| {
            native.execute_batch("BEGIN IMMEDIATE").expect("begin");
            for _ in 0..STATEMENTS {
                let mut st = native
                    .prepare_cached("INSERT INTO t (id, a, b) VALUES (?1, ?2, ?3)")
                    .expect("prepare");
                st.execute(rusqlite::params![id(), "x", 1_i64])
                    .expect("insert");
            }
            native.execute_batch("COMMIT").expect("commit");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
