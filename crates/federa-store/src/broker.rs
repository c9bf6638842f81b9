//! Pending federated sign-ins and IdP account links (port `BrokerRepo`). Taking a pending
//! sign-in is one `DELETE ... RETURNING`, so a `state` or `RelayState` works at most once even
//! across nodes. Every query filters by org.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::{Batch, BatchError, Stmt, Val};
use crate::row::Cols;
use crate::users::{USER_COLUMNS, user_from_row};
use federa_core::model::User;
use federa_core::ports::{BrokerRepo, BrokerState, LINKED, StoreError, StoreResult};
use federa_types::{IdpId, OrgId, Timestamp, UserId};

#[async_trait::async_trait]
impl BrokerRepo for SqlStore {
    async fn put_broker_state(&self, s: &BrokerState) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO broker_states (id_hash, org_id, idp_id, data, created, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(s.org_id.as_str())
        .bind(s.idp_id.as_str())
        .bind(s.data.to_string())
        .bind(s.created.0)
        .bind(s.expires_at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn take_broker_state(
        &self,
        org: &OrgId,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<BrokerState>> {
        // A write: a batch of one statement (native on SQLite).
        let mut batch = Batch::new();
        batch.push(
            "DELETE FROM broker_states WHERE org_id = $1 AND id_hash = $2 \
             RETURNING id_hash, org_id, idp_id, data, created, expires_at",
            vec![org.as_str().into(), id_hash.into()],
        );
        let out = batch
            .run(&mut self.conn().await?)
            .await
            .map_err(BatchError::into_store)?;
        let Some(row) = out
            .rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
        else {
            return Ok(None);
        };
        let expires_at = Timestamp(row.col("expires_at")?);
        if expires_at <= now {
            return Ok(None);
        }
        let idp: String = row.col("idp_id")?;
        let data: String = row.col("data")?;
        Ok(Some(BrokerState {
            id_hash: row.col("id_hash")?,
            org_id: org.clone(),
            idp_id: IdpId::parse(&idp).ok_or_else(|| corrupt("idp id", &idp))?,
            data: serde_json::from_str(&data).map_err(|e| corrupt("broker state", e))?,
            created: Timestamp(row.col("created")?),
            expires_at,
        }))
    }

    async fn linked_user_record(
        &self,
        org: &OrgId,
        idp: &IdpId,
        external_id: &str,
    ) -> StoreResult<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM idp_user_links l JOIN users u ON u.org_id = l.org_id AND u.id = l.user_id \
             WHERE l.org_id = $1 AND l.idp_id = $2 AND l.external_id = $3"
        );
        let row = self
            .rows(
                &sql,
                vec![
                    Val::from(org.as_str()),
                    Val::from(idp.as_str()),
                    Val::from(external_id),
                ],
            )
            .await?
            .into_iter()
            .next();
        row.as_ref().map(user_from_row).transpose()
    }

    async fn link_user(
        &self,
        org: &OrgId,
        idp: &IdpId,
        external_id: &str,
        user: &UserId,
        now: Timestamp,
    ) -> StoreResult<UserId> {
        let mut batch = Batch::new();
        batch.add(link_insert(org, idp, external_id, user, now, true));
        let read = batch.push(
            "SELECT user_id FROM idp_user_links WHERE org_id = $1 AND idp_id = $2 AND external_id = $3",
            vec![org.as_str().into(), idp.as_str().into(), external_id.into()],
        );
        let done = batch
            .run(&mut self.conn().await?)
            .await
            .map_err(BatchError::into_store)?;
        let id: String = done.rows[read]
            .first()
            .ok_or_else(|| corrupt("account link", "missing after insert"))?
            .col("user_id")?;
        UserId::parse(&id).map_err(|e| corrupt("user id", e))
    }

    async fn create_linked_user(
        &self,
        user: &User,
        idp: &IdpId,
        external_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut batch = Batch::new();
        let insert = batch.add(crate::users::user_insert(user)?);
        batch.add(link_insert(
            &user.org_id,
            idp,
            external_id,
            &user.id,
            now,
            false,
        ));
        batch
            .run(&mut self.conn().await?)
            .await
            .map_err(|e| match e.into_store_at() {
                (i, StoreError::Conflict(_)) if i == insert => StoreError::Conflict("login".into()),
                (_, StoreError::Conflict(_)) => StoreError::Conflict(LINKED.into()),
                (_, other) => other,
            })?;
        Ok(())
    }
}

/// The statement linking an upstream account to a user; with `keep`, an existing link of that
/// account is kept (nothing written), else it is a unique violation.
fn link_insert(
    org: &OrgId,
    idp: &IdpId,
    external_id: &str,
    user: &UserId,
    now: Timestamp,
    keep: bool,
) -> Stmt {
    let tail = if keep {
        " ON CONFLICT (org_id, idp_id, external_id) DO NOTHING"
    } else {
        ""
    };
    Stmt::new(
        format!(
            "INSERT INTO idp_user_links (org_id, idp_id, external_id, user_id, created) \
             VALUES ($1, $2, $3, $4, $5){tail}"
        ),
        vec![
            org.as_str().into(),
            idp.as_str().into(),
            external_id.into(),
            user.as_str().into(),
            now.0.into(),
        ],
    )
}
