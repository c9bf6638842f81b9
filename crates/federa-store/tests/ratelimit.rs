//! Contract of the DB-backed rate limits (`federa_core::service::ratelimit`), run on SQLite and
//! PostgreSQL: fixed windows from `ctx.clock` (a [`FixedClock`], never sleeping), refusals
//! with `Retry-After`, independence of keys and orgs, reset, purge of ended windows, a lagging
//! node counting into the newer window, and exact counting under concurrent hits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::Ctx;
use federa_core::model::Engine;
use federa_core::service::orgs;
use federa_core::service::ratelimit::{self, RateDecision};
use federa_testkit::{TestDb, contract_test};
use federa_types::{FixedClock, OrgId, Timestamp};
use std::sync::Arc;

/// 2025-11-25T06:00:00Z, the start of a minute.
const T0: i64 = 1_764_050_400_000;

async fn setup(db: &TestDb) -> (Ctx, Arc<FixedClock>, OrgId, OrgId) {
    let clock = Arc::new(FixedClock::new(Timestamp(T0)));
    let mut ctx = federa_testkit::ctx(db.store().await);
    ctx.clock = clock.clone();
    let a = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .expect("org a")
        .org
        .id;
    let b = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .expect("org b")
        .org
        .id;
    (ctx, clock, a, b)
}

const ALLOWED: RateDecision = RateDecision {
    allowed: true,
    retry_after_seconds: 0,
};

async fn hits_are_counted_per_fixed_window(db: &TestDb) {
    let (ctx, clock, a, _) = setup(db).await;
    clock.advance(10_500);
    for _ in 0..3 {
        assert_eq!(
            ratelimit::hit(&ctx, &a, "signin:ip:203.0.113.7", 3, 60)
                .await
                .unwrap(),
            ALLOWED
        );
    }
    let refused = ratelimit::hit(&ctx, &a, "signin:ip:203.0.113.7", 3, 60)
        .await
        .unwrap();
    assert_eq!(
        refused,
        RateDecision {
            allowed: false,
            retry_after_seconds: 50
        },
        "49.5 s are left in the window, rounded up"
    );
    // Still refused at the window's last millisecond, with at least a second to wait.
    clock.set(Timestamp(T0 + 59_999));
    let d = ratelimit::hit(&ctx, &a, "signin:ip:203.0.113.7", 3, 60)
        .await
        .unwrap();
    assert_eq!((d.allowed, d.retry_after_seconds), (false, 1));
    // The next window starts from zero.
    clock.set(Timestamp(T0 + 60_000));
    assert_eq!(
        ratelimit::hit(&ctx, &a, "signin:ip:203.0.113.7", 3, 60)
            .await
            .unwrap(),
        ALLOWED
    );
    // Skipping several windows also starts from zero.
    clock.advance(10 * 60_000);
    for _ in 0..3 {
        assert!(
            ratelimit::hit(&ctx, &a, "signin:ip:203.0.113.7", 3, 60)
                .await
                .unwrap()
                .allowed
        );
    }
    assert!(
        !ratelimit::hit(&ctx, &a, "signin:ip:203.0.113.7", 3, 60)
            .await
            .unwrap()
            .allowed
    );
}
contract_test!(
    hits_are_counted_per_fixed_window_test,
    hits_are_counted_per_fixed_window
);

async fn keys_and_orgs_do_not_share_counters(db: &TestDb) {
    let (ctx, _clock, a, b) = setup(db).await;
    assert!(ratelimit::hit(&ctx, &a, "k1", 1, 60).await.unwrap().allowed);
    assert!(!ratelimit::hit(&ctx, &a, "k1", 1, 60).await.unwrap().allowed);
    assert!(
        ratelimit::hit(&ctx, &a, "k2", 1, 60).await.unwrap().allowed,
        "another key has its own window"
    );
    assert!(
        ratelimit::hit(&ctx, &b, "k1", 1, 60).await.unwrap().allowed,
        "the same key in another org has its own window"
    );
    // Long keys (hashed when stored) are still distinct.
    let long1 = format!("signin:user:{}", "x".repeat(300));
    let long2 = format!("signin:user:{}y", "x".repeat(300));
    assert!(
        ratelimit::hit(&ctx, &a, &long1, 1, 60)
            .await
            .unwrap()
            .allowed
    );
    assert!(
        !ratelimit::hit(&ctx, &a, &long1, 1, 60)
            .await
            .unwrap()
            .allowed
    );
    assert!(
        ratelimit::hit(&ctx, &a, &long2, 1, 60)
            .await
            .unwrap()
            .allowed
    );
}
contract_test!(
    keys_and_orgs_do_not_share_counters_test,
    keys_and_orgs_do_not_share_counters
);

async fn reset_forgets_only_that_key(db: &TestDb) {
    let (ctx, _clock, a, b) = setup(db).await;
    for org in [&a, &b] {
        ratelimit::hit(&ctx, org, "k", 1, 60).await.unwrap();
        assert!(!ratelimit::hit(&ctx, org, "k", 1, 60).await.unwrap().allowed);
    }
    ratelimit::hit(&ctx, &a, "other", 1, 60).await.unwrap();
    ratelimit::reset(&ctx, &a, "k").await.unwrap();
    assert!(ratelimit::hit(&ctx, &a, "k", 1, 60).await.unwrap().allowed);
    assert!(
        !ratelimit::hit(&ctx, &a, "other", 1, 60)
            .await
            .unwrap()
            .allowed,
        "other keys keep their count"
    );
    assert!(
        !ratelimit::hit(&ctx, &b, "k", 1, 60).await.unwrap().allowed,
        "the other org keeps its count"
    );
    // Resetting a key that has no window is fine.
    ratelimit::reset(&ctx, &a, "never-hit").await.unwrap();
}
contract_test!(
    reset_forgets_only_that_key_test,
    reset_forgets_only_that_key
);

async fn purge_deletes_only_ended_windows_of_the_org(db: &TestDb) {
    let (ctx, clock, a, b) = setup(db).await;
    ratelimit::hit(&ctx, &a, "short", 5, 60).await.unwrap();
    ratelimit::hit(&ctx, &a, "long", 1, 3600).await.unwrap();
    ratelimit::hit(&ctx, &b, "short", 5, 60).await.unwrap();
    clock.advance(60_000);
    assert_eq!(ratelimit::purge(&ctx, &a).await.unwrap(), 1);
    assert_eq!(ratelimit::purge(&ctx, &a).await.unwrap(), 0);
    assert!(
        !ratelimit::hit(&ctx, &a, "long", 1, 3600)
            .await
            .unwrap()
            .allowed,
        "a running window survives the purge"
    );
    assert_eq!(
        ratelimit::purge(&ctx, &b).await.unwrap(),
        1,
        "org B's ended window was left for org B's purge"
    );
}
contract_test!(
    purge_deletes_only_ended_windows_of_the_org_test,
    purge_deletes_only_ended_windows_of_the_org
);

async fn a_lagging_node_counts_into_the_newer_window(db: &TestDb) {
    let (ctx, clock, a, _) = setup(db).await;
    clock.set(Timestamp(T0 + 60_500));
    assert!(ratelimit::hit(&ctx, &a, "k", 2, 60).await.unwrap().allowed);
    // A node whose clock is a second behind is still in the previous window.
    clock.set(Timestamp(T0 + 59_500));
    assert!(ratelimit::hit(&ctx, &a, "k", 2, 60).await.unwrap().allowed);
    let d = ratelimit::hit(&ctx, &a, "k", 2, 60).await.unwrap();
    assert!(!d.allowed, "the lagging hits counted into the newer window");
    assert_eq!(d.retry_after_seconds, 61, "until the newer window ends");
}
contract_test!(
    a_lagging_node_counts_into_the_newer_window_test,
    a_lagging_node_counts_into_the_newer_window
);

async fn concurrent_hits_are_counted_exactly(db: &TestDb) {
    let (ctx, _clock, a, _) = setup(db).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (ctx, a) = (ctx.clone(), a.clone());
        tasks.push(tokio::spawn(async move {
            ratelimit::hit(&ctx, &a, "burst", 10, 60).await.unwrap()
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        if t.await.unwrap().allowed {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 10, "exactly the limit is let through");
}
contract_test!(
    concurrent_hits_are_counted_exactly_test,
    concurrent_hits_are_counted_exactly
);

async fn bad_arguments_are_refused(db: &TestDb) {
    let (ctx, _clock, a, _) = setup(db).await;
    assert!(ratelimit::hit(&ctx, &a, "", 1, 60).await.is_err());
    assert!(ratelimit::hit(&ctx, &a, "k", 1, 0).await.is_err());
    assert!(
        ratelimit::hit(&ctx, &a, "k", 1, ratelimit::MAX_WINDOW_SECONDS + 1)
            .await
            .is_err()
    );
    assert!(
        !ratelimit::hit(&ctx, &a, "k", 0, 60).await.unwrap().allowed,
        "a limit of zero refuses everything"
    );
}
contract_test!(bad_arguments_are_refused_test, bad_arguments_are_refused);

async fn several_keys_are_counted_in_one_call(db: &TestDb) {
    let (ctx, clock, a, b) = setup(db).await;
    clock.advance(10_500);
    // One key already has two hits; the other none.
    for _ in 0..2 {
        ratelimit::hit(&ctx, &a, "signin:sub:ada", 3, 60)
            .await
            .unwrap();
    }
    let keys = [("signin:ip:203.0.113.7", 5), ("signin:sub:ada", 3)];
    let d = ratelimit::hit_many(&ctx, &a, &keys, 60).await.unwrap();
    assert_eq!(d, vec![ALLOWED, ALLOWED], "1 of 5 and 3 of 3");
    let d = ratelimit::hit_many(&ctx, &a, &keys, 60).await.unwrap();
    assert_eq!(d[0], ALLOWED, "2 of 5");
    assert_eq!(
        d[1],
        RateDecision {
            allowed: false,
            retry_after_seconds: 50
        },
        "the decisions keep the order of the keys"
    );
    // The same keys in another org start from zero; the order of keys does not matter.
    let d = ratelimit::hit_many(&ctx, &b, &[keys[1], keys[0]], 60)
        .await
        .unwrap();
    assert_eq!(d, vec![ALLOWED, ALLOWED]);
    // Over-long keys are hashed as with `hit`, and count into the same window.
    let long = "k".repeat(500);
    ratelimit::hit(&ctx, &a, &long, 1, 60).await.unwrap();
    let d = ratelimit::hit_many(&ctx, &a, &[(long.as_str(), 1)], 60)
        .await
        .unwrap();
    assert!(!d[0].allowed, "the second hit on the long key is over 1");
    // A repeated or empty key is refused, nothing counted.
    assert!(
        ratelimit::hit_many(&ctx, &a, &[("x", 1), ("x", 1)], 60)
            .await
            .is_err()
    );
    assert!(ratelimit::hit_many(&ctx, &a, &[("", 1)], 60).await.is_err());
    assert!(
        ratelimit::hit(&ctx, &a, "x", 1, 60).await.unwrap().allowed,
        "the refused call counted nothing on x"
    );
}
contract_test!(
    several_keys_are_counted_in_one_call_test,
    several_keys_are_counted_in_one_call
);
