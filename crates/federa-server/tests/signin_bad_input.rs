//! Overlong and odd input to every sign-in form, over real HTTP on both databases: each answer
//! is a redirect back to the page with a message or a readable 4xx page, never a 5xx, and the
//! account is not signed in, while the sign-in still works afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{
    Browser, activate_authenticator, alert, choice, csrf, require_mfa, sign_in_with_password,
};
use common::{Harness, user_body};

async fn overlong_inputs_get_messages_not_errors(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("olga@a.test"),
    )
    .send()
    .await
    .unwrap();
    activate_authenticator(h, "a.test", &h.token_a, "webauthn").await;
    require_mfa(h, "a.test", &h.token_a).await;
    let long = "x".repeat(20_000);
    let b = Browser::new(h, "a.test");

    // Identifier: far too long, control characters, empty.
    let p = b.get("/login").await;
    let token = csrf(&p.html);
    for username in [long.as_str(), "ada\u{0}@a.test", "", "   "] {
        let r = b
            .post(
                "/login/identify",
                &[("csrf", &token), ("username", username)],
            )
            .await;
        assert!(
            r.status < 500,
            "identify {:?}: {}",
            &username[..username.len().min(8)],
            r.status
        );
        let p = b.get("/login").await;
        assert!(p.status < 500);
    }

    // Password: 20 000 characters is refused like a wrong password (and logged as a failed
    // sign-in), not hashed for seconds or answered with an error.
    let p = b.get("/login").await;
    let token = csrf(&p.html);
    b.post(
        "/login/identify",
        &[("csrf", &token), ("username", "olga@a.test")],
    )
    .await;
    let r = b
        .post("/login/password", &[("csrf", &token), ("password", &long)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/login"), "{}", r.html);
    assert!(alert(&b.get("/login").await.html).is_some());
    assert_eq!(b.json("/api/v1/sessions/me").await.0, 404);
    let events: Vec<serde_json::Value> = h
        .get_json("a.test", "/api/v1/logs?limit=200", &h.token_a)
        .await;
    assert!(
        events
            .iter()
            .any(|e| e["eventType"] == "user.session.start" && e["outcome"]["result"] == "FAILURE"),
        "{events:?}"
    );

    // The MFA steps: an out-of-range choice, an overlong code, an overlong passkey credential.
    let b = Browser::new(h, "a.test");
    sign_in_with_password(&b, "olga@a.test", "correct horse battery").await;
    let choose = b.get("/login").await;
    let token = csrf(&choose.html);
    for option in ["99", "-1", long.as_str()] {
        let r = b
            .post("/login/choose", &[("csrf", &token), ("option", option)])
            .await;
        assert!(r.status < 500, "choose: {} {}", r.status, r.html);
    }
    let choose = b.get("/login").await;
    assert!(
        choose.html.contains("Verify it's you"),
        "still choosing: {}",
        choose.html
    );
    let idx = choice(&choose.html, ">Email (set up)</button>");
    b.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let r = b
        .post("/login/enroll", &[("csrf", &token), ("answer", &long)])
        .await;
    assert!(r.status < 500, "enroll: {} {}", r.status, r.html);
    assert!(alert(&b.get("/login").await.html).is_some());
    b.post("/login/back", &[("csrf", &token)]).await;
    let choose = b.get("/login").await;
    let idx = choice(&choose.html, ">Security Key or Biometric (set up)</button>");
    b.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let r = b
        .post("/login/passkey", &[("csrf", &token), ("credential", &long)])
        .await;
    assert!(r.status < 500, "passkey: {} {}", r.status, r.html);
    assert_eq!(b.json("/api/v1/sessions/me").await.0, 404, "not signed in");

    // A body over the size limit is refused before any of this.
    let huge = "y".repeat(2 * 1024 * 1024);
    let r = b
        .post("/login/password", &[("csrf", &token), ("password", &huge)])
        .await;
    assert!((400..500).contains(&r.status), "{}", r.status);

    // The account still signs in normally.
    let b = Browser::new(h, "a.test");
    let r = sign_in_with_password(&b, "olga@a.test", "correct horse battery").await;
    assert_eq!(r.location.as_deref(), Some("/login"), "on to MFA");
    assert!(b.get("/login").await.html.contains("Verify it's you"));
}
http_test!(overlong_inputs_get_messages_not_errors);
