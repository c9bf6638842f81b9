//! The README's admin-API walkthrough runs as written (issue 7 item 4): every
//! `curl … "$ORG/path" -d @- <<'EOF' … EOF` block of README.md is sent, in order, to a test
//! server with the `$VARIABLES` filled in, and must succeed. Values the walkthrough takes from
//! earlier answers (`$IDP_ID`, `$ROUTING`, `$USER_ID`) are read the same way a reader would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use federa_core::model::Engine;
use federa_core::service::orgs;
use serde_json::Value;
use std::collections::HashMap;

/// `(token variable, org variable, path, body)` of each request block.
fn blocks(readme: &str) -> Vec<(String, String, String, String)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.starts_with("curl ") && l.contains("SSWS $") && i + 1 < lines.len() {
            let token = l
                .split("SSWS $")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string();
            let target = lines[i + 1].trim();
            assert!(
                target.ends_with("-d @- <<'EOF'"),
                "README request shape: {target}"
            );
            let url = target.split('"').nth(1).unwrap();
            let (org, path) = url.trim_start_matches('$').split_once('/').unwrap();
            let mut body = String::new();
            i += 2;
            while lines[i] != "EOF" {
                body.push_str(lines[i]);
                body.push('\n');
                i += 1;
            }
            out.push((token, org.to_string(), format!("/{path}"), body));
        }
        i += 1;
    }
    out
}

fn fill(text: &str, vars: &HashMap<&str, String>) -> String {
    let mut s = text.to_string();
    // Longest names first ($HUB_TOKEN before $HUB).
    let mut names: Vec<&&str> = vars.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for n in names {
        s = s.replace(&format!("${n}"), &vars[*n]);
    }
    s
}

async fn readme_walkthrough_works(h: &Harness) {
    let ctx = h.server.as_ref().unwrap().ctx.clone();
    let hub = orgs::create(
        &ctx,
        "Hub",
        &["hub.localhost".into()],
        Engine::Identity,
        "t",
    )
    .await
    .unwrap();
    let spoke = orgs::create(
        &ctx,
        "Spoke",
        &["spoke.localhost".into()],
        Engine::Identity,
        "t",
    )
    .await
    .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", h.port).parse().unwrap();
    let client = reqwest::Client::builder()
        .resolve("hub.localhost", addr)
        .resolve("spoke.localhost", addr)
        .build()
        .unwrap();
    let mut vars: HashMap<&str, String> = HashMap::new();
    vars.insert("HUB", h.url("hub.localhost", ""));
    vars.insert("SPOKE", h.url("spoke.localhost", ""));
    vars.insert("HUB_TOKEN", hub.token.expose().clone());
    vars.insert("SPOKE_TOKEN", spoke.token.expose().clone());
    vars.insert("UPSTREAM", "https://idp.partner.example".into());
    let get = |org: &str, path: &str| {
        let (host, token) = if org == "HUB" {
            ("hub.localhost", hub.token.expose().clone())
        } else {
            ("spoke.localhost", spoke.token.expose().clone())
        };
        client
            .get(h.url(host, path))
            .header("Authorization", format!("SSWS {token}"))
    };
    // $ROUTING and $USER_ID as a reader would find them.
    let routing: Value = get("HUB", "/api/v1/policies?type=IDP_DISCOVERY")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    vars.insert("ROUTING", routing[0]["id"].as_str().unwrap().to_string());
    let user: Value = client
        .post(h.url("hub.localhost", "/api/v1/users?activate=true"))
        .header("Authorization", format!("SSWS {}", hub.token.expose()))
        .json(&common::user_body("reader@example.com"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    vars.insert("USER_ID", user["id"].as_str().unwrap().to_string());

    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let requests = blocks(&readme);
    assert!(
        requests.len() >= 5,
        "the walkthrough's requests: {}",
        requests.len()
    );
    for (token, org, path, body) in requests {
        let token = vars[token.as_str()].clone();
        let host = if org == "HUB" {
            "hub.localhost"
        } else {
            "spoke.localhost"
        };
        let body = fill(&body, &vars);
        let json: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("README JSON for {path}: {e}\n{body}"));
        let path = fill(&path, &vars);
        let res = client
            .post(h.url(host, &path))
            .header("Authorization", format!("SSWS {token}"))
            .json(&json)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "README request POST {path}: {answer}");
        // The first IdP made is the spoke's: later blocks refer to it as $IDP_ID.
        if path == "/api/v1/idps" && !vars.contains_key("IDP_ID") {
            vars.insert("IDP_ID", answer["id"].as_str().unwrap().to_string());
            assert_eq!(answer["policy"]["trustClaims"], true);
        }
        if path == "/api/v1/policies/simulate" {
            assert_eq!(answer["decision"], "ALLOW", "{answer}");
        }
    }
}
http_test!(readme_walkthrough_works);
