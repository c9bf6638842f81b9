//! Round trips, every format/header rejection, key sets and rotation, JWK/JWKS handling.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use federa_jose::jwe::{IV_LEN, MAX_COMPACT_JWE_LEN, TAG_LEN};
use federa_jose::{
    CompactJwe, DecryptionKeySet, EncryptOptions, EncryptionKeySet, JoseError, Kid, Rng,
    RsaDecryptionKey, RsaEncryptionKey, RsaKeySize, Segment, SystemRng, jwe,
};

const KEY_PEM: &str = include_str!("../test_vectors/recipient_key.pem");

fn key() -> RsaDecryptionKey {
    RsaDecryptionKey::from_pkcs8_pem(KEY_PEM).unwrap()
}

fn keys() -> DecryptionKeySet {
    DecryptionKeySet::from_keys([key()]).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn token(plaintext: &[u8]) -> String {
    jwe::encrypt(
        key().public_key(),
        plaintext,
        &EncryptOptions::new(),
        &SystemRng::new(),
    )
    .unwrap()
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn decrypt(token: &str) -> Result<Vec<u8>, JoseError> {
    jwe::decrypt(&keys(), token, &SystemRng::new()).map(|d| d.into_plaintext())
}

/// A deterministic generator for tests (not random, obviously): 1, 2, 3, ...
#[derive(Default)]
struct CountingRng(AtomicU8);

impl Rng for CountingRng {
    fn fill(&self, buf: &mut [u8]) {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        }
    }
}

/// Records how many bytes were drawn.
#[derive(Default)]
struct MeteredRng(AtomicUsize);

impl Rng for MeteredRng {
    fn fill(&self, buf: &mut [u8]) {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        SystemRng::new().fill(buf);
    }
}

// ---- round trips ------------------------------------------------------------------------

#[test]
fn round_trip_rsa_2048_generated() {
    let key = RsaDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
    assert_eq!(key.modulus_bits(), 2048);
    let public = key.public_key().clone();
    let set = DecryptionKeySet::from_keys([key]).unwrap();
    let t = jwe::encrypt(&public, b"hello", &EncryptOptions::new(), &SystemRng::new()).unwrap();
    let d = jwe::decrypt(&set, &t, &SystemRng::new()).unwrap();
    assert_eq!(d.plaintext(), b"hello");
    assert_eq!(d.header().kid(), public.kid());
}

#[test]
fn round_trip_rsa_3072_generated() {
    let key = RsaDecryptionKey::generate(RsaKeySize::Rsa3072).unwrap();
    assert_eq!(key.modulus_bits(), 3072);
    assert_eq!(key.modulus_len(), 384);
    let public = key.public_key().clone();
    let set = DecryptionKeySet::from_keys([key]).unwrap();
    let t = jwe::encrypt(&public, b"hello", &EncryptOptions::new(), &SystemRng::new()).unwrap();
    assert_eq!(unb64(&segments(&t)[1]).len(), 384);
    let d = jwe::decrypt(&set, &t, &SystemRng::new()).unwrap();
    assert_eq!(d.plaintext(), b"hello");
}

#[test]
fn round_trip_empty_and_binary_plaintexts() {
    assert_eq!(decrypt(&token(b"")).unwrap(), b"");
    let binary: Vec<u8> = (0..=255).collect();
    assert_eq!(decrypt(&token(&binary)).unwrap(), binary);
}

#[test]
fn header_is_exactly_alg_enc_kid() {
    let t = token(b"x");
    let header = String::from_utf8(unb64(&segments(&t)[0])).unwrap();
    assert_eq!(
        header,
        format!(
            r#"{{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"{}"}}"#,
            key().kid()
        )
    );
}

#[test]
fn optional_typ_and_cty_are_written_and_read_back() {
    let t = jwe::encrypt(
        key().public_key(),
        b"x",
        &EncryptOptions::new().typ("okta-auth+jwe").cty("json"),
        &SystemRng::new(),
    )
    .unwrap();
    let header = String::from_utf8(unb64(&segments(&t)[0])).unwrap();
    assert!(
        header.ends_with(r#","cty":"json","typ":"okta-auth+jwe"}"#),
        "{header}"
    );
    let d = jwe::decrypt(&keys(), &t, &SystemRng::new()).unwrap();
    assert_eq!(d.header().typ(), Some("okta-auth+jwe"));
    assert_eq!(d.header().cty(), Some("json"));
    assert_eq!(
        jwe::encrypt(
            key().public_key(),
            b"x",
            &EncryptOptions::new().typ(""),
            &SystemRng::new()
        ),
        Err(JoseError::EmptyOption("typ"))
    );
}

#[test]
fn segment_sizes_are_standard() {
    let s = segments(&token(b"12345"));
    assert_eq!(s.len(), 5);
    assert_eq!(unb64(&s[1]).len(), 256);
    assert_eq!(unb64(&s[2]).len(), IV_LEN);
    assert_eq!(unb64(&s[3]).len(), 5);
    assert_eq!(unb64(&s[4]).len(), TAG_LEN);
}

#[test]
fn cek_and_iv_come_from_the_supplied_rng() {
    let t1 = jwe::encrypt(
        key().public_key(),
        b"x",
        &EncryptOptions::new(),
        &CountingRng::default(),
    )
    .unwrap();
    let t2 = jwe::encrypt(
        key().public_key(),
        b"x",
        &EncryptOptions::new(),
        &CountingRng::default(),
    )
    .unwrap();
    let (s1, s2) = (segments(&t1), segments(&t2));
    // CEK = 1..=32, IV = 33..=44.
    assert_eq!(unb64(&s1[2]), (33..=44).collect::<Vec<u8>>());
    // Same CEK and IV give the same ciphertext and tag; the OAEP seed (aws-lc's) differs.
    assert_eq!((&s1[2], &s1[3], &s1[4]), (&s2[2], &s2[3], &s2[4]));
    assert_ne!(s1[1], s2[1]);
    assert_eq!(decrypt(&t1).unwrap(), b"x");
}

#[test]
fn two_encryptions_differ() {
    assert_ne!(token(b"same"), token(b"same"));
}

#[test]
fn randomness_use_is_fixed_and_independent_of_the_ciphertext() {
    // Encrypt draws CEK (32) + IV (12); decrypt draws one 32-byte decoy, valid token or not.
    let rng = MeteredRng::default();
    let t = jwe::encrypt(key().public_key(), b"x", &EncryptOptions::new(), &rng).unwrap();
    assert_eq!(rng.0.load(Ordering::Relaxed), 44);
    let rng = MeteredRng::default();
    jwe::decrypt(&keys(), &t, &rng).unwrap();
    assert_eq!(rng.0.load(Ordering::Relaxed), 32);
    let s = segments(&t);
    let bad_ek = format!("{}.{}.{}.{}.{}", s[0], b64(&[0x33; 256]), s[2], s[3], s[4]);
    let rng = MeteredRng::default();
    assert_eq!(
        jwe::decrypt(&keys(), &bad_ek, &rng).map(|_| ()),
        Err(JoseError::Decryption)
    );
    assert_eq!(rng.0.load(Ordering::Relaxed), 32);
}

#[test]
fn largest_plaintext_fits_the_decrypt_limit_and_one_more_byte_is_refused() {
    let pk = key();
    let mut n = 40_000;
    let max = loop {
        match jwe::encrypt(
            pk.public_key(),
            &vec![7u8; n],
            &EncryptOptions::new(),
            &CountingRng::default(),
        ) {
            Ok(_) => n += 1,
            Err(JoseError::PlaintextTooLarge { max, .. }) => break max,
            Err(e) => panic!("{e}"),
        }
        if n > MAX_COMPACT_JWE_LEN {
            panic!("no limit");
        }
    };
    assert_eq!(n, max + 1);
    let t = jwe::encrypt(
        pk.public_key(),
        &vec![7u8; max],
        &EncryptOptions::new(),
        &CountingRng::default(),
    )
    .unwrap();
    assert!(t.len() <= MAX_COMPACT_JWE_LEN);
    assert!(t.len() > MAX_COMPACT_JWE_LEN - 4);
    assert_eq!(decrypt(&t).unwrap().len(), max);
}

// ---- format rejections ------------------------------------------------------------------

#[test]
fn oversized_input_is_rejected_before_parsing() {
    let big = "a".repeat(MAX_COMPACT_JWE_LEN + 1);
    assert_eq!(
        decrypt(&big),
        Err(JoseError::InputTooLarge {
            len: MAX_COMPACT_JWE_LEN + 1,
            max: MAX_COMPACT_JWE_LEN
        })
    );
}

#[test]
fn segment_count_must_be_five() {
    let t = token(b"x");
    let s = segments(&t);
    assert_eq!(decrypt(""), Err(JoseError::SegmentCount { found: 1 }));
    assert_eq!(
        decrypt(&s[..4].join(".")),
        Err(JoseError::SegmentCount { found: 4 })
    );
    assert_eq!(
        decrypt(&format!("{t}.")),
        Err(JoseError::SegmentCount { found: 6 })
    );
    assert_eq!(
        decrypt(&format!("{t}.AAAA")),
        Err(JoseError::SegmentCount { found: 6 })
    );
    // Three segments = a JWS; not a JWE.
    assert_eq!(decrypt("a.b.c"), Err(JoseError::SegmentCount { found: 3 }));
}

#[test]
fn empty_header_or_encrypted_key_is_rejected() {
    let s = segments(&token(b"x"));
    let empty_header = format!(".{}.{}.{}.{}", s[1], s[2], s[3], s[4]);
    assert_eq!(
        decrypt(&empty_header),
        Err(JoseError::EmptySegment {
            segment: Segment::ProtectedHeader
        })
    );
    let empty_ek = format!("{}..{}.{}.{}", s[0], s[2], s[3], s[4]);
    assert_eq!(
        decrypt(&empty_ek),
        Err(JoseError::EmptySegment {
            segment: Segment::EncryptedKey
        })
    );
}

#[test]
fn non_strict_base64url_is_rejected_in_every_segment() {
    let s = segments(&token(b"hello world"));
    let which = [
        Segment::ProtectedHeader,
        Segment::EncryptedKey,
        Segment::Iv,
        Segment::Ciphertext,
        Segment::Tag,
    ];
    for (i, segment) in which.into_iter().enumerate() {
        let mutations = [
            format!("{}=", s[i]),
            format!("{}==", s[i]),
            format!(" {}", s[i]),
            format!("{}\n", s[i]),
            format!("{}\t", s[i]),
            {
                let mut m = s[i].clone();
                m.insert(2, '\n');
                m
            },
            format!("+{}", &s[i][1..]),
            format!("/{}", &s[i][1..]),
        ];
        for m in mutations {
            let mut t = s.clone();
            t[i] = m.clone();
            let result = decrypt(&t.join("."));
            assert!(
                result == Err(JoseError::Base64 { segment }),
                "segment {segment} mutated to {m:?}: {result:?}"
            );
        }
    }
}

#[test]
fn non_canonical_trailing_bits_are_rejected() {
    // The 12-byte IV encodes to 16 chars (no trailing bits); the 16-byte tag to 22 chars with
    // 4 unused bits. Setting one of them gives another spelling of the same bytes.
    let s = segments(&token(b"x"));
    let mut tag = s[4].clone().into_bytes();
    let last = tag.len() - 1;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let pos = alphabet.iter().position(|&c| c == tag[last]).unwrap();
    tag[last] = alphabet[pos ^ 1];
    let t = format!(
        "{}.{}.{}.{}.{}",
        s[0],
        s[1],
        s[2],
        s[3],
        String::from_utf8(tag).unwrap()
    );
    assert_eq!(
        decrypt(&t),
        Err(JoseError::Base64 {
            segment: Segment::Tag
        })
    );
}

#[test]
fn iv_must_be_12_bytes() {
    let s = segments(&token(b"x"));
    for len in [0, 8, 11, 13, 16] {
        let t = format!("{}.{}.{}.{}.{}", s[0], s[1], b64(&vec![1; len]), s[3], s[4]);
        assert_eq!(decrypt(&t), Err(JoseError::IvLength { len }), "len {len}");
    }
}

#[test]
fn tag_must_be_16_bytes() {
    let s = segments(&token(b"x"));
    let tag = unb64(&s[4]);
    for len in [0, 4, 8, 12, 15] {
        let t = format!("{}.{}.{}.{}.{}", s[0], s[1], s[2], s[3], b64(&tag[..len]));
        assert_eq!(decrypt(&t), Err(JoseError::TagLength { len }), "len {len}");
    }
    let mut long = tag.clone();
    long.push(0);
    let t = format!("{}.{}.{}.{}.{}", s[0], s[1], s[2], s[3], b64(&long));
    assert_eq!(decrypt(&t), Err(JoseError::TagLength { len: 17 }));
}

#[test]
fn encrypted_key_must_be_the_modulus_size() {
    let s = segments(&token(b"x"));
    let ek = unb64(&s[1]);
    for len in [1, 128, 255, 257, 384, 512] {
        let mut wrong = ek.clone();
        wrong.resize(len, 0x42);
        let t = format!("{}.{}.{}.{}.{}", s[0], b64(&wrong), s[2], s[3], s[4]);
        assert_eq!(
            decrypt(&t),
            Err(JoseError::EncryptedKeyLength { len, expected: 256 }),
            "len {len}"
        );
    }
}

fn with_header(header_json: &str) -> String {
    let s = segments(&token(b"x"));
    format!(
        "{}.{}.{}.{}.{}",
        b64(header_json.as_bytes()),
        s[1],
        s[2],
        s[3],
        s[4]
    )
}

#[test]
fn header_must_be_a_json_object() {
    for bad in [
        "",
        "null",
        "[]",
        "\"alg\"",
        "{",
        "{}x",
        "{\"alg\":\"RSA-OAEP-256\",}",
    ] {
        if bad.is_empty() {
            continue;
        }
        assert!(
            matches!(
                decrypt(&with_header(bad)),
                Err(JoseError::HeaderNotJson { .. })
            ),
            "{bad}"
        );
    }
    let s = segments(&token(b"x"));
    let not_utf8 = format!(
        "{}.{}.{}.{}.{}",
        b64(b"{\"alg\":\"\xff\"}"),
        s[1],
        s[2],
        s[3],
        s[4]
    );
    assert!(matches!(
        decrypt(&not_utf8),
        Err(JoseError::HeaderNotJson { .. })
    ));
}

#[test]
fn every_foreign_alg_and_enc_is_named_in_the_error() {
    let kid = key().kid().to_string();
    for alg in [
        "RSA1_5",
        "RSA-OAEP",
        "RSA-OAEP-384",
        "RSA-OAEP-512",
        "dir",
        "ECDH-ES",
        "ECDH-ES+A256KW",
        "A256KW",
        "A256GCMKW",
        "PBES2-HS512+A256KW",
        "none",
        "",
        "rsa-oaep-256",
    ] {
        let h = format!(r#"{{"alg":"{alg}","enc":"A256GCM","kid":"{kid}"}}"#);
        let result = decrypt(&with_header(&h));
        if alg.is_empty() {
            assert_eq!(result, Err(JoseError::HeaderParameterType("alg")));
        } else {
            assert_eq!(
                result,
                Err(JoseError::UnsupportedAlg {
                    alg: format!("{alg:?}")
                }),
                "{alg}"
            );
        }
    }
    for enc in [
        "A128GCM",
        "A192GCM",
        "A128CBC-HS256",
        "A256CBC-HS512",
        "a256gcm",
    ] {
        let h = format!(r#"{{"alg":"RSA-OAEP-256","enc":"{enc}","kid":"{kid}"}}"#);
        assert_eq!(
            decrypt(&with_header(&h)),
            Err(JoseError::UnsupportedEnc {
                enc: format!("{enc:?}")
            }),
            "{enc}"
        );
    }
}

#[test]
fn zip_crit_and_duplicates_are_rejected_in_headers() {
    let kid = key().kid().to_string();
    let base = format!(r#""alg":"RSA-OAEP-256","enc":"A256GCM","kid":"{kid}""#);
    for (extra, expected) in [
        (r#","zip":"DEF""#, JoseError::CompressionNotAccepted),
        (r#","zip":"NONE""#, JoseError::CompressionNotAccepted),
        (
            r#","crit":["exp"],"exp":1"#,
            JoseError::CriticalHeaderNotSupported,
        ),
        (r#","crit":[]"#, JoseError::CriticalHeaderNotSupported),
    ] {
        assert_eq!(
            decrypt(&with_header(&format!("{{{base}{extra}}}"))),
            Err(expected)
        );
    }
    for dup in [
        format!(r#"{{{base},"kid":"other"}}"#),
        format!(r#"{{{base},"enc":"A256GCM"}}"#),
        format!(r#"{{{base},"x":{{"a":1,"a":2}}}}"#),
    ] {
        assert!(
            matches!(
                decrypt(&with_header(&dup)),
                Err(JoseError::DuplicateMember { .. })
            ),
            "{dup}"
        );
    }
}

#[test]
fn missing_kid_is_rejected() {
    // Okta's draft sample header carried no kid; Federa requires one (module docs of `jwe`).
    assert_eq!(
        decrypt(&with_header(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM"}"#)),
        Err(JoseError::MissingHeaderParameter("kid"))
    );
}

#[test]
fn unknown_header_members_are_ignored_but_authenticated() {
    // An extra member changes the AAD, so swapping the header of a valid token fails at GCM.
    let kid = key().kid().to_string();
    let h =
        format!(r#"{{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"{kid}","x5u":"https://e.x"}}"#);
    assert_eq!(decrypt(&with_header(&h)), Err(JoseError::Decryption));
}

#[test]
fn header_is_bound_by_the_aad() {
    // Same header JSON, but spelled with different whitespace: different AAD -> fails.
    let kid = key().kid().to_string();
    let h = format!(r#"{{"alg":"RSA-OAEP-256", "enc":"A256GCM","kid":"{kid}"}}"#);
    assert_eq!(decrypt(&with_header(&h)), Err(JoseError::Decryption));
}

#[test]
fn swapped_iv_fails_opaquely() {
    let s = segments(&token(b"x"));
    let t = format!("{}.{}.{}.{}.{}", s[0], s[1], b64(&[0u8; 12]), s[3], s[4]);
    assert_eq!(decrypt(&t), Err(JoseError::Decryption));
}

#[test]
fn random_encrypted_key_fails_like_a_bad_tag() {
    let s = segments(&token(b"x"));
    let mut ek = vec![0u8; 256];
    SystemRng::new().fill(&mut ek);
    ek[0] &= 0x7f; // below the modulus most of the time; either way OAEP fails
    let t = format!("{}.{}.{}.{}.{}", s[0], b64(&ek), s[2], s[3], s[4]);
    assert_eq!(decrypt(&t), Err(JoseError::Decryption));
    let t = format!("{}.{}.{}.{}.{}", s[0], b64(&[0xff; 256]), s[2], s[3], s[4]);
    assert_eq!(decrypt(&t), Err(JoseError::Decryption));
}

#[test]
fn parse_exposes_header_without_keys() {
    let t = token(b"x");
    let parsed = CompactJwe::parse(&t).unwrap();
    assert_eq!(parsed.header().kid(), key().kid());
    assert_eq!(
        parsed
            .decrypt(&keys(), &SystemRng::new())
            .unwrap()
            .plaintext(),
        b"x"
    );
}

// ---- key sets, rotation -----------------------------------------------------------------

#[test]
fn rotation_old_and_new_keys_both_decrypt_until_removed() {
    let old = key();
    let new = RsaDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
    let mut set = DecryptionKeySet::from_keys([old.clone()]).unwrap();
    set.push_preferred(new.clone()).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set.preferred().unwrap().kid(), new.kid());

    let rng = SystemRng::new();
    let to_old = jwe::encrypt(old.public_key(), b"old", &EncryptOptions::new(), &rng).unwrap();
    let to_new = jwe::encrypt(new.public_key(), b"new", &EncryptOptions::new(), &rng).unwrap();
    assert_eq!(
        jwe::decrypt(&set, &to_old, &rng).unwrap().plaintext(),
        b"old"
    );
    assert_eq!(
        jwe::decrypt(&set, &to_new, &rng).unwrap().plaintext(),
        b"new"
    );

    let jwks = set.public_jwks();
    assert_eq!(jwks.keys.len(), 2);
    assert_eq!(jwks.keys[0].kid.as_deref(), Some(new.kid().as_str()));

    assert!(set.remove(old.kid().as_str()).is_some());
    assert!(matches!(
        jwe::decrypt(&set, &to_old, &rng),
        Err(JoseError::UnknownKid { .. })
    ));
    assert!(set.remove(old.kid().as_str()).is_none());
}

#[test]
fn duplicate_kids_are_refused_in_sets() {
    assert!(matches!(
        DecryptionKeySet::from_keys([key(), key()]),
        Err(JoseError::DuplicateKid { .. })
    ));
    assert!(matches!(
        EncryptionKeySet::new(vec![key().public_key().clone(), key().public_key().clone()]),
        Err(JoseError::DuplicateKid { .. })
    ));
}

#[test]
fn kid_can_be_overridden_and_the_header_follows() {
    let k = key().with_kid(Kid::new("sp-enc-2026-11").unwrap());
    let set = DecryptionKeySet::from_keys([k.clone()]).unwrap();
    let t = jwe::encrypt(
        k.public_key(),
        b"x",
        &EncryptOptions::new(),
        &SystemRng::new(),
    )
    .unwrap();
    let d = jwe::decrypt(&set, &t, &SystemRng::new()).unwrap();
    assert_eq!(d.header().kid().as_str(), "sp-enc-2026-11");
    assert_eq!(k.public_jwk().kid.as_deref(), Some("sp-enc-2026-11"));
    // The thumbprint is still available.
    assert_eq!(k.public_key().thumbprint(), key().kid().as_str());
}

#[test]
fn empty_key_set_rejects_by_kid() {
    assert!(matches!(
        jwe::decrypt(&DecryptionKeySet::new(), &token(b"x"), &SystemRng::new()),
        Err(JoseError::UnknownKid { .. })
    ));
}

// ---- key material -----------------------------------------------------------------------

#[test]
fn pkcs8_der_and_pem_round_trip() {
    let k = key();
    let der = k.to_pkcs8_der().unwrap();
    let again = RsaDecryptionKey::from_pkcs8_der(der.as_bytes()).unwrap();
    assert_eq!(again.kid(), k.kid());
    let from_pem = RsaDecryptionKey::from_pkcs8_pem(&der.to_pem()).unwrap();
    assert_eq!(from_pem.kid(), k.kid());
    assert!(matches!(
        RsaDecryptionKey::from_pkcs8_der(b"not a key"),
        Err(JoseError::InvalidPrivateKey(_))
    ));
}

#[test]
fn secrets_do_not_leak_through_debug() {
    let k = key();
    let der = k.to_pkcs8_der().unwrap();
    let dbg = format!("{k:?} {der:?}");
    assert!(dbg.contains("[redacted]"), "{dbg}");
    assert!(!dbg.contains(&b64(&der.as_bytes()[..16])));
    let d = jwe::decrypt(&keys(), &token(b"secret phone +1 555"), &SystemRng::new()).unwrap();
    let dbg = format!("{d:?}");
    assert!(!dbg.contains("555"), "{dbg}");
    assert!(dbg.contains("plaintext_len: 19"), "{dbg}");
}

#[test]
fn spki_round_trip() {
    let k = key();
    let der = k.public_key().to_spki_der().unwrap();
    let public = RsaEncryptionKey::from_spki_der(&der).unwrap();
    assert_eq!(public.kid(), k.kid());
    assert!(RsaEncryptionKey::from_spki_der(&der[..der.len() - 1]).is_err());
}

// ---- JWK / JWKS -------------------------------------------------------------------------

#[test]
fn public_jwk_shape() {
    let jwk = serde_json::to_value(key().public_jwk()).unwrap();
    let obj = jwk.as_object().unwrap();
    let mut names: Vec<&str> = obj.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["alg", "e", "kid", "kty", "n", "use"]);
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["use"], "enc");
    assert_eq!(jwk["alg"], "RSA-OAEP-256");
    assert_eq!(jwk["e"], "AQAB");
}

#[test]
fn jwks_round_trip_keeps_order_and_kids() {
    let a = key();
    let b = RsaDecryptionKey::generate(RsaKeySize::Rsa2048).unwrap();
    let set = DecryptionKeySet::from_keys([b.clone(), a.clone()]).unwrap();
    let json = set.public_jwks().to_json().unwrap();
    let read = EncryptionKeySet::from_jwks_json(&json).unwrap();
    let kids: Vec<&str> = read.keys().iter().map(|k| k.kid().as_str()).collect();
    assert_eq!(kids, [b.kid().as_str(), a.kid().as_str()]);
    assert_eq!(read.preferred().unwrap().kid(), b.kid());
    assert_eq!(read.to_jwks(), set.public_jwks());
    // And what we encrypt to from the parsed set decrypts with the private set.
    let target = read.get(a.kid().as_str()).unwrap();
    let t = jwe::encrypt(target, b"x", &EncryptOptions::new(), &SystemRng::new()).unwrap();
    assert_eq!(
        jwe::decrypt(&set, &t, &SystemRng::new())
            .unwrap()
            .plaintext(),
        b"x"
    );
}

#[test]
fn jwks_skips_signing_and_foreign_keys() {
    let jwk = key().public_jwk();
    let enc = serde_json::to_value(&jwk).unwrap();
    let mut sig = enc.clone();
    sig["use"] = "sig".into();
    sig["alg"] = "RS256".into();
    sig["kid"] = "signing".into();
    let ec = serde_json::json!({"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"ec"});
    let doc = serde_json::json!({ "keys": [sig, ec, enc] }).to_string();
    let read = EncryptionKeySet::from_jwks_json(&doc).unwrap();
    assert_eq!(read.keys().len(), 1);
    assert_eq!(read.preferred().unwrap().kid(), key().kid());
}

#[test]
fn jwk_json_rejections() {
    let good = serde_json::to_value(key().public_jwk()).unwrap();
    let set = |k: &str, v: serde_json::Value| {
        let mut j = good.clone();
        j[k] = v;
        j.to_string()
    };
    let n = good["n"].as_str().unwrap().to_owned();
    let mut leading_zero = vec![0u8];
    leading_zero.extend(unb64(&n));
    let cases = [
        set("kty", "EC".into()),
        set("use", "sig".into()),
        set("alg", "RSA1_5".into()),
        set("alg", "RSA-OAEP".into()),
        set("d", "AQAB".into()),
        set("p", "AQAB".into()),
        set("n", format!("{n}=").into()),
        set("n", b64(&leading_zero).into()),
        set("n", b64(&unb64(&n)[..128]).into()),
        set("e", "AQ".into()),
        set("e", "AAEAAQ".into()),
        set("e", 65537.into()),
        set("kid", "".into()),
        r#"{"kty":"RSA","kty":"RSA","n":"AQAB","e":"AQAB"}"#.to_owned(),
        "[]".to_owned(),
    ];
    for case in cases {
        assert!(RsaEncryptionKey::from_jwk_json(&case).is_err(), "{case}");
    }
    assert!(RsaEncryptionKey::from_jwk_json(&good.to_string()).is_ok());
    // use/alg/kid are optional; without kid the thumbprint is the kid.
    let minimal = serde_json::json!({"kty":"RSA","n":good["n"],"e":"AQAB"}).to_string();
    let k = RsaEncryptionKey::from_jwk_json(&minimal).unwrap();
    assert_eq!(k.kid(), key().kid());
}
