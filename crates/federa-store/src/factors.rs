//! User factors, one-time codes and the notification outbox. Single-use and counter changes are
//! conditional `UPDATE`s whose affected-row count says whether they happened, so concurrent
//! requests cannot both accept one code or one TOTP step.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::Val;
use crate::row::Cols;
use federa_core::model::{
    Channel, DeliveryStatus, FactorProfile, FactorProvider, FactorStatus, FactorType, OneTimeCode,
    OutboxEntry, UserFactor,
};
use federa_core::page::PageRequest;
use federa_core::ports::{FactorRepo, StoreError, StoreResult};
use federa_types::{FactorId, OrgId, Secret, Timestamp, UserId};
use sqlx::AssertSqlSafe;
use sqlx::Connection as _;

const FACTOR_COLUMNS: &str = "id, org_id, user_id, factor_type, provider, status, profile, secret, \
    last_totp_step, failed_attempts, locked_until, created, last_updated";

const CODE_COLUMNS: &str = "id, org_id, factor_id, code_hash, created, expires, attempts, used";

const OUTBOX_COLUMNS: &str =
    "id, org_id, channel, recipient, subject, body, created, status, error, last_updated";

fn org_of(row: &impl Cols) -> StoreResult<OrgId> {
    let s: String = row.col("org_id")?;
    OrgId::parse(&s).map_err(|e| corrupt("org id", e))
}

fn ts(row: &impl Cols, col: &str) -> StoreResult<Timestamp> {
    Ok(Timestamp(row.col(col)?))
}

fn factor_from_row(row: &impl Cols) -> StoreResult<UserFactor> {
    let user: String = row.col("user_id")?;
    let kind: String = row.col("factor_type")?;
    let provider: String = row.col("provider")?;
    let status: String = row.col("status")?;
    let profile: String = row.col("profile")?;
    Ok(UserFactor {
        id: FactorId::new(row.col::<String>("id")?),
        org_id: org_of(row)?,
        user_id: UserId::parse(&user).map_err(|e| corrupt("user id", e))?,
        factor_type: FactorType::parse(&kind).ok_or_else(|| corrupt("factor type", &kind))?,
        provider: FactorProvider::parse(&provider)
            .ok_or_else(|| corrupt("factor provider", &provider))?,
        status: FactorStatus::parse(&status).ok_or_else(|| corrupt("factor status", &status))?,
        profile: serde_json::from_str::<FactorProfile>(&profile)
            .map_err(|e| corrupt("factor profile", e))?,
        secret: row.col::<Option<String>>("secret")?.map(Secret::new),
        last_totp_step: row.col("last_totp_step")?,
        failed_attempts: row.col("failed_attempts")?,
        locked_until: row.col::<Option<i64>>("locked_until")?.map(Timestamp),
        created: ts(row, "created")?,
        last_updated: ts(row, "last_updated")?,
    })
}

fn code_from_row(row: &impl Cols) -> StoreResult<OneTimeCode> {
    Ok(OneTimeCode {
        id: row.col("id")?,
        org_id: org_of(row)?,
        factor_id: FactorId::new(row.col::<String>("factor_id")?),
        code_hash: row.col("code_hash")?,
        created: ts(row, "created")?,
        expires: ts(row, "expires")?,
        attempts: row.col("attempts")?,
        used: row.col::<i64>("used")? != 0,
    })
}

fn outbox_from_row(row: &impl Cols) -> StoreResult<OutboxEntry> {
    let channel: String = row.col("channel")?;
    let status: String = row.col("status")?;
    Ok(OutboxEntry {
        id: row.col("id")?,
        org_id: org_of(row)?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("outbox channel", &channel))?,
        recipient: row.col("recipient")?,
        subject: row.col("subject")?,
        sealed_body: row.col("body")?,
        created: ts(row, "created")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| corrupt("outbox status", &status))?,
        error: row.col("error")?,
        last_updated: ts(row, "last_updated")?,
    })
}

fn profile_json(p: &FactorProfile) -> StoreResult<String> {
    serde_json::to_string(p)
        .map_err(|e| StoreError::Backend(format!("cannot encode factor profile: {e}")))
}

#[async_trait::async_trait]
impl FactorRepo for SqlStore {
    async fn create_factor(&self, f: &UserFactor, code: Option<&OneTimeCode>) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        // The user must belong to the same org: checked here, not only by the foreign key.
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1 AND id = $2")
            .bind(f.org_id.as_str())
            .bind(f.user_id.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        if n == 0 {
            return Err(StoreError::MissingReference(format!(
                "user '{}'",
                f.user_id
            )));
        }
        // A pending enrollment of the same kind is replaced (e.g. a TOTP QR code scanned again).
        sqlx::query(
            "DELETE FROM factor_codes WHERE org_id = $1 AND factor_id IN (SELECT id FROM user_factors \
             WHERE org_id = $1 AND user_id = $2 AND factor_type = $3 AND provider = $4 AND status = $5)",
        )
        .bind(f.org_id.as_str())
        .bind(f.user_id.as_str())
        .bind(f.factor_type.as_str())
        .bind(f.provider.as_str())
        .bind(FactorStatus::PendingActivation.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "DELETE FROM user_factors WHERE org_id = $1 AND user_id = $2 AND factor_type = $3 \
             AND provider = $4 AND status = $5",
        )
        .bind(f.org_id.as_str())
        .bind(f.user_id.as_str())
        .bind(f.factor_type.as_str())
        .bind(f.provider.as_str())
        .bind(FactorStatus::PendingActivation.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO user_factors (id, org_id, user_id, factor_type, provider, status, profile, secret, \
             last_totp_step, failed_attempts, locked_until, created, last_updated) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(f.id.as_str())
        .bind(f.org_id.as_str())
        .bind(f.user_id.as_str())
        .bind(f.factor_type.as_str())
        .bind(f.provider.as_str())
        .bind(f.status.as_str())
        .bind(profile_json(&f.profile)?)
        .bind(f.secret.as_ref().map(|s| s.expose().clone()))
        .bind(f.last_totp_step)
        .bind(f.failed_attempts)
        .bind(f.locked_until.map(|t| t.0))
        .bind(f.created.0)
        .bind(f.last_updated.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("factor".into()),
            other => other,
        })?;
        if let Some(c) = code {
            insert_code(&mut tx, c).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn list_factors(&self, org: &OrgId, user: &UserId) -> StoreResult<Vec<UserFactor>> {
        let sql = format!(
            "SELECT {FACTOR_COLUMNS} FROM user_factors WHERE org_id = $1 AND user_id = $2 \
             ORDER BY created, id"
        );
        let rows = self
            .rows(
                &sql,
                vec![Val::from(org.as_str()), Val::from(user.as_str())],
            )
            .await?;
        rows.iter().map(factor_from_row).collect()
    }

    async fn factor_by_id(
        &self,
        org: &OrgId,
        user: &UserId,
        id: &FactorId,
    ) -> StoreResult<Option<UserFactor>> {
        let sql = format!(
            "SELECT {FACTOR_COLUMNS} FROM user_factors WHERE org_id = $1 AND user_id = $2 AND id = $3"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(user.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(factor_from_row).transpose()
    }

    async fn set_factor_status(
        &self,
        org: &OrgId,
        id: &FactorId,
        status: FactorStatus,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE user_factors SET status = $3, failed_attempts = 0, locked_until = NULL, \
             last_updated = $4 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_factor(&self, org: &OrgId, user: &UserId, id: &FactorId) -> StoreResult<bool> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        let r =
            sqlx::query("DELETE FROM user_factors WHERE org_id = $1 AND user_id = $2 AND id = $3")
                .bind(org.as_str())
                .bind(user.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        if r.rows_affected() == 1 {
            sqlx::query("DELETE FROM factor_codes WHERE org_id = $1 AND factor_id = $2")
                .bind(org.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn accept_totp_step(
        &self,
        org: &OrgId,
        id: &FactorId,
        step: i64,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE user_factors SET last_totp_step = $3, last_updated = $4 \
             WHERE org_id = $1 AND id = $2 AND (last_totp_step IS NULL OR last_totp_step < $3)",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .bind(step)
        .bind(at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn record_factor_failure(
        &self,
        org: &OrgId,
        id: &FactorId,
        max: i64,
        lock_until: Timestamp,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE user_factors SET \
             locked_until = CASE WHEN failed_attempts + 1 >= $3 THEN $4 ELSE locked_until END, \
             failed_attempts = CASE WHEN failed_attempts + 1 >= $3 THEN 0 ELSE failed_attempts + 1 END, \
             last_updated = $5 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .bind(max)
        .bind(lock_until.0)
        .bind(at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn reset_factor_failures(&self, org: &OrgId, id: &FactorId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE user_factors SET failed_attempts = 0, locked_until = NULL \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id.as_str())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn replace_code(&self, code: &OneTimeCode) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        insert_code(&mut tx, code).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn live_code(&self, org: &OrgId, factor: &FactorId) -> StoreResult<Option<OneTimeCode>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM factor_codes WHERE org_id = $1 AND factor_id = $2 AND used = 0 \
             ORDER BY created DESC, id LIMIT 1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(factor.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(code_from_row).transpose()
    }

    async fn count_code_attempt(
        &self,
        org: &OrgId,
        code: &str,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE factor_codes SET attempts = attempts + 1 WHERE org_id = $1 AND id = $2 \
             AND used = 0 AND attempts < $3 AND expires > $4",
        )
        .bind(org.as_str())
        .bind(code)
        .bind(max)
        .bind(now.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn use_code(&self, org: &OrgId, code: &str) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE factor_codes SET used = 1 WHERE org_id = $1 AND id = $2 AND used = 0",
        )
        .bind(org.as_str())
        .bind(code)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn add_outbox(&self, e: &OutboxEntry, prune_before: Timestamp) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        sqlx::query("DELETE FROM outbox WHERE org_id = $1 AND created < $2")
            .bind(e.org_id.as_str())
            .bind(prune_before.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO outbox (id, org_id, channel, recipient, subject, body, created, status, error, last_updated) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&e.id)
        .bind(e.org_id.as_str())
        .bind(e.channel.as_str())
        .bind(&e.recipient)
        .bind(&e.subject)
        .bind(&e.sealed_body)
        .bind(e.created.0)
        .bind(e.status.as_str())
        .bind(e.error.as_deref())
        .bind(e.last_updated.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn set_outbox_status(
        &self,
        org: &OrgId,
        id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET status = $3, error = $4, last_updated = $5 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(id)
        .bind(status.as_str())
        .bind(error)
        .bind(at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_outbox(&self, org: &OrgId, page: &PageRequest) -> StoreResult<Vec<OutboxEntry>> {
        let limit = i64::from(page.limit) + 1;
        let rows = match &page.after {
            None => {
                let sql = format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE org_id = $1 ORDER BY seq DESC LIMIT {limit}"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .fetch_all(&mut *self.conn().await?)
                    .await
            }
            Some(after) => {
                // An unknown cursor (or one of another org) selects nothing.
                let sql = format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE org_id = $1 AND seq < \
                     (SELECT seq FROM outbox WHERE org_id = $1 AND id = $2) ORDER BY seq DESC LIMIT {limit}"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .bind(after.as_str())
                    .fetch_all(&mut *self.conn().await?)
                    .await
            }
        }
        .map_err(map_err)?;
        rows.iter().map(outbox_from_row).collect()
    }
}

/// Marks the factor's earlier codes used and inserts `c`.
async fn insert_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    c: &OneTimeCode,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE factor_codes SET used = 1 WHERE org_id = $1 AND factor_id = $2 AND used = 0",
    )
    .bind(c.org_id.as_str())
    .bind(c.factor_id.as_str())
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    sqlx::query(
        "INSERT INTO factor_codes (id, org_id, factor_id, code_hash, created, expires, attempts, used) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&c.id)
    .bind(c.org_id.as_str())
    .bind(c.factor_id.as_str())
    .bind(&c.code_hash)
    .bind(c.created.0)
    .bind(c.expires.0)
    .bind(c.attempts)
    .bind(i64::from(c.used))
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    Ok(())
}
