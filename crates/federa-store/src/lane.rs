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
//! Beside each sqlx connection the lane holds a native one (rusqlite, the same bundled SQLite
//! library) that runs statements on the calling thread, with no hand-off at all: a small
//! statement costs a few microseconds there. The store's hot paths use it: [`Batch`]es and the
//! reads of [`Lane::rows`]. The calling thread is a runtime thread, so a native connection never
//! waits for a lock: its busy handler gives up at once and the caller yields to the runtime and
//! tries again (another connection's transaction may need this very thread to finish), until
//! the same 5 s limit the sqlx connections have.
//!
//! [`Batch`] is a write transaction of several statements. On SQLite it runs on a native
//! connection (`BEGIN IMMEDIATE`, the statements, `COMMIT`, all before the call returns); on
//! PostgreSQL it is an ordinary transaction with one statement per round trip. Placeholders are
//! written `$1…` per statement; on SQLite each value is bound by its name (`$N`).

use crate::error::map_err;
use crate::row::{NativeRow, Row};
use federa_core::ports::{StoreError, StoreResult};
use rusqlite::ErrorCode;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection, Either, Executor};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit};

/// How long a native statement may keep finding the database locked (as `busy_timeout`).
const BUSY_LIMIT: Duration = Duration::from_secs(5);

/// How long a lane connection may go unused before its next lease checks it with a ping.
const CHECK_AFTER_MS: u64 = 30_000;

/// One held SQLite connection.
struct Slot {
    conn: Mutex<AnyConnection>,
    /// Milliseconds since the lane opened at which the connection was last known good.
    checked_ms: AtomicU64,
}

/// A fixed set of SQLite connections leased without sqlx's release ping.
pub(crate) struct Lane {
    url: String,
    slots: Vec<Slot>,
    permits: Semaphore,
    opened: Instant,
    /// Native connections, as many as `slots`; held only while a call runs on the calling
    /// thread, never across an `await`.
    natives: Vec<std::sync::Mutex<rusqlite::Connection>>,
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

/// The file a `sqlite://<path>?<options>` URL names (percent-decoded).
fn sqlite_file(url: &str) -> Result<std::path::PathBuf, sqlx::Error> {
    let bad = || sqlx::Error::Configuration(format!("not a SQLite file URL: {url}").into());
    let rest = url.strip_prefix("sqlite://").ok_or_else(bad)?;
    let path = rest.split('?').next().unwrap_or(rest);
    let file = url::Url::parse(&format!("file://{path}")).map_err(|_| bad())?;
    file.to_file_path().map_err(|_| bad())
}

/// Opens a native connection with the settings sqlx gives its own: foreign keys enforced,
/// `synchronous = NORMAL`; no busy wait (see the module notes).
fn open_native(url: &str) -> Result<rusqlite::Connection, sqlx::Error> {
    let file = sqlite_file(url)?;
    let native_err = |e: rusqlite::Error| sqlx::Error::Protocol(format!("SQLite: {e}"));
    let conn = rusqlite::Connection::open(file).map_err(native_err)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(native_err)?;
    conn.busy_timeout(Duration::ZERO).map_err(native_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl Lane {
    /// Opens `size` connections to `url` (at least one).
    pub(crate) async fn open(url: &str, size: usize) -> Result<Arc<Self>, sqlx::Error> {
        let size = size.max(1);
        let mut slots = Vec::with_capacity(size);
        let mut natives = Vec::with_capacity(size);
        for _ in 0..size {
            slots.push(Slot {
                conn: Mutex::new(open_sqlite(url).await?),
                checked_ms: AtomicU64::new(0),
            });
            natives.push(std::sync::Mutex::new(open_native(url)?));
        }
        Ok(Arc::new(Self {
            url: url.to_string(),
            slots,
            permits: Semaphore::new(size),
            opened: Instant::now(),
            natives,
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
            _permit: permit,
        }))
    }

    /// Refuses new leases (the connections close when the store is dropped).
    pub(crate) fn close(&self) {
        self.permits.close();
    }

    /// Runs `f` on a free native connection, on this thread. A connection a panic left
    /// poisoned is rolled back first (`f` may have stopped inside a transaction).
    fn on_native<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        use std::sync::TryLockError;
        let found = self.natives.iter().find_map(|m| match m.try_lock() {
            Ok(g) => Some(g),
            Err(TryLockError::Poisoned(p)) => Some(recovered(p.into_inner())),
            Err(TryLockError::WouldBlock) => None,
        });
        // Every connection in use by another runtime thread (each for microseconds): wait.
        let guard = found.unwrap_or_else(|| match self.natives[0].lock() {
            Ok(g) => g,
            Err(p) => recovered(p.into_inner()),
        });
        f(&guard)
    }

    /// Runs `f` natively until it does not find the database locked: between attempts the
    /// task yields to the runtime (the lock's holder may need this thread), then waits a
    /// millisecond at a time, up to [`BUSY_LIMIT`].
    async fn native<T>(
        &self,
        mut f: impl FnMut(&rusqlite::Connection) -> Result<T, NativeError>,
    ) -> Result<T, NativeError> {
        let started = Instant::now();
        let mut attempts = 0u32;
        loop {
            match self.on_native(&mut f) {
                Err(e) if e.is_busy() && started.elapsed() < BUSY_LIMIT => {
                    attempts += 1;
                    if attempts < 16 {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
                other => return other,
            }
        }
    }

    /// The rows of one read statement, run natively.
    pub(crate) async fn rows(&self, sql: &str, vals: &[Val]) -> StoreResult<Vec<Row>> {
        self.native(|c| query_native(c, sql, vals))
            .await
            .map(|rows| rows.into_iter().map(Row::Native).collect())
            .map_err(NativeError::into_store)
    }
}

/// A native connection whose last user panicked: rolled back if it stopped in a transaction.
fn recovered(
    g: std::sync::MutexGuard<'_, rusqlite::Connection>,
) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
    if !g.is_autocommit() {
        let _ = g.execute_batch("ROLLBACK");
    }
    g
}

/// A lane connection in use.
pub(crate) struct LaneLease<'a> {
    // Field order matters: the connection goes back before the permit (see `Lane::lease`).
    guard: MutexGuard<'a, AnyConnection>,
    lane: Arc<Lane>,
    _permit: SemaphorePermit<'a>,
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

pub(crate) fn bind_val(q: AnyQuery<'_>, v: Val) -> AnyQuery<'_> {
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
    /// Per statement: when set, the statement must change or return a row, or the whole
    /// batch is undone with [`StoreError::MissingReference`] naming this.
    required: Vec<Option<&'static str>>,
}

/// A batch statement that failed: which one, and the error.
#[derive(Debug)]
pub(crate) struct BatchError {
    pub index: usize,
    pub error: StoreError,
}

impl BatchError {
    /// The store error, for a failure that needs no statement-specific mapping.
    pub(crate) fn into_store(self) -> StoreError {
        self.error
    }

    /// The failing statement's index with the store error.
    pub(crate) fn into_store_at(self) -> (usize, StoreError) {
        (self.index, self.error)
    }
}

/// What each statement of a batch did: rows changed, and rows returned (`RETURNING`).
#[derive(Default)]
pub(crate) struct BatchOutcome {
    pub affected: Vec<u64>,
    pub rows: Vec<Vec<Row>>,
}

/// A native statement's failure.
#[derive(Debug)]
pub(crate) enum NativeError {
    /// The database was locked by another connection: try again later.
    Busy,
    /// Anything else, mapped as sqlx errors are (unique → conflict, foreign key → missing).
    Failed(StoreError),
}

impl NativeError {
    fn is_busy(&self) -> bool {
        matches!(self, NativeError::Busy)
    }

    pub(crate) fn into_store(self) -> StoreError {
        match self {
            NativeError::Busy => StoreError::Backend("database is locked".into()),
            NativeError::Failed(e) => e,
        }
    }
}

impl From<rusqlite::Error> for NativeError {
    fn from(e: rusqlite::Error) -> Self {
        // The extended result codes sqlx maps to unique and foreign-key violations.
        const UNIQUE: i32 = 2067;
        const PRIMARY_KEY: i32 = 1555;
        const FOREIGN_KEY: i32 = 787;
        if let rusqlite::Error::SqliteFailure(f, msg) = &e {
            match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return NativeError::Busy,
                ErrorCode::ConstraintViolation => match f.extended_code {
                    UNIQUE | PRIMARY_KEY => {
                        return NativeError::Failed(StoreError::Conflict(
                            msg.clone().unwrap_or_else(|| e.to_string()),
                        ));
                    }
                    FOREIGN_KEY => {
                        return NativeError::Failed(StoreError::MissingReference(
                            "a referenced resource".into(),
                        ));
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        NativeError::Failed(StoreError::Backend(e.to_string()))
    }
}

/// Prepares `sql` (cached) and binds `vals` by name: value `i` to `$i+1`; a placeholder the
/// statement does not use is skipped.
fn prepared<'c>(
    c: &'c rusqlite::Connection,
    sql: &str,
    vals: &[Val],
) -> Result<rusqlite::CachedStatement<'c>, NativeError> {
    let mut st = c.prepare_cached(sql)?;
    for (i, v) in vals.iter().enumerate() {
        let Some(at) = st.parameter_index(&format!("${}", i + 1))? else {
            continue;
        };
        match v {
            Val::Text(t) => st.raw_bind_parameter(at, t)?,
            Val::OptText(t) => st.raw_bind_parameter(at, t)?,
            Val::Int(n) => st.raw_bind_parameter(at, n)?,
            Val::OptInt(n) => st.raw_bind_parameter(at, n)?,
        }
    }
    Ok(st)
}

/// Runs one statement natively: its rows (none for most writes) and the rows it changed.
fn run_native(
    c: &rusqlite::Connection,
    sql: &str,
    vals: &[Val],
) -> Result<(Vec<NativeRow>, u64), NativeError> {
    let mut st = prepared(c, sql, vals)?;
    let names: Arc<[String]> = st
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into();
    let width = names.len();
    let mut out = Vec::new();
    {
        let mut rows = st.raw_query();
        while let Some(r) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(r.get::<_, rusqlite::types::Value>(i)?);
            }
            out.push(NativeRow::new(names.clone(), values));
        }
    }
    // Rows changed by this statement (0 for a read; `changes()` would still report the
    // previous write's count).
    let changed = if st.readonly() { 0 } else { c.changes() };
    Ok((out, changed))
}

/// The rows of a read statement.
fn query_native(
    c: &rusqlite::Connection,
    sql: &str,
    vals: &[Val],
) -> Result<Vec<NativeRow>, NativeError> {
    run_native(c, sql, vals).map(|(rows, _)| rows)
}

/// The error when a statement that must match (`required`) changed and returned nothing.
fn unmet(required: Option<&'static str>, affected: u64, returned: usize) -> Option<StoreError> {
    match required {
        Some(what) if affected == 0 && returned == 0 => {
            Some(StoreError::MissingReference(what.into()))
        }
        _ => None,
    }
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
        self.required.push(None);
        self.stmts.len() - 1
    }

    /// Adds a statement that must change or return at least one row: when it matches none
    /// (a precondition no longer holds, e.g. the row was changed meanwhile), the batch is
    /// undone and fails at this statement with [`StoreError::MissingReference`] naming
    /// `what`. Returns its index.
    pub(crate) fn add_required(&mut self, stmt: Stmt, what: &'static str) -> usize {
        let i = self.add(stmt);
        self.required[i] = Some(what);
        i
    }

    /// Runs the batch on `lease`: every statement or none.
    pub(crate) async fn run(self, lease: &mut Lease<'_>) -> Result<BatchOutcome, BatchError> {
        if self.stmts.is_empty() {
            return Ok(BatchOutcome::default());
        }
        match lease {
            Lease::Lane(l) => {
                let lane = l.lane.clone();
                match lane.native(|c| self.run_on(c)).await {
                    Ok(Ok(out)) => Ok(out),
                    Ok(Err((index, error))) => Err(BatchError { index, error }),
                    Err(busy) => Err(BatchError {
                        index: 0,
                        error: busy.into_store(),
                    }),
                }
            }
            Lease::Pool(p) => self.run_each(p).await,
        }
    }

    /// The batch on a native connection: `BEGIN IMMEDIATE`, the statements, `COMMIT`. On a
    /// failure the transaction is rolled back: a locked database is `Err` (the caller tries
    /// the whole batch again), anything else names the failing statement (a failed `COMMIT`
    /// is reported against the last one).
    #[allow(clippy::type_complexity)]
    fn run_on(
        &self,
        c: &rusqlite::Connection,
    ) -> Result<Result<BatchOutcome, (usize, StoreError)>, NativeError> {
        let last = self.stmts.len() - 1;
        match c
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(NativeError::from)
        {
            Ok(()) => {}
            Err(NativeError::Busy) => return Err(NativeError::Busy),
            Err(NativeError::Failed(e)) => return Ok(Err((0, e))),
        }
        let mut out = BatchOutcome {
            affected: Vec::with_capacity(self.stmts.len()),
            rows: Vec::with_capacity(self.stmts.len()),
        };
        let body = (|| {
            for (i, s) in self.stmts.iter().enumerate() {
                let (rows, changed) = run_native(c, &s.sql, &s.vals).map_err(|e| (i, e))?;
                if let Some(e) = unmet(self.required[i], changed, rows.len()) {
                    return Err((i, NativeError::Failed(e)));
                }
                out.affected.push(changed);
                out.rows.push(rows.into_iter().map(Row::Native).collect());
            }
            c.execute_batch("COMMIT")
                .map_err(|e| (last, NativeError::from(e)))
        })();
        match body {
            Ok(()) => Ok(Ok(out)),
            Err((i, e)) => {
                if !c.is_autocommit() {
                    let _ = c.execute_batch("ROLLBACK");
                }
                match e {
                    NativeError::Busy => Err(NativeError::Busy),
                    NativeError::Failed(e) => Ok(Err((i, e))),
                }
            }
        }
    }

    async fn run_each(self, conn: &mut PoolConnection<Any>) -> Result<BatchOutcome, BatchError> {
        use futures_util::TryStreamExt;
        let n = self.stmts.len();
        let fail = |index: usize| {
            move |error: sqlx::Error| BatchError {
                index,
                error: map_err(error),
            }
        };
        let mut tx = conn.begin().await.map_err(fail(0))?;
        let mut out = BatchOutcome {
            affected: Vec::with_capacity(n),
            rows: (0..n).map(|_| Vec::new()).collect(),
        };
        let required = self.required;
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
                    Either::Right(row) => out.rows[i].push(Row::Any(row)),
                }
            }
            drop(stream);
            if let Some(error) = unmet(required[i], affected, out.rows[i].len()) {
                // Dropping the transaction rolls it back.
                return Err(BatchError { index: i, error });
            }
            out.affected.push(affected);
        }
        tx.commit().await.map_err(fail(n - 1))?;
        Ok(out)
    }
}

#[cfg(test)]
#[path = "lane_tests.rs"]
mod tests;
