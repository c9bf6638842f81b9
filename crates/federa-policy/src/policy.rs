//! The policy and rule envelopes shared by every policy type (reference §2.4): ids, name,
//! priority, status, `system`, the `type` discriminators, and [`AnyPolicy`] / [`AnyRule`] which
//! read an Okta-shaped document of any supported type. Also owns evaluation order: active items
//! by ascending priority, system (default) items last, ties by position.

use crate::access::{AccessPolicy, AccessRule};
use crate::conditions::PeopleCondition;
use crate::discovery::{IdpDiscoveryPolicy, RoutingRule};
use crate::enroll::{EnrollRule, MfaEnrollPolicy};
use crate::error::{PolicyError, Result};
use crate::ids::{ParseId, PolicyId, RuleId};
use crate::sign_on::{SignOnPolicy, SignOnRule};
use crate::wire::{Obj, wire_enum};
use serde::Serialize;
use serde_json::Value;

/// Highest priority number accepted for a policy or rule.
pub const MAX_PRIORITY: i64 = 9_999;
/// Longest policy or rule name.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 1_024;

wire_enum! {
    /// The policy types Federa supports (reference §2.4 `PolicyType`, subset).
    pub enum PolicyType {
        /// Global session policy.
        OktaSignOn = "OKTA_SIGN_ON",
        /// App sign-in (authentication) policy.
        AccessPolicy = "ACCESS_POLICY",
        /// IdP routing rules.
        IdpDiscovery = "IDP_DISCOVERY",
        /// Authenticator enrollment policy.
        MfaEnroll = "MFA_ENROLL",
    }
}

wire_enum! {
    /// Rule types (reference §2.4 `PolicyRuleType`: `SIGN_ON` for global session rules).
    pub enum RuleType {
        /// Global session policy rule.
        SignOn = "SIGN_ON",
        /// App sign-in policy rule.
        AccessPolicy = "ACCESS_POLICY",
        /// Routing rule.
        IdpDiscovery = "IDP_DISCOVERY",
        /// Enrollment policy rule.
        MfaEnroll = "MFA_ENROLL",
    }
}

impl PolicyType {
    /// The type of this policy's rules.
    pub fn rule_type(self) -> RuleType {
        match self {
            PolicyType::OktaSignOn => RuleType::SignOn,
            PolicyType::AccessPolicy => RuleType::AccessPolicy,
            PolicyType::IdpDiscovery => RuleType::IdpDiscovery,
            PolicyType::MfaEnroll => RuleType::MfaEnroll,
        }
    }
}

wire_enum! {
    /// `status` of a policy or rule.
    pub enum Status { Active = "ACTIVE", Inactive = "INACTIVE" }
}

wire_enum! {
    /// `access` of a sign-on or app sign-in rule.
    pub enum Access { Allow = "ALLOW", Deny = "DENY" }
}

/// Keys every envelope may carry that Federa reads elsewhere or ignores (server-owned).
const ENVELOPE_KEYS: &[&str] = &[
    "id",
    "type",
    "name",
    "description",
    "priority",
    "status",
    "system",
    "conditions",
    "actions",
    "settings",
    "created",
    "lastUpdated",
    "_links",
    "_embedded",
];

fn read_name(obj: &Obj<'_>) -> Result<String> {
    let name = obj.string("name")?.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(PolicyError::invalid(obj.at("name"), "is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(PolicyError::invalid(
            obj.at("name"),
            format!("is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_owned())
}

fn read_priority(obj: &Obj<'_>) -> Result<Option<u32>> {
    Ok(obj
        .int("priority", 0, MAX_PRIORITY)?
        .and_then(|p| u32::try_from(p).ok()))
}

/// The common fields of a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyHeader {
    /// Assigned by the server; `None` before the first save.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<PolicyId>,
    /// The policy type.
    #[serde(rename = "type")]
    pub policy_type: PolicyType,
    /// Display name (1..=255 characters).
    pub name: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Evaluation order: lower first. `None` until the server assigns one.
    pub priority: Option<u32>,
    /// Only active policies are evaluated.
    pub status: Status,
    /// The org's default policy (cannot be deleted, evaluated last).
    pub system: bool,
}

impl PolicyHeader {
    /// Reads the envelope of a policy document whose type must be `expected`.
    pub(crate) fn read(obj: &Obj<'_>, expected: PolicyType) -> Result<Self> {
        obj.deny_unknown(ENVELOPE_KEYS)?;
        let policy_type = obj.enumv::<PolicyType>("type")?.unwrap_or(expected);
        if policy_type != expected {
            return Err(PolicyError::invalid(
                obj.at("type"),
                format!("is {policy_type}, expected {expected}"),
            ));
        }
        let description = obj.string("description")?.map(str::to_owned);
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            return Err(PolicyError::invalid(
                obj.at("description"),
                format!("is longer than {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        Ok(PolicyHeader {
            id: obj
                .string("id")?
                .map(|s| PolicyId::at(s, &obj.at("id")))
                .transpose()?,
            policy_type,
            name: read_name(obj)?,
            description,
            priority: read_priority(obj)?,
            status: obj.enumv::<Status>("status")?.unwrap_or(Status::Active),
            system: obj.boolean("system")?.unwrap_or(false),
        })
    }

    /// A new header (no id yet).
    pub fn new(policy_type: PolicyType, name: &str, priority: u32, system: bool) -> Self {
        PolicyHeader {
            id: None,
            policy_type,
            name: name.to_owned(),
            description: None,
            priority: Some(priority),
            status: Status::Active,
            system,
        }
    }
}

/// The common fields of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleHeader {
    /// Assigned by the server; `None` before the first save.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<RuleId>,
    /// The rule type.
    #[serde(rename = "type")]
    pub rule_type: RuleType,
    /// Display name (1..=255 characters).
    pub name: String,
    /// Evaluation order inside the policy: lower first.
    pub priority: Option<u32>,
    /// Only active rules are evaluated.
    pub status: Status,
    /// The default ("Catch-all") rule: cannot be deleted, evaluated last.
    pub system: bool,
}

impl RuleHeader {
    /// Reads the envelope of a rule document whose type must be `expected`.
    pub(crate) fn read(obj: &Obj<'_>, expected: RuleType) -> Result<Self> {
        obj.deny_unknown(ENVELOPE_KEYS)?;
        if obj.has("settings") {
            return Err(PolicyError::invalid(
                obj.at("settings"),
                "rules have no settings",
            ));
        }
        let rule_type = obj.enumv::<RuleType>("type")?.unwrap_or(expected);
        if rule_type != expected {
            return Err(PolicyError::invalid(
                obj.at("type"),
                format!("is {rule_type}, expected {expected} for this policy"),
            ));
        }
        Ok(RuleHeader {
            id: obj
                .string("id")?
                .map(|s| RuleId::at(s, &obj.at("id")))
                .transpose()?,
            rule_type,
            name: read_name(obj)?,
            priority: read_priority(obj)?,
            status: obj.enumv::<Status>("status")?.unwrap_or(Status::Active),
            system: obj.boolean("system")?.unwrap_or(false),
        })
    }

    /// A new header (no id yet).
    pub fn new(rule_type: RuleType, name: &str, priority: u32, system: bool) -> Self {
        RuleHeader {
            id: None,
            rule_type,
            name: name.to_owned(),
            priority: Some(priority),
            status: Status::Active,
            system,
        }
    }
}

/// Policy-level conditions of `OKTA_SIGN_ON` and `MFA_ENROLL` policies (`people` only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyConditions {
    /// Users and groups the policy is assigned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<PeopleCondition>,
}

impl PolicyConditions {
    pub(crate) fn read(parent: &Obj<'_>) -> Result<Option<Self>> {
        let Some(c) = parent.obj("conditions")? else {
            return Ok(None);
        };
        c.deny_unknown(&["people"])?;
        let people = c
            .obj("people")?
            .map(|p| PeopleCondition::read(&p))
            .transpose()?;
        Ok(Some(PolicyConditions { people }))
    }
}

/// Reads `conditions` of a policy type whose policies have none (ACCESS_POLICY, IDP_DISCOVERY).
pub(crate) fn no_policy_conditions(obj: &Obj<'_>, t: PolicyType) -> Result<()> {
    if let Some(c) = obj.obj("conditions")? {
        c.deny_unknown(&[]).map_err(|_| {
            PolicyError::invalid(
                obj.at("conditions"),
                format!("{t} policies have no conditions"),
            )
        })?;
    }
    Ok(())
}

/// Something with a priority that evaluation orders.
pub trait Ordered {
    /// Priority (lower first; `None` after every numbered one).
    fn priority(&self) -> Option<u32>;
    /// System (default) items go last.
    fn system(&self) -> bool;
    /// Only active items are evaluated.
    fn active(&self) -> bool;
}

impl Ordered for PolicyHeader {
    fn priority(&self) -> Option<u32> {
        self.priority
    }
    fn system(&self) -> bool {
        self.system
    }
    fn active(&self) -> bool {
        self.status == Status::Active
    }
}

impl Ordered for RuleHeader {
    fn priority(&self) -> Option<u32> {
        self.priority
    }
    fn system(&self) -> bool {
        self.system
    }
    fn active(&self) -> bool {
        self.status == Status::Active
    }
}

/// Indices of the active items of `items` in evaluation order.
pub fn evaluation_order<T>(items: &[T], header: impl Fn(&T) -> &dyn Ordered) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len())
        .filter(|&i| header(&items[i]).active())
        .collect();
    idx.sort_by_key(|&i| {
        let h = header(&items[i]);
        (h.system(), h.priority().unwrap_or(u32::MAX), i)
    });
    idx
}

/// A policy of any supported type (without its rules: rules are separate API resources).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AnyPolicy {
    /// `OKTA_SIGN_ON`.
    SignOn(SignOnPolicy),
    /// `ACCESS_POLICY`.
    Access(AccessPolicy),
    /// `IDP_DISCOVERY`.
    IdpDiscovery(IdpDiscoveryPolicy),
    /// `MFA_ENROLL`.
    MfaEnroll(MfaEnrollPolicy),
}

impl AnyPolicy {
    /// Reads a policy document; its `type` picks the shape.
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let t = obj.req_enumv::<PolicyType>("type")?;
        Ok(match t {
            PolicyType::OktaSignOn => AnyPolicy::SignOn(SignOnPolicy::from_json(v)?),
            PolicyType::AccessPolicy => AnyPolicy::Access(AccessPolicy::from_json(v)?),
            PolicyType::IdpDiscovery => AnyPolicy::IdpDiscovery(IdpDiscoveryPolicy::from_json(v)?),
            PolicyType::MfaEnroll => AnyPolicy::MfaEnroll(MfaEnrollPolicy::from_json(v)?),
        })
    }

    /// The common fields.
    pub fn header(&self) -> &PolicyHeader {
        match self {
            AnyPolicy::SignOn(p) => &p.header,
            AnyPolicy::Access(p) => &p.header,
            AnyPolicy::IdpDiscovery(p) => &p.header,
            AnyPolicy::MfaEnroll(p) => &p.header,
        }
    }

    /// The canonical JSON the API answers with.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A rule of any supported type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AnyRule {
    /// `SIGN_ON`.
    SignOn(SignOnRule),
    /// `ACCESS_POLICY`.
    Access(AccessRule),
    /// `IDP_DISCOVERY`.
    IdpDiscovery(RoutingRule),
    /// `MFA_ENROLL`.
    MfaEnroll(EnrollRule),
}

impl AnyRule {
    /// Reads a rule document for a policy of type `policy_type`.
    pub fn from_json(policy_type: PolicyType, v: &Value) -> Result<Self> {
        Ok(match policy_type {
            PolicyType::OktaSignOn => AnyRule::SignOn(SignOnRule::from_json(v)?),
            PolicyType::AccessPolicy => AnyRule::Access(AccessRule::from_json(v)?),
            PolicyType::IdpDiscovery => AnyRule::IdpDiscovery(RoutingRule::from_json(v)?),
            PolicyType::MfaEnroll => AnyRule::MfaEnroll(EnrollRule::from_json(v)?),
        })
    }

    /// The common fields.
    pub fn header(&self) -> &RuleHeader {
        match self {
            AnyRule::SignOn(r) => &r.header,
            AnyRule::Access(r) => &r.header,
            AnyRule::IdpDiscovery(r) => &r.header,
            AnyRule::MfaEnroll(r) => &r.header,
        }
    }

    /// The canonical JSON the API answers with.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Implements `Deserialize` for a policy or rule type through its path-aware `from_json`, so
/// stored canonical documents load back with the same checks.
macro_rules! deserialize_via_from_json {
    ($($t:ty),+) => { $(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = serde_json::Value::deserialize(d)?;
                <$t>::from_json(&v).map_err(serde::de::Error::custom)
            }
        }
    )+ };
}
pub(crate) use deserialize_via_from_json;
