//! Orgs: creation (with hosts and a first admin token), lookup by Host, and the first-run
//! bootstrap that makes a `localhost` org on an empty database.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::org::normalize_host;
use crate::model::{Engine, Org};
use crate::ports::StoreError;
use crate::service::tokens;
use federa_types::{OrgId, Secret};

/// What an org creation returns: the org and its first admin token (shown once).
#[derive(Debug)]
pub struct CreatedOrg {
    /// The org.
    pub org: Org,
    /// First admin API token.
    pub token: Secret<String>,
}

/// Creates an org serving `hosts`, with a first admin token named `token_name`.
pub async fn create(
    ctx: &Ctx,
    name: &str,
    hosts: &[String],
    engine: Engine,
    token_name: &str,
) -> Result<CreatedOrg, CoreError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(CoreError::invalid(
            "name",
            "org name must be 1 to 100 characters",
        ));
    }
    if hosts.is_empty() {
        return Err(CoreError::invalid(
            "host",
            "an org needs at least one host name",
        ));
    }
    let mut normalized = Vec::new();
    for h in hosts {
        let n = normalize_host(h)
            .ok_or_else(|| CoreError::invalid("host", format!("'{h}' is not a valid host name")))?;
        if !normalized.contains(&n) {
            normalized.push(n);
        }
    }
    let org = Org {
        id: OrgId::generate(ctx.rng.as_ref()),
        name: name.to_string(),
        hosts: normalized,
        engine,
        created: ctx.clock.now(),
    };
    let (token, value) = tokens::mint(ctx, &org.id, token_name)?;
    let defaults = crate::service::defaults::for_new_org(ctx, &org.id)?;
    ctx.store
        .create_org(&org, Some(&token), &defaults)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(what) => {
                CoreError::Conflict(format!("{what} is already served by another org"))
            }
            other => CoreError::Store(other),
        })?;
    Ok(CreatedOrg { org, token: value })
}

/// The org for a Host header value, or NotFound. Never falls back to another org.
pub async fn resolve(ctx: &Ctx, host_header: Option<&str>) -> Result<Org, CoreError> {
    let host = host_header
        .and_then(normalize_host)
        .ok_or_else(|| CoreError::NotFound("org for this host".into()))?;
    if let Some(org) = ctx.caches.orgs.get(&host) {
        return Ok(org);
    }
    let org = ctx
        .store
        .org_by_host(&host)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("no org is served at host '{host}'")))?;
    ctx.caches.orgs.put(host, org.clone());
    Ok(org)
}

/// On an empty database, creates the default org for `localhost` (and `127.0.0.1`) and returns
/// it with its admin token; otherwise returns None. Safe when several nodes start at once: the
/// loser of the race sees the host conflict and returns None.
pub async fn bootstrap_default(ctx: &Ctx) -> Result<Option<CreatedOrg>, CoreError> {
    if ctx.store.count_orgs().await? > 0 {
        return Ok(None);
    }
    let hosts = ["localhost".to_string(), "127.0.0.1".to_string()];
    match create(ctx, "Default", &hosts, Engine::Identity, "bootstrap").await {
        Ok(c) => Ok(Some(c)),
        Err(CoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
