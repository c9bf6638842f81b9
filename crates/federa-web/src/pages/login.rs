//! The sign-in pages: `GET /login` renders the flow's current step; each form posts to its own
//! endpoint, which calls one use case of `federa_core::service::signin` and redirects back
//! (post/redirect/get), or, once signed in, sets the session cookie and continues.

use super::render::PageError;
use super::web::{PageForm, PageOrg, see_other, set_cookie};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use federa_core::service::sessions::{self, SESSION_COOKIE};
use federa_core::service::signin::{self, Advance, FLOW_COOKIE, Flow, Step};
use federa_types::Secret;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Deserialize;

/// `GET /`: the sign-in page or the signed-in page.
pub async fn root() -> Response {
    see_other("/login", vec![])
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Start a new flow even if one is in progress.
    pub restart: Option<String>,
    /// Local path to continue to after signing in.
    pub return_to: Option<String>,
    /// Okta's name for the same.
    #[serde(rename = "fromURI")]
    pub from_uri: Option<String>,
}

/// `GET /login`.
pub async fn page(
    State(s): State<AppState>,
    po: PageOrg,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let target = q.return_to.as_deref().or(q.from_uri.as_deref());
    let existing = if q.restart.is_some() || target.is_some() {
        None
    } else {
        signin::load(&s.ctx, &po.org, po.cookie(FLOW_COOKIE)).await?
    };
    // With a session, go on to where the person was going, unless an app started this flow to
    // step the session up or to force a new sign-in.
    if q.restart.is_none()
        && !existing.as_ref().is_some_and(|f| f.state.over_session)
        && sessions::current(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE))
            .await?
            .is_some()
    {
        return Ok(see_other(&signin::safe_return_to(target), vec![]));
    }
    let (cookie, mut flow) = match existing {
        Some(f) => (None, f),
        None => {
            let (c, f) = signin::start(&s.ctx, &po.org, target).await?;
            (Some(c), f)
        }
    };
    let error = signin::take_error(&s.ctx, &mut flow).await?;
    // "Sign in with {IdP}" buttons: the IdPs the routing rules offer for this flow.
    let offered = match flow.state.step {
        Step::Identify | Step::Password => {
            let id = flow.state.login.clone().unwrap_or_default();
            signin::routing(&s.ctx, &po.org, &flow, &id).await?.0
        }
        _ => Vec::new(),
    };
    let idps: Vec<minijinja::Value> = offered
        .iter()
        .map(|i| context! { href => format!("/sso/idps/{}", i.id), name => i.name.clone() })
        .collect();
    let html = render_step(&s, &po, &flow, error, idps)?;
    let mut res = Html(html).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    if let Some(c) = cookie {
        res.headers_mut().append(
            axum::http::header::SET_COOKIE,
            set_cookie(FLOW_COOKIE, Some(c.expose()), po.secure),
        );
    }
    Ok(res)
}

fn render_step(
    s: &AppState,
    po: &PageOrg,
    flow: &Flow,
    error: Option<String>,
    idps: Vec<minijinja::Value>,
) -> Result<String, PageError> {
    let st = &flow.state;
    let org_name = po.org.name.clone();
    let csrf = st.csrf.clone();
    match &st.step {
        Step::Identify => s.templates.render(
            "identify.html",
            context! { org_name, csrf, error, login => st.login.clone(), idps },
        ),
        Step::Password => s.templates.render("password.html", context! { org_name, csrf, error, login => st.login.clone(), idps }),
        Step::Choose { options } => s.templates.render("choose.html", context! { org_name, csrf, error, options => Value::from(Serde(options)) }),
        Step::Verify { display, prompt, answer, .. } => {
            s.templates.render("verify.html", context! { org_name, csrf, error, display, prompt, answer => Value::from(Serde(answer)) })
        }
        Step::Enroll { display, method_type, pending_factor, secret, qr_svg, .. } => s.templates.render(
            "enroll.html",
            context! {
                org_name, csrf, error, display, method => method_type, pending => pending_factor.is_some(),
                secret, qr_svg, prompt => "Enter the code we sent you.",
            },
        ),
        Step::Passkey { register, display } => s.templates.render("passkey.html", context! { org_name, csrf, error, register, display }),
        Step::Denied { reason } => s.templates.render("denied.html", context! { org_name, error, reason }),
    }
}

/// Loads the flow of a form post and checks its CSRF token; a missing or expired flow sends the
/// person back to the start.
async fn posted_flow(
    s: &AppState,
    po: &PageOrg,
    form: &PageForm,
) -> Result<Result<Flow, Response>, PageError> {
    let Some(flow) = signin::load(&s.ctx, &po.org, po.cookie(FLOW_COOKIE)).await? else {
        return Ok(Err(see_other("/login?restart=1", vec![])));
    };
    signin::check_csrf(&flow, form.get("csrf"))?;
    Ok(Ok(flow))
}

fn after(po: &PageOrg, adv: Advance) -> Response {
    match adv {
        Advance::Continue => see_other("/login", vec![]),
        Advance::ContinueWith { flow_cookie } => see_other(
            "/login",
            vec![set_cookie(
                FLOW_COOKIE,
                Some(flow_cookie.expose()),
                po.secure,
            )],
        ),
        Advance::Done { cookie, redirect } => see_other(
            &redirect,
            vec![
                set_cookie(SESSION_COOKIE, Some(cookie.expose()), po.secure),
                set_cookie(FLOW_COOKIE, None, po.secure),
            ],
        ),
        Advance::Federate { idp } => see_other(&format!("/sso/idps/{idp}"), vec![]),
    }
}

macro_rules! flow_post {
    ($name:ident, |$s:ident, $po:ident, $flow:ident, $form:ident| $body:expr) => {
        /// Form endpoint of the sign-in flow.
        pub async fn $name(
            State($s): State<AppState>,
            $po: PageOrg,
            $form: PageForm,
        ) -> Result<Response, PageError> {
            let mut $flow = match posted_flow(&$s, &$po, &$form).await? {
                Ok(f) => f,
                Err(redirect) => return Ok(redirect),
            };
            let adv = $body;
            Ok(after(&$po, adv))
        }
    };
}

flow_post!(identify, |s, po, flow, form| signin::identify(
    &s.ctx,
    &po.org,
    &mut flow,
    form.get("username")
)
.await?);
flow_post!(password, |s, po, flow, form| signin::password(
    &s.ctx,
    &po.org,
    &mut flow,
    Secret::new(form.get("password").to_string()),
    &po.client
)
.await?);
flow_post!(choose, |s, po, flow, form| signin::choose(
    &s.ctx,
    &po.org,
    &mut flow,
    form.get("option"),
    &po.client
)
.await?);
flow_post!(verify, |s, po, flow, form| signin::verify(
    &s.ctx,
    &po.org,
    &mut flow,
    form.get("answer"),
    &po.client
)
.await?);
flow_post!(enroll, |s, po, flow, form| signin::enroll(
    &s.ctx, &po.org, &mut flow, &form.0, &po.client
)
.await?);
flow_post!(back, |s, po, flow, _form| signin::back(
    &s.ctx, &po.org, &mut flow, &po.client
)
.await?);

flow_post!(passkey, |s, po, flow, form| signin::passkey_finish(
    &s.ctx,
    &po.org,
    &mut flow,
    &po.relying_party(),
    form.get("credential"),
    &po.client
)
.await?);

/// `POST /login/passkey/options`: starts the WebAuthn ceremony (JSON for the page's script).
pub async fn passkey_options(
    State(s): State<AppState>,
    po: PageOrg,
    form: PageForm,
) -> Result<Response, PageError> {
    let mut flow = match posted_flow(&s, &po, &form).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let options = signin::passkey_options(&s.ctx, &po.org, &mut flow, &po.relying_party()).await?;
    Ok(axum::Json(options).into_response())
}
