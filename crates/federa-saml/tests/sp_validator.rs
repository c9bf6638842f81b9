//! SP-side validator: positive cases (signed assertion, signed response, both, encrypted with
//! every supported algorithm, OktaAuth, session.amr as given) and the protocol checks driven by
//! the expectations (InResponseTo, unsolicited, skew boundaries, replay material). The attack
//! vectors live in `sp_attacks.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod sp_support;

use common::*;
use federa_saml::{
    Attribute, BuiltResponse, Certificate, DecryptionKey, Encryption, KeyTransport, Limits,
    ResponseOptions, ResponseParams, SamlError, SignMode, UnverifiedResponse, ValidatedAssertion,
    build_response, ns,
};
use sp_support::*;
use time::Duration;
use time::macros::datetime;

fn build_with(
    p: &ResponseParams,
    sign: SignMode,
    encrypt: Option<Encryption<'_>>,
) -> BuiltResponse {
    build_response(p, &ResponseOptions { sign, encrypt }, idp(), now(), &rng()).unwrap()
}

fn certs() -> Vec<Certificate> {
    vec![idp().certificate().clone()]
}

fn validate_xml(
    xml: &str,
    f: impl FnOnce(&mut federa_saml::SpExpectations<'_>),
) -> Result<ValidatedAssertion, SamlError> {
    let certs = certs();
    let keys = [other_decryption_key()];
    let mut exp = expectations(&certs, &keys);
    f(&mut exp);
    UnverifiedResponse::from_xml(xml.to_owned(), &Limits::default())?.validate(&exp)
}

fn validate(xml: &str) -> Result<ValidatedAssertion, SamlError> {
    validate_xml(xml, |_| {})
}

fn assert_common(v: &ValidatedAssertion, built: &BuiltResponse) {
    assert_eq!(v.assertion_id, built.assertion_id);
    assert_eq!(v.response_id, built.response_id);
    assert_eq!(v.issuer, IDP_ISSUER);
    assert_eq!(v.name_id.value, "alice@example.com");
    assert_eq!(v.name_id.format, ns::NAMEID_EMAIL);
    assert_eq!(v.session_index.as_deref(), Some("_sess1234"));
    assert_eq!(v.authn_instant, datetime!(2026-11-23 09:59:30 UTC));
    assert_eq!(v.authn_context_class_ref.as_deref(), Some(ns::AC_X509));
    assert_eq!(v.audiences, [SP_ENTITY]);
    assert_eq!(v.not_on_or_after, datetime!(2026-11-23 10:05:00 UTC));
    assert_eq!(v.replay_cache_until, datetime!(2026-11-23 10:07:00 UTC));
    assert_eq!(v.attributes["session.amr"], ["pwd", "otp", "mfa"]);
    assert_eq!(v.attributes["email"], ["alice@example.com"]);
    assert_eq!(v.okta_auth.as_deref(), Some(OKTA_AUTH));
}

#[test]
fn signed_assertion_is_accepted_with_every_field() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let v = validate(&built.xml).unwrap();
    assert_common(&v, &built);
    assert!(v.assertion_signed && !v.response_signed && !v.encrypted);
}

#[test]
fn signed_response_only_is_accepted() {
    let built = build_with(&params(), SignMode::Response, None);
    let v = validate(&built.xml).unwrap();
    assert_common(&v, &built);
    assert!(!v.assertion_signed && v.response_signed);
    // ...unless the SP requires the Assertion itself to be signed.
    assert!(matches!(
        validate_xml(&built.xml, |e| e.require_signed_assertion = true),
        Err(SamlError::SignatureRequired("assertion"))
    ));
}

#[test]
fn both_signed_is_accepted() {
    let built = build_with(&params(), SignMode::Both, None);
    let v = validate_xml(&built.xml, |e| e.require_signed_assertion = true).unwrap();
    assert_common(&v, &built);
    assert!(v.assertion_signed && v.response_signed);
}

#[test]
fn post_binding_round_trip() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let u = UnverifiedResponse::from_post(&built.to_post_base64(), &Limits::default()).unwrap();
    assert_eq!(u.issuer(), Some(IDP_ISSUER));
    assert_eq!(u.in_response_to(), Some(REQ));
    let certs = certs();
    let v = u.validate(&expectations(&certs, &[])).unwrap();
    assert_common(&v, &built);
}

#[test]
fn encrypted_assertion_aes256_gcm_with_both_oaep_variants_and_sign_modes() {
    let sp = other();
    for kt in [KeyTransport::RsaOaepSha256, KeyTransport::RsaOaepMgf1pSha1] {
        for sign in [SignMode::Assertion, SignMode::Response, SignMode::Both] {
            let enc = Encryption {
                recipient: sp.certificate(),
                key_transport: kt,
            };
            let built = build_with(&params(), sign, Some(enc));
            assert!(!built.xml.contains("alice@example.com"));
            let v = validate(&built.xml).unwrap_or_else(|e| panic!("{kt:?} {sign:?}: {e}"));
            assert_common(&v, &built);
            assert!(v.encrypted);
            assert_eq!(v.assertion_signed, sign != SignMode::Response);
            assert_eq!(v.response_signed, sign != SignMode::Assertion);
        }
    }
}

#[test]
fn encrypted_assertion_aes_cbc_with_both_oaep_variants_and_key_placements() {
    let built = build_with(&params(), SignMode::Assertion, None);
    for content in [Content::Aes128Cbc, Content::Aes256Cbc] {
        for kt in [KeyTransport::RsaOaepSha256, KeyTransport::RsaOaepMgf1pSha1] {
            for sibling in [false, true] {
                let xml =
                    encrypt_assertion(&built.xml, other().certificate(), content, kt, sibling);
                assert!(!xml.contains("alice@example.com"));
                let v = validate(&xml)
                    .unwrap_or_else(|e| panic!("{content:?} {kt:?} sibling={sibling}: {e}"));
                assert_common(&v, &built);
                assert!(v.encrypted && v.assertion_signed);
            }
        }
    }
}

#[test]
fn encrypted_assertion_without_the_right_key_is_refused() {
    let enc = Encryption {
        recipient: other().certificate(),
        key_transport: KeyTransport::RsaOaepSha256,
    };
    let built = build_with(&params(), SignMode::Assertion, Some(enc));
    // No key configured.
    let certs = certs();
    let u = UnverifiedResponse::from_xml(built.xml.clone(), &Limits::default()).unwrap();
    assert!(matches!(
        u.validate(&expectations(&certs, &[])),
        Err(SamlError::Decryption(_))
    ));
    // A key that is not the recipient.
    let wrong = DecryptionKey::from_pkcs8_der(idp().pkcs8_der().expose()).unwrap();
    assert!(matches!(
        u.validate(&expectations(&certs, std::slice::from_ref(&wrong))),
        Err(SamlError::Decryption(_))
    ));
    // A flipped ciphertext byte fails the GCM tag.
    let i = built
        .xml
        .find("</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>")
        .unwrap();
    let mut tampered = built.xml.clone();
    let c = if &tampered[i - 3..i - 2] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(i - 3..i - 2, c);
    assert!(matches!(validate(&tampered), Err(SamlError::Decryption(_))));
}

#[test]
fn rsa_1_5_key_transport_is_refused() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let xml = encrypt_assertion(
        &built.xml,
        other().certificate(),
        Content::Aes256Cbc,
        KeyTransport::RsaOaepMgf1pSha1,
        false,
    )
    .replace(
        ns::ALG_RSA_OAEP_MGF1P,
        "http://www.w3.org/2001/04/xmlenc#rsa-1_5",
    );
    assert!(matches!(
        validate(&xml),
        Err(SamlError::UnsupportedAlgorithm(_))
    ));
}

#[test]
fn okta_auth_absent_is_none() {
    let mut p = params();
    p.okta_auth = None;
    let built = build_with(&p, SignMode::Assertion, None);
    assert_eq!(validate(&built.xml).unwrap().okta_auth, None);
}

#[test]
fn okta_auth_is_read_from_the_signed_assertion_of_the_kept_vector() {
    // The kept vector (test_vectors/response-signed-oktaauth.xml) was signed by idp.crt.
    let idp = kept_idp();
    let certs = [idp.certificate().clone()];
    let u = UnverifiedResponse::from_xml(
        read_vector("response-signed-oktaauth.xml"),
        &Limits::default(),
    )
    .unwrap();
    let v = u.validate(&expectations(&certs, &[])).unwrap();
    let jwe = v.okta_auth.unwrap();
    assert_eq!(jwe.split('.').count(), 5);
    assert!(jwe.starts_with("eyJ"));
}

#[test]
fn session_amr_multi_valued_and_comma_separated_are_kept_as_given() {
    let mut p = params();
    p.attributes = vec![
        Attribute {
            name: "session.amr".into(),
            name_format: None,
            values: vec!["swk,pwd,sms".into()],
        },
        Attribute {
            name: "groups".into(),
            name_format: None,
            values: vec!["a".into(), " b ".into(), String::new()],
        },
    ];
    let built = build_with(&p, SignMode::Assertion, None);
    let v = validate(&built.xml).unwrap();
    assert_eq!(v.attributes["session.amr"], ["swk,pwd,sms"]);
    assert_eq!(v.attributes["groups"], ["a", " b ", ""]);
}

#[test]
fn idp_initiated_needs_allow_unsolicited() {
    let mut p = params();
    p.in_response_to = None;
    let built = build_with(&p, SignMode::Assertion, None);
    let none = |e: &mut federa_saml::SpExpectations<'_>| e.expected_in_response_to = None;
    assert!(matches!(
        validate_xml(&built.xml, none),
        Err(SamlError::Unsolicited)
    ));
    let v = validate_xml(&built.xml, |e| {
        none(e);
        e.allow_unsolicited = true;
    })
    .unwrap();
    assert_eq!(v.name_id.value, "alice@example.com");
    // An IdP-initiated response offered to a pending SP-initiated flow has no InResponseTo in
    // the signed SubjectConfirmationData: refused.
    assert!(matches!(
        validate(&built.xml),
        Err(SamlError::InResponseToMismatch { found: None, .. })
    ));
}

#[test]
fn in_response_to_mismatch_is_refused() {
    let built = build_with(&params(), SignMode::Assertion, None);
    assert!(matches!(
        validate_xml(&built.xml, |e| e.expected_in_response_to = Some("_other")),
        Err(SamlError::InResponseToMismatch { .. })
    ));
    // A solicited response where none is pending (even with unsolicited allowed).
    assert!(matches!(
        validate_xml(&built.xml, |e| {
            e.expected_in_response_to = None;
            e.allow_unsolicited = true;
        }),
        Err(SamlError::InResponseToMismatch { expected: None, .. })
    ));
}

#[test]
fn clock_skew_boundaries() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let skew = Duration::seconds(120);
    // NotOnOrAfter is 10:05:00: accepted until 10:06:59 with 120 s skew, refused at 10:07:00.
    let at = |t| {
        validate_xml(&built.xml, move |e| {
            e.now = t;
            e.max_clock_skew = skew;
        })
    };
    at(datetime!(2026-11-23 10:06:59 UTC)).unwrap();
    assert!(matches!(
        at(datetime!(2026-11-23 10:07:00 UTC)),
        Err(SamlError::Expired { .. })
    ));
    // NotBefore is 09:59:00: accepted from 09:57:00, refused at 09:56:59. (AuthnInstant
    // 09:59:30 is then in the future by 2 min 31 s: also refused, the first check wins.)
    assert!(matches!(
        at(datetime!(2026-11-23 09:56:59 UTC)),
        Err(SamlError::NotYetValid {
            what: "Conditions/@NotBefore",
            ..
        })
    ));
    assert!(matches!(
        at(datetime!(2026-11-23 09:57:00 UTC)),
        Err(SamlError::NotYetValid {
            what: "AuthnStatement/@AuthnInstant",
            ..
        })
    ));
    at(datetime!(2026-11-23 09:57:30 UTC)).unwrap();
    // Zero skew: exactly NotOnOrAfter is too late.
    assert!(matches!(
        validate_xml(&built.xml, |e| {
            e.now = datetime!(2026-11-23 10:05:00 UTC);
            e.max_clock_skew = Duration::ZERO;
        }),
        Err(SamlError::Expired { .. })
    ));
}

#[test]
fn expired_subject_confirmation_is_refused_even_when_conditions_are_open() {
    // Conditions without NotOnOrAfter, SubjectConfirmationData expired: re-signed edit.
    let built = build_with(&params(), SignMode::Assertion, None);
    let xml = built.xml.replacen(
        r#"<saml:Conditions NotBefore="2026-11-23T09:59:00Z" NotOnOrAfter="2026-11-23T10:05:00Z">"#,
        r#"<saml:Conditions NotBefore="2026-11-23T09:59:00Z">"#,
        1,
    );
    let xml = resign(&xml, idp());
    let late = |e: &mut federa_saml::SpExpectations<'_>| e.now = datetime!(2026-11-23 10:08:00 UTC);
    assert!(matches!(
        validate_xml(&xml, late),
        Err(SamlError::Expired {
            what: "SubjectConfirmationData/@NotOnOrAfter",
            ..
        })
    ));
}

#[test]
fn non_bearer_subject_confirmation_is_refused() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let xml = built.xml.replace(
        ns::CM_BEARER,
        "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key",
    );
    let xml = resign(&xml, idp());
    assert!(matches!(
        validate(&xml),
        Err(SamlError::SubjectConfirmation(_))
    ));
}

#[test]
fn wrong_recipient_is_refused() {
    let mut p = params();
    p.recipient = "http://spoke.localhost:8080/sso/saml2/0oaOTHER".into();
    let built = build_with(&p, SignMode::Assertion, None);
    assert!(matches!(
        validate(&built.xml),
        Err(SamlError::RecipientMismatch { .. })
    ));
}

#[test]
fn replay_material_is_accepted_twice_with_the_same_assertion_id() {
    // The validator is stateless: the caller's replay cache keys on assertion_id until
    // replay_cache_until. Both validations must agree on that key.
    let built = build_with(&params(), SignMode::Assertion, None);
    let first = validate(&built.xml).unwrap();
    let second = validate(&built.xml).unwrap();
    assert_eq!(first.assertion_id, second.assertion_id);
    assert_eq!(first.replay_cache_until, second.replay_cache_until);
    assert_eq!(first, second);
}

#[test]
fn certificate_rollover_accepts_any_configured_certificate() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let certs = [other().certificate().clone(), idp().certificate().clone()];
    let u = UnverifiedResponse::from_xml(built.xml, &Limits::default()).unwrap();
    u.validate(&expectations(&certs, &[])).unwrap();
    assert!(matches!(
        u.validate(&expectations(&[], &[])),
        Err(SamlError::SignatureInvalid(_))
    ));
}

#[test]
fn response_version_other_than_2_0_is_refused() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let xml = built
        .xml
        .replacen(r#"Version="2.0""#, r#"Version="1.1""#, 1);
    assert!(matches!(
        validate(&xml),
        Err(SamlError::UnsupportedVersion(v)) if v == "1.1"
    ));
}

#[test]
fn doctype_is_refused_before_parsing() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let xml = format!("<!DOCTYPE r [<!ENTITY x \"y\">]>{}", built.xml);
    let b64 = federa_saml::bindings::encode_post(&xml);
    assert!(matches!(
        UnverifiedResponse::from_post(&b64, &Limits::default()),
        Err(SamlError::DtdForbidden)
    ));
}

#[test]
fn oversize_post_is_refused() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let limits = Limits {
        max_raw_bytes: 1024,
        max_xml_bytes: 1024,
    };
    assert!(matches!(
        UnverifiedResponse::from_post(&built.to_post_base64(), &limits),
        Err(SamlError::TooLarge { .. })
    ));
}

#[test]
fn tampered_content_is_refused_in_every_sign_mode() {
    for sign in [SignMode::Assertion, SignMode::Response, SignMode::Both] {
        let built = build_with(&params(), sign, None);
        let xml = built
            .xml
            .replace(">alice@example.com<", ">admin@example.com<");
        assert!(
            matches!(validate(&xml), Err(SamlError::SignatureInvalid(_))),
            "{sign:?}"
        );
    }
}

#[test]
fn reference_to_another_element_is_refused() {
    // The Assertion's signature made to reference the Response (by ID) instead of itself.
    let built = build_with(&params(), SignMode::Assertion, None);
    let xml = built.xml.replacen(
        &format!(r##"URI="#{}""##, built.assertion_id),
        &format!(r##"URI="#{}""##, built.response_id),
        1,
    );
    let xml = resign(&xml, idp());
    assert!(matches!(
        validate(&xml),
        Err(SamlError::SignatureInvalid(_))
    ));
}

#[test]
fn processing_instruction_is_refused() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let xml = built
        .xml
        .replacen("<samlp:Status>", "<?evil x?><samlp:Status>", 1);
    assert!(matches!(
        validate(&xml),
        Err(SamlError::ForbiddenNode {
            kind: "processing instruction",
            ..
        })
    ));
}

#[test]
fn no_assertion_in_a_success_response_is_refused() {
    let built = build_with(&params(), SignMode::Assertion, None);
    let (s, e) = (
        built.xml.find("<saml:Assertion").unwrap(),
        built.xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len(),
    );
    let xml = format!("{}{}", &built.xml[..s], &built.xml[e..]);
    assert!(matches!(validate(&xml), Err(SamlError::NoAssertion)));
}
