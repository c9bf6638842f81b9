//! Policies and rules (CONTRACT §2 policies, reference §2.4–2.9): storage of federa-policy's
//! canonical documents, the admin use cases, and loading an org's policies for evaluation.

use crate::ctx::Ctx;
use crate::error::{CoreError, FieldError};
use crate::model::{LifecycleStatus, StoredPolicy, StoredRule};
use federa_policy::access::AccessPolicy;
use federa_policy::discovery::IdpDiscoveryPolicy;
use federa_policy::enroll::MfaEnrollPolicy;
use federa_policy::policy::{AnyPolicy, AnyRule, PolicyHeader, RuleHeader, Status};
use federa_policy::sign_on::SignOnPolicy;
use federa_policy::{PolicyError, defaults as pdefaults};
use federa_types::{OrgId, PolicyId, RuleId, Timestamp};

/// Maps a policy error: field-level problems become validation errors naming the path; the
/// trust-claims guard keeps its Okta code.
pub fn policy_error(e: PolicyError) -> CoreError {
    match e {
        PolicyError::TrustClaimsInUse { code, message, .. } => CoreError::TrustClaimsInUse {
            code: code.as_str().to_string(),
            message,
        },
        other => {
            let field = other.path().unwrap_or("(body)").to_string();
            let message = match &other {
                PolicyError::Invalid { message, .. }
                | PolicyError::Unsatisfiable { message, .. } => message.clone(),
                _ => other.to_string(),
            };
            CoreError::Validation(vec![FieldError::new(field, message)])
        }
    }
}

fn status_of(s: Status) -> LifecycleStatus {
    match s {
        Status::Active => LifecycleStatus::Active,
        Status::Inactive => LifecycleStatus::Inactive,
    }
}

pub(crate) fn header_mut(p: &mut AnyPolicy) -> &mut PolicyHeader {
    match p {
        AnyPolicy::SignOn(p) => &mut p.header,
        AnyPolicy::Access(p) => &mut p.header,
        AnyPolicy::IdpDiscovery(p) => &mut p.header,
        AnyPolicy::MfaEnroll(p) => &mut p.header,
    }
}

pub(crate) fn rule_header_mut(r: &mut AnyRule) -> &mut RuleHeader {
    match r {
        AnyRule::SignOn(r) => &mut r.header,
        AnyRule::Access(r) => &mut r.header,
        AnyRule::IdpDiscovery(r) => &mut r.header,
        AnyRule::MfaEnroll(r) => &mut r.header,
    }
}

/// Splits a typed policy into its envelope and its rules.
pub(crate) fn split(p: AnyPolicy) -> (AnyPolicy, Vec<AnyRule>) {
    match p {
        AnyPolicy::SignOn(mut p) => {
            let rules = std::mem::take(&mut p.rules)
                .into_iter()
                .map(AnyRule::SignOn)
                .collect();
            (AnyPolicy::SignOn(p), rules)
        }
        AnyPolicy::Access(mut p) => {
            let rules = std::mem::take(&mut p.rules)
                .into_iter()
                .map(AnyRule::Access)
                .collect();
            (AnyPolicy::Access(p), rules)
        }
        AnyPolicy::IdpDiscovery(mut p) => {
            let rules = std::mem::take(&mut p.rules)
                .into_iter()
                .map(AnyRule::IdpDiscovery)
                .collect();
            (AnyPolicy::IdpDiscovery(p), rules)
        }
        AnyPolicy::MfaEnroll(mut p) => {
            let rules = std::mem::take(&mut p.rules)
                .into_iter()
                .map(AnyRule::MfaEnroll)
                .collect();
            (AnyPolicy::MfaEnroll(p), rules)
        }
    }
}

/// A stored record of `policy` (assigning an id when it has none).
pub(crate) fn to_stored_policy(
    ctx: &Ctx,
    org: &OrgId,
    mut p: AnyPolicy,
    created: Timestamp,
    now: Timestamp,
) -> StoredPolicy {
    let h = header_mut(&mut p);
    let id =
        h.id.clone()
            .unwrap_or_else(|| PolicyId::generate(ctx.rng.as_ref()));
    h.id = Some(id.clone());
    let h = p.header().clone();
    StoredPolicy {
        id,
        org_id: org.clone(),
        policy_type: h.policy_type.to_string(),
        name: h.name.clone(),
        priority: i64::from(h.priority.unwrap_or(1)),
        status: status_of(h.status),
        system: h.system,
        body: p.to_json(),
        created,
        last_updated: now,
    }
}

/// A stored record of `rule` of `policy` (assigning an id when it has none).
pub(crate) fn to_stored_rule(
    ctx: &Ctx,
    org: &OrgId,
    policy: &PolicyId,
    mut r: AnyRule,
    created: Timestamp,
    now: Timestamp,
) -> StoredRule {
    let h = rule_header_mut(&mut r);
    let id =
        h.id.clone()
            .unwrap_or_else(|| RuleId::generate(ctx.rng.as_ref()));
    h.id = Some(id.clone());
    let h = r.header().clone();
    StoredRule {
        id,
        org_id: org.clone(),
        policy_id: policy.clone(),
        name: h.name.clone(),
        priority: i64::from(h.priority.unwrap_or(1)),
        status: status_of(h.status),
        system: h.system,
        body: r.to_json(),
        created,
        last_updated: now,
    }
}

/// The default policies of a new org, with their rules.
pub fn defaults(
    ctx: &Ctx,
    org: &OrgId,
    now: Timestamp,
) -> Result<Vec<(StoredPolicy, Vec<StoredRule>)>, CoreError> {
    let all = [
        AnyPolicy::SignOn(pdefaults::default_sign_on_policy()),
        AnyPolicy::Access(pdefaults::default_access_policy()),
        AnyPolicy::IdpDiscovery(pdefaults::default_idp_discovery_policy()),
        AnyPolicy::MfaEnroll(pdefaults::default_mfa_enroll_policy()),
    ];
    Ok(all
        .into_iter()
        .map(|p| {
            let (p, rules) = split(p);
            let stored = to_stored_policy(ctx, org, p, now, now);
            let rules = rules
                .into_iter()
                .map(|r| to_stored_rule(ctx, org, &stored.id, r, now, now))
                .collect();
            (stored, rules)
        })
        .collect())
}

/// An org's policies, typed and with their rules, ready for evaluation.
#[derive(Debug, Default, Clone)]
pub struct OrgPolicies {
    /// Global session policies.
    pub sign_on: Vec<SignOnPolicy>,
    /// Authentication policies.
    pub access: Vec<AccessPolicy>,
    /// Routing.
    pub discovery: Vec<IdpDiscoveryPolicy>,
    /// Enrollment.
    pub enroll: Vec<MfaEnrollPolicy>,
}
