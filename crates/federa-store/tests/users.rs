//! User writes that race on both databases: a profile update writes the profile (and
//! password) only, so a deactivation or lockout that lands while it runs is kept; status
//! changes are a compare-and-set on the status they were decided from; a deactivation
//! revokes the user's OAuth tokens with their sessions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::{Engine, UserProfile, UserStatus};
use federa_core::ports::StatusChange;
use federa_core::service::{orgs, users};
use federa_testkit::{TestDb, contract_test};
use federa_types::{OrgId, Secret, UserId};

async fn setup(db: &TestDb) -> (federa_core::Ctx, OrgId, UserId) {
    let ctx = federa_testkit::ctx(db.store().await);
    let org = orgs::create(&ctx, "A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let input = users::NewUser {
        profile: profile("u@a.test", "First"),
        password: Some(Secret::new("correct horse battery".into())),
        group_ids: vec![],
    };
    let u = users::create(&ctx, &org.id, input, true).await.unwrap();
    assert_eq!(u.status, UserStatus::Active);
    (ctx, org.id, u.id)
}

/// Three wrong passwords: the user is LOCKED_OUT.
async fn lock_out(ctx: &federa_core::Ctx, org: &OrgId, user: &UserId) {
    for _ in 0..3 {
        ctx.store
            .record_failed_sign_in(org, user, 3, ctx.clock.now())
            .await
            .unwrap();
    }
}

fn profile(login: &str, first: &str) -> UserProfile {
    UserProfile {
        login: login.into(),
        email: login.into(),
        first_name: Some(first.into()),
        ..Default::default()
    }
}

/// A profile update with a new password hashes it after loading the user. A deactivation
/// made during the hash used to be undone: the update wrote its whole loaded copy back,
/// status ACTIVE included. Now the user stays DEPROVISIONED and the update still lands.
async fn a_profile_update_keeps_a_deactivation_made_meanwhile(db: &TestDb) {
    let (ctx, org, user) = setup(db).await;
    let before = users::get(&ctx, &org, user.as_str()).await.unwrap();
    let (updated, deactivated) = tokio::join!(
        users::update(
            &ctx,
            &org,
            user.as_str(),
            profile("u@a.test", "Second"),
            Some(Secret::new("another good passphrase".into())),
        ),
        users::lifecycle(&ctx, &org, user.as_str(), users::Lifecycle::Deactivate),
    );
    assert_eq!(deactivated.unwrap().status, UserStatus::Deprovisioned);
    let updated = updated.unwrap();
    assert_eq!(
        updated.status,
        UserStatus::Deprovisioned,
        "returned as stored"
    );
    let stored = users::get(&ctx, &org, user.as_str()).await.unwrap();
    assert_eq!(stored.status, UserStatus::Deprovisioned);
    assert_eq!(stored.profile.first_name.as_deref(), Some("Second"));
    assert_ne!(
        stored.password_hash.as_ref().map(|h| h.expose().clone()),
        before.password_hash.as_ref().map(|h| h.expose().clone()),
        "the new password is stored"
    );
    assert!(stored.password_changed.is_some());
}
contract_test!(
    a_profile_update_keeps_a_deactivation_made_meanwhile_test,
    a_profile_update_keeps_a_deactivation_made_meanwhile
);

/// The store's profile write leaves status, failed sign-ins and last login as stored, and
/// the password when none is given; a taken login is a conflict with nothing written.
async fn the_profile_write_touches_nothing_else(db: &TestDb) {
    let (ctx, org, user) = setup(db).await;
    let now = ctx.clock.now();
    lock_out(&ctx, &org, &user).await;
    let locked = users::get(&ctx, &org, user.as_str()).await.unwrap();
    assert_eq!(
        (locked.status, locked.failed_logins),
        (UserStatus::LockedOut, 3)
    );
    let later = now.plus_millis(5_000);
    let after = ctx
        .store
        .update_user_profile(&org, &user, &profile("v@a.test", "Renamed"), None, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (after.status, after.failed_logins),
        (UserStatus::LockedOut, 3)
    );
    assert_eq!(after.status_changed, locked.status_changed);
    assert_eq!(after.last_updated, later);
    assert_eq!(after.profile.login, "v@a.test");
    assert_eq!(
        after.password_hash.as_ref().map(|h| h.expose().clone()),
        locked.password_hash.as_ref().map(|h| h.expose().clone())
    );
    assert_eq!(after.password_changed, locked.password_changed);
    // Found by its new login, case-insensitively.
    assert_eq!(
        ctx.store
            .user_by_login(&org, "V@A.TEST")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(user.clone())
    );
    let other = users::create(
        &ctx,
        &org,
        users::NewUser {
            profile: profile("w@a.test", "Other"),
            password: None,
            group_ids: vec![],
        },
        true,
    )
    .await
    .unwrap();
    let taken = ctx
        .store
        .update_user_profile(&org, &other.id, &profile("V@a.test", "Thief"), None, later)
        .await;
    assert!(
        matches!(taken, Err(federa_core::ports::StoreError::Conflict(_))),
        "{taken:?}"
    );
    let kept = users::get(&ctx, &org, other.id.as_str()).await.unwrap();
    assert_eq!(kept.profile.first_name.as_deref(), Some("Other"));
    let missing = UserId::parse("00uAAAAAAAAAAAAAAAAA").unwrap();
    assert!(
        ctx.store
            .update_user_profile(&org, &missing, &profile("x@a.test", "X"), None, later)
            .await
            .unwrap()
            .is_none()
    );
}
contract_test!(
    the_profile_write_touches_nothing_else_test,
    the_profile_write_touches_nothing_else
);

/// A status change names the status it starts from: when the stored one differs (a
/// deactivation landed first), nothing is written, and an unlock cannot reactivate a
/// deactivated user.
async fn status_changes_are_compare_and_set(db: &TestDb) {
    let (ctx, org, user) = setup(db).await;
    let now = ctx.clock.now();
    lock_out(&ctx, &org, &user).await;
    let change = |from, to, reset_failed| StatusChange {
        org: &org,
        id: &user,
        from,
        to,
        now,
        activation: false,
        reset_failed,
    };
    // An unlock decided from LOCKED_OUT, and a deactivation that lands before it.
    assert!(
        ctx.store
            .change_user_status(&change(
                UserStatus::LockedOut,
                UserStatus::Deprovisioned,
                false
            ))
            .await
            .unwrap()
    );
    assert!(
        !ctx.store
            .change_user_status(&change(UserStatus::LockedOut, UserStatus::Active, true))
            .await
            .unwrap(),
        "the unlock finds the user no longer LOCKED_OUT"
    );
    let stored = users::get(&ctx, &org, user.as_str()).await.unwrap();
    assert_eq!(
        stored.token_gen, 1,
        "the deactivation revoked the user's tokens"
    );
    assert_eq!(
        (stored.status, stored.failed_logins),
        (UserStatus::Deprovisioned, 3),
        "nothing of the unlock was written"
    );
    // The service decides again from the new status: unlocking a deactivated user is a
    // conflict, not a reactivation.
    let unlock = users::lifecycle(&ctx, &org, user.as_str(), users::Lifecycle::Unlock).await;
    assert!(
        matches!(unlock, Err(federa_core::CoreError::Conflict(_))),
        "{unlock:?}"
    );
    let missing = UserId::parse("00uAAAAAAAAAAAAAAAAA").unwrap();
    let gone = StatusChange {
        id: &missing,
        ..change(UserStatus::Active, UserStatus::Deprovisioned, false)
    };
    assert!(!ctx.store.change_user_status(&gone).await.unwrap());
    // Activation sets `activated` once and keeps the first time.
    let first = users::get(&ctx, &org, user.as_str())
        .await
        .unwrap()
        .activated;
    assert!(first.is_some());
    let later = now.plus_millis(60_000);
    let activate = StatusChange {
        now: later,
        activation: true,
        ..change(UserStatus::Deprovisioned, UserStatus::Active, false)
    };
    assert!(ctx.store.change_user_status(&activate).await.unwrap());
    let stored = users::get(&ctx, &org, user.as_str()).await.unwrap();
    assert_eq!(stored.status, UserStatus::Active);
    assert_eq!(stored.token_gen, 1, "an activation revokes nothing");
    assert_eq!(stored.activated, first);
    assert_eq!(stored.status_changed, Some(later));
}
contract_test!(
    status_changes_are_compare_and_set_test,
    status_changes_are_compare_and_set
);
