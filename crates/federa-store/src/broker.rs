//! Pending federated sign-ins and IdP account links (port `BrokerRepo`). Taking a pending
//! sign-in is one `DELETE ... RETURNING`, so a `state` or `RelayState` works at most once even
//! across nodes. Every query filters by org.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::{Batch, BatchError, Val};
use crate::row::Cols;
use crate::users::{USER_COLUMNS, user_from_row};
use federa_core::model::User;
use federa_core::ports::{BrokerRepo, BrokerState, StoreResult};
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
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO idp_user_links (org_id, idp_id, external_id, user_id, created) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, idp_id, external_id) DO NOTHING",
        )
        .bind(org.as_str())
        .bind(idp.as_str())
        .bind(external_id)
        .bind(user.as_str())
        .bind(now.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
