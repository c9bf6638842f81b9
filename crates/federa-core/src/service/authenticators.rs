//! Per-org authenticators: list, get, activate, deactivate (CONTRACT §2 authenticators,
//! reference §2.10), and the org's active authenticators as policy validation and evaluation
//! see them.
//!
//! Deactivation guards: `okta_password` is never deactivated (Okta refuses it too), and an
//! authenticator cannot be deactivated when an active policy rule could be met with the active
//! authenticators before and no longer could after: a global session rule requiring MFA (save
//! rule of reference §1.12, `federa_policy::save_rules`) or an app sign-in rule
//! (`federa_policy::eval::locally_satisfiable`).

use crate::ctx::Ctx;
use crate::error::{CoreError, FieldError};
use crate::model::{Authenticator, LifecycleStatus};
use crate::service::policies::{self, OrgPolicies};
use federa_claims::AuthenticatorKey;
use federa_policy::eval::{AuthenticatorMethods, locally_satisfiable};
use federa_policy::policy::{Access, Status};
use federa_policy::save_rules::check_sign_on_rule;
use federa_types::{AuthenticatorId, OrgId};

/// The key of the authenticator that can never be deactivated.
pub const PASSWORD_KEY: &str = "okta_password";

pub(crate) fn methods_of<'a>(
    items: impl IntoIterator<Item = &'a Authenticator>,
) -> Vec<AuthenticatorMethods> {
    items
        .into_iter()
        .filter(|a| a.status == LifecycleStatus::Active)
        .filter_map(|a| AuthenticatorKey::known(&a.key))
        .map(AuthenticatorMethods::all)
        .collect()
}

/// The org's active authenticators with all their methods, as policy validation and evaluation
/// see them. Keys Federa does not know (none are stored today) are left out: they meet nothing.
pub async fn active_methods(
    ctx: &Ctx,
    org: &OrgId,
) -> Result<Vec<AuthenticatorMethods>, CoreError> {
    let all = ctx.store.list_authenticators(org).await?;
    Ok(methods_of(&all))
}

/// The org's authenticators, ordered by key.
pub async fn list(ctx: &Ctx, org: &OrgId) -> Result<Vec<Authenticator>, CoreError> {
    Ok(ctx.store.list_authenticators(org).await?)
}

/// The org's authenticators as sign-in reads them: from the cache when fresh (see
/// [`crate::cache`]), else listed and cached. A lifecycle change here forgets the entry.
pub async fn for_signin(
    ctx: &Ctx,
    org: &OrgId,
) -> Result<std::sync::Arc<Vec<Authenticator>>, CoreError> {
    let cache = &ctx.caches.authenticators;
    if let Some(a) = cache.get(org) {
        return Ok(a);
    }
    let generation = cache.generation();
    let a = std::sync::Arc::new(list(ctx, org).await?);
    cache.put_if_current(org, generation, std::sync::Arc::clone(&a));
    Ok(a)
}

/// One authenticator by id (404 for ids of other orgs, as for unknown ones).
pub async fn get(ctx: &Ctx, org: &OrgId, id: &str) -> Result<Authenticator, CoreError> {
    let not_found = || {
        CoreError::NotFound(format!(
            "authenticator '{}'",
            id.chars().take(100).collect::<String>()
        ))
    };
    let id = AuthenticatorId::parse(id).ok_or_else(not_found)?;
    ctx.store
        .authenticator_by_id(org, &id)
        .await?
        .ok_or_else(not_found)
}

/// Lifecycle transitions of the Authenticators API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// INACTIVE → ACTIVE (idempotent).
    Activate,
    /// ACTIVE → INACTIVE (idempotent), unless something depends on the authenticator.
    Deactivate,
}

impl Lifecycle {
    /// Parses the path segment.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "activate" => Some(Self::Activate),
            "deactivate" => Some(Self::Deactivate),
            _ => None,
        }
    }
}

/// Applies a lifecycle transition and returns the authenticator as it now is.
pub async fn lifecycle(
    ctx: &Ctx,
    org: &OrgId,
    id: &str,
    op: Lifecycle,
) -> Result<Authenticator, CoreError> {
    let mut a = get(ctx, org, id).await?;
    let next = match op {
        Lifecycle::Activate => LifecycleStatus::Active,
        Lifecycle::Deactivate => LifecycleStatus::Inactive,
    };
    if a.status == next {
        return Ok(a);
    }
    if op == Lifecycle::Deactivate {
        check_deactivation(ctx, org, &a).await?;
    }
    let now = ctx.clock.now();
    let changed = ctx
        .store
        .set_authenticator_status(org, &a.id, next, now)
        .await?;
    ctx.caches.authenticators.forget(org);
    if !changed {
        return Err(CoreError::NotFound(format!("authenticator '{}'", a.id)));
    }
    a.status = next;
    a.last_updated = now;
    Ok(a)
}

/// Refuses deactivating `target` when the password is concerned or a policy depends on it.
async fn check_deactivation(
    ctx: &Ctx,
    org: &OrgId,
    target: &Authenticator,
) -> Result<(), CoreError> {
    if target.key == PASSWORD_KEY {
        return Err(CoreError::invalid(
            PASSWORD_KEY,
            "the password authenticator cannot be deactivated",
        ));
    }
    let all = ctx.store.list_authenticators(org).await?;
    let before = methods_of(&all);
    let after = methods_of(all.iter().filter(|a| a.id != target.id));
    let org_policies = policies::load(ctx, org).await?;
    let dependents = dependents(&org_policies, &before, &after);
    if dependents.is_empty() {
        return Ok(());
    }
    Err(CoreError::Validation(
        dependents
            .into_iter()
            .map(|what| {
                FieldError::new(target.key.clone(), format!("cannot be deactivated: {what}"))
            })
            .collect(),
    ))
}

/// The active rules that the `before` authenticators can meet and the `after` ones cannot, in
/// words. No IdP objects exist before the federation work (issue: IdPs and claims sharing), so
/// no IdP trusts claims here; once they do, an active IdP with `trustClaims` must be passed to
/// `check_sign_on_rule` instead of `false`, as the policies service does on save.
fn dependents(
    org_policies: &OrgPolicies,
    before: &[AuthenticatorMethods],
    after: &[AuthenticatorMethods],
) -> Vec<String> {
    let mut out = Vec::new();
    for p in org_policies
        .sign_on
        .iter()
        .filter(|p| p.header.status == Status::Active)
    {
        for r in p.rules.iter().filter(|r| r.header.status == Status::Active) {
            let trusting_idp = false;
            if check_sign_on_rule(r, before, trusting_idp).is_ok()
                && check_sign_on_rule(r, after, trusting_idp).is_err()
            {
                out.push(format!(
                    "rule '{}' of the global session policy '{}' requires MFA, and the remaining \
                     active authenticators supply fewer than two factor types",
                    r.header.name, p.header.name
                ));
            }
        }
    }
    for p in org_policies
        .access
        .iter()
        .filter(|p| p.header.status == Status::Active)
    {
        for r in p.rules.iter().filter(|r| {
            r.header.status == Status::Active && r.app_sign_on().access == Access::Allow
        }) {
            if locally_satisfiable(r, before) && !locally_satisfiable(r, after) {
                out.push(format!(
                    "rule '{}' of the app sign-in policy '{}' cannot be met by the remaining \
                     active authenticators",
                    r.header.name, p.header.name
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use federa_policy::defaults::{default_access_policy, default_sign_on_policy};

    fn keys(ks: &[AuthenticatorKey]) -> Vec<AuthenticatorMethods> {
        ks.iter().cloned().map(AuthenticatorMethods::all).collect()
    }

    fn mfa_policies() -> OrgPolicies {
        let mut gsp = default_sign_on_policy();
        for r in &mut gsp.rules {
            r.actions.signon.require_factor = true;
        }
        OrgPolicies {
            sign_on: vec![gsp],
            access: vec![default_access_policy()],
            ..OrgPolicies::default()
        }
    }

    #[test]
    fn an_mfa_rule_depends_on_the_second_factor_type() {
        use AuthenticatorKey::{OktaEmail, OktaPassword};
        let before = keys(&[OktaPassword, OktaEmail]);
        let after = keys(&[OktaPassword]);
        let d = dependents(&mfa_policies(), &before, &after);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("'Default Rule'") && d[0].contains("'Default Policy'"));
        // Without an MFA requirement nothing depends on it.
        let plain = OrgPolicies {
            sign_on: vec![default_sign_on_policy()],
            access: vec![default_access_policy()],
            ..OrgPolicies::default()
        };
        assert!(dependents(&plain, &before, &after).is_empty());
    }

    #[test]
    fn a_rule_already_unmet_does_not_block() {
        use AuthenticatorKey::{OktaPassword, SecurityQuestion};
        let before = keys(&[OktaPassword, SecurityQuestion]);
        let after = keys(&[OktaPassword]);
        assert!(dependents(&mfa_policies(), &before, &after).is_empty());
    }

    #[test]
    fn inactive_rules_do_not_block() {
        use AuthenticatorKey::{OktaEmail, OktaPassword};
        let mut p = mfa_policies();
        for r in &mut p.sign_on[0].rules {
            r.header.status = Status::Inactive;
        }
        let d = dependents(
            &p,
            &keys(&[OktaPassword, OktaEmail]),
            &keys(&[OktaPassword]),
        );
        assert!(d.is_empty());
    }
}
