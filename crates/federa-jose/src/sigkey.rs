//! JWS signing and verification keys: RS256 and ES256 only.
//!
//! Owns [`JwsAlg`] (RFC 7518 §3.3 `RS256`, §3.4 `ES256`), [`SigningKey`] (PKCS#8 per RFC 5958,
//! generation via aws-lc-rs), [`VerifyingKey`] and [`VerifyingKeySet`] (public keys from a JWK
//! Set, RFC 7517 §5, with the RSA members of RFC 7518 §6.3.1 and the EC members of §6.2.1), the
//! wire DTOs [`SigningJwk`] / [`SigningJwks`] for publishing (`/oauth2/v1/keys`), and the
//! RFC 7638 thumbprint of EC keys (RSA thumbprints come from [`crate::rsa_jwk_thumbprint`]).
//!
//! There is deliberately no symmetric (HMAC) key type anywhere in this crate, so an `HS256`
//! token can never be checked with an RSA public key used as a MAC secret.
//!
//! Selection rule when reading a JWK Set: a member is a signature verification key when `kty` is
//! `RSA`, or `EC` with `crv` `P-256`; `use`, when present, is `sig`; and `alg`, when present, is
//! `RS256` or `ES256`. Other members (encryption keys, other curves, other algorithms) are
//! skipped; a selected member that is malformed (wrong lengths, a point off the curve, a small
//! modulus, private members, an `alg` that contradicts the `kty`) makes the whole set invalid
//! (fail closed). A member without `kid` gets its RFC 7638 thumbprint as `kid`.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::{AsDer as _, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
    RsaPublicKeyComponents,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::b64;
use crate::error::{JoseError, excerpt};
use crate::json;
use crate::jwk::MAX_JWKS_LEN;
use crate::key::{Kid, MAX_RSA_BITS, MIN_RSA_BITS, Pkcs8Der, RsaEncryptionKey, rsa_jwk_thumbprint};

/// Length of one P-256 coordinate and of each of `R` and `S` (RFC 7518 §3.4, §6.2.1.2).
pub const P256_COORD_LEN: usize = 32;

/// JWK members that only a private key has (RFC 7518 §6.2.2 and §6.3.2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// The JWS algorithms Federa signs and verifies with. `none` and `HS*` are not representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), 2048 to 8192-bit keys.
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256, raw `R || S` signatures (RFC 7518 §3.4).
    #[serde(rename = "ES256")]
    Es256,
}

impl JwsAlg {
    /// Both algorithms, in order of preference.
    pub const ALL: [JwsAlg; 2] = [JwsAlg::Rs256, JwsAlg::Es256];

    /// The registered name (`RS256`, `ES256`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlg::Rs256 => "RS256",
            JwsAlg::Es256 => "ES256",
        }
    }

    /// Parses a registered name, exactly (names are case-sensitive, RFC 7515 §4.1.1).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(JwsAlg::Rs256),
            "ES256" => Some(JwsAlg::Es256),
            _ => None,
        }
    }

    fn key_description(self) -> &'static str {
        match self {
            JwsAlg::Rs256 => "RSA/RS256",
            JwsAlg::Es256 => "EC P-256/ES256",
        }
    }
}

impl fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Computes the RFC 7638 §3 thumbprint of a P-256 public key: SHA-256 over
/// `{"crv":"P-256","kty":"EC","x":…,"y":…}`, base64url.
#[must_use]
pub fn ec_p256_jwk_thumbprint(x: &[u8], y: &[u8]) -> String {
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        b64::encode(x),
        b64::encode(y)
    );
    b64::encode(digest(&SHA256, canonical.as_bytes()).as_ref())
}

/// A public signing JWK as it appears on the wire (RSA or EC members, absent ones omitted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningJwk {
    /// Key type: `RSA` or `EC`.
    pub kty: String,
    /// Public key use: `sig` for keys from this crate.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Intended algorithm: `RS256` or `ES256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// RSA modulus (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve: `P-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate (base64url, 32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url, 32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JWK Set of public signing keys (RFC 7517 §5), for publishing at `/oauth2/v1/keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningJwks {
    /// The keys, current signing key first.
    pub keys: Vec<SigningJwk>,
}

impl SigningJwks {
    /// Serializes the set as compact JSON.
    ///
    /// # Errors
    /// [`JoseError::Internal`] if serialization fails (it cannot for this type).
    pub fn to_json(&self) -> Result<String, JoseError> {
        serde_json::to_string(self).map_err(|_| JoseError::Internal("serializing a JWK Set"))
    }
}

#[derive(Clone)]
enum PublicMaterial {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { x: Vec<u8>, y: Vec<u8> },
}

/// A public key that verifies RS256 or ES256 signatures.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Kid,
    /// The algorithm the key is for: its declared `alg`, or the one its `kty` implies.
    alg: JwsAlg,
    material: PublicMaterial,
    parsed: ParsedPublicKey,
}

impl VerifyingKey {
    /// An RSA key from modulus and exponent (big-endian, no leading zeros), for RS256.
    /// The `kid` defaults to the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::InvalidPublicKey`] or [`JoseError::KeySize`] (2048 to 8192 bits).
    pub fn rsa_from_components(n: &[u8], e: &[u8]) -> Result<Self, JoseError> {
        // Same structural checks as the encryption keys: no leading zeros, size, odd exponent.
        RsaEncryptionKey::from_components(n, e)?;
        let parsed = RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| JoseError::InvalidPublicKey("aws-lc rejected the RSA modulus/exponent"))?;
        Ok(VerifyingKey {
            kid: Kid::new(rsa_jwk_thumbprint(n, e))?,
            alg: JwsAlg::Rs256,
            material: PublicMaterial::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            },
            parsed,
        })
    }

    /// A P-256 key from its affine coordinates (exactly 32 bytes each), for ES256. The point
    /// must be on the curve. The `kid` defaults to the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::InvalidPublicKey`].
    pub fn ec_p256_from_coordinates(x: &[u8], y: &[u8]) -> Result<Self, JoseError> {
        if x.len() != P256_COORD_LEN || y.len() != P256_COORD_LEN {
            return Err(JoseError::InvalidPublicKey(
                "P-256 coordinates must be exactly 32 bytes each",
            ));
        }
        let mut point = Vec::with_capacity(1 + 2 * P256_COORD_LEN);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
            .map_err(|_| JoseError::InvalidPublicKey("the point is not on the P-256 curve"))?;
        Ok(VerifyingKey {
            kid: Kid::new(ec_p256_jwk_thumbprint(x, y))?,
            alg: JwsAlg::Es256,
            material: PublicMaterial::Ec {
                x: x.to_vec(),
                y: y.to_vec(),
            },
            parsed,
        })
    }

    /// Parses one public JWK from untrusted JSON (strict: duplicate members refused, private
    /// members refused). `use`, when present, must be `sig`; `alg`, when present, must be the
    /// algorithm the `kty` implies.
    ///
    /// # Errors
    /// [`JoseError::InvalidJwk`], [`JoseError::DuplicateMember`], [`JoseError::InvalidPublicKey`],
    /// [`JoseError::KeySize`] or [`JoseError::InvalidKid`].
    pub fn from_jwk_json(json: &str) -> Result<Self, JoseError> {
        let map = json::parse_object(json.as_bytes()).map_err(|e| e.into_jose(json::JWK))?;
        Self::from_jwk_map(&map)
    }

    pub(crate) fn from_jwk_map(map: &Map<String, Value>) -> Result<Self, JoseError> {
        if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| map.contains_key(**m)) {
            return Err(JoseError::InvalidJwk(format!(
                "it contains the private key member \"{member}\"; publish only public keys"
            )));
        }
        let text = |name: &'static str| -> Result<Option<&str>, JoseError> {
            match map.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(JoseError::InvalidJwk(format!(
                    "\"{name}\" must be a string"
                ))),
            }
        };
        let bytes = |name: &'static str| -> Result<Vec<u8>, JoseError> {
            let value = text(name)?
                .ok_or_else(|| JoseError::InvalidJwk(format!("\"{name}\" is missing")))?;
            b64::decode(value)
                .ok_or_else(|| JoseError::InvalidJwk(format!("\"{name}\" is not strict base64url")))
        };
        if let Some(key_use) = text("use")?
            && key_use != "sig"
        {
            return Err(JoseError::InvalidJwk(format!(
                "use is {}, expected \"sig\"",
                excerpt(key_use)
            )));
        }
        let key = match text("kty")? {
            Some("RSA") => Self::rsa_from_components(&bytes("n")?, &bytes("e")?)?,
            Some("EC") => {
                if text("crv")? != Some("P-256") {
                    return Err(JoseError::InvalidJwk(
                        "only the EC curve P-256 is accepted".to_owned(),
                    ));
                }
                Self::ec_p256_from_coordinates(&bytes("x")?, &bytes("y")?)?
            }
            Some(other) => {
                return Err(JoseError::InvalidJwk(format!(
                    "kty is {}, expected \"RSA\" or \"EC\"",
                    excerpt(other)
                )));
            }
            None => return Err(JoseError::InvalidJwk("\"kty\" is missing".to_owned())),
        };
        if let Some(alg) = text("alg")?
            && JwsAlg::from_name(alg) != Some(key.alg)
        {
            return Err(JoseError::InvalidJwk(format!(
                "alg is {}, but a {} key needs {}",
                excerpt(alg),
                key.alg.key_description(),
                key.alg
            )));
        }
        match text("kid")? {
            Some(kid) => Ok(key.with_kid(Kid::new(kid)?)),
            None => Ok(key),
        }
    }

    /// Replaces the `kid` (by default the RFC 7638 thumbprint).
    #[must_use]
    pub fn with_kid(mut self, kid: Kid) -> Self {
        self.kid = kid;
        self
    }

    /// The key identifier.
    #[must_use]
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The one algorithm this key verifies.
    #[must_use]
    pub fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// The RFC 7638 thumbprint (SHA-256, base64url), independent of the current `kid`.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        match &self.material {
            PublicMaterial::Rsa { n, e } => rsa_jwk_thumbprint(n, e),
            PublicMaterial::Ec { x, y } => ec_p256_jwk_thumbprint(x, y),
        }
    }

    /// The public JWK: `kty`, `use: sig`, `alg`, `kid` and the key members.
    #[must_use]
    pub fn to_jwk(&self) -> SigningJwk {
        let mut jwk = SigningJwk {
            kty: String::new(),
            key_use: Some("sig".to_owned()),
            alg: Some(self.alg.as_str().to_owned()),
            kid: Some(self.kid.as_str().to_owned()),
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match &self.material {
            PublicMaterial::Rsa { n, e } => {
                jwk.kty = "RSA".to_owned();
                jwk.n = Some(b64::encode(n));
                jwk.e = Some(b64::encode(e));
            }
            PublicMaterial::Ec { x, y } => {
                jwk.kty = "EC".to_owned();
                jwk.crv = Some("P-256".to_owned());
                jwk.x = Some(b64::encode(x));
                jwk.y = Some(b64::encode(y));
            }
        }
        jwk
    }

    /// Verifies `signature` over `message` with this key's algorithm. Opaque failure.
    pub(crate) fn verify_signature(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid.as_str())
            .field("alg", &self.alg.as_str())
            .finish_non_exhaustive()
    }
}

/// Whether a JWK Set member is meant as an RS256/ES256 verification key (see module docs).
fn is_signature_key(map: &Map<String, Value>) -> bool {
    let text = |name: &str| map.get(name).and_then(Value::as_str);
    let kty_ok = match text("kty") {
        Some("RSA") => true,
        Some("EC") => text("crv") == Some("P-256"),
        _ => false,
    };
    let use_ok = match map.get("use") {
        None => true,
        Some(u) => u.as_str() == Some("sig"),
    };
    let alg_ok = match map.get("alg") {
        None => true,
        Some(a) => a.as_str().and_then(JwsAlg::from_name).is_some(),
    };
    kty_ok && use_ok && alg_ok
}

/// Public keys that tokens are verified against, selected by `kid` (an IdP's JWKS, a client's
/// JWKS for `private_key_jwt`, or an org's own keys).
#[derive(Debug, Clone, Default)]
pub struct VerifyingKeySet {
    keys: Vec<VerifyingKey>,
}

impl VerifyingKeySet {
    /// A set of keys.
    ///
    /// # Errors
    /// [`JoseError::DuplicateKid`] if two keys share a `kid`.
    pub fn new(keys: Vec<VerifyingKey>) -> Result<Self, JoseError> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(JoseError::DuplicateKid {
                    kid: excerpt(key.kid.as_str()),
                });
            }
        }
        Ok(VerifyingKeySet { keys })
    }

    /// Reads the signature keys out of a JWK Set document (selection rule in the module docs).
    /// An empty result is not an error.
    ///
    /// # Errors
    /// [`JoseError::InvalidJwks`], [`JoseError::DuplicateMember`], [`JoseError::DuplicateKid`] or
    /// any error of [`VerifyingKey::from_jwk_json`] for a selected member.
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
            if is_signature_key(map) {
                keys.push(VerifyingKey::from_jwk_map(map)?);
            }
        }
        Self::new(keys)
    }

    /// The key with this `kid`.
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|k| k.kid.as_str() == kid)
    }

    /// All keys, in document order.
    #[must_use]
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// Whether the set holds no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The set as a publishable JWK Set.
    #[must_use]
    pub fn to_jwks(&self) -> SigningJwks {
        SigningJwks {
            keys: self.keys.iter().map(VerifyingKey::to_jwk).collect(),
        }
    }
}

enum PrivateMaterial {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A private key that signs JWS (ID tokens, access tokens). Secret: `Debug` shows the `kid`
/// and `alg` only.
pub struct SigningKey {
    private: PrivateMaterial,
    public: VerifyingKey,
}

impl SigningKey {
    /// Generates a key inside aws-lc (which draws its own randomness): RSA-2048 for RS256,
    /// P-256 for ES256. The `kid` is the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::KeyGeneration`].
    pub fn generate(alg: JwsAlg) -> Result<Self, JoseError> {
        let private = match alg {
            JwsAlg::Rs256 => PrivateMaterial::Rsa(
                RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| JoseError::KeyGeneration)?,
            ),
            JwsAlg::Es256 => PrivateMaterial::Ec(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| JoseError::KeyGeneration)?,
            ),
        };
        Self::from_private(private, None)
    }

    /// Loads a DER PKCS#8 private key for `alg` (RSA 2048 to 8192 bits for RS256, P-256 for
    /// ES256). `kid: None` uses the RFC 7638 thumbprint.
    ///
    /// # Errors
    /// [`JoseError::InvalidSigningKey`] or [`JoseError::KeySize`].
    pub fn from_pkcs8(alg: JwsAlg, kid: Option<Kid>, der: &[u8]) -> Result<Self, JoseError> {
        let private = match alg {
            JwsAlg::Rs256 => PrivateMaterial::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|_| {
                JoseError::InvalidSigningKey("not a PKCS#8 RSA private key of 2048 to 8192 bits")
            })?),
            JwsAlg::Es256 => PrivateMaterial::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|_| {
                    JoseError::InvalidSigningKey("not a PKCS#8 EC private key on P-256")
                })?,
            ),
        };
        Self::from_private(private, kid)
    }

    fn from_private(private: PrivateMaterial, kid: Option<Kid>) -> Result<Self, JoseError> {
        let public = match &private {
            PrivateMaterial::Rsa(pair) => {
                let bits = pair.public_modulus_len() * 8;
                if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                    return Err(JoseError::KeySize { bits });
                }
                let pk = pair.public_key();
                VerifyingKey::rsa_from_components(
                    pk.modulus().big_endian_without_leading_zero(),
                    pk.exponent().big_endian_without_leading_zero(),
                )?
            }
            PrivateMaterial::Ec(pair) => {
                let point = pair.public_key().as_ref();
                if point.len() != 1 + 2 * P256_COORD_LEN || point.first() != Some(&0x04) {
                    return Err(JoseError::Internal(
                        "unexpected P-256 public point encoding",
                    ));
                }
                VerifyingKey::ec_p256_from_coordinates(
                    &point[1..=P256_COORD_LEN],
                    &point[1 + P256_COORD_LEN..],
                )?
            }
        };
        let public = match kid {
            Some(kid) => public.with_kid(kid),
            None => public,
        };
        Ok(SigningKey { private, public })
    }

    /// The algorithm this key signs with.
    #[must_use]
    pub fn alg(&self) -> JwsAlg {
        self.public.alg
    }

    /// The `kid` put into the JWS header.
    #[must_use]
    pub fn kid(&self) -> &Kid {
        &self.public.kid
    }

    /// The matching public key (same `kid`).
    #[must_use]
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// The public JWK to publish: `kty`, `use: sig`, `alg`, `kid` and the key members.
    #[must_use]
    pub fn public_jwk(&self) -> SigningJwk {
        self.public.to_jwk()
    }

    /// Serializes the private key as DER PKCS#8 v1 (for encrypted storage at rest).
    ///
    /// # Errors
    /// [`JoseError::Internal`] if aws-lc cannot serialize it.
    pub fn to_pkcs8(&self) -> Result<Pkcs8Der, JoseError> {
        let der = match &self.private {
            PrivateMaterial::Rsa(pair) => {
                let der: Pkcs8V1Der<'static> = pair
                    .as_der()
                    .map_err(|_| JoseError::Internal("serializing a private key"))?;
                der.as_ref().to_vec()
            }
            PrivateMaterial::Ec(pair) => pair
                .to_pkcs8v1()
                .map_err(|_| JoseError::Internal("serializing a private key"))?
                .as_ref()
                .to_vec(),
        };
        Ok(Pkcs8Der::from_vec(der))
    }

    /// Signs `message` (the JWS signing input). RSASSA-PKCS1-v1_5 is deterministic; the ECDSA
    /// nonce is drawn inside aws-lc (its API ignores a caller-supplied generator).
    pub(crate) fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        // aws-lc-rs ignores this argument for both algorithms; it exists for *ring* parity.
        let unused_rng = SystemRandom::new();
        match &self.private {
            PrivateMaterial::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &unused_rng, message, &mut sig)
                    .map_err(|_| JoseError::Internal("RSA signing"))?;
                Ok(sig)
            }
            PrivateMaterial::Ec(pair) => pair
                .sign(&unused_rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| JoseError::Internal("ECDSA signing")),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.public.kid.as_str())
            .field("alg", &self.public.alg.as_str())
            .field("private", &"[redacted]")
            .finish()
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
        for yes in [
            r#"{"kty":"RSA"}"#,
            r#"{"kty":"RSA","use":"sig","alg":"RS256"}"#,
            r#"{"kty":"EC","crv":"P-256"}"#,
            r#"{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig"}"#,
            // Contradiction is selected so that it fails loudly instead of being skipped.
            r#"{"kty":"RSA","alg":"ES256"}"#,
        ] {
            assert!(is_signature_key(&obj(yes)), "{yes}");
        }
        for no in [
            r#"{"kty":"RSA","use":"enc"}"#,
            r#"{"kty":"RSA","alg":"RSA-OAEP-256"}"#,
            r#"{"kty":"RSA","alg":"PS256"}"#,
            r#"{"kty":"EC","crv":"P-384"}"#,
            r#"{"kty":"OKP","crv":"Ed25519"}"#,
            r#"{"kty":"oct","k":"c2VjcmV0"}"#,
        ] {
            assert!(!is_signature_key(&obj(no)), "{no}");
        }
    }

    #[test]
    fn rfc7638_ec_thumbprint_is_stable() {
        // RFC 7638 has no EC example; check the member order with a known JWK from RFC 7517
        // Appendix A.1 against a value computed independently with Python hashlib.
        let x = b64::decode("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4").unwrap_or_default();
        let y = b64::decode("4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM").unwrap_or_default();
        assert_eq!(
            ec_p256_jwk_thumbprint(&x, &y),
            "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"
        );
        assert!(VerifyingKey::ec_p256_from_coordinates(&x, &y).is_ok());
    }

    #[test]
    fn off_curve_point_is_refused() {
        let x = [1u8; 32];
        let y = [2u8; 32];
        assert!(matches!(
            VerifyingKey::ec_p256_from_coordinates(&x, &y),
            Err(JoseError::InvalidPublicKey(_))
        ));
        assert!(VerifyingKey::ec_p256_from_coordinates(&x[..31], &y).is_err());
    }

    #[test]
    fn signing_key_debug_is_redacted() {
        let key = SigningKey::generate(JwsAlg::Es256).unwrap_or_else(|e| panic!("{e}"));
        let dbg = format!("{key:?}");
        assert!(dbg.contains("[redacted]") && dbg.contains("ES256"), "{dbg}");
    }
}
