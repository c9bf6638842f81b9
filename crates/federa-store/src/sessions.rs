//! Sign-in flows and sessions.

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::{Batch, BatchError, Stmt, Val};
use crate::row::Cols;
use federa_core::model::session::{Session, StoredFlow};
use federa_core::ports::{
    ACTIVE_USER, REPLAYED, SessionRepo, SignInCommit, StoreError, StoreResult,
};
use federa_types::{IdpId, OrgId, Timestamp, UserId};

const SESSION_COLS: &str = "id_hash, public_id, org_id, user_id, status, csrf, created, last_active, idle_ms, expires_at, verifications, idp_id";

fn session_from_row(r: &impl Cols) -> StoreResult<Session> {
    let org: String = r.col("org_id")?;
    let user: String = r.col("user_id")?;
    let v: String = r.col("verifications")?;
    Ok(Session {
        id_hash: r.col("id_hash")?,
        public_id: r.col("public_id")?,
        org_id: OrgId::parse(&org).map_err(|e| corrupt("org id", e))?,
        user_id: UserId::parse(&user).map_err(|e| corrupt("user id", e))?,
        status: r.col("status")?,
        csrf: r.col("csrf")?,
        created: Timestamp(r.col("created")?),
        last_active: Timestamp(r.col("last_active")?),
        idle_ms: r.col("idle_ms")?,
        expires_at: Timestamp(r.col("expires_at")?),
        verifications: serde_json::from_str(&v).map_err(|e| corrupt("session verifications", e))?,
        idp_id: r.col::<Option<String>>("idp_id")?.map(IdpId::new),
    })
}

fn json_text<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v)
        .map_err(|e| federa_core::ports::StoreError::Backend(format!("cannot encode: {e}")))
}

/// The statement inserting a session row.
fn session_insert(s: &Session) -> StoreResult<Stmt> {
    Ok(Stmt::new(
        "INSERT INTO sessions (id_hash, public_id, org_id, user_id, status, csrf, created, last_active, idle_ms, expires_at, verifications, idp_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            Val::from(&s.id_hash),
            Val::from(&s.public_id),
            Val::from(s.org_id.as_str()),
            Val::from(s.user_id.as_str()),
            Val::from(&s.status),
            Val::from(&s.csrf),
            Val::from(s.created.0),
            Val::from(s.last_active.0),
            Val::from(s.idle_ms),
            Val::from(s.expires_at.0),
            Val::from(json_text(&s.verifications)?),
            Val::from(s.idp_id.as_ref().map(|i| i.as_str().to_string())),
        ],
    ))
}

#[async_trait::async_trait]
impl SessionRepo for SqlStore {
    async fn create_flow(&self, f: &StoredFlow) -> StoreResult<()> {
        // Expired flows are removed here, opportunistically, in the same round trip.
        let mut batch = Batch::new();
        batch.push(
            "DELETE FROM signin_flows WHERE expires_at < $1",
            vec![f.created.0.into()],
        );
        batch.push(
            "INSERT INTO signin_flows (id_hash, org_id, created, expires_at, state) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Val::from(&f.id_hash),
                Val::from(f.org_id.as_str()),
                Val::from(f.created.0),
                Val::from(f.expires_at.0),
                Val::from(f.state.to_string()),
            ],
        );
        let mut lease = self.conn().await?;
        batch
            .run(&mut lease)
            .await
            .map_err(BatchError::into_store)?;
        Ok(())
    }

    async fn flow_by_hash(
        &self,
        org: &OrgId,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<StoredFlow>> {
        let row = self.rows("SELECT id_hash, org_id, created, expires_at, state FROM signin_flows WHERE org_id = $1 AND id_hash = $2 AND expires_at > $3", vec![Val::from(org.as_str()), Val::from(id_hash), Val::from(now.0)]).await?.into_iter().next();
        let Some(r) = row else { return Ok(None) };
        let state: String = r.col("state")?;
        Ok(Some(StoredFlow {
            id_hash: r.col("id_hash")?,
            org_id: org.clone(),
            created: Timestamp(r.col("created")?),
            expires_at: Timestamp(r.col("expires_at")?),
            state: serde_json::from_str(&state).map_err(|e| corrupt("flow state", e))?,
        }))
    }

    async fn update_flow(&self, f: &StoredFlow) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE signin_flows SET state = $3, expires_at = $4 WHERE org_id = $1 AND id_hash = $2")
            .bind(f.org_id.as_str())
            .bind(&f.id_hash)
            .bind(f.state.to_string())
            .bind(f.expires_at.0)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn rekey_flow(&self, old_hash: &str, f: &StoredFlow) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE signin_flows SET id_hash = $3, state = $4, expires_at = $5 WHERE org_id = $1 AND id_hash = $2")
            .bind(f.org_id.as_str())
            .bind(old_hash)
            .bind(&f.id_hash)
            .bind(f.state.to_string())
            .bind(f.expires_at.0)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_flow(&self, org: &OrgId, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM signin_flows WHERE org_id = $1 AND id_hash = $2")
            .bind(org.as_str())
            .bind(id_hash)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        session_insert(s)?
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn session_by_hash(&self, org: &OrgId, id_hash: &str) -> StoreResult<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE org_id = $1 AND id_hash = $2");
        let rows = self
            .rows(&sql, vec![org.as_str().into(), id_hash.into()])
            .await?;
        rows.first().map(session_from_row).transpose()
    }

    async fn update_session(&self, old_hash: &str, s: &Session) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE sessions SET id_hash = $3, status = $4, csrf = $5, last_active = $6, idle_ms = $7, expires_at = $8, \
             verifications = $9, idp_id = $10 WHERE org_id = $1 AND id_hash = $2",
        )
        .bind(s.org_id.as_str())
        .bind(old_hash)
        .bind(&s.id_hash)
        .bind(&s.status)
        .bind(&s.csrf)
        .bind(s.last_active.0)
        .bind(s.idle_ms)
        .bind(s.expires_at.0)
        .bind(json_text(&s.verifications)?)
        .bind(s.idp_id.as_ref().map(|i| i.as_str().to_string()))
        .execute(&mut *self.conn().await?)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_session(&self, org: &OrgId, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND id_hash = $2")
            .bind(org.as_str())
            .bind(id_hash)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_user_sessions(
        &self,
        org: &OrgId,
        user: &UserId,
        revoke_tokens: bool,
    ) -> StoreResult<()> {
        let who = || vec![Val::from(org.as_str()), Val::from(user.as_str())];
        let mut batch = Batch::new();
        batch.push(crate::users::DELETE_USER_SESSIONS, who());
        if revoke_tokens {
            batch.push(crate::users::REVOKE_USER_TOKENS, who());
        }
        let mut lease = self.conn().await?;
        batch
            .run(&mut lease)
            .await
            .map_err(BatchError::into_store)?;
        Ok(())
    }

    async fn commit_sign_in(&self, c: &SignInCommit<'_>) -> StoreResult<()> {
        let foreign = c.session.org_id != *c.org
            || c.user
                .is_some_and(|u| u.org_id != *c.org || u.id != c.session.user_id)
            || c.events.iter().any(|e| e.org_id != *c.org);
        if foreign {
            return Err(StoreError::Backend(
                "sign-in commit names rows of another org or user".into(),
            ));
        }
        // One transaction, and on SQLite one round trip (lane::Batch). First the user, who
        // must still be ACTIVE: one deactivated, locked or deleted since the sign-in loaded
        // them makes the whole batch fail (on PostgreSQL the row lock it takes orders it
        // against a concurrent deactivation, which deletes the user's sessions).
        let mut batch = Batch::new();
        if let Some(u) = c.user {
            batch.add_required(crate::users::sign_in_update(u), ACTIVE_USER);
        }
        // The single-use values first: an expired record is dropped, a live one makes the
        // plain insert fail (unique key), which undoes the batch.
        // (the session is created at commit time: its creation is "now" for the expiry test)
        let now = c.session.created.0;
        let mut once_stmts = Vec::with_capacity(c.once.len());
        for m in c.once {
            batch.push(
                "DELETE FROM replay_cache WHERE org_id = $1 AND namespace = $2 AND item = $3 AND expires_at <= $4",
                vec![
                    c.org.as_str().into(),
                    m.namespace.as_str().into(),
                    m.key.as_str().into(),
                    now.into(),
                ],
            );
            once_stmts.push(batch.push(
                "INSERT INTO replay_cache (org_id, namespace, item, expires_at) VALUES ($1, $2, $3, $4)",
                vec![
                    c.org.as_str().into(),
                    m.namespace.as_str().into(),
                    m.key.as_str().into(),
                    m.expires_at.0.into(),
                ],
            ));
        }
        batch.add(session_insert(c.session)?);
        for stmt in crate::logs::event_inserts(c.events)? {
            batch.add(stmt);
        }
        if let Some(hash) = c.flow_hash {
            batch.push(
                "DELETE FROM signin_flows WHERE org_id = $1 AND id_hash = $2",
                vec![c.org.as_str().into(), hash.into()],
            );
        }
        if let Some(hash) = c.replaced_session {
            batch.push(
                "DELETE FROM sessions WHERE org_id = $1 AND id_hash = $2",
                vec![c.org.as_str().into(), hash.into()],
            );
        }
        let mut lease = self.conn().await?;
        batch.run(&mut lease).await.map_err(|e| {
            let replayed = once_stmts.contains(&e.index);
            let err = e.into_store();
            if replayed && matches!(err, StoreError::Conflict(_)) {
                StoreError::Conflict(REPLAYED.into())
            } else {
                err
            }
        })?;
        Ok(())
    }
}
