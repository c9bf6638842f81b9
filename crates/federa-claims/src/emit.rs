//! What an IdP org emits about a session: the `amr` values of an ID token (and of the SAML
//! `session.amr` attribute) computed from the session's verifications.
//!
//! Implements CONTRACT §4 "Emitted by an IdP org" (`amr`) with the table of reference
//! `okta-claims-sharing.md` §3.1 in its standard-format spelling: password `pwd`, security
//! question `kba`, email `email`, SMS `sms`, voice `tel`, TOTP `otp`, WebAuthn `pop` + `phr`,
//! `hwk` when hardware protected, plus `mfa` when two or more factor classes were verified.
//! Credited federated verifications are re-emitted too (threats D.6 T19, OKTA-860242).

use crate::catalogue;
use crate::model::{
    AmrValue, FactorClass, FactorVerification, VerificationKind, distinct_factor_classes,
};
use std::collections::BTreeSet;

/// The `amr` values for a set of verifications, deduplicated, in a fixed order (the declaration
/// order of [`AmrValue`]), `mfa` included when the verifications span two or more factor classes
/// (a possession factor with user verification counts as possession + inherence) or one of them
/// is an MFA assertion.
///
/// A verification contributes: its catalogue row's values when it has a key and method; else
/// the AMR value it was derived from; plus `hwk` when it is a hardware-protected possession
/// factor. Verifications that map to nothing contribute nothing.
pub fn amr_for(verifications: &[FactorVerification]) -> Vec<AmrValue> {
    let mut out = BTreeSet::new();
    let mut mfa_asserted = false;
    for v in verifications {
        if v.kind == VerificationKind::MfaAsserted {
            mfa_asserted = true;
            continue;
        }
        let row = match (&v.authenticator_key, &v.method) {
            (Some(k), Some(m)) => catalogue::lookup(k, m),
            _ => None,
        };
        match (row, &v.amr) {
            (Some(row), _) => out.extend(row.amr.iter().cloned()),
            (None, Some(amr)) if !amr.is_other() => {
                out.insert(amr.clone());
            }
            _ => {}
        }
        if v.factor_class == Some(FactorClass::Possession) && v.characteristics.hardware_protected {
            out.insert(AmrValue::Hwk);
        }
    }
    if mfa_asserted || distinct_factor_classes(verifications).len() >= 2 {
        out.insert(AmrValue::Mfa);
    }
    out.into_iter().collect()
}

/// [`amr_for`] as strings, ready for a JSON array or SAML attribute values.
pub fn amr_strings(verifications: &[FactorVerification]) -> Vec<String> {
    amr_for(verifications)
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{MethodFlags, local_verification};
    use crate::model::{AuthenticatorKey as K, MethodType as M, Timestamp};

    fn local(k: K, m: M, flags: MethodFlags) -> FactorVerification {
        match local_verification(&k, &m, flags, Timestamp(1)) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    fn strs(v: &[FactorVerification]) -> Vec<String> {
        amr_strings(v)
    }

    #[test]
    fn contract_section_4_values() {
        let n = MethodFlags::NONE;
        assert_eq!(strs(&[local(K::OktaPassword, M::Password, n)]), ["pwd"]);
        assert_eq!(strs(&[local(K::PhoneNumber, M::Sms, n)]), ["sms"]);
        assert_eq!(strs(&[local(K::PhoneNumber, M::Voice, n)]), ["tel"]);
        assert_eq!(strs(&[local(K::OktaEmail, M::Email, n)]), ["email"]);
        assert_eq!(strs(&[local(K::OktaVerify, M::Totp, n)]), ["otp"]);
        assert_eq!(strs(&[local(K::GoogleOtp, M::Otp, n)]), ["otp"]);
        assert_eq!(
            strs(&[local(K::SecurityQuestion, M::SecurityQuestion, n)]),
            ["kba"]
        );
        assert_eq!(strs(&[local(K::Webauthn, M::Webauthn, n)]), ["pop", "phr"]);
        let hw = MethodFlags {
            hardware_protected: true,
            user_verified: false,
        };
        assert_eq!(
            strs(&[local(K::Webauthn, M::Webauthn, hw)]),
            ["hwk", "pop", "phr"]
        );
    }

    #[test]
    fn mfa_only_with_two_factor_classes() {
        let n = MethodFlags::NONE;
        let pwd = local(K::OktaPassword, M::Password, n);
        let kba = local(K::SecurityQuestion, M::SecurityQuestion, n);
        let sms = local(K::PhoneNumber, M::Sms, n);
        assert_eq!(
            strs(&[pwd.clone(), kba]),
            ["kba", "pwd"],
            "two knowledge factors: no mfa"
        );
        assert_eq!(strs(&[pwd.clone(), sms.clone()]), ["mfa", "pwd", "sms"]);
        assert_eq!(
            strs(&[sms, pwd.clone(), pwd]),
            ["mfa", "pwd", "sms"],
            "dedup, fixed order"
        );
        let uv = MethodFlags {
            user_verified: true,
            hardware_protected: false,
        };
        assert_eq!(
            strs(&[local(K::Webauthn, M::Webauthn, uv)]),
            ["mfa", "pop", "phr"],
            "a user-verifying passkey is possession + inherence"
        );
    }

    #[test]
    fn empty_session_emits_nothing() {
        assert!(amr_for(&[]).is_empty());
    }
}
