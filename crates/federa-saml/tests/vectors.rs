//! The kept test vector (test_vectors/): a signed Response carrying a real OktaAuth JWE, with the
//! IdP key/certificate that signed it and the SP key the JWE is encrypted to. It must keep
//! verifying (bergshamra and xmlsec1) as the code changes. `regenerate_vectors` (ignored) wrote
//! it; see test_vectors/README.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::*;
use federa_jose::{DecryptionKeySet, EncryptOptions, RsaDecryptionKey, jwe};
use federa_saml::{
    ResponseOptions, SamlError, SignMode, SigningIdentity, build_response, dsig, hardening, ns,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test_vectors")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const PAYLOAD: &str = r#"{"iss":"http://hub.localhost:8080","aud":"http://spoke.localhost:8080/sso/saml2/0oaIDP/sp","sub":"alice@example.com","iat":1795428000,"engine":"IDENTITY","mfaVerified":"true","factorVerifications":[{"factor":{"type":"AUTHENTICATOR","displayName":"Phone","status":"ACTIVE","authenticatorType":"phone","methodType":"sms","authenticatorKeyName":"phone_number","profile":{},"properties":[],"propertiesToVerify":[],"propertiesRequiredToVerify":[],"factorClassesToBeChallengedByThisMethod":[],"usableForRecoveryOnly":false,"userVerificationKeyUnavailable":false},"verificationTimestamp":1795427970000}]}"#;

#[test]
#[ignore = "writes test_vectors/; run explicitly to regenerate"]
fn regenerate_vectors() {
    let r = rng();
    let idp = SigningIdentity::generate("Federa test vector IdP", now(), &r).unwrap();
    let sp = SigningIdentity::generate("Federa test vector SP encryption", now(), &r).unwrap();
    let sp_key = RsaDecryptionKey::from_pkcs8_der(sp.pkcs8_der().expose()).unwrap();
    let jwe = jwe::encrypt(
        sp_key.public_key(),
        PAYLOAD.as_bytes(),
        &EncryptOptions::new(),
        &r,
    )
    .unwrap();
    let mut p = params();
    p.okta_auth = Some(jwe);
    let built = build_response(
        &p,
        &ResponseOptions {
            sign: SignMode::Assertion,
            encrypt: None,
        },
        &idp,
        now(),
        &r,
    )
    .unwrap();
    std::fs::create_dir_all(dir()).unwrap();
    std::fs::write(dir().join("idp.key"), idp.private_key_pem().expose()).unwrap();
    std::fs::write(dir().join("idp.crt"), idp.cert_pem()).unwrap();
    std::fs::write(dir().join("sp-enc.key"), sp.private_key_pem().expose()).unwrap();
    std::fs::write(dir().join("response-signed-oktaauth.xml"), &built.xml).unwrap();
}

#[test]
fn kept_vector_still_verifies() {
    let idp = SigningIdentity::from_pem(&read("idp.key"), &read("idp.crt")).unwrap();
    let xml = read("response-signed-oktaauth.xml");
    let doc = hardening::parse_xml(&xml).unwrap();
    let assertion = doc
        .descendants()
        .find(|n| n.has_tag_name((ns::ASSERTION, "Assertion")))
        .unwrap();
    dsig::verify_enveloped(
        &xml,
        &doc,
        assertion,
        std::slice::from_ref(idp.certificate()),
    )
    .unwrap();
    assert_xmlsec1(&xml, &read("idp.crt"), true);

    // The OktaAuth JWE decrypts with the SP key to the documented payload.
    let okta = doc
        .descendants()
        .find(|n| n.has_tag_name((ns::OKTA_AUTH, "OktaAuth")))
        .unwrap();
    let sp_key = RsaDecryptionKey::from_pkcs8_pem(&read("sp-enc.key")).unwrap();
    let keys = DecryptionKeySet::from_keys([sp_key]).unwrap();
    let plain = jwe::decrypt(&keys, okta.text().unwrap(), &rng()).unwrap();
    assert_eq!(plain.plaintext(), PAYLOAD.as_bytes());
}

#[test]
fn kept_vector_tampered_fails() {
    let idp = SigningIdentity::from_pem(&read("idp.key"), &read("idp.crt")).unwrap();
    let xml = read("response-signed-oktaauth.xml").replace("alice@example.com", "eve@example.com");
    let doc = hardening::parse_xml(&xml).unwrap();
    let assertion = doc
        .descendants()
        .find(|n| n.has_tag_name((ns::ASSERTION, "Assertion")))
        .unwrap();
    assert!(matches!(
        dsig::verify_enveloped(
            &xml,
            &doc,
            assertion,
            std::slice::from_ref(idp.certificate())
        ),
        Err(SamlError::SignatureInvalid(_))
    ));
    assert_xmlsec1(&xml, &read("idp.crt"), false);
}
