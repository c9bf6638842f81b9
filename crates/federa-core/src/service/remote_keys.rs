//! Key sets published by another party and fetched over HTTP: an upstream IdP's JWKS (ID-token
//! signatures), an SP org's JWKS (the `okta_auth` encryption key), a client's `jwks_uri`
//! (`private_key_jwt`). Parsed sets are cached (see [`crate::cache`]): fetched again after
//! [`crate::cache::REMOTE_TTL`], or early — at most every [`crate::cache::REFETCH_INTERVAL`] —
//! when a token names a `kid` the cached set does not have. A body that does not parse is never
//! cached.

use crate::cache::{RemoteKey, RemoteKeySets};
use crate::ctx::Ctx;
use crate::fetch::FetchError;
use federa_jose::{EncryptionKeySet, JoseError, VerifyingKeySet};
use federa_types::OrgId;
use std::sync::Arc;

/// Why no key set could be had.
#[derive(Debug, thiserror::Error)]
pub enum RemoteKeysError {
    /// The fetch failed.
    #[error("{0}")]
    Fetch(#[from] FetchError),
    /// The document is not a usable JWK Set.
    #[error("the key set is unusable: {0}")]
    Unusable(JoseError),
}

async fn cached<T>(
    ctx: &Ctx,
    cache: &RemoteKeySets<T>,
    key: RemoteKey,
    max_bytes: usize,
    wanted_kid: Option<&str>,
    has_kid: impl Fn(&T, &str) -> bool,
    parse: impl Fn(&str) -> Result<T, JoseError>,
) -> Result<Arc<T>, RemoteKeysError> {
    if let Some(set) = cache.get(&key) {
        match wanted_kid {
            Some(kid) if !has_kid(&set, kid) && cache.may_refetch(&key) => {}
            _ => return Ok(set),
        }
    }
    let body = ctx.fetch.get(&key.2, max_bytes).await?;
    let set = Arc::new(parse(&String::from_utf8_lossy(&body)).map_err(RemoteKeysError::Unusable)?);
    cache.put(key, set.clone());
    Ok(set)
}

/// The verifying keys at `url`, published by `owner` (an IdP or app id) for `org`; refetched
/// early (rate-limited) when `kid` is given and not among the cached keys.
pub async fn verifying_keys(
    ctx: &Ctx,
    org: &OrgId,
    owner: &str,
    url: &str,
    max_bytes: usize,
    kid: Option<&str>,
) -> Result<Arc<VerifyingKeySet>, RemoteKeysError> {
    cached(
        ctx,
        &ctx.caches.verifying_jwks,
        (org.clone(), owner.to_string(), url.to_string()),
        max_bytes,
        kid,
        |s, k| s.get(k).is_some(),
        VerifyingKeySet::from_jwks_json,
    )
    .await
}

/// The encryption keys at `url`, published by the party behind `owner` (an app id) for `org`.
pub async fn encryption_keys(
    ctx: &Ctx,
    org: &OrgId,
    owner: &str,
    url: &str,
    max_bytes: usize,
) -> Result<Arc<EncryptionKeySet>, RemoteKeysError> {
    cached(
        ctx,
        &ctx.caches.encryption_jwks,
        (org.clone(), owner.to_string(), url.to_string()),
        max_bytes,
        None,
        |s, k| s.get(k).is_some(),
        EncryptionKeySet::from_jwks_json,
    )
    .await
}

/// The `kid` in a compact JWS's protected header, without verifying anything (to decide
/// whether a cached key set is stale).
pub fn jws_kid(token: &str) -> Option<String> {
    federa_jose::CompactJws::parse(token)
        .ok()?
        .header()
        .kid()
        .map(|k| k.as_str().to_string())
}
