//! The demo app (issue 7), served by an org that has the OIDC app `federa-demo` (made by
//! `federa demo` at the hub): `/demo` starts the code flow with PKCE against this org's own
//! OpenID Provider, `/demo/callback` redeems the code in-process, verifies the ID token and shows
//! its claims, its `amr`, and the session's verifications with their sources — what claims
//! sharing credited from the IdP and what was verified locally.

use super::me::rows;
use super::render::PageError;
use super::web::{PageOrg, see_other};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use federa_core::service::oauth::token::{self as tok, TokenOutcome};
use federa_core::service::sessions::{self, SESSION_COOKIE, random_token};
use federa_core::service::{apps, keys};
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Deserialize;

/// The demo app's client id.
pub const CLIENT_ID: &str = "federa-demo";
const COOKIE: &str = "federa_demo";

fn not_here() -> PageError {
    PageError::bad_request(
        "There is no demo app at this address. Run `federa demo` and open the hub.",
    )
}

/// `GET /demo`: starts a sign-in to the demo app.
pub async fn start(State(s): State<AppState>, po: PageOrg) -> Result<Response, PageError> {
    if apps::by_client_id(&s.ctx, &po.org.id, CLIENT_ID)
        .await?
        .is_none()
    {
        return Err(not_here());
    }
    let state = random_token(&s.ctx);
    let nonce = random_token(&s.ctx);
    let verifier = random_token(&s.ctx);
    let parsed = federa_oidc::CodeVerifier::parse(&verifier)
        .map_err(|e| PageError::internal(e.to_string()))?;
    let challenge = federa_oidc::CodeChallenge::s256(&parsed)
        .as_str()
        .to_string();
    let issuer = po.issuer();
    let mut url = url::Url::parse(&format!("{issuer}/oauth2/v1/authorize"))
        .map_err(|e| PageError::internal(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("redirect_uri", &format!("{issuer}/demo/callback"))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let path = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    let cookie = format!(
        "{COOKIE}={state}.{nonce}.{verifier}; Path=/demo; HttpOnly; SameSite=Lax{}",
        if po.secure { "; Secure" } else { "" }
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| PageError::internal(e.to_string()))?;
    Ok(see_other(&path, vec![cookie]))
}

/// Query of the callback.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /demo/callback`.
pub async fn callback(
    State(s): State<AppState>,
    po: PageOrg,
    Query(q): Query<Callback>,
) -> Result<Response, PageError> {
    if let Some(e) = &q.error {
        return Err(PageError::bad_request(format!(
            "The sign-in did not complete: {e} {}",
            q.error_description.clone().unwrap_or_default()
        )));
    }
    let saved = po.cookie(COOKIE).unwrap_or_default().to_string();
    let mut parts = saved.split('.');
    let (Some(state), Some(nonce), Some(verifier)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(PageError::bad_request("Start at /demo."));
    };
    if q.state.as_deref() != Some(state) || state.is_empty() {
        return Err(PageError::bad_request(
            "The sign-in response does not belong to this browser. Start at /demo.",
        ));
    }
    let issuer = po.issuer();
    let form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), q.code.clone().unwrap_or_default()),
        (
            "redirect_uri".to_string(),
            format!("{issuer}/demo/callback"),
        ),
        ("client_id".to_string(), CLIENT_ID.to_string()),
        ("code_verifier".to_string(), verifier.to_string()),
    ];
    let tokens = match tok::token(&s.ctx, &po.org, &issuer, None, form).await? {
        TokenOutcome::Tokens(t) => t,
        TokenOutcome::Error(e) => {
            return Err(PageError::bad_request(format!(
                "The token request failed: {}",
                serde_json::to_string(&e).unwrap_or_default()
            )));
        }
    };
    let id_token = tokens.id_token.clone().unwrap_or_default();
    let verifying = keys::verifying_keys(&s.ctx, &po.org.id).await?;
    let verified = federa_jose::jws::verify(&id_token, &verifying, &federa_jose::JwsAlg::ALL)
        .map_err(|e| PageError::bad_request(format!("The ID token does not verify: {e}")))?;
    let claims = verified
        .claims()
        .map_err(|e| PageError::bad_request(format!("The ID token is unreadable: {e}")))?;
    if claims.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
        return Err(PageError::bad_request(
            "The ID token's nonce does not match. Start at /demo.",
        ));
    }
    let session = sessions::current(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE)).await?;
    let verifications = session.map(|s| rows(&s.verifications)).unwrap_or_default();
    let amr: Vec<String> = claims
        .get("amr")
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_default();
    let text = |k: &str| {
        claims
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let user = claims
        .get("preferred_username")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| text("sub"));
    let logout = format!(
        "/oauth2/v1/logout?id_token_hint={}",
        url::form_urlencoded::byte_serialize(id_token.as_bytes()).collect::<String>()
    );
    let html = s.templates.render(
        "demo.html",
        context! {
            org_name => po.org.name.clone(), user, amr, acr => text("acr"), idp => text("idp"),
            verifications => Value::from(Serde(verifications)),
            claims => serde_json::to_string_pretty(&claims).unwrap_or_default(),
            logout,
        },
    )?;
    let mut res = Html(html).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
