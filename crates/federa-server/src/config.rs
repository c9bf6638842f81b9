//! Configuration: typed sections layered from built-in defaults, `federa.toml` (or `--config`),
//! `FEDERA_*` environment variables (nested keys with a double underscore, e.g.
//! `FEDERA_LOG__FORMAT=json`), and command-line flags, in that order. Unknown keys are rejected
//! with a message naming them and where they came from. Secrets may come from `*_file` keys.
//! Environment variables starting with `FEDERA_TEST_` belong to the test harness and are ignored.

use anyhow::{Context, bail};
use base64::Engine as _;
use federa_core::password::HashParams;
use federa_types::Secret;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `federa_web=debug,info`.
    pub level: String,
}

/// `[http]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
}

/// `[password_hash]`: Argon2id costs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordHashConfig {
    /// Memory in KiB (OWASP minimum 19456).
    pub memory_kib: u32,
    /// Iterations (OWASP minimum 2 at 19 MiB).
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// `[database]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…` selects PostgreSQL; empty means SQLite under `data_dir`.
    pub url: Option<String>,
    /// Connection pool size.
    pub max_connections: u32,
}

/// `[notify]`: how one-time codes reach users. Every message is kept in the outbox
/// (`GET /api/v1/outbox`) whether or not a transport is set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// SMTP server for email codes, in lettre's URL form (`smtp://host:25`,
    /// `smtps://user:password@host`, `smtp://host:587?tls=required`). May carry a password.
    #[serde(default, skip_serializing)]
    pub smtp_url: Option<Secret<String>>,
    /// `From` of emails, e.g. `Federa <no-reply@example.com>` (required with `smtp_url`).
    #[serde(default)]
    pub smtp_from: Option<String>,
    /// URL that receives SMS and voice messages as a JSON POST `{id, to, channel, body}`.
    /// May carry a credential.
    #[serde(default, skip_serializing)]
    pub sms_webhook_url: Option<Secret<String>>,
    /// Timeout of one delivery attempt, in seconds.
    pub timeout_seconds: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_from: None,
            sms_webhook_url: None,
            timeout_seconds: 10,
        }
    }
}

/// `[outbound]`: which addresses Federa's own HTTP requests (SP metadata, JWKS) may reach.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    /// Allow loopback addresses (all orgs on one machine: the demo, tests).
    pub allow_loopback: bool,
    /// Allow private, link-local and unique-local ranges.
    pub allow_private: bool,
    /// Timeout of one request, in seconds.
    pub timeout_seconds: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            allow_private: false,
            timeout_seconds: 5,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Directory for the SQLite database and other local state.
    pub data_dir: PathBuf,
    /// Database settings.
    pub database: DatabaseConfig,
    /// Master key (base64 of 32 bytes) that encrypts private keys at rest.
    #[serde(default, skip_serializing)]
    pub master_key: Option<Secret<String>>,
    /// File holding the master key.
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
    /// Logging.
    pub log: LogConfig,
    /// HTTP.
    pub http: HttpConfig,
    /// Password hashing.
    pub password_hash: PasswordHashConfig,
    /// Delivery of one-time codes.
    #[serde(default)]
    pub notify: NotifyConfig,
    /// Outbound HTTP allow-list.
    #[serde(default)]
    pub outbound: OutboundConfig,
}

impl Default for Config {
    fn default() -> Self {
        let h = HashParams::default();
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./federa-data"),
            database: DatabaseConfig {
                url: None,
                max_connections: 10,
            },
            master_key: None,
            master_key_file: None,
            log: LogConfig {
                format: LogFormat::Pretty,
                level: "info".into(),
            },
            http: HttpConfig {
                body_limit_bytes: 1024 * 1024,
            },
            password_hash: PasswordHashConfig {
                memory_kib: h.memory_kib,
                iterations: h.iterations,
                parallelism: h.parallelism,
            },
            notify: NotifyConfig::default(),
            outbound: OutboundConfig::default(),
        }
    }
}

/// Values given on the command line (highest precedence).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
}

/// Name of the config file read from the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "federa.toml";

impl Config {
    /// Loads the layered configuration. `file` is `--config`; without it `federa.toml` is read
    /// when present. `env` is the process environment (passed in for tests).
    pub fn load(
        file: Option<&Path>,
        env: &[(String, String)],
        overrides: &Overrides,
    ) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => {
                if !f.exists() {
                    bail!("config file {} does not exist", f.display());
                }
                fig = fig.merge(Toml::file_exact(f));
            }
            None if Path::new(DEFAULT_FILE).exists() => {
                fig = fig.merge(Toml::file_exact(DEFAULT_FILE))
            }
            None => {}
        }
        let known = known_keys();
        for (k, v) in env {
            let Some(rest) = k.strip_prefix("FEDERA_") else {
                continue;
            };
            if rest.starts_with("TEST_") {
                continue;
            }
            let key = rest.to_ascii_lowercase().replace("__", ".");
            if !known.contains(&key) {
                bail!(
                    "unknown environment variable {k}: no config key '{key}' (known: {})",
                    known
                        .iter()
                        .map(|k| format!("FEDERA_{}", k.to_ascii_uppercase().replace('.', "__")))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let value: figment::value::Value = v
                .parse()
                .unwrap_or_else(|_| figment::value::Value::from(v.clone()));
            fig = fig.merge(Serialized::default(&key, value));
        }
        if let Some(l) = &overrides.listen {
            fig = fig.merge(Serialized::default("listen", l));
        }
        if let Some(d) = &overrides.data_dir {
            fig = fig.merge(Serialized::default("data_dir", d));
        }
        if let Some(u) = &overrides.database_url {
            fig = fig.merge(Serialized::default("database.url", u));
        }
        let cfg: Config = fig.extract().map_err(|e| anyhow::anyhow!(describe(e)))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        if self.http.body_limit_bytes < 1024 {
            bail!("http.body_limit_bytes must be at least 1024");
        }
        federa_core::password::PasswordHasher::new(self.hash_params())
            .map_err(|e| anyhow::anyhow!("password_hash: {e}"))?;
        if self.master_key.is_some() && self.master_key_file.is_some() {
            bail!("set master_key or master_key_file, not both");
        }
        if let Some(k) = &self.master_key {
            decode_master_key(k.expose()).context("master_key")?;
        }
        if !(1..=60).contains(&self.outbound.timeout_seconds) {
            bail!("outbound.timeout_seconds must be between 1 and 60");
        }
        if !(1..=120).contains(&self.notify.timeout_seconds) {
            bail!("notify.timeout_seconds must be between 1 and 120");
        }
        if let Some(url) = &self.database.url
            && !url.is_empty()
        {
            federa_store::Backend::of_url(url).map_err(|e| anyhow::anyhow!("database.url: {e}"))?;
        }
        Ok(())
    }

    /// The listen address.
    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen.parse().with_context(|| {
            format!(
                "listen: '{}' is not an address like 127.0.0.1:8080",
                self.listen
            )
        })
    }

    /// Argon2id parameters.
    pub fn hash_params(&self) -> HashParams {
        HashParams {
            memory_kib: self.password_hash.memory_kib,
            iterations: self.password_hash.iterations,
            parallelism: self.password_hash.parallelism,
        }
    }

    /// The database URL: the configured one, or SQLite under the data directory.
    pub fn database_url(&self) -> anyhow::Result<String> {
        match &self.database.url {
            Some(u) if !u.is_empty() => Ok(u.clone()),
            _ => Ok(federa_store::sqlite_url_for_dir(&self.data_dir)?),
        }
    }

    /// The outbound HTTP allow-list.
    pub fn fetch_policy(&self) -> federa_core::fetch::FetchPolicy {
        federa_core::fetch::FetchPolicy {
            allow_loopback: self.outbound.allow_loopback,
            allow_private: self.outbound.allow_private,
            timeout: std::time::Duration::from_secs(self.outbound.timeout_seconds),
        }
    }

    /// The notifier settings.
    pub fn notify(&self) -> federa_core::notify::NotifyConfig {
        federa_core::notify::NotifyConfig {
            smtp_url: self.notify.smtp_url.clone(),
            smtp_from: self.notify.smtp_from.clone(),
            sms_webhook_url: self.notify.sms_webhook_url.clone(),
            timeout: std::time::Duration::from_secs(self.notify.timeout_seconds),
        }
    }

    /// The master key bytes, from `master_key` or `master_key_file`, if configured.
    pub fn master_key(&self) -> anyhow::Result<Option<Secret<[u8; 32]>>> {
        if let Some(k) = &self.master_key {
            return decode_master_key(k.expose()).map(Some);
        }
        if let Some(f) = &self.master_key_file {
            let s = std::fs::read_to_string(f)
                .with_context(|| format!("master_key_file {}", f.display()))?;
            return decode_master_key(s.trim()).map(Some);
        }
        Ok(None)
    }
}

/// Decodes a base64 master key of 32 bytes.
pub fn decode_master_key(s: &str) -> anyhow::Result<Secret<[u8; 32]>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|_| anyhow::anyhow!("must be base64"))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("must be 32 bytes (base64 of 32 random bytes)"))?;
    Ok(Secret::new(arr))
}

/// Every config key as a dotted path (`log.format`), derived from the struct itself.
pub fn known_keys() -> Vec<String> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = vec![
        "master_key".to_string(),
        "notify.smtp_url".to_string(),
        "notify.sms_webhook_url".to_string(),
    ];
    if let Ok(v) = serde_json::to_value(Config::default()) {
        walk("", &v, &mut out);
    }
    out.sort();
    out
}

fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
