//! Save-time reference checks: every group, user, network zone, IdP, app and authenticator a
//! policy or rule names must exist in the org (and, for enrollment settings, be active), else a
//! named error (`UnknownReference`, API 400 `E0000001`, CONTRACT §2). The caller answers the
//! look-ups through [`RefResolver`]; this crate does no IO.
//!
//! Allow-specific and disallow-specific methods and chain methods need only a known key: they
//! may name authenticators that are not configured locally because upstream IdP orgs may verify
//! them (reference §1.12 "allow-any credits factors even for authenticators not configured
//! locally"). When such a reference carries an `id`, the id must resolve.

use crate::access::VerificationMethod;
use crate::access::chain::Chain;
use crate::conditions::{NetworkCondition, PeopleCondition};
use crate::discovery::AppRefType;
use crate::enroll::EnrollSelf;
use crate::error::{PolicyError, Result, clip};
use crate::ids::{AppId, AuthenticatorId, ZoneId};
use crate::policy::{AnyPolicy, AnyRule, PolicyConditions};
use federa_claims::{AuthenticatorKey, IdpId};
use federa_types::{GroupId, UserId};

/// Answers whether referenced objects exist in the org being edited.
pub trait RefResolver {
    /// A user exists.
    fn user_exists(&self, id: &UserId) -> bool;
    /// A group exists.
    fn group_exists(&self, id: &GroupId) -> bool;
    /// A network zone exists.
    fn zone_exists(&self, id: &ZoneId) -> bool;
    /// An IdP exists.
    fn idp_exists(&self, id: &IdpId) -> bool;
    /// An app exists.
    fn app_exists(&self, id: &AppId) -> bool;
    /// An authenticator with this key (and this id, when given) exists, active or not.
    fn authenticator_exists(&self, key: &AuthenticatorKey, id: Option<&AuthenticatorId>) -> bool;
    /// The authenticator with this key is active.
    fn authenticator_active(&self, key: &AuthenticatorKey) -> bool;
}

fn unknown(path: String, kind: &'static str, id: &str) -> PolicyError {
    PolicyError::UnknownReference {
        path,
        kind,
        id: clip(id),
    }
}

fn people(p: &PeopleCondition, base: &str, r: &dyn RefResolver) -> Result<()> {
    if let Some(u) = &p.users {
        for (list, name) in [(&u.include, "include"), (&u.exclude, "exclude")] {
            for (i, id) in list.iter().enumerate() {
                if !r.user_exists(id) {
                    return Err(unknown(
                        format!("{base}.people.users.{name}[{i}]"),
                        "user",
                        id.as_str(),
                    ));
                }
            }
        }
    }
    if let Some(g) = &p.groups {
        for (list, name) in [(&g.include, "include"), (&g.exclude, "exclude")] {
            for (i, id) in list.iter().enumerate() {
                if !r.group_exists(id) {
                    return Err(unknown(
                        format!("{base}.people.groups.{name}[{i}]"),
                        "group",
                        id.as_str(),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn network(n: &NetworkCondition, base: &str, r: &dyn RefResolver) -> Result<()> {
    for (suffix, z) in n.zone_refs() {
        if !r.zone_exists(z) {
            return Err(unknown(
                format!("{base}.network.{suffix}"),
                "network zone",
                z.as_str(),
            ));
        }
    }
    Ok(())
}

fn method_ref(
    key: &AuthenticatorKey,
    id: Option<&AuthenticatorId>,
    path: String,
    r: &dyn RefResolver,
) -> Result<()> {
    match id {
        Some(id) if !r.authenticator_exists(key, Some(id)) => {
            Err(unknown(path + ".id", "authenticator", id.as_str()))
        }
        _ => Ok(()),
    }
}

fn chain(c: &Chain, base: String, r: &dyn RefResolver) -> Result<()> {
    for (i, m) in c.authentication_methods.iter().enumerate() {
        method_ref(
            &m.method.key,
            m.method.id.as_ref(),
            format!("{base}.authenticationMethods[{i}]"),
            r,
        )?;
    }
    for (i, n) in c.next.iter().enumerate() {
        chain(n, format!("{base}.next[{i}]"), r)?;
    }
    Ok(())
}

fn policy_conditions(c: Option<&PolicyConditions>, r: &dyn RefResolver) -> Result<()> {
    match c.and_then(|c| c.people.as_ref()) {
        Some(p) => people(p, "conditions", r),
        None => Ok(()),
    }
}

/// Checks the references of a policy document.
pub fn check_policy(p: &AnyPolicy, r: &dyn RefResolver) -> Result<()> {
    match p {
        AnyPolicy::SignOn(p) => policy_conditions(p.conditions.as_ref(), r),
        AnyPolicy::Access(_) | AnyPolicy::IdpDiscovery(_) => Ok(()),
        AnyPolicy::MfaEnroll(p) => {
            policy_conditions(p.conditions.as_ref(), r)?;
            for (i, a) in p.settings.authenticators.iter().enumerate() {
                let path = format!("settings.authenticators[{i}]");
                method_ref(&a.key, a.id.as_ref(), path.clone(), r)?;
                if a.enroll.self_ != EnrollSelf::NotAllowed && !r.authenticator_active(&a.key) {
                    return Err(unknown(
                        path + ".key",
                        "active authenticator",
                        a.key.as_str(),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Checks the references of a rule document.
pub fn check_rule(rule: &AnyRule, r: &dyn RefResolver) -> Result<()> {
    match rule {
        AnyRule::SignOn(rule) => {
            let Some(c) = &rule.conditions else {
                return Ok(());
            };
            if let Some(p) = &c.people {
                people(p, "conditions", r)?;
            }
            if let Some(n) = &c.network {
                network(n, "conditions", r)?;
            }
            if let Some(i) = &c.identity_provider {
                for (k, id) in i.idp_ids.iter().enumerate() {
                    if !r.idp_exists(id) {
                        return Err(unknown(
                            format!("conditions.identityProvider.idpIds[{k}]"),
                            "identity provider",
                            id.as_str(),
                        ));
                    }
                }
            }
            Ok(())
        }
        AnyRule::Access(rule) => {
            if let Some(c) = &rule.conditions {
                if let Some(p) = &c.people {
                    people(p, "conditions", r)?;
                }
                if let Some(n) = &c.network {
                    network(n, "conditions", r)?;
                }
            }
            let base = "actions.appSignOn.verificationMethod";
            match &rule.app_sign_on().verification_method {
                Some(VerificationMethod::Assurance(a)) => {
                    for (i, set) in a.constraints.iter().enumerate() {
                        for (suffix, m) in set.method_refs() {
                            method_ref(
                                &m.key,
                                m.id.as_ref(),
                                format!("{base}.constraints[{i}].{suffix}"),
                                r,
                            )?;
                        }
                    }
                    Ok(())
                }
                Some(VerificationMethod::AuthMethodChain(c)) => {
                    for (i, ch) in c.chains.iter().enumerate() {
                        chain(ch, format!("{base}.chains[{i}]"), r)?;
                    }
                    Ok(())
                }
                None => Ok(()),
            }
        }
        AnyRule::IdpDiscovery(rule) => {
            if let Some(c) = &rule.conditions {
                if let Some(n) = &c.network {
                    network(n, "conditions", r)?;
                }
                if let Some(a) = &c.app {
                    for (list, name) in [(&a.include, "include"), (&a.exclude, "exclude")] {
                        for (i, app) in list.iter().enumerate() {
                            if let (AppRefType::App, Some(id)) = (app.ref_type, &app.id)
                                && !r.app_exists(id)
                            {
                                return Err(unknown(
                                    format!("conditions.app.{name}[{i}].id"),
                                    "app",
                                    id.as_str(),
                                ));
                            }
                        }
                    }
                }
            }
            for (i, p) in rule.actions.idp.providers.iter().enumerate() {
                if let Some(id) = &p.id
                    && !r.idp_exists(id)
                {
                    return Err(unknown(
                        format!("actions.idp.providers[{i}].id"),
                        "identity provider",
                        id.as_str(),
                    ));
                }
            }
            Ok(())
        }
        AnyRule::MfaEnroll(rule) => {
            if let Some(c) = &rule.conditions {
                if let Some(p) = &c.people {
                    people(p, "conditions", r)?;
                }
                if let Some(n) = &c.network {
                    network(n, "conditions", r)?;
                }
            }
            Ok(())
        }
    }
}
