//! Port for sign-in flows and sessions. Both are looked up by the SHA-256 of their cookie value.

use super::StoreResult;
use crate::model::session::{Session, StoredFlow};
use async_trait::async_trait;
use federa_types::{OrgId, Timestamp, UserId};

/// Sessions and in-progress sign-in flows (implemented in `federa-store`).
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
    /// Deletes every session of a user (password change, deactivation).
    async fn delete_user_sessions(&self, org: &OrgId, user: &UserId) -> StoreResult<()>;
}
