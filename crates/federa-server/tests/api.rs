//! Admin API over real HTTP, on both databases: authentication, org isolation, bad input,
//! users, groups, pagination, operations endpoints.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, assert_error, user_body};
use serde_json::json;

async fn ops_endpoints_answer_with_request_ids(h: &Harness) {
    let res = h
        .client
        .get(h.url("a.test", "/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-okta-request-id"));
    let res = h
        .client
        .get(h.url("a.test", "/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _ = h
        .get("a.test", "/api/v1/users", &h.token_a)
        .send()
        .await
        .unwrap();
    let metrics = h
        .client
        .get(h.url("a.test", "/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "federa_http_requests_total{route=\"/api/v1/users\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("federa_http_request_duration_seconds_bucket{route=\"/readyz\""),
        "{metrics}"
    );
    // Request ids differ per request.
    let r1 = h
        .client
        .get(h.url("a.test", "/healthz"))
        .send()
        .await
        .unwrap();
    let r2 = h
        .client
        .get(h.url("a.test", "/healthz"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        r1.headers()["x-okta-request-id"],
        r2.headers()["x-okta-request-id"]
    );
}
http_test!(ops_endpoints_answer_with_request_ids);

async fn tokens_are_checked_per_org(h: &Harness) {
    let res = h
        .client
        .get(h.url("a.test", "/api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "E0000011", "Invalid token").await;
    let res = h
        .get("a.test", "/api/v1/users", "00notatoken")
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "E0000011", "Invalid token").await;
    let res = h
        .client
        .get(h.url("a.test", "/api/v1/users"))
        .header("Authorization", format!("Bearer {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "E0000011", "Invalid token").await;
    // Org A's token on org B's host.
    let res = h
        .get("b.test", "/api/v1/users", &h.token_a)
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "E0000011", "Invalid token").await;
    // Both header forms.
    assert_eq!(
        h.get("a.test", "/api/v1/users", &h.token_a)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = h
        .client
        .get(h.url("a.test", "/api/v1/users"))
        .header("Authorization", format!("SSWS{}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The bootstrap org's token works on localhost.
    let boot = h
        .bootstrap_token
        .clone()
        .expect("an empty database bootstraps the default org");
    assert_eq!(
        h.get("localhost", "/api/v1/users", &boot)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        h.get("a.test", "/api/v1/users", &boot)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
http_test!(tokens_are_checked_per_org);

async fn unknown_host_is_404_and_orgs_are_isolated(h: &Harness) {
    let res = h
        .get("nowhere.test", "/api/v1/users", &h.token_a)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "E0000007", "nowhere.test").await;
    let created: serde_json::Value = h
        .post(
            "a.test",
            "/api/v1/users",
            &h.token_a,
            user_body("grace@a.test"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let res = h
        .get("b.test", &format!("/api/v1/users/{id}"), &h.token_b)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "E0000007", "user").await;
    let res = h
        .get("b.test", "/api/v1/users/grace@a.test", &h.token_b)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let list: Vec<serde_json::Value> = h
        .get("b.test", "/api/v1/users", &h.token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "org B sees none of org A's users");
    let res = h
        .client
        .delete(h.url("b.test", &format!("/api/v1/users/{id}")))
        .header("Authorization", format!("SSWS {}", h.token_b))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = h
        .post(
            "b.test",
            &format!("/api/v1/users/{id}/lifecycle/deactivate"),
            &h.token_b,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // The user is untouched in org A.
    let u: serde_json::Value = h
        .get("a.test", &format!("/api/v1/users/{id}"), &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["status"], "ACTIVE");
    // A group of B cannot take A's user.
    let g: serde_json::Value = h
        .post(
            "b.test",
            "/api/v1/groups",
            &h.token_b,
            json!({"profile":{"name":"B team"}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gid = g["id"].as_str().unwrap();
    let res = h
        .client
        .put(h.url("b.test", &format!("/api/v1/groups/{gid}/users/{id}")))
        .header("Authorization", format!("SSWS {}", h.token_b))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
http_test!(unknown_host_is_404_and_orgs_are_isolated);

async fn bad_input_gets_clear_400s(h: &Harness) {
    let send_raw = |body: &'static str| {
        h.client
            .post(h.url("a.test", "/api/v1/users"))
            .header("Authorization", format!("SSWS {}", h.token_a))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    assert_error(
        send_raw("{\"profile\": ").await.unwrap(),
        400,
        "E0000001",
        "malformed JSON",
    )
    .await;
    assert_error(
        send_raw("{\"profile\": {\"login\": 5, \"email\": \"x@y.z\"}}")
            .await
            .unwrap(),
        400,
        "E0000001",
        "profile.login",
    )
    .await;
    assert_error(send_raw("{\"profile\": {\"login\": \"x@y.z\", \"email\": \"x@y.z\", \"favouriteColour\": \"red\"}}").await.unwrap(), 400, "E0000001", "favouriteColour").await;
    assert_error(
        send_raw("{\"profile\": {\"login\": \"x@y.z\", \"email\": \"x@y.z\"}, \"extra\": 1}")
            .await
            .unwrap(),
        400,
        "E0000001",
        "extra",
    )
    .await;
    assert_error(
        send_raw("{\"profile\": {\"login\": \"x@y.z\", \"email\": \"not-an-email\"}}")
            .await
            .unwrap(),
        400,
        "E0000001",
        "profile.email",
    )
    .await;
    assert_error(send_raw("{\"profile\": {\"login\": \"x@y.z\", \"email\": \"x@y.z\"}, \"credentials\": {\"password\": {\"value\": \"short\"}}}").await.unwrap(), 400, "E0000001", "credentials.password.value").await;
    assert_error(
        send_raw("[1,2]").await.unwrap(),
        400,
        "E0000001",
        "invalid type",
    )
    .await;
    assert_error(
        send_raw("{\"profile\": {\"login\": \"x@y.z\", \"email\": \"x@y.z\"}} trailing")
            .await
            .unwrap(),
        400,
        "E0000001",
        "malformed JSON",
    )
    .await;
    // Wrong content type.
    let res = h
        .client
        .post(h.url("a.test", "/api/v1/users"))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(res, 415, "E0000001", "Content-Type").await;
    // Oversized body (limit 1 MiB).
    let big = format!(
        "{{\"profile\": {{\"login\": \"{}\"}}}}",
        "x".repeat(1_100_000)
    );
    let res = h
        .client
        .post(h.url("a.test", "/api/v1/users"))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_error(res, 413, "E0000001", "larger than").await;
    // Query parameters.
    assert_error(
        h.get("a.test", "/api/v1/users?limit=abc", &h.token_a)
            .send()
            .await
            .unwrap(),
        400,
        "E0000001",
        "limit",
    )
    .await;
    assert_error(
        h.get("a.test", "/api/v1/users?limit=500", &h.token_a)
            .send()
            .await
            .unwrap(),
        400,
        "E0000001",
        "limit",
    )
    .await;
    assert_error(
        h.get("a.test", "/api/v1/users?limitt=5", &h.token_a)
            .send()
            .await
            .unwrap(),
        400,
        "E0000001",
        "limitt",
    )
    .await;
    assert_error(
        h.get(
            "a.test",
            "/api/v1/users?search=status%20eq%20%22NAPPING%22",
            &h.token_a,
        )
        .send()
        .await
        .unwrap(),
        400,
        "E0000001",
        "NAPPING",
    )
    .await;
    assert_error(
        h.post(
            "a.test",
            "/api/v1/users?activate=maybe",
            &h.token_a,
            user_body("q@a.test"),
        )
        .send()
        .await
        .unwrap(),
        400,
        "E0000001",
        "activate",
    )
    .await;
    assert_error(
        h.post(
            "a.test",
            "/api/v1/users/00uAAAAAAAAAAAAAAAAA/lifecycle/explode",
            &h.token_a,
            json!({}),
        )
        .send()
        .await
        .unwrap(),
        404,
        "E0000007",
        "",
    )
    .await;
    // A user joining a group that does not exist is not created at all.
    let mut body = user_body("half@a.test");
    body["groupIds"] = json!(["00gAAAAAAAAAAAAAAAAA"]);
    assert_error(
        h.post("a.test", "/api/v1/users", &h.token_a, body)
            .send()
            .await
            .unwrap(),
        400,
        "E0000001",
        "groupIds",
    )
    .await;
    assert_eq!(
        h.get("a.test", "/api/v1/users/half@a.test", &h.token_a)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let mut body = user_body("half@a.test");
    body["groupIds"] = json!(["not-an-id"]);
    assert_error(
        h.post("a.test", "/api/v1/users", &h.token_a, body)
            .send()
            .await
            .unwrap(),
        400,
        "E0000001",
        "groupIds",
    )
    .await;
    // Unknown endpoint.
    assert_error(
        h.get("a.test", "/api/v1/nothing", &h.token_a)
            .send()
            .await
            .unwrap(),
        404,
        "E0000007",
        "endpoint",
    )
    .await;
}
http_test!(bad_input_gets_clear_400s);

async fn users_lifecycle_search_and_pages(h: &Harness) {
    for i in 0..3 {
        let res = h
            .post(
                "a.test",
                "/api/v1/users",
                &h.token_a,
                user_body(&format!("u{i}@a.test")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let staged: serde_json::Value = h
        .post(
            "a.test",
            "/api/v1/users?activate=false",
            &h.token_a,
            user_body("staged@a.test"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(staged["status"], "STAGED");
    assert!(staged["credentials"]["password"].is_object());
    assert!(
        !staged.to_string().contains("correct horse"),
        "the password never comes back"
    );
    let dup = h
        .post(
            "a.test",
            "/api/v1/users",
            &h.token_a,
            user_body("U0@A.TEST"),
        )
        .send()
        .await
        .unwrap();
    assert_error(dup, 400, "E0000001", "profile.login").await;
    // Pages of 2 with Link headers.
    let res = h
        .get("a.test", "/api/v1/users?limit=2", &h.token_a)
        .send()
        .await
        .unwrap();
    let link = res.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("rel=\"next\""), "{link}");
    let next = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .unwrap();
    let next_url = next
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_string();
    let page1: Vec<serde_json::Value> = res.json().await.unwrap();
    let page2: Vec<serde_json::Value> = h
        .client
        .get(&next_url)
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page1.len() + page2.len(), 4);
    // search and q.
    let found: Vec<serde_json::Value> = h
        .get(
            "a.test",
            "/api/v1/users?search=profile.login%20eq%20%22U1@a.test%22",
            &h.token_a,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let found: Vec<serde_json::Value> = h
        .get("a.test", "/api/v1/users?q=stag", &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    // Lifecycle.
    let id = staged["id"].as_str().unwrap();
    let u: serde_json::Value = h
        .post(
            "a.test",
            &format!("/api/v1/users/{id}/lifecycle/activate"),
            &h.token_a,
            json!({}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["status"], "ACTIVE");
    let again = h
        .post(
            "a.test",
            &format!("/api/v1/users/{id}/lifecycle/activate"),
            &h.token_a,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_error(again, 409, "E0000195", "ACTIVE").await;
    let unlock = h
        .post(
            "a.test",
            &format!("/api/v1/users/{id}/lifecycle/unlock"),
            &h.token_a,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_error(unlock, 409, "E0000195", "LOCKED_OUT").await;
    // Replace the profile, sending read-only fields back as SDKs do.
    let mut put = u.clone();
    put["profile"]["firstName"] = json!("Ada");
    let res = h
        .client
        .put(h.url("a.test", &format!("/api/v1/users/{id}")))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .json(&put)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let u: serde_json::Value = res.json().await.unwrap();
    assert_eq!(u["profile"]["firstName"], "Ada");
    // Delete: first deactivates, second removes.
    let del = |h: &Harness| {
        h.client
            .delete(h.url("a.test", &format!("/api/v1/users/{id}")))
            .header("Authorization", format!("SSWS {}", h.token_a))
            .send()
    };
    assert_eq!(del(h).await.unwrap().status(), 204);
    let u: serde_json::Value = h
        .get("a.test", &format!("/api/v1/users/{id}"), &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["status"], "DEPROVISIONED");
    assert_eq!(del(h).await.unwrap().status(), 204);
    assert_eq!(
        h.get("a.test", &format!("/api/v1/users/{id}"), &h.token_a)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
http_test!(users_lifecycle_search_and_pages);

async fn groups_and_membership(h: &Harness) {
    let u: serde_json::Value = h
        .post("a.test", "/api/v1/users", &h.token_a, user_body("m@a.test"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uid = u["id"].as_str().unwrap();
    let g: serde_json::Value = h
        .post(
            "a.test",
            "/api/v1/groups",
            &h.token_a,
            json!({"profile":{"name":"Engineers","description":"builders"}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(g["type"], "OKTA_GROUP");
    let gid = g["id"].as_str().unwrap();
    let dup = h
        .post(
            "a.test",
            "/api/v1/groups",
            &h.token_a,
            json!({"profile":{"name":"engineers"}}),
        )
        .send()
        .await
        .unwrap();
    assert_error(dup, 400, "E0000001", "profile.name").await;
    let put = |gid: &str, uid: &str| {
        h.client
            .put(h.url("a.test", &format!("/api/v1/groups/{gid}/users/{uid}")))
            .header("Authorization", format!("SSWS {}", h.token_a))
            .send()
    };
    assert_eq!(put(gid, uid).await.unwrap().status(), 204);
    assert_eq!(put(gid, uid).await.unwrap().status(), 204, "idempotent");
    assert_eq!(
        put(gid, "00uAAAAAAAAAAAAAAAAA").await.unwrap().status(),
        404
    );
    let members: Vec<serde_json::Value> = h
        .get("a.test", &format!("/api/v1/groups/{gid}/users"), &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    let ug: Vec<serde_json::Value> = h
        .get("a.test", &format!("/api/v1/users/{uid}/groups"), &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ug[0]["profile"]["name"], "Engineers");
    let listed: Vec<serde_json::Value> = h
        .get("a.test", "/api/v1/groups?q=eng", &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let res = h
        .client
        .delete(h.url("a.test", &format!("/api/v1/groups/{gid}/users/{uid}")))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let members: Vec<serde_json::Value> = h
        .get("a.test", &format!("/api/v1/groups/{gid}/users"), &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(members.is_empty());
    let res = h
        .client
        .delete(h.url("a.test", &format!("/api/v1/groups/{gid}")))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        h.get("a.test", &format!("/api/v1/groups/{gid}"), &h.token_a)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
http_test!(groups_and_membership);

async fn openapi_document_matches_the_golden_file(h: &Harness) {
    let served = h
        .client
        .get(h.url("a.test", "/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let served: serde_json::Value = serde_json::from_str(&served).unwrap();
    let golden_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let generated = federa_web::openapi::document_json();
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::write(golden_path, &generated).unwrap();
    }
    let golden = std::fs::read_to_string(golden_path)
        .expect("docs/openapi.json exists (UPDATE_GOLDEN=1 regenerates it)");
    assert_eq!(
        generated, golden,
        "the OpenAPI document changed: review it and rerun with UPDATE_GOLDEN=1"
    );
    assert_eq!(
        served,
        serde_json::from_str::<serde_json::Value>(&golden).unwrap()
    );
    for path in [
        "/api/v1/users",
        "/api/v1/users/{id}/lifecycle/{op}",
        "/api/v1/groups/{gid}/users/{uid}",
        "/healthz",
    ] {
        assert!(served["paths"].get(path).is_some(), "{path} documented");
    }
}
http_test!(openapi_document_matches_the_golden_file);
