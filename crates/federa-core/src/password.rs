//! Password hashing with Argon2id (RFC 9106) in PHC string form. Parameters come from config;
//! the defaults are OWASP's minimum for Argon2id (19 MiB, 2 iterations, 1 lane). Hashing runs on
//! the blocking thread pool so it never stalls the async runtime.

use crate::error::CoreError;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use federa_types::Secret;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations (time cost).
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        // OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Minimum accepted password length (Okta's default password policy).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Maximum accepted password length (bounds hashing work).
pub const MAX_PASSWORD_LEN: usize = 256;

/// Hashes and verifies passwords.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
}

impl PasswordHasher {
    /// A hasher with these parameters; rejects parameters Argon2 does not accept or that are
    /// weaker than OWASP's minimum.
    pub fn new(p: HashParams) -> Result<Self, String> {
        // OWASP's Argon2id options trade memory for passes, from m=47104 KiB t=1 to m=7168 KiB
        // t=5; all spend at least m*t = 35840 KiB-passes with at least 7 MiB of memory.
        let work = u64::from(p.memory_kib) * u64::from(p.iterations);
        if p.memory_kib < 7_168 || work < 35_840 {
            return Err(format!(
                "password_hash parameters m={} KiB t={} are weaker than OWASP's minimum (e.g. m=19456 t=2, m=47104 t=1, m=7168 t=5)",
                p.memory_kib, p.iterations
            ));
        }
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
            .map_err(|e| format!("invalid Argon2 parameters: {e}"))?;
        Ok(Self { params })
    }

    /// A hasher without the OWASP floor, for tests and benchmarks that need cheap hashes.
    /// Production code uses [`PasswordHasher::new`].
    pub fn new_unchecked(p: HashParams) -> Result<Self, String> {
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
            .map_err(|e| format!("invalid Argon2 parameters: {e}"))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Checks a new password against the password policy.
    pub fn check_policy(password: &str) -> Result<(), CoreError> {
        let n = password.chars().count();
        if n < MIN_PASSWORD_LEN {
            return Err(CoreError::invalid(
                "credentials.password.value",
                format!(
                    "Password requirements were not met: at least {MIN_PASSWORD_LEN} characters"
                ),
            ));
        }
        if n > MAX_PASSWORD_LEN {
            return Err(CoreError::invalid(
                "credentials.password.value",
                format!(
                    "Password requirements were not met: at most {MAX_PASSWORD_LEN} characters"
                ),
            ));
        }
        Ok(())
    }

    /// Hashes synchronously (call from a blocking context).
    pub fn hash_blocking(&self, password: &[u8], salt16: &[u8; 16]) -> Result<String, CoreError> {
        self.argon2()
            .hash_password_with_salt(password, salt16)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
    }

    /// Verifies synchronously. A malformed stored hash verifies as false.
    pub fn verify_blocking(&self, password: &[u8], phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self.argon2().verify_password(password, &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// Hashes on the blocking pool.
    pub async fn hash(
        &self,
        password: Secret<String>,
        salt16: [u8; 16],
    ) -> Result<Secret<String>, CoreError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.hash_blocking(password.expose().as_bytes(), &salt16))
            .await
            .map_err(|e| CoreError::Internal(format!("hash task: {e}")))?
            .map(Secret::new)
    }

    /// Verifies on the blocking pool.
    pub async fn verify(&self, password: Secret<String>, phc: Secret<String>) -> bool {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            me.verify_blocking(password.expose().as_bytes(), phc.expose())
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = PasswordHasher::new(HashParams::default()).unwrap_or_else(|e| panic!("{e}"));
        let phc = h
            .hash_blocking(b"correct horse", &[7u8; 16])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify_blocking(b"correct horse", &phc));
        assert!(!h.verify_blocking(b"wrong horse", &phc));
        assert!(!h.verify_blocking(b"correct horse", "not a phc string"));
    }

    #[test]
    fn weak_parameters_are_refused() {
        let p = |memory_kib, iterations| HashParams {
            memory_kib,
            iterations,
            parallelism: 1,
        };
        assert!(PasswordHasher::new(p(1024, 1)).is_err());
        // Weak in one dimension is weak (both of these used to be accepted).
        assert!(PasswordHasher::new(p(8, 2)).is_err());
        assert!(PasswordHasher::new(p(19_456, 1)).is_err());
        // OWASP's alternatives are accepted.
        assert!(PasswordHasher::new(p(19_456, 2)).is_ok());
        assert!(PasswordHasher::new(p(47_104, 1)).is_ok());
        assert!(PasswordHasher::new(p(7_168, 5)).is_ok());
    }

    #[test]
    fn policy_rejects_short_passwords() {
        assert!(PasswordHasher::check_policy("short").is_err());
        assert!(PasswordHasher::check_policy("long enough").is_ok());
    }
}
