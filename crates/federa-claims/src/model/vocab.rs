//! Okta's string vocabularies as typed enums: authenticator keys, method types, AMR values
//! (each with an `Other(String)` escape hatch for values seen upstream) and authenticator types.
//!
//! Implements reference `okta-claims-sharing.md` §2.9 / §2.10 (key, type and method enums),
//! §1.11, §2.13, §3.1, §3.2 (AMR values) and `phrh` (§1.11, OKTA-1204547). Part of
//! [`crate::model`], which re-exports everything here.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Declares a string-backed enum with an `Other(String)` escape hatch for values seen upstream
/// that Federa does not know. `from_str_lossy` is canonical: a known string never becomes
/// `Other`, and deserialisation goes through it.
macro_rules! open_string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value Federa does not know, kept verbatim (truncated to 64 characters) so it
            /// can be shown and logged. Never constructed for a known string by this crate.
            Other(String),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(s) => s.as_str(),
                }
            }

            /// The known value spelled exactly `s` (case-sensitive), if any.
            pub fn known(s: &str) -> Option<$name> {
                match s {
                    $( $wire => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// The value spelled `s`: a known variant, or `Other` with `s` truncated to 64
            /// characters.
            pub fn from_str_lossy(s: &str) -> $name {
                $name::known(s).unwrap_or_else(|| $name::Other(truncate(s)))
            }

            /// Whether this is an `Other` value.
            pub fn is_other(&self) -> bool {
                matches!(self, $name::Other(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Ok($name::from_str_lossy(&s))
            }
        }
    };
}

/// Longest string kept from upstream input in `Other` values and [`IgnoredClaim::what`](super::IgnoredClaim::what).
pub const MAX_KEPT_CHARS: usize = 64;

/// `s` cut to [`MAX_KEPT_CHARS`] characters, control characters replaced by `?` (log safety).
pub(crate) fn truncate(s: &str) -> String {
    s.chars()
        .take(MAX_KEPT_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

open_string_enum! {
    /// An authenticator key (reference §2.10 `AuthenticatorKeyEnum` and the §2.9 `MFA_ENROLL`
    /// key enum, plus `custom_otp` and `rsa_token` from the docs tables).
    AuthenticatorKey {
        /// Password.
        OktaPassword => "okta_password",
        /// Email magic link / code.
        OktaEmail => "okta_email",
        /// Phone: SMS or voice.
        PhoneNumber => "phone_number",
        /// Okta Verify (TOTP, push, FastPass signed nonce).
        OktaVerify => "okta_verify",
        /// Google Authenticator (TOTP).
        GoogleOtp => "google_otp",
        /// Security question.
        SecurityQuestion => "security_question",
        /// FIDO2 WebAuthn / passkeys.
        Webauthn => "webauthn",
        /// Custom TOTP authenticator.
        CustomOtp => "custom_otp",
        /// Custom push app (Okta Devices SDK).
        CustomApp => "custom_app",
        /// Duo Security.
        Duo => "duo",
        /// MFA delegated to another IdP ("IdP authenticator"). Never credited from upstream.
        ExternalIdp => "external_idp",
        /// On-premises MFA (RADIUS agent).
        OnpremMfa => "onprem_mfa",
        /// RSA SecurID.
        RsaToken => "rsa_token",
        /// Security key (generic).
        SecurityKey => "security_key",
        /// Smart card / PIV via an X509 IdP. Never credited from upstream.
        SmartCardIdp => "smart_card_idp",
        /// Symantec VIP.
        SymantecVip => "symantec_vip",
        /// YubiKey OTP.
        YubikeyToken => "yubikey_token",
        /// Temporary access code.
        Tac => "tac",
    }
}

open_string_enum! {
    /// An authenticator method type (reference §2.10 `AuthenticatorMethodType`).
    MethodType {
        /// Password.
        Password => "password",
        /// Security question.
        SecurityQuestion => "security_question",
        /// Email.
        Email => "email",
        /// SMS code.
        Sms => "sms",
        /// Voice call code.
        Voice => "voice",
        /// Time-based one-time password (Okta Verify TOTP).
        Totp => "totp",
        /// One-time password (Google Authenticator, custom OTP, hardware tokens).
        Otp => "otp",
        /// Push notification.
        Push => "push",
        /// Okta FastPass signed nonce.
        SignedNonce => "signed_nonce",
        /// WebAuthn ceremony.
        Webauthn => "webauthn",
        /// Delegated to another IdP. Never credited from upstream.
        Idp => "idp",
        /// Certificate (smart card). Never credited from upstream.
        Cert => "cert",
        /// Duo.
        Duo => "duo",
        /// Temporary access code.
        Tac => "tac",
    }
}

open_string_enum! {
    /// An authentication method reference (`amr`) value: RFC 8176, Okta's additions (reference
    /// §1.11, §2.13, §3.1, §3.2) and `phrh` (reference §1.11, OKTA-1204547). Matching is
    /// case-sensitive: `PWD` is `Other("PWD")`.
    AmrValue {
        /// Facial recognition (biometric).
        Face => "face",
        /// Fingerprint (biometric).
        Fpt => "fpt",
        /// Iris scan (biometric).
        Iris => "iris",
        /// Retina scan (biometric).
        Retina => "retina",
        /// Voiceprint (biometric).
        Vbm => "vbm",
        /// Proof of possession of a hardware-secured key.
        Hwk => "hwk",
        /// Knowledge-based authentication (security question).
        Kba => "kba",
        /// Multiple factors were used.
        Mfa => "mfa",
        /// One-time password.
        Otp => "otp",
        /// Password.
        Pwd => "pwd",
        /// Smart card.
        Sc => "sc",
        /// SMS confirmation.
        Sms => "sms",
        /// Proof of possession of a software-secured key.
        Swk => "swk",
        /// Telephone call confirmation.
        Tel => "tel",
        /// Proof of possession of a key (WebAuthn).
        Pop => "pop",
        /// Phishing-resistant.
        Phr => "phr",
        /// Phishing-resistant and hardware-protected.
        Phrh => "phrh",
        /// Email confirmation (emitted by Federa and Okta; not in the third-party table).
        Email => "email",
        /// PIN (knowledge; smart-card option).
        Pin => "pin",
        /// Multiple-channel authentication (Okta Classic `sms`/`call`).
        Mca => "mca",
        /// Geolocation / network zone.
        Geo => "geo",
        /// Risk-based authentication.
        Rba => "rba",
        /// User presence test.
        User => "user",
        /// Windows integrated authentication.
        Wia => "wia",
        /// Okta Verify (legacy Okta format).
        OktaVerify => "okta_verify",
        /// Google Authenticator (legacy Okta format).
        GoogleOtp => "google_otp",
        /// Duo (legacy Okta format).
        Duo => "duo",
        /// Symantec VIP (legacy Okta format).
        Symantec => "symantec",
        /// On-prem OTP (docs spelling `oauth_otp`).
        OauthOtp => "oauth_otp",
        /// On-prem OTP (OAuth enum spelling `oath_otp`).
        OathOtp => "oath_otp",
        /// RSA SecurID (legacy Okta format).
        Rsa => "rsa",
        /// YubiKey (legacy Okta format).
        Yubikey => "yubikey",
        /// Federated (delegated to another IdP). Never credited.
        Fed => "fed",
    }
}

/// Authenticator type (reference §2.10 `AuthenticatorType`); the `types` of policy constraints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticatorType {
    /// Authenticator app (Okta Verify, Google Authenticator, Duo, custom app).
    App,
    /// Email.
    Email,
    /// Delegated to another IdP (external IdP, smart card).
    Federated,
    /// Password.
    Password,
    /// Phone (SMS, voice).
    Phone,
    /// Security key (WebAuthn, OTP tokens).
    SecurityKey,
    /// Security question.
    SecurityQuestion,
    /// Temporary access code.
    Tac,
}

impl AuthenticatorKey {
    /// The authenticator type of this key (reference §2.10, §3.1), `None` for unknown keys.
    pub fn authenticator_type(&self) -> Option<AuthenticatorType> {
        use AuthenticatorKey as K;
        Some(match self {
            K::OktaPassword => AuthenticatorType::Password,
            K::OktaEmail => AuthenticatorType::Email,
            K::PhoneNumber => AuthenticatorType::Phone,
            K::OktaVerify | K::GoogleOtp | K::CustomApp | K::Duo | K::SymantecVip => {
                AuthenticatorType::App
            }
            K::SecurityQuestion => AuthenticatorType::SecurityQuestion,
            K::Webauthn
            | K::CustomOtp
            | K::OnpremMfa
            | K::RsaToken
            | K::SecurityKey
            | K::YubikeyToken => AuthenticatorType::SecurityKey,
            K::ExternalIdp | K::SmartCardIdp => AuthenticatorType::Federated,
            K::Tac => AuthenticatorType::Tac,
            K::Other(_) => return None,
        })
    }

    /// Whether this key delegates authentication to another IdP (reference §1.8: never credited
    /// from an Okta IdP org).
    pub fn is_delegated(&self) -> bool {
        matches!(
            self,
            AuthenticatorKey::ExternalIdp | AuthenticatorKey::SmartCardIdp
        )
    }
}

impl MethodType {
    /// Whether this method delegates authentication to another IdP or a certificate IdP
    /// (reference §1.8).
    pub fn is_delegated(&self) -> bool {
        matches!(self, MethodType::Idp | MethodType::Cert)
    }
}

impl AmrValue {
    /// Whether this value names a biometric (reference §1.11: `face fpt iris retina vbm`).
    pub fn is_biometric(&self) -> bool {
        matches!(
            self,
            AmrValue::Face | AmrValue::Fpt | AmrValue::Iris | AmrValue::Retina | AmrValue::Vbm
        )
    }
}
