//! The local sign-in flow (ARCHITECTURE flow 1; CONTRACT §6): identifier first, routing rules
//! (the place where "Sign in with {IdP}" plugs in), password, then whatever the policy engine
//! says is still unmet, challenged with the user's enrolled factors or enrolled on the spot when
//! MFA_ENROLL allows it. Flow state lives server-side (a `signin_flows` row found by the hash of
//! an HttpOnly cookie) so any node can continue any flow. Messages never reveal whether a user
//! exists; every step is CSRF-checked, rate limited, and logged to the System Log.
//!
//! Layout: this module holds the flow's types and storage, throttling and logging; `primary`
//! the identifier and password steps, `steps` and `passkey` the steps after the password,
//! `decide` the policy evaluation and what it leads to, `apps` app-started and federated flows
//! and the routing rules.

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

mod apps;
mod decide;
mod passkey;
mod primary;
mod steps;

pub use apps::{
    AppSignIn, OfferedIdp, browser_binding, continue_federated, routing, start_for_app,
    start_for_app_acr,
};
pub(crate) use decide::record_once;
use decide::{Pending, advance, advance_with};
pub use decide::{PolicyFacts, is_replayed};
pub use decide::{evaluate_for, evaluate_with_acr};
pub use passkey::{passkey_finish, passkey_options};
pub use primary::{identify, password};
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
    let by_ip_key = format!("{action}:ip:{ip}");
    let by_subject_key = format!("{action}:sub:{}", subject.to_lowercase());
    let hits = ratelimit::hit_many(
        ctx,
        &org.id,
        &[
            (by_ip_key.as_str(), ATTEMPTS_PER_WINDOW * 3),
            (by_subject_key.as_str(), ATTEMPTS_PER_WINDOW),
        ],
        WINDOW_SECONDS,
    )
    .await?;
    let [by_ip, by_subject] = hits[..] else {
        return Err(CoreError::Internal(
            "rate limiter answered the wrong count".into(),
        ));
    };
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

/// The `user.mfa.factor.activate` event of a factor enrolled during sign-in.
pub(super) async fn log_factor_activated(
    ctx: &Ctx,
    org: &Org,
    client: &Client,
    user: &User,
    factor_type: &str,
) -> Result<(), CoreError> {
    let mut debug = serde_json::Map::new();
    debug.insert("factorType".into(), factor_type.into());
    log(
        ctx,
        org,
        client,
        "user.mfa.factor.activate",
        "Activate factor for user",
        OutcomeResult::Success,
        None,
        Some(user),
        None,
        debug,
    )
    .await
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
    let e = event(
        ctx, org, client, event_type, message, result, reason, user, login, debug,
    )?;
    Ok(ctx.store.insert_log_event(&e).await?)
}

/// The System Log event [`log`] records, built but not written.
#[allow(clippy::too_many_arguments)]
pub(super) fn event(
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
) -> Result<syslog::LogEvent, CoreError> {
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
    syslog::prepare(
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
