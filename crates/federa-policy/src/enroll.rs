//! `MFA_ENROLL` (authenticator enrollment policy), reference §2.9: `settings.type`
//! `AUTHENTICATORS`, `settings.authenticators[] = {key, id?, enroll.self NOT_ALLOWED | OPTIONAL |
//! REQUIRED}`, rules with `actions.enroll.self` `CHALLENGE | LOGIN | NEVER |
//! NEVER_INCLUDING_RECOVERY`. Owns parsing, canonical output, and [`EnrollmentView`]: what the
//! applicable policy lets one user enroll in or be challenged with.
//!
//! Semantics taken from Okta's Identity Engine: an authenticator set to `NOT_ALLOWED`
//! ("Disabled") can neither be enrolled nor used for a challenge, even by users enrolled in it
//! before; an active authenticator missing from the list is treated as `NOT_ALLOWED` (the server
//! adds an entry when it activates an authenticator). `settings.type: FACTORS` (Classic) and
//! grace periods / AAGUID constraints are refused as unsupported.

use crate::conditions::{NetworkCondition, PeopleCondition, Subject};
use crate::error::{PolicyError, Result, clip};
use crate::ids::{AuthenticatorId, ParseId};
use crate::policy::{
    PolicyConditions, PolicyHeader, PolicyType, RuleHeader, RuleType, deserialize_via_from_json,
    evaluation_order,
};
use crate::wire::{Obj, wire_enum};
use federa_claims::AuthenticatorKey;
use serde::Serialize;
use serde_json::Value;

wire_enum! {
    /// `settings.authenticators[].enroll.self`.
    pub enum EnrollSelf { NotAllowed = "NOT_ALLOWED", Optional = "OPTIONAL", Required = "REQUIRED" }
}

wire_enum! {
    /// `settings.type`.
    pub enum EnrollSettingsType { Authenticators = "AUTHENTICATORS", Factors = "FACTORS" }
}

wire_enum! {
    /// Rule `actions.enroll.self`.
    pub enum EnrollRuleSelf {
        Challenge = "CHALLENGE",
        Login = "LOGIN",
        Never = "NEVER",
        NeverIncludingRecovery = "NEVER_INCLUDING_RECOVERY",
    }
}

/// `enroll` of one authenticator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrollSetting {
    /// Whether the user may / must enroll.
    #[serde(rename = "self")]
    pub self_: EnrollSelf,
}

/// One entry of `settings.authenticators`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrollAuthenticator {
    /// Authenticator key.
    pub key: AuthenticatorKey,
    /// Authenticator id, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<AuthenticatorId>,
    /// Enrollment requirement.
    pub enroll: EnrollSetting,
}

/// `settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrollSettings {
    /// Always `AUTHENTICATORS` in Federa.
    #[serde(rename = "type")]
    pub settings_type: EnrollSettingsType,
    /// Per-authenticator requirement.
    pub authenticators: Vec<EnrollAuthenticator>,
}

/// An `MFA_ENROLL` policy with its rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MfaEnrollPolicy {
    /// Envelope.
    #[serde(flatten)]
    pub header: PolicyHeader,
    /// Who the policy is assigned to (`None` = everyone).
    pub conditions: Option<PolicyConditions>,
    /// Per-authenticator requirements.
    pub settings: EnrollSettings,
    /// The rules (a separate API resource; not serialised with the policy).
    #[serde(skip)]
    pub rules: Vec<EnrollRule>,
}

impl MfaEnrollPolicy {
    /// Reads an `MFA_ENROLL` policy document (rules are read separately).
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = PolicyHeader::read(&obj, PolicyType::MfaEnroll)?;
        let conditions = PolicyConditions::read(&obj)?;
        let s = obj.req_obj("settings")?;
        s.deny_unknown(&["type", "authenticators"])?;
        let settings_type = s
            .enumv::<EnrollSettingsType>("type")?
            .unwrap_or(EnrollSettingsType::Authenticators);
        if settings_type == EnrollSettingsType::Factors {
            return Err(PolicyError::invalid(
                s.at("type"),
                "FACTORS (Classic) enrollment settings are not supported; use AUTHENTICATORS",
            ));
        }
        let mut authenticators: Vec<EnrollAuthenticator> = Vec::new();
        for it in s.array("authenticators")? {
            let a = it.obj()?;
            a.deny_unknown(&["key", "id", "enroll"])?;
            let key_s = a.req_string("key")?;
            let key = AuthenticatorKey::known(&key_s.to_ascii_lowercase()).ok_or_else(|| {
                PolicyError::invalid(
                    a.at("key"),
                    format!("unknown authenticator key '{}'", clip(key_s)),
                )
            })?;
            if authenticators.iter().any(|x| x.key == key) {
                return Err(PolicyError::invalid(
                    a.at("key"),
                    format!("{key} is listed twice"),
                ));
            }
            let e = a.req_obj("enroll")?;
            e.deny_unknown(&["self"])?;
            let self_ = e.req_enumv::<EnrollSelf>("self")?;
            authenticators.push(EnrollAuthenticator {
                key,
                id: a
                    .string("id")?
                    .map(|s| AuthenticatorId::at(s, &a.at("id")))
                    .transpose()?,
                enroll: EnrollSetting { self_ },
            });
        }
        if !authenticators.is_empty()
            && !authenticators
                .iter()
                .any(|a| a.enroll.self_ == EnrollSelf::Required)
        {
            return Err(PolicyError::invalid(
                s.at("authenticators"),
                "at least one authenticator must be REQUIRED",
            ));
        }
        Ok(MfaEnrollPolicy {
            header,
            conditions,
            settings: EnrollSettings {
                settings_type,
                authenticators,
            },
            rules: Vec::new(),
        })
    }

    /// Whether the policy's own conditions match.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.conditions
            .as_ref()
            .and_then(|c| c.people.as_ref())
            .is_none_or(|p| p.matches(s))
    }

    /// The requirement for `key` (unlisted = `NOT_ALLOWED`).
    pub fn requirement(&self, key: &AuthenticatorKey) -> EnrollSelf {
        self.settings
            .authenticators
            .iter()
            .find(|a| &a.key == key)
            .map_or(EnrollSelf::NotAllowed, |a| a.enroll.self_)
    }
}

/// Conditions of an enrollment rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EnrollConditions {
    /// Users and groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<PeopleCondition>,
    /// Network zones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkCondition>,
}

/// `actions.enroll`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrollAction {
    /// When enrollment happens; `NEVER*` forbids it.
    #[serde(rename = "self")]
    pub self_: EnrollRuleSelf,
}

/// Envelope of the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrollActions {
    /// The only action of an enrollment rule.
    pub enroll: EnrollAction,
}

/// An `MFA_ENROLL` rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrollRule {
    /// Envelope.
    #[serde(flatten)]
    pub header: RuleHeader,
    /// `None` = everyone.
    pub conditions: Option<EnrollConditions>,
    /// The action.
    pub actions: EnrollActions,
}

impl EnrollRule {
    /// Reads an `MFA_ENROLL` rule document.
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = RuleHeader::read(&obj, RuleType::MfaEnroll)?;
        let conditions = match obj.obj("conditions")? {
            None => None,
            Some(c) => {
                c.deny_unknown(&["people", "network"])?;
                Some(EnrollConditions {
                    people: c
                        .obj("people")?
                        .map(|o| PeopleCondition::read(&o))
                        .transpose()?,
                    network: c
                        .obj("network")?
                        .map(|o| NetworkCondition::read(&o))
                        .transpose()?,
                })
            }
        };
        let actions = obj.req_obj("actions")?;
        actions.deny_unknown(&["enroll"])?;
        let e = actions.req_obj("enroll")?;
        e.deny_unknown(&["self"])?;
        let self_ = e
            .enumv::<EnrollRuleSelf>("self")?
            .unwrap_or(EnrollRuleSelf::Challenge);
        Ok(EnrollRule {
            header,
            conditions,
            actions: EnrollActions {
                enroll: EnrollAction { self_ },
            },
        })
    }

    fn matches(&self, s: &Subject<'_>) -> bool {
        self.conditions.as_ref().is_none_or(|c| {
            c.people.as_ref().is_none_or(|p| p.matches(s))
                && c.network.as_ref().is_none_or(|n| n.matches(s))
        })
    }
}

deserialize_via_from_json!(MfaEnrollPolicy, EnrollRule);

/// What the applicable enrollment policy allows for one user.
#[derive(Clone, Copy, Debug)]
pub struct EnrollmentView<'a> {
    /// The policy that applies, if any.
    pub policy: Option<&'a MfaEnrollPolicy>,
    /// Whether the matching rule allows enrolling now (not `NEVER*`; no rule = allowed).
    pub enrollment_allowed: bool,
}

impl<'a> EnrollmentView<'a> {
    /// Picks the first matching active policy and its first matching active rule.
    pub fn select(policies: &'a [MfaEnrollPolicy], s: &Subject<'_>) -> Self {
        for i in evaluation_order(policies, |p| &p.header) {
            let p = &policies[i];
            if !p.matches(s) {
                continue;
            }
            let rule = evaluation_order(&p.rules, |r| &r.header)
                .into_iter()
                .map(|j| &p.rules[j])
                .find(|r| r.matches(s));
            let enrollment_allowed = rule.is_none_or(|r| {
                !matches!(
                    r.actions.enroll.self_,
                    EnrollRuleSelf::Never | EnrollRuleSelf::NeverIncludingRecovery
                )
            });
            return EnrollmentView {
                policy: Some(p),
                enrollment_allowed,
            };
        }
        EnrollmentView {
            policy: None,
            enrollment_allowed: false,
        }
    }

    /// The requirement for `key`; `NOT_ALLOWED` when no policy applies.
    pub fn requirement(&self, key: &AuthenticatorKey) -> EnrollSelf {
        self.policy
            .map_or(EnrollSelf::NotAllowed, |p| p.requirement(key))
    }
}
