//! TOTP factors (RFC 6238; Google Authenticator key URI format): the verifier for a seed
//! (SHA-1, 6 digits, 30 s steps, ±1 step of skew), the `otpauth://` URI and its QR code shown
//! at enrollment.

use super::{TOTP_DIGITS, TOTP_STEP_SECONDS};
use crate::error::CoreError;

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Google Authenticator's key URI: `otpauth://totp/{issuer}:{account}?secret=..&issuer=..`.
pub(super) fn otpauth_uri(issuer: &str, account: &str, base32: &str) -> Result<String, CoreError> {
    let raw = format!(
        "otpauth://totp/{}:{}?secret={base32}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECONDS}",
        pct(issuer),
        pct(account),
        pct(issuer)
    );
    // Parsed once to be sure the result is a well-formed URL.
    url::Url::parse(&raw)
        .map(|u| u.to_string())
        .map_err(|e| CoreError::Internal(format!("otpauth URI: {e}")))
}

pub(super) fn qr_svg(data: &str) -> Result<String, CoreError> {
    let code = qrcode::QrCode::new(data.as_bytes())
        .map_err(|e| CoreError::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build())
}

/// An SVG document as a `data:` URI (for `_links.qrcode.href` and `<img src>`).
pub fn svg_data_uri(svg: &str) -> String {
    use base64::Engine as _;
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg.as_bytes())
    )
}

pub(super) fn totp_of(seed: &[u8]) -> Result<totp_rs::Totp, CoreError> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(TOTP_DIGITS)
        .with_skew(1)
        .with_step_duration(TOTP_STEP_SECONDS)
        .with_secret(seed.to_vec())
        .build()
        .map_err(|e| CoreError::Internal(format!("TOTP: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otpauth_uri_encodes_the_label() {
        let u = otpauth_uri("Org A", "grace:h@x.test", "JBSWY3DPEHPK3PXP").unwrap_or_default();
        assert!(
            u.starts_with(
                "otpauth://totp/Org%20A:grace%3Ah%40x.test?secret=JBSWY3DPEHPK3PXP&issuer=Org%20A"
            ),
            "{u}"
        );
        assert!(u.ends_with("&algorithm=SHA1&digits=6&period=30"), "{u}");
    }

    #[test]
    fn totp_matches_rfc_6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
        let t = totp_of(b"12345678901234567890").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(t.generate(20_000_000_000).to_string(), "353130");
        // ±1 step accepted, and the matched step reported for replay protection.
        assert_eq!(t.check("287082", 59 + 30), Some(1));
        assert_eq!(t.check("287082", 59 + 60), None);
    }

    #[test]
    fn the_qr_code_is_an_svg_document() {
        let svg = qr_svg("otpauth://totp/x:y?secret=AAAA").unwrap_or_default();
        assert!(svg.contains("<svg"), "{svg}");
    }
}
