//! OAuth 2.0 client authentication (RFC 6749 §2.3, RFC 7523 §2.2, OIDC Core §9) for the token,
//! revocation and introspection endpoints: `client_secret_basic`, `client_secret_post`,
//! `none` and `private_key_jwt` (the client's JWKS inline or fetched, each assertion used once),
//! always the method the app is registered with.

use super::token::MAX_JWKS_BYTES;
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::Org;
use crate::model::app::TokenAuthMethod;
use crate::service::apps::{self, App};
use federa_oidc::OidcError;
use federa_oidc::client_auth::{
    AssertionExpectations, ClientAuthentication, authenticate_request, verify_client_assertion,
};
use federa_types::Timestamp;
use std::time::Duration;

/// Authenticates the client of a token, revocation or introspection request. `Ok(Err(..))` is
/// a protocol error to answer; `Err` an internal failure.
pub async fn authenticate_client(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    authorization: Option<&str>,
    form: &[(String, String)],
) -> Result<Result<(App, ClientAuthentication), OidcError>, CoreError> {
    let auth = match authenticate_request(authorization, form) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let unknown = || OidcError::InvalidClient("client authentication failed".into());
    let Some(app) = apps::by_client_id(ctx, &org.id, auth.client_id().as_str())
        .await?
        .filter(|a| a.is_active())
    else {
        return Ok(Err(unknown()));
    };
    let Some(oidc) = app.oidc() else {
        return Ok(Err(unknown()));
    };
    let ok = match (&auth, oidc.auth_method) {
        (ClientAuthentication::SecretBasic { secret, .. }, TokenAuthMethod::ClientSecretBasic)
        | (ClientAuthentication::SecretPost { secret, .. }, TokenAuthMethod::ClientSecretPost) => {
            apps::secret_matches(&app, secret.expose())
        }
        (ClientAuthentication::None { .. }, TokenAuthMethod::None) => true,
        (
            ClientAuthentication::PrivateKeyJwt {
                assertion,
                client_id,
            },
            TokenAuthMethod::PrivateKeyJwt,
        ) => {
            let keys = match (&oidc.jwks, &oidc.jwks_uri) {
                (Some(j), _) => {
                    match federa_jose::VerifyingKeySet::from_jwks_json(&j.to_string()) {
                        Ok(k) => std::sync::Arc::new(k),
                        Err(_) => {
                            return Ok(Err(OidcError::InvalidClient(
                                "the client's keys are unusable".into(),
                            )));
                        }
                    }
                }
                (None, Some(uri)) => {
                    let kid = crate::service::remote_keys::jws_kid(assertion);
                    match crate::service::remote_keys::verifying_keys(
                        ctx,
                        &org.id,
                        app.id.as_str(),
                        uri,
                        MAX_JWKS_BYTES,
                        kid.as_deref(),
                    )
                    .await
                    {
                        Ok(k) => k,
                        Err(crate::service::remote_keys::RemoteKeysError::Fetch(e)) => {
                            tracing::warn!(error = %e, "fetching a client's JWKS failed");
                            return Ok(Err(OidcError::InvalidClient(
                                "the client's keys could not be fetched".into(),
                            )));
                        }
                        Err(crate::service::remote_keys::RemoteKeysError::Unusable(_)) => {
                            return Ok(Err(OidcError::InvalidClient(
                                "the client's keys are unusable".into(),
                            )));
                        }
                    }
                }
                (None, None) => return Ok(Err(unknown())),
            };
            let token_endpoint = format!("{issuer}/oauth2/v1/token");
            let audiences = [token_endpoint.as_str(), issuer];
            let now = ctx.clock.now();
            match verify_client_assertion(
                assertion,
                &keys,
                &AssertionExpectations {
                    client_id,
                    audiences: &audiences,
                    now,
                    max_clock_skew: Duration::from_secs(60),
                    max_lifetime: Duration::from_secs(600),
                },
            ) {
                Ok(v) => {
                    let fresh = ctx
                        .store
                        .remember_once(
                            &org.id,
                            "client-assertion",
                            &format!("{}:{}", client_id.as_str(), v.jti),
                            Timestamp(v.exp.saturating_add(60).saturating_mul(1000)),
                            now,
                        )
                        .await?;
                    if !fresh {
                        return Ok(Err(OidcError::InvalidClient(
                            "client_assertion was used before".into(),
                        )));
                    }
                    true
                }
                Err(e) => return Ok(Err(e)),
            }
        }
        _ => {
            return Ok(Err(OidcError::InvalidClient(format!(
                "this client authenticates with {}",
                oidc.auth_method.as_str()
            ))));
        }
    };
    if !ok {
        return Ok(Err(unknown()));
    }
    Ok(Ok((app, auth)))
}
