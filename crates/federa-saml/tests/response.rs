//! Response builder: signatures verified by bergshamra and independently by xmlsec1; the
//! OktaAuth extension at its exact path; tampering detected; encryption decrypts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use federa_saml::{
    Certificate, Encryption, KeyTransport, ResponseOptions, SamlError, SignMode, build_response,
    dsig, hardening, ns,
};
use time::macros::datetime;

fn verify_element(xml: &str, tag: (&str, &str), cert: &Certificate) -> Result<(), SamlError> {
    let doc = hardening::parse_xml(xml)?;
    let el = doc
        .descendants()
        .find(|n| n.has_tag_name(tag))
        .expect("element present");
    dsig::verify_enveloped(xml, &doc, el, std::slice::from_ref(cert))
}

fn build(sign: SignMode) -> federa_saml::BuiltResponse {
    build_response(
        &params(),
        &ResponseOptions {
            sign,
            encrypt: None,
        },
        idp(),
        now(),
        &rng(),
    )
    .unwrap()
}

const ASSERTION: (&str, &str) = (ns::ASSERTION, "Assertion");
const RESPONSE: (&str, &str) = (ns::PROTOCOL, "Response");

#[test]
fn assertion_signed_response_verifies_with_bergshamra_and_xmlsec1() {
    let built = build(SignMode::Assertion);
    verify_element(&built.xml, ASSERTION, idp().certificate()).unwrap();
    assert!(matches!(
        verify_element(&built.xml, RESPONSE, idp().certificate()),
        Err(SamlError::SignatureRequired(_))
    ));
    assert_xmlsec1(&built.xml, &idp().cert_pem(), true);
}

#[test]
fn response_signed_verifies_with_bergshamra_and_xmlsec1() {
    let built = build(SignMode::Response);
    verify_element(&built.xml, RESPONSE, idp().certificate()).unwrap();
    assert_xmlsec1(&built.xml, &idp().cert_pem(), true);
}

#[test]
fn both_signed_verify_with_bergshamra_and_xmlsec1() {
    let built = build(SignMode::Both);
    verify_element(&built.xml, RESPONSE, idp().certificate()).unwrap();
    verify_element(&built.xml, ASSERTION, idp().certificate()).unwrap();
    // xmlsec1 --verify checks the first signature (the Response's, which covers the assertion).
    assert_xmlsec1(&built.xml, &idp().cert_pem(), true);
    // The Response signature comes right after the Response Issuer (schema order).
    let doc = hardening::parse_xml(&built.xml).unwrap();
    let names: Vec<_> = doc
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(names, ["Issuer", "Signature", "Status", "Assertion"]);
}

#[test]
fn signature_sits_after_assertion_issuer() {
    let built = build(SignMode::Assertion);
    let doc = hardening::parse_xml(&built.xml).unwrap();
    let a = doc
        .descendants()
        .find(|n| n.has_tag_name(ASSERTION))
        .unwrap();
    let names: Vec<_> = a
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(
        names,
        [
            "Issuer",
            "Signature",
            "Subject",
            "Conditions",
            "AuthnStatement",
            "AttributeStatement"
        ]
    );
}

#[test]
fn tampered_assertion_fails_in_bergshamra_and_xmlsec1() {
    let built = build(SignMode::Assertion);
    let tampered = built
        .xml
        .replace("alice@example.com", "mallory@example.com");
    assert_ne!(tampered, built.xml);
    assert!(matches!(
        verify_element(&tampered, ASSERTION, idp().certificate()),
        Err(SamlError::SignatureInvalid(_))
    ));
    assert_xmlsec1(&tampered, &idp().cert_pem(), false);
}

#[test]
fn tampered_okta_auth_fails() {
    let built = build(SignMode::Assertion);
    let tampered = built
        .xml
        .replace(".dGFnLXRhZy10YWctdGFn<", ".dGFnLXRhZy10YWctdGFo<");
    assert_ne!(tampered, built.xml);
    assert!(verify_element(&tampered, ASSERTION, idp().certificate()).is_err());
    assert_xmlsec1(&tampered, &idp().cert_pem(), false);
}

#[test]
fn tampered_response_fails() {
    let built = build(SignMode::Response);
    let tampered = built
        .xml
        .replace("Destination=\"http://spoke", "Destination=\"http://evil");
    assert!(verify_element(&tampered, RESPONSE, idp().certificate()).is_err());
    assert_xmlsec1(&tampered, &idp().cert_pem(), false);
}

#[test]
fn wrong_certificate_fails() {
    let built = build(SignMode::Assertion);
    assert!(matches!(
        verify_element(&built.xml, ASSERTION, other().certificate()),
        Err(SamlError::SignatureInvalid(_))
    ));
    assert_xmlsec1(&built.xml, &other().cert_pem(), false);
}

#[test]
fn okta_auth_is_at_the_contract_path_with_xs_string() {
    let built = build(SignMode::Assertion);
    let doc = hardening::parse_xml(&built.xml).unwrap();
    let okta = doc
        .descendants()
        .find(|n| n.has_tag_name((ns::OKTA_AUTH, "OktaAuth")))
        .expect("OktaAuth present");
    assert_eq!(okta.text(), Some(OKTA_AUTH));
    assert_eq!(okta.attribute((ns::XSI, "type")), Some("xs:string"));
    assert_eq!(okta.lookup_namespace_uri(Some("xs")), Some(ns::XS));
    let path: Vec<(String, String)> = okta
        .ancestors()
        .filter(|n| n.is_element())
        .map(|n| {
            (
                n.tag_name().namespace().unwrap_or("").to_owned(),
                n.tag_name().name().to_owned(),
            )
        })
        .collect();
    let expected = [
        (ns::OKTA_AUTH, "OktaAuth"),
        (ns::OKTA_AUTH, "Extension"),
        (ns::OKTA_AUTH, "AuthenticationContextDeclaration"),
        (ns::ASSERTION, "AuthnContextDecl"),
        (ns::ASSERTION, "AuthnContext"),
        (ns::ASSERTION, "AuthnStatement"),
        (ns::ASSERTION, "Assertion"),
        (ns::PROTOCOL, "Response"),
    ];
    let got: Vec<(&str, &str)> = path.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(got, expected);
    // The class ref precedes the declaration, as the schema requires.
    let ctx = okta
        .ancestors()
        .find(|n| n.has_tag_name((ns::ASSERTION, "AuthnContext")))
        .unwrap();
    let kids: Vec<_> = ctx
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(kids, ["AuthnContextClassRef", "AuthnContextDecl"]);
}

#[test]
fn times_ids_and_attributes_are_as_asked() {
    let built = build(SignMode::Assertion);
    let doc = hardening::parse_xml(&built.xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("ID"), Some(built.response_id.as_str()));
    assert_eq!(root.attribute("InResponseTo"), Some("_req42"));
    assert_eq!(root.attribute("IssueInstant"), Some("2026-11-23T10:00:00Z"));
    assert!(built.response_id.starts_with('_') && built.assertion_id.starts_with('_'));
    assert_ne!(built.response_id, built.assertion_id);
    let find = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name((ns::ASSERTION, name)))
            .unwrap()
    };
    assert_eq!(
        find("Conditions").attribute("NotBefore"),
        Some("2026-11-23T09:59:00Z")
    );
    assert_eq!(
        find("Conditions").attribute("NotOnOrAfter"),
        Some("2026-11-23T10:05:00Z")
    );
    let scd = find("SubjectConfirmationData");
    assert_eq!(scd.attribute("NotOnOrAfter"), Some("2026-11-23T10:05:00Z"));
    assert_eq!(
        scd.attribute("Recipient"),
        Some("http://spoke.localhost:8080/sso/saml2/0oaIDP")
    );
    assert_eq!(
        find("AuthnStatement").attribute("AuthnInstant"),
        Some("2026-11-23T09:59:30Z")
    );
    let amr: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ns::ASSERTION, "Attribute")))
        .find(|n| n.attribute("Name") == Some("session.amr"))
        .unwrap()
        .children()
        .filter_map(|v| v.text())
        .collect();
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
}

#[test]
fn idp_initiated_has_no_in_response_to() {
    let mut p = params();
    p.in_response_to = None;
    let built = build_response(&p, &ResponseOptions::default(), idp(), now(), &rng()).unwrap();
    assert!(!built.xml.contains("InResponseTo"));
    assert_xmlsec1(&built.xml, &idp().cert_pem(), true);
}

#[test]
fn values_are_escaped() {
    let mut p = params();
    p.name_id.value = "a&b<c>\"d'".into();
    p.attributes[1].values = vec!["<script>&amp;".into()];
    let built = build_response(&p, &ResponseOptions::default(), idp(), now(), &rng()).unwrap();
    let doc = hardening::parse_xml(&built.xml).unwrap();
    let nameid = doc
        .descendants()
        .find(|n| n.has_tag_name((ns::ASSERTION, "NameID")))
        .unwrap();
    assert_eq!(nameid.text(), Some("a&b<c>\"d'"));
    verify_element(&built.xml, ASSERTION, idp().certificate()).unwrap();
    assert_xmlsec1(&built.xml, &idp().cert_pem(), true);
}

#[test]
fn control_characters_and_empty_fields_are_refused() {
    let mut p = params();
    p.name_id.value = "a\u{1}b".into();
    assert!(matches!(
        build_response(&p, &ResponseOptions::default(), idp(), now(), &rng()),
        Err(SamlError::Build(_))
    ));
    let mut p = params();
    p.audience = " ".into();
    assert!(build_response(&p, &ResponseOptions::default(), idp(), now(), &rng()).is_err());
    let mut p = params();
    p.in_response_to = Some("1-not-an-id".into());
    assert!(build_response(&p, &ResponseOptions::default(), idp(), now(), &rng()).is_err());
}

#[test]
fn post_base64_round_trips() {
    let built = build(SignMode::Assertion);
    let b64 = built.to_post_base64();
    let back =
        federa_saml::bindings::decode_post(&b64, "SAMLResponse", &Default::default()).unwrap();
    assert_eq!(back, built.xml);
}

fn decrypt_with_bergshamra(xml: &str) -> String {
    let key = bergshamra::keys::loader::load_rsa_private_pem(
        other().private_key_pem().expose().as_bytes(),
    )
    .unwrap();
    let mut km = bergshamra::KeysManager::new();
    km.add_key(key);
    bergshamra::decrypt(&bergshamra::EncContext::new(km), xml).unwrap()
}

#[test]
fn encrypted_assertion_decrypts_and_its_signature_verifies() {
    for (kt, alg) in [
        (KeyTransport::RsaOaepSha256, ns::ALG_RSA_OAEP_11),
        (KeyTransport::RsaOaepMgf1pSha1, ns::ALG_RSA_OAEP_MGF1P),
    ] {
        let built = build_response(
            &params(),
            &ResponseOptions {
                sign: SignMode::Both,
                encrypt: Some(Encryption {
                    recipient: other().certificate(),
                    key_transport: kt,
                }),
            },
            idp(),
            now(),
            &rng(),
        )
        .unwrap();
        assert!(built.xml.contains(alg));
        assert!(!built.xml.contains("alice@example.com"));
        assert!(!built.xml.contains(OKTA_AUTH));
        // The Response signature covers the EncryptedAssertion.
        verify_element(&built.xml, RESPONSE, idp().certificate()).unwrap();
        assert_xmlsec1(&built.xml, &idp().cert_pem(), true);
        let plain = decrypt_with_bergshamra(&built.xml);
        assert!(plain.contains(OKTA_AUTH));
        let doc = hardening::parse_xml(&plain).unwrap();
        let a = doc
            .descendants()
            .find(|n| n.has_tag_name(ASSERTION))
            .unwrap();
        assert_eq!(a.attribute("ID"), Some(built.assertion_id.as_str()));
        verify_element(&plain, ASSERTION, idp().certificate()).unwrap();
    }
}

#[test]
fn session_not_on_or_after_is_emitted_when_asked() {
    let mut p = params();
    p.session_not_on_or_after = Some(datetime!(2026-11-23 12:00:00 UTC));
    let built = build_response(&p, &ResponseOptions::default(), idp(), now(), &rng()).unwrap();
    assert!(
        built
            .xml
            .contains(r#"SessionNotOnOrAfter="2026-11-23T12:00:00Z""#)
    );
}
