//! The crate's one error type.
//!
//! Owns [`JoseError`]. Format and header errors (RFC 7516 §5.2 steps 1-7, RFC 7518 §4.3/§5.3
//! parameter constraints) are distinct and descriptive so that operators can see *why* a token was
//! refused. Every failure of the cryptographic steps (RFC 7516 §5.2 steps 10-14: key unwrap and
//! authenticated decryption) collapses into the single opaque [`JoseError::Decryption`] variant,
//! as RFC 7516 §11.5 requires, so that callers cannot build a padding or key-unwrap oracle.

use std::fmt;

/// Longest excerpt of attacker-supplied text that is copied into an error message.
const EXCERPT_MAX_CHARS: usize = 64;

/// Which of the five compact-serialization segments (RFC 7516 §7.1) an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// BASE64URL(UTF8(JWE Protected Header))
    ProtectedHeader,
    /// BASE64URL(JWE Encrypted Key)
    EncryptedKey,
    /// BASE64URL(JWE Initialization Vector)
    Iv,
    /// BASE64URL(JWE Ciphertext)
    Ciphertext,
    /// BASE64URL(JWE Authentication Tag)
    Tag,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Segment::ProtectedHeader => "protected header",
            Segment::EncryptedKey => "encrypted key",
            Segment::Iv => "initialization vector",
            Segment::Ciphertext => "ciphertext",
            Segment::Tag => "authentication tag",
        })
    }
}

/// Everything that can go wrong in `federa-jose`.
///
/// Messages never contain key material or plaintext. Attacker-controlled strings (an `alg`, a
/// `kid`) are truncated to 64 characters and shown escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    // ---- compact serialization / format -------------------------------------------------
    /// The compact JWE is larger than the configured limit.
    #[error("JWE is {len} bytes, more than the {max}-byte limit")]
    InputTooLarge {
        /// Size of the input in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// Not exactly five dot-separated segments (RFC 7516 §7.1).
    #[error("a compact JWE has exactly 5 dot-separated segments, this one has {found}")]
    SegmentCount {
        /// Number of segments found.
        found: usize,
    },
    /// A segment is not strict base64url (RFC 7515 §2: URL-safe alphabet, no padding, no
    /// whitespace, canonical trailing bits).
    #[error(
        "the JWE {segment} is not strict base64url (URL-safe alphabet, no padding, no whitespace)"
    )]
    Base64 {
        /// The offending segment.
        segment: Segment,
    },
    /// A segment that must not be empty is empty.
    #[error("the JWE {segment} is empty")]
    EmptySegment {
        /// The offending segment.
        segment: Segment,
    },

    // ---- protected header ---------------------------------------------------------------
    /// The protected header is not a UTF-8 JSON object.
    #[error("the JWE protected header is not a JSON object: {reason}")]
    HeaderNotJson {
        /// What the JSON parser reported.
        reason: String,
    },
    /// A JSON object (JWE header or JWK) names the same member twice (RFC 7515 §5.2 step 4,
    /// RFC 8725 §3.1 parser differentials).
    #[error("the {context} has the member {name} more than once")]
    DuplicateMember {
        /// Which document: "JWE protected header", "JWK", "JWK Set".
        context: &'static str,
        /// The repeated member name (escaped, truncated).
        name: String,
    },
    /// A required header parameter is absent.
    #[error("the JWE protected header lacks the required parameter \"{0}\"")]
    MissingHeaderParameter(&'static str),
    /// A header parameter has the wrong JSON type (or is an empty string).
    #[error("the JWE protected header parameter \"{0}\" must be a non-empty string")]
    HeaderParameterType(&'static str),
    /// `alg` is not RSA-OAEP-256.
    #[error("JWE key management algorithm {alg} is not accepted; only RSA-OAEP-256 is")]
    UnsupportedAlg {
        /// The `alg` value found (escaped, truncated).
        alg: String,
    },
    /// `enc` is not A256GCM.
    #[error("JWE content encryption algorithm {enc} is not accepted; only A256GCM is")]
    UnsupportedEnc {
        /// The `enc` value found (escaped, truncated).
        enc: String,
    },
    /// A `zip` header parameter is present (RFC 7516 §4.1.3); compression is refused outright.
    #[error("JWE compression (header parameter \"zip\") is not accepted")]
    CompressionNotAccepted,
    /// A `crit` header parameter is present (RFC 7516 §4.1.13); no extensions are understood.
    #[error("JWE critical header parameters (\"crit\") are not supported")]
    CriticalHeaderNotSupported,
    /// The `kid` does not name any key in the supplied key set.
    #[error("JWE kid {kid} does not name any of our decryption keys")]
    UnknownKid {
        /// The `kid` found (escaped, truncated).
        kid: String,
    },

    // ---- segment lengths ----------------------------------------------------------------
    /// The IV is not 96 bits (RFC 7518 §5.3).
    #[error("the JWE initialization vector is {len} bytes; A256GCM requires exactly 12")]
    IvLength {
        /// Decoded length in bytes.
        len: usize,
    },
    /// The authentication tag is not 128 bits (RFC 7518 §5.3); truncated tags are refused.
    #[error("the JWE authentication tag is {len} bytes; A256GCM requires exactly 16")]
    TagLength {
        /// Decoded length in bytes.
        len: usize,
    },
    /// The encrypted key is not exactly as long as the RSA modulus (RFC 8017 §7.1.2 step 1).
    #[error(
        "the JWE encrypted key is {len} bytes; the key named by its kid needs exactly {expected}"
    )]
    EncryptedKeyLength {
        /// Decoded length in bytes.
        len: usize,
        /// Modulus size of the selected key in bytes.
        expected: usize,
    },

    // ---- the opaque one -----------------------------------------------------------------
    /// Key unwrap or authenticated decryption failed. Deliberately says nothing more
    /// (RFC 7516 §11.5).
    #[error("JWE decryption failed")]
    Decryption,

    // ---- encryption ---------------------------------------------------------------------
    /// The plaintext would produce a JWE larger than the decryption limit.
    #[error("plaintext of {len} bytes is too large; at most {max} bytes can be encrypted")]
    PlaintextTooLarge {
        /// Plaintext size in bytes.
        len: usize,
        /// Largest accepted plaintext for this key in bytes.
        max: usize,
    },
    /// An `EncryptOptions` value (`typ`, `cty`) is empty.
    #[error("the JWE header parameter \"{0}\" must not be empty")]
    EmptyOption(&'static str),

    // ---- keys ---------------------------------------------------------------------------
    /// The bytes are not an acceptable PKCS#8 RSA private key.
    #[error("not an acceptable PKCS#8 RSA private key: {0}")]
    InvalidPrivateKey(&'static str),
    /// The bytes are not an acceptable RSA public key (SubjectPublicKeyInfo or JWK n/e).
    #[error("not an acceptable RSA public key: {0}")]
    InvalidPublicKey(&'static str),
    /// The PEM text is not a single unencrypted PKCS#8 `PRIVATE KEY` block.
    #[error("invalid PEM: {0}")]
    Pem(&'static str),
    /// The RSA modulus is outside the accepted range.
    #[error("RSA key of {bits} bits is not accepted; 2048 to 8192 bits are")]
    KeySize {
        /// Modulus size in bits.
        bits: usize,
    },
    /// Key generation failed inside the crypto library.
    #[error("RSA key generation failed")]
    KeyGeneration,
    /// A `kid` is empty or too long.
    #[error("a kid must be 1 to {max} bytes long, this one is {len}")]
    InvalidKid {
        /// Length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// A JWK is malformed or not an RSA encryption key.
    #[error("invalid JWK: {0}")]
    InvalidJwk(String),
    /// A JWK Set is malformed.
    #[error("invalid JWK Set: {0}")]
    InvalidJwks(String),
    /// Two keys with the same `kid` were put into one key set.
    #[error("the key set already holds a key with kid {kid}")]
    DuplicateKid {
        /// The repeated `kid` (escaped, truncated).
        kid: String,
    },

    // ---- JWS (RFC 7515, module jws) -----------------------------------------------------
    /// The compact JWS is larger than the limit.
    #[error("JWS is {len} bytes, more than the {max}-byte limit")]
    JwsTooLarge {
        /// Size of the input in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// Not exactly three dot-separated segments (RFC 7515 §7.1).
    #[error("a compact JWS has exactly 3 dot-separated segments, this one has {found}")]
    JwsSegmentCount {
        /// Number of segments found.
        found: usize,
    },
    /// A JWS segment is not strict base64url, or is empty where it must not be.
    #[error("the JWS {segment} is empty or not strict base64url (URL-safe alphabet, no padding)")]
    JwsBase64 {
        /// "protected header", "payload" or "signature".
        segment: &'static str,
    },
    /// The JWS protected header is not a UTF-8 JSON object, or a parameter has the wrong type.
    #[error("the JWS protected header is invalid: {reason}")]
    JwsHeader {
        /// What is wrong.
        reason: String,
    },
    /// `alg: none` (an unsecured JWS, RFC 7518 §3.6) is never accepted.
    #[error("unsecured JWS (alg \"none\") is not accepted")]
    JwsAlgNone,
    /// An HMAC `alg` (HS256/384/512); there is no symmetric verification path at all.
    #[error("JWS algorithm {alg} (HMAC) is not accepted; only asymmetric signatures are")]
    JwsSymmetricAlg {
        /// The `alg` found (escaped, truncated).
        alg: String,
    },
    /// The `alg` is not in the caller's allow-list (RFC 8725 §3.1).
    #[error("JWS algorithm {alg} is not accepted here; allowed: {allowed}")]
    JwsAlgNotAllowed {
        /// The `alg` found (escaped, truncated).
        alg: String,
        /// The allow-list, comma-separated.
        allowed: String,
    },
    /// A `crit` header parameter is present (RFC 7515 §4.1.11); no extension is understood.
    #[error("JWS critical header parameters (\"crit\") are not supported")]
    JwsCriticalHeader,
    /// No verification key has the token's `kid`, or the token has no `kid` and the choice is
    /// ambiguous.
    #[error("no JWS verification key matches: {reason}")]
    JwsNoKey {
        /// Why no key was selected (the `kid` is escaped and truncated).
        reason: String,
    },
    /// The key named by `kid` is of a type or declared algorithm that does not fit the header's
    /// `alg` (no algorithm substitution, RFC 8725 §2.1).
    #[error("JWS key {kid} cannot verify {alg}: it is a {key} key")]
    JwsKeyAlgMismatch {
        /// The key's `kid` (escaped, truncated).
        kid: String,
        /// The header `alg`.
        alg: &'static str,
        /// Description of the key ("RSA/RS256", "EC P-256/ES256").
        key: &'static str,
    },
    /// An ES256 signature that is not exactly 64 bytes of raw `R || S` (RFC 7518 §3.4); the
    /// DER form of other ecosystems is refused.
    #[error(
        "the ES256 signature is {len} bytes; JWS requires exactly 64 bytes of raw R||S, not DER"
    )]
    JwsEcdsaSignatureFormat {
        /// Decoded signature length in bytes.
        len: usize,
    },
    /// The signature does not verify. Deliberately says nothing more.
    #[error("JWS signature verification failed")]
    JwsSignature,
    /// The verified payload is not the expected JSON object (duplicate members refused).
    #[error("the JWS payload is not a JSON object: {reason}")]
    JwsPayloadNotJson {
        /// What is wrong.
        reason: String,
    },
    /// The bytes are not an acceptable PKCS#8 signing key for the requested algorithm.
    #[error("not an acceptable PKCS#8 signing key: {0}")]
    InvalidSigningKey(&'static str),

    // ---- infrastructure -----------------------------------------------------------------
    /// A cryptographic primitive failed where it cannot fail on valid input (internal error).
    #[error("internal cryptographic failure: {0}")]
    Internal(&'static str),
}

impl JoseError {
    /// True for the one opaque failure of the cryptographic steps; false for format, header and
    /// key-selection errors, which are safe to describe.
    #[must_use]
    pub fn is_decryption_failure(&self) -> bool {
        matches!(self, JoseError::Decryption)
    }
}

/// Escapes and truncates attacker-supplied text for an error message.
pub(crate) fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(EXCERPT_MAX_CHARS).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_escapes_and_truncates() {
        assert_eq!(excerpt("RSA1_5"), "\"RSA1_5\"");
        assert_eq!(excerpt("a\"\n"), "\"a\\\"\\n\"");
        let long = "x".repeat(200);
        let e = excerpt(&long);
        assert!(e.chars().count() < 80, "{e}");
        assert!(e.contains('…'));
    }

    #[test]
    fn decryption_error_is_opaque() {
        assert_eq!(JoseError::Decryption.to_string(), "JWE decryption failed");
        assert!(JoseError::Decryption.is_decryption_failure());
        assert!(!JoseError::CompressionNotAccepted.is_decryption_failure());
    }
}
