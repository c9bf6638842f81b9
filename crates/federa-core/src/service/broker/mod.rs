//! The SP role's broker (ARCHITECTURE flow 3, CONTRACT §3 SP side): send the user to an
//! upstream IdP, verify what comes back (protocol modules [`oidc`] and [`saml`]), apply the trust
//! rules to the carriers (`federa_claims::trust`), find or provision the local user, and hand the
//! credited verifications to the sign-in flow, where the policies decide: a session (ALLOW),
//! a local top-up of only what is still missing (CHALLENGE), or a readable denial (DENY).
//!
//! Pending sign-ins live in the database (`broker_states`, taken once) and are bound to the
//! browser's sign-in flow cookie, so a callback cannot be completed in another browser (login
//! CSRF). Every federated sign-in writes one System Log event listing what was credited, what
//! was ignored and why, and the decision.

pub mod oidc;
pub mod saml;

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::idp::{AccountLinkAction, MatchType, ProvisioningAction};
use crate::model::{Org, User, UserProfile, UserQuery, UserStatus};
use crate::page::PageRequest;
use crate::ports::{BrokerState, OnceMark, StoreError};
use crate::service::idps::Idp;
use crate::service::sessions::{hash_token, random_token};
use crate::service::signin::{self, Advance, Client, Flow};
use crate::service::syslog::{self, LogActor, LogEventInput, LogTarget, OutcomeResult, Severity};
use crate::service::users;
use federa_claims::trust::{OrgFeatures, TrustOutcome};
use federa_claims::{Carrier, IgnoreReason};
use federa_types::{IdpId, Secret, Timestamp};

/// How long a pending federated sign-in may take.
pub const STATE_TTL_MS: i64 = 10 * 60_000;

/// Longest upstream subject accepted (OIDC Core §5.1: `sub` is at most 255 ASCII characters).
pub const MAX_EXTERNAL_ID: usize = 255;

/// Upstream text with control characters (NUL included, which PostgreSQL refuses in text
/// columns) is not usable as an identity value.
fn usable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// What the upstream said about who the user is (from a verified token or assertion).
#[derive(Debug, Clone, Default)]
pub struct UpstreamIdentity {
    /// The stable subject at the IdP (`sub`, NameID).
    pub external_id: String,
    /// `email`, if given.
    pub email: Option<String>,
    /// Whether the IdP vouches for the email (`email_verified: true`).
    pub email_verified: bool,
    /// `preferred_username`, if given.
    pub preferred_username: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
}

/// Where a broker step sends the browser.
#[derive(Debug)]
pub enum BrokerOutcome {
    /// Show a readable error (with a way back to the sign-in page).
    Page(String),
    /// Go to this URL (the upstream IdP), setting the flow cookie when one was created.
    Redirect {
        /// Where to.
        location: String,
        /// New sign-in flow cookie, if one was started.
        flow_cookie: Option<Secret<String>>,
    },
    /// The sign-in flow continues (top-up, or a denial page): render `/login`.
    SignIn {
        /// Rotated flow cookie.
        flow_cookie: Option<Secret<String>>,
    },
    /// Signed in: set the session cookie and go on.
    Done {
        /// Session cookie.
        cookie: Secret<String>,
        /// Where to.
        redirect: String,
    },
}

/// The org's claims feature flags, as the trust rules read them (one definition:
/// [`crate::service::idps::claims_features`]).
pub async fn org_features(ctx: &Ctx, org: &Org) -> Result<OrgFeatures, CoreError> {
    crate::service::idps::claims_features(ctx, &org.id).await
}

/// Stores a pending sign-in bound to the flow; returns the state value to send upstream.
pub(crate) async fn put_state(
    ctx: &Ctx,
    org: &Org,
    idp: &Idp,
    flow: &Flow,
    mut data: serde_json::Value,
) -> Result<String, CoreError> {
    let state = random_token(ctx);
    let now = ctx.clock.now();
    if let Some(obj) = data.as_object_mut() {
        obj.insert("binding".into(), signin::browser_binding(flow).into());
    }
    ctx.store
        .put_broker_state(&BrokerState {
            id_hash: hash_token(&state),
            org_id: org.id.clone(),
            idp_id: idp.id.clone(),
            data,
            created: now,
            expires_at: Timestamp(now.0 + STATE_TTL_MS),
        })
        .await?;
    Ok(state)
}

/// Takes a pending sign-in and checks it belongs to this browser's flow.
pub(crate) async fn take_state(
    ctx: &Ctx,
    org: &Org,
    state: &str,
    flow: Option<&Flow>,
) -> Result<Result<BrokerState, String>, CoreError> {
    let expired = "This sign-in has expired or was already completed. Start again.".to_string();
    if state.is_empty() || state.len() > 256 {
        return Ok(Err(expired));
    }
    let Some(s) = ctx
        .store
        .take_broker_state(&org.id, &hash_token(state), ctx.clock.now())
        .await?
    else {
        return Ok(Err(expired));
    };
    let bound = s.data.get("binding").and_then(|b| b.as_str());
    match flow {
        Some(f) if bound == Some(signin::browser_binding(f).as_str()) => Ok(Ok(s)),
        _ => Ok(Err(
            "This sign-in was started in another browser or window. Start again here.".into(),
        )),
    }
}

/// The username the IdP's `userNameTemplate` gives for this identity.
fn username_for(idp: &Idp, who: &UpstreamIdentity) -> Option<String> {
    let t = idp.username_template.trim();
    let v = match t {
        "idpuser.email" => who.email.clone(),
        "idpuser.subjectNameId" | "idpuser.sub" | "idpuser.externalId" => {
            Some(who.external_id.clone())
        }
        "idpuser.preferred_username" | "idpuser.userName" | "idpuser.login" => {
            who.preferred_username.clone()
        }
        _ => who.email.clone(),
    };
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn by_verified_email(
    ctx: &Ctx,
    org: &Org,
    who: &UpstreamIdentity,
) -> Result<Option<User>, CoreError> {
    // Never link on an email the IdP does not vouch for.
    let Some(email) = who.email.as_deref().filter(|_| who.email_verified) else {
        return Ok(None);
    };
    if email.contains('"') || email.contains('\\') || email.len() > 254 {
        return Ok(None);
    }
    let q = UserQuery::parse(None, Some(&format!("profile.email eq \"{email}\"")))?;
    let page = users::list(ctx, &org.id, &q, &PageRequest::new(Some(2), None)?).await?;
    // Ambiguous (two users with that email): link neither.
    Ok(match page.items.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    })
}

/// Finds the local user for an upstream identity: an existing link, else account linking per
/// the IdP's policy, else just-in-time provisioning; `Err(message)` when none applies.
async fn resolve_user(
    ctx: &Ctx,
    org: &Org,
    idp: &Idp,
    who: &UpstreamIdentity,
) -> Result<Result<(User, &'static str), String>, CoreError> {
    let now = ctx.clock.now();
    if let Some(u) = ctx
        .store
        .linked_user_record(&org.id, &idp.id, &who.external_id)
        .await?
    {
        return Ok(Ok((u, "LINKED")));
    }
    let username = username_for(idp, who);
    if idp.account_link == AccountLinkAction::Auto {
        let by_name = match &username {
            Some(n) => ctx.store.user_by_login(&org.id, n).await?,
            None => None,
        };
        let found = match idp.match_type {
            MatchType::Username => by_name,
            MatchType::Email => by_verified_email(ctx, org, who).await?,
            MatchType::UsernameOrEmail => match by_name {
                Some(u) => Some(u),
                None => by_verified_email(ctx, org, who).await?,
            },
        };
        if let Some(u) = found {
            let linked = ctx
                .store
                .link_user(&org.id, &idp.id, &who.external_id, &u.id, now)
                .await?;
            if linked == u.id {
                return Ok(Ok((u, "ACCOUNT_LINKED")));
            }
            // Another sign-in linked this account first: its link decides.
            return linked_meanwhile(ctx, org, idp, who).await;
        }
    }
    if idp.provisioning == ProvisioningAction::Auto {
        let Some(login) = username else {
            return Ok(Err(format!(
                "{} did not send the attribute this organization uses as the username.",
                idp.name
            )));
        };
        let email = match &who.email {
            Some(e) => e.clone(),
            None if login.contains('@') => login.clone(),
            None => {
                return Ok(Err(format!(
                    "{} did not send an email address, which a new account needs.",
                    idp.name
                )));
            }
        };
        let input = users::NewUser {
            profile: UserProfile {
                login: login.clone(),
                email,
                first_name: who.first_name.clone(),
                last_name: who.last_name.clone(),
                ..Default::default()
            },
            password: None,
            group_ids: vec![],
        };
        let mut u = match users::prepare(ctx, &org.id, input, true).await {
            Ok(u) => u,
            Err(CoreError::Validation(errors)) => {
                let why = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Ok(Err(format!(
                    "Your {} account's profile cannot be used for an account here ({why}). Contact your administrator.",
                    idp.name
                )));
            }
            Err(e) => return Err(e),
        };
        // A federated user has no password here and signs in through the IdP: active at
        // once (Okta's FEDERATION credential provider), not waiting for a password. The user
        // and the link are written together: no user without its link is ever left behind.
        u.status = UserStatus::Active;
        match ctx
            .store
            .create_linked_user(&u, &idp.id, &who.external_id, now)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(what)) if what == crate::ports::LINKED => {
                return linked_meanwhile(ctx, org, idp, who).await;
            }
            // The username is taken by an account this IdP may not link to.
            Err(StoreError::Conflict(_)) => {
                return Ok(Err(format!(
                    "An account named {login} already exists here and cannot be linked to your {} account. Contact your administrator.",
                    idp.name
                )));
            }
            Err(e) => return Err(e.into()),
        }
        return Ok(Ok((u, "JIT_PROVISIONED")));
    }
    Ok(Err(format!(
        "No account here matches your {} account. Contact your administrator.",
        idp.name
    )))
}

/// The user another, concurrent sign-in just linked this upstream account to.
async fn linked_meanwhile(
    ctx: &Ctx,
    org: &Org,
    idp: &Idp,
    who: &UpstreamIdentity,
) -> Result<Result<(User, &'static str), String>, CoreError> {
    match ctx
        .store
        .linked_user_record(&org.id, &idp.id, &who.external_id)
        .await?
    {
        Some(u) => Ok(Ok((u, "LINKED"))),
        None => Err(CoreError::Internal(
            "an account link vanished while it was read".into(),
        )),
    }
}

fn describe_outcome(outcome: &TrustOutcome) -> serde_json::Map<String, serde_json::Value> {
    let mut d = serde_json::Map::new();
    d.insert(
        "trustMode".into(),
        serde_json::to_value(outcome.mode).unwrap_or_default(),
    );
    d.insert("contextAbsent".into(), outcome.context_absent.into());
    d.insert(
        "credited".into(),
        serde_json::to_value(&outcome.claims.credited).unwrap_or_default(),
    );
    d.insert(
        "ignored".into(),
        serde_json::to_value(&outcome.claims.ignored).unwrap_or_default(),
    );
    d
}

/// Records that the `okta_auth` / `OktaAuth` JWE could not be decrypted (wrong `alg`, `enc` or
/// `kid`, another recipient, a tampered tag...): the claims engine only saw empty bytes and
/// calls the payload malformed; the log should say why nothing from it was credited.
pub(crate) fn mark_undecryptable(outcome: &mut TrustOutcome, carrier: Carrier, error: &str) {
    for claim in &mut outcome.claims.ignored {
        if claim.carrier == Some(carrier) && claim.reason == IgnoreReason::Malformed {
            claim.reason = IgnoreReason::Undecryptable;
            claim.detail = Some(error.chars().take(200).collect());
        }
    }
}

/// The broker's `user.authentication.auth_via_IDP` event about `idp` (as its target).
fn idp_event(
    idp: Option<&Idp>,
    client: &Client,
    debug: serde_json::Map<String, serde_json::Value>,
) -> LogEventInput {
    LogEventInput {
        targets: idp
            .map(|i| {
                vec![LogTarget {
                    id: i.id.to_string(),
                    kind: "IdentityProvider".into(),
                    alternate_id: Some(i.name.clone()),
                    display_name: None,
                }]
            })
            .unwrap_or_default(),
        client_ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        request_id: client.request_id.clone(),
        debug_data: debug,
        ..LogEventInput::new(
            "user.authentication.auth_via_IDP",
            "Authenticate user via IDP",
        )
    }
}

/// Logs a refused federated sign-in and answers a readable page.
pub(crate) async fn refuse(
    ctx: &Ctx,
    org: &Org,
    idp: Option<&Idp>,
    client: &Client,
    reason: &str,
    message: String,
) -> Result<BrokerOutcome, CoreError> {
    let mut debug = serde_json::Map::new();
    debug.insert("reason".into(), reason.into());
    syslog::record(
        ctx,
        &org.id,
        LogEventInput {
            severity: Severity::Warn,
            outcome_result: OutcomeResult::Failure,
            outcome_reason: Some(reason.chars().take(200).collect()),
            ..idp_event(idp, client, debug)
        },
    )
    .await?;
    Ok(BrokerOutcome::Page(message))
}

/// The local user of a verified upstream identity, with the policy inputs for them and the
/// flow's app.
pub(crate) struct Resolved {
    user: User,
    how: &'static str,
    external_id: String,
    facts: signin::PolicyFacts,
}

/// Why no local user can sign in: the System Log reason and the page's message.
pub(crate) type Unresolved = (&'static str, String);

/// Finds (links, provisions) the local user for `who` and loads the policy inputs for them.
/// Independent of the carriers, so it runs beside their decryption.
pub(crate) async fn resolve(
    ctx: &Ctx,
    org: &Org,
    flow: &Flow,
    idp: &Idp,
    who: UpstreamIdentity,
) -> Result<Result<Resolved, Unresolved>, CoreError> {
    let mut who = who;
    if who.external_id.is_empty()
        || who.external_id.chars().count() > MAX_EXTERNAL_ID
        || !usable(&who.external_id)
    {
        return Ok(Err((
            "INVALID_SUBJECT",
            format!(
                "{} sent a user identifier this organization cannot use.",
                idp.name
            ),
        )));
    }
    for v in [
        &mut who.email,
        &mut who.preferred_username,
        &mut who.first_name,
        &mut who.last_name,
    ] {
        if v.as_deref().is_some_and(|s| !usable(s)) {
            *v = None;
        }
    }
    let (user, how) = match resolve_user(ctx, org, idp, &who).await? {
        Ok(x) => x,
        Err(msg) => return Ok(Err(("NO_MATCHING_USER", msg))),
    };
    if user.status != UserStatus::Active {
        return Ok(Err((
            "USER_NOT_ACTIVE",
            "Your account here is not active. Contact your administrator.".into(),
        )));
    }
    let facts = signin::PolicyFacts::load(ctx, org, &user, flow.state.app_id.as_ref()).await?;
    Ok(Ok(Resolved {
        user,
        how,
        external_id: who.external_id,
        facts,
    }))
}

/// The end of every verified federated sign-in: the log event, the policies, the session.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn complete(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    idp: &Idp,
    resolved: Result<Resolved, Unresolved>,
    outcome: TrustOutcome,
    authenticated_at: Timestamp,
    client: &Client,
    once: (Vec<OnceMark>, &str),
) -> Result<BrokerOutcome, CoreError> {
    let (once, replay_reason) = once;
    let replayed = || async {
        refuse(
            ctx,
            org,
            Some(idp),
            client,
            replay_reason,
            "This sign-in response was already used.".into(),
        )
        .await
    };
    let Resolved {
        user,
        how,
        external_id,
        facts,
    } = match resolved {
        Ok(r) => r,
        Err((reason, msg)) => {
            // A refused response is used up too.
            match signin::record_once(ctx, &org.id, &once).await {
                Err(e) if signin::is_replayed(&e) => return replayed().await,
                r => r?,
            }
            return refuse(ctx, org, Some(idp), client, reason, msg).await;
        }
    };
    let mut debug = describe_outcome(&outcome);
    debug.insert("userResolution".into(), how.into());
    debug.insert(
        "externalId".into(),
        external_id.chars().take(200).collect::<String>().into(),
    );
    let event = LogEventInput {
        severity: Severity::Info,
        outcome_result: OutcomeResult::Success,
        actor: Some(LogActor::user(
            user.id.to_string(),
            user.profile.login.clone(),
            user.profile.display_name.clone(),
        )),
        ..idp_event(Some(idp), client, debug)
    };
    let advance = signin::continue_federated(
        ctx,
        org,
        flow,
        user,
        outcome.claims.credited.clone(),
        (idp.id.clone(), authenticated_at),
        client,
        event,
        once,
        Some(facts),
    )
    .await;
    let advance = match advance {
        Err(e) if signin::is_replayed(&e) => return replayed().await,
        a => a?,
    };
    Ok(match advance {
        Advance::Done { cookie, redirect } => BrokerOutcome::Done { cookie, redirect },
        Advance::ContinueWith { flow_cookie } => BrokerOutcome::SignIn {
            flow_cookie: Some(flow_cookie),
        },
        Advance::Continue | Advance::Federate { .. } => BrokerOutcome::SignIn { flow_cookie: None },
    })
}

/// Which IdP id a path names (404-style message when malformed).
pub fn parse_idp_id(id: &str) -> Option<IdpId> {
    IdpId::parse(id)
}
