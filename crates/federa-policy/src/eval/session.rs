//! The global session policy's requirements for a session (reference §2.6, §1.11–§1.12):
//! `requireFactor` (two factor types, or an `mfa` assertion; Classic-engine factors never count,
//! reference §1.12), `primaryFactor: PASSWORD_IDP` (a password, or a session from an IdP) and
//! `PASSWORD_IDP_ANY_FACTOR` (at least one factor), each with the local methods that would meet it.
//! `factorPromptMode: SESSION` with `factorLifetime` limits how old a counted factor may be;
//! `ALWAYS` and `DEVICE` count every factor of the session (Federa has no device memory yet; the
//! sign-in flow re-prompts by starting a new flow).

use super::Unmet;
use super::assurance::{self, Alt, Ctx, Tally, method_classes};
use super::credit::fresh_at;
use super::explain::{Reject, Use, VerificationNote};
use crate::duration::IsoDuration;
use crate::sign_on::{FactorPromptMode, PrimaryFactor, SignOnAction};
use federa_claims::{AuthenticatorKey, FactorClass};

pub(crate) fn sign_on_requirements(
    ctx: &Ctx<'_, '_>,
    notes: &mut [VerificationNote],
    a: &SignOnAction,
) -> Vec<Alt> {
    let mut alts = Vec::new();
    if a.require_factor {
        let limit = match (a.factor_prompt_mode, a.factor_lifetime) {
            (Some(FactorPromptMode::Session), Some(m)) => {
                Some(IsoDuration::from_minutes(u64::from(m)))
            }
            _ => None,
        };
        let mut t = Tally::default();
        for c in ctx.creds {
            let from_idp = ctx.is_from_session_idp(c);
            let r = if c.is_classic() {
                Err(Reject::ClassicNotForSessionMfa)
            } else if !c.mfa
                && !c.classes.contains(FactorClass::Knowledge)
                && !c.classes.contains(FactorClass::Possession)
            {
                Err(Reject::InherenceAlone)
            } else {
                c.fresh(limit, ctx.now, ctx.flow)
            };
            if r.is_ok() {
                if c.mfa {
                    t.add_mfa(from_idp);
                } else {
                    t.add(c.classes, from_idp);
                }
            }
            assurance::note(notes, c.index, Use::SessionFactor, r);
        }
        let idp = ctx
            .idp_factor
            .is_some_and(|at| fresh_at(at, limit, ctx.now, ctx.flow).is_ok());
        let have = t.have(idp);
        if have < 2 {
            let mut alt = Alt {
                unmet: vec![Unmet::SessionMfa { have }],
                ..Alt::default()
            };
            let mut reach = t;
            for (li, l) in ctx.locals.iter().enumerate() {
                let classes = method_classes(l.info);
                reach = reach.with_local(classes);
                if t.with_local(classes).have(idp) > have {
                    alt.options.push(li);
                }
            }
            alt.satisfiable = reach.have(idp) >= 2;
            alts.push(alt);
        }
    }
    match a.primary_factor {
        Some(PrimaryFactor::PasswordIdp) => {
            let ok = ctx.federated || ctx.creds.iter().any(|c| c.is_password() && !c.is_classic());
            if !ok {
                let options: Vec<usize> = (0..ctx.locals.len())
                    .filter(|&i| ctx.locals[i].info.key == AuthenticatorKey::OktaPassword)
                    .collect();
                alts.push(Alt {
                    unmet: vec![Unmet::SessionPassword],
                    satisfiable: !options.is_empty(),
                    options,
                });
            }
        }
        Some(PrimaryFactor::PasswordIdpAnyFactor) if !ctx.federated && ctx.creds.is_empty() => {
            let options: Vec<usize> = (0..ctx.locals.len()).collect();
            alts.push(Alt {
                unmet: vec![Unmet::SessionAnyFactor],
                satisfiable: !options.is_empty(),
                options,
            });
        }
        Some(PrimaryFactor::PasswordIdpAnyFactor) | None => {}
    }
    alts
}
