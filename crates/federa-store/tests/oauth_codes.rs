//! Redeeming an authorization code (the token endpoint's first step) on both databases: a
//! fresh code once, with its user and the record of the access token issued from it; the same
//! code again is a replay with no user and no record; an unknown or expired code is unknown and
//! records nothing; a code whose user is gone is taken with no user; of concurrent redeems of
//! one code exactly one is fresh and exactly one record is made.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::Engine;
use federa_core::model::app::AppInput;
use federa_core::ports::{AccessRecord, CodeTake, StoredCode, StoredToken};
use federa_core::service::{apps, orgs};
use federa_testkit::{TestDb, contract_test};
use federa_types::{FixedClock, Timestamp};
use std::sync::Arc;

async fn redeem_code_once(db: &TestDb) {
    let clock = Arc::new(FixedClock::new(Timestamp(1_800_000_000_000)));
    let ctx = federa_testkit::ctx_with_clock(db.store().await, clock.clone());
    let org = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let input: AppInput = serde_json::from_value(serde_json::json!({
        "name": "oidc_client", "label": "App", "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"redirect_uris": ["https://app.example.com/cb"],
            "response_types": ["code"], "grant_types": ["authorization_code"]}}
    }))
    .unwrap();
    let (app, _) = apps::create(&ctx, &org.id, input, true).await.unwrap();
    let mut user_of = Vec::new();
    for login in ["u1@a.test", "u2@a.test"] {
        user_of.push(federa_testkit::active_user(&ctx, &org.id, login).await);
    }
    let put = |hash: &str, user: &federa_core::model::User, ttl: i64| StoredCode {
        code_hash: hash.into(),
        org_id: org.id.clone(),
        app_id: app.id.clone(),
        user_id: user.id.clone(),
        family: format!("fam-{hash}"),
        data: serde_json::json!({"redirect_uri": "https://app.example.com/cb"}),
        created: ctx.clock.now(),
        expires_at: ctx.clock.now().plus_millis(ttl),
        // Carried over to the access token's record.
        user_gen: 3,
    };
    let now = || ctx.clock.now();
    // Each redeem records the access token `at-<code>`.
    let access = |code: &str| AccessRecord {
        token_hash: format!("at-{code}"),
        created: ctx.clock.now(),
        expires_at: ctx.clock.now().plus_millis(3_600_000),
    };
    let record = |code: &str| {
        let store = ctx.store.clone();
        let org = org.id.clone();
        let hash = format!("at-{code}");
        async move { store.oauth_token_by_hash(&org, &hash).await.unwrap() }
    };
    let c1 = put("code-1", &user_of[0], 60_000);
    ctx.store.put_code(&c1).await.unwrap();

    let (take, user) = ctx
        .store
        .redeem_code(&org.id, "code-1", now(), &access("code-1"))
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Fresh(c1.clone()));
    let user = user.expect("the code's user");
    assert_eq!(user.id, user_of[0].id);
    assert_eq!(user.profile.login, "u1@a.test");
    let expected = StoredToken {
        token_hash: "at-code-1".into(),
        org_id: org.id.clone(),
        app_id: app.id.clone(),
        user_id: Some(user_of[0].id.clone()),
        kind: "access".into(),
        family: "fam-code-1".into(),
        data: serde_json::Value::Null,
        created: now(),
        expires_at: now().plus_millis(3_600_000),
        used: false,
        revoked: false,
        user_gen: 3,
    };
    assert_eq!(record("code-1").await, Some(expected.clone()));

    let (take, user) = ctx
        .store
        .redeem_code(&org.id, "code-1", now(), &access("code-1"))
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Replayed(c1.clone()));
    assert!(user.is_none());
    // The replay recorded nothing new (its record would have the same key, so the first one
    // is checked unchanged).
    assert_eq!(record("code-1").await, Some(expected));

    let (take, user) = ctx
        .store
        .redeem_code(&org.id, "nope", now(), &access("nope"))
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Unknown);
    assert!(user.is_none());
    assert_eq!(record("nope").await, None);

    // Another org cannot take it (nor learn it was used).
    let other = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let (take, _) = ctx
        .store
        .redeem_code(&other.id, "code-1", now(), &access("code-1"))
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Unknown);

    // Expired before it was taken: unknown.
    ctx.store
        .put_code(&put("code-2", &user_of[1], 1_000))
        .await
        .unwrap();
    clock.advance(2_000);
    let (take, user) = ctx
        .store
        .redeem_code(&org.id, "code-2", now(), &access("code-2"))
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Unknown);
    assert!(user.is_none());
    assert_eq!(record("code-2").await, None);

    // The second user's code, their account deleted meanwhile (codes go with the user, so the
    // code is gone too): nothing is issued.
    let c3 = put("code-3", &user_of[1], 60_000);
    ctx.store.put_code(&c3).await.unwrap();
    ctx.store
        .delete_user(&org.id, &user_of[1].id)
        .await
        .unwrap();
    let (take, user) = ctx
        .store
        .redeem_code(&org.id, "code-3", now(), &access("code-3"))
        .await
        .unwrap();
    assert!(user.is_none(), "{take:?}");
    assert_eq!(record("code-3").await, None);

    // Concurrent redeems of one code: one fresh, the others replays, one record.
    let c4 = put("code-4", &user_of[0], 60_000);
    ctx.store.put_code(&c4).await.unwrap();
    let attempts = (0..4).map(|i| {
        let store = ctx.store.clone();
        let org = org.id.clone();
        let rec = AccessRecord {
            token_hash: format!("at-code-4-{i}"),
            created: now(),
            expires_at: now().plus_millis(3_600_000),
        };
        let at = now();
        async move { store.redeem_code(&org, "code-4", at, &rec).await.unwrap() }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let fresh: Vec<usize> = (0..4)
        .filter(|&i| matches!(outcomes[i].0, CodeTake::Fresh(_)))
        .collect();
    assert_eq!(fresh.len(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|(t, _)| matches!(t, CodeTake::Fresh(_) | CodeTake::Replayed(_)))
    );
    for i in 0..4 {
        let rec = ctx
            .store
            .oauth_token_by_hash(&org.id, &format!("at-code-4-{i}"))
            .await
            .unwrap();
        assert_eq!(rec.is_some(), fresh == [i], "attempt {i}: {rec:?}");
    }
}
contract_test!(redeem_code_test, redeem_code_once);
