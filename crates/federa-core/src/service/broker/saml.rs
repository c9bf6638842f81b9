//! The broker over SAML 2.0 (`SAML2` IdPs): the AuthnRequest (HTTP-Redirect binding, signed
//! with the per-IdP SP key when the IdP object asks for it; `RelayState` names the pending
//! sign-in) and the assertion consumer service `/sso/saml2/{idpId}`.
//!
//! The ACS receives a cross-site POST, which does not carry the SameSite=Lax flow cookie, so
//! the response is parked server-side (single use, two minutes) and the browser is sent on to a
//! same-site GET that has the cookie: only there is the pending sign-in taken, bound to the
//! browser, and the response verified.

use super::{
    BrokerOutcome, UpstreamIdentity, complete, org_features, put_state, refuse, take_state,
};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::Org;
use crate::ports::BrokerState;
use crate::ports::OnceMark;
use crate::service::idps::{self, Idp};
use crate::service::sessions::{hash_token, random_token};
use crate::service::signin::Client;
use crate::service::signin::Flow;
use federa_claims::okta_auth::{OktaAuthInput, OuterBinding};
use federa_claims::trust::{self, TrustInput, UpstreamClaims};
use federa_saml::bindings::{MessageParam, encode_redirect};
use federa_saml::request_builder::{AuthnRequestParams, build_authn_request};
use federa_saml::sp::{SpExpectations, UnverifiedResponse};
use federa_saml::{Certificate, Limits};
use federa_types::Timestamp;

/// How long a parked response waits for the browser's GET.
pub const PARKED_TTL_MS: i64 = 120_000;
/// Largest `SAMLResponse` accepted at the ACS (base64).
pub const MAX_RESPONSE_B64: usize = 512 * 1024;

fn time_of(t: Timestamp) -> Result<time::OffsetDateTime, CoreError> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
        .map_err(|e| CoreError::Internal(e.to_string()))
}

/// Starts a federated sign-in at a SAML IdP: the Redirect-binding URL.
pub async fn start(
    ctx: &Ctx,
    org: &Org,
    base: &str,
    idp: &Idp,
    flow: &Flow,
) -> Result<Result<String, String>, CoreError> {
    let Some(up) = &idp.saml else {
        return Ok(Err("This identity provider does not use SAML.".into()));
    };
    let params = AuthnRequestParams {
        issuer: idps::sp_entity_id(base, &idp.id),
        destination: Some(
            up.sso_destination
                .clone()
                .unwrap_or_else(|| up.sso_url.clone()),
        ),
        assertion_consumer_service_url: Some(idps::acs_url(base, &idp.id)),
        protocol_binding: Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".into()),
        force_authn: false,
        is_passive: false,
        name_id_format: Some(up.name_format.clone()),
        requested_authn_context: None,
    };
    let (request_id, xml) =
        build_authn_request(&params, time_of(ctx.clock.now())?, ctx.rng.as_ref(), None)
            .map_err(|e| CoreError::Internal(format!("building the AuthnRequest: {e}")))?;
    let relay = put_state(
        ctx,
        org,
        idp,
        flow,
        serde_json::json!({ "protocol": "saml", "request_id": request_id }),
    )
    .await?;
    let signer = if up.request_signed {
        Some(idps::sp_identity(ctx, idp).await?)
    } else {
        None
    };
    let query = encode_redirect(&xml, MessageParam::Request, Some(&relay), signer.as_deref())
        .map_err(|e| CoreError::Internal(format!("encoding the AuthnRequest: {e}")))?;
    let sep = if up.sso_url.contains('?') { '&' } else { '?' };
    Ok(Ok(format!("{}{sep}{query}", up.sso_url)))
}

/// `POST /sso/saml2/{idpId}`: parks the response and its RelayState; returns the id of the
/// parked response for the GET that continues (`None` when the post is unusable).
pub async fn park(
    ctx: &Ctx,
    org: &Org,
    idp: &Idp,
    saml_response: &str,
    relay_state: Option<&str>,
) -> Result<Option<String>, CoreError> {
    if saml_response.is_empty() || saml_response.len() > MAX_RESPONSE_B64 {
        return Ok(None);
    }
    let id = random_token(ctx);
    let now = ctx.clock.now();
    ctx.store
        .put_broker_state(&BrokerState {
            id_hash: hash_token(&format!("parked:{id}")),
            org_id: org.id.clone(),
            idp_id: idp.id.clone(),
            data: serde_json::json!({
                "protocol": "saml-parked",
                "response": saml_response,
                "relay_state": relay_state.map(|r| r.chars().take(1024).collect::<String>()),
            }),
            created: now,
            expires_at: Timestamp(now.0 + PARKED_TTL_MS),
        })
        .await?;
    Ok(Some(id))
}

/// Takes a parked response (once): `(SAMLResponse, RelayState)`.
pub async fn unpark(
    ctx: &Ctx,
    org: &Org,
    id: &str,
) -> Result<Option<(BrokerState, String, Option<String>)>, CoreError> {
    if id.is_empty() || id.len() > 128 {
        return Ok(None);
    }
    let Some(s) = ctx
        .store
        .take_broker_state(
            &org.id,
            &hash_token(&format!("parked:{id}")),
            ctx.clock.now(),
        )
        .await?
    else {
        return Ok(None);
    };
    let response = s
        .data
        .get("response")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let relay = s
        .data
        .get("relay_state")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    Ok(Some((s, response, relay)))
}

/// `GET /sso/saml2/{idpId}?parked=...`: verifies the parked response against the pending
/// sign-in its RelayState names (taken once, bound to this browser), checks the assertion is
/// new (replay cache), reads the carriers (`OktaAuth`, `session.amr`) and completes.
pub async fn acs(
    ctx: &Ctx,
    org: &Org,
    base: &str,
    parked: &str,
    flow: Option<&mut Flow>,
    client: &Client,
) -> Result<BrokerOutcome, CoreError> {
    let Some((parked_state, response_b64, relay)) = unpark(ctx, org, parked).await? else {
        return refuse(
            ctx,
            org,
            None,
            client,
            "RESPONSE_EXPIRED",
            "This sign-in response has expired or was already used. Start again.".into(),
        )
        .await;
    };
    let idp = match idps::get_cached(ctx, &org.id, parked_state.idp_id.as_str()).await {
        Ok(i) if i.is_active() && i.saml.is_some() => i,
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
    let Some(up) = idp.saml.clone() else {
        return refuse(
            ctx,
            org,
            Some(&idp),
            client,
            "NOT_SAML",
            "Start again.".into(),
        )
        .await;
    };
    // The pending sign-in (IdP-initiated responses have none and are not accepted: they
    // cannot be bound to a browser, the classic login-CSRF vector).
    let st = match take_state(ctx, org, relay.as_deref().unwrap_or(""), flow.as_deref()).await? {
        Ok(s) if s.idp_id == idp.id => s,
        Ok(_) => {
            return refuse(
                ctx,
                org,
                Some(&idp),
                client,
                "STATE_FOR_ANOTHER_IDP",
                "This response belongs to another sign-in. Start again.".into(),
            )
            .await;
        }
        Err(msg) => {
            return refuse(ctx, org, Some(&idp), client, "INVALID_RELAY_STATE", msg).await;
        }
    };
    let Some(flow) = flow else {
        return refuse(
            ctx,
            org,
            Some(&idp),
            client,
            "NO_FLOW",
            "Start again.".into(),
        )
        .await;
    };
    let request_id = st
        .data
        .get("request_id")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let unverified = match UnverifiedResponse::from_post(&response_b64, &Limits::default()) {
        Ok(u) => u,
        Err(e) => {
            return refuse(
                ctx,
                org,
                Some(&idp),
                client,
                &format!("RESPONSE_MALFORMED {e}"),
                format!(
                    "The response from {} is not a valid SAML response.",
                    idp.name
                ),
            )
            .await;
        }
    };
    let mut certs = Vec::new();
    for der in idps::trusted_certificates(ctx, &idp).await? {
        if let Ok(c) = Certificate::from_der(&der) {
            certs.push(c);
        }
    }
    let keys = idps::sp_saml_decryption_keys(ctx, &idp).await?;
    let sp_entity = idps::sp_entity_id(base, &idp.id);
    let audience = up.audience.clone().unwrap_or_else(|| sp_entity.clone());
    let acs_url = idps::acs_url(base, &idp.id);
    let skew_ms = idp.max_clock_skew_ms.clamp(0, 600_000).max(60_000);
    let validated = match unverified.validate(&SpExpectations {
        idp_issuer: &up.issuer,
        trusted_certs: &certs,
        sp_entity_id: &audience,
        acs_url: &acs_url,
        expected_in_response_to: request_id.as_deref(),
        allow_unsolicited: false,
        now: time_of(ctx.clock.now())?,
        max_clock_skew: time::Duration::milliseconds(skew_ms),
        decryption_keys: keys.as_slice(),
        require_signed_assertion: false,
    }) {
        Ok(v) => v,
        Err(e) => {
            return refuse(
                ctx,
                org,
                Some(&idp),
                client,
                &format!("RESPONSE_INVALID {e}"),
                format!("The response from {} could not be verified.", idp.name),
            )
            .await;
        }
    };
    let now = ctx.clock.now();
    let until = Timestamp(
        i64::try_from(validated.replay_cache_until.unix_timestamp_nanos() / 1_000_000)
            .unwrap_or(i64::MAX)
            .max(now.0 + 60_000),
    );
    // Each assertion is accepted once: recorded with whatever the sign-in writes at its end,
    // which fails as a whole, and is refused, when it was already used.
    let once = vec![OnceMark {
        namespace: "saml-assertion".into(),
        key: format!("{}:{}", idp.id, validated.assertion_id),
        expires_at: until,
    }];
    let authenticated_at = Timestamp(
        i64::try_from(validated.authn_instant.unix_timestamp_nanos() / 1_000_000).unwrap_or(now.0),
    );
    // OktaAuth: a compact JWE to our key, or (tolerated) JSON directly.
    let mut undecryptable = None;
    let plaintext: Vec<u8> = match &validated.okta_auth {
        Some(text) if text.trim_start().starts_with('{') => text.as_bytes().to_vec(),
        Some(jwe) => {
            let keys = idps::sp_decryption_keys(ctx, &idp).await?;
            match federa_jose::jwe::decrypt(&keys, jwe.trim(), ctx.rng.as_ref()) {
                Ok(d) => d.into_plaintext(),
                Err(e) => {
                    undecryptable = Some(e.to_string());
                    Vec::new()
                }
            }
        }
        None => Vec::new(),
    };
    let okta_auth = validated
        .okta_auth
        .as_ref()
        .map(|_| OktaAuthInput::Saml(&plaintext));
    let session_amr = validated.attributes.get("session.amr");
    let audiences = validated.audiences.clone();
    let features = org_features(ctx, org).await?;
    let trust_config = idp.trust_config();
    let mut outcome = trust::evaluate(&TrustInput {
        idp: &trust_config,
        features,
        claims: UpstreamClaims {
            okta_auth,
            oidc_amr: None,
            saml_session_amr: session_amr.map(Vec::as_slice),
            oidc_acr: None,
            authn_context_class_ref: validated.authn_context_class_ref.as_deref(),
        },
        outer: OuterBinding {
            issuer: &validated.issuer,
            audiences: &audiences,
            subject: &validated.name_id.value,
            expected_engine: None,
            authenticated_at,
        },
    });
    if let Some(e) = &undecryptable {
        super::mark_undecryptable(&mut outcome, federa_claims::Carrier::OktaAuthSaml, e);
    }
    let attr = |names: &[&str]| {
        names.iter().find_map(|n| {
            validated
                .attributes
                .get(*n)
                .and_then(|v| v.first())
                .map(|s| s.chars().take(256).collect::<String>())
        })
    };
    let email = attr(&["email", "mail", "urn:oid:0.9.2342.19200300.100.1.3"]).or_else(|| {
        (validated.name_id.format.ends_with(":emailAddress"))
            .then(|| validated.name_id.value.clone())
    });
    let who = UpstreamIdentity {
        external_id: validated.name_id.value.clone(),
        email,
        // SAML carries no "verified" flag: emails from a SAML IdP never link accounts.
        email_verified: false,
        preferred_username: Some(validated.name_id.value.clone()),
        first_name: attr(&["firstName", "givenName", "urn:oid:2.5.4.42"]),
        last_name: attr(&["lastName", "sn", "urn:oid:2.5.4.4"]),
    };
    let resolved = super::resolve(ctx, org, flow, &idp, who).await?;
    complete(
        ctx,
        org,
        flow,
        &idp,
        resolved,
        outcome,
        authenticated_at,
        client,
        (once, "ASSERTION_REPLAYED"),
    )
    .await
}
