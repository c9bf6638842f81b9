//! Authenticators, feature flags, policies, rules and app bindings. Policy and rule bodies are
//! stored as canonical JSON text; the columns beside them are what lists filter and sort on.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::row::Cols;
use federa_core::model::{Authenticator, FeatureState, LifecycleStatus, StoredPolicy, StoredRule};
use federa_core::ports::{AuthenticatorRepo, FeatureRepo, PolicyRepo, StoreError, StoreResult};
use federa_types::{AppId, AuthenticatorId, OrgId, PolicyId, RuleId, Timestamp};
use sqlx::Connection as _;
use sqlx::{Any, Executor};

fn status(row: &impl Cols) -> StoreResult<LifecycleStatus> {
    let s: String = row.col("status")?;
    LifecycleStatus::parse(&s).ok_or_else(|| corrupt("status", &s))
}

fn json(row: &impl Cols, col: &str) -> StoreResult<serde_json::Value> {
    let s: String = row.col(col)?;
    serde_json::from_str(&s).map_err(|e| corrupt(col, e))
}

fn org_of(row: &impl Cols) -> StoreResult<OrgId> {
    let s: String = row.col("org_id")?;
    OrgId::parse(&s).map_err(|e| corrupt("org id", e))
}

fn authenticator_from_row(row: &impl Cols) -> StoreResult<Authenticator> {
    Ok(Authenticator {
        id: AuthenticatorId::new(row.col::<String>("id")?),
        org_id: org_of(row)?,
        key: row.col("auth_key")?,
        name: row.col("name")?,
        status: status(row)?,
        settings: json(row, "settings")?,
        created: Timestamp(row.col("created")?),
        last_updated: Timestamp(row.col("last_updated")?),
    })
}

fn policy_from_row(row: &impl Cols) -> StoreResult<StoredPolicy> {
    Ok(StoredPolicy {
        id: PolicyId::new(row.col::<String>("id")?),
        org_id: org_of(row)?,
        policy_type: row.col("policy_type")?,
        name: row.col("name")?,
        priority: row.col("priority")?,
        status: status(row)?,
        system: row.col::<i64>("is_system")? != 0,
        body: json(row, "body")?,
        created: Timestamp(row.col("created")?),
        last_updated: Timestamp(row.col("last_updated")?),
    })
}

fn rule_from_row(row: &impl Cols) -> StoreResult<StoredRule> {
    Ok(StoredRule {
        id: RuleId::new(row.col::<String>("id")?),
        org_id: org_of(row)?,
        policy_id: PolicyId::new(row.col::<String>("policy_id")?),
        name: row.col("name")?,
        priority: row.col("priority")?,
        status: status(row)?,
        system: row.col::<i64>("is_system")? != 0,
        body: json(row, "body")?,
        created: Timestamp(row.col("created")?),
        last_updated: Timestamp(row.col("last_updated")?),
    })
}

/// Inserts an authenticator unless its key exists in the org.
pub(crate) async fn insert_authenticator<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    a: &Authenticator,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO authenticators (id, org_id, auth_key, name, status, settings, created, last_updated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, auth_key) DO NOTHING",
    )
    .bind(a.id.as_str())
    .bind(a.org_id.as_str())
    .bind(&a.key)
    .bind(&a.name)
    .bind(a.status.as_str())
    .bind(a.settings.to_string())
    .bind(a.created.0)
    .bind(a.last_updated.0)
    .execute(ex)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// Inserts or replaces a feature state.
pub(crate) async fn upsert_feature<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org: &OrgId,
    f: &FeatureState,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO org_features (org_id, feature, enabled, last_updated) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, feature) DO UPDATE SET enabled = excluded.enabled, last_updated = excluded.last_updated",
    )
    .bind(org.as_str())
    .bind(&f.id)
    .bind(i64::from(f.enabled))
    .bind(f.last_updated.0)
    .execute(ex)
    .await
    .map_err(map_err)?;
    Ok(())
}

fn name_conflict(what: &'static str) -> impl Fn(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(what.to_string()),
        other => other,
    }
}

/// Inserts a policy row.
pub(crate) async fn insert_policy<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    p: &StoredPolicy,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO policies (id, org_id, policy_type, name, priority, status, is_system, body, created, last_updated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id.as_str())
    .bind(p.org_id.as_str())
    .bind(&p.policy_type)
    .bind(&p.name)
    .bind(p.priority)
    .bind(p.status.as_str())
    .bind(i64::from(p.system))
    .bind(p.body.to_string())
    .bind(p.created.0)
    .bind(p.last_updated.0)
    .execute(ex)
    .await
    .map_err(|e| name_conflict("policy name")(map_err(e)))?;
    Ok(())
}

/// Inserts a rule row.
pub(crate) async fn insert_rule<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    r: &StoredRule,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO policy_rules (id, org_id, policy_id, name, priority, status, is_system, body, created, last_updated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id.as_str())
    .bind(r.org_id.as_str())
    .bind(r.policy_id.as_str())
    .bind(&r.name)
    .bind(r.priority)
    .bind(r.status.as_str())
    .bind(i64::from(r.system))
    .bind(r.body.to_string())
    .bind(r.created.0)
    .bind(r.last_updated.0)
    .execute(ex)
    .await
    .map_err(|e| name_conflict("rule name")(map_err(e)))?;
    Ok(())
}

const AUTH_COLS: &str = "id, org_id, auth_key, name, status, settings, created, last_updated";
const POLICY_COLS: &str =
    "id, org_id, policy_type, name, priority, status, is_system, body, created, last_updated";
const RULE_COLS: &str =
    "id, org_id, policy_id, name, priority, status, is_system, body, created, last_updated";

#[async_trait::async_trait]
impl AuthenticatorRepo for SqlStore {
    async fn add_authenticators(&self, org: &OrgId, items: &[Authenticator]) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        for a in items {
            if &a.org_id != org {
                return Err(StoreError::Backend("authenticator of another org".into()));
            }
            insert_authenticator(&mut *tx, a).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn list_authenticators(&self, org: &OrgId) -> StoreResult<Vec<Authenticator>> {
        let sql =
            format!("SELECT {AUTH_COLS} FROM authenticators WHERE org_id = $1 ORDER BY auth_key");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.as_str())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(authenticator_from_row).collect()
    }

    async fn authenticator_by_id(
        &self,
        org: &OrgId,
        id: &AuthenticatorId,
    ) -> StoreResult<Option<Authenticator>> {
        let sql = format!("SELECT {AUTH_COLS} FROM authenticators WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(authenticator_from_row).transpose()
    }

    async fn set_authenticator_status(
        &self,
        org: &OrgId,
        id: &AuthenticatorId,
        status: LifecycleStatus,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE authenticators SET status = $3, last_updated = $4 WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .bind(status.as_str())
            .bind(at.0)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }
}

#[async_trait::async_trait]
impl FeatureRepo for SqlStore {
    async fn list_features(&self, org: &OrgId) -> StoreResult<Vec<FeatureState>> {
        let rows = sqlx::query("SELECT feature, enabled, last_updated FROM org_features WHERE org_id = $1 ORDER BY feature")
            .bind(org.as_str())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(FeatureState {
                    id: r.col("feature")?,
                    enabled: r.col::<i64>("enabled")? != 0,
                    last_updated: Timestamp(r.col("last_updated")?),
                })
            })
            .collect()
    }

    async fn set_feature(&self, org: &OrgId, state: &FeatureState) -> StoreResult<()> {
        upsert_feature(&mut *self.conn().await?, org, state).await
    }
}

#[async_trait::async_trait]
impl PolicyRepo for SqlStore {
    async fn create_policy(&self, policy: &StoredPolicy, rules: &[StoredRule]) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        insert_policy(&mut *tx, policy).await?;
        for r in rules {
            insert_rule(&mut *tx, r).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn list_policies(
        &self,
        org: &OrgId,
        policy_type: Option<&str>,
    ) -> StoreResult<Vec<StoredPolicy>> {
        let rows = match policy_type {
            Some(t) => {
                let sql = format!("SELECT {POLICY_COLS} FROM policies WHERE org_id = $1 AND policy_type = $2 ORDER BY priority, created, id");
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.as_str()).bind(t).fetch_all(&mut *self.conn().await?).await
            }
            None => {
                let sql = format!("SELECT {POLICY_COLS} FROM policies WHERE org_id = $1 ORDER BY policy_type, priority, created, id");
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.as_str()).fetch_all(&mut *self.conn().await?).await
            }
        }
        .map_err(map_err)?;
        rows.iter().map(policy_from_row).collect()
    }

    async fn policy_by_id(&self, org: &OrgId, id: &PolicyId) -> StoreResult<Option<StoredPolicy>> {
        let sql = format!("SELECT {POLICY_COLS} FROM policies WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(policy_from_row).transpose()
    }

    async fn update_policy(&self, p: &StoredPolicy) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE policies SET name = $3, priority = $4, status = $5, is_system = $6, body = $7, last_updated = $8 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(p.org_id.as_str())
        .bind(p.id.as_str())
        .bind(&p.name)
        .bind(p.priority)
        .bind(p.status.as_str())
        .bind(i64::from(p.system))
        .bind(p.body.to_string())
        .bind(p.last_updated.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| name_conflict("policy name")(map_err(e)))?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_policy(&self, org: &OrgId, id: &PolicyId) -> StoreResult<bool> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        for sql in [
            "DELETE FROM app_policies WHERE org_id = $1 AND policy_id = $2",
            "DELETE FROM policy_rules WHERE org_id = $1 AND policy_id = $2",
        ] {
            sqlx::query(sql)
                .bind(org.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let r = sqlx::query("DELETE FROM policies WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn create_rule(&self, rule: &StoredRule) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM policies WHERE org_id = $1 AND id = $2")
                .bind(rule.org_id.as_str())
                .bind(rule.policy_id.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
        if n == 0 {
            return Err(StoreError::MissingReference(format!(
                "policy '{}'",
                rule.policy_id
            )));
        }
        insert_rule(&mut *tx, rule).await?;
        tx.commit().await.map_err(map_err)
    }

    async fn list_rules(&self, org: &OrgId, policy: &PolicyId) -> StoreResult<Vec<StoredRule>> {
        let sql = format!(
            "SELECT {RULE_COLS} FROM policy_rules WHERE org_id = $1 AND policy_id = $2 ORDER BY priority, created, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(policy.as_str())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(rule_from_row).collect()
    }

    async fn list_org_rules(&self, org: &OrgId) -> StoreResult<Vec<StoredRule>> {
        let sql = format!(
            "SELECT {RULE_COLS} FROM policy_rules WHERE org_id = $1 ORDER BY policy_id, priority, created, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.as_str())
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(rule_from_row).collect()
    }

    async fn rule_by_id(
        &self,
        org: &OrgId,
        policy: &PolicyId,
        id: &RuleId,
    ) -> StoreResult<Option<StoredRule>> {
        let sql = format!(
            "SELECT {RULE_COLS} FROM policy_rules WHERE org_id = $1 AND policy_id = $2 AND id = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(policy.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(rule_from_row).transpose()
    }

    async fn update_rule(&self, r: &StoredRule) -> StoreResult<bool> {
        let res = sqlx::query(
            "UPDATE policy_rules SET name = $4, priority = $5, status = $6, is_system = $7, body = $8, last_updated = $9 \
             WHERE org_id = $1 AND policy_id = $2 AND id = $3",
        )
        .bind(r.org_id.as_str())
        .bind(r.policy_id.as_str())
        .bind(r.id.as_str())
        .bind(&r.name)
        .bind(r.priority)
        .bind(r.status.as_str())
        .bind(i64::from(r.system))
        .bind(r.body.to_string())
        .bind(r.last_updated.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| name_conflict("rule name")(map_err(e)))?;
        Ok(res.rows_affected() == 1)
    }

    async fn delete_rule(&self, org: &OrgId, policy: &PolicyId, id: &RuleId) -> StoreResult<bool> {
        let r = sqlx::query(
            "DELETE FROM policy_rules WHERE org_id = $1 AND policy_id = $2 AND id = $3",
        )
        .bind(org.as_str())
        .bind(policy.as_str())
        .bind(id.as_str())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn bind_app_policy(
        &self,
        org: &OrgId,
        app: &AppId,
        policy: &PolicyId,
    ) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM policies WHERE org_id = $1 AND id = $2")
                .bind(org.as_str())
                .bind(policy.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
        if n == 0 {
            return Err(StoreError::MissingReference(format!("policy '{policy}'")));
        }
        sqlx::query(
            "INSERT INTO app_policies (org_id, app_id, policy_id) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, app_id) DO UPDATE SET policy_id = excluded.policy_id",
        )
        .bind(org.as_str())
        .bind(app.as_str())
        .bind(policy.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn app_policy(&self, org: &OrgId, app: &AppId) -> StoreResult<Option<PolicyId>> {
        let rows = self
            .rows(
                "SELECT policy_id FROM app_policies WHERE org_id = $1 AND app_id = $2",
                vec![org.as_str().into(), app.as_str().into()],
            )
            .await?;
        let id: Option<String> = rows.first().map(|r| r.col("policy_id")).transpose()?;
        Ok(id.map(PolicyId::new))
    }

    async fn apps_of_policy(&self, org: &OrgId, policy: &PolicyId) -> StoreResult<Vec<AppId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT app_id FROM app_policies WHERE org_id = $1 AND policy_id = $2 ORDER BY app_id",
        )
        .bind(org.as_str())
        .bind(policy.as_str())
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(ids.into_iter().map(AppId::new).collect())
    }
}
