//! A browser for the HTTP suites: a cookie jar, no automatic redirects, and helpers to read
//! the CSRF token and the alert of a page.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::Harness;
use serde_json::{Value, json};

pub struct Browser<'a> {
    pub h: &'a Harness,
    pub host: &'static str,
    pub client: reqwest::Client,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub html: String,
}

impl<'a> Browser<'a> {
    pub fn new(h: &'a Harness, host: &'static str) -> Self {
        let addr: std::net::SocketAddr = format!("127.0.0.1:{}", h.port).parse().unwrap();
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .resolve(host, addr)
            .build()
            .unwrap();
        Browser { h, host, client }
    }

    pub async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let set_cookies = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        Page {
            status,
            location,
            set_cookies,
            html: res.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.client
                .get(self.h.url(self.host, path))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(
            self.client
                .post(self.h.url(self.host, path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn json(&self, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(self.h.url(self.host, path))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// Identifier then password on a fresh sign-in page; returns the answer to the password.
pub async fn sign_in_with_password(b: &Browser<'_>, login: &str, password: &str) -> Page {
    let p = b.get("/login").await;
    assert_eq!(p.status, 200);
    let token = csrf(&p.html);
    let r = b
        .post("/login/identify", &[("csrf", &token), ("username", login)])
        .await;
    assert_eq!(r.status, 303);
    let p = b.get("/login").await;
    assert!(p.html.contains("Password"), "{}", p.html);
    b.post(
        "/login/password",
        &[("csrf", &token), ("password", password)],
    )
    .await
}

/// A global session policy rule at `host` that asks for MFA at every sign-in.
pub async fn require_mfa(h: &Harness, host: &str, token: &str) {
    let gsp: Vec<Value> = h
        .get_json(host, "/api/v1/policies?type=OKTA_SIGN_ON", token)
        .await;
    let gid = gsp[0]["id"].as_str().unwrap();
    let rule = json!({"name": "MFA", "priority": 1, "actions": {"signon": {"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS", "primaryFactor": "PASSWORD_IDP"}}});
    let res = h
        .post(host, &format!("/api/v1/policies/{gid}/rules"), token, rule)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Activates the authenticator `key` of the org at `host`.
pub async fn activate_authenticator(h: &Harness, host: &str, token: &str, key: &str) {
    let list: Vec<Value> = h.get_json(host, "/api/v1/authenticators", token).await;
    let a = list
        .iter()
        .find(|a| a["key"] == key)
        .unwrap_or_else(|| panic!("a {key} authenticator"));
    let path = format!(
        "/api/v1/authenticators/{}/lifecycle/activate",
        a["id"].as_str().unwrap()
    );
    let res = h.post(host, &path, token, json!({})).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

pub fn csrf(html: &str) -> String {
    let i =
        html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[i..].split('"').next().unwrap().to_string()
}

/// The `option` value of the first choice on a "Verify it's you" page whose form contains
/// `text` (e.g. `">Email"`).
pub fn choice(html: &str, text: &str) -> String {
    html.split("name=\"option\" value=\"")
        .skip(1)
        .position(|chunk| chunk.contains(text))
        .unwrap_or_else(|| panic!("a choice with '{text}' in {html}"))
        .to_string()
}

pub fn alert(html: &str) -> Option<String> {
    let i = html.find("role=\"alert\">")? + "role=\"alert\">".len();
    Some(html[i..].split('<').next().unwrap().to_string())
}

/// Undoes the HTML escaping of the templates (minijinja escapes `/` too).
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `value` of the first input after `marker` (e.g. `name="SAMLResponse"`), unescaped.
pub fn attr_after(html: &str, marker: &str) -> Option<String> {
    let i = html.find(marker)? + marker.len();
    let rest = &html[i..];
    let j = rest.find("value=\"")? + "value=\"".len();
    Some(unescape(rest[j..].split('"').next()?))
}

/// The 6-digit code of the newest outbox message to `to` (org `a.test`).
pub async fn latest_code(h: &Harness, to: &str) -> String {
    let items: Vec<Value> = h
        .get("a.test", "/api/v1/outbox", &h.token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let msg = items
        .iter()
        .find(|m| m["to"] == to)
        .unwrap_or_else(|| panic!("a message to {to}: {items:?}"));
    let body = msg["body"].as_str().unwrap();
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code")
        .to_string()
}
