//! Port for sign-in flows and sessions.

use async_trait::async_trait;

/// Sessions and in-progress sign-in flows (implemented in `federa-store`).
#[async_trait]
pub trait SessionRepo: Send + Sync {}
