//! The broker's view of an IdP (`federa_core::service::idps`), on both databases: the per-IdP
//! SP key pair (one RSA key behind the JWKS, the JWE decryption set, the PKCS#8 export and the
//! certificate), the sealed client secret, the trust-store certificates of a SAML IdP, the
//! typed upstream settings and trust configuration, and org scoping of every lookup.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_claims::trust::{IdpKind, Protocol};
use federa_core::Ctx;
use federa_core::model::idp::{IdpInput, IdpType, MatchType, ProvisioningAction};
use federa_core::model::{Engine, Org};
use federa_core::service::{idps, orgs};
use federa_jose::{
    EncryptOptions, EncryptionKeySet, RsaDecryptionKey, RsaEncryptionKey, SystemRng,
};
use federa_saml::{Certificate, SigningIdentity};
use federa_testkit::{TestDb, contract_test};
use serde_json::json;
use time::OffsetDateTime;

async fn new_org(ctx: &Ctx, host: &str) -> Org {
    orgs::create(ctx, host, &[host.to_string()], Engine::Identity, "t")
        .await
        .expect("org")
        .org
}

fn input(v: serde_json::Value) -> IdpInput {
    serde_json::from_value(v).expect("IdP input")
}

async fn sp_key_pair_is_one_key_everywhere(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let org = new_org(&ctx, "sp.test").await;
    let idp = idps::create(
        &ctx,
        &org.id,
        input(json!({"type": "OKTA_INTEGRATION", "name": "Hub", "protocol": {"type": "OIDC",
            "oktaIdpOrgUrl": "https://hub.example.com",
            "credentials": {"client": {"client_id": "0oaCLIENT", "token_endpoint_auth_method": "private_key_jwt"}}},
            "policy": {"trustClaims": true}})),
        true,
    )
    .await
    .unwrap();
    // The published JWKS, the JWE decryption set, the PKCS#8 export and the certificate all
    // carry the same key, whose kid is its RFC 7638 thumbprint.
    let jwks = idps::sp_jwks(&ctx, &idp).await.unwrap();
    let set = EncryptionKeySet::from_jwks_json(&jwks.to_json().unwrap()).unwrap();
    let public = set.preferred().unwrap();
    assert_eq!(public.kid().as_str(), idp.sp_kid);
    assert_eq!(public.thumbprint(), idp.sp_kid);
    let keys = idps::sp_decryption_keys(&ctx, &idp).await.unwrap();
    assert_eq!(keys.preferred().unwrap().kid().as_str(), idp.sp_kid);
    let pkcs8 = idps::sp_private_key_pkcs8(&ctx, &idp).await.unwrap();
    let key = RsaDecryptionKey::from_pkcs8_der(pkcs8.expose()).unwrap();
    assert_eq!(key.kid().as_str(), idp.sp_kid);
    let cert = Certificate::from_der(&idps::sp_certificate_der(&ctx, &idp).await.unwrap()).unwrap();
    let from_cert = RsaEncryptionKey::from_spki_der(cert.spki_der()).unwrap();
    assert_eq!(from_cert.kid().as_str(), idp.sp_kid);
    idps::sp_identity(&ctx, &idp).await.unwrap();
    // What the IdP org encrypts to the JWKS, the SP decrypts.
    let rng = SystemRng::new();
    let jwe = federa_jose::jwe::encrypt(
        public,
        b"{\"okta_auth\":1}",
        &EncryptOptions::default(),
        &rng,
    )
    .unwrap();
    let plain = federa_jose::jwe::decrypt(&keys, &jwe, &rng).unwrap();
    assert_eq!(plain.plaintext(), b"{\"okta_auth\":1}");
    // Typed upstream settings.
    let o = idp.oidc.as_ref().unwrap();
    assert_eq!(
        o.authorization_url,
        "https://hub.example.com/oauth2/v1/authorize"
    );
    assert_eq!(o.token_url, "https://hub.example.com/oauth2/v1/token");
    assert_eq!(
        o.userinfo_url.as_deref(),
        Some("https://hub.example.com/oauth2/v1/userinfo")
    );
    assert_eq!(o.jwks_url, "https://hub.example.com/oauth2/v1/keys");
    assert_eq!(o.issuer, "https://hub.example.com");
    assert_eq!(o.client_id, "0oaCLIENT");
    assert_eq!(o.token_endpoint_auth_method, "private_key_jwt");
    assert_eq!(
        o.okta_idp_org_url.as_deref(),
        Some("https://hub.example.com")
    );
    assert!(idp.saml.is_none());
    let t = idp.trust_config();
    assert_eq!(t.kind, IdpKind::OktaOrg);
    assert_eq!(t.protocol, Protocol::Oidc);
    assert!(t.trust_claims && !t.map_amr_claims);
    assert_eq!(idp.max_clock_skew_ms, 120_000);
    assert_eq!(idp.username_template, "idpuser.email");
    assert_eq!(idp.match_type, MatchType::Username);
    assert_eq!(idp.provisioning, ProvisioningAction::Disabled);
    assert!(idps::client_secret(&ctx, &idp).await.unwrap().is_none());
    // Endpoint helpers (the org2org app in the IdP org derives the same audience).
    assert_eq!(
        idps::sp_entity_id("https://sp.test/", &idp.id),
        format!("https://sp.test/saml2/service-provider/{}", idp.id)
    );
    assert_eq!(
        idps::acs_url("https://sp.test", &idp.id),
        format!("https://sp.test/sso/saml2/{}", idp.id)
    );
    assert_eq!(
        idps::redirect_uri("https://sp.test"),
        "https://sp.test/oauth2/v1/authorize/callback"
    );
    // Another IdP has another key.
    let other = idps::create(
        &ctx,
        &org.id,
        input(json!({"type": "OKTA_INTEGRATION", "name": "Hub 2", "protocol": {"type": "OIDC",
            "oktaIdpOrgUrl": "https://hub2.example.com",
            "credentials": {"client": {"client_id": "x", "token_endpoint_auth_method": "private_key_jwt"}}}})),
        true,
    )
    .await
    .unwrap();
    assert_ne!(other.sp_kid, idp.sp_kid);
    assert!(idps::list_active(&ctx, &org.id).await.unwrap().len() == 2);
}
contract_test!(
    sp_key_pair_is_one_key_everywhere_test,
    sp_key_pair_is_one_key_everywhere
);

async fn client_secret_is_sealed_and_kept(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let org = new_org(&ctx, "sp.test").await;
    let body = json!({"type": "OIDC", "name": "Entra", "protocol": {"type": "OIDC",
        "endpoints": {"authorization": {"url": "https://login.example.com/a"},
            "token": {"url": "https://login.example.com/t"}, "jwks": {"url": "https://login.example.com/k"}},
        "issuer": {"url": "https://login.example.com"},
        "credentials": {"client": {"client_id": "me", "client_secret": "s3cret-value-for-upstream",
            "token_endpoint_auth_method": "client_secret_basic", "pkce_required": true}}},
        "policy": {"mapAMRClaims": true, "subject": {"matchType": "USERNAME_OR_EMAIL"}}});
    let idp = idps::create(&ctx, &org.id, input(body.clone()), true)
        .await
        .unwrap();
    assert_eq!(
        idps::client_secret(&ctx, &idp)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        "s3cret-value-for-upstream"
    );
    let stored = ctx
        .store
        .idp_by_id(&org.id, &idp.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.body.to_string().contains("s3cret"));
    assert!(
        !stored
            .sealed_client_secret
            .as_deref()
            .unwrap()
            .contains("s3cret")
    );
    assert!(!format!("{idp:?}").contains("s3cret"));
    let o = idp.oidc.as_ref().unwrap();
    assert!(o.pkce_required);
    assert_eq!(o.scopes, vec!["openid", "email", "profile"]);
    assert_eq!(idp.trust_config().kind, IdpKind::ThirdParty);
    assert!(idp.map_amr_claims);
    assert_eq!(idp.match_type, MatchType::UsernameOrEmail);
    // Replace without a secret keeps it; with one replaces it.
    let mut b = body.clone();
    b["protocol"]["credentials"]["client"]
        .as_object_mut()
        .unwrap()
        .remove("client_secret");
    let r = idps::replace(&ctx, &org.id, idp.id.as_str(), input(b))
        .await
        .unwrap();
    assert_eq!(
        idps::client_secret(&ctx, &r)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        "s3cret-value-for-upstream"
    );
    assert_eq!(r.sp_kid, idp.sp_kid, "the SP key survives a replace");
    let mut b = body;
    b["protocol"]["credentials"]["client"]["client_secret"] = json!("another-secret-value");
    let r = idps::replace(&ctx, &org.id, idp.id.as_str(), input(b))
        .await
        .unwrap();
    assert_eq!(
        idps::client_secret(&ctx, &r)
            .await
            .unwrap()
            .unwrap()
            .expose(),
        "another-secret-value"
    );
    // Org scoping.
    let other = new_org(&ctx, "other.test").await;
    assert!(
        ctx.store
            .idp_by_id(&other.id, &idp.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(idps::get(&ctx, &other.id, idp.id.as_str()).await.is_err());
    assert!(idps::list_active(&ctx, &other.id).await.unwrap().is_empty());
}
contract_test!(
    client_secret_is_sealed_and_kept_test,
    client_secret_is_sealed_and_kept
);

async fn saml_idp_trusts_its_store_certificates(db: &TestDb) {
    let ctx = federa_testkit::ctx(db.store().await);
    let org = new_org(&ctx, "sp.test").await;
    let rng = SystemRng::new();
    let a = SigningIdentity::generate("a", OffsetDateTime::now_utc(), &rng).unwrap();
    let b = SigningIdentity::generate("b", OffsetDateTime::now_utc(), &rng).unwrap();
    let ka = idps::add_key(&ctx, &org.id, &[a.cert_base64()])
        .await
        .unwrap();
    let kb = idps::add_key(&ctx, &org.id, &[b.cert_base64()])
        .await
        .unwrap();
    assert!(ka.expires_at.is_some());
    let idp = idps::create(
        &ctx,
        &org.id,
        input(json!({"type": "SAML2", "name": "Shib", "protocol": {"type": "SAML2",
            "endpoints": {"sso": {"url": "https://idp.example.com/sso", "binding": "HTTP-REDIRECT"}},
            "credentials": {"trust": {"issuer": "urn:idp", "audience": "urn:sp", "kid": ka.kid, "additionalKids": [kb.kid]}}},
            "policy": {"maxClockSkew": 30000, "trustClaims": true,
                       "subject": {"userNameTemplate": {"template": "idpuser.subjectNameId"}}}})),
        false,
    )
    .await
    .unwrap();
    assert!(!idp.is_active());
    let s = idp.saml.as_ref().unwrap();
    assert_eq!(s.sso_url, "https://idp.example.com/sso");
    assert_eq!(s.sso_binding, "HTTP-REDIRECT");
    assert_eq!(s.issuer, "urn:idp");
    assert_eq!(s.audience.as_deref(), Some("urn:sp"));
    assert_eq!(s.trust_kids, vec![ka.kid.clone(), kb.kid.clone()]);
    assert!(!s.request_signed);
    assert_eq!(
        s.name_format,
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    );
    assert_eq!(idp.max_clock_skew_ms, 30_000);
    assert_eq!(idp.username_template, "idpuser.subjectNameId");
    assert_eq!(idp.trust_config().protocol, Protocol::Saml);
    assert_eq!(idp.kind, IdpType::Saml2);
    let certs = idps::trusted_certificates(&ctx, &idp).await.unwrap();
    assert_eq!(certs, vec![a.cert_der().to_vec(), b.cert_der().to_vec()]);
    assert!(idps::list_active(&ctx, &org.id).await.unwrap().is_empty());
    // A key in use cannot go; another org cannot see or delete it.
    assert!(idps::delete_key(&ctx, &org.id, &ka.kid).await.is_err());
    let other = new_org(&ctx, "other.test").await;
    assert!(idps::get_key(&ctx, &other.id, &ka.kid).await.is_err());
    assert!(idps::delete_key(&ctx, &other.id, &ka.kid).await.is_err());
    idps::delete(&ctx, &org.id, idp.id.as_str()).await.unwrap();
    idps::delete_key(&ctx, &org.id, &ka.kid).await.unwrap();
}
contract_test!(
    saml_idp_trusts_its_store_certificates_test,
    saml_idp_trusts_its_store_certificates
);
