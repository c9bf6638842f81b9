//! The local sign-in flow (ARCHITECTURE flow 1; CONTRACT §6): identifier first, routing rules
//! (the place where "Sign in with {IdP}" plugs in), password, then whatever the policy engine
//! says is still unmet, challenged with the user's enrolled factors or enrolled on the spot when
//! MFA_ENROLL allows it. Flow state lives server-side (a `signin_flows` row found by the hash of
//! an HttpOnly cookie) so any node can continue any flow. Messages never reveal whether a user
//! exists; every step is CSRF-checked, rate limited, and logged to the System Log.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::factor::{FactorProfile, FactorProvider, FactorStatus, FactorType};
use crate::model::session::StoredFlow;
use crate::model::{Engine as OrgEngine, LifecycleStatus, Org, User, UserStatus};
use crate::service::factors::{self, Activation, EnrollFactor};
use crate::service::sessions::{self, hash_token, random_token};
use crate::service::syslog::{self, LogActor, LogEventInput, LogTarget, OutcomeResult, Severity};
use crate::service::{authenticators, groups, policies, ratelimit, users, webauthn};
use crate::system::constant_time_eq;
use federa_claims::{
    AuthenticatorKey, Engine, FactorVerification, MethodFlags, MethodType, local_verification,
};
use federa_policy::eval::{AuthenticatorMethods, Decision, EvaluationInput, evaluate};
use federa_policy::sign_on::SessionSettings;
use federa_types::{AppId, IdpId, Secret, Timestamp, UserId};
use serde::{Deserialize, Serialize};

mod passkey;
mod steps;

pub use passkey::{passkey_finish, passkey_options};
pub use steps::{back, choose, enroll, verify};
use steps::{can_do_here, factor_kind, flow_user};

/// Name of the flow cookie.
pub const FLOW_COOKIE: &str = "federa_flow";
/// How long a sign-in flow may take.
pub const FLOW_TTL_MS: i64 = 15 * 60_000;
/// Consecutive failed passwords that lock an account (Okta's default password policy).
pub const LOCKOUT_THRESHOLD: i64 = 10;
/// The message for every failed primary authentication: it never tells whether the user exists,
/// is locked or typed a wrong password.
pub const GENERIC_FAILURE: &str =
    "Unable to sign in. Check your username and password and try again.";
/// Longest accepted username and password.
pub const MAX_INPUT: usize = 256;
/// Where a flow lands when it was not started for a specific target.
pub const DEFAULT_LANDING: &str = "/me";

/// Who is asking: for rate limits and the System Log.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Client address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
}

/// One authenticator the user can pick to meet what is unmet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Authenticator key.
    pub authenticator_key: String,
    /// Method.
    pub method_type: String,
    /// Label for people, e.g. "Email" or "Phone (SMS)".
    pub display: String,
    /// The enrolled factor to challenge, when enrolled.
    pub factor_id: Option<String>,
    /// The user has to enroll this authenticator first.
    pub needs_enrollment: bool,
}

/// What the verify page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// A verification code.
    Code,
    /// The answer to a security question.
    Answer,
}

/// Where the flow stands; the page for it is rendered from this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Ask for the username.
    Identify,
    /// Ask for the password.
    Password,
    /// Pick an authenticator among these.
    Choose {
        /// The options, in the engine's order.
        options: Vec<Choice>,
    },
    /// Verify an enrolled factor.
    Verify {
        /// The factor.
        factor_id: String,
        /// Authenticator key and method (for the credited verification).
        authenticator_key: String,
        /// Method.
        method_type: String,
        /// Label for people.
        display: String,
        /// The question, or where the code was sent.
        prompt: String,
        /// Code or answer.
        answer: AnswerKind,
    },
    /// Enroll an authenticator.
    Enroll {
        /// Authenticator key.
        authenticator_key: String,
        /// Method.
        method_type: String,
        /// Label for people.
        display: String,
        /// A pending factor awaiting activation, once created.
        pending_factor: Option<String>,
        /// For TOTP: the base32 secret to type in.
        secret: Option<String>,
        /// For TOTP: the otpauth URI.
        otpauth_uri: Option<String>,
        /// For TOTP: the QR code as SVG.
        qr_svg: Option<String>,
    },
    /// Use (or set up) a passkey: the page runs the WebAuthn ceremony in the browser.
    Passkey {
        /// Set up a new passkey rather than use an existing one.
        register: bool,
        /// Label for people.
        display: String,
    },
    /// Access denied; the reason can be shown.
    Denied {
        /// Readable reason.
        reason: String,
    },
}

/// The state of one sign-in flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowState {
    /// CSRF token every form of the flow must carry.
    pub csrf: String,
    /// When the flow started (factors verified since then are fresh, `PT0S` included).
    pub started_at: Timestamp,
    /// Local path to continue to when done.
    pub return_to: String,
    /// The username typed.
    pub login: Option<String>,
    /// The user, once the password proved who it is.
    pub user_id: Option<UserId>,
    /// Verifications made in this flow.
    pub verifications: Vec<FactorVerification>,
    /// Current step.
    pub step: Step,
    /// A message for the next rendering (shown once).
    pub error: Option<String>,
    /// The pending WebAuthn ceremony of a Passkey step.
    #[serde(default)]
    pub ceremony: Option<String>,
    /// The app being signed in to: its authentication policy is evaluated too.
    #[serde(default)]
    pub app_id: Option<AppId>,
    /// Started by an app request while a session may exist (step-up or forced
    /// re-authentication): the flow is shown even though the browser has a session.
    #[serde(default)]
    pub over_session: bool,
    /// Step-up of this session (id hash): it is replaced by the new session at the end.
    #[serde(default)]
    pub replaces_session: Option<String>,
    /// The `acr_values` requirement of the app's request (OIDC), on top of the app's policy.
    #[serde(default)]
    pub acr: Option<String>,
    /// The IdP this sign-in came through, and when (federated sign-in).
    #[serde(default)]
    pub idp: Option<(IdpId, Timestamp)>,
}

/// A loaded flow.
#[derive(Debug, Clone)]
pub struct Flow {
    stored: StoredFlow,
    /// Its state.
    pub state: FlowState,
    /// Set by [`rotate`]: the id hash still in the store until the next [`save`] moves the flow
    /// to its new id (one statement instead of insert + delete, and none when the flow ends).
    rekey_from: Option<String>,
}

/// What a POST leads to.
#[derive(Debug)]
pub enum Advance {
    /// Render the flow's current step (after a redirect).
    Continue,
    /// Render the current step with a new flow cookie (rotated when the password proved who
    /// the user is, so a planted flow id is worth nothing).
    ContinueWith {
        /// New flow cookie value.
        flow_cookie: Secret<String>,
    },
    /// Signed in: set this session cookie and go to `redirect`.
    Done {
        /// New session cookie value.
        cookie: Secret<String>,
        /// Where to go.
        redirect: String,
    },
    /// A routing rule sends this user to an IdP: go to `/sso/idps/{idp}` (the flow goes on
    /// there, and comes back for any local top-up).
    Federate {
        /// The IdP.
        idp: IdpId,
    },
}

/// An IdP the routing rules offer on the sign-in page ("Sign in with {name}").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferedIdp {
    /// Id.
    pub id: IdpId,
    /// Display name.
    pub name: String,
}

/// Where the routing rules (IDP_DISCOVERY) send `identifier` for this flow: the active IdPs of
/// the matching rule (empty: the local sign-in only) and whether the local sign-in is offered
/// too. A DYNAMIC rule is not supported yet and routes to the local sign-in.
pub async fn routing(
    ctx: &Ctx,
    org: &Org,
    flow: &Flow,
    identifier: &str,
) -> Result<(Vec<OfferedIdp>, bool), CoreError> {
    use federa_policy::discovery::{AppContext, Route, RoutingInput, route};
    let all = policies::load(ctx, &org.id).await?;
    if all.discovery.is_empty() {
        return Ok((Vec::new(), true));
    }
    let app = match &flow.state.app_id {
        Some(id) => ctx.store.app_by_id(&org.id, id).await?,
        None => None,
    };
    let user = if identifier.is_empty() {
        None
    } else {
        ctx.store.user_by_login(&org.id, identifier).await?
    };
    let decision = {
        let attribute = |name: &str| -> Option<String> {
            let p = &user.as_ref()?.profile;
            match name {
                "login" => Some(p.login.clone()),
                "email" => Some(p.email.clone()),
                "firstName" => p.first_name.clone(),
                "lastName" => p.last_name.clone(),
                _ => None,
            }
        };
        let input = RoutingInput {
            identifier,
            app: app.as_ref().map(|a| AppContext {
                id: &a.id,
                name: &a.name,
            }),
            zones: &[],
            attribute: &attribute,
        };
        route(&all.discovery, &input)
    };
    match decision.route {
        Route::Idps {
            idp_ids,
            include_okta,
        } => {
            let mut out = Vec::new();
            for id in idp_ids {
                if let Ok(idp) = crate::service::idps::get(ctx, &org.id, id.as_str()).await
                    && idp.is_active()
                {
                    out.push(OfferedIdp {
                        id: idp.id.clone(),
                        name: idp.name.clone(),
                    });
                }
            }
            // No usable IdP: the local sign-in, whatever the rule said.
            let local = include_okta || out.is_empty();
            Ok((out, local))
        }
        Route::Okta | Route::Dynamic { .. } => Ok((Vec::new(), true)),
    }
}

/// A local path that is safe to redirect to after sign-in (no scheme, no host, no `//`).
pub fn safe_return_to(target: Option<&str>) -> String {
    match target {
        Some(t)
            if t.starts_with('/')
                && !t.starts_with("//")
                && !t.contains('\\')
                && t.len() <= 2048
                && !t.chars().any(char::is_control) =>
        {
            t.to_string()
        }
        _ => DEFAULT_LANDING.to_string(),
    }
}

/// Starts a flow; returns the cookie value and the flow.
pub async fn start(
    ctx: &Ctx,
    org: &Org,
    return_to: Option<&str>,
) -> Result<(Secret<String>, Flow), CoreError> {
    let now = ctx.clock.now();
    let token = random_token(ctx);
    let state = FlowState {
        csrf: random_token(ctx),
        started_at: now,
        return_to: safe_return_to(return_to),
        login: None,
        user_id: None,
        verifications: Vec::new(),
        step: Step::Identify,
        error: None,
        ceremony: None,
        app_id: None,
        over_session: false,
        replaces_session: None,
        acr: None,
        idp: None,
    };
    let stored = StoredFlow {
        id_hash: hash_token(&token),
        org_id: org.id.clone(),
        created: now,
        expires_at: now.plus_millis(FLOW_TTL_MS),
        state: to_json(&state)?,
    };
    ctx.store.create_flow(&stored).await?;
    Ok((
        Secret::new(token),
        Flow {
            stored,
            state,
            rekey_from: None,
        },
    ))
}

pub(super) fn to_json(state: &FlowState) -> Result<serde_json::Value, CoreError> {
    serde_json::to_value(state).map_err(|e| CoreError::Internal(format!("flow state: {e}")))
}

/// How an app request starts a sign-in.
#[derive(Debug, Clone)]
pub enum AppSignIn<'a> {
    /// Sign in from the start (no session, or the app forced re-authentication).
    Fresh {
        /// Username to prefill (`login_hint`).
        login_hint: Option<&'a str>,
    },
    /// The session's user must meet more of the app's policy: start from the session's
    /// verifications and challenge what is missing.
    StepUp(&'a crate::model::session::Session),
}

/// Starts a flow for an app (OIDC authorize or SAML SSO), returning to `return_to` (the
/// protocol endpoint) when done. A step-up flow is advanced at once, so its first page is
/// already the challenge.
pub async fn start_for_app(
    ctx: &Ctx,
    org: &Org,
    app: &AppId,
    return_to: &str,
    how: AppSignIn<'_>,
    client: &Client,
) -> Result<(Secret<String>, Flow, Advance), CoreError> {
    start_for_app_acr(ctx, org, app, return_to, how, None, client).await
}

/// [`start_for_app`] with an `acr_values` requirement (see [`crate::service::oauth::acr`]).
pub async fn start_for_app_acr(
    ctx: &Ctx,
    org: &Org,
    app: &AppId,
    return_to: &str,
    how: AppSignIn<'_>,
    acr: Option<&str>,
    client: &Client,
) -> Result<(Secret<String>, Flow, Advance), CoreError> {
    let (cookie, mut flow) = start(ctx, org, Some(return_to)).await?;
    flow.state.app_id = Some(app.clone());
    flow.state.acr = acr.map(str::to_string);
    flow.state.over_session = true;
    match how {
        AppSignIn::Fresh { login_hint } => {
            flow.state.login = login_hint
                .map(str::trim)
                .filter(|l| !l.is_empty() && l.chars().count() <= MAX_INPUT)
                .filter(|l| !l.chars().any(char::is_control))
                .map(str::to_string);
            save(ctx, &mut flow).await?;
            Ok((cookie, flow, Advance::Continue))
        }
        AppSignIn::StepUp(session) => {
            flow.state.user_id = Some(session.user_id.clone());
            flow.state.verifications = session.verifications.clone();
            flow.state.replaces_session = Some(session.id_hash.clone());
            let advance = advance(ctx, org, &mut flow, client).await?;
            Ok((cookie, flow, advance))
        }
    }
}

/// Continues a flow after a federated sign-in: the user the broker resolved, the verifications
/// the trust rules credited, and the IdP. The policies decide what happens next: a session, a
/// local top-up of what is still missing, or a denial.
pub async fn continue_federated(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    user: User,
    credited: Vec<FactorVerification>,
    idp: (IdpId, Timestamp),
    client: &Client,
) -> Result<Advance, CoreError> {
    flow.state.user_id = Some(user.id.clone());
    flow.state.login = Some(user.profile.login.clone());
    flow.state.verifications = credited;
    flow.state.idp = Some(idp);
    // A new principal: the flow cookie changes (as after a password).
    let flow_cookie = rotate(ctx, flow);
    match advance_with(ctx, org, flow, client, user).await? {
        Advance::Continue => Ok(Advance::ContinueWith { flow_cookie }),
        other => Ok(other),
    }
}

/// The SHA-256 (hex) of the flow's current cookie value, to bind other state to this browser.
pub fn browser_binding(flow: &Flow) -> String {
    flow.stored.id_hash.clone()
}

/// The unexpired flow of this cookie value.
pub async fn load(ctx: &Ctx, org: &Org, cookie: Option<&str>) -> Result<Option<Flow>, CoreError> {
    let Some(token) = cookie.filter(|t| !t.is_empty() && t.len() <= 128) else {
        return Ok(None);
    };
    let Some(stored) = ctx
        .store
        .flow_by_hash(&org.id, &hash_token(token), ctx.clock.now())
        .await?
    else {
        return Ok(None);
    };
    let state: FlowState = serde_json::from_value(stored.state.clone())
        .map_err(|e| CoreError::Internal(format!("stored flow state unreadable: {e}")))?;
    Ok(Some(Flow {
        stored,
        state,
        rekey_from: None,
    }))
}

pub(super) async fn save(ctx: &Ctx, flow: &mut Flow) -> Result<(), CoreError> {
    flow.stored.state = to_json(&flow.state)?;
    let saved = match flow.rekey_from.take() {
        Some(old) => ctx.store.rekey_flow(&old, &flow.stored).await?,
        None => ctx.store.update_flow(&flow.stored).await?,
    };
    if !saved {
        return Err(CoreError::NotFound("sign-in flow".into()));
    }
    Ok(())
}

/// The id hash the flow has in the store now (before a pending rekey is saved).
pub(super) fn stored_hash(flow: &Flow) -> &str {
    flow.rekey_from.as_deref().unwrap_or(&flow.stored.id_hash)
}

/// Takes the one-time message of the flow (shown once) and saves.
pub async fn take_error(ctx: &Ctx, flow: &mut Flow) -> Result<Option<String>, CoreError> {
    let e = flow.state.error.take();
    if e.is_some() {
        save(ctx, flow).await?;
    }
    Ok(e)
}

/// Refuses a form whose CSRF token does not match the flow's.
pub fn check_csrf(flow: &Flow, token: &str) -> Result<(), CoreError> {
    if constant_time_eq(flow.state.csrf.as_bytes(), token.as_bytes()) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "csrf",
            "The form expired or did not come from this site. Start again.",
        ))
    }
}

pub(super) fn expect_step(flow: &Flow, ok: bool) -> Result<(), CoreError> {
    if ok {
        Ok(())
    } else {
        Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )))
    }
}

/// Short name of a step (for messages and logs).
pub fn step_name(s: &Step) -> &'static str {
    match s {
        Step::Identify => "identify",
        Step::Password => "password",
        Step::Choose { .. } => "choose",
        Step::Verify { .. } => "verify",
        Step::Enroll { .. } => "enroll",
        Step::Passkey { .. } => "passkey",
        Step::Denied { .. } => "denied",
    }
}

/// Attempts allowed per client address and per username (or user) in one window.
pub const ATTEMPTS_PER_WINDOW: u32 = 20;
/// The rate-limit window.
pub const WINDOW_SECONDS: i64 = 300;

/// Counts an attempt against the client address and `subject`; the message to show when either
/// is over the limit.
pub(super) async fn throttle(
    ctx: &Ctx,
    org: &Org,
    client: &Client,
    action: &str,
    subject: &str,
) -> Result<Option<String>, CoreError> {
    let ip = client.ip.as_deref().unwrap_or("unknown");
    let by_ip = ratelimit::hit(
        ctx,
        &org.id,
        &format!("{action}:ip:{ip}"),
        ATTEMPTS_PER_WINDOW * 3,
        WINDOW_SECONDS,
    )
    .await?;
    let by_subject = ratelimit::hit(
        ctx,
        &org.id,
        &format!("{action}:sub:{}", subject.to_lowercase()),
        ATTEMPTS_PER_WINDOW,
        WINDOW_SECONDS,
    )
    .await?;
    if by_ip.allowed && by_subject.allowed {
        return Ok(None);
    }
    let wait = by_ip
        .retry_after_seconds
        .max(by_subject.retry_after_seconds);
    syslog::record(
        ctx,
        &org.id,
        LogEventInput {
            severity: Severity::Warn,
            outcome_result: OutcomeResult::Deny,
            outcome_reason: Some("RATE_LIMIT".into()),
            client_ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            request_id: client.request_id.clone(),
            ..LogEventInput::new(
                "system.operation.rate_limit.violation",
                format!("Too many {action} attempts"),
            )
        },
    )
    .await?;
    Ok(Some(format!(
        "Too many attempts. Try again in {wait} seconds."
    )))
}

/// Records a System Log event of the flow.
#[allow(clippy::too_many_arguments)]
pub(super) async fn log(
    ctx: &Ctx,
    org: &Org,
    client: &Client,
    event_type: &str,
    message: &str,
    result: OutcomeResult,
    reason: Option<&str>,
    user: Option<&User>,
    login: Option<&str>,
    debug: serde_json::Map<String, serde_json::Value>,
) -> Result<(), CoreError> {
    let actor = match (user, login) {
        (Some(u), _) => Some(LogActor::user(
            u.id.to_string(),
            u.profile.login.clone(),
            u.profile.display_name.clone(),
        )),
        (None, Some(l)) => Some(LogActor {
            id: "unknown".into(),
            kind: "User".into(),
            alternate_id: Some(l.chars().take(100).collect()),
            display_name: None,
        }),
        (None, None) => None,
    };
    let targets = user
        .map(|u| {
            vec![LogTarget {
                id: u.id.to_string(),
                kind: "User".into(),
                alternate_id: Some(u.profile.login.clone()),
                display_name: None,
            }]
        })
        .unwrap_or_default();
    syslog::record(
        ctx,
        &org.id,
        LogEventInput {
            severity: if result == OutcomeResult::Failure {
                Severity::Warn
            } else {
                Severity::Info
            },
            outcome_result: result,
            outcome_reason: reason.map(str::to_string),
            actor,
            targets,
            client_ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            request_id: client.request_id.clone(),
            debug_data: debug,
            ..LogEventInput::new(event_type, message)
        },
    )
    .await
}

/// Gives the flow a new cookie value; the store learns it at the next [`save`] (the old value
/// stops working then), or the flow ends and is deleted.
pub(super) fn rotate(ctx: &Ctx, flow: &mut Flow) -> Secret<String> {
    let token = random_token(ctx);
    if flow.rekey_from.is_none() {
        flow.rekey_from = Some(flow.stored.id_hash.clone());
    }
    flow.stored.id_hash = hash_token(&token);
    Secret::new(token)
}

/// Identifier step: remembers the username (whether or not such a user exists) and moves to
/// the password step. Routing rules are consulted here; federation to an IdP plugs in when IdP
/// objects exist.
pub async fn identify(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    username: &str,
) -> Result<Advance, CoreError> {
    expect_step(
        flow,
        matches!(flow.state.step, Step::Identify | Step::Password),
    )?;
    let username = username.trim();
    if username.is_empty()
        || username.chars().count() > MAX_INPUT
        || username.chars().any(char::is_control)
    {
        flow.state.error = Some("Enter your username.".into());
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    flow.state.login = Some(username.to_string());
    // Routing rules: one IdP and no local sign-in → straight to the IdP.
    let (idps, local) = routing(ctx, org, flow, username).await?;
    if !local && idps.len() == 1 {
        save(ctx, flow).await?;
        return Ok(Advance::Federate {
            idp: idps[0].id.clone(),
        });
    }
    flow.state.step = Step::Password;
    save(ctx, flow).await?;
    Ok(Advance::Continue)
}

/// Password step. Failures are counted on the user (lockout at [`LOCKOUT_THRESHOLD`]) and answer
/// one generic message; unknown users cost the same hashing work as known ones.
pub async fn password(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    password: Secret<String>,
    client: &Client,
) -> Result<Advance, CoreError> {
    expect_step(flow, flow.state.step == Step::Password)?;
    let login = flow.state.login.clone().unwrap_or_default();
    if let Some(msg) = throttle(ctx, org, client, "signin", &login).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    if password.expose().is_empty() || password.expose().chars().count() > MAX_INPUT {
        flow.state.error = Some(GENERIC_FAILURE.into());
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let user = users::get(ctx, &org.id, &login).await.ok();
    let ok = match &user {
        Some(u) if u.status == UserStatus::Active => match &u.password_hash {
            Some(h) => ctx.hasher.verify(password, h.clone()).await,
            None => false,
        },
        _ => {
            // Same work as a verification, so timing does not reveal unknown or locked users.
            let _ = ctx.hasher.hash(password, ctx.random()).await;
            false
        }
    };
    match (ok, user) {
        (true, Some(mut u)) => {
            if u.failed_logins != 0 {
                u.failed_logins = 0;
                ctx.store.update_user(&u).await?;
            }
            let v = local_verification(
                &AuthenticatorKey::OktaPassword,
                &MethodType::Password,
                MethodFlags::default(),
                ctx.clock.now(),
            )
            .map_err(|e| CoreError::Internal(e.to_string()))?;
            log(
                ctx,
                org,
                client,
                "user.authentication.auth_via_password",
                "Verify user password",
                OutcomeResult::Success,
                None,
                Some(&u),
                None,
                Default::default(),
            )
            .await?;
            flow.state.user_id = Some(u.id.clone());
            flow.state.verifications.push(v);
            let flow_cookie = rotate(ctx, flow);
            match advance_with(ctx, org, flow, client, u).await? {
                Advance::Continue => Ok(Advance::ContinueWith { flow_cookie }),
                other => Ok(other),
            }
        }
        (_, user) => {
            let reason = match &user {
                None => "UNKNOWN_USER",
                Some(u) if u.status == UserStatus::LockedOut => "LOCKED_OUT",
                Some(u) if u.status != UserStatus::Active => "USER_NOT_ACTIVE",
                Some(_) => "INVALID_CREDENTIALS",
            };
            log(
                ctx,
                org,
                client,
                "user.session.start",
                "User login to Federa",
                OutcomeResult::Failure,
                Some(reason),
                user.as_ref(),
                Some(&login),
                Default::default(),
            )
            .await?;
            if let Some(mut u) = user
                && u.status == UserStatus::Active
            {
                u.failed_logins += 1;
                if u.failed_logins >= LOCKOUT_THRESHOLD {
                    u.status = UserStatus::LockedOut;
                    u.status_changed = Some(ctx.clock.now());
                    log(
                        ctx,
                        org,
                        client,
                        "user.account.lock",
                        "Max sign in attempts exceeded",
                        OutcomeResult::Success,
                        Some("LOCKED_OUT"),
                        Some(&u),
                        None,
                        Default::default(),
                    )
                    .await?;
                }
                u.last_updated = ctx.clock.now();
                ctx.store.update_user(&u).await?;
            }
            flow.state.error = Some(GENERIC_FAILURE.into());
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
    }
}

pub(super) fn engine_of(org: &Org) -> Engine {
    match org.engine {
        OrgEngine::Identity => Engine::Identity,
        OrgEngine::Classic => Engine::Classic,
    }
}

/// What the user has enrolled, as the engine sees it.
pub(super) async fn enrolled_methods(
    ctx: &Ctx,
    org: &Org,
    user: &User,
) -> Result<Vec<AuthenticatorMethods>, CoreError> {
    let mut out = Vec::new();
    if user.password_hash.is_some() {
        out.push(AuthenticatorMethods::all(AuthenticatorKey::OktaPassword));
    }
    if !webauthn::list(ctx, &org.id, &user.id).await?.is_empty() {
        out.push(AuthenticatorMethods::all(AuthenticatorKey::Webauthn));
    }
    for f in factors::active(ctx, &org.id, &user.id).await? {
        if let Some((key, method)) = f.authenticator() {
            out.push(AuthenticatorMethods {
                key,
                methods: vec![method],
            });
        }
    }
    Ok(out)
}

/// Evaluates the policies for the flow's user and verifications.
pub(super) async fn decide(
    ctx: &Ctx,
    org: &Org,
    user: &User,
    flow: &Flow,
) -> Result<(Decision, Option<SessionSettings>), CoreError> {
    evaluate_with_acr(
        ctx,
        org,
        user,
        &flow.state.verifications,
        Some(flow.state.started_at),
        flow.state.app_id.as_ref(),
        flow.state.acr.as_deref(),
        flow.state.idp.as_ref().map(|(i, t)| (i, *t)),
    )
    .await
}

/// Evaluates the global session policy and, for an app, its authentication policy, for a user
/// with these verifications (a flow's, or an existing session's when an app is opened).
pub async fn evaluate_for(
    ctx: &Ctx,
    org: &Org,
    user: &User,
    verifications: &[FactorVerification],
    flow_started_at: Option<Timestamp>,
    app: Option<&AppId>,
) -> Result<(Decision, Option<SessionSettings>), CoreError> {
    evaluate_with_acr(
        ctx,
        org,
        user,
        verifications,
        flow_started_at,
        app,
        None,
        None,
    )
    .await
}

/// [`evaluate_for`] plus a requested `acr` value: when the app's policy allows, the `acr`
/// requirement is evaluated as one more authentication policy, so a request can only make the
/// sign-in stricter.
#[allow(clippy::too_many_arguments)]
pub async fn evaluate_with_acr(
    ctx: &Ctx,
    org: &Org,
    user: &User,
    verifications: &[FactorVerification],
    flow_started_at: Option<Timestamp>,
    app: Option<&AppId>,
    acr: Option<&str>,
    session_idp: Option<(&IdpId, Timestamp)>,
) -> Result<(Decision, Option<SessionSettings>), CoreError> {
    let all = policies::load(ctx, &org.id).await?;
    let access = match app {
        Some(app) => policies::access_policy_of_app(ctx, &org.id, app, &all).await?,
        None => None,
    };
    let group_ids: Vec<_> = groups::of_user(ctx, &org.id, user.id.as_str())
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let enrolled = enrolled_methods(ctx, org, user).await?;
    let active = authenticators::active_methods(ctx, &org.id).await?;
    let input = EvaluationInput {
        sign_on_policies: &all.sign_on,
        access_policy: access.as_ref(),
        user: &user.id,
        groups: &group_ids,
        zones: &[],
        verifications,
        now: ctx.clock.now(),
        flow_started_at,
        session_idp: session_idp.map(|(idp_id, authenticated_at)| {
            federa_policy::eval::SessionIdp {
                idp_id,
                authenticated_at,
            }
        }),
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &all.enroll,
        engine: engine_of(org),
    };
    let outcome = evaluate(&input);
    let (decision, settings) = (outcome.decision.clone(), outcome.session.cloned());
    if decision == Decision::Allow
        && let Some(extra) = acr.and_then(crate::service::oauth::acr::policy_for)
    {
        let stricter = evaluate(&EvaluationInput {
            access_policy: Some(&extra),
            ..input
        });
        if stricter.decision != Decision::Allow {
            return Ok((stricter.decision.clone(), settings));
        }
    }
    Ok((decision, settings))
}

pub(super) async fn display_names(
    ctx: &Ctx,
    org: &Org,
) -> Result<Vec<(String, String)>, CoreError> {
    Ok(ctx
        .store
        .list_authenticators(&org.id)
        .await?
        .into_iter()
        .filter(|a| a.status == LifecycleStatus::Active)
        .map(|a| (a.key, a.name))
        .collect())
}

pub(super) fn method_label(method: &MethodType) -> Option<&'static str> {
    match method {
        MethodType::Sms => Some("SMS"),
        MethodType::Voice => Some("voice call"),
        _ => None,
    }
}

/// Moves the flow on from the engine's decision.
pub(super) async fn advance(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    client: &Client,
) -> Result<Advance, CoreError> {
    let uid = flow
        .state
        .user_id
        .clone()
        .ok_or_else(|| CoreError::Internal("advance without a user".into()))?;
    let user = users::get(ctx, &org.id, uid.as_str()).await?;
    advance_with(ctx, org, flow, client, user).await
}

/// [`advance`] for a user the caller has just loaded.
pub(super) async fn advance_with(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    client: &Client,
    user: User,
) -> Result<Advance, CoreError> {
    let (decision, settings) = decide(ctx, org, &user, flow).await?;
    match decision {
        Decision::Allow => finish(ctx, org, flow, &user, settings.as_ref(), client).await,
        Decision::Challenge { options, unmet } => {
            let names = display_names(ctx, org).await?;
            // Only what Federa can challenge or enroll here, each once (the engine lists every
            // method an authenticator has, e.g. Okta Verify's push, which Federa does not host).
            let mut seen = std::collections::HashSet::new();
            let choices: Vec<Choice> = options
                .iter()
                .filter(|o| can_do_here(o.authenticator_key.as_str(), o.method_type.as_str()))
                .filter(|o| {
                    seen.insert((
                        o.authenticator_key.as_str().to_string(),
                        factor_kind(o.authenticator_key.as_str(), o.method_type.as_str()),
                    ))
                })
                .map(|o| {
                    let key = o.authenticator_key.as_str().to_string();
                    let base = names
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_else(|| key.clone());
                    let display = match method_label(&o.method_type) {
                        Some(m) => format!("{base} ({m})"),
                        None => base,
                    };
                    Choice {
                        authenticator_key: key,
                        method_type: o.method_type.as_str().to_string(),
                        display,
                        factor_id: None,
                        needs_enrollment: o.needs_enrollment,
                    }
                })
                .collect();
            let mut debug = serde_json::Map::new();
            debug.insert(
                "unmet".into(),
                serde_json::Value::from(unmet.iter().map(|u| u.describe()).collect::<Vec<_>>()),
            );
            log(
                ctx,
                org,
                client,
                "policy.evaluate_sign_on",
                "Evaluation of sign-on policy",
                OutcomeResult::Challenge,
                None,
                Some(&user),
                None,
                debug,
            )
            .await?;
            flow.state.step = if choices.is_empty() {
                Step::Denied {
                    reason: "This sign-in needs an additional factor, but no authenticator you can use or enroll meets it. Contact your administrator.".into(),
                }
            } else {
                Step::Choose { options: choices }
            };
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
        Decision::Deny { reason, code } => {
            log(
                ctx,
                org,
                client,
                "policy.evaluate_sign_on",
                "Evaluation of sign-on policy",
                OutcomeResult::Deny,
                Some(code.as_str()),
                Some(&user),
                None,
                Default::default(),
            )
            .await?;
            flow.state.step = Step::Denied { reason };
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
    }
}

/// Creates the session (a new id), ends the flow.
pub(super) async fn finish(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    user: &User,
    settings: Option<&SessionSettings>,
    client: &Client,
) -> Result<Advance, CoreError> {
    let (cookie, session) = sessions::create(
        ctx,
        &org.id,
        &user.id,
        flow.state.verifications.clone(),
        settings,
        flow.state.idp.as_ref().map(|(i, _)| i.clone()),
    )
    .await?;
    let mut debug = serde_json::Map::new();
    debug.insert("sessionId".into(), session.public_id.clone().into());
    debug.insert(
        "amr".into(),
        serde_json::Value::from(federa_claims::amr_strings(&session.verifications)),
    );
    log(
        ctx,
        org,
        client,
        "user.session.start",
        "User login to Federa",
        OutcomeResult::Success,
        None,
        Some(user),
        None,
        debug,
    )
    .await?;
    let mut u = user.clone();
    u.last_login = Some(ctx.clock.now());
    ctx.store.update_user(&u).await?;
    if let Some(old) = &flow.state.replaces_session {
        ctx.store.delete_session(&org.id, old).await?;
    }
    ctx.store.delete_flow(&org.id, stored_hash(flow)).await?;
    Ok(Advance::Done {
        cookie,
        redirect: flow.state.return_to.clone(),
    })
}
