//! The sign-in pages as a browser uses them (cookies, CSRF, redirects), on both databases:
//! password-only sign-in, identical messages for unknown users and wrong passwords, lockout and
//! admin unlock, CSRF refusal, MFA from the global session policy met by enrolling email or a
//! TOTP app on the spot, sessions/me, sign-out, open-redirect protection, denied access.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{
    Browser, activate_authenticator, alert, choice, csrf, latest_code, require_mfa,
    sign_in_with_password,
};
use common::{Harness, user_body};
use serde_json::{Value, json};

async fn password_only_sign_in_creates_a_session(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("ada@a.test"),
    )
    .send()
    .await
    .unwrap();
    let b = Browser::new(h, "a.test");
    assert_eq!(b.json("/api/v1/sessions/me").await.0, 404, "no session yet");
    let done = sign_in_with_password(&b, "ada@a.test", "correct horse battery").await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location.as_deref(), Some("/me"));
    let sid = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("federa_sid="))
        .expect("session cookie");
    assert!(
        sid.contains("HttpOnly") && sid.contains("SameSite=Lax"),
        "{sid}"
    );
    let (status, s) = b.json("/api/v1/sessions/me").await;
    assert_eq!(status, 200);
    assert_eq!(s["login"], "ada@a.test");
    assert_eq!(s["amr"], json!(["pwd"]));
    assert_eq!(s["factorVerifications"][0]["source"]["type"], "LOCAL");
    let me = b.get("/me").await;
    assert!(me.html.contains("Signed in as ada@a.test"));
    // Signing in again gives another session id (no fixation).
    let b2 = Browser::new(h, "a.test");
    let again = sign_in_with_password(&b2, "ada@a.test", "correct horse battery").await;
    let sid2 = again
        .set_cookies
        .iter()
        .find(|c| c.starts_with("federa_sid="))
        .unwrap();
    assert_ne!(sid.split(';').next(), sid2.split(';').next());
    // Sign-out ends the session.
    let out = b.post("/logout", &[("csrf", &csrf(&me.html))]).await;
    assert_eq!(out.status, 200);
    assert!(out.html.contains("signed out"));
    assert_eq!(b.json("/api/v1/sessions/me").await.0, 404);
    // The other session is untouched; DELETE /api/v1/sessions/me ends it.
    assert_eq!(b2.json("/api/v1/sessions/me").await.0, 200);
    let del = b2
        .client
        .delete(h.url("a.test", "/api/v1/sessions/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(b2.json("/api/v1/sessions/me").await.0, 404);
    // A session of org A is nothing on org B's host.
    let cross = Browser::new(h, "b.test");
    assert_eq!(cross.json("/api/v1/sessions/me").await.0, 404);
}
http_test!(password_only_sign_in_creates_a_session);

async fn failures_do_not_reveal_users_and_lock_accounts(h: &Harness) {
    let u: Value = h
        .post(
            "a.test",
            "/api/v1/users",
            &h.token_a,
            user_body("bob@a.test"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let b = Browser::new(h, "a.test");
    let wrong = sign_in_with_password(&b, "bob@a.test", "not the password").await;
    assert_eq!(wrong.location.as_deref(), Some("/login"));
    let wrong_msg = alert(&b.get("/login").await.html).expect("an alert");
    let b2 = Browser::new(h, "a.test");
    sign_in_with_password(&b2, "nobody@a.test", "not the password").await;
    let unknown_msg = alert(&b2.get("/login").await.html).expect("an alert");
    assert_eq!(
        wrong_msg, unknown_msg,
        "the same message for a wrong password and an unknown user"
    );
    // Ten failures lock the account; then even the right password fails, with the same message.
    let p = b.get("/login").await;
    let token = csrf(&p.html);
    for _ in 0..9 {
        b.post(
            "/login/password",
            &[("csrf", &token), ("password", "still wrong")],
        )
        .await;
    }
    let user: Value = h
        .get(
            "a.test",
            &format!("/api/v1/users/{}", u["id"].as_str().unwrap()),
            &h.token_a,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["status"], "LOCKED_OUT");
    let r = b
        .post(
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "a locked account cannot sign in"
    );
    assert_eq!(
        alert(&b.get("/login").await.html).as_deref(),
        Some(wrong_msg.as_str())
    );
    // The admin unlocks it; now it works.
    let res = h
        .post(
            "a.test",
            &format!(
                "/api/v1/users/{}/lifecycle/unlock",
                u["id"].as_str().unwrap()
            ),
            &h.token_a,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let b3 = Browser::new(h, "a.test");
    assert_eq!(
        sign_in_with_password(&b3, "bob@a.test", "correct horse battery")
            .await
            .location
            .as_deref(),
        Some("/me")
    );
}
http_test!(failures_do_not_reveal_users_and_lock_accounts);

async fn forms_without_the_right_csrf_token_are_refused(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("cat@a.test"),
    )
    .send()
    .await
    .unwrap();
    let b = Browser::new(h, "a.test");
    let p = b.get("/login").await;
    let r = b
        .post("/login/identify", &[("username", "cat@a.test")])
        .await;
    assert_eq!(r.status, 400);
    assert!(alert(&r.html).is_some(), "a readable page: {}", r.html);
    let r = b
        .post(
            "/login/identify",
            &[("csrf", "forged"), ("username", "cat@a.test")],
        )
        .await;
    assert_eq!(r.status, 400);
    // Nothing advanced: still the identifier step.
    let again = b.get("/login").await;
    assert!(
        again.html.contains("Username") && !again.html.contains("Password"),
        "{}",
        again.html
    );
    // A post without any flow goes back to the start; a non-form body is refused.
    let fresh = Browser::new(h, "a.test");
    let r = fresh
        .post(
            "/login/password",
            &[("csrf", &csrf(&p.html)), ("password", "x")],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = b
        .client
        .post(h.url("a.test", "/login/identify"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Sign-out needs the session's token too.
    sign_in_with_password(&fresh, "cat@a.test", "correct horse battery").await;
    let r = fresh.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        fresh.json("/api/v1/sessions/me").await.0,
        200,
        "still signed in"
    );
}
http_test!(forms_without_the_right_csrf_token_are_refused);

async fn mfa_is_met_by_enrolling_email_on_the_spot(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("dee@a.test"),
    )
    .send()
    .await
    .unwrap();
    require_mfa(h, "a.test", &h.token_a).await;
    let b = Browser::new(h, "a.test");
    let r = sign_in_with_password(&b, "dee@a.test", "correct horse battery").await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "password alone is not enough"
    );
    assert_eq!(
        b.json("/api/v1/sessions/me").await.0,
        404,
        "no session before MFA"
    );
    let choose = b.get("/login").await;
    assert!(choose.html.contains("Verify it's you"), "{}", choose.html);
    // Pick "Email" (the option list comes from the engine).
    let idx = choice(&choose.html, ">Email");
    let token = csrf(&choose.html);
    b.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let enroll = b.get("/login").await;
    assert!(enroll.html.contains("Verification code"), "{}", enroll.html);
    let wrong = b
        .post("/login/enroll", &[("csrf", &token), ("answer", "000000")])
        .await;
    assert_eq!(wrong.location.as_deref(), Some("/login"));
    assert!(alert(&b.get("/login").await.html).is_some());
    let code = latest_code(h, "dee@a.test").await;
    let done = b
        .post("/login/enroll", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    let (_, s) = b.json("/api/v1/sessions/me").await;
    let amr = s["amr"].as_array().unwrap();
    assert!(
        amr.contains(&json!("pwd")) && amr.contains(&json!("email")) && amr.contains(&json!("mfa")),
        "{s}"
    );
    // Next time the enrolled email factor is challenged rather than enrolled.
    let b2 = Browser::new(h, "a.test");
    sign_in_with_password(&b2, "dee@a.test", "correct horse battery").await;
    let choose = b2.get("/login").await;
    let idx = choice(&choose.html, ">Email");
    let token = csrf(&choose.html);
    b2.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let verify = b2.get("/login").await;
    assert!(verify.html.contains("We sent a code"), "{}", verify.html);
    let code = latest_code(h, "dee@a.test").await;
    let done = b2
        .post("/login/verify", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/me"));
}
http_test!(mfa_is_met_by_enrolling_email_on_the_spot);

async fn mfa_with_a_totp_app(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("eve@a.test"),
    )
    .send()
    .await
    .unwrap();
    activate_authenticator(h, "a.test", &h.token_a, "google_otp").await;
    require_mfa(h, "a.test", &h.token_a).await;
    let b = Browser::new(h, "a.test");
    sign_in_with_password(&b, "eve@a.test", "correct horse battery").await;
    let choose = b.get("/login").await;
    let idx = choice(&choose.html, ">Google Authenticator");
    let token = csrf(&choose.html);
    b.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let enroll = b.get("/login").await;
    let i = enroll
        .html
        .find("id=\"totp-secret\">")
        .expect("the secret is shown")
        + "id=\"totp-secret\">".len();
    let secret = enroll.html[i..].split('<').next().unwrap().to_string();
    assert!(enroll.html.contains("<svg"), "a QR code");
    let seed = totp_rs::Secret::try_from_base32(&secret).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(seed.as_bytes().to_vec())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = totp.generate(now).to_string();
    let done = b
        .post("/login/enroll", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    let (_, s) = b.json("/api/v1/sessions/me").await;
    assert!(s["amr"].as_array().unwrap().contains(&json!("otp")), "{s}");
    // The end-user page lists the factor and can remove it.
    let me = b.get("/me").await;
    assert!(me.html.contains("token:software:totp"), "{}", me.html);
}
http_test!(mfa_with_a_totp_app);

async fn denied_access_and_safe_redirects(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("fay@a.test"),
    )
    .send()
    .await
    .unwrap();
    // Open redirects are refused: a foreign target lands on /me.
    let b = Browser::new(h, "a.test");
    let p = b.get("/login?return_to=https://evil.example/x").await;
    let token = csrf(&p.html);
    b.post(
        "/login/identify",
        &[("csrf", &token), ("username", "fay@a.test")],
    )
    .await;
    let r = b
        .post(
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/me"));
    let b = Browser::new(h, "a.test");
    let p = b.get("/login?return_to=//evil.example").await;
    let token = csrf(&p.html);
    b.post(
        "/login/identify",
        &[("csrf", &token), ("username", "fay@a.test")],
    )
    .await;
    let r = b
        .post(
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/me"));
    // A DENY rule shows a readable page with the reason.
    let gsp: Vec<Value> = h
        .get("a.test", "/api/v1/policies?type=OKTA_SIGN_ON", &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gid = gsp[0]["id"].as_str().unwrap();
    let rule = json!({"name": "Nobody", "priority": 1, "actions": {"signon": {"access": "DENY"}}});
    assert_eq!(
        h.post(
            "a.test",
            &format!("/api/v1/policies/{gid}/rules"),
            &h.token_a,
            rule
        )
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
    let b = Browser::new(h, "a.test");
    sign_in_with_password(&b, "fay@a.test", "correct horse battery").await;
    let denied = b.get("/login").await;
    assert!(denied.html.contains("Access denied"), "{}", denied.html);
    assert!(alert(&denied.html).is_some());
    assert_eq!(b.json("/api/v1/sessions/me").await.0, 404);
    // Unknown host: a readable 404 page.
    let nowhere = Browser::new(h, "nowhere.test");
    let p = nowhere.get("/login").await;
    assert_eq!(p.status, 404);
    assert!(alert(&p.html).is_some());
}
http_test!(denied_access_and_safe_redirects);

async fn flow_ids_rotate_attempts_are_limited_and_logged(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("gus@a.test"),
    )
    .send()
    .await
    .unwrap();
    let b = Browser::new(h, "a.test");
    let first = b.get("/login").await;
    let flow1 = first
        .set_cookies
        .iter()
        .find(|c| c.starts_with("federa_flow="))
        .expect("flow cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = csrf(&first.html);
    b.post(
        "/login/identify",
        &[("csrf", &token), ("username", "gus@a.test")],
    )
    .await;
    let done = b
        .post(
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/me"));
    // With MFA pending the flow id changes at the password step.
    require_mfa(h, "a.test", &h.token_a).await;
    let b = Browser::new(h, "a.test");
    let start = b.get("/login").await;
    let before = start
        .set_cookies
        .iter()
        .find(|c| c.starts_with("federa_flow="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = csrf(&start.html);
    b.post(
        "/login/identify",
        &[("csrf", &token), ("username", "gus@a.test")],
    )
    .await;
    let after = b
        .post(
            "/login/password",
            &[("csrf", &token), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(after.location.as_deref(), Some("/login"));
    let rotated = after
        .set_cookies
        .iter()
        .find(|c| c.starts_with("federa_flow="))
        .expect("a new flow cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(before, rotated);
    assert_ne!(flow1, rotated);
    // The old flow id no longer works.
    let stale = Browser::new(h, "a.test");
    let res = stale
        .client
        .post(h.url("a.test", "/login/choose"))
        .header("cookie", before.clone())
        .form(&[("csrf", token.as_str()), ("option", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?restart=1");
    // Attempts per username are limited, for unknown users too.
    let b = Browser::new(h, "a.test");
    let p = b.get("/login").await;
    let token = csrf(&p.html);
    b.post(
        "/login/identify",
        &[("csrf", &token), ("username", "ghost@a.test")],
    )
    .await;
    for _ in 0..20 {
        b.post(
            "/login/password",
            &[("csrf", &token), ("password", "nope nope")],
        )
        .await;
    }
    b.post(
        "/login/password",
        &[("csrf", &token), ("password", "nope nope")],
    )
    .await;
    let msg = alert(&b.get("/login").await.html).unwrap();
    assert!(msg.contains("Too many attempts"), "{msg}");
    // The System Log has the story.
    let logs: Vec<Value> = h
        .get("a.test", "/api/v1/logs?limit=1000", &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let has = |t: &str, r: &str| {
        logs.iter()
            .any(|e| e["eventType"] == t && e["outcome"]["result"] == r)
    };
    assert!(has("user.session.start", "SUCCESS"), "{logs:?}");
    assert!(has("user.session.start", "FAILURE"));
    assert!(has("user.authentication.auth_via_password", "SUCCESS"));
    assert!(has("policy.evaluate_sign_on", "CHALLENGE"));
    assert!(has("system.operation.rate_limit.violation", "DENY"));
    let fail = logs
        .iter()
        .find(|e| e["eventType"] == "user.session.start" && e["outcome"]["result"] == "FAILURE")
        .unwrap();
    assert_eq!(fail["outcome"]["reason"], "UNKNOWN_USER");
    assert!(
        !serde_json::to_string(&logs).unwrap().contains("nope nope"),
        "passwords never reach the log"
    );
    // Org B's log has none of it.
    let other: Vec<Value> = h
        .get("b.test", "/api/v1/logs?limit=1000", &h.token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(other.iter().all(|e| e["eventType"] != "user.session.start"));
}
http_test!(flow_ids_rotate_attempts_are_limited_and_logged);

async fn mfa_by_sms_with_a_phone_enrolled_on_the_spot(h: &Harness) {
    h.post(
        "a.test",
        "/api/v1/users",
        &h.token_a,
        user_body("hal@a.test"),
    )
    .send()
    .await
    .unwrap();
    activate_authenticator(h, "a.test", &h.token_a, "phone_number").await;
    require_mfa(h, "a.test", &h.token_a).await;
    let b = Browser::new(h, "a.test");
    sign_in_with_password(&b, "hal@a.test", "correct horse battery").await;
    let choose = b.get("/login").await;
    let idx = choice(&choose.html, "(SMS)");
    let token = csrf(&choose.html);
    b.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let enroll = b.get("/login").await;
    assert!(enroll.html.contains("Phone number"), "{}", enroll.html);
    // A malformed number is refused with a readable message.
    b.post(
        "/login/enroll",
        &[("csrf", &token), ("phone", "call me maybe")],
    )
    .await;
    assert!(alert(&b.get("/login").await.html).is_some());
    b.post(
        "/login/enroll",
        &[("csrf", &token), ("phone", "+1 555 555 0100")],
    )
    .await;
    let items: Vec<Value> = h
        .get("a.test", "/api/v1/outbox", &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sms = items
        .iter()
        .find(|m| m["channel"] == "sms")
        .expect("an SMS in the outbox");
    let body = sms["body"].as_str().unwrap();
    let code = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_string();
    let done = b
        .post("/login/enroll", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/me"), "{}", done.html);
    let (_, s) = b.json("/api/v1/sessions/me").await;
    assert!(s["amr"].as_array().unwrap().contains(&json!("sms")), "{s}");
    // The same code cannot be used again: a new flow challenging SMS needs a new code.
    let b2 = Browser::new(h, "a.test");
    sign_in_with_password(&b2, "hal@a.test", "correct horse battery").await;
    let choose = b2.get("/login").await;
    let idx = choice(&choose.html, "(SMS)");
    let token = csrf(&choose.html);
    b2.post("/login/choose", &[("csrf", &token), ("option", &idx)])
        .await;
    let r = b2
        .post("/login/verify", &[("csrf", &token), ("answer", &code)])
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "the old code is refused"
    );
    assert!(alert(&b2.get("/login").await.html).is_some());
}
http_test!(mfa_by_sms_with_a_phone_enrolled_on_the_spot);
