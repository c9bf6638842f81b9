//! Port for passkeys (WebAuthn, CONTRACT §7): registered credentials and the pending
//! registration / authentication ceremonies. Ceremonies are stored so that any node can finish
//! a ceremony another node started; taking one deletes it in the same statement, so a ceremony
//! can be finished at most once. Counter updates are conditional on the stored value, so two
//! concurrent assertions cannot both move the counter from the same value.

use super::StoreResult;
use async_trait::async_trait;
use federa_types::{FactorId, OrgId, Timestamp, UserId};

/// Which ceremony a pending state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CeremonyKind {
    /// `navigator.credentials.create`: registering a new passkey.
    Registration,
    /// `navigator.credentials.get` for a known user (allow list of their credentials).
    Authentication,
    /// `navigator.credentials.get` without a user (discoverable credentials, usernameless).
    Discoverable,
}

impl CeremonyKind {
    /// Storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Registration => "registration",
            CeremonyKind::Authentication => "authentication",
            CeremonyKind::Discoverable => "discoverable",
        }
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "registration" => Some(CeremonyKind::Registration),
            "authentication" => Some(CeremonyKind::Authentication),
            "discoverable" => Some(CeremonyKind::Discoverable),
            _ => None,
        }
    }
}

/// A pending ceremony: the webauthn-rs state between the two HTTP calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnCeremony {
    /// SHA-256 (hex) of the random ceremony id handed to the browser.
    pub id_hash: String,
    /// Owning org.
    pub org_id: OrgId,
    /// Registration, authentication or discoverable authentication.
    pub kind: CeremonyKind,
    /// The user, except for discoverable authentication.
    pub user_id: Option<UserId>,
    /// Relying party id the ceremony was started for (a host name).
    pub rp_id: String,
    /// Origin the ceremony was started for (`https://host[:port]`).
    pub origin: String,
    /// webauthn-rs state (`PasskeyRegistration`, `PasskeyAuthentication` or
    /// `DiscoverableAuthentication`) as JSON.
    pub state: String,
    /// Started.
    pub created: Timestamp,
    /// No longer accepted from this instant.
    pub expires_at: Timestamp,
}

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnCredential {
    /// Id (`mfa...`, like other factors).
    pub id: FactorId,
    /// Owning org.
    pub org_id: OrgId,
    /// Owning user.
    pub user_id: UserId,
    /// The WebAuthn credential id, base64url without padding; unique per org.
    pub credential_id: String,
    /// The WebAuthn user handle (a UUID) registered with the credential.
    pub user_handle: String,
    /// The webauthn-rs `Passkey` as JSON (public key, counter, backup flags).
    pub passkey: String,
    /// Last accepted signature counter (0 for authenticators without a counter).
    pub sign_count: i64,
    /// The credential may be backed up (synced passkey).
    pub backup_eligible: bool,
    /// The credential is currently backed up.
    pub backup_state: bool,
    /// The authenticator verified the user at registration.
    pub user_verified: bool,
    /// Registered.
    pub created: Timestamp,
    /// Last successful authentication.
    pub last_used: Option<Timestamp>,
}

/// The outcome of a successful assertion, written back to the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnUse {
    /// The counter the credential had when the assertion was checked.
    pub expected_sign_count: i64,
    /// The new counter.
    pub sign_count: i64,
    /// The updated `Passkey` JSON.
    pub passkey: String,
    /// Backup eligibility reported by the assertion.
    pub backup_eligible: bool,
    /// Backup state reported by the assertion.
    pub backup_state: bool,
    /// When.
    pub at: Timestamp,
}

/// Passkeys and ceremonies (implemented in `federa-store`).
#[async_trait]
pub trait WebauthnRepo: Send + Sync {
    /// Stores a pending ceremony and deletes the org's ceremonies that expired before
    /// `prune_before`.
    async fn put_webauthn_ceremony(
        &self,
        ceremony: &WebauthnCeremony,
        prune_before: Timestamp,
    ) -> StoreResult<()>;
    /// Removes and returns a ceremony (whether expired or not: the caller checks). A second
    /// take of the same id returns None.
    async fn take_webauthn_ceremony(
        &self,
        org: &OrgId,
        id_hash: &str,
    ) -> StoreResult<Option<WebauthnCeremony>>;
    /// Inserts a credential (its user must exist in the org). A credential id already
    /// registered in the org is a [`super::StoreError::Conflict`].
    async fn create_webauthn_credential(&self, credential: &WebauthnCredential) -> StoreResult<()>;
    /// The user's passkeys, oldest first.
    async fn list_webauthn_credentials(
        &self,
        org: &OrgId,
        user: &UserId,
    ) -> StoreResult<Vec<WebauthnCredential>>;
    /// The passkey of the org with this WebAuthn credential id (base64url).
    async fn webauthn_credential_by_credential_id(
        &self,
        org: &OrgId,
        credential_id: &str,
    ) -> StoreResult<Option<WebauthnCredential>>;
    /// Records a successful assertion, only while the stored counter is still
    /// `usage.expected_sign_count`; false otherwise (a concurrent use won, or the credential is
    /// gone), and the assertion must then be refused.
    async fn record_webauthn_use(
        &self,
        org: &OrgId,
        id: &FactorId,
        usage: &WebauthnUse,
    ) -> StoreResult<bool>;
    /// Deletes one of the user's passkeys; false when no such passkey exists.
    async fn delete_webauthn_credential(
        &self,
        org: &OrgId,
        user: &UserId,
        id: &FactorId,
    ) -> StoreResult<bool>;
}
