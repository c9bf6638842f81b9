//! `POST /api/v1/policies/simulate` (CONTRACT §5): resolves the app's policy, the user, their
//! groups and enrollments and the org's authenticators, then runs the same engine as sign-in
//! (federa-policy `simulate`) without side effects.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Engine as OrgEngine, Org};
use crate::service::{authenticators, groups, policies, users};
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
    // IdP objects arrive with the federation work. Until then an IdP entry names an IdP that
    // does not exist, which is bad input: simulating it would treat the session as federated.
    for (i, v) in req.verifications.iter().enumerate() {
        if let SimSource::Idp { idp_id } = &v.source {
            return Err(CoreError::invalid(
                format!("verifications[{i}].source.idpId"),
                format!(
                    "no identity provider '{}' exists in this org",
                    idp_id.as_str().chars().take(64).collect::<String>()
                ),
            ));
        }
    }
    let resolve = |_: &IdpId, _: &SimVerification, _: Timestamp| ClaimsOutcome {
        credited: Vec::new(),
        ignored: Vec::new(),
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
