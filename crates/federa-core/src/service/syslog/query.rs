//! Querying the System Log (CONTRACT §2 system log, `GET /api/v1/logs`): the raw parameters
//! (time window, `filter`, `q` keywords, order, page size, `after` cursor) validated into a
//! query, the cursor's text form, the paged list, and retention purges.

use super::{LogEvent, OutcomeResult, parse_filter};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::page::Page;
use federa_types::{OrgId, Timestamp};

/// Position of an event in the log's order (`published`, then insertion order). Lists page by
/// it; its text form is the opaque `after` cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogCursor {
    /// `published` of the event.
    pub published: Timestamp,
    /// Insertion sequence number, unique in the database.
    pub seq: i64,
}

impl LogCursor {
    /// The opaque text form (`<published>x<seq>`, ASCII alphanumeric).
    pub fn encode(&self) -> String {
        format!("{}x{}", self.published.millis(), self.seq)
    }

    /// Parses [`LogCursor::encode`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        let (p, q) = s.split_once('x')?;
        let digits =
            |t: &str| !t.is_empty() && t.len() <= 19 && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(p) || !digits(q) {
            return None;
        }
        Some(Self {
            published: Timestamp(p.parse().ok()?),
            seq: q.parse().ok()?,
        })
    }
}

/// One condition of a log query (the `filter` parameter, all joined by `and`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFilter {
    /// `eventType eq "x"`.
    EventType(String),
    /// `outcome.result eq "X"`.
    OutcomeResult(OutcomeResult),
    /// `actor.id eq "x"`.
    ActorId(String),
    /// `target.id eq "x"`: some target has this id.
    TargetId(String),
}

/// Sort order of a log query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// Oldest first (the default).
    #[default]
    Ascending,
    /// Newest first.
    Descending,
}

/// A validated log query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    /// Lower bound of `published`, inclusive.
    pub since: Timestamp,
    /// Upper bound of `published`, inclusive.
    pub until: Timestamp,
    /// Conditions, all of which must hold.
    pub filters: Vec<LogFilter>,
    /// Lower-cased keywords, each of which must occur in the event's searchable text
    /// (display message, event type, actor and target names).
    pub keywords: Vec<String>,
    /// Order.
    pub order: SortOrder,
    /// Return events strictly after this position (in `order`).
    pub after: Option<LogCursor>,
    /// Page size; the store returns at most `limit + 1` events.
    pub limit: u32,
}

/// A stored event with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Position (for the cursor).
    pub position: LogCursor,
    /// The event.
    pub event: LogEvent,
}

/// Default page size of [`list`].
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size of [`list`].
pub const MAX_LIMIT: u32 = 1000;
/// Default span of the window when `since` is not given.
pub const DEFAULT_SPAN_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The raw query parameters of `GET /api/v1/logs`, as received.
#[derive(Debug, Clone, Default)]
pub struct LogListParams {
    /// RFC 3339 lower bound (inclusive); default `until` − 7 days.
    pub since: Option<String>,
    /// RFC 3339 upper bound (inclusive); default now.
    pub until: Option<String>,
    /// SCIM filter subset (see [`parse_filter`]).
    pub filter: Option<String>,
    /// Keywords, all of which must occur (case-insensitively) in the display message, event
    /// type, or an actor or target id or name.
    pub q: Option<String>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<String>,
    /// Cursor from the `next` link.
    pub after: Option<String>,
    /// `ASCENDING` (default) or `DESCENDING`.
    pub sort_order: Option<String>,
}

fn parse_time(field: &str, s: &str) -> Result<Timestamp, CoreError> {
    let dt = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            CoreError::invalid(
                field,
                format!("{field} must be an RFC 3339 date-time such as 2026-01-31T10:00:00.000Z"),
            )
        })?;
    let ms = dt.unix_timestamp_nanos().div_euclid(1_000_000);
    i64::try_from(ms)
        .map(Timestamp)
        .map_err(|_| CoreError::invalid(field, format!("{field} is out of range")))
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Most keywords in `q`.
const MAX_KEYWORDS: usize = 10;

/// Validates the raw parameters against `now`.
pub fn parse_query(now: Timestamp, p: &LogListParams) -> Result<LogQuery, CoreError> {
    let until = match non_empty(&p.until) {
        Some(s) => parse_time("until", s)?,
        None => now,
    };
    let since = match non_empty(&p.since) {
        Some(s) => parse_time("since", s)?,
        None => until.plus_millis(-DEFAULT_SPAN_MS),
    };
    if until <= since {
        return Err(CoreError::invalid("until", "until must be after since"));
    }
    let limit = match non_empty(&p.limit) {
        None => DEFAULT_LIMIT,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
            Ok(_) => {
                return Err(CoreError::invalid(
                    "limit",
                    format!("limit must be between 1 and {MAX_LIMIT}"),
                ));
            }
            Err(_) => return Err(CoreError::invalid("limit", "limit must be an integer")),
        },
    };
    let order = match non_empty(&p.sort_order) {
        None => SortOrder::Ascending,
        Some(s) if s.eq_ignore_ascii_case("ASCENDING") => SortOrder::Ascending,
        Some(s) if s.eq_ignore_ascii_case("DESCENDING") => SortOrder::Descending,
        Some(_) => {
            return Err(CoreError::invalid(
                "sortOrder",
                "sortOrder must be ASCENDING or DESCENDING",
            ));
        }
    };
    let after = match non_empty(&p.after) {
        None => None,
        Some(s) => Some(
            LogCursor::parse(s)
                .ok_or_else(|| CoreError::invalid("after", "after is not a valid cursor"))?,
        ),
    };
    let filters = match non_empty(&p.filter) {
        None => Vec::new(),
        Some(s) => parse_filter(s)?,
    };
    let keywords = match non_empty(&p.q) {
        None => Vec::new(),
        Some(q) => {
            if q.chars().count() > 256 {
                return Err(CoreError::invalid("q", "q must be at most 256 characters"));
            }
            let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
            if words.len() > MAX_KEYWORDS {
                return Err(CoreError::invalid(
                    "q",
                    format!("q must have at most {MAX_KEYWORDS} keywords"),
                ));
            }
            words
        }
    };
    Ok(LogQuery {
        since,
        until,
        filters,
        keywords,
        order,
        after,
        limit,
    })
}

/// A page of events and the query that produced it (for building links).
#[derive(Debug, Clone)]
pub struct LogList {
    /// The validated query.
    pub query: LogQuery,
    /// The events; `next` is the cursor of the next page when there is one.
    pub page: Page<LogEvent>,
}

/// Events of `org` matching the raw parameters of `GET /api/v1/logs`.
pub async fn list(ctx: &Ctx, org: &OrgId, params: &LogListParams) -> Result<LogList, CoreError> {
    let query = parse_query(ctx.clock.now(), params)?;
    let entries = ctx.store.list_log_events(org, &query).await?;
    let page = Page::from_overfetch(entries, query.limit, |e| e.position.encode());
    let page = Page {
        items: page.items.into_iter().map(|e| e.event).collect(),
        next: page.next,
    };
    Ok(LogList { query, page })
}

/// Deletes the org's events published before `before` (retention); returns how many.
pub async fn purge(ctx: &Ctx, org: &OrgId, before: Timestamp) -> Result<u64, CoreError> {
    Ok(ctx.store.purge_log_events(org, before).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_764_050_400_000);

    fn params() -> LogListParams {
        LogListParams::default()
    }

    fn field_of(r: Result<LogQuery, CoreError>) -> String {
        match r {
            Err(CoreError::Validation(v)) => v[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_last_seven_days_ascending_by_100() {
        let q = parse_query(NOW, &params()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.until, NOW);
        assert_eq!(q.since, NOW.plus_millis(-DEFAULT_SPAN_MS));
        assert_eq!(q.limit, 100);
        assert_eq!(q.order, SortOrder::Ascending);
        assert!(q.filters.is_empty() && q.keywords.is_empty() && q.after.is_none());
    }

    #[test]
    fn window_and_paging_parameters_are_checked() {
        let p = |f: fn(&mut LogListParams)| {
            let mut p = params();
            f(&mut p);
            parse_query(NOW, &p)
        };
        let q = p(|p| {
            p.since = Some("2025-11-25T05:00:00+01:00".into());
            p.until = Some("2025-11-25T06:00:00.123Z".into());
            p.sort_order = Some("DESCENDING".into());
            p.limit = Some("1000".into());
            p.q = Some("  Login   OKTA ".into());
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.since, Timestamp(1_764_043_200_000));
        assert_eq!(q.until, Timestamp(1_764_050_400_123));
        assert_eq!(q.order, SortOrder::Descending);
        assert_eq!(q.limit, 1000);
        assert_eq!(q.keywords, vec!["login", "okta"]);
        assert_eq!(field_of(p(|p| p.since = Some("yesterday".into()))), "since");
        assert_eq!(
            field_of(p(|p| {
                p.since = Some("2025-11-25T06:00:00Z".into());
                p.until = Some("2025-11-25T06:00:00Z".into());
            })),
            "until"
        );
        for bad in ["0", "1001", "-1", "ten"] {
            let mut pp = params();
            pp.limit = Some(bad.into());
            assert_eq!(field_of(parse_query(NOW, &pp)), "limit", "{bad}");
        }
        assert_eq!(
            field_of(p(|p| p.sort_order = Some("UP".into()))),
            "sortOrder"
        );
        assert_eq!(field_of(p(|p| p.after = Some("00u123".into()))), "after");
        assert_eq!(field_of(p(|p| p.filter = Some("x".into()))), "filter");
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = LogCursor {
            published: NOW,
            seq: 42,
        };
        assert_eq!(LogCursor::parse(&c.encode()), Some(c));
        for junk in [
            "",
            "x",
            "1x",
            "x1",
            "1x2x3",
            "-1x2",
            "1x 2",
            "99999999999999999999x1",
        ] {
            assert_eq!(LogCursor::parse(junk), None, "{junk}");
        }
    }
}
