//! `federa demo`'s setup (issue 7) on both databases: the hub's demo app, reached from the hub,
//! routed to the spoke by the routing rule, signed in there with password + TOTP, and back at
//! the hub with no second prompt: the app page shows the ID token, its amr and the factors the
//! hub credited from the spoke. Running the setup again (a second `federa demo` on the same data)
//! works and keeps the credentials.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::browser::{Browser, csrf, unescape};

fn client(h: &Harness) -> reqwest::Client {
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", h.port).parse().unwrap();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve("spoke.localhost", addr)
        .resolve("hub.localhost", addr)
        .build()
        .unwrap()
}

fn path_of(url: &str) -> String {
    if url.starts_with('/') {
        return url.to_string();
    }
    let u = url::Url::parse(url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

fn totp_code(secret_b32: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .unwrap()
        .generate(now)
        .to_string()
}

async fn demo_signs_in_through_the_spoke_without_a_second_prompt(h: &Harness) {
    let ctx = h.server.as_ref().unwrap().ctx.clone();
    let dir = tempfile::tempdir().unwrap();
    let demo = federa_server::demo::setup(&ctx, dir.path(), h.port)
        .await
        .unwrap();
    // A second run on the same data: same credentials, nothing duplicated.
    let again = federa_server::demo::setup(&ctx, dir.path(), h.port)
        .await
        .unwrap();
    assert_eq!(again.credentials.password, demo.credentials.password);
    assert_eq!(again.credentials.totp_secret, demo.credentials.totp_secret);
    assert_eq!(again.idp_id, demo.idp_id);
    let secret = demo.credentials.totp_secret.clone().unwrap();

    let c = client(h);
    let hub = Browser {
        h,
        host: "hub.localhost",
        client: c.clone(),
    };
    let spoke = Browser {
        h,
        host: "spoke.localhost",
        client: c.clone(),
    };
    let r = hub.get("/demo").await;
    assert_eq!(r.status, 303);
    let r = hub.get(&path_of(&r.location.unwrap())).await;
    assert_eq!(r.location.as_deref(), Some("/login"), "{}", r.html);
    let p = hub.get("/login").await;
    assert!(p.html.contains("Sign in with Spoke"), "{}", p.html);
    let token = csrf(&p.html);
    let r = hub
        .post(
            "/login/identify",
            &[
                ("csrf", &token),
                ("username", federa_server::demo::DEMO_USER),
            ],
        )
        .await;
    let to_idp = r.location.unwrap();
    assert!(
        to_idp.starts_with("/sso/idps/"),
        "routed to the spoke: {to_idp}"
    );
    let r = hub.get(&to_idp).await;
    let authorize = r.location.unwrap();
    // At the spoke: password, then TOTP.
    let r = spoke.get(&path_of(&authorize)).await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let p = spoke.get("/login").await;
    let token = csrf(&p.html);
    assert!(
        p.html.contains(federa_server::demo::DEMO_USER),
        "login_hint prefilled"
    );
    spoke
        .post(
            "/login/identify",
            &[
                ("csrf", &token),
                ("username", federa_server::demo::DEMO_USER),
            ],
        )
        .await;
    let r = spoke
        .post(
            "/login/password",
            &[("csrf", &token), ("password", &demo.credentials.password)],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "the spoke asks for a second factor"
    );
    let choose = spoke.get("/login").await;
    if choose.html.contains("name=\"option\"") {
        let idx = choose
            .html
            .split("name=\"option\" value=\"")
            .skip(1)
            .position(|chunk| chunk.contains(">Okta Verify"))
            .unwrap();
        spoke
            .post(
                "/login/choose",
                &[("csrf", &token), ("option", &idx.to_string())],
            )
            .await;
    }
    let r = spoke
        .post(
            "/login/verify",
            &[("csrf", &token), ("answer", &totp_code(&secret))],
        )
        .await;
    let r = spoke.get(&r.location.unwrap()).await;
    let callback = r.location.unwrap();
    // Back at the hub: the callback, the app's authorize, the app's callback.
    let mut next = path_of(&callback);
    for _ in 0..5 {
        let r = hub.get(&next).await;
        match r.location {
            Some(l) => {
                assert_ne!(l, "/login", "no second prompt at the hub: {}", r.html);
                next = path_of(&l);
            }
            None => {
                assert_eq!(r.status, 200, "{}", r.html);
                let html = unescape(&r.html);
                assert!(html.contains("Federa demo app"), "{html}");
                for amr in ["pwd", "otp", "mfa"] {
                    assert!(
                        html.contains(&format!("<code>{amr}</code>")),
                        "{amr}: {html}"
                    );
                }
                assert!(
                    html.contains(&demo.idp_id),
                    "credited from the spoke: {html}"
                );
                return;
            }
        }
    }
    panic!("the demo app page was not reached");
}
http_test!(demo_signs_in_through_the_spoke_without_a_second_prompt);
