//! `verificationMethod.type: AUTH_METHOD_CHAIN` (reference §2.5): `chains[]` (at most 5), each
//! `{authenticationMethods[], next[] (at most 1), reauthenticateIn}` with a depth of at most 3,
//! and a top-level `reauthenticateIn` that must not be combined with per-chain values. Owns
//! parsing, the depth / count / contradiction checks, and canonical output. Third-party AMR never
//! satisfies a chain (reference §1.12); that rule lives in the evaluator.

use super::constraint::{MethodRef, Requirement, UvMethod};
use crate::duration::IsoDuration;
use crate::error::{PolicyError, Result};
use crate::wire::{Item, Obj, index};
use federa_claims::Characteristics;
use serde::Serialize;

/// Most chains in one rule.
pub const MAX_CHAINS: usize = 5;
/// Deepest chain (a chain, its `next`, and that one's `next`).
pub const MAX_CHAIN_DEPTH: usize = 3;

/// One step's method with optional characteristics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainMethod {
    /// Which authenticator (method).
    #[serde(flatten)]
    pub method: MethodRef,
    /// Hardware-protected key required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware_protection: Option<Requirement>,
    /// Phishing resistance required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phishing_resistant: Option<Requirement>,
    /// User verification required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<Requirement>,
    /// Biometrics / PIN (only with user verification REQUIRED).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_verification_methods: Vec<UvMethod>,
}

impl ChainMethod {
    /// The characteristics a verification must have for this step.
    pub fn required_characteristics(&self) -> Characteristics {
        let r = |x: Option<Requirement>| x.is_some_and(Requirement::is_required);
        Characteristics {
            hardware_protected: r(self.hardware_protection),
            phishing_resistant: r(self.phishing_resistant),
            user_verifying: r(self.user_verification),
            ..Characteristics::NONE
        }
    }
}

/// One chain step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chain {
    /// Any one of these meets this step.
    pub authentication_methods: Vec<ChainMethod>,
    /// The step that must follow (at most one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<Chain>,
    /// Freshness for this step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reauthenticate_in: Option<IsoDuration>,
}

impl Chain {
    fn read(item: &Item<'_>, depth: usize, top_reauth: bool) -> Result<Self> {
        let o = item.obj()?;
        o.deny_unknown(&["authenticationMethods", "next", "reauthenticateIn"])?;
        let mut methods = Vec::new();
        let items = o.array("authenticationMethods")?;
        if items.is_empty() {
            return Err(PolicyError::invalid(
                o.at("authenticationMethods"),
                "needs at least one method",
            ));
        }
        for it in &items {
            methods.push(read_chain_method(it)?);
        }
        let reauthenticate_in = o
            .string("reauthenticateIn")?
            .map(|s| IsoDuration::parse(s, &o.at("reauthenticateIn")))
            .transpose()?;
        if top_reauth && reauthenticate_in.is_some() {
            return Err(PolicyError::invalid(
                o.at("reauthenticateIn"),
                "cannot be combined with verificationMethod.reauthenticateIn",
            ));
        }
        let next_items = o.array("next")?;
        if next_items.len() > 1 {
            return Err(PolicyError::invalid(
                o.at("next"),
                "may hold at most 1 chain",
            ));
        }
        if !next_items.is_empty() && depth >= MAX_CHAIN_DEPTH {
            return Err(PolicyError::invalid(
                o.at("next"),
                format!("chains may be at most {MAX_CHAIN_DEPTH} deep"),
            ));
        }
        let mut next = Vec::new();
        for it in &next_items {
            next.push(Chain::read(it, depth + 1, top_reauth)?);
        }
        Ok(Chain {
            authentication_methods: methods,
            next,
            reauthenticate_in,
        })
    }

    /// Number of steps along this chain (1 + its `next`s).
    pub fn depth(&self) -> usize {
        1 + self.next.first().map_or(0, Chain::depth)
    }
}

fn read_chain_method(item: &Item<'_>) -> Result<ChainMethod> {
    let (method, o): (MethodRef, Obj<'_>) = MethodRef::read(
        item,
        &[
            "hardwareProtection",
            "phishingResistant",
            "userVerification",
            "userVerificationMethods",
        ],
    )?;
    let cm = ChainMethod {
        hardware_protection: o.enumv::<Requirement>("hardwareProtection")?,
        phishing_resistant: o.enumv::<Requirement>("phishingResistant")?,
        user_verification: o.enumv::<Requirement>("userVerification")?,
        user_verification_methods: o.enum_list::<UvMethod>("userVerificationMethods")?,
        method,
    };
    if !cm.user_verification_methods.is_empty()
        && !cm.user_verification.is_some_and(Requirement::is_required)
    {
        return Err(PolicyError::invalid(
            o.at("userVerificationMethods"),
            "only allowed when userVerification is REQUIRED",
        ));
    }
    let need = cm.required_characteristics();
    let best = cm
        .method
        .entries()
        .fold(Characteristics::NONE, |acc, m| acc.union(m.best));
    for (key, needed, have) in [
        (
            "hardwareProtection",
            need.hardware_protected,
            best.hardware_protected,
        ),
        (
            "phishingResistant",
            need.phishing_resistant,
            best.phishing_resistant,
        ),
        ("userVerification", need.user_verifying, best.user_verifying),
    ] {
        if needed && !have {
            return Err(PolicyError::invalid(
                o.at(key),
                format!("is REQUIRED but {} can never meet it", cm.method.key),
            ));
        }
    }
    Ok(cm)
}

/// `verificationMethod` of type `AUTH_METHOD_CHAIN`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthMethodChain {
    /// Any one chain met in full satisfies the rule.
    pub chains: Vec<Chain>,
    /// Freshness for every step (exclusive with per-chain values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reauthenticate_in: Option<IsoDuration>,
}

impl AuthMethodChain {
    pub(crate) fn read(o: &Obj<'_>) -> Result<Self> {
        o.deny_unknown(&["type", "chains", "reauthenticateIn"])?;
        let reauthenticate_in = o
            .string("reauthenticateIn")?
            .map(|s| IsoDuration::parse(s, &o.at("reauthenticateIn")))
            .transpose()?;
        let items = o.array("chains")?;
        if items.is_empty() {
            return Err(PolicyError::invalid(
                o.at("chains"),
                "needs at least one chain",
            ));
        }
        if items.len() > MAX_CHAINS {
            return Err(PolicyError::invalid(
                index(&o.at("chains"), MAX_CHAINS),
                format!(
                    "at most {MAX_CHAINS} chains are allowed, got {}",
                    items.len()
                ),
            ));
        }
        let chains = items
            .iter()
            .map(|it| Chain::read(it, 1, reauthenticate_in.is_some()))
            .collect::<Result<Vec<_>>>()?;
        Ok(AuthMethodChain {
            chains,
            reauthenticate_in,
        })
    }
}
