//! Property tests: tampering never decrypts, arbitrary input never panics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use federa_jose::{
    CompactJwe, DecryptionKeySet, EncryptOptions, EncryptionKeySet, JoseError, RsaDecryptionKey,
    RsaEncryptionKey, SystemRng, jwe,
};
use proptest::prelude::*;

const KEY_PEM: &str = include_str!("../test_vectors/recipient_key.pem");
const JWCRYPTO_TOKEN: &str = include_str!("../test_vectors/valid_oktaauth.jwe");

struct Fixture {
    keys: DecryptionKeySet,
    tokens: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = RsaDecryptionKey::from_pkcs8_pem(KEY_PEM).unwrap();
        let ours = jwe::encrypt(
            key.public_key(),
            br#"{"mfaVerified":"true","factorVerifications":[]}"#,
            &EncryptOptions::new().typ("JWT"),
            &SystemRng::new(),
        )
        .unwrap();
        Fixture {
            keys: DecryptionKeySet::from_keys([key]).unwrap(),
            tokens: vec![JWCRYPTO_TOKEN.trim().to_owned(), ours],
        }
    })
}

fn decrypt(token: &str) -> Result<Vec<u8>, JoseError> {
    jwe::decrypt(&fixture().keys, token, &SystemRng::new()).map(|d| d.into_plaintext())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Replacing any character of the compact text never yields a successful decryption.
    #[test]
    fn char_substitution_never_decrypts(which in 0usize..2, pos in any::<prop::sample::Index>(), c in any::<u8>()) {
        let token = &fixture().tokens[which];
        let mut bytes = token.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != c);
        bytes[i] = c;
        let mutated = String::from_utf8_lossy(&bytes);
        prop_assert!(decrypt(&mutated).is_err());
    }

    /// Flipping bits in the decoded bytes of any segment (then re-encoding strictly) never
    /// yields a successful decryption; past the header and kid checks the error is opaque or
    /// a length error.
    #[test]
    fn decoded_bit_flips_never_decrypt(
        which in 0usize..2,
        segment in 0usize..5,
        pos in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let token = &fixture().tokens[which];
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut raw = URL_SAFE_NO_PAD.decode(&parts[segment]).unwrap();
        let i = pos.index(raw.len());
        raw[i] ^= mask;
        parts[segment] = URL_SAFE_NO_PAD.encode(&raw);
        let result = decrypt(&parts.join("."));
        prop_assert!(result.is_err());
        if segment > 0 {
            prop_assert_eq!(result, Err(JoseError::Decryption));
        }
    }

    /// Several random edits at once (insertions, deletions, substitutions) never decrypt.
    #[test]
    fn multiple_edits_never_decrypt(which in 0usize..2, edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)) {
        let token = &fixture().tokens[which];
        let mut bytes = token.clone().into_bytes();
        for (pos, byte, kind) in edits {
            if bytes.is_empty() { break; }
            let i = pos.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let mutated = String::from_utf8_lossy(&bytes).into_owned();
        prop_assume!(mutated != *token);
        prop_assert!(decrypt(&mutated).is_err());
    }

    /// Arbitrary strings never panic the parser or the decrypter.
    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = CompactJwe::parse(&s);
        let _ = decrypt(&s);
    }

    /// Strings over the compact alphabet (base64url + '.') reach deeper into the parser.
    #[test]
    fn compact_alphabet_strings_never_panic(s in "[A-Za-z0-9_.=-]{0,400}") {
        let _ = decrypt(&s);
    }

    /// Five segments with a syntactically plausible header and random other parts.
    #[test]
    fn plausible_tokens_never_panic(
        header in prop_oneof![
            Just(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"LUQMHgvO2wPkHmMSxrm1iJV5bJM1UGGXZg2xC_LZ8Kw"}"#.to_owned()),
            "\\{\"alg\":\"[A-Z0-9-]{0,12}\",\"enc\":\"[A-Z0-9-]{0,12}\",\"kid\":\"[a-z]{0,4}\"\\}",
            any::<String>(),
        ],
        ek in prop::collection::vec(any::<u8>(), 0..300),
        iv in prop::collection::vec(any::<u8>(), 0..20),
        ct in prop::collection::vec(any::<u8>(), 0..100),
        tag in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let t = [header.as_bytes(), &ek, &iv, &ct, &tag]
            .map(|p| URL_SAFE_NO_PAD.encode(p))
            .join(".");
        prop_assert!(decrypt(&t).is_err());
    }

    /// Arbitrary strings never panic the JWK and JWK Set parsers.
    #[test]
    fn jwk_parsers_never_panic(s in any::<String>()) {
        let _ = RsaEncryptionKey::from_jwk_json(&s);
        let _ = EncryptionKeySet::from_jwks_json(&s);
        let _ = RsaDecryptionKey::from_pkcs8_pem(&s);
    }
}
