//! System Log events and rate-limit windows (`migrations/*/0004_logs.sql`). An event is stored
//! as its domain JSON beside the columns queries filter and sort on, with one row per target id
//! in `log_event_targets` for `target.id` filters. Rate limits are one row per key, updated by
//! a single `INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING` (SQLite ≥ 3.35, PostgreSQL).

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use federa_core::ports::{LogRepo, StoreResult};
use federa_core::service::ratelimit::RateWindow;
use federa_core::service::syslog::{LogCursor, LogEntry, LogEvent, LogFilter, LogQuery, SortOrder};
use federa_types::{OrgId, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::collections::BTreeSet;

/// A bound parameter of a dynamically built query.
enum Param {
    Int(i64),
    Text(String),
}

/// `LIKE` pattern matching strings that contain `needle` (case already folded).
fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn entry_from_row(row: &AnyRow) -> StoreResult<LogEntry> {
    let seq: i64 = row.try_get("seq").map_err(map_err)?;
    let body: String = row.try_get("body").map_err(map_err)?;
    let event: LogEvent = serde_json::from_str(&body).map_err(|e| corrupt("log event", e))?;
    Ok(LogEntry {
        position: LogCursor {
            published: event.published,
            seq,
        },
        event,
    })
}

#[async_trait::async_trait]
impl LogRepo for SqlStore {
    async fn insert_log_event(&self, e: &LogEvent) -> StoreResult<()> {
        let body = serde_json::to_string(e).map_err(|err| corrupt("log event", err))?;
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        sqlx::query(
            "INSERT INTO log_events (uuid, org_id, published, event_type, severity, outcome_result, actor_id, \
             search_text, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&e.uuid)
        .bind(e.org_id.as_str())
        .bind(e.published.millis())
        .bind(&e.event_type)
        .bind(e.severity.as_str())
        .bind(e.outcome_result.as_str())
        .bind(&e.actor.id)
        .bind(e.search_text())
        .bind(body)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let targets: BTreeSet<&str> = e.targets.iter().map(|t| t.id.as_str()).collect();
        for t in targets {
            sqlx::query(
                "INSERT INTO log_event_targets (org_id, event_uuid, target_id) VALUES ($1, $2, $3)",
            )
            .bind(e.org_id.as_str())
            .bind(&e.uuid)
            .bind(t)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn list_log_events(&self, org: &OrgId, q: &LogQuery) -> StoreResult<Vec<LogEntry>> {
        let mut params = vec![
            Param::Text(org.as_str().to_string()),
            Param::Int(q.since.millis()),
            Param::Int(q.until.millis()),
        ];
        let mut sql = String::from(
            "SELECT e.seq, e.body FROM log_events e \
             WHERE e.org_id = $1 AND e.published >= $2 AND e.published <= $3",
        );
        let next = |params: &mut Vec<Param>, v: Param| {
            params.push(v);
            format!("${}", params.len())
        };
        for f in &q.filters {
            let clause = match f {
                LogFilter::EventType(v) => {
                    format!(
                        "e.event_type = {}",
                        next(&mut params, Param::Text(v.clone()))
                    )
                }
                LogFilter::OutcomeResult(r) => format!(
                    "e.outcome_result = {}",
                    next(&mut params, Param::Text(r.as_str().to_string()))
                ),
                LogFilter::ActorId(v) => {
                    format!("e.actor_id = {}", next(&mut params, Param::Text(v.clone())))
                }
                LogFilter::TargetId(v) => format!(
                    "EXISTS (SELECT 1 FROM log_event_targets t WHERE t.org_id = e.org_id \
                     AND t.event_uuid = e.uuid AND t.target_id = {})",
                    next(&mut params, Param::Text(v.clone()))
                ),
            };
            sql.push_str(" AND ");
            sql.push_str(&clause);
        }
        for k in &q.keywords {
            let p = next(&mut params, Param::Text(contains_pattern(k)));
            sql.push_str(&format!(" AND e.search_text LIKE {p} ESCAPE '\\'"));
        }
        let (cmp, dir) = match q.order {
            SortOrder::Ascending => (">", "ASC"),
            SortOrder::Descending => ("<", "DESC"),
        };
        if let Some(a) = &q.after {
            let p = next(&mut params, Param::Int(a.published.millis()));
            let s = next(&mut params, Param::Int(a.seq));
            sql.push_str(&format!(
                " AND (e.published {cmp} {p} OR (e.published = {p} AND e.seq {cmp} {s}))"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY e.published {dir}, e.seq {dir} LIMIT {}",
            i64::from(q.limit) + 1
        ));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for p in params {
            query = match p {
                Param::Int(v) => query.bind(v),
                Param::Text(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(self.pool()).await.map_err(map_err)?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn purge_log_events(&self, org: &OrgId, before: Timestamp) -> StoreResult<u64> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        sqlx::query(
            "DELETE FROM log_event_targets WHERE org_id = $1 AND event_uuid IN \
             (SELECT uuid FROM log_events WHERE org_id = $1 AND published < $2)",
        )
        .bind(org.as_str())
        .bind(before.millis())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let r = sqlx::query("DELETE FROM log_events WHERE org_id = $1 AND published < $2")
            .bind(org.as_str())
            .bind(before.millis())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected())
    }

    async fn hit_rate_window(
        &self,
        org: &OrgId,
        key: &str,
        window_start: Timestamp,
        window_end: Timestamp,
    ) -> StoreResult<RateWindow> {
        // The stored window wins when it is the same or a later one (a node whose clock lags
        // counts into it); an earlier one is replaced and the count restarts.
        let row = sqlx::query(
            "INSERT INTO rate_limits (org_id, rl_key, window_start, window_end, hits) \
             VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (org_id, rl_key) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start >= excluded.window_start \
                    THEN rate_limits.hits + 1 ELSE 1 END, \
             window_end = CASE WHEN rate_limits.window_start >= excluded.window_start \
                    THEN rate_limits.window_end ELSE excluded.window_end END, \
             window_start = CASE WHEN rate_limits.window_start >= excluded.window_start \
                    THEN rate_limits.window_start ELSE excluded.window_start END \
             RETURNING hits, window_end",
        )
        .bind(org.as_str())
        .bind(key)
        .bind(window_start.millis())
        .bind(window_end.millis())
        .fetch_one(self.pool())
        .await
        .map_err(map_err)?;
        Ok(RateWindow {
            hits: row.try_get("hits").map_err(map_err)?,
            window_end: Timestamp(row.try_get("window_end").map_err(map_err)?),
        })
    }

    async fn reset_rate_window(&self, org: &OrgId, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM rate_limits WHERE org_id = $1 AND rl_key = $2")
            .bind(org.as_str())
            .bind(key)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn purge_rate_windows(&self, org: &OrgId, before: Timestamp) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM rate_limits WHERE org_id = $1 AND window_end <= $2")
            .bind(org.as_str())
            .bind(before.millis())
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }
}
