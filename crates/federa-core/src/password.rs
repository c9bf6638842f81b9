//! Password hashing with Argon2id (RFC 9106) in PHC string form. Parameters come from config;
//! the defaults are OWASP's minimum for Argon2id (19 MiB, 2 iterations, 1 lane). Hashing runs on
//! the blocking thread pool so it never stalls the async runtime.

use crate::error::CoreError;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use federa_types::Secret;
use std::sync::Mutex;

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

    /// Hashes synchronously with `salt16` (16 random bytes), giving a PHC string. The Argon2
    /// memory comes from [`with_memory`].
    pub fn hash_blocking(&self, password: &[u8], salt16: &[u8; 16]) -> Result<String, CoreError> {
        let fail = |e: &dyn std::fmt::Display| CoreError::Internal(format!("argon2: {e}"));
        let argon = self.argon2();
        let mut out = [0u8; 32];
        with_memory(self.params.block_count(), |blocks| {
            argon.hash_password_into_with_memory(password, salt16, &mut out, blocks)
        })
        .map_err(|e| fail(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|e| fail(&e))?,
            salt: Some(Salt::new(salt16).map_err(|e| fail(&e))?),
            hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Verifies synchronously against a stored PHC string, with the parameters it names (so
    /// hashes made under older settings still verify). A malformed stored hash, an algorithm
    /// other than Argon2, or parameters asking for more than [`MAX_VERIFY_MEMORY_KIB`] verify
    /// as false. The output is compared in constant time.
    pub fn verify_blocking(&self, password: &[u8], phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from).transpose() {
            Ok(v) => v.unwrap_or(Version::V0x13),
            Err(_) => return false,
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        if params.m_cost() > MAX_VERIFY_MEMORY_KIB {
            return false;
        }
        let blocks = params.block_count();
        let argon = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        let computed = with_memory(blocks, |mem| {
            argon.hash_password_into_with_memory(password, salt.as_ref(), &mut out, mem)
        });
        computed.is_ok() && crate::system::constant_time_eq(&out, expected.as_bytes())
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

/// Largest Argon2 memory a stored hash may ask for at verification (1 GiB): a hash naming more
/// is refused rather than allowed to exhaust memory.
pub const MAX_VERIFY_MEMORY_KIB: u32 = 1024 * 1024;

/// Argon2 working memory kept between hashes, at most one buffer per CPU. Allocating the 19 MiB
/// afresh for every hash made the kernel fault in and zero ~4 900 pages each time on the
/// blocking pool's threads, which doubled the cost of a verification in the server compared with
/// a hash on a warm thread. Buffers are not wiped between uses: they never leave the process,
/// and what they hold (Argon2 state of an earlier hash) is no more than the stored hash itself
/// already gives away.
static POOL: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Buffers larger than this (64 MiB of blocks) are freed after use instead of kept.
const MAX_POOLED_BLOCKS: usize = 64 * 1024;

fn pool_cap() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 16))
}

/// Runs `f` with `count` Argon2 blocks of reused (or, when none is free, new) memory.
pub fn with_memory<R>(count: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    let reused = POOL.lock().ok().and_then(|mut free| {
        let i = free.iter().position(|b| b.len() >= count)?;
        Some(free.swap_remove(i))
    });
    let mut buf = reused.unwrap_or_else(|| vec![Block::new(); count]);
    let r = f(&mut buf[..count]);
    if buf.len() <= MAX_POOLED_BLOCKS
        && let Ok(mut free) = POOL.lock()
        && free.len() < pool_cap()
    {
        free.push(buf);
    }
    r
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
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let p = HashParams {
            memory_kib: 8_192,
            iterations: 5,
            parallelism: 2,
        };
        let h = PasswordHasher::new(p).unwrap_or_else(|e| panic!("{e}"));
        let ours = h
            .hash_blocking(b"correct horse", &[9u8; 16])
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed = PasswordHash::new(&ours).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            h.argon2()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(h.argon2().verify_password(b"wrong horse", &parsed).is_err());
        // The crate's own hash, also with another algorithm and version, verifies with ours.
        for (alg, version) in [
            (Algorithm::Argon2id, Version::V0x13),
            (Algorithm::Argon2i, Version::V0x10),
            (Algorithm::Argon2d, Version::V0x13),
        ] {
            let params = Params::new(7_168, 5, 1, Some(24)).unwrap_or_else(|e| panic!("{e}"));
            let theirs = Argon2::new(alg, version, params)
                .hash_password_with_salt(b"hunter42 hunter42", &[3u8; 16])
                .unwrap_or_else(|e| panic!("{e}"))
                .to_string();
            assert!(h.verify_blocking(b"hunter42 hunter42", &theirs), "{theirs}");
            assert!(
                !h.verify_blocking(b"hunter42 hunter43", &theirs),
                "{theirs}"
            );
        }
    }

    #[test]
    fn hostile_stored_hashes_verify_as_false() {
        let h = PasswordHasher::new(HashParams::default()).unwrap_or_else(|e| panic!("{e}"));
        let good = h
            .hash_blocking(b"correct horse", &[7u8; 16])
            .unwrap_or_else(|e| panic!("{e}"));
        // More memory than allowed (4 GiB), another algorithm, no hash, a cut hash.
        let huge = good.replace("m=19456", "m=4194304");
        assert!(!h.verify_blocking(b"correct horse", &huge));
        let other = good.replace("$argon2id$", "$scrypt$");
        assert!(!h.verify_blocking(b"correct horse", &other));
        let no_hash = good
            .rsplit_once('$')
            .map(|(a, _)| a.to_string())
            .unwrap_or_default();
        assert!(!h.verify_blocking(b"correct horse", &no_hash));
        let cut = &good[..good.len() - 4];
        assert!(!h.verify_blocking(b"correct horse", cut));
        assert!(h.verify_blocking(b"correct horse", &good));
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
