//! Fuzz target: arbitrary bytes as a decrypted `okta_auth` / `OktaAuth` payload (reference §1.5),
//! in the SAML, OIDC-plaintext and OIDC-object forms. Nothing may panic.

#![no_main]

use federa_claims::model::IdpId;
use federa_claims::okta_auth::{OktaAuthInput, OuterBinding, parse_okta_auth};
use federa_types::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let idp = IdpId::new("0oaFUZZ");
    let aud = vec!["https://sp.example".to_string()];
    let outer = OuterBinding {
        issuer: "https://idp.example",
        audiences: &aud,
        subject: "user@example.com",
        expected_engine: None,
        authenticated_at: Timestamp(0),
    };
    let _ = parse_okta_auth(OktaAuthInput::Saml(data), &idp, &outer);
    let _ = parse_okta_auth(OktaAuthInput::OidcPlaintext(data), &idp, &outer);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = parse_okta_auth(OktaAuthInput::OidcObject(&v), &idp, &outer);
    }
});
