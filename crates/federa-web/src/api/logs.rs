//! `GET /api/v1/logs` (CONTRACT §2 system log): the org's System Log as Okta LogEvent objects,
//! with `since`/`until`, `filter`, `q`, `sortOrder`, `limit` and `after`, and `Link` headers for
//! paging. The query semantics live in `federa_core::service::syslog`.

use super::users::with_link;
use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiQuery};
use crate::wire::{link_header, rfc3339};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use federa_core::service::syslog::{
    self, LogActor, LogEvent, LogListParams, LogTarget, OutcomeResult, Severity, SortOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/logs", get(list_logs))
}

/// Query of `GET /api/v1/logs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// Lower bound of `published` (RFC 3339, inclusive); default 7 days before `until`.
    pub since: Option<String>,
    /// Upper bound of `published` (RFC 3339, inclusive); default now. Must be after `since`.
    pub until: Option<String>,
    /// `eventType eq "x"`, `outcome.result eq "X"`, `actor.id eq "x"`, `target.id eq "x"`, joined by `and`.
    pub filter: Option<String>,
    /// Keywords that must all occur (case-insensitively) in the display message, event type, or an actor or target id or name.
    pub q: Option<String>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<String>,
    /// Cursor from the `next` link.
    pub after: Option<String>,
    /// `ASCENDING` (default) or `DESCENDING` by `published`.
    #[serde(rename = "sortOrder")]
    #[param(rename = "sortOrder")]
    pub sort_order: Option<String>,
}

/// `actor` and `target[]` entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogPrincipalOut {
    /// Id.
    pub id: String,
    /// Kind (`User`, `AppInstance`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Login or other identifier.
    pub alternate_id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub detail_entry: Option<serde_json::Value>,
}

impl LogPrincipalOut {
    fn actor(a: &LogActor) -> Self {
        Self {
            id: a.id.clone(),
            kind: a.kind.clone(),
            alternate_id: a.alternate_id.clone(),
            display_name: a.display_name.clone(),
            detail_entry: None,
        }
    }

    fn target(t: &LogTarget) -> Self {
        Self {
            id: t.id.clone(),
            kind: t.kind.clone(),
            alternate_id: t.alternate_id.clone(),
            display_name: t.display_name.clone(),
            detail_entry: None,
        }
    }
}

/// `client.userAgent`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserAgentOut {
    /// The `User-Agent` header as received.
    pub raw_user_agent: Option<String>,
    /// Not derived (null).
    pub os: Option<String>,
    /// Not derived (null).
    pub browser: Option<String>,
}

/// `client`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogClientOut {
    /// User agent.
    pub user_agent: UserAgentOut,
    /// Network zone (null).
    pub zone: Option<String>,
    /// Device kind (null).
    pub device: Option<String>,
    /// Client id (null).
    pub id: Option<String>,
    /// Client address.
    pub ip_address: Option<String>,
    /// Geography (null).
    #[schema(value_type = Option<Object>)]
    pub geographical_context: Option<serde_json::Value>,
}

/// `outcome`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogOutcomeOut {
    /// Result.
    pub result: OutcomeResult,
    /// Reason.
    pub reason: Option<String>,
}

/// `authenticationContext.issuer`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogIssuerOut {
    /// Id of the upstream IdP.
    pub id: String,
    /// Always `IdentityProvider`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `authenticationContext`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogAuthContextOut {
    /// Provider of the authentication.
    pub authentication_provider: Option<String>,
    /// Provider of the credential.
    pub credential_provider: Option<String>,
    /// Credential type.
    pub credential_type: Option<String>,
    /// Upstream issuer.
    pub issuer: Option<LogIssuerOut>,
    /// Always 0.
    pub authentication_step: i64,
    /// Session the event belongs to (`unknown` when none).
    pub external_session_id: String,
    /// Sign-in interface.
    pub interface: Option<String>,
}

/// `transaction`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogTransactionOut {
    /// Always `WEB`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request id.
    pub id: Option<String>,
    /// Always empty.
    #[schema(value_type = Object)]
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// `debugContext`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogDebugContextOut {
    /// Free-form details (strings or JSON values).
    #[schema(value_type = Object)]
    pub debug_data: serde_json::Map<String, serde_json::Value>,
}

/// One hop of `request.ipChain`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IpChainOut {
    /// Address.
    pub ip: String,
    /// Geography (null).
    #[schema(value_type = Option<Object>)]
    pub geographical_context: Option<serde_json::Value>,
    /// IP version (null).
    pub version: Option<String>,
    /// Source (null).
    pub source: Option<String>,
}

/// `request`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogRequestOut {
    /// The client address (one hop).
    pub ip_chain: Vec<IpChainOut>,
}

/// A System Log event (Okta's LogEvent).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogEventOut {
    /// Unique id.
    pub uuid: String,
    /// When (RFC 3339 with milliseconds).
    pub published: String,
    /// Dotted event type.
    pub event_type: String,
    /// Always `0`.
    pub version: String,
    /// Severity.
    pub severity: Severity,
    /// Always null.
    pub legacy_event_type: Option<String>,
    /// Summary.
    pub display_message: String,
    /// Who.
    pub actor: LogPrincipalOut,
    /// From where.
    pub client: LogClientOut,
    /// Device (null).
    #[schema(value_type = Option<Object>)]
    pub device: Option<serde_json::Value>,
    /// How the actor authenticated.
    pub authentication_context: LogAuthContextOut,
    /// Security context (null).
    #[schema(value_type = Option<Object>)]
    pub security_context: Option<serde_json::Value>,
    /// Result.
    pub outcome: LogOutcomeOut,
    /// What.
    pub target: Vec<LogPrincipalOut>,
    /// Request.
    pub transaction: LogTransactionOut,
    /// Details.
    pub debug_context: LogDebugContextOut,
    /// Request path.
    pub request: LogRequestOut,
}

impl LogEventOut {
    /// From a stored event.
    pub fn from_event(e: &LogEvent) -> Self {
        let ac = &e.authentication_context;
        Self {
            uuid: e.uuid.clone(),
            published: rfc3339(e.published),
            event_type: e.event_type.clone(),
            version: "0".into(),
            severity: e.severity,
            legacy_event_type: None,
            display_message: e.display_message.clone(),
            actor: LogPrincipalOut::actor(&e.actor),
            client: LogClientOut {
                user_agent: UserAgentOut {
                    raw_user_agent: e.user_agent.clone(),
                    os: None,
                    browser: None,
                },
                zone: None,
                device: None,
                id: None,
                ip_address: e.client_ip.clone(),
                geographical_context: None,
            },
            device: None,
            authentication_context: LogAuthContextOut {
                authentication_provider: ac.authentication_provider.clone(),
                credential_provider: ac.credential_provider.clone(),
                credential_type: ac.credential_type.clone(),
                issuer: ac.issuer.clone().map(|id| LogIssuerOut {
                    id,
                    kind: "IdentityProvider".into(),
                }),
                authentication_step: 0,
                external_session_id: ac
                    .external_session_id
                    .clone()
                    .unwrap_or_else(|| "unknown".into()),
                interface: ac.interface.clone(),
            },
            security_context: None,
            outcome: LogOutcomeOut {
                result: e.outcome_result,
                reason: e.outcome_reason.clone(),
            },
            target: e.targets.iter().map(LogPrincipalOut::target).collect(),
            transaction: LogTransactionOut {
                kind: "WEB".into(),
                id: e.request_id.clone(),
                detail: serde_json::Map::new(),
            },
            debug_context: LogDebugContextOut {
                debug_data: e.debug_data.clone(),
            },
            request: LogRequestOut {
                ip_chain: e
                    .client_ip
                    .iter()
                    .map(|ip| IpChainOut {
                        ip: ip.clone(),
                        geographical_context: None,
                        version: None,
                        source: None,
                    })
                    .collect(),
            },
        }
    }
}

#[utoipa::path(get, path = "/api/v1/logs", tag = "logs", params(LogsQuery),
    responses((status = 200, body = Vec<LogEventOut>, description = "Events in the window, with a `Link` header (`self`, and `next` when more exist)"),
        (status = 400, body = ErrorObject), (status = 401, body = ErrorObject)),
    security(("ssws" = [])))]
/// Lists System Log events.
pub async fn list_logs(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<LogsQuery>,
) -> Result<Response, ApiError> {
    let params = LogListParams {
        since: q.since,
        until: q.until,
        filter: q.filter,
        q: q.q,
        limit: q.limit,
        after: q.after,
        sort_order: q.sort_order,
    };
    let result = syslog::list(&s.ctx, &admin.org.id, &params).await?;
    let query = &result.query;
    // The next page keeps the resolved window, so a default `since` does not move while paging.
    let since = rfc3339(query.since);
    let until = params.until.as_ref().map(|_| rfc3339(query.until));
    let order = match query.order {
        SortOrder::Ascending => "ASCENDING",
        SortOrder::Descending => "DESCENDING",
    };
    let link = link_header(
        &admin.base,
        "/api/v1/logs",
        query.limit,
        &[
            ("since", Some(since.as_str())),
            ("until", until.as_deref()),
            ("filter", params.filter.as_deref()),
            ("q", params.q.as_deref()),
            ("sortOrder", Some(order)),
        ],
        &result.page,
    );
    let body: Vec<LogEventOut> = result
        .page
        .items
        .iter()
        .map(LogEventOut::from_event)
        .collect();
    Ok(with_link(Json(body).into_response(), &link))
}
