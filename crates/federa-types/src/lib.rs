//! Shared vocabulary of every Federa crate: typed identifiers, [`Secret`] values that never
//! print, [`Timestamp`]s, and the [`Clock`] and [`Rng`] ports through which time and
//! randomness enter the pure crates. No IO, no global state.

pub mod id;
pub mod secret;
pub mod time;

pub use id::{
    ApiTokenId, AppId, AuthenticatorId, FactorId, GroupId, IdError, IdpId, OrgId, PolicyId, RuleId,
    UserId, ZoneId,
};
pub use secret::Secret;
pub use time::{Clock, FixedClock, Timestamp};

/// Source of randomness, passed into code that needs it (ids, tokens, nonces).
pub trait Rng: Send + Sync {
    /// Fill `buf` with cryptographically secure random bytes.
    fn fill(&self, buf: &mut [u8]);
}
