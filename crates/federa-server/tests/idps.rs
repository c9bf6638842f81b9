//! Identity providers over HTTP on both databases (CONTRACT §2 "IdPs" and "SP metadata"):
//! `SAML2`, `OIDC` and `OKTA_INTEGRATION` through create, get, list, replace, lifecycle and
//! delete; the client secret never returned; the IdP trust store; the public SP metadata and
//! JWKS parsed back with the crates that consume them; the trust-claims guard of reference
//! §1.14 on deactivate, delete, replace and feature disable; simulate crediting IdP entries;
//! org isolation; and validation naming the field with nothing saved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, assert_error, user_body};
use federa_jose::{EncryptionKeySet, SystemRng};
use federa_saml::{Limits, SigningIdentity, parse_sp_metadata};
use serde_json::{Value, json};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// The upstream SAML IdP's signing certificate (generated once per test binary).
fn upstream_cert() -> &'static String {
    static C: OnceLock<String> = OnceLock::new();
    C.get_or_init(|| {
        SigningIdentity::generate(
            "idp.example.com",
            OffsetDateTime::now_utc(),
            &SystemRng::new(),
        )
        .unwrap()
        .cert_base64()
    })
}

/// A second certificate (rollover).
fn other_cert() -> &'static String {
    static C: OnceLock<String> = OnceLock::new();
    C.get_or_init(|| {
        SigningIdentity::generate(
            "next.example.com",
            OffsetDateTime::now_utc(),
            &SystemRng::new(),
        )
        .unwrap()
        .cert_base64()
    })
}

async fn post(h: &Harness, path: &str, body: Value) -> reqwest::Response {
    h.post("a.test", path, &h.token_a, body)
        .send()
        .await
        .unwrap()
}

async fn put(h: &Harness, path: &str, body: Value) -> reqwest::Response {
    h.client
        .put(h.url("a.test", path))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn delete(h: &Harness, path: &str) -> reqwest::Response {
    h.client
        .delete(h.url("a.test", path))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap()
}

async fn get(h: &Harness, path: &str) -> reqwest::Response {
    h.get("a.test", path, &h.token_a).send().await.unwrap()
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn add_key(h: &Harness, cert: &str) -> String {
    let k = ok_json(post(h, "/api/v1/idps/credentials/keys", json!({"x5c": [cert]})).await).await;
    k["kid"].as_str().unwrap().to_string()
}

fn saml_body(name: &str, kid: &str) -> Value {
    json!({
        "type": "SAML2",
        "name": name,
        "protocol": {
            "type": "SAML2",
            "endpoints": {
                "sso": {"url": "https://idp.example.com/sso/saml", "binding": "HTTP-POST",
                        "destination": "https://idp.example.com/sso/saml"},
                "acs": {"binding": "HTTP-POST", "type": "INSTANCE"}
            },
            "algorithms": {
                "request": {"signature": {"algorithm": "SHA-256", "scope": "REQUEST"}},
                "response": {"signature": {"algorithm": "SHA-256", "scope": "ANY"}}
            },
            "credentials": {"trust": {"issuer": "https://idp.example.com", "kid": kid}},
            "settings": {"nameFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"}
        },
        "policy": {
            "provisioning": {"action": "AUTO", "profileMaster": false,
                             "groups": {"action": "NONE"}},
            "accountLink": {"action": "AUTO", "filter": null},
            "subject": {"userNameTemplate": {"template": "idpuser.subjectNameId"},
                        "matchType": "USERNAME"},
            "maxClockSkew": 120000,
            "trustClaims": false,
            "mapAMRClaims": false
        }
    })
}

fn oidc_body(name: &str, trust: bool) -> Value {
    json!({
        "type": "OIDC",
        "name": name,
        "protocol": {
            "type": "OIDC",
            "endpoints": {
                "authorization": {"url": "https://login.example.com/authorize", "binding": "HTTP-REDIRECT"},
                "token": {"url": "https://login.example.com/token", "binding": "HTTP-POST"},
                "userInfo": {"url": "https://login.example.com/userinfo", "binding": "HTTP-REDIRECT"},
                "jwks": {"url": "https://login.example.com/keys", "binding": "HTTP-REDIRECT"}
            },
            "scopes": ["openid", "email", "profile"],
            "issuer": {"url": "https://login.example.com"},
            "credentials": {"client": {"client_id": "federa-sp", "client_secret": "upstream-secret-value-1",
                                       "token_endpoint_auth_method": "client_secret_post"}}
        },
        "policy": {
            "provisioning": {"action": "DISABLED"},
            "accountLink": {"action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.email"}, "matchType": "EMAIL"},
            "maxClockSkew": 60000,
            "trustClaims": trust
        }
    })
}

fn org2org_body(name: &str, trust: bool) -> Value {
    json!({
        "type": "OKTA_INTEGRATION",
        "name": name,
        "protocol": {
            "type": "OIDC",
            "oktaIdpOrgUrl": "https://hub.example.com/",
            "credentials": {"client": {"client_id": "0oaHUBCLIENT", "token_endpoint_auth_method": "private_key_jwt"}}
        },
        "policy": {"trustClaims": trust, "mapAMRClaims": "FALSE"}
    })
}

fn assert_no_secret(v: &Value) {
    let s = v.to_string();
    assert!(!s.contains("upstream-secret"), "secret leaked: {s}");
    assert!(
        v["protocol"]["credentials"]["client"]
            .get("client_secret")
            .is_none(),
        "secret member present: {s}"
    );
}

async fn crud_for_every_type(h: &Harness) {
    let base = h.url("a.test", "");
    let base = base.trim_end_matches('/');
    // OIDC.
    let o = ok_json(post(h, "/api/v1/idps", oidc_body("Entra", false)).await).await;
    assert_no_secret(&o);
    let oid = o["id"].as_str().unwrap().to_string();
    assert!(oid.starts_with("0oa"), "{o}");
    assert_eq!(o["type"], "OIDC");
    assert_eq!(o["status"], "ACTIVE");
    assert_eq!(o["issuerMode"], "DYNAMIC");
    assert_eq!(o["protocol"]["type"], "OIDC");
    assert_eq!(
        o["protocol"]["credentials"]["client"]["client_id"],
        "federa-sp"
    );
    assert_eq!(
        o["protocol"]["credentials"]["client"]["token_endpoint_auth_method"],
        "client_secret_post"
    );
    assert_eq!(o["policy"]["maxClockSkew"], 60000);
    assert_eq!(o["policy"]["subject"]["matchType"], "EMAIL");
    assert_eq!(o["policy"]["trustClaims"], false);
    assert_eq!(o["policy"]["mapAMRClaims"], false);
    assert_eq!(
        o["_links"]["clientRedirectUri"]["href"],
        format!("{base}/oauth2/v1/authorize/callback")
    );
    assert_eq!(
        o["_links"]["authorize"]["href"],
        format!("{base}/sso/idps/{oid}")
    );
    assert!(o["_links"]["deactivate"]["href"].is_string(), "{o}");

    // OKTA_INTEGRATION: endpoints and issuer derived from oktaIdpOrgUrl.
    let g = ok_json(post(h, "/api/v1/idps?activate=false", org2org_body("Hub", true)).await).await;
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["type"], "OKTA_INTEGRATION");
    assert_eq!(g["status"], "INACTIVE");
    let p = &g["protocol"];
    assert_eq!(p["oktaIdpOrgUrl"], "https://hub.example.com");
    assert_eq!(
        p["endpoints"]["authorization"]["url"],
        "https://hub.example.com/oauth2/v1/authorize"
    );
    assert_eq!(
        p["endpoints"]["token"]["url"],
        "https://hub.example.com/oauth2/v1/token"
    );
    assert_eq!(
        p["endpoints"]["userInfo"]["url"],
        "https://hub.example.com/oauth2/v1/userinfo"
    );
    assert_eq!(
        p["endpoints"]["jwks"]["url"],
        "https://hub.example.com/oauth2/v1/keys"
    );
    assert_eq!(p["issuer"]["url"], "https://hub.example.com");
    assert_eq!(p["scopes"], json!(["openid", "email", "profile"]));
    assert_eq!(g["policy"]["trustClaims"], true);
    assert_eq!(
        g["policy"]["mapAMRClaims"], false,
        "the string FALSE is tolerated"
    );
    assert_eq!(
        g["policy"]["subject"]["userNameTemplate"]["template"],
        "idpuser.email"
    );
    assert_eq!(g["policy"]["maxClockSkew"], 120000);
    assert_eq!(g["policy"]["provisioning"]["action"], "DISABLED");
    assert!(g["_links"]["activate"]["href"].is_string(), "{g}");
    let a = ok_json(
        post(
            h,
            &format!("/api/v1/idps/{gid}/lifecycle/activate"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(a["status"], "ACTIVE");

    // SAML2 with a trust-store key.
    let kid = add_key(h, upstream_cert()).await;
    let s = ok_json(post(h, "/api/v1/idps", saml_body("Shibboleth", &kid)).await).await;
    let sid = s["id"].as_str().unwrap().to_string();
    assert_eq!(s["type"], "SAML2");
    assert_eq!(s["protocol"]["credentials"]["trust"]["kid"], kid.as_str());
    assert_eq!(s["policy"]["provisioning"]["action"], "AUTO");
    assert_eq!(
        s["_links"]["acs"]["href"],
        format!("{base}/sso/saml2/{sid}")
    );
    assert_eq!(
        s["_links"]["metadata"]["href"],
        format!("{base}/api/v1/idps/{sid}/metadata.xml")
    );

    // Get and list (paged with a Link header).
    let got = ok_json(get(h, &format!("/api/v1/idps/{oid}")).await).await;
    assert_no_secret(&got);
    assert_eq!(got["name"], "Entra");
    let res = get(h, "/api/v1/idps?limit=2").await;
    let link = res.headers()["link"].to_str().unwrap().to_string();
    let page: Vec<Value> = res.json().await.unwrap();
    assert_eq!(page.len(), 2);
    assert!(link.contains("rel=\"next\""), "{link}");
    let after = page[1]["id"].as_str().unwrap();
    let rest: Vec<Value> = ok_json(get(h, &format!("/api/v1/idps?limit=2&after={after}")).await)
        .await
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["id"], sid.as_str());

    // Replace: the secret is kept when not given, never shown; type cannot change.
    let mut body = oidc_body("Entra ID", true);
    body["protocol"]["credentials"]["client"]
        .as_object_mut()
        .unwrap()
        .remove("client_secret");
    body["id"] = json!(oid);
    body["_links"] = json!({"self": {"href": "x"}});
    let r = ok_json(put(h, &format!("/api/v1/idps/{oid}"), body).await).await;
    assert_no_secret(&r);
    assert_eq!(r["name"], "Entra ID");
    assert_eq!(r["policy"]["trustClaims"], true);
    let mut body = oidc_body("Entra ID", true);
    body["type"] = json!("OKTA_INTEGRATION");
    body["protocol"]["oktaIdpOrgUrl"] = json!("https://hub.example.com");
    assert_error(
        put(h, &format!("/api/v1/idps/{oid}"), body).await,
        400,
        "E0000001",
        "type",
    )
    .await;
    // Duplicate names are refused (case-insensitively).
    assert_error(
        post(h, "/api/v1/idps", oidc_body("entra id", false)).await,
        400,
        "E0000001",
        "name",
    )
    .await;

    // Deactivate and delete (none trust claims that policies depend on).
    let d = ok_json(
        post(
            h,
            &format!("/api/v1/idps/{sid}/lifecycle/deactivate"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(d["status"], "INACTIVE");
    assert_eq!(
        delete(h, &format!("/api/v1/idps/{sid}")).await.status(),
        204
    );
    assert_error(
        get(h, &format!("/api/v1/idps/{sid}")).await,
        404,
        "E0000007",
        "",
    )
    .await;
    assert_error(
        post(
            h,
            &format!("/api/v1/idps/{oid}/lifecycle/explode"),
            json!({}),
        )
        .await,
        404,
        "E0000007",
        "",
    )
    .await;
    // The key is free again.
    assert_eq!(
        delete(h, &format!("/api/v1/idps/credentials/keys/{kid}"))
            .await
            .status(),
        204
    );
}
http_test!(crud_for_every_type);

async fn trust_store_keys(h: &Harness) {
    let k = ok_json(
        post(
            h,
            "/api/v1/idps/credentials/keys",
            json!({"x5c": [upstream_cert()]}),
        )
        .await,
    )
    .await;
    let kid = k["kid"].as_str().unwrap().to_string();
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["x5c"], json!([upstream_cert()]));
    assert!(k["x5t#S256"].as_str().unwrap().len() >= 43, "{k}");
    assert!(
        k["created"].is_string() && k["expiresAt"].is_string(),
        "{k}"
    );
    assert!(k["n"].is_string() && k["e"].is_string(), "{k}");
    // The same certificate twice is refused.
    assert_error(
        post(
            h,
            "/api/v1/idps/credentials/keys",
            json!({"x5c": [upstream_cert()]}),
        )
        .await,
        400,
        "E0000001",
        "x5c",
    )
    .await;
    assert_error(
        post(
            h,
            "/api/v1/idps/credentials/keys",
            json!({"x5c": ["bm90IGEgY2VydA=="]}),
        )
        .await,
        400,
        "E0000001",
        "x5c[0]",
    )
    .await;
    assert_error(
        post(h, "/api/v1/idps/credentials/keys", json!({"x5c": []})).await,
        400,
        "E0000001",
        "x5c",
    )
    .await;
    assert_error(
        post(h, "/api/v1/idps/credentials/keys", json!({"x5c": "abc"})).await,
        400,
        "E0000001",
        "x5c",
    )
    .await;
    let kid2 = add_key(h, other_cert()).await;
    let got = ok_json(get(h, &format!("/api/v1/idps/credentials/keys/{kid}")).await).await;
    assert_eq!(got["kid"], kid.as_str());
    let res = get(h, "/api/v1/idps/credentials/keys?limit=1").await;
    assert!(
        res.headers()["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"next\"")
    );
    let all: Vec<Value> = ok_json(get(h, "/api/v1/idps/credentials/keys").await)
        .await
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 2);

    // A SAML IdP must name keys that exist; additionalKids too.
    assert_error(
        post(h, "/api/v1/idps", saml_body("Bad", "nosuchkid")).await,
        400,
        "E0000001",
        "protocol.credentials.trust.kid",
    )
    .await;
    let mut body = saml_body("Rollover", &kid);
    body["protocol"]["credentials"]["trust"]["additionalKids"] = json!(["missing"]);
    assert_error(
        post(h, "/api/v1/idps", body.clone()).await,
        400,
        "E0000001",
        "additionalKids[0]",
    )
    .await;
    body["protocol"]["credentials"]["trust"]["additionalKids"] = json!([kid2]);
    let idp = ok_json(post(h, "/api/v1/idps", body).await).await;
    let id = idp["id"].as_str().unwrap().to_string();
    // Keys in use cannot be deleted.
    for k in [&kid, &kid2] {
        assert_error(
            delete(h, &format!("/api/v1/idps/credentials/keys/{k}")).await,
            400,
            "E0000001",
            "used by an identity provider",
        )
        .await;
    }
    // Replacing the IdP with only the first key frees the second.
    ok_json(
        put(
            h,
            &format!("/api/v1/idps/{id}"),
            saml_body("Rollover", &kid),
        )
        .await,
    )
    .await;
    assert_eq!(
        delete(h, &format!("/api/v1/idps/credentials/keys/{kid2}"))
            .await
            .status(),
        204
    );
    assert_error(
        get(h, &format!("/api/v1/idps/credentials/keys/{kid2}")).await,
        404,
        "E0000007",
        "",
    )
    .await;
    assert_error(
        delete(h, "/api/v1/idps/credentials/keys/nosuch").await,
        404,
        "E0000007",
        "",
    )
    .await;
    // Another org sees none of it and cannot use the key.
    let b: Vec<Value> = h
        .get("b.test", "/api/v1/idps/credentials/keys", &h.token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(b.is_empty());
    let res = h
        .post(
            "b.test",
            "/api/v1/idps",
            &h.token_b,
            saml_body("Theirs", &kid),
        )
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "E0000001", "protocol.credentials.trust.kid").await;
}
http_test!(trust_store_keys);

async fn sp_metadata_and_jwks_are_public_and_parse(h: &Harness) {
    let kid = add_key(h, upstream_cert()).await;
    let s = ok_json(post(h, "/api/v1/idps", saml_body("SAML IdP", &kid)).await).await;
    let sid = s["id"].as_str().unwrap().to_string();
    let base = h.url("a.test", "");
    let base = base.trim_end_matches('/');
    for path in ["metadata.xml", "idp-metadata.xml"] {
        let res = h
            .client
            .get(h.url("a.test", &format!("/api/v1/idps/{sid}/{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/xml")
        );
        let xml = res.text().await.unwrap();
        let md = parse_sp_metadata(&xml, &Limits::default()).unwrap();
        assert_eq!(md.entity_id, format!("{base}/saml2/service-provider/{sid}"));
        let acs = md
            .default_acs("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
            .unwrap();
        assert_eq!(acs.location, format!("{base}/sso/saml2/{sid}"));
        assert_eq!(md.encryption_certs.len(), 1, "{xml}");
        assert_eq!(md.signing_certs.len(), 1, "{xml}");
        assert!(md.authn_requests_signed, "scope REQUEST: {xml}");
        assert_eq!(
            md.name_id_formats,
            vec!["urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".to_string()]
        );
    }
    // The JWKS of an OKTA_INTEGRATION IdP: one RSA-OAEP-256 encryption key whose kid is its
    // thumbprint, readable by the IdP org's OIDC provider.
    let g = ok_json(post(h, "/api/v1/idps", org2org_body("Hub", true)).await).await;
    let gid = g["id"].as_str().unwrap().to_string();
    let res = h
        .client
        .get(h.url("a.test", &format!("/api/v1/idps/{gid}/jwks")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["keys"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["keys"][0]["use"], "enc");
    assert_eq!(v["keys"][0]["alg"], "RSA-OAEP-256");
    assert!(v["keys"][0].get("d").is_none());
    let set = EncryptionKeySet::from_jwks_json(&text).unwrap();
    let key = set.preferred().unwrap();
    assert_eq!(key.kid().as_str(), v["keys"][0]["kid"].as_str().unwrap());
    assert_eq!(key.thumbprint(), key.kid().as_str());
    // Each IdP has its own key; the SAML IdP's metadata also works for OIDC IdPs' JWKS.
    let other: Value = h
        .client
        .get(h.url("a.test", &format!("/api/v1/idps/{sid}/jwks")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(other["keys"][0]["kid"], v["keys"][0]["kid"]);
    // Unknown and other-org ids are 404.
    for host in ["a.test", "b.test"] {
        let res = h
            .client
            .get(h.url(host, "/api/v1/idps/0oaNOSUCHIDPNOSUCH/metadata.xml"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let res = h
        .client
        .get(h.url("b.test", &format!("/api/v1/idps/{gid}/jwks")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
http_test!(sp_metadata_and_jwks_are_public_and_parse);

async fn policy_id(h: &Harness, ty: &str, name: &str) -> String {
    let p = ok_json(post(h, "/api/v1/policies", json!({"type": ty, "name": name})).await).await;
    p["id"].as_str().unwrap().to_string()
}

async fn trust_claims_guard(h: &Harness) {
    let hub = ok_json(post(h, "/api/v1/idps", org2org_body("Hub", true)).await).await;
    let hid = hub["id"].as_str().unwrap().to_string();
    // Nothing depends on trusted claims yet: a plain IdP and a trusting one come and go.
    let plain = ok_json(post(h, "/api/v1/idps", oidc_body("Plain", false)).await).await;
    let pid = plain["id"].as_str().unwrap().to_string();
    ok_json(
        post(
            h,
            &format!("/api/v1/idps/{hid}/lifecycle/deactivate"),
            json!({}),
        )
        .await,
    )
    .await;
    ok_json(
        post(
            h,
            &format!("/api/v1/idps/{hid}/lifecycle/activate"),
            json!({}),
        )
        .await,
    )
    .await;

    // An app sign-in rule that local authenticators cannot meet (a security key; WebAuthn is
    // inactive in a new org) depends on trusted claims.
    let acc = policy_id(h, "ACCESS_POLICY", "Passkey apps").await;
    let rule = json!({"name": "Passkey", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW",
        "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA",
            "constraints": [{"possession": {"types": ["SECURITY_KEY"], "phishingResistant": "REQUIRED"}}]}}}});
    ok_json(post(h, &format!("/api/v1/policies/{acc}/rules"), rule).await).await;
    let deact = format!("/api/v1/idps/{hid}/lifecycle/deactivate");
    let body = assert_error(
        post(h, &deact, json!({})).await,
        403,
        "E0000252",
        "Passkey apps",
    )
    .await;
    assert!(
        body["errorSummary"].as_str().unwrap().contains("Hub"),
        "{body}"
    );
    assert_error(
        delete(h, &format!("/api/v1/idps/{hid}")).await,
        403,
        "E0000252",
        "Trust claims",
    )
    .await;
    assert_error(
        post(
            h,
            "/api/v1/features/ORG2ORG_CLAIMS_SHARING/lifecycle/disable",
            json!({}),
        )
        .await,
        403,
        "E0000252",
        "ORG2ORG_CLAIMS_SHARING",
    )
    .await;
    // Turning trustClaims off on the last trusting IdP is refused the same way.
    assert_error(
        put(
            h,
            &format!("/api/v1/idps/{hid}"),
            org2org_body("Hub", false),
        )
        .await,
        403,
        "E0000252",
        "",
    )
    .await;
    // The third-party feature governs no trusting IdP: it may be disabled and enabled.
    ok_json(
        post(
            h,
            "/api/v1/features/THIRD_PARTY_IDP_CLAIMS_SHARING/lifecycle/disable",
            json!({}),
        )
        .await,
    )
    .await;
    ok_json(
        post(
            h,
            "/api/v1/features/THIRD_PARTY_IDP_CLAIMS_SHARING/lifecycle/enable",
            json!({}),
        )
        .await,
    )
    .await;
    // Non-trusting IdPs are not guarded.
    ok_json(
        post(
            h,
            &format!("/api/v1/idps/{pid}/lifecycle/deactivate"),
            json!({}),
        )
        .await,
    )
    .await;

    // A global session rule naming the IdP and requiring MFA: now both kinds depend on it.
    let gsp = policy_id(h, "OKTA_SIGN_ON", "Federated MFA").await;
    let rule = json!({"name": "Hub users", "priority": 1,
        "conditions": {"identityProvider": {"provider": "SPECIFIC_IDP", "idpIds": [hid]}},
        "actions": {"signon": {"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS"}}});
    ok_json(post(h, &format!("/api/v1/policies/{gsp}/rules"), rule).await).await;
    assert_error(
        post(h, &deact, json!({})).await,
        403,
        "E0000250",
        "Federated MFA",
    )
    .await;

    // A rule cannot name an IdP that does not exist (or one of another org).
    let rule = json!({"name": "Ghost", "priority": 1,
        "conditions": {"identityProvider": {"provider": "SPECIFIC_IDP", "idpIds": ["0oaNOSUCHIDPNOSUCH"]}},
        "actions": {"signon": {"access": "ALLOW", "requireFactor": false}}});
    assert_error(
        post(h, &format!("/api/v1/policies/{gsp}/rules"), rule).await,
        400,
        "E0000001",
        "idpIds",
    )
    .await;

    // Another IdP that trusts claims lifts the guard.
    let second = ok_json(post(h, "/api/v1/idps", oidc_body("Entra", true)).await).await;
    let d = ok_json(post(h, &deact, json!({})).await).await;
    assert_eq!(d["status"], "INACTIVE");
    // ... and now the second one is the last.
    let sid = second["id"].as_str().unwrap();
    assert_error(
        post(
            h,
            &format!("/api/v1/idps/{sid}/lifecycle/deactivate"),
            json!({}),
        )
        .await,
        403,
        "E0000252",
        "Entra",
    )
    .await;
    // Removing the dependent rules frees it.
    assert_eq!(
        delete(h, &format!("/api/v1/policies/{acc}")).await.status(),
        204
    );
    ok_json(
        post(
            h,
            &format!("/api/v1/idps/{sid}/lifecycle/deactivate"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        delete(h, &format!("/api/v1/idps/{sid}")).await.status(),
        204
    );
}
http_test!(trust_claims_guard);

async fn gsp_mfa_rule_is_saveable_with_a_trusting_idp(h: &Harness) {
    // Only the password authenticator active: MFA cannot be met locally.
    let auths: Vec<Value> = ok_json(get(h, "/api/v1/authenticators").await)
        .await
        .as_array()
        .unwrap()
        .clone();
    for a in &auths {
        if a["key"] != "okta_password" && a["status"] == "ACTIVE" {
            let id = a["id"].as_str().unwrap();
            ok_json(
                post(
                    h,
                    &format!("/api/v1/authenticators/{id}/lifecycle/deactivate"),
                    json!({}),
                )
                .await,
            )
            .await;
        }
    }
    let gsp = policy_id(h, "OKTA_SIGN_ON", "MFA everywhere").await;
    let rule = json!({"name": "MFA", "priority": 1,
        "actions": {"signon": {"access": "ALLOW", "requireFactor": true, "factorPromptMode": "ALWAYS"}}});
    assert_error(
        post(h, &format!("/api/v1/policies/{gsp}/rules"), rule.clone()).await,
        400,
        "E0000001",
        "requireFactor",
    )
    .await;
    // An inactive trusting IdP does not help; an active one does.
    let hub =
        ok_json(post(h, "/api/v1/idps?activate=false", org2org_body("Hub", true)).await).await;
    assert_eq!(
        post(h, &format!("/api/v1/policies/{gsp}/rules"), rule.clone())
            .await
            .status(),
        400
    );
    let hid = hub["id"].as_str().unwrap();
    ok_json(
        post(
            h,
            &format!("/api/v1/idps/{hid}/lifecycle/activate"),
            json!({}),
        )
        .await,
    )
    .await;
    ok_json(post(h, &format!("/api/v1/policies/{gsp}/rules"), rule).await).await;
}
http_test!(gsp_mfa_rule_is_saveable_with_a_trusting_idp);

async fn simulate_credits_idp_entries_by_trust_rules(h: &Harness) {
    let user: Value =
        ok_json(post(h, "/api/v1/users?activate=true", user_body("sim@a.test")).await).await;
    let uid = user["id"].as_str().unwrap().to_string();
    let pid = policy_id(h, "ACCESS_POLICY", "Two factors").await;
    let rule = json!({"name": "2FA", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA", "constraints": []}}}});
    ok_json(post(h, &format!("/api/v1/policies/{pid}/rules"), rule).await).await;
    let app = ok_json(
        post(
            h,
            "/api/v1/apps",
            json!({"label": "Payroll", "signOnMode": "SAML_2_0",
                "settings": {"signOn": {"ssoAcsUrl": "https://sp.example.com/acs"}}}),
        )
        .await,
    )
    .await;
    let app = app["id"].as_str().unwrap().to_string();
    assert_eq!(
        put(h, &format!("/api/v1/apps/{app}/policies/{pid}"), json!({}))
            .await
            .status(),
        204
    );
    let trusting = ok_json(post(h, "/api/v1/idps", oidc_body("Trusting", true)).await).await;
    let plain = ok_json(post(h, "/api/v1/idps", oidc_body("Untrusted", false)).await).await;
    let pwd = json!({"authenticatorKey": "okta_password", "methodType": "password", "verifiedAt": "2026-11-25T06:00:00Z", "source": {"type": "LOCAL"}});
    let from = |idp: &Value| json!({"amr": ["pwd", "otp"], "verifiedAt": "2026-11-25T06:00:00Z", "source": {"type": "IDP", "idpId": idp["id"]}});
    let sim = |v: Value| json!({"appId": app, "userId": uid, "verifications": v});
    // The federated sign-in alone counts as one factor type; trusted amr values add the rest.
    let r = ok_json(
        post(
            h,
            "/api/v1/policies/simulate",
            sim(json!([from(&trusting)])),
        )
        .await,
    )
    .await;
    assert_eq!(r["decision"], "ALLOW", "trusted amr counts: {r}");
    assert!(r["credited"].as_array().unwrap().len() >= 2, "{r}");
    let r = ok_json(post(h, "/api/v1/policies/simulate", sim(json!([from(&plain)]))).await).await;
    assert_eq!(r["decision"], "CHALLENGE", "untrusted amr is ignored: {r}");
    assert_eq!(r["ignored"][0]["reason"], "TRUST_OFF", "{r}");
    // Feature off: the trusting IdP is not credited either.
    ok_json(
        post(
            h,
            "/api/v1/features/THIRD_PARTY_IDP_CLAIMS_SHARING/lifecycle/disable",
            json!({}),
        )
        .await,
    )
    .await;
    let r = ok_json(
        post(
            h,
            "/api/v1/policies/simulate",
            sim(json!([from(&trusting)])),
        )
        .await,
    )
    .await;
    assert_eq!(r["decision"], "CHALLENGE", "{r}");
    assert_eq!(r["ignored"][0]["reason"], "FEATURE_DISABLED", "{r}");
    // Inactive or unknown IdPs are bad input.
    let tid = trusting["id"].as_str().unwrap();
    ok_json(
        post(
            h,
            &format!("/api/v1/idps/{tid}/lifecycle/deactivate"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_error(
        post(
            h,
            "/api/v1/policies/simulate",
            sim(json!([pwd.clone(), from(&trusting)])),
        )
        .await,
        400,
        "E0000001",
        "verifications[1].source.idpId",
    )
    .await;
}
http_test!(simulate_credits_idp_entries_by_trust_rules);

async fn org_isolation(h: &Harness) {
    let o = ok_json(post(h, "/api/v1/idps", oidc_body("Mine", true)).await).await;
    let id = o["id"].as_str().unwrap();
    let path = format!("/api/v1/idps/{id}");
    let res = h.get("b.test", &path, &h.token_b).send().await.unwrap();
    assert_error(res, 404, "E0000007", "").await;
    let list: Vec<Value> = h
        .get("b.test", "/api/v1/idps", &h.token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
    let res = h
        .client
        .delete(h.url("b.test", &path))
        .header("Authorization", format!("SSWS {}", h.token_b))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = h
        .post(
            "b.test",
            &format!("{path}/lifecycle/deactivate"),
            &h.token_b,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Org b may use the same name.
    let res = h
        .post(
            "b.test",
            "/api/v1/idps",
            &h.token_b,
            oidc_body("Mine", false),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The admin API needs a token; the public SP endpoints do not.
    let res = h.client.get(h.url("a.test", &path)).send().await.unwrap();
    assert_error(res, 401, "E0000011", "").await;
    let res = h
        .client
        .get(h.url("a.test", &format!("{path}/jwks")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
http_test!(org_isolation);

async fn bad_inputs_name_the_field_and_save_nothing(h: &Harness) {
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut b = oidc_body("", false);
                b["name"] = json!("  ");
                b
            },
            "name",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["type"] = json!("FACEBOOK");
                b
            },
            "type",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["type"] = json!("SAML2");
                b
            },
            "protocol.type",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["type"] = json!("MTLS");
                b
            },
            "protocol.type",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["endpoints"]["token"]["url"] = json!("not a url");
                b
            },
            "protocol.endpoints.token.url",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["endpoints"]["authorization"]["url"] =
                    json!("http://login.example.com/a");
                b
            },
            "protocol.endpoints.authorization.url",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["endpoints"]
                    .as_object_mut()
                    .unwrap()
                    .remove("jwks");
                b
            },
            "protocol.endpoints.jwks",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"].as_object_mut().unwrap().remove("issuer");
                b
            },
            "protocol.issuer.url",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["scopes"] = json!(["email"]);
                b
            },
            "protocol.scopes",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["credentials"]["client"]
                    .as_object_mut()
                    .unwrap()
                    .remove("client_secret");
                b
            },
            "protocol.credentials.client.client_secret",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["credentials"]["client"]["token_endpoint_auth_method"] =
                    json!("none");
                b
            },
            "protocol.credentials.client.token_endpoint_auth_method",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["bogus"] = json!(1);
                b
            },
            "protocol",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["protocol"]["oktaIdpOrgUrl"] = json!("https://hub.example.com");
                b
            },
            "protocol.oktaIdpOrgUrl",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["policy"]["trustClaims"] = json!("maybe");
                b
            },
            "policy.trustClaims",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["policy"]["maxClockSkew"] = json!(-1);
                b
            },
            "policy.maxClockSkew",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["policy"]["maxClockSkew"] = json!("soon");
                b
            },
            "policy.maxClockSkew",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["policy"]["provisioning"]["action"] = json!("CALL_ME");
                b
            },
            "policy.provisioning.action",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["policy"]["subject"]["matchType"] = json!("CUSTOM_ATTRIBUTE");
                b
            },
            "policy.subject.matchType",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["policy"]["subject"]["userNameTemplate"]["template"] =
                    json!("String.toUpperCase(idpuser.email)");
                b
            },
            "policy.subject.userNameTemplate.template",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["policy"]["accountLink"]["action"] = json!("SOMETIMES");
                b
            },
            "policy.accountLink.action",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["issuerMode"] = json!("WHATEVER");
                b
            },
            "issuerMode",
        ),
        (
            {
                let mut b = oidc_body("x", false);
                b["surprise"] = json!(1);
                b
            },
            "surprise",
        ),
        (
            {
                let mut b = org2org_body("x", false);
                b["protocol"]
                    .as_object_mut()
                    .unwrap()
                    .remove("oktaIdpOrgUrl");
                b
            },
            "protocol.oktaIdpOrgUrl",
        ),
        (
            {
                let mut b = org2org_body("x", false);
                b["protocol"]["oktaIdpOrgUrl"] = json!("ftp://hub.example.com");
                b
            },
            "protocol.oktaIdpOrgUrl",
        ),
        (
            {
                let mut b = saml_body("x", "k");
                b["protocol"]["endpoints"]["sso"]["binding"] = json!("SOAP");
                b
            },
            "protocol.endpoints.sso.binding",
        ),
        (
            {
                let mut b = saml_body("x", "k");
                b["protocol"]["algorithms"]["request"]["signature"]["algorithm"] = json!("SHA-1");
                b
            },
            "protocol.algorithms.request.signature.algorithm",
        ),
        (
            {
                let mut b = saml_body("x", "k");
                b["protocol"]["credentials"]["trust"]["issuer"] = json!("");
                b
            },
            "protocol.credentials.trust.issuer",
        ),
        (
            {
                let mut b = saml_body("x", "k");
                b["protocol"]["credentials"]["trust"]
                    .as_object_mut()
                    .unwrap()
                    .remove("kid");
                b
            },
            "protocol.credentials.trust",
        ),
        (
            {
                let mut b = saml_body("x", "k");
                b["protocol"]["settings"]["nameFormat"] = json!("urn:x");
                b
            },
            "protocol.settings.nameFormat",
        ),
        (
            {
                let mut b = saml_body("x", "k");
                b["protocol"]["credentials"]["trust"]["additionalKids"] = json!(["a", "b"]);
                b
            },
            "protocol.credentials.trust.additionalKids",
        ),
    ];
    for (body, field) in cases {
        let res = post(h, "/api/v1/idps", body.clone()).await;
        let err = assert_error(res, 400, "E0000001", field).await;
        assert!(
            err["errorCauses"][0]["errorSummary"]
                .as_str()
                .unwrap()
                .contains(field),
            "{field}: {err}"
        );
    }
    let res = h
        .client
        .post(h.url("a.test", "/api/v1/idps"))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "E0000001", "malformed JSON").await;
    let list: Vec<Value> = ok_json(get(h, "/api/v1/idps").await)
        .await
        .as_array()
        .unwrap()
        .clone();
    assert!(list.is_empty(), "nothing was saved: {list:?}");
}
http_test!(bad_inputs_name_the_field_and_save_nothing);
