//! `POST /api/v1/policies/simulate` (CONTRACT §5): resolves the app's policy, the user, their
//! groups and enrollments and the org's authenticators, then runs the same engine as sign-in
//! (federa-policy `simulate`) without side effects.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Engine as OrgEngine, Org};
use crate::service::{authenticators, groups, idps, policies, users};
use federa_claims::okta_auth::{OktaAuthInput, OuterBinding};
use federa_claims::trust::{IdpTrustConfig, OrgFeatures, Protocol, TrustInput, UpstreamClaims};
use federa_claims::{AuthenticatorKey, ClaimsOutcome, Engine};
use federa_policy::eval::AuthenticatorMethods;
use federa_policy::simulate::{
    SimSource, SimVerification, SimulateRequest, SimulateResponse, SimulationContext, simulate,
};
use federa_types::{AppId, GroupId, IdpId, Timestamp};

/// Runs a simulation for `org`.
pub async fn run(
    ctx: &Ctx,
    org: &Org,
    body: &serde_json::Value,
) -> Result<SimulateResponse, CoreError> {
    let req = SimulateRequest::from_json(body).map_err(policies::policy_error)?;
    let user = users::get(ctx, &org.id, &req.user_id)
        .await
        .map_err(|e| match e {
            CoreError::NotFound(_) => CoreError::invalid("userId", "no such user in this org"),
            other => other,
        })?;
    if let Some(n) = &req.network
        && n.ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(CoreError::invalid(
            "network.ip",
            "must be an IPv4 or IPv6 address",
        ));
    }
    let group_ids: Vec<GroupId> = groups::of_user(ctx, &org.id, user.id.as_str())
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let all = policies::load(ctx, &org.id).await?;
    let access = match &req.app_id {
        None => None,
        Some(app) => {
            let app = AppId::parse(app)
                .ok_or_else(|| CoreError::invalid("appId", "is not a valid app id"))?;
            let bound = ctx.store.app_policy(&org.id, &app).await?;
            let found = match bound {
                Some(pid) => all
                    .access
                    .iter()
                    .find(|p| p.header.id.as_ref() == Some(&pid)),
                // An app without an assigned policy uses the default authentication policy.
                None => all.access.iter().find(|p| p.header.system),
            };
            Some(found.ok_or_else(|| {
                CoreError::Internal("the org has no default authentication policy".into())
            })?)
        }
    };
    let active = authenticators::active_methods(ctx, &org.id).await?;
    // Factor enrollments arrive with the sign-in work; today a user is enrolled in the
    // password authenticator when they have a password.
    let enrolled: Vec<AuthenticatorMethods> = if user.password_hash.is_some() {
        vec![AuthenticatorMethods::all(AuthenticatorKey::OktaPassword)]
    } else {
        Vec::new()
    };
    // An IdP entry must name an active IdP of the org; its claims are credited by the same
    // trust rules (federa-claims `trust::evaluate`) as a real federated sign-in.
    let org_idps = idps::list_all(ctx, &org.id).await?;
    let mut used: Vec<SimIdp> = Vec::new();
    for (i, v) in req.verifications.iter().enumerate() {
        if let SimSource::Idp { idp_id } = &v.source {
            let field = format!("verifications[{i}].source.idpId");
            let shown = idp_id.as_str().chars().take(64).collect::<String>();
            let idp = org_idps.iter().find(|p| &p.id == idp_id).ok_or_else(|| {
                CoreError::invalid(
                    &field,
                    format!("no identity provider '{shown}' exists in this org"),
                )
            })?;
            if !idp.is_active() {
                return Err(CoreError::invalid(
                    &field,
                    format!("identity provider '{shown}' is not active"),
                ));
            }
            if !used.iter().any(|u| &u.config.idp_id == idp_id) {
                used.push(SimIdp {
                    config: idp.trust_config(),
                    issuer: match (&idp.oidc, &idp.saml) {
                        (Some(o), _) => o.issuer.clone(),
                        (None, Some(s)) => s.issuer.clone(),
                        (None, None) => String::new(),
                    },
                });
            }
        }
    }
    let features = if used.is_empty() {
        OrgFeatures::default()
    } else {
        idps::claims_features(ctx, &org.id).await?
    };
    let resolve = |id: &IdpId, v: &SimVerification, at: Timestamp| match used
        .iter()
        .find(|u| &u.config.idp_id == id)
    {
        Some(idp) => credit_idp(idp, features, v, at),
        None => ClaimsOutcome::default(),
    };
    let engine = match org.engine {
        OrgEngine::Identity => Engine::Identity,
        OrgEngine::Classic => Engine::Classic,
    };
    let sctx = SimulationContext {
        sign_on_policies: &all.sign_on,
        access_policy: access,
        user: &user.id,
        groups: &group_ids,
        zones: &[],
        enrolled: &enrolled,
        active_authenticators: &active,
        enroll_policies: &all.enroll,
        engine,
        now: ctx.clock.now(),
        resolve_idp: &resolve,
    };
    simulate(&req, &sctx).map_err(policies::policy_error)
}

/// An IdP named by a simulated verification.
struct SimIdp {
    config: IdpTrustConfig,
    /// The issuer the broker requires of the outer token / assertion.
    issuer: String,
}

/// Credits one simulated IdP verification as the broker would credit the carriers of a
/// verified upstream response. The simulated outer token is taken to be consistent: its issuer
/// is the IdP's configured issuer, and its audience and subject are the ones the `okta_auth`
/// payload names (so only an issuer mismatch of the payload can be simulated).
fn credit_idp(
    idp: &SimIdp,
    features: OrgFeatures,
    v: &SimVerification,
    at: Timestamp,
) -> ClaimsOutcome {
    let okta_auth_bytes = v.okta_auth.as_ref().map(|p| p.to_string().into_bytes());
    let okta_auth = okta_auth_bytes
        .as_deref()
        .map(|b| match idp.config.protocol {
            Protocol::Saml => OktaAuthInput::Saml(b),
            Protocol::Oidc => OktaAuthInput::OidcPlaintext(b),
        });
    let audiences: Vec<String> = match v.okta_auth.as_ref().and_then(|p| p.get("aud")) {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let subject = v
        .okta_auth
        .as_ref()
        .and_then(|p| p.get("sub"))
        .and_then(|s| s.as_str())
        .unwrap_or("");
    let session_amr: Option<Vec<String>> = match (idp.config.protocol, &v.amr) {
        (Protocol::Saml, Some(serde_json::Value::Array(a))) => Some(
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect(),
        ),
        (Protocol::Saml, Some(serde_json::Value::String(s))) => Some(vec![s.clone()]),
        (Protocol::Saml, Some(other)) => Some(vec![other.to_string()]),
        _ => None,
    };
    let claims = UpstreamClaims {
        okta_auth,
        oidc_amr: match idp.config.protocol {
            Protocol::Oidc => v.amr.as_ref(),
            Protocol::Saml => None,
        },
        saml_session_amr: session_amr.as_deref(),
        oidc_acr: None,
        authn_context_class_ref: None,
    };
    federa_claims::trust::evaluate(&TrustInput {
        idp: &idp.config,
        features,
        claims,
        outer: OuterBinding {
            issuer: &idp.issuer,
            audiences: &audiences,
            subject,
            expected_engine: None,
            authenticated_at: at,
        },
    })
    .claims
}
