//! The decision engine every sign-in path asks (ARCHITECTURE "main flows"; reference §1.11–§1.12,
//! §2.4–§2.6, §2.9; threats D.6): given the org's global session policies, the app's
//! authentication policy and a session's credited verifications, answer ALLOW, CHALLENGE (with
//! what is unmet and which local authenticators could meet it) or DENY, with an explanation.
//!
//! Order: global session policy (first matching active policy, first matching active rule; a
//! policy whose rules all miss falls through to the next), then the app's authentication
//! policy. Every unmet requirement must be locally satisfiable (an active authenticator the
//! enrollment policy does not disable, enrolled or enrollable) or the answer is DENY
//! `UNMET_AUTHENTICATION_REQUIREMENTS`; absent upstream claims therefore lead to a local
//! top-up, never to a lockout (threats T8).
//!
//! Counting (reference §2.5, §1.11–§1.12): `factorMode` needs that many distinct factor classes;
//! a user-verifying possession factor adds inherence; a bare biometric never counts. An `mfa`
//! assertion (third-party `mfa`, Classic `mfaVerified`) counts as two types but meets no
//! constraint. A federated session's sign-in at its IdP counts as one factor type ("Any 1 factor
//! type / IdP") in the reading where that IdP's credited factors are set aside; the larger of that
//! reading and the credited factors alone counts (see `assurance::Tally`), so crediting more never
//! lowers a count and no upstream factor counts twice. Verification times are the upstream ones
//! (`verificationTimestamp`, `auth_time`), checked against `reauthenticateIn` (constraint level
//! first), except for verifications made during the current flow (`flow_started_at`).
//!
//! Local options honour MFA_ENROLL (reference §2.9): an authenticator set to `NOT_ALLOWED` can
//! neither be enrolled nor challenged (Okta Identity Engine behaviour), an enrollment rule of
//! `NEVER*` allows only what the user already has, and without any applicable enrollment policy
//! only enrolled authenticators are offered.
//!
//! Classic engine (this org, `engine: CLASSIC`, reference §1.12): a federated session's upstream
//! factors count only when `pwd` or `mfa` is among them; otherwise they are set aside and a local
//! possession factor is required. Classic-engine IdP orgs' factors (SP on the Identity engine)
//! meet only factor counts, never constraints, chains or a global-session MFA requirement.
//!
//! Federa deviation: third-party AMR is filtered by allow- / disallow-specific methods instead of
//! being switched off (see `credit`).

mod assurance;
mod credit;
mod decision;
pub mod explain;
mod session;

use crate::access::{AccessPolicy, AccessRule, VerificationMethod};
use crate::catalogue::{self, MethodInfo};
use crate::conditions::Subject;
use crate::enroll::{EnrollSelf, EnrollmentView, MfaEnrollPolicy};
use crate::ids::ZoneId;
use crate::policy::{Access, PolicyHeader, RuleHeader, evaluation_order};
use crate::sign_on::{SessionSettings, SignOnPolicy, SignOnRule};
use assurance::{Alt, Ctx};
pub use credit::Origin as VerificationOrigin;
use credit::{Cred, Origin};
pub use decision::{ChallengeOption, Decision, DenyCode, Unmet};
use explain::{Event, Explanation, Matched, Reject, Use, VerificationNote};
use federa_claims::{AuthenticatorKey, Engine, FactorClass, FactorVerification, IdpId, MethodType};
use federa_types::{GroupId, Timestamp, UserId};

/// The IdP a federated session came from.
#[derive(Clone, Copy, Debug)]
pub struct SessionIdp<'a> {
    /// The IdP object in this org.
    pub idp_id: &'a IdpId,
    /// When the IdP sign-in completed here (the session's federated authentication time).
    pub authenticated_at: Timestamp,
}

/// An authenticator with some of its methods (empty `methods` = all of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatorMethods {
    /// Authenticator key.
    pub key: AuthenticatorKey,
    /// Methods; empty = every method of the authenticator.
    pub methods: Vec<MethodType>,
}

impl AuthenticatorMethods {
    /// Every method of `key`.
    pub fn all(key: AuthenticatorKey) -> Self {
        AuthenticatorMethods {
            key,
            methods: Vec::new(),
        }
    }

    fn covers(&self, m: &MethodInfo) -> bool {
        self.key == m.key && (self.methods.is_empty() || self.methods.contains(&m.method))
    }
}

/// Everything one decision looks at. Plain data; the caller loads it.
#[derive(Clone, Copy, Debug)]
pub struct EvaluationInput<'a> {
    /// The org's `OKTA_SIGN_ON` policies with their rules.
    pub sign_on_policies: &'a [SignOnPolicy],
    /// The app's `ACCESS_POLICY` with its rules; `None` for a sign-in to no app (dashboard).
    pub access_policy: Option<&'a AccessPolicy>,
    /// The user.
    pub user: &'a UserId,
    /// The user's groups.
    pub groups: &'a [GroupId],
    /// Network zones the request IP falls in.
    pub zones: &'a [ZoneId],
    /// The session's credited verifications (local ones and those `federa-claims` credited).
    pub verifications: &'a [FactorVerification],
    /// Now.
    pub now: Timestamp,
    /// Start of the current sign-in flow: verifications made since then are fresh whatever
    /// `reauthenticateIn` says (so `PT0S` means "in this flow", not "never").
    pub flow_started_at: Option<Timestamp>,
    /// The IdP the session came from, if federated.
    pub session_idp: Option<SessionIdp<'a>>,
    /// What the user has enrolled.
    pub enrolled: &'a [AuthenticatorMethods],
    /// The org's active authenticators and methods.
    pub active_authenticators: &'a [AuthenticatorMethods],
    /// The org's `MFA_ENROLL` policies with their rules.
    pub enroll_policies: &'a [MfaEnrollPolicy],
    /// This org's engine.
    pub engine: Engine,
}

/// A decision with its explanation.
#[derive(Clone, Debug)]
pub struct Outcome<'a> {
    /// The answer.
    pub decision: Decision,
    /// The global session policy and rule that applied.
    pub sign_on: Option<Matched<'a>>,
    /// The app sign-in policy and rule that applied.
    pub access: Option<Matched<'a>>,
    /// The session lifetimes of the applied global session rule.
    pub session: Option<&'a SessionSettings>,
    /// Which verifications counted for what, and the trace.
    pub explanation: Explanation<'a>,
}

impl Outcome<'_> {
    /// The explanation as lines (needs the verifications the evaluation saw).
    pub fn explanation_lines(&self, verifications: &[FactorVerification]) -> Vec<String> {
        let mut lines = self.explanation.lines(verifications);
        match &self.decision {
            Decision::Allow => lines.push("decision: ALLOW".into()),
            Decision::Challenge { unmet, .. } => {
                for u in unmet {
                    lines.push(format!("unmet: {}", u.describe()));
                }
                lines.push("decision: CHALLENGE".into());
            }
            Decision::Deny { code, reason } => {
                lines.push(format!("decision: DENY ({}): {reason}", code.as_str()))
            }
        }
        lines
    }
}

/// A local method the user may be challenged with (or enroll in).
#[derive(Clone, Debug)]
pub(crate) struct LocalMethod {
    pub info: &'static MethodInfo,
    pub enrolled: bool,
}

fn local_methods(input: &EvaluationInput<'_>, view: &EnrollmentView<'_>) -> Vec<LocalMethod> {
    let mut out = Vec::new();
    for info in catalogue::METHODS {
        if !input.active_authenticators.iter().any(|a| a.covers(info)) {
            continue;
        }
        let enrolled = input.enrolled.iter().any(|e| e.covers(info));
        // No applicable enrollment policy: what the user has stays usable, nothing is enrollable.
        if view.policy.is_some() && view.requirement(&info.key) == EnrollSelf::NotAllowed {
            continue;
        }
        if enrolled || view.enrollment_allowed {
            out.push(LocalMethod { info, enrolled });
        }
    }
    out
}

/// First matching active policy, then its first matching active rule (policies whose rules all
/// miss fall through).
#[allow(clippy::too_many_arguments)]
fn select<'a, P, R>(
    level: &'static str,
    policies: &'a [P],
    s: &Subject<'_>,
    ph: fn(&P) -> &PolicyHeader,
    pm: fn(&P, &Subject<'_>) -> bool,
    rules: fn(&P) -> &[R],
    rh: fn(&R) -> &RuleHeader,
    rm: fn(&R, &Subject<'_>) -> bool,
    events: &mut Vec<Event<'a>>,
) -> Option<(&'a P, &'a R)> {
    for pi in evaluation_order(policies, |p| ph(p)) {
        let p = &policies[pi];
        let rs = rules(p);
        if !pm(p, s) {
            events.push(Event::PolicySkipped {
                level,
                policy: ph(p),
            });
            continue;
        }
        for ri in evaluation_order(rs, |r| rh(r)) {
            let r = &rs[ri];
            if rm(r, s) {
                events.push(Event::Matched {
                    level,
                    m: Matched {
                        policy: ph(p),
                        rule: rh(r),
                    },
                });
                return Some((p, r));
            }
            events.push(Event::RuleSkipped { level, rule: rh(r) });
        }
    }
    events.push(Event::NoMatch { level });
    None
}

const GSP: &str = "global session policy";
const APP: &str = "app sign-in policy";

fn access_requirements(
    ctx: &Ctx<'_, '_>,
    notes: &mut [VerificationNote],
    rule: &AccessRule,
) -> Vec<Alt> {
    match &rule.app_sign_on().verification_method {
        None => Vec::new(),
        Some(VerificationMethod::Assurance(a)) => {
            if a.constraints.is_empty() {
                vec![assurance::eval_set(
                    ctx,
                    notes,
                    None,
                    a.factor_mode,
                    a.reauthenticate_in,
                )]
            } else {
                a.constraints
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        assurance::eval_set(
                            ctx,
                            notes,
                            Some((i, s)),
                            a.factor_mode,
                            a.reauthenticate_in,
                        )
                    })
                    .collect()
            }
        }
        Some(VerificationMethod::AuthMethodChain(c)) => assurance::eval_chains(ctx, notes, c),
    }
}

fn deny(code: DenyCode, reason: String) -> Decision {
    Decision::Deny { code, reason }
}

/// Decides whether a session may proceed. See the module documentation for the semantics.
pub fn evaluate<'a>(input: &EvaluationInput<'a>) -> Outcome<'a> {
    let subject = Subject {
        user: input.user,
        groups: input.groups,
        zones: input.zones,
        session_idp: input.session_idp.map(|s| s.idp_id),
    };
    let mut explanation = Explanation {
        events: Vec::new(),
        verifications: (0..input.verifications.len())
            .map(|index| VerificationNote {
                index,
                ..VerificationNote::default()
            })
            .collect(),
    };
    let mut outcome = Outcome {
        decision: Decision::Allow,
        sign_on: None,
        access: None,
        session: None,
        explanation: Explanation::default(),
    };

    let mut creds: Vec<Cred<'a>> = input
        .verifications
        .iter()
        .enumerate()
        .map(|(i, v)| Cred::new(i, v))
        .collect();
    let mut classic_needs_local_mfa = false;
    if input.engine == Engine::Classic && input.session_idp.is_some() {
        let upstream_ok = creds
            .iter()
            .any(|c| c.origin != Origin::Local && (c.is_password() || c.mfa));
        if !upstream_ok {
            for c in creds.iter().filter(|c| c.origin != Origin::Local) {
                assurance::note(
                    &mut explanation.verifications,
                    c.index,
                    Use::FactorTypes { constraint: None },
                    Err(Reject::ClassicNeedsPasswordOrMfa),
                );
            }
            creds.retain(|c| c.origin == Origin::Local);
            classic_needs_local_mfa = true;
            explanation.events.push(Event::Note("Classic engine: the identity provider sent neither pwd nor mfa, so a local MFA factor is required"));
        }
    }
    let idp_factor = input.session_idp.map(|s| s.authenticated_at);
    if idp_factor.is_some() {
        explanation.events.push(Event::Note(
            "federated session: the sign-in at the identity provider counts as one factor type when its credited factors are set aside",
        ));
    }

    let sign_on = select(
        GSP,
        input.sign_on_policies,
        &subject,
        |p: &SignOnPolicy| &p.header,
        SignOnPolicy::matches,
        |p| &p.rules,
        |r: &SignOnRule| &r.header,
        SignOnRule::matches,
        &mut explanation.events,
    );
    let Some((gsp, gsp_rule)) = sign_on else {
        outcome.decision = deny(
            DenyCode::NoMatchingRule,
            "no global session policy rule applies to this user".into(),
        );
        outcome.explanation = explanation;
        return outcome;
    };
    outcome.sign_on = Some(Matched {
        policy: &gsp.header,
        rule: &gsp_rule.header,
    });
    outcome.session = Some(&gsp_rule.signon().session);
    if gsp_rule.signon().access == Access::Deny {
        outcome.decision = deny(
            DenyCode::AccessDenied,
            format!(
                "global session policy rule '{}' denies access",
                gsp_rule.header.name
            ),
        );
        outcome.explanation = explanation;
        return outcome;
    }

    let access_rule = match input.access_policy {
        None => None,
        Some(ap) => {
            let found = select(
                APP,
                std::slice::from_ref(ap),
                &subject,
                |p: &AccessPolicy| &p.header,
                |_, _| true,
                |p| &p.rules,
                |r: &AccessRule| &r.header,
                AccessRule::matches,
                &mut explanation.events,
            );
            let Some((_, rule)) = found else {
                outcome.decision = deny(
                    DenyCode::NoMatchingRule,
                    format!("no rule of app sign-in policy '{}' applies", ap.header.name),
                );
                outcome.explanation = explanation;
                return outcome;
            };
            outcome.access = Some(Matched {
                policy: &ap.header,
                rule: &rule.header,
            });
            if rule.app_sign_on().access == Access::Deny {
                outcome.decision = deny(
                    DenyCode::AccessDenied,
                    format!("app sign-in rule '{}' denies access", rule.header.name),
                );
                outcome.explanation = explanation;
                return outcome;
            }
            Some(rule)
        }
    };

    let view = EnrollmentView::select(input.enroll_policies, &subject);
    let locals = local_methods(input, &view);
    let ctx = Ctx {
        creds: &creds,
        now: input.now,
        flow: input.flow_started_at,
        idp_factor,
        federated: input.session_idp.is_some(),
        session_idp: input.session_idp.map(|s| s.idp_id),
        locals: &locals,
    };
    let notes = &mut explanation.verifications;

    // Requirements that must all hold (AND): the GSP's and Classic's local MFA.
    let mut musts = session::sign_on_requirements(&ctx, notes, gsp_rule.signon());
    if classic_needs_local_mfa
        && !creds
            .iter()
            .any(|c| c.origin == Origin::Local && c.primary == Some(FactorClass::Possession))
    {
        let options: Vec<usize> = (0..locals.len())
            .filter(|&i| locals[i].info.class == FactorClass::Possession)
            .collect();
        musts.push(Alt {
            unmet: vec![Unmet::ClassicLocalMfa],
            satisfiable: !options.is_empty(),
            options,
        });
    }
    // The app rule's alternatives (OR).
    let alts = access_rule
        .map(|r| access_requirements(&ctx, notes, r))
        .unwrap_or_default();
    let app_met = alts.is_empty() || alts.iter().any(Alt::met);

    if musts.is_empty() && app_met {
        outcome.explanation = explanation;
        return outcome;
    }
    let mut unmet: Vec<Unmet> = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    let mut blocked: Vec<&Unmet> = Vec::new();
    for m in &musts {
        unmet.extend(m.unmet.iter().cloned());
        if m.satisfiable {
            chosen.extend(&m.options);
        } else {
            blocked.extend(m.unmet.iter());
        }
    }
    if !app_met {
        let mut any_ok = false;
        for a in &alts {
            unmet.extend(a.unmet.iter().cloned());
            if a.satisfiable {
                any_ok = true;
                chosen.extend(&a.options);
            }
        }
        if !any_ok {
            blocked.extend(alts.iter().flat_map(|a| a.unmet.iter()));
        }
    }
    if !blocked.is_empty() {
        let what: Vec<String> = blocked.iter().map(|u| u.describe()).collect();
        outcome.decision = deny(
            DenyCode::UnmetAuthenticationRequirements,
            format!(
                "no active authenticator this user may use or enroll in can meet: {}",
                what.join("; ")
            ),
        );
        outcome.explanation = explanation;
        return outcome;
    }
    chosen.sort_unstable_by_key(|&i| (!locals[i].enrolled, i));
    chosen.dedup();
    let options = chosen
        .into_iter()
        .map(|i| ChallengeOption {
            authenticator_key: locals[i].info.key.clone(),
            method_type: locals[i].info.method.clone(),
            enrolled: locals[i].enrolled,
            needs_enrollment: !locals[i].enrolled,
        })
        .collect();
    outcome.decision = Decision::Challenge { unmet, options };
    outcome.explanation = explanation;
    outcome
}

/// Whether local authenticators alone (`active`, everyone enrolled) could meet an app sign-in
/// rule: used by the trust-claims lifecycle guard to tell rules that depend on trusted claims.
pub fn locally_satisfiable(rule: &AccessRule, active: &[AuthenticatorMethods]) -> bool {
    let locals: Vec<LocalMethod> = catalogue::METHODS
        .iter()
        .filter(|m| active.iter().any(|a| a.covers(m)))
        .map(|info| LocalMethod {
            info,
            enrolled: true,
        })
        .collect();
    let ctx = Ctx {
        creds: &[],
        now: Timestamp(0),
        flow: None,
        idp_factor: None,
        federated: false,
        session_idp: None,
        locals: &locals,
    };
    let alts = access_requirements(&ctx, &mut [], rule);
    alts.is_empty() || alts.iter().any(|a| a.met() || a.satisfiable)
}

/// A local verification of `key` / `method` at `at`, with the method's class and the strongest
/// characteristics it can have (simulation and tests; real local sign-ins record what the
/// ceremony proved). `None` when the pair is not in the catalogue.
pub fn local_verification(
    key: &AuthenticatorKey,
    method: &MethodType,
    at: Timestamp,
) -> Option<FactorVerification> {
    let info = catalogue::lookup(key, method)?;
    Some(FactorVerification {
        authenticator_key: Some(info.key.clone()),
        method: Some(info.method.clone()),
        amr: None,
        factor_class: Some(info.class),
        characteristics: info.best,
        kind: federa_claims::VerificationKind::Factor,
        verified_at: at,
        source: federa_claims::Source::Local,
    })
}
