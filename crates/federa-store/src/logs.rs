//! System Log events and rate-limit windows.

use crate::SqlStore;
use federa_core::ports::LogRepo;

#[async_trait::async_trait]
impl LogRepo for SqlStore {}
