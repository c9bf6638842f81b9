//! The authenticator catalogue: for each (authenticator key, method) pair Federa understands,
//! its factor class, its fixed characteristics, the characteristics that depend on what the
//! authenticator proved at verification time (WebAuthn UV and attestation, Okta Verify key
//! protection), and the `amr` values it is emitted as.
//!
//! Implements CONTRACT §7 (authenticator characteristics) and the authenticator rows of reference
//! `okta-claims-sharing.md` §3.1 and §2.10. Pairs beyond CONTRACT §7 (Okta Verify push and
//! FastPass, Duo, OTP tokens) are here so `okta_auth` payloads from Okta orgs can be credited
//! (reference §1.8 "every authenticator executed natively on the Okta IdP org counts").
//! Delegated authenticators (`external_idp`, `smart_card_idp`) are deliberately absent.

use crate::error::ClaimsError;
use crate::model::{
    AmrValue, AuthenticatorKey, Characteristics, FactorClass, FactorVerification, MethodType,
    Source, Timestamp, VerificationKind,
};

/// What an authenticator proved at verification time, beyond its fixed characteristics. Only
/// honoured where the catalogue entry allows it ([`CatalogueEntry::flag_dependent`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MethodFlags {
    /// The authenticator verified the user (WebAuthn UV flag, Okta Verify biometric / PIN).
    pub user_verified: bool,
    /// The key is hardware protected (attested security key, platform authenticator, Okta
    /// Verify `keyProtection: HARDWARE`).
    pub hardware_protected: bool,
}

impl MethodFlags {
    /// No flags.
    pub const NONE: MethodFlags = MethodFlags {
        user_verified: false,
        hardware_protected: false,
    };

    fn as_characteristics(self) -> Characteristics {
        Characteristics {
            user_verifying: self.user_verified,
            hardware_protected: self.hardware_protected,
            ..Characteristics::NONE
        }
    }
}

/// One row of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// Authenticator key.
    pub key: AuthenticatorKey,
    /// Method type.
    pub method: MethodType,
    /// Factor class (possession with user verification also supplies inherence, see
    /// [`FactorVerification::factor_classes`]).
    pub factor_class: FactorClass,
    /// Characteristics the method always has.
    pub base: Characteristics,
    /// Characteristics the method has only when [`MethodFlags`] say so.
    pub flag_dependent: Characteristics,
    /// `amr` values emitted for it (reference §3.1 in its standard-format spelling, CONTRACT §4);
    /// `hwk` is added by [`crate::emit::amr_for`] whenever the verification is hardware protected.
    pub amr: &'static [AmrValue],
}

impl CatalogueEntry {
    /// The characteristics of one verification with `flags`.
    pub fn characteristics(&self, flags: MethodFlags) -> Characteristics {
        self.base
            .union(self.flag_dependent.intersection(flags.as_characteristics()))
    }
    /// The most a verification with this method can prove (every flag set).
    pub fn best(&self) -> Characteristics {
        self.base.union(self.flag_dependent)
    }
}

const UV_HW: Characteristics = Characteristics {
    user_verifying: true,
    hardware_protected: true,
    ..Characteristics::NONE
};
const DEVICE_BOUND_PR: Characteristics = Characteristics {
    phishing_resistant: true,
    ..Characteristics::DEVICE_BOUND
};
const DEVICE_BOUND_HW: Characteristics = Characteristics {
    hardware_protected: true,
    ..Characteristics::DEVICE_BOUND
};

macro_rules! entry {
    ($key:ident, $method:ident, $class:ident, $base:expr, $dep:expr, [$($amr:ident),*]) => {
        CatalogueEntry {
            key: AuthenticatorKey::$key,
            method: MethodType::$method,
            factor_class: FactorClass::$class,
            base: $base,
            flag_dependent: $dep,
            amr: &[$(AmrValue::$amr),*],
        }
    };
}

static CATALOGUE: [CatalogueEntry; 20] = [
    // CONTRACT §7 rows.
    entry!(
        OktaPassword,
        Password,
        Knowledge,
        Characteristics::NONE,
        Characteristics::NONE,
        [Pwd]
    ),
    entry!(
        SecurityQuestion,
        SecurityQuestion,
        Knowledge,
        Characteristics::NONE,
        Characteristics::NONE,
        [Kba]
    ),
    entry!(
        OktaEmail,
        Email,
        Possession,
        Characteristics::PRESENCE,
        Characteristics::NONE,
        [Email]
    ),
    entry!(
        PhoneNumber,
        Sms,
        Possession,
        Characteristics::PRESENCE,
        Characteristics::NONE,
        [Sms]
    ),
    entry!(
        PhoneNumber,
        Voice,
        Possession,
        Characteristics::PRESENCE,
        Characteristics::NONE,
        [Tel]
    ),
    entry!(
        OktaVerify,
        Totp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    entry!(
        OktaVerify,
        Otp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    entry!(
        GoogleOtp,
        Otp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    entry!(
        GoogleOtp,
        Totp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    // WebAuthn: phishing resistant always (origin bound, CONTRACT §7 "yes"); hardware protection
    // and user verification per ceremony.
    entry!(
        Webauthn,
        Webauthn,
        Possession,
        DEVICE_BOUND_PR,
        UV_HW,
        [Pop, Phr]
    ),
    // Reference §3.1 rows for authenticators an Okta IdP org may report.
    entry!(
        OktaVerify,
        Push,
        Possession,
        Characteristics::DEVICE_BOUND,
        UV_HW,
        [Swk]
    ),
    entry!(
        OktaVerify,
        SignedNonce,
        Possession,
        DEVICE_BOUND_PR,
        UV_HW,
        [Phr]
    ),
    entry!(
        CustomApp,
        Push,
        Possession,
        Characteristics::DEVICE_BOUND,
        UV_HW,
        [Swk]
    ),
    entry!(
        Duo,
        Duo,
        Possession,
        Characteristics::PRESENCE,
        Characteristics::NONE,
        [Duo]
    ),
    entry!(
        SymantecVip,
        Otp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    entry!(
        CustomOtp,
        Otp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    entry!(
        RsaToken,
        Otp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    entry!(
        OnpremMfa,
        Otp,
        Possession,
        Characteristics::DEVICE_BOUND,
        Characteristics::NONE,
        [Otp]
    ),
    entry!(
        YubikeyToken,
        Otp,
        Possession,
        DEVICE_BOUND_HW,
        Characteristics::NONE,
        [Otp, Hwk]
    ),
    entry!(
        SecurityKey,
        Webauthn,
        Possession,
        DEVICE_BOUND_PR,
        UV_HW,
        [Pop, Phr]
    ),
];

/// Every catalogue row.
pub fn entries() -> &'static [CatalogueEntry] {
    &CATALOGUE
}

/// The row for `key` with `method`, if Federa knows the pair.
pub fn lookup(key: &AuthenticatorKey, method: &MethodType) -> Option<&'static CatalogueEntry> {
    CATALOGUE
        .iter()
        .find(|e| &e.key == key && &e.method == method)
}

/// The rows whose emitted `amr` values include `amr` (e.g. `otp`: Okta Verify TOTP, Google
/// Authenticator, OTP tokens). This is the emission direction (reference §3.1); what an inbound
/// value credits is decided by [`crate::amr`].
pub fn entries_emitting(amr: &AmrValue) -> impl Iterator<Item = &'static CatalogueEntry> + '_ {
    CATALOGUE.iter().filter(move |e| e.amr.contains(amr))
}

/// The method assumed when an upstream payload names a key but no method: only for keys whose
/// method is unambiguous. `phone_number` (SMS or voice) and `okta_verify` (TOTP, push, FastPass)
/// get `None`, so a payload must say which.
pub fn default_method(key: &AuthenticatorKey) -> Option<MethodType> {
    use AuthenticatorKey as K;
    Some(match key {
        K::OktaPassword => MethodType::Password,
        K::SecurityQuestion => MethodType::SecurityQuestion,
        K::OktaEmail => MethodType::Email,
        K::Webauthn | K::SecurityKey => MethodType::Webauthn,
        K::GoogleOtp
        | K::SymantecVip
        | K::CustomOtp
        | K::RsaToken
        | K::OnpremMfa
        | K::YubikeyToken => MethodType::Otp,
        K::Duo => MethodType::Duo,
        K::CustomApp => MethodType::Push,
        _ => return None,
    })
}

/// A verification built from a catalogue row.
pub fn verification(
    entry: &CatalogueEntry,
    flags: MethodFlags,
    verified_at: Timestamp,
    source: Source,
) -> FactorVerification {
    FactorVerification {
        authenticator_key: Some(entry.key.clone()),
        method: Some(entry.method.clone()),
        amr: None,
        factor_class: Some(entry.factor_class),
        characteristics: entry.characteristics(flags),
        kind: VerificationKind::Factor,
        verified_at,
        source,
    }
}

/// A verification this org performed itself.
///
/// # Errors
/// [`ClaimsError::NotInCatalogue`] when the key / method pair is not in the catalogue.
pub fn local_verification(
    key: &AuthenticatorKey,
    method: &MethodType,
    flags: MethodFlags,
    verified_at: Timestamp,
) -> Result<FactorVerification, ClaimsError> {
    let entry = lookup(key, method).ok_or_else(|| ClaimsError::NotInCatalogue {
        key: key.as_str().to_owned(),
        method: method.as_str().to_owned(),
    })?;
    Ok(verification(entry, flags, verified_at, Source::Local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(key: AuthenticatorKey, method: MethodType, flags: MethodFlags) -> Characteristics {
        lookup(&key, &method)
            .map(|e| e.characteristics(flags))
            .unwrap_or_default()
    }

    #[test]
    fn contract_section_7_table() {
        use AuthenticatorKey as K;
        use MethodType as M;
        let none = MethodFlags::NONE;
        for (k, m, class) in [
            (K::OktaPassword, M::Password, FactorClass::Knowledge),
            (
                K::SecurityQuestion,
                M::SecurityQuestion,
                FactorClass::Knowledge,
            ),
        ] {
            let e = lookup(&k, &m);
            assert_eq!(e.map(|e| e.factor_class), Some(class));
            assert_eq!(chars(k, m, none), Characteristics::NONE);
        }
        assert_eq!(
            chars(K::OktaEmail, M::Email, none),
            Characteristics::PRESENCE
        );
        assert_eq!(
            chars(K::PhoneNumber, M::Sms, none),
            Characteristics::PRESENCE
        );
        assert_eq!(
            chars(K::PhoneNumber, M::Voice, none),
            Characteristics::PRESENCE
        );
        assert_eq!(
            chars(K::OktaVerify, M::Totp, none),
            Characteristics::DEVICE_BOUND
        );
        assert_eq!(
            chars(K::GoogleOtp, M::Otp, none),
            Characteristics::DEVICE_BOUND
        );
        assert_eq!(
            chars(K::GoogleOtp, M::Totp, none),
            Characteristics::DEVICE_BOUND
        );
    }

    #[test]
    fn webauthn_characteristics_follow_the_ceremony_flags() {
        let plain = chars(
            AuthenticatorKey::Webauthn,
            MethodType::Webauthn,
            MethodFlags::NONE,
        );
        assert!(plain.user_presence && plain.device_bound && plain.phishing_resistant);
        assert!(!plain.hardware_protected && !plain.user_verifying);
        let full = chars(
            AuthenticatorKey::Webauthn,
            MethodType::Webauthn,
            MethodFlags {
                user_verified: true,
                hardware_protected: true,
            },
        );
        assert!(full.hardware_protected && full.user_verifying && full.phishing_resistant);
    }

    #[test]
    fn flags_never_add_characteristics_a_method_cannot_have() {
        let flags = MethodFlags {
            user_verified: true,
            hardware_protected: true,
        };
        assert_eq!(
            chars(AuthenticatorKey::PhoneNumber, MethodType::Sms, flags),
            Characteristics::PRESENCE
        );
        assert_eq!(
            chars(AuthenticatorKey::OktaPassword, MethodType::Password, flags),
            Characteristics::NONE
        );
    }

    #[test]
    fn delegated_authenticators_have_no_row() {
        assert!(lookup(&AuthenticatorKey::ExternalIdp, &MethodType::Idp).is_none());
        assert!(lookup(&AuthenticatorKey::SmartCardIdp, &MethodType::Cert).is_none());
        assert!(
            entries()
                .iter()
                .all(|e| !e.key.is_delegated() && !e.method.is_delegated())
        );
    }

    #[test]
    fn local_verification_rejects_unknown_pairs() {
        let ok = local_verification(
            &AuthenticatorKey::PhoneNumber,
            &MethodType::Sms,
            MethodFlags::NONE,
            Timestamp(5),
        );
        assert_eq!(
            ok.map(|v| v.factor_class),
            Ok(Some(FactorClass::Possession))
        );
        let bad = local_verification(
            &AuthenticatorKey::OktaPassword,
            &MethodType::Sms,
            MethodFlags::NONE,
            Timestamp(5),
        );
        assert!(matches!(bad, Err(ClaimsError::NotInCatalogue { .. })));
    }

    #[test]
    fn best_and_emitting_helpers() {
        let w = lookup(&AuthenticatorKey::Webauthn, &MethodType::Webauthn);
        assert!(w.is_some_and(|e| e.best().hardware_protected && e.best().user_verifying));
        let otp: Vec<&str> = entries_emitting(&AmrValue::Otp)
            .map(|e| e.key.as_str())
            .collect();
        assert!(otp.contains(&"okta_verify") && otp.contains(&"google_otp"));
        assert_eq!(entries_emitting(&AmrValue::Pwd).count(), 1);
    }

    #[test]
    fn default_methods_exist_in_the_catalogue() {
        for e in entries() {
            if let Some(m) = default_method(&e.key) {
                assert!(lookup(&e.key, &m).is_some(), "{} default {m}", e.key);
            }
        }
        assert_eq!(default_method(&AuthenticatorKey::PhoneNumber), None);
        assert_eq!(default_method(&AuthenticatorKey::OktaVerify), None);
    }
}
