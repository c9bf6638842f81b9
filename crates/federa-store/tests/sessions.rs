//! Session lifetimes and rotation on both databases, with a clock the test moves: idle and
//! absolute lifetimes from the global session policy rule, rotation on elevation (the old
//! cookie stops working), end, and that a cookie of one org is nothing in another.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::model::Engine;
use federa_core::model::session::StoredFlow;
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
        // With a password, so that activation makes the user ACTIVE (a sign-in commit needs it).
        password: Some(federa_types::Secret::new("correct horse battery".into())),
        group_ids: vec![],
    };
    let u = users::create(&ctx, &org.id, input, true).await.unwrap();
    assert_eq!(u.status, federa_core::model::UserStatus::Active);
    (ctx, clock, org, u.id)
}

/// Whether `cookie` is a live session of `org`.
async fn signed_in(ctx: &federa_core::Ctx, org: &federa_types::OrgId, cookie: &str) -> bool {
    sessions::current(ctx, org, Some(cookie))
        .await
        .unwrap()
        .is_some()
}

/// A sign-in flow stored for `cookie`, expiring in a minute.
async fn saved_flow(ctx: &federa_core::Ctx, org: &federa_types::OrgId, cookie: &str) -> StoredFlow {
    let now = ctx.clock.now();
    let flow = StoredFlow {
        id_hash: sessions::hash_token(cookie),
        org_id: org.clone(),
        created: now,
        expires_at: now.plus_millis(60_000),
        state: serde_json::json!({}),
    };
    ctx.store.create_flow(&flow).await.unwrap();
    flow
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
        !signed_in(&ctx, &org.id, cookie.expose()).await,
        "idle lifetime"
    );
    // Without settings: the default idle time of two hours, no absolute limit.
    let (cookie, _) = sessions::create(&ctx, &org.id, &user, vec![], None, None)
        .await
        .unwrap();
    clock.advance(119 * 60_000);
    assert!(signed_in(&ctx, &org.id, cookie.expose()).await);
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
        !signed_in(&ctx, &org.id, old.expose()).await,
        "the old id is dead"
    );
    assert!(signed_in(&ctx, &org.id, new.expose()).await);
    // Another org never finds it.
    let other = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    assert!(!signed_in(&ctx, &other.id, new.expose()).await);
    sessions::end(&ctx, &org.id, Some(new.expose()))
        .await
        .unwrap();
    assert!(!signed_in(&ctx, &org.id, new.expose()).await);
    // Garbage cookies are simply no session.
    for bad in ["", "x", &"y".repeat(4000)] {
        assert!(!signed_in(&ctx, &org.id, bad).await);
    }
}
contract_test!(elevation_rotates_the_id_test, elevation_rotates_the_id);

/// Rotating a flow's cookie moves the flow to the new id in one statement: the old id finds
/// nothing afterwards, the new one finds the saved state, and another org's flow with the same
/// old id cannot be moved.
async fn rekey_moves_a_flow_to_its_new_id(db: &TestDb) {
    use federa_types::Clock;
    let (ctx, clock, org, _) = setup(db).await;
    let other = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let now = clock.now();
    let flow = StoredFlow {
        id_hash: "old".into(),
        org_id: org.id.clone(),
        created: now,
        expires_at: Timestamp(now.0 + 600_000),
        state: serde_json::json!({"step": "password"}),
    };
    ctx.store.create_flow(&flow).await.unwrap();
    let moved = StoredFlow {
        id_hash: "new".into(),
        state: serde_json::json!({"step": "choose"}),
        ..flow.clone()
    };
    // The same old id in another org is not this flow.
    let foreign = StoredFlow {
        org_id: other.id.clone(),
        ..moved.clone()
    };
    assert!(!ctx.store.rekey_flow("old", &foreign).await.unwrap());
    assert!(ctx.store.rekey_flow("old", &moved).await.unwrap());
    assert!(
        ctx.store
            .flow_by_hash(&org.id, "old", now)
            .await
            .unwrap()
            .is_none()
    );
    let got = ctx
        .store
        .flow_by_hash(&org.id, "new", now)
        .await
        .unwrap()
        .expect("moved flow");
    assert_eq!(got.state, serde_json::json!({"step": "choose"}));
    // A second rekey from the old id finds nothing.
    assert!(!ctx.store.rekey_flow("old", &moved).await.unwrap());
}
contract_test!(
    rekey_moves_a_flow_to_its_new_id_test,
    rekey_moves_a_flow_to_its_new_id
);

/// `list_org_rules` returns exactly the org's rules, each policy's in the order `list_rules`
/// gives (sign-in loads the policies with it in two queries).
async fn org_rules_in_one_query_match_per_policy_lists(db: &TestDb) {
    let (ctx, _, org, _) = setup(db).await;
    let other = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let all = ctx.store.list_org_rules(&org.id).await.unwrap();
    let mut expected = Vec::new();
    for p in ctx.store.list_policies(&org.id, None).await.unwrap() {
        expected.extend(ctx.store.list_rules(&org.id, &p.id).await.unwrap());
    }
    assert!(!expected.is_empty(), "a new org has default rules");
    let ids = |v: &[federa_core::model::StoredRule]| {
        let mut by_policy: Vec<(String, Vec<String>)> = Vec::new();
        for r in v {
            match by_policy
                .iter_mut()
                .find(|(p, _)| *p == r.policy_id.as_str())
            {
                Some((_, l)) => l.push(r.id.to_string()),
                None => by_policy.push((r.policy_id.to_string(), vec![r.id.to_string()])),
            }
        }
        by_policy.sort();
        by_policy
    };
    assert_eq!(ids(&all), ids(&expected));
    assert!(all.iter().all(|r| r.org_id == org.id));
    let theirs = ctx.store.list_org_rules(&other.id).await.unwrap();
    assert!(theirs.iter().all(|r| r.org_id == other.id));
    assert!(!theirs.iter().any(|r| all.iter().any(|m| m.id == r.id)));
}
contract_test!(
    org_rules_in_one_query_match_per_policy_lists_test,
    org_rules_in_one_query_match_per_policy_lists
);

/// The writes that end a sign-in happen together: session, events (with their targets, in
/// order), the user's fields, the flow's and a replaced session's removal; rows of another org
/// are refused with nothing written.
async fn sign_in_commit_is_all_or_nothing(db: &TestDb) {
    use federa_core::ports::SignInCommit;
    use federa_core::service::syslog::{self, LogEventInput, LogListParams, LogTarget};
    let (ctx, _clock, org, user) = setup(db).await;
    let other = orgs::create(&ctx, "B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let now = ctx.clock.now();
    let flow = saved_flow(&ctx, &org.id, "flow-cookie").await;
    let (old_cookie, old) = sessions::create(&ctx, &org.id, &user, vec![], None, None)
        .await
        .unwrap();
    let (cookie, session) = sessions::new_session(&ctx, &org.id, &user, vec![], None, None);
    let mut u = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    u.last_login = Some(now);
    u.failed_logins = 0;
    let event = |t: &str| {
        syslog::prepare(
            &ctx,
            &org.id,
            LogEventInput {
                targets: vec![LogTarget::new(user.as_str(), "User")],
                ..LogEventInput::new(t, "m")
            },
        )
        .unwrap()
    };
    let events = vec![event("test.first"), event("test.second")];
    let commit = SignInCommit {
        org: &org.id,
        session: &session,
        events: &events,
        user: Some(&u),
        flow_hash: Some(&flow.id_hash),
        replaced_session: Some(&old.id_hash),
        once: &[],
    };
    // Another org's view of the same writes is refused and writes nothing.
    let foreign = SignInCommit {
        org: &other.id,
        ..commit
    };
    assert!(ctx.store.commit_sign_in(&foreign).await.is_err());
    assert!(!signed_in(&ctx, &org.id, cookie.expose()).await);
    assert!(
        ctx.store
            .flow_by_hash(&org.id, &flow.id_hash, now)
            .await
            .unwrap()
            .is_some()
    );
    ctx.store.commit_sign_in(&commit).await.unwrap();
    assert!(
        signed_in(&ctx, &org.id, cookie.expose()).await,
        "the new session works"
    );
    assert!(
        !signed_in(&ctx, &org.id, old_cookie.expose()).await,
        "the replaced session is gone"
    );
    assert!(
        ctx.store
            .flow_by_hash(&org.id, &flow.id_hash, now)
            .await
            .unwrap()
            .is_none(),
        "the flow is gone"
    );
    let stored = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    assert_eq!(stored.last_login, Some(now));
    let listed = syslog::list(
        &ctx,
        &org.id,
        &LogListParams {
            filter: Some(format!("target.id eq \"{}\"", user.as_str())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let types: Vec<&str> = listed
        .page
        .items
        .iter()
        .map(|e| e.event_type.as_str())
        .filter(|t| t.starts_with("test."))
        .collect();
    assert_eq!(
        types,
        ["test.first", "test.second"],
        "both, in order, by target"
    );
    // A second commit of the same session id fails as a whole: no duplicate events.
    assert!(ctx.store.commit_sign_in(&commit).await.is_err());
    let again = syslog::list(&ctx, &org.id, &LogListParams::default())
        .await
        .unwrap();
    assert_eq!(
        again
            .page
            .items
            .iter()
            .filter(|e| e.event_type.starts_with("test."))
            .count(),
        2
    );
}
contract_test!(
    sign_in_commit_is_all_or_nothing_test,
    sign_in_commit_is_all_or_nothing
);

/// A sign-in commit that fails after the session was written (one of its System Log events
/// is already stored: the event id clashes) leaves nothing behind: no session, no event, no
/// sign-in time on the user, the flow still there.
async fn sign_in_commit_failing_late_writes_nothing(db: &TestDb) {
    use federa_core::ports::{SignInCommit, StoreError};
    use federa_core::service::syslog::{self, LogEventInput, LogListParams};
    let (ctx, clock, org, user) = setup(db).await;
    let flow = saved_flow(&ctx, &org.id, "late-flow").await;
    let stored = syslog::prepare(&ctx, &org.id, LogEventInput::new("test.stored", "m")).unwrap();
    let (_, first) = sessions::new_session(&ctx, &org.id, &user, vec![], None, None);
    ctx.store
        .commit_sign_in(&SignInCommit {
            org: &org.id,
            session: &first,
            events: std::slice::from_ref(&stored),
            user: None,
            flow_hash: None,
            replaced_session: None,
            once: &[],
        })
        .await
        .unwrap();
    clock.advance(5_000);
    let now = ctx.clock.now();
    let (cookie, session) = sessions::new_session(&ctx, &org.id, &user, vec![], None, None);
    let mut u = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    let before = u.last_login;
    u.last_login = Some(now);
    let late = syslog::prepare(&ctx, &org.id, LogEventInput::new("test.late", "m")).unwrap();
    let events = vec![late, stored];
    let commit = SignInCommit {
        org: &org.id,
        session: &session,
        events: &events,
        user: Some(&u),
        flow_hash: Some(&flow.id_hash),
        replaced_session: None,
        once: &[],
    };
    let err = ctx.store.commit_sign_in(&commit).await.unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(_)), "{err:?}");
    assert!(
        !signed_in(&ctx, &org.id, cookie.expose()).await,
        "no session"
    );
    assert!(
        ctx.store
            .flow_by_hash(&org.id, &flow.id_hash, now)
            .await
            .unwrap()
            .is_some(),
        "the flow is kept"
    );
    let listed = syslog::list(&ctx, &org.id, &LogListParams::default())
        .await
        .unwrap();
    let late_events = listed
        .page
        .items
        .iter()
        .filter(|e| e.event_type == "test.late")
        .count();
    assert_eq!(late_events, 0, "no event");
    assert_eq!(
        users::get(&ctx, &org.id, user.as_str())
            .await
            .unwrap()
            .last_login,
        before,
        "no sign-in time"
    );
    // The store is usable afterwards (on SQLite: the connection left no transaction open).
    let (c2, s2) = sessions::new_session(&ctx, &org.id, &user, vec![], None, None);
    ctx.store
        .commit_sign_in(&SignInCommit {
            org: &org.id,
            session: &s2,
            events: &events[..1],
            user: Some(&u),
            flow_hash: Some(&flow.id_hash),
            replaced_session: None,
            once: &[],
        })
        .await
        .unwrap();
    assert!(signed_in(&ctx, &org.id, c2.expose()).await);
    let after = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    assert_eq!(after.last_login, Some(now));
}
contract_test!(
    sign_in_commit_failing_late_writes_nothing_test,
    sign_in_commit_failing_late_writes_nothing
);

/// A sign-in commit records only the sign-in on the user's row (its time, the failed-password
/// count): what an administrator changed while the sign-in ran (the profile) is kept, not
/// overwritten with the copy the sign-in loaded. A user deactivated while signing in gets no
/// session: the commit fails naming `ACTIVE_USER` and writes nothing.
async fn sign_in_commit_keeps_concurrent_user_changes(db: &TestDb) {
    use federa_core::model::UserStatus;
    use federa_core::ports::{ACTIVE_USER, SignInCommit, StoreError};
    use federa_core::service::syslog::{self, LogEventInput};
    let (ctx, clock, org, user) = setup(db).await;
    let mut loaded = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    let mut profile = loaded.profile.clone();
    profile.first_name = Some("Changed".into());
    users::update(&ctx, &org.id, user.as_str(), profile, None)
        .await
        .unwrap();
    clock.advance(1_000);
    let first = ctx.clock.now();
    loaded.last_login = Some(first);
    loaded.failed_logins = 0;
    let (cookie, session) = sessions::new_session(&ctx, &org.id, &user, vec![], None, None);
    ctx.store
        .commit_sign_in(&SignInCommit {
            org: &org.id,
            session: &session,
            events: &[],
            user: Some(&loaded),
            flow_hash: None,
            replaced_session: None,
            once: &[],
        })
        .await
        .unwrap();
    assert!(signed_in(&ctx, &org.id, cookie.expose()).await);
    let stored = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    assert_eq!(stored.last_login, Some(first));
    assert_eq!(stored.profile.first_name.as_deref(), Some("Changed"));
    assert_eq!(stored.status, UserStatus::Active);

    // Deactivated after the sign-in loaded the user (still ACTIVE in that copy), before its
    // commit: deactivation ends the user's sessions, and the commit writes nothing.
    let flow = saved_flow(&ctx, &org.id, "deactivated-flow").await;
    users::lifecycle(&ctx, &org.id, user.as_str(), users::Lifecycle::Deactivate)
        .await
        .unwrap();
    assert!(
        !signed_in(&ctx, &org.id, cookie.expose()).await,
        "deactivation ends the sessions"
    );
    clock.advance(1_000);
    let now = ctx.clock.now();
    loaded.last_login = Some(now);
    let event =
        syslog::prepare(&ctx, &org.id, LogEventInput::new("test.deactivated", "m")).unwrap();
    let (cookie, session) = sessions::new_session(&ctx, &org.id, &user, vec![], None, None);
    let err = ctx
        .store
        .commit_sign_in(&SignInCommit {
            org: &org.id,
            session: &session,
            events: std::slice::from_ref(&event),
            user: Some(&loaded),
            flow_hash: Some(&flow.id_hash),
            replaced_session: None,
            once: &[],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::MissingReference(w) if w == ACTIVE_USER),
        "{err:?}"
    );
    assert!(
        !signed_in(&ctx, &org.id, cookie.expose()).await,
        "no session"
    );
    assert!(
        ctx.store
            .flow_by_hash(&org.id, &flow.id_hash, now)
            .await
            .unwrap()
            .is_some(),
        "the flow is kept"
    );
    let listed = syslog::list(&ctx, &org.id, &Default::default())
        .await
        .unwrap();
    assert!(
        !listed
            .page
            .items
            .iter()
            .any(|e| e.event_type == "test.deactivated"),
        "no event"
    );
    let stored = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    assert_eq!(stored.status, UserStatus::Deprovisioned);
    assert_eq!(stored.last_login, Some(first), "no sign-in time");
}
contract_test!(
    sign_in_commit_keeps_concurrent_user_changes_test,
    sign_in_commit_keeps_concurrent_user_changes
);

/// A sign-in commit records its single-use values with it: the first commit with a value
/// succeeds; a second one with the same live value writes nothing at all (no session, no
/// event, its flow kept) and fails naming `REPLAYED`; once the record has expired the value
/// is taken again.
async fn sign_in_commit_records_single_use_values(db: &TestDb) {
    use federa_core::ports::{OnceMark, REPLAYED, SignInCommit, StoreError};
    use federa_core::service::syslog::{self, LogEventInput, LogListParams};
    let (ctx, clock, org, user) = setup(db).await;
    let mark = OnceMark {
        namespace: "idp-id-token".into(),
        key: "token-hash-1".into(),
        expires_at: ctx.clock.now().plus_millis(60_000),
    };
    let commit_with = |flow: &'static str, event: &'static str| {
        let ctx = ctx.clone();
        let org = org.id.clone();
        let user = user.clone();
        let mark = mark.clone();
        async move {
            let flow = saved_flow(&ctx, &org, flow).await;
            let (cookie, session) = sessions::new_session(&ctx, &org, &user, vec![], None, None);
            let events = vec![syslog::prepare(&ctx, &org, LogEventInput::new(event, "m")).unwrap()];
            let r = ctx
                .store
                .commit_sign_in(&SignInCommit {
                    org: &org,
                    session: &session,
                    events: &events,
                    user: None,
                    flow_hash: Some(&flow.id_hash),
                    replaced_session: None,
                    once: std::slice::from_ref(&mark),
                })
                .await;
            let live = ctx
                .store
                .flow_by_hash(&org, &flow.id_hash, ctx.clock.now())
                .await
                .unwrap()
                .is_some();
            let signed_in = signed_in(&ctx, &org, cookie.expose()).await;
            (r, live, signed_in)
        }
    };
    let logged = |event: &'static str| {
        let ctx = ctx.clone();
        let org = org.id.clone();
        async move {
            syslog::list(&ctx, &org, &LogListParams::default())
                .await
                .unwrap()
                .page
                .items
                .iter()
                .any(|e| e.event_type == event)
        }
    };
    let (r, flow_left, signed_in) = commit_with("once-1", "test.once.first").await;
    r.unwrap();
    assert!(!flow_left && signed_in, "the first commit is whole");
    assert!(logged("test.once.first").await);

    let (r, flow_left, signed_in) = commit_with("once-2", "test.once.replay").await;
    let err = r.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(what) if what == REPLAYED),
        "{err:?}"
    );
    assert!(flow_left, "the replay's flow is kept");
    assert!(!signed_in, "no session for the replay");
    assert!(!logged("test.once.replay").await, "no event for the replay");

    // Past its expiry the record no longer blocks the value.
    clock.advance(61_000);
    let (r, flow_left, signed_in) = commit_with("once-3", "test.once.later").await;
    r.unwrap();
    assert!(!flow_left && signed_in);
}
contract_test!(
    sign_in_commit_records_single_use_values_test,
    sign_in_commit_records_single_use_values
);

/// Failed sign-ins are counted from the stored value (not from a copy loaded earlier), lock
/// the user at the threshold and write nothing else; a user who is not ACTIVE is not counted.
/// A correct password resets the count alone.
async fn failed_sign_ins_count_from_the_stored_value(db: &TestDb) {
    use federa_core::model::UserStatus;
    use federa_core::ports::FailedSignIn;
    let (ctx, clock, org, user) = setup(db).await;
    let mut profile = users::get(&ctx, &org.id, user.as_str())
        .await
        .unwrap()
        .profile;
    profile.first_name = Some("Kept".into());
    users::update(&ctx, &org.id, user.as_str(), profile, None)
        .await
        .unwrap();
    let count = |lock_at| {
        let (ctx, org, user) = (&ctx, &org, &user);
        async move {
            ctx.store
                .record_failed_sign_in(&org.id, user, lock_at, ctx.clock.now())
                .await
                .unwrap()
        }
    };
    for n in 1..=2 {
        assert_eq!(
            count(3).await,
            Some(FailedSignIn {
                failed_logins: n,
                locked: false
            })
        );
    }
    ctx.store
        .reset_failed_sign_ins(&org.id, &user)
        .await
        .unwrap();
    for n in 1..=2 {
        assert_eq!(count(3).await.map(|c| c.failed_logins), Some(n));
    }
    clock.advance(1_000);
    let locked_at = ctx.clock.now();
    assert_eq!(
        count(3).await,
        Some(FailedSignIn {
            failed_logins: 3,
            locked: true
        })
    );
    let stored = users::get(&ctx, &org.id, user.as_str()).await.unwrap();
    assert_eq!(stored.status, UserStatus::LockedOut);
    assert_eq!(stored.status_changed, Some(locked_at));
    assert_eq!(stored.failed_logins, 3);
    assert_eq!(stored.profile.first_name.as_deref(), Some("Kept"));
    // Locked (not ACTIVE): not counted, nothing written.
    assert_eq!(count(3).await, None);
    assert_eq!(
        users::get(&ctx, &org.id, user.as_str())
            .await
            .unwrap()
            .failed_logins,
        3
    );
    let missing = federa_types::UserId::parse("00uAAAAAAAAAAAAAAAAA").unwrap();
    assert_eq!(
        ctx.store
            .record_failed_sign_in(&org.id, &missing, 3, ctx.clock.now())
            .await
            .unwrap(),
        None
    );
}
contract_test!(
    failed_sign_ins_count_from_the_stored_value_test,
    failed_sign_ins_count_from_the_stored_value
);
