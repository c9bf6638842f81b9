//! Rate limits per client address and per user (DB-backed fixed windows, shared by all nodes).
//! A window of `window_seconds` is aligned to the Unix epoch and computed from `ctx.clock`;
//! each [`hit`] is one atomic upsert in the database, so every node counts into the same
//! window. Keys name what is limited (e.g. `signin:ip:203.0.113.7`, `signin:user:00u...`);
//! use one window length per key.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::system::sha256_hex;
use federa_types::{OrgId, Timestamp};

/// The state of one rate-limit window after a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    /// Hits counted in the window, this one included.
    pub hits: i64,
    /// End of the window (exclusive).
    pub window_end: Timestamp,
}

/// The answer to a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// True when the hit is within the limit.
    pub allowed: bool,
    /// Seconds until the window ends (at least 1) when refused; 0 when allowed.
    pub retry_after_seconds: i64,
}

/// Longest key stored as given; longer keys are stored as their SHA-256.
const MAX_KEY: usize = 200;
/// Longest window.
pub const MAX_WINDOW_SECONDS: i64 = 7 * 24 * 60 * 60;

fn stored_key(key: &str) -> String {
    if key.len() <= MAX_KEY {
        key.to_string()
    } else {
        format!("sha256:{}", sha256_hex(key.as_bytes()))
    }
}

/// The fixed window `[start, end)` of `window_seconds` that contains `now`.
pub fn window_of(now: Timestamp, window_seconds: i64) -> (Timestamp, Timestamp) {
    let w = window_seconds.saturating_mul(1000);
    let start = now.millis() - now.millis().rem_euclid(w);
    (Timestamp(start), Timestamp(start.saturating_add(w)))
}

/// The decision for a window state at `now` under `limit`.
pub fn decide(window: RateWindow, limit: u32, now: Timestamp) -> RateDecision {
    if window.hits <= i64::from(limit) {
        return RateDecision {
            allowed: true,
            retry_after_seconds: 0,
        };
    }
    let left_ms = (window.window_end.millis() - now.millis()).max(0);
    RateDecision {
        allowed: false,
        retry_after_seconds: ((left_ms + 999) / 1000).max(1),
    }
}

/// Counts one hit on `key` and says whether it is within `limit` hits per `window_seconds`.
/// Refused hits count too (a client hammering a closed window gains nothing). Windows of
/// the org that have ended are deleted now and then (on about one new window in 64).
pub async fn hit(
    ctx: &Ctx,
    org: &OrgId,
    key: &str,
    limit: u32,
    window_seconds: i64,
) -> Result<RateDecision, CoreError> {
    hit_many(ctx, org, &[(key, limit)], window_seconds)
        .await?
        .pop()
        .ok_or_else(|| CoreError::Internal("rate limiter answered no window".into()))
}

/// [`hit`] for several distinct keys with one window length, counted in one store call; the
/// decisions in the order of `keys`.
pub async fn hit_many(
    ctx: &Ctx,
    org: &OrgId,
    keys: &[(&str, u32)],
    window_seconds: i64,
) -> Result<Vec<RateDecision>, CoreError> {
    if keys.iter().any(|(k, _)| k.is_empty()) {
        return Err(CoreError::invalid(
            "key",
            "a rate-limit key must not be empty",
        ));
    }
    if !(1..=MAX_WINDOW_SECONDS).contains(&window_seconds) {
        return Err(CoreError::invalid(
            "window_seconds",
            format!("the window must be 1 to {MAX_WINDOW_SECONDS} seconds"),
        ));
    }
    let now = ctx.clock.now();
    let (start, end) = window_of(now, window_seconds);
    let stored: Vec<String> = keys.iter().map(|(k, _)| stored_key(k)).collect();
    let windows = ctx.store.hit_rate_windows(org, &stored, start, end).await?;
    if windows.iter().any(|w| w.hits == 1)
        && ctx.random::<1>()[0] < 4
        && let Err(e) = ctx.store.purge_rate_windows(org, now).await
    {
        tracing::warn!(error = %e, "purging ended rate-limit windows failed");
    }
    Ok(windows
        .into_iter()
        .zip(keys)
        .map(|(w, (_, limit))| decide(w, *limit, now))
        .collect())
}

/// Forgets the counter of `key` (e.g. after a successful sign-in).
pub async fn reset(ctx: &Ctx, org: &OrgId, key: &str) -> Result<(), CoreError> {
    ctx.store.reset_rate_window(org, &stored_key(key)).await?;
    Ok(())
}

/// Deletes the org's windows that have ended; returns how many.
pub async fn purge(ctx: &Ctx, org: &OrgId) -> Result<u64, CoreError> {
    Ok(ctx.store.purge_rate_windows(org, ctx.clock.now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        assert_eq!(
            window_of(Timestamp(61_500), 60),
            (Timestamp(60_000), Timestamp(120_000))
        );
        assert_eq!(
            window_of(Timestamp(60_000), 60),
            (Timestamp(60_000), Timestamp(120_000))
        );
        assert_eq!(
            window_of(Timestamp(-1), 60),
            (Timestamp(-60_000), Timestamp(0))
        );
    }

    #[test]
    fn refusals_say_when_to_retry() {
        let w = |hits| RateWindow {
            hits,
            window_end: Timestamp(120_000),
        };
        assert!(decide(w(3), 3, Timestamp(61_000)).allowed);
        let d = decide(w(4), 3, Timestamp(61_000));
        assert!(!d.allowed);
        assert_eq!(d.retry_after_seconds, 59);
        assert_eq!(decide(w(4), 3, Timestamp(119_999)).retry_after_seconds, 1);
        assert_eq!(decide(w(4), 3, Timestamp(118_500)).retry_after_seconds, 2);
        assert!(!decide(w(1), 0, Timestamp(0)).allowed);
    }

    #[test]
    fn long_keys_are_hashed() {
        assert_eq!(stored_key("signin:ip:1.2.3.4"), "signin:ip:1.2.3.4");
        let k = stored_key(&"x".repeat(500));
        assert!(k.starts_with("sha256:") && k.len() == 7 + 64);
    }
}
