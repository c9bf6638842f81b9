//! Passkeys through the sign-in pages over real HTTP on both databases, with passkey-rs's
//! software authenticator playing the browser's `navigator.credentials`: a passkey set up at
//! the MFA step of a password sign-in and used at the next one (credited as phishing resistant
//! and user verifying), a replayed assertion, a tampered signature, malformed and missing
//! credentials and a credential posted before any ceremony (all refused with the page's
//! message, no session, no 500, and the flow still usable afterwards); a key without a PIN
//! (a possession factor that does not verify the user); adding, re-adding and removing
//! passkeys on the end-user page.
//!
//! The org is the default one served at `localhost`: WebAuthn clients only accept plain-http
//! origins there, and the harness resolves `localhost` to the test server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{
    Browser, Page, activate_authenticator, alert, choice, csrf, require_mfa, sign_in_with_password,
};
use common::{Harness, user_body};
use federa_testkit::passkey::{self as softkey, SoftKey};
use serde_json::{Value, json};

const HOST: &str = "localhost";
const PASSWORD: &str = "correct horse battery";
const USE: &str = "Security Key or Biometric";
const SET_UP: &str = "Security Key or Biometric (set up)";

/// An empty key, with or without a PIN, in a browser that asks for user verification whenever
/// the relying party prefers it (with a PIN) or never unless required (without).
fn soft_key(pin: bool) -> SoftKey {
    softkey::key_with(None, pin, pin)
}

fn origin(h: &Harness) -> url::Url {
    url::Url::parse(&format!("http://{HOST}:{}", h.port)).unwrap()
}

/// `navigator.credentials.create` / `.get` for the `options` the page's script fetched.
async fn run_key(key: &mut SoftKey, h: &Harness, register: bool, options: &Value) -> Value {
    if register {
        softkey::create(key, &origin(h), options.clone()).await
    } else {
        softkey::get(key, &origin(h), options.clone()).await
    }
}

/// The org at `localhost` (the default org an empty database bootstraps) with the passkey
/// authenticator active and MFA required at every sign-in; returns its admin token.
async fn localhost_org(h: &Harness) -> String {
    let token = h
        .bootstrap_token
        .clone()
        .expect("an empty database bootstraps the default org at localhost");
    activate_authenticator(h, HOST, &token, "webauthn").await;
    require_mfa(h, HOST, &token).await;
    token
}

async fn add_user(h: &Harness, token: &str, login: &str) {
    let res = h
        .post(HOST, "/api/v1/users", token, user_body(login))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Identifier, password, then the passkey choice labelled `choice_text`; returns the passkey
/// page.
async fn to_passkey_step(b: &Browser<'_>, login: &str, choice_text: &str) -> Page {
    let r = sign_in_with_password(b, login, PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/login"), "MFA is required");
    let choose = b.get("/login").await;
    assert!(choose.html.contains("Verify it's you"), "{}", choose.html);
    let idx = choice(&choose.html, &format!(">{choice_text}</button>"));
    b.post(
        "/login/choose",
        &[("csrf", &csrf(&choose.html)), ("option", &idx)],
    )
    .await;
    let page = b.get("/login").await;
    assert!(
        page.html.contains("/login/passkey/options"),
        "{}",
        page.html
    );
    page
}

/// What the page's script does: fetch the options, then return (mode is register, options).
async fn fetch_options(b: &Browser<'_>, page: &Page) -> (bool, Value) {
    let r = b
        .post("/login/passkey/options", &[("csrf", &csrf(&page.html))])
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    let v: Value = serde_json::from_str(&r.html).expect("JSON options");
    let register = match v["mode"].as_str() {
        Some("register") => true,
        Some("authenticate") => false,
        other => panic!("mode {other:?} in {v}"),
    };
    (register, v["options"].clone())
}

async fn post_credential(b: &Browser<'_>, page: &Page, credential: &str) -> Page {
    b.post(
        "/login/passkey",
        &[("csrf", &csrf(&page.html)), ("credential", credential)],
    )
    .await
}

/// A whole sign-in whose MFA step is the passkey choice `choice_text`, answered by `key`;
/// returns the answer to the credential and the credential.
async fn sign_in_with_key(
    b: &Browser<'_>,
    key: &mut SoftKey,
    login: &str,
    choice_text: &str,
) -> (Page, Value) {
    let page = to_passkey_step(b, login, choice_text).await;
    let (register, options) = fetch_options(b, &page).await;
    let cred = run_key(key, b.h, register, &options).await;
    (post_credential(b, &page, &cred.to_string()).await, cred)
}

/// A refused credential: back to the passkey page with its message, and no session.
async fn assert_refused(b: &Browser<'_>, r: &Page, what: &str) {
    assert_eq!(r.status, 303, "{what}: {}", r.html);
    assert_eq!(r.location.as_deref(), Some("/login"), "{what}");
    let p = b.get("/login").await;
    assert_eq!(
        alert(&p.html).as_deref(),
        Some("That passkey did not work. Try again or choose another way."),
        "{what}"
    );
    assert_eq!(b.json("/api/v1/sessions/me").await.0, 404, "{what}");
}

fn webauthn_verification(session: &Value) -> &Value {
    session["factorVerifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["authenticatorKey"] == "webauthn")
        .unwrap_or_else(|| panic!("a webauthn verification: {session}"))
}

async fn a_passkey_set_up_at_mfa_then_used(h: &Harness) {
    let token = localhost_org(h).await;
    add_user(h, &token, "pk@localhost").await;
    let mut key = soft_key(true);

    // First sign-in: the user has no passkey, so the choice is to set one up.
    let b = Browser::new(h, HOST);
    let page = to_passkey_step(&b, "pk@localhost", SET_UP).await;
    assert!(page.html.contains("Set up a passkey"), "{}", page.html);
    let (register, options) = fetch_options(&b, &page).await;
    assert!(register);
    assert_eq!(options["publicKey"]["rp"]["id"], HOST);
    let sel = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(sel["residentKey"], "required", "{options}");
    assert_eq!(sel["userVerification"], "preferred", "{options}");
    let cred = run_key(&mut key, h, true, &options).await;
    let done = post_credential(&b, &page, &cred.to_string()).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/me"));
    let (status, s) = b.json("/api/v1/sessions/me").await;
    assert_eq!(status, 200);
    let amr = s["amr"].as_array().unwrap();
    assert!(
        amr.contains(&json!("pwd")) && amr.contains(&json!("phr")),
        "{s}"
    );
    let v = webauthn_verification(&s);
    assert_eq!(v["characteristics"]["phishingResistant"], true, "{v}");
    assert_eq!(v["characteristics"]["userVerifying"], true, "{v}");
    assert!(b.get("/me").await.html.contains("passkey (added"));

    // Second sign-in: the passkey is offered for use and signs the user in.
    let b2 = Browser::new(h, HOST);
    let page = to_passkey_step(&b2, "pk@localhost", USE).await;
    assert!(
        page.html.contains("Continue with a passkey"),
        "{}",
        page.html
    );
    let (register, options) = fetch_options(&b2, &page).await;
    assert!(!register);
    let assertion = run_key(&mut key, h, false, &options).await;
    let done = post_credential(&b2, &page, &assertion.to_string()).await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    let (status, s) = b2.json("/api/v1/sessions/me").await;
    assert_eq!(status, 200);
    assert_eq!(
        webauthn_verification(&s)["characteristics"]["userVerifying"],
        true
    );

    // A third sign-in replays that assertion against a fresh ceremony: refused.
    let b3 = Browser::new(h, HOST);
    let page = to_passkey_step(&b3, "pk@localhost", USE).await;
    fetch_options(&b3, &page).await;
    let r = post_credential(&b3, &page, &assertion.to_string()).await;
    assert_refused(&b3, &r, "a replayed assertion").await;

    // A fresh assertion with one byte of its signature changed: refused.
    let (_, options) = fetch_options(&b3, &page).await;
    let mut tampered = run_key(&mut key, h, false, &options).await;
    let sig = tampered["response"]["signature"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    tampered["response"]["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    let r = post_credential(&b3, &page, &tampered.to_string()).await;
    assert_refused(&b3, &r, "a tampered signature").await;

    // A failed attempt ends its ceremony: a genuine assertion needs new options.
    let (_, options) = fetch_options(&b3, &page).await;
    let late = run_key(&mut key, h, false, &options).await;
    let r = post_credential(&b3, &page, "{not json").await;
    assert_refused(&b3, &r, "malformed JSON").await;
    let r = post_credential(&b3, &page, &late.to_string()).await;
    assert_refused(&b3, &r, "a credential for an ended ceremony").await;
    fetch_options(&b3, &page).await;
    let r = post_credential(&b3, &page, "").await;
    assert_refused(&b3, &r, "no credential").await;

    // The flow still works: fresh options, a genuine assertion, a session.
    let (_, options) = fetch_options(&b3, &page).await;
    let good = run_key(&mut key, h, false, &options).await;
    let done = post_credential(&b3, &page, &good.to_string()).await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    assert_eq!(b3.json("/api/v1/sessions/me").await.0, 200);

    // The refusals and the successes are in the System Log.
    let events: Vec<Value> = h.get_json(HOST, "/api/v1/logs?limit=200", &token).await;
    let count = |ty: &str, result: &str| {
        events
            .iter()
            .filter(|e| e["eventType"] == ty && e["outcome"]["result"] == result)
            .count()
    };
    assert_eq!(
        count("user.mfa.factor.activate", "SUCCESS"),
        1,
        "{events:?}"
    );
    assert_eq!(
        count("user.authentication.auth_via_mfa", "SUCCESS"),
        3,
        "{events:?}"
    );
    let mut reasons: Vec<&str> = events
        .iter()
        .filter(|e| {
            e["eventType"] == "user.authentication.auth_via_mfa"
                && e["outcome"]["result"] == "FAILURE"
        })
        .map(|e| e["outcome"]["reason"].as_str().unwrap_or("(none)"))
        .collect();
    reasons.sort_unstable();
    assert_eq!(
        reasons,
        [
            "malformed credential",
            "malformed credential",
            "no passkey ceremony in progress",
            "passkey assertion not verified",
            "passkey assertion not verified",
        ],
        "replay, tampering, bad JSON, a spent ceremony and no credential"
    );
}
http_test!(a_passkey_set_up_at_mfa_then_used);

async fn a_key_without_a_pin_is_a_possession_factor(h: &Harness) {
    let token = localhost_org(h).await;
    add_user(h, &token, "nopin@localhost").await;
    let mut key = soft_key(false);
    let b = Browser::new(h, HOST);
    let (done, _) = sign_in_with_key(&b, &mut key, "nopin@localhost", SET_UP).await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    let (_, s) = b.json("/api/v1/sessions/me").await;
    let v = webauthn_verification(&s);
    assert_eq!(v["characteristics"]["userVerifying"], false, "{v}");
    assert_eq!(v["characteristics"]["phishingResistant"], true, "{v}");

    let b2 = Browser::new(h, HOST);
    let (done, _) = sign_in_with_key(&b2, &mut key, "nopin@localhost", USE).await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    let (_, s) = b2.json("/api/v1/sessions/me").await;
    let v = webauthn_verification(&s);
    assert_eq!(v["characteristics"]["userVerifying"], false, "{v}");
}
http_test!(a_key_without_a_pin_is_a_possession_factor);

async fn passkeys_are_added_and_removed_on_the_me_page(h: &Harness) {
    let token = localhost_org(h).await;
    add_user(h, &token, "me@localhost").await;
    let mut first = soft_key(true);
    let b = Browser::new(h, HOST);
    let (_, cred) = sign_in_with_key(&b, &mut first, "me@localhost", SET_UP).await;
    let first_id = cred["id"].clone();
    let me = b.get("/me").await;
    assert_eq!(me.html.matches("Remove passkey").count(), 1, "{}", me.html);

    // A second key from the end-user page.
    let mut second = soft_key(true);
    let session_csrf = csrf(&me.html);
    let r = b
        .post("/me/passkeys/options", &[("csrf", &session_csrf)])
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    let v: Value = serde_json::from_str(&r.html).unwrap();
    let ceremony = v["ceremony"].as_str().unwrap().to_string();
    let cred = run_key(&mut second, h, true, &v["options"]).await;
    let second_id = cred["id"].clone();
    let cred = cred.to_string();
    let fields = [
        ("csrf", session_csrf.as_str()),
        ("ceremony", ceremony.as_str()),
        ("credential", cred.as_str()),
    ];
    let r = b.post("/me/passkeys", &fields).await;
    assert_eq!(r.location.as_deref(), Some("/me"), "{}", r.html);
    let me = b.get("/me").await;
    assert_eq!(me.html.matches("Remove passkey").count(), 2, "{}", me.html);

    // The same registration again (its ceremony is spent): a message, nothing added.
    let r = b.post("/me/passkeys", &fields).await;
    assert_eq!(r.status, 200, "{}", r.html);
    assert_eq!(
        alert(&r.html).as_deref(),
        Some("The passkey could not be added. Try again.")
    );
    // Malformed JSON and a forged CSRF token: refused.
    let bad = [
        ("csrf", session_csrf.as_str()),
        ("ceremony", ceremony.as_str()),
        ("credential", "[1,2"),
    ];
    assert_eq!(b.post("/me/passkeys", &bad).await.status, 400);
    let forged = [("csrf", "forged")];
    assert_eq!(b.post("/me/passkeys/options", &forged).await.status, 400);
    assert_eq!(b.get("/me").await.html.matches("Remove passkey").count(), 2);

    // Remove the first one; its key no longer signs the user in.
    let me = b.get("/me").await;
    let action = me
        .html
        .split("action=\"/me/passkeys/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = b
        .post(
            &format!("/me/passkeys/{action}"),
            &[("csrf", &session_csrf)],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/me"), "{}", r.html);
    assert_eq!(b.get("/me").await.html.matches("Remove passkey").count(), 1);
    let b2 = Browser::new(h, HOST);
    let page = to_passkey_step(&b2, "me@localhost", USE).await;
    let (_, options) = fetch_options(&b2, &page).await;
    // The options name the remaining passkey only.
    let allowed: Vec<Value> = options["publicKey"]["allowCredentials"]
        .as_array()
        .expect("allowCredentials")
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(allowed.len(), 1, "{options}");
    let first_kept = allowed[0] == first_id;
    assert_eq!(
        allowed[0],
        if first_kept {
            first_id.clone()
        } else {
            second_id.clone()
        }
    );
    let (kept, removed) = if first_kept {
        (&mut first, &mut second)
    } else {
        (&mut second, &mut first)
    };
    // The removed key, asked anyway (as if the options named it), is refused.
    let mut lure = options.clone();
    lure["publicKey"]["allowCredentials"][0]["id"] = if first_kept { second_id } else { first_id };
    let stale = run_key(removed, h, false, &lure).await;
    let r = post_credential(&b2, &page, &stale.to_string()).await;
    assert_refused(&b2, &r, "a removed passkey").await;
    let (_, options) = fetch_options(&b2, &page).await;
    let a = run_key(kept, h, false, &options).await;
    let done = post_credential(&b2, &page, &a.to_string()).await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
}
http_test!(passkeys_are_added_and_removed_on_the_me_page);
