//! JWE decrypt cost against the raw RSA-2048 OAEP private-key operation it is built on.
//!
//! `cargo bench -p federa-jose` (with `CARGO_TARGET_DIR=/work/targets/jose` in this tree).
//! The ratio `jwe_decrypt_2kb_rsa2048 / rsa2048_oaep_decrypt_raw` shows the overhead of parsing,
//! header validation, base64url and AES-256-GCM over the RSA operation.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use aws_lc_rs::rsa::{
    OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use federa_jose::{CompactJwe, DecryptionKeySet, EncryptOptions, RsaDecryptionKey, SystemRng, jwe};

const KEY_PEM: &str = include_str!("../test_vectors/recipient_key.pem");

/// About 2 KB of OktaAuth-shaped JSON.
fn payload() -> Vec<u8> {
    let factor = r#"{"factor":{"type":"AUTHENTICATOR","displayName":"Phone","status":"ACTIVE","authenticatorType":"phone","methodType":"sms","authenticatorKeyName":"phone_number","profile":{"phoneNumber":"+1 XXX-XXX-2282"},"properties":[],"propertiesToVerify":[],"propertiesRequiredToVerify":[],"factorClassesToBeChallengedByThisMethod":["POSSESSION"],"usableForRecoveryOnly":false,"userVerificationKeyUnavailable":false},"verificationTimestamp":1724277328376}"#;
    let mut s = String::from(r#"{"mfaVerified":"true","factorVerifications":["#);
    while s.len() < 2000 {
        if !s.ends_with('[') {
            s.push(',');
        }
        s.push_str(factor);
    }
    s.push_str("]}");
    s.into_bytes()
}

fn pkcs8_der() -> Vec<u8> {
    let body: String = KEY_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}

fn benches(c: &mut Criterion) {
    let key = RsaDecryptionKey::from_pkcs8_pem(KEY_PEM).unwrap();
    let public = key.public_key().clone();
    let keys = DecryptionKeySet::from_keys([key]).unwrap();
    let rng = SystemRng::new();
    let payload = payload();
    let token = jwe::encrypt(&public, &payload, &EncryptOptions::new(), &rng).unwrap();
    eprintln!(
        "payload {} bytes, compact JWE {} bytes",
        payload.len(),
        token.len()
    );

    c.bench_function("jwe_decrypt_2kb_rsa2048", |b| {
        b.iter(|| jwe::decrypt(&keys, black_box(&token), &rng).unwrap())
    });

    c.bench_function("jwe_parse_only_2kb", |b| {
        b.iter(|| CompactJwe::parse(black_box(&token)).unwrap())
    });

    c.bench_function("jwe_encrypt_2kb_rsa2048", |b| {
        b.iter(|| jwe::encrypt(&public, black_box(&payload), &EncryptOptions::new(), &rng))
    });

    // The bare RSA-2048 OAEP-SHA-256 private-key operation on a 32-byte CEK, straight on
    // aws-lc-rs.
    let raw_private =
        OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&pkcs8_der()).unwrap())
            .unwrap();
    let raw_public = OaepPublicEncryptingKey::new(
        PrivateDecryptingKey::from_pkcs8(&pkcs8_der())
            .unwrap()
            .public_key(),
    )
    .unwrap();
    let mut ek = vec![0u8; raw_public.ciphertext_size()];
    let ek_len = raw_public
        .encrypt(&OAEP_SHA256_MGF1SHA256, &[0x42; 32], &mut ek, None)
        .unwrap()
        .len();
    ek.truncate(ek_len);
    let mut out = vec![0u8; raw_private.min_output_size()];
    c.bench_function("rsa2048_oaep_decrypt_raw", |b| {
        b.iter(|| {
            raw_private
                .decrypt(&OAEP_SHA256_MGF1SHA256, black_box(&ek), &mut out, None)
                .unwrap()
                .len()
        })
    });
}

criterion_group!(jwe_benches, benches);
criterion_main!(jwe_benches);
