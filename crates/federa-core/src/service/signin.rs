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
use federa_types::{Secret, Timestamp, UserId};
use serde::{Deserialize, Serialize};

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
}

/// A loaded flow.
#[derive(Debug, Clone)]
pub struct Flow {
    stored: StoredFlow,
    /// Its state.
    pub state: FlowState,
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
    };
    let stored = StoredFlow {
        id_hash: hash_token(&token),
        org_id: org.id.clone(),
        created: now,
        expires_at: now.plus_millis(FLOW_TTL_MS),
        state: to_json(&state)?,
    };
    ctx.store.create_flow(&stored).await?;
    Ok((Secret::new(token), Flow { stored, state }))
}

fn to_json(state: &FlowState) -> Result<serde_json::Value, CoreError> {
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
    Ok(Some(Flow { stored, state }))
}

async fn save(ctx: &Ctx, flow: &mut Flow) -> Result<(), CoreError> {
    flow.stored.state = to_json(&flow.state)?;
    if !ctx.store.update_flow(&flow.stored).await? {
        return Err(CoreError::NotFound("sign-in flow".into()));
    }
    Ok(())
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

fn expect_step(flow: &Flow, ok: bool) -> Result<(), CoreError> {
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
async fn throttle(
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
async fn log(
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

/// Gives the flow a new cookie value (same state).
async fn rotate(ctx: &Ctx, flow: &mut Flow) -> Result<Secret<String>, CoreError> {
    let token = random_token(ctx);
    let old = flow.stored.id_hash.clone();
    flow.stored.id_hash = hash_token(&token);
    flow.stored.state = to_json(&flow.state)?;
    ctx.store.create_flow(&flow.stored).await?;
    ctx.store.delete_flow(&flow.stored.org_id, &old).await?;
    Ok(Secret::new(token))
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
    flow.state.step = Step::Password;
    save(ctx, flow).await?;
    let _ = org;
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
            let flow_cookie = rotate(ctx, flow).await?;
            match advance(ctx, org, flow, client).await? {
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

fn engine_of(org: &Org) -> Engine {
    match org.engine {
        OrgEngine::Identity => Engine::Identity,
        OrgEngine::Classic => Engine::Classic,
    }
}

/// What the user has enrolled, as the engine sees it.
async fn enrolled_methods(
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
async fn decide(
    ctx: &Ctx,
    org: &Org,
    user: &User,
    flow: &Flow,
) -> Result<(Decision, Option<SessionSettings>), CoreError> {
    let all = policies::load(ctx, &org.id).await?;
    let group_ids: Vec<_> = groups::of_user(ctx, &org.id, user.id.as_str())
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let enrolled = enrolled_methods(ctx, org, user).await?;
    let active = authenticators::active_methods(ctx, &org.id).await?;
    let input = EvaluationInput {
        sign_on_policies: &all.sign_on,
        access_policy: None,
        user: &user.id,
        groups: &group_ids,
        zones: &[],
        verifications: &flow.state.verifications,
        now: ctx.clock.now(),
        flow_started_at: Some(flow.state.started_at),
        session_idp: None,
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &all.enroll,
        engine: engine_of(org),
    };
    let outcome = evaluate(&input);
    Ok((outcome.decision.clone(), outcome.session.cloned()))
}

async fn display_names(ctx: &Ctx, org: &Org) -> Result<Vec<(String, String)>, CoreError> {
    Ok(ctx
        .store
        .list_authenticators(&org.id)
        .await?
        .into_iter()
        .filter(|a| a.status == LifecycleStatus::Active)
        .map(|a| (a.key, a.name))
        .collect())
}

fn method_label(method: &MethodType) -> Option<&'static str> {
    match method {
        MethodType::Sms => Some("SMS"),
        MethodType::Voice => Some("voice call"),
        _ => None,
    }
}

/// Moves the flow on from the engine's decision.
async fn advance(
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
async fn finish(
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
        None,
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
    ctx.store.delete_flow(&org.id, &flow.stored.id_hash).await?;
    Ok(Advance::Done {
        cookie,
        redirect: flow.state.return_to.clone(),
    })
}

/// Whether the pages can challenge or enroll `key`/`method`.
fn can_do_here(key: &str, method: &str) -> bool {
    factor_kind(key, method).is_some()
        || (key == webauthn::AUTHENTICATOR_KEY && method == "webauthn")
}

/// The factor type and provider that enroll `key`/`method`.
fn factor_kind(key: &str, method: &str) -> Option<(FactorType, FactorProvider)> {
    Some(match (key, method) {
        ("google_otp", _) => (FactorType::Totp, FactorProvider::Google),
        ("okta_verify", "totp" | "otp") => (FactorType::Totp, FactorProvider::Okta),
        ("phone_number", "sms") => (FactorType::Sms, FactorProvider::Okta),
        ("phone_number", "voice") => (FactorType::Call, FactorProvider::Okta),
        ("okta_email", _) => (FactorType::Email, FactorProvider::Okta),
        ("security_question", _) => (FactorType::Question, FactorProvider::Okta),
        _ => return None,
    })
}

fn flow_user(flow: &Flow) -> Result<UserId, CoreError> {
    flow.state
        .user_id
        .clone()
        .ok_or_else(|| CoreError::Conflict("sign in with your password first".into()))
}

fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((l, d)) => format!("{}…@{d}", l.chars().next().unwrap_or('?')),
        None => "your email address".into(),
    }
}

fn mask_phone(p: &str) -> String {
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("the phone number ending in {tail}")
}

/// Picks an option of the Choose step: challenges an enrolled factor (sending a code when the
/// factor uses codes) or starts enrolling one.
pub async fn choose(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    option: &str,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Choose { options } = &flow.state.step else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let choice = option
        .parse::<usize>()
        .ok()
        .and_then(|i| options.get(i))
        .cloned()
        .ok_or_else(|| CoreError::invalid("option", "Choose one of the listed options."))?;
    let user = flow_user(flow)?;
    if choice.authenticator_key == webauthn::AUTHENTICATOR_KEY {
        let has = !webauthn::list(ctx, &org.id, &user).await?.is_empty();
        flow.state.step = Step::Passkey {
            register: !has,
            display: choice.display,
        };
        flow.state.ceremony = None;
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let kind = factor_kind(&choice.authenticator_key, &choice.method_type);
    let enrolled = factors::active(ctx, &org.id, &user).await?;
    let existing = kind.and_then(|(t, p)| {
        enrolled
            .iter()
            .find(|f| f.factor_type == t && (t != FactorType::Totp || f.provider == p))
            .cloned()
    });
    // Sending codes costs money and reaches people: limited per user and per client address.
    if let Some(msg) = throttle(ctx, org, client, "send", user.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    match (existing, kind) {
        (Some(f), _) => {
            factors::challenge(ctx, &org.id, &user, f.id.as_str()).await?;
            let (prompt, answer) = match f.factor_type {
                FactorType::Question => (
                    f.profile.question_text.clone().unwrap_or_default(),
                    AnswerKind::Answer,
                ),
                FactorType::Email => (
                    format!(
                        "We sent a code to {}.",
                        mask_email(f.profile.email.as_deref().unwrap_or(""))
                    ),
                    AnswerKind::Code,
                ),
                FactorType::Sms | FactorType::Call => (
                    format!(
                        "We sent a code to {}.",
                        mask_phone(f.profile.phone_number.as_deref().unwrap_or(""))
                    ),
                    AnswerKind::Code,
                ),
                FactorType::Totp => (
                    "Enter the code from your authenticator app.".to_string(),
                    AnswerKind::Code,
                ),
            };
            flow.state.step = Step::Verify {
                factor_id: f.id.to_string(),
                authenticator_key: choice.authenticator_key,
                method_type: choice.method_type,
                display: choice.display,
                prompt,
                answer,
            };
        }
        (None, Some(_)) if choice.needs_enrollment => {
            flow.state.step = Step::Enroll {
                authenticator_key: choice.authenticator_key,
                method_type: choice.method_type,
                display: choice.display,
                pending_factor: None,
                secret: None,
                otpauth_uri: None,
                qr_svg: None,
            };
            // Factors that need no input from the person are created right away.
            if matches!(
                kind,
                Some((FactorType::Totp, _)) | Some((FactorType::Email, _))
            ) {
                return enroll(ctx, org, flow, &std::collections::HashMap::new(), client).await;
            }
        }
        _ => {
            flow.state.error = Some("That option cannot be used here. Choose another.".into());
        }
    }
    save(ctx, flow).await?;
    Ok(Advance::Continue)
}

/// Checks the answer of the Verify step; a correct one is credited and the policy evaluated
/// again, a wrong one shows one generic message (the attempt is counted by the factor).
pub async fn verify(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    answer: &str,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Verify { factor_id, .. } = &flow.state.step else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let factor_id = factor_id.clone();
    let user = flow_user(flow)?;
    if let Some(msg) = throttle(ctx, org, client, "verify", user.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let answer = answer.trim();
    if answer.is_empty() || answer.chars().count() > MAX_INPUT {
        flow.state.error = Some("Enter the code or answer.".into());
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    match factors::verify(ctx, &org.id, &user, factor_id.as_str(), answer).await? {
        Some(v) => {
            let u = users::get(ctx, &org.id, user.as_str()).await?;
            let mut debug = serde_json::Map::new();
            debug.insert("factor".into(), factor_id.clone().into());
            log(
                ctx,
                org,
                client,
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
                OutcomeResult::Success,
                None,
                Some(&u),
                None,
                debug,
            )
            .await?;
            flow.state.verifications.push(v);
            advance(ctx, org, flow, client).await
        }
        None => {
            let u = users::get(ctx, &org.id, user.as_str()).await?;
            let mut debug = serde_json::Map::new();
            debug.insert("factor".into(), factor_id.clone().into());
            log(
                ctx,
                org,
                client,
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
                OutcomeResult::Failure,
                Some("INVALID_CREDENTIALS"),
                Some(&u),
                None,
                debug,
            )
            .await?;
            flow.state.error = Some("That code or answer did not work. Try again.".into());
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
    }
}

/// The Enroll step: creates the factor (asking for a phone number or a question first when
/// needed), then activates it with a code; a completed enrollment counts as a verification.
pub async fn enroll(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    form: &std::collections::HashMap<String, String>,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Enroll {
        authenticator_key,
        method_type,
        display,
        pending_factor,
        ..
    } = flow.state.step.clone()
    else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let user_id = flow_user(flow)?;
    if let Some(msg) = throttle(ctx, org, client, "verify", user_id.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let Some((ftype, provider)) = factor_kind(&authenticator_key, &method_type) else {
        return Err(CoreError::invalid(
            "authenticator",
            "this authenticator cannot be enrolled here",
        ));
    };
    if let Some(pending) = pending_factor {
        let code = field("answer");
        return match factors::activate(ctx, &org.id, &user_id, pending.as_str(), &code).await {
            Ok(f) => {
                let u = users::get(ctx, &org.id, user_id.as_str()).await?;
                let mut debug = serde_json::Map::new();
                debug.insert("factorType".into(), f.factor_type.as_str().into());
                log(
                    ctx,
                    org,
                    client,
                    "user.mfa.factor.activate",
                    "Activate factor for user",
                    OutcomeResult::Success,
                    None,
                    Some(&u),
                    None,
                    debug,
                )
                .await?;
                if let Some((key, method)) =
                    factors::authenticator_of(f.factor_type.as_str(), f.provider.as_str())
                {
                    let v =
                        local_verification(&key, &method, MethodFlags::default(), ctx.clock.now())
                            .map_err(|e| CoreError::Internal(e.to_string()))?;
                    flow.state.verifications.push(v);
                }
                advance(ctx, org, flow, client).await
            }
            Err(CoreError::InvalidPasscode) => {
                flow.state.error = Some("That code did not work. Try again.".into());
                save(ctx, flow).await?;
                Ok(Advance::Continue)
            }
            Err(e) => Err(e),
        };
    }
    let user = users::get(ctx, &org.id, user_id.as_str()).await?;
    let mut profile = FactorProfile::default();
    match ftype {
        FactorType::Email => profile.email = Some(user.profile.email.clone()),
        FactorType::Sms | FactorType::Call => {
            let phone = field("phone");
            if phone.is_empty() {
                flow.state.error = Some("Enter your phone number.".into());
                save(ctx, flow).await?;
                return Ok(Advance::Continue);
            }
            profile.phone_number = Some(phone);
        }
        FactorType::Question => {
            profile.question = Some("custom".into());
            profile.question_text = Some(field("question"));
        }
        FactorType::Totp => {}
    }
    let input = EnrollFactor {
        factor_type: ftype,
        provider,
        profile,
        answer: (ftype == FactorType::Question).then(|| Secret::new(field("answer"))),
    };
    let enrolled = match factors::enroll(ctx, &org.id, &user_id, input).await {
        Ok(e) => e,
        Err(CoreError::Validation(errs)) => {
            flow.state.error = Some(
                errs.first()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| "That did not work.".into()),
            );
            save(ctx, flow).await?;
            return Ok(Advance::Continue);
        }
        Err(e) => return Err(e),
    };
    if enrolled.factor.status == FactorStatus::Active {
        // Security questions are active at once: answering them at enrollment verified them.
        let v = local_verification(
            &AuthenticatorKey::SecurityQuestion,
            &MethodType::SecurityQuestion,
            MethodFlags::default(),
            ctx.clock.now(),
        )
        .map_err(|e| CoreError::Internal(e.to_string()))?;
        flow.state.verifications.push(v);
        return advance(ctx, org, flow, client).await;
    }
    let totp = match &enrolled.activation {
        Activation::Totp {
            shared_secret,
            otpauth_uri,
            qr_svg,
        } => Some((
            shared_secret.expose().clone(),
            otpauth_uri.expose().clone(),
            qr_svg.expose().clone(),
        )),
        _ => None,
    };
    flow.state.step = Step::Enroll {
        authenticator_key,
        method_type,
        display,
        pending_factor: Some(enrolled.factor.id.to_string()),
        secret: totp.as_ref().map(|t| t.0.clone()),
        otpauth_uri: totp.as_ref().map(|t| t.1.clone()),
        qr_svg: totp.as_ref().map(|t| t.2.clone()),
    };
    save(ctx, flow).await?;
    Ok(Advance::Continue)
}

/// "Verify another way": back to the choice of authenticators.
pub async fn back(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    client: &Client,
) -> Result<Advance, CoreError> {
    if flow.state.user_id.is_none() {
        flow.state.step = Step::Identify;
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    advance(ctx, org, flow, client).await
}

/// Starts the WebAuthn ceremony of a Passkey step; returns the options for
/// `navigator.credentials.create` (register) or `.get`, and remembers the ceremony in the flow.
pub async fn passkey_options(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    rp: &webauthn::RelyingParty,
) -> Result<serde_json::Value, CoreError> {
    let Step::Passkey { register, .. } = flow.state.step.clone() else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let user = flow_user(flow)?;
    let (ceremony, options) = if register {
        webauthn::start_registration(ctx, &org.id, &user, rp).await?
    } else {
        webauthn::start_authentication(ctx, &org.id, Some(&user), rp).await?
    };
    flow.state.ceremony = Some(ceremony.as_str().to_string());
    save(ctx, flow).await?;
    Ok(
        serde_json::json!({ "mode": if register { "register" } else { "authenticate" }, "options": options }),
    )
}

/// Finishes the WebAuthn ceremony of a Passkey step with the browser's credential JSON. A new
/// passkey (created with user verification) or a valid assertion of one of the user's passkeys
/// is credited; anything else shows a generic message.
pub async fn passkey_finish(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    rp: &webauthn::RelyingParty,
    credential: &str,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Passkey { register, .. } = flow.state.step.clone() else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let user = flow_user(flow)?;
    if let Some(msg) = throttle(ctx, org, client, "verify", user.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let failed = |flow: &mut Flow| {
        flow.state.error =
            Some("That passkey did not work. Try again or choose another way.".into());
        flow.state.ceremony = None;
    };
    let (Some(ceremony), Ok(json)) = (
        flow.state.ceremony.take(),
        serde_json::from_str::<serde_json::Value>(credential),
    ) else {
        failed(flow);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    };
    let ceremony = webauthn::CeremonyId::new(ceremony);
    let u = users::get(ctx, &org.id, user.as_str()).await?;
    let verification = if register {
        match webauthn::finish_registration(ctx, &org.id, &user, rp, &ceremony, &json).await {
            Ok(info) => {
                let mut debug = serde_json::Map::new();
                debug.insert("factorType".into(), "webauthn".into());
                log(
                    ctx,
                    org,
                    client,
                    "user.mfa.factor.activate",
                    "Activate factor for user",
                    OutcomeResult::Success,
                    None,
                    Some(&u),
                    None,
                    debug,
                )
                .await?;
                Some(
                    local_verification(
                        &AuthenticatorKey::Webauthn,
                        &MethodType::Webauthn,
                        MethodFlags {
                            user_verified: info.user_verified,
                            ..MethodFlags::default()
                        },
                        ctx.clock.now(),
                    )
                    .map_err(|e| CoreError::Internal(e.to_string()))?,
                )
            }
            Err(CoreError::Validation(_) | CoreError::Conflict(_)) => None,
            Err(e) => return Err(e),
        }
    } else {
        match webauthn::finish_authentication(ctx, &org.id, rp, &ceremony, &json).await {
            Ok(Some((owner, v))) if owner == user => Some(v),
            Ok(_) | Err(CoreError::Validation(_)) => None,
            Err(e) => return Err(e),
        }
    };
    let result = if verification.is_some() {
        OutcomeResult::Success
    } else {
        OutcomeResult::Failure
    };
    log(
        ctx,
        org,
        client,
        "user.authentication.auth_via_mfa",
        "Authentication of user via MFA (passkey)",
        result,
        None,
        Some(&u),
        None,
        Default::default(),
    )
    .await?;
    match verification {
        Some(v) => {
            flow.state.verifications.push(v);
            advance(ctx, org, flow, client).await
        }
        None => {
            failed(flow);
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
    }
}
