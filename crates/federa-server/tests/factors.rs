//! User factors and the outbox (CONTRACT §2 user factors; issue 4) over real HTTP on both
//! databases: TOTP enrollment with codes computed here by totp-rs, replay and wrong-code
//! refusal, email / SMS / voice codes read from the outbox (single use, superseded by a new
//! challenge), security questions, enrollment refused while the authenticator is inactive, bad
//! input, org isolation of factors and outbox, SMTP and webhook delivery (and a failing
//! webhook that loses nothing), and no secret in any factor read back or in the logs. Expiry and
//! lockout, which need time to pass, run at the core level on a `FixedClock`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, assert_error, user_body};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, OnceLock};

// ---------------------------------------------------------------------------------------------
// Log capture: one subscriber for the whole test binary, writing into a shared buffer, so a
// test can assert that its secrets never reached a log line.

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static LogBuf {
    static LOGS: OnceLock<LogBuf> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = LogBuf::default();
        let writer = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buf
    })
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap()).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Helpers.

async fn send_json(res: reqwest::RequestBuilder) -> (u16, Value) {
    let res = res.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {text}"))
    };
    (status, v)
}

async fn new_user(h: &Harness, host: &str, token: &str, login: &str) -> String {
    let (st, u) =
        send_json(h.post(host, "/api/v1/users?activate=true", token, user_body(login))).await;
    assert_eq!(st, 200, "{u}");
    u["id"].as_str().unwrap().to_string()
}

async fn activate_authenticator(h: &Harness, host: &str, token: &str, key: &str) {
    let (_, all) = send_json(h.get(host, "/api/v1/authenticators", token)).await;
    let id = all
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, a) = send_json(h.post(
        host,
        &format!("/api/v1/authenticators/{id}/lifecycle/activate"),
        token,
        json!({}),
    ))
    .await;
    assert_eq!(st, 200, "{a}");
}

fn factors_path(user: &str) -> String {
    format!("/api/v1/users/{user}/factors")
}

async fn enroll(h: &Harness, user: &str, body: Value) -> (u16, Value) {
    send_json(h.post("a.test", &factors_path(user), &h.token_a, body)).await
}

async fn activate(h: &Harness, user: &str, fid: &str, code: &str) -> reqwest::Response {
    h.post(
        "a.test",
        &format!("{}/{fid}/lifecycle/activate", factors_path(user)),
        &h.token_a,
        json!({ "passCode": code }),
    )
    .send()
    .await
    .unwrap()
}

async fn verify(h: &Harness, user: &str, fid: &str, body: Value) -> reqwest::Response {
    h.post(
        "a.test",
        &format!("{}/{fid}/verify", factors_path(user)),
        &h.token_a,
        body,
    )
    .send()
    .await
    .unwrap()
}

async fn assert_success(res: reqwest::Response) {
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v, json!({ "factorResult": "SUCCESS" }));
}

async fn assert_refused(res: reqwest::Response) {
    assert_error(res, 403, "E0000068", "Invalid Passcode/Answer").await;
}

/// The newest outbox message of org A.
async fn latest_message(h: &Harness, host: &str, token: &str) -> Value {
    let (st, all) = send_json(h.get(host, "/api/v1/outbox?limit=1", token)).await;
    assert_eq!(st, 200, "{all}");
    all.as_array()
        .unwrap()
        .first()
        .cloned()
        .unwrap_or(Value::Null)
}

/// The 6-digit code in a message body (voice bodies spell the digits out with spaces).
fn code_in(msg: &Value) -> String {
    let digits: String = msg["body"]
        .as_str()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits[..6].to_string()
}

fn totp_for(secret_b32: &str) -> totp_rs::Totp {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .unwrap()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A code of `t` that is not `avoid` (two steps can share a code by chance).
fn other_code(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

// ---------------------------------------------------------------------------------------------
// TOTP.

async fn totp_enroll_activate_verify_and_replay(h: &Harness) {
    logs();
    activate_authenticator(h, "a.test", &h.token_a, "google_otp").await;
    let user = new_user(h, "a.test", &h.token_a, "totp@a.test").await;
    let (st, f) = enroll(
        h,
        &user,
        json!({ "factorType": "token:software:totp", "provider": "GOOGLE" }),
    )
    .await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["factorType"], "token:software:totp");
    assert_eq!(f["provider"], "GOOGLE");
    assert_eq!(f["status"], "PENDING_ACTIVATION");
    assert!(f["id"].as_str().unwrap().starts_with("mfa"), "{f}");
    assert_eq!(f["profile"]["credentialId"], "totp@a.test");
    let act = &f["_embedded"]["activation"];
    assert_eq!(act["encoding"], "base32");
    assert_eq!(act["keyLength"], 6);
    assert_eq!(act["timeStep"], 30);
    assert_eq!(act["_links"]["qrcode"]["type"], "image/svg+xml");
    let href = act["_links"]["qrcode"]["href"].as_str().unwrap();
    let b64 = href.strip_prefix("data:image/svg+xml;base64,").unwrap();
    use base64::Engine as _;
    let svg = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    let secret = act["sharedSecret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 32, "160-bit seed in base32");
    let uri = act["otpauthUri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Org%20A:totp%40a.test?secret="),
        "{uri}"
    );
    assert!(uri.contains(&secret));
    let fid = f["id"].as_str().unwrap().to_string();
    assert!(
        f["_links"]["activate"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/factors/{fid}/lifecycle/activate"))
    );

    // Verifying before activation is a conflict, not a 500.
    let res = verify(h, &user, &fid, json!({ "passCode": "123456" })).await;
    assert_error(res, 409, "E0000195", "PENDING_ACTIVATION").await;

    let totp = totp_for(&secret);
    let t = now_secs();
    let code = totp.generate(t).to_string();
    // A wrong code is refused.
    assert_refused(activate(h, &user, &fid, &other_code(&code)).await).await;
    // The right one activates.
    let res = activate(h, &user, &fid, &code).await;
    assert_eq!(res.status(), 200);
    let active: Value = res.json().await.unwrap();
    assert_eq!(active["status"], "ACTIVE");
    assert!(active.get("_embedded").is_none(), "{active}");
    assert!(active["_links"]["verify"]["href"].is_string(), "{active}");
    // Activating again: conflict.
    let res = activate(h, &user, &fid, &code).await;
    assert_error(res, 409, "E0000195", "already active").await;

    // The code used for activation cannot be replayed.
    assert_refused(verify(h, &user, &fid, json!({ "passCode": code })).await).await;
    // The next step's code (within the ±1 skew) is accepted once.
    let next = totp.generate(t + 30).to_string();
    if next != code {
        assert_success(verify(h, &user, &fid, json!({ "passCode": next })).await).await;
        assert_refused(verify(h, &user, &fid, json!({ "passCode": next })).await).await;
        // An earlier step than the last accepted one is a replay too.
        assert_refused(verify(h, &user, &fid, json!({ "passCode": code })).await).await;
    }
    // Wrong codes are refused.
    assert_refused(verify(h, &user, &fid, json!({ "passCode": "abcdef" })).await).await;
    assert_refused(verify(h, &user, &fid, json!({ "passCode": "1234567" })).await).await;
    // Without a passCode: 400 naming it.
    let res = verify(h, &user, &fid, json!({})).await;
    assert_error(res, 400, "E0000001", "passCode").await;

    // Read back: no seed anywhere, and not in the logs.
    let (_, one) = send_json(h.get(
        "a.test",
        &format!("{}/{fid}", factors_path(&user)),
        &h.token_a,
    ))
    .await;
    let (_, all) = send_json(h.get("a.test", &factors_path(&user), &h.token_a)).await;
    for v in [&one, &all] {
        let s = v.to_string();
        assert!(!s.contains(&secret), "{s}");
        assert!(!s.contains("sharedSecret"), "{s}");
        assert!(!s.contains("otpauth"), "{s}");
    }
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(one["status"], "ACTIVE");
    let logged = log_text();
    assert!(
        logged.contains("factor verification failed"),
        "the log capture works"
    );
    assert!(!logged.contains(&secret), "the seed reached the logs");
    assert!(
        !logged.contains("passCode"),
        "a request body reached the logs"
    );

    // Delete: gone, and a second delete is 404.
    let del = h
        .client
        .delete(h.url("a.test", &format!("{}/{fid}", factors_path(&user))))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let del = h
        .client
        .delete(h.url("a.test", &format!("{}/{fid}", factors_path(&user))))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_error(del, 404, "E0000007", "factor").await;
    let (_, all) = send_json(h.get("a.test", &factors_path(&user), &h.token_a)).await;
    assert_eq!(all, json!([]));
}
http_test!(totp_enroll_activate_verify_and_replay);

async fn okta_verify_totp_and_re_enrollment(h: &Harness) {
    // okta_verify is active in a new org: no authenticator change needed.
    let user = new_user(h, "a.test", &h.token_a, "ov@a.test").await;
    let body = json!({ "factorType": "token:software:totp", "provider": "OKTA" });
    let (st, first) = enroll(h, &user, body.clone()).await;
    assert_eq!(st, 200, "{first}");
    // Enrolling again while pending replaces the pending factor (a new seed).
    let (st, second) = enroll(h, &user, body.clone()).await;
    assert_eq!(st, 200, "{second}");
    assert_ne!(first["id"], second["id"]);
    let (_, all) = send_json(h.get("a.test", &factors_path(&user), &h.token_a)).await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    let secret = second["_embedded"]["activation"]["sharedSecret"]
        .as_str()
        .unwrap();
    let fid = second["id"].as_str().unwrap();
    let code = totp_for(secret).generate(now_secs()).to_string();
    assert_eq!(activate(h, &user, fid, &code).await.status(), 200);
    // Once active, enrolling the same kind again is refused, naming factorType.
    let (st, err) = enroll(h, &user, body).await;
    assert_eq!(st, 400, "{err}");
    assert!(err.to_string().contains("factorType"), "{err}");
    assert!(err.to_string().contains("already enrolled"), "{err}");
}
http_test!(okta_verify_totp_and_re_enrollment);

async fn wrong_totp_codes_lock_the_factor(h: &Harness) {
    let user = new_user(h, "a.test", &h.token_a, "lock@a.test").await;
    let (_, f) = enroll(
        h,
        &user,
        json!({ "factorType": "token:software:totp", "provider": "OKTA" }),
    )
    .await;
    let secret = f["_embedded"]["activation"]["sharedSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let fid = f["id"].as_str().unwrap().to_string();
    let totp = totp_for(&secret);
    let t = now_secs();
    let code = totp.generate(t).to_string();
    assert_eq!(activate(h, &user, &fid, &code).await.status(), 200);
    // Every wrong answer is counted: after MAX_FAILURES of them even a right code is refused.
    let right = totp.generate(t + 30).to_string();
    let wrong = other_code(&other_code(&right));
    for _ in 0..federa_core::service::factors::MAX_FAILURES {
        assert_refused(verify(h, &user, &fid, json!({ "passCode": wrong })).await).await;
    }
    assert_refused(verify(h, &user, &fid, json!({ "passCode": right })).await).await;
}
http_test!(wrong_totp_codes_lock_the_factor);

// ---------------------------------------------------------------------------------------------
// Codes sent through the notifier.

async fn email_codes_come_from_the_outbox_and_are_single_use(h: &Harness) {
    logs();
    let user = new_user(h, "a.test", &h.token_a, "mail@a.test").await;
    // okta_email is active by default; the address defaults to the user's primary email.
    let (st, f) = enroll(
        h,
        &user,
        json!({ "factorType": "email", "provider": "OKTA" }),
    )
    .await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["status"], "PENDING_ACTIVATION");
    assert_eq!(f["profile"]["email"], "mail@a.test");
    assert!(f["_embedded"]["activation"]["expiresAt"].is_string(), "{f}");
    assert!(f["_links"]["resend"]["href"].is_string(), "{f}");
    let fid = f["id"].as_str().unwrap().to_string();
    let msg = latest_message(h, "a.test", &h.token_a).await;
    assert_eq!(msg["channel"], "email");
    assert_eq!(msg["to"], "mail@a.test");
    assert_eq!(msg["status"], "STORED", "no transport configured: {msg}");
    assert!(
        msg["subject"]
            .as_str()
            .unwrap()
            .contains("verification code")
    );
    assert!(msg["id"].as_str().unwrap().starts_with("obx"));
    assert!(msg["created"].as_str().unwrap().ends_with('Z'));
    let code = code_in(&msg);
    assert_refused(activate(h, &user, &fid, &other_code(&code)).await).await;
    let res = activate(h, &user, &fid, &code).await;
    assert_eq!(res.status(), 200);
    // The activation code is used up.
    assert_refused(verify(h, &user, &fid, json!({ "passCode": code })).await).await;
    // An empty verify sends a new code (Okta's CHALLENGE).
    let res = h
        .client
        .post(h.url("a.test", &format!("{}/{fid}/verify", factors_path(&user))))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "factorResult": "CHALLENGE" })
    );
    let first = code_in(&latest_message(h, "a.test", &h.token_a).await);
    // A resend supersedes it.
    let (st, _) = send_json(h.post(
        "a.test",
        &format!("{}/{fid}/resend", factors_path(&user)),
        &h.token_a,
        json!({}),
    ))
    .await;
    assert_eq!(st, 200);
    let second = code_in(&latest_message(h, "a.test", &h.token_a).await);
    if first != second {
        assert_refused(verify(h, &user, &fid, json!({ "passCode": first })).await).await;
    }
    assert_success(verify(h, &user, &fid, json!({ "passCode": second })).await).await;
    assert_refused(verify(h, &user, &fid, json!({ "passCode": second })).await).await;
    // Outbox pagination: newest first with a next link.
    let res = h
        .get("a.test", "/api/v1/outbox?limit=2", &h.token_a)
        .send()
        .await
        .unwrap();
    let link = res.headers()["link"].to_str().unwrap().to_string();
    let page: Value = res.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 2);
    assert_eq!(code_in(&page[0]), second);
    assert!(link.contains("rel=\"next\""), "{link}");
    let after = page[1]["id"].as_str().unwrap();
    let (_, rest) = send_json(h.get(
        "a.test",
        &format!("/api/v1/outbox?after={after}"),
        &h.token_a,
    ))
    .await;
    // Three messages in all: enrollment, challenge, resend.
    assert_eq!(rest.as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(code_in(&rest[0]), code);
    // No code in a factor read back, nor in the logs.
    let (_, all) = send_json(h.get("a.test", &factors_path(&user), &h.token_a)).await;
    let logged = log_text();
    for c in [&code, &first, &second] {
        assert!(!all.to_string().contains(c.as_str()), "{all}");
        assert!(
            !logged.contains(&format!("code is {c}")),
            "a code reached the logs"
        );
    }
}
http_test!(email_codes_come_from_the_outbox_and_are_single_use);

async fn sms_and_voice_factors(h: &Harness) {
    let user = new_user(h, "a.test", &h.token_a, "phone@a.test").await;
    let body = json!({ "factorType": "sms", "provider": "OKTA", "profile": { "phoneNumber": "+1 (415) 555-0100" } });
    // phone_number starts INACTIVE: enrollment is refused, naming factorType.
    let (st, err) = enroll(h, &user, body.clone()).await;
    assert_eq!(st, 400, "{err}");
    assert_eq!(err["errorCode"], "E0000001");
    assert!(err.to_string().contains("factorType"), "{err}");
    assert!(err.to_string().contains("phone_number"), "{err}");
    activate_authenticator(h, "a.test", &h.token_a, "phone_number").await;
    let (st, f) = enroll(h, &user, body).await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["profile"]["phoneNumber"], "+14155550100");
    let msg = latest_message(h, "a.test", &h.token_a).await;
    assert_eq!(msg["channel"], "sms");
    assert_eq!(msg["to"], "+14155550100");
    let fid = f["id"].as_str().unwrap();
    assert_eq!(activate(h, &user, fid, &code_in(&msg)).await.status(), 200);

    let (st, c) = enroll(
        h,
        &user,
        json!({ "factorType": "call", "profile": { "phoneNumber": "+442071838750" } }),
    )
    .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["provider"], "OKTA", "OKTA is the default provider");
    let msg = latest_message(h, "a.test", &h.token_a).await;
    assert_eq!(msg["channel"], "voice");
    let cid = c["id"].as_str().unwrap();
    assert_eq!(activate(h, &user, cid, &code_in(&msg)).await.status(), 200);
    // Challenge and verify the voice factor.
    let res = verify(h, &user, cid, json!({})).await;
    assert_eq!(res.status(), 201);
    let code = code_in(&latest_message(h, "a.test", &h.token_a).await);
    assert_success(verify(h, &user, cid, json!({ "passCode": code })).await).await;
    let (_, all) = send_json(h.get("a.test", &factors_path(&user), &h.token_a)).await;
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["factorType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sms", "call"]);
}
http_test!(sms_and_voice_factors);

// ---------------------------------------------------------------------------------------------
// Security question.

async fn security_question_answers_ignore_case_and_spacing(h: &Harness) {
    logs();
    let user = new_user(h, "a.test", &h.token_a, "q@a.test").await;
    let body = json!({ "factorType": "question", "provider": "OKTA",
        "profile": { "question": "disliked_food", "answer": "  Brussels   Sprouts " } });
    let (st, err) = enroll(h, &user, body.clone()).await;
    assert_eq!(st, 400, "inactive authenticator: {err}");
    assert!(err.to_string().contains("security_question"), "{err}");
    activate_authenticator(h, "a.test", &h.token_a, "security_question").await;
    let (st, f) = enroll(h, &user, body).await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["status"], "ACTIVE", "questions are active at once");
    assert_eq!(f["profile"]["question"], "disliked_food");
    assert_eq!(
        f["profile"]["questionText"],
        "What is the food you least liked as a child?"
    );
    assert!(f.get("_embedded").is_none(), "{f}");
    let fid = f["id"].as_str().unwrap();
    assert_success(verify(h, &user, fid, json!({ "answer": "brussels sprouts" })).await).await;
    assert_success(verify(h, &user, fid, json!({ "answer": "BRUSSELS\tSPROUTS  " })).await).await;
    assert_refused(verify(h, &user, fid, json!({ "answer": "broccoli" })).await).await;
    let res = verify(h, &user, fid, json!({})).await;
    assert_error(res, 400, "E0000001", "answer").await;
    let (_, one) = send_json(h.get(
        "a.test",
        &format!("{}/{fid}", factors_path(&user)),
        &h.token_a,
    ))
    .await;
    let s = one.to_string().to_lowercase();
    assert!(!s.contains("brussels") && !s.contains("answer"), "{one}");
    assert!(
        !log_text().to_lowercase().contains("brussels"),
        "the answer reached the logs"
    );
    // The questions catalogue, and a custom question.
    let (st, qs) = send_json(h.get(
        "a.test",
        &format!("{}/questions", factors_path(&user)),
        &h.token_a,
    ))
    .await;
    assert_eq!(st, 200);
    assert!(
        qs.as_array()
            .unwrap()
            .iter()
            .any(|q| q["question"] == "disliked_food")
    );
    let other = new_user(h, "a.test", &h.token_a, "q2@a.test").await;
    let (st, f) = enroll(h, &other, json!({ "factorType": "question",
        "profile": { "question": "custom", "questionText": "Favourite bridge?", "answer": "Tower Bridge" } })).await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["profile"]["questionText"], "Favourite bridge?");
}
http_test!(security_question_answers_ignore_case_and_spacing);

// ---------------------------------------------------------------------------------------------
// Bad input and isolation.

async fn bad_input_gets_clear_errors_never_500(h: &Harness) {
    let user = new_user(h, "a.test", &h.token_a, "bad@a.test").await;
    let path = factors_path(&user);
    let cases = [
        (json!({ "factorType": "push" }), "factorType"),
        (
            json!({ "factorType": "sms", "provider": "ACME" }),
            "provider",
        ),
        (
            json!({ "factorType": "sms", "provider": "GOOGLE" }),
            "provider",
        ),
        (json!({ "factorType": 7 }), "factorType"),
        (json!({ "provider": "OKTA" }), "factorType"),
        (
            json!({ "factorType": "email", "profile": { "email": "not-an-address" } }),
            "profile.email",
        ),
        (
            json!({ "factorType": "email", "profile": { "colour": "red" } }),
            "colour",
        ),
        (json!({ "factorType": "email", "extra": 1 }), "extra"),
    ];
    for (body, needle) in cases {
        let res = h
            .post("a.test", &path, &h.token_a, body.clone())
            .send()
            .await
            .unwrap();
        assert_error(res, 400, "E0000001", needle).await;
    }
    activate_authenticator(h, "a.test", &h.token_a, "phone_number").await;
    activate_authenticator(h, "a.test", &h.token_a, "security_question").await;
    let more = [
        (json!({ "factorType": "sms" }), "profile.phoneNumber"),
        (
            json!({ "factorType": "sms", "profile": { "phoneNumber": "555-0100" } }),
            "profile.phoneNumber",
        ),
        (
            json!({ "factorType": "question", "profile": { "question": "nope", "answer": "abcd" } }),
            "profile.question",
        ),
        (
            json!({ "factorType": "question", "profile": { "question": "disliked_food", "answer": " a b " } }),
            "profile.answer",
        ),
        (
            json!({ "factorType": "question", "profile": { "question": "custom", "answer": "abcdef" } }),
            "profile.questionText",
        ),
    ];
    for (body, needle) in more {
        let res = h
            .post("a.test", &path, &h.token_a, body.clone())
            .send()
            .await
            .unwrap();
        assert_error(res, 400, "E0000001", needle).await;
    }
    // Malformed JSON.
    let res = h
        .client
        .post(h.url("a.test", &path))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .header("Content-Type", "application/json")
        .body("{\"factorType\":")
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "E0000001", "malformed JSON").await;
    // Unknown ids.
    for fid in ["mfa00000000000000000", "not-an-id!", "x"] {
        let res = h
            .get("a.test", &format!("{path}/{fid}"), &h.token_a)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{fid}");
        let res = verify(h, &user, fid, json!({ "passCode": "123456" })).await;
        assert_eq!(res.status(), 404, "{fid}");
    }
    let res = h
        .get(
            "a.test",
            "/api/v1/users/00u00000000000000000/factors",
            &h.token_a,
        )
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "E0000007", "user").await;
    // Activation without a passCode; verify with a wrong type.
    let (_, f) = enroll(h, &user, json!({ "factorType": "email" })).await;
    let fid = f["id"].as_str().unwrap();
    let res = h
        .post(
            "a.test",
            &format!("{path}/{fid}/lifecycle/activate"),
            &h.token_a,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "E0000001", "passCode").await;
    let res = h
        .post(
            "a.test",
            &format!("{path}/{fid}/lifecycle/activate"),
            &h.token_a,
            json!({ "passCode": 123456 }),
        )
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "E0000001", "passCode").await;
    // Without a token.
    let res = h.client.get(h.url("a.test", &path)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = h
        .client
        .get(h.url("a.test", "/api/v1/outbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = h
        .get("a.test", "/api/v1/outbox?limit=0", &h.token_a)
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "E0000001", "limit").await;
}
http_test!(bad_input_gets_clear_errors_never_500);

async fn other_orgs_see_no_factors_and_no_outbox(h: &Harness) {
    let user_a = new_user(h, "a.test", &h.token_a, "iso@a.test").await;
    let (_, f) = enroll(h, &user_a, json!({ "factorType": "email" })).await;
    let fid = f["id"].as_str().unwrap().to_string();
    let code = code_in(&latest_message(h, "a.test", &h.token_a).await);
    // Org B, on its own host, cannot reach A's user or factor.
    let res = h
        .get("b.test", &factors_path(&user_a), &h.token_b)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "E0000007", "user").await;
    let res = h
        .post(
            "b.test",
            &format!("{}/{fid}/lifecycle/activate", factors_path(&user_a)),
            &h.token_b,
            json!({ "passCode": code }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = h
        .post(
            "b.test",
            &factors_path(&user_a),
            &h.token_b,
            json!({ "factorType": "email" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // A factor id of A under one of B's users is unknown too.
    let user_b = new_user(h, "b.test", &h.token_b, "iso@b.test").await;
    let res = h
        .get(
            "b.test",
            &format!("{}/{fid}", factors_path(&user_b)),
            &h.token_b,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // B's token does not work on A's host.
    let res = h
        .get("a.test", &factors_path(&user_a), &h.token_b)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // B's outbox is empty; A's holds the code.
    let (_, b_out) = send_json(h.get("b.test", "/api/v1/outbox", &h.token_b)).await;
    assert_eq!(b_out, json!([]));
    let a_first = latest_message(h, "a.test", &h.token_a).await;
    let (_, b_after) = send_json(h.get(
        "b.test",
        &format!("/api/v1/outbox?after={}", a_first["id"].as_str().unwrap()),
        &h.token_b,
    ))
    .await;
    assert_eq!(b_after, json!([]), "A's cursor selects nothing in B");
    // A's factor still activates with its code (B's attempts did not consume it).
    assert_eq!(activate(h, &user_a, &fid, &code).await.status(), 200);
}
http_test!(other_orgs_see_no_factors_and_no_outbox);

// ---------------------------------------------------------------------------------------------
// Delivery through SMTP and the webhook.

/// A minimal SMTP server: accepts every message and records the DATA sections.
async fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 fake ESMTP\r\n").await;
                let mut in_data = false;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            sink.lock().unwrap().push(std::mem::take(&mut data));
                            let _ = w.write_all(b"250 queued\r\n").await;
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 fake\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (port, got)
}

/// A webhook that records JSON bodies.
async fn fake_webhook() -> (u16, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (port, got)
}

/// Like `Harness::start`, with extra environment for the config (the `[notify]` section).
async fn start_with_env(kind: federa_testkit::Db, extra: &[(&str, String)]) -> Option<Harness> {
    use federa_core::model::Engine;
    use federa_core::service::orgs;
    use federa_server::config::{Config, Overrides};
    let db = federa_testkit::TestDb::new(kind).await?;
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(std::env::temp_dir()),
        database_url: Some(db.url.clone()),
    };
    let mut env = vec![(
        "FEDERA_MASTER_KEY".to_string(),
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
    )];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let cfg = Config::load(None, &env, &overrides).expect("config");
    let server = federa_server::app::start(&cfg, false)
        .await
        .expect("server starts");
    let ctx = server.ctx.clone();
    let a = orgs::create(&ctx, "Org A", &["a.test".into()], Engine::Identity, "t")
        .await
        .unwrap();
    let b = orgs::create(&ctx, "Org B", &["b.test".into()], Engine::Identity, "t")
        .await
        .unwrap();
    let addr = server.addr;
    let client = reqwest::Client::builder()
        .resolve("a.test", addr)
        .resolve("b.test", addr)
        .build()
        .unwrap();
    Some(Harness {
        port: addr.port(),
        bootstrap_token: None,
        server: Some(server),
        db: Some(db),
        client,
        token_a: a.token.expose().clone(),
        token_b: b.token.expose().clone(),
    })
}

async fn codes_are_delivered_by_smtp_and_webhook(kind: federa_testkit::Db) {
    let (smtp_port, mails) = fake_smtp().await;
    let (hook_port, hooks) = fake_webhook().await;
    let env = [
        (
            "FEDERA_NOTIFY__SMTP_URL",
            format!("smtp://127.0.0.1:{smtp_port}"),
        ),
        (
            "FEDERA_NOTIFY__SMTP_FROM",
            "Federa <no-reply@federa.test>".to_string(),
        ),
        (
            "FEDERA_NOTIFY__SMS_WEBHOOK_URL",
            format!("http://127.0.0.1:{hook_port}/send?token=s3cr3t"),
        ),
    ];
    let Some(h) = start_with_env(kind, &env).await else {
        eprintln!(
            "skipped: set {} to run the PostgreSQL variant",
            federa_testkit::POSTGRES_ENV
        );
        return;
    };
    let user = new_user(&h, "a.test", &h.token_a, "deliver@a.test").await;
    let (st, f) = enroll(&h, &user, json!({ "factorType": "email" })).await;
    assert_eq!(st, 200, "{f}");
    let msg = latest_message(&h, "a.test", &h.token_a).await;
    assert_eq!(msg["status"], "DELIVERED", "{msg}");
    let code = code_in(&msg);
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains(&code), "{}", mails[0]);
    assert!(mails[0].contains("deliver@a.test"), "{}", mails[0]);
    assert!(mails[0].contains("no-reply@federa.test"), "{}", mails[0]);

    activate_authenticator(&h, "a.test", &h.token_a, "phone_number").await;
    let (st, f) = enroll(
        &h,
        &user,
        json!({ "factorType": "sms", "profile": { "phoneNumber": "+14155550100" } }),
    )
    .await;
    assert_eq!(st, 200, "{f}");
    let msg = latest_message(&h, "a.test", &h.token_a).await;
    assert_eq!(msg["status"], "DELIVERED", "{msg}");
    let hooks = hooks.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0]["to"], "+14155550100");
    assert_eq!(hooks[0]["channel"], "sms");
    assert_eq!(hooks[0]["id"], msg["id"]);
    assert!(hooks[0]["body"].as_str().unwrap().contains(&code_in(&msg)));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_delivered_by_smtp_and_webhook_sqlite() {
    codes_are_delivered_by_smtp_and_webhook(federa_testkit::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_are_delivered_by_smtp_and_webhook_postgres() {
    codes_are_delivered_by_smtp_and_webhook(federa_testkit::Db::Postgres).await;
}

async fn a_failing_webhook_loses_no_code(kind: federa_testkit::Db) {
    logs();
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let env = [(
        "FEDERA_NOTIFY__SMS_WEBHOOK_URL",
        format!("http://127.0.0.1:{closed}/send?token=hunter2hunter2"),
    )];
    let Some(h) = start_with_env(kind, &env).await else {
        eprintln!(
            "skipped: set {} to run the PostgreSQL variant",
            federa_testkit::POSTGRES_ENV
        );
        return;
    };
    activate_authenticator(&h, "a.test", &h.token_a, "phone_number").await;
    let user = new_user(&h, "a.test", &h.token_a, "fail@a.test").await;
    let (st, f) = enroll(
        &h,
        &user,
        json!({ "factorType": "sms", "profile": { "phoneNumber": "+14155550100" } }),
    )
    .await;
    assert_eq!(st, 200, "delivery failure does not fail enrollment: {f}");
    let msg = latest_message(&h, "a.test", &h.token_a).await;
    assert_eq!(msg["status"], "FAILED", "{msg}");
    let error = msg["error"].as_str().unwrap();
    assert!(error.contains("webhook"), "{error}");
    assert!(
        !error.contains("hunter2"),
        "the URL's credential is not echoed: {error}"
    );
    assert!(
        !log_text().contains("hunter2"),
        "the URL's credential reached the logs"
    );
    // The outbox still has the code, and it works.
    let fid = f["id"].as_str().unwrap();
    assert_eq!(activate(&h, &user, fid, &code_in(&msg)).await.status(), 200);
    // Email has no transport here: kept in the outbox only.
    let (_, _) = enroll(&h, &user, json!({ "factorType": "email" })).await;
    assert_eq!(
        latest_message(&h, "a.test", &h.token_a).await["status"],
        "STORED"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_loses_no_code_sqlite() {
    a_failing_webhook_loses_no_code(federa_testkit::Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_loses_no_code_postgres() {
    a_failing_webhook_loses_no_code(federa_testkit::Db::Postgres).await;
}

#[test]
fn invalid_notify_settings_are_refused_at_start() {
    use federa_server::config::{Config, Overrides};
    let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_path_buf()),
        database_url: None,
    };
    for (pairs, needle) in [
        (
            vec![("FEDERA_NOTIFY__SMTP_URL", "smtp://localhost:25")],
            "notify.smtp_from",
        ),
        (
            vec![
                ("FEDERA_NOTIFY__SMTP_URL", "ftp://nope"),
                ("FEDERA_NOTIFY__SMTP_FROM", "a@b.test"),
            ],
            "notify.smtp_url",
        ),
        (
            vec![("FEDERA_NOTIFY__SMS_WEBHOOK_URL", "not a url")],
            "notify.sms_webhook_url",
        ),
    ] {
        let cfg = Config::load(None, &env(&pairs), &overrides).unwrap();
        let err = rt
            .block_on(federa_server::app::start(&cfg, false))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err}");
    }
    let err = Config::load(
        None,
        &env(&[("FEDERA_NOTIFY__TIMEOUT_SECONDS", "0")]),
        &overrides,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("notify.timeout_seconds"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Core level, with a clock the test moves: expiry, superseded codes, attempt limits, lockout,
// TOTP steps, and the verification handed to the sign-in flow.

mod core_level {
    use federa_core::CoreError;
    use federa_core::Ctx;
    use federa_core::model::{Engine, FactorProfile, UserProfile};
    use federa_core::notify;
    use federa_core::page::PageRequest;
    use federa_core::service::authenticators::{self, Lifecycle};
    use federa_core::service::factors::{
        self, CODE_TTL_MS, EnrollFactor, FactorProvider, FactorType, LOCK_MS, MAX_CODE_ATTEMPTS,
        MAX_FAILURES,
    };
    use federa_core::service::{orgs, users};
    use federa_testkit::TestDb;
    use federa_types::{FixedClock, OrgId, Secret, Timestamp, UserId};
    use std::sync::Arc;

    const T0: i64 = 1_800_000_000_000;

    async fn setup(db: &TestDb) -> (Ctx, Arc<FixedClock>, OrgId, UserId) {
        let clock = Arc::new(FixedClock::new(Timestamp(T0)));
        let ctx = federa_testkit::ctx_with_clock(db.store().await, clock.clone());
        let org = orgs::create(&ctx, "Org C", &["c.test".into()], Engine::Identity, "t")
            .await
            .unwrap()
            .org
            .id;
        for a in authenticators::list(&ctx, &org).await.unwrap() {
            authenticators::lifecycle(&ctx, &org, a.id.as_str(), Lifecycle::Activate)
                .await
                .unwrap();
        }
        let user = users::create(
            &ctx,
            &org,
            users::NewUser {
                profile: UserProfile {
                    login: "core@c.test".into(),
                    email: "core@c.test".into(),
                    ..UserProfile::default()
                },
                password: None,
                group_ids: vec![],
            },
            true,
        )
        .await
        .unwrap()
        .id;
        (ctx, clock, org, user)
    }

    async fn last_code(ctx: &Ctx, org: &OrgId) -> String {
        let page = PageRequest::new(Some(1), None).unwrap();
        let m = notify::outbox(ctx, org, &page).await.unwrap();
        let digits: String = m.items[0]
            .body
            .expose()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        digits[..6].to_string()
    }

    fn input(t: FactorType, p: FactorProvider, profile: FactorProfile) -> EnrollFactor {
        EnrollFactor {
            factor_type: t,
            provider: p,
            profile,
            answer: None,
        }
    }

    pub async fn expired_superseded_and_exhausted_codes(db: &TestDb) {
        let (ctx, clock, org, user) = setup(db).await;
        let e = factors::enroll(
            &ctx,
            &org,
            &user,
            input(
                FactorType::Email,
                FactorProvider::Okta,
                FactorProfile::default(),
            ),
        )
        .await
        .unwrap();
        let fid = e.factor.id.to_string();
        let code = last_code(&ctx, &org).await;
        // Expired: one millisecond after the lifetime.
        clock.advance(CODE_TTL_MS);
        let err = factors::activate(&ctx, &org, &user, &fid, &code)
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::InvalidPasscode), "{err:?}");
        // A fresh challenge; the earlier code stays dead even though time moved on.
        factors::challenge(&ctx, &org, &user, &fid).await.unwrap();
        let fresh = last_code(&ctx, &org).await;
        if fresh != code {
            assert!(
                factors::activate(&ctx, &org, &user, &fid, &code)
                    .await
                    .is_err()
            );
        }
        // A code just before its expiry works.
        clock.advance(CODE_TTL_MS - 1);
        factors::activate(&ctx, &org, &user, &fid, &fresh)
            .await
            .unwrap();
        // Single use.
        assert!(
            factors::verify(&ctx, &org, &user, &fid, &fresh)
                .await
                .unwrap()
                .is_none()
        );
        // Attempts are limited per code: after MAX_CODE_ATTEMPTS wrong ones the right one fails.
        factors::challenge(&ctx, &org, &user, &fid).await.unwrap();
        let c = last_code(&ctx, &org).await;
        let wrong = format!("{:06}", (c.parse::<u32>().unwrap() + 1) % 1_000_000);
        for _ in 0..MAX_CODE_ATTEMPTS {
            assert!(
                factors::verify(&ctx, &org, &user, &fid, &wrong)
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        assert!(
            factors::verify(&ctx, &org, &user, &fid, &c)
                .await
                .unwrap()
                .is_none()
        );
        // A new code works, and the verification is the email authenticator's.
        factors::challenge(&ctx, &org, &user, &fid).await.unwrap();
        let c = last_code(&ctx, &org).await;
        let v = factors::verify(&ctx, &org, &user, &fid, &c)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            v.authenticator_key.as_ref().map(|k| k.as_str()),
            Some("okta_email")
        );
        assert_eq!(v.method.as_ref().map(|m| m.as_str()), Some("email"));
        assert_eq!(v.verified_at, clock.now_ts());
    }

    pub async fn lockout_ends_after_the_lock_period(db: &TestDb) {
        let (ctx, clock, org, user) = setup(db).await;
        let mut i = input(
            FactorType::Question,
            FactorProvider::Okta,
            FactorProfile {
                question: Some("first_award".into()),
                ..FactorProfile::default()
            },
        );
        i.answer = Some(Secret::new("Spelling Bee".into()));
        let f = factors::enroll(&ctx, &org, &user, i).await.unwrap().factor;
        let fid = f.id.to_string();
        // Failures below the limit are forgiven by a success.
        for _ in 0..MAX_FAILURES - 1 {
            assert!(
                factors::verify(&ctx, &org, &user, &fid, "nope")
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        assert!(
            factors::verify(&ctx, &org, &user, &fid, "spelling bee")
                .await
                .unwrap()
                .is_some()
        );
        let stored = factors::get(&ctx, &org, &user, &fid).await.unwrap();
        assert_eq!(stored.failed_attempts, 0);
        // MAX_FAILURES in a row lock it: the right answer is refused too.
        for _ in 0..MAX_FAILURES {
            assert!(
                factors::verify(&ctx, &org, &user, &fid, "nope")
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        let stored = factors::get(&ctx, &org, &user, &fid).await.unwrap();
        assert_eq!(stored.locked_until, Some(Timestamp(T0 + LOCK_MS)));
        assert!(
            factors::verify(&ctx, &org, &user, &fid, "spelling bee")
                .await
                .unwrap()
                .is_none()
        );
        clock.advance(LOCK_MS - 1);
        assert!(
            factors::verify(&ctx, &org, &user, &fid, "spelling bee")
                .await
                .unwrap()
                .is_none()
        );
        clock.advance(1);
        let v = factors::verify(&ctx, &org, &user, &fid, " SPELLING  bee ")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            v.authenticator_key.as_ref().map(|k| k.as_str()),
            Some("security_question")
        );
        // The stored secret is a hash, not the answer.
        let stored = factors::get(&ctx, &org, &user, &fid).await.unwrap();
        let s = stored.secret.unwrap().expose().clone();
        assert!(
            s.starts_with("$argon2id$") && !s.contains("spelling"),
            "{s}"
        );
    }

    pub async fn totp_steps_and_replays(db: &TestDb) {
        let (ctx, clock, org, user) = setup(db).await;
        let e = factors::enroll(
            &ctx,
            &org,
            &user,
            input(
                FactorType::Totp,
                FactorProvider::Google,
                FactorProfile::default(),
            ),
        )
        .await
        .unwrap();
        let factors::Activation::Totp { shared_secret, .. } = &e.activation else {
            panic!("TOTP activation data");
        };
        // The seed is sealed at rest.
        let sealed = e.factor.secret.clone().unwrap().expose().clone();
        assert!(sealed.starts_with("v1.") && !sealed.contains(shared_secret.expose().as_str()));
        let totp = super::totp_for(shared_secret.expose());
        let fid = e.factor.id.to_string();
        let secs = |c: &FixedClock| (c.now_ts().0 / 1000) as u64;
        let at = |t: u64| totp.generate(t).to_string();
        let t = secs(&clock);
        factors::activate(&ctx, &org, &user, &fid, &at(t))
            .await
            .unwrap();
        // Same step again: replay.
        assert!(
            factors::verify(&ctx, &org, &user, &fid, &at(t))
                .await
                .unwrap()
                .is_none()
        );
        // One step ahead (skew) is accepted once, and then the earlier step is a replay.
        let v = factors::verify(&ctx, &org, &user, &fid, &at(t + 30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            v.authenticator_key.as_ref().map(|k| k.as_str()),
            Some("google_otp")
        );
        assert_eq!(v.method.as_ref().map(|m| m.as_str()), Some("otp"));
        assert!(
            factors::verify(&ctx, &org, &user, &fid, &at(t + 30))
                .await
                .unwrap()
                .is_none()
        );
        // Two steps ahead is outside the window.
        assert!(
            factors::verify(&ctx, &org, &user, &fid, &at(t + 60))
                .await
                .unwrap()
                .is_none()
        );
        // Time passes: the code of the current step works, with spaces.
        clock.advance(120_000);
        let now = secs(&clock);
        let c = at(now);
        let spaced = format!("{} {}", &c[..3], &c[3..]);
        assert!(
            factors::verify(&ctx, &org, &user, &fid, &spaced)
                .await
                .unwrap()
                .is_some()
        );
        // A code from a minute and a half ago is too old.
        clock.advance(90_000);
        assert!(
            factors::verify(&ctx, &org, &user, &fid, &at(now))
                .await
                .unwrap()
                .is_none()
        );
        // Active factors only in `active`.
        let pending = factors::enroll(
            &ctx,
            &org,
            &user,
            input(
                FactorType::Totp,
                FactorProvider::Okta,
                FactorProfile::default(),
            ),
        )
        .await
        .unwrap();
        let all = factors::list(&ctx, &org, &user).await.unwrap();
        let active = factors::active(&ctx, &org, &user).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].id, e.factor.id);
        assert_ne!(active[0].id, pending.factor.id);
        // Deleting the user removes the factors.
        users::lifecycle(&ctx, &org, user.as_str(), users::Lifecycle::Deactivate)
            .await
            .unwrap();
        users::delete(&ctx, &org, user.as_str()).await.unwrap();
        assert!(factors::list(&ctx, &org, &user).await.unwrap().is_empty());
    }

    trait NowTs {
        fn now_ts(&self) -> Timestamp;
    }
    impl NowTs for FixedClock {
        fn now_ts(&self) -> Timestamp {
            federa_types::Clock::now(self)
        }
    }

    federa_testkit::contract_test!(expired_codes, expired_superseded_and_exhausted_codes);
    federa_testkit::contract_test!(lockout, lockout_ends_after_the_lock_period);
    federa_testkit::contract_test!(totp_steps, totp_steps_and_replays);
}
