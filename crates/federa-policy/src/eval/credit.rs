//! How one verification can count in policy (reference §1.11–§1.12): its origin (local, an
//! Okta-style org over `okta_auth` / `OktaAuth`, or third-party AMR), which local authenticator
//! methods it may stand for, freshness against `reauthenticateIn`, and admission by a
//! constraint's filters.
//!
//! Federa deviation (documented for admins): with allow-specific (`authenticationMethods`) or
//! disallow-specific (`excludedAuthenticationMethods`) methods, Okta switches third-party AMR off
//! entirely; Federa instead *filters* AMR values like Okta-to-Okta claims. An AMR value that could
//! stand for several methods (`otp`, `hwk`, `swk`, `pop`, `phr`, `phrh`) is only admitted when
//! every method it could be passes the filter, and is refused when any of them is excluded, so
//! ambiguity never widens what counts.

use super::explain::Reject;
use crate::access::constraint::{MethodFilter, PossessionConstraint};
use crate::catalogue::{self, MethodInfo};
use crate::duration::IsoDuration;
use federa_claims::{
    AuthenticatorKey, Carrier, Engine, FactorClass, FactorClasses, FactorVerification, IdpId,
    MethodType, Source,
};
use federa_types::Timestamp;

/// Where a verification came from, as far as policy semantics differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Verified by this org.
    Local,
    /// From an Okta-style org's `okta_auth` / `OktaAuth` payload; `classic` when that org said it
    /// runs the Classic engine.
    OktaOrg {
        /// Classic-engine IdP org (reference §1.12: only factor counts, never constraints).
        classic: bool,
    },
    /// Third-party (or legacy-mapped) AMR values: never meet a chain.
    Amr,
}

/// A verification prepared for evaluation.
#[derive(Clone, Debug)]
pub(crate) struct Cred<'a> {
    pub index: usize,
    pub v: &'a FactorVerification,
    pub origin: Origin,
    pub classes: FactorClasses,
    pub primary: Option<FactorClass>,
    pub mfa: bool,
    /// Catalogue methods it may stand for (one when exactly known).
    pub cands: Vec<&'static MethodInfo>,
}

pub(crate) fn origin_of(v: &FactorVerification) -> Origin {
    match &v.source {
        Source::Local => Origin::Local,
        Source::Federated {
            carrier, engine, ..
        } => match carrier {
            Carrier::OktaAuthSaml | Carrier::OktaAuthOidc => Origin::OktaOrg {
                classic: *engine == Some(Engine::Classic),
            },
            _ => Origin::Amr,
        },
    }
}

fn candidates(v: &FactorVerification) -> Vec<&'static MethodInfo> {
    match (&v.authenticator_key, &v.method) {
        (Some(k), Some(m)) => catalogue::lookup(k, m).into_iter().collect(),
        (Some(k), None) => catalogue::methods_of(k).collect(),
        (None, _) => match &v.amr {
            Some(amr) => catalogue::amr_candidates(amr)
                .iter()
                .filter_map(|(k, m)| catalogue::lookup(k, m))
                .collect(),
            None => Vec::new(),
        },
    }
}

impl<'a> Cred<'a> {
    pub fn new(index: usize, v: &'a FactorVerification) -> Self {
        Cred {
            index,
            v,
            origin: origin_of(v),
            classes: v.factor_classes(),
            primary: if v.is_mfa_asserted() {
                None
            } else {
                v.factor_class
            },
            mfa: v.is_mfa_asserted(),
            cands: candidates(v),
        }
    }

    pub fn is_classic(&self) -> bool {
        self.origin == Origin::OktaOrg { classic: true }
    }

    pub fn idp(&self) -> Option<&IdpId> {
        self.v.source.idp_id()
    }

    /// Whether it is a password verification (local, `okta_auth`, or AMR `pwd`).
    pub fn is_password(&self) -> bool {
        self.primary == Some(FactorClass::Knowledge)
            && !self.cands.is_empty()
            && self
                .cands
                .iter()
                .all(|m| m.key == AuthenticatorKey::OktaPassword)
    }

    /// `Ok` when verified within `limit` of `now`, or during the current sign-in flow.
    pub fn fresh(
        &self,
        limit: Option<IsoDuration>,
        now: Timestamp,
        flow: Option<Timestamp>,
    ) -> Result<(), Reject> {
        fresh_at(self.v.verified_at, limit, now, flow)
    }

    /// Admission by a constraint part's method filter (`types`, `methods`, allow / disallow).
    pub fn admitted_by(&self, f: &MethodFilter) -> Result<(), Reject> {
        if !f.is_specific() {
            return Ok(());
        }
        if self.cands.is_empty() {
            return Err(Reject::UnknownMethod);
        }
        let excluded = |m: &MethodInfo| {
            f.excluded_authentication_methods
                .iter()
                .any(|r| r.covers(&m.key, &m.method))
        };
        if self.cands.iter().any(|m| excluded(m)) {
            return Err(if self.cands.iter().all(|m| excluded(m)) {
                Reject::Excluded
            } else {
                Reject::AmbiguousAmr
            });
        }
        if self.cands.iter().all(|m| f.admits(m)) {
            return Ok(());
        }
        if self.cands.len() > 1 && self.cands.iter().any(|m| f.admits(m)) {
            return Err(Reject::AmbiguousAmr);
        }
        if !f.authentication_methods.is_empty() {
            Err(Reject::NotInAllowList)
        } else {
            Err(Reject::TypeOrMethodNotAllowed)
        }
    }

    /// Admission by a possession part: its filter, then its characteristics.
    pub fn admitted_by_possession(&self, p: &PossessionConstraint) -> Result<(), Reject> {
        self.admitted_by(&p.filter)?;
        if self.v.characteristics.covers(p.required_characteristics()) {
            Ok(())
        } else {
            Err(Reject::MissingCharacteristics)
        }
    }

    /// Whether the chain method `(key, method)` is exactly this verification.
    pub fn is_exactly(&self, key: &AuthenticatorKey, method: Option<&MethodType>) -> bool {
        self.cands.len() == 1
            && self
                .cands
                .iter()
                .all(|m| &m.key == key && method.is_none_or(|x| x == &m.method))
            && self.v.authenticator_key.as_ref() == Some(key)
    }
}

/// Freshness of a verification made at `at`.
pub(crate) fn fresh_at(
    at: Timestamp,
    limit: Option<IsoDuration>,
    now: Timestamp,
    flow: Option<Timestamp>,
) -> Result<(), Reject> {
    let Some(limit) = limit else { return Ok(()) };
    if flow.is_some_and(|f| at >= f) {
        return Ok(());
    }
    let age = now.millis().saturating_sub(at.millis());
    if age <= limit.millis() {
        Ok(())
    } else {
        Err(Reject::Stale {
            age_seconds: age / 1000,
            limit_seconds: limit.seconds(),
        })
    }
}
