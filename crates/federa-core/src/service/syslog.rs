//! The System Log (CONTRACT §2 system log): recording Okta-shaped LogEvents and querying them.
//! [`record`] is what every flow calls; it returns its error so the caller decides whether a
//! failed write stops the flow. [`list`] answers `GET /api/v1/logs` (time window, `filter`,
//! `q`, order and cursor paging); the filter grammar lives in [`filter`].

pub mod filter;

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::page::Page;
use federa_types::{OrgId, Timestamp};
use serde::{Deserialize, Serialize};

pub use filter::parse_filter;

/// How serious an event is (Okta's `severity`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Diagnostics.
    Debug,
    /// Normal operation (the default).
    #[default]
    Info,
    /// Something worth a look (failed sign-in, lockout).
    Warn,
    /// Something failed.
    Error,
}

impl Severity {
    /// Wire and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Debug, Self::Info, Self::Warn, Self::Error]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// `outcome.result` of an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum OutcomeResult {
    /// It worked (the default).
    #[default]
    Success,
    /// It failed.
    Failure,
    /// More is needed (a factor challenge).
    Challenge,
    /// A policy denied it.
    Deny,
    /// A policy allowed it.
    Allow,
    /// Nothing was done.
    Skipped,
    /// Not known.
    Unknown,
}

impl OutcomeResult {
    /// Every value, in the order Okta documents them.
    pub const ALL: [OutcomeResult; 7] = [
        Self::Success,
        Self::Failure,
        Self::Skipped,
        Self::Allow,
        Self::Deny,
        Self::Challenge,
        Self::Unknown,
    ];

    /// Wire and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Failure => "FAILURE",
            Self::Challenge => "CHALLENGE",
            Self::Deny => "DENY",
            Self::Allow => "ALLOW",
            Self::Skipped => "SKIPPED",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Who did it (Okta's `actor`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogActor {
    /// Id (a user id, an app id, `unknown`).
    pub id: String,
    /// Kind: `User`, `PublicClientApp`, `SystemPrincipal`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Login or another human-readable identifier.
    pub alternate_id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
}

impl LogActor {
    /// A user.
    pub fn user(id: impl Into<String>, login: impl Into<String>, name: Option<String>) -> Self {
        Self {
            id: id.into(),
            kind: "User".into(),
            alternate_id: Some(login.into()),
            display_name: name,
        }
    }

    /// Nobody known yet (e.g. a sign-in with an unknown username), as Okta writes it.
    pub fn unknown() -> Self {
        Self {
            id: "unknown".into(),
            kind: "User".into(),
            alternate_id: Some("unknown".into()),
            display_name: Some("unknown".into()),
        }
    }

    /// Federa itself (system actions such as start-up maintenance).
    pub fn system() -> Self {
        Self {
            id: "system".into(),
            kind: "SystemPrincipal".into(),
            alternate_id: Some("system@federa".into()),
            display_name: Some("Federa".into()),
        }
    }
}

/// What it was done to (one entry of Okta's `target[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogTarget {
    /// Id of the object.
    pub id: String,
    /// Kind: `User`, `AppInstance`, `Policy`, `PolicyRule`, `IdentityProvider`, `Factor`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Login, name or other human-readable identifier.
    pub alternate_id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
}

impl LogTarget {
    /// A target of `kind` with `id`.
    pub fn new(id: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind: kind.into(),
            alternate_id: None,
            display_name: None,
        }
    }

    /// A user.
    pub fn user(id: impl Into<String>, login: impl Into<String>, name: Option<String>) -> Self {
        Self {
            id: id.into(),
            kind: "User".into(),
            alternate_id: Some(login.into()),
            display_name: name,
        }
    }

    /// Sets `alternateId`.
    pub fn with_alternate_id(mut self, v: impl Into<String>) -> Self {
        self.alternate_id = Some(v.into());
        self
    }

    /// Sets `displayName`.
    pub fn with_display_name(mut self, v: impl Into<String>) -> Self {
        self.display_name = Some(v.into());
        self
    }
}

/// Okta's `authenticationContext`: how the actor authenticated, as far as known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogAuthContext {
    /// `OKTA_AUTHENTICATION_PROVIDER`, `FACTOR_PROVIDER`, `FEDERATION`...
    pub authentication_provider: Option<String>,
    /// `OKTA_CREDENTIAL_PROVIDER`, `GOOGLE_CREDENTIAL_PROVIDER`...
    pub credential_provider: Option<String>,
    /// `PASSWORD`, `OTP`, `SMS`, `EMAIL`, `ASSERTION`...
    pub credential_type: Option<String>,
    /// The upstream issuer of a federated sign-in (`{id, type}` in Okta; here its id).
    pub issuer: Option<String>,
    /// The session the event belongs to.
    pub external_session_id: Option<String>,
    /// The sign-in interface (e.g. `Okta Sign-In Page`).
    pub interface: Option<String>,
}

impl LogAuthContext {
    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One stored System Log event (the domain form; `federa-web` renders Okta's LogEvent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    /// Unique id (a UUID).
    pub uuid: String,
    /// The org.
    pub org_id: OrgId,
    /// When it happened.
    pub published: Timestamp,
    /// Dotted type, e.g. `user.session.start`.
    pub event_type: String,
    /// Human-readable summary.
    pub display_message: String,
    /// Severity.
    pub severity: Severity,
    /// `outcome.result`.
    pub outcome_result: OutcomeResult,
    /// `outcome.reason`.
    pub outcome_reason: Option<String>,
    /// Who.
    pub actor: LogActor,
    /// To what.
    pub targets: Vec<LogTarget>,
    /// Client address.
    pub client_ip: Option<String>,
    /// Client `User-Agent`.
    pub user_agent: Option<String>,
    /// The request id (`transaction.id`).
    pub request_id: Option<String>,
    /// `authenticationContext`.
    #[serde(default)]
    pub authentication_context: LogAuthContext,
    /// `debugContext.debugData`.
    #[serde(default)]
    pub debug_data: serde_json::Map<String, serde_json::Value>,
}

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

impl LogEvent {
    /// The lower-cased text that `q` keywords are matched against: display message, event
    /// type, and the actor's and targets' ids and names.
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.display_message, &self.event_type, &self.actor.id];
        parts.extend(self.actor.alternate_id.as_deref());
        parts.extend(self.actor.display_name.as_deref());
        for t in &self.targets {
            parts.push(&t.id);
            parts.extend(t.alternate_id.as_deref());
            parts.extend(t.display_name.as_deref());
        }
        parts.join("\n").to_lowercase()
    }
}

/// What a flow records (the lead's sign-in, the broker, admin changes). Fields not given
/// default to an INFO SUCCESS event by the unknown actor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogEventInput {
    /// Dotted type, e.g. `user.session.start`, `policy.evaluate_sign_on`.
    pub event_type: String,
    /// Human-readable summary, e.g. `User login to Okta`.
    pub display_message: String,
    /// Severity.
    pub severity: Severity,
    /// `outcome.result`.
    pub outcome_result: OutcomeResult,
    /// `outcome.reason`, e.g. `INVALID_CREDENTIALS`.
    pub outcome_reason: Option<String>,
    /// Who; None records Okta's `unknown` actor.
    pub actor: Option<LogActor>,
    /// To what.
    pub targets: Vec<LogTarget>,
    /// Client address.
    pub client_ip: Option<String>,
    /// Client `User-Agent`.
    pub user_agent: Option<String>,
    /// The request id (becomes `transaction.id`).
    pub request_id: Option<String>,
    /// `debugContext.debugData` (e.g. credited and ignored claims, the policy decision).
    pub debug_data: serde_json::Map<String, serde_json::Value>,
    /// `authenticationContext` (optional; empty by default).
    pub authentication_context: LogAuthContext,
}

impl LogEventInput {
    /// An INFO SUCCESS event of `event_type` with `display_message`; set the rest with struct
    /// update syntax or the fields.
    pub fn new(event_type: impl Into<String>, display_message: impl Into<String>) -> Self {
        Self {
            event_type: event_type.into(),
            display_message: display_message.into(),
            ..Self::default()
        }
    }
}

/// Longest stored display message, reason, user agent, id or name (longer ones are cut).
const MAX_TEXT: usize = 1024;
/// Largest `debugData`, as JSON.
pub const MAX_DEBUG_DATA_BYTES: usize = 64 * 1024;
/// Most targets per event.
pub const MAX_TARGETS: usize = 50;

fn cut(s: String) -> String {
    if s.chars().count() <= MAX_TEXT {
        s
    } else {
        s.chars().take(MAX_TEXT).collect()
    }
}

fn cut_opt(s: Option<String>) -> Option<String> {
    s.map(cut)
}

fn event_type_ok(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 255
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        && !t.starts_with('.')
        && !t.ends_with('.')
}

/// A random RFC 4122 version-4 UUID.
fn new_uuid(ctx: &Ctx) -> String {
    let mut b: [u8; 16] = ctx.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Builds the stored event (pure: validation, defaults, truncation).
fn build(
    org: &OrgId,
    uuid: String,
    published: Timestamp,
    input: LogEventInput,
) -> Result<LogEvent, CoreError> {
    if !event_type_ok(&input.event_type) {
        return Err(CoreError::invalid(
            "eventType",
            "eventType must be 1 to 255 characters of letters, digits, '_' and inner '.'",
        ));
    }
    if input.targets.len() > MAX_TARGETS {
        return Err(CoreError::invalid(
            "target",
            format!("at most {MAX_TARGETS} targets"),
        ));
    }
    let debug_len = serde_json::to_string(&input.debug_data)
        .map_err(|e| CoreError::Internal(format!("cannot encode debugData: {e}")))?
        .len();
    if debug_len > MAX_DEBUG_DATA_BYTES {
        return Err(CoreError::invalid(
            "debugContext.debugData",
            format!("debugData must be at most {MAX_DEBUG_DATA_BYTES} bytes of JSON"),
        ));
    }
    let who = |a: LogActor| LogActor {
        id: cut(a.id),
        kind: cut(a.kind),
        alternate_id: cut_opt(a.alternate_id),
        display_name: cut_opt(a.display_name),
    };
    let ac = input.authentication_context;
    Ok(LogEvent {
        uuid,
        org_id: org.clone(),
        published,
        event_type: input.event_type,
        display_message: cut(input.display_message),
        severity: input.severity,
        outcome_result: input.outcome_result,
        outcome_reason: cut_opt(input.outcome_reason),
        actor: who(input.actor.unwrap_or_else(LogActor::unknown)),
        targets: input
            .targets
            .into_iter()
            .map(|t| LogTarget {
                id: cut(t.id),
                kind: cut(t.kind),
                alternate_id: cut_opt(t.alternate_id),
                display_name: cut_opt(t.display_name),
            })
            .collect(),
        client_ip: cut_opt(input.client_ip),
        user_agent: cut_opt(input.user_agent),
        request_id: cut_opt(input.request_id),
        authentication_context: LogAuthContext {
            authentication_provider: cut_opt(ac.authentication_provider),
            credential_provider: cut_opt(ac.credential_provider),
            credential_type: cut_opt(ac.credential_type),
            issuer: cut_opt(ac.issuer),
            external_session_id: cut_opt(ac.external_session_id),
            interface: cut_opt(ac.interface),
        },
        debug_data: input.debug_data,
    })
}

/// Records an event in the org's System Log, published now (by `ctx.clock`). Over-long texts
/// are cut to 1024 characters; a malformed event type, more than 50 targets or more than
/// 64 KiB of debug data is a validation error. Storage failures are returned too: the caller
/// decides whether the flow goes on.
pub async fn record(ctx: &Ctx, org: &OrgId, input: LogEventInput) -> Result<(), CoreError> {
    let event = build(org, new_uuid(ctx), ctx.clock.now(), input)?;
    ctx.store.insert_log_event(&event).await?;
    Ok(())
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

    fn org() -> OrgId {
        OrgId::parse("00o00000000000000000").unwrap_or_else(|e| panic!("{e}"))
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

    #[test]
    fn events_get_defaults_and_long_texts_are_cut() {
        let input = LogEventInput {
            user_agent: Some("u".repeat(5000)),
            targets: vec![LogTarget::new("00u1", "User")],
            ..LogEventInput::new("user.session.start", "User login to Okta")
        };
        let e = build(&org(), "id".into(), NOW, input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.actor, LogActor::unknown());
        assert_eq!(e.severity, Severity::Info);
        assert_eq!(e.outcome_result, OutcomeResult::Success);
        assert_eq!(e.user_agent.as_ref().map(String::len), Some(MAX_TEXT));
        assert!(
            e.search_text()
                .contains("user login to okta\nuser.session.start")
        );
    }

    #[test]
    fn malformed_events_are_refused() {
        let bad = |input: LogEventInput| build(&org(), "id".into(), NOW, input).is_err();
        assert!(bad(LogEventInput::new("", "x")));
        assert!(bad(LogEventInput::new("user session", "x")));
        assert!(bad(LogEventInput::new(".user", "x")));
        assert!(bad(LogEventInput {
            targets: vec![LogTarget::default(); MAX_TARGETS + 1],
            ..LogEventInput::new("a.b", "x")
        }));
        let mut big = serde_json::Map::new();
        big.insert("blob".into(), "x".repeat(MAX_DEBUG_DATA_BYTES).into());
        assert!(bad(LogEventInput {
            debug_data: big,
            ..LogEventInput::new("a.b", "x")
        }));
    }
}
