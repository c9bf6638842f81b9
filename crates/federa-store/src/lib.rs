//! `federa-store`: the sqlx implementation of `federa-core`'s ports, on SQLite (default, a file
//! under the data directory, WAL mode) or PostgreSQL (when the URL says `postgres://`). One code
//! path serves both through sqlx's `Any` driver with portable SQL; each backend has its own
//! migration directory. Every query on tenant data filters by org id.

mod apps;
mod broker;
mod engine;
mod error;
mod factors;
mod groups;
mod housekeeping;
mod idps;
mod lane;
mod logs;
mod orgs;
mod row;
mod sessions;
mod users;
mod webauthn;

use federa_core::ports::{Store, StoreError, StoreResult};
use federa_types::Timestamp;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use error::map_err;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend named by a database URL.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Backend(
                "database URL must start with sqlite:, postgres:// or postgresql://".into(),
            ))
        }
    }
}

/// The SQLite URL for the database file under `data_dir` (created if missing).
pub fn sqlite_url_for_dir(data_dir: &Path) -> Result<String, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::Backend(format!(
            "cannot create data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let abs = std::fs::canonicalize(data_dir).map_err(|e| {
        StoreError::Backend(format!(
            "cannot resolve data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let file = abs.join("federa.db");
    let path = file
        .to_str()
        .ok_or_else(|| StoreError::Backend("data directory path is not valid UTF-8".into()))?;
    let mut url =
        url::Url::parse("sqlite://localhost/").map_err(|e| StoreError::Backend(e.to_string()))?;
    url.set_path(path);
    // sqlx wants `sqlite://<path>`; build it from the percent-encoded path.
    Ok(format!("sqlite://{}?mode=rwc", url.path()))
}

/// The sqlx-backed store.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// On SQLite, the connections store calls run on (see [`lane`]); None on PostgreSQL.
    lane: Option<Arc<lane::Lane>>,
}

impl SqlStore {
    /// Connects to `url` with at most `max_connections` connections.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = Backend::of_url(url)?;
        let mut opts = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // A SQLite connection is a file handle: it cannot go stale while idle, so the ping
            // sqlx makes before handing out an idle connection is a wasted worker round trip
            // on every query (PostgreSQL keeps it: a server restart or dropped socket is
            // found there rather than by the caller's query).
            opts = opts.test_before_acquire(false);
            opts = opts.after_connect(|conn, _meta| {
                Box::pin(async move { lane::sqlite_pragmas(conn).await })
            });
        }
        let pool = opts
            .connect(url)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect: {e}")))?;
        let mut lane = None;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .map_err(map_err)?;
            // An in-memory database is private to its connection: it stays on the pool.
            if !(url.contains(":memory:") || url.contains("mode=memory")) {
                lane = Some(
                    lane::Lane::open(url, max_connections as usize)
                        .await
                        .map_err(|e| StoreError::Backend(format!("cannot connect: {e}")))?,
                );
            }
        }
        Ok(Self {
            pool,
            backend,
            lane,
        })
    }

    /// Applies pending migrations for this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    /// The SQLite journal mode (for tests of the WAL setting); None on PostgreSQL.
    pub async fn sqlite_journal_mode(&self) -> StoreResult<Option<String>> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(Some(mode))
    }

    /// Closes the pool.
    pub async fn close(&self) {
        if let Some(l) = &self.lane {
            l.close();
        }
        self.pool.close().await;
    }

    /// The rows of one read statement (`$1…` placeholders for `vals`): on a native SQLite
    /// connection on this thread when the store has a lane, else through sqlx.
    pub(crate) async fn rows(&self, sql: &str, vals: Vec<lane::Val>) -> StoreResult<Vec<row::Row>> {
        if let Some(l) = &self.lane {
            return l.rows(sql, &vals).await;
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for v in vals {
            q = lane::bind_val(q, v);
        }
        let mut conn = self.conn().await?;
        let rows = q.fetch_all(&mut *conn).await.map_err(map_err)?;
        Ok(rows.into_iter().map(row::Row::Any).collect())
    }

    /// One write statement in its own transaction: the rows it returns (`RETURNING`).
    pub(crate) async fn write_rows(
        &self,
        sql: &str,
        vals: Vec<lane::Val>,
    ) -> StoreResult<Vec<row::Row>> {
        let mut batch = lane::Batch::new();
        let i = batch.push(sql, vals);
        let mut lease = self.conn().await?;
        let mut done = batch
            .run(&mut lease)
            .await
            .map_err(lane::BatchError::into_store)?;
        Ok(std::mem::take(&mut done.rows[i]))
    }

    /// A connection for one store call: a lane connection on SQLite, a pooled one otherwise.
    pub(crate) async fn conn(&self) -> StoreResult<lane::Lease<'_>> {
        match &self.lane {
            Some(l) => l.lease().await,
            None => Ok(lane::Lease::Pool(
                self.pool.acquire().await.map_err(map_err)?,
            )),
        }
    }
}

#[async_trait::async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn sweep_expired(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<federa_core::ports::Swept> {
        self.sweep(before, limit).await
    }

    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A store whose SQLite database was migrated to `version`, given `rows`, then migrated
    /// to the newest version (the directory must outlive the store).
    async fn upgraded_from(
        dir: &tempfile::TempDir,
        version: i64,
        rows: &[&'static str],
    ) -> SqlStore {
        install_default_drivers();
        let url = format!("sqlite://{}/up.db?mode=rwc", dir.path().display());
        let store = SqlStore::connect(&url, 2).await.unwrap();
        SQLITE_MIGRATIONS
            .run_to(version, &store.pool)
            .await
            .unwrap();
        for sql in rows {
            sqlx::query(*sql).execute(&store.pool).await.unwrap();
        }
        store.migrate().await.unwrap();
        store
    }

    /// The one integer `sql` selects.
    async fn scalar(store: &SqlStore, sql: &'static str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    /// A database made before 0011 keeps its replay records, System Log events and their
    /// targets through the table rebuilds, with the same keys and cascades.
    #[tokio::test]
    async fn rebuilt_sqlite_tables_keep_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = upgraded_from(
            &dir,
            10,
            &[
            "INSERT INTO orgs (id, name, engine, created) VALUES ('o1', 'A', 'identity', 1)",
            "INSERT INTO replay_cache (org_id, namespace, item, expires_at) VALUES ('o1', 'n', 'i', 9)",
            "INSERT INTO log_events (uuid, org_id, published, event_type, severity, outcome_result, \
             actor_id, search_text, body) VALUES ('e1', 'o1', 5, 't', 'INFO', 'SUCCESS', 'a', 's', '{}'), \
             ('e2', 'o1', 6, 't', 'INFO', 'SUCCESS', 'a', 's', '{}')",
            "INSERT INTO log_event_targets (org_id, event_uuid, target_id) VALUES ('o1', 'e1', 'x'), \
             ('o1', 'e1', 'y'), ('o1', 'e2', 'x')",
            ],
        )
        .await;
        assert_eq!(
            scalar(
                &store,
                "SELECT count(*) FROM replay_cache WHERE item = 'i' AND expires_at = 9"
            )
            .await,
            1
        );
        assert_eq!(scalar(&store, "SELECT count(*) FROM log_events").await, 2);
        assert_eq!(
            scalar(&store, "SELECT seq FROM log_events WHERE uuid = 'e2'").await,
            2
        );
        assert_eq!(
            scalar(&store, "SELECT count(*) FROM log_event_targets").await,
            3
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT count(*) FROM sqlite_master WHERE name IN ('replay_cache', \
                 'log_event_targets') AND sql LIKE '%WITHOUT ROWID%'"
            )
            .await,
            2
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT count(*) FROM sqlite_sequence WHERE name = 'log_events'"
            )
            .await,
            0
        );
        // Keys and cascades as before: a duplicate replay record is refused, deleting an
        // event takes its targets, and a new event gets the next seq.
        assert!(
            sqlx::query("INSERT INTO replay_cache (org_id, namespace, item, expires_at) VALUES ('o1', 'n', 'i', 10)")
                .execute(&store.pool)
                .await
                .is_err()
        );
        sqlx::query("DELETE FROM log_events WHERE uuid = 'e1'")
            .execute(&store.pool)
            .await
            .unwrap();
        assert_eq!(
            scalar(&store, "SELECT count(*) FROM log_event_targets").await,
            1
        );
        sqlx::query(
            "INSERT INTO log_events (uuid, org_id, published, event_type, severity, outcome_result, \
             actor_id, search_text, body) VALUES ('e3', 'o1', 7, 't', 'INFO', 'SUCCESS', 'a', 's', '{}')",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        assert_eq!(
            scalar(&store, "SELECT seq FROM log_events WHERE uuid = 'e3'").await,
            3
        );
        assert!(
            sqlx::query("INSERT INTO log_event_targets (org_id, event_uuid, target_id) VALUES ('o1', 'nope', 'x')")
                .execute(&store.pool)
                .await
                .is_err(),
            "targets still reference their event"
        );
        store.close().await;
    }

    /// A database made before 0012 keeps its issued tokens through the rebuild of
    /// `oauth_tokens` as a WITHOUT ROWID table: same rows, same unique digest, the family index
    /// and the cascades from the user and the org.
    #[tokio::test]
    async fn rebuilt_token_table_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = upgraded_from(
            &dir,
            11,
            &[
            "INSERT INTO orgs (id, name, engine, created) VALUES ('o1', 'A', 'identity', 1)",
            "INSERT INTO users (id, org_id, status, login, login_lower, email_lower, first_name_lower, \
             last_name_lower, profile, created, last_updated) VALUES \
             ('u1', 'o1', 'ACTIVE', 'a', 'a', 'a', '', '', '{}', 1, 1), \
             ('u2', 'o1', 'ACTIVE', 'b', 'b', 'b', '', '', '{}', 1, 1)",
            "INSERT INTO apps (id, org_id, name, label, sign_on_mode, status, body, created, \
             last_updated) VALUES ('a1', 'o1', 'oidc_client', 'L', 'OPENID_CONNECT', 'ACTIVE', '{}', 1, 1)",
            "INSERT INTO oauth_tokens (token_hash, org_id, app_id, user_id, kind, family, data, \
             created, expires_at, used, revoked) VALUES \
             ('t1', 'o1', 'a1', 'u1', 'access', 'f1', 'null', 1, 9, 0, 0), \
             ('t2', 'o1', 'a1', 'u1', 'refresh', 'f1', '{\"scopes\":[]}', 1, 9, 1, 0), \
             ('t3', 'o1', 'a1', 'u2', 'access', 'f2', 'null', 2, 9, 0, 1)",
            ],
        )
        .await;
        let exec = |sql: &'static str| {
            let pool = store.pool.clone();
            async move { sqlx::query(sql).execute(&pool).await.map(|_| ()) }
        };
        assert_eq!(
            scalar(
                &store,
                "SELECT count(*) FROM oauth_tokens WHERE family = 'f1' AND expires_at = 9 \
                 AND ((token_hash = 't1' AND used = 0) OR (token_hash = 't2' AND used = 1))"
            )
            .await,
            2
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT revoked FROM oauth_tokens WHERE token_hash = 't3'"
            )
            .await,
            1
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT count(*) FROM sqlite_master WHERE name = 'oauth_tokens' \
                 AND sql LIKE '%WITHOUT ROWID%'"
            )
            .await,
            1
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' \
                 AND name = 'oauth_tokens_family'"
            )
            .await,
            1
        );
        assert!(
            exec(
                "INSERT INTO oauth_tokens (token_hash, org_id, app_id, user_id, kind, family, \
                 data, created, expires_at) VALUES ('t1', 'o1', 'a1', 'u1', 'access', 'f9', 'null', 1, 9)"
            )
            .await
            .is_err(),
            "the digest is still unique"
        );
        assert!(
            exec(
                "INSERT INTO oauth_tokens (token_hash, org_id, app_id, user_id, kind, family, \
                 data, created, expires_at) VALUES ('t9', 'o1', 'nope', 'u1', 'access', 'f9', 'null', 1, 9)"
            )
            .await
            .is_err(),
            "the app is still referenced"
        );
        exec("DELETE FROM users WHERE id = 'u1'").await.unwrap();
        assert_eq!(scalar(&store, "SELECT count(*) FROM oauth_tokens").await, 1);
        exec("DELETE FROM orgs WHERE id = 'o1'").await.unwrap();
        assert_eq!(scalar(&store, "SELECT count(*) FROM oauth_tokens").await, 0);
        store.close().await;
    }
}
