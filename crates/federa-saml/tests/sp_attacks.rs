//! Attack vectors against the SP-side validator (threats.md D.3: XSW1–8 after Somorovsky et al.
//! 2012 / SAML Raider, comment injection, duplicate IDs, key substitution via KeyInfo, another
//! IdP's assertion, expired, wrong audience/destination, unsigned, error status). Each file in
//! `test_vectors/attacks/` is written by `regenerate_attack_vectors` (ignored; run it
//! explicitly) from legitimate responses signed with the kept key `test_vectors/idp.key`, and
//! each is refused here with a specific error variant. See `test_vectors/attacks/README.md`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod sp_support;

use common::*;
use federa_saml::{
    Limits, ResponseOptions, ResponseParams, SamlError, SignMode, SigningIdentity,
    UnverifiedResponse, ValidatedAssertion, build_response, dsig, hardening, ns,
};
use sp_support::*;
use time::macros::datetime;

fn attacks_dir() -> std::path::PathBuf {
    vectors_dir().join("attacks")
}

fn read_attack(name: &str) -> String {
    std::fs::read_to_string(attacks_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Validate a kept attack vector against the kept IdP certificate at 2026-11-23T10:00:00Z.
fn validate_vector(name: &str) -> Result<ValidatedAssertion, SamlError> {
    let idp = kept_idp();
    let certs = [idp.certificate().clone()];
    let exp = expectations(&certs, &[]);
    UnverifiedResponse::from_xml(read_attack(name), &Limits::default())?.validate(&exp)
}

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

fn span(xml: &str, open: &str, close: &str) -> (usize, usize) {
    let start = xml.find(open).unwrap_or_else(|| panic!("{open} not found"));
    let end = xml[start..].find(close).unwrap() + start + close.len();
    (start, end)
}

/// The first `<saml:Assertion …>…</saml:Assertion>` (the builder never nests them).
fn assertion_of(xml: &str) -> &str {
    let (s, e) = span(xml, "<saml:Assertion", "</saml:Assertion>");
    &xml[s..e]
}

fn without_signature(element: &str) -> String {
    let (s, e) = span(element, "<ds:Signature", "</ds:Signature>");
    format!("{}{}", &element[..s], &element[e..])
}

fn set_first_id(element: &str, new_id: &str) -> String {
    let i = element.find(" ID=\"").unwrap() + 5;
    let j = element[i..].find('"').unwrap() + i;
    format!("{}{}{}", &element[..i], new_id, &element[j..])
}

/// What the attacker wants the SP to read.
fn evil(element: &str) -> String {
    element.replace(">alice@example.com<", ">admin@example.com<")
}

fn legit(p: &ResponseParams, sign: SignMode, identity: &SigningIdentity) -> String {
    build_response(
        p,
        &ResponseOptions {
            sign,
            encrypt: None,
        },
        identity,
        now(),
        &rng(),
    )
    .unwrap()
    .xml
}

/// XSW1–XSW8 as SAML Raider (CompassSecurity) applies them.
fn xsw(n: u8, signed_assertion: &str, signed_response: &str) -> String {
    match n {
        // Response: the evil Response (new ID, changed content) keeps the signature; an
        // unsigned clone of the original Response (original ID) goes inside the Signature
        // (XSW1) or right before it (XSW2).
        1 | 2 => {
            let original = without_signature(signed_response);
            let evil_root = set_first_id(&evil(signed_response), "_evil_response");
            let (s, e) = span(&evil_root, "<ds:Signature", "</ds:Signature>");
            let sig = &evil_root[s..e];
            let close = "</ds:Signature>";
            let new_sig = if n == 1 {
                format!("{}{}{}", &sig[..sig.len() - close.len()], original, close)
            } else {
                format!("{original}{sig}")
            };
            format!("{}{}{}", &evil_root[..s], new_sig, &evil_root[e..])
        }
        _ => {
            let xml = signed_assertion;
            let a = assertion_of(xml);
            let (s, e) = span(xml, "<saml:Assertion", "</saml:Assertion>");
            let unsigned_evil = set_first_id(&without_signature(&evil(a)), "_evil_assertion");
            let unsigned_original = without_signature(a);
            let signed_evil = set_first_id(&evil(a), "_evil_assertion");
            let replacement = match n {
                // Unsigned evil clone before the signed original.
                3 => format!("{unsigned_evil}{a}"),
                // Unsigned evil clone wrapping the signed original.
                4 => {
                    let close = "</saml:Assertion>";
                    format!(
                        "{}{}{}",
                        &unsigned_evil[..unsigned_evil.len() - close.len()],
                        a,
                        close
                    )
                }
                // Evil copy keeps the signature; unsigned original appended to the message.
                5 => signed_evil.clone(),
                // Evil copy keeps the signature; unsigned original inside that signature.
                6 | 8 => {
                    let (ss, se) = span(&signed_evil, "<ds:Signature", "</ds:Signature>");
                    let sig = &signed_evil[ss..se];
                    let close = "</ds:Signature>";
                    let inner = if n == 6 {
                        unsigned_original.clone()
                    } else {
                        format!("<ds:Object>{unsigned_original}</ds:Object>")
                    };
                    let new_sig = format!("{}{}{}", &sig[..sig.len() - close.len()], inner, close);
                    format!("{}{}{}", &signed_evil[..ss], new_sig, &signed_evil[se..])
                }
                // Extensions holding an unsigned evil clone (same ID), before the original.
                7 => a.to_owned(),
                _ => unreachable!(),
            };
            let mut out = format!("{}{}{}", &xml[..s], replacement, &xml[e..]);
            if n == 5 {
                out = out.replace(
                    "</samlp:Response>",
                    &format!("{unsigned_original}</samlp:Response>"),
                );
            }
            if n == 7 {
                let clone = without_signature(&evil(a));
                out = out.replacen(
                    "<samlp:Status>",
                    &format!("<samlp:Extensions>{clone}</samlp:Extensions><samlp:Status>"),
                    1,
                );
            }
            out
        }
    }
}

#[test]
#[ignore = "writes test_vectors/attacks/; run explicitly to regenerate"]
fn regenerate_attack_vectors() {
    let idp = kept_idp();
    let attacker = SigningIdentity::generate("Federa test attacker", now(), &rng()).unwrap();
    let p = params();
    let signed_assertion = legit(&p, SignMode::Assertion, &idp);
    let signed_response = legit(&p, SignMode::Response, &idp);

    let mut files: Vec<(String, String)> = vec![
        (
            "legit-signed-assertion.xml".into(),
            signed_assertion.clone(),
        ),
        ("legit-signed-response.xml".into(), signed_response.clone()),
    ];
    for n in 1..=8 {
        files.push((
            format!("xsw{n}.xml"),
            xsw(n, &signed_assertion, &signed_response),
        ));
    }

    // Comment injection: the attacker registered admin@evil.com.example.com at the IdP and
    // splits the signed NameID with a comment; exc-C14N drops comments, the signature holds.
    let mut pc = params();
    pc.name_id.value = "admin@evil.com.example.com".into();
    let c = legit(&pc, SignMode::Assertion, &idp).replacen(
        ">admin@evil.com.example.com<",
        ">admin@evil.com<!---->.example.com<",
        1,
    );
    files.push(("comment-injection-nameid.xml".into(), c));

    // Duplicate IDs: the (unsigned) Response takes the Assertion's ID.
    let a_id = {
        let a = assertion_of(&signed_assertion);
        let i = a.find(" ID=\"").unwrap() + 5;
        a[i..i + a[i..].find('"').unwrap()].to_owned()
    };
    files.push((
        "duplicate-id.xml".into(),
        set_first_id(&signed_assertion, &a_id),
    ));

    // Signed by the attacker's key, which KeyInfo carries.
    files.push((
        "wrong-key-keyinfo.xml".into(),
        legit(&evil_params(), SignMode::Assertion, &attacker),
    ));

    // A genuine assertion of another IdP (its own issuer and key).
    let mut po = params();
    po.issuer = "http://other-idp.example".into();
    files.push((
        "other-idp-issuer.xml".into(),
        legit(&po, SignMode::Assertion, &attacker),
    ));

    // Expired: issued at 09:00, valid five minutes.
    files.push(("expired.xml".into(), {
        build_response(
            &p,
            &ResponseOptions::default(),
            &idp,
            datetime!(2026-11-23 09:00:00 UTC),
            &rng(),
        )
        .unwrap()
        .xml
    }));

    let mut pa = params();
    pa.audience = "http://other-sp.example/sp".into();
    files.push((
        "wrong-audience.xml".into(),
        legit(&pa, SignMode::Assertion, &idp),
    ));

    let mut pd = params();
    pd.destination = "http://evil.example/acs".into();
    files.push((
        "wrong-destination.xml".into(),
        legit(&pd, SignMode::Assertion, &idp),
    ));

    // No signature anywhere.
    files.push((
        "unsigned.xml".into(),
        without_signature(&evil(&signed_assertion)),
    ));

    // The IdP could not authenticate passively.
    files.push((
        "status-responder-nopassive.xml".into(),
        format!(
            concat!(
                r#"<samlp:Response xmlns:samlp="{p}" xmlns:saml="{a}" ID="_status1" Version="2.0" "#,
                r#"IssueInstant="2026-11-23T10:00:00Z" Destination="{acs}" InResponseTo="{req}">"#,
                r#"<saml:Issuer>{iss}</saml:Issuer><samlp:Status>"#,
                r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">"#,
                r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:NoPassive"/>"#,
                r#"</samlp:StatusCode><samlp:StatusMessage>user not signed in</samlp:StatusMessage>"#,
                r#"</samlp:Status></samlp:Response>"#
            ),
            p = ns::PROTOCOL,
            a = ns::ASSERTION,
            acs = ACS,
            req = REQ,
            iss = IDP_ISSUER
        ),
    ));

    std::fs::create_dir_all(attacks_dir()).unwrap();
    for (name, xml) in files {
        std::fs::write(attacks_dir().join(name), xml).unwrap();
    }
}

fn evil_params() -> ResponseParams {
    let mut p = params();
    p.name_id.value = "admin@example.com".into();
    p
}

// ---------------------------------------------------------------------------------------------
// The vectors
// ---------------------------------------------------------------------------------------------

#[test]
fn legit_vectors_are_accepted_and_verify_with_xmlsec1() {
    for name in ["legit-signed-assertion.xml", "legit-signed-response.xml"] {
        let v = validate_vector(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.name_id.value, "alice@example.com");
        assert_xmlsec1(&read_attack(name), &read_vector("idp.crt"), true);
    }
}

fn assert_wrapping(name: &str) {
    match validate_vector(name) {
        Err(SamlError::Wrapping(_)) => {}
        other => panic!("{name}: expected Wrapping, got {other:?}"),
    }
}

#[test]
fn xsw1_response_clone_inside_signature_is_refused() {
    assert_wrapping("xsw1.xml");
}

#[test]
fn xsw2_response_clone_before_signature_is_refused() {
    assert_wrapping("xsw2.xml");
}

#[test]
fn xsw3_unsigned_assertion_before_signed_one_is_refused() {
    assert_wrapping("xsw3.xml");
}

#[test]
fn xsw4_signed_assertion_inside_unsigned_one_is_refused() {
    assert_wrapping("xsw4.xml");
}

#[test]
fn xsw5_original_appended_at_the_end_is_refused() {
    assert_wrapping("xsw5.xml");
}

#[test]
fn xsw6_original_inside_the_signature_is_refused() {
    assert_wrapping("xsw6.xml");
}

#[test]
fn xsw7_clone_in_extensions_is_refused() {
    assert_wrapping("xsw7.xml");
}

#[test]
fn xsw8_original_in_signature_object_is_refused() {
    assert_wrapping("xsw8.xml");
}

/// Defence in depth: the signature layer alone (without the structural pre-checks) also refuses
/// to let the evil, signature-carrying copy pass as signed in XSW5, XSW6 and XSW8.
#[test]
fn xsw_signature_layer_alone_refuses_the_evil_copy() {
    let idp = kept_idp();
    for name in ["xsw5.xml", "xsw6.xml", "xsw8.xml"] {
        let xml = read_attack(name);
        let doc = hardening::parse_xml(&xml).unwrap();
        let evil = doc
            .descendants()
            .find(|n| n.attribute("ID") == Some("_evil_assertion"))
            .unwrap();
        assert!(
            dsig::verify_enveloped(&xml, &doc, evil, std::slice::from_ref(idp.certificate()))
                .is_err(),
            "{name}"
        );
    }
}

#[test]
fn comment_injection_in_name_id_is_refused() {
    // The attack is real: the signature still verifies (bergshamra and xmlsec1) ...
    let xml = read_attack("comment-injection-nameid.xml");
    let idp = kept_idp();
    let doc = hardening::parse_xml(&xml).unwrap();
    let a = doc
        .descendants()
        .find(|n| n.has_tag_name((ns::ASSERTION, "Assertion")))
        .unwrap();
    dsig::verify_enveloped(&xml, &doc, a, std::slice::from_ref(idp.certificate())).unwrap();
    assert_xmlsec1(&xml, &read_vector("idp.crt"), true);
    // ... and a naive reader would see a truncated NameID.
    let name_id = doc
        .descendants()
        .find(|n| n.has_tag_name((ns::ASSERTION, "NameID")))
        .unwrap();
    assert_eq!(name_id.text(), Some("admin@evil.com"));
    // The validator refuses it.
    assert!(matches!(
        validate_vector("comment-injection-nameid.xml"),
        Err(SamlError::ForbiddenNode {
            kind: "comment",
            ..
        })
    ));
}

#[test]
fn duplicate_ids_are_refused() {
    assert!(matches!(
        validate_vector("duplicate-id.xml"),
        Err(SamlError::DuplicateId(_))
    ));
}

#[test]
fn signature_by_a_key_carried_in_key_info_is_refused() {
    assert!(matches!(
        validate_vector("wrong-key-keyinfo.xml"),
        Err(SamlError::SignatureInvalid(_))
    ));
}

#[test]
fn assertion_from_another_idp_is_refused() {
    assert!(matches!(
        validate_vector("other-idp-issuer.xml"),
        Err(SamlError::IssuerMismatch { .. })
    ));
}

#[test]
fn expired_assertion_is_refused() {
    assert!(matches!(
        validate_vector("expired.xml"),
        Err(SamlError::Expired { .. })
    ));
}

#[test]
fn wrong_audience_is_refused() {
    assert!(matches!(
        validate_vector("wrong-audience.xml"),
        Err(SamlError::AudienceMismatch { .. })
    ));
}

#[test]
fn wrong_destination_is_refused() {
    assert!(matches!(
        validate_vector("wrong-destination.xml"),
        Err(SamlError::DestinationMismatch { .. })
    ));
}

#[test]
fn unsigned_assertion_in_unsigned_response_is_refused() {
    assert!(matches!(
        validate_vector("unsigned.xml"),
        Err(SamlError::SignatureRequired(_))
    ));
}

#[test]
fn status_responder_no_passive_is_a_typed_error() {
    match validate_vector("status-responder-nopassive.xml") {
        Err(SamlError::Status { codes, message }) => {
            assert_eq!(
                codes,
                [
                    "urn:oasis:names:tc:SAML:2.0:status:Responder",
                    "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
                ]
            );
            assert_eq!(message.as_deref(), Some("user not signed in"));
        }
        other => panic!("expected Status, got {other:?}"),
    }
}

#[test]
fn replay_of_the_legit_vector_yields_the_same_assertion_id() {
    let a = validate_vector("legit-signed-assertion.xml").unwrap();
    let b = validate_vector("legit-signed-assertion.xml").unwrap();
    assert_eq!(a.assertion_id, b.assertion_id);
}

/// Independent interop: EncryptedAssertions made by libxmlsec1 (not by this crate) from
/// `legit-signed-assertion.xml`, to the kept SP key; see the README for the commands.
#[test]
fn xmlsec1_encrypted_cbc_vectors_decrypt_and_validate() {
    let idp = kept_idp();
    let certs = [idp.certificate().clone()];
    let keys = [federa_saml::DecryptionKey::from_pkcs8_pem(&read_vector("sp-enc.key")).unwrap()];
    for name in [
        "legit-xmlsec1-enc-aes128-cbc.xml",
        "legit-xmlsec1-enc-aes256-cbc.xml",
    ] {
        let u = UnverifiedResponse::from_xml(read_attack(name), &Limits::default()).unwrap();
        let v = u
            .validate(&expectations(&certs, &keys))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(v.encrypted && v.assertion_signed);
        assert_eq!(v.name_id.value, "alice@example.com");
    }
}
