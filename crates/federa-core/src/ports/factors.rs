//! Port for user factor enrollments, one-time codes and the notification outbox (CONTRACT §2
//! user factors). The counters and single-use flags are changed by conditional updates, so
//! two concurrent requests can never both accept the same code or TOTP step.

use super::StoreResult;
use crate::model::{DeliveryStatus, FactorStatus, OneTimeCode, OutboxEntry, UserFactor};
use crate::page::PageRequest;
use async_trait::async_trait;
use federa_types::{FactorId, OrgId, Timestamp, UserId};

/// User factors, codes and outbox (implemented in `federa-store`).
#[async_trait]
pub trait FactorRepo: Send + Sync {
    /// Inserts a factor (its user must exist in the org) and, when given, its first code, in
    /// one transaction. A PENDING_ACTIVATION factor of the same type and provider is replaced;
    /// an ACTIVE one is a [`super::StoreError::Conflict`].
    async fn create_factor(
        &self,
        factor: &UserFactor,
        code: Option<&OneTimeCode>,
    ) -> StoreResult<()>;
    /// The user's factors, oldest first.
    async fn list_factors(&self, org: &OrgId, user: &UserId) -> StoreResult<Vec<UserFactor>>;
    /// One factor of the user.
    async fn factor_by_id(
        &self,
        org: &OrgId,
        user: &UserId,
        id: &FactorId,
    ) -> StoreResult<Option<UserFactor>>;
    /// Sets the status and clears the failure counter; false when no such factor exists.
    async fn set_factor_status(
        &self,
        org: &OrgId,
        id: &FactorId,
        status: FactorStatus,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// Deletes a factor and its codes; false when no such factor exists.
    async fn delete_factor(&self, org: &OrgId, user: &UserId, id: &FactorId) -> StoreResult<bool>;
    /// Records `step` as the last accepted TOTP step, only when it is later than the one
    /// stored; false when it is not (a replay), so each step is accepted at most once.
    async fn accept_totp_step(
        &self,
        org: &OrgId,
        id: &FactorId,
        step: i64,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// Counts one wrong answer. Reaching `max` consecutive ones resets the count and locks the
    /// factor until `lock_until`.
    async fn record_factor_failure(
        &self,
        org: &OrgId,
        id: &FactorId,
        max: i64,
        lock_until: Timestamp,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Clears the failure counter after a correct answer.
    async fn reset_factor_failures(&self, org: &OrgId, id: &FactorId) -> StoreResult<()>;
    /// Stores a new code for its factor and marks the factor's earlier codes used, in one
    /// transaction.
    async fn replace_code(&self, code: &OneTimeCode) -> StoreResult<()>;
    /// The newest unused code of a factor.
    async fn live_code(&self, org: &OrgId, factor: &FactorId) -> StoreResult<Option<OneTimeCode>>;
    /// Counts one attempt on a code, only while it is unused, unexpired at `now` and has had
    /// fewer than `max` attempts; false otherwise (the attempt must then be refused).
    async fn count_code_attempt(
        &self,
        org: &OrgId,
        code: &str,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Marks a code used, only if it was unused; false when it already was.
    async fn use_code(&self, org: &OrgId, code: &str) -> StoreResult<bool>;
    /// Writes an outbox message (body sealed by the caller) and removes the org's messages
    /// created before `prune_before`.
    async fn add_outbox(&self, entry: &OutboxEntry, prune_before: Timestamp) -> StoreResult<()>;
    /// Records the delivery outcome of an outbox message.
    async fn set_outbox_status(
        &self,
        org: &OrgId,
        id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// The org's outbox, newest first, starting after the message `page.after`; at most
    /// `page.limit + 1` messages. Bodies are returned sealed.
    async fn list_outbox(&self, org: &OrgId, page: &PageRequest) -> StoreResult<Vec<OutboxEntry>>;
}
