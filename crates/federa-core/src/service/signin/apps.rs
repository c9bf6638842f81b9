//! Sign-in for apps and federation (ARCHITECTURE flows 1 and 3; CONTRACT §6): the routing
//! rules (IDP_DISCOVERY) that offer "Sign in with {IdP}", flows started by an app request
//! (OIDC authorize or SAML SSO, fresh or step-up), and continuing a flow after a federated
//! sign-in with the verifications the trust rules credited.

use super::*;

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
    let all = policies::for_signin(ctx, &org.id).await?;
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
                if let Ok(idp) = crate::service::idps::get_cached(ctx, &org.id, id.as_str()).await
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
/// local top-up of what is still missing, or a denial. `idp_event` is the broker's System Log
/// event; its `debugData.decision` is filled in and it is written with the sign-in's other
/// writes (in one transaction with the session when the sign-in ends). `once` are the
/// single-use values the response carried, recorded with that same write (see
/// [`super::is_replayed`] for the error when one was already used). `facts`, when the
/// caller loaded them for this user and the flow's app, spare the policy step its reads.
#[allow(clippy::too_many_arguments)]
pub async fn continue_federated(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    user: User,
    credited: Vec<FactorVerification>,
    idp: (IdpId, Timestamp),
    client: &Client,
    idp_event: crate::service::syslog::LogEventInput,
    once: Vec<crate::ports::OnceMark>,
    facts: Option<PolicyFacts>,
) -> Result<Advance, CoreError> {
    flow.state.user_id = Some(user.id.clone());
    flow.state.login = Some(user.profile.login.clone());
    flow.state.verifications = credited;
    flow.state.idp = Some(idp);
    // A new principal: the flow cookie changes (as after a password).
    let flow_cookie = rotate(ctx, flow);
    let pending = Pending {
        decision_event: Some(idp_event),
        once,
        ..Pending::default()
    };
    match advance_with(ctx, org, flow, client, user, facts, pending).await? {
        Advance::Continue => Ok(Advance::ContinueWith { flow_cookie }),
        other => Ok(other),
    }
}

/// The SHA-256 (hex) of the flow's current cookie value, to bind other state to this browser.
pub fn browser_binding(flow: &Flow) -> String {
    flow.stored.id_hash.clone()
}
