//! Port for user factor enrollments, one-time codes and the notification outbox.

use async_trait::async_trait;

/// User factors, codes and outbox (implemented in `federa-store`).
#[async_trait]
pub trait FactorRepo: Send + Sync {}
