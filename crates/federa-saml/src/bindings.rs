//! The HTTP-Redirect and HTTP-POST bindings (SAML Bindings §3.4 and §3.5): reading and writing
//! `SAMLRequest` / `SAMLResponse`, `RelayState`, and the Redirect binding's query-string
//! signature (§3.4.4.1), which is computed over the parameters exactly as they were URL-encoded
//! in the received query string — so decoding takes the raw query string, not a parsed map.

use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
    UnparsedPublicKey,
};

use crate::cert::Certificate;
use crate::error::{Result, SamlError};
use crate::hardening::{self, Limits};
use crate::identity::SigningIdentity;
use crate::ns;

/// The largest `RelayState` accepted (Bindings §3.4.3 and §3.5.3: MUST NOT exceed 80 bytes; we
/// allow more because real SPs exceed it, but not without bound).
const MAX_RELAY_STATE: usize = 4096;

/// Which SAML binding carried a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// HTTP-Redirect (query string, raw DEFLATE + base64).
    Redirect,
    /// HTTP-POST (form field, base64).
    Post,
}

impl Binding {
    /// The binding URI.
    pub fn uri(self) -> &'static str {
        match self {
            Binding::Redirect => ns::BINDING_REDIRECT,
            Binding::Post => ns::BINDING_POST,
        }
    }
}

/// A detached Redirect-binding signature, with the exact octets it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectSignature {
    /// The `SigAlg` URI.
    pub sig_alg: String,
    /// The decoded `Signature` value.
    pub signature: Vec<u8>,
    /// `SAMLRequest=…&RelayState=…&SigAlg=…` as received (still URL-encoded).
    pub signed_octets: Vec<u8>,
}

/// A message decoded from the Redirect binding, not yet verified.
#[derive(Debug, Clone)]
pub struct RedirectMessage {
    /// The inflated XML.
    pub xml: String,
    /// `RelayState`, decoded.
    pub relay_state: Option<String>,
    /// The query-string signature, when `SigAlg` and `Signature` are present.
    pub signature: Option<RedirectSignature>,
}

/// Which message parameter to read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageParam {
    /// `SAMLRequest`.
    Request,
    /// `SAMLResponse`.
    Response,
}

impl MessageParam {
    fn name(self) -> &'static str {
        match self {
            MessageParam::Request => "SAMLRequest",
            MessageParam::Response => "SAMLResponse",
        }
    }
}

/// Decode a Redirect-binding message from the raw query string (with or without the leading
/// `?`). Refuses oversize input, repeated SAML parameters, bad escapes, strict-base64 failures,
/// inflated payloads over the cap (deflate bombs) and DTDs.
pub fn decode_redirect(
    raw_query: &str,
    param: MessageParam,
    limits: &Limits,
) -> Result<RedirectMessage> {
    hardening::check_size("query string", raw_query.len(), limits.max_raw_bytes)?;
    let query = raw_query.strip_prefix('?').unwrap_or(raw_query);
    let mut message: Option<&str> = None;
    let mut relay: Option<&str> = None;
    let mut sig_alg: Option<&str> = None;
    let mut signature: Option<&str> = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match percent_decode(key)?.as_str() {
            k if k == param.name() => &mut message,
            "RelayState" => &mut relay,
            "SigAlg" => &mut sig_alg,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(SamlError::Binding(format!(
                "parameter {} appears more than once",
                percent_decode(key)?
            )));
        }
    }
    let raw_message =
        message.ok_or_else(|| SamlError::Binding(format!("{} is missing", param.name())))?;
    let b64 = percent_decode(raw_message)?;
    let compressed = hardening::decode_base64(param.name(), &b64, limits.max_raw_bytes)?;
    let inflated = hardening::inflate_bounded(&compressed, limits.max_xml_bytes)?;
    let xml = hardening::checked_xml(param.name(), &inflated, limits)?.to_owned();

    let relay_state = relay.map(percent_decode).transpose()?;
    check_relay_state(relay_state.as_deref())?;

    let signature = match (sig_alg, signature) {
        (None, None) => None,
        (Some(alg), Some(sig)) => {
            let mut signed = format!("{}={raw_message}", param.name());
            if let Some(r) = relay {
                signed.push_str("&RelayState=");
                signed.push_str(r);
            }
            signed.push_str("&SigAlg=");
            signed.push_str(alg);
            Some(RedirectSignature {
                sig_alg: percent_decode(alg)?,
                signature: hardening::decode_base64("Signature", &percent_decode(sig)?, 2048)?,
                signed_octets: signed.into_bytes(),
            })
        }
        _ => {
            return Err(SamlError::Binding(
                "SigAlg and Signature must be sent together".into(),
            ));
        }
    };
    Ok(RedirectMessage {
        xml,
        relay_state,
        signature,
    })
}

/// Verify a Redirect-binding signature against the trusted certificates (any may match).
/// Accepts RSA-SHA256/384/512; RSA-SHA1 and anything else is refused.
pub fn verify_redirect_signature(sig: &RedirectSignature, certs: &[Certificate]) -> Result<()> {
    let alg = match sig.sig_alg.as_str() {
        ns::ALG_RSA_SHA256 => &RSA_PKCS1_2048_8192_SHA256,
        ns::ALG_RSA_SHA384 => &RSA_PKCS1_2048_8192_SHA384,
        ns::ALG_RSA_SHA512 => &RSA_PKCS1_2048_8192_SHA512,
        other => return Err(SamlError::UnsupportedAlgorithm(other.to_string())),
    };
    if certs.is_empty() {
        return Err(SamlError::SignatureInvalid(
            "no trusted certificate is configured".into(),
        ));
    }
    let ok = certs.iter().any(|c| {
        UnparsedPublicKey::new(alg, c.rsa_public_key())
            .verify(&sig.signed_octets, &sig.signature)
            .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(SamlError::SignatureInvalid(
            "the query-string signature does not verify with any trusted certificate".into(),
        ))
    }
}

/// Encode `xml` for the Redirect binding and return the query string (without `?`), signed with
/// RSA-SHA256 when `signer` is given.
pub fn encode_redirect(
    xml: &str,
    param: MessageParam,
    relay_state: Option<&str>,
    signer: Option<&SigningIdentity>,
) -> Result<String> {
    let deflated = hardening::deflate(xml.as_bytes())?;
    let mut query = format!(
        "{}={}",
        param.name(),
        percent_encode(&hardening::encode_base64(&deflated))
    );
    if let Some(r) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&percent_encode(r));
    }
    if let Some(identity) = signer {
        query.push_str("&SigAlg=");
        query.push_str(&percent_encode(ns::ALG_RSA_SHA256));
        let sig = identity.sign_rsa_sha256(query.as_bytes())?;
        query.push_str("&Signature=");
        query.push_str(&percent_encode(&hardening::encode_base64(&sig)));
    }
    Ok(query)
}

/// Decode a POST-binding form value (base64 XML) with the size, base64 and DTD checks.
pub fn decode_post(value: &str, what: &'static str, limits: &Limits) -> Result<String> {
    hardening::check_size(what, value.len(), limits.max_raw_bytes)?;
    let bytes = hardening::decode_base64(what, value, limits.max_xml_bytes)?;
    Ok(hardening::checked_xml(what, &bytes, limits)?.to_owned())
}

/// The POST-binding form value for `xml`: standard base64 of the UTF-8 bytes. (The HTML form
/// that auto-submits it belongs to the web crate.)
pub fn encode_post(xml: &str) -> String {
    hardening::encode_base64(xml.as_bytes())
}

pub(crate) fn check_relay_state(relay: Option<&str>) -> Result<()> {
    if relay.is_some_and(|r| r.len() > MAX_RELAY_STATE) {
        return Err(SamlError::Binding(format!(
            "RelayState is longer than {MAX_RELAY_STATE} bytes"
        )));
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` value decoding: `+` is a space, `%XX` a byte; the result
/// must be UTF-8.
pub fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| SamlError::Binding("bad %-escape in query string".into()))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| SamlError::Binding("query value is not UTF-8".into()))
}

/// Percent-encode everything except RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
