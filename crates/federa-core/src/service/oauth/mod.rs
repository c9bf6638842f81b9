//! The OpenID Provider (CONTRACT §3, ARCHITECTURE flows 1 and 2): `/oauth2/v1/authorize` here,
//! the token endpoint and friends in [`token`]. Protocol validity is `federa-oidc`'s; this
//! module decides with the session and the policy engine: no session (or `prompt=login`,
//! `max_age` exceeded, unless the app disables force authentication) → sign in; a session that
//! does not meet the app's authentication policy → step up, challenging only what is missing;
//! `prompt=none` where interaction would be needed → `login_required` / `interaction_required`;
//! policy DENY → `access_denied`; otherwise a single-use code bound to the client, the redirect
//! URI, the PKCE challenge, the nonce and the session's verifications.

pub mod acr;
mod client_auth;
pub mod token;
mod tokens_introspect;

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::Org;
use crate::model::app::{GrantType, TokenAuthMethod};
use crate::model::session::Session;
use crate::ports::StoredCode;
use crate::service::apps::{self, App};
use crate::service::sessions::{self, hash_token, random_token};
use crate::service::signin::{self, Advance, AppSignIn, Client};
use crate::service::users;
use federa_claims::FactorVerification;
use federa_oidc::authorize::{
    AuthorizeParams, AuthorizeRequest, ClientType, Prompt, RegisteredClient,
};
use federa_oidc::authorize_response::{AuthorizeErrorRedirect, AuthorizeResponse, success};
use federa_oidc::{AuthorizeErrorCode, Issuer};
use federa_policy::eval::Decision;
use federa_types::{Secret, Timestamp};
use serde::{Deserialize, Serialize};

/// How long an authorization code lives.
pub const CODE_TTL_MS: i64 = 120_000;
/// The query parameter the sign-in adds to the authorize URL it returns to, so that
/// `prompt=login` and `max_age` count the sign-in just made as the fresh authentication. Its
/// value is sealed with the master key and binds the time the sign-in started to this exact
/// request; it is accepted once, within the sign-in flow's lifetime, so it cannot be forged,
/// moved to another request or replayed to skip a forced re-authentication.
pub const LOGIN_AFTER_PARAM: &str = "federa_login_after";
const LOGIN_AFTER_PURPOSE: &str = "authorize-login-after";

fn request_hash(pairs: &[(String, String)]) -> String {
    let mut text = String::new();
    for (k, v) in pairs.iter().filter(|(k, _)| k != LOGIN_AFTER_PARAM) {
        text.push_str(&format!("{}={}\n", k.len(), k));
        text.push_str(&format!("{}={}\n", v.len(), v));
    }
    crate::system::sha256_hex(text.as_bytes())
}

#[derive(Serialize, Deserialize)]
struct LoginAfter {
    t: i64,
    h: String,
}

/// The sign-in start time a marker proves for this request, consuming the marker.
async fn verified_login_after(
    ctx: &Ctx,
    org: &Org,
    pairs: &[(String, String)],
) -> Result<Option<Timestamp>, CoreError> {
    let markers: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == LOGIN_AFTER_PARAM)
        .map(|(_, v)| v)
        .collect();
    let [marker] = markers.as_slice() else {
        return Ok(None);
    };
    let Ok(plain) = ctx.secrets.open(LOGIN_AFTER_PURPOSE, marker) else {
        return Ok(None);
    };
    let Ok(m) = serde_json::from_slice::<LoginAfter>(plain.expose()) else {
        return Ok(None);
    };
    let now = ctx.clock.now();
    if m.h != request_hash(pairs) || now.0.saturating_sub(m.t) > signin::FLOW_TTL_MS || m.t > now.0
    {
        return Ok(None);
    }
    let once = ctx
        .store
        .remember_once(
            &org.id,
            LOGIN_AFTER_PURPOSE,
            &crate::system::sha256_hex(marker.as_bytes()),
            Timestamp(m.t + signin::FLOW_TTL_MS),
            now,
        )
        .await?;
    Ok(once.then_some(Timestamp(m.t)))
}

fn login_after_marker(
    ctx: &Ctx,
    pairs: &[(String, String)],
    t: Timestamp,
) -> Result<String, CoreError> {
    let m = serde_json::to_vec(&LoginAfter {
        t: t.0,
        h: request_hash(pairs),
    })
    .map_err(|e| CoreError::Internal(e.to_string()))?;
    ctx.secrets.seal(ctx.rng.as_ref(), LOGIN_AFTER_PURPOSE, &m)
}

/// What the authorize endpoint answers.
#[derive(Debug)]
pub enum AuthorizeOutcome {
    /// Show an error page (never redirect to an unverified redirect URI).
    Page(String),
    /// Redirect to the client, or post a form to it.
    Respond(AuthorizeResponse),
    /// Sign in (or step up) first: set this flow cookie and send the browser to `/login`.
    SignIn(Secret<String>),
    /// The step-up completed at once (nothing was missing after all): set this session
    /// cookie and come back to the same URL.
    Reload(Secret<String>),
}

/// What a code stands for (stored with it, JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    /// The redirect URI the code was issued to.
    pub redirect_uri: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The request's nonce.
    pub nonce: Option<String>,
    /// The PKCE challenge (S256).
    pub code_challenge: Option<String>,
    /// When the user authenticated (ms).
    pub auth_time: Timestamp,
    /// The session's verifications when the code was issued.
    pub verifications: Vec<FactorVerification>,
    /// The IdP the session came from, if federated.
    pub idp: Option<String>,
    /// The `acr` values requested.
    pub acr_values: Vec<String>,
}

fn registered(app: &App) -> Option<RegisteredClient> {
    let o = app.oidc()?;
    Some(RegisteredClient {
        client_id: federa_oidc::ClientId::new(o.client_id).ok()?,
        redirect_uris: o.redirect_uris,
        client_type: if o.auth_method == TokenAuthMethod::None {
            ClientType::Public
        } else {
            ClientType::Confidential
        },
        grant_types: o
            .grant_types
            .iter()
            .map(|g| match g {
                GrantType::AuthorizationCode => {
                    federa_oidc::authorize::GrantType::AuthorizationCode
                }
                GrantType::RefreshToken => federa_oidc::authorize::GrantType::RefreshToken,
                GrantType::ClientCredentials => {
                    federa_oidc::authorize::GrantType::ClientCredentials
                }
            })
            .collect(),
    })
}

/// The session's authentication time: when it was created (a new session is made at every
/// sign-in and step-up).
pub fn auth_time(s: &Session) -> Timestamp {
    s.created
}

fn error(
    req: &AuthorizeRequest,
    issuer: &Issuer,
    code: AuthorizeErrorCode,
    msg: &str,
) -> AuthorizeOutcome {
    AuthorizeOutcome::Respond(AuthorizeErrorRedirect::for_request(req, code, msg).response(issuer))
}

/// Handles `GET`/`POST /oauth2/v1/authorize`. `pairs` are the request parameters; `here` is the
/// local path and query of this request (to come back to after signing in).
#[allow(clippy::too_many_arguments)]
pub async fn authorize(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    pairs: Vec<(String, String)>,
    here: &str,
    session_cookie: Option<&str>,
    client: &Client,
) -> Result<AuthorizeOutcome, CoreError> {
    let issuer = Issuer::own(issuer).map_err(|e| CoreError::Internal(e.to_string()))?;
    let login_after = verified_login_after(ctx, org, &pairs).await?;
    let params = AuthorizeParams::from_pairs(
        pairs
            .iter()
            .filter(|(k, _)| k != LOGIN_AFTER_PARAM)
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let client_id = match params.client_id() {
        Ok(c) => c,
        Err(federa_oidc::authorize::AuthorizeFailure::ShowToUser(e)) => {
            return Ok(AuthorizeOutcome::Page(e.to_string()));
        }
        Err(federa_oidc::authorize::AuthorizeFailure::Redirect(r)) => {
            return Ok(AuthorizeOutcome::Respond(r.response(&issuer)));
        }
    };
    let app = apps::by_client_id(ctx, &org.id, client_id.as_str())
        .await?
        .filter(|a| a.is_active() && a.oidc().is_some());
    let reg = app.as_ref().and_then(registered);
    let req = match params.validate(reg.as_ref()) {
        Ok(r) => r,
        Err(federa_oidc::authorize::AuthorizeFailure::ShowToUser(e)) => {
            return Ok(AuthorizeOutcome::Page(e.to_string()));
        }
        Err(federa_oidc::authorize::AuthorizeFailure::Redirect(r)) => {
            return Ok(AuthorizeOutcome::Respond(r.response(&issuer)));
        }
    };
    let Some(app) = app else {
        return Ok(AuthorizeOutcome::Page(
            "The client is not registered.".into(),
        ));
    };
    let now = ctx.clock.now();
    let session = sessions::current(ctx, &org.id, session_cookie).await?;
    let none = req.prompt.is_none();
    // Force authentication (prompt=login, max_age), unless the app disabled it or the browser
    // signed in since the request was first made.
    let fresh = |s: &Session| login_after.is_some_and(|t| auth_time(s) >= t);
    let forced = |s: &Session| {
        if app.force_authn_disabled() || fresh(s) {
            return false;
        }
        let too_old = req.max_age.is_some_and(|m| {
            let m = i64::try_from(m).unwrap_or(i64::MAX).saturating_mul(1000);
            now.0.saturating_sub(auth_time(s).0) > m
        });
        too_old || req.prompt.contains(Prompt::Login)
    };
    let back_here = |started: Timestamp| -> Result<String, CoreError> {
        let base: String = strip_param(here, LOGIN_AFTER_PARAM);
        let sep = if base.contains('?') { '&' } else { '?' };
        let marker: String = url::form_urlencoded::byte_serialize(
            login_after_marker(ctx, &pairs, started)?.as_bytes(),
        )
        .collect();
        Ok(format!("{base}{sep}{LOGIN_AFTER_PARAM}={marker}"))
    };
    let session = match session {
        Some(s) if !forced(&s) => s,
        _ if none => {
            return Ok(error(
                &req,
                &issuer,
                AuthorizeErrorCode::LoginRequired,
                "The user is not signed in.",
            ));
        }
        _ => {
            let acr_values: Vec<String> = req
                .acr_values
                .iter()
                .map(|a| a.as_str().to_string())
                .collect();
            let (cookie, _, _) = signin::start_for_app_acr(
                ctx,
                org,
                &app.id,
                &back_here(now)?,
                AppSignIn::Fresh {
                    login_hint: req.login_hint.as_deref(),
                },
                acr::requirement(&acr_values).as_deref(),
                client,
            )
            .await?;
            return Ok(AuthorizeOutcome::SignIn(cookie));
        }
    };
    let user = users::get(ctx, &org.id, session.user_id.as_str()).await?;
    if user.status != crate::model::UserStatus::Active {
        return Ok(error(
            &req,
            &issuer,
            AuthorizeErrorCode::AccessDenied,
            "The user is not active.",
        ));
    }
    let acr_values: Vec<String> = req
        .acr_values
        .iter()
        .map(|a| a.as_str().to_string())
        .collect();
    let acr = acr::requirement(&acr_values);
    let (decision, _) = signin::evaluate_with_acr(
        ctx,
        org,
        &user,
        &session.verifications,
        None,
        Some(&app.id),
        acr.as_deref(),
        session.idp_id.as_ref().map(|i| (i, auth_time(&session))),
    )
    .await?;
    match decision {
        Decision::Allow => {}
        Decision::Deny { reason, .. } => {
            return Ok(error(
                &req,
                &issuer,
                AuthorizeErrorCode::AccessDenied,
                &reason,
            ));
        }
        Decision::Challenge { .. } if none => {
            return Ok(error(
                &req,
                &issuer,
                AuthorizeErrorCode::InteractionRequired,
                "The app's sign-in policy needs another factor.",
            ));
        }
        Decision::Challenge { .. } => {
            let (cookie, _, advance) = signin::start_for_app_acr(
                ctx,
                org,
                &app.id,
                &back_here(now)?,
                AppSignIn::StepUp(&session),
                acr.as_deref(),
                client,
            )
            .await?;
            return Ok(match advance {
                Advance::Done { cookie, .. } => AuthorizeOutcome::Reload(cookie),
                _ => AuthorizeOutcome::SignIn(cookie),
            });
        }
    }
    // Issue the code.
    let code = random_token(ctx);
    let grant = CodeGrant {
        redirect_uri: req.redirect_uri.as_str().to_string(),
        scopes: req.scopes.as_slice().to_vec(),
        nonce: req.nonce.as_ref().map(|n| n.as_str().to_string()),
        code_challenge: req.code_challenge.as_ref().map(|c| c.as_str().to_string()),
        auth_time: auth_time(&session),
        verifications: session.verifications.clone(),
        idp: session.idp_id.as_ref().map(|i| i.to_string()),
        acr_values: req
            .acr_values
            .iter()
            .map(|a| a.as_str().to_string())
            .collect(),
    };
    ctx.store
        .put_code(&StoredCode {
            code_hash: hash_token(&code),
            org_id: org.id.clone(),
            app_id: app.id.clone(),
            user_id: user.id.clone(),
            family: random_token(ctx),
            data: serde_json::to_value(&grant)
                .map_err(|e| CoreError::Internal(format!("code grant: {e}")))?,
            created: now,
            expires_at: Timestamp(now.0 + CODE_TTL_MS),
            user_gen: user.token_gen,
        })
        .await?;
    Ok(AuthorizeOutcome::Respond(success(&req, &code, &issuer)))
}

/// `path?query` without any `name=` parameter.
fn strip_param(here: &str, name: &str) -> String {
    let Some((path, query)) = here.split_once('?') else {
        return here.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Where RP-initiated logout may send the browser: `post_logout_redirect_uri` (with `state`)
/// only when `id_token_hint` is an ID token this org signed (expired ones included) for a client
/// that registered that exact URI.
pub async fn logout_target(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    id_token_hint: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Result<Option<String>, CoreError> {
    let (Some(hint), Some(target)) = (id_token_hint, post_logout_redirect_uri) else {
        return Ok(None);
    };
    let keys = crate::service::keys::verifying_keys(ctx, &org.id).await?;
    let Ok(v) = federa_jose::jws::verify(hint, &keys, &federa_jose::JwsAlg::ALL) else {
        return Ok(None);
    };
    if v.header().typ() == Some("at+jwt") {
        return Ok(None);
    }
    let Ok(claims) = v.claims() else {
        return Ok(None);
    };
    if claims.get("iss").and_then(|i| i.as_str()) != Some(issuer) {
        return Ok(None);
    }
    let Some(aud) = claims.get("aud").and_then(|a| a.as_str()) else {
        return Ok(None);
    };
    let Some(app) = apps::by_client_id(ctx, &org.id, aud).await? else {
        return Ok(None);
    };
    let Some(o) = app.oidc() else {
        return Ok(None);
    };
    if !o.post_logout_redirect_uris.iter().any(|u| u == target) {
        return Ok(None);
    }
    let Ok(mut url) = url::Url::parse(target) else {
        return Ok(None);
    };
    if let Some(s) = state.filter(|s| s.len() <= 2048) {
        url.query_pairs_mut().append_pair("state", s);
    }
    Ok(Some(url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::strip_param;

    #[test]
    fn strip_param_removes_only_the_named_parameter() {
        assert_eq!(
            strip_param(
                "/oauth2/v1/authorize?a=1&federa_login_after=5&b=2",
                "federa_login_after"
            ),
            "/oauth2/v1/authorize?a=1&b=2"
        );
        assert_eq!(
            strip_param("/x?federa_login_after=5", "federa_login_after"),
            "/x"
        );
        assert_eq!(strip_param("/x", "federa_login_after"), "/x");
    }
}
