//! Public JWKs and JWK Sets for RSA encryption keys.
//!
//! Owns the wire shapes [`RsaPublicJwk`] (RFC 7517 §4 with the RSA members of RFC 7518 §6.3.1)
//! and [`Jwks`] (RFC 7517 §5), and [`EncryptionKeySet`]: the verified public keys an encrypting
//! party (the IdP org) reads from a recipient's (the SP org's) published JWK Set.
//!
//! Selection rule when reading a JWK Set (RFC 7517 §4.2/§4.4 leave "use" and "alg" optional):
//! a member is an RSA-OAEP-256 encryption key when `kty` is `RSA` and either `use` is `enc`
//! (with `alg` absent or `RSA-OAEP-256`) or `use` is absent and `alg` is `RSA-OAEP-256`. Other
//! members (signing keys, EC keys, keys for other algorithms, or RSA keys that declare neither)
//! are skipped; a member that is selected but malformed makes the whole set invalid
//! (fail closed). Document order is kept; the first key is the preferred one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{JoseError, excerpt};
use crate::json;
use crate::key::RsaEncryptionKey;

/// The only key management algorithm this crate implements (RFC 7518 §4.3).
pub const ALG_RSA_OAEP_256: &str = "RSA-OAEP-256";

/// Largest accepted JWK Set document, in bytes.
pub const MAX_JWKS_LEN: usize = 256 * 1024;

/// JWK members that only a private key has (RFC 7518 §6.3.2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// A public RSA JWK as it appears on the wire.
///
/// This is a DTO: building an [`RsaEncryptionKey`] from it ([`RsaEncryptionKey::from_jwk`])
/// is what validates it. Serialization omits absent optional members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaPublicJwk {
    /// Key type; `RSA`.
    pub kty: String,
    /// Public key use (`use`); `enc` for keys from this crate.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Intended algorithm; `RSA-OAEP-256` for keys from this crate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Modulus, base64url big-endian without leading zeros.
    pub n: String,
    /// Public exponent, base64url big-endian without leading zeros.
    pub e: String,
}

/// A JWK Set of public RSA encryption keys (RFC 7517 §5), for publishing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys, preferred first.
    pub keys: Vec<RsaPublicJwk>,
}

impl Jwks {
    /// Serializes the set as compact JSON.
    ///
    /// # Errors
    /// [`JoseError::Internal`] if serialization fails (it cannot for this type).
    pub fn to_json(&self) -> Result<String, JoseError> {
        serde_json::to_string(self).map_err(|_| JoseError::Internal("serializing a JWK Set"))
    }
}

/// Converts a strictly parsed JWK object into the DTO, refusing private members.
pub(crate) fn public_jwk_from_map(map: &Map<String, Value>) -> Result<RsaPublicJwk, JoseError> {
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| map.contains_key(**m)) {
        return Err(JoseError::InvalidJwk(format!(
            "it contains the private key member \"{member}\"; publish only public keys"
        )));
    }
    let get = |name: &'static str| -> Result<Option<String>, JoseError> {
        match map.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(JoseError::InvalidJwk(format!(
                "\"{name}\" must be a string"
            ))),
        }
    };
    let required = |name: &'static str| -> Result<String, JoseError> {
        get(name)?.ok_or_else(|| JoseError::InvalidJwk(format!("\"{name}\" is missing")))
    };
    Ok(RsaPublicJwk {
        kty: required("kty")?,
        key_use: get("use")?,
        alg: get("alg")?,
        kid: get("kid")?,
        n: required("n")?,
        e: required("e")?,
    })
}

/// Whether a JWK Set member is meant as an RSA-OAEP-256 encryption key (see module docs).
fn is_rsa_oaep_256_encryption_key(map: &Map<String, Value>) -> bool {
    let text = |name: &str| map.get(name).and_then(Value::as_str);
    if text("kty") != Some("RSA") {
        return false;
    }
    let alg_absent_or_ours = match map.get("alg") {
        None => true,
        Some(alg) => alg.as_str() == Some(ALG_RSA_OAEP_256),
    };
    match map.get("use") {
        Some(key_use) => key_use.as_str() == Some("enc") && alg_absent_or_ours,
        None => text("alg") == Some(ALG_RSA_OAEP_256),
    }
}

/// Public keys of a recipient, as read from its JWK Set; used to encrypt to it.
#[derive(Debug, Clone, Default)]
pub struct EncryptionKeySet {
    keys: Vec<RsaEncryptionKey>,
}

impl EncryptionKeySet {
    /// Builds a set from keys, preferred first.
    ///
    /// # Errors
    /// [`JoseError::DuplicateKid`] if two keys share a `kid`.
    pub fn new(keys: Vec<RsaEncryptionKey>) -> Result<Self, JoseError> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid() == key.kid()) {
                return Err(JoseError::DuplicateKid {
                    kid: excerpt(key.kid().as_str()),
                });
            }
        }
        Ok(EncryptionKeySet { keys })
    }

    /// Reads the RSA-OAEP-256 encryption keys out of a JWK Set document (selection rule in the
    /// module docs). An empty result is not an error; check [`EncryptionKeySet::preferred`].
    ///
    /// # Errors
    /// [`JoseError::InvalidJwks`] for a malformed document, [`JoseError::DuplicateMember`],
    /// or any error of [`RsaEncryptionKey::from_jwk`] for a selected member.
    pub fn from_jwks_json(json: &str) -> Result<Self, JoseError> {
        if json.len() > MAX_JWKS_LEN {
            return Err(JoseError::InvalidJwks(format!(
                "the document is {} bytes, more than the {MAX_JWKS_LEN}-byte limit",
                json.len()
            )));
        }
        let doc = json::parse_object(json.as_bytes()).map_err(|e| e.into_jose(json::JWKS))?;
        let Some(Value::Array(members)) = doc.get("keys") else {
            return Err(JoseError::InvalidJwks(
                "\"keys\" is missing or not an array".to_owned(),
            ));
        };
        let mut keys = Vec::new();
        for member in members {
            let Value::Object(map) = member else {
                return Err(JoseError::InvalidJwks(
                    "a member of \"keys\" is not an object".to_owned(),
                ));
            };
            if is_rsa_oaep_256_encryption_key(map) {
                keys.push(RsaEncryptionKey::from_jwk(&public_jwk_from_map(map)?)?);
            }
        }
        Self::new(keys)
    }

    /// The key with this `kid`.
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&RsaEncryptionKey> {
        self.keys.iter().find(|k| k.kid().as_str() == kid)
    }

    /// The preferred key: the first one.
    #[must_use]
    pub fn preferred(&self) -> Option<&RsaEncryptionKey> {
        self.keys.first()
    }

    /// All keys, preferred first.
    #[must_use]
    pub fn keys(&self) -> &[RsaEncryptionKey] {
        &self.keys
    }

    /// The set as a publishable JWK Set.
    #[must_use]
    pub fn to_jwks(&self) -> Jwks {
        Jwks {
            keys: self.keys.iter().map(RsaEncryptionKey::to_jwk).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(json: &str) -> Map<String, Value> {
        match serde_json::from_str(json) {
            Ok(Value::Object(m)) => m,
            other => panic!("bad fixture {other:?}"),
        }
    }

    #[test]
    fn selection_rule() {
        let yes = [
            r#"{"kty":"RSA","use":"enc"}"#,
            r#"{"kty":"RSA","use":"enc","alg":"RSA-OAEP-256"}"#,
            r#"{"kty":"RSA","alg":"RSA-OAEP-256"}"#,
        ];
        let no = [
            r#"{"kty":"RSA"}"#,
            r#"{"kty":"RSA","use":"sig"}"#,
            r#"{"kty":"RSA","use":"enc","alg":"RSA1_5"}"#,
            r#"{"kty":"RSA","use":"enc","alg":"RSA-OAEP"}"#,
            r#"{"kty":"RSA","alg":"RS256"}"#,
            r#"{"kty":"EC","use":"enc"}"#,
            r#"{"kty":"RSA","use":null,"alg":"RSA-OAEP-256"}"#,
        ];
        for j in yes {
            assert!(is_rsa_oaep_256_encryption_key(&obj(j)), "{j}");
        }
        for j in no {
            assert!(!is_rsa_oaep_256_encryption_key(&obj(j)), "{j}");
        }
    }

    #[test]
    fn private_members_refused() {
        let map = obj(r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}"#);
        assert!(matches!(
            public_jwk_from_map(&map),
            Err(JoseError::InvalidJwk(m)) if m.contains("\"d\"")
        ));
    }

    #[test]
    fn jwks_document_errors() {
        for doc in ["[]", "{}", r#"{"keys":{}}"#, r#"{"keys":[1]}"#, "{"] {
            assert!(
                matches!(
                    EncryptionKeySet::from_jwks_json(doc),
                    Err(JoseError::InvalidJwks(_))
                ),
                "{doc}"
            );
        }
        assert!(matches!(
            EncryptionKeySet::from_jwks_json(r#"{"keys":[],"keys":[]}"#),
            Err(JoseError::DuplicateMember { .. })
        ));
        let empty = EncryptionKeySet::from_jwks_json(r#"{"keys":[{"kty":"EC","crv":"P-256"}]}"#);
        assert!(matches!(empty, Ok(ref s) if s.preferred().is_none()));
        let huge = format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(MAX_JWKS_LEN));
        assert!(matches!(
            EncryptionKeySet::from_jwks_json(&huge),
            Err(JoseError::InvalidJwks(_))
        ));
    }
}
