//! Extractors: the org selected by the Host header, the authenticated admin (SSWS token of
//! that org), and JSON bodies and query strings whose every rejection becomes an Okta error
//! naming the problem (field path for wrong types, 413 for oversized bodies).

use crate::AppState;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use federa_core::model::{ApiToken, Org};
use federa_core::service::{orgs, tokens};
use serde::de::DeserializeOwned;

fn host_of(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
}

/// The org served at the request's Host. Unknown hosts get 404, never another org.
#[derive(Debug, Clone)]
pub struct OrgHost {
    /// The org.
    pub org: Org,
    /// The Host header as received (for building absolute URLs).
    pub host: String,
}

impl FromRequestParts<AppState> for OrgHost {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(o) = parts.extensions.get::<OrgHost>() {
            return Ok(o.clone());
        }
        let host = host_of(parts);
        let org = orgs::resolve(&state.ctx, host.as_deref()).await?;
        let o = OrgHost {
            org,
            host: host.unwrap_or_default(),
        };
        parts.extensions.insert(o.clone());
        Ok(o)
    }
}

/// An admin API caller: the org of the Host and a valid SSWS token of that org.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The org.
    pub org: Org,
    /// The token used.
    pub token: ApiToken,
    /// Base URL of this org as the client reached it (for links).
    pub base: url::Url,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let OrgHost { org, host } = OrgHost::from_request_parts(parts, state).await?;
        let auth = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok());
        let token = tokens::authenticate(&state.ctx, &org.id, auth).await?;
        let scheme = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .filter(|p| *p == "https")
            .unwrap_or("http");
        let base = url::Url::parse(&format!("{scheme}://{host}/"))
            .map_err(|_| ApiError::validation("Host header is not a valid host"))?;
        Ok(Admin { org, token, base })
    }
}

/// A JSON body of type `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "E0000001",
                "Api validation failed: Content-Type must be application/json",
                vec!["Content-Type must be application/json".into()],
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                let limit = state.config.body_limit_bytes;
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "E0000001",
                    format!("Api validation failed: request body is larger than {limit} bytes"),
                    vec![format!("request body is larger than {limit} bytes")],
                )
            } else {
                ApiError::validation(format!("cannot read request body: {rej}"))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the path of the offending field in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = if inner.is_syntax() || inner.is_eof() {
            format!("malformed JSON: {inner}")
        } else if path == "." || path.is_empty() {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        };
        ApiError::validation(msg)
    })?;
    de.end()
        .map_err(|e| ApiError::validation(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// A query string of type `T` (strings only; numbers are parsed by the handler with a clear
/// error).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_from_str(q).map(ApiQuery)
    }
}

fn serde_urlencoded_from_str<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect();
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        if map.contains_key(&k) {
            return Err(ApiError::validation(format!(
                "query parameter '{k}' is given more than once"
            )));
        }
        map.insert(k, serde_json::Value::String(v));
    }
    serde_path_to_error::deserialize(serde_json::Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        ApiError::validation(format!("query parameter {path}: {}", e.into_inner()))
    })
}
