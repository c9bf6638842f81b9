//! Evaluation of one app sign-in rule's verification method against the credited verifications
//! (reference §1.11–§1.12, §2.5), and what local authenticators could still meet it.
//!
//! `ASSURANCE`: every element of `constraints` (or the rule alone when there are none) is an
//! alternative; an alternative is met when the verifications it admits supply `factorMode`
//! distinct factor classes and every `required` part has a fresh, admitted factor of its class.
//! A constraint part also filters its class: a verification of that class counts only if the
//! part admits it. Opaque factors — the `mfa` assertion (two factor types) and the session's
//! sign-in at its IdP (one factor type, "Any 1 factor type / IdP"; see [`Tally`] for how it
//! combines with that IdP's credited factors) — count only in alternatives whose parts do not
//! narrow methods, and never meet a part. Inherence counts only next to another factor, and a
//! bare biometric is never counted (reference §2.5, §1.11 biometrics).
//!
//! `AUTH_METHOD_CHAIN`: a chain is met when distinct verifications meet its steps in order (each
//! no earlier than the one before), exactly by key and method, with the step's characteristics
//! and freshness. Third-party AMR, Classic-engine factors and `mfa` never meet a step.

use super::credit::{Cred, Origin, fresh_at};
use super::explain::{Reject, Use, VerificationNote};
use super::{LocalMethod, Unmet};
use crate::access::FactorMode;
use crate::access::chain::{AuthMethodChain, Chain};
use crate::access::constraint::ConstraintSet;
use crate::catalogue::MethodInfo;
use crate::duration::IsoDuration;
use federa_claims::{FactorClass, FactorClasses, IdpId};
use federa_types::Timestamp;

/// Shared evaluation context.
pub(crate) struct Ctx<'a, 'b> {
    pub creds: &'b [Cred<'a>],
    pub now: Timestamp,
    pub flow: Option<Timestamp>,
    /// When the session's IdP sign-in counts as a factor: its time.
    pub idp_factor: Option<Timestamp>,
    /// The session came from an IdP.
    pub federated: bool,
    /// That IdP.
    pub session_idp: Option<&'b IdpId>,
    pub locals: &'b [LocalMethod],
}

impl Ctx<'_, '_> {
    /// Whether `c` came from the IdP the session came from.
    pub fn is_from_session_idp(&self, c: &Cred<'_>) -> bool {
        self.session_idp.is_some_and(|s| c.idp() == Some(s))
    }
}

/// One way to meet a requirement, and how far the session is from it.
#[derive(Debug, Default)]
pub(crate) struct Alt {
    pub unmet: Vec<Unmet>,
    pub satisfiable: bool,
    /// Indices into `Ctx::locals` of methods that make progress.
    pub options: Vec<usize>,
}

impl Alt {
    pub fn met(&self) -> bool {
        self.unmet.is_empty()
    }
}

pub(crate) fn note(notes: &mut [VerificationNote], i: usize, u: Use, r: Result<(), Reject>) {
    if let Some(n) = notes.get_mut(i) {
        match r {
            Ok(()) => {
                if !n.counted_for.contains(&u) {
                    n.counted_for.push(u);
                }
            }
            Err(r) => n.not_counted.push((u, r)),
        }
    }
}

/// The classes a local method can add (inherence when it can verify the user).
pub(crate) fn method_classes(m: &MethodInfo) -> FactorClasses {
    let mut c = FactorClasses::EMPTY;
    c.insert(m.class);
    if m.class == FactorClass::Possession && m.best.user_verifying {
        c.insert(FactorClass::Inherence);
    }
    c
}

/// Distinct factor types, where inherence only counts next to something else.
pub(crate) fn count_types(present: FactorClasses, opaque: usize) -> usize {
    let n = present.len() + opaque;
    if present.contains(FactorClass::Inherence) && n == 1 {
        0
    } else {
        n
    }
}

/// Factor types counted under the two readings of a federated session, whose maximum counts:
/// (i) upstream factors set aside and the IdP sign-in counted as one opaque factor type (what
/// the session is worth without trusted claims), (ii) every credited factor counted and no
/// opaque factor (claims sharing). Taking the maximum keeps decisions monotonic — crediting
/// more never lowers the count — and never counts an upstream factor twice.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    /// Classes of every counted verification.
    pub all: FactorClasses,
    /// Classes of counted verifications not from the session's IdP.
    pub local: FactorClasses,
    /// An `mfa` assertion counted.
    pub mfa_all: bool,
    /// An `mfa` assertion not from the session's IdP counted.
    pub mfa_local: bool,
}

impl Tally {
    pub fn add(&mut self, classes: FactorClasses, from_session_idp: bool) {
        self.all = self.all.union(classes);
        if !from_session_idp {
            self.local = self.local.union(classes);
        }
    }

    pub fn add_mfa(&mut self, from_session_idp: bool) {
        self.mfa_all = true;
        self.mfa_local |= !from_session_idp;
    }

    /// `self` plus a locally verified method of `classes`.
    #[must_use]
    pub fn with_local(mut self, classes: FactorClasses) -> Self {
        self.add(classes, false);
        self
    }

    /// Factor types present; `idp` = the session's IdP sign-in may count as one.
    pub fn have(&self, idp: bool) -> usize {
        let mfa = |b: bool, n: usize| if b { n.max(2) } else { n };
        let credited = mfa(self.mfa_all, count_types(self.all, 0));
        let set_aside = mfa(self.mfa_local, count_types(self.local, usize::from(idp)));
        credited.max(set_aside)
    }
}

/// Evaluates one alternative of an `ASSURANCE` rule: `set` is `None` when the rule has no
/// constraints.
pub(crate) fn eval_set(
    ctx: &Ctx<'_, '_>,
    notes: &mut [VerificationNote],
    set: Option<(usize, &ConstraintSet)>,
    mode: FactorMode,
    vm_reauth: Option<IsoDuration>,
) -> Alt {
    let ci = set.map(|(i, _)| i);
    let k = set.and_then(|(_, s)| s.knowledge.as_ref());
    let p = set.and_then(|(_, s)| s.possession.as_ref());
    let narrowing =
        k.is_some_and(|k| k.filter.is_specific()) || p.is_some_and(|p| p.filter.is_specific());
    let count_use = Use::FactorTypes { constraint: ci };
    let (mut t, mut k_met, mut p_met) = (Tally::default(), false, false);
    for c in ctx.creds {
        let from_idp = ctx.is_from_session_idp(c);
        if c.mfa {
            let r = if narrowing {
                Err(Reject::MfaAssertionCountOnly)
            } else {
                c.fresh(vm_reauth, ctx.now, ctx.flow)
            };
            if r.is_ok() {
                t.add_mfa(from_idp);
            }
            note(notes, c.index, count_use, r);
            continue;
        }
        let Some(class) = c.primary else { continue };
        if !c.classes.contains(FactorClass::Knowledge)
            && !c.classes.contains(FactorClass::Possession)
        {
            note(notes, c.index, count_use, Err(Reject::InherenceAlone));
            continue;
        }
        let idx = ci.unwrap_or(0);
        let (part, reauth, verdict) = match (class, k, p) {
            (FactorClass::Knowledge, Some(kc), _) => (
                Some(Use::Knowledge { constraint: idx }),
                kc.filter.reauthenticate_in,
                c.admitted_by(&kc.filter),
            ),
            (FactorClass::Possession, _, Some(pc)) => (
                Some(Use::Possession { constraint: idx }),
                pc.filter.reauthenticate_in,
                c.admitted_by_possession(pc),
            ),
            _ => (None, None, Ok(())),
        };
        let u = part.unwrap_or(count_use);
        let r = if part.is_some() && c.is_classic() {
            Err(Reject::ClassicFactorCountOnly)
        } else {
            c.fresh(reauth.or(vm_reauth), ctx.now, ctx.flow)
                .and(verdict)
        };
        if r.is_ok() {
            t.add(c.classes, from_idp);
            k_met |= class == FactorClass::Knowledge;
            p_met |= class == FactorClass::Possession;
        }
        note(notes, c.index, u, r);
    }
    let idp = !narrowing
        && ctx
            .idp_factor
            .is_some_and(|at| fresh_at(at, vm_reauth, ctx.now, ctx.flow).is_ok());
    let have = t.have(idp);
    let need = mode.classes();
    let k_missing = k.is_some_and(|k| k.filter.required) && !k_met;
    let p_missing = p.is_some_and(|p| p.filter.required) && !p_met;

    let mut alt = Alt::default();
    if have < need {
        alt.unmet.push(Unmet::FactorTypes {
            need,
            have,
            constraint: ci,
        });
    }
    if k_missing {
        alt.unmet.push(Unmet::Knowledge {
            constraint: ci.unwrap_or(0),
        });
    }
    if let (true, Some(pc)) = (p_missing, p) {
        alt.unmet.push(Unmet::Possession {
            constraint: ci.unwrap_or(0),
            characteristics: pc.required_characteristics(),
        });
    }
    if alt.met() {
        alt.satisfiable = true;
        return alt;
    }
    // What local methods this alternative admits, and which make progress.
    let admit = |m: &MethodInfo| match m.class {
        FactorClass::Knowledge => k.is_none_or(|k| k.filter.admits(m)),
        FactorClass::Possession => {
            p.is_none_or(|p| p.filter.admits(m) && m.best.covers(p.required_characteristics()))
        }
        FactorClass::Inherence => true,
    };
    let mut k_ok = !k_missing;
    let mut p_ok = !p_missing;
    // Meeting the missing parts adds their classes; only if that is still short of `need` do
    // methods that merely add another class help.
    let mut after_parts = t;
    if k_missing {
        after_parts = after_parts.with_local(FactorClasses::from_iter([FactorClass::Knowledge]));
    }
    if p_missing {
        after_parts = after_parts.with_local(FactorClasses::from_iter([FactorClass::Possession]));
    }
    let count_short = after_parts.have(idp) < need;
    let mut reach = t;
    for (li, l) in ctx.locals.iter().enumerate() {
        if !admit(l.info) {
            continue;
        }
        let classes = method_classes(l.info);
        reach = reach.with_local(classes);
        let helps_k = k_missing && l.info.class == FactorClass::Knowledge;
        let helps_p = p_missing && l.info.class == FactorClass::Possession;
        let adds = t.with_local(classes).have(idp) > have;
        let helps_count = have < need && adds && (count_short || helps_k || helps_p);
        k_ok |= helps_k;
        p_ok |= helps_p;
        if helps_k || helps_p || helps_count {
            alt.options.push(li);
        }
    }
    alt.satisfiable = k_ok && p_ok && reach.have(idp) >= need;
    alt
}

fn step_at(chain: &Chain, depth: usize) -> Option<&Chain> {
    let mut c = chain;
    for _ in 0..depth {
        c = c.next.first()?;
    }
    Some(c)
}

/// Longest prefix of steps met from `step` on, with the verifications used (by cred position).
fn walk(
    ctx: &Ctx<'_, '_>,
    step: &Chain,
    top: Option<IsoDuration>,
    after: Option<Timestamp>,
    used: &mut Vec<usize>,
) -> Vec<usize> {
    let mut best: Vec<usize> = Vec::new();
    for (pos, c) in ctx.creds.iter().enumerate() {
        if used.contains(&pos) || c.mfa || c.origin == Origin::Amr || c.is_classic() {
            continue;
        }
        if after.is_some_and(|t| c.v.verified_at < t) {
            continue;
        }
        if c.fresh(step.reauthenticate_in.or(top), ctx.now, ctx.flow)
            .is_err()
        {
            continue;
        }
        let fits = step.authentication_methods.iter().any(|m| {
            c.is_exactly(&m.method.key, m.method.method.as_ref())
                && c.v.characteristics.covers(m.required_characteristics())
        });
        if !fits {
            continue;
        }
        used.push(pos);
        let mut path = vec![pos];
        if let Some(next) = step.next.first() {
            path.extend(walk(ctx, next, top, Some(c.v.verified_at), used));
        }
        used.pop();
        if path.len() > best.len() {
            best = path;
        }
    }
    best
}

/// Evaluates every chain of an `AUTH_METHOD_CHAIN` rule; each is an alternative.
pub(crate) fn eval_chains(
    ctx: &Ctx<'_, '_>,
    notes: &mut [VerificationNote],
    amc: &AuthMethodChain,
) -> Vec<Alt> {
    let mut alts = Vec::new();
    for (ci, chain) in amc.chains.iter().enumerate() {
        for c in ctx.creds {
            let r = if c.origin == Origin::Amr {
                Some(Reject::AmrNotForChains)
            } else if c.is_classic() {
                Some(Reject::ClassicFactorCountOnly)
            } else if c.mfa {
                Some(Reject::MfaAssertionCountOnly)
            } else {
                None
            };
            if let Some(r) = r {
                note(
                    notes,
                    c.index,
                    Use::ChainStep { chain: ci, step: 0 },
                    Err(r),
                );
            }
        }
        let path = walk(ctx, chain, amc.reauthenticate_in, None, &mut Vec::new());
        for (step, pos) in path.iter().enumerate() {
            if let Some(c) = ctx.creds.get(*pos) {
                note(notes, c.index, Use::ChainStep { chain: ci, step }, Ok(()));
            }
        }
        let depth = chain.depth();
        let mut alt = Alt::default();
        if path.len() >= depth {
            alt.satisfiable = true;
            alts.push(alt);
            continue;
        }
        alt.unmet.push(Unmet::ChainStep {
            chain: ci,
            step: path.len(),
        });
        let local_fits = |s: &Chain, l: &LocalMethod| {
            s.authentication_methods.iter().any(|m| {
                m.method.covers(&l.info.key, &l.info.method)
                    && l.info.best.covers(m.required_characteristics())
            })
        };
        if let Some(next) = step_at(chain, path.len()) {
            alt.options = (0..ctx.locals.len())
                .filter(|&li| local_fits(next, &ctx.locals[li]))
                .collect();
        }
        alt.satisfiable = (path.len()..depth).all(|d| {
            step_at(chain, d).is_some_and(|s| ctx.locals.iter().any(|l| local_fits(s, l)))
        });
        alts.push(alt);
    }
    alts
}
