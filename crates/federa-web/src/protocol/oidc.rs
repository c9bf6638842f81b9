//! The OpenID Provider's HTTP endpoints (CONTRACT §3): discovery, JWKS, authorize, token,
//! userinfo, revocation, introspection, logout. Thin: parse the request, call the use case in
//! `federa_core::service::oauth`, render the protocol's answer. Authorization errors that must
//! not be redirected are readable pages; token-endpoint errors are RFC 6749 §5.2 JSON.

use crate::AppState;
use crate::pages::render::{PageError, escape};
use crate::pages::web::{PageOrg, see_other, set_cookie};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use federa_core::service::keys;
use federa_core::service::oauth::token::{self as tok, TokenOutcome};
use federa_core::service::oauth::{self, AuthorizeOutcome};
use federa_core::service::sessions::{self, SESSION_COOKIE};
use federa_core::service::signin::FLOW_COOKIE;
use federa_oidc::authorize_response::AuthorizeResponse;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/v1/keys", get(jwks))
        .route("/oauth2/v1/authorize", get(authorize).post(authorize))
        .route("/oauth2/v1/token", post(token))
        .route("/oauth2/v1/userinfo", get(userinfo).post(userinfo))
        .route("/oauth2/v1/revoke", post(revoke))
        .route("/oauth2/v1/introspect", post(introspect))
        .route("/oauth2/v1/logout", get(logout))
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        &serde_json::json!({ "error": error, "error_description": description }),
    )
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(po: PageOrg) -> Result<Response, PageError> {
    let issuer = federa_oidc::Issuer::own(&po.issuer())
        .map_err(|e| PageError::bad_request(format!("This address cannot be an issuer: {e}")))?;
    let meta = federa_oidc::discovery::metadata(&issuer)
        .map_err(|e| PageError::internal(e.to_string()))?;
    Ok(axum::Json(meta).into_response())
}

/// `GET /oauth2/v1/keys`.
pub async fn jwks(State(s): State<AppState>, po: PageOrg) -> Result<Response, PageError> {
    let set = keys::published_jwks(&s.ctx, &po.org.id).await?;
    let mut res = axum::Json(set).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    Ok(res)
}

fn authorize_response(r: AuthorizeResponse) -> Response {
    match r {
        AuthorizeResponse::Redirect(url) => {
            let mut res = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(url.as_str()) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        AuthorizeResponse::FormPost { action, fields } => {
            let inputs: String = fields
                .iter()
                .map(|(k, v)| {
                    format!(
                        r#"<input type="hidden" name="{}" value="{}">"#,
                        escape(k),
                        escape(v)
                    )
                })
                .collect();
            let html = format!(
                r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Continue</title></head><body onload="document.forms[0].submit()"><form method="post" action="{}">{inputs}<noscript><p>JavaScript is off: press Continue.</p></noscript><button type="submit">Continue</button></form></body></html>"#,
                escape(action.as_str())
            );
            let mut res = Html(html).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
    }
}

/// `GET|POST /oauth2/v1/authorize`.
pub async fn authorize(
    State(s): State<AppState>,
    po: PageOrg,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = if method == Method::POST {
        if !is_form(&headers) {
            return Err(PageError::bad_request(
                "The authorization request must be a form post.",
            ));
        }
        form_pairs(&body)
    } else {
        form_pairs(query.as_deref().unwrap_or("").as_bytes())
    };
    // Coming back after signing in is always a GET of the same request.
    let here = {
        let mut u = url::Url::parse("http://x/oauth2/v1/authorize")
            .map_err(|e| PageError::internal(e.to_string()))?;
        u.query_pairs_mut().extend_pairs(pairs.iter());
        match u.query() {
            Some(q) => format!("/oauth2/v1/authorize?{q}"),
            None => "/oauth2/v1/authorize".to_string(),
        }
    };
    let outcome = oauth::authorize(
        &s.ctx,
        &po.org,
        &po.issuer(),
        pairs,
        &here,
        po.cookie(SESSION_COOKIE),
        &po.client,
    )
    .await?;
    Ok(match outcome {
        AuthorizeOutcome::Page(message) => {
            return Err(PageError::bad_request(message));
        }
        AuthorizeOutcome::Respond(r) => authorize_response(r),
        AuthorizeOutcome::SignIn(cookie) => see_other(
            "/login",
            vec![set_cookie(FLOW_COOKIE, Some(cookie.expose()), po.secure)],
        ),
        AuthorizeOutcome::Reload(cookie) => see_other(
            &here,
            vec![set_cookie(SESSION_COOKIE, Some(cookie.expose()), po.secure)],
        ),
    })
}

/// `POST /oauth2/v1/token`.
pub async fn token(
    State(s): State<AppState>,
    po: PageOrg,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    if !is_form(&headers) {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let outcome = tok::token(&s.ctx, &po.org, &po.issuer(), auth, form_pairs(&body)).await?;
    Ok(match outcome {
        TokenOutcome::Tokens(t) => json(StatusCode::OK, &*t),
        TokenOutcome::Error(e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut res = json(status, &e);
            if let Some(w) = &e.www_authenticate
                && let Ok(v) = HeaderValue::from_str(w)
            {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            res
        }
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 16 * 1024)
}

/// `GET|POST /oauth2/v1/userinfo` (OIDC Core §5.3): Bearer token in the header.
pub async fn userinfo(
    State(s): State<AppState>,
    po: PageOrg,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let unauthorized = || {
        let mut res = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The access token is missing, invalid, expired or revoked.",
        );
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        res
    };
    let Some(token) = bearer(&headers) else {
        return Ok(unauthorized());
    };
    Ok(
        match tok::userinfo(&s.ctx, &po.org, &po.issuer(), token).await? {
            Some(v) => json(StatusCode::OK, &v),
            None => unauthorized(),
        },
    )
}

async fn client_and_token(
    s: &AppState,
    po: &PageOrg,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Result<(federa_core::service::apps::App, String), Response>, PageError> {
    if !is_form(headers) {
        return Ok(Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        )));
    }
    let form = form_pairs(body);
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let app = match tok::authenticate_client(&s.ctx, &po.org, &po.issuer(), auth, &form).await? {
        Ok((app, _)) => app,
        Err(e) => {
            let r = federa_oidc::token::TokenErrorResponse::from_error(&e, None);
            return Ok(Err(json(StatusCode::UNAUTHORIZED, &r)));
        }
    };
    let tokens: Vec<&String> = form
        .iter()
        .filter(|(k, _)| k == "token")
        .map(|(_, v)| v)
        .collect();
    match tokens.as_slice() {
        [t] if !t.is_empty() && t.len() <= 16 * 1024 => Ok(Ok((app, (*t).clone()))),
        _ => Ok(Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "exactly one token parameter is required",
        ))),
    }
}

/// `POST /oauth2/v1/revoke` (RFC 7009).
pub async fn revoke(
    State(s): State<AppState>,
    po: PageOrg,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let (app, token) = match client_and_token(&s, &po, &headers, &body).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    tok::revoke(&s.ctx, &po.org, &app, &po.issuer(), &token).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /oauth2/v1/introspect` (RFC 7662).
pub async fn introspect(
    State(s): State<AppState>,
    po: PageOrg,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let (app, token) = match client_and_token(&s, &po, &headers, &body).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let v = tok::introspect(&s.ctx, &po.org, &app, &po.issuer(), &token).await?;
    Ok(json(StatusCode::OK, &v))
}

/// `GET /oauth2/v1/logout` (RP-initiated logout): ends the session; redirects only to a
/// `post_logout_redirect_uri` registered for the client named by a valid `id_token_hint`.
pub async fn logout(
    State(s): State<AppState>,
    po: PageOrg,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs = form_pairs(query.as_deref().unwrap_or("").as_bytes());
    let one = |name: &str| {
        let v: Vec<&String> = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        match v.as_slice() {
            [x] => Some((*x).clone()),
            _ => None,
        }
    };
    let target = oauth::logout_target(
        &s.ctx,
        &po.org,
        &po.issuer(),
        one("id_token_hint").as_deref(),
        one("post_logout_redirect_uri").as_deref(),
        one("state").as_deref(),
    )
    .await?;
    sessions::end(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE)).await?;
    let clear = set_cookie(SESSION_COOKIE, None, po.secure);
    Ok(match target {
        Some(url) => {
            let mut res = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(&url) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res.headers_mut().append(header::SET_COOKIE, clear);
            res
        }
        None => see_other("/login?restart=1", vec![clear]),
    })
}
