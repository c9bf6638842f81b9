//! X.509 certificates as SAML carries them (`ds:X509Certificate`, XML-DSig §4.5.4; metadata
//! `KeyDescriptor`, SAML Metadata §2.4.1.1) and PEM text (RFC 7468). A [`Certificate`] is a
//! parsed, RSA-only public key holder: it verifies Redirect-binding signatures and is the
//! recipient of encrypted assertions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use x509_cert::der::{Decode, Encode};

use crate::error::{Result, SamlError};

/// OID of `rsaEncryption` (PKCS #1).
const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// A parsed X.509 certificate holding an RSA public key of at least 2048 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    spki_der: Vec<u8>,
    rsa_public_key: Vec<u8>,
    subject: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("der_len", &self.der.len())
            .finish()
    }
}

impl Certificate {
    /// Parse a DER certificate; only RSA keys (2048 bits or more) are accepted.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| SamlError::Key(format!("not a valid X.509 certificate: {e}")))?;
        let spki = &cert.tbs_certificate.subject_public_key_info;
        if spki.algorithm.oid.to_string() != RSA_ENCRYPTION_OID {
            return Err(SamlError::Key(format!(
                "certificate key algorithm {} is not RSA",
                spki.algorithm.oid
            )));
        }
        let rsa_public_key = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| SamlError::Key("certificate public key has unused bits".into()))?
            .to_vec();
        let spki_der = spki
            .to_der()
            .map_err(|e| SamlError::Key(format!("cannot re-encode the public key: {e}")))?;
        let parsed = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&spki_der)
            .map_err(|e| SamlError::Key(format!("certificate RSA key rejected: {e}")))?;
        if parsed.key_size_bits() < 2048 {
            return Err(SamlError::Key(format!(
                "certificate RSA key has {} bits; at least 2048 are required",
                parsed.key_size_bits()
            )));
        }
        Ok(Certificate {
            der: der.to_vec(),
            spki_der,
            rsa_public_key,
            subject: cert.tbs_certificate.subject.to_string(),
        })
    }

    /// Parse base64 DER as found in `ds:X509Certificate` (whitespace ignored).
    pub fn from_base64(b64: &str) -> Result<Self> {
        let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| SamlError::Base64 {
                what: "X509Certificate",
                detail: e.to_string(),
            })?;
        Self::from_der(&der)
    }

    /// Parse a PEM `CERTIFICATE` block.
    pub fn from_pem(pem: &str) -> Result<Self> {
        Self::from_der(&pem_decode("CERTIFICATE", pem)?)
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Base64 of the DER bytes, one line, as metadata and `ds:X509Certificate` carry it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// PEM text (`-----BEGIN CERTIFICATE-----`).
    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }

    /// The subject distinguished name (RFC 4514 form), for logs.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// `SubjectPublicKeyInfo` DER of the RSA key.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// PKCS #1 `RSAPublicKey` DER of the key.
    pub(crate) fn rsa_public_key(&self) -> &[u8] {
        &self.rsa_public_key
    }
}

/// Encode DER as PEM with 64-character lines.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decode the first PEM block with `label`.
pub fn pem_decode(label: &str, pem: &str) -> Result<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| SamlError::Key(format!("no PEM block labelled {label}")))?
        + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or_else(|| SamlError::Key(format!("PEM block {label} is not terminated")))?
        + start;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| SamlError::Base64 {
            what: "PEM body",
            detail: e.to_string(),
        })
}
