//! Ports: the repository traits `federa-store` implements. Every method that touches tenant
//! data takes the [`OrgId`] and the implementation filters by it, so one org can never read or
//! change another org's rows. Each write method is one transaction: it either fully happens or
//! leaves nothing behind.

mod apps;
mod broker;
mod factors;
mod idps;
mod logs;
mod sessions;
mod webauthn;

pub use apps::{
    AccessRecord, AppRepo, CodeTake, KeyUse, OAuthRepo, RefreshTake, StoredApp, StoredCode,
    StoredKey, StoredToken,
};
pub use broker::{BrokerRepo, BrokerState, LINKED};
pub use factors::FactorRepo;
pub use idps::{IdpKeyDelete, IdpRepo, StoredIdp, StoredIdpKey};
pub use logs::LogRepo;
pub use sessions::{ACTIVE_USER, OnceMark, REPLAYED, SessionRepo, SignInCommit};
pub use webauthn::{CeremonyKind, WebauthnCeremony, WebauthnCredential, WebauthnRepo, WebauthnUse};

use crate::model::{
    ApiToken, Authenticator, FeatureState, Group, LifecycleStatus, Org, OrgDefaults, StoredPolicy,
    StoredRule, User, UserProfile, UserQuery, UserStatus,
};
use crate::page::PageRequest;
use async_trait::async_trait;
use federa_types::{
    AppId, AuthenticatorId, GroupId, OrgId, PolicyId, RuleId, Secret, Timestamp, UserId,
};

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint would be violated; the string names what is duplicated.
    #[error("{0} already exists")]
    Conflict(String),
    /// A referenced row does not exist (e.g. a group id that is not in this org).
    #[error("{0} does not exist")]
    MissingReference(String),
    /// The database failed or returned data Federa cannot read.
    #[error("database error: {0}")]
    Backend(String),
}

/// A failed sign-in as counted by [`UserRepo::record_failed_sign_in`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedSignIn {
    /// The stored count after this failure.
    pub failed_logins: i64,
    /// Whether this failure locked the user.
    pub locked: bool,
}

/// A user status transition for [`UserRepo::change_user_status`].
#[derive(Debug, Clone, Copy)]
pub struct StatusChange<'a> {
    /// The user's org.
    pub org: &'a OrgId,
    /// The user.
    pub id: &'a UserId,
    /// The status the change starts from; the stored status must still be this one.
    pub from: UserStatus,
    /// The new status.
    pub to: UserStatus,
    /// `status_changed` and `last_updated`.
    pub now: Timestamp,
    /// Sets `activated` to `now` unless it is already set (an activation).
    pub activation: bool,
    /// Sets the failed sign-in count to 0 (an unlock).
    pub reset_failed: bool,
}

/// What [`Store::sweep_expired`] removed: how many rows of each kind of record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// (kind, rows removed), one entry per kind, in a fixed order.
    pub removed: Vec<(&'static str, u64)>,
}

impl Swept {
    /// Rows removed of `kind` (0 for a kind not swept).
    pub fn of(&self, kind: &str) -> u64 {
        self.removed
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }

    /// Rows removed in all.
    pub fn total(&self) -> u64 {
        self.removed.iter().map(|(_, n)| n).sum()
    }
}

/// Result of storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Orgs and their host names.
#[async_trait]
pub trait OrgRepo: Send + Sync {
    /// Inserts an org with its hosts, its first API token and its defaults (authenticators,
    /// features, policies), all in one transaction. A host already used by another org is a
    /// [`StoreError::Conflict`].
    async fn create_org(
        &self,
        org: &Org,
        first_token: Option<&ApiToken>,
        defaults: &OrgDefaults,
    ) -> StoreResult<()>;
    /// Every org, ordered by id (for start-up maintenance such as backfilling defaults).
    async fn list_orgs(&self) -> StoreResult<Vec<Org>>;
    /// The org serving `host` (normalised), if any.
    async fn org_by_host(&self, host: &str) -> StoreResult<Option<Org>>;
    /// The org with this id.
    async fn org_by_id(&self, id: &OrgId) -> StoreResult<Option<Org>>;
    /// Number of orgs.
    async fn count_orgs(&self) -> StoreResult<i64>;
}

/// Admin API tokens.
#[async_trait]
pub trait TokenRepo: Send + Sync {
    /// Stores a token (its hash).
    async fn create_token(&self, token: &ApiToken) -> StoreResult<()>;
    /// The token of `org` whose hash is `token_hash`.
    async fn token_by_hash(&self, org: &OrgId, token_hash: &str) -> StoreResult<Option<ApiToken>>;
}

/// Users.
#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Inserts a user and adds it to `groups` (which must exist in the same org).
    async fn create_user(&self, user: &User, groups: &[GroupId]) -> StoreResult<()>;
    /// A user by id.
    async fn user_by_id(&self, org: &OrgId, id: &UserId) -> StoreResult<Option<User>>;
    /// A user by login, case-insensitively.
    async fn user_by_login(&self, org: &OrgId, login: &str) -> StoreResult<Option<User>>;
    /// Users matching `query`, ordered by id, at most `page.limit + 1` of them.
    async fn list_users(
        &self,
        org: &OrgId,
        query: &UserQuery,
        page: &PageRequest,
    ) -> StoreResult<Vec<User>>;
    /// Replaces a user's profile (login and search columns with it) and, when `password`
    /// is given, the password hash and its change time; sets `last_updated` to `now`.
    /// Nothing else of the row is written: status, failed sign-ins and last login stay as
    /// they are stored now, whatever the caller loaded earlier. The stored user after the
    /// change, or None when no such user exists. A taken login is [`StoreError::Conflict`].
    async fn update_user_profile(
        &self,
        org: &OrgId,
        id: &UserId,
        profile: &UserProfile,
        password: Option<(&Secret<String>, Timestamp)>,
        now: Timestamp,
    ) -> StoreResult<Option<User>>;
    /// Moves a user from status `change.from` to `change.to` (compare-and-set): false, with
    /// nothing written, when the stored status is not `from` (it changed meanwhile) or the
    /// user is gone. A change to DEPROVISIONED also ends every session of the user and
    /// revokes every code and OAuth token issued to them (their token generation goes up),
    /// in the same transaction.
    async fn change_user_status(&self, change: &StatusChange<'_>) -> StoreResult<bool>;
    /// Counts a failed sign-in on an ACTIVE user, from the stored count (concurrent failures
    /// all count), and locks the user (LOCKED_OUT, `status_changed` = `now`) when the count
    /// reaches `lock_at`; nothing else of the row is written. None, with nothing written,
    /// when the user is missing or not ACTIVE.
    async fn record_failed_sign_in(
        &self,
        org: &OrgId,
        id: &UserId,
        lock_at: i64,
        now: Timestamp,
    ) -> StoreResult<Option<FailedSignIn>>;
    /// Sets a user's failed sign-in count to 0 (a correct password), writing nothing else.
    async fn reset_failed_sign_ins(&self, org: &OrgId, id: &UserId) -> StoreResult<()>;
    /// Deletes a user and its memberships. Returns false when no such user exists.
    async fn delete_user(&self, org: &OrgId, id: &UserId) -> StoreResult<bool>;
}

/// Groups and memberships.
#[async_trait]
pub trait GroupRepo: Send + Sync {
    /// Inserts a group.
    async fn create_group(&self, group: &Group) -> StoreResult<()>;
    /// A group by id.
    async fn group_by_id(&self, org: &OrgId, id: &GroupId) -> StoreResult<Option<Group>>;
    /// Groups whose name starts with `q` (case-insensitive), ordered by id, at most `limit + 1`.
    async fn list_groups(
        &self,
        org: &OrgId,
        q: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Vec<Group>>;
    /// Deletes a group and its memberships.
    async fn delete_group(&self, org: &OrgId, id: &GroupId) -> StoreResult<bool>;
    /// Adds a member (idempotent); updates the group's membership time.
    async fn add_member(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &UserId,
        at: federa_types::Timestamp,
    ) -> StoreResult<()>;
    /// Removes a member (idempotent).
    async fn remove_member(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &UserId,
        at: federa_types::Timestamp,
    ) -> StoreResult<()>;
    /// Members of a group, ordered by id.
    async fn list_members(
        &self,
        org: &OrgId,
        group: &GroupId,
        page: &PageRequest,
    ) -> StoreResult<Vec<User>>;
    /// Groups of a user, ordered by id.
    async fn list_user_groups(&self, org: &OrgId, user: &UserId) -> StoreResult<Vec<Group>>;
}

/// Per-org authenticators.
#[async_trait]
pub trait AuthenticatorRepo: Send + Sync {
    /// Inserts authenticators (e.g. defaults missing from an older org); existing keys are kept.
    async fn add_authenticators(&self, org: &OrgId, items: &[Authenticator]) -> StoreResult<()>;
    /// The org's authenticators, ordered by key.
    async fn list_authenticators(&self, org: &OrgId) -> StoreResult<Vec<Authenticator>>;
    /// One authenticator.
    async fn authenticator_by_id(
        &self,
        org: &OrgId,
        id: &AuthenticatorId,
    ) -> StoreResult<Option<Authenticator>>;
    /// Sets the status; false when no such authenticator exists.
    async fn set_authenticator_status(
        &self,
        org: &OrgId,
        id: &AuthenticatorId,
        status: LifecycleStatus,
        at: Timestamp,
    ) -> StoreResult<bool>;
}

/// Per-org feature flags.
#[async_trait]
pub trait FeatureRepo: Send + Sync {
    /// The org's stored feature states.
    async fn list_features(&self, org: &OrgId) -> StoreResult<Vec<FeatureState>>;
    /// Sets (inserts or replaces) one feature's state.
    async fn set_feature(&self, org: &OrgId, state: &FeatureState) -> StoreResult<()>;
}

/// Policies, rules and app bindings.
#[async_trait]
pub trait PolicyRepo: Send + Sync {
    /// Inserts a policy with its rules in one transaction. A duplicate name of the same type is
    /// a [`StoreError::Conflict`].
    async fn create_policy(&self, policy: &StoredPolicy, rules: &[StoredRule]) -> StoreResult<()>;
    /// Policies of the org, optionally of one type, ordered by type, priority, creation.
    async fn list_policies(
        &self,
        org: &OrgId,
        policy_type: Option<&str>,
    ) -> StoreResult<Vec<StoredPolicy>>;
    /// One policy.
    async fn policy_by_id(&self, org: &OrgId, id: &PolicyId) -> StoreResult<Option<StoredPolicy>>;
    /// Replaces a policy's stored fields; false when it does not exist.
    async fn update_policy(&self, policy: &StoredPolicy) -> StoreResult<bool>;
    /// Deletes a policy, its rules and its app bindings; false when it does not exist.
    async fn delete_policy(&self, org: &OrgId, id: &PolicyId) -> StoreResult<bool>;
    /// Inserts a rule (its policy must exist in the org).
    async fn create_rule(&self, rule: &StoredRule) -> StoreResult<()>;
    /// Rules of a policy ordered by priority, creation.
    async fn list_rules(&self, org: &OrgId, policy: &PolicyId) -> StoreResult<Vec<StoredRule>>;
    /// Every rule of every policy of the org in one query, each policy's rules in evaluation
    /// order (what sign-in needs; saves a query per policy).
    async fn list_org_rules(&self, org: &OrgId) -> StoreResult<Vec<StoredRule>>;
    /// One rule of a policy.
    async fn rule_by_id(
        &self,
        org: &OrgId,
        policy: &PolicyId,
        id: &RuleId,
    ) -> StoreResult<Option<StoredRule>>;
    /// Replaces a rule's stored fields; false when it does not exist.
    async fn update_rule(&self, rule: &StoredRule) -> StoreResult<bool>;
    /// Deletes a rule; false when it does not exist.
    async fn delete_rule(&self, org: &OrgId, policy: &PolicyId, id: &RuleId) -> StoreResult<bool>;
    /// Binds an app to an authentication policy (replacing an earlier binding).
    async fn bind_app_policy(&self, org: &OrgId, app: &AppId, policy: &PolicyId)
    -> StoreResult<()>;
    /// The policy bound to an app.
    async fn app_policy(&self, org: &OrgId, app: &AppId) -> StoreResult<Option<PolicyId>>;
    /// The apps bound to a policy.
    async fn apps_of_policy(&self, org: &OrgId, policy: &PolicyId) -> StoreResult<Vec<AppId>>;
}

/// The whole store.
#[async_trait]
pub trait Store:
    OrgRepo
    + TokenRepo
    + UserRepo
    + GroupRepo
    + AuthenticatorRepo
    + FeatureRepo
    + PolicyRepo
    + Send
    + Sync
    + FactorRepo
    + LogRepo
    + SessionRepo
    + WebauthnRepo
    + AppRepo
    + OAuthRepo
    + BrokerRepo
    + IdpRepo
{
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Deletes short-lived records that expired before `before`, at most `limit` of each
    /// kind: sessions (absolute or idle lifetime over), authorization codes, OAuth token
    /// records, replay-cache entries, pending federated sign-ins and one-time factor codes.
    /// Each kind in its own short transaction.
    async fn sweep_expired(&self, before: Timestamp, limit: u32) -> StoreResult<Swept>;
    /// Name of the backend (`sqlite` or `postgres`), for logs and readiness output.
    fn backend(&self) -> &'static str;
}
