//! Production implementations of the [`Clock`] and `Rng` ports: the system clock and the
//! operating system's CSPRNG through aws-lc-rs.

use federa_types::{Clock, Timestamp};
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

/// Cryptographically secure randomness from aws-lc-rs (the one implementation lives in
/// `federa-jose`, which needs it for JWE).
pub use federa_jose::SystemRng;

/// Hex encoding of the SHA-256 digest of `data` (used for hashing API tokens at rest).
pub fn sha256_hex(data: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two byte strings.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
