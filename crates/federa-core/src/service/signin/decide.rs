//! The policy decision of a sign-in (CONTRACT §6, ARCHITECTURE flow 1): what the user has
//! enrolled, the global session and app authentication policies (plus a requested `acr`)
//! evaluated for the flow's verifications, and what the decision leads to: a challenge of what
//! is unmet, a denial, or the session.

use super::*;

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
