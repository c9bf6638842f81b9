//! Helpers for the SP-validator tests: the kept vector keys, standard expectations, re-signing
//! after an edit, and an EncryptedAssertion writer for the AES-CBC cases the builder does not
//! emit.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use aws_lc_rs::cipher::{AES_128, AES_256, EncryptingKey, EncryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey,
};
use base64::Engine as _;
use federa_saml::{Certificate, DecryptionKey, KeyTransport, SigningIdentity, SpExpectations, ns};
use federa_types::Rng as _;
use time::Duration;

use crate::common::{now, rng};

pub const IDP_ISSUER: &str = "http://hub.localhost:8080";
pub const ACS: &str = "http://spoke.localhost:8080/sso/saml2/0oaIDP";
pub const SP_ENTITY: &str = "http://spoke.localhost:8080/sso/saml2/0oaIDP/sp";
pub const REQ: &str = "_req42";

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test_vectors")
}

pub fn read_vector(name: &str) -> String {
    std::fs::read_to_string(vectors_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The kept IdP identity (test_vectors/idp.key + idp.crt).
pub fn kept_idp() -> SigningIdentity {
    SigningIdentity::from_pem(&read_vector("idp.key"), &read_vector("idp.crt")).unwrap()
}

/// The SP's decryption key for `common::other()` (the identity the positive encryption tests
/// encrypt to).
pub fn other_decryption_key() -> DecryptionKey {
    DecryptionKey::from_pkcs8_der(crate::common::other().pkcs8_der().expose()).unwrap()
}

/// Expectations matching `common::params()` at `common::now()`, SP-initiated (`_req42`).
pub fn expectations<'a>(certs: &'a [Certificate], keys: &'a [DecryptionKey]) -> SpExpectations<'a> {
    SpExpectations {
        idp_issuer: IDP_ISSUER,
        trusted_certs: certs,
        sp_entity_id: SP_ENTITY,
        acs_url: ACS,
        expected_in_response_to: Some(REQ),
        allow_unsolicited: false,
        now: now(),
        max_clock_skew: Duration::seconds(120),
        decryption_keys: keys,
        require_signed_assertion: false,
    }
}

fn clear_between(s: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(open) {
        let j = rest[i..].find(close).unwrap() + i;
        out.push_str(&rest[..i + open.len()]);
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

/// Empty the DigestValue and SignatureValue of the (one) signature of `xml` and sign it again
/// with `identity`, so an edited document carries a valid signature by that key.
pub fn resign(xml: &str, identity: &SigningIdentity) -> String {
    let xml = clear_between(xml, "<ds:DigestValue>", "</ds:DigestValue>");
    let xml = clear_between(&xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
    let mut key = bergshamra::keys::loader::load_rsa_private_pem(
        identity.private_key_pem().expose().as_bytes(),
    )
    .unwrap();
    key.x509_chain = vec![identity.cert_der().to_vec()];
    let mut km = bergshamra::KeysManager::new();
    km.add_key(key);
    bergshamra::dsig::sign::sign_owned(&bergshamra::DsigContext::new(km), xml).unwrap()
}

/// Content encryption for [`encrypt_assertion`].
#[derive(Clone, Copy, Debug)]
pub enum Content {
    Aes128Cbc,
    Aes256Cbc,
}

/// Replace the plain `<saml:Assertion>…</saml:Assertion>` of `response_xml` by an
/// EncryptedAssertion (AES-CBC with XML-Enc padding made of random octets, RSA-OAEP to
/// `recipient`). With `sibling_key`, the EncryptedKey sits next to EncryptedData (Shibboleth's
/// layout) instead of inside its KeyInfo.
pub fn encrypt_assertion(
    response_xml: &str,
    recipient: &Certificate,
    content: Content,
    transport: KeyTransport,
    sibling_key: bool,
) -> String {
    let start = response_xml.find("<saml:Assertion").unwrap();
    let end = response_xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let assertion = &response_xml[start..end];
    let r = rng();
    let (alg, uri, key_len) = match content {
        Content::Aes128Cbc => (&AES_128, "http://www.w3.org/2001/04/xmlenc#aes128-cbc", 16),
        Content::Aes256Cbc => (&AES_256, "http://www.w3.org/2001/04/xmlenc#aes256-cbc", 32),
    };
    let mut cek = vec![0u8; key_len];
    r.fill(&mut cek);
    let mut iv = [0u8; 16];
    r.fill(&mut iv);
    let mut buf = assertion.as_bytes().to_vec();
    let pad = 16 - buf.len() % 16;
    let mut pad_bytes = vec![0u8; pad];
    r.fill(&mut pad_bytes);
    pad_bytes[pad - 1] = u8::try_from(pad).unwrap();
    buf.extend_from_slice(&pad_bytes);
    let key = EncryptingKey::cbc(UnboundCipherKey::new(alg, &cek).unwrap()).unwrap();
    key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
        .unwrap();
    let mut data = iv.to_vec();
    data.extend_from_slice(&buf);

    let public = PublicEncryptingKey::from_der(recipient.spki_der()).unwrap();
    let oaep = OaepPublicEncryptingKey::new(public).unwrap();
    let mut wrapped = vec![0u8; oaep.ciphertext_size()];
    let (oaep_alg, method) = match transport {
        KeyTransport::RsaOaepSha256 => (
            &OAEP_SHA256_MGF1SHA256,
            format!(
                r#"<xenc:EncryptionMethod Algorithm="{}"><ds:DigestMethod Algorithm="{}"/><xenc11:MGF xmlns:xenc11="{}" Algorithm="{}"/></xenc:EncryptionMethod>"#,
                ns::ALG_RSA_OAEP_11,
                ns::ALG_SHA256,
                ns::XENC11,
                ns::ALG_MGF1_SHA256
            ),
        ),
        _ => (
            &OAEP_SHA1_MGF1SHA1,
            format!(
                r#"<xenc:EncryptionMethod Algorithm="{}"/>"#,
                ns::ALG_RSA_OAEP_MGF1P
            ),
        ),
    };
    let wrapped = oaep.encrypt(oaep_alg, &cek, &mut wrapped, None).unwrap();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let encrypted_key = format!(
        r#"<xenc:EncryptedKey xmlns:xenc="{}" xmlns:ds="{}">{method}<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>"#,
        ns::XENC,
        ns::DSIG,
        b64(wrapped)
    );
    let (inside, outside) = if sibling_key {
        (String::new(), encrypted_key)
    } else {
        (
            format!(
                r#"<ds:KeyInfo xmlns:ds="{}">{encrypted_key}</ds:KeyInfo>"#,
                ns::DSIG
            ),
            String::new(),
        )
    };
    let enc = format!(
        r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="{}" Type="{}"><xenc:EncryptionMethod Algorithm="{uri}"/>{inside}<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>{outside}</saml:EncryptedAssertion>"#,
        ns::XENC,
        ns::XENC_TYPE_ELEMENT,
        b64(&data)
    );
    format!("{}{}{}", &response_xml[..start], enc, &response_xml[end..])
}
