//! Proof Key for Code Exchange, S256 only (RFC 7636).
//!
//! Owns [`CodeChallenge`] (§4.2: with S256 it is exactly the 43-character base64url SHA-256 of
//! the verifier; `plain` is refused, RFC 9700 §2.1.1), [`CodeVerifier`] (§4.1: 43 to 128
//! characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`), the constant-time check of
//! §4.6 ([`verify`]), and verifier/challenge generation for the broker's own requests upstream.

use std::fmt;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use federa_types::{Rng, Secret};

use crate::error::OidcError;

/// Length of an S256 `code_challenge` (base64url of 32 bytes).
pub const S256_CHALLENGE_LEN: usize = 43;

/// An S256 `code_challenge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Parses `code_challenge` and `code_challenge_method` from an authorization request.
    /// A missing method means `plain` (RFC 7636 §4.3) and is refused like an explicit `plain`.
    ///
    /// # Errors
    /// [`OidcError::InvalidParameter`].
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, OidcError> {
        match method {
            Some("S256") => {}
            None | Some("plain") => {
                return Err(OidcError::InvalidParameter {
                    name: "code_challenge_method",
                    reason: "plain (or no method) is not accepted; use S256".to_owned(),
                });
            }
            Some(_) => {
                return Err(OidcError::InvalidParameter {
                    name: "code_challenge_method",
                    reason: "only S256 is supported".to_owned(),
                });
            }
        }
        let decoded = URL_SAFE_NO_PAD.decode(challenge.as_bytes()).ok();
        if challenge.len() != S256_CHALLENGE_LEN || decoded.is_none_or(|d| d.len() != 32) {
            return Err(OidcError::InvalidParameter {
                name: "code_challenge",
                reason: "an S256 challenge is 43 base64url characters".to_owned(),
            });
        }
        Ok(CodeChallenge(challenge.to_owned()))
    }

    /// The S256 challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
    #[must_use]
    pub fn s256(verifier: &CodeVerifier) -> Self {
        let hash = digest(&SHA256, verifier.0.expose().as_bytes());
        CodeChallenge(URL_SAFE_NO_PAD.encode(hash.as_ref()))
    }

    /// The challenge text (for storage with the authorization code).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The method, always `S256`.
    #[must_use]
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

/// A PKCE `code_verifier` (secret).
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(Secret<String>);

impl CodeVerifier {
    /// Parses a verifier per RFC 7636 §4.1.
    ///
    /// # Errors
    /// [`OidcError::InvalidParameter`] (never echoing the value).
    pub fn parse(text: &str) -> Result<Self, OidcError> {
        let unreserved =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if !(43..=128).contains(&text.len()) || !text.bytes().all(unreserved) {
            return Err(OidcError::InvalidParameter {
                name: "code_verifier",
                reason: "must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~".to_owned(),
            });
        }
        Ok(CodeVerifier(Secret::new(text.to_owned())))
    }

    /// A fresh verifier: 32 random bytes, base64url (43 characters), per RFC 7636 §4.1.
    #[must_use]
    pub fn generate(rng: &dyn Rng) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes);
        CodeVerifier(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The verifier text (secret; to send upstream).
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

/// Checks a verifier against the stored challenge (RFC 7636 §4.6), in constant time.
///
/// # Errors
/// [`OidcError::PkceMismatch`].
pub fn verify(challenge: &CodeChallenge, verifier: &CodeVerifier) -> Result<(), OidcError> {
    let computed = CodeChallenge::s256(verifier);
    verify_slices_are_equal(computed.0.as_bytes(), challenge.0.as_bytes())
        .map_err(|_| OidcError::PkceMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn verifier(s: &str) -> CodeVerifier {
        CodeVerifier::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn rfc7636_appendix_b() {
        let challenge =
            CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(CodeChallenge::s256(&verifier(VERIFIER)), challenge);
        assert_eq!(verify(&challenge, &verifier(VERIFIER)), Ok(()));
        let other = verifier(&VERIFIER.replace('d', "e"));
        assert_eq!(verify(&challenge, &other), Err(OidcError::PkceMismatch));
    }

    #[test]
    fn plain_and_malformed_challenges_are_refused() {
        assert!(CodeChallenge::parse(CHALLENGE, Some("plain")).is_err());
        assert!(CodeChallenge::parse(CHALLENGE, None).is_err());
        assert!(CodeChallenge::parse(CHALLENGE, Some("s256")).is_err());
        assert!(CodeChallenge::parse(&CHALLENGE[..42], Some("S256")).is_err());
        assert!(CodeChallenge::parse(&format!("{CHALLENGE}="), Some("S256")).is_err());
        assert!(CodeChallenge::parse(&CHALLENGE.replace('-', "+"), Some("S256")).is_err());
    }

    #[test]
    fn verifier_syntax() {
        assert!(CodeVerifier::parse(&"a".repeat(42)).is_err());
        assert!(CodeVerifier::parse(&"a".repeat(43)).is_ok());
        assert!(CodeVerifier::parse(&"~".repeat(128)).is_ok());
        assert!(CodeVerifier::parse(&"a".repeat(129)).is_err());
        assert!(CodeVerifier::parse(&format!("{}+", "a".repeat(43))).is_err());
        assert!(CodeVerifier::parse(&format!("{} ", "a".repeat(43))).is_err());
        assert_eq!(
            format!("{:?}", verifier(VERIFIER)),
            "CodeVerifier([redacted])"
        );
    }

    #[test]
    fn generated_verifier_round_trips() {
        struct Fixed;
        impl Rng for Fixed {
            fn fill(&self, buf: &mut [u8]) {
                buf.fill(7);
            }
        }
        let v = CodeVerifier::generate(&Fixed);
        assert_eq!(v.expose().len(), 43);
        assert!(CodeVerifier::parse(v.expose()).is_ok());
        assert_eq!(verify(&CodeChallenge::s256(&v), &v), Ok(()));
    }
}
