//! Housekeeping: removes short-lived records once no check can need them any more (see
//! [`crate::ports::Store::sweep_expired`]). A record is removed [`GRACE_MS`] after it expired,
//! so that a check made at the edge of its lifetime, or on a host whose clock is a little
//! behind, still finds it; a replayed code, token or assertion that old is refused by its own
//! expiry.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::ports::Swept;
use federa_types::Timestamp;

/// How long after its expiry a record is kept.
pub const GRACE_MS: i64 = 60 * 60 * 1000;
/// Rows of one kind removed per transaction.
pub const BATCH: u32 = 500;
/// Passes per sweep at most (a backlog larger than `BATCH × MAX_PASSES` of one kind is left
/// to the next sweep).
const MAX_PASSES: usize = 200;

/// Removes every record that expired more than [`GRACE_MS`] ago, in batches of [`BATCH`]
/// rows per kind; returns how many of each kind were removed.
pub async fn sweep(ctx: &Ctx) -> Result<Swept, CoreError> {
    let before = Timestamp(ctx.clock.now().millis() - GRACE_MS);
    let mut total = Swept::default();
    for _ in 0..MAX_PASSES {
        let pass = ctx.store.sweep_expired(before, BATCH).await?;
        let more = pass.removed.iter().any(|(_, n)| *n >= u64::from(BATCH));
        for (kind, n) in pass.removed {
            match total.removed.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, sum)) => *sum += n,
                None => total.removed.push((kind, n)),
            }
        }
        if !more {
            break;
        }
    }
    Ok(total)
}
