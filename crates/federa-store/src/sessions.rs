//! Sign-in flows and sessions.

use crate::SqlStore;
use federa_core::ports::SessionRepo;

#[async_trait::async_trait]
impl SessionRepo for SqlStore {}
