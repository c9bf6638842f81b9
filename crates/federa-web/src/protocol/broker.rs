//! The SP role's endpoints (CONTRACT §3 SP side): `/sso/idps/{idpId}` starts a federated
//! sign-in, `/oauth2/v1/authorize/callback` is the OIDC redirect URI, `/sso/saml2/{idpId}` the
//! SAML assertion consumer service. Thin: the broker in `federa_core::service::broker` decides;
//! failures are readable pages, never a 500 or a redirect to somewhere unverified.

use crate::AppState;
use crate::pages::render::PageError;
use crate::pages::web::{PageForm, PageOrg, see_other, set_cookie};
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use federa_core::service::broker::{self, BrokerOutcome};
use federa_core::service::idps;
use federa_core::service::sessions::SESSION_COOKIE;
use federa_core::service::signin::{self, FLOW_COOKIE};
use serde::Deserialize;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sso/idps/{idp}", get(start))
        .route("/oauth2/v1/authorize/callback", get(oidc_callback))
        .route("/sso/saml2/{idp}", get(saml_continue).post(saml_acs))
}

fn respond(po: &PageOrg, outcome: BrokerOutcome) -> Result<Response, PageError> {
    Ok(match outcome {
        BrokerOutcome::Page(message) => return Err(PageError::bad_request(message)),
        BrokerOutcome::Redirect {
            location,
            flow_cookie,
        } => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            let loc = HeaderValue::from_str(&location).map_err(|_| {
                PageError::bad_request("The identity provider's address is not valid.")
            })?;
            res.headers_mut().insert(header::LOCATION, loc);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Some(c) = flow_cookie {
                res.headers_mut().append(
                    header::SET_COOKIE,
                    set_cookie(FLOW_COOKIE, Some(c.expose()), po.secure),
                );
            }
            res
        }
        BrokerOutcome::SignIn { flow_cookie } => see_other(
            "/login",
            flow_cookie
                .map(|c| vec![set_cookie(FLOW_COOKIE, Some(c.expose()), po.secure)])
                .unwrap_or_default(),
        ),
        BrokerOutcome::Done { cookie, redirect } => see_other(
            &redirect,
            vec![
                set_cookie(SESSION_COOKIE, Some(cookie.expose()), po.secure),
                set_cookie(FLOW_COOKIE, None, po.secure),
            ],
        ),
    })
}

/// Query of the start endpoint.
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    /// Where to go after signing in (local path).
    #[serde(rename = "fromURI")]
    pub from_uri: Option<String>,
    /// The same, Federa's name.
    pub return_to: Option<String>,
}

/// `GET /sso/idps/{idpId}`.
pub async fn start(
    State(s): State<AppState>,
    po: PageOrg,
    Path(idp): Path<String>,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    let flow = signin::load(&s.ctx, &po.org, po.cookie(FLOW_COOKIE)).await?;
    let target = q.return_to.as_deref().or(q.from_uri.as_deref());
    let outcome =
        broker::oidc::start_from_path(&s.ctx, &po.org, &po.issuer(), &idp, flow, target).await?;
    respond(&po, outcome)
}

/// `GET /oauth2/v1/authorize/callback`.
pub async fn oidc_callback(
    State(s): State<AppState>,
    po: PageOrg,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let mut flow = signin::load(&s.ctx, &po.org, po.cookie(FLOW_COOKIE)).await?;
    let outcome = broker::oidc::callback(
        &s.ctx,
        &po.org,
        &po.issuer(),
        &pairs,
        flow.as_mut(),
        &po.client,
    )
    .await?;
    respond(&po, outcome)
}

/// `POST /sso/saml2/{idpId}`: parks the response and continues with a same-site GET.
pub async fn saml_acs(
    State(s): State<AppState>,
    po: PageOrg,
    Path(idp): Path<String>,
    form: PageForm,
) -> Result<Response, PageError> {
    let idp = match idps::get_cached(&s.ctx, &po.org.id, &idp).await {
        Ok(i) if i.is_active() && i.saml.is_some() => i,
        _ => {
            return Err(PageError::bad_request(
                "This identity provider is not available.",
            ));
        }
    };
    let relay = Some(form.get("RelayState")).filter(|r| !r.is_empty());
    let Some(id) =
        broker::saml::park(&s.ctx, &po.org, &idp, form.get("SAMLResponse"), relay).await?
    else {
        return Err(PageError::bad_request(
            "The identity provider sent no usable SAML response.",
        ));
    };
    Ok(see_other(
        &format!("/sso/saml2/{}?parked={id}", idp.id),
        vec![],
    ))
}

/// Query of the continuation.
#[derive(Debug, Deserialize)]
pub struct ParkedQuery {
    /// The parked response.
    pub parked: Option<String>,
}

/// `GET /sso/saml2/{idpId}?parked=...`.
pub async fn saml_continue(
    State(s): State<AppState>,
    po: PageOrg,
    Path(_idp): Path<String>,
    Query(q): Query<ParkedQuery>,
) -> Result<Response, PageError> {
    let mut flow = signin::load(&s.ctx, &po.org, po.cookie(FLOW_COOKIE)).await?;
    let outcome = broker::saml::acs(
        &s.ctx,
        &po.org,
        &po.issuer(),
        q.parked.as_deref().unwrap_or(""),
        flow.as_mut(),
        &po.client,
    )
    .await?;
    respond(&po, outcome)
}
