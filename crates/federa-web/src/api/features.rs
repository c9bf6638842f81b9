//! `/api/v1/features` (CONTRACT §2 features, reference §2.11): list, get, and
//! `lifecycle/enable|disable` of the org's claims-sharing features, answering Okta's Feature
//! object. Disabling is refused with 403 `E0000250`–`E0000252` when policies depend on the
//! claims the feature lets in (reference §1.14).

use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::Admin;
use crate::wire::{Links, link};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use federa_core::service::features::{self, Feature};
use serde::Serialize;
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/features", get(list_features))
        .route("/api/v1/features/{id}", get(get_feature))
        .route(
            "/api/v1/features/{id}/lifecycle/{op}",
            post(feature_lifecycle),
        )
}

/// `status` of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeatureStatus {
    /// On.
    Enabled,
    /// Off.
    Disabled,
}

/// `stage` of a feature.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeatureStage {
    /// `EA` or `BETA`.
    pub value: String,
    /// `OPEN` or `CLOSED` for `BETA`; absent for `EA`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A feature as the API returns it (Okta's Feature object).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeatureOut {
    /// Id, e.g. `ORG2ORG_CLAIMS_SHARING`.
    pub id: String,
    /// Always `self-service`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Status.
    pub status: FeatureStatus,
    /// Display name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Release stage.
    pub stage: FeatureStage,
    /// Links: `self` and `enable` or `disable`.
    #[serde(rename = "_links")]
    pub links: Links,
}

impl FeatureOut {
    /// From a feature with its state.
    pub fn from_feature(f: &Feature, base: &url::Url) -> Self {
        let me = format!("api/v1/features/{}", f.info.id);
        let mut links = Links::new();
        links.insert("self".into(), link(base, &me));
        let (status, op) = if f.enabled {
            (FeatureStatus::Enabled, "disable")
        } else {
            (FeatureStatus::Disabled, "enable")
        };
        links.insert(op.into(), link(base, &format!("{me}/lifecycle/{op}")));
        Self {
            id: f.info.id.to_string(),
            kind: "self-service".into(),
            status,
            name: f.info.name.to_string(),
            description: f.info.description.to_string(),
            stage: FeatureStage {
                value: "EA".into(),
                state: None,
            },
            links,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/features", tag = "features",
    responses((status = 200, body = Vec<FeatureOut>), (status = 401, body = ErrorObject)),
    security(("ssws" = [])))]
/// Lists the org's features.
pub async fn list_features(
    State(s): State<AppState>,
    admin: Admin,
) -> Result<Json<Vec<FeatureOut>>, ApiError> {
    let all = features::list(&s.ctx, &admin.org.id).await?;
    Ok(Json(
        all.iter()
            .map(|f| FeatureOut::from_feature(f, &admin.base))
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/features/{id}", tag = "features",
    params(("id" = String, Path, description = "Feature id, e.g. ORG2ORG_CLAIMS_SHARING")),
    responses((status = 200, body = FeatureOut), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Gets a feature.
pub async fn get_feature(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<FeatureOut>, ApiError> {
    let f = features::get(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(FeatureOut::from_feature(&f, &admin.base)))
}

#[utoipa::path(post, path = "/api/v1/features/{id}/lifecycle/{op}", tag = "features",
    params(("id" = String, Path), ("op" = String, Path, description = "enable or disable")),
    responses((status = 200, body = FeatureOut),
        (status = 403, body = ErrorObject, description = "E0000250/E0000251/E0000252: policies depend on trusted claims"),
        (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Enables or disables a feature (idempotent).
pub async fn feature_lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<FeatureOut>, ApiError> {
    let op = features::Lifecycle::parse(&op).ok_or_else(|| {
        ApiError::not_found(format!(
            "lifecycle operation '{}'",
            op.chars().take(32).collect::<String>()
        ))
    })?;
    let f = features::lifecycle(&s.ctx, &admin.org.id, &id, op).await?;
    Ok(Json(FeatureOut::from_feature(&f, &admin.base)))
}
