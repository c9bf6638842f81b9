//! Ports for identity providers (CONTRACT §2 "IdPs"): IdP objects with their per-IdP SP key
//! pair (private key sealed with the master key) and sealed upstream client secret, and the
//! org's IdP trust store (`/api/v1/idps/credentials/keys`). Which trust-store kids an IdP uses
//! is stored as rows, so a key in use cannot be deleted (one conditional statement).

use super::StoreResult;
use async_trait::async_trait;
use federa_types::{IdpId, OrgId, Timestamp};

/// An IdP as stored: the columns the server looks up by, the sealed secrets, and the canonical
/// body (the Okta-shaped object without the client secret).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIdp {
    /// Id (`0oa...`).
    pub id: IdpId,
    /// Owning org.
    pub org_id: OrgId,
    /// `SAML2`, `OIDC` or `OKTA_INTEGRATION`.
    pub kind: String,
    /// Name (unique in the org).
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// The canonical body (`IdpInput` as JSON, secrets removed).
    pub body: serde_json::Value,
    /// The upstream client secret, sealed (OIDC IdPs using a secret).
    pub sealed_client_secret: Option<String>,
    /// The per-IdP SP private key (PKCS#8), sealed.
    pub sealed_sp_key: String,
    /// The SP key's self-signed certificate (base64 DER).
    pub sp_cert: String,
    /// The SP key's id (RFC 7638 thumbprint).
    pub sp_kid: String,
    /// Trust-store kids this IdP references (SAML `kid` and `additionalKids`).
    pub trust_kids: Vec<String>,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
}

/// A trust-store certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIdpKey {
    /// Key id.
    pub kid: String,
    /// Org.
    pub org_id: OrgId,
    /// `RSA` or `EC`.
    pub kty: String,
    /// The certificate (base64 DER).
    pub x5c: String,
    /// `x5t#S256`.
    pub x5t_s256: String,
    /// Added.
    pub created: Timestamp,
    /// The certificate's notAfter.
    pub expires_at: Option<Timestamp>,
}

/// What deleting a trust-store key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpKeyDelete {
    /// Deleted.
    Deleted,
    /// Refused: an IdP references it.
    InUse,
    /// No such key.
    Missing,
}

/// IdPs and the IdP trust store.
#[async_trait]
pub trait IdpRepo: Send + Sync {
    /// Inserts an IdP with its trust references. A duplicate name is a conflict; a trust kid
    /// that is not in the org's trust store is a missing reference.
    async fn create_idp(&self, idp: &StoredIdp) -> StoreResult<()>;
    /// Replaces an IdP's name, status, body, client secret and trust references (the SP key
    /// is kept); false when it does not exist.
    async fn update_idp(&self, idp: &StoredIdp) -> StoreResult<bool>;
    /// Sets an IdP's status; false when it does not exist.
    async fn set_idp_status(
        &self,
        org: &OrgId,
        id: &IdpId,
        status: &str,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// One IdP.
    async fn idp_by_id(&self, org: &OrgId, id: &IdpId) -> StoreResult<Option<StoredIdp>>;
    /// IdPs ordered by creation, after the cursor (an IdP id), at most `limit`.
    async fn list_idps(
        &self,
        org: &OrgId,
        after: Option<&IdpId>,
        limit: i64,
    ) -> StoreResult<Vec<StoredIdp>>;
    /// Every IdP of the org (for guards and policy references), ordered by creation.
    async fn all_idps(&self, org: &OrgId) -> StoreResult<Vec<StoredIdp>>;
    /// Deletes an IdP and its trust references; false when it does not exist.
    async fn delete_idp(&self, org: &OrgId, id: &IdpId) -> StoreResult<bool>;

    /// Adds a trust-store certificate.
    async fn add_idp_key(&self, key: &StoredIdpKey) -> StoreResult<()>;
    /// One trust-store certificate.
    async fn idp_key(&self, org: &OrgId, kid: &str) -> StoreResult<Option<StoredIdpKey>>;
    /// Trust-store certificates ordered by creation, after the cursor (a kid), at most `limit`.
    async fn list_idp_keys(
        &self,
        org: &OrgId,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<StoredIdpKey>>;
    /// Deletes a trust-store certificate unless an IdP references it.
    async fn delete_idp_key(&self, org: &OrgId, kid: &str) -> StoreResult<IdpKeyDelete>;
}
