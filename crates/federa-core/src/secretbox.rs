//! Encryption of secrets at rest (TOTP seeds, private keys) with the org-independent master key:
//! AES-256-GCM, a random 96-bit nonce per value, the purpose string as associated data (so a
//! value sealed for one use cannot be opened for another). Stored form:
//! `v1.<base64url nonce>.<base64url ciphertext+tag>`.

use crate::error::CoreError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use federa_types::{Rng, Secret};
use std::sync::Arc;

/// Seals and opens secrets with the master key.
#[derive(Clone)]
pub struct SecretBox {
    key: Arc<LessSafeKey>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    /// A box over a 32-byte master key.
    pub fn new(master_key: &Secret<[u8; 32]>) -> Result<Self, CoreError> {
        let unbound = UnboundKey::new(&AES_256_GCM, master_key.expose())
            .map_err(|_| CoreError::Internal("master key rejected by AES-256-GCM".into()))?;
        Ok(Self {
            key: Arc::new(LessSafeKey::new(unbound)),
        })
    }

    /// Encrypts `plaintext` for `purpose` (e.g. `totp-seed`).
    pub fn seal(
        &self,
        rng: &dyn Rng,
        purpose: &str,
        plaintext: &[u8],
    ) -> Result<String, CoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce);
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut buf,
            )
            .map_err(|_| CoreError::Internal("sealing failed".into()))?;
        Ok(format!("v1.{}.{}", B64.encode(nonce), B64.encode(buf)))
    }

    /// Decrypts a value sealed for `purpose`; any tampering or a wrong key or purpose fails.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Secret<Vec<u8>>, CoreError> {
        let bad = || {
            CoreError::Internal(format!(
                "a stored {purpose} cannot be decrypted (wrong master key or corrupted data)"
            ))
        };
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(n), Some(c), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let nonce: [u8; NONCE_LEN] = B64
            .decode(n)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(bad)?;
        let mut buf = B64.decode(c).map_err(|_| bad())?;
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut buf,
            )
            .map_err(|_| bad())?;
        Ok(Secret::new(plain.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::SystemRng;

    #[test]
    fn seal_open_round_trip_and_tamper_detection() {
        let b = SecretBox::new(&Secret::new([7u8; 32])).unwrap_or_else(|e| panic!("{e}"));
        let rng = SystemRng::default();
        let s = b
            .seal(&rng, "totp-seed", b"JBSWY3DPEHPK3PXP")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            b.open("totp-seed", &s).map(|p| p.expose().clone()).ok(),
            Some(b"JBSWY3DPEHPK3PXP".to_vec())
        );
        assert!(
            b.open("signing-key", &s).is_err(),
            "another purpose cannot open it"
        );
        let mut t = s.clone();
        t.pop();
        t.push('A');
        assert!(b.open("totp-seed", &t).is_err() || t == s);
        let other = SecretBox::new(&Secret::new([8u8; 32])).unwrap_or_else(|e| panic!("{e}"));
        assert!(other.open("totp-seed", &s).is_err());
        assert!(b.open("totp-seed", "v2.x.y").is_err());
    }
}
