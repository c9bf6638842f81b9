//! `/api/v1/idps` (CONTRACT §2 "IdPs" and "SP metadata", reference §2.1–2.3): create, list,
//! get, replace, lifecycle and delete of `SAML2`, `OIDC` and `OKTA_INTEGRATION` identity
//! providers in Okta's `IdentityProvider` shape; the org's IdP trust store
//! (`/api/v1/idps/credentials/keys`, Okta's `IdPKeyCredential`); and the public SP side of each
//! IdP: SAML SP metadata (`metadata.xml`, alias `idp-metadata.xml`) and **(ext)** the SP
//! encryption key as a JWK Set (`jwks`). Thin: extract, call `federa_core::service::idps`,
//! render. The upstream client secret is write-only.

use super::users::with_link;
use super::{bool_param, page_request};
use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiJson, ApiQuery, OrgHost};
use crate::wire::{Links, link, link_header, rfc3339};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use federa_core::model::LifecycleStatus;
use federa_core::model::idp::{
    IdpInput, IdpKeyCredential, IdpPolicy, IdpProtocol, IdpType, OidcProtocol, SamlProtocol,
};
use federa_core::service::idps::{self, Idp};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes (admin and public).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/idps", get(list_idps).post(create_idp))
        .route(
            "/api/v1/idps/credentials/keys",
            get(list_idp_keys).post(create_idp_key),
        )
        .route(
            "/api/v1/idps/credentials/keys/{kid}",
            get(get_idp_key).delete(delete_idp_key),
        )
        .route(
            "/api/v1/idps/{idp}",
            get(get_idp).put(replace_idp).delete(delete_idp),
        )
        .route("/api/v1/idps/{idp}/lifecycle/{op}", post(idp_lifecycle))
        .route("/api/v1/idps/{idp}/metadata.xml", get(sp_metadata))
        .route(
            "/api/v1/idps/{idp}/idp-metadata.xml",
            get(sp_metadata_alias),
        )
        .route("/api/v1/idps/{idp}/jwks", get(sp_jwks))
}

/// Body of `POST /api/v1/idps` and `PUT /api/v1/idps/{idp}`. Read-only members SDKs send back
/// (`id`, `status`, `created`, `lastUpdated`, `_links`, `_embedded`) are accepted and ignored;
/// anything else unknown is refused.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub struct IdpBody {
    /// Name (1..=100 characters, unique in the org).
    pub name: String,
    /// `SAML2`, `OIDC` or `OKTA_INTEGRATION`; cannot change on replace.
    #[serde(rename = "type")]
    pub kind: IdpType,
    /// `DYNAMIC`, `ORG_URL` or `CUSTOM_URL` (echoed).
    #[serde(default)]
    pub issuer_mode: Option<String>,
    /// `ProtocolSaml` (`type: SAML2`) or `ProtocolOidc` (`type: OIDC`).
    #[schema(value_type = IdpProtocol)]
    pub protocol: serde_json::Value,
    /// `IdentityProviderPolicy`.
    #[serde(default)]
    pub policy: Option<IdpPolicy>,
    /// Echoed.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Value>,
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
}

/// Never prints the protocol (it may hold a client secret).
impl std::fmt::Debug for IdpBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpBody")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("protocol", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Parses `protocol` by its `type`, naming the offending field (`protocol.…`) on error.
fn parse_protocol(mut v: serde_json::Value) -> Result<IdpProtocol, ApiError> {
    let obj = v
        .as_object_mut()
        .ok_or_else(|| ApiError::validation("protocol: must be an object"))?;
    let kind = match obj.remove("type") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err(ApiError::validation("protocol.type: must be a string")),
        None => return Err(ApiError::validation("protocol.type: is required")),
    };
    fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." || path.is_empty() {
                ApiError::validation(format!("protocol: {inner}"))
            } else {
                ApiError::validation(format!("protocol.{path}: {inner}"))
            }
        })
    }
    match kind.as_str() {
        "SAML2" => Ok(IdpProtocol::Saml2(typed::<SamlProtocol>(v)?)),
        "OIDC" => Ok(IdpProtocol::Oidc(typed::<OidcProtocol>(v)?)),
        other => Err(ApiError::validation(format!(
            "protocol.type: '{}' is not one of SAML2, OIDC",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

impl IdpBody {
    fn into_input(self) -> Result<IdpInput, ApiError> {
        Ok(IdpInput {
            name: self.name,
            kind: self.kind,
            issuer_mode: self.issuer_mode,
            protocol: parse_protocol(self.protocol)?,
            policy: self.policy.unwrap_or_default(),
            properties: self.properties,
        })
    }
}

/// An IdP as the API returns it (never with the client secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdpOut {
    /// Id (`0oa...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// `SAML2`, `OIDC` or `OKTA_INTEGRATION`.
    #[serde(rename = "type")]
    pub kind: IdpType,
    /// `DYNAMIC` unless set.
    pub issuer_mode: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Created.
    pub created: String,
    /// Last change.
    pub last_updated: String,
    /// Echoed.
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Value>,
    /// Protocol (defaults applied; `OKTA_INTEGRATION` endpoints derived).
    pub protocol: IdpProtocol,
    /// Policy (defaults applied).
    pub policy: IdpPolicy,
    /// `self`, `acs`, `metadata`, `authorize`, `clientRedirectUri`, lifecycle, `keys` (ext: the
    /// SP JWKS).
    #[serde(rename = "_links")]
    pub links: Links,
}

impl IdpOut {
    /// From an IdP.
    pub fn from_idp(i: &Idp, base: &url::Url) -> Self {
        let b = base.as_str().trim_end_matches('/');
        let me = format!("api/v1/idps/{}", i.id);
        let mut links = Links::new();
        links.insert("self".into(), link(base, &me));
        let op = if i.is_active() {
            "deactivate"
        } else {
            "activate"
        };
        links.insert(op.into(), link(base, &format!("{me}/lifecycle/{op}")));
        let href = |h: String| crate::wire::Link { href: h };
        links.insert("authorize".into(), href(idps::authorize_url(b, &i.id)));
        links.insert("keys".into(), link(base, &format!("{me}/jwks")));
        match i.kind {
            IdpType::Saml2 => {
                links.insert("acs".into(), href(idps::acs_url(b, &i.id)));
                links.insert("metadata".into(), href(idps::metadata_url(b, &i.id)));
            }
            IdpType::Oidc | IdpType::OktaIntegration => {
                links.insert("clientRedirectUri".into(), href(idps::redirect_uri(b)));
            }
        }
        Self {
            id: i.id.to_string(),
            name: i.name.clone(),
            kind: i.kind,
            issuer_mode: i
                .input
                .issuer_mode
                .clone()
                .unwrap_or_else(|| "DYNAMIC".into()),
            status: i.status.as_str().into(),
            created: rfc3339(i.created),
            last_updated: rfc3339(i.last_updated),
            properties: i.input.properties.clone(),
            protocol: i.input.protocol.clone(),
            policy: i.input.policy.clone(),
            links,
        }
    }
}

/// Query of `POST /api/v1/idps`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreateIdpQuery {
    /// Create active (default true).
    pub activate: Option<String>,
}

/// Query of the lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IdpListQuery {
    /// Page size, 1..=200 (default 200).
    pub limit: Option<String>,
    /// Cursor from the `next` link.
    pub after: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/idps", tag = "idps", params(CreateIdpQuery), request_body = IdpBody,
    responses((status = 200, body = IdpOut), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Creates an IdP (with its own SP key pair).
pub async fn create_idp(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<CreateIdpQuery>,
    ApiJson(body): ApiJson<IdpBody>,
) -> Result<Json<IdpOut>, ApiError> {
    let activate = bool_param("activate", q.activate.as_deref(), true)?;
    let idp = idps::create(&s.ctx, &admin.org.id, body.into_input()?, activate).await?;
    Ok(Json(IdpOut::from_idp(&idp, &admin.base)))
}

#[utoipa::path(get, path = "/api/v1/idps", tag = "idps", params(IdpListQuery),
    responses((status = 200, body = Vec<IdpOut>), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Lists IdPs, oldest first.
pub async fn list_idps(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<IdpListQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(q.limit.as_deref(), q.after.clone())?;
    let result = idps::list(&s.ctx, &admin.org.id, &page).await?;
    let link = link_header(&admin.base, "/api/v1/idps", page.limit, &[], &result);
    let body: Vec<IdpOut> = result
        .items
        .iter()
        .map(|i| IdpOut::from_idp(i, &admin.base))
        .collect();
    Ok(with_link(Json(body).into_response(), &link))
}

#[utoipa::path(get, path = "/api/v1/idps/{idp}", tag = "idps", params(("idp" = String, Path, description = "IdP id")),
    responses((status = 200, body = IdpOut), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Gets an IdP.
pub async fn get_idp(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<IdpOut>, ApiError> {
    let idp = idps::get(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(IdpOut::from_idp(&idp, &admin.base)))
}

#[utoipa::path(put, path = "/api/v1/idps/{idp}", tag = "idps", params(("idp" = String, Path, description = "IdP id")), request_body = IdpBody,
    responses((status = 200, body = IdpOut), (status = 400, body = ErrorObject), (status = 404, body = ErrorObject),
        (status = 403, body = ErrorObject, description = "Turning trust off while policies depend on trusted claims (E0000250/1/2)")),
    security(("ssws" = [])))]
/// Replaces an IdP (`type` cannot change; the client secret is kept unless a new one is given).
pub async fn replace_idp(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IdpBody>,
) -> Result<Json<IdpOut>, ApiError> {
    let idp = idps::replace(&s.ctx, &admin.org.id, &id, body.into_input()?).await?;
    Ok(Json(IdpOut::from_idp(&idp, &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/idps/{idp}", tag = "idps", params(("idp" = String, Path, description = "IdP id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorObject),
        (status = 403, body = ErrorObject, description = "Policies depend on its trusted claims (E0000250/1/2)")),
    security(("ssws" = [])))]
/// Deletes an IdP (its user links go with it).
pub async fn delete_idp(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    idps::delete(&s.ctx, &admin.org.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/idps/{idp}/lifecycle/{op}", tag = "idps",
    params(("idp" = String, Path, description = "IdP id"), ("op" = String, Path, description = "activate or deactivate")),
    responses((status = 200, body = IdpOut), (status = 404, body = ErrorObject),
        (status = 403, body = ErrorObject, description = "Deactivation refused: policies depend on its trusted claims (E0000250/1/2)")),
    security(("ssws" = [])))]
/// Activates or deactivates an IdP.
pub async fn idp_lifecycle(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, op)): Path<(String, String)>,
) -> Result<Json<IdpOut>, ApiError> {
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
    let idp = idps::set_status(&s.ctx, &admin.org.id, &id, status).await?;
    Ok(Json(IdpOut::from_idp(&idp, &admin.base)))
}

// ---------------------------------------------------------------------------------------------
// Trust store.

/// Body of `POST /api/v1/idps/credentials/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct IdpKeyBody {
    /// One base64 DER X.509 certificate (RSA, at least 2048 bits).
    pub x5c: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    kid: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    kty: Option<IgnoredAny>,
    #[serde(default, rename = "use")]
    #[schema(value_type = Option<String>)]
    key_use: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    e: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    n: Option<IgnoredAny>,
    #[serde(default, rename = "x5t#S256")]
    #[schema(value_type = Option<String>)]
    x5t_s256: Option<IgnoredAny>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    created: Option<IgnoredAny>,
    #[serde(default, rename = "lastUpdated")]
    #[schema(value_type = Option<String>)]
    last_updated: Option<IgnoredAny>,
    #[serde(default, rename = "expiresAt")]
    #[schema(value_type = Option<String>)]
    expires_at: Option<IgnoredAny>,
}

/// Okta's `IdPKeyCredential`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdpKeyOut {
    /// Key id (referenced by `protocol.credentials.trust.kid`).
    pub kid: String,
    /// `RSA`.
    pub kty: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// RSA exponent (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// RSA modulus (base64url).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// The certificate (base64 DER).
    pub x5c: Vec<String>,
    /// SHA-256 thumbprint of the certificate (base64url).
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
    /// Added.
    pub created: String,
    /// Same as `created` (keys are immutable).
    #[serde(rename = "lastUpdated")]
    pub last_updated: String,
    /// The certificate's notAfter.
    #[serde(rename = "expiresAt", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl IdpKeyOut {
    fn from_key(k: &IdpKeyCredential) -> Self {
        let jwk = federa_saml::Certificate::from_der(&k.cert_der)
            .ok()
            .and_then(|c| federa_jose::RsaEncryptionKey::from_spki_der(c.spki_der()).ok())
            .map(|key| key.to_jwk());
        Self {
            kid: k.kid.clone(),
            kty: k.kty.clone(),
            key_use: "sig".into(),
            e: jwk.as_ref().map(|j| j.e.clone()),
            n: jwk.map(|j| j.n),
            x5c: vec![k.x5c()],
            x5t_s256: k.x5t_s256.clone(),
            created: rfc3339(k.created),
            last_updated: rfc3339(k.created),
            expires_at: k.expires_at.map(rfc3339),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/idps/credentials/keys", tag = "idps", request_body = IdpKeyBody,
    responses((status = 200, body = IdpKeyOut), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Adds an X.509 certificate to the org's IdP trust store.
pub async fn create_idp_key(
    State(s): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<IdpKeyBody>,
) -> Result<Json<IdpKeyOut>, ApiError> {
    let k = idps::add_key(&s.ctx, &admin.org.id, &body.x5c).await?;
    Ok(Json(IdpKeyOut::from_key(&k)))
}

#[utoipa::path(get, path = "/api/v1/idps/credentials/keys", tag = "idps", params(IdpListQuery),
    responses((status = 200, body = Vec<IdpKeyOut>), (status = 400, body = ErrorObject)), security(("ssws" = [])))]
/// Lists the trust store, oldest first.
pub async fn list_idp_keys(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<IdpListQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(q.limit.as_deref(), q.after.clone())?;
    let result = idps::list_keys(&s.ctx, &admin.org.id, &page).await?;
    let link = link_header(
        &admin.base,
        "/api/v1/idps/credentials/keys",
        page.limit,
        &[],
        &result,
    );
    let body: Vec<IdpKeyOut> = result.items.iter().map(IdpKeyOut::from_key).collect();
    Ok(with_link(Json(body).into_response(), &link))
}

#[utoipa::path(get, path = "/api/v1/idps/credentials/keys/{kid}", tag = "idps", params(("kid" = String, Path, description = "Key id")),
    responses((status = 200, body = IdpKeyOut), (status = 404, body = ErrorObject)), security(("ssws" = [])))]
/// Gets a trust-store certificate.
pub async fn get_idp_key(
    State(s): State<AppState>,
    admin: Admin,
    Path(kid): Path<String>,
) -> Result<Json<IdpKeyOut>, ApiError> {
    let k = idps::get_key(&s.ctx, &admin.org.id, &kid).await?;
    Ok(Json(IdpKeyOut::from_key(&k)))
}

#[utoipa::path(delete, path = "/api/v1/idps/credentials/keys/{kid}", tag = "idps", params(("kid" = String, Path, description = "Key id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorObject),
        (status = 400, body = ErrorObject, description = "An IdP uses the key")),
    security(("ssws" = [])))]
/// Deletes a trust-store certificate no IdP uses.
pub async fn delete_idp_key(
    State(s): State<AppState>,
    admin: Admin,
    Path(kid): Path<String>,
) -> Result<StatusCode, ApiError> {
    idps::delete_key(&s.ctx, &admin.org.id, &kid).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Public SP side.

/// The org's URL as this request reached it (`http(s)://host`), as the broker derives it.
fn public_base(headers: &HeaderMap, host: &str) -> String {
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        == Some("https");
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{host}")
}

#[utoipa::path(get, path = "/api/v1/idps/{idp}/metadata.xml", tag = "idps", params(("idp" = String, Path, description = "IdP id")),
    responses((status = 200, content_type = "application/xml", body = String, description = "SAML SP metadata: entityID `{org}/saml2/service-provider/{idp}`, ACS `{org}/sso/saml2/{idp}` (HTTP-POST), the SP certificate as signing and encryption KeyDescriptor"),
        (status = 404, body = ErrorObject)))]
/// The SP metadata of an IdP (public).
pub async fn sp_metadata(
    State(s): State<AppState>,
    oh: OrgHost,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let idp = idps::get(&s.ctx, &oh.org.id, &id).await?;
    let xml = idps::sp_metadata(&s.ctx, &idp, &public_base(&headers, &oh.host)).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/idps/{idp}/idp-metadata.xml", tag = "idps", params(("idp" = String, Path, description = "IdP id")),
    responses((status = 200, content_type = "application/xml", body = String, description = "Same as metadata.xml"),
        (status = 404, body = ErrorObject)))]
/// Alias of `metadata.xml` (public).
pub async fn sp_metadata_alias(
    state: State<AppState>,
    oh: OrgHost,
    headers: HeaderMap,
    id: Path<String>,
) -> Result<Response, ApiError> {
    sp_metadata(state, oh, headers, id).await
}

#[utoipa::path(get, path = "/api/v1/idps/{idp}/jwks", tag = "idps", params(("idp" = String, Path, description = "IdP id")),
    responses((status = 200, description = "(ext) The IdP's SP encryption key as a JWK Set (`use: enc`, `alg: RSA-OAEP-256`, kid = RFC 7638 thumbprint)"),
        (status = 404, body = ErrorObject)))]
/// The SP encryption key of an IdP as a JWK Set (public, ext).
pub async fn sp_jwks(
    State(s): State<AppState>,
    oh: OrgHost,
    Path(id): Path<String>,
) -> Result<Json<federa_jose::Jwks>, ApiError> {
    let idp = idps::get_cached(&s.ctx, &oh.org.id, &id).await?;
    Ok(Json(idps::sp_jwks(&s.ctx, &idp).await?))
}
