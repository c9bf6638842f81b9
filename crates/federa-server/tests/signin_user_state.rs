//! The user's state while signing in, as a browser and an administrator see it, on both
//! databases: parallel wrong passwords all count, deactivation ends the user's sessions and
//! any sign-in under way, and an administrator can end a user's sessions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{Browser, choice, csrf, latest_code, require_mfa, sign_in_with_password};
use common::{Harness, assert_error, user_body};
use serde_json::{Value, json};

/// Creates an ACTIVE user with the test password in org A; its id.
async fn new_user(h: &Harness, login: &str) -> String {
    let u: Value = h
        .post("a.test", "/api/v1/users", &h.token_a, user_body(login))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    u["id"].as_str().expect("a user id").to_string()
}

/// Deactivation ends the user's sessions, and a sign-in already under way when it happens
/// (password done, MFA pending) ends on a readable page, with no session and a System Log
/// failure naming USER_NOT_ACTIVE.
async fn deactivation_ends_sessions_and_sign_ins_under_way(h: &Harness) {
    let id = new_user(h, "gil@a.test").await;
    let signed = Browser::new(h, "a.test");
    let done = sign_in_with_password(&signed, "gil@a.test", "correct horse battery").await;
    assert_eq!(done.location.as_deref(), Some("/me"));
    assert_eq!(signed.json("/api/v1/sessions/me").await.0, 200);
    require_mfa(h, "a.test", &h.token_a).await;
    let b = Browser::new(h, "a.test");
    sign_in_with_password(&b, "gil@a.test", "correct horse battery").await;
    let choose = b.get("/login").await;
    let idx = choice(&choose.html, ">Email");
    let token = csrf(&choose.html);
    b.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let code = latest_code(h, "gil@a.test").await;
    let res = h
        .post(
            "a.test",
            &format!("/api/v1/users/{id}/lifecycle/deactivate"),
            &h.token_a,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        signed.json("/api/v1/sessions/me").await.0,
        404,
        "the session ended with the deactivation"
    );
    let me = signed.get("/me").await;
    assert!(!me.html.contains("Signed in as"), "{}", me.html);
    let r = b
        .post("/login/enroll", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/login"), "{}", r.html);
    let page = b.get("/login").await;
    assert!(page.html.contains("cannot sign in"), "{}", page.html);
    assert_eq!(b.json("/api/v1/sessions/me").await.0, 404, "no session");
    let logs: Value = h
        .get_json(
            "a.test",
            "/api/v1/logs?limit=1000&filter=eventType%20eq%20%22user.session.start%22",
            &h.token_a,
        )
        .await;
    let refused = logs
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["outcome"]["result"] == "FAILURE" && e["outcome"]["reason"] == "USER_NOT_ACTIVE"
        })
        .count();
    assert_eq!(refused, 1, "{logs}");
}
http_test!(deactivation_ends_sessions_and_sign_ins_under_way);

/// Wrong passwords sent at the same time all count: ten in parallel lock the account (each is
/// counted from the stored value, not from the copy its request loaded).
async fn parallel_wrong_passwords_all_count(h: &Harness) {
    let id = new_user(h, "hal@a.test").await;
    let mut ready = Vec::new();
    for _ in 0..10 {
        let b = Browser::new(h, "a.test");
        let p = b.get("/login").await;
        let token = csrf(&p.html);
        b.post(
            "/login/identify",
            &[("csrf", &token), ("username", "hal@a.test")],
        )
        .await;
        ready.push((b, token));
    }
    let attempts = ready.iter().map(|(b, token)| async move {
        b.post(
            "/login/password",
            &[("csrf", token.as_str()), ("password", "a wrong guess")],
        )
        .await
    });
    for r in futures_util::future::join_all(attempts).await {
        assert_eq!(r.location.as_deref(), Some("/login"));
    }
    let user: Value = h
        .get_json("a.test", &format!("/api/v1/users/{id}"), &h.token_a)
        .await;
    assert_eq!(user["status"], "LOCKED_OUT", "{user}");
}
http_test!(parallel_wrong_passwords_all_count);

/// `DELETE /api/v1/users/{id}/sessions` signs a user out everywhere and nothing else: their
/// sessions end, another user's do not, the user stays ACTIVE and can sign in again.
async fn an_administrator_ends_a_users_sessions(h: &Harness) {
    let ids = [
        new_user(h, "ivy@a.test").await,
        new_user(h, "jon@a.test").await,
    ];
    let ivy1 = Browser::new(h, "a.test");
    let ivy2 = Browser::new(h, "a.test");
    let jon = Browser::new(h, "a.test");
    for (b, login) in [
        (&ivy1, "ivy@a.test"),
        (&ivy2, "ivy@a.test"),
        (&jon, "jon@a.test"),
    ] {
        let done = sign_in_with_password(b, login, "correct horse battery").await;
        assert_eq!(done.location.as_deref(), Some("/me"));
    }
    let clear = |id: &str, query: &str| {
        h.client
            .delete(h.url("a.test", &format!("/api/v1/users/{id}/sessions{query}")))
            .header("Authorization", format!("SSWS {}", h.token_a))
            .send()
    };
    // A value that is not a boolean is refused; nothing ended. (oauthTokens=true is in
    // user_tokens.rs.)
    assert_error(
        clear(&ids[0], "?oauthTokens=maybe").await.unwrap(),
        400,
        "E0000001",
        "oauthTokens",
    )
    .await;
    assert_eq!(ivy1.json("/api/v1/sessions/me").await.0, 200);
    assert_eq!(clear(&ids[0], "").await.unwrap().status(), 204);
    assert_eq!(ivy1.json("/api/v1/sessions/me").await.0, 404);
    assert_eq!(ivy2.json("/api/v1/sessions/me").await.0, 404);
    assert_eq!(
        jon.json("/api/v1/sessions/me").await.0,
        200,
        "another user's"
    );
    let user: Value = h
        .get_json("a.test", &format!("/api/v1/users/{}", ids[0]), &h.token_a)
        .await;
    assert_eq!(user["status"], "ACTIVE");
    let again = Browser::new(h, "a.test");
    let done = sign_in_with_password(&again, "ivy@a.test", "correct horse battery").await;
    assert_eq!(done.location.as_deref(), Some("/me"));
    // An unknown user is a 404 error object; no API token, a 401.
    assert_error(
        clear("00uAAAAAAAAAAAAAAAAA", "").await.unwrap(),
        404,
        "E0000007",
        "user",
    )
    .await;
    let anonymous = h
        .client
        .delete(h.url("a.test", &format!("/api/v1/users/{}/sessions", ids[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(jon.json("/api/v1/sessions/me").await.0, 200);
}
http_test!(an_administrator_ends_a_users_sessions);
