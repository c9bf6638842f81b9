//! IdP objects and the IdP trust store (port `IdpRepo`). An IdP row and its trust references
//! are written in one transaction; deleting a trust-store key is refused while a reference
//! exists (checked and deleted in one conditional statement). Every query filters by org.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::row::Cols;
use federa_core::ports::{IdpKeyDelete, IdpRepo, StoreError, StoreResult, StoredIdp, StoredIdpKey};
use federa_types::{IdpId, OrgId, Timestamp};
use sqlx::Connection as _;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};

const IDP_COLS: &str = "id, org_id, kind, name, status, body, sealed_client_secret, \
    sealed_sp_key, sp_cert, sp_kid, created, last_updated";
const KEY_COLS: &str = "kid, org_id, kty, x5c, x5t_s256, created, expires_at";

fn org_of(row: &impl Cols) -> StoreResult<OrgId> {
    let s: String = row.col("org_id")?;
    OrgId::parse(&s).map_err(|e| corrupt("org id", e))
}

fn idp_from_row(row: &impl Cols, trust_kids: Vec<String>) -> StoreResult<StoredIdp> {
    let id: String = row.col("id")?;
    let body: String = row.col("body")?;
    Ok(StoredIdp {
        id: IdpId::parse(&id).ok_or_else(|| corrupt("IdP id", &id))?,
        org_id: org_of(row)?,
        kind: row.col("kind")?,
        name: row.col("name")?,
        status: row.col("status")?,
        body: serde_json::from_str(&body).map_err(|e| corrupt("IdP body", e))?,
        sealed_client_secret: row.col("sealed_client_secret")?,
        sealed_sp_key: row.col("sealed_sp_key")?,
        sp_cert: row.col("sp_cert")?,
        sp_kid: row.col("sp_kid")?,
        trust_kids,
        created: Timestamp(row.col("created")?),
        last_updated: Timestamp(row.col("last_updated")?),
    })
}

fn key_from_row(row: &impl Cols) -> StoreResult<StoredIdpKey> {
    Ok(StoredIdpKey {
        kid: row.col("kid")?,
        org_id: org_of(row)?,
        kty: row.col("kty")?,
        x5c: row.col("x5c")?,
        x5t_s256: row.col("x5t_s256")?,
        created: Timestamp(row.col("created")?),
        expires_at: row.col::<Option<i64>>("expires_at")?.map(Timestamp),
    })
}

fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Replaces the trust references of an IdP inside `tx`; every kid must be in the org's store.
async fn write_refs(tx: &mut Transaction<'_, Any>, idp: &StoredIdp) -> StoreResult<()> {
    sqlx::query("DELETE FROM idp_trust_refs WHERE org_id = $1 AND idp_id = $2")
        .bind(idp.org_id.as_str())
        .bind(idp.id.as_str())
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    for kid in &idp.trust_kids {
        let exists =
            sqlx::query("SELECT kid FROM idp_credentials_keys WHERE org_id = $1 AND kid = $2")
                .bind(idp.org_id.as_str())
                .bind(kid)
                .fetch_optional(&mut **tx)
                .await
                .map_err(map_err)?;
        if exists.is_none() {
            return Err(StoreError::MissingReference(format!("IdP key {kid}")));
        }
        sqlx::query("INSERT INTO idp_trust_refs (org_id, idp_id, kid) VALUES ($1, $2, $3)")
            .bind(idp.org_id.as_str())
            .bind(idp.id.as_str())
            .bind(kid)
            .execute(&mut **tx)
            .await
            .map_err(map_err)?;
    }
    Ok(())
}

impl SqlStore {
    async fn trust_kids_of(&self, org: &OrgId, id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT kid FROM idp_trust_refs WHERE org_id = $1 AND idp_id = $2 ORDER BY kid",
        )
        .bind(org.as_str())
        .bind(id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(|r| r.col::<String>("kid")).collect()
    }

    async fn idps_from_rows(&self, org: &OrgId, rows: &[AnyRow]) -> StoreResult<Vec<StoredIdp>> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.col("id")?;
            let kids = self.trust_kids_of(org, &id).await?;
            out.push(idp_from_row(row, kids)?);
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl IdpRepo for SqlStore {
    async fn create_idp(&self, i: &StoredIdp) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        sqlx::query(
            "INSERT INTO idps (id, org_id, kind, name, name_key, status, body, \
             sealed_client_secret, sealed_sp_key, sp_cert, sp_kid, created, last_updated) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(i.id.as_str())
        .bind(i.org_id.as_str())
        .bind(&i.kind)
        .bind(&i.name)
        .bind(name_key(&i.name))
        .bind(&i.status)
        .bind(i.body.to_string())
        .bind(i.sealed_client_secret.as_deref())
        .bind(&i.sealed_sp_key)
        .bind(&i.sp_cert)
        .bind(&i.sp_kid)
        .bind(i.created.0)
        .bind(i.last_updated.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        write_refs(&mut tx, i).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn update_idp(&self, i: &StoredIdp) -> StoreResult<bool> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        let r = sqlx::query(
            "UPDATE idps SET name = $3, name_key = $4, status = $5, body = $6, \
             sealed_client_secret = $7, last_updated = $8 WHERE org_id = $1 AND id = $2",
        )
        .bind(i.org_id.as_str())
        .bind(i.id.as_str())
        .bind(&i.name)
        .bind(name_key(&i.name))
        .bind(&i.status)
        .bind(i.body.to_string())
        .bind(i.sealed_client_secret.as_deref())
        .bind(i.last_updated.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        write_refs(&mut tx, i).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn set_idp_status(
        &self,
        org: &OrgId,
        id: &IdpId,
        status: &str,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE idps SET status = $3, last_updated = $4 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .bind(status)
        .bind(at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn idp_by_id(&self, org: &OrgId, id: &IdpId) -> StoreResult<Option<StoredIdp>> {
        let sql = format!("SELECT {IDP_COLS} FROM idps WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        match row {
            Some(row) => Ok(self.idps_from_rows(org, &[row]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn list_idps(
        &self,
        org: &OrgId,
        after: Option<&IdpId>,
        limit: i64,
    ) -> StoreResult<Vec<StoredIdp>> {
        let rows = match after {
            Some(after) => {
                let sql = format!(
                    "SELECT {IDP_COLS} FROM idps WHERE org_id = $1 AND (created, id) > \
                     (SELECT created, id FROM idps WHERE org_id = $1 AND id = $2) \
                     ORDER BY created, id LIMIT $3"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .bind(after.as_str())
                    .bind(limit)
                    .fetch_all(&mut *self.conn().await?)
                    .await
            }
            None => {
                let sql = format!(
                    "SELECT {IDP_COLS} FROM idps WHERE org_id = $1 ORDER BY created, id LIMIT $2"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .bind(limit)
                    .fetch_all(&mut *self.conn().await?)
                    .await
            }
        }
        .map_err(map_err)?;
        self.idps_from_rows(org, &rows).await
    }

    async fn all_idps(&self, org: &OrgId) -> StoreResult<Vec<StoredIdp>> {
        let sql = format!("SELECT {IDP_COLS} FROM idps WHERE org_id = $1 ORDER BY created, id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        self.idps_from_rows(org, &rows).await
    }

    async fn delete_idp(&self, org: &OrgId, id: &IdpId) -> StoreResult<bool> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        for sql in [
            "DELETE FROM idp_trust_refs WHERE org_id = $1 AND idp_id = $2",
            "DELETE FROM idp_user_links WHERE org_id = $1 AND idp_id = $2",
        ] {
            sqlx::query(sql)
                .bind(org.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let r = sqlx::query("DELETE FROM idps WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn add_idp_key(&self, k: &StoredIdpKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO idp_credentials_keys (org_id, kid, kty, x5c, x5t_s256, created, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(k.org_id.as_str())
        .bind(&k.kid)
        .bind(&k.kty)
        .bind(&k.x5c)
        .bind(&k.x5t_s256)
        .bind(k.created.0)
        .bind(k.expires_at.map(|t| t.0))
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn idp_key(&self, org: &OrgId, kid: &str) -> StoreResult<Option<StoredIdpKey>> {
        let sql =
            format!("SELECT {KEY_COLS} FROM idp_credentials_keys WHERE org_id = $1 AND kid = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(kid)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn list_idp_keys(
        &self,
        org: &OrgId,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<StoredIdpKey>> {
        let rows = match after {
            Some(after) => {
                let sql = format!(
                    "SELECT {KEY_COLS} FROM idp_credentials_keys WHERE org_id = $1 AND \
                     (created, kid) > (SELECT created, kid FROM idp_credentials_keys \
                     WHERE org_id = $1 AND kid = $2) ORDER BY created, kid LIMIT $3"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&mut *self.conn().await?)
                    .await
            }
            None => {
                let sql = format!(
                    "SELECT {KEY_COLS} FROM idp_credentials_keys WHERE org_id = $1 \
                     ORDER BY created, kid LIMIT $2"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .bind(limit)
                    .fetch_all(&mut *self.conn().await?)
                    .await
            }
        }
        .map_err(map_err)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn delete_idp_key(&self, org: &OrgId, kid: &str) -> StoreResult<IdpKeyDelete> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        let r = sqlx::query(
            "DELETE FROM idp_credentials_keys WHERE org_id = $1 AND kid = $2 AND NOT EXISTS \
             (SELECT 1 FROM idp_trust_refs WHERE org_id = $1 AND kid = $2)",
        )
        .bind(org.as_str())
        .bind(kid)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let outcome = if r.rows_affected() == 1 {
            IdpKeyDelete::Deleted
        } else {
            let exists =
                sqlx::query("SELECT kid FROM idp_credentials_keys WHERE org_id = $1 AND kid = $2")
                    .bind(org.as_str())
                    .bind(kid)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            if exists.is_some() {
                IdpKeyDelete::InUse
            } else {
                IdpKeyDelete::Missing
            }
        };
        tx.commit().await.map_err(map_err)?;
        Ok(outcome)
    }
}
