//! Unit tests of the SQLite lane: native batches, placeholders, required statements, locks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::row::Cols;

#[test]
fn sqlite_urls_name_their_file() {
    assert_eq!(
        sqlite_file("sqlite:///tmp/a%20b/federa.db?mode=rwc").unwrap(),
        std::path::PathBuf::from("/tmp/a b/federa.db")
    );
    assert!(sqlite_file("postgres://x/y").is_err());
}

async fn lane_with_table(dir: &tempfile::TempDir, size: usize) -> Arc<Lane> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}/lane.db?mode=rwc", dir.path().display());
    let lane = Lane::open(&url, size).await.unwrap();
    let mut c = lane.lease().await.unwrap();
    c.execute("PRAGMA journal_mode = WAL").await.unwrap();
    c.execute("CREATE TABLE t (a TEXT PRIMARY KEY, b INTEGER NOT NULL)")
        .await
        .unwrap();
    c.execute("CREATE TABLE child (a TEXT NOT NULL REFERENCES t(a) ON DELETE CASCADE)")
        .await
        .unwrap();
    drop(c);
    lane
}

async fn count(lane: &Arc<Lane>) -> i64 {
    let mut c = lane.lease().await.unwrap();
    sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

fn insert(b: &mut Batch, a: &str) -> usize {
    b.push(
        "INSERT INTO t (a, b) VALUES ($1, $2)",
        vec![a.into(), 1.into()],
    )
}

#[tokio::test]
async fn native_reads_bind_placeholders_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let lane = lane_with_table(&dir, 2).await;
    let mut b = Batch::new();
    insert(&mut b, "x");
    b.push(
        "INSERT INTO t (a, b) VALUES ($2, $1)",
        vec![Val::Int(5), "y".into()],
    );
    b.run(&mut lane.lease().await.unwrap()).await.unwrap();
    // `$2` before `$1`, one of them twice, and a NULL.
    let rows = lane
        .rows(
            "SELECT a, b, NULL AS n FROM t WHERE b = $2 AND (a = $1 OR a = $1)",
            &["y".into(), Val::Int(5)],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].col::<String>("a").unwrap(), "y");
    assert_eq!(rows[0].col::<i64>("b").unwrap(), 5);
    assert_eq!(rows[0].col::<Option<String>>("n").unwrap(), None);
}

#[tokio::test]
async fn batch_reports_rows_per_statement_and_returning_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lane = lane_with_table(&dir, 2).await;
    let mut b = Batch::new();
    insert(&mut b, "x");
    insert(&mut b, "y");
    b.push("UPDATE t SET b = 2 WHERE a = $1", vec!["nobody".into()]);
    let read = b.push("SELECT a FROM t ORDER BY a", vec![]);
    let del = b.push("DELETE FROM t WHERE a = $1 RETURNING a", vec!["y".into()]);
    let mut l = lane.lease().await.unwrap();
    let out = b.run(&mut l).await.unwrap();
    drop(l);
    assert_eq!(out.affected, vec![1, 1, 0, 0, 1]);
    assert_eq!(out.rows[read].len(), 2);
    assert_eq!(out.rows[del].len(), 1);
    assert_eq!(out.rows[del][0].col::<String>("a").unwrap(), "y");
    assert_eq!(count(&lane).await, 1);
}

#[tokio::test]
async fn a_failing_statement_undoes_the_whole_batch_and_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let lane = lane_with_table(&dir, 2).await;
    let mut b = Batch::new();
    insert(&mut b, "x");
    insert(&mut b, "y");
    let dup = insert(&mut b, "x");
    insert(&mut b, "z");
    let mut l = lane.lease().await.unwrap();
    let err = b.run(&mut l).await.err().unwrap();
    assert_eq!(err.index, dup);
    assert!(matches!(err.into_store(), StoreError::Conflict(_)));
    // Foreign keys are enforced on the native connections too.
    let mut b = Batch::new();
    insert(&mut b, "w");
    let orphan = b.push("INSERT INTO child (a) VALUES ($1)", vec!["nobody".into()]);
    let err = b.run(&mut l).await.err().unwrap();
    assert_eq!(err.index, orphan);
    assert!(matches!(err.into_store(), StoreError::MissingReference(_)));
    // The connections are usable and outside any transaction.
    let mut b = Batch::new();
    insert(&mut b, "v");
    b.run(&mut l).await.unwrap();
    drop(l);
    assert_eq!(count(&lane).await, 1, "only the last batch's row");
}

#[tokio::test]
async fn a_required_statement_that_matches_nothing_undoes_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let lane = lane_with_table(&dir, 2).await;
    let mut l = lane.lease().await.unwrap();
    let mut b = Batch::new();
    insert(&mut b, "x");
    b.run(&mut l).await.unwrap();
    let guard = |b: &mut Batch, want: i64| {
        b.add_required(
            Stmt::new(
                "UPDATE t SET b = b + 1 WHERE a = $1 AND b = $2",
                vec!["x".into(), Val::Int(want)],
            ),
            "row x at its expected value",
        )
    };
    // The precondition does not hold (b is 1): nothing of the batch stays.
    let mut b = Batch::new();
    insert(&mut b, "y");
    let g = guard(&mut b, 7);
    insert(&mut b, "z");
    let err = b.run(&mut l).await.err().unwrap();
    assert_eq!(err.index, g);
    match err.into_store() {
        StoreError::MissingReference(what) => assert_eq!(what, "row x at its expected value"),
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&lane).await, 1);
    // A required read counts its rows; the precondition holds: all of it is written.
    let mut b = Batch::new();
    insert(&mut b, "y");
    b.add_required(
        Stmt::new("SELECT a FROM t WHERE a = $1", vec!["y".into()]),
        "row y",
    );
    let g = guard(&mut b, 1);
    let out = b.run(&mut l).await.unwrap();
    assert_eq!(out.affected[g], 1);
    drop(l);
    assert_eq!(count(&lane).await, 2);
}

/// A batch that finds another connection's write lock waits for it without holding the
/// runtime's only thread: here the holder's COMMIT needs that thread.
#[tokio::test(flavor = "current_thread")]
async fn a_batch_behind_another_writer_yields_until_the_lock_is_free() {
    let dir = tempfile::tempdir().unwrap();
    let lane = lane_with_table(&dir, 2).await;
    let mut holder = lane.lease().await.unwrap();
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    holder
        .execute("INSERT INTO t (a, b) VALUES ('first', 1)")
        .await
        .unwrap();
    let mut l = lane.lease().await.unwrap();
    let mut b = Batch::new();
    insert(&mut b, "second");
    let waiting = b.run(&mut l);
    let release = async {
        // Runs once the batch has found the lock taken and yielded.
        tokio::task::yield_now().await;
        holder.execute("COMMIT").await.unwrap();
    };
    let (done, ()) = tokio::join!(waiting, release);
    done.unwrap();
    drop(l);
    drop(holder);
    assert_eq!(count(&lane).await, 2);
}
