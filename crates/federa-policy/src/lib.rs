//! federa-policy: the policy model and the decision engine every sign-in path asks.
//!
//! It owns the Okta-shaped policy documents of reference `okta-claims-sharing.md` §2.4–§2.9
//! (`OKTA_SIGN_ON`, `ACCESS_POLICY`, `IDP_DISCOVERY`, `MFA_ENROLL`) with tolerant input and one
//! canonical output, save-time validation that names the offending field, the defaults of a new
//! org, the save-time rules and the trust-claims lifecycle guard (§1.12, §1.14), the evaluation of
//! a session's verifications against policy (§1.11–§1.12) with an explanation, IdP routing
//! (§2.7), and the policy simulation answer (CONTRACT §5).
//!
//! Pure: no IO, no clock (`now` is an argument), no global state.

pub mod access;
pub mod catalogue;
pub mod conditions;
pub mod defaults;
pub mod discovery;
pub mod duration;
pub mod enroll;
pub mod error;
pub mod eval;
pub mod ids;
pub mod lifecycle;
pub mod policy;
pub mod refs;
pub mod save_rules;
pub mod sign_on;
pub mod simulate;
pub mod timefmt;
pub(crate) mod wire;

pub use error::{PolicyError, Result, TrustGuardCode};
pub use eval::{
    AuthenticatorMethods, ChallengeOption, Decision, DenyCode, EvaluationInput, Outcome,
    SessionIdp, Unmet, evaluate, local_verification, locally_satisfiable,
};
pub use wire::{WireEnum, parse_json};
