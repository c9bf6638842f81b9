//! Stored records of the claims and policy engine: per-org authenticators, feature flags,
//! policies and rules (their bodies are federa-policy's canonical JSON).

use federa_types::{AuthenticatorId, OrgId, PolicyId, RuleId, Timestamp};

/// `ACTIVE` or `INACTIVE` (authenticators, policies, rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleStatus {
    /// In use.
    Active,
    /// Configured but not in use.
    Inactive,
}

impl LifecycleStatus {
    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStatus::Active => "ACTIVE",
            LifecycleStatus::Inactive => "INACTIVE",
        }
    }

    /// Parses the wire and storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ACTIVE" => Some(LifecycleStatus::Active),
            "INACTIVE" => Some(LifecycleStatus::Inactive),
            _ => None,
        }
    }
}

/// An authenticator of an org (Okta's Authenticator object).
#[derive(Debug, Clone, PartialEq)]
pub struct Authenticator {
    /// Id.
    pub id: AuthenticatorId,
    /// Owning org.
    pub org_id: OrgId,
    /// Okta key, e.g. `okta_password` (one authenticator per key and org).
    pub key: String,
    /// Display name.
    pub name: String,
    /// Active or not.
    pub status: LifecycleStatus,
    /// Authenticator-specific settings (JSON object).
    pub settings: serde_json::Value,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
}

/// A feature flag of an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureState {
    /// Okta feature id, e.g. `ORG2ORG_CLAIMS_SHARING`.
    pub id: String,
    /// Enabled or not.
    pub enabled: bool,
    /// Last change.
    pub last_updated: Timestamp,
}

/// A stored policy (without its rules).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    /// Id.
    pub id: PolicyId,
    /// Owning org.
    pub org_id: OrgId,
    /// `OKTA_SIGN_ON`, `ACCESS_POLICY`, `IDP_DISCOVERY` or `MFA_ENROLL`.
    pub policy_type: String,
    /// Name, unique per type in the org.
    pub name: String,
    /// Evaluation order, lower first.
    pub priority: i64,
    /// `ACTIVE` or `INACTIVE`.
    pub status: LifecycleStatus,
    /// The org's default policy of this type.
    pub system: bool,
    /// Canonical JSON of the policy (federa-policy), including the fields above.
    pub body: serde_json::Value,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
}

/// A stored policy rule.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    /// Id.
    pub id: RuleId,
    /// Owning org.
    pub org_id: OrgId,
    /// The policy it belongs to.
    pub policy_id: PolicyId,
    /// Name, unique in the policy.
    pub name: String,
    /// Evaluation order inside the policy, lower first.
    pub priority: i64,
    /// `ACTIVE` or `INACTIVE`.
    pub status: LifecycleStatus,
    /// The policy's catch-all rule.
    pub system: bool,
    /// Canonical JSON of the rule (federa-policy), including the fields above.
    pub body: serde_json::Value,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
}

/// What a new org starts with, written in the same transaction as the org.
#[derive(Debug, Clone, Default)]
pub struct OrgDefaults {
    /// The default authenticators.
    pub authenticators: Vec<Authenticator>,
    /// The feature flags.
    pub features: Vec<FeatureState>,
    /// The default policies with their rules.
    pub policies: Vec<(StoredPolicy, Vec<StoredRule>)>,
}
