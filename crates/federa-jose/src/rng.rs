//! Randomness as an argument.
//!
//! The crate draws randomness only through the project-wide port [`federa_types::Rng`]
//! (re-exported here as [`Rng`]): the content encryption key and IV of RFC 7516 §5.1 steps 2
//! and 9, and the decoy CEK of RFC 7516 §11.5. This module owns [`SystemRng`], an
//! implementation on aws-lc-rs's `SystemRandom` for production callers and benches. The crate
//! holds no generator of its own, so tests can pass a deterministic one.
//!
//! Two operations draw randomness inside aws-lc itself and cannot take an [`Rng`]: the OAEP seed
//! (RFC 8017 §7.1.1 step 2d) and RSA key generation.

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};

pub use federa_types::Rng;

/// The operating system's CSPRNG via aws-lc-rs (`SystemRandom`).
#[derive(Debug, Clone, Default)]
pub struct SystemRng(SystemRandom);

impl SystemRng {
    /// Creates a handle to the system generator.
    #[must_use]
    pub fn new() -> Self {
        SystemRng(SystemRandom::new())
    }
}

impl Rng for SystemRng {
    /// Fills `buf` from aws-lc's `RAND_bytes`.
    ///
    /// The port is infallible. aws-lc aborts internally rather than return weak bytes, so the
    /// error branch is not reachable in practice; should it ever be, the process aborts instead
    /// of continuing with predictable keys or IVs (fail closed, as `federa-core` does).
    fn fill(&self, buf: &mut [u8]) {
        if self.0.fill(buf).is_err() {
            std::process::abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_rng_fills() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        let rng = SystemRng::new();
        rng.fill(&mut a);
        rng.fill(&mut b);
        assert_ne!(a, b);
    }
}
