//! The recipient's decryption keys, by `kid`, for rotation.
//!
//! Owns [`DecryptionKeySet`]: the private keys a recipient (the SP org, per IdP object) will
//! decrypt with. A JWE is decrypted only with the key its `kid` names (RFC 7516 §4.1.6); there is
//! no "try every key" fallback. During a rotation the set holds the new key first and the old
//! one(s) after it until they expire; [`DecryptionKeySet::public_jwks`] publishes them all
//! (RFC 7517 §5) in that order.

use crate::error::{JoseError, excerpt};
use crate::jwk::Jwks;
use crate::key::{Kid, RsaDecryptionKey};

/// Private decryption keys by `kid`, preferred (newest) first.
#[derive(Debug, Clone, Default)]
pub struct DecryptionKeySet {
    keys: Vec<RsaDecryptionKey>,
}

impl DecryptionKeySet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        DecryptionKeySet { keys: Vec::new() }
    }

    /// A set holding `keys` in the given order (preferred first).
    ///
    /// # Errors
    /// [`JoseError::DuplicateKid`] if two keys share a `kid`.
    pub fn from_keys(keys: impl IntoIterator<Item = RsaDecryptionKey>) -> Result<Self, JoseError> {
        let mut set = DecryptionKeySet::new();
        for key in keys {
            set.push(key)?;
        }
        Ok(set)
    }

    /// Adds a key as the least preferred one.
    ///
    /// # Errors
    /// [`JoseError::DuplicateKid`] if a key with the same `kid` is already present.
    pub fn push(&mut self, key: RsaDecryptionKey) -> Result<(), JoseError> {
        self.check_new(key.kid())?;
        self.keys.push(key);
        Ok(())
    }

    /// Adds a key as the preferred one (the first of the published set).
    ///
    /// # Errors
    /// [`JoseError::DuplicateKid`] if a key with the same `kid` is already present.
    pub fn push_preferred(&mut self, key: RsaDecryptionKey) -> Result<(), JoseError> {
        self.check_new(key.kid())?;
        self.keys.insert(0, key);
        Ok(())
    }

    fn check_new(&self, kid: &Kid) -> Result<(), JoseError> {
        if self.keys.iter().any(|k| k.kid() == kid) {
            return Err(JoseError::DuplicateKid {
                kid: excerpt(kid.as_str()),
            });
        }
        Ok(())
    }

    /// Removes and returns the key with this `kid` (end of a rotation).
    pub fn remove(&mut self, kid: &str) -> Option<RsaDecryptionKey> {
        let index = self.keys.iter().position(|k| k.kid().as_str() == kid)?;
        Some(self.keys.remove(index))
    }

    /// The key with this `kid`.
    #[must_use]
    pub fn get(&self, kid: &str) -> Option<&RsaDecryptionKey> {
        self.keys.iter().find(|k| k.kid().as_str() == kid)
    }

    /// The preferred key (the first), if any.
    #[must_use]
    pub fn preferred(&self) -> Option<&RsaDecryptionKey> {
        self.keys.first()
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys, preferred first.
    pub fn iter(&self) -> impl Iterator<Item = &RsaDecryptionKey> {
        self.keys.iter()
    }

    /// The public JWK Set to publish, preferred key first.
    #[must_use]
    pub fn public_jwks(&self) -> Jwks {
        Jwks {
            keys: self.keys.iter().map(RsaDecryptionKey::public_jwk).collect(),
        }
    }
}
