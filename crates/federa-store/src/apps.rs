//! Apps, signing keys, OAuth codes and tokens, and the replay cache (ports `AppRepo`,
//! `OAuthRepo`). Taking a code and spending a refresh token are single conditional `UPDATE ...
//! RETURNING` statements: of two nodes redeeming the same value, exactly one sees it fresh.
//! Every query filters by org.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::{Batch, BatchError, Lease};
use crate::row::Cols;
use crate::users::{USER_COLUMNS, user_from_row};
use federa_core::model::User;
use federa_core::ports::{
    AccessRecord, AppRepo, CodeTake, KeyUse, OAuthRepo, RefreshTake, StoreResult, StoredApp,
    StoredCode, StoredKey, StoredToken,
};
use federa_types::{AppId, OrgId, Timestamp, UserId};
use sqlx::AssertSqlSafe;
use sqlx::Connection as _;

const APP_COLS: &str = "id, org_id, name, label, sign_on_mode, status, client_id, \
    client_secret_hash, body, created, last_updated";
const KEY_COLS: &str = "kid, org_id, key_use, alg, sealed_private, public_part, created, \
    active_from, retire_at, expires_at";
const CODE_COLS: &str =
    "code_hash, org_id, app_id, user_id, family, data, created, expires_at, user_gen";
const TOKEN_COLS: &str = "token_hash, org_id, app_id, user_id, kind, family, data, created, \
    expires_at, used, revoked, user_gen";

fn org_of(row: &impl Cols) -> StoreResult<OrgId> {
    let s: String = row.col("org_id")?;
    OrgId::parse(&s).map_err(|e| corrupt("org id", e))
}

fn app_id_of(row: &impl Cols, col: &str) -> StoreResult<AppId> {
    let s: String = row.col(col)?;
    AppId::parse(&s).ok_or_else(|| corrupt("app id", &s))
}

fn json_of(row: &impl Cols, col: &str) -> StoreResult<serde_json::Value> {
    let s: String = row.col(col)?;
    serde_json::from_str(&s).map_err(|e| corrupt(col, e))
}

fn app_from_row(row: &impl Cols) -> StoreResult<StoredApp> {
    Ok(StoredApp {
        id: app_id_of(row, "id")?,
        org_id: org_of(row)?,
        name: row.col("name")?,
        label: row.col("label")?,
        sign_on_mode: row.col("sign_on_mode")?,
        status: row.col("status")?,
        client_id: row.col("client_id")?,
        client_secret_hash: row.col("client_secret_hash")?,
        body: json_of(row, "body")?,
        created: Timestamp(row.col("created")?),
        last_updated: Timestamp(row.col("last_updated")?),
    })
}

fn key_from_row(row: &impl Cols) -> StoreResult<StoredKey> {
    let u: String = row.col("key_use")?;
    Ok(StoredKey {
        kid: row.col("kid")?,
        org_id: org_of(row)?,
        key_use: KeyUse::parse(&u).ok_or_else(|| corrupt("key use", &u))?,
        alg: row.col("alg")?,
        sealed_private: row.col("sealed_private")?,
        public: row.col("public_part")?,
        created: Timestamp(row.col("created")?),
        active_from: Timestamp(row.col("active_from")?),
        retire_at: row.col::<Option<i64>>("retire_at")?.map(Timestamp),
        expires_at: row.col::<Option<i64>>("expires_at")?.map(Timestamp),
    })
}

fn user_of(row: &impl Cols) -> StoreResult<Option<UserId>> {
    row.col::<Option<String>>("user_id")?
        .map(|u| UserId::parse(&u).map_err(|e| corrupt("user id", e)))
        .transpose()
}

fn code_from_row(row: &impl Cols) -> StoreResult<StoredCode> {
    Ok(StoredCode {
        code_hash: row.col("code_hash")?,
        org_id: org_of(row)?,
        app_id: app_id_of(row, "app_id")?,
        user_id: user_of(row)?.ok_or_else(|| corrupt("code", "no user"))?,
        family: row.col("family")?,
        data: json_of(row, "data")?,
        created: Timestamp(row.col("created")?),
        expires_at: Timestamp(row.col("expires_at")?),
        user_gen: row.col("user_gen")?,
    })
}

fn token_from_row(row: &impl Cols) -> StoreResult<StoredToken> {
    Ok(StoredToken {
        token_hash: row.col("token_hash")?,
        org_id: org_of(row)?,
        app_id: app_id_of(row, "app_id")?,
        user_id: user_of(row)?,
        kind: row.col("kind")?,
        family: row.col("family")?,
        data: json_of(row, "data")?,
        created: Timestamp(row.col("created")?),
        expires_at: Timestamp(row.col("expires_at")?),
        used: row.col::<i64>("used")? != 0,
        revoked: row.col::<i64>("revoked")? != 0,
        user_gen: row.col("user_gen")?,
    })
}

#[async_trait::async_trait]
impl AppRepo for SqlStore {
    async fn create_app(&self, a: &StoredApp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO apps (id, org_id, name, label, sign_on_mode, status, client_id, \
             client_secret_hash, body, created, last_updated) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(a.id.as_str())
        .bind(a.org_id.as_str())
        .bind(&a.name)
        .bind(&a.label)
        .bind(&a.sign_on_mode)
        .bind(&a.status)
        .bind(a.client_id.as_deref())
        .bind(a.client_secret_hash.as_deref())
        .bind(a.body.to_string())
        .bind(a.created.0)
        .bind(a.last_updated.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_app(&self, a: &StoredApp) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE apps SET name = $3, label = $4, sign_on_mode = $5, status = $6, \
             client_id = $7, client_secret_hash = $8, body = $9, last_updated = $10 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(a.org_id.as_str())
        .bind(a.id.as_str())
        .bind(&a.name)
        .bind(&a.label)
        .bind(&a.sign_on_mode)
        .bind(&a.status)
        .bind(a.client_id.as_deref())
        .bind(a.client_secret_hash.as_deref())
        .bind(a.body.to_string())
        .bind(a.last_updated.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn app_by_id(&self, org: &OrgId, id: &AppId) -> StoreResult<Option<StoredApp>> {
        let sql = format!("SELECT {APP_COLS} FROM apps WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(app_from_row).transpose()
    }

    async fn app_by_client_id(
        &self,
        org: &OrgId,
        client_id: &str,
    ) -> StoreResult<Option<StoredApp>> {
        let sql = format!("SELECT {APP_COLS} FROM apps WHERE org_id = $1 AND client_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(client_id)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(app_from_row).transpose()
    }

    async fn list_apps(
        &self,
        org: &OrgId,
        after: Option<&AppId>,
        limit: i64,
    ) -> StoreResult<Vec<StoredApp>> {
        let rows = match after {
            Some(after) => {
                let sql = format!(
                    "SELECT {APP_COLS} FROM apps a WHERE org_id = $1 AND (created, id) > \
                     (SELECT created, id FROM apps WHERE org_id = $1 AND id = $2) \
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
                    "SELECT {APP_COLS} FROM apps WHERE org_id = $1 ORDER BY created, id LIMIT $2"
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .bind(limit)
                    .fetch_all(&mut *self.conn().await?)
                    .await
            }
        }
        .map_err(map_err)?;
        rows.iter().map(app_from_row).collect()
    }

    async fn delete_app(&self, org: &OrgId, id: &AppId) -> StoreResult<bool> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        for sql in [
            "DELETE FROM app_policies WHERE org_id = $1 AND app_id = $2",
            "DELETE FROM oauth_codes WHERE org_id = $1 AND app_id = $2",
            "DELETE FROM oauth_tokens WHERE org_id = $1 AND app_id = $2",
        ] {
            sqlx::query(sql)
                .bind(org.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let r = sqlx::query("DELETE FROM apps WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }
}

#[async_trait::async_trait]
impl OAuthRepo for SqlStore {
    async fn add_key(&self, k: &StoredKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, org_id, key_use, alg, sealed_private, public_part, \
             created, active_from, retire_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&k.kid)
        .bind(k.org_id.as_str())
        .bind(k.key_use.as_str())
        .bind(&k.alg)
        .bind(&k.sealed_private)
        .bind(&k.public)
        .bind(k.created.0)
        .bind(k.active_from.0)
        .bind(k.retire_at.map(|t| t.0))
        .bind(k.expires_at.map(|t| t.0))
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_keys(&self, org: &OrgId, key_use: KeyUse) -> StoreResult<Vec<StoredKey>> {
        let sql = format!(
            "SELECT {KEY_COLS} FROM signing_keys WHERE org_id = $1 AND key_use = $2 \
             ORDER BY active_from DESC, created DESC, kid"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(key_use.as_str())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn retire_key(
        &self,
        org: &OrgId,
        kid: &str,
        retire_at: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE signing_keys SET retire_at = $3, expires_at = $4 WHERE org_id = $1 AND kid = $2",
        )
        .bind(org.as_str())
        .bind(kid)
        .bind(retire_at.0)
        .bind(expires_at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn put_code(&self, c: &StoredCode) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO oauth_codes (code_hash, org_id, app_id, user_id, family, data, created, \
             expires_at, user_gen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.code_hash)
        .bind(c.org_id.as_str())
        .bind(c.app_id.as_str())
        .bind(c.user_id.as_str())
        .bind(&c.family)
        .bind(c.data.to_string())
        .bind(c.created.0)
        .bind(c.expires_at.0)
        .bind(c.user_gen)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn redeem_code(
        &self,
        org: &OrgId,
        code_hash: &str,
        now: Timestamp,
        access: &AccessRecord,
    ) -> StoreResult<(CodeTake, Option<User>)> {
        let take_sql = format!(
            "UPDATE oauth_codes SET used = 1 WHERE org_id = $1 AND code_hash = $2 \
             AND used = 0 AND expires_at > $3 RETURNING {CODE_COLS}"
        );
        let mut lease = self.conn().await?;
        let Lease::Lane(_) = lease else {
            // PostgreSQL: the take, then (for a fresh code) the record and the user, in one
            // transaction; statements are round trips of their own there either way.
            let mut tx = lease.begin().await.map_err(map_err)?;
            let row = sqlx::query(AssertSqlSafe(take_sql))
                .bind(org.as_str())
                .bind(code_hash)
                .bind(now.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
            let Some(row) = row else {
                drop(tx);
                drop(lease);
                return Ok((self.code_not_taken(org, code_hash).await?, None));
            };
            let code = code_from_row(&row)?;
            insert_token(&access_token_of(&code, access), &mut *tx).await?;
            let sql =
                format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND u.id = $2");
            let user = sqlx::query(AssertSqlSafe(sql))
                .bind(org.as_str())
                .bind(code.user_id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?
                .as_ref()
                .map(user_from_row)
                .transpose()?;
            tx.commit().await.map_err(map_err)?;
            return Ok((CodeTake::Fresh(code), user));
        };
        // SQLite: one batch, one round trip. The access record first, on the same condition as
        // the take that follows: `BEGIN IMMEDIATE` holds the write lock throughout, so both
        // happen or neither.
        let mut batch = Batch::new();
        batch.push(
            "INSERT INTO oauth_tokens (token_hash, org_id, app_id, user_id, kind, family, data, \
             created, expires_at, used, revoked, user_gen) \
             SELECT $1, org_id, app_id, user_id, 'access', family, 'null', $2, $3, 0, 0, user_gen \
             FROM oauth_codes WHERE org_id = $4 AND code_hash = $5 AND used = 0 \
             AND expires_at > $6",
            vec![
                access.token_hash.as_str().into(),
                access.created.0.into(),
                access.expires_at.0.into(),
                org.as_str().into(),
                code_hash.into(),
                now.0.into(),
            ],
        );
        let take = batch.push(
            take_sql,
            vec![org.as_str().into(), code_hash.into(), now.0.into()],
        );
        let read = batch.push(
            format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND u.id = \
                 (SELECT user_id FROM oauth_codes WHERE org_id = $1 AND code_hash = $2)"
            ),
            vec![org.as_str().into(), code_hash.into()],
        );
        let out = batch
            .run(&mut lease)
            .await
            .map_err(BatchError::into_store)?;
        drop(lease);
        match out.rows[take].first() {
            Some(row) => {
                let code = code_from_row(row)?;
                let user = out.rows[read].first().map(user_from_row).transpose()?;
                // The read names the code's user by the same key; checked, not assumed.
                let user = user.filter(|u| u.id == code.user_id);
                Ok((CodeTake::Fresh(code), user))
            }
            None => Ok((self.code_not_taken(org, code_hash).await?, None)),
        }
    }

    async fn put_token(&self, t: &StoredToken) -> StoreResult<()> {
        insert_token(t, &mut *self.conn().await?).await
    }

    async fn take_refresh(
        &self,
        org: &OrgId,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<RefreshTake> {
        let sql = format!(
            "UPDATE oauth_tokens SET used = 1 WHERE org_id = $1 AND token_hash = $2 \
             AND kind = 'refresh' AND used = 0 AND revoked = 0 AND expires_at > $3 \
             RETURNING {TOKEN_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(token_hash)
            .bind(now.0)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        if let Some(row) = row {
            return Ok(RefreshTake::Fresh(token_from_row(&row)?));
        }
        let sql = format!(
            "SELECT {TOKEN_COLS} FROM oauth_tokens WHERE org_id = $1 AND token_hash = $2 \
             AND kind = 'refresh' AND (used = 1 OR revoked = 1)"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(token_hash)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(match row {
            Some(row) => RefreshTake::Replayed(token_from_row(&row)?),
            None => RefreshTake::Unknown,
        })
    }

    async fn oauth_token_by_hash(
        &self,
        org: &OrgId,
        token_hash: &str,
    ) -> StoreResult<Option<StoredToken>> {
        let sql =
            format!("SELECT {TOKEN_COLS} FROM oauth_tokens WHERE org_id = $1 AND token_hash = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(token_hash)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn revoke_family(&self, org: &OrgId, family: &str) -> StoreResult<u64> {
        let r = sqlx::query(
            "UPDATE oauth_tokens SET revoked = 1 WHERE org_id = $1 AND family = $2 AND revoked = 0",
        )
        .bind(org.as_str())
        .bind(family)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected())
    }

    async fn remember_once(
        &self,
        org: &OrgId,
        namespace: &str,
        key: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        // An expired entry is taken over; a live one makes the insert do nothing.
        let r = sqlx::query(
            "INSERT INTO replay_cache (org_id, namespace, item, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id, namespace, item) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE replay_cache.expires_at <= $5",
        )
        .bind(org.as_str())
        .bind(namespace)
        .bind(key)
        .bind(expires_at.0)
        .bind(now.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }
}

impl SqlStore {
    /// A code that could not be taken: used before (a replay, whatever its age), or
    /// unknown/expired.
    async fn code_not_taken(&self, org: &OrgId, code_hash: &str) -> StoreResult<CodeTake> {
        let sql = format!(
            "SELECT {CODE_COLS} FROM oauth_codes WHERE org_id = $1 AND code_hash = $2 AND used = 1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(code_hash)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(match row {
            Some(row) => CodeTake::Replayed(code_from_row(&row)?),
            None => CodeTake::Unknown,
        })
    }
}

/// The [`StoredToken`] of the access token [`OAuthRepo::redeem_code`] records with `code`.
fn access_token_of(code: &StoredCode, access: &AccessRecord) -> StoredToken {
    StoredToken {
        token_hash: access.token_hash.clone(),
        org_id: code.org_id.clone(),
        app_id: code.app_id.clone(),
        user_id: Some(code.user_id.clone()),
        kind: "access".into(),
        family: code.family.clone(),
        data: serde_json::Value::Null,
        created: access.created,
        expires_at: access.expires_at,
        used: false,
        revoked: false,
        user_gen: code.user_gen,
    }
}

async fn insert_token<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    t: &StoredToken,
    ex: E,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO oauth_tokens (token_hash, org_id, app_id, user_id, kind, family, data, \
         created, expires_at, used, revoked, user_gen) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&t.token_hash)
    .bind(t.org_id.as_str())
    .bind(t.app_id.as_str())
    .bind(t.user_id.as_ref().map(|u| u.as_str()))
    .bind(&t.kind)
    .bind(&t.family)
    .bind(t.data.to_string())
    .bind(t.created.0)
    .bind(t.expires_at.0)
    .bind(i64::from(t.used))
    .bind(i64::from(t.revoked))
    .bind(t.user_gen)
    .execute(ex)
    .await
    .map_err(map_err)?;
    Ok(())
}
