//! Removal of short-lived records once they are past any use: sessions (absolute or idle
//! lifetime over), authorization codes, OAuth token records, replay-cache entries, pending
//! federated sign-ins and one-time factor codes (a new code marks the earlier ones used but
//! keeps them). Nothing else removes them (a used code or a spent refresh token is kept on
//! purpose until it expires, so that a replay is recognised), so without this these tables
//! grow with every sign-in and token request. (Sign-in flows and WebAuthn ceremonies are
//! pruned where they are made.)
//!
//! Each kind is swept in two steps: a read finds at most `limit` expired keys (on SQLite a
//! reader does not block writers, so the scan holds no lock), then one short write
//! transaction deletes those rows by key, each on the expiry condition again, so that a row
//! renewed in between (a session used, a replay-cache entry taken over) stays. None of these
//! tables has an index on its expiry across orgs (one would cost a B-tree write in every
//! sign-in or token request), so the read scans its table: ≈ 21 ms at 200 000 token rows
//! with a warm cache, ≈ 1.2 s cold (`python3` + SQLite 3.40); the sweep runs rarely (see the
//! server's housekeeping task).

use crate::SqlStore;
use crate::lane::{Batch, BatchError, Val};
use crate::row::Cols;
use federa_core::ports::{StoreResult, Swept};
use federa_types::Timestamp;

/// One kind of record: its table, its key columns and what makes a row expired before `$1`.
struct Kind {
    name: &'static str,
    table: &'static str,
    key: &'static [&'static str],
    expired: &'static str,
}

const KINDS: [Kind; 6] = [
    Kind {
        name: "sessions",
        table: "sessions",
        key: &["id_hash"],
        expired: "(expires_at < $1 OR last_active + idle_ms < $1)",
    },
    Kind {
        name: "oauth_codes",
        table: "oauth_codes",
        key: &["code_hash"],
        expired: "expires_at < $1",
    },
    Kind {
        name: "oauth_tokens",
        table: "oauth_tokens",
        key: &["token_hash"],
        expired: "expires_at < $1",
    },
    Kind {
        name: "replay_cache",
        table: "replay_cache",
        key: &["org_id", "namespace", "item"],
        expired: "expires_at < $1",
    },
    Kind {
        name: "broker_states",
        table: "broker_states",
        key: &["id_hash"],
        expired: "expires_at < $1",
    },
    Kind {
        name: "factor_codes",
        table: "factor_codes",
        key: &["id"],
        expired: "expires < $1",
    },
];

impl SqlStore {
    pub(crate) async fn sweep(&self, before: Timestamp, limit: u32) -> StoreResult<Swept> {
        let mut out = Swept::default();
        for kind in &KINDS {
            out.removed
                .push((kind.name, self.sweep_kind(kind, before, limit).await?));
        }
        Ok(out)
    }

    async fn sweep_kind(&self, kind: &Kind, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let select = format!(
            "SELECT {} FROM {} WHERE {} LIMIT $2",
            kind.key.join(", "),
            kind.table,
            kind.expired
        );
        let found = self
            .rows(
                &select,
                vec![Val::from(before.0), Val::from(i64::from(limit))],
            )
            .await?;
        if found.is_empty() {
            return Ok(0);
        }
        let by_key: Vec<String> = (0..kind.key.len())
            .map(|i| format!("{} = ${}", kind.key[i], i + 2))
            .collect();
        let delete = format!(
            "DELETE FROM {} WHERE {} AND {}",
            kind.table,
            by_key.join(" AND "),
            kind.expired
        );
        let mut batch = Batch::new();
        for row in &found {
            let mut vals = vec![Val::from(before.0)];
            for col in kind.key {
                vals.push(Val::from(row.col::<String>(col)?));
            }
            batch.push(delete.clone(), vals);
        }
        let mut lease = self.conn().await?;
        let done = batch
            .run(&mut lease)
            .await
            .map_err(BatchError::into_store)?;
        Ok(done.affected.iter().sum())
    }
}
