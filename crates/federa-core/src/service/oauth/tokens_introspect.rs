//! What an issued token is good for after the token endpoint (CONTRACT §3; OIDC Core §5.3,
//! RFC 7009, RFC 7662): checking an access token of this org (signature, `typ`, issuer,
//! expiry, not revoked), userinfo, revocation (a refresh token's whole family) and
//! introspection of access and refresh tokens.

use super::token::{RefreshGrant, internal, profile_claims};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Org, User, UserStatus};
use crate::service::apps::App;
use crate::service::keys;
use crate::service::sessions::hash_token;

/// The claims of a valid access token and, for one issued to a user, that user.
pub type CheckedAccess = (serde_json::Map<String, serde_json::Value>, Option<User>);

/// A verified access token of this org: its claims (and its user), when it is valid,
/// unexpired and not revoked, and its user (if any) is ACTIVE and has not had their tokens
/// revoked since it was issued.
pub async fn check_access_token(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    token: &str,
) -> Result<Option<CheckedAccess>, CoreError> {
    let keys = keys::verifying_keys(ctx, &org.id).await?;
    let Ok(v) = federa_jose::jws::verify(token, &keys, &federa_jose::JwsAlg::ALL) else {
        return Ok(None);
    };
    if v.header().typ() != Some("at+jwt") {
        return Ok(None);
    }
    let Ok(claims) = v.claims() else {
        return Ok(None);
    };
    let now_s = ctx.clock.now().0 / 1000;
    let str_of = |k: &str| claims.get(k).and_then(|x| x.as_str()).map(str::to_string);
    if str_of("iss").as_deref() != Some(issuer)
        || claims
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .is_none_or(|e| e <= now_s)
    {
        return Ok(None);
    }
    let Some(jti) = str_of("jti") else {
        return Ok(None);
    };
    let record = match ctx
        .store
        .oauth_token_by_hash(&org.id, &hash_token(&jti))
        .await?
    {
        Some(t) if !t.revoked => t,
        _ => return Ok(None),
    };
    let Some(uid) = &record.user_id else {
        return Ok(Some((claims, None)));
    };
    match ctx.store.user_by_id(&org.id, uid).await? {
        Some(u) if current(&u, record.user_gen) => Ok(Some((claims, Some(u)))),
        _ => Ok(None),
    }
}

/// Whether a token issued at the user's token generation `issued_gen` still holds for
/// `user`: ACTIVE, and no revocation of their tokens since.
fn current(user: &User, issued_gen: i64) -> bool {
    user.status == UserStatus::Active && user.token_gen == issued_gen
}

/// `GET /oauth2/v1/userinfo`: the standard claims allowed by the token's scopes.
pub async fn userinfo(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    bearer: &str,
) -> Result<Option<serde_json::Value>, CoreError> {
    let Some((claims, Some(user))) = check_access_token(ctx, org, issuer, bearer).await? else {
        return Ok(None);
    };
    let scopes: Vec<String> = claims
        .get("scp")
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default();
    if !scopes.iter().any(|s| s == "openid") {
        return Ok(None);
    }
    let mut out = serde_json::Map::new();
    out.insert("sub".into(), user.id.to_string().into());
    out.extend(profile_claims(&user, &scopes));
    Ok(Some(serde_json::Value::Object(out)))
}

/// `POST /oauth2/v1/revoke` (RFC 7009): refresh tokens revoke their family (and its access
/// tokens); access tokens are revoked by `jti`. Unknown tokens are not an error.
pub async fn revoke(
    ctx: &Ctx,
    org: &Org,
    app: &App,
    issuer: &str,
    token: &str,
) -> Result<(), CoreError> {
    if let Some(t) = ctx
        .store
        .oauth_token_by_hash(&org.id, &hash_token(token))
        .await?
        && t.app_id == app.id
    {
        ctx.store.revoke_family(&org.id, &t.family).await?;
        return Ok(());
    }
    if let Some((claims, _)) = check_access_token(ctx, org, issuer, token).await?
        && claims.get("cid").and_then(|c| c.as_str()) == app.client_id.as_deref()
        && let Some(jti) = claims.get("jti").and_then(|j| j.as_str())
        && let Some(t) = ctx
            .store
            .oauth_token_by_hash(&org.id, &hash_token(jti))
            .await?
    {
        ctx.store.revoke_family(&org.id, &t.family).await?;
    }
    Ok(())
}

/// `POST /oauth2/v1/introspect` (RFC 7662).
pub async fn introspect(
    ctx: &Ctx,
    org: &Org,
    app: &App,
    issuer: &str,
    token: &str,
) -> Result<serde_json::Value, CoreError> {
    let now = ctx.clock.now();
    if let Some(t) = ctx
        .store
        .oauth_token_by_hash(&org.id, &hash_token(token))
        .await?
        && t.kind == "refresh"
        && t.app_id == app.id
    {
        let user = match &t.user_id {
            Some(u) => ctx.store.user_by_id(&org.id, u).await?,
            None => None,
        };
        if t.revoked
            || t.used
            || t.expires_at <= now
            || !user.is_some_and(|u| current(&u, t.user_gen))
        {
            return Ok(serde_json::json!({ "active": false }));
        }
        let g: RefreshGrant = serde_json::from_value(t.data).map_err(internal)?;
        return Ok(serde_json::json!({
            "active": true, "token_type": "refresh_token", "scope": g.scopes.join(" "),
            "client_id": app.client_id, "exp": t.expires_at.0 / 1000, "iat": t.created.0 / 1000,
            "sub": t.user_id.map(|u| u.to_string()), "iss": issuer,
        }));
    }
    match check_access_token(ctx, org, issuer, token).await? {
        Some((c, _)) if c.get("cid").and_then(|x| x.as_str()) == app.client_id.as_deref() => {
            let scope = c
                .get("scp")
                .and_then(|s| s.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            Ok(serde_json::json!({
                "active": true, "token_type": "Bearer", "scope": scope,
                "client_id": c.get("cid"), "username": c.get("sub"), "sub": c.get("sub"),
                "uid": c.get("uid"), "exp": c.get("exp"), "iat": c.get("iat"),
                "iss": c.get("iss"), "aud": c.get("aud"), "jti": c.get("jti"),
            }))
        }
        _ => Ok(serde_json::json!({ "active": false })),
    }
}
