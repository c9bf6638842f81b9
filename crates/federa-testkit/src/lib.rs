//! Test harness shared by the integration suites: temporary databases on both backends.
//! SQLite always; PostgreSQL when `FEDERA_TEST_POSTGRES_URL` names a server, in which case each
//! test gets its own freshly created database that is dropped afterwards. Nothing is shared
//! between tests, so they run in parallel and in any order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::Ctx;
use federa_core::password::{HashParams, PasswordHasher};
use federa_core::system::{SystemClock, SystemRng};
use federa_store::SqlStore;
use federa_types::Rng;
use std::sync::Arc;

pub mod passkey;

/// Environment variable naming the PostgreSQL server used by the PostgreSQL variants.
pub const POSTGRES_ENV: &str = "FEDERA_TEST_POSTGRES_URL";

/// The backends a contract test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the server named by `FEDERA_TEST_POSTGRES_URL`.
    Postgres,
}

/// A temporary database; dropped (files deleted, PostgreSQL database dropped) at the end.
pub struct TestDb {
    /// Connection URL of the temporary database.
    pub url: String,
    /// Backend.
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("url", &self.url).finish()
    }
}

fn random_suffix() -> String {
    let mut b = [0u8; 8];
    SystemRng::default().fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl TestDb {
    /// A new empty database, or None when `db` is PostgreSQL and no server is configured
    /// (the caller prints that the PostgreSQL variant was skipped).
    pub async fn new(db: Db) -> Option<Self> {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = federa_store::sqlite_url_for_dir(dir.path()).expect("sqlite url");
                Some(Self {
                    url,
                    db,
                    _dir: Some(dir),
                    pg_admin: None,
                })
            }
            Db::Postgres => {
                let admin = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())?;
                let name = format!("federa_test_{}", random_suffix());
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(&admin)
                    .await
                    .expect("connect to FEDERA_TEST_POSTGRES_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                let mut url = url_with_db(&admin, &name);
                if url.is_empty() {
                    url = admin.clone();
                }
                Some(Self {
                    url,
                    db,
                    _dir: None,
                    pg_admin: Some((admin, name)),
                })
            }
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> SqlStore {
        let s = SqlStore::connect(&self.url, 5).await.expect("connect");
        s.migrate().await.expect("migrate");
        s
    }

    /// Drops the PostgreSQL database (SQLite files go with the temporary directory).
    pub async fn cleanup(self) {
        if let Some((admin, name)) = &self.pg_admin
            && let Ok(pool) = sqlx::AnyPool::connect(admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn url_with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let mut out = match path_start {
        Some(i) => format!("{}/{db}", &base[..i]),
        None => format!("{base}/{db}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A new user of `org` with this login (also the email), no password, activated.
///
/// # Panics
/// When the user cannot be created (a test setup failure).
pub async fn active_user(
    ctx: &Ctx,
    org: &federa_types::OrgId,
    login: &str,
) -> federa_core::model::User {
    let input = federa_core::service::users::NewUser {
        profile: federa_core::model::UserProfile {
            login: login.into(),
            email: login.into(),
            ..Default::default()
        },
        password: None,
        group_ids: vec![],
    };
    federa_core::service::users::create(ctx, org, input, true)
        .await
        .expect("test user")
}

/// A use-case context over `store`, with the real clock and randomness and OWASP hashing.
pub fn ctx(store: SqlStore) -> Ctx {
    ctx_with_clock(store, Arc::new(SystemClock))
}

/// A use-case context over `store` with the given clock (e.g. a [`federa_types::FixedClock`]
/// for expiry tests), OWASP hashing and an outbox-only notifier.
pub fn ctx_with_clock(store: SqlStore, clock: Arc<dyn federa_types::Clock>) -> Ctx {
    let store: Arc<dyn federa_core::ports::Store> = Arc::new(store);
    let rng: Arc<dyn Rng> = Arc::new(SystemRng::default());
    let secrets = {
        let mut k = [0u8; 32];
        SystemRng::default().fill(&mut k);
        federa_core::secretbox::SecretBox::new(&federa_types::Secret::new(k)).expect("secret box")
    };
    let notifier = federa_core::notify::OutboxNotifier::new(
        store.clone(),
        clock.clone(),
        rng.clone(),
        secrets.clone(),
        &federa_core::notify::NotifyConfig::default(),
    )
    .expect("notifier");
    Ctx {
        store,
        clock,
        rng,
        hasher: PasswordHasher::new(HashParams::default()).expect("hasher"),
        secrets,
        notifier: Arc::new(notifier),
        caches: Default::default(),
        fetch: Arc::new(federa_core::fetch::HttpFetcher::new(
            federa_core::fetch::FetchPolicy {
                allow_loopback: true,
                ..Default::default()
            },
        )),
    }
}

/// Declares a contract test that runs once on SQLite and once on PostgreSQL (the latter is
/// skipped, with a message, when `FEDERA_TEST_POSTGRES_URL` is unset). The body is an async
/// function taking a `&federa_testkit::TestDb`.
#[macro_export]
macro_rules! contract_test {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::new($crate::Db::Sqlite)
                    .await
                    .expect("sqlite");
                super::$body(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::TestDb::new($crate::Db::Postgres).await else {
                    eprintln!(
                        "skipped: set {} to run the PostgreSQL variant",
                        $crate::POSTGRES_ENV
                    );
                    return;
                };
                super::$body(&db).await;
                db.cleanup().await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::url_with_db;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            url_with_db("postgres://u@127.0.0.1:5432/test", "x"),
            "postgres://u@127.0.0.1:5432/x"
        );
        assert_eq!(
            url_with_db("postgres://127.0.0.1/test?sslmode=disable", "x"),
            "postgres://127.0.0.1/x?sslmode=disable"
        );
        assert_eq!(
            url_with_db("postgres://127.0.0.1", "x"),
            "postgres://127.0.0.1/x"
        );
    }
}
