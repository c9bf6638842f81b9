//! `POST /api/v1/oauth2/keys/rotate` **(ext)**: rotates the org's token-signing key (Okta's
//! org authorization server rotates on its own; Federa lets the operator do it). The new key
//! signs from now on; earlier keys stay in `/oauth2/v1/keys` for
//! [`federa_core::service::keys::RETIRED_KEY_PUBLISHED_MS`] so tokens they signed still verify.

use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiJson};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use federa_core::service::keys;
use serde::Deserialize;
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/oauth2/keys/rotate", post(rotate_keys))
}

/// Signing algorithm of the new key.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum KeyAlg {
    /// RSA 2048, RSASSA-PKCS1-v1_5 with SHA-256.
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA P-256 with SHA-256.
    #[serde(rename = "ES256")]
    Es256,
}

/// Body of the rotation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeys {
    /// Algorithm of the new key (default RS256).
    #[serde(default)]
    pub alg: Option<KeyAlg>,
}

#[utoipa::path(post, path = "/api/v1/oauth2/keys/rotate", tag = "keys", request_body = RotateKeys,
    responses((status = 200, description = "The new public key (JWK)"), (status = 400, body = ErrorObject)),
    security(("ssws" = [])))]
/// Rotates the org's token-signing key (ext); answers the new public JWK.
pub async fn rotate_keys(
    State(s): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<RotateKeys>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let alg = match body.alg.unwrap_or(KeyAlg::Rs256) {
        KeyAlg::Rs256 => federa_jose::JwsAlg::Rs256,
        KeyAlg::Es256 => federa_jose::JwsAlg::Es256,
    };
    let key = keys::rotate_jws(&s.ctx, &admin.org.id, alg).await?;
    let jwk = serde_json::to_value(key.public_jwk())
        .map_err(|e| ApiError::from(federa_core::CoreError::Internal(e.to_string())))?;
    Ok(Json(jwk))
}
