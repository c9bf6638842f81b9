//! [`Ctx`]: what every use case needs, passed in explicitly (no global state).

use crate::notify::Notifier;
use crate::password::PasswordHasher;
use crate::ports::Store;
use crate::secretbox::SecretBox;
use federa_types::{Clock, Rng};
use std::sync::Arc;

/// The dependencies of the use cases.
#[derive(Clone)]
pub struct Ctx {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub rng: Arc<dyn Rng>,
    /// Password hashing.
    pub hasher: PasswordHasher,
    /// Encryption of secrets at rest with the master key.
    pub secrets: SecretBox,
    /// Sends codes to users (outbox, SMTP, SMS webhook).
    pub notifier: Arc<dyn Notifier>,
    /// Caches of immutable values (parsed signing keys).
    pub caches: crate::cache::Caches,
    /// Outbound HTTP (SP metadata, JWKS), behind the allow-list.
    pub fetch: Arc<dyn crate::fetch::Fetch>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// `n` random bytes.
    pub fn random<const N: usize>(&self) -> [u8; N] {
        let mut b = [0u8; N];
        self.rng.fill(&mut b);
        b
    }
}
