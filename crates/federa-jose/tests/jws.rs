//! JWS: independent vectors, round trips, and the attack catalogue (alg none, HS256 with the RSA
//! public key as secret, kid mismatch, key/alg substitution, tampering, DER ECDSA, crit, sizes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use federa_jose::jws::{self, MAX_COMPACT_JWS_LEN};
use federa_jose::{
    CompactJws, JoseError, JwsAlg, Kid, SignOptions, SigningKey, VerifyingKey, VerifyingKeySet,
};

const RSA_PEM: &str = include_str!("../test_vectors/jws/rsa_key.pk8.pem");
const EC_PEM: &str = include_str!("../test_vectors/jws/ec_key.pk8.pem");
const JWKS: &str = include_str!("../test_vectors/jws/jwks.json");
const PAYLOAD: &str = include_str!("../test_vectors/jws/payload.json");
const VALID_RS256: &str = include_str!("../test_vectors/jws/valid_rs256.jws");
const VALID_ES256: &str = include_str!("../test_vectors/jws/valid_es256.jws");
const DER_ES256: &str = include_str!("../test_vectors/jws/reject_es256_der.jws");

const BOTH: [JwsAlg; 2] = [JwsAlg::Rs256, JwsAlg::Es256];

fn der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

fn rsa_key() -> SigningKey {
    SigningKey::from_pkcs8(
        JwsAlg::Rs256,
        Some(Kid::new("rsa-1").unwrap()),
        &der(RSA_PEM),
    )
    .unwrap()
}

fn ec_key() -> SigningKey {
    SigningKey::from_pkcs8(JwsAlg::Es256, Some(Kid::new("ec-1").unwrap()), &der(EC_PEM)).unwrap()
}

fn keys() -> VerifyingKeySet {
    VerifyingKeySet::from_jwks_json(JWKS).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn forge(header: &str, payload: &str, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.as_bytes()),
        b64(payload.as_bytes()),
        b64(signature)
    )
}

#[test]
fn independent_vectors_verify() {
    let keys = keys();
    assert_eq!(keys.keys().len(), 2, "the enc key must be skipped");
    let rs = jws::verify(VALID_RS256.trim(), &keys, &BOTH).unwrap();
    assert_eq!(rs.payload(), PAYLOAD.as_bytes());
    assert_eq!(rs.header().alg(), JwsAlg::Rs256);
    assert_eq!(rs.header().typ(), Some("JWT"));
    assert_eq!(rs.verified_with().as_str(), "rsa-1");
    assert_eq!(rs.claims().unwrap()["sub"], "00u1");
    let es = jws::verify(VALID_ES256.trim(), &keys, &BOTH).unwrap();
    assert_eq!(es.payload(), PAYLOAD.as_bytes());
    assert_eq!(es.verified_with().as_str(), "ec-1");
}

#[test]
fn loaded_keys_publish_the_same_jwks_members() {
    let doc: serde_json::Value = serde_json::from_str(JWKS).unwrap();
    let rsa = serde_json::to_value(rsa_key().public_jwk()).unwrap();
    let ec = serde_json::to_value(ec_key().public_jwk()).unwrap();
    assert_eq!(rsa, doc["keys"][0]);
    assert_eq!(ec, doc["keys"][1]);
}

#[test]
fn round_trips_and_default_kid_is_the_thumbprint() {
    for alg in BOTH {
        let key = SigningKey::generate(alg).unwrap();
        assert_eq!(key.kid().as_str(), key.verifying_key().thumbprint());
        let jwk = key.public_jwk();
        assert_eq!(jwk.key_use.as_deref(), Some("sig"));
        assert_eq!(jwk.alg.as_deref(), Some(alg.as_str()));
        let set = VerifyingKeySet::new(vec![key.verifying_key().clone()]).unwrap();
        let token = jws::sign(&key, b"{\"a\":1}", &SignOptions::new().typ("JWT")).unwrap();
        let verified = jws::verify(&token, &set, &[alg]).unwrap();
        assert_eq!(verified.payload(), b"{\"a\":1}");
        // PKCS#8 round trip keeps the key (same thumbprint, signatures verify).
        let again = SigningKey::from_pkcs8(alg, None, key.to_pkcs8().unwrap().as_bytes()).unwrap();
        assert_eq!(again.kid(), key.kid());
        let token = jws::sign(&again, b"x", &SignOptions::new()).unwrap();
        assert!(jws::verify(&token, &set, &[alg]).is_ok());
    }
}

#[test]
fn alg_none_is_refused_in_every_spelling() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = format!(
            "{}.{}.",
            b64(format!(r#"{{"alg":"{alg}","kid":"rsa-1"}}"#).as_bytes()),
            b64(PAYLOAD.as_bytes())
        );
        assert_eq!(
            jws::verify(&token, &keys(), &BOTH),
            Err(JoseError::JwsAlgNone),
            "{alg}"
        );
        // With a non-empty signature too.
        let token = forge(&format!(r#"{{"alg":"{alg}"}}"#), PAYLOAD, b"x");
        assert_eq!(
            jws::verify(&token, &keys(), &BOTH),
            Err(JoseError::JwsAlgNone)
        );
    }
}

#[test]
fn hs256_keyed_with_the_rsa_public_key_is_refused() {
    // The classic confusion: the attacker MACs with the published RSA key as the HMAC secret.
    for secret in [JWKS.as_bytes().to_vec(), der(RSA_PEM)] {
        for alg in ["HS256", "HS384", "HS512", "hs256"] {
            let header = format!(r#"{{"alg":"{alg}","kid":"rsa-1"}}"#);
            let si = format!("{}.{}", b64(header.as_bytes()), b64(PAYLOAD.as_bytes()));
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &secret), si.as_bytes());
            let token = format!("{si}.{}", b64(tag.as_ref()));
            assert!(
                matches!(
                    jws::verify(&token, &keys(), &BOTH),
                    Err(JoseError::JwsSymmetricAlg { .. })
                ),
                "{alg}"
            );
        }
    }
}

#[test]
fn algs_outside_the_allow_list_are_refused() {
    assert!(matches!(
        jws::verify(VALID_ES256.trim(), &keys(), &[JwsAlg::Rs256]),
        Err(JoseError::JwsAlgNotAllowed { .. })
    ));
    assert!(matches!(
        jws::verify(VALID_RS256.trim(), &keys(), &[]),
        Err(JoseError::JwsAlgNotAllowed { .. })
    ));
    for alg in ["PS256", "RS512", "EdDSA", "ES384", "RSA-OAEP-256", ""] {
        let token = forge(
            &format!(r#"{{"alg":"{alg}","kid":"rsa-1"}}"#),
            PAYLOAD,
            b"sig",
        );
        let err = jws::verify(&token, &keys(), &BOTH).unwrap_err();
        assert!(
            matches!(
                err,
                JoseError::JwsAlgNotAllowed { .. } | JoseError::JwsHeader { .. }
            ),
            "{alg}: {err}"
        );
    }
}

#[test]
fn kid_must_name_a_trusted_key_of_the_right_type() {
    // Unknown kid.
    let other = SigningKey::generate(JwsAlg::Rs256).unwrap();
    let token = jws::sign(&other, PAYLOAD.as_bytes(), &SignOptions::new()).unwrap();
    assert!(matches!(
        jws::verify(&token, &keys(), &BOTH),
        Err(JoseError::JwsNoKey { .. })
    ));
    // An RSA-signed token that claims the EC key's kid: key/alg substitution.
    let rogue = SigningKey::from_pkcs8(
        JwsAlg::Rs256,
        Some(Kid::new("ec-1").unwrap()),
        &der(RSA_PEM),
    )
    .unwrap();
    let token = jws::sign(&rogue, PAYLOAD.as_bytes(), &SignOptions::new()).unwrap();
    assert!(matches!(
        jws::verify(&token, &keys(), &BOTH),
        Err(JoseError::JwsKeyAlgMismatch { alg: "RS256", .. })
    ));
    // Right type, wrong key: a foreign RSA key claiming kid rsa-1.
    let foreign = SigningKey::generate(JwsAlg::Rs256).unwrap();
    let foreign = SigningKey::from_pkcs8(
        JwsAlg::Rs256,
        Some(Kid::new("rsa-1").unwrap()),
        foreign.to_pkcs8().unwrap().as_bytes(),
    )
    .unwrap();
    let token = jws::sign(&foreign, PAYLOAD.as_bytes(), &SignOptions::new()).unwrap();
    assert_eq!(
        jws::verify(&token, &keys(), &BOTH),
        Err(JoseError::JwsSignature)
    );
}

#[test]
fn missing_kid_needs_exactly_one_fitting_key() {
    let key = rsa_key();
    let si = format!("{}.{}", b64(br#"{"alg":"RS256"}"#), b64(PAYLOAD.as_bytes()));
    // Sign the kid-less input with the same key via a one-key round trip.
    let token_with_kid = jws::sign(&key, PAYLOAD.as_bytes(), &SignOptions::new()).unwrap();
    assert!(jws::verify(&token_with_kid, &keys(), &BOTH).is_ok());
    let one = VerifyingKeySet::new(vec![key.verifying_key().clone()]).unwrap();
    let two = VerifyingKeySet::new(vec![
        key.verifying_key().clone(),
        SigningKey::generate(JwsAlg::Rs256)
            .unwrap()
            .verifying_key()
            .clone(),
    ])
    .unwrap();
    let bogus = format!("{si}.{}", b64(&[1u8; 256]));
    // One RS256 key: selected, then the (bogus) signature fails.
    assert_eq!(
        jws::verify(&bogus, &one, &BOTH),
        Err(JoseError::JwsSignature)
    );
    // Two RS256 keys: ambiguous, refused before any signature check.
    assert!(matches!(
        jws::verify(&bogus, &two, &BOTH),
        Err(JoseError::JwsNoKey { .. })
    ));
}

#[test]
fn tampering_is_detected() {
    for token in [VALID_RS256.trim(), VALID_ES256.trim()] {
        let parts: Vec<&str> = token.split('.').collect();
        let evil_payload = b64(PAYLOAD.replace("00u1", "00u2").as_bytes());
        let tampered = format!("{}.{}.{}", parts[0], evil_payload, parts[2]);
        assert_eq!(
            jws::verify(&tampered, &keys(), &BOTH),
            Err(JoseError::JwsSignature)
        );
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        sig[10] ^= 1;
        let tampered = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
        assert_eq!(
            jws::verify(&tampered, &keys(), &BOTH),
            Err(JoseError::JwsSignature)
        );
        // Header changed (typ added) but signature kept.
        let header = URL_SAFE_NO_PAD.decode(parts[0]).unwrap();
        let mut header: serde_json::Value = serde_json::from_slice(&header).unwrap();
        header["typ"] = "at+jwt".into();
        let tampered = format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            parts[1],
            parts[2]
        );
        assert_eq!(
            jws::verify(&tampered, &keys(), &BOTH),
            Err(JoseError::JwsSignature)
        );
    }
}

#[test]
fn es256_der_signature_is_refused() {
    assert!(matches!(
        jws::verify(DER_ES256.trim(), &keys(), &BOTH),
        Err(JoseError::JwsEcdsaSignatureFormat { len }) if len != 64
    ));
}

#[test]
fn format_rejections() {
    let parts: Vec<&str> = VALID_RS256.trim().split('.').collect();
    let cases: Vec<(String, &str)> = vec![
        (format!("{}.{}", parts[0], parts[1]), "two segments"),
        (format!("{}.{}.{}.x", parts[0], parts[1], parts[2]), "four"),
        (
            format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            "padding",
        ),
        (format!("{}.{} .{}", parts[0], parts[1], parts[2]), "space"),
        (format!("{}.{}.", parts[0], parts[1]), "empty sig"),
        (format!(".{}.{}", parts[1], parts[2]), "empty header"),
        (
            format!("{}.{}+.{}", parts[0], parts[1], parts[2]),
            "std b64",
        ),
    ];
    for (token, why) in cases {
        let err = jws::verify(&token, &keys(), &BOTH).unwrap_err();
        assert!(
            matches!(
                err,
                JoseError::JwsSegmentCount { .. } | JoseError::JwsBase64 { .. }
            ),
            "{why}: {err}"
        );
    }
    let huge = "a".repeat(MAX_COMPACT_JWS_LEN + 1);
    assert!(matches!(
        jws::verify(&huge, &keys(), &BOTH),
        Err(JoseError::JwsTooLarge { .. })
    ));
    assert!(matches!(
        jws::sign(
            &rsa_key(),
            &vec![b'a'; MAX_COMPACT_JWS_LEN],
            &SignOptions::new()
        ),
        Err(JoseError::JwsTooLarge { .. })
    ));
}

#[test]
fn header_rejections() {
    let cases = [
        (r#"{"alg":"RS256","kid":"rsa-1","crit":["exp"]}"#, "crit"),
        (
            r#"{"alg":"RS256","kid":"rsa-1","b64":false,"crit":["b64"]}"#,
            "b64",
        ),
        (
            r#"{"alg":"RS256","alg":"ES256","kid":"rsa-1"}"#,
            "duplicate",
        ),
        (r#"{"kid":"rsa-1"}"#, "no alg"),
        (r#"{"alg":256,"kid":"rsa-1"}"#, "alg number"),
        (r#"{"alg":"RS256","kid":7}"#, "kid number"),
        (r#"["RS256"]"#, "array"),
        ("not json", "garbage"),
    ];
    for (header, why) in cases {
        let token = forge(header, PAYLOAD, &[1u8; 256]);
        let err = CompactJws::parse(&token).unwrap_err();
        assert!(
            matches!(
                err,
                JoseError::JwsCriticalHeader
                    | JoseError::DuplicateMember { .. }
                    | JoseError::JwsHeader { .. }
            ),
            "{why}: {err}"
        );
    }
}

#[test]
fn embedded_jwk_header_is_ignored_not_trusted() {
    // An attacker-supplied key in the header must not be used (keys come from the set only).
    let attacker = SigningKey::generate(JwsAlg::Es256).unwrap();
    let jwk = serde_json::to_string(&attacker.public_jwk()).unwrap();
    let header = format!(r#"{{"alg":"ES256","jwk":{jwk}}}"#);
    let si = format!("{}.{}", b64(header.as_bytes()), b64(PAYLOAD.as_bytes()));
    // Sign with the attacker's key through a one-off token to get a valid raw signature.
    let sample = jws::sign(&attacker, PAYLOAD.as_bytes(), &SignOptions::new()).unwrap();
    let sig = sample.rsplit('.').next().unwrap();
    let token = format!("{si}.{sig}");
    // The set's only ES256 key is ec-1; the attacker's signature cannot verify with it.
    assert_eq!(
        jws::verify(&token, &keys(), &BOTH),
        Err(JoseError::JwsSignature)
    );
}

#[test]
fn jwk_rejections() {
    for jwk in [
        r#"{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}"#,
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
        r#"{"kty":"RSA","alg":"ES256","n":"AQAB","e":"AQAB"}"#,
        r#"{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}"#,
        r#"{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ","d":"AQ"}"#,
        r#"{"kty":"oct","k":"c2VjcmV0"}"#,
        r#"{"kty":"EC","crv":"P-384","x":"AQ","y":"AQ"}"#,
    ] {
        assert!(VerifyingKey::from_jwk_json(jwk).is_err(), "{jwk}");
    }
    // Contradicting alg inside a JWKS fails the whole set (fail closed).
    let doc: serde_json::Value = serde_json::from_str(JWKS).unwrap();
    let mut bad = doc.clone();
    bad["keys"][0]["alg"] = "ES256".into();
    assert!(VerifyingKeySet::from_jwks_json(&bad.to_string()).is_err());
    // Duplicate kids fail the set.
    let mut dup = doc;
    dup["keys"][1]["kid"] = "rsa-1".into();
    assert!(matches!(
        VerifyingKeySet::from_jwks_json(&dup.to_string()),
        Err(JoseError::DuplicateKid { .. })
    ));
}

#[test]
fn wrong_key_type_for_pkcs8_is_refused() {
    assert!(matches!(
        SigningKey::from_pkcs8(JwsAlg::Es256, None, &der(RSA_PEM)),
        Err(JoseError::InvalidSigningKey(_))
    ));
    assert!(matches!(
        SigningKey::from_pkcs8(JwsAlg::Rs256, None, &der(EC_PEM)),
        Err(JoseError::InvalidSigningKey(_))
    ));
}

#[test]
fn claims_refuse_duplicate_members() {
    let key = ec_key();
    let set = VerifyingKeySet::new(vec![key.verifying_key().clone()]).unwrap();
    let token = jws::sign(&key, br#"{"sub":"a","sub":"b"}"#, &SignOptions::new()).unwrap();
    let verified = jws::verify(&token, &set, &BOTH).unwrap();
    assert!(matches!(
        verified.claims(),
        Err(JoseError::JwsPayloadNotJson { .. })
    ));
}
