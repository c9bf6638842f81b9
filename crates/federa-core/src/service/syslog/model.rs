//! The System Log's event model (CONTRACT §2 system log): Okta-shaped LogEvents (severity,
//! outcome, actor, targets, client, authentication context, debug data) and the input a flow
//! records them from.

use federa_types::{OrgId, Timestamp};
use serde::{Deserialize, Serialize};

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
