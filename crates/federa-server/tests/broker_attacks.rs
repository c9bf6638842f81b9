//! Hostile upstream IdPs against the hub's broker, at the HTTP level (issue 6 item 5; threats.md
//! D.3–D.5). A fake upstream OpenID provider runs on 127.0.0.1:0 (axum) and answers Federa's
//! code exchange with whatever ID token the case prepared; a SAML IdP is simulated by building
//! responses with `federa_saml::build_response` and mutating them the way federa-saml's attack
//! generator does. Every hostile input must give a readable 400 page (`role="alert"`), no
//! session, nothing credited, and a FAILURE `user.authentication.auth_via_IDP` System Log event
//! whose `outcome.reason` names the problem. For a bad `okta_auth` JWE inside a valid ID token
//! the sign-in may go on, but nothing from `okta_auth` is credited (the user is topped up
//! locally) and the log lists the claim as ignored with its reason.
//!
//! Fixtures and provenance: `test_vectors/broker/README.md`. The keys the fake IdPs hold are
//! kept there; the tokens and responses depend on per-run values (state, nonce, ports, request
//! ids) and are built per run by the same functions that wrote the kept samples
//! (`regenerate_broker_vectors`, ignored).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_lc_rs::rand::SecureRandom as _;
use base64::Engine as _;
use common::Harness;
use common::browser::{Browser, Page};
use federa_core::model::Engine;
use federa_core::model::idp::IdpInput;
use federa_core::service::{idps, orgs};
use federa_jose::{EncryptOptions, EncryptionKeySet, JwsAlg, Kid, RsaEncryptionKey, SigningKey};
use federa_saml::{NameId, ResponseOptions, ResponseParams, SignMode, SigningIdentity, ns};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "correct horse battery";
const CLIENT_A: &str = "hub-client-a";
const CLIENT_B: &str = "hub-client-b";
const SECRET: &str = "hub-client-secret-0123456789";
const SAML_ISSUER: &str = "https://saml-idp.test/entity";
const USER: &str = "sam@example.com";
const ADMIN: &str = "admin@example.com";

// ---------------------------------------------------------------------------------------------
// Kept keys
// ---------------------------------------------------------------------------------------------

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test_vectors/broker")
}

fn read_key(name: &str) -> String {
    std::fs::read_to_string(vectors_dir().join("keys").join(name)).unwrap_or_else(|e| {
        panic!("{name}: {e} (run `cargo test -p federa-server --test broker_attacks -- --ignored regenerate_broker_vectors`)")
    })
}

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap()
}

fn b64u(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64u(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

/// An RSA signing key of a (fake) upstream OP: kept PKCS#8, a fixed kid.
struct OpKey {
    kid: String,
    der: Vec<u8>,
    key: SigningKey,
}

impl OpKey {
    fn load(file: &str, kid: &str) -> Self {
        let der = pem_der(&read_key(file));
        let key =
            SigningKey::from_pkcs8(JwsAlg::Rs256, Some(Kid::new(kid).unwrap()), &der).unwrap();
        OpKey {
            kid: kid.into(),
            der,
            key,
        }
    }

    fn jwk(&self) -> Value {
        serde_json::to_value(self.key.public_jwk()).unwrap()
    }

    /// RS256 over `header.payload` with an arbitrary header (RSASSA-PKCS1-v1_5 is
    /// deterministic, so kept samples are reproducible).
    fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64u(header.to_string().as_bytes()),
            b64u(claims.to_string().as_bytes())
        );
        let kp = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&self.der).unwrap();
        let mut sig = vec![0u8; kp.public_modulus_len()];
        kp.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{input}.{}", b64u(&sig))
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&json!({"alg": "RS256", "kid": self.kid}), claims)
    }

    fn spki_der(&self) -> Vec<u8> {
        let kp = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&self.der).unwrap();
        use aws_lc_rs::signature::KeyPair as _;
        // RsaKeyPair's public key is PKCS#1 RSAPublicKey; wrap it as SPKI.
        let pkcs1 = kp.public_key().as_ref().to_vec();
        spki_from_pkcs1(&pkcs1)
    }
}

/// DER SubjectPublicKeyInfo for an RSA PKCS#1 public key.
fn spki_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    fn len(n: usize) -> Vec<u8> {
        if n < 128 {
            vec![u8::try_from(n).unwrap()]
        } else if n < 256 {
            vec![0x81, u8::try_from(n).unwrap()]
        } else {
            vec![
                0x82,
                u8::try_from(n >> 8).unwrap(),
                u8::try_from(n & 0xff).unwrap(),
            ]
        }
    }
    let alg: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bitstring = vec![0x03];
    bitstring.extend(len(pkcs1.len() + 1));
    bitstring.push(0);
    bitstring.extend_from_slice(pkcs1);
    let mut body = alg.to_vec();
    body.extend(bitstring);
    let mut out = vec![0x30];
    out.extend(len(body.len()));
    out.extend(body);
    out
}

struct Keys {
    a1: OpKey,
    a2: OpKey,
    b: OpKey,
    attacker: OpKey,
    jwe_other: federa_jose::RsaDecryptionKey,
    saml_idp: SigningIdentity,
    saml_attacker: SigningIdentity,
}

fn keys() -> Keys {
    Keys {
        a1: OpKey::load("op-a-1.pem", "op-a-1"),
        a2: OpKey::load("op-a-2.pem", "op-a-2"),
        b: OpKey::load("op-b.pem", "op-b"),
        attacker: OpKey::load("op-attacker.pem", "op-attacker"),
        jwe_other: federa_jose::RsaDecryptionKey::from_pkcs8_pem(&read_key("jwe-other.pem"))
            .unwrap()
            .with_kid(Kid::new("jwe-other").unwrap()),
        saml_idp: SigningIdentity::from_pem(&read_key("saml-idp.key"), &read_key("saml-idp.crt"))
            .unwrap(),
        saml_attacker: SigningIdentity::from_pem(
            &read_key("saml-attacker.key"),
            &read_key("saml-attacker.crt"),
        )
        .unwrap(),
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile ID tokens (shared by the tests and the sample generator)
// ---------------------------------------------------------------------------------------------

/// The per-run values an ID token depends on.
#[derive(Clone)]
struct OidcRun {
    issuer: String,
    client_id: String,
    nonce: String,
    /// Seconds since the epoch.
    now: i64,
}

fn claims(r: &OidcRun) -> Value {
    json!({
        "iss": r.issuer, "sub": "00u-sam", "aud": r.client_id,
        "iat": r.now, "exp": r.now + 300, "auth_time": r.now - 5, "nonce": r.nonce,
        "email": USER, "email_verified": true, "preferred_username": USER,
        "given_name": "Sam", "family_name": "Lee", "amr": ["pwd", "otp", "mfa"]
    })
}

/// The `okta_auth` plaintext an Okta-style IdP org sends: password + Okta Verify TOTP.
fn okta_auth_plaintext(r: &OidcRun) -> Vec<u8> {
    let ts = r.now * 1000 - 5000;
    json!({
        "iss": r.issuer, "aud": r.client_id, "sub": "00u-sam", "iat": r.now, "engine": "IDENTITY",
        "mfaVerified": "true",
        "factorVerifications": [
            {"factor": {"type": "AUTHENTICATOR", "authenticatorKeyName": "okta_password", "methodType": "password"},
             "verificationTimestamp": ts},
            {"factor": {"type": "AUTHENTICATOR", "authenticatorKeyName": "okta_verify", "methodType": "totp"},
             "verificationTimestamp": ts}
        ]
    })
    .to_string()
    .into_bytes()
}

fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64u(header.to_string().as_bytes()),
        b64u(claims.to_string().as_bytes())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64u(tag.as_ref()))
}

fn unsigned(header: &Value, claims: &Value, sig: &str) -> String {
    format!(
        "{}.{}.{sig}",
        b64u(header.to_string().as_bytes()),
        b64u(claims.to_string().as_bytes())
    )
}

/// One hostile ID-token case: name, the token, what the System Log reason must contain.
struct IdTokenCase {
    name: &'static str,
    token: String,
    reason: &'static str,
}

/// Every hostile ID token for IdP A (`k.a1`/`k.a2` are its published keys).
fn hostile_id_tokens(k: &Keys, r: &OidcRun, b: &OidcRun) -> Vec<IdTokenCase> {
    let c = claims(r);
    let a1 = &k.a1;
    let mut out = Vec::new();
    let mut push = |name: &'static str, token: String, reason: &'static str| {
        out.push(IdTokenCase {
            name,
            token,
            reason,
        });
    };
    // alg: none, several spellings, with and without a signature part.
    for (name, alg) in [
        ("alg-none", "none"),
        ("alg-None", "None"),
        ("alg-NONE", "NONE"),
        ("alg-nOnE", "nOnE"),
    ] {
        push(
            name,
            unsigned(&json!({"alg": alg, "kid": a1.kid}), &c, ""),
            "ID_TOKEN_INVALID",
        );
    }
    push(
        "alg-none-with-signature",
        {
            let good = a1.sign(&c);
            let sig = good.rsplit('.').next().unwrap().to_string();
            unsigned(&json!({"alg": "none", "kid": a1.kid}), &c, &sig)
        },
        "ID_TOKEN_INVALID",
    );
    push(
        "alg-missing",
        unsigned(&json!({"kid": a1.kid}), &c, "AAAA"),
        "ID_TOKEN_INVALID",
    );
    // HS/RS confusion: HS256 keyed with the IdP's public key in the forms a library might
    // hand to HMAC (JWK text, SPKI DER, PEM text, modulus bytes).
    let jwk_text = a1.jwk().to_string();
    let spki = a1.spki_der();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(&spki)
    );
    let n = unb64u(a1.jwk()["n"].as_str().unwrap());
    let hs = json!({"alg": "HS256", "kid": a1.kid});
    push(
        "hs256-jwk-text",
        hs256(jwk_text.as_bytes(), &hs, &c),
        "ID_TOKEN_INVALID",
    );
    push("hs256-spki-der", hs256(&spki, &hs, &c), "ID_TOKEN_INVALID");
    push(
        "hs256-pem-text",
        hs256(pem.as_bytes(), &hs, &c),
        "ID_TOKEN_INVALID",
    );
    push("hs256-modulus", hs256(&n, &hs, &c), "ID_TOKEN_INVALID");
    push(
        "hs256-no-kid",
        hs256(pem.as_bytes(), &json!({"alg": "HS256"}), &c),
        "ID_TOKEN_INVALID",
    );
    // Unknown keys and key substitution.
    push(
        "rs256-unknown-key-own-kid",
        k.attacker.sign(&c),
        "ID_TOKEN_INVALID",
    );
    push(
        "rs256-unknown-key-claims-idp-kid",
        k.attacker
            .sign_with_header(&json!({"alg": "RS256", "kid": a1.kid}), &c),
        "ID_TOKEN_INVALID",
    );
    push(
        "rs256-embedded-jwk",
        k.attacker
            .sign_with_header(&json!({"alg": "RS256", "jwk": k.attacker.jwk()}), &c),
        "ID_TOKEN_INVALID",
    );
    push(
        "kid-points-at-other-key",
        a1.sign_with_header(&json!({"alg": "RS256", "kid": k.a2.kid}), &c),
        "ID_TOKEN_INVALID",
    );
    // Tampered after signing: amr upgraded, then the subject swapped.
    for (name, field, value) in [
        ("tampered-amr", "amr", json!(["pwd", "hwk", "phr", "mfa"])),
        ("tampered-sub", "sub", json!("00u-admin")),
    ] {
        let good = a1.sign(&c);
        let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
        let mut t = c.clone();
        t[field] = value;
        parts[1] = b64u(t.to_string().as_bytes());
        push(name, parts.join("."), "ID_TOKEN_INVALID");
    }
    // Signature fine, claims wrong.
    let with = |f: &dyn Fn(&mut Value)| {
        let mut t = c.clone();
        f(&mut t);
        a1.sign(&t)
    };
    push(
        "wrong-iss",
        with(&|t| t["iss"] = json!("https://evil.example")),
        "ID_TOKEN_INVALID",
    );
    push(
        "wrong-aud",
        with(&|t| t["aud"] = json!("some-other-client")),
        "ID_TOKEN_INVALID",
    );
    push(
        "aud-array-without-azp",
        with(&|t| t["aud"] = json!([r.client_id, "some-other-client"])),
        "ID_TOKEN_INVALID",
    );
    push(
        "expired",
        with(&|t| {
            t["iat"] = json!(r.now - 7200);
            t["exp"] = json!(r.now - 3600);
        }),
        "ID_TOKEN_INVALID",
    );
    push(
        "issued-in-the-future",
        with(&|t| {
            t["iat"] = json!(r.now + 3600);
            t["exp"] = json!(r.now + 7200);
        }),
        "ID_TOKEN_INVALID",
    );
    push(
        "nonce-mismatch",
        with(&|t| t["nonce"] = json!("attacker-chosen-nonce")),
        "ID_TOKEN_INVALID",
    );
    push(
        "nonce-missing",
        with(&|t| {
            t.as_object_mut().unwrap().remove("nonce");
        }),
        "ID_TOKEN_INVALID",
    );
    push(
        "typ-access-token",
        a1.sign_with_header(&json!({"alg": "RS256", "kid": a1.kid, "typ": "at+jwt"}), &c),
        "ID_TOKEN_INVALID",
    );
    push(
        "sub-missing",
        with(&|t| {
            t.as_object_mut().unwrap().remove("sub");
        }),
        "ID_TOKEN_INVALID",
    );
    // A genuine token of IdP B (its issuer, audience and key) delivered to A's callback, and
    // B's key vouching for A's issuer.
    let mut from_b = claims(b);
    from_b["nonce"] = json!(r.nonce);
    push(
        "token-from-other-idp",
        k.b.sign(&from_b),
        "ID_TOKEN_INVALID",
    );
    push(
        "other-idp-key-claims-this-issuer",
        k.b.sign(&c),
        "ID_TOKEN_INVALID",
    );
    push("not-a-jwt", "not.a.jwt".into(), "ID_TOKEN_INVALID");
    out
}

// ---------------------------------------------------------------------------------------------
// Hostile okta_auth JWEs
// ---------------------------------------------------------------------------------------------

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    aws_lc_rs::rand::SystemRandom::new().fill(&mut b).unwrap();
    b
}

fn oaep256_wrap(to: &RsaEncryptionKey, cek: &[u8]) -> Vec<u8> {
    use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
    let k = OaepPublicEncryptingKey::new(
        PublicEncryptingKey::from_der(&to.to_spki_der().unwrap()).unwrap(),
    )
    .unwrap();
    let mut out = vec![0u8; k.ciphertext_size()];
    k.encrypt(&OAEP_SHA256_MGF1SHA256, cek, &mut out, None)
        .unwrap()
        .to_vec()
}

fn pkcs1_wrap(to: &RsaEncryptionKey, cek: &[u8]) -> Vec<u8> {
    use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
    let k = Pkcs1PublicEncryptingKey::new(
        PublicEncryptingKey::from_der(&to.to_spki_der().unwrap()).unwrap(),
    )
    .unwrap();
    let mut out = vec![0u8; k.ciphertext_size()];
    k.encrypt(cek, &mut out).unwrap().to_vec()
}

/// A compact JWE with A256GCM content encryption, an arbitrary header and wrapped key.
fn gcm_jwe(header: &Value, cek: &[u8; 32], wrapped: &[u8], plaintext: &[u8]) -> String {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let protected = b64u(header.to_string().as_bytes());
    let iv: [u8; 12] = random();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).unwrap());
    let mut ct = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(protected.as_bytes()),
            &mut ct,
        )
        .unwrap();
    format!(
        "{protected}.{}.{}.{}.{}",
        b64u(wrapped),
        b64u(&iv),
        b64u(&ct),
        b64u(tag.as_ref())
    )
}

/// A genuine A128CBC-HS256 JWE (RFC 7518 §5.2.2) with the CEK wrapped by RSA-OAEP-256.
fn cbc_hs256_jwe(to: &RsaEncryptionKey, plaintext: &[u8]) -> String {
    use aws_lc_rs::cipher::{AES_128, EncryptingKey, EncryptionContext, UnboundCipherKey};
    use aws_lc_rs::iv::FixedLength;
    let header = json!({"alg": "RSA-OAEP-256", "enc": "A128CBC-HS256", "kid": to.kid().as_str()});
    let protected = b64u(header.to_string().as_bytes());
    let cek: [u8; 32] = random();
    let (mac_key, enc_key) = cek.split_at(16);
    let iv: [u8; 16] = random();
    let mut buf = plaintext.to_vec();
    let pad = 16 - buf.len() % 16;
    buf.extend(std::iter::repeat_n(u8::try_from(pad).unwrap(), pad));
    let k = EncryptingKey::cbc(UnboundCipherKey::new(&AES_128, enc_key).unwrap()).unwrap();
    k.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
        .unwrap();
    let aad = protected.as_bytes();
    let mut mac_input = aad.to_vec();
    mac_input.extend_from_slice(&iv);
    mac_input.extend_from_slice(&buf);
    mac_input.extend_from_slice(&(u64::try_from(aad.len()).unwrap() * 8).to_be_bytes());
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, mac_key),
        &mac_input,
    );
    format!(
        "{protected}.{}.{}.{}.{}",
        b64u(&oaep256_wrap(to, &cek)),
        b64u(&iv),
        b64u(&buf),
        b64u(&mac.as_ref()[..16])
    )
}

/// Every hostile `okta_auth` JWE for an SP key `ours` (the hub IdP's published key).
fn hostile_jwes(k: &Keys, ours: &RsaEncryptionKey, r: &OidcRun) -> Vec<(&'static str, String)> {
    let pt = okta_auth_plaintext(r);
    let kid = ours.kid().as_str();
    let cek: [u8; 32] = random();
    let genuine = federa_jose::jwe::encrypt(
        ours,
        &pt,
        &EncryptOptions::new(),
        &federa_jose::SystemRng::new(),
    )
    .unwrap();
    let parts: Vec<&str> = genuine.split('.').collect();
    let with_tag = |tag: Vec<u8>| {
        format!(
            "{}.{}.{}.{}.{}",
            parts[0],
            parts[1],
            parts[2],
            parts[3],
            b64u(&tag)
        )
    };
    let tag = unb64u(parts[4]);
    let mut flipped = tag.clone();
    flipped[15] ^= 0x01;
    let mut ct_flipped = unb64u(parts[3]);
    ct_flipped[0] ^= 0x01;
    vec![
        (
            "jwe-alg-rsa1_5",
            gcm_jwe(
                &json!({"alg": "RSA1_5", "enc": "A256GCM", "kid": kid}),
                &cek,
                &pkcs1_wrap(ours, &cek),
                &pt,
            ),
        ),
        (
            "jwe-alg-rsa-oaep-sha1",
            gcm_jwe(
                &json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": kid}),
                &cek,
                &oaep256_wrap(ours, &cek),
                &pt,
            ),
        ),
        (
            "jwe-alg-dir",
            gcm_jwe(
                &json!({"alg": "dir", "enc": "A256GCM", "kid": kid}),
                &cek,
                &[],
                &pt,
            ),
        ),
        ("jwe-enc-a128cbc-hs256", cbc_hs256_jwe(ours, &pt)),
        (
            "jwe-enc-a128gcm-label",
            gcm_jwe(
                &json!({"alg": "RSA-OAEP-256", "enc": "A128GCM", "kid": kid}),
                &cek,
                &oaep256_wrap(ours, &cek),
                &pt,
            ),
        ),
        (
            "jwe-unknown-kid",
            gcm_jwe(
                &json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "not-a-key-of-ours"}),
                &cek,
                &oaep256_wrap(ours, &cek),
                &pt,
            ),
        ),
        ("jwe-tampered-tag", with_tag(flipped)),
        ("jwe-truncated-tag", with_tag(tag[..12].to_vec())),
        (
            "jwe-tampered-ciphertext",
            format!(
                "{}.{}.{}.{}.{}",
                parts[0],
                parts[1],
                parts[2],
                b64u(&ct_flipped),
                parts[4]
            ),
        ),
        (
            "jwe-encrypted-to-another-key-our-kid",
            gcm_jwe(
                &json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": kid}),
                &cek,
                &oaep256_wrap(k.jwe_other.public_key(), &cek),
                &pt,
            ),
        ),
        (
            "jwe-encrypted-to-another-key",
            federa_jose::jwe::encrypt(
                k.jwe_other.public_key(),
                &pt,
                &EncryptOptions::new(),
                &federa_jose::SystemRng::new(),
            )
            .unwrap(),
        ),
        (
            "jwe-zip-deflate",
            gcm_jwe(
                &json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": kid, "zip": "DEF"}),
                &cek,
                &oaep256_wrap(ours, &cek),
                &pt,
            ),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Hostile SAML responses (the manipulations of federa-saml's tests/sp_attacks.rs)
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct SamlRun {
    acs: String,
    audience: String,
    in_response_to: String,
    now: time::OffsetDateTime,
}

fn saml_params(r: &SamlRun, name_id: &str) -> ResponseParams {
    let mut p = ResponseParams::new(
        SAML_ISSUER,
        r.acs.clone(),
        r.audience.clone(),
        NameId {
            value: name_id.into(),
            format: ns::NAMEID_UNSPECIFIED.into(),
        },
        "_session1",
        r.now - time::Duration::seconds(5),
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    );
    p.in_response_to = Some(r.in_response_to.clone());
    p
}

fn build(
    p: &ResponseParams,
    sign: SignMode,
    id: &SigningIdentity,
    now: time::OffsetDateTime,
    rng: &dyn federa_types::Rng,
) -> String {
    federa_saml::build_response(
        p,
        &ResponseOptions {
            sign,
            encrypt: None,
        },
        id,
        now,
        rng,
    )
    .unwrap()
    .xml
}

fn span(xml: &str, open: &str, close: &str) -> (usize, usize) {
    let start = xml.find(open).unwrap_or_else(|| panic!("{open} not found"));
    let end = xml[start..].find(close).unwrap() + start + close.len();
    (start, end)
}

fn assertion_of(xml: &str) -> &str {
    let (s, e) = span(xml, "<saml:Assertion", "</saml:Assertion>");
    &xml[s..e]
}

fn without_signature(element: &str) -> String {
    let (s, e) = span(element, "<ds:Signature", "</ds:Signature>");
    format!("{}{}", &element[..s], &element[e..])
}

fn set_first_id(element: &str, new_id: &str) -> String {
    let i = element.find(" ID=\"").unwrap() + 5;
    let j = element[i..].find('"').unwrap() + i;
    format!("{}{}{}", &element[..i], new_id, &element[j..])
}

/// What the attacker wants the SP to read: the hub's administrator.
fn evil(element: &str) -> String {
    element.replace(&format!(">{USER}<"), &format!(">{ADMIN}<"))
}

/// XSW1–XSW8 as SAML Raider applies them (ported from federa-saml's `sp_attacks.rs`).
fn xsw(n: u8, signed_assertion: &str, signed_response: &str) -> String {
    match n {
        1 | 2 => {
            let original = without_signature(signed_response);
            let evil_root = set_first_id(&evil(signed_response), "_evil_response");
            let (s, e) = span(&evil_root, "<ds:Signature", "</ds:Signature>");
            let sig = &evil_root[s..e];
            let close = "</ds:Signature>";
            let new_sig = if n == 1 {
                format!("{}{}{}", &sig[..sig.len() - close.len()], original, close)
            } else {
                format!("{original}{sig}")
            };
            format!("{}{}{}", &evil_root[..s], new_sig, &evil_root[e..])
        }
        _ => {
            let xml = signed_assertion;
            let a = assertion_of(xml);
            let (s, e) = span(xml, "<saml:Assertion", "</saml:Assertion>");
            let unsigned_evil = set_first_id(&without_signature(&evil(a)), "_evil_assertion");
            let unsigned_original = without_signature(a);
            let signed_evil = set_first_id(&evil(a), "_evil_assertion");
            let replacement = match n {
                3 => format!("{unsigned_evil}{a}"),
                4 => {
                    let close = "</saml:Assertion>";
                    format!(
                        "{}{}{}",
                        &unsigned_evil[..unsigned_evil.len() - close.len()],
                        a,
                        close
                    )
                }
                5 => signed_evil.clone(),
                6 | 8 => {
                    let (ss, se) = span(&signed_evil, "<ds:Signature", "</ds:Signature>");
                    let sig = &signed_evil[ss..se];
                    let close = "</ds:Signature>";
                    let inner = if n == 6 {
                        unsigned_original.clone()
                    } else {
                        format!("<ds:Object>{unsigned_original}</ds:Object>")
                    };
                    let new_sig = format!("{}{}{}", &sig[..sig.len() - close.len()], inner, close);
                    format!("{}{}{}", &signed_evil[..ss], new_sig, &signed_evil[se..])
                }
                7 => a.to_owned(),
                _ => unreachable!(),
            };
            let mut out = format!("{}{}{}", &xml[..s], replacement, &xml[e..]);
            if n == 5 {
                out = out.replace(
                    "</samlp:Response>",
                    &format!("{unsigned_original}</samlp:Response>"),
                );
            }
            if n == 7 {
                let clone = without_signature(&evil(a));
                out = out.replacen(
                    "<samlp:Status>",
                    &format!("<samlp:Extensions>{clone}</samlp:Extensions><samlp:Status>"),
                    1,
                );
            }
            out
        }
    }
}

/// The legitimate response (signed assertion) and every hostile one, with the reason the log
/// must give.
fn saml_responses(
    k: &Keys,
    r: &SamlRun,
    rng: &dyn federa_types::Rng,
) -> (String, Vec<(&'static str, String, &'static str)>) {
    let p = saml_params(r, USER);
    let signed_assertion = build(&p, SignMode::Assertion, &k.saml_idp, r.now, rng);
    let signed_response = build(&p, SignMode::Response, &k.saml_idp, r.now, rng);
    let mut out: Vec<(&'static str, String, &'static str)> = Vec::new();
    for (n, name) in [
        (1, "xsw1"),
        (2, "xsw2"),
        (3, "xsw3"),
        (4, "xsw4"),
        (5, "xsw5"),
        (6, "xsw6"),
        (7, "xsw7"),
        (8, "xsw8"),
    ] {
        out.push((
            name,
            xsw(n, &signed_assertion, &signed_response),
            "RESPONSE_INVALID",
        ));
    }
    // Comment injection: the attacker owns admin@example.com.evil.test at the IdP; a reader
    // that stops at the comment sees the hub's administrator.
    let owned = format!("{ADMIN}.evil.test");
    let c = build(
        &saml_params(r, &owned),
        SignMode::Assertion,
        &k.saml_idp,
        r.now,
        rng,
    )
    .replacen(
        &format!(">{owned}<"),
        &format!(">{ADMIN}<!---->.evil.test<"),
        1,
    );
    out.push(("comment-injection-nameid", c, "RESPONSE_INVALID"));
    let a_id = {
        let a = assertion_of(&signed_assertion);
        let i = a.find(" ID=\"").unwrap() + 5;
        a[i..i + a[i..].find('"').unwrap()].to_owned()
    };
    out.push((
        "duplicate-id",
        set_first_id(&signed_assertion, &a_id),
        "RESPONSE_INVALID",
    ));
    out.push((
        "unsigned",
        without_signature(&evil(&signed_assertion)),
        "RESPONSE_INVALID",
    ));
    out.push((
        "wrong-key-keyinfo",
        build(
            &saml_params(r, ADMIN),
            SignMode::Assertion,
            &k.saml_attacker,
            r.now,
            rng,
        ),
        "RESPONSE_INVALID",
    ));
    let mut po = saml_params(r, USER);
    po.issuer = "https://other-idp.example/entity".into();
    out.push((
        "foreign-issuer",
        build(&po, SignMode::Assertion, &k.saml_attacker, r.now, rng),
        "RESPONSE_INVALID",
    ));
    out.push((
        "foreign-issuer-trusted-key",
        build(&po, SignMode::Assertion, &k.saml_idp, r.now, rng),
        "RESPONSE_INVALID",
    ));
    out.push((
        "expired",
        build(
            &p,
            SignMode::Assertion,
            &k.saml_idp,
            r.now - time::Duration::hours(1),
            rng,
        ),
        "RESPONSE_INVALID",
    ));
    let mut pa = saml_params(r, USER);
    pa.audience = "https://other-sp.example/sp".into();
    out.push((
        "wrong-audience",
        build(&pa, SignMode::Assertion, &k.saml_idp, r.now, rng),
        "RESPONSE_INVALID",
    ));
    let mut pd = saml_params(r, USER);
    pd.destination = "https://evil.example/acs".into();
    pd.recipient = "https://evil.example/acs".into();
    out.push((
        "wrong-destination",
        build(&pd, SignMode::Assertion, &k.saml_idp, r.now, rng),
        "RESPONSE_INVALID",
    ));
    let mut pi = saml_params(r, USER);
    pi.in_response_to = Some("_someone_elses_request".into());
    out.push((
        "in-response-to-mismatch",
        build(&pi, SignMode::Assertion, &k.saml_idp, r.now, rng),
        "RESPONSE_INVALID",
    ));
    out.push((
        "doctype-entity",
        format!(
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>{}",
            signed_assertion.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        ),
        "RESPONSE_MALFORMED",
    ));
    out.push((
        "processing-instruction-in-nameid",
        signed_assertion.replacen(&format!(">{USER}<"), &format!("><?evil x?>{USER}<"), 1),
        "RESPONSE_INVALID",
    ));
    (signed_assertion, out)
}

// ---------------------------------------------------------------------------------------------
// The fake upstream OpenID provider
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct FakeState {
    jwks: Mutex<String>,
    token_response: Mutex<Value>,
    token_calls: AtomicUsize,
}

struct FakeOp {
    base: String,
    state: Arc<FakeState>,
}

impl FakeOp {
    async fn start(jwks: Value) -> Self {
        use axum::routing::{get, post};
        let state = Arc::new(FakeState::default());
        *state.jwks.lock().unwrap() = jwks.to_string();
        let s1 = state.clone();
        let s2 = state.clone();
        let app = axum::Router::new()
            .route(
                "/oauth2/v1/keys",
                get(move || {
                    let s = s1.clone();
                    async move {
                        let body = s.jwks.lock().unwrap().clone();
                        ([("content-type", "application/json")], body)
                    }
                }),
            )
            .route(
                "/oauth2/v1/token",
                post(move || {
                    let s = s2.clone();
                    async move {
                        s.token_calls.fetch_add(1, Ordering::SeqCst);
                        let body = s.token_response.lock().unwrap().clone();
                        axum::Json(body)
                    }
                }),
            )
            .route("/oauth2/v1/authorize", get(|| async { "never visited" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeOp {
            base: format!("http://127.0.0.1:{}", addr.port()),
            state,
        }
    }

    fn answer_with(&self, id_token: &str) {
        *self.state.token_response.lock().unwrap() = json!({
            "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token
        });
    }

    fn answer_raw(&self, v: Value) {
        *self.state.token_response.lock().unwrap() = v;
    }

    fn calls(&self) -> usize {
        self.state.token_calls.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------------------------
// Hub setup and checks
// ---------------------------------------------------------------------------------------------

fn client(h: &Harness) -> reqwest::Client {
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", h.port).parse().unwrap();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .resolve("hub.localhost", addr)
        .build()
        .unwrap()
}

fn browser(h: &Harness) -> Browser<'_> {
    Browser {
        h,
        host: "hub.localhost",
        client: client(h),
    }
}

async fn api(h: &Harness, token: &str, method: &str, path: &str, body: Value) -> Value {
    let c = client(h);
    let url = h.url("hub.localhost", path);
    let req = match method {
        "POST" => c.post(url).json(&body),
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

struct Hub {
    org: federa_core::model::Org,
    token: String,
}

/// The hub org with a global session policy requiring MFA, and an administrator account an
/// attacker would like to become.
async fn hub(h: &Harness) -> Hub {
    let ctx = &h.server.as_ref().unwrap().ctx;
    let hub = orgs::create(ctx, "Hub", &["hub.localhost".into()], Engine::Identity, "t")
        .await
        .unwrap();
    let token = hub.token.expose().clone();
    let gsp = api(
        h,
        &token,
        "GET",
        "/api/v1/policies?type=OKTA_SIGN_ON",
        json!(null),
    )
    .await;
    let gid = gsp[0]["id"].as_str().unwrap().to_string();
    api(
        h,
        &token,
        "POST",
        &format!("/api/v1/policies/{gid}/rules"),
        json!({"name": "MFA", "priority": 1, "actions": {"signon": {"access": "ALLOW",
            "requireFactor": true, "factorPromptMode": "ALWAYS", "primaryFactor": "PASSWORD_IDP"}}}),
    )
    .await;
    api(
        h,
        &token,
        "POST",
        "/api/v1/users?activate=true",
        json!({"profile": {"login": ADMIN, "email": ADMIN, "firstName": "Ada", "lastName": "Admin"},
               "credentials": {"password": {"value": PASSWORD}}}),
    )
    .await;
    Hub {
        org: hub.org,
        token,
    }
}

async fn oidc_idp(
    h: &Harness,
    hub: &Hub,
    name: &str,
    okta: bool,
    base: &str,
    client_id: &str,
) -> String {
    let ctx = &h.server.as_ref().unwrap().ctx;
    let protocol = if okta {
        json!({"type": "OIDC", "scopes": ["openid", "email", "profile"],
            "credentials": {"client": {"client_id": client_id, "client_secret": SECRET,
                "token_endpoint_auth_method": "client_secret_basic"}},
            "oktaIdpOrgUrl": base})
    } else {
        let ep = |p: &str, b: &str| json!({"url": format!("{base}/oauth2/v1/{p}"), "binding": b});
        json!({"type": "OIDC", "scopes": ["openid", "email", "profile"],
            "endpoints": {"authorization": ep("authorize", "HTTP-REDIRECT"),
                "token": ep("token", "HTTP-POST"), "jwks": ep("keys", "HTTP-REDIRECT")},
            "issuer": {"url": base},
            "credentials": {"client": {"client_id": client_id, "client_secret": SECRET,
                "token_endpoint_auth_method": "client_secret_basic"}}})
    };
    let input: IdpInput = serde_json::from_value(json!({
        "type": if okta { "OKTA_INTEGRATION" } else { "OIDC" }, "name": name,
        "protocol": protocol,
        "policy": {"trustClaims": true, "maxClockSkew": 120000,
            "provisioning": {"action": "AUTO"}, "accountLink": {"action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.email"}, "matchType": "USERNAME"}}
    }))
    .unwrap();
    idps::create(ctx, &hub.org.id, input, true)
        .await
        .unwrap()
        .id
        .to_string()
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

/// Starts a federated sign-in at the hub: `(state, nonce)` from the 303 to the fake OP.
async fn start_oidc(b: &Browser<'_>, idp: &str, op: &FakeOp) -> (String, String) {
    let r = b.get(&format!("/sso/idps/{idp}?return_to=/me")).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let loc = r.location.unwrap();
    assert!(
        loc.starts_with(&format!("{}/oauth2/v1/authorize?", op.base)),
        "{loc}"
    );
    (query_param(&loc, "state"), query_param(&loc, "nonce"))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn callback(b: &Browser<'_>, state: &str, extra: &str) -> Page {
    b.get(&format!(
        "/oauth2/v1/authorize/callback?code=x&state={}{extra}",
        enc(state)
    ))
    .await
}

/// All `user.authentication.auth_via_IDP` events of the hub.
async fn idp_events(h: &Harness, hub: &Hub) -> Vec<Value> {
    let v = api(
        h,
        &hub.token,
        "GET",
        "/api/v1/logs?limit=1000&filter=eventType%20eq%20%22user.authentication.auth_via_IDP%22",
        json!(null),
    )
    .await;
    v.as_array().unwrap().clone()
}

fn failure_reasons(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["outcome"]["result"] == "FAILURE")
        .map(|e| e["outcome"]["reason"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The events in `after` that were not in `before` (by uuid).
fn new_events(before: &[Value], after: &[Value]) -> Vec<Value> {
    let seen: Vec<&Value> = before.iter().map(|e| &e["uuid"]).collect();
    after
        .iter()
        .filter(|e| !seen.contains(&&e["uuid"]))
        .cloned()
        .collect()
}

/// The case was refused: a readable 400 page, no session, and exactly one new FAILURE event
/// whose reason contains `needle`. Returns the reason.
async fn assert_refused(
    h: &Harness,
    hub: &Hub,
    b: &Browser<'_>,
    before: &[Value],
    page: &Page,
    case: &str,
    needle: &str,
) -> String {
    assert_eq!(page.status, 400, "{case}: {}", page.html);
    assert!(
        page.html.contains("role=\"alert\""),
        "{case}: {}",
        page.html
    );
    assert!(
        !page
            .set_cookies
            .iter()
            .any(|c| c.starts_with("federa_sid=") && !c.starts_with("federa_sid=;")),
        "{case}: a session cookie was set: {:?}",
        page.set_cookies
    );
    let (st, me) = b.json("/api/v1/sessions/me").await;
    assert_eq!(st, 404, "{case}: no session, got {me}");
    let after = idp_events(h, hub).await;
    let fresh = new_events(before, &after);
    let reasons = failure_reasons(&fresh);
    assert_eq!(reasons.len(), 1, "{case}: one FAILURE event, got {fresh:?}");
    assert!(
        fresh.iter().all(|e| e["outcome"]["result"] == "FAILURE"),
        "{case}: nothing but the failure was logged: {fresh:?}"
    );
    assert!(
        reasons[0].contains(needle),
        "{case}: reason {:?} should contain {needle}",
        reasons[0]
    );
    reasons[0].clone()
}

fn report(lines: &mut Vec<String>, case: &str, outcome: &str) {
    lines.push(format!("{case:<40} {outcome}"));
}

// ---------------------------------------------------------------------------------------------
// OIDC: hostile ID tokens
// ---------------------------------------------------------------------------------------------

async fn hostile_id_tokens_are_refused(h: &Harness) {
    let k = keys();
    let hub = hub(h).await;
    let op_a = FakeOp::start(json!({"keys": [k.a1.jwk(), k.a2.jwk()]})).await;
    let op_b = FakeOp::start(json!({"keys": [k.b.jwk()]})).await;
    let idp_a = oidc_idp(h, &hub, "Upstream A", true, &op_a.base, CLIENT_A).await;
    let idp_b = oidc_idp(h, &hub, "Upstream B", false, &op_b.base, CLIENT_B).await;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let mut lines = Vec::new();

    // Control: a genuine token is accepted (so each refusal below is about the attack).
    let b = browser(h);
    let (state, nonce) = start_oidc(&b, &idp_a, &op_a).await;
    let run = OidcRun {
        issuer: op_a.base.clone(),
        client_id: CLIENT_A.into(),
        nonce,
        now,
    };
    op_a.answer_with(&k.a1.sign(&claims(&run)));
    let ok = callback(&b, &state, "").await;
    assert_eq!(ok.status, 303, "control: {}", ok.html);
    assert_eq!(
        ok.location.as_deref(),
        Some("/login"),
        "control: trust on, no okta_auth → top-up"
    );
    report(
        &mut lines,
        "control (genuine token)",
        "accepted → /login top-up",
    );

    // The same callback again.
    let before = idp_events(h, &hub).await;
    let again = callback(&b, &state, "").await;
    let why = assert_refused(
        h,
        &hub,
        &b,
        &before,
        &again,
        "callback-replay",
        "INVALID_STATE",
    )
    .await;
    report(&mut lines, "callback-replay", &why);

    // Each hostile token through a fresh, genuine pending sign-in.
    let run_b = OidcRun {
        issuer: op_b.base.clone(),
        client_id: CLIENT_B.into(),
        nonce: String::new(),
        now,
    };
    let cases_len = hostile_id_tokens(&k, &run, &run_b).len();
    for i in 0..cases_len {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp_a, &op_a).await;
        let run = OidcRun {
            nonce,
            ..run.clone()
        };
        let case = hostile_id_tokens(&k, &run, &run_b).swap_remove(i);
        op_a.answer_with(&case.token);
        let before = idp_events(h, &hub).await;
        let page = callback(&b, &state, "").await;
        let why = assert_refused(h, &hub, &b, &before, &page, case.name, case.reason).await;
        report(&mut lines, case.name, &why);
    }

    // The ID token of the control sign-in, replayed through a new pending sign-in.
    {
        let b = browser(h);
        let (state, _) = start_oidc(&b, &idp_a, &op_a).await;
        op_a.answer_with(&k.a1.sign(&claims(&run)));
        let before = idp_events(h, &hub).await;
        let page = callback(&b, &state, "").await;
        let why = assert_refused(
            h,
            &hub,
            &b,
            &before,
            &page,
            "id-token-replay",
            "ID_TOKEN_INVALID",
        )
        .await;
        report(&mut lines, "id-token-replay", &why);
    }

    // RFC 9207 mix-up: the authorization response names another issuer; the code must not
    // even be sent to A's token endpoint.
    for (case, iss) in [
        ("mix-up-iss-other-idp", op_b.base.clone()),
        ("mix-up-iss-evil", "https://evil.example".to_string()),
    ] {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp_a, &op_a).await;
        op_a.answer_with(&k.a1.sign(&claims(&OidcRun {
            nonce,
            ..run.clone()
        })));
        let calls = op_a.calls();
        let before = idp_events(h, &hub).await;
        let page = callback(&b, &state, &format!("&iss={}", enc(&iss))).await;
        let why = assert_refused(h, &hub, &b, &before, &page, case, "ISSUER_MISMATCH").await;
        assert_eq!(
            op_a.calls(),
            calls,
            "{case}: the code went to the token endpoint"
        );
        report(&mut lines, case, &why);
    }

    // A state of IdP B's pending sign-in completed with a token minted by A (per-IdP state
    // binding: B's checks apply, A's token fails them).
    {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp_b, &op_b).await;
        op_b.answer_with(&k.a1.sign(&claims(&OidcRun {
            nonce,
            ..run.clone()
        })));
        let before = idp_events(h, &hub).await;
        let page = callback(&b, &state, "").await;
        let why = assert_refused(
            h,
            &hub,
            &b,
            &before,
            &page,
            "a-token-on-b-callback",
            "ID_TOKEN_INVALID",
        )
        .await;
        report(&mut lines, "a-token-on-b-callback", &why);
    }

    // Duplicate parameters, an error without state, hostile token endpoint answers.
    {
        let b = browser(h);
        let (state, _) = start_oidc(&b, &idp_a, &op_a).await;
        let before = idp_events(h, &hub).await;
        let page = callback(&b, &state, &format!("&state={}", enc(&state))).await;
        let why = assert_refused(
            h,
            &hub,
            &b,
            &before,
            &page,
            "duplicate-state",
            "INVALID_STATE",
        )
        .await;
        report(&mut lines, "duplicate-state", &why);
    }
    for (case, answer, needle) in [
        (
            "token-response-without-id-token",
            json!({"access_token": "at"}),
            "NO_ID_TOKEN",
        ),
        (
            "token-response-id-token-number",
            json!({"id_token": 42}),
            "NO_ID_TOKEN",
        ),
        (
            "token-response-error",
            json!({"error": "invalid_grant"}),
            "ID_TOKEN",
        ),
        ("token-response-array", json!([1, 2, 3]), "NO_ID_TOKEN"),
    ] {
        let b = browser(h);
        let (state, _) = start_oidc(&b, &idp_a, &op_a).await;
        op_a.answer_raw(answer);
        let before = idp_events(h, &hub).await;
        let page = callback(&b, &state, "").await;
        let why = assert_refused(h, &hub, &b, &before, &page, case, needle).await;
        report(&mut lines, case, &why);
    }
    // An unusable JWKS.
    {
        *op_a.state.jwks.lock().unwrap() =
            "{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}]}".into();
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp_a, &op_a).await;
        op_a.answer_with(&hs256(
            b"secret",
            &json!({"alg": "HS256"}),
            &claims(&OidcRun {
                nonce,
                ..run.clone()
            }),
        ));
        let before = idp_events(h, &hub).await;
        let page = callback(&b, &state, "").await;
        let why = assert_refused(h, &hub, &b, &before, &page, "jwks-symmetric-key", "").await;
        assert!(
            why.starts_with("JWKS_UNUSABLE") || why.starts_with("ID_TOKEN_INVALID"),
            "{why}"
        );
        report(&mut lines, "jwks-symmetric-key", &why);
    }
    eprintln!("hostile ID tokens:\n{}", lines.join("\n"));
}
http_test!(hostile_id_tokens_are_refused);

// ---------------------------------------------------------------------------------------------
// OIDC: hostile okta_auth JWEs inside a valid ID token
// ---------------------------------------------------------------------------------------------

async fn hostile_okta_auth_is_never_credited(h: &Harness) {
    let k = keys();
    let hub = hub(h).await;
    let op = FakeOp::start(json!({"keys": [k.a1.jwk()]})).await;
    let idp = oidc_idp(h, &hub, "Upstream Okta", true, &op.base, CLIENT_A).await;
    let jwks = api(
        h,
        &hub.token,
        "GET",
        &format!("/api/v1/idps/{idp}/jwks"),
        json!(null),
    )
    .await;
    let ours = EncryptionKeySet::from_jwks_json(&jwks.to_string())
        .unwrap()
        .preferred()
        .unwrap()
        .clone();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let mut lines = Vec::new();
    let token_with = |nonce: String, okta_auth: Value| {
        let run = OidcRun {
            issuer: op.base.clone(),
            client_id: CLIENT_A.into(),
            nonce,
            now,
        };
        let mut c = claims(&run);
        c["okta_auth"] = okta_auth;
        (run, c)
    };

    // Control: a genuine okta_auth (password + Okta Verify TOTP) satisfies the hub's MFA.
    {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp, &op).await;
        let (run, mut c) = token_with(nonce, Value::Null);
        c["okta_auth"] = json!(
            federa_jose::jwe::encrypt(
                &ours,
                &okta_auth_plaintext(&run),
                &EncryptOptions::new(),
                &federa_jose::SystemRng::new()
            )
            .unwrap()
        );
        op.answer_with(&k.a1.sign(&c));
        let r = callback(&b, &state, "").await;
        assert_eq!(r.location.as_deref(), Some("/me"), "control: {}", r.html);
        let (st, me) = b.json("/api/v1/sessions/me").await;
        assert_eq!(st, 200);
        assert!(
            me["factorVerifications"]
                .to_string()
                .contains("OKTA_AUTH_OIDC"),
            "{me}"
        );
        report(&mut lines, "control (genuine okta_auth)", "credited → /me");
    }

    let run0 = token_with(String::new(), Value::Null).0;
    let n = hostile_jwes(&k, &ours, &run0).len();
    for i in 0..n {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp, &op).await;
        let (run, _) = token_with(nonce.clone(), Value::Null);
        let (case, jwe) = hostile_jwes(&k, &ours, &run).swap_remove(i);
        let (_, c) = token_with(nonce, json!(jwe));
        op.answer_with(&k.a1.sign(&c));
        let before = idp_events(h, &hub).await;
        let r = callback(&b, &state, "").await;
        // The ID token itself is valid: the sign-in goes on, but to the local top-up.
        assert_eq!(r.status, 303, "{case}: {}", r.html);
        assert_eq!(
            r.location.as_deref(),
            Some("/login"),
            "{case}: not credited → top-up"
        );
        let (st, me) = b.json("/api/v1/sessions/me").await;
        assert_eq!(st, 404, "{case}: no session before the top-up: {me}");
        let p = b.get("/login").await;
        assert_eq!(p.status, 200, "{case}");
        let fresh = new_events(&before, &idp_events(h, &hub).await);
        assert_eq!(fresh.len(), 1, "{case}: {fresh:?}");
        let e = &fresh[0];
        let d = &e["debugContext"]["debugData"];
        assert_eq!(d["decision"], "CHALLENGE", "{case}: {e}");
        assert_eq!(d["credited"], json!([]), "{case}: nothing credited: {e}");
        let ignored = d["ignored"].as_array().unwrap();
        let oa = ignored
            .iter()
            .find(|i| i["what"].as_str().unwrap_or("").starts_with("okta_auth"))
            .unwrap_or_else(|| panic!("{case}: okta_auth listed as ignored: {e}"));
        assert_eq!(oa["reason"], "UNDECRYPTABLE", "{case}: {oa}");
        assert!(
            oa["detail"].as_str().is_some_and(|s| !s.is_empty()),
            "{case}: {oa}"
        );
        report(
            &mut lines,
            case,
            &format!(
                "top-up, ignored {} ({})",
                oa["reason"],
                oa["detail"].as_str().unwrap()
            ),
        );
    }
    // okta_auth of the wrong JSON type, and a plaintext bound to another subject.
    for (case, value, reason) in [
        ("okta-auth-number", json!(42), "MALFORMED"),
        ("okta-auth-array", json!(["pwd"]), "MALFORMED"),
    ] {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp, &op).await;
        let (_, c) = token_with(nonce, value);
        op.answer_with(&k.a1.sign(&c));
        let before = idp_events(h, &hub).await;
        let r = callback(&b, &state, "").await;
        assert_eq!(r.location.as_deref(), Some("/login"), "{case}: {}", r.html);
        let fresh = new_events(&before, &idp_events(h, &hub).await);
        let d = &fresh[0]["debugContext"]["debugData"];
        assert_eq!(d["credited"], json!([]), "{case}");
        assert!(d["ignored"].to_string().contains(reason), "{case}: {d}");
        report(&mut lines, case, &format!("top-up, ignored {reason}"));
    }
    {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp, &op).await;
        let (run, mut c) = token_with(nonce, Value::Null);
        let mut pt: Value = serde_json::from_slice(&okta_auth_plaintext(&run)).unwrap();
        pt["sub"] = json!("00u-admin");
        c["okta_auth"] = json!(
            federa_jose::jwe::encrypt(
                &ours,
                pt.to_string().as_bytes(),
                &EncryptOptions::new(),
                &federa_jose::SystemRng::new()
            )
            .unwrap()
        );
        op.answer_with(&k.a1.sign(&c));
        let before = idp_events(h, &hub).await;
        let r = callback(&b, &state, "").await;
        assert_eq!(r.location.as_deref(), Some("/login"), "{}", r.html);
        let fresh = new_events(&before, &idp_events(h, &hub).await);
        let d = &fresh[0]["debugContext"]["debugData"];
        assert_eq!(d["credited"], json!([]));
        assert!(d["ignored"].to_string().contains("SUBJECT_MISMATCH"), "{d}");
        report(
            &mut lines,
            "okta-auth-bound-to-other-sub",
            "top-up, ignored SUBJECT_MISMATCH",
        );
    }
    eprintln!("hostile okta_auth:\n{}", lines.join("\n"));
}
http_test!(hostile_okta_auth_is_never_credited);

// ---------------------------------------------------------------------------------------------
// OIDC: hostile identity values in a validly signed token (never a 500)
// ---------------------------------------------------------------------------------------------

async fn hostile_identity_values_never_give_a_500(h: &Harness) {
    let k = keys();
    let hub = hub(h).await;
    let op = FakeOp::start(json!({"keys": [k.a1.jwk()]})).await;
    let idp = oidc_idp(h, &hub, "Upstream", false, &op.base, CLIENT_A).await;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let mut lines = Vec::new();
    let long = "x".repeat(256);
    // (case, edit, Some(reason) when refused / None when the sign-in may go on)
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, Option<&str>)> = vec![
        (
            "sub-with-nul",
            Box::new(|c: &mut Value| c["sub"] = json!("00u\u{0}sam")),
            Some("INVALID_SUBJECT"),
        ),
        (
            "sub-256-chars",
            Box::new(move |c: &mut Value| c["sub"] = json!(long.clone())),
            Some("INVALID_SUBJECT"),
        ),
        (
            "sub-control-chars",
            Box::new(|c: &mut Value| c["sub"] = json!("00u\r\nsam")),
            Some("INVALID_SUBJECT"),
        ),
        (
            "sub-empty",
            Box::new(|c: &mut Value| c["sub"] = json!("")),
            Some("ID_TOKEN_INVALID"),
        ),
        (
            "sub-number",
            Box::new(|c: &mut Value| c["sub"] = json!(42)),
            Some("ID_TOKEN_INVALID"),
        ),
        (
            "email-with-nul",
            Box::new(|c: &mut Value| {
                c["sub"] = json!("00u-nul-email");
                c["email"] = json!("eve\u{0}@example.com");
            }),
            Some("NO_MATCHING_USER"),
        ),
        (
            "email-filter-injection",
            Box::new(|c: &mut Value| {
                c["sub"] = json!("00u-filter");
                c["email"] = json!("x\" or profile.login eq \"admin@example.com");
            }),
            Some("NO_MATCHING_USER"),
        ),
        (
            "given-name-with-nul",
            Box::new(|c: &mut Value| {
                c["sub"] = json!("00u-nul-name");
                c["email"] = json!("eve@example.com");
                c["given_name"] = json!("Eve\u{0}");
            }),
            None,
        ),
    ];
    for (case, f, refused) in cases {
        let b = browser(h);
        let (state, nonce) = start_oidc(&b, &idp, &op).await;
        let mut c = claims(&OidcRun {
            issuer: op.base.clone(),
            client_id: CLIENT_A.into(),
            nonce,
            now,
        });
        f(&mut c);
        op.answer_with(&k.a1.sign(&c));
        let before = idp_events(h, &hub).await;
        let r = callback(&b, &state, "").await;
        assert!(r.status < 500, "{case}: HTTP {} {}", r.status, r.html);
        match refused {
            Some(reason) => {
                let why = assert_refused(h, &hub, &b, &before, &r, case, reason).await;
                report(&mut lines, case, &why);
            }
            None => {
                // The bad optional value is dropped; the (otherwise valid) sign-in goes on.
                assert_eq!(r.status, 303, "{case}: {}", r.html);
                let (st, me) = b.json("/api/v1/sessions/me").await;
                if st == 200 {
                    assert_eq!(me["login"], "eve@example.com", "{case}: {me}");
                }
                report(
                    &mut lines,
                    case,
                    &format!("value dropped, sign-in goes on → {:?}", r.location),
                );
            }
        }
    }
    eprintln!("hostile identity values:\n{}", lines.join("\n"));
}
http_test!(hostile_identity_values_never_give_a_500);

// ---------------------------------------------------------------------------------------------
// SAML: hostile responses at the ACS
// ---------------------------------------------------------------------------------------------

async fn saml_idp(h: &Harness, hub: &Hub, k: &Keys) -> String {
    let ctx = &h.server.as_ref().unwrap().ctx;
    let key = idps::add_key(ctx, &hub.org.id, &[k.saml_idp.cert_base64()])
        .await
        .unwrap();
    let input: IdpInput = serde_json::from_value(json!({
        "type": "SAML2", "name": "Upstream SAML",
        "protocol": {"type": "SAML2",
            "endpoints": {"sso": {"url": "https://saml-idp.test/sso", "binding": "HTTP-REDIRECT"}},
            "credentials": {"trust": {"issuer": SAML_ISSUER, "kid": key.kid}}},
        "policy": {"trustClaims": false, "maxClockSkew": 120000,
            "provisioning": {"action": "AUTO"}, "accountLink": {"action": "AUTO"},
            "subject": {"userNameTemplate": {"template": "idpuser.subjectNameId"}, "matchType": "USERNAME"}}
    }))
    .unwrap();
    idps::create(ctx, &hub.org.id, input, true)
        .await
        .unwrap()
        .id
        .to_string()
}

/// Starts a SAML sign-in: `(RelayState, AuthnRequest ID)`.
async fn start_saml(b: &Browser<'_>, idp: &str) -> (String, String) {
    let r = b.get(&format!("/sso/idps/{idp}?return_to=/me")).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let loc = r.location.unwrap();
    let query = loc.split_once('?').unwrap().1;
    let msg = federa_saml::bindings::decode_redirect(
        query,
        federa_saml::MessageParam::Request,
        &federa_saml::Limits::default(),
    )
    .unwrap();
    let i = msg.xml.find(" ID=\"").unwrap() + 5;
    let id = msg.xml[i..i + msg.xml[i..].find('"').unwrap()].to_string();
    (msg.relay_state.unwrap(), id)
}

async fn post_saml(b: &Browser<'_>, idp: &str, response_b64: &str, relay: Option<&str>) -> Page {
    let mut fields = vec![("SAMLResponse", response_b64)];
    if let Some(r) = relay {
        fields.push(("RelayState", r));
    }
    let r = b.post(&format!("/sso/saml2/{idp}"), &fields).await;
    if r.status != 303 {
        return r;
    }
    b.get(&r.location.unwrap()).await
}

fn b64(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

async fn hostile_saml_responses_are_refused(h: &Harness) {
    let k = keys();
    let hub = hub(h).await;
    let idp = saml_idp(h, &hub, &k).await;
    let base = h.url("hub.localhost", "");
    let idp_id = federa_types::IdpId::parse(&idp).unwrap();
    let run_for = |req: String| SamlRun {
        acs: idps::acs_url(&base, &idp_id),
        audience: idps::sp_entity_id(&base, &idp_id),
        in_response_to: req,
        now: time::OffsetDateTime::now_utc(),
    };
    let rng = federa_jose::SystemRng::new();
    let mut lines = Vec::new();

    // Control: the genuine response is accepted (MFA policy → local top-up).
    let b = browser(h);
    let (relay, req) = start_saml(&b, &idp).await;
    let (legit, _) = saml_responses(&k, &run_for(req), &rng);
    let r = post_saml(&b, &idp, &b64(&legit), Some(&relay)).await;
    assert_eq!(r.status, 303, "control: {}", r.html);
    assert_eq!(r.location.as_deref(), Some("/login"), "control");
    report(
        &mut lines,
        "control (genuine response)",
        "accepted → /login top-up",
    );

    // Replays of the consumed response: same RelayState, then a fresh one.
    let before = idp_events(h, &hub).await;
    let page = post_saml(&b, &idp, &b64(&legit), Some(&relay)).await;
    let why = assert_refused(
        h,
        &hub,
        &b,
        &before,
        &page,
        "replay-same-relay-state",
        "INVALID_RELAY_STATE",
    )
    .await;
    report(&mut lines, "replay-same-relay-state", &why);
    {
        let b = browser(h);
        let (relay, _) = start_saml(&b, &idp).await;
        let before = idp_events(h, &hub).await;
        let page = post_saml(&b, &idp, &b64(&legit), Some(&relay)).await;
        let why = assert_refused(
            h,
            &hub,
            &b,
            &before,
            &page,
            "replay-new-relay-state",
            "RESPONSE_INVALID",
        )
        .await;
        report(&mut lines, "replay-new-relay-state", &why);
    }
    // Unsolicited (no RelayState): IdP-initiated is not accepted.
    {
        let b = browser(h);
        let (_, req) = start_saml(&b, &idp).await;
        let (legit, _) = saml_responses(&k, &run_for(req), &rng);
        let before = idp_events(h, &hub).await;
        let page = post_saml(&b, &idp, &b64(&legit), None).await;
        let why = assert_refused(
            h,
            &hub,
            &b,
            &before,
            &page,
            "unsolicited",
            "INVALID_RELAY_STATE",
        )
        .await;
        report(&mut lines, "unsolicited", &why);
    }

    let n = saml_responses(&k, &run_for("_x".into()), &rng).1.len();
    for i in 0..n {
        let b = browser(h);
        let (relay, req) = start_saml(&b, &idp).await;
        let (case, xml, needle) = saml_responses(&k, &run_for(req), &rng).1.swap_remove(i);
        let before = idp_events(h, &hub).await;
        let page = post_saml(&b, &idp, &b64(&xml), Some(&relay)).await;
        let why = assert_refused(h, &hub, &b, &before, &page, case, needle).await;
        report(&mut lines, case, &why);
    }
    // Not base64, not XML.
    for (case, raw) in [
        ("not-base64", "%%%not base64%%%".to_string()),
        ("not-xml", b64("hello")),
    ] {
        let b = browser(h);
        let (relay, _) = start_saml(&b, &idp).await;
        let before = idp_events(h, &hub).await;
        let page = post_saml(&b, &idp, &raw, Some(&relay)).await;
        let why = assert_refused(h, &hub, &b, &before, &page, case, "RESPONSE_MALFORMED").await;
        report(&mut lines, case, &why);
    }
    eprintln!("hostile SAML responses:\n{}", lines.join("\n"));
}
http_test!(hostile_saml_responses_are_refused);

// ---------------------------------------------------------------------------------------------
// Generator of the kept keys and samples
// ---------------------------------------------------------------------------------------------

/// Deterministic bytes for the samples' XML IDs (SHA-256 of a counter; test-only).
struct CounterRng(Mutex<u64>);

impl federa_types::Rng for CounterRng {
    fn fill(&self, buf: &mut [u8]) {
        let mut c = self.0.lock().unwrap();
        for chunk in buf.chunks_mut(32) {
            *c += 1;
            let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &c.to_be_bytes());
            chunk.copy_from_slice(&d.as_ref()[..chunk.len()]);
        }
    }
}

#[test]
#[ignore = "writes test_vectors/broker/; run explicitly to regenerate"]
fn regenerate_broker_vectors() {
    let dir = vectors_dir();
    let kdir = dir.join("keys");
    std::fs::create_dir_all(&kdir).unwrap();
    let now = time::macros::datetime!(2026-11-23 10:00:00 UTC);
    // Keys: made once, kept (rerunning does not replace them).
    for name in ["op-a-1.pem", "op-a-2.pem", "op-b.pem", "op-attacker.pem"] {
        let p = kdir.join(name);
        if !p.exists() {
            let k = SigningKey::generate(JwsAlg::Rs256).unwrap();
            std::fs::write(p, k.to_pkcs8().unwrap().to_pem()).unwrap();
        }
    }
    if !kdir.join("jwe-other.pem").exists() {
        let k = federa_jose::RsaDecryptionKey::generate(federa_jose::RsaKeySize::Rsa2048).unwrap();
        std::fs::write(
            kdir.join("jwe-other.pem"),
            k.to_pkcs8_der().unwrap().to_pem(),
        )
        .unwrap();
    }
    for (stem, cn) in [
        ("saml-idp", "Federa broker test IdP"),
        ("saml-attacker", "Federa broker test attacker"),
    ] {
        if !kdir.join(format!("{stem}.key")).exists() {
            let id = SigningIdentity::generate(cn, now, &federa_jose::SystemRng::new()).unwrap();
            std::fs::write(
                kdir.join(format!("{stem}.key")),
                id.private_key_pem().expose(),
            )
            .unwrap();
            std::fs::write(kdir.join(format!("{stem}.crt")), id.cert_pem()).unwrap();
        }
    }
    let k = keys();
    // Samples with fixed per-run values.
    let secs = now.unix_timestamp();
    let run = OidcRun {
        issuer: "http://127.0.0.1:8080".into(),
        client_id: CLIENT_A.into(),
        nonce: "sample-nonce".into(),
        now: secs,
    };
    let run_b = OidcRun {
        issuer: "http://127.0.0.1:8081".into(),
        client_id: CLIENT_B.into(),
        nonce: "sample-nonce".into(),
        now: secs,
    };
    let odir = dir.join("oidc");
    std::fs::create_dir_all(&odir).unwrap();
    std::fs::write(odir.join("legit.jwt"), k.a1.sign(&claims(&run))).unwrap();
    std::fs::write(
        odir.join("jwks-a.json"),
        serde_json::to_string_pretty(&json!({"keys": [k.a1.jwk(), k.a2.jwk()]})).unwrap(),
    )
    .unwrap();
    for c in hostile_id_tokens(&k, &run, &run_b) {
        std::fs::write(odir.join(format!("{}.jwt", c.name)), &c.token).unwrap();
    }
    // okta_auth samples: encrypted to the kept "other" key standing in for the hub's SP key
    // (the per-run SP key is made when the IdP object is created).
    let sp = k
        .jwe_other
        .public_key()
        .clone()
        .with_kid(Kid::new("sample-sp-key").unwrap());
    let jdir = dir.join("okta_auth");
    std::fs::create_dir_all(&jdir).unwrap();
    std::fs::write(jdir.join("plaintext.json"), okta_auth_plaintext(&run)).unwrap();
    for (name, jwe) in hostile_jwes(&k, &sp, &run) {
        std::fs::write(jdir.join(format!("{name}.jwe")), jwe).unwrap();
    }
    let sdir = dir.join("saml");
    std::fs::create_dir_all(&sdir).unwrap();
    let srun = SamlRun {
        acs: "http://hub.localhost:8080/sso/saml2/0oaSAMPLE".into(),
        audience: "http://hub.localhost:8080/saml2/service-provider/0oaSAMPLE".into(),
        in_response_to: "_sample_request".into(),
        now,
    };
    let rng = CounterRng(Mutex::new(0));
    let (legit, cases) = saml_responses(&k, &srun, &rng);
    std::fs::write(sdir.join("legit-signed-assertion.xml"), legit).unwrap();
    for (name, xml, _) in cases {
        std::fs::write(sdir.join(format!("{name}.xml")), xml).unwrap();
    }
}

/// Two compact tokens are the same sample: the same JSON in each JSON part (serde_json's key
/// order depends on the features the build unifies: `cargo test -p` and `cargo test --workspace`
/// order object keys differently) and, where the signed bytes are identical, the same other parts.
fn same_token(a: &str, b: &str) -> bool {
    use base64::Engine as _;
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    if pa.len() != pb.len() {
        return false;
    }
    let json = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    };
    let bytes_equal = pa.iter().zip(&pb).take(2).all(|(x, y)| x == y);
    pa.iter().zip(&pb).all(|(x, y)| match (json(x), json(y)) {
        (Some(jx), Some(jy)) => jx == jy,
        _ => !bytes_equal || x == y,
    })
}

/// The kept samples still match what the generator's functions produce for the fixed inputs
/// (where deterministic: every JWS and SAML sample), so the README's table describes the code.
#[test]
fn kept_samples_match_the_generator() {
    let k = keys();
    let secs = time::macros::datetime!(2026-11-23 10:00:00 UTC).unix_timestamp();
    let run = OidcRun {
        issuer: "http://127.0.0.1:8080".into(),
        client_id: CLIENT_A.into(),
        nonce: "sample-nonce".into(),
        now: secs,
    };
    let run_b = OidcRun {
        issuer: "http://127.0.0.1:8081".into(),
        client_id: CLIENT_B.into(),
        ..run.clone()
    };
    let odir = vectors_dir().join("oidc");
    for c in hostile_id_tokens(&k, &run, &run_b) {
        let kept = std::fs::read_to_string(odir.join(format!("{}.jwt", c.name)))
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert!(
            same_token(&kept, &c.token),
            "{}: kept {kept} != generated {}",
            c.name,
            c.token
        );
    }
    let srun = SamlRun {
        acs: "http://hub.localhost:8080/sso/saml2/0oaSAMPLE".into(),
        audience: "http://hub.localhost:8080/saml2/service-provider/0oaSAMPLE".into(),
        in_response_to: "_sample_request".into(),
        now: time::macros::datetime!(2026-11-23 10:00:00 UTC),
    };
    let (_, cases) = saml_responses(&k, &srun, &CounterRng(Mutex::new(0)));
    for (name, xml, _) in cases {
        let kept = std::fs::read_to_string(vectors_dir().join("saml").join(format!("{name}.xml")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(kept, xml, "{name}");
    }
}
