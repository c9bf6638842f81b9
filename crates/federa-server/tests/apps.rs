//! Apps over HTTP on both databases (CONTRACT §2 "apps"): OIDC, SAML and both org2org
//! variants through create, get, list, replace, lifecycle and delete; the client secret shown
//! once; validation naming the field with nothing saved; org isolation; and the policy
//! assignment of an app.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, assert_error};
use serde_json::{Value, json};

const IDP: &str = "0oaSPIDPSPIDPSPIDPS";

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

async fn create(h: &Harness, body: Value) -> Value {
    ok_json(post(h, "/api/v1/apps", body).await).await
}

fn oidc_body(label: &str) -> Value {
    json!({
        "name": "oidc_client",
        "label": label,
        "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {
            "redirect_uris": ["https://app.example.com/callback"],
            "response_types": ["code"],
            "grant_types": ["authorization_code", "refresh_token"],
            "application_type": "web"
        }}
    })
}

fn saml_body(label: &str) -> Value {
    json!({
        "name": "payroll",
        "label": label,
        "signOnMode": "SAML_2_0",
        "settings": {"signOn": {
            "ssoAcsUrl": "https://sp.example.com/acs",
            "audience": "https://sp.example.com/entity",
            "subjectNameIdTemplate": "${user.email}",
            "signatureAlgorithm": "RSA_SHA256",
            "digestAlgorithm": "SHA256"
        }}
    })
}

fn is_rfc3339_millis(s: &Value) -> bool {
    let s = s.as_str().unwrap_or("");
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.'
}

/// Deactivates then deletes, checking that the active app is refused first.
async fn deactivate_and_delete(h: &Harness, id: &str) {
    assert_error(
        delete(h, &format!("/api/v1/apps/{id}")).await,
        409,
        "E0000195",
        "deactivate it first",
    )
    .await;
    assert_eq!(get(h, &format!("/api/v1/apps/{id}")).await.status(), 200);
    let res = post(
        h,
        &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
        json!({}),
    )
    .await;
    assert_eq!(ok_json(res).await, json!({}));
    assert_eq!(delete(h, &format!("/api/v1/apps/{id}")).await.status(), 204);
    assert_error(
        get(h, &format!("/api/v1/apps/{id}")).await,
        404,
        "E0000007",
        "Not found",
    )
    .await;
    assert_error(
        delete(h, &format!("/api/v1/apps/{id}")).await,
        404,
        "E0000007",
        "Not found",
    )
    .await;
}

async fn oidc_app_lifecycle_and_secret_shown_once(h: &Harness) {
    let app = create(h, oidc_body("Portal")).await;
    let id = app["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("0oa"), "{app}");
    assert_eq!(app["name"], "oidc_client");
    assert_eq!(app["label"], "Portal");
    assert_eq!(app["status"], "ACTIVE");
    assert_eq!(app["signOnMode"], "OPENID_CONNECT");
    assert!(is_rfc3339_millis(&app["created"]), "{app}");
    assert!(is_rfc3339_millis(&app["lastUpdated"]), "{app}");
    let oc = &app["credentials"]["oauthClient"];
    assert_eq!(
        oc["client_id"],
        id.as_str(),
        "the client id defaults to the app id"
    );
    assert_eq!(oc["token_endpoint_auth_method"], "client_secret_basic");
    let secret = oc["client_secret"]
        .as_str()
        .expect("secret shown at creation");
    assert!(secret.len() >= 32, "{secret}");
    assert_eq!(
        app["settings"]["oauthClient"]["redirect_uris"],
        json!(["https://app.example.com/callback"])
    );
    assert_eq!(
        app["settings"]["oauthClient"]["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    let base = h.url("a.test", "");
    assert_eq!(
        app["_links"]["self"]["href"],
        format!("{base}/api/v1/apps/{id}")
    );
    assert_eq!(
        app["_links"]["deactivate"]["href"],
        format!("{base}/api/v1/apps/{id}/lifecycle/deactivate")
    );
    assert!(app["_links"].get("metadata").is_none(), "{app}");

    // Never again: not in GET, list or the answer to a replace.
    let got = ok_json(get(h, &format!("/api/v1/apps/{id}")).await).await;
    assert!(!got.to_string().contains(secret));
    assert!(
        got["credentials"]["oauthClient"]
            .get("client_secret")
            .is_none()
    );
    assert_eq!(got["credentials"]["oauthClient"]["client_id"], id.as_str());
    let listed = ok_json(get(h, "/api/v1/apps").await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(secret));

    // An SDK-style replace: the whole object back, read-only members included.
    let mut back = got.clone();
    back["label"] = json!("Portal 2");
    back["features"] = json!([]);
    back["visibility"] = json!({"hide": {"iOS": false, "web": false}});
    back["accessibility"] = json!({"selfService": false});
    back["profile"] = json!({});
    back["_embedded"] = json!({});
    back["settings"]["oauthClient"]["redirect_uris"] = json!([
        "https://app.example.com/callback",
        "http://localhost:8080/cb"
    ]);
    let replaced = ok_json(put(h, &format!("/api/v1/apps/{id}"), back).await).await;
    assert_eq!(replaced["label"], "Portal 2");
    assert_eq!(replaced["id"], id.as_str());
    assert_eq!(replaced["created"], app["created"]);
    assert_eq!(replaced["status"], "ACTIVE");
    assert_eq!(
        replaced["settings"]["oauthClient"]["redirect_uris"][1],
        "http://localhost:8080/cb"
    );
    assert!(!replaced.to_string().contains(secret));
    assert_eq!(
        ok_json(get(h, &format!("/api/v1/apps/{id}")).await).await["label"],
        "Portal 2"
    );
    // The protocol cannot change.
    let mut to_saml = saml_body("x");
    to_saml["name"] = json!("oidc_client");
    assert_error(
        put(h, &format!("/api/v1/apps/{id}"), to_saml).await,
        400,
        "E0000001",
        "signOnMode",
    )
    .await;
    // Nor the name; leaving it out keeps it.
    let mut renamed = oidc_body("Portal 3");
    renamed["name"] = json!("okta_org2org");
    assert_error(
        put(h, &format!("/api/v1/apps/{id}"), renamed).await,
        400,
        "E0000001",
        "name",
    )
    .await;
    let mut unnamed = oidc_body("Portal 3");
    unnamed.as_object_mut().unwrap().remove("name");
    let r = ok_json(put(h, &format!("/api/v1/apps/{id}"), unnamed).await).await;
    assert_eq!(r["name"], "oidc_client");

    // Lifecycle.
    let res = post(
        h,
        &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
        json!({}),
    )
    .await;
    assert_eq!(ok_json(res).await, json!({}));
    let got = ok_json(get(h, &format!("/api/v1/apps/{id}")).await).await;
    assert_eq!(got["status"], "INACTIVE");
    assert!(got["_links"].get("activate").is_some(), "{got}");
    let res = post(
        h,
        &format!("/api/v1/apps/{id}/lifecycle/activate"),
        json!({}),
    )
    .await;
    assert_eq!(ok_json(res).await, json!({}));
    assert_eq!(
        ok_json(get(h, &format!("/api/v1/apps/{id}")).await).await["status"],
        "ACTIVE"
    );
    assert_error(
        post(
            h,
            &format!("/api/v1/apps/{id}/lifecycle/suspend"),
            json!({}),
        )
        .await,
        404,
        "E0000007",
        "suspend",
    )
    .await;

    // Public clients and inactive creation.
    let mut public = oidc_body("SPA");
    public["credentials"]["oauthClient"]["token_endpoint_auth_method"] = json!("none");
    public["settings"]["oauthClient"]["application_type"] = json!("browser");
    let spa = ok_json(post(h, "/api/v1/apps?activate=false", public).await).await;
    assert_eq!(spa["status"], "INACTIVE");
    assert_eq!(
        spa["credentials"]["oauthClient"]["token_endpoint_auth_method"],
        "none"
    );
    assert!(
        spa["credentials"]["oauthClient"]
            .get("client_secret")
            .is_none(),
        "{spa}"
    );
    assert_eq!(
        delete(h, &format!("/api/v1/apps/{}", spa["id"].as_str().unwrap()))
            .await
            .status(),
        204
    );

    deactivate_and_delete(h, &id).await;
}
http_test!(oidc_app_lifecycle_and_secret_shown_once);

async fn saml_app_lifecycle_and_links(h: &Harness) {
    let app = create(h, saml_body("Payroll")).await;
    let id = app["id"].as_str().unwrap().to_string();
    assert_eq!(app["name"], "payroll");
    assert_eq!(app["signOnMode"], "SAML_2_0");
    assert_eq!(app["status"], "ACTIVE");
    assert!(app["credentials"].get("oauthClient").is_none(), "{app}");
    let so = &app["settings"]["signOn"];
    assert_eq!(so["ssoAcsUrl"], "https://sp.example.com/acs");
    assert_eq!(so["audience"], "https://sp.example.com/entity");
    assert_eq!(so["subjectNameIdTemplate"], "${user.email}");
    let base = h.url("a.test", "");
    assert_eq!(
        app["_links"]["metadata"]["href"],
        format!("{base}/app/{id}/sso/saml/metadata")
    );
    assert_eq!(
        app["_links"]["sso"]["href"],
        format!("{base}/app/payroll/{id}/sso/saml")
    );

    let mut back = ok_json(get(h, &format!("/api/v1/apps/{id}")).await).await;
    assert_eq!(back, app, "GET answers what POST answered (no secret here)");
    back["settings"]["signOn"]["recipient"] = json!("https://sp.example.com/acs2");
    back["settings"]["signOn"]["disableForceAuthentication"] = json!(true);
    back["status"] = json!("INACTIVE");
    let r = ok_json(put(h, &format!("/api/v1/apps/{id}"), back).await).await;
    assert_eq!(
        r["settings"]["signOn"]["recipient"],
        "https://sp.example.com/acs2"
    );
    assert_eq!(r["settings"]["signOn"]["disableForceAuthentication"], true);
    assert_eq!(r["status"], "ACTIVE", "status in a PUT body is read-only");

    deactivate_and_delete(h, &id).await;
}
http_test!(saml_app_lifecycle_and_links);

async fn org2org_apps_derive_their_endpoints(h: &Harness) {
    // Over SAML.
    let saml = create(
        h,
        json!({
            "name": "okta_org2org",
            "label": "SP org (SAML)",
            "signOnMode": "SAML_2_0",
            "settings": {"app": {"baseUrl": "https://sp.example.com/", "idpId": IDP}}
        }),
    )
    .await;
    let sid = saml["id"].as_str().unwrap().to_string();
    assert_eq!(saml["name"], "okta_org2org");
    assert_eq!(
        saml["settings"]["app"],
        json!({"baseUrl": "https://sp.example.com", "idpId": IDP})
    );
    let so = &saml["settings"]["signOn"];
    let acs = format!("https://sp.example.com/sso/saml2/{IDP}");
    assert_eq!(so["ssoAcsUrl"], acs.as_str());
    assert_eq!(so["recipient"], acs.as_str());
    assert_eq!(so["destination"], acs.as_str());
    assert_eq!(
        so["audience"],
        format!("https://sp.example.com/saml2/service-provider/{IDP}")
    );
    assert!(
        saml["_links"]["sso"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/app/okta_org2org/{sid}/sso/saml"))
    );

    // Over OIDC; Okta's `idPId` spelling is accepted.
    let oidc = create(
        h,
        json!({
            "name": "okta_org2org",
            "label": "SP org (OIDC)",
            "signOnMode": "OPENID_CONNECT",
            "settings": {"app": {"baseUrl": "https://sp2.example.com", "idPId": IDP}}
        }),
    )
    .await;
    let oid = oidc["id"].as_str().unwrap().to_string();
    let oc = &oidc["settings"]["oauthClient"];
    assert_eq!(
        oc["redirect_uris"],
        json!(["https://sp2.example.com/oauth2/v1/authorize/callback"])
    );
    assert_eq!(
        oc["jwks_uri"],
        format!("https://sp2.example.com/api/v1/idps/{IDP}/jwks")
    );
    assert_eq!(oc["grant_types"], json!(["authorization_code"]));
    assert!(
        oidc["credentials"]["oauthClient"]["client_secret"]
            .as_str()
            .is_some(),
        "{oidc}"
    );

    // A replace recomputes the endpoints from a new base URL, whatever the body says.
    let mut back = ok_json(get(h, &format!("/api/v1/apps/{sid}")).await).await;
    back["settings"]["app"]["baseUrl"] = json!("https://sp-new.example.com");
    back["settings"]["signOn"]["ssoAcsUrl"] = json!("https://evil.example.com/acs");
    let r = ok_json(put(h, &format!("/api/v1/apps/{sid}"), back).await).await;
    assert_eq!(
        r["settings"]["signOn"]["ssoAcsUrl"],
        format!("https://sp-new.example.com/sso/saml2/{IDP}")
    );

    deactivate_and_delete(h, &sid).await;
    deactivate_and_delete(h, &oid).await;
}
http_test!(org2org_apps_derive_their_endpoints);

async fn duplicate_client_id_is_refused(h: &Harness) {
    let mut body = oidc_body("One");
    body["credentials"]["oauthClient"]["client_id"] = json!("portal-client");
    body["credentials"]["oauthClient"]["client_secret"] = json!("a-long-enough-secret-value");
    let one = create(h, body.clone()).await;
    assert_eq!(
        one["credentials"]["oauthClient"]["client_id"],
        "portal-client"
    );
    assert_eq!(
        one["credentials"]["oauthClient"]["client_secret"],
        "a-long-enough-secret-value"
    );
    body["label"] = json!("Two");
    assert_error(
        post(h, "/api/v1/apps", body.clone()).await,
        400,
        "E0000001",
        "credentials.oauthClient.client_id",
    )
    .await;
    let listed = ok_json(get(h, "/api/v1/apps").await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing half-saved");
    // Client ids are per org.
    let res = h
        .post("b.test", "/api/v1/apps", &h.token_b, body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A replace cannot take another app's client id either.
    let other = create(h, oidc_body("Three")).await;
    let mut steal = oidc_body("Three");
    steal["credentials"]["oauthClient"]["client_id"] = json!("portal-client");
    assert_error(
        put(
            h,
            &format!("/api/v1/apps/{}", other["id"].as_str().unwrap()),
            steal,
        )
        .await,
        400,
        "E0000001",
        "credentials.oauthClient.client_id",
    )
    .await;
}
http_test!(duplicate_client_id_is_refused);

async fn apps_are_isolated_between_orgs(h: &Harness) {
    let app = create(h, oidc_body("A's app")).await;
    let id = app["id"].as_str().unwrap();
    let path = format!("/api/v1/apps/{id}");
    let b_get = h.get("b.test", &path, &h.token_b).send().await.unwrap();
    assert_error(b_get, 404, "E0000007", "Not found").await;
    let b_put = h
        .client
        .put(h.url("b.test", &path))
        .header("Authorization", format!("SSWS {}", h.token_b))
        .json(&oidc_body("hijack"))
        .send()
        .await
        .unwrap();
    assert_error(b_put, 404, "E0000007", "Not found").await;
    let b_deactivate = h
        .post(
            "b.test",
            &format!("{path}/lifecycle/deactivate"),
            &h.token_b,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_error(b_deactivate, 404, "E0000007", "Not found").await;
    let b_delete = h
        .client
        .delete(h.url("b.test", &path))
        .header("Authorization", format!("SSWS {}", h.token_b))
        .send()
        .await
        .unwrap();
    assert_error(b_delete, 404, "E0000007", "Not found").await;
    let b_list: Value = h
        .get("b.test", "/api/v1/apps", &h.token_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b_list, json!([]));
    // A's token is not valid for B, nor the other way round.
    let res = h.get("b.test", &path, &h.token_a).send().await.unwrap();
    assert_error(res, 401, "E0000011", "Invalid token").await;
    // Unchanged in A.
    let got = ok_json(get(h, &path).await).await;
    assert_eq!(got["label"], "A's app");
    assert_eq!(got["status"], "ACTIVE");
}
http_test!(apps_are_isolated_between_orgs);

async fn bad_inputs_name_the_field_and_save_nothing(h: &Harness) {
    let org2org_saml = |app: Value| json!({"name": "okta_org2org", "label": "o2o", "signOnMode": "SAML_2_0", "settings": {"app": app}});
    let mut cases: Vec<(Value, &str)> = vec![
        (json!({"signOnMode": "OPENID_CONNECT"}), "label"),
        (
            {
                let mut b = oidc_body("x");
                b["label"] = json!("   ");
                b
            },
            "label",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["label"] = json!(42);
                b
            },
            "label",
        ),
        (
            json!({"label": "x", "signOnMode": "WS_FEDERATION"}),
            "signOnMode",
        ),
        (json!({"label": "x"}), "signOnMode"),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["oauthClient"]["redirect_uris"] =
                    json!(["http://app.example.com/callback"]);
                b
            },
            "settings.oauthClient.redirect_uris[0]",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["oauthClient"]["redirect_uris"] = json!([
                    "https://app.example.com/ok",
                    "https://app.example.com/cb#frag"
                ]);
                b
            },
            "settings.oauthClient.redirect_uris[1]: must not contain a fragment",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["oauthClient"]["redirect_uris"] = json!(["/relative"]);
                b
            },
            "settings.oauthClient.redirect_uris[0]",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["oauthClient"]["response_types"] = json!(["token"]);
                b
            },
            "settings.oauthClient.response_types",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["oauthClient"]["grant_types"] = json!(["implicit"]);
                b
            },
            "settings.oauthClient.grant_types",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["oauthClient"]["redirect_uris"] = json!("https://a.example.com");
                b
            },
            "settings.oauthClient.redirect_uris",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["oauthClient"]["wildcard_redirect"] = json!("DISABLED");
                b
            },
            "wildcard_redirect",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["credentials"]["oauthClient"]["token_endpoint_auth_method"] =
                    json!("client_secret_jwt");
                b
            },
            "credentials.oauthClient.token_endpoint_auth_method",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["credentials"]["oauthClient"]["token_endpoint_auth_method"] =
                    json!("private_key_jwt");
                b
            },
            "settings.oauthClient.jwks",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["credentials"]["oauthClient"]["client_secret"] = json!("short");
                b
            },
            "credentials.oauthClient.client_secret",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["signOnModes"] = json!("typo");
                b
            },
            "signOnModes",
        ),
        (
            {
                let mut b = saml_body("x");
                b["settings"]["signOn"]
                    .as_object_mut()
                    .unwrap()
                    .remove("ssoAcsUrl");
                b
            },
            "settings.signOn.ssoAcsUrl",
        ),
        (
            {
                let mut b = saml_body("x");
                b["settings"]["signOn"]["signatureAlgorithm"] = json!("RSA_SHA1");
                b
            },
            "settings.signOn.signatureAlgorithm",
        ),
        (
            {
                let mut b = saml_body("x");
                b["settings"]["signOn"]["ssoAcsUrl"] = json!("http://sp.example.com/acs");
                b
            },
            "settings.signOn.ssoAcsUrl",
        ),
        (
            {
                let mut b = saml_body("x");
                b["settings"]["signOn"]["subjectNameIdTemplate"] = json!("${user.ssn}");
                b
            },
            "settings.signOn.subjectNameIdTemplate",
        ),
        (
            {
                let mut b = saml_body("x");
                b["settings"]["signOn"]["assertionSigned"] = json!("yes");
                b
            },
            "settings.signOn.assertionSigned",
        ),
        (
            {
                let mut b = saml_body("x");
                b["settings"]["oauthClient"] = json!({"redirect_uris": ["https://a.example.com"]});
                b
            },
            "settings.oauthClient",
        ),
        (org2org_saml(json!({"idpId": IDP})), "settings.app.baseUrl"),
        (
            org2org_saml(json!({"baseUrl": "https://sp.example.com"})),
            "settings.app.idpId",
        ),
        (
            org2org_saml(json!({"baseUrl": "https://sp.example.com", "idpId": "not an id/.."})),
            "settings.app.idpId",
        ),
        (
            org2org_saml(json!({"baseUrl": "sp.example.com", "idpId": IDP})),
            "settings.app.baseUrl",
        ),
        (
            json!({"name": "okta_org2org", "label": "o2o", "signOnMode": "OPENID_CONNECT"}),
            "settings.app.baseUrl",
        ),
        (
            {
                let mut b = oidc_body("x");
                b["settings"]["app"] = json!({"baseUrl": "https://sp.example.com", "idpId": IDP});
                b
            },
            "settings.app",
        ),
    ];
    cases.push((
        {
            let mut b = oidc_body("x");
            b["name"] = json!("no spaces allowed");
            b
        },
        "name",
    ));
    for (i, (body, needle)) in cases.into_iter().enumerate() {
        let res = post(h, "/api/v1/apps", body.clone()).await;
        let status = res.status();
        let err: Value = res.json().await.unwrap();
        assert_eq!(status, 400, "case {i} ({needle}): {body} -> {err}");
        assert_eq!(err["errorCode"], "E0000001", "case {i}: {err}");
        assert!(
            err["errorCauses"].to_string().contains(needle),
            "case {i}: expected '{needle}' in the causes of {err}"
        );
    }
    // Malformed JSON, a wrong content type and a bad query parameter.
    let raw = h
        .client
        .post(h.url("a.test", "/api/v1/apps"))
        .header("Authorization", format!("SSWS {}", h.token_a))
        .header("Content-Type", "application/json")
        .body("{\"label\": \"x\", \"signOnMode\": ")
        .send()
        .await
        .unwrap();
    assert_error(raw, 400, "E0000001", "malformed JSON").await;
    assert_error(
        post(h, "/api/v1/apps?activate=maybe", oidc_body("x")).await,
        400,
        "E0000001",
        "activate",
    )
    .await;
    assert_error(
        get(h, "/api/v1/apps?limit=many").await,
        400,
        "E0000001",
        "limit",
    )
    .await;
    // Nothing was saved by any of them.
    assert_eq!(ok_json(get(h, "/api/v1/apps").await).await, json!([]));

    // A replace with bad input leaves the app as it was.
    let app = create(h, oidc_body("Kept")).await;
    let id = app["id"].as_str().unwrap();
    let mut bad = oidc_body("Changed");
    bad["settings"]["oauthClient"]["redirect_uris"] = json!(["http://evil.example.com/cb"]);
    assert_error(
        put(h, &format!("/api/v1/apps/{id}"), bad).await,
        400,
        "E0000001",
        "redirect_uris[0]",
    )
    .await;
    let got = ok_json(get(h, &format!("/api/v1/apps/{id}")).await).await;
    assert_eq!(got["label"], "Kept");
    assert_eq!(got["lastUpdated"], app["lastUpdated"]);
    // Unknown ids.
    assert_error(
        get(h, "/api/v1/apps/0oaNOPENOPENOPENOPEN").await,
        404,
        "E0000007",
        "Not found",
    )
    .await;
    assert_error(
        get(h, "/api/v1/apps/..%2F..").await,
        404,
        "E0000007",
        "Not found",
    )
    .await;
}
http_test!(bad_inputs_name_the_field_and_save_nothing);

/// Regression: redirect URIs with a native app's private-use scheme (RFC 8252 §7.1) were
/// refused because the field name carries an index (`redirect_uris[0]`).
async fn private_use_scheme_redirect_uris_are_accepted(h: &Harness) {
    let mut body = oidc_body("Native");
    body["credentials"]["oauthClient"]["token_endpoint_auth_method"] = json!("none");
    body["settings"]["oauthClient"]["application_type"] = json!("native");
    body["settings"]["oauthClient"]["redirect_uris"] = json!([
        "com.example.app:/oauth2redirect",
        "http://127.0.0.1:7000/cb"
    ]);
    let app = create(h, body).await;
    assert_eq!(
        app["settings"]["oauthClient"]["redirect_uris"][0],
        "com.example.app:/oauth2redirect"
    );
    // A scheme without a dot is not a private-use scheme.
    let mut body = oidc_body("Native 2");
    body["settings"]["oauthClient"]["redirect_uris"] = json!(["myapp:/cb"]);
    assert_error(
        post(h, "/api/v1/apps", body).await,
        400,
        "E0000001",
        "redirect_uris[0]",
    )
    .await;
}
http_test!(private_use_scheme_redirect_uris_are_accepted);

async fn apps_list_in_pages_with_a_link_header(h: &Harness) {
    let mut ids = Vec::new();
    for i in 0..3 {
        let app = create(h, saml_body(&format!("App {i}"))).await;
        ids.push(app["id"].as_str().unwrap().to_string());
    }
    let res = get(h, "/api/v1/apps?limit=2").await;
    let link = res
        .headers()
        .get("link")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let first: Vec<Value> = ok_json(res).await.as_array().unwrap().clone();
    assert_eq!(first.len(), 2);
    assert!(link.contains("rel=\"next\""), "{link}");
    let next = link
        .split(", ")
        .find(|p| p.ends_with("rel=\"next\""))
        .unwrap();
    let next_url = next
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_string();
    assert!(
        next_url.contains("/api/v1/apps?limit=2&after="),
        "{next_url}"
    );
    let res = h
        .client
        .get(next_url)
        .header("Authorization", format!("SSWS {}", h.token_a))
        .send()
        .await
        .unwrap();
    let link = res
        .headers()
        .get("link")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let second: Vec<Value> = ok_json(res).await.as_array().unwrap().clone();
    assert_eq!(second.len(), 1);
    assert!(!link.contains("rel=\"next\""), "{link}");
    let seen: Vec<String> = first
        .iter()
        .chain(second.iter())
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(sorted_seen, sorted_ids, "every app exactly once");
    assert_error(
        get(h, "/api/v1/apps?after=not%20a%20cursor").await,
        400,
        "E0000001",
        "after",
    )
    .await;
}
http_test!(apps_list_in_pages_with_a_link_header);

async fn policy_assignment_needs_an_existing_app(h: &Harness) {
    let p = ok_json(
        post(
            h,
            "/api/v1/policies",
            json!({"type": "ACCESS_POLICY", "name": "Payroll policy"}),
        )
        .await,
    )
    .await;
    let pid = p["id"].as_str().unwrap();
    let app = create(h, saml_body("Payroll")).await;
    let id = app["id"].as_str().unwrap();
    let res = put(h, &format!("/api/v1/apps/{id}/policies/{pid}"), json!({})).await;
    assert_eq!(res.status(), 204);
    assert_error(
        put(
            h,
            &format!("/api/v1/apps/0oaNOPENOPENOPENOPEN/policies/{pid}"),
            json!({}),
        )
        .await,
        404,
        "E0000007",
        "0oaNOPENOPENOPENOPEN",
    )
    .await;
    // Another org's app is unknown here.
    let b_app: Value = h
        .post("b.test", "/api/v1/apps", &h.token_b, saml_body("B"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_error(
        put(
            h,
            &format!(
                "/api/v1/apps/{}/policies/{pid}",
                b_app["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await,
        404,
        "E0000007",
        "Not found",
    )
    .await;
    // The bound policy cannot be deleted while the app uses it.
    assert_error(
        delete(h, &format!("/api/v1/policies/{pid}")).await,
        409,
        "E0000195",
        id,
    )
    .await;

    // Routing rules may name the org's apps, and only those.
    let discovery: Vec<Value> = ok_json(get(h, "/api/v1/policies?type=IDP_DISCOVERY").await)
        .await
        .as_array()
        .unwrap()
        .clone();
    let did = discovery[0]["id"].as_str().unwrap();
    let rule = |app: &str| {
        json!({"name": format!("route {app}"), "priority": 1,
            "conditions": {"app": {"include": [{"type": "APP", "id": app}]}},
            "actions": {"idp": {"providers": [{"type": "OKTA"}]}}})
    };
    let res = post(h, &format!("/api/v1/policies/{did}/rules"), rule(id)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_error(
        post(
            h,
            &format!("/api/v1/policies/{did}/rules"),
            rule(b_app["id"].as_str().unwrap()),
        )
        .await,
        400,
        "E0000001",
        "conditions.app.include[0].id",
    )
    .await;

    // Deleting the (deactivated) app removes its binding: the policy can go.
    post(
        h,
        &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
        json!({}),
    )
    .await;
    assert_eq!(delete(h, &format!("/api/v1/apps/{id}")).await.status(), 204);
    assert_eq!(
        delete(h, &format!("/api/v1/policies/{pid}")).await.status(),
        204
    );
}
http_test!(policy_assignment_needs_an_existing_app);
