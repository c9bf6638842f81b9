//! IdP metadata out, SP metadata in, and the signing identity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use federa_saml::{
    Certificate, IdpMetadata, Limits, SamlError, SigningIdentity, hardening, idp_metadata_xml, ns,
    parse_sp_metadata,
};

#[test]
fn idp_metadata_has_signing_key_formats_and_both_sso_bindings() {
    let md = IdpMetadata {
        entity_id: "http://hub.localhost:8080/app/x/0oaAPP".into(),
        sso_redirect_url: "http://hub.localhost:8080/app/x/0oaAPP/sso/saml?a=1&b=2".into(),
        sso_post_url: "http://hub.localhost:8080/app/x/0oaAPP/sso/saml".into(),
        signing_certs: vec![idp().certificate().clone()],
        name_id_formats: vec![ns::NAMEID_EMAIL.into(), ns::NAMEID_UNSPECIFIED.into()],
        want_authn_requests_signed: true,
    };
    let xml = idp_metadata_xml(&md).unwrap();
    let doc = hardening::parse_xml(&xml).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name((ns::METADATA, "EntityDescriptor")));
    assert_eq!(
        root.attribute("entityID"),
        Some("http://hub.localhost:8080/app/x/0oaAPP")
    );
    let idpsso = root
        .children()
        .find(|n| n.has_tag_name((ns::METADATA, "IDPSSODescriptor")))
        .unwrap();
    assert_eq!(idpsso.attribute("WantAuthnRequestsSigned"), Some("true"));
    let kd = idpsso
        .children()
        .find(|n| n.has_tag_name((ns::METADATA, "KeyDescriptor")))
        .unwrap();
    assert_eq!(kd.attribute("use"), Some("signing"));
    let cert = kd
        .descendants()
        .find(|n| n.has_tag_name((ns::DSIG, "X509Certificate")))
        .unwrap();
    assert_eq!(cert.text(), Some(idp().cert_base64().as_str()));
    let sso: Vec<_> = idpsso
        .children()
        .filter(|n| n.has_tag_name((ns::METADATA, "SingleSignOnService")))
        .map(|n| {
            (
                n.attribute("Binding").unwrap(),
                n.attribute("Location").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sso[0],
        (
            ns::BINDING_REDIRECT,
            "http://hub.localhost:8080/app/x/0oaAPP/sso/saml?a=1&b=2"
        )
    );
    assert_eq!(sso[1].0, ns::BINDING_POST);
    let order: Vec<_> = idpsso
        .children()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(
        order,
        [
            "KeyDescriptor",
            "NameIDFormat",
            "NameIDFormat",
            "SingleSignOnService",
            "SingleSignOnService"
        ]
    );
}

fn sp_metadata(sign: &Certificate, enc: &Certificate) -> String {
    format!(
        r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="http://spoke.localhost:8080/sso/saml2/0oaIDP/sp">
  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="1" protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
{sign}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{enc}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
      <md:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://spoke.localhost:8080/sso/saml2/0oaIDP" index="1"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://spoke.localhost:8080/acs2" index="0" isDefault="true"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://spoke.localhost:8080/acs3" index="2"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#,
        sign = sign.to_base64(),
        enc = enc.to_base64()
    )
}

#[test]
fn sp_metadata_is_read() {
    let xml = sp_metadata(other().certificate(), idp().certificate());
    let md = parse_sp_metadata(&xml, &Limits::default()).unwrap();
    assert_eq!(
        md.entity_id,
        "http://spoke.localhost:8080/sso/saml2/0oaIDP/sp"
    );
    assert!(md.authn_requests_signed && md.want_assertions_signed);
    assert_eq!(md.signing_certs, vec![other().certificate().clone()]);
    assert_eq!(md.encryption_certs, vec![idp().certificate().clone()]);
    assert_eq!(md.assertion_consumer_services.len(), 3);
    assert_eq!(
        md.default_acs(ns::BINDING_POST).unwrap().location,
        "http://spoke.localhost:8080/acs2"
    );
    assert_eq!(md.acs_by_index(2).unwrap().binding, ns::BINDING_REDIRECT);
    assert_eq!(md.name_id_formats, [ns::NAMEID_EMAIL]);
}

#[test]
fn key_descriptor_without_use_serves_both() {
    let xml = sp_metadata(other().certificate(), idp().certificate()).replace(
        r#"<md:KeyDescriptor use="encryption">"#,
        "<md:KeyDescriptor>",
    );
    let md = parse_sp_metadata(&xml, &Limits::default()).unwrap();
    assert_eq!(md.signing_certs.len(), 2);
    assert_eq!(md.encryption_certs, vec![idp().certificate().clone()]);
}

#[test]
fn bad_sp_metadata_is_refused() {
    let good = sp_metadata(other().certificate(), idp().certificate());
    let dtd = good.replace(
        "<?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE md>",
    );
    assert!(matches!(
        parse_sp_metadata(&dtd, &Limits::default()),
        Err(SamlError::DtdForbidden)
    ));
    let small = Limits {
        max_raw_bytes: 1024,
        max_xml_bytes: 1024,
    };
    assert!(matches!(
        parse_sp_metadata(&good, &small),
        Err(SamlError::TooLarge { .. })
    ));
    let no_sp = good.replace("SPSSODescriptor", "IDPSSODescriptor");
    assert!(parse_sp_metadata(&no_sp, &Limits::default()).is_err());
    let bad_cert = good.replace(&idp().cert_base64(), "AAAA");
    assert!(matches!(
        parse_sp_metadata(&bad_cert, &Limits::default()),
        Err(SamlError::Key(_))
    ));
    let no_entity = good.replace("entityID=", "x=");
    assert!(parse_sp_metadata(&no_entity, &Limits::default()).is_err());
    let saml1_only = good.replace(" urn:oasis:names:tc:SAML:2.0:protocol\"", "\"");
    assert!(parse_sp_metadata(&saml1_only, &Limits::default()).is_err());
}

#[test]
fn identity_pem_round_trip_and_mismatch() {
    let pem_key = idp().private_key_pem();
    let again = SigningIdentity::from_pem(pem_key.expose(), &idp().cert_pem()).unwrap();
    assert_eq!(again.cert_der(), idp().cert_der());
    assert_eq!(
        Certificate::from_pem(&idp().cert_pem()).unwrap(),
        *idp().certificate()
    );
    // A key with someone else's certificate is refused.
    assert!(matches!(
        SigningIdentity::from_parts(idp().pkcs8_der().expose(), other().cert_der()),
        Err(SamlError::Key(_))
    ));
    assert!(SigningIdentity::from_parts(b"not a key", idp().cert_der()).is_err());
    // Debug never prints the key.
    let dbg = format!("{:?}", idp());
    assert!(dbg.contains("redacted") && !dbg.contains("PRIVATE"));
    assert!(idp().certificate().subject().contains("hub.localhost IdP"));
}

#[test]
fn generated_certificate_is_accepted_by_openssl_shape() {
    // The DER parses as X.509 with an RSA-2048 key (Certificate::from_der checks both).
    let c = Certificate::from_der(idp().cert_der()).unwrap();
    assert_eq!(c.to_base64(), idp().cert_base64());
}
