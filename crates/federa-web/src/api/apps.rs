//! `/api/v1/apps` (CONTRACT §2 "apps"): create, list, get, replace, lifecycle and delete of
//! OIDC clients, SAML service providers and the org2org app, in Okta's Application shape.
//! Bodies are typed ([`AppBody`], over the core's [`AppInput`]); the client secret of a
//! confidential OIDC client is answered once, at creation.

use super::users::with_link;
use super::{bool_param, page_request};
use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::wire::{Links, link, link_header, rfc3339};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use federa_core::model::LifecycleStatus;
use federa_core::model::app::{AppCredentials, AppInput, AppSettings, SignOnMode};
use federa_core::service::apps::{self, App};
use federa_types::Secret;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps", get(list_apps).post(create_app))
        .route(
            "/api/v1/apps/{app}",
            get(get_app).put(replace_app).delete(delete_app),
        )
        .route("/api/v1/apps/{app}/lifecycle/{op}", post(app_lifecycle))
}

/// Body of `POST /api/v1/apps` and `PUT /api/v1/apps/{app}`. Read-only members that SDKs send
/// back (`id`, `status`, `created`, `lastUpdated`, `_links`, `_embedded`, `features`,
/// `visibility`, `accessibility`, `profile`, ...) are accepted and ignored; anything else
/// unknown is refused.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub struct AppBody {
    /// `oidc_client` (default for OIDC), `okta_org2org`, or a custom SAML app's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Label shown to people.
    pub label: String,
    /// `OPENID_CONNECT` or `SAML_2_0`; cannot change on replace.
    pub sign_on_mode: SignOnMode,
    /// OIDC client credentials (`client_id`, `client_secret`, `token_endpoint_auth_method`).
    #[serde(default)]
    pub credentials: Option<AppCredentials>,
    /// `app` (org2org), `oauthClient` (OIDC), `signOn` (SAML, force authentication).
    #[serde(default)]
    pub settings: Option<AppSettings>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    id: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    status: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    created: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    last_updated: Option<IgnoredAny>,
    #[serde(default, rename = "_links")]
    #[schema(value_type = Option<Object>)]
    links: Option<IgnoredAny>,
    #[serde(default, rename = "_embedded")]
    #[schema(value_type = Option<Object>)]
    embedded: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    features: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    visibility: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    accessibility: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    profile: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    licensing: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    orn: Option<IgnoredAny>,
}

/// Never prints the credentials (they may hold a client secret).
impl std::fmt::Debug for AppBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppBody")
            .field("name", &self.name)
            .field("label", &self.label)
            .field("sign_on_mode", &self.sign_on_mode)
            .field("credentials", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl AppBody {
    fn into_input(self) -> AppInput {
        AppInput {
            name: self.name,
            label: self.label,
            sign_on_mode: self.sign_on_mode,
            credentials: self.credentials.unwrap_or_default(),
            settings: self.settings.unwrap_or_default(),
        }
    }
}

/// An app as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppOut {
    /// Id (`0oa...`).
    pub id: String,
    /// App name.
    pub name: String,
    /// Label.
    pub label: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Created.
    pub created: String,
    /// Last change.
    pub last_updated: String,
    /// Protocol.
    pub sign_on_mode: SignOnMode,
    /// OIDC: `oauthClient` with `client_id` and `token_endpoint_auth_method`; the
    /// `client_secret` only in the answer to the creation.
    pub credentials: AppCredentials,
    /// Settings (org2org endpoints filled in).
    pub settings: AppSettings,
    /// `self`, lifecycle, and for SAML apps `metadata` and (ext) `sso`.
    #[serde(rename = "_links")]
    pub links: Links,
}

impl AppOut {
    /// From an app; `secret` is the client secret to show (creation only).
    pub fn from_app(a: &App, secret: Option<&Secret<String>>, base: &url::Url) -> Self {
        let me = format!("api/v1/apps/{}", a.id);
        let mut links = Links::new();
        links.insert("self".into(), link(base, &me));
        let op = if a.is_active() {
            "deactivate"
        } else {
            "activate"
        };
        links.insert(op.into(), link(base, &format!("{me}/lifecycle/{op}")));
        if a.mode == SignOnMode::Saml2 {
            links.insert(
                "metadata".into(),
                link(base, &format!("app/{}/sso/saml/metadata", a.id)),
            );
            links.insert(
                "sso".into(),
                link(base, &format!("app/{}/{}/sso/saml", a.name, a.id)),
            );
        }
        let mut credentials = a.input.credentials.clone();
        if let Some(c) = credentials.oauth_client.as_mut() {
            c.client_id = a.client_id.clone().or(c.client_id.take());
            c.client_secret = secret.map(|s| s.expose().clone());
        }
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            label: a.label.clone(),
            status: a.status.as_str().into(),
            created: rfc3339(a.created),
            last_updated: rfc3339(a.last_updated),
            sign_on_mode: a.mode,
            credentials,
            settings: a.input.settings.clone(),
            links,
        }
    }
}

/// Query of `POST /api/v1/apps`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreateAppQuery {
    /// Create active (default true).
    pub activate: Option<String>,
}

/// Query of `GET /api/v1/apps`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AppListQuery {
    /// Page size, 1..=200 (default 200).
    pub limit: Option<String>,
    /// Cursor from the `next` link.
    pub after: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", params(CreateAppQuery), request_body = AppBody,
    responses((status = 200, body = AppOut, description = "The app; confidential OIDC clients include their client_secret this once"),
        (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Creates an app.
pub async fn create_app(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<CreateAppQuery>,
    ApiJson(body): ApiJson<AppBody>,
) -> Result<Json<AppOut>, ApiError> {
    let activate = bool_param("activate", q.activate.as_deref(), true)?;
    let (app, secret) = apps::create(&s.ctx, &admin.org.id, body.into_input(), activate).await?;
    Ok(Json(AppOut::from_app(&app, secret.as_ref(), &admin.base)))
}

#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", params(AppListQuery),
    responses((status = 200, body = Vec<AppOut>), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Lists apps, oldest first.
pub async fn list_apps(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<AppListQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(q.limit.as_deref(), q.after.clone())?;
    let result = apps::list(&s.ctx, &admin.org.id, &page).await?;
    let link = link_header(&admin.base, "/api/v1/apps", page.limit, &[], &result);
    let body: Vec<AppOut> = result
        .items
        .iter()
        .map(|a| AppOut::from_app(a, None, &admin.base))
        .collect();
    Ok(with_link(Json(body).into_response(), &link))
}

#[utoipa::path(get, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path, description = "App id")),
    responses((status = 200, body = AppOut), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Gets an app.
pub async fn get_app(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<AppOut>, ApiError> {
    let app = apps::get(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(AppOut::from_app(&app, None, &admin.base)))
}

#[utoipa::path(put, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path, description = "App id")), request_body = AppBody,
    responses((status = 200, body = AppOut), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Replaces an app's name, label, credentials and settings (`signOnMode` cannot change; the
/// client secret is kept unless a new one is given).
pub async fn replace_app(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AppBody>,
) -> Result<Json<AppOut>, ApiError> {
    let (app, secret) = apps::replace(&s.ctx, &admin.org.id, &id, body.into_input()).await?;
    Ok(Json(AppOut::from_app(&app, secret.as_ref(), &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path, description = "App id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorObject),
        (status = 409, body = ErrorObject, description = "The app is active: deactivate it first")),
    security(("ssws" = [])))]
/// Deletes an inactive app.
pub async fn delete_app(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    apps::delete(&s.ctx, &admin.org.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/apps/{app}/lifecycle/{op}", tag = "apps",
    params(("app" = String, Path, description = "App id"), ("op" = String, Path, description = "activate or deactivate")),
    responses((status = 200, description = "Done (an empty object)"), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Activates or deactivates an app.
pub async fn app_lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<serde_json::Map<String, serde_json::Value>>, ApiError> {
    let status = match op.as_str() {
        "activate" => LifecycleStatus::Active,
        "deactivate" => LifecycleStatus::Inactive,
        other => {
            return Err(ApiError::not_found(format!(
                "lifecycle operation '{}'",
                other.chars().take(32).collect::<String>()
            )));
        }
    };
    apps::set_status(&s.ctx, &admin.org.id, &id, status).await?;
    Ok(Json(serde_json::Map::new()))
}
