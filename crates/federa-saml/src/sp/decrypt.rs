//! `saml:EncryptedAssertion` decryption on the SP side (SAML Core §2.3.4; XML Encryption 1.1
//! §5.2 and §5.5). Accepted: content encryption AES-256-GCM (`xenc11#aes256-gcm`,
//! `CipherValue` = IV ‖ ciphertext ‖ tag) and AES-128/256-CBC (`xenc#aes128-cbc`,
//! `xenc#aes256-cbc`, `CipherValue` = IV ‖ ciphertext, XML-Enc padding); key transport RSA-OAEP
//! as `xenc11#rsa-oaep` (SHA-256 digest with MGF1-SHA-256, or the SHA-1 defaults) and
//! `xenc#rsa-oaep-mgf1p` (SHA-1). RSA PKCS #1 v1.5 key transport is refused (Bleichenbacher).
//! The `EncryptedKey` may sit in `EncryptedData/KeyInfo` or next to `EncryptedData` in the
//! `EncryptedAssertion` (Shibboleth's layout). Keys found in the message are never used.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_128, AES_256, DecryptingKey, DecryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    PrivateDecryptingKey,
};

use crate::cert::pem_decode;
use crate::error::{Result, SamlError};
use crate::hardening;
use crate::ns;

const ALG_AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const ALG_AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
const ALG_RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
const ALG_MGF1_SHA1: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha1";

/// One of the SP's RSA private keys for EncryptedAssertion (the per-IdP SP encryption key).
pub struct DecryptionKey {
    key: OaepPrivateDecryptingKey,
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecryptionKey([redacted])")
    }
}

impl DecryptionKey {
    /// Load an RSA private key (PKCS #8 DER) of at least 2048 bits.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let key = PrivateDecryptingKey::from_pkcs8(der).map_err(|e| {
            SamlError::Key(format!("SP decryption key is not an RSA PKCS #8 key: {e}"))
        })?;
        if key.key_size_bits() < 2048 {
            return Err(SamlError::Key(format!(
                "SP decryption key has {} bits; at least 2048 are required",
                key.key_size_bits()
            )));
        }
        let key = OaepPrivateDecryptingKey::new(key)
            .map_err(|_| SamlError::Key("SP decryption key cannot do RSA-OAEP".into()))?;
        Ok(DecryptionKey { key })
    }

    /// Load an RSA private key from a PEM `PRIVATE KEY` (PKCS #8) block.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self> {
        Self::from_pkcs8_der(&pem_decode("PRIVATE KEY", pem)?)
    }
}

#[derive(Clone, Copy)]
enum Content {
    Aes256Gcm,
    AesCbc { key_len: usize },
}

fn err(msg: impl Into<String>) -> SamlError {
    SamlError::Decryption(msg.into())
}

fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name((ns, name)))
}

fn cipher_value(node: roxmltree::Node<'_, '_>, max: usize) -> Result<Vec<u8>> {
    let cv = child(node, ns::XENC, "CipherData")
        .and_then(|cd| child(cd, ns::XENC, "CipherValue"))
        .ok_or_else(|| {
            err(format!(
                "<{}> has no CipherData/CipherValue",
                node.tag_name().name()
            ))
        })?;
    let text: String = cv.children().filter_map(|c| c.text()).collect();
    hardening::decode_base64("CipherValue", &text, max)
}

fn oaep_algorithm(ek: roxmltree::Node<'_, '_>) -> Result<&'static OaepAlgorithm> {
    let method = child(ek, ns::XENC, "EncryptionMethod")
        .ok_or_else(|| err("EncryptedKey has no EncryptionMethod"))?;
    let alg = method.attribute("Algorithm").unwrap_or("");
    if child(method, ns::XENC, "OAEPparams").is_some() {
        return Err(SamlError::UnsupportedAlgorithm(
            "RSA-OAEP with OAEPparams (a label)".into(),
        ));
    }
    let digest = child(method, ns::DSIG, "DigestMethod")
        .and_then(|d| d.attribute("Algorithm"))
        .unwrap_or(ns::ALG_SHA1);
    match alg {
        ns::ALG_RSA_OAEP_MGF1P if digest == ns::ALG_SHA1 => Ok(&OAEP_SHA1_MGF1SHA1),
        ns::ALG_RSA_OAEP_11 => {
            let mgf = child(method, ns::XENC11, "MGF")
                .and_then(|m| m.attribute("Algorithm"))
                .unwrap_or(ALG_MGF1_SHA1);
            match (digest, mgf) {
                (ns::ALG_SHA256, ns::ALG_MGF1_SHA256) => Ok(&OAEP_SHA256_MGF1SHA256),
                (ns::ALG_SHA1, ALG_MGF1_SHA1) => Ok(&OAEP_SHA1_MGF1SHA1),
                (d, m) => Err(SamlError::UnsupportedAlgorithm(format!(
                    "RSA-OAEP with digest {d} and mask generation {m}"
                ))),
            }
        }
        ns::ALG_RSA_OAEP_MGF1P => Err(SamlError::UnsupportedAlgorithm(format!(
            "rsa-oaep-mgf1p with digest {digest}"
        ))),
        ALG_RSA_1_5 => Err(SamlError::UnsupportedAlgorithm(
            "RSA PKCS #1 v1.5 key transport (rsa-1_5) is refused".into(),
        )),
        other => Err(SamlError::UnsupportedAlgorithm(format!(
            "key transport {other}"
        ))),
    }
}

/// Decrypt the one `EncryptedData` of `encrypted_assertion` with the first of `keys` that
/// unwraps one of its `EncryptedKey`s, and return the plaintext (the serialized Assertion).
pub(crate) fn decrypt_assertion(
    encrypted_assertion: roxmltree::Node<'_, '_>,
    keys: &[DecryptionKey],
    max_bytes: usize,
) -> Result<String> {
    if keys.is_empty() {
        return Err(err("the SP has no decryption key configured for this IdP"));
    }
    let mut data = encrypted_assertion
        .children()
        .filter(|n| n.has_tag_name((ns::XENC, "EncryptedData")));
    let data = match (data.next(), data.next()) {
        (Some(d), None) => d,
        _ => {
            return Err(err(
                "EncryptedAssertion must hold exactly one EncryptedData",
            ));
        }
    };
    if let Some(ty) = data.attribute("Type")
        && ty != ns::XENC_TYPE_ELEMENT
    {
        return Err(err(format!("EncryptedData Type {ty:?} is not an element")));
    }
    let content_alg = child(data, ns::XENC, "EncryptionMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .ok_or_else(|| err("EncryptedData has no EncryptionMethod"))?;
    let content = match content_alg {
        ns::ALG_AES256_GCM => Content::Aes256Gcm,
        ALG_AES128_CBC => Content::AesCbc { key_len: 16 },
        ALG_AES256_CBC => Content::AesCbc { key_len: 32 },
        other => {
            return Err(SamlError::UnsupportedAlgorithm(format!(
                "content encryption {other}"
            )));
        }
    };
    let key_len = match content {
        Content::Aes256Gcm => 32,
        Content::AesCbc { key_len } => key_len,
    };

    // EncryptedKey candidates: inside EncryptedData/KeyInfo, or siblings of EncryptedData.
    let mut candidates: Vec<_> = child(data, ns::DSIG, "KeyInfo")
        .map(|ki| {
            ki.children()
                .filter(|n| n.has_tag_name((ns::XENC, "EncryptedKey")))
                .collect()
        })
        .unwrap_or_default();
    candidates.extend(
        encrypted_assertion
            .children()
            .filter(|n| n.has_tag_name((ns::XENC, "EncryptedKey"))),
    );
    if candidates.is_empty() {
        return Err(err("no EncryptedKey for the content key"));
    }
    let mut cek: Option<Vec<u8>> = None;
    let mut last_error = err("no SP key unwraps the content key");
    'outer: for ek in candidates {
        let alg = match oaep_algorithm(ek) {
            Ok(a) => a,
            Err(e) => {
                last_error = e;
                continue;
            }
        };
        let wrapped = cipher_value(ek, 1024)?;
        for key in keys {
            let mut out = vec![0u8; key.key.min_output_size()];
            if let Ok(plain) = key.key.decrypt(alg, &wrapped, &mut out, None) {
                if plain.len() != key_len {
                    last_error = err(format!(
                        "the content key has {} bytes; {content_alg} needs {key_len}",
                        plain.len()
                    ));
                    continue;
                }
                cek = Some(plain.to_vec());
                break 'outer;
            }
        }
    }
    let cek = cek.ok_or(last_error)?;
    let ciphertext = cipher_value(data, max_bytes.saturating_add(64))?;
    let plain = match content {
        Content::Aes256Gcm => open_gcm(&cek, ciphertext)?,
        Content::AesCbc { .. } => open_cbc(&cek, ciphertext)?,
    };
    hardening::check_size("decrypted assertion", plain.len(), max_bytes)?;
    String::from_utf8(plain).map_err(|_| SamlError::Utf8 {
        what: "decrypted assertion",
    })
}

fn open_gcm(cek: &[u8], mut data: Vec<u8>) -> Result<Vec<u8>> {
    if data.len() < 12 + 16 {
        return Err(err("AES-GCM CipherValue is too short"));
    }
    let mut iv = [0u8; 12];
    iv.copy_from_slice(&data[..12]);
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, cek).map_err(|_| err("AES-256-GCM key setup failed"))?,
    );
    let mut sealed = data.split_off(12);
    let plain = key
        .open_in_place(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut sealed)
        .map_err(|_| err("AES-GCM authentication failed"))?;
    Ok(plain.to_vec())
}

fn open_cbc(cek: &[u8], mut data: Vec<u8>) -> Result<Vec<u8>> {
    if data.len() < 32 || !data.len().is_multiple_of(16) {
        return Err(err("AES-CBC CipherValue is not IV plus whole blocks"));
    }
    let alg = if cek.len() == 16 { &AES_128 } else { &AES_256 };
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&data[..16]);
    let key = DecryptingKey::cbc(
        UnboundCipherKey::new(alg, cek).map_err(|_| err("AES-CBC key setup failed"))?,
    )
    .map_err(|_| err("AES-CBC key setup failed"))?;
    let mut body = data.split_off(16);
    let plain_len = key
        .decrypt(&mut body, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| err("AES-CBC decryption failed"))?
        .len();
    body.truncate(plain_len);
    // XML-Enc padding (§5.2.1): the last octet is the pad length (1..=16); the other pad
    // octets are arbitrary.
    let pad = usize::from(body.last().copied().unwrap_or(0));
    if pad == 0 || pad > 16 || pad > body.len() {
        return Err(err("AES-CBC padding is invalid"));
    }
    body.truncate(body.len() - pad);
    Ok(body)
}
