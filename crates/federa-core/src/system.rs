//! Production implementations of the [`Clock`] and [`Rng`] ports: the system clock and the
//! operating system's CSPRNG through aws-lc-rs.

use federa_types::{Clock, Rng, Timestamp};
use std::time::{SystemTime, UNIX_EPOCH};

/// Reads the system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// Cryptographically secure randomness from aws-lc-rs.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRng;

impl Rng for SystemRng {
    fn fill(&self, buf: &mut [u8]) {
        // aws-lc's RAND_bytes aborts the process rather than return weak bytes, so an error
        // here cannot happen in practice; fail closed by leaving no predictable output.
        if aws_lc_rs::rand::fill(buf).is_err() {
            std::process::abort();
        }
    }
}

/// Hex encoding of the SHA-256 digest of `data` (used for hashing API tokens at rest).
pub fn sha256_hex(data: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two byte strings.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
