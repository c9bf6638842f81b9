//! `/api/v1/policies` (CONTRACT §2, reference §2.4–2.9): policies and their rules, lifecycle,
//! app assignment, and `POST /api/v1/policies/simulate` (CONTRACT §5). Bodies are validated by
//! federa-policy; answers are its canonical form plus `created`, `lastUpdated` and `_links`.

use super::bool_param;
use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::wire::{link, rfc3339};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use federa_core::model::{LifecycleStatus, StoredPolicy, StoredRule};
use federa_core::service::{policies, simulate};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/policies", get(list_policies).post(create_policy))
        .route("/api/v1/policies/simulate", post(simulate_policy))
        .route(
            "/api/v1/policies/{id}",
            get(get_policy).put(replace_policy).delete(delete_policy),
        )
        .route(
            "/api/v1/policies/{id}/lifecycle/{op}",
            post(policy_lifecycle),
        )
        .route(
            "/api/v1/policies/{id}/rules",
            get(list_rules).post(create_rule),
        )
        .route(
            "/api/v1/policies/{id}/rules/{rule}",
            get(get_rule).put(replace_rule).delete(delete_rule),
        )
        .route(
            "/api/v1/policies/{id}/rules/{rule}/lifecycle/{op}",
            post(rule_lifecycle),
        )
        .route("/api/v1/apps/{app}/policies/{policy}", put(assign_policy))
}

fn with_meta(
    mut body: Value,
    created: federa_types::Timestamp,
    updated: federa_types::Timestamp,
    links: Vec<(&str, String)>,
    base: &url::Url,
) -> Value {
    if let Value::Object(m) = &mut body {
        m.insert("created".into(), Value::String(rfc3339(created)));
        m.insert("lastUpdated".into(), Value::String(rfc3339(updated)));
        let mut l = Map::new();
        for (name, path) in links {
            l.insert(
                name.into(),
                serde_json::to_value(link(base, &path)).unwrap_or(Value::Null),
            );
        }
        m.insert("_links".into(), Value::Object(l));
    }
    body
}

fn policy_json(p: &StoredPolicy, base: &url::Url) -> Value {
    let me = format!("api/v1/policies/{}", p.id);
    let mut links = vec![("self", me.clone()), ("rules", format!("{me}/rules"))];
    match p.status {
        LifecycleStatus::Active if !p.system => {
            links.push(("deactivate", format!("{me}/lifecycle/deactivate")))
        }
        LifecycleStatus::Inactive => links.push(("activate", format!("{me}/lifecycle/activate"))),
        LifecycleStatus::Active => {}
    }
    with_meta(p.body.clone(), p.created, p.last_updated, links, base)
}

fn rule_json(r: &StoredRule, base: &url::Url) -> Value {
    let me = format!("api/v1/policies/{}/rules/{}", r.policy_id, r.id);
    let mut links = vec![("self", me.clone())];
    match r.status {
        LifecycleStatus::Active if !r.system => {
            links.push(("deactivate", format!("{me}/lifecycle/deactivate")))
        }
        LifecycleStatus::Inactive => links.push(("activate", format!("{me}/lifecycle/activate"))),
        LifecycleStatus::Active => {}
    }
    with_meta(r.body.clone(), r.created, r.last_updated, links, base)
}

fn lifecycle_op(op: &str) -> Result<bool, ApiError> {
    match op {
        "activate" => Ok(true),
        "deactivate" => Ok(false),
        other => Err(ApiError::not_found(format!(
            "lifecycle operation '{}'",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

/// Query of `GET /api/v1/policies`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PolicyListQuery {
    /// `OKTA_SIGN_ON`, `ACCESS_POLICY`, `IDP_DISCOVERY` or `MFA_ENROLL` (required).
    #[serde(rename = "type")]
    pub policy_type: Option<String>,
}

/// Query of the create endpoints.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActivateQuery {
    /// Create active (default true).
    pub activate: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/policies", tag = "policies", params(PolicyListQuery),
    responses((status = 200, description = "Policies of the type, in evaluation order"), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Lists policies of a type.
pub async fn list_policies(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<PolicyListQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let ps = policies::list(&s.ctx, &admin.org.id, q.policy_type.as_deref()).await?;
    Ok(Json(
        ps.iter().map(|p| policy_json(p, &admin.base)).collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/policies", tag = "policies", params(ActivateQuery), request_body = Object,
    responses((status = 200, description = "The created policy"), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Creates a policy.
pub async fn create_policy(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<ActivateQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let activate = bool_param("activate", q.activate.as_deref(), true)?;
    let p = policies::create(&s.ctx, &admin.org.id, &body, activate).await?;
    Ok(Json(policy_json(&p, &admin.base)))
}

#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "policies", params(("id" = String, Path)),
    responses((status = 200, description = "The policy"), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Gets a policy.
pub async fn get_policy(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = policies::get(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(policy_json(&p, &admin.base)))
}

#[utoipa::path(put, path = "/api/v1/policies/{id}", tag = "policies", params(("id" = String, Path)), request_body = Object,
    responses((status = 200, description = "The policy"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Replaces a policy.
pub async fn replace_policy(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let p = policies::replace(&s.ctx, &admin.org.id, &id, &body).await?;
    Ok(Json(policy_json(&p, &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/policies/{id}", tag = "policies", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Deletes a policy and its rules.
pub async fn delete_policy(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    policies::delete(&s.ctx, &admin.org.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/policies/{id}/lifecycle/{op}", tag = "policies", params(("id" = String, Path), ("op" = String, Path, description = "activate or deactivate")),
    responses((status = 204, description = "Done"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Activates or deactivates a policy.
pub async fn policy_lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, op)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let active = lifecycle_op(&op)?;
    policies::set_status(&s.ctx, &admin.org.id, &id, active).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/policies/{id}/rules", tag = "policies", params(("id" = String, Path)),
    responses((status = 200, description = "Rules in evaluation order"), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Lists a policy's rules.
pub async fn list_rules(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let rs = policies::rules(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(rs.iter().map(|r| rule_json(r, &admin.base)).collect()))
}

#[utoipa::path(post, path = "/api/v1/policies/{id}/rules", tag = "policies", params(("id" = String, Path), ActivateQuery), request_body = Object,
    responses((status = 200, description = "The created rule"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Adds a rule.
pub async fn create_rule(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ActivateQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let activate = bool_param("activate", q.activate.as_deref(), true)?;
    let r = policies::create_rule(&s.ctx, &admin.org.id, &id, &body, activate).await?;
    Ok(Json(rule_json(&r, &admin.base)))
}

#[utoipa::path(get, path = "/api/v1/policies/{id}/rules/{rule}", tag = "policies", params(("id" = String, Path), ("rule" = String, Path)),
    responses((status = 200, description = "The rule"), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Gets a rule.
pub async fn get_rule(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, rule)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let r = policies::rule(&s.ctx, &admin.org.id, &id, &rule).await?;
    Ok(Json(rule_json(&r, &admin.base)))
}

#[utoipa::path(put, path = "/api/v1/policies/{id}/rules/{rule}", tag = "policies", params(("id" = String, Path), ("rule" = String, Path)), request_body = Object,
    responses((status = 200, description = "The rule"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Replaces a rule.
pub async fn replace_rule(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, rule)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let r = policies::replace_rule(&s.ctx, &admin.org.id, &id, &rule, &body).await?;
    Ok(Json(rule_json(&r, &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/policies/{id}/rules/{rule}", tag = "policies", params(("id" = String, Path), ("rule" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Deletes a rule.
pub async fn delete_rule(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, rule)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    policies::delete_rule(&s.ctx, &admin.org.id, &id, &rule).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/policies/{id}/rules/{rule}/lifecycle/{op}", tag = "policies",
    params(("id" = String, Path), ("rule" = String, Path), ("op" = String, Path, description = "activate or deactivate")),
    responses((status = 204, description = "Done"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Activates or deactivates a rule.
pub async fn rule_lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, rule, op)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let active = lifecycle_op(&op)?;
    policies::set_rule_status(&s.ctx, &admin.org.id, &id, &rule, active).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/apps/{app}/policies/{policy}", tag = "policies", params(("app" = String, Path), ("policy" = String, Path)),
    responses((status = 204, description = "Assigned"), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Assigns an authentication policy to an app.
pub async fn assign_policy(
    State(s): State<AppState>,
    admin: Admin,
    Path((app, policy)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    policies::bind_app(&s.ctx, &admin.org.id, &app, &policy).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/policies/simulate", tag = "policies", request_body = Object,
    responses((status = 200, description = "Decision, credited and ignored claims, unmet requirements, challenge options, explanation"), (status = 400, body = ErrorObject)),
    security(("ssws" = [])))]
/// Simulates a sign-in decision without side effects (ext).
pub async fn simulate_policy(
    State(s): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<federa_policy::simulate::SimulateResponse>, ApiError> {
    let r = simulate::run(&s.ctx, &admin.org, &body).await?;
    Ok(Json(r))
}
