//! The store's own SQLite connections ("lane"), and the one-round-trip write batch.
//!
//! Every statement sqlx runs on SQLite is a message to the connection's worker thread and a
//! reply back. Through `AnyPool` each statement costs two such round trips, because the pool
//! pings a connection on every return (`PoolConnection`'s release runs `ping` in a spawned
//! task). On this project's two-core machines a round trip costs 50–150 µs of wake-ups, several
//! times the SQLite work of a small statement (`cargo bench -p federa-store --bench
//! roundtrip`). So on SQLite the store holds a fixed set of connections of its own and leases
//! them without the ping; PostgreSQL keeps sqlx's pool, whose release ping also notices a
//! dropped socket.
//!
//! [`Batch`] is a write transaction of several statements. On SQLite it is sent as one
//! multi-statement query (`BEGIN IMMEDIATE; …; COMMIT`), one round trip; on PostgreSQL it is an
//! ordinary transaction with one statement per round trip. Placeholders are written `$1…` per
//! statement and renumbered when the batch is joined (sqlx's SQLite driver binds `$N` against
//! the whole query's arguments).

use crate::error::map_err;
use federa_core::ports::{StoreError, StoreResult};
use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection, Either, Executor};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit};

/// How long a lane connection may go unused before its next lease checks it with a ping.
const CHECK_AFTER_MS: u64 = 30_000;

/// One held SQLite connection.
struct Slot {
    conn: Mutex<AnyConnection>,
    /// A batch on this connection was cancelled before its transaction ended: the next holder
    /// rolls it back before using the connection.
    dirty: AtomicBool,
    /// Milliseconds since the lane opened at which the connection was last known good.
    checked_ms: AtomicU64,
}

/// A fixed set of SQLite connections leased without sqlx's release ping.
pub(crate) struct Lane {
    url: String,
    slots: Vec<Slot>,
    permits: Semaphore,
    opened: Instant,
}

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane")
            .field("connections", &self.slots.len())
            .finish()
    }
}

/// The per-connection settings of every SQLite connection the store opens (the pool's and the
/// lane's): WAL-safe `synchronous = NORMAL`, and a 5 s wait for another writer's lock.
pub(crate) async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    Ok(())
}

/// Opens one SQLite connection with the store's pragmas.
async fn open_sqlite(url: &str) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = AnyConnection::connect(url).await?;
    sqlite_pragmas(&mut conn).await?;
    Ok(conn)
}

impl Lane {
    /// Opens `size` connections to `url` (at least one).
    pub(crate) async fn open(url: &str, size: usize) -> Result<Arc<Self>, sqlx::Error> {
        let size = size.max(1);
        let mut slots = Vec::with_capacity(size);
        for _ in 0..size {
            slots.push(Slot {
                conn: Mutex::new(open_sqlite(url).await?),
                dirty: AtomicBool::new(false),
                checked_ms: AtomicU64::new(0),
            });
        }
        Ok(Arc::new(Self {
            url: url.to_string(),
            slots,
            permits: Semaphore::new(size),
            opened: Instant::now(),
        }))
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Leases a free connection, waiting (first come, first served) while all are in use.
    pub(crate) async fn lease(self: &Arc<Self>) -> StoreResult<Lease<'_>> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Backend("the store is closed".into()))?;
        // Every holder of a connection holds a permit and gives the connection back first, so
        // with a permit in hand one slot is free; the low slots are preferred so that a quiet
        // server keeps using the same warm connection.
        let mut found = None;
        for (i, slot) in self.slots.iter().enumerate() {
            if let Ok(g) = slot.conn.try_lock() {
                found = Some((i, g));
                break;
            }
        }
        let (index, mut guard) = match found {
            Some(x) => x,
            None => (0, self.slots[0].conn.lock().await),
        };
        let slot = &self.slots[index];
        if slot.dirty.swap(false, Ordering::AcqRel) {
            // Left inside a transaction by a cancelled batch: end it ("no transaction is
            // active" when it had already ended is expected and ignored).
            let _ = guard.execute("ROLLBACK").await;
        }
        let now = self.now_ms();
        if now.saturating_sub(slot.checked_ms.load(Ordering::Relaxed)) > CHECK_AFTER_MS {
            if guard.ping().await.is_err() {
                tracing::warn!("a SQLite connection of the store failed its check; reopening it");
                *guard = open_sqlite(&self.url).await.map_err(map_err)?;
            }
            slot.checked_ms.store(now, Ordering::Relaxed);
        }
        Ok(Lease::Lane(LaneLease {
            guard,
            lane: self.clone(),
            index,
            in_batch: false,
            _permit: permit,
        }))
    }

    /// Refuses new leases (the connections close when the store is dropped).
    pub(crate) fn close(&self) {
        self.permits.close();
    }

    /// Spawns the rollback of a connection a cancelled batch left in a transaction, so that its
    /// write lock does not outlive the request; without a runtime the next lease does it.
    fn roll_back_later(self: &Arc<Self>, index: usize) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let lane = self.clone();
        rt.spawn(async move {
            let slot = &lane.slots[index];
            let mut guard = slot.conn.lock().await;
            if slot.dirty.swap(false, Ordering::AcqRel) {
                let _ = guard.execute("ROLLBACK").await;
            }
        });
    }
}

/// A lane connection in use.
pub(crate) struct LaneLease<'a> {
    // Field order matters: the connection goes back before the permit (see `Lane::lease`).
    guard: MutexGuard<'a, AnyConnection>,
    lane: Arc<Lane>,
    index: usize,
    in_batch: bool,
    _permit: SemaphorePermit<'a>,
}

impl Drop for LaneLease<'_> {
    fn drop(&mut self) {
        if self.in_batch {
            self.lane.slots[self.index]
                .dirty
                .store(true, Ordering::Release);
            self.lane.roll_back_later(self.index);
        }
    }
}

/// A connection leased for one store call: a lane connection on SQLite, a pooled one on
/// PostgreSQL.
pub(crate) enum Lease<'a> {
    Lane(LaneLease<'a>),
    Pool(PoolConnection<Any>),
}

impl Deref for Lease<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Lease::Lane(l) => &l.guard,
            Lease::Pool(p) => p,
        }
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Lease::Lane(l) => &mut l.guard,
            Lease::Pool(p) => &mut *p,
        }
    }
}

/// A value bound into a batch statement.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Text(s)
    }
}
impl From<&String> for Val {
    fn from(s: &String) -> Self {
        Val::Text(s.clone())
    }
}
impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Self {
        Val::OptText(s)
    }
}
impl From<i64> for Val {
    fn from(n: i64) -> Self {
        Val::Int(n)
    }
}
impl From<Option<i64>> for Val {
    fn from(n: Option<i64>) -> Self {
        Val::OptInt(n)
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

fn bind_val(q: AnyQuery<'_>, v: Val) -> AnyQuery<'_> {
    match v {
        Val::Text(s) => q.bind(s),
        Val::OptText(s) => q.bind(s),
        Val::Int(n) => q.bind(n),
        Val::OptInt(n) => q.bind(n),
    }
}

/// One statement with its values, run alone ([`Stmt::execute`]) or in a [`Batch`].
pub(crate) struct Stmt {
    sql: String,
    vals: Vec<Val>,
}

impl Stmt {
    pub(crate) fn new(sql: impl Into<String>, vals: Vec<Val>) -> Self {
        Self {
            sql: sql.into(),
            vals,
        }
    }

    /// Runs the statement on its own; the number of rows it changed.
    pub(crate) async fn execute<'e, E: Executor<'e, Database = Any>>(
        self,
        ex: E,
    ) -> Result<u64, sqlx::Error> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql));
        for v in self.vals {
            q = bind_val(q, v);
        }
        Ok(q.execute(ex).await?.rows_affected())
    }
}

/// Statements to run in one write transaction.
#[derive(Default)]
pub(crate) struct Batch {
    stmts: Vec<Stmt>,
}

/// A batch statement that failed: which one, and the error.
#[derive(Debug)]
pub(crate) struct BatchError {
    pub index: usize,
    pub error: sqlx::Error,
}

impl BatchError {
    /// The store error, for a failure that needs no statement-specific mapping.
    pub(crate) fn into_store(self) -> StoreError {
        map_err(self.error)
    }
}

/// What each statement of a batch did: rows changed, and rows returned (`RETURNING`).
#[derive(Default)]
pub(crate) struct BatchOutcome {
    pub affected: Vec<u64>,
    pub rows: Vec<Vec<AnyRow>>,
}

impl Batch {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a statement with `$1…$n` placeholders for `vals`; returns its index.
    pub(crate) fn push(&mut self, sql: impl Into<String>, vals: Vec<Val>) -> usize {
        self.add(Stmt::new(sql, vals))
    }

    /// Adds a prepared statement; returns its index.
    pub(crate) fn add(&mut self, stmt: Stmt) -> usize {
        self.stmts.push(stmt);
        self.stmts.len() - 1
    }

    /// The batch as one SQLite query: `BEGIN IMMEDIATE`, the statements with their placeholders
    /// renumbered across the whole query, `COMMIT`.
    fn joined(&self) -> (String, Vec<Val>) {
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut vals = Vec::new();
        for s in &self.stmts {
            sql.push_str(&renumber(&s.sql, vals.len()));
            sql.push_str(";\n");
            vals.extend(s.vals.iter().cloned());
        }
        sql.push_str("COMMIT");
        (sql, vals)
    }

    /// Runs the batch on `lease`: every statement or none.
    pub(crate) async fn run(self, lease: &mut Lease<'_>) -> Result<BatchOutcome, BatchError> {
        if self.stmts.is_empty() {
            return Ok(BatchOutcome::default());
        }
        match lease {
            Lease::Lane(l) => self.run_joined(l).await,
            Lease::Pool(p) => self.run_each(p).await,
        }
    }

    async fn run_joined(self, l: &mut LaneLease<'_>) -> Result<BatchOutcome, BatchError> {
        use futures_util::TryStreamExt;
        let n = self.stmts.len();
        let (sql, vals) = self.joined();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in vals {
            q = bind_val(q, v);
        }
        let mut out = BatchOutcome {
            affected: Vec::with_capacity(n),
            rows: vec![Vec::new(); n],
        };
        // Results arrive in statement order: one `Left` per statement (BEGIN first, COMMIT
        // last), preceded by that statement's rows.
        let mut done = 0usize;
        l.in_batch = true;
        let result: Result<(), sqlx::Error> = async {
            // sqlx 0.9 marks multi-statement `fetch_many` deprecated because only its SQLite
            // driver supports it; this path is SQLite-only, and the store's tests of batches
            // (tests/batch.rs) fail if a later sqlx drops it.
            #[allow(deprecated)]
            let mut stream = q.fetch_many(&mut *l.guard);
            while let Some(item) = stream.try_next().await? {
                match item {
                    Either::Left(r) => {
                        let r: AnyQueryResult = r;
                        if (1..=n).contains(&done) {
                            out.affected.push(r.rows_affected());
                        }
                        done += 1;
                    }
                    Either::Right(row) => {
                        if (1..=n).contains(&done) {
                            out.rows[done - 1].push(row);
                        }
                    }
                }
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) if done == n + 2 => {
                l.in_batch = false;
                Ok(out)
            }
            Ok(()) => {
                let _ = l.guard.execute("ROLLBACK").await;
                l.in_batch = false;
                Err(BatchError {
                    index: done.saturating_sub(1).min(n.saturating_sub(1)),
                    error: sqlx::Error::Protocol(format!(
                        "the batch ended after {done} of {} statements",
                        n + 2
                    )),
                })
            }
            Err(error) => {
                // The failed statement is the one after the last completed; BEGIN and COMMIT
                // failures are reported against the first and last statement.
                let _ = l.guard.execute("ROLLBACK").await;
                l.in_batch = false;
                Err(BatchError {
                    index: done.saturating_sub(1).min(n - 1),
                    error,
                })
            }
        }
    }

    async fn run_each(self, conn: &mut PoolConnection<Any>) -> Result<BatchOutcome, BatchError> {
        use futures_util::TryStreamExt;
        let n = self.stmts.len();
        let fail = |index: usize| move |error: sqlx::Error| BatchError { index, error };
        let mut tx = conn.begin().await.map_err(fail(0))?;
        let mut out = BatchOutcome {
            affected: Vec::with_capacity(n),
            rows: vec![Vec::new(); n],
        };
        for (i, s) in self.stmts.into_iter().enumerate() {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(s.sql));
            for v in s.vals {
                q = bind_val(q, v);
            }
            // One statement per query here (PostgreSQL): `fetch_many` for its rows and count.
            #[allow(deprecated)]
            let mut stream = q.fetch_many(&mut *tx);
            let mut affected = 0;
            while let Some(item) = stream.try_next().await.map_err(fail(i))? {
                match item {
                    Either::Left(r) => affected += r.rows_affected(),
                    Either::Right(row) => out.rows[i].push(row),
                }
            }
            drop(stream);
            out.affected.push(affected);
        }
        tx.commit().await.map_err(fail(n - 1))?;
        Ok(out)
    }
}

/// `sql` with each `$N` placeholder outside quotes raised by `offset`.
fn renumber(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                match digits.parse::<usize>() {
                    Ok(k) => {
                        out.push('$');
                        out.push_str(&(k + offset).to_string());
                    }
                    Err(_) => {
                        out.push('$');
                        out.push_str(&digits);
                    }
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn renumber_raises_placeholders_outside_quotes_only() {
        assert_eq!(
            renumber("UPDATE t SET a = $1, b = '$2' WHERE c = $10", 3),
            "UPDATE t SET a = $4, b = '$2' WHERE c = $13"
        );
        assert_eq!(renumber("SELECT $1", 0), "SELECT $1");
        assert_eq!(
            renumber("SELECT \"$1\", $ 2, $x", 5),
            "SELECT \"$1\", $ 2, $x"
        );
    }

    #[test]
    fn joined_batch_numbers_arguments_across_statements() {
        let mut b = Batch::new();
        b.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec!["x".into(), 1.into()],
        );
        b.push("DELETE FROM t WHERE a = $1", vec!["y".into()]);
        let (sql, vals) = b.joined();
        assert_eq!(
            sql,
            "BEGIN IMMEDIATE;\nINSERT INTO t (a, b) VALUES ($1, $2);\nDELETE FROM t WHERE a = $3;\nCOMMIT"
        );
        assert_eq!(vals.len(), 3);
    }

    async fn lane_with_table(dir: &tempfile::TempDir, size: usize) -> Arc<Lane> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}/lane.db?mode=rwc", dir.path().display());
        let lane = Lane::open(&url, size).await.unwrap();
        let mut c = lane.lease().await.unwrap();
        c.execute("PRAGMA journal_mode = WAL").await.unwrap();
        c.execute("CREATE TABLE t (a TEXT PRIMARY KEY, b INTEGER NOT NULL)")
            .await
            .unwrap();
        drop(c);
        lane
    }

    async fn count(lane: &Arc<Lane>) -> i64 {
        let mut c = lane.lease().await.unwrap();
        sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut *c)
            .await
            .unwrap()
    }

    fn insert(b: &mut Batch, a: &str) -> usize {
        b.push(
            "INSERT INTO t (a, b) VALUES ($1, $2)",
            vec![a.into(), 1.into()],
        )
    }

    #[tokio::test]
    async fn batch_reports_rows_per_statement_and_returning_rows() {
        let dir = tempfile::tempdir().unwrap();
        let lane = lane_with_table(&dir, 2).await;
        let mut b = Batch::new();
        insert(&mut b, "x");
        insert(&mut b, "y");
        b.push("UPDATE t SET b = 2 WHERE a = $1", vec!["nobody".into()]);
        let del = b.push("DELETE FROM t WHERE a = $1 RETURNING a", vec!["y".into()]);
        let mut l = lane.lease().await.unwrap();
        let out = b.run(&mut l).await.unwrap();
        drop(l);
        assert_eq!(out.affected, vec![1, 1, 0, 1]);
        assert_eq!(out.rows[del].len(), 1);
        assert_eq!(count(&lane).await, 1);
    }

    #[tokio::test]
    async fn a_failing_statement_undoes_the_whole_batch_and_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let lane = lane_with_table(&dir, 2).await;
        let mut b = Batch::new();
        insert(&mut b, "x");
        insert(&mut b, "y");
        let dup = insert(&mut b, "x");
        insert(&mut b, "z");
        let mut l = lane.lease().await.unwrap();
        let err = b.run(&mut l).await.err().unwrap();
        assert_eq!(err.index, dup);
        assert!(matches!(err.into_store(), StoreError::Conflict(_)));
        // The same connection is usable and outside any transaction.
        let mut b = Batch::new();
        insert(&mut b, "w");
        b.run(&mut l).await.unwrap();
        drop(l);
        assert_eq!(count(&lane).await, 1, "only the later batch's row");
    }

    #[tokio::test]
    async fn a_cancelled_batch_is_rolled_back_and_releases_the_write_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lane = lane_with_table(&dir, 2).await;
        {
            let mut l = lane.lease().await.unwrap();
            let mut b = Batch::new();
            for i in 0..50 {
                insert(&mut b, &format!("row{i}"));
            }
            // Polled once, so the batch is sent to the connection, then dropped mid-way.
            let fut = b.run(&mut l);
            assert!(fut.now_or_never().is_none(), "the batch needs the worker");
        }
        // Another connection can write (the spawned rollback ended the transaction and its
        // write lock), and nothing of the cancelled batch is visible.
        let mut other = Batch::new();
        insert(&mut other, "after");
        let mut l1 = lane.lease().await.unwrap();
        let mut l2 = lane.lease().await.unwrap();
        other.run(&mut l2).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut *l1)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let names: Vec<String> = sqlx::query_scalar("SELECT a FROM t")
            .fetch_all(&mut *l1)
            .await
            .unwrap();
        assert_eq!(names, vec!["after".to_string()]);
    }
}
