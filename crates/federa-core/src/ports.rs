//! Ports: the repository traits `federa-store` implements. Every method that touches tenant
//! data takes the [`OrgId`] and the implementation filters by it, so one org can never read or
//! change another org's rows. Each write method is one transaction: it either fully happens or
//! leaves nothing behind.

use crate::model::{ApiToken, Group, Org, User, UserQuery};
use crate::page::PageRequest;
use async_trait::async_trait;
use federa_types::{GroupId, OrgId, UserId};

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

/// Result of storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Orgs and their host names.
#[async_trait]
pub trait OrgRepo: Send + Sync {
    /// Inserts an org with its hosts, its first API token and, atomically, nothing else.
    /// A host already used by another org is a [`StoreError::Conflict`].
    async fn create_org(&self, org: &Org, first_token: Option<&ApiToken>) -> StoreResult<()>;
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
    /// Replaces a user's stored fields. Returns false when no such user exists.
    async fn update_user(&self, user: &User) -> StoreResult<bool>;
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

/// The whole store.
#[async_trait]
pub trait Store: OrgRepo + TokenRepo + UserRepo + GroupRepo + Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Name of the backend (`sqlite` or `postgres`), for logs and readiness output.
    fn backend(&self) -> &'static str;
}
