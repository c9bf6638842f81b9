//! The decision explainer (ARCHITECTURE "every policy decision can be explained"; threats D.7):
//! which policy and rule matched at each level, which verifications counted for which
//! requirement and why the others did not. Recorded as small structured values while
//! evaluating (cheap on the hot path) and rendered as human-readable lines on demand.

use crate::policy::{PolicyHeader, RuleHeader};
use federa_claims::{FactorVerification, Source};
use serde::Serialize;
use std::fmt::Write as _;

/// Why a verification did not count for a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reject {
    /// Older than `reauthenticateIn` (or the GSP factor lifetime).
    #[serde(rename_all = "camelCase")]
    Stale {
        /// Age in seconds.
        age_seconds: i64,
        /// The limit in seconds.
        limit_seconds: u64,
    },
    /// Its method is in `excludedAuthenticationMethods`.
    Excluded,
    /// Its method is not in `authenticationMethods`.
    NotInAllowList,
    /// Its authenticator type or method is not in the constraint's `types` / `methods`.
    TypeOrMethodNotAllowed,
    /// An AMR value that could stand for several methods, not all of them admitted.
    AmbiguousAmr,
    /// Its method is unknown, so a method-specific constraint cannot admit it.
    UnknownMethod,
    /// It lacks a characteristic the possession constraint requires.
    MissingCharacteristics,
    /// From a Classic-engine org: only counts towards "any 1/2 factor types".
    ClassicFactorCountOnly,
    /// From a Classic-engine org: cannot meet a global-session-policy MFA requirement.
    ClassicNotForSessionMfa,
    /// Third-party AMR never meets an authentication method chain (reference §1.12).
    AmrNotForChains,
    /// An "MFA happened" assertion: counts as two factor types only where no constraint narrows
    /// the methods; never meets a constraint.
    MfaAssertionCountOnly,
    /// Classic-engine org: upstream factors count only when `pwd` or `mfa` is among them.
    ClassicNeedsPasswordOrMfa,
    /// A biometric without a possession factor (reference §1.11): never counted.
    InherenceAlone,
}

impl Reject {
    /// A sentence for the explanation.
    pub fn describe(&self) -> String {
        match self {
            Reject::Stale { age_seconds, limit_seconds } => {
                format!("verified {age_seconds}s ago, older than the {limit_seconds}s re-authentication limit")
            }
            Reject::Excluded => "its method is excluded (excludedAuthenticationMethods)".into(),
            Reject::NotInAllowList => "its method is not among the allowed authenticationMethods".into(),
            Reject::TypeOrMethodNotAllowed => "its authenticator type or method is not allowed by the constraint".into(),
            Reject::AmbiguousAmr => "the AMR value could be several methods and not all of them are allowed".into(),
            Reject::UnknownMethod => "its method is unknown, so a method-specific constraint cannot admit it".into(),
            Reject::MissingCharacteristics => "it lacks a required possession characteristic".into(),
            Reject::ClassicFactorCountOnly => {
                "it comes from a Classic-engine org, which only meets 'any 1/2 factor types'".into()
            }
            Reject::ClassicNotForSessionMfa => {
                "it comes from a Classic-engine org, which cannot meet a global session MFA requirement".into()
            }
            Reject::AmrNotForChains => "third-party AMR cannot meet an authentication method chain".into(),
            Reject::MfaAssertionCountOnly => {
                "an 'mfa' assertion only counts as two factor types where no constraint narrows methods".into()
            }
            Reject::ClassicNeedsPasswordOrMfa => {
                "this org runs the Classic engine, which credits upstream factors only with pwd or mfa".into()
            }
            Reject::InherenceAlone => {
                "a biometric counts only together with a possession factor".into()
            }
        }
    }
}

/// What a verification was used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Use {
    /// The global session policy's factor requirement.
    SessionFactor,
    /// A factor type count of the app sign-in rule (constraint index when constraints exist).
    #[serde(rename_all = "camelCase")]
    FactorTypes {
        /// Constraint index.
        #[serde(skip_serializing_if = "Option::is_none")]
        constraint: Option<usize>,
    },
    /// A knowledge constraint part.
    #[serde(rename_all = "camelCase")]
    Knowledge {
        /// Constraint index.
        constraint: usize,
    },
    /// A possession constraint part.
    #[serde(rename_all = "camelCase")]
    Possession {
        /// Constraint index.
        constraint: usize,
    },
    /// A chain step.
    #[serde(rename_all = "camelCase")]
    ChainStep {
        /// Chain index.
        chain: usize,
        /// Step (0-based).
        step: usize,
    },
}

impl Use {
    fn describe(&self) -> String {
        match self {
            Use::SessionFactor => "the global session policy".into(),
            Use::FactorTypes { constraint: None } => {
                "the factor types of the app sign-in rule".into()
            }
            Use::FactorTypes {
                constraint: Some(i),
            } => format!("the factor types of constraints[{i}]"),
            Use::Knowledge { constraint } => format!("constraints[{constraint}].knowledge"),
            Use::Possession { constraint } => format!("constraints[{constraint}].possession"),
            Use::ChainStep { chain, step } => format!("chains[{chain}] step {}", step + 1),
        }
    }
}

/// What happened to one verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationNote {
    /// Index in the input list.
    pub index: usize,
    /// Requirements it counted for.
    pub counted_for: Vec<Use>,
    /// Requirements it did not count for, with why.
    pub not_counted: Vec<(Use, Reject)>,
}

/// Which policy and rule matched at one level.
#[derive(Clone, Copy, Debug)]
pub struct Matched<'a> {
    /// The policy.
    pub policy: &'a PolicyHeader,
    /// The rule.
    pub rule: &'a RuleHeader,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Event<'a> {
    PolicySkipped {
        level: &'static str,
        policy: &'a PolicyHeader,
    },
    RuleSkipped {
        level: &'static str,
        rule: &'a RuleHeader,
    },
    Matched {
        level: &'static str,
        m: Matched<'a>,
    },
    NoMatch {
        level: &'static str,
    },
    Note(&'static str),
}

/// The trace of one evaluation.
#[derive(Clone, Debug, Default)]
pub struct Explanation<'a> {
    pub(crate) events: Vec<Event<'a>>,
    /// Per-verification notes, in input order.
    pub verifications: Vec<VerificationNote>,
}

fn name_of(h: &PolicyHeader) -> String {
    match &h.id {
        Some(id) => format!("'{}' ({id})", h.name),
        None => format!("'{}'", h.name),
    }
}

fn rule_name(h: &RuleHeader) -> String {
    match &h.id {
        Some(id) => format!("'{}' ({id})", h.name),
        None => format!("'{}'", h.name),
    }
}

/// A short human description of a verification.
pub fn describe_verification(v: &FactorVerification) -> String {
    let mut s = String::new();
    if v.is_mfa_asserted() {
        s.push_str("'mfa' assertion");
    } else {
        match (&v.authenticator_key, &v.method, &v.amr) {
            (Some(k), Some(m), _) => {
                let _ = write!(s, "{k}/{m}");
            }
            (Some(k), None, _) => {
                let _ = write!(s, "{k}");
            }
            (None, _, Some(a)) => {
                let _ = write!(s, "amr '{a}'");
            }
            _ => s.push_str("unnamed factor"),
        }
    }
    match &v.source {
        Source::Local => s.push_str(" (local)"),
        Source::Federated {
            idp_id,
            carrier,
            engine,
        } => {
            let via = serde_json::to_value(carrier).ok();
            let via = via
                .as_ref()
                .and_then(serde_json::Value::as_str)
                .unwrap_or("an unknown carrier");
            let _ = write!(s, " (from IdP {idp_id} via {via}");
            if let Some(e) = engine {
                let _ = write!(s, ", {} engine", e.as_str());
            }
            s.push(')');
        }
    }
    s
}

impl Explanation<'_> {
    /// The explanation as human-readable lines.
    pub fn lines(&self, verifications: &[FactorVerification]) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events {
            out.push(match e {
                Event::PolicySkipped { level, policy } => {
                    format!(
                        "{level} policy {} skipped: its conditions do not match",
                        name_of(policy)
                    )
                }
                Event::RuleSkipped { level, rule } => {
                    format!(
                        "{level} rule {} skipped: its conditions do not match",
                        rule_name(rule)
                    )
                }
                Event::Matched { level, m } => {
                    format!(
                        "{level}: policy {} matched, rule {} applies",
                        name_of(m.policy),
                        rule_name(m.rule)
                    )
                }
                Event::NoMatch { level } => format!("{level}: no active policy and rule matched"),
                Event::Note(n) => (*n).to_owned(),
            });
        }
        for note in &self.verifications {
            let Some(v) = verifications.get(note.index) else {
                continue;
            };
            let what = describe_verification(v);
            if note.counted_for.is_empty() && note.not_counted.is_empty() {
                out.push(format!("{what}: not needed by any requirement"));
            }
            for u in &note.counted_for {
                out.push(format!("{what}: counted for {}", u.describe()));
            }
            for (u, r) in &note.not_counted {
                out.push(format!(
                    "{what}: not counted for {}: {}",
                    u.describe(),
                    r.describe()
                ));
            }
        }
        out
    }
}
