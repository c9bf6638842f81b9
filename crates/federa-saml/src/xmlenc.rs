//! `saml:EncryptedAssertion` (SAML Core §2.3.4, §6.1) with XML Encryption 1.1: the Assertion is
//! encrypted with AES-256-GCM (XML-Enc 1.1 §5.2.4: `CipherValue` = IV ‖ ciphertext ‖ tag) under a
//! fresh content key, and the key is transported to the SP's certificate with RSA-OAEP.
//!
//! Key transport: the default is `xmlenc11#rsa-oaep` with SHA-256 as digest and MGF1-SHA-256 —
//! the same primitive as JWE `RSA-OAEP-256`, which the SP org already publishes its key for, and
//! free of SHA-1. `xmlenc#rsa-oaep-mgf1p` (SHA-1 digest, MGF1-SHA-1) is offered for SPs that only
//! know XML-Enc 1.0 (e.g. libxmlsec1 1.2 as in Debian 12, older Shibboleth/ADFS setups); OAEP's
//! security does not rest on SHA-1's collision resistance, but it is not the default.
//!
//! The content key and IV come from the caller's [`Rng`]; the OAEP padding seed is drawn by
//! aws-lc itself (its API takes no RNG).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPublicEncryptingKey,
    PublicEncryptingKey,
};
use federa_types::Rng;

use crate::cert::Certificate;
use crate::error::{Result, SamlError};
use crate::hardening::encode_base64;
use crate::ns;

/// RSA-OAEP variant used to transport the content key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyTransport {
    /// `http://www.w3.org/2009/xmlenc11#rsa-oaep`, SHA-256 digest, MGF1 with SHA-256 (default).
    #[default]
    RsaOaepSha256,
    /// `http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p`, SHA-1 digest, MGF1 with SHA-1 (legacy).
    RsaOaepMgf1pSha1,
}

impl KeyTransport {
    fn algorithm(self) -> &'static OaepAlgorithm {
        match self {
            KeyTransport::RsaOaepSha256 => &OAEP_SHA256_MGF1SHA256,
            KeyTransport::RsaOaepMgf1pSha1 => &OAEP_SHA1_MGF1SHA1,
        }
    }

    fn encryption_method(self) -> String {
        match self {
            KeyTransport::RsaOaepSha256 => format!(
                concat!(
                    r#"<xenc:EncryptionMethod Algorithm="{oaep}">"#,
                    r#"<ds:DigestMethod Algorithm="{sha256}"/>"#,
                    r#"<xenc11:MGF xmlns:xenc11="{xenc11}" Algorithm="{mgf}"/>"#,
                    r#"</xenc:EncryptionMethod>"#
                ),
                oaep = ns::ALG_RSA_OAEP_11,
                sha256 = ns::ALG_SHA256,
                xenc11 = ns::XENC11,
                mgf = ns::ALG_MGF1_SHA256,
            ),
            KeyTransport::RsaOaepMgf1pSha1 => format!(
                r#"<xenc:EncryptionMethod Algorithm="{}"><ds:DigestMethod Algorithm="{}"/></xenc:EncryptionMethod>"#,
                ns::ALG_RSA_OAEP_MGF1P,
                ns::ALG_SHA1,
            ),
        }
    }
}

/// Where and how to encrypt the assertion.
#[derive(Debug, Clone, Copy)]
pub struct Encryption<'a> {
    /// The SP's encryption certificate (from its metadata, `KeyDescriptor use="encryption"`).
    pub recipient: &'a Certificate,
    /// RSA-OAEP variant.
    pub key_transport: KeyTransport,
}

/// Encrypt a serialized (standalone, namespace-complete) Assertion into
/// `<saml:EncryptedAssertion>`.
pub(crate) fn encrypt_assertion(
    assertion_xml: &str,
    enc: &Encryption<'_>,
    rng: &dyn Rng,
) -> Result<String> {
    let mut cek = [0u8; 32];
    let mut iv = [0u8; 12];
    rng.fill(&mut cek);
    rng.fill(&mut iv);

    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &cek)
            .map_err(|_| SamlError::Crypto("AES-256-GCM key setup failed".into()))?,
    );
    let mut sealed = assertion_xml.as_bytes().to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut sealed)
        .map_err(|_| SamlError::Crypto("AES-256-GCM encryption failed".into()))?;
    let mut cipher_value = Vec::with_capacity(iv.len() + sealed.len());
    cipher_value.extend_from_slice(&iv);
    cipher_value.extend_from_slice(&sealed);

    let public = PublicEncryptingKey::from_der(enc.recipient.spki_der())
        .map_err(|e| SamlError::Key(format!("SP encryption key rejected: {e}")))?;
    let oaep = OaepPublicEncryptingKey::new(public)
        .map_err(|_| SamlError::Key("SP encryption key cannot do RSA-OAEP".into()))?;
    let mut wrapped = vec![0u8; oaep.ciphertext_size()];
    let wrapped = oaep
        .encrypt(enc.key_transport.algorithm(), &cek, &mut wrapped, None)
        .map_err(|_| SamlError::Crypto("RSA-OAEP key transport failed".into()))?;

    Ok(format!(
        concat!(
            r#"<saml:EncryptedAssertion>"#,
            r#"<xenc:EncryptedData xmlns:xenc="{xenc}" Type="{ty}">"#,
            r#"<xenc:EncryptionMethod Algorithm="{gcm}"/>"#,
            r#"<ds:KeyInfo xmlns:ds="{dsig}"><xenc:EncryptedKey>{method}"#,
            r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{wrapped}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedKey></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{data}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedData></saml:EncryptedAssertion>"#
        ),
        xenc = ns::XENC,
        ty = ns::XENC_TYPE_ELEMENT,
        gcm = ns::ALG_AES256_GCM,
        dsig = ns::DSIG,
        method = enc.key_transport.encryption_method(),
        cert = enc.recipient.to_base64(),
        wrapped = encode_base64(wrapped),
        data = encode_base64(&cipher_value),
    ))
}
