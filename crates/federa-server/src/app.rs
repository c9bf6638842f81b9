//! Wiring: connect and migrate the store, build the use-case context and the router, bootstrap
//! the default org on an empty database, listen, and shut down gracefully.

use crate::config::Config;
use anyhow::Context;
use base64::Engine as _;
use federa_core::Ctx;
use federa_core::password::PasswordHasher;
use federa_core::service::orgs::{self, CreatedOrg};
use federa_core::system::{SystemClock, SystemRng};
use federa_store::SqlStore;
use federa_types::Secret;
use federa_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Connects to the configured database and applies migrations.
pub async fn open_store(cfg: &Config) -> anyhow::Result<SqlStore> {
    let url = cfg.database_url()?;
    let store = SqlStore::connect(&url, cfg.database.max_connections).await?;
    store.migrate().await?;
    Ok(store)
}

/// The master key: configured (`master_key`, `master_key_file`, `FEDERA_MASTER_KEY`), or, on
/// SQLite only, `master.key` in the data directory (created with mode 0600 on first use). On
/// PostgreSQL every node must share the key, so it must be configured.
pub fn master_key(cfg: &Config) -> anyhow::Result<Secret<[u8; 32]>> {
    if let Some(k) = cfg.master_key()? {
        return Ok(k);
    }
    let url = cfg.database_url()?;
    if federa_store::Backend::of_url(&url)? == federa_store::Backend::Postgres {
        anyhow::bail!(
            "master_key is required with PostgreSQL (every node must use the same key): set FEDERA_MASTER_KEY or master_key_file"
        );
    }
    let path = cfg.data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return crate::config::decode_master_key(text.trim())
            .with_context(|| format!("{}", path.display()));
    }
    std::fs::create_dir_all(&cfg.data_dir)?;
    let mut key = [0u8; 32];
    federa_types::Rng::fill(&SystemRng::default(), &mut key);
    let text = base64::engine::general_purpose::STANDARD.encode(key);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes())?;
    tracing::warn!(path = %path.display(), "generated a master key for this data directory; back it up (secrets at rest cannot be read without it)");
    Ok(Secret::new(key))
}

/// The use-case context over `store`.
pub fn context(cfg: &Config, store: SqlStore) -> anyhow::Result<Ctx> {
    let secrets = federa_core::secretbox::SecretBox::new(&master_key(cfg)?)?;
    let store: Arc<dyn federa_core::ports::Store> = Arc::new(store);
    let clock: Arc<dyn federa_types::Clock> = Arc::new(SystemClock);
    let rng: Arc<dyn federa_types::Rng> = Arc::new(SystemRng::default());
    let notifier = federa_core::notify::OutboxNotifier::new(
        store.clone(),
        clock.clone(),
        rng.clone(),
        secrets.clone(),
        &cfg.notify(),
    )?;
    Ok(Ctx {
        secrets,
        store,
        clock,
        rng,
        hasher: PasswordHasher::new(cfg.hash_params()).map_err(|e| anyhow::anyhow!(e))?,
        notifier: Arc::new(notifier),
        caches: Default::default(),
        fetch: Arc::new(federa_core::fetch::HttpFetcher::new(cfg.fetch_policy())),
    })
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The default org, when this start created it (its token is shown once).
    pub bootstrap: Option<CreatedOrg>,
    /// The use-case context (tests use it to set up data).
    pub ctx: Ctx,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    housekeeping: JoinHandle<()>,
}

impl Running {
    /// Asks the server to stop and waits until in-flight requests are done.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let served = self.task.await;
        self.housekeeping.abort();
        served.context("server task")??;
        Ok(())
    }

    /// Waits until the server ends (after [`shutdown_signal`] fires).
    pub async fn wait(self) -> anyhow::Result<()> {
        let served = self.task.await;
        self.housekeeping.abort();
        served.context("server task")??;
        Ok(())
    }
}

/// Starts the server described by `cfg`. With `stop_on_signal` it also stops on SIGTERM or
/// Ctrl-C (the CLI); tests stop it with [`Running::stop`].
pub async fn start(cfg: &Config, stop_on_signal: bool) -> anyhow::Result<Running> {
    let store = open_store(cfg).await?;
    let ctx = context(cfg, store)?;
    let bootstrap = orgs::bootstrap_default(&ctx).await?;
    federa_core::service::defaults::backfill_all(&ctx).await?;
    let state = AppState::new(
        ctx.clone(),
        WebConfig {
            body_limit_bytes: cfg.http.body_limit_bytes,
        },
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let app = federa_web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let listener = TcpListener::bind(cfg.listen_addr()?)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                if stop_on_signal {
                    tokio::select! {
                        _ = rx => {}
                        _ = shutdown_signal() => {}
                    }
                } else {
                    let _ = rx.await;
                }
                tracing::info!("shutting down: finishing in-flight requests");
            })
            .await
    });
    tracing::info!(%addr, backend = ctx.store.backend(), "ready to accept requests");
    let housekeeping = tokio::spawn(housekeeping(ctx.clone()));
    Ok(Running {
        addr,
        bootstrap,
        ctx,
        shutdown: Some(tx),
        task,
        housekeeping,
    })
}

/// When the first housekeeping sweep runs after the start, and how often after it.
const HOUSEKEEPING_FIRST: Duration = Duration::from_secs(60);
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);

/// Removes expired sessions, codes, token records, replay-cache entries and pending sign-ins
/// now and then (`service::housekeeping`); a failed sweep is logged and tried at the next.
async fn housekeeping(ctx: Ctx) {
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + HOUSEKEEPING_FIRST,
        HOUSEKEEPING_EVERY,
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match federa_core::service::housekeeping::sweep(&ctx).await {
            Ok(swept) if swept.total() > 0 => {
                tracing::info!(removed = ?swept.removed, "housekeeping: expired records removed");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping sweep failed"),
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
