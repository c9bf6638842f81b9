//! Process lifecycle: the first start on an empty database bootstraps the default org once;
//! `federa serve` answers with the token it printed and exits cleanly on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_server::app;
use federa_server::config::{Config, Overrides};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_org_is_created_only_on_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let o = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_path_buf()),
        database_url: None,
    };
    let cfg = Config::load(None, &[], &o).unwrap();
    let first = app::start(&cfg, false).await.unwrap();
    let boot = first.bootstrap.as_ref().expect("bootstrapped");
    let mut hosts = boot.org.hosts.clone();
    hosts.sort();
    assert_eq!(
        hosts,
        vec!["127.0.0.1".to_string(), "localhost".to_string()]
    );
    first.stop().await.unwrap();
    let second = app::start(&cfg, false).await.unwrap();
    assert!(
        second.bootstrap.is_none(),
        "no second default org, no second token"
    );
    assert_eq!(second.ctx.store.count_orgs().await.unwrap(), 1);
    second.stop().await.unwrap();
    assert!(
        dir.path().join("federa.db").exists(),
        "SQLite file under the data directory"
    );
}

#[test]
fn serve_prints_a_working_token_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_federa"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(a) = line.trim().strip_prefix("listening on http://") {
            addr = a.to_string();
            break;
        }
        line.clear();
    }
    assert!(!addr.is_empty(), "serve announces its address");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut token = String::new();
    let mut l = String::new();
    while stdout.read_line(&mut l).unwrap() > 0 {
        if let Some(t) = l
            .trim()
            .strip_prefix("Admin API token (shown only this once; keep it): ")
        {
            token = t.to_string();
            break;
        }
        l.clear();
    }
    assert!(token.starts_with("00"), "token printed: {l}");
    let port = addr.rsplit(':').next().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let res = client
            .get(format!("http://localhost:{port}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = client
            .get(format!("http://localhost:{port}/api/v1/users"))
            .header("Authorization", format!("SSWS {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    });
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}
