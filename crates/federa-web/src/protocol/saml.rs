//! The SAML IdP endpoints (CONTRACT §3): `GET /app/{appId}/sso/saml/metadata` and
//! `GET|POST /app/{appName}/{appId}/sso/saml` (HTTP-Redirect, HTTP-POST, IdP-initiated, and the
//! resume URL). Thin: extract, call `federa_core::service::saml_idp`, render. Errors are
//! readable pages (never a redirect, never a 500 for bad input); SAML error statuses go to the
//! SP as a posted Response like any other.

use crate::AppState;
use crate::pages::render::PageError;
use crate::pages::web::{PageForm, PageOrg, see_other, set_cookie};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use federa_core::service::saml_idp::{self, PageKind, PostBack, SsoInput, SsoOutcome};
use federa_core::service::sessions::SESSION_COOKIE;
use federa_core::service::signin::FLOW_COOKIE;
use minijinja::context;

/// Routes. (The first path segment after `/app/` has one name in both routes: the router
/// refuses two different parameter names at the same place.)
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{app}/sso/saml/metadata", get(metadata))
        .route("/app/{app}/{app_id}/sso/saml", get(sso_get).post(sso_post))
}

/// `GET /app/{appId}/sso/saml/metadata`.
async fn metadata(
    State(s): State<AppState>,
    po: PageOrg,
    Path(app_id): Path<String>,
) -> Result<Response, PageError> {
    match saml_idp::metadata(&s.ctx, &po.org, &po.issuer(), &app_id).await? {
        Some(xml) => Ok((
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            xml,
        )
            .into_response()),
        None => Ok(error_page(
            &s,
            &po,
            StatusCode::NOT_FOUND,
            "This app does not exist or is not active.",
        )),
    }
}

fn query_value(raw: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn has_param(raw: &str, name: &str) -> bool {
    url::form_urlencoded::parse(raw.as_bytes()).any(|(k, _)| k == name)
}

/// `GET /app/{appName}/{appId}/sso/saml`: Redirect binding, IdP-initiated, or a resume URL.
async fn sso_get(
    State(s): State<AppState>,
    po: PageOrg,
    Path((app_name, app_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let raw = raw.unwrap_or_default();
    let resume = query_value(&raw, saml_idp::RESUME_PARAM);
    let relay = query_value(&raw, "RelayState");
    let input = if let Some(token) = resume.as_deref() {
        SsoInput::Resume { token }
    } else if has_param(&raw, "SAMLRequest") {
        SsoInput::Redirect { raw_query: &raw }
    } else {
        SsoInput::IdpInitiated {
            relay_state: relay.as_deref(),
        }
    };
    run(&s, &po, &app_name, &app_id, input).await
}

/// `POST /app/{appName}/{appId}/sso/saml`: POST binding, or IdP-initiated without a request.
async fn sso_post(
    State(s): State<AppState>,
    po: PageOrg,
    Path((app_name, app_id)): Path<(String, String)>,
    form: PageForm,
) -> Result<Response, PageError> {
    let relay = form.0.get("RelayState").map(String::as_str);
    let input = match form.0.get("SAMLRequest") {
        Some(req) => SsoInput::Post {
            saml_request: req,
            relay_state: relay,
        },
        None => SsoInput::IdpInitiated { relay_state: relay },
    };
    run(&s, &po, &app_name, &app_id, input).await
}

async fn run(
    s: &AppState,
    po: &PageOrg,
    app_name: &str,
    app_id: &str,
    input: SsoInput<'_>,
) -> Result<Response, PageError> {
    let outcome = saml_idp::sso(
        &s.ctx,
        &po.org,
        &po.issuer(),
        app_name,
        app_id,
        input,
        po.cookie(SESSION_COOKIE),
        &po.client,
    )
    .await?;
    Ok(match outcome {
        SsoOutcome::Page { kind, message } => {
            let status = match kind {
                PageKind::NotFound => StatusCode::NOT_FOUND,
                PageKind::BadRequest => StatusCode::BAD_REQUEST,
            };
            error_page(s, po, status, &message)
        }
        SsoOutcome::Continue(location) => see_other(&location, vec![]),
        SsoOutcome::SignIn(flow) => see_other(
            "/login",
            vec![set_cookie(FLOW_COOKIE, Some(flow.expose()), po.secure)],
        ),
        SsoOutcome::Reload {
            session_cookie,
            location,
        } => see_other(
            &location,
            vec![set_cookie(
                SESSION_COOKIE,
                Some(session_cookie.expose()),
                po.secure,
            )],
        ),
        SsoOutcome::Post(p) => post_form(s, po, &p)?,
    })
}

fn error_page(s: &AppState, po: &PageOrg, status: StatusCode, message: &str) -> Response {
    let html = s.templates.render(
        "error.html",
        context! { org_name => po.org.name.clone(), title => "Sign-in to the app failed", message },
    );
    match html {
        Ok(h) => {
            let mut res = (status, Html(h)).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}

/// The auto-submitting POST-binding form (Bindings §3.5.4): works without JavaScript through
/// its visible Continue button; the one inline script is allowed by a per-response nonce.
fn post_form(s: &AppState, po: &PageOrg, p: &PostBack) -> Result<Response, PageError> {
    let nonce: String = s
        .ctx
        .random::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let html = s.templates.render(
        "saml_post.html",
        context! {
            org_name => po.org.name.clone(),
            app_label => p.app_label.clone(),
            action => p.acs_url.clone(),
            saml_response => p.saml_response.clone(),
            relay_state => p.relay_state.clone(),
            nonce => nonce.clone(),
        },
    )?;
    let mut res = Html(html).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'"
    )) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}
