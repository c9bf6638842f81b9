//! What each local authenticator method can prove, as far as policy is concerned: its factor
//! class, the best characteristics a verification with it can have (CONTRACT §7, reference §3.1),
//! its constraint `types` / `methods` spelling (reference §2.5), and which authenticators an AMR
//! value could stand for (reference §1.11, §3.1).
//!
//! WORKAROUND: when this crate was written `federa-claims` published no catalogue; it now has
//! `federa_claims::catalogue` (class and characteristics per key/method) but no constraint
//! `types`/`methods` spelling and no inbound AMR → candidate-methods table. This module keeps
//! those, plus class and best characteristics for policy's own use (save-time contradiction
//! checks, challenge options, filtering AMR-derived verifications). The test
//! `policy_method_table_agrees_with_the_claims_catalogue` fails if the two tables disagree on any
//! pair the claims catalogue lists. Rows the claims catalogue deliberately omits (`external_idp`,
//! `smart_card_idp`: delegated, never credited from upstream) stay here so policies may name them.

use crate::access::constraint::{ConstraintMethod, ConstraintType};
use federa_claims::{
    AmrValue, AuthenticatorKey as K, Characteristics, FactorClass, MethodType as M,
};

/// One authenticator method as policy sees it.
#[derive(Clone, Debug)]
pub struct MethodInfo {
    /// Authenticator key.
    pub key: K,
    /// Method type.
    pub method: M,
    /// Primary factor class.
    pub class: FactorClass,
    /// The most a verification with this method can prove (e.g. WebAuthn may be hardware
    /// protected and user verifying, depending on the device).
    pub best: Characteristics,
    /// Spelling in constraint `types`.
    pub constraint_type: ConstraintType,
    /// Spelling in constraint `methods`.
    pub constraint_method: ConstraintMethod,
}

const NONE: Characteristics = Characteristics::NONE;
const PRESENCE: Characteristics = Characteristics::PRESENCE;
const BOUND: Characteristics = Characteristics::DEVICE_BOUND;
const BOUND_UV: Characteristics = Characteristics {
    user_verifying: true,
    ..BOUND
};
const BOUND_HW: Characteristics = Characteristics {
    hardware_protected: true,
    ..BOUND
};
const BOUND_UV_HW: Characteristics = Characteristics {
    hardware_protected: true,
    ..BOUND_UV
};
const STRONGEST: Characteristics = Characteristics {
    user_presence: true,
    device_bound: true,
    hardware_protected: true,
    phishing_resistant: true,
    user_verifying: true,
};

macro_rules! entry {
    ($key:ident, $method:ident, $class:ident, $best:expr, $ct:ident, $cm:ident) => {
        MethodInfo {
            key: K::$key,
            method: M::$method,
            class: FactorClass::$class,
            best: $best,
            constraint_type: ConstraintType::$ct,
            constraint_method: ConstraintMethod::$cm,
        }
    };
}

/// Every authenticator method policy knows about.
pub static METHODS: &[MethodInfo] = &[
    entry!(OktaPassword, Password, Knowledge, NONE, Password, Password),
    entry!(
        SecurityQuestion,
        SecurityQuestion,
        Knowledge,
        NONE,
        SecurityQuestion,
        SecurityQuestion
    ),
    entry!(OktaEmail, Email, Possession, PRESENCE, Email, Email),
    entry!(PhoneNumber, Sms, Possession, PRESENCE, Phone, Sms),
    entry!(PhoneNumber, Voice, Possession, PRESENCE, Phone, Voice),
    entry!(OktaVerify, Totp, Possession, BOUND, App, Totp),
    entry!(OktaVerify, Otp, Possession, BOUND, App, Otp),
    entry!(OktaVerify, Push, Possession, BOUND_UV_HW, App, Push),
    entry!(
        OktaVerify,
        SignedNonce,
        Possession,
        STRONGEST,
        App,
        SignedNonce
    ),
    entry!(GoogleOtp, Otp, Possession, BOUND, App, Otp),
    entry!(GoogleOtp, Totp, Possession, BOUND, App, Totp),
    entry!(CustomApp, Push, Possession, BOUND_UV_HW, App, Push),
    entry!(Duo, Duo, Possession, PRESENCE, App, Duo),
    entry!(SymantecVip, Otp, Possession, BOUND, App, Otp),
    entry!(
        Webauthn,
        Webauthn,
        Possession,
        STRONGEST,
        SecurityKey,
        Webauthn
    ),
    entry!(
        SecurityKey,
        Webauthn,
        Possession,
        STRONGEST,
        SecurityKey,
        Webauthn
    ),
    entry!(YubikeyToken, Otp, Possession, BOUND_HW, SecurityKey, Otp),
    entry!(CustomOtp, Otp, Possession, BOUND, SecurityKey, Otp),
    entry!(OnpremMfa, Otp, Possession, BOUND, SecurityKey, Otp),
    entry!(RsaToken, Otp, Possession, BOUND, SecurityKey, Otp),
    entry!(ExternalIdp, Idp, Possession, PRESENCE, Federated, Idp),
    entry!(SmartCardIdp, Cert, Possession, BOUND_HW, Federated, Cert),
];

/// The methods of authenticator `key`.
pub fn methods_of(key: &K) -> impl Iterator<Item = &'static MethodInfo> + '_ {
    METHODS.iter().filter(move |m| &m.key == key)
}

/// The entry for `key` / `method`.
pub fn lookup(key: &K, method: &M) -> Option<&'static MethodInfo> {
    METHODS
        .iter()
        .find(|m| &m.key == key && &m.method == method)
}

/// The primary class of an authenticator key (all of its methods share it), if known.
pub fn class_of_key(key: &K) -> Option<FactorClass> {
    methods_of(key).next().map(|m| m.class)
}

/// Which local methods an AMR value could stand for. Unambiguous values (`pwd`, `kba`, `sms`,
/// `tel`, `email`) have one candidate; `otp`, `swk`, `hwk`, `pop`, `phr`, `phrh` have several;
/// values that name no method (`mfa`, biometrics, `geo`...) have none.
pub fn amr_candidates(amr: &AmrValue) -> &'static [(K, M)] {
    match amr {
        AmrValue::Pwd => &[(K::OktaPassword, M::Password)],
        AmrValue::Kba => &[(K::SecurityQuestion, M::SecurityQuestion)],
        AmrValue::Sms => &[(K::PhoneNumber, M::Sms)],
        AmrValue::Tel => &[(K::PhoneNumber, M::Voice)],
        AmrValue::Mca => &[(K::PhoneNumber, M::Sms), (K::PhoneNumber, M::Voice)],
        AmrValue::Email => &[(K::OktaEmail, M::Email)],
        AmrValue::Otp => &[
            (K::OktaVerify, M::Totp),
            (K::OktaVerify, M::Otp),
            (K::GoogleOtp, M::Otp),
            (K::GoogleOtp, M::Totp),
            (K::CustomOtp, M::Otp),
            (K::SymantecVip, M::Otp),
            (K::OnpremMfa, M::Otp),
            (K::YubikeyToken, M::Otp),
            (K::RsaToken, M::Otp),
        ],
        AmrValue::Swk => &[
            (K::OktaVerify, M::Push),
            (K::CustomApp, M::Push),
            (K::OktaVerify, M::SignedNonce),
        ],
        AmrValue::Pop => &[
            (K::Webauthn, M::Webauthn),
            (K::SecurityKey, M::Webauthn),
            (K::OktaVerify, M::SignedNonce),
        ],
        AmrValue::Hwk => &[
            (K::Webauthn, M::Webauthn),
            (K::SecurityKey, M::Webauthn),
            (K::OktaVerify, M::SignedNonce),
            (K::YubikeyToken, M::Otp),
            (K::RsaToken, M::Otp),
        ],
        AmrValue::Phr | AmrValue::Phrh => &[
            (K::Webauthn, M::Webauthn),
            (K::SecurityKey, M::Webauthn),
            (K::OktaVerify, M::SignedNonce),
        ],
        AmrValue::Sc => &[(K::SmartCardIdp, M::Cert)],
        AmrValue::OktaVerify => &[
            (K::OktaVerify, M::Totp),
            (K::OktaVerify, M::Otp),
            (K::OktaVerify, M::Push),
            (K::OktaVerify, M::SignedNonce),
        ],
        AmrValue::GoogleOtp => &[(K::GoogleOtp, M::Otp), (K::GoogleOtp, M::Totp)],
        AmrValue::Duo => &[(K::Duo, M::Duo)],
        AmrValue::Symantec => &[(K::SymantecVip, M::Otp)],
        AmrValue::OauthOtp | AmrValue::OathOtp => &[(K::OnpremMfa, M::Otp)],
        AmrValue::Rsa => &[(K::RsaToken, M::Otp)],
        AmrValue::Yubikey => &[(K::YubikeyToken, M::Otp)],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_section_7_characteristics_hold() {
        let get = |k, m| lookup(&k, &m).map(|i| (i.class, i.best));
        assert_eq!(
            get(K::OktaPassword, M::Password),
            Some((FactorClass::Knowledge, NONE))
        );
        assert_eq!(
            get(K::OktaEmail, M::Email),
            Some((FactorClass::Possession, PRESENCE))
        );
        assert_eq!(
            get(K::PhoneNumber, M::Voice),
            Some((FactorClass::Possession, PRESENCE))
        );
        assert_eq!(
            get(K::GoogleOtp, M::Otp),
            Some((FactorClass::Possession, BOUND))
        );
        assert_eq!(
            get(K::Webauthn, M::Webauthn),
            Some((FactorClass::Possession, STRONGEST))
        );
        assert!(lookup(&K::OktaEmail, &M::Sms).is_none());
    }

    #[test]
    fn every_key_has_one_class() {
        for m in METHODS {
            assert_eq!(class_of_key(&m.key), Some(m.class), "{}", m.key);
        }
    }
}
