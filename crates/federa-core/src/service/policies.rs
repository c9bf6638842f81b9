//! Policies and rules (CONTRACT §2 policies, reference §2.4–2.9): storage of federa-policy's
//! canonical documents, the admin use cases, and loading an org's policies for evaluation.

use crate::ctx::Ctx;
use crate::error::{CoreError, FieldError};
use crate::model::{Authenticator, LifecycleStatus, StoredPolicy, StoredRule};
use crate::ports::StoreError;
use federa_claims::AuthenticatorKey;
use federa_policy::access::AccessPolicy;
use federa_policy::discovery::IdpDiscoveryPolicy;
use federa_policy::enroll::MfaEnrollPolicy;
use federa_policy::policy::PolicyType;
use federa_policy::policy::{AnyPolicy, AnyRule, PolicyHeader, RuleHeader, Status};
use federa_policy::refs::{self, RefResolver};
use federa_policy::sign_on::SignOnPolicy;
use federa_policy::{PolicyError, defaults as pdefaults};
use federa_policy::{WireEnum, save_rules};
use federa_types::{
    AppId, AuthenticatorId, GroupId, IdpId, OrgId, PolicyId, RuleId, Timestamp, UserId, ZoneId,
};
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

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
                // The path is the field's; the message must not repeat it.
                PolicyError::UnknownReference { kind, id, .. } => {
                    format!("{kind} '{id}' does not exist or is not active in this org")
                }
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

fn corrupt(what: &str, e: PolicyError) -> CoreError {
    CoreError::Internal(format!("stored {what} no longer parses: {e}"))
}

fn parse_type(s: &str) -> Result<PolicyType, CoreError> {
    PolicyType::from_wire(s).ok_or_else(|| {
        CoreError::invalid("type", format!("unknown policy type '{}': use OKTA_SIGN_ON, ACCESS_POLICY, IDP_DISCOVERY or MFA_ENROLL", s.chars().take(40).collect::<String>()))
    })
}

fn attach(p: &mut AnyPolicy, r: AnyRule) {
    match (p, r) {
        (AnyPolicy::SignOn(p), AnyRule::SignOn(r)) => p.rules.push(r),
        (AnyPolicy::Access(p), AnyRule::Access(r)) => p.rules.push(r),
        (AnyPolicy::IdpDiscovery(p), AnyRule::IdpDiscovery(r)) => p.rules.push(r),
        (AnyPolicy::MfaEnroll(p), AnyRule::MfaEnroll(r)) => p.rules.push(r),
        _ => {}
    }
}

fn typed(stored: &StoredPolicy) -> Result<(AnyPolicy, PolicyType), CoreError> {
    let p = AnyPolicy::from_json(&stored.body).map_err(|e| corrupt("policy", e))?;
    let t = p.header().policy_type;
    Ok((p, t))
}

/// Every policy of the org with its rules, typed, in stored order. Two queries whatever the
/// number of policies (sign-in calls this on every decision).
pub async fn load(ctx: &Ctx, org: &OrgId) -> Result<OrgPolicies, CoreError> {
    let mut rules: std::collections::HashMap<PolicyId, Vec<StoredRule>> =
        std::collections::HashMap::new();
    // Two reads at once (the pool has more than one connection): a sign-in waits for both.
    let (all_rules, stored_policies) = tokio::try_join!(
        ctx.store.list_org_rules(org),
        ctx.store.list_policies(org, None)
    )?;
    for r in all_rules {
        rules.entry(r.policy_id.clone()).or_default().push(r);
    }
    let mut out = OrgPolicies::default();
    for stored in stored_policies {
        let (mut p, t) = typed(&stored)?;
        for r in rules.remove(&stored.id).unwrap_or_default() {
            let rule = AnyRule::from_json(t, &r.body).map_err(|e| corrupt("rule", e))?;
            attach(&mut p, rule);
        }
        match p {
            AnyPolicy::SignOn(p) => out.sign_on.push(p),
            AnyPolicy::Access(p) => out.access.push(p),
            AnyPolicy::IdpDiscovery(p) => out.discovery.push(p),
            AnyPolicy::MfaEnroll(p) => out.enroll.push(p),
        }
    }
    Ok(out)
}

/// The org's policies as sign-in evaluates them: from the cache when fresh (see
/// [`crate::cache`]), else [`load`]ed and cached. Writes here forget the entry.
pub async fn for_signin(ctx: &Ctx, org: &OrgId) -> Result<Arc<OrgPolicies>, CoreError> {
    let cache = &ctx.caches.signin_policies;
    if let Some(p) = cache.get(org) {
        return Ok(p);
    }
    let generation = cache.generation();
    let p = Arc::new(load(ctx, org).await?);
    cache.put_if_current(org, generation, Arc::clone(&p));
    Ok(p)
}

/// The authentication policy of an app: the one `bound` to it among the org's policies, else
/// the org's default (system) authentication policy, as Okta assigns it to new apps.
pub fn access_policy_from(all: &OrgPolicies, bound: Option<&PolicyId>) -> Option<AccessPolicy> {
    bound
        .and_then(|id| all.access.iter().find(|p| p.header.id.as_ref() == Some(id)))
        .or_else(|| all.access.iter().find(|p| p.header.system))
        .cloned()
}

/// Resolves references for federa-policy's checks. Users, groups and apps are looked up in the
/// store (in a first pass the ids are only recorded); IdPs are the org's IdP objects; zones do
/// not exist in Federa yet, so any reference to one is unknown.
struct Refs {
    users: Option<HashSet<String>>,
    groups: Option<HashSet<String>>,
    apps: Option<HashSet<String>>,
    asked_users: RefCell<Vec<UserId>>,
    asked_groups: RefCell<Vec<GroupId>>,
    asked_apps: RefCell<Vec<AppId>>,
    authenticators: Vec<Authenticator>,
    idps: HashSet<String>,
}

impl RefResolver for Refs {
    fn user_exists(&self, id: &UserId) -> bool {
        self.asked_users.borrow_mut().push(id.clone());
        self.users.as_ref().is_none_or(|s| s.contains(id.as_str()))
    }
    fn group_exists(&self, id: &GroupId) -> bool {
        self.asked_groups.borrow_mut().push(id.clone());
        self.groups.as_ref().is_none_or(|s| s.contains(id.as_str()))
    }
    fn zone_exists(&self, _id: &ZoneId) -> bool {
        false
    }
    fn idp_exists(&self, id: &IdpId) -> bool {
        self.idps.contains(id.as_str())
    }
    fn app_exists(&self, id: &AppId) -> bool {
        self.asked_apps.borrow_mut().push(id.clone());
        self.apps.as_ref().is_none_or(|s| s.contains(id.as_str()))
    }
    fn authenticator_exists(&self, key: &AuthenticatorKey, id: Option<&AuthenticatorId>) -> bool {
        self.authenticators
            .iter()
            .any(|a| a.key == key.as_str() && id.is_none_or(|id| *id == a.id))
    }
    fn authenticator_active(&self, key: &AuthenticatorKey) -> bool {
        self.authenticators
            .iter()
            .any(|a| a.key == key.as_str() && a.status == LifecycleStatus::Active)
    }
}

enum Doc<'a> {
    Policy(&'a AnyPolicy),
    Rule(&'a AnyRule),
}

fn run_check(doc: &Doc<'_>, refs: &Refs) -> Result<(), PolicyError> {
    match doc {
        Doc::Policy(p) => refs::check_policy(p, refs),
        Doc::Rule(r) => refs::check_rule(r, refs),
    }
}

/// Checks every reference of a policy or rule against the org's data.
async fn check_refs(ctx: &Ctx, org: &OrgId, doc: Doc<'_>) -> Result<(), CoreError> {
    let authenticators = ctx.store.list_authenticators(org).await?;
    let mut refs = Refs {
        users: None,
        groups: None,
        apps: None,
        asked_users: RefCell::new(Vec::new()),
        asked_groups: RefCell::new(Vec::new()),
        asked_apps: RefCell::new(Vec::new()),
        authenticators,
        idps: crate::service::idps::list_all(ctx, org)
            .await?
            .into_iter()
            .map(|i| i.id.to_string())
            .collect(),
    };
    run_check(&doc, &refs).map_err(policy_error)?;
    let mut users = HashSet::new();
    for id in refs.asked_users.take() {
        if ctx.store.user_by_id(org, &id).await?.is_some() {
            users.insert(id.to_string());
        }
    }
    let mut groups = HashSet::new();
    for id in refs.asked_groups.take() {
        if ctx.store.group_by_id(org, &id).await?.is_some() {
            groups.insert(id.to_string());
        }
    }
    let mut apps = HashSet::new();
    for id in refs.asked_apps.take() {
        if ctx.store.app_by_id(org, &id).await?.is_some() {
            apps.insert(id.to_string());
        }
    }
    refs.users = Some(users);
    refs.groups = Some(groups);
    refs.apps = Some(apps);
    run_check(&doc, &refs).map_err(policy_error)
}

/// Policies of one type (the `type` query parameter is required, as in Okta).
pub async fn list(
    ctx: &Ctx,
    org: &OrgId,
    policy_type: Option<&str>,
) -> Result<Vec<StoredPolicy>, CoreError> {
    let t = policy_type
        .ok_or_else(|| CoreError::invalid("type", "the type query parameter is required"))?;
    let t = parse_type(t)?;
    Ok(ctx.store.list_policies(org, Some(&t.to_string())).await?)
}

fn parse_policy_id(id: &str) -> Result<PolicyId, CoreError> {
    PolicyId::parse(id).ok_or_else(|| {
        CoreError::NotFound(format!(
            "policy '{}'",
            id.chars().take(64).collect::<String>()
        ))
    })
}

fn parse_rule_id(id: &str) -> Result<RuleId, CoreError> {
    RuleId::parse(id).ok_or_else(|| {
        CoreError::NotFound(format!(
            "rule '{}'",
            id.chars().take(64).collect::<String>()
        ))
    })
}

/// One policy.
pub async fn get(ctx: &Ctx, org: &OrgId, id: &str) -> Result<StoredPolicy, CoreError> {
    let pid = parse_policy_id(id)?;
    ctx.store
        .policy_by_id(org, &pid)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("policy '{pid}'")))
}

fn conflict(e: StoreError) -> CoreError {
    match e {
        StoreError::Conflict(what) => {
            CoreError::invalid("name", format!("a {what} like this already exists"))
        }
        other => CoreError::Store(other),
    }
}

fn next_priority(existing: &[i64]) -> u32 {
    existing
        .iter()
        .copied()
        .filter(|p| *p < 99)
        .max()
        .map_or(1, |m| (m + 1).clamp(1, 98) as u32)
}

/// Creates a policy (clients cannot create system policies). A new ACCESS_POLICY gets the
/// catch-all rule Okta adds; a second IDP_DISCOVERY policy is refused (one per org).
pub async fn create(
    ctx: &Ctx,
    org: &OrgId,
    body: &serde_json::Value,
    activate: bool,
) -> Result<StoredPolicy, CoreError> {
    let mut p = AnyPolicy::from_json(body).map_err(policy_error)?;
    let t = p.header().policy_type;
    let existing = ctx.store.list_policies(org, Some(&t.to_string())).await?;
    if t == PolicyType::IdpDiscovery && !existing.is_empty() {
        return Err(CoreError::invalid(
            "type",
            "an org has exactly one IDP_DISCOVERY policy; edit its rules instead",
        ));
    }
    {
        let h = header_mut(&mut p);
        h.id = None;
        h.system = false;
        h.status = if activate {
            Status::Active
        } else {
            Status::Inactive
        };
        if h.priority.is_none() {
            h.priority = Some(next_priority(
                &existing.iter().map(|e| e.priority).collect::<Vec<_>>(),
            ));
        }
    }
    check_refs(ctx, org, Doc::Policy(&p)).await?;
    let now = ctx.clock.now();
    let stored = to_stored_policy(ctx, org, p, now, now);
    let rules = if t == PolicyType::AccessPolicy {
        let (_, rules) = split(AnyPolicy::Access(pdefaults::default_access_policy()));
        rules
            .into_iter()
            .map(|r| to_stored_rule(ctx, org, &stored.id, r, now, now))
            .collect()
    } else {
        Vec::new()
    };
    ctx.store
        .create_policy(&stored, &rules)
        .await
        .map_err(conflict)?;
    ctx.caches.signin_policies.forget(org);
    Ok(stored)
}

/// Replaces a policy's editable fields. Id, type and `system` cannot change.
pub async fn replace(
    ctx: &Ctx,
    org: &OrgId,
    id: &str,
    body: &serde_json::Value,
) -> Result<StoredPolicy, CoreError> {
    let old = get(ctx, org, id).await?;
    let (old_typed, t) = typed(&old)?;
    let mut p = AnyPolicy::from_json(body).map_err(policy_error)?;
    if p.header().policy_type != t {
        return Err(CoreError::invalid(
            "type",
            format!("the policy is {t}; its type cannot change"),
        ));
    }
    if p.header().id.as_ref().is_some_and(|pid| *pid != old.id) {
        return Err(CoreError::invalid(
            "id",
            "does not match the policy in the path",
        ));
    }
    {
        let oh = old_typed.header().clone();
        let h = header_mut(&mut p);
        h.id = Some(old.id.clone());
        h.system = oh.system;
        if h.priority.is_none() || oh.system {
            h.priority = oh.priority;
        }
        if oh.system && h.status != Status::Active {
            return Err(CoreError::invalid(
                "status",
                "the default policy cannot be deactivated",
            ));
        }
    }
    check_refs(ctx, org, Doc::Policy(&p)).await?;
    let stored = to_stored_policy(ctx, org, p, old.created, ctx.clock.now());
    let updated = ctx.store.update_policy(&stored).await.map_err(conflict)?;
    ctx.caches.signin_policies.forget(org);
    if !updated {
        return Err(CoreError::NotFound(format!("policy '{}'", old.id)));
    }
    Ok(stored)
}

/// Deletes a policy with its rules. The default (system) policy cannot be deleted, nor an
/// authentication policy that apps still use.
pub async fn delete(ctx: &Ctx, org: &OrgId, id: &str) -> Result<(), CoreError> {
    let old = get(ctx, org, id).await?;
    if old.system {
        return Err(CoreError::invalid(
            "system",
            "the default policy cannot be deleted",
        ));
    }
    let apps = ctx.store.apps_of_policy(org, &old.id).await?;
    if !apps.is_empty() {
        let list = apps
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(CoreError::Conflict(format!(
            "the policy is assigned to apps ({list}); assign them another policy first"
        )));
    }
    let deleted = ctx.store.delete_policy(org, &old.id).await?;
    ctx.caches.signin_policies.forget(org);
    if deleted {
        Ok(())
    } else {
        Err(CoreError::NotFound(format!("policy '{}'", old.id)))
    }
}

/// Activates or deactivates a policy (the default policy stays active).
pub async fn set_status(
    ctx: &Ctx,
    org: &OrgId,
    id: &str,
    active: bool,
) -> Result<StoredPolicy, CoreError> {
    let old = get(ctx, org, id).await?;
    if old.system && !active {
        return Err(CoreError::invalid(
            "status",
            "the default policy cannot be deactivated",
        ));
    }
    let (mut p, _) = typed(&old)?;
    header_mut(&mut p).status = if active {
        Status::Active
    } else {
        Status::Inactive
    };
    let stored = to_stored_policy(ctx, org, p, old.created, ctx.clock.now());
    ctx.store.update_policy(&stored).await.map_err(conflict)?;
    ctx.caches.signin_policies.forget(org);
    Ok(stored)
}

/// Rules of a policy.
pub async fn rules(ctx: &Ctx, org: &OrgId, policy: &str) -> Result<Vec<StoredRule>, CoreError> {
    let p = get(ctx, org, policy).await?;
    Ok(ctx.store.list_rules(org, &p.id).await?)
}

/// One rule.
pub async fn rule(
    ctx: &Ctx,
    org: &OrgId,
    policy: &str,
    rule: &str,
) -> Result<StoredRule, CoreError> {
    let p = get(ctx, org, policy).await?;
    let rid = parse_rule_id(rule)?;
    ctx.store
        .rule_by_id(org, &p.id, &rid)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("rule '{rid}'")))
}

/// Save-time rules that need the org's state (reference §1.12): a global session rule that
/// requires MFA must be satisfiable.
async fn check_rule_saveable(ctx: &Ctx, org: &OrgId, rule: &AnyRule) -> Result<(), CoreError> {
    if let AnyRule::SignOn(r) = rule {
        let active = crate::service::authenticators::active_methods(ctx, org).await?;
        let trusting = crate::service::idps::any_trusting(ctx, org).await?;
        save_rules::check_sign_on_rule(r, &active, trusting).map_err(policy_error)?;
    }
    Ok(())
}

/// Adds a rule to a policy.
pub async fn create_rule(
    ctx: &Ctx,
    org: &OrgId,
    policy: &str,
    body: &serde_json::Value,
    activate: bool,
) -> Result<StoredRule, CoreError> {
    let p = get(ctx, org, policy).await?;
    let t = parse_type(&p.policy_type)?;
    let mut r = AnyRule::from_json(t, body).map_err(policy_error)?;
    let existing = ctx.store.list_rules(org, &p.id).await?;
    {
        let h = rule_header_mut(&mut r);
        h.id = None;
        h.system = false;
        h.status = if activate {
            Status::Active
        } else {
            Status::Inactive
        };
        if h.priority.is_none() {
            h.priority = Some(next_priority(
                &existing.iter().map(|e| e.priority).collect::<Vec<_>>(),
            ));
        }
    }
    check_refs(ctx, org, Doc::Rule(&r)).await?;
    check_rule_saveable(ctx, org, &r).await?;
    let now = ctx.clock.now();
    let stored = to_stored_rule(ctx, org, &p.id, r, now, now);
    ctx.store.create_rule(&stored).await.map_err(conflict)?;
    ctx.caches.signin_policies.forget(org);
    Ok(stored)
}

/// Replaces a rule. The catch-all (system) rule keeps its priority and takes no conditions.
pub async fn replace_rule(
    ctx: &Ctx,
    org: &OrgId,
    policy: &str,
    rule_id: &str,
    body: &serde_json::Value,
) -> Result<StoredRule, CoreError> {
    let old = rule(ctx, org, policy, rule_id).await?;
    let p = get(ctx, org, policy).await?;
    let t = parse_type(&p.policy_type)?;
    let mut r = AnyRule::from_json(t, body).map_err(policy_error)?;
    if r.header().id.as_ref().is_some_and(|rid| *rid != old.id) {
        return Err(CoreError::invalid(
            "id",
            "does not match the rule in the path",
        ));
    }
    if old.system && r.to_json().get("conditions").is_some_and(|c| !c.is_null()) {
        return Err(CoreError::invalid(
            "conditions",
            "the catch-all rule matches everyone and takes no conditions",
        ));
    }
    {
        let h = rule_header_mut(&mut r);
        h.id = Some(old.id.clone());
        h.system = old.system;
        if h.priority.is_none() || old.system {
            h.priority = u32::try_from(old.priority).ok();
        }
        if old.system && h.status != Status::Active {
            return Err(CoreError::invalid(
                "status",
                "the catch-all rule cannot be deactivated",
            ));
        }
    }
    check_refs(ctx, org, Doc::Rule(&r)).await?;
    check_rule_saveable(ctx, org, &r).await?;
    let stored = to_stored_rule(ctx, org, &p.id, r, old.created, ctx.clock.now());
    let updated = ctx.store.update_rule(&stored).await.map_err(conflict)?;
    ctx.caches.signin_policies.forget(org);
    if !updated {
        return Err(CoreError::NotFound(format!("rule '{}'", old.id)));
    }
    Ok(stored)
}

/// Deletes a rule (not the catch-all rule).
pub async fn delete_rule(
    ctx: &Ctx,
    org: &OrgId,
    policy: &str,
    rule_id: &str,
) -> Result<(), CoreError> {
    let old = rule(ctx, org, policy, rule_id).await?;
    if old.system {
        return Err(CoreError::invalid(
            "system",
            "the catch-all rule cannot be deleted",
        ));
    }
    let deleted = ctx.store.delete_rule(org, &old.policy_id, &old.id).await?;
    ctx.caches.signin_policies.forget(org);
    if deleted {
        Ok(())
    } else {
        Err(CoreError::NotFound(format!("rule '{}'", old.id)))
    }
}

/// Activates or deactivates a rule (the catch-all rule stays active).
pub async fn set_rule_status(
    ctx: &Ctx,
    org: &OrgId,
    policy: &str,
    rule_id: &str,
    active: bool,
) -> Result<StoredRule, CoreError> {
    let old = rule(ctx, org, policy, rule_id).await?;
    if old.system && !active {
        return Err(CoreError::invalid(
            "status",
            "the catch-all rule cannot be deactivated",
        ));
    }
    let p = get(ctx, org, policy).await?;
    let t = parse_type(&p.policy_type)?;
    let mut r = AnyRule::from_json(t, &old.body).map_err(|e| corrupt("rule", e))?;
    rule_header_mut(&mut r).status = if active {
        Status::Active
    } else {
        Status::Inactive
    };
    if active {
        check_rule_saveable(ctx, org, &r).await?;
    }
    let stored = to_stored_rule(ctx, org, &p.id, r, old.created, ctx.clock.now());
    ctx.store.update_rule(&stored).await.map_err(conflict)?;
    ctx.caches.signin_policies.forget(org);
    Ok(stored)
}

/// Binds an app to an authentication policy (`PUT /api/v1/apps/{appId}/policies/{policyId}`).
pub async fn bind_app(ctx: &Ctx, org: &OrgId, app: &str, policy: &str) -> Result<(), CoreError> {
    let p = get(ctx, org, policy).await?;
    if p.policy_type != PolicyType::AccessPolicy.to_string() {
        return Err(CoreError::invalid(
            "policyId",
            "only ACCESS_POLICY policies can be assigned to apps",
        ));
    }
    let app_id = AppId::parse(app).ok_or_else(|| {
        CoreError::NotFound(format!(
            "app '{}'",
            app.chars().take(64).collect::<String>()
        ))
    })?;
    if ctx.store.app_by_id(org, &app_id).await?.is_none() {
        return Err(CoreError::NotFound(format!("app '{app_id}'")));
    }
    ctx.store.bind_app_policy(org, &app_id, &p.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_names_its_path_once() {
        let e = policy_error(PolicyError::UnknownReference {
            path: "settings.authenticators[2].key".into(),
            kind: "active authenticator",
            id: "phone_number".into(),
        });
        let CoreError::Validation(fields) = e else {
            panic!("a validation error: {e:?}")
        };
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].field, "settings.authenticators[2].key");
        assert_eq!(
            fields[0].message,
            "active authenticator 'phone_number' does not exist or is not active in this org"
        );
    }
}
