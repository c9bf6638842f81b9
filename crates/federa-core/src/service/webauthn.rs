//! Passkeys (WebAuthn, CONTRACT §7) with webauthn-rs: registration, authentication for a known
//! user and discoverable (usernameless) authentication, listing and removal.
//!
//! The relying party is per org and per request origin ([`RelyingParty`]: `rp_id` is the host
//! name, the origin `http(s)://host[:port]`); the web layer supplies both. Each ceremony's
//! webauthn-rs state is stored under the SHA-256 of a random [`CeremonyId`] for
//! [`CEREMONY_TTL_MS`] (`ctx.clock`), bound to the org, the relying party and (except for
//! discoverable sign-in) the user, and is taken out of the store when finished, so it is single
//! use and any node can finish it.
//!
//! The ceremonies are built on webauthn-rs-core (the engine under webauthn-rs, whose `Passkey`
//! helpers hard-code user verification "required"). Registration asks for a resident
//! (discoverable) key with user verification **preferred**: a security key without a PIN can
//! be registered and used, and is credited as a possession factor only. Three rules keep that
//! from becoming a downgrade:
//! * a passkey whose registration verified the user must verify the user at every later use
//!   (webauthn-rs-core enforces this from the stored credential, as it does for passkeys
//!   registered under the old "required" policy);
//! * discoverable (usernameless) sign-in, where the authenticator alone names the account,
//!   requires user verification; a passkey without it works after the username is given;
//! * the credProtect level asked for is "UV optional with credential id list", so an
//!   authenticator that honours it reveals a discoverable credential without UV only to an RP
//!   that already names it.
//!
//! An assertion is credited as `webauthn`/`webauthn` with the UV flag it carries; the stored
//! counter and backup flags are updated with a conditional write, and a counter that does not
//! move forward (a cloned authenticator) is refused. Stored credentials and ceremony states
//! keep webauthn-rs's JSON shapes (`{"cred": ..}`, `{"rs": ..}`, `{"ast": ..}`), so passkeys
//! registered before the switch keep working.

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
use url::Url;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AuthenticationResult, AuthenticationState, COSEAlgorithm,
    CredProtect, Credential, CredentialProtectionPolicy, Mediation, PublicKeyCredential,
    RegisterPublicKeyCredential, RegistrationState, RequestAuthenticationExtensions,
    RequestRegistrationExtensions, UserVerificationPolicy,
};

/// A stored passkey: webauthn-rs's `Passkey` JSON shape around the core credential.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPasskey {
    cred: Credential,
}

/// A pending registration, in webauthn-rs's `PasskeyRegistration` JSON shape.
#[derive(serde::Serialize, serde::Deserialize)]
struct RegistrationCeremony {
    rs: RegistrationState,
}

/// A pending authentication, in webauthn-rs's `PasskeyAuthentication` /
/// `DiscoverableAuthentication` JSON shape.
#[derive(serde::Serialize, serde::Deserialize)]
struct AuthenticationCeremony {
    ast: AuthenticationState,
}

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

/// The relying party engine for one request. The RP id must be the origin's host or a parent
/// domain of it (W3C WebAuthn §5.1.3 / HTML "registrable domain suffix"); only that exact
/// origin is accepted in client data (no other subdomain, no other port).
fn webauthn(rp: &RelyingParty) -> Result<WebauthnCore, CoreError> {
    let origin = Url::parse(&rp.origin)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| CoreError::invalid("origin", "not an absolute http(s) origin"))?;
    let fits = !rp.id.is_empty()
        && origin
            .domain()
            .is_some_and(|host| host == rp.id || host.ends_with(&format!(".{}", rp.id)));
    if !fits {
        return Err(CoreError::invalid(
            "rpId",
            "not usable with this origin: the RP id must be the origin's host or a parent domain",
        ));
    }
    let ttl = Duration::from_millis(CEREMONY_TTL_MS.unsigned_abs());
    let name = if rp.name.is_empty() { &rp.id } else { &rp.name };
    Ok(WebauthnCore::new_unsafe_experts_only(
        name,
        &rp.id,
        vec![origin],
        ttl,
        Some(false),
        Some(false),
    ))
}

/// The WebAuthn user handle of a user: a UUID derived from the org and user ids (stable, so an
/// authenticator keeps one discoverable credential per account, and free of personal data).
fn user_handle(org: &OrgId, user: &UserId) -> [u8; 16] {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("federa-webauthn-user\0{org}\0{user}").as_bytes(),
    );
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest.as_ref()[..16]);
    // RFC 9562 version 8 (custom), variant 10.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

/// A 16-byte user handle as a hyphenated lower-case UUID (the stored form).
fn handle_string(b: &[u8; 16]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
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

fn load_passkey(c: &WebauthnCredential) -> Result<Credential, CoreError> {
    serde_json::from_str::<StoredPasskey>(&c.passkey)
        .map(|p| p.cred)
        .map_err(|e| CoreError::Internal(format!("stored passkey {} is unreadable: {e}", c.id)))
}

fn passkey_json(cred: &Credential) -> Result<String, CoreError> {
    state_json(&StoredPasskey { cred: cred.clone() })
}

/// Applies an accepted assertion to the stored credential (counter forward, backup state,
/// backup eligibility only ever switched on), as webauthn-rs's `Passkey::update_credential`.
fn apply_use(cred: &mut Credential, result: &AuthenticationResult) {
    if result.counter() > cred.counter {
        cred.counter = result.counter();
    }
    cred.backup_state = result.backup_state();
    if result.backup_eligible() {
        cred.backup_eligible = true;
    }
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
/// for usernameless sign-in; user verification is preferred (see the module documentation).
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
        .map(|c| load_passkey(c).map(|p| p.cred_id))
        .collect::<Result<Vec<_>, _>>()?;
    let display = match (&u.profile.first_name, &u.profile.last_name) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(n), None) | (None, Some(n)) => n.clone(),
        (None, None) => u.profile.login.clone(),
    };
    let start_err = |e: webauthn_rs_core::error::WebauthnError| {
        CoreError::Internal(format!("WebAuthn registration start: {e}"))
    };
    let extensions = RequestRegistrationExtensions {
        cred_protect: Some(CredProtect {
            credential_protection_policy:
                CredentialProtectionPolicy::UserVerificationOptionalWithCredentialIDList,
            // Authenticators without credProtect would fail the whole ceremony if enforced.
            enforce_credential_protection_policy: Some(false),
        }),
        uvm: Some(true),
        cred_props: Some(true),
        min_pin_length: None,
        hmac_create_secret: None,
    };
    let builder = wa
        .new_challenge_register_builder(&user_handle(org, user), &u.profile.login, &display)
        .map_err(start_err)?
        .attestation(AttestationConveyancePreference::None)
        .credential_algorithms(COSEAlgorithm::secure_algs())
        .require_resident_key(true)
        .authenticator_attachment(None)
        .user_verification_policy(UserVerificationPolicy::Preferred)
        .reject_synchronised_authenticators(false)
        .exclude_credentials(Some(exclude))
        .hints(None)
        .extensions(Some(extensions));
    let (ccr, rs) = wa.generate_challenge_register(builder).map_err(start_err)?;
    let options = to_json(&ccr, "creation options")?;
    let id = store_ceremony(
        ctx,
        org,
        CeremonyKind::Registration,
        Some(user),
        rp,
        state_json(&RegistrationCeremony { rs })?,
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
    let state: RegistrationCeremony = serde_json::from_str(&c.state)
        .map_err(|e| CoreError::Internal(format!("stored registration state: {e}")))?;
    let cred = wa.register_credential(&reg, &state.rs, None).map_err(|e| {
        CoreError::invalid(
            "credential",
            format!("the passkey could not be verified: {e}"),
        )
    })?;
    let credential_id = URL_SAFE_NO_PAD.encode(&cred.cred_id);
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
    let now = ctx.clock.now();
    let record = WebauthnCredential {
        id: FactorId::generate(ctx.rng.as_ref()),
        org_id: org.clone(),
        user_id: user.clone(),
        credential_id,
        user_handle: handle_string(&user_handle(org, user)),
        passkey: passkey_json(&cred)?,
        sign_count: i64::from(cred.counter),
        backup_eligible: cred.backup_eligible,
        backup_state: cred.backup_state,
        user_verified: cred.user_verified,
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
/// (the discoverable one is marked `mediation: conditional`, for autofill UI). User
/// verification is preferred with a known user (each passkey that verified the user at
/// registration must do so again) and required for discoverable sign-in.
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
    let start_err = |e: webauthn_rs_core::error::WebauthnError| {
        CoreError::Internal(format!("WebAuthn authentication start: {e}"))
    };
    let (kind, creds, policy) = match user {
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
            (
                CeremonyKind::Authentication,
                passkeys,
                UserVerificationPolicy::Preferred,
            )
        }
        None => (
            CeremonyKind::Discoverable,
            Vec::new(),
            UserVerificationPolicy::Required,
        ),
    };
    let discoverable = kind == CeremonyKind::Discoverable;
    let builder = wa
        .new_challenge_authenticate_builder(creds, Some(policy))
        .map_err(start_err)?
        .extensions(discoverable.then_some(RequestAuthenticationExtensions {
            appid: None,
            uvm: Some(true),
            hmac_get_secret: None,
        }))
        // A device-bound key may become synced (BE switched on); never the other way.
        .allow_backup_eligible_upgrade(!discoverable)
        .hints(None);
    let (mut rcr, ast) = wa
        .generate_challenge_authenticate(builder)
        .map_err(start_err)?;
    if discoverable {
        rcr.mediation = Some(Mediation::Conditional);
    }
    let options = to_json(&rcr, "request options")?;
    let state = state_json(&AuthenticationCeremony { ast })?;
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
    let Ok(state) = serde_json::from_str::<AuthenticationCeremony>(&c.state) else {
        return Err(CoreError::Internal("stored authentication state".into()));
    };
    let result = match c.kind {
        CeremonyKind::Authentication => {
            if c.user_id.as_ref() != Some(&cred.user_id) {
                return Ok(None);
            }
            // Checks the credential is in the ceremony's allow list.
            wa.authenticate_credential(&pkc, &state.ast)
        }
        CeremonyKind::Discoverable => {
            // The authenticator names the account by its user handle: it must be the one the
            // credential was registered with.
            let handle = pkc
                .get_user_unique_id()
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .map(|b| handle_string(&b));
            match handle {
                Some(h) if h == cred.user_handle => {
                    wa.authenticate_single_credential(&pkc, &state.ast, &passkey)
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
    apply_use(&mut passkey, &result);
    let usage = WebauthnUse {
        expected_sign_count: cred.sign_count,
        sign_count: counter,
        passkey: passkey_json(&passkey)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_handles_keep_the_uuid_text_form_already_stored() {
        let b = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x8d, 0xef, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05,
            0x06, 0x07,
        ];
        assert_eq!(handle_string(&b), "12345678-9abc-8def-8001-020304050607");
    }

    #[test]
    fn the_rp_id_must_be_the_origin_host_or_a_parent_of_it() {
        let ok = |id: &str, origin: &str| webauthn(&RelyingParty::new(id, origin, "n")).is_ok();
        assert!(ok("spoke.localhost", "https://spoke.localhost"));
        assert!(ok("localhost", "http://localhost:8080"));
        assert!(ok("example.com", "https://login.example.com"));
        assert!(!ok("example.com", "https://badexample.com"));
        assert!(!ok("login.example.com", "https://example.com"));
        assert!(!ok("", "https://example.com"));
        assert!(!ok("example.com", "ftp://example.com"));
        assert!(!ok("127.0.0.1", "http://127.0.0.1:8080"));
        assert!(!ok("example.com", "not a url"));
    }
}
