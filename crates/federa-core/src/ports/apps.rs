//! Ports for the IdP role (CONTRACT §2 apps, §3): apps, the org's signing keys, OAuth
//! authorization codes and issued tokens, and a replay cache. Codes and refresh tokens are
//! stored as SHA-256 digests only; taking a code or using a refresh token is one conditional
//! statement, so two nodes cannot both redeem the same value.

use super::StoreResult;
use async_trait::async_trait;
use federa_types::{AppId, OrgId, Timestamp, UserId};

/// An app as stored: the columns the server looks up by, and the canonical body.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredApp {
    /// Id (`0oa...`).
    pub id: AppId,
    /// Owning org.
    pub org_id: OrgId,
    /// App name (`oidc_client`, `okta_org2org`, or a custom SAML app's name).
    pub name: String,
    /// Label shown to people.
    pub label: String,
    /// `OPENID_CONNECT` or `SAML_2_0`.
    pub sign_on_mode: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// OAuth client id (OIDC apps).
    pub client_id: Option<String>,
    /// SHA-256 (hex) of the client secret (confidential OIDC clients).
    pub client_secret_hash: Option<String>,
    /// The rest of the app (settings, credentials without secrets) as canonical JSON.
    pub body: serde_json::Value,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
}

/// What a signing key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// JWS signatures of ID and access tokens (published at `/oauth2/v1/keys`).
    Oidc,
    /// XML signatures of SAML responses (certificate in the app metadata).
    Saml,
}

impl KeyUse {
    /// Storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyUse::Oidc => "oidc",
            KeyUse::Saml => "saml",
        }
    }
    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "oidc" => Some(KeyUse::Oidc),
            "saml" => Some(KeyUse::Saml),
            _ => None,
        }
    }
}

/// A signing key of an org. The private key is sealed with the master key.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKey {
    /// Key id.
    pub kid: String,
    /// Org.
    pub org_id: OrgId,
    /// What it signs.
    pub key_use: KeyUse,
    /// `RS256`, `ES256` (OIDC) or `RSA_SHA256` (SAML).
    pub alg: String,
    /// The sealed PKCS#8 private key (base64 of the sealed box).
    pub sealed_private: String,
    /// Public part: the JWK (OIDC) or the DER certificate in base64 (SAML).
    pub public: String,
    /// Created.
    pub created: Timestamp,
    /// Signs new tokens from this time on (rotation publishes a key before it is used).
    pub active_from: Timestamp,
    /// After this the key signs nothing new; it stays published until `expires_at`.
    pub retire_at: Option<Timestamp>,
    /// Not published after this.
    pub expires_at: Option<Timestamp>,
}

/// An authorization code (or a SAML/OIDC artefact with the same life): single use.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCode {
    /// SHA-256 (hex) of the code.
    pub code_hash: String,
    /// Org.
    pub org_id: OrgId,
    /// App.
    pub app_id: AppId,
    /// User.
    pub user_id: UserId,
    /// Token family: every token issued from this code carries it, so a replayed code can
    /// revoke them all.
    pub family: String,
    /// Everything else the token endpoint needs (JSON).
    pub data: serde_json::Value,
    /// Created.
    pub created: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// The user's token generation when the code was issued ([`crate::model::User::token_gen`]).
    pub user_gen: i64,
}

/// What taking a code found.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeTake {
    /// The code, now used.
    Fresh(StoredCode),
    /// The code had been used before (its family should be revoked).
    Replayed(StoredCode),
    /// No such unexpired code.
    Unknown,
}

/// An issued token tracked server-side (refresh tokens; access token ids for revocation).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredToken {
    /// SHA-256 (hex) of the token (refresh) or of its `jti` (access).
    pub token_hash: String,
    /// Org.
    pub org_id: OrgId,
    /// App.
    pub app_id: AppId,
    /// User (none for client credentials).
    pub user_id: Option<UserId>,
    /// `refresh` or `access`.
    pub kind: String,
    /// Token family (see [`StoredCode::family`]).
    pub family: String,
    /// Grant data (scopes, auth time, verifications...).
    pub data: serde_json::Value,
    /// Created.
    pub created: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Used (refresh tokens rotate: a used one is spent).
    pub used: bool,
    /// Revoked.
    pub revoked: bool,
    /// The user's token generation when the token was issued (an access token recorded by
    /// [`OAuthRepo::redeem_code`] gets its code's).
    pub user_gen: i64,
}

/// The access token [`OAuthRepo::redeem_code`] records with a fresh code: the rest of its
/// [`StoredToken`] comes from the code.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRecord {
    /// SHA-256 (hex) of the access token's `jti`.
    pub token_hash: String,
    /// Created.
    pub created: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// What using a refresh token found.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshTake {
    /// Valid; now spent.
    Fresh(StoredToken),
    /// Spent or revoked before: a replay (the family should be revoked).
    Replayed(StoredToken),
    /// Unknown or expired.
    Unknown,
}

/// Apps.
#[async_trait]
pub trait AppRepo: Send + Sync {
    /// Inserts an app. A duplicate client id in the org is a conflict.
    async fn create_app(&self, app: &StoredApp) -> StoreResult<()>;
    /// Replaces an app; false when it does not exist.
    async fn update_app(&self, app: &StoredApp) -> StoreResult<bool>;
    /// One app.
    async fn app_by_id(&self, org: &OrgId, id: &AppId) -> StoreResult<Option<StoredApp>>;
    /// The OIDC app with this client id.
    async fn app_by_client_id(
        &self,
        org: &OrgId,
        client_id: &str,
    ) -> StoreResult<Option<StoredApp>>;
    /// Apps ordered by creation, after the cursor (an app id), at most `limit`.
    async fn list_apps(
        &self,
        org: &OrgId,
        after: Option<&AppId>,
        limit: i64,
    ) -> StoreResult<Vec<StoredApp>>;
    /// Deletes an app with its policy binding, codes and tokens; false when it does not exist.
    async fn delete_app(&self, org: &OrgId, id: &AppId) -> StoreResult<bool>;
}

/// Signing keys, codes, tokens and the replay cache.
#[async_trait]
pub trait OAuthRepo: Send + Sync {
    /// Stores a new signing key.
    async fn add_key(&self, key: &StoredKey) -> StoreResult<()>;
    /// The org's keys for a use, newest first (expired ones included; the caller filters).
    async fn list_keys(&self, org: &OrgId, key_use: KeyUse) -> StoreResult<Vec<StoredKey>>;
    /// Sets the retirement and expiry times of a key.
    async fn retire_key(
        &self,
        org: &OrgId,
        kid: &str,
        retire_at: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<bool>;

    /// Stores a new authorization code.
    async fn put_code(&self, code: &StoredCode) -> StoreResult<()>;
    /// The token endpoint's first step: marks the code used and returns it (a second take
    /// answers [`CodeTake::Replayed`]); for a fresh code, its user
    /// (`None` when the user is gone) and the record of the access token about to be issued
    /// from it ([`AccessRecord`]: kind `access`, the code's app, user and family, data null),
    /// all in one write transaction, one round trip where the database allows. A replayed or
    /// unknown code records nothing.
    async fn redeem_code(
        &self,
        org: &OrgId,
        code_hash: &str,
        now: Timestamp,
        access: &AccessRecord,
    ) -> StoreResult<(CodeTake, Option<crate::model::User>)>;

    /// Stores an issued token.
    async fn put_token(&self, token: &StoredToken) -> StoreResult<()>;
    /// Spends a refresh token (rotation), in one statement.
    async fn take_refresh(
        &self,
        org: &OrgId,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<RefreshTake>;
    /// A tracked token (for introspection and revocation).
    async fn oauth_token_by_hash(
        &self,
        org: &OrgId,
        token_hash: &str,
    ) -> StoreResult<Option<StoredToken>>;
    /// Revokes every token of a family; returns how many.
    async fn revoke_family(&self, org: &OrgId, family: &str) -> StoreResult<u64>;

    /// Remembers `key` in `namespace` until `expires_at`; false when it was already there and
    /// unexpired (a replay).
    async fn remember_once(
        &self,
        org: &OrgId,
        namespace: &str,
        key: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;
}
