//! Compact JWS with `alg` RS256 or ES256, nothing else.
//!
//! Owns signing (RFC 7515 §5.1 with the compact serialization of §7.1), parsing of the compact
//! form into a typed, not yet verified [`CompactJws`] (§5.2 steps 1-5), and verification
//! (§5.2 steps 6-8) against a [`VerifyingKeySet`] with a caller-supplied algorithm allow-list.
//! Algorithms: RFC 7518 §3.3 (RSASSA-PKCS1-v1_5 SHA-256) and §3.4 (ECDSA P-256 SHA-256 with the
//! fixed 64-byte `R || S` signature).
//!
//! Hardening (threat catalogue D.4, RFC 8725):
//! - `alg: none` in any spelling is refused, and so is every `HS*` algorithm: this crate has no
//!   symmetric key type, so HS/RS key confusion cannot happen;
//! - the header `alg` must be in the caller's allow-list, and the key selected by `kid` must be
//!   of the type and declared `alg` the header names (no algorithm substitution, RFC 8725 §2.1);
//! - without a `kid` a key is chosen only if exactly one key of the set fits the `alg`;
//! - `crit` is refused (no extension is understood, so RFC 7797 `b64: false` cannot apply);
//!   `jwk`, `jku`, `x5u`, `x5c` are ignored: keys come only from the caller's set;
//! - duplicate header member names are refused; strict base64url everywhere; input capped at
//!   [`MAX_COMPACT_JWS_LEN`]; ES256 signatures must be exactly 64 bytes (DER is refused).
//!
//! `typ` and `cty` are exposed on [`JwsHeader`] for the caller to check (RFC 8725 §3.11).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::b64;
use crate::error::{JoseError, excerpt};
use crate::json::{self, StrictJsonError};
use crate::key::Kid;
use crate::sigkey::{JwsAlg, P256_COORD_LEN, SigningKey, VerifyingKey, VerifyingKeySet};

/// Largest compact JWS accepted by [`CompactJws::parse`] and produced by [`sign`], in bytes.
/// Large enough for an ID token carrying a maximal `okta_auth` JWE.
pub const MAX_COMPACT_JWS_LEN: usize = 128 * 1024;

const HEADER_CONTEXT: &str = "JWS protected header";

/// The validated protected header of a JWS this crate accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsHeader {
    alg: JwsAlg,
    kid: Option<Kid>,
    typ: Option<String>,
    cty: Option<String>,
}

impl JwsHeader {
    /// The signature algorithm.
    #[must_use]
    pub fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// The `kid`, if present.
    #[must_use]
    pub fn kid(&self) -> Option<&Kid> {
        self.kid.as_ref()
    }

    /// The `typ` parameter (RFC 7515 §4.1.9), if present.
    #[must_use]
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The `cty` parameter (RFC 7515 §4.1.10), if present.
    #[must_use]
    pub fn cty(&self) -> Option<&str> {
        self.cty.as_deref()
    }

    /// Validates a decoded protected header (RFC 7515 §5.2 steps 2-5).
    fn parse(bytes: &[u8]) -> Result<Self, JoseError> {
        let map = json::parse_object(bytes).map_err(|e| match e {
            StrictJsonError::Duplicate(name) => JoseError::DuplicateMember {
                context: HEADER_CONTEXT,
                name: excerpt(&name),
            },
            StrictJsonError::Syntax(reason) => JoseError::JwsHeader { reason },
            StrictJsonError::NotAnObject => JoseError::JwsHeader {
                reason: "the top level is not an object".to_owned(),
            },
        })?;
        let alg = optional_str(&map, "alg")?.ok_or_else(|| JoseError::JwsHeader {
            reason: "the required parameter \"alg\" is missing".to_owned(),
        })?;
        let alg = parse_alg(alg)?;
        if map.contains_key("crit") {
            return Err(JoseError::JwsCriticalHeader);
        }
        let kid = match optional_str(&map, "kid")? {
            None => None,
            Some(kid) => Some(Kid::new(kid).map_err(|_| JoseError::JwsNoKey {
                reason: format!("kid {} is too long", excerpt(kid)),
            })?),
        };
        Ok(JwsHeader {
            alg,
            kid,
            typ: optional_str(&map, "typ")?.map(str::to_owned),
            cty: optional_str(&map, "cty")?.map(str::to_owned),
        })
    }
}

/// Maps a header `alg` to one of ours, with a specific refusal for `none` and HMAC.
fn parse_alg(alg: &str) -> Result<JwsAlg, JoseError> {
    if alg.eq_ignore_ascii_case("none") {
        return Err(JoseError::JwsAlgNone);
    }
    if alg.len() >= 2 && alg[..2].eq_ignore_ascii_case("HS") {
        return Err(JoseError::JwsSymmetricAlg { alg: excerpt(alg) });
    }
    JwsAlg::from_name(alg).ok_or_else(|| JoseError::JwsAlgNotAllowed {
        alg: excerpt(alg),
        allowed: allowed_list(&JwsAlg::ALL),
    })
}

fn allowed_list(algs: &[JwsAlg]) -> String {
    let names: Vec<&str> = algs.iter().map(|a| a.as_str()).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn optional_str<'m>(
    map: &'m Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'m str>, JoseError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(JoseError::JwsHeader {
            reason: format!("the parameter \"{name}\" must be a non-empty string"),
        }),
    }
}

/// Optional header parameters for [`sign`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOptions {
    typ: Option<String>,
}

impl SignOptions {
    /// No optional parameters: the header is `{"alg","kid"}`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `typ` (RFC 7515 §4.1.9), e.g. `JWT` or `at+jwt` (RFC 9068 §2.1).
    #[must_use]
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }
}

/// The protected header as written by [`sign`]; member order is fixed.
#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'static str,
    kid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
}

/// Signs `payload` with `key` as a compact JWS (RFC 7515 §5.1, §7.1). The header is
/// `{"alg":<key alg>,"kid":<key kid>}` plus `typ` from `options`.
///
/// # Errors
/// [`JoseError::JwsTooLarge`] if the result would exceed [`MAX_COMPACT_JWS_LEN`],
/// [`JoseError::EmptyOption`] for an empty `typ`, or [`JoseError::Internal`].
pub fn sign(key: &SigningKey, payload: &[u8], options: &SignOptions) -> Result<String, JoseError> {
    if options.typ.as_deref() == Some("") {
        return Err(JoseError::EmptyOption("typ"));
    }
    let header = serde_json::to_vec(&HeaderOut {
        alg: key.alg().as_str(),
        kid: key.kid().as_str(),
        typ: options.typ.as_deref(),
    })
    .map_err(|_| JoseError::Internal("serializing the JWS header"))?;
    let mut out = b64::encode(&header);
    out.push('.');
    out.push_str(&b64::encode(payload));
    // Largest signature: an 8192-bit RSA modulus.
    let projected = out.len() + 1 + b64::encoded_len(1024);
    if projected > MAX_COMPACT_JWS_LEN {
        return Err(JoseError::JwsTooLarge {
            len: projected,
            max: MAX_COMPACT_JWS_LEN,
        });
    }
    let signature = key.sign_raw(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64::encode(&signature));
    Ok(out)
}

/// A compact JWS whose format and header have been checked but whose signature is not.
///
/// Obtained from [`CompactJws::parse`]; the payload is reachable only after
/// [`CompactJws::verify`], except through the explicitly named
/// [`CompactJws::unverified_payload`] used to find which key set to load (e.g. the `iss` of a
/// `private_key_jwt` assertion).
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    signing_input: &'a str,
    header: JwsHeader,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'a> CompactJws<'a> {
    /// Parses and validates the compact form and protected header (RFC 7515 §5.2 steps 1-5).
    ///
    /// # Errors
    /// [`JoseError::JwsTooLarge`], [`JoseError::JwsSegmentCount`], [`JoseError::JwsBase64`],
    /// [`JoseError::JwsHeader`], [`JoseError::DuplicateMember`], [`JoseError::JwsAlgNone`],
    /// [`JoseError::JwsSymmetricAlg`], [`JoseError::JwsAlgNotAllowed`],
    /// [`JoseError::JwsCriticalHeader`], [`JoseError::JwsNoKey`] (over-long `kid`).
    pub fn parse(token: &'a str) -> Result<Self, JoseError> {
        if token.len() > MAX_COMPACT_JWS_LEN {
            return Err(JoseError::JwsTooLarge {
                len: token.len(),
                max: MAX_COMPACT_JWS_LEN,
            });
        }
        let found = token.split('.').count();
        let (signing_input, signature_b64) = match token.rsplit_once('.') {
            Some(parts) if found == 3 => parts,
            _ => return Err(JoseError::JwsSegmentCount { found }),
        };
        let (header_b64, payload_b64) = signing_input
            .split_once('.')
            .ok_or(JoseError::JwsSegmentCount { found })?;
        let header_bytes =
            b64::decode(header_b64)
                .filter(|b| !b.is_empty())
                .ok_or(JoseError::JwsBase64 {
                    segment: "protected header",
                })?;
        let header = JwsHeader::parse(&header_bytes)?;
        let payload =
            b64::decode(payload_b64).ok_or(JoseError::JwsBase64 { segment: "payload" })?;
        let signature =
            b64::decode(signature_b64)
                .filter(|b| !b.is_empty())
                .ok_or(JoseError::JwsBase64 {
                    segment: "signature",
                })?;
        Ok(CompactJws {
            signing_input,
            header,
            payload,
            signature,
        })
    }

    /// The validated protected header.
    #[must_use]
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The payload **before** its signature is checked. Use only to decide which keys to
    /// verify with; never act on it.
    #[must_use]
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// Checks the header `alg` against `allowed`, selects the key (by `kid`, or the single key
    /// fitting the `alg` when there is no `kid`), and verifies the signature (RFC 7515 §5.2
    /// steps 6-8).
    ///
    /// # Errors
    /// [`JoseError::JwsAlgNotAllowed`], [`JoseError::JwsNoKey`], [`JoseError::JwsKeyAlgMismatch`],
    /// [`JoseError::JwsEcdsaSignatureFormat`], [`JoseError::JwsSignature`].
    pub fn verify(
        self,
        keys: &VerifyingKeySet,
        allowed: &[JwsAlg],
    ) -> Result<VerifiedJws, JoseError> {
        let alg = self.header.alg;
        if !allowed.contains(&alg) {
            return Err(JoseError::JwsAlgNotAllowed {
                alg: excerpt(alg.as_str()),
                allowed: allowed_list(allowed),
            });
        }
        let key = select_key(keys, &self.header)?;
        if alg == JwsAlg::Es256 && self.signature.len() != 2 * P256_COORD_LEN {
            return Err(JoseError::JwsEcdsaSignatureFormat {
                len: self.signature.len(),
            });
        }
        if !key.verify_signature(self.signing_input.as_bytes(), &self.signature) {
            return Err(JoseError::JwsSignature);
        }
        Ok(VerifiedJws {
            header: self.header,
            kid: key.kid().clone(),
            payload: self.payload,
        })
    }
}

fn select_key<'k>(
    keys: &'k VerifyingKeySet,
    header: &JwsHeader,
) -> Result<&'k VerifyingKey, JoseError> {
    let alg = header.alg;
    let key = match &header.kid {
        Some(kid) => keys.get(kid.as_str()).ok_or_else(|| JoseError::JwsNoKey {
            reason: format!(
                "kid {} names none of the trusted keys",
                excerpt(kid.as_str())
            ),
        })?,
        None => {
            let mut fitting = keys.keys().iter().filter(|k| k.alg() == alg);
            match (fitting.next(), fitting.next()) {
                (Some(only), None) => only,
                (None, _) => {
                    return Err(JoseError::JwsNoKey {
                        reason: format!("the token has no kid and no trusted key is for {alg}"),
                    });
                }
                (Some(_), Some(_)) => {
                    return Err(JoseError::JwsNoKey {
                        reason: format!(
                            "the token has no kid and several trusted keys are for {alg}"
                        ),
                    });
                }
            }
        }
    };
    if key.alg() != alg {
        return Err(JoseError::JwsKeyAlgMismatch {
            kid: excerpt(key.kid().as_str()),
            alg: alg.as_str(),
            key: match key.alg() {
                JwsAlg::Rs256 => "RSA/RS256",
                JwsAlg::Es256 => "EC P-256/ES256",
            },
        });
    }
    Ok(key)
}

/// Parses and verifies a compact JWS in one step ([`CompactJws::parse`] then
/// [`CompactJws::verify`]).
///
/// # Errors
/// Any error of those two.
pub fn verify(
    token: &str,
    keys: &VerifyingKeySet,
    allowed: &[JwsAlg],
) -> Result<VerifiedJws, JoseError> {
    CompactJws::parse(token)?.verify(keys, allowed)
}

/// A JWS whose signature verified with one of the caller's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJws {
    header: JwsHeader,
    kid: Kid,
    payload: Vec<u8>,
}

impl VerifiedJws {
    /// The protected header.
    #[must_use]
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The `kid` of the key that verified the signature.
    #[must_use]
    pub fn verified_with(&self) -> &Kid {
        &self.kid
    }

    /// The verified payload bytes.
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload as a JSON object (JWT claims set, RFC 7519 §7.2 step 10), parsed strictly:
    /// duplicate member names at any depth are refused (RFC 7519 §4).
    ///
    /// # Errors
    /// [`JoseError::JwsPayloadNotJson`].
    pub fn claims(&self) -> Result<Map<String, Value>, JoseError> {
        parse_claims(&self.payload)
    }
}

/// Parses JWT claims strictly (no duplicate members); shared by verified and unverified paths.
///
/// # Errors
/// [`JoseError::JwsPayloadNotJson`].
pub fn parse_claims(payload: &[u8]) -> Result<Map<String, Value>, JoseError> {
    json::parse_object(payload).map_err(|e| JoseError::JwsPayloadNotJson {
        reason: match e {
            StrictJsonError::Syntax(reason) => reason,
            StrictJsonError::NotAnObject => "the top level is not an object".to_owned(),
            StrictJsonError::Duplicate(name) => {
                format!("the member {} appears more than once", excerpt(&name))
            }
        },
    })
}
