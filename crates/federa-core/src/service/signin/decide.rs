//! The policy decision of a sign-in (CONTRACT §6, ARCHITECTURE flow 1): what the user has
//! enrolled, the global session and app authentication policies (plus a requested `acr`)
//! evaluated for the flow's verifications, and what the decision leads to: a challenge of what
//! is unmet, a denial, or the session.

use super::*;
use crate::ports::SignInCommit;

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
    let (passkeys, active) = tokio::try_join!(
        webauthn::list(ctx, &org.id, &user.id),
        factors::active(ctx, &org.id, &user.id)
    )?;
    let mut out = Vec::new();
    if user.password_hash.is_some() {
        out.push(AuthenticatorMethods::all(AuthenticatorKey::OktaPassword));
    }
    if !passkeys.is_empty() {
        out.push(AuthenticatorMethods::all(AuthenticatorKey::Webauthn));
    }
    for f in active {
        if let Some((key, method)) = f.authenticator() {
            out.push(AuthenticatorMethods {
                key,
                methods: vec![method],
            });
        }
    }
    Ok(out)
}

/// Everything the policy engine reads from the store for one user (and app), loaded with the
/// reads running side by side. The password step loads it while the password hash is computed.
#[derive(Debug, Clone)]
pub struct PolicyFacts {
    all: std::sync::Arc<policies::OrgPolicies>,
    access: Option<federa_policy::access::AccessPolicy>,
    group_ids: Vec<federa_types::GroupId>,
    enrolled: Vec<AuthenticatorMethods>,
    authenticators: std::sync::Arc<Vec<crate::model::Authenticator>>,
}

impl PolicyFacts {
    /// Loads the facts for `user` signing in (to `app`, when given).
    pub async fn load(
        ctx: &Ctx,
        org: &Org,
        user: &User,
        app: Option<&AppId>,
    ) -> Result<Self, CoreError> {
        let app_binding = async {
            match app {
                Some(app) => Ok(ctx.store.app_policy(&org.id, app).await?),
                None => Ok::<_, CoreError>(None),
            }
        };
        let (all, bound, groups, enrolled, authenticators) = tokio::try_join!(
            policies::for_signin(ctx, &org.id),
            app_binding,
            groups::of_user(ctx, &org.id, user.id.as_str()),
            enrolled_methods(ctx, org, user),
            authenticators::for_signin(ctx, &org.id),
        )?;
        let access = app.and_then(|_| policies::access_policy_from(&all, bound.as_ref()));
        Ok(Self {
            access,
            all,
            group_ids: groups.into_iter().map(|g| g.id).collect(),
            enrolled,
            authenticators,
        })
    }

    /// Names of the org's active authenticators by key (for the choice page).
    pub(super) fn display_names(&self) -> Vec<(String, String)> {
        self.authenticators
            .iter()
            .filter(|a| a.status == LifecycleStatus::Active)
            .map(|a| (a.key.clone(), a.name.clone()))
            .collect()
    }
}

/// Evaluates the policies for the flow's user and verifications.
pub(super) fn decide(
    ctx: &Ctx,
    org: &Org,
    user: &User,
    flow: &Flow,
    facts: &PolicyFacts,
) -> (Decision, Option<SessionSettings>) {
    evaluate_facts(
        ctx,
        org,
        user,
        facts,
        &flow.state.verifications,
        Some(flow.state.started_at),
        flow.state.acr.as_deref(),
        flow.state.idp.as_ref().map(|(i, t)| (i, *t)),
    )
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
    let facts = PolicyFacts::load(ctx, org, user, app).await?;
    Ok(evaluate_facts(
        ctx,
        org,
        user,
        &facts,
        verifications,
        flow_started_at,
        acr,
        session_idp,
    ))
}

/// The engine's decision on loaded facts (no IO).
#[allow(clippy::too_many_arguments)]
pub(super) fn evaluate_facts(
    ctx: &Ctx,
    org: &Org,
    user: &User,
    facts: &PolicyFacts,
    verifications: &[FactorVerification],
    flow_started_at: Option<Timestamp>,
    acr: Option<&str>,
    session_idp: Option<(&IdpId, Timestamp)>,
) -> (Decision, Option<SessionSettings>) {
    let active = authenticators::methods_of(facts.authenticators.iter());
    let input = EvaluationInput {
        sign_on_policies: &facts.all.sign_on,
        access_policy: facts.access.as_ref(),
        user: &user.id,
        groups: &facts.group_ids,
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
        enrolled: &facts.enrolled,
        active_authenticators: &active,
        enroll_policies: &facts.all.enroll,
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
            return (stricter.decision.clone(), settings);
        }
    }
    (decision, settings)
}

pub(super) fn method_label(method: &MethodType) -> Option<&'static str> {
    match method {
        MethodType::Sms => Some("SMS"),
        MethodType::Voice => Some("voice call"),
        _ => None,
    }
}

/// Writes a step has decided on but not yet made: they go into the store with the step's last
/// write (in one transaction when the sign-in ends).
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// System Log events.
    pub events: Vec<crate::service::syslog::LogEvent>,
    /// The user's failed-password count is to be reset (a correct password).
    pub reset_failed: bool,
    /// An event that reports the decision (the broker's `user.authentication.auth_via_IDP`):
    /// `debugData.decision` is set to ALLOW, CHALLENGE or DENY once it is known, and the event
    /// goes first among the pending ones.
    pub decision_event: Option<crate::service::syslog::LogEventInput>,
    /// Single-use values the step consumed (the broker's upstream token or assertion): recorded
    /// with the step's last write, which fails as a whole when one was already used.
    pub once: Vec<crate::ports::OnceMark>,
}

/// Records single-use values outside a sign-in commit; a value already used is the store's
/// conflict naming [`crate::ports::REPLAYED`] (see [`is_replayed`]) and stops there.
pub(crate) async fn record_once(
    ctx: &Ctx,
    org: &federa_types::OrgId,
    once: &[crate::ports::OnceMark],
) -> Result<(), CoreError> {
    let now = ctx.clock.now();
    for m in once {
        if !ctx
            .store
            .remember_once(org, &m.namespace, &m.key, m.expires_at, now)
            .await?
        {
            return Err(CoreError::Store(crate::ports::StoreError::Conflict(
                crate::ports::REPLAYED.into(),
            )));
        }
    }
    Ok(())
}

/// Whether a sign-in write failed because a single-use value it records was already used.
pub fn is_replayed(e: &CoreError) -> bool {
    matches!(e, CoreError::Store(crate::ports::StoreError::Conflict(c)) if c == crate::ports::REPLAYED)
}

impl Pending {
    /// Completes the decision event, if any, with `decision`.
    fn decided(&mut self, ctx: &Ctx, org: &Org, decision: &str) -> Result<(), CoreError> {
        if let Some(mut input) = self.decision_event.take() {
            input.debug_data.insert("decision".into(), decision.into());
            let e = crate::service::syslog::prepare(ctx, &org.id, input)?;
            self.events.insert(0, e);
        }
        Ok(())
    }

    /// Writes what is pending now (a step that does not end the sign-in).
    async fn flush(self, ctx: &Ctx, user: &User) -> Result<(), CoreError> {
        // First, so that a replayed response writes nothing else.
        record_once(ctx, &user.org_id, &self.once).await?;
        for e in &self.events {
            ctx.store.insert_log_event(e).await?;
        }
        if self.reset_failed {
            // Only the count: the rest of the row may have changed since it was loaded.
            ctx.store
                .reset_failed_sign_ins(&user.org_id, &user.id)
                .await?;
        }
        Ok(())
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
    advance_with(ctx, org, flow, client, user, None, Pending::default()).await
}

/// [`advance`] for a user the caller has just loaded, with the policy facts when the caller
/// loaded them already, and writes still to be made.
pub(super) async fn advance_with(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    client: &Client,
    user: User,
    facts: Option<PolicyFacts>,
    mut pending: Pending,
) -> Result<Advance, CoreError> {
    if user.status != UserStatus::Active {
        // Deactivated or locked since an earlier step of this flow: no later step signs
        // them in.
        return not_active(ctx, org, flow, client, &user).await;
    }
    let facts = match facts {
        Some(f) => f,
        None => PolicyFacts::load(ctx, org, &user, flow.state.app_id.as_ref()).await?,
    };
    let (decision, settings) = decide(ctx, org, &user, flow, &facts);
    match decision {
        Decision::Allow => {
            pending.decided(ctx, org, "ALLOW")?;
            finish(ctx, org, flow, &user, settings.as_ref(), client, pending).await
        }
        Decision::Challenge { options, unmet } => {
            let names = facts.display_names();
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
            pending.decided(
                ctx,
                org,
                if choices.is_empty() {
                    "DENY"
                } else {
                    "CHALLENGE"
                },
            )?;
            pending.flush(ctx, &user).await?;
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
            pending.decided(ctx, org, "DENY")?;
            pending.flush(ctx, &user).await?;
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

/// Creates the session (a new id) and ends the flow: the session, the System Log events, the
/// user's last sign-in time and the flow's removal are one transaction.
pub(super) async fn finish(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    user: &User,
    settings: Option<&SessionSettings>,
    client: &Client,
    pending: Pending,
) -> Result<Advance, CoreError> {
    let (cookie, session) = sessions::new_session(
        ctx,
        &org.id,
        &user.id,
        flow.state.verifications.clone(),
        settings,
        flow.state.idp.as_ref().map(|(i, _)| i.clone()),
    );
    let mut debug = serde_json::Map::new();
    debug.insert("sessionId".into(), session.public_id.clone().into());
    debug.insert(
        "amr".into(),
        serde_json::Value::from(federa_claims::amr_strings(&session.verifications)),
    );
    let mut events = pending.events;
    events.push(event(
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
    )?);
    let mut u = user.clone();
    u.last_login = Some(ctx.clock.now());
    let committed = ctx
        .store
        .commit_sign_in(&SignInCommit {
            org: &org.id,
            session: &session,
            events: &events,
            user: Some(&u),
            flow_hash: Some(stored_hash(flow)),
            replaced_session: flow.state.replaces_session.as_deref(),
            once: &pending.once,
        })
        .await;
    match committed {
        Err(crate::ports::StoreError::MissingReference(what))
            if what == crate::ports::ACTIVE_USER =>
        {
            // Deactivated, locked or deleted while this step ran: nothing was written.
            return not_active(ctx, org, flow, client, user).await;
        }
        other => other?,
    }
    Ok(Advance::Done {
        cookie,
        redirect: flow.state.return_to.clone(),
    })
}

/// Ends a flow whose user is no longer ACTIVE: a failed `user.session.start` in the System
/// Log (`USER_NOT_ACTIVE`) and a page that says the account cannot sign in.
async fn not_active(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    client: &Client,
    user: &User,
) -> Result<Advance, CoreError> {
    log(
        ctx,
        org,
        client,
        "user.session.start",
        "User login to Federa",
        OutcomeResult::Failure,
        Some("USER_NOT_ACTIVE"),
        Some(user),
        None,
        Default::default(),
    )
    .await?;
    flow.state.step = Step::Denied {
        reason: "This account cannot sign in. Contact your administrator.".into(),
    };
    save(ctx, flow).await?;
    Ok(Advance::Continue)
}
