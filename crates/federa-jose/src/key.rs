//! RSA encryption keys: the private key we decrypt with and the public key others encrypt to.
//!
//! Owns [`Kid`], [`RsaKeySize`], [`RsaDecryptionKey`] (PKCS#8 per RFC 5208/5958, PEM per
//! RFC 7468 §10, generation via aws-lc-rs), [`RsaEncryptionKey`] (from a JWK per RFC 7517 §4 /
//! RFC 7518 §6.3.1, or from an X.509 SubjectPublicKeyInfo), the RFC 7638 JWK thumbprint used as
//! the default `kid`, and the RSAES-OAEP-SHA-256 key wrap/unwrap of RFC 7518 §4.3 (RFC 8017 §7.1
//! with SHA-256 and MGF1-SHA-256, empty label). Private key material never appears in `Debug`.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey, PublicKey, PublicKeyComponents,
};

use crate::b64;
use crate::error::{JoseError, excerpt};
use crate::jwk::{ALG_RSA_OAEP_256, RsaPublicJwk};

/// Smallest accepted RSA modulus in bits (RFC 7518 §4.3 requires 2048 or larger).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest accepted RSA modulus in bits (aws-lc-rs's upper bound).
pub const MAX_RSA_BITS: usize = 8192;
/// Longest accepted `kid`, in bytes.
pub const MAX_KID_LEN: usize = 256;
/// Length of the A256GCM content encryption key (RFC 7518 §5.3).
pub(crate) const CEK_LEN: usize = 32;

/// A key identifier (`kid`, RFC 7517 §4.5): 1 to 256 bytes of any text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid(String);

impl Kid {
    /// Wraps a key identifier.
    ///
    /// # Errors
    /// [`JoseError::InvalidKid`] if it is empty or longer than [`MAX_KID_LEN`] bytes.
    pub fn new(kid: impl Into<String>) -> Result<Self, JoseError> {
        let kid = kid.into();
        if kid.is_empty() || kid.len() > MAX_KID_LEN {
            return Err(JoseError::InvalidKid {
                len: kid.len(),
                max: MAX_KID_LEN,
            });
        }
        Ok(Kid(kid))
    }

    /// The identifier as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Kid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// RSA modulus sizes offered for key generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaKeySize {
    /// 2048-bit modulus.
    Rsa2048,
    /// 3072-bit modulus.
    Rsa3072,
    /// 4096-bit modulus.
    Rsa4096,
}

impl RsaKeySize {
    fn to_aws(self) -> KeySize {
        match self {
            RsaKeySize::Rsa2048 => KeySize::Rsa2048,
            RsaKeySize::Rsa3072 => KeySize::Rsa3072,
            RsaKeySize::Rsa4096 => KeySize::Rsa4096,
        }
    }
}

/// A DER-encoded PKCS#8 v1 private key. Secret: `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct Pkcs8Der(Vec<u8>);

impl Pkcs8Der {
    /// Wraps DER bytes produced by aws-lc (used by the JWS signing keys).
    pub(crate) fn from_vec(der: Vec<u8>) -> Self {
        Pkcs8Der(der)
    }

    /// The DER bytes (secret).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key as a `-----BEGIN PRIVATE KEY-----` PEM block (secret).
    #[must_use]
    pub fn to_pem(&self) -> String {
        b64::der_to_pem_pkcs8(&self.0)
    }
}

impl fmt::Debug for Pkcs8Der {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkcs8Der([redacted])")
    }
}

/// Computes the RFC 7638 §3 thumbprint of an RSA public key: SHA-256 over
/// `{"e":…,"kty":"RSA","n":…}` (members in lexicographic order, no whitespace), base64url.
#[must_use]
pub fn rsa_jwk_thumbprint(n: &[u8], e: &[u8]) -> String {
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        b64::encode(e),
        b64::encode(n)
    );
    b64::encode(digest(&SHA256, canonical.as_bytes()).as_ref())
}

/// Bit length of a big-endian integer without leading zero bytes.
fn bit_len(be: &[u8]) -> usize {
    match be.first() {
        None => 0,
        Some(&first) => (be.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// An RSA public key used to encrypt a JWE to its owner (RSA-OAEP-256).
#[derive(Clone)]
pub struct RsaEncryptionKey {
    kid: Kid,
    key: PublicEncryptingKey,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RsaEncryptionKey {
    /// Builds a key from its modulus and public exponent (big-endian, no leading zeros), as
    /// carried by a JWK (RFC 7518 §6.3.1). The `kid` defaults to the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::InvalidPublicKey`] for leading zeros, an even or tiny exponent, or a value
    /// aws-lc rejects; [`JoseError::KeySize`] outside 2048..=8192 bits.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, JoseError> {
        if n.first().is_none_or(|&b| b == 0) {
            return Err(JoseError::InvalidPublicKey(
                "the modulus is empty or has a leading zero octet",
            ));
        }
        if e.first().is_none_or(|&b| b == 0) {
            return Err(JoseError::InvalidPublicKey(
                "the exponent is empty or has a leading zero octet",
            ));
        }
        let bits = bit_len(n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(JoseError::KeySize { bits });
        }
        // e must be odd, at least 3, and at most 64 bits (aws-lc refuses larger ones anyway).
        if e.len() > 8 || e.last().is_none_or(|&b| b & 1 == 0) || (e.len() == 1 && e[0] < 3) {
            return Err(JoseError::InvalidPublicKey(
                "the public exponent must be odd, at least 3 and at most 64 bits",
            ));
        }
        let key: PublicEncryptingKey = PublicKeyComponents { n, e }
            .try_into()
            .map_err(|_| JoseError::InvalidPublicKey("aws-lc rejected the modulus/exponent"))?;
        let kid = Kid(rsa_jwk_thumbprint(n, e));
        Ok(RsaEncryptionKey {
            kid,
            key,
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// Builds a key from a DER X.509 `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7), e.g. taken
    /// from a certificate in SAML metadata. The `kid` defaults to the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::InvalidPublicKey`] or [`JoseError::KeySize`].
    pub fn from_spki_der(der: &[u8]) -> Result<Self, JoseError> {
        let parsed = PublicKey::from_der(der)
            .map_err(|_| JoseError::InvalidPublicKey("not an RSA SubjectPublicKeyInfo"))?;
        Self::from_components(
            parsed.modulus().big_endian_without_leading_zero(),
            parsed.exponent().big_endian_without_leading_zero(),
        )
    }

    /// Builds a key from a public JWK DTO (RFC 7517 §4, RFC 7518 §6.3.1). Requires
    /// `kty: "RSA"`; `use`, when present, must be `enc` and `alg`, when present,
    /// `RSA-OAEP-256`. The JWK's `kid` is kept; without one the thumbprint is used.
    ///
    /// This accepts a DTO that serde has already parsed (unknown members dropped). To parse
    /// untrusted JSON use [`RsaEncryptionKey::from_jwk_json`], which also refuses duplicate
    /// members and private key material.
    ///
    /// # Errors
    /// [`JoseError::InvalidJwk`], [`JoseError::InvalidPublicKey`], [`JoseError::KeySize`] or
    /// [`JoseError::InvalidKid`].
    pub fn from_jwk(jwk: &RsaPublicJwk) -> Result<Self, JoseError> {
        if jwk.kty != "RSA" {
            return Err(JoseError::InvalidJwk(format!(
                "kty is {}, expected \"RSA\"",
                excerpt(&jwk.kty)
            )));
        }
        if let Some(key_use) = &jwk.key_use
            && key_use != "enc"
        {
            return Err(JoseError::InvalidJwk(format!(
                "use is {}, expected \"enc\"",
                excerpt(key_use)
            )));
        }
        if let Some(alg) = &jwk.alg
            && alg != ALG_RSA_OAEP_256
        {
            return Err(JoseError::InvalidJwk(format!(
                "alg is {}, expected \"RSA-OAEP-256\"",
                excerpt(alg)
            )));
        }
        let n = b64::decode(&jwk.n)
            .ok_or_else(|| JoseError::InvalidJwk("n is not strict base64url".to_owned()))?;
        let e = b64::decode(&jwk.e)
            .ok_or_else(|| JoseError::InvalidJwk("e is not strict base64url".to_owned()))?;
        let key = Self::from_components(&n, &e)?;
        match &jwk.kid {
            Some(kid) => Ok(key.with_kid(Kid::new(kid.as_str())?)),
            None => Ok(key),
        }
    }

    /// Parses one public JWK from untrusted JSON: strict (no duplicate members), refuses
    /// private members (`d p q dp dq qi oth`), then as [`RsaEncryptionKey::from_jwk`].
    ///
    /// # Errors
    /// As [`RsaEncryptionKey::from_jwk`], plus [`JoseError::DuplicateMember`].
    pub fn from_jwk_json(json: &str) -> Result<Self, JoseError> {
        let map = crate::json::parse_object(json.as_bytes())
            .map_err(|e| e.into_jose(crate::json::JWK))?;
        crate::jwk::public_jwk_from_map(&map).and_then(|jwk| Self::from_jwk(&jwk))
    }

    /// Replaces the `kid` (by default the RFC 7638 thumbprint).
    #[must_use]
    pub fn with_kid(mut self, kid: Kid) -> Self {
        self.kid = kid;
        self
    }

    /// The key identifier put into the JWE header when encrypting to this key.
    #[must_use]
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The RFC 7638 thumbprint (SHA-256, base64url), independent of the current `kid`.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        rsa_jwk_thumbprint(&self.n, &self.e)
    }

    /// Modulus size in bits.
    #[must_use]
    pub fn modulus_bits(&self) -> usize {
        self.key.key_size_bits()
    }

    /// Modulus size in bytes (= length of an encrypted key).
    #[must_use]
    pub fn modulus_len(&self) -> usize {
        self.key.key_size_bytes()
    }

    /// The public JWK: `kty RSA, use enc, alg RSA-OAEP-256, kid, n, e`.
    #[must_use]
    pub fn to_jwk(&self) -> RsaPublicJwk {
        RsaPublicJwk {
            kty: "RSA".to_owned(),
            key_use: Some("enc".to_owned()),
            alg: Some(ALG_RSA_OAEP_256.to_owned()),
            kid: Some(self.kid.as_str().to_owned()),
            n: b64::encode(&self.n),
            e: b64::encode(&self.e),
        }
    }

    /// The DER `SubjectPublicKeyInfo` of the key.
    ///
    /// # Errors
    /// [`JoseError::Internal`] if aws-lc cannot serialize it.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, JoseError> {
        self.key
            .as_der()
            .map(|der| der.as_ref().to_vec())
            .map_err(|_| JoseError::Internal("serializing a public key"))
    }

    /// RSAES-OAEP-SHA-256 encryption of a content encryption key (RFC 7518 §4.3).
    pub(crate) fn wrap_cek(&self, cek: &[u8]) -> Result<Vec<u8>, JoseError> {
        let oaep = OaepPublicEncryptingKey::new(self.key.clone())
            .map_err(|_| JoseError::Internal("creating the OAEP encryption context"))?;
        let mut out = vec![0u8; oaep.ciphertext_size()];
        let len = oaep
            .encrypt(&OAEP_SHA256_MGF1SHA256, cek, &mut out, None)
            .map_err(|_| JoseError::Internal("RSA-OAEP encryption"))?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

impl fmt::Debug for RsaEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaEncryptionKey")
            .field("kid", &self.kid.as_str())
            .field("bits", &self.modulus_bits())
            .finish_non_exhaustive()
    }
}

/// An RSA private key that decrypts RSA-OAEP-256 JWEs. Secret: `Debug` shows only the `kid`.
#[derive(Clone)]
pub struct RsaDecryptionKey {
    private: PrivateDecryptingKey,
    public: RsaEncryptionKey,
}

impl RsaDecryptionKey {
    /// Generates a fresh key pair inside aws-lc (which draws its own randomness). The `kid` is
    /// the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::KeyGeneration`] if aws-lc fails.
    pub fn generate(size: RsaKeySize) -> Result<Self, JoseError> {
        let private =
            PrivateDecryptingKey::generate(size.to_aws()).map_err(|_| JoseError::KeyGeneration)?;
        Self::from_private(private)
    }

    /// Loads a DER PKCS#8 (v1 or v2) RSA private key. The `kid` is the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::InvalidPrivateKey`] with aws-lc's reason (too small, not RSA, malformed).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, JoseError> {
        let private = PrivateDecryptingKey::from_pkcs8(der)
            .map_err(|e| JoseError::InvalidPrivateKey(e.description_()))?;
        Self::from_private(private)
    }

    /// Loads an unencrypted PKCS#8 RSA private key from a `-----BEGIN PRIVATE KEY-----` PEM
    /// block. PKCS#1 (`RSA PRIVATE KEY`) and encrypted PKCS#8 are refused with a message.
    ///
    /// # Errors
    /// [`JoseError::Pem`] or as [`RsaDecryptionKey::from_pkcs8_der`].
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, JoseError> {
        Self::from_pkcs8_der(&b64::pem_pkcs8_to_der(pem)?)
    }

    fn from_private(private: PrivateDecryptingKey) -> Result<Self, JoseError> {
        let bits = private.key_size_bits();
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(JoseError::KeySize { bits });
        }
        let spki = private
            .public_key()
            .as_der()
            .map_err(|_| JoseError::Internal("serializing a public key"))?;
        let public = RsaEncryptionKey::from_spki_der(spki.as_ref())?;
        Ok(RsaDecryptionKey { private, public })
    }

    /// Replaces the `kid` (by default the RFC 7638 thumbprint).
    #[must_use]
    pub fn with_kid(mut self, kid: Kid) -> Self {
        self.public = self.public.with_kid(kid);
        self
    }

    /// The key identifier that JWEs encrypted to this key carry.
    #[must_use]
    pub fn kid(&self) -> &Kid {
        self.public.kid()
    }

    /// Modulus size in bits.
    #[must_use]
    pub fn modulus_bits(&self) -> usize {
        self.private.key_size_bits()
    }

    /// Modulus size in bytes (= the required length of a JWE encrypted key).
    #[must_use]
    pub fn modulus_len(&self) -> usize {
        self.private.key_size_bytes()
    }

    /// The matching public key (same `kid`).
    #[must_use]
    pub fn public_key(&self) -> &RsaEncryptionKey {
        &self.public
    }

    /// The public JWK to publish: `kty RSA, use enc, alg RSA-OAEP-256, kid, n, e`.
    #[must_use]
    pub fn public_jwk(&self) -> RsaPublicJwk {
        self.public.to_jwk()
    }

    /// Serializes the private key as DER PKCS#8 v1 (for encrypted storage at rest).
    ///
    /// # Errors
    /// [`JoseError::Internal`] if aws-lc cannot serialize it.
    pub fn to_pkcs8_der(&self) -> Result<Pkcs8Der, JoseError> {
        self.private
            .as_der()
            .map(|der| Pkcs8Der(der.as_ref().to_vec()))
            .map_err(|_| JoseError::Internal("serializing a private key"))
    }

    /// RSAES-OAEP-SHA-256 decryption of an encrypted CEK (RFC 7518 §4.3) into `cek`.
    ///
    /// Returns `true` only if OAEP decoding succeeded and produced exactly 32 bytes. On `false`
    /// `cek` is untouched, and the caller substitutes a random key (RFC 7516 §11.5).
    pub(crate) fn unwrap_cek(&self, encrypted: &[u8], cek: &mut [u8; CEK_LEN]) -> bool {
        let Ok(oaep) = OaepPrivateDecryptingKey::new(self.private.clone()) else {
            return false;
        };
        let mut out = vec![0u8; oaep.min_output_size()];
        match oaep.decrypt(&OAEP_SHA256_MGF1SHA256, encrypted, &mut out, None) {
            Ok(plain) if plain.len() == CEK_LEN => {
                cek.copy_from_slice(plain);
                plain.fill(0);
                true
            }
            Ok(plain) => {
                plain.fill(0);
                false
            }
            Err(_) => false,
        }
    }
}

impl fmt::Debug for RsaDecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaDecryptionKey")
            .field("kid", &self.kid().as_str())
            .field("bits", &self.modulus_bits())
            .field("private", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_bounds() {
        assert!(Kid::new("").is_err());
        assert!(Kid::new("k".repeat(MAX_KID_LEN)).is_ok());
        assert!(Kid::new("k".repeat(MAX_KID_LEN + 1)).is_err());
    }

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1 example key and its published thumbprint.
        let n = b64::decode(concat!(
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP",
            "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY",
            "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f",
            "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ))
        .unwrap_or_default();
        let e = b64::decode("AQAB").unwrap_or_default();
        assert_eq!(
            rsa_jwk_thumbprint(&n, &e),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        let key = RsaEncryptionKey::from_components(&n, &e);
        assert!(key.is_ok());
    }

    #[test]
    fn bit_len_counts() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[0x7f, 0]), 15);
    }

    #[test]
    fn components_are_validated() {
        let mut n = vec![0xC3u8; 256];
        n[255] |= 1;
        // leading zero
        let mut padded = vec![0u8];
        padded.extend_from_slice(&n);
        assert!(matches!(
            RsaEncryptionKey::from_components(&padded, &[1, 0, 1]),
            Err(JoseError::InvalidPublicKey(_))
        ));
        // too small
        assert!(matches!(
            RsaEncryptionKey::from_components(&n[..128], &[1, 0, 1]),
            Err(JoseError::KeySize { bits: 1024 })
        ));
        // bad exponents
        for e in [&[1u8][..], &[2], &[1, 0, 0], &[], &[0, 1]] {
            assert!(
                RsaEncryptionKey::from_components(&n, e).is_err(),
                "exponent {e:?} must be refused"
            );
        }
    }
}
