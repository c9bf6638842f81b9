//! Removal of short-lived records once they are past any use: sessions (absolute or idle
//! lifetime over), authorization codes, OAuth token records, replay-cache entries, pending
//! federated sign-ins and one-time factor codes (a new code marks the earlier ones used but
//! keeps them). Nothing else removes them (a used code or a
//! spent refresh token is kept on purpose until it expires, so that a replay is recognised),
//! so without this these tables grow with every sign-in and token request. (Sign-in flows
//! and WebAuthn ceremonies are pruned where they are made.)
//!
//! Each kind is one statement in its own short transaction, at most `limit` rows, so a sweep
//! never holds the write lock for long. None of these tables has an index on its expiry
//! across orgs (one would cost a B-tree write in every sign-in or token request), so each
//! statement scans its table; the sweep runs rarely (see the server's housekeeping task).

use crate::SqlStore;
use crate::lane::{Batch, BatchError, Val};
use federa_core::ports::{StoreResult, Swept};
use federa_types::Timestamp;

/// The kinds of record swept, each with the statement deleting at most `$2` rows expired
/// before `$1`.
const SWEEPS: [(&str, &str); 6] = [
    (
        "sessions",
        "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions \
         WHERE expires_at < $1 OR last_active + idle_ms < $1 LIMIT $2)",
    ),
    (
        "oauth_codes",
        "DELETE FROM oauth_codes WHERE code_hash IN (SELECT code_hash FROM oauth_codes \
         WHERE expires_at < $1 LIMIT $2)",
    ),
    (
        "oauth_tokens",
        "DELETE FROM oauth_tokens WHERE token_hash IN (SELECT token_hash FROM oauth_tokens \
         WHERE expires_at < $1 LIMIT $2)",
    ),
    (
        "replay_cache",
        "DELETE FROM replay_cache WHERE (org_id, namespace, item) IN \
         (SELECT org_id, namespace, item FROM replay_cache WHERE expires_at < $1 LIMIT $2)",
    ),
    (
        "broker_states",
        "DELETE FROM broker_states WHERE id_hash IN (SELECT id_hash FROM broker_states \
         WHERE expires_at < $1 LIMIT $2)",
    ),
    (
        "factor_codes",
        "DELETE FROM factor_codes WHERE id IN (SELECT id FROM factor_codes \
         WHERE expires < $1 LIMIT $2)",
    ),
];

impl SqlStore {
    pub(crate) async fn sweep(&self, before: Timestamp, limit: u32) -> StoreResult<Swept> {
        let mut out = Swept::default();
        for (kind, sql) in SWEEPS {
            let mut batch = Batch::new();
            batch.push(sql, vec![Val::from(before.0), Val::from(i64::from(limit))]);
            let mut lease = self.conn().await?;
            let done = batch
                .run(&mut lease)
                .await
                .map_err(BatchError::into_store)?;
            out.removed.push((kind, done.affected[0]));
        }
        Ok(out)
    }
}
