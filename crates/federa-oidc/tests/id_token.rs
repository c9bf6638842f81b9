//! Issuing ID/access tokens and validating ID tokens as a relying party (OIDC Core §3.1.3.7).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use federa_jose::{JoseError, JwsAlg, SignOptions, SigningKey, VerifyingKeySet, jws};
use federa_oidc::OidcError;
use federa_oidc::id_token::{
    AccessTokenClaims, IdTokenClaims, at_hash, sign_access_token, sign_id_token,
};
use federa_oidc::rp::{IdTokenExpectations, validate_id_token};
use federa_types::Timestamp;
use serde_json::{Value, json};

const ISS: &str = "https://idp.example.com";
const CLIENT: &str = "0oarp";
const NOW: i64 = 1_700_000_000;

fn setup(alg: JwsAlg) -> (SigningKey, VerifyingKeySet) {
    let key = SigningKey::generate(alg).unwrap();
    let set = VerifyingKeySet::new(vec![key.verifying_key().clone()]).unwrap();
    (key, set)
}

fn id_claims() -> IdTokenClaims {
    IdTokenClaims {
        ver: 1,
        jti: "ID.x".into(),
        iss: ISS.into(),
        sub: "00u1".into(),
        aud: CLIENT.into(),
        iat: NOW,
        exp: NOW + 3600,
        auth_time: NOW - 10,
        nonce: Some("n-1".into()),
        amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
        acr: Some("urn:okta:loa:2fa:any".into()),
        idp: Some("00oidp".into()),
        at_hash: Some(at_hash("access", JwsAlg::Rs256)),
        okta_auth: Some("eyJ.jwe.x.y.z".into()),
        profile: serde_json::Map::new(),
    }
}

fn expect(skew: u64) -> IdTokenExpectations<'static> {
    IdTokenExpectations {
        issuer: ISS,
        client_id: CLIENT,
        nonce: "n-1",
        now: Timestamp::from_millis(NOW * 1000),
        max_clock_skew: Duration::from_secs(skew),
        allowed_algs: &[JwsAlg::Rs256, JwsAlg::Es256],
    }
}

fn sign_raw(key: &SigningKey, claims: &Value) -> String {
    jws::sign(
        key,
        claims.to_string().as_bytes(),
        &SignOptions::new().typ("JWT"),
    )
    .unwrap()
}

#[test]
fn issued_id_token_round_trips_through_rp_validation() {
    for alg in [JwsAlg::Rs256, JwsAlg::Es256] {
        let (key, set) = setup(alg);
        let token = sign_id_token(&id_claims(), &key).unwrap();
        let v = validate_id_token(&token, &set, &expect(0)).unwrap();
        assert_eq!(v.subject, "00u1");
        assert_eq!(v.audiences, vec![CLIENT.to_owned()]);
        assert_eq!(v.amr, Some(json!(["pwd", "otp", "mfa"])));
        assert_eq!(v.acr, Some(json!("urn:okta:loa:2fa:any")));
        assert_eq!(v.auth_time, Some(json!(NOW - 10)));
        assert_eq!(v.okta_auth, Some(json!("eyJ.jwe.x.y.z")));
        assert_eq!(v.idp, Some(json!("00oidp")));
        assert_eq!(v.verified_with, *key.kid());
        assert_eq!((v.issued_at, v.expires_at), (NOW, NOW + 3600));
    }
}

#[test]
fn raw_claims_are_untouched() {
    // okta_auth as an object, mfaVerified as a string, amr with unknown values: passed through.
    let (key, set) = setup(JwsAlg::Es256);
    let mut c = serde_json::to_value(id_claims()).unwrap();
    c["okta_auth"] = json!({"mfaVerified": "true", "factorVerifications": []});
    c["amr"] = json!(["weird", "pwd"]);
    c["auth_time"] = json!(1.5e9);
    let v = validate_id_token(&sign_raw(&key, &c), &set, &expect(0)).unwrap();
    assert_eq!(
        v.okta_auth,
        Some(json!({"mfaVerified": "true", "factorVerifications": []}))
    );
    assert_eq!(v.amr, Some(json!(["weird", "pwd"])));
    assert_eq!(v.auth_time, Some(json!(1.5e9)));
}

fn rejected(mutate: impl FnOnce(&mut Value), skew: u64) -> OidcError {
    let (key, set) = setup(JwsAlg::Rs256);
    let mut c = serde_json::to_value(id_claims()).unwrap();
    mutate(&mut c);
    validate_id_token(&sign_raw(&key, &c), &set, &expect(skew)).unwrap_err()
}

#[test]
fn wrong_issuer() {
    assert!(matches!(
        rejected(|c| c["iss"] = json!("https://evil.example.com"), 0),
        OidcError::IssuerMismatch { .. }
    ));
    assert!(matches!(
        rejected(|c| c["iss"] = json!("https://idp.example.com/"), 0),
        OidcError::IssuerMismatch { .. }
    ));
}

#[test]
fn wrong_audience_and_azp() {
    assert!(matches!(
        rejected(|c| c["aud"] = json!("0oaother"), 0),
        OidcError::AudienceMismatch(_)
    ));
    // Several audiences need azp = us.
    assert!(matches!(
        rejected(|c| c["aud"] = json!([CLIENT, "0oaother"]), 0),
        OidcError::AudienceMismatch(_)
    ));
    assert!(matches!(
        rejected(
            |c| {
                c["aud"] = json!([CLIENT, "0oaother"]);
                c["azp"] = json!("0oaother");
            },
            0
        ),
        OidcError::AudienceMismatch(_)
    ));
    let (key, set) = setup(JwsAlg::Rs256);
    let mut c = serde_json::to_value(id_claims()).unwrap();
    c["aud"] = json!([CLIENT, "0oaother"]);
    c["azp"] = json!(CLIENT);
    assert!(validate_id_token(&sign_raw(&key, &c), &set, &expect(0)).is_ok());
}

#[test]
fn expired_and_future_tokens() {
    assert!(matches!(
        rejected(|c| c["exp"] = json!(NOW), 0),
        OidcError::Expired { .. }
    ));
    assert!(matches!(
        rejected(|c| c["exp"] = json!(NOW - 121), 120),
        OidcError::Expired { .. }
    ));
    let (key, set) = setup(JwsAlg::Rs256);
    let mut c = serde_json::to_value(id_claims()).unwrap();
    c["exp"] = json!(NOW - 119);
    assert!(
        validate_id_token(&sign_raw(&key, &c), &set, &expect(120)).is_ok(),
        "within skew"
    );
    assert!(matches!(
        rejected(|c| c["iat"] = json!(NOW + 121), 120),
        OidcError::NotYetValid { claim: "iat", .. }
    ));
    assert!(matches!(
        rejected(|c| c["nbf"] = json!(NOW + 1), 0),
        OidcError::NotYetValid { claim: "nbf", .. }
    ));
    assert!(matches!(
        rejected(
            |c| {
                c.as_object_mut().unwrap().remove("iat");
            },
            0
        ),
        OidcError::Claim { name: "iat", .. }
    ));
}

#[test]
fn nonce_mismatch_or_missing() {
    assert_eq!(
        rejected(|c| c["nonce"] = json!("n-2"), 0),
        OidcError::NonceMismatch
    );
    assert_eq!(
        rejected(
            |c| {
                c.as_object_mut().unwrap().remove("nonce");
            },
            0
        ),
        OidcError::NonceMismatch
    );
}

#[test]
fn alg_none_and_disallowed_algs() {
    let (_, set) = setup(JwsAlg::Rs256);
    let c = serde_json::to_value(id_claims()).unwrap();
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(c.to_string())
    );
    assert_eq!(
        validate_id_token(&none, &set, &expect(0)),
        Err(OidcError::Jose(JoseError::JwsAlgNone))
    );
    let (key, set) = setup(JwsAlg::Es256);
    let token = sign_id_token(&id_claims(), &key).unwrap();
    let mut e = expect(0);
    e.allowed_algs = &[JwsAlg::Rs256];
    assert!(matches!(
        validate_id_token(&token, &set, &e),
        Err(OidcError::Jose(JoseError::JwsAlgNotAllowed { .. }))
    ));
}

#[test]
fn access_token_cannot_pass_as_id_token() {
    let (key, set) = setup(JwsAlg::Rs256);
    let at = AccessTokenClaims {
        ver: 1,
        jti: "AT.x".into(),
        iss: ISS.into(),
        aud: CLIENT.into(),
        iat: NOW,
        exp: NOW + 3600,
        cid: CLIENT.into(),
        uid: Some("00u1".into()),
        scp: vec!["openid".into()],
        sub: "alice@example.com".into(),
        auth_time: Some(NOW - 10),
        acr: None,
    };
    let token = sign_access_token(&at, &key).unwrap();
    let verified = jws::verify(&token, &set, &[JwsAlg::Rs256]).unwrap();
    assert_eq!(verified.header().typ(), Some("at+jwt"));
    let claims = verified.claims().unwrap();
    assert_eq!(claims["cid"], CLIENT);
    assert_eq!(claims["scp"], json!(["openid"]));
    assert!(!claims.contains_key("acr"));
    assert!(matches!(
        validate_id_token(&token, &set, &expect(0)),
        Err(OidcError::UnexpectedTyp(_))
    ));
}

#[test]
fn id_token_from_another_idp_key_is_refused() {
    // T7: a valid token from IdP A presented where IdP B's keys are trusted.
    let (key_a, _) = setup(JwsAlg::Rs256);
    let (_, set_b) = setup(JwsAlg::Rs256);
    let token = sign_id_token(&id_claims(), &key_a).unwrap();
    assert!(matches!(
        validate_id_token(&token, &set_b, &expect(0)),
        Err(OidcError::Jose(JoseError::JwsNoKey { .. }))
    ));
}
