//! Compact JWE with `alg` RSA-OAEP-256 and `enc` A256GCM, nothing else.
//!
//! Owns encryption (RFC 7516 §5.1 with the compact serialization of §7.1), parsing of the
//! compact form into a typed, not yet decrypted [`CompactJwe`] (§5.2 steps 1-7 and §9), and
//! decryption (§5.2 steps 8-16) for exactly one algorithm pair: RSAES-OAEP with SHA-256 and
//! MGF1-SHA-256 (RFC 7518 §4.3) and AES-256-GCM with a 96-bit IV and 128-bit tag
//! (RFC 7518 §5.3). The Additional Authenticated Data is the ASCII of the base64url protected
//! header (RFC 7516 §5.1 step 14); there is no unprotected header and no AAD member in the
//! compact form.
//!
//! Hardening beyond the RFC's minimum (threat catalogue D.4, RFC 8725):
//! - only `alg` RSA-OAEP-256 and `enc` A256GCM; any other value is refused by name;
//! - `zip` is refused (no decompression bombs), `crit` is refused (no extension is understood),
//!   duplicate member names are refused (RFC 7516 §5.2 step 4 allows either choice);
//! - a `kid` is required and must name a key of the supplied [`DecryptionKeySet`] (Okta's
//!   unpublished draft sample header carried no `kid`; Federa's contract requires one, and a
//!   token without it fails with [`JoseError::MissingHeaderParameter`]);
//! - strict base64url everywhere, exactly five segments, input capped at
//!   [`MAX_COMPACT_JWE_LEN`], IV exactly 12 bytes, tag exactly 16 bytes, encrypted key exactly
//!   the modulus size;
//! - if OAEP unwrapping fails, decryption proceeds with a random CEK so that the failure
//!   surfaces at the GCM tag check like any other tampering (RFC 7516 §11.5), and every failure
//!   after key selection is the one opaque [`JoseError::Decryption`].
//!
//! Unknown header parameters other than `zip` and `crit` are ignored, as RFC 7516 §4 requires;
//! `typ` and `cty` are exposed on [`JweHeader`] for the caller to check (RFC 8725 §3.11).

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::b64;
use crate::error::{JoseError, Segment, excerpt};
use crate::json;
use crate::jwk::ALG_RSA_OAEP_256;
use crate::key::{CEK_LEN, Kid, RsaEncryptionKey};
use crate::keyset::DecryptionKeySet;
use crate::rng::Rng;

/// The only content encryption algorithm this crate implements (RFC 7518 §5.3).
pub const ENC_A256GCM: &str = "A256GCM";
/// Largest compact JWE accepted by [`CompactJwe::parse`] and produced by [`encrypt`], in bytes.
pub const MAX_COMPACT_JWE_LEN: usize = 64 * 1024;
/// IV length for A256GCM (RFC 7518 §5.3).
pub const IV_LEN: usize = NONCE_LEN;
/// Authentication tag length for A256GCM (RFC 7518 §5.3).
pub const TAG_LEN: usize = 16;

/// The validated protected header of a JWE this crate accepts.
///
/// `alg` is always RSA-OAEP-256 and `enc` always A256GCM, so they are not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JweHeader {
    kid: Kid,
    typ: Option<String>,
    cty: Option<String>,
}

impl JweHeader {
    /// The `kid` naming the recipient's key.
    #[must_use]
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The `typ` parameter (RFC 7516 §4.1.11), if present.
    #[must_use]
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The `cty` parameter (RFC 7516 §4.1.12), if present; `JWT` for a nested JWT.
    #[must_use]
    pub fn cty(&self) -> Option<&str> {
        self.cty.as_deref()
    }

    /// Validates a decoded protected header (RFC 7516 §5.2 steps 2-5).
    fn parse(bytes: &[u8]) -> Result<Self, JoseError> {
        let map = json::parse_object(bytes).map_err(|e| e.into_jose(json::HEADER))?;
        let alg = required_str(&map, "alg")?;
        if alg != ALG_RSA_OAEP_256 {
            return Err(JoseError::UnsupportedAlg { alg: excerpt(alg) });
        }
        let enc = required_str(&map, "enc")?;
        if enc != ENC_A256GCM {
            return Err(JoseError::UnsupportedEnc { enc: excerpt(enc) });
        }
        if map.contains_key("zip") {
            return Err(JoseError::CompressionNotAccepted);
        }
        if map.contains_key("crit") {
            return Err(JoseError::CriticalHeaderNotSupported);
        }
        let kid = required_str(&map, "kid")?;
        let kid = Kid::new(kid).map_err(|_| JoseError::UnknownKid { kid: excerpt(kid) })?;
        Ok(JweHeader {
            kid,
            typ: optional_str(&map, "typ")?.map(str::to_owned),
            cty: optional_str(&map, "cty")?.map(str::to_owned),
        })
    }
}

fn optional_str<'m>(
    map: &'m Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'m str>, JoseError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(JoseError::HeaderParameterType(name)),
    }
}

fn required_str<'m>(map: &'m Map<String, Value>, name: &'static str) -> Result<&'m str, JoseError> {
    optional_str(map, name)?.ok_or(JoseError::MissingHeaderParameter(name))
}

/// The protected header as written by [`encrypt`]; member order is fixed.
#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'static str,
    enc: &'static str,
    kid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cty: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
}

/// Optional header parameters for [`encrypt`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptOptions {
    typ: Option<String>,
    cty: Option<String>,
}

impl EncryptOptions {
    /// No optional parameters: the header is `{"alg","enc","kid"}`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `typ` (RFC 7516 §4.1.11).
    #[must_use]
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets `cty` (RFC 7516 §4.1.12), e.g. `JWT` for a nested signed JWT.
    #[must_use]
    pub fn cty(mut self, cty: impl Into<String>) -> Self {
        self.cty = Some(cty.into());
        self
    }
}

/// The largest number of bytes whose unpadded base64url form fits in `chars` characters.
const fn max_decoded_len(chars: usize) -> usize {
    (chars / 4) * 3
        + match chars % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

/// Encrypts `plaintext` to `key` as a compact JWE (RFC 7516 §5.1, §7.1).
///
/// The header is `{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":<key.kid()>}` plus `cty`/`typ`
/// from `options`. The 32-byte CEK and the 12-byte IV come from `rng`; the OAEP seed comes from
/// aws-lc's own generator.
///
/// # Errors
/// [`JoseError::PlaintextTooLarge`] if the result would exceed [`MAX_COMPACT_JWE_LEN`],
/// [`JoseError::EmptyOption`] for an empty `typ`/`cty`, or [`JoseError::Internal`].
pub fn encrypt<R: Rng + ?Sized>(
    key: &RsaEncryptionKey,
    plaintext: &[u8],
    options: &EncryptOptions,
    rng: &R,
) -> Result<String, JoseError> {
    if options.typ.as_deref() == Some("") {
        return Err(JoseError::EmptyOption("typ"));
    }
    if options.cty.as_deref() == Some("") {
        return Err(JoseError::EmptyOption("cty"));
    }
    let header_json = serde_json::to_vec(&HeaderOut {
        alg: ALG_RSA_OAEP_256,
        enc: ENC_A256GCM,
        kid: key.kid().as_str(),
        cty: options.cty.as_deref(),
        typ: options.typ.as_deref(),
    })
    .map_err(|_| JoseError::Internal("serializing the JWE header"))?;
    let protected = b64::encode(&header_json);

    let overhead = protected.len()
        + b64::encoded_len(key.modulus_len())
        + b64::encoded_len(IV_LEN)
        + b64::encoded_len(TAG_LEN)
        + 4;
    let max = max_decoded_len(MAX_COMPACT_JWE_LEN.saturating_sub(overhead));
    if plaintext.len() > max {
        return Err(JoseError::PlaintextTooLarge {
            len: plaintext.len(),
            max,
        });
    }

    let mut cek = [0u8; CEK_LEN];
    rng.fill(&mut cek);
    let mut iv = [0u8; IV_LEN];
    rng.fill(&mut iv);

    let encrypted_key = key.wrap_cek(&cek)?;
    let sealing = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &cek)
            .map_err(|_| JoseError::Internal("creating the AES-256-GCM key"))?,
    );
    cek.fill(0);
    let mut ciphertext = plaintext.to_vec();
    let tag = sealing
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(protected.as_bytes()),
            &mut ciphertext,
        )
        .map_err(|_| JoseError::Internal("AES-256-GCM sealing"))?;

    let mut out = protected;
    for part in [&encrypted_key[..], &iv[..], &ciphertext[..], tag.as_ref()] {
        out.push('.');
        out.push_str(&b64::encode(part));
    }
    Ok(out)
}

/// A compact JWE whose format and header have been checked but which is not yet decrypted.
///
/// Obtained from [`CompactJwe::parse`]; turn it into plaintext with [`CompactJwe::decrypt`].
#[derive(Debug, Clone)]
pub struct CompactJwe<'a> {
    protected: &'a str,
    header: JweHeader,
    encrypted_key: Vec<u8>,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

fn decode_segment(text: &str, segment: Segment) -> Result<Vec<u8>, JoseError> {
    b64::decode(text).ok_or(JoseError::Base64 { segment })
}

impl<'a> CompactJwe<'a> {
    /// Parses the compact serialization (RFC 7516 §7.1) and validates the protected header.
    ///
    /// No key is needed and no cryptography is done.
    ///
    /// # Errors
    /// Every format and header error of [`JoseError`]: size, segment count, base64url,
    /// header JSON, duplicates, `alg`/`enc`/`zip`/`crit`/`kid`, IV and tag length.
    pub fn parse(token: &'a str) -> Result<Self, JoseError> {
        if token.len() > MAX_COMPACT_JWE_LEN {
            return Err(JoseError::InputTooLarge {
                len: token.len(),
                max: MAX_COMPACT_JWE_LEN,
            });
        }
        let segments: Vec<&str> = token.split('.').collect();
        let [protected, encrypted_key, iv, ciphertext, tag] = segments[..] else {
            return Err(JoseError::SegmentCount {
                found: segments.len(),
            });
        };

        if protected.is_empty() {
            return Err(JoseError::EmptySegment {
                segment: Segment::ProtectedHeader,
            });
        }
        let header = JweHeader::parse(&decode_segment(protected, Segment::ProtectedHeader)?)?;

        if encrypted_key.is_empty() {
            return Err(JoseError::EmptySegment {
                segment: Segment::EncryptedKey,
            });
        }
        let encrypted_key = decode_segment(encrypted_key, Segment::EncryptedKey)?;

        let iv = decode_segment(iv, Segment::Iv)?;
        let iv: [u8; IV_LEN] = iv
            .as_slice()
            .try_into()
            .map_err(|_| JoseError::IvLength { len: iv.len() })?;

        let ciphertext = decode_segment(ciphertext, Segment::Ciphertext)?;

        let tag = decode_segment(tag, Segment::Tag)?;
        let tag: [u8; TAG_LEN] = tag
            .as_slice()
            .try_into()
            .map_err(|_| JoseError::TagLength { len: tag.len() })?;

        Ok(CompactJwe {
            protected,
            header,
            encrypted_key,
            iv,
            ciphertext,
            tag,
        })
    }

    /// The validated protected header.
    #[must_use]
    pub fn header(&self) -> &JweHeader {
        &self.header
    }

    /// Decrypts with the key of `keys` that the header's `kid` names (RFC 7516 §5.2 steps
    /// 6-16). `rng` supplies the decoy CEK used when OAEP unwrapping fails (§11.5); it is drawn
    /// on every call, before unwrapping, so its use does not depend on the ciphertext.
    ///
    /// # Errors
    /// [`JoseError::UnknownKid`] if no key has the `kid`, [`JoseError::EncryptedKeyLength`] if
    /// the encrypted key is not the modulus size, and [`JoseError::Decryption`] for every
    /// cryptographic failure.
    pub fn decrypt<R: Rng + ?Sized>(
        &self,
        keys: &DecryptionKeySet,
        rng: &R,
    ) -> Result<DecryptedJwe, JoseError> {
        let kid = self.header.kid.as_str();
        let key = keys
            .get(kid)
            .ok_or_else(|| JoseError::UnknownKid { kid: excerpt(kid) })?;
        if self.encrypted_key.len() != key.modulus_len() {
            return Err(JoseError::EncryptedKeyLength {
                len: self.encrypted_key.len(),
                expected: key.modulus_len(),
            });
        }

        let mut decoy = [0u8; CEK_LEN];
        rng.fill(&mut decoy);
        let mut unwrapped = [0u8; CEK_LEN];
        let ok = key.unwrap_cek(&self.encrypted_key, &mut unwrapped);
        // Branch-free choice between the unwrapped and the decoy key (RFC 7516 §11.5).
        let mask = 0u8.wrapping_sub(u8::from(ok));
        let mut cek = [0u8; CEK_LEN];
        for ((c, u), d) in cek.iter_mut().zip(unwrapped).zip(decoy) {
            *c = (u & mask) | (d & !mask);
        }
        unwrapped.fill(0);
        decoy.fill(0);

        let opening = UnboundKey::new(&AES_256_GCM, &cek)
            .map(LessSafeKey::new)
            .map_err(|_| JoseError::Decryption);
        cek.fill(0);
        let opening = opening?;

        let mut in_out = Vec::with_capacity(self.ciphertext.len() + TAG_LEN);
        in_out.extend_from_slice(&self.ciphertext);
        in_out.extend_from_slice(&self.tag);
        let len = opening
            .open_in_place(
                Nonce::assume_unique_for_key(self.iv),
                Aad::from(self.protected.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| JoseError::Decryption)?
            .len();
        in_out.truncate(len);

        Ok(DecryptedJwe {
            header: self.header.clone(),
            plaintext: in_out,
        })
    }
}

/// Parses and decrypts a compact JWE in one step; see [`CompactJwe::parse`] and
/// [`CompactJwe::decrypt`].
///
/// # Errors
/// As [`CompactJwe::parse`] and [`CompactJwe::decrypt`].
pub fn decrypt<R: Rng + ?Sized>(
    keys: &DecryptionKeySet,
    token: &str,
    rng: &R,
) -> Result<DecryptedJwe, JoseError> {
    CompactJwe::parse(token)?.decrypt(keys, rng)
}

/// The result of a successful decryption. `Debug` shows the header and the plaintext length
/// only, since the plaintext may carry personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct DecryptedJwe {
    header: JweHeader,
    plaintext: Vec<u8>,
}

impl DecryptedJwe {
    /// The validated protected header.
    #[must_use]
    pub fn header(&self) -> &JweHeader {
        &self.header
    }

    /// The plaintext.
    #[must_use]
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// Takes the plaintext.
    #[must_use]
    pub fn into_plaintext(self) -> Vec<u8> {
        self.plaintext
    }
}

impl fmt::Debug for DecryptedJwe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptedJwe")
            .field("header", &self.header)
            .field("plaintext_len", &self.plaintext.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<JweHeader, JoseError> {
        JweHeader::parse(json.as_bytes())
    }

    #[test]
    fn header_minimal_and_optional_members() {
        let h = header(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k1"}"#);
        assert!(matches!(h, Ok(ref h) if h.kid().as_str() == "k1" && h.typ().is_none()));
        let h = header(
            r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k1","typ":"JWT","cty":"JWT","x":1}"#,
        );
        assert!(matches!(h, Ok(ref h) if h.typ() == Some("JWT") && h.cty() == Some("JWT")));
    }

    type Check = fn(&JoseError) -> bool;

    #[test]
    fn header_rejections() {
        let cases: [(&str, Check); 12] = [
            (r#"{"enc":"A256GCM","kid":"k"}"#, |e| {
                *e == JoseError::MissingHeaderParameter("alg")
            }),
            (r#"{"alg":"RSA-OAEP-256","kid":"k"}"#, |e| {
                *e == JoseError::MissingHeaderParameter("enc")
            }),
            (r#"{"alg":"RSA-OAEP-256","enc":"A256GCM"}"#, |e| {
                *e == JoseError::MissingHeaderParameter("kid")
            }),
            (r#"{"alg":7,"enc":"A256GCM","kid":"k"}"#, |e| {
                *e == JoseError::HeaderParameterType("alg")
            }),
            (r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":""}"#, |e| {
                *e == JoseError::HeaderParameterType("kid")
            }),
            (r#"{"alg":"none","enc":"A256GCM","kid":"k"}"#, |e| {
                matches!(e, JoseError::UnsupportedAlg { .. })
            }),
            (r#"{"alg":"rsa-oaep-256","enc":"A256GCM","kid":"k"}"#, |e| {
                matches!(e, JoseError::UnsupportedAlg { .. })
            }),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512","kid":"k"}"#,
                |e| matches!(e, JoseError::UnsupportedEnc { .. }),
            ),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k","zip":null}"#,
                |e| *e == JoseError::CompressionNotAccepted,
            ),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k","crit":[]}"#,
                |e| *e == JoseError::CriticalHeaderNotSupported,
            ),
            (
                r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k","typ":5}"#,
                |e| *e == JoseError::HeaderParameterType("typ"),
            ),
            (
                r#"{"alg":"RSA-OAEP-256","alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k"}"#,
                |e| matches!(e, JoseError::DuplicateMember { .. }),
            ),
        ];
        for (json, check) in cases {
            match header(json) {
                Err(e) => assert!(check(&e), "{json}: unexpected {e:?}"),
                Ok(h) => panic!("{json}: accepted as {h:?}"),
            }
        }
        let long_kid = format!(
            r#"{{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"{}"}}"#,
            "k".repeat(crate::MAX_KID_LEN + 1)
        );
        assert!(matches!(
            header(&long_kid),
            Err(JoseError::UnknownKid { .. })
        ));
    }

    /// A well-formed OAEP ciphertext of a CEK of the wrong length (16 bytes, as for A128GCM)
    /// must fail like any other decryption failure, not with a length error.
    #[test]
    fn wrong_cek_length_inside_oaep_fails_opaquely() {
        let pem = include_str!("../test_vectors/recipient_key.pem");
        let Ok(key) = crate::RsaDecryptionKey::from_pkcs8_pem(pem) else {
            panic!("fixture key");
        };
        let rng = crate::SystemRng::new();
        let Ok(token) = encrypt(key.public_key(), b"x", &EncryptOptions::new(), &rng) else {
            panic!("encrypt");
        };
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        for cek_len in [0usize, 16, 31, 33, 64] {
            let Ok(ek) = key.public_key().wrap_cek(&vec![0x11; cek_len]) else {
                panic!("wrap");
            };
            parts[1] = b64::encode(&ek);
            let Ok(keys) = DecryptionKeySet::from_keys([key.clone()]) else {
                panic!("set");
            };
            assert_eq!(
                decrypt(&keys, &parts.join("."), &rng),
                Err(JoseError::Decryption),
                "cek_len {cek_len}"
            );
        }
    }

    #[test]
    fn max_decoded_len_inverts_encoded_len() {
        for chars in 0..64 {
            let n = max_decoded_len(chars);
            assert!(b64::encoded_len(n) <= chars);
            assert!(b64::encoded_len(n + 1) > chars);
        }
    }
}
