//! The System Log (CONTRACT §2 system log): recording Okta-shaped LogEvents and querying them.
//! [`record`] is what every flow calls; it returns its error so the caller decides whether a
//! failed write stops the flow. [`list`] answers `GET /api/v1/logs` (time window, `filter`,
//! `q`, order and cursor paging); the filter grammar lives in [`filter`].
//!
//! Layout: the event types are in `model`, recording in `record`, the `GET /api/v1/logs`
//! query (parameters, cursor, paging, retention) in `query`; all are re-exported here.

pub mod filter;
mod model;
mod query;
mod record;

pub use filter::parse_filter;
pub use model::{
    LogActor, LogAuthContext, LogEvent, LogEventInput, LogTarget, OutcomeResult, Severity,
};
pub use query::{
    DEFAULT_LIMIT, DEFAULT_SPAN_MS, LogCursor, LogEntry, LogFilter, LogList, LogListParams,
    LogQuery, MAX_LIMIT, SortOrder, list, parse_query, purge,
};
pub use record::{MAX_DEBUG_DATA_BYTES, MAX_TARGETS, prepare, record};
