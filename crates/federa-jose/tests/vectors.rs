//! Interop vectors from an independent implementation (jwcrypto; see test_vectors/README.md).
//!
//! Each vector is decrypted with the recipient key from `test_vectors/recipient_key.pem` and
//! must either give back `payload.json` or fail with the specific error named in the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_jose::{
    DecryptionKeySet, EncryptOptions, JoseError, RsaDecryptionKey, RsaEncryptionKey, SystemRng, jwe,
};

macro_rules! vector {
    ($name:literal) => {
        include_str!(concat!("../test_vectors/", $name)).trim_ascii_end()
    };
}

const KEY_PEM: &str = vector!("recipient_key.pem");
const KID: &str = vector!("recipient_key.kid.txt");
const PAYLOAD: &str = vector!("payload.json");

fn keys() -> DecryptionKeySet {
    DecryptionKeySet::from_keys([RsaDecryptionKey::from_pkcs8_pem(KEY_PEM).unwrap()]).unwrap()
}

fn decrypt(token: &str) -> Result<Vec<u8>, JoseError> {
    jwe::decrypt(&keys(), token, &SystemRng::new()).map(|d| d.into_plaintext())
}

#[test]
fn recipient_key_kid_is_the_jwcrypto_thumbprint() {
    let key = RsaDecryptionKey::from_pkcs8_pem(KEY_PEM).unwrap();
    assert_eq!(key.kid().as_str(), KID);
    assert_eq!(key.modulus_bits(), 2048);
}

#[test]
fn recipient_public_jwk_matches_jwcrypto_export() {
    let ours = RsaDecryptionKey::from_pkcs8_pem(KEY_PEM)
        .unwrap()
        .public_jwk();
    let theirs: serde_json::Value =
        serde_json::from_str(vector!("recipient_key.public.jwk.json")).unwrap();
    let ours = serde_json::to_value(&ours).unwrap();
    assert_eq!(ours, theirs);
    let parsed = RsaEncryptionKey::from_jwk_json(vector!("recipient_key.public.jwk.json")).unwrap();
    assert_eq!(parsed.kid().as_str(), KID);
    assert_eq!(parsed.thumbprint(), KID);
}

#[test]
fn valid_oktaauth_decrypts_to_payload() {
    let decrypted =
        jwe::decrypt(&keys(), vector!("valid_oktaauth.jwe"), &SystemRng::new()).unwrap();
    assert_eq!(decrypted.plaintext(), PAYLOAD.as_bytes());
    assert_eq!(decrypted.header().kid().as_str(), KID);
    assert_eq!(decrypted.header().typ(), None);
    let json: serde_json::Value = serde_json::from_slice(decrypted.plaintext()).unwrap();
    assert_eq!(
        json["factorVerifications"][1]["factor"]["methodType"],
        "sms"
    );
}

#[test]
fn valid_typ_cty_decrypts_and_exposes_typ_and_cty() {
    let decrypted = jwe::decrypt(&keys(), vector!("valid_typ_cty.jwe"), &SystemRng::new()).unwrap();
    assert_eq!(decrypted.plaintext(), PAYLOAD.as_bytes());
    assert_eq!(decrypted.header().typ(), Some("JWT"));
    assert_eq!(decrypted.header().cty(), Some("json"));
}

fn assert_unsupported_alg(token: &str, alg: &str) {
    match decrypt(token) {
        Err(JoseError::UnsupportedAlg { alg: found }) => assert_eq!(found, format!("{alg:?}")),
        other => panic!("expected UnsupportedAlg({alg}), got {other:?}"),
    }
}

fn assert_unsupported_enc(token: &str, enc: &str) {
    match decrypt(token) {
        Err(JoseError::UnsupportedEnc { enc: found }) => assert_eq!(found, format!("{enc:?}")),
        other => panic!("expected UnsupportedEnc({enc}), got {other:?}"),
    }
}

#[test]
fn rsa1_5_is_rejected_by_name() {
    assert_unsupported_alg(vector!("reject_rsa1_5.jwe"), "RSA1_5");
}

#[test]
fn rsa_oaep_sha1_is_rejected_by_name() {
    assert_unsupported_alg(vector!("reject_rsa_oaep.jwe"), "RSA-OAEP");
}

#[test]
fn dir_is_rejected_by_name() {
    assert_unsupported_alg(vector!("reject_dir.jwe"), "dir");
}

#[test]
fn ecdh_es_is_rejected_by_name() {
    assert_unsupported_alg(vector!("reject_ecdh_es.jwe"), "ECDH-ES");
}

#[test]
fn pbes2_is_rejected_by_name() {
    assert_unsupported_alg(vector!("reject_pbes2.jwe"), "PBES2-HS256+A128KW");
}

#[test]
fn a128gcm_is_rejected_by_name() {
    assert_unsupported_enc(vector!("reject_a128gcm.jwe"), "A128GCM");
}

#[test]
fn a256cbc_hs512_is_rejected_by_name() {
    assert_unsupported_enc(vector!("reject_a256cbc_hs512.jwe"), "A256CBC-HS512");
}

#[test]
fn zip_def_is_rejected() {
    assert_eq!(
        decrypt(vector!("reject_zip_def.jwe")),
        Err(JoseError::CompressionNotAccepted)
    );
}

#[test]
fn crit_is_rejected() {
    assert_eq!(
        decrypt(vector!("reject_crit.jwe")),
        Err(JoseError::CriticalHeaderNotSupported)
    );
}

#[test]
fn duplicate_alg_member_is_rejected() {
    match decrypt(vector!("reject_duplicate_alg.jwe")) {
        Err(JoseError::DuplicateMember { name, .. }) => assert_eq!(name, "\"alg\""),
        other => panic!("expected DuplicateMember, got {other:?}"),
    }
}

#[test]
fn token_for_a_key_not_ours_is_rejected_as_unknown_kid() {
    assert!(matches!(
        decrypt(vector!("reject_wrong_kid.jwe")),
        Err(JoseError::UnknownKid { .. })
    ));
}

#[test]
fn foreign_kid_is_not_retried_with_our_keys() {
    // The ciphertext is for our key, but its kid names another: no fallback to "try all".
    assert!(matches!(
        decrypt(vector!("reject_foreign_kid_our_key.jwe")),
        Err(JoseError::UnknownKid { .. })
    ));
}

#[test]
fn tampered_tag_fails_opaquely() {
    assert_eq!(
        decrypt(vector!("reject_tampered_tag.jwe")),
        Err(JoseError::Decryption)
    );
}

#[test]
fn truncated_tag_is_rejected_by_length() {
    assert_eq!(
        decrypt(vector!("reject_truncated_tag.jwe")),
        Err(JoseError::TagLength { len: 12 })
    );
}

#[test]
fn tampered_ciphertext_fails_opaquely() {
    assert_eq!(
        decrypt(vector!("reject_tampered_ciphertext.jwe")),
        Err(JoseError::Decryption)
    );
}

#[test]
fn tampered_encrypted_key_fails_like_a_tampered_tag() {
    // OAEP fails, a random CEK is used, GCM fails: the same error as a bad tag (RFC 7516 §11.5).
    assert_eq!(
        decrypt(vector!("reject_tampered_encrypted_key.jwe")),
        Err(JoseError::Decryption)
    );
}

#[test]
fn rsa_1024_private_key_is_refused() {
    assert!(matches!(
        RsaDecryptionKey::from_pkcs8_pem(vector!("reject_rsa1024_key.pem")),
        Err(JoseError::InvalidPrivateKey(_))
    ));
}

#[test]
fn pkcs1_pem_is_refused_with_a_hint() {
    match RsaDecryptionKey::from_pkcs8_pem(vector!("reject_pkcs1_key.pem")) {
        Err(e @ JoseError::Pem(_)) => assert!(e.to_string().contains("pkcs8"), "{e}"),
        other => panic!("expected Pem error, got {other:?}"),
    }
}

/// A token produced by federa-jose, checked once with jwcrypto (`make_vectors.py verify`,
/// recorded in `federa_produced.verify.json`). Here it must still decrypt with our own code.
#[test]
fn federa_produced_vector_decrypts_and_was_verified_by_jwcrypto() {
    let decrypted =
        jwe::decrypt(&keys(), vector!("federa_produced.jwe"), &SystemRng::new()).unwrap();
    assert_eq!(decrypted.plaintext(), PAYLOAD.as_bytes());
    let record: serde_json::Value =
        serde_json::from_str(vector!("federa_produced.verify.json")).unwrap();
    assert_eq!(record["plaintext_equals_payload_json"], true);
    assert_eq!(record["kid_equals_jwcrypto_thumbprint"], true);
    assert_eq!(record["protected_header"]["alg"], "RSA-OAEP-256");
    assert_eq!(record["protected_header"]["enc"], "A256GCM");
}

/// Regenerates `test_vectors/federa_produced.jwe`. Run on purpose only:
/// `cargo test -p federa-jose --test vectors -- --ignored write_federa_produced_vector`,
/// then `python3 test_vectors/make_vectors.py verify` (README.md).
#[test]
#[ignore = "writes test_vectors/federa_produced.jwe; run by hand when regenerating vectors"]
fn write_federa_produced_vector() {
    let key = RsaDecryptionKey::from_pkcs8_pem(KEY_PEM).unwrap();
    let token = jwe::encrypt(
        key.public_key(),
        PAYLOAD.as_bytes(),
        &EncryptOptions::new(),
        &SystemRng::new(),
    )
    .unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/test_vectors/federa_produced.jwe"
    );
    std::fs::write(path, format!("{token}\n")).unwrap();
}
