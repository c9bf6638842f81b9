//! `OKTA_SIGN_ON` (global session policy) and its `SIGN_ON` rules, reference §2.6: conditions
//! (people, network, identityProvider; `authContext` and `riskScore` only as `ANY`) and the
//! `signon` action (access, requireFactor, factorPromptMode, factorLifetime, primaryFactor,
//! session lifetimes). Owns parsing, defaults and canonical output.

use crate::conditions::{
    IdentityProviderCondition, NetworkCondition, PeopleCondition, Subject, accept_trivial,
};
use crate::error::{PolicyError, Result};
use crate::policy::{
    Access, PolicyConditions, PolicyHeader, PolicyType, RuleHeader, RuleType,
    deserialize_via_from_json,
};
use crate::wire::{Obj, wire_enum};
use serde::Serialize;
use serde_json::Value;

/// Default `session.maxSessionIdleMinutes`.
pub const DEFAULT_IDLE_MINUTES: u32 = 120;
/// Longest idle or absolute session lifetime accepted, in minutes (90 days).
pub const MAX_SESSION_MINUTES: i64 = 90 * 24 * 60;

wire_enum! {
    /// `factorPromptMode` (reference §2.6).
    pub enum FactorPromptMode { Always = "ALWAYS", Device = "DEVICE", Session = "SESSION" }
}

wire_enum! {
    /// `primaryFactor` (reference §2.6): `PASSWORD_IDP` forces a password (or an IdP) first;
    /// `PASSWORD_IDP_ANY_FACTOR` lets any factor the app sign-in policy accepts establish the
    /// session.
    pub enum PrimaryFactor {
        /// Password or IdP first.
        PasswordIdp = "PASSWORD_IDP",
        /// Any factor the app sign-in policy accepts.
        PasswordIdpAnyFactor = "PASSWORD_IDP_ANY_FACTOR",
    }
}

/// An `OKTA_SIGN_ON` policy with its rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOnPolicy {
    /// Envelope.
    #[serde(flatten)]
    pub header: PolicyHeader,
    /// Who the policy is assigned to (`None` = everyone).
    pub conditions: Option<PolicyConditions>,
    /// The rules (a separate API resource; not serialised with the policy).
    #[serde(skip)]
    pub rules: Vec<SignOnRule>,
}

impl SignOnPolicy {
    /// Reads an `OKTA_SIGN_ON` policy document (rules are read separately).
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = PolicyHeader::read(&obj, PolicyType::OktaSignOn)?;
        if obj.has("settings") {
            return Err(PolicyError::invalid(
                obj.at("settings"),
                "OKTA_SIGN_ON policies have no settings",
            ));
        }
        Ok(SignOnPolicy {
            header,
            conditions: PolicyConditions::read(&obj)?,
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
}

/// Conditions of a `SIGN_ON` rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignOnConditions {
    /// Users and groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<PeopleCondition>,
    /// Network zones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkCondition>,
    /// Where the session came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<IdentityProviderCondition>,
}

impl SignOnConditions {
    fn read(parent: &Obj<'_>) -> Result<Option<Self>> {
        let Some(c) = parent.obj("conditions")? else {
            return Ok(None);
        };
        c.deny_unknown(&[
            "people",
            "network",
            "identityProvider",
            "authContext",
            "riskScore",
        ])?;
        accept_trivial(&c, "authContext", "authType")?;
        accept_trivial(&c, "riskScore", "level")?;
        Ok(Some(SignOnConditions {
            people: c
                .obj("people")?
                .map(|o| PeopleCondition::read(&o))
                .transpose()?,
            network: c
                .obj("network")?
                .map(|o| NetworkCondition::read(&o))
                .transpose()?,
            identity_provider: c
                .obj("identityProvider")?
                .map(|o| IdentityProviderCondition::read(&o))
                .transpose()?,
        }))
    }

    /// Whether all present conditions match.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.people.as_ref().is_none_or(|p| p.matches(s))
            && self.network.as_ref().is_none_or(|n| n.matches(s))
            && self.identity_provider.as_ref().is_none_or(|i| i.matches(s))
    }
}

/// `actions.signon.session`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSettings {
    /// Idle timeout in minutes (default 120).
    pub max_session_idle_minutes: u32,
    /// Absolute lifetime in minutes; 0 = no limit (default).
    pub max_session_lifetime_minutes: u32,
    /// Persist the session cookie across browser restarts.
    pub use_persistent_cookie: bool,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            max_session_idle_minutes: DEFAULT_IDLE_MINUTES,
            max_session_lifetime_minutes: 0,
            use_persistent_cookie: false,
        }
    }
}

/// `actions.signon`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignOnAction {
    /// Allow or deny the session.
    pub access: Access,
    /// Whether a second factor class (MFA) is required to establish the session.
    pub require_factor: bool,
    /// When the MFA prompt happens (required with `requireFactor`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor_prompt_mode: Option<FactorPromptMode>,
    /// Minutes an MFA verification stays good for the session (`SESSION` mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor_lifetime: Option<u32>,
    /// Pre-tick "remember this device".
    pub remember_device_by_default: bool,
    /// How the session may be established (ALLOW only; default `PASSWORD_IDP_ANY_FACTOR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_factor: Option<PrimaryFactor>,
    /// Session lifetimes.
    pub session: SessionSettings,
}

/// Envelope of the action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOnActions {
    /// The only action of a `SIGN_ON` rule.
    pub signon: SignOnAction,
}

/// A `SIGN_ON` rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOnRule {
    /// Envelope.
    #[serde(flatten)]
    pub header: RuleHeader,
    /// `None` = matches everyone.
    pub conditions: Option<SignOnConditions>,
    /// What happens when the rule matches.
    pub actions: SignOnActions,
}

impl SignOnRule {
    /// Reads a `SIGN_ON` rule document.
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = Obj::new(v, "")?;
        let header = RuleHeader::read(&obj, RuleType::SignOn)?;
        let conditions = SignOnConditions::read(&obj)?;
        let actions = obj.req_obj("actions")?;
        actions.deny_unknown(&["signon"])?;
        let s = actions.req_obj("signon")?;
        Ok(SignOnRule {
            header,
            conditions,
            actions: SignOnActions {
                signon: read_signon(&s)?,
            },
        })
    }

    /// Whether the rule's conditions match.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.conditions.as_ref().is_none_or(|c| c.matches(s))
    }

    /// The action.
    pub fn signon(&self) -> &SignOnAction {
        &self.actions.signon
    }
}

fn read_signon(s: &Obj<'_>) -> Result<SignOnAction> {
    s.deny_unknown(&[
        "access",
        "requireFactor",
        "factorPromptMode",
        "factorLifetime",
        "rememberDeviceByDefault",
        "primaryFactor",
        "session",
    ])?;
    let access = s.req_enumv::<Access>("access")?;
    let require_factor = s.boolean("requireFactor")?.unwrap_or(false);
    let mut factor_prompt_mode = s.enumv::<FactorPromptMode>("factorPromptMode")?;
    let mut factor_lifetime = s
        .int("factorLifetime", 1, MAX_SESSION_MINUTES)?
        .and_then(|m| u32::try_from(m).ok());
    if require_factor {
        let mode = factor_prompt_mode.ok_or_else(|| {
            PolicyError::invalid(
                s.at("factorPromptMode"),
                "is required when requireFactor is true",
            )
        })?;
        if mode == FactorPromptMode::Session && factor_lifetime.is_none() {
            factor_lifetime = Some(15);
        }
        if mode != FactorPromptMode::Session && factor_lifetime.is_some() {
            return Err(PolicyError::invalid(
                s.at("factorLifetime"),
                "only applies with factorPromptMode SESSION",
            ));
        }
    } else {
        // Without requireFactor the prompt settings mean nothing; drop them from the canonical form.
        factor_prompt_mode = None;
        factor_lifetime = None;
    }
    let primary_factor = match access {
        Access::Allow => Some(
            s.enumv::<PrimaryFactor>("primaryFactor")?
                .unwrap_or(PrimaryFactor::PasswordIdpAnyFactor),
        ),
        Access::Deny => None,
    };
    let mut session = SessionSettings::default();
    if let Some(o) = s.obj("session")? {
        o.deny_unknown(&[
            "maxSessionIdleMinutes",
            "maxSessionLifetimeMinutes",
            "usePersistentCookie",
        ])?;
        if let Some(m) = o.int("maxSessionIdleMinutes", 1, MAX_SESSION_MINUTES)? {
            session.max_session_idle_minutes = u32::try_from(m).unwrap_or(DEFAULT_IDLE_MINUTES);
        }
        if let Some(m) = o.int("maxSessionLifetimeMinutes", 0, MAX_SESSION_MINUTES)? {
            session.max_session_lifetime_minutes = u32::try_from(m).unwrap_or(0);
        }
        session.use_persistent_cookie = o.boolean("usePersistentCookie")?.unwrap_or(false);
        if session.max_session_lifetime_minutes != 0
            && session.max_session_idle_minutes > session.max_session_lifetime_minutes
        {
            return Err(PolicyError::invalid(
                o.at("maxSessionIdleMinutes"),
                "cannot be longer than maxSessionLifetimeMinutes",
            ));
        }
    }
    Ok(SignOnAction {
        access,
        require_factor,
        factor_prompt_mode,
        factor_lifetime,
        remember_device_by_default: s.boolean("rememberDeviceByDefault")?.unwrap_or(false),
        primary_factor,
        session,
    })
}

deserialize_via_from_json!(SignOnPolicy, SignOnRule);
