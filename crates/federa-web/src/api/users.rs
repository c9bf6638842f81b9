//! `/api/v1/users`: create, get, list (`q`, `search`, `limit`, `after`), replace, lifecycle,
//! delete; `/api/v1/users/{id}/groups`; and `DELETE /api/v1/users/{id}/sessions`.

use super::{bool_param, page_request};
use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::wire::{GroupOut, UserOut, link_header};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use federa_core::model::{UserProfile, UserQuery};
use federa_core::service::{groups, users};
use federa_types::{GroupId, Secret};
use serde::Deserialize;
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", post(create_user).get(list_users))
        .route(
            "/api/v1/users/{id}",
            get(get_user).put(replace_user).delete(delete_user),
        )
        .route("/api/v1/users/{id}/lifecycle/{op}", post(user_lifecycle))
        .route("/api/v1/users/{id}/sessions", delete(clear_user_sessions))
        .route("/api/v1/users/{id}/groups", get(user_groups))
}

/// `credentials.password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// The password (absent when a client sends back the empty object it received).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub value: Option<Secret<String>>,
}

/// `credentials` on input.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsIn {
    /// A password.
    #[serde(default)]
    pub password: Option<PasswordIn>,
    /// Read-only; ignored when clients send it back.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub provider: Option<serde::de::IgnoredAny>,
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUser {
    /// Profile.
    pub profile: UserProfile,
    /// Credentials.
    #[serde(default)]
    pub credentials: Option<CredentialsIn>,
    /// Groups to join.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub group_ids: Vec<GroupId>,
}

/// Body of `PUT /api/v1/users/{id}`. Read-only fields that SDKs send back are accepted and
/// ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReplaceUser {
    /// The new profile (replaces the old one).
    pub profile: UserProfile,
    /// A new password.
    #[serde(default)]
    pub credentials: Option<CredentialsIn>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    status: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    created: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    activated: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    status_changed: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    last_login: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    last_updated: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    password_changed: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<Object>)]
    kind: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "_links")]
    #[schema(value_type = Option<Object>)]
    links: Option<serde::de::IgnoredAny>,
}

/// Query of `POST /api/v1/users`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CreateQuery {
    /// Activate the user now (default true).
    pub activate: Option<String>,
}

/// Query of `DELETE /api/v1/users/{id}/sessions`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClearSessionsQuery {
    /// Also revoke every OAuth token issued to the user (refresh tokens, and access tokens
    /// as far as this org checks them: introspection, userinfo). Default false.
    pub oauth_tokens: Option<String>,
}

/// Query of `GET /api/v1/users`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Prefix of login, email, first or last name.
    pub q: Option<String>,
    /// Filter: `profile.login eq|sw "x"`, `profile.email eq "x"`, `status eq "ACTIVE"`, joined by `and`.
    pub search: Option<String>,
    /// Page size, 1..=200 (default 200).
    pub limit: Option<String>,
    /// Cursor from the `next` link.
    pub after: Option<String>,
}

fn password_of(c: Option<CredentialsIn>) -> Option<Secret<String>> {
    c.and_then(|c| c.password).and_then(|p| p.value)
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", params(CreateQuery), request_body = CreateUser,
    responses((status = 200, body = UserOut), (status = 400, body = ErrorObject), (status = 401, body = ErrorObject)),
    security(("ssws" = [])))]
/// Creates a user.
pub async fn create_user(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<CreateQuery>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<Json<UserOut>, ApiError> {
    let activate = bool_param("activate", q.activate.as_deref(), true)?;
    let input = users::NewUser {
        profile: body.profile,
        password: password_of(body.credentials),
        group_ids: body.group_ids,
    };
    let u = users::create(&s.ctx, &admin.org.id, input, activate).await?;
    Ok(Json(UserOut::from_user(&u, &admin.base)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = Vec<UserOut>), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Lists users.
pub async fn list_users(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(q.limit.as_deref(), q.after.clone())?;
    let query = UserQuery::parse(q.q.clone(), q.search.as_deref())?;
    let result = users::list(&s.ctx, &admin.org.id, &query, &page).await?;
    let link = link_header(
        &admin.base,
        "/api/v1/users",
        page.limit,
        &[("q", q.q.as_deref()), ("search", q.search.as_deref())],
        &result,
    );
    let body: Vec<UserOut> = result
        .items
        .iter()
        .map(|u| UserOut::from_user(u, &admin.base))
        .collect();
    Ok(with_link(Json(body).into_response(), &link))
}

/// Adds a `Link` header.
pub fn with_link(mut res: Response, link: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(link) {
        res.headers_mut().insert(header::LINK, v);
    }
    res
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id or login")),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Gets a user by id or login.
pub async fn get_user(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    let u = users::get(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(UserOut::from_user(&u, &admin.base)))
}

#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), request_body = ReplaceUser,
    responses((status = 200, body = UserOut), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Replaces a user's profile (and password when given).
pub async fn replace_user(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplaceUser>,
) -> Result<Json<UserOut>, ApiError> {
    let u = users::update(
        &s.ctx,
        &admin.org.id,
        &id,
        body.profile,
        password_of(body.credentials),
    )
    .await?;
    Ok(Json(UserOut::from_user(&u, &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204, description = "Deactivated (first call) or deleted (second call)"), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Deletes a user: the first call deactivates, the second deletes (as Okta).
pub async fn delete_user(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    users::delete(&s.ctx, &admin.org.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/users/{id}/lifecycle/{op}", tag = "users",
    params(("id" = String, Path), ("op" = String, Path, description = "activate, deactivate or unlock")),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorObject), (status = 409, body = ErrorObject)), security(("ssws" = [])))]
/// Lifecycle operations.
pub async fn user_lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<UserOut>, ApiError> {
    let op = users::Lifecycle::parse(&op).ok_or_else(|| {
        ApiError::not_found(format!(
            "lifecycle operation '{}'",
            op.chars().take(32).collect::<String>()
        ))
    })?;
    let u = users::lifecycle(&s.ctx, &admin.org.id, &id, op).await?;
    Ok(Json(UserOut::from_user(&u, &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users",
    params(("id" = String, Path), ClearSessionsQuery),
    responses((status = 204, description = "Every session of the user ended"), (status = 400, body = ErrorObject),
        (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Ends every session of a user (signs them out everywhere), as Okta's "clear user sessions";
/// with `oauthTokens=true` also revokes the user's OAuth tokens.
pub async fn clear_user_sessions(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ClearSessionsQuery>,
) -> Result<StatusCode, ApiError> {
    let revoke_tokens = bool_param("oauthTokens", q.oauth_tokens.as_deref(), false)?;
    users::end_sessions(&s.ctx, &admin.org.id, &id, revoke_tokens).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/users/{id}/groups", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = Vec<GroupOut>), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// The groups of a user.
pub async fn user_groups(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<GroupOut>>, ApiError> {
    let gs = groups::of_user(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(
        gs.iter()
            .map(|g| GroupOut::from_group(g, &admin.base))
            .collect(),
    ))
}
