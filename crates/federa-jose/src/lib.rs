//! JOSE for Federa: compact JWE with RSA-OAEP-256 + A256GCM, RSA encryption JWKs and JWK Sets,
//! and decryption key sets with rotation.
//!
//! This crate owns the JWE carrier of the `OktaAuth` / `okta_auth` claims (CONTRACT §4): the IdP
//! org encrypts to the SP org's published key with [`jwe::encrypt`], the SP org decrypts with
//! [`jwe::decrypt`] against its [`DecryptionKeySet`]. Implemented: RFC 7516 (JWE, compact
//! serialization only), RFC 7518 §4.3 (RSA-OAEP-256) and §5.3 (A256GCM) only, RFC 7517 (JWK and
//! JWK Set, RSA public keys only), RFC 7638 (JWK thumbprints, used as the default `kid`), with
//! the hardening of RFC 8725.
//!
//! It also owns compact JWS for ID tokens, access tokens and client assertions: [`jws::sign`]
//! with a [`SigningKey`] and [`jws::verify`] against a [`VerifyingKeySet`] with an explicit
//! algorithm allow-list, RS256 and ES256 only (RFC 7515, RFC 7518 §3.3/§3.4), with EC P-256 and
//! RSA signing JWKs (RFC 7518 §6.2/§6.3).
//!
//! The crate is pure: no IO, no clock, no global state. Randomness comes in through the
//! project-wide port [`federa_types::Rng`], re-exported as [`Rng`] ([`SystemRng`] is an
//! aws-lc-rs implementation). Cryptography is aws-lc-rs.
//!
//! ```
//! use federa_jose::{DecryptionKeySet, EncryptOptions, RsaDecryptionKey, RsaKeySize, SystemRng, jwe};
//!
//! # fn main() -> Result<(), federa_jose::JoseError> {
//! let rng = SystemRng::new();
//! let key = RsaDecryptionKey::generate(RsaKeySize::Rsa2048)?;
//! let recipient = key.public_key().clone();
//! let keys = DecryptionKeySet::from_keys([key])?;
//!
//! let token = jwe::encrypt(&recipient, br#"{"mfaVerified":"true"}"#, &EncryptOptions::new(), &rng)?;
//! let decrypted = jwe::decrypt(&keys, &token, &rng)?;
//! assert_eq!(decrypted.plaintext(), br#"{"mfaVerified":"true"}"#);
//! # Ok(())
//! # }
//! ```

mod b64;
mod error;
mod json;
pub mod jwe;
pub mod jwk;
pub mod jws;
mod key;
mod keyset;
mod rng;
mod sigkey;

pub use error::{JoseError, Segment};
pub use jwe::{CompactJwe, DecryptedJwe, EncryptOptions, JweHeader};
pub use jwk::{ALG_RSA_OAEP_256, EncryptionKeySet, Jwks, RsaPublicJwk};
pub use jws::{CompactJws, JwsHeader, SignOptions, VerifiedJws};
pub use key::{
    Kid, MAX_KID_LEN, MAX_RSA_BITS, MIN_RSA_BITS, Pkcs8Der, RsaDecryptionKey, RsaEncryptionKey,
    RsaKeySize, rsa_jwk_thumbprint,
};
pub use keyset::DecryptionKeySet;
pub use rng::{Rng, SystemRng};
pub use sigkey::{
    JwsAlg, P256_COORD_LEN, SigningJwk, SigningJwks, SigningKey, VerifyingKey, VerifyingKeySet,
    ec_p256_jwk_thumbprint,
};
