//! `/api/v1/authenticators` (CONTRACT §2 authenticators, reference §2.10): list, get, and
//! lifecycle activate / deactivate, answering Okta's Authenticator object.

use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::Admin;
use crate::wire::{Links, link, rfc3339};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use federa_core::model::{Authenticator, LifecycleStatus};
use federa_core::service::authenticators;
use federa_core::service::defaults::authenticator_type;
use serde::Serialize;
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/authenticators", get(list_authenticators))
        .route("/api/v1/authenticators/{id}", get(get_authenticator))
        .route(
            "/api/v1/authenticators/{id}/lifecycle/{op}",
            post(authenticator_lifecycle),
        )
}

/// `status` of an authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthenticatorStatus {
    /// Usable in sign-in and enrollment.
    Active,
    /// Configured but not used.
    Inactive,
}

/// An authenticator as the API returns it (Okta's Authenticator object).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorOut {
    /// Id.
    pub id: String,
    /// Key, e.g. `okta_password`.
    pub key: String,
    /// Status.
    pub status: AuthenticatorStatus,
    /// Okta type: `password`, `email`, `app`, `phone`, `security_question`, `security_key`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Display name.
    pub name: String,
    /// Created.
    pub created: String,
    /// Last change.
    pub last_updated: String,
    /// Key-specific settings (only when there are some).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
    /// Links: `self` and `activate` or `deactivate`.
    #[serde(rename = "_links")]
    pub links: Links,
}

impl AuthenticatorOut {
    /// From a stored authenticator.
    pub fn from_authenticator(a: &Authenticator, base: &url::Url) -> Self {
        let me = format!("api/v1/authenticators/{}", a.id);
        let mut links = Links::new();
        links.insert("self".into(), link(base, &me));
        let (status, op) = match a.status {
            LifecycleStatus::Active => (AuthenticatorStatus::Active, "deactivate"),
            LifecycleStatus::Inactive => (AuthenticatorStatus::Inactive, "activate"),
        };
        links.insert(op.into(), link(base, &format!("{me}/lifecycle/{op}")));
        let empty = match &a.settings {
            serde_json::Value::Null => true,
            serde_json::Value::Object(m) => m.is_empty(),
            _ => false,
        };
        Self {
            id: a.id.to_string(),
            key: a.key.clone(),
            status,
            kind: authenticator_type(&a.key).map(str::to_string),
            name: a.name.clone(),
            created: rfc3339(a.created),
            last_updated: rfc3339(a.last_updated),
            settings: (!empty).then(|| a.settings.clone()),
            links,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/authenticators", tag = "authenticators",
    responses((status = 200, body = Vec<AuthenticatorOut>), (status = 401, body = ErrorObject)),
    security(("ssws" = [])))]
/// Lists the org's authenticators.
pub async fn list_authenticators(
    State(s): State<AppState>,
    admin: Admin,
) -> Result<Json<Vec<AuthenticatorOut>>, ApiError> {
    let all = authenticators::list(&s.ctx, &admin.org.id).await?;
    Ok(Json(
        all.iter()
            .map(|a| AuthenticatorOut::from_authenticator(a, &admin.base))
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/authenticators/{id}", tag = "authenticators",
    params(("id" = String, Path, description = "Authenticator id")),
    responses((status = 200, body = AuthenticatorOut), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Gets an authenticator.
pub async fn get_authenticator(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<AuthenticatorOut>, ApiError> {
    let a = authenticators::get(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(AuthenticatorOut::from_authenticator(&a, &admin.base)))
}

#[utoipa::path(post, path = "/api/v1/authenticators/{id}/lifecycle/{op}", tag = "authenticators",
    params(("id" = String, Path), ("op" = String, Path, description = "activate or deactivate")),
    responses((status = 200, body = AuthenticatorOut),
        (status = 400, body = ErrorObject, description = "The password authenticator, or one a policy depends on"),
        (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Activates or deactivates an authenticator (idempotent).
pub async fn authenticator_lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<AuthenticatorOut>, ApiError> {
    let op = authenticators::Lifecycle::parse(&op).ok_or_else(|| {
        ApiError::not_found(format!(
            "lifecycle operation '{}'",
            op.chars().take(32).collect::<String>()
        ))
    })?;
    let a = authenticators::lifecycle(&s.ctx, &admin.org.id, &id, op).await?;
    Ok(Json(AuthenticatorOut::from_authenticator(&a, &admin.base)))
}
