//! Groups and memberships.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::Val;
use crate::row::Cols;
use crate::users::{USER_COLUMNS, prefix_pattern, user_from_row};
use federa_core::model::{Group, GroupProfile, User};
use federa_core::page::PageRequest;
use federa_core::ports::{GroupRepo, StoreError, StoreResult};
use federa_types::{GroupId, OrgId, Timestamp, UserId};
use sqlx::AssertSqlSafe;
use sqlx::Connection as _;

const GROUP_COLUMNS: &str =
    "g.id, g.org_id, g.name, g.description, g.created, g.last_updated, g.last_membership_updated";

fn group_from_row(row: &impl Cols) -> StoreResult<Group> {
    let id: String = row.col("id")?;
    let org: String = row.col("org_id")?;
    Ok(Group {
        id: GroupId::parse(&id).map_err(|e| corrupt("group id", e))?,
        org_id: OrgId::parse(&org).map_err(|e| corrupt("org id", e))?,
        profile: GroupProfile {
            name: row.col("name")?,
            description: row.col("description")?,
        },
        created: Timestamp(row.col("created")?),
        last_updated: Timestamp(row.col("last_updated")?),
        last_membership_updated: Timestamp(row.col("last_membership_updated")?),
    })
}

impl SqlStore {
    async fn touch_membership(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        org: &OrgId,
        group: &GroupId,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE user_groups SET last_membership_updated = $3 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.as_str())
        .bind(group.as_str())
        .bind(at.0)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn both_exist(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        org: &OrgId,
        group: &GroupId,
        user: &UserId,
    ) -> StoreResult<()> {
        let g: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM user_groups WHERE org_id = $1 AND id = $2")
                .bind(org.as_str())
                .bind(group.as_str())
                .fetch_one(&mut **tx)
                .await
                .map_err(map_err)?;
        let u: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(user.as_str())
            .fetch_one(&mut **tx)
            .await
            .map_err(map_err)?;
        match (g, u) {
            (0, _) => Err(StoreError::MissingReference(format!("group '{group}'"))),
            (_, 0) => Err(StoreError::MissingReference(format!("user '{user}'"))),
            _ => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl GroupRepo for SqlStore {
    async fn create_group(&self, g: &Group) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_groups (id, org_id, name, name_lower, description, created, last_updated, last_membership_updated) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(g.id.as_str())
        .bind(g.org_id.as_str())
        .bind(&g.profile.name)
        .bind(g.profile.name.to_lowercase())
        .bind(g.profile.description.clone())
        .bind(g.created.0)
        .bind(g.last_updated.0)
        .bind(g.last_membership_updated.0)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn group_by_id(&self, org: &OrgId, id: &GroupId) -> StoreResult<Option<Group>> {
        let sql =
            format!("SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.org_id = $1 AND g.id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(group_from_row).transpose()
    }

    async fn list_groups(
        &self,
        org: &OrgId,
        q: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Vec<Group>> {
        let mut sql = format!("SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.org_id = $1");
        let mut params = vec![org.as_str().to_string()];
        if let Some(q) = q {
            params.push(prefix_pattern(&q.to_lowercase()));
            sql.push_str(&format!(
                " AND g.name_lower LIKE ${} ESCAPE '\\'",
                params.len()
            ));
        }
        if let Some(after) = &page.after {
            params.push(after.clone());
            sql.push_str(&format!(" AND g.id > ${}", params.len()));
        }
        sql.push_str(&format!(
            " ORDER BY g.id LIMIT {}",
            i64::from(page.limit) + 1
        ));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for p in &params {
            query = query.bind(p.as_str());
        }
        let rows = query
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(group_from_row).collect()
    }

    async fn delete_group(&self, org: &OrgId, id: &GroupId) -> StoreResult<bool> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        sqlx::query("DELETE FROM group_members WHERE org_id = $1 AND group_id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let r = sqlx::query("DELETE FROM user_groups WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn add_member(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &UserId,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        self.both_exist(&mut tx, org, group, user).await?;
        let r = sqlx::query("INSERT INTO group_members (org_id, group_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(org.as_str())
            .bind(group.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if r.rows_affected() > 0 {
            self.touch_membership(&mut tx, org, group, at).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn remove_member(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &UserId,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        self.both_exist(&mut tx, org, group, user).await?;
        let r = sqlx::query(
            "DELETE FROM group_members WHERE org_id = $1 AND group_id = $2 AND user_id = $3",
        )
        .bind(org.as_str())
        .bind(group.as_str())
        .bind(user.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if r.rows_affected() > 0 {
            self.touch_membership(&mut tx, org, group, at).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn list_members(
        &self,
        org: &OrgId,
        group: &GroupId,
        page: &PageRequest,
    ) -> StoreResult<Vec<User>> {
        let mut sql = format!(
            "SELECT {USER_COLUMNS} FROM users u JOIN group_members m ON m.user_id = u.id \
             WHERE m.org_id = $1 AND u.org_id = $1 AND m.group_id = $2"
        );
        if page.after.is_some() {
            sql.push_str(" AND u.id > $3");
        }
        sql.push_str(&format!(
            " ORDER BY u.id LIMIT {}",
            i64::from(page.limit) + 1
        ));
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(group.as_str());
        if let Some(a) = &page.after {
            q = q.bind(a.as_str());
        }
        let rows = q
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn list_user_groups(&self, org: &OrgId, user: &UserId) -> StoreResult<Vec<Group>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups g JOIN group_members m ON m.group_id = g.id \
             WHERE m.org_id = $1 AND g.org_id = $1 AND m.user_id = $2 ORDER BY g.id"
        );
        let rows = self
            .rows(
                &sql,
                vec![Val::from(org.as_str()), Val::from(user.as_str())],
            )
            .await?;
        rows.iter().map(group_from_row).collect()
    }
}
