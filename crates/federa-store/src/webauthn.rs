//! Passkeys (WebAuthn credentials) and pending ceremonies. A ceremony is taken with one
//! `DELETE ... RETURNING`, so two nodes cannot both finish it; the counter update is a
//! conditional `UPDATE` on the stored counter, so two concurrent assertions cannot both be
//! accepted from the same counter value. Every query filters by org.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::Val;
use crate::row::Cols;
use federa_core::ports::{
    CeremonyKind, StoreError, StoreResult, WebauthnCeremony, WebauthnCredential, WebauthnRepo,
    WebauthnUse,
};
use federa_types::{FactorId, OrgId, Timestamp, UserId};
use sqlx::AssertSqlSafe;
use sqlx::Connection as _;

const CREDENTIAL_COLUMNS: &str = "id, org_id, user_id, credential_id, user_handle, passkey, \
    sign_count, backup_eligible, backup_state, user_verified, created, last_used";

const CEREMONY_COLUMNS: &str =
    "id_hash, org_id, kind, user_id, rp_id, origin, state, created, expires_at";

fn org_of(row: &impl Cols) -> StoreResult<OrgId> {
    let s: String = row.col("org_id")?;
    OrgId::parse(&s).map_err(|e| corrupt("org id", e))
}

fn flag(row: &impl Cols, col: &str) -> StoreResult<bool> {
    Ok(row.col::<i64>(col)? != 0)
}

fn credential_from_row(row: &impl Cols) -> StoreResult<WebauthnCredential> {
    let user: String = row.col("user_id")?;
    Ok(WebauthnCredential {
        id: FactorId::new(row.col::<String>("id")?),
        org_id: org_of(row)?,
        user_id: UserId::parse(&user).map_err(|e| corrupt("user id", e))?,
        credential_id: row.col("credential_id")?,
        user_handle: row.col("user_handle")?,
        passkey: row.col("passkey")?,
        sign_count: row.col("sign_count")?,
        backup_eligible: flag(row, "backup_eligible")?,
        backup_state: flag(row, "backup_state")?,
        user_verified: flag(row, "user_verified")?,
        created: Timestamp(row.col("created")?),
        last_used: row.col::<Option<i64>>("last_used")?.map(Timestamp),
    })
}

fn ceremony_from_row(row: &impl Cols) -> StoreResult<WebauthnCeremony> {
    let kind: String = row.col("kind")?;
    let user = row
        .col::<Option<String>>("user_id")?
        .map(|u| UserId::parse(&u).map_err(|e| corrupt("user id", e)))
        .transpose()?;
    Ok(WebauthnCeremony {
        id_hash: row.col("id_hash")?,
        org_id: org_of(row)?,
        kind: CeremonyKind::parse(&kind).ok_or_else(|| corrupt("ceremony kind", &kind))?,
        user_id: user,
        rp_id: row.col("rp_id")?,
        origin: row.col("origin")?,
        state: row.col("state")?,
        created: Timestamp(row.col("created")?),
        expires_at: Timestamp(row.col("expires_at")?),
    })
}

#[async_trait::async_trait]
impl WebauthnRepo for SqlStore {
    async fn put_webauthn_ceremony(
        &self,
        c: &WebauthnCeremony,
        prune_before: Timestamp,
    ) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        sqlx::query("DELETE FROM webauthn_ceremonies WHERE org_id = $1 AND expires_at < $2")
            .bind(c.org_id.as_str())
            .bind(prune_before.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO webauthn_ceremonies (id_hash, org_id, kind, user_id, rp_id, origin, \
             state, created, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(c.id_hash.as_str())
        .bind(c.org_id.as_str())
        .bind(c.kind.as_str())
        .bind(c.user_id.as_ref().map(|u| u.as_str().to_owned()))
        .bind(c.rp_id.as_str())
        .bind(c.origin.as_str())
        .bind(c.state.as_str())
        .bind(c.created.0)
        .bind(c.expires_at.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn take_webauthn_ceremony(
        &self,
        org: &OrgId,
        id_hash: &str,
    ) -> StoreResult<Option<WebauthnCeremony>> {
        let sql = format!(
            "DELETE FROM webauthn_ceremonies WHERE org_id = $1 AND id_hash = $2 \
             RETURNING {CEREMONY_COLUMNS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(id_hash)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(ceremony_from_row).transpose()
    }

    async fn create_webauthn_credential(&self, c: &WebauthnCredential) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        // The user must belong to the same org: checked here, not only by the foreign key.
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1 AND id = $2")
            .bind(c.org_id.as_str())
            .bind(c.user_id.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if n == 0 {
            return Err(StoreError::MissingReference(format!(
                "user '{}'",
                c.user_id
            )));
        }
        sqlx::query(
            "INSERT INTO webauthn_credentials (id, org_id, user_id, credential_id, user_handle, \
             passkey, sign_count, backup_eligible, backup_state, user_verified, created, last_used) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(c.id.as_str())
        .bind(c.org_id.as_str())
        .bind(c.user_id.as_str())
        .bind(c.credential_id.as_str())
        .bind(c.user_handle.as_str())
        .bind(c.passkey.as_str())
        .bind(c.sign_count)
        .bind(i64::from(c.backup_eligible))
        .bind(i64::from(c.backup_state))
        .bind(i64::from(c.user_verified))
        .bind(c.created.0)
        .bind(c.last_used.map(|t| t.0))
        .execute(&mut *tx)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("passkey".into()),
            other => other,
        })?;
        tx.commit().await.map_err(map_err)
    }

    async fn list_webauthn_credentials(
        &self,
        org: &OrgId,
        user: &UserId,
    ) -> StoreResult<Vec<WebauthnCredential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE org_id = $1 \
             AND user_id = $2 ORDER BY created, id"
        );
        let rows = self
            .rows(
                &sql,
                vec![Val::from(org.as_str()), Val::from(user.as_str())],
            )
            .await?;
        rows.iter().map(credential_from_row).collect()
    }

    async fn webauthn_credential_by_credential_id(
        &self,
        org: &OrgId,
        credential_id: &str,
    ) -> StoreResult<Option<WebauthnCredential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM webauthn_credentials WHERE org_id = $1 \
             AND credential_id = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(credential_id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(credential_from_row).transpose()
    }

    async fn record_webauthn_use(
        &self,
        org: &OrgId,
        id: &FactorId,
        u: &WebauthnUse,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE webauthn_credentials SET sign_count = $1, passkey = $2, backup_eligible = $3, \
             backup_state = $4, last_used = $5 WHERE org_id = $6 AND id = $7 AND sign_count = $8",
        )
        .bind(u.sign_count)
        .bind(u.passkey.as_str())
        .bind(i64::from(u.backup_eligible))
        .bind(i64::from(u.backup_state))
        .bind(u.at.0)
        .bind(org.as_str())
        .bind(id.as_str())
        .bind(u.expected_sign_count)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_webauthn_credential(
        &self,
        org: &OrgId,
        user: &UserId,
        id: &FactorId,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM webauthn_credentials WHERE org_id = $1 AND user_id = $2 AND id = $3",
        )
        .bind(org.as_str())
        .bind(user.as_str())
        .bind(id.as_str())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}
