//! A software passkey for the suites: passkey-rs's authenticator and client playing the
//! browser's `navigator.credentials`, with a person who always touches the key and, when the
//! key has a PIN, enters it whenever the client asks.

use passkey::authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey::client::{Client, DefaultClientData};
use passkey::crypto::rust_crypto::RustCryptoBackend;
use passkey::types::Passkey;
use passkey::types::ctap2::{Aaguid, Ctap2Error};
use passkey::types::webauthn::{CredentialCreationOptions, CredentialRequestOptions};

/// The person at the key.
pub struct SoftUser {
    /// The key has a PIN (so it can verify the user).
    pub pin: bool,
}

#[async_trait::async_trait]
impl UserValidationMethod for SoftUser {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Self::PasskeyItem>,
        _presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence: true,
            verification: self.pin && verification,
        })
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(self.pin)
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }
}

/// A key in a browser.
pub type SoftKey =
    Client<Option<Passkey>, SoftUser, RustCryptoBackend, public_suffix::PublicSuffixList, ()>;

/// A key holding `store`, with or without a PIN, in a browser that does or does not ask for
/// user verification when the relying party only prefers it. Plain-http origins are accepted
/// at `localhost` only, as browsers do.
pub fn key_with(store: Option<Passkey>, pin: bool, uv_when_preferred: bool) -> SoftKey {
    let auth = Authenticator::new(
        Aaguid::new_empty(),
        store,
        SoftUser { pin },
        RustCryptoBackend,
    );
    Client::new(auth)
        .allows_insecure_localhost(true)
        .user_verification_when_preferred(uv_when_preferred)
}

/// `navigator.credentials.create` on `origin` for the relying party's creation `options`;
/// the credential as the browser's `toJSON()` gives it.
///
/// # Panics
/// When the options do not parse or the key refuses (a test failure).
pub async fn create(
    key: &mut SoftKey,
    origin: &url::Url,
    options: serde_json::Value,
) -> serde_json::Value {
    let opts: CredentialCreationOptions =
        serde_json::from_value(options).expect("creation options");
    let cred = key
        .register(origin, opts, DefaultClientData)
        .await
        .expect("software authenticator registers");
    serde_json::to_value(cred).expect("credential JSON")
}

/// `navigator.credentials.get` on `origin` for the relying party's request `options`.
///
/// # Panics
/// When the options do not parse or the key refuses (a test failure).
pub async fn get(
    key: &mut SoftKey,
    origin: &url::Url,
    options: serde_json::Value,
) -> serde_json::Value {
    let opts: CredentialRequestOptions = serde_json::from_value(options).expect("request options");
    let cred = key
        .authenticate(origin, opts, DefaultClientData)
        .await
        .expect("software authenticator signs");
    serde_json::to_value(cred).expect("assertion JSON")
}
