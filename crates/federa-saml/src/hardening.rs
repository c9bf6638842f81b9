//! Input hardening applied before any SAML message is parsed: the DTD ban, size caps on raw and
//! inflated payloads, strict base64, a bounded raw-DEFLATE reader for the HTTP-Redirect binding
//! (SAML Bindings §3.4.4.1, with the compressed-message DoS of ruby-saml CVE-2025-25293 in mind),
//! and the one XML parser configuration used by the crate (roxmltree, DTDs off, node limit).

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

use crate::error::{Result, SamlError};

/// Default cap on any SAML message, before and after decoding/inflating: 256 KiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Cap on the number of XML nodes the parser will build (well above any real message).
const MAX_XML_NODES: u32 = 20_000;

/// Size limits applied to incoming messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum size in bytes of the encoded input (query string, form value, metadata document).
    pub max_raw_bytes: usize,
    /// Maximum size in bytes of the decoded (and, for Redirect, inflated) XML.
    pub max_xml_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_raw_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_xml_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

/// Refuse input larger than `limit` bytes.
pub fn check_size(what: &'static str, len: usize, limit: usize) -> Result<()> {
    if len > limit {
        return Err(SamlError::TooLarge { what, limit });
    }
    Ok(())
}

/// Refuse any document containing `<!DOCTYPE`, compared case-insensitively, before parsing.
pub fn reject_dtd(xml: &[u8]) -> Result<()> {
    const NEEDLE: &[u8] = b"<!doctype";
    if xml
        .windows(NEEDLE.len())
        .any(|w| w.eq_ignore_ascii_case(NEEDLE))
    {
        return Err(SamlError::DtdForbidden);
    }
    Ok(())
}

/// Strict standard base64 (RFC 4648 §4, canonical padding, no stray trailing bits). ASCII
/// whitespace (CR, LF, space, tab) is removed first, because some senders wrap lines at 64 or 76
/// characters; everything else outside the alphabet is an error.
pub fn decode_base64(what: &'static str, input: &str, max_decoded: usize) -> Result<Vec<u8>> {
    // 4 base64 characters carry 3 bytes; refuse early what cannot fit.
    check_size(what, input.len() / 4 * 3, max_decoded.saturating_add(3))?;
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n' | ' ' | '\t'))
        .collect();
    let bytes = STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| SamlError::Base64 {
            what,
            detail: e.to_string(),
        })?;
    check_size(what, bytes.len(), max_decoded)?;
    Ok(bytes)
}

/// Standard base64 with padding, as the bindings require.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Inflate a raw DEFLATE stream (RFC 1951, no zlib header), reading at most `limit` bytes of
/// output. A stream that would produce more is refused as a deflate bomb without inflating the
/// rest.
pub fn inflate_bounded(compressed: &[u8], limit: usize) -> Result<Vec<u8>> {
    let decoder = DeflateDecoder::new(compressed);
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit));
    decoder
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| SamlError::Inflate(e.to_string()))?;
    if out.len() > limit {
        return Err(SamlError::TooLarge {
            what: "inflated SAML message",
            limit,
        });
    }
    Ok(out)
}

/// Raw DEFLATE (RFC 1951) as the HTTP-Redirect binding requires.
pub fn deflate(data: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data)
        .map_err(|e| SamlError::Crypto(format!("deflate failed: {e}")))?;
    enc.finish()
        .map_err(|e| SamlError::Crypto(format!("deflate failed: {e}")))
}

/// Turn decoded bytes into a `&str` after the DTD and size checks.
pub fn checked_xml<'a>(what: &'static str, bytes: &'a [u8], limits: &Limits) -> Result<&'a str> {
    check_size(what, bytes.len(), limits.max_xml_bytes)?;
    reject_dtd(bytes)?;
    std::str::from_utf8(bytes).map_err(|_| SamlError::Utf8 { what })
}

/// Parse XML with the crate's settings: DTDs refused, node count capped.
pub fn parse_xml(xml: &str) -> Result<roxmltree::Document<'_>> {
    reject_dtd(xml.as_bytes())?;
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(xml, opts).map_err(|e| SamlError::Xml(e.to_string()))
}
