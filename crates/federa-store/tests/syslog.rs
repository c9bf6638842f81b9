//! Contract of the System Log store (`federa_core::service::syslog` over `LogRepo`), run on
//! SQLite and PostgreSQL: events recorded at the same millisecond keep their insertion order
//! across pages in both directions, the stored event reads back unchanged, target filters use
//! the target index, purging is per org, and no query crosses orgs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_core::Ctx;
use federa_core::model::Engine;
use federa_core::service::orgs;
use federa_core::service::syslog::{
    self, LogActor, LogAuthContext, LogEvent, LogEventInput, LogListParams, LogTarget,
    OutcomeResult, Severity,
};
use federa_testkit::{TestDb, contract_test};
use federa_types::{FixedClock, OrgId, Timestamp};
use std::sync::Arc;

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

async fn all(ctx: &Ctx, org: &OrgId, mut p: LogListParams) -> Vec<LogEvent> {
    let mut out = Vec::new();
    loop {
        let r = syslog::list(ctx, org, &p).await.unwrap();
        out.extend(r.page.items);
        match r.page.next {
            Some(n) => p.after = Some(n),
            None => return out,
        }
    }
}

fn msgs(events: &[LogEvent]) -> Vec<String> {
    events.iter().map(|e| e.display_message.clone()).collect()
}

async fn same_millisecond_events_keep_insertion_order(db: &TestDb) {
    let (ctx, clock, a, _) = setup(db).await;
    for i in 0..5 {
        syslog::record(&ctx, &a, LogEventInput::new("test.event", format!("e{i}")))
            .await
            .unwrap();
    }
    clock.advance(1);
    syslog::record(&ctx, &a, LogEventInput::new("test.event", "e5"))
        .await
        .unwrap();
    let asc = all(
        &ctx,
        &a,
        LogListParams {
            limit: Some("2".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(msgs(&asc), ["e0", "e1", "e2", "e3", "e4", "e5"]);
    let desc = all(
        &ctx,
        &a,
        LogListParams {
            limit: Some("2".into()),
            sort_order: Some("DESCENDING".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(msgs(&desc), ["e5", "e4", "e3", "e2", "e1", "e0"]);
}
contract_test!(
    same_millisecond_events_keep_insertion_order_test,
    same_millisecond_events_keep_insertion_order
);

async fn events_read_back_unchanged(db: &TestDb) {
    let (ctx, _clock, a, _) = setup(db).await;
    let mut debug = serde_json::Map::new();
    debug.insert("requestUri".into(), "/login".into());
    debug.insert(
        "credited".into(),
        serde_json::json!([{"amr": "pwd", "source": "0oaIDP"}]),
    );
    let input = LogEventInput {
        severity: Severity::Warn,
        outcome_result: OutcomeResult::Failure,
        outcome_reason: Some("INVALID_CREDENTIALS".into()),
        actor: Some(LogActor::user(
            "00uA",
            "ada@example.com",
            Some("Ada L".into()),
        )),
        targets: vec![
            LogTarget::user("00uA", "ada@example.com", None),
            LogTarget::new("0oaAPP", "AppInstance").with_display_name("Portal ü"),
        ],
        client_ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0".into()),
        request_id: Some("req-1".into()),
        debug_data: debug,
        authentication_context: LogAuthContext {
            credential_type: Some("PASSWORD".into()),
            external_session_id: Some("102abc".into()),
            ..Default::default()
        },
        ..LogEventInput::new("user.session.start", "User login to Okta")
    };
    syslog::record(&ctx, &a, input.clone()).await.unwrap();
    let got = all(&ctx, &a, LogListParams::default()).await;
    assert_eq!(got.len(), 1);
    let e = &got[0];
    assert_eq!(e.org_id, a);
    assert_eq!(e.published, Timestamp(T0));
    assert_eq!(e.event_type, input.event_type);
    assert_eq!(e.severity, Severity::Warn);
    assert_eq!(e.outcome_result, OutcomeResult::Failure);
    assert_eq!(e.outcome_reason, input.outcome_reason);
    assert_eq!(Some(e.actor.clone()), input.actor);
    assert_eq!(e.targets, input.targets);
    assert_eq!(e.client_ip, input.client_ip);
    assert_eq!(e.user_agent, input.user_agent);
    assert_eq!(e.request_id, input.request_id);
    assert_eq!(e.debug_data, input.debug_data);
    assert_eq!(e.authentication_context, input.authentication_context);
    assert_eq!(e.uuid.len(), 36);
}
contract_test!(events_read_back_unchanged_test, events_read_back_unchanged);

async fn target_and_keyword_filters(db: &TestDb) {
    let (ctx, _clock, a, b) = setup(db).await;
    let ev = |msg: &str, targets: Vec<LogTarget>| LogEventInput {
        targets,
        ..LogEventInput::new("user.account.update", msg)
    };
    syslog::record(&ctx, &a, ev("one", vec![LogTarget::new("00u1", "User")]))
        .await
        .unwrap();
    // A target listed twice is indexed once.
    syslog::record(
        &ctx,
        &a,
        ev(
            "two 100%_done",
            vec![
                LogTarget::new("00u1", "User"),
                LogTarget::new("00u1", "User"),
                LogTarget::new("00g2", "UserGroup").with_display_name("Admins"),
            ],
        ),
    )
    .await
    .unwrap();
    syslog::record(&ctx, &b, ev("b", vec![LogTarget::new("00u1", "User")]))
        .await
        .unwrap();
    let q = |filter: Option<&str>, q: Option<&str>| LogListParams {
        filter: filter.map(str::to_string),
        q: q.map(str::to_string),
        ..Default::default()
    };
    assert_eq!(
        msgs(&all(&ctx, &a, q(Some(r#"target.id eq "00u1""#), None)).await),
        ["one", "two 100%_done"]
    );
    assert_eq!(
        msgs(&all(&ctx, &a, q(Some(r#"target.id eq "00g2""#), None)).await),
        ["two 100%_done"]
    );
    assert_eq!(
        msgs(&all(&ctx, &a, q(None, Some("admins"))).await),
        ["two 100%_done"]
    );
    assert_eq!(
        msgs(&all(&ctx, &a, q(None, Some("100%_"))).await),
        ["two 100%_done"],
        "LIKE wildcards in q are literal"
    );
    assert!(all(&ctx, &a, q(None, Some("1000"))).await.is_empty());
    assert_eq!(
        msgs(&all(&ctx, &b, q(Some(r#"target.id eq "00u1""#), None)).await),
        ["b"]
    );
}
contract_test!(target_and_keyword_filters_test, target_and_keyword_filters);

async fn purge_is_per_org_and_by_time(db: &TestDb) {
    let (ctx, clock, a, b) = setup(db).await;
    let ev = || LogEventInput {
        targets: vec![LogTarget::new("00u1", "User")],
        ..LogEventInput::new("test.event", "old")
    };
    syslog::record(&ctx, &a, ev()).await.unwrap();
    syslog::record(&ctx, &b, ev()).await.unwrap();
    clock.advance(1000);
    syslog::record(&ctx, &a, LogEventInput::new("test.event", "new"))
        .await
        .unwrap();
    assert_eq!(
        syslog::purge(&ctx, &a, Timestamp(T0 + 1000)).await.unwrap(),
        1
    );
    assert_eq!(
        msgs(&all(&ctx, &a, LogListParams::default()).await),
        ["new"]
    );
    assert_eq!(
        msgs(&all(&ctx, &b, LogListParams::default()).await),
        ["old"]
    );
}
contract_test!(
    purge_is_per_org_and_by_time_test,
    purge_is_per_org_and_by_time
);
