//! System Log events and rate-limit windows (`migrations/*/0004_logs.sql`). An event is stored
//! as its domain JSON beside the columns queries filter and sort on, with one row per target id
//! in `log_event_targets` for `target.id` filters. Rate limits are one row per key, updated by
//! a single `INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING` (SQLite ≥ 3.35, PostgreSQL).

use crate::SqlStore;
use crate::error::{corrupt, map_err};
use crate::lane::{Stmt, Val};
use crate::row::Cols;
use federa_core::ports::{LogRepo, StoreError, StoreResult};
use federa_core::service::ratelimit::RateWindow;
use federa_core::service::syslog::{LogCursor, LogEntry, LogEvent, LogFilter, LogQuery, SortOrder};
use federa_types::{OrgId, Timestamp};
use sqlx::AssertSqlSafe;
use sqlx::Connection as _;
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

fn entry_from_row(row: &impl Cols) -> StoreResult<LogEntry> {
    let seq: i64 = row.col("seq")?;
    let body: String = row.col("body")?;
    let event: LogEvent = serde_json::from_str(&body).map_err(|e| corrupt("log event", e))?;
    Ok(LogEntry {
        position: LogCursor {
            published: event.published,
            seq,
        },
        event,
    })
}

/// Events per multi-row `INSERT` (9 parameters each, far below either backend's limit).
const EVENTS_PER_STATEMENT: usize = 64;

/// Inserts events and their target rows with one multi-row statement per table (per
/// [`EVENTS_PER_STATEMENT`] events), in the order given. The caller provides the transaction
/// when there is more than one statement.
pub(crate) async fn insert_events(
    conn: &mut sqlx::AnyConnection,
    events: &[LogEvent],
) -> StoreResult<()> {
    for stmt in event_inserts(events)? {
        stmt.execute(&mut *conn).await.map_err(map_err)?;
    }
    Ok(())
}

/// The statements of [`insert_events`], for a caller that runs them in its own batch.
pub(crate) fn event_inserts(events: &[LogEvent]) -> StoreResult<Vec<Stmt>> {
    let mut stmts = Vec::new();
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO log_events (uuid, org_id, published, event_type, severity, outcome_result, actor_id, \
             search_text, body) VALUES ",
        );
        let mut vals = Vec::with_capacity(chunk.len() * 9);
        for (i, e) in chunk.iter().enumerate() {
            let n = i * 9;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for k in 1..=9 {
                if k > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", n + k));
            }
            sql.push(')');
            let body = serde_json::to_string(e).map_err(|err| corrupt("log event", err))?;
            vals.extend([
                Val::from(&e.uuid),
                Val::from(e.org_id.as_str()),
                Val::from(e.published.millis()),
                Val::from(&e.event_type),
                Val::from(e.severity.as_str()),
                Val::from(e.outcome_result.as_str()),
                Val::from(e.actor.id.clone()),
                Val::from(e.search_text()),
                Val::from(body),
            ]);
        }
        stmts.push(Stmt::new(sql, vals));
        let targets: Vec<(&LogEvent, &str)> = chunk
            .iter()
            .flat_map(|e| {
                let ids: BTreeSet<&str> = e.targets.iter().map(|t| t.id.as_str()).collect();
                ids.into_iter().map(move |t| (e, t))
            })
            .collect();
        if targets.is_empty() {
            continue;
        }
        let mut sql =
            String::from("INSERT INTO log_event_targets (org_id, event_uuid, target_id) VALUES ");
        let mut vals = Vec::with_capacity(targets.len() * 3);
        for (i, (e, t)) in targets.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3));
            vals.extend([
                Val::from(e.org_id.as_str()),
                Val::from(&e.uuid),
                Val::from(t),
            ]);
        }
        stmts.push(Stmt::new(sql, vals));
    }
    Ok(stmts)
}

#[async_trait::async_trait]
impl LogRepo for SqlStore {
    async fn insert_log_event(&self, e: &LogEvent) -> StoreResult<()> {
        if e.targets.is_empty() {
            // One statement: atomic without a transaction.
            let mut conn = self.conn().await?;
            return insert_events(&mut conn, std::slice::from_ref(e)).await;
        }
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
        insert_events(&mut tx, std::slice::from_ref(e)).await?;
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
        let rows = query
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn purge_log_events(&self, org: &OrgId, before: Timestamp) -> StoreResult<u64> {
        let mut lease = self.conn().await?;
        let mut tx = lease.begin().await.map_err(map_err)?;
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
        let keys = [key.to_string()];
        let mut w = self
            .hit_rate_windows(org, &keys, window_start, window_end)
            .await?;
        w.pop()
            .ok_or_else(|| StoreError::Backend("rate-limit upsert returned no row".into()))
    }

    async fn hit_rate_windows(
        &self,
        org: &OrgId,
        keys: &[String],
        window_start: Timestamp,
        window_end: Timestamp,
    ) -> StoreResult<Vec<RateWindow>> {
        let distinct: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
        if distinct.len() != keys.len() || keys.is_empty() || keys.len() > 16 {
            return Err(StoreError::Backend(
                "rate-limit keys must be 1 to 16 distinct keys".into(),
            ));
        }
        // The stored window wins when it is the same or a later one (a node whose clock lags
        // counts into it); an earlier one is replaced and the count restarts.
        let values: Vec<String> = (0..keys.len())
            .map(|i| format!("($1, ${}, $2, $3, 1)", i + 4))
            .collect();
        let sql = format!(
            "INSERT INTO rate_limits (org_id, rl_key, window_start, window_end, hits) \
             VALUES {} \
             ON CONFLICT (org_id, rl_key) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start >= excluded.window_start \
                    THEN rate_limits.hits + 1 ELSE 1 END, \
             window_end = CASE WHEN rate_limits.window_start >= excluded.window_start \
                    THEN rate_limits.window_end ELSE excluded.window_end END, \
             window_start = CASE WHEN rate_limits.window_start >= excluded.window_start \
                    THEN rate_limits.window_start ELSE excluded.window_start END \
             RETURNING rl_key, hits, window_end",
            values.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str().to_string())
            .bind(window_start.millis())
            .bind(window_end.millis());
        for k in keys {
            q = q.bind(k.clone());
        }
        let rows = q
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        let mut by_key = std::collections::HashMap::new();
        for row in &rows {
            let key: String = row.col("rl_key")?;
            by_key.insert(
                key,
                RateWindow {
                    hits: row.col("hits")?,
                    window_end: Timestamp(row.col("window_end")?),
                },
            );
        }
        keys.iter()
            .map(|k| {
                by_key
                    .remove(k)
                    .ok_or_else(|| StoreError::Backend("rate-limit upsert lost a key".into()))
            })
            .collect()
    }

    async fn reset_rate_window(&self, org: &OrgId, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM rate_limits WHERE org_id = $1 AND rl_key = $2")
            .bind(org.as_str())
            .bind(key)
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn purge_rate_windows(&self, org: &OrgId, before: Timestamp) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM rate_limits WHERE org_id = $1 AND window_end <= $2")
            .bind(org.as_str())
            .bind(before.millis())
            .execute(&mut *self.conn().await?)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }
}
