//! Passkeys (WebAuthn, CONTRACT §7) with webauthn-rs: registration, authentication for a known
//! user and discoverable (usernameless) authentication, listing and removal.
//!
//! The relying party is per org and per request origin ([`RelyingParty`]: `rp_id` is the host
//! name, the origin `http(s)://host[:port]`); the web layer supplies both. Each ceremony's
//! webauthn-rs state is stored under the SHA-256 of a random [`CeremonyId`] for
//! [`CEREMONY_TTL_MS`] (`ctx.clock`), bound to the org, the relying party and (except for
//! discoverable sign-in) the user, and is taken out of the store when finished, so it is single
//! use and any node can finish it. Registration asks for a resident (discoverable) key; user
//! verification is required, as webauthn-rs 0.6's `Passkey` ceremonies always require it (see
//! [`start_registration`]). An assertion is credited as `webauthn`/`webauthn` with the UV flag
//! it carries; the stored counter and backup flags are updated with a conditional write, and a
//! counter that does not move forward (a cloned authenticator) is refused.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{LifecycleStatus, User, UserStatus};
use crate::ports::{CeremonyKind, StoreError, WebauthnCeremony, WebauthnCredential, WebauthnUse};
use crate::system::sha256_hex;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use federa_claims::{AuthenticatorKey, FactorVerification, MethodFlags, MethodType};
use federa_types::{FactorId, OrgId, Timestamp, UserId};
use std::time::Duration;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// How long a started ceremony can be finished.
pub const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;
/// The authenticator key passkeys belong to (it must be ACTIVE in the org).
pub const AUTHENTICATOR_KEY: &str = "webauthn";

/// The relying party of one request: the org's host name and the origin the browser is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// RP id: the host name, e.g. `spoke.localhost`.
    pub id: String,
    /// Origin: `http(s)://host[:port]`.
    pub origin: String,
    /// Name shown by the authenticator (e.g. the org name).
    pub name: String,
}

impl RelyingParty {
    /// A relying party for `id` on `origin`, shown as `name`.
    pub fn new(id: impl Into<String>, origin: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            origin: origin.into(),
            name: name.into(),
        }
    }
}

/// The random id of a pending ceremony, handed to the browser and back. Only its SHA-256 is
/// stored.
#[derive(Clone, PartialEq, Eq)]
pub struct CeremonyId(String);

impl CeremonyId {
    /// Wraps a value received from the browser.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The value to hand to the browser.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

impl std::fmt::Debug for CeremonyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CeremonyId(..)")
    }
}

/// A registered passkey as the end-user page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    /// Id (`mfa...`), for deletion.
    pub id: FactorId,
    /// The WebAuthn credential id (base64url).
    pub credential_id: String,
    /// The authenticator verified the user at registration.
    pub user_verified: bool,
    /// The passkey may be synced between devices.
    pub backup_eligible: bool,
    /// The passkey is currently backed up.
    pub backup_state: bool,
    /// Registered.
    pub created: Timestamp,
    /// Last used to sign in.
    pub last_used: Option<Timestamp>,
}

impl From<&WebauthnCredential> for PasskeyInfo {
    fn from(c: &WebauthnCredential) -> Self {
        Self {
            id: c.id.clone(),
            credential_id: c.credential_id.clone(),
            user_verified: c.user_verified,
            backup_eligible: c.backup_eligible,
            backup_state: c.backup_state,
            created: c.created,
            last_used: c.last_used,
        }
    }
}

fn webauthn(rp: &RelyingParty) -> Result<Webauthn, CoreError> {
    let origin = Url::parse(&rp.origin)
        .map_err(|_| CoreError::invalid("origin", "not an absolute http(s) origin"))?;
    let ttl = Duration::from_millis(CEREMONY_TTL_MS.unsigned_abs());
    WebauthnBuilder::new(&rp.id, &origin)
        .map_err(|e| CoreError::invalid("rpId", format!("not usable with this origin: {e}")))?
        .rp_name(&rp.name)
        .timeout(ttl)
        .build()
        .map_err(|e| CoreError::invalid("rpId", format!("relying party refused: {e}")))
}

/// The WebAuthn user handle of a user: a UUID derived from the org and user ids (stable, so an
/// authenticator keeps one discoverable credential per account, and free of personal data).
fn user_handle(org: &OrgId, user: &UserId) -> Uuid {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("federa-webauthn-user\0{org}\0{user}").as_bytes(),
    );
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest.as_ref()[..16]);
    // RFC 9562 version 8 (custom), variant 10.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    Uuid::from_bytes(b)
}

fn parse_json<T: serde::de::DeserializeOwned>(
    field: &str,
    v: &serde_json::Value,
) -> Result<T, CoreError> {
    serde_json::from_value(v.clone()).map_err(|e| {
        let mut msg = e.to_string();
        msg.truncate(200);
        CoreError::invalid(field, format!("not a valid WebAuthn response: {msg}"))
    })
}

fn state_json<T: serde::Serialize>(state: &T) -> Result<String, CoreError> {
    serde_json::to_string(state)
        .map_err(|e| CoreError::Internal(format!("cannot encode WebAuthn state: {e}")))
}

fn load_passkey(c: &WebauthnCredential) -> Result<Passkey, CoreError> {
    serde_json::from_str(&c.passkey)
        .map_err(|e| CoreError::Internal(format!("stored passkey {} is unreadable: {e}", c.id)))
}

fn to_json<T: serde::Serialize>(v: &T, what: &str) -> Result<serde_json::Value, CoreError> {
    serde_json::to_value(v).map_err(|e| CoreError::Internal(format!("cannot encode {what}: {e}")))
}

async fn require_active_authenticator(ctx: &Ctx, org: &OrgId) -> Result<(), CoreError> {
    let active = ctx
        .store
        .list_authenticators(org)
        .await?
        .iter()
        .any(|a| a.key == AUTHENTICATOR_KEY && a.status == LifecycleStatus::Active);
    if active {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "authenticator",
            "passkeys cannot be used: the webauthn authenticator is not active in this org",
        ))
    }
}

async fn user_of(ctx: &Ctx, org: &OrgId, user: &UserId) -> Result<User, CoreError> {
    ctx.store
        .user_by_id(org, user)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("user '{user}'")))
}

async fn store_ceremony(
    ctx: &Ctx,
    org: &OrgId,
    kind: CeremonyKind,
    user: Option<&UserId>,
    rp: &RelyingParty,
    state: String,
) -> Result<CeremonyId, CoreError> {
    let now = ctx.clock.now();
    let id = CeremonyId(URL_SAFE_NO_PAD.encode(ctx.random::<32>()));
    let ceremony = WebauthnCeremony {
        id_hash: id.hash(),
        org_id: org.clone(),
        kind,
        user_id: user.cloned(),
        rp_id: rp.id.clone(),
        origin: rp.origin.clone(),
        state,
        created: now,
        expires_at: Timestamp(now.0 + CEREMONY_TTL_MS),
    };
    ctx.store.put_webauthn_ceremony(&ceremony, now).await?;
    Ok(id)
}

/// Takes a ceremony out of the store; None when it is unknown, already finished, expired, of
/// another kind, or was started for another relying party.
async fn take_ceremony(
    ctx: &Ctx,
    org: &OrgId,
    rp: &RelyingParty,
    id: &CeremonyId,
    kinds: &[CeremonyKind],
) -> Result<Option<WebauthnCeremony>, CoreError> {
    let Some(c) = ctx.store.take_webauthn_ceremony(org, &id.hash()).await? else {
        return Ok(None);
    };
    let usable = kinds.contains(&c.kind)
        && ctx.clock.now() < c.expires_at
        && c.rp_id == rp.id
        && c.origin == rp.origin;
    Ok(usable.then_some(c))
}

/// Starts registering a passkey for `user`: returns the ceremony id and the
/// `CreationChallengeResponse` JSON for `navigator.credentials.create`. The user's existing
/// passkeys are excluded. A resident (discoverable) key is required so the passkey also works
/// for usernameless sign-in. User verification is required rather than preferred: webauthn-rs
/// 0.6 fixes it for `Passkey` ceremonies (a preferred policy needs its lower-level core API).
///
/// # Errors
/// Validation when the org's webauthn authenticator is not active or the relying party does
/// not fit the origin; NotFound for an unknown user.
pub async fn start_registration(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    rp: &RelyingParty,
) -> Result<(CeremonyId, serde_json::Value), CoreError> {
    require_active_authenticator(ctx, org).await?;
    let wa = webauthn(rp)?;
    let u = user_of(ctx, org, user).await?;
    let exclude = ctx
        .store
        .list_webauthn_credentials(org, user)
        .await?
        .iter()
        .map(|c| load_passkey(c).map(|p| p.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let display = match (&u.profile.first_name, &u.profile.last_name) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(n), None) | (None, Some(n)) => n.clone(),
        (None, None) => u.profile.login.clone(),
    };
    let (ccr, state) = wa
        .start_passkey_registration(
            user_handle(org, user),
            &u.profile.login,
            &display,
            Some(exclude),
        )
        .map_err(|e| CoreError::Internal(format!("WebAuthn registration start: {e}")))?;
    let mut options = to_json(&ccr, "creation options")?;
    if let Some(sel) = options
        .get_mut("publicKey")
        .and_then(|p| p.get_mut("authenticatorSelection"))
        .and_then(|s| s.as_object_mut())
    {
        sel.insert("residentKey".into(), "required".into());
        sel.insert("requireResidentKey".into(), true.into());
    }
    let id = store_ceremony(
        ctx,
        org,
        CeremonyKind::Registration,
        Some(user),
        rp,
        state_json(&state)?,
    )
    .await?;
    Ok((id, options))
}

/// Finishes a registration with the browser's `PublicKeyCredential` JSON.
///
/// # Errors
/// Validation naming `credential` for malformed JSON or a credential that does not verify,
/// `ceremony` for an unknown, used, expired or foreign ceremony; Conflict when the credential
/// id is already registered in the org.
pub async fn finish_registration(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    rp: &RelyingParty,
    ceremony: &CeremonyId,
    credential_json: &serde_json::Value,
) -> Result<PasskeyInfo, CoreError> {
    let reg: RegisterPublicKeyCredential = parse_json("credential", credential_json)?;
    let wa = webauthn(rp)?;
    let bad_ceremony = || CoreError::invalid("ceremony", "unknown, used or expired ceremony");
    let c = take_ceremony(ctx, org, rp, ceremony, &[CeremonyKind::Registration])
        .await?
        .ok_or_else(bad_ceremony)?;
    if c.user_id.as_ref() != Some(user) {
        return Err(bad_ceremony());
    }
    let state: PasskeyRegistration = serde_json::from_str(&c.state)
        .map_err(|e| CoreError::Internal(format!("stored registration state: {e}")))?;
    let passkey = wa.finish_passkey_registration(&reg, &state).map_err(|e| {
        CoreError::invalid(
            "credential",
            format!("the passkey could not be verified: {e}"),
        )
    })?;
    let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id());
    if ctx
        .store
        .webauthn_credential_by_credential_id(org, &credential_id)
        .await?
        .is_some()
    {
        return Err(CoreError::Conflict(
            "this passkey is already registered".into(),
        ));
    }
    // The counter and flags live inside the credential; read them from its serialised form
    // (webauthn-rs keeps them private).
    let json = to_json(&passkey, "passkey")?;
    let inner = json.get("cred");
    let field_bool = |k: &str| {
        inner
            .and_then(|c| c.get(k))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    let now = ctx.clock.now();
    let record = WebauthnCredential {
        id: FactorId::generate(ctx.rng.as_ref()),
        org_id: org.clone(),
        user_id: user.clone(),
        credential_id,
        user_handle: user_handle(org, user).to_string(),
        passkey: json.to_string(),
        sign_count: inner
            .and_then(|c| c.get("counter"))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0),
        backup_eligible: field_bool("backup_eligible"),
        backup_state: field_bool("backup_state"),
        user_verified: field_bool("user_verified"),
        created: now,
        last_used: None,
    };
    ctx.store
        .create_webauthn_credential(&record)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                CoreError::Conflict("this passkey is already registered".into())
            }
            StoreError::MissingReference(what) => CoreError::NotFound(what),
            other => CoreError::Store(other),
        })?;
    Ok(PasskeyInfo::from(&record))
}

/// Starts an authentication: for `Some(user)` with their passkeys as the allow list, for
/// `None` a discoverable (usernameless) one where the authenticator names the user. Returns
/// the ceremony id and the `RequestChallengeResponse` JSON for `navigator.credentials.get`
/// (webauthn-rs marks the discoverable one `mediation: conditional`, for autofill UI).
///
/// # Errors
/// Validation when the org's webauthn authenticator is not active, the relying party does not
/// fit the origin, or the user has no passkey.
pub async fn start_authentication(
    ctx: &Ctx,
    org: &OrgId,
    user: Option<&UserId>,
    rp: &RelyingParty,
) -> Result<(CeremonyId, serde_json::Value), CoreError> {
    require_active_authenticator(ctx, org).await?;
    let wa = webauthn(rp)?;
    let (kind, options, state) = match user {
        Some(u) => {
            let passkeys = ctx
                .store
                .list_webauthn_credentials(org, u)
                .await?
                .iter()
                .map(load_passkey)
                .collect::<Result<Vec<_>, _>>()?;
            if passkeys.is_empty() {
                return Err(CoreError::invalid("user", "no passkey is registered"));
            }
            let (rcr, state): (_, PasskeyAuthentication) = wa
                .start_passkey_authentication(&passkeys)
                .map_err(|e| CoreError::Internal(format!("WebAuthn authentication start: {e}")))?;
            (
                CeremonyKind::Authentication,
                to_json(&rcr, "request options")?,
                state_json(&state)?,
            )
        }
        None => {
            let (rcr, state): (_, DiscoverableAuthentication) = wa
                .start_discoverable_authentication()
                .map_err(|e| CoreError::Internal(format!("WebAuthn authentication start: {e}")))?;
            (
                CeremonyKind::Discoverable,
                to_json(&rcr, "request options")?,
                state_json(&state)?,
            )
        }
    };
    let id = store_ceremony(ctx, org, kind, user, rp, state).await?;
    Ok((id, options))
}

/// Finishes an authentication with the browser's assertion (`PublicKeyCredential` JSON).
/// Returns the user and the verification to credit, or None for an assertion that does not
/// verify, a replay, an unknown credential, a credential of another user or org, a counter that
/// did not move forward, an unknown / used / expired ceremony, or a user who is not ACTIVE (the
/// caller shows one generic message for all).
///
/// # Errors
/// Validation naming `assertion` for malformed JSON; Store and Internal failures.
pub async fn finish_authentication(
    ctx: &Ctx,
    org: &OrgId,
    rp: &RelyingParty,
    ceremony: &CeremonyId,
    assertion_json: &serde_json::Value,
) -> Result<Option<(UserId, FactorVerification)>, CoreError> {
    let pkc: PublicKeyCredential = parse_json("assertion", assertion_json)?;
    let wa = webauthn(rp)?;
    let kinds = [CeremonyKind::Authentication, CeremonyKind::Discoverable];
    let Some(c) = take_ceremony(ctx, org, rp, ceremony, &kinds).await? else {
        return Ok(None);
    };
    let credential_id = URL_SAFE_NO_PAD.encode(pkc.get_credential_id());
    let Some(cred) = ctx
        .store
        .webauthn_credential_by_credential_id(org, &credential_id)
        .await?
    else {
        return Ok(None);
    };
    let mut passkey = load_passkey(&cred)?;
    let result = match c.kind {
        CeremonyKind::Authentication => {
            if c.user_id.as_ref() != Some(&cred.user_id) {
                return Ok(None);
            }
            let Ok(state) = serde_json::from_str::<PasskeyAuthentication>(&c.state) else {
                return Err(CoreError::Internal("stored authentication state".into()));
            };
            wa.finish_passkey_authentication(&pkc, &state)
        }
        CeremonyKind::Discoverable => {
            let Ok(state) = serde_json::from_str::<DiscoverableAuthentication>(&c.state) else {
                return Err(CoreError::Internal("stored authentication state".into()));
            };
            // The authenticator names the account by its user handle: it must be the one the
            // credential was registered with.
            match wa.identify_discoverable_authentication(&pkc) {
                Ok((handle, _)) if handle.to_string() == cred.user_handle => {
                    wa.finish_discoverable_authentication_v2(&pkc, state, &passkey)
                }
                _ => return Ok(None),
            }
        }
        CeremonyKind::Registration => return Ok(None),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "passkey assertion refused");
            return Ok(None);
        }
    };
    let counter = i64::from(result.counter());
    // A counter that does not move forward means a cloned authenticator (W3C WebAuthn §7.2
    // step 21); authenticators without a counter always send 0.
    if (counter > 0 || cred.sign_count > 0) && counter <= cred.sign_count {
        return Ok(None);
    }
    match ctx.store.user_by_id(org, &cred.user_id).await? {
        Some(u) if u.status == UserStatus::Active => {}
        _ => return Ok(None),
    }
    passkey.update_credential(&result);
    let usage = WebauthnUse {
        expected_sign_count: cred.sign_count,
        sign_count: counter,
        passkey: to_json(&passkey, "passkey")?.to_string(),
        backup_eligible: result.backup_eligible(),
        backup_state: result.backup_state(),
        at: ctx.clock.now(),
    };
    if !ctx.store.record_webauthn_use(org, &cred.id, &usage).await? {
        return Ok(None);
    }
    // CONTRACT §7: hardware protected for a platform or roaming key. A credential that is not
    // backup eligible (BE flag clear) never leaves the authenticator that made it — a platform
    // authenticator's secure element or a security key; synced passkeys (BE set) are software
    // keys and get no such credit.
    let flags = MethodFlags {
        user_verified: result.user_verified(),
        hardware_protected: !result.backup_eligible(),
    };
    let v = federa_claims::local_verification(
        &AuthenticatorKey::Webauthn,
        &MethodType::Webauthn,
        flags,
        ctx.clock.now(),
    )
    .map_err(|e| CoreError::Internal(format!("local verification: {e}")))?;
    Ok(Some((cred.user_id, v)))
}

/// The user's passkeys, oldest first.
///
/// # Errors
/// Store failures.
pub async fn list(ctx: &Ctx, org: &OrgId, user: &UserId) -> Result<Vec<PasskeyInfo>, CoreError> {
    Ok(ctx
        .store
        .list_webauthn_credentials(org, user)
        .await?
        .iter()
        .map(PasskeyInfo::from)
        .collect())
}

/// Removes one of the user's passkeys.
///
/// # Errors
/// NotFound when the user has no passkey with this id.
pub async fn delete(ctx: &Ctx, org: &OrgId, user: &UserId, id: &str) -> Result<(), CoreError> {
    let not_found = || {
        CoreError::NotFound(format!(
            "passkey '{}'",
            id.chars().take(100).collect::<String>()
        ))
    };
    let fid = FactorId::parse(id).ok_or_else(not_found)?;
    if ctx
        .store
        .delete_webauthn_credential(org, user, &fid)
        .await?
    {
        Ok(())
    } else {
        Err(not_found())
    }
}
