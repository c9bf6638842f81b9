//! Apps, signing keys, OAuth codes and tokens, and the replay cache (ports `AppRepo`,
//! `OAuthRepo`). Taking a code and spending a refresh token are single conditional `UPDATE ...
//! RETURNING` statements: of two nodes redeeming the same value, exactly one sees it fresh.
//! Every query filters by org.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::{Batch, BatchError, Lease};
use crate::users::{USER_COLUMNS, user_from_row};
use federa_core::model::User;
use federa_core::ports::{
    AppRepo, CodeTake, KeyUse, OAuthRepo, RefreshTake, StoreResult, StoredApp, StoredCode,
    StoredKey, StoredToken,
};
use federa_types::{AppId, OrgId, Timestamp, UserId};
use sqlx::Connection as _;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

const APP_COLS: &str = "id, org_id, name, label, sign_on_mode, status, client_id, \
    client_secret_hash, body, created, last_updated";
const KEY_COLS: &str = "kid, org_id, key_use, alg, sealed_private, public_part, created, \
    active_from, retire_at, expires_at";
const CODE_COLS: &str = "code_hash, org_id, app_id, user_id, family, data, created, expires_at";
const TOKEN_COLS: &str = "token_hash, org_id, app_id, user_id, kind, family, data, created, \
    expires_at, used, revoked";

fn org_of(row: &AnyRow) -> StoreResult<OrgId> {
    let s: String = row.try_get("org_id").map_err(map_err)?;
    OrgId::parse(&s).map_err(|e| corrupt("org id", e))
}

fn app_id_of(row: &AnyRow, col: &str) -> StoreResult<AppId> {
    let s: String = row.try_get(col).map_err(map_err)?;
    AppId::parse(&s).ok_or_else(|| corrupt("app id", &s))
}

fn json_of(row: &AnyRow, col: &str) -> StoreResult<serde_json::Value> {
    let s: String = row.try_get(col).map_err(map_err)?;
    serde_json::from_str(&s).map_err(|e| corrupt(col, e))
}

fn app_from_row(row: &AnyRow) -> StoreResult<StoredApp> {
    Ok(StoredApp {
        id: app_id_of(row, "id")?,
        org_id: org_of(row)?,
        name: row.try_get("name").map_err(map_err)?,
        label: row.try_get("label").map_err(map_err)?,
        sign_on_mode: row.try_get("sign_on_mode").map_err(map_err)?,
        status: row.try_get("status").map_err(map_err)?,
        client_id: row.try_get("client_id").map_err(map_err)?,
        client_secret_hash: row.try_get("client_secret_hash").map_err(map_err)?,
        body: json_of(row, "body")?,
        created: Timestamp(row.try_get("created").map_err(map_err)?),
        last_updated: Timestamp(row.try_get("last_updated").map_err(map_err)?),
    })
}

fn key_from_row(row: &AnyRow) -> StoreResult<StoredKey> {
    let u: String = row.try_get("key_use").map_err(map_err)?;
    Ok(StoredKey {
        kid: row.try_get("kid").map_err(map_err)?,
        org_id: org_of(row)?,
        key_use: KeyUse::parse(&u).ok_or_else(|| corrupt("key use", &u))?,
        alg: row.try_get("alg").map_err(map_err)?,
        sealed_private: row.try_get("sealed_private").map_err(map_err)?,
        public: row.try_get("public_part").map_err(map_err)?,
        created: Timestamp(row.try_get("created").map_err(map_err)?),
        active_from: Timestamp(row.try_get("active_from").map_err(map_err)?),
        retire_at: row
            .try_get::<Option<i64>, _>("retire_at")
            .map_err(map_err)?
            .map(Timestamp),
        expires_at: row
            .try_get::<Option<i64>, _>("expires_at")
            .map_err(map_err)?
            .map(Timestamp),
    })
}

fn user_of(row: &AnyRow) -> StoreResult<Option<UserId>> {
    row.try_get::<Option<String>, _>("user_id")
        .map_err(map_err)?
        .map(|u| UserId::parse(&u).map_err(|e| corrupt("user id", e)))
        .transpose()
}

fn code_from_row(row: &AnyRow) -> StoreResult<StoredCode> {
    Ok(StoredCode {
        code_hash: row.try_get("code_hash").map_err(map_err)?,
        org_id: org_of(row)?,
        app_id: app_id_of(row, "app_id")?,
        user_id: user_of(row)?.ok_or_else(|| corrupt("code", "no user"))?,
        family: row.try_get("family").map_err(map_err)?,
        data: json_of(row, "data")?,
        created: Timestamp(row.try_get("created").map_err(map_err)?),
        expires_at: Timestamp(row.try_get("expires_at").map_err(map_err)?),
    })
}

fn token_from_row(row: &AnyRow) -> StoreResult<StoredToken> {
    Ok(StoredToken {
        token_hash: row.try_get("token_hash").map_err(map_err)?,
        org_id: org_of(row)?,
        app_id: app_id_of(row, "app_id")?,
        user_id: user_of(row)?,
        kind: row.try_get("kind").map_err(map_err)?,
        family: row.try_get("family").map_err(map_err)?,
        data: json_of(row, "data")?,
        created: Timestamp(row.try_get("created").map_err(map_err)?),
        expires_at: Timestamp(row.try_get("expires_at").map_err(map_err)?),
        used: row.try_get::<i64, _>("used").map_err(map_err)? != 0,
        revoked: row.try_get::<i64, _>("revoked").map_err(map_err)? != 0,
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
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&c.code_hash)
        .bind(c.org_id.as_str())
        .bind(c.app_id.as_str())
        .bind(c.user_id.as_str())
        .bind(&c.family)
        .bind(c.data.to_string())
        .bind(c.created.0)
        .bind(c.expires_at.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn take_code(
        &self,
        org: &OrgId,
        code_hash: &str,
        now: Timestamp,
    ) -> StoreResult<CodeTake> {
        let sql = format!(
            "UPDATE oauth_codes SET used = 1 WHERE org_id = $1 AND code_hash = $2 \
             AND used = 0 AND expires_at > $3 RETURNING {CODE_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(code_hash)
            .bind(now.0)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        if let Some(row) = row {
            return Ok(CodeTake::Fresh(code_from_row(&row)?));
        }
        self.code_not_taken(org, code_hash).await
    }

    async fn take_code_with_user(
        &self,
        org: &OrgId,
        code_hash: &str,
        now: Timestamp,
    ) -> StoreResult<(CodeTake, Option<User>)> {
        let mut lease = self.conn().await?;
        if !matches!(lease, Lease::Lane(_)) {
            // PostgreSQL: two statements are two round trips either way.
            drop(lease);
            let take = self.take_code(org, code_hash, now).await?;
            let user = match &take {
                CodeTake::Fresh(c) => {
                    federa_core::ports::UserRepo::user_by_id(self, org, &c.user_id).await?
                }
                _ => None,
            };
            return Ok((take, user));
        }
        // SQLite: the take and the read of its user as one batch (one round trip).
        let mut batch = Batch::new();
        let take = batch.push(
            format!(
                "UPDATE oauth_codes SET used = 1 WHERE org_id = $1 AND code_hash = $2 \
                 AND used = 0 AND expires_at > $3 RETURNING {CODE_COLS}"
            ),
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
        sqlx::query(
            "INSERT INTO oauth_tokens (token_hash, org_id, app_id, user_id, kind, family, data, \
             created, expires_at, used, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
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
