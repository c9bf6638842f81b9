//! User factors, one-time codes and the notification outbox.

use crate::SqlStore;
use federa_core::ports::FactorRepo;

#[async_trait::async_trait]
impl FactorRepo for SqlStore {}
