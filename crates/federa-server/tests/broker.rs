//! Federated sign-in between two Federa orgs on one server (issue 6): `spoke.localhost` is the
//! IdP org (an org2org OIDC app bound to a two-factor policy), `hub.localhost` the SP org (an
//! `OKTA_INTEGRATION` IdP object for the spoke, its global session policy requiring MFA). Cases:
//! trust on → the spoke's password + TOTP are credited and the hub asks nothing more; trust off
//! → the hub tops up with its own factor; a replayed callback and a callback from another
//! browser are refused; the System Log lists what was credited and the decision.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::browser::{Browser, csrf};
use federa_core::model::Engine;
use federa_core::model::app::AppInput;
use federa_core::model::idp::IdpInput;
use federa_core::service::{apps, idps, orgs};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const CLIENT_SECRET: &str = "hub-client-secret-0123456789";

struct Setup {
    spoke_token: String,
    hub_token: String,
    idp_id: String,
    secret: String,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn totp_code(secret_b32: &str, at: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

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

async fn api(h: &Harness, host: &str, token: &str, method: &str, path: &str, body: Value) -> Value {
    let c = client(h);
    let url = h.url(host, path);
    let req = match method {
        "POST" => c.post(url).json(&body),
        "PUT" => c.put(url).json(&body),
        _ => c.get(url),
    };
    let res = req
        .header("Authorization", format!("SSWS {token}"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status < 300, "{method} {path}: {status} {v}");
    v
}

async fn setup(h: &Harness, trust: bool) -> Setup {
    let ctx = &h.server.as_ref().unwrap().ctx;
    let spoke = orgs::create(
        ctx,
        "Spoke",
        &["spoke.localhost".into()],
        Engine::Identity,
        "t",
    )
    .await
    .unwrap();
    let hub = orgs::create(ctx, "Hub", &["hub.localhost".into()], Engine::Identity, "t")
        .await
        .unwrap();
    let spoke_url = h.url("spoke.localhost", "");
    let hub_url = h.url("hub.localhost", "");
    // Hub: the IdP object for the spoke.
    let input: IdpInput = serde_json::from_value(json!({
        "type": "OKTA_INTEGRATION", "name": "Spoke",
        "protocol": {"type": "OIDC", "scopes": ["openid", "email", "profile"],
            "credentials": {"client": {"client_id": "hub-client", "client_secret": CLIENT_SECRET,
                "token_endpoint_auth_method": "client_secret_basic"}},
            "oktaIdpOrgUrl": spoke_url},
        "policy": {"trustClaims": trust, "maxClockSkew": 120000,
            "provisioning": {"action": "AUTO"}, "accountLink": {"action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.email"}, "matchType": "USERNAME"}}
    }))
    .unwrap();
    let idp = idps::create(ctx, &hub.org.id, input, true).await.unwrap();
    // Hub: MFA for every sign-in (global session policy).
    let hub_token = hub.token.expose().clone();
    let gsp = api(
        h,
        "hub.localhost",
        &hub_token,
        "GET",
        "/api/v1/policies?type=OKTA_SIGN_ON",
        json!(null),
    )
    .await;
    let gid = gsp[0]["id"].as_str().unwrap().to_string();
    api(
        h,
        "hub.localhost",
        &hub_token,
        "POST",
        &format!("/api/v1/policies/{gid}/rules"),
        json!({"name": "MFA", "priority": 1, "actions": {"signon": {"access": "ALLOW",
            "requireFactor": true, "factorPromptMode": "ALWAYS", "primaryFactor": "PASSWORD_IDP"}}}),
    )
    .await;
    // Spoke: the org2org app pointing at the hub's IdP object, bound to a two-factor policy.
    let app_input: AppInput = serde_json::from_value(json!({
        "name": "okta_org2org", "label": "Hub", "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"client_id": "hub-client", "client_secret": CLIENT_SECRET}},
        "settings": {"app": {"baseUrl": hub_url, "idpId": idp.id.to_string()}}
    }))
    .unwrap();
    let (app, _) = apps::create(ctx, &spoke.org.id, app_input, true)
        .await
        .unwrap();
    let spoke_token = spoke.token.expose().clone();
    let p = api(
        h,
        "spoke.localhost",
        &spoke_token,
        "POST",
        "/api/v1/policies",
        json!({"type": "ACCESS_POLICY", "name": "Two factors"}),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_string();
    api(
        h,
        "spoke.localhost",
        &spoke_token,
        "POST",
        &format!("/api/v1/policies/{pid}/rules"),
        json!({"name": "2FA", "priority": 1, "actions": {"appSignOn": {"access": "ALLOW",
            "verificationMethod": {"type": "ASSURANCE", "factorMode": "2FA", "constraints": []}}}}),
    )
    .await;
    api(
        h,
        "spoke.localhost",
        &spoke_token,
        "PUT",
        &format!("/api/v1/apps/{}/policies/{pid}", app.id),
        json!({}),
    )
    .await;
    // Spoke: the user with a password and Okta Verify TOTP; the hub has its own TOTP too for
    // the same person (provisioned on first federation, so enrolled later in the tests).
    let u = api(h, "spoke.localhost", &spoke_token, "POST", "/api/v1/users?activate=true",
        json!({"profile": {"login": "sam@example.com", "email": "sam@example.com", "firstName": "Sam", "lastName": "Lee"},
               "credentials": {"password": {"value": PASSWORD}}})).await;
    let uid = u["id"].as_str().unwrap();
    let f = api(
        h,
        "spoke.localhost",
        &spoke_token,
        "POST",
        &format!("/api/v1/users/{uid}/factors"),
        json!({"factorType": "token:software:totp", "provider": "OKTA"}),
    )
    .await;
    let secret = f["_embedded"]["activation"]["sharedSecret"]
        .as_str()
        .unwrap()
        .to_string();
    let fid = f["id"].as_str().unwrap();
    // Activate with the previous step's code, so the sign-in can use the current one. If the
    // request crossed a step boundary the code is two steps old for the server: once more.
    let path = format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate");
    let mut status = 0;
    for _ in 0..2 {
        status = client(h)
            .post(h.url("spoke.localhost", &path))
            .header("Authorization", format!("SSWS {spoke_token}"))
            .json(&json!({"passCode": totp_code(&secret, now_secs() - 30)}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 200 {
            break;
        }
    }
    assert_eq!(status, 200, "TOTP activation");
    Setup {
        spoke_token,
        hub_token,
        idp_id: idp.id.to_string(),
        secret,
    }
}

/// One browser (one cookie jar) seen from the hub and from the spoke.
fn hub_and_spoke(h: &Harness) -> (Browser<'_>, Browser<'_>) {
    let c = client(h);
    let hub = Browser {
        h,
        host: "hub.localhost",
        client: c.clone(),
    };
    let spoke = Browser {
        h,
        host: "spoke.localhost",
        client: c,
    };
    (hub, spoke)
}

fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// Signs in at the spoke (password + TOTP) after the hub sent the browser there; returns the
/// hub callback URL the spoke redirects to.
async fn spoke_sign_in(spoke: &Browser<'_>, authorize_url: &str, secret: &str) -> String {
    let r = spoke.get(&path_of(authorize_url)).await;
    assert_eq!(r.location.as_deref(), Some("/login"), "{}", r.html);
    let p = spoke.get("/login").await;
    let token = csrf(&p.html);
    spoke
        .post(
            "/login/identify",
            &[("csrf", &token), ("username", "sam@example.com")],
        )
        .await;
    let r = spoke
        .post(
            "/login/password",
            &[("csrf", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "the spoke app needs 2 factors"
    );
    let choose = spoke.get("/login").await;
    let token = csrf(&choose.html);
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
            &[("csrf", &token), ("answer", &totp_code(secret, now_secs()))],
        )
        .await;
    let back = r.location.unwrap();
    let r = spoke.get(&back).await;
    assert_eq!(r.status, 302, "{}", r.html);
    r.location.unwrap()
}

async fn org2org_oidc_claims_sharing(h: &Harness) {
    let s = setup(h, true).await;
    let (hub, spoke) = hub_and_spoke(h);
    let r = hub
        .get(&format!("/sso/idps/{}?return_to=/me", s.idp_id))
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let authorize = r.location.unwrap();
    assert!(
        authorize.starts_with(&h.url("spoke.localhost", "/oauth2/v1/authorize?")),
        "{authorize}"
    );
    let callback = spoke_sign_in(&spoke, &authorize, &s.secret).await;
    assert!(
        callback.starts_with(&h.url("hub.localhost", "/oauth2/v1/authorize/callback?")),
        "{callback}"
    );
    let r = hub.get(&path_of(&callback)).await;
    assert_eq!(r.status, 303, "{}", r.html);
    assert_eq!(
        r.location.as_deref(),
        Some("/me"),
        "no second prompt at the hub"
    );
    let (st, me) = hub.json("/api/v1/sessions/me").await;
    assert_eq!(st, 200);
    let amr: Vec<String> = serde_json::from_value(me["amr"].clone()).unwrap();
    for v in ["pwd", "otp", "mfa"] {
        assert!(amr.contains(&v.to_string()), "{v} in {amr:?}");
    }
    let fv = me["factorVerifications"].as_array().unwrap();
    assert!(!fv.is_empty());
    assert!(
        fv.iter().all(|v| v.to_string().contains(&s.idp_id)),
        "source is the IdP: {me}"
    );
    // Replaying the callback is refused with a readable page.
    let r = hub.get(&path_of(&callback)).await;
    assert_eq!(r.status, 400);
    assert!(r.html.contains("role=\"alert\""));
    // The System Log lists the credited claims and the decision.
    let logs = api(
        h,
        "hub.localhost",
        &s.hub_token,
        "GET",
        "/api/v1/logs?filter=eventType%20eq%20%22user.authentication.auth_via_IDP%22",
        json!(null),
    )
    .await;
    let text = logs.to_string();
    assert!(text.contains("\"decision\":\"ALLOW\""), "{text}");
    assert!(text.contains("credited"), "{text}");
    assert!(
        text.contains("INVALID_STATE"),
        "the replay is logged: {text}"
    );
    let _ = s.spoke_token;
}
http_test!(org2org_oidc_claims_sharing);

async fn without_trust_the_hub_asks_for_its_own_factor(h: &Harness) {
    let s = setup(h, false).await;
    let (hub, spoke) = hub_and_spoke(h);
    let r = hub
        .get(&format!("/sso/idps/{}?return_to=/me", s.idp_id))
        .await;
    let callback = spoke_sign_in(&spoke, &r.location.unwrap(), &s.secret).await;
    let r = hub.get(&path_of(&callback)).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "local top-up: {}",
        r.html
    );
    let p = hub.get("/login").await;
    assert_eq!(p.status, 200);
    // The JIT-provisioned user has nothing enrolled at the hub: the page says what can be
    // done (enroll here) rather than looping back to the IdP.
    assert!(
        p.html.contains("name=\"option\"") || p.html.contains("role=\"alert\""),
        "{}",
        p.html
    );
    let (st, _) = hub.json("/api/v1/sessions/me").await;
    assert_eq!(st, 404, "no session before the top-up");
}
http_test!(without_trust_the_hub_asks_for_its_own_factor);

async fn a_callback_from_another_browser_is_refused(h: &Harness) {
    let s = setup(h, true).await;
    let (hub, spoke) = hub_and_spoke(h);
    let r = hub.get(&format!("/sso/idps/{}", s.idp_id)).await;
    let callback = spoke_sign_in(&spoke, &r.location.unwrap(), &s.secret).await;
    // The attacker's completed callback, opened in the victim's browser (no flow cookie).
    let victim = Browser {
        h,
        host: "hub.localhost",
        client: client(h),
    };
    let r = victim.get(&path_of(&callback)).await;
    assert_eq!(r.status, 400, "{}", r.html);
    let (st, _) = victim.json("/api/v1/sessions/me").await;
    assert_eq!(st, 404);
}
http_test!(a_callback_from_another_browser_is_refused);

/// IdP objects are cached for sign-in; a change made through the API is seen at once.
async fn a_deactivated_idp_stops_sign_ins_at_once(h: &Harness) {
    let s = setup(h, false).await;
    let (hub, spoke) = hub_and_spoke(h);
    let r = hub.get(&format!("/sso/idps/{}", s.idp_id)).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let callback = spoke_sign_in(&spoke, &r.location.unwrap(), &s.secret).await;
    let o = api(
        h,
        "hub.localhost",
        &s.hub_token,
        "POST",
        &format!("/api/v1/idps/{}/lifecycle/deactivate", s.idp_id),
        json!(null),
    )
    .await;
    assert_eq!(o["status"], "INACTIVE", "{o}");
    // The pending sign-in is not completed, and no new one starts.
    let r = hub.get(&path_of(&callback)).await;
    assert_eq!(r.status, 400, "{}", r.html);
    assert!(r.html.contains("not available"), "{}", r.html);
    let (st, _) = hub.json("/api/v1/sessions/me").await;
    assert_eq!(st, 404);
    let r = hub.get(&format!("/sso/idps/{}", s.idp_id)).await;
    assert!(r.html.contains("not available"), "{} {}", r.status, r.html);
    // Activated again: usable again at once.
    let o = api(
        h,
        "hub.localhost",
        &s.hub_token,
        "POST",
        &format!("/api/v1/idps/{}/lifecycle/activate", s.idp_id),
        json!(null),
    )
    .await;
    assert_eq!(o["status"], "ACTIVE", "{o}");
    let r = hub.get(&format!("/sso/idps/{}", s.idp_id)).await;
    assert_eq!(r.status, 303, "{}", r.html);
}
http_test!(a_deactivated_idp_stops_sign_ins_at_once);

/// Routing rules (IDP_DISCOVERY) at the hub: users of `@example.com` go straight to the spoke;
/// a catch-all rule offering the spoke and the local sign-in shows a "Sign in with Spoke" button.
async fn routing_rules_send_users_to_the_idp(h: &Harness) {
    let s = setup(h, true).await;
    let pol = api(
        h,
        "hub.localhost",
        &s.hub_token,
        "GET",
        "/api/v1/policies?type=IDP_DISCOVERY",
        json!(null),
    )
    .await;
    let pid = pol[0]["id"].as_str().unwrap().to_string();
    api(
        h,
        "hub.localhost",
        &s.hub_token,
        "POST",
        &format!("/api/v1/policies/{pid}/rules"),
        json!({"name": "Spoke users", "priority": 1,
               "conditions": {"userIdentifier": {"type": "IDENTIFIER",
                   "patterns": [{"matchType": "SUFFIX", "value": "@example.com"}]}},
               "actions": {"idp": {"providers": [{"type": "OKTA_INTEGRATION", "id": s.idp_id}]}}}),
    )
    .await;
    api(h, "hub.localhost", &s.hub_token, "POST", &format!("/api/v1/policies/{pid}/rules"),
        json!({"name": "Offer the spoke", "priority": 2,
               "actions": {"idp": {"providers": [{"type": "OKTA_INTEGRATION", "id": s.idp_id}, {"type": "OKTA"}]}}})).await;
    let (hub, spoke) = hub_and_spoke(h);
    let p = hub.get("/login").await;
    assert!(p.html.contains("Sign in with Spoke"), "{}", p.html);
    assert!(p.html.contains(&s.idp_id), "the button names the IdP");
    let token = csrf(&p.html);
    let r = hub
        .post(
            "/login/identify",
            &[("csrf", &token), ("username", "sam@example.com")],
        )
        .await;
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/sso/idps/{}", s.idp_id).as_str())
    );
    let r = hub.get(r.location.as_deref().unwrap()).await;
    assert_eq!(r.status, 303);
    let authorize = r.location.unwrap();
    assert!(
        authorize.contains("login_hint=sam%40example.com"),
        "{authorize}"
    );
    let callback = spoke_sign_in(&spoke, &authorize, &s.secret).await;
    let r = hub.get(&path_of(&callback)).await;
    assert_eq!(r.location.as_deref(), Some("/me"), "{}", r.html);
    // Someone else types a local username: the password page, with the button.
    let other = Browser {
        h,
        host: "hub.localhost",
        client: client(h),
    };
    let p = other.get("/login").await;
    let token = csrf(&p.html);
    let r = other
        .post(
            "/login/identify",
            &[("csrf", &token), ("username", "local@hub.example")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    let p = other.get("/login").await;
    assert!(
        p.html.contains("Password") && p.html.contains("Sign in with Spoke"),
        "{}",
        p.html
    );
}
http_test!(routing_rules_send_users_to_the_idp);

/// Org2org over SAML: the spoke's org2org SAML app signs the assertion and puts the `OktaAuth`
/// JWE (encrypted to the hub's published key) in it; the hub's `SAML2` IdP object trusts the
/// spoke's signing certificate and its claims: no second prompt. The same response posted again
/// is refused (replay cache), and a response without the pending RelayState too.
async fn org2org_saml_claims_sharing(h: &Harness) {
    use common::browser::{attr_after, unescape};
    let s = setup(h, true).await;
    let ctx = &h.server.as_ref().unwrap().ctx;
    let spoke_org = orgs::resolve(ctx, Some("spoke.localhost")).await.unwrap();
    let hub_org = orgs::resolve(ctx, Some("hub.localhost")).await.unwrap();
    let spoke_url = h.url("spoke.localhost", "");
    let hub_url = h.url("hub.localhost", "");
    // The hub's trust store gets the spoke's SAML signing certificate.
    let cert = federa_core::service::keys::saml_identity(ctx, &spoke_org.id)
        .await
        .unwrap()
        .cert_base64();
    let key = idps::add_key(ctx, &hub_org.id, &[cert]).await.unwrap();
    let saml_idp = |sso: String, issuer: String| -> IdpInput {
        serde_json::from_value(json!({
            "type": "SAML2", "name": "Spoke SAML",
            "protocol": {"type": "SAML2",
                "endpoints": {"sso": {"url": sso, "binding": "HTTP-REDIRECT"}},
                "credentials": {"trust": {"issuer": issuer, "kid": key.kid}}},
            "policy": {"trustClaims": true, "maxClockSkew": 120000,
                "provisioning": {"action": "AUTO"}, "accountLink": {"action": "AUTO"},
                "subject": {"userNameTemplate": {"template": "idpuser.subjectNameId"}, "matchType": "USERNAME"}}
        }))
        .unwrap()
    };
    let idp = idps::create(
        ctx,
        &hub_org.id,
        saml_idp(
            "https://placeholder.example/sso".into(),
            "urn:placeholder".into(),
        ),
        true,
    )
    .await
    .unwrap();
    let app_input: AppInput = serde_json::from_value(json!({
        "name": "okta_org2org", "label": "Hub (SAML)", "signOnMode": "SAML_2_0",
        "settings": {"app": {"baseUrl": hub_url, "idpId": idp.id.to_string()},
                     "signOn": {"subjectNameIdTemplate": "${user.email}"}}
    }))
    .unwrap();
    let (app, _) = apps::create(ctx, &spoke_org.id, app_input, true)
        .await
        .unwrap();
    idps::replace(
        ctx,
        &hub_org.id,
        idp.id.as_str(),
        saml_idp(
            format!("{spoke_url}/app/okta_org2org/{}/sso/saml", app.id),
            format!("{spoke_url}/{}", app.id),
        ),
    )
    .await
    .unwrap();
    // The spoke's SAML app needs two factors too.
    let pols = api(
        h,
        "spoke.localhost",
        &s.spoke_token,
        "GET",
        "/api/v1/policies?type=ACCESS_POLICY",
        json!(null),
    )
    .await;
    let two = pols
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Two factors")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    api(
        h,
        "spoke.localhost",
        &s.spoke_token,
        "PUT",
        &format!("/api/v1/apps/{}/policies/{two}", app.id),
        json!({}),
    )
    .await;

    let (hub, spoke) = hub_and_spoke(h);
    let r = hub
        .get(&format!("/sso/idps/{}?return_to=/me", idp.id))
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let sso = r.location.unwrap();
    assert!(sso.contains("SAMLRequest="), "{sso}");
    // At the spoke: sign in (password + TOTP), then the POST form to the hub's ACS.
    let r = spoke.get(&path_of(&sso)).await;
    assert_eq!(r.location.as_deref(), Some("/login"), "{}", r.html);
    let p = spoke.get("/login").await;
    let token = csrf(&p.html);
    spoke
        .post(
            "/login/identify",
            &[("csrf", &token), ("username", "sam@example.com")],
        )
        .await;
    spoke
        .post(
            "/login/password",
            &[("csrf", &token), ("password", PASSWORD)],
        )
        .await;
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
            &[
                ("csrf", &token),
                ("answer", &totp_code(&s.secret, now_secs())),
            ],
        )
        .await;
    let form = spoke.get(&r.location.unwrap()).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let i = form.html.find("action=\"").unwrap() + "action=\"".len();
    let action = unescape(form.html[i..].split('"').next().unwrap());
    assert_eq!(action, format!("{hub_url}/sso/saml2/{}", idp.id));
    let response = attr_after(&form.html, "name=\"SAMLResponse\"").unwrap();
    let relay = attr_after(&form.html, "name=\"RelayState\"").unwrap();
    let post = |resp: String, relay: String| {
        let hub = &hub;
        let id = idp.id.to_string();
        async move {
            hub.post(
                &format!("/sso/saml2/{id}"),
                &[
                    ("SAMLResponse", resp.as_str()),
                    ("RelayState", relay.as_str()),
                ],
            )
            .await
        }
    };
    let r = post(response.clone(), relay.clone()).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let r = hub.get(r.location.as_deref().unwrap()).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/me"),
        "no second prompt: {}",
        r.html
    );
    let (_, me) = hub.json("/api/v1/sessions/me").await;
    let amr: Vec<String> = serde_json::from_value(me["amr"].clone()).unwrap();
    assert!(
        amr.contains(&"otp".to_string()) && amr.contains(&"mfa".to_string()),
        "{me}"
    );
    assert!(
        me.to_string().contains("OKTA_AUTH_SAML"),
        "credited through the OktaAuth carrier: {me}"
    );
    // The same response again: refused (state taken; and the assertion is in the replay cache).
    let r = post(response, relay).await;
    let r = hub.get(r.location.as_deref().unwrap()).await;
    assert_eq!(r.status, 400, "{}", r.html);
}
http_test!(org2org_saml_claims_sharing);
