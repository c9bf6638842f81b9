//! `ACCESS_POLICY` (app sign-in / authentication policy) and its rules, reference §2.5: rule
//! conditions (people, network; `riskScore` only `ANY`), `actions.appSignOn` (`access`
//! ALLOW/DENY) and the `verificationMethod` (`ASSURANCE` with `factorMode`, `reauthenticateIn`,
//! `inactivityPeriod` and `constraints`, or `AUTH_METHOD_CHAIN`). Constraint objects are in
//! [`constraint`], chains in [`chain`].
//!
//! Canonical output: `constraints` always an array, enums upper case, `factorMode` always present
//! (default `2FA` when a client omits it: the stricter reading), every possession characteristic
//! filled in.

pub mod chain;
pub mod constraint;

use crate::conditions::{NetworkCondition, PeopleCondition, Subject, accept_trivial};
use crate::duration::IsoDuration;
use crate::error::{PolicyError, Result};
use crate::policy::{
    Access, PolicyHeader, PolicyType, RuleHeader, RuleType, deserialize_via_from_json,
    no_policy_conditions,
};
use crate::wire::{Obj, wire_enum};
use chain::AuthMethodChain;
use constraint::ConstraintSet;
use serde::Serialize;
use serde_json::Value;

wire_enum! {
    /// `factorMode`: how many distinct factor classes are needed.
    pub enum FactorMode {
        /// "Any 1 factor type / IdP".
        OneFa = "1FA",
        /// "Any 2 factor types".
        TwoFa = "2FA",
    }
}

impl FactorMode {
    /// Distinct factor classes needed.
    pub fn classes(self) -> usize {
        match self {
            FactorMode::OneFa => 1,
            FactorMode::TwoFa => 2,
        }
    }
}

wire_enum! {
    /// `verificationMethod.type`.
    pub enum VerificationType {
        Assurance = "ASSURANCE",
        AuthMethodChain = "AUTH_METHOD_CHAIN",
        IdProofing = "ID_PROOFING",
    }
}

/// An `ACCESS_POLICY` with its rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessPolicy {
    /// Envelope.
    #[serde(flatten)]
    pub header: PolicyHeader,
    /// Always null for this type (reference §2.4).
    pub conditions: Option<()>,
    /// The rules (a separate API resource; not serialised with the policy).
    #[serde(skip)]
    pub rules: Vec<AccessRule>,
}

impl AccessPolicy {
    /// Reads an `ACCESS_POLICY` document (rules are read separately).
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = PolicyHeader::read(&obj, PolicyType::AccessPolicy)?;
        no_policy_conditions(&obj, PolicyType::AccessPolicy)?;
        if obj.has("settings") {
            return Err(PolicyError::invalid(
                obj.at("settings"),
                "ACCESS_POLICY policies have no settings",
            ));
        }
        Ok(AccessPolicy {
            header,
            conditions: None,
            rules: Vec::new(),
        })
    }
}

/// Conditions of an `ACCESS_POLICY` rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccessConditions {
    /// Users and groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<PeopleCondition>,
    /// Network zones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkCondition>,
}

impl AccessConditions {
    fn read(parent: &Obj<'_>) -> Result<Option<Self>> {
        let Some(c) = parent.obj("conditions")? else {
            return Ok(None);
        };
        c.deny_unknown(&["people", "network", "riskScore"])?;
        accept_trivial(&c, "riskScore", "level")?;
        Ok(Some(AccessConditions {
            people: c
                .obj("people")?
                .map(|o| PeopleCondition::read(&o))
                .transpose()?,
            network: c
                .obj("network")?
                .map(|o| NetworkCondition::read(&o))
                .transpose()?,
        }))
    }

    /// Whether all present conditions match.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.people.as_ref().is_none_or(|p| p.matches(s))
            && self.network.as_ref().is_none_or(|n| n.matches(s))
    }
}

/// `verificationMethod` of type `ASSURANCE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assurance {
    /// 1FA or 2FA.
    pub factor_mode: FactorMode,
    /// Freshness of every factor (overridden per class by constraint values). `None` = as long as
    /// the session lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reauthenticate_in: Option<IsoDuration>,
    /// Kept and returned; enforced by the session layer, not here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactivity_period: Option<IsoDuration>,
    /// OR across elements, AND inside one. Empty = no constraint.
    pub constraints: Vec<ConstraintSet>,
}

impl Assurance {
    /// `factorMode` with no constraints.
    pub fn new(factor_mode: FactorMode, reauthenticate_in: Option<IsoDuration>) -> Self {
        Assurance {
            factor_mode,
            reauthenticate_in,
            inactivity_period: None,
            constraints: Vec::new(),
        }
    }

    fn read(o: &Obj<'_>) -> Result<Self> {
        o.deny_unknown(&[
            "type",
            "factorMode",
            "reauthenticateIn",
            "inactivityPeriod",
            "constraints",
        ])?;
        let factor_mode = o
            .enumv::<FactorMode>("factorMode")?
            .unwrap_or(FactorMode::TwoFa);
        let dur = |k: &str| -> Result<Option<IsoDuration>> {
            o.string(k)?
                .map(|s| IsoDuration::parse(s, &o.at(k)))
                .transpose()
        };
        let constraints = o
            .array_or_one("constraints")?
            .iter()
            .map(|it| ConstraintSet::read(it, factor_mode))
            .collect::<Result<Vec<_>>>()?;
        Ok(Assurance {
            factor_mode,
            reauthenticate_in: dur("reauthenticateIn")?,
            inactivity_period: dur("inactivityPeriod")?,
            constraints,
        })
    }
}

/// `actions.appSignOn.verificationMethod`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum VerificationMethod {
    /// Factor counts and constraints.
    #[serde(rename = "ASSURANCE")]
    Assurance(Assurance),
    /// Ordered chains of specific methods.
    #[serde(rename = "AUTH_METHOD_CHAIN")]
    AuthMethodChain(AuthMethodChain),
}

impl VerificationMethod {
    fn read(o: &Obj<'_>) -> Result<Self> {
        match o
            .enumv::<VerificationType>("type")?
            .unwrap_or(VerificationType::Assurance)
        {
            VerificationType::Assurance => Assurance::read(o).map(VerificationMethod::Assurance),
            VerificationType::AuthMethodChain => {
                AuthMethodChain::read(o).map(VerificationMethod::AuthMethodChain)
            }
            VerificationType::IdProofing => Err(PolicyError::invalid(
                o.at("type"),
                "ID_PROOFING is not supported by Federa",
            )),
        }
    }
}

/// `actions.appSignOn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSignOn {
    /// Allow or deny.
    pub access: Access,
    /// What must be verified (ALLOW; kept for DENY if given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_method: Option<VerificationMethod>,
}

/// Envelope of the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessActions {
    /// The only action of an `ACCESS_POLICY` rule.
    pub app_sign_on: AppSignOn,
}

/// An `ACCESS_POLICY` rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessRule {
    /// Envelope.
    #[serde(flatten)]
    pub header: RuleHeader,
    /// `None` = matches everyone (catch-all).
    pub conditions: Option<AccessConditions>,
    /// What happens when the rule matches.
    pub actions: AccessActions,
}

impl AccessRule {
    /// Reads an `ACCESS_POLICY` rule document.
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = RuleHeader::read(&obj, RuleType::AccessPolicy)?;
        let conditions = AccessConditions::read(&obj)?;
        let actions = obj.req_obj("actions")?;
        actions.deny_unknown(&["appSignOn"])?;
        let a = actions.req_obj("appSignOn")?;
        a.deny_unknown(&["access", "verificationMethod", "keepMeSignedIn"])?;
        if let Some(k) = a.obj("keepMeSignedIn")? {
            k.deny_unknown(&["postAuth"])?;
            if k.string("postAuth")?
                .is_some_and(|s| !s.eq_ignore_ascii_case("NOT_ALLOWED"))
            {
                return Err(PolicyError::invalid(
                    k.at("postAuth"),
                    "post-authentication keep-me-signed-in is not supported by Federa; only NOT_ALLOWED",
                ));
            }
        }
        let access = a.req_enumv::<Access>("access")?;
        let verification_method = match a.obj("verificationMethod")? {
            Some(vm) => Some(VerificationMethod::read(&vm)?),
            None if access == Access::Allow => Some(VerificationMethod::Assurance(Assurance::new(
                FactorMode::TwoFa,
                None,
            ))),
            None => None,
        };
        Ok(AccessRule {
            header,
            conditions,
            actions: AccessActions {
                app_sign_on: AppSignOn {
                    access,
                    verification_method,
                },
            },
        })
    }

    /// Whether the rule's conditions match.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.conditions.as_ref().is_none_or(|c| c.matches(s))
    }

    /// The action.
    pub fn app_sign_on(&self) -> &AppSignOn {
        &self.actions.app_sign_on
    }
}

deserialize_via_from_json!(AccessPolicy, AccessRule);
