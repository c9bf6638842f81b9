//! `/api/v1/groups`: create, list (`q`), get, delete, and membership.

use super::page_request;
use super::users::with_link;
use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::wire::{GroupOut, UserOut, link_header};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use federa_core::model::GroupProfile;
use federa_core::service::groups;
use serde::Deserialize;
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups", get(list_groups).post(create_group))
        .route("/api/v1/groups/{gid}", get(get_group).delete(delete_group))
        .route("/api/v1/groups/{gid}/users", get(group_members))
        .route(
            "/api/v1/groups/{gid}/users/{uid}",
            put(add_member).delete(remove_member),
        )
}

/// Body of `POST /api/v1/groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// Name and description.
    pub profile: GroupProfile,
}

/// Query of `GET /api/v1/groups`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GroupListQuery {
    /// Name prefix.
    pub q: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Cursor.
    pub after: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = CreateGroup,
    responses((status = 200, body = GroupOut), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Creates a group.
pub async fn create_group(
    State(s): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<CreateGroup>,
) -> Result<Json<GroupOut>, ApiError> {
    let g = groups::create(&s.ctx, &admin.org.id, body.profile).await?;
    Ok(Json(GroupOut::from_group(&g, &admin.base)))
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(GroupListQuery),
    responses((status = 200, body = Vec<GroupOut>)), security(("ssws" = [])))]
/// Lists groups.
pub async fn list_groups(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<GroupListQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(q.limit.as_deref(), q.after.clone())?;
    let result = groups::list(&s.ctx, &admin.org.id, q.q.as_deref(), &page).await?;
    let link = link_header(
        &admin.base,
        "/api/v1/groups",
        page.limit,
        &[("q", q.q.as_deref())],
        &result,
    );
    let body: Vec<GroupOut> = result
        .items
        .iter()
        .map(|g| GroupOut::from_group(g, &admin.base))
        .collect();
    Ok(with_link(Json(body).into_response(), &link))
}

#[utoipa::path(get, path = "/api/v1/groups/{gid}", tag = "groups", params(("gid" = String, Path)),
    responses((status = 200, body = GroupOut), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Gets a group.
pub async fn get_group(
    State(s): State<AppState>,
    admin: Admin,
    Path(gid): Path<String>,
) -> Result<Json<GroupOut>, ApiError> {
    let g = groups::get(&s.ctx, &admin.org.id, &gid).await?;
    Ok(Json(GroupOut::from_group(&g, &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/groups/{gid}", tag = "groups", params(("gid" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Deletes a group.
pub async fn delete_group(
    State(s): State<AppState>,
    admin: Admin,
    Path(gid): Path<String>,
) -> Result<StatusCode, ApiError> {
    groups::delete(&s.ctx, &admin.org.id, &gid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/groups/{gid}/users", tag = "groups", params(("gid" = String, Path), ("limit" = Option<String>, Query), ("after" = Option<String>, Query)),
    responses((status = 200, body = Vec<UserOut>), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Members of a group.
pub async fn group_members(
    State(s): State<AppState>,
    admin: Admin,
    Path(gid): Path<String>,
    ApiQuery(q): ApiQuery<GroupListQuery>,
) -> Result<Response, ApiError> {
    if q.q.is_some() {
        return Err(ApiError::validation("q: not supported on group members"));
    }
    let page = page_request(q.limit.as_deref(), q.after.clone())?;
    let result = groups::members(&s.ctx, &admin.org.id, &gid, &page).await?;
    let path = format!("/api/v1/groups/{gid}/users");
    let link = link_header(&admin.base, &path, page.limit, &[], &result);
    let body: Vec<UserOut> = result
        .items
        .iter()
        .map(|u| UserOut::from_user(u, &admin.base))
        .collect();
    Ok(with_link(Json(body).into_response(), &link))
}

#[utoipa::path(put, path = "/api/v1/groups/{gid}/users/{uid}", tag = "groups", params(("gid" = String, Path), ("uid" = String, Path)),
    responses((status = 204, description = "Member added"), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Adds a member.
pub async fn add_member(
    State(s): State<AppState>,
    admin: Admin,
    Path((gid, uid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    groups::add_member(&s.ctx, &admin.org.id, &gid, &uid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/groups/{gid}/users/{uid}", tag = "groups", params(("gid" = String, Path), ("uid" = String, Path)),
    responses((status = 204, description = "Member removed"), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Removes a member.
pub async fn remove_member(
    State(s): State<AppState>,
    admin: Admin,
    Path((gid, uid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    groups::remove_member(&s.ctx, &admin.org.id, &gid, &uid).await?;
    Ok(StatusCode::NO_CONTENT)
}
