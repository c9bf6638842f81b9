//! Port of the SP role's broker: pending federated sign-ins, each taken at most once (the OIDC
//! `state` or the SAML `RelayState` names it; only its SHA-256 is stored), and the links from
//! an upstream account (IdP + subject) to a local user.

use super::StoreResult;
use crate::model::User;
use async_trait::async_trait;
use federa_types::{IdpId, OrgId, Timestamp, UserId};

/// What a [`super::StoreError::Conflict`] from [`BrokerRepo::create_linked_user`] names when
/// the upstream account is already linked.
pub const LINKED: &str = "account link";

/// A pending federated sign-in.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerState {
    /// SHA-256 (hex) of the state value.
    pub id_hash: String,
    /// Org.
    pub org_id: OrgId,
    /// The IdP it was started for.
    pub idp_id: IdpId,
    /// What the callback needs (nonce, PKCE verifier, request id, return path...).
    pub data: serde_json::Value,
    /// Created.
    pub created: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// Broker storage.
#[async_trait]
pub trait BrokerRepo: Send + Sync {
    /// Stores a pending sign-in.
    async fn put_broker_state(&self, s: &BrokerState) -> StoreResult<()>;
    /// Takes (deletes and returns) an unexpired pending sign-in, in one statement.
    async fn take_broker_state(
        &self,
        org: &OrgId,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<BrokerState>>;
    /// The local user linked to an upstream account, read with the link in one query.
    async fn linked_user_record(
        &self,
        org: &OrgId,
        idp: &IdpId,
        external_id: &str,
    ) -> StoreResult<Option<User>>;
    /// Links an upstream account to a local user. An existing link of that account is kept:
    /// the user it names is returned, which is not `user` when another sign-in linked the
    /// account first.
    async fn link_user(
        &self,
        org: &OrgId,
        idp: &IdpId,
        external_id: &str,
        user: &UserId,
        now: Timestamp,
    ) -> StoreResult<UserId>;
    /// Creates a user (just-in-time provisioning) and links the upstream account to it, in one
    /// transaction: both or neither. A taken login is [`super::StoreError::Conflict`] naming
    /// `login`; an account linked meanwhile (another sign-in) one naming [`LINKED`].
    async fn create_linked_user(
        &self,
        user: &User,
        idp: &IdpId,
        external_id: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
}
