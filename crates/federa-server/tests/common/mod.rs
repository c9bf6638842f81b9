//! Harness for the HTTP suites: a real server on port 0 over a temporary database (SQLite, or
//! PostgreSQL when `FEDERA_TEST_POSTGRES_URL` is set), two orgs `a.test` and `b.test` with
//! their admin tokens, and an HTTP client that resolves those names to the server.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod rp;

use federa_core::model::Engine;
use federa_core::service::orgs;
use federa_server::app::{self, Running};
use federa_server::config::{Config, Overrides};
use federa_testkit::{Db, TestDb};

pub struct Harness {
    pub server: Option<Running>,
    pub db: Option<TestDb>,
    pub client: reqwest::Client,
    pub port: u16,
    pub token_a: String,
    pub token_b: String,
    pub bootstrap_token: Option<String>,
}

pub fn test_config(db: &TestDb) -> Config {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(std::env::temp_dir()),
        database_url: Some(db.url.clone()),
    };
    // A fresh master key per test (PostgreSQL requires one to be configured).
    // Loopback outbound requests: SP orgs' metadata and keys are served by the same machine.
    let env = vec![
        (
            "FEDERA_MASTER_KEY".to_string(),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
        ),
        (
            "FEDERA_OUTBOUND__ALLOW_LOOPBACK".to_string(),
            "true".to_string(),
        ),
    ];
    Config::load(None, &env, &overrides).expect("config")
}

impl Harness {
    pub async fn start(kind: Db) -> Option<Self> {
        let db = TestDb::new(kind).await?;
        let cfg = test_config(&db);
        let server = app::start(&cfg, false).await.expect("server starts");
        let ctx = server.ctx.clone();
        let a = orgs::create(&ctx, "Org A", &["a.test".into()], Engine::Identity, "t")
            .await
            .expect("org a");
        let b = orgs::create(&ctx, "Org B", &["b.test".into()], Engine::Identity, "t")
            .await
            .expect("org b");
        let addr = server.addr;
        let client = reqwest::Client::builder()
            .resolve("a.test", addr)
            .resolve("b.test", addr)
            .resolve("nowhere.test", addr)
            .resolve("localhost", addr)
            .build()
            .expect("client");
        Some(Self {
            port: addr.port(),
            bootstrap_token: server.bootstrap.as_ref().map(|b| b.token.expose().clone()),
            server: Some(server),
            db: Some(db),
            client,
            token_a: a.token.expose().clone(),
            token_b: b.token.expose().clone(),
        })
    }

    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    pub fn get(&self, host: &str, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .get(self.url(host, path))
            .header("Authorization", format!("SSWS {token}"))
    }

    /// `GET` with the admin token, expecting 200 and a JSON body.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        host: &str,
        path: &str,
        token: &str,
    ) -> T {
        let res = self.get(host, path, token).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("a JSON body")
    }

    pub fn post(
        &self,
        host: &str,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(host, path))
            .header("Authorization", format!("SSWS {token}"))
            .json(&body)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await.expect("graceful stop");
        }
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }
}

pub fn user_body(login: &str) -> serde_json::Value {
    serde_json::json!({
        "profile": { "login": login, "email": login, "firstName": "Grace", "lastName": "Hopper" },
        "credentials": { "password": { "value": "correct horse battery" } }
    })
}

/// Asserts an Okta error object with `code` whose causes mention `needle`, and whose errorId
/// equals the response's request id.
pub async fn assert_error(
    res: reqwest::Response,
    status: u16,
    code: &str,
    needle: &str,
) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let rid = res
        .headers()
        .get("x-okta-request-id")
        .map(|v| v.to_str().unwrap().to_string());
    let body: serde_json::Value = res.json().await.expect("error body is JSON");
    assert_eq!(body["errorCode"], code, "{body}");
    assert_eq!(body["errorLink"], code, "{body}");
    assert_eq!(
        Some(body["errorId"].as_str().unwrap().to_string()),
        rid,
        "errorId is the request id"
    );
    let text = body.to_string();
    assert!(text.contains(needle), "expected '{needle}' in {text}");
    body
}

/// Declares an HTTP test run on SQLite and on PostgreSQL (skipped without the env var).
#[macro_export]
macro_rules! http_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let h = $crate::common::Harness::start(federa_testkit::Db::Sqlite)
                    .await
                    .expect("sqlite");
                super::$name(&h).await;
                h.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(h) = $crate::common::Harness::start(federa_testkit::Db::Postgres).await
                else {
                    eprintln!(
                        "skipped: set {} to run the PostgreSQL variant",
                        federa_testkit::POSTGRES_ENV
                    );
                    return;
                };
                super::$name(&h).await;
                h.stop().await;
            }
        }
    };
}
