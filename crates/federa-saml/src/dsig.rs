//! Enveloped XML signatures as SAML profiles them (SAML Core §5.4): one `ds:Reference` to the
//! signed element's `ID`, transforms enveloped-signature + exclusive C14N (with
//! `InclusiveNamespaces PrefixList="xs"`, because `xsi:type="xs:string"` names the `xs` prefix in
//! attribute content), RSA-SHA256 with a SHA-256 digest, and `KeyInfo/X509Data`. Signing and
//! digesting are done by bergshamra; this module builds the template and, when verifying, pins
//! what may be signed and how before handing the document to bergshamra with trusted keys only.

use crate::cert::Certificate;
use crate::error::{Result, SamlError};
use crate::identity::SigningIdentity;
use crate::ns;
use crate::xml;

/// Signature algorithms accepted on incoming XML signatures.
const ACCEPTED_SIGNATURE_METHODS: [&str; 3] =
    [ns::ALG_RSA_SHA256, ns::ALG_RSA_SHA384, ns::ALG_RSA_SHA512];
/// Digest algorithms accepted on incoming XML signatures.
const ACCEPTED_DIGESTS: [&str; 3] = [
    ns::ALG_SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
/// Inclusive C14N 1.0 (some SPs sign AuthnRequests with it); accepted only as a transform.
const ALG_C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";

/// The `ds:Signature` template placed right after the signed element's `Issuer`, with empty
/// `DigestValue` and `SignatureValue` for bergshamra to fill.
pub(crate) fn signature_template(reference_id: &str, cert_base64: &str) -> String {
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="{dsig}"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="{c14n}"/>"#,
            r#"<ds:SignatureMethod Algorithm="{sig}"/>"#,
            r##"<ds:Reference URI="#{id}"><ds:Transforms>"##,
            r#"<ds:Transform Algorithm="{env}"/>"#,
            r#"<ds:Transform Algorithm="{c14n}"><ec:InclusiveNamespaces xmlns:ec="{c14n}" PrefixList="xs"/></ds:Transform>"#,
            r#"</ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue>"#,
            r#"</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>"#,
            r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
            r#"</ds:Signature>"#
        ),
        dsig = ns::DSIG,
        c14n = ns::ALG_EXC_C14N,
        sig = ns::ALG_RSA_SHA256,
        id = xml::attr(reference_id),
        env = ns::ALG_ENVELOPED,
        digest = ns::ALG_SHA256,
        cert = cert_base64,
    )
}

/// Fill the first (in document order) signature template of `xml` with `identity`'s key.
pub(crate) fn sign_template(xml: String, identity: &SigningIdentity) -> Result<String> {
    let ctx = bergshamra::DsigContext::new(identity.dsig_keys());
    bergshamra::dsig::sign::sign_owned(&ctx, xml)
        .map_err(|e| SamlError::Crypto(format!("XML signing failed: {e}")))
}

/// Verify the enveloped signature carried by `element` (a child `ds:Signature`) against the
/// trusted certificates only. Checks, before any cryptography: exactly one `ds:Signature` child;
/// exactly one `Reference`, whose URI is `#` + the element's `ID`; accepted canonicalization,
/// signature, digest and transform algorithms. Then bergshamra verifies (trusted keys only,
/// strict reference positions, duplicate IDs refused).
pub fn verify_enveloped(
    source: &str,
    doc: &roxmltree::Document<'_>,
    element: roxmltree::Node<'_, '_>,
    certs: &[Certificate],
) -> Result<()> {
    if certs.is_empty() {
        return Err(SamlError::SignatureInvalid(
            "no trusted certificate is configured".into(),
        ));
    }
    let id = element
        .attribute("ID")
        .ok_or_else(|| SamlError::invalid("signed element has no ID attribute"))?;
    let sigs: Vec<_> = element
        .children()
        .filter(|n| n.has_tag_name((ns::DSIG, "Signature")))
        .collect();
    let sig = match sigs.as_slice() {
        [one] => *one,
        [] => return Err(SamlError::SignatureRequired("element")),
        _ => {
            return Err(SamlError::SignatureInvalid(
                "more than one Signature on one element".into(),
            ));
        }
    };
    check_signed_info(sig, id)?;
    // Which ds:Signature (in document order) is ours; bergshamra reports them in that order.
    let index = doc
        .descendants()
        .filter(|n| n.has_tag_name((ns::DSIG, "Signature")))
        .position(|n| n == sig)
        .ok_or_else(|| SamlError::SignatureInvalid("signature element not found".into()))?;

    let mut km = bergshamra::KeysManager::new();
    for cert in certs {
        let key = bergshamra::keys::loader::load_x509_cert_der(cert.der())
            .map_err(|e| SamlError::Key(format!("trusted certificate not usable: {e}")))?;
        km.add_key(key);
    }
    let ctx = bergshamra::DsigContext::new(km);
    let results = bergshamra::verify_all(&ctx, source)
        .map_err(|e| SamlError::SignatureInvalid(e.to_string()))?;
    match results.get(index) {
        Some(bergshamra::VerifyResult::Valid { references, .. }) => {
            let expected = format!("#{id}");
            let ok = references.len() == 1
                && references
                    .iter()
                    .all(|r| r.digest_verified && r.uri == expected && r.resolved_node.is_some());
            if ok {
                Ok(())
            } else {
                Err(SamlError::SignatureInvalid(
                    "the signature does not cover exactly the signed element".into(),
                ))
            }
        }
        Some(bergshamra::VerifyResult::Invalid { reason }) => {
            Err(SamlError::SignatureInvalid(reason.clone()))
        }
        None => Err(SamlError::SignatureInvalid(
            "signature was not evaluated".into(),
        )),
    }
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Result<roxmltree::Node<'a, 'i>> {
    let mut it = node.children().filter(|n| n.has_tag_name((ns::DSIG, name)));
    match (it.next(), it.next()) {
        (Some(n), None) => Ok(n),
        (None, _) => Err(SamlError::SignatureInvalid(format!("missing ds:{name}"))),
        (Some(_), Some(_)) => Err(SamlError::SignatureInvalid(format!(
            "more than one ds:{name}"
        ))),
    }
}

fn algorithm<'a>(node: roxmltree::Node<'a, '_>) -> Result<&'a str> {
    node.attribute("Algorithm").ok_or_else(|| {
        SamlError::SignatureInvalid(format!("ds:{} has no Algorithm", node.tag_name().name()))
    })
}

pub(crate) fn check_signed_info(sig: roxmltree::Node<'_, '_>, id: &str) -> Result<()> {
    let signed_info = child(sig, "SignedInfo")?;
    let c14n = algorithm(child(signed_info, "CanonicalizationMethod")?)?;
    if c14n != ns::ALG_EXC_C14N {
        return Err(SamlError::UnsupportedAlgorithm(format!(
            "canonicalization {c14n}"
        )));
    }
    let method = algorithm(child(signed_info, "SignatureMethod")?)?;
    if !ACCEPTED_SIGNATURE_METHODS.contains(&method) {
        return Err(SamlError::UnsupportedAlgorithm(method.to_string()));
    }
    let reference = child(signed_info, "Reference")?;
    if reference.attribute("URI") != Some(format!("#{id}").as_str()) {
        return Err(SamlError::SignatureInvalid(format!(
            "the Reference URI does not point at the signed element #{id}"
        )));
    }
    let digest = algorithm(child(reference, "DigestMethod")?)?;
    if !ACCEPTED_DIGESTS.contains(&digest) {
        return Err(SamlError::UnsupportedAlgorithm(format!("digest {digest}")));
    }
    if let Some(transforms) = reference
        .children()
        .find(|n| n.has_tag_name((ns::DSIG, "Transforms")))
    {
        for t in transforms.children().filter(|n| n.is_element()) {
            let alg = algorithm(t)?;
            if ![ns::ALG_ENVELOPED, ns::ALG_EXC_C14N, ALG_C14N_10].contains(&alg) {
                return Err(SamlError::UnsupportedAlgorithm(format!("transform {alg}")));
            }
        }
    }
    Ok(())
}
