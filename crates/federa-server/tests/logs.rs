//! `GET /api/v1/logs` over real HTTP, on both databases: events recorded through
//! `syslog::record` come back as Okta LogEvents; `filter`, `q`, `since`/`until`, `sortOrder`,
//! `limit` and `after` with `Link` headers; bad parameters are 400 `E0000001` naming the
//! problem; org B never sees org A's events; no token is 401.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, assert_error};
use federa_core::Ctx;
use federa_core::service::syslog::{
    self, LogActor, LogAuthContext, LogEventInput, LogTarget, OutcomeResult, Severity,
};
use federa_types::{FixedClock, OrgId, Timestamp};
use serde_json::Value;
use std::sync::Arc;

const DAY: i64 = 24 * 60 * 60 * 1000;

fn ctx(h: &Harness) -> Ctx {
    h.server.as_ref().unwrap().ctx.clone()
}

async fn org_id(h: &Harness, host: &str) -> OrgId {
    ctx(h).store.org_by_host(host).await.unwrap().unwrap().id
}

/// The server's context with its clock stopped at `at` (to record events in the past).
fn ctx_at(h: &Harness, at: Timestamp) -> Ctx {
    let mut c = ctx(h);
    c.clock = Arc::new(FixedClock::new(at));
    c
}

fn now(h: &Harness) -> Timestamp {
    ctx(h).clock.now()
}

async fn record(h: &Harness, host: &str, input: LogEventInput) {
    syslog::record(&ctx(h), &org_id(h, host).await, input)
        .await
        .unwrap();
}

fn event(event_type: &str, message: &str) -> LogEventInput {
    LogEventInput::new(event_type, message)
}

/// GET with org A's token; returns the body and the `next` link, if any.
async fn page(h: &Harness, url: &str) -> (Vec<Value>, Option<String>) {
    let res = h
        .client
        .get(url)
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {url}");
    let link = res
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_string())
        .expect("a Link header");
    assert!(link.contains("rel=\"self\""), "{link}");
    let next = link.split(", ").find_map(|part| {
        part.strip_suffix("; rel=\"next\"")
            .map(|u| u.trim_start_matches('<').trim_end_matches('>').to_string())
    });
    (res.json().await.unwrap(), next)
}

/// Every event of org A for `query`, following `next` links; also returns the page count.
async fn all_pages(h: &Harness, query: &str) -> (Vec<Value>, usize) {
    let mut url = Some(h.url("a.test", &format!("/api/v1/logs?{query}")));
    let (mut out, mut pages) = (Vec::new(), 0);
    while let Some(u) = url {
        let (items, next) = page(h, &u).await;
        pages += 1;
        assert!(pages < 50, "paging does not end");
        out.extend(items);
        url = next;
    }
    (out, pages)
}

fn messages(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["displayMessage"].as_str().unwrap().to_string())
        .collect()
}

async fn list(h: &Harness, query: &str) -> Vec<String> {
    messages(&all_pages(h, query).await.0)
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// RFC 3339 in UTC with milliseconds, shifted by `offset_minutes` and written with that offset.
fn rfc3339_at(t: Timestamp, offset_minutes: i64) -> String {
    let ms = t.millis() + offset_minutes * 60_000;
    let (days, rem) = (ms.div_euclid(DAY), ms.rem_euclid(DAY));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let zone = if offset_minutes == 0 {
        "Z".to_string()
    } else {
        format!(
            "{}{:02}:{:02}",
            if offset_minutes < 0 { '-' } else { '+' },
            offset_minutes.abs() / 60,
            offset_minutes.abs() % 60
        )
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{zone}",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

fn rfc3339(t: Timestamp) -> String {
    rfc3339_at(t, 0)
}

async fn recorded_events_are_okta_log_events(h: &Harness) {
    let mut debug = serde_json::Map::new();
    debug.insert("requestUri".into(), "/oauth2/v1/authorize".into());
    debug.insert(
        "policy".into(),
        serde_json::json!({"decision": "ALLOW", "ruleId": "0prX"}),
    );
    record(
        h,
        "a.test",
        LogEventInput {
            severity: Severity::Warn,
            outcome_result: OutcomeResult::Failure,
            outcome_reason: Some("INVALID_CREDENTIALS".into()),
            actor: Some(LogActor::user(
                "00uACTOR",
                "ada@example.com",
                Some("Ada Lovelace".into()),
            )),
            targets: vec![
                LogTarget::user("00uACTOR", "ada@example.com", Some("Ada Lovelace".into())),
                LogTarget::new("0oaAPP", "AppInstance").with_display_name("Portal"),
            ],
            client_ip: Some("203.0.113.7".into()),
            user_agent: Some("Mozilla/5.0 (X11)".into()),
            request_id: Some("reqABC".into()),
            debug_data: debug,
            authentication_context: LogAuthContext {
                credential_type: Some("PASSWORD".into()),
                external_session_id: Some("102sess".into()),
                issuer: Some("0oaIDP".into()),
                ..Default::default()
            },
            ..event("user.session.start", "User login to Okta")
        },
    )
    .await;
    record(h, "a.test", event("system.test", "Minimal")).await;
    let (events, _) = all_pages(h, "").await;
    assert_eq!(events.len(), 2, "{events:?}");
    let e = &events[0];
    let uuid = e["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert_eq!(&uuid[14..15], "4", "a version-4 UUID: {uuid}");
    let published = e["published"].as_str().unwrap();
    assert!(
        published.len() == 24 && published.ends_with('Z') && published.as_bytes()[19] == b'.',
        "RFC 3339 with milliseconds: {published}"
    );
    assert_eq!(e["eventType"], "user.session.start");
    assert_eq!(e["version"], "0");
    assert_eq!(e["severity"], "WARN");
    assert_eq!(e["displayMessage"], "User login to Okta");
    assert_eq!(e["outcome"]["result"], "FAILURE");
    assert_eq!(e["outcome"]["reason"], "INVALID_CREDENTIALS");
    assert_eq!(e["actor"]["id"], "00uACTOR");
    assert_eq!(e["actor"]["type"], "User");
    assert_eq!(e["actor"]["alternateId"], "ada@example.com");
    assert_eq!(e["actor"]["displayName"], "Ada Lovelace");
    assert_eq!(e["client"]["ipAddress"], "203.0.113.7");
    assert_eq!(
        e["client"]["userAgent"]["rawUserAgent"],
        "Mozilla/5.0 (X11)"
    );
    assert_eq!(e["request"]["ipChain"][0]["ip"], "203.0.113.7");
    let targets = e["target"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[1]["id"], "0oaAPP");
    assert_eq!(targets[1]["type"], "AppInstance");
    assert_eq!(targets[1]["displayName"], "Portal");
    assert_eq!(targets[1]["alternateId"], Value::Null);
    assert_eq!(
        e["debugContext"]["debugData"]["requestUri"],
        "/oauth2/v1/authorize"
    );
    assert_eq!(
        e["debugContext"]["debugData"]["policy"]["decision"],
        "ALLOW"
    );
    assert_eq!(e["transaction"]["id"], "reqABC");
    assert_eq!(e["transaction"]["type"], "WEB");
    let ac = &e["authenticationContext"];
    assert_eq!(ac["credentialType"], "PASSWORD");
    assert_eq!(ac["externalSessionId"], "102sess");
    assert_eq!(ac["issuer"]["id"], "0oaIDP");
    assert_eq!(ac["authenticationStep"], 0);

    // Defaults: INFO, SUCCESS, Okta's unknown actor, empty debug data.
    let m = &events[1];
    assert_eq!(m["severity"], "INFO");
    assert_eq!(m["outcome"]["result"], "SUCCESS");
    assert_eq!(m["outcome"]["reason"], Value::Null);
    assert_eq!(m["actor"]["id"], "unknown");
    assert_eq!(m["actor"]["alternateId"], "unknown");
    assert_eq!(m["target"], serde_json::json!([]));
    assert_eq!(m["debugContext"]["debugData"], serde_json::json!({}));
    assert_eq!(m["authenticationContext"]["externalSessionId"], "unknown");
    assert_ne!(m["uuid"], e["uuid"]);
}
http_test!(recorded_events_are_okta_log_events);

async fn filters_select_events(h: &Harness) {
    let alice = || Some(LogActor::user("00uALICE", "alice@example.com", None));
    record(
        h,
        "a.test",
        LogEventInput {
            actor: alice(),
            ..event("user.session.start", "Alice signs in")
        },
    )
    .await;
    record(
        h,
        "a.test",
        LogEventInput {
            actor: alice(),
            outcome_result: OutcomeResult::Failure,
            targets: vec![LogTarget::new("0oaPORTAL", "AppInstance")],
            ..event("user.authentication.sso", "Alice is refused the portal")
        },
    )
    .await;
    record(
        h,
        "a.test",
        LogEventInput {
            actor: Some(LogActor::user("00uBOB", "bob@example.com", None)),
            targets: vec![
                LogTarget::new("0oaPORTAL", "AppInstance"),
                LogTarget::user("00uALICE", "alice@example.com", None),
            ],
            ..event("user.authentication.sso", "Bob opens the portal")
        },
    )
    .await;
    record(
        h,
        "a.test",
        LogEventInput {
            outcome_result: OutcomeResult::Challenge,
            ..event("policy.evaluate_sign_on", "Evaluation of sign-on policy")
        },
    )
    .await;

    let f = |s: &str| format!("filter={}", enc(s));
    assert_eq!(
        list(h, &f(r#"eventType eq "user.authentication.sso""#)).await,
        ["Alice is refused the portal", "Bob opens the portal"]
    );
    assert_eq!(
        list(h, &f(r#"outcome.result eq "FAILURE""#)).await,
        ["Alice is refused the portal"]
    );
    assert_eq!(
        list(h, &f(r#"outcome.result eq "CHALLENGE""#)).await,
        ["Evaluation of sign-on policy"]
    );
    assert_eq!(
        list(h, &f(r#"actor.id eq "00uALICE""#)).await,
        ["Alice signs in", "Alice is refused the portal"]
    );
    assert_eq!(
        list(h, &f(r#"actor.id eq "unknown""#)).await,
        ["Evaluation of sign-on policy"]
    );
    assert_eq!(
        list(h, &f(r#"target.id eq "0oaPORTAL""#)).await,
        ["Alice is refused the portal", "Bob opens the portal"]
    );
    assert_eq!(
        list(h, &f(r#"target.id eq "00uALICE""#)).await,
        ["Bob opens the portal"]
    );
    assert_eq!(
        list(
            h,
            &f(r#"eventType eq "user.authentication.sso" and outcome.result eq "SUCCESS" and target.id eq "0oaPORTAL""#)
        )
        .await,
        ["Bob opens the portal"]
    );
    assert!(
        list(h, &f(r#"eventType eq "user.session""#))
            .await
            .is_empty(),
        "eq is exact"
    );
    // q: every keyword, case-insensitively, in the message, type, or actor/target names.
    assert_eq!(list(h, "q=PORTAL").await.len(), 2);
    assert_eq!(list(h, "q=portal+bob").await, ["Bob opens the portal"]);
    assert_eq!(
        list(h, "q=evaluate_sign_on").await,
        ["Evaluation of sign-on policy"]
    );
    assert_eq!(
        list(
            h,
            &format!(
                "q=alice%40example.com&{}",
                f(r#"eventType eq "user.session.start""#)
            )
        )
        .await,
        ["Alice signs in"]
    );
}
http_test!(filters_select_events);

async fn since_and_until_bound_the_window(h: &Harness) {
    let now = now(h);
    let a = org_id(h, "a.test").await;
    for (age, msg) in [
        (10 * DAY, "ten days ago"),
        (3 * DAY, "three days ago"),
        (3_600_000, "an hour ago"),
    ] {
        syslog::record(
            &ctx_at(h, now.plus_millis(-age)),
            &a,
            event("test.event", msg),
        )
        .await
        .unwrap();
    }
    let t = |age: i64| enc(&rfc3339(now.plus_millis(-age)));
    assert_eq!(
        list(h, "").await,
        ["three days ago", "an hour ago"],
        "the default window is the last 7 days"
    );
    assert_eq!(
        list(h, &format!("since={}", t(11 * DAY))).await,
        ["ten days ago", "three days ago", "an hour ago"]
    );
    assert_eq!(
        list(h, &format!("since={}&until={}", t(11 * DAY), t(DAY))).await,
        ["ten days ago", "three days ago"]
    );
    assert_eq!(
        list(h, &format!("until={}", t(2 * DAY))).await,
        ["three days ago"],
        "without since, the window is the 7 days before until"
    );
    // Bounds are inclusive.
    assert_eq!(
        list(h, &format!("since={}&until={}", t(3 * DAY), t(3 * DAY - 1))).await,
        ["three days ago"]
    );
    // Offsets other than Z are understood.
    let with_offset = rfc3339_at(now.plus_millis(-2 * DAY), 330);
    assert!(with_offset.ends_with("+05:30"), "{with_offset}");
    assert_eq!(
        list(h, &format!("since={}", enc(&with_offset))).await,
        ["an hour ago"]
    );
    assert_eq!(
        rfc3339(Timestamp(1_764_050_400_123)),
        "2025-11-25T06:00:00.123Z"
    );

    let bad = |q: String| async move {
        h.get("a.test", &format!("/api/v1/logs?{q}"), &h.token_a)
            .send()
            .await
            .unwrap()
    };
    assert_error(
        bad(format!("since={}&until={}", t(DAY), t(2 * DAY))).await,
        400,
        "E0000001",
        "until must be after since",
    )
    .await;
    assert_error(
        bad(format!("since={}&until={}", t(DAY), t(DAY))).await,
        400,
        "E0000001",
        "until must be after since",
    )
    .await;
    assert_error(
        bad("since=yesterday".into()).await,
        400,
        "E0000001",
        "since must be an RFC 3339 date-time",
    )
    .await;
    assert_error(
        bad("until=2026-13-01T00:00:00Z".into()).await,
        400,
        "E0000001",
        "until must be an RFC 3339 date-time",
    )
    .await;
}
http_test!(since_and_until_bound_the_window);

async fn pages_follow_links_in_both_orders(h: &Harness) {
    let now = now(h);
    let a = org_id(h, "a.test").await;
    // Two events share a millisecond: insertion order breaks the tie.
    for (i, age) in [5000, 4000, 3000, 3000, 2000, 1000, 0]
        .into_iter()
        .enumerate()
    {
        syslog::record(
            &ctx_at(h, now.plus_millis(-age)),
            &a,
            event("test.event", &format!("e{i}")),
        )
        .await
        .unwrap();
    }
    let expected: Vec<String> = (0..7).map(|i| format!("e{i}")).collect();
    let (asc, pages) = all_pages(h, "limit=2").await;
    assert_eq!(messages(&asc), expected);
    assert_eq!(pages, 4, "2+2+2+1");
    let (desc, pages) = all_pages(h, "limit=3&sortOrder=DESCENDING").await;
    let mut rev = expected.clone();
    rev.reverse();
    assert_eq!(messages(&desc), rev);
    assert_eq!(pages, 3, "3+3+1");
    // An exact fit has no next link.
    let (_, pages) = all_pages(h, "limit=7").await;
    assert_eq!(pages, 1);
    // Filters and q are carried by the next link.
    let (f, pages) = all_pages(
        h,
        &format!("limit=1&q=e&filter={}", enc(r#"eventType eq "test.event""#)),
    )
    .await;
    assert_eq!(messages(&f), expected);
    assert_eq!(pages, 7);
    // The first page's links carry the parameters and the resolved since.
    let res = h
        .get(
            "a.test",
            "/api/v1/logs?limit=2&sortOrder=DESCENDING&q=e",
            &h.token_a,
        )
        .send()
        .await
        .unwrap();
    let link = res.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("/api/v1/logs?limit=2&since="), "{link}");
    assert!(link.contains("q=e&sortOrder=DESCENDING"), "{link}");
    assert!(link.contains("&after="), "{link}");
    // The default limit is 100.
    for i in 0..101 {
        syslog::record(&ctx_at(h, now), &a, event("bulk.event", &format!("b{i}")))
            .await
            .unwrap();
    }
    let (items, next) = page(
        h,
        &h.url(
            "a.test",
            &format!(
                "/api/v1/logs?filter={}",
                enc(r#"eventType eq "bulk.event""#)
            ),
        ),
    )
    .await;
    assert_eq!(items.len(), 100);
    assert!(next.is_some());
}
http_test!(pages_follow_links_in_both_orders);

async fn bad_parameters_are_400(h: &Harness) {
    let bad = |q: &str| {
        let q = q.to_string();
        async move {
            h.get("a.test", &format!("/api/v1/logs?{q}"), &h.token_a)
                .send()
                .await
                .unwrap()
        }
    };
    let f = |s: &str| format!("filter={}", enc(s));
    for (query, needle) in [
        (
            f(r#"displayMessage eq "x""#),
            "unsupported attribute 'displayMessage'",
        ),
        (f(r#"eventType sw "user""#), "unsupported operator 'sw'"),
        (
            f(r#"eventType eq "a" or eventType eq "b""#),
            "'or' is not supported",
        ),
        (
            f(r#"outcome.result eq "WON""#),
            "outcome.result must be one of",
        ),
        (f(r#"eventType eq user"#), "double-quoted value"),
        (f(r#"eventType eq "unterminated"#), "unterminated string"),
        (f(r#"(eventType eq "x")"#), "unexpected '('"),
        (f(r#"eventType eq "x" and"#), "ends where a condition"),
        ("limit=0".into(), "limit must be between 1 and 1000"),
        ("limit=1001".into(), "limit must be between 1 and 1000"),
        ("limit=many".into(), "limit must be an integer"),
        (
            "sortOrder=NEWEST".into(),
            "sortOrder must be ASCENDING or DESCENDING",
        ),
        ("after=00uNOTACURSOR".into(), "after is not a valid cursor"),
        ("q=".to_string() + &"a+".repeat(11), "at most 10 keywords"),
        ("color=blue".into(), "color"),
        ("limit=1&limit=2".into(), "more than once"),
    ] {
        let body = assert_error(bad(&query).await, 400, "E0000001", needle).await;
        assert!(
            body["errorSummary"]
                .as_str()
                .unwrap()
                .starts_with("Api validation failed"),
            "{body}"
        );
    }
    // The maximum limit is fine.
    let res = bad("limit=1000&sortOrder=descending").await;
    assert_eq!(res.status(), 200);
}
http_test!(bad_parameters_are_400);

async fn orgs_see_only_their_own_events(h: &Harness) {
    record(
        h,
        "a.test",
        LogEventInput {
            actor: Some(LogActor::user("00uSHARED", "x@example.com", None)),
            targets: vec![LogTarget::new("0oaSHARED", "AppInstance")],
            ..event("user.session.start", "secret of org A")
        },
    )
    .await;
    record(h, "b.test", event("user.session.start", "org B's own")).await;
    let b = |q: String| async move {
        let res = h
            .get("b.test", &format!("/api/v1/logs?{q}"), &h.token_b)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        messages(&res.json::<Vec<Value>>().await.unwrap())
    };
    assert_eq!(b(String::new()).await, ["org B's own"]);
    for filter in [r#"actor.id eq "00uSHARED""#, r#"target.id eq "0oaSHARED""#] {
        assert!(
            b(format!("filter={}", enc(filter))).await.is_empty(),
            "{filter}"
        );
    }
    assert!(b("q=secret".into()).await.is_empty());
    assert_eq!(list(h, "").await, ["secret of org A"]);
}
http_test!(orgs_see_only_their_own_events);

async fn logs_need_a_token_of_the_org(h: &Harness) {
    record(h, "a.test", event("user.session.start", "hidden")).await;
    let res = h
        .client
        .get(h.url("a.test", "/api/v1/logs"))
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "E0000011", "Invalid token provided").await;
    let res = h
        .get("a.test", "/api/v1/logs", "not-a-token")
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "E0000011", "Invalid token provided").await;
    let res = h
        .get("a.test", "/api/v1/logs", &h.token_b)
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "E0000011", "Invalid token provided").await;
}
http_test!(logs_need_a_token_of_the_org);
