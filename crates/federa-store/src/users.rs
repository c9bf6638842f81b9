//! Users. The profile is stored as JSON text; lower-cased copies of login, email and names are
//! kept in their own columns for case-insensitive uniqueness and prefix search.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::{Batch, BatchError, Stmt, Val};
use crate::row::Cols;
use federa_core::model::{User, UserProfile, UserQuery, UserSearch, UserStatus};
use federa_core::page::PageRequest;
use federa_core::ports::{FailedSignIn, StatusChange, StoreError, StoreResult, UserRepo};
use federa_types::{GroupId, OrgId, Secret, Timestamp, UserId};
use sqlx::AssertSqlSafe;
use sqlx::Connection as _;

pub(crate) const USER_COLUMNS: &str = "u.id, u.org_id, u.status, u.profile, u.password_hash, u.created, u.activated, \
    u.status_changed, u.last_login, u.last_updated, u.password_changed, u.failed_logins, u.token_gen";

pub(crate) fn user_from_row(row: &impl Cols) -> StoreResult<User> {
    let id: String = row.col("id")?;
    let org: String = row.col("org_id")?;
    let status: String = row.col("status")?;
    let profile: String = row.col("profile")?;
    let ts = |c: &str| -> StoreResult<Option<Timestamp>> {
        Ok(row.col::<Option<i64>>(c)?.map(Timestamp))
    };
    Ok(User {
        id: UserId::parse(&id).map_err(|e| corrupt("user id", e))?,
        org_id: OrgId::parse(&org).map_err(|e| corrupt("org id", e))?,
        status: UserStatus::parse(&status).ok_or_else(|| corrupt("user status", &status))?,
        profile: serde_json::from_str::<UserProfile>(&profile)
            .map_err(|e| corrupt("user profile", e))?,
        password_hash: row.col::<Option<String>>("password_hash")?.map(Secret::new),
        created: Timestamp(row.col("created")?),
        activated: ts("activated")?,
        status_changed: ts("status_changed")?,
        last_login: ts("last_login")?,
        last_updated: Timestamp(row.col("last_updated")?),
        password_changed: ts("password_changed")?,
        failed_logins: row.col("failed_logins")?,
        token_gen: row.col("token_gen")?,
    })
}

fn lower(s: &Option<String>) -> String {
    s.as_deref().unwrap_or("").to_lowercase()
}

/// `LIKE` pattern matching strings that start with `prefix` (case already folded).
pub(crate) fn prefix_pattern(prefix: &str) -> String {
    let mut p = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn profile_json(p: &UserProfile) -> StoreResult<String> {
    serde_json::to_string(p).map_err(|e| StoreError::Backend(format!("cannot encode profile: {e}")))
}

pub(crate) fn login_conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict("login".into()),
        other => other,
    }
}

/// What a failed status compare-and-set names (see [`Batch::add_required`]).
const USER_STATUS: &str = "user in the expected status";

/// Deletes every session of a user (`$1` org, `$2` user).
pub(crate) const DELETE_USER_SESSIONS: &str =
    "DELETE FROM sessions WHERE org_id = $1 AND user_id = $2";

/// Revokes every authorization code and OAuth token of a user (`$1` org, `$2` user): their
/// generation is now older than the user's.
pub(crate) const REVOKE_USER_TOKENS: &str =
    "UPDATE users SET token_gen = token_gen + 1 WHERE org_id = $1 AND id = $2";

/// A user's stored fields as statement values: `$1` org, `$2` id, then `$3…$16` status,
/// login, the lower-cased search columns, profile, password hash, activated, status changed,
/// last login, last updated, password changed and failed logins.
fn user_vals(u: &User) -> StoreResult<Vec<Val>> {
    Ok(vec![
        Val::from(u.org_id.as_str()),
        Val::from(u.id.as_str()),
        Val::from(u.status.as_str()),
        Val::from(&u.profile.login),
        Val::from(u.profile.login.to_lowercase()),
        Val::from(u.profile.email.to_lowercase()),
        Val::from(lower(&u.profile.first_name)),
        Val::from(lower(&u.profile.last_name)),
        Val::from(profile_json(&u.profile)?),
        Val::from(u.password_hash.as_ref().map(|h| h.expose().clone())),
        Val::from(u.activated.map(|t| t.0)),
        Val::from(u.status_changed.map(|t| t.0)),
        Val::from(u.last_login.map(|t| t.0)),
        Val::from(u.last_updated.0),
        Val::from(u.password_changed.map(|t| t.0)),
        Val::from(u.failed_logins),
    ])
}

/// The statement inserting a user (a unique violation on it is a login conflict).
pub(crate) fn user_insert(u: &User) -> StoreResult<Stmt> {
    let mut vals = user_vals(u)?;
    vals.push(Val::from(u.created.0));
    Ok(Stmt::new(
        "INSERT INTO users (org_id, id, status, login, login_lower, email_lower, first_name_lower, last_name_lower, \
         profile, password_hash, activated, status_changed, last_login, last_updated, password_changed, failed_logins, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        vals,
    ))
}

/// The statement recording a completed sign-in on the user's row: its time and the reset
/// failed-password count, and nothing else. The rest of the row is left as it is now (an
/// administrator may have changed the profile or status while the sign-in ran), and no
/// indexed column is written, so only the row's own page changes. It matches only a user who
/// is still ACTIVE: a sign-in commit requires it to match (see `commit_sign_in`).
pub(crate) fn sign_in_update(u: &User) -> Stmt {
    Stmt::new(
        "UPDATE users SET last_login = $3, failed_logins = $4 WHERE org_id = $1 AND id = $2 AND status = 'ACTIVE'",
        vec![
            Val::from(u.org_id.as_str()),
            Val::from(u.id.as_str()),
            Val::from(u.last_login.map(|t| t.0)),
            Val::from(u.failed_logins),
        ],
    )
}

#[async_trait::async_trait]
impl UserRepo for SqlStore {
    async fn create_user(&self, u: &User, groups: &[GroupId]) -> StoreResult<()> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        user_insert(u)?
            .execute(&mut *tx)
            .await
            .map_err(|e| login_conflict(map_err(e)))?;
        for g in groups {
            // The group must belong to the same org: checked here, not only by the foreign key.
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM user_groups WHERE org_id = $1 AND id = $2",
            )
            .bind(u.org_id.as_str())
            .bind(g.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::MissingReference(format!("group '{g}'")));
            }
            sqlx::query("INSERT INTO group_members (org_id, group_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(u.org_id.as_str())
                .bind(g.as_str())
                .bind(u.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn user_by_id(&self, org: &OrgId, id: &UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND u.id = $2");
        let rows = self
            .rows(&sql, vec![org.as_str().into(), id.as_str().into()])
            .await?;
        rows.first().map(user_from_row).transpose()
    }

    async fn user_by_login(&self, org: &OrgId, login: &str) -> StoreResult<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND u.login_lower = $2"
        );
        let rows = self
            .rows(&sql, vec![org.as_str().into(), login.to_lowercase().into()])
            .await?;
        rows.first().map(user_from_row).transpose()
    }

    async fn list_users(
        &self,
        org: &OrgId,
        query: &UserQuery,
        page: &PageRequest,
    ) -> StoreResult<Vec<User>> {
        let mut sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1");
        let mut params: Vec<String> = vec![org.as_str().to_string()];
        let next = |params: &mut Vec<String>, v: String| {
            params.push(v);
            format!("${}", params.len())
        };
        if let Some(q) = &query.q {
            let p = next(&mut params, prefix_pattern(&q.to_lowercase()));
            sql.push_str(&format!(
                " AND (u.login_lower LIKE {p} ESCAPE '\\' OR u.email_lower LIKE {p} ESCAPE '\\' \
                 OR u.first_name_lower LIKE {p} ESCAPE '\\' OR u.last_name_lower LIKE {p} ESCAPE '\\')"
            ));
        }
        for cond in &query.search {
            let clause = match cond {
                UserSearch::LoginEq(v) => {
                    format!("u.login_lower = {}", next(&mut params, v.to_lowercase()))
                }
                UserSearch::LoginStartsWith(v) => {
                    format!(
                        "u.login_lower LIKE {} ESCAPE '\\'",
                        next(&mut params, prefix_pattern(&v.to_lowercase()))
                    )
                }
                UserSearch::EmailEq(v) => {
                    format!("u.email_lower = {}", next(&mut params, v.to_lowercase()))
                }
                UserSearch::StatusEq(s) => {
                    format!("u.status = {}", next(&mut params, s.as_str().to_string()))
                }
            };
            sql.push_str(" AND ");
            sql.push_str(&clause);
        }
        if let Some(after) = &page.after {
            let p = next(&mut params, after.clone());
            sql.push_str(&format!(" AND u.id > {p}"));
        }
        sql.push_str(&format!(
            " ORDER BY u.id LIMIT {}",
            i64::from(page.limit) + 1
        ));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for p in &params {
            q = q.bind(p.as_str());
        }
        let rows = q
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn update_user_profile(
        &self,
        org: &OrgId,
        id: &UserId,
        profile: &UserProfile,
        password: Option<(&Secret<String>, Timestamp)>,
        now: Timestamp,
    ) -> StoreResult<Option<User>> {
        let mut vals = vec![
            Val::from(org.as_str()),
            Val::from(id.as_str()),
            Val::from(&profile.login),
            Val::from(profile.login.to_lowercase()),
            Val::from(profile.email.to_lowercase()),
            Val::from(lower(&profile.first_name)),
            Val::from(lower(&profile.last_name)),
            Val::from(profile_json(profile)?),
            Val::from(now.0),
        ];
        let mut set_password = "";
        if let Some((hash, changed)) = password {
            vals.push(Val::from(hash.expose().clone()));
            vals.push(Val::from(changed.0));
            set_password = ", password_hash = $10, password_changed = $11";
        }
        let sql = format!(
            "UPDATE users SET login = $3, login_lower = $4, email_lower = $5, first_name_lower = $6, \
             last_name_lower = $7, profile = $8, last_updated = $9{set_password} \
             WHERE org_id = $1 AND id = $2 RETURNING {}",
            USER_COLUMNS.replace("u.", "")
        );
        let rows = self.write_rows(&sql, vals).await.map_err(login_conflict)?;
        rows.first().map(user_from_row).transpose()
    }

    async fn change_user_status(&self, c: &StatusChange<'_>) -> StoreResult<bool> {
        let mut batch = Batch::new();
        let who = || vec![Val::from(c.org.as_str()), Val::from(c.id.as_str())];
        let mut vals = who();
        vals.extend([
            Val::from(c.from.as_str()),
            Val::from(c.to.as_str()),
            Val::from(c.now.0),
            Val::from(i64::from(c.activation)),
            Val::from(i64::from(c.reset_failed)),
        ]);
        batch.add_required(
            Stmt::new(
                "UPDATE users SET status = $4, status_changed = $5, last_updated = $5, \
                 activated = CASE WHEN $6 = 1 AND activated IS NULL THEN $5 ELSE activated END, \
                 failed_logins = CASE WHEN $7 = 1 THEN 0 ELSE failed_logins END \
                 WHERE org_id = $1 AND id = $2 AND status = $3",
                vals,
            ),
            USER_STATUS,
        );
        if c.to == UserStatus::Deprovisioned {
            // Deactivation ends every session of the user and revokes every OAuth token
            // issued to them (a later reactivation must not bring them back).
            batch.push(DELETE_USER_SESSIONS, who());
            batch.push(REVOKE_USER_TOKENS, who());
        }
        let mut lease = self.conn().await?;
        match batch.run(&mut lease).await.map_err(BatchError::into_store) {
            Ok(_) => Ok(true),
            Err(StoreError::MissingReference(what)) if what == USER_STATUS => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn record_failed_sign_in(
        &self,
        org: &OrgId,
        id: &UserId,
        lock_at: i64,
        now: Timestamp,
    ) -> StoreResult<Option<FailedSignIn>> {
        // One statement: the count goes up from the stored value (concurrent failures all
        // count), and the status changes only from ACTIVE, to LOCKED_OUT at `lock_at`.
        let rows = self
            .write_rows(
                "UPDATE users SET failed_logins = failed_logins + 1, \
                 status = CASE WHEN failed_logins + 1 >= $3 THEN 'LOCKED_OUT' ELSE status END, \
                 status_changed = CASE WHEN failed_logins + 1 >= $3 THEN $4 ELSE status_changed END, \
                 last_updated = $4 \
                 WHERE org_id = $1 AND id = $2 AND status = 'ACTIVE' RETURNING failed_logins, status",
                vec![
                    org.as_str().into(),
                    id.as_str().into(),
                    lock_at.into(),
                    now.0.into(),
                ],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let status: String = row.col("status")?;
        Ok(Some(FailedSignIn {
            failed_logins: row.col("failed_logins")?,
            locked: status == UserStatus::LockedOut.as_str(),
        }))
    }

    async fn reset_failed_sign_ins(&self, org: &OrgId, id: &UserId) -> StoreResult<()> {
        self.write_rows(
            "UPDATE users SET failed_logins = 0 WHERE org_id = $1 AND id = $2 AND failed_logins <> 0",
            vec![org.as_str().into(), id.as_str().into()],
        )
        .await?;
        Ok(())
    }

    async fn delete_user(&self, org: &OrgId, id: &UserId) -> StoreResult<bool> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        sqlx::query("DELETE FROM group_members WHERE org_id = $1 AND user_id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let r = sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }
}
