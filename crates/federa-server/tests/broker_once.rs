//! The single-use record of a federated sign-in's upstream response (the ID token or SAML
//! assertion) is written with the sign-in's own last write, on both databases: a value used
//! once completes; the same value again, whether it would end in a session (one commit) or in
//! a local top-up (the step's writes), is refused as a replay and leaves no session, no
//! System Log event and the flow as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_claims::{AuthenticatorKey, MethodFlags, MethodType, local_verification};
use federa_core::model::{Engine, UserStatus};
use federa_core::ports::OnceMark;
use federa_core::service::sessions::hash_token;
use federa_core::service::signin::{self, Advance, Client};
use federa_core::service::syslog::{self, LogEventInput, LogListParams};
use federa_core::service::{orgs, policies};
use federa_testkit::{TestDb, contract_test};
use federa_types::IdpId;

fn mark(key: &str, ctx: &federa_core::Ctx) -> OnceMark {
    OnceMark {
        namespace: "idp-id-token".into(),
        key: key.into(),
        expires_at: ctx.clock.now().plus_millis(600_000),
    }
}

async fn events_of(ctx: &federa_core::Ctx, org: &federa_types::OrgId, kind: &str) -> usize {
    syslog::list(ctx, org, &LogListParams::default())
        .await
        .unwrap()
        .page
        .items
        .iter()
        .filter(|e| e.event_type == kind)
        .count()
}

async fn a_replayed_response_is_refused_at_its_last_write(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let org = orgs::create(&ctx, "Hub", &["hub.test".into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let mut user = federa_testkit::active_user(&ctx, &org.id, "fed@hub.test").await;
    if user.status != UserStatus::Active {
        let change = federa_core::ports::StatusChange {
            org: &org.id,
            id: &user.id,
            from: user.status,
            to: UserStatus::Active,
            now: ctx.clock.now(),
            activation: true,
            reset_failed: false,
        };
        assert!(ctx.store.change_user_status(&change).await.unwrap());
        user.status = UserStatus::Active;
    }
    let idp = IdpId::parse("0oa1aaaaaaaaaaaaaaa1").unwrap();
    let client = Client {
        ip: Some("203.0.113.9".into()),
        user_agent: None,
        request_id: None,
    };
    let password = local_verification(
        &AuthenticatorKey::OktaPassword,
        &MethodType::Password,
        MethodFlags::NONE,
        ctx.clock.now(),
    )
    .unwrap();
    let event = |tag: &str| LogEventInput::new("user.authentication.auth_via_IDP", tag);
    // One federated continuation on a new flow; returns the outcome and whether the flow the
    // browser holds is still stored.
    let run =
        |credited: Vec<federa_claims::FactorVerification>, once: OnceMark, tag: &'static str| {
            let (ctx, org, user, idp, client) = (
                ctx.clone(),
                org.clone(),
                user.clone(),
                idp.clone(),
                client.clone(),
            );
            async move {
                let (cookie, mut flow) = signin::start(&ctx, &org, Some("/me")).await.unwrap();
                let r = signin::continue_federated(
                    &ctx,
                    &org,
                    &mut flow,
                    user,
                    credited,
                    (idp, ctx.clock.now()),
                    &client,
                    event(tag),
                    vec![once],
                    None,
                )
                .await;
                let kept = ctx
                    .store
                    .flow_by_hash(&org.id, &hash_token(cookie.expose()), ctx.clock.now())
                    .await
                    .unwrap();
                (r, kept)
            }
        };

    // With the password credited the default policies allow: one commit.
    let (r, kept) = run(vec![password.clone()], mark("token-1", &ctx), "first").await;
    assert!(matches!(r, Ok(Advance::Done { .. })), "{r:?}");
    assert!(kept.is_none(), "the flow ends with the session");
    let sessions_before = events_of(&ctx, &org.id, "user.session.start").await;
    let idp_events = events_of(&ctx, &org.id, "user.authentication.auth_via_IDP").await;

    let (r, kept) = run(vec![password.clone()], mark("token-1", &ctx), "again").await;
    let err = r.expect_err("the same token again is refused");
    assert!(signin::is_replayed(&err), "{err:?}");
    let kept = kept.expect("the replay's flow is left as it was");
    for (field, untouched) in [
        ("user_id", serde_json::Value::Null),
        ("idp", serde_json::Value::Null),
        ("verifications", serde_json::json!([])),
        ("step", serde_json::json!({"step": "identify"})),
    ] {
        assert_eq!(
            kept.state[field], untouched,
            "the replay saved nothing in its flow ({field})"
        );
    }
    assert_eq!(
        events_of(&ctx, &org.id, "user.session.start").await,
        sessions_before,
        "no session"
    );
    assert_eq!(
        events_of(&ctx, &org.id, "user.authentication.auth_via_IDP").await,
        idp_events,
        "no event"
    );

    // A global session rule that wants MFA and nothing credited (the IdP sign-in is the one
    // factor): the policies want a local factor (a top-up, not a commit); the record is written with that step's
    // writes, and a replay of it is refused there too.
    let gsp = policies::list(&ctx, &org.id, Some("OKTA_SIGN_ON"))
        .await
        .unwrap();
    policies::create_rule(
        &ctx,
        &org.id,
        gsp[0].id.as_str(),
        &serde_json::json!({"name": "MFA", "priority": 1, "actions": {"signon": {
            "access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS",
            "primaryFactor": "PASSWORD_IDP"}}}),
        true,
    )
    .await
    .unwrap();
    let (r, _) = run(vec![], mark("token-2", &ctx), "topup").await;
    assert!(
        matches!(r, Ok(Advance::ContinueWith { .. })),
        "a local top-up: {r:?}"
    );
    let idp_events = events_of(&ctx, &org.id, "user.authentication.auth_via_IDP").await;
    let (r, kept) = run(vec![], mark("token-2", &ctx), "topup-again").await;
    let err = r.expect_err("the same token again is refused");
    assert!(signin::is_replayed(&err), "{err:?}");
    assert!(kept.is_some());
    assert_eq!(
        events_of(&ctx, &org.id, "user.authentication.auth_via_IDP").await,
        idp_events,
        "no event for the replayed top-up"
    );
}
contract_test!(
    a_replayed_response_is_refused_at_its_last_write_test,
    a_replayed_response_is_refused_at_its_last_write
);
