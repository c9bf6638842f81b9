//! AuthnRequest over both bindings: round trips, signatures, and the attack/bad-input catalogue
//! (DTD, deflate bomb, bad base64, missing ID, wrong version, tampered Redirect signature,
//! unsigned-when-required, wrong certificate, SHA-1 downgrade, parameter pollution).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use federa_saml::bindings::{MessageParam, encode_redirect, percent_encode};
use federa_saml::hardening::{deflate, encode_base64};
use federa_saml::{
    AuthnContextComparison, AuthnRequestParams, Binding, Certificate, Limits,
    RequestedAuthnContext, SamlError, SignaturePolicy, UnverifiedAuthnRequest, build_authn_request,
    ns,
};

fn sp_params() -> AuthnRequestParams {
    AuthnRequestParams {
        issuer: "http://spoke.localhost:8080/sso/saml2/0oaIDP/sp".into(),
        destination: Some("http://hub.localhost:8080/app/x/0oaAPP/sso/saml".into()),
        assertion_consumer_service_url: Some("http://spoke.localhost:8080/sso/saml2/0oaIDP".into()),
        protocol_binding: Some(ns::BINDING_POST.into()),
        force_authn: true,
        is_passive: false,
        name_id_format: Some(ns::NAMEID_EMAIL.into()),
        requested_authn_context: Some(RequestedAuthnContext {
            comparison: AuthnContextComparison::Minimum,
            class_refs: vec![
                "https://refeds.org/profile/mfa".into(),
                ns::AC_PASSWORD_PROTECTED_TRANSPORT.into(),
            ],
        }),
    }
}

fn sp_certs() -> Vec<Certificate> {
    vec![other().certificate().clone()]
}

fn required(certs: &[Certificate]) -> SignaturePolicy<'_> {
    SignaturePolicy {
        certs,
        require_signature: true,
    }
}

fn optional(certs: &[Certificate]) -> SignaturePolicy<'_> {
    SignaturePolicy {
        certs,
        require_signature: false,
    }
}

fn redirect_query(xml: &str, relay: Option<&str>, signed: bool) -> String {
    encode_redirect(xml, MessageParam::Request, relay, signed.then(other)).unwrap()
}

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn redirect_signed_round_trip() {
    let (id, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, Some("state 1/2&x=y"), true);
    let un = UnverifiedAuthnRequest::from_redirect(&q, &limits()).unwrap();
    assert!(un.is_signed());
    assert_eq!(
        un.issuer(),
        "http://spoke.localhost:8080/sso/saml2/0oaIDP/sp"
    );
    let certs = sp_certs();
    let req = un.verify(&required(&certs)).unwrap();
    assert!(req.signature_verified);
    assert_eq!(req.binding, Binding::Redirect);
    assert_eq!(req.relay_state.as_deref(), Some("state 1/2&x=y"));
    let f = &req.fields;
    assert_eq!(f.id, id);
    assert_eq!(f.issue_instant, now());
    assert_eq!(
        f.destination.as_deref(),
        Some("http://hub.localhost:8080/app/x/0oaAPP/sso/saml")
    );
    assert_eq!(
        f.assertion_consumer_service_url.as_deref(),
        Some("http://spoke.localhost:8080/sso/saml2/0oaIDP")
    );
    assert_eq!(f.protocol_binding.as_deref(), Some(ns::BINDING_POST));
    assert!(f.force_authn && !f.is_passive);
    assert_eq!(
        f.name_id_policy.as_ref().unwrap().format.as_deref(),
        Some(ns::NAMEID_EMAIL)
    );
    assert_eq!(f.name_id_policy.as_ref().unwrap().allow_create, Some(true));
    let rac = f.requested_authn_context.as_ref().unwrap();
    assert_eq!(rac.comparison, AuthnContextComparison::Minimum);
    assert_eq!(
        rac.class_refs,
        [
            "https://refeds.org/profile/mfa",
            ns::AC_PASSWORD_PROTECTED_TRANSPORT
        ]
    );
    req.check_issue_instant(
        now(),
        time::Duration::minutes(2),
        time::Duration::minutes(5),
    )
    .unwrap();
    assert!(
        req.check_issue_instant(
            now() + time::Duration::hours(1),
            time::Duration::minutes(2),
            time::Duration::minutes(5)
        )
        .is_err()
    );
}

#[test]
fn redirect_unsigned_is_accepted_only_when_not_required() {
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, None, false);
    let certs = sp_certs();
    let un = UnverifiedAuthnRequest::from_redirect(&q, &limits()).unwrap();
    assert!(!un.is_signed());
    assert!(matches!(
        un.clone().verify(&required(&certs)),
        Err(SamlError::SignatureRequired(_))
    ));
    let req = un.verify(&optional(&certs)).unwrap();
    assert!(!req.signature_verified);
    assert_eq!(req.relay_state, None);
}

#[test]
fn redirect_tampered_signature_is_refused() {
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, Some("abc"), true);
    let tampered = q.replace("RelayState=abc", "RelayState=abd");
    let certs = sp_certs();
    let un = UnverifiedAuthnRequest::from_redirect(&tampered, &limits()).unwrap();
    assert!(matches!(
        un.verify(&optional(&certs)),
        Err(SamlError::SignatureInvalid(_))
    ));
    // Dropping RelayState changes the signed octets too.
    let dropped = q.replace("&RelayState=abc", "");
    let un = UnverifiedAuthnRequest::from_redirect(&dropped, &limits()).unwrap();
    assert!(un.verify(&required(&certs)).is_err());
}

#[test]
fn redirect_signature_covers_the_octets_as_received() {
    // Re-encoding a value differently (lower-case escapes) breaks the signature, proving the
    // verifier uses the received octets and not a re-encoding.
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, Some("a b"), true);
    assert!(q.contains("RelayState=a%20b"));
    let other_encoding = q.replace("RelayState=a%20b", "RelayState=a+b");
    let un = UnverifiedAuthnRequest::from_redirect(&other_encoding, &limits()).unwrap();
    assert_eq!(
        un.clone()
            .verify(&optional(&[]))
            .unwrap()
            .relay_state
            .as_deref(),
        Some("a b")
    );
    let certs = sp_certs();
    assert!(un.verify(&required(&certs)).is_err());
}

#[test]
fn redirect_wrong_certificate_is_refused() {
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, None, true);
    let wrong = vec![idp().certificate().clone()];
    let un = UnverifiedAuthnRequest::from_redirect(&q, &limits()).unwrap();
    assert!(matches!(
        un.verify(&required(&wrong)),
        Err(SamlError::SignatureInvalid(_))
    ));
}

#[test]
fn redirect_sha1_is_refused() {
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, None, true).replace(
        &percent_encode(ns::ALG_RSA_SHA256),
        &percent_encode(ns::ALG_RSA_SHA1),
    );
    let certs = sp_certs();
    let un = UnverifiedAuthnRequest::from_redirect(&q, &limits()).unwrap();
    assert!(matches!(
        un.verify(&required(&certs)),
        Err(SamlError::UnsupportedAlgorithm(_))
    ));
}

#[test]
fn redirect_signed_without_configured_certs_is_refused_when_required() {
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, None, true);
    let un = UnverifiedAuthnRequest::from_redirect(&q, &limits()).unwrap();
    assert!(un.verify(&required(&[])).is_err());
}

#[test]
fn redirect_repeated_parameters_are_refused() {
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let q = redirect_query(&xml, Some("a"), false);
    let doubled = format!("{q}&RelayState=b");
    assert!(matches!(
        UnverifiedAuthnRequest::from_redirect(&doubled, &limits()),
        Err(SamlError::Binding(_))
    ));
    let sig_alg_only = format!("{q}&SigAlg={}", percent_encode(ns::ALG_RSA_SHA256));
    assert!(UnverifiedAuthnRequest::from_redirect(&sig_alg_only, &limits()).is_err());
}

#[test]
fn post_signed_round_trip_and_policy() {
    let (id, xml) = build_authn_request(&sp_params(), now(), &rng(), Some(other())).unwrap();
    let certs = sp_certs();
    let un =
        UnverifiedAuthnRequest::from_post(&encode_base64(xml.as_bytes()), Some("rs"), &limits())
            .unwrap();
    assert!(un.is_signed());
    let req = un.verify(&required(&certs)).unwrap();
    assert!(req.signature_verified);
    assert_eq!(req.fields.id, id);
    assert_eq!(req.binding, Binding::Post);
    assert_eq!(req.relay_state.as_deref(), Some("rs"));

    let wrong = vec![idp().certificate().clone()];
    let un =
        UnverifiedAuthnRequest::from_post(&encode_base64(xml.as_bytes()), None, &limits()).unwrap();
    assert!(matches!(
        un.verify(&optional(&wrong)),
        Err(SamlError::SignatureInvalid(_))
    ));

    let (_, unsigned) = build_authn_request(&sp_params(), now(), &rng(), None).unwrap();
    let un =
        UnverifiedAuthnRequest::from_post(&encode_base64(unsigned.as_bytes()), None, &limits())
            .unwrap();
    assert!(matches!(
        un.verify(&required(&certs)),
        Err(SamlError::SignatureRequired(_))
    ));
}

#[test]
fn post_tampered_signed_request_is_refused() {
    let (_, xml) = build_authn_request(&sp_params(), now(), &rng(), Some(other())).unwrap();
    let tampered = xml.replace(
        "http://spoke.localhost:8080/sso/saml2/0oaIDP\"",
        "http://evil.example/acs\"",
    );
    assert_ne!(tampered, xml);
    let certs = sp_certs();
    let un =
        UnverifiedAuthnRequest::from_post(&encode_base64(tampered.as_bytes()), None, &limits())
            .unwrap();
    assert!(matches!(
        un.verify(&required(&certs)),
        Err(SamlError::SignatureInvalid(_))
    ));
}

#[test]
fn dtd_is_refused_on_both_bindings() {
    let xml = r#"<?xml version="1.0"?><!DocType x [<!ENTITY e "boom">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&e;</saml:Issuer></samlp:AuthnRequest>"#;
    assert!(matches!(
        UnverifiedAuthnRequest::from_post(&encode_base64(xml.as_bytes()), None, &limits()),
        Err(SamlError::DtdForbidden)
    ));
    let q = redirect_query(xml, None, false);
    assert!(matches!(
        UnverifiedAuthnRequest::from_redirect(&q, &limits()),
        Err(SamlError::DtdForbidden)
    ));
}

#[test]
fn deflate_bomb_is_refused() {
    // 50 MiB of spaces compresses to ~50 KiB; the bounded reader stops at the 256 KiB cap.
    let mut bomb = b"<samlp:AuthnRequest ".to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 50 * 1024 * 1024));
    let compressed = deflate(&bomb).unwrap();
    assert!(compressed.len() < 256 * 1024);
    let q = format!(
        "SAMLRequest={}",
        percent_encode(&encode_base64(&compressed))
    );
    match UnverifiedAuthnRequest::from_redirect(&q, &limits()) {
        Err(SamlError::TooLarge { what, .. }) => assert_eq!(what, "inflated SAML message"),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn oversize_raw_input_is_refused() {
    let q = format!("SAMLRequest={}", "A".repeat(300 * 1024));
    assert!(matches!(
        UnverifiedAuthnRequest::from_redirect(&q, &limits()),
        Err(SamlError::TooLarge { .. })
    ));
    assert!(matches!(
        UnverifiedAuthnRequest::from_post(&"A".repeat(400 * 1024), None, &limits()),
        Err(SamlError::TooLarge { .. })
    ));
}

#[test]
fn bad_base64_is_refused() {
    for bad in ["PHNhbWxw*", "PHNhbWxw=", "PHNhbWxwOkF1dGhu===", "PHN"] {
        assert!(
            matches!(
                UnverifiedAuthnRequest::from_post(bad, None, &limits()),
                Err(SamlError::Base64 { .. })
            ),
            "{bad} accepted"
        );
    }
    assert!(matches!(
        UnverifiedAuthnRequest::from_redirect("SAMLRequest=%%%", &limits()),
        Err(SamlError::Binding(_))
    ));
    assert!(matches!(
        UnverifiedAuthnRequest::from_redirect("SAMLRequest=bm90IGRlZmxhdGU%3D", &limits()),
        Err(SamlError::Inflate(_)) | Err(SamlError::Xml(_))
    ));
}

fn post(xml: &str) -> Result<UnverifiedAuthnRequest, SamlError> {
    UnverifiedAuthnRequest::from_post(&encode_base64(xml.as_bytes()), None, &limits())
}

const P: &str = r#"xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#;

#[test]
fn schema_violations_are_refused() {
    let cases = [
        ("missing ID", format!(r#"<samlp:AuthnRequest {P} Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>sp</saml:Issuer></samlp:AuthnRequest>"#)),
        ("bad ID", format!(r#"<samlp:AuthnRequest {P} ID="1abc" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>sp</saml:Issuer></samlp:AuthnRequest>"#)),
        ("wrong version", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="1.1" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>sp</saml:Issuer></samlp:AuthnRequest>"#)),
        ("no version", format!(r#"<samlp:AuthnRequest {P} ID="_a" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>sp</saml:Issuer></samlp:AuthnRequest>"#)),
        ("wrong namespace", r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"/>"#.to_string()),
        ("issuer in wrong namespace", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><samlp:Issuer>sp</samlp:Issuer></samlp:AuthnRequest>"#)),
        ("no issuer", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"/>"#)),
        ("two issuers", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>sp</saml:Issuer><saml:Issuer>x</saml:Issuer></samlp:AuthnRequest>"#)),
        ("bad instant", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="2.0" IssueInstant="yesterday"><saml:Issuer>sp</saml:Issuer></samlp:AuthnRequest>"#)),
        ("bad boolean", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z" ForceAuthn="yes"><saml:Issuer>sp</saml:Issuer></samlp:AuthnRequest>"#)),
        ("index with url", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z" AssertionConsumerServiceIndex="1" AssertionConsumerServiceURL="http://x"><saml:Issuer>sp</saml:Issuer></samlp:AuthnRequest>"#)),
        ("bad comparison", format!(r#"<samlp:AuthnRequest {P} ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>sp</saml:Issuer><samlp:RequestedAuthnContext Comparison="worse"/></samlp:AuthnRequest>"#)),
        ("a response, not a request", format!(r#"<samlp:Response {P} ID="_a" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"/>"#)),
        ("not xml", "<samlp:AuthnRequest".to_string()),
    ];
    for (name, xml) in cases {
        assert!(post(&xml).is_err(), "{name} was accepted");
    }
}

#[test]
fn minimal_request_parses_with_defaults() {
    let xml = format!(
        r#"<samlp:AuthnRequest {P} ID="_a1" Version="2.0" IssueInstant="2026-11-23T10:00:00.123Z"><saml:Issuer> sp </saml:Issuer></samlp:AuthnRequest>"#
    );
    let req = post(&xml).unwrap().verify(&optional(&[])).unwrap();
    let f = req.fields;
    assert_eq!(f.issuer, "sp");
    assert!(!f.force_authn && !f.is_passive);
    assert_eq!(f.name_id_policy, None);
    assert_eq!(f.requested_authn_context, None);
    assert_eq!(f.assertion_consumer_service_url, None);
}

#[test]
fn enveloped_signature_on_redirect_binding_is_not_credited() {
    // An XML signature inside a Redirect-binding message does not count as a signature.
    let (_, signed_xml) = build_authn_request(&sp_params(), now(), &rng(), Some(other())).unwrap();
    let q = redirect_query(&signed_xml, None, false);
    let un = UnverifiedAuthnRequest::from_redirect(&q, &limits()).unwrap();
    assert!(!un.is_signed());
    let certs = sp_certs();
    assert!(matches!(
        un.verify(&required(&certs)),
        Err(SamlError::SignatureRequired(_))
    ));
}
