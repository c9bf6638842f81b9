//! Port for the System Log (CONTRACT §2 system log) and the rate-limit windows. The stored
//! shapes live with their use cases: [`crate::service::syslog`] (events, queries, cursors) and
//! [`crate::service::ratelimit`] (windows).

use super::StoreResult;
use crate::service::ratelimit::RateWindow;
use crate::service::syslog::{LogEntry, LogEvent, LogQuery};
use async_trait::async_trait;
use federa_types::{OrgId, Timestamp};

/// System Log events and rate-limit windows (implemented in `federa-store`).
#[async_trait]
pub trait LogRepo: Send + Sync {
    /// Appends an event (with its target index) in one transaction.
    async fn insert_log_event(&self, event: &LogEvent) -> StoreResult<()>;
    /// Events of `org` matching `query`, in its order, at most `query.limit + 1` of them.
    async fn list_log_events(&self, org: &OrgId, query: &LogQuery) -> StoreResult<Vec<LogEntry>>;
    /// Deletes events of `org` published before `before`; returns how many.
    async fn purge_log_events(&self, org: &OrgId, before: Timestamp) -> StoreResult<u64>;
    /// [`LogRepo::hit_rate_window`] for several distinct keys sharing one window, in one
    /// statement; the windows in the order of `keys`.
    async fn hit_rate_windows(
        &self,
        org: &OrgId,
        keys: &[String],
        window_start: Timestamp,
        window_end: Timestamp,
    ) -> StoreResult<Vec<RateWindow>>;
    /// Counts one hit on `key` in the window `[window_start, window_end)`, in one atomic
    /// statement: a row for an older window is restarted at 1; a row for the same or a newer
    /// window (a node whose clock lags) is incremented.
    async fn hit_rate_window(
        &self,
        org: &OrgId,
        key: &str,
        window_start: Timestamp,
        window_end: Timestamp,
    ) -> StoreResult<RateWindow>;
    /// Forgets the counter of `key`.
    async fn reset_rate_window(&self, org: &OrgId, key: &str) -> StoreResult<()>;
    /// Deletes the org's windows that ended at or before `before`; returns how many.
    async fn purge_rate_windows(&self, org: &OrgId, before: Timestamp) -> StoreResult<u64>;
}
