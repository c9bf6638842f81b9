//! The token endpoint and its companions (CONTRACT §3, RFC 6749 §3.2, §4.1.3, §6, §4.4, RFC
//! 7009, RFC 7662, OIDC Core §3.1.3, §5.3): client authentication, code redemption (single use;
//! a replayed code revokes every token issued from it), refresh-token rotation (a replayed
//! refresh token revokes its family), client credentials, userinfo, revocation, introspection.
//! ID tokens carry `amr` from the session's verifications and, for the org2org app, the
//! `okta_auth` JWE encrypted to the SP org's published key.
//!
//! Client authentication is in `oauth::client_auth`, userinfo, revocation and introspection
//! in `oauth::tokens_introspect`; both are re-exported here.

pub use super::client_auth::authenticate_client;
pub use super::tokens_introspect::{check_access_token, introspect, revoke, userinfo};

use super::CodeGrant;
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::app::GrantType;
use crate::model::{Org, User, UserStatus};
use crate::ports::{AccessRecord, CodeTake, RefreshTake, StoredToken};
use crate::service::apps::App;
use crate::service::keys;
use crate::service::sessions::{hash_token, random_token};
use federa_claims::{AmrValue, Engine, FactorVerification};
use federa_oidc::client_auth::{ClientAuthentication, authenticate_request};
use federa_oidc::id_token::{
    AccessTokenClaims, IdTokenClaims, at_hash, new_token_id, sign_access_token, sign_id_token,
};
use federa_oidc::token::{TokenErrorResponse, TokenRequest, TokenResponse};
use federa_oidc::{OidcError, Scopes};
use federa_types::Timestamp;
use serde::{Deserialize, Serialize};

/// Access and ID token lifetime.
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// Refresh token lifetime.
pub const REFRESH_TOKEN_MS: i64 = 30 * 24 * 3_600_000;
pub(super) const MAX_JWKS_BYTES: usize = 64 * 1024;

/// What the token endpoint answers.
#[derive(Debug)]
pub enum TokenOutcome {
    /// 200 with tokens.
    Tokens(Box<TokenResponse>),
    /// The RFC 6749 §5.2 error.
    Error(TokenErrorResponse),
}

/// What a refresh token stands for (stored with it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RefreshGrant {
    pub(super) scopes: Vec<String>,
    auth_time: Timestamp,
    verifications: Vec<FactorVerification>,
    idp: Option<String>,
    acr_values: Vec<String>,
}

fn oidc_err(e: OidcError, attempted: Option<&ClientAuthentication>) -> TokenOutcome {
    TokenOutcome::Error(TokenErrorResponse::from_error(
        &e,
        attempted.map(ClientAuthentication::method),
    ))
}

pub(super) fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(e.to_string())
}

fn allows(app: &App, g: GrantType) -> bool {
    app.oidc().is_some_and(|o| o.grant_types.contains(&g))
}

/// `POST /oauth2/v1/token`.
pub async fn token(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    authorization: Option<&str>,
    form: Vec<(String, String)>,
) -> Result<TokenOutcome, CoreError> {
    let (app, auth) = match authenticate_client(ctx, org, issuer, authorization, &form).await? {
        Ok(x) => x,
        Err(e) => {
            let attempted = authenticate_request(authorization, &form).ok();
            return Ok(oidc_err(e, attempted.as_ref()));
        }
    };
    let request = match TokenRequest::from_form(&form) {
        Ok(r) => r,
        Err(e) => return Ok(oidc_err(e, Some(&auth))),
    };
    let now = ctx.clock.now();
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            if !allows(&app, GrantType::AuthorizationCode) {
                return Ok(oidc_err(
                    OidcError::UnauthorizedClient("authorization_code"),
                    Some(&auth),
                ));
            }
            // The code is taken, its user read and the access token about to be issued
            // recorded in one round trip where the store can. Every refusal below, after a
            // fresh take, revokes the code's family: the code is spent, and the record is of a
            // token that was never issued.
            let jti = new_token_id("AT.", ctx.rng.as_ref());
            let access = AccessRecord {
                token_hash: hash_token(&jti),
                created: now,
                expires_at: Timestamp(now.0 + ACCESS_TOKEN_SECONDS * 1000),
            };
            let (take, code_user) = ctx
                .store
                .redeem_code(&org.id, &hash_token(code.expose()), now, &access)
                .await?;
            let stored = match take {
                CodeTake::Fresh(c) => c,
                CodeTake::Replayed(c) => {
                    let n = ctx.store.revoke_family(&org.id, &c.family).await?;
                    tracing::warn!(
                        revoked = n,
                        "authorization code replayed; its tokens are revoked"
                    );
                    return Ok(oidc_err(
                        OidcError::InvalidGrant("the code was already used".into()),
                        Some(&auth),
                    ));
                }
                CodeTake::Unknown => {
                    return Ok(oidc_err(
                        OidcError::InvalidGrant("the code is invalid or expired".into()),
                        Some(&auth),
                    ));
                }
            };
            let grant: CodeGrant = serde_json::from_value(stored.data.clone()).map_err(internal)?;
            let user = match redeemable(
                &stored,
                &app,
                &grant,
                redirect_uri,
                code_verifier,
                code_user,
            )? {
                Ok(u) => u,
                Err(e) => {
                    // The code is spent; its family so far is only the record of the access
                    // token that is now not issued.
                    ctx.store.revoke_family(&org.id, &stored.family).await?;
                    return Ok(oidc_err(e, Some(&auth)));
                }
            };
            let rg = RefreshGrant {
                scopes: grant.scopes.clone(),
                auth_time: grant.auth_time,
                verifications: grant.verifications,
                idp: grant.idp,
                acr_values: grant.acr_values,
            };
            let res = issue(
                ctx,
                org,
                issuer,
                &app,
                &user,
                &rg,
                grant.nonce,
                &stored.family,
                Some(jti),
                now,
            )
            .await?;
            Ok(TokenOutcome::Tokens(Box::new(res)))
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
        } => {
            if !allows(&app, GrantType::RefreshToken) {
                return Ok(oidc_err(
                    OidcError::UnauthorizedClient("refresh_token"),
                    Some(&auth),
                ));
            }
            let t = match ctx
                .store
                .take_refresh(&org.id, &hash_token(refresh_token.expose()), now)
                .await?
            {
                RefreshTake::Fresh(t) => t,
                RefreshTake::Replayed(t) => {
                    ctx.store.revoke_family(&org.id, &t.family).await?;
                    tracing::warn!("refresh token reused; its family is revoked");
                    return Ok(oidc_err(
                        OidcError::InvalidGrant("the refresh token is no longer valid".into()),
                        Some(&auth),
                    ));
                }
                RefreshTake::Unknown => {
                    return Ok(oidc_err(
                        OidcError::InvalidGrant("the refresh token is invalid or expired".into()),
                        Some(&auth),
                    ));
                }
            };
            if t.app_id != app.id {
                ctx.store.revoke_family(&org.id, &t.family).await?;
                return Ok(oidc_err(
                    OidcError::InvalidGrant(
                        "the refresh token was issued to another client".into(),
                    ),
                    Some(&auth),
                ));
            }
            let mut rg: RefreshGrant = serde_json::from_value(t.data.clone()).map_err(internal)?;
            if let Some(s) = scope {
                let granted = Scopes::parse(&rg.scopes.join(" ")).map_err(internal)?;
                if !s.is_subset_of(&granted) {
                    return Ok(oidc_err(
                        OidcError::InvalidScope("more scopes than originally granted".into()),
                        Some(&auth),
                    ));
                }
                rg.scopes = s.as_slice().to_vec();
            }
            let Some(uid) = &t.user_id else {
                return Ok(oidc_err(
                    OidcError::InvalidGrant("the refresh token has no user".into()),
                    Some(&auth),
                ));
            };
            // A user deleted after the take is refused like an inactive one (not a 404).
            let user = match ctx.store.user_by_id(&org.id, uid).await? {
                Some(u) if u.status == UserStatus::Active && u.token_gen == t.user_gen => u,
                found => {
                    ctx.store.revoke_family(&org.id, &t.family).await?;
                    let why = match found {
                        Some(u) if u.status == UserStatus::Active => {
                            "the user's tokens were revoked"
                        }
                        _ => "the user is not active",
                    };
                    return Ok(oidc_err(OidcError::InvalidGrant(why.into()), Some(&auth)));
                }
            };
            let res = issue(
                ctx, org, issuer, &app, &user, &rg, None, &t.family, None, now,
            )
            .await?;
            Ok(TokenOutcome::Tokens(Box::new(res)))
        }
        TokenRequest::ClientCredentials { scope } => {
            if !allows(&app, GrantType::ClientCredentials)
                || matches!(auth, ClientAuthentication::None { .. })
            {
                return Ok(oidc_err(
                    OidcError::UnauthorizedClient("client_credentials"),
                    Some(&auth),
                ));
            }
            let scopes = scope.map(|s| s.as_slice().to_vec()).unwrap_or_default();
            if scopes
                .iter()
                .any(|s| s == "openid" || s == "offline_access")
            {
                return Ok(oidc_err(
                    OidcError::InvalidScope("openid and offline_access need a user".into()),
                    Some(&auth),
                ));
            }
            let key = keys::jws_signing_key(ctx, &org.id).await?;
            let iat = now.0 / 1000;
            let cid = app.client_id.clone().unwrap_or_default();
            let jti = new_token_id("AT.", ctx.rng.as_ref());
            let claims = AccessTokenClaims {
                ver: 1,
                jti: jti.clone(),
                iss: issuer.to_string(),
                aud: issuer.to_string(),
                iat,
                exp: iat + ACCESS_TOKEN_SECONDS,
                cid: cid.clone(),
                uid: None,
                scp: scopes.clone(),
                sub: cid,
                auth_time: None,
                acr: None,
            };
            let at = sign_access_token(&claims, &key).map_err(internal)?;
            track_access(ctx, org, &app, None, &jti, "client-credentials", now).await?;
            let res = TokenResponse {
                access_token: at,
                token_type: "Bearer",
                expires_in: ACCESS_TOKEN_SECONDS as u64,
                scope: scopes.join(" "),
                refresh_token: None,
                id_token: None,
            };
            Ok(TokenOutcome::Tokens(Box::new(res)))
        }
    }
}

/// Whether a freshly taken code may be redeemed by this request: issued to this client, the
/// same redirect URI, the PKCE verifier matching, its user active. The user, or the refusal.
fn redeemable(
    stored: &crate::ports::StoredCode,
    app: &App,
    grant: &CodeGrant,
    redirect_uri: Option<String>,
    code_verifier: Option<federa_oidc::pkce::CodeVerifier>,
    user: Option<User>,
) -> Result<Result<User, OidcError>, CoreError> {
    let invalid = |m: &str| Ok(Err(OidcError::InvalidGrant(m.into())));
    if stored.app_id != app.id {
        return invalid("the code was issued to another client");
    }
    if redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return invalid("redirect_uri does not match the authorization request");
    }
    match (&grant.code_challenge, &code_verifier) {
        (Some(ch), Some(v)) => {
            let c = federa_oidc::CodeChallenge::parse(ch, Some("S256")).map_err(internal)?;
            if federa_oidc::pkce::verify(&c, v).is_err() {
                return Ok(Err(OidcError::PkceMismatch));
            }
        }
        (Some(_), None) => return invalid("code_verifier is required"),
        (None, Some(_)) => return invalid("the authorization request had no code_challenge"),
        (None, None) => {}
    }
    match user.filter(|u| u.status == UserStatus::Active) {
        Some(u) if u.token_gen != stored.user_gen => {
            invalid("the user's tokens were revoked after the code was issued")
        }
        Some(u) => Ok(Ok(u)),
        None => invalid("the user is not active"),
    }
}

async fn track_access(
    ctx: &Ctx,
    org: &Org,
    app: &App,
    user: Option<&User>,
    jti: &str,
    family: &str,
    now: Timestamp,
) -> Result<(), CoreError> {
    ctx.store
        .put_token(&StoredToken {
            token_hash: hash_token(jti),
            org_id: org.id.clone(),
            app_id: app.id.clone(),
            user_id: user.map(|u| u.id.clone()),
            kind: "access".into(),
            family: family.to_string(),
            data: serde_json::Value::Null,
            created: now,
            expires_at: Timestamp(now.0 + ACCESS_TOKEN_SECONDS * 1000),
            used: false,
            revoked: false,
            user_gen: user.map_or(0, |u| u.token_gen),
        })
        .await?;
    Ok(())
}

/// The `acr` to report: the first requested value the verifications satisfy, else the level
/// they reach.
pub fn acr_for(verifications: &[FactorVerification], requested: &[String]) -> String {
    let amr = federa_claims::amr_for(verifications);
    let mfa = amr.contains(&AmrValue::Mfa);
    let phr = verifications
        .iter()
        .any(|v| v.characteristics.phishing_resistant);
    let phrh = verifications
        .iter()
        .any(|v| v.characteristics.phishing_resistant && v.characteristics.hardware_protected);
    let pwd = amr.contains(&AmrValue::Pwd);
    for r in requested {
        let ok = match r.as_str() {
            "urn:okta:loa:1fa:any" => true,
            "urn:okta:loa:1fa:pwd" => pwd,
            "urn:okta:loa:2fa:any" => mfa,
            "urn:okta:loa:2fa:any:ifpossible" => true,
            "phr" => phr,
            "phrh" => phrh,
            _ => false,
        };
        if ok {
            return r.clone();
        }
    }
    if mfa {
        "urn:okta:loa:2fa:any".into()
    } else {
        "urn:okta:loa:1fa:any".into()
    }
}

/// Builds the `okta_auth` JWE for the org2org app, encrypted to the SP org's published key;
/// `None` (logged) when the key cannot be had: the SP then challenges locally.
async fn okta_auth_for(
    ctx: &Ctx,
    org: &Org,
    app: &App,
    issuer: &str,
    sub: &str,
    verifications: &[FactorVerification],
    iat: i64,
) -> Option<String> {
    let uri = app.oidc()?.jwks_uri?;
    let keys = match crate::service::remote_keys::encryption_keys(
        ctx,
        &org.id,
        app.id.as_str(),
        &uri,
        MAX_JWKS_BYTES,
    )
    .await
    {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, app = %app.id, "the SP org's encryption keys could not be had; okta_auth left out");
            return None;
        }
    };
    let key = keys.preferred()?;
    let engine = match org.engine {
        crate::model::Engine::Identity => Engine::Identity,
        crate::model::Engine::Classic => Engine::Classic,
    };
    let aud = app.client_id.clone().unwrap_or_default();
    let payload = federa_claims::okta_auth::build_payload(
        verifications,
        &federa_claims::okta_auth::PayloadHeader {
            iss: issuer,
            aud: &aud,
            sub,
            iat,
            engine,
        },
    );
    let plaintext = serde_json::to_vec(&payload).ok()?;
    match federa_jose::jwe::encrypt(
        key,
        &plaintext,
        &federa_jose::EncryptOptions::new(),
        ctx.rng.as_ref(),
    ) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(error = %e, "encrypting okta_auth failed; left out");
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn issue(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    app: &App,
    user: &User,
    grant: &RefreshGrant,
    nonce: Option<String>,
    family: &str,
    recorded_jti: Option<String>,
    now: Timestamp,
) -> Result<TokenResponse, CoreError> {
    let iat = now.0 / 1000;
    let key = keys::jws_signing_key(ctx, &org.id).await?;
    let cid = app.client_id.clone().unwrap_or_default();
    // A requested acr was enforced at the authorize endpoint (one more policy after the app's,
    // which may count an IdP sign-in as a factor type): report it; else what the verifications
    // show.
    let acr = super::acr::requirement(&grant.acr_values)
        .unwrap_or_else(|| acr_for(&grant.verifications, &grant.acr_values));
    // The access token's record: made with the code's redemption, or here.
    let recorded = recorded_jti.is_some();
    let jti = recorded_jti.unwrap_or_else(|| new_token_id("AT.", ctx.rng.as_ref()));
    let at_claims = AccessTokenClaims {
        ver: 1,
        jti: jti.clone(),
        iss: issuer.to_string(),
        aud: issuer.to_string(),
        iat,
        exp: iat + ACCESS_TOKEN_SECONDS,
        cid: cid.clone(),
        uid: Some(user.id.to_string()),
        scp: grant.scopes.clone(),
        sub: user.profile.login.clone(),
        auth_time: Some(grant.auth_time.0 / 1000),
        acr: Some(acr.clone()),
    };
    let access_token = sign_access_token(&at_claims, &key).map_err(internal)?;
    if !recorded {
        track_access(ctx, org, app, Some(user), &jti, family, now).await?;
    }
    let scopes = Scopes::parse(&grant.scopes.join(" ")).map_err(internal)?;
    let mut res = TokenResponse::bearer(access_token.clone(), ACCESS_TOKEN_SECONDS as u64, &scopes);
    if grant.scopes.iter().any(|s| s == "openid") {
        let okta_auth = if app.is_org2org() {
            okta_auth_for(
                ctx,
                org,
                app,
                issuer,
                user.id.as_str(),
                &grant.verifications,
                iat,
            )
            .await
        } else {
            None
        };
        let claims = IdTokenClaims {
            ver: 1,
            jti: new_token_id("ID.", ctx.rng.as_ref()),
            iss: issuer.to_string(),
            sub: user.id.to_string(),
            aud: cid,
            iat,
            exp: iat + ACCESS_TOKEN_SECONDS,
            auth_time: grant.auth_time.0 / 1000,
            nonce,
            amr: federa_claims::amr_strings(&grant.verifications),
            acr: Some(acr),
            idp: Some(grant.idp.clone().unwrap_or_else(|| org.id.to_string())),
            at_hash: Some(at_hash(&access_token, key.alg())),
            okta_auth,
            profile: profile_claims(user, &grant.scopes),
        };
        res.id_token = Some(sign_id_token(&claims, &key).map_err(internal)?);
    }
    if allows(app, GrantType::RefreshToken) && grant.scopes.iter().any(|s| s == "offline_access") {
        let refresh = random_token(ctx);
        ctx.store
            .put_token(&StoredToken {
                token_hash: hash_token(&refresh),
                org_id: org.id.clone(),
                app_id: app.id.clone(),
                user_id: Some(user.id.clone()),
                kind: "refresh".into(),
                family: family.to_string(),
                data: serde_json::to_value(grant).map_err(internal)?,
                created: now,
                expires_at: Timestamp(now.0 + REFRESH_TOKEN_MS),
                used: false,
                revoked: false,
                user_gen: user.token_gen,
            })
            .await?;
        res.refresh_token = Some(refresh);
    }
    Ok(res)
}

/// The standard claims the granted scopes release (OIDC Core §5.4), for the ID token and
/// userinfo.
pub fn profile_claims(
    user: &User,
    scopes: &[String],
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile") {
        let p = &user.profile;
        out.insert("preferred_username".into(), p.login.clone().into());
        let name = [p.first_name.as_deref(), p.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            out.insert("name".into(), name.into());
        }
        if let Some(g) = &p.first_name {
            out.insert("given_name".into(), g.clone().into());
        }
        if let Some(f) = &p.last_name {
            out.insert("family_name".into(), f.clone().into());
        }
        out.insert("updated_at".into(), (user.last_updated.0 / 1000).into());
    }
    if has("email") {
        // No `email_verified`: Federa does not prove that users own their profile email, and a
        // relying party must not link accounts on an email nobody verified.
        out.insert("email".into(), user.profile.email.clone().into());
    }
    out
}
