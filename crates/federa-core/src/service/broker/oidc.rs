//! The broker over OpenID Connect (`OIDC` and `OKTA_INTEGRATION` IdPs): the authorization
//! request (state, nonce, PKCE S256) and the callback `/oauth2/v1/authorize/callback`: single-use
//! state bound to the browser, RFC 9207 `iss`, the code exchange with the IdP's token endpoint,
//! ID-token validation per OIDC Core §3.1.3.7 against the IdP's JWKS (`federa_oidc::rp`), a
//! replay check on the ID token, then the carriers: `okta_auth` (compact JWE decrypted with the
//! per-IdP SP key, or a JSON object inside the signed token) and `amr`.

use super::{
    BrokerOutcome, UpstreamIdentity, complete, org_features, put_state, refuse, take_state,
};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::Org;
use crate::ports::OnceMark;
use crate::service::idps::{self, Idp};
use crate::service::sessions::random_token;
use crate::service::signin::{self, Client, Flow};
use base64::Engine as _;
use federa_claims::okta_auth::{OktaAuthInput, OuterBinding};
use federa_claims::trust::{self, TrustInput, UpstreamClaims};
use federa_oidc::rp::{IdTokenExpectations, validate_id_token};
use federa_types::{Secret, Timestamp};
use serde_json::Value;
use std::time::Duration;

const MAX_TOKEN_RESPONSE: usize = 256 * 1024;
const MAX_JWKS: usize = 256 * 1024;

fn pkce_pair(ctx: &Ctx) -> (String, String) {
    let raw: [u8; 32] = ctx.random();
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    (verifier, challenge)
}

/// Starts a federated sign-in at an OIDC IdP: the URL to send the browser to.
pub async fn start(
    ctx: &Ctx,
    org: &Org,
    base: &str,
    idp: &Idp,
    flow: &Flow,
    login_hint: Option<&str>,
) -> Result<Result<String, String>, CoreError> {
    let Some(up) = &idp.oidc else {
        return Ok(Err(
            "This identity provider does not use OpenID Connect.".into()
        ));
    };
    let nonce = random_token(ctx);
    let (verifier, challenge) = pkce_pair(ctx);
    let state = put_state(
        ctx,
        org,
        idp,
        flow,
        serde_json::json!({ "protocol": "oidc", "nonce": nonce, "verifier": verifier }),
    )
    .await?;
    let Ok(mut url) = url::Url::parse(&up.authorization_url) else {
        return Ok(Err(
            "The identity provider's sign-in address is not valid.".into()
        ));
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &up.client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", &up.scopes.join(" "))
            .append_pair("redirect_uri", &idps::redirect_uri(base))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(h) = login_hint.filter(|h| !h.is_empty() && h.len() <= 256) {
            q.append_pair("login_hint", h);
        }
    }
    Ok(Ok(url.to_string()))
}

fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut it = pairs.iter().filter(|(k, _)| k == name);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v.as_str()),
        _ => None,
    }
}

async fn exchange_code(
    ctx: &Ctx,
    base: &str,
    idp: &Idp,
    code: &str,
    verifier: &str,
) -> Result<Result<Value, String>, CoreError> {
    let Some(up) = &idp.oidc else {
        return Ok(Err("not an OIDC IdP".into()));
    };
    let redirect = idps::redirect_uri(base);
    let secret = idps::client_secret(ctx, idp).await?;
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &redirect),
        ("code_verifier", verifier),
    ];
    let secret_text = secret
        .as_ref()
        .map(|s| s.expose().clone())
        .unwrap_or_default();
    let basic = match up.token_endpoint_auth_method.as_str() {
        "client_secret_post" => {
            form.push(("client_id", &up.client_id));
            form.push(("client_secret", &secret_text));
            None
        }
        "client_secret_basic" => Some((up.client_id.as_str(), secret_text.as_str())),
        other => {
            return Ok(Err(format!(
                "token endpoint authentication {other} is not supported for upstream IdPs yet"
            )));
        }
    };
    let (status, body) = match ctx
        .fetch
        .post_form(&up.token_url, basic, &form, MAX_TOKEN_RESPONSE)
        .await
    {
        Ok(x) => x,
        Err(e) => return Ok(Err(format!("token request failed: {e}"))),
    };
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return Ok(Err(format!(
            "token endpoint answered HTTP {status} without JSON"
        )));
    };
    if status != 200 {
        let err = json
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("unknown");
        return Ok(Err(format!("token endpoint refused the code: {err}")));
    }
    Ok(Ok(json))
}

/// Decrypts an `okta_auth` compact JWE with the per-IdP SP key. `Err(why)` when it cannot be
/// decrypted (wrong key, tampered, wrong alg/enc): nothing from it is credited.
async fn decrypt_okta_auth(
    ctx: &Ctx,
    idp: &Idp,
    jwe: &str,
) -> Result<Result<Vec<u8>, String>, CoreError> {
    let keys = idps::sp_decryption_keys(ctx, idp).await?;
    let (rng, jwe) = (ctx.rng.clone(), jwe.to_string());
    // The RSA private operation runs off the async worker, so the reads that go with it
    // (the user, the policy inputs) make progress meanwhile.
    tokio::task::spawn_blocking(move || {
        federa_jose::jwe::decrypt(&keys, &jwe, rng.as_ref())
            .map(|d| d.into_plaintext())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| CoreError::Internal(format!("decrypting okta_auth: {e}")))
}

/// Handles `/oauth2/v1/authorize/callback`.
pub async fn callback(
    ctx: &Ctx,
    org: &Org,
    base: &str,
    pairs: &[(String, String)],
    flow: Option<&mut Flow>,
    client: &Client,
) -> Result<BrokerOutcome, CoreError> {
    let state = one(pairs, "state").unwrap_or("");
    let st = match take_state(ctx, org, state, flow.as_deref()).await? {
        Ok(s) => s,
        Err(msg) => return refuse(ctx, org, None, client, "INVALID_STATE", msg).await,
    };
    let Some(flow) = flow else {
        return refuse(ctx, org, None, client, "NO_FLOW", "Start again.".into()).await;
    };
    let idp = match idps::get_cached(ctx, &org.id, st.idp_id.as_str()).await {
        Ok(i) if i.is_active() && i.oidc.is_some() => i,
        _ => {
            return refuse(
                ctx,
                org,
                None,
                client,
                "IDP_NOT_ACTIVE",
                "This identity provider is not available.".into(),
            )
            .await;
        }
    };
    let Some(up) = idp.oidc.clone() else {
        return refuse(
            ctx,
            org,
            Some(&idp),
            client,
            "NOT_OIDC",
            "Start again.".into(),
        )
        .await;
    };
    if let Some(err) = one(pairs, "error") {
        let err: String = err.chars().take(100).collect();
        return refuse(
            ctx,
            org,
            Some(&idp),
            client,
            &format!("IDP_ERROR {err}"),
            format!("{} did not sign you in ({err}).", idp.name),
        )
        .await;
    }
    // RFC 9207: when the IdP names itself, it must be the one we sent the user to.
    if let Some(iss) = one(pairs, "iss")
        && iss.trim_end_matches('/') != up.issuer.trim_end_matches('/')
    {
        return refuse(
            ctx,
            org,
            Some(&idp),
            client,
            "ISSUER_MISMATCH",
            "The response came from another identity provider.".into(),
        )
        .await;
    }
    let Some(code) = one(pairs, "code").filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return refuse(
            ctx,
            org,
            Some(&idp),
            client,
            "NO_CODE",
            "The identity provider sent no authorization code.".into(),
        )
        .await;
    };
    let nonce = st.data.get("nonce").and_then(|v| v.as_str()).unwrap_or("");
    let verifier = st
        .data
        .get("verifier")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let tokens = match exchange_code(ctx, base, &idp, code, verifier).await? {
        Ok(t) => t,
        Err(msg) => {
            return refuse(
                ctx,
                org,
                Some(&idp),
                client,
                "TOKEN_EXCHANGE_FAILED",
                format!("Signing in with {} failed: {msg}.", idp.name),
            )
            .await;
        }
    };
    let Some(id_token) = tokens.get("id_token").and_then(|t| t.as_str()) else {
        return refuse(
            ctx,
            org,
            Some(&idp),
            client,
            "NO_ID_TOKEN",
            format!("{} sent no ID token.", idp.name),
        )
        .await;
    };
    let kid = crate::service::remote_keys::jws_kid(id_token);
    let keys = match crate::service::remote_keys::verifying_keys(
        ctx,
        &org.id,
        idp.id.as_str(),
        &up.jwks_url,
        MAX_JWKS,
        kid.as_deref(),
    )
    .await
    {
        Ok(k) => k,
        Err(crate::service::remote_keys::RemoteKeysError::Fetch(e)) => {
            return refuse(
                ctx,
                org,
                Some(&idp),
                client,
                "JWKS_UNAVAILABLE",
                format!("{}'s keys could not be fetched: {e}.", idp.name),
            )
            .await;
        }
        Err(crate::service::remote_keys::RemoteKeysError::Unusable(_)) => {
            return refuse(
                ctx,
                org,
                Some(&idp),
                client,
                "JWKS_UNUSABLE",
                format!("{}'s keys are unusable.", idp.name),
            )
            .await;
        }
    };
    let now = ctx.clock.now();
    let skew = Duration::from_millis(
        u64::try_from(idp.max_clock_skew_ms.clamp(0, 600_000))
            .unwrap_or(0)
            .max(60_000),
    );
    let validated = match validate_id_token(
        id_token,
        &keys,
        &IdTokenExpectations {
            issuer: &up.issuer,
            client_id: &up.client_id,
            nonce,
            now,
            max_clock_skew: skew,
            allowed_algs: &federa_jose::JwsAlg::ALL,
        },
    ) {
        Ok(v) => v,
        Err(e) => {
            return refuse(
                ctx,
                org,
                Some(&idp),
                client,
                &format!("ID_TOKEN_INVALID {e}"),
                format!("The ID token from {} is not valid.", idp.name),
            )
            .await;
        }
    };
    // A token is accepted once (the state is single use too; this covers a token replayed
    // through another pending sign-in): recorded with whatever the sign-in writes at its end,
    // which fails as a whole, and is refused, when the token was already used.
    let once = vec![OnceMark {
        namespace: "idp-id-token".into(),
        key: crate::system::sha256_hex(id_token.as_bytes()),
        expires_at: Timestamp(
            validated
                .expires_at
                .saturating_mul(1000)
                .max(now.0 + 60_000),
        ),
    }];
    let authenticated_at = validated
        .auth_time
        .as_ref()
        .and_then(Value::as_i64)
        .filter(|t| *t > 0)
        .map(|t| Timestamp(t.saturating_mul(1000)))
        .unwrap_or(now);
    let str_claim = |k: &str| {
        validated
            .claims
            .get(k)
            .and_then(|v| v.as_str())
            .map(|s| s.chars().take(256).collect::<String>())
    };
    let who = UpstreamIdentity {
        external_id: validated.subject.clone(),
        email: str_claim("email"),
        email_verified: validated.claims.get("email_verified") == Some(&Value::Bool(true)),
        preferred_username: str_claim("preferred_username"),
        first_name: str_claim("given_name"),
        last_name: str_claim("family_name"),
    };
    // The carriers (decryption is the costly part) while the user and their policy inputs
    // are read.
    let carriers = async {
        let plaintext;
        let mut undecryptable = None;
        let okta_auth = match &validated.okta_auth {
            Some(Value::String(jwe)) => {
                plaintext = match decrypt_okta_auth(ctx, &idp, jwe).await? {
                    Ok(p) => p,
                    Err(e) => {
                        undecryptable = Some(e);
                        Vec::new()
                    }
                };
                Some(OktaAuthInput::OidcPlaintext(&plaintext))
            }
            Some(v @ Value::Object(_)) => Some(OktaAuthInput::OidcObject(v)),
            Some(_) => {
                plaintext = Vec::new();
                Some(OktaAuthInput::OidcPlaintext(&plaintext))
            }
            None => None,
        };
        let acr = validated.acr.as_ref().and_then(Value::as_str);
        let features = org_features(ctx, org).await?;
        let trust_config = idp.trust_config();
        let mut outcome = trust::evaluate(&TrustInput {
            idp: &trust_config,
            features,
            claims: UpstreamClaims {
                okta_auth,
                oidc_amr: validated.amr.as_ref(),
                saml_session_amr: None,
                oidc_acr: acr,
                authn_context_class_ref: None,
            },
            outer: OuterBinding {
                issuer: &validated.issuer,
                audiences: &validated.audiences,
                subject: &validated.subject,
                expected_engine: None,
                authenticated_at,
            },
        });
        if let Some(e) = &undecryptable {
            super::mark_undecryptable(&mut outcome, federa_claims::Carrier::OktaAuthOidc, e);
        }
        Ok::<_, CoreError>(outcome)
    };
    let (resolved, outcome) = tokio::join!(super::resolve(ctx, org, flow, &idp, who), carriers);
    complete(
        ctx,
        org,
        flow,
        &idp,
        resolved?,
        outcome?,
        authenticated_at,
        client,
        (once, "ID_TOKEN_REPLAYED"),
    )
    .await
}

/// Starts a federated sign-in from `/sso/idps/{idpId}`: reuses the browser's sign-in flow (so
/// an app's request survives the trip) or starts one.
pub async fn start_from_path(
    ctx: &Ctx,
    org: &Org,
    base: &str,
    idp_id: &str,
    flow: Option<Flow>,
    return_to: Option<&str>,
) -> Result<BrokerOutcome, CoreError> {
    let idp = match idps::get_cached(ctx, &org.id, idp_id).await {
        Ok(i) if i.is_active() => i,
        _ => {
            return Ok(BrokerOutcome::Page(
                "This identity provider is not available.".into(),
            ));
        }
    };
    let (flow, flow_cookie): (Flow, Option<Secret<String>>) = match flow {
        Some(f) if return_to.is_none() => (f, None),
        _ => {
            let (c, f) = signin::start(ctx, org, return_to).await?;
            (f, Some(c))
        }
    };
    let hint = flow.state.login.clone();
    let started = if idp.oidc.is_some() {
        start(ctx, org, base, &idp, &flow, hint.as_deref()).await?
    } else {
        super::saml::start(ctx, org, base, &idp, &flow).await?
    };
    Ok(match started {
        Ok(location) => BrokerOutcome::Redirect {
            location,
            flow_cookie,
        },
        Err(msg) => BrokerOutcome::Page(msg),
    })
}
