//! Page plumbing: the org of the Host as an HTML-erroring extractor, cookies (HttpOnly,
//! SameSite=Lax, Secure behind HTTPS), urlencoded forms with clear errors, the client's address
//! and agent, and 303 redirects.

use super::render::PageError;
use crate::AppState;
use crate::middleware::RequestId;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use federa_core::model::Org;
use federa_core::service::orgs;
use federa_core::service::signin::Client;
use std::collections::HashMap;
use std::net::SocketAddr;

/// The org of the Host header; an unknown host gets a readable 404 page.
#[derive(Debug, Clone)]
pub struct PageOrg {
    /// The org.
    pub org: Org,
    /// Cookies should be `Secure` (the request came over HTTPS through a proxy).
    pub secure: bool,
    /// The request's cookies.
    pub cookies: HashMap<String, String>,
    /// The Host header as received (with port).
    pub host: String,
    /// Who is asking.
    pub client: Client,
}

fn parse_cookies(headers: &HeaderMap) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for v in headers.get_all(header::COOKIE) {
        if let Ok(s) = v.to_str() {
            for pair in s.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=') {
                    out.entry(k.trim().to_string())
                        .or_insert_with(|| v.trim().to_string());
                }
            }
        }
    }
    out
}

impl FromRequestParts<AppState> for PageOrg {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let org = orgs::resolve(&state.ctx, host).await.map_err(|e| match e {
            federa_core::CoreError::NotFound(_) => PageError {
                status: StatusCode::NOT_FOUND,
                title: "Unknown site",
                message: "No organization is served at this address.".into(),
                detail: None,
            },
            other => PageError::from(other),
        })?;
        let secure = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            == Some("https");
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let client = Client {
            ip,
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|h| h.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            request_id: parts.extensions.get::<RequestId>().map(|r| r.0.clone()),
        };
        Ok(PageOrg {
            org,
            secure,
            cookies: parse_cookies(&parts.headers),
            client,
            host: host.unwrap_or_default().to_string(),
        })
    }
}

impl PageOrg {
    /// The WebAuthn relying party of this request: the host name, and the origin the browser
    /// is on (the Host header was already matched to one of the org's host names).
    pub fn relying_party(&self) -> federa_core::service::webauthn::RelyingParty {
        let name = self
            .host
            .rsplit_once(':')
            .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
            .map_or(self.host.as_str(), |(h, _)| h);
        let scheme = if self.secure { "https" } else { "http" };
        federa_core::service::webauthn::RelyingParty::new(
            name.to_ascii_lowercase(),
            format!("{scheme}://{}", self.host),
            self.org.name.clone(),
        )
    }

    /// The org's URL as this request reached it (`http(s)://host[:port]`, no trailing slash):
    /// the OIDC issuer and the base of SAML entity ids. The Host was already matched to one of
    /// the org's host names.
    pub fn issuer(&self) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        format!("{scheme}://{}", self.host)
    }

    /// A cookie value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }
}

/// A `Set-Cookie` value for `name`; `None` clears the cookie.
pub fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> HeaderValue {
    let mut c = match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Lax"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A 303 redirect to a local path, with cookies to set.
pub fn see_other(location: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// An urlencoded form (`application/x-www-form-urlencoded`); repeated fields are refused.
#[derive(Debug, Default)]
pub struct PageForm(pub HashMap<String, String>);

impl PageForm {
    /// A field, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }
}

impl FromRequest<AppState> for PageForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
        {
            return Err(PageError::bad_request(
                "This form must be submitted from the page.",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| PageError::bad_request("The form is too large."))?;
        let mut map = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(&bytes) {
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(PageError::bad_request(format!(
                    "The field '{}' was sent twice.",
                    super::render::escape(&k)
                )));
            }
        }
        Ok(PageForm(map))
    }
}
