//! Port for sign-in flows and sessions. Both are looked up by the SHA-256 of their cookie value.

use super::StoreResult;
use crate::model::User;
use crate::model::session::{Session, StoredFlow};
use crate::service::syslog::LogEvent;
use async_trait::async_trait;
use federa_types::{OrgId, Timestamp, UserId};

/// Sessions and in-progress sign-in flows (implemented in `federa-store`).
/// The writes that end a successful sign-in, made in one transaction: all of them or none.
#[derive(Debug, Clone, Copy)]
pub struct SignInCommit<'a> {
    /// The org of every row below.
    pub org: &'a OrgId,
    /// The new session.
    pub session: &'a Session,
    /// System Log events of the sign-in.
    pub events: &'a [LogEvent],
    /// The user whose sign-in this is: only its `last_login` and `failed_logins` are written
    /// (the rest of the stored row, which an administrator may change meanwhile, is kept).
    /// The stored user must still be ACTIVE, or nothing is written and the commit fails with
    /// [`super::StoreError::MissingReference`] naming [`ACTIVE_USER`].
    pub user: Option<&'a User>,
    /// The sign-in flow to delete (by id hash).
    pub flow_hash: Option<&'a str>,
    /// A session this one replaces (step-up), to delete (by id hash).
    pub replaced_session: Option<&'a str>,
    /// Single-use values the sign-in consumed (an upstream ID token, a SAML assertion id),
    /// recorded with it: when one is already recorded and unexpired, nothing is written and the
    /// commit fails with [`super::StoreError::Conflict`] naming [`REPLAYED`].
    pub once: &'a [OnceMark],
}

/// What a [`super::StoreError::MissingReference`] from [`SessionRepo::commit_sign_in`] names
/// when the user is no longer ACTIVE (deactivated, locked or deleted while signing in).
pub const ACTIVE_USER: &str = "active user";

/// What a [`super::StoreError::Conflict`] names when a single-use value was already used.
pub const REPLAYED: &str = "single-use value";

/// A single-use value to record (as `remember_once` does) within another write.
#[derive(Debug, Clone, PartialEq)]
pub struct OnceMark {
    /// Namespace (`idp-id-token`, `saml-assertion`...).
    pub namespace: String,
    /// The value (or its hash).
    pub key: String,
    /// Until when it counts as used.
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait SessionRepo: Send + Sync {
    /// Stores a new flow.
    async fn create_flow(&self, flow: &StoredFlow) -> StoreResult<()>;
    /// The unexpired flow of `org` with this id hash.
    async fn flow_by_hash(
        &self,
        org: &OrgId,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<StoredFlow>>;
    /// Replaces a flow's state; false when it is gone.
    async fn update_flow(&self, flow: &StoredFlow) -> StoreResult<bool>;
    /// Gives a flow a new id hash (the cookie rotated) and saves its state, in one statement;
    /// false when no flow of `org` has `old_hash`.
    async fn rekey_flow(&self, old_hash: &str, flow: &StoredFlow) -> StoreResult<bool>;
    /// Deletes a flow.
    async fn delete_flow(&self, org: &OrgId, id_hash: &str) -> StoreResult<()>;
    /// Stores a new session.
    async fn create_session(&self, s: &Session) -> StoreResult<()>;
    /// The session of `org` with this id hash (expired ones included; the caller checks).
    async fn session_by_hash(&self, org: &OrgId, id_hash: &str) -> StoreResult<Option<Session>>;
    /// Replaces a session's fields, moving it from `old_hash` to `s.id_hash` (rotation when they
    /// differ). False when no session has `old_hash`.
    async fn update_session(&self, old_hash: &str, s: &Session) -> StoreResult<bool>;
    /// Deletes a session.
    async fn delete_session(&self, org: &OrgId, id_hash: &str) -> StoreResult<()>;
    /// Deletes every session of a user (an administrator signs them out everywhere) and, with
    /// `revoke_tokens`, revokes every authorization code and OAuth token issued to the user
    /// so far (their token generation goes up, see [`crate::model::User::token_gen`]), in
    /// one transaction.
    async fn delete_user_sessions(
        &self,
        org: &OrgId,
        user: &UserId,
        revoke_tokens: bool,
    ) -> StoreResult<()>;
    /// Makes the writes of [`SignInCommit`] in one transaction. The session, user and flow
    /// must belong to `commit.org` (anything else is refused and nothing is written).
    async fn commit_sign_in(&self, commit: &SignInCommit<'_>) -> StoreResult<()>;
}
