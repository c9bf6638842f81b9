//! Save-time rules that need more than the document itself (reference §1.12 "Global session
//! policy"): a `SIGN_ON` rule with `requireFactor: true` can be saved only when the org's active
//! authenticators can supply two factor types, or when an active IdP with `trustClaims` exists
//! whose claims can satisfy it. Plain data in, [`PolicyError::Unsatisfiable`] out (API 400
//! `E0000001` naming `actions.signon.requireFactor`).

use crate::catalogue;
use crate::error::{PolicyError, Result};
use crate::eval::AuthenticatorMethods;
use crate::policy::Access;
use crate::sign_on::SignOnRule;
use federa_claims::{FactorClass, FactorClasses};

/// How many factor types the org's active authenticators can supply (inherence counts when a
/// user-verifying possession method is active, and only next to another type).
pub fn local_factor_types(active: &[AuthenticatorMethods]) -> usize {
    let mut classes = FactorClasses::EMPTY;
    for m in catalogue::METHODS {
        let on = active
            .iter()
            .any(|a| a.key == m.key && (a.methods.is_empty() || a.methods.contains(&m.method)));
        if on {
            classes.insert(m.class);
            if m.class == FactorClass::Possession && m.best.user_verifying {
                classes.insert(FactorClass::Inherence);
            }
        }
    }
    let n = classes.len();
    if classes.contains(FactorClass::Inherence) && n == 1 {
        0
    } else {
        n
    }
}

/// Checks a global session policy rule before it is saved.
pub fn check_sign_on_rule(
    rule: &SignOnRule,
    active_authenticators: &[AuthenticatorMethods],
    active_trusting_idp_exists: bool,
) -> Result<()> {
    let a = rule.signon();
    if a.access != Access::Allow || !a.require_factor {
        return Ok(());
    }
    if local_factor_types(active_authenticators) >= 2 || active_trusting_idp_exists {
        return Ok(());
    }
    Err(PolicyError::Unsatisfiable {
        path: "actions.signon.requireFactor".into(),
        message: "MFA cannot be required: the active authenticators supply fewer than two factor types \
                  and no active identity provider trusts claims; activate a second-factor authenticator \
                  or enable Trust claims on an identity provider"
            .into(),
    })
}
