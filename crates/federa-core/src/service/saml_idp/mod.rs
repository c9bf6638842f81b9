//! The SAML IdP (CONTRACT §3 "SAML IdP", §4 `OktaAuth`; issue 5 item 3; ARCHITECTURE flow 2):
//! per-app metadata and the SSO endpoint, SP-initiated over the HTTP-Redirect and HTTP-POST
//! bindings and IdP-initiated. Protocol validity (decoding, hardening, signatures, building and
//! signing the Response) is `federa-saml`'s; this module decides with the app, the session and
//! the policy engine, following the OIDC authorize use case ([`crate::service::oauth`]):
//!
//! - the request is checked against the app before anything else: active `SAML_2_0` app,
//!   `Issuer` = the app's audience, `AssertionConsumerServiceURL` (if any) = the app's ACS URL
//!   exactly, `Destination` (if any) = this endpoint, signature per `samlSignedRequestEnabled`
//!   and `spCertificate`, `IssueInstant` fresh, request `ID` single use. A failure is a readable
//!   page, never a redirect to an unverified URL;
//! - the verified request travels on as a **resume token**: sealed with the master key
//!   (authenticated, bound to the app, ten-minute expiry, single use through the replay cache).
//!   A POST-binding request is answered with a 303 to the resume URL, because the SameSite=Lax
//!   session cookie does not come with a cross-site POST; the sign-in and the step-up return to a
//!   fresh resume URL. The token also carries the time the sign-in started (the
//!   `federa_login_after` of the OIDC flow, here inside the seal, so it cannot be forged), which
//!   lets `ForceAuthn` count the sign-in it caused;
//! - `ForceAuthn` forces re-authentication unless the app sets `honorForceAuthn: false` or
//!   `disableForceAuthentication: true`; `IsPassive` where interaction would be needed answers
//!   `Responder`/`NoPassive`; a policy DENY answers `Responder`/`RequestDenied`;
//! - the Response: NameID from the app's template and format, `AuthnInstant` = the session's
//!   authentication time, `SessionIndex` = the session's public id, `AuthnContextClassRef` = the
//!   app's, else REFEDS MFA when the session's verifications span two factor classes, else
//!   PasswordProtectedTransport; attribute statements, `session.amr` when asked; signed per
//!   `responseSigned`/`assertionSigned`; encrypted when `assertionEncrypted`; for the org2org
//!   app the `OktaAuth` JWE, encrypted to the SP org's metadata encryption certificate (`kid` =
//!   its RFC 7638 thumbprint). When that metadata cannot be fetched the Response goes out
//!   without `OktaAuth` and a warning is logged: the SP org tops up locally, nobody is locked out.
//!
//! Entity id: `{issuer}/{appId}` (mirrors Okta's `http://www.okta.com/{appId}`-style per-app
//! issuer, reference §1.7, under the org's own URL). SSO URL (both bindings):
//! `{issuer}/app/{appName}/{appId}/sso/saml`.
//!
//! Layout: this module holds the endpoint types, metadata, the resume token and the SSO entry
//! point; `request` verifies an AuthnRequest against the app, `response` decides with the
//! session and the policy and builds the Response.

mod request;
mod response;

use request::check_request;
pub use response::expand;
use response::respond;

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::Org;
use crate::model::User;
use crate::model::app::{SamlSp, SignOnMode};
use crate::service::apps::{self, App};
use crate::service::keys;
use crate::service::signin::Client;
use crate::service::syslog::{self, LogActor, LogEventInput, LogTarget, OutcomeResult, Severity};
use base64::Engine as _;
use federa_saml::{Limits, UnverifiedAuthnRequest, ns};
use federa_types::{Secret, Timestamp};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The query parameter of the resume URL.
pub const RESUME_PARAM: &str = "resume";
/// How long a resume token is good for (the time a person has to sign in).
pub const RESUME_TTL_MS: i64 = 10 * 60_000;
/// Longest RelayState carried (Bindings §3.4.3 says 80 bytes; real SPs send more).
pub const MAX_RELAY_STATE: usize = 1024;
/// Accepted clock skew on `IssueInstant` (Okta's SAML default).
pub const CLOCK_SKEW: time::Duration = time::Duration::seconds(120);
/// Oldest accepted AuthnRequest.
pub const MAX_REQUEST_AGE: time::Duration = time::Duration::minutes(10);
/// Largest SP metadata document fetched.
pub const MAX_SP_METADATA: usize = 256 * 1024;
/// REFEDS MFA profile (AuthnContextClassRef when MFA was done).
pub const AC_REFEDS_MFA: &str = "https://refeds.org/profile/mfa";
/// Name of the attribute carrying the session's AMR values.
pub const SESSION_AMR_ATTRIBUTE: &str = "session.amr";

const SEAL_PURPOSE: &str = "saml-resume";
const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
const STATUS_NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
const STATUS_REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";

/// What reached the SSO endpoint.
#[derive(Debug, Clone, Copy)]
pub enum SsoInput<'a> {
    /// HTTP-Redirect binding: the raw query string as received.
    Redirect {
        /// Query string, still URL-encoded (the signature covers its octets).
        raw_query: &'a str,
    },
    /// HTTP-POST binding.
    Post {
        /// The `SAMLRequest` form value.
        saml_request: &'a str,
        /// `RelayState`.
        relay_state: Option<&'a str>,
    },
    /// IdP-initiated: no request.
    IdpInitiated {
        /// `RelayState` given to the endpoint (else the app's default).
        relay_state: Option<&'a str>,
    },
    /// Back from a 303, a sign-in or a step-up.
    Resume {
        /// The sealed token.
        token: &'a str,
    },
}

/// Why an error page is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// No such (usable) app.
    NotFound,
    /// The request is not acceptable.
    BadRequest,
}

/// A SAML message to post to the SP's ACS.
#[derive(Debug, Clone)]
pub struct PostBack {
    /// The ACS URL (the app's, never one from the request).
    pub acs_url: String,
    /// The `SAMLResponse` value (base64).
    pub saml_response: String,
    /// `RelayState`, unchanged.
    pub relay_state: Option<String>,
    /// The app's label (for the page).
    pub app_label: String,
}

/// What the SSO endpoint answers.
#[derive(Debug)]
pub enum SsoOutcome {
    /// A readable error page; nothing goes to the SP.
    Page {
        /// What kind of failure.
        kind: PageKind,
        /// For the person.
        message: String,
    },
    /// Continue at this local URL (a POST-binding request becomes a GET).
    Continue(String),
    /// Sign in (or step up) first: set this flow cookie and go to `/login`.
    SignIn(Secret<String>),
    /// The step-up completed at once: set this session cookie and go to `location`.
    Reload {
        /// The new session cookie value.
        session_cookie: Secret<String>,
        /// Where to go (a resume URL).
        location: String,
    },
    /// Post this Response to the SP.
    Post(PostBack),
}

fn page(kind: PageKind, message: impl Into<String>) -> SsoOutcome {
    SsoOutcome::Page {
        kind,
        message: message.into(),
    }
}

/// The request facts that survive the resume round trip.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingRequest {
    id: String,
    force_authn: bool,
    is_passive: bool,
    binding: String,
}

/// The sealed resume token's content.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Resume {
    /// Single-use id.
    jti: String,
    /// The app it is for.
    app: String,
    /// Expiry (ms).
    exp: i64,
    /// The AuthnRequest (None: IdP-initiated).
    req: Option<PendingRequest>,
    /// RelayState to return.
    relay: Option<String>,
    /// When a sign-in this request caused started (ms): a session created since counts as the
    /// fresh authentication `ForceAuthn` asked for.
    login_after: Option<i64>,
}

/// The IdP entity id of an app: `{issuer}/{appId}`.
pub fn entity_id(issuer: &str, app_id: &str) -> String {
    format!("{}/{}", issuer.trim_end_matches('/'), app_id)
}

/// The local path of an app's SSO endpoint, with an optional resume token.
pub fn sso_path(app_name: &str, app_id: &str, resume: Option<&str>) -> String {
    let mut u = match url::Url::parse("http://local.invalid/") {
        Ok(u) => u,
        Err(_) => return "/".into(),
    };
    if let Ok(mut segs) = u.path_segments_mut() {
        segs.clear()
            .extend(["app", app_name, app_id, "sso", "saml"]);
    }
    if let Some(t) = resume {
        u.query_pairs_mut().append_pair(RESUME_PARAM, t);
    }
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// The absolute SSO URL of an app (metadata `SingleSignOnService`, expected `Destination`).
pub fn sso_url(issuer: &str, app_name: &str, app_id: &str) -> String {
    format!(
        "{}{}",
        issuer.trim_end_matches('/'),
        sso_path(app_name, app_id, None)
    )
}

fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(e.to_string())
}

fn odt(t: Timestamp) -> Result<OffsetDateTime, CoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000).map_err(internal)
}

/// The app if it exists, is active and is a SAML app, with its SP side.
async fn saml_app(ctx: &Ctx, org: &Org, app_id: &str) -> Result<Option<(App, SamlSp)>, CoreError> {
    let app = match apps::get(ctx, &org.id, app_id).await {
        Ok(a) => a,
        Err(CoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if !app.is_active() || app.mode != SignOnMode::Saml2 {
        return Ok(None);
    }
    Ok(app.saml().map(|sp| (app, sp)))
}

/// `GET /app/{appId}/sso/saml/metadata`: the IdP metadata of an app; None for an unknown,
/// inactive or non-SAML app.
pub async fn metadata(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    app_id: &str,
) -> Result<Option<String>, CoreError> {
    let Some((app, sp)) = saml_app(ctx, org, app_id).await? else {
        return Ok(None);
    };
    let identity = keys::saml_identity(ctx, &org.id).await?;
    let url = sso_url(issuer, &app.name, app.id.as_str());
    let md = federa_saml::IdpMetadata {
        entity_id: entity_id(issuer, app.id.as_str()),
        sso_redirect_url: url.clone(),
        sso_post_url: url,
        signing_certs: vec![identity.certificate().clone()],
        name_id_formats: vec![ns::NAMEID_UNSPECIFIED.into(), ns::NAMEID_EMAIL.into()],
        want_authn_requests_signed: sp.signed_requests_required,
    };
    federa_saml::idp_metadata_xml(&md)
        .map(Some)
        .map_err(internal)
}

/// Everything known about one SSO attempt, for the System Log.
struct LogCtx<'a> {
    org: &'a Org,
    issuer: &'a str,
    app: &'a App,
    client: &'a Client,
}

async fn log_sso(
    ctx: &Ctx,
    l: &LogCtx<'_>,
    user: Option<&User>,
    result: OutcomeResult,
    reason: Option<&str>,
    debug: serde_json::Map<String, serde_json::Value>,
) -> Result<(), CoreError> {
    let mut targets = vec![LogTarget {
        id: l.app.id.to_string(),
        kind: "AppInstance".into(),
        alternate_id: Some(l.app.label.clone()),
        display_name: Some(l.app.label.clone()),
    }];
    if let Some(u) = user {
        targets.push(LogTarget::user(
            u.id.to_string(),
            u.profile.login.clone(),
            u.profile.display_name.clone(),
        ));
    }
    syslog::record(
        ctx,
        &l.org.id,
        LogEventInput {
            event_type: "user.authentication.sso".into(),
            display_message: "User single sign on to app".into(),
            severity: if result == OutcomeResult::Success {
                Severity::Info
            } else {
                Severity::Warn
            },
            outcome_result: result,
            outcome_reason: reason.map(|r| r.chars().take(300).collect()),
            actor: user.map(|u| {
                LogActor::user(
                    u.id.to_string(),
                    u.profile.login.clone(),
                    u.profile.display_name.clone(),
                )
            }),
            targets,
            client_ip: l.client.ip.clone(),
            user_agent: l.client.user_agent.clone(),
            request_id: l.client.request_id.clone(),
            debug_data: debug,
            ..Default::default()
        },
    )
    .await
}

/// A refused request: logged as a failed SSO to the app, shown as a page.
async fn refuse(
    ctx: &Ctx,
    l: &LogCtx<'_>,
    why: &str,
    detail: String,
) -> Result<SsoOutcome, CoreError> {
    let mut debug = serde_json::Map::new();
    debug.insert(
        "detail".into(),
        detail.chars().take(500).collect::<String>().into(),
    );
    log_sso(ctx, l, None, OutcomeResult::Failure, Some(why), debug).await?;
    Ok(page(PageKind::BadRequest, why))
}

fn seal(ctx: &Ctx, r: &Resume) -> Result<String, CoreError> {
    let json = serde_json::to_vec(r).map_err(internal)?;
    ctx.secrets.seal(ctx.rng.as_ref(), SEAL_PURPOSE, &json)
}

fn new_resume(
    ctx: &Ctx,
    app: &App,
    req: Option<PendingRequest>,
    relay: Option<String>,
    login_after: Option<i64>,
) -> Resume {
    let now = ctx.clock.now();
    let jti: [u8; 18] = ctx.random();
    Resume {
        jti: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
        app: app.id.to_string(),
        exp: now.0.saturating_add(RESUME_TTL_MS),
        req,
        relay,
        login_after,
    }
}

fn resume_url(ctx: &Ctx, app: &App, r: &Resume) -> Result<String, CoreError> {
    let token = seal(ctx, r)?;
    Ok(sso_path(&app.name, app.id.as_str(), Some(&token)))
}

/// `GET`/`POST /app/{appName}/{appId}/sso/saml`. `issuer` is the org URL as the request reached
/// it.
#[allow(clippy::too_many_arguments)]
pub async fn sso(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    app_name: &str,
    app_id: &str,
    input: SsoInput<'_>,
    session_cookie: Option<&str>,
    client: &Client,
) -> Result<SsoOutcome, CoreError> {
    let Some((app, sp)) = saml_app(ctx, org, app_id).await? else {
        return Ok(page(
            PageKind::NotFound,
            "This app does not exist or is not active.",
        ));
    };
    if app.name != app_name {
        return Ok(page(
            PageKind::NotFound,
            "This app does not exist or is not active.",
        ));
    }
    let l = LogCtx {
        org,
        issuer,
        app: &app,
        client,
    };
    let resume = match input {
        SsoInput::Resume { token } => {
            let opened = ctx
                .secrets
                .open(SEAL_PURPOSE, token)
                .ok()
                .and_then(|b| serde_json::from_slice::<Resume>(b.expose()).ok());
            let Some(r) = opened else {
                return refuse(
                    ctx,
                    &l,
                    "The sign-in link is not valid.",
                    "resume token does not open".into(),
                )
                .await;
            };
            let now = ctx.clock.now();
            if r.app != app.id.as_str() {
                return refuse(
                    ctx,
                    &l,
                    "The sign-in link is not valid.",
                    "resume token is for another app".into(),
                )
                .await;
            }
            if r.exp <= now.0 {
                return refuse(
                    ctx,
                    &l,
                    "The sign-in link has expired. Start again from the app.",
                    "resume token expired".into(),
                )
                .await;
            }
            let fresh = ctx
                .store
                .remember_once(&org.id, SEAL_PURPOSE, &r.jti, Timestamp(r.exp), now)
                .await?;
            if !fresh {
                return refuse(
                    ctx,
                    &l,
                    "The sign-in link was already used. Start again from the app.",
                    "resume token replayed".into(),
                )
                .await;
            }
            r
        }
        SsoInput::IdpInitiated { relay_state } => {
            let relay = relay_state
                .map(str::to_string)
                .or_else(|| sp.default_relay_state.clone());
            if relay.as_ref().is_some_and(|r| r.len() > MAX_RELAY_STATE) {
                return refuse(
                    ctx,
                    &l,
                    "The RelayState is too long.",
                    "RelayState over the limit".into(),
                )
                .await;
            }
            new_resume(ctx, &app, None, relay, None)
        }
        SsoInput::Redirect { .. } | SsoInput::Post { .. } => {
            let limits = Limits::default();
            let decoded = match input {
                SsoInput::Redirect { raw_query } => {
                    UnverifiedAuthnRequest::from_redirect(raw_query, &limits)
                }
                SsoInput::Post {
                    saml_request,
                    relay_state,
                } => UnverifiedAuthnRequest::from_post(saml_request, relay_state, &limits),
                _ => return Err(internal("unreachable binding")),
            };
            let unverified = match decoded {
                Ok(u) => u,
                Err(e) => {
                    return refuse(
                        ctx,
                        &l,
                        "The sign-in request from the app is not valid.",
                        e.to_string(),
                    )
                    .await;
                }
            };
            let verified = match check_request(ctx, org, issuer, &app, &sp, unverified).await? {
                Ok(v) => v,
                Err((why, detail)) => return refuse(ctx, &l, why, detail).await,
            };
            let pending = PendingRequest {
                id: verified.fields.id.clone(),
                force_authn: verified.fields.force_authn,
                is_passive: verified.fields.is_passive,
                binding: verified.binding.uri().to_string(),
            };
            let r = new_resume(ctx, &app, Some(pending), verified.relay_state.clone(), None);
            if matches!(input, SsoInput::Post { .. }) {
                // The session cookie (SameSite=Lax) does not come with a cross-site POST.
                return Ok(SsoOutcome::Continue(resume_url(ctx, &app, &r)?));
            }
            r
        }
    };
    respond(ctx, &l, &sp, resume, session_cookie).await
}
