//! Passkeys end to end on both databases, with passkey-rs's software authenticator playing the
//! browser: registration then authentication (credited as `webauthn`/`webauthn`, phishing
//! resistant, user verifying), a replayed assertion, a reused and an expired ceremony, another
//! org's credential, malformed browser JSON, discoverable (usernameless) sign-in, list and
//! delete; user verification preferred: a key without a PIN registers and signs in as a
//! possession factor, but not usernameless, and a key that verified the user at registration
//! cannot drop it later.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_claims::{AuthenticatorKey, MethodType};
use federa_core::model::{Engine, LifecycleStatus};
use federa_core::service::webauthn::{self as wa, CeremonyId, RelyingParty};
use federa_core::service::{orgs, users};
use federa_core::{CoreError, Ctx};
use federa_testkit::passkey::{self as softkey, SoftKey as SoftClient, key_with};
use federa_testkit::{TestDb, contract_test};
use federa_types::{FixedClock, OrgId, Secret, Timestamp, UserId};
use std::sync::Arc;

/// A key with a PIN, in a browser that asks for it whenever the RP prefers it.
fn software_key() -> SoftClient {
    key_with(None, true, true)
}

fn rp() -> RelyingParty {
    RelyingParty::new("spoke.localhost", "https://spoke.localhost", "Spoke")
}

/// The browser side of `navigator.credentials.create`.
async fn create(
    key: &mut SoftClient,
    rp: &RelyingParty,
    options: serde_json::Value,
) -> serde_json::Value {
    softkey::create(key, &url::Url::parse(&rp.origin).unwrap(), options).await
}

/// The browser side of `navigator.credentials.get`.
async fn get(
    key: &mut SoftClient,
    rp: &RelyingParty,
    options: serde_json::Value,
) -> serde_json::Value {
    softkey::get(key, &url::Url::parse(&rp.origin).unwrap(), options).await
}

async fn org_with_user(ctx: &Ctx, name: &str, host: &str) -> (OrgId, UserId) {
    let org = orgs::create(ctx, name, &[host.into()], Engine::Identity, "t")
        .await
        .unwrap()
        .org;
    let a = ctx
        .store
        .list_authenticators(&org.id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.key == "webauthn")
        .expect("webauthn authenticator");
    ctx.store
        .set_authenticator_status(&org.id, &a.id, LifecycleStatus::Active, ctx.clock.now())
        .await
        .unwrap();
    let input = users::NewUser {
        profile: federa_core::model::UserProfile {
            login: format!("pk@{host}"),
            email: format!("pk@{host}"),
            first_name: Some("Pat".into()),
            last_name: Some("Key".into()),
            ..Default::default()
        },
        // Sign-in is for ACTIVE users; without a password a user stays PROVISIONED.
        password: Some(Secret::new("Passw0rd-Federa-2026!".into())),
        group_ids: vec![],
    };
    let u = users::create(ctx, &org.id, input, true).await.unwrap();
    (org.id, u.id)
}

async fn setup(db: &TestDb) -> (Ctx, Arc<FixedClock>, OrgId, UserId) {
    let clock = Arc::new(FixedClock::new(Timestamp(1_800_000_000_000)));
    let ctx = federa_testkit::ctx_with_clock(db.store().await, clock.clone());
    let (org, user) = org_with_user(&ctx, "Spoke", "spoke.localhost").await;
    (ctx, clock, org, user)
}

/// Registers a passkey for `user` on a fresh software key and returns the key.
async fn register(ctx: &Ctx, org: &OrgId, user: &UserId, rp: &RelyingParty) -> SoftClient {
    let mut key = software_key();
    let (ceremony, options) = wa::start_registration(ctx, org, user, rp).await.unwrap();
    let sel = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(sel["residentKey"], "required", "{options}");
    let cred = create(&mut key, rp, options).await;
    let info = wa::finish_registration(ctx, org, user, rp, &ceremony, &cred)
        .await
        .unwrap();
    assert!(info.id.as_str().starts_with("mfa"));
    assert!(info.user_verified);
    key
}

async fn full_ceremony(db: &TestDb) {
    let (ctx, _clock, org, user) = setup(db).await;
    let rp = rp();
    let mut key = register(&ctx, &org, &user, &rp).await;
    let listed = wa::list(&ctx, &org, &user).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used, None);

    let (ceremony, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    let (who, v) = wa::finish_authentication(&ctx, &org, &rp, &ceremony, &assertion)
        .await
        .unwrap()
        .expect("assertion accepted");
    assert_eq!(who, user);
    assert_eq!(v.authenticator_key, Some(AuthenticatorKey::Webauthn));
    assert_eq!(v.method, Some(MethodType::Webauthn));
    let c = v.characteristics;
    assert!(c.user_presence && c.device_bound && c.phishing_resistant);
    assert!(c.user_verifying, "UV flag set by the authenticator");
    // The software authenticator marks its credentials backup eligible (a synced passkey):
    // no hardware-protection credit (CONTRACT §7 credits device-bound platform/roaming keys).
    assert!(
        !c.hardware_protected,
        "a synced passkey is not hardware protected"
    );
    assert!(
        wa::list(&ctx, &org, &user).await.unwrap()[0]
            .last_used
            .is_some()
    );

    // The same credential cannot be registered twice (excluded, and refused if sent anyway).
    let (ceremony, options) = wa::start_registration(&ctx, &org, &user, &rp)
        .await
        .unwrap();
    assert_eq!(
        options["publicKey"]["excludeCredentials"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let _ = ceremony;

    // Delete: gone from the list, and its assertions are no longer accepted.
    let id = listed[0].id.as_str().to_owned();
    wa::delete(&ctx, &org, &user, &id).await.unwrap();
    assert!(matches!(
        wa::delete(&ctx, &org, &user, &id).await,
        Err(CoreError::NotFound(_))
    ));
    assert!(wa::list(&ctx, &org, &user).await.unwrap().is_empty());
    let (ceremony, _) = wa::start_authentication(&ctx, &org, None, &rp)
        .await
        .unwrap();
    let (_, options) = wa::start_authentication(&ctx, &org, None, &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &ceremony, &assertion)
            .await
            .unwrap()
            .is_none()
    );
}
contract_test!(full_ceremony_credits_webauthn, full_ceremony);

async fn replay_and_reuse(db: &TestDb) {
    let (ctx, _clock, org, user) = setup(db).await;
    let rp = rp();
    let mut key = register(&ctx, &org, &user, &rp).await;
    let (c1, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &c1, &assertion)
            .await
            .unwrap()
            .is_some()
    );
    // The ceremony id is single use.
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &c1, &assertion)
            .await
            .unwrap()
            .is_none(),
        "reused ceremony"
    );
    // The same assertion against a fresh ceremony: its challenge does not match.
    let (c2, _) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &c2, &assertion)
            .await
            .unwrap()
            .is_none(),
        "replayed assertion"
    );
    // An unknown ceremony id.
    let (_, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    let fresh = get(&mut key, &rp, options).await;
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &CeremonyId::new("nope"), &fresh)
            .await
            .unwrap()
            .is_none()
    );
    // A registration ceremony is single use too.
    let (reg, options) = wa::start_registration(&ctx, &org, &user, &rp)
        .await
        .unwrap();
    let mut other = software_key();
    let cred = create(&mut other, &rp, options).await;
    wa::finish_registration(&ctx, &org, &user, &rp, &reg, &cred)
        .await
        .unwrap();
    assert!(matches!(
        wa::finish_registration(&ctx, &org, &user, &rp, &reg, &cred).await,
        Err(CoreError::Validation(e)) if e[0].field == "ceremony"
    ));
}
contract_test!(
    replayed_assertion_and_reused_ceremony_refused,
    replay_and_reuse
);

async fn expired_ceremony(db: &TestDb) {
    let (ctx, clock, org, user) = setup(db).await;
    let rp = rp();
    let mut key = register(&ctx, &org, &user, &rp).await;
    let (c, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    clock.advance(wa::CEREMONY_TTL_MS);
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &c, &assertion)
            .await
            .unwrap()
            .is_none()
    );
    // Registration too.
    let (reg, options) = wa::start_registration(&ctx, &org, &user, &rp)
        .await
        .unwrap();
    let mut other = software_key();
    let cred = create(&mut other, &rp, options).await;
    clock.advance(wa::CEREMONY_TTL_MS + 1);
    assert!(matches!(
        wa::finish_registration(&ctx, &org, &user, &rp, &reg, &cred).await,
        Err(CoreError::Validation(_))
    ));
    // Within the lifetime it works.
    let (c, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    clock.advance(wa::CEREMONY_TTL_MS - 1);
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &c, &assertion)
            .await
            .unwrap()
            .is_some()
    );
}
contract_test!(expired_ceremony_refused, expired_ceremony);

async fn other_org(db: &TestDb) {
    let (ctx, _clock, org_a, user_a) = setup(db).await;
    let (org_b, user_b) = org_with_user(&ctx, "Other", "other.localhost").await;
    // Both orgs on the same relying party, so only the org boundary can stop the assertion.
    let rp = rp();
    let mut key = register(&ctx, &org_a, &user_a, &rp).await;
    let (c, options) = wa::start_authentication(&ctx, &org_b, None, &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    assert!(
        wa::finish_authentication(&ctx, &org_b, &rp, &c, &assertion)
            .await
            .unwrap()
            .is_none()
    );
    // Nor does org A accept org B's ceremony.
    let (c, options) = wa::start_authentication(&ctx, &org_b, None, &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    assert!(
        wa::finish_authentication(&ctx, &org_a, &rp, &c, &assertion)
            .await
            .unwrap()
            .is_none()
    );
    // Org B's user cannot list or delete org A's passkey.
    assert!(wa::list(&ctx, &org_b, &user_b).await.unwrap().is_empty());
    let id = wa::list(&ctx, &org_a, &user_a).await.unwrap()[0].id.clone();
    assert!(
        wa::delete(&ctx, &org_b, &user_b, id.as_str())
            .await
            .is_err()
    );
    assert!(
        wa::delete(&ctx, &org_b, &user_a, id.as_str())
            .await
            .is_err()
    );
    assert_eq!(wa::list(&ctx, &org_a, &user_a).await.unwrap().len(), 1);
}
contract_test!(other_orgs_credential_refused, other_org);

async fn garbage_json(db: &TestDb) {
    let (ctx, _clock, org, user) = setup(db).await;
    let rp = rp();
    let (c, _) = wa::start_registration(&ctx, &org, &user, &rp)
        .await
        .unwrap();
    for bad in [
        serde_json::json!("nope"),
        serde_json::json!({}),
        serde_json::json!({"id": 5, "rawId": [1, 2], "response": null}),
    ] {
        assert!(matches!(
            wa::finish_registration(&ctx, &org, &user, &rp, &c, &bad).await,
            Err(CoreError::Validation(e)) if e[0].field == "credential"
        ));
        assert!(matches!(
            wa::finish_authentication(&ctx, &org, &rp, &c, &bad).await,
            Err(CoreError::Validation(e)) if e[0].field == "assertion"
        ));
    }
    // Malformed JSON leaves the ceremony usable (it is taken only once the JSON parses).
    let mut key = software_key();
    let (c, options) = wa::start_registration(&ctx, &org, &user, &rp)
        .await
        .unwrap();
    let cred = create(&mut key, &rp, options).await;
    let bad = serde_json::json!({"id": "x"});
    assert!(
        wa::finish_registration(&ctx, &org, &user, &rp, &c, &bad)
            .await
            .is_err()
    );
    wa::finish_registration(&ctx, &org, &user, &rp, &c, &cred)
        .await
        .unwrap();
    // A relying party that does not fit its origin is a validation error, not a panic.
    let wrong = RelyingParty::new("spoke.localhost", "https://evil.example", "x");
    assert!(matches!(
        wa::start_authentication(&ctx, &org, None, &wrong).await,
        Err(CoreError::Validation(_))
    ));
    let wrong = RelyingParty::new("spoke.localhost", "not a url", "x");
    assert!(matches!(
        wa::start_authentication(&ctx, &org, None, &wrong).await,
        Err(CoreError::Validation(_))
    ));
}
contract_test!(garbage_json_is_a_validation_error, garbage_json);

async fn discoverable(db: &TestDb) {
    let (ctx, _clock, org, user) = setup(db).await;
    // The local demo: plain http on localhost with a port.
    let rp = RelyingParty::new("localhost", "http://localhost:8080", "Spoke");
    let mut key = register(&ctx, &org, &user, &rp).await;
    let (c, options) = wa::start_authentication(&ctx, &org, None, &rp)
        .await
        .unwrap();
    assert!(
        options["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    let assertion = get(&mut key, &rp, options).await;
    let (who, v) = wa::finish_authentication(&ctx, &org, &rp, &c, &assertion)
        .await
        .unwrap()
        .expect("usernameless sign-in");
    assert_eq!(who, user);
    assert!(v.characteristics.phishing_resistant);
    // A ceremony started for another origin does not accept it.
    let (c, options) = wa::start_authentication(&ctx, &org, None, &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    let other = RelyingParty::new("localhost", "http://localhost:9090", "Spoke");
    assert!(
        wa::finish_authentication(&ctx, &org, &other, &c, &assertion)
            .await
            .unwrap()
            .is_none()
    );
}
contract_test!(discoverable_login_finds_the_user, discoverable);

async fn pinless_key(db: &TestDb) {
    let (ctx, _clock, org, user) = setup(db).await;
    let rp = rp();
    let mut key = key_with(None, false, false);
    let (ceremony, options) = wa::start_registration(&ctx, &org, &user, &rp)
        .await
        .unwrap();
    let sel = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(sel["userVerification"], "preferred", "{options}");
    assert_eq!(sel["residentKey"], "required", "{options}");
    let cred = create(&mut key, &rp, options).await;
    let info = wa::finish_registration(&ctx, &org, &user, &rp, &ceremony, &cred)
        .await
        .expect("a key without a PIN can be registered");
    assert!(!info.user_verified);

    // After the username: accepted, credited as possession without user verification.
    let (ceremony, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    assert_eq!(options["publicKey"]["userVerification"], "preferred");
    let assertion = get(&mut key, &rp, options).await;
    let (who, v) = wa::finish_authentication(&ctx, &org, &rp, &ceremony, &assertion)
        .await
        .unwrap()
        .expect("assertion without UV accepted for a passkey registered without UV");
    assert_eq!(who, user);
    let c = v.characteristics;
    assert!(c.user_presence && c.phishing_resistant);
    assert!(!c.user_verifying, "no UV flag, no user-verifying credit");

    // Usernameless: the RP requires UV. A client that ignores that and sends an assertion
    // without UV is refused by the server.
    let (ceremony, mut options) = wa::start_authentication(&ctx, &org, None, &rp)
        .await
        .unwrap();
    assert_eq!(options["publicKey"]["userVerification"], "required");
    options["publicKey"]["userVerification"] = "preferred".into();
    let assertion = get(&mut key, &rp, options).await;
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &ceremony, &assertion)
            .await
            .unwrap()
            .is_none(),
        "usernameless sign-in needs user verification"
    );
}
contract_test!(a_key_without_a_pin_is_a_possession_factor, pinless_key);

async fn uv_downgrade(db: &TestDb) {
    let (ctx, _clock, org, user) = setup(db).await;
    let rp = rp();
    // Registered with the PIN entered.
    let key = register(&ctx, &org, &user, &rp).await;
    // The same credential, now in a browser that skips the PIN when the RP only prefers it.
    let mut lazy = key_with(key.authenticator().store().clone(), true, false);
    let (ceremony, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    let assertion = get(&mut lazy, &rp, options).await;
    assert!(
        wa::finish_authentication(&ctx, &org, &rp, &ceremony, &assertion)
            .await
            .unwrap()
            .is_none(),
        "a passkey that verified the user at registration must keep doing so"
    );
    // With the PIN it still works.
    let mut key = key;
    let (ceremony, options) = wa::start_authentication(&ctx, &org, Some(&user), &rp)
        .await
        .unwrap();
    let assertion = get(&mut key, &rp, options).await;
    let (_, v) = wa::finish_authentication(&ctx, &org, &rp, &ceremony, &assertion)
        .await
        .unwrap()
        .expect("with UV");
    assert!(v.characteristics.user_verifying);
}
contract_test!(a_passkey_registered_with_uv_cannot_drop_it, uv_downgrade);
