//! JWS sign/verify cost of a typical ID token (RS256 with RSA-2048, ES256 with P-256).
//!
//! `CARGO_TARGET_DIR=/work/targets/oidc cargo bench -p federa-jose --bench jws`.
//! Compare with `openssl speed -seconds 3 rsa2048 ecdsap256` on the same machine: RS256 sign is
//! one RSA-2048 private-key operation, ES256 sign one ECDSA P-256 signature.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use federa_jose::{JwsAlg, SignOptions, SigningKey, VerifyingKeySet, jws};

const RSA_PEM: &str = include_str!("../test_vectors/jws/rsa_key.pk8.pem");
const EC_PEM: &str = include_str!("../test_vectors/jws/ec_key.pk8.pem");

/// An Okta-shaped ID token claims set (about 600 bytes).
const ID_TOKEN: &str = r#"{"sub":"00u1a2b3c4d5e6f7g8h9","ver":1,"iss":"https://hub.localhost:8443","aud":"0oa1a2b3c4d5e6f7g8h9","iat":1724277328,"exp":1724280928,"jti":"ID.4eAWJOCMB3SX8XewDfVR3hB9OVGxgBzeGnVuE5lxnA0","amr":["pwd","otp","mfa"],"idp":"00o1a2b3c4d5e6f7g8h9","nonce":"n-0S6_WzA2Mj","auth_time":1724277320,"acr":"urn:okta:loa:2fa:any","at_hash":"MTIzNDU2Nzg5MDEyMzQ1Ng","name":"Alice Example","email":"alice@example.com","preferred_username":"alice@example.com"}"#;

fn der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

fn benches(c: &mut Criterion) {
    for (alg, pem, name) in [
        (JwsAlg::Rs256, RSA_PEM, "rs256_rsa2048"),
        (JwsAlg::Es256, EC_PEM, "es256_p256"),
    ] {
        let key = SigningKey::from_pkcs8(alg, None, &der(pem)).unwrap();
        let keys = VerifyingKeySet::new(vec![key.verifying_key().clone()]).unwrap();
        let options = SignOptions::new().typ("JWT");
        let token = jws::sign(&key, ID_TOKEN.as_bytes(), &options).unwrap();
        eprintln!(
            "{name}: claims {} bytes, token {} bytes",
            ID_TOKEN.len(),
            token.len()
        );
        c.bench_function(&format!("jws_sign_id_token_{name}"), |b| {
            b.iter(|| jws::sign(&key, black_box(ID_TOKEN.as_bytes()), &options).unwrap())
        });
        c.bench_function(&format!("jws_verify_id_token_{name}"), |b| {
            b.iter(|| jws::verify(black_box(&token), &keys, &[alg]).unwrap())
        });
    }
}

criterion_group!(jws_benches, benches);
criterion_main!(jws_benches);
