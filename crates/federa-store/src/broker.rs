//! Pending federated sign-ins and IdP account links (port `BrokerRepo`). Taking a pending
//! sign-in is one `DELETE ... RETURNING`, so a `state` or `RelayState` works at most once even
//! across nodes. Every query filters by org.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::users::{USER_COLUMNS, user_from_row};
use federa_core::model::User;
use federa_core::ports::{BrokerRepo, BrokerState, StoreResult};
use federa_types::{IdpId, OrgId, Timestamp, UserId};
use sqlx::{AssertSqlSafe, Row};

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
        let row = sqlx::query(
            "DELETE FROM broker_states WHERE org_id = $1 AND id_hash = $2 \
             RETURNING id_hash, org_id, idp_id, data, created, expires_at",
        )
        .bind(org.as_str())
        .bind(id_hash)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires_at = Timestamp(row.try_get("expires_at").map_err(map_err)?);
        if expires_at <= now {
            return Ok(None);
        }
        let idp: String = row.try_get("idp_id").map_err(map_err)?;
        let data: String = row.try_get("data").map_err(map_err)?;
        Ok(Some(BrokerState {
            id_hash: row.try_get("id_hash").map_err(map_err)?,
            org_id: org.clone(),
            idp_id: IdpId::parse(&idp).ok_or_else(|| corrupt("idp id", &idp))?,
            data: serde_json::from_str(&data).map_err(|e| corrupt("broker state", e))?,
            created: Timestamp(row.try_get("created").map_err(map_err)?),
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
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(idp.as_str())
            .bind(external_id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
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
