//! Port for the System Log and rate-limit counters.

use async_trait::async_trait;

/// System Log events and rate-limit windows (implemented in `federa-store`).
#[async_trait]
pub trait LogRepo: Send + Sync {}
