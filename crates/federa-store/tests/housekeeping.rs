//! Housekeeping on both databases: records past their lifetime by more than the grace period
//! are removed (sessions over their absolute or idle lifetime, authorization codes, OAuth
//! token records, replay-cache entries, pending federated sign-ins, one-time factor codes);
//! live ones, and ones expired within the grace period, are kept; a backlog larger than one
//! batch is removed in one sweep.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::app::AppInput;
use federa_core::model::factor::{FactorProfile, FactorProvider, FactorType};
use federa_core::model::session::Session;
use federa_core::model::{Engine, LifecycleStatus};
use federa_core::ports::{BrokerState, StoredCode, StoredToken};
use federa_core::service::authenticators::{self, Lifecycle};
use federa_core::service::factors::{self, EnrollFactor};
use federa_core::service::housekeeping::{self, BATCH, GRACE_MS};
use federa_core::service::{apps, orgs};
use federa_testkit::{TestDb, contract_test};
use federa_types::{FixedClock, IdpId, Timestamp};
use std::sync::Arc;

const T0: i64 = 1_800_000_000_000;
const HOUR: i64 = 3_600_000;

/// A context whose clock stands at `T0`, and an org.
async fn setup(db: &TestDb) -> (federa_core::Ctx, Arc<FixedClock>, federa_core::model::Org) {
    let clock = Arc::new(FixedClock::new(Timestamp(T0)));
    let ctx = federa_testkit::ctx_with_clock(db.store().await, clock.clone());
    let org = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    (ctx, clock, org)
}

async fn expired_records_are_removed_after_the_grace_period(db: &TestDb) {
    let (ctx, clock, org) = setup(db).await;
    let input: AppInput = serde_json::from_value(serde_json::json!({
        "name": "oidc_client", "label": "App", "signOnMode": "OPENID_CONNECT",
        "settings": {"oauthClient": {"redirect_uris": ["https://app.example.com/cb"]}}
    }))
    .unwrap();
    let (app, _) = apps::create(&ctx, &org.id, input, true).await.unwrap();
    let user = federa_testkit::active_user(&ctx, &org.id, "u@a.test").await;
    let at = |offset: i64| Timestamp(T0 + offset);
    // Each kind gets three records ending: long ago ("old"), within the grace ("recent"), and
    // in the future ("live"), all made now (T0) with lifetimes reaching back or forward.
    let ends = [
        ("old", -2 * GRACE_MS),
        ("recent", -GRACE_MS / 2),
        ("live", HOUR),
    ];
    for (tag, end) in ends {
        let session = |kind: &str, idle_ms: i64, expires_at: Timestamp, last: Timestamp| Session {
            id_hash: format!("sess-{kind}-{tag}"),
            public_id: format!("102{kind}{tag}"),
            org_id: org.id.clone(),
            user_id: user.id.clone(),
            status: "ACTIVE".into(),
            csrf: "c".into(),
            created: at(-10 * GRACE_MS),
            last_active: last,
            idle_ms,
            expires_at,
            verifications: vec![],
            idp_id: None,
        };
        // Over its absolute lifetime; and over its idle lifetime (absolute one far away).
        let absolute = session("abs", 10 * GRACE_MS, at(end), at(0));
        let idle = session("idle", HOUR, Timestamp(i64::MAX), at(end - HOUR));
        for s in [absolute, idle] {
            ctx.store.create_session(&s).await.unwrap();
        }
        ctx.store
            .put_code(&StoredCode {
                code_hash: format!("code-{tag}"),
                org_id: org.id.clone(),
                app_id: app.id.clone(),
                user_id: user.id.clone(),
                family: format!("fam-{tag}"),
                data: serde_json::json!({}),
                created: at(end - 60_000),
                expires_at: at(end),
                user_gen: 0,
            })
            .await
            .unwrap();
        ctx.store
            .put_token(&StoredToken {
                token_hash: format!("tok-{tag}"),
                org_id: org.id.clone(),
                app_id: app.id.clone(),
                user_id: Some(user.id.clone()),
                kind: "refresh".into(),
                family: format!("fam-{tag}"),
                data: serde_json::json!({}),
                created: at(end - HOUR),
                expires_at: at(end),
                used: true,
                revoked: false,
                user_gen: 0,
            })
            .await
            .unwrap();
        assert!(
            ctx.store
                .remember_once(&org.id, "test.ns", tag, at(end), at(end - 1))
                .await
                .unwrap()
        );
        ctx.store
            .put_broker_state(&BrokerState {
                id_hash: format!("state-{tag}"),
                org_id: org.id.clone(),
                idp_id: IdpId::parse("0oa1aaaaaaaaaaaaaaa1").unwrap(),
                data: serde_json::json!({}),
                created: at(end - 60_000),
                expires_at: at(end),
            })
            .await
            .unwrap();
    }
    // Factor codes: an email factor's enrolment sends one code now (it expires in minutes).
    for a in authenticators::list(&ctx, &org.id).await.unwrap() {
        if a.status != LifecycleStatus::Active {
            authenticators::lifecycle(&ctx, &org.id, a.id.as_str(), Lifecycle::Activate)
                .await
                .unwrap();
        }
    }
    let email = EnrollFactor {
        factor_type: FactorType::Email,
        provider: FactorProvider::Okta,
        profile: FactorProfile::default(),
        answer: None,
    };
    let enrolled = factors::enroll(&ctx, &org.id, &user.id, email)
        .await
        .unwrap();
    assert!(
        ctx.store
            .live_code(&org.id, &enrolled.factor.id)
            .await
            .unwrap()
            .is_some()
    );

    // Now: "old" records are past the grace, "recent" ones within it, "live" ones unexpired.
    let swept = housekeeping::sweep(&ctx).await.unwrap();
    for (kind, n) in [
        ("sessions", 2),
        ("oauth_codes", 1),
        ("oauth_tokens", 1),
        ("replay_cache", 1),
        ("broker_states", 1),
        ("factor_codes", 0),
    ] {
        assert_eq!(swept.of(kind), n, "{kind}: {swept:?}");
    }
    let has_session = |hash: String| {
        let (store, org) = (ctx.store.clone(), org.id.clone());
        async move { store.session_by_hash(&org, &hash).await.unwrap().is_some() }
    };
    let has_token = |hash: String| {
        let (store, org) = (ctx.store.clone(), org.id.clone());
        async move {
            store
                .oauth_token_by_hash(&org, &hash)
                .await
                .unwrap()
                .is_some()
        }
    };
    for (tag, kept) in [("old", false), ("recent", true), ("live", true)] {
        for kind in ["abs", "idle"] {
            let hash = format!("sess-{kind}-{tag}");
            assert_eq!(has_session(hash.clone()).await, kept, "{hash}");
        }
        assert_eq!(has_token(format!("tok-{tag}")).await, kept, "{tag}");
        if kept {
            // The replay entry is still there: remembering it again is a replay.
            assert!(
                !ctx.store
                    .remember_once(&org.id, "test.ns", tag, at(HOUR), at(-GRACE_MS))
                    .await
                    .unwrap(),
                "{tag}"
            );
        }
    }
    // A day later everything of today is past its grace, the factor code included.
    clock.advance(24 * HOUR);
    let swept = housekeeping::sweep(&ctx).await.unwrap();
    for (kind, n) in [
        ("sessions", 4),
        ("oauth_codes", 2),
        ("oauth_tokens", 2),
        ("replay_cache", 2),
        ("broker_states", 2),
        ("factor_codes", 1),
    ] {
        assert_eq!(swept.of(kind), n, "{kind}: {swept:?}");
    }
    assert_eq!(housekeeping::sweep(&ctx).await.unwrap().total(), 0);
    // The user and the factor themselves are untouched.
    assert!(
        ctx.store
            .user_by_id(&org.id, &user.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        factors::list(&ctx, &org.id, &user.id).await.unwrap().len(),
        1
    );
}
contract_test!(
    expired_records_are_removed_after_the_grace_period_test,
    expired_records_are_removed_after_the_grace_period
);

/// More expired records of one kind than a batch holds: one sweep removes them all.
async fn a_backlog_larger_than_a_batch_goes_in_one_sweep(db: &TestDb) {
    let (ctx, clock, org) = setup(db).await;
    let n = u64::from(BATCH) + 7;
    for i in 0..n {
        let key = format!("item-{i}");
        let end = Timestamp(T0 + HOUR);
        assert!(
            ctx.store
                .remember_once(&org.id, "test.ns", &key, end, Timestamp(T0))
                .await
                .unwrap()
        );
    }
    clock.advance(HOUR + GRACE_MS + 1);
    let swept = housekeeping::sweep(&ctx).await.unwrap();
    assert_eq!(swept.of("replay_cache"), n);
    assert_eq!(swept.total(), n);
}
contract_test!(
    a_backlog_larger_than_a_batch_goes_in_one_sweep_test,
    a_backlog_larger_than_a_batch_goes_in_one_sweep
);
