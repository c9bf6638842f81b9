//! The store contract: one suite, run on SQLite and on PostgreSQL (when
//! `FEDERA_TEST_POSTGRES_URL` is set). Covers atomic writes, case-insensitive uniqueness,
//! search and pagination, and that no query crosses from one org into another.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::{Engine, GroupProfile, UserProfile, UserQuery, UserStatus};
use federa_core::page::PageRequest;
use federa_core::ports::StoreError;
use federa_core::service::{groups, orgs, tokens, users};
use federa_core::{CoreError, Ctx};
use federa_testkit::{TestDb, contract_test};
use federa_types::Secret;

fn profile(login: &str) -> UserProfile {
    UserProfile {
        login: login.into(),
        email: login.into(),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        ..Default::default()
    }
}

async fn new_org(ctx: &Ctx, host: &str) -> federa_core::model::Org {
    orgs::create(ctx, host, &[host.to_string()], Engine::Identity, "t")
        .await
        .expect("org")
        .org
}

async fn new_user(
    ctx: &Ctx,
    org: &federa_core::model::Org,
    login: &str,
) -> federa_core::model::User {
    let input = users::NewUser {
        profile: profile(login),
        password: None,
        group_ids: vec![],
    };
    users::create(ctx, &org.id, input, true)
        .await
        .expect("user")
}

async fn migrations_are_idempotent(db: &TestDb) {
    let s = db.store().await;
    s.migrate().await.expect("second migrate is a no-op");
    if db.db == federa_testkit::Db::Sqlite {
        assert_eq!(
            s.sqlite_journal_mode().await.unwrap().as_deref(),
            Some("wal")
        );
    }
}
contract_test!(migrations_are_idempotent_test, migrations_are_idempotent);

async fn org_with_taken_host_is_not_half_saved(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let a = new_org(&ctx, "a.test").await;
    let err = orgs::create(
        &ctx,
        "B",
        &["b.test".into(), "a.test".into()],
        Engine::Identity,
        "t",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        ctx.store.count_orgs().await.unwrap(),
        1,
        "the second org must not exist"
    );
    assert!(
        ctx.store.org_by_host("b.test").await.unwrap().is_none(),
        "its first host must not be saved"
    );
    assert_eq!(
        ctx.store.org_by_host("a.test").await.unwrap().map(|o| o.id),
        Some(a.id)
    );
}
contract_test!(
    org_with_taken_host_is_not_half_saved_test,
    org_with_taken_host_is_not_half_saved
);

async fn tokens_only_work_for_their_org(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let a = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap();
    let b = new_org(&ctx, "b.test").await;
    let header = format!("SSWS {}", a.token.expose());
    assert!(
        tokens::authenticate(&ctx, &a.org.id, Some(&header))
            .await
            .is_ok()
    );
    let nospace = format!("SSWS{}", a.token.expose());
    assert!(
        tokens::authenticate(&ctx, &a.org.id, Some(&nospace))
            .await
            .is_ok()
    );
    let err = tokens::authenticate(&ctx, &b.id, Some(&header))
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::Unauthenticated));
    assert!(
        tokens::authenticate(&ctx, &a.org.id, Some("SSWS 00nope"))
            .await
            .is_err()
    );
    assert!(tokens::authenticate(&ctx, &a.org.id, None).await.is_err());
}
contract_test!(
    tokens_only_work_for_their_org_test,
    tokens_only_work_for_their_org
);

async fn logins_are_unique_per_org_case_insensitively(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let a = new_org(&ctx, "a.test").await;
    let b = new_org(&ctx, "b.test").await;
    new_user(&ctx, &a, "Ada@Example.com").await;
    let dup = users::NewUser {
        profile: profile("ada@example.COM"),
        password: None,
        group_ids: vec![],
    };
    match users::create(&ctx, &a.id, dup, true).await {
        Err(CoreError::Validation(errs)) => assert_eq!(errs[0].field, "profile.login"),
        other => panic!("expected a login conflict, got {other:?}"),
    }
    // The same login in another org is a different user.
    new_user(&ctx, &b, "ada@example.com").await;
    let found = users::get(&ctx, &a.id, "ADA@example.com").await.unwrap();
    assert_eq!(found.profile.login, "Ada@Example.com");
}
contract_test!(
    logins_are_unique_per_org_case_insensitively_test,
    logins_are_unique_per_org_case_insensitively
);

async fn users_are_invisible_across_orgs(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let a = new_org(&ctx, "a.test").await;
    let b = new_org(&ctx, "b.test").await;
    let u = new_user(&ctx, &a, "x@a.test").await;
    assert!(matches!(
        users::get(&ctx, &b.id, u.id.as_str()).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        users::get(&ctx, &b.id, "x@a.test").await,
        Err(CoreError::NotFound(_))
    ));
    let page = PageRequest::new(None, None).unwrap();
    assert!(
        users::list(&ctx, &b.id, &UserQuery::default(), &page)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(users::delete(&ctx, &b.id, u.id.as_str()).await.is_err());
    assert!(
        users::lifecycle(&ctx, &b.id, u.id.as_str(), users::Lifecycle::Deactivate)
            .await
            .is_err()
    );
    // A group of org B cannot take a user of org A, and vice versa.
    let gb = groups::create(
        &ctx,
        &b.id,
        GroupProfile {
            name: "B".into(),
            description: None,
        },
    )
    .await
    .unwrap();
    assert!(
        groups::add_member(&ctx, &b.id, gb.id.as_str(), u.id.as_str())
            .await
            .is_err()
    );
    assert!(
        groups::add_member(&ctx, &a.id, gb.id.as_str(), u.id.as_str())
            .await
            .is_err()
    );
    // Even at the store level, bypassing the use case.
    let err = ctx
        .store
        .add_member(&b.id, &gb.id, &u.id, ctx.clock.now())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    let input = users::NewUser {
        profile: profile("y@a.test"),
        password: None,
        group_ids: vec![gb.id.clone()],
    };
    assert!(
        users::create(&ctx, &a.id, input, true).await.is_err(),
        "joining another org's group at creation"
    );
    assert!(
        users::get(&ctx, &a.id, "y@a.test").await.is_err(),
        "and the user must not be half-saved"
    );
}
contract_test!(
    users_are_invisible_across_orgs_test,
    users_are_invisible_across_orgs
);

async fn search_q_and_pagination(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let a = new_org(&ctx, "a.test").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(new_user(&ctx, &a, &format!("user{i}@a.test")).await.id);
    }
    new_user(&ctx, &a, "other_100%@a.test").await;
    ids.sort();
    let q = UserQuery::default();
    let p1 = users::list(&ctx, &a.id, &q, &PageRequest::new(Some(2), None).unwrap())
        .await
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let mut seen: Vec<_> = p1.items.iter().map(|u| u.id.clone()).collect();
    let mut next = p1.next.clone();
    while let Some(after) = next {
        let p = users::list(
            &ctx,
            &a.id,
            &q,
            &PageRequest::new(Some(2), Some(after)).unwrap(),
        )
        .await
        .unwrap();
        seen.extend(p.items.iter().map(|u| u.id.clone()));
        next = p.next;
    }
    assert_eq!(seen.len(), 6, "every user exactly once across pages");
    let search = UserQuery::parse(None, Some(r#"profile.login eq "USER3@a.test""#)).unwrap();
    let r = users::list(&ctx, &a.id, &search, &PageRequest::new(None, None).unwrap())
        .await
        .unwrap();
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].profile.login, "user3@a.test");
    let sw = UserQuery::parse(
        None,
        Some(r#"profile.login sw "user" and status eq "PROVISIONED""#),
    )
    .unwrap();
    assert_eq!(
        users::list(&ctx, &a.id, &sw, &PageRequest::new(None, None).unwrap())
            .await
            .unwrap()
            .items
            .len(),
        5
    );
    // LIKE wildcards in the input are literal.
    let pct = UserQuery::parse(Some("other_100%".into()), None).unwrap();
    assert_eq!(
        users::list(&ctx, &a.id, &pct, &PageRequest::new(None, None).unwrap())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let wild = UserQuery::parse(Some("%".into()), None).unwrap();
    assert_eq!(
        users::list(&ctx, &a.id, &wild, &PageRequest::new(None, None).unwrap())
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    let by_name = UserQuery::parse(Some("lovel".into()), None).unwrap();
    assert_eq!(
        users::list(
            &ctx,
            &a.id,
            &by_name,
            &PageRequest::new(None, None).unwrap()
        )
        .await
        .unwrap()
        .items
        .len(),
        6
    );
}
contract_test!(search_q_and_pagination_test, search_q_and_pagination);

async fn lifecycle_and_delete(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let a = new_org(&ctx, "a.test").await;
    let input = users::NewUser {
        profile: profile("p@a.test"),
        password: Some(Secret::new("long password".into())),
        group_ids: vec![],
    };
    let u = users::create(&ctx, &a.id, input, false).await.unwrap();
    assert_eq!(u.status, UserStatus::Staged);
    let stored_hash = ctx
        .store
        .user_by_id(&a.id, &u.id)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert!(stored_hash.expose().starts_with("$argon2id$"));
    assert!(
        ctx.hasher
            .verify_blocking(b"long password", stored_hash.expose())
    );
    let u = users::lifecycle(&ctx, &a.id, u.id.as_str(), users::Lifecycle::Activate)
        .await
        .unwrap();
    assert_eq!(u.status, UserStatus::Active);
    assert!(matches!(
        users::lifecycle(&ctx, &a.id, u.id.as_str(), users::Lifecycle::Activate).await,
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        users::lifecycle(&ctx, &a.id, u.id.as_str(), users::Lifecycle::Unlock).await,
        Err(CoreError::Conflict(_))
    ));
    let g = groups::create(
        &ctx,
        &a.id,
        GroupProfile {
            name: "Admins".into(),
            description: None,
        },
    )
    .await
    .unwrap();
    groups::add_member(&ctx, &a.id, g.id.as_str(), u.id.as_str())
        .await
        .unwrap();
    groups::add_member(&ctx, &a.id, g.id.as_str(), u.id.as_str())
        .await
        .unwrap();
    assert_eq!(
        groups::of_user(&ctx, &a.id, u.id.as_str())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        users::delete(&ctx, &a.id, u.id.as_str()).await.unwrap(),
        users::Deleted::Deactivated
    );
    assert_eq!(
        users::get(&ctx, &a.id, u.id.as_str()).await.unwrap().status,
        UserStatus::Deprovisioned
    );
    assert_eq!(
        users::delete(&ctx, &a.id, u.id.as_str()).await.unwrap(),
        users::Deleted::Removed
    );
    assert!(users::get(&ctx, &a.id, u.id.as_str()).await.is_err());
    let page = PageRequest::new(None, None).unwrap();
    assert!(
        groups::members(&ctx, &a.id, g.id.as_str(), &page)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let dup = groups::create(
        &ctx,
        &a.id,
        GroupProfile {
            name: "admins".into(),
            description: None,
        },
    )
    .await;
    assert!(matches!(dup, Err(CoreError::Validation(_))));
}
contract_test!(lifecycle_and_delete_test, lifecycle_and_delete);
