//! Taking an authorization code with its user (the token endpoint's first step) on both
//! databases: a fresh code once, with its user; the same code again is a replay with no user;
//! an unknown or expired code is unknown; a code whose user is gone is taken with no user.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::Engine;
use federa_core::model::app::AppInput;
use federa_core::ports::{CodeTake, StoredCode};
use federa_core::service::{apps, orgs};
use federa_testkit::{TestDb, contract_test};
use federa_types::{FixedClock, Timestamp};
use std::sync::Arc;

async fn take_code_with_user_once(db: &TestDb) {
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
    };
    let now = || ctx.clock.now();
    let c1 = put("code-1", &user_of[0], 60_000);
    ctx.store.put_code(&c1).await.unwrap();

    let (take, user) = ctx
        .store
        .take_code_with_user(&org.id, "code-1", now())
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Fresh(c1.clone()));
    let user = user.expect("the code's user");
    assert_eq!(user.id, user_of[0].id);
    assert_eq!(user.profile.login, "u1@a.test");

    let (take, user) = ctx
        .store
        .take_code_with_user(&org.id, "code-1", now())
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Replayed(c1.clone()));
    assert!(user.is_none());

    let (take, user) = ctx
        .store
        .take_code_with_user(&org.id, "nope", now())
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Unknown);
    assert!(user.is_none());

    // Another org cannot take it (nor learn it was used).
    let other = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let (take, _) = ctx
        .store
        .take_code_with_user(&other.id, "code-1", now())
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
        .take_code_with_user(&org.id, "code-2", now())
        .await
        .unwrap();
    assert_eq!(take, CodeTake::Unknown);
    assert!(user.is_none());

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
        .take_code_with_user(&org.id, "code-3", now())
        .await
        .unwrap();
    assert!(user.is_none(), "{take:?}");
}
contract_test!(take_code_with_user_test, take_code_with_user_once);
