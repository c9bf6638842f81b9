//! Session lifetimes and rotation on both databases, with a clock the test moves: idle and
//! absolute lifetimes from the global session policy rule, rotation on elevation (the old
//! cookie stops working), end, and that a cookie of one org is nothing in another.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::Engine;
use federa_core::service::{orgs, sessions, users};
use federa_policy::sign_on::SessionSettings;
use federa_testkit::{TestDb, contract_test};
use federa_types::{FixedClock, Timestamp};
use std::sync::Arc;

async fn setup(
    db: &TestDb,
) -> (
    federa_core::Ctx,
    Arc<FixedClock>,
    federa_core::model::Org,
    federa_types::UserId,
) {
    let clock = Arc::new(FixedClock::new(Timestamp(1_800_000_000_000)));
    let ctx = federa_testkit::ctx_with_clock(db.store().await, clock.clone());
    let org = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let input = users::NewUser {
        profile: federa_core::model::UserProfile {
            login: "s@a.test".into(),
            email: "s@a.test".into(),
            ..Default::default()
        },
        password: None,
        group_ids: vec![],
    };
    let u = users::create(&ctx, &org.id, input, true).await.unwrap();
    (ctx, clock, org, u.id)
}

async fn idle_and_absolute_lifetimes(db: &TestDb) {
    let (ctx, clock, org, user) = setup(db).await;
    let settings = SessionSettings {
        max_session_idle_minutes: 10,
        max_session_lifetime_minutes: 30,
        use_persistent_cookie: false,
    };
    let (cookie, _) = sessions::create(&ctx, &org.id, &user, vec![], Some(&settings), None)
        .await
        .unwrap();
    let c = Some(cookie.expose().as_str());
    // Activity every 9 minutes keeps it alive past the idle limit...
    for _ in 0..3 {
        clock.advance(9 * 60_000);
        assert!(sessions::current(&ctx, &org.id, c).await.unwrap().is_some());
    }
    // ...but not past the absolute lifetime (27 min so far, 36 at the next check).
    clock.advance(9 * 60_000);
    assert!(
        sessions::current(&ctx, &org.id, c).await.unwrap().is_none(),
        "absolute lifetime"
    );
    // Idle expiry.
    let (cookie, _) = sessions::create(&ctx, &org.id, &user, vec![], Some(&settings), None)
        .await
        .unwrap();
    clock.advance(10 * 60_000 + 1);
    assert!(
        sessions::current(&ctx, &org.id, Some(cookie.expose()))
            .await
            .unwrap()
            .is_none(),
        "idle lifetime"
    );
    // Without settings: the default idle time of two hours, no absolute limit.
    let (cookie, _) = sessions::create(&ctx, &org.id, &user, vec![], None, None)
        .await
        .unwrap();
    clock.advance(119 * 60_000);
    assert!(
        sessions::current(&ctx, &org.id, Some(cookie.expose()))
            .await
            .unwrap()
            .is_some()
    );
}
contract_test!(
    idle_and_absolute_lifetimes_test,
    idle_and_absolute_lifetimes
);

async fn elevation_rotates_the_id(db: &TestDb) {
    let (ctx, _clock, org, user) = setup(db).await;
    let (old, s) = sessions::create(&ctx, &org.id, &user, vec![], None, None)
        .await
        .unwrap();
    let (new, s2) = sessions::elevate(&ctx, s.clone(), vec![], None)
        .await
        .unwrap();
    assert_ne!(old.expose(), new.expose());
    assert_eq!(s.public_id, s2.public_id, "the same session, a new id");
    assert_ne!(s.csrf, s2.csrf);
    assert!(
        sessions::current(&ctx, &org.id, Some(old.expose()))
            .await
            .unwrap()
            .is_none(),
        "the old id is dead"
    );
    assert!(
        sessions::current(&ctx, &org.id, Some(new.expose()))
            .await
            .unwrap()
            .is_some()
    );
    // Another org never finds it.
    let other = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    assert!(
        sessions::current(&ctx, &other.id, Some(new.expose()))
            .await
            .unwrap()
            .is_none()
    );
    sessions::end(&ctx, &org.id, Some(new.expose()))
        .await
        .unwrap();
    assert!(
        sessions::current(&ctx, &org.id, Some(new.expose()))
            .await
            .unwrap()
            .is_none()
    );
    // Garbage cookies are simply no session.
    for bad in ["", "x", &"y".repeat(4000)] {
        assert!(
            sessions::current(&ctx, &org.id, Some(bad))
                .await
                .unwrap()
                .is_none()
        );
    }
}
contract_test!(elevation_rotates_the_id_test, elevation_rotates_the_id);
