//! Orgs, hosts and API tokens.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::row::Cols;
use federa_core::model::{ApiToken, Engine, Org, OrgDefaults};
use federa_core::ports::{OrgRepo, StoreError, StoreResult, TokenRepo};
use federa_types::{ApiTokenId, OrgId, Timestamp};
use sqlx::Connection as _;
use sqlx::any::AnyRow;

async fn load_org(store: &SqlStore, row: AnyRow) -> StoreResult<Org> {
    let id: String = row.col("id")?;
    let engine: String = row.col("engine")?;
    let hosts: Vec<String> =
        sqlx::query_scalar("SELECT host FROM org_hosts WHERE org_id = $1 ORDER BY host")
            .bind(&id)
            .fetch_all(&mut *store.conn().await?)
            .await
            .map_err(map_err)?;
    Ok(Org {
        id: OrgId::parse(&id).map_err(|e| corrupt("org id", e))?,
        name: row.col("name")?,
        hosts,
        engine: Engine::parse(&engine).ok_or_else(|| corrupt("org engine", &engine))?,
        created: Timestamp(row.col("created")?),
    })
}

fn token_from_row(row: &impl Cols) -> StoreResult<ApiToken> {
    let id: String = row.col("id")?;
    let org: String = row.col("org_id")?;
    Ok(ApiToken {
        id: ApiTokenId::parse(&id).map_err(|e| corrupt("token id", e))?,
        org_id: OrgId::parse(&org).map_err(|e| corrupt("org id", e))?,
        name: row.col("name")?,
        token_hash: row.col("token_hash")?,
        created: Timestamp(row.col("created")?),
    })
}

async fn insert_token<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    t: &ApiToken,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_tokens (id, org_id, name, token_hash, created) VALUES ($1, $2, $3, $4, $5)")
        .bind(t.id.as_str())
        .bind(t.org_id.as_str())
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(t.created.0)
        .execute(ex)
        .await
        .map_err(map_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl OrgRepo for SqlStore {
    async fn create_org(
        &self,
        org: &Org,
        first_token: Option<&ApiToken>,
        defaults: &OrgDefaults,
    ) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        sqlx::query("INSERT INTO orgs (id, name, engine, created) VALUES ($1, $2, $3, $4)")
            .bind(org.id.as_str())
            .bind(&org.name)
            .bind(org.engine.as_str())
            .bind(org.created.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        for host in &org.hosts {
            sqlx::query("INSERT INTO org_hosts (host, org_id) VALUES ($1, $2)")
                .bind(host)
                .bind(org.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| match map_err(e) {
                    StoreError::Conflict(_) => StoreError::Conflict(format!("host '{host}'")),
                    other => other,
                })?;
        }
        if let Some(t) = first_token {
            insert_token(&mut *tx, t).await?;
        }
        for a in &defaults.authenticators {
            crate::engine::insert_authenticator(&mut *tx, a).await?;
        }
        for f in &defaults.features {
            crate::engine::upsert_feature(&mut *tx, &org.id, f).await?;
        }
        for (p, rules) in &defaults.policies {
            crate::engine::insert_policy(&mut *tx, p).await?;
            for r in rules {
                crate::engine::insert_rule(&mut *tx, r).await?;
            }
        }
        tx.commit().await.map_err(map_err)
    }

    async fn org_by_host(&self, host: &str) -> StoreResult<Option<Org>> {
        let row = sqlx::query(
            "SELECT o.id, o.name, o.engine, o.created FROM orgs o JOIN org_hosts h ON h.org_id = o.id WHERE h.host = $1",
        )
        .bind(host)
        .fetch_optional(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        match row {
            Some(r) => Ok(Some(load_org(self, r).await?)),
            None => Ok(None),
        }
    }

    async fn org_by_id(&self, id: &OrgId) -> StoreResult<Option<Org>> {
        let row = sqlx::query("SELECT id, name, engine, created FROM orgs WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        match row {
            Some(r) => Ok(Some(load_org(self, r).await?)),
            None => Ok(None),
        }
    }

    async fn list_orgs(&self) -> StoreResult<Vec<Org>> {
        let rows = sqlx::query("SELECT id, name, engine, created FROM orgs ORDER BY id")
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(load_org(self, r).await?);
        }
        Ok(out)
    }

    async fn count_orgs(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(map_err)
    }
}

#[async_trait::async_trait]
impl TokenRepo for SqlStore {
    async fn create_token(&self, token: &ApiToken) -> StoreResult<()> {
        insert_token(&mut *self.conn().await?, token)
            .await
            .map_err(|e| match e {
                StoreError::MissingReference(_) => {
                    StoreError::MissingReference(format!("org '{}'", token.org_id))
                }
                other => other,
            })
    }

    async fn token_by_hash(&self, org: &OrgId, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        let row = sqlx::query("SELECT id, org_id, name, token_hash, created FROM api_tokens WHERE org_id = $1 AND token_hash = $2")
            .bind(org.as_str())
            .bind(token_hash)
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(token_from_row).transpose()
    }
}
