//! Policy simulation, CONTRACT §5 (`POST /api/v1/policies/simulate`, ext): the request and
//! answer shapes as serde types, and [`simulate`], which runs the same [`evaluate`] the sign-in
//! paths use and skips nothing but side effects.
//!
//! The caller (the server) resolves what needs storage: the app's policy, the user's groups and
//! enrollments, the network zones of `network.ip`, and, for entries whose `source` is an IdP,
//! what `federa-claims` credits from them under that IdP's trust settings (a closure, so this
//! crate stays free of IdP configuration). Local entries become verifications here, with the
//! strongest characteristics their method can have.

use crate::access::AccessPolicy;
use crate::enroll::MfaEnrollPolicy;
use crate::error::{PolicyError, Result};
use crate::eval::explain::{Reject, Use};
use crate::eval::{
    AuthenticatorMethods, ChallengeOption, Decision, EvaluationInput, SessionIdp, Unmet, evaluate,
    local_verification,
};
use crate::ids::{PolicyId, RuleId, ZoneId};
use crate::sign_on::SignOnPolicy;
use crate::timefmt::parse_rfc3339;
use federa_claims::{ClaimsOutcome, Engine, FactorVerification, IdpId, IgnoredClaim};
use federa_types::{GroupId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `source` of a simulated verification.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SimSource {
    /// Verified by this org.
    Local,
    /// Arrived from an IdP.
    #[serde(rename = "IDP", rename_all = "camelCase")]
    Idp {
        /// The IdP object id.
        idp_id: IdpId,
    },
}

/// One entry of `verifications`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimVerification {
    /// Local: the authenticator key.
    #[serde(default)]
    pub authenticator_key: Option<String>,
    /// Local: the method.
    #[serde(default)]
    pub method_type: Option<String>,
    /// IdP: the `amr` claim as received (kept raw so malformed shapes can be simulated).
    #[serde(default)]
    pub amr: Option<Value>,
    /// IdP: an `okta_auth` payload (plaintext JSON), when simulating claims sharing.
    #[serde(default)]
    pub okta_auth: Option<Value>,
    /// RFC 3339.
    pub verified_at: String,
    /// Where.
    pub source: SimSource,
}

/// `network`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SimNetwork {
    /// Request IP (resolved to zones by the caller).
    pub ip: String,
}

/// The request body.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulateRequest {
    /// The app (its policy is resolved by the caller).
    #[serde(default)]
    pub app_id: Option<String>,
    /// The user.
    pub user_id: String,
    /// Verifications to assume.
    #[serde(default)]
    pub verifications: Vec<SimVerification>,
    /// Request network.
    #[serde(default)]
    pub network: Option<SimNetwork>,
}

impl SimulateRequest {
    /// Parses the body, naming the field on error (API 400 `E0000001`).
    pub fn from_json(v: &Value) -> Result<Self> {
        serde_json::from_value(v.clone()).map_err(|e| PolicyError::invalid("(body)", e.to_string()))
    }
}

/// What the caller resolved for the simulation.
#[derive(Clone, Copy)]
pub struct SimulationContext<'a> {
    /// Global session policies.
    pub sign_on_policies: &'a [SignOnPolicy],
    /// The app's policy.
    pub access_policy: Option<&'a AccessPolicy>,
    /// The user id (parsed).
    pub user: &'a UserId,
    /// The user's groups.
    pub groups: &'a [GroupId],
    /// Zones of `network.ip`.
    pub zones: &'a [ZoneId],
    /// The user's enrollments.
    pub enrolled: &'a [AuthenticatorMethods],
    /// Active authenticators.
    pub active_authenticators: &'a [AuthenticatorMethods],
    /// Enrollment policies.
    pub enroll_policies: &'a [MfaEnrollPolicy],
    /// This org's engine.
    pub engine: Engine,
    /// Now.
    pub now: Timestamp,
    /// Credits an IdP entry: `federa-claims` parsing under the IdP's trust settings.
    pub resolve_idp: &'a dyn Fn(&IdpId, &SimVerification, Timestamp) -> ClaimsOutcome,
}

/// `{policyId, ruleId}` (plus names, ext).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedIds {
    /// Policy id.
    pub policy_id: Option<PolicyId>,
    /// Rule id.
    pub rule_id: Option<RuleId>,
    /// Policy name.
    pub policy_name: String,
    /// Rule name.
    pub rule_name: String,
}

/// A credited verification and what it counted for.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditedView {
    /// The verification.
    #[serde(flatten)]
    pub verification: FactorVerification,
    /// Requirements it counted for.
    pub counted_for: Vec<Use>,
    /// Requirements it did not count for, and why.
    pub not_counted: Vec<NotCounted>,
}

/// One requirement a credited verification did not count for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NotCounted {
    /// The requirement.
    #[serde(rename = "for")]
    pub for_: Use,
    /// Why.
    pub reason: Reject,
}

/// The answer body.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulateResponse {
    /// `ALLOW`, `CHALLENGE` or `DENY`.
    pub decision: &'static str,
    /// The global session policy and rule that applied.
    pub global_session_policy: Option<MatchedIds>,
    /// The app sign-in policy and rule that applied.
    pub authentication_policy: Option<MatchedIds>,
    /// Verifications that entered evaluation.
    pub credited: Vec<CreditedView>,
    /// Upstream statements not credited, with why.
    pub ignored: Vec<IgnoredClaim>,
    /// What is unmet.
    pub unmet: Vec<Unmet>,
    /// Local methods that could meet it.
    pub challenge_options: Vec<ChallengeOption>,
    /// DENY code.
    pub error_code: Option<&'static str>,
    /// Human-readable lines.
    pub explanation: Vec<String>,
}

/// Runs a simulation.
pub fn simulate(req: &SimulateRequest, ctx: &SimulationContext<'_>) -> Result<SimulateResponse> {
    let mut verifications: Vec<FactorVerification> = Vec::new();
    let mut ignored: Vec<IgnoredClaim> = Vec::new();
    let mut session_idp: Option<(IdpId, Timestamp)> = None;
    for (i, sv) in req.verifications.iter().enumerate() {
        let path = format!("verifications[{i}]");
        let at = parse_rfc3339(&sv.verified_at).ok_or_else(|| {
            PolicyError::invalid(
                format!("{path}.verifiedAt"),
                "must be an RFC 3339 date-time",
            )
        })?;
        match &sv.source {
            SimSource::Local => {
                let (Some(k), Some(m)) = (&sv.authenticator_key, &sv.method_type) else {
                    return Err(PolicyError::invalid(
                        format!("{path}.authenticatorKey"),
                        "local verifications need authenticatorKey and methodType",
                    ));
                };
                let key = federa_claims::AuthenticatorKey::from_str_lossy(k);
                let method = federa_claims::MethodType::from_str_lossy(m);
                let v = local_verification(&key, &method, at).ok_or_else(|| {
                    PolicyError::invalid(
                        format!("{path}.methodType"),
                        format!("{key} has no method '{method}'"),
                    )
                })?;
                verifications.push(v);
            }
            SimSource::Idp { idp_id } => {
                if session_idp.as_ref().is_some_and(|(id, _)| id != idp_id) {
                    return Err(PolicyError::invalid(
                        format!("{path}.source.idpId"),
                        "a session comes from one identity provider",
                    ));
                }
                session_idp.get_or_insert((idp_id.clone(), at));
                let out = (ctx.resolve_idp)(idp_id, sv, at);
                verifications.extend(out.credited);
                ignored.extend(out.ignored);
            }
        }
    }
    let input = EvaluationInput {
        sign_on_policies: ctx.sign_on_policies,
        access_policy: ctx.access_policy,
        user: ctx.user,
        groups: ctx.groups,
        zones: ctx.zones,
        verifications: &verifications,
        now: ctx.now,
        flow_started_at: None,
        session_idp: session_idp.as_ref().map(|(id, at)| SessionIdp {
            idp_id: id,
            authenticated_at: *at,
        }),
        enrolled: ctx.enrolled,
        active_authenticators: ctx.active_authenticators,
        enroll_policies: ctx.enroll_policies,
        engine: ctx.engine,
    };
    let outcome = evaluate(&input);
    let ids = |m: &crate::eval::explain::Matched<'_>| MatchedIds {
        policy_id: m.policy.id.clone(),
        rule_id: m.rule.id.clone(),
        policy_name: m.policy.name.clone(),
        rule_name: m.rule.name.clone(),
    };
    let credited = verifications
        .iter()
        .zip(&outcome.explanation.verifications)
        .map(|(v, n)| CreditedView {
            verification: v.clone(),
            counted_for: n.counted_for.clone(),
            not_counted: n
                .not_counted
                .iter()
                .map(|(u, r)| NotCounted {
                    for_: *u,
                    reason: *r,
                })
                .collect(),
        })
        .collect();
    let (unmet, challenge_options, error_code) = match &outcome.decision {
        Decision::Allow => (Vec::new(), Vec::new(), None),
        Decision::Challenge { unmet, options } => (unmet.clone(), options.clone(), None),
        Decision::Deny { code, .. } => (Vec::new(), Vec::new(), Some(code.as_str())),
    };
    let mut explanation: Vec<String> = ignored
        .iter()
        .map(|c| format!("not credited: {} ({})", c.what, c.reason.describe()))
        .collect();
    explanation.extend(outcome.explanation_lines(&verifications));
    Ok(SimulateResponse {
        decision: outcome.decision.kind(),
        global_session_policy: outcome.sign_on.as_ref().map(ids),
        authentication_policy: outcome.access.as_ref().map(ids),
        credited,
        ignored,
        unmet,
        challenge_options,
        error_code,
        explanation,
    })
}
