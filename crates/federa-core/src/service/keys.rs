//! The org's signing keys (ARCHITECTURE "Keys"): a JWS key for ID and access tokens (RS256 by
//! default, ES256 available) and a SAML signing identity (RSA key + self-signed certificate).
//! Private keys are sealed with the master key. Rotation adds a new key that signs from then
//! on; the previous public key stays published (JWKS) until it expires, so tokens it signed
//! still verify.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::ports::{KeyUse, StoredKey};
use federa_jose::{JwsAlg, Kid, SigningKey};
use federa_saml::SigningIdentity;
use federa_types::{OrgId, Timestamp};
use std::sync::Arc;

/// How long a retired JWS key stays published: longer than any token it signed lives.
pub const RETIRED_KEY_PUBLISHED_MS: i64 = 7 * 24 * 3_600_000;
const JWS_PURPOSE: &str = "jws-signing-key";
const SAML_PURPOSE: &str = "saml-signing-key";

fn usable(k: &StoredKey, now: Timestamp) -> bool {
    k.active_from <= now && k.retire_at.is_none_or(|r| r > now)
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(e.to_string())
}

async fn store_new_jws(ctx: &Ctx, org: &OrgId, alg: JwsAlg) -> Result<Arc<SigningKey>, CoreError> {
    let key = tokio::task::spawn_blocking(move || SigningKey::generate(alg))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    let der = key.to_pkcs8().map_err(internal)?;
    let sealed = ctx
        .secrets
        .seal(ctx.rng.as_ref(), JWS_PURPOSE, der.as_bytes())?;
    let jwk = serde_json::to_string(&key.public_jwk()).map_err(internal)?;
    let now = ctx.clock.now();
    ctx.store
        .add_key(&StoredKey {
            kid: key.kid().as_str().to_string(),
            org_id: org.clone(),
            key_use: KeyUse::Oidc,
            alg: alg.as_str().to_string(),
            sealed_private: sealed,
            public: jwk,
            created: now,
            active_from: now,
            retire_at: None,
            expires_at: None,
        })
        .await?;
    let key = Arc::new(key);
    ctx.caches.put_jws_key(org, key.kid().as_str(), key.clone());
    Ok(key)
}

fn open_jws(ctx: &Ctx, org: &OrgId, k: &StoredKey) -> Result<Arc<SigningKey>, CoreError> {
    if let Some(key) = ctx.caches.jws_key(org, &k.kid) {
        return Ok(key);
    }
    let alg = JwsAlg::from_name(&k.alg)
        .ok_or_else(|| internal(format!("stored key {} has unknown alg {}", k.kid, k.alg)))?;
    let der = ctx.secrets.open(JWS_PURPOSE, &k.sealed_private)?;
    let kid = Kid::new(k.kid.clone()).map_err(internal)?;
    let key = Arc::new(SigningKey::from_pkcs8(alg, Some(kid), der.expose()).map_err(internal)?);
    ctx.caches.put_jws_key(org, &k.kid, key.clone());
    Ok(key)
}

/// The key that signs the org's tokens now; made on first use.
pub async fn jws_signing_key(ctx: &Ctx, org: &OrgId) -> Result<Arc<SigningKey>, CoreError> {
    if let Some(kid) = ctx.caches.signing_kid.get(org)
        && let Some(key) = ctx.caches.jws_key(org, &kid)
    {
        return Ok(key);
    }
    let now = ctx.clock.now();
    let keys = ctx.store.list_keys(org, KeyUse::Oidc).await?;
    let key = match keys.iter().find(|k| usable(k, now)) {
        Some(k) => open_jws(ctx, org, k)?,
        None => store_new_jws(ctx, org, JwsAlg::Rs256).await?,
    };
    ctx.caches
        .signing_kid
        .put(org.clone(), key.kid().as_str().to_string());
    Ok(key)
}

/// Rotates the JWS key: a new key (of `alg`) signs from now on; the previous ones stop signing
/// and stay published for [`RETIRED_KEY_PUBLISHED_MS`].
pub async fn rotate_jws(ctx: &Ctx, org: &OrgId, alg: JwsAlg) -> Result<Arc<SigningKey>, CoreError> {
    let now = ctx.clock.now();
    let old = ctx.store.list_keys(org, KeyUse::Oidc).await?;
    let new = store_new_jws(ctx, org, alg).await?;
    ctx.caches.signing_kid.remove(org);
    for k in old.iter().filter(|k| k.retire_at.is_none_or(|r| r > now)) {
        ctx.store
            .retire_key(
                org,
                &k.kid,
                now,
                Timestamp(now.0 + RETIRED_KEY_PUBLISHED_MS),
            )
            .await?;
    }
    Ok(new)
}

/// The public keys to publish at `/oauth2/v1/keys`: every key not yet expired, as a JWK Set.
pub async fn published_jwks(ctx: &Ctx, org: &OrgId) -> Result<serde_json::Value, CoreError> {
    let now = ctx.clock.now();
    let mut keys = ctx.store.list_keys(org, KeyUse::Oidc).await?;
    if !keys.iter().any(|k| usable(k, now)) {
        jws_signing_key(ctx, org).await?;
        keys = ctx.store.list_keys(org, KeyUse::Oidc).await?;
    }
    let mut out = Vec::new();
    for k in keys.iter().filter(|k| k.expires_at.is_none_or(|e| e > now)) {
        let jwk: serde_json::Value = serde_json::from_str(&k.public)
            .map_err(|e| internal(format!("stored public key {}: {e}", k.kid)))?;
        out.push(jwk);
    }
    Ok(serde_json::json!({ "keys": out }))
}

/// The verifying keys of the org (current and retired, unexpired), for checking its own
/// tokens (userinfo, introspection, revocation).
pub async fn verifying_keys(
    ctx: &Ctx,
    org: &OrgId,
) -> Result<federa_jose::VerifyingKeySet, CoreError> {
    let jwks = published_jwks(ctx, org).await?;
    federa_jose::VerifyingKeySet::from_jwks_json(&jwks.to_string()).map_err(internal)
}

/// The org's SAML signing identity; made on first use.
pub async fn saml_identity(ctx: &Ctx, org: &OrgId) -> Result<Arc<SigningIdentity>, CoreError> {
    let now = ctx.clock.now();
    let keys = ctx.store.list_keys(org, KeyUse::Saml).await?;
    if let Some(k) = keys.iter().find(|k| usable(k, now)) {
        if let Some(id) = ctx.caches.saml_identity(org, &k.kid) {
            return Ok(id);
        }
        let der = ctx.secrets.open(SAML_PURPOSE, &k.sealed_private)?;
        use base64::Engine as _;
        let cert = base64::engine::general_purpose::STANDARD
            .decode(&k.public)
            .map_err(internal)?;
        let id = Arc::new(SigningIdentity::from_parts(der.expose(), &cert).map_err(internal)?);
        ctx.caches.put_saml_identity(org, &k.kid, id.clone());
        return Ok(id);
    }
    let org_row = ctx
        .store
        .org_by_id(org)
        .await?
        .ok_or_else(|| CoreError::NotFound("org".into()))?;
    let when = time::OffsetDateTime::from_unix_timestamp(now.0 / 1000).map_err(internal)?;
    let rng = ctx.rng.clone();
    let name = org_row.name.clone();
    let id =
        tokio::task::spawn_blocking(move || SigningIdentity::generate(&name, when, rng.as_ref()))
            .await
            .map_err(internal)?
            .map_err(internal)?;
    let sealed = ctx
        .secrets
        .seal(ctx.rng.as_ref(), SAML_PURPOSE, id.pkcs8_der().expose())?;
    let kid = crate::system::sha256_hex(id.cert_der());
    ctx.store
        .add_key(&StoredKey {
            kid: kid.clone(),
            org_id: org.clone(),
            key_use: KeyUse::Saml,
            alg: "RSA_SHA256".into(),
            sealed_private: sealed,
            public: id.cert_base64(),
            created: now,
            active_from: now,
            retire_at: None,
            expires_at: None,
        })
        .await?;
    let id = Arc::new(id);
    ctx.caches.put_saml_identity(org, &kid, id.clone());
    Ok(id)
}
