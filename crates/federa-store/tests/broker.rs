//! The broker's account links on both databases: the joined lookup the federated sign-in uses
//! (`linked_user_record`) returns exactly the linked user, scoped by org, IdP and subject.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::Engine;
use federa_core::service::orgs;
use federa_testkit::{TestDb, contract_test};
use federa_types::IdpId;

async fn linked_user_record_is_the_linked_user(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let a = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let b = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let alice = federa_testkit::active_user(&ctx, &a.id, "alice@a.test").await;
    let bob = federa_testkit::active_user(&ctx, &a.id, "bob@a.test").await;
    let carol = federa_testkit::active_user(&ctx, &b.id, "carol@b.test").await;
    let idp1 = IdpId::parse("0oa1aaaaaaaaaaaaaaa1").unwrap();
    let idp2 = IdpId::parse("0oa1aaaaaaaaaaaaaaa2").unwrap();
    let now = ctx.clock.now();
    ctx.store
        .link_user(&a.id, &idp1, "sub-1", &alice.id, now)
        .await
        .unwrap();
    ctx.store
        .link_user(&a.id, &idp2, "sub-1", &bob.id, now)
        .await
        .unwrap();
    ctx.store
        .link_user(&b.id, &idp1, "sub-1", &carol.id, now)
        .await
        .unwrap();

    let got = ctx
        .store
        .linked_user_record(&a.id, &idp1, "sub-1")
        .await
        .unwrap()
        .expect("linked");
    let direct = ctx
        .store
        .user_by_id(&a.id, &alice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&got.id, &got.org_id, &got.profile, got.status, got.created),
        (
            &direct.id,
            &direct.org_id,
            &direct.profile,
            direct.status,
            direct.created
        )
    );
    // Same subject at another IdP, or in another org: another user.
    let got = ctx
        .store
        .linked_user_record(&a.id, &idp2, "sub-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.id, bob.id);
    let got = ctx
        .store
        .linked_user_record(&b.id, &idp1, "sub-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.id, carol.id);
    // No link for this subject (case matters: subjects are exact).
    assert!(
        ctx.store
            .linked_user_record(&a.id, &idp1, "sub-2")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ctx.store
            .linked_user_record(&a.id, &idp1, "SUB-1")
            .await
            .unwrap()
            .is_none()
    );
}
contract_test!(
    linked_user_record_test,
    linked_user_record_is_the_linked_user
);

/// Linking keeps an existing link and says whose it is; just-in-time provisioning writes the
/// user and its link together or not at all (a taken login leaves no link, an account linked
/// meanwhile leaves no user).
async fn links_are_kept_and_provisioning_is_all_or_nothing(db: &TestDb) {
    use federa_core::model::UserStatus;
    use federa_core::ports::{LINKED, StoreError};
    use federa_core::service::users;
    let ctx = federa_testkit::ctx(db.store().await);
    let a = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let alice = federa_testkit::active_user(&ctx, &a.id, "alice@a.test").await;
    let bob = federa_testkit::active_user(&ctx, &a.id, "bob@a.test").await;
    let idp = IdpId::parse("0oa1aaaaaaaaaaaaaaa1").unwrap();
    let now = ctx.clock.now();
    let first = ctx
        .store
        .link_user(&a.id, &idp, "sub-1", &alice.id, now)
        .await
        .unwrap();
    assert_eq!(first, alice.id);
    let second = ctx
        .store
        .link_user(&a.id, &idp, "sub-1", &bob.id, now)
        .await
        .unwrap();
    assert_eq!(second, alice.id, "the existing link is kept and named");

    let new_user = |login: &str| {
        let input = users::NewUser {
            profile: federa_core::model::UserProfile {
                login: login.into(),
                email: login.into(),
                ..Default::default()
            },
            password: None,
            group_ids: vec![],
        };
        let ctx = &ctx;
        let a = &a;
        async move {
            let mut u = users::prepare(ctx, &a.id, input, true).await.unwrap();
            u.status = UserStatus::Active;
            u
        }
    };
    // Both written.
    let carol = new_user("carol@a.test").await;
    ctx.store
        .create_linked_user(&carol, &idp, "sub-3", now)
        .await
        .unwrap();
    let got = ctx
        .store
        .linked_user_record(&a.id, &idp, "sub-3")
        .await
        .unwrap()
        .expect("linked");
    assert_eq!((got.id, got.status), (carol.id, UserStatus::Active));
    // A taken login: a conflict naming the login, and no link.
    let again = new_user("alice@a.test").await;
    let err = ctx
        .store
        .create_linked_user(&again, &idp, "sub-4", now)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(w) if w == "login"),
        "{err:?}"
    );
    assert!(
        ctx.store
            .linked_user_record(&a.id, &idp, "sub-4")
            .await
            .unwrap()
            .is_none()
    );
    // An account linked meanwhile: a conflict naming the link, and no user.
    let dave = new_user("dave@a.test").await;
    let err = ctx
        .store
        .create_linked_user(&dave, &idp, "sub-1", now)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(w) if w == LINKED),
        "{err:?}"
    );
    assert!(
        ctx.store
            .user_by_login(&a.id, "dave@a.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ctx.store
            .user_by_id(&a.id, &dave.id)
            .await
            .unwrap()
            .is_none()
    );
}
contract_test!(
    links_and_provisioning_test,
    links_are_kept_and_provisioning_is_all_or_nothing
);
