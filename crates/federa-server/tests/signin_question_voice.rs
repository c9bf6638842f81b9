//! The sign-in pages with the two authenticators the other sign-in suites leave out, over real
//! HTTP on both databases: a phone enrolled for voice calls at the MFA step, whose code comes
//! from the outbox and works once; and the security question, which is never offered as the
//! second factor after a password (both are knowledge factors), even when people may set it up.
//! (Its enrollment and verification over HTTP are in `factors.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{
    Browser, Page, activate_authenticator, alert, choice, csrf, require_mfa, sign_in_with_password,
};
use common::{Harness, user_body};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn add_user(h: &Harness, login: &str) {
    let res = h
        .post("a.test", "/api/v1/users", &h.token_a, user_body(login))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Password, then the choice whose button reads `text`; returns the page it leads to.
async fn password_then(b: &Browser<'_>, login: &str, text: &str) -> Page {
    let r = sign_in_with_password(b, login, PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/login"), "MFA is required");
    let choose = b.get("/login").await;
    let idx = choice(&choose.html, &format!(">{text}</button>"));
    b.post(
        "/login/choose",
        &[("csrf", &csrf(&choose.html)), ("option", &idx)],
    )
    .await;
    b.get("/login").await
}

/// Lets people set up a security question themselves (the default enrollment policy, like
/// Okta's, does not).
async fn allow_security_question_enrollment(h: &Harness) {
    let list: Vec<Value> = h
        .get_json("a.test", "/api/v1/policies?type=MFA_ENROLL", &h.token_a)
        .await;
    let active: Vec<Value> = h
        .get_json("a.test", "/api/v1/authenticators", &h.token_a)
        .await;
    let is_active = |key: &Value| {
        active
            .iter()
            .any(|a| &a["key"] == key && a["status"] == "ACTIVE")
    };
    let mut policy = list[0].clone();
    let entries = policy["settings"]["authenticators"].as_array_mut().unwrap();
    // The API accepts entries for active authenticators only.
    entries.retain(|a| is_active(&a["key"]));
    let sq = entries
        .iter_mut()
        .find(|a| a["key"] == "security_question")
        .expect("the default enrollment policy lists security_question");
    assert_eq!(sq["enroll"]["self"], "NOT_ALLOWED", "the default");
    sq["enroll"]["self"] = json!("OPTIONAL");
    let id = policy["id"].as_str().unwrap().to_string();
    for field in ["id", "_links", "created", "lastUpdated", "system"] {
        policy.as_object_mut().unwrap().remove(field);
    }
    let res = h
        .client
        .put(h.url("a.test", &format!("/api/v1/policies/{id}")))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .json(&policy)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn amr(b: &Browser<'_>) -> Vec<Value> {
    let (status, s) = b.json("/api/v1/sessions/me").await;
    assert_eq!(status, 200, "signed in");
    s["amr"].as_array().unwrap().clone()
}

async fn a_security_question_is_not_a_second_factor_after_a_password(h: &Harness) {
    add_user(h, "quinn@a.test").await;
    activate_authenticator(h, "a.test", &h.token_a, "security_question").await;
    allow_security_question_enrollment(h).await;
    require_mfa(h, "a.test", &h.token_a).await;
    let b = Browser::new(h, "a.test");
    let r = sign_in_with_password(&b, "quinn@a.test", PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/login"), "MFA is required");
    let choose = b.get("/login").await;
    assert!(choose.html.contains("Verify it's you"), "{}", choose.html);
    // Password and security question are both knowledge: MFA needs another factor type, so the
    // question is not offered even though it is active and people may set it up.
    assert!(
        !choose.html.contains("Security Question"),
        "{}",
        choose.html
    );
    assert!(
        choose.html.contains(">Email (set up)</button>"),
        "{}",
        choose.html
    );
}
http_test!(a_security_question_is_not_a_second_factor_after_a_password);

async fn mfa_by_voice_call(h: &Harness) {
    add_user(h, "val@a.test").await;
    activate_authenticator(h, "a.test", &h.token_a, "phone_number").await;
    require_mfa(h, "a.test", &h.token_a).await;

    let b = Browser::new(h, "a.test");
    let enroll = password_then(&b, "val@a.test", "Phone (voice call) (set up)").await;
    assert!(enroll.html.contains("Phone number"), "{}", enroll.html);
    let token = csrf(&enroll.html);
    b.post(
        "/login/enroll",
        &[("csrf", &token), ("phone", "+1 555 555 0142")],
    )
    .await;
    let items: Vec<Value> = h.get_json("a.test", "/api/v1/outbox", &h.token_a).await;
    let call = items
        .iter()
        .find(|m| m["channel"] == "voice")
        .unwrap_or_else(|| panic!("a voice call in the outbox: {items:?}"));
    assert!(items.iter().all(|m| m["channel"] != "sms"), "no SMS sent");
    // The call reads the digits out one by one, then repeats them.
    let body = call["body"].as_str().unwrap();
    let code: String = body
        .split(". Again")
        .next()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 6, "{body}");
    let done = b
        .post("/login/enroll", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    assert!(amr(&b).await.contains(&json!("tel")));

    // The code is spent: a new sign-in calls again and refuses the old code.
    let b2 = Browser::new(h, "a.test");
    let verify = password_then(&b2, "val@a.test", "Phone (voice call)").await;
    let token = csrf(&verify.html);
    let r = b2
        .post("/login/verify", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/login"), "the old code");
    assert!(alert(&b2.get("/login").await.html).is_some());
    assert_eq!(b2.json("/api/v1/sessions/me").await.0, 404);
    let items: Vec<Value> = h.get_json("a.test", "/api/v1/outbox", &h.token_a).await;
    let calls = items.iter().filter(|m| m["channel"] == "voice").count();
    assert_eq!(calls, 2, "a second call for the second sign-in");
}
http_test!(mfa_by_voice_call);
