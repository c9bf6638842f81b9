//! Strict base64url and PEM codecs.
//!
//! Owns the byte/text encodings used by the rest of the crate: base64url without padding as
//! defined in RFC 7515 §2 and Appendix C (used by RFC 7516 §7.1 and RFC 7517), decoded strictly
//! (URL-safe alphabet only, no `=`, no whitespace, canonical trailing bits, so that every byte
//! string has exactly one accepted encoding), and the RFC 7468 §10 `PRIVATE KEY` (PKCS#8) PEM
//! block.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::error::JoseError;

/// Encodes bytes as unpadded base64url (RFC 7515 §2).
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url strictly. Returns `None` on any deviation.
///
/// The `base64` engine used here rejects padding, characters outside `A-Z a-z 0-9 - _`
/// (including whitespace and `+ /`), impossible lengths, and non-zero trailing bits.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()
}

/// Length of the unpadded base64url encoding of `n` bytes.
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

const PKCS8_LABEL: &str = "PRIVATE KEY";

/// Extracts the DER bytes of the single PKCS#8 `PRIVATE KEY` block (RFC 7468 §10).
///
/// Rejects PKCS#1 (`RSA PRIVATE KEY`) and encrypted PKCS#8 blocks with a message that says so,
/// text around the block other than whitespace, and more than one block.
pub(crate) fn pem_pkcs8_to_der(pem: &str) -> Result<Vec<u8>, JoseError> {
    let mut lines = pem.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().ok_or(JoseError::Pem("empty input"))?;
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.strip_suffix("-----"))
        .ok_or(JoseError::Pem(
            "expected a -----BEGIN PRIVATE KEY----- line",
        ))?;
    match label {
        PKCS8_LABEL => {}
        "RSA PRIVATE KEY" => {
            return Err(JoseError::Pem(
                "PKCS#1 \"RSA PRIVATE KEY\" is not accepted; convert it with `openssl pkcs8 -topk8 -nocrypt`",
            ));
        }
        "ENCRYPTED PRIVATE KEY" => {
            return Err(JoseError::Pem(
                "encrypted PKCS#8 is not accepted; decrypt it before loading",
            ));
        }
        _ => return Err(JoseError::Pem("the PEM label is not PRIVATE KEY")),
    }
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == "-----END PRIVATE KEY-----" {
            ended = true;
            break;
        }
        if line.starts_with("-----") {
            return Err(JoseError::Pem("mismatched END line"));
        }
        body.push_str(line);
    }
    if !ended {
        return Err(JoseError::Pem("missing -----END PRIVATE KEY----- line"));
    }
    if lines.next().is_some() {
        return Err(JoseError::Pem("unexpected text after the END line"));
    }
    STANDARD
        .decode(body.as_bytes())
        .map_err(|_| JoseError::Pem("the body is not valid base64"))
}

/// Wraps PKCS#8 DER bytes in a `PRIVATE KEY` PEM block with 64-character lines.
pub(crate) fn der_to_pem_pkcs8(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str("-----BEGIN PRIVATE KEY-----\n");
    let bytes = b64.as_bytes();
    for chunk in bytes.chunks(64) {
        // base64 output is ASCII, so every chunk boundary is a char boundary.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END PRIVATE KEY-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_is_strict() {
        assert_eq!(decode("AQID"), Some(vec![1, 2, 3]));
        assert_eq!(decode("AQ"), Some(vec![1]));
        assert_eq!(decode(""), Some(vec![]));
        for bad in [
            "AQ==", "AQ=", " AQID", "AQID ", "AQ\nID", "A+/B", "A", "AR", "AQI$",
        ] {
            assert_eq!(decode(bad), None, "{bad:?} must be rejected");
        }
    }

    #[test]
    fn encoded_len_matches_engine() {
        for n in 0..100 {
            assert_eq!(encoded_len(n), encode(&vec![0xAB; n]).len());
        }
    }

    #[test]
    fn pem_round_trip_and_rejections() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = der_to_pem_pkcs8(&der);
        assert_eq!(pem_pkcs8_to_der(&pem), Ok(der.clone()));
        assert_eq!(pem_pkcs8_to_der(&pem.replace('\n', "\r\n")), Ok(der));
        assert!(pem_pkcs8_to_der("").is_err());
        assert!(
            pem_pkcs8_to_der(
                "-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----"
            )
            .is_err()
        );
        assert!(pem_pkcs8_to_der("-----BEGIN PRIVATE KEY-----\nAA==\n").is_err());
        assert!(pem_pkcs8_to_der(&format!("{pem}{pem}")).is_err());
        assert!(
            pem_pkcs8_to_der("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----").is_err()
        );
    }
}
