//! SAML metadata (SAML Metadata §2.3.2 `EntityDescriptor`, §2.4.3 `IDPSSODescriptor`, §2.4.4
//! `SPSSODescriptor`, §2.4.1.1 `KeyDescriptor`): the IdP's metadata document out, and an SP's
//! metadata in — its entity id, ACS endpoints, signing and encryption certificates (the IdP org
//! takes the SP org's encryption certificate from here) and signing preferences. Metadata
//! signatures are not checked here: metadata is trusted by how it was obtained (admin upload or
//! a fetch the core layer pins).

use crate::authn_request::simple_text;
use crate::cert::Certificate;
use crate::error::{Result, SamlError};
use crate::hardening::{self, Limits};
use crate::ns;
use crate::xml;

/// What the IdP publishes about itself.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    /// The IdP entity id.
    pub entity_id: String,
    /// SSO endpoint for the HTTP-Redirect binding.
    pub sso_redirect_url: String,
    /// SSO endpoint for the HTTP-POST binding.
    pub sso_post_url: String,
    /// Signing certificates (current first; during rotation also the next or previous one).
    pub signing_certs: Vec<Certificate>,
    /// Supported NameID formats.
    pub name_id_formats: Vec<String>,
    /// `WantAuthnRequestsSigned`.
    pub want_authn_requests_signed: bool,
}

/// Serialize the IdP's `md:EntityDescriptor`.
pub fn idp_metadata_xml(md: &IdpMetadata) -> Result<String> {
    for (field, v) in [
        ("entity id", &md.entity_id),
        ("SSO Redirect URL", &md.sso_redirect_url),
        ("SSO POST URL", &md.sso_post_url),
    ] {
        if v.trim().is_empty() {
            return Err(SamlError::Build(format!("{field} is empty")));
        }
        xml::check_chars(field, v)?;
    }
    if md.signing_certs.is_empty() {
        return Err(SamlError::Build(
            "IdP metadata needs at least one signing certificate".into(),
        ));
    }
    let mut s = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="{}" xmlns:ds="{}" entityID="{}"><md:IDPSSODescriptor WantAuthnRequestsSigned="{}" protocolSupportEnumeration="{}">"#,
        ns::METADATA,
        ns::DSIG,
        xml::attr(&md.entity_id),
        md.want_authn_requests_signed,
        ns::PROTOCOL
    );
    for c in &md.signing_certs {
        s.push_str(&format!(
            r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
            c.to_base64()
        ));
    }
    for f in &md.name_id_formats {
        xml::check_chars("NameID format", f)?;
        s.push_str(&format!(
            "<md:NameIDFormat>{}</md:NameIDFormat>",
            xml::text(f)
        ));
    }
    for (binding, url) in [
        (ns::BINDING_REDIRECT, &md.sso_redirect_url),
        (ns::BINDING_POST, &md.sso_post_url),
    ] {
        s.push_str(&format!(
            r#"<md:SingleSignOnService Binding="{}" Location="{}"/>"#,
            binding,
            xml::attr(url)
        ));
    }
    s.push_str("</md:IDPSSODescriptor></md:EntityDescriptor>");
    Ok(s)
}

/// What the SP publishes about itself (the SP org's per-IdP metadata, SAML Metadata §2.4.4).
#[derive(Debug, Clone)]
pub struct SpMetadataOut {
    /// The SP entity id.
    pub entity_id: String,
    /// The ACS URL (HTTP-POST binding).
    pub acs_url: String,
    /// Certificates published with `use="signing"` (signed AuthnRequests).
    pub signing_certs: Vec<Certificate>,
    /// Certificates published with `use="encryption"` (the IdP encrypts assertions to them).
    pub encryption_certs: Vec<Certificate>,
    /// Supported NameID formats.
    pub name_id_formats: Vec<String>,
    /// `AuthnRequestsSigned`.
    pub authn_requests_signed: bool,
    /// `WantAssertionsSigned`.
    pub want_assertions_signed: bool,
}

/// Serialize the SP's `md:EntityDescriptor` with one `SPSSODescriptor`: signing and
/// encryption `KeyDescriptor`s (the encryption ones list the XML Encryption methods the SP
/// accepts), NameID formats and one HTTP-POST `AssertionConsumerService` (index 0, default).
pub fn sp_metadata_xml(md: &SpMetadataOut) -> Result<String> {
    for (field, v) in [("entity id", &md.entity_id), ("ACS URL", &md.acs_url)] {
        if v.trim().is_empty() {
            return Err(SamlError::Build(format!("{field} is empty")));
        }
        xml::check_chars(field, v)?;
    }
    if md.encryption_certs.is_empty() {
        return Err(SamlError::Build(
            "SP metadata needs at least one encryption certificate".into(),
        ));
    }
    let mut s = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="{}" xmlns:ds="{}" entityID="{}"><md:SPSSODescriptor AuthnRequestsSigned="{}" WantAssertionsSigned="{}" protocolSupportEnumeration="{}">"#,
        ns::METADATA,
        ns::DSIG,
        xml::attr(&md.entity_id),
        md.authn_requests_signed,
        md.want_assertions_signed,
        ns::PROTOCOL
    );
    for (usage, certs) in [
        ("signing", &md.signing_certs),
        ("encryption", &md.encryption_certs),
    ] {
        for c in certs {
            s.push_str(&format!(
                r#"<md:KeyDescriptor use="{usage}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
                c.to_base64()
            ));
            if usage == "encryption" {
                for alg in [
                    ns::ALG_AES256_GCM,
                    ns::ALG_RSA_OAEP_11,
                    ns::ALG_RSA_OAEP_MGF1P,
                ] {
                    s.push_str(&format!(r#"<md:EncryptionMethod Algorithm="{alg}"/>"#));
                }
            }
            s.push_str("</md:KeyDescriptor>");
        }
    }
    for f in &md.name_id_formats {
        xml::check_chars("NameID format", f)?;
        s.push_str(&format!(
            "<md:NameIDFormat>{}</md:NameIDFormat>",
            xml::text(f)
        ));
    }
    s.push_str(&format!(
        r#"<md:AssertionConsumerService Binding="{}" Location="{}" index="0" isDefault="true"/>"#,
        ns::BINDING_POST,
        xml::attr(&md.acs_url)
    ));
    s.push_str("</md:SPSSODescriptor></md:EntityDescriptor>");
    Ok(s)
}

/// One `md:AssertionConsumerService`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionConsumerService {
    /// Binding URI.
    pub binding: String,
    /// Endpoint URL.
    pub location: String,
    /// `@index`.
    pub index: Option<u16>,
    /// `@isDefault`.
    pub is_default: bool,
}

/// What an SP's metadata says.
#[derive(Debug, Clone)]
pub struct SpMetadata {
    /// `entityID`.
    pub entity_id: String,
    /// ACS endpoints, in document order.
    pub assertion_consumer_services: Vec<AssertionConsumerService>,
    /// Certificates from `KeyDescriptor use="signing"` or without `use`.
    pub signing_certs: Vec<Certificate>,
    /// Certificates from `KeyDescriptor use="encryption"` or without `use`.
    pub encryption_certs: Vec<Certificate>,
    /// `AuthnRequestsSigned`.
    pub authn_requests_signed: bool,
    /// `WantAssertionsSigned`.
    pub want_assertions_signed: bool,
    /// `NameIDFormat`s.
    pub name_id_formats: Vec<String>,
}

impl SpMetadata {
    /// The ACS to use for `binding`: the one marked default, else the lowest index, else the
    /// first listed.
    pub fn default_acs(&self, binding: &str) -> Option<&AssertionConsumerService> {
        let mut candidates: Vec<_> = self
            .assertion_consumer_services
            .iter()
            .filter(|a| a.binding == binding)
            .collect();
        if let Some(d) = candidates.iter().find(|a| a.is_default) {
            return Some(d);
        }
        candidates.sort_by_key(|a| a.index.unwrap_or(u16::MAX));
        candidates.first().copied()
    }

    /// The ACS with `index`.
    pub fn acs_by_index(&self, index: u16) -> Option<&AssertionConsumerService> {
        self.assertion_consumer_services
            .iter()
            .find(|a| a.index == Some(index))
    }
}

fn xs_bool(field: &str, v: Option<&str>) -> Result<bool> {
    match v.map(str::trim) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(SamlError::invalid(format!(
            "{field} is not an xs:boolean: {other:?}"
        ))),
    }
}

/// Parse an SP's `md:EntityDescriptor` (size-capped, DTD refused). Exactly one SAML 2.0
/// `SPSSODescriptor` is required.
pub fn parse_sp_metadata(xml_text: &str, limits: &Limits) -> Result<SpMetadata> {
    hardening::check_size("SP metadata", xml_text.len(), limits.max_raw_bytes)?;
    let doc = hardening::parse_xml(xml_text)?;
    let root = doc.root_element();
    if !root.has_tag_name((ns::METADATA, "EntityDescriptor")) {
        return Err(SamlError::invalid(
            "SP metadata root is not md:EntityDescriptor",
        ));
    }
    let entity_id = root
        .attribute("entityID")
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| SamlError::invalid("EntityDescriptor has no entityID"))?
        .to_owned();
    let sps: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name((ns::METADATA, "SPSSODescriptor")))
        .filter(|n| {
            n.attribute("protocolSupportEnumeration")
                .is_some_and(|p| p.split_whitespace().any(|x| x == ns::PROTOCOL))
        })
        .collect();
    let sp = match sps.as_slice() {
        [one] => *one,
        [] => {
            return Err(SamlError::invalid(
                "no SAML 2.0 SPSSODescriptor in metadata",
            ));
        }
        _ => return Err(SamlError::invalid("more than one SAML 2.0 SPSSODescriptor")),
    };
    let mut signing_certs = Vec::new();
    let mut encryption_certs = Vec::new();
    for kd in sp
        .children()
        .filter(|n| n.has_tag_name((ns::METADATA, "KeyDescriptor")))
    {
        let usage = kd.attribute("use");
        let certs = kd
            .descendants()
            .filter(|n| n.has_tag_name((ns::DSIG, "X509Certificate")))
            .map(|n| Certificate::from_base64(&simple_text(n)?))
            .collect::<Result<Vec<_>>>()?;
        match usage {
            Some("signing") => signing_certs.extend(certs),
            Some("encryption") => encryption_certs.extend(certs),
            None => {
                signing_certs.extend(certs.iter().cloned());
                encryption_certs.extend(certs);
            }
            Some(other) => {
                return Err(SamlError::invalid(format!(
                    "KeyDescriptor use {other:?} is neither signing nor encryption"
                )));
            }
        }
    }
    let assertion_consumer_services = sp
        .children()
        .filter(|n| n.has_tag_name((ns::METADATA, "AssertionConsumerService")))
        .map(|n| -> Result<AssertionConsumerService> {
            Ok(AssertionConsumerService {
                binding: n
                    .attribute("Binding")
                    .ok_or_else(|| SamlError::invalid("AssertionConsumerService has no Binding"))?
                    .to_owned(),
                location: n
                    .attribute("Location")
                    .ok_or_else(|| SamlError::invalid("AssertionConsumerService has no Location"))?
                    .to_owned(),
                index: n
                    .attribute("index")
                    .map(|i| {
                        i.trim().parse::<u16>().map_err(|_| {
                            SamlError::invalid("AssertionConsumerService index is not a number")
                        })
                    })
                    .transpose()?,
                is_default: xs_bool("isDefault", n.attribute("isDefault"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if assertion_consumer_services.is_empty() {
        return Err(SamlError::invalid(
            "SPSSODescriptor has no AssertionConsumerService",
        ));
    }
    let name_id_formats = sp
        .children()
        .filter(|n| n.has_tag_name((ns::METADATA, "NameIDFormat")))
        .map(simple_text)
        .collect::<Result<Vec<_>>>()?;
    Ok(SpMetadata {
        entity_id,
        assertion_consumer_services,
        signing_certs,
        encryption_certs,
        authn_requests_signed: xs_bool("AuthnRequestsSigned", sp.attribute("AuthnRequestsSigned"))?,
        want_assertions_signed: xs_bool(
            "WantAssertionsSigned",
            sp.attribute("WantAssertionsSigned"),
        )?,
        name_id_formats,
    })
}
