//! Server-side sessions (CONTRACT §2 sessions; ARCHITECTURE "Sessions"): a random 256-bit id in
//! an HttpOnly cookie, only its SHA-256 stored; idle and absolute lifetimes from the global
//! session policy rule; the id rotates at every privilege change (creation, each added factor).

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::session::Session;
use crate::system::sha256_hex;
use base64::Engine as _;
use federa_claims::FactorVerification;
use federa_policy::sign_on::SessionSettings;
use federa_types::{IdpId, OrgId, Secret, Timestamp, UserId};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "federa_sid";

/// A fresh random token (256 bits, base64url).
pub fn random_token(ctx: &Ctx) -> String {
    let raw: [u8; 32] = ctx.random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// The stored form of a cookie value.
pub fn hash_token(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

fn lifetimes(settings: Option<&SessionSettings>, now: Timestamp) -> (i64, Timestamp) {
    let s = settings.cloned().unwrap_or_default();
    let idle = i64::from(s.max_session_idle_minutes.max(1)) * 60_000;
    let expires = if s.max_session_lifetime_minutes == 0 {
        Timestamp(i64::MAX)
    } else {
        now.plus_millis(i64::from(s.max_session_lifetime_minutes) * 60_000)
    };
    (idle, expires)
}

/// Creates a session; returns the cookie value (shown once) and the record.
pub async fn create(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    verifications: Vec<FactorVerification>,
    settings: Option<&SessionSettings>,
    idp: Option<IdpId>,
) -> Result<(Secret<String>, Session), CoreError> {
    let (token, s) = new_session(ctx, org, user, verifications, settings, idp);
    ctx.store.create_session(&s).await?;
    Ok((token, s))
}

/// A new session record and its cookie value, not yet stored (for a caller that stores it with
/// other writes in one transaction).
pub fn new_session(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    verifications: Vec<FactorVerification>,
    settings: Option<&SessionSettings>,
    idp: Option<IdpId>,
) -> (Secret<String>, Session) {
    let now = ctx.clock.now();
    let token = random_token(ctx);
    let (idle_ms, expires_at) = lifetimes(settings, now);
    let s = Session {
        id_hash: hash_token(&token),
        public_id: format!(
            "102{}",
            federa_types::id::random_base62(ctx.rng.as_ref(), 22)
        ),
        org_id: org.clone(),
        user_id: user.clone(),
        status: "ACTIVE".into(),
        csrf: random_token(ctx),
        created: now,
        last_active: now,
        idle_ms,
        expires_at,
        verifications,
        idp_id: idp,
    };
    (Secret::new(token), s)
}

/// The live session for a cookie value, its idle clock refreshed; None when absent, unknown
/// or expired (an expired one is deleted).
pub async fn current(
    ctx: &Ctx,
    org: &OrgId,
    cookie: Option<&str>,
) -> Result<Option<Session>, CoreError> {
    let Some(token) = cookie.filter(|t| !t.is_empty() && t.len() <= 128) else {
        return Ok(None);
    };
    let hash = hash_token(token);
    let Some(mut s) = ctx.store.session_by_hash(org, &hash).await? else {
        return Ok(None);
    };
    let now = ctx.clock.now();
    if !s.is_live(now) {
        ctx.store.delete_session(org, &hash).await?;
        return Ok(None);
    }
    // Refresh the idle clock at most once a minute to spare the database.
    if now.millis() - s.last_active.millis() > 60_000 {
        s.last_active = now;
        ctx.store.update_session(&hash, &s).await?;
    }
    Ok(Some(s))
}

/// Adds verifications to a session and rotates its id (a privilege change). Returns the new
/// cookie value.
pub async fn elevate(
    ctx: &Ctx,
    mut s: Session,
    added: Vec<FactorVerification>,
    settings: Option<&SessionSettings>,
) -> Result<(Secret<String>, Session), CoreError> {
    let old = s.id_hash.clone();
    let now = ctx.clock.now();
    let token = random_token(ctx);
    s.id_hash = hash_token(&token);
    s.csrf = random_token(ctx);
    s.last_active = now;
    if settings.is_some() {
        let (idle, _) = lifetimes(settings, now);
        s.idle_ms = idle;
    }
    s.verifications.extend(added);
    if !ctx.store.update_session(&old, &s).await? {
        return Err(CoreError::NotFound("session".into()));
    }
    Ok((Secret::new(token), s))
}

/// Ends the session of this cookie (no error when there is none).
pub async fn end(ctx: &Ctx, org: &OrgId, cookie: Option<&str>) -> Result<(), CoreError> {
    if let Some(token) = cookie.filter(|t| !t.is_empty() && t.len() <= 128) {
        ctx.store.delete_session(org, &hash_token(token)).await?;
    }
    Ok(())
}
